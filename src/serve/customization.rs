//! `tts serve`'s HTTP side: the customization endpoint for the three custom-voice families with
//! every action, the upload policy and an upload receiver (so the SDK's temporary-storage flow
//! runs locally), and the temporary-token endpoint, as an axum [`Router`] fragment.
//!
//! Voices live in a [`VoiceStore`], saved to `voices.json` under the state directory (written
//! to a temporary file and renamed). A cloned voice is spoken by an espeak-ng voice of the
//! sample's estimated pitch; a designed one by a voice chosen from the description's gender,
//! age, pitch and rate words (see docs/protocol.md). Nothing a client sends becomes a path:
//! ids are made here, and looked up in a map.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc::unbounded_channel;

use super::synth::{Job, JobEvent, SynthPool};
use crate::dashscope::customization::Family;
use crate::engine::local::LocalParams;
use crate::voice::rules;
use crate::voice::sample::{self, SampleError};

/// Where the upload receiver listens, under the server's address.
pub const UPLOAD_PATH: &str = "/oss-upload";
/// The largest request body: a 10 MB sample as a base64 data URL, with room to spare.
const MAX_BODY: usize = 15 << 20;
/// Uploads kept in memory at once; the oldest go first (the service keeps them 48 h).
const MAX_UPLOADS: usize = 16;
/// How long a new CosyVoice voice stays `DEPLOYING`.
const DEPLOY_TIME: Duration = Duration::from_millis(1200);
/// Voices per family, as the service allows.
pub const DEFAULT_QUOTA: usize = 1000;
/// Live temporary tokens kept at most.
const MAX_TOKENS: usize = 10_000;
/// Longest preview spoken.
const MAX_PREVIEW_SECONDS: usize = 60;

/// How an offline voice speaks for a custom one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalVoice {
    /// The espeak-ng voice and variant (`en-us+m3`).
    pub voice: String,
    /// Pitch factor, 0.5 to 2.0.
    pub pitch: f32,
    /// Rate factor, 0.5 to 2.0.
    pub rate: f32,
}

impl LocalVoice {
    /// The offline parameters for a request's prosody: the voice's own pitch and rate times
    /// the request's, kept in range.
    pub fn params(&self, asked: &LocalParams) -> LocalParams {
        LocalParams {
            voice: Some(self.voice.clone()),
            rate: (self.rate * asked.rate).clamp(0.5, 2.0),
            pitch: (self.pitch * asked.pitch).clamp(0.5, 2.0),
            volume: asked.volume,
            neural: None,
        }
    }
}

/// A custom voice as synthesis sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomVoice {
    /// The only model it speaks with.
    pub target_model: String,
    /// `false` while still `DEPLOYING`.
    pub ready: bool,
    /// Who speaks for it.
    pub local: LocalVoice,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    id: String,
    family: Family,
    target_model: String,
    created_ms: u64,
    modified_ms: u64,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    voice_prompt: Option<String>,
    #[serde(default)]
    preview_text: Option<String>,
    #[serde(default)]
    resource_link: Option<String>,
    local: LocalVoice,
}

impl Record {
    fn status(&self, now: u64) -> &'static str {
        if now < self.modified_ms + DEPLOY_TIME.as_millis() as u64 {
            "DEPLOYING"
        } else {
            "OK"
        }
    }

    fn json(&self, now: u64) -> Value {
        let mut out = Map::new();
        out.insert(id_field(self.family).into(), self.id.clone().into());
        out.insert("target_model".into(), self.target_model.clone().into());
        out.insert("gmt_create".into(), gmt(self.created_ms).into());
        out.insert("gmt_modified".into(), gmt(self.modified_ms).into());
        if self.family == Family::CosyVoice {
            out.insert("status".into(), self.status(now).into());
        }
        for (name, value) in [
            ("language", &self.language),
            ("voice_prompt", &self.voice_prompt),
            ("preview_text", &self.preview_text),
            ("resource_link", &self.resource_link),
        ] {
            if let Some(value) = value {
                out.insert(name.into(), value.clone().into());
            }
        }
        Value::Object(out)
    }
}

fn id_field(family: Family) -> &'static str {
    if family == Family::CosyVoice {
        "voice_id"
    } else {
        "voice"
    }
}

