//! The neural engine end to end: the voice `scripts/setup` installs, on the ONNX Runtime it
//! installs, against espeak-ng's timing for the same text; falling back when either is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tts::audio::AudioFormat;

use crate::common::{
    Capture, ffmpeg_decode, non_silent, rms, srt_cues, symphonia_decode, tts, wav_seconds,
};

const SENTENCE: &str = "The quick brown fox jumps over the lazy dog, and then it runs far away.";
const VOICE: &str = "en_US-joe-medium";

/// The installed data (`~/.local/share/tts`), which `./scripts/setup --test` puts there.
fn installed() -> (PathBuf, PathBuf) {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .expect("HOME is set")
        .join("tts");
    let library = std::fs::read_dir(data.join("onnxruntime"))
        .ok()
        .and_then(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().contains("libonnxruntime.so"))
        });
    let voices = data.join("voices");
    match library {
        Some(library) if voices.join(VOICE).is_dir() => (library, voices),
        _ => panic!(
            "the neural voice and ONNX Runtime are not installed in {}: run ./scripts/setup --test",
            data.display()
        ),
    }
}

/// `tts` in a fresh home, pointed at the installed runtime and voices.
fn neural_tts(home: &Path) -> Command {
    let (library, voices) = installed();
    let mut cmd = tts(home);
    cmd.env("TTS_ORT_DYLIB", library)
        .env("TTS_VOICES_PATH", voices);
    cmd
}

fn ok(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    stderr
}

fn samples(path: &Path) -> (u32, Vec<i16>) {
    let mut reader = hound::WavReader::open(path).expect("a valid WAV");
    let rate = reader.spec().sample_rate;
    let samples = reader
        .samples::<i16>()
        .map(|s| s.expect("sample"))
        .collect();
    (rate, samples)
}

/// The share of 20 ms frames that are voiced speech: loud enough, and crossing zero seldom
/// enough to be a voice rather than noise or a hiss.
fn voiced_share(rate: u32, samples: &[i16]) -> f64 {
    let frame = (rate / 50) as usize;
    let frames: Vec<&[i16]> = samples.chunks_exact(frame).collect();
    let voiced = frames
        .iter()
        .filter(|f| {
            let crossings = f.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
            rms(f) > 500.0 && crossings < frame / 4
        })
        .count();
    voiced as f64 / frames.len() as f64
}

