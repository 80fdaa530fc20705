//! The Qwen-TTS-Realtime client session: one tokio task owns the WebSocket and runs a `select!`
//! over the socket, the text coming in, its deadlines and the Ctrl-C flag; [`Machine`] decides
//! what each event means.
//!
//! Runs on the engine's own thread, on a current-thread runtime (see `engine::qwen`).

use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};

use super::protocol::{ServerEvent, SessionConfig};
use super::state::{Action, Input, Machine, Report, Waiting};
use crate::cancel::CancelToken;
use crate::session::{ApiKey, Command, KeySource, SessionError, Timeouts, user_agent};

/// Everything a Qwen session needs.
#[derive(Debug, Clone)]
pub struct QwenOptions {
    /// `wss://…/api-ws/v1/realtime?model=…`.
    pub url: String,
    /// Sent as `Authorization: Bearer`.
    pub api_key: ApiKey,
    /// Where the key came from (for a refused handshake).
    pub key_source: KeySource,
    /// `X-DashScope-WorkSpace`, when set.
    pub workspace: Option<String>,
    /// The model (also in the URL).
    pub model: String,
    /// What every `session.update` says.
    pub config: SessionConfig,
    /// Deadlines: connect, `session.updated`, and server silence while tts waits.
    pub timeouts: Timeouts,
    /// Billed characters per session before rolling over to a new one.
    pub limit: usize,
    /// How often a failed connection is tried again.
    pub retry: RetryPolicy,
}

/// What the session tells its caller.
#[derive(Debug)]
pub enum QwenEvent {
    /// A WebSocket is open, after this long.
    Connected(Duration),
    /// Progress from the machine.
    Report(Report),
    /// Audio bytes in the requested format.
    Audio(Vec<u8>),
    /// Everything was spoken.
    Done,
    /// The session failed.
    Failed(SessionError),
}

use crate::session::retry::RetryPolicy;
use crate::session::{Socket, close_gracefully, next_frame, retrying, sleep_until};

