//! The speakers: resample to the device rate, queue in a lock-free ring, play through cpal; bring
//! a stream back after a transient device failure; list the devices `--device` can choose.
//!
//! The producer side ([`Player::write`]) runs on the pipeline thread and blocks (in short sleeps
//! that watch for Ctrl-C) while the ring is full. The consumer side is cpal's callback: it only
//! pops samples, copies them to every channel, writes silence on a shortfall and updates atomics.
//! It never allocates, locks, logs or blocks.
//!
//! Recovery: cpal re-prepares the device itself after an xrun (counted as an underrun). Any other
//! error reported while playing (a suspended or broken PulseAudio stream gives "I/O error") makes
//! the producer side drop the stream and build a new one on the same device and configuration;
//! the ring's consumer passes from the old callback to the new one, so playback continues where
//! it stopped. Only a device that stays unusable for `REOPEN_FOR` (2 s) is fatal.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, OutputCallbackInfo, SampleFormat, SizedSample, StreamConfig};
use rtrb::{Consumer, Producer, RingBuffer};

use super::{AudioSink, OutputError, SinkReport};
use crate::audio::resample::StreamResampler;
use crate::audio::{SampleRate, i16_to_f32};
use crate::cancel::CancelToken;

/// Audio the ring holds: enough to ride out scheduling hiccups, small enough to stop quickly.
const RING: Duration = Duration::from_millis(200);
/// How long the producer sleeps when the ring is full; bounds the reaction to Ctrl-C.
const POLL: Duration = Duration::from_millis(5);
/// The longest we wait for the device to play out its buffer at the end.
const MAX_DRAIN: Duration = Duration::from_secs(2);
/// How long a failed device may take to come back before playback gives up.
const REOPEN_FOR: Duration = Duration::from_secs(2);
/// The pause between attempts to reopen a failed device.
const REOPEN_EVERY: Duration = Duration::from_millis(200);
/// ALSA's name for the system's default output.
const DEFAULT: &str = "default";

/// How to open the player.
#[derive(Debug, Clone)]
pub struct PlayerOptions {
    /// An output device name or number (`tts devices` lists them); `None` is the system default.
    pub device: Option<String>,
    /// Audio queued before playback starts.
    pub prebuffer: Duration,
}

impl Default for PlayerOptions {
    fn default() -> Self {
        Self {
            device: None,
            prebuffer: Duration::from_millis(50),
        }
    }
}

/// State shared with the audio callback: atomics only.
#[derive(Default)]
struct Shared {
    /// Ctrl-C: the callback writes silence from now on.
    stop: AtomicBool,
    /// Every sample is in the ring; a shortfall now means the end, not an underrun.
    producer_done: AtomicBool,
    underruns: AtomicU64,
    frames_played: AtomicU64,
    /// Nanoseconds after `epoch` (plus one; zero is "not yet") of the first sample handed over.
    first_audio: AtomicU64,
    /// Stream-clock nanoseconds (plus one) when the last sample leaves the speaker; the clock
    /// is the current stream's.
    end_at: AtomicU64,
}

/// What it takes to build the stream again on the same device.
struct Output {
    device: cpal::Device,
    config: StreamConfig,
    format: SampleFormat,
    shared: Arc<Shared>,
    epoch: Instant,
}

impl Output {
    /// Build a stream (paused) whose callback takes `consumer`; the consumer comes back
    /// through `home` when the stream is dropped or fails to build.
    fn build(
        &self,
        consumer: Consumer<f32>,
        home: &SyncSender<Consumer<f32>>,
    ) -> Result<(cpal::Stream, Receiver<cpal::Error>), cpal::Error> {
        let (error_tx, errors) = mpsc::sync_channel(8);
        let callback = Callback {
            consumer: Some(consumer),
            home: home.clone(),
            shared: Arc::clone(&self.shared),
            channels: usize::from(self.config.channels.max(1)),
            rate: f64::from(self.config.sample_rate),
            epoch: self.epoch,
        };
        let stream = match self.format {
            SampleFormat::F32 => build::<f32>(&self.device, &self.config, callback, error_tx),
            SampleFormat::I16 => build::<i16>(&self.device, &self.config, callback, error_tx),
            SampleFormat::I32 => build::<i32>(&self.device, &self.config, callback, error_tx),
            SampleFormat::U16 => build::<u16>(&self.device, &self.config, callback, error_tx),
            SampleFormat::F64 => build::<f64>(&self.device, &self.config, callback, error_tx),
            SampleFormat::U8 => build::<u8>(&self.device, &self.config, callback, error_tx),
            SampleFormat::I8 => build::<i8>(&self.device, &self.config, callback, error_tx),
            other => Err(cpal::Error::with_message(
                cpal::ErrorKind::UnsupportedConfig,
                format!("unsupported sample format {other}"),
            )),
        }?;
        Ok((stream, errors))
    }
}

