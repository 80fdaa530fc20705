//! The OpenAI speech API on `tts serve`: `POST /v1/audio/speech` spoken by the offline engine,
//! streamed sentence by sentence as chunked audio or server-sent events, with `GET /v1/models`
//! and `GET /v1/audio/voices`, and errors in OpenAI's JSON shape.
//!
//! OpenAI's voice names map to espeak-ng variants by gender (see [`OPENAI_VOICES`]); the
//! language of each sentence picks the espeak-ng language, so `nova` reads Chinese as Chinese.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use futures_util::StreamExt as _;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc};
use tower_http::cors::CorsLayer;

use super::customization::VoiceStore;
use super::gateway::{self, Upstream};
use super::synth::{Job, JobEvent, SynthPool};
use super::voices::Resolved;
use crate::audio::encode::{self, Encoder};
use crate::audio::resample::StreamResampler;
use crate::audio::{AudioFormat, SampleRate, f32_to_i16, i16_to_f32};
use crate::catalog;
use crate::engine::local::{LocalParams, voice_for};
use crate::text::segment::Segmenter;

/// The speech endpoint.
pub const SPEECH_PATH: &str = "/v1/audio/speech";
/// OpenAI's limit on `input`, in characters.
pub const DEFAULT_MAX_INPUT: usize = 4096;
/// The largest request body read: 4,096 characters of four bytes each, escaped, fit.
const MAX_BODY: usize = 64 * 1024;
/// Every format is made at OpenAI's rate; `pcm` is documented as 24 kHz 16-bit mono.
const RATE: u32 = 24_000;
/// The same, as every encoder takes it.
pub(super) const SAMPLE_RATE: SampleRate = match SampleRate::new(RATE) {
    Some(rate) => rate,
    None => SampleRate::MIN,
};
/// The models the offline engine answers to.
pub const MODELS: [&str; 3] = ["tts-1", "tts-1-hd", "gpt-4o-mini-tts"];
/// The formats that can be asked for, and whether we encode them.
const SUPPORTED: &str = "mp3, opus, wav, pcm, flac";
/// Encoded chunks waiting for a client; a slower client holds up only its own request.
const QUEUED_CHUNKS: usize = 16;
/// How long a request may wait for its first audio (its place in the engine's queue, or the
/// service's answer) before it is answered 503.
const FIRST_AUDIO_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a client may leave a chunk unread before the request is dropped.
pub(super) const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// Engine audio held before it is encoded and sent within a long sentence (half a second at
/// espeak-ng's 22,050 Hz).
const FLUSH_SAMPLES: usize = 11_025;

/// OpenAI's voices, the gender OpenAI gives each, and the espeak-ng variant that speaks for it.
pub const OPENAI_VOICES: [(&str, &str, &str); 11] = [
    ("alloy", "female", "f3"),
    ("ash", "male", "m3"),
    ("ballad", "male", "m7"),
    ("coral", "female", "f4"),
    ("echo", "male", "m1"),
    ("fable", "male", "m2"),
    ("nova", "female", "f2"),
    ("onyx", "male", "m6"),
    ("sage", "female", "f5"),
    ("shimmer", "female", "f1"),
    ("verse", "male", "m4"),
];

/// A `response_format`: one of the service's formats, or FLAC, which only this API offers
/// (made here from PCM, never asked of an engine or the service).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseFormat {
    /// MP3, Ogg Opus, WAV or raw PCM.
    Service(AudioFormat),
    /// FLAC, 16-bit.
    Flac,
}

impl ResponseFormat {
    /// The format named by a request; `None` for one not offered (`aac`: no encoder good
    /// enough).
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "mp3" => Self::Service(AudioFormat::Mp3),
            "opus" => Self::Service(AudioFormat::Opus),
            "wav" => Self::Service(AudioFormat::Wav),
            "pcm" => Self::Service(AudioFormat::Pcm),
            "flac" => Self::Flac,
            _ => return None,
        })
    }

    /// The name OpenAI gives it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Service(format) => format.name(),
            Self::Flac => "flac",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Service(AudioFormat::Mp3) => "audio/mpeg",
            Self::Service(AudioFormat::Opus) => "audio/ogg",
            Self::Service(AudioFormat::Wav) => "audio/wav",
            Self::Service(AudioFormat::Pcm) => "audio/pcm",
            Self::Flac => "audio/flac",
        }
    }

    /// A streaming encoder of mono audio at `rate` into this format.
    pub fn encoder(self, rate: SampleRate) -> Result<Box<dyn Encoder>, encode::EncodeError> {
        match self {
            Self::Service(format) => encode::encoder(format, rate, None),
            Self::Flac => encode::flac(rate),
        }
    }
}

