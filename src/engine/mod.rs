//! Engines turn text fragments into audio; [`Synthesis`] is the handle every engine gives out.
//!
//! An engine runs on its own thread and talks through two channels: fragments in,
//! [`EngineEvent`]s out. The event channel is bounded, so a slow sink holds the engine back
//! (for the remote engine, all the way to reading the socket).

pub mod cosyvoice;
pub mod espeak_ffi;
pub mod local;
#[cfg(feature = "neural")]
pub mod neural;
pub mod piper;
pub mod qwen;

use std::sync::mpsc::{Receiver, SyncSender};
use std::time::Duration;

use crate::audio::SampleRate;
use crate::session::{self, SessionError};

/// What an engine reports, in order.
#[derive(Debug)]
pub enum EngineEvent {
    /// Mono signed 16-bit samples at [`Synthesis::sample_rate`] (the local engine).
    Pcm(Vec<i16>),
    /// Audio bytes in the format that was asked of the service, as they arrived.
    Encoded(Vec<u8>),
    /// A sentence starts: its audio follows (for `--echo`).
    Sentence(String),
    /// A new service task starts: the word times that follow count from its first audio.
    TaskStarted,
    /// When each word of the sentence being spoken begins (the service's word timestamps).
    Words(Vec<WordTime>),
    /// Everything sent before [`FragmentSender::end_task`] was spoken; the engine goes on.
    TaskDone {
        /// Characters the service billed for it (0 for the offline engine).
        characters: u64,
    },
    /// Every fragment was spoken; nothing follows.
    Done(EngineStats),
    /// Synthesis failed; nothing follows.
    Failed(EngineError),
}

/// Where a word begins, in its sentence's text and in its task's audio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WordTime {
    /// Characters of the sentence before the word.
    pub char_index: usize,
    /// Seconds from the start of the task's audio.
    pub seconds: f64,
}

/// Figures for `--timing`, measured from the engine's start.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngineStats {
    /// The WebSocket was open after this long.
    pub connected: Option<Duration>,
    /// The first task was started after this long.
    pub task_started: Option<Duration>,
    /// The first audio bytes came after this long (the SDK's first-package delay).
    pub first_audio: Option<Duration>,
    /// Audio bytes received.
    pub bytes: u64,
    /// Characters billed, summed over tasks.
    pub characters: u64,
    /// The tasks run, in order (for Qwen-TTS-Realtime, the sessions).
    pub task_ids: Vec<String>,
    /// Qwen-TTS-Realtime: the responses, in order.
    pub response_ids: Vec<String>,
    /// The neural voice's model was loaded after this long.
    pub voice_loaded: Option<Duration>,
    /// Time the neural voice spent making audio (phonemes and the model), all sentences.
    pub synthesis: Option<Duration>,
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
    /// The CosyVoice session failed; the session error (kept as the source) says how.
    #[error("synthesis failed")]
    Session(#[from] SessionError),
    /// ONNX Runtime's library could not be loaded.
    #[error(
        "cannot load ONNX Runtime from {}: {reason}; reinstall it with ./scripts/setup, or use -e espeak",
        path.display()
    )]
    Runtime {
        /// The library.
        path: std::path::PathBuf,
        /// Why.
        reason: String,
    },
    /// A neural voice's model could not be loaded.
    #[error(
        "cannot load the voice model {}: {reason}; reinstall it with ./scripts/setup or remove it",
        path.display()
    )]
    Model {
        /// The `.onnx` file.
        path: std::path::PathBuf,
        /// Why.
        reason: String,
    },
    /// The neural model failed on a sentence.
    #[error("the neural voice failed: {reason}")]
    Neural {
        /// ONNX Runtime's message.
        reason: String,
    },
    /// Resampling espeak-ng's audio to the neural voice's rate failed.
    #[error("the offline engine failed")]
    Resample(#[from] crate::audio::resample::ResampleError),
    /// The engine thread could not start or ended without a word (a bug).
    #[error("the {0} engine stopped unexpectedly")]
    Gone(&'static str),
}

/// What the offline engine's thread takes.
#[derive(Debug)]
pub enum Fragment {
    /// Text to speak.
    Text(String),
    /// The end of a piece: answer with [`EngineEvent::TaskDone`].
    EndTask,
}

/// Where fragments go: the espeak thread or the session worker.
#[derive(Debug, Clone)]
pub enum FragmentSender {
    /// The local engine's thread.
    Local(SyncSender<Fragment>),
    /// The service session's task (CosyVoice or Qwen-TTS-Realtime).
    Remote(tokio::sync::mpsc::Sender<session::Command>),
}

impl FragmentSender {
    /// Queue a fragment, waiting while the queue is full; `false` once the engine is gone.
    pub fn send(&self, text: String) -> bool {
        match self {
            Self::Local(tx) => tx.send(Fragment::Text(text)).is_ok(),
            Self::Remote(tx) => tx.blocking_send(session::Command::Text(text)).is_ok(),
        }
    }

    /// Have the engine speak what it holds back (the service keeps a sentence without final
    /// punctuation); the offline engine holds nothing back.
    pub fn flush(&self) -> bool {
        match self {
            Self::Local(_) => true,
            Self::Remote(tx) => tx.blocking_send(session::Command::Flush).is_ok(),
        }
    }

    /// What was sent so far is one piece (a file): the engine reports
    /// [`EngineEvent::TaskDone`] once it is all spoken, and takes more text after it (for the
    /// service, in a new task on the same connection).
    pub fn end_task(&self) -> bool {
        match self {
            Self::Local(tx) => tx.send(Fragment::EndTask).is_ok(),
            Self::Remote(tx) => tx.blocking_send(session::Command::EndTask).is_ok(),
        }
    }

    /// The input went quiet: the service's task is ended cleanly before its 23 s limit.
    pub fn idle(&self) -> bool {
        match self {
            Self::Local(_) => true,
            Self::Remote(tx) => tx.blocking_send(session::Command::Idle).is_ok(),
        }
    }
}

/// A running synthesis: send fragments, receive events.
pub struct Synthesis {
    fragments: Option<FragmentSender>,
    events: Receiver<EngineEvent>,
    sample_rate: SampleRate,
}

impl Synthesis {
    /// The rate of the audio (samples of [`EngineEvent::Pcm`], or the rate asked of the service).
    pub fn sample_rate(&self) -> SampleRate {
        self.sample_rate
    }

    /// A sender for fragments, for a reader thread; the input ends when every sender is dropped.
    pub fn fragment_sender(&mut self) -> Option<FragmentSender> {
        self.fragments.take()
    }

    /// Set the rate once it is known (see `cosyvoice::start_before_rate`).
    pub fn set_sample_rate(&mut self, rate: SampleRate) {
        self.sample_rate = rate;
    }

    /// The event stream.
    pub fn events(&self) -> &Receiver<EngineEvent> {
        &self.events
    }
}