/// An opened output stream, not yet playing: opened while the engine loads.
pub struct Device {
    output: Output,
    /// `None` only while the stream is being rebuilt.
    stream: Option<cpal::Stream>,
    errors: Receiver<cpal::Error>,
    /// Where the ring's consumer returns when a stream is dropped.
    home: Receiver<Consumer<f32>>,
    home_tx: SyncSender<Consumer<f32>>,
    producer: Producer<f32>,
    prebuffer_frames: usize,
    playing: bool,
    frames_pushed: u64,
    /// The current run of device failures: when it began, and the frames played when the
    /// stream was last rebuilt (played frames since then end the run).
    failing: Option<(Instant, u64)>,
    warned: bool,
    cancel: CancelToken,
}

impl Device {
    /// The device's sample rate.
    pub fn device_rate(&self) -> u32 {
        self.output.config.sample_rate
    }

    fn push(&mut self, samples: &[f32]) -> Result<(), OutputError> {
        let mut rest = samples;
        while !rest.is_empty() {
            self.check_device()?;
            if self.cancel.is_cancelled() {
                return Ok(());
            }
            let n = self.producer.slots().min(rest.len());
            if n == 0 {
                self.play()?;
                thread::sleep(POLL);
                continue;
            }
            if let Ok(chunk) = self.producer.write_chunk_uninit(n) {
                chunk.fill_from_iter(rest[..n].iter().copied());
            }
            rest = &rest[n..];
            self.frames_pushed += n as u64;
            if self.frames_pushed >= self.prebuffer_frames as u64 {
                self.play()?;
            }
        }
        Ok(())
    }

    fn play(&mut self) -> Result<(), OutputError> {
        if !self.playing {
            if let Some(stream) = &self.stream {
                stream.play().map_err(|e| OutputError::Device {
                    reason: e.to_string(),
                })?;
            }
            self.playing = true;
            tracing::debug!(
                at = ?self.output.epoch.elapsed(),
                frames = self.frames_pushed,
                "prebuffered; stream started"
            );
        }
        Ok(())
    }

    /// Count xruns (cpal has re-prepared the device already); rebuild the stream after any
    /// other error; fail when the device does not come back.
    fn check_device(&mut self) -> Result<(), OutputError> {
        let mut failure = None;
        while let Ok(err) = self.errors.try_recv() {
            match err.kind() {
                cpal::ErrorKind::Xrun => {
                    self.output.shared.underruns.fetch_add(1, Ordering::Relaxed);
                }
                cpal::ErrorKind::DeviceChanged | cpal::ErrorKind::RealtimeDenied => {}
                _ => failure = Some(err),
            }
        }
        match failure {
            Some(err) => self.recover(&err),
            None => Ok(()),
        }
    }

    /// Drop the failed stream and build a new one on the same device, retrying for
    /// [`REOPEN_FOR`]; the ring keeps what was not played yet.
    fn recover(&mut self, err: &cpal::Error) -> Result<(), OutputError> {
        let played = self.output.shared.frames_played.load(Ordering::Relaxed);
        let since = match self.failing {
            // Nothing played since the last rebuild: the same failure goes on.
            Some((since, at)) if at == played => since,
            // One warning a run: a device that stumbles again is reopened quietly.
            _ if self.warned => {
                tracing::debug!(%err, "the audio device failed again; reopening it");
                Instant::now()
            }
            _ => {
                tracing::warn!("the audio device failed ({err}); reopening it");
                self.warned = true;
                Instant::now()
            }
        };
        // A stream that opens but fails again before playing anything is as gone as one
        // that does not open.
        if since.elapsed() > REOPEN_FOR {
            return Err(OutputError::Device {
                reason: format!(
                    "{err} (it did not come back within {} s)",
                    REOPEN_FOR.as_secs()
                ),
            });
        }
        let alsa_log = AlsaLog::capture();
        let mut last;
        loop {
            // Dropping the stream joins its thread; the callback hands the consumer back.
            self.stream = None;
            let Ok(consumer) = self.home.try_recv() else {
                return Err(OutputError::Device {
                    reason: "the audio stream did not hand back its buffer".into(),
                });
            };
            self.output.shared.end_at.store(0, Ordering::Release);
            match self.output.build(consumer, &self.home_tx) {
                Ok((stream, errors)) => {
                    if self.playing
                        && let Err(e) = stream.play()
                    {
                        last = e.to_string();
                        self.stream = Some(stream);
                        self.errors = errors;
                        if !self.wait_to_reopen(since) {
                            break;
                        }
                        continue;
                    }
                    self.stream = Some(stream);
                    self.errors = errors;
                    self.failing = Some((since, played));
                    tracing::debug!(after = ?since.elapsed(), "the audio device is back");
                    return Ok(());
                }
                Err(e) => last = alsa_log.reason(&e.to_string()),
            }
            if !self.wait_to_reopen(since) {
                break;
            }
        }
        if self.cancel.is_cancelled() {
            return Ok(());
        }
        Err(OutputError::Device {
            reason: format!(
                "{last} (it did not come back within {} s)",
                REOPEN_FOR.as_secs()
            ),
        })
    }

