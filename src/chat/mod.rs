//! `tts chat`: a chat-completions request streamed as Server-Sent Events, its answer printed
//! as it arrives and handed to the `say` pipeline as its text source, so speech starts with
//! the first complete sentence.

pub mod conversation;
pub mod sse;

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cancel::CancelToken;
use crate::cli::config::SayConfig;
use crate::dashscope::http::{Client, HttpError};
use crate::pipeline::{self, SayOutcome};
use crate::session::ApiKey;
use crate::text::source::SourceError;
use sse::{SseError, SseParser};

/// The model asked when none is configured.
pub const DEFAULT_MODEL: &str = "qwen3.5-flash";
/// The service's OpenAI-compatible endpoint, international region.
pub const INTL_ENDPOINT: &str = "https://dashscope-intl.aliyuncs.com/compatible-mode/v1";
/// The service's OpenAI-compatible endpoint, mainland China region.
pub const CN_ENDPOINT: &str = "https://dashscope.aliyuncs.com/compatible-mode/v1";
/// How long the answer may pause before it is given up as stalled.
pub const DEFAULT_STALL: Duration = Duration::from_secs(30);
/// How often the stream looks at Ctrl-C while waiting.
const POLL: Duration = Duration::from_millis(20);

/// The model and how to reach it.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// The base of the OpenAI-compatible API (`…/v1`); `chat/completions` is under it.
    pub endpoint: String,
    /// The model's name.
    pub model: String,
    /// A system message opening the conversation.
    pub system: Option<String>,
    /// The key, if any (a local server may need none).
    pub key: Option<ApiKey>,
    /// Where the key came from, for a refusal's message (never the key itself).
    pub key_source: String,
    /// Print the model's reasoning, dimmed (it is never spoken).
    pub show_thinking: bool,
    /// The longest pause in the answer before it is given up.
    pub stall: Duration,
}

/// `tts chat`, validated.
#[derive(Debug)]
pub struct ChatConfig {
    /// How the answer is spoken (its `inputs` are unused: the answer is the text).
    pub speech: SayConfig,
    /// The model.
    pub llm: LlmConfig,
    /// The prompt; none for a conversation (a terminal) or a prompt read from stdin.
    pub prompt: Option<String>,
    /// Audio goes to stdout, so the answer's text is printed on stderr.
    pub text_on_stderr: bool,
}

