//! run-task validation as the service does it: each refusal carries the code and message the
//! documentation gives (see docs/protocol.md for the ones it does not give).

use serde_json::Value;

use super::customization::CustomVoice;
use super::voices::{Resolved, VoiceBook};
use crate::audio::{AudioFormat, SUPPORTED_RATES, SampleRate};
use crate::engine::local::LocalParams;

/// The models a task may name.
pub const MODELS: [&str; 6] = [
    "cosyvoice-v1",
    "cosyvoice-v2",
    "cosyvoice-v3-flash",
    "cosyvoice-v3-plus",
    "cosyvoice-v3.5-flash",
    "cosyvoice-v3.5-plus",
];
/// The message of a voice that does not exist or does not fit the model.
pub const VOICE_MISMATCH: &str = "[tts:]Engine return error code: 418";

/// A refused request: the task-failed header's code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `error_code`.
    pub code: &'static str,
    /// `error_message`.
    pub message: String,
}

fn invalid(message: impl Into<String>) -> Refusal {
    Refusal {
        code: "InvalidParameter",
        message: message.into(),
    }
}

/// What a valid run-task asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSpec {
    /// The model named.
    pub model: String,
    /// The voice named.
    pub voice: String,
    /// Whether `voice` is a catalog voice (else a local espeak-ng name or a custom voice).
    pub catalog_voice: bool,
    /// The offline voice and prosody that speak it.
    pub local: LocalParams,
    /// Audio format of the binary frames.
    pub format: AudioFormat,
    /// Their sample rate.
    pub rate: SampleRate,
    /// Opus bit rate, kbps.
    pub bit_rate: Option<u32>,
    /// Word times in result-generated.
    pub words: bool,
    /// The text may be SSML: one continue-task only.
    pub ssml: bool,
    /// Markdown symbols are filtered out of the text.
    pub markdown: bool,
}

/// Check a run-task `payload`; its voice must be in `voices`.
pub fn run_task(
    payload: &Value,
    voices: &VoiceBook,
    custom: impl Fn(&str) -> Option<CustomVoice>,
) -> Result<TaskSpec, Refusal> {
    let model = match payload.get("model") {
        Some(Value::String(model)) if !model.is_empty() => model.clone(),
        _ => {
            return Err(invalid(
                "Missing required parameter 'payload.model'! Please follow the protocol!",
            ));
        }
    };
    if !MODELS.contains(&model.as_str()) {
        return Err(invalid(format!("Model not exist: {model}")));
    }
    let empty = serde_json::Map::new();
    let parameters = match payload.get("parameters") {
        Some(Value::Object(parameters)) => parameters,
        None => &empty,
        Some(_) => {
            return Err(invalid(
                "The parameter 'payload.parameters' must be an object.",
            ));
        }
    };
    let voice = match parameters.get("voice") {
        Some(Value::String(voice)) if !voice.trim().is_empty() => voice.clone(),
        _ => return Err(invalid("Request voice is invalid!")),
    };
    let mut custom_voice = None;
    let (catalog_voice, local_voice) = match voices.resolve(&voice, &model) {
        Resolved::Catalog(local) => (true, local),
        Resolved::Local(local) => (false, local),
        Resolved::WrongModel => return Err(invalid(VOICE_MISMATCH)),
        // Not a catalog or local name: a voice made through the customization API, if any.
        Resolved::Unknown => {
            let found = custom(&voice).ok_or_else(|| invalid(VOICE_MISMATCH))?;
            if found.target_model != model {
                return Err(invalid(VOICE_MISMATCH));
            }
            if !found.ready {
                return Err(invalid(
                    "the voice is not ready yet (DEPLOYING); query it until its status is OK",
                ));
            }
            let local = found.local.voice.clone();
            custom_voice = Some(found.local);
            (false, local)
        }
    };
    let format = match parameters.get("format") {
        None => AudioFormat::Mp3,
        Some(Value::String(f)) if f == "Default" => AudioFormat::Mp3,
        Some(Value::String(f)) => AudioFormat::from_name(f).ok_or_else(|| {
            invalid(format!(
                "The parameter 'format' must be pcm, wav, mp3 or opus, got '{f}'."
            ))
        })?,
        Some(other) => {
            return Err(invalid(format!(
                "The parameter 'format' must be a string, got {other}."
            )));
        }
    };
    let rate = match integer(parameters, "sample_rate")? {
        None | Some(0) => 22_050,
        Some(hz) => hz,
    };
    let opus_rates = [8000, 16000, 24000, 48000];
    let allowed: &[i64] = if format == AudioFormat::Opus {
        &opus_rates
    } else {
        &[]
    };
    let rate_ok = if format == AudioFormat::Opus {
        allowed.contains(&rate)
    } else {
        SUPPORTED_RATES.iter().any(|r| i64::from(*r) == rate)
    };
    let rate = u32::try_from(rate)
        .ok()
        .filter(|_| rate_ok)
        .and_then(SampleRate::new)
        .ok_or_else(|| {
            invalid(format!(
                "The parameter 'sample_rate' {rate} is not supported for format {format}."
            ))
        })?;
    let volume = ranged_integer(parameters, "volume", 50, 0, 100)?;
    let speed = ranged_number(parameters, "rate", 0.5, 2.0)?;
    let pitch = ranged_number(parameters, "pitch", 0.5, 2.0)?;
    ranged_integer(parameters, "seed", 0, 0, 65_535)?;
    let bit_rate = if format == AudioFormat::Opus {
        Some(u32::try_from(ranged_integer(parameters, "bit_rate", 32, 6, 510)?).unwrap_or(32))
    } else {
        None
    };
    let words = flag(parameters, "word_timestamp_enabled")?;
    let ssml = flag(parameters, "enable_ssml")?;
    let markdown = flag(parameters, "enable_markdown_filter")?;
    #[allow(
        clippy::cast_possible_truncation,
        reason = "range-checked to 0.5..=2.0"
    )]
    let local = LocalParams {
        voice: Some(local_voice),
        rate: speed as f32,
        pitch: pitch as f32,
        volume: u8::try_from(volume).unwrap_or(50),
        neural: None,
    };
    let local = match &custom_voice {
        Some(custom) => custom.params(&local),
        None => local,
    };
    Ok(TaskSpec {
        model,
        voice,
        catalog_voice,
        local,
        format,
        rate,
        bit_rate,
        words,
        ssml,
        markdown,
    })
}