/// Send an event without blocking the runtime; waiting here stops reading the socket
/// (backpressure). `false` when the caller is gone.
async fn emit(events: &SyncSender<QwenEvent>, mut event: QwenEvent, cancel: &CancelToken) -> bool {
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

/// Run sessions until the input ends (or fails, or Ctrl-C).
pub async fn run(
    options: QwenOptions,
    mut commands: mpsc::Receiver<Command>,
    events: SyncSender<QwenEvent>,
    cancel: CancelToken,
) {
    let mut machine = Machine::new(options.config.clone(), options.limit);
    let mut socket: Option<Socket> = None;
    let mut pending = vec![Action::Connect];
    let mut input_open = true;
    let mut opened_at = tokio::time::Instant::now();
    let mut last_heard = tokio::time::Instant::now();
    let mut cancel_check = tokio::time::interval(Duration::from_millis(20));
    loop {
        while !pending.is_empty() {
            for action in std::mem::take(&mut pending) {
                match action {
                    Action::Connect => {
                        let started = Instant::now();
                        match retrying(options.retry, &cancel, || connect(&options)).await {
                            Ok(opened) => {
                                socket = Some(opened);
                                opened_at = tokio::time::Instant::now();
                                last_heard = opened_at;
                                let event = QwenEvent::Connected(started.elapsed());
                                if !emit(&events, event, &cancel).await {
                                    return;
                                }
                                pending.extend(machine.handle(Input::Connected));
                            }
                            Err(error) => {
                                emit(&events, QwenEvent::Failed(error), &cancel).await;
                                return;
                            }
                        }
                    }
                    Action::Send(event) => {
                        let Ok(json) = serde_json::to_string(&event) else {
                            continue;
                        };
                        tracing::trace!(%json, "sending");
                        let sent = match socket.as_mut() {
                            Some(open) => open.send(Message::text(json)).await,
                            None => Err(tungstenite::Error::AlreadyClosed),
                        };
                        if let Err(error) = sent {
                            let failure = SessionError::Transport(Box::new(error));
                            emit(&events, QwenEvent::Failed(failure), &cancel).await;
                            return;
                        }
                        // A request starts the wait for its answer.
                        last_heard = tokio::time::Instant::now();
                    }
                    Action::Audio(bytes) => {
                        if !emit(&events, QwenEvent::Audio(bytes), &cancel).await {
                            if !cancel.is_cancelled() {
                                return;
                            }
                            pending = machine.handle(Input::Cancel);
                            break;
                        }
                    }
                    Action::Report(report) => {
                        if !emit(&events, QwenEvent::Report(report), &cancel).await {
                            if !cancel.is_cancelled() {
                                return;
                            }
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
                        emit(&events, QwenEvent::Done, &cancel).await;
                        return;
                    }
                    Action::Fail(error) => {
                        if let Some(mut open) = socket.take() {
                            let _ = open.close(None).await;
                        }
                        emit(&events, QwenEvent::Failed(error), &cancel).await;
                        return;
                    }
                }
            }
        }
        let deadline = match machine.waiting() {
            Some(Waiting::Start) => Some(opened_at + options.timeouts.start),
            Some(Waiting::Progress) => Some(last_heard + options.timeouts.progress),
            None => None,
        };
        tokio::select! {
            frame = next_frame(&mut socket) => {
                last_heard = tokio::time::Instant::now();
                pending = match frame {
                    Some(Ok(Message::Text(text))) => match ServerEvent::parse(text.as_str()) {
                        Ok(event) => machine.handle(Input::Event(Box::new(event))),
                        Err(error) => {
                            tracing::warn!(%error, "ignoring a text frame that is not a server event");
                            Vec::new()
                        }
                    },
                    Some(Ok(Message::Binary(_))) => {
                        tracing::warn!("ignoring a binary frame: Qwen-TTS-Realtime sends audio as base64");
                        Vec::new()
                    }
                    Some(Ok(Message::Close(frame))) => {
                        socket = None;
                        machine.handle(Input::Closed {
                            code: frame.as_ref().map(|f| u16::from(f.code)),
                            reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                        })
                    }
                    Some(Ok(_)) => Vec::new(),
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
            command = commands.recv(), if input_open => {
                pending = match command {
                    Some(Command::Text(text)) => machine.handle(Input::Text(text)),
                    Some(Command::Flush) => machine.handle(Input::Flush),
                    Some(Command::Idle) => machine.handle(Input::Idle),
                    Some(Command::EndTask) => machine.handle(Input::EndTask),
                    None if cancel.is_cancelled() => machine.handle(Input::Cancel),
                    None => {
                        input_open = false;
                        machine.handle(Input::EndOfInput)
                    }
                };
            }
            () = sleep_until(deadline), if deadline.is_some() => {
                pending = match machine.waiting() {
                    Some(Waiting::Start) => machine.handle(Input::StartTimeout),
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

async fn connect(options: &QwenOptions) -> Result<Socket, SessionError> {
    // tokio-tungstenite's rustls needs a process-wide crypto provider; a second install fails
    // harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let url = &options.url;
    let mut request =
        url.as_str()
            .into_client_request()
            .map_err(|source| SessionError::Connect {
                url: url.clone(),
                source: Box::new(source),
            })?;
    let headers = request.headers_mut();
    if let Ok(mut bearer) = HeaderValue::from_str(&format!("Bearer {}", options.api_key.expose())) {
        bearer.set_sensitive(true);
        headers.insert("Authorization", bearer);
    }
    if let Ok(agent) = HeaderValue::from_str(&user_agent()) {
        headers.insert("user-agent", agent);
    }
    if let Some(workspace) = &options.workspace
        && let Ok(value) = HeaderValue::from_str(workspace)
    {
        headers.insert("X-DashScope-WorkSpace", value);
    }
    // No Nagle: update, append and commit go out back to back, and each would otherwise wait
    // for the server's (delayed) acknowledgement of the one before.
    let connecting = tokio_tungstenite::connect_async_with_config(request, None, true);
    let outcome = tokio::time::timeout(options.timeouts.connect, connecting)
        .await
        .map_err(|_| SessionError::ConnectTimeout {
            url: url.clone(),
            seconds: options.timeouts.connect.as_secs_f64(),
        })?;
    match outcome {
        Ok((socket, _)) => Ok(socket),
        Err(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            if status == 401 || status == 403 {
                Err(SessionError::Rejected {
                    status,
                    key_source: options.key_source.clone(),
                })
            } else {
                let (code, message) = crate::session::refusal_body(response.body().as_deref());
                Err(SessionError::Refused {
                    url: url.clone(),
                    status,
                    code,
                    message,
                })
            }
        }
        Err(tungstenite::Error::Io(io)) => match certificate_error(&io) {
            Some(detail) => Err(SessionError::Certificate {
                url: url.clone(),
                detail,
            }),
            None => Err(SessionError::Unreachable {
                url: url.clone(),
                source: io,
            }),
        },
        Err(source) => Err(SessionError::Connect {
            url: url.clone(),
            source: Box::new(source),
        }),
    }
}

/// The certificate problem rustls reported inside an I/O error, if that is what it is.
fn certificate_error(io: &std::io::Error) -> Option<String> {
    match io.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(error) => Some(format!("{error:?}")),
        _ => None,
    }
}