/// Why an answer could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChatError {
    /// 401/403: the key was refused.
    #[error(
        "the chat endpoint refused the key from {key_source} (HTTP {status}): {message}; check the key or give another with --llm-key"
    )]
    Unauthorized {
        /// Where the key came from.
        key_source: String,
        /// The HTTP status.
        status: u16,
        /// The provider's message.
        message: String,
    },
    /// 404: most often an unknown model.
    #[error(
        "the chat endpoint does not know the model {model} (HTTP 404): {message}; choose another with --llm-model, or check --llm-endpoint"
    )]
    UnknownModel {
        /// The model asked for.
        model: String,
        /// The provider's message.
        message: String,
    },
    /// Any other refusal, or no connection.
    #[error("the chat request failed")]
    Http(#[source] HttpError),
    /// The provider reported an error inside the stream.
    #[error("the model stopped with an error: {0}")]
    InStream(String),
    /// The stream broke off.
    #[error("the answer stream from {url} broke off")]
    Read {
        /// The address.
        url: String,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// Nothing came for the whole stall limit.
    #[error("the answer stalled: nothing arrived for {} s (the model or the network is stuck); try again", .0.as_secs())]
    Stalled(Duration),
    /// The answer held no text.
    #[error("the model returned an empty answer")]
    Empty,
    /// The stream was not Server-Sent Events of chat chunks.
    #[error("the answer stream is not chat-completions events")]
    Sse(#[from] SseError),
    /// No runtime for the request.
    #[error("cannot start the HTTP runtime")]
    Runtime(#[source] std::io::Error),
}

impl ChatError {
    /// Whether the provider answered (else the network failed or stalled).
    pub fn is_service(&self) -> bool {
        match self {
            Self::Http(http) => http.is_service(),
            Self::Read { .. } | Self::Stalled(_) | Self::Runtime(_) => false,
            _ => true,
        }
    }
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: &'static str,
    /// Its text.
    pub content: String,
}

/// A piece of the answer as it arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text of the answer.
    Content(&'a str),
    /// The model's reasoning (never spoken).
    Thinking(&'a str),
}

/// What one answer gave, besides its text.
#[derive(Debug, Clone, Default)]
pub struct AnswerStats {
    /// When the request was sent.
    pub sent: Option<Instant>,
    /// When the first text (or reasoning) arrived.
    pub first_token: Option<Instant>,
    /// Tokens of the prompt, as the provider counted them.
    pub tokens_in: Option<u64>,
    /// Tokens of the answer.
    pub tokens_out: Option<u64>,
}

/// The request's body: streamed, with usage in the last chunk.
pub fn request_body(llm: &LlmConfig, messages: &[Message]) -> Value {
    let messages: Vec<Value> = messages
        .iter()
        .map(|m| json!({"role": m.role, "content": m.content}))
        .collect();
    json!({
        "model": llm.model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
    })
}

/// Stream one answer, handing each piece to `on_piece` (which returns `false` to stop).
/// Returns when the stream ends (`[DONE]` or its close), on Ctrl-C, or with the reason.
pub fn stream_answer(
    llm: &LlmConfig,
    messages: &[Message],
    cancel: &CancelToken,
    stats: &mut AnswerStats,
    on_piece: &mut dyn FnMut(Piece<'_>) -> bool,
) -> Result<(), ChatError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ChatError::Runtime)?;
    runtime.block_on(stream_async(llm, messages, cancel, stats, on_piece))
}

async fn stream_async(
    llm: &LlmConfig,
    messages: &[Message],
    cancel: &CancelToken,
    stats: &mut AnswerStats,
    on_piece: &mut dyn FnMut(Piece<'_>) -> bool,
) -> Result<(), ChatError> {
    let key = llm
        .key
        .clone()
        .unwrap_or_else(|| ApiKey::new(String::new()));
    let client = Client::new(&llm.endpoint, key, None).map_err(ChatError::Http)?;
    let url = format!("{}/chat/completions", client.base());
    stats.sent = Some(Instant::now());
    let body = request_body(llm, messages);
    let request = client.post_stream("chat/completions", &body);
    let mut response = tokio::select! {
        response = request => response.map_err(|e| refusal(e, llm))?,
        () = cancelled(cancel) => return Ok(()),
    };
    let mut parser = SseParser::new();
    loop {
        let chunk = tokio::select! {
            chunk = response.chunk() => chunk.map_err(|source| ChatError::Read { url: url.clone(), source })?,
            () = tokio::time::sleep(llm.stall) => return Err(ChatError::Stalled(llm.stall)),
            () = cancelled(cancel) => return Ok(()),
        };
        let Some(chunk) = chunk else {
            return Ok(());
        };
        for event in parser.push(&chunk)? {
            if event.trim() == "[DONE]" {
                return Ok(());
            }
            if !handle_event(&event, stats, on_piece)? {
                return Ok(());
            }
        }
    }
}

/// One event's JSON; `false` when `on_piece` wants no more.
fn handle_event(
    event: &str,
    stats: &mut AnswerStats,
    on_piece: &mut dyn FnMut(Piece<'_>) -> bool,
) -> Result<bool, ChatError> {
    let Ok(value) = serde_json::from_str::<Value>(event) else {
        // Not JSON: some servers send a stray line; it carries nothing to say.
        tracing::debug!(event, "skipping an event that is not JSON");
        return Ok(true);
    };
    if let Some(error) = value.get("error") {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| error.to_string(), str::to_owned);
        return Err(ChatError::InStream(message));
    }
    if let Some(usage) = value.get("usage").filter(|u| u.is_object()) {
        stats.tokens_in = usage.get("prompt_tokens").and_then(Value::as_u64);
        stats.tokens_out = usage.get("completion_tokens").and_then(Value::as_u64);
    }
    let Some(delta) = value.pointer("/choices/0/delta") else {
        return Ok(true);
    };
    for field in ["reasoning_content", "reasoning"] {
        if let Some(text) = delta
            .get(field)
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            stats.first_token.get_or_insert_with(Instant::now);
            if !on_piece(Piece::Thinking(text)) {
                return Ok(false);
            }
        }
    }
    if let Some(text) = delta
        .get("content")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    {
        stats.first_token.get_or_insert_with(Instant::now);
        if !on_piece(Piece::Content(text)) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A refusal, in the words that fit its status.
fn refusal(error: HttpError, llm: &LlmConfig) -> ChatError {
    match &error {
        HttpError::Service {
            status: status @ (401 | 403),
            message,
            ..
        } => ChatError::Unauthorized {
            key_source: llm.key_source.clone(),
            status: *status,
            message: message.clone(),
        },
        HttpError::Service {
            status: 404,
            message,
            ..
        } => ChatError::UnknownModel {
            model: llm.model.clone(),
            message: message.clone(),
        },
        _ => ChatError::Http(error),
    }
}

/// Resolves once Ctrl-C was pressed.
async fn cancelled(cancel: &CancelToken) {
    while !cancel.is_cancelled() {
        tokio::time::sleep(POLL).await;
    }
}

/// How one turn ended.
#[derive(Debug)]
pub struct Turn {
    /// The speech's outcome (none when the answer failed before any text).
    pub speech: Option<SayOutcome>,
    /// The answer's text as printed.
    pub answer: String,
    /// Timings and usage.
    pub stats: AnswerStats,
    /// Why the answer stopped early, if it did.
    pub error: Option<ChatError>,
}

/// What the reader thread shares with the caller.
#[derive(Default)]
struct Shared {
    answer: String,
    stats: AnswerStats,
    error: Option<ChatError>,
}

/// Ask `messages` (the last is the user's) and print and speak the answer; `on_sentence`
/// hears each sentence as its audio starts (`--echo`). A speech failure is an error; an
/// answer's failure is in [`Turn::error`], after what was said of it was spoken.
pub fn turn(
    config: &ChatConfig,
    messages: Vec<Message>,
    cancel: &CancelToken,
    on_sentence: &mut dyn FnMut(&str),
) -> anyhow::Result<Turn> {
    let shared = Arc::new(Mutex::new(Shared::default()));
    let reader_shared = Arc::clone(&shared);
    let llm = config.llm.clone();
    let reader_cancel = cancel.clone();
    let text_on_stderr = config.text_on_stderr;
    let source: pipeline::TextSource = Box::new(move |on_text| {
        let mut stats = AnswerStats::default();
        let mut answer = String::new();
        let mut printer = Printer::new(text_on_stderr, llm.show_thinking);
        let result = stream_answer(&llm, &messages, &reader_cancel, &mut stats, &mut |piece| {
            printer.print(piece);
            match piece {
                Piece::Content(text) => {
                    answer.push_str(text);
                    on_text(text)
                }
                Piece::Thinking(_) => true,
            }
        });
        printer.end();
        let mut shared = reader_shared.lock().unwrap_or_else(PoisonError::into_inner);
        let empty = answer.trim().is_empty();
        shared.answer = answer;
        shared.stats = stats;
        match result {
            Err(error) => shared.error = Some(error),
            Ok(()) if empty && !reader_cancel.is_cancelled() => {
                shared.error = Some(ChatError::Empty);
            }
            Ok(()) => {}
        }
        // The pipeline learns of an empty answer as an empty input; the reason is kept above.
        Ok::<(), SourceError>(())
    });
    let speech = pipeline::say_from(&config.speech, cancel, on_sentence, Some(source));
    let mut shared = shared.lock().unwrap_or_else(PoisonError::into_inner);
    let shared = std::mem::take(&mut *shared);
    let speech = match (speech, &shared.error) {
        (Ok(outcome), _) => Some(outcome),
        // Nothing to say because the answer failed: the answer's reason is the one to give.
        (Err(_), Some(_)) => None,
        (Err(err), None) if cancel.is_cancelled() => {
            tracing::debug!("speech ended by Ctrl-C: {err:#}");
            None
        }
        (Err(err), None) => return Err(err),
    };
    Ok(Turn {
        speech,
        answer: shared.answer,
        stats: shared.stats,
        error: shared.error,
    })
}

/// Prints the answer as it arrives: on stdout, or stderr when stdout carries audio; the
/// reasoning dimmed, only when asked for.
struct Printer {
    stderr: bool,
    thinking: bool,
    dim: bool,
    in_thinking: bool,
    last: Option<char>,
}

impl Printer {
    fn new(stderr: bool, thinking: bool) -> Self {
        use std::io::IsTerminal;
        let terminal = if stderr {
            std::io::stderr().is_terminal()
        } else {
            std::io::stdout().is_terminal()
        };
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            stderr,
            thinking,
            dim: terminal && !no_color,
            in_thinking: false,
            last: None,
        }
    }

    fn write(&mut self, text: &str) {
        // A reader that went away (`| head`) stops the printing, not the speech.
        let _ = if self.stderr {
            let mut out = std::io::stderr().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        } else {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        };
        if let Some(c) = text.chars().last() {
            self.last = Some(c);
        }
    }

    fn print(&mut self, piece: Piece<'_>) {
        match piece {
            Piece::Thinking(text) if self.thinking => {
                if !self.in_thinking && self.dim {
                    self.write("\x1b[2m");
                }
                self.in_thinking = true;
                self.write(text);
            }
            Piece::Thinking(_) => {}
            Piece::Content(text) => {
                self.leave_thinking();
                self.write(text);
            }
        }
    }

    fn leave_thinking(&mut self) {
        if self.in_thinking {
            self.in_thinking = false;
            if self.dim {
                self.write("\x1b[0m");
            }
            if self.last != Some('\n') {
                self.write("\n");
            }
        }
    }

    /// The answer's end: its last line ended.
    fn end(&mut self) {
        self.leave_thinking();
        if self.last.is_some_and(|c| c != '\n') {
            self.write("\n");
        }
    }
}

/// `--timing` for an answer: its first token, its first audio and the tokens counted.
pub fn usage_line(turn: &Turn, started: Instant) -> String {
    let ms = |t: Instant| t.saturating_duration_since(started).as_secs_f64() * 1000.0;
    let mut parts = Vec::new();
    if let (Some(sent), Some(first)) = (turn.stats.sent, turn.stats.first_token) {
        parts.push(format!(
            "first token {:.1} ms ({:.1} ms after the request)",
            ms(first),
            first.saturating_duration_since(sent).as_secs_f64() * 1000.0
        ));
    }
    if let Some(audio) = turn.speech.as_ref().and_then(|s| s.report.first_audio) {
        parts.push(format!("first audio {:.1} ms", ms(audio)));
    }
    let count = |n: Option<u64>| n.map_or_else(|| "?".to_owned(), |n| n.to_string());
    parts.push(format!(
        "tokens in {}, out {}",
        count(turn.stats.tokens_in),
        count(turn.stats.tokens_out)
    ));
    format!("tts: chat timing: {}", parts.join(", "))
}
