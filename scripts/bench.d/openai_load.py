#!/usr/bin/env python3
"""Load on `tts serve`'s OpenAI speech API: N clients POST /v1/audio/speech at once (a paragraph
to MP3), each timing its first body byte and its last; then the server's peak memory (VmHWM).

Usage: openai_load.py TTS_BINARY [--clients N] [--format mp3]
Prints one JSON line: clients, failures, first_byte p50/p95 (ms), done p50/p95 (ms), peak_mb.
"""
import argparse
import http.client
import json
import re
import socket
import statistics
import subprocess
import threading
import time

PARAGRAPH = (
    "The committee met on a grey Tuesday morning to review the budget. "
    "After two hours of discussion, they agreed to postpone the decision. "
    "Everyone left the room a little more tired than when they arrived."
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def client(port, fmt, barrier, results, i):
    body = json.dumps(
        {"model": "tts-1", "voice": "alloy", "input": PARAGRAPH, "response_format": fmt}
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    barrier.wait()
    started = time.monotonic()
    try:
        conn.request(
            "POST",
            "/v1/audio/speech",
            body=body,
            headers={"Content-Type": "application/json", "Authorization": "Bearer bench"},
        )
        response = conn.getresponse()
        first = None
        size = 0
        while True:
            chunk = response.read1(65536)
            if not chunk:
                break
            if first is None:
                first = time.monotonic() - started
            size += len(chunk)
        done = time.monotonic() - started
        ok = response.status == 200 and size > 1000
        results[i] = {"ok": ok, "first": first, "done": done, "bytes": size}
    except OSError as e:
        results[i] = {"ok": False, "error": str(e)}
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("tts")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--format", default="mp3")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen(
        [args.tts, "serve", "-q", "--listen", f"127.0.0.1:{port}", "--api-key", "bench",
         "--state-dir", "/tmp/tts-openai-bench-state"],
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        results = [None] * args.clients
        barrier = threading.Barrier(args.clients)
        threads = [
            threading.Thread(target=client, args=(port, args.format, barrier, results, i))
            for i in range(args.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with open(f"/proc/{server.pid}/status") as f:
            peak_kb = int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))
        good = [r for r in results if r and r["ok"]]
        firsts = [r["first"] * 1000 for r in good]
        dones = [r["done"] * 1000 for r in good]
        print(json.dumps({
            "clients": args.clients,
            "format": args.format,
            "finished": len(good),
            "failures": args.clients - len(good),
            "first_byte_p50_ms": round(statistics.median(firsts), 1) if good else None,
            "first_byte_p95_ms": round(percentile(firsts, 95), 1) if good else None,
            "done_p50_ms": round(statistics.median(dones), 1) if good else None,
            "done_p95_ms": round(percentile(dones, 95), 1) if good else None,
            "peak_mb": round(peak_kb / 1024, 1),
        }))
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
