//! The validated configuration: every value range-checked before any work starts, with errors
//! that name the flag, the value and what is accepted.

use std::path::PathBuf;

use super::args::{
    Args, Command, ConfigAction, EngineArg, FormatArg, SayArgs, ServeArgs, SubtitlesArg,
};
use super::credentials::{self, Credentials};
use super::list::{LocalKind, VoicesOptions};
use super::remote::{self, FileFormat, Prosody, RemoteConfig};
use super::settings::{self, EngineKind, FileDefaults, FileSettings};
use crate::audio::{AudioFormat, SUPPORTED_RATES, SampleRate};
use crate::engine::local::{LocalParams, NeuralParams};
use crate::engine::piper::{self, SearchPaths};
use crate::output::device::PlayerOptions;
use crate::output::file::{FileOptions, Target};
use crate::output::subtitles::SubtitleFormat;
use crate::serve::ServeOptions;
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
    /// `tts convert`.
    Convert(super::batch::ConvertConfig),
    /// `tts serve`.
    Serve(ServeOptions),
    /// `tts completions SHELL`.
    Completions(clap_complete::Shell),
    /// `tts config path|show`: what to print.
    ShowConfig(String),
    /// `tts voices` (or `tts say -v '?'`).
    Voices(VoicesOptions),
    /// `tts devices`.
    Devices,
    /// `tts man`.
    Man,
    /// `tts voice …` or `tts token`.
    Voice(crate::voice::VoiceConfig),
    /// `tts chat`.
    Chat(Box<crate::chat::ChatConfig>),
}

/// `tts say`, validated.
#[derive(Debug)]
pub struct SayConfig {
    /// Text sources, in the order they are spoken.
    pub inputs: Vec<Input>,
    /// Which engine speaks, and how.
    pub engine: EngineConfig,
    /// Where the audio goes.
    pub sink: SinkConfig,
    /// Print timings on stderr.
    pub timing: bool,
    /// How text becomes fragments.
    pub feed: FeedOptions,
    /// One-line notices for stderr (the engine choice, a readable key file).
    pub notices: Vec<String>,
}

/// How text is read and cut.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedOptions {
    /// Print each sentence as it starts playing.
    pub echo: bool,
    /// Write subtitles of this format beside the audio file.
    pub subtitles: Option<SubtitleFormat>,
    /// Every line break ends a sentence.
    pub flush_on_newline: bool,
    /// Strip Markdown here (the offline engine; the service filters its own).
    pub markdown: bool,
    /// Quiet input after which the service's task ends.
    pub idle: std::time::Duration,
    /// Markdown goes to a service that filters it: lines are kept as they are (the filter
    /// needs them), and subtitles are filtered here.
    pub keep_lines: bool,
    /// Silence after which text without a sentence end is spoken anyway (`--flush-after`).
    pub flush_after: std::time::Duration,
    /// Markdown from a writer that does not wait for line ends (a model's answer): each code
    /// block is announced, and the whole sentences of a line are spoken before its end comes.
    pub streamed_markdown: bool,
}

/// The engine and its settings.
#[derive(Debug)]
pub enum EngineConfig {
    /// The embedded espeak-ng engine.
    Local(LocalParams),
    /// The DashScope CosyVoice service.
    CosyVoice(Box<RemoteConfig>),
    /// DashScope Qwen-TTS-Realtime.
    Qwen(Box<super::qwen::QwenConfig>),
}

impl EngineConfig {
    /// Whether the engine is a service, sending encoded audio.
    pub fn is_remote(&self) -> bool {
        !matches!(self, Self::Local(_))
    }
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
    /// `DASHSCOPE_API_KEY`.
    pub api_key: Option<String>,
    /// `DASHSCOPE_WEBSOCKET_BASE_URL`: the SDK's endpoint override.
    pub websocket_url: Option<String>,
    /// `DASHSCOPE_WORKSPACE_ID`.
    pub workspace: Option<String>,
    /// `DASHSCOPE_HTTP_BASE_URL`: the SDK's HTTP endpoint override.
    pub http_url: Option<String>,
    /// `TTS_SERVE_API_KEY`.
    pub serve_key: Option<String>,
    /// Every other `TTS_*` variable (defaults for `tts say`).
    pub tts_vars: Vec<(String, String)>,
    /// The config file (`$TTS_CONFIG` or `~/.config/tts/config.toml`).
    pub config_file: Option<PathBuf>,
    /// Where neural voices and ONNX Runtime are looked for (nowhere by default).
    pub neural: SearchPaths,
    /// `DASHSCOPE_API_KEY_FILE_PATH`: a file holding the key.
    pub key_file: Option<PathBuf>,
    /// `~/.dashscope/api_key`, written by `dashscope auth login`.
    pub dashscope_key_file: Option<PathBuf>,
    /// `OPENAI_API_KEY`: the key for another chat endpoint (`tts chat --llm-endpoint`).
    pub openai_key: Option<String>,
}

