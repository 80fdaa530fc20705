//! Streaming sample-rate conversion of mono audio with rubato's synchronous FFT resampler.
//!
//! Runs on whichever thread feeds a sink (never the audio callback). Input arrives in chunks
//! of any size; output is aligned with the input (the resampler's delay is trimmed) and
//! [`StreamResampler::finish`] flushes the tail, so N input frames give N x ratio output frames.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler};

use super::SampleRate;

/// Frames per resampler call: about 23 ms at 22050 Hz, small enough for low latency.
const CHUNK_FRAMES: usize = 512;

/// Why a resampler could not be built or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResampleError {
    /// The rate pair was refused by rubato.
    #[error("cannot resample from {from} Hz to {to} Hz")]
    Construction {
        /// Input rate.
        from: u32,
        /// Output rate.
        to: u32,
        /// rubato's reason.
        #[source]
        source: rubato::ResamplerConstructionError,
    },
    /// rubato failed on a chunk (a buffer sizing bug).
    #[error("resampling failed")]
    Process(#[source] rubato::ResampleError),
}

/// Converts a mono stream from one rate to another, chunk by chunk.
pub struct StreamResampler {
    inner: Option<Box<Fft<f32>>>,
    ratio: f64,
    pending: Vec<f32>,
    scratch: Vec<f32>,
    /// Output frames still to drop: the resampler's startup delay.
    skip: usize,
    frames_in: u64,
    frames_out: u64,
}

impl StreamResampler {
    /// A resampler from `from` to `to`; equal rates pass samples through untouched.
    pub fn new(from: SampleRate, to: SampleRate) -> Result<Self, ResampleError> {
        let ratio = f64::from(to.get()) / f64::from(from.get());
        if from == to {
            return Ok(Self::with(None, ratio));
        }
        let fft = Fft::<f32>::new(
            from.get() as usize,
            to.get() as usize,
            CHUNK_FRAMES,
            1,
            FixedSync::Input,
        )
        .map_err(|source| ResampleError::Construction {
            from: from.get(),
            to: to.get(),
            source,
        })?;
        Ok(Self::with(Some(Box::new(fft)), ratio))
    }

    fn with(inner: Option<Box<Fft<f32>>>, ratio: f64) -> Self {
        let (skip, scratch) = match &inner {
            Some(fft) => (fft.output_delay(), vec![0.0; fft.output_frames_max()]),
            None => (0, Vec::new()),
        };
        Self {
            inner,
            ratio,
            pending: Vec::with_capacity(CHUNK_FRAMES * 2),
            scratch,
            skip,
            frames_in: 0,
            frames_out: 0,
        }
    }

