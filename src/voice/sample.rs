//! A voice sample checked before anything is uploaded: its format by content (WAV 16-bit,
//! MP3, M4A), size, length, rate and channels, and an energy-based speech detector that finds
//! the longest stretch of continuous speech and any pause longer than the service allows.
//! `tts serve` runs the same analysis on what it receives, and estimates the speaker's pitch.

use std::io::Cursor;
use std::path::Path;

use symphonia::core::codecs::CodecParameters;
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;

/// The largest sample the service takes.
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;
/// The longest sample, in seconds.
pub const MAX_SECONDS: f64 = 60.0;
/// The longest pause inside the speech, in seconds.
pub const MAX_PAUSE: f64 = 2.0;
/// Analysis frames: 20 ms.
const FRAME_SECONDS: f64 = 0.02;
/// Gaps up to this long (between words, at commas) still count as continuous speech.
const SPEECH_GAP: f64 = 0.5;
/// A frame is speech when within this many dB of the loud frames (the 95th percentile).
const SPEECH_RANGE_DB: f64 = 30.0;
/// Quieter than this is never speech.
const FLOOR_DB: f64 = -50.0;

/// The container, told by the content (never the name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// RIFF/WAVE.
    Wav,
    /// MPEG audio (with or without an ID3 tag).
    Mp3,
    /// MPEG-4 audio.
    M4a,
}

impl Container {
    /// Its MIME type, for uploads and data URLs.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Wav => "audio/wav",
            Self::Mp3 => "audio/mpeg",
            Self::M4a => "audio/mp4",
        }
    }

    /// A file extension for it.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Wav => "wav",
            Self::Mp3 => "mp3",
            Self::M4a => "m4a",
        }
    }
}

/// What a sample needs to meet (CosyVoice's rules, or Qwen's).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// The lowest sample rate.
    pub min_rate: u32,
    /// The shortest stretch of continuous speech, in seconds.
    pub min_speech: f64,
}

impl Rules {
    /// CosyVoice `voice-enrollment`: at least 16 kHz and 5 s of continuous speech.
    pub const COSYVOICE: Self = Self {
        min_rate: 16_000,
        min_speech: 5.0,
    };
    /// Qwen `qwen-voice-enrollment`: at least 24 kHz and 3 s of continuous speech.
    pub const QWEN: Self = Self {
        min_rate: 24_000,
        min_speech: 3.0,
    };
}

/// Why a sample cannot be used; each message names the problem and the fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SampleError {
    /// The file cannot be read.
    #[error("cannot read the sample {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Over 10 MB.
    #[error(
        "the sample {path} is {mb:.1} MB; the service takes 10 MB at most: cut it to 10 to 20 s or save it as MP3"
    )]
    TooLarge {
        /// The file.
        path: String,
        /// Its size in MB.
        mb: f64,
    },
    /// Not WAV, MP3 or M4A.
    #[error(
        "the sample {path} is not WAV, MP3 or M4A audio (by its content: {found}); convert it, e.g. ffmpeg -i IN -ar 24000 -ac 1 OUT.wav"
    )]
    NotAudio {
        /// The file.
        path: String,
        /// What the content looks like.
        found: String,
    },
    /// A WAV that is not 16-bit integer PCM.
    #[error(
        "the sample {path} is a {found} WAV; the service takes 16-bit WAV: ffmpeg -i IN -c:a pcm_s16le OUT.wav"
    )]
    WavNot16Bit {
        /// The file.
        path: String,
        /// What it holds.
        found: String,
    },
    /// The audio does not decode.
    #[error("the sample {path} cannot be decoded as {container:?}: {reason}")]
    Undecodable {
        /// The file.
        path: String,
        /// Its container.
        container: Container,
        /// Why.
        reason: String,
    },
    /// Over 60 s.
    #[error(
        "the sample {path} is {seconds:.1} s long; the service takes 60 s at most (10 to 20 s is best): cut it"
    )]
    TooLong {
        /// The file.
        path: String,
        /// Its length (at least).
        seconds: f64,
    },
    /// Under the rate.
    #[error(
        "the sample {path} is recorded at {rate} Hz; this model needs at least {min} Hz: record it again at {min} Hz or more (resampling adds nothing)"
    )]
    LowRate {
        /// The file.
        path: String,
        /// Its rate.
        rate: u32,
        /// The least accepted.
        min: u32,
    },
    /// No sound at all.
    #[error("the sample {path} is silent: record the speaker again")]
    Silent {
        /// The file.
        path: String,
    },
    /// Stereo with nothing in the channel the service uses.
    #[error(
        "the first channel of the sample {path} is silent, and the service uses only the first channel: ffmpeg -i IN -af 'pan=mono|c0=c1' OUT.wav"
    )]
    FirstChannelSilent {
        /// The file.
        path: String,
    },
    /// Too short overall.
    #[error(
        "the sample {path} is {seconds:.1} s long; it needs at least {min:.0} s of continuous speech (10 to 20 s is best)"
    )]
    TooShort {
        /// The file.
        path: String,
        /// Its length.
        seconds: f64,
        /// The least continuous speech.
        min: f64,
    },
    /// A pause over 2 s inside the speech.
    #[error("the sample {path} has a pause of {:.1} s from {} to {}; the service allows 2 s at most: cut the pause out", end - start, clock(*start), clock(*end))]
    Pause {
        /// The file.
        path: String,
        /// Where the pause starts, s.
        start: f64,
        /// Where it ends, s.
        end: f64,
    },
    /// Speech, but never long enough without a break.
    #[error("the longest stretch of continuous speech in the sample {path} is {longest:.1} s (at {}); the service needs {min:.0} s: record a longer passage without stopping", clock(*at))]
    NoContinuousSpeech {
        /// The file.
        path: String,
        /// Its longest stretch, s.
        longest: f64,
        /// Where it starts.
        at: f64,
        /// What is needed.
        min: f64,
    },
}

