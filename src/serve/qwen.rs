//! The Qwen-TTS-Realtime room of `tts serve` (`/api-ws/v1/realtime?model=…`): the server side of
//! the realtime protocol, spoken by the shared offline engine.
//!
//! One task per connection, one session per connection. It `select!`s over the client's events
//! and the engine's replies for the sentence being spoken. `session.created` goes out at once;
//! each segment (a sentence in `server_commit` mode, a commit in `commit` mode) is one
//! `response.*` cycle whose audio is a stream of its own in the requested format and rate
//! (a WAV header, an Ogg stream), base64 in `response.audio.delta`. Nothing a client sends can
//! stop the room: bad events get `error` events, and every buffer and wait is bounded.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::connection::Shared;
use super::synth::{Job, JobEvent};
use crate::audio::encode::{self, Encoder};
use crate::audio::resample::StreamResampler;
use crate::audio::{AudioFormat, SampleRate, f32_to_i16, i16_to_f32};
use crate::catalog;
use crate::dashscope::qwen::{self, Family};
use crate::engine::local::LocalParams;
use crate::text::count;
use crate::text::segment::Segmenter;

/// The path the room is served at.
pub const PATH: &str = crate::dashscope::endpoints::REALTIME_PATH;
/// Text one session may hold unspoken (billed characters).
const MAX_BUFFERED: usize = count::MAX_PER_TASK;
/// How long the room waits for the client's close after `session.finished`.
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// The documented message of an update once speech has begun.
pub const UPDATE_REFUSED: &str =
    "Session update error: session already started or finished or failed.";
/// The documented message of `clear` in `server_commit` mode.
pub const CLEAR_REFUSED: &str = "only client commit mode supports clear operation";

/// The session's effective settings.
#[derive(Debug, Clone)]
struct Settings {
    voice: String,
    mode: &'static str,
    format: AudioFormat,
    rate: u32,
    bit_rate: Option<u32>,
    local: LocalParams,
    /// Every option the client set, echoed in `session.updated`.
    echoed: Map<String, Value>,
}

/// A segment: one response.
struct Segment {
    text: String,
    sentences: VecDeque<String>,
}

/// The response being spoken.
struct Response {
    id: String,
    item_id: String,
    text: String,
    sentences: VecDeque<String>,
    encoder: Box<dyn Encoder>,
    resampler: StreamResampler,
    replies: Option<UnboundedReceiver<JobEvent>>,
    cancel: Arc<AtomicBool>,
}

impl Response {
    fn ids(&self) -> (String, String) {
        (self.id.clone(), self.item_id.clone())
    }
}

struct Room<S> {
    ws: WebSocketStream<S>,
    shared: Shared,
    conn: u64,
    session_id: String,
    model: String,
    family: Option<Family>,
    settings: Settings,
    segmenter: Segmenter,
    /// Text appended and not yet spoken or segmented (commit mode: the whole buffer).
    buffer: String,
    buffered: usize,
    queue: VecDeque<Segment>,
    speaking: Option<Response>,
    started: bool,
    finishing: bool,
    responses: u64,
    billed: u64,
}

fn id(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..20]
    )
}

/// The model named in a realtime upgrade's query; the reason when there is none fit to use.
pub fn model_from_query(query: Option<&str>) -> Result<String, &'static str> {
    query
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("model="))
        .filter(|m| !m.is_empty() && m.len() <= 128)
        .filter(|m| {
            m.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        })
        .map(str::to_owned)
        .ok_or("the model goes in the query: /api-ws/v1/realtime?model=qwen3-tts-flash-realtime")
}

/// Serve one Qwen-TTS-Realtime connection for `model` (from the query) until it ends.
pub async fn serve<S>(ws: WebSocketStream<S>, shared: Shared, conn: u64, model: String)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let family = qwen::family(&model);
    let voice = match family {
        Some(Family::Clone | Family::Design) => String::new(),
        _ => qwen::DEFAULT_VOICE.to_owned(),
    };
    let local = local_params(&voice, None, &Map::new());
    let mut room = Room {
        ws,
        shared,
        conn,
        session_id: id("sess"),
        model,
        family,
        settings: Settings {
            voice,
            mode: "server_commit",
            format: AudioFormat::Pcm,
            rate: 24_000,
            bit_rate: None,
            local,
            echoed: Map::new(),
        },
        segmenter: Segmenter::new(),
        buffer: String::new(),
        buffered: 0,
        queue: VecDeque::new(),
        speaking: None,
        started: false,
        finishing: false,
        responses: 0,
        billed: 0,
    };
    room.run().await;
}

