//! Gateway mode of the OpenAI speech API: a request naming a service model is spoken by
//! CosyVoice or Qwen-TTS-Realtime through our own clients, and the service's audio is streamed
//! back as it arrives. The upstream key goes only to the service: never into a response, an
//! error or a log line.

use std::sync::Arc;

use axum::body::Bytes;
use tokio::sync::{Semaphore, mpsc};

use super::openai::{
    OPENAI_VOICES, Plan, ResponseFormat, SAMPLE_RATE, SEND_TIMEOUT, done_event, wrap,
};
use crate::audio::AudioFormat;
use crate::audio::encode::Encoder;
use crate::cancel::CancelToken;
use crate::catalog;
use crate::dashscope::endpoints;
use crate::dashscope::qwen::protocol::{Mode, SessionConfig};
use crate::dashscope::qwen::session::QwenOptions;
use crate::dashscope::qwen::state::session_limit;
use crate::dashscope::qwen::{self, Family};
use crate::engine::{EngineError, EngineEvent, Synthesis};
use crate::protocol::Parameters;
use crate::session::retry::RetryPolicy;
use crate::session::{ApiKey, KeySource, SessionError, SessionOptions, Timeouts};
use crate::text::segment::Segmenter;

/// The service behind `tts serve --upstream`.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// The configured address: a CosyVoice WebSocket URL or a bare `wss://HOST`; each
    /// service's URL is derived from it.
    pub url: String,
    /// The DashScope key.
    pub api_key: ApiKey,
    /// Where the key came from.
    pub key_source: KeySource,
    /// `X-DashScope-WorkSpace`, when set.
    pub workspace: Option<String>,
}

/// Which of the service's protocols speaks a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// The duplex CosyVoice protocol.
    CosyVoice,
    /// Qwen-TTS-Realtime, with the model's family.
    Qwen(Family),
}

impl Service {
    /// The protocol for `model`, or `None` when the gateway cannot reach it (the HTTP-only
    /// `qwen3-tts-flash`, for one).
    pub fn of(model: &str) -> Option<Self> {
        match qwen::family(model) {
            Some(family) => Some(Self::Qwen(family)),
            None => model.starts_with("cosyvoice-").then_some(Self::CosyVoice),
        }
    }
}

/// Why a request gave up waiting for one of the server's shared encoders.
pub const BUSY: &str = "the server is too busy to encode audio now; try again";

/// The service models listed by `GET /v1/models` in gateway mode (dated snapshots work too).
pub const MODELS: [&str; 6] = [
    "cosyvoice-v3-flash",
    "cosyvoice-v3-plus",
    "cosyvoice-v2",
    "qwen3-tts-flash-realtime",
    "qwen3-tts-instruct-flash-realtime",
    "qwen-tts-realtime",
];

/// A request the service will speak, checked before any connection is opened.
#[derive(Debug, Clone)]
pub struct Remote {
    /// The protocol.
    pub service: Service,
    /// The model, as the client named it.
    pub model: String,
    /// The service's voice.
    pub voice: String,
    /// The style instruction, for the models that take one.
    pub instruction: Option<String>,
}

/// Why a request cannot go to the service: the request field at fault and what to change.
#[derive(Debug)]
pub struct Refusal {
    /// The request field.
    pub param: &'static str,
    /// One line naming the problem and the fix.
    pub message: String,
}

fn refuse(param: &'static str, message: String) -> Refusal {
    Refusal { param, message }
}

/// Check a request for `model` (which [`Service::of`] knows) and pick the service's voice.
pub fn plan(
    upstream: &Upstream,
    service: Service,
    model: &str,
    voice: &str,
    instruction: Option<String>,
    speed: f64,
) -> Result<Remote, Refusal> {
    if !(0.5..=2.0).contains(&speed) {
        return Err(refuse(
            "speed",
            format!("speed {speed} is out of range for the service's models: give 0.5 to 2.0"),
        ));
    }
    if let Service::Qwen(family) = service {
        if family == Family::Legacy && speed != 1.0 {
            return Err(refuse(
                "speed",
                format!(
                    "{model} has no speed control: leave speed at 1.0, or use qwen3-tts-flash-realtime"
                ),
            ));
        }
        if instruction.is_some() && family != Family::Instruct {
            return Err(refuse(
                "instructions",
                format!(
                    "{model} takes no instructions: use qwen3-tts-instruct-flash-realtime, or leave them out"
                ),
            ));
        }
    }
    // The catalog lists system voices under model aliases; custom-voice models have none.
    let catalog_model = match service {
        Service::CosyVoice => Some(model),
        Service::Qwen(_) => qwen::catalog_model(model),
    };
    let region = endpoints::region_of(&upstream.url);
    let voice = service_voice(model, catalog_model, region, voice)?;
    Ok(Remote {
        service,
        model: model.to_owned(),
        voice,
        instruction,
    })
}

