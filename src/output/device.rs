//! The speakers: resample to the device rate, queue in a lock-free ring, play through cpal.
//!
//! The producer side ([`Player::write`]) runs on the pipeline thread and blocks (in short sleeps
//! that watch for Ctrl-C) while the ring is full. The consumer side is cpal's callback: it only
//! pops samples, copies them to every channel, writes silence on a shortfall and updates atomics.
//! It never allocates, locks, logs or blocks.

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

/// How to open the player.
#[derive(Debug, Clone)]
pub struct PlayerOptions {
    /// An output device name (`tts devices` lists them); `None` is the system default.
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
    /// Stream-clock nanoseconds (plus one) when the last sample leaves the speaker.
    end_at: AtomicU64,
}

/// An opened output stream, not yet playing: opened while the engine loads.
pub struct Device {
    stream: cpal::Stream,
    producer: Producer<f32>,
    shared: Arc<Shared>,
    errors: Receiver<cpal::Error>,
    epoch: Instant,
    device_rate: u32,
    prebuffer_frames: usize,
    cancel: CancelToken,
}

impl Device {
    /// The device's sample rate.
    pub fn device_rate(&self) -> u32 {
        self.device_rate
    }
}

/// A cpal output stream fed through an SPSC ring.
pub struct Player {
    stream: cpal::Stream,
    producer: Producer<f32>,
    shared: Arc<Shared>,
    errors: Receiver<cpal::Error>,
    epoch: Instant,
    resampler: StreamResampler,
    device_rate: u32,
    prebuffer_frames: usize,
    playing: bool,
    frames_pushed: u64,
    floats: Vec<f32>,
    resampled: Vec<f32>,
    cancel: CancelToken,
}

impl Player {
    /// Open the output device; the stream starts once audio is prebuffered.
    pub fn open(options: &PlayerOptions, cancel: CancelToken) -> Result<Device, OutputError> {
        let alsa_log = AlsaLog::capture();
        let (stream, producer, shared, errors, device_rate, epoch) =
            open_stream(options, &alsa_log)?;
        let prebuffer_frames = frames_in(options.prebuffer, device_rate);
        tracing::debug!(device_rate, prebuffer_frames, period = ?stream.buffer_size(), "output device open");
        Ok(Device {
            stream,
            producer,
            shared,
            errors,
            epoch,
            device_rate,
            prebuffer_frames,
            cancel,
        })
    }

    /// Start taking mono audio at `input_rate` on an opened device.
    pub fn new(device: Device, input_rate: SampleRate) -> Result<Self, OutputError> {
        let resampler = StreamResampler::new(
            input_rate,
            SampleRate::new(device.device_rate).ok_or_else(|| OutputError::Device {
                reason: "the device reports a sample rate of 0 Hz".into(),
            })?,
        )?;
        let Device {
            stream,
            producer,
            shared,
            errors,
            epoch,
            device_rate,
            prebuffer_frames,
            cancel,
        } = device;
        Ok(Self {
            stream,
            producer,
            shared,
            errors,
            epoch,
            resampler,
            device_rate,
            prebuffer_frames,
            playing: false,
            frames_pushed: 0,
            floats: Vec::new(),
            resampled: Vec::new(),
            cancel,
        })
    }

