//! The config file (`~/.config/tts/config.toml`, or `$TTS_CONFIG`) and `TTS_*` variables:
//! defaults for the flags of `tts say` (all but the per-run ones: text, `-f`, `-o`,
//! `--append`, `--ssml`, `--subtitles`, `-p`), per-engine sections, and named profiles.
//! Precedence: flags > environment > profile > config file > built-in defaults; within the
//! profile and the file, an engine's section wins over the top level.
//!
//! A default applies only where it fits: a top-level setting that only another engine uses
//! (`model` offline, an espeak-ng `voice` with CosyVoice) is skipped with one notice, and
//! `format`, `sample_rate` and `bit_rate` are defaults for files, never for playback. A flag
//! that does not fit is refused instead (see `config`).
//!
//! `[local]` holds the offline engine's defaults, whichever voice speaks (`-e local`,
//! `-e neural`, `-e espeak`): its `voice` may name a neural voice or an espeak-ng one, and
//! decides which speaks as `-v` would; a `pitch` from the settings is skipped (with a notice)
//! when a neural voice speaks, since the model has no pitch control.
//!
//! ```toml
//! rate = 1.1
//! [cosyvoice]
//! voice = "longanyang"
//! [local]
//! voice = "en-gb"
//! [profile.narrator]
//! voice = "longxiaochun_v2"
//! model = "cosyvoice-v2"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ConfigError;
use super::args::{EngineArg, FormatArg, QwenModeArg, RegionArg, SayArgs};

/// Defaults for `tts say`, each optional; the names are the long flags' (with `_`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SayDefaults {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pitch: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_rate: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bit_rate: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub word_timestamps: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown_filter: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flush_on_newline: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flush_after: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub echo: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timing: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phoneme_timestamps: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aigc_tag: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aigc_propagator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aigc_propagate_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hot_fix: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_timeout: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_timeout: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress_timeout: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qwen_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_tn: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimize_instructions: Option<bool>,
}

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    /// The DashScope key (see credentials).
    pub api_key: Option<String>,
    /// A command whose output is the key.
    pub api_key_command: Option<String>,
    /// `X-DashScope-WorkSpace`.
    pub workspace: Option<String>,
    /// Named profiles.
    #[serde(default)]
    pub profile: BTreeMap<String, Profile>,
    /// `[cosyvoice]`: defaults for the CosyVoice engine only.
    #[serde(default)]
    pub cosyvoice: SayDefaults,
    /// `[qwen]`: defaults for the Qwen engine only.
    #[serde(default)]
    pub qwen: SayDefaults,
    /// `[local]`: defaults for the offline engine only.
    #[serde(default)]
    pub local: SayDefaults,
    /// `[chat]`: the model of `tts chat`.
    #[serde(default)]
    pub chat: ChatDefaults,
    /// Defaults for every run, where they fit the engine.
    #[serde(flatten)]
    pub defaults: SayDefaults,
}

/// `[chat]`: defaults for the `tts chat` flags of the same names (never a key: that is
/// `OPENAI_API_KEY` or the DashScope key).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatDefaults {
    /// `--llm-model`.
    pub llm_model: Option<String>,
    /// `--llm-endpoint`.
    pub llm_endpoint: Option<String>,
    /// `--system`.
    pub system: Option<String>,
    /// `--show-thinking`.
    pub show_thinking: Option<bool>,
    /// `--stall-timeout`.
    pub stall_timeout: Option<f64>,
}

/// `[profile.NAME]`: defaults, and per-engine sections (`[profile.NAME.cosyvoice]`, ...).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Defaults for the CosyVoice engine only.
    #[serde(default)]
    pub cosyvoice: SayDefaults,
    /// Defaults for the Qwen engine only.
    #[serde(default)]
    pub qwen: SayDefaults,
    /// Defaults for the offline engine only.
    #[serde(default)]
    pub local: SayDefaults,
    /// `[profile.NAME.chat]`: the model of `tts chat`.
    #[serde(default)]
    pub chat: ChatDefaults,
    /// Defaults where they fit the engine.
    #[serde(flatten)]
    pub defaults: SayDefaults,
}

