"""The official DashScope SDK's custom-voice clients against `tts serve`; a JSON report on stdout.

Run by tests/it/voices.rs with DASHSCOPE_HTTP_BASE_URL and DASHSCOPE_WEBSOCKET_BASE_URL set:
    python voices.py enroll SAMPLE.wav OUT_DIR
    python voices.py design OUT_DIR
"""
import json
import os
import sys
import time

import dashscope
from dashscope.audio.tts_v2 import AudioFormat, SpeechSynthesizer
from dashscope.audio.tts_v2.enrollment import (
    VoiceEnrollmentException,
    VoiceEnrollmentService,
)
from dashscope.utils.oss_utils import OssUtils

dashscope.api_key = "sk-conformance"
TARGET = "cosyvoice-v3-plus"
OSS = {"X-DashScope-OssResourceResolve": "enable"}


def wait_ok(service, voice_id):
    statuses = []
    for _ in range(100):
        status = service.query_voice(voice_id)["status"]
        if not statuses or statuses[-1] != status:
            statuses.append(status)
        if status != "DEPLOYING":
            break
        time.sleep(0.2)
    return statuses


def enroll(sample, out):
    report = {}
    # The SDK's own temporary-storage flow: upload policy, form upload, oss:// URL.
    url, _ = OssUtils.upload(model="voice-enrollment", file_path=sample, api_key=dashscope.api_key)
    report["url"] = url
    service = VoiceEnrollmentService(headers=OSS)
    voice_id = service.create_voice(target_model=TARGET, prefix="sdkvoice", url=url)
    report["voice_id"] = voice_id
    report["statuses"] = wait_ok(service, voice_id)
    report["listed"] = [v["voice_id"] for v in service.list_voices(prefix="sdkvoice")]
    details = service.query_voice(voice_id)
    report["query_target"] = details.get("target_model")
    synthesizer = SpeechSynthesizer(model=TARGET, voice=voice_id, format=AudioFormat.WAV_24000HZ_MONO_16BIT)
    audio = synthesizer.call("Hello from a cloned voice.")
    with open(os.path.join(out, "sdk_clone.wav"), "wb") as f:
        f.write(audio or b"")
    report["audio_bytes"] = len(audio or b"")
    url2, _ = OssUtils.upload(model="voice-enrollment", file_path=sample, api_key=dashscope.api_key)
    service.update_voice(voice_id, url2)
    report["after_update"] = wait_ok(service, voice_id)
    service.delete_voice(voice_id)
    try:
        service.query_voice(voice_id)
        report["after_delete"] = "found"
    except VoiceEnrollmentException as e:
        report["after_delete"] = e._code
    report["listed_after_delete"] = [v["voice_id"] for v in service.list_voices()]
    print(json.dumps(report))


def design(out):
    from dashscope import Client

    client = Client(api_key=dashscope.api_key, base_url=os.environ["DASHSCOPE_HTTP_BASE_URL"])
    report = {}
    voice = client.audio.voice_design.create(
        target_model="qwen3-tts-vd-realtime-2026-01-15",
        voice_prompt="A cheerful young woman, bright and quick",
        preview_text="Hello, this is a designed voice.",
        preferred_name="sdk_design",
        language="en",
        parameters={"sample_rate": 24000, "response_format": "wav"},
    )
    report["voice"] = voice.voice
    import base64

    preview = base64.b64decode(voice.preview_audio["data"])
    with open(os.path.join(out, "sdk_preview.wav"), "wb") as f:
        f.write(preview)
    report["preview_bytes"] = len(preview)
    report["listed"] = [v["voice"] for v in client.audio.voice_design.list().voices]
    got = client.audio.voice_design.get(voice.voice)
    report["get_target"] = got.target_model
    client.audio.voice_design.delete(voice.voice)
    report["listed_after_delete"] = [v["voice"] for v in client.audio.voice_design.list().voices]
    print(json.dumps(report))


if __name__ == "__main__":
    if sys.argv[1] == "enroll":
        enroll(sys.argv[2], sys.argv[3])
    else:
        design(sys.argv[2])
