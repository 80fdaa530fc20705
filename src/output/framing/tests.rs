use std::io::Write;

use super::*;
use crate::audio::SampleRate;
use crate::audio::decode::decode;
use crate::audio::encode::encoder;

fn tone(rate: u32, seconds: f64) -> Vec<i16> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = (f64::from(rate) * seconds) as usize;
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    (0..n)
        .map(|i| ((i as f64) * 0.06).sin().mul_add(9000.0, 0.0) as i16)
        .collect()
}

fn encoded(format: AudioFormat, rate: u32, seconds: f64) -> Vec<u8> {
    let mut enc = encoder(format, SampleRate::new(rate).expect("rate"), None).expect("encoder");
    let mut out = Vec::new();
    enc.encode(&tone(rate, seconds), &mut out).expect("encode");
    enc.finish(&mut out).expect("finish");
    out
}

/// Seconds a stream decodes to, by the project's own decoder.
fn decoded_seconds(format: AudioFormat, bytes: Vec<u8>) -> f64 {
    let mut rate = 0;
    let mut samples = 0usize;
    let summary = decode(std::io::Cursor::new(bytes), format, |block| {
        rate = block.rate;
        samples += block.samples.len();
        true
    })
    .expect("decodes");
    assert_eq!(summary.skipped, 0, "nothing skipped");
    #[allow(clippy::cast_precision_loss)]
    let seconds = samples as f64 / f64::from(rate);
    seconds
}

/// Feed `bytes` through `framer` in uneven pieces.
fn framed(framer: &mut Framer, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in bytes.chunks(333) {
        framer.push(piece, &mut out);
    }
    out
}

/// Write `first`, append `second` through `prepare_append`, return the file's bytes.
fn appended(format: AudioFormat, first: &[u8], second: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("a");
    std::fs::write(&path, first).expect("write");
    let mut file = open_for_append(&path).expect("open");
    let rate = inspect(&path, format).expect("io").expect("fit").rate;
    let mut framer = prepare_append(&mut file, format, rate.unwrap_or(16_000), "a")
        .expect("io")
        .expect("fit");
    let mut out = framed(&mut framer, second);
    out.extend(framer.held());
    out.extend(framer.rest());
    file.write_all(&out).expect("append");
    framer.close(&mut file).expect("close");
    drop(file);
    std::fs::read(&path).expect("read")
}

#[test]
fn mp3_frames_pass_whole_and_a_cut_off_frame_is_held_back() {
    let bytes = encoded(AudioFormat::Mp3, 24_000, 1.0);
    let cut = &bytes[..bytes.len() - 50];
    let mut framer = Framer::new(AudioFormat::Mp3);
    let out = framed(&mut framer, cut);
    assert!(out.len() < cut.len() && out.len() + 1500 > cut.len());
    assert!(
        mp3_frame(&bytes[out.len()..]).is_some(),
        "ends on a frame boundary"
    );
    assert_eq!(framer.rest(), cut[out.len()..].to_vec());
}

#[test]
fn ogg_pages_pass_whole_and_unchanged() {
    let bytes = encoded(AudioFormat::Opus, 48_000, 1.0);
    let mut framer = Framer::new(AudioFormat::Opus);
    let mut out = framed(&mut framer, &bytes);
    assert!(framer.rest().is_empty(), "the encoder ends on a page");
    // The stream's last page waits until it is known that no stream joins it.
    let held = framer.held();
    assert!(
        !held.is_empty() && held[5] & END != 0,
        "the end page is held"
    );
    out.extend(held);
    assert_eq!(out, bytes);
}

#[test]
fn mp3_appended_after_a_cut_off_frame_decodes_to_both_parts() {
    let first = encoded(AudioFormat::Mp3, 22_050, 1.0);
    let cut = &first[..first.len() - 100];
    let joined = appended(
        AudioFormat::Mp3,
        cut,
        &encoded(AudioFormat::Mp3, 22_050, 1.0),
    );
    let seconds = decoded_seconds(AudioFormat::Mp3, joined);
    assert!((seconds - 2.0).abs() < 0.15, "{seconds:.3} s");
}

