//! Playback of encoded audio (the service's MP3 or Ogg Opus): a decode thread in front of the
//! player.

use crate::audio::decode::{Block, StreamDecoder};
use crate::audio::{AudioFormat, SampleRate};

use super::device::{Device, Player};
use super::{AudioSink, OutputError, SinkReport};

/// Decodes encoded bytes as they arrive and plays the samples. The player starts at the rate of
/// the first decoded block, which is the stream's own.
pub struct DecodingPlayer {
    decoder: Option<StreamDecoder>,
    device: Option<Device>,
    player: Option<Player>,
    format: AudioFormat,
}

impl DecodingPlayer {
    /// Start decoding `format` for the opened `device`.
    pub fn new(device: Device, format: AudioFormat) -> Result<Self, OutputError> {
        Ok(Self {
            decoder: Some(StreamDecoder::start(format)?),
            device: Some(device),
            player: None,
            format,
        })
    }

    fn play(&mut self, block: &Block) -> Result<(), OutputError> {
        if self.player.is_none() {
            let (Some(device), Some(rate)) = (self.device.take(), SampleRate::new(block.rate))
            else {
                return Ok(());
            };
            self.player = Some(Player::new(device, rate)?);
        }
        match self.player.as_mut() {
            Some(player) => player.write(&block.samples),
            None => Ok(()),
        }
    }

    /// Play whatever the decoder has ready, without waiting for more.
    fn play_ready(&mut self) -> Result<(), OutputError> {
        while let Some(block) = self.decoder.as_ref().and_then(StreamDecoder::try_next) {
            self.play(&block)?;
        }
        Ok(())
    }
}

impl AudioSink for DecodingPlayer {
    fn write(&mut self, _samples: &[i16]) -> Result<(), OutputError> {
        Err(OutputError::NotSamples {
            format: self.format,
        })
    }

    fn write_encoded(&mut self, bytes: &[u8]) -> Result<(), OutputError> {
        let mut ready = Vec::new();
        if let Some(decoder) = &self.decoder {
            decoder.push(bytes.to_vec(), &mut ready);
        }
        for block in &ready {
            self.play(block)?;
        }
        self.play_ready()
    }

    fn poll(&mut self) -> Result<(), OutputError> {
        self.play_ready()?;
        // The player looks after its device (a failed stream is rebuilt) while nothing comes.
        match self.player.as_mut() {
            Some(player) => player.poll(),
            None => Ok(()),
        }
    }

    fn finish(mut self: Box<Self>) -> Result<SinkReport, OutputError> {
        if let Some(decoder) = self.decoder.take() {
            let mut failed = None;
            let summary = decoder.finish(|block| match self.play(&block) {
                Ok(()) => true,
                Err(err) => {
                    failed = Some(err);
                    false
                }
            });
            if let Some(err) = failed {
                return Err(err);
            }
            let summary = summary?;
            if summary.skipped > 0 {
                tracing::warn!(
                    skipped = summary.skipped,
                    "some of the {} stream could not be decoded and was skipped",
                    self.format
                );
            }
        }
        match self.player.take() {
            Some(player) => Box::new(player).finish(),
            None => Ok(SinkReport::default()),
        }
    }

    fn interrupt(mut self: Box<Self>) -> Result<SinkReport, OutputError> {
        self.decoder = None;
        match self.player.take() {
            Some(player) => Box::new(player).interrupt(),
            None => Ok(SinkReport::default()),
        }
    }
}
