//! The validated configuration: every value range-checked before any work starts, with errors
//! that name the flag, the value and what is accepted.

use std::path::PathBuf;

use super::args::{Args, Command, EngineArg, FormatArg, SayArgs};
use crate::audio::{AudioFormat, SUPPORTED_RATES, SampleRate};
use crate::engine::local::LocalParams;
use crate::output::device::PlayerOptions;
use crate::output::file::{FileOptions, Target};
use crate::text::source::Input;

/// What the run will do.
#[derive(Debug)]
pub struct Config {
    /// How much to print on stderr.
    pub verbosity: Verbosity,
    /// The verb and its settings.
    pub command: CommandConfig,
}

/// How much `tts` says on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// Errors only.
    Quiet,
    /// Errors, warnings and notices.
    Normal,
    /// Everything, including per-stage details.
    Verbose,
}

/// A validated verb.
#[derive(Debug)]
pub enum CommandConfig {
    /// `tts say`.
    Say(SayConfig),
}

/// `tts say`, validated.
#[derive(Debug)]
pub struct SayConfig {
    /// Text sources, in the order they are spoken.
    pub inputs: Vec<Input>,
    /// The offline engine's voice and prosody.
    pub local: LocalParams,
    /// Where the audio goes.
    pub sink: SinkConfig,
    /// Print timings on stderr.
    pub timing: bool,
    /// A one-line notice about the engine choice, for stderr.
    pub engine_notice: Option<String>,
}

/// Where audio goes.
#[derive(Debug)]
pub enum SinkConfig {
    /// The speakers.
    Device(PlayerOptions),
    /// A file or stdout.
    File(FileOptions),
}

/// Facts from outside the command line that the configuration depends on.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// A DashScope API key is configured.
    pub has_api_key: bool,
}

impl Environment {
    /// Read the process environment (never keeping the key itself).
    pub fn from_process() -> Self {
        let has_api_key = std::env::var_os("DASHSCOPE_API_KEY").is_some_and(|k| !k.is_empty());
        Self { has_api_key }
    }
}

/// A command line that cannot run; each message says what to change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A number outside its range.
    #[error("{flag} {value} is out of range: use {range}")]
    OutOfRange {
        /// The flag.
        flag: &'static str,
        /// The value given.
        value: String,
        /// What is accepted.
        range: &'static str,
    },
    /// `--sample-rate` not in the supported list.
    #[error(
        "--sample-rate {value} is not supported: use one of 8000, 16000, 22050, 24000, 44100, 48000"
    )]
    UnsupportedRate {
        /// The value given.
        value: i64,
    },
    /// `--format` and the `-o` extension disagree.
    #[error("--format {format} does not match the extension of {}; rename the file or drop --format", path.display())]
    FormatConflict {
        /// The format asked for.
        format: AudioFormat,
        /// The output file.
        path: PathBuf,
    },
    /// The `-o` extension says nothing about the format.
    #[error("cannot tell the audio format of {} from its extension; add --format wav or --format pcm", path.display())]
    UnknownExtension {
        /// The output file.
        path: PathBuf,
    },
    /// MP3 and Opus files are not written yet.
    #[error("{format} output is not available yet; use --format wav or --format pcm")]
    FormatNotBuilt {
        /// The format asked for.
        format: AudioFormat,
    },
    /// `--append` without a file.
    #[error("--append needs an output file: add -o FILE")]
    AppendNeedsFile,
    /// `--append` with `-o -`.
    #[error("--append cannot add to standard output; give -o FILE")]
    AppendToStdout,
    /// `--sample-rate` while playing.
    #[error("--sample-rate applies to files: add -o FILE (playback always uses the device's rate)")]
    RateNeedsFile,
    /// An input file that cannot be read.
    #[error("cannot read input file {}: {reason}", path.display())]
    InputNotReadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// `tts say ""`.
    #[error("nothing to say: TEXT is empty")]
    EmptyText,
    /// An engine that is not part of this build yet.
    #[error("the cosyvoice engine is not available yet; use --engine local")]
    EngineNotBuilt,
    /// A verb that is not built yet.
    #[error("`tts {verb}` is not available yet")]
    VerbNotBuilt {
        /// The verb.
        verb: &'static str,
    },
}

impl TryFrom<Args> for Config {
    type Error = ConfigError;

    fn try_from(args: Args) -> Result<Self, ConfigError> {
        Self::new(args, &Environment::from_process())
    }
}

impl Config {
    /// Validate `args` given the environment.
    pub fn new(args: Args, env: &Environment) -> Result<Self, ConfigError> {
        let verbosity = match (args.quiet, args.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        };
        let command = match args.command {
            Command::Say(say) => CommandConfig::Say(say_config(say, env)?),
            Command::Convert(_) => return Err(ConfigError::VerbNotBuilt { verb: "convert" }),
            Command::Serve(_) => return Err(ConfigError::VerbNotBuilt { verb: "serve" }),
            Command::Voices(_) => return Err(ConfigError::VerbNotBuilt { verb: "voices" }),
            Command::Devices(_) => return Err(ConfigError::VerbNotBuilt { verb: "devices" }),
            Command::Completions(_) => {
                return Err(ConfigError::VerbNotBuilt {
                    verb: "completions",
                });
            }
        };
        Ok(Self { verbosity, command })
    }
}

