//! `tts convert`: text files to audio files, several at once. Each job keeps one engine (for
//! the service, one connection) from file to file; a failure that a retry may mend is retried
//! with jittered backoff; every output is written under a temporary name and renamed only when
//! complete, so an interrupted run leaves no partial files and a rerun does the rest.

pub mod progress;

use std::collections::VecDeque;
use std::error::Error as _;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crate::audio::SampleRate;
use crate::cancel::CancelToken;
use crate::cli::batch::{ConvertConfig, ConvertFile};
use crate::cli::config::EngineConfig;
use crate::engine::{EngineError, EngineEvent, FragmentSender, Synthesis, cosyvoice, local, qwen};
use crate::output::file::{FileOptions, FileSink, Target};
use crate::output::subtitles::Subtitles;
use crate::output::{AudioSink, OutputError};
use crate::pipeline::Fragmenter;
use crate::session::retry::{Failure, RetryPolicy};

/// The pieces a file's text is fed in (as `tts say` reads files: 8 KiB at a time).
const FEED_PIECE: usize = 8 * 1024;

/// `text` cut into pieces of about `size` bytes, at character boundaries.
fn pieces(text: &str, size: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut end = size.min(rest.len());
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (piece, after) = rest.split_at(end);
        rest = after;
        Some(piece)
    })
}

/// Retries of a file: the table shared with `tts say` (`session::retry`).
const POLICY: RetryPolicy = RetryPolicy::CONVERT;
/// How often a waiting job looks at the Ctrl-C flag.
const POLL: Duration = Duration::from_millis(20);

/// What became of one file.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Converted.
    Done {
        /// Characters billed by the service (counted here for the offline engine).
        characters: u64,
        /// Seconds of audio written.
        seconds: f64,
    },
    /// Its output was complete and newer than the input.
    Skipped,
    /// Not converted; why, in one line.
    Failed(String),
    /// Ctrl-C came first; nothing was written.
    Interrupted,
}

/// A file, its place in the list, and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct FileReport {
    /// The input and output paths.
    pub file: ConvertFile,
    /// The outcome.
    pub outcome: Outcome,
}

/// What a whole run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// One report per file, in the order given.
    pub files: Vec<FileReport>,
    /// Wall time of the run.
    pub wall: Duration,
    /// Connections (engines) opened.
    pub engines_started: usize,
}

impl Summary {
    /// Files with this kind of outcome.
    pub fn count(&self, pick: impl Fn(&Outcome) -> bool) -> usize {
        self.files.iter().filter(|f| pick(&f.outcome)).count()
    }
}

/// What the progress display hears.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The files to convert and how many characters each holds (skipped ones excluded).
    Planned {
        /// (index, characters) of each file to convert.
        files: Vec<(usize, usize)>,
        /// Files already up to date.
        skipped: usize,
    },
    /// A job took up file `index`.
    Started {
        /// The file's index.
        index: usize,
    },
    /// Characters of file `index` were spoken.
    Spoken {
        /// The file's index.
        index: usize,
        /// How many more.
        characters: usize,
    },
    /// File `index` failed and will be tried again.
    Retrying {
        /// The file's index.
        index: usize,
        /// Why it failed.
        reason: String,
        /// The coming attempt (2 is the first retry).
        attempt: u32,
    },
    /// File `index` is finished one way or another.
    Finished {
        /// The file's index.
        index: usize,
        /// How.
        outcome: Outcome,
    },
}

/// Why a run could not even start.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The output directory could not be made.
    #[error("cannot create the output directory {path}")]
    OutDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Why one attempt at a file failed.
#[derive(Debug, thiserror::Error)]
enum FileError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("the engine stopped before the file was spoken")]
    EngineGone,
    #[error("interrupted")]
    Interrupted,
}

impl FileError {
    /// This failure as the retry table sees it.
    fn failure(&self) -> Failure<'_> {
        match self {
            Self::Engine(EngineError::Session(session)) => session.failure(),
            Self::Engine(EngineError::Gone(_)) | Self::EngineGone => Failure::Network,
            _ => Failure::Permanent,
        }
    }

    /// The error and its causes, in one line.
    fn reason(&self) -> String {
        let mut line = self.to_string();
        let mut cause = self.source();
        while let Some(inner) = cause {
            let text = inner.to_string();
            if !line.contains(&text) {
                line.push_str(": ");
                line.push_str(&text);
            }
            cause = inner.source();
        }
        line
    }
}

/// A file ready to speak.
struct Job {
    index: usize,
    file: ConvertFile,
    /// Shared with the feeder thread of each attempt rather than copied.
    text: std::sync::Arc<str>,
}

