//! One client connection: the server side of the duplex protocol, task after task.
//!
//! A tokio task per connection; it `select!`s over the client's frames, the engine's replies
//! for the sentence being spoken, and the 23 s no-message deadline. Text is cut into sentences
//! as it arrives; each complete sentence is spoken, encoded and sent while the client may still
//! be sending more.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::synth::{Job, JobEvent, SynthPool};
use super::validate::{self, Refusal, TaskSpec, VOICE_MISMATCH};
use crate::audio::encode::{self, Encoder};
use crate::audio::resample::StreamResampler;
use crate::audio::{f32_to_i16, i16_to_f32};
use crate::engine::espeak_ffi::WordMark;
use crate::text::count;
use crate::text::segment::Segmenter;

/// What every connection shares.
#[derive(Clone)]
pub struct Shared {
    /// The engine thread.
    pub pool: SynthPool,
    /// The service's limit between client messages during a task (23 s).
    pub client_timeout: Duration,
    /// The limit on a connection with no task and no message.
    pub idle_timeout: Duration,
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

/// A task in progress.
struct Task {
    id: String,
    spec: TaskSpec,
    encoder: Box<dyn Encoder>,
    resampler: StreamResampler,
    segmenter: Segmenter,
    queue: VecDeque<String>,
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

/// Serve one connection until the client leaves.
pub async fn serve<S: Io>(mut ws: Socket<S>, shared: Shared, conn: u64) {
    let mut task: Option<Task> = None;
    let mut last_message = tokio::time::Instant::now();
    loop {
        // During a task the client must speak every 23 s; with no task, an idle socket is
        // closed so that silent clients cannot hold descriptors forever.
        let deadline = match &task {
            Some(t) if t.finishing => None,
            Some(_) => Some(last_message + shared.client_timeout),
            None => Some(last_message + shared.idle_timeout),
        };
        let replies = task
            .as_mut()
            .and_then(|t| t.speaking.as_mut())
            .map(|s| &mut s.replies);
        tokio::select! {
            frame = ws.next() => {
                last_message = tokio::time::Instant::now();
                let keep = match frame {
                    Some(Ok(Message::Text(text))) => on_text(&mut ws, &shared, &mut task, text.as_str(), conn).await,
                    Some(Ok(Message::Binary(_))) => {
                        close(&mut ws, CloseCode::Unsupported, "binary frames are not part of this protocol").await;
                        false
                    }
                    Some(Ok(Message::Close(_))) | None => false,
                    Some(Ok(_)) => true,
                    Some(Err(error)) => {
                        tracing::info!(conn, %error, "connection error");
                        close(&mut ws, CloseCode::Policy, "bad frame").await;
                        false
                    }
                };
                if !keep {
                    break;
                }
            }
            event = recv(replies) => {
                if let Some(active) = task.as_mut() {
                    match on_job_event(&mut ws, &shared, active, event).await {
                        Ok(true) => {
                            if let Some(done) = task.take() {
                                log_task(conn, &done);
                            }
                        }
                        Ok(false) => {}
                        Err(refusal) => {
                            let id = active.id.clone();
                            stop(&mut task);
                            if !send_failed(&mut ws, &id, &refusal).await {
                                break;
                            }
                        }
                    }
                }
            }
            () = sleep_until(deadline), if deadline.is_some() => {
                if task.is_none() {
                    tracing::info!(conn, "idle without a task: closed");
                    close(&mut ws, CloseCode::Normal, "idle without a task").await;
                    break;
                }
                let id = task.as_ref().map(|t| t.id.clone()).unwrap_or_default();
                stop(&mut task);
                let refusal = Refusal { code: "CLIENT_ERROR", message: "request timeout after 23 seconds.".into() };
                if !send_failed(&mut ws, &id, &refusal).await {
                    break;
                }
            }
        }
    }
    stop(&mut task);
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
    if let Some(task) = task.take() {
        if let Some(sentence) = task.speaking {
            sentence.cancel.store(true, Ordering::Release);
        }
    }
}

async fn close<S: Io>(ws: &mut Socket<S>, code: CloseCode, reason: &str) {
    let _ = ws
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.to_owned().into(),
        })))
        .await;
}

fn event(task_id: &str, name: &str, payload: Value) -> String {
    json!({"header": {"task_id": task_id, "event": name, "attributes": {}}, "payload": payload})
        .to_string()
}

async fn send<S: Io>(ws: &mut Socket<S>, text: String) -> bool {
    ws.send(Message::text(text)).await.is_ok()
}

async fn send_failed<S: Io>(ws: &mut Socket<S>, task_id: &str, refusal: &Refusal) -> bool {
    let frame = json!({"header": {"task_id": task_id, "event": "task-failed", "error_code": refusal.code,
                                  "error_message": refusal.message, "attributes": {}},
                       "payload": {}});
    send(ws, frame.to_string()).await
}

