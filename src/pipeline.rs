//! Wires the stages of `tts say`: text source -> fragmenter -> engine -> sink, plus Ctrl-C.
//!
//! Threads: a reader thread feeds fragments (so a slow stdin never stalls audio), the engine
//! runs on its own thread, and this (the caller's) thread moves audio from the engine into the
//! sink. Shutdown: input ends -> engine says Done -> sink finishes (file closed and renamed, or
//! device drained). Ctrl-C: the sink stops at once, a file is left valid, the caller exits 130.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::audio::{AudioFormat, PcmBytes, SUPPORTED_RATES, SampleRate};
use crate::cancel::CancelToken;
use crate::cli::config::{EngineConfig, FeedOptions, SayConfig, SinkConfig};
use crate::cli::remote::OPUS_RATES;
use crate::engine::{EngineEvent, EngineStats, FragmentSender, Synthesis, cosyvoice, local, qwen};
use crate::output::decoded::DecodingPlayer;
use crate::output::device::{Device, Player};
use crate::output::file::{FileSink, Target};
use crate::output::framing::Framer;
use crate::output::subtitles::Subtitles;
use crate::output::{AudioSink, OutputError, SinkReport};
use crate::text::markdown::MarkdownFilter;
use crate::text::segment::{self, Segmenter};
use crate::text::source::{self, Input, SourceError};

/// How often the pipeline looks at the Ctrl-C flag while waiting.
const POLL: Duration = Duration::from_millis(10);
/// The longest Ctrl-C waits for the engine to stop cleanly (the service's engine sends the
/// cancel directive); the sound is already off. Normally it takes one 20 ms tick.
const CANCEL_GRACE: Duration = Duration::from_secs(1);

/// How a `say` run ended.
#[derive(Debug)]
pub struct SayOutcome {
    /// Ctrl-C stopped it.
    pub interrupted: bool,
    /// What the sink did.
    pub report: SinkReport,
    /// When the engine was started.
    pub engine_started: Instant,
    /// When the engine was ready to take text.
    pub engine_ready: Instant,
    /// The engine's own figures (connection and task times for the service).
    pub stats: EngineStats,
    /// The file written, when there is one.
    pub file: Option<String>,
}