    /// Sleep before the next attempt to reopen; `false` when it is time to give up.
    fn wait_to_reopen(&self, since: Instant) -> bool {
        if self.cancel.is_cancelled() || since.elapsed() + REOPEN_EVERY > REOPEN_FOR {
            return false;
        }
        thread::sleep(REOPEN_EVERY);
        true
    }

    /// Wait until the callback has handed over the last sample, then until the device has
    /// played it: dropping a cpal stream discards what the device still holds.
    fn drain(&mut self) -> Result<Duration, OutputError> {
        let started = Instant::now();
        let ring_bound = RING + MAX_DRAIN;
        let end_at = loop {
            self.check_device()?;
            let end_at = self.output.shared.end_at.load(Ordering::Acquire);
            if end_at != 0 || self.cancel.is_cancelled() || started.elapsed() > ring_bound {
                break end_at;
            }
            thread::sleep(Duration::from_millis(1));
        };
        if let (true, Some(stream)) = (end_at > 1, &self.stream) {
            let end = cpal::StreamInstant::from_nanos(end_at - 1);
            let left = end.saturating_duration_since(stream.now()).min(MAX_DRAIN);
            let deadline = Instant::now() + left;
            while Instant::now() < deadline && !self.cancel.is_cancelled() {
                thread::sleep(POLL.min(deadline.saturating_duration_since(Instant::now())));
            }
        }
        Ok(started.elapsed())
    }

    fn report(&self, drain: Duration) -> SinkReport {
        let shared = &self.output.shared;
        let first = shared.first_audio.load(Ordering::Acquire);
        #[allow(
            clippy::cast_precision_loss,
            reason = "frame counts stay far below 2^52"
        )]
        let seconds =
            shared.frames_played.load(Ordering::Relaxed) as f64 / f64::from(self.device_rate());
        SinkReport {
            seconds,
            underruns: shared.underruns.load(Ordering::Relaxed),
            first_audio: (first != 0).then(|| self.output.epoch + Duration::from_nanos(first - 1)),
            drain,
        }
    }

    fn finish(&mut self) -> Result<SinkReport, OutputError> {
        self.output
            .shared
            .producer_done
            .store(true, Ordering::Release);
        if self.frames_pushed == 0 {
            return Ok(self.report(Duration::ZERO));
        }
        self.play()?;
        let drain = self.drain()?;
        Ok(self.report(drain))
    }

    fn interrupt(&mut self) -> SinkReport {
        self.output.shared.stop.store(true, Ordering::Release);
        // Pausing may fail on a broken device; the stream is dropped either way.
        if let Some(stream) = &self.stream {
            let _ = stream.pause();
        }
        self.report(Duration::ZERO)
    }
}

/// A cpal output stream fed through an SPSC ring.
pub struct Player {
    device: Device,
    resampler: StreamResampler,
    floats: Vec<f32>,
    resampled: Vec<f32>,
}

