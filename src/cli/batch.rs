//! `tts convert`'s validated settings: which files, where each one's audio goes, how many at
//! once, and how to speak (the `tts say` flags, validated as `say` validates them).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::args::{ConvertArgs, SayArgs};
use super::config::{ConfigError, Environment, SayConfig, SinkConfig, speech_config};
use super::settings::FileSettings;
use crate::audio::AudioFormat;
use crate::output::file::{FileOptions, Target};

/// Jobs when `--jobs` is not given.
const DEFAULT_JOBS: usize = 4;

/// One file to convert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertFile {
    /// The text file.
    pub input: PathBuf,
    /// The audio file it becomes.
    pub output: PathBuf,
}

/// `tts convert`, validated.
#[derive(Debug)]
pub struct ConvertConfig {
    /// The files, in the order given.
    pub files: Vec<ConvertFile>,
    /// How to speak: engine, feed, notices.
    pub speech: SayConfig,
    /// Format and rate of every output (its target is set per file).
    pub output: FileOptions,
    /// Files converted at once.
    pub jobs: usize,
    /// Convert outputs that are already up to date.
    pub force: bool,
    /// Keep each job's connection from file to file.
    pub reuse: bool,
    /// The directory for outputs, made if missing.
    pub out_dir: Option<PathBuf>,
}

/// The `say` flags that `convert` shares, for the settings merge.
pub fn as_say_args(args: &ConvertArgs) -> SayArgs {
    SayArgs {
        text: Vec::new(),
        files: Vec::new(),
        output: None,
        append: false,
        device: None,
        timing: false,
        echo: false,
        flush_on_newline: false,
        idle_timeout: None,
        flush_after: None,
        synthesis: args.synthesis.clone(),
    }
}

/// Validate `args`; `say` holds its synthesis flags merged with the settings.
pub fn convert_config(
    args: ConvertArgs,
    mut say: SayArgs,
    env: &Environment,
    file: &FileSettings,
) -> Result<ConvertConfig, ConfigError> {
    let jobs = match args.jobs {
        None => DEFAULT_JOBS,
        Some(n) => usize::try_from(n)
            .ok()
            .filter(|n| (1..=64).contains(n))
            .ok_or(ConfigError::Jobs { value: n })?,
    };
    let format = say
        .synthesis
        .format
        .map_or(AudioFormat::Mp3, AudioFormat::from);
    // The sink of `say` decides the format and rate (and the service's wire format); the name
    // only carries the extension, each file gets its own.
    say.output = Some(PathBuf::from(format!("convert.{}", format.name())));
    let speech = speech_config(say, env, file, Vec::new())?;
    let output = match &speech.sink {
        SinkConfig::File(options) => options.clone(),
        // Not reached (`say.output` is set above); the same meaning, at the engine's rate.
        SinkConfig::Device(_) => FileOptions {
            target: Target::Stdout,
            format,
            sample_rate: None,
            append: false,
        },
    };
    let mut files = Vec::with_capacity(args.files.len());
    let mut outputs: HashMap<PathBuf, PathBuf> = HashMap::new();
    for input in args.files {
        if input.as_os_str() == "-" {
            return Err(ConfigError::ConvertStdin);
        }
        let output = output_path(&input, args.out_dir.as_deref(), format);
        if output == input {
            return Err(ConfigError::OutputIsInput { path: input });
        }
        if let Some(first) = outputs.insert(output.clone(), input.clone()) {
            return Err(ConfigError::SameOutput {
                first,
                second: input,
                output,
            });
        }
        files.push(ConvertFile { input, output });
    }
    Ok(ConvertConfig {
        files,
        speech,
        output,
        jobs,
        force: args.force,
        reuse: !args.no_reuse,
        out_dir: args.out_dir,
    })
}

/// `DIR/<stem>.<ext>`, or beside the input without a directory.
fn output_path(input: &Path, out_dir: Option<&Path>, format: AudioFormat) -> PathBuf {
    // `notes.v2.txt` -> `notes.v2.mp3`: only the last extension is replaced.
    let mut name = input.file_stem().unwrap_or(input.as_os_str()).to_owned();
    name.push(".");
    name.push(format.name());
    match out_dir {
        Some(dir) => dir.join(name),
        None => input.with_file_name(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_sit_beside_their_inputs_or_in_the_directory() {
        let mp3 = AudioFormat::Mp3;
        assert_eq!(
            output_path(Path::new("book/one.txt"), None, mp3),
            Path::new("book/one.mp3")
        );
        assert_eq!(
            output_path(
                Path::new("book/one.txt"),
                Some(Path::new("out")),
                AudioFormat::Opus
            ),
            Path::new("out/one.opus")
        );
        assert_eq!(
            output_path(Path::new("notes"), None, AudioFormat::Wav),
            Path::new("notes.wav")
        );
        assert_eq!(
            output_path(Path::new("notes.v2.txt"), None, mp3),
            Path::new("notes.v2.mp3")
        );
    }
}
