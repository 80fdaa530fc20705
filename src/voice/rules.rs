//! The service's rules for custom voices, checked before anything is sent: target models of
//! each family, what each region offers, prefix and name characters, description and preview
//! lengths and languages, and which model a custom voice speaks with.

use super::{CloneOptions, Source};
use crate::dashscope::customization::{DesignRequest, Family};
use crate::dashscope::endpoints::Region;

/// CosyVoice models that take cloned voices.
pub const COSYVOICE_CLONE: [&str; 5] = [
    "cosyvoice-v3.5-plus",
    "cosyvoice-v3.5-flash",
    "cosyvoice-v3-plus",
    "cosyvoice-v3-flash",
    "cosyvoice-v2",
];
/// CosyVoice models that take designed voices.
pub const COSYVOICE_DESIGN: [&str; 4] = [
    "cosyvoice-v3.5-plus",
    "cosyvoice-v3.5-flash",
    "cosyvoice-v3-plus",
    "cosyvoice-v3-flash",
];
/// Qwen models that take cloned voices.
pub const QWEN_CLONE: [&str; 3] = [
    "qwen3-tts-vc-realtime-2026-01-15",
    "qwen3-tts-vc-realtime-2025-11-27",
    "qwen3-tts-vc-2026-01-22",
];
/// Qwen models that take designed voices.
pub const QWEN_DESIGN: [&str; 3] = [
    "qwen3-tts-vd-realtime-2026-01-15",
    "qwen3-tts-vd-realtime-2025-12-16",
    "qwen3-tts-vd-2026-01-26",
];
/// The target when `-m` is not given: cloning with it works in both regions.
pub const DEFAULT_CLONE_TARGET: &str = "cosyvoice-v3-plus";
/// The target for a designed voice when `-m` is not given.
pub const DEFAULT_DESIGN_TARGET: &str = "cosyvoice-v3-plus";
const COSYVOICE_LANGUAGES: [&str; 7] = ["zh", "en", "fr", "de", "ja", "ko", "ru"];
const QWEN_LANGUAGES: [&str; 10] = ["zh", "en", "de", "it", "pt", "es", "ja", "ko", "fr", "ru"];

/// A request the service would refuse; each message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RuleError(pub String);

fn refuse<T>(message: impl Into<String>) -> Result<T, RuleError> {
    Err(RuleError(message.into()))
}

/// A CosyVoice prefix: lowercase letters and digits, 1 to 10 (the SDK's rule, which every
/// version of the documentation also accepts).
pub fn check_prefix(name: &str) -> Result<(), RuleError> {
    if (1..=10).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        Ok(())
    } else {
        refuse(format!(
            "--name '{name}' cannot be a CosyVoice prefix: use 1 to 10 lowercase letters and digits (a-z, 0-9)"
        ))
    }
}

/// A Qwen preferred name: letters, digits and underscore, 1 to 16.
pub fn check_preferred_name(name: &str) -> Result<(), RuleError> {
    if (1..=16).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Ok(())
    } else {
        refuse(format!(
            "--name '{name}' cannot be a Qwen voice name: use 1 to 16 letters, digits and underscores"
        ))
    }
}

fn check_name(family: Family, name: &str) -> Result<(), RuleError> {
    if family == Family::CosyVoice {
        check_prefix(name)
    } else {
        check_preferred_name(name)
    }
}

/// A clone request: target model, region, name, language, transcript.
pub fn check_clone(clone: &CloneOptions, region: Option<Region>) -> Result<Family, RuleError> {
    let model = clone.target_model.as_str();
    let family = if COSYVOICE_CLONE.contains(&model) {
        Family::CosyVoice
    } else if QWEN_CLONE.contains(&model) {
        Family::QwenClone
    } else {
        return refuse(format!(
            "-m {model} takes no cloned voices: use one of {}, {}",
            COSYVOICE_CLONE.join(", "),
            QWEN_CLONE.join(", ")
        ));
    };
    if family == Family::CosyVoice && region == Some(Region::Intl) {
        if model != "cosyvoice-v3-plus" {
            return refuse(format!(
                "{model} cannot speak cloned voices in the international region: use -m cosyvoice-v3-plus, or --region cn with a Beijing key"
            ));
        }
        if matches!(clone.source, Source::File(_)) {
            return refuse(
                "the service keeps uploaded samples only in the Beijing region: use --region cn with a Beijing key, give --url with a public URL of the sample, or clone for Qwen (the sample goes inline) with -m qwen3-tts-vc-realtime-2026-01-15",
            );
        }
    }
    check_name(family, &clone.name)?;
    if let Some(language) = &clone.language {
        let known: &[&str] = if family == Family::CosyVoice {
            &COSYVOICE_LANGUAGES
        } else {
            &QWEN_LANGUAGES
        };
        if !known.contains(&language.as_str()) {
            return refuse(format!(
                "--language {language} is not offered for {model}: use one of {}",
                known.join(", ")
            ));
        }
    }
    if clone.text.is_some() && family == Family::CosyVoice {
        return refuse(
            "--text (a transcript) is for Qwen models; CosyVoice clones take none: drop --text",
        );
    }
    if let Some(text) = &clone.text
        && (text.trim().is_empty() || text.chars().count() > 1000)
    {
        return refuse("--text must be the sample's transcript, 1 to 1000 characters");
    }
    if let Source::Url(url) = &clone.source {
        check_url(url)?;
    }
    Ok(family)
}

