//! `-o FILE`: WAV and PCM at every rate, speaking rate, `--append`, stdout, and Ctrl-C.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tts::audio::AudioFormat;

use crate::common::{ffmpeg_decode, interrupt, opus_head_rate, symphonia_decode, tts, wav_seconds};

const HELLO: &str = "Hello world, this is a test";
const PARAGRAPH: &str = "The quick brown fox jumps over the lazy dog. It was the best of times, it was the \
    worst of times. Speech synthesis turns written text into sound, one sentence at a time, and a good tool \
    makes that feel instant.";
const RATES: [u32; 6] = [8000, 16000, 22050, 24000, 44100, 48000];

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn say(&self, args: &[&str]) {
        let output = tts(self.dir.path())
            .args(["say", "-q", "-e", "local"])
            .args(args)
            .output()
            .expect("tts runs");
        assert!(
            output.status.success(),
            "tts {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// What espeak-ng's own command-line tool makes of the same text.
fn espeak_seconds(env: &Env, text: &str) -> f64 {
    let reference = env.path("reference.wav");
    let status = Command::new("espeak-ng")
        .arg("-w")
        .arg(&reference)
        .arg(text)
        .status()
        .expect("espeak-ng (Debian package espeak-ng) is installed for the tests");
    assert!(status.success());
    wav_seconds(&reference).1
}

#[test]
fn wav_at_every_rate_has_a_true_header_and_the_duration_of_the_speech() {
    let env = Env::new();
    let expected = espeak_seconds(&env, HELLO);
    for rate in RATES {
        let path = env.path(&format!("hello-{rate}.wav"));
        env.say(&[
            "-o",
            path.to_str().expect("utf-8"),
            "--sample-rate",
            &rate.to_string(),
            HELLO,
        ]);
        let (got_rate, seconds) = wav_seconds(&path);
        assert_eq!(got_rate, rate);
        assert!(
            (seconds - expected).abs() / expected < 0.05,
            "{rate} Hz: {seconds:.3} s against espeak-ng's {expected:.3} s"
        );
    }
}

#[test]
fn pcm_at_every_rate_holds_the_same_samples_as_the_wav() {
    let env = Env::new();
    for rate in RATES {
        let wav = env.path(&format!("a-{rate}.wav"));
        let pcm = env.path(&format!("a-{rate}.pcm"));
        let rate_arg = rate.to_string();
        env.say(&[
            "-o",
            wav.to_str().expect("utf-8"),
            "--sample-rate",
            &rate_arg,
            HELLO,
        ]);
        env.say(&[
            "-o",
            pcm.to_str().expect("utf-8"),
            "--sample-rate",
            &rate_arg,
            HELLO,
        ]);
        let wav_bytes = std::fs::read(&wav).expect("wav");
        let pcm_bytes = std::fs::read(&pcm).expect("pcm");
        assert!(!pcm_bytes.is_empty());
        assert_eq!(
            &wav_bytes[44..],
            &pcm_bytes[..],
            "{rate} Hz: raw PCM is the WAV's data"
        );
    }
}

#[test]
fn rate_two_halves_and_rate_half_doubles_the_duration() {
    let env = Env::new();
    let seconds_at = |rate: &str| {
        let path = env.path(&format!("rate-{rate}.wav"));
        env.say(&["-r", rate, "-o", path.to_str().expect("utf-8"), PARAGRAPH]);
        wav_seconds(&path).1
    };
    let normal = seconds_at("1.0");
    let fast = seconds_at("2.0") / normal;
    let slow = seconds_at("0.5") / normal;
    assert!(
        (0.42..=0.58).contains(&fast),
        "2.0x takes {fast:.2} of the time"
    );
    assert!(
        (1.8..=2.2).contains(&slow),
        "0.5x takes {slow:.2} of the time"
    );
}

#[test]
fn append_at_another_rate_is_refused_before_anything_is_written() {
    let env = Env::new();
    let path = env.path("a.wav");
    let target = path.to_str().expect("utf-8");
    env.say(&["-o", target, "--sample-rate", "16000", HELLO]);
    let before = std::fs::read(&path).expect("file");
    let output = tts(env.dir.path())
        .args([
            "say",
            "-q",
            "--append",
            "-o",
            target,
            "--sample-rate",
            "22050",
            HELLO,
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "a usage error");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("holds wav at 16000 Hz") && err.contains("drop --sample-rate, or use 16000"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&path).expect("file"),
        before,
        "the file is untouched"
    );
}

#[test]
fn stdout_carries_the_same_audio_as_a_file() {
    let env = Env::new();
    let pcm = env.path("a.pcm");
    env.say(&["-o", pcm.to_str().expect("utf-8"), HELLO]);
    let file_bytes = std::fs::read(&pcm).expect("pcm");

    let raw = tts(env.dir.path())
        .args(["say", "-q", "-o", "-", "--format", "pcm", HELLO])
        .output()
        .expect("runs");
    assert!(raw.status.success());
    assert_eq!(raw.stdout, file_bytes);

    let wav = tts(env.dir.path())
        .args(["say", "-q", "-o", "-", HELLO])
        .output()
        .expect("runs");
    assert!(wav.status.success());
    let reader =
        hound::WavReader::new(std::io::Cursor::new(&wav.stdout[..44])).expect("a WAV header");
    assert_eq!(reader.spec().sample_rate, 22050);
    assert_eq!(&wav.stdout[44..], &file_bytes[..]);
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    let env = Env::new();
    let mut child = tts(env.dir.path())
        .args(["say", "-q", "-o", "-", PARAGRAPH])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("exits");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn part_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "part"))
        .collect()
}

