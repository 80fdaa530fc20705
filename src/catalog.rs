//! The embedded catalog of the service's system voices (`data/voices.tsv`): which models each
//! voice works with, and the offline voice that stands in for it in `tts serve`.

use std::sync::OnceLock;

const TSV: &str = include_str!("../data/voices.tsv");

/// One system voice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voice {
    /// The id sent as `voice` (`longanyang`).
    pub id: &'static str,
    /// Its display name.
    pub name: &'static str,
    /// What it sounds like.
    pub description: &'static str,
    /// Every column of the catalog, by header name, for `--json`.
    pub columns: Vec<(&'static str, &'static str)>,
    /// Models it works with.
    pub models: Vec<&'static str>,
    /// `female`, `male`, or empty when unknown.
    pub gender: &'static str,
    /// Languages, most prominent first (`zh (Mandarin)`, `en-GB`, ...).
    pub languages: Vec<&'static str>,
}

impl Voice {
    /// Whether the voice is offered in `region` (the catalog's `regions` column: `mainland`,
    /// `intl`); a voice with no regions listed is taken to be everywhere.
    pub fn offered_in(&self, region: crate::dashscope::endpoints::Region) -> bool {
        use crate::dashscope::endpoints::Region;
        let regions = self
            .columns
            .iter()
            .find(|(name, _)| *name == "regions")
            .map_or("", |(_, value)| *value);
        let wanted = match region {
            Region::Cn => "mainland",
            Region::Intl => "intl",
        };
        regions.is_empty() || regions.split(',').any(|r| r.trim() == wanted)
    }
}

/// Every voice of the catalog.
pub fn voices() -> &'static [Voice] {
    static VOICES: OnceLock<Vec<Voice>> = OnceLock::new();
    VOICES.get_or_init(|| {
        let mut lines = TSV.lines();
        let header: Vec<&'static str> = lines.next().unwrap_or_default().split('\t').collect();
        let column = |name: &str| header.iter().position(|h| *h == name);
        let (Some(id), Some(models), Some(gender), Some(languages), Some(name), Some(description)) = (
            column("voice"),
            column("models"),
            column("gender"),
            column("languages"),
            column("name"),
            column("description"),
        ) else {
            return Vec::new();
        };
        lines
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let cells: Vec<&'static str> = line.split('\t').collect();
                let cell = |i: usize| cells.get(i).copied().unwrap_or("").trim();
                let list = |i: usize| {
                    cell(i)
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .collect()
                };
                Voice {
                    id: cell(id),
                    name: cell(name),
                    description: cell(description),
                    columns: header.iter().enumerate().map(|(i, h)| (*h, cell(i))).collect(),
                    models: list(models),
                    gender: cell(gender),
                    languages: list(languages),
                }
            })
            .collect()
    })
}

/// Catalog voices close to `id`, best first (for a name that is not in the catalog).
pub fn close_to(id: &str) -> Vec<&'static str> {
    let mut scored: Vec<(f64, &'static str)> = voices()
        .iter()
        .map(|v| (strsim::jaro_winkler(id, v.id), v.id))
        .filter(|(score, _)| *score > 0.85)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(3).map(|(_, id)| id).collect()
}

/// The catalog entry of `id`.
pub fn find(id: &str) -> Option<&'static Voice> {
    voices().iter().find(|v| v.id == id)
}

impl Voice {
    /// The espeak-ng voice that speaks for this one: same language, same gender.
    pub fn local_voice(&self) -> String {
        let language = self.languages.first().copied().unwrap_or("");
        let base = match language {
            l if l.starts_with("zh-yue") => "yue",
            l if l.starts_with("zh") => "cmn",
            l if l.eq_ignore_ascii_case("en-GB") => "en-gb",
            l if l.starts_with("en") => "en-us",
            "ja" => "ja",
            "ko" => "ko",
            "id" => "id",
            _ => "en-us",
        };
        match self.gender {
            "female" => format!("{base}+f2"),
            "male" => format!("{base}+m3"),
            _ => base.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_has_every_voice_with_models() {
        assert_eq!(voices().len(), 277);
        assert!(
            voices()
                .iter()
                .all(|v| !v.id.is_empty() && !v.models.is_empty())
        );
        let anyang = find("longanyang").expect("longanyang");
        assert_eq!(anyang.models, ["cosyvoice-v3-flash", "cosyvoice-v3-plus"]);
        assert_eq!(anyang.local_voice(), "cmn+m3");
    }

    #[test]
    fn local_voices_follow_language_and_gender() {
        let by = |lang: &str| {
            voices()
                .iter()
                .find(|v| v.languages.first() == Some(&lang))
                .expect(lang)
        };
        assert!(by("en-GB").local_voice().starts_with("en-gb"));
        assert!(by("zh-yue (Cantonese)").local_voice().starts_with("yue"));
        assert!(by("ja").local_voice().starts_with("ja"));
        let female = voices()
            .iter()
            .find(|v| v.gender == "female")
            .expect("a female voice");
        assert!(female.local_voice().ends_with("+f2"));
    }
}
