//! Streaming encoders: mono 16-bit PCM in; PCM, WAV, MP3 or Ogg Opus bytes out as soon as each
//! piece is ready, so a server can send the first frame while synthesis goes on.
//!
//! Runs wherever audio is produced (the server's connection tasks); never on the audio callback.

use std::io::Write;

use super::resample::{ResampleError, StreamResampler};
use super::{AudioFormat, SampleRate, f32_to_i16, i16_to_f32};

/// Why encoding failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// LAME refused its settings.
    #[error("cannot set up the MP3 encoder: {0}")]
    Mp3Setup(String),
    /// LAME failed on a chunk.
    #[error("MP3 encoding failed: {0}")]
    Mp3(String),
    /// libopus refused its settings or a frame.
    #[error("Opus encoding failed")]
    Opus(#[from] opus::Error),
    /// The Ogg framing failed (writing to memory cannot, in practice).
    #[error("Ogg framing failed")]
    Ogg(#[from] std::io::Error),
    /// The rate conversion for Opus failed.
    #[error("cannot convert the sample rate for Opus")]
    Resample(#[from] ResampleError),
}

/// A streaming encoder.
pub trait Encoder: Send {
    /// Encode `samples`, appending whatever bytes are complete to `out`.
    fn encode(&mut self, samples: &[i16], out: &mut Vec<u8>) -> Result<(), EncodeError>;
    /// No more samples: append the rest.
    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError>;
}

/// An encoder of `format` for mono audio at `rate`; `bit_rate` (kbps) applies to Opus and MP3
/// (one of [`MP3_BIT_RATES`]).
pub fn encoder(
    format: AudioFormat,
    rate: SampleRate,
    bit_rate: Option<u32>,
) -> Result<Box<dyn Encoder>, EncodeError> {
    Ok(match format {
        AudioFormat::Pcm => Box::new(Pcm),
        AudioFormat::Wav => Box::new(Wav {
            rate: rate.get(),
            header_sent: false,
        }),
        AudioFormat::Mp3 => Box::new(Mp3::new(rate, bit_rate)?),
        AudioFormat::Opus => Box::new(OggOpus::new(rate, bit_rate.unwrap_or(32))?),
    })
}

fn le_bytes(samples: &[i16], out: &mut Vec<u8>) {
    out.extend(samples.iter().flat_map(|s| s.to_le_bytes()));
}

struct Pcm;

impl Encoder for Pcm {
    fn encode(&mut self, samples: &[i16], out: &mut Vec<u8>) -> Result<(), EncodeError> {
        le_bytes(samples, out);
        Ok(())
    }

    fn finish(&mut self, _out: &mut Vec<u8>) -> Result<(), EncodeError> {
        Ok(())
    }
}

/// A WAV stream: a header whose sizes say "unknown length", then PCM.
struct Wav {
    rate: u32,
    header_sent: bool,
}

impl Wav {
    fn header(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&wav_stream_header(self.rate));
    }
}

/// A WAV header for a stream of unknown length: the sizes say "as long as it goes", which
/// players reading a pipe accept. The data size stays a whole number of 2-byte samples, as
/// strict readers check.
pub fn wav_stream_header(rate: u32) -> [u8; 44] {
    const DATA_SIZE: u32 = (u32::MAX - 36) & !1;
    let mut header = [0u8; 44];
    let fields: [&[u8]; 12] = [
        b"RIFF",
        &(DATA_SIZE + 36).to_le_bytes(),
        b"WAVEfmt ",
        &16u32.to_le_bytes(),
        &1u16.to_le_bytes(), // PCM
        &1u16.to_le_bytes(), // mono
        &rate.to_le_bytes(),
        &(rate * 2).to_le_bytes(), // bytes per second
        &2u16.to_le_bytes(),       // block align
        &16u16.to_le_bytes(),      // bits per sample
        b"data",
        &DATA_SIZE.to_le_bytes(),
    ];
    let mut at = 0;
    for field in fields {
        header[at..at + field.len()].copy_from_slice(field);
        at += field.len();
    }
    header
}

impl Encoder for Wav {
    fn encode(&mut self, samples: &[i16], out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if !self.header_sent {
            self.header(out);
            self.header_sent = true;
        }
        le_bytes(samples, out);
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if !self.header_sent {
            self.header(out);
            self.header_sent = true;
        }
        Ok(())
    }
}

/// The MP3 bit rates LAME takes, in kbps (it rounds to the nearest one the sample rate allows).
pub const MP3_BIT_RATES: [u32; 16] = [
    8, 16, 24, 32, 40, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];

/// MP3 through LAME, at a constant bit rate: the one asked for, else one by sample rate.
struct Mp3 {
    lame: mp3lame_encoder::Encoder,
    /// Samples have gone in.
    encoded_any: bool,
}

impl Mp3 {
    fn new(rate: SampleRate, asked: Option<u32>) -> Result<Self, EncodeError> {
        use mp3lame_encoder::{Bitrate, Builder, Quality};
        let setup = |e: &dyn std::fmt::Display| EncodeError::Mp3Setup(e.to_string());
        let mut builder =
            Builder::new().ok_or_else(|| EncodeError::Mp3Setup("LAME did not start".into()))?;
        builder.set_num_channels(1).map_err(|e| setup(&e))?;
        builder.set_sample_rate(rate.get()).map_err(|e| setup(&e))?;
        let kbps = match asked {
            None => match rate.get() {
                ..=8000 => Bitrate::Kbps32,
                8001..=16000 => Bitrate::Kbps64,
                _ => Bitrate::Kbps128,
            },
            Some(8) => Bitrate::Kbps8,
            Some(16) => Bitrate::Kbps16,
            Some(24) => Bitrate::Kbps24,
            Some(32) => Bitrate::Kbps32,
            Some(40) => Bitrate::Kbps40,
            Some(48) => Bitrate::Kbps48,
            Some(64) => Bitrate::Kbps64,
            Some(80) => Bitrate::Kbps80,
            Some(96) => Bitrate::Kbps96,
            Some(112) => Bitrate::Kbps112,
            Some(128) => Bitrate::Kbps128,
            Some(160) => Bitrate::Kbps160,
            Some(192) => Bitrate::Kbps192,
            Some(224) => Bitrate::Kbps224,
            Some(256) => Bitrate::Kbps256,
            Some(320) => Bitrate::Kbps320,
            Some(other) => {
                return Err(EncodeError::Mp3Setup(format!(
                    "{other} kbps is not an MP3 bit rate"
                )));
            }
        };
        builder.set_brate(kbps).map_err(|e| setup(&e))?;
        builder.set_quality(Quality::Good).map_err(|e| setup(&e))?;
        Ok(Self {
            lame: builder.build().map_err(|e| setup(&e))?,
            encoded_any: false,
        })
    }
}

impl Encoder for Mp3 {
    fn encode(&mut self, samples: &[i16], out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encoded_any |= !samples.is_empty();
        out.reserve(mp3lame_encoder::max_required_buffer_size(samples.len()));
        self.lame
            .encode_to_vec(mp3lame_encoder::MonoPcm(samples), out)
            .map_err(|e| EncodeError::Mp3(e.to_string()))?;
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        // No audio, no frames: LAME's flush of nothing is not a valid stream.
        if !self.encoded_any {
            return Ok(());
        }
        out.reserve(7200);
        // Without the gap: the padding after the last sample stays within its frame.
        self.lame
            .flush_to_vec::<mp3lame_encoder::FlushNoGap>(out)
            .map_err(|e| EncodeError::Mp3(e.to_string()))?;
        Ok(())
    }
}

/// Opus in Ogg (RFC 7845): 20 ms packets, one page per packet so each goes out at once.
struct OggOpus {
    opus: opus::Encoder,
    ogg: ogg::writing::PacketWriter<'static, Vec<u8>>,
    /// To 48 kHz when the input rate is not one libopus takes.
    resampler: Option<StreamResampler>,
    frame: usize,
    pending: Vec<i16>,
    packet: Vec<u8>,
    granule: u64,
    /// Granule (48 kHz) per input sample.
    granule_per_sample: u64,
    pre_skip: u16,
    headers_sent: bool,
    /// The rate the audio came at, which OpusHead records (playback is at 48 kHz regardless).
    input_rate: u32,
    floats: Vec<f32>,
    resampled: Vec<f32>,
    converted: Vec<i16>,
}

const SERIAL: u32 = 0x7474_7331;

impl OggOpus {
    fn new(rate: SampleRate, kbps: u32) -> Result<Self, EncodeError> {
        // libopus takes 8, 12, 16, 24 and 48 kHz; others go through 48 kHz.
        let native = [8000, 12000, 16000, 24000, 48000].contains(&rate.get());
        let opus_rate = if native { rate.get() } else { 48_000 };
        let resampler = if native {
            None
        } else {
            Some(StreamResampler::new(
                rate,
                SampleRate::new(48_000).unwrap_or(rate),
            )?)
        };
        let mut opus =
            opus::Encoder::new(opus_rate, opus::Channels::Mono, opus::Application::Audio)?;
        let bits = i32::try_from(kbps.saturating_mul(1000)).unwrap_or(i32::MAX);
        opus.set_bitrate(opus::Bitrate::Bits(bits))?;
        let lookahead = opus.get_lookahead()?;
        let granule_per_sample = u64::from(48_000 / opus_rate);
        let pre_skip =
            u16::try_from(i64::from(lookahead) * i64::try_from(granule_per_sample).unwrap_or(1))
                .unwrap_or(0);
        Ok(Self {
            opus,
            ogg: ogg::writing::PacketWriter::new(Vec::new()),
            resampler,
            frame: opus_rate as usize / 50,
            pending: Vec::new(),
            packet: vec![0; 4000],
            granule: 0,
            granule_per_sample,
            pre_skip,
            headers_sent: false,
            input_rate: rate.get(),
            floats: Vec::new(),
            resampled: Vec::new(),
            converted: Vec::new(),
        })
    }

    fn headers(&mut self, input_rate: u32) -> Result<(), EncodeError> {
        let mut head = Vec::with_capacity(19);
        head.extend_from_slice(b"OpusHead");
        head.push(1); // version
        head.push(1); // channels
        head.extend_from_slice(&self.pre_skip.to_le_bytes());
        head.extend_from_slice(&input_rate.to_le_bytes());
        head.extend_from_slice(&0i16.to_le_bytes()); // output gain
        head.push(0); // mapping family
        self.ogg
            .write_packet(head, SERIAL, ogg::writing::PacketWriteEndInfo::EndPage, 0)?;
        let vendor = b"tts";
        let mut tags = Vec::new();
        tags.extend_from_slice(b"OpusTags");
        tags.extend_from_slice(&u32::try_from(vendor.len()).unwrap_or(0).to_le_bytes());
        tags.extend_from_slice(vendor);
        tags.extend_from_slice(&0u32.to_le_bytes());
        self.ogg
            .write_packet(tags, SERIAL, ogg::writing::PacketWriteEndInfo::EndPage, 0)?;
        self.headers_sent = true;
        Ok(())
    }

    /// Encode whole frames; before the end, hold back at least one sample, so the last packet
    /// (which carries the end-of-stream mark) always has audio in it.
    fn flush_frames(&mut self, last: bool, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        while self.pending.len() > self.frame || (last && !self.pending.is_empty()) {
            let real = self.pending.len().min(self.frame);
            let mut frame: Vec<i16> = self.pending.drain(..real).collect();
            frame.resize(self.frame, 0);
            let len = self.opus.encode(&frame, &mut self.packet)?;
            self.granule += real as u64 * self.granule_per_sample;
            let end = if last && self.pending.is_empty() {
                ogg::writing::PacketWriteEndInfo::EndStream
            } else {
                ogg::writing::PacketWriteEndInfo::EndPage
            };
            self.ogg
                .write_packet(self.packet[..len].to_vec(), SERIAL, end, self.granule)?;
        }
        out.append(self.ogg.inner_mut());
        Ok(())
    }

    fn take_input(&mut self, samples: &[i16]) -> Result<(), EncodeError> {
        match &mut self.resampler {
            None => self.pending.extend_from_slice(samples),
            Some(resampler) => {
                self.floats.clear();
                i16_to_f32(samples, &mut self.floats);
                self.resampled.clear();
                resampler.process(&self.floats, &mut self.resampled)?;
                self.converted.clear();
                f32_to_i16(&self.resampled, &mut self.converted);
                self.pending.extend_from_slice(&self.converted);
            }
        }
        Ok(())
    }
}

impl Encoder for OggOpus {
    fn encode(&mut self, samples: &[i16], out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if !self.headers_sent {
            self.headers(self.input_rate)?;
        }
        self.take_input(samples)?;
        self.flush_frames(false, out)
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if !self.headers_sent {
            self.headers(self.input_rate)?;
        }
        if let Some(resampler) = &mut self.resampler {
            self.resampled.clear();
            resampler.finish(&mut self.resampled)?;
            self.converted.clear();
            f32_to_i16(&self.resampled, &mut self.converted);
            self.pending.extend_from_slice(&self.converted);
        }
        if self.pending.is_empty() {
            // No audio at all: one silent packet of no duration carries the end-of-stream mark.
            let len = self.opus.encode(&vec![0; self.frame], &mut self.packet)?;
            let end = ogg::writing::PacketWriteEndInfo::EndStream;
            self.ogg
                .write_packet(self.packet[..len].to_vec(), SERIAL, end, self.granule)?;
        }
        self.flush_frames(true, out)?;
        self.ogg.inner_mut().flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mp3_of_no_audio_is_no_bytes() {
        let mut mp3 = encoder(
            AudioFormat::Mp3,
            SampleRate::new(22_050).expect("rate"),
            None,
        )
        .expect("encoder");
        let mut out = Vec::new();
        mp3.encode(&[], &mut out).expect("encode");
        mp3.finish(&mut out).expect("finish");
        assert!(out.is_empty(), "{} bytes", out.len());
    }

    fn tone(rate: u32, seconds: f64) -> Vec<i16> {
        (0..(f64::from(rate) * seconds) as usize)
            .map(|i| {
                (8000.0 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / f64::from(rate)).sin())
                    as i16
            })
            .collect()
    }

    fn encode_all(format: AudioFormat, rate: u32) -> Vec<u8> {
        let mut encoder =
            encoder(format, SampleRate::new(rate).expect("rate"), Some(32)).expect("encoder");
        let mut out = Vec::new();
        for chunk in tone(rate, 1.0).chunks(997) {
            encoder.encode(chunk, &mut out).expect("encode");
        }
        encoder.finish(&mut out).expect("finish");
        out
    }

    #[test]
    fn mp3_streams_frames_with_sync_words() {
        for rate in [8000, 16000, 22050, 24000, 44100, 48000] {
            let bytes = encode_all(AudioFormat::Mp3, rate);
            assert!(bytes.len() > 1000, "{rate}: {} bytes", bytes.len());
            assert_eq!(bytes[0], 0xFF, "{rate}: starts with a frame sync");
            assert_eq!(bytes[1] & 0xE0, 0xE0, "{rate}");
        }
    }

    #[test]
    fn ogg_opus_has_head_tags_and_a_granule_of_one_second() {
        for rate in [8000, 16000, 24000, 48000, 22050] {
            let bytes = encode_all(AudioFormat::Opus, rate);
            let mut reader = ogg::PacketReader::new(std::io::Cursor::new(bytes));
            let head = reader.read_packet_expected().expect("head");
            assert!(head.data.starts_with(b"OpusHead"));
            let tags = reader.read_packet_expected().expect("tags");
            assert!(tags.data.starts_with(b"OpusTags"));
            let mut last = 0;
            let mut ended = false;
            while let Some(packet) = reader.read_packet().expect("packet") {
                last = packet.absgp_page();
                ended = packet.last_in_stream();
            }
            assert!(ended, "{rate}: end of stream marked");
            assert_eq!(last, 48_000, "{rate}: one second at 48 kHz granules");
        }
    }

    #[test]
    fn wav_stream_starts_with_a_header_for_its_rate() {
        let bytes = encode_all(AudioFormat::Wav, 16000);
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(
            u32::from_le_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]),
            16000
        );
        assert_eq!(bytes.len(), 44 + 32000);
    }
}
