//! Conformance: the official DashScope Python SDK (2.0.2 with its `SpeechSynthesizer` and its
//! `Client().audio.tts`, and 1.24.10's basic call) and the third-party `dashscope-realtime`,
//! installed from PyPI at pinned versions into virtual environments made here, against `tts serve`. Outputs are decoded with
//! ffmpeg and checked at the rate each format declares.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use crate::common::{ServeProcess, ffmpeg_decode, opus_head_rate};

type Server = ServeProcess;

/// A virtual environment with `dashscope==version`, made once per test run and kept in the
/// target directory for the next.
pub(crate) fn python(version: &'static str) -> PathBuf {
    venv(&format!("dashscope=={version}"), &format!("sdk-{version}"))
}

/// A virtual environment with the pinned `requirement` installed, in `target/tmp/NAME`.
fn venv(requirement: &str, name: &str) -> PathBuf {
    static VENVS: OnceLock<Mutex<Vec<(String, PathBuf)>>> = OnceLock::new();
    let venvs = VENVS.get_or_init(|| Mutex::new(Vec::new()));
    let mut venvs = venvs.lock().expect("lock");
    if let Some((_, python)) = venvs.iter().find(|(r, _)| r == requirement) {
        return python.clone();
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let python = dir.join("bin").join("python");
    let marker = dir.join("installed");
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status()
            .expect("python3 runs");
        assert!(
            made.success(),
            "python3 -m venv failed (Debian: apt-get install python3-venv)"
        );
        let installed = Command::new(&python)
            .args(["-m", "pip", "install", "-q", requirement])
            .status()
            .expect("pip runs");
        assert!(installed.success(), "pip install {requirement} failed");
        std::fs::write(&marker, "").expect("marker");
    }
    venvs.push((requirement.to_owned(), python.clone()));
    python
}

/// Run one scenario of tests/sdk/conformance.py; its JSON report.
fn sdk(version: &'static str, server: &Server, scenario: &str, out: &Path) -> Value {
    script(python(version), "conformance.py", server, scenario, out)
}

/// Run one scenario of a script of tests/sdk/ with `python`; its JSON report.
fn script(python: PathBuf, file: &str, server: &Server, scenario: &str, out: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sdk")
        .join(file);
    let output = Command::new(python)
        .arg(script)
        .args([scenario, out.to_str().expect("utf-8")])
        .env("DASHSCOPE_WEBSOCKET_BASE_URL", &server.url)
        .env("TTS_SERVE_URL", &server.url)
        .env_remove("DASHSCOPE_API_KEY")
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "{scenario}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{scenario}: {e}: {stdout}"))
}

/// Decode with ffmpeg at the file's own rate: (rate, seconds).
fn decode(path: &str) -> (u32, f64) {
    let (rate, samples) = ffmpeg_decode(Path::new(path));
    (rate, samples.len() as f64 / f64::from(rate))
}

#[test]
fn sdk_call_with_the_default_format_gets_mp3_of_plausible_duration() {
    let server = Server::start(&[]);
    let out = tempfile::tempdir().expect("tempdir");
    let report = sdk("2.0.2", &server, "call_default", out.path());
    let (rate, seconds) = decode(report["file"].as_str().expect("file"));
    assert_eq!(rate, 22050, "Default means mp3 at 22050 Hz");
    assert!(
        (2.0..12.0).contains(&seconds),
        "{seconds:.2} s for two sentences"
    );
}

#[test]
fn sdk_call_with_a_callback_sees_open_events_data_complete_close() {
    let server = Server::start(&[]);
    let out = tempfile::tempdir().expect("tempdir");
    let report = sdk("2.0.2", &server, "call_callback", out.path());
    assert!(
        report["returned"].is_null(),
        "call() with a callback returns None"
    );
    let calls: Vec<&str> = report["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(calls.first(), Some(&"open"));
    assert_eq!(&calls[calls.len() - 2..], ["complete", "close"]);
    assert!(
        calls.contains(&"data") && calls.contains(&"event"),
        "{calls:?}"
    );
    assert!(
        report["bytes"].as_u64().expect("bytes") > 22050,
        "over half a second of PCM"
    );
}

#[test]
fn sdk_streaming_calls_are_spoken_sentence_by_sentence() {
    let server = Server::start(&[]);
    let out = tempfile::tempdir().expect("tempdir");
    let report = sdk("2.0.2", &server, "streaming", out.path());
    let sentences: Vec<&str> = report["sentences"]
        .as_array()
        .expect("sentences")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        sentences,
        ["流式文本，第二段。", "The third piece arrives in English."]
    );
    let pcm = std::fs::metadata(report["file"].as_str().expect("file"))
        .expect("file")
        .len();
    assert!(pcm > 2 * 22050, "{pcm} bytes of PCM");
    assert!(report["first_package_ms"].as_f64().expect("delay") > 0.0);
}