    /// The device's sample rate.
    pub fn device_rate(&self) -> u32 {
        self.device_rate
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
            self.stream.play().map_err(|e| OutputError::Device {
                reason: e.to_string(),
            })?;
            self.playing = true;
        }
        Ok(())
    }

    /// Fail on a fatal error the stream reported; count xruns.
    fn check_device(&self) -> Result<(), OutputError> {
        while let Ok(err) = self.errors.try_recv() {
            match err.kind() {
                cpal::ErrorKind::Xrun => {
                    self.shared.underruns.fetch_add(1, Ordering::Relaxed);
                }
                cpal::ErrorKind::DeviceChanged | cpal::ErrorKind::RealtimeDenied => {}
                _ => {
                    return Err(OutputError::Device {
                        reason: err.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Wait until the callback has handed over the last sample, then until the device has
    /// played it: dropping a cpal stream discards what the device still holds.
    fn drain(&self) -> Result<Duration, OutputError> {
        let started = Instant::now();
        let ring_bound = RING + MAX_DRAIN;
        let end_at = loop {
            self.check_device()?;
            let end_at = self.shared.end_at.load(Ordering::Acquire);
            if end_at != 0 || self.cancel.is_cancelled() || started.elapsed() > ring_bound {
                break end_at;
            }
            thread::sleep(Duration::from_millis(1));
        };
        if end_at > 1 {
            let end = cpal::StreamInstant::from_nanos(end_at - 1);
            let left = end
                .saturating_duration_since(self.stream.now())
                .min(MAX_DRAIN);
            let deadline = Instant::now() + left;
            while Instant::now() < deadline && !self.cancel.is_cancelled() {
                thread::sleep(POLL.min(deadline.saturating_duration_since(Instant::now())));
            }
        }
        Ok(started.elapsed())
    }

    fn report(&self, drain: Duration) -> SinkReport {
        let first = self.shared.first_audio.load(Ordering::Acquire);
        #[allow(
            clippy::cast_precision_loss,
            reason = "frame counts stay far below 2^52"
        )]
        let seconds =
            self.shared.frames_played.load(Ordering::Relaxed) as f64 / f64::from(self.device_rate);
        SinkReport {
            seconds,
            underruns: self.shared.underruns.load(Ordering::Relaxed),
            first_audio: (first != 0).then(|| self.epoch + Duration::from_nanos(first - 1)),
            drain,
        }
    }
}

impl AudioSink for Player {
    fn write(&mut self, samples: &[i16]) -> Result<(), OutputError> {
        self.floats.clear();
        i16_to_f32(samples, &mut self.floats);
        let mut resampled = std::mem::take(&mut self.resampled);
        resampled.clear();
        self.resampler.process(&self.floats, &mut resampled)?;
        let pushed = self.push(&resampled);
        self.resampled = resampled;
        pushed
    }

    fn finish(mut self: Box<Self>) -> Result<SinkReport, OutputError> {
        let mut tail = std::mem::take(&mut self.resampled);
        tail.clear();
        self.resampler.finish(&mut tail)?;
        self.push(&tail)?;
        self.shared.producer_done.store(true, Ordering::Release);
        if self.frames_pushed == 0 {
            return Ok(self.report(Duration::ZERO));
        }
        self.play()?;
        let drain = self.drain()?;
        Ok(self.report(drain))
    }

    fn interrupt(self: Box<Self>) -> Result<SinkReport, OutputError> {
        self.shared.stop.store(true, Ordering::Release);
        // Pausing may fail on a broken device; the stream is dropped either way.
        let _ = self.stream.pause();
        Ok(self.report(Duration::ZERO))
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

type Opened = (
    cpal::Stream,
    Producer<f32>,
    Arc<Shared>,
    Receiver<cpal::Error>,
    u32,
    Instant,
);

fn open_stream(options: &PlayerOptions, alsa_log: &AlsaLog) -> Result<Opened, OutputError> {
    let host = cpal::default_host();
    let device = match &options.device {
        None => host
            .default_output_device()
            .ok_or_else(|| OutputError::NoDevice {
                reason: alsa_log.reason("no default device"),
            })?,
        Some(name) => find_device(&host, name)?,
    };
    let supported = device
        .default_output_config()
        .map_err(|e| OutputError::NoDevice {
            reason: alsa_log.reason(&e.to_string()),
        })?;
    let config = StreamConfig {
        channels: supported.channels(),
        sample_rate: supported.sample_rate(),
        buffer_size: cpal::BufferSize::Default,
    };
    let device_rate = config.sample_rate;
    let (producer, consumer) = RingBuffer::<f32>::new(frames_in(RING, device_rate));
    let shared = Arc::new(Shared::default());
    let (error_tx, errors) = mpsc::sync_channel(8);
    let epoch = Instant::now();
    let callback = Callback {
        consumer,
        shared: Arc::clone(&shared),
        channels: usize::from(config.channels.max(1)),
        rate: f64::from(device_rate),
        epoch,
    };
    let stream = match supported.sample_format() {
        SampleFormat::F32 => build::<f32>(&device, &config, callback, error_tx),
        SampleFormat::I16 => build::<i16>(&device, &config, callback, error_tx),
        SampleFormat::I32 => build::<i32>(&device, &config, callback, error_tx),
        SampleFormat::U16 => build::<u16>(&device, &config, callback, error_tx),
        SampleFormat::F64 => build::<f64>(&device, &config, callback, error_tx),
        SampleFormat::U8 => build::<u8>(&device, &config, callback, error_tx),
        SampleFormat::I8 => build::<i8>(&device, &config, callback, error_tx),
        other => {
            return Err(OutputError::Device {
                reason: format!("unsupported sample format {other}"),
            });
        }
    }
    .map_err(|e| OutputError::Device {
        reason: alsa_log.reason(&e.to_string()),
    })?;
    Ok((stream, producer, shared, errors, device_rate, epoch))
}

/// The output devices (`tts devices`), with the default marked.
pub fn list() -> Result<Vec<(String, bool)>, OutputError> {
    let _alsa_log = AlsaLog::capture();
    let host = cpal::default_host();
    let default = host.default_output_device();
    let devices = host.output_devices().map_err(|e| OutputError::NoDevice {
        reason: e.to_string(),
    })?;
    Ok(devices
        .map(|d| {
            let is_default = default.as_ref() == Some(&d);
            (d.to_string(), is_default)
        })
        .collect())
}

fn find_device(host: &cpal::Host, name: &str) -> Result<cpal::Device, OutputError> {
    let devices: Vec<cpal::Device> = host
        .output_devices()
        .map_err(|e| OutputError::NoDevice {
            reason: e.to_string(),
        })?
        .collect();
    let names: Vec<String> = devices.iter().map(ToString::to_string).collect();
    if let Some(i) = names.iter().position(|n| n == name) {
        return Ok(devices[i].clone());
    }
    // A number is a position in `tts devices`.
    if let Some(device) = name.parse::<usize>().ok().and_then(|i| devices.get(i)) {
        return Ok(device.clone());
    }
    let lowered = name.to_lowercase();
    let mut matches = names
        .iter()
        .enumerate()
        .filter(|(_, n)| n.to_lowercase().contains(&lowered));
    if let (Some((i, _)), None) = (matches.next(), matches.next()) {
        return Ok(devices[i].clone());
    }
    Err(OutputError::UnknownDevice {
        name: name.to_owned(),
        available: if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        },
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
            // Never block the stream thread: a full queue already holds a fatal error.
            let _ = errors.try_send(err);
        },
        None,
    )
}

/// What the audio callback owns.
struct Callback {
    consumer: Consumer<f32>,
    shared: Arc<Shared>,
    channels: usize,
    rate: f64,
    epoch: Instant,
}

impl Callback {
    /// The real-time path: pop, copy to every channel, pad with silence, update atomics.
    fn fill<T: SizedSample + FromSample<f32>>(
        &mut self,
        data: &mut [T],
        info: &OutputCallbackInfo,
    ) {
        let frames = data.len() / self.channels;
        if self.shared.stop.load(Ordering::Acquire) {
            data.fill(T::EQUILIBRIUM);
            return;
        }
        // Read `producer_done` before the ring: if it was set, every sample is already visible.
        let done = self.shared.producer_done.load(Ordering::Acquire);
        let available = self.consumer.slots().min(frames);
        let mut written = 0;
        if let Ok(chunk) = self.consumer.read_chunk(available) {
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
