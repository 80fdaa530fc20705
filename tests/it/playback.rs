//! Real playback: `tts say` through cpal into ALSA's file plugin, read back as a WAV.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::{Capture, interrupt, non_silent, rms, tts};

#[test]
fn spoken_text_reaches_the_device() {
    let home = tempfile::tempdir().expect("tempdir");
    let capture = Capture::new();
    let output = capture
        .apply(&mut tts(home.path()))
        .args(["say", "-e", "local", "Hello world, this is a test"])
        .output()
        .expect("tts runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "no ALSA noise: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (rate, left) = capture.read();
    assert_eq!(rate, 48000);
    let speech = non_silent(&left);
    let seconds = speech.len() as f64 / f64::from(rate);
    assert!(seconds >= 0.5, "only {seconds:.2} s of sound was played");
    assert!(seconds < 2.5, "{seconds:.2} s is longer than the sentence");
    let level = rms(&speech);
    assert!(level > 1000.0, "speech is quiet: rms {level:.0}");
}

#[test]
fn lines_on_stdin_are_all_played() {
    let home = tempfile::tempdir().expect("tempdir");
    let capture = Capture::new();
    let mut child = capture
        .apply(&mut tts(home.path()))
        .args(["say", "-q", "-e", "local"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("tts runs");
    let mut stdin = child.stdin.take().expect("stdin");
    for line in [
        "One sentence arrives.",
        "Then another one, a moment later.",
        "And the last.",
    ] {
        writeln!(stdin, "{line}").expect("write");
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(stdin);
    assert!(child.wait().expect("exits").success());
    let (rate, left) = capture.read();
    let seconds = non_silent(&left).len() as f64 / f64::from(rate);
    // Three sentences: well over what the first alone would give.
    assert!(seconds > 2.5, "only {seconds:.2} s was played");
}

#[test]
fn no_device_gives_one_clean_line() {
    let home = tempfile::tempdir().expect("tempdir");
    // A configuration in which ALSA knows no `default` device at all.
    let empty = home.path().join("empty.conf");
    std::fs::write(&empty, "").expect("write");
    let output = tts(home.path())
        .env("ALSA_CONFIG_PATH", &empty)
        .args(["say", "-q", "-e", "local", "hello"])
        .output()
        .expect("tts runs");
    assert_eq!(output.status.code(), Some(5), "exit code 5: audio device");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(err.lines().count(), 1, "one line, no ALSA noise: {err}");
    assert!(
        err.starts_with("tts: no audio output device (ALSA: "),
        "{err}"
    );
    assert!(
        err.trim_end()
            .ends_with("use -o FILE to write a file instead"),
        "{err}"
    );
}

#[test]
fn an_unknown_device_name_lists_the_devices() {
    let home = tempfile::tempdir().expect("tempdir");
    let capture = Capture::new();
    let output = capture
        .apply(&mut tts(home.path()))
        .args([
            "say",
            "-q",
            "-e",
            "local",
            "--device",
            "no-such-device",
            "hello",
        ])
        .output()
        .expect("tts runs");
    assert_eq!(output.status.code(), Some(5), "exit code 5: audio device");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("tts: no output device named 'no-such-device'; available: "),
        "{err}"
    );
    assert!(err.contains("default"), "{err}");
}

#[test]
fn ctrl_c_while_speaking_exits_130() {
    let home = tempfile::tempdir().expect("tempdir");
    let capture = Capture::new();
    let mut child = capture
        .apply(&mut tts(home.path()))
        .args(["say", "-e", "local"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tts runs");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(
        stdin,
        "This sentence is playing when the user presses Control C."
    )
    .expect("write");
    stdin.flush().expect("flush");
    // Wait until sound reaches the device, then interrupt with the writer still open.
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::metadata(capture.path()).map_or(0, |m| m.len()) < 48_000 {
        assert!(Instant::now() < deadline, "nothing was played");
        std::thread::sleep(Duration::from_millis(5));
    }
    interrupt(&child);
    let output = child.wait_with_output().expect("exits");
    drop(stdin);
    assert_eq!(output.status.code(), Some(130));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "tts: interrupted\n"
    );
}

/// `tts devices` as (number, name) rows.
fn listed_devices(capture: &Capture, home: &std::path::Path) -> Vec<(String, String)> {
    let output = capture
        .apply(&mut tts(home))
        .arg("devices")
        .output()
        .expect("tts runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}");
    assert!(
        output.stderr.is_empty(),
        "no ALSA noise: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut lines = stdout.lines();
    let header = lines.next().expect("a header");
    assert!(
        header.starts_with("#  DEVICE") && header.contains("DESCRIPTION"),
        "{stdout}"
    );
    lines
        .map(|line| {
            let mut cells = line.split_whitespace();
            let number = cells.next().expect("a number").to_owned();
            let name = cells.next().expect("a name").to_owned();
            (number, name)
        })
        .collect()
}

/// Seconds of sound in the capture, or 0 when nothing was played into it. Played on `capfile`
/// itself (not through `default`'s conversion to 16 bits) the capture holds the stream's own
/// format.
fn captured_seconds(capture: &Capture) -> f64 {
    let played = std::fs::metadata(capture.path()).is_ok_and(|m| m.len() > 44);
    if !played {
        return 0.0;
    }
    let mut reader = hound::WavReader::open(capture.path()).expect("a WAV");
    let spec = reader.spec();
    let left: Vec<i16> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .step_by(usize::from(spec.channels))
            .map(|s| (s.expect("sample") * 32767.0) as i16)
            .collect(),
        hound::SampleFormat::Int => {
            let shift = spec.bits_per_sample.saturating_sub(16);
            reader
                .samples::<i32>()
                .step_by(usize::from(spec.channels))
                .map(|s| (s.expect("sample") >> shift) as i16)
                .collect()
        }
    };
    non_silent(&left).len() as f64 / f64::from(spec.sample_rate)
}

#[test]
fn every_listed_device_can_be_chosen_by_name_and_by_number() {
    let home = tempfile::tempdir().expect("tempdir");
    let capture = Capture::new();
    let devices = listed_devices(&capture, home.path());
    let names: Vec<&str> = devices.iter().map(|(_, name)| name.as_str()).collect();
    assert_eq!(devices[0], ("0".into(), "default".into()), "{names:?}");
    // The capture configuration's own device and ALSA's null device are listed by name.
    assert!(
        names.contains(&"capfile") && names.contains(&"null"),
        "{names:?}"
    );
    for (number, name) in &devices {
        for choice in [number, name] {
            let _ = std::fs::remove_file(capture.path());
            let output = capture
                .apply(&mut tts(home.path()))
                .args(["say", "-e", "local", "--device", choice, "Hello there"])
                .output()
                .expect("tts runs");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                output.status.success(),
                "--device {choice} ({name}): {stderr}"
            );
            assert!(stderr.is_empty(), "--device {choice}: {stderr}");
            let seconds = captured_seconds(&capture);
            // `default` and `capfile` write into the capture; the others do not.
            if name == "default" || name == "capfile" {
                assert!(seconds > 0.3, "--device {choice}: {seconds:.2} s captured");
            } else {
                assert!(seconds == 0.0, "--device {choice} played into the capture");
            }
        }
    }
}

#[test]
fn a_device_that_refuses_floats_is_probed_and_plays() {
    let home = tempfile::tempdir().expect("tempdir");
    let capture = Capture::new();
    // ALSA's `linear` plugin converts between integer formats only: the player's first choice
    // (stereo f32 at 48 kHz) is refused, as a sound card's own `hw` device may refuse it.
    let extra = home.path().join("ints.conf");
    std::fs::write(
        &extra,
        "pcm.intsonly {\n    type linear\n    slave { pcm \"capfile\"; format S16_LE }\n}\n",
    )
    .expect("write");
    let output = tts(home.path())
        .env(
            "ALSA_CONFIG_PATH",
            format!("{}:{}", capture.alsa_config_path(), extra.display()),
        )
        .args(["say", "-e", "local", "--device", "intsonly", "Hello there"])
        .output()
        .expect("tts runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    let seconds = captured_seconds(&capture);
    assert!(seconds > 0.3, "{seconds:.2} s captured");
}

#[test]
fn a_device_number_past_the_list_is_refused_with_the_list() {
    let home = tempfile::tempdir().expect("tempdir");
    let capture = Capture::new();
    let output = capture
        .apply(&mut tts(home.path()))
        .args(["say", "-q", "-e", "local", "--device", "99", "hello"])
        .output()
        .expect("tts runs");
    assert_eq!(output.status.code(), Some(5), "exit code 5: audio device");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("tts: no output device named '99'; available: 0 to "),
        "{err}"
    );
    assert!(err.contains("default") && err.contains("capfile"), "{err}");
}
