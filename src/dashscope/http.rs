//! The one HTTP client to the service: a base address, the `Authorization: Bearer` header
//! (an API key or a temporary token), JSON in and out, timeouts, and retries of network
//! errors and 429/5xx with jittered backoff. Errors carry the service's `code` and `message`,
//! never the key.

use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

use crate::session::ApiKey;
use crate::session::retry::{self, Failure, RetryPolicy};

/// When to try a request again: the one retry table (`session::retry`).
const POLICY: RetryPolicy = RetryPolicy::HTTP;
/// Time to open a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time for a whole JSON request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Time for an upload (10 MB on a slow link).
pub const UPLOAD_TIMEOUT: Duration = Duration::from_secs(300);
/// The largest answer read: a designed voice's preview is a few hundred kilobytes.
const MAX_BODY: usize = 32 << 20;

/// What went wrong talking to the service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The service answered with an error.
    #[error("the service refused: {code}: {message} (HTTP {status}{})", request_id.as_deref().map(|id| format!(", request {id}")).unwrap_or_default())]
    Service {
        /// The HTTP status.
        status: u16,
        /// The service's `code` (`BadRequest.VoiceNotFound`, `InvalidApiKey`, ...).
        code: String,
        /// Its `message`.
        message: String,
        /// Its `request_id`, for support.
        request_id: Option<String>,
    },
    /// No answer: connection refused, reset, timed out.
    #[error("cannot reach {url}")]
    Network {
        /// The address (never the key: that travels in a header).
        url: String,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// An answer that is not the service's JSON.
    #[error("unexpected answer from {url}: {reason}")]
    BadResponse {
        /// The address.
        url: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The client could not be built (no TLS roots, ...).
    #[error("cannot start the HTTP client")]
    Build(#[source] reqwest::Error),
}

impl HttpError {
    /// Whether the service answered (else the network failed).
    pub fn is_service(&self) -> bool {
        matches!(self, Self::Service { .. } | Self::BadResponse { .. })
    }

    /// The service's code, if it answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Service { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// A client for one base address and one credential.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    key: ApiKey,
    workspace: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `base` (`https://HOST/api/v1`) with `key`, an API key or temporary token.
    pub fn new(base: &str, key: ApiKey, workspace: Option<String>) -> Result<Self, HttpError> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("tts/", env!("CARGO_PKG_VERSION")))
            .https_only(false)
            .build()
            .map_err(HttpError::Build)?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key,
            workspace,
        })
    }

    /// The base address.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base, path.trim_start_matches('/'))
    }

    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(mut auth) = HeaderValue::from_str(&format!("Bearer {}", self.key.expose())) {
            auth.set_sensitive(true);
            headers.insert(AUTHORIZATION, auth);
        }
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        if let Some(workspace) = self
            .workspace
            .as_deref()
            .and_then(|w| HeaderValue::from_str(w).ok())
        {
            headers.insert("X-DashScope-WorkSpace", workspace);
        }
        headers
    }

    /// POST `body` as JSON to `path` under the base; the whole answer (`output`, `usage`,
    /// `request_id`). `oss_resolve` adds `X-DashScope-OssResourceResolve: enable`, which the
    /// service needs to read `oss://` URLs from its temporary storage.
    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
        oss_resolve: bool,
    ) -> Result<Value, HttpError> {
        let url = self.url(path);
        let bytes = serde_json::to_vec(body).map_err(|e| HttpError::BadResponse {
            url: url.clone(),
            reason: e.to_string(),
        })?;
        let mut headers = self.headers();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        if oss_resolve {
            headers.insert(
                "X-DashScope-OssResourceResolve",
                HeaderValue::from_static("enable"),
            );
        }
        self.send_json(&url, || {
            self.http
                .post(&url)
                .headers(headers.clone())
                .timeout(REQUEST_TIMEOUT)
                .body(bytes.clone())
        })
        .await
    }

    /// GET `path` with `query`; the whole answer.
    pub async fn get_json(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, HttpError> {
        let url = self.url(path);
        self.send_json(&url, || {
            self.http
                .get(&url)
                .headers(self.headers())
                .timeout(REQUEST_TIMEOUT)
                .query(query)
        })
        .await
    }

    /// POST with only a query string (the token endpoint); the whole answer.
    pub async fn post_query(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, HttpError> {
        let url = self.url(path);
        self.send_json(&url, || {
            self.http
                .post(&url)
                .headers(self.headers())
                .timeout(REQUEST_TIMEOUT)
                .query(query)
        })
        .await
    }

    /// A multipart form POST to another host (the upload storage), without the credential,
    /// which that host never needs. `form` builds the form afresh for each attempt.
    pub async fn post_form(
        &self,
        url: &str,
        form: impl Fn() -> reqwest::multipart::Form,
    ) -> Result<(), HttpError> {
        let (status, headers, body) = self
            .send(url, || {
                self.http
                    .post(url)
                    .header(ACCEPT, "application/json")
                    .timeout(UPLOAD_TIMEOUT)
                    .multipart(form())
            })
            .await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(service_error(url, status, &headers, &body))
        }
    }

    /// POST `body` as JSON to `path` and hand back the answer unread, for a streamed body
    /// (Server-Sent Events). Refusals (a non-2xx status) are read and returned as errors;
    /// 429 and 5xx are retried with backoff before anything is streamed.
    pub async fn post_stream(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<reqwest::Response, HttpError> {
        let url = self.url(path);
        let bytes = serde_json::to_vec(body).map_err(|e| HttpError::BadResponse {
            url: url.clone(),
            reason: e.to_string(),
        })?;
        let mut headers = self.headers();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        let mut attempt = 0;
        loop {
            attempt += 1;
            let response = self
                .http
                .post(&url)
                .headers(headers.clone())
                .body(bytes.clone())
                .send()
                .await;
            let response = match response {
                Ok(response) => response,
                Err(source) if attempt > POLICY.max_retries || source.is_builder() => {
                    return Err(HttpError::Network { url, source });
                }
                Err(_) => {
                    tokio::time::sleep(POLICY.backoff(attempt)).await;
                    continue;
                }
            };
            if response.status().is_success() {
                return Ok(response);
            }
            let (status, headers, body) = read(&url, response).await?;
            if attempt > POLICY.max_retries || !retryable(status, &headers, &body) {
                return Err(service_error(&url, status, &headers, &body));
            }
            tracing::debug!(url, attempt, "retrying");
            tokio::time::sleep(POLICY.backoff(attempt)).await;
        }
    }

    async fn send_json(
        &self,
        url: &str,
        request: impl Fn() -> RequestBuilder,
    ) -> Result<Value, HttpError> {
        let (status, headers, body) = self.send(url, request).await?;
        if !status.is_success() {
            return Err(service_error(url, status, &headers, &body));
        }
        let value: Value = serde_json::from_slice(&body).map_err(|e| HttpError::BadResponse {
            url: url.to_owned(),
            reason: format!("not JSON ({e})"),
        })?;
        // A 2xx answer can still carry an error code.
        if let Some(code) = value
            .get("code")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
        {
            return Err(HttpError::Service {
                status: status.as_u16(),
                code: code.to_owned(),
                message: text_field(&value, "message"),
                request_id: request_id(&value, &headers),
            });
        }
        Ok(value)
    }

    /// Send with retries; the status, headers and body of the last answer.
    async fn send(
        &self,
        url: &str,
        request: impl Fn() -> RequestBuilder,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>), HttpError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = match request().send().await {
                Ok(response) => read(url, response).await,
                Err(source) => Err(HttpError::Network {
                    url: url.to_owned(),
                    source,
                }),
            };
            let retry = match &outcome {
                Ok((status, headers, body)) => retryable(*status, headers, body),
                Err(HttpError::Network { source, .. }) => !source.is_builder(),
                Err(_) => false,
            };
            if !retry || attempt > POLICY.max_retries {
                return outcome;
            }
            tracing::debug!(url, attempt, "retrying");
            tokio::time::sleep(POLICY.backoff(attempt)).await;
        }
    }
}