impl Environment {
    /// Read the process environment.
    pub fn from_process() -> Self {
        let var = |name| {
            std::env::var(name)
                .ok()
                .filter(|v: &String| !v.trim().is_empty())
        };
        Self {
            api_key: var("DASHSCOPE_API_KEY"),
            websocket_url: var("DASHSCOPE_WEBSOCKET_BASE_URL"),
            workspace: var("DASHSCOPE_WORKSPACE_ID"),
            http_url: var("DASHSCOPE_HTTP_BASE_URL"),
            serve_key: var("TTS_SERVE_API_KEY"),
            tts_vars: std::env::vars()
                .filter(|(k, _)| k.starts_with("TTS_"))
                .collect(),
            config_file: credentials::config_path(),
            neural: SearchPaths::from_process(),
            key_file: var("DASHSCOPE_API_KEY_FILE_PATH").map(PathBuf::from),
            dashscope_key_file: credentials::dashscope_key_path(),
            openai_key: var("OPENAI_API_KEY"),
        }
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
    /// `--append` to a file that does not hold what would be written.
    #[error("cannot append to {path}: it holds {found}, this output is {wanted}{hint}")]
    AppendMismatch {
        /// The existing file.
        path: PathBuf,
        /// What it holds.
        found: String,
        /// What would be written.
        wanted: String,
        /// How to make them agree.
        hint: String,
    },
    /// Raw PCM records no rate, so appending to it needs one.
    #[error(
        "{path} is raw PCM, which does not record its sample rate; add --sample-rate with the rate it was written at"
    )]
    AppendPcmRate {
        /// The existing file.
        path: PathBuf,
    },
    /// The file to append to could not be read.
    #[error("cannot read {path} to append to it: {reason}")]
    AppendUnreadable {
        /// The existing file.
        path: PathBuf,
        /// Why.
        reason: String,
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
    /// `--listen` that is not an address.
    #[error("--listen {value} is not an address: use ADDR:PORT, such as 127.0.0.1:8765")]
    Listen {
        /// The value given.
        value: String,
    },
    /// Serving beyond this machine with no key.
    #[error(
        "refusing to serve on {addr} without a key: anyone who can reach it could use it; add --api-key KEY (or TTS_SERVE_API_KEY), or listen on 127.0.0.1"
    )]
    OpenServer {
        /// The address.
        addr: std::net::SocketAddr,
    },
    /// `--subtitles` without an audio file to put them beside.
    #[error("--subtitles are written beside the audio file: add -o FILE (not -o -)")]
    SubtitlesNeedFile,
    /// `--subtitles` with `--append`.
    #[error(
        "--subtitles cannot be combined with --append (the cues would cover only the added audio); write a new file"
    )]
    SubtitlesAppend,
    /// `--echo` with audio on stdout.
    #[error(
        "--echo prints sentences on stdout, where -o - writes audio; write the audio to a file"
    )]
    EchoWithStdout,
    /// A config-file or environment value outside a setting's choices.
    #[error("the setting {key} = '{value}' is not one of its choices; see tts say --help")]
    Setting {
        /// The setting.
        key: &'static str,
        /// The value found.
        value: String,
    },
    /// `-p NAME` that the config file does not define.
    #[error("no profile '{name}' in the config file ({known}); see tts config show")]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The profiles there are.
        known: String,
    },
    /// A `TTS_*` variable of the wrong type.
    #[error("a TTS_* variable cannot be used: {reason}")]
    Environment {
        /// Why.
        reason: String,
    },
    /// `tts say ""`.
    #[error("nothing to say: TEXT is empty")]
    EmptyText,
    /// `--engine cosyvoice` with no key anywhere.
    #[error(
        "no DashScope API key: set DASHSCOPE_API_KEY, or api_key in {config}; or use --engine local"
    )]
    NoApiKey {
        /// The config file looked at.
        config: String,
    },
    /// `--llm-endpoint` is not an HTTP address.
    #[error(
        "--llm-endpoint {0} is not an http:// or https:// address; give the API's base, such as http://localhost:11434/v1"
    )]
    LlmEndpoint(String),
    /// The config file cannot be read or parsed.
    #[error("cannot read {}: {reason}", path.display())]
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A key file could not be used.
    #[error("cannot use the API key in {origin}: {reason}")]
    KeyFile {
        /// Where it was looked for.
        origin: String,
        /// Why.
        reason: String,
    },
    /// A key that cannot be sent in an HTTP header.
    #[error(
        "the API key from {origin} contains a line break, a control or a non-ASCII character; write the key alone on one line"
    )]
    KeyCharacters {
        /// Where it came from.
        origin: String,
    },
    /// `api_key_command` failed.
    #[error("api_key_command in {path} failed: {reason}")]
    KeyCommand {
        /// The config file.
        path: String,
        /// Why (never the command's output).
        reason: String,
    },
    /// `--language` not in the list.
    #[error(
        "--language {value} is not supported: use one of zh, en, fr, de, ja, ko, ru, pt, th, id, vi"
    )]
    UnknownLanguage {
        /// The value given.
        value: String,
    },
    /// `--instruction` over 100 characters.
    #[error("--instruction is {chars} characters long: use 100 at most")]
    InstructionTooLong {
        /// Its length.
        chars: usize,
    },
    /// `--bit-rate` without opus.
    #[error(
        "--bit-rate applies to opus only: add --format opus (or -o FILE.opus), or drop --bit-rate"
    )]
    BitRateNeedsOpus,
    /// An opus rate the service does not offer.
    #[error("--sample-rate {value} is not offered for opus: use 8000, 16000, 24000 or 48000")]
    OpusRate {
        /// The value given.
        value: u32,
    },
    /// `--hot-fix FILE` unreadable or malformed.
    #[error("cannot use --hot-fix {}: {reason}", path.display())]
    HotFix {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A bad `--endpoint` (or `DASHSCOPE_WEBSOCKET_BASE_URL`).
    #[error("cannot use the endpoint {url}: {reason}")]
    Endpoint {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// `--ssml` with streaming stdin.
    #[error("--ssml needs the whole document at once: pass it as TEXT or -f FILE, not on stdin")]
    SsmlFromStdin,
    /// An SSML document over one message's limit.
    #[error("the SSML document counts {chars} characters; one message holds 20000 at most")]
    SsmlTooLong {
        /// Its billed length.
        chars: usize,
    },
    /// `--ssml` with the offline engine.
    #[error("--ssml needs the cosyvoice engine (--engine cosyvoice and an API key)")]
    SsmlNeedsCosyVoice,
    /// A Qwen-TTS-Realtime model, voice or option that does not fit.
    #[error("{what}; {fix}")]
    QwenUnsupported {
        /// What is wrong.
        what: String,
        /// How to fix it.
        fix: String,
    },
    /// `--pitch` with a neural voice.
    #[error(
        "--pitch cannot change the neural voice {voice} (the model has no pitch control); drop --pitch, or use -e espeak"
    )]
    NeuralPitch {
        /// The voice.
        voice: String,
    },
    /// `-e neural` (or a neural voice by name) when it cannot speak.
    #[error(
        "the neural engine cannot speak: {reason}; run ./scripts/setup to install it, or use -e espeak"
    )]
    NeuralUnavailable {
        /// What is missing.
        reason: String,
    },
    /// `-e neural -v NAME` naming no installed voice.
    #[error("unknown neural voice '{voice}'; installed: {known} (tts voices -e neural lists them)")]
    UnknownNeuralVoice {
        /// The name asked for.
        voice: String,
        /// The installed voices.
        known: String,
    },
    /// `-v PATH.onnx` that is not a usable voice.
    #[error("cannot use the voice {voice}: {source}")]
    VoiceFile {
        /// The `-v` value.
        voice: String,
        /// Why.
        #[source]
        source: piper::VoiceError,
    },
    /// `-v NAME:SPEAKER` with a speaker the voice lacks.
    #[error("voice {voice} has no speaker '{speaker}'; it has {known}")]
    UnknownSpeaker {
        /// The voice.
        voice: String,
        /// The speaker asked for.
        speaker: String,
        /// Its speakers.
        known: String,
    },
    /// `tts convert -`.
    #[error("tts convert takes files; to speak standard input use tts say (or tts say -o FILE)")]
    ConvertStdin,
    /// `tts convert --jobs` out of range.
    #[error("--jobs {value} is not allowed; use 1 to 64")]
    Jobs {
        /// The value given.
        value: i64,
    },
    /// `tts say -f FILE -o FILE`: the audio would overwrite its own text.
    #[error(
        "-o {} is the input {} (the same file): the audio would overwrite the text; write it to another file",
        output.display(),
        input.display()
    )]
    OutputIsAnInput {
        /// The output asked for.
        output: PathBuf,
        /// The input it is.
        input: PathBuf,
    },
    /// The output cannot be written as asked.
    #[error(transparent)]
    Output(Box<crate::output::OutputError>),
    /// An input's output would replace the input itself.
    #[error("the audio for {path} would replace it; use -d DIR or another --format")]
    OutputIsInput {
        /// The input.
        path: PathBuf,
    },
    /// A bad `--endpoint` for the HTTP API (or `DASHSCOPE_HTTP_BASE_URL`).
    #[error(transparent)]
    HttpEndpoint(#[from] crate::dashscope::endpoints::EndpointError),
    /// A custom voice's rule, checked before anything is sent.
    #[error(transparent)]
    VoiceRule(#[from] crate::voice::rules::RuleError),
    /// Two inputs would write the same output.
    #[error(
        "{first} and {second} would both be written to {output}; convert them separately or rename one"
    )]
    SameOutput {
        /// One input.
        first: PathBuf,
        /// The other.
        second: PathBuf,
        /// The output both map to.
        output: PathBuf,
    },
    /// A flag that the engine of this run would not honour.
    #[error(
        "{flag} is honoured by the {engine} engine only, and this run speaks with the {speaking} engine; drop {flag}, or use -e {engine} (with an API key)"
    )]
    OtherEngine {
        /// The flag.
        flag: &'static str,
        /// The engine that honours it.
        engine: &'static str,
        /// The engine this run speaks with.
        speaking: &'static str,
    },
    /// `--bit-rate` for a format without one.
    #[error(
        "--bit-rate applies to opus and mp3 files with the offline engine: write -o FILE.opus or FILE.mp3, or drop --bit-rate"
    )]
    BitRateLocal,
    /// `--format` while an engine that always plays raw samples plays.
    #[error(
        "--format {format} applies to files with the {engine} engine, whose samples are played as they are: add -o FILE, or drop --format"
    )]
    FormatWhilePlaying {
        /// The format asked for.
        format: AudioFormat,
        /// The engine's name.
        engine: &'static str,
    },
    /// An MP3 bit rate LAME does not take.
    #[error(
        "--bit-rate {value} is not an MP3 bit rate: use one of 8, 16, 24, 32, 40, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320"
    )]
    Mp3BitRate {
        /// The value given.
        value: i64,
    },
    /// A catalog voice with a model it does not serve.
    #[error(
        "voice {voice} does not serve the model {model}: it takes {models}; use -m {first}, or --force-voice to send it anyway"
    )]
    VoiceModel {
        /// The voice.
        voice: String,
        /// The model asked for.
        model: String,
        /// The models the catalog lists for the voice.
        models: String,
        /// The first of them.
        first: String,
    },
    /// `tts convert DIR` with no text files in it.
    #[error("{} holds no .txt, .md or .markdown files{}", dir.display(), if *recursive { "" } else { " (--recursive looks in its subdirectories)" })]
    NoTextFiles {
        /// The directory.
        dir: PathBuf,
        /// Whether subdirectories were searched.
        recursive: bool,
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
            Command::Say(mut say) => {
                if say.synthesis.voice.as_deref() == Some("?") {
                    // The macOS `say -v '?'` habit: list the voices of the engine that would speak.
                    let prepared = with_settings(&mut say, env, false)?;
                    let qwen = say.synthesis.engine == Some(EngineArg::Qwen);
                    CommandConfig::Voices(VoicesOptions {
                        // `-e cosyvoice` (or `-e qwen`) lists the catalog even without a key.
                        local: prepared.engine == EngineKind::Local
                            && !matches!(
                                say.synthesis.engine,
                                Some(EngineArg::Cosyvoice | EngineArg::Qwen)
                            ),
                        // The Qwen engine's voices: those of its model.
                        model: qwen.then(|| {
                            say.synthesis
                                .cosyvoice
                                .model
                                .clone()
                                .unwrap_or_else(|| crate::dashscope::qwen::DEFAULT_MODEL.to_owned())
                        }),
                        kind: local_kind(say.synthesis.engine.unwrap_or(EngineArg::Auto)),
                        neural: env.neural.clone(),
                        ..VoicesOptions::default()
                    })
                } else {
                    let prepared = with_settings(&mut say, env, true)?;
                    CommandConfig::Say(say_config(*say, env, prepared)?)
                }
            }
            Command::Convert(convert) => {
                let mut say = super::batch::as_say_args(&convert);
                let prepared = with_settings(&mut say, env, true)?;
                CommandConfig::Convert(super::batch::convert_config(*convert, say, env, prepared)?)
            }
            Command::Serve(serve) => CommandConfig::Serve(serve_config(&serve, env)?),
            Command::Config(config) => {
                let file = settings::load(env.config_file.as_deref())?;
                CommandConfig::ShowConfig(match config.action {
                    ConfigAction::Path => env.config_file.as_ref().map_or_else(
                        || "no config directory".to_owned(),
                        |p| p.display().to_string(),
                    ),
                    ConfigAction::Show => format!(
                        "{}{}\n",
                        settings::show(env.config_file.as_ref(), &file),
                        credentials::describe(env, &file)
                    ),
                })
            }
            Command::Voices(voices) => CommandConfig::Voices(VoicesOptions {
                local: matches!(
                    voices.engine,
                    Some(EngineArg::Local | EngineArg::Neural | EngineArg::Espeak)
                ),
                kind: voices.engine.map_or(LocalKind::Both, local_kind),
                neural: env.neural.clone(),
                // `-e qwen` alone lists the default Qwen model's voices.
                model: voices.model.or_else(|| {
                    (voices.engine == Some(EngineArg::Qwen))
                        .then(|| crate::dashscope::qwen::DEFAULT_MODEL.to_owned())
                }),
                language: voices.language,
                gender: voices.gender,
                search: voices.search,
                json: voices.json,
            }),
            Command::Devices => CommandConfig::Devices,
            Command::Completions(args) => CommandConfig::Completions(args.shell),
            Command::Man => CommandConfig::Man,
            Command::Voice(voice) => CommandConfig::Voice(super::voice::voice_config(voice, env)?),
            Command::Token(token) => CommandConfig::Voice(super::voice::token_config(&token, env)?),
            Command::Chat(chat) => {
                CommandConfig::Chat(Box::new(super::chat::chat_config(*chat, env)?))
            }
        };
        Ok(Self { verbosity, command })
    }
}