/// The service's voice for a request: an OpenAI name becomes the model's first catalog voice of
/// its gender, one offered in the upstream's region when it is known; a catalog voice must serve
/// the model; other names (cloned and designed voices) are sent as they are if they look like
/// voice ids, and the service judges them.
fn service_voice(
    model: &str,
    catalog_model: Option<&str>,
    region: Option<endpoints::Region>,
    voice: &str,
) -> Result<String, Refusal> {
    let serves = |models: &[&str]| catalog_model.is_some_and(|m| models.contains(&m));
    if let Some((_, gender, _)) = OPENAI_VOICES.iter().find(|v| v.0 == voice) {
        let mut fitting = catalog::voices()
            .iter()
            .filter(|v| v.gender == *gender && serves(&v.models));
        let first = fitting.clone().next();
        return fitting
            .find(|v| region.is_none_or(|r| v.offered_in(r)))
            .or(first)
            .map(|v| v.id.to_owned())
            .ok_or_else(|| {
                refuse(
                    "voice",
                    format!("no {gender} system voice serves {model}: name a voice of the model (for a cloned or designed voice, its id)"),
                )
            });
    }
    if let Some(entry) = catalog::find(voice) {
        if !serves(&entry.models) {
            return Err(refuse(
                "voice",
                format!(
                    "voice {voice:?} does not serve {model}: use it with {}",
                    entry.models.join(", ")
                ),
            ));
        }
        return Ok(voice.to_owned());
    }
    let looks_like_id = !voice.is_empty()
        && voice.len() <= 128
        && voice
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if looks_like_id {
        Ok(voice.to_owned())
    } else {
        Err(refuse(
            "voice",
            format!("unknown voice {voice:?}: name a voice of {model}"),
        ))
    }
}

/// The format to ask the service for: the client's own when the service makes it as one
/// stream, else PCM, encoded here. A Qwen session answers each sentence as a response of its
/// own, so its WAV and Ogg Opus would be one stream per sentence, which players reject; the
/// legacy Qwen model makes only PCM. Neither service makes FLAC.
fn upstream_format(service: Service, format: ResponseFormat) -> AudioFormat {
    let ResponseFormat::Service(format) = format else {
        return AudioFormat::Pcm;
    };
    match (service, format) {
        (Service::CosyVoice, format) => format,
        (Service::Qwen(Family::Legacy), _) => AudioFormat::Pcm,
        (Service::Qwen(_), AudioFormat::Mp3 | AudioFormat::Pcm) => format,
        (Service::Qwen(_), AudioFormat::Wav | AudioFormat::Opus) => AudioFormat::Pcm,
    }
}

/// Start the service's session for a request.
fn start(
    upstream: &Upstream,
    remote: &Remote,
    speed: f32,
    format: AudioFormat,
    cancel: CancelToken,
) -> Result<Synthesis, String> {
    let rate = SAMPLE_RATE;
    let started = match remote.service {
        Service::CosyVoice => crate::engine::cosyvoice::start(
            SessionOptions {
                url: endpoints::websocket_url(&upstream.url, endpoints::INFERENCE_PATH),
                api_key: upstream.api_key.clone(),
                key_source: upstream.key_source.clone(),
                workspace: upstream.workspace.clone(),
                model: remote.model.clone(),
                parameters: Parameters {
                    rate: f64::from(speed),
                    instruction: remote.instruction.clone(),
                    ..Parameters::plain(&remote.voice, format.name(), rate.get())
                },
                timeouts: Timeouts::default(),
                retry: RetryPolicy::NEVER,
            },
            rate,
            cancel,
        ),
        Service::Qwen(family) => crate::engine::qwen::start(
            QwenOptions {
                url: endpoints::realtime_url(&upstream.url, &remote.model),
                api_key: upstream.api_key.clone(),
                key_source: upstream.key_source.clone(),
                workspace: upstream.workspace.clone(),
                model: remote.model.clone(),
                config: SessionConfig {
                    voice: remote.voice.clone(),
                    mode: Mode::Commit,
                    response_format: format.name().to_owned(),
                    sample_rate: rate.get(),
                    volume: None,
                    // Sent only when asked for: the legacy model takes no prosody options.
                    speech_rate: (family != Family::Legacy && speed != 1.0)
                        .then_some(f64::from(speed)),
                    pitch_rate: None,
                    bit_rate: None,
                    enable_tn: None,
                    language_type: None,
                    instructions: remote.instruction.clone(),
                    optimize_instructions: None,
                },
                timeouts: Timeouts::default(),
                limit: session_limit(&remote.model),
                retry: RetryPolicy::NEVER,
            },
            rate,
            cancel,
        ),
    };
    started.map_err(|error| format!("tts serve could not start a session ({error}); try again"))
}

