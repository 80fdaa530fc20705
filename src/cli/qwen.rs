//! Validating the Qwen-TTS-Realtime engine's options: model, voice, parameters, endpoint and
//! timeouts, all before any connection is opened.

use super::ConfigError;
use super::args::{QwenModeArg, SynthesisArgs};
use super::config::Environment;
use super::credentials::Credentials;
use super::remote::{FileFormat, endpoint, seconds};
use crate::audio::{AudioFormat, SampleRate};
use crate::dashscope::endpoints;
use crate::dashscope::qwen::protocol::{Mode, SessionConfig};
use crate::dashscope::qwen::session::QwenOptions;
use crate::dashscope::qwen::state::session_limit;
use crate::dashscope::qwen::{self, Family};
use crate::session::Timeouts;
use crate::session::retry::RetryPolicy;

const INTL_URL: &str = "wss://dashscope-intl.aliyuncs.com/api-ws/v1/realtime";
const CN_URL: &str = "wss://dashscope.aliyuncs.com/api-ws/v1/realtime";
/// The longest `--instruction` sent (the service takes 1600 tokens; a character is at most one).
const MAX_INSTRUCTION: usize = 1600;
/// The mode when `--qwen-mode` is not given (see docs/performance.md for the measurement).
pub const DEFAULT_MODE: Mode = Mode::Commit;

/// What the Qwen engine will ask for.
#[derive(Debug, Clone)]
pub struct QwenConfig {
    /// Endpoint, key, model, session settings, timeouts. `config.response_format` and
    /// `sample_rate` are final for files; for playback the pipeline sets the rate from the device.
    pub options: QwenOptions,
    /// The model's family.
    pub family: Family,
}

fn unsupported(what: String, fix: &str) -> ConfigError {
    ConfigError::QwenUnsupported {
        what,
        fix: fix.to_owned(),
    }
}

/// The model's family, or why the model cannot be used.
pub fn model_family(model: &str) -> Result<Family, ConfigError> {
    qwen::family(model).ok_or_else(|| {
        unsupported(
            format!("unknown Qwen-TTS-Realtime model '{model}'"),
            "use qwen3-tts-flash-realtime, qwen3-tts-instruct-flash-realtime or qwen-tts-realtime (or a dated snapshot such as qwen3-tts-flash-realtime-2025-11-27), or qwen3-tts-vc-realtime-DATE / qwen3-tts-vd-realtime-DATE for custom voices",
        )
    })
}

/// Check that `voice` fits `model`.
fn check_voice(voice: &str, model: &str, family: Family) -> Result<(), ConfigError> {
    let entry = crate::catalog::find(voice);
    let suggested = entry.and_then(|v| qwen::suggested_model(&v.models));
    match qwen::catalog_model(model).filter(|_| family.takes_system_voices()) {
        Some(catalog_model) => {
            if entry.is_some_and(|v| v.models.contains(&catalog_model)) {
                return Ok(());
            }
            if let Some(other) = suggested {
                return Err(unsupported(
                    format!("the voice '{voice}' is not offered with {model}"),
                    &format!("use -m {other}, or pick a voice from tts voices --model {model}"),
                ));
            }
            let close: Vec<&str> = crate::catalog::voices()
                .iter()
                .filter(|v| v.models.contains(&catalog_model))
                .filter(|v| {
                    strsim::jaro_winkler(&v.id.to_lowercase(), &voice.to_lowercase()) > 0.85
                })
                .map(|v| v.id)
                .take(3)
                .collect();
            let fix = if close.is_empty() {
                format!(
                    "tts voices --model {model} lists its voices (a cloned or designed voice needs the qwen3-tts-vc-realtime-DATE or qwen3-tts-vd-realtime-DATE model it was made for)"
                )
            } else {
                format!(
                    "did you mean {}? (tts voices --model {model})",
                    close.join(", ")
                )
            };
            Err(unsupported(
                format!("'{voice}' is not a system voice of {model}"),
                &fix,
            ))
        }
        None => match suggested {
            Some(other) => Err(unsupported(
                format!(
                    "{model} speaks only voices {} for it, and '{voice}' is a system voice",
                    if family == Family::Clone {
                        "cloned"
                    } else {
                        "designed"
                    }
                ),
                &format!("use -m {other} for it, or -v with your custom voice id"),
            )),
            None => Ok(()),
        },
    }
}