/// `m:ss.s`.
fn clock(seconds: f64) -> String {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a sample is at most a minute or so"
    )]
    let minutes = (seconds / 60.0).floor() as u64;
    #[allow(clippy::cast_precision_loss, reason = "minutes are few")]
    let rest = seconds - minutes as f64 * 60.0;
    format!("{minutes}:{rest:04.1}")
}

/// What a sample holds.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The container.
    pub container: Container,
    /// The rate.
    pub rate: u32,
    /// The channels.
    pub channels: usize,
    /// Its length.
    pub seconds: f64,
    /// The first channel, the one the service uses.
    pub first: Vec<f32>,
    /// The file's bytes, to upload.
    pub bytes: Vec<u8>,
}

/// The speech found in a sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Speech {
    /// The longest stretch without a gap over 0.5 s: (start, length) in seconds.
    pub longest: (f64, f64),
    /// The longest pause between speech: (start, end) in seconds.
    pub longest_pause: Option<(f64, f64)>,
    /// Seconds of speech in all.
    pub total: f64,
}

/// The container by content.
pub fn sniff(bytes: &[u8]) -> Result<Container, String> {
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WAVE" {
        return Ok(Container::Wav);
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return Ok(Container::M4a);
    }
    if bytes.starts_with(b"ID3")
        || (bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0)
    {
        return Ok(Container::Mp3);
    }
    let found = if bytes.is_empty() {
        "an empty file".to_owned()
    } else if bytes.starts_with(b"OggS") {
        "Ogg".to_owned()
    } else if bytes.starts_with(b"fLaC") {
        "FLAC".to_owned()
    } else if std::str::from_utf8(&bytes[..bytes.len().min(512)]).is_ok() {
        "text".to_owned()
    } else {
        "unknown data".to_owned()
    };
    Err(found)
}

