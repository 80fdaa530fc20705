//! `llm ... | tts say`: text read as it arrives, one task per burst of input, quiet moments and
//! idle pauses handled, against the fake server and with the offline engine.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Capture, non_silent, tts, wav_seconds};
use crate::fake_server::{FakeServer, Script};

/// A `tts say` reading a pipe that the test writes slowly.
struct Writer {
    child: Child,
    stdin: Option<std::process::ChildStdin>,
}

impl Writer {
    fn start(mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tts runs");
        let stdin = child.stdin.take();
        Self { child, stdin }
    }

    fn write(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("open");
        stdin.write_all(text.as_bytes()).expect("write");
        stdin.flush().expect("flush");
    }

    fn finish(mut self) -> std::process::Output {
        drop(self.stdin.take());
        self.child.wait_with_output().expect("exits")
    }
}

fn remote(server: &FakeServer, home: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = tts(home);
    cmd.env("DASHSCOPE_API_KEY", "sk-test")
        .args(["say", "-e", "cosyvoice", "--endpoint", &server.url()])
        .args(args);
    cmd
}

#[test]
fn sentences_go_out_as_they_are_written_and_a_long_pause_starts_a_new_task() {
    let home = tempfile::tempdir().expect("tempdir");
    let server = FakeServer::start(Script::Happy);
    let out = home.path().join("a.pcm");
    let mut writer = Writer::start(remote(
        &server,
        home.path(),
        &["--idle-timeout", "0.6", "-o", out.to_str().expect("utf-8")],
    ));
    let sentences = [
        "The first sentence.",
        "A second one follows quickly.",
        "After a long pause, a third.",
        "And the last.",
    ];
    let mut written = Vec::new();
    for (i, sentence) in sentences.iter().enumerate() {
        if i == 2 {
            std::thread::sleep(Duration::from_millis(1500)); // longer than the idle limit
        } else if i > 0 {
            std::thread::sleep(Duration::from_millis(150));
        }
        written.push(server.now());
        writer.write(&format!("{sentence} "));
    }
    let output = writer.finish();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let record = server.record();
    let texts = record.texts();
    assert_eq!(
        texts.iter().map(|t| t.trim()).collect::<Vec<_>>(),
        sentences,
        "every sentence once, in order"
    );
    assert_eq!(
        texts.concat(),
        sentences.join(" "),
        "with the spaces between them"
    );
    assert_eq!(
        record.actions("run-task").len(),
        2,
        "one task per burst of input"
    );
    assert_eq!(
        record.connections, 1,
        "the connection is kept between tasks"
    );
    // Each sentence left as soon as it was written, not at the end of input.
    let arrivals: Vec<Duration> = record
        .frames
        .iter()
        .filter(|(_, _, f)| f["payload"]["input"]["text"].is_string())
        .map(|(at, _, _)| *at)
        .collect();
    for ((sentence, wrote), arrived) in sentences.iter().zip(&written).zip(&arrivals) {
        let delay = arrived.saturating_sub(*wrote);
        assert!(
            delay < Duration::from_millis(300),
            "{sentence:?} reached the server {delay:?} after it was written"
        );
    }
    let finishes = record.actions("finish-task");
    assert_eq!(finishes.len(), 2);
    assert!(
        finishes
            .iter()
            .all(|f| f["payload"]["input"].get("directive").is_none()),
        "clean finishes"
    );
}

#[test]
fn a_line_without_an_end_is_spoken_after_a_quiet_moment() {
    let home = tempfile::tempdir().expect("tempdir");
    let server = FakeServer::start(Script::Happy);
    let mut writer = Writer::start(remote(
        &server,
        home.path(),
        &["-o", home.path().join("a.pcm").to_str().expect("utf-8")],
    ));
    writer.write("tokens streaming without any punctuation");
    // Spoken once the writer has been quiet for --flush-after (3 s by default).
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.record().texts().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the partial sentence was never sent"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    let record = server.record();
    assert_eq!(record.texts(), ["tokens streaming without any punctuation"]);
    let flushes = record
        .actions("continue-task")
        .iter()
        .filter(|f| f["payload"]["input"]["flush"] == true)
        .count();
    assert_eq!(flushes, 1, "a flush makes the service speak it now");
    assert!(writer.finish().status.success());
}