/// What the settings and the engine choice give a `say` or `convert` run.
pub(super) struct Prepared {
    /// The config file's settings (for the key-exposure warning).
    pub(super) file: FileSettings,
    /// The engine that speaks, `auto` resolved.
    pub(super) engine: EngineKind,
    /// The key, for the CosyVoice engine.
    pub(super) credentials: Option<Credentials>,
    /// Defaults for the output file.
    pub(super) file_defaults: FileDefaults,
    /// Notices: skipped settings (the engine choice is told once the offline voice is known).
    pub(super) notices: Vec<String>,
    /// Whether `--pitch` was on the command line (a pitch from the settings is skipped for a
    /// neural voice, a flag refused).
    pub(super) pitch_flag: bool,
}

/// Choose the engine (flag, else setting, else `auto`: CosyVoice when a key is configured),
/// refuse flags it would not honour, then fill what the command line left unset from the
/// `TTS_*` variables, the profile and the config file, where each fits that engine.
/// `need_key`: `-e cosyvoice` without a key is an error (not for listing voices).
pub(super) fn with_settings(
    say: &mut SayArgs,
    env: &Environment,
    need_key: bool,
) -> Result<Prepared, ConfigError> {
    let file = settings::load(env.config_file.as_deref())?;
    let lookup = |name: &str| {
        env.tts_vars
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let environment = settings::from_environment(&lookup)?;
    let profile = settings::profile(&file, say.synthesis.profile.as_deref())?;
    let engine_arg = match say.synthesis.engine {
        Some(engine) => engine,
        None => settings::engine_setting(&file, profile, &environment)?.unwrap_or(EngineArg::Auto),
    };
    let engine_arg = qwen_by_model(engine_arg, say.synthesis.cosyvoice.model.as_deref())?;
    say.synthesis.engine = Some(engine_arg);
    let credentials = match engine_arg {
        EngineArg::Local | EngineArg::Neural | EngineArg::Espeak => None,
        EngineArg::Auto | EngineArg::Cosyvoice | EngineArg::Qwen => credentials::find(env, &file)?,
    };
    if need_key
        && matches!(engine_arg, EngineArg::Cosyvoice | EngineArg::Qwen)
        && credentials.is_none()
    {
        let config = env
            .config_file
            .as_ref()
            .map_or_else(|| "the config file".into(), |p| p.display().to_string());
        return Err(ConfigError::NoApiKey { config });
    }
    let engine = match (credentials.is_some(), engine_arg) {
        (false, _) => EngineKind::Local,
        (true, EngineArg::Qwen) => EngineKind::Qwen,
        (true, _) => EngineKind::CosyVoice,
    };
    if need_key {
        refuse_unfit_flags(say, engine)?;
    }
    let pitch_flag = say.synthesis.pitch.is_some();
    let mut chosen = settings::defaults_for(&file, profile, environment, engine);
    let defaults = std::mem::take(&mut chosen.defaults);
    chosen.file.format = defaults.apply(say)?;
    let notices: Vec<String> = chosen.notice(engine).into_iter().collect();
    Ok(Prepared {
        file,
        engine,
        credentials,
        file_defaults: chosen.file,
        notices,
        pitch_flag,
    })
}

/// A Qwen model chooses its engine (`auto`); a model of the other engine is refused.
fn qwen_by_model(engine: EngineArg, model: Option<&str>) -> Result<EngineArg, ConfigError> {
    let qwen_model = model.is_some_and(crate::dashscope::qwen::looks_like_model);
    match (engine, qwen_model) {
        (EngineArg::Auto, true) => Ok(EngineArg::Qwen),
        (EngineArg::Cosyvoice, true) => Err(ConfigError::QwenUnsupported {
            what: format!(
                "-m {} is a Qwen-TTS-Realtime model, not a CosyVoice one",
                model.unwrap_or_default()
            ),
            fix: "use -e qwen (or drop -e)".into(),
        }),
        (EngineArg::Qwen, false) if model.is_some() => Err(ConfigError::QwenUnsupported {
            what: format!(
                "-e qwen needs a Qwen-TTS-Realtime model, not {}",
                model.unwrap_or_default()
            ),
            fix: "use -m qwen3-tts-flash-realtime (or drop -m)".into(),
        }),
        _ => Ok(engine),
    }
}

/// A flag the engine would not honour is refused, naming the engine that would, before any
/// default is filled in (a default that does not fit is skipped instead).
fn refuse_unfit_flags(say: &SayArgs, engine: EngineKind) -> Result<(), ConfigError> {
    let c = &say.synthesis.cosyvoice;
    let q = &say.synthesis.qwen;
    // Flags of the CosyVoice engine alone.
    let cosyvoice_only = [
        ("--seed", c.seed.is_some()),
        ("--word-timestamps", c.word_timestamps),
        ("--phoneme-timestamps", c.phoneme_timestamps),
        ("--hot-fix", c.hot_fix.is_some()),
        ("--aigc-tag", c.aigc_tag),
        ("--aigc-propagator", c.aigc_propagator.is_some()),
        ("--aigc-propagate-id", c.aigc_propagate_id.is_some()),
        ("--force-voice", c.force_voice),
    ];
    // Flags of both service engines.
    let service = [
        ("--model", c.model.is_some()),
        ("--language", c.language.is_some()),
        ("--instruction", c.instruction.is_some()),
        ("--region", c.region.is_some()),
        ("--endpoint", c.endpoint.is_some()),
        ("--workspace", c.workspace.is_some()),
        ("--connect-timeout", c.connect_timeout.is_some()),
        ("--start-timeout", c.start_timeout.is_some()),
        ("--progress-timeout", c.progress_timeout.is_some()),
        ("--idle-timeout", say.idle_timeout.is_some()),
    ];
    let qwen_only = [
        ("--qwen-mode", q.qwen_mode.is_some()),
        ("--enable-tn", q.enable_tn.is_some()),
        ("--optimize-instructions", q.optimize_instructions),
    ];
    let refused: Vec<(&[(&'static str, bool)], &'static str)> = match engine {
        EngineKind::Local => vec![
            (&cosyvoice_only, "cosyvoice"),
            (&service, "cosyvoice"),
            (&qwen_only, "qwen"),
        ],
        EngineKind::CosyVoice => vec![(&qwen_only, "qwen")],
        EngineKind::Qwen => vec![(&cosyvoice_only, "cosyvoice")],
    };
    for (flags, other) in refused {
        if let Some((flag, _)) = flags.iter().find(|(_, given)| *given) {
            return Err(ConfigError::OtherEngine {
                flag,
                engine: other,
                speaking: engine.name(),
            });
        }
    }
    Ok(())
}

fn say_config(
    args: SayArgs,
    env: &Environment,
    prepared: Prepared,
) -> Result<SayConfig, ConfigError> {
    let inputs = inputs(&args)?;
    speech_config(args, env, prepared, inputs)
}

/// Everything about speaking `inputs` as `args` say: engine, sink, feed, notices.
pub(super) fn speech_config(
    mut args: SayArgs,
    env: &Environment,
    prepared: Prepared,
    inputs: Vec<Input>,
) -> Result<SayConfig, ConfigError> {
    let Prepared {
        file,
        engine: kind,
        credentials: remote,
        file_defaults,
        mut notices,
        pitch_flag,
    } = prepared;
    let rate = ranged_f64(
        "--rate",
        args.synthesis.rate,
        0.5,
        2.0,
        "a value from 0.5 to 2.0 (1.0 is normal speed)",
    )?;
    let pitch = ranged_f64(
        "--pitch",
        args.synthesis.pitch,
        0.5,
        2.0,
        "a value from 0.5 to 2.0 (1.0 is normal pitch)",
    )?;
    let volume = match args.synthesis.volume {
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
        .synthesis
        .sample_rate
        .map(|hz| checked_rate(hz).ok_or(ConfigError::UnsupportedRate { value: hz }))
        .transpose()?;
    let engine_arg = args.synthesis.engine.unwrap_or(EngineArg::Auto);
    let (neural, missing) = match remote {
        Some(_) => (None, None),
        None => neural_choice(
            args.synthesis.voice.as_deref(),
            engine_arg,
            &inputs,
            &env.neural,
        )?,
    };
    let pitch_asked = args
        .synthesis
        .pitch
        .is_some_and(|p| (p - 1.0).abs() > f64::EPSILON);
    let mut pitch = pitch;
    if let (Some(neural), true) = (&neural, pitch_asked) {
        if pitch_flag {
            return Err(ConfigError::NeuralPitch {
                voice: neural.voice.name.clone(),
            });
        }
        // A pitch from the settings is espeak-ng's: the neural voice speaks at its own.
        notices.push(format!(
            "skipping pitch (the neural voice {} has no pitch control; put it under [local] for espeak-ng or use -e espeak)",
            neural.voice.name
        ));
        pitch = 1.0;
    }
    let engine_notice = (engine_arg == EngineArg::Auto && remote.is_none()).then(|| {
        match (&neural, missing) {
            (Some(neural), _) => format!(
                "no DashScope API key (DASHSCOPE_API_KEY); speaking with the offline voice {} (--engine local hides this)",
                neural.voice.name
            ),
            (None, Some(missing)) => format!(
                "no DashScope API key (DASHSCOPE_API_KEY) and {missing}; speaking with espeak-ng (./scripts/setup installs a neural voice; --engine local hides this)"
            ),
            (None, None) => "no DashScope API key (DASHSCOPE_API_KEY); speaking with espeak-ng (--engine local hides this)".to_owned(),
        }
    });
    notices.splice(0..0, engine_notice);
    let mut sink = sink_config(&args, sample_rate, &file_defaults)?;
    check_output(&sink, &inputs)?;
    if let SinkConfig::File(options) = &mut sink {
        default_rate(options, &file_defaults, kind, &mut notices)?;
        options.bit_rate = bit_rate(&mut args, options, &file_defaults, kind)?;
    } else if matches!(kind, EngineKind::Local | EngineKind::Qwen) {
        if kind == EngineKind::Local && args.synthesis.cosyvoice.bit_rate.is_some() {
            return Err(ConfigError::BitRateLocal);
        }
        // The offline engine plays its samples as they are, and a Qwen session is played from
        // its PCM (each response would be a stream of its own): a format would change nothing.
        if let Some(format) = args.synthesis.format {
            return Err(ConfigError::FormatWhilePlaying {
                format: format.into(),
                engine: kind.name(),
            });
        }
    }
    if args.synthesis.cosyvoice.ssml && remote.is_none() {
        return Err(ConfigError::SsmlNeedsCosyVoice);
    }
    let engine = match remote {
        None => EngineConfig::Local(LocalParams {
            // A named neural voice speaks everything; espeak-ng's voice is then by script.
            voice: args
                .synthesis
                .voice
                .filter(|_| !neural.as_ref().is_some_and(|n| n.pinned)),
            neural,
            #[allow(
                clippy::cast_possible_truncation,
                reason = "range-checked to 0.5..=2.0"
            )]
            rate: rate as f32,
            #[allow(
                clippy::cast_possible_truncation,
                reason = "range-checked to 0.5..=2.0"
            )]
            pitch: pitch as f32,
            volume,
        }),
        Some(credentials) if kind == EngineKind::Qwen => {
            let file = match &sink {
                SinkConfig::File(file) => Some(FileFormat {
                    format: file.format,
                    sample_rate: file.sample_rate,
                }),
                SinkConfig::Device(_) => None,
            };
            let model = args
                .synthesis
                .cosyvoice
                .model
                .clone()
                .unwrap_or_else(|| crate::dashscope::qwen::DEFAULT_MODEL.into());
            let config =
                super::qwen::qwen_config(&args.synthesis, &model, file.as_ref(), credentials, env)?;
            crate::voice::rules::check_say(&config.options.config.voice, &model)?;
            EngineConfig::Qwen(Box::new(config))
        }
        Some(credentials) => {
            if args.synthesis.cosyvoice.ssml {
                let text = inputs.iter().find_map(|i| match i {
                    Input::Text(text) => Some(text.as_str()),
                    _ => None,
                });
                remote::check_ssml(text, inputs.contains(&Input::Stdin))?;
            }
            let file = match &sink {
                SinkConfig::File(file) => Some(FileFormat {
                    format: file.format,
                    sample_rate: file.sample_rate,
                }),
                // Playing: PCM unless another format is asked for (MP3 or Opus download a
                // tenth of it); the rate is the device's, set once it is open.
                SinkConfig::Device(_) => args.synthesis.format.map(|format| FileFormat {
                    format: format.into(),
                    sample_rate: None,
                }),
            };
            let prosody = Prosody {
                rate,
                pitch,
                volume,
            };
            let config = remote::remote_config(
                &args.synthesis.cosyvoice,
                args.synthesis.voice.as_deref(),
                &prosody,
                file.as_ref(),
                credentials,
                env,
            )?;
            crate::voice::rules::check_say(
                &config.session.parameters.voice,
                &config.session.model,
            )?;
            EngineConfig::CosyVoice(Box::new(config))
        }
    };
    // The service fails a task after 23 s without a message: a longer wait cannot be kept.
    let idle = match args.idle_timeout {
        None => std::time::Duration::from_secs(15),
        Some(s) if s.is_finite() && s > 0.0 && s < 23.0 => std::time::Duration::from_secs_f64(s),
        Some(s) => {
            return Err(ConfigError::OutOfRange {
                flag: "--idle-timeout",
                value: s.to_string(),
                range: "a number of seconds above 0 and below 23 (the service fails a task after 23 s without a message)",
            });
        }
    };
    let flush_after = match args.flush_after {
        None => crate::text::pace::FLUSH_AFTER,
        Some(s) if s.is_finite() && (0.1..=60.0).contains(&s) => {
            std::time::Duration::from_secs_f64(s)
        }
        Some(s) => {
            return Err(ConfigError::OutOfRange {
                flag: "--flush-after",
                value: s.to_string(),
                range: "0.1 to 60 seconds",
            });
        }
    };
    if args.echo && matches!(&sink, SinkConfig::File(f) if f.target == Target::Stdout) {
        return Err(ConfigError::EchoWithStdout);
    }
    let subtitles = match (args.synthesis.subtitles, &sink) {
        (None, _) => None,
        // Cues for the added audio alone would not fit the whole file.
        (Some(_), SinkConfig::File(file)) if file.append => {
            return Err(ConfigError::SubtitlesAppend);
        }
        (Some(_), SinkConfig::File(file)) if matches!(file.target, Target::Path(_)) => {
            args.synthesis.subtitles.map(|s| match s {
                SubtitlesArg::Srt => SubtitleFormat::Srt,
                SubtitlesArg::Vtt => SubtitleFormat::Vtt,
            })
        }
        (Some(_), _) => return Err(ConfigError::SubtitlesNeedFile),
    };
    let feed = FeedOptions {
        echo: args.echo,
        subtitles,
        flush_on_newline: args.flush_on_newline,
        // The CosyVoice service filters Markdown itself; for the others tts does.
        markdown: args.synthesis.cosyvoice.markdown_filter
            && !matches!(engine, EngineConfig::CosyVoice(_)),
        idle,
        keep_lines: args.synthesis.cosyvoice.markdown_filter
            && matches!(engine, EngineConfig::CosyVoice(_)),
        flush_after,
        streamed_markdown: false,
    };
    let exposure = env
        .config_file
        .as_deref()
        .and_then(|path| settings::exposure_warning(path, &file));
    // New voices appear all the time, so a name the catalog lacks is still sent, with a hint.
    let unknown_voice = match &engine {
        EngineConfig::CosyVoice(remote)
            if crate::catalog::find(&remote.session.parameters.voice).is_none()
                && crate::dashscope::customization::Family::of_voice(
                    &remote.session.parameters.voice,
                )
                .is_none() =>
        {
            let voice = &remote.session.parameters.voice;
            let close = crate::catalog::close_to(voice);
            let hint = if close.is_empty() {
                "tts voices lists the catalog".to_owned()
            } else {
                format!("did you mean {}?", close.join(", "))
            };
            Some(format!(
                "warning: voice '{voice}' is not in the catalog; sending it as is ({hint})"
            ))
        }
        _ => None,
    };
    notices.extend(exposure);
    if let EngineConfig::CosyVoice(remote) = &engine {
        notices.extend(remote.key_warning.clone());
    }
    notices.extend(unknown_voice);
    Ok(SayConfig {
        inputs,
        engine,
        sink,
        timing: args.timing,
        feed,
        notices,
    })
}