impl Player {
    /// Open the output device; the stream starts once audio is prebuffered.
    pub fn open(options: &PlayerOptions, cancel: CancelToken) -> Result<Device, OutputError> {
        let alsa_log = AlsaLog::capture();
        let started = Instant::now();
        let device = find(options, &alsa_log)?;
        // What cpal's probe of the device would choose wherever it is offered (stereo, f32,
        // 48 kHz): tried first, because the probe tests every format, rate and channel count
        // through ALSA's plugins, which takes longer than everything else before the first
        // sound. A device that refuses it is probed.
        let mut output = Output {
            device,
            config: StreamConfig {
                channels: 2,
                sample_rate: 48_000,
                buffer_size: cpal::BufferSize::Default,
            },
            format: SampleFormat::F32,
            shared: Arc::new(Shared::default()),
            epoch: Instant::now(),
        };
        let (mut producer, consumer) =
            RingBuffer::<f32>::new(frames_in(RING, output.config.sample_rate));
        let (home_tx, home) = mpsc::sync_channel(1);
        let (stream, errors) = match output.build(consumer, &home_tx) {
            Ok(built) => built,
            Err(preferred) => {
                tracing::debug!(%preferred, "the device refuses stereo f32 at 48 kHz; probing it");
                let supported =
                    output
                        .device
                        .default_output_config()
                        .map_err(|e| OutputError::NoDevice {
                            reason: alsa_log.reason(&e.to_string()),
                        })?;
                output.config.channels = supported.channels();
                output.config.sample_rate = supported.sample_rate();
                output.format = supported.sample_format();
                // Nothing is queued yet: a ring for this rate replaces the first one, whose
                // consumer the failed build handed back.
                let _ = home.try_recv();
                let consumer;
                (producer, consumer) =
                    RingBuffer::<f32>::new(frames_in(RING, output.config.sample_rate));
                output
                    .build(consumer, &home_tx)
                    .map_err(|e| OutputError::Device {
                        reason: alsa_log.reason(&e.to_string()),
                    })?
            }
        };
        let device_rate = output.config.sample_rate;
        let prebuffer_frames = frames_in(options.prebuffer, device_rate);
        tracing::debug!(
            device_rate,
            channels = output.config.channels,
            format = %output.format,
            prebuffer_frames,
            period = ?stream.buffer_size(),
            took = ?started.elapsed(),
            "output device open"
        );
        Ok(Device {
            output,
            stream: Some(stream),
            errors,
            home,
            home_tx,
            producer,
            prebuffer_frames,
            playing: false,
            frames_pushed: 0,
            failing: None,
            warned: false,
            cancel,
        })
    }

    /// Start taking mono audio at `input_rate` on an opened device.
    pub fn new(device: Device, input_rate: SampleRate) -> Result<Self, OutputError> {
        let resampler = StreamResampler::new(
            input_rate,
            SampleRate::new(device.device_rate()).ok_or_else(|| OutputError::Device {
                reason: "the device reports a sample rate of 0 Hz".into(),
            })?,
        )?;
        Ok(Self {
            device,
            resampler,
            floats: Vec::new(),
            resampled: Vec::new(),
        })
    }

    /// The device's sample rate.
    pub fn device_rate(&self) -> u32 {
        self.device.device_rate()
    }
}

impl AudioSink for Player {
    fn write(&mut self, samples: &[i16]) -> Result<(), OutputError> {
        self.floats.clear();
        i16_to_f32(samples, &mut self.floats);
        let mut resampled = std::mem::take(&mut self.resampled);
        resampled.clear();
        self.resampler.process(&self.floats, &mut resampled)?;
        let pushed = self.device.push(&resampled);
        self.resampled = resampled;
        pushed
    }

    fn poll(&mut self) -> Result<(), OutputError> {
        self.device.check_device()
    }

    fn finish(mut self: Box<Self>) -> Result<SinkReport, OutputError> {
        let mut tail = std::mem::take(&mut self.resampled);
        tail.clear();
        self.resampler.finish(&mut tail)?;
        self.device.push(&tail)?;
        self.device.finish()
    }

    fn interrupt(mut self: Box<Self>) -> Result<SinkReport, OutputError> {
        Ok(self.device.interrupt())
    }
}

fn frames_in(duration: Duration, rate: u32) -> usize {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "small positive"
    )]
    let frames = (duration.as_secs_f64() * f64::from(rate)).round() as usize;
    frames.max(1)
}

/// The device the options name (the system default when none).
fn find(options: &PlayerOptions, alsa_log: &AlsaLog) -> Result<cpal::Device, OutputError> {
    let host = cpal::default_host();
    match options.device.as_deref() {
        None | Some(DEFAULT) => host
            .default_output_device()
            .ok_or_else(|| OutputError::NoDevice {
                reason: alsa_log.reason("no default device"),
            }),
        Some(name) => find_device(&host, name),
    }
}

