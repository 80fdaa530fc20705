"""A CosyVoice-protocol server with the service's timings, for benchmarking `tts convert`.

Run with: python cloud_server.py PORT_FILE
Writes the port it bound on 127.0.0.1 to PORT_FILE. Like the cloud: opening a connection costs
1.5 s (the handshake is held), starting a task 0.1 s, the first audio of a task comes 0.5 s
after its first text, and audio is made at 10x real time (16 characters a second of speech).
Audio is a 440 Hz tone as 16-bit PCM at the rate asked for, sent in 100 ms pieces.
"""
import asyncio
import json
import math
import struct
import sys

from websockets.asyncio.server import serve

COLD = 1.5
WARM = 0.1
FIRST_AUDIO = 0.5
SPEED = 10.0
CHARS_PER_SECOND = 16.0


def tone(rate, seconds):
    frames = int(rate * seconds)
    return b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(frames)
    )


def event(task_id, name, payload=None):
    return json.dumps({"header": {"task_id": task_id, "event": name, "attributes": {}}, "payload": payload or {}})


async def cold_start(connection, request):
    await asyncio.sleep(COLD)
    return None


async def handle(ws):
    rate, piece, first, characters = 22050, b"", True, 0
    try:
        async for message in ws:
            if isinstance(message, bytes):
                continue
            frame = json.loads(message)
            action, task_id = frame["header"]["action"], frame["header"]["task_id"]
            if action == "run-task":
                rate = frame["payload"]["parameters"].get("sample_rate") or 22050
                piece, first, characters = tone(rate, 0.1), True, 0
                await asyncio.sleep(WARM)
                await ws.send(event(task_id, "task-started"))
            elif action == "continue-task" and frame["payload"]["input"].get("text"):
                text = frame["payload"]["input"]["text"]
                characters += len(text)
                if first:
                    await asyncio.sleep(FIRST_AUDIO)
                    first = False
                begin = {"output": {"type": "sentence-begin", "sentence": {"index": 0, "words": []},
                                    "original_text": text}}
                await ws.send(event(task_id, "result-generated", begin))
                for _ in range(max(1, round(len(text) / CHARS_PER_SECOND / 0.1))):
                    await asyncio.sleep(0.1 / SPEED)
                    await ws.send(piece)
            elif action == "finish-task":
                await ws.send(event(task_id, "task-finished", {"output": {}, "usage": {"characters": characters}}))
    except Exception:  # a client that goes away is not the server's problem
        pass


async def main():
    async with serve(handle, "127.0.0.1", 0, process_request=cold_start, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        with open(sys.argv[1], "w") as f:
            f.write(str(port))
        await asyncio.Future()


asyncio.run(main())