/// Which local voices `tts voices` lists for an `--engine`.
fn local_kind(engine: EngineArg) -> LocalKind {
    match engine {
        EngineArg::Neural => LocalKind::Neural,
        EngineArg::Espeak => LocalKind::Espeak,
        _ => LocalKind::Both,
    }
}

/// The neural voice that speaks for the offline engine, or why none does (`(None, Some(why))`:
/// espeak-ng speaks instead). `-e neural` or a neural voice by name fails rather than falling
/// back.
fn neural_choice(
    voice: Option<&str>,
    engine: EngineArg,
    inputs: &[Input],
    paths: &SearchPaths,
) -> Result<(Option<Box<NeuralParams>>, Option<String>), ConfigError> {
    if engine == EngineArg::Espeak {
        return Ok((None, None));
    }
    let installed = paths.voices();
    let named = match voice {
        Some(wanted) => {
            piper::resolve(wanted, &installed).map_err(|source| ConfigError::VoiceFile {
                voice: wanted.to_owned(),
                source,
            })?
        }
        None => None,
    };
    if let (Some(wanted), None) = (voice, &named) {
        if engine == EngineArg::Neural {
            let known: Vec<&str> = installed.iter().map(|v| v.name.as_str()).collect();
            return Err(ConfigError::UnknownNeuralVoice {
                voice: wanted.to_owned(),
                known: if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                },
            });
        }
        // An espeak-ng voice.
        return Ok((None, None));
    }
    let pinned = named.is_some();
    // Inline Chinese text prefers a Chinese voice; other text (and stdin) an English one.
    let chinese = inputs
        .iter()
        .all(|i| matches!(i, Input::Text(t) if crate::engine::local::is_mostly_han(t)));
    let chosen = named.or_else(|| {
        let language = if chinese { "zh" } else { "en" };
        piper::for_language(&installed, language)
            .or_else(|| piper::for_language(&installed, "en"))
            .map(|v| (v.clone(), None))
    });
    let runtime = if cfg!(feature = "neural") {
        paths.runtime()
    } else {
        None
    };
    let missing =
        match (&chosen, &runtime) {
            (Some((voice, speaker)), Some(runtime)) => {
                let speaker =
                    match speaker {
                        None => None,
                        Some(wanted) => Some(voice.speaker(wanted).ok_or_else(|| {
                            ConfigError::UnknownSpeaker {
                                voice: voice.name.clone(),
                                speaker: wanted.clone(),
                                known: if voice.config.speaker_id_map.is_empty() {
                                    format!(
                                        "{} (numbered from 0)",
                                        voice.config.num_speakers.max(1)
                                    )
                                } else {
                                    voice
                                        .config
                                        .speaker_id_map
                                        .keys()
                                        .cloned()
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                },
                            }
                        })?),
                    };
                return Ok((
                    Some(Box::new(NeuralParams {
                        runtime: runtime.clone(),
                        voice: voice.clone(),
                        speaker,
                        pinned,
                    })),
                    None,
                ));
            }
            _ if !cfg!(feature = "neural") => "this build has no neural engine".to_owned(),
            (None, _) => "no neural voice is installed".to_owned(),
            (Some(_), None) => match &paths.ort_dylib {
                Some(path) => format!("ONNX Runtime is not at {}", path.display()),
                None => "ONNX Runtime is not installed".to_owned(),
            },
        };
    if engine == EngineArg::Neural || pinned {
        return Err(ConfigError::NeuralUnavailable { reason: missing });
    }
    Ok((None, Some(missing)))
}

