//! The engine thread the server shares: one libespeak-ng speaks sentences for every connection
//! in the order they arrive. A connection submits its next sentence only when the previous one
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
use crate::engine::local::{LocalParams, Speaker};

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
    /// Start the engine thread.
    pub fn start() -> Result<Self, EngineError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        thread::Builder::new()
            .name("espeak".into())
            .spawn(move || {
                let mut speaker = match Speaker::new() {
                    Ok(speaker) => {
                        let (languages, variants) = speaker.voice_names();
                        let _ = ready_tx.send(Ok((speaker.sample_rate(), languages, variants)));
                        speaker
                    }
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                        return;
                    }
                };
                while let Ok(job) = queue.recv() {
                    run(&mut speaker, &job);
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

fn run(speaker: &mut Speaker, job: &Job) {
    if job.cancel.load(Ordering::Acquire) {
        let _ = job.reply.send(JobEvent::Done);
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