/// Read and decode the sample at `path`, checking size, container and WAV sample format.
pub fn read(path: &Path) -> Result<Sample, SampleError> {
    let shown = path.display().to_string();
    let metadata = std::fs::metadata(path).map_err(|e| SampleError::Unreadable {
        path: shown.clone(),
        reason: e.kind().to_string(),
    })?;
    if metadata.is_dir() {
        return Err(SampleError::Unreadable {
            path: shown,
            reason: "it is a directory".into(),
        });
    }
    #[allow(clippy::cast_precision_loss, reason = "file sizes")]
    if metadata.len() > MAX_BYTES {
        return Err(SampleError::TooLarge {
            path: shown,
            mb: metadata.len() as f64 / (1024.0 * 1024.0),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| SampleError::Unreadable {
        path: shown.clone(),
        reason: e.kind().to_string(),
    })?;
    decode(&shown, bytes)
}

/// Decode `bytes` (named `name` in messages), at most a little over [`MAX_SECONDS`].
pub fn decode(name: &str, bytes: Vec<u8>) -> Result<Sample, SampleError> {
    #[allow(clippy::cast_precision_loss, reason = "sizes")]
    if bytes.len() as u64 > MAX_BYTES {
        return Err(SampleError::TooLarge {
            path: name.to_owned(),
            mb: bytes.len() as f64 / (1024.0 * 1024.0),
        });
    }
    let container = sniff(&bytes).map_err(|found| SampleError::NotAudio {
        path: name.to_owned(),
        found,
    })?;
    if container == Container::Wav {
        check_wav_format(name, &bytes)?;
    }
    let undecodable = |reason: String| SampleError::Undecodable {
        path: name.to_owned(),
        container,
        reason,
    };
    let mut hint = Hint::new();
    hint.with_extension(container.extension());
    let source = MediaSourceStream::new(
        Box::new(Cursor::new(bytes.clone())),
        MediaSourceStreamOptions::default(),
    );
    let mut reader = symphonia::default::get_probe()
        .probe(
            &hint,
            source,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| undecodable(e.to_string()))?;
    let (track_id, params) = reader
        .default_track(TrackType::Audio)
        .and_then(|track| match &track.codec_params {
            Some(CodecParameters::Audio(params)) => Some((track.id, params.clone())),
            _ => None,
        })
        .ok_or_else(|| undecodable("it has no audio track".into()))?;
    let mut decoder = crate::audio::decode::codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(|e| undecodable(e.to_string()))?;
    let mut first = Vec::new();
    let mut rate = params.sample_rate.unwrap_or(0);
    let mut channels = params.channels.as_ref().map_or(0, |c| c.count());
    let mut interleaved: Vec<f32> = Vec::new();
    // Frames past what is kept are only counted, so a long file's length is still known.
    let mut frames: u64 = 0;
    loop {
        let packet = match reader.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(e) => return Err(undecodable(e.to_string())),
        };
        if packet.track_id != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            Err(SymphoniaError::DecodeError(_)) => continue,
            Err(e) => return Err(undecodable(e.to_string())),
        };
        rate = decoded.spec().rate();
        channels = decoded.spec().channels().count().max(1);
        frames += decoded.frames() as u64;
        // Keep a little over the longest allowed; a long low-rate MP3 would otherwise fill
        // memory.
        #[allow(clippy::cast_precision_loss, reason = "sample counts")]
        if rate > 0 && (first.len() as f64) / f64::from(rate) <= MAX_SECONDS + 1.0 {
            decoded.copy_to_vec_interleaved(&mut interleaved);
            first.extend(interleaved.iter().step_by(channels).copied());
        }
    }
    if rate == 0 || first.is_empty() {
        return Err(undecodable("it holds no audio".into()));
    }
    #[allow(clippy::cast_precision_loss, reason = "sample counts")]
    let seconds = frames as f64 / f64::from(rate);
    Ok(Sample {
        container,
        rate,
        channels,
        seconds,
        first,
        bytes,
    })
}

/// The `fmt ` chunk of a WAV: 16-bit integer PCM only.
fn check_wav_format(name: &str, bytes: &[u8]) -> Result<(), SampleError> {
    let mut at = 12;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]])
            as usize;
        if id == b"fmt " && at + 8 + 16 <= bytes.len() {
            let body = &bytes[at + 8..];
            let tag = u16::from_le_bytes([body[0], body[1]]);
            let bits = u16::from_le_bytes([body[14], body[15]]);
            let extensible_pcm =
                tag == 0xFFFE && body.len() >= 26 && body[24] == 1 && body[25] == 0;
            let found = match (tag, bits) {
                (1, 16) => return Ok(()),
                (0xFFFE, 16) if extensible_pcm => return Ok(()),
                (3, b) | (0xFFFE, b) if b == 32 || b == 64 => format!("{b}-bit float"),
                (1 | 0xFFFE, b) => format!("{b}-bit"),
                (6 | 7, _) => "G.711 (8-bit)".to_owned(),
                (t, _) => format!("compressed (format {t:#06x})"),
            };
            return Err(SampleError::WavNot16Bit {
                path: name.to_owned(),
                found,
            });
        }
        at = at.saturating_add(8).saturating_add(size + (size & 1));
    }
    Err(SampleError::Undecodable {
        path: name.to_owned(),
        container: Container::Wav,
        reason: "it has no fmt chunk".into(),
    })
}

