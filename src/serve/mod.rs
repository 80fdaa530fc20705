//! `tts serve`: the CosyVoice duplex protocol over WebSocket, spoken by the offline engine, so
//! the official SDKs and any CosyVoice client work with no network and no key.
//!
//! A multi-thread tokio runtime accepts connections and runs one task per connection
//! ([`connection`]); one shared engine thread ([`synth`]) speaks for all of them.

pub mod connection;
pub mod qwen;
pub mod synth;
pub mod validate;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::cancel::CancelToken;
use crate::engine::EngineError;
use connection::Shared;
use synth::SynthPool;

/// The path the service serves.
pub const PATH: &str = "/api-ws/v1/inference";
/// The largest client frame accepted: a 20,000-character message, escaped, fits many times.
const MAX_FRAME: usize = 1 << 20;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The only key accepted, if any.
    pub api_key: Option<String>,
    /// The limit between client messages during a task.
    pub client_timeout: Duration,
}

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The address is taken or not ours.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The runtime could not start.
    #[error("cannot start the server's runtime")]
    Runtime(#[source] std::io::Error),
    /// The offline engine could not start.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Serve until Ctrl-C; `on_listening` hears the bound address (port 0 picks one).
pub fn run(
    options: &ServeOptions,
    cancel: &CancelToken,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let pool = SynthPool::start()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(async {
        let listener =
            TcpListener::bind(options.listen)
                .await
                .map_err(|source| ServeError::Bind {
                    addr: options.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| ServeError::Bind {
            addr: options.listen,
            source,
        })?;
        on_listening(addr);
        let shared = Shared {
            pool,
            client_timeout: options.client_timeout,
        };
        let key: Arc<Option<String>> = Arc::new(options.api_key.clone());
        let next_id = AtomicU64::new(1);
        let mut ticker = tokio::time::interval(Duration::from_millis(50));
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    let conn = next_id.fetch_add(1, Ordering::Relaxed);
                    let shared = shared.clone();
                    let key = Arc::clone(&key);
                    tokio::spawn(accept(stream, peer, shared, key, conn));
                }
                _ = ticker.tick() => {
                    if cancel.is_cancelled() {
                        return Ok(());
                    }
                }
            }
        }
    })
}

/// Upgrade one TCP connection and serve it.
async fn accept(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    shared: Shared,
    key: Arc<Option<String>>,
    conn: u64,
) {
    let _ = stream.set_nodelay(true);
    // The callback's signature is tungstenite's; its large error type is not ours to shrink.
    #[allow(clippy::result_large_err)]
    let (room_tx, room_rx) = std::sync::mpsc::channel();
    let check = move |request: &Request, response: Response| {
        let (room, checked) = authorize(request, response, key.as_deref());
        let _ = room_tx.send(room);
        checked
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME));
    match tokio_tungstenite::accept_hdr_async_with_config(stream, check, Some(config)).await {
        Ok(ws) => {
            tracing::info!(conn, %peer, "connection opened");
            match room_rx.try_recv() {
                Ok(Some(Room::Realtime { model })) => qwen::serve(ws, shared, conn, model).await,
                _ => connection::serve(ws, shared, conn).await,
            }
        }
        Err(error) => tracing::info!(conn, %peer, %error, "connection refused"),
    }
}

/// Which protocol a connection speaks, from its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Room {
    /// CosyVoice duplex, `/api-ws/v1/inference`.
    Inference,
    /// Qwen-TTS-Realtime, `/api-ws/v1/realtime?model=M`.
    Realtime {
        /// The model from the query.
        model: String,
    },
}

/// The room a request path asks for; `Err` with the reason for a path that has none.
pub fn route(path: &str, query: Option<&str>) -> Result<Room, &'static str> {
    match path {
        PATH => Ok(Room::Inference),
        qwen::PATH => {
            let model = query
                .unwrap_or("")
                .split('&')
                .find_map(|pair| pair.strip_prefix("model="))
                .filter(|m| !m.is_empty() && m.len() <= 128)
                .filter(|m| m.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_'));
            match model {
                Some(model) => Ok(Room::Realtime {
                    model: model.to_owned(),
                }),
                None => Err("the model goes in the query: /api-ws/v1/realtime?model=qwen3-tts-flash-realtime"),
            }
        }
        _ => Err("not found: the protocols are served at /api-ws/v1/inference and /api-ws/v1/realtime?model=M"),
    }
}

/// The upgrade: the right path, and with a key set, `Authorization: Bearer <key>` (the scheme
/// in any case, as SDK 1.24.10 sends `bearer`).
#[allow(
    clippy::result_large_err,
    reason = "the signature is tungstenite's Callback trait"
)]
fn authorize(
    request: &Request,
    response: Response,
    key: Option<&str>,
) -> (Option<Room>, Result<Response, ErrorResponse>) {
    let refuse = |status: StatusCode, message: &str| {
        let mut refusal = ErrorResponse::new(Some(message.to_owned()));
        *refusal.status_mut() = status;
        refusal
    };
    let room = match route(request.uri().path(), request.uri().query()) {
        Ok(room) => room,
        Err(reason) => {
            let status = if request.uri().path() == qwen::PATH {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::NOT_FOUND
            };
            return (None, Err(refuse(status, reason)));
        }
    };
    (Some(room), check_key(request, response, key))
}

/// With a key set, `Authorization: Bearer <key>` (the scheme in any case, as SDK 1.24.10 sends
/// `bearer`).
#[allow(
    clippy::result_large_err,
    reason = "the error is tungstenite's handshake response"
)]
fn check_key(
    request: &Request,
    response: Response,
    key: Option<&str>,
) -> Result<Response, ErrorResponse> {
    let refuse = |status: StatusCode, message: &str| {
        let mut refusal = ErrorResponse::new(Some(message.to_owned()));
        *refusal.status_mut() = status;
        refusal
    };
    let Some(key) = key else {
        return Ok(response);
    };
    let given = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if given == Some(key) {
        Ok(response)
    } else {
        Err(refuse(
            StatusCode::UNAUTHORIZED,
            "Invalid API-key provided.",
        ))
    }
}
