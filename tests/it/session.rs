//! `tts say --engine cosyvoice` against the scripted fake server: the frames it sends, the
//! bytes it stores, and how it fails.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

use tts::audio::AudioFormat;

use crate::common::{
    Capture, ffmpeg_decode, frequency, interrupt, non_silent, srt_cues, symphonia_decode, tts,
};
use crate::fake_server::{FakeServer, SENTENCE_MS, Script, TONE_HZ};

const KEY: &str = "sk-test-secret-0123456789";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir
            .path()
            .join(name)
            .to_str()
            .expect("utf-8")
            .to_owned()
    }

    /// `tts say --engine cosyvoice --endpoint <server>` with a key in the environment.
    fn tts(&self, server: &FakeServer) -> Command {
        let mut cmd = tts(self.dir.path());
        cmd.env("DASHSCOPE_API_KEY", KEY).args([
            "say",
            "-e",
            "cosyvoice",
            "--endpoint",
            &server.url(),
        ]);
        cmd
    }

    fn run(&self, server: &FakeServer, args: &[&str]) -> Output {
        self.tts(server).args(args).output().expect("tts runs")
    }

    fn run_with_stdin(&self, server: &FakeServer, args: &[&str], input: &str) -> Output {
        let mut child = self
            .tts(server)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tts runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
        child.wait_with_output().expect("exits")
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_ok(output: &Output) {
    assert!(output.status.success(), "{}", stderr(output));
}

/// The SDK's client frames of a capture, one list per connection, task ids blanked.
fn sdk_frames(scenario: &str) -> Vec<Vec<Value>> {
    let path = format!(
        "{}/tests/fixtures/captures/2.0.2/{scenario}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut connections: Vec<(String, Vec<Value>)> = Vec::new();
    for line in std::fs::read_to_string(path).expect("capture").lines() {
        let line: Value = serde_json::from_str(line).expect("json");
        if line["dir"] != "c2s" || line["kind"] != "text" {
            continue;
        }
        let conn = line["conn"].as_str().expect("conn").to_owned();
        if connections.last().is_none_or(|(c, _)| *c != conn) {
            connections.push((conn, Vec::new()));
        }
        connections
            .last_mut()
            .expect("a connection")
            .1
            .push(blank(line["data"].clone()));
    }
    connections.into_iter().map(|(_, frames)| frames).collect()
}

fn blank(mut frame: Value) -> Value {
    frame["header"]["task_id"] = json!("T");
    frame
}

/// What tts sent, task ids blanked, after checking they are the SDK's form and constant per task.
fn our_frames(server: &FakeServer) -> Vec<Value> {
    let record = server.record();
    let mut task_id = String::new();
    record
        .frames
        .iter()
        .map(|(_, _, frame)| {
            let id = frame["header"]["task_id"].as_str().expect("task id");
            assert!(
                id.len() == 32
                    && id
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
                "{id}"
            );
            if frame["header"]["action"] == "run-task" {
                task_id = id.to_owned();
            }
            assert_eq!(id, task_id, "one task id per task");
            blank(frame.clone())
        })
        .collect()
}

#[test]
fn streamed_lines_send_the_sdks_frames() {
    let env = Env::new();
    let server = FakeServer::start(Script::Happy);
    let output = env.run_with_stdin(
        &server,
        &["--flush-on-newline", "-o", &env.path("out.pcm")],
        "流式文本\n第二段,\n第三段。\n",
    );
    assert_ok(&output);
    // The SDK's caller sent the lines without their breaks; tts sends the text as given, each
    // line break with the line that follows it (the last one ends the input and is not sent).
    let mut expected = sdk_frames("streaming").remove(0);
    for frame in expected.iter_mut().skip(2) {
        if let Some(text) = frame["payload"]["input"]["text"].as_str() {
            frame["payload"]["input"]["text"] = json!(format!("\n{text}"));
        }
    }
    assert_eq!(our_frames(&server), expected);
}

#[test]
fn every_parameter_is_sent_as_the_sdk_sends_it() {
    let env = Env::new();
    let server = FakeServer::start(Script::Happy);
    let hot_fix = env.path("hot_fix.json");
    std::fs::write(
        &hot_fix,
        r#"{"pronunciation": [{"草地": "cao3 di4"}], "replace": [{"草地": "草弟"}]}"#,
    )
    .expect("write");
    let output = env.run(
        &server,
        &[
            "-m",
            "cosyvoice-v3-plus",
            "-v",
            "longanyang",
            "--volume",
            "80",
            "--sample-rate",
            "48000",
            "-r",
            "1.2",
            "-o",
            &env.path("out.opus"),
            "--pitch",
            "0.9",
            "--seed",
            "42",
            "--bit-rate",
            "32",
            "--word-timestamps",
            "--aigc-tag",
            "--aigc-propagator",
            "prop-x",
            "--aigc-propagate-id",
            "pid-y",
            "--markdown-filter",
            "--phoneme-timestamps",
            "--hot-fix",
            &hot_fix,
            "--instruction",
            "用开心的语气说话",
            "--language",
            "zh",
            "草地上有**粗体**文本。",
        ],
    );
    assert_ok(&output);
    assert_eq!(our_frames(&server), sdk_frames("allparams")[0]);
}

#[test]
fn each_format_is_asked_for_as_the_sdk_asks() {
    let sdk = sdk_frames("formats");
    // The SDK's first connection used its "Default" placeholder, which tts never sends.
    let cases: [(&str, &str, &[&str]); 4] = [
        ("wav", "8000", &[]),
        ("mp3", "24000", &[]),
        ("opus", "16000", &["--bit-rate", "16"]),
        ("pcm", "48000", &[]),
    ];
    for (i, (format, rate, extra)) in cases.into_iter().enumerate() {
        let env = Env::new();
        let server = FakeServer::start(Script::Happy);
        let out = env.path(&format!("out.{format}"));
        let mut args = vec![
            "-m",
            "cosyvoice-v2",
            "-v",
            "longxiaochun_v2",
            "--ssml",
            "-o",
            &out,
            "--sample-rate",
            rate,
        ];
        args.extend_from_slice(extra);
        args.push("x");
        assert_ok(&env.run(&server, &args));
        assert_eq!(our_frames(&server), sdk[i + 1], "{format}");
    }
}

#[test]
fn the_handshake_carries_the_key_and_names_tts() {
    let env = Env::new();
    let server = FakeServer::start(Script::Happy);
    assert_ok(&env.run(
        &server,
        &["--workspace", "ws-123", "-o", &env.path("a.pcm"), "hello"],
    ));
    let record = server.record();
    let headers = &record.handshakes[0];
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert!(
        get("user-agent").is_some_and(|ua| ua.starts_with("tts/")),
        "{headers:?}"
    );
    assert_eq!(get("x-dashscope-workspace"), Some("ws-123"));
}

#[test]
fn files_hold_exactly_the_bytes_the_server_sent_with_true_wav_sizes() {
    for format in ["pcm", "wav", "mp3", "opus"] {
        let env = Env::new();
        let server = FakeServer::start(Script::Happy);
        let out = env.path(&format!("out.{format}"));
        assert_ok(&env.run(
            &server,
            &["-o", &out, "One sentence. Another one. And a third."],
        ));
        let written = std::fs::read(&out).expect("file");
        let sent = server.record().audio;
        assert!(!sent.is_empty());
        if format == "wav" {
            // The service streams its WAV with unknown sizes; the file's header counts its data.
            assert_eq!(written[44..], sent[44..], "the samples are the service's");
            let len = written.len() as u32;
            assert_eq!(written[4..8], (len - 8).to_le_bytes(), "RIFF size");
            assert_eq!(written[40..44], (len - 44).to_le_bytes(), "data size");
        } else {
            assert_eq!(written, sent, "{format}");
        }
    }
}

/// Seconds of tone in a file of the service's audio, by both decoders.
fn tone_seconds(path: &str, format: AudioFormat) -> f64 {
    let path = std::path::Path::new(path);
    if format == AudioFormat::Pcm {
        return std::fs::metadata(path).expect("file").len() as f64 / 2.0 / 22_050.0;
    }
    let (rate, samples) = ffmpeg_decode(path);
    let (our_rate, ours) = symphonia_decode(path, format);
    let by_ffmpeg = non_silent(&samples).len() as f64 / f64::from(rate);
    let by_symphonia = non_silent(&ours).len() as f64 / f64::from(our_rate);
    assert!(
        (by_ffmpeg - by_symphonia).abs() < 0.03,
        "{format}: ffmpeg {by_ffmpeg:.3} s, symphonia {by_symphonia:.3} s"
    );
    by_ffmpeg
}

#[test]
fn append_to_the_services_audio_in_every_format_gives_one_valid_file() {
    let sentence = SENTENCE_MS as f64 / 1000.0;
    for format in AudioFormat::ALL {
        let env = Env::new();
        let server = FakeServer::start(Script::Happy);
        let out = env.path(&format!("book.{}", format.name()));
        let mut args = vec!["-o", out.as_str()];
        if format == AudioFormat::Pcm {
            args.extend(["--sample-rate", "22050"]);
        }
        assert_ok(&env.run(&server, &[&args[..], &["One. Two."]].concat()));
        assert_ok(&env.run(
            &server,
            &[&args[..], &["--append", "Three. Four. Five."]].concat(),
        ));
        let record = server.record();
        let runs = record.actions("run-task");
        assert_eq!(
            runs[1]["payload"]["parameters"]["sample_rate"],
            runs[0]["payload"]["parameters"]["sample_rate"],
            "{format}: the second run asks for the file's rate"
        );
        let seconds = tone_seconds(&out, format);
        assert!(
            (seconds - 5.0 * sentence).abs() < 0.05,
            "{format}: {seconds:.3} s of {} s sent",
            5.0 * sentence
        );
    }
}

#[test]
fn ctrl_c_while_writing_the_services_audio_leaves_a_valid_file() {
    for format in [AudioFormat::Wav, AudioFormat::Mp3, AudioFormat::Opus] {
        let env = Env::new();
        let server = FakeServer::start(Script::Happy);
        let out = env.path(&format!("cut.{}", format.name()));
        let (child, stdin) = once_audio_is_sent(env.tts(&server).args(["-o", &out]), &server);
        // Let the sentence's audio reach the sink (its buffered writes are not visible on disk
        // until the file is closed, so there is nothing to poll).
        std::thread::sleep(std::time::Duration::from_secs(1));
        interrupt(&child);
        let output = child.wait_with_output().expect("exits");
        drop(stdin);
        assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("keeps the"),
            "{format}: {}",
            stderr(&output)
        );
        let seconds = tone_seconds(&out, format);
        assert!(
            seconds > 0.2 && seconds <= SENTENCE_MS as f64 / 1000.0 + 0.03,
            "{format}: the sentence so far is kept, {seconds:.3} s"
        );
    }
}

#[test]
fn task_failed_at_each_stage_names_code_message_task_and_fix() {
    for stage in ["run-task", "continue-task", "finish-task"] {
        let env = Env::new();
        let server = FakeServer::start(Script::FailOn(stage));
        let out = env.path("never.pcm");
        let output = env.run(&server, &["-o", &out, "hello"]);
        assert_eq!(output.status.code(), Some(3), "{stage}: service failure");
        let err = stderr(&output);
        let task_id = server.record().actions("run-task")[0]["header"]["task_id"]
            .as_str()
            .expect("id")
            .to_owned();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("InvalidParameter: [tts:]Engine return error code: 418"),
            "{stage}: {err}"
        );
        assert!(
            err.contains(&task_id) && err.contains("check -v VOICE and -m MODEL"),
            "{stage}: {err}"
        );
        assert!(
            !std::path::Path::new(&out).exists(),
            "{stage}: no file is left"
        );
        assert_eq!(
            server.record().texts().len(),
            usize::from(stage != "run-task"),
            "{stage}"
        );
    }
}

