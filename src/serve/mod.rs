//! `tts serve`: the CosyVoice duplex protocol over WebSocket, spoken by the offline engine, so
//! the official SDKs and any CosyVoice client work with no network and no key.
//!
//! A multi-thread tokio runtime accepts connections and runs one task per connection
//! ([`connection`]); one shared engine thread ([`synth`]) speaks for all of them.

pub mod connection;
pub mod customization;
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
    /// Where the HTTP API (custom voices, uploads, tokens) listens.
    pub http_listen: SocketAddr,
    /// Where custom voices are kept; `None` keeps them in memory.
    pub state_dir: Option<std::path::PathBuf>,
    /// Custom voices allowed per family.
    pub voice_quota: usize,
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
    /// The state directory cannot be used.
    #[error("cannot keep voices in {}", dir.display())]
    State {
        /// The directory.
        dir: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Serve until Ctrl-C; `on_listening` hears the bound addresses of the WebSocket and the HTTP
/// API (port 0 picks one).
pub fn run(
    options: &ServeOptions,
    cancel: &CancelToken,
    on_listening: impl FnOnce(SocketAddr, SocketAddr),
) -> Result<(), ServeError> {
    let pool = SynthPool::start()?;
    let store = customization::VoiceStore::open(options.state_dir.as_deref(), options.voice_quota)
        .map_err(|source| ServeError::State {
            dir: options.state_dir.clone().unwrap_or_default(),
            source,
        })?;
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
        let http = TcpListener::bind(options.http_listen)
            .await
            .map_err(|source| ServeError::Bind {
                addr: options.http_listen,
                source,
            })?;
        let http_addr = http.local_addr().map_err(|source| ServeError::Bind {
            addr: options.http_listen,
            source,
        })?;
        let router = customization::router(customization::CustomizationState {
            store: store.clone(),
            pool: pool.clone(),
            api_key: options.api_key.clone(),
            public_base: format!("http://{http_addr}"),
        });
        tokio::spawn(async move {
            if let Err(error) = axum::serve(http, router).await {
                tracing::warn!(%error, "the HTTP API stopped");
            }
        });
        on_listening(addr, http_addr);
        let shared = Shared {
            pool,
            client_timeout: options.client_timeout,
            voices: store,
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
    let voices = shared.voices.clone();
    let check = move |request: &Request, response: Response| {
        authorize(request, response, key.as_deref(), &voices)
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME));
    match tokio_tungstenite::accept_hdr_async_with_config(stream, check, Some(config)).await {
        Ok(ws) => {
            tracing::info!(conn, %peer, "connection opened");
            connection::serve(ws, shared, conn).await;
        }
        Err(error) => tracing::info!(conn, %peer, %error, "connection refused"),
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
    voices: &customization::VoiceStore,
) -> Result<Response, ErrorResponse> {
    let refuse = |status: StatusCode, message: &str| {
        let mut refusal = ErrorResponse::new(Some(message.to_owned()));
        *refusal.status_mut() = status;
        refusal
    };
    if request.uri().path() != PATH {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            "not found: the protocol is served at /api-ws/v1/inference",
        ));
    }
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
    // A temporary token from the token endpoint works like the key until it expires.
    if given == Some(key) || given.is_some_and(|t| voices.token_valid(t)) {
        Ok(response)
    } else {
        Err(refuse(
            StatusCode::UNAUTHORIZED,
            "Invalid API-key provided.",
        ))
    }
}
