//! Conformance of `tts serve`'s OpenAI speech API with the official `openai` Python package,
//! installed from PyPI at a pinned version into a virtual environment made here. Outputs are
//! decoded with ffmpeg and checked at the rate each format declares.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::common::{ServeProcess, ffmpeg_decode, opus_head_rate};
use crate::fake_qwen::{Script as QwenScript, Scripted};
use crate::fake_server::{FakeServer, Script};
use crate::sdk::venv;

const KEY: &str = "sk-local-test";
/// OpenAI documents `pcm` as 24 kHz 16-bit mono; every format is made at that rate.
const RATE: u32 = 24_000;

fn python() -> PathBuf {
    venv("openai==3.57.0", "openai-3.57.0")
}

fn command(server: &ServeProcess, scenario: &str, out: &Path) -> Command {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/openai_speech.py");
    let mut command = Command::new(python());
    command
        .arg(script)
        .args([scenario, out.to_str().expect("utf-8")])
        .env(
            "TTS_OPENAI_BASE_URL",
            format!("http://{}/v1", server.authority()),
        )
        .env("TTS_OPENAI_KEY", KEY)
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL");
    command
}

fn run(server: &ServeProcess, scenario: &str, out: &Path) -> Value {
    let output = command(server, scenario, out)
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

fn server() -> ServeProcess {
    ServeProcess::start(&["--api-key", KEY])
}

/// Seconds of audio in a file, decoded by ffmpeg, which must find it at `RATE`.
fn seconds(path: &str) -> f64 {
    let (rate, samples) = ffmpeg_decode(Path::new(path));
    assert_eq!(rate, RATE, "{path}");
    samples.len() as f64 / f64::from(rate)
}

#[test]
fn openai_sdk_gets_every_format_at_24_khz_and_a_clear_400_for_the_others() {
    let server = server();
    let out = tempfile::tempdir().expect("tempdir");
    let report = run(&server, "formats", out.path());
    let mut durations = Vec::new();
    for entry in report["formats"].as_array().expect("formats") {
        let (format, file, content_type) = (
            entry["format"].as_str().expect("format"),
            entry["file"].as_str().expect("file"),
            entry["content_type"].as_str().expect("content type"),
        );
        let duration = match format {
            "pcm" => {
                let bytes = std::fs::read(file).expect("file");
                assert_eq!(bytes.len() % 2, 0, "whole 16-bit samples");
                let samples: Vec<i16> = bytes
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect();
                assert!(
                    samples.iter().any(|s| s.unsigned_abs() > 1000),
                    "pcm is speech, not silence"
                );
                assert_eq!(content_type, "audio/pcm");
                samples.len() as f64 / f64::from(RATE)
            }
            "opus" => {
                assert_eq!(opus_head_rate(Path::new(file)), RATE);
                assert_eq!(content_type, "audio/ogg");
                // ffmpeg decodes Opus at 48 kHz whatever the input rate was.
                let (rate, samples) = ffmpeg_decode(Path::new(file));
                samples.len() as f64 / f64::from(rate)
            }
            "mp3" => {
                assert_eq!(content_type, "audio/mpeg");
                seconds(file)
            }
            "wav" => {
                assert_eq!(content_type, "audio/wav");
                seconds(file)
            }
            "flac" => {
                assert_eq!(content_type, "audio/flac");
                assert_eq!(&std::fs::read(file).expect("flac")[..4], b"fLaC");
                let (rate, samples) = ffmpeg_decode(Path::new(file));
                assert_eq!(rate, RATE, "{file}");
                assert!(
                    samples.iter().any(|s| s.unsigned_abs() > 1000),
                    "flac is speech, not silence"
                );
                samples.len() as f64 / f64::from(rate)
            }
            other => panic!("unexpected format {other}"),
        };
        durations.push((format.to_owned(), duration));
    }
    assert_eq!(durations.len(), 5, "{durations:?}");
    let (_, wav) = durations
        .iter()
        .find(|(f, _)| f == "wav")
        .expect("wav")
        .clone();
    assert!(
        (3.0..8.0).contains(&wav),
        "{wav:.2} s for two short sentences"
    );
    for (format, duration) in &durations {
        assert!(
            (duration - wav).abs() < 0.15,
            "{format} lasts {duration:.2} s, wav {wav:.2} s"
        );
    }
    let refused = report["refused"].as_array().expect("refused");
    assert_eq!(refused.len(), 1, "aac alone is refused: {refused:?}");
    for refused in refused {
        assert_eq!(refused["class"], "BadRequestError", "{refused}");
        assert_eq!(refused["status"], 400);
        assert_eq!(refused["param"], "response_format");
        let message = refused["message"].as_str().expect("message");
        assert!(
            message.contains(refused["format"].as_str().expect("format"))
                && message.contains("mp3, opus, wav, pcm, flac"),
            "{message}"
        );
    }
}

#[test]
fn openai_sdk_streams_a_long_input_before_its_synthesis_ends() {
    let server = server();
    let out = tempfile::tempdir().expect("tempdir");
    let mut child = command(&server, "streaming", out.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("a line");
    assert_eq!(line.trim(), "FIRST", "the client got a first chunk");
    // The client holds the first chunk and reads no more: a server that synthesized the whole
    // input before answering would have finished it by now.
    assert_eq!(
        server.count("speech finished"),
        0,
        "the first chunk came only after synthesis ended:\n{}",
        server.log()
    );
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"go\n")
        .expect("go");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).expect("report");
    let output = child.wait_with_output().expect("python ends");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(rest.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {rest}"));
    assert_eq!(report["transfer_encoding"], "chunked");
    assert_eq!(report["content_type"], "audio/pcm");
    let bytes = report["bytes"].as_u64().expect("bytes");
    let seconds = bytes as f64 / 2.0 / f64::from(RATE);
    assert!(seconds > 100.0, "{seconds:.1} s of audio for 50 sentences");
    assert_eq!(server.count("speech finished"), 1);
}

#[test]
fn openai_sdk_speed_changes_the_duration() {
    let server = server();
    let out = tempfile::tempdir().expect("tempdir");
    let report = run(&server, "speed", out.path());
    let at = |s: &str| seconds(report["files"][s].as_str().expect("file"));
    let (slow, normal, fast) = (at("0.5"), at("1.0"), at("2.0"));
    assert!(
        slow > normal * 1.6 && fast < normal * 0.6,
        "0.5x {slow:.2} s, 1x {normal:.2} s, 2x {fast:.2} s"
    );
    let refused = &report["out_of_range"];
    assert_eq!(refused["status"], 400, "{refused}");
    assert_eq!(refused["param"], "speed");
}

#[test]
fn openai_sdk_raises_on_an_unknown_voice_a_wrong_key_and_a_long_input() {
    let server = server();
    let out = tempfile::tempdir().expect("tempdir");
    let report = run(&server, "errors", out.path());
    let voice = &report["unknown_voice"];
    assert_eq!(voice["class"], "BadRequestError", "{voice}");
    assert_eq!(voice["param"], "voice");
    assert!(
        voice["message"]
            .as_str()
            .is_some_and(|m| m.contains("no-such-voice") && m.contains("alloy")),
        "{voice}"
    );
    let key = &report["wrong_key"];
    assert_eq!(key["class"], "AuthenticationError", "{key}");
    assert_eq!(key["status"], 401);
    assert_eq!(key["code"], "invalid_api_key");
    assert!(
        !server.log().contains("sk-wrong") && !server.log().contains(KEY),
        "no key in the log"
    );
    let long = &report["too_long"];
    assert_eq!(long["status"], 400, "{long}");
    assert_eq!(long["param"], "input");
    let model = &report["unknown_model"];
    assert_eq!(model["code"], "model_not_found", "{model}");
    assert_eq!(
        report["models"],
        serde_json::json!(["gpt-4o-mini-tts", "tts-1", "tts-1-hd"])
    );
}

#[test]
fn openai_sdk_through_the_gateway_gets_exactly_the_audio_the_service_sent() {
    const UPSTREAM_KEY: &str = "sk-upstream-secret-1234";
    let upstream = FakeServer::start(Script::Happy);
    let server = ServeProcess::start_with_env(
        &["--api-key", KEY, "--upstream", &upstream.url()],
        &[("DASHSCOPE_API_KEY", UPSTREAM_KEY)],
    );
    let out = tempfile::tempdir().expect("tempdir");
    let report = run(&server, "gateway", out.path());
    let record = upstream.record();
    // Two tasks (mp3 then pcm), each on its own connection, with our key and the client's words.
    let runs = record.actions("run-task");
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[0]["payload"]["model"], "cosyvoice-v3-flash");
    assert_eq!(runs[0]["payload"]["parameters"]["voice"], "longanyang");
    assert_eq!(runs[0]["payload"]["parameters"]["format"], "mp3");
    assert_eq!(runs[1]["payload"]["parameters"]["format"], "pcm");
    assert_eq!(runs[1]["payload"]["parameters"]["sample_rate"], RATE);
    assert_eq!(
        record.texts().concat(),
        format!(
            "{}{}",
            "The quick brown fox jumps over the lazy dog. It was a bright and sunny morning.",
            "The quick brown fox jumps over the lazy dog. It was a bright and sunny morning."
        ),
        "the text the service received is the input"
    );
    for handshake in &record.handshakes {
        let auth = handshake
            .iter()
            .find(|(name, _)| name == "authorization")
            .map(|(_, v)| v.as_str());
        assert_eq!(auth, Some(format!("Bearer {UPSTREAM_KEY}").as_str()));
    }
    // Exactly the service's bytes, in order, across the two requests.
    let mp3 = std::fs::read(report["mp3"]["file"].as_str().expect("file")).expect("mp3");
    let pcm = std::fs::read(report["pcm"]["file"].as_str().expect("file")).expect("pcm");
    assert!(!mp3.is_empty() && !pcm.is_empty());
    assert_eq!(
        [mp3, pcm].concat(),
        record.audio,
        "the service's audio, untouched"
    );
    let voice = &report["wrong_model_voice"];
    assert_eq!(voice["status"], 400, "{voice}");
    assert_eq!(voice["param"], "voice");
    assert_eq!(report["wrong_key"]["status"], 401);
    assert_eq!(
        upstream.record().actions("run-task").len(),
        2,
        "refused requests never reach the service"
    );
    let everything = format!("{report}{}", server.log());
    assert!(
        !everything.contains(UPSTREAM_KEY),
        "the upstream key is never shown to clients or logged"
    );
}