impl FileSettings {
    /// The section of `engine`.
    pub fn section(&self, engine: EngineKind) -> &SayDefaults {
        match engine {
            EngineKind::Local => &self.local,
            EngineKind::CosyVoice => &self.cosyvoice,
            EngineKind::Qwen => &self.qwen,
        }
    }
}

impl Profile {
    /// The section of `engine`.
    pub fn section(&self, engine: EngineKind) -> &SayDefaults {
        match engine {
            EngineKind::Local => &self.local,
            EngineKind::CosyVoice => &self.cosyvoice,
            EngineKind::Qwen => &self.qwen,
        }
    }
}

/// The engine a run speaks with, which decides the settings that apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// The offline espeak-ng engine.
    Local,
    /// The DashScope CosyVoice service.
    CosyVoice,
    /// DashScope Qwen-TTS-Realtime.
    Qwen,
}

impl EngineKind {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Local => "offline",
            Self::CosyVoice => "cosyvoice",
            Self::Qwen => "qwen",
        }
    }
}

/// Settings that only the CosyVoice engine uses; the same names as its flags.
pub const COSYVOICE_ONLY: &[&str] = &[
    "model",
    "seed",
    "language",
    "instruction",
    "region",
    "endpoint",
    "idle_timeout",
    "word_timestamps",
    "phoneme_timestamps",
    "aigc_tag",
    "aigc_propagator",
    "aigc_propagate_id",
    "hot_fix",
    "connect_timeout",
    "start_timeout",
    "progress_timeout",
];

/// Settings of the CosyVoice engine that the Qwen engine does not take either.
pub const COSYVOICE_NOT_QWEN: &[&str] = &[
    "seed",
    "word_timestamps",
    "phoneme_timestamps",
    "aigc_tag",
    "aigc_propagator",
    "aigc_propagate_id",
    "hot_fix",
];

/// Settings that only the Qwen engine uses.
pub const QWEN_ONLY: &[&str] = &["qwen_mode", "enable_tn", "optimize_instructions"];

/// Whether `voice` names an offline voice, espeak-ng's (`en`, `cmn`, `en-gb`, `en-us+f3`) or a
/// neural one (`en_US-joe-medium`, `PATH.onnx`), rather than a service's voice: a top-level
/// `voice` goes to the engine it names.
pub fn is_local_voice_name(voice: &str) -> bool {
    if crate::catalog::find(voice).is_some() {
        return false;
    }
    if is_neural_voice_name(voice) {
        return true;
    }
    let base = voice.split('+').next().unwrap_or(voice);
    let short = base.len() <= 3 && base.chars().all(|c| c.is_ascii_lowercase());
    let tagged = base.contains('-') && base.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    voice.contains('+') || short || tagged
}

/// Whether `voice` looks like a Piper voice: `ll_CC-name-quality` (with `:SPEAKER`), or a
/// model file.
fn is_neural_voice_name(voice: &str) -> bool {
    if std::path::Path::new(voice)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
    {
        return true;
    }
    let name = voice.split(':').next().unwrap_or(voice);
    let mut parts = name.splitn(2, '-');
    let locale = parts.next().unwrap_or_default();
    let rest = parts.next().unwrap_or_default();
    let (language, country) = locale.split_once('_').unwrap_or_default();
    (2..=3).contains(&language.len())
        && language.chars().all(|c| c.is_ascii_lowercase())
        && country.len() == 2
        && country.chars().all(|c| c.is_ascii_uppercase())
        && !rest.is_empty()
}

/// Whether the top-level setting `key = value` applies to `engine`.
fn fits(key: &str, value: &toml::Value, engine: EngineKind) -> bool {
    let local_voice = || value.as_str().is_some_and(is_local_voice_name);
    let qwen_model = || {
        value
            .as_str()
            .is_some_and(crate::dashscope::qwen::looks_like_model)
    };
    match (engine, key) {
        (EngineKind::Local, "voice") => local_voice(),
        (EngineKind::Local, key) => !COSYVOICE_ONLY.contains(&key) && !QWEN_ONLY.contains(&key),
        (EngineKind::CosyVoice | EngineKind::Qwen, "voice") => !local_voice(),
        (EngineKind::CosyVoice, "model") => !qwen_model(),
        (EngineKind::CosyVoice, key) => !QWEN_ONLY.contains(&key),
        (EngineKind::Qwen, "model") => qwen_model(),
        (EngineKind::Qwen, key) => !COSYVOICE_NOT_QWEN.contains(&key),
    }
}

