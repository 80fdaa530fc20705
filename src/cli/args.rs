//! The raw command line as clap parses it. Nothing here is validated beyond its type:
//! [`super::config`] turns these into a `Config` or a one-line error.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

const SAY_EXAMPLES: &str = "\
Examples:
  tts say \"Hello, world\"                    speak on the default device
  llm \"tell me a story\" | tts say --echo    speak text as it arrives on stdin
  tts say -f chapter1.txt -o chapter1.mp3   write an MP3 file instead of playing
  tts say -v en-gb+f3 -r 1.3 \"Faster\"       pick a voice and speed (tts voices lists them)
  tts say hi -o - | aplay                   stream WAV to another program";

const CONVERT_EXAMPLES: &str = "\
Examples:
  tts convert chapters/*.txt -d audiobook          chapters/one.txt -> audiobook/one.mp3
  tts convert notes.md --markdown-filter --format opus
  tts convert *.txt -j 8 --subtitles srt           eight at once, with subtitles
  tts convert book -R -d audiobook                 every .txt, .md and .markdown below book/

A rerun skips outputs that are complete and newer than their input (--force redoes them);
Ctrl-C leaves no partial files. Exit code 3 when any file failed.";

const TOP_EXAMPLES: &str = "\
Without a verb, tts speaks: `tts \"Hello\"` is `tts say \"Hello\"`, and `echo hi | tts` speaks
standard input (to speak a verb's name, write `tts say convert`).";

/// Text to speech in the terminal: CosyVoice and Qwen-TTS-Realtime voices, or an embedded offline
/// engine.
#[derive(Debug, Parser)]
#[command(
    name = "tts",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = TOP_EXAMPLES
)]
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

/// The command line with `say` put before the first argument that is not a verb or a global
/// flag, so `tts "Hello"`, `tts -v en-gb Hello` and `echo hi | tts` speak. Help and version
/// flags are left alone; so is a bare `tts` typed on a terminal (`stdin_is_terminal`), which
/// prints the help instead of waiting for text.
pub fn with_default_verb(
    argv: Vec<std::ffi::OsString>,
    stdin_is_terminal: bool,
) -> Vec<std::ffi::OsString> {
    use clap::CommandFactory;
    let command = Args::command();
    let is_verb = |arg: &str| {
        arg == "help"
            || command
                .get_subcommands()
                .any(|c| c.get_name() == arg || c.get_all_aliases().any(|a| a == arg))
    };
    let first = argv
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, arg)| !matches!(arg.to_str(), Some("-q" | "--quiet" | "--verbose")))
        .map(|(at, arg)| {
            let leave = arg
                .to_str()
                .is_some_and(|a| is_verb(a) || matches!(a, "-h" | "--help" | "-V" | "--version"));
            (at, leave)
        });
    let mut argv = argv;
    match first {
        Some((_, true)) => {}
        Some((at, false)) => argv.insert(at, "say".into()),
        None if argv.len() <= 1 && stdin_is_terminal => argv.push("--help".into()),
        None => argv.push("say".into()),
    }
    argv
}

/// The verbs of `tts`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Speak text from arguments, files or stdin.
    #[command(after_help = SAY_EXAMPLES)]
    Say(Box<SayArgs>),
    /// Convert text files to audio files, several at once, with progress.
    #[command(after_help = CONVERT_EXAMPLES)]
    Convert(Box<ConvertArgs>),
    /// Serve the CosyVoice and Qwen-TTS-Realtime WebSocket protocols, spoken by the offline engine.
    Serve(ServeArgs),
    /// List voices: the service's catalog, or the offline engine's.
    Voices(VoicesArgs),
    /// List audio output devices; --device takes a name or a number from this list.
    Devices,
    /// Print the completion script for a shell.
    Completions(CompletionsArgs),
    /// Print the manual page (roff).
    Man,
    /// Show the config file's path or its settings (never the key).
    Config(ConfigArgs),
    /// Your own voices: clone one from a recording or design one from a description; list,
    /// show, update and delete them.
    #[command(subcommand)]
    Voice(VoiceCommand),
    /// Print a temporary API token for another app; it works wherever a key does.
    Token(TokenArgs),
    /// Ask a chat model and hear its answer as it is written; no prompt on a terminal starts
    /// a conversation.
    #[command(after_help = CHAT_EXAMPLES)]
    Chat(Box<ChatArgs>),
}

const CHAT_EXAMPLES: &str = "\
Examples:
  tts chat \"Why is the sky blue?\"            print and speak the answer as it is written
  tts chat                                   a conversation (Ctrl-C silences, Ctrl-D quits)
  tts chat --llm-endpoint http://localhost:11434/v1 --llm-model llama3.2 \"Hi\"
  tts chat \"Tell a story\" -o story.mp3       write the answer's audio to a file";

/// `tts chat`: the `say` flags (TEXT is the prompt) and the model's.
#[derive(Debug, clap::Args)]
#[command(mut_arg("text", |a| a.value_name("PROMPT").help(
    "The prompt; with none, a conversation on a terminal, else the prompt is read from stdin"
)))]
pub struct ChatArgs {
    #[command(flatten)]
    pub say: SayArgs,
    #[command(flatten)]
    pub llm: LlmArgs,
}

/// The chat model's options.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Chat model")]
pub struct LlmArgs {
    /// The chat model [default: qwen3.5-flash].
    #[arg(long, value_name = "MODEL")]
    pub llm_model: Option<String>,
    /// A system message that opens the conversation.
    #[arg(long, value_name = "TEXT")]
    pub system: Option<String>,
    /// An OpenAI-compatible API base (…/v1) [default: the service's compatible-mode endpoint
    /// of the region, with the DashScope key].
    #[arg(long, value_name = "URL")]
    pub llm_endpoint: Option<String>,
    /// The key for --llm-endpoint [default: OPENAI_API_KEY].
    #[arg(long, value_name = "KEY", env = "TTS_LLM_KEY", hide_env_values = true)]
    pub llm_key: Option<String>,
    /// Print the model's reasoning, dimmed (it is never spoken).
    #[arg(long)]
    pub show_thinking: bool,
    /// Seconds the answer may pause before it is given up as stalled [default: 30].
    #[arg(long, value_name = "SECS")]
    pub stall_timeout: Option<f64>,
    /// Speak Markdown symbols as they are (by default they are filtered and code blocks
    /// announced, not read).
    #[arg(long)]
    pub no_markdown_filter: bool,
}

/// `tts voice` actions.
#[derive(Debug, Subcommand)]
pub enum VoiceCommand {
    /// Clone a voice from a recording of 10 to 20 s (WAV 16-bit, MP3 or M4A; checked first).
    Clone(VoiceCloneArgs),
    /// Design a voice from a description, and hear its preview.
    Design(VoiceDesignArgs),
    /// List your voices, CosyVoice and Qwen, with their target models and status.
    List(VoiceListArgs),
    /// Show one voice.
    Show(VoiceIdArgs),
    /// Delete one voice (asks first on a terminal).
    Delete(VoiceDeleteArgs),
    /// Make a CosyVoice clone again from another recording.
    Update(VoiceUpdateArgs),
}

/// Where the service is, for `tts voice` and `tts token`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServiceArgs {
    /// Service region [default: intl].
    #[arg(long, value_enum, value_name = "REGION")]
    pub region: Option<RegionArg>,
    /// The service's address: https://HOST, or http://127.0.0.1:PORT for tts serve (/api/v1 is
    /// added) [env: DASHSCOPE_HTTP_BASE_URL].
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// DashScope workspace id [env: DASHSCOPE_WORKSPACE_ID].
    #[arg(long, value_name = "ID")]
    pub workspace: Option<String>,
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

/// `tts voice clone`.
#[derive(Debug, clap::Args)]
pub struct VoiceCloneArgs {
    /// The recording: one speaker, 10 to 20 s of clear speech (at most 60 s and 10 MB).
    #[arg(
        value_name = "SAMPLE",
        required_unless_present = "url",
        conflicts_with = "url"
    )]
    pub sample: Option<PathBuf>,
    /// A name for the voice: 1 to 10 lowercase letters and digits (CosyVoice), or up to 16
    /// letters, digits and underscores (Qwen).
    #[arg(long, value_name = "PREFIX")]
    pub name: String,
    /// The model the voice will speak with [default: cosyvoice-v3-plus].
    #[arg(short, long, value_name = "TARGET_MODEL")]
    pub model: Option<String>,
    /// The recording's language (zh, en, fr, de, ja, ko, ru; Qwen also it, pt, es).
    #[arg(long, value_name = "LANG")]
    pub language: Option<String>,
    /// What the recording says (Qwen only).
    #[arg(long, value_name = "TRANSCRIPT")]
    pub text: Option<String>,
    /// A public URL of the recording instead of a local file (not checked here).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Seconds to wait for the voice to be ready.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub wait: u64,
    #[command(flatten)]
    pub service: ServiceArgs,
}

/// `tts voice design`.
#[derive(Debug, clap::Args)]
pub struct VoiceDesignArgs {
    /// The voice, in Chinese or English: gender, age, pitch, pace, manner (500 characters at
    /// most for CosyVoice).
    #[arg(value_name = "DESCRIPTION")]
    pub description: String,
    /// A name for the voice (as for clone).
    #[arg(long, value_name = "PREFIX")]
    pub name: String,
    /// The model the voice will speak with [default: cosyvoice-v3-plus].
    #[arg(short, long, value_name = "TARGET_MODEL")]
    pub model: Option<String>,
    /// What the preview says (200 characters at most for CosyVoice) [default: a greeting].
    #[arg(long, value_name = "TEXT")]
    pub preview_text: Option<String>,
    /// The preview's language, zh or en [default: the description's].
    #[arg(long, value_name = "LANG")]
    pub language: Option<String>,
    /// Write the preview to FILE (.wav or .mp3) instead of playing it.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Seconds to wait for the voice to be ready.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub wait: u64,
    #[command(flatten)]
    pub service: ServiceArgs,
}

/// `tts voice list`.
#[derive(Debug, clap::Args)]
pub struct VoiceListArgs {
    /// Only voices for MODEL.
    #[arg(short, long, value_name = "MODEL")]
    pub model: Option<String>,
    #[command(flatten)]
    pub service: ServiceArgs,
}

/// `tts voice show`.
#[derive(Debug, clap::Args)]
pub struct VoiceIdArgs {
    /// The voice id.
    #[arg(value_name = "ID")]
    pub id: String,
    #[command(flatten)]
    pub service: ServiceArgs,
}

/// `tts voice delete`.
#[derive(Debug, clap::Args)]
pub struct VoiceDeleteArgs {
    /// The voice id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// Do not ask.
    #[arg(short, long)]
    pub yes: bool,
    #[command(flatten)]
    pub service: ServiceArgs,
}

/// `tts voice update`.
#[derive(Debug, clap::Args)]
pub struct VoiceUpdateArgs {
    /// The CosyVoice voice id.
    #[arg(value_name = "ID")]
    pub id: String,
    /// The new recording.
    #[arg(
        value_name = "SAMPLE",
        required_unless_present = "url",
        conflicts_with = "url"
    )]
    pub sample: Option<PathBuf>,
    /// A public URL of the recording instead (not checked here).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Seconds to wait for the voice to be ready.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub wait: u64,
    #[command(flatten)]
    pub service: ServiceArgs,
}

/// `tts token`.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// Seconds the token works, 1 to 1800.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 60,
        allow_negative_numbers = true
    )]
    pub ttl: i64,
    #[command(flatten)]
    pub service: ServiceArgs,
}

/// `tts voices`.
#[derive(Debug, clap::Args)]
pub struct VoicesArgs {
    /// Whose voices: the service's catalog (CosyVoice and Qwen; qwen alone lists
    /// qwen3-tts-flash-realtime's) or the offline engine's [default: cosyvoice].
    #[arg(short, long, value_enum, value_name = "ENGINE")]
    pub engine: Option<EngineArg>,
    /// Only voices that work with MODEL (cosyvoice-v3-flash, ...).
    #[arg(short, long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Only voices speaking LANG (a prefix: zh, en, en-GB, ja, ...).
    #[arg(short, long, value_name = "LANG")]
    pub language: Option<String>,
    /// Only female or male voices.
    #[arg(short, long, value_name = "GENDER")]
    pub gender: Option<String>,
    /// Only voices whose id, name or description contains WORD.
    #[arg(short, long, value_name = "WORD")]
    pub search: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `tts config`.
#[derive(Debug, clap::Args)]
pub struct ConfigArgs {
    /// What to show.
    #[arg(value_enum)]
    pub action: ConfigAction,
}

/// `tts config` actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfigAction {
    /// The file's path ($TTS_CONFIG, or the XDG config directory).
    Path,
    /// Its settings and profiles, with the key hidden.
    Show,
}

/// `tts completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `tts serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8765")]
    pub listen: String,
    /// Accept only this API key [env: TTS_SERVE_API_KEY]; without one, any key is accepted,
    /// and only on a loopback address.
    #[arg(long, value_name = "KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Seconds a client may stay silent during a task (the service's rule is 23).
    #[arg(long, value_name = "SECS", default_value_t = 23.0, hide = true)]
    pub client_timeout: f64,
    /// Seconds a connection with no task may stay silent before it is closed.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub idle_timeout: f64,
    /// Connections served at once; more are answered with HTTP 503.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub max_connections: usize,
    /// Keep custom voices in DIR [default: tts/serve under the user's data directory].
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Custom voices allowed per family (the service allows 1000).
    #[arg(long, value_name = "N", default_value_t = 1000, hide = true)]
    pub voice_quota: usize,
    /// OpenAI speech API: send requests for CosyVoice and Qwen models to the service (its
    /// endpoint, or URL), with the DashScope key found as `tts say` finds it.
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "")]
    pub upstream: Option<String>,
    /// OpenAI speech API: the longest input, in characters.
    #[arg(long, value_name = "CHARS", default_value_t = 4096)]
    pub max_input: usize,
    /// OpenAI speech API: allow browser requests from ORIGIN (CORS is off without it).
    #[arg(long, value_name = "ORIGIN")]
    pub cors: Option<String>,
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
    /// Write audio to FILE instead of playing it ('-' is stdout).
    #[arg(short, long, value_name = "FILE", conflicts_with = "device")]
    pub output: Option<PathBuf>,
    /// Add to the end of the -o file instead of replacing it.
    #[arg(long)]
    pub append: bool,
    /// Play on the output device NAME [default: the system default].
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
    /// Print when the engine was ready, the first audio played and the end, on stderr.
    #[arg(long)]
    pub timing: bool,
    /// Print each sentence on stdout as it starts playing.
    #[arg(long)]
    pub echo: bool,
    /// End a sentence at every line break (log lines); by default a single line break is a
    /// space and a blank line ends what is buffered.
    #[arg(long)]
    pub flush_on_newline: bool,
    /// Seconds of quiet input after which the service's task is ended cleanly, above 0 and
    /// below 23 (the service fails a task after 23 s without a message); speech resumes in a
    /// new task [default: 15].
    #[arg(long, value_name = "SECS")]
    pub idle_timeout: Option<f64>,
    /// Seconds of silence after which text without a sentence or clause end is spoken anyway,
    /// cut between words (and all of it once the input has been quiet that long) [default: 3].
    #[arg(long, value_name = "SECS")]
    pub flush_after: Option<f64>,
    #[command(flatten)]
    pub synthesis: SynthesisArgs,
}

/// How to speak, for `tts say` and `tts convert` alike.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SynthesisArgs {
    /// Voice: a CosyVoice voice [default: longanyang], or for the offline engine a neural voice
    /// (en_US-joe-medium, NAME:SPEAKER, PATH.onnx) or an espeak-ng voice such as en-us, en-gb,
    /// cmn or en-us+f3 [default: by each sentence's script and language].
    #[arg(short, long, value_name = "VOICE")]
    pub voice: Option<String>,
    /// Speaking rate, 0.5 to 2.0 [default: 1.0].
    #[arg(short, long, value_name = "X", allow_negative_numbers = true)]
    pub rate: Option<f64>,
    /// Pitch, 0.5 to 2.0 [default: 1.0] (not with a neural voice).
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub pitch: Option<f64>,
    /// Volume, 0 to 100 [default: 50].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub volume: Option<i64>,
    /// Output format [say: from the -o extension, wav for stdout, pcm from the service when
    /// playing; convert: mp3].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// Sample rate of the output file: 8000, 16000, 22050, 24000, 44100 or 48000 [default: the engine's].
    #[arg(long, value_name = "HZ", allow_negative_numbers = true)]
    pub sample_rate: Option<i64>,
    /// Engine: auto is cosyvoice when an API key is configured (qwen when -m names a Qwen
    /// realtime model), else the offline engine [default: auto].
    #[arg(short, long, value_enum)]
    pub engine: Option<EngineArg>,
    /// Use the settings of [profile.NAME] in the config file.
    #[arg(short, long, value_name = "NAME", env = "TTS_PROFILE")]
    pub profile: Option<String>,
    /// Write subtitles beside each audio file (FILE.srt or FILE.vtt): a cue per sentence.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub subtitles: Option<SubtitlesArg>,
    #[command(flatten)]
    pub cosyvoice: CosyVoiceArgs,
    #[command(flatten)]
    pub qwen: QwenArgs,
}

/// The Qwen-TTS-Realtime engine's own options (-m, -v, -r, --pitch, --volume, --language,
/// --instruction, --bit-rate, --endpoint and the timeouts apply too).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Qwen-TTS-Realtime engine (-e qwen, or -m qwen3-tts-flash-realtime)")]
pub struct QwenArgs {
    /// Who starts speech: commit (tts commits each sentence) or server-commit (the service
    /// decides) [default: commit].
    #[arg(long, value_enum, value_name = "MODE")]
    pub qwen_mode: Option<QwenModeArg>,
    /// Let the service refine --instruction (qwen3-tts-instruct-flash-realtime).
    #[arg(long)]
    pub optimize_instructions: bool,
    /// Text normalisation (numbers, dates read out) on or off [default: the service's].
    #[arg(long, value_name = "BOOL")]
    pub enable_tn: Option<bool>,
}

/// `--qwen-mode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QwenModeArg {
    /// One commit per sentence: speech starts as each sentence is complete.
    Commit,
    /// The service decides when to speak what was appended.
    ServerCommit,
}

/// `tts convert`.
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// Text or Markdown files, each converted to an audio file of the same name; a directory
    /// stands for its .txt, .md and .markdown files.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Write the audio files into DIR, made if missing [default: beside each input].
    #[arg(short = 'd', long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Files converted at once, each job over one connection reused file after file [default: 4].
    #[arg(short, long, value_name = "N", allow_negative_numbers = true)]
    pub jobs: Option<i64>,
    /// Convert again even when an output is complete and newer than its input.
    #[arg(long)]
    pub force: bool,
    /// Open a new connection for every file (to measure what reuse saves).
    #[arg(long, hide = true)]
    pub no_reuse: bool,
    /// Also take the text files in each directory's subdirectories (mirrored in -d DIR).
    #[arg(short = 'R', long)]
    pub recursive: bool,
    #[command(flatten)]
    pub synthesis: SynthesisArgs,
}

/// The CosyVoice engine's options.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "CosyVoice engine")]
pub struct CosyVoiceArgs {
    /// Model [default: cosyvoice-v3-flash].
    #[arg(short, long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Bit rate in kbps of an Opus file, 6 to 510 [default: 32], or with the offline engine
    /// of an MP3 file, 8 to 320 [default: by sample rate].
    #[arg(long, value_name = "KBPS", allow_negative_numbers = true)]
    pub bit_rate: Option<i64>,
    /// Random seed, 0 to 65535 [default: 0].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub seed: Option<i64>,
    /// Language of the text: zh, en, fr, de, ja, ko, ru, pt, th, id or vi (Qwen: auto, zh,
    /// en, de, it, pt, es, ja, ko, fr, ru).
    #[arg(long, value_name = "LANG")]
    pub language: Option<String>,
    /// A style instruction: 100 characters at most (CosyVoice v3 models), or 1600 for
    /// qwen3-tts-instruct-flash-realtime.
    #[arg(long, value_name = "TEXT")]
    pub instruction: Option<String>,
    /// Ask for word begin and end times.
    #[arg(long)]
    pub word_timestamps: bool,
    /// Ask for phoneme times.
    #[arg(long)]
    pub phoneme_timestamps: bool,
    /// Strip Markdown (#, *, code blocks, links) before speaking: the service does it for
    /// CosyVoice, tts itself for the offline engine.
    #[arg(long)]
    pub markdown_filter: bool,
    /// Pronunciation and replacement tables, a JSON file:
    /// {"pronunciation": [{"草地": "cao3 di4"}], "replace": [{"草地": "草弟"}]}
    #[arg(long, value_name = "FILE")]
    pub hot_fix: Option<PathBuf>,
    /// Add the AIGC watermark tag.
    #[arg(long)]
    pub aigc_tag: bool,
    /// AIGC propagator name.
    #[arg(long, value_name = "NAME")]
    pub aigc_propagator: Option<String>,
    /// AIGC propagation id.
    #[arg(long, value_name = "ID")]
    pub aigc_propagate_id: Option<String>,
    /// Send the voice even when the catalog says it does not serve the model (for a catalog
    /// that is behind the service).
    #[arg(long)]
    pub force_voice: bool,
    /// The text is SSML (one message; not with streaming stdin).
    #[arg(long)]
    pub ssml: bool,
    /// Service region [default: intl].
    #[arg(long, value_enum, value_name = "REGION")]
    pub region: Option<RegionArg>,
    /// WebSocket URL of the service (ws:// only on loopback) [env: DASHSCOPE_WEBSOCKET_BASE_URL].
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// DashScope workspace id [env: DASHSCOPE_WORKSPACE_ID].
    #[arg(long, value_name = "ID")]
    pub workspace: Option<String>,
    /// Seconds to connect [default: 5].
    #[arg(long, value_name = "SECS")]
    pub connect_timeout: Option<f64>,
    /// Seconds for the service to start a task [default: 10].
    #[arg(long, value_name = "SECS")]
    pub start_timeout: Option<f64>,
    /// Seconds of silence from the service before giving up, once all text is sent [default: 60].
    #[arg(long, value_name = "SECS")]
    pub progress_timeout: Option<f64>,
}

/// `--region` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegionArg {
    /// International (Singapore): dashscope-intl.aliyuncs.com.
    Intl,
    /// Mainland China (Beijing): dashscope.aliyuncs.com.
    Cn,
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

/// `--subtitles` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SubtitlesArg {
    /// SubRip (.srt).
    Srt,
    /// WebVTT (.vtt).
    Vtt,
}

/// `--engine` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    /// CosyVoice when an API key is configured, else local.
    Auto,
    /// Offline: a neural voice for the text's language when one is installed, else espeak-ng.
    Local,
    /// The DashScope CosyVoice service.
    Cosyvoice,
    /// DashScope Qwen-TTS-Realtime (chosen by itself when -m names a Qwen realtime model).
    Qwen,
    /// Offline, a neural (Piper) voice only.
    Neural,
    /// Offline, espeak-ng only.
    Espeak,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(args: &[&str], terminal: bool) -> Vec<String> {
        let argv = std::iter::once("tts")
            .chain(args.iter().copied())
            .map(std::ffi::OsString::from)
            .collect();
        with_default_verb(argv, terminal)
            .into_iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn say_is_the_verb_when_none_is_given() {
        assert_eq!(with(&["hello"], true), ["say", "hello"]);
        assert_eq!(
            with(&["-q", "-v", "en-gb", "hi"], true),
            ["-q", "say", "-v", "en-gb", "hi"]
        );
        assert_eq!(with(&[], false), ["say"], "echo hi | tts");
        assert_eq!(with(&["--verbose"], false), ["--verbose", "say"]);
        assert_eq!(with(&[], true), ["--help"], "tts on a terminal shows help");
        for kept in [
            &["convert", "a.txt"][..],
            &["say", "hi"],
            &["--help"],
            &["-V"],
            &["help", "say"],
            &["-q", "voices"],
        ] {
            assert_eq!(with(kept, true), kept, "{kept:?}");
        }
    }
}
