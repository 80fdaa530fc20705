//! The command line as a user meets it: help, refusals, exit codes, notices.

use std::process::Output;

use crate::common::tts;

fn run(args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("tempdir");
    // In the home directory: a command that writes `-o x.wav` must not write into the repository.
    tts(home.path())
        .current_dir(home.path())
        .args(args)
        .output()
        .expect("tts runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn say_help_lists_every_flag_and_ends_with_examples() {
    let output = run(&["say", "--help"]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--file",
        "--voice",
        "--rate",
        "--pitch",
        "--volume",
        "--output",
        "--format",
        "--sample-rate",
        "--append",
        "--device",
        "--engine",
        "--quiet",
        "--verbose",
        "--timing",
    ] {
        assert!(help.contains(flag), "say --help lacks {flag}");
    }
    assert!(
        help.trim_end().ends_with("stream WAV to another program"),
        "examples come last:\n{help}"
    );
}

#[test]
fn out_of_range_values_are_refused_before_any_work() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["say", "-r", "2.5", "hi"],
            "tts: --rate 2.5 is out of range: use a value from 0.5 to 2.0",
        ),
        (
            &["say", "--pitch", "0", "hi"],
            "tts: --pitch 0 is out of range: use a value from 0.5 to 2.0",
        ),
        (
            &["say", "--volume", "150", "hi"],
            "tts: --volume 150 is out of range: use a whole number from 0 to 100",
        ),
        (
            &["say", "--sample-rate", "11025", "-o", "x.wav", "hi"],
            "tts: --sample-rate 11025 is not supported",
        ),
    ];
    for (args, start) in cases {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = stderr(&output);
        assert!(err.starts_with(start), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(!err.contains("panicked"));
    }
}

