//! Engines turn text fragments into audio; [`Synthesis`] is the handle every engine gives out.
//!
//! An engine runs on its own thread (or task) and talks through two channels: fragments in,
//! [`EngineEvent`]s out. The audio channel is bounded, so a slow sink holds the engine back.

pub mod espeak_ffi;
pub mod local;

use std::sync::mpsc::{Receiver, SyncSender};

use crate::audio::SampleRate;

/// What an engine reports, in order.
#[derive(Debug)]
pub enum EngineEvent {
    /// Mono signed 16-bit samples at [`Synthesis::sample_rate`].
    Pcm(Vec<i16>),
    /// Every fragment was spoken; nothing follows.
    Done,
    /// Synthesis failed; nothing follows.
    Failed(EngineError),
}

/// Why an engine could not start or speak.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The local voice name is unknown to espeak-ng.
    #[error(
        "unknown local voice '{voice}'; try {suggestions} (espeak-ng variants such as en-us+f3 work too)"
    )]
    UnknownVoice {
        /// The name asked for.
        voice: String,
        /// A few valid names, comma-separated.
        suggestions: String,
    },
    /// A `voice+variant` name whose variant espeak-ng does not have.
    #[error(
        "unknown voice variant '{variant}' in '{voice}+{variant}'; try f1 to f5, m1 to m7, klatt or whisper"
    )]
    UnknownVariant {
        /// The variant asked for.
        variant: String,
        /// The voice before the `+`.
        voice: String,
    },
    /// libespeak-ng failed.
    #[error("the offline engine failed")]
    Espeak(#[from] espeak_ffi::EspeakError),
    /// The engine thread ended without a word (a bug).
    #[error("the offline engine stopped unexpectedly")]
    Gone,
}

/// A running synthesis: send fragments, receive events.
pub struct Synthesis {
    fragments: Option<SyncSender<String>>,
    events: Receiver<EngineEvent>,
    sample_rate: SampleRate,
}

impl Synthesis {
    /// The rate of every [`EngineEvent::Pcm`] chunk.
    pub fn sample_rate(&self) -> SampleRate {
        self.sample_rate
    }

    /// A sender for fragments, for a reader thread; the input ends when every sender is dropped.
    pub fn fragment_sender(&mut self) -> Option<SyncSender<String>> {
        self.fragments.take()
    }

    /// The event stream.
    pub fn events(&self) -> &Receiver<EngineEvent> {
        &self.events
    }
}
