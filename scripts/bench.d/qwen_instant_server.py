"""A Qwen-TTS-Realtime server that answers at once, for benchmarking client overhead.

Run with: python qwen_instant_server.py PORT_FILE
Prints nothing; writes the port it bound on 127.0.0.1 to PORT_FILE. `session.created` goes out on
connect; each append (server_commit mode) or commit (commit mode) gets a whole response cycle with
200 ms of a 440 Hz tone as 16-bit PCM at the rate asked for (a WAV header first when WAV is asked
for; other formats get the PCM bytes), base64 in one `response.audio.delta`.
"""
import asyncio
import base64
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


def wav_header(rate):
    return (b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
            + b"data" + struct.pack("<I", 0xFFFFFFFF))


async def handle(ws):
    try:
        await answer(ws)
    except websockets.ConnectionClosed:
        pass  # the SDK script exits as soon as it has its first audio


async def answer(ws):
    config = {"mode": "server_commit", "response_format": "pcm", "sample_rate": 24000, "voice": "Cherry"}
    n = 0

    async def send(event):
        await ws.send(json.dumps(event))

    async def respond():
        nonlocal n
        n += 1
        rid = f"resp_{n}"
        audio = tone(config["sample_rate"])
        if config["response_format"] == "wav":
            audio = wav_header(config["sample_rate"]) + audio
        await send({"type": "response.created", "response": {"id": rid, "status": "in_progress"}})
        await send({"type": "response.audio.delta", "response_id": rid, "delta": base64.b64encode(audio).decode()})
        await send({"type": "response.audio.done", "response_id": rid})
        await send({"type": "response.done", "response": {"id": rid, "status": "completed", "usage": {"characters": 1}}})

    await send({"type": "session.created", "session": {"id": "sess_bench", **config}})
    async for message in ws:
        if isinstance(message, bytes):
            continue
        event = json.loads(message)
        kind = event.get("type")
        if kind == "session.update":
            config.update(event.get("session") or {})
            await send({"type": "session.updated", "session": {"id": "sess_bench", **config}})
        elif kind == "input_text_buffer.append" and config["mode"] == "server_commit":
            await respond()
        elif kind == "input_text_buffer.commit":
            await send({"type": "input_text_buffer.committed", "item_id": ""})
            if config["mode"] == "commit":
                await respond()
        elif kind == "session.finish":
            await send({"type": "session.finished"})
            await ws.close()
            return


async def main():
    async with websockets.serve(handle, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        with open(sys.argv[1], "w") as f:
            f.write(str(port))
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
