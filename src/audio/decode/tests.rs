use std::f64::consts::TAU;

use super::*;
use crate::audio::SampleRate;
use crate::audio::encode::encoder;

fn tone(rate: u32, seconds: f64, hz: f64) -> Vec<i16> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = (f64::from(rate) * seconds) as usize;
    (0..n)
        .map(|i| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            let v = ((i as f64) * TAU * hz / f64::from(rate)).sin() * 12_000.0;
            v as i16
        })
        .collect()
}

fn encoded(format: AudioFormat, rate: u32, samples: &[i16]) -> Vec<u8> {
    let mut enc = encoder(format, SampleRate::new(rate).expect("rate"), None).expect("encoder");
    let mut out = Vec::new();
    for chunk in samples.chunks(441) {
        enc.encode(chunk, &mut out).expect("encode");
    }
    enc.finish(&mut out).expect("finish");
    out
}

/// Frequency from upward zero crossings, skipping the edges.
fn frequency(samples: &[i16], rate: u32) -> f64 {
    let middle = &samples[samples.len() / 10..samples.len() * 9 / 10];
    let crossings = middle.windows(2).filter(|w| w[0] < 0 && w[1] >= 0).count();
    #[allow(clippy::cast_precision_loss)]
    let seconds = middle.len() as f64 / f64::from(rate);
    #[allow(clippy::cast_precision_loss)]
    let hz = crossings as f64 / seconds;
    hz
}

/// Push `bytes` in small uneven chunks, as a network delivers them, collecting what comes out.
fn stream(format: AudioFormat, bytes: &[u8]) -> (u32, Vec<i16>, DecodeSummary) {
    let decoder = StreamDecoder::start(format).expect("start");
    let mut rate = 0;
    let mut samples = Vec::new();
    let mut take = |block: Block| {
        rate = block.rate;
        samples.extend_from_slice(&block.samples);
        true
    };
    let sizes = [1, 7, 300, 2, 4096, 13, 777, 64];
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let n = sizes[i % sizes.len()].min(rest.len());
        let mut ready = Vec::new();
        decoder.push(rest[..n].to_vec(), &mut ready);
        for block in ready {
            take(block);
        }
        rest = &rest[n..];
        i += 1;
        if i % 3 == 0 {
            // Sometimes the consumer is slow to look: the decoder must not stall on it.
            continue;
        }
        while let Some(block) = decoder.try_next() {
            take(block);
        }
    }
    let summary = decoder.finish(&mut take).expect("decodes");
    (rate, samples, summary)
}

fn assert_tone(format: AudioFormat, rate: u32) {
    let sent = tone(rate, 2.0, 440.0);
    let (out_rate, samples, summary) = stream(format, &encoded(format, rate, &sent));
    assert_eq!(summary.skipped, 0, "{format} at {rate}");
    #[allow(clippy::cast_precision_loss)]
    let seconds = samples.len() as f64 / f64::from(out_rate);
    assert!(
        (seconds - 2.0).abs() / 2.0 < 0.03,
        "{format} at {rate}: {seconds:.3} s decoded at {out_rate} Hz"
    );
    let hz = frequency(&samples, out_rate);
    assert!((hz - 440.0).abs() < 3.0, "{format} at {rate}: {hz:.1} Hz");
}

#[test]
fn mp3_streamed_in_uneven_chunks_decodes_to_the_tone_at_its_rate() {
    for rate in [16_000, 22_050, 24_000, 48_000] {
        assert_tone(AudioFormat::Mp3, rate);
    }
}

#[test]
fn ogg_opus_streamed_in_uneven_chunks_decodes_to_the_tone() {
    for rate in [16_000, 24_000, 48_000] {
        assert_tone(AudioFormat::Opus, rate);
    }
}

#[test]
fn wav_streamed_in_uneven_chunks_decodes_exactly() {
    let sent = tone(22_050, 1.0, 440.0);
    let (rate, samples, _) = stream(AudioFormat::Wav, &encoded(AudioFormat::Wav, 22_050, &sent));
    assert_eq!(rate, 22_050);
    assert_eq!(samples.len(), sent.len());
    let worst = samples
        .iter()
        .zip(&sent)
        .map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs())
        .max();
    assert!(worst <= Some(1), "{worst:?}");
}

#[test]
fn a_corrupt_stretch_of_mp3_is_skipped_and_the_rest_still_plays() {
    let sent = tone(24_000, 3.0, 440.0);
    let mut bytes = encoded(AudioFormat::Mp3, 24_000, &sent);
    let middle = bytes.len() / 2;
    for (i, byte) in bytes[middle..middle + 600].iter_mut().enumerate() {
        *byte = u8::try_from(i % 251).expect("byte") ^ 0x5a;
    }
    let (rate, samples, _) = stream(AudioFormat::Mp3, &bytes);
    #[allow(clippy::cast_precision_loss)]
    let seconds = samples.len() as f64 / f64::from(rate);
    assert!(seconds > 2.5, "only {seconds:.2} s survived");
    let tail = &samples[samples.len() * 3 / 4..];
    assert!(
        (frequency(tail, rate) - 440.0).abs() < 3.0,
        "after the damage"
    );
}

#[test]
fn a_corrupt_ogg_page_is_skipped_and_the_rest_still_plays() {
    let sent = tone(48_000, 3.0, 440.0);
    let mut bytes = encoded(AudioFormat::Opus, 48_000, &sent);
    // A damaged packet inside a page: its checksum no longer matches.
    let middle = bytes.len() / 2;
    let page = middle
        + bytes[middle..]
            .windows(4)
            .position(|w| w == b"OggS")
            .expect("a page");
    for byte in &mut bytes[page + 30..page + 60] {
        *byte ^= 0xff;
    }
    let (rate, samples, _) = stream(AudioFormat::Opus, &bytes);
    #[allow(clippy::cast_precision_loss)]
    let seconds = samples.len() as f64 / f64::from(rate);
    assert!(seconds > 2.5, "only {seconds:.2} s survived");
}

#[test]
fn bytes_that_are_not_the_format_are_an_error_not_a_hang() {
    let decoder = StreamDecoder::start(AudioFormat::Opus).expect("start");
    decoder.push(
        b"this is plain text, not an Ogg stream at all".repeat(50),
        &mut Vec::new(),
    );
    let err = decoder.finish(|_| true).expect_err("refused");
    assert!(matches!(err, DecodeError::Unreadable { .. }), "{err:?}");
}

#[test]
fn pcm_has_no_decoder() {
    assert!(matches!(
        StreamDecoder::start(AudioFormat::Pcm),
        Err(DecodeError::NotEncoded { .. })
    ));
}

#[test]
fn a_consumer_that_only_looks_at_the_end_does_not_deadlock_the_decoder() {
    let bytes = encoded(AudioFormat::Mp3, 24_000, &tone(24_000, 20.0, 440.0));
    let decoder = StreamDecoder::start(AudioFormat::Mp3).expect("start");
    let mut ready = Vec::new();
    for chunk in bytes.chunks(64) {
        decoder.push(chunk.to_vec(), &mut ready);
    }
    let mut samples: usize = ready.iter().map(|b| b.samples.len()).sum();
    decoder
        .finish(|block| {
            samples += block.samples.len();
            true
        })
        .expect("decodes");
    assert!(samples > 24_000 * 19, "{samples} samples");
}
