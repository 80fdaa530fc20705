"""The official `openai` Python package against `tts serve`'s OpenAI speech API.

Usage: openai_speech.py SCENARIO OUT_DIR, with TTS_OPENAI_BASE_URL (http://HOST:PORT/v1) and
TTS_OPENAI_KEY set. The last line printed is a JSON report.
"""

import json
import os
import sys
import time

import openai

SCENARIO, OUT = sys.argv[1], sys.argv[2]
BASE = os.environ["TTS_OPENAI_BASE_URL"]
KEY = os.environ["TTS_OPENAI_KEY"]
TEXT = "The quick brown fox jumps over the lazy dog. It was a bright and sunny morning."


def client(key=KEY):
    return openai.OpenAI(base_url=BASE, api_key=key, max_retries=0)


def error_report(e):
    body = e.body if isinstance(e.body, dict) else {}
    return {
        "class": type(e).__name__,
        "status": e.status_code,
        "message": body.get("message"),
        "param": body.get("param"),
        "code": body.get("code"),
        "type": body.get("type"),
    }


def formats():
    done = []
    for fmt in ["mp3", "opus", "wav", "pcm", "flac"]:
        path = os.path.join(OUT, "speech." + fmt)
        response = client().audio.speech.create(
            model="tts-1", voice="alloy", input=TEXT, response_format=fmt
        )
        response.write_to_file(path)
        done.append(
            {"format": fmt, "file": path, "content_type": response.response.headers["content-type"]}
        )
    refused = []
    for fmt in ["aac"]:
        try:
            client().audio.speech.create(
                model="tts-1", voice="alloy", input=TEXT, response_format=fmt
            )
            refused.append({"format": fmt, "class": None})
        except openai.APIStatusError as e:
            refused.append(dict(error_report(e), format=fmt))
    return {"formats": done, "refused": refused}


def streaming():
    # A long input: the first chunk must come while the rest is still being spoken. The test
    # reads the server's log when this script says FIRST, then answers on stdin.
    text = " ".join(
        f"Sentence number {i} of a long text that is read aloud while it streams."
        for i in range(50)
    )
    path = os.path.join(OUT, "long.pcm")
    started = time.monotonic()
    first = None
    size = 0
    with client().audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts", voice="onyx", input=text, response_format="pcm"
    ) as response:
        with open(path, "wb") as f:
            for chunk in response.iter_bytes():
                if first is None:
                    first = time.monotonic() - started
                    print("FIRST", flush=True)
                    sys.stdin.readline()
                f.write(chunk)
                size += len(chunk)
        headers = dict(response.headers)
    return {
        "file": path,
        "bytes": size,
        "first_s": first,
        "total_s": time.monotonic() - started,
        "transfer_encoding": headers.get("transfer-encoding"),
        "content_type": headers.get("content-type"),
    }


def speed():
    files = {}
    for s in [0.5, 1.0, 2.0]:
        path = os.path.join(OUT, f"speed-{s}.wav")
        client().audio.speech.create(
            model="tts-1", voice="nova", input=TEXT, response_format="wav", speed=s
        ).write_to_file(path)
        files[str(s)] = path
    try:
        client().audio.speech.create(model="tts-1", voice="nova", input=TEXT, speed=4.5)
        out_of_range = None
    except openai.APIStatusError as e:
        out_of_range = error_report(e)
    return {"files": files, "out_of_range": out_of_range}


def errors():
    report = {}
    try:
        client().audio.speech.create(model="tts-1", voice="no-such-voice", input=TEXT)
        report["unknown_voice"] = None
    except openai.APIStatusError as e:
        report["unknown_voice"] = error_report(e)
    try:
        client("sk-wrong").audio.speech.create(model="tts-1", voice="alloy", input=TEXT)
        report["wrong_key"] = None
    except openai.APIStatusError as e:
        report["wrong_key"] = error_report(e)
    try:
        client().audio.speech.create(model="tts-1", voice="alloy", input="a" * 4097)
        report["too_long"] = None
    except openai.APIStatusError as e:
        report["too_long"] = error_report(e)
    try:
        client().audio.speech.create(model="whisper-1", voice="alloy", input=TEXT)
        report["unknown_model"] = None
    except openai.APIStatusError as e:
        report["unknown_model"] = error_report(e)
    report["models"] = sorted(m.id for m in client().models.list())
    return report