/// What the OpenAI routes share.
#[derive(Clone)]
pub struct OpenAiState {
    /// The engine thread.
    pub pool: SynthPool,
    /// Resampling and encoding running at once (shared with the other protocols).
    pub encoders: Arc<Semaphore>,
    /// The only key accepted, if any.
    pub api_key: Arc<Option<String>>,
    /// Custom voices and temporary tokens.
    pub store: VoiceStore,
    /// The longest `input`, in characters.
    pub max_input: usize,
    /// Gateway mode: where CosyVoice models go.
    pub upstream: Option<Arc<Upstream>>,
}

/// The OpenAI routes, behind the key; browsers may call them only from `cors`.
pub fn router(state: OpenAiState, cors: Option<HeaderValue>) -> Router {
    let router = Router::new()
        .route(SPEECH_PATH, post(speech))
        .route("/v1/models", get(models))
        .route("/v1/audio/voices", get(voices))
        .route_layer(middleware::from_fn_with_state(state.clone(), authorize))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state);
    match cors {
        None => router,
        Some(origin) => router.layer(
            CorsLayer::new()
                .allow_origin(origin)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE]),
        ),
    }
}

/// An error as OpenAI words it.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
    kind: &'static str,
    param: Option<&'static str>,
    code: Option<&'static str>,
}

impl ApiError {
    fn invalid(param: &'static str, message: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message,
            kind: "invalid_request_error",
            param: Some(param),
            code: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {
            "message": self.message,
            "type": self.kind,
            "param": self.param,
            "code": self.code,
        }});
        (self.status, axum::Json(body)).into_response()
    }
}

async fn authorize(State(state): State<OpenAiState>, request: Request, next: Next) -> Response {
    if let Some(key) = state.api_key.as_deref() {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        if given != Some(key) && !given.is_some_and(|t| state.store.token_valid(t)) {
            return ApiError {
                status: StatusCode::UNAUTHORIZED,
                message: "Incorrect API key provided: give the key tts serve was started with \
                          (--api-key) as the Bearer token."
                    .into(),
                kind: "invalid_request_error",
                param: None,
                code: Some("invalid_api_key"),
            }
            .into_response();
        }
    }
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    tracing::info!(%method, path, status = response.status().as_u16(), "request");
    response
}

async fn models(State(state): State<OpenAiState>) -> Response {
    let mut data: Vec<Value> = MODELS
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 0, "owned_by": "tts"}))
        .collect();
    if state.upstream.is_some() {
        data.extend(
            gateway::MODELS.iter().map(
                |id| json!({"id": id, "object": "model", "created": 0, "owned_by": "dashscope"}),
            ),
        );
    }
    axum::Json(json!({"object": "list", "data": data})).into_response()
}

async fn voices(State(state): State<OpenAiState>) -> Response {
    let mut list: Vec<Value> = OPENAI_VOICES
        .iter()
        .map(|(id, gender, variant)| {
            json!({"id": id, "gender": gender, "language": "auto", "engine_voice": format!("auto+{variant}")})
        })
        .collect();
    list.extend(
        state
            .pool
            .voices()
            .languages()
            .into_iter()
            .map(|language| json!({"id": language, "gender": "male", "language": language})),
    );
    if state.upstream.is_some() {
        // The service's system voices that a gateway model speaks.
        list.extend(
            catalog::voices()
                .iter()
                .filter(|v| v.models.iter().any(|m| gateway::Service::of(m).is_some()))
                .map(|v| {
                    json!({"id": v.id, "gender": v.gender, "language": v.languages.join(","), "models": v.models})
                }),
        );
    }
    axum::Json(json!({"object": "list", "voices": list})).into_response()
}

/// The request body of `POST /v1/audio/speech`.
#[derive(Debug, Deserialize)]
struct SpeechRequest {
    model: String,
    input: String,
    voice: String,
    response_format: Option<String>,
    speed: Option<f64>,
    /// Sent to the service as its style instruction; the offline engine cannot follow it.
    instructions: Option<String>,
    stream_format: Option<String>,
}