impl<S> Room<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    async fn run(&mut self) {
        let created = json!({"type": "session.created", "session": self.session_json()});
        if !self.send(created).await {
            return;
        }
        if self.family.is_none() {
            let message = format!(
                "Model not found: '{}' is not a Qwen-TTS-Realtime model (use qwen3-tts-flash-realtime)",
                self.model
            );
            self.error("invalid_value", &message, Some("model"), None)
                .await;
            self.close(CloseCode::Policy, "unknown model").await;
            return;
        }
        tracing::info!(conn = self.conn, session = %self.session_id, model = %self.model, "realtime session opened");
        let mut last_message = tokio::time::Instant::now();
        loop {
            let idle = self.speaking.is_none() && self.queue.is_empty();
            let deadline = idle.then_some(last_message + self.shared.idle_timeout);
            let replies = self.speaking.as_mut().and_then(|r| r.replies.as_mut());
            tokio::select! {
                frame = self.ws.next() => {
                    last_message = tokio::time::Instant::now();
                    let keep = match frame {
                        Some(Ok(Message::Text(text))) => self.on_text(text.as_str()).await,
                        Some(Ok(Message::Binary(_))) => {
                            self.error("invalid_request_error", "binary frames are not part of this protocol: send JSON text events", None, None).await
                        }
                        Some(Ok(Message::Close(_))) | None => false,
                        Some(Ok(_)) => true,
                        Some(Err(error)) => {
                            tracing::info!(conn = self.conn, %error, "connection error");
                            false
                        }
                    };
                    if !keep {
                        break;
                    }
                }
                event = recv(replies) => {
                    if !self.on_job_event(event).await {
                        break;
                    }
                    if self.finished() {
                        self.end().await;
                        break;
                    }
                }
                () = sleep_until(deadline), if deadline.is_some() => {
                    let message = format!(
                        "no client event for {} s; the session is closed",
                        self.shared.idle_timeout.as_secs()
                    );
                    self.error("timeout", &message, None, None).await;
                    self.close(CloseCode::Normal, "idle").await;
                    break;
                }
            }
        }
        self.stop();
        tracing::info!(conn = self.conn, session = %self.session_id, responses = self.responses, characters = self.billed, "realtime session closed");
    }

    fn finished(&self) -> bool {
        self.finishing && self.speaking.is_none() && self.queue.is_empty()
    }

    /// `session.finished`, then close.
    async fn end(&mut self) {
        if !self.send(json!({"type": "session.finished"})).await {
            return;
        }
        self.close(CloseCode::Normal, "").await;
        let drain = async { while let Some(Ok(_)) = self.ws.next().await {} };
        let _ = tokio::time::timeout(CLOSE_GRACE, drain).await;
    }

    fn stop(&mut self) {
        if let Some(response) = self.speaking.take() {
            response.cancel.store(true, Ordering::Release);
        }
        self.queue.clear();
    }

    fn session_json(&self) -> Value {
        let mut session = Map::new();
        session.insert("id".into(), json!(self.session_id));
        session.insert("object".into(), json!("realtime.session"));
        session.insert("model".into(), json!(self.model));
        session.insert("voice".into(), json!(self.settings.voice));
        session.insert("mode".into(), json!(self.settings.mode));
        session.insert("response_format".into(), json!(self.settings.format.name()));
        session.insert("sample_rate".into(), json!(self.settings.rate));
        for (key, value) in &self.settings.echoed {
            session.entry(key.clone()).or_insert_with(|| value.clone());
        }
        Value::Object(session)
    }

    async fn send(&mut self, mut event: Value) -> bool {
        if let Some(object) = event.as_object_mut() {
            object.insert("event_id".into(), json!(id("event")));
        }
        self.ws.send(Message::text(event.to_string())).await.is_ok()
    }

    /// An `error` event (the richer documented shape); `true` while the connection lives.
    async fn error(
        &mut self,
        code: &str,
        message: &str,
        param: Option<&str>,
        event_id: Option<&str>,
    ) -> bool {
        tracing::info!(conn = self.conn, session = %self.session_id, code, message, "refused");
        let mut error = json!({"type": "invalid_request_error", "code": code, "message": message});
        if let Some(param) = param {
            error["param"] = json!(param);
        }
        if let Some(event_id) = event_id {
            error["event_id"] = json!(event_id);
        }
        self.send(json!({"type": "error", "error": error})).await
    }

    async fn close(&mut self, code: CloseCode, reason: &str) {
        let frame = CloseFrame {
            code,
            reason: reason.to_owned().into(),
        };
        let _ = self.ws.send(Message::Close(Some(frame))).await;
    }

    /// Handle a client text frame; `false` ends the connection.
    async fn on_text(&mut self, text: &str) -> bool {
        let Ok(event) = serde_json::from_str::<Value>(text) else {
            return self
                .error("invalid_request_error", "the event is not JSON", None, None)
                .await;
        };
        let event_id = event["event_id"].as_str().map(str::to_owned);
        let event_id = event_id.as_deref();
        let kind = event["type"].as_str().unwrap_or("");
        if self.finishing && kind != "response.cancel" {
            return self
                .error(
                    "invalid_value",
                    "the session is finishing: no more events are taken",
                    None,
                    event_id,
                )
                .await;
        }
        match kind {
            "session.update" => self.update(&event["session"], event_id).await,
            "input_text_buffer.append" => match event["text"].as_str() {
                Some(text) => self.append(text, event_id).await,
                None => {
                    self.error(
                        "invalid_value",
                        "input_text_buffer.append needs a string 'text'",
                        Some("text"),
                        event_id,
                    )
                    .await
                }
            },
            "input_text_buffer.commit" => self.commit(event_id).await,
            "input_text_buffer.clear" => {
                if self.settings.mode == "server_commit" {
                    self.error("invalid_value", CLEAR_REFUSED, None, event_id)
                        .await
                } else {
                    self.buffer.clear();
                    self.buffered = self.queued_chars();
                    self.send(json!({"type": "input_text_buffer.cleared"}))
                        .await
                }
            }
            "response.cancel" => self.cancel(event_id).await,
            "session.finish" => {
                self.finishing = true;
                let rest = std::mem::take(&mut self.buffer);
                let mut sentences: VecDeque<String> = self.segmenter.push(&rest).into();
                sentences.extend(self.segmenter.finish());
                if self.settings.mode == "commit" {
                    self.enqueue_one(sentences);
                } else {
                    for sentence in sentences {
                        self.enqueue_one(VecDeque::from([sentence]));
                    }
                }
                if !self.pump().await {
                    return false;
                }
                if self.finished() {
                    self.end().await;
                    return false;
                }
                true
            }
            "" => {
                self.error(
                    "invalid_request_error",
                    "the event has no 'type'",
                    Some("type"),
                    event_id,
                )
                .await
            }
            other => {
                let message = format!("unknown type {other}");
                self.error("invalid_value", &message, Some("type"), event_id)
                    .await
            }
        }
    }

    fn queued_chars(&self) -> usize {
        self.queue.iter().map(|s| count::billed(&s.text)).sum()
    }

    async fn update(&mut self, session: &Value, event_id: Option<&str>) -> bool {
        if self.started {
            return self
                .error("invalid_value", UPDATE_REFUSED, None, event_id)
                .await;
        }
        let Some(fields) = session.as_object() else {
            return self
                .error(
                    "invalid_value",
                    "session.update needs a 'session' object",
                    Some("session"),
                    event_id,
                )
                .await;
        };
        match self.validate(fields) {
            Ok(settings) => {
                self.settings = settings;
                let updated = json!({"type": "session.updated", "session": self.session_json()});
                self.send(updated).await
            }
            Err((param, message)) => {
                self.error("invalid_value", &message, Some(&param), event_id)
                    .await
            }
        }
    }

    /// The settings `fields` ask for, or the offending field and why.
    fn validate(&self, fields: &Map<String, Value>) -> Result<Settings, (String, String)> {
        let bad = |key: &str, why: String| (format!("session.{key}"), why);
        let family = self.family.unwrap_or(Family::Flash);
        let mut echoed = self.settings.echoed.clone();
        let voice = match fields.get("voice") {
            None => self.settings.voice.clone(),
            Some(Value::String(voice)) if voice.len() <= 256 => voice.clone(),
            Some(_) => return Err(bad("voice", "voice must be a string".into())),
        };
        let entry = catalog::find(&voice);
        let catalog_model =
            qwen::catalog_model(&self.model).filter(|_| family.takes_system_voices());
        match catalog_model {
            Some(model) if !entry.is_some_and(|v| v.models.contains(&model)) => {
                return Err(bad(
                    "voice",
                    format!(
                        "Invalid value for voice: '{voice}' is not a voice of {}",
                        self.model
                    ),
                ));
            }
            None if voice.is_empty() => {
                return Err(bad(
                    "voice",
                    format!("{} needs a custom voice id", self.model),
                ));
            }
            None if entry.is_some() => {
                return Err(bad(
                    "voice",
                    format!(
                        "Invalid value for voice: {} takes only voices made for it, not the system voice '{voice}'",
                        self.model
                    ),
                ));
            }
            _ => {}
        }
        // A cloned or designed voice: one made through the customization API for this model.
        let custom = if matches!(self.family, Some(Family::Clone | Family::Design)) {
            let found = self
                .shared
                .voices
                .lookup(&voice)
                .filter(|found| found.target_model == self.model)
                .ok_or_else(|| {
                    bad(
                        "voice",
                        format!(
                            "Invalid value for voice: '{voice}' is not a voice made for {}",
                            self.model
                        ),
                    )
                })?;
            if !found.ready {
                return Err(bad(
                    "voice",
                    "the voice is not ready yet (DEPLOYING); query it until its status is OK"
                        .into(),
                ));
            }
            Some(found.local)
        } else {
            None
        };
        let mode = match fields.get("mode").and_then(Value::as_str) {
            None if !fields.contains_key("mode") => self.settings.mode,
            Some("server_commit") => "server_commit",
            Some("commit") => "commit",
            _ => return Err(bad("mode", "mode must be server_commit or commit".into())),
        };
        let format = match fields.get("response_format") {
            None => self.settings.format,
            Some(value) => match value.as_str().and_then(AudioFormat::from_name) {
                Some(format) => format,
                None => {
                    return Err(bad(
                        "response_format",
                        "response_format must be pcm, wav, mp3 or opus".into(),
                    ));
                }
            },
        };
        let rate = match fields.get("sample_rate") {
            None => self.settings.rate,
            Some(value) => match value.as_u64().and_then(|r| u32::try_from(r).ok()) {
                Some(rate) => rate,
                None => {
                    return Err(bad(
                        "sample_rate",
                        "sample_rate must be a whole number".into(),
                    ));
                }
            },
        };
        let rates: &[u32] = if format == AudioFormat::Opus {
            &qwen::RATES
        } else {
            &[8000, 16000, 22050, 24000, 44100, 48000]
        };
        if !rates.contains(&rate) {
            return Err(bad(
                "sample_rate",
                format!("sample_rate {rate} is not offered for {format}"),
            ));
        }
        if family == Family::Legacy && (format != AudioFormat::Pcm || rate != 24_000) {
            return Err(bad(
                "response_format",
                format!("{} sends only pcm at 24000 Hz", self.model),
            ));
        }
        let ranged = |key: &str, min: f64, max: f64| -> Result<Option<f64>, (String, String)> {
            match fields.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(value) => match value.as_f64() {
                    Some(x) if (min..=max).contains(&x) => Ok(Some(x)),
                    _ => Err(bad(
                        key,
                        format!("{key} must be a number from {min} to {max}"),
                    )),
                },
            }
        };
        // Checked here; the prosody reaches the engine through `local_params` below.
        ranged("speech_rate", 0.5, 2.0)?;
        ranged("pitch_rate", 0.5, 2.0)?;
        ranged("volume", 0.0, 100.0)?;
        ranged("bit_rate", 6.0, 510.0)?;
        if let Some(language) = fields.get("language_type") {
            let known = [
                "Auto",
                "Chinese",
                "English",
                "German",
                "Italian",
                "Portuguese",
                "Spanish",
                "Japanese",
                "Korean",
                "French",
                "Russian",
            ];
            if !language.as_str().is_some_and(|l| known.contains(&l)) {
                return Err(bad(
                    "language_type",
                    format!("language_type must be one of {}", known.join(", ")),
                ));
            }
        }
        for key in ["enable_tn", "optimize_instructions"] {
            if fields.get(key).is_some_and(|v| !v.is_boolean()) {
                return Err(bad(key, format!("{key} must be true or false")));
            }
        }
        if fields.get("instructions").is_some_and(|v| !v.is_string()) {
            return Err(bad("instructions", "instructions must be a string".into()));
        }
        // Known options are echoed back; unknown keys are ignored, as the service does.
        for key in [
            "speech_rate",
            "pitch_rate",
            "volume",
            "bit_rate",
            "language_type",
            "enable_tn",
            "instructions",
            "optimize_instructions",
        ] {
            if let Some(value) = fields.get(key) {
                echoed.insert(key.to_owned(), value.clone());
            }
        }
        // Options set by an earlier update stay set.
        let local = local_params(
            &voice,
            echoed.get("language_type").and_then(Value::as_str),
            &echoed,
        );
        // A custom voice speaks in the offline voice it was given, with the asked prosody.
        let local = match &custom {
            Some(custom) => custom.params(&local),
            None => local,
        };
        let bit_rate = echoed.get("bit_rate").and_then(Value::as_f64);
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "range-checked above"
        )]
        let bit_rate = bit_rate.map(|b| b as u32);
        Ok(Settings {
            voice,
            mode,
            format,
            rate,
            bit_rate,
            local,
            echoed,
        })
    }

    async fn append(&mut self, text: &str, event_id: Option<&str>) -> bool {
        let chars = count::billed(text);
        if chars > count::MAX_PER_MESSAGE || self.buffered + chars > MAX_BUFFERED {
            let message = format!(
                "the text buffer holds at most {MAX_BUFFERED} characters ({} per append): commit or wait for speech first",
                count::MAX_PER_MESSAGE
            );
            return self
                .error("invalid_value", &message, Some("text"), event_id)
                .await;
        }
        self.buffered += chars;
        if self.settings.mode == "commit" {
            self.buffer.push_str(text);
            return true;
        }
        for sentence in self.segmenter.push(text) {
            self.enqueue_one(VecDeque::from([sentence]));
        }
        self.pump().await
    }

    async fn commit(&mut self, event_id: Option<&str>) -> bool {
        if self.settings.mode == "commit" {
            if self.buffer.trim().is_empty() {
                return self
                    .error(
                        "invalid_value",
                        "Error committing input text buffer: the buffer is empty",
                        None,
                        event_id,
                    )
                    .await;
            }
            let text = std::mem::take(&mut self.buffer);
            let mut sentences: VecDeque<String> = self.segmenter.push(&text).into();
            sentences.extend(self.segmenter.finish());
            if !self
                .send(json!({"type": "input_text_buffer.committed", "item_id": ""}))
                .await
            {
                return false;
            }
            self.enqueue_one(sentences);
        } else {
            // Speak what the server held back (a sentence without its end).
            if !self
                .send(json!({"type": "input_text_buffer.committed", "item_id": ""}))
                .await
            {
                return false;
            }
            if let Some(rest) = self.segmenter.finish() {
                self.enqueue_one(VecDeque::from([rest]));
            }
        }
        self.pump().await
    }

    fn enqueue_one(&mut self, sentences: VecDeque<String>) {
        // The fragmenter keeps the white space between sentences; a sentence is spoken, and
        // billed, without it (as the CosyVoice room reports its sentences).
        let sentences: VecDeque<String> = sentences
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if sentences.is_empty() {
            return;
        }
        let text = sentences.iter().map(String::as_str).collect();
        self.queue.push_back(Segment { text, sentences });
    }

    async fn cancel(&mut self, event_id: Option<&str>) -> bool {
        let Some(response) = self.speaking.take() else {
            return self
                .error(
                    "invalid_value",
                    "there is no response in progress to cancel",
                    None,
                    event_id,
                )
                .await;
        };
        response.cancel.store(true, Ordering::Release);
        self.buffered = self.buffered.saturating_sub(count::billed(&response.text));
        if !self.close_response(response.ids(), 0, "cancelled").await {
            return false;
        }
        if !self.pump().await {
            return false;
        }
        if self.finished() {
            self.end().await;
            return false;
        }
        true
    }

    /// Start the next response when none is being spoken.
    async fn pump(&mut self) -> bool {
        if self.speaking.is_some() {
            return true;
        }
        let Some(mut segment) = self.queue.pop_front() else {
            return true;
        };
        let rate = SampleRate::new(self.settings.rate);
        let encoder =
            rate.map(|rate| encode::encoder(self.settings.format, rate, self.settings.bit_rate));
        let resampler = rate.map(|rate| StreamResampler::new(self.shared.pool.sample_rate(), rate));
        let (Some(Ok(encoder)), Some(Ok(resampler))) = (encoder, resampler) else {
            return self
                .error("server_error", "the encoder could not start", None, None)
                .await;
        };
        self.started = true;
        self.responses += 1;
        let response_id = id("resp");
        let item_id = id("item");
        let created = json!({"type": "response.created", "response": {
            "id": response_id, "object": "realtime.response", "conversation_id": "", "status": "in_progress",
            "modalities": ["text", "audio"], "voice": self.settings.voice, "output": []}});
        let added = json!({"type": "response.output_item.added", "response_id": response_id, "output_index": 0,
            "item": {"id": item_id, "object": "realtime.item", "type": "message", "status": "in_progress", "role": "assistant", "content": []}});
        let part = json!({"type": "response.content_part.added", "response_id": response_id, "item_id": item_id,
            "output_index": 0, "content_index": 0, "part": {"type": "audio", "text": ""}});
        if !(self.send(created).await && self.send(added).await && self.send(part).await) {
            return false;
        }
        let first = segment.sentences.pop_front().unwrap_or_default();
        let mut response = Response {
            id: response_id,
            item_id,
            text: segment.text,
            sentences: segment.sentences,
            encoder,
            resampler,
            replies: None,
            cancel: Arc::new(AtomicBool::new(false)),
        };
        if !self.speak(&mut response, first) {
            return self
                .error("server_error", "the engine stopped", None, None)
                .await;
        }
        self.speaking = Some(response);
        true
    }

    /// Submit one sentence of the response to the shared engine.
    fn speak(&self, response: &mut Response, sentence: String) -> bool {
        let (reply, replies) = unbounded_channel();
        let job = Job {
            text: sentence,
            params: self.settings.local.clone(),
            cancel: Arc::clone(&response.cancel),
            reply,
        };
        response.replies = Some(replies);
        self.shared.pool.submit(job)
    }

    /// Handle what the engine says; `false` ends the connection.
    async fn on_job_event(&mut self, event: JobEvent) -> bool {
        let Some(mut response) = self.speaking.take() else {
            return true;
        };
        match event {
            JobEvent::Word(_) => {}
            JobEvent::Audio(samples) => {
                let mut bytes = Vec::new();
                if encode_into(&mut response, &samples, &mut bytes).is_err() {
                    return self
                        .error("server_error", "encoding failed", None, None)
                        .await;
                }
                if !bytes.is_empty() && !self.delta(response.ids(), &bytes).await {
                    return false;
                }
            }
            JobEvent::Done => {
                if let Some(next) = response.sentences.pop_front() {
                    if !self.speak(&mut response, next) {
                        return self
                            .error("server_error", "the engine stopped", None, None)
                            .await;
                    }
                } else {
                    let mut tail = Vec::new();
                    if finish_into(&mut response, &mut tail).is_err() {
                        return self
                            .error("server_error", "encoding failed", None, None)
                            .await;
                    }
                    if !tail.is_empty() && !self.delta(response.ids(), &tail).await {
                        return false;
                    }
                    let characters = count::billed(&response.text);
                    self.buffered = self.buffered.saturating_sub(characters);
                    self.billed += characters as u64;
                    if !self
                        .close_response(response.ids(), characters, "completed")
                        .await
                    {
                        return false;
                    }
                    if self.queue.is_empty() && self.buffer.is_empty() {
                        // Nothing waits but what the segmenter holds (a few hundred characters
                        // at most): the count starts afresh, so white space the segmenter
                        // dropped never adds up.
                        self.buffered = 0;
                    }
                    return self.pump().await;
                }
            }
            JobEvent::Failed(message) => {
                tracing::warn!(conn = self.conn, %message, "synthesis failed");
                return self
                    .error("server_error", "synthesis failed", None, None)
                    .await;
            }
        }
        self.speaking = Some(response);
        true
    }

    async fn delta(&mut self, ids: (String, String), bytes: &[u8]) -> bool {
        let delta = base64::engine::general_purpose::STANDARD.encode(bytes);
        self.send(
            json!({"type": "response.audio.delta", "response_id": ids.0, "item_id": ids.1,
            "output_index": 0, "content_index": 0, "delta": delta}),
        )
        .await
    }

    /// The done events of a response, in the OpenAI Realtime order.
    async fn close_response(
        &mut self,
        ids: (String, String),
        characters: usize,
        status: &str,
    ) -> bool {
        let (id, item) = (&ids.0, &ids.1);
        let item_status = if status == "completed" {
            "completed"
        } else {
            "incomplete"
        };
        let characters = if status == "completed" { characters } else { 0 };
        let events = [
            json!({"type": "response.audio.done", "response_id": id, "item_id": item, "output_index": 0, "content_index": 0}),
            json!({"type": "response.content_part.done", "response_id": id, "item_id": item, "output_index": 0,
                   "content_index": 0, "part": {"type": "audio", "text": ""}}),
            json!({"type": "response.output_item.done", "response_id": id, "output_index": 0,
                   "item": {"id": item, "object": "realtime.item", "type": "message", "status": item_status,
                            "role": "assistant", "content": [{"type": "audio", "text": ""}]}}),
            json!({"type": "response.done", "response": {"id": id, "object": "realtime.response", "conversation_id": "",
                   "status": status, "modalities": ["text", "audio"], "voice": self.settings.voice,
                   "output": [{"id": item, "object": "realtime.item", "type": "message", "status": item_status,
                               "role": "assistant", "content": [{"type": "audio", "transcript": ""}]}],
                   "usage": {"characters": characters}}}),
        ];
        for event in events {
            if !self.send(event).await {
                return false;
            }
        }
        true
    }
}

