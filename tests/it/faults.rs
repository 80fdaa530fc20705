//! The CosyVoice client against servers that misbehave and inputs that could hurt: events and
//! audio of other tasks, odd fields, oversized frames, refusals and retries, endless input,
//! outputs that must not be written, and the API key's sources.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::tts;
use crate::fake_server::{FakeServer, JUNK, REFUSAL_BODY, Script};

const KEY: &str = "sk-fault-0123456789";

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `tts say -e cosyvoice --endpoint <server>` with a key, run from `home`.
fn say(home: &Path, server: &FakeServer) -> Command {
    let mut command = tts(home);
    command.env("DASHSCOPE_API_KEY", KEY).args([
        "say",
        "-e",
        "cosyvoice",
        "--endpoint",
        &server.url(),
    ]);
    command
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn events_of_other_tasks_neither_end_nor_fail_nor_speak_for_the_current_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = FakeServer::start(Script::StrangersEvents);
    let out = dir.path().join("out.pcm");
    let output = say(dir.path(), &server)
        .args(["--echo", "-o"])
        .arg(&out)
        .arg("One sentence. Another one.")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "One sentence.\nAnother one.\n",
        "only the task's own sentences"
    );
    assert_eq!(
        std::fs::read(&out).expect("file"),
        server.record().audio,
        "every byte of the task's audio"
    );

    // On a reused connection a stale task-failed or task-finished must not touch the next file.
    let inputs: Vec<_> = (0..3)
        .map(|i| {
            let path = dir.path().join(format!("f{i}.txt"));
            std::fs::write(&path, format!("File number {i}. It ends here.\n")).expect("write");
            path
        })
        .collect();
    let server = FakeServer::start(Script::StrangersEvents);
    let output = convert_one_by_one(dir.path(), &server, &inputs);
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains("3 converted") && !err.contains("retrying"),
        "{err}"
    );
    assert_eq!(server.record().connections, 1, "one connection throughout");
}

/// `tts convert` of `inputs` to PCM against `server`, one file at a time (`-j 1`), so one
/// connection carries every task.
fn convert_one_by_one(dir: &Path, server: &FakeServer, inputs: &[PathBuf]) -> Output {
    tts(dir)
        .env("DASHSCOPE_API_KEY", KEY)
        .args(["convert", "-e", "cosyvoice", "--endpoint", &server.url()])
        .args(["-j", "1", "--format", "pcm"])
        .args(inputs)
        .output()
        .expect("runs")
}

#[test]
fn audio_outside_its_task_reaches_no_file() {
    // Before task-started: the file must start with the task's own first byte.
    let dir = tempfile::tempdir().expect("tempdir");
    for format in ["pcm", "wav"] {
        let server = FakeServer::start(Script::AudioBeforeStart);
        let out = dir.path().join(format!("early.{format}"));
        let output = say(dir.path(), &server)
            .arg("-o")
            .arg(&out)
            .arg("Hello there.")
            .output()
            .expect("runs");
        assert!(output.status.success(), "{}", stderr(&output));
        let written = std::fs::read(&out).expect("file");
        assert!(!contains(&written, JUNK), "{format}: no junk in the file");
        let sent = server.record().audio;
        match format {
            "wav" => assert_eq!(written[44..], sent[44..], "the samples are the task's"),
            _ => assert_eq!(written, sent),
        }
    }

    // After task-finished, on a reused connection: not in the next file.
    let inputs: Vec<_> = (0..3)
        .map(|i| {
            let path = dir.path().join(format!("late{i}.txt"));
            std::fs::write(&path, format!("Chapter {i}.\n")).expect("write");
            path
        })
        .collect();
    let server = FakeServer::start(Script::AudioAfterFinish);
    let output = convert_one_by_one(dir.path(), &server, &inputs);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut total = 0;
    for input in &inputs {
        let written = std::fs::read(input.with_extension("pcm")).expect("output");
        assert!(!contains(&written, JUNK), "{}", input.display());
        assert_eq!(written.len() % 2, 0, "whole samples");
        total += written.len();
    }
    assert_eq!(
        total,
        server.record().audio.len(),
        "the tasks' audio, all of it"
    );
}

#[test]
fn null_numeric_and_negative_fields_do_not_make_a_message_unreadable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = FakeServer::start(Script::OddFields);
    let out = dir.path().join("odd.pcm");
    let output = say(dir.path(), &server)
        .args(["--timing", "--progress-timeout", "30", "-o"])
        .arg(&out)
        .arg("Hello there.")
        .output()
        .expect("runs");
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert_eq!(std::fs::read(&out).expect("file"), server.record().audio);
    assert!(err.contains("12 characters billed"), "{err}");
}