#[derive(Default)]
struct Inner {
    voices: Vec<Record>,
    uploads: Vec<(String, Vec<u8>)>,
    upload_dirs: Vec<String>,
    tokens: HashMap<String, u64>,
    uploads_received: u64,
}

/// The server's custom voices, uploads and tokens.
#[derive(Clone)]
pub struct VoiceStore {
    inner: Arc<Mutex<Inner>>,
    file: Option<PathBuf>,
    quota: usize,
}

impl std::fmt::Debug for VoiceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VoiceStore")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// `YYYY-MM-DD hh:mm:ss` (UTC) of a Unix time in ms.
fn gmt(ms: u64) -> String {
    let (date, time) = civil(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        date.0, date.1, date.2, time.0, time.1, time.2
    )
}

/// A calendar date: year, month, day.
type Date = (i64, u32, u32);
/// A time of day: hour, minute, second, millisecond.
type Time = (u64, u64, u64, u64);

/// The UTC date and time of a Unix time in ms.
fn civil(ms: u64) -> (Date, Time) {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        (year, month, day),
        (rest / 3600, rest / 60 % 60, rest % 60, ms % 1000),
    )
}

fn random_hex(n: usize) -> String {
    uuid::Uuid::new_v4().simple().to_string()[..n].to_owned()
}

