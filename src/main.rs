//! The `tts` binary: parse, run, print one error line, map the outcome to an exit code.
#![allow(
    clippy::print_stderr,
    reason = "main reports errors, notices and timings on stderr"
)]
#![allow(clippy::exit, reason = "only main decides how the process ends")]

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::Parser;
use tracing_subscriber::EnvFilter;

use tts::cancel::CancelToken;
use tts::cli::batch::ConvertConfig;
use tts::cli::config::{CommandConfig, EngineConfig, SayConfig, Verbosity};
use tts::cli::list;
use tts::cli::{Args, Config, ConfigError};
use tts::engine::{EngineError, local};
use tts::output::OutputError;
use tts::output::device;
use tts::pipeline;
use tts::session::{ErrorKind, SessionError};
use tts::text::source::Input;
use tts::text::source::SourceError;

/// Exit codes (documented in the README).
mod code {
    pub(crate) const FAILURE: u8 = 1;
    pub(crate) const USAGE: u8 = 2;
    pub(crate) const SERVICE: u8 = 3;
    pub(crate) const NETWORK: u8 = 4;
    pub(crate) const DEVICE: u8 = 5;
    pub(crate) const INTERRUPTED: u8 = 130;
}

fn main() -> ExitCode {
    let started = Instant::now();
    // `tts "Hello"` and `echo hi | tts` mean `tts say`.
    let argv = tts::cli::args::with_default_verb(
        std::env::args_os().collect(),
        std::io::stdin().is_terminal(),
    );
    let args = Args::parse_from(argv);
    match run(args, started) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("tts: {}", one_line(&err));
            ExitCode::from(exit_code(&err))
        }
    }
}