/// RMS level of each 20 ms frame, in dBFS.
fn frame_levels(samples: &[f32], rate: u32) -> Vec<f64> {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a frame is a few hundred samples"
    )]
    let frame = ((f64::from(rate) * FRAME_SECONDS) as usize).max(1);
    samples
        .chunks(frame)
        .map(|chunk| {
            #[allow(clippy::cast_precision_loss, reason = "frame lengths")]
            let mean =
                chunk.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / chunk.len() as f64;
            10.0 * mean.max(1e-12).log10()
        })
        .collect()
}

/// Find the speech in mono samples: frames within 30 dB of the loud ones (and above
/// -50 dBFS) are speech; runs of speech with gaps up to 0.5 s are continuous.
pub fn speech(samples: &[f32], rate: u32) -> Option<Speech> {
    let levels = frame_levels(samples, rate);
    let mut sorted = levels.clone();
    sorted.sort_by(f64::total_cmp);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into the frames"
    )]
    let loud = *sorted.get((sorted.len() as f64 * 0.95) as usize)?;
    if loud < FLOOR_DB {
        return None;
    }
    let threshold = (loud - SPEECH_RANGE_DB).max(FLOOR_DB);
    let voiced: Vec<bool> = levels.iter().map(|l| *l >= threshold).collect();
    let first = voiced.iter().position(|v| *v)?;
    let last = voiced.iter().rposition(|v| *v)?;
    #[allow(clippy::cast_precision_loss, reason = "frame indices")]
    let at = |i: usize| i as f64 * FRAME_SECONDS;
    let mut longest_pause: Option<(f64, f64)> = None;
    let mut longest = (at(first), 0.0);
    let mut run_start = first;
    let mut gap_start: Option<usize> = None;
    let mut total = 0.0;
    for (i, v) in voiced.iter().enumerate().take(last + 1).skip(first) {
        if *v {
            total += FRAME_SECONDS;
            if let Some(gap) = gap_start.take() {
                let (start, end) = (at(gap), at(i));
                if longest_pause.is_none_or(|(s, e)| e - s < end - start) {
                    longest_pause = Some((start, end));
                }
                if end - start > SPEECH_GAP {
                    run_start = i;
                }
            }
            let length = at(i + 1) - at(run_start);
            if length > longest.1 {
                longest = (at(run_start), length);
            }
        } else if gap_start.is_none() {
            gap_start = Some(i);
        }
    }
    Some(Speech {
        longest,
        longest_pause,
        total,
    })
}

/// Check a decoded sample against `rules`; the notes worth telling the user when it passes.
pub fn check(name: &str, sample: &Sample, rules: Rules) -> Result<Vec<String>, SampleError> {
    let path = name.to_owned();
    if sample.seconds > MAX_SECONDS {
        return Err(SampleError::TooLong {
            path,
            seconds: sample.seconds,
        });
    }
    if sample.rate < rules.min_rate {
        return Err(SampleError::LowRate {
            path,
            rate: sample.rate,
            min: rules.min_rate,
        });
    }
    if sample.seconds < rules.min_speech {
        return Err(SampleError::TooShort {
            path,
            seconds: sample.seconds,
            min: rules.min_speech,
        });
    }
    let Some(found) = speech(&sample.first, sample.rate) else {
        return Err(if sample.channels > 1 {
            SampleError::FirstChannelSilent { path }
        } else {
            SampleError::Silent { path }
        });
    };
    if let Some((start, end)) = found.longest_pause.filter(|(s, e)| e - s > MAX_PAUSE) {
        return Err(SampleError::Pause { path, start, end });
    }
    if found.longest.1 < rules.min_speech {
        return Err(SampleError::NoContinuousSpeech {
            path,
            longest: found.longest.1,
            at: found.longest.0,
            min: rules.min_speech,
        });
    }
    let mut notes = Vec::new();
    if sample.channels > 1 {
        notes.push(format!(
            "note: {name} has {} channels; the service uses only the first",
            sample.channels
        ));
    }
    if !(10.0..=20.0).contains(&sample.seconds) {
        notes.push(format!(
            "note: {name} is {:.1} s long; 10 to 20 s of speech clones best",
            sample.seconds
        ));
    }
    Ok(notes)
}

