//! The CosyVoice client session: one tokio task owns the WebSocket and runs a `select!` over
//! the socket, the text coming in, its deadlines and the Ctrl-C flag; [`state::Machine`]
//! decides what each event means.
//!
//! Runs on the engine's own thread, on a current-thread runtime (see `engine::cosyvoice`).

pub mod retry;
pub mod state;

use std::fmt;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::cancel::CancelToken;
use crate::protocol::{Parameters, ServerMessage};
use retry::{Failure, RetryPolicy};
use state::{Action, Input, Machine, Report, State};

/// An API key. Its `Debug` and `Display` never show it.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wrap a key.
    pub fn new(key: String) -> Self {
        Self(key)
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// The key, for tests that check where it was read from.
    #[cfg(test)]
    pub(crate) fn expose_for_tests(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<hidden>)")
    }
}

/// Where the key came from, for messages (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The `DASHSCOPE_API_KEY` variable.
    Environment,
    /// `api_key` in the config file.
    ConfigFile(String),
    /// The output of `api_key_command` in the config file.
    Command(String),
    /// The file named by `DASHSCOPE_API_KEY_FILE_PATH`.
    FileFromVariable(String),
    /// `~/.dashscope/api_key`, as `dashscope auth login` writes it.
    DashScopeFile(String),
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Environment => f.write_str("DASHSCOPE_API_KEY"),
            Self::ConfigFile(path) => write!(f, "api_key in {path}"),
            Self::Command(path) => write!(f, "the output of api_key_command in {path}"),
            Self::FileFromVariable(path) => {
                write!(f, "{path} (named by DASHSCOPE_API_KEY_FILE_PATH)")
            }
            Self::DashScopeFile(path) => f.write_str(path),
        }
    }
}

/// How long to wait for what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP, TLS and WebSocket upgrade.
    pub connect: Duration,
    /// run-task to task-started.
    pub start: Duration,
    /// Silence from the server while tts waits for it (after finish-task).
    pub progress: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            start: Duration::from_secs(10),
            progress: Duration::from_secs(60),
        }
    }
}

/// Everything a session needs.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// `wss://…/api-ws/v1/inference` (or `ws://` on loopback).
    pub url: String,
    /// The key, sent as `Authorization: Bearer`.
    pub api_key: ApiKey,
    /// Where the key came from.
    pub key_source: KeySource,
    /// `X-DashScope-WorkSpace`, when set.
    pub workspace: Option<String>,
    /// The model of every task.
    pub model: String,
    /// The run-task parameters.
    pub parameters: Parameters,
    /// Deadlines.
    pub timeouts: Timeouts,
    /// Retries of a failed connection ([`RetryPolicy::SAY`]; none where the caller retries).
    pub retry: RetryPolicy,
}

/// What the session tells its caller.
#[derive(Debug)]
pub enum SessionEvent {
    /// The WebSocket is open, after this long.
    Connected(Duration),
    /// Progress from the machine.
    Report(Report),
    /// Audio bytes in the requested format.
    Audio(Vec<u8>),
    /// Every task finished.
    Done,
    /// The session failed.
    Failed(SessionError),
}

/// Text in.
#[derive(Debug)]
pub enum Command {
    /// A fragment to speak.
    Text(String),
    /// Speak what is held back.
    Flush,
    /// The input went quiet: end the task before the service's 23 s limit.
    Idle,
    /// The text so far is one piece: finish its task and say when it is all spoken.
    EndTask,
}

