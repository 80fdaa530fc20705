//! Streaming decode of MP3, Ogg Opus and WAV bytes into mono samples, as the bytes arrive.
//!
//! Symphonia reads from a blocking reader that a channel feeds, on a thread of its own: probing
//! and decoding never run on the network runtime, and a slow device pushes back through the
//! bounded channels to the socket.

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use symphonia::core::codecs::CodecParameters;
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::codecs::registry::CodecRegistry;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions, ReadOnlySource};
use symphonia::core::meta::MetadataOptions;
use symphonia_adapter_libopus::OpusDecoder;

use super::AudioFormat;

/// Chunks of input in flight to the decode thread; each is one network message.
const INPUT_QUEUE: usize = 64;
/// Decoded blocks in flight back; a block is one MP3 frame or Opus packet (20-60 ms).
const OUTPUT_QUEUE: usize = 16;
/// Demuxer errors in a row after which the stream is taken to be unreadable.
const MAX_BAD_PACKETS: u32 = 64;

/// Why a stream could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The bytes are not the format they were said to be.
    #[error("the {format} stream could not be read")]
    Unreadable {
        /// The format expected.
        format: AudioFormat,
        /// Symphonia's reason.
        #[source]
        source: SymphoniaError,
    },
    /// The container holds no audio track the decoders know.
    #[error("the {format} stream has no audio track that can be decoded")]
    NoTrack {
        /// The format expected.
        format: AudioFormat,
    },
    /// Raw PCM has no container to decode.
    #[error("{format} needs no decoder")]
    NotEncoded {
        /// The format given.
        format: AudioFormat,
    },
    /// The decode thread could not be started or stopped unexpectedly.
    #[error("the audio decoder stopped unexpectedly")]
    Thread(#[source] io::Error),
}

/// A run of decoded audio: mono 16-bit samples at `rate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Sample rate in Hz.
    pub rate: u32,
    /// Mono samples (channels averaged).
    pub samples: Vec<i16>,
}

/// What the decoder reports besides audio.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DecodeSummary {
    /// Frames or packets that could not be decoded and were skipped.
    pub skipped: u64,
    /// Samples produced.
    pub samples: u64,
}

/// Symphonia's decoders with libopus for Opus, which symphonia lacks.
pub(crate) fn codecs() -> &'static CodecRegistry {
    static CODECS: OnceLock<CodecRegistry> = OnceLock::new();
    CODECS.get_or_init(|| {
        let mut registry = CodecRegistry::new();
        symphonia::default::register_enabled_codecs(&mut registry);
        registry.register_audio_decoder::<OpusDecoder>();
        registry
    })
}

/// Decode a whole stream from `reader`, handing each decoded block to `on_block`; stop early
/// when it returns `false`. A corrupt frame is skipped with a warning.
pub fn decode(
    reader: impl Read + Send + Sync + 'static,
    format: AudioFormat,
    mut on_block: impl FnMut(Block) -> bool,
) -> Result<DecodeSummary, DecodeError> {
    let extension = match format {
        AudioFormat::Mp3 => "mp3",
        AudioFormat::Opus => "ogg",
        AudioFormat::Wav => "wav",
        AudioFormat::Pcm => return Err(DecodeError::NotEncoded { format }),
    };
    let mut hint = Hint::new();
    hint.with_extension(extension);
    let source = MediaSourceStream::new(
        Box::new(ReadOnlySource::new(reader)),
        MediaSourceStreamOptions::default(),
    );
    let unreadable = |source| DecodeError::Unreadable { format, source };
    let mut reader = symphonia::default::get_probe()
        .probe(
            &hint,
            source,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(unreadable)?;
    let (track_id, params) = reader
        .default_track(TrackType::Audio)
        .and_then(|track| match &track.codec_params {
            Some(CodecParameters::Audio(params)) => Some((track.id, params.clone())),
            _ => None,
        })
        .ok_or(DecodeError::NoTrack { format })?;
    let mut decoder = codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
        .map_err(unreadable)?;

    let mut summary = DecodeSummary::default();
    let mut interleaved: Vec<f32> = Vec::new();
    let mut bad_in_a_row = 0;
    loop {
        let packet = match reader.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            // A stream cut short (Ctrl-C, a dropped connection) ends where it ends.
            Err(SymphoniaError::IoError(e)) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(SymphoniaError::DecodeError(reason)) if bad_in_a_row < MAX_BAD_PACKETS => {
                bad_in_a_row += 1;
                summary.skipped += 1;
                tracing::warn!(%format, reason, "skipping a corrupt part of the audio stream");
                continue;
            }
            Err(source) => return Err(unreadable(source)),
        };
        bad_in_a_row = 0;
        if packet.track_id != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            Err(SymphoniaError::DecodeError(reason)) => {
                summary.skipped += 1;
                tracing::warn!(%format, reason, "skipping an audio frame that does not decode");
                continue;
            }
            Err(source) => return Err(unreadable(source)),
        };
        if decoded.frames() == 0 {
            continue;
        }
        let rate = decoded.spec().rate();
        let channels = decoded.spec().channels().count().max(1);
        decoded.copy_to_vec_interleaved(&mut interleaved);
        let samples = downmix(&interleaved, channels);
        summary.samples += samples.len() as u64;
        if !on_block(Block { rate, samples }) {
            break;
        }
    }
    Ok(summary)
}