/// Who speaks a request.
#[derive(Debug, Clone)]
enum Speaker {
    /// One engine voice throughout.
    Fixed(String),
    /// An espeak-ng variant, with each sentence's language.
    Variant(&'static str),
}

/// A validated request: what is said and how it is sent back.
pub(super) struct Plan {
    /// The client's words.
    pub(super) input: String,
    /// The format the client asked for.
    pub(super) format: ResponseFormat,
    /// The speaking rate.
    pub(super) speed: f32,
    /// Whether each chunk is wrapped as a server-sent event.
    pub(super) sse: bool,
}

/// Who speaks a validated request.
enum Route {
    /// The offline engine, with this voice.
    Local(Speaker),
    /// The service, in gateway mode.
    Remote(Arc<Upstream>, gateway::Remote),
}

fn validate(state: &OpenAiState, body: &Bytes) -> Result<(Plan, Route), ApiError> {
    let request: SpeechRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid(
            "body",
            format!("the body is not a valid speech request ({e}): send JSON with model, input and voice"),
        )
    })?;
    let service = state
        .upstream
        .as_ref()
        .and_then(|_| gateway::Service::of(&request.model));
    if service.is_none() && !MODELS.contains(&request.model.as_str()) {
        return Err(ApiError {
            code: Some("model_not_found"),
            ..ApiError::invalid(
                "model",
                format!(
                    "unknown model {:?}: use one of {}{}",
                    request.model,
                    MODELS.join(", "),
                    if state.upstream.is_some() {
                        " or a CosyVoice or Qwen-TTS-Realtime model (cosyvoice-v3-flash, qwen3-tts-flash-realtime, ...)"
                    } else {
                        " (CosyVoice and Qwen models need tts serve --upstream)"
                    }
                ),
            )
        });
    }
    let chars = request.input.chars().count();
    if request.input.trim().is_empty() {
        return Err(ApiError::invalid(
            "input",
            "input is empty: give the text to speak".into(),
        ));
    }
    if chars > state.max_input {
        return Err(ApiError::invalid(
            "input",
            format!(
                "input has {chars} characters, more than the {} allowed: send it in parts",
                state.max_input
            ),
        ));
    }
    let name = request.response_format.as_deref().unwrap_or("mp3");
    let format = ResponseFormat::parse(name).ok_or_else(|| {
        ApiError::invalid(
            "response_format",
            format!("response_format {name:?} is not supported: use one of {SUPPORTED}"),
        )
    })?;
    let speed = request.speed.unwrap_or(1.0);
    if !(0.25..=4.0).contains(&speed) {
        return Err(ApiError::invalid(
            "speed",
            format!("speed {speed} is out of range: give 0.25 to 4.0"),
        ));
    }
    let sse = match request.stream_format.as_deref().unwrap_or("audio") {
        "audio" => false,
        "sse" => true,
        other => {
            return Err(ApiError::invalid(
                "stream_format",
                format!("stream_format {other:?} is not supported: use audio or sse"),
            ));
        }
    };
    let route = match (service, state.upstream.clone()) {
        (Some(service), Some(upstream)) => {
            let remote = gateway::plan(
                &upstream,
                service,
                &request.model,
                &request.voice,
                request.instructions.clone(),
                speed,
            )
            .map_err(|refusal| ApiError::invalid(refusal.param, refusal.message))?;
            Route::Remote(upstream, remote)
        }
        _ => Route::Local(
            speaker(state, &request.voice).ok_or_else(|| unknown_voice(&request.voice))?,
        ),
    };
    #[allow(clippy::cast_possible_truncation, reason = "0.25..=4.0")]
    let speed = speed as f32;
    let plan = Plan {
        input: request.input,
        format,
        speed,
        sse,
    };
    Ok((plan, route))
}

/// The refusal of a voice the offline engine does not have.
fn unknown_voice(voice: &str) -> ApiError {
    let names: Vec<&str> = OPENAI_VOICES.iter().map(|v| v.0).collect();
    ApiError::invalid(
        "voice",
        format!(
            "unknown voice {voice:?}: use one of {}, an espeak-ng language (GET /v1/audio/voices) or a catalog voice",
            names.join(", ")
        ),
    )
}

/// The engine voice for a client's voice name; only names the server holds come back.
fn speaker(state: &OpenAiState, voice: &str) -> Option<Speaker> {
    if let Some((_, _, variant)) = OPENAI_VOICES.iter().find(|v| v.0 == voice) {
        return Some(Speaker::Variant(variant));
    }
    if let Some(entry) = catalog::find(voice) {
        return Some(Speaker::Fixed(entry.local_voice()));
    }
    if let Some(custom) = state.store.lookup(voice).filter(|c| c.ready)
        && let Resolved::Local(local) = state.pool.voices().resolve(&custom.local.voice, "")
    {
        return Some(Speaker::Fixed(local));
    }
    match state.pool.voices().resolve(voice, "") {
        Resolved::Local(local) | Resolved::Catalog(local) => Some(Speaker::Fixed(local)),
        Resolved::WrongModel | Resolved::Unknown => None,
    }
}

