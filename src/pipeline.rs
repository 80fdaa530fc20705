//! Wires the stages of `tts say`: text source -> fragmenter -> engine -> sink, plus Ctrl-C.
//!
//! Threads: a reader thread feeds fragments (so a slow stdin never stalls audio), the engine
//! runs on its own thread, and this (the caller's) thread moves audio from the engine into the
//! sink. Shutdown: input ends -> engine says Done -> sink finishes (file closed and renamed, or
//! device drained). Ctrl-C: the sink stops at once, a file is left valid, the caller exits 130.

use std::sync::mpsc::RecvTimeoutError;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::audio::{PcmBytes, SUPPORTED_RATES, SampleRate};
use crate::cancel::CancelToken;
use crate::cli::config::{EngineConfig, SayConfig, SinkConfig};
use crate::engine::{EngineEvent, EngineStats, FragmentSender, Synthesis, cosyvoice, local};
use crate::output::device::{Device, Player};
use crate::output::file::{FileSink, Target};
use crate::output::{AudioSink, OutputError, SinkReport};
use crate::text::segment::Segmenter;
use crate::text::source::{self, Input, SourceError};

/// How often the pipeline looks at the Ctrl-C flag while waiting.
const POLL: Duration = Duration::from_millis(10);
/// How long Ctrl-C waits for the engine to stop cleanly.
const CANCEL_GRACE: Duration = Duration::from_millis(200);

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

/// Speak the configured text into the configured sink.
pub fn say(config: &SayConfig, cancel: &CancelToken) -> Result<SayOutcome> {
    let engine_started = Instant::now();
    let (mut synthesis, device) = start_engine(config, cancel)?;
    let engine_ready = Instant::now();
    let rate = synthesis.sample_rate();
    let encoded = matches!(config.engine, EngineConfig::CosyVoice(_));
    let (mut sink, file): (Box<dyn AudioSink>, Option<String>) = match (&config.sink, device) {
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
    // The service's bytes are PCM when playing (that is what was asked for) and pass through
    // unchanged into a file.
    let mut pcm = (encoded && matches!(config.sink, SinkConfig::Device(_))).then(PcmBytes::default);
    let mut samples = Vec::new();

    let fragments = synthesis
        .fragment_sender()
        .context("the engine takes no more text")?;
    let inputs = config.inputs.clone();
    let whole = matches!(&config.engine, EngineConfig::CosyVoice(remote) if remote.ssml);
    let reader_cancel = cancel.clone();
    let reader = thread::Builder::new()
        .name("reader".into())
        .spawn(move || feed(&inputs, &fragments, whole, &reader_cancel))
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
            wind_down(&synthesis);
            return Ok(outcome(true, report, EngineStats::default()));
        }
        let written = match synthesis.events().recv_timeout(POLL) {
            Ok(EngineEvent::Pcm(chunk)) => sink.write(&chunk),
            Ok(EngineEvent::Encoded(bytes)) => match pcm.as_mut() {
                Some(assembler) => {
                    samples.clear();
                    assembler.push(&bytes, &mut samples);
                    sink.write(&samples)
                }
                None => sink.write_encoded(&bytes),
            },
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
                return Err(err).context("synthesis failed");
            }
            Err(RecvTimeoutError::Timeout) => Ok(()),
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
                // Ask for PCM at the device's rate when the service offers it: no resampling.
                let rate = device.device_rate();
                session.parameters.sample_rate = if SUPPORTED_RATES.contains(&rate) {
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
    }
}

/// The reader thread: text in, whole sentences out to the engine (or, for SSML, the whole
/// document as one fragment). Fails when the input held nothing to say.
fn feed(
    inputs: &[Input],
    fragments: &FragmentSender,
    whole: bool,
    cancel: &CancelToken,
) -> Result<(), SourceError> {
    let mut sent = 0usize;
    let mut send = |fragment: String| {
        sent += 1;
        !cancel.is_cancelled() && fragments.send(fragment)
    };
    if whole {
        let mut document = String::new();
        source::read_all(inputs, &mut |text| {
            document.push_str(text);
            true
        })?;
        if !document.trim().is_empty() {
            send(document);
        }
    } else {
        let mut segmenter = Segmenter::new();
        source::read_all(inputs, &mut |text| {
            segmenter.push(text).into_iter().all(&mut send)
        })?;
        if let Some(rest) = segmenter.finish() {
            send(rest);
        }
    }
    if sent == 0 {
        return Err(SourceError::Empty);
    }
    Ok(())
}