/// Whether a string may be a voice id this server made (checked on load, too).
fn valid_id(id: &str) -> bool {
    (1..=160).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl VoiceStore {
    /// A store saved under `dir` (made if missing), or in memory only with `None`.
    pub fn open(dir: Option<&Path>, quota: usize) -> std::io::Result<Self> {
        let mut inner = Inner::default();
        let file = match dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                let file = dir.join("voices.json");
                match std::fs::read(&file) {
                    Ok(bytes) => {
                        let records: Vec<Record> = serde_json::from_slice(&bytes).map_err(|e| {
                            std::io::Error::new(
                                std::io::ErrorKind::InvalidData,
                                format!("{} is damaged: {e}", file.display()),
                            )
                        })?;
                        inner.voices = records.into_iter().filter(|r| valid_id(&r.id)).collect();
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
                Some(file)
            }
            None => None,
        };
        Ok(Self {
            inner: Arc::new(Mutex::new(inner)),
            file,
            quota,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data; keep serving.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The voice `id`, for synthesis (CosyVoice's room and Qwen's).
    pub fn lookup(&self, id: &str) -> Option<CustomVoice> {
        let now = now_ms();
        self.lock()
            .voices
            .iter()
            .find(|r| r.id == id)
            .map(|r| CustomVoice {
                target_model: r.target_model.clone(),
                ready: r.status(now) == "OK",
                local: r.local.clone(),
            })
    }

    /// Whether `token` is a live temporary token this server issued.
    pub fn token_valid(&self, token: &str) -> bool {
        let now = now_ms();
        self.lock()
            .tokens
            .get(token)
            .is_some_and(|expires| *expires > now)
    }

    /// Uploads received since the start.
    pub fn uploads_received(&self) -> u64 {
        self.lock().uploads_received
    }

    fn save(&self, inner: &Inner) {
        let Some(file) = &self.file else { return };
        let saved = (|| -> std::io::Result<()> {
            let dir = file.parent().unwrap_or(Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
            serde_json::to_writer_pretty(&mut tmp, &inner.voices)?;
            tmp.persist(file).map_err(|e| e.error)?;
            Ok(())
        })();
        if let Err(error) = saved {
            tracing::warn!(%error, file = %file.display(), "cannot save the voices");
        }
    }
}

/// What the routes share.
#[derive(Clone)]
pub struct CustomizationState {
    /// The voices.
    pub store: VoiceStore,
    /// The engine, for designed voices' previews.
    pub pool: SynthPool,
    /// The only key accepted, if any (temporary tokens are accepted too).
    pub api_key: Option<String>,
    /// This server's own `http://ADDR`, for the upload host in policies.
    pub public_base: String,
}

/// The routes: `/api/v1/services/audio/tts/customization`, `/api/v1/uploads`,
/// `/api/v1/tokens` and the upload receiver.
pub fn router(state: CustomizationState) -> Router {
    Router::new()
        .route(
            "/api/v1/services/audio/tts/customization",
            post(customization),
        )
        .route("/api/v1/uploads", get(upload_policy))
        .route("/api/v1/tokens", post(token))
        .route(UPLOAD_PATH, post(receive_upload))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// An error answer in the service's shape.
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError {
        status,
        code,
        message: message.into(),
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    error(StatusCode::BAD_REQUEST, "InvalidParameter", message)
}

fn not_found(id: &str) -> ApiError {
    error(
        StatusCode::BAD_REQUEST,
        "BadRequest.VoiceNotFound",
        format!("Voice '{id}' not found."),
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "request_id": uuid::Uuid::new_v4().to_string(),
            "code": self.code,
            "message": self.message,
        });
        (self.status, axum::Json(body)).into_response()
    }
}

fn ok(output: Value, count: u32) -> Response {
    axum::Json(json!({
        "output": output,
        "usage": {"count": count},
        "request_id": uuid::Uuid::new_v4().to_string(),
    }))
    .into_response()
}

fn authorize(state: &CustomizationState, headers: &HeaderMap) -> Result<(), ApiError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty());
    let accepted = match (given, &state.api_key) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(given), Some(key)) => given == key || state.store.token_valid(given),
    };
    if accepted {
        Ok(())
    } else {
        Err(error(
            StatusCode::UNAUTHORIZED,
            "InvalidApiKey",
            "Invalid API-key provided.",
        ))
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    expire_in_seconds: Option<String>,
}

async fn token(
    State(state): State<CustomizationState>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Response {
    if let Err(e) = authorize(&state, &headers) {
        return e.into_response();
    }
    let ttl = match query.expire_in_seconds.as_deref().map(str::parse::<u64>) {
        None => 60,
        Some(Ok(ttl)) if (1..=1800).contains(&ttl) => ttl,
        Some(_) => {
            return invalid("expire_in_seconds must be from 1 to 1800.").into_response();
        }
    };
    let token = format!("st-{}", uuid::Uuid::new_v4().simple());
    let expires = now_ms() + ttl * 1000;
    {
        let mut inner = state.store.lock();
        let now = now_ms();
        inner.tokens.retain(|_, e| *e > now);
        if inner.tokens.len() >= MAX_TOKENS {
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                "Throttling.RateQuota",
                "Too many live temporary tokens; wait for some to expire.",
            )
            .into_response();
        }
        inner.tokens.insert(token.clone(), expires);
    }
    axum::Json(json!({"token": token, "expires_at": expires / 1000})).into_response()
}

#[derive(Deserialize)]
struct PolicyQuery {
    action: Option<String>,
    model: Option<String>,
}

async fn upload_policy(
    State(state): State<CustomizationState>,
    headers: HeaderMap,
    Query(query): Query<PolicyQuery>,
) -> Response {
    if let Err(e) = authorize(&state, &headers) {
        return e.into_response();
    }
    if query.action.as_deref() != Some("getPolicy") {
        return invalid("action must be getPolicy.").into_response();
    }
    let Some(model) = query.model.filter(|m| !m.is_empty() && m.len() <= 64) else {
        return invalid("Missing required parameter 'model'.").into_response();
    };
    let dir = format!("tts-serve/{}", uuid::Uuid::new_v4().simple());
    {
        let mut inner = state.store.lock();
        inner.upload_dirs.push(dir.clone());
        let excess = inner.upload_dirs.len().saturating_sub(256);
        inner.upload_dirs.drain(..excess);
    }
    tracing::info!(model, "upload policy issued");
    ok(
        json!({
            "policy": base64::engine::general_purpose::STANDARD.encode(format!("{{\"dir\":\"{dir}\"}}")),
            "signature": random_hex(28),
            "upload_dir": dir,
            "upload_host": format!("{}{UPLOAD_PATH}", state.public_base),
            "expire_in_seconds": 300,
            "max_file_size_mb": 10,
            "capacity_limit_mb": 999_999_999,
            "oss_access_key_id": "tts-serve",
            "x_oss_object_acl": "private",
            "x_oss_forbid_overwrite": "true",
        }),
        0,
    )
}

/// The storage's form upload: fields, then the file; the key must be under an issued dir.
async fn receive_upload(State(state): State<CustomizationState>, mut form: Multipart) -> Response {
    let refuse = |message: &str| {
        (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/xml")],
            format!("<Error><Code>InvalidArgument</Code><Message>{message}</Message></Error>"),
        )
            .into_response()
    };
    let mut key = None;
    let mut file = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return refuse(&format!("bad form: {e}")),
        };
        match field.name() {
            Some("key") => key = field.text().await.ok(),
            Some("file") => match field.bytes().await {
                Ok(bytes) => file = Some(bytes.to_vec()),
                Err(e) => return refuse(&format!("bad file: {e}")),
            },
            _ => {}
        }
    }
    let (Some(key), Some(file)) = (key, file) else {
        return refuse("the form needs key and file");
    };
    let under_issued = {
        let inner = state.store.lock();
        inner.upload_dirs.iter().any(|dir| {
            key.strip_prefix(dir.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|name| {
                    !name.is_empty()
                        && name.len() <= 200
                        && !name.contains('/')
                        && name.bytes().all(|b| b.is_ascii_graphic())
                })
        })
    };
    if !under_issued {
        return refuse("the key is not under an upload_dir this server issued");
    }
    if file.len() as u64 > sample::MAX_BYTES {
        return refuse("the file is larger than 10 MB");
    }
    tracing::info!(key, bytes = file.len(), "upload received");
    let mut inner = state.store.lock();
    inner.uploads_received += 1;
    inner.uploads.retain(|(k, _)| *k != key);
    inner.uploads.push((key, file));
    let excess = inner.uploads.len().saturating_sub(MAX_UPLOADS);
    inner.uploads.drain(..excess);
    StatusCode::OK.into_response()
}