fn say_config(args: SayArgs, env: &Environment) -> Result<SayConfig, ConfigError> {
    let rate = ranged_f64(
        "--rate",
        args.rate,
        1.0,
        0.5,
        2.0,
        "a value from 0.5 to 2.0 (1.0 is normal speed)",
    )?;
    let pitch = ranged_f64(
        "--pitch",
        args.pitch,
        1.0,
        0.5,
        2.0,
        "a value from 0.5 to 2.0 (1.0 is normal pitch)",
    )?;
    let volume = match args.volume {
        None => 50,
        Some(v) => u8::try_from(v)
            .ok()
            .filter(|v| *v <= 100)
            .ok_or(ConfigError::OutOfRange {
                flag: "--volume",
                value: v.to_string(),
                range: "a whole number from 0 to 100 (50 is normal)",
            })?,
    };
    let sample_rate = args
        .sample_rate
        .map(|hz| {
            u32::try_from(hz)
                .ok()
                .filter(|hz| SUPPORTED_RATES.contains(hz))
                .and_then(SampleRate::new)
                .ok_or(ConfigError::UnsupportedRate { value: hz })
        })
        .transpose()?;
    let sink = sink_config(&args, sample_rate)?;
    let inputs = inputs(&args)?;
    let engine_notice = match (args.engine, env.has_api_key) {
        (EngineArg::Cosyvoice, _) => return Err(ConfigError::EngineNotBuilt),
        (EngineArg::Local, _) => None,
        (EngineArg::Auto, true) => {
            Some("the CosyVoice engine is not available yet; speaking with the offline engine".to_owned())
        }
        (EngineArg::Auto, false) => Some(
            "no DashScope API key (DASHSCOPE_API_KEY); speaking with the offline engine (--engine local hides this)"
                .to_owned(),
        ),
    };
    Ok(SayConfig {
        inputs,
        local: LocalParams {
            voice: args.voice,
            rate,
            pitch,
            volume,
        },
        sink,
        timing: args.timing,
        engine_notice,
    })
}

#[allow(
    clippy::cast_possible_truncation,
    reason = "range-checked to 0.5..=2.0 first"
)]
fn ranged_f64(
    flag: &'static str,
    value: Option<f64>,
    default: f32,
    min: f64,
    max: f64,
    range: &'static str,
) -> Result<f32, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) if (min..=max).contains(&v) => Ok(v as f32),
        Some(v) => Err(ConfigError::OutOfRange {
            flag,
            value: v.to_string(),
            range,
        }),
    }
}

fn sink_config(args: &SayArgs, sample_rate: Option<SampleRate>) -> Result<SinkConfig, ConfigError> {
    let format = args.format.map(|f| match f {
        FormatArg::Pcm => AudioFormat::Pcm,
        FormatArg::Wav => AudioFormat::Wav,
        FormatArg::Mp3 => AudioFormat::Mp3,
        FormatArg::Opus => AudioFormat::Opus,
    });
    let Some(output) = &args.output else {
        if args.append {
            return Err(ConfigError::AppendNeedsFile);
        }
        if sample_rate.is_some() {
            return Err(ConfigError::RateNeedsFile);
        }
        return Ok(SinkConfig::Device(PlayerOptions {
            device: args.device.clone(),
            ..PlayerOptions::default()
        }));
    };
    let (target, format) = if output.as_os_str() == "-" {
        if args.append {
            return Err(ConfigError::AppendToStdout);
        }
        (Target::Stdout, format.unwrap_or(AudioFormat::Wav))
    } else {
        let implied = AudioFormat::from_path(output);
        let format = match (format, implied) {
            (Some(f), Some(i)) if f != i => {
                return Err(ConfigError::FormatConflict {
                    format: f,
                    path: output.clone(),
                });
            }
            (Some(f), _) => f,
            (None, Some(i)) => i,
            (None, None) => {
                return Err(ConfigError::UnknownExtension {
                    path: output.clone(),
                });
            }
        };
        (Target::Path(output.clone()), format)
    };
    if matches!(format, AudioFormat::Mp3 | AudioFormat::Opus) {
        return Err(ConfigError::FormatNotBuilt { format });
    }
    Ok(SinkConfig::File(FileOptions {
        target,
        format,
        sample_rate,
        append: args.append,
    }))
}