#[test]
fn openai_sdk_through_the_gateway_gets_flac_of_exactly_the_pcm_the_service_sent() {
    let upstream = FakeServer::start(Script::Happy);
    let server = ServeProcess::start_with_env(
        &["--api-key", KEY, "--upstream", &upstream.url()],
        &[("DASHSCOPE_API_KEY", "sk-upstream-secret-flac")],
    );
    let out = tempfile::tempdir().expect("tempdir");
    let report = run(&server, "gateway_flac", out.path());
    let record = upstream.record();
    // The service cannot make FLAC: both requests (plain, then SSE) asked it for 24 kHz PCM.
    let runs = record.actions("run-task");
    assert_eq!(runs.len(), 2, "{runs:?}");
    for run in &runs {
        assert_eq!(run["payload"]["parameters"]["format"], "pcm", "{run}");
        assert_eq!(run["payload"]["parameters"]["sample_rate"], RATE, "{run}");
    }
    let plain = &report["plain"];
    assert_eq!(plain["headers"]["content-type"], "audio/flac", "{plain}");
    assert_eq!(plain["headers"]["transfer-encoding"], "chunked", "{plain}");
    let sse = &report["sse"];
    assert_eq!(sse["content_type"], "text/event-stream", "{sse}");
    let events = sse["events"].as_array().expect("events");
    assert!(
        events.len() >= 3 && events.last().is_some_and(|e| e == "speech.audio.done"),
        "audio deltas, then done: {events:?}"
    );
    let mut heard = Vec::new();
    for file in [&plain["file"], &sse["file"]] {
        let file = PathBuf::from(file.as_str().expect("file"));
        assert_eq!(&std::fs::read(&file).expect("flac")[..4], b"fLaC");
        let (rate, samples) = ffmpeg_decode(&file);
        assert_eq!(rate, RATE, "{}", file.display());
        assert!(!samples.is_empty(), "{}", file.display());
        heard.extend(samples);
    }
    let served: Vec<i16> = record
        .audio
        .chunks_exact(2)
        .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    assert_eq!(
        heard.len(),
        served.len(),
        "as many samples as the service served"
    );
    assert!(
        heard == served,
        "the FLAC holds exactly the service's samples"
    );
}