#[test]
fn sigint_while_writing_leaves_a_valid_file_in_every_format() {
    for format in [AudioFormat::Wav, AudioFormat::Mp3, AudioFormat::Opus] {
        let env = Env::new();
        let path = env.path(&format!("interrupted.{}", format.name()));
        let mut child = tts(env.dir.path())
            .args(["say", "-e", "local", "-o"])
            .arg(&path)
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(b"The first sentence arrives, and the writer then goes quiet.\n")
            .expect("write");
        stdin.flush().expect("flush");
        // Wait until a second or so of audio is on disk in the temporary file.
        let enough = if format == AudioFormat::Wav {
            44 + 2 * 22050
        } else {
            8000
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !part_files(env.dir.path())
            .iter()
            .any(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > enough))
        {
            assert!(Instant::now() < deadline, "{format}: no audio was written");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            !path.exists(),
            "the target appears only when complete or interrupted"
        );
        interrupt(&child);
        let output = child.wait_with_output().expect("exits");
        drop(stdin);
        assert_eq!(output.status.code(), Some(130));
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(
            err.contains("interrupted;") && err.contains("keeps the"),
            "{format}: {err}"
        );
        let seconds = if format == AudioFormat::Wav {
            let (rate, seconds) = wav_seconds(&path);
            assert_eq!(rate, 22050);
            seconds
        } else {
            let (rate, samples) = ffmpeg_decode(&path);
            samples.len() as f64 / f64::from(rate)
        };
        assert!(
            seconds > 1.0,
            "{format}: the sentence spoken so far is kept: {seconds:.2} s"
        );
        assert!(
            part_files(env.dir.path()).is_empty(),
            "no temporary file is left"
        );
    }
}

#[test]
fn a_failed_run_leaves_no_file_behind() {
    let env = Env::new();
    let path = env.path("never.wav");
    let output = tts(env.dir.path())
        .args(["say", "-e", "local", "-v", "nope", "-o"])
        .arg(&path)
        .arg(HELLO)
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(!path.exists());
    assert!(part_files(env.dir.path()).is_empty());
}

