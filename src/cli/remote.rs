//! Validating the CosyVoice engine's options: parameters, endpoint, key and timeouts, all
//! before any connection is opened.

use std::path::Path;
use std::time::Duration;

use tokio_tungstenite::tungstenite::http::Uri;

use super::ConfigError;
use super::args::{CosyVoiceArgs, RegionArg};
use super::config::Environment;
use super::credentials::Credentials;
use crate::audio::{AudioFormat, SampleRate};
use crate::protocol::{HotFix, Parameters};
use crate::session::{SessionOptions, Timeouts};
use crate::text::count;

/// The model when none is given.
pub const DEFAULT_MODEL: &str = "cosyvoice-v3-flash";
/// The voice when none is given.
pub const DEFAULT_VOICE: &str = "longanyang";
/// The international endpoint.
pub const INTL_URL: &str = "wss://dashscope-intl.aliyuncs.com/api-ws/v1/inference";
const CN_URL: &str = "wss://dashscope.aliyuncs.com/api-ws/v1/inference";
const LANGUAGES: [&str; 11] = [
    "zh", "en", "fr", "de", "ja", "ko", "ru", "pt", "th", "id", "vi",
];
pub const OPUS_RATES: [u32; 4] = [8000, 16000, 24000, 48000];

/// What the remote engine will ask for.
#[derive(Debug, Clone)]
pub struct RemoteConfig {
    /// Endpoint, key, model, parameters, timeouts. `parameters.format` and `sample_rate` are
    /// final for files; for playback the pipeline sets them from the device.
    pub session: SessionOptions,
    /// The text is one SSML document.
    pub ssml: bool,
    /// A warning about where the key was found (a key file others can read).
    pub key_warning: Option<String>,
}

/// The prosody shared with the offline engine, already range-checked.
pub struct Prosody {
    /// 0.5 to 2.0.
    pub rate: f64,
    /// 0.5 to 2.0.
    pub pitch: f64,
    /// 0 to 100.
    pub volume: u8,
}

/// The audio the service is asked for, when writing a file.
pub struct FileFormat {
    /// The container or encoding.
    pub format: AudioFormat,
    /// `--sample-rate`, if given.
    pub sample_rate: Option<SampleRate>,
}

/// Build the remote engine's configuration.
pub fn remote_config(
    args: &CosyVoiceArgs,
    voice: Option<&str>,
    prosody: &Prosody,
    file: Option<&FileFormat>,
    credentials: Credentials,
    env: &Environment,
) -> Result<RemoteConfig, ConfigError> {
    let seed =
        match args.seed {
            None => 0,
            Some(seed) => u32::try_from(seed).ok().filter(|s| *s <= 65_535).ok_or(
                ConfigError::OutOfRange {
                    flag: "--seed",
                    value: seed.to_string(),
                    range: "a whole number from 0 to 65535",
                },
            )?,
        };
    if let Some(language) = &args.language
        && !LANGUAGES.contains(&language.as_str())
    {
        return Err(ConfigError::UnknownLanguage {
            value: language.clone(),
        });
    }
    if let Some(instruction) = &args.instruction {
        let chars = instruction.chars().count();
        if chars > 100 {
            return Err(ConfigError::InstructionTooLong { chars });
        }
    }
    let model = args.model.clone().unwrap_or_else(|| DEFAULT_MODEL.into());
    let voice = voice.unwrap_or(DEFAULT_VOICE);
    if !args.force_voice {
        check_voice_serves(voice, &model)?;
    }
    let (format, sample_rate, bit_rate) = wire_format(args, file)?;
    let hot_fix = args.hot_fix.as_deref().map(read_hot_fix).transpose()?;
    let parameters = Parameters {
        voice: voice.to_owned(),
        volume: prosody.volume,
        text_type: "PlainText".into(),
        sample_rate,
        rate: prosody.rate,
        format: format.name().into(),
        pitch: prosody.pitch,
        seed,
        synthesis_type: 0,
        bit_rate,
        word_timestamp_enabled: args.word_timestamps.then_some(true),
        enable_aigc_tag: args.aigc_tag.then_some(true),
        aigc_propagator: args.aigc_propagator.clone(),
        aigc_propagate_id: args.aigc_propagate_id.clone(),
        enable_markdown_filter: args.markdown_filter.then_some(true),
        phoneme_timestamp_enabled: args.phoneme_timestamps.then_some(true),
        hot_fix,
        enable_ssml: args.ssml.then_some(true),
        instruction: args.instruction.clone(),
        language_hints: args.language.clone().map(|l| vec![l]),
    };
    let url = crate::dashscope::endpoints::websocket_url(
        &endpoint(args, env, INTL_URL, CN_URL)?,
        crate::dashscope::endpoints::INFERENCE_PATH,
    );
    let timeouts = Timeouts {
        connect: seconds(
            "--connect-timeout",
            args.connect_timeout,
            Timeouts::default().connect,
        )?,
        start: seconds(
            "--start-timeout",
            args.start_timeout,
            Timeouts::default().start,
        )?,
        progress: seconds(
            "--progress-timeout",
            args.progress_timeout,
            Timeouts::default().progress,
        )?,
    };
    let workspace = args
        .workspace
        .clone()
        .or_else(|| env.workspace.clone())
        .or(credentials.workspace);
    Ok(RemoteConfig {
        key_warning: credentials.warning,
        session: SessionOptions {
            url,
            api_key: credentials.api_key,
            key_source: credentials.source,
            workspace,
            model,
            parameters,
            timeouts,
            retry: crate::session::retry::RetryPolicy::SAY,
        },
        ssml: args.ssml,
    })
}