/// Why a session failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The endpoint could not be reached. Retrying may help.
    #[error("cannot connect to {url}")]
    Connect {
        /// The endpoint.
        url: String,
        /// The transport error.
        #[source]
        source: Box<tungstenite::Error>,
    },
    /// Nothing answered at the endpoint's address. Retrying may help.
    #[error(
        "cannot connect to {url}: {source}; check the address (--endpoint, --region) and the network"
    )]
    Unreachable {
        /// The endpoint.
        url: String,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// The server's TLS certificate did not verify (tts always verifies). Retrying will not help.
    #[error(
        "cannot connect to {url}: its TLS certificate is not trusted ({detail}); tts always verifies TLS"
    )]
    Certificate {
        /// The endpoint.
        url: String,
        /// What rustls found wrong.
        detail: String,
    },
    /// The connection was not up within the connect timeout. Retrying may help.
    #[error(
        "no connection to {url} within {seconds:.1} s; check the network, or wait longer with --connect-timeout"
    )]
    ConnectTimeout {
        /// The endpoint.
        url: String,
        /// The timeout.
        seconds: f64,
    },
    /// The upgrade was refused with 401/403: the key is wrong.
    #[error(
        "the service refused the API key from {key_source} (HTTP {status}); check the key in the DashScope console"
    )]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// Where the key came from.
        key_source: KeySource,
    },
    /// The key cannot be sent in a header (a control character inside it).
    #[error(
        "the API key from {key_source} cannot be sent: it holds a line break or a control character; write the key alone on one line"
    )]
    KeyNotSendable {
        /// Where the key came from.
        key_source: KeySource,
    },
    /// The upgrade was refused with another status; the body's code and message are kept.
    #[error(
        "the service refused the connection to {url} (HTTP {status}{}){}",
        body_detail(code.as_deref(), message.as_deref()),
        refusal_hint(*status)
    )]
    Refused {
        /// The endpoint.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The error code of the response's JSON body, if any.
        code: Option<String>,
        /// Its message.
        message: Option<String>,
    },
    /// The server sent a frame over the size tts accepts.
    #[error(
        "the service sent a frame larger than tts accepts ({detail}) in task {task_id}; the server at this endpoint is misbehaving: check --endpoint"
    )]
    FrameTooLarge {
        /// The sizes, as the WebSocket layer reports them.
        detail: String,
        /// The task.
        task_id: String,
    },
    /// task-failed.
    #[error(
        "the service failed task {task_id}: {code}: {message}{}",
        hint(code, message)
    )]
    TaskFailed {
        /// The service's code.
        code: String,
        /// The service's message.
        message: String,
        /// The task.
        task_id: String,
    },
    /// task-started did not come.
    #[error(
        "the service did not start task {task_id} in time; try again, or wait longer with --start-timeout"
    )]
    StartTimeout {
        /// The task.
        task_id: String,
    },
    /// The server went quiet while tts waited for it.
    #[error(
        "the service stopped sending audio for task {task_id}; try again, or wait longer with --progress-timeout"
    )]
    Stalled {
        /// The task.
        task_id: String,
    },
    /// The connection closed before the task finished.
    #[error("the connection closed before task {task_id} finished{}", close_detail(*code, reason))]
    Closed {
        /// The close code.
        code: Option<u16>,
        /// The close reason.
        reason: String,
        /// The task.
        task_id: String,
    },
    /// The server broke the protocol.
    #[error("protocol error in task {task_id}: {detail}")]
    Protocol {
        /// What happened.
        detail: String,
        /// The task.
        task_id: String,
    },
    /// Reading or writing the socket failed mid-task.
    #[error("the connection failed")]
    Transport(#[source] Box<tungstenite::Error>),
}

impl PartialEq for SessionError {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

/// What kind of failure, for exit codes and retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The service said no (task-failed, bad key).
    Service,
    /// The network (connect, close, timeouts).
    Network,
}

impl SessionError {
    /// Whether trying again could succeed: the network, timeouts, the service being busy or
    /// failing inside; not a refused key, a bad parameter or the content check.
    pub fn retryable(&self) -> bool {
        retry::is_transient(self.failure())
    }

    /// This error as the retry table ([`retry`]) sees it.
    pub fn failure(&self) -> Failure<'_> {
        match self {
            Self::Certificate { .. }
            | Self::Protocol { .. }
            | Self::FrameTooLarge { .. }
            | Self::KeyNotSendable { .. } => Failure::Permanent,
            // A spent quota is refused with 429, yet waiting does not raise it.
            Self::Refused {
                code: Some(code), ..
            } if retry::is_quota(code) => Failure::Code(code),
            Self::Rejected { status, .. } | Self::Refused { status, .. } => {
                Failure::Status(*status)
            }
            Self::TaskFailed { code, .. } => Failure::Code(code),
            _ => Failure::Network,
        }
    }

    /// Classify for exit codes and retries.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Rejected { .. }
            | Self::KeyNotSendable { .. }
            | Self::Refused { .. }
            | Self::TaskFailed { .. }
            | Self::Protocol { .. }
            | Self::FrameTooLarge { .. } => ErrorKind::Service,
            _ => ErrorKind::Network,
        }
    }
}

fn close_detail(code: Option<u16>, reason: &str) -> String {
    match (code, reason.is_empty()) {
        (None, true) => " (no close frame)".to_owned(),
        (None, false) => format!(" ({reason})"),
        (Some(code), true) => format!(" (close code {code})"),
        (Some(code), false) => format!(" (close code {code}: {reason})"),
    }
}

fn body_detail(code: Option<&str>, message: Option<&str>) -> String {
    match (code, message) {
        (Some(code), Some(message)) => format!(": {code}: {message}"),
        (Some(one), None) | (None, Some(one)) => format!(": {one}"),
        (None, None) => String::new(),
    }
}

