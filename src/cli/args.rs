//! The raw command line as clap parses it. Nothing here is validated beyond its type:
//! [`super::config`] turns these into a `Config` or a one-line error.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

const SAY_EXAMPLES: &str = "\
Examples:
  tts say \"Hello, world\"                  speak on the default device
  llm \"tell me a story\" | tts say          speak text as it arrives on stdin
  tts say -f chapter1.txt -o chapter1.wav   write a file instead of playing
  tts say -v en-gb+f3 -r 1.3 \"Faster\"       pick a voice and speed
  tts say hi -o - | aplay                   stream WAV to another program";

/// Text to speech in the terminal: CosyVoice voices, or an embedded offline engine.
#[derive(Debug, Parser)]
#[command(name = "tts", version, propagate_version = true, max_term_width = 100)]
pub struct Args {
    /// Print only errors: no notices or progress.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print what happens at each stage (device, timings, underruns).
    #[arg(long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs of `tts`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Speak text from arguments, files or stdin.
    #[command(after_help = SAY_EXAMPLES)]
    Say(SayArgs),
    /// Convert text files to audio files (not built yet).
    Convert(PendingArgs),
    /// Serve the CosyVoice WebSocket protocol on the offline engine (not built yet).
    Serve(PendingArgs),
    /// List voices (not built yet).
    Voices(PendingArgs),
    /// List audio output devices (not built yet).
    Devices(PendingArgs),
    /// Print shell completions (not built yet).
    Completions(PendingArgs),
}

/// Arguments of a verb that is not built yet: accepted, so the message can say so.
#[derive(Debug, clap::Args)]
pub struct PendingArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<String>,
}

/// `tts say`.
#[derive(Debug, clap::Args)]
pub struct SayArgs {
    /// The text to speak; with no TEXT and no --file, stdin is read as it arrives.
    #[arg(value_name = "TEXT")]
    pub text: Vec<String>,
    /// Read text from FILE ('-' is stdin); repeatable.
    #[arg(short, long = "file", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Voice: a local espeak-ng voice such as en-us, en-gb, cmn or en-us+f3 [default: by script].
    #[arg(short, long, value_name = "VOICE")]
    pub voice: Option<String>,
    /// Speaking rate, 0.5 to 2.0 [default: 1.0].
    #[arg(short, long, value_name = "X", allow_negative_numbers = true)]
    pub rate: Option<f64>,
    /// Pitch, 0.5 to 2.0 [default: 1.0].
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub pitch: Option<f64>,
    /// Volume, 0 to 100 [default: 50].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub volume: Option<i64>,
    /// Write audio to FILE instead of playing it ('-' is stdout).
    #[arg(short, long, value_name = "FILE", conflicts_with = "device")]
    pub output: Option<PathBuf>,
    /// Output format [default: from the -o extension; wav for stdout].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// Sample rate of the output file: 8000, 16000, 22050, 24000, 44100 or 48000 [default: the engine's].
    #[arg(long, value_name = "HZ", allow_negative_numbers = true)]
    pub sample_rate: Option<i64>,
    /// Add to the end of the -o file instead of replacing it.
    #[arg(long)]
    pub append: bool,
    /// Play on the output device NAME [default: the system default].
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
    /// Engine: cosyvoice when an API key is configured, else the offline engine.
    #[arg(short, long, value_enum, default_value_t = EngineArg::Auto)]
    pub engine: EngineArg,
    /// Print when the engine was ready, the first audio played and the end, on stderr.
    #[arg(long)]
    pub timing: bool,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Raw signed 16-bit little-endian mono.
    Pcm,
    /// WAV, 16-bit mono.
    Wav,
    /// MP3.
    Mp3,
    /// Ogg Opus.
    Opus,
}

/// `--engine` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    /// CosyVoice when an API key is configured, else local.
    Auto,
    /// The embedded espeak-ng engine: no network, no key.
    Local,
    /// The DashScope CosyVoice service.
    Cosyvoice,
}