#[test]
fn a_server_that_closes_an_idle_connection_is_reconnected_to() {
    let home = tempfile::tempdir().expect("tempdir");
    let server = FakeServer::start(Script::CloseAfterTask);
    let mut writer = Writer::start(remote(
        &server,
        home.path(),
        &[
            "--idle-timeout",
            "0.4",
            "-o",
            home.path().join("a.pcm").to_str().expect("utf-8"),
        ],
    ));
    writer.write("Before the pause.\n");
    std::thread::sleep(Duration::from_millis(1200));
    writer.write("After the pause.\n");
    let output = writer.finish();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let record = server.record();
    // The line break between them is a space, sent with the second.
    assert_eq!(record.texts(), ["Before the pause.", " After the pause."]);
    assert_eq!(
        record.connections, 2,
        "a new connection after the server closed the idle one"
    );
}

#[test]
fn echo_prints_each_sentence_in_order_as_it_plays() {
    let home = tempfile::tempdir().expect("tempdir");
    let capture = Capture::new();
    let mut command = tts(home.path());
    capture
        .apply(&mut command)
        .args(["say", "-q", "-e", "local", "--echo"]);
    let mut writer = Writer::start(command);
    let sentences = [
        "One sentence arrives.",
        "Then another, a moment later.",
        "And the last one.",
    ];
    for sentence in sentences {
        writer.write(&format!("{sentence}\n"));
        std::thread::sleep(Duration::from_millis(150));
    }
    let output = writer.finish();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let echoed: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(echoed, sentences);

    // All of it was played: as long as the same text written to a file, less the pauses.
    let file = home.path().join("same.wav");
    let status = tts(home.path())
        .args(["say", "-q", "-e", "local", "-o"])
        .arg(&file)
        .arg(sentences.join("\n"))
        .status()
        .expect("runs");
    assert!(status.success());
    let (_, expected) = wav_seconds(&file);
    let (rate, left) = capture.read();
    let played = non_silent(&left).len() as f64 / f64::from(rate);
    assert!(
        played > 0.7 * expected && played < 1.1 * expected,
        "played {played:.2} s of {expected:.2} s"
    );
}

#[test]
fn markdown_is_spoken_as_its_text_by_the_offline_engine() {
    let home = tempfile::tempdir().expect("tempdir");
    let render = |name: &str, args: &[&str], input: &str| {
        let path = home.path().join(name);
        let mut command = tts(home.path());
        command
            .args(["say", "-q", "-e", "local", "-o"])
            .arg(&path)
            .args(args);
        let mut writer = Writer::start(command);
        writer.write(input);
        assert!(writer.finish().status.success());
        std::fs::read(&path).expect("file")
    };
    let markdown = render(
        "md.wav",
        &["--markdown-filter"],
        "# A title\n\nSome **bold** words and a [link](https://example.com).\n\n```\nlet code = 1;\n```\n",
    );
    let plain = render("plain.wav", &[], "A title\n\nSome bold words and a link.\n");
    assert_eq!(markdown, plain);
}

#[test]
fn invalid_utf8_is_replaced_with_one_warning_and_speech_goes_on() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = home.path().join("a.wav");
    let mut command = tts(home.path());
    command.args(["say", "-e", "local", "-o"]).arg(&out);
    let mut child = command
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"Good text, \xff bad byte.\nMore \xfe bad.\n")
        .expect("write");
    drop(stdin);
    let output = child.wait_with_output().expect("exits");
    assert!(output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(err.matches("not valid UTF-8").count(), 1, "{err}");
    assert!(wav_seconds(&out).1 > 1.5);
}