async fn customization(
    State(state): State<CustomizationState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(e) = authorize(&state, &headers) {
        return e.into_response();
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(e) => return invalid(format!("The request body is not JSON: {e}")).into_response(),
    };
    let oss = headers
        .get("x-dashscope-ossresourceresolve")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("enable"));
    match handle(&state, &request, oss).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

fn text<'a>(input: &'a Value, name: &str) -> Option<&'a str> {
    input
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn required<'a>(input: &'a Value, name: &str) -> Result<&'a str, ApiError> {
    text(input, name).ok_or_else(|| invalid(format!("Missing required parameter 'input.{name}'.")))
}

fn page(input: &Value, name: &str, default: u64) -> Result<usize, ApiError> {
    match input.get(name) {
        None | Some(Value::Null) => Ok(default as usize),
        Some(v) => v
            .as_u64()
            .filter(|n| *n <= 1_000_000)
            .map(|n| n as usize)
            .ok_or_else(|| {
                invalid(format!(
                    "'{name}' must be a whole number from 0 to 1000000."
                ))
            }),
    }
}

async fn handle(
    state: &CustomizationState,
    request: &Value,
    oss: bool,
) -> Result<Response, ApiError> {
    let family = match request.get("model").and_then(Value::as_str) {
        Some("voice-enrollment") => Family::CosyVoice,
        Some("qwen-voice-enrollment") => Family::QwenClone,
        Some("qwen-voice-design") => Family::QwenDesign,
        Some(other) => return Err(invalid(format!("Model not exist: {other}"))),
        None => return Err(invalid("Missing required parameter 'model'.")),
    };
    let input = request
        .get("input")
        .filter(|i| i.is_object())
        .ok_or_else(|| invalid("Missing required parameter 'input'."))?;
    let action = required(input, "action")?;
    let parameters = request.get("parameters").cloned().unwrap_or(Value::Null);
    let now = now_ms();
    match (family, action) {
        (Family::CosyVoice, "create_voice")
        | (Family::QwenClone | Family::QwenDesign, "create") => {
            create(state, family, input, &parameters, oss).await
        }
        (Family::CosyVoice, "list_voice") | (Family::QwenClone | Family::QwenDesign, "list") => {
            let index = page(input, "page_index", 0)?;
            let size = page(input, "page_size", 10)?;
            let prefix = text(input, "prefix");
            let inner = state.store.lock();
            let all: Vec<&Record> = inner
                .voices
                .iter()
                .filter(|r| {
                    r.family == family
                        || (family == Family::CosyVoice && r.family == Family::CosyVoice)
                })
                .filter(|r| r.family == family)
                .filter(|r| prefix.is_none_or(|p| r.id.contains(&format!("-{p}-"))))
                .collect();
            let items: Vec<Value> = all
                .iter()
                .skip(index.saturating_mul(size))
                .take(size)
                .map(|r| r.json(now))
                .collect();
            let mut output = json!({ "voice_list": items });
            if family != Family::CosyVoice {
                output["page_index"] = index.into();
                output["page_size"] = size.into();
                output["total_count"] = all.len().into();
            }
            Ok(ok(output, 0))
        }
        (Family::CosyVoice, "query_voice") | (Family::QwenDesign, "query") => {
            let id = required(input, id_field(family))?;
            let inner = state.store.lock();
            let record = inner
                .voices
                .iter()
                .find(|r| r.id == id && r.family == family)
                .ok_or_else(|| not_found(id))?;
            Ok(ok(record.json(now), 0))
        }
        (Family::CosyVoice, "update_voice") => {
            let id = required(input, "voice_id")?.to_owned();
            let url = required(input, "url")?;
            if !state
                .store
                .lock()
                .voices
                .iter()
                .any(|r| r.id == id && r.family == family)
            {
                return Err(not_found(&id));
            }
            let (bytes, link) = fetch(state, url, oss)?;
            let local = clone_voice(bytes, sample::Rules::COSYVOICE, "en").await?;
            let mut inner = state.store.lock();
            let record = inner
                .voices
                .iter_mut()
                .find(|r| r.id == id)
                .ok_or_else(|| not_found(&id))?;
            record.local = local;
            record.modified_ms = now_ms();
            record.resource_link = Some(link);
            state.store.save(&inner);
            Ok(ok(json!({}), 1))
        }
        (Family::CosyVoice, "delete_voice")
        | (Family::QwenClone | Family::QwenDesign, "delete") => {
            let id = required(input, id_field(family))?.to_owned();
            let mut inner = state.store.lock();
            let before = inner.voices.len();
            inner.voices.retain(|r| !(r.id == id && r.family == family));
            if inner.voices.len() == before {
                return Err(not_found(&id));
            }
            state.store.save(&inner);
            tracing::info!(voice = id, "voice deleted");
            let output = if family == Family::CosyVoice {
                json!({})
            } else {
                json!({ "voice": id })
            };
            Ok(ok(output, 0))
        }
        (_, other) => Err(invalid(format!(
            "Unsupported action '{other}' for model {}.",
            family.model()
        ))),
    }
}