#[test]
fn a_close_without_task_finished_is_a_network_error() {
    let env = Env::new();
    let server = FakeServer::start(Script::CloseOnFinish);
    let output = env.run(&server, &["-o", &env.path("a.pcm"), "hello"]);
    assert_eq!(output.status.code(), Some(4));
    let err = stderr(&output);
    assert!(
        err.contains("the connection closed before task")
            && err.contains("(close code 1011: boom)"),
        "{err}"
    );
}

#[test]
fn a_server_that_never_starts_the_task_times_out() {
    let env = Env::new();
    let server = FakeServer::start(Script::NeverStart);
    let output = env.run(
        &server,
        &["--start-timeout", "0.3", "-o", &env.path("a.pcm"), "hello"],
    );
    assert_eq!(output.status.code(), Some(4));
    assert!(
        stderr(&output).contains("did not start task"),
        "{}",
        stderr(&output)
    );
    assert!(
        server.record().actions("continue-task").is_empty(),
        "no text before task-started"
    );
}

#[test]
fn a_refused_key_says_where_it_came_from_and_never_what_it_is() {
    let env = Env::new();
    let server = FakeServer::start(Script::Reject(401));
    let output = env.run(&server, &["--verbose", "-o", &env.path("a.pcm"), "hello"]);
    assert_eq!(output.status.code(), Some(3));
    let err = stderr(&output);
    assert!(
        err.contains("refused the API key from DASHSCOPE_API_KEY (HTTP 401)"),
        "{err}"
    );
    assert!(!err.contains(KEY) && !String::from_utf8_lossy(&output.stdout).contains(KEY));
}

