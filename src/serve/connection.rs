//! One client connection: the server side of the duplex protocol, task after task.
//!
//! A tokio task per connection; it `select!`s over the client's frames, the engine's replies
//! for the sentence being spoken, and the 23 s no-message deadline (or, with no task, the idle
//! limit). Text is cut into sentences as it arrives; each complete sentence is spoken, encoded
//! and sent while the client may still be sending more.
//!
//! Refusals: a frame that belongs to a task fails that task once (task-failed), and later frames
//! of a failed task are ignored; a frame naming another task fails only that task. Frames that
//! cannot be read close the connection with RFC 6455's code, after a task-failed for any task
//! in progress, so no client is left waiting.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::ssml;
use super::synth::{Job, JobEvent, SynthPool};
use super::validate::{self, Refusal, TaskSpec, VOICE_MISMATCH};
use crate::audio::encode::{self, Encoder};
use crate::audio::resample::StreamResampler;
use crate::audio::{f32_to_i16, i16_to_f32};
use crate::engine::espeak_ffi::WordMark;
use crate::engine::local::LocalParams;
use crate::text::count;
use crate::text::markdown::MarkdownFilter;
use crate::text::segment::Segmenter;

/// The refusal message of a client that can no longer be reached.
const GONE: &str = "gone";
/// How many failed task ids a connection remembers, to ignore their later frames.
const FAILED_REMEMBERED: usize = 16;

/// What every connection shares.
#[derive(Clone)]
pub struct Shared {
    /// The engine thread.
    pub pool: SynthPool,
    /// The service's limit between client messages during a task (23 s).
    pub client_timeout: Duration,
    /// The limit on a connection with no task and no message.
    pub idle_timeout: Duration,
    /// Encodings running at once (one per core).
    pub encoders: Arc<tokio::sync::Semaphore>,
    /// Custom voices made through the HTTP API.
    pub voices: super::customization::VoiceStore,
}

/// What a WebSocket can run over: a TCP stream, an upgraded HTTP connection.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Io for T {}

type Socket<S> = WebSocketStream<S>;

/// A sentence being spoken.
struct Sentence {
    text: String,
    index: u32,
    replies: UnboundedReceiver<JobEvent>,
    cancel: Arc<AtomicBool>,
    /// Task audio time (ms) at which it starts.
    start_ms: u64,
    words: Vec<WordMark>,
}

/// Text waiting to be spoken, with its prosody, after an optional pause (SSML `<break>`).
struct Queued {
    pause_ms: u32,
    text: String,
    params: LocalParams,
}

/// A task in progress.
struct Task {
    id: String,
    spec: TaskSpec,
    /// Resampler and encoder; out of the task while a blocking thread runs them.
    codec: Option<Box<Codec>>,
    /// Time spent resampling and encoding, for the log.
    encoding: Duration,
    segmenter: Segmenter,
    /// With `enable_markdown_filter`: the filter and the unfinished line it has not seen.
    markdown: Option<(MarkdownFilter, String)>,
    queue: VecDeque<Queued>,
    speaking: Option<Sentence>,
    next_index: u32,
    /// Billed characters of the text received.
    received: usize,
    /// Billed characters of the sentences spoken (usage.characters).
    billed: usize,
    texts: usize,
    finishing: bool,
    /// Engine-rate frames spoken so far, for word times.
    frames: u64,
    /// The engine's rate.
    engine_rate: u32,
    started: Instant,
    first_audio: Option<Duration>,
}

/// A task's resampler and encoder, which run on the blocking pool, a bounded number at once.
struct Codec {
    resampler: StreamResampler,
    encoder: Box<dyn Encoder>,
}

impl Codec {
    /// Engine-rate samples in, encoded bytes out; with `last`, the encoder's tail too.
    fn run(&mut self, samples: &[i16], last: bool) -> Result<Vec<u8>, Refusal> {
        let mut floats = Vec::with_capacity(samples.len());
        i16_to_f32(samples, &mut floats);
        let mut resampled = Vec::new();
        self.resampler
            .process(&floats, &mut resampled)
            .map_err(|e| server_error(&e))?;
        if last {
            self.resampler
                .finish(&mut resampled)
                .map_err(|e| server_error(&e))?;
        }
        let mut pcm = Vec::with_capacity(resampled.len());
        f32_to_i16(&resampled, &mut pcm);
        let mut bytes = Vec::new();
        self.encoder
            .encode(&pcm, &mut bytes)
            .map_err(|e| server_error(&e))?;
        if last {
            self.encoder
                .finish(&mut bytes)
                .map_err(|e| server_error(&e))?;
        }
        Ok(bytes)
    }
}

