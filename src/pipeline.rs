//! Wires the stages of `tts say`: text source -> fragmenter -> engine -> sink, plus Ctrl-C.
//!
//! Threads: a reader thread feeds fragments (so a slow stdin never stalls audio), the engine
//! runs on its own thread, and this (the caller's) thread moves audio from the engine into the
//! sink. Shutdown: input ends -> engine says Done -> sink finishes (file closed and renamed, or
//! device drained). Ctrl-C: the sink stops at once, a file is left valid, the caller exits 130.

use std::sync::mpsc::{RecvTimeoutError, SyncSender};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cancel::CancelToken;
use crate::cli::config::{SayConfig, SinkConfig};
use crate::engine::{EngineEvent, local};
use crate::output::device::Player;
use crate::output::file::{FileSink, Target};
use crate::output::{AudioSink, OutputError, SinkReport};
use crate::text::segment::Segmenter;
use crate::text::source::{self, Input};

/// How often the pipeline looks at the Ctrl-C flag while waiting.
const POLL: Duration = Duration::from_millis(10);

/// How a `say` run ended.
#[derive(Debug)]
pub struct SayOutcome {
    /// Ctrl-C stopped it.
    pub interrupted: bool,
    /// What the sink did.
    pub report: SinkReport,
    /// When the engine was ready to speak.
    pub engine_ready: Instant,
    /// The file written, when there is one.
    pub file: Option<String>,
}

/// Speak the configured text into the configured sink.
pub fn say(config: &SayConfig, cancel: &CancelToken) -> Result<SayOutcome> {
    let starting = local::start(config.local.clone(), cancel.clone())
        .context("starting the offline engine")?;
    // The device opens while espeak loads its data; a bad voice is reported before a bad device.
    let device = match &config.sink {
        SinkConfig::Device(options) => Some(Player::open(options, cancel.clone())),
        SinkConfig::File(_) => None,
    };
    let mut synthesis = starting.ready()?;
    let device = device.transpose()?;
    let engine_ready = Instant::now();
    let rate = synthesis.sample_rate();
    let (mut sink, file): (Box<dyn AudioSink>, Option<String>) = match (&config.sink, device) {
        (_, Some(device)) => (Box::new(Player::new(device, rate)?), None),
        (SinkConfig::File(options), None) => {
            let label = match &options.target {
                Target::Path(path) => Some(path.display().to_string()),
                Target::Stdout => None,
            };
            (Box::new(FileSink::open(options, rate)?), label)
        }
        (SinkConfig::Device(_), None) => bail!("no output device was opened"),
    };

    let fragments = synthesis
        .fragment_sender()
        .context("the engine takes no more text")?;
    let inputs = config.inputs.clone();
    let reader_cancel = cancel.clone();
    let reader = thread::Builder::new()
        .name("reader".into())
        .spawn(move || feed(&inputs, &fragments, &reader_cancel))
        .context("starting the text reader")?;

    loop {
        if cancel.is_cancelled() {
            let report = sink.interrupt()?;
            return Ok(SayOutcome {
                interrupted: true,
                report,
                engine_ready,
                file,
            });
        }
        match synthesis.events().recv_timeout(POLL) {
            Ok(EngineEvent::Pcm(samples)) => match sink.write(&samples) {
                Ok(()) => {}
                Err(OutputError::BrokenPipe) => {
                    // The reader of our stdout is gone (`| head`): stop quietly, like `cat`.
                    cancel.cancel();
                    return Ok(SayOutcome {
                        interrupted: false,
                        report: SinkReport::default(),
                        engine_ready,
                        file,
                    });
                }
                Err(err) => return Err(err.into()),
            },
            Ok(EngineEvent::Done) => break,
            Ok(EngineEvent::Failed(err)) => return Err(err).context("synthesis failed"),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => bail!("the offline engine stopped unexpectedly"),
        }
    }
    match reader.join() {
        Ok(Ok(())) => {}
        Ok(Err(err)) => return Err(err.into()),
        Err(_) => bail!("the text reader stopped unexpectedly"),
    }
    let report = sink.finish()?;
    Ok(SayOutcome {
        interrupted: false,
        report,
        engine_ready,
        file,
    })
}

/// The reader thread: text in, whole sentences out to the engine.
fn feed(
    inputs: &[Input],
    fragments: &SyncSender<String>,
    cancel: &CancelToken,
) -> Result<(), source::SourceError> {
    let mut segmenter = Segmenter::new();
    let mut send = |fragment: String| !cancel.is_cancelled() && fragments.send(fragment).is_ok();
    source::read_all(inputs, &mut |text| {
        segmenter.push(text).into_iter().all(&mut send)
    })?;
    if let Some(rest) = segmenter.finish() {
        send(rest);
    }
    Ok(())
}
