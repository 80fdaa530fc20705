//! The player's library API on the real device: a 440 Hz tone at 22050 Hz goes through
//! resampling, the ring and cpal into ALSA's file plugin, and comes out at 48000 Hz with its
//! frequency and duration intact.
//!
//! A test binary of its own: it points ALSA at the capture through the process environment,
//! which must happen before any thread reads it.

#[path = "common/mod.rs"]
mod common;

use std::f64::consts::PI;

use common::{Capture, frequency, non_silent};
use tts::audio::SampleRate;
use tts::cancel::CancelToken;
use tts::output::AudioSink;
use tts::output::device::{Player, PlayerOptions};

#[test]
fn a_tone_keeps_its_frequency_and_duration_through_the_player() {
    let capture = Capture::new();
    #[allow(
        unsafe_code,
        reason = "the only test in this binary; no other thread reads the environment"
    )]
    // SAFETY: set before the player starts any thread, and no other test runs in this process.
    unsafe {
        std::env::set_var("ALSA_CONFIG_PATH", capture.alsa_config_path());
        std::env::set_var("XDG_RUNTIME_DIR", "/nonexistent");
        std::env::set_var("PULSE_SERVER", "unix:/nonexistent");
    }
    let input_rate = 22050u32;
    let tone: Vec<i16> = (0..input_rate)
        .map(|i| {
            let t = f64::from(i) / f64::from(input_rate);
            (0.5 * 32767.0 * (2.0 * PI * 440.0 * t).sin()) as i16
        })
        .collect();

    let device = Player::open(&PlayerOptions::default(), CancelToken::new())
        .expect("the capture device opens");
    let mut player =
        Box::new(Player::new(device, SampleRate::new(input_rate).expect("rate")).expect("player"));
    assert_eq!(player.device_rate(), 48000);
    // Uneven chunks, as an engine delivers them.
    for chunk in tone.chunks(1001) {
        player.write(chunk).expect("write");
    }
    let report = player.finish().expect("finish");
    assert!(
        (report.seconds - 1.0).abs() < 0.01,
        "played {:.3} s",
        report.seconds
    );
    assert!(report.first_audio.is_some());

    let (rate, left) = capture.read();
    assert_eq!(rate, 48000);
    let sound = non_silent(&left);
    let seconds = sound.len() as f64 / f64::from(rate);
    assert!(
        (seconds - 1.0).abs() < 0.03,
        "{seconds:.3} s of tone came out, not 1 s"
    );
    let hz = frequency(&sound, rate);
    assert!((hz - 440.0).abs() < 2.0, "the tone came out at {hz:.1} Hz");
}