#[test]
fn an_unknown_local_voice_lists_valid_ones() {
    // Playing, not writing: the voice is reported even though this machine has no device.
    let output = run(&["say", "-e", "local", "-v", "zz", "hi"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.starts_with("tts: unknown local voice 'zz'; try en-us, en-gb, cmn"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_close_voice_name_gets_close_suggestions() {
    let output = run(&["say", "-e", "local", "-v", "en-xx", "-o", "x.wav", "hi"]);
    let err = stderr(&output);
    assert!(err.contains("try en"), "{err}");
}

#[test]
fn convert_refuses_bad_arguments_before_doing_anything() {
    let home = tempfile::tempdir().expect("tempdir");
    let run_in = |args: &[&str]| tts(home.path()).args(args).output().expect("tts runs");
    let none = run_in(&["convert"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(stderr(&none).contains("<FILE>..."), "{}", stderr(&none));
    for (args, message) in [
        (&["convert", "-"][..], "tts convert takes files"),
        (
            &["convert", "-j", "0", "a.txt"][..],
            "--jobs 0 is not allowed; use 1 to 64",
        ),
        (
            &["convert", "a/one.txt", "b/one.txt", "-d", "out"][..],
            "would both be written to out/one.mp3",
        ),
        (&["convert", "-r", "9", "a.txt"][..], "--rate"),
        (
            &["convert", "a.mp3"][..],
            "the audio for a.mp3 would replace it",
        ),
    ] {
        let output = run_in(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains(message),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    }
    assert_eq!(
        std::fs::read_dir(home.path()).expect("dir").count(),
        0,
        "nothing was written"
    );
}

#[test]
fn auto_engine_without_a_key_says_it_uses_the_offline_engine_once() {
    let home = tempfile::tempdir().expect("tempdir");
    let out = home.path().join("x.wav");
    let output = tts(home.path())
        .args(["say", "-o"])
        .arg(&out)
        .arg("hi")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("speaking with espeak-ng"), "{err}");

    let quiet = tts(home.path())
        .args(["say", "-q", "-o"])
        .arg(&out)
        .arg("hi")
        .output()
        .expect("runs");
    assert!(quiet.status.success());
    assert_eq!(stderr(&quiet), "", "--quiet prints nothing");
}

#[test]
fn an_unreadable_input_file_is_named() {
    let output = run(&["say", "-f", "/nonexistent/chapter.txt"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "tts: cannot read input file /nonexistent/chapter.txt: entity not found\n"
    );
}

#[test]
fn language_codes_and_variants_select_distinct_voices() {
    let home = tempfile::tempdir().expect("tempdir");
    let mut outputs = Vec::new();
    for voice in ["en-us", "en-gb", "en-gb+f3", "cmn"] {
        let path = home.path().join(format!("{voice}.wav"));
        let output = tts(home.path())
            .args(["say", "-q", "-e", "local", "-v", voice, "-o"])
            .arg(&path)
            .arg("Hello there")
            .output()
            .expect("runs");
        assert!(output.status.success(), "{voice}: {}", stderr(&output));
        outputs.push(std::fs::read(&path).expect("file"));
    }
    for (i, a) in outputs.iter().enumerate() {
        for b in &outputs[i + 1..] {
            assert_ne!(a, b, "two voices gave identical audio");
        }
    }
}

#[test]
fn an_unknown_variant_is_refused_not_ignored() {
    let output = run(&[
        "say",
        "-e",
        "local",
        "-v",
        "en-gb+nonsense",
        "-o",
        "x.wav",
        "hi",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "tts: unknown voice variant 'nonsense' in 'en-gb+nonsense'; try f1 to f5, m1 to m7, klatt or whisper\n"
    );
}

/// Help and error texts are part of the interface: a change to them shows up in review.
#[test]
fn help_of_every_verb_matches_its_snapshot() {
    for verb in [
        "",
        "say",
        "serve",
        "voices",
        "devices",
        "config",
        "completions",
        "man",
        "convert",
        "voice",
        "voice clone",
        "voice design",
        "voice list",
        "token",
    ] {
        let mut args: Vec<&str> = verb.split_whitespace().collect();
        args.push("--help");
        let output = run(&args);
        assert!(output.status.success(), "{verb}");
        let name = if verb.is_empty() {
            "help".to_owned()
        } else {
            format!("help_{}", verb.replace(' ', "_"))
        };
        insta::assert_snapshot!(name, String::from_utf8_lossy(&output.stdout));
    }
}

#[test]
fn main_error_messages_match_their_snapshots() {
    let cases: [(&str, &[&str]); 8] = [
        ("error_rate", &["say", "-r", "3", "x"]),
        (
            "error_voice",
            &["say", "-e", "local", "-v", "zz", "-o", "x.wav", "x"],
        ),
        (
            "error_format_conflict",
            &["say", "-o", "speech.mp3", "--format", "wav", "x"],
        ),
        (
            "error_input_file",
            &["say", "-f", "/nonexistent/chapter.txt"],
        ),
        ("error_no_key", &["say", "-e", "cosyvoice", "x"]),
        ("error_profile", &["say", "-p", "narrator", "x"]),
        (
            "error_ssml_local",
            &["say", "-e", "local", "--ssml", "<speak>x</speak>"],
        ),
        ("error_open_server", &["serve", "--listen", "0.0.0.0:8765"]),
    ];
    for (name, args) in cases {
        let home = tempfile::tempdir().expect("tempdir");
        let output = tts(home.path()).args(args).output().expect("tts runs");
        assert_eq!(output.status.code(), Some(2), "{name}");
        // The home directory differs per run.
        let text = stderr(&output).replace(&home.path().display().to_string(), "$HOME");
        insta::assert_snapshot!(name, text);
    }
}

#[test]
fn completions_and_man_page_match_the_committed_files() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = run(&["completions", shell]);
        assert!(output.status.success());
        let committed = std::fs::read(root.join(format!("completions/tts.{shell}")))
            .expect("committed completions");
        assert!(
            output.stdout == committed,
            "completions/tts.{shell} is stale: run `tts completions {shell} > completions/tts.{shell}`"
        );
    }
    let output = run(&["man"]);
    assert!(output.status.success());
    let committed = std::fs::read(root.join("docs/tts.1")).expect("committed man page");
    assert!(
        output.stdout == committed,
        "docs/tts.1 is stale: run `tts man > docs/tts.1`"
    );
}

#[test]
fn voices_json_has_the_whole_catalog_and_filters_narrow_it() {
    let output = run(&["voices", "--json"]);
    assert!(output.status.success());
    let all: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(all.as_array().expect("array").len(), 277);
    let output = run(&[
        "voices",
        "--json",
        "--model",
        "cosyvoice-v2",
        "--gender",
        "female",
        "--language",
        "zh",
    ]);
    let some: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let some = some.as_array().expect("array");
    assert!(!some.is_empty() && some.len() < 277);
    for voice in some {
        assert_eq!(voice["gender"], "female");
        assert!(
            voice["models"]
                .as_array()
                .expect("models")
                .iter()
                .any(|m| m == "cosyvoice-v2")
        );
    }
    let output = run(&["voices", "-e", "local", "--json", "-l", "en-gb"]);
    let local: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert!(
        local
            .as_array()
            .expect("array")
            .iter()
            .any(|v| v["voice"] == "en-gb")
    );
}