/// Resample and encode off the async workers, so that encoding never holds up other
/// connections' frames, handshakes or the accept loop; `Shared::encoders` bounds how many run.
async fn encode(
    shared: &Shared,
    task: &mut Task,
    samples: Vec<i16>,
    last: bool,
) -> Result<Vec<u8>, Refusal> {
    let Some(mut codec) = task.codec.take() else {
        return Err(server_error(&"the encoder was lost"));
    };
    let _permit = shared
        .encoders
        .acquire()
        .await
        .map_err(|e| server_error(&e))?;
    let started = Instant::now();
    let (codec, bytes) = tokio::task::spawn_blocking(move || {
        let bytes = codec.run(&samples, last);
        (codec, bytes)
    })
    .await
    .map_err(|e| server_error(&e))?;
    task.encoding += started.elapsed();
    task.codec = Some(codec);
    bytes
}

/// The connection's state between frames.
struct Room {
    task: Option<Task>,
    /// Tasks that failed: their later frames are ignored.
    failed: VecDeque<String>,
    conn: u64,
}

impl Room {
    fn remember_failed(&mut self, id: &str) {
        if self.failed.len() == FAILED_REMEMBERED {
            self.failed.pop_front();
        }
        self.failed.push_back(id.to_owned());
    }

    /// Fail the running task (once) and forget it; `false` when the client is gone.
    async fn fail_running<S: Io>(&mut self, ws: &mut Socket<S>, refusal: &Refusal) -> bool {
        if refusal.message == GONE {
            // The client stopped reading or left: nothing more can reach it.
            stop(&mut self.task);
            return false;
        }
        let Some(id) = self.task.as_ref().map(|t| t.id.clone()) else {
            return true;
        };
        stop(&mut self.task);
        self.remember_failed(&id);
        tracing::info!(conn = self.conn, task = %id, code = refusal.code, message = %refusal.message, "task failed");
        send_failed(ws, Some(&id), refusal).await
    }

    /// Fail a task that is not the running one; `false` when the client is gone.
    async fn fail_other<S: Io>(&mut self, ws: &mut Socket<S>, id: &str, refusal: &Refusal) -> bool {
        self.remember_failed(id);
        tracing::info!(conn = self.conn, task = %id, code = refusal.code, message = %refusal.message, "task failed");
        send_failed(ws, Some(id), refusal).await
    }
}

