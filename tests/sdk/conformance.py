"""The official DashScope SDK against `tts serve`: one scenario per run, a JSON report on stdout.

Run by tests/it/sdk.rs with DASHSCOPE_WEBSOCKET_BASE_URL pointing at the server:
    python conformance.py SCENARIO OUT_DIR
Audio is written to OUT_DIR for the Rust side to decode; the report says what the SDK saw.
"""
import json
import os
import sys
import threading

import dashscope
from dashscope.audio.tts_v2 import AudioFormat, ResultCallback, SpeechSynthesizer

dashscope.api_key = "sk-conformance"
MODEL = "cosyvoice-v3-flash"
VOICE = "longanyang"
TEXT = "你好，世界。Hello world, this is a test of the local server."


class Recorder(ResultCallback):
    def __init__(self):
        self.calls = []
        self.data = bytearray()
        self.events = []
        self.done = threading.Event()

    def on_open(self):
        self.calls.append("open")

    def on_event(self, message):
        self.calls.append("event")
        self.events.append(json.loads(message))

    def on_data(self, data):
        self.calls.append("data")
        self.data.extend(data)

    def on_complete(self):
        self.calls.append("complete")
        self.done.set()

    def on_error(self, message):
        self.calls.append("error")
        self.done.set()

    def on_close(self):
        self.calls.append("close")


def squeeze(calls):
    """open event event data event ... -> open event data complete close (runs collapsed)."""
    out = []
    for call in calls:
        if not out or out[-1] != call:
            out.append(call)
    return out


def write(out, name, data):
    path = os.path.join(out, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def call_default(out):
    audio = SpeechSynthesizer(model=MODEL, voice=VOICE).call(TEXT)
    return {"file": write(out, "default.mp3", audio), "bytes": len(audio)}


def call_callback(out):
    recorder = Recorder()
    synthesizer = SpeechSynthesizer(model=MODEL, voice=VOICE, format=AudioFormat.PCM_22050HZ_MONO_16BIT, callback=recorder)
    returned = synthesizer.call(TEXT)
    recorder.done.wait(30)
    return {"returned": returned, "calls": squeeze(recorder.calls), "bytes": len(recorder.data),
            "file": write(out, "callback.pcm", bytes(recorder.data))}


def streaming(out):
    recorder = Recorder()
    synthesizer = SpeechSynthesizer(model=MODEL, voice=VOICE, format=AudioFormat.PCM_22050HZ_MONO_16BIT, callback=recorder)
    for piece in ["流式文本，", "第二段。", "The third piece arrives in English."]:
        synthesizer.streaming_call(piece)
    synthesizer.streaming_complete()
    sentences = [e["payload"]["output"].get("original_text") for e in recorder.events
                 if e["payload"].get("output", {}).get("type") == "sentence-end"]
    return {"calls": squeeze(recorder.calls), "sentences": sentences,
            "file": write(out, "streaming.pcm", bytes(recorder.data)),
            "first_package_ms": synthesizer.get_first_package_delay()}


def pool(out):
    from dashscope.audio.tts_v2 import SpeechSynthesizerObjectPool
    pool = SpeechSynthesizerObjectPool(max_size=1)
    sizes = []
    for i in range(3):
        synthesizer = pool.borrow_synthesizer(model=MODEL, voice=VOICE, format=AudioFormat.PCM_16000HZ_MONO_16BIT)
        audio = synthesizer.call(f"Task number {i + 1} on the same connection.")
        sizes.append(len(audio))
        pool.return_synthesizer(synthesizer)
    return {"sizes": sizes}


def formats(out):
    results = []
    for member in AudioFormat:
        if member is AudioFormat.DEFAULT:
            continue
        fmt, rate = member.value[0], member.value[1]
        audio = SpeechSynthesizer(model=MODEL, voice=VOICE, format=member).call("Hello world, one sentence.")
        path = write(out, f"{member.name}.{fmt}", audio)
        results.append({"name": member.name, "format": fmt, "rate": rate, "file": path, "bytes": len(audio)})
    return {"formats": results}


def words(out):
    recorder = Recorder()
    synthesizer = SpeechSynthesizer(model=MODEL, voice=VOICE, format=AudioFormat.PCM_22050HZ_MONO_16BIT,
                                    callback=recorder, additional_params={"word_timestamp_enabled": True})
    synthesizer.call("Hello world, this is a test of word timing.")
    recorder.done.wait(30)
    found = []
    for e in recorder.events:
        output = e["payload"].get("output", {})
        if output.get("type") == "sentence-end":
            found.extend(output.get("sentence", {}).get("words", []))
    return {"words": found}


def invalid_voice(out):
    try:
        SpeechSynthesizer(model=MODEL, voice="no_such_voice_anywhere").call(TEXT)
    except Exception as error:  # the SDK raises its own RequestFailure
        return {"raised": type(error).__name__, "message": str(error)}
    return {"raised": None}


def client_synthesize(out):
    """SDK 2.x's Client().audio.tts: one-shot synthesis over the duplex protocol."""
    import warnings
    warnings.simplefilter("ignore", FutureWarning)  # the audio API is marked preview
    client = dashscope.Client(api_key="sk-conformance")
    url = os.environ["DASHSCOPE_WEBSOCKET_BASE_URL"]
    audio = client.audio.tts.synthesize(TEXT, model=MODEL, voice=VOICE, format="wav", sample_rate=24000, ws_url=url)
    return {"file": write(out, "client.wav", audio), "bytes": len(audio)}


def client_session(out):
    """Client().audio.tts.connect(): text sent in pieces, events and audio read as they come."""
    import warnings
    warnings.simplefilter("ignore", FutureWarning)
    client = dashscope.Client(api_key="sk-conformance")
    url = os.environ["DASHSCOPE_WEBSOCKET_BASE_URL"]
    events, audio = [], bytearray()
    with client.audio.tts.connect(model=MODEL, voice=VOICE, format="pcm", sample_rate=16000, ws_url=url) as session:
        for piece in ["First piece, ", "then the rest of it. ", "A second sentence."]:
            session.send_text(piece)
        session.stop()
        for item in session.events():
            if isinstance(item, (bytes, bytearray)):
                audio.extend(item)
            else:
                events.append(item)
    sentences = []
    for event in events:
        output = (event.get("payload") or {}).get("output") or event.get("output") or {}
        if output.get("type") == "sentence-end":
            sentences.append(output.get("original_text"))
    return {"sentences": sentences, "events": len(events), "file": write(out, "session.pcm", bytes(audio))}


def basic_call(out):
    """SDK 1.24.10: the plain call."""
    audio = SpeechSynthesizer(model=MODEL, voice=VOICE, format=AudioFormat.WAV_16000HZ_MONO_16BIT).call(TEXT)
    return {"file": write(out, "basic.wav", audio), "bytes": len(audio or b"")}


if __name__ == "__main__":
    scenario, out = sys.argv[1], sys.argv[2]
    print(json.dumps(globals()[scenario](out)), flush=True)
    os._exit(0)  # the object pool's reconnect thread would keep the process alive
