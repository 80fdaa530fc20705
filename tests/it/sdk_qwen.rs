//! Conformance: the official SDK's `QwenTtsRealtime` (dashscope 2.0.2, from PyPI) against the
//! Qwen-TTS-Realtime room of `tts serve`: both modes, every format at two rates (each response
//! decodes at its declared rate), clear, cancel, an invalid voice, an update after speech began.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{ServeProcess, ffmpeg_decode, opus_head_rate};
use crate::sdk::python;

/// Run one scenario of tests/sdk/qwen_realtime.py; its JSON report.
fn sdk(server: &ServeProcess, out: &Path, scenario: &[&str]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/qwen_realtime.py");
    let url = server
        .url
        .replace("/api-ws/v1/inference", "/api-ws/v1/realtime");
    let output = Command::new(python("2.0.2"))
        .arg(script)
        .args([url.as_str(), out.to_str().expect("utf-8")])
        .args(scenario)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "{scenario:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{scenario:?}: {e}: {stdout}"))
}

fn strings<'a>(value: &'a Value, key: &str) -> Vec<&'a str> {
    value[key]
        .as_array()
        .expect(key)
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

#[test]
fn sdk_speaks_every_format_at_two_rates_in_both_modes() {
    let server = ServeProcess::start(&[]);
    for mode in ["server_commit", "commit"] {
        for format in ["pcm", "wav", "mp3", "opus"] {
            for rate in [16000u32, 48000] {
                let out = tempfile::tempdir().expect("tempdir");
                let report = sdk(
                    &server,
                    out.path(),
                    &["speak", mode, format, &rate.to_string()],
                );
                let label = format!("{mode} {format} {rate}");
                let types = strings(&report, "types");
                assert_eq!(types.first(), Some(&"session.created"), "{label}");
                assert_eq!(
                    types.last(),
                    Some(&"session.finished"),
                    "{label}: {types:?}"
                );
                assert_eq!(
                    report["close_code"], 1000,
                    "{label}: the server closes normally"
                );
                assert_eq!(report["updated"]["response_format"], format);
                assert_eq!(report["updated"]["sample_rate"], rate);
                assert!(
                    report["session_id"]
                        .as_str()
                        .is_some_and(|s| s.starts_with("sess_"))
                );
                // server_commit: a response per sentence; commit: one per commit.
                let responses = report["responses"].as_array().expect("responses");
                assert_eq!(
                    responses.len(),
                    if mode == "commit" { 1 } else { 2 },
                    "{label}"
                );
                let billed: u64 = responses
                    .iter()
                    .filter_map(|r| r["characters"].as_u64())
                    .sum();
                assert_eq!(billed, 75, "{label}: usage.characters of the whole text");
                let mut seconds = 0.0;
                for file in strings(&report, "files") {
                    let path = Path::new(file);
                    let (decoded_rate, samples) = if format == "pcm" {
                        let bytes = std::fs::read(path).expect("pcm");
                        (rate, vec![0i16; bytes.len() / 2])
                    } else {
                        ffmpeg_decode(path)
                    };
                    if format == "opus" {
                        assert_eq!(opus_head_rate(path), rate, "{label}");
                    } else {
                        assert_eq!(decoded_rate, rate, "{label}: decodes at its declared rate");
                    }
                    seconds += samples.len() as f64 / f64::from(decoded_rate);
                }
                assert!(
                    (2.5..12.0).contains(&seconds),
                    "{label}: {seconds:.2} s for two sentences"
                );
            }
        }
    }
}

#[test]
fn sdk_clear_is_refused_in_server_commit_and_drops_the_buffer_in_commit() {
    let server = ServeProcess::start(&[]);
    let out = tempfile::tempdir().expect("tempdir");
    let report = sdk(&server, out.path(), &["clear"]);
    assert_eq!(report["refused"]["code"], "invalid_value");
    assert_eq!(
        report["refused"]["message"],
        "only client commit mode supports clear operation"
    );
    let types = strings(&report, "types");
    assert!(types.contains(&"input_text_buffer.cleared"), "{types:?}");
    let responses = report["responses"].as_array().expect("responses");
    assert_eq!(responses.len(), 1, "only what followed the clear is spoken");
    assert_eq!(responses[0]["characters"], 5, "\"Kept.\" alone is billed");
}

#[test]
fn sdk_cancel_response_ends_the_response_as_cancelled_and_the_session_goes_on() {
    let server = ServeProcess::start(&[]);
    let out = tempfile::tempdir().expect("tempdir");
    let report = sdk(&server, out.path(), &["cancel"]);
    let responses = report["responses"].as_array().expect("responses");
    assert_eq!(responses.len(), 2, "{responses:?}");
    assert_eq!(responses[0]["status"], "cancelled");
    assert_eq!(responses[1]["status"], "completed");
    let types = strings(&report, "types");
    let cancelled_at = types
        .iter()
        .position(|t| *t == "response.done")
        .expect("done");
    let deltas_after = types[cancelled_at..]
        .iter()
        .take_while(|t| **t != "response.created")
        .filter(|t| **t == "response.audio.delta")
        .count();
    assert_eq!(
        deltas_after, 0,
        "no audio of the cancelled response after its end"
    );
    assert_eq!(types.last(), Some(&"session.finished"));
}

#[test]
fn sdk_sees_an_error_event_for_an_invalid_voice_and_for_an_update_after_speech_began() {
    let server = ServeProcess::start(&[]);
    let out = tempfile::tempdir().expect("tempdir");
    let report = sdk(&server, out.path(), &["invalid_voice"]);
    assert_eq!(report["error"]["code"], "invalid_value");
    assert_eq!(report["error"]["param"], "session.voice");
    assert!(
        report["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("NoSuchVoice")),
        "{report}"
    );
    let report = sdk(&server, out.path(), &["update_after_start"]);
    assert_eq!(
        report["error"]["message"],
        "Session update error: session already started or finished or failed."
    );
    assert_eq!(strings(&report, "types").last(), Some(&"session.finished"));
}