fn integer(
    parameters: &serde_json::Map<String, Value>,
    name: &str,
) -> Result<Option<i64>, Refusal> {
    match parameters.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| {
                invalid(format!(
                    "The parameter '{name}' must be an integer, got {n}."
                ))
            }),
        Some(other) => Err(invalid(format!(
            "The parameter '{name}' must be an integer, got {other}."
        ))),
    }
}

fn ranged_integer(
    parameters: &serde_json::Map<String, Value>,
    name: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, Refusal> {
    let value = integer(parameters, name)?.unwrap_or(default);
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(invalid(format!(
            "The parameter '{name}' must be from {min} to {max}, got {value}."
        )))
    }
}

fn ranged_number(
    parameters: &serde_json::Map<String, Value>,
    name: &str,
    min: f64,
    max: f64,
) -> Result<f64, Refusal> {
    match parameters.get(name) {
        None | Some(Value::Null) => Ok(1.0),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(v) if (min..=max).contains(&v) => Ok(v),
            _ => Err(invalid(format!(
                "The parameter '{name}' must be from {min} to {max}, got {n}."
            ))),
        },
        Some(other) => Err(invalid(format!(
            "The parameter '{name}' must be a number, got {other}."
        ))),
    }
}

fn flag(parameters: &serde_json::Map<String, Value>, name: &str) -> Result<bool, Refusal> {
    match parameters.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(invalid(format!(
            "The parameter '{name}' must be true or false, got {other}."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn run_task(payload: &Value) -> Result<TaskSpec, Refusal> {
        let voices = VoiceBook::new(vec!["en-gb".into(), "cmn".into()], vec!["m3".into()]);
        super::run_task(payload, &voices, |_| None)
    }

    fn payload(parameters: Value) -> Value {
        json!({"model": "cosyvoice-v3-flash", "task_group": "audio", "task": "tts",
               "function": "SpeechSynthesizer", "input": {}, "parameters": parameters})
    }

    #[test]
    fn the_sdk_default_means_mp3_at_22050() {
        let spec = run_task(&payload(
            json!({"voice": "longanyang", "format": "Default", "sample_rate": 0}),
        ))
        .expect("valid");
        assert_eq!((spec.format, spec.rate.get()), (AudioFormat::Mp3, 22050));
        assert!(spec.catalog_voice);
        assert_eq!(spec.local.voice.as_deref(), Some("cmn+m3"));
    }

    #[test]
    fn refusals_carry_the_documented_messages() {
        let message = |p: Value| run_task(&p).expect_err("refused").message;
        assert_eq!(
            message(json!({"parameters": {"voice": "x"}})),
            "Missing required parameter 'payload.model'! Please follow the protocol!"
        );
        assert_eq!(
            message(payload(json!({"format": "pcm"}))),
            "Request voice is invalid!"
        );
        assert_eq!(
            message(payload(json!({"voice": "longxiaochun_v2"}))),
            VOICE_MISMATCH,
            "a v2 voice on a v3 model"
        );
        assert!(
            message(payload(json!({"voice": "longanyang", "volume": 101})))
                .contains("'volume' must be from 0 to 100")
        );
        assert!(
            message(payload(json!({"voice": "longanyang", "volume": "loud"})))
                .contains("'volume' must be an integer")
        );
        assert!(
            message(payload(json!({"voice": "longanyang", "rate": 3.0})))
                .contains("'rate' must be from 0.5 to 2")
        );
        assert!(
            message(payload(json!({"voice": "longanyang", "format": "flac"})))
                .contains("'format' must be pcm")
        );
        assert!(
            message(payload(
                json!({"voice": "longanyang", "format": "opus", "sample_rate": 22050})
            ))
            .contains("not supported")
        );
        assert!(message(payload(json!({"voice": "longanyang", "format": "opus", "sample_rate": 24000, "bit_rate": 600}))).contains("'bit_rate'"));
        assert!(message(payload(json!({"voice": "longanyang", "seed": 70000}))).contains("'seed'"));
    }

    #[test]
    fn local_voice_names_pass_to_the_engine() {
        let spec = run_task(&payload(
            json!({"voice": "en-gb", "format": "pcm", "sample_rate": 16000}),
        ))
        .expect("valid");
        assert!(!spec.catalog_voice);
        assert_eq!(spec.local.voice.as_deref(), Some("en-gb"));
    }
}