/// The sample a create or update names: an upload (`oss://`, with the resolve header), or a
/// data URL. This server has no network, so other URLs are refused.
fn fetch(state: &CustomizationState, url: &str, oss: bool) -> Result<(Vec<u8>, String), ApiError> {
    if let Some(key) = url.strip_prefix("oss://") {
        if !oss {
            return Err(invalid(
                "oss:// URLs need the header X-DashScope-OssResourceResolve: enable.",
            ));
        }
        let inner = state.store.lock();
        return inner
            .uploads
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, bytes)| (bytes.clone(), url.to_owned()))
            .ok_or_else(|| invalid(format!("The file {url} does not exist or has expired.")));
    }
    if let Some(rest) = url.strip_prefix("data:") {
        let (_, data) = rest
            .split_once(";base64,")
            .ok_or_else(|| invalid("A data URL must be data:<mime>;base64,<data>."))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .map_err(|_| invalid("The data URL is not valid base64."))?;
        return Ok((bytes, "data:".to_owned()));
    }
    Err(invalid(
        "tts serve has no network and cannot download URLs: upload the file (oss://) or send a data: URL.",
    ))
}

fn sample_error(e: &SampleError) -> ApiError {
    let (status, code, message) = match e {
        SampleError::TooLarge { .. } => (430, "Audio.FileSizeExceed", "File too large".to_owned()),
        SampleError::TooLong { .. } => (
            400,
            "Audio.DurationLimitError",
            "Audio duration exceeds maximum allowed limit.".to_owned(),
        ),
        SampleError::LowRate { .. } => (
            400,
            "Audio.AudioRateError",
            "File sample rate unsupported.".to_owned(),
        ),
        SampleError::Silent { .. } | SampleError::FirstChannelSilent { .. } => (
            430,
            "Audio.AudioSilentError",
            "Silent file unsupported.".to_owned(),
        ),
        SampleError::Pause { .. }
        | SampleError::NoContinuousSpeech { .. }
        | SampleError::TooShort { .. } => (
            400,
            "Audio.PreprocessError",
            "No segments meet minimum duration requirement".to_owned(),
        ),
        _ => (
            400,
            "Audio.DecoderError",
            "Decoder audio file failed.".to_owned(),
        ),
    };
    ApiError {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        code,
        message,
    }
}

