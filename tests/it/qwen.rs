//! Qwen-TTS-Realtime: our client against our server (`tts serve`) in every format, streaming
//! stdin, Ctrl-C and `tts convert`; bad input refused before any connection; and a scripted
//! server for what ours never does (error events, early closes, refused keys).

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::common::{ServeProcess, ffmpeg_decode, interrupt, tts};
use crate::fake_qwen::{Script, Scripted};

const MODEL: &str = "qwen3-tts-flash-realtime";
const TEXT: &str = "Our client speaks Qwen to our server. Every format works, at every rate!";

/// The bare `ws://HOST:PORT` of a server (each engine adds its own path).
fn base(server: &ServeProcess) -> String {
    let rest = server.url.trim_start_matches("ws://");
    format!("ws://{}", rest.split('/').next().unwrap_or(rest))
}

fn say(server: &ServeProcess, args: &[&str]) -> Output {
    tts(server.home.path())
        .env("DASHSCOPE_API_KEY", "sk-any")
        .args(["say", "-m", MODEL, "--endpoint", &base(server)])
        .args(args)
        .output()
        .expect("tts say runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Seconds of audio in `path` (decoded by ffmpeg at the rate it declares), and that rate.
fn seconds(path: &Path, format: &str, rate: u32) -> (u32, f64) {
    if format == "pcm" {
        let bytes = std::fs::metadata(path).expect("file").len();
        return (rate, bytes as f64 / 2.0 / f64::from(rate));
    }
    let (decoded, samples) = ffmpeg_decode(path);
    (decoded, samples.len() as f64 / f64::from(decoded))
}

#[test]
fn say_writes_every_format_at_every_rate_in_both_modes() {
    let server = ServeProcess::start(&[]);
    let mut reference = None;
    for mode in ["commit", "server-commit"] {
        for format in ["pcm", "wav", "mp3", "opus"] {
            for rate in [8000u32, 16000, 24000, 48000] {
                let out = server.path(&format!("out-{mode}-{rate}.{format}"));
                let output = say(
                    &server,
                    &[
                        "--qwen-mode",
                        mode,
                        "-o",
                        &out,
                        "--sample-rate",
                        &rate.to_string(),
                        TEXT,
                    ],
                );
                assert!(
                    output.status.success(),
                    "{mode} {format} {rate}: {}",
                    stderr(&output)
                );
                let (decoded, seconds) = seconds(Path::new(&out), format, rate);
                if format != "opus" {
                    // Ogg Opus always decodes at 48 kHz; its header records the input rate.
                    assert_eq!(decoded, rate, "{mode} {format}");
                }
                let reference = *reference.get_or_insert(seconds);
                assert!(
                    seconds > 2.0 && (seconds - reference).abs() / reference < 0.08,
                    "{mode} {format} {rate}: {seconds:.3} s vs {reference:.3} s"
                );
            }
        }
    }
    // Two sentences: two responses, each a stream of its own, joined into one file.
    assert!(server.count("responses=2") >= 32, "{}", server.log());
}

#[test]
fn stdout_and_timing_report_the_session_the_responses_and_the_billed_characters() {
    let server = ServeProcess::start(&[]);
    let output = say(&server, &["--timing", "-o", "-", "你好。Hi there."]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stdout.starts_with(b"RIFF"), "WAV on stdout");
    let err = stderr(&output);
    let timing = err
        .lines()
        .find(|l| l.starts_with("tts: timing:"))
        .expect("a timing line");
    // 你好 count 2 each; "。Hi there." 10 more.
    assert!(timing.contains("14 characters billed"), "{timing}");
    assert!(timing.contains("session sess_"), "{timing}");
    assert_eq!(timing.matches("resp_").count(), 2, "{timing}");
    assert!(timing.contains("first package"), "{timing}");
}

#[test]
fn a_slow_stdin_writer_is_heard_before_the_input_ends() {
    let server = ServeProcess::start(&[]);
    let mut child = tts(server.home.path())
        .env("DASHSCOPE_API_KEY", "sk-any")
        .args([
            "say",
            "-m",
            MODEL,
            "--endpoint",
            &base(&server),
            "-o",
            "-",
            "--format",
            "pcm",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    let (bytes_tx, bytes) = std::sync::mpsc::channel::<usize>();
    let reader = std::thread::spawn(move || {
        use std::io::Read;
        let mut buffer = [0u8; 4096];
        let mut total = 0;
        while let Ok(n) = stdout.read(&mut buffer) {
            if n == 0 {
                break;
            }
            total += n;
            let _ = bytes_tx.send(n);
        }
        total
    });
    stdin
        .write_all(b"The first sentence comes alone. ")
        .expect("write");
    stdin.flush().expect("flush");
    // Audio of the first sentence arrives while stdin is still open.
    let first = bytes
        .recv_timeout(Duration::from_secs(20))
        .expect("audio before the input ended");
    assert!(first > 0);
    stdin
        .write_all(b"The second one follows later.\n")
        .expect("write");
    drop(stdin);
    let status = child.wait().expect("exits");
    assert!(status.success());
    let total = reader.join().expect("reader");
    assert!(
        total as f64 / 2.0 / 24000.0 > 2.0,
        "both sentences: {total} bytes"
    );
}

#[test]
fn ctrl_c_exits_130_and_keeps_a_valid_file() {
    let server = ServeProcess::start(&[]);
    for format in ["wav", "mp3", "opus"] {
        let path = server.path(&format!("interrupted.{format}"));
        let mut child = tts(server.home.path())
            .env("DASHSCOPE_API_KEY", "sk-any")
            .args([
                "say",
                "-m",
                MODEL,
                "--endpoint",
                &base(&server),
                "-o",
                &path,
            ])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(
                b"The first sentence arrives, and the writer then goes quiet for a long while.\n",
            )
            .expect("write");
        stdin.flush().expect("flush");
        let dir = server.home.path().to_owned();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let grown = std::fs::read_dir(&dir)
                .expect("dir")
                .filter_map(Result::ok)
                .any(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.ends_with(".part")
                        && name.contains(format)
                        && e.metadata()
                            .is_ok_and(|m| m.len() > if format == "wav" { 48_000 } else { 8000 })
                });
            if grown {
                break;
            }
            assert!(Instant::now() < deadline, "{format}: no audio was written");
            std::thread::sleep(Duration::from_millis(10));
        }
        interrupt(&child);
        let output = child.wait_with_output().expect("exits");
        drop(stdin);
        assert_eq!(
            output.status.code(),
            Some(130),
            "{format}: {}",
            stderr(&output)
        );
        let (_, seconds) = seconds(Path::new(&path), format, 24000);
        assert!(
            seconds > 0.3,
            "{format}: the audio so far is kept: {seconds:.2} s"
        );
    }
}

#[test]
fn convert_writes_every_format_over_one_session_per_job() {
    let server = ServeProcess::start(&[]);
    let dir = server.home.path();
    let inputs: Vec<String> = ["one", "two", "three"]
        .iter()
        .map(|name| {
            let path = dir.join(format!("{name}.txt"));
            std::fs::write(
                &path,
                format!("This is file {name}. It has two sentences.\n"),
            )
            .expect("write");
            path.to_string_lossy().into_owned()
        })
        .collect();
    for format in ["pcm", "wav", "mp3", "opus"] {
        let out = dir.join(format!("out-{format}"));
        let output = tts(dir)
            .env("DASHSCOPE_API_KEY", "sk-any")
            .args([
                "convert",
                "-m",
                MODEL,
                "--endpoint",
                &base(&server),
                "-j",
                "1",
                "--format",
                format,
            ])
            .arg("-d")
            .arg(&out)
            .args(&inputs)
            .output()
            .expect("convert runs");
        let err = stderr(&output);
        assert!(output.status.success(), "{format}: {err}");
        assert!(
            err.contains("3 converted") && err.contains("over 1 connection"),
            "{format}: {err}"
        );
        for name in ["one", "two", "three"] {
            let path = out.join(format!("{name}.{format}"));
            let (_, seconds) = seconds(&path, format, 24000);
            assert!(seconds > 1.5, "{format} {name}: {seconds:.2} s");
        }
    }
    // server_commit: the service chooses the segments, so each file is a session of its own.
    let output = tts(dir)
        .env("DASHSCOPE_API_KEY", "sk-any")
        .args([
            "convert",
            "-m",
            MODEL,
            "--endpoint",
            &base(&server),
            "-j",
            "1",
            "--qwen-mode",
            "server-commit",
        ])
        .arg("-d")
        .arg(dir.join("out-server-commit"))
        .args(&inputs)
        .output()
        .expect("convert runs");
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains("3 converted") && err.contains("over 3 connections"),
        "{err}"
    );
}

/// A listener that counts the connections made to it.
struct Watch {
    listener: TcpListener,
}

impl Watch {
    fn new() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        Self { listener }
    }

    fn url(&self) -> String {
        format!("ws://{}", self.listener.local_addr().expect("addr"))
    }

    fn connections(&self) -> usize {
        std::iter::from_fn(|| self.listener.accept().ok()).count()
    }
}