fn serve_config(args: &ServeArgs, env: &Environment) -> Result<ServeOptions, ConfigError> {
    let listen: std::net::SocketAddr = args.listen.parse().map_err(|_| ConfigError::Listen {
        value: args.listen.clone(),
    })?;
    let api_key = args
        .api_key
        .clone()
        .or_else(|| env.serve_key.clone())
        .filter(|k| !k.is_empty());
    if api_key.is_none() && !listen.ip().is_loopback() {
        return Err(ConfigError::OpenServer { addr: listen });
    }
    let client_timeout = match args.client_timeout {
        s if s.is_finite() && s > 0.0 => std::time::Duration::from_secs_f64(s),
        s => {
            return Err(ConfigError::OutOfRange {
                flag: "--client-timeout",
                value: s.to_string(),
                range: "a number of seconds above 0",
            });
        }
    };
    let idle_timeout = match args.idle_timeout {
        s if s.is_finite() && s > 0.0 => std::time::Duration::from_secs_f64(s),
        s => {
            return Err(ConfigError::OutOfRange {
                flag: "--idle-timeout",
                value: s.to_string(),
                range: "a number of seconds above 0",
            });
        }
    };
    if args.max_connections == 0 {
        return Err(ConfigError::OutOfRange {
            flag: "--max-connections",
            value: "0".into(),
            range: "1 or more",
        });
    }
    let state_dir = args.state_dir.clone().or_else(|| {
        directories::ProjectDirs::from("", "", "tts").map(|d| d.data_dir().join("serve"))
    });
    let upstream = match &args.upstream {
        None => None,
        Some(url) => {
            let url = if url.is_empty() {
                env.websocket_url
                    .clone()
                    .unwrap_or_else(|| super::remote::INTL_URL.to_owned())
            } else {
                url.clone()
            };
            let url = super::remote::check_endpoint(url)?;
            // Each request's engine derives its own URL from this one.
            if !crate::dashscope::endpoints::serves_both_engines(&url) {
                return Err(ConfigError::Endpoint {
                    url,
                    reason: "--upstream takes a bare wss://HOST or a URL ending in /api-ws/v1/inference or /api-ws/v1/realtime, with no query".into(),
                });
            }
            let file = settings::load(env.config_file.as_deref())?;
            let Some(credentials) = credentials::find(env, &file)? else {
                let config = env
                    .config_file
                    .as_ref()
                    .map_or_else(|| "the config file".into(), |p| p.display().to_string());
                return Err(ConfigError::NoApiKey { config });
            };
            Some(crate::serve::gateway::Upstream {
                url,
                api_key: credentials.api_key,
                key_source: credentials.source,
                workspace: env.workspace.clone().or(credentials.workspace),
            })
        }
    };
    if args.max_input == 0 {
        return Err(ConfigError::OutOfRange {
            flag: "--max-input",
            value: "0".into(),
            range: "a number of characters above 0",
        });
    }
    let cors = match &args.cors {
        None => None,
        Some(origin) => Some(
            origin
                .parse::<axum::http::HeaderValue>()
                .ok()
                .filter(|_| origin.starts_with("http://") || origin.starts_with("https://"))
                .ok_or_else(|| ConfigError::OutOfRange {
                    flag: "--cors",
                    value: origin.clone(),
                    range: "an origin such as https://app.example.com",
                })?,
        ),
    };
    Ok(ServeOptions {
        upstream,
        max_input: args.max_input,
        cors,
        listen,
        api_key,
        client_timeout,
        idle_timeout,
        max_connections: args.max_connections,
        state_dir,
        voice_quota: args.voice_quota,
        // A neural voice when one is installed, loaded once for every connection.
        neural: neural_choice(None, EngineArg::Local, &[], &env.neural)?.0,
    })
}