/// The speaker's median pitch in Hz over the loud frames (autocorrelation, 60 to 400 Hz).
pub fn pitch(samples: &[f32], rate: u32) -> Option<f32> {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "lags of a few hundred samples"
    )]
    let (min_lag, max_lag, window) = (
        (f64::from(rate) / 400.0) as usize,
        (f64::from(rate) / 60.0) as usize,
        (f64::from(rate) * 0.04) as usize,
    );
    if min_lag == 0 || samples.len() < window + max_lag {
        return None;
    }
    let levels = frame_levels(samples, rate);
    let loud = levels.iter().copied().fold(f64::MIN, f64::max);
    let mut estimates = Vec::new();
    let step = window / 2;
    let mut start = 0;
    // At most 400 windows: plenty for a median, bounded work on the server.
    let stride = ((samples.len() - window - max_lag) / step / 400 + 1) * step;
    while start + window + max_lag <= samples.len() {
        let frame = &samples[start..start + window];
        let energy: f32 = frame.iter().map(|s| s * s).sum();
        #[allow(clippy::cast_precision_loss, reason = "window lengths")]
        let db = 10.0 * (f64::from(energy) / window as f64).max(1e-12).log10();
        if db > loud - 20.0 {
            let mut best = (0.0f32, 0usize);
            for lag in min_lag..=max_lag {
                let other = &samples[start + lag..start + lag + window];
                let corr: f32 = frame.iter().zip(other).map(|(a, b)| a * b).sum();
                let norm: f32 = other.iter().map(|s| s * s).sum::<f32>().sqrt() * energy.sqrt();
                let r = if norm > 0.0 { corr / norm } else { 0.0 };
                if r > best.0 {
                    best = (r, lag);
                }
            }
            if best.0 > 0.5 {
                #[allow(clippy::cast_precision_loss, reason = "lags")]
                estimates.push(rate as f32 / best.1 as f32);
            }
        }
        start += stride;
    }
    if estimates.is_empty() {
        return None;
    }
    estimates.sort_by(f32::total_cmp);
    Some(estimates[estimates.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A voiced sound at `f0` Hz with a syllable rhythm, and silence where `quiet` says.
    fn voice(rate: u32, seconds: f64, f0: f32, quiet: &[(f64, f64)]) -> Vec<f32> {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = (f64::from(rate) * seconds) as usize;
        (0..n)
            .map(|i| {
                #[allow(clippy::cast_precision_loss)]
                let t = i as f32 / rate as f32;
                if quiet.iter().any(|(a, b)| (*a..*b).contains(&f64::from(t))) {
                    return 0.0;
                }
                let envelope = 0.6 + 0.4 * (t * 4.0 * std::f32::consts::TAU).sin();
                let tone: f32 = (1..=4)
                    .map(|h| (t * f0 * h as f32 * std::f32::consts::TAU).sin() / h as f32)
                    .sum();
                0.2 * envelope * tone
            })
            .collect()
    }

    #[test]
    fn speech_and_pauses_are_found_where_they_are() {
        let samples = voice(16_000, 12.0, 120.0, &[(4.0, 7.0)]);
        let found = speech(&samples, 16_000).expect("speech");
        let (start, end) = found.longest_pause.expect("a pause");
        assert!(
            (start - 4.0).abs() < 0.05 && (end - 7.0).abs() < 0.05,
            "{start} {end}"
        );
        assert!((found.longest.1 - 5.0).abs() < 0.1, "{:?}", found.longest);
        assert!(speech(&vec![0.0; 16_000 * 5], 16_000).is_none());
    }

    #[test]
    fn pitch_is_estimated() {
        for f0 in [110.0, 220.0] {
            let got = pitch(&voice(16_000, 3.0, f0, &[]), 16_000).expect("a pitch");
            assert!((got - f0).abs() < f0 * 0.05, "{f0}: {got}");
        }
    }

    #[test]
    fn containers_are_told_by_content() {
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Ok(Container::Wav));
        assert_eq!(sniff(b"ID3\x04rest"), Ok(Container::Mp3));
        assert_eq!(sniff(b"\0\0\0\x20ftypM4A "), Ok(Container::M4a));
        assert_eq!(sniff(b"hello, world"), Err("text".to_owned()));
        assert_eq!(clock(67.25), "1:07.2");
    }
}