/// Every page of `bytes`, checked: one stream, sequence numbers in order, checksums right.
fn pages(bytes: &[u8]) -> Vec<Page> {
    let mut at = 0;
    let mut all: Vec<Page> = Vec::new();
    while at < bytes.len() {
        let page = ogg_page(&bytes[at..]).expect("a page");
        assert!(
            page_is_sound(&bytes[at..], &page),
            "checksum of page {}",
            all.len()
        );
        if let Some(last) = all.last() {
            assert_eq!(page.serial, last.serial, "one logical stream");
            assert_eq!(page.sequence, last.sequence + 1, "no gap in page numbers");
            assert!(page.granule >= last.granule || page.granule == u64::MAX);
        }
        at += page.len;
        all.push(page);
    }
    all
}

#[test]
fn opus_appended_is_one_logical_stream_that_decodes_to_both_parts() {
    let first = encoded(AudioFormat::Opus, 48_000, 1.0);
    let joined = appended(
        AudioFormat::Opus,
        &first,
        &encoded(AudioFormat::Opus, 48_000, 1.5),
    );
    let all = pages(&joined);
    let begins = all.iter().filter(|p| p.flags & BEGINNING != 0).count();
    let ends = all.iter().filter(|p| p.flags & END != 0).count();
    assert_eq!((begins, ends), (1, 1), "one start, one end");
    assert!(
        all.last().expect("pages").flags & END != 0,
        "the end is last"
    );
    let seconds = decoded_seconds(AudioFormat::Opus, joined);
    assert!((seconds - 2.5).abs() < 0.06, "{seconds:.3} s");
}

#[test]
fn opus_appended_after_a_cut_off_page_drops_only_that_page() {
    let first = encoded(AudioFormat::Opus, 24_000, 1.0);
    let cut = &first[..first.len() - 20];
    let joined = appended(
        AudioFormat::Opus,
        cut,
        &encoded(AudioFormat::Opus, 24_000, 1.0),
    );
    pages(&joined);
    let seconds = decoded_seconds(AudioFormat::Opus, joined);
    assert!((seconds - 2.0).abs() < 0.08, "{seconds:.3} s");
}

#[test]
fn a_streamed_wav_gets_true_sizes_at_close_and_appends_keep_them_true() {
    let stream = encoded(AudioFormat::Wav, 16_000, 1.0);
    assert_eq!(
        &stream[40..44],
        &((u32::MAX - 36) & !1).to_le_bytes(),
        "sizes unknown"
    );
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("a.wav");
    let mut file = File::create(&path).expect("create");
    let mut framer = Framer::new(AudioFormat::Wav);
    file.write_all(&framed(&mut framer, &stream))
        .expect("write");
    framer.close(&mut file).expect("close");
    drop(file);
    let reader = hound::WavReader::open(&path).expect("valid");
    assert_eq!(reader.len(), 16_000);
    let joined = appended(
        AudioFormat::Wav,
        &std::fs::read(&path).expect("read"),
        &stream,
    );
    let reader = hound::WavReader::new(std::io::Cursor::new(&joined)).expect("valid");
    assert_eq!(reader.len(), 32_000);
    assert_eq!(joined.len(), 44 + 64_000);
}

#[test]
fn inspect_reads_the_rate_and_names_what_does_not_fit() {
    let dir = tempfile::tempdir().expect("dir");
    let file = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        path
    };
    let mp3 = file("a.mp3", &encoded(AudioFormat::Mp3, 16_000, 0.3));
    let opus = file("a.opus", &encoded(AudioFormat::Opus, 24_000, 0.3));
    let text = file("a.txt", b"not audio at all");
    let rate = |path: &Path, format| inspect(path, format).expect("io").map(|e| e.rate);
    assert_eq!(rate(&mp3, AudioFormat::Mp3), Ok(Some(16_000)));
    assert_eq!(rate(&opus, AudioFormat::Opus), Ok(Some(24_000)));
    let err = rate(&text, AudioFormat::Mp3).expect_err("unfit");
    assert_eq!(err.found, "no MP3 frames");
    assert!(rate(&mp3, AudioFormat::Opus).is_err());
    assert!(rate(&opus, AudioFormat::Wav).is_err());
}

