//! Streaming encoders: mono 16-bit PCM in; PCM, WAV, MP3, Ogg Opus or FLAC bytes out as soon as
//! each piece is ready, so a server can send the first frame while synthesis goes on.
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
    /// The FLAC encoder refused its settings (its errors are not `Send`, so their words are
    /// kept, as LAME's are).
    #[error("cannot set up the FLAC encoder: {0}")]
    FlacSetup(String),
    /// The FLAC encoder failed on a block, or a frame did not fit its format.
    #[error("FLAC encoding failed: {0}")]
    Flac(String),
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

/// A FLAC encoder for mono 16-bit audio at `rate`: not one of the service's formats (so not
/// in [`AudioFormat`]), but one the OpenAI speech API offers.
pub fn flac(rate: SampleRate) -> Result<Box<dyn Encoder>, EncodeError> {
    Ok(Box::new(Flac::new(rate)?))
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

/// Samples per FLAC frame (the reference encoder's default): about 170 ms at 24 kHz.
const FLAC_BLOCK: usize = 4096;

/// FLAC as a stream: `fLaC` and a STREAMINFO that leaves the length and the MD5 unknown (as
/// the format allows, since neither is known until the end), then one frame per full block.
struct Flac {
    config: flacenc::error::Verified<flacenc::config::Encoder>,
    /// The header, until it is sent.
    header: Option<flacenc::component::Stream>,
    info: flacenc::component::StreamInfo,
    block: flacenc::source::FrameBuf,
    pending: Vec<i32>,
    frame_number: usize,
    sink: flacenc::bitsink::ByteSink,
}

fn flac_setup(error: &dyn std::fmt::Display) -> EncodeError {
    EncodeError::FlacSetup(error.to_string())
}

fn flac_failed(error: &dyn std::fmt::Display) -> EncodeError {
    EncodeError::Flac(error.to_string())
}

impl Flac {
    fn new(rate: SampleRate) -> Result<Self, EncodeError> {
        use flacenc::error::Verify as _;
        let config = flacenc::config::Encoder::default()
            .into_verified()
            .map_err(|(_, e)| flac_setup(&e))?;
        let mut header = flacenc::component::Stream::new(rate.get() as usize, 1, 16)
            .map_err(|e| flac_setup(&e))?;
        header
            .stream_info_mut()
            .set_block_sizes(FLAC_BLOCK, FLAC_BLOCK)
            .map_err(|e| flac_setup(&e))?;
        Ok(Self {
            config,
            info: header.stream_info().clone(),
            header: Some(header),
            block: flacenc::source::FrameBuf::with_size(1, FLAC_BLOCK)
                .map_err(|e| flac_setup(&e))?,
            pending: Vec::with_capacity(FLAC_BLOCK),
            frame_number: 0,
            sink: flacenc::bitsink::ByteSink::new(),
        })
    }

    fn send_header(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        use flacenc::component::BitRepr as _;
        if let Some(header) = self.header.take() {
            self.sink.clear();
            header.write(&mut self.sink).map_err(|e| flac_failed(&e))?;
            out.extend_from_slice(self.sink.as_slice());
        }
        Ok(())
    }

    /// Encode the pending samples (a full block, or the shorter last one) as the next frame.
    fn frame(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        use flacenc::component::BitRepr as _;
        use flacenc::source::Fill as _;
        self.block
            .fill_interleaved(&self.pending)
            .map_err(|e| flac_failed(&e))?;
        self.pending.clear();
        let frame = flacenc::encode_fixed_size_frame(
            &self.config,
            &self.block,
            self.frame_number,
            &self.info,
        )
        .map_err(|e| flac_failed(&e))?;
        self.frame_number += 1;
        self.sink.clear();
        frame.write(&mut self.sink).map_err(|e| flac_failed(&e))?;
        out.extend_from_slice(self.sink.as_slice());
        Ok(())
    }
}

impl Encoder for Flac {
    fn encode(&mut self, samples: &[i16], out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.send_header(out)?;
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (FLAC_BLOCK - self.pending.len()).min(rest.len());
            self.pending
                .extend(rest[..take].iter().map(|&s| i32::from(s)));
            rest = &rest[take..];
            if self.pending.len() == FLAC_BLOCK {
                self.frame(out)?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.send_header(out)?;
        if !self.pending.is_empty() {
            self.frame(out)?;
        }
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

    /// Decode a FLAC stream with symphonia: its samples, rate, channels and bit depth.
    fn decode_flac(bytes: Vec<u8>) -> (Vec<i16>, u32, usize, u32) {
        use symphonia::core::codecs::CodecParameters;
        use symphonia::core::codecs::audio::AudioDecoderOptions;
        use symphonia::core::formats::probe::Hint;
        use symphonia::core::formats::{FormatOptions, TrackType};
        use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
        use symphonia::core::meta::MetadataOptions;
        let source = MediaSourceStream::new(
            Box::new(std::io::Cursor::new(bytes)),
            MediaSourceStreamOptions::default(),
        );
        let mut reader = symphonia::default::get_probe()
            .probe(
                Hint::new().with_extension("flac"),
                source,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .expect("a FLAC stream");
        let track = reader.default_track(TrackType::Audio).expect("audio track");
        let (id, params) = match &track.codec_params {
            Some(CodecParameters::Audio(params)) => (track.id, params.clone()),
            other => panic!("not audio: {other:?}"),
        };
        let mut decoder = crate::audio::decode::codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .expect("FLAC decoder");
        let mut samples = Vec::new();
        let mut chunk: Vec<i16> = Vec::new();
        while let Some(packet) = reader.next_packet().expect("packet") {
            assert_eq!(packet.track_id, id);
            decoder
                .decode(&packet)
                .expect("frame")
                .copy_to_vec_interleaved(&mut chunk);
            samples.extend_from_slice(&chunk);
        }
        (
            samples,
            params.sample_rate.expect("rate"),
            params.channels.as_ref().expect("channels").count(),
            params.bits_per_sample.expect("bits"),
        )
    }

    #[test]
    fn flac_streams_frames_that_decode_to_exactly_the_samples() {
        // A tone under deterministic noise: every predictor the encoder tries has work.
        let mut noise: u32 = 1;
        let signal: Vec<i16> = tone(24_000, 0.7)
            .into_iter()
            .map(|s| {
                noise = noise.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                s.saturating_add(((noise >> 16) % 2001) as i16 - 1000)
            })
            .chain([i16::MAX, i16::MIN, 0])
            .collect();
        assert!(signal.len() > 4 * FLAC_BLOCK && !signal.len().is_multiple_of(FLAC_BLOCK));
        let mut flac = flac(SampleRate::new(24_000).expect("rate")).expect("encoder");
        let mut out = Vec::new();
        flac.encode(&signal[..1], &mut out).expect("encode");
        // fLaC, then the STREAMINFO block, flagged last, of 34 bytes: sent at once.
        assert_eq!(&out[..8], b"fLaC\x80\x00\x00\x22");
        assert_eq!(out.len(), 42);
        assert_eq!(
            &out[8..12],
            [0x10, 0, 0x10, 0],
            "min and max block size 4096"
        );
        flac.encode(&signal[1..FLAC_BLOCK], &mut out)
            .expect("encode");
        assert!(out.len() > 42 + 100, "a full block is a frame sent at once");
        let mut at = FLAC_BLOCK;
        for size in [997, 5000, 3, 4096, 1] {
            flac.encode(&signal[at..at + size], &mut out)
                .expect("encode");
            at += size;
        }
        flac.encode(&signal[at..], &mut out).expect("encode");
        let before_finish = out.len();
        flac.finish(&mut out).expect("finish");
        assert!(out.len() > before_finish, "the short last block at finish");
        let (decoded, rate, channels, bits) = decode_flac(out);
        assert_eq!((rate, channels, bits), (24_000, 1, 16));
        assert_eq!(decoded.len(), signal.len());
        assert!(decoded == signal, "FLAC is lossless");
    }

    #[test]
    fn flac_of_no_audio_is_a_header_alone() {
        let mut flac = flac(SampleRate::new(24_000).expect("rate")).expect("encoder");
        let mut out = Vec::new();
        flac.finish(&mut out).expect("finish");
        assert_eq!(&out[..4], b"fLaC");
        assert_eq!(out.len(), 42);
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