/// Build the Qwen engine's configuration.
pub fn qwen_config(
    args: &SynthesisArgs,
    model: &str,
    file: Option<&FileFormat>,
    credentials: Credentials,
    env: &Environment,
) -> Result<QwenConfig, ConfigError> {
    let family = model_family(model)?;
    let cosy = &args.cosyvoice;
    let voice = match (&args.voice, family) {
        (Some(voice), _) => voice.clone(),
        (None, Family::Clone | Family::Design) => {
            return Err(unsupported(
                format!("{model} has no default voice"),
                "add -v with the id of a voice made for this model",
            ));
        }
        (None, _) => qwen::DEFAULT_VOICE.to_owned(),
    };
    check_voice(&voice, model, family)?;
    for (given, flag) in [
        (cosy.seed.is_some(), "--seed"),
        (cosy.word_timestamps, "--word-timestamps"),
        (cosy.phoneme_timestamps, "--phoneme-timestamps"),
        (cosy.hot_fix.is_some(), "--hot-fix"),
        (cosy.ssml, "--ssml"),
        (
            cosy.aigc_tag || cosy.aigc_propagator.is_some() || cosy.aigc_propagate_id.is_some(),
            "--aigc-*",
        ),
    ] {
        if given {
            return Err(unsupported(
                format!(
                    "{flag} is a CosyVoice option that Qwen-TTS-Realtime ({model}) does not take"
                ),
                "drop it, or use a CosyVoice model (-m cosyvoice-v3-flash)",
            ));
        }
    }
    let legacy = family == Family::Legacy;
    if legacy {
        for (given, flag) in [
            (args.rate.is_some(), "--rate"),
            (args.pitch.is_some(), "--pitch"),
            (args.volume.is_some(), "--volume"),
            (cosy.bit_rate.is_some(), "--bit-rate"),
        ] {
            if given {
                return Err(unsupported(
                    format!("{model} does not take {flag}"),
                    "use -m qwen3-tts-flash-realtime, or drop it",
                ));
            }
        }
    }
    let instruct = family == Family::Instruct;
    if let Some(instruction) = &cosy.instruction {
        if !instruct {
            return Err(unsupported(
                format!("--instruction needs the instruct model; {model} does not take it"),
                "use -m qwen3-tts-instruct-flash-realtime, or drop --instruction",
            ));
        }
        let chars = instruction.chars().count();
        if chars > MAX_INSTRUCTION {
            return Err(unsupported(
                format!("--instruction is {chars} characters long"),
                "use 1600 at most",
            ));
        }
    }
    if args.qwen.optimize_instructions && !(instruct && cosy.instruction.is_some()) {
        return Err(unsupported(
            "--optimize-instructions refines an --instruction for qwen3-tts-instruct-flash-realtime"
                .to_owned(),
            "add --instruction TEXT and -m qwen3-tts-instruct-flash-realtime, or drop it",
        ));
    }
    let language_type = cosy
        .language
        .as_deref()
        .map(|code| {
            qwen::language_type(code).ok_or_else(|| {
                unsupported(
                    format!("--language {code} is not offered by Qwen-TTS-Realtime"),
                    &format!("use one of {}", qwen::LANGUAGE_CODES),
                )
            })
        })
        .transpose()?;
    let (format, sample_rate) = match file {
        None => (AudioFormat::Pcm, 24_000),
        Some(file) => {
            let rate = file.sample_rate.map_or(24_000, SampleRate::get);
            if legacy && (file.format != AudioFormat::Pcm || rate != 24_000) {
                return Err(unsupported(
                    format!("{model} sends only raw PCM at 24000 Hz"),
                    "write FILE.pcm (without --sample-rate), or use -m qwen3-tts-flash-realtime",
                ));
            }
            if !qwen::RATES.contains(&rate) {
                return Err(unsupported(
                    format!("--sample-rate {rate} is not offered by Qwen-TTS-Realtime"),
                    "use 8000, 16000, 24000 or 48000",
                ));
            }
            (file.format, rate)
        }
    };
    let bit_rate = match cosy.bit_rate {
        None => None,
        Some(_) if format != AudioFormat::Opus => return Err(ConfigError::BitRateNeedsOpus),
        Some(kbps) => Some(
            u32::try_from(kbps)
                .ok()
                .filter(|k| (6..=510).contains(k))
                .ok_or(ConfigError::OutOfRange {
                    flag: "--bit-rate",
                    value: kbps.to_string(),
                    range: "6 to 510 kbps",
                })?,
        ),
    };
    let volume = args
        .volume
        .map(|v| {
            u8::try_from(v)
                .ok()
                .filter(|v| *v <= 100)
                .ok_or(ConfigError::OutOfRange {
                    flag: "--volume",
                    value: v.to_string(),
                    range: "a whole number from 0 to 100 (50 is normal)",
                })
        })
        .transpose()?;
    let mode = match args.qwen.qwen_mode {
        None => DEFAULT_MODE,
        Some(QwenModeArg::Commit) => Mode::Commit,
        Some(QwenModeArg::ServerCommit) => Mode::ServerCommit,
    };
    let config = SessionConfig {
        voice,
        mode,
        response_format: format.name().to_owned(),
        sample_rate,
        volume,
        // Range-checked by the caller.
        speech_rate: args.rate,
        pitch_rate: args.pitch,
        bit_rate,
        enable_tn: args.qwen.enable_tn,
        language_type: language_type.map(str::to_owned),
        instructions: cosy.instruction.clone(),
        optimize_instructions: args.qwen.optimize_instructions.then_some(true),
    };
    let base = endpoint(cosy, env, INTL_URL, CN_URL)?;
    let timeouts = Timeouts {
        connect: seconds(
            "--connect-timeout",
            cosy.connect_timeout,
            Timeouts::default().connect,
        )?,
        start: seconds(
            "--start-timeout",
            cosy.start_timeout,
            Timeouts::default().start,
        )?,
        progress: seconds(
            "--progress-timeout",
            cosy.progress_timeout,
            Timeouts::default().progress,
        )?,
    };
    let workspace = cosy
        .workspace
        .clone()
        .or_else(|| env.workspace.clone())
        .or(credentials.workspace);
    Ok(QwenConfig {
        options: QwenOptions {
            url: endpoints::realtime_url(&base, model),
            api_key: credentials.api_key,
            key_source: credentials.source,
            workspace,
            model: model.to_owned(),
            config,
            timeouts,
            limit: session_limit(model),
            retry: RetryPolicy::SAY,
        },
        family,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voices_must_fit_the_model() {
        assert!(check_voice("Cherry", "qwen3-tts-flash-realtime", Family::Flash).is_ok());
        let wrong = check_voice("Cherry", "qwen3-tts-vc-realtime-2026-01-15", Family::Clone)
            .expect_err("a system voice on a VC model")
            .to_string();
        assert!(wrong.contains("-m qwen3-tts-flash-realtime"), "{wrong}");
        let unknown = check_voice("Chery", "qwen3-tts-flash-realtime", Family::Flash)
            .expect_err("unknown")
            .to_string();
        assert!(unknown.contains("did you mean Cherry"), "{unknown}");
        assert!(
            check_voice(
                "my-clone-id",
                "qwen3-tts-vc-realtime-2026-01-15",
                Family::Clone
            )
            .is_ok()
        );
        let legacy = check_voice("Kiki", "qwen-tts-realtime", Family::Legacy)
            .expect_err("not a legacy voice")
            .to_string();
        assert!(legacy.contains("-m qwen3-tts-flash-realtime"), "{legacy}");
    }
}