/// A catalog voice with a model the catalog knows but does not list for it is refused before
/// connecting (the service would fail the task). A voice or model the catalog lacks may be
/// newer than it, so it is not judged.
fn check_voice_serves(voice: &str, model: &str) -> Result<(), ConfigError> {
    let Some(entry) = crate::catalog::find(voice) else {
        return Ok(());
    };
    let known_model = crate::catalog::voices()
        .iter()
        .any(|v| v.models.contains(&model));
    if !known_model || entry.models.contains(&model) {
        return Ok(());
    }
    Err(ConfigError::VoiceModel {
        voice: voice.to_owned(),
        model: model.to_owned(),
        models: entry.models.join(", "),
        first: entry.models.first().copied().unwrap_or_default().to_owned(),
    })
}

/// Format, rate and bit rate on the wire. Playback asks for PCM unless `--format` says
/// otherwise; its rate is set to the device's once that is open.
fn wire_format(
    args: &CosyVoiceArgs,
    file: Option<&FileFormat>,
) -> Result<(AudioFormat, u32, Option<u32>), ConfigError> {
    let Some(file) = file else {
        if args.bit_rate.is_some() {
            return Err(ConfigError::BitRateNeedsOpus);
        }
        return Ok((AudioFormat::Pcm, 48_000, None));
    };
    let opus = file.format == AudioFormat::Opus;
    let rate = match file.sample_rate.map(SampleRate::get) {
        Some(hz) if opus && !OPUS_RATES.contains(&hz) => {
            return Err(ConfigError::OpusRate { value: hz });
        }
        Some(hz) => hz,
        None if opus => 24_000,
        None => 22_050,
    };
    let bit_rate = match (args.bit_rate, opus) {
        (Some(_), false) => return Err(ConfigError::BitRateNeedsOpus),
        (None, true) => Some(32),
        (None, false) => None,
        (Some(kbps), true) => Some(
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
    Ok((file.format, rate, bit_rate))
}

fn read_hot_fix(path: &Path) -> Result<HotFix, ConfigError> {
    let bad = |reason: String| ConfigError::HotFix {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.kind().to_string()))?;
    let hot_fix: HotFix = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if hot_fix.pronunciation.is_empty() && hot_fix.replace.is_empty() {
        return Err(bad(
            "it has neither \"pronunciation\" nor \"replace\" entries".into(),
        ));
    }
    Ok(hot_fix)
}

/// The endpoint asked for (`--endpoint`, `--region`, `DASHSCOPE_WEBSOCKET_BASE_URL`, else
/// `intl`), checked: `wss://`, or `ws://` on loopback. A bare `ws://HOST:PORT` is fine: each
/// engine adds its path (`dashscope::endpoints`).
pub(super) fn endpoint(
    args: &CosyVoiceArgs,
    env: &Environment,
    intl: &str,
    cn: &str,
) -> Result<String, ConfigError> {
    let url = match (&args.endpoint, &env.websocket_url, args.region) {
        (Some(url), _, _) => url.clone(),
        (None, _, Some(RegionArg::Cn)) => cn.into(),
        (None, _, Some(RegionArg::Intl)) => intl.into(),
        (None, Some(url), None) => url.clone(),
        (None, None, None) => intl.into(),
    };
    check_endpoint(url)
}

/// A CosyVoice endpoint: `wss://`, or `ws://` on this machine only.
pub fn check_endpoint(url: String) -> Result<String, ConfigError> {
    let bad = |reason: &str| ConfigError::Endpoint {
        url: url.clone(),
        reason: reason.to_owned(),
    };
    let uri: Uri = url.parse().map_err(|_| bad("not a URL"))?;
    let host = uri.host().ok_or_else(|| bad("it names no host"))?;
    match uri.scheme_str() {
        Some("wss") => Ok(url),
        Some("ws") if is_loopback(host) => Ok(url),
        Some("ws") => Err(bad(
            "plain ws:// is only allowed on this machine (127.0.0.1, localhost, ::1); use wss://",
        )),
        _ => Err(bad("use a wss:// URL")),
    }
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub(super) fn seconds(
    flag: &'static str,
    value: Option<f64>,
    default: Duration,
) -> Result<Duration, ConfigError> {
    match value {
        None => Ok(default),
        Some(s) if s.is_finite() && s > 0.0 && s <= 86_400.0 => Ok(Duration::from_secs_f64(s)),
        Some(s) => Err(ConfigError::OutOfRange {
            flag,
            value: s.to_string(),
            range: "a number of seconds above 0",
        }),
    }
}

/// `--ssml`: one document, known in full, within the message limit.
pub fn check_ssml(text: Option<&str>, from_stdin: bool) -> Result<(), ConfigError> {
    if from_stdin {
        return Err(ConfigError::SsmlFromStdin);
    }
    if let Some(text) = text {
        let chars = count::billed_ssml(text);
        if chars > count::MAX_PER_MESSAGE {
            return Err(ConfigError::SsmlTooLong { chars });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ws_only_on_loopback() {
        for ok in [
            "ws://127.0.0.1:8765/api-ws/v1/inference",
            "ws://localhost:1/x",
            "ws://[::1]:9/x",
            "ws://127.0.0.1:8765",
            INTL_URL,
        ] {
            assert!(is_ok(ok), "{ok}");
        }
        for bad in ["ws://10.0.0.1/x", "http://127.0.0.1/x", "nonsense"] {
            assert!(!is_ok(bad), "{bad}");
        }
    }

    fn is_ok(url: &str) -> bool {
        let args = CosyVoiceArgs {
            endpoint: Some(url.into()),
            ..CosyVoiceArgs::default()
        };
        endpoint(&args, &Environment::default(), INTL_URL, CN_URL).is_ok()
    }
}
