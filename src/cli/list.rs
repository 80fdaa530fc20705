//! `tts voices` and `tts devices`: the tables (fitted to the terminal) and JSON they print.

use serde_json::{Value, json};

use crate::catalog::{self, Voice};
use crate::engine::espeak_ffi::VoiceInfo;
use crate::engine::piper::{PiperVoice, SearchPaths};

/// Which of the offline engine's voices to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LocalKind {
    /// Neural voices, then espeak-ng's.
    #[default]
    Both,
    /// Only the neural voices.
    Neural,
    /// Only espeak-ng's.
    Espeak,
}
use crate::output::device::DeviceEntry;

/// Which voices, and how to show them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoicesOptions {
    /// The offline engine's voices instead of the service's catalog.
    pub local: bool,
    /// Only voices that work with this model.
    pub model: Option<String>,
    /// Only voices speaking this language (a prefix: `zh`, `en-GB`).
    pub language: Option<String>,
    /// Only this gender.
    pub gender: Option<String>,
    /// Only voices whose id, name or description contains this.
    pub search: Option<String>,
    /// JSON instead of a table.
    pub json: bool,
    /// Which offline voices.
    pub kind: LocalKind,
    /// Where neural voices are installed.
    pub neural: SearchPaths,
}

/// The catalog voices that pass the filters.
pub fn catalog_voices(options: &VoicesOptions) -> Vec<&'static Voice> {
    let lower = |s: &str| s.to_lowercase();
    // A dated Qwen snapshot lists the voices of its alias.
    let model = options
        .model
        .as_deref()
        .map(|m| crate::dashscope::qwen::catalog_model(m).unwrap_or(m));
    catalog::voices()
        .iter()
        .filter(|v| model.is_none_or(|m| v.models.iter().any(|vm| vm.eq_ignore_ascii_case(m))))
        .filter(|v| {
            options.language.as_deref().is_none_or(|l| {
                v.languages
                    .iter()
                    .any(|vl| lower(vl).starts_with(&lower(l)))
            })
        })
        .filter(|v| {
            options
                .gender
                .as_deref()
                .is_none_or(|g| v.gender.eq_ignore_ascii_case(g))
        })
        .filter(|v| {
            options.search.as_deref().is_none_or(|w| {
                let w = lower(w);
                [v.id, v.name, v.description]
                    .iter()
                    .any(|field| lower(field).contains(&w))
            })
        })
        .collect()
}

/// The catalog voices as JSON: every column, lists as arrays, empty cells as null.
pub fn catalog_json(voices: &[&Voice]) -> String {
    let items: Vec<Value> = voices
        .iter()
        .map(|v| {
            let mut object = serde_json::Map::new();
            for (column, cell) in &v.columns {
                let value = match (*column, cell.is_empty()) {
                    (_, true) => Value::Null,
                    ("models" | "languages" | "regions", false) => {
                        json!(cell.split(',').map(str::trim).collect::<Vec<_>>())
                    }
                    _ => json!(cell),
                };
                object.insert((*column).to_owned(), value);
            }
            Value::Object(object)
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_default()
}

/// The catalog voices as a table of at most `width` columns (`None`: no limit).
pub fn catalog_table(voices: &[&Voice], width: Option<usize>) -> String {
    let rows: Vec<Vec<String>> = voices
        .iter()
        .map(|v| {
            vec![
                v.id.to_owned(),
                if v.gender.is_empty() {
                    "unknown".into()
                } else {
                    v.gender.to_owned()
                },
                v.languages.join(", "),
                v.models.join(", "),
                if v.description.is_empty() {
                    "unknown".into()
                } else {
                    v.description.to_owned()
                },
            ]
        })
        .collect();
    table(
        &["VOICE", "GENDER", "LANGUAGES", "MODELS", "DESCRIPTION"],
        &rows,
        width,
    )
}

/// espeak-ng's rate, for the listing.
const ESPEAK_RATE: &str = "22050";

/// The offline engine's voices that pass the filters, neural ones first, as a table or JSON.
pub fn local_voices(
    voices: &[VoiceInfo],
    neural: &[PiperVoice],
    options: &VoicesOptions,
    width: Option<usize>,
) -> String {
    let lower = |s: &str| s.to_lowercase();
    let neural: Vec<&PiperVoice> = neural
        .iter()
        .filter(|v| options.language.as_deref().is_none_or(|l| v.speaks(l)))
        .filter(|v| {
            options
                .search
                .as_deref()
                .is_none_or(|w| lower(&v.name).contains(&lower(w)))
        })
        .collect();
    let quality = |v: &PiperVoice| {
        v.config
            .audio
            .quality
            .clone()
            .unwrap_or_else(|| "unknown".into())
    };
    let licence = |v: &PiperVoice| {
        v.licence
            .clone()
            .unwrap_or_else(|| "unknown (no model card)".into())
    };
    // The dataset's licence alone would hide the terms of the voice it was tuned from.
    let licence_cell = |v: &PiperVoice| match &v.fine_tuned_from {
        Some(_) => format!("{} (fine-tuned)", licence(v)),
        None => licence(v),
    };
    let chosen: Vec<&VoiceInfo> = voices
        .iter()
        .filter(|v| !v.identifier.starts_with("mb/"))
        .filter(|v| {
            options.language.as_deref().is_none_or(|l| {
                v.languages
                    .iter()
                    .any(|vl| lower(vl).starts_with(&lower(l)))
            })
        })
        .filter(|v| {
            options.search.as_deref().is_none_or(|w| {
                lower(&v.name).contains(&lower(w)) || lower(&v.identifier).contains(&lower(w))
            })
        })
        .collect();
    if options.json {
        let items: Vec<Value> = neural
            .iter()
            .map(|v| {
                json!({"voice": v.name, "engine": "neural", "language": v.language(),
                    "quality": quality(v), "sample_rate": v.config.audio.sample_rate,
                    "speakers": v.config.num_speakers.max(1), "licence": licence(v),
                    "fine_tuned_from": v.fine_tuned_from,
                    "model": v.model})
            })
            .chain(chosen.iter().map(|v| json!({"voice": v.languages.first(), "engine": "espeak-ng", "name": v.name, "identifier": v.identifier, "languages": v.languages})))
            .collect();
        return serde_json::to_string_pretty(&items).unwrap_or_default();
    }
    let rows: Vec<Vec<String>> = neural
        .iter()
        .map(|v| {
            let speakers = v.config.num_speakers.max(1);
            vec![
                v.name.clone(),
                "neural".into(),
                v.language_name(),
                quality(v),
                v.config.audio.sample_rate.to_string(),
                licence_cell(v),
                if speakers > 1 {
                    format!("{speakers} speakers: -v {}:SPEAKER", v.name)
                } else {
                    v.model.display().to_string()
                },
            ]
        })
        .chain(chosen.iter().map(|v| {
            vec![
                v.languages.first().cloned().unwrap_or_default(),
                "espeak-ng".into(),
                v.name.replace('_', " "),
                "formant".into(),
                ESPEAK_RATE.into(),
                "GPL-3.0-or-later".into(),
                v.identifier.clone(),
            ]
        }))
        .collect();
    let mut out = table(
        &[
            "VOICE", "ENGINE", "LANGUAGE", "QUALITY", "HZ", "LICENCE", "FILE",
        ],
        &rows,
        width,
    );
    if !chosen.is_empty() {
        out.push_str(
            "espeak-ng variants: add +f1 to +f5, +m1 to +m7, +klatt, +whisper ... (en-us+f3)\n",
        );
    }
    if options.kind != LocalKind::Espeak && neural.is_empty() && options.language.is_none() {
        out.push_str("No neural voice is installed: ./scripts/setup installs one.\n");
    }
    out
}

/// Output devices, numbered from 0 (the system default), each with the name `--device` takes
/// and ALSA's description beside it.
pub fn devices_table(devices: &[DeviceEntry]) -> String {
    let rows: Vec<Vec<String>> = devices
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let description = match (entry.name.as_str(), entry.description.is_empty()) {
                ("default", true) => "the system default".to_owned(),
                ("default", false) => format!("the system default: {}", entry.description),
                _ => entry.description.clone(),
            };
            vec![i.to_string(), entry.name.clone(), description]
        })
        .collect();
    table(&["#", "DEVICE", "DESCRIPTION"], &rows, None)
}

