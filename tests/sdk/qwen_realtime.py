"""The official SDK's QwenTtsRealtime (dashscope 2.0.2) against `tts serve`: one scenario per run,
a JSON report on stdout.

Run by tests/it/sdk_qwen.rs:
    python qwen_realtime.py URL OUT_DIR SCENARIO [ARGS...]
URL is the server's realtime path (the SDK adds ?model=...). Each response's audio is written to
OUT_DIR as a file of its own for the Rust side to decode.
"""
import base64
import json
import os
import sys
import threading
import time

import dashscope
from dashscope.audio.qwen_tts_realtime import QwenTtsRealtime, QwenTtsRealtimeCallback

dashscope.api_key = "sk-conformance"
MODEL = "qwen3-tts-flash-realtime"
WAIT = 30


class Recorder(QwenTtsRealtimeCallback):
    def __init__(self):
        self.events = []
        self.audio = {}
        self.order = []
        self.closed = threading.Event()
        self.finished = threading.Event()
        self.first_audio = threading.Event()
        self.changed = threading.Condition()
        self.close_code = None

    def on_open(self):
        pass

    def on_close(self, code, message):
        self.close_code = code
        self.closed.set()

    def on_event(self, message):
        event = message if isinstance(message, dict) else json.loads(message)
        kind = event.get("type")
        if kind == "response.audio.delta":
            rid = event["response_id"]
            if rid not in self.audio:
                self.audio[rid] = bytearray()
                self.order.append(rid)
            self.audio[rid].extend(base64.b64decode(event["delta"]))
            self.first_audio.set()
            event = {"type": kind, "response_id": rid}
        if kind == "session.finished":
            self.finished.set()
        with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    def wait_for(self, kind, count=1):
        deadline = time.time() + WAIT
        with self.changed:
            while sum(1 for e in self.events if e.get("type") == kind) < count:
                left = deadline - time.time()
                if left <= 0:
                    raise TimeoutError(f"no {kind}")
                self.changed.wait(left)
        return [e for e in self.events if e.get("type") == kind][count - 1]


def session(url):
    recorder = Recorder()
    client = QwenTtsRealtime(model=MODEL, callback=recorder, url=url)
    client.connect()
    return client, recorder


def report(recorder, client, out_dir, extension, **extra):
    files = []
    for index, rid in enumerate(recorder.order):
        path = os.path.join(out_dir, f"response-{index}.{extension}")
        with open(path, "wb") as f:
            f.write(recorder.audio[rid])
        files.append(path)
    done = [e["response"] for e in recorder.events if e.get("type") == "response.done"]
    print(json.dumps({
        "types": [e.get("type") for e in recorder.events],
        "session_id": client.session_id,
        "files": files,
        "responses": [{"id": r.get("id"), "status": r.get("status"),
                       "characters": (r.get("usage") or {}).get("characters")} for r in done],
        "errors": [e.get("error") for e in recorder.events if e.get("type") == "error"],
        "close_code": recorder.close_code,
        **extra,
    }, ensure_ascii=False))


def speak(url, out_dir, mode, audio_format, rate):
    client, recorder = session(url)
    client.update_session(voice="Cherry", mode=mode, audio_format=audio_format, sample_rate=int(rate))
    recorder.wait_for("session.updated")
    for piece in ["The official client ", "speaks to the local server. ", "Its second sentence follows!"]:
        client.append_text(piece)
    if mode == "commit":
        client.commit()
    client.finish()
    recorder.finished.wait(WAIT)
    recorder.closed.wait(5)
    report(recorder, client, out_dir, audio_format, updated=recorder.wait_for("session.updated")["session"])


def clear(url, out_dir):
    client, recorder = session(url)
    client.update_session(voice="Cherry", mode="server_commit")
    recorder.wait_for("session.updated")
    client.clear_appended_text()
    refused = recorder.wait_for("error")
    client.close()
    client, recorder = session(url)
    client.update_session(voice="Cherry", mode="commit")
    recorder.wait_for("session.updated")
    client.append_text("This text is dropped before it is spoken.")
    client.clear_appended_text()
    recorder.wait_for("input_text_buffer.cleared")
    client.append_text("Kept.")
    client.commit()
    client.finish()
    recorder.finished.wait(WAIT)
    report(recorder, client, out_dir, "pcm", refused=refused["error"])


def cancel(url, out_dir):
    client, recorder = session(url)
    client.update_session(voice="Cherry", mode="commit")
    recorder.wait_for("session.updated")
    client.append_text("This response is long. " * 12)
    client.commit()
    recorder.first_audio.wait(WAIT)
    client.cancel_response()
    recorder.wait_for("response.done")
    deltas_before = sum(1 for e in recorder.events if e.get("type") == "response.audio.delta")
    client.append_text("Then a short one.")
    client.commit()
    client.finish()
    recorder.finished.wait(WAIT)
    report(recorder, client, out_dir, "pcm", deltas_at_cancel=deltas_before)


def invalid_voice(url, out_dir):
    client, recorder = session(url)
    client.update_session(voice="NoSuchVoice", mode="server_commit")
    error = recorder.wait_for("error")
    client.close()
    report(recorder, client, out_dir, "pcm", error=error["error"])


def update_after_start(url, out_dir):
    client, recorder = session(url)
    client.update_session(voice="Cherry", mode="server_commit")
    recorder.wait_for("session.updated")
    client.append_text("Speech begins here.")
    recorder.wait_for("response.created")
    client.update_session(voice="Ethan", mode="server_commit")
    error = recorder.wait_for("error")
    client.finish()
    recorder.finished.wait(WAIT)
    report(recorder, client, out_dir, "pcm", error=error["error"])


if __name__ == "__main__":
    url, out_dir, scenario, *args = sys.argv[1:]
    {"speak": speak, "clear": clear, "cancel": cancel, "invalid_voice": invalid_voice,
     "update_after_start": update_after_start}[scenario](url, out_dir, *args)
    sys.stdout.flush()
    os._exit(0)