#[test]
fn finish_task_follows_the_last_text_without_waiting_for_the_server() {
    // This server answers nothing until finish-task: a client that waited for any answer
    // before finishing would never finish.
    let dir = tempfile::tempdir().expect("tempdir");
    let text = dir.path().join("text.txt");
    std::fs::write(
        &text,
        "First line of the file.\nSecond line, and the end.\n",
    )
    .expect("write");
    for source in [vec!["One sentence. Two sentences."], vec!["-f", "text.txt"]] {
        let server = FakeServer::start(Script::SpeakOnFinish);
        let mut child = say(dir.path(), &server)
            .current_dir(dir.path())
            .args(["-o", "out.pcm"])
            .args(&source)
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs");
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{source:?}: finish-task never came");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "{source:?}");
        let record = server.record();
        let actions: Vec<&str> = record
            .frames
            .iter()
            .map(|(_, _, f)| f["header"]["action"].as_str().expect("action"))
            .collect();
        assert_eq!(actions.last(), Some(&"finish-task"), "{actions:?}");
        assert!(
            actions[..actions.len() - 1]
                .iter()
                .all(|a| *a != "finish-task")
        );
        assert_eq!(
            std::fs::read(dir.path().join("out.pcm")).expect("file"),
            record.audio
        );
    }
}

#[test]
fn a_frame_over_our_limit_is_named_as_such_not_as_a_closed_connection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = FakeServer::start(Script::HugeFrame);
    let output = say(dir.path(), &server)
        .args(["-o"])
        .arg(dir.path().join("big.pcm"))
        .arg("Hello.")
        .output()
        .expect("runs");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("a frame larger than tts accepts"), "{err}");
    assert!(!err.contains("connection closed"), "{err}");
    assert!(!dir.path().join("big.pcm").exists());
}

#[test]
fn say_retries_a_failed_first_connection_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = FakeServer::start(Script::RejectFirst(503));
    let out = dir.path().join("retry.pcm");
    let output = say(dir.path(), &server)
        .arg("-o")
        .arg(&out)
        .arg("Hello.")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(server.record().connections, 2);
    assert_eq!(std::fs::read(&out).expect("file"), server.record().audio);
}

#[test]
fn a_throttled_handshake_keeps_the_services_code_and_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = FakeServer::start(Script::Reject(429));
    let output = say(dir.path(), &server)
        .arg("-o")
        .arg(dir.path().join("never.pcm"))
        .arg("Hello.")
        .output()
        .expect("runs");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let body: serde_json::Value = serde_json::from_str(REFUSAL_BODY).expect("json");
    for part in [
        "HTTP 429",
        body["code"].as_str().expect("code"),
        body["message"].as_str().expect("message"),
        "try again",
    ] {
        assert!(err.contains(part), "{part:?} in {err}");
    }
    assert_eq!(server.record().connections, 2, "one retry, then the error");
}

#[test]
fn convert_retries_server_and_model_errors() {
    for code in ["SERVER_ERROR", "MODEL_ERROR"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("book.txt");
        std::fs::write(&input, "A page of the book.\n").expect("write");
        let server = FakeServer::start(Script::FailFirstFinish(code));
        let output = tts(dir.path())
            .env("DASHSCOPE_API_KEY", KEY)
            .args(["convert", "-e", "cosyvoice", "--endpoint", &server.url()])
            .args(["--format", "pcm"])
            .arg(&input)
            .output()
            .expect("runs");
        let err = stderr(&output);
        assert!(output.status.success(), "{code}: {err}");
        assert!(
            err.contains("retrying") && err.contains("1 converted"),
            "{err}"
        );
        assert_eq!(server.record().actions("run-task").len(), 2, "{code}");
    }
}

/// The peak memory `tts --timing` reports as it exits (its own VmHWM), in MB.
fn reported_peak_mb(stderr: &str) -> f64 {
    stderr
        .split("peak memory ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|mb| mb.parse().ok())
        .unwrap_or_else(|| panic!("no peak memory in: {stderr}"))
}

/// Feed `bytes` of `y` lines to a `tts say --timing` against `server`; the writer's progress
/// and the child are handed back while it runs.
fn feed(
    dir: &Path,
    server: &FakeServer,
    bytes: usize,
) -> (
    std::process::Child,
    Arc<AtomicUsize>,
    std::thread::JoinHandle<()>,
) {
    let mut child = say(dir, server)
        .arg("--timing")
        .arg("-o")
        .arg(dir.join("yes.pcm"))
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let written = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&written);
    let writer = std::thread::spawn(move || {
        let chunk = "y\n".repeat(32 * 1024);
        while counter.load(Ordering::Relaxed) < bytes {
            if stdin.write_all(chunk.as_bytes()).is_err() {
                return;
            }
            counter.fetch_add(chunk.len(), Ordering::Relaxed);
        }
    });
    (child, written, writer)
}