pub(super) fn ranged_f64(
    flag: &'static str,
    value: Option<f64>,
    min: f64,
    max: f64,
    range: &'static str,
) -> Result<f64, ConfigError> {
    match value {
        None => Ok(1.0),
        Some(v) if (min..=max).contains(&v) => Ok(v),
        Some(v) => Err(ConfigError::OutOfRange {
            flag,
            value: v.to_string(),
            range,
        }),
    }
}

impl From<FormatArg> for AudioFormat {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Pcm => Self::Pcm,
            FormatArg::Wav => Self::Wav,
            FormatArg::Mp3 => Self::Mp3,
            FormatArg::Opus => Self::Opus,
        }
    }
}

/// A `--sample-rate` value that files can have.
fn checked_rate(hz: i64) -> Option<SampleRate> {
    u32::try_from(hz)
        .ok()
        .filter(|hz| SUPPORTED_RATES.contains(hz))
        .and_then(SampleRate::new)
}

/// The `sample_rate` setting, for a new file whose rate no flag set; with the service, an Opus
/// file takes only the rates it offers, so another one is skipped with a notice.
fn default_rate(
    options: &mut FileOptions,
    defaults: &FileDefaults,
    engine: EngineKind,
    notices: &mut Vec<String>,
) -> Result<(), ConfigError> {
    let Some(hz) = defaults.sample_rate else {
        return Ok(());
    };
    if options.sample_rate.is_some() || options.append {
        return Ok(());
    }
    let rate = checked_rate(hz).ok_or(ConfigError::Setting {
        key: "sample_rate",
        value: hz.to_string(),
    })?;
    if engine == EngineKind::CosyVoice
        && options.format == AudioFormat::Opus
        && !remote::OPUS_RATES.contains(&rate.get())
    {
        notices.push(format!(
            "skipping the setting sample_rate = {hz}: the service's Opus comes at 8000, 16000, 24000 or 48000 Hz"
        ));
        return Ok(());
    }
    if engine == EngineKind::Qwen && !crate::dashscope::qwen::RATES.contains(&rate.get()) {
        notices.push(format!(
            "skipping the setting sample_rate = {hz}: Qwen-TTS-Realtime sends 8000, 16000, 24000 or 48000 Hz"
        ));
        return Ok(());
    }
    options.sample_rate = Some(rate);
    Ok(())
}