fn run(args: Args, started: Instant) -> Result<ExitCode> {
    // Installed first: reading the configuration may run api_key_command, which a Ctrl-C or
    // SIGTERM must not leave running.
    let cancel = CancelToken::new();
    let handler_cancel = cancel.clone();
    // A conversation's running answer: Ctrl-C silences it, not the program.
    let turns = tts::cancel::TurnCancel::default();
    let handler_turns = turns.clone();
    ctrlc::set_handler(move || {
        if handler_turns.interrupt() {
            return;
        }
        if tts::cli::credentials::stop_key_command() {
            // Nothing else has started yet.
            std::process::exit(i32::from(code::INTERRUPTED));
        }
        if handler_cancel.is_cancelled() {
            // A second Ctrl-C: the user means it. No destructor runs, so temporary files are
            // removed here.
            tts::output::file::remove_unfinished();
            std::process::exit(i32::from(code::INTERRUPTED));
        }
        handler_cancel.cancel();
    })?;
    let config = Config::try_from(args)?;
    // A server logs each connection and task; a one-shot command only what goes wrong.
    let serving = matches!(config.command, CommandConfig::Serve(_));
    init_logging(config.verbosity, serving);
    match &config.command {
        CommandConfig::Say(say) => run_say(say, config.verbosity, &cancel, started),
        CommandConfig::Chat(chat) => run_chat(chat, config.verbosity, &cancel, &turns, started),
        CommandConfig::Convert(convert) => run_convert(convert, config.verbosity, &cancel),
        CommandConfig::Completions(shell) => {
            std::io::stdout().write_all(&tts::cli::generate::completions(*shell))?;
            Ok(ExitCode::SUCCESS)
        }
        CommandConfig::Voices(options) => {
            // Fit the terminal; a pipe gets whole cells.
            let width = std::io::stdout()
                .is_terminal()
                .then(|| terminal_size::terminal_size().map_or(100, |(w, _)| usize::from(w.0)));
            let text = if options.local {
                let espeak = match options.kind {
                    list::LocalKind::Neural => Vec::new(),
                    _ => local::installed_voices()?,
                };
                let neural = match options.kind {
                    list::LocalKind::Espeak => Vec::new(),
                    _ => options.neural.voices(),
                };
                list::local_voices(&espeak, &neural, options, width)
            } else {
                let voices = list::catalog_voices(options);
                if options.json {
                    list::catalog_json(&voices) + "\n"
                } else {
                    list::catalog_table(&voices, width)
                }
            };
            std::io::stdout().write_all(text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        CommandConfig::Devices => {
            std::io::stdout().write_all(list::devices_table(&device::list()?).as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        CommandConfig::ShowConfig(text) => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", text.trim_end())?;
            Ok(ExitCode::SUCCESS)
        }
        CommandConfig::Man => {
            std::io::stdout().write_all(&tts::cli::generate::man()?)?;
            Ok(ExitCode::SUCCESS)
        }
        CommandConfig::Voice(voice) => {
            let quiet = config.verbosity == Verbosity::Quiet;
            let out = tts::voice::run(voice, &cancel, &mut |notice| {
                if !quiet {
                    eprintln!("tts: {notice}");
                }
            })?;
            std::io::stdout().write_all(out.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        CommandConfig::Serve(options) => {
            let quiet = config.verbosity == Verbosity::Quiet;
            tts::serve::run(options, &cancel, |addr| {
                if !quiet {
                    eprintln!(
                        "tts: serving the CosyVoice protocol on ws://{addr}{}",
                        tts::serve::PATH
                    );
                    eprintln!(
                        "tts: serving Qwen-TTS-Realtime on ws://{addr}{}?model=MODEL",
                        tts::serve::qwen::PATH
                    );
                    eprintln!(
                        "tts: serving custom voices, uploads and tokens on http://{addr}/api/v1"
                    );
                    eprintln!("tts: serving the OpenAI speech API on http://{addr}/v1");
                }
            })?;
            Ok(ExitCode::from(code::INTERRUPTED))
        }
    }
}

fn run_convert(
    config: &ConvertConfig,
    verbosity: Verbosity,
    cancel: &CancelToken,
) -> Result<ExitCode> {
    use tts::convert::Outcome;
    use tts::convert::progress::{Progress, Style};
    let style = match verbosity {
        Verbosity::Quiet => Style::Quiet,
        _ if std::io::stderr().is_terminal() => Style::Bars,
        _ => Style::Lines,
    };
    if verbosity != Verbosity::Quiet {
        for notice in &config.speech.notices {
            eprintln!("tts: {notice}");
        }
    }
    let mut progress = Progress::new(style, &config.files);
    let summary = tts::convert::convert(config, cancel, &mut |event| progress.event(event))?;
    progress.finish();
    let done = summary.count(|o| matches!(o, Outcome::Done { .. }));
    let skipped = summary.count(|o| matches!(o, Outcome::Skipped));
    let interrupted = summary.count(|o| matches!(o, Outcome::Interrupted));
    let failed: Vec<_> = summary
        .files
        .iter()
        .filter_map(|f| match &f.outcome {
            Outcome::Failed(reason) => Some((f.file.input.display(), reason)),
            _ => None,
        })
        .collect();
    let (characters, seconds) = summary
        .files
        .iter()
        .fold((0, 0.0), |(c, s), f| match f.outcome {
            Outcome::Done {
                characters,
                seconds,
            } => (c + characters, s + seconds),
            _ => (c, s),
        });
    if verbosity == Verbosity::Quiet {
        // Failures are errors, which --quiet still shows.
        for (input, reason) in &failed {
            eprintln!("tts: failed {input}: {reason}");
        }
    } else {
        // Each failure's reason was shown as it happened; the summary names them.
        let names: Vec<String> = failed.iter().map(|(input, _)| input.to_string()).collect();
        let failed_part = if names.is_empty() {
            "0 failed".to_owned()
        } else {
            format!("{} failed ({})", names.len(), names.join(", "))
        };
        eprintln!(
            "tts: {done} converted, {skipped} skipped, {failed_part}{}; {characters} characters, {} of audio, in {:.1} s{}",
            if interrupted > 0 {
                format!(", {interrupted} not done (interrupted)")
            } else {
                String::new()
            },
            clock(seconds),
            summary.wall.as_secs_f64(),
            match (&config.speech.engine, summary.engines_started) {
                (EngineConfig::CosyVoice(_) | EngineConfig::Qwen(_), 1) => {
                    " over 1 connection".to_owned()
                }
                (EngineConfig::CosyVoice(_) | EngineConfig::Qwen(_), n) if n > 1 => {
                    format!(" over {n} connections")
                }
                _ => String::new(),
            }
        );
    }
    Ok(ExitCode::from(if cancel.is_cancelled() {
        code::INTERRUPTED
    } else if failed.is_empty() {
        0
    } else {
        code::SERVICE
    }))
}

/// Seconds as h:mm:ss (or m:ss).
fn clock(seconds: f64) -> String {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "audio durations are small and positive"
    )]
    let total = seconds.round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

fn run_say(
    say: &SayConfig,
    verbosity: Verbosity,
    cancel: &CancelToken,
    started: Instant,
) -> Result<ExitCode> {
    if verbosity != Verbosity::Quiet {
        for notice in &say.notices {
            eprintln!("tts: {notice}");
        }
        if say.inputs.contains(&Input::Stdin) && std::io::stdin().is_terminal() {
            eprintln!("tts: reading text from the terminal; press Ctrl-D to finish");
        }
    }
    #[allow(
        clippy::print_stdout,
        reason = "--echo prints the sentences being spoken"
    )]
    let mut echo = |sentence: &str| {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{sentence}");
        let _ = out.flush();
    };
    let outcome = pipeline::say(say, cancel, &mut echo)?;
    let report = &outcome.report;
    tracing::info!(
        seconds = report.seconds,
        underruns = report.underruns,
        "done"
    );
    if report.underruns > 0 && verbosity == Verbosity::Verbose {
        eprintln!("tts: {} underrun(s) while playing", report.underruns);
    }
    if say.timing {
        eprintln!("{}", timing_line(&outcome, started));
    }
    if outcome.interrupted {
        if verbosity != Verbosity::Quiet {
            match &outcome.file {
                Some(file) if report.seconds > 0.0 => {
                    eprintln!(
                        "tts: interrupted; {file} keeps the {:.1} s written so far",
                        report.seconds
                    );
                }
                // The service's MP3 or Opus: whole frames were kept, their length unknown here.
                Some(file) if std::path::Path::new(file).is_file() => {
                    eprintln!("tts: interrupted; {file} keeps the audio written so far");
                }
                Some(file) => eprintln!("tts: interrupted; {file} was not written"),
                None => eprintln!("tts: interrupted"),
            }
        }
        return Ok(ExitCode::from(code::INTERRUPTED));
    }
    Ok(ExitCode::SUCCESS)
}

/// `tts chat`: one answer for a prompt given or read from stdin; a conversation on a terminal.
fn run_chat(
    chat: &tts::chat::ChatConfig,
    verbosity: Verbosity,
    cancel: &CancelToken,
    turns: &tts::cancel::TurnCancel,
    started: Instant,
) -> Result<ExitCode> {
    use tts::chat::Message;
    if verbosity != Verbosity::Quiet {
        for notice in &chat.speech.notices {
            eprintln!("tts: {notice}");
        }
    }
    let prompt = match &chat.prompt {
        Some(prompt) => prompt.clone(),
        None if std::io::stdin().is_terminal() => {
            let quiet = verbosity == Verbosity::Quiet;
            return tts::chat::conversation::run(chat, cancel, turns, quiet, &mut |line| {
                eprintln!("{line}");
            });
        }
        None => std::io::read_to_string(std::io::stdin()).map_err(SourceError::Stdin)?,
    };
    if prompt.trim().is_empty() {
        return Err(SourceError::Empty.into());
    }
    let mut messages = Vec::new();
    if let Some(system) = &chat.llm.system {
        messages.push(Message {
            role: "system",
            content: system.clone(),
        });
    }
    messages.push(Message {
        role: "user",
        content: prompt,
    });
    // --echo goes to stderr: stdout carries the answer.
    let mut echo = |sentence: &str| eprintln!("{sentence}");
    let turn = tts::chat::turn(chat, messages, cancel, &mut echo)?;
    if chat.speech.timing {
        if let Some(outcome) = &turn.speech {
            eprintln!("{}", timing_line(outcome, started));
        }
        eprintln!("{}", tts::chat::usage_line(&turn, started));
    }
    if let Some(error) = turn.error {
        return Err(error.into());
    }
    let interrupted = cancel.is_cancelled() || turn.speech.as_ref().is_some_and(|s| s.interrupted);
    if interrupted {
        if verbosity != Verbosity::Quiet {
            match turn
                .speech
                .as_ref()
                .and_then(|s| s.file.as_ref().map(|f| (f, s.report.seconds)))
            {
                Some((file, seconds)) if seconds > 0.0 => {
                    eprintln!("tts: interrupted; {file} keeps the {seconds:.1} s written so far");
                }
                _ => eprintln!("tts: interrupted"),
            }
        }
        return Ok(ExitCode::from(code::INTERRUPTED));
    }
    Ok(ExitCode::SUCCESS)
}

/// `--timing`: when each stage was reached, from the start of `main`.
fn timing_line(outcome: &pipeline::SayOutcome, started: Instant) -> String {
    let ms = |t: Instant| t.duration_since(started).as_secs_f64() * 1000.0;
    let since_engine = |d: std::time::Duration| ms(outcome.engine_started + d);
    let stats = &outcome.stats;
    let mut parts = Vec::new();
    if let Some(connected) = stats.connected {
        parts.push(format!(
            "connected {:.1} ms (connect took {:.1} ms)",
            since_engine(connected),
            connected.as_secs_f64() * 1000.0
        ));
    } else {
        parts.push(format!("engine ready {:.1} ms", ms(outcome.engine_ready)));
    }
    if let Some(loaded) = stats.voice_loaded {
        parts.push(format!("voice loaded {:.1} ms", since_engine(loaded)));
    }
    if let Some(task_started) = stats.task_started {
        parts.push(format!("task started {:.1} ms", since_engine(task_started)));
    }
    if let Some(first) = stats.first_audio {
        // The SDK's first-package delay: task start (before connecting) to the first audio frame.
        parts.push(format!(
            "first package {:.1} ms after the task began",
            first.as_secs_f64() * 1000.0
        ));
    }
    if let Some(first) = outcome.report.first_audio {
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|now| now.as_secs_f64() - first.elapsed().as_secs_f64())
            .unwrap_or_default();
        parts.push(format!("first audio {:.1} ms (unix {unix:.6})", ms(first)));
    }
    parts.push(format!("done {:.1} ms", ms(Instant::now())));
    if outcome.report.seconds > 0.0 {
        parts.push(format!("{:.2} s of audio", outcome.report.seconds));
        if let Some(busy) = stats.synthesis {
            parts.push(format!(
                "synthesis {:.1} ms (real-time factor {:.3})",
                busy.as_secs_f64() * 1000.0,
                busy.as_secs_f64() / outcome.report.seconds
            ));
        }
    }
    if !stats.task_ids.is_empty() {
        parts.push(format!(
            "{} bytes, {} characters billed, {} {}",
            stats.bytes,
            stats.characters,
            // Qwen-TTS-Realtime runs sessions of responses; CosyVoice runs tasks.
            if stats.response_ids.is_empty() {
                "task"
            } else {
                "session"
            },
            stats.task_ids.join(" ")
        ));
    }
    if !stats.response_ids.is_empty() {
        parts.push(format!("response {}", stats.response_ids.join(" ")));
    }
    if let Some(kb) = peak_memory_kb() {
        #[allow(clippy::cast_precision_loss, reason = "kilobytes of a process")]
        parts.push(format!("peak memory {:.1} MB", kb as f64 / 1024.0));
    }
    format!("tts: timing: {}", parts.join(", "))
}

/// The process's peak resident memory (Linux `VmHWM`), measured after exec, unlike
/// `ru_maxrss`, which also counts the parent's pages that a fork carried in before exec.
fn peak_memory_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn init_logging(verbosity: Verbosity, serving: bool) {
    let level = match (verbosity, serving) {
        (Verbosity::Quiet, _) => "error",
        (Verbosity::Normal, false) => "warn",
        (Verbosity::Normal, true) => "tts=info",
        (Verbosity::Verbose, _) => "tts=debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("TTS_LOG").unwrap_or_else(|_| EnvFilter::new(level)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        )
        .without_time()
        .with_target(false)
        .init();
}

/// The one place errors become exit codes.
fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if cause.is::<ConfigError>()
            || matches!(
                cause.downcast_ref::<SourceError>(),
                Some(SourceError::Empty | SourceError::NotText { .. })
            )
        {
            return code::USAGE;
        }
        if matches!(
            cause.downcast_ref::<EngineError>(),
            Some(EngineError::UnknownVoice { .. } | EngineError::UnknownVariant { .. })
        ) {
            return code::USAGE;
        }
        if let Some(voice) = cause.downcast_ref::<tts::voice::VoiceError>() {
            if voice.is_usage() {
                return code::USAGE;
            }
            match voice {
                tts::voice::VoiceError::Interrupted => return code::INTERRUPTED,
                tts::voice::VoiceError::Http(http) if http.is_service() => return code::SERVICE,
                tts::voice::VoiceError::Http(_) => return code::NETWORK,
                tts::voice::VoiceError::Undeployed { .. }
                | tts::voice::VoiceError::NotReady { .. } => return code::SERVICE,
                _ => {}
            }
        }
        if let Some(chat) = cause.downcast_ref::<tts::chat::ChatError>() {
            return if chat.is_service() {
                code::SERVICE
            } else {
                code::NETWORK
            };
        }
        if let Some(http) = cause.downcast_ref::<tts::dashscope::http::HttpError>() {
            return if http.is_service() {
                code::SERVICE
            } else {
                code::NETWORK
            };
        }
        if let Some(session) = cause.downcast_ref::<SessionError>() {
            return match session.kind() {
                ErrorKind::Service => code::SERVICE,
                ErrorKind::Network => code::NETWORK,
            };
        }
        if let Some(output) = cause.downcast_ref::<OutputError>()
            && matches!(
                output,
                OutputError::NoDevice { .. }
                    | OutputError::UnknownDevice { .. }
                    | OutputError::Device { .. }
            )
        {
            return code::DEVICE;
        }
    }
    code::FAILURE
}

/// The error and its causes on one line, each said once: a cause whose text an outer error
/// already quotes is left out, and line breaks in a cause become spaces.
fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if text.is_empty() || line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<OutputError>(),
            Some(OutputError::BrokenPipe)
        ) || cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_is_said_once_on_one_line() {
        let inner = std::io::Error::other("Key mismatch");
        let err = anyhow::Error::new(inner)
            .context("the service said: Key mismatch")
            .context("synthesis failed");
        assert_eq!(
            one_line(&err),
            "synthesis failed: the service said: Key mismatch"
        );
        let err = anyhow::anyhow!("first line\nsecond  line").context("outer");
        assert_eq!(one_line(&err), "outer: first line second line");
    }
}