fn refusal_hint(status: u16) -> &'static str {
    match status {
        429 => "; the service is throttling requests: wait a moment and try again",
        500..=599 => "; the service failed: try again later",
        404 => "; check the address (--endpoint, --region)",
        _ => "",
    }
}

/// The `code` and `message` of a DashScope HTTP error body (`{"code": ..., "message": ...}`).
pub(crate) fn refusal_body(body: Option<&[u8]>) -> (Option<String>, Option<String>) {
    let Some(value) = body.and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok()) else {
        return (None, None);
    };
    let field = |name: &str| {
        value
            .get(name)
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            // A line of our own must stay one line and short, whatever the server sent.
            .map(|s| s.chars().filter(|c| !c.is_control()).take(200).collect())
    };
    (field("code"), field("message"))
}

/// What to do about the documented failures.
fn hint(code: &str, message: &str) -> &'static str {
    if message.contains("418") {
        "; the voice does not exist or does not fit the model: check -v VOICE and -m MODEL"
    } else if message.contains("SSML text is not supported") {
        "; SSML needs cosyvoice-v3-flash or cosyvoice-v3-plus and a voice that supports it"
    } else if message.contains("Text request limit violated") {
        "; SSML must arrive in one message: pass it as TEXT or -f FILE"
    } else if message.contains("23 seconds") {
        "; tts sent nothing for 23 s: the input went quiet mid-task"
    } else if code == "DataInspectionFailed" {
        "; the service's content check refused the text"
    } else if code == "Arrearage" {
        "; the account behind this API key is in arrears: check billing in the DashScope console"
    } else if message.contains("input text is valid") {
        "; the text was empty or not valid UTF-8"
    } else {
        ""
    }
}