/// The bit rate of the file: the flag, else the `bit_rate` setting where the format takes one.
/// The service encodes Opus (its bit rate goes in the request); the offline engine's Opus and
/// MP3 are encoded here.
fn bit_rate(
    args: &mut SayArgs,
    options: &FileOptions,
    defaults: &FileDefaults,
    engine: EngineKind,
) -> Result<Option<u32>, ConfigError> {
    let flag = args.synthesis.cosyvoice.bit_rate;
    let takes = match engine {
        EngineKind::CosyVoice | EngineKind::Qwen => options.format == AudioFormat::Opus,
        EngineKind::Local => matches!(options.format, AudioFormat::Opus | AudioFormat::Mp3),
    };
    let kbps = match (flag, defaults.bit_rate) {
        (Some(kbps), _) => kbps,
        (None, Some(kbps)) if takes => kbps,
        (None, _) => return Ok(None),
    };
    if engine != EngineKind::Local {
        // Checked with the rest of the request.
        args.synthesis.cosyvoice.bit_rate = Some(kbps);
        return Ok(None);
    }
    match options.format {
        AudioFormat::Opus => u32::try_from(kbps)
            .ok()
            .filter(|k| (6..=510).contains(k))
            .map(Some)
            .ok_or(ConfigError::OutOfRange {
                flag: "--bit-rate",
                value: kbps.to_string(),
                range: "6 to 510 kbps",
            }),
        AudioFormat::Mp3 => u32::try_from(kbps)
            .ok()
            .filter(|k| crate::audio::encode::MP3_BIT_RATES.contains(k))
            .map(Some)
            .ok_or(ConfigError::Mp3BitRate { value: kbps }),
        _ => Err(ConfigError::BitRateLocal),
    }
}

