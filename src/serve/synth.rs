//! The engine thread the server shares: one libespeak-ng, and the neural voice when one is
//! installed (loaded once, for every connection), speak sentences in the order they arrive. A connection submits its next sentence only when the previous one
//! is done, so the queue alternates between connections and one busy client never starves the
//! others. Replies go through unbounded channels: the thread never waits on a slow client (a
//! sentence's audio is small), and a client that went away simply stops its job.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;

use tokio::sync::mpsc::UnboundedSender;

use super::voices::VoiceBook;
use crate::audio::SampleRate;
use crate::engine::EngineError;
use crate::engine::espeak_ffi::{Flow, Output, WordMark};
use crate::engine::local::{LocalParams, NeuralParams, NeuralVoice, Speaker};

/// What a job reports.
#[derive(Debug)]
pub enum JobEvent {
    /// A word starts (before the audio it starts in).
    Word(WordMark),
    /// Audio at the pool's rate.
    Audio(Vec<i16>),
    /// The sentence is spoken.
    Done,
    /// espeak failed.
    Failed(String),
}

/// One sentence to speak.
pub struct Job {
    /// The sentence.
    pub text: String,
    /// Voice and prosody.
    pub params: LocalParams,
    /// Set to stop this job early.
    pub cancel: Arc<AtomicBool>,
    /// Where events go.
    pub reply: UnboundedSender<JobEvent>,
}

/// A handle to the shared engine thread.
#[derive(Clone)]
pub struct SynthPool {
    jobs: mpsc::Sender<Job>,
    sample_rate: SampleRate,
    voices: Arc<VoiceBook>,
}

impl SynthPool {
    /// Start the engine thread, with `neural`'s model loaded when given; the audio's rate is
    /// then the voice's (espeak-ng's is resampled to it).
    pub fn start(neural: Option<Box<NeuralParams>>) -> Result<Self, EngineError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        thread::Builder::new()
            .name("espeak".into())
            .spawn(move || {
                let prepared = Speaker::new().and_then(|speaker| {
                    let voice = neural.as_deref().map(NeuralVoice::load).transpose()?;
                    let rate = match &voice {
                        Some(voice) => SampleRate::new(voice.sample_rate())
                            .ok_or(EngineError::Gone("neural"))?,
                        None => speaker.sample_rate(),
                    };
                    Ok((speaker, voice, rate))
                });
                let (mut speaker, mut voice, rate) = match prepared {
                    Ok(prepared) => {
                        let (languages, variants) = prepared.0.voice_names();
                        let _ = ready_tx.send(Ok((prepared.2, languages, variants)));
                        prepared
                    }
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                        return;
                    }
                };
                while let Ok(job) = queue.recv() {
                    let neural = voice.as_mut().filter(|v| prefers_neural(v, &job));
                    match neural {
                        Some(neural) => run_neural(&mut speaker, neural, &job),
                        None => run(&mut speaker, rate, &job),
                    }
                }
            })
            .map_err(|_| EngineError::Gone("offline"))?;
        let (sample_rate, languages, variants) = ready_rx
            .recv()
            .map_err(|_| EngineError::Gone("offline"))??;
        Ok(Self {
            jobs,
            sample_rate,
            voices: Arc::new(VoiceBook::new(languages, variants)),
        })
    }

    /// The voices a client may name.
    pub fn voices(&self) -> &VoiceBook {
        &self.voices
    }

    /// The rate of every audio chunk.
    pub fn sample_rate(&self) -> SampleRate {
        self.sample_rate
    }

    /// Queue a job; `false` if the engine thread is gone.
    pub fn submit(&self, job: Job) -> bool {
        self.jobs.send(job).is_ok()
    }
}

/// The voice mapping prefers the neural voice: a job whose voice is the neural voice by name, or
/// whose text is in the neural voice's language (not mostly Chinese, for an English voice) with
/// an espeak-ng voice of that language or of Chinese (the catalog's voices mostly speak Chinese and
/// English, and map to `cmn`); a voice of another language (`ja`, `de`) stays espeak-ng's.
fn prefers_neural(neural: &NeuralVoice, job: &Job) -> bool {
    let wanted = job.params.voice.as_deref().unwrap_or_default();
    if wanted.eq_ignore_ascii_case(neural.name()) {
        return true;
    }
    let language = wanted.split(['+', '-', '_']).next().unwrap_or_default();
    let bilingual = matches!(language, "cmn" | "yue" | "zh");
    (bilingual || (!language.is_empty() && neural.speaks_language(language)))
        && neural.speaks(&job.text)
}

/// A sentence by the neural voice.
fn run_neural(speaker: &mut Speaker, neural: &mut NeuralVoice, job: &Job) {
    if job.cancel.load(Ordering::Acquire) || job.text.is_empty() {
        let _ = job.reply.send(JobEvent::Done);
        return;
    }
    let spoken = neural.speak(speaker, &job.params, &job.text, &mut |samples| {
        if job.cancel.load(Ordering::Acquire)
            || job.reply.send(JobEvent::Audio(samples.to_vec())).is_err()
        {
            Flow::Stop
        } else {
            Flow::Continue
        }
    });
    let _ = job
        .reply
        .send(spoken.map_or_else(|e| JobEvent::Failed(e.to_string()), |()| JobEvent::Done));
}

fn run(speaker: &mut Speaker, rate: SampleRate, job: &Job) {
    if job.cancel.load(Ordering::Acquire) {
        let _ = job.reply.send(JobEvent::Done);
        return;
    }
    if rate != speaker.sample_rate() {
        // Resampled to the neural voice's rate: audio only, no word marks.
        let spoken = speaker.speak_at(&job.params, &job.text, rate, &mut |samples| {
            if job.cancel.load(Ordering::Acquire)
                || job.reply.send(JobEvent::Audio(samples.to_vec())).is_err()
            {
                Flow::Stop
            } else {
                Flow::Continue
            }
        });
        let _ = job
            .reply
            .send(spoken.map_or_else(|e| JobEvent::Failed(e.to_string()), |()| JobEvent::Done));
        return;
    }
    let spoken = speaker.speak(&job.params, &job.text, &mut |output| {
        if job.cancel.load(Ordering::Acquire) {
            return Flow::Stop;
        }
        let event = match output {
            Output::Word(mark) => JobEvent::Word(mark),
            Output::Audio(samples) => JobEvent::Audio(samples.to_vec()),
        };
        if job.reply.send(event).is_err() {
            Flow::Stop
        } else {
            Flow::Continue
        }
    });
    let _ = job
        .reply
        .send(spoken.map_or_else(|e| JobEvent::Failed(e.to_string()), |()| JobEvent::Done));
}
