//! The remote engine: a CosyVoice session on a thread of its own with a current-thread tokio
//! runtime, plus a small translator that turns session events into engine events and keeps
//! the figures `--timing` prints.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;
use std::time::Instant;

use super::{EngineError, EngineEvent, EngineStats, FragmentSender, Synthesis, WordTime};
use crate::audio::SampleRate;
use crate::cancel::CancelToken;
use crate::session::state::Report;
use crate::session::{self, SessionEvent, SessionOptions};

/// Events queued between the session and the sink (audio frames are small; about a second).
const QUEUED_EVENTS: usize = 64;

/// Start a session; it connects at once, while the caller starts reading text.
/// `sample_rate` is the rate the parameters ask for.
pub fn start(
    options: SessionOptions,
    sample_rate: SampleRate,
    cancel: CancelToken,
) -> Result<Synthesis, EngineError> {
    start_with(options, sample_rate, cancel, None)
}

/// Start a session whose sample rate is not known yet: it connects at once, and asks for a
/// task once the rate is sent on the returned sender (dropping it ends the session). For
/// playback, where the device's rate is known only once it is open: the two overlap.
pub fn start_before_rate(
    options: SessionOptions,
    cancel: CancelToken,
) -> Result<(Synthesis, tokio::sync::oneshot::Sender<u32>), EngineError> {
    let (rate_tx, rate_rx) = tokio::sync::oneshot::channel();
    // A placeholder until the caller sets the rate it sent.
    let placeholder = SampleRate::new(options.parameters.sample_rate.max(1))
        .ok_or(EngineError::Gone("cosyvoice"))?;
    let synthesis = start_with(options, placeholder, cancel, Some(rate_rx))?;
    Ok((synthesis, rate_tx))
}

fn start_with(
    options: SessionOptions,
    sample_rate: SampleRate,
    cancel: CancelToken,
    rate_later: Option<tokio::sync::oneshot::Receiver<u32>>,
) -> Result<Synthesis, EngineError> {
    let started = Instant::now();
    let (command_tx, command_rx) = tokio::sync::mpsc::channel(64);
    let (session_tx, session_rx) = mpsc::sync_channel::<SessionEvent>(QUEUED_EVENTS);
    let (event_tx, event_rx) = mpsc::sync_channel::<EngineEvent>(QUEUED_EVENTS);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|_| EngineError::Gone("cosyvoice"))?;
    thread::Builder::new()
        .name("cosyvoice".into())
        .spawn(move || {
            runtime.block_on(session::run(
                options, command_rx, session_tx, cancel, rate_later,
            ));
        })
        .map_err(|_| EngineError::Gone("cosyvoice"))?;
    thread::Builder::new()
        .name("cosyvoice-events".into())
        .spawn(move || translate(&session_rx, &event_tx, started))
        .map_err(|_| EngineError::Gone("cosyvoice"))?;
    Ok(Synthesis {
        fragments: Some(FragmentSender::Remote(command_tx)),
        events: event_rx,
        sample_rate,
    })
}

fn translate(session: &Receiver<SessionEvent>, events: &SyncSender<EngineEvent>, started: Instant) {
    let mut stats = EngineStats::default();
    let mut task_characters = 0;
    // Billed since the last end of a piece (one file of `tts convert`).
    let mut piece_characters = 0;
    while let Ok(event) = session.recv() {
        let forward = match event {
            SessionEvent::Connected(after) => {
                stats.connected = Some(after);
                tracing::debug!(ms = after.as_millis(), "connected");
                None
            }
            SessionEvent::Report(Report::TaskStarted { task_id }) => {
                stats.task_started.get_or_insert(started.elapsed());
                tracing::debug!(%task_id, "task started");
                stats.task_ids.push(task_id);
                task_characters = 0;
                Some(EngineEvent::TaskStarted)
            }
            SessionEvent::Report(Report::Sentence {
                kind,
                index,
                text,
                words,
            }) => {
                tracing::debug!(%kind, index, text = text.as_deref().unwrap_or(""), "sentence");
                // A sentence's audio follows its sentence-begin; its sentence-end has the
                // final word times.
                match (kind.as_str(), text) {
                    ("sentence-begin", Some(text)) => Some(EngineEvent::Sentence(text)),
                    ("sentence-end", _) if !words.is_empty() => Some(EngineEvent::Words(
                        words
                            .iter()
                            .map(|w| WordTime {
                                char_index: w.begin_index as usize,
                                #[allow(
                                    clippy::cast_precision_loss,
                                    reason = "milliseconds stay far below 2^52"
                                )]
                                seconds: w.begin_time as f64 / 1000.0,
                            })
                            .collect(),
                    )),
                    _ => None,
                }
            }
            SessionEvent::Report(Report::TaskFinished {
                task_id,
                characters,
            }) => {
                // usage.characters is cumulative within a task.
                task_characters = characters.unwrap_or(task_characters);
                stats.characters += task_characters;
                tracing::debug!(%task_id, characters = task_characters, "task finished");
                piece_characters += task_characters;
                None
            }
            SessionEvent::Report(Report::TaskEnded) => Some(EngineEvent::TaskDone {
                characters: std::mem::take(&mut piece_characters),
            }),
            SessionEvent::Audio(bytes) => {
                stats.first_audio.get_or_insert(started.elapsed());
                stats.bytes += bytes.len() as u64;
                Some(EngineEvent::Encoded(bytes))
            }
            SessionEvent::Done => Some(EngineEvent::Done(stats.clone())),
            SessionEvent::Failed(error) => Some(EngineEvent::Failed(error.into())),
        };
        if let Some(event) = forward
            && events.send(event).is_err()
        {
            return;
        }
    }
}
