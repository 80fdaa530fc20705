"""The official SDK's QwenTtsRealtime time to its first audio: prints the wall-clock time of the
first `response.audio.delta` it hands to its callback.

Run with: python qwen_sdk_first_audio.py ws://127.0.0.1:PORT/api-ws/v1/realtime
"""
import os
import sys
import threading
import time

import dashscope
from dashscope.audio.qwen_tts_realtime import QwenTtsRealtime, QwenTtsRealtimeCallback

dashscope.api_key = "sk-bench"
first = threading.Event()


class Callback(QwenTtsRealtimeCallback):
    def on_event(self, message):
        if message.get("type") == "response.audio.delta" and not first.is_set():
            print(f"{time.time():.6f}", flush=True)
            first.set()


client = QwenTtsRealtime(model="qwen3-tts-flash-realtime", callback=Callback(), url=sys.argv[1])
client.connect()
client.update_session(voice="Cherry", mode="server_commit")
client.append_text("Hello world")
client.finish()
first.wait(30)
os._exit(0)