#[test]
fn sdk_object_pool_runs_three_tasks_on_one_connection() {
    let server = Server::start(&[]);
    let out = tempfile::tempdir().expect("tempdir");
    let report = sdk("2.0.2", &server, "pool", out.path());
    let sizes: Vec<u64> = report["sizes"]
        .as_array()
        .expect("sizes")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    assert_eq!(sizes.len(), 3);
    assert!(sizes.iter().all(|s| *s > 16_000), "{sizes:?}");
    assert_eq!(
        server.count("connection opened"),
        1,
        "one connection:\n{}",
        server.log()
    );
    assert_eq!(server.count("task finished"), 3);
}

#[test]
fn sdk_every_audio_format_decodes_at_its_declared_rate() {
    let server = Server::start(&[]);
    let out = tempfile::tempdir().expect("tempdir");
    let report = sdk("2.0.2", &server, "formats", out.path());
    let formats = report["formats"].as_array().expect("formats");
    assert_eq!(formats.len(), 29, "every AudioFormat but DEFAULT");
    let mut reference = None;
    for entry in formats {
        let (name, format, declared, file) = (
            entry["name"].as_str().expect("name"),
            entry["format"].as_str().expect("format"),
            u32::try_from(entry["rate"].as_u64().expect("rate")).expect("rate"),
            entry["file"].as_str().expect("file"),
        );
        let seconds = match format {
            "pcm" => {
                std::fs::metadata(file).expect("file").len() as f64 / 2.0 / f64::from(declared)
            }
            "opus" => {
                assert_eq!(opus_head_rate(Path::new(file)), declared, "{name}");
                decode(file).1
            }
            _ => {
                let (rate, seconds) = decode(file);
                assert_eq!(rate, declared, "{name}");
                seconds
            }
        };
        let reference = *reference.get_or_insert(seconds);
        assert!(
            (seconds - reference).abs() / reference < 0.1,
            "{name}: {seconds:.3} s against {reference:.3} s"
        );
    }
}

#[test]
fn sdk_word_timestamps_are_present_and_monotonic() {
    let server = Server::start(&[]);
    let out = tempfile::tempdir().expect("tempdir");
    let report = sdk("2.0.2", &server, "words", out.path());
    let words = report["words"].as_array().expect("words");
    assert!(words.len() >= 8, "{words:?}");
    let mut last = 0;
    for word in words {
        let (begin, end) = (
            word["begin_time"].as_u64().expect("begin"),
            word["end_time"].as_u64().expect("end"),
        );
        assert!(begin >= last && end >= begin, "{words:?}");
        assert!(!word["text"].as_str().expect("text").trim().is_empty());
        last = begin;
    }
}

#[test]
fn sdk_invalid_voice_raises_the_sdks_failure() {
    let server = Server::start(&[]);
    let out = tempfile::tempdir().expect("tempdir");
    let report = sdk("2.0.2", &server, "invalid_voice", out.path());
    assert_eq!(report["raised"], "RequestFailure", "{report}");
    assert!(
        report["message"].as_str().expect("message").contains("418"),
        "{report}"
    );
}

#[test]
fn sdk_1_24_10_basic_call_gets_its_wav() {
    let server = Server::start(&[]);
    let out = tempfile::tempdir().expect("tempdir");
    let report = sdk("1.24.10", &server, "basic_call", out.path());
    let (rate, seconds) = decode(report["file"].as_str().expect("file"));
    assert_eq!(rate, 16000);
    assert!((2.0..12.0).contains(&seconds), "{seconds:.2} s");
}

#[test]
fn sdk_client_audio_tts_synthesize_gets_its_wav() {
    let server = Server::start(&[]);
    let out = tempfile::tempdir().expect("tempdir");
    let report = sdk("2.0.2", &server, "client_synthesize", out.path());
    let (rate, seconds) = decode(report["file"].as_str().expect("file"));
    assert_eq!(rate, 24000);
    assert!((2.0..12.0).contains(&seconds), "{seconds:.2} s");
}

#[test]
fn sdk_client_audio_tts_session_streams_text_in_pieces() {
    let server = Server::start(&[]);
    let out = tempfile::tempdir().expect("tempdir");
    let report = sdk("2.0.2", &server, "client_session", out.path());
    let sentences: Vec<&str> = report["sentences"]
        .as_array()
        .expect("sentences")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        sentences,
        ["First piece, then the rest of it.", "A second sentence."],
        "{report}"
    );
    let pcm = std::fs::metadata(report["file"].as_str().expect("file"))
        .expect("file")
        .len();
    assert!(pcm > 16_000 * 2, "{pcm} bytes: over a second of 16 kHz PCM");
}

#[test]
fn dashscope_realtime_speaks_and_disconnects_without_an_error() {
    let server = Server::start(&[]);
    let out = tempfile::tempdir().expect("tempdir");
    let python = venv("dashscope-realtime==0.1.8", "dashscope-realtime-0.1.8");
    let report = script(
        python,
        "third_party.py",
        &server,
        "dashscope_realtime",
        out.path(),
    );
    assert_eq!(report["errors"], serde_json::json!([]), "{report}");
    assert_eq!(report["ended"], 1, "{report}");
    let pcm = report["bytes"].as_u64().expect("bytes");
    assert!(pcm > 16_000 * 2, "{pcm} bytes: over a second of 16 kHz PCM");
    assert_eq!(server.count("task finished"), 1, "{}", server.log());
}