/// Convert every file of `config`, telling `on_event` as it goes (on the calling thread).
pub fn convert(
    config: &ConvertConfig,
    cancel: &CancelToken,
    on_event: &mut dyn FnMut(&Event),
) -> Result<Summary, ConvertError> {
    let started = Instant::now();
    if let Some(dir) = &config.out_dir {
        // With the directory's subdirectories mirrored in it (`tts convert DIR --recursive`).
        let mut dirs: Vec<&std::path::Path> = config
            .files
            .iter()
            .filter_map(|f| f.output.parent())
            .collect();
        dirs.push(dir);
        dirs.dedup();
        for dir in dirs {
            std::fs::create_dir_all(dir).map_err(|source| ConvertError::OutDir {
                path: dir.to_owned(),
                source,
            })?;
        }
    }
    let mut outcomes: Vec<Option<Outcome>> = vec![None; config.files.len()];
    let mut jobs = VecDeque::new();
    let mut planned = Vec::new();
    for (index, file) in config.files.iter().enumerate() {
        // An output without the subtitles asked for is not done: the cues need the audio's
        // timing, so both are made again.
        let sidecar = config
            .speech
            .feed
            .subtitles
            .map(|format| Subtitles::new(format, &file.output));
        let sidecar = sidecar.as_ref().map(Subtitles::path);
        match prepare(file, sidecar, config.force) {
            Ok(Some(text)) => {
                planned.push((index, text.chars().count()));
                jobs.push_back(Job {
                    index,
                    file: file.clone(),
                    text: text.into(),
                });
            }
            Ok(None) => outcomes[index] = Some(Outcome::Skipped),
            Err(reason) => outcomes[index] = Some(Outcome::Failed(reason)),
        }
    }
    let skipped = outcomes
        .iter()
        .filter(|o| matches!(o, Some(Outcome::Skipped)))
        .count();
    on_event(&Event::Planned {
        files: planned,
        skipped,
    });
    for (index, outcome) in outcomes.iter().enumerate() {
        if let Some(outcome @ Outcome::Failed(_)) = outcome {
            on_event(&Event::Finished {
                index,
                outcome: outcome.clone(),
            });
        }
    }

    // espeak-ng is one instance per process: the offline engine speaks one file at a time.
    let workers = match config.speech.engine {
        EngineConfig::Local(_) => 1,
        EngineConfig::CosyVoice(_) | EngineConfig::Qwen(_) => config.jobs,
    }
    .min(jobs.len());
    let queue = Mutex::new(jobs);
    let (events_tx, events) = mpsc::channel::<Event>();
    let engines_started = AtomicUsize::new(0);
    thread::scope(|scope| {
        for n in 0..workers {
            let worker = Worker {
                config,
                cancel,
                events: events_tx.clone(),
                engine: None,
                engines_started: &engines_started,
            };
            let queue = &queue;
            let spawned = thread::Builder::new()
                .name(format!("convert-{n}"))
                .spawn_scoped(scope, move || worker.run(queue));
            if let Err(error) = spawned {
                tracing::warn!(%error, "could not start a conversion job");
            }
        }
        drop(events_tx);
        for event in events {
            if let Event::Finished { index, outcome } = &event {
                outcomes[*index] = Some(outcome.clone());
            }
            on_event(&event);
        }
    });
    let files = config
        .files
        .iter()
        .zip(outcomes)
        .map(|(file, outcome)| FileReport {
            file: file.clone(),
            outcome: outcome.unwrap_or(Outcome::Interrupted),
        })
        .collect();
    Ok(Summary {
        files,
        wall: started.elapsed(),
        engines_started: engines_started.into_inner(),
    })
}

/// The text of `file` when it must be converted; `None` when its output is up to date;
/// the reason when it cannot be.
fn prepare(
    file: &ConvertFile,
    sidecar: Option<&std::path::Path>,
    force: bool,
) -> Result<Option<String>, String> {
    let input = std::fs::metadata(&file.input).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "not found".to_owned(),
        _ => format!("cannot read it: {e}"),
    })?;
    if input.is_dir() {
        return Err("it is a directory".into());
    }
    let modified = input.modified().ok();
    if !force
        && up_to_date(modified, &file.output)
        && sidecar.is_none_or(|sidecar| up_to_date(modified, sidecar))
    {
        return Ok(None);
    }
    // Before any connection is made for it.
    crate::output::file::check_replaceable(&file.output).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(&file.input).map_err(|e| format!("cannot read it: {e}"))?;
    // UTF-8, or UTF-16 with a byte-order mark; control characters dropped.
    let text = crate::text::source::decode_all(&bytes)?;
    if text.trim().is_empty() {
        return Err("it is empty: there is nothing to speak".into());
    }
    Ok(Some(text))
}

