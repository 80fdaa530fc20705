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

/// Attempts after the first, for failures a retry may mend.
const MAX_RETRIES: u32 = 3;
/// The first retry waits about this long; each further one twice as long.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
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
    fn retryable(&self) -> bool {
        match self {
            Self::Engine(EngineError::Session(session)) => session.retryable(),
            Self::Engine(EngineError::Gone(_)) | Self::EngineGone => true,
            _ => false,
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
    text: String,
}

/// Convert every file of `config`, telling `on_event` as it goes (on the calling thread).
pub fn convert(
    config: &ConvertConfig,
    cancel: &CancelToken,
    on_event: &mut dyn FnMut(&Event),
) -> Result<Summary, ConvertError> {
    let started = Instant::now();
    if let Some(dir) = &config.out_dir {
        std::fs::create_dir_all(dir).map_err(|source| ConvertError::OutDir {
            path: dir.clone(),
            source,
        })?;
    }
    let mut outcomes: Vec<Option<Outcome>> = vec![None; config.files.len()];
    let mut jobs = VecDeque::new();
    let mut planned = Vec::new();
    for (index, file) in config.files.iter().enumerate() {
        match prepare(file, config.force) {
            Ok(Some(text)) => {
                planned.push((index, text.chars().count()));
                jobs.push_back(Job {
                    index,
                    file: file.clone(),
                    text,
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
fn prepare(file: &ConvertFile, force: bool) -> Result<Option<String>, String> {
    let input = std::fs::metadata(&file.input).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "not found".to_owned(),
        _ => format!("cannot read it: {e}"),
    })?;
    if input.is_dir() {
        return Err("it is a directory".into());
    }
    if !force && up_to_date(input.modified().ok(), &file.output) {
        return Ok(None);
    }
    let bytes = std::fs::read(&file.input).map_err(|e| format!("cannot read it: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (an invalid byte at offset {}); convert it to UTF-8 first",
            e.utf8_error().valid_up_to()
        )
    })?;
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
                    if !error.retryable() || attempt > MAX_RETRIES {
                        return Outcome::Failed(error.reason());
                    }
                    attempt += 1;
                    let _ = self.events.send(Event::Retrying {
                        index: job.index,
                        reason: error.reason(),
                        attempt,
                    });
                    if !self.sleep(backoff(attempt - 1)) {
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
                let synthesis =
                    cosyvoice::start(remote.session.clone(), rate, self.cancel.clone())?;
                (synthesis, "cosyvoice")
            }
            EngineConfig::Qwen(config) => {
                let rate = SampleRate::new(config.options.config.sample_rate)
                    .ok_or(EngineError::Gone("qwen"))?;
                let synthesis = qwen::start(config.options.clone(), rate, self.cancel.clone())?;
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
        let mut subtitles = self
            .config
            .speech
            .feed
            .subtitles
            .map(|format| Subtitles::new(format, &job.file.output));
        let ssml = matches!(&self.config.speech.engine, EngineConfig::CosyVoice(r) if r.ssml);
        // Text goes in from a thread of its own while audio comes out here: a long file fills
        // the engine's queue, which only the audio leaving it empties.
        let feed = fragments.clone();
        let feed_options = self.config.speech.feed.clone();
        let text = job.text.clone();
        let feeder = thread::spawn(move || {
            if ssml {
                feed.send(text);
            } else {
                let mut fragmenter = Fragmenter::new(&feed_options);
                let mut ready = fragmenter.push(&text);
                ready.extend(fragmenter.take_partial());
                if !fragmenter.send(ready, &feed) {
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

/// The wait before retry `n` (1 is the first): doubling from [`FIRST_BACKOFF`], with a random
/// factor from 0.5 to 1.5 so jobs that failed together do not retry together.
fn backoff(n: u32) -> Duration {
    // A version-4 UUID is 122 random bits from the OS; no random-number crate is needed for this.
    let jitter = 0.5 + f64::from(uuid::Uuid::new_v4().as_u128() as u16) / f64::from(u16::MAX);
    FIRST_BACKOFF
        .saturating_mul(1 << n.saturating_sub(1).min(8))
        .mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter() {
        for n in 1..=3 {
            let base = FIRST_BACKOFF.as_secs_f64() * f64::from(1u32 << (n - 1));
            let waits: Vec<f64> = (0..50).map(|_| backoff(n).as_secs_f64()).collect();
            assert!(waits.iter().all(|w| *w >= base * 0.5 && *w <= base * 1.5));
            assert!(
                waits.iter().any(|w| (w - waits[0]).abs() > 1e-6),
                "jittered"
            );
        }
    }
}