fn espeak_reference(dir: &Path, text: &str) -> f64 {
    let reference = dir.join("reference.wav");
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
fn a_sentence_by_the_neural_voice_is_speech_like() {
    let home = tempfile::tempdir().expect("tempdir");
    let neural = home.path().join("neural.wav");
    let espeak = home.path().join("espeak.wav");
    let output = neural_tts(home.path())
        .args(["say", "-e", "neural", "-o"])
        .arg(&neural)
        .arg(SENTENCE)
        .output()
        .expect("tts runs");
    assert_eq!(ok(&output), "", "-e neural says nothing when it works");
    ok(&neural_tts(home.path())
        .args(["say", "-e", "espeak", "-o"])
        .arg(&espeak)
        .arg(SENTENCE)
        .output()
        .expect("tts runs"));
    let (rate, speech) = samples(&neural);
    assert_eq!(rate, 22050, "the voice's own rate");
    let seconds = speech.len() as f64 / f64::from(rate);
    let reference = espeak_reference(home.path(), SENTENCE);
    assert!(
        (0.6..1.6).contains(&(seconds / reference)),
        "{seconds:.2} s against espeak-ng's {reference:.2} s"
    );
    let level = rms(&speech);
    assert!((1500.0..9000.0).contains(&level), "RMS {level:.0}");
    let voiced = voiced_share(rate, &speech);
    assert!(voiced > 0.35, "{:.0} % of frames voiced", voiced * 100.0);
    // It is the model speaking, not espeak-ng: each utterance peaks at the level set for it.
    let peak = speech.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    assert!((23_000..=24_800).contains(&peak), "peak {peak}");
    let (_, formant) = samples(&espeak);
    assert_ne!(speech.len(), formant.len());
}

/// The WAV of [`SENTENCE`] spoken by the neural voice with `flag value`.
fn spoken_with(home: &Path, flag: &str, value: &str) -> PathBuf {
    let path = home.join(format!("{}-{value}.wav", flag.trim_start_matches('-')));
    ok(&neural_tts(home)
        .args(["say", "-e", "neural", flag, value, "-o"])
        .arg(&path)
        .arg(SENTENCE)
        .output()
        .expect("tts runs"));
    path
}

#[test]
fn rate_changes_the_duration() {
    let home = tempfile::tempdir().expect("tempdir");
    let seconds = |rate: &str| wav_seconds(&spoken_with(home.path(), "-r", rate)).1;
    let normal = seconds("1.0");
    let fast = seconds("2.0") / normal;
    let slow = seconds("0.5") / normal;
    // The length scale stretches phoneme durations, whole frames each, and they vary by a few
    // percent from run to run: close to, not exactly, half and double.
    assert!(
        (0.45..0.7).contains(&fast),
        "2.0x took {fast:.2} of the time"
    );
    assert!(
        (1.6..2.4).contains(&slow),
        "0.5x took {slow:.2} of the time"
    );
}

#[test]
fn volume_is_a_gain() {
    let home = tempfile::tempdir().expect("tempdir");
    let level = |volume: &str| {
        let samples = samples(&spoken_with(home.path(), "--volume", volume)).1;
        let peak = samples
            .iter()
            .map(|s| f64::from(*s).abs())
            .fold(0.0, f64::max);
        (peak, rms(&samples))
    };
    // Each rendition is different (the model's durations and noise are random), so the RMS of
    // two runs differs by itself; each utterance is brought to a peak set by the volume, so the
    // peak shows the gain exactly, and the RMS roughly.
    let ((quiet_peak, quiet_rms), (normal_peak, normal_rms)) = (level("25"), level("50"));
    let ratio = quiet_peak / normal_peak;
    assert!(
        (0.47..0.53).contains(&ratio),
        "half the volume gave a peak {ratio:.3} as high"
    );
    let heard = quiet_rms / normal_rms;
    assert!(
        (0.35..0.7).contains(&heard),
        "half the volume gave an RMS {heard:.2} as high"
    );
}

#[test]
fn a_missing_library_or_model_falls_back_to_espeak_with_one_notice() {
    let home = tempfile::tempdir().expect("tempdir");
    let reference = espeak_reference(home.path(), "Hello world");
    let (_, voices) = installed();
    let no_library = home.path().join("no-library.wav");
    let output = tts(home.path())
        .env("TTS_ORT_DYLIB", home.path().join("missing.so"))
        .env("TTS_VOICES_PATH", &voices)
        .args(["say", "-o"])
        .arg(&no_library)
        .arg("Hello world")
        .output()
        .expect("tts runs");
    let stderr = ok(&output);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("ONNX Runtime is not at") && stderr.contains("speaking with espeak-ng"),
        "{stderr}"
    );
    let (library, _) = installed();
    let no_model = home.path().join("no-model.wav");
    let output = tts(home.path())
        .env("TTS_ORT_DYLIB", library)
        .args(["say", "-o"])
        .arg(&no_model)
        .arg("Hello world")
        .output()
        .expect("tts runs");
    let stderr = ok(&output);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("no neural voice is installed") && stderr.contains("./scripts/setup"),
        "{stderr}"
    );
    for path in [no_library, no_model] {
        let seconds = wav_seconds(&path).1;
        assert!(
            (seconds - reference).abs() < 0.1,
            "espeak-ng spoke: {seconds:.3} s against {reference:.3} s"
        );
    }
    // Forced, the missing engine is an error that says what to do.
    let output = tts(home.path())
        .args(["say", "-e", "neural", "-o"])
        .arg(home.path().join("forced.wav"))
        .arg("Hello world")
        .output()
        .expect("tts runs");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "tts: the neural engine cannot speak: no neural voice is installed; run ./scripts/setup to install it, or use -e espeak\n"
    );
}

