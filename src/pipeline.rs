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
use crate::text::pace::Pacer;
use crate::text::segment::{self, Cut, LineBreaks, Segmenter};
use crate::text::source::{self, SourceError};

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
    say_from(config, cancel, on_sentence, None)
}

/// Where the text comes from when it is not the configured inputs (a model's answer): run on
/// the reader thread, it hands each piece to the callback as it arrives (the callback returns
/// `false` when no more is wanted) and returns when the text ends.
pub type TextSource =
    Box<dyn FnOnce(&mut dyn FnMut(&str) -> bool) -> Result<(), SourceError> + Send>;

/// [`say`], with the text read from `source` instead of the configured inputs when given.
pub fn say_from(
    config: &SayConfig,
    cancel: &CancelToken,
    on_sentence: &mut dyn FnMut(&str),
    source: Option<TextSource>,
) -> Result<SayOutcome> {
    // A file that is not text is refused before a connection is opened or a sound made.
    source::check_files(&config.inputs)?;
    let engine_started = Instant::now();
    let (mut synthesis, device) = start_engine(config, cancel)?;
    let engine_ready = Instant::now();
    // Text flows to the engine while the device may still be opening: the first audio is
    // ready when it is.
    let fragments = synthesis
        .fragment_sender()
        .context("the engine takes no more text")?;
    let inputs = config.inputs.clone();
    let whole = matches!(&config.engine, EngineConfig::CosyVoice(remote) if remote.ssml);
    let feed_options = config.feed.clone();
    let reader_cancel = cancel.clone();
    let reader = thread::Builder::new()
        .name("fragmenter".into())
        .spawn(move || {
            let source = source.unwrap_or_else(|| {
                Box::new(move |on_text: &mut dyn FnMut(&str) -> bool| {
                    source::read_all(&inputs, on_text)
                })
            });
            feed(source, &fragments, whole, &feed_options, &reader_cancel)
        })
        .context("starting the text reader")?;

    let device = device.wait()?;
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
            Target::Path(path) => {
                Some(Subtitles::new(*format, path).filtering_markdown(config.feed.keep_lines))
            }
            Target::Stdout => None,
        },
        _ => None,
    };

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
                // Echoed a line each, without the white space around it.
                if config.feed.echo && !text.trim().is_empty() {
                    on_sentence(text.trim());
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

/// The output device: opened, or opening on a thread of its own.
enum Opening {
    Open(Option<Box<Device>>),
    Pending(thread::JoinHandle<Result<Device, OutputError>>),
}

impl Opening {
    fn wait(self) -> Result<Option<Device>> {
        match self {
            Self::Open(device) => Ok(device.map(|device| *device)),
            Self::Pending(opening) => match opening.join() {
                Ok(device) => Ok(Some(device?)),
                Err(_) => bail!("opening the audio device failed unexpectedly"),
            },
        }
    }
}

/// Start the engine; when playing, the device is opened first or alongside.
fn start_engine(config: &SayConfig, cancel: &CancelToken) -> Result<(Synthesis, Opening)> {
    let open_device = || match &config.sink {
        SinkConfig::Device(options) => Some(Player::open(options, cancel.clone())),
        SinkConfig::File(_) => None,
    };
    match &config.engine {
        EngineConfig::Local(params) => {
            // The device opens on its own thread while espeak loads its data and speaks the
            // first sentence; a bad voice is reported first.
            let opening = match &config.sink {
                SinkConfig::Device(options) => {
                    let (options, cancel) = (options.clone(), cancel.clone());
                    Opening::Pending(
                        thread::Builder::new()
                            .name("device".into())
                            .spawn(move || Player::open(&options, cancel))
                            .context("starting the device thread")?,
                    )
                }
                SinkConfig::File(_) => Opening::Open(None),
            };
            let starting = local::start(params.clone(), cancel.clone())
                .context("starting the offline engine")?;
            let synthesis = starting.ready()?;
            Ok((synthesis, opening))
        }
        EngineConfig::CosyVoice(remote) if matches!(config.sink, SinkConfig::Device(_)) => {
            // The connection is made while the device opens; run-task waits for its rate.
            let session = remote.session.clone();
            let opus = session.parameters.format == AudioFormat::Opus.name();
            let (mut synthesis, rate_tx) = cosyvoice::start_before_rate(session, cancel.clone())?;
            let device = open_device()
                .transpose()?
                .context("no output device was opened")?;
            // Ask for the device's rate when the service offers it: no resampling.
            let rate = device.device_rate();
            let offered: &[u32] = if opus { &OPUS_RATES } else { &SUPPORTED_RATES };
            let rate = if offered.contains(&rate) {
                rate
            } else {
                48_000
            };
            let _ = rate_tx.send(rate);
            synthesis.set_sample_rate(SampleRate::new(rate).context("the sample rate is 0 Hz")?);
            Ok((synthesis, Opening::Open(Some(Box::new(device)))))
        }
        EngineConfig::CosyVoice(remote) => {
            let session = remote.session.clone();
            let rate = SampleRate::new(session.parameters.sample_rate)
                .context("the sample rate is 0 Hz")?;
            let synthesis = cosyvoice::start(session, rate, cancel.clone())?;
            Ok((synthesis, Opening::Open(None)))
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
            Ok((synthesis, Opening::Open(device.map(Box::new))))
        }
    }
}

/// How often the fragmenter looks at Ctrl-C and the idle limit when nothing else is due.
const IDLE_POLL: Duration = Duration::from_millis(250);
/// The shortest wait for input between two looks at the pacing policy.
const MIN_WAIT: Duration = Duration::from_millis(5);

/// The fragmenter thread: text in (from a reader thread of its own, so it can notice quiet
/// moments), fragments out to the engine; for SSML, the whole document as one fragment.
/// What is not yet a whole sentence is spoken when the [`Pacer`] says so. Fails when the
/// input held nothing to say.
fn feed(
    source: TextSource,
    fragments: &FragmentSender,
    whole: bool,
    options: &FeedOptions,
    cancel: &CancelToken,
) -> Result<(), SourceError> {
    if whole {
        let mut document = String::new();
        source(&mut |text| {
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
        .spawn(move || source(&mut |text| pieces_tx.send(text.to_owned()).is_ok()))
        .map_err(SourceError::Stdin)?;
    let mut fragmenter = Fragmenter::new(options);
    let mut last_input = Instant::now();
    let mut idle_told = false;
    loop {
        if cancel.is_cancelled() {
            return Ok(());
        }
        let now = Instant::now();
        let mut wait = fragmenter
            .due(now)
            .map_or(IDLE_POLL, |at| at.saturating_duration_since(now));
        if !idle_told {
            wait = wait.min((last_input + options.idle).saturating_duration_since(now));
        }
        // Never a busy loop, whatever the policy says.
        let wait = wait.clamp(MIN_WAIT, IDLE_POLL);
        let (ready, end) = match pieces.recv_timeout(wait) {
            Ok(piece) => {
                last_input = Instant::now();
                idle_told = false;
                (fragmenter.push(&piece, last_input), false)
            }
            Err(RecvTimeoutError::Timeout) => {
                if !idle_told && last_input.elapsed() >= options.idle {
                    idle_told = true;
                    fragments.idle();
                }
                (fragmenter.cut(Instant::now()), false)
            }
            Err(RecvTimeoutError::Disconnected) => (fragmenter.finish(), true),
        };
        if !fragmenter.send(ready, fragments, end) || end {
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

/// What [`Fragmenter`] hands out: fragments, and whether the last is cut short of its
/// sentence's end (the service must be told to speak it now).
pub(crate) struct Ready {
    fragments: Vec<String>,
    cut_short: bool,
}

/// Text to fragments: the Markdown filter (line by line), the segmenter and the pacing policy.
pub(crate) struct Fragmenter {
    segmenter: Segmenter,
    markdown: Option<MarkdownFilter>,
    line: String,
    sent: usize,
    pacer: Pacer,
    /// Lines are kept for the service's Markdown filter: only a cut forces a flush.
    keep_lines: bool,
    /// Whole sentences of a partial Markdown line are filtered and spoken before its end.
    streamed: bool,
    /// The start of the current line was already filtered (only inline marks remain).
    line_begun: bool,
}

impl Fragmenter {
    pub(crate) fn new(options: &FeedOptions) -> Self {
        let line_breaks = if options.keep_lines {
            LineBreaks::Keep
        } else if options.flush_on_newline {
            LineBreaks::EveryLine
        } else {
            LineBreaks::Space
        };
        Self {
            segmenter: Segmenter::with_line_breaks(line_breaks),
            markdown: options.markdown.then(|| {
                if options.streamed_markdown {
                    MarkdownFilter::announcing_code()
                } else {
                    MarkdownFilter::new()
                }
            }),
            line: String::new(),
            sent: 0,
            pacer: Pacer::new(options.flush_after),
            keep_lines: options.keep_lines,
            streamed: options.streamed_markdown,
            line_begun: false,
        }
    }

    /// Filter a piece of the current line: the line's start with the whole-line rules, the
    /// rest with the inline rules only.
    fn filter(&mut self, text: &str) -> String {
        let Some(filter) = self.markdown.as_mut() else {
            return text.to_owned();
        };
        let out = if self.line_begun {
            filter.continuation(text)
        } else {
            filter.line(text)
        };
        self.line_begun = true;
        out
    }

    /// The part of the partial line that ends with a sentence end and a space and is safe to
    /// filter on its own (no code, link or emphasis left open); none inside a code block or
    /// on a line that may yet open one.
    fn whole_sentences(&self) -> Option<usize> {
        let filter = self.markdown.as_ref()?;
        let start = self.line.trim_start();
        if filter.in_code()
            || (!self.line_begun && (start.is_empty() || start.starts_with(['`', '~', '|'])))
        {
            return None;
        }
        let mut end = None;
        let mut previous = ' ';
        let (mut ticks, mut stars, mut brackets, mut parens) = (0usize, 0usize, 0i32, 0i32);
        for (at, c) in self.line.char_indices() {
            if c.is_whitespace()
                && matches!(previous, '.' | '!' | '?' | '。' | '！' | '？')
                && ticks % 2 == 0
                && stars % 2 == 0
                && brackets == 0
                && parens == 0
            {
                end = Some(at + c.len_utf8());
            }
            match c {
                '`' => ticks += 1,
                '*' => stars += 1,
                '[' => brackets += 1,
                ']' => brackets -= 1,
                '(' => parens += 1,
                ')' => parens -= 1,
                _ => {}
            }
            previous = c;
        }
        end
    }

    /// Fragments completed by `piece`, which arrived at `now`.
    pub(crate) fn push(&mut self, piece: &str, now: Instant) -> Ready {
        self.pacer.input(now);
        let fragments = match self.markdown.as_mut() {
            None => self.segmenter.push(piece),
            Some(_) => {
                self.line.push_str(piece);
                let mut ready = Vec::new();
                while let Some(end) = self.line.find('\n') {
                    let line: String = self.line.drain(..=end).collect();
                    let mut text = self.filter(line.trim_end_matches(['\n', '\r']));
                    self.line_begun = false;
                    text.push('\n');
                    ready.extend(self.segmenter.push(&text));
                }
                if self.streamed
                    && let Some(end) = self.whole_sentences()
                {
                    let part: String = self.line.drain(..end).collect();
                    let text = self.filter(&part);
                    ready.extend(self.segmenter.push(&text));
                }
                ready
            }
        };
        let cut_short =
            !self.keep_lines && fragments.last().is_some_and(|f| !segment::ends_sentence(f));
        self.pacer.observe(now, &self.segmenter);
        Ready {
            fragments,
            cut_short,
        }
    }

    /// When [`Fragmenter::cut`] may next have something.
    pub(crate) fn due(&self, now: Instant) -> Option<Instant> {
        self.pacer.next_check(now, &self.segmenter)
    }

    /// What the pacing policy says to speak now, short of a sentence's end.
    pub(crate) fn cut(&mut self, now: Instant) -> Ready {
        let mut fragments = Vec::new();
        if let Some(cut) = self.pacer.decide(now, &self.segmenter) {
            // A partial Markdown line is filtered as a line of its own once the writer stops.
            if cut == Cut::All && self.markdown.is_some() {
                let line = std::mem::take(&mut self.line);
                if !line.trim().is_empty() {
                    let text = self.filter(&line);
                    fragments.extend(self.segmenter.push(&text));
                }
            }
            fragments.extend(self.segmenter.take(cut));
        }
        self.pacer.observe(now, &self.segmenter);
        let cut_short = fragments.last().is_some_and(|f| !segment::ends_sentence(f));
        Ready {
            fragments,
            cut_short,
        }
    }

    /// End of input: whatever is held back is the last fragment.
    pub(crate) fn finish(&mut self) -> Ready {
        let mut fragments = Vec::new();
        if self.markdown.is_some() {
            let line = std::mem::take(&mut self.line);
            if !line.trim().is_empty() {
                let text = self.filter(&line);
                fragments.extend(self.segmenter.push(&text));
            }
        }
        fragments.extend(self.segmenter.finish());
        Ready {
            fragments,
            cut_short: false,
        }
    }

    /// Send fragments; one cut short of its sentence's end is followed by a flush, so the
    /// service speaks it now rather than waiting for the end (none at the end of input:
    /// finish-task follows). `false` when the engine is gone.
    pub(crate) fn send(&mut self, ready: Ready, fragments: &FragmentSender, end: bool) -> bool {
        let now = Instant::now();
        for fragment in ready.fragments {
            self.sent += 1;
            self.pacer.sent(now, &fragment);
            if !fragments.send(fragment) {
                return false;
            }
        }
        self.pacer.observe(now, &self.segmenter);
        end || !ready.cut_short || fragments.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use proptest::prelude::*;

    use super::*;
    use crate::engine::Fragment;

    fn options(flush_on_newline: bool) -> FeedOptions {
        FeedOptions {
            echo: false,
            subtitles: None,
            flush_on_newline,
            markdown: false,
            idle: Duration::from_secs(15),
            keep_lines: false,
            flush_after: crate::text::pace::FLUSH_AFTER,
            streamed_markdown: false,
        }
    }

    /// A model's Markdown answer: a whole sentence is ready before its line ends, its marks
    /// gone; a code block is announced, not read.
    #[test]
    fn streamed_markdown_speaks_sentences_before_the_line_ends() {
        let mut options = options(false);
        options.markdown = true;
        options.streamed_markdown = true;
        let mut fragmenter = Fragmenter::new(&options);
        let now = Instant::now();
        let ready = fragmenter.push("# Hi **there**. Sec", now);
        assert_eq!(ready.fragments.concat().trim(), "Hi there.");
        let mut rest = fragmenter
            .push("ond `x` line.\n```sh\nrm -rf /\n```\nEnd", now)
            .fragments;
        rest.extend(fragmenter.finish().fragments);
        let rest = rest.concat();
        assert_eq!(
            rest.split_whitespace().collect::<Vec<_>>().join(" "),
            "Second x line. Code block omitted. End"
        );
    }

    /// The text as the engine must get it: a run of white space with exactly one line break
    /// has it as a space (unless every line break is kept); the end trimmed.
    fn expected(text: &str, every_line: bool) -> String {
        let mut out = String::new();
        let mut run = String::new();
        let flush_run = |run: &mut String, out: &mut String| {
            if !every_line && run.matches('\n').count() == 1 {
                out.push_str(&run.replacen('\n', " ", 1));
            } else {
                out.push_str(run);
            }
            run.clear();
        };
        for c in text.chars() {
            if c.is_whitespace() {
                run.push(c);
            } else {
                flush_run(&mut run, &mut out);
                out.push(c);
            }
        }
        flush_run(&mut run, &mut out);
        out.trim_end().to_owned()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// What the offline engine is handed, joined, is the text: whatever the pieces the
        /// reader delivered, and whenever the pacing policy cut what was held.
        #[test]
        fn what_the_engine_gets_joined_is_the_text(
            parts in prop::collection::vec("[a-zA-Z]{1,8}|[0-9.,;:!?]|[ \t\n]|\n\n|你好|。", 0..300),
            cuts in prop::collection::vec(0usize..3000, 0..30),
            later in prop::collection::vec(prop::sample::select(vec![0u64, 300, 700, 3500, 100_000]), 0..30),
            every_line in any::<bool>(),
        ) {
            let text = parts.concat();
            let chars: Vec<char> = text.chars().collect();
            let mut at: Vec<usize> = cuts.into_iter().map(|c| c.min(chars.len())).collect();
            at.extend([0, chars.len()]);
            at.sort_unstable();
            at.dedup();
            let (tx, rx) = mpsc::sync_channel(100_000);
            let sender = FragmentSender::Local(tx);
            let mut fragmenter = Fragmenter::new(&options(every_line));
            for (i, window) in at.windows(2).enumerate() {
                let piece: String = chars[window[0]..window[1]].iter().collect();
                let ready = fragmenter.push(&piece, Instant::now());
                prop_assert!(fragmenter.send(ready, &sender, false));
                let quiet = Duration::from_millis(later.get(i).copied().unwrap_or(0));
                let ready = fragmenter.cut(Instant::now() + quiet);
                prop_assert!(fragmenter.send(ready, &sender, false));
            }
            let ready = fragmenter.finish();
            prop_assert!(fragmenter.send(ready, &sender, true));
            drop(sender);
            let got: Vec<String> = rx
                .into_iter()
                .filter_map(|f| match f {
                    Fragment::Text(text) => Some(text),
                    Fragment::EndTask => None,
                })
                .collect();
            prop_assert_eq!(got.concat(), expected(&text, every_line));
            for fragment in &got {
                prop_assert!(!fragment.trim().is_empty());
                prop_assert!(fragment.chars().count() <= segment::MAX_FRAGMENT_CHARS);
                prop_assert!(
                    crate::text::count::billed(fragment) <= crate::text::count::MAX_PER_MESSAGE
                );
            }
        }
    }
}
