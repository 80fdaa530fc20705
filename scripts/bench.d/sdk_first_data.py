"""The official SDK's time to its first audio: prints the wall-clock time of the first on_data.

Run with: DASHSCOPE_WEBSOCKET_BASE_URL=ws://127.0.0.1:PORT/api-ws/v1/inference python sdk_first_data.py
"""
import os
import threading
import time

import dashscope
from dashscope.audio.tts_v2 import AudioFormat, ResultCallback, SpeechSynthesizer

dashscope.api_key = "sk-bench"
first = threading.Event()


class Callback(ResultCallback):
    def on_data(self, data):
        if not first.is_set():
            print(f"{time.time():.6f}", flush=True)
            first.set()


synthesizer = SpeechSynthesizer(
    model="cosyvoice-v3-flash",
    voice="longanyang",
    format=AudioFormat.PCM_48000HZ_MONO_16BIT,
    callback=Callback(),
)
synthesizer.call("Hello world")
first.wait(30)
os._exit(0)