#[test]
fn bad_input_is_refused_before_any_connection_with_one_line_naming_the_fix() {
    let watch = Watch::new();
    let home = tempfile::tempdir().expect("tempdir");
    let cases: &[(&[&str], &str)] = &[
        (
            &["-e", "qwen", "-m", "qwen3-tts-fast-realtime"],
            "use qwen3-tts-flash-realtime",
        ),
        (&["-m", MODEL, "-v", "Chery"], "did you mean Cherry"),
        (
            &["-m", MODEL, "-v", "longanyang"],
            "tts voices --model qwen3-tts-flash-realtime",
        ),
        (
            &["-m", "qwen3-tts-vc-realtime-2026-01-15", "-v", "Cherry"],
            "-m qwen3-tts-flash-realtime",
        ),
        (&["-m", "qwen3-tts-vd-realtime-2026-01-15"], "add -v"),
        (
            &["-m", "qwen-tts-realtime", "-v", "Kiki"],
            "use -m qwen3-tts-flash-realtime",
        ),
        (
            &["-m", "qwen3-tts-flash-realtime-2025-09-18", "-v", "Momo"],
            "use -m qwen3-tts-flash-realtime",
        ),
        (&["-m", MODEL, "-r", "2.5"], "0.5 to 2.0"),
        (&["-m", MODEL, "--volume", "101"], "0 to 100"),
        (&["-m", MODEL, "--pitch", "0.1"], "0.5 to 2.0"),
        (
            &["-m", MODEL, "-o", "x.wav", "--sample-rate", "22050"],
            "8000, 16000, 24000 or 48000",
        ),
        (&["-m", MODEL, "--language", "xx"], "auto, zh, en"),
        (
            &["-m", MODEL, "--instruction", "Speak softly"],
            "-m qwen3-tts-instruct-flash-realtime",
        ),
        (
            &["-m", MODEL, "--optimize-instructions"],
            "add --instruction",
        ),
        (
            &["-m", MODEL, "--seed", "3"],
            "honoured by the cosyvoice engine",
        ),
        (&["-e", "cosyvoice", "-m", MODEL], "use -e qwen"),
        (
            &["-e", "qwen", "-m", "cosyvoice-v3-flash"],
            "-m qwen3-tts-flash-realtime",
        ),
        (&["-m", MODEL, "-o", "x.mp3", "--bit-rate", "64"], "opus"),
    ];
    for (args, fix) in cases {
        let output = tts(home.path())
            .current_dir(home.path())
            .env("DASHSCOPE_API_KEY", "sk-any")
            .args(["say", "--endpoint", &watch.url()])
            .args(*args)
            .arg("Hello.")
            .output()
            .expect("runs");
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line: {err}");
        assert!(err.contains(fix), "{args:?}: {err}");
    }
    assert_eq!(watch.connections(), 0, "nothing connected");
    // The instruct model takes an instruction.
    let output = tts(home.path())
        .current_dir(home.path())
        .env("DASHSCOPE_API_KEY", "sk-any")
        .args([
            "say",
            "--endpoint",
            &watch.url(),
            "-m",
            "qwen3-tts-instruct-flash-realtime",
        ])
        .args([
            "--instruction",
            "Speak softly",
            "--connect-timeout",
            "0.5",
            "-o",
            "x.wav",
            "Hi.",
        ])
        .output()
        .expect("runs");
    assert_ne!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn voices_lists_the_qwen_system_voices_for_a_model_and_its_snapshots() {
    let home = tempfile::tempdir().expect("tempdir");
    let ids = |model: &str| -> Vec<String> {
        let output = tts(home.path())
            .args(["voices", "--model", model, "--json"])
            .output()
            .expect("runs");
        let voices: Value = serde_json::from_slice(&output.stdout).expect("json");
        voices
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|v| v["voice"].as_str().map(str::to_owned))
            .collect()
    };
    let alias = ids(MODEL);
    assert!(
        alias.len() > 40 && alias.iter().any(|v| v == "Cherry"),
        "{alias:?}"
    );
    // A snapshot with a list of its own, and one without (its alias's voices).
    assert_eq!(ids("qwen3-tts-flash-realtime-2025-09-18").len(), 17);
    assert_eq!(ids("qwen3-tts-flash-realtime-2025-11-27"), alias);
    assert_eq!(
        ids("qwen-tts-realtime"),
        ["Cherry", "Serena", "Ethan", "Chelsie"]
    );
}

