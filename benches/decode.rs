//! Decode + resample throughput, in times real time: MP3 and Ogg Opus files of speech decoded the
//! way playback does it (the streaming decoder fed 4 KiB at a time, then rubato to 48 kHz), next to
//! `ffmpeg -i FILE -f s16le -ar 48000 -` on the same files (its own `-benchmark` real time, so
//! its process start is not counted against it).
//!
//! Run with: cargo bench --bench decode (scripts/bench --decode does the same).
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use tts::audio::decode::StreamDecoder;
use tts::audio::resample::StreamResampler;
use tts::audio::{AudioFormat, SampleRate, i16_to_f32};

const RUNS: usize = 5;
const PARAGRAPH: &str = "Speech synthesis turns written text into sound, one sentence at a time. \
    A good tool makes that feel instant, and keeps up however fast the text arrives. \
    The quick brown fox jumps over the lazy dog, and the lazy dog does not mind at all.\n";

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let text = dir.path().join("text.txt");
    std::fs::write(&text, PARAGRAPH.repeat(40)).expect("write the text");
    println!(
        "{:<18} {:>8} {:>14} {:>14} {:>7}",
        "file", "audio", "tts (x rt)", "ffmpeg (x rt)", "ratio"
    );
    for (format, rate) in [
        (AudioFormat::Mp3, 22_050),
        (AudioFormat::Mp3, 48_000),
        (AudioFormat::Opus, 24_000),
        (AudioFormat::Opus, 48_000),
    ] {
        let file = dir.path().join(format!("speech-{rate}.{}", format.name()));
        let status = Command::new(env!("CARGO_BIN_EXE_tts"))
            .args([
                "say",
                "-q",
                "-e",
                "local",
                "--sample-rate",
                &rate.to_string(),
                "-o",
            ])
            .arg(&file)
            .arg("-f")
            .arg(&text)
            .status()
            .expect("tts runs");
        assert!(status.success(), "tts made {}", file.display());
        let bytes = std::fs::read(&file).expect("read the file");
        let mut ours = Vec::new();
        let mut seconds = 0.0;
        for _ in 0..RUNS {
            let started = Instant::now();
            seconds = decode_and_resample(format, &bytes);
            ours.push(started.elapsed().as_secs_f64());
        }
        let theirs: Vec<f64> = (0..RUNS).map(|_| ffmpeg_seconds(&file)).collect();
        let (ours, theirs) = (median(ours), median(theirs));
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "{name:<18} {seconds:>7.1}s {:>14.0} {:>14.0} {:>7.2}",
            seconds / ours,
            seconds / theirs,
            theirs / ours
        );
    }
}

/// Decode `bytes` as they would arrive from the network and resample to 48 kHz; the seconds of
/// audio produced.
fn decode_and_resample(format: AudioFormat, bytes: &[u8]) -> f64 {
    let decoder = StreamDecoder::start(format).expect("a decoder");
    let mut resampler: Option<StreamResampler> = None;
    let mut floats = Vec::new();
    let mut out = Vec::new();
    let mut frames = 0usize;
    let mut take = |block: tts::audio::decode::Block| {
        let resampler = resampler.get_or_insert_with(|| {
            let from = SampleRate::new(block.rate).expect("a rate");
            StreamResampler::new(from, SampleRate::new(48_000).expect("48 kHz"))
                .expect("a resampler")
        });
        floats.clear();
        i16_to_f32(&block.samples, &mut floats);
        out.clear();
        resampler.process(&floats, &mut out).expect("resamples");
        frames += out.len();
        true
    };
    let mut ready = Vec::new();
    for chunk in bytes.chunks(4096) {
        decoder.push(chunk.to_vec(), &mut ready);
        ready.drain(..).for_each(|block| {
            take(block);
        });
        while let Some(block) = decoder.try_next() {
            take(block);
        }
    }
    decoder.finish(&mut take).expect("decodes");
    #[allow(
        clippy::cast_precision_loss,
        reason = "frame counts stay far below 2^52"
    )]
    let seconds = frames as f64 / 48_000.0;
    seconds
}

/// ffmpeg's own real time for decoding `file` to 48 kHz 16-bit PCM.
fn ffmpeg_seconds(file: &Path) -> f64 {
    let output = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-nostats", "-benchmark", "-i"])
        .arg(file)
        .args(["-f", "s16le", "-ar", "48000", "-"])
        .output()
        .expect("ffmpeg (Debian package ffmpeg) is installed");
    assert!(output.status.success(), "ffmpeg decodes {}", file.display());
    let report = String::from_utf8_lossy(&output.stderr);
    report
        .split_whitespace()
        .find_map(|word| word.strip_prefix("rtime=")?.strip_suffix('s')?.parse().ok())
        .expect("ffmpeg -benchmark reports rtime")
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