/// Defaults for the file being written, which never apply to playback; a flag of the same
/// name wins.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileDefaults {
    /// `format`: used when the output's name does not say (stdout, a device, `tts convert`).
    pub format: Option<FormatArg>,
    /// `sample_rate`: used when it fits the format and engine.
    pub sample_rate: Option<i64>,
    /// `bit_rate`: used for the formats that take one.
    pub bit_rate: Option<i64>,
}

/// What the settings give a run: defaults that fit its engine, and what was skipped.
#[derive(Debug, Clone, Default)]
pub struct Chosen {
    /// Defaults for the flags (without the file ones).
    pub defaults: SayDefaults,
    /// Defaults for the output file.
    pub file: FileDefaults,
    /// Where a skipped setting came from and its name (`TTS_MODEL`, `model`).
    pub skipped: Vec<String>,
}

impl Chosen {
    /// The notice for skipped settings, if any.
    pub fn notice(&self, engine: EngineKind) -> Option<String> {
        (!self.skipped.is_empty()).then(|| {
            format!(
                "skipping {} (settings of another engine; this run speaks with the {} engine): put them under [cosyvoice], [qwen] or [local] in the config file",
                self.skipped.join(", "),
                engine.name()
            )
        })
    }
}

/// Read the config file; a missing file is empty settings.
pub fn load(path: Option<&Path>) -> Result<FileSettings, ConfigError> {
    let Some(path) = path.filter(|p| p.exists()) else {
        return Ok(FileSettings::default());
    };
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::ConfigFile {
        path: path.to_owned(),
        reason: e.kind().to_string(),
    })?;
    let settings = toml::from_str(&text).map_err(|e| ConfigError::ConfigFile {
        path: path.to_owned(),
        reason: e.message().to_owned(),
    })?;
    check_sections(path, &settings)?;
    Ok(settings)
}

/// A warning when the file holds a key and others may read it.
pub fn exposure_warning(path: &Path, settings: &FileSettings) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        if settings.api_key.is_some() && mode & 0o077 != 0 {
            let shown = path.display();
            return Some(format!(
                "{shown} holds api_key and others can read it: chmod 600 {shown}"
            ));
        }
    }
    let _ = (path, settings);
    None
}

/// `TTS_*` variables as defaults (`TTS_VOICE`, `TTS_RATE`, ...).
pub fn from_environment(var: &dyn Fn(&str) -> Option<String>) -> Result<SayDefaults, ConfigError> {
    let mut table = toml::Table::new();
    for key in KEYS {
        if let Some(value) = var(&format!("TTS_{}", key.to_uppercase())) {
            let parsed = value
                .parse::<i64>()
                .map(toml::Value::Integer)
                .or_else(|_| value.parse::<f64>().map(toml::Value::Float))
                .or_else(|_| value.parse::<bool>().map(toml::Value::Boolean))
                .unwrap_or(toml::Value::String(value));
            table.insert((*key).to_owned(), parsed);
        }
    }
    SayDefaults::deserialize(table).map_err(|e| ConfigError::Environment {
        reason: e.to_string(),
    })
}

const KEYS: &[&str] = &[
    "voice",
    "rate",
    "pitch",
    "volume",
    "format",
    "sample_rate",
    "device",
    "engine",
    "model",
    "bit_rate",
    "seed",
    "language",
    "instruction",
    "region",
    "endpoint",
    "idle_timeout",
    "word_timestamps",
    "markdown_filter",
    "flush_on_newline",
    "flush_after",
    "echo",
    "timing",
    "phoneme_timestamps",
    "aigc_tag",
    "aigc_propagator",
    "aigc_propagate_id",
    "hot_fix",
    "connect_timeout",
    "start_timeout",
    "progress_timeout",
    "qwen_mode",
    "enable_tn",
    "optimize_instructions",
];