fn scripted_say(server: &Scripted, home: &Path, args: &[&str]) -> Command {
    let mut command = tts(home);
    command
        .current_dir(home)
        .env("DASHSCOPE_API_KEY", "sk-test-key")
        .args([
            "say",
            "-m",
            MODEL,
            "--endpoint",
            &server.url,
            "-o",
            "out.pcm",
        ])
        .args(args);
    command
}

#[test]
fn the_appended_text_joined_equals_the_input_and_each_sentence_is_committed() {
    let server = Scripted::start(Script::Happy);
    let home = tempfile::tempdir().expect("tempdir");
    let text = "  First sentence here.  Second one, with spaces!\nThird line without an end";
    let output = scripted_say(&server, home.path(), &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(text.as_bytes())?;
            child.wait_with_output()
        })
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let events = server.events();
    let kinds: Vec<&str> = events
        .iter()
        .map(|(_, e)| e["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds.first(), Some(&"session.update"));
    assert_eq!(kinds.last(), Some(&"session.finish"));
    let appended: String = events
        .iter()
        .filter(|(_, e)| e["type"] == "input_text_buffer.append")
        .filter_map(|(_, e)| e["text"].as_str())
        .collect();
    // Exactly the fragmenter's sentences, whitespace as it leaves it; nothing lost or added.
    let fragments = tts::text::segment::Segmenter::split(text);
    assert_eq!(appended, fragments.concat());
    let letters = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    assert_eq!(letters(&appended), letters(text));
    let appends = kinds
        .iter()
        .filter(|k| **k == "input_text_buffer.append")
        .count();
    let commits = kinds
        .iter()
        .filter(|k| **k == "input_text_buffer.commit")
        .count();
    assert_eq!((appends, commits), (3, 3), "{kinds:?}");
    let update = &events[0].1["session"];
    assert_eq!(update["voice"], "Cherry");
    assert_eq!(update["mode"], "commit");
    assert_eq!(
        update.as_object().expect("session").len(),
        4,
        "only the four always-sent fields: {update}"
    );
    assert_eq!(
        std::fs::metadata(home.path().join("out.pcm"))
            .expect("file")
            .len(),
        3 * 8
    );
}

#[test]
fn an_error_event_exits_3_with_code_message_and_hint() {
    let server = Scripted::start(Script::ErrorOnUpdate);
    let home = tempfile::tempdir().expect("tempdir");
    let output = scripted_say(&server, home.path(), &["Hello."])
        .output()
        .expect("runs");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(
        err.contains("invalid_value") && err.contains("Invalid value for voice."),
        "{err}"
    );
    assert!(
        err.contains("session.voice") && err.contains("tts voices --model"),
        "{err}"
    );
    assert!(
        !home.path().join("out.pcm").exists(),
        "no file from a failed run"
    );
}

#[test]
fn a_close_before_session_finished_exits_4() {
    let server = Scripted::start(Script::CloseOnFinish);
    let home = tempfile::tempdir().expect("tempdir");
    let output = scripted_say(&server, home.path(), &["Hello."])
        .output()
        .expect("runs");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(4), "{err}");
    assert!(err.contains("connection closed before"), "{err}");
}