/// An update: CosyVoice voices only; the target model the id names.
pub fn check_update(id: &str) -> Result<&'static str, RuleError> {
    match (Family::of_voice(id), target_of_id(id)) {
        (Some(Family::CosyVoice), Some(target)) => Ok(target),
        (Some(Family::CosyVoice), None) | (None, _) => refuse(format!(
            "'{id}' is not a CosyVoice voice id (cosyvoice-MODEL-PREFIX-…): see tts voice list"
        )),
        (Some(_), _) => refuse(format!(
            "{id} is a Qwen voice, which cannot be updated: delete it and clone again"
        )),
    }
}

fn check_url(url: &str) -> Result<(), RuleError> {
    let ok = ["https://", "http://", "oss://"]
        .iter()
        .any(|s| url.starts_with(s) && url.len() > s.len())
        && !url.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        refuse(format!(
            "--url '{url}' is not a URL the service can fetch: give https://…"
        ))
    }
}

/// Whether every character is Chinese or English text (letters, digits, punctuation).
fn chinese_or_english(text: &str) -> Result<(), char> {
    for c in text.chars() {
        let ok = c.is_ascii()
            || matches!(c,
                '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}'
                | '\u{3000}'..='\u{303F}' | '\u{FF00}'..='\u{FFEF}' | '\u{2000}'..='\u{206F}'
                | '\u{00A0}'..='\u{00BF}' | '\u{00D7}' | '\u{00F7}');
        if !ok {
            return Err(c);
        }
    }
    Ok(())
}

/// `zh` when Han characters outnumber Latin letters, else `en`.
pub fn language_of(text: &str) -> &'static str {
    let han = text
        .chars()
        .filter(|c| matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}'))
        .count();
    let latin = text.chars().filter(char::is_ascii_alphabetic).count();
    if han > latin { "zh" } else { "en" }
}

/// A design request: target model, region, name, description and preview text.
pub fn check_design(request: &DesignRequest, region: Option<Region>) -> Result<Family, RuleError> {
    let model = request.target_model.as_str();
    let (family, max_prompt, max_preview) = if COSYVOICE_DESIGN.contains(&model) {
        (Family::CosyVoice, 500, 200)
    } else if QWEN_DESIGN.contains(&model) {
        (Family::QwenDesign, 2048, 1024)
    } else {
        return refuse(format!(
            "-m {model} takes no designed voices: use one of {}, {}",
            COSYVOICE_DESIGN.join(", "),
            QWEN_DESIGN.join(", ")
        ));
    };
    if family == Family::CosyVoice && region == Some(Region::Intl) {
        return refuse(
            "CosyVoice voice design is offered only in the Beijing region: add --region cn (with a Beijing key), or use a Qwen model such as -m qwen3-tts-vd-realtime-2026-01-15",
        );
    }
    check_name(family, &request.name)?;
    let prompt = request.voice_prompt.trim();
    let chars = prompt.chars().count();
    if chars == 0 {
        return refuse(
            "the description is empty: describe the voice, e.g. \"a calm middle-aged male announcer, deep and warm\"",
        );
    }
    if chars > max_prompt {
        return refuse(format!(
            "the description is {chars} characters; {model} takes {max_prompt} at most"
        ));
    }
    if let Err(c) = chinese_or_english(prompt) {
        return refuse(format!(
            "the description must be in Chinese or English; it contains '{c}' (U+{:04X})",
            u32::from(c)
        ));
    }
    let preview = request.preview_text.trim();
    let chars = preview.chars().count();
    if chars == 0 || chars > max_preview {
        return refuse(format!(
            "--preview-text is {chars} characters; use 1 to {max_preview}"
        ));
    }
    if family == Family::CosyVoice
        && let Err(c) = chinese_or_english(preview)
    {
        return refuse(format!(
            "--preview-text must be in Chinese or English for {model}; it contains '{c}'"
        ));
    }
    if let Some(language) = &request.language {
        if !["zh", "en"].contains(&language.as_str()) {
            return refuse(format!(
                "--language {language} is not offered for voice design: use zh or en"
            ));
        }
        if language_of(preview) != language {
            return refuse(format!(
                "--preview-text is not in --language {language}: the two must agree"
            ));
        }
    }
    Ok(family)
}