#[test]
fn text_from_files_and_stdin_is_spoken_in_full() {
    let env = Env::new();
    let text = env.path("chapter.txt");
    std::fs::write(&text, format!("{PARAGRAPH}\n")).expect("write");
    let from_file = env.path("file.wav");
    env.say(&[
        "-f",
        text.to_str().expect("utf-8"),
        "-o",
        from_file.to_str().expect("utf-8"),
    ]);

    let from_stdin = env.path("stdin.wav");
    let mut child = tts(env.dir.path())
        .args(["say", "-q", "-e", "local", "-o"])
        .arg(&from_stdin)
        .stdin(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut stdin = child.stdin.take().expect("stdin");
    // Uneven pieces, split mid-word, as a streaming writer sends them.
    for piece in PARAGRAPH.as_bytes().chunks(7) {
        stdin.write_all(piece).expect("write");
    }
    stdin.write_all(b"\n").expect("write");
    drop(stdin);
    assert!(child.wait().expect("exits").success());
    let (_, file_seconds) = wav_seconds(&from_file);
    let (_, stdin_seconds) = wav_seconds(&from_stdin);
    assert!(file_seconds > 10.0, "{file_seconds}");
    assert!(
        (file_seconds - stdin_seconds).abs() < 0.05,
        "{file_seconds} vs {stdin_seconds}"
    );
}

#[test]
fn a_fifo_or_device_is_written_through_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let env = Env::new();
    let fifo = env.path("pipe.wav");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let reading = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).expect("read the fifo"))
    };
    env.say(&["-o", fifo.to_str().expect("utf-8"), HELLO]);
    let bytes = reading.join().expect("reader");
    assert_eq!(&bytes[..4], b"RIFF", "a WAV stream came through");
    assert!(bytes.len() > 44 + 22050, "with the audio");
    assert!(
        std::fs::metadata(&fifo)
            .expect("still there")
            .file_type()
            .is_fifo(),
        "still a FIFO"
    );
    assert!(part_files(env.dir.path()).is_empty());
}

fn seconds(rate: u32, samples: &[i16]) -> f64 {
    samples.len() as f64 / f64::from(rate)
}

/// Decode a file of any format by both decoders, checking the rate each reports; the duration.
fn decoded_seconds(path: &Path, format: AudioFormat, rate: u32) -> f64 {
    if format == AudioFormat::Pcm {
        return std::fs::metadata(path).expect("file").len() as f64 / 2.0 / f64::from(rate);
    }
    let (by_ffmpeg, samples) = ffmpeg_decode(path);
    let (by_symphonia, ours) = symphonia_decode(path, format);
    if format == AudioFormat::Opus {
        // Opus always decodes at 48 kHz; the rate it was made at is in its header.
        assert_eq!((by_ffmpeg, by_symphonia), (48_000, 48_000));
        assert_eq!(opus_head_rate(path), rate, "{}", path.display());
    } else {
        assert_eq!(
            (by_ffmpeg, by_symphonia),
            (rate, rate),
            "{}",
            path.display()
        );
    }
    let (a, b) = (seconds(by_ffmpeg, &samples), seconds(by_symphonia, &ours));
    assert!((a - b).abs() < 0.06, "ffmpeg {a:.3} s, symphonia {b:.3} s");
    a
}

#[test]
fn every_format_at_every_rate_decodes_at_its_rate_with_the_speechs_duration() {
    let env = Env::new();
    let (_, expected) = {
        let wav = env.path("ref.wav");
        env.say(&["-o", wav.to_str().expect("utf-8"), HELLO]);
        wav_seconds(&wav)
    };
    for format in AudioFormat::ALL {
        for rate in RATES {
            let path = env.path(&format!("out-{rate}.{}", format.name()));
            env.say(&[
                "-o",
                path.to_str().expect("utf-8"),
                "--sample-rate",
                &rate.to_string(),
                HELLO,
            ]);
            let seconds = decoded_seconds(&path, format, rate);
            // MP3 adds an encoder delay and padding of a frame or two.
            assert!(
                (seconds - expected).abs() < 0.12,
                "{format} {rate}: {seconds:.3} s against {expected:.3} s"
            );
        }
    }
}

