//! Piper voices on disk: where they are, what their `.onnx.json` says, and how text becomes
//! their phoneme ids (espeak-ng's IPA, clause by clause, punctuation kept as Piper expects).
//!
//! Nothing here needs ONNX Runtime, so a build without the `neural` feature still lists voices.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Environment variable: more directories of voices, `:`-separated.
pub const VOICES_PATH_VAR: &str = "TTS_VOICES_PATH";
/// Environment variable: the ONNX Runtime shared library to load.
pub const ORT_DYLIB_VAR: &str = "TTS_ORT_DYLIB";

/// Why a voice file cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VoiceError {
    /// The model or its `.onnx.json` cannot be read.
    #[error("cannot read {}: {reason}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The `.onnx.json` is not a Piper voice configuration.
    #[error("{} is not a Piper voice configuration: {reason}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The parts of a Piper `.onnx.json` that synthesis uses.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VoiceConfig {
    /// Output rate and quality.
    pub audio: AudioConfig,
    /// The espeak-ng voice that phonemizes text for this model.
    pub espeak: EspeakConfig,
    /// Default scales.
    #[serde(default)]
    pub inference: Inference,
    /// `espeak` (the only kind supported) or `text`.
    #[serde(default)]
    pub phoneme_type: Option<String>,
    /// Phoneme (one character) to ids.
    pub phoneme_id_map: HashMap<String, Vec<i64>>,
    /// Speakers in the model (1 for most voices).
    #[serde(default)]
    pub num_speakers: u32,
    /// Speaker names to ids, for multi-speaker voices.
    #[serde(default)]
    pub speaker_id_map: BTreeMap<String, i64>,
    /// The voice's language, when the file says.
    #[serde(default)]
    pub language: Option<LanguageConfig>,
}

/// `audio` in the voice configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AudioConfig {
    /// Hz.
    pub sample_rate: u32,
    /// `x_low`, `low`, `medium` or `high`.
    #[serde(default)]
    pub quality: Option<String>,
}

/// `espeak` in the voice configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EspeakConfig {
    /// An espeak-ng voice or language (`en-us`).
    pub voice: String,
}

/// `language` in the voice configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LanguageConfig {
    /// `en_US`.
    pub code: String,
    /// `English`.
    #[serde(default)]
    pub name_english: Option<String>,
    /// `United States`.
    #[serde(default)]
    pub country_english: Option<String>,
}

/// `inference` in the voice configuration: the model's noise and length scales.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Inference {
    /// Noise added to the audio.
    #[serde(default = "default_noise_scale")]
    pub noise_scale: f32,
    /// Phoneme durations (larger is slower).
    #[serde(default = "default_length_scale")]
    pub length_scale: f32,
    /// Noise added to the durations.
    #[serde(default = "default_noise_w")]
    pub noise_w: f32,
}

fn default_noise_scale() -> f32 {
    0.667
}
fn default_length_scale() -> f32 {
    1.0
}
fn default_noise_w() -> f32 {
    0.8
}

impl Default for Inference {
    fn default() -> Self {
        Self {
            noise_scale: default_noise_scale(),
            length_scale: default_length_scale(),
            noise_w: default_noise_w(),
        }
    }
}

/// An installed Piper voice: its model, configuration and licence.
#[derive(Debug, Clone, PartialEq)]
pub struct PiperVoice {
    /// The model's file name without `.onnx` (`en_US-joe-medium`).
    pub name: String,
    /// The `.onnx` file.
    pub model: PathBuf,
    /// Its `.onnx.json`.
    pub config: VoiceConfig,
    /// The licence its model card states, if there is a card (the dataset's).
    pub licence: Option<String>,
    /// The voice it was fine-tuned from, when its card says so: that voice's terms apply too.
    pub fine_tuned_from: Option<String>,
}