/// One output device as `tts devices` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceEntry {
    /// The name `--device` takes (ALSA's PCM name: `default`, `pulse`, `hw:CARD=0,DEV=0`).
    pub name: String,
    /// What the device is, as ALSA describes it (may be empty).
    pub description: String,
}

/// The output devices that can be opened now, the system default first: the list `tts devices`
/// prints and `--device NUMBER` counts in.
pub fn list() -> Result<Vec<DeviceEntry>, OutputError> {
    let _alsa_log = AlsaLog::capture();
    let host = cpal::default_host();
    Ok(usable(&host)?.into_iter().map(|(entry, _)| entry).collect())
}

/// The listed devices with their cpal handles, each opened once to check that it plays.
fn usable(host: &cpal::Host) -> Result<Vec<(DeviceEntry, cpal::Device)>, OutputError> {
    let mut entries = Vec::new();
    if let Some(device) = host.default_output_device() {
        let entry = DeviceEntry {
            name: DEFAULT.to_owned(),
            description: String::new(),
        };
        entries.push((entry, device));
    }
    let devices = host.output_devices().map_err(|e| OutputError::NoDevice {
        reason: e.to_string(),
    })?;
    for device in devices {
        let entry = entry(&device);
        if entry.name == DEFAULT {
            // ALSA's own description of the default is better than cpal's generic one.
            if let Some(first) = entries.first_mut()
                && !entry.description.is_empty()
            {
                first.0.description = entry.description;
            }
            continue;
        }
        if entries.iter().any(|(e, _)| e.name == entry.name) || !opens(&entry.name) {
            continue;
        }
        entries.push((entry, device));
    }
    Ok(entries)
}

fn entry(device: &cpal::Device) -> DeviceEntry {
    let name = device
        .id()
        .map(|id| id.id().to_owned())
        .unwrap_or_else(|_| device.to_string());
    let description = device
        .description()
        .map(|d| d.name().to_owned())
        .unwrap_or_default();
    DeviceEntry {
        description: if description == name {
            String::new()
        } else {
            description
        },
        name,
    }
}

/// Whether a playback stream can be opened on the PCM `name` now (opened without blocking and
/// closed again). Plugins that need a sound card, a server or `/dev/dsp` fail here.
#[cfg(target_os = "linux")]
fn opens(name: &str) -> bool {
    // JACK's client library prints to stderr when no server runs.
    if name == "jack" && !jack_server_runs() {
        return false;
    }
    alsa::pcm::PCM::new(name, alsa::Direction::Playback, true).is_ok()
}

#[cfg(not(target_os = "linux"))]
fn opens(_name: &str) -> bool {
    true
}

/// A JACK server listens on sockets named `/dev/shm/jack_SERVER_UID_N` (its clients leave other
/// files there).
#[cfg(target_os = "linux")]
fn jack_server_runs() -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::read_dir("/dev/shm").is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|e| {
            e.file_name().to_string_lossy().starts_with("jack_")
                && e.file_type().is_ok_and(|t| t.is_socket())
        })
    })
}

/// The device `--device` names: a number in `tts devices`, a device name from that list, or
/// (when it matches exactly one) part of a description.
fn find_device(host: &cpal::Host, wanted: &str) -> Result<cpal::Device, OutputError> {
    let devices = usable(host)?;
    let names = || {
        let names: Vec<&str> = devices.iter().map(|(e, _)| e.name.as_str()).collect();
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    };
    // A number is a position in the list, never part of a name or description.
    if let Ok(number) = wanted.parse::<usize>() {
        return match devices.get(number) {
            Some((_, device)) => Ok(device.clone()),
            None => Err(OutputError::UnknownDevice {
                name: wanted.to_owned(),
                available: format!("0 to {}: {}", devices.len().saturating_sub(1), names()),
            }),
        };
    }
    if let Some((_, device)) = devices.iter().find(|(e, _)| e.name == wanted) {
        return Ok(device.clone());
    }
    // A device ALSA knows but did not open a moment ago (busy): let the real open say why.
    if let Some(device) = host
        .output_devices()
        .ok()
        .and_then(|mut all| all.find(|d| entry(d).name == wanted))
    {
        return Ok(device);
    }
    let lowered = wanted.to_lowercase();
    let mut matches = devices
        .iter()
        .filter(|(e, _)| e.description.to_lowercase().contains(&lowered));
    if let (Some((_, device)), None) = (matches.next(), matches.next()) {
        return Ok(device.clone());
    }
    Err(OutputError::UnknownDevice {
        name: wanted.to_owned(),
        available: names(),
    })
}

