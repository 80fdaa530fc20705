//! The config file (`~/.config/tts/config.toml`, or `$TTS_CONFIG`) and `TTS_*` variables:
//! defaults for the flags of `tts say` (all but the per-run ones: text, `-f`, `-o`,
//! `--append`, `--ssml`, `--subtitles`, `-p`), and named profiles. Precedence: flags > environment >
//! profile > config file > built-in defaults.
//!
//! ```toml
//! voice = "longanyang"
//! rate = 1.1
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
    pub profile: BTreeMap<String, SayDefaults>,
    /// Defaults for every run.
    #[serde(flatten)]
    pub defaults: SayDefaults,
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
    toml::from_str(&text).map_err(|e| ConfigError::ConfigFile {
        path: path.to_owned(),
        reason: e.message().to_owned(),
    })
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

    /// Fill what the command line left unset.
    pub fn apply(self, args: &mut SayArgs) -> Result<(), ConfigError> {
        use clap::ValueEnum;
        args.synthesis.voice = args.synthesis.voice.take().or(self.voice);
        args.synthesis.rate = args.synthesis.rate.or(self.rate);
        args.synthesis.pitch = args.synthesis.pitch.or(self.pitch);
        args.synthesis.volume = args.synthesis.volume.or(self.volume);
        args.synthesis.sample_rate = args.synthesis.sample_rate.or(self.sample_rate);
        args.device = args.device.take().or(self.device);
        if args.synthesis.format.is_none() {
            if let Some(format) = self.format.map(|v| v.to_lowercase()) {
                args.synthesis.format =
                    Some(
                        FormatArg::from_str(&format, true).map_err(|_| ConfigError::Setting {
                            key: "format",
                            value: format,
                        })?,
                    );
            }
        }
        if args.synthesis.engine.is_none() {
            if let Some(engine) = self.engine.map(|v| v.to_lowercase()) {
                args.synthesis.engine =
                    Some(
                        EngineArg::from_str(&engine, true).map_err(|_| ConfigError::Setting {
                            key: "engine",
                            value: engine,
                        })?,
                    );
            }
        }
        let remote = &mut args.synthesis.cosyvoice;
        if remote.region.is_none() {
            if let Some(region) = self.region.map(|v| v.to_lowercase()) {
                remote.region =
                    Some(
                        RegionArg::from_str(&region, true).map_err(|_| ConfigError::Setting {
                            key: "region",
                            value: region,
                        })?,
                    );
            }
        }
        remote.model = remote.model.take().or(self.model);
        remote.bit_rate = remote.bit_rate.or(self.bit_rate);
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
        if qwen.qwen_mode.is_none() {
            if let Some(mode) = self.qwen_mode.map(|v| v.to_lowercase().replace('_', "-")) {
                qwen.qwen_mode =
                    Some(
                        QwenModeArg::from_str(&mode, true).map_err(|_| ConfigError::Setting {
                            key: "qwen_mode",
                            value: mode,
                        })?,
                    );
            }
        }
        qwen.enable_tn = qwen.enable_tn.or(self.enable_tn);
        qwen.optimize_instructions |= self.optimize_instructions.unwrap_or(false);
        args.idle_timeout = args.idle_timeout.or(self.idle_timeout);
        args.flush_on_newline |= self.flush_on_newline.unwrap_or(false);
        args.echo |= self.echo.unwrap_or(false);
        args.timing |= self.timing.unwrap_or(false);
        Ok(())
    }
}

/// Merge for `tts say`: environment over profile over file; `None` profile means none chosen.
pub fn defaults_for(
    settings: &FileSettings,
    profile: Option<&str>,
    environment: SayDefaults,
) -> Result<SayDefaults, ConfigError> {
    let chosen = match profile {
        None => SayDefaults::default(),
        Some(name) => {
            settings
                .profile
                .get(name)
                .cloned()
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
                })?
        }
    };
    Ok(environment.or(chosen).or(settings.defaults.clone()))
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
    for (name, profile) in &settings.profile {
        out.push_str(&format!("\n[profile.{name}]\n"));
        out.push_str(&toml::to_string(profile).unwrap_or_default());
    }
    out
}