#[test]
fn endless_input_against_a_slow_service_keeps_memory_bounded() {
    const MB: usize = 1 << 20;
    const TOTAL: usize = 12 * MB;
    // The same binary with a small input, for what memory the program needs anyway (it grows
    // with the binary; the text queue is what is checked).
    let small = tempfile::tempdir().expect("tempdir");
    let server = FakeServer::start(Script::Happy);
    let (child, _, writer) = feed(small.path(), &server, 64 * 1024);
    writer.join().expect("the writer ends");
    let output = child.wait_with_output().expect("exits");
    assert!(output.status.success(), "{}", stderr(&output));
    let baseline = reported_peak_mb(&stderr(&output));

    let dir = tempfile::tempdir().expect("tempdir");
    // The first task ends only when released: until then the reader must be held back.
    let server = FakeServer::start(Script::HoldFirstFinish);
    let (child, written, writer) = feed(dir.path(), &server, TOTAL);
    // Wait until all is written or the writer is held back (no progress for a second).
    let (mut last, mut since) = (0, Instant::now());
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = written.load(Ordering::Relaxed);
        if now >= TOTAL || since.elapsed() > Duration::from_secs(1) {
            break;
        }
        if now != last {
            (last, since) = (now, Instant::now());
        }
    }
    let held_at = written.load(Ordering::Relaxed);
    server.release();
    writer.join().expect("the writer ends");
    let output = child.wait_with_output().expect("exits");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        held_at < TOTAL / 4,
        "the reader stopped while the service was behind: {} MB taken",
        held_at / MB
    );
    let peak = reported_peak_mb(&stderr(&output));
    assert!(
        // Queueing the whole input (12 MB of lines) used to add about 13 MB.
        peak - baseline < 6.0,
        "peak memory {peak:.1} MB after {} MB of input, {baseline:.1} MB for 64 KB",
        TOTAL / MB
    );
    assert!(
        server.record().actions("run-task").len() > 40,
        "every task ran"
    );
}

#[test]
fn an_output_that_is_an_input_or_read_only_is_refused_before_connecting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = FakeServer::start(Script::Happy);
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "My notes.\n").expect("write");
    std::fs::hard_link(&notes, dir.path().join("hard.pcm")).expect("hard link");
    std::os::unix::fs::symlink(&notes, dir.path().join("soft.pcm")).expect("symlink");
    for (output, format) in [
        ("notes.txt", &["--format", "pcm"][..]),
        ("hard.pcm", &[][..]),
        ("soft.pcm", &[][..]),
    ] {
        let result = say(dir.path(), &server)
            .current_dir(dir.path())
            .args(["-f", "notes.txt", "-o", output])
            .args(format)
            .output()
            .expect("runs");
        let err = stderr(&result);
        assert_eq!(result.status.code(), Some(2), "{output}: {err}");
        assert!(
            err.contains("the audio would overwrite the text") && err.contains(output),
            "{output}: {err}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&notes).expect("notes"),
        "My notes.\n"
    );

    let locked = dir.path().join("locked.pcm");
    std::fs::write(&locked, b"keep me!").expect("write");
    let mut permissions = std::fs::metadata(&locked).expect("meta").permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&locked, permissions).expect("chmod");
    for append in [false, true] {
        let mut command = say(dir.path(), &server);
        if append {
            command.args(["--append", "--sample-rate", "22050"]);
        }
        let result = command
            .arg("-o")
            .arg(&locked)
            .arg("Hello.")
            .output()
            .expect("runs");
        let err = stderr(&result);
        assert_eq!(result.status.code(), Some(2), "{err}");
        assert!(
            err.contains("is read-only") && err.contains("chmod u+w"),
            "{err}"
        );
    }
    assert_eq!(std::fs::read(&locked).expect("kept"), b"keep me!");

    // tts convert: that file fails, before any connection is made for it.
    let text = dir.path().join("locked.txt");
    std::fs::write(&text, "Hello.\n").expect("write");
    let result = tts(dir.path())
        .env("DASHSCOPE_API_KEY", KEY)
        .args(["convert", "-e", "cosyvoice", "--endpoint", &server.url()])
        .args(["--force", "--format", "pcm"])
        .arg(&text)
        .output()
        .expect("runs");
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(3), "{err}");
    assert!(err.contains("is read-only"), "{err}");
    assert_eq!(std::fs::read(&locked).expect("kept"), b"keep me!");
    assert_eq!(server.record().connections, 0, "checked before connecting");
}

