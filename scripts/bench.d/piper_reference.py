"""The Python reference on the same voice: piper-tts's own API, in-process.

Usage: python piper_reference.py MODEL TEXT_FILE
Prints one JSON line: model load time, the real-time factor of a warm synthesis of TEXT_FILE
(the model already loaded and run once), and the process's peak memory (VmHWM).
"""
import json
import sys
import time

started = time.time()
from piper import PiperVoice  # noqa: E402  (the import is part of the start-up being timed)

model, text_file = sys.argv[1:3]
imported = time.time()
voice = PiperVoice.load(model)
loaded = time.time()
list(voice.synthesize("Hello world."))
warm = time.time()
text = open(text_file, encoding="utf-8").read()
began = time.time()
samples, rate = 0, 22050
for chunk in voice.synthesize(text):
    samples += len(chunk.audio_int16_bytes) // 2
    rate = chunk.sample_rate
spent = time.time() - began
peak_kb = 0
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmHWM:"):
            peak_kb = int(line.split()[1])
print(json.dumps({
    "import_ms": (imported - started) * 1000,
    "load_ms": (loaded - imported) * 1000,
    "first_synthesis_ms": (warm - loaded) * 1000,
    "audio_s": samples / rate,
    "rtf": spent / (samples / rate),
    "peak_mb": peak_kb / 1024,
}))