    /// Feed `input`; append whatever output is ready to `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<(), ResampleError> {
        self.frames_in += input.len() as u64;
        if self.inner.is_none() {
            out.extend_from_slice(input);
            self.frames_out += input.len() as u64;
            return Ok(());
        }
        self.pending.extend_from_slice(input);
        let mut consumed = 0;
        while self.pending.len() - consumed >= CHUNK_FRAMES {
            self.run_chunk(consumed, CHUNK_FRAMES, out)?;
            consumed += CHUNK_FRAMES;
        }
        self.pending.drain(..consumed);
        Ok(())
    }

    /// Flush the tail: the output then holds exactly `round(input frames x ratio)` frames.
    pub fn finish(&mut self, out: &mut Vec<f32>) -> Result<(), ResampleError> {
        if self.inner.is_none() {
            return Ok(());
        }
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "frame counts are far below 2^52 and non-negative"
        )]
        let wanted = (self.frames_in as f64 * self.ratio).round() as u64;
        // Zero-padded partial chunks push the remaining real input and the delay out.
        while self.frames_out < wanted {
            let have = self.pending.len();
            let before = out.len();
            self.run_chunk(0, have, out)?;
            self.pending.clear();
            if out.len() == before && have == 0 && self.skip == 0 {
                // A further empty chunk always yields output; this guards against a stall.
                break;
            }
        }
        let excess = self.frames_out.saturating_sub(wanted);
        #[allow(clippy::cast_possible_truncation, reason = "excess is below one chunk")]
        out.truncate(out.len().saturating_sub(excess as usize));
        self.frames_out = wanted;
        Ok(())
    }

    /// Resample `len` frames of `pending` from `start` (zero-padded when short).
    fn run_chunk(
        &mut self,
        start: usize,
        len: usize,
        out: &mut Vec<f32>,
    ) -> Result<(), ResampleError> {
        let Some(fft) = self.inner.as_mut() else {
            return Ok(());
        };
        let frames_needed = fft.input_frames_next();
        let indexing = Indexing {
            input_offset: start,
            output_offset: 0,
            partial_len: (len < frames_needed).then_some(len),
            active_channels_mask: None,
        };
        // A partial chunk needs a buffer of at least start + frames_needed frames.
        if self.pending.len() < start + frames_needed {
            self.pending.resize(start + frames_needed, 0.0);
        }
        let input =
            InterleavedSlice::new(&self.pending[..], 1, self.pending.len()).map_err(|_| {
                ResampleError::Process(rubato::ResampleError::InsufficientInputBufferSize {
                    expected: frames_needed,
                    actual: self.pending.len(),
                })
            })?;
        let frames_out_max = self.scratch.len();
        let mut output = InterleavedSlice::new_mut(&mut self.scratch[..], 1, frames_out_max)
            .map_err(|_| {
                ResampleError::Process(rubato::ResampleError::InsufficientOutputBufferSize {
                    expected: frames_out_max,
                    actual: frames_out_max,
                })
            })?;
        let (_, written) = fft
            .process_into_buffer(&input, &mut output, Some(&indexing))
            .map_err(ResampleError::Process)?;
        let drop = self.skip.min(written);
        self.skip -= drop;
        out.extend_from_slice(&self.scratch[drop..written]);
        self.frames_out += (written - drop) as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(hz: u32) -> SampleRate {
        SampleRate::new(hz).expect("non-zero")
    }

    fn sine(hz: f32, rate: u32, frames: usize) -> Vec<f32> {
        #[allow(clippy::cast_precision_loss)]
        (0..frames)
            .map(|i| (2.0 * std::f32::consts::PI * hz * i as f32 / rate as f32).sin() * 0.5)
            .collect()
    }

    /// Zero crossings per second estimate the frequency of a clean tone.
    fn frequency(samples: &[f32], rate: u32) -> f32 {
        let crossings = samples
            .windows(2)
            .filter(|w| w[0] < 0.0 && w[1] >= 0.0)
            .count();
        #[allow(clippy::cast_precision_loss)]
        let seconds = samples.len() as f32 / rate as f32;
        #[allow(clippy::cast_precision_loss)]
        let hz = crossings as f32 / seconds;
        hz
    }

    #[test]
    fn length_matches_ratio_for_uneven_chunks() {
        for (from, to) in [
            (22050, 48000),
            (22050, 8000),
            (48000, 44100),
            (16000, 16000),
        ] {
            let input = sine(440.0, from, 30_001);
            let mut resampler = StreamResampler::new(rate(from), rate(to)).expect("resampler");
            let mut out = Vec::new();
            for chunk in input.chunks(777) {
                resampler.process(chunk, &mut out).expect("process");
            }
            resampler.finish(&mut out).expect("finish");
            let expected = (30_001.0 * f64::from(to) / f64::from(from)).round() as usize;
            assert_eq!(out.len(), expected, "{from} -> {to}");
        }
    }

    #[test]
    fn tone_keeps_its_frequency_and_level() {
        let input = sine(440.0, 22050, 22050);
        let mut resampler = StreamResampler::new(rate(22050), rate(48000)).expect("resampler");
        let mut out = Vec::new();
        resampler.process(&input, &mut out).expect("process");
        resampler.finish(&mut out).expect("finish");
        let hz = frequency(&out, 48000);
        assert!((hz - 440.0).abs() < 3.0, "got {hz} Hz");
        // The delay is trimmed: the output starts with the tone, not with silence.
        let head_peak = out[..200].iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!(head_peak > 0.3, "the first 200 samples peak at {head_peak}");
        let rms = (out.iter().map(|s| s * s).sum::<f32>() / out.len() as f32).sqrt();
        assert!((rms - 0.5 / 2f32.sqrt()).abs() < 0.02, "rms {rms}");
    }
}