impl PiperVoice {
    /// Read the voice whose model is `model` (its configuration is `model` + `.json`).
    pub fn open(model: &Path) -> Result<Self, VoiceError> {
        let mut json = model.as_os_str().to_owned();
        json.push(".json");
        let json = PathBuf::from(json);
        if !model.is_file() {
            return Err(VoiceError::Unreadable {
                path: model.to_owned(),
                reason: "no such file".into(),
            });
        }
        let text = std::fs::read_to_string(&json).map_err(|e| VoiceError::Unreadable {
            path: json.clone(),
            reason: e.kind().to_string(),
        })?;
        let config: VoiceConfig = serde_json::from_str(&text).map_err(|e| VoiceError::Config {
            path: json.clone(),
            reason: e.to_string(),
        })?;
        if config
            .phoneme_type
            .as_deref()
            .is_some_and(|t| t != "espeak")
        {
            return Err(VoiceError::Config {
                path: json,
                reason: "only espeak phonemes are supported".into(),
            });
        }
        if config.audio.sample_rate == 0 || config.phoneme_id_map.is_empty() {
            return Err(VoiceError::Config {
                path: json,
                reason: "it has no sample rate or no phoneme ids".into(),
            });
        }
        let name = model
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let card = model
            .parent()
            .and_then(|dir| std::fs::read_to_string(dir.join("MODEL_CARD")).ok())
            .unwrap_or_default();
        Ok(Self {
            name,
            model: model.to_owned(),
            config,
            licence: model_card_licence(&card),
            fine_tuned_from: model_card_base(&card),
        })
    }

    /// The language code (`en_US`), from the configuration or else its espeak voice.
    pub fn language(&self) -> String {
        self.config.language.as_ref().map_or_else(
            || self.config.espeak.voice.replace('-', "_"),
            |l| l.code.clone(),
        )
    }

    /// The language's name (`English (United States)`), else its code.
    pub fn language_name(&self) -> String {
        match &self.config.language {
            Some(LanguageConfig {
                name_english: Some(name),
                country_english: Some(country),
                ..
            }) => format!("{name} ({country})"),
            Some(LanguageConfig {
                name_english: Some(name),
                ..
            }) => name.clone(),
            _ => self.language(),
        }
    }

    /// Whether the voice speaks `prefix` (`en`, `en_us`, `en-US`), case and separator blind.
    pub fn speaks(&self, prefix: &str) -> bool {
        let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
        norm(&self.language()).starts_with(&norm(prefix))
    }

    /// A speaker by name or number; `None` for the default.
    pub fn speaker(&self, wanted: &str) -> Option<i64> {
        if let Some(&id) = self.config.speaker_id_map.get(wanted) {
            return Some(id);
        }
        let id: i64 = wanted.parse().ok()?;
        (0..i64::from(self.config.num_speakers.max(1)))
            .contains(&id)
            .then_some(id)
    }

    /// The model's input ids for one utterance's phonemes: `^`, then each phoneme's ids
    /// followed by the pad `_`, then `$`. Phonemes the model does not know are dropped.
    pub fn ids(&self, phonemes: &str) -> Vec<i64> {
        let map = &self.config.phoneme_id_map;
        let get = |c: &str| map.get(c).map(Vec::as_slice).unwrap_or_default();
        let pad = get("_");
        let mut ids = Vec::with_capacity(phonemes.len() * 2 + 3);
        ids.extend_from_slice(get("^"));
        ids.extend_from_slice(pad);
        let mut buf = [0u8; 4];
        for c in phonemes.chars() {
            let Some(found) = map.get(c.encode_utf8(&mut buf) as &str) else {
                continue;
            };
            ids.extend_from_slice(found);
            ids.extend_from_slice(pad);
        }
        ids.extend_from_slice(get("$"));
        ids
    }
}

/// The `License:` line of a `MODEL_CARD`, as Piper's voice repository writes it.
fn model_card_licence(card: &str) -> Option<String> {
    card.lines().find_map(|line| {
        let line = line.trim().trim_start_matches(['*', '-']).trim();
        let (key, value) = line.split_once(':')?;
        (key.trim().eq_ignore_ascii_case("license") || key.trim().eq_ignore_ascii_case("licence"))
            .then(|| value.trim().to_owned())
            .filter(|v| !v.is_empty())
    })
}

/// What a `MODEL_CARD` says the voice was fine-tuned from ("Finetuned from U.S. English lessac
/// voice (medium quality).").
fn model_card_base(card: &str) -> Option<String> {
    card.lines().find_map(|line| {
        let lower = line.to_lowercase();
        let at = ["finetuned from ", "fine-tuned from ", "fine tuned from "]
            .iter()
            .find_map(|marker| lower.find(marker).map(|at| at + marker.len()))?;
        // The markers are ASCII, so the offset is the same in the original line.
        let base = line.get(at..)?.trim().trim_end_matches('.').trim();
        (!base.is_empty()).then(|| base.to_owned())
    })
}

