//! Every `$ ` line of README.md's console blocks, run as a reader would run it, with the README's
//! config file saved: the cloud is a `tts serve` of this build (its endpoint substituted, a test
//! key from a stand-in `pass`), `-e local` lines are offline, and playback is captured from
//! ALSA's `default` device. Each must exit 0 and produce what it promises (a file, a directory,
//! subtitles, sound, a listing). Lines that cannot run here are listed in [`SKIP`] with the
//! reason; a new line that fails must be fixed, or listed.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{Capture, ServeProcess, non_silent, rms};

/// Lines not run, by a piece of their text, and why.
const SKIP: &[(&str, &str)] = &[
    ("llm \"", "needs a real LLM (the `llm` tool)"),
    ("ollama run", "needs a real LLM (ollama)"),
    ("aichat ", "needs a real LLM (aichat)"),
    ("tail -f", "follows a log forever"),
    (
        "export DASHSCOPE_API_KEY",
        "a real key: the lines after it run with a test key against tts serve",
    ),
    ("python my_app.py", "the reader's own program"),
    (
        "tts voice show ID",
        "ID stands for the id of a voice the reader made",
    ),
    (
        "--region cn",
        "--region picks the real service over the test endpoint",
    ),
];

/// The command `tts serve` alone, which runs until Ctrl-C: the test runs its own.
fn is_bare_serve(command: &str) -> bool {
    command.split('#').next().map(str::trim) == Some("tts serve")
}

/// A README console line: its text, its line number, and whether it follows an
/// `export DASHSCOPE_API_KEY` in its block (the key then comes from the environment rather than
/// from the config file's `api_key_command`).
struct Line {
    command: String,
    number: usize,
    after_export: bool,
}

fn console_lines(readme: &str) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut in_console = false;
    let mut after_export = false;
    for (i, text) in readme.lines().enumerate() {
        let trimmed = text.trim_start();
        if let Some(fence) = trimmed.strip_prefix("```") {
            in_console = !in_console && fence.trim() == "console";
            after_export = false;
            continue;
        }
        if !in_console {
            continue;
        }
        if let Some(command) = trimmed.strip_prefix("$ ") {
            lines.push(Line {
                command: command.trim().to_owned(),
                number: i + 1,
                after_export,
            });
            after_export |= command.contains("export DASHSCOPE_API_KEY");
        }
    }
    lines
}

/// The first ```toml block: the README's config file.
fn config_example(readme: &str) -> String {
    let start = readme
        .find("```toml\n")
        .expect("README shows a config file")
        + "```toml\n".len();
    let end = readme[start..].find("```").expect("the block ends") + start;
    readme[start..end].to_owned()
}

/// Words of a command as the shell splits them (quotes, a `#` comment), without expansions.
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut started = false;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, '#') if !started => break,
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (None, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// Short text files the README's lines read.
fn fixtures(dir: &Path) {
    let text =
        "It was a bright cold day. The clocks were striking.\n\nA new paragraph begins here.\n";
    for name in [
        "chapter1.txt",
        "epilogue.txt",
        "lecture.txt",
        "story.txt",
        "chapters/one.txt",
        "chapters/two.txt",
    ] {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write a fixture");
    }
    for name in ["talk.md", "notes.md"] {
        std::fs::write(
            dir.join(name),
            "# A title\n\nSome *emphasis* and a [link](https://example.com).\n",
        )
        .expect("write a fixture");
    }
}

/// The value after `flag` among `words`.
fn value<'a>(words: &'a [String], flags: &[&str]) -> Option<&'a str> {
    words
        .iter()
        .position(|w| flags.contains(&w.as_str()))
        .and_then(|at| words.get(at + 1))
        .map(String::as_str)
}