/// Serve one connection until the client leaves.
pub async fn serve<S: Io>(mut ws: Socket<S>, shared: Shared, conn: u64) {
    let mut room = Room {
        task: None,
        failed: VecDeque::new(),
        conn,
    };
    let mut last_message = tokio::time::Instant::now();
    loop {
        // During a task the client must speak every 23 s; with no task, an idle socket is
        // closed so that silent clients cannot hold descriptors forever.
        let deadline = match &room.task {
            Some(t) if t.finishing => None,
            Some(_) => Some(last_message + shared.client_timeout),
            None => Some(last_message + shared.idle_timeout),
        };
        let replies = room
            .task
            .as_mut()
            .and_then(|t| t.speaking.as_mut())
            .map(|s| &mut s.replies);
        tokio::select! {
            frame = ws.next() => {
                last_message = tokio::time::Instant::now();
                let keep = match frame {
                    Some(Ok(Message::Text(text))) => on_text(&mut ws, &shared, &mut room, text.as_str()).await,
                    Some(Ok(Message::Binary(_))) => {
                        let refusal = validate_error("Binary frames are not part of this protocol: send JSON text frames.");
                        room.fail_running(&mut ws, &refusal).await;
                        close(&mut ws, CloseCode::Unsupported, "binary frames are not part of this protocol").await;
                        false
                    }
                    Some(Ok(Message::Close(_))) => {
                        // Answer the close handshake (RFC 6455 5.5.1): tungstenite queued the
                        // echo; a flush sends it.
                        stop(&mut room.task);
                        let _ = ws.flush().await;
                        false
                    }
                    None => false,
                    Some(Ok(_)) => true,
                    Some(Err(error)) => {
                        tracing::info!(conn, %error, "unreadable frame");
                        let (code, reason, message) = match &error {
                            WsError::Utf8(_) => (CloseCode::Invalid, "invalid UTF-8",
                                "The request is not valid UTF-8: text frames must be UTF-8."),
                            WsError::Capacity(_) => (CloseCode::Size, "message too big",
                                "The request is over the 1 MiB limit of one message: send the text in several continue-task messages."),
                            _ => (CloseCode::Protocol, "protocol error",
                                "The request broke the WebSocket protocol."),
                        };
                        room.fail_running(&mut ws, &validate_error(message)).await;
                        close(&mut ws, code, reason).await;
                        false
                    }
                };
                if !keep {
                    break;
                }
            }
            event = recv(replies) => {
                if let Some(active) = room.task.as_mut() {
                    match on_job_event(&mut ws, &shared, active, event).await {
                        Ok(true) => {
                            if let Some(done) = room.task.take() {
                                log_task(conn, &done);
                            }
                            // The idle clock starts when the connection becomes idle: a task
                            // that took long to finish speaking must not leave it already expired.
                            last_message = tokio::time::Instant::now();
                        }
                        Ok(false) => {}
                        Err(refusal) => {
                            if !room.fail_running(&mut ws, &refusal).await {
                                break;
                            }
                        }
                    }
                }
            }
            () = sleep_until(deadline), if deadline.is_some() => {
                if room.task.is_none() {
                    tracing::info!(conn, "idle without a task: closed");
                    close(&mut ws, CloseCode::Normal, "idle without a task").await;
                    break;
                }
                let refusal = Refusal { code: "CLIENT_ERROR", message: "request timeout after 23 seconds.".into() };
                if !room.fail_running(&mut ws, &refusal).await {
                    break;
                }
            }
        }
    }
    stop(&mut room.task);
}