#[test]
fn a_corrupt_model_is_one_clear_error() {
    let home = tempfile::tempdir().expect("tempdir");
    let (library, voices) = installed();
    let dir = home.path().join("voices");
    std::fs::create_dir(&dir).expect("mkdir");
    let model = voices.join(VOICE).join(format!("{VOICE}.onnx"));
    let bytes = std::fs::read(&model).expect("the model");
    std::fs::write(dir.join("broken.onnx"), &bytes[..bytes.len() / 3]).expect("write");
    std::fs::copy(
        voices.join(VOICE).join(format!("{VOICE}.onnx.json")),
        dir.join("broken.onnx.json"),
    )
    .expect("copy");
    let out = home.path().join("out.wav");
    let output = tts(home.path())
        .env("TTS_ORT_DYLIB", library)
        .env("TTS_VOICES_PATH", &dir)
        .args(["say", "-e", "neural", "-v", "broken", "-o"])
        .arg(&out)
        .arg("Hello world")
        .output()
        .expect("tts runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "tts: cannot load the voice model {}: ",
            dir.join("broken.onnx").display()
        )) && stderr
            .trim_end()
            .ends_with("reinstall it with ./scripts/setup or remove it"),
        "{stderr}"
    );
    assert!(!out.exists(), "no file is left");
}

#[test]
fn voices_lists_the_installed_neural_voice_and_espeak_ng() {
    let home = tempfile::tempdir().expect("tempdir");
    let output = neural_tts(home.path())
        .args(["voices", "-e", "local"])
        .output()
        .expect("tts runs");
    ok(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let row = stdout
        .lines()
        .find(|l| l.starts_with(VOICE))
        .unwrap_or_else(|| panic!("{VOICE} is listed: {stdout}"));
    let cells: Vec<&str> = row
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        cells[..6],
        [
            VOICE,
            "neural",
            "English (United States)",
            "medium",
            "22050",
            "CC0 (fine-tuned)"
        ],
        "{row}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("en-us ") && l.contains("espeak-ng")),
        "{stdout}"
    );
    let output = neural_tts(home.path())
        .args(["voices", "-e", "neural", "--json"])
        .output()
        .expect("tts runs");
    let voices: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let voices = voices.as_array().expect("array");
    assert_eq!(voices.len(), 1, "only neural voices: {voices:?}");
    assert_eq!(voices[0]["licence"], "CC0");
    assert_eq!(
        voices[0]["fine_tuned_from"],
        "U.S. English lessac voice (medium quality)"
    );
    assert_eq!(voices[0]["sample_rate"], 22050);
}

#[test]
fn the_default_engine_speaks_with_the_neural_voice_on_the_device() {
    let home = tempfile::tempdir().expect("tempdir");
    let capture = Capture::new();
    let output = capture
        .apply(&mut neural_tts(home.path()))
        .args(["say", "Hello world"])
        .output()
        .expect("tts runs");
    let stderr = ok(&output);
    assert_eq!(
        stderr,
        format!(
            "tts: no DashScope API key (DASHSCOPE_API_KEY); speaking with the offline voice {VOICE} (--engine local hides this)\n"
        )
    );
    let (rate, left) = capture.read();
    let speech = non_silent(&left);
    let seconds = speech.len() as f64 / f64::from(rate);
    assert!((0.6..2.0).contains(&seconds), "{seconds:.2} s played");
    assert!(rms(&speech) > 1000.0, "RMS {:.0}", rms(&speech));
}