/// Handle a client text frame; `false` ends the connection.
async fn on_text<S: Io>(
    ws: &mut Socket<S>,
    shared: &Shared,
    task: &mut Option<Task>,
    text: &str,
    conn: u64,
) -> bool {
    let Ok(frame) = serde_json::from_str::<Value>(text) else {
        close(ws, CloseCode::Invalid, "the frame is not JSON").await;
        return false;
    };
    let task_id = frame["header"]["task_id"].as_str().unwrap_or("").to_owned();
    let action = frame["header"]["action"].as_str().unwrap_or("");
    let payload = &frame["payload"];
    let outcome = match action {
        "run-task" => run_task(ws, shared, task, &task_id, payload, conn).await,
        "continue-task" => match task.as_mut() {
            Some(active) => continue_task(ws, shared, active, &payload["input"]).await,
            None => Err(validate_error(
                "continue-task for a task that is not running",
            )),
        },
        "finish-task" => match task.as_mut() {
            Some(active) => {
                let cancel = payload["input"]["directive"] == "cancel";
                match finish_task(ws, shared, active, cancel).await {
                    Ok(true) => {
                        if let Some(done) = task.take() {
                            log_task(conn, &done);
                        }
                        Ok(())
                    }
                    Ok(false) => Ok(()),
                    Err(refusal) => Err(refusal),
                }
            }
            None => Err(validate_error("finish-task for a task that is not running")),
        },
        other => Err(validate_error(&format!("unknown action '{other}'"))),
    };
    match outcome {
        Ok(()) => true,
        Err(refusal) => {
            let id = task.as_ref().map_or(task_id, |t| t.id.clone());
            stop(task);
            send_failed(ws, &id, &refusal).await
        }
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
    task: &mut Option<Task>,
    task_id: &str,
    payload: &Value,
    conn: u64,
) -> Result<(), Refusal> {
    if task.is_some() {
        return Err(validate_error(
            "a task is already running on this connection",
        ));
    }
    let spec = validate::run_task(payload)?;
    if !spec.catalog_voice && !voice_exists(shared, &spec).await {
        return Err(validate_error(VOICE_MISMATCH));
    }
    let server_error = |e: &dyn std::fmt::Display| Refusal {
        code: "SERVER_ERROR",
        message: e.to_string(),
    };
    let encoder =
        encode::encoder(spec.format, spec.rate, spec.bit_rate).map_err(|e| server_error(&e))?;
    let resampler =
        StreamResampler::new(shared.pool.sample_rate(), spec.rate).map_err(|e| server_error(&e))?;
    tracing::debug!(conn, task_id, model = %spec.model, voice = %spec.voice, "task started");
    *task = Some(Task {
        id: task_id.to_owned(),
        spec,
        encoder,
        resampler,
        segmenter: Segmenter::new(),
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
        Err(validate_error("gone"))
    }
}

/// Ask the engine whether a local voice name exists.
async fn voice_exists(shared: &Shared, spec: &TaskSpec) -> bool {
    let (reply, mut replies) = unbounded_channel();
    let job = Job {
        text: String::new(),
        params: spec.local.clone(),
        cancel: Arc::default(),
        reply,
    };
    shared.pool.submit(job) && matches!(replies.recv().await, Some(JobEvent::Done))
}

async fn continue_task<S: Io>(
    ws: &mut Socket<S>,
    shared: &Shared,
    task: &mut Task,
    input: &Value,
) -> Result<(), Refusal> {
    if input["flush"] == true {
        task.queue.extend(task.segmenter.finish());
        return pump(ws, shared, task).await;
    }
    let Some(text) = input["text"].as_str() else {
        return Err(validate_error("Please ensure input text is valid."));
    };
    task.texts += 1;
    if task.spec.ssml && task.texts > 1 {
        return Err(validate_error("Text request limit violated, expected 1."));
    }
    let chars = if task.spec.ssml {
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
    let plain = if task.spec.ssml {
        strip_tags(text)
    } else {
        text.to_owned()
    };
    task.queue.extend(task.segmenter.push(&plain));
    pump(ws, shared, task).await
}

/// SSML is spoken as its text: the tags are dropped.
fn strip_tags(ssml: &str) -> String {
    let mut out = String::with_capacity(ssml.len());
    let mut in_tag = false;
    for c in ssml.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
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
        task.queue.extend(task.segmenter.finish());
        pump(ws, shared, task).await?;
    }
    if task.speaking.is_none() && task.queue.is_empty() {
        complete(ws, task).await?;
        return Ok(true);
    }
    Ok(false)
}

/// Start the next sentence when none is being spoken.
async fn pump<S: Io>(ws: &mut Socket<S>, shared: &Shared, task: &mut Task) -> Result<(), Refusal> {
    if task.speaking.is_some() {
        return Ok(());
    }
    let Some(text) = task.queue.pop_front() else {
        return Ok(());
    };
    let (reply, replies) = unbounded_channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let job = Job {
        text: text.clone(),
        params: task.spec.local.clone(),
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
    let begin = json!({"output": {"type": "sentence-begin", "sentence": {"index": index, "words": []}, "original_text": text}});
    if !send(ws, event(&task.id, "result-generated", begin)).await {
        return Err(validate_error("gone"));
    }
    task.speaking = Some(Sentence {
        text,
        index,
        replies,
        cancel,
        start_ms,
        words: Vec::new(),
    });
    Ok(())
}

/// Handle what the engine says about the current sentence; `Ok(true)` when the task is over.
async fn on_job_event<S: Io>(
    ws: &mut Socket<S>,
    shared: &Shared,
    task: &mut Task,
    event_: JobEvent,
) -> Result<bool, Refusal> {
    let gone = || validate_error("gone");
    match event_ {
        JobEvent::Word(mark) => {
            if let Some(sentence) = task.speaking.as_mut() {
                sentence.words.push(mark);
            }
        }
        JobEvent::Audio(samples) => {
            task.frames += samples.len() as u64;
            let mut floats = Vec::with_capacity(samples.len());
            i16_to_f32(&samples, &mut floats);
            let mut resampled = Vec::new();
            task.resampler
                .process(&floats, &mut resampled)
                .map_err(|e| server_error(&e))?;
            let mut pcm = Vec::with_capacity(resampled.len());
            f32_to_i16(&resampled, &mut pcm);
            let mut bytes = Vec::new();
            task.encoder
                .encode(&pcm, &mut bytes)
                .map_err(|e| server_error(&e))?;
            if !bytes.is_empty() {
                let (index, words) = match &task.speaking {
                    Some(s) => (s.index, words_json(task, s, None)),
                    None => (0, json!([])),
                };
                let payload = json!({"output": {"type": "sentence-synthesis", "sentence": {"index": index, "words": words}}});
                if !send(ws, event(&task.id, "result-generated", payload)).await
                    || ws.send(Message::binary(bytes)).await.is_err()
                {
                    return Err(gone());
                }
                task.first_audio.get_or_insert(task.started.elapsed());
            }
        }
        JobEvent::Done => {
            if let Some(sentence) = task.speaking.take() {
                task.billed += count::billed(&sentence.text);
                let end_ms = task.frames * 1000 / u64::from(task.engine_rate);
                let words = words_json(task, &sentence, Some(end_ms));
                let payload = json!({"output": {"type": "sentence-end", "sentence": {"index": sentence.index, "words": words},
                                                "original_text": sentence.text},
                                     "usage": {"characters": task.billed}});
                if !send(ws, event(&task.id, "result-generated", payload)).await {
                    return Err(gone());
                }
            }
            pump(ws, shared, task).await?;
            if task.finishing && task.speaking.is_none() && task.queue.is_empty() {
                complete(ws, task).await?;
                return Ok(true);
            }
        }
        JobEvent::Failed(message) => {
            tracing::warn!(task = %task.id, %message, "synthesis failed");
            return Err(validate_error(VOICE_MISMATCH));
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
fn words_json(task: &Task, sentence: &Sentence, end_ms: Option<u64>) -> Value {
    if !task.spec.words {
        return json!([]);
    }
    let chars: Vec<char> = sentence.text.chars().collect();
    let words: Vec<Value> = sentence
        .words
        .iter()
        .enumerate()
        .filter_map(|(i, mark)| {
            let begin = sentence.start_ms + u64::from(mark.ms);
            let end = match sentence.words.get(i + 1) {
                Some(next) => sentence.start_ms + u64::from(next.ms),
                None => end_ms?,
            };
            let from = (mark.char_index as usize).min(chars.len());
            let to = (from + mark.chars as usize).min(chars.len());
            Some(json!({"text": chars[from..to].iter().collect::<String>(), "begin_index": from, "end_index": to,
                        "begin_time": begin, "end_time": end.max(begin)}))
        })
        .collect();
    Value::Array(words)
}

/// The last bytes of the encoder, then task-finished.
async fn complete<S: Io>(ws: &mut Socket<S>, task: &mut Task) -> Result<(), Refusal> {
    let mut floats = Vec::new();
    task.resampler
        .finish(&mut floats)
        .map_err(|e| server_error(&e))?;
    let mut pcm = Vec::with_capacity(floats.len());
    f32_to_i16(&floats, &mut pcm);
    let mut tail = Vec::new();
    task.encoder
        .encode(&pcm, &mut tail)
        .map_err(|e| server_error(&e))?;
    task.encoder
        .finish(&mut tail)
        .map_err(|e| server_error(&e))?;
    if !tail.is_empty() && ws.send(Message::binary(tail)).await.is_err() {
        return Err(validate_error("gone"));
    }
    let payload = json!({"output": {}, "usage": {"characters": task.billed}});
    if send(ws, event(&task.id, "task-finished", payload)).await {
        Ok(())
    } else {
        Err(validate_error("gone"))
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
        duration_s = format!("{seconds:.2}"),
        "task finished"
    );
}