async fn recv(replies: Option<&mut UnboundedReceiver<JobEvent>>) -> JobEvent {
    match replies {
        Some(replies) => replies
            .recv()
            .await
            .unwrap_or(JobEvent::Failed("the engine stopped".into())),
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    if let Some(deadline) = deadline {
        tokio::time::sleep_until(deadline).await;
    }
}

/// Cancel whatever the task is speaking and forget it.
fn stop(task: &mut Option<Task>) {
    if let Some(task) = task.take()
        && let Some(sentence) = task.speaking
    {
        sentence.cancel.store(true, Ordering::Release);
    }
}

/// The longest a frame may wait for a client that stops reading: past it the client is gone.
const SEND_STALL: Duration = Duration::from_secs(23);

/// Send one frame; `false` if the client is gone or has not read for [`SEND_STALL`].
async fn send_frame<S: Io>(ws: &mut Socket<S>, message: Message) -> bool {
    matches!(
        tokio::time::timeout(SEND_STALL, ws.send(message)).await,
        Ok(Ok(()))
    )
}

async fn close<S: Io>(ws: &mut Socket<S>, code: CloseCode, reason: &str) {
    let frame = Message::Close(Some(CloseFrame {
        code,
        reason: reason.to_owned().into(),
    }));
    send_frame(ws, frame).await;
}

fn event(task_id: &str, name: &str, payload: Value) -> String {
    json!({"header": {"task_id": task_id, "event": name, "attributes": {}}, "payload": payload})
        .to_string()
}

async fn send<S: Io>(ws: &mut Socket<S>, text: String) -> bool {
    send_frame(ws, Message::text(text)).await
}

/// task-failed in the documented shape; with no task id (the header had none), none is sent.
async fn send_failed<S: Io>(ws: &mut Socket<S>, task_id: Option<&str>, refusal: &Refusal) -> bool {
    let mut header = json!({"event": "task-failed", "error_code": refusal.code,
                            "error_message": refusal.message, "attributes": {}});
    if let Some(id) = task_id {
        header["task_id"] = Value::from(id);
    }
    send(ws, json!({"header": header, "payload": {}}).to_string()).await
}

/// Handle a client text frame; `false` ends the connection.
async fn on_text<S: Io>(ws: &mut Socket<S>, shared: &Shared, room: &mut Room, text: &str) -> bool {
    let frame = match serde_json::from_str::<Value>(text) {
        Ok(frame) => frame,
        Err(error) => {
            // Lone surrogates (\udc80) from Python's surrogateescape land here too.
            let refusal = validate_error(&format!(
                "The request is not valid JSON ({error}): send UTF-8 JSON text."
            ));
            room.fail_running(ws, &refusal).await;
            close(ws, CloseCode::Invalid, "the frame is not JSON").await;
            return false;
        }
    };
    let header = &frame["header"];
    let Some(task_id) = header["task_id"].as_str().filter(|id| !id.is_empty()) else {
        let refusal = validate_error(
            "Missing required parameter 'header.task_id'! It must be a non-empty string naming the task.",
        );
        return send_failed(ws, None, &refusal).await;
    };
    if room.failed.iter().any(|id| id == task_id) {
        // The task failed already and the client was told once.
        return true;
    }
    let action = header["action"].as_str().unwrap_or("");
    let payload = &frame["payload"];
    let running = room.task.as_ref().map(|t| t.id.clone());
    let is_running = running.as_deref() == Some(task_id);
    if action == "run-task" {
        if let Some(running) = running {
            let refusal = validate_error(&format!(
                "A task ({running}) is already running on this connection: start a task after task-finished, or on another connection."
            ));
            if is_running {
                return room.fail_running(ws, &refusal).await;
            }
            return room.fail_other(ws, task_id, &refusal).await;
        }
        return match run_task(ws, shared, room, task_id, payload).await {
            Ok(()) => true,
            Err(refusal) => room.fail_other(ws, task_id, &refusal).await,
        };
    }
    if !matches!(action, "continue-task" | "finish-task") {
        let refusal = validate_error(&format!(
            "Unknown action '{action}': use run-task, continue-task or finish-task."
        ));
        return if is_running {
            room.fail_running(ws, &refusal).await
        } else {
            room.fail_other(ws, task_id, &refusal).await
        };
    }
    if !is_running {
        let refusal = validate_error(&match running {
            Some(running) => {
                format!("{action} for task {task_id}, but the task running is {running}.")
            }
            None => format!("{action} for a task that is not running."),
        });
        return room.fail_other(ws, task_id, &refusal).await;
    }
    let Some(active) = room.task.as_mut() else {
        return true;
    };
    let outcome = if action == "continue-task" {
        continue_task(ws, shared, active, &payload["input"]).await
    } else {
        let cancel = payload["input"]["directive"] == "cancel";
        match finish_task(ws, shared, active, cancel).await {
            Ok(true) => {
                if let Some(done) = room.task.take() {
                    log_task(room.conn, &done);
                }
                Ok(())
            }
            Ok(false) => Ok(()),
            Err(refusal) => Err(refusal),
        }
    };
    match outcome {
        Ok(()) => true,
        Err(refusal) => room.fail_running(ws, &refusal).await,
    }
}

fn validate_error(message: &str) -> Refusal {
    Refusal {
        code: "InvalidParameter",
        message: message.to_owned(),
    }
}

async fn run_task<S: Io>(
    ws: &mut Socket<S>,
    shared: &Shared,
    room: &mut Room,
    task_id: &str,
    payload: &Value,
) -> Result<(), Refusal> {
    let spec = validate::run_task(payload, shared.pool.voices(), |id| shared.voices.lookup(id))?;
    let server_error = |e: &dyn std::fmt::Display| Refusal {
        code: "SERVER_ERROR",
        message: e.to_string(),
    };
    let encoder =
        encode::encoder(spec.format, spec.rate, spec.bit_rate).map_err(|e| server_error(&e))?;
    let resampler =
        StreamResampler::new(shared.pool.sample_rate(), spec.rate).map_err(|e| server_error(&e))?;
    tracing::debug!(conn = room.conn, task_id, model = %spec.model, voice = %spec.voice, "task started");
    let markdown = spec
        .markdown
        .then(|| (MarkdownFilter::new(), String::new()));
    room.task = Some(Task {
        id: task_id.to_owned(),
        spec,
        codec: Some(Box::new(Codec { resampler, encoder })),
        encoding: Duration::ZERO,
        segmenter: Segmenter::new(),
        markdown,
        queue: VecDeque::new(),
        speaking: None,
        next_index: 0,
        received: 0,
        billed: 0,
        texts: 0,
        finishing: false,
        frames: 0,
        engine_rate: shared.pool.sample_rate().get(),
        started: Instant::now(),
        first_audio: None,
    });
    if send(ws, event(task_id, "task-started", json!({}))).await {
        Ok(())
    } else {
        Err(validate_error(GONE))
    }
}

/// A control character other than a line break or tab, with its character position.
fn control_char(text: &str) -> Option<(usize, char)> {
    text.chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

async fn continue_task<S: Io>(
    ws: &mut Socket<S>,
    shared: &Shared,
    task: &mut Task,
    input: &Value,
) -> Result<(), Refusal> {
    if input["flush"] == true {
        let rest = flush_markdown(task);
        push_plain(task, &rest);
        let last = task.segmenter.finish();
        queue_plain(task, last);
        return pump(ws, shared, task).await;
    }
    let Some(text) = input["text"].as_str().filter(|t| !t.is_empty()) else {
        return Err(validate_error("Please ensure input text is valid."));
    };
    if let Some((at, c)) = control_char(text) {
        return Err(validate_error(&format!(
            "Please ensure input text is valid: it holds the control character U+{:04X} at character {at}; remove it.",
            u32::from(c)
        )));
    }
    task.texts += 1;
    if task.spec.ssml && task.texts > 1 {
        return Err(validate_error("Text request limit violated, expected 1."));
    }
    let is_ssml = task.spec.ssml && ssml::is_ssml(text);
    let chars = if is_ssml {
        count::billed_ssml(text)
    } else {
        count::billed(text)
    };
    if chars > count::MAX_PER_MESSAGE {
        return Err(validate_error(&format!(
            "Text length {chars} exceeds the limit of {} characters per request.",
            count::MAX_PER_MESSAGE
        )));
    }
    task.received += chars;
    if task.received > count::MAX_PER_TASK {
        return Err(validate_error(&format!(
            "Text length exceeds the limit of {} characters per task.",
            count::MAX_PER_TASK
        )));
    }
    if is_ssml {
        let pieces =
            ssml::parse(text, &task.spec.local).map_err(|e| validate_error(&e.to_string()))?;
        for piece in pieces {
            let mut segmenter = Segmenter::new();
            let mut sentences = segmenter.push(&piece.text);
            sentences.extend(segmenter.finish());
            let mut pause_ms = piece.pause_ms;
            if sentences.is_empty() && pause_ms > 0 {
                sentences.push(String::new());
            }
            for text in sentences {
                task.queue.push_back(Queued {
                    pause_ms: std::mem::take(&mut pause_ms),
                    text,
                    params: piece.params.clone(),
                });
            }
        }
    } else {
        let plain = match task.markdown.as_mut() {
            Some((filter, pending)) => {
                pending.push_str(text);
                match pending.rfind('\n') {
                    Some(end) => {
                        let lines: String = pending.drain(..=end).collect();
                        lines
                            .split_inclusive('\n')
                            .map(|line| filter.line(line.trim_end_matches(['\n', '\r'])) + "\n")
                            .collect()
                    }
                    None => String::new(),
                }
            }
            None => text.to_owned(),
        };
        push_plain(task, &plain);
    }
    pump(ws, shared, task).await
}

/// The unfinished line the markdown filter holds, filtered.
fn flush_markdown(task: &mut Task) -> String {
    match task.markdown.as_mut() {
        Some((filter, pending)) if !pending.is_empty() => filter.line(&std::mem::take(pending)),
        _ => String::new(),
    }
}

fn push_plain(task: &mut Task, text: &str) {
    let sentences = task.segmenter.push(text);
    for sentence in sentences {
        queue_plain(task, Some(sentence));
    }
}

fn queue_plain(task: &mut Task, sentence: Option<String>) {
    // The fragmenter keeps the white space between sentences; the service reports (and speaks)
    // each sentence without it.
    let text = sentence.as_deref().map(str::trim).unwrap_or_default();
    if !text.is_empty() {
        task.queue.push_back(Queued {
            pause_ms: 0,
            text: text.to_owned(),
            params: task.spec.local.clone(),
        });
    }
}

/// `Ok(true)` when the task is over (task-finished sent).
async fn finish_task<S: Io>(
    ws: &mut Socket<S>,
    shared: &Shared,
    task: &mut Task,
    cancel: bool,
) -> Result<bool, Refusal> {
    task.finishing = true;
    if cancel {
        task.queue.clear();
        if let Some(sentence) = task.speaking.take() {
            sentence.cancel.store(true, Ordering::Release);
        }
    } else {
        let rest = flush_markdown(task);
        push_plain(task, &rest);
        let last = task.segmenter.finish();
        queue_plain(task, last);
        pump(ws, shared, task).await?;
    }
    if task.speaking.is_none() && task.queue.is_empty() {
        complete(ws, shared, task).await?;
        return Ok(true);
    }
    Ok(false)
}

/// Start the next sentence when none is being spoken (pauses are sent as silence on the way).
async fn pump<S: Io>(ws: &mut Socket<S>, shared: &Shared, task: &mut Task) -> Result<(), Refusal> {
    if task.speaking.is_some() {
        return Ok(());
    }
    loop {
        let Some(next) = task.queue.pop_front() else {
            return Ok(());
        };
        if next.pause_ms > 0 {
            let frames = u64::from(task.engine_rate) * u64::from(next.pause_ms) / 1000;
            let silence = vec![0i16; usize::try_from(frames).unwrap_or(0)];
            send_audio(ws, shared, task, silence).await?;
        }
        if next.text.is_empty() {
            continue;
        }
        let (reply, replies) = unbounded_channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let job = Job {
            text: next.text.clone(),
            params: next.params,
            cancel: Arc::clone(&cancel),
            reply,
        };
        if !shared.pool.submit(job) {
            return Err(Refusal {
                code: "SERVER_ERROR",
                message: "the engine stopped".into(),
            });
        }
        let index = task.next_index;
        task.next_index += 1;
        let start_ms = task.frames * 1000 / u64::from(task.engine_rate);
        let begin = json!({"output": {"type": "sentence-begin", "sentence": {"index": index, "words": []}, "original_text": next.text}});
        if !send(ws, event(&task.id, "result-generated", begin)).await {
            return Err(validate_error(GONE));
        }
        task.speaking = Some(Sentence {
            text: next.text,
            index,
            replies,
            cancel,
            start_ms,
            words: Vec::new(),
        });
        return Ok(());
    }
}

/// Resample, encode and send engine-rate audio (with its sentence-synthesis event).
async fn send_audio<S: Io>(
    ws: &mut Socket<S>,
    shared: &Shared,
    task: &mut Task,
    samples: Vec<i16>,
) -> Result<(), Refusal> {
    task.frames += samples.len() as u64;
    let bytes = encode(shared, task, samples, false).await?;
    if !bytes.is_empty() {
        let index = task.speaking.as_ref().map_or(0, |s| s.index);
        // Word times go once, in sentence-end, not again in every audio event.
        let payload = json!({"output": {"type": "sentence-synthesis", "sentence": {"index": index, "words": []}}});
        if !send(ws, event(&task.id, "result-generated", payload)).await
            || !send_frame(ws, Message::binary(bytes)).await
        {
            return Err(validate_error(GONE));
        }
        task.first_audio.get_or_insert(task.started.elapsed());
    }
    Ok(())
}

/// The most engine audio coalesced into one frame (about a second at 22050 Hz).
const MAX_COALESCED: usize = 22_050;

/// Handle what the engine says about the current sentence; `Ok(true)` when the task is over.
async fn on_job_event<S: Io>(
    ws: &mut Socket<S>,
    shared: &Shared,
    task: &mut Task,
    event_: JobEvent,
) -> Result<bool, Refusal> {
    let mut pending = Some(event_);
    while let Some(event_) = pending.take() {
        match event_ {
            JobEvent::Word(mark) => {
                if let Some(sentence) = task.speaking.as_mut() {
                    sentence.words.push(mark);
                }
            }
            JobEvent::Audio(mut samples) => {
                // Audio already waiting goes out in one frame: a connection that fell behind catches
                // up with fewer, larger frames, so its cost follows its audio, not its backlog.
                let mut next = None;
                if let Some(sentence) = task.speaking.as_mut() {
                    while samples.len() < MAX_COALESCED {
                        match sentence.replies.try_recv() {
                            Ok(JobEvent::Audio(more)) => samples.extend_from_slice(&more),
                            Ok(JobEvent::Word(mark)) => sentence.words.push(mark),
                            Ok(other) => {
                                next = Some(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                }
                send_audio(ws, shared, task, samples).await?;
                pending = next;
            }
            JobEvent::Done => {
                if let Some(sentence) = task.speaking.take() {
                    task.billed += count::billed(&sentence.text);
                    let end_ms = task.frames * 1000 / u64::from(task.engine_rate);
                    let words = words_json(task, &sentence, end_ms);
                    let payload = json!({"output": {"type": "sentence-end", "sentence": {"index": sentence.index, "words": words},
                                                "original_text": sentence.text},
                                     "usage": {"characters": task.billed}});
                    if !send(ws, event(&task.id, "result-generated", payload)).await {
                        return Err(validate_error(GONE));
                    }
                }
                pump(ws, shared, task).await?;
                if task.finishing && task.speaking.is_none() && task.queue.is_empty() {
                    complete(ws, shared, task).await?;
                    return Ok(true);
                }
            }
            JobEvent::Failed(message) => {
                tracing::warn!(task = %task.id, %message, "synthesis failed");
                return Err(validate_error(VOICE_MISMATCH));
            }
        }
    }
    Ok(false)
}

fn server_error(e: &dyn std::fmt::Display) -> Refusal {
    Refusal {
        code: "SERVER_ERROR",
        message: e.to_string(),
    }
}

/// Word times, when asked for: each word ends where the next begins (or at `end_ms`).
fn words_json(task: &Task, sentence: &Sentence, end_ms: u64) -> Value {
    if !task.spec.words {
        return json!([]);
    }
    let chars: Vec<char> = sentence.text.chars().collect();
    let words: Vec<Value> = sentence
        .words
        .iter()
        .enumerate()
        .map(|(i, mark)| {
            let begin = sentence.start_ms + u64::from(mark.ms);
            let end = sentence
                .words
                .get(i + 1)
                .map_or(end_ms, |next| sentence.start_ms + u64::from(next.ms));
            let from = (mark.char_index as usize).min(chars.len());
            let to = (from + mark.chars as usize).min(chars.len());
            json!({"text": chars[from..to].iter().collect::<String>(), "begin_index": from, "end_index": to,
                   "begin_time": begin, "end_time": end.max(begin)})
        })
        .collect();
    Value::Array(words)
}

/// The last bytes of the encoder, then task-finished.
async fn complete<S: Io>(
    ws: &mut Socket<S>,
    shared: &Shared,
    task: &mut Task,
) -> Result<(), Refusal> {
    let tail = encode(shared, task, Vec::new(), true).await?;
    if !tail.is_empty() && !send_frame(ws, Message::binary(tail)).await {
        return Err(validate_error(GONE));
    }
    let payload = json!({"output": {}, "usage": {"characters": task.billed}});
    if send(ws, event(&task.id, "task-finished", payload)).await {
        Ok(())
    } else {
        Err(validate_error(GONE))
    }
}

fn log_task(conn: u64, task: &Task) {
    #[allow(
        clippy::cast_precision_loss,
        reason = "frame counts stay far below 2^52"
    )]
    let seconds = task.frames as f64 / f64::from(task.engine_rate);
    tracing::info!(
        conn,
        task = %task.id,
        model = %task.spec.model,
        voice = %task.spec.voice,
        format = %task.spec.format,
        characters = task.billed,
        first_audio_ms = task.first_audio.map(|d| d.as_millis()),
        encoding_ms = task.encoding.as_millis(),
        duration_s = format!("{seconds:.2}"),
        "task finished"
    );
}