#[test]
fn openai_sdk_through_the_gateway_speaks_qwen_models_over_the_realtime_protocol() {
    // 0.1 s of a tone per response, so every format has audio to carry.
    const SAMPLES: usize = 2400;
    let upstream = Scripted::with_samples(QwenScript::Happy, SAMPLES);
    let server = ServeProcess::start_with_env(
        &["--api-key", KEY, "--upstream", &upstream.url],
        &[("DASHSCOPE_API_KEY", "sk-upstream-secret-qwen")],
    );
    let out = tempfile::tempdir().expect("tempdir");
    let report = run(&server, "gateway_qwen", out.path());
    let events = upstream.events();
    let of = |conn: usize, kind: &str| -> Vec<Value> {
        events
            .iter()
            .filter(|(c, e)| *c == conn && e["type"] == kind)
            .map(|(_, e)| e.clone())
            .collect()
    };
    let text = "The quick brown fox jumps over the lazy dog. It was a bright and sunny morning.";
    // One session per request, in order: mp3, pcm, wav, opus.
    for (conn, format, asked) in [
        (1, "mp3", "mp3"),
        (2, "pcm", "pcm"),
        (3, "wav", "pcm"),
        (4, "opus", "pcm"),
    ] {
        let update = &of(conn, "session.update")[0]["session"];
        assert_eq!(update["response_format"], asked, "{format}: {update}");
        assert_eq!(update["sample_rate"], RATE, "{format}");
        assert_eq!(update["mode"], "commit", "{format}");
        let appended: String = of(conn, "input_text_buffer.append")
            .iter()
            .filter_map(|e| e["text"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(
            appended, text,
            "{format}: the service got the input, sentence by sentence"
        );
        assert_eq!(
            of(conn, "input_text_buffer.commit").len(),
            2,
            "{format}: a response per sentence"
        );
        assert_eq!(of(conn, "session.finish").len(), 1, "{format}");
    }
    assert_eq!(of(1, "session.update")[0]["session"]["voice"], "Cherry");
    assert_eq!(of(2, "session.update")[0]["session"]["speech_rate"], 1.25);
    let nova = of(3, "session.update")[0]["session"]["voice"]
        .as_str()
        .expect("voice")
        .to_owned();
    assert_eq!(
        tts::catalog::find(&nova).map(|v| v.gender),
        Some("female"),
        "nova is spoken by a female system voice, not {nova}"
    );
    let file = |format: &str| PathBuf::from(report[format]["file"].as_str().expect("file"));
    // MP3 and PCM are the service's own bytes; WAV and Opus are made here from its PCM, as one
    // stream (the service would send one stream per sentence).
    assert_eq!(std::fs::read(file("mp3")).expect("mp3"), upstream.audio(1));
    assert_eq!(std::fs::read(file("pcm")).expect("pcm"), upstream.audio(2));
    let (rate, samples) = ffmpeg_decode(&file("wav"));
    assert_eq!(rate, RATE);
    let served: Vec<i16> = upstream
        .audio(3)
        .chunks_exact(2)
        .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    assert_eq!(
        samples, served,
        "the WAV holds exactly the service's samples"
    );
    assert_eq!(opus_head_rate(&file("opus")), RATE);
    // ffmpeg decodes Opus at its own rate: compare durations.
    let (opus_rate, opus) = ffmpeg_decode(&file("opus"));
    let heard = opus.len() as f64 / f64::from(opus_rate);
    let served = (2 * SAMPLES) as f64 / f64::from(RATE);
    assert!(
        (heard - served).abs() < 0.04,
        "{heard:.3} s of Opus for {served:.3} s served"
    );
    assert_eq!(report["mp3"]["content_type"], "audio/mpeg");
    assert_eq!(report["opus"]["content_type"], "audio/ogg");
    let instructions = &report["instructions"];
    assert_eq!(instructions["status"], 400, "{instructions}");
    assert_eq!(instructions["param"], "instructions");
    assert!(
        instructions["message"]
            .as_str()
            .is_some_and(|m| m.contains("qwen3-tts-instruct-flash-realtime")),
        "{instructions}"
    );
    assert_eq!(report["http_only_model"]["param"], "model", "{report}");
    assert_eq!(
        upstream.connections(),
        4,
        "refused requests never reach the service"
    );
    assert!(!format!("{report}{}", server.log()).contains("sk-upstream-secret-qwen"));
}

#[test]
fn openai_sdk_sse_events_carry_as_much_audio_as_the_plain_stream() {
    let server = server();
    let out = tempfile::tempdir().expect("tempdir");
    let report = run(&server, "sse", out.path());
    assert_eq!(report["content_type"], "text/event-stream");
    let events: Vec<&str> = report["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(events.len() >= 2, "{events:?}");
    assert_eq!(events.last(), Some(&"speech.audio.done"));
    assert!(
        events[..events.len() - 1]
            .iter()
            .all(|e| *e == "speech.audio.delta"),
        "{events:?}"
    );
    // espeak-ng's noise sources differ from run to run, so the audio is compared by length: the
    // same sentences at the same rate, within a hundredth of a second.
    let (sse, plain) = (
        report["bytes"].as_u64().expect("bytes"),
        report["plain_bytes"].as_u64().expect("bytes"),
    );
    assert_eq!(sse % 2, 0, "whole samples");
    assert!(sse > 2 * 2 * u64::from(RATE), "{sse} bytes");
    assert!(
        sse.abs_diff(plain) < 2 * u64::from(RATE) / 100,
        "SSE {sse} bytes, plain {plain} bytes"
    );
}

/// One raw HTTP/1.1 exchange: (status line and headers, body).
fn exchange(server: &ServeProcess, request: &[u8]) -> (String, String) {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(server.authority()).expect("connect");
    stream.write_all(request).expect("write");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (head.to_ascii_lowercase(), body.to_owned())
}

fn preflight(server: &ServeProcess) -> String {
    exchange(
        server,
        b"OPTIONS /v1/audio/speech HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example\r\n\
          Access-Control-Request-Method: POST\r\n\
          Access-Control-Request-Headers: authorization, content-type\r\nConnection: close\r\n\r\n",
    )
    .0
}

#[test]
fn browsers_are_allowed_only_from_the_cors_origin() {
    let closed = server();
    assert!(
        !preflight(&closed).contains("access-control-allow-origin"),
        "CORS is off by default"
    );
    let open = ServeProcess::start(&["--api-key", KEY, "--cors", "https://app.example"]);
    let head = preflight(&open);
    assert!(
        head.contains("access-control-allow-origin: https://app.example"),
        "{head}"
    );
    assert!(head.contains("authorization"), "{head}");
}

#[test]
fn a_body_over_the_limit_is_refused_in_openai_shape() {
    let server = server();
    let input = "a".repeat(100_000);
    let body = format!(r#"{{"model":"tts-1","voice":"alloy","input":"{input}"}}"#);
    let request = format!(
        "POST /v1/audio/speech HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let (head, body) = exchange(&server, request.as_bytes());
    assert!(head.starts_with("http/1.1 413"), "{head}");
    let error: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(error["error"]["param"], "body", "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("65536")),
        "{error}"
    );
}

#[test]
fn a_service_failure_before_any_audio_is_a_502_the_client_raises() {
    let upstream = FakeServer::start(Script::FailOn("run-task"));
    let server = ServeProcess::start_with_env(
        &["--api-key", KEY, "--upstream", &upstream.url()],
        &[("DASHSCOPE_API_KEY", "sk-upstream-secret-5678")],
    );
    let out = tempfile::tempdir().expect("tempdir");
    let report = run(&server, "gateway_failure", out.path());
    let raised = &report["raised"];
    assert_eq!(raised["status"], 502, "{raised}");
    assert_eq!(raised["type"], "server_error");
    assert!(
        !raised.to_string().contains("sk-upstream-secret-5678"),
        "{raised}"
    );
    assert_eq!(upstream.record().actions("run-task").len(), 1);
    // The service's own words reach the client; the server's address and flags do not.
    let message = raised["message"].as_str().unwrap_or_default();
    assert!(message.contains("InvalidParameter"), "{message}");
    let address = upstream.url();
    let authority = address
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .unwrap_or_default();
    assert!(
        !message.contains(authority) && !message.contains("--"),
        "{message}"
    );
    // A key the service refuses is the operator's to fix, and where it came from stays private.
    let refusing = FakeServer::start(Script::Reject(401));
    let server = ServeProcess::start_with_env(
        &["--api-key", KEY, "--upstream", &refusing.url()],
        &[("DASHSCOPE_API_KEY", "sk-upstream-secret-5678")],
    );
    let report = run(&server, "gateway_failure", out.path());
    let message = report["raised"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(report["raised"]["status"], 502, "{report}");
    assert!(message.contains("operator"), "{message}");
    assert!(!message.contains("DASHSCOPE_API_KEY"), "{message}");
}

#[test]
fn gateway_flags_are_checked_before_listening() {
    let home = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        crate::common::tts(home.path())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .output()
            .expect("tts runs")
    };
    let no_key = run(&["--upstream"]);
    assert_eq!(no_key.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_key.stderr).contains("no DashScope API key"));
    let plain = run(&["--upstream", "ws://example.com/api-ws/v1/inference"]);
    assert_eq!(plain.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&plain.stderr).contains("use wss://"));
    // A path or query neither engine's URL can be derived from.
    for odd in [
        "wss://proxy.example.com/tts",
        "wss://dashscope-intl.aliyuncs.com/api-ws/v1/inference?model=x",
    ] {
        let refused = run(&["--upstream", odd]);
        let err = String::from_utf8_lossy(&refused.stderr).into_owned();
        assert_eq!(refused.status.code(), Some(2), "{odd}: {err}");
        assert!(err.contains("/api-ws/v1/realtime"), "{odd}: {err}");
    }
    let cors = run(&["--cors", "*"]);
    assert_eq!(cors.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&cors.stderr).contains("--cors"));
}
