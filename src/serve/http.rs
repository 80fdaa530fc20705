//! The one HTTP listener of `tts serve`: accept with a connection cap and back-off, hyper for
//! HTTP/1.1 with a bounded handshake, and the axum [`Router`] every route is merged into.
//!
//! A WebSocket route is an ordinary handler that calls [`upgrade`] with its protocol room, an
//! async fn over `WebSocketStream<S>` (the CosyVoice room is [`super::connection::serve`]); HTTP
//! APIs are `Router` fragments merged in [`router`]. Everything but `/health` needs the key.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper::body::Incoming;
use hyper::upgrade::Upgraded;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tower::ServiceExt;

use super::connection::{self, Shared};
use crate::cancel::CancelToken;

/// The CosyVoice duplex protocol's path.
pub const COSYVOICE_PATH: &str = "/api-ws/v1/inference";
/// The health endpoint (no key needed).
pub const HEALTH_PATH: &str = "/health";
/// The largest client frame or message accepted: a 20,000-character message, escaped, fits
/// many times.
pub const MAX_FRAME: usize = 1 << 20;
/// Connections refused with 503 being answered at once; more are dropped unanswered.
const MAX_REFUSING: usize = 64;
/// The longest pause between accept errors (out of descriptors): the loop must not spin.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// A WebSocket as a protocol room receives it.
pub type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// What every route shares.
#[derive(Clone)]
pub struct AppState {
    /// The CosyVoice room's engine and limits.
    pub shared: Shared,
    /// The only key accepted, if any.
    pub api_key: Arc<Option<String>>,
}

/// Limits of the listener.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Time for a client to send a whole request head (also the keep-alive idle limit).
    pub handshake: Duration,
    /// Connections served at once; more get HTTP 503.
    pub max_connections: usize,
}

/// One accepted connection, as handlers see it (a request extension).
#[derive(Clone)]
pub struct Conn {
    /// A number for the logs.
    pub id: u64,
    /// The client.
    pub peer: SocketAddr,
    /// The connection's place under `--max-connections`, held until a WebSocket closes too.
    _slot: Arc<OwnedSemaphorePermit>,
}

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    // Later rooms and APIs are merged here, before the key check is layered on.
    let protected = Router::new()
        .route(COSYVOICE_PATH, get(cosyvoice))
        .route_layer(middleware::from_fn_with_state(state.clone(), authorize));
    Router::new()
        .merge(protected)
        .route(HEALTH_PATH, get(health))
        .fallback(not_found)
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

async fn cosyvoice(State(state): State<AppState>, request: Request) -> Response {
    upgrade(request, move |ws, conn| {
        connection::serve(ws, state.shared, conn.id)
    })
}

async fn health() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        "{\"status\":\"ok\"}\n",
    )
}

async fn not_found(uri: Uri) -> Response {
    let message = format!(
        "not found: {}; the CosyVoice protocol is served at {COSYVOICE_PATH}\n",
        uri.path()
    );
    (StatusCode::NOT_FOUND, message).into_response()
}

/// With a key set, `Authorization: Bearer <key>` (the scheme in any case, as SDK 1.24.10 sends
/// `bearer`).
async fn authorize(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(key) = state.api_key.as_deref() {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        // A temporary token from the token endpoint works like the key until it expires.
        if given != Some(key) && !given.is_some_and(|t| state.shared.voices.token_valid(t)) {
            return (StatusCode::UNAUTHORIZED, "Invalid API-key provided.\n").into_response();
        }
    }
    next.run(request).await
}

/// One line per plain HTTP request: method, path (never the query, never a header), status.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let conn = request.extensions().get::<Conn>().cloned();
    let response = next.run(request).await;
    let status = response.status();
    if status != StatusCode::SWITCHING_PROTOCOLS {
        match conn {
            Some(conn) => {
                tracing::info!(conn = conn.id, peer = %conn.peer, %method, path, status = status.as_u16(), "request")
            }
            None => tracing::info!(%method, path, status = status.as_u16(), "request"),
        }
    }
    response
}

/// Answer a WebSocket upgrade with 101 and run `room` on the socket; a request that is not
/// an upgrade gets 426.
pub fn upgrade<F, Fut>(mut request: Request, room: F) -> Response
where
    F: FnOnce(Socket, Conn) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let headers = request.headers();
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    let key = headers.get(header::SEC_WEBSOCKET_KEY).cloned();
    let version_ok = headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v.as_bytes() == b"13");
    let (Some(key), true, true, true) = (
        key,
        has_token(header::UPGRADE, "websocket"),
        has_token(header::CONNECTION, "upgrade"),
        request.method() == Method::GET,
    ) else {
        return upgrade_required();
    };
    if !version_ok {
        return (
            StatusCode::UPGRADE_REQUIRED,
            [(header::SEC_WEBSOCKET_VERSION, "13")],
            "only WebSocket version 13 is spoken\n",
        )
            .into_response();
    }
    let Some(conn) = request.extensions().get::<Conn>().cloned() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "no connection\n").into_response();
    };
    let on_upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let config = WebSocketConfig::default()
                    .max_message_size(Some(MAX_FRAME))
                    .max_frame_size(Some(MAX_FRAME));
                let ws = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await;
                tracing::info!(conn = conn.id, peer = %conn.peer, "connection opened");
                // The connection keeps its place under the cap until the room is done.
                let held = conn.clone();
                room(ws, conn).await;
                tracing::info!(conn = held.id, "connection closed");
                drop(held);
            }
            Err(error) => tracing::info!(conn = conn.id, %error, "upgrade failed"),
        }
    });
    let accept = derive_accept_key(key.as_bytes());
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&accept) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    response
}

