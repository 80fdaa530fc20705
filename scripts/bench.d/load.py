"""Many clients at once against `tts serve`: each opens a connection, sends a paragraph and
finishes; reports when each first audio frame came and when each task finished.

Run with: python load.py URL CLIENTS
Prints one JSON object: first_audio_ms and total_ms lists (from each client's connect).
"""
import asyncio
import json
import sys
import time
import uuid

import websockets

PARAGRAPH = ("The quick brown fox jumps over the lazy dog. It was the best of times, it was the worst of "
             "times. Speech synthesis turns written text into sound, one sentence at a time.")


def frame(action, task_id, payload):
    return json.dumps({"header": {"action": action, "task_id": task_id, "streaming": "duplex"}, "payload": payload})


async def client(url):
    task_id = uuid.uuid4().hex
    start = time.perf_counter()
    first = None
    async with websockets.connect(url, additional_headers={"Authorization": "Bearer sk-load"}, max_size=None) as ws:
        await ws.send(frame("run-task", task_id, {
            "model": "cosyvoice-v3-flash", "task_group": "audio", "task": "tts", "function": "SpeechSynthesizer",
            "input": {}, "parameters": {"voice": "longanyang", "format": "mp3", "sample_rate": 22050}}))
        async for message in ws:
            if isinstance(message, bytes):
                if first is None:
                    first = time.perf_counter() - start
                continue
            event = json.loads(message)["header"]["event"]
            if event == "task-started":
                await ws.send(frame("continue-task", task_id, {"input": {"text": PARAGRAPH}}))
                await ws.send(frame("finish-task", task_id, {"input": {}}))
            elif event == "task-finished":
                return first * 1000, (time.perf_counter() - start) * 1000
            elif event == "task-failed":
                raise RuntimeError(message)


async def main(url, clients):
    results = await asyncio.gather(*(client(url) for _ in range(clients)))
    print(json.dumps({"first_audio_ms": [r[0] for r in results], "total_ms": [r[1] for r in results]}))


asyncio.run(main(sys.argv[1], int(sys.argv[2])))
