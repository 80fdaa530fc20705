//! The Qwen-TTS-Realtime engine: a session worker on a thread of its own with a current-thread
//! tokio runtime, plus a small translator that turns its events into engine events and keeps
//! the figures `--timing` prints. Each response is a new audio stream ([`EngineEvent::TaskStarted`]).

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;
use std::time::Instant;

use super::{EngineError, EngineEvent, EngineStats, FragmentSender, Synthesis};
use crate::audio::SampleRate;
use crate::cancel::CancelToken;
use crate::dashscope::qwen::session::{self, QwenEvent, QwenOptions};
use crate::dashscope::qwen::state::Report;

/// Events queued between the session and the sink (about a second of audio).
const QUEUED_EVENTS: usize = 64;

/// Start a session; it connects at once, while the caller starts reading text.
pub fn start(
    options: QwenOptions,
    sample_rate: SampleRate,
    cancel: CancelToken,
) -> Result<Synthesis, EngineError> {
    let started = Instant::now();
    let (command_tx, command_rx) = tokio::sync::mpsc::channel(64);
    let (session_tx, session_rx) = mpsc::sync_channel::<QwenEvent>(QUEUED_EVENTS);
    let (event_tx, event_rx) = mpsc::sync_channel::<EngineEvent>(QUEUED_EVENTS);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|_| EngineError::Gone("qwen"))?;
    thread::Builder::new()
        .name("qwen".into())
        .spawn(move || runtime.block_on(session::run(options, command_rx, session_tx, cancel)))
        .map_err(|_| EngineError::Gone("qwen"))?;
    thread::Builder::new()
        .name("qwen-events".into())
        .spawn(move || translate(&session_rx, &event_tx, started))
        .map_err(|_| EngineError::Gone("qwen"))?;
    Ok(Synthesis {
        fragments: Some(FragmentSender::Remote(command_tx)),
        events: event_rx,
        sample_rate,
    })
}

fn translate(session: &Receiver<QwenEvent>, events: &SyncSender<EngineEvent>, started: Instant) {
    let mut stats = EngineStats::default();
    // Billed since the last end of a piece (one file of `tts convert`).
    let mut piece_characters = 0;
    while let Ok(event) = session.recv() {
        let forward: Vec<EngineEvent> = match event {
            QwenEvent::Connected(after) => {
                stats.connected.get_or_insert(after);
                tracing::debug!(ms = after.as_millis(), "connected");
                Vec::new()
            }
            QwenEvent::Report(Report::SessionStarted { session_id }) => {
                stats.task_started.get_or_insert(started.elapsed());
                tracing::debug!(%session_id, "session started");
                stats.task_ids.push(session_id);
                Vec::new()
            }
            QwenEvent::Report(Report::ResponseStarted { response_id, text }) => {
                tracing::debug!(%response_id, "response started");
                stats.response_ids.push(response_id);
                // Each response's audio is a stream of its own (a WAV header, an Ogg stream).
                let mut out = vec![EngineEvent::TaskStarted];
                out.extend(text.map(EngineEvent::Sentence));
                out
            }
            QwenEvent::Report(Report::ResponseDone {
                response_id,
                characters,
            }) => {
                let characters = characters.unwrap_or(0);
                tracing::debug!(%response_id, characters, "response done");
                stats.characters += characters;
                piece_characters += characters;
                Vec::new()
            }
            QwenEvent::Report(Report::TaskEnded) => vec![EngineEvent::TaskDone {
                characters: std::mem::take(&mut piece_characters),
            }],
            QwenEvent::Audio(bytes) => {
                stats.first_audio.get_or_insert(started.elapsed());
                stats.bytes += bytes.len() as u64;
                vec![EngineEvent::Encoded(bytes)]
            }
            QwenEvent::Done => vec![EngineEvent::Done(stats.clone())],
            QwenEvent::Failed(error) => vec![EngineEvent::Failed(error.into())],
        };
        for event in forward {
            if events.send(event).is_err() {
                return;
            }
        }
    }
}
