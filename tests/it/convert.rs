//! `tts convert`: many files against `tts serve` and the fake server; bad files reported,
//! connections reused, reruns skip what is done, Ctrl-C leaves no partial files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{
    ServeProcess, ffmpeg_decode, interrupt, non_silent, srt_cues, tts, wav_seconds,
};
use crate::fake_server::{FakeServer, SENTENCE_MS, Script};

const ENGLISH: [&str; 8] = [
    "The first chapter begins on a quiet morning.",
    "Rain fell all night. By dawn the river had risen.",
    "She opened the door. Nobody was there. The wind had done it.",
    "A short one.",
    "Trains leave every hour. The last one goes at midnight. Do not miss it.",
    "Numbers like 42 and 3.5 are read aloud too.",
    "He counted the steps: one, two, three. Then he stopped.",
    "The end of the book is near, and the reader knows it.",
];

/// Twelve inputs: eight short English texts, one over 20,000 characters, one Chinese, one
/// empty and one that is not UTF-8. Returns (paths, the names that must fail).
fn corpus(dir: &Path) -> (Vec<PathBuf>, [&'static str; 2]) {
    let mut paths = Vec::new();
    let mut write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write an input");
        paths.push(path);
    };
    for (i, text) in ENGLISH.iter().enumerate() {
        write(&format!("en{i}.txt"), format!("{text}\n").as_bytes());
    }
    let long = "This sentence is one of many in a very long chapter. ".repeat(400);
    assert!(long.chars().count() > 20_000);
    write("long.txt", long.as_bytes());
    write("zh.txt", "你好，世界。这是第二章。".as_bytes());
    write("empty.txt", b"  \n");
    write("latin1.txt", b"caf\xe9 au lait\n");
    (paths, ["empty.txt", "latin1.txt"])
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn part_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.expect("entry").path())
                .filter(|p| p.extension().is_some_and(|e| e == "part"))
                .collect()
        })
        .unwrap_or_default()
}

/// Sentences as tts cuts them: what the fake server answers with 300 ms each.
fn sentences(text: &str) -> usize {
    let mut segmenter = tts::text::segment::Segmenter::new();
    let mut n = segmenter.push(text).len();
    n += usize::from(segmenter.finish().is_some());
    n
}

/// `tts convert` against `url` with a key, from `home`.
fn convert(home: &Path, url: &str, args: &[&str], inputs: &[PathBuf]) -> Command {
    let mut command = tts(home);
    command
        .env("DASHSCOPE_API_KEY", "sk-convert")
        .args(["convert", "-e", "cosyvoice", "--endpoint", url])
        .args(args)
        .args(inputs);
    command
}

/// The (start, end) seconds of each cue of an SRT file, checked to run forward.
fn cues(srt: &str) -> Vec<(f64, f64)> {
    let cues = srt_cues(srt);
    for pair in cues.windows(2) {
        assert!(
            pair[0].0 < pair[0].1 && pair[0].1 <= pair[1].0 + 1e-9,
            "cues run forward: {pair:?}"
        );
    }
    cues
}