/// An output that exists is complete (outputs appear only by rename); it is up to date when
/// newer than its input.
fn up_to_date(input: Option<SystemTime>, output: &std::path::Path) -> bool {
    let output = std::fs::metadata(output).and_then(|m| m.modified());
    matches!((input, output), (Some(input), Ok(output)) if output > input)
}

/// One job: an engine kept from file to file.
struct Worker<'a> {
    config: &'a ConvertConfig,
    cancel: &'a CancelToken,
    events: Sender<Event>,
    engine: Option<(Synthesis, FragmentSender)>,
    engines_started: &'a AtomicUsize,
}

impl Worker<'_> {
    fn run(mut self, queue: &Mutex<VecDeque<Job>>) {
        loop {
            if self.cancel.is_cancelled() {
                return;
            }
            let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
            let Some(job) = next else {
                return;
            };
            let outcome = self.convert_with_retries(&job);
            let _ = self.events.send(Event::Finished {
                index: job.index,
                outcome,
            });
            // In Qwen's server_commit mode a file ends its session (the service chose the
            // segments), so the next file opens a new connection anyway: a new engine says so.
            let session_per_file = matches!(&self.config.speech.engine,
                EngineConfig::Qwen(q) if q.options.config.mode == crate::dashscope::qwen::protocol::Mode::ServerCommit);
            if !self.config.reuse || session_per_file {
                self.engine = None;
            }
        }
    }

    fn convert_with_retries(&mut self, job: &Job) -> Outcome {
        let _ = self.events.send(Event::Started { index: job.index });
        let mut attempt = 1;
        loop {
            match self.convert_one(job) {
                Ok(outcome) => return outcome,
                Err(_) if self.cancel.is_cancelled() => return Outcome::Interrupted,
                Err(error) => {
                    // `convert_one` kept the engine only if it is still good.
                    if !POLICY.should_retry(error.failure(), attempt - 1) {
                        return Outcome::Failed(error.reason());
                    }
                    attempt += 1;
                    let _ = self.events.send(Event::Retrying {
                        index: job.index,
                        reason: error.reason(),
                        attempt,
                    });
                    if !self.sleep(POLICY.backoff(attempt - 1)) {
                        return Outcome::Interrupted;
                    }
                }
            }
        }
    }

    /// Wait, unless Ctrl-C comes first (then `false`).
    fn sleep(&self, duration: Duration) -> bool {
        let until = Instant::now() + duration;
        while Instant::now() < until {
            if self.cancel.is_cancelled() {
                return false;
            }
            thread::sleep(POLL.min(until.saturating_duration_since(Instant::now())));
        }
        !self.cancel.is_cancelled()
    }

    fn start_engine(&self) -> Result<(Synthesis, FragmentSender), EngineError> {
        let (mut synthesis, name) = match &self.config.speech.engine {
            EngineConfig::Local(params) => (
                local::start(params.clone(), self.cancel.clone())?.ready()?,
                "offline",
            ),
            EngineConfig::CosyVoice(remote) => {
                // Validated before: the rate is one the service offers, never 0.
                let rate = SampleRate::new(remote.session.parameters.sample_rate)
                    .ok_or(EngineError::Gone("cosyvoice"))?;
                // Retries are this module's, of whole files: the session tries once.
                let session = crate::session::SessionOptions {
                    retry: RetryPolicy::NEVER,
                    ..remote.session.clone()
                };
                let synthesis = cosyvoice::start(session, rate, self.cancel.clone())?;
                (synthesis, "cosyvoice")
            }
            EngineConfig::Qwen(config) => {
                let rate = SampleRate::new(config.options.config.sample_rate)
                    .ok_or(EngineError::Gone("qwen"))?;
                // As for CosyVoice: retries are of whole files.
                let options = crate::dashscope::qwen::session::QwenOptions {
                    retry: RetryPolicy::NEVER,
                    ..config.options.clone()
                };
                let synthesis = qwen::start(options, rate, self.cancel.clone())?;
                (synthesis, "qwen")
            }
        };
        let fragments = synthesis.fragment_sender().ok_or(EngineError::Gone(name))?;
        self.engines_started.fetch_add(1, Ordering::Relaxed);
        Ok((synthesis, fragments))
    }

    /// Speak one file into its output: under a temporary name until complete.
    fn convert_one(&mut self, job: &Job) -> Result<Outcome, FileError> {
        // Taken out while in use, and put back only when it ended the file cleanly.
        let (synthesis, fragments) = match self.engine.take() {
            Some(engine) => engine,
            None => self.start_engine()?,
        };
        let options = FileOptions {
            target: Target::Path(job.file.output.clone()),
            ..self.config.output.clone()
        };
        let rate = synthesis.sample_rate();
        let remote = self.config.speech.engine.is_remote();
        let opened = if remote {
            FileSink::passthrough(&options, rate)
        } else {
            FileSink::open(&options, rate)
        };
        let mut sink = match opened {
            Ok(sink) => sink,
            Err(error) => {
                // Nothing was sent: the engine (and its connection) serves the next file.
                self.engine = Some((synthesis, fragments));
                return Err(error.into());
            }
        };
        let mut subtitles = self.config.speech.feed.subtitles.map(|format| {
            Subtitles::new(format, &job.file.output)
                .filtering_markdown(self.config.speech.feed.keep_lines)
        });
        let ssml = matches!(&self.config.speech.engine, EngineConfig::CosyVoice(r) if r.ssml);
        // Text goes in from a thread of its own while audio comes out here: a long file fills
        // the engine's queue, which only the audio leaving it empties.
        let feed = fragments.clone();
        let feed_options = self.config.speech.feed.clone();
        let text = std::sync::Arc::clone(&job.text);
        let feeder = thread::spawn(move || {
            if ssml {
                feed.send(text.to_string());
            } else {
                // In pieces, as `tts say -f` reads a file: the sentences of a huge file are
                // made as the engine takes them, not all at once.
                let mut fragmenter = Fragmenter::new(&feed_options);
                for piece in pieces(&text, FEED_PIECE) {
                    let ready = fragmenter.push(piece, std::time::Instant::now());
                    if !fragmenter.send(ready, &feed, false) {
                        return;
                    }
                }
                let ready = fragmenter.finish();
                if !fragmenter.send(ready, &feed, true) {
                    return;
                }
            }
            feed.end_task();
        });
        let mut characters = 0;
        let result = loop {
            if self.cancel.is_cancelled() {
                break Err(FileError::Interrupted);
            }
            let step = match synthesis.events().recv_timeout(POLL) {
                Ok(EngineEvent::Pcm(samples)) => sink.write(&samples).map_err(FileError::from),
                Ok(EngineEvent::Encoded(bytes)) => {
                    sink.write_encoded(&bytes).map_err(FileError::from)
                }
                Ok(EngineEvent::Sentence(text)) => {
                    if let Some(subtitles) = subtitles.as_mut() {
                        subtitles.sentence(sink.position().unwrap_or_default(), &text);
                    }
                    let _ = self.events.send(Event::Spoken {
                        index: job.index,
                        characters: text.chars().count(),
                    });
                    Ok(())
                }
                Ok(event @ (EngineEvent::TaskStarted | EngineEvent::Words(_))) => {
                    if matches!(event, EngineEvent::TaskStarted) {
                        sink.next_stream();
                    }
                    if let Some(subtitles) = subtitles.as_mut() {
                        subtitles.timing(&event, sink.position().unwrap_or_default());
                    }
                    Ok(())
                }
                Ok(EngineEvent::TaskDone { characters: billed }) => {
                    characters = if remote {
                        billed
                    } else {
                        crate::text::count::billed(&job.text) as u64
                    };
                    break Ok(());
                }
                Ok(EngineEvent::Done(_)) | Err(RecvTimeoutError::Disconnected) => {
                    Err(FileError::EngineGone)
                }
                Ok(EngineEvent::Failed(error)) => Err(error.into()),
                Err(RecvTimeoutError::Timeout) => Ok(()),
            };
            if let Err(error) = step {
                break Err(error);
            }
        };
        match result {
            Ok(()) => {
                let _ = feeder.join();
                self.engine = Some((synthesis, fragments));
            }
            Err(error) => {
                // Dropping the engine stops it, which also lets a feeder blocked on it go;
                // dropping the sink removes its temporary file.
                drop(synthesis);
                drop(fragments);
                let _ = feeder.join();
                return Err(error);
            }
        }
        let report = Box::new(sink).finish()?;
        if let Some(subtitles) = &subtitles {
            subtitles.write(report.seconds)?;
        }
        Ok(Outcome::Done {
            characters,
            seconds: report.seconds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cut_at_character_boundaries_and_lose_nothing() {
        let text = "语音合成 speech ".repeat(1000);
        for size in [1, 2, 3, 7, 8192] {
            let cut: Vec<&str> = pieces(&text, size).collect();
            assert_eq!(cut.concat(), text, "{size}");
            assert!(cut.iter().all(|p| p.len() < size + 4), "{size}");
        }
        assert_eq!(pieces("", 8).count(), 0);
    }
}
