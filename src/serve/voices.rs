//! The voices a client may name: the catalog's, the offline engine's (by language code, with an
//! optional `+variant`) and custom voices. A client's string is only ever looked up here; what
//! reaches the engine is the name this book holds, never the string the client sent.

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;

use crate::catalog;

/// Every name a task may use as `voice`.
#[derive(Debug, Default)]
pub struct VoiceBook {
    /// Language codes of the installed espeak-ng voices, lower case.
    languages: HashSet<String>,
    /// Variant names of `espeak-ng-data/voices/!v`.
    variants: HashSet<String>,
    /// Custom voice ids (made through the customization API) and the offline voice for each.
    custom: RwLock<HashMap<String, String>>,
}

/// How a voice name resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A catalog voice: the offline voice that stands in for it.
    Catalog(String),
    /// A catalog voice that does not work with the task's model.
    WrongModel,
    /// An offline engine voice, spelt as the engine knows it.
    Local(String),
    /// Not a voice this server has.
    Unknown,
}

impl VoiceBook {
    /// The book of an engine with these language codes and variants.
    pub fn new(languages: Vec<String>, variants: Vec<String>) -> Self {
        Self {
            languages: languages.into_iter().map(|l| l.to_lowercase()).collect(),
            variants: variants.into_iter().collect(),
            custom: RwLock::default(),
        }
    }

    /// Add (or replace) a custom voice spoken by the offline voice `local`, which must itself
    /// resolve; `false` if it does not.
    pub fn add_custom(&self, id: &str, local: &str) -> bool {
        let Some(local) = self.local(local) else {
            return false;
        };
        if let Ok(mut custom) = self.custom.write() {
            custom.insert(id.to_owned(), local);
            return true;
        }
        false
    }

    /// Forget a custom voice.
    pub fn remove_custom(&self, id: &str) {
        if let Ok(mut custom) = self.custom.write() {
            custom.remove(id);
        }
    }

    /// What `voice` names for `model`.
    pub fn resolve(&self, voice: &str, model: &str) -> Resolved {
        if let Some(entry) = catalog::find(voice) {
            return if entry.models.contains(&model) {
                Resolved::Catalog(entry.local_voice())
            } else {
                Resolved::WrongModel
            };
        }
        if let Some(local) = self.custom.read().ok().and_then(|c| c.get(voice).cloned()) {
            return Resolved::Local(local);
        }
        self.local(voice).map_or(Resolved::Unknown, Resolved::Local)
    }

    /// An engine voice `language[+variant]`, rebuilt from the book's own strings.
    fn local(&self, voice: &str) -> Option<String> {
        let (base, variant) = match voice.split_once('+') {
            Some((base, variant)) => (base, Some(variant)),
            None => (voice, None),
        };
        let base = self.languages.get(&base.to_lowercase())?;
        match variant {
            None => Some(base.clone()),
            Some(variant) => {
                let variant = self.variants.get(variant)?;
                Some(format!("{base}+{variant}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> VoiceBook {
        VoiceBook::new(
            vec!["en-us".into(), "en-GB".into(), "cmn".into()],
            vec!["m1".into(), "f2".into()],
        )
    }

    #[test]
    fn only_known_names_resolve() {
        let book = book();
        assert_eq!(
            book.resolve("en-gb+f2", "cosyvoice-v3-flash"),
            Resolved::Local("en-gb+f2".into())
        );
        assert_eq!(
            book.resolve("EN-US", "cosyvoice-v3-flash"),
            Resolved::Local("en-us".into())
        );
        for hostile in [
            "!v/m1",
            "../../etc/passwd",
            "/etc/passwd",
            "en-us+../m1",
            "en-us+",
            "+m1",
            "gmw/en",
            "en-us\0",
            "",
        ] {
            assert_eq!(
                book.resolve(hostile, "cosyvoice-v3-flash"),
                Resolved::Unknown,
                "{hostile:?}"
            );
        }
        assert_eq!(
            book.resolve("longanyang", "cosyvoice-v3-flash"),
            Resolved::Catalog("cmn+m3".into())
        );
        assert_eq!(
            book.resolve("longxiaochun_v2", "cosyvoice-v3-flash"),
            Resolved::WrongModel
        );
    }

    #[test]
    fn custom_voices_resolve_to_their_engine_voice() {
        let book = book();
        assert!(book.add_custom("cosyvoice-v3-flash-mine-1234", "cmn+f2"));
        assert!(!book.add_custom("bad", "!v/m1"));
        assert_eq!(
            book.resolve("cosyvoice-v3-flash-mine-1234", "cosyvoice-v3-flash"),
            Resolved::Local("cmn+f2".into())
        );
        book.remove_custom("cosyvoice-v3-flash-mine-1234");
        assert_eq!(
            book.resolve("cosyvoice-v3-flash-mine-1234", "cosyvoice-v3-flash"),
            Resolved::Unknown
        );
    }
}