fn upgrade_required() -> Response {
    (
        StatusCode::UPGRADE_REQUIRED,
        [
            (header::UPGRADE, "websocket"),
            (header::CONNECTION, "Upgrade"),
        ],
        "this path speaks WebSocket: connect with a WebSocket client\n",
    )
        .into_response()
}

/// A trailing slash names the same resource (`/api-ws/v1/inference/`).
fn normalize(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    if path.len() <= 1 || !path.ends_with('/') {
        return None;
    }
    let trimmed = path.trim_end_matches('/');
    let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
    let rebuilt = match uri.query() {
        Some(query) => format!("{trimmed}?{query}"),
        None => trimmed.to_owned(),
    };
    rebuilt.parse().ok()
}

/// Accept until `cancel`; each connection is served by `app`.
pub async fn serve(listener: TcpListener, app: Router, limits: Limits, cancel: &CancelToken) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let next_id = AtomicU64::new(1);
    let mut ticker = tokio::time::interval(Duration::from_millis(50));
    let mut backoff = Duration::ZERO;
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    backoff = Duration::ZERO;
                    let id = next_id.fetch_add(1, Ordering::Relaxed);
                    match Arc::clone(&slots).try_acquire_owned() {
                        Ok(slot) => {
                            let conn = Conn { id, peer, _slot: Arc::new(slot) };
                            tokio::spawn(serve_connection(stream, conn, app.clone(), limits));
                        }
                        Err(_) => {
                            tracing::warn!(conn = id, %peer, max = limits.max_connections, "too many connections: refused with 503");
                            if let Ok(permit) = Arc::clone(&refusing).try_acquire_owned() {
                                tokio::spawn(refuse(stream, permit, limits));
                            }
                        }
                    }
                }
                Err(error) => {
                    // Out of descriptors (EMFILE) and the like: accept would fail again at
                    // once, so wait, longer each time, for connections to close.
                    backoff = (backoff * 2).clamp(Duration::from_millis(10), MAX_BACKOFF);
                    tracing::warn!(%error, backoff_ms = backoff.as_millis(), "cannot accept a connection");
                    tokio::time::sleep(backoff).await;
                }
            },
            _ = ticker.tick() => {
                if cancel.is_cancelled() {
                    return;
                }
            }
        }
    }
}

fn http1() -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new());
    builder
}

async fn serve_connection(stream: TcpStream, conn: Conn, app: Router, limits: Limits) {
    let _ = stream.set_nodelay(true);
    let (id, peer) = (conn.id, conn.peer);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(conn.clone());
        if let Some(uri) = normalize(request.uri()) {
            *request.uri_mut() = uri;
        }
        app.clone().oneshot(request.map(Body::new))
    });
    let served = http1()
        .header_read_timeout(limits.handshake)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades()
        .await;
    if let Err(error) = served {
        tracing::info!(conn = id, %peer, %error, "connection ended");
    }
}

/// Answer 503 to a connection over the cap, briefly.
async fn refuse(stream: TcpStream, _permit: OwnedSemaphorePermit, limits: Limits) {
    let service = hyper::service::service_fn(|_request: hyper::Request<Incoming>| async {
        let mut response = Response::new(Body::from(
            "too many connections: try again later, or raise --max-connections\n",
        ));
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        Ok::<_, Infallible>(response)
    });
    let answer = http1()
        .keep_alive(false)
        .header_read_timeout(limits.handshake)
        .serve_connection(TokioIo::new(stream), service);
    let _ = tokio::time::timeout(limits.handshake + Duration::from_secs(1), answer).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailing_slash_names_the_same_path() {
        let uri: Uri = "/api-ws/v1/inference/".parse().expect("uri");
        assert_eq!(
            normalize(&uri).expect("changed").path(),
            "/api-ws/v1/inference"
        );
        let uri: Uri = "/api-ws/v1/realtime/?model=x".parse().expect("uri");
        assert_eq!(
            normalize(&uri).expect("changed").to_string(),
            "/api-ws/v1/realtime?model=x"
        );
        assert!(normalize(&"/".parse().expect("uri")).is_none());
        assert!(normalize(&"/health".parse().expect("uri")).is_none());
    }
}