impl SayDefaults {
    /// Each field from `self`, else from `lower`.
    pub fn or(self, lower: SayDefaults) -> SayDefaults {
        SayDefaults {
            voice: self.voice.or(lower.voice),
            rate: self.rate.or(lower.rate),
            pitch: self.pitch.or(lower.pitch),
            volume: self.volume.or(lower.volume),
            format: self.format.or(lower.format),
            sample_rate: self.sample_rate.or(lower.sample_rate),
            device: self.device.or(lower.device),
            engine: self.engine.or(lower.engine),
            model: self.model.or(lower.model),
            bit_rate: self.bit_rate.or(lower.bit_rate),
            seed: self.seed.or(lower.seed),
            language: self.language.or(lower.language),
            instruction: self.instruction.or(lower.instruction),
            region: self.region.or(lower.region),
            endpoint: self.endpoint.or(lower.endpoint),
            idle_timeout: self.idle_timeout.or(lower.idle_timeout),
            word_timestamps: self.word_timestamps.or(lower.word_timestamps),
            markdown_filter: self.markdown_filter.or(lower.markdown_filter),
            flush_on_newline: self.flush_on_newline.or(lower.flush_on_newline),
            flush_after: self.flush_after.or(lower.flush_after),
            echo: self.echo.or(lower.echo),
            timing: self.timing.or(lower.timing),
            phoneme_timestamps: self.phoneme_timestamps.or(lower.phoneme_timestamps),
            aigc_tag: self.aigc_tag.or(lower.aigc_tag),
            aigc_propagator: self.aigc_propagator.or(lower.aigc_propagator),
            aigc_propagate_id: self.aigc_propagate_id.or(lower.aigc_propagate_id),
            hot_fix: self.hot_fix.or(lower.hot_fix),
            connect_timeout: self.connect_timeout.or(lower.connect_timeout),
            start_timeout: self.start_timeout.or(lower.start_timeout),
            progress_timeout: self.progress_timeout.or(lower.progress_timeout),
            qwen_mode: self.qwen_mode.or(lower.qwen_mode),
            enable_tn: self.enable_tn.or(lower.enable_tn),
            optimize_instructions: self.optimize_instructions.or(lower.optimize_instructions),
        }
    }