/// Where neural voices and ONNX Runtime are looked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPaths {
    /// `tts`'s data directory (`~/.local/share/tts`), where set-up installs them.
    pub data_dir: Option<PathBuf>,
    /// `TTS_VOICES_PATH`, as given.
    pub voices_path: Option<String>,
    /// `TTS_ORT_DYLIB`, as given.
    pub ort_dylib: Option<PathBuf>,
}

impl SearchPaths {
    /// The data directory of this user, and the two variables from the process environment.
    pub fn from_process() -> Self {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
        Self {
            data_dir: directories::BaseDirs::new().map(|d| d.data_dir().join("tts")),
            voices_path: var(VOICES_PATH_VAR).map(|v| v.to_string_lossy().into_owned()),
            ort_dylib: var(ORT_DYLIB_VAR).map(PathBuf::from),
        }
    }

    /// Voice directories, in search order: the data directory's `voices`, then `TTS_VOICES_PATH`.
    pub fn voice_dirs(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = self.data_dir.iter().map(|d| d.join("voices")).collect();
        if let Some(path) = &self.voices_path {
            dirs.extend(
                std::env::split_paths(OsStr::new(path)).filter(|p| !p.as_os_str().is_empty()),
            );
        }
        dirs
    }

    /// Every voice in the voice directories (and their immediate subdirectories), first found
    /// first; a name seen before is shadowed. Files that are not voices are skipped.
    pub fn voices(&self) -> Vec<PiperVoice> {
        let mut found: Vec<PiperVoice> = Vec::new();
        for dir in self.voice_dirs() {
            let mut models = Vec::new();
            collect_models(&dir, 1, &mut models);
            models.sort();
            for model in models {
                match PiperVoice::open(&model) {
                    Ok(voice) if !found.iter().any(|v| v.name == voice.name) => found.push(voice),
                    Ok(_) => {}
                    Err(err) => tracing::debug!("skipping a voice: {err}"),
                }
            }
        }
        found
    }

    /// ONNX Runtime's library: `TTS_ORT_DYLIB` when set (and then only it), else the one set-up
    /// put in the data directory, else the system's.
    pub fn runtime(&self) -> Option<PathBuf> {
        if let Some(path) = &self.ort_dylib {
            return path.is_file().then(|| path.clone());
        }
        let in_dir = |dir: &Path| -> Option<PathBuf> {
            let mut libs: Vec<PathBuf> = std::fs::read_dir(dir)
                .ok()?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && p.file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with("libonnxruntime.so"))
                })
                .collect();
            // The longest name is the most specific version (libonnxruntime.so.1.32.0).
            libs.sort_by_key(|p| p.as_os_str().len());
            libs.pop()
        };
        let system = [
            "/usr/lib/x86_64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu",
            "/usr/lib64",
            "/usr/local/lib",
            "/usr/lib",
        ];
        self.data_dir
            .iter()
            .map(|d| d.join("onnxruntime"))
            .chain(system.iter().map(PathBuf::from))
            .find_map(|dir| in_dir(&dir))
    }
}

fn collect_models(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() && depth > 0 {
            collect_models(&path, depth - 1, out);
        } else if path.extension().is_some_and(|e| e == "onnx") {
            out.push(path);
        }
    }
}

/// The voice to speak text of `language` (`en`) when none was named: the region's own voice
/// first (`en_US` for `en`), then by quality (medium is fast and natural), then by name.
pub fn for_language<'a>(voices: &'a [PiperVoice], language: &str) -> Option<&'a PiperVoice> {
    let quality_rank = |v: &PiperVoice| match v.config.audio.quality.as_deref() {
        Some("medium") => 0,
        Some("high") => 1,
        Some("low") => 2,
        _ => 3,
    };
    let home_region = match language {
        "en" => "en_US",
        "zh" => "zh_CN",
        _ => "",
    };
    voices
        .iter()
        .filter(|v| v.speaks(language))
        .min_by_key(|v| (v.language() != home_region, quality_rank(v), v.name.clone()))
}