fn sink_config(
    args: &SayArgs,
    sample_rate: Option<SampleRate>,
    defaults: &FileDefaults,
) -> Result<SinkConfig, ConfigError> {
    let format = args.synthesis.format.map(AudioFormat::from);
    // The `format` setting is for files whose name does not say.
    let default_format = defaults.format.map(AudioFormat::from);
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
        (
            Target::Stdout,
            format.or(default_format).unwrap_or(AudioFormat::Wav),
        )
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
            (None, None) => match default_format {
                Some(f) => f,
                // A device or a FIFO (`/dev/null`, `my.fifo`) is a stream, as stdout is.
                None if is_stream(output) => AudioFormat::Wav,
                None => {
                    return Err(ConfigError::UnknownExtension {
                        path: output.clone(),
                    });
                }
            },
        };
        (Target::Path(output.clone()), format)
    };
    let sample_rate = match &target {
        Target::Path(path) if args.append && path.is_file() => {
            appended_rate(path, format, sample_rate)?
        }
        _ => sample_rate,
    };
    Ok(SinkConfig::File(FileOptions {
        target,
        format,
        sample_rate,
        append: args.append,
        bit_rate: None,
    }))
}

/// Whether `path` is a device, a FIFO or a socket: written through like stdout.
fn is_stream(path: &std::path::Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Appending: the rate is the existing file's, unless `--sample-rate` says otherwise, which is
/// an error. Checked here, before any connection is opened.
fn appended_rate(
    path: &std::path::Path,
    format: AudioFormat,
    asked: Option<SampleRate>,
) -> Result<Option<SampleRate>, ConfigError> {
    let wanted = |rate: Option<SampleRate>| match rate {
        Some(hz) => format!("{format} at {hz} Hz"),
        None => format.to_string(),
    };
    let existing = crate::output::framing::inspect(path, format)
        .map_err(|e| ConfigError::AppendUnreadable {
            path: path.to_owned(),
            reason: e.kind().to_string(),
        })?
        .map_err(|unfit| ConfigError::AppendMismatch {
            path: path.to_owned(),
            found: unfit.found,
            wanted: wanted(asked),
            hint: unfit.hint,
        })?;
    match (existing.rate.and_then(SampleRate::new), asked) {
        (Some(found), Some(asked)) if found != asked => Err(ConfigError::AppendMismatch {
            path: path.to_owned(),
            found: format!("{format} at {found} Hz"),
            wanted: wanted(Some(asked)),
            hint: format!("; drop --sample-rate, or use {found}"),
        }),
        (Some(found), _) => Ok(Some(found)),
        (None, None) => Err(ConfigError::AppendPcmRate {
            path: path.to_owned(),
        }),
        (None, asked) => Ok(asked),
    }
}

/// The output must not be one of the inputs (the same file, also through links), and an
/// existing read-only file is not replaced. Checked before any connection is opened.
fn check_output(sink: &SinkConfig, inputs: &[Input]) -> Result<(), ConfigError> {
    let SinkConfig::File(FileOptions {
        target: Target::Path(output),
        ..
    }) = sink
    else {
        return Ok(());
    };
    for input in inputs {
        if let Input::File(path) = input
            && crate::output::file::same_file(path, output)
        {
            return Err(ConfigError::OutputIsAnInput {
                output: output.clone(),
                input: path.clone(),
            });
        }
    }
    // Appending changes the file too, so it is refused as well.
    crate::output::file::check_replaceable(output).map_err(|e| ConfigError::Output(Box::new(e)))
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
        // Opened now so a typo fails before any audio is made; a named pipe only looked at
        // (opening it waits for its writer, and closing it again loses what was written).
        let unreadable = |e: std::io::Error| ConfigError::InputNotReadable {
            path: path.clone(),
            reason: e.kind().to_string(),
        };
        let kind = std::fs::metadata(path).map_err(unreadable)?.file_type();
        if !is_fifo(&kind) {
            std::fs::File::open(path).map_err(unreadable)?;
        }
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

/// Whether a file is a named pipe.
fn is_fifo(kind: &std::fs::FileType) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        kind.is_fifo()
    }
    #[cfg(not(unix))]
    {
        let _ = kind;
        false
    }
}

#[cfg(test)]
mod tests;