#[test]
fn a_refused_key_names_where_it_came_from_and_the_key_never_shows() {
    let server = Scripted::start(Script::Reject);
    let home = tempfile::tempdir().expect("tempdir");
    let output = scripted_say(&server, home.path(), &["Hello."])
        .output()
        .expect("runs");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(
        err.contains("DASHSCOPE_API_KEY") && err.contains("401"),
        "{err}"
    );
    assert!(!err.contains("sk-test-key"), "{err}");
    assert_eq!(server.connections(), 1, "a refused key is not tried again");
}

#[test]
fn a_busy_service_is_tried_once_more_and_the_text_is_spoken_once() {
    let server = Scripted::start(Script::BusyFirst);
    let home = tempfile::tempdir().expect("tempdir");
    let output = scripted_say(&server, home.path(), &["Hello there."])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(server.connections(), 2, "the 503 was tried again");
    let appended: Vec<String> = server
        .events()
        .iter()
        .filter(|(_, e)| e["type"] == "input_text_buffer.append")
        .filter_map(|(_, e)| e["text"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(appended, ["Hello there."]);
}

#[test]
fn a_silent_server_is_given_up_on_after_the_start_timeout() {
    let server = Scripted::start(Script::Silent);
    let home = tempfile::tempdir().expect("tempdir");
    let output = scripted_say(&server, home.path(), &["--start-timeout", "0.5", "Hello."])
        .output()
        .expect("runs");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(4), "{err}");
    assert!(err.contains("--start-timeout"), "{err}");
}

/// A raw client of the room: send events, read events until one of `kind`.
struct Raw {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Raw {
    async fn open(url: &str) -> Self {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connects");
        Self { ws }
    }

    async fn send(&mut self, frame: Message) {
        self.ws.send(frame).await.expect("sends");
    }

    async fn until(&mut self, kind: &str) -> Value {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(20), self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no {kind}"))
                .unwrap_or_else(|| panic!("closed before {kind}"))
                .expect("a frame");
            if let Message::Text(text) = frame {
                let event: Value = serde_json::from_str(text.as_str()).expect("json");
                if event["type"] == kind {
                    return event;
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_events_get_error_events_and_the_session_goes_on() {
    let server = ServeProcess::start(&[]);
    let url = format!("{}/api-ws/v1/realtime?model={MODEL}", base(&server));
    let mut raw = Raw::open(&url).await;
    assert_eq!(
        raw.until("session.created").await["session"]["model"],
        MODEL
    );
    let bad: Vec<(Message, &str)> = vec![
        (Message::text("not json"), "not JSON"),
        (Message::binary(vec![1u8, 2, 3]), "binary"),
        (Message::text(r#"{"type":"no.such.event"}"#), "unknown type"),
        (
            Message::text(r#"{"type":"input_text_buffer.append","text":5}"#),
            "string 'text'",
        ),
        (
            Message::text(r#"{"type":"session.update","session":{"sample_rate":12345}}"#),
            "12345",
        ),
        (
            Message::text(r#"{"type":"session.update","session":{"speech_rate":9}}"#),
            "speech_rate",
        ),
        (
            Message::text(r#"{"type":"session.update","session":{"voice":"longanyang"}}"#),
            "longanyang",
        ),
        (
            Message::text(r#"{"type":"session.update","session":"x"}"#),
            "'session' object",
        ),
        (
            Message::text(
                json!({"type": "input_text_buffer.append", "text": "a".repeat(30_000)}).to_string(),
            ),
            "at most",
        ),
        (
            Message::text(r#"{"type":"input_text_buffer.clear"}"#),
            "only client commit mode supports clear operation",
        ),
    ];
    for (frame, expected) in bad {
        raw.send(frame).await;
        let error = raw.until("error").await;
        let message = error["error"]["message"].as_str().unwrap_or("");
        assert!(message.contains(expected), "{expected}: {error}");
    }
    // Still serving: a valid update, text, and the whole cycle to session.finished.
    raw.send(Message::text(json!({"type": "session.update", "session": {"voice": "Ethan", "response_format": "mp3", "sample_rate": 16000}}).to_string())).await;
    let updated = raw.until("session.updated").await;
    assert_eq!(updated["session"]["voice"], "Ethan");
    assert_eq!(updated["session"]["response_format"], "mp3");
    raw.send(Message::text(
        json!({"type": "input_text_buffer.append", "text": "Still here."}).to_string(),
    ))
    .await;
    raw.until("response.audio.delta").await;
    let done = raw.until("response.done").await;
    assert_eq!(done["response"]["usage"]["characters"], 11);
    raw.send(Message::text(json!({"type": "session.finish"}).to_string()))
        .await;
    raw.until("session.finished").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_realtime_upgrade_needs_a_model_and_an_unknown_one_gets_an_error_event() {
    let server = ServeProcess::start(&[]);
    let refused =
        tokio_tungstenite::connect_async(format!("{}/api-ws/v1/realtime", base(&server))).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 400)
        }
        other => panic!("expected 400, got {:?}", other.map(|_| ())),
    }
    let mut raw = Raw::open(&format!(
        "{}/api-ws/v1/realtime?model=gpt-4o",
        base(&server)
    ))
    .await;
    let error = raw.until("error").await;
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("gpt-4o"),
        "{error}"
    );
}

#[test]
fn playback_plays_what_the_qwen_room_speaks() {
    let server = ServeProcess::start(&[]);
    let capture = crate::common::Capture::new();
    let output = capture
        .apply(&mut tts(server.home.path()))
        .env("DASHSCOPE_API_KEY", "sk-any")
        .args(["say", "-m", MODEL, "--endpoint", &base(&server), TEXT])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let (rate, left) = capture.read();
    let speech = crate::common::non_silent(&left);
    assert!(
        speech.len() as f64 / f64::from(rate) > 2.0,
        "speech was played"
    );
    assert!(crate::common::rms(&speech) > 1000.0);
}

#[test]
fn subtitles_have_a_cue_per_response_and_append_joins_a_second_run() {
    let server = ServeProcess::start(&[]);
    let out = server.path("talk.mp3");
    let output = say(&server, &["-o", &out, "--subtitles", "srt", TEXT]);
    assert!(output.status.success(), "{}", stderr(&output));
    let srt = std::fs::read_to_string(server.path("talk.srt")).expect("subtitles");
    let cues = crate::common::srt_cues(&srt);
    assert_eq!(cues.len(), 2, "a cue per sentence: {srt}");
    assert!(
        cues[0].1 <= cues[1].0 + 0.05 && cues[1].1 > cues[1].0,
        "{cues:?}"
    );
    assert!(srt.contains("Every format works, at every rate!"), "{srt}");
    let (_, once) = seconds(Path::new(&out), "mp3", 24000);
    let output = say(&server, &["-o", &out, "--append", TEXT]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (_, twice) = seconds(Path::new(&out), "mp3", 24000);
    assert!(
        (twice / once - 2.0).abs() < 0.1,
        "{once:.2} s then {twice:.2} s"
    );
}

#[test]
fn long_input_rolls_over_to_new_sessions_with_nothing_lost_or_repeated() {
    // qwen-tts-realtime takes 500 billed characters a session here, so this takes several.
    let server = ServeProcess::start(&[]);
    let sentence = "Each sentence of this long input is spoken once and only once. ";
    let text = sentence.repeat(30);
    let out = server.path("long.pcm");
    let output = tts(server.home.path())
        .env("DASHSCOPE_API_KEY", "sk-any")
        .args([
            "say",
            "-m",
            "qwen-tts-realtime",
            "--endpoint",
            &base(&server),
            "-o",
            &out,
            "--timing",
            &text,
        ])
        .output()
        .expect("runs");
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    let sessions = server.count("realtime session closed");
    assert!(sessions >= 4, "{sessions} sessions: {}", server.log());
    // What the server spoke, summed over its sessions, is the whole text once.
    let spoken: usize = server
        .log()
        .lines()
        .filter(|l| l.contains("realtime session closed"))
        .filter_map(|l| l.split("characters=").nth(1))
        .filter_map(|n| n.split_whitespace().next()?.parse::<usize>().ok())
        .sum();
    assert_eq!(spoken, 30 * sentence.trim().len());
    assert!(
        err.contains(&format!("{spoken} characters billed")),
        "{err}"
    );
    let (_, seconds) = seconds(Path::new(&out), "pcm", 24000);
    assert!(seconds > 60.0, "{seconds:.1} s");
}

#[test]
fn one_bare_base_address_serves_both_engines_from_flag_or_environment() {
    let server = ServeProcess::start(&[]);
    for (engine_args, via_env) in [
        (&["-e", "cosyvoice"][..], false),
        (&["-m", MODEL][..], true),
    ] {
        let out = server.path("base.wav");
        let mut command = tts(server.home.path());
        command
            .env("DASHSCOPE_API_KEY", "sk-any")
            .arg("say")
            .args(engine_args);
        if via_env {
            command.env("DASHSCOPE_WEBSOCKET_BASE_URL", base(&server));
        } else {
            command.args(["--endpoint", &base(&server)]);
        }
        let output = command.args(["-o", &out, "Hello."]).output().expect("runs");
        assert!(
            output.status.success(),
            "{engine_args:?}: {}",
            stderr(&output)
        );
        let (_, seconds) = seconds(Path::new(&out), "wav", 24000);
        assert!(seconds > 0.3, "{engine_args:?}: {seconds:.2} s");
    }
    assert_eq!(
        server.count("realtime session closed"),
        1,
        "{}",
        server.log()
    );
}
