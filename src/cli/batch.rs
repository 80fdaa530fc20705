//! `tts convert`'s validated settings: which files, where each one's audio goes, how many at
//! once, and how to speak (the `tts say` flags, validated as `say` validates them).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::args::{ConvertArgs, SayArgs};
use super::config::{ConfigError, Environment, Prepared, SayConfig, SinkConfig, speech_config};
use crate::audio::AudioFormat;
use crate::output::file::{FileOptions, Target};

/// Jobs when `--jobs` is not given.
const DEFAULT_JOBS: usize = 4;
/// The extensions of the files `tts convert DIR` takes (compared without case).
pub const TEXT_EXTENSIONS: [&str; 3] = ["txt", "md", "markdown"];

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
pub(super) fn convert_config(
    args: ConvertArgs,
    mut say: SayArgs,
    env: &Environment,
    prepared: Prepared,
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
        .or(prepared.file_defaults.format)
        .map_or(AudioFormat::Mp3, AudioFormat::from);
    // The sink of `say` decides the format and rate (and the service's wire format); the name
    // only carries the extension, each file gets its own.
    say.output = Some(PathBuf::from(format!("convert.{}", format.name())));
    let mut speech = speech_config(say, env, prepared, Vec::new())?;
    if jobs > 1
        && matches!(speech.engine, super::config::EngineConfig::Local(_))
        && args.jobs.is_some()
    {
        speech.notices.push(format!(
            "--jobs {jobs}: the offline engine converts one file at a time (espeak-ng is one instance per process)"
        ));
    }
    let output = match &speech.sink {
        SinkConfig::File(options) => options.clone(),
        // Not reached (`say.output` is set above); the same meaning, at the engine's rate.
        SinkConfig::Device(_) => FileOptions {
            target: Target::Stdout,
            format,
            sample_rate: None,
            append: false,
            bit_rate: None,
        },
    };
    let mut files = Vec::with_capacity(args.files.len());
    let mut outputs: HashMap<PathBuf, PathBuf> = HashMap::new();
    let mut inputs = Vec::with_capacity(args.files.len());
    for input in args.files {
        if input.as_os_str() == "-" {
            return Err(ConfigError::ConvertStdin);
        }
        if input.is_dir() {
            let found = text_files(&input, args.recursive)?;
            if found.is_empty() {
                return Err(ConfigError::NoTextFiles {
                    dir: input,
                    recursive: args.recursive,
                });
            }
            inputs.extend(found.into_iter().map(|(file, sub)| (file, Some(sub))));
        } else {
            inputs.push((input, None));
        }
    }
    for (input, sub) in inputs {
        // A file found in a directory keeps its place below it in -d DIR.
        let out_dir = args
            .out_dir
            .as_ref()
            .map(|dir| sub.map_or_else(|| dir.clone(), |sub| dir.join(sub)));
        let output = output_path(&input, out_dir.as_deref(), format);
        if output == input || crate::output::file::same_file(&input, &output) {
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

/// The text files in `dir` (see [`TEXT_EXTENSIONS`]), in name order, each with its
/// subdirectory relative to `dir`; with `recursive`, those of its subdirectories too (symbolic
/// links to directories are not followed, so a loop cannot trap the walk).
fn text_files(dir: &Path, recursive: bool) -> Result<Vec<(PathBuf, PathBuf)>, ConfigError> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(sub) = pending.pop() {
        let here = dir.join(&sub);
        let unreadable = |e: std::io::Error| ConfigError::InputNotReadable {
            path: here.clone(),
            reason: e.kind().to_string(),
        };
        let mut entries = std::fs::read_dir(&here)
            .map_err(unreadable)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(unreadable)?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let path = entry.path();
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            if is_dir {
                if recursive {
                    pending.push(sub.join(entry.file_name()));
                }
            } else if path.is_file()
                && path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| TEXT_EXTENSIONS.iter().any(|t| e.eq_ignore_ascii_case(t)))
            {
                found.push((path, sub.clone()));
            }
        }
    }
    found.sort();
    Ok(found)
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