/// The level (RMS on the 16-bit scale) of what reached the capture file, leaving out the
/// unpaced device's runs of silence. `--device capfile` writes the device's own sample format,
/// which may be 32-bit or float, so any WAV sample format is read.
fn played_level(path: &Path) -> f64 {
    let mut reader = hound::WavReader::open(path).expect("the capture is a WAV");
    let spec = reader.spec();
    let samples: Vec<f64> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, _) => reader
            .samples::<f32>()
            .map(|s| f64::from(s.expect("sample")) * 32768.0)
            .collect(),
        (hound::SampleFormat::Int, bits) => {
            let scale = f64::from(1u32 << (bits - 16).min(16));
            reader
                .samples::<i32>()
                .map(|s| f64::from(s.expect("sample")) / scale)
                .collect()
        }
    };
    let spoken: Vec<i16> = samples
        .chunks(usize::from(spec.channels))
        .map(|frame| frame[0].clamp(-32768.0, 32767.0) as i16)
        .collect();
    rms(&non_silent(&spoken))
}

/// The files `pattern` names in `dir`, as the shell expands `*.txt` or `chapters/*.txt`.
fn expand(dir: &Path, pattern: &str) -> Vec<std::path::PathBuf> {
    let Some((head, tail)) = pattern.split_once('*') else {
        return vec![dir.join(pattern)];
    };
    let (sub, prefix) = head.rsplit_once('/').unwrap_or(("", head));
    let mut found: Vec<_> = std::fs::read_dir(dir.join(sub))
        .expect("the pattern's directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(tail))
        })
        .collect();
    found.sort();
    assert!(!found.is_empty(), "{pattern} names no file");
    found
}

/// What a line promises, checked after it ran.
fn check_outputs(line: &Line, dir: &Path, stdout: &[u8], capture: &Capture) {
    let words = words(&line.command);
    let n = line.number;
    let Some(at) = words.iter().position(|w| w == "tts") else {
        return;
    };
    let words = &words[at..];
    let verb = words.get(1).map(String::as_str).unwrap_or("");
    let nonempty = |path: &Path| {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        assert!(
            size > 0,
            "README line {n}: {} was not written",
            path.display()
        );
    };
    let output = value(words, &["-o", "--output"]);
    if let Some(output) = output.filter(|o| *o != "-") {
        let path = dir.join(output);
        nonempty(&path);
        if let Some(format) = value(words, &["--subtitles"]) {
            nonempty(&path.with_extension(format));
        }
    }
    match verb {
        "convert" => {
            let format = value(words, &["--format"]).unwrap_or("mp3");
            if let Some(out) = value(words, &["-d", "--out-dir"]) {
                let count = std::fs::read_dir(dir.join(out)).map_or(0, Iterator::count);
                assert!(count > 0, "README line {n}: {out} is empty");
            } else {
                for input in words
                    .iter()
                    .filter(|w| w.ends_with(".txt") || w.ends_with(".md"))
                    .flat_map(|w| expand(dir, w))
                {
                    nonempty(&input.with_extension(format));
                }
            }
            if value(words, &["--subtitles"]).is_some() {
                let srt = std::fs::read_dir(dir)
                    .expect("dir")
                    .filter_map(Result::ok)
                    .any(|e| e.path().extension().is_some_and(|x| x == "srt"));
                assert!(srt, "README line {n}: no subtitles");
            }
        }
        "voices" | "devices" | "config" | "voice" | "token" => {
            assert!(!stdout.is_empty(), "README line {n} printed nothing");
        }
        _ if words.iter().any(|w| w == "?") => {
            assert!(!stdout.is_empty(), "README line {n} listed no voices");
        }
        _ if output.is_none() => {
            let level = played_level(&capture.path());
            assert!(
                level > 300.0,
                "README line {n}: nothing was heard ({level})"
            );
        }
        _ => {}
    }
}