def gateway_failure():
    try:
        client().audio.speech.create(model="cosyvoice-v3-flash", voice="longanyang", input=TEXT)
        return {"raised": None}
    except openai.APIStatusError as e:
        return {"raised": error_report(e)}


def sse():
    import base64
    plain = client().audio.speech.create(
        model="gpt-4o-mini-tts", voice="coral", input=TEXT, response_format="pcm"
    ).content
    events = []
    audio = b""
    response = client().audio.speech.create(
        model="gpt-4o-mini-tts", voice="coral", input=TEXT, response_format="pcm",
        stream_format="sse",
    )
    content_type = response.response.headers["content-type"]
    for line in response.text.splitlines():
        if line.startswith("data: "):
            event = json.loads(line[len("data: "):])
            events.append(event["type"])
            if event["type"] == "speech.audio.delta":
                audio += base64.b64decode(event["audio"])
    return {
        "content_type": content_type,
        "events": events,
        "bytes": len(audio),
        "plain_bytes": len(plain),
    }


def gateway():
    report = {}
    for fmt in ["mp3", "pcm"]:
        path = os.path.join(OUT, "gateway." + fmt)
        with client().audio.speech.with_streaming_response.create(
            model="cosyvoice-v3-flash", voice="longanyang", input=TEXT, response_format=fmt
        ) as response:
            response.stream_to_file(path)
            report[fmt] = {"file": path, "headers": dict(response.headers)}
    try:
        client().audio.speech.create(
            model="cosyvoice-v3-flash", voice="longxiaochun_v2", input=TEXT
        )
        report["wrong_model_voice"] = None
    except openai.APIStatusError as e:
        report["wrong_model_voice"] = error_report(e)
    try:
        client("sk-wrong").audio.speech.create(
            model="cosyvoice-v3-flash", voice="longanyang", input=TEXT
        )
        report["wrong_key"] = None
    except openai.APIStatusError as e:
        report["wrong_key"] = error_report(e)
    return report


def gateway_flac():
    # FLAC made here from the service's PCM: once as a streamed file, once as SSE events.
    report = {}
    path = os.path.join(OUT, "gateway.flac")
    with client().audio.speech.with_streaming_response.create(
        model="cosyvoice-v3-flash", voice="longanyang", input=TEXT, response_format="flac"
    ) as response:
        response.stream_to_file(path)
        report["plain"] = {"file": path, "headers": dict(response.headers)}
    import base64
    response = client().audio.speech.create(
        model="cosyvoice-v3-flash", voice="longanyang", input=TEXT, response_format="flac",
        stream_format="sse",
    )
    events = []
    audio = b""
    for line in response.text.splitlines():
        if line.startswith("data: "):
            event = json.loads(line[len("data: "):])
            events.append(event["type"])
            if event["type"] == "speech.audio.delta":
                audio += base64.b64decode(event["audio"])
    path = os.path.join(OUT, "gateway-sse.flac")
    with open(path, "wb") as f:
        f.write(audio)
    report["sse"] = {
        "file": path,
        "events": events,
        "content_type": response.response.headers["content-type"],
    }
    return report


def gateway_qwen():
    report = {}
    for fmt, voice, speed in [("mp3", "Cherry", 1.0), ("pcm", "Cherry", 1.25), ("wav", "nova", 1.0), ("opus", "Cherry", 1.0)]:
        path = os.path.join(OUT, "qwen." + fmt)
        with client().audio.speech.with_streaming_response.create(
            model="qwen3-tts-flash-realtime", voice=voice, input=TEXT, response_format=fmt, speed=speed
        ) as response:
            response.stream_to_file(path)
            report[fmt] = {"file": path, "content_type": response.headers.get("content-type")}
    for name, kwargs in [
        ("instructions", {"model": "qwen3-tts-flash-realtime", "voice": "Cherry", "instructions": "calm"}),
        ("http_only_model", {"model": "qwen3-tts-flash", "voice": "Cherry"}),
    ]:
        try:
            client().audio.speech.create(input=TEXT, **kwargs)
            report[name] = None
        except openai.APIStatusError as e:
            report[name] = error_report(e)
    return report


print(json.dumps({"formats": formats, "streaming": streaming, "speed": speed, "errors": errors, "gateway": gateway, "gateway_flac": gateway_flac, "gateway_qwen": gateway_qwen, "sse": sse, "gateway_failure": gateway_failure}[SCENARIO]()))