#[test]
fn opus_packet_lengths_follow_the_toc_byte() {
    assert_eq!(opus_packet_samples(&[0b0000_1000]), 960); // SILK 20 ms
    assert_eq!(opus_packet_samples(&[0b1111_1000]), 960); // CELT 20 ms
    assert_eq!(opus_packet_samples(&[0b1111_1001]), 1920); // two frames
    assert_eq!(opus_packet_samples(&[0b1110_0011, 3]), 360); // CELT 2.5 ms x 3
    assert_eq!(opus_packet_samples(b"OpusTags"), 0);
}

#[test]
fn a_wav_body_is_its_samples_whatever_sizes_its_header_states() {
    let stream = encoded(AudioFormat::Wav, 24_000, 0.5);
    let mut zero_sizes = stream.clone();
    zero_sizes[4..8].fill(0);
    zero_sizes[40..44].fill(0);
    for bytes in [stream, zero_sizes] {
        let mut body = Framer::wav_body();
        let out = framed(&mut body, &bytes);
        assert_eq!(
            out,
            bytes[44..].to_vec(),
            "the samples, whole, and only them"
        );
    }
}

#[test]
fn damage_before_the_end_is_refused_and_the_file_left_alone() {
    let dir = tempfile::tempdir().expect("dir");
    for format in [AudioFormat::Mp3, AudioFormat::Opus] {
        let mut bytes = encoded(format, 24_000, 2.0);
        let middle = bytes.len() / 2;
        bytes[middle..middle + 200].fill(0x55);
        let path = dir.path().join(format!("damaged.{}", format.name()));
        std::fs::write(&path, &bytes).expect("write");
        let mut file = open_for_append(&path).expect("open");
        let unfit = prepare_append(&mut file, format, 24_000, "damaged")
            .expect("io")
            .expect_err("refused");
        assert!(unfit.hint.contains("drop --append"), "{format}: {unfit:?}");
        drop(file);
        assert_eq!(
            std::fs::read(&path).expect("read"),
            bytes,
            "{format}: untouched"
        );
    }
}

#[test]
fn another_rate_is_refused_before_the_file_is_touched() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("a.opus");
    let mut bytes = encoded(AudioFormat::Opus, 16_000, 0.5);
    bytes.truncate(bytes.len() - 10); // a cut-off page that a fitting append would drop
    std::fs::write(&path, &bytes).expect("write");
    let mut file = open_for_append(&path).expect("open");
    let unfit = prepare_append(&mut file, AudioFormat::Opus, 24_000, "a")
        .expect("io")
        .expect_err("refused");
    assert_eq!(unfit.hint, "; add --sample-rate 16000");
    drop(file);
    assert_eq!(std::fs::read(&path).expect("read"), bytes, "untouched");
}

#[test]
fn streams_of_several_responses_join_into_one_valid_stream() {
    for format in [AudioFormat::Opus, AudioFormat::Wav, AudioFormat::Mp3] {
        let rate = 24_000;
        let mut framer = Framer::new(format);
        framer.next_stream(); // before any bytes: nothing to join
        let mut out = framed(&mut framer, &encoded(format, rate, 1.0));
        framer.next_stream();
        out.extend(framed(&mut framer, &encoded(format, rate, 1.0)));
        out.extend(framer.held());
        out.extend(framer.rest());
        if format == AudioFormat::Opus {
            let all = pages(&out);
            assert_eq!(all.iter().filter(|p| p.flags & BEGINNING != 0).count(), 1);
        }
        if format == AudioFormat::Wav {
            assert_eq!(
                out.windows(4).filter(|w| *w == b"RIFF").count(),
                1,
                "one header"
            );
        }
        let seconds = decoded_seconds(format, out);
        assert!((seconds - 2.0).abs() < 0.15, "{format}: {seconds:.3} s");
    }
}