fn build<T>(
    device: &cpal::Device,
    config: &StreamConfig,
    mut callback: Callback,
    errors: SyncSender<cpal::Error>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + FromSample<f32>,
{
    device.build_output_stream::<T, _, _>(
        *config,
        move |data: &mut [T], info: &OutputCallbackInfo| callback.fill(data, info),
        move |err| {
            // Never block the stream thread: a full queue already holds a failure.
            let _ = errors.try_send(err);
        },
        None,
    )
}

/// What the audio callback owns.
struct Callback {
    /// Always `Some` while the stream lives; taken back when it is dropped.
    consumer: Option<Consumer<f32>>,
    home: SyncSender<Consumer<f32>>,
    shared: Arc<Shared>,
    channels: usize,
    rate: f64,
    epoch: Instant,
}

impl Drop for Callback {
    /// Runs on the stream's own thread as it ends, never in the real-time path: the next
    /// stream (after a failure) continues from the same ring.
    fn drop(&mut self) {
        if let Some(consumer) = self.consumer.take() {
            let _ = self.home.try_send(consumer);
        }
    }
}

impl Callback {
    /// The real-time path: pop, copy to every channel, pad with silence, update atomics.
    fn fill<T: SizedSample + FromSample<f32>>(
        &mut self,
        data: &mut [T],
        info: &OutputCallbackInfo,
    ) {
        let frames = data.len() / self.channels;
        let Some(consumer) = self.consumer.as_mut() else {
            data.fill(T::EQUILIBRIUM);
            return;
        };
        if self.shared.stop.load(Ordering::Acquire) {
            data.fill(T::EQUILIBRIUM);
            return;
        }
        // Read `producer_done` before the ring: if it was set, every sample is already visible.
        let done = self.shared.producer_done.load(Ordering::Acquire);
        let available = consumer.slots().min(frames);
        let mut written = 0;
        if let Ok(chunk) = consumer.read_chunk(available) {
            let (first, second) = chunk.as_slices();
            for (frame, &sample) in data
                .chunks_exact_mut(self.channels)
                .zip(first.iter().chain(second))
            {
                frame.fill(T::from_sample(sample));
            }
            chunk.commit_all();
            written = available;
        }
        data[written * self.channels..].fill(T::EQUILIBRIUM);
        if written > 0 {
            self.shared
                .frames_played
                .fetch_add(written as u64, Ordering::Relaxed);
            if self.shared.first_audio.load(Ordering::Relaxed) == 0 {
                let since = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
                self.shared.first_audio.store(since + 1, Ordering::Release);
            }
        }
        if written < frames {
            if done {
                if self.shared.end_at.load(Ordering::Relaxed) == 0 {
                    #[allow(clippy::cast_precision_loss, reason = "a callback holds few frames")]
                    let tail = Duration::from_secs_f64(written as f64 / self.rate);
                    let end = info
                        .timestamp()
                        .playback
                        .checked_add(tail)
                        .unwrap_or(info.timestamp().playback);
                    let nanos = u64::try_from(end.as_nanos()).unwrap_or(u64::MAX - 1);
                    self.shared.end_at.store(nanos + 1, Ordering::Release);
                }
            } else if self.shared.frames_played.load(Ordering::Relaxed) > 0 {
                self.shared.underruns.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Catches alsa-lib's messages on this thread while the device is opened, so a missing device
/// yields one clean line instead of several lines of ALSA noise.
struct AlsaLog {
    #[cfg(target_os = "linux")]
    output: Option<std::rc::Rc<std::cell::RefCell<alsa::Output>>>,
}

impl AlsaLog {
    fn capture() -> Self {
        #[cfg(target_os = "linux")]
        {
            Self {
                output: alsa::Output::local_error_handler().ok(),
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            Self {}
        }
    }

    /// The most telling ALSA message, or `fallback` when ALSA said nothing.
    fn reason(&self, fallback: &str) -> String {
        #[cfg(target_os = "linux")]
        if let Some(output) = &self.output {
            let text = output.borrow().to_string();
            // Lines look like "snd_pcm_open_noupdate: Unknown PCM default"; the last one is
            // the failure the others led to.
            if let Some(line) = text.lines().rev().find(|l| !l.trim().is_empty()) {
                let message = line.split_once(": ").map_or(line, |(_, m)| m).trim();
                return format!("ALSA: {message}");
            }
        }
        fallback.to_owned()
    }
}