    /// Fill what the command line left unset, except the engine (already chosen) and the file
    /// defaults (`sample_rate` and `bit_rate` are taken out by [`defaults_for`]); the `format`
    /// setting is returned, for files.
    pub fn apply(self, args: &mut SayArgs) -> Result<Option<FormatArg>, ConfigError> {
        use clap::ValueEnum;
        args.synthesis.voice = args.synthesis.voice.take().or(self.voice);
        args.synthesis.rate = args.synthesis.rate.or(self.rate);
        args.synthesis.pitch = args.synthesis.pitch.or(self.pitch);
        args.synthesis.volume = args.synthesis.volume.or(self.volume);
        args.device = args.device.take().or(self.device);
        let format = self
            .format
            .map(|format| {
                let format = format.to_lowercase();
                FormatArg::from_str(&format, true).map_err(|_| ConfigError::Setting {
                    key: "format",
                    value: format,
                })
            })
            .transpose()?;
        let remote = &mut args.synthesis.cosyvoice;
        if remote.region.is_none()
            && let Some(region) = self.region.map(|v| v.to_lowercase())
        {
            remote.region =
                Some(
                    RegionArg::from_str(&region, true).map_err(|_| ConfigError::Setting {
                        key: "region",
                        value: region,
                    })?,
                );
        }
        remote.model = remote.model.take().or(self.model);
        remote.seed = remote.seed.or(self.seed);
        remote.language = remote.language.take().or(self.language);
        remote.instruction = remote.instruction.take().or(self.instruction);
        remote.endpoint = remote.endpoint.take().or(self.endpoint);
        remote.word_timestamps |= self.word_timestamps.unwrap_or(false);
        remote.markdown_filter |= self.markdown_filter.unwrap_or(false);
        remote.phoneme_timestamps |= self.phoneme_timestamps.unwrap_or(false);
        remote.aigc_tag |= self.aigc_tag.unwrap_or(false);
        remote.aigc_propagator = remote.aigc_propagator.take().or(self.aigc_propagator);
        remote.aigc_propagate_id = remote.aigc_propagate_id.take().or(self.aigc_propagate_id);
        remote.hot_fix = remote.hot_fix.take().or(self.hot_fix);
        remote.connect_timeout = remote.connect_timeout.or(self.connect_timeout);
        remote.start_timeout = remote.start_timeout.or(self.start_timeout);
        remote.progress_timeout = remote.progress_timeout.or(self.progress_timeout);
        let qwen = &mut args.synthesis.qwen;
        if qwen.qwen_mode.is_none()
            && let Some(mode) = self.qwen_mode.map(|v| v.to_lowercase().replace('_', "-"))
        {
            qwen.qwen_mode =
                Some(
                    QwenModeArg::from_str(&mode, true).map_err(|_| ConfigError::Setting {
                        key: "qwen_mode",
                        value: mode,
                    })?,
                );
        }
        qwen.enable_tn = qwen.enable_tn.or(self.enable_tn);
        qwen.optimize_instructions |= self.optimize_instructions.unwrap_or(false);
        args.idle_timeout = args.idle_timeout.or(self.idle_timeout);
        args.flush_on_newline |= self.flush_on_newline.unwrap_or(false);
        args.flush_after = args.flush_after.or(self.flush_after);
        args.echo |= self.echo.unwrap_or(false);
        args.timing |= self.timing.unwrap_or(false);
        Ok(format)
    }
}

/// The profile `name`, or an error listing those defined.
pub fn profile<'a>(
    settings: &'a FileSettings,
    name: Option<&str>,
) -> Result<Option<&'a Profile>, ConfigError> {
    let Some(name) = name else {
        return Ok(None);
    };
    settings
        .profile
        .get(name)
        .map(Some)
        .ok_or_else(|| ConfigError::UnknownProfile {
            name: name.to_owned(),
            known: if settings.profile.is_empty() {
                "none are defined".into()
            } else {
                settings
                    .profile
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        })
}

/// The `engine` setting: environment over profile over file.
pub fn engine_setting(
    settings: &FileSettings,
    profile: Option<&Profile>,
    environment: &SayDefaults,
) -> Result<Option<EngineArg>, ConfigError> {
    use clap::ValueEnum;
    let engine = environment
        .engine
        .clone()
        .or_else(|| profile.and_then(|p| p.defaults.engine.clone()))
        .or_else(|| settings.defaults.engine.clone());
    engine
        .map(|engine| {
            let engine = engine.to_lowercase();
            EngineArg::from_str(&engine, true).map_err(|_| ConfigError::Setting {
                key: "engine",
                value: engine,
            })
        })
        .transpose()
}

/// Merge for a run with `engine`: environment over profile over file, an engine's section over
/// the top level; top-level settings that do not fit `engine` are skipped (and named).
pub fn defaults_for(
    settings: &FileSettings,
    profile: Option<&Profile>,
    environment: SayDefaults,
    engine: EngineKind,
) -> Chosen {
    let mut skipped = Vec::new();
    let mut top = |defaults: &SayDefaults, env: bool| {
        let mut table = toml::Table::try_from(defaults).unwrap_or_default();
        table.retain(|key, value| {
            let keep = fits(key, value, engine);
            if !keep {
                skipped.push(if env {
                    format!("TTS_{}", key.to_uppercase())
                } else {
                    key.to_string()
                });
            }
            keep
        });
        SayDefaults::deserialize(table).unwrap_or_default()
    };
    let mut merged = top(&environment, true);
    if let Some(profile) = profile {
        merged = merged
            .or(profile.section(engine).clone())
            .or(top(&profile.defaults, false));
    }
    merged = merged
        .or(settings.section(engine).clone())
        .or(top(&settings.defaults, false));
    // A key skipped in both the profile and the file is named once.
    let mut seen = std::collections::BTreeSet::new();
    skipped.retain(|key| seen.insert(key.clone()));
    let file = FileDefaults {
        format: None,
        sample_rate: merged.sample_rate.take(),
        bit_rate: merged.bit_rate.take(),
    };
    Chosen {
        defaults: merged,
        file,
        skipped,
    }
}