#[test]
fn the_key_never_appears_in_any_output_even_when_tracing_everything() {
    let env = Env::new();
    let server = FakeServer::start(Script::Happy);
    let output = env
        .tts(&server)
        .env("TTS_LOG", "trace")
        .args([
            "--verbose",
            "--timing",
            "-o",
            "-",
            "--format",
            "pcm",
            "Hello there. Second sentence.",
        ])
        .output()
        .expect("runs");
    assert_ok(&output);
    let err = stderr(&output);
    assert!(err.contains("sending"), "trace logging was on: {err}");
    let key = KEY.as_bytes();
    assert!(!output.stdout.windows(key.len()).any(|w| w == key));
    assert!(!err.contains(KEY), "{err}");
    assert!(!err.contains(&KEY[..12]), "not even a prefix: {err}");
}

#[test]
fn a_long_text_is_split_into_messages_under_the_limit_without_losing_a_word() {
    let env = Env::new();
    let server = FakeServer::start(Script::Happy);
    // 20,001 characters with no sentence end at all.
    let text = format!("{}x", "word ".repeat(4000));
    assert_eq!(text.chars().count(), 20_001);
    let input = env.path("long.txt");
    std::fs::write(&input, &text).expect("write");
    assert_ok(&env.run(&server, &["-f", &input, "-o", &env.path("a.pcm")]));
    let record = server.record();
    let texts = record.texts();
    let sent: Vec<&str> = texts.iter().map(String::as_str).collect();
    assert!(sent.len() > 1, "split into several messages");
    assert!(sent.iter().all(|t| t.chars().count() <= 20_000));
    let squash = |s: &str| s.split_whitespace().collect::<String>();
    assert_eq!(
        squash(&sent.join(" ")),
        squash(&text),
        "nothing lost or reordered"
    );
    assert_eq!(record.actions("run-task").len(), 1, "one task");
}

