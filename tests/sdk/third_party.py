"""Third-party CosyVoice clients from PyPI against `tts serve`: one scenario per run, a JSON report.

Run by tests/it/sdk.rs with TTS_SERVE_URL pointing at the server:
    python third_party.py SCENARIO OUT_DIR
"""
import asyncio
import json
import os
import sys


def dashscope_realtime(out):
    """dashscope-realtime 0.1.8: DashScopeRealtimeTTS, whose default URL ends in a slash."""
    from dashscope_realtime import DashScopeRealtimeTTS
    from dashscope_realtime.tts import TTSConfig

    url = os.environ["TTS_SERVE_URL"].rstrip("/") + "/"
    audio = bytearray()
    errors = []
    ended = []

    async def run():
        tts = DashScopeRealtimeTTS(
            api_key="sk-third-party",
            config=TTSConfig(model="cosyvoice-v3-flash", voice="longanyang", sample_rate=16000, audio_format="pcm"),
            url=url,
            send_audio=audio.extend,
            on_end=lambda: ended.append(True),
            on_error=lambda e: errors.append(repr(e)),
        )
        await tts.connect()
        await tts.say("Hello from a third-party client. ")
        await tts.say("It speaks in two pieces.")
        await tts.finish()
        await asyncio.wait_for(tts.wait_done(), 60)
        await tts.disconnect()
        # Let the receive loop see the end of the connection (a close not answered is an error).
        await asyncio.sleep(0.5)

    asyncio.run(run())
    path = os.path.join(out, "realtime.pcm")
    with open(path, "wb") as f:
        f.write(audio)
    return {"file": path, "bytes": len(audio), "errors": errors, "ended": len(ended)}


if __name__ == "__main__":
    scenario, out = sys.argv[1], sys.argv[2]
    print(json.dumps(globals()[scenario](out)), flush=True)