fn encode_into(response: &mut Response, samples: &[i16], out: &mut Vec<u8>) -> Result<(), ()> {
    let mut floats = Vec::with_capacity(samples.len());
    i16_to_f32(samples, &mut floats);
    let mut resampled = Vec::new();
    response
        .resampler
        .process(&floats, &mut resampled)
        .map_err(|_| ())?;
    let mut pcm = Vec::with_capacity(resampled.len());
    f32_to_i16(&resampled, &mut pcm);
    response.encoder.encode(&pcm, out).map_err(|_| ())
}

fn finish_into(response: &mut Response, out: &mut Vec<u8>) -> Result<(), ()> {
    let mut floats = Vec::new();
    response.resampler.finish(&mut floats).map_err(|_| ())?;
    let mut pcm = Vec::with_capacity(floats.len());
    f32_to_i16(&floats, &mut pcm);
    response.encoder.encode(&pcm, out).map_err(|_| ())?;
    response.encoder.finish(out).map_err(|_| ())
}

/// The offline voice and prosody that speak a Qwen voice: the catalog's stand-in (first language,
/// gender), or for `language_type` other than `Auto` that language with the voice's gender; a
/// multilingual voice left on `Auto` (or a custom voice) is spoken in the voice the text's script
/// picks.
fn local_params(
    voice: &str,
    language_type: Option<&str>,
    options: &Map<String, Value>,
) -> LocalParams {
    let entry = catalog::find(voice);
    let variant = match entry.map(|v| v.gender) {
        Some("female") => "+f2",
        Some("male") => "+m3",
        _ => "",
    };
    let by_language = language_type.and_then(|l| {
        Some(match l {
            "Chinese" => "cmn",
            "English" => "en-us",
            "German" => "de",
            "Italian" => "it",
            "Portuguese" => "pt",
            "Spanish" => "es",
            "Japanese" => "ja",
            "Korean" => "ko",
            "French" => "fr",
            "Russian" => "ru",
            _ => return None,
        })
    });
    // A dialect or Cantonese voice keeps its stand-in; a voice of many languages on `Auto` reads
    // each text in the voice its script picks.
    let dialect = entry.is_some_and(|v| {
        v.languages
            .first()
            .is_some_and(|l| l.starts_with("zh") && *l != "zh (Mandarin)")
    });
    let local_voice = match (by_language, entry) {
        (Some(base), _) => Some(format!("{base}{variant}")),
        (None, Some(v)) if dialect => Some(v.local_voice()),
        _ => None,
    };
    #[allow(
        clippy::cast_possible_truncation,
        reason = "range-checked to 0.5..=2.0"
    )]
    let ratio = |key: &str| {
        options
            .get(key)
            .and_then(Value::as_f64)
            .map_or(1.0, |x| x as f32)
    };
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "range-checked to 0..=100"
    )]
    let volume = options
        .get("volume")
        .and_then(Value::as_f64)
        .map_or(50, |v| v.round() as u8);
    LocalParams {
        voice: local_voice,
        rate: ratio("speech_rate"),
        pitch: ratio("pitch_rate"),
        volume,
        neural: None,
    }
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