#[test]
fn chinese_counts_double_so_a_task_rolls_over_on_the_same_connection() {
    let env = Env::new();
    let server = FakeServer::start(Script::Happy);
    // 100,001 ideographs: under 200,000 characters, but 200,002 as the service counts them.
    let text = "字".repeat(100_001);
    let input = env.path("chinese.txt");
    std::fs::write(&input, &text).expect("write");
    assert_ok(&env.run(&server, &["-f", &input, "-o", &env.path("a.pcm")]));
    let record = server.record();
    assert_eq!(record.connections, 1, "one connection");
    assert_eq!(record.actions("run-task").len(), 2, "a second task");
    let mut per_task: Vec<(String, usize)> = Vec::new();
    for frame in record.actions("continue-task") {
        let id = frame["header"]["task_id"].as_str().expect("id").to_owned();
        let Some(text) = frame["payload"]["input"]["text"].as_str() else {
            continue; // a flush
        };
        let chars = text.chars().count() * 2;
        match per_task.last_mut() {
            Some((last, total)) if *last == id => *total += chars,
            _ => per_task.push((id, chars)),
        }
    }
    assert_eq!(per_task.len(), 2);
    assert!(
        per_task.iter().all(|(_, billed)| *billed <= 200_000),
        "{per_task:?}"
    );
    assert_eq!(
        per_task.iter().map(|(_, b)| b).sum::<usize>(),
        200_002,
        "every character sent once"
    );
}

#[test]
fn empty_input_is_an_error_not_a_silent_success() {
    let env = Env::new();
    let server = FakeServer::start(Script::Happy);
    let output = env.run_with_stdin(&server, &["-o", &env.path("a.pcm")], "  \n\n");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "tts: nothing to say: the input was empty\n"
    );
    assert!(server.record().actions("finish-task").is_empty());
}