/// Speak the configured text into the configured sink; `on_sentence` hears each sentence as its
/// audio starts (for `--echo`).
pub fn say(
    config: &SayConfig,
    cancel: &CancelToken,
    on_sentence: &mut dyn FnMut(&str),
) -> Result<SayOutcome> {
    let engine_started = Instant::now();
    let (mut synthesis, device) = start_engine(config, cancel)?;
    let engine_ready = Instant::now();
    let rate = synthesis.sample_rate();
    let encoded = config.engine.is_remote();
    // What the service sends: PCM, unless playback asked for another format.
    let wire = match &config.engine {
        EngineConfig::CosyVoice(remote) => {
            AudioFormat::from_name(&remote.session.parameters.format).unwrap_or(AudioFormat::Mp3)
        }
        EngineConfig::Qwen(qwen) => {
            AudioFormat::from_name(&qwen.options.config.response_format).unwrap_or(AudioFormat::Pcm)
        }
        EngineConfig::Local(_) => AudioFormat::Pcm,
    };
    let (mut sink, file): (Box<dyn AudioSink>, Option<String>) = match (&config.sink, device) {
        (_, Some(device)) if matches!(wire, AudioFormat::Mp3 | AudioFormat::Opus) => {
            (Box::new(DecodingPlayer::new(device, wire)?), None)
        }
        (_, Some(device)) => (Box::new(Player::new(device, rate)?), None),
        (SinkConfig::File(options), None) => {
            let label = match &options.target {
                Target::Path(path) => Some(path.display().to_string()),
                Target::Stdout => None,
            };
            let sink = if encoded {
                FileSink::passthrough(options, rate)?
            } else {
                FileSink::open(options, rate)?
            };
            (Box::new(sink), label)
        }
        (SinkConfig::Device(_), None) => bail!("no output device was opened"),
    };
    // The service's bytes pass through unchanged into a file. Played, PCM and WAV need no
    // decoder: their samples go to the player as they come (a WAV's header set aside first).
    let playing_samples = encoded
        && matches!(wire, AudioFormat::Pcm | AudioFormat::Wav)
        && matches!(config.sink, SinkConfig::Device(_));
    let mut pcm = playing_samples.then(PcmBytes::default);
    let mut wav_body = (playing_samples && wire == AudioFormat::Wav).then(Framer::wav_body);
    let mut body = Vec::new();
    let mut samples = Vec::new();
    let mut subtitles = match (&config.feed.subtitles, &config.sink) {
        (Some(format), SinkConfig::File(options)) => match &options.target {
            Target::Path(path) => Some(Subtitles::new(*format, path)),
            Target::Stdout => None,
        },
        _ => None,
    };

    let fragments = synthesis
        .fragment_sender()
        .context("the engine takes no more text")?;
    let inputs = config.inputs.clone();
    let whole = matches!(&config.engine, EngineConfig::CosyVoice(remote) if remote.ssml);
    let feed_options = config.feed.clone();
    let reader_cancel = cancel.clone();
    let reader = thread::Builder::new()
        .name("fragmenter".into())
        .spawn(move || feed(inputs, &fragments, whole, &feed_options, &reader_cancel))
        .context("starting the text reader")?;

    let outcome = |interrupted, report, stats| SayOutcome {
        interrupted,
        report,
        engine_started,
        engine_ready,
        stats,
        file: file.clone(),
    };
    let stats = loop {
        if cancel.is_cancelled() {
            let report = sink.interrupt()?;
            if let Some(subtitles) = &subtitles {
                subtitles.write(report.seconds)?;
            }
            wind_down(&synthesis);
            return Ok(outcome(true, report, EngineStats::default()));
        }
        let written = match synthesis.events().recv_timeout(POLL) {
            Ok(EngineEvent::Pcm(chunk)) => sink.write(&chunk),
            Ok(EngineEvent::Encoded(bytes)) => match pcm.as_mut() {
                Some(assembler) => {
                    samples.clear();
                    match wav_body.as_mut() {
                        Some(framer) => {
                            body.clear();
                            framer.push(&bytes, &mut body);
                            assembler.push(&body, &mut samples);
                        }
                        None => assembler.push(&bytes, &mut samples),
                    }
                    sink.write(&samples)
                }
                None => sink.write_encoded(&bytes),
            },
            Ok(EngineEvent::Sentence(text)) => {
                if let Some(subtitles) = subtitles.as_mut() {
                    subtitles.sentence(sink.position().unwrap_or_default(), &text);
                }
                if config.feed.echo {
                    on_sentence(&text);
                }
                Ok(())
            }
            Ok(event @ (EngineEvent::TaskStarted | EngineEvent::Words(_))) => {
                if matches!(event, EngineEvent::TaskStarted) {
                    // A new task's (or response's) audio is a new stream: a WAV header again,
                    // a new Ogg stream; it joins what came before.
                    sink.next_stream();
                    if let Some(framer) = wav_body.as_mut() {
                        framer.next_stream();
                    }
                }
                if let Some(subtitles) = subtitles.as_mut() {
                    subtitles.timing(&event, sink.position().unwrap_or_default());
                }
                Ok(())
            }
            // `say` never ends a task early, so this does not come.
            Ok(EngineEvent::TaskDone { .. }) => Ok(()),
            // Ends that race a Ctrl-C are the Ctrl-C's: the loop's top handles it.
            Ok(EngineEvent::Done(_)) if cancel.is_cancelled() => continue,
            Ok(EngineEvent::Done(stats)) => break stats,
            Ok(EngineEvent::Failed(err)) => {
                if cancel.is_cancelled() {
                    continue;
                }
                // The reader's own failure (an empty input) says more than the engine's.
                if let Some(Err(reader_error)) =
                    reader.is_finished().then(|| reader.join().ok()).flatten()
                {
                    return Err(reader_error.into());
                }
                return Err(err.into());
            }
            Err(RecvTimeoutError::Timeout) => sink.poll(),
            // An engine stops at once on Ctrl-C, without a word: the loop's top handles it.
            Err(RecvTimeoutError::Disconnected) if cancel.is_cancelled() => continue,
            Err(RecvTimeoutError::Disconnected) => bail!("the engine stopped unexpectedly"),
        };
        match written {
            Ok(()) => {}
            Err(OutputError::BrokenPipe) => {
                // The reader of our stdout is gone (`| head`): stop quietly, like `cat`.
                cancel.cancel();
                return Ok(outcome(
                    false,
                    SinkReport::default(),
                    EngineStats::default(),
                ));
            }
            Err(err) => return Err(err.into()),
        }
    };
    match reader.join() {
        Ok(Ok(())) => {}
        Ok(Err(err)) => return Err(err.into()),
        Err(_) => bail!("the text reader stopped unexpectedly"),
    }
    let report = sink.finish()?;
    if let Some(subtitles) = &subtitles {
        subtitles
            .write(report.seconds)
            .context("writing the subtitles")?;
    }
    Ok(outcome(false, report, stats))
}