#[test]
fn against_the_fake_server_jobs_share_few_connections_and_a_rerun_does_no_synthesis() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (inputs, bad) = corpus(dir.path());
    let server = FakeServer::start(Script::Happy);
    let out = dir.path().join("out");
    let args = [
        "-d",
        out.to_str().expect("utf-8"),
        "-j",
        "3",
        "--subtitles",
        "srt",
    ];
    let output = convert(dir.path(), &server.url(), &args, &inputs)
        .output()
        .expect("runs");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "some failed: {err}");
    assert!(
        err.contains("empty.txt: it is empty") && err.contains("latin1.txt: not UTF-8 text"),
        "{err}"
    );
    assert!(err.contains("10 converted, 0 skipped, 2 failed"), "{err}");
    let record = server.record();
    assert!(
        record.connections <= 3,
        "{} connections",
        record.connections
    );
    let over = match record.connections {
        1 => " over 1 connection".to_owned(),
        n => format!(" over {n} connections"),
    };
    assert!(err.contains(&over), "the summary says how many: {err}");
    assert_eq!(record.actions("run-task").len(), 10, "one task a file");
    for input in &inputs {
        let name = input.file_name().and_then(|n| n.to_str()).expect("name");
        let mp3 = out.join(name.replace(".txt", ".mp3"));
        if bad.contains(&name) {
            assert!(!mp3.exists(), "{name} has no output");
            continue;
        }
        let text = std::fs::read_to_string(input).expect("text");
        let expected = sentences(&text) as f64 * SENTENCE_MS as f64 / 1000.0;
        let (rate, samples) = ffmpeg_decode(&mp3);
        let seconds = non_silent(&samples).len() as f64 / f64::from(rate);
        assert!(
            (seconds - expected).abs() < 0.08,
            "{name}: {seconds:.3} s for {expected:.3} s sent"
        );
        let srt = std::fs::read_to_string(mp3.with_extension("srt")).expect("subtitles");
        let cues = cues(&srt);
        assert!(cues.len() >= sentences(&text), "{name}: a cue per sentence");
        let end = cues.last().expect("a cue").1;
        assert!(
            (end - seconds).abs() < 0.1,
            "{name}: the cues end at {end:.3}, the audio at {seconds:.3}"
        );
    }
    assert!(part_files(&out).is_empty());

    // Everything is up to date: no connection, no task.
    let again = convert(dir.path(), &server.url(), &args, &inputs)
        .output()
        .expect("runs");
    assert!(
        stderr(&again).contains("0 converted, 10 skipped, 2 failed"),
        "{}",
        stderr(&again)
    );
    assert_eq!(server.record().connections, record.connections);
    // An input edited since is converted again, and only it.
    std::fs::write(&inputs[0], "An edited first chapter.\n").expect("edit");
    std::fs::File::options()
        .write(true)
        .open(&inputs[0])
        .and_then(|f| f.set_modified(std::time::SystemTime::now() + Duration::from_secs(2)))
        .expect("a later modification time");
    let edited = convert(dir.path(), &server.url(), &args, &inputs)
        .output()
        .expect("runs");
    assert!(
        stderr(&edited).contains("1 converted, 9 skipped"),
        "{}",
        stderr(&edited)
    );
    assert_eq!(server.record().actions("run-task").len(), 11);
    let forced = convert(
        dir.path(),
        &server.url(),
        &[&args[..], &["--force"]].concat(),
        &inputs,
    )
    .output()
    .expect("runs");
    assert!(
        stderr(&forced).contains("10 converted, 0 skipped"),
        "{}",
        stderr(&forced)
    );
}

#[test]
fn a_dropped_connection_is_retried_and_a_refused_parameter_is_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (inputs, _) = corpus(dir.path());
    let two = &inputs[..2];
    let server = FakeServer::start(Script::DropFirstTask);
    let output = convert(dir.path(), &server.url(), &["-j", "1"], two)
        .output()
        .expect("runs");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(
        err.contains("retrying") && err.contains("2 converted"),
        "{err}"
    );
    assert_eq!(server.record().actions("run-task").len(), 3, "one retry");
    assert!(
        server.record().connections >= 2,
        "a fresh connection for the retry"
    );

    let refusing = FakeServer::start(Script::FailOn("run-task"));
    let output = convert(dir.path(), &refusing.url(), &["-j", "2", "--force"], two)
        .output()
        .expect("runs");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(!err.contains("retrying"), "{err}");
    assert!(err.contains("InvalidParameter"), "{err}");
    assert_eq!(
        refusing.record().actions("run-task").len(),
        2,
        "one attempt a file"
    );
}

