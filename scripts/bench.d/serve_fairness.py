"""`tts serve` fairness and resource bounds (issue 12): run by `scripts/bench --serve-fairness`.

Run with: python serve_fairness.py TTS_BINARY [--clients 200] [--idle 500] [--working 50]

1. For each format (MP3 22050 Hz, Opus 48 kHz, PCM 22050 Hz, WAV 22050 Hz) a fresh server gets
   CLIENTS connections at once, each speaking a paragraph; reported: p50 and p95 of connect ->
   first audio frame, connect -> task-finished, and the server's peak memory (VmHWM).
2. A fresh server gets WORKING clients alone, then IDLE sockets that complete the WebSocket
   handshake and stay silent plus the same WORKING clients; reported: the working clients'
   first audio p50/p95 both times, and the server's open descriptors (/proc/PID/fd) at the peak.
Prints one JSON object per measurement, then a summary.
"""
import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import time
import uuid

import websockets

PARAGRAPH = ("The quick brown fox jumps over the lazy dog. It was the best of times, it was the worst of "
             "times. Speech synthesis turns written text into sound, one sentence at a time.")
FORMATS = [("mp3", 22050), ("opus", 48000), ("pcm", 22050), ("wav", 22050)]


def frame(action, task_id, payload):
    return json.dumps({"header": {"action": action, "task_id": task_id, "streaming": "duplex"}, "payload": payload})


async def client(url, fmt, rate):
    task_id = uuid.uuid4().hex
    start = time.perf_counter()
    first = None
    async with websockets.connect(url, additional_headers={"Authorization": "Bearer sk-bench"}, max_size=None,
                                  open_timeout=60) as ws:
        await ws.send(frame("run-task", task_id, {
            "model": "cosyvoice-v3-flash", "task_group": "audio", "task": "tts", "function": "SpeechSynthesizer",
            "input": {}, "parameters": {"voice": "longanyang", "format": fmt, "sample_rate": rate}}))
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


async def idle_socket(port):
    """A WebSocket handshake, then silence; the open stream is returned."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"GET /api-ws/v1/inference HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer sk-idle\r\n\r\n").encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(head.decode(errors="replace"))
    return writer


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def start_server(binary, *extra):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([binary, "serve", "-q", "--listen", f"127.0.0.1:{port}", *extra])
    deadline = time.time() + 20
    while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
        if time.time() > deadline:
            sys.exit("tts serve did not start listening")
        time.sleep(0.05)
    return server, port


def peak_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


async def formats(binary, clients):
    results = []
    for fmt, rate in FORMATS:
        server, port = start_server(binary)
        try:
            url = f"ws://127.0.0.1:{port}/api-ws/v1/inference"
            # Warm the engine (voice data loaded on first use) so every run starts alike.
            await client(url, fmt, rate)
            runs = await asyncio.gather(*(client(url, fmt, rate) for _ in range(clients)))
            first = [r[0] for r in runs]
            total = [r[1] for r in runs]
            result = {"format": fmt, "rate": rate, "clients": clients,
                      "first_p50_ms": round(pct(first, 0.5)), "first_p95_ms": round(pct(first, 0.95)),
                      "finished_p50_ms": round(pct(total, 0.5)), "finished_p95_ms": round(pct(total, 0.95)),
                      "peak_mb": round(peak_kb(server.pid) / 1024, 1)}
        finally:
            server.terminate()
            server.wait()
        print(json.dumps(result), flush=True)
        results.append(result)
    return results


async def idle(binary, idle_count, working):
    server, port = start_server(binary)
    try:
        url = f"ws://127.0.0.1:{port}/api-ws/v1/inference"
        await client(url, "mp3", 22050)
        alone = await asyncio.gather(*(client(url, "mp3", 22050) for _ in range(working)))
        base_fds = fds(server.pid)
        writers = []
        for _ in range(idle_count):
            writers.append(await idle_socket(port))
        held_fds = fds(server.pid)
        loaded = await asyncio.gather(*(client(url, "mp3", 22050) for _ in range(working)))
        after_fds = fds(server.pid)
        for writer in writers:
            writer.close()
        await asyncio.sleep(1)
        closed_fds = fds(server.pid)
        result = {"idle": idle_count, "working": working,
                  "alone_first_p50_ms": round(pct([r[0] for r in alone], 0.5)),
                  "alone_first_p95_ms": round(pct([r[0] for r in alone], 0.95)),
                  "with_idle_first_p50_ms": round(pct([r[0] for r in loaded], 0.5)),
                  "with_idle_first_p95_ms": round(pct([r[0] for r in loaded], 0.95)),
                  "server_fds_before": base_fds, "server_fds_with_idle": held_fds,
                  "server_fds_after_work": after_fds, "server_fds_after_idle_closed": closed_fds,
                  "peak_mb": round(peak_kb(server.pid) / 1024, 1)}
    finally:
        server.terminate()
        server.wait()
    print(json.dumps(result), flush=True)
    return result


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--idle", type=int, default=500)
    parser.add_argument("--working", type=int, default=50)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    results = await formats(args.binary, args.clients)
    print(f"tts serve, {args.clients} clients at once per format, each a 3-sentence paragraph:")
    for r in results:
        ratio = r["first_p95_ms"] / max(1, r["first_p50_ms"])
        print(f"  {r['format']:4} {r['rate']:5} Hz: first audio p50 {r['first_p50_ms']} ms, p95 {r['first_p95_ms']} ms "
              f"(p95/p50 {ratio:.2f}); finished p50 {r['finished_p50_ms']} ms, p95 {r['finished_p95_ms']} ms; "
              f"peak memory {r['peak_mb']} MB")
    r = await idle(args.binary, args.idle, args.working)
    print(f"tts serve, {args.working} working clients (MP3) alone, then beside {args.idle} idle WebSockets:")
    print(f"  first audio alone p50 {r['alone_first_p50_ms']} ms, p95 {r['alone_first_p95_ms']} ms; "
          f"with idle sockets p50 {r['with_idle_first_p50_ms']} ms, p95 {r['with_idle_first_p95_ms']} ms")
    print(f"  server descriptors: {r['server_fds_before']} before, {r['server_fds_with_idle']} with the idle "
          f"sockets, {r['server_fds_after_idle_closed']} after they closed; peak memory {r['peak_mb']} MB")


asyncio.run(main())