/// After Ctrl-C, give the engine a moment to stop cleanly (the service's engine sends the
/// cancel directive and closes the socket) before the process exits. The sound is already off.
fn wind_down(synthesis: &Synthesis) {
    let deadline = Instant::now() + CANCEL_GRACE;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match synthesis.events().recv_timeout(left) {
            Ok(EngineEvent::Done(_) | EngineEvent::Failed(_)) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Start the engine; when playing, the device is opened first or alongside.
fn start_engine(config: &SayConfig, cancel: &CancelToken) -> Result<(Synthesis, Option<Device>)> {
    let open_device = || match &config.sink {
        SinkConfig::Device(options) => Some(Player::open(options, cancel.clone())),
        SinkConfig::File(_) => None,
    };
    match &config.engine {
        EngineConfig::Local(params) => {
            let starting = local::start(params.clone(), cancel.clone())
                .context("starting the offline engine")?;
            // The device opens while espeak loads its data; a bad voice is reported first.
            let device = open_device();
            let synthesis = starting.ready()?;
            Ok((synthesis, device.transpose()?))
        }
        EngineConfig::CosyVoice(remote) => {
            let device = open_device().transpose()?;
            let mut session = remote.session.clone();
            if let Some(device) = &device {
                // Ask for the device's rate when the service offers it: no resampling.
                let rate = device.device_rate();
                let offered: &[u32] = if session.parameters.format == AudioFormat::Opus.name() {
                    &OPUS_RATES
                } else {
                    &SUPPORTED_RATES
                };
                session.parameters.sample_rate = if offered.contains(&rate) {
                    rate
                } else {
                    48_000
                };
            }
            let rate = SampleRate::new(session.parameters.sample_rate)
                .context("the sample rate is 0 Hz")?;
            let synthesis = cosyvoice::start(session, rate, cancel.clone())?;
            Ok((synthesis, device))
        }
        EngineConfig::Qwen(config) => {
            let device = open_device().transpose()?;
            let mut options = config.options.clone();
            if let Some(device) = &device {
                // PCM at the device's rate when the model offers it: no resampling.
                let rate = device.device_rate();
                if config.family != crate::dashscope::qwen::Family::Legacy {
                    options.config.sample_rate = if crate::dashscope::qwen::RATES.contains(&rate) {
                        rate
                    } else {
                        48_000
                    };
                }
            }
            let rate =
                SampleRate::new(options.config.sample_rate).context("the sample rate is 0 Hz")?;
            let synthesis = qwen::start(options, rate, cancel.clone())?;
            Ok((synthesis, device))
        }
    }
}

/// How long the input must be quiet before a sentence without its end is spoken anyway: an LLM
/// streams tokens without line breaks, and a pause means it is thinking.
const QUIET: Duration = Duration::from_millis(400);

/// The fragmenter thread: text in (from a reader thread of its own, so it can notice quiet
/// moments), whole sentences out to the engine; for SSML, the whole document as one fragment.
/// Fails when the input held nothing to say.
fn feed(
    inputs: Vec<Input>,
    fragments: &FragmentSender,
    whole: bool,
    options: &FeedOptions,
    cancel: &CancelToken,
) -> Result<(), SourceError> {
    if whole {
        let mut document = String::new();
        source::read_all(&inputs, &mut |text| {
            document.push_str(text);
            true
        })?;
        if document.trim().is_empty() {
            return Err(SourceError::Empty);
        }
        fragments.send(document);
        return Ok(());
    }
    let (pieces_tx, pieces) = mpsc::sync_channel::<String>(64);
    let reader = thread::Builder::new()
        .name("reader".into())
        .spawn(move || {
            source::read_all(&inputs, &mut |text| pieces_tx.send(text.to_owned()).is_ok())
        })
        .map_err(SourceError::Stdin)?;
    let mut fragmenter = Fragmenter::new(options);
    let mut last_input = Instant::now();
    let mut idle_told = false;
    let mut open = true;
    while open {
        if cancel.is_cancelled() {
            return Ok(());
        }
        let ready = match pieces.recv_timeout(QUIET) {
            Ok(piece) => {
                last_input = Instant::now();
                idle_told = false;
                fragmenter.push(&piece)
            }
            Err(RecvTimeoutError::Timeout) => {
                if !idle_told && last_input.elapsed() >= options.idle {
                    idle_told = true;
                    fragments.idle();
                }
                fragmenter.take_partial()
            }
            Err(RecvTimeoutError::Disconnected) => {
                open = false;
                fragmenter.take_partial()
            }
        };
        if !fragmenter.send(ready, fragments) {
            break;
        }
    }
    match reader.join() {
        Ok(result) => result?,
        Err(_) => {
            return Err(SourceError::Stdin(std::io::Error::other(
                "the reader stopped",
            )));
        }
    }
    if fragmenter.sent == 0 {
        return Err(SourceError::Empty);
    }
    Ok(())
}

/// Text to sentences: the Markdown filter (line by line) and the segmenter.
pub(crate) struct Fragmenter {
    segmenter: Segmenter,
    markdown: Option<MarkdownFilter>,
    line: String,
    sent: usize,
}

impl Fragmenter {
    pub(crate) fn new(options: &FeedOptions) -> Self {
        let segmenter = if options.flush_on_newline {
            Segmenter::flush_on_newline()
        } else {
            Segmenter::new()
        };
        Self {
            segmenter,
            markdown: options.markdown.then(MarkdownFilter::new),
            line: String::new(),
            sent: 0,
        }
    }

    /// Sentences completed by `piece`.
    pub(crate) fn push(&mut self, piece: &str) -> Vec<String> {
        let Some(filter) = self.markdown.as_mut() else {
            return self.segmenter.push(piece);
        };
        self.line.push_str(piece);
        let mut ready = Vec::new();
        while let Some(end) = self.line.find('\n') {
            let line: String = self.line.drain(..=end).collect();
            let mut text = filter.line(line.trim_end_matches(['\n', '\r']));
            text.push('\n');
            ready.extend(self.segmenter.push(&text));
        }
        ready
    }

    /// Whatever is held back, as a last sentence (a quiet moment, or the end of input).
    pub(crate) fn take_partial(&mut self) -> Vec<String> {
        if let Some(filter) = self.markdown.as_mut() {
            if !self.line.trim().is_empty() {
                let line = std::mem::take(&mut self.line);
                let text = filter.line(&line);
                let mut ready = self.segmenter.push(&text);
                ready.extend(self.segmenter.finish());
                return ready;
            }
        }
        self.segmenter.finish().into_iter().collect()
    }

    /// Send sentences; one without final punctuation is followed by a flush, so the service
    /// speaks it now rather than waiting for its end. `false` when the engine is gone.
    pub(crate) fn send(&mut self, ready: Vec<String>, fragments: &FragmentSender) -> bool {
        let unfinished = ready.last().is_some_and(|s| !segment::ends_sentence(s));
        for sentence in ready {
            self.sent += 1;
            if !fragments.send(sentence) {
                return false;
            }
        }
        !unfinished || fragments.flush()
    }
}
