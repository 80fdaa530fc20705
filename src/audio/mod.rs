//! Audio formats, rates and the sample-level stages (resampling) shared by every sink.

pub mod decode;
pub mod encode;
pub mod resample;

use std::fmt;
use std::num::NonZeroU32;
use std::path::Path;

/// A sample rate in Hz; never zero.
pub type SampleRate = NonZeroU32;

/// The rates every engine and file format of `tts` supports (the service's list).
pub const SUPPORTED_RATES: [u32; 6] = [8000, 16000, 22050, 24000, 44100, 48000];

/// An audio container or encoding a user can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioFormat {
    /// Raw signed 16-bit little-endian mono samples, no header.
    Pcm,
    /// RIFF WAVE, 16-bit mono.
    Wav,
    /// MPEG-1/2 Layer III.
    Mp3,
    /// Opus in an Ogg container.
    Opus,
}

impl AudioFormat {
    /// Every format, in the order help texts list them.
    pub const ALL: [AudioFormat; 4] = [Self::Pcm, Self::Wav, Self::Mp3, Self::Opus];

    /// The lowercase name used on the command line and as a file extension.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pcm => "pcm",
            Self::Wav => "wav",
            Self::Mp3 => "mp3",
            Self::Opus => "opus",
        }
    }

    /// Parse a format name (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// The format a file name implies by its extension (`.ogg` counts as Opus, `.raw` as PCM).
    ///
    /// ```
    /// use std::path::Path;
    /// use tts::audio::AudioFormat;
    /// assert_eq!(AudioFormat::from_path(Path::new("book.OGG")), Some(AudioFormat::Opus));
    /// assert_eq!(AudioFormat::from_path(Path::new("notes.txt")), None);
    /// ```
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?;
        if ext.eq_ignore_ascii_case("ogg") {
            return Some(Self::Opus);
        }
        if ext.eq_ignore_ascii_case("raw") {
            return Some(Self::Pcm);
        }
        Self::from_name(ext)
    }
}

impl fmt::Display for AudioFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Convert 16-bit samples to floats in [-1, 1).
pub fn i16_to_f32(samples: &[i16], out: &mut Vec<f32>) {
    out.extend(samples.iter().map(|&s| f32::from(s) / 32768.0));
}

/// Convert floats to 16-bit samples, clamping what lies outside [-1, 1].
pub fn f32_to_i16(samples: &[f32], out: &mut Vec<i16>) {
    #[allow(
        clippy::cast_possible_truncation,
        reason = "clamped to the i16 range first"
    )]
    out.extend(
        samples
            .iter()
            .map(|&s| (s * 32768.0).round().clamp(-32768.0, 32767.0) as i16),
    );
}

/// Turns a stream of little-endian 16-bit PCM bytes, cut anywhere, into samples: a sample
/// split across two network frames is carried over.
#[derive(Debug, Default)]
pub struct PcmBytes {
    carry: Option<u8>,
}

impl PcmBytes {
    /// Append the samples `bytes` completes to `out`.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<i16>) {
        let mut rest = bytes;
        if let (Some(low), Some((&high, tail))) = (self.carry, rest.split_first()) {
            out.push(i16::from_le_bytes([low, high]));
            self.carry = None;
            rest = tail;
        }
        let pairs = rest.chunks_exact(2);
        self.carry = pairs.remainder().first().copied();
        out.extend(pairs.map(|pair| i16::from_le_bytes([pair[0], pair[1]])));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcm_bytes_survive_any_cut() {
        let samples: Vec<i16> = (0..100).map(|i| i * 300 - 15000).collect();
        let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        for cut in 1..7 {
            let mut assembler = PcmBytes::default();
            let mut out = Vec::new();
            for piece in bytes.chunks(cut) {
                assembler.push(piece, &mut out);
            }
            assert_eq!(out, samples, "pieces of {cut} bytes");
        }
    }

    #[test]
    fn formats_come_from_extensions() {
        assert_eq!(
            AudioFormat::from_path(Path::new("a/b.WAV")),
            Some(AudioFormat::Wav)
        );
        assert_eq!(
            AudioFormat::from_path(Path::new("x.ogg")),
            Some(AudioFormat::Opus)
        );
        assert_eq!(
            AudioFormat::from_path(Path::new("x.raw")),
            Some(AudioFormat::Pcm)
        );
        assert_eq!(AudioFormat::from_path(Path::new("x.txt")), None);
        assert_eq!(AudioFormat::from_path(Path::new("noext")), None);
    }

    #[test]
    fn sample_conversion_round_trips_and_clamps() {
        let mut f = Vec::new();
        i16_to_f32(&[0, 16384, -32768, 32767], &mut f);
        let mut back = Vec::new();
        f32_to_i16(&f, &mut back);
        assert_eq!(back, [0, 16384, -32768, 32767]);
        back.clear();
        f32_to_i16(&[2.0, -2.0], &mut back);
        assert_eq!(back, [32767, -32768]);
    }
}
