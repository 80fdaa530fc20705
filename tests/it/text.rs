//! The text stages end to end: what a server receives is the text given (spaces included),
//! sentence ends that are not, slow writers, Markdown for the service, encodings.

use std::io::Write;
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{ServeProcess, tts, wav_seconds};
use crate::fake_server::{FakeServer, Record, Script};

/// Text with every kind of white space and sentence end a reader meets.
const TEXT: &str = "One. Two.  Three!\tFour? Five\nsix, seven.\n\nMr. Smith met Dr. Jones at \
                    10:30, e.g. Near St. Mark's; it cost 3.14 dollars. See \
                    https://example.com/a?b=1&c=2.x now! Mail john.doe@example.org. 七。八\r\nnine.";

/// [`TEXT`] as it must reach a server: the single line breaks are spaces.
fn on_the_wire(text: &str) -> String {
    text.replace("Five\nsix", "Five six")
        .replace("八\r\nnine", "八 nine")
}

fn remote(server: &FakeServer, home: &std::path::Path) -> Command {
    let mut cmd = tts(home);
    cmd.env("DASHSCOPE_API_KEY", "sk-test").args([
        "say",
        "-e",
        "cosyvoice",
        "--endpoint",
        &server.url(),
    ]);
    cmd
}

fn ok(output: &Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn with_stdin(mut command: Command, input: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tts runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write");
    child.wait_with_output().expect("exits")
}

/// No cut between two fragments falls inside a word, a URL, an address or a number.
fn whole_tokens(texts: &[String], tokens: &[&str]) {
    for pair in texts.windows(2) {
        assert!(
            !(pair[0].ends_with(char::is_alphanumeric)
                && pair[1].starts_with(char::is_alphanumeric)),
            "cut inside a word: {pair:?}"
        );
    }
    for token in tokens {
        assert!(
            texts.iter().any(|t| t.contains(token)),
            "{token:?} was split: {texts:?}"
        );
    }
}

#[test]
fn the_text_a_server_receives_is_the_text_given_with_its_spaces() {
    let home = tempfile::tempdir().expect("tempdir");
    let file = home.path().join("in.txt");
    std::fs::write(&file, format!("{TEXT}\n")).expect("write");
    let out = home.path().join("a.pcm");
    let out = out.to_str().expect("utf-8");
    let whole = [
        "Mr. Smith met Dr. Jones at 10:30, e.g. Near St. Mark's; it cost 3.14 dollars.",
        "https://example.com/a?b=1&c=2.x",
        "john.doe@example.org.",
    ];
    for how in ["argument", "file", "stdin"] {
        let server = FakeServer::start(Script::Happy);
        let mut command = remote(&server, home.path());
        command.args(["-o", out]);
        let output = match how {
            "argument" => command.arg(TEXT).output().expect("runs"),
            "file" => command.arg("-f").arg(&file).output().expect("runs"),
            _ => with_stdin(command, TEXT.as_bytes()),
        };
        ok(&output);
        let texts = server.record().texts();
        assert_eq!(texts.concat(), on_the_wire(TEXT), "{how}: {texts:?}");
        assert!(texts.len() >= 8, "{how}: sentence by sentence: {texts:?}");
        whole_tokens(&texts, &whole);
    }
}

#[test]
fn with_every_line_a_message_each_line_break_is_still_sent() {
    let home = tempfile::tempdir().expect("tempdir");
    let server = FakeServer::start(Script::Happy);
    let mut command = remote(&server, home.path());
    command.args(["--flush-on-newline", "-o"]);
    command.arg(home.path().join("a.pcm"));
    let log = "disk full\nretrying in 5 s\n\nrecovered.\n";
    ok(&with_stdin(command, log.as_bytes()));
    let texts = server.record().texts();
    assert_eq!(texts, ["disk full", "\nretrying in 5 s", "\n\nrecovered."]);
}

/// A model writing tokens to `tts say` at `per_second`; returns what the server received.
/// After the first clause the writer waits (at most 20 s) until the server has it: the first
/// clause is spoken without waiting for the rest of the sentence.
fn scripted_writer(per_second: u32, wait_for_first_clause: bool) -> (Record, String) {
    const TOKENS: &[&str] = &[
        "Once", " upon", " a", " time", ",", " an", " extra", "ordinary", " fisher", "man",
        " lived", " by", " the", " sea", ".", " Every", " morning", " he", " cast", " his", " net",
        ";", " every", " even", "ing", " he", " mend", "ed", " it", ".",
    ];
    let home = tempfile::tempdir().expect("tempdir");
    let server = FakeServer::start(Script::Happy);
    let mut command = remote(&server, home.path());
    command.arg("-o").arg(home.path().join("a.pcm"));
    let mut child: Child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tts runs");
    let mut stdin: ChildStdin = child.stdin.take().expect("stdin");
    let every = Duration::from_secs(1) / per_second;
    for (i, token) in TOKENS.iter().enumerate() {
        stdin.write_all(token.as_bytes()).expect("write");
        stdin.flush().expect("flush");
        if wait_for_first_clause && *token == "," && i == 4 {
            let deadline = Instant::now() + Duration::from_secs(20);
            while server.record().texts().is_empty() {
                assert!(
                    Instant::now() < deadline,
                    "the first clause was not sent while the writer waited"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            assert_eq!(server.record().texts()[0], "Once upon a time,");
        }
        std::thread::sleep(every);
    }
    drop(stdin);
    let output = child.wait_with_output().expect("exits");
    ok(&output);
    (server.record(), TOKENS.concat())
}

fn flushes(record: &Record) -> usize {
    record
        .actions("continue-task")
        .iter()
        .filter(|f| f["payload"]["input"]["flush"] == true)
        .count()
}

#[test]
fn a_slow_writer_is_spoken_by_clauses_and_never_inside_a_word() {
    let (record, text) = scripted_writer(2, true);
    let texts = record.texts();
    assert_eq!(texts.concat(), text);
    whole_tokens(&texts, &["extraordinary", "fisherman", "evening", "mended"]);
    assert!(texts.len() <= 8, "not token by token: {texts:?}");
    // A flush follows only a fragment cut short of its sentence's end.
    let short = texts
        .iter()
        .filter(|t| !t.trim_end().ends_with('.'))
        .count();
    assert!(flushes(&record) <= short, "{texts:?}");
}

#[test]
fn faster_writers_are_spoken_by_sentences_or_clauses() {
    for per_second in [10, 50] {
        let (record, text) = scripted_writer(per_second, false);
        let texts = record.texts();
        assert_eq!(texts.concat(), text, "{per_second}/s");
        whole_tokens(&texts, &["extraordinary", "fisherman", "evening", "mended"]);
        assert!(texts.len() <= 5, "{per_second}/s: {texts:?}");
        let short = texts
            .iter()
            .filter(|t| !t.trim_end().ends_with('.'))
            .count();
        assert!(flushes(&record) <= short, "{per_second}/s: {texts:?}");
    }
}

#[test]
fn flush_after_is_taken_from_the_flag_or_the_config_and_checked_before_any_work() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = home.path().join("a.wav");
    let output = tts(home.path())
        .args(["say", "-e", "local", "--flush-after", "0.5", "-o"])
        .arg(&out)
        .arg("hello")
        .output()
        .expect("runs");
    ok(&output);
    let config = home.path().join("config.toml");
    std::fs::write(&config, "flush_after = 2.5\n").expect("write");
    let output = tts(home.path())
        .env("TTS_CONFIG", &config)
        .args(["say", "-e", "local", "-o"])
        .arg(&out)
        .arg("hello")
        .output()
        .expect("runs");
    ok(&output);
    let output = tts(home.path())
        .args(["say", "-e", "local", "--flush-after", "0", "hello"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("--flush-after"), "{err}");
    // The setting in the configuration file is checked the same way.
    let config = home.path().join("config.toml");
    std::fs::write(&config, "flush_after = 100\n").expect("write");
    let output = tts(home.path())
        .env("TTS_CONFIG", &config)
        .args(["say", "-e", "local", "hello"])
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

const MARKDOWN: &str = "# A **bold** title\n\nSome *words* and a [link](https://example.com).\n\n\
                        ```rust\nlet code = 1;\n```\n\nThe end.\n";

#[test]
fn markdown_for_the_service_keeps_its_lines_and_subtitles_show_it_as_spoken() {
    let home = tempfile::tempdir().expect("tempdir");
    let server = FakeServer::start(Script::Happy);
    let input = home.path().join("notes.md");
    std::fs::write(&input, MARKDOWN).expect("write");
    let out = home.path().join("notes.mp3");
    let output = remote(&server, home.path())
        .args([
            "--markdown-filter",
            "--subtitles",
            "srt",
            "--format",
            "mp3",
            "-f",
        ])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("runs");
    ok(&output);
    let record = server.record();
    let texts = record.texts();
    assert_eq!(texts.concat(), MARKDOWN.trim_end(), "sent as written");
    assert!(
        texts
            .iter()
            .any(|t| t.trim() == "```rust\nlet code = 1;\n```"),
        "the code block in one piece, lines intact: {texts:?}"
    );
    let run = &record.actions("run-task")[0];
    assert_eq!(run["payload"]["parameters"]["enable_markdown_filter"], true);
    let srt = std::fs::read_to_string(out.with_extension("srt")).expect("subtitles");
    for raw in ["**", "#", "```", "](", "let code"] {
        assert!(!srt.contains(raw), "{raw:?} in the subtitles:\n{srt}");
    }
    assert!(srt.contains("A bold title"), "{srt}");
    assert!(srt.contains("Some words and a link."), "{srt}");
}

#[test]
fn a_long_chinese_sentence_gets_several_cues() {
    let home = tempfile::tempdir().expect("tempdir");
    let sentence = "今天早上我们一起去公园散步，看到很多老人在打太极拳，孩子们在草地上奔跑玩耍，\
                    湖边的柳树已经发芽了；我们走了大约一个小时，然后在小店吃了早饭，\
                    大家都觉得这是美好的周末开始了。";
    assert_eq!(sentence.chars().count(), 86);
    let out = home.path().join("zh.wav");
    let output = tts(home.path())
        .args(["say", "-q", "-e", "local", "--subtitles", "srt", "-o"])
        .arg(&out)
        .arg(sentence)
        .output()
        .expect("runs");
    ok(&output);
    let srt = std::fs::read_to_string(out.with_extension("srt")).expect("subtitles");
    let cues: Vec<&str> = srt
        .lines()
        .filter(|l| !l.is_empty() && !l.contains(" --> ") && l.parse::<u32>().is_err())
        .collect();
    assert!(cues.len() >= 3, "{srt}");
    assert_eq!(cues.concat(), sentence);
    assert!(
        cues.iter()
            .all(|c| c.chars().count() <= 40 && c.ends_with(['，', '；', '。'])),
        "{srt}"
    );
}

/// `text` as UTF-16 with a byte-order mark.
fn utf16(text: &str, little: bool) -> Vec<u8> {
    let bom: [u8; 2] = if little { [0xff, 0xfe] } else { [0xfe, 0xff] };
    bom.into_iter()
        .chain(text.encode_utf16().flat_map(|u| {
            if little {
                u.to_le_bytes()
            } else {
                u.to_be_bytes()
            }
        }))
        .collect()
}

#[test]
fn utf16_and_bom_files_are_read_as_their_text_offline() {
    let home = tempfile::tempdir().expect("tempdir");
    let text = "A file saved by an editor. It speaks.\n";
    let render = |name: &str, bytes: &[u8]| {
        let input = home.path().join(format!("{name}.txt"));
        std::fs::write(&input, bytes).expect("write");
        let out = home.path().join(format!("{name}.wav"));
        let output = tts(home.path())
            .args(["say", "-e", "local", "-f"])
            .arg(&input)
            .arg("-o")
            .arg(&out)
            .output()
            .expect("runs");
        ok(&output);
        std::fs::read(&out).expect("audio")
    };
    let plain = render("plain", text.as_bytes());
    assert!(wav_seconds(&home.path().join("plain.wav")).1 > 1.0);
    let bom8: Vec<u8> = b"\xef\xbb\xbf"
        .iter()
        .copied()
        .chain(text.bytes())
        .collect();
    assert_eq!(render("utf8bom", &bom8), plain);
    assert_eq!(render("utf16le", &utf16(text, true)), plain);
    assert_eq!(render("utf16be", &utf16(text, false)), plain);
}

#[test]
fn control_characters_are_dropped_with_one_warning() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = home.path().join("a.wav");
    let mut command = tts(home.path());
    command.args(["say", "-e", "local", "-o"]).arg(&out);
    let output = with_stdin(command, b"Hello\0 there.\x07 A bell\x1b and\0 more.\n");
    ok(&output);
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(err.matches("control characters").count(), 1, "{err}");
    assert!(wav_seconds(&out).1 > 1.0);

    // Through the service, the server never sees them.
    let server = FakeServer::start(Script::Happy);
    let mut command = remote(&server, home.path());
    command.arg("-o").arg(home.path().join("a.pcm"));
    ok(&with_stdin(command, b"Hello\0 there.\x07 Bye.\n"));
    assert_eq!(server.record().texts().concat(), "Hello there. Bye.");
}

#[test]
fn data_that_is_not_text_is_refused_before_synthesis_with_what_it_looks_like() {
    let home = tempfile::tempdir().expect("tempdir");
    let no_bom: Vec<u8> = "Hello there, a UTF-16 file."
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let no_bom_path = home.path().join("wide.txt");
    std::fs::write(&no_bom_path, &no_bom).expect("write");
    let png = home.path().join("picture.txt");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect("write");
    let cases: [(&str, &str); 3] = [
        ("/dev/zero", "binary data (NUL bytes)"),
        (
            no_bom_path.to_str().expect("utf-8"),
            "UTF-16LE text without a byte-order mark",
        ),
        (png.to_str().expect("utf-8"), "a PNG image"),
    ];
    for (path, kind) in cases {
        // Offline and through the service: exit 2, one line naming the file, no audio.
        let server = FakeServer::start(Script::Happy);
        let out = home.path().join("out.wav");
        for mut command in [
            {
                let mut c = tts(home.path());
                c.args(["say", "-e", "local"]);
                c
            },
            remote(&server, home.path()),
        ] {
            let started = Instant::now();
            let output = command
                .args(["-f", path, "-o"])
                .arg(&out)
                .output()
                .expect("runs");
            let err = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{path}: {err}");
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains(path) && err.contains(kind), "{err}");
            assert!(!out.exists(), "no audio file");
            assert!(started.elapsed() < Duration::from_secs(20), "{path}");
        }
        assert_eq!(server.record().connections, 0, "refused before connecting");
    }
    // Endless NULs on standard input: refused too, without reading on.
    let mut child = tts(home.path())
        .args(["say", "-e", "local", "-o"])
        .arg(home.path().join("stdin.wav"))
        .stdin(std::fs::File::open("/dev/zero").expect("/dev/zero"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "tts kept reading /dev/zero");
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("exits");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("standard input is not text"));
}

#[test]
fn tts_serve_hears_utf16_files_and_refuses_binary_ones() {
    let server = ServeProcess::start(&[]);
    let text = "Served from a UTF-16 file.";
    let input = server.path("wide.txt");
    std::fs::write(&input, utf16(text, true)).expect("write");
    let out = server.path("wide.wav");
    let output = server.say("sk-any", &["-f", &input, "-o", &out]);
    ok(&output);
    assert!(wav_seconds(std::path::Path::new(&out)).1 > 1.0);
    let plain = server.path("plain.wav");
    ok(&server.say("sk-any", &["-o", &plain, text]));
    let seconds = |p: &str| wav_seconds(std::path::Path::new(p)).1;
    assert!((seconds(&out) - seconds(&plain)).abs() < 0.05);

    let output = server.say("sk-any", &["-f", "/dev/zero", "-o", &server.path("z.wav")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("NUL bytes"));
}

#[test]
fn convert_reads_utf16_files_and_names_what_a_binary_one_looks_like() {
    let home = tempfile::tempdir().expect("tempdir");
    let server = FakeServer::start(Script::Happy);
    let wide = home.path().join("wide.txt");
    std::fs::write(
        &wide,
        utf16("Converted from UTF-16. Two sentences.\n", false),
    )
    .expect("write");
    let output = tts(home.path())
        .env("DASHSCOPE_API_KEY", "sk-test")
        .args(["convert", "-e", "cosyvoice", "--endpoint", &server.url()])
        .arg(&wide)
        .output()
        .expect("runs");
    ok(&output);
    assert_eq!(
        server.record().texts().concat(),
        "Converted from UTF-16. Two sentences."
    );
    let png = home.path().join("picture.txt");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect("write");
    let output = tts(home.path())
        .env("DASHSCOPE_API_KEY", "sk-test")
        .args(["convert", "-e", "cosyvoice", "--endpoint", &server.url()])
        .arg(&png)
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("picture.txt") && err.contains("a PNG image"),
        "{err}"
    );
}

#[test]
fn a_named_pipe_loses_nothing_to_the_check_for_text() {
    let home = tempfile::tempdir().expect("tempdir");
    let fifo = home.path().join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    let server = FakeServer::start(Script::Happy);
    let mut child = remote(&server, home.path())
        .arg("-f")
        .arg(&fifo)
        .arg("-o")
        .arg(home.path().join("a.pcm"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let text = "Through a named pipe. Every word arrives.";
    let pipe = fifo.clone();
    // The writer blocks until tts opens the pipe; a tts that opens it twice hangs, so wait
    // for it with a (generous) bound.
    std::thread::spawn(move || {
        let _ = std::fs::write(pipe, text);
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("tts never finished reading the named pipe");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    ok(&child.wait_with_output().expect("exits"));
    assert_eq!(server.record().texts().concat(), text);
}