#[test]
fn service_audio_in_every_format_streams_through_the_real_player() {
    // PCM is what playback asks for by default; the others are decoded as they arrive.
    for format in ["pcm", "mp3", "opus", "wav"] {
        let env = Env::new();
        let server = FakeServer::start(Script::Happy);
        let capture = Capture::new();
        let mut command = env.tts(&server);
        if format != "pcm" {
            command.args(["--format", format]);
        }
        let output = capture
            .apply(&mut command)
            .arg("One sentence. Two sentences. Three sentences.")
            .output()
            .expect("tts runs");
        assert_ok(&output);
        let run = server.record().actions("run-task")[0].clone();
        assert_eq!(run["payload"]["parameters"]["format"], format);
        assert_eq!(
            run["payload"]["parameters"]["sample_rate"], 48000,
            "{format} at the device's rate"
        );
        let (rate, left) = capture.read();
        let tone = non_silent(&left);
        let seconds = tone.len() as f64 / f64::from(rate);
        let expected = 3.0 * SENTENCE_MS as f64 / 1000.0;
        assert!(
            (seconds - expected).abs() / expected < 0.03,
            "{format}: {seconds:.3} s played, {expected} s sent"
        );
        // The middle: a codec's first and last frames carry low-level noise around the tone.
        let middle = &tone[tone.len() / 10..tone.len() * 9 / 10];
        let hz = frequency(middle, rate);
        assert!((hz - TONE_HZ).abs() < 2.0, "{format}: {hz:.1} Hz");
    }
}

/// Start `tts` with one sentence on stdin and the writer held open (so it cannot finish);
/// return once the server has sent audio for it.
fn once_audio_is_sent(
    command: &mut Command,
    server: &FakeServer,
) -> (std::process::Child, std::process::ChildStdin) {
    let mut child = command
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tts runs");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(
        stdin,
        "The first sentence goes out while the writer stays open."
    )
    .expect("write");
    stdin.flush().expect("flush");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while server.record().audio.is_empty() {
        assert!(std::time::Instant::now() < deadline, "no audio was sent");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    (child, stdin)
}

#[test]
fn ctrl_c_sends_the_cancel_directive_and_exits_130() {
    let env = Env::new();
    let server = FakeServer::start(Script::Happy);
    let capture = Capture::new();
    let (child, stdin) = once_audio_is_sent(capture.apply(&mut env.tts(&server)), &server);
    interrupt(&child);
    let output = child.wait_with_output().expect("exits");
    drop(stdin);
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    // The client has closed; the server thread may still be reading its last frames.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while server.record().actions("finish-task").is_empty() && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let record = server.record();
    let finish = record.actions("finish-task");
    assert_eq!(finish.len(), 1, "one finish-task");
    assert_eq!(
        finish[0]["payload"]["input"],
        json!({"directive": "cancel"})
    );
}

#[test]
fn timing_reports_connection_task_and_billing() {
    let env = Env::new();
    let server = FakeServer::start(Script::Happy);
    let output = env.run(
        &server,
        &["--timing", "-o", &env.path("a.pcm"), "你好。Hello."],
    );
    assert_ok(&output);
    let err = stderr(&output);
    let task_id = server.record().actions("run-task")[0]["header"]["task_id"]
        .as_str()
        .expect("id")
        .to_owned();
    for part in [
        "connected ",
        "(connect took ",
        "task started ",
        "first package ",
        "done ",
        " bytes, ",
        "characters billed",
    ] {
        assert!(err.contains(part), "missing {part:?} in {err}");
    }
    assert!(err.contains(&format!("task {task_id}")), "{err}");
    // 你好 counts 4, "。" 1 and "Hello." 6, as the server billed them.
    assert!(err.contains("11 characters billed"), "{err}");
}

