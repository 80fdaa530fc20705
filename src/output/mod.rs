//! Sinks: where audio goes. The speakers ([`device`]) or a file or stdout ([`mod@file`]).
//!
//! Every sink takes mono 16-bit PCM at the engine's rate, or the service's encoded bytes, and
//! converts to what it needs.

pub mod decoded;
pub mod device;
pub mod file;
pub mod framing;
pub mod subtitles;

use std::time::{Duration, Instant};

/// What a finished sink reports.
#[derive(Debug, Clone, Default)]
pub struct SinkReport {
    /// Audio written or played, in seconds.
    pub seconds: f64,
    /// Times the device ran dry while playing (players only).
    pub underruns: u64,
    /// When the first sample was handed to the device (players only).
    pub first_audio: Option<Instant>,
    /// How long the device took to play out its buffer at the end (players only).
    pub drain: Duration,
}

/// A destination for audio.
pub trait AudioSink {
    /// Take mono samples at the rate the sink was opened with; may block for backpressure.
    fn write(&mut self, samples: &[i16]) -> Result<(), OutputError>;
    /// Take encoded audio to store unchanged (a file in the service's own format).
    fn write_encoded(&mut self, _bytes: &[u8]) -> Result<(), OutputError> {
        Err(OutputError::NotEncoded)
    }
    /// Nothing arrived for a moment: pass on anything waiting inside (a decoder's output).
    fn poll(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    /// Seconds of audio written so far, where the sink knows (files, for subtitle times).
    fn position(&self) -> Option<f64> {
        None
    }
    /// All audio was written: play or write it out completely.
    fn finish(self: Box<Self>) -> Result<SinkReport, OutputError>;
    /// Stop at once (Ctrl-C): silence the device, leave any file valid.
    fn interrupt(self: Box<Self>) -> Result<SinkReport, OutputError>;
}

/// Why a sink failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// No usable output device; the message names ALSA's reason.
    #[error("no audio output device ({reason}); use -o FILE to write a file instead")]
    NoDevice {
        /// What the audio system said.
        reason: String,
    },
    /// `--device NAME` matched nothing.
    #[error("no output device named '{name}'; available: {available}")]
    UnknownDevice {
        /// The name asked for.
        name: String,
        /// The devices there are.
        available: String,
    },
    /// The device refused the stream or failed while playing.
    #[error("the audio device failed: {reason}; use -o FILE to write a file instead")]
    Device {
        /// What the audio system said.
        reason: String,
    },
    /// `--append` onto a file of another format or rate.
    #[error("cannot append to {path}: it holds {found}, this output is {wanted}{hint}")]
    AppendMismatch {
        /// The existing file.
        path: String,
        /// What the file holds.
        found: String,
        /// What would be written.
        wanted: String,
        /// How to make them agree.
        hint: String,
    },
    /// The output file exists and is read-only: it is not replaced behind the user's back.
    #[error(
        "{path} is read-only; tts does not replace it (as cp would not): remove it, make it writable (chmod u+w), or write elsewhere"
    )]
    ReadOnly {
        /// The file.
        path: String,
    },
    /// Creating, writing or renaming the output file failed.
    #[error("cannot write {path}")]
    Io {
        /// The file (or "standard output").
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The WAV encoder failed.
    #[error("cannot write {path}")]
    Wav {
        /// The file.
        path: String,
        /// hound's error.
        #[source]
        source: hound::Error,
    },
    /// Encoded bytes were given to a sink that takes samples (a bug).
    #[error("this output takes samples, not encoded audio")]
    NotEncoded,
    /// Samples were given to a sink that plays an encoded stream (a bug).
    #[error("this output plays a {format} stream, not samples")]
    NotSamples {
        /// The stream's format.
        format: crate::audio::AudioFormat,
    },
    /// The encoded audio could not be decoded for playing.
    #[error("cannot play the audio the service sent; drop --format to have it send PCM")]
    Decode(#[from] crate::audio::decode::DecodeError),
    /// The reader of standard output went away (`tts ... -o - | head`): not a failure.
    #[error("standard output was closed")]
    BrokenPipe,
    /// The MP3 or Opus encoder failed.
    #[error("cannot encode the audio")]
    Encode(#[from] crate::audio::encode::EncodeError),
    /// Resampling to the output rate failed.
    #[error("cannot convert the audio's sample rate")]
    Resample(#[from] crate::audio::resample::ResampleError),
}