/// Left-aligned columns; when a width is given, the widest columns give way, cut with "…".
fn table(header: &[&str], rows: &[Vec<String>], width: Option<usize>) -> String {
    let count = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = header.iter().map(|h| count(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(count(cell));
        }
    }
    if let Some(limit) = width {
        // Two spaces between columns; shrink the widest column until the row fits.
        while widths.iter().sum::<usize>() + 2 * (widths.len() - 1) > limit {
            let Some((widest, w)) = widths
                .iter()
                .enumerate()
                .max_by_key(|(_, w)| **w)
                .map(|(i, w)| (i, *w))
            else {
                break;
            };
            if w <= 8 {
                break;
            }
            widths[widest] = w - 1;
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| fit(cell, *w))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn fit(cell: &str, width: usize) -> String {
    let chars = cell.chars().count();
    if chars <= width {
        return format!("{cell}{}", " ".repeat(width - chars));
    }
    let mut cut: String = cell.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_narrow_the_catalog() {
        let all = catalog_voices(&VoicesOptions::default());
        assert_eq!(all.len(), 277);
        let v2 = catalog_voices(&VoicesOptions {
            model: Some("cosyvoice-v2".into()),
            ..VoicesOptions::default()
        });
        assert!(!v2.is_empty() && v2.iter().all(|v| v.models.contains(&"cosyvoice-v2")));
        let british = catalog_voices(&VoicesOptions {
            language: Some("en-gb".into()),
            ..VoicesOptions::default()
        });
        assert!(
            !british.is_empty()
                && british
                    .iter()
                    .all(|v| v.languages.iter().any(|l| l.starts_with("en-GB")))
        );
        let female = catalog_voices(&VoicesOptions {
            gender: Some("female".into()),
            ..VoicesOptions::default()
        });
        assert!(female.iter().all(|v| v.gender == "female") && female.len() < all.len());
        let sunny = catalog_voices(&VoicesOptions {
            search: Some("SUNNY".into()),
            ..VoicesOptions::default()
        });
        assert!(sunny.iter().any(|v| v.id == "longanyang"));
    }

    #[test]
    fn the_device_table_shows_the_names_device_takes() {
        let entry = |name: &str, description: &str| DeviceEntry {
            name: name.into(),
            description: description.into(),
        };
        let text = devices_table(&[
            entry("default", ""),
            entry("null", "Discard all samples"),
            entry("capfile", ""),
        ]);
        assert_eq!(
            text,
            "#  DEVICE   DESCRIPTION\n\
             0  default  the system default\n\
             1  null     Discard all samples\n\
             2  capfile\n"
        );
    }

    #[test]
    fn a_table_fits_the_width_it_is_given() {
        let voices = catalog_voices(&VoicesOptions::default());
        let text = catalog_table(&voices, Some(80));
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        assert!(text.starts_with("VOICE"));
        assert!(text.contains("unknown"), "empty cells say unknown");
    }
}