/// The model a CosyVoice voice id names (`cosyvoice-v3-plus-myvoice-…` → `cosyvoice-v3-plus`).
pub fn target_of_id(id: &str) -> Option<&'static str> {
    // Longest first, so cosyvoice-v3.5-plus is not read as something shorter.
    let mut models: Vec<&'static str> = COSYVOICE_CLONE
        .iter()
        .chain(["cosyvoice-v1"].iter())
        .copied()
        .collect();
    models.sort_by_key(|m| std::cmp::Reverse(m.len()));
    models
        .into_iter()
        .find(|m| id.strip_prefix(m).is_some_and(|rest| rest.starts_with('-')))
}

/// `tts say -v ID -m MODEL` with a custom voice: the model must be the voice's; refused before
/// connecting, naming the right `-m`.
pub fn check_say(voice: &str, model: &str) -> Result<(), RuleError> {
    match Family::of_voice(voice) {
        Some(Family::CosyVoice) => match target_of_id(voice) {
            Some(target) if target != model => refuse(format!(
                "voice {voice} was made for {target} and speaks only with it: add -m {target}"
            )),
            _ => Ok(()),
        },
        // A Qwen custom voice speaks with a model of its family (qwen3-tts-vc-… or -vd-…).
        Some(family @ (Family::QwenClone | Family::QwenDesign))
            if Family::of_target(model) != Some(family) =>
        {
            refuse(format!(
                "voice {voice} is a {family} voice and speaks only with its Qwen target model, not {model}: tts voice show {voice} names it; use that with -m"
            ))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_their_model() {
        assert_eq!(
            target_of_id("cosyvoice-v3.5-plus-vd-announcer-abc"),
            Some("cosyvoice-v3.5-plus")
        );
        assert_eq!(
            target_of_id("cosyvoice-v3-plus-myvoice-abc"),
            Some("cosyvoice-v3-plus")
        );
        assert_eq!(target_of_id("longanyang"), None);
        assert!(check_say("cosyvoice-v3-plus-myvoice-abc", "cosyvoice-v3-plus").is_ok());
        let err = check_say("cosyvoice-v3-plus-myvoice-abc", "cosyvoice-v3-flash")
            .expect_err("refused")
            .to_string();
        assert!(err.contains("add -m cosyvoice-v3-plus"), "{err}");
        assert!(
            check_say("qwen-tts-vc-a-voice-1-ab12", "cosyvoice-v3-flash")
                .expect_err("refused")
                .to_string()
                .contains("tts voice show")
        );
        assert!(check_say("longanyang", "cosyvoice-v3-flash").is_ok());
        assert!(
            check_say(
                "qwen-tts-vc-a-voice-1-ab12",
                "qwen3-tts-vc-realtime-2026-01-15"
            )
            .is_ok()
        );
        assert!(
            check_say(
                "qwen-tts-vd-b-voice-ab12",
                "qwen3-tts-vd-realtime-2025-12-16"
            )
            .is_ok()
        );
        assert!(check_say("qwen-tts-vd-b-voice-ab12", "qwen3-tts-flash-realtime").is_err());
    }

    #[test]
    fn names_and_descriptions() {
        assert!(check_prefix("myvoice1").is_ok());
        for bad in ["", "MyVoice", "my_voice", "elevenchars"] {
            assert!(check_prefix(bad).is_err(), "{bad}");
        }
        assert!(check_preferred_name("My_Voice_16chars").is_ok());
        assert!(check_preferred_name("seventeen_chars__").is_err());
        assert_eq!(chinese_or_english("一位温柔的女声, calm."), Ok(()));
        assert_eq!(chinese_or_english("голос"), Err('г'));
        assert_eq!(language_of("你好 a"), "zh");
        assert_eq!(language_of("hello 你"), "en");
    }
}
