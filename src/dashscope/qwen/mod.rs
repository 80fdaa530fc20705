//! Qwen-TTS-Realtime (`/api-ws/v1/realtime?model=…`): the models and what each accepts
//! (`mod.rs`), the event types (`protocol.rs`), the pure session machine (`state.rs`) and the
//! socket worker (`session.rs`).

pub mod protocol;
pub mod session;
pub mod state;

/// The model when `-e qwen` names none.
pub const DEFAULT_MODEL: &str = "qwen3-tts-flash-realtime";
/// The voice when none is given.
pub const DEFAULT_VOICE: &str = "Cherry";
/// Rates the Qwen3 models offer.
pub const RATES: [u32; 4] = [8000, 16000, 24000, 48000];

/// The families of realtime models, which differ in the voices and options they take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `qwen3-tts-flash-realtime`: system voices.
    Flash,
    /// `qwen3-tts-instruct-flash-realtime`: system voices and `instructions`.
    Instruct,
    /// `qwen-tts-realtime`: four system voices, PCM at 24 kHz, no prosody options.
    Legacy,
    /// `qwen3-tts-vc-realtime-*`: only voices cloned for the model.
    Clone,
    /// `qwen3-tts-vd-realtime-*`: only voices designed for the model.
    Design,
}

impl Family {
    /// Whether the family speaks the catalog's system voices (else only custom ones).
    pub fn takes_system_voices(self) -> bool {
        matches!(self, Self::Flash | Self::Instruct | Self::Legacy)
    }

    /// The catalog's model name for the family's system voices.
    pub fn catalog_model(self) -> Option<&'static str> {
        match self {
            Self::Flash => Some("qwen3-tts-flash-realtime"),
            Self::Instruct => Some("qwen3-tts-instruct-flash-realtime"),
            Self::Legacy => Some("qwen-tts-realtime"),
            Self::Clone | Self::Design => None,
        }
    }
}

/// The catalog's model name for `model`'s system voices: the model itself when the catalog lists
/// voices for it (some snapshots have their own list), else its alias; `None` for the models of
/// custom voices and for names that are not Qwen realtime models.
pub fn catalog_model(model: &str) -> Option<&str> {
    let family = family(model)?;
    let listed = crate::catalog::voices()
        .iter()
        .any(|v| v.models.contains(&model));
    if listed && family.takes_system_voices() {
        Some(model)
    } else {
        family.catalog_model()
    }
}

/// The realtime model to suggest for a system voice taking `models`: the flash model first.
pub fn suggested_model<'a>(models: &[&'a str]) -> Option<&'a str> {
    let realtime: Vec<&'a str> = models
        .iter()
        .copied()
        .filter(|m| family(m).is_some())
        .collect();
    [
        "qwen3-tts-flash-realtime",
        "qwen3-tts-instruct-flash-realtime",
        "qwen-tts-realtime",
    ]
    .iter()
    .find_map(|preferred| realtime.iter().copied().find(|m| m == preferred))
    .or_else(|| realtime.first().copied())
}

/// `-YYYY-MM-DD`.
fn is_date_suffix(rest: &str) -> bool {
    let Some(date) = rest.strip_prefix('-') else {
        return false;
    };
    let bytes = date.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
}

/// The family of a Qwen realtime model name (an alias or a dated snapshot); `None` for any
/// other name.
pub fn family(model: &str) -> Option<Family> {
    let dated = |alias: &str| {
        model
            .strip_prefix(alias)
            .is_some_and(|rest| rest.is_empty() || is_date_suffix(rest))
    };
    if dated("qwen3-tts-flash-realtime") {
        Some(Family::Flash)
    } else if dated("qwen3-tts-instruct-flash-realtime") {
        Some(Family::Instruct)
    } else if dated("qwen-tts-realtime") || model == "qwen-tts-realtime-latest" {
        Some(Family::Legacy)
    } else if dated("qwen3-tts-vc-realtime") {
        Some(Family::Clone)
    } else if dated("qwen3-tts-vd-realtime") {
        Some(Family::Design)
    } else {
        None
    }
}

/// Whether a name looks like a Qwen realtime model, known or not (to say which engine it
/// belongs to).
pub fn looks_like_model(model: &str) -> bool {
    model.starts_with("qwen") && model.contains("realtime")
}

/// `language_type` for a `--language` short code.
pub fn language_type(code: &str) -> Option<&'static str> {
    Some(match code.to_ascii_lowercase().as_str() {
        "auto" => "Auto",
        "zh" => "Chinese",
        "en" => "English",
        "de" => "German",
        "it" => "Italian",
        "pt" => "Portuguese",
        "es" => "Spanish",
        "ja" => "Japanese",
        "ko" => "Korean",
        "fr" => "French",
        "ru" => "Russian",
        _ => return None,
    })
}

/// The short codes `--language` takes for Qwen models.
pub const LANGUAGE_CODES: &str = "auto, zh, en, de, it, pt, es, ja, ko, fr, ru";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_dated_snapshots_have_their_family() {
        assert_eq!(family("qwen3-tts-flash-realtime"), Some(Family::Flash));
        assert_eq!(
            family("qwen3-tts-flash-realtime-2025-11-27"),
            Some(Family::Flash)
        );
        assert_eq!(
            family("qwen3-tts-instruct-flash-realtime-2026-01-22"),
            Some(Family::Instruct)
        );
        assert_eq!(family("qwen-tts-realtime-latest"), Some(Family::Legacy));
        assert_eq!(
            family("qwen3-tts-vc-realtime-2026-01-15"),
            Some(Family::Clone)
        );
        assert_eq!(
            family("qwen3-tts-vd-realtime-2025-12-16"),
            Some(Family::Design)
        );
        assert_eq!(family("qwen3-tts-flash-realtime-x"), None);
        assert_eq!(family("cosyvoice-v3-flash"), None);
        assert!(looks_like_model("qwen3-tts-flash-realtimee"));
    }
}