#[test]
#[allow(
    clippy::print_stderr,
    reason = "what was skipped and why shows with --nocapture"
)]
fn every_console_line_of_the_readme_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let lines = console_lines(&readme);
    assert!(lines.len() > 20, "the parser found the examples");
    let server = ServeProcess::start(&[]);
    let work = tempfile::tempdir().expect("tempdir");
    let dir = work.path().join("work");
    let home = work.path().join("home");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::create_dir_all(home.join(".config/tts")).expect("mkdir");
    fixtures(&dir);
    // The README's config file, as the reader would save it.
    std::fs::write(
        home.join(".config/tts/config.toml"),
        config_example(&readme),
    )
    .expect("write the config");
    // `tts` on PATH is this build; `pass`, which the config's api_key_command runs, gives the
    // test key (the endpoint is the test server's for every line).
    let bin = work.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_tts"), bin.join("tts")).expect("symlink");
    let pass = bin.join("pass");
    std::fs::write(&pass, "#!/bin/sh\necho sk-from-pass\n").expect("write pass");
    std::fs::set_permissions(&pass, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    // `--device 2` means the second device of `tts devices`: here, the capture device, found by
    // its name in the list whatever its number.
    let capture_number = {
        let capture = Capture::new();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tts"));
        capture.apply(&mut cmd);
        let listed = cmd.arg("devices").output().expect("tts devices runs");
        String::from_utf8_lossy(&listed.stdout)
            .lines()
            .find(|l| l.split_whitespace().any(|w| w == "capfile"))
            .and_then(|l| l.split_whitespace().next().map(str::to_owned))
            .expect("tts devices lists the capture device")
    };
    let mut ran = 0;
    let mut skipped: Vec<String> = Vec::new();
    for line in &lines {
        let command = line
            .command
            .replace("ws://127.0.0.1:8765/api-ws/v1/inference", &server.url)
            .replace("--device 2 ", &format!("--device {capture_number} "));
        if let Some((_, why)) = SKIP.iter().find(|(piece, _)| command.contains(piece)) {
            skipped.push(format!("line {}: {why}", line.number));
            continue;
        }
        if is_bare_serve(&command) {
            skipped.push(format!(
                "line {}: runs until Ctrl-C; the test runs its own server",
                line.number
            ));
            continue;
        }
        let capture = Capture::new();
        let mut cmd = Command::new("timeout");
        cmd.args(["300", "bash", "-c", &command])
            .current_dir(&dir)
            .env("PATH", &path)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_RUNTIME_DIR", "/nonexistent")
            .env("PULSE_SERVER", "unix:/nonexistent")
            .env_remove("TTS_CONFIG")
            .env_remove("TTS_PROFILE")
            .env_remove("DASHSCOPE_API_KEY")
            .env("DASHSCOPE_WEBSOCKET_BASE_URL", &server.url)
            .env("DASHSCOPE_HTTP_BASE_URL", &server.http)
            .stdin(Stdio::null());
        capture.apply(&mut cmd);
        if line.after_export {
            cmd.env("DASHSCOPE_API_KEY", "sk-readme");
        }
        let output = cmd.output().expect("bash runs");
        assert!(
            output.status.success(),
            "README line {} `{}` failed ({}): {}\n(if it needs the real cloud or an LLM, add it to SKIP in tests/it/readme.rs with the reason)",
            line.number,
            line.command,
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        check_outputs(line, &dir, &output.stdout, &capture);
        ran += 1;
    }
    eprintln!(
        "ran {ran} README lines; skipped:\n  {}",
        skipped.join("\n  ")
    );
    assert!(ran >= 20, "most examples ran: {ran}");
    for (piece, why) in SKIP {
        assert!(
            lines.iter().any(|l| l.command.contains(piece)),
            "SKIP lists `{piece}` ({why}), which no README line has any more: remove it"
        );
    }
}

#[test]
fn the_parser_reads_words_as_the_shell_does() {
    assert_eq!(
        words(r#"tts say -v '?' "a b"   # a comment"#),
        ["tts", "say", "-v", "?", "a b"]
    );
    let lines = console_lines(
        "x\n```console\n$ tts a\n$ export DASHSCOPE_API_KEY=k\n$ tts b\n```\n$ not\n```sh\n$ no\n```\n",
    );
    let seen: Vec<(&str, bool)> = lines
        .iter()
        .map(|l| (l.command.as_str(), l.after_export))
        .collect();
    assert_eq!(
        seen,
        [
            ("tts a", false),
            ("export DASHSCOPE_API_KEY=k", false),
            ("tts b", true)
        ]
    );
}
