"""A CosyVoice-protocol server that answers at once, for benchmarking client overhead.

Run with: python instant_server.py PORT_FILE
Prints nothing; writes the port it bound on 127.0.0.1 to PORT_FILE. Each continue-task gets
200 ms of a 440 Hz tone as 16-bit PCM at the rate asked for (any other format gets the same
bytes), so a client can play it.
"""
import asyncio
import json
import math
import struct
import sys

import websockets


def tone(rate, ms=200):
    frames = rate * ms // 1000
    return b"".join(
        struct.pack("<h", int(16000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(frames)
    )


def event(task_id, name, payload=None):
    return json.dumps({"header": {"task_id": task_id, "event": name, "attributes": {}}, "payload": payload or {}})


async def handle(ws):
    try:
        await answer(ws)
    except websockets.ConnectionClosed:
        pass  # the SDK script exits as soon as it has its first audio


async def answer(ws):
    audio = b""
    async for message in ws:
        if isinstance(message, bytes):
            continue
        frame = json.loads(message)
        action = frame["header"]["action"]
        task_id = frame["header"]["task_id"]
        if action == "run-task":
            rate = frame["payload"]["parameters"].get("sample_rate") or 22050
            audio = tone(rate)
            await ws.send(event(task_id, "task-started"))
        elif action == "continue-task" and "text" in frame["payload"]["input"]:
            await ws.send(audio)
        elif action == "finish-task":
            await ws.send(event(task_id, "task-finished", {"output": {}, "usage": {"characters": 1}}))


async def main():
    async with websockets.serve(handle, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        with open(sys.argv[1], "w") as f:
            f.write(str(port))
        await asyncio.Future()


asyncio.run(main())