fn inputs(args: &SayArgs) -> Result<Vec<Input>, ConfigError> {
    let mut inputs = Vec::new();
    if !args.text.is_empty() {
        let text = args.text.join(" ");
        if text.trim().is_empty() {
            return Err(ConfigError::EmptyText);
        }
        inputs.push(Input::Text(text));
    }
    for path in &args.files {
        if path.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        // Opened now so a typo fails before any audio is made.
        std::fs::File::open(path).map_err(|e| ConfigError::InputNotReadable {
            path: path.clone(),
            reason: e.kind().to_string(),
        })?;
        if path.is_dir() {
            return Err(ConfigError::InputNotReadable {
                path: path.clone(),
                reason: "it is a directory".into(),
            });
        }
        inputs.push(Input::File(path.clone()));
    }
    if inputs.is_empty() {
        inputs.push(Input::Stdin);
    }
    Ok(inputs)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn say(argv: &[&str]) -> Result<SayConfig, ConfigError> {
        let mut full = vec!["tts", "say"];
        full.extend_from_slice(argv);
        let args = Args::try_parse_from(full).expect("parses");
        match Config::new(args, &Environment::default())?.command {
            CommandConfig::Say(say) => Ok(say),
        }
    }

    fn message(argv: &[&str]) -> String {
        say(argv).expect_err("must be refused").to_string()
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Args::command().debug_assert();
    }

    #[test]
    fn defaults_are_normal_speech_on_the_default_device() {
        let config = say(&["hello", "world"]).expect("valid");
        assert_eq!(config.inputs, [Input::Text("hello world".into())]);
        assert_eq!(config.local, LocalParams::default());
        assert!(matches!(
            config.sink,
            SinkConfig::Device(PlayerOptions { device: None, .. })
        ));
        assert!(
            config.engine_notice.is_some(),
            "auto without a key says it falls back"
        );
    }

    #[test]
    fn no_text_means_stdin() {
        assert_eq!(say(&[]).expect("valid").inputs, [Input::Stdin]);
        assert_eq!(say(&["-f", "-"]).expect("valid").inputs, [Input::Stdin]);
    }

    #[test]
    fn out_of_range_values_name_flag_value_and_range() {
        assert_eq!(
            message(&["-r", "3", "x"]),
            "--rate 3 is out of range: use a value from 0.5 to 2.0 (1.0 is normal speed)"
        );
        assert!(
            message(&["--pitch", "0.1", "x"])
                .starts_with("--pitch 0.1 is out of range: use a value from 0.5 to 2.0")
        );
        assert!(
            message(&["--volume", "101", "x"])
                .starts_with("--volume 101 is out of range: use a whole number from 0 to 100")
        );
        assert!(message(&["--volume", "-1", "x"]).starts_with("--volume -1 is out of range"));
        assert!(
            message(&["--sample-rate", "12345", "-o", "a.wav", "x"])
                .contains("use one of 8000, 16000")
        );
    }

    #[test]
    fn edge_values_are_accepted() {
        let config = say(&["-r", "0.5", "--pitch", "2", "--volume", "0", "x"]).expect("valid");
        assert_eq!(
            (config.local.rate, config.local.pitch, config.local.volume),
            (0.5, 2.0, 0)
        );
    }

    #[test]
    fn format_comes_from_the_extension_and_conflicts_are_refused() {
        let config = say(&["-o", "a.pcm", "--sample-rate", "8000", "x"]).expect("valid");
        let SinkConfig::File(file) = config.sink else {
            panic!("file sink expected")
        };
        assert_eq!(
            (file.format, file.sample_rate.map(SampleRate::get)),
            (AudioFormat::Pcm, Some(8000))
        );
        assert!(
            message(&["-o", "a.wav", "--format", "pcm", "x"])
                .contains("does not match the extension")
        );
        assert!(message(&["-o", "a.xyz", "x"]).contains("add --format wav"));
        assert!(message(&["-o", "a.mp3", "x"]).contains("mp3 output is not available yet"));
    }

    #[test]
    fn stdout_defaults_to_wav() {
        let SinkConfig::File(file) = say(&["-o", "-", "x"]).expect("valid").sink else {
            panic!("file sink")
        };
        assert_eq!(
            (file.target, file.format),
            (Target::Stdout, AudioFormat::Wav)
        );
    }

    #[test]
    fn append_needs_a_real_file() {
        assert!(message(&["--append", "x"]).contains("add -o FILE"));
        assert!(message(&["--append", "-o", "-", "x"]).contains("standard output"));
        assert!(message(&["--sample-rate", "8000", "x"]).contains("add -o FILE"));
    }

    #[test]
    fn missing_input_files_fail_before_synthesis() {
        assert_eq!(
            message(&["-f", "/nonexistent/chapter.txt"]),
            "cannot read input file /nonexistent/chapter.txt: entity not found"
        );
        assert_eq!(message(&[""]), "nothing to say: TEXT is empty");
    }

    #[test]
    fn engine_choice() {
        assert!(
            say(&["-e", "local", "x"])
                .expect("valid")
                .engine_notice
                .is_none()
        );
        assert!(message(&["-e", "cosyvoice", "x"]).contains("--engine local"));
    }
}