/// Send an event without blocking the runtime: when the consumer is behind, wait here, which
/// also stops reading the socket (backpressure), and give up when it is gone.
async fn emit(
    events: &SyncSender<SessionEvent>,
    mut event: SessionEvent,
    cancel: &CancelToken,
) -> bool {
    loop {
        match events.try_send(event) {
            Ok(()) => return true,
            Err(TrySendError::Disconnected(_)) => return false,
            Err(TrySendError::Full(back)) => {
                if cancel.is_cancelled() {
                    return false;
                }
                event = back;
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    }
}

/// Run a session to its end: connect, run tasks for the text that comes, report everything.
///
/// With `rate_later`, the connection is made at once but run-task waits for the sample rate
/// it brings (the device's, while the device opens); the session ends quietly if it is dropped.
pub async fn run(
    options: SessionOptions,
    mut commands: mpsc::Receiver<Command>,
    events: SyncSender<SessionEvent>,
    cancel: CancelToken,
    mut rate_later: Option<tokio::sync::oneshot::Receiver<u32>>,
) {
    let mut machine = Machine::new(
        &options.model,
        options.parameters.clone(),
        Box::new(|| uuid::Uuid::new_v4().simple().to_string()),
    );
    let mut socket: Option<Socket> = None;
    let mut pending = vec![Action::Connect];
    let mut input_open = true;
    let mut start_deadline = tokio::time::Instant::now() + options.timeouts.start;
    let mut last_heard = tokio::time::Instant::now();
    let mut cancel_check = tokio::time::interval(Duration::from_millis(20));
    loop {
        while !pending.is_empty() {
            let actions = std::mem::take(&mut pending);
            for action in actions {
                match action {
                    Action::Connect => {
                        let started = Instant::now();
                        match connect_with_retries(&options, &cancel).await {
                            Ok(opened) => {
                                socket = Some(opened);
                                if !emit(
                                    &events,
                                    SessionEvent::Connected(started.elapsed()),
                                    &cancel,
                                )
                                .await
                                {
                                    return;
                                }
                                if let Some(rate) = rate_later.take() {
                                    match rate.await {
                                        Ok(rate) => machine.set_sample_rate(rate),
                                        Err(_) => return, // the caller gave up (no device)
                                    }
                                }
                                pending.extend(machine.handle(Input::Connected));
                            }
                            Err(error) => {
                                emit(&events, SessionEvent::Failed(error), &cancel).await;
                                return;
                            }
                        }
                    }
                    Action::Send(message) => {
                        if matches!(machine.state(), State::Starting) {
                            start_deadline = tokio::time::Instant::now() + options.timeouts.start;
                        }
                        let Ok(json) = serde_json::to_string(&message) else {
                            continue;
                        };
                        tracing::trace!(%json, "sending");
                        let sent = match socket.as_mut() {
                            Some(open) => open.send(Message::text(json)).await,
                            None => Err(tungstenite::Error::AlreadyClosed),
                        };
                        if let Err(error) = sent {
                            let failure = SessionError::Transport(Box::new(error));
                            emit(&events, SessionEvent::Failed(failure), &cancel).await;
                            return;
                        }
                    }
                    Action::Audio(_) | Action::Report(_) => {
                        let event = match action {
                            Action::Audio(bytes) => SessionEvent::Audio(bytes),
                            Action::Report(report) => SessionEvent::Report(report),
                            _ => continue,
                        };
                        if !emit(&events, event, &cancel).await {
                            if !cancel.is_cancelled() {
                                return; // the caller is gone
                            }
                            // Ctrl-C while the caller was behind: what is queued is moot, but the
                            // service must still hear the cancel directive.
                            pending = machine.handle(Input::Cancel);
                            break;
                        }
                    }
                    Action::Close => {
                        if let Some(open) = socket.take() {
                            close_gracefully(open).await;
                        }
                    }
                    Action::Finished => {
                        emit(&events, SessionEvent::Done, &cancel).await;
                        return;
                    }
                    Action::Fail(error) => {
                        if let Some(mut open) = socket.take() {
                            let _ = open.close(None).await;
                        }
                        emit(&events, SessionEvent::Failed(error), &cancel).await;
                        return;
                    }
                }
            }
        }
        let deadline = match machine.state() {
            State::Starting => Some(start_deadline),
            State::Finishing { .. } => Some(last_heard + options.timeouts.progress),
            _ => None,
        };
        tokio::select! {
            frame = next_frame(&mut socket) => {
                last_heard = tokio::time::Instant::now();
                pending = match frame {
                    Some(Ok(Message::Text(text))) => match ServerMessage::parse(text.as_str()) {
                        Ok(message) => machine.handle(Input::Event(message)),
                        Err(error) => {
                            tracing::warn!(%error, "ignoring a text frame that is not a server event");
                            Vec::new()
                        }
                    },
                    Some(Ok(Message::Binary(bytes))) => machine.handle(Input::Audio(bytes.to_vec())),
                    Some(Ok(Message::Close(frame))) => {
                        socket = None;
                        machine.handle(closed(frame.as_ref()))
                    }
                    Some(Ok(_)) => Vec::new(),
                    Some(Err(tungstenite::Error::Capacity(error))) => {
                        // Our limit, not the server's close: say so.
                        socket = None;
                        machine.handle(Input::TooLarge(error.to_string()))
                    }
                    Some(Err(error)) => {
                        tracing::debug!(%error, "socket error");
                        socket = None;
                        machine.handle(Input::Closed { code: None, reason: error.to_string() })
                    }
                    None => {
                        socket = None;
                        machine.handle(Input::Closed { code: None, reason: String::new() })
                    }
                };
            }
            // Text is taken only while the machine has room: otherwise the bounded command
            // channel fills and the reader waits (backpressure down to stdin).
            command = commands.recv(), if input_open && machine.wants_input() => {
                pending = match command {
                    Some(Command::Text(text)) => machine.handle(Input::Text(text)),
                    Some(Command::Flush) => machine.handle(Input::Flush),
                    Some(Command::Idle) => machine.handle(Input::Idle),
                    Some(Command::EndTask) => machine.handle(Input::EndTask),
                    // Input that ends because of Ctrl-C is a cancel, not a normal finish.
                    None if cancel.is_cancelled() => machine.handle(Input::Cancel),
                    None => {
                        input_open = false;
                        machine.handle(Input::EndOfInput)
                    }
                };
            }
            () = sleep_until(deadline), if deadline.is_some() => {
                pending = match machine.state() {
                    State::Starting => machine.handle(Input::StartTimeout),
                    _ => machine.handle(Input::ProgressTimeout),
                };
            }
            _ = cancel_check.tick() => {
                if cancel.is_cancelled() {
                    pending = machine.handle(Input::Cancel);
                }
            }
        }
    }
}

/// How long a closing handshake may take before the connection is simply dropped.
const CLOSE_GRACE: Duration = Duration::from_millis(500);

/// Close the socket and wait, briefly, for the server's answering close frame. Until it comes
/// the server may not have read what was sent last (a cancel directive on Ctrl-C); exiting with
/// its audio unread would reset the connection and could discard that directive.
pub(crate) async fn close_gracefully(mut socket: Socket) {
    if socket.close(None).await.is_err() {
        return;
    }
    let drain = async { while let Some(Ok(_)) = socket.next().await {} };
    let _ = tokio::time::timeout(CLOSE_GRACE, drain).await;
}

/// The next frame of an open socket; never, while there is none.
pub(crate) async fn next_frame(
    socket: &mut Option<Socket>,
) -> Option<Result<Message, tungstenite::Error>> {
    match socket.as_mut() {
        Some(open) => open.next().await,
        None => std::future::pending().await,
    }
}

pub(crate) async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    if let Some(deadline) = deadline {
        tokio::time::sleep_until(deadline).await;
    }
}

fn closed(frame: Option<&CloseFrame>) -> Input {
    Input::Closed {
        code: frame.map(|f| u16::from(f.code)),
        reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
    }
}

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connect, trying again as the session's [`RetryPolicy`] allows.
async fn connect_with_retries(
    options: &SessionOptions,
    cancel: &CancelToken,
) -> Result<Socket, SessionError> {
    retrying(options.retry, cancel, || connect(options)).await
}

/// Run `connect` until it succeeds, fails for good, or `policy` allows no more tries; the waits
/// between tries end early on Ctrl-C. Shared by every WebSocket client: a connection carries no
/// text yet, so trying again never repeats speech.
pub(crate) async fn retrying<F, Fut>(
    policy: RetryPolicy,
    cancel: &CancelToken,
    mut connect: F,
) -> Result<Socket, SessionError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Socket, SessionError>>,
{
    let mut retries = 0;
    loop {
        match connect().await {
            Ok(socket) => return Ok(socket),
            Err(error) if policy.should_retry(error.failure(), retries) => {
                retries += 1;
                tracing::debug!(%error, retries, "connection failed; trying again");
                let until = tokio::time::Instant::now() + policy.backoff(retries);
                while tokio::time::Instant::now() < until {
                    if cancel.is_cancelled() {
                        return Err(error);
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            Err(error) => return Err(error),
        }
    }
}

async fn connect(options: &SessionOptions) -> Result<Socket, SessionError> {
    // tokio-tungstenite's rustls needs a process-wide crypto provider; a second install fails
    // harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut request = options
        .url
        .as_str()
        .into_client_request()
        .map_err(|source| SessionError::Connect {
            url: options.url.clone(),
            source: Box::new(source),
        })?;
    let headers = request.headers_mut();
    // The configuration refuses such keys; a key left out would only be refused later, as wrong.
    let mut bearer = HeaderValue::from_str(&format!("Bearer {}", options.api_key.expose()))
        .map_err(|_| SessionError::KeyNotSendable {
            key_source: options.key_source.clone(),
        })?;
    bearer.set_sensitive(true);
    headers.insert("Authorization", bearer);
    if let Ok(agent) = HeaderValue::from_str(&user_agent()) {
        headers.insert("user-agent", agent);
    }
    if let Some(workspace) = &options.workspace
        && let Ok(value) = HeaderValue::from_str(workspace)
    {
        headers.insert("X-DashScope-WorkSpace", value);
    }
    let connecting = tokio_tungstenite::connect_async(request);
    let outcome = tokio::time::timeout(options.timeouts.connect, connecting)
        .await
        .map_err(|_| SessionError::ConnectTimeout {
            url: options.url.clone(),
            seconds: options.timeouts.connect.as_secs_f64(),
        })?;
    match outcome {
        Ok((socket, _response)) => Ok(socket),
        Err(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            if status == 401 || status == 403 {
                Err(SessionError::Rejected {
                    status,
                    key_source: options.key_source.clone(),
                })
            } else {
                let (code, message) = refusal_body(response.body().as_deref());
                Err(SessionError::Refused {
                    url: options.url.clone(),
                    status,
                    code,
                    message,
                })
            }
        }
        Err(tungstenite::Error::Io(io)) if certificate_error(&io).is_some() => {
            Err(SessionError::Certificate {
                url: options.url.clone(),
                detail: certificate_error(&io)
                    .map(|e| format!("{e:?}"))
                    .unwrap_or_default(),
            })
        }
        Err(tungstenite::Error::Io(source)) => Err(SessionError::Unreachable {
            url: options.url.clone(),
            source,
        }),
        Err(source) => Err(SessionError::Connect {
            url: options.url.clone(),
            source: Box::new(source),
        }),
    }
}

/// The certificate problem rustls reported inside an I/O error, if that is what it is.
fn certificate_error(io: &std::io::Error) -> Option<&rustls::CertificateError> {
    match io.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(error) => Some(error),
        _ => None,
    }
}

/// `tts/VERSION; rust; platform/OS-ARCH`, in the shape of the SDK's user agent.
pub fn user_agent() -> String {
    format!(
        "tts/{}; rust; platform/{}-{}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}