#[test]
fn append_to_every_format_gives_one_valid_file_of_both_parts() {
    let env = Env::new();
    for format in AudioFormat::ALL {
        let path = env.path(&format!("twice.{}", format.name()));
        let target = path.to_str().expect("utf-8");
        env.say(&["-o", target, "--sample-rate", "16000", HELLO]);
        let once = decoded_seconds(&path, format, 16_000);
        if format == AudioFormat::Pcm {
            // Raw PCM records no rate: appending needs it said.
            env.say(&["--append", "-o", target, "--sample-rate", "16000", HELLO]);
        } else {
            // No --sample-rate: the file's own rate is kept.
            env.say(&["--append", "-o", target, HELLO]);
        }
        let twice = decoded_seconds(&path, format, 16_000);
        assert!(
            (twice - 2.0 * once).abs() < 0.1,
            "{format}: {once:.3} s, then {twice:.3} s"
        );
    }
}

/// (start, end, text) of each cue of an SRT or VTT file.
fn cues(path: &Path) -> Vec<(f64, f64, String)> {
    let text = std::fs::read_to_string(path).expect("subtitles written");
    let seconds = |stamp: &str| {
        let parts: Vec<f64> = stamp
            .trim()
            .replace(',', ".")
            .split(':')
            .map(|p| p.parse().expect("number"))
            .collect();
        parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
    };
    let lines: Vec<&str> = text.lines().collect();
    lines
        .iter()
        .enumerate()
        .filter_map(|(i, line)| {
            let (from, to) = line.split_once(" --> ")?;
            Some((seconds(from), seconds(to), lines[i + 1].to_owned()))
        })
        .collect()
}

#[test]
fn subtitles_have_a_cue_per_sentence_in_order_covering_the_audio() {
    let env = Env::new();
    let sentences = [
        "Hello world.",
        "This second sentence is a little longer than the first one.",
        "The end.",
    ];
    for format in ["srt", "vtt"] {
        let audio = env.path(&format!("talk-{format}.wav"));
        env.say(&[
            "--subtitles",
            format,
            "-o",
            audio.to_str().expect("utf-8"),
            &sentences.join(" "),
        ]);
        let sidecar = audio.with_extension(format);
        let found = cues(&sidecar);
        assert_eq!(
            found.iter().map(|c| c.2.as_str()).collect::<Vec<_>>(),
            sentences,
            "{format}"
        );
        assert_eq!(found[0].0, 0.0);
        assert!(
            found
                .windows(2)
                .all(|w| w[0].1 <= w[1].0 + 1e-9 && w[0].0 < w[1].0),
            "monotonic: {found:?}"
        );
        let (_, duration) = wav_seconds(&audio);
        assert!(
            (found.last().expect("cue").1 - duration).abs() < 0.01,
            "the cues cover the audio"
        );
        if format == "vtt" {
            assert!(
                std::fs::read_to_string(&sidecar)
                    .expect("vtt")
                    .starts_with("WEBVTT\n")
            );
        }
    }
}

#[test]
fn subtitles_need_a_file_to_sit_beside() {
    let env = Env::new();
    let output = tts(env.dir.path())
        .args(["say", "-e", "local", "--subtitles", "srt", "hi"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("add -o FILE"));
}

#[test]
fn a_second_ctrl_c_exits_at_once_and_leaves_no_temporary_file() {
    let env = Env::new();
    let path = env.path("twice.mp3");
    let mut child = tts(env.dir.path())
        .args(["say", "-e", "local", "-o"])
        .arg(&path)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(PARAGRAPH.repeat(20).as_bytes())
        .expect("write");
    stdin.flush().expect("flush");
    let deadline = Instant::now() + Duration::from_secs(20);
    while part_files(env.dir.path()).is_empty() {
        assert!(Instant::now() < deadline, "no file was started");
        std::thread::sleep(Duration::from_millis(2));
    }
    interrupt(&child);
    interrupt(&child);
    let output = child.wait_with_output().expect("exits");
    drop(stdin);
    assert_eq!(output.status.code(), Some(130));
    assert!(
        part_files(env.dir.path()).is_empty(),
        "no temporary file is left, however the two signals fell"
    );
    if path.exists() {
        // The first Ctrl-C had time to keep what was written: then it is whole.
        ffmpeg_decode(&path);
    }
}
