//! `tts serve`: the CosyVoice duplex protocol over WebSocket, spoken by the offline engine, so
//! the official SDKs and any CosyVoice client work with no network and no key.
//!
//! A multi-thread tokio runtime serves one HTTP listener ([`http`]: axum on hyper); each
//! WebSocket connection is one task ([`connection`]); one shared engine thread ([`synth`])
//! speaks for all of them.

pub mod connection;
pub mod customization;
pub mod gateway;
pub mod http;
pub mod openai;
pub mod qwen;
pub mod ssml;
pub mod synth;
pub mod validate;
pub mod voices;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::cancel::CancelToken;
use crate::engine::EngineError;
use connection::Shared;
use synth::SynthPool;

/// The path the service serves.
pub const PATH: &str = http::COSYVOICE_PATH;
/// Time for a client to send its whole upgrade request (slow clients are cut off).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections served at once by default.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1000;
/// How long a WebSocket with no task may stay silent by default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The only key accepted, if any.
    pub api_key: Option<String>,
    /// The limit between client messages during a task.
    pub client_timeout: Duration,
    /// The limit on a connection with no task and no message.
    pub idle_timeout: Duration,
    /// Connections served at once; more get HTTP 503.
    pub max_connections: usize,
    /// The neural voice that speaks, when one is installed (else espeak-ng speaks).
    pub neural: Option<Box<crate::engine::local::NeuralParams>>,
    /// Where custom voices are kept; `None` keeps them in memory.
    pub state_dir: Option<std::path::PathBuf>,
    /// Custom voices allowed per family.
    pub voice_quota: usize,
    /// The service the OpenAI API sends CosyVoice models to, if any.
    pub upstream: Option<gateway::Upstream>,
    /// The longest OpenAI `input`, in characters.
    pub max_input: usize,
    /// The one origin browsers may call the OpenAI API from.
    pub cors: Option<axum::http::HeaderValue>,
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

/// Serve until Ctrl-C; `on_listening` hears the bound address (port 0 picks one).
pub fn run(
    options: &ServeOptions,
    cancel: &CancelToken,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let pool = SynthPool::start(options.neural.clone())?;
    match &options.neural {
        Some(neural) => tracing::info!("speaking with the neural voice {}", neural.voice.name),
        None => tracing::info!("speaking with espeak-ng (no neural voice is installed)"),
    }
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
        on_listening(addr);
        // Custom voices, uploads and tokens: the upload host in a policy is this listener.
        let voices = customization::router(customization::CustomizationState {
            store: store.clone(),
            pool: pool.clone(),
            api_key: options.api_key.clone(),
            public_base: format!("http://{addr}"),
        });
        let encoders = Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
        ));
        let speech = openai::router(
            openai::OpenAiState {
                pool: pool.clone(),
                encoders: Arc::clone(&encoders),
                api_key: Arc::new(options.api_key.clone()),
                store: store.clone(),
                max_input: options.max_input,
                upstream: options.upstream.clone().map(Arc::new),
            },
            options.cors.clone(),
        );
        let state = http::AppState {
            shared: Shared {
                pool,
                client_timeout: options.client_timeout,
                idle_timeout: options.idle_timeout,
                encoders,
                voices: store,
            },
            api_key: Arc::new(options.api_key.clone()),
        };
        let limits = http::Limits {
            handshake: HANDSHAKE_TIMEOUT,
            max_connections: options.max_connections,
        };
        http::serve(
            listener,
            http::router(state).merge(voices).merge(speech),
            limits,
            cancel,
        )
        .await;
        Ok(())
    })
}