/// A failure as a client of `tts serve` should read it: the service's own code and message,
/// and what to do, but not the server's key source, its upstream address or flags of `tts say`.
fn for_client(error: &EngineError) -> String {
    let EngineError::Session(error) = error else {
        return "the service session failed; try again".to_owned();
    };
    match error {
        SessionError::Rejected { status, .. } => format!(
            "the service refused the server's DashScope key (HTTP {status}): the server's operator must check it"
        ),
        SessionError::KeyNotSendable { .. } => {
            "the server's DashScope key cannot be sent: the server's operator must check it".into()
        }
        SessionError::Refused {
            status,
            code,
            message,
            ..
        } => {
            let detail: Vec<&str> = [code.as_deref(), message.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            let detail = if detail.is_empty() {
                String::new()
            } else {
                format!(": {}", detail.join(": "))
            };
            format!("the service refused the request (HTTP {status}{detail})")
        }
        SessionError::TaskFailed { code, message, .. } => {
            format!("the service failed: {code}: {message}")
        }
        SessionError::Connect { .. }
        | SessionError::Unreachable { .. }
        | SessionError::Certificate { .. }
        | SessionError::ConnectTimeout { .. } => {
            "the service could not be reached from the server; try again later".into()
        }
        SessionError::StartTimeout { .. } | SessionError::Stalled { .. } => {
            "the service did not answer in time; try again".into()
        }
        _ => {
            "the connection to the service failed before the speech was finished; try again".into()
        }
    }
}

/// The service's PCM encoded here into the client's format, a permit of the server's shared
/// encoders held for each chunk.
struct Transcoder {
    encoder: Box<dyn Encoder>,
    /// A sample split between two chunks of bytes.
    odd: Option<u8>,
}

impl Transcoder {
    fn run(&mut self, bytes: &[u8], last: bool) -> Result<Vec<u8>, String> {
        let mut joined = Vec::with_capacity(bytes.len() + 1);
        joined.extend(self.odd.take());
        joined.extend_from_slice(bytes);
        if joined.len() % 2 == 1 {
            self.odd = joined.pop();
        }
        let samples: Vec<i16> = joined
            .chunks_exact(2)
            .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        let mut out = Vec::new();
        self.encoder
            .encode(&samples, &mut out)
            .map_err(|e| e.to_string())?;
        if last {
            self.encoder.finish(&mut out).map_err(|e| e.to_string())?;
        }
        Ok(out)
    }
}

/// Speak one request through the service, on a blocking thread: the text goes in sentence by
/// sentence (so the first audio follows the first sentence), and the audio comes back as it
/// arrives, untouched unless the format must be made here. A client that goes away or stops
/// reading cancels the session.
pub(super) fn relay(
    upstream: &Upstream,
    remote: &Remote,
    plan: &Plan,
    encoders: &Arc<Semaphore>,
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
    runtime: &tokio::runtime::Handle,
) {
    let send = |item: Result<Bytes, std::io::Error>| {
        matches!(
            runtime.block_on(tokio::time::timeout(SEND_TIMEOUT, tx.send(item))),
            Ok(Ok(()))
        )
    };
    let fail = |message: String| {
        tracing::warn!(message, "speech failed upstream");
        let _ = send(Err(std::io::Error::other(message)));
    };
    let wanted = upstream_format(remote.service, plan.format);
    let mut transcoder = if ResponseFormat::Service(wanted) == plan.format {
        None
    } else {
        match plan.format.encoder(SAMPLE_RATE) {
            Ok(encoder) => Some(Transcoder { encoder, odd: None }),
            Err(error) => return fail(error.to_string()),
        }
    };
    let cancel = CancelToken::new();
    let mut synthesis = match start(upstream, remote, plan.speed, wanted, cancel.clone()) {
        Ok(synthesis) => synthesis,
        Err(message) => return fail(message),
    };
    if let Some(fragments) = synthesis.fragment_sender() {
        let sentences = Segmenter::split(&plan.input);
        // Sent from a thread of its own: the session stops reading text while its audio
        // waits for us, so sending here could wait on ourselves.
        let sender = std::thread::Builder::new()
            .name("gateway-text".into())
            .spawn(move || {
                for sentence in sentences {
                    if !fragments.send(sentence) {
                        return;
                    }
                }
            });
        if sender.is_err() {
            cancel.cancel();
            return fail("the server is out of threads".into());
        }
    }
    let mut encode = |bytes: &[u8], last: bool| -> Result<Vec<u8>, String> {
        match transcoder.as_mut() {
            None => Ok(bytes.to_vec()),
            Some(transcoder) => {
                let _permit = runtime
                    .block_on(tokio::time::timeout(SEND_TIMEOUT, encoders.acquire()))
                    .map_err(|_| BUSY.to_owned())?
                    .map_err(|e| e.to_string())?;
                transcoder.run(bytes, last)
            }
        }
    };
    let mut bytes_sent: u64 = 0;
    loop {
        let Ok(event) = synthesis.events().recv() else {
            return fail("the service session ended unexpectedly".into());
        };
        let (bytes, last) = match event {
            EngineEvent::Encoded(bytes) => (bytes, false),
            EngineEvent::Done(_) => (Vec::new(), true),
            EngineEvent::Failed(error) => {
                let mut chain = error.to_string();
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    chain = format!("{chain}: {cause}");
                    source = cause.source();
                }
                // The whole story for the operator; for the client, what it can act on.
                tracing::warn!(error = chain, "the service session failed");
                return fail(for_client(&error));
            }
            _ => continue,
        };
        let out = match encode(&bytes, last) {
            Ok(out) => out,
            Err(message) => {
                cancel.cancel();
                return fail(message);
            }
        };
        if !out.is_empty() {
            bytes_sent += out.len() as u64;
            if !send(Ok(wrap(out, plan.sse))) {
                cancel.cancel();
                return;
            }
        }
        if last {
            break;
        }
    }
    if plan.sse {
        let _ = send(Ok(done_event()));
    }
    tracing::info!(
        model = remote.model,
        bytes = bytes_sent,
        "speech finished upstream"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const INTL: &str = "wss://dashscope-intl.aliyuncs.com/api-ws/v1/inference";
    const CN: &str = "wss://dashscope.aliyuncs.com/api-ws/v1/inference";

    fn upstream(url: &str) -> Upstream {
        Upstream {
            url: url.into(),
            api_key: ApiKey::new("sk-test".into()),
            key_source: KeySource::Environment,
            workspace: None,
        }
    }

    #[test]
    fn openai_names_pick_a_voice_of_the_upstreams_region() {
        for (url, region) in [(INTL, endpoints::Region::Intl), (CN, endpoints::Region::Cn)] {
            for name in ["alloy", "echo"] {
                let remote = plan(
                    &upstream(url),
                    Service::CosyVoice,
                    "cosyvoice-v3-flash",
                    name,
                    None,
                    1.0,
                )
                .expect("a voice");
                let voice = catalog::find(&remote.voice).expect("catalog");
                assert!(
                    voice.offered_in(region),
                    "{name} at {url}: {}",
                    remote.voice
                );
            }
        }
    }

    #[test]
    fn models_go_to_their_protocol() {
        assert_eq!(Service::of("cosyvoice-v3-flash"), Some(Service::CosyVoice));
        assert_eq!(
            Service::of("qwen3-tts-flash-realtime-2025-11-27"),
            Some(Service::Qwen(Family::Flash))
        );
        assert_eq!(
            Service::of("qwen3-tts-vc-realtime-2026-01-15"),
            Some(Service::Qwen(Family::Clone))
        );
        assert_eq!(Service::of("qwen3-tts-flash"), None, "HTTP only");
        assert_eq!(Service::of("tts-1"), None);
    }

    #[test]
    fn voices_and_options_are_checked_for_the_model() {
        let qwen = Service::Qwen(Family::Flash);
        let female = plan(
            &upstream(INTL),
            qwen,
            "qwen3-tts-flash-realtime",
            "nova",
            None,
            1.0,
        )
        .expect("nova");
        assert_eq!(
            catalog::find(&female.voice).map(|v| v.gender),
            Some("female")
        );
        assert!(
            plan(
                &upstream(INTL),
                qwen,
                "qwen3-tts-flash-realtime",
                "Cherry",
                None,
                1.5
            )
            .is_ok()
        );
        let wrong = plan(
            &upstream(INTL),
            qwen,
            "qwen3-tts-flash-realtime",
            "longanyang",
            None,
            1.0,
        )
        .expect_err("a CosyVoice voice");
        assert_eq!(wrong.param, "voice");
        let styled = plan(
            &upstream(INTL),
            qwen,
            "qwen3-tts-flash-realtime",
            "Cherry",
            Some("calm".into()),
            1.0,
        )
        .expect_err("instructions need the instruct model");
        assert!(styled.message.contains("qwen3-tts-instruct-flash-realtime"));
        let legacy = Service::Qwen(Family::Legacy);
        assert_eq!(
            plan(
                &upstream(INTL),
                legacy,
                "qwen-tts-realtime",
                "Cherry",
                None,
                1.5
            )
            .expect_err("no speed")
            .param,
            "speed"
        );
        let clone = Service::Qwen(Family::Clone);
        let model = "qwen3-tts-vc-realtime-2026-01-15";
        assert!(
            plan(
                &upstream(INTL),
                clone,
                model,
                "qwen-tts-vc-me-voice-2026",
                None,
                1.0
            )
            .is_ok()
        );
        assert!(
            plan(&upstream(INTL), clone, model, "alloy", None, 1.0).is_err(),
            "no system voices"
        );
        assert!(
            plan(&upstream(INTL), clone, model, "Cherry", None, 1.0).is_err(),
            "no system voices"
        );
        assert_eq!(
            plan(
                &upstream(INTL),
                Service::CosyVoice,
                "cosyvoice-v3-flash",
                "longanyang",
                None,
                3.0
            )
            .expect_err("too fast")
            .param,
            "speed"
        );
    }

    #[test]
    fn service_voices_are_checked_against_the_model() {
        let alloy = service_voice(
            "cosyvoice-v3-flash",
            Some("cosyvoice-v3-flash"),
            None,
            "alloy",
        )
        .expect("a female voice");
        let entry = catalog::find(&alloy).expect("a catalog voice");
        assert_eq!(entry.gender, "female");
        assert!(entry.models.contains(&"cosyvoice-v3-flash"));
        assert_eq!(
            service_voice(
                "cosyvoice-v3-flash",
                Some("cosyvoice-v3-flash"),
                None,
                "longanyang"
            )
            .expect("serves"),
            "longanyang"
        );
        let wrong = service_voice(
            "cosyvoice-v3-flash",
            Some("cosyvoice-v3-flash"),
            None,
            "longxiaochun_v2",
        )
        .expect_err("v2 only");
        assert_eq!(wrong.param, "voice");
        assert!(wrong.message.contains("cosyvoice-v2"), "{}", wrong.message);
        // A cloned voice's id goes through; anything else that is not an id does not.
        assert!(
            service_voice(
                "cosyvoice-v3-flash",
                Some("cosyvoice-v3-flash"),
                None,
                "cosyvoice-v3-flash-mine-1a2b"
            )
            .is_ok()
        );
        for hostile in ["", "a b", "x\u{0}", "../x", &"a".repeat(200)] {
            assert!(
                service_voice(
                    "cosyvoice-v3-flash",
                    Some("cosyvoice-v3-flash"),
                    None,
                    hostile
                )
                .is_err(),
                "{hostile:?}"
            );
        }
    }

    #[test]
    fn qwen_wav_and_opus_and_every_flac_are_made_here_from_pcm() {
        let service = ResponseFormat::Service;
        let flash = Service::Qwen(Family::Flash);
        assert_eq!(
            upstream_format(flash, service(AudioFormat::Mp3)),
            AudioFormat::Mp3
        );
        assert_eq!(
            upstream_format(flash, service(AudioFormat::Wav)),
            AudioFormat::Pcm
        );
        assert_eq!(
            upstream_format(flash, service(AudioFormat::Opus)),
            AudioFormat::Pcm
        );
        let legacy = Service::Qwen(Family::Legacy);
        assert_eq!(
            upstream_format(legacy, service(AudioFormat::Mp3)),
            AudioFormat::Pcm
        );
        assert_eq!(
            upstream_format(Service::CosyVoice, service(AudioFormat::Opus)),
            AudioFormat::Opus
        );
        for model in [Service::CosyVoice, flash, legacy] {
            assert_eq!(
                upstream_format(model, ResponseFormat::Flac),
                AudioFormat::Pcm
            );
        }
    }

    #[test]
    fn pcm_split_inside_a_sample_is_joined() {
        let mut transcoder = Transcoder {
            encoder: crate::audio::encode::encoder(AudioFormat::Pcm, SAMPLE_RATE, None)
                .expect("pcm"),
            odd: None,
        };
        let mut out = transcoder.run(&[1, 0, 2], false).expect("first");
        out.extend(transcoder.run(&[0, 3, 0], true).expect("second"));
        assert_eq!(out, [1, 0, 2, 0, 3, 0]);
    }
}
