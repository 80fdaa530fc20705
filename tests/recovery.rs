//! Playback that survives: on a device paced in real time (a PulseAudio null sink, reached
//! through ALSA's pulse plugin as on a desktop), a process stopped and continued (Ctrl-Z, `fg`)
//! and a machine under CPU load still play the whole speech and exit 0.
//!
//! A test binary of its own: the CPU hog must not slow the other playback tests, and these two
//! run one at a time.

#[path = "common/mod.rs"]
mod common;

use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{Pulse, non_silent, tts, wav_sound_seconds};

/// One test at a time: the hog would disturb the other.
static SERIAL: Mutex<()> = Mutex::new(());

const TEXT: &str = "Playback has to survive what happens to a process on a busy desktop. \
                    The speech goes on after the pause, and every word of it is heard.";

/// Seconds of sound the offline engine makes for `TEXT`, from a file.
fn expected_seconds(home: &std::path::Path) -> f64 {
    let wav = home.join("expected.wav");
    let status = tts(home)
        .args(["say", "-q", "-e", "local", "-o"])
        .arg(&wav)
        .arg(TEXT)
        .status()
        .expect("tts runs");
    assert!(status.success());
    wav_sound_seconds(&wav)
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{name} failed");
}

/// Wait for the child to exit, failing the test (and killing it) after `limit`.
fn wait(mut child: Child, limit: Duration) -> std::process::Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("tts did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn assert_whole_speech(recorded: &[i16], expected: f64, stderr: &str) {
    let heard = non_silent(recorded).len() as f64 / 48_000.0;
    // parec may miss the first tens of milliseconds; a device rebuilt after a failure loses
    // at most what it held (a few tens of milliseconds).
    assert!(
        heard >= 0.9 * expected && heard <= 1.1 * expected,
        "{heard:.2} s of sound was heard, {expected:.2} s was spoken; stderr: {stderr}"
    );
}

#[test]
fn a_stopped_and_continued_process_plays_on() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let home = tempfile::tempdir().expect("tempdir");
    let expected = expected_seconds(home.path());
    let pulse = Pulse::start();
    let recording = pulse.record();
    let child = pulse
        .apply(&mut tts(home.path()))
        .args(["say", "-e", "local", TEXT])
        .stderr(Stdio::piped())
        .spawn()
        .expect("tts runs");
    // Stop it well into the speech, as Ctrl-Z would, and continue it a while later.
    let deadline = Instant::now() + Duration::from_secs(20);
    while recording.sound_seconds() < 1.0 {
        assert!(Instant::now() < deadline, "nothing was played");
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(&child, "STOP");
    std::thread::sleep(Duration::from_millis(1500));
    signal(&child, "CONT");
    let output = wait(child, Duration::from_secs(30));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.lines().count() <= 1,
        "at most one warning about the device: {stderr}"
    );
    assert_whole_speech(&recording.stop(), expected, &stderr);
}

/// Busy loops on every core, killed when dropped.
struct Hog(Vec<Child>);

impl Hog {
    fn start() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self(
            (0..cores * 2)
                .map(|_| {
                    Command::new("sh")
                        .args(["-c", "while :; do :; done"])
                        .spawn()
                        .expect("sh runs")
                })
                .collect(),
        )
    }
}

impl Drop for Hog {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn playback_under_cpu_load_plays_everything() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let home = tempfile::tempdir().expect("tempdir");
    let expected = expected_seconds(home.path());
    let pulse = Pulse::start();
    let recording = pulse.record();
    let hog = Hog::start();
    let child = pulse
        .apply(&mut tts(home.path()))
        .args(["say", "-e", "local", TEXT])
        .stderr(Stdio::piped())
        .spawn()
        .expect("tts runs");
    let output = wait(child, Duration::from_secs(60));
    drop(hog);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.lines().count() <= 1,
        "at most one warning about the device: {stderr}"
    );
    assert_whole_speech(&recording.stop(), expected, &stderr);
}

#[test]
fn a_device_that_stays_gone_ends_the_run_with_exit_5() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let home = tempfile::tempdir().expect("tempdir");
    let pulse = Pulse::start();
    let recording = pulse.record();
    let child = pulse
        .apply(&mut tts(home.path()))
        .args(["say", "-e", "local", TEXT])
        .stderr(Stdio::piped())
        .spawn()
        .expect("tts runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    while recording.sound_seconds() < 0.5 {
        assert!(Instant::now() < deadline, "nothing was played");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The sound server goes away for good.
    drop(recording);
    drop(pulse);
    let started = Instant::now();
    let output = wait(child, Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "gave up after {:?}, before trying to reopen for 2 s",
        started.elapsed()
    );
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("tts: the audio device failed: ")
            && last.contains("did not come back within 2 s"),
        "{stderr}"
    );
    assert!(
        stderr.lines().count() <= 2,
        "a warning and the error: {stderr}"
    );
}