/// Average the channels of interleaved float audio into 16-bit mono.
fn downmix(interleaved: &[f32], channels: usize) -> Vec<i16> {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_precision_loss,
        reason = "clamped to the i16 range; channel counts are tiny"
    )]
    let to_i16 = |v: f32| (v.clamp(-1.0, 1.0) * f32::from(i16::MAX)).round() as i16;
    if channels == 1 {
        return interleaved.iter().copied().map(to_i16).collect();
    }
    #[allow(clippy::cast_precision_loss, reason = "channel counts are tiny")]
    let scale = 1.0 / channels as f32;
    interleaved
        .chunks_exact(channels)
        .map(|frame| to_i16(frame.iter().sum::<f32>() * scale))
        .collect()
}

/// A blocking reader over chunks sent through a channel; the end of input is the sender's drop.
struct ChannelReader {
    // Symphonia wants a `Sync` source; the lock is only ever taken by the decode thread.
    chunks: Mutex<Receiver<Vec<u8>>>,
    current: Vec<u8>,
    offset: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.offset == self.current.len() {
            let chunks = self
                .chunks
                .get_mut()
                .map_err(|_| io::Error::other("the audio input lock was poisoned"))?;
            match chunks.recv() {
                Ok(chunk) => {
                    self.current = chunk;
                    self.offset = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len() - self.offset);
        buf[..n].copy_from_slice(&self.current[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}

/// A decoder on its own thread: bytes go in with [`push`](Self::push), blocks come out of
/// [`try_next`](Self::try_next) and, at the end, [`finish`](Self::finish).
pub struct StreamDecoder {
    input: Option<SyncSender<Vec<u8>>>,
    output: Receiver<Block>,
    thread: Option<JoinHandle<Result<DecodeSummary, DecodeError>>>,
}

impl StreamDecoder {
    /// Start a decoder for a stream of `format`.
    pub fn start(format: AudioFormat) -> Result<Self, DecodeError> {
        if format == AudioFormat::Pcm {
            return Err(DecodeError::NotEncoded { format });
        }
        let (input, chunks) = mpsc::sync_channel(INPUT_QUEUE);
        let (blocks, output) = mpsc::sync_channel(OUTPUT_QUEUE);
        let reader = ChannelReader {
            chunks: Mutex::new(chunks),
            current: Vec::new(),
            offset: 0,
        };
        let thread = thread::Builder::new()
            .name("decoder".into())
            .spawn(move || decode(reader, format, |block| blocks.send(block).is_ok()))
            .map_err(DecodeError::Thread)?;
        Ok(Self {
            input: Some(input),
            output,
            thread: Some(thread),
        })
    }

    /// Queue encoded bytes, waiting while the decoder is behind. Blocks the decoder finishes
    /// meanwhile are moved to `ready` (it may be waiting for its output to be taken, which
    /// would otherwise deadlock the two). Bytes sent after the decoder has stopped (an
    /// unreadable stream) are dropped: [`finish`](Self::finish) reports why.
    pub fn push(&self, bytes: Vec<u8>, ready: &mut Vec<Block>) {
        let Some(input) = &self.input else {
            return;
        };
        let mut bytes = bytes;
        loop {
            match input.try_send(bytes) {
                Ok(()) | Err(TrySendError::Disconnected(_)) => return,
                Err(TrySendError::Full(back)) => {
                    bytes = back;
                    match self.output.recv_timeout(Duration::from_millis(5)) {
                        Ok(block) => ready.push(block),
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            }
        }
    }

    /// A decoded block, if one is ready.
    pub fn try_next(&self) -> Option<Block> {
        self.output.try_recv().ok()
    }

    /// End the input, and hand over every block still to come.
    pub fn finish(
        mut self,
        mut on_block: impl FnMut(Block) -> bool,
    ) -> Result<DecodeSummary, DecodeError> {
        self.input = None;
        for block in &self.output {
            if !on_block(block) {
                break;
            }
        }
        self.join()
    }

    fn join(&mut self) -> Result<DecodeSummary, DecodeError> {
        // With its output gone, a decoder waiting to hand over a block stops.
        let (_, closed) = mpsc::sync_channel(0);
        drop(std::mem::replace(&mut self.output, closed));
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(DecodeError::Thread(io::Error::other("it panicked"))),
            None => Ok(DecodeSummary::default()),
        }
    }
}

impl Drop for StreamDecoder {
    fn drop(&mut self) {
        // With its input ended and its output gone the thread ends on its own; not waited for.
        self.input = None;
        let (_, closed) = mpsc::sync_channel(0);
        drop(std::mem::replace(&mut self.output, closed));
    }
}

#[cfg(test)]
mod tests;