/// Settings in an engine's section that the engine does not use: a mistake in the file.
fn check_sections(path: &Path, settings: &FileSettings) -> Result<(), ConfigError> {
    let profiles = settings.profile.iter().map(|(name, p)| {
        (
            format!("profile.{name}."),
            [&p.cosyvoice, &p.qwen, &p.local],
        )
    });
    let sections = std::iter::once((
        String::new(),
        [&settings.cosyvoice, &settings.qwen, &settings.local],
    ))
    .chain(profiles);
    for (prefix, [cosyvoice, qwen, local]) in sections {
        for (name, defaults, unfit) in [
            ("cosyvoice", cosyvoice, &[QWEN_ONLY][..]),
            ("qwen", qwen, &[COSYVOICE_NOT_QWEN]),
            ("local", local, &[COSYVOICE_ONLY, QWEN_ONLY]),
        ] {
            let table = toml::Table::try_from(defaults).unwrap_or_default();
            let wrong = table.keys().find(|key| {
                *key == "engine" || unfit.iter().any(|keys| keys.contains(&key.as_str()))
            });
            if let Some(key) = wrong {
                let reason = if key == "engine" {
                    format!("[{prefix}{name}] sets engine, which belongs at the top level")
                } else {
                    let home = if QWEN_ONLY.contains(&key.as_str()) {
                        "qwen"
                    } else {
                        "cosyvoice"
                    };
                    format!(
                        "[{prefix}{name}] sets {key}, which the {name} engine does not use; move it to [{prefix}{home}]"
                    )
                };
                return Err(ConfigError::ConfigFile {
                    path: path.to_owned(),
                    reason,
                });
            }
        }
    }
    Ok(())
}

/// `tts config show`: the file's settings, the key never shown.
pub fn show(path: Option<&PathBuf>, settings: &FileSettings) -> String {
    let mut out = match path {
        Some(path) => format!("# {}\n", path.display()),
        None => String::from("# no config file\n"),
    };
    if settings.api_key.is_some() {
        out.push_str("api_key = \"<hidden>\"\n");
    }
    if let Some(command) = &settings.api_key_command {
        out.push_str(&format!(
            "api_key_command = {}\n",
            toml::Value::String(command.clone())
        ));
    }
    if let Some(workspace) = &settings.workspace {
        out.push_str(&format!(
            "workspace = {}\n",
            toml::Value::String(workspace.clone())
        ));
    }
    out.push_str(&toml::to_string(&settings.defaults).unwrap_or_default());
    let sections = |out: &mut String, prefix: &str, sections: [(&str, &SayDefaults); 3]| {
        for (name, defaults) in sections {
            if *defaults != SayDefaults::default() {
                out.push_str(&format!("\n[{prefix}{name}]\n"));
                out.push_str(&toml::to_string(defaults).unwrap_or_default());
            }
        }
    };
    sections(
        &mut out,
        "",
        [
            ("cosyvoice", &settings.cosyvoice),
            ("qwen", &settings.qwen),
            ("local", &settings.local),
        ],
    );
    for (name, profile) in &settings.profile {
        if profile.defaults != SayDefaults::default() {
            out.push_str(&format!("\n[profile.{name}]\n"));
            out.push_str(&toml::to_string(&profile.defaults).unwrap_or_default());
        }
        sections(
            &mut out,
            &format!("profile.{name}."),
            [
                ("cosyvoice", &profile.cosyvoice),
                ("qwen", &profile.qwen),
                ("local", &profile.local),
            ],
        );
    }
    out.push_str(
        "\n# Top-level settings apply where they fit the engine; [cosyvoice], [qwen] and [local] hold one engine's.\n",
    );
    out
}