#[test]
fn every_format_and_subtitles_work_with_the_neural_voice() {
    let home = tempfile::tempdir().expect("tempdir");
    let text = "First sentence here. And a second one, a little longer than the first.";
    let wav = home.path().join("ref.wav");
    ok(&neural_tts(home.path())
        .args(["say", "-e", "neural", "--subtitles", "srt", "-o"])
        .arg(&wav)
        .arg(text)
        .output()
        .expect("tts runs"));
    let seconds = wav_seconds(&wav).1;
    let srt = std::fs::read_to_string(home.path().join("ref.srt")).expect("subtitles");
    let cues = srt_cues(&srt);
    assert_eq!(cues.len(), 2, "{srt}");
    assert!(srt.contains("First sentence here.") && srt.contains("And a second one"));
    // The second cue starts where its audio does: after the first sentence, before the end.
    assert!(cues[1].0 > 0.8 && cues[1].0 < seconds - 1.0, "{cues:?}");
    assert!(
        (cues[1].1 - seconds).abs() < 0.05,
        "{cues:?} / {seconds:.2}"
    );
    for format in [AudioFormat::Mp3, AudioFormat::Opus] {
        let path = home.path().join(format!("out.{}", format.name()));
        ok(&neural_tts(home.path())
            .args(["say", "-e", "neural", "-o"])
            .arg(&path)
            .arg(text)
            .output()
            .expect("tts runs"));
        let (rate, samples) = ffmpeg_decode(&path);
        let (_, ours) = symphonia_decode(&path, format);
        let decoded = samples.len() as f64 / f64::from(rate);
        assert!(!ours.is_empty());
        // Another run of the model: durations vary by a few percent.
        assert!(
            (decoded / seconds - 1.0).abs() < 0.12,
            "{format}: {decoded:.2} s against {seconds:.2} s"
        );
    }
    // convert: one file in, an MP3 out.
    let input = home.path().join("chapter.txt");
    std::fs::write(&input, text).expect("write");
    ok(&neural_tts(home.path())
        .args(["convert", "-q", "-e", "neural"])
        .arg(&input)
        .output()
        .expect("tts runs"));
    let (rate, samples) = ffmpeg_decode(&home.path().join("chapter.mp3"));
    let decoded = samples.len() as f64 / f64::from(rate);
    assert!((decoded / seconds - 1.0).abs() < 0.12, "{decoded:.2} s");
}

#[test]
fn serve_speaks_english_with_the_one_loaded_neural_voice_and_chinese_with_espeak() {
    use std::io::BufRead;
    let home = tempfile::tempdir().expect("tempdir");
    let mut server = neural_tts(home.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tts serve starts");
    let mut lines = std::io::BufReader::new(server.stderr.take().expect("stderr")).lines();
    let mut log = String::new();
    let url = loop {
        let line = lines
            .next()
            .expect("the server says where it listens")
            .expect("a line");
        log.push_str(&line);
        log.push('\n');
        if let Some(url) = line.strip_prefix("tts: serving the CosyVoice protocol on ") {
            break url.to_owned();
        }
    };
    assert!(
        log.contains(&format!("speaking with the neural voice {VOICE}")),
        "{log}"
    );
    // Two clients at once, each on its own connection, sharing the loaded model.
    let client = |name: &str, voice: &str, model: &str, text: &str| {
        let path = home.path().join(name);
        let child = tts(home.path())
            .env("DASHSCOPE_API_KEY", "sk-test")
            .args([
                "say",
                "-q",
                "-e",
                "cosyvoice",
                "--endpoint",
                &url,
                "-v",
                voice,
                "-m",
                model,
            ])
            .arg("-o")
            .arg(&path)
            .arg(text)
            .spawn()
            .expect("tts say runs");
        (child, path)
    };
    let (mut english, english_path) =
        client("en.wav", "longanyang", "cosyvoice-v3-flash", SENTENCE);
    let (mut chinese, chinese_path) = client(
        "zh.wav",
        "longxiaochun_v2",
        "cosyvoice-v2",
        "你好，世界。今天天气很好。",
    );
    assert!(english.wait().expect("exits").success());
    assert!(chinese.wait().expect("exits").success());
    let _ = server.kill();
    let _ = server.wait();
    let (rate, speech) = samples(&english_path);
    assert_eq!(rate, 22050);
    let peak = speech.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    assert!(
        (23_000..=24_800).contains(&peak),
        "the neural voice's level: peak {peak}"
    );
    let seconds = speech.len() as f64 / f64::from(rate);
    let reference = espeak_reference(home.path(), SENTENCE);
    assert!(
        (0.6..1.6).contains(&(seconds / reference)),
        "{seconds:.2} s against {reference:.2} s"
    );
    let (_, chinese) = samples(&chinese_path);
    assert!(
        chinese.len() > 22050 && rms(&chinese) > 500.0,
        "Chinese spoken by espeak-ng"
    );
}