/// A voice named on the command line: `PATH.onnx`, or an installed voice's name (`en_US-joe-medium`,
/// or its dataset, `joe`), either with `:SPEAKER`. `Ok(None)` when it names no Piper voice.
pub fn resolve(
    wanted: &str,
    installed: &[PiperVoice],
) -> Result<Option<(PiperVoice, Option<String>)>, VoiceError> {
    let (name, speaker) = match wanted.rsplit_once(':') {
        Some((name, speaker)) if !speaker.is_empty() && !speaker.contains('/') => {
            (name, Some(speaker.to_owned()))
        }
        _ => (wanted, None),
    };
    if Path::new(name).extension().is_some_and(|e| e == "onnx") {
        return PiperVoice::open(Path::new(name)).map(|v| Some((v, speaker)));
    }
    let found = installed
        .iter()
        .find(|v| v.name.eq_ignore_ascii_case(name))
        .or_else(|| {
            let mut by_dataset = installed.iter().filter(|v| {
                v.name
                    .split('-')
                    .nth(1)
                    .is_some_and(|dataset| dataset.eq_ignore_ascii_case(name))
            });
            let first = by_dataset.next();
            // Two voices of that dataset (low and medium): the name is ambiguous.
            first.filter(|_| by_dataset.next().is_none())
        });
    Ok(found.map(|v| (v.clone(), speaker)))
}

/// Sentence-ending marks: Piper speaks each sentence as its own utterance.
const SENTENCE_ENDS: [char; 3] = ['.', '!', '?'];
/// Clause marks that Piper keeps, followed by a space.
const CLAUSE_MARKS: [char; 3] = [',', ';', ':'];

/// The utterances of `text`, as Piper phoneme strings. `phonemize` turns a piece of text
/// without its final mark into espeak's clauses. Each sentence is one utterance, except that
/// a sentence longer than `limit` phonemes is cut at clause boundaries, its first piece after
/// about `first_limit` (so the first audio comes sooner).
pub fn utterances<E>(
    text: &str,
    first_limit: usize,
    limit: usize,
    phonemize: &mut dyn FnMut(&str) -> Result<Vec<String>, E>,
) -> Result<Vec<String>, E> {
    let mut sentences: Vec<Vec<String>> = vec![Vec::new()];
    for (piece, mark) in split_marks(text) {
        let mut clause = phonemize(piece)?.join(" ");
        if let Some(mark) = mark {
            clause.push(mark);
            if CLAUSE_MARKS.contains(&mark) {
                clause.push(' ');
            }
        }
        if !clause.trim().is_empty()
            && let Some(current) = sentences.last_mut()
        {
            current.push(clause);
        }
        if mark.is_some_and(|m| SENTENCE_ENDS.contains(&m)) {
            sentences.push(Vec::new());
        }
    }
    let mut out = Vec::new();
    for clauses in sentences.into_iter().filter(|c| !c.is_empty()) {
        let total: usize = clauses.iter().map(|c| c.chars().count()).sum();
        if total <= limit {
            out.push(clauses.concat().trim_end().to_owned());
            continue;
        }
        let mut piece = String::new();
        let mut cap = first_limit;
        for clause in clauses {
            if !piece.is_empty() && piece.chars().count() + clause.chars().count() > cap {
                out.push(std::mem::take(&mut piece).trim_end().to_owned());
                cap = limit;
            }
            piece.push_str(&clause);
        }
        if !piece.trim().is_empty() {
            out.push(piece.trim_end().to_owned());
        }
    }
    Ok(out)
}

