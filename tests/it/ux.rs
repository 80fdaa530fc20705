//! What a new user tries first: `tts TEXT`, `tts convert DIR`, config defaults that fit the
//! engine, flags that the engine would not honour, the offline voice following the text's
//! language, bit rates, devices and FIFOs, limits refused before connecting.

use std::path::Path;
use std::process::{Output, Stdio};

use crate::common::{Capture, non_silent, rms, tts, wav_seconds};

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `tts ARGS` in `home`, stdin closed.
fn run(home: &Path, args: &[&str]) -> Output {
    tts(home)
        .current_dir(home)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("tts runs")
}

#[test]
fn text_without_a_verb_is_spoken_and_so_is_piped_text() {
    let home = tempfile::tempdir().expect("tempdir");
    let output = run(
        home.path(),
        &["-q", "Hello there, this is spoken.", "-o", "a.wav"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let (_, seconds) = wav_seconds(&home.path().join("a.wav"));
    assert!(seconds > 1.0, "the whole sentence was spoken: {seconds} s");

    let mut child = tts(home.path())
        .current_dir(home.path())
        .args(["-q", "-o", "b.wav"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"Hi from a pipe.\n").expect("write");
    }
    let output = child.wait_with_output().expect("waits");
    assert!(output.status.success(), "{}", stderr(&output));
    let (_, seconds) = wav_seconds(&home.path().join("b.wav"));
    assert!(seconds > 0.5, "{seconds} s");

    // Played, through the real ALSA path.
    let capture = Capture::new();
    let mut cmd = tts(home.path());
    capture.apply(&mut cmd);
    let output = cmd
        .args(["-q", "Played without a verb."])
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let (_, played) = capture.read();
    assert!(
        rms(&non_silent(&played)) > 300.0,
        "speech reached the device"
    );

    let help = run(home.path(), &["--help"]);
    assert!(help.status.success());
    assert!(
        String::from_utf8_lossy(&help.stdout).contains("Without a verb, tts speaks"),
        "the help says so"
    );
}

#[test]
fn convert_takes_a_directory_and_its_subdirectories_with_recursive() {
    let home = tempfile::tempdir().expect("tempdir");
    let dir = home.path().join("book");
    std::fs::create_dir_all(dir.join("part2")).expect("mkdir");
    std::fs::write(dir.join("one.txt"), "The first chapter.\n").expect("write");
    std::fs::write(dir.join("two.MD"), "# Two\n\nThe second chapter.\n").expect("write");
    std::fs::write(dir.join("notes.log"), "not a text file for convert\n").expect("write");
    std::fs::write(dir.join("part2/three.txt"), "The third chapter.\n").expect("write");

    let output = run(
        home.path(),
        &["convert", "-q", "-e", "local", "book", "--format", "wav"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.join("one.wav").is_file() && dir.join("two.wav").is_file());
    assert!(!dir.join("notes.wav").exists(), "only .txt and .md");
    assert!(
        !dir.join("part2/three.wav").exists(),
        "subdirectories only with --recursive"
    );

    let output = run(
        home.path(),
        &[
            "convert", "-q", "-e", "local", "book", "-R", "-d", "out", "--format", "wav",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    for name in ["out/one.wav", "out/two.wav", "out/part2/three.wav"] {
        let (_, seconds) = wav_seconds(&home.path().join(name));
        assert!(seconds > 0.5, "{name}: {seconds} s");
    }

    let output = run(
        home.path(),
        &[
            "convert", "-e", "local", "-j", "4", "book", "--format", "wav", "--force",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--jobs 4: the offline engine converts one file at a time"),
        "not silently ignored: {}",
        stderr(&output)
    );

    std::fs::create_dir(home.path().join("empty")).expect("mkdir");
    let output = run(home.path(), &["convert", "-e", "local", "empty"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "tts: empty holds no .txt, .md or .markdown files (--recursive looks in its subdirectories)\n"
    );
}

#[test]
fn a_convert_rerun_makes_missing_subtitles() {
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        home.path().join("a.txt"),
        "One sentence. And another one.\n",
    )
    .expect("write");
    let convert = |home: &Path| {
        run(
            home,
            &[
                "convert",
                "-e",
                "local",
                "a.txt",
                "--format",
                "wav",
                "--subtitles",
                "srt",
            ],
        )
    };
    let output = convert(home.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let srt = home.path().join("a.srt");
    assert!(srt.is_file());
    std::fs::remove_file(&srt).expect("remove");
    let output = convert(home.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("1 converted, 0 skipped"),
        "{}",
        stderr(&output)
    );
    let cues = std::fs::read_to_string(&srt).expect("the sidecar is made again");
    assert!(cues.contains("And another one."), "{cues}");
    let output = convert(home.path());
    assert!(
        stderr(&output).contains("0 converted, 1 skipped"),
        "both up to date: {}",
        stderr(&output)
    );
}

#[test]
fn bit_rate_changes_what_the_offline_engine_writes() {
    let home = tempfile::tempdir().expect("tempdir");
    let text = "The bit rate decides how many bytes a second of this speech takes.";
    for ext in ["mp3", "opus"] {
        let sizes: Vec<u64> = ["16", "32", "64"]
            .iter()
            .map(|kbps| {
                let name = format!("a{kbps}.{ext}");
                let output = run(
                    home.path(),
                    &[
                        "say",
                        "-q",
                        "-e",
                        "local",
                        "--bit-rate",
                        kbps,
                        "-o",
                        &name,
                        text,
                    ],
                );
                assert!(output.status.success(), "{}", stderr(&output));
                std::fs::metadata(home.path().join(&name))
                    .expect("file")
                    .len()
            })
            .collect();
        assert!(
            sizes[0] < sizes[1] && sizes[1] < sizes[2],
            "{ext} sizes at 16, 32, 64 kbps: {sizes:?}"
        );
        // Twice the bit rate, about twice the bytes (headers aside).
        let ratio = sizes[2] as f64 / sizes[1] as f64;
        assert!((1.6..2.4).contains(&ratio), "{ext}: {sizes:?}");
    }
    let output = run(
        home.path(),
        &[
            "say",
            "-e",
            "local",
            "--bit-rate",
            "64",
            "-o",
            "a.wav",
            "hi",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(!home.path().join("a.wav").exists());
}

#[test]
fn flags_for_another_engine_are_refused_before_anything_runs() {
    let home = tempfile::tempdir().expect("tempdir");
    for flags in [
        &["--seed", "3"][..],
        &["--instruction", "whisper"],
        &["--aigc-tag"],
        &["--word-timestamps"],
        &["--language", "en"],
        &["-m", "cosyvoice-v2"],
    ] {
        let mut args = vec!["say", "-o", "x.wav"];
        args.extend_from_slice(flags);
        args.push("hello");
        let output = run(home.path(), &args);
        assert_eq!(output.status.code(), Some(2), "{flags:?}");
        let err = stderr(&output);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("is honoured by the cosyvoice engine only")
                && err.contains("-e cosyvoice"),
            "{err}"
        );
        assert!(!home.path().join("x.wav").exists(), "nothing ran");
    }
}

/// A config file with `text` in `home`, for `TTS_CONFIG`.
fn config(home: &Path, text: &str) -> String {
    let path = home.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path.to_str().expect("utf-8").to_owned()
}

#[test]
fn config_defaults_that_do_not_fit_are_skipped_not_fatal() {
    let home = tempfile::tempdir().expect("tempdir");
    let path = config(
        home.path(),
        "voice = \"longanyang\"\nrate = 1.1\nsample_rate = 16000\nformat = \"mp3\"\n",
    );
    // Offline: the CosyVoice voice is skipped with a notice; the rate applies to the file.
    let output = tts(home.path())
        .current_dir(home.path())
        .env("TTS_CONFIG", &path)
        .args(["say", "-e", "local", "-o", "a.wav", "Hello there."])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("skipping voice"),
        "{}",
        stderr(&output)
    );
    let (rate, _) = wav_seconds(&home.path().join("a.wav"));
    assert_eq!(rate, 16000, "sample_rate applies to files");

    // Playing: neither sample_rate nor format gets in the way.
    let capture = Capture::new();
    let mut cmd = tts(home.path());
    capture.apply(&mut cmd);
    let output = cmd
        .env("TTS_CONFIG", &path)
        .args(["say", "-q", "-e", "local", "Played at the device's rate."])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let (_, played) = capture.read();
    assert!(rms(&non_silent(&played)) > 300.0);
}

#[test]
fn the_offline_voice_follows_the_language_of_each_sentence() {
    let home = tempfile::tempdir().expect("tempdir");
    for (text, voice) in [
        ("Привет, как у тебя дела сегодня?", "ru"),
        ("مرحبا بالعالم، كيف حالك اليوم؟", "ar"),
        ("नमस्ते दुनिया, आप कैसे हैं?", "hi"),
        ("こんにちは、世界。今日はいい天気ですね。", "ja"),
        ("안녕하세요, 세계. 오늘 날씨가 좋네요.", "ko"),
        ("你好，世界。", "cmn"),
        ("Hello, world.", "en-us"),
    ] {
        let output = run(
            home.path(),
            &["say", "--verbose", "-e", "local", "-o", "v.wav", text],
        );
        assert!(output.status.success(), "{text}: {}", stderr(&output));
        let err = stderr(&output);
        assert!(
            err.contains(&format!("offline voice {voice} for")),
            "{text} is spoken by {voice}: {err}"
        );
        let (_, seconds) = wav_seconds(&home.path().join("v.wav"));
        assert!(seconds > 0.3, "{text}: {seconds} s");
        // The audio is that voice's: the same as asking for it by name.
        let output = run(
            home.path(),
            &[
                "say",
                "-q",
                "-e",
                "local",
                "-v",
                voice,
                "-o",
                "named.wav",
                text,
            ],
        );
        assert!(output.status.success(), "{}", stderr(&output));
        let read = |name: &str| std::fs::read(home.path().join(name)).expect("file");
        assert!(
            read("v.wav") == read("named.wav"),
            "{text}: spoken by {voice}"
        );
    }
    // -v wins, and one paragraph per language in one run switches voices.
    let output = run(
        home.path(),
        &[
            "say",
            "--verbose",
            "-e",
            "local",
            "-v",
            "en-gb",
            "-o",
            "v.wav",
            "Привет, мир.",
        ],
    );
    assert!(output.status.success());
    assert!(
        !stderr(&output).contains("offline voice"),
        "{}",
        stderr(&output)
    );
    let mixed = home.path().join("mixed.txt");
    std::fs::write(&mixed, "Good morning to you.\n\nДоброе утро, друзья мои.\n").expect("write");
    let output = run(
        home.path(),
        &[
            "say",
            "--verbose",
            "-e",
            "local",
            "-f",
            "mixed.txt",
            "-o",
            "v.wav",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("offline voice en-us for") && err.contains("offline voice ru for"),
        "{err}"
    );
}

#[test]
fn devices_and_fifos_take_wav_without_format() {
    let home = tempfile::tempdir().expect("tempdir");
    let output = run(
        home.path(),
        &["say", "-q", "-o", "/dev/null", "Into the void."],
    );
    assert!(output.status.success(), "{}", stderr(&output));

    let fifo = home.path().join("my.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let reader_path = fifo.clone();
    let reader = std::thread::spawn(move || std::fs::read(reader_path).expect("read the FIFO"));
    let output = run(
        home.path(),
        &["say", "-q", "-o", "my.fifo", "Through a FIFO."],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let bytes = reader.join().expect("reader");
    assert!(
        bytes.starts_with(b"RIFF") && bytes.len() > 10_000,
        "{} bytes",
        bytes.len()
    );
    assert!(fifo.exists(), "the FIFO is written through, not replaced");
}

#[test]
fn service_limits_and_catalog_mismatches_are_refused_before_connecting() {
    let home = tempfile::tempdir().expect("tempdir");
    // Port 9 is closed: reaching it would be exit 4, not 2.
    let remote = |args: &[&str]| {
        tts(home.path())
            .current_dir(home.path())
            .env("DASHSCOPE_API_KEY", "sk-test")
            .args(["say", "--endpoint", "ws://127.0.0.1:9/api-ws/v1/inference"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("runs")
    };
    let output = remote(&["--idle-timeout", "30", "-o", "a.mp3", "hi"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("below 23"), "{}", stderr(&output));
    let output = remote(&[
        "-m",
        "cosyvoice-v3-plus",
        "-v",
        "longxiaochun_v2",
        "-o",
        "a.mp3",
        "hi",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "tts: voice longxiaochun_v2 does not serve the model cosyvoice-v3-plus: it takes cosyvoice-v2; use -m cosyvoice-v2, or --force-voice to send it anyway\n"
    );
    let output = remote(&[
        "-m",
        "cosyvoice-v3-plus",
        "-v",
        "longxiaochun_v2",
        "--force-voice",
        "-o",
        "a.mp3",
        "hi",
    ]);
    assert_eq!(
        output.status.code(),
        Some(4),
        "sent anyway, so it reached the (closed) network: {}",
        stderr(&output)
    );
}