/// Analyse a sample (off the runtime's threads) and choose the voice that speaks for it.
async fn clone_voice(
    bytes: Vec<u8>,
    sample_rules: sample::Rules,
    language: &str,
) -> Result<LocalVoice, ApiError> {
    let language = language.to_owned();
    tokio::task::spawn_blocking(move || {
        let decoded = sample::decode("sample", bytes).map_err(|e| sample_error(&e))?;
        sample::check("sample", &decoded, sample_rules).map_err(|e| sample_error(&e))?;
        let f0 = sample::pitch(&decoded.first, decoded.rate);
        Ok(voice_for_pitch(f0, &language))
    })
    .await
    .map_err(|_| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "audio preprocess server error",
        )
    })?
}

fn base_voice(language: &str) -> &'static str {
    if language == "zh" { "cmn" } else { "en-us" }
}

/// A cloned voice: espeak-ng's male variant below 165 Hz, else the female one, with the pitch
/// moved toward the speaker's (espeak's male voice sits near 118 Hz, its female near 200 Hz).
fn voice_for_pitch(f0: Option<f32>, language: &str) -> LocalVoice {
    let base = base_voice(language);
    let (variant, reference) = match f0 {
        Some(f) if f < 165.0 => ("m3", 118.0),
        Some(_) => ("f2", 200.0),
        None => ("m3", 118.0),
    };
    LocalVoice {
        voice: format!("{base}+{variant}"),
        pitch: f0.map_or(1.0, |f| (f / reference).clamp(0.6, 1.6)),
        rate: 1.0,
    }
}

/// A designed voice from the description's words (English or Chinese): gender picks the
/// variant, age and pitch words move the pitch, pace words the rate.
pub fn voice_for_description(description: &str, language: &str) -> LocalVoice {
    let text = description.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    let female = has(&["female", "woman", "girl", "lady", "女"]);
    let male = !female && has(&["male", "man", "boy", "gentleman", "男"]);
    let child = has(&[
        "child", "kid", "boy", "girl", "young", "儿童", "孩", "少年", "少女", "年轻",
    ]);
    let old = has(&["old ", "elderly", "senior", "grand", "老"]);
    let variant = match (female, male, child, old) {
        (_, _, true, _) if !male => "f5",
        (true, _, _, true) => "f4",
        (true, _, _, _) => "f2",
        (_, _, _, true) => "m7",
        _ => "m3",
    };
    let mut pitch: f32 = 1.0;
    if child {
        pitch *= 1.25;
    }
    if old {
        pitch *= 0.9;
    }
    if has(&["deep", "low", "bass", "husky", "低沉", "浑厚", "磁性"]) {
        pitch *= 0.8;
    }
    if has(&["high", "bright", "sweet", "shrill", "高亢", "清脆", "甜"]) {
        pitch *= 1.2;
    }
    let mut rate: f32 = 1.0;
    if has(&["fast", "quick", "energetic", "lively", "快", "活泼"]) {
        rate *= 1.25;
    }
    if has(&[
        "slow", "calm", "steady", "gentle", "relaxed", "慢", "沉稳", "温柔", "平静",
    ]) {
        rate *= 0.85;
    }
    LocalVoice {
        voice: format!("{}+{variant}", base_voice(language)),
        pitch: pitch.clamp(0.5, 2.0),
        rate: rate.clamp(0.5, 2.0),
    }
}