#[test]
fn tls_is_always_verified_and_a_self_signed_certificate_is_refused() {
    let env = Env::new();
    let (key, cert) = (env.path("key.pem"), env.path("cert.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-keyout", &key, "-out", &cert])
        .output()
        .expect("openssl (Debian package openssl) is installed for the tests");
    assert!(made.status.success());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let mut server = Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-accept",
            &port.to_string(),
            "-cert",
            &cert,
            "-key",
            &key,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the TLS server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let output = tts(env.dir.path())
        .env("DASHSCOPE_API_KEY", KEY)
        .args([
            "say",
            "-e",
            "cosyvoice",
            "--endpoint",
            &format!("wss://localhost:{port}/api-ws/v1/inference"),
        ])
        .args(["-o", &env.path("a.pcm"), "hello"])
        .output()
        .expect("tts runs");
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(output.status.code(), Some(4));
    let err = stderr(&output);
    assert!(
        err.contains("its TLS certificate is not trusted")
            && err.contains("tts always verifies TLS"),
        "{err}"
    );
    assert!(!err.contains(KEY));
}

#[test]
fn with_word_timestamps_a_long_sentence_is_cut_where_its_words_begin() {
    let env = Env::new();
    let server = FakeServer::start(Script::Happy);
    let audio = env.path("talk.pcm");
    let sentence = format!("{}end.", "many words ".repeat(13));
    assert_ok(&env.run(
        &server,
        &[
            "--word-timestamps",
            "--subtitles",
            "srt",
            "-o",
            &audio,
            &sentence,
        ],
    ));
    let srt = std::fs::read_to_string(env.path("talk.srt")).expect("subtitles");
    let cues = srt_cues(&srt);
    assert_eq!(cues.len(), 2, "over 80 characters: two cues\n{srt}");
    // The fake server says word k of n begins 300 * (k/n)^2 ms into the sentence, which is not
    // where a share by length would put it.
    let first_piece = srt.lines().nth(2).expect("the first cue's text");
    let k = first_piece.split(' ').count();
    let expected = (0.3 * (k as f64 / 27.0).powi(2) * 1000.0).floor() / 1000.0;
    let by_length = 0.3 * first_piece.len() as f64 / (sentence.len() - 1) as f64;
    assert!(
        (expected - by_length).abs() > 0.05,
        "the test tells them apart"
    );
    assert!(
        (cues[1].0 - expected).abs() < 0.0015,
        "the second cue starts at {} s, its first word at {expected} s\n{srt}",
        cues[1].0
    );
}

#[test]
fn subtitles_of_service_audio_in_every_format_are_timed_by_its_audio() {
    for format in AudioFormat::ALL {
        let env = Env::new();
        let server = FakeServer::start(Script::Happy);
        let audio = env.path(&format!("talk.{}", format.name()));
        assert_ok(&env.run(
            &server,
            &["--subtitles", "srt", "-o", &audio, "One. Two. Three."],
        ));
        let srt = std::fs::read_to_string(env.path("talk.srt")).expect("subtitles");
        assert!(srt.contains("One.") && srt.contains("Three."), "{srt}");
        // The fake server sends 300 ms of audio a sentence; a codec holds back a frame or two.
        let slack = if matches!(format, AudioFormat::Mp3 | AudioFormat::Opus) {
            0.08
        } else {
            0.001
        };
        let times = srt_cues(&srt);
        let expected = [(0.0, 0.3), (0.3, 0.6), (0.6, 0.9)];
        assert_eq!(times.len(), 3, "{format}: {srt}");
        for ((start, end), (want_start, want_end)) in times.iter().zip(expected) {
            assert!(
                (start - want_start).abs() <= slack && (end - want_end).abs() <= slack + 0.06,
                "{format}: {start}..{end} for {want_start}..{want_end}\n{srt}"
            );
        }
    }
}

#[test]
fn echo_prints_the_services_sentences() {
    let env = Env::new();
    let server = FakeServer::start(Script::Happy);
    let output = env.run(
        &server,
        &["--echo", "-o", &env.path("a.pcm"), "First one. Second one."],
    );
    assert_ok(&output);
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "First one.\nSecond one.\n"
    );
}

#[test]
fn nothing_listening_is_a_network_error_that_says_what_to_check() {
    let env = Env::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let output = tts(env.dir.path())
        .env("DASHSCOPE_API_KEY", KEY)
        .args([
            "say",
            "-e",
            "cosyvoice",
            "--endpoint",
            &format!("ws://127.0.0.1:{port}/api-ws/v1/inference"),
        ])
        .args(["-o", &env.path("a.pcm"), "hello"])
        .output()
        .expect("tts runs");
    assert_eq!(output.status.code(), Some(4));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("check the address (--endpoint, --region) and the network"),
        "{err}"
    );
    assert_eq!(err.matches("refused").count(), 1, "the cause once: {err}");
}