async fn read(
    url: &str,
    mut response: reqwest::Response,
) -> Result<(StatusCode, HeaderMap, Vec<u8>), HttpError> {
    let status = response.status();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|source| HttpError::Network {
            url: url.to_owned(),
            source,
        })?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(HttpError::BadResponse {
                url: url.to_owned(),
                reason: format!("the answer is larger than {} MB", MAX_BODY >> 20),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok((status, headers, body))
}

/// Whether an answer is worth another try, by the retry table: 408, 429 and 5xx, except a
/// spent quota.
fn retryable(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> bool {
    let quota = parse_error(headers, body).is_some_and(|(code, _)| retry::is_quota(&code));
    !quota && retry::is_transient(Failure::Status(status.as_u16()))
}

fn text_field(value: &Value, name: &str) -> String {
    value
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn request_id(value: &Value, headers: &HeaderMap) -> Option<String> {
    value
        .get("request_id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
}

/// The `code` and `message` of an error body, when it is the service's JSON.
fn parse_error(headers: &HeaderMap, body: &[u8]) -> Option<(String, String)> {
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("json"));
    let value: Value = if json {
        serde_json::from_slice(body).ok()?
    } else {
        return None;
    };
    // OpenAI-compatible servers: `{"error": {"message", "code" or "type"}}`.
    if let Some(error) = value.get("error").filter(|e| e.is_object()) {
        let code = ["code", "type"]
            .iter()
            .find_map(|k| error.get(*k).and_then(Value::as_str))
            .unwrap_or("error")
            .to_owned();
        return Some((code, text_field(error, "message")));
    }
    let code = value.get("code").and_then(Value::as_str)?.to_owned();
    let message = value
        .get("message")
        .or_else(|| value.get("msg"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Some((code, message))
}

fn service_error(url: &str, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> HttpError {
    let request = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| request_id(&v, headers));
    match parse_error(headers, body) {
        Some((code, message)) => HttpError::Service {
            status: status.as_u16(),
            code,
            message,
            request_id: request,
        },
        None => {
            // Not the service's JSON (a proxy's page, a plain-text error): its first line.
            let text = String::from_utf8_lossy(body);
            let first = text.lines().next().unwrap_or("").trim();
            let first: String = first.chars().take(200).collect();
            HttpError::Service {
                status: status.as_u16(),
                code: status
                    .canonical_reason()
                    .unwrap_or("Unknown")
                    .replace(' ', ""),
                message: if first.is_empty() {
                    format!("no details from {url}")
                } else {
                    first
                },
                request_id: request,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter() {
        for (n, base) in [(1, 0.5), (2, 1.0), (3, 2.0)] {
            let wait = POLICY.backoff(n).as_secs_f64();
            assert!((base * 0.5..=base * 1.5).contains(&wait), "{n}: {wait}");
        }
    }

    #[test]
    fn a_quota_is_not_retried_but_a_rate_limit_is() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let quota = br#"{"code":"Throttling.AllocationQuota","message":"Maximum voice-clone voice limit exceeded."}"#;
        let rate = br#"{"code":"Throttling.RateQuota","message":"Requests rate limit exceeded"}"#;
        assert!(!retryable(StatusCode::TOO_MANY_REQUESTS, &headers, quota));
        assert!(retryable(StatusCode::TOO_MANY_REQUESTS, &headers, rate));
        assert!(retryable(
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            b"oops"
        ));
        assert!(!retryable(StatusCode::BAD_REQUEST, &headers, rate));
    }

    #[test]
    fn an_error_body_gives_one_line_with_the_code() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let err = service_error(
            "http://x",
            StatusCode::BAD_REQUEST,
            &headers,
            br#"{"request_id":"r1","code":"BadRequest.VoiceNotFound","message":"Voice 'v' not found."}"#,
        );
        assert_eq!(
            err.to_string(),
            "the service refused: BadRequest.VoiceNotFound: Voice 'v' not found. (HTTP 400, request r1)"
        );
        let plain = service_error(
            "http://x",
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            b"<html>\nbad",
        );
        assert_eq!(plain.code(), Some("BadGateway"));
    }
}