#[test]
fn against_tts_serve_good_files_match_tts_say_and_bad_ones_are_named() {
    let server = ServeProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let (inputs, bad) = corpus(dir.path());
    let out = dir.path().join("out");
    let output = convert(
        dir.path(),
        &server.url,
        &["-d", out.to_str().expect("utf-8"), "--format", "wav"],
        &inputs,
    )
    .output()
    .expect("runs");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    let summary = err
        .lines()
        .find(|line| line.contains(" converted, "))
        .expect("a summary");
    assert!(
        summary.contains("10 converted, 0 skipped, 2 failed (")
            && summary.contains("empty.txt")
            && summary.contains("latin1.txt"),
        "{summary}"
    );
    for input in &inputs {
        let name = input.file_name().and_then(|n| n.to_str()).expect("name");
        let wav = out.join(name.replace(".txt", ".wav"));
        if bad.contains(&name) {
            assert!(!wav.exists());
            continue;
        }
        let (_, seconds) = wav_seconds(&wav);
        let reference = dir.path().join(format!("say-{name}.wav"));
        let said = server.say(
            "sk-any",
            &[
                "-f",
                input.to_str().expect("utf-8"),
                "-o",
                reference.to_str().expect("utf-8"),
            ],
        );
        assert!(said.status.success(), "{}", stderr(&said));
        let (_, expected) = wav_seconds(&reference);
        assert!(
            (seconds - expected).abs() < 0.05 + 0.02 * expected,
            "{name}: {seconds:.2} s, tts say made {expected:.2} s"
        );
        if name == "long.txt" {
            assert!(seconds > 600.0, "the whole long file: {seconds:.0} s");
        }
    }
}

#[test]
fn ctrl_c_mid_run_leaves_no_partial_files_and_a_rerun_finishes_the_rest() {
    let server = ServeProcess::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs: Vec<PathBuf> = (0..8)
        .map(|i| {
            let path = dir.path().join(format!("part{i}.txt"));
            let text = format!("Part {i} is long enough to take a while to speak. ").repeat(120);
            std::fs::write(&path, text).expect("write");
            path
        })
        .collect();
    let out = dir.path().join("out");
    let args = [
        "-d",
        out.to_str().expect("utf-8"),
        "--format",
        "wav",
        "-j",
        "2",
    ];
    let child = convert(dir.path(), &server.url, &args, &inputs)
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let finished = |dir: &Path| {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "wav"))
                })
                .count()
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while finished(&out) == 0 {
        assert!(Instant::now() < deadline, "no file was finished");
        std::thread::sleep(Duration::from_millis(2));
    }
    interrupt(&child);
    let output = child.wait_with_output().expect("exits");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(130), "{err}");
    assert!(part_files(&out).is_empty(), "no partial files: {err}");
    let done = finished(&out);
    assert!(done < inputs.len(), "stopped mid-run ({done} done): {err}");
    for entry in std::fs::read_dir(&out).expect("dir") {
        wav_seconds(&entry.expect("entry").path());
    }
    let rerun = convert(dir.path(), &server.url, &args, &inputs)
        .output()
        .expect("runs");
    let err = stderr(&rerun);
    assert_eq!(rerun.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "{} converted, {done} skipped",
            inputs.len() - done
        )),
        "{err}"
    );
    assert_eq!(finished(&out), inputs.len());
}

#[test]
fn the_offline_engine_converts_one_file_after_another() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (inputs, _) = corpus(dir.path());
    let picked = [inputs[0].clone(), inputs[9].clone()];
    let output = tts(dir.path())
        .args([
            "convert",
            "-e",
            "local",
            "--format",
            "opus",
            "--subtitles",
            "vtt",
        ])
        .args(&picked)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    for input in &picked {
        let opus = input.with_extension("opus");
        let (rate, samples) = ffmpeg_decode(&opus);
        let seconds = samples.len() as f64 / f64::from(rate);
        assert!(seconds > 1.0, "{}: {seconds:.2} s", opus.display());
        let vtt = std::fs::read_to_string(input.with_extension("vtt")).expect("vtt");
        assert!(vtt.starts_with("WEBVTT"), "{vtt}");
    }
}