/// Speak `text` with `voice` into WAV or MP3 bytes at `rate`.
async fn preview(
    state: &CustomizationState,
    voice: &LocalVoice,
    text: &str,
    format: &str,
    rate: u32,
) -> Result<Vec<u8>, ApiError> {
    let failed = |why: String| error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", why);
    let (reply, mut replies) = unbounded_channel();
    let job = Job {
        text: text.to_owned(),
        params: voice.params(&LocalParams::default()),
        cancel: Arc::default(),
        reply,
    };
    if !state.pool.submit(job) {
        return Err(failed("the engine is gone".into()));
    }
    let engine_rate = state.pool.sample_rate();
    let limit = engine_rate.get() as usize * MAX_PREVIEW_SECONDS;
    let mut samples: Vec<i16> = Vec::new();
    loop {
        match replies.recv().await {
            Some(JobEvent::Audio(chunk)) => {
                if samples.len() < limit {
                    samples.extend(chunk);
                }
            }
            Some(JobEvent::Word(_)) => {}
            Some(JobEvent::Done) | None => break,
            Some(JobEvent::Failed(why)) => return Err(failed(why)),
        }
    }
    let to = crate::audio::SampleRate::new(rate).ok_or_else(|| failed("bad rate".into()))?;
    let mut resampler = crate::audio::resample::StreamResampler::new(engine_rate, to)
        .map_err(|e| failed(e.to_string()))?;
    let mut input = Vec::new();
    crate::audio::i16_to_f32(&samples, &mut input);
    let mut out = Vec::new();
    resampler
        .process(&input, &mut out)
        .map_err(|e| failed(e.to_string()))?;
    resampler
        .finish(&mut out)
        .map_err(|e| failed(e.to_string()))?;
    let mut pcm = Vec::new();
    crate::audio::f32_to_i16(&out, &mut pcm);
    let mut bytes = Vec::new();
    match format {
        "pcm" => bytes.extend(pcm.iter().flat_map(|s| s.to_le_bytes())),
        "mp3" => {
            let mut encoder =
                crate::audio::encode::encoder(crate::audio::AudioFormat::Mp3, to, None)
                    .map_err(|e| failed(e.to_string()))?;
            encoder
                .encode(&pcm, &mut bytes)
                .map_err(|e| failed(e.to_string()))?;
            encoder
                .finish(&mut bytes)
                .map_err(|e| failed(e.to_string()))?;
        }
        _ => {
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: rate,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            };
            let mut cursor = std::io::Cursor::new(Vec::new());
            let mut writer =
                hound::WavWriter::new(&mut cursor, spec).map_err(|e| failed(e.to_string()))?;
            for s in &pcm {
                writer.write_sample(*s).map_err(|e| failed(e.to_string()))?;
            }
            writer.finalize().map_err(|e| failed(e.to_string()))?;
            bytes = cursor.into_inner();
        }
    }
    Ok(bytes)
}

fn new_id(family: Family, target: &str, name: &str, designed: bool, now: u64) -> String {
    let ((y, mo, d), (h, mi, s, ms)) = civil(now);
    match family {
        Family::CosyVoice if designed => format!("{target}-vd-{name}-{}", random_hex(8)),
        Family::CosyVoice => format!("{target}-{name}-{}", random_hex(8)),
        Family::QwenClone => format!(
            "qwen-tts-vc-{name}-voice-{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}{ms:03}-{}",
            random_hex(4)
        ),
        Family::QwenDesign => format!(
            "qwen-tts-vd-{name}-voice-{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}-{}",
            random_hex(4)
        ),
    }
}