/// Whether a process is gone (or a zombie no one has reaped yet).
fn gone(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
        stat.rsplit(')')
            .next()
            .is_some_and(|s| s.trim_start().starts_with('Z'))
    })
}

#[test]
fn sigterm_while_the_key_command_runs_kills_its_whole_group() {
    let home = tempfile::tempdir().expect("tempdir");
    let pids = home.path().join("pids");
    let config = home.path().join(".config/tts/config.toml");
    std::fs::create_dir_all(config.parent().expect("dir")).expect("mkdir");
    std::fs::write(
        &config,
        format!(
            "api_key_command = \"sleep 60 & echo $! > {0}; sleep 60 & echo $! >> {0}; wait\"\n",
            pids.display()
        ),
    )
    .expect("write");
    let server = FakeServer::start(Script::Happy);
    let child = tts(home.path())
        .args(["say", "-e", "cosyvoice", "--endpoint", &server.url()])
        .args(["-o", "x.pcm", "Hello."])
        .current_dir(home.path())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&pids).map_or(true, |p| p.lines().count() < 2) {
        assert!(Instant::now() < deadline, "the key command did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let output = child.wait_with_output().expect("exits");
    assert_eq!(output.status.code(), Some(130), "{}", stderr(&output));
    let pids = std::fs::read_to_string(&pids).expect("pids");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pids.lines().all(gone) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(pids.lines().all(gone), "no orphan left: {pids}");
    assert_eq!(server.record().connections, 0);
}

#[test]
fn the_key_is_found_where_the_dashscope_tools_keep_it() {
    let home = tempfile::tempdir().expect("tempdir");
    let login = home.path().join(".dashscope/api_key");
    std::fs::create_dir_all(login.parent().expect("dir")).expect("mkdir");
    std::fs::write(&login, format!("{KEY}\n")).expect("write");
    let mut permissions = std::fs::metadata(&login).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o644);
    std::fs::set_permissions(&login, permissions).expect("chmod");

    let shown = tts(home.path())
        .args(["config", "show"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains(&format!("the API key comes from {}", login.display())),
        "{text}"
    );
    assert!(!text.contains(KEY));

    let server = FakeServer::start(Script::Happy);
    let output = tts(home.path())
        .args(["say", "-e", "cosyvoice", "--endpoint", &server.url()])
        .arg("-o")
        .arg(home.path().join("a.pcm"))
        .arg("Hello.")
        .output()
        .expect("runs");
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(err.contains("others can read it: chmod 600"), "{err}");
    assert!(!err.contains(KEY), "{err}");
    let bearer = |server: &FakeServer| {
        server.record().handshakes[0]
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.clone())
    };
    assert_eq!(bearer(&server), Some(format!("Bearer {KEY}")), "trimmed");

    // DASHSCOPE_API_KEY_FILE_PATH comes before ~/.dashscope/api_key.
    let named = home.path().join("named");
    std::fs::write(&named, "sk-named\r\n").expect("write");
    let server = FakeServer::start(Script::Happy);
    let output = tts(home.path())
        .env("DASHSCOPE_API_KEY_FILE_PATH", &named)
        .args(["say", "-e", "cosyvoice", "--endpoint", &server.url()])
        .arg("-o")
        .arg(home.path().join("b.pcm"))
        .arg("Hello.")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(bearer(&server), Some("Bearer sk-named".to_owned()));

    // A key that cannot be a header value is refused, never silently left out.
    let server = FakeServer::start(Script::Happy);
    let output = tts(home.path())
        .env("DASHSCOPE_API_KEY", "sk-first\nsk-second")
        .args(["say", "-e", "cosyvoice", "--endpoint", &server.url()])
        .args(["-o", "c.pcm", "Hello."])
        .current_dir(home.path())
        .output()
        .expect("runs");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(
        err.contains("DASHSCOPE_API_KEY") && err.contains("one line"),
        "{err}"
    );
    assert!(!err.contains("sk-first"), "{err}");
    assert_eq!(server.record().connections, 0);
}