async fn speech(
    State(state): State<OpenAiState>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            return ApiError {
                status: rejection.status(),
                ..ApiError::invalid(
                    "body",
                    format!("{rejection}: the body may be at most {MAX_BODY} bytes"),
                )
            }
            .into_response();
        }
    };
    let (plan, route) = match validate(&state, &body) {
        Ok(validated) => validated,
        Err(error) => return error.into_response(),
    };
    let content_type = if plan.sse {
        "text/event-stream"
    } else {
        plan.format.content_type()
    };
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(QUEUED_CHUNKS);
    let remote = matches!(route, Route::Remote(..));
    match route {
        Route::Remote(upstream, service) => {
            let runtime = tokio::runtime::Handle::current();
            let encoders = Arc::clone(&state.encoders);
            tokio::task::spawn_blocking(move || {
                gateway::relay(&upstream, &service, &plan, &encoders, &tx, &runtime);
            });
        }
        Route::Local(speaker) => {
            tokio::spawn(synthesize(state, plan, speaker, tx));
        }
    }
    // The status waits for the first audio, so a failure before it (the service refusing the
    // key or the voice) is an error the client can read, not a 200 with an empty body.
    let first = match tokio::time::timeout(FIRST_AUDIO_TIMEOUT, rx.recv()).await {
        Ok(Some(Ok(first))) => first,
        Err(_) => {
            return ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: format!(
                    "no audio within {} s: the server is too busy; try again later",
                    FIRST_AUDIO_TIMEOUT.as_secs()
                ),
                kind: "server_error",
                param: None,
                code: None,
            }
            .into_response();
        }
        Ok(failed) => {
            let message = match failed {
                Some(Err(error)) => error.to_string(),
                _ => "synthesis ended without audio".to_owned(),
            };
            return ApiError {
                status: if remote {
                    StatusCode::BAD_GATEWAY
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                },
                message,
                kind: "server_error",
                param: None,
                code: None,
            }
            .into_response();
        }
    };
    let rest = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let stream = futures_util::stream::iter([Ok(first)]).chain(rest);
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Where encoded audio goes: raw bytes, or SSE events carrying it.
struct Sink {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    sse: bool,
}

impl Sink {
    /// `false` if the client is gone or stopped reading.
    async fn audio(&self, bytes: Vec<u8>) -> bool {
        if bytes.is_empty() {
            return true;
        }
        self.send(Ok(wrap(bytes, self.sse))).await
    }

    async fn send(&self, item: Result<Bytes, std::io::Error>) -> bool {
        matches!(
            tokio::time::timeout(SEND_TIMEOUT, self.tx.send(item)).await,
            Ok(Ok(()))
        )
    }

    /// End the body with an error: the client sees a cut transfer, never a short file as whole.
    async fn fail(&self, message: &str) {
        tracing::warn!(message, "speech failed");
        let _ = self
            .send(Err(std::io::Error::other(message.to_owned())))
            .await;
    }
}

/// The SSE event that ends a stream.
pub(super) fn done_event() -> Bytes {
    Bytes::from(format!(
        "data: {}\n\n",
        json!({"type": "speech.audio.done"})
    ))
}

/// The SSE event of one piece of audio, or the audio itself.
pub(super) fn wrap(bytes: Vec<u8>, sse: bool) -> Bytes {
    if sse {
        let audio = base64::engine::general_purpose::STANDARD.encode(&bytes);
        Bytes::from(format!(
            "data: {}\n\n",
            json!({"type": "speech.audio.delta", "audio": audio})
        ))
    } else {
        Bytes::from(bytes)
    }
}

/// The resampler and encoder of one request.
struct Codec {
    resampler: StreamResampler,
    encoder: Box<dyn Encoder>,
}

impl Codec {
    fn run(&mut self, samples: &[i16], last: bool) -> Result<Vec<u8>, String> {
        let mut floats = Vec::with_capacity(samples.len());
        i16_to_f32(samples, &mut floats);
        let mut resampled = Vec::new();
        self.resampler
            .process(&floats, &mut resampled)
            .map_err(|e| e.to_string())?;
        if last {
            self.resampler
                .finish(&mut resampled)
                .map_err(|e| e.to_string())?;
        }
        let mut pcm = Vec::with_capacity(resampled.len());
        f32_to_i16(&resampled, &mut pcm);
        let mut bytes = Vec::new();
        self.encoder
            .encode(&pcm, &mut bytes)
            .map_err(|e| e.to_string())?;
        if last {
            self.encoder.finish(&mut bytes).map_err(|e| e.to_string())?;
        }
        Ok(bytes)
    }
}