/// Cut text after each `, . ; : ! ?` that ends a clause (followed by a space or the end; not
/// the point of `3.5`), giving each piece without its mark, and the mark.
fn split_marks(text: &str) -> Vec<(&str, Option<char>)> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let ends = SENTENCE_ENDS.contains(&c) || CLAUSE_MARKS.contains(&c);
        let followed = chars.peek().is_none_or(|(_, next)| next.is_whitespace());
        if ends && followed {
            pieces.push((&text[start..at], Some(c)));
            start = at + c.len_utf8();
        }
    }
    if !text[start..].trim().is_empty() {
        pieces.push((&text[start..], None));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voice(map: &[(&str, i64)]) -> PiperVoice {
        PiperVoice {
            name: "xx_XX-test-medium".into(),
            model: PathBuf::from("test.onnx"),
            config: VoiceConfig {
                audio: AudioConfig {
                    sample_rate: 22050,
                    quality: Some("medium".into()),
                },
                espeak: EspeakConfig {
                    voice: "en-us".into(),
                },
                inference: Inference::default(),
                phoneme_type: None,
                phoneme_id_map: map
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), vec![*v]))
                    .collect(),
                num_speakers: 3,
                speaker_id_map: [("amy".to_owned(), 2)].into(),
                language: None,
            },
            licence: None,
            fine_tuned_from: None,
        }
    }

    #[test]
    fn ids_are_framed_and_padded_as_piper_does() {
        let v = voice(&[("_", 0), ("^", 1), ("$", 2), ("h", 20), ("ə", 59), (",", 8)]);
        assert_eq!(v.ids("hə,"), [1, 0, 20, 0, 59, 0, 8, 0, 2]);
        // An unknown phoneme is dropped, not sent as a wrong id.
        assert_eq!(v.ids("h✗"), [1, 0, 20, 0, 2]);
    }

    #[test]
    fn speakers_by_name_or_number_within_range() {
        let v = voice(&[("_", 0)]);
        assert_eq!(v.speaker("amy"), Some(2));
        assert_eq!(v.speaker("1"), Some(1));
        assert_eq!(v.speaker("3"), None);
        assert_eq!(v.speaker("bob"), None);
    }

    #[test]
    fn clause_marks_are_kept_and_sentences_are_utterances() {
        let mut seen = Vec::new();
        let out = utterances::<()>(
            "Hello, world. It costs 3.5 euros; fine! Trailing",
            100,
            400,
            &mut |piece| {
                seen.push(piece.to_owned());
                Ok(vec![piece.trim().to_uppercase()])
            },
        )
        .expect("no error");
        assert_eq!(
            seen,
            [
                "Hello",
                " world",
                " It costs 3.5 euros",
                " fine",
                " Trailing"
            ]
        );
        assert_eq!(
            out,
            ["HELLO, WORLD.", "IT COSTS 3.5 EUROS; FINE!", "TRAILING"]
        );
    }

    #[test]
    fn a_long_sentence_is_cut_at_clauses_first_piece_short() {
        let text = "aaaa, bbbb, cccc, dddd, eeee.";
        let out = utterances::<()>(text, 8, 14, &mut |p| Ok(vec![p.trim().to_owned()]))
            .expect("no error");
        assert_eq!(out, ["aaaa,", "bbbb, cccc,", "dddd, eeee."]);
        // Joined, the pieces hold every clause in order.
        assert_eq!(out.join(" "), "aaaa, bbbb, cccc, dddd, eeee.");
    }

    #[test]
    fn resolve_by_name_dataset_path_and_speaker() {
        let installed = vec![voice(&[("_", 0)])];
        let (v, speaker) = resolve("xx_XX-test-medium:amy", &installed)
            .expect("ok")
            .expect("found");
        assert_eq!(
            (v.name.as_str(), speaker.as_deref()),
            ("xx_XX-test-medium", Some("amy"))
        );
        assert!(resolve("test", &installed).expect("ok").is_some());
        assert!(resolve("en-us+f3", &installed).expect("ok").is_none());
        assert!(matches!(
            resolve("/nonexistent/x.onnx", &installed),
            Err(VoiceError::Unreadable { .. })
        ));
    }

    #[test]
    fn model_card_licence_and_base_voice_are_read() {
        let plain = "# Model card\n\n## Dataset\n\n* URL: https://example.org\n* License: CC0\n";
        assert_eq!(model_card_licence(plain).as_deref(), Some("CC0"));
        assert_eq!(model_card_base(plain), None);
        let tuned = "* License: CC0\n\n## Training\n\nFinetuned from U.S. English lessac voice (medium quality).\n";
        assert_eq!(model_card_licence(tuned).as_deref(), Some("CC0"));
        assert_eq!(
            model_card_base(tuned).as_deref(),
            Some("U.S. English lessac voice (medium quality)")
        );
        assert!(model_card_base("Fine tuned from amy.").is_some());
    }
}