async fn create(
    state: &CustomizationState,
    family: Family,
    input: &Value,
    parameters: &Value,
    oss: bool,
) -> Result<Response, ApiError> {
    let target = required(input, "target_model")?.to_owned();
    let designed = text(input, "voice_prompt").is_some();
    let allowed: &[&str] = match (family, designed) {
        (Family::CosyVoice, false) => &rules::COSYVOICE_CLONE,
        (Family::CosyVoice, true) => &rules::COSYVOICE_DESIGN,
        (Family::QwenClone, _) => &rules::QWEN_CLONE,
        (Family::QwenDesign, _) => &rules::QWEN_DESIGN,
    };
    if !allowed.contains(&target.as_str()) {
        return Err(invalid(format!(
            "target_model {target} is not supported for this request."
        )));
    }
    let name = if family == Family::CosyVoice {
        let prefix = required(input, "prefix")?;
        rules::check_prefix(prefix)
            .map_err(|_| invalid("prefix must be 1 to 10 lowercase letters and digits."))?;
        prefix.to_owned()
    } else {
        let name = text(input, "preferred_name").unwrap_or("voice");
        rules::check_preferred_name(name).map_err(|_| {
            invalid("preferred_name must be 1 to 16 letters, digits and underscores.")
        })?;
        name.to_owned()
    };
    let language = text(input, "language").map(str::to_owned).or_else(|| {
        input
            .get("language_hints")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    {
        let inner = state.store.lock();
        if inner.voices.iter().filter(|r| r.family == family).count() >= state.store.quota {
            return Err(error(
                StatusCode::TOO_MANY_REQUESTS,
                "Throttling.AllocationQuota",
                "Maximum voice-clone voice limit exceeded.",
            ));
        }
    }
    let mut output = Map::new();
    let (local, voice_prompt, preview_text, link) = if designed || family == Family::QwenDesign {
        let prompt = required(input, "voice_prompt")?.to_owned();
        let preview_text = required(input, "preview_text")?.to_owned();
        let (max_prompt, max_preview) = if family == Family::CosyVoice {
            (500, 200)
        } else {
            (2048, 1024)
        };
        if prompt.chars().count() > max_prompt {
            return Err(invalid(format!(
                "voice_prompt is longer than {max_prompt} characters."
            )));
        }
        if preview_text.chars().count() > max_preview {
            return Err(invalid(format!(
                "preview_text is longer than {max_preview} characters."
            )));
        }
        let language = language
            .clone()
            .unwrap_or_else(|| rules::language_of(&preview_text).to_owned());
        let local = voice_for_description(&prompt, &language);
        let rate = parameters
            .get("sample_rate")
            .and_then(Value::as_u64)
            .unwrap_or(24_000);
        let rate = u32::try_from(rate)
            .ok()
            .filter(|r| [8000, 16_000, 24_000, 48_000].contains(r))
            .ok_or_else(|| invalid("sample_rate must be 8000, 16000, 24000 or 48000."))?;
        let format = match parameters
            .get("response_format")
            .and_then(Value::as_str)
            .unwrap_or("wav")
        {
            f @ ("wav" | "mp3" | "pcm") => f,
            other => {
                return Err(invalid(format!(
                    "response_format {other} is not supported: use wav, mp3 or pcm."
                )));
            }
        };
        let audio = preview(state, &local, &preview_text, format, rate).await?;
        output.insert(
            "preview_audio".into(),
            json!({
                "data": base64::engine::general_purpose::STANDARD.encode(audio),
                "sample_rate": rate,
                "response_format": format,
            }),
        );
        (local, Some(prompt), Some(preview_text), None)
    } else {
        let url = if family == Family::CosyVoice {
            required(input, "url")?.to_owned()
        } else {
            input
                .get("audio")
                .and_then(|a| a.get("data"))
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("Missing required parameter 'input.audio.data'."))?
                .to_owned()
        };
        let (bytes, link) = fetch(state, &url, oss)?;
        let sample_rules = if family == Family::CosyVoice {
            sample::Rules::COSYVOICE
        } else {
            sample::Rules::QWEN
        };
        let local = clone_voice(bytes, sample_rules, language.as_deref().unwrap_or("en")).await?;
        (local, None, None, Some(link))
    };
    // Deployment starts once the sample is analysed (or the preview spoken).
    let now = now_ms();
    let id = new_id(family, &target, &name, designed, now);
    tracing::info!(
        voice = id,
        local = local.voice,
        pitch = local.pitch,
        "voice created"
    );
    let record = Record {
        id: id.clone(),
        family,
        target_model: target.clone(),
        created_ms: now,
        modified_ms: now,
        language,
        voice_prompt,
        preview_text,
        resource_link: link,
        local,
    };
    {
        let mut inner = state.store.lock();
        inner.voices.push(record);
        state.store.save(&inner);
    }
    output.insert(id_field(family).into(), id.into());
    output.insert("target_model".into(), target.into());
    Ok(ok(Value::Object(output), 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(gmt(0), "1970-01-01 00:00:00");
        assert_eq!(gmt(1_744_080_369_000), "2025-04-08 02:46:09");
    }

    #[test]
    fn descriptions_choose_a_voice() {
        let deep = voice_for_description("A calm middle-aged male announcer, deep and warm", "en");
        assert_eq!(deep.voice, "en-us+m3");
        assert!(deep.pitch < 1.0 && deep.rate < 1.0, "{deep:?}");
        let girl = voice_for_description("一个活泼的年轻女孩，声音清脆", "zh");
        assert_eq!(girl.voice, "cmn+f5");
        assert!(girl.pitch > 1.0 && girl.rate > 1.0, "{girl:?}");
        assert_eq!(voice_for_pitch(Some(220.0), "en").voice, "en-us+f2");
        assert_eq!(voice_for_pitch(Some(110.0), "zh").voice, "cmn+m3");
    }

    #[test]
    fn ids_are_checked_before_use() {
        assert!(valid_id("cosyvoice-v3-plus-abc-0123abcd"));
        assert!(!valid_id("../etc/passwd"));
        assert!(!valid_id(""));
    }
}