/// Resample and encode on the blocking pool, as many at once as the server allows.
async fn encode_chunk(
    encoders: &Semaphore,
    codec: &mut Option<Codec>,
    samples: Vec<i16>,
    last: bool,
) -> Result<Vec<u8>, String> {
    let mut taken = codec.take().ok_or("the encoder was lost")?;
    // Bounded like every wait of a request: a server that cannot encode for this long is
    // overloaded, and the client had better try again than hang.
    let _permit = tokio::time::timeout(SEND_TIMEOUT, encoders.acquire())
        .await
        .map_err(|_| gateway::BUSY.to_owned())?
        .map_err(|e| e.to_string())?;
    let (taken, bytes) = tokio::task::spawn_blocking(move || {
        let bytes = taken.run(&samples, last);
        (taken, bytes)
    })
    .await
    .map_err(|e| e.to_string())?;
    *codec = Some(taken);
    bytes
}

/// Speak `plan` sentence by sentence into `tx`.
async fn synthesize(
    state: OpenAiState,
    plan: Plan,
    speaker: Speaker,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    let sink = Sink { tx, sse: plan.sse };
    let rate = SAMPLE_RATE;
    let codec = StreamResampler::new(state.pool.sample_rate(), rate)
        .map_err(|e| e.to_string())
        .and_then(|resampler| {
            plan.format
                .encoder(rate)
                .map(|encoder| Codec { resampler, encoder })
                .map_err(|e| e.to_string())
        });
    let mut codec = match codec {
        Ok(codec) => Some(codec),
        Err(message) => return sink.fail(&message).await,
    };
    let sentences = Segmenter::split(&plan.input);
    for sentence in sentences {
        if sentence.trim().is_empty() {
            continue;
        }
        let voice = match &speaker {
            Speaker::Fixed(voice) => voice.clone(),
            Speaker::Variant(variant) => {
                match state
                    .pool
                    .voices()
                    .resolve(&format!("{}+{variant}", voice_for(&sentence)), "")
                {
                    Resolved::Local(voice) => voice,
                    _ => voice_for(&sentence).to_owned(),
                }
            }
        };
        let cancel = Arc::new(AtomicBool::new(false));
        let (reply, mut replies) = mpsc::unbounded_channel();
        let job = Job {
            text: sentence,
            params: LocalParams {
                voice: Some(voice),
                rate: plan.speed,
                ..LocalParams::default()
            },
            cancel: Arc::clone(&cancel),
            reply,
        };
        if !state.pool.submit(job) {
            return sink.fail("the offline engine stopped").await;
        }
        let mut held: Vec<i16> = Vec::new();
        loop {
            let event = replies.recv().await;
            let done = match event {
                Some(JobEvent::Audio(samples)) => {
                    held.extend_from_slice(&samples);
                    false
                }
                Some(JobEvent::Word(_)) => continue,
                Some(JobEvent::Done) => true,
                Some(JobEvent::Failed(message)) => {
                    return sink
                        .fail(&format!("the offline engine failed: {message}"))
                        .await;
                }
                None => return sink.fail("the offline engine stopped").await,
            };
            if done || held.len() >= FLUSH_SAMPLES {
                let samples = std::mem::take(&mut held);
                match encode_chunk(&state.encoders, &mut codec, samples, false).await {
                    Ok(bytes) => {
                        if !sink.audio(bytes).await {
                            cancel.store(true, Ordering::Release);
                            return;
                        }
                    }
                    Err(message) => {
                        cancel.store(true, Ordering::Release);
                        return sink.fail(&message).await;
                    }
                }
            }
            if done {
                break;
            }
        }
    }
    match encode_chunk(&state.encoders, &mut codec, Vec::new(), true).await {
        Ok(bytes) => {
            if !sink.audio(bytes).await {
                return;
            }
        }
        Err(message) => return sink.fail(&message).await,
    }
    if plan.sse {
        let _ = sink.send(Ok(done_event())).await;
    }
    tracing::info!(
        chars = plan.input.chars().count(),
        format = plan.format.name(),
        "speech finished"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_openai_voice_has_a_variant_of_its_gender() {
        for (name, gender, variant) in OPENAI_VOICES {
            let expected = if gender == "female" { 'f' } else { 'm' };
            assert!(variant.starts_with(expected), "{name}");
        }
    }
}
