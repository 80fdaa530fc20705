//! Keeping encoded files whole: bytes reach a file only as complete MP3 frames, Ogg pages or WAV
//! samples, so a run cut short leaves a playable file; and `--append` joins new audio onto an
//! existing file as one valid stream (MP3 frames after its last whole frame, Ogg pages renumbered
//! into its logical stream, a WAV's samples after its data with the header counting them).

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::audio::AudioFormat;

/// What an existing file holds, as far as appending to it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Existing {
    /// Its sample rate; raw PCM has none.
    pub rate: Option<u32>,
}

/// Why a file cannot be appended to: what it holds instead, and how to proceed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfit {
    /// What was found.
    pub found: String,
    /// How to proceed (starts with "; ").
    pub hint: String,
}

fn unfit(found: impl Into<String>, hint: &str) -> Unfit {
    Unfit {
        found: found.into(),
        hint: hint.to_owned(),
    }
}

/// Bytes of a file's start that tell what it holds.
const HEAD: u64 = 64 * 1024;

/// Look at the start of `path` to learn whether audio of `format` can be appended to it.
pub fn inspect(path: &Path, format: AudioFormat) -> io::Result<Result<Existing, Unfit>> {
    let mut head = Vec::new();
    File::open(path)?.take(HEAD).read_to_end(&mut head)?;
    Ok(examine(&head, path.metadata()?.len(), format))
}

/// What a file of `len` bytes starting with `head` holds, for appending `format`.
fn examine(head: &[u8], len: u64, format: AudioFormat) -> Result<Existing, Unfit> {
    let riff = head.starts_with(b"RIFF");
    match format {
        AudioFormat::Pcm if riff => Err(unfit("WAV data", "; use --format wav")),
        AudioFormat::Pcm if !len.is_multiple_of(2) => Err(unfit(
            "an odd number of bytes, so not 16-bit samples",
            "; drop --append",
        )),
        AudioFormat::Pcm => Ok(Existing { rate: None }),
        AudioFormat::Wav => match wav_layout(head) {
            Some(layout) => Ok(Existing {
                rate: Some(layout.rate),
            }),
            None if riff => Err(unfit(
                "a WAV file tts cannot extend (not 16-bit mono PCM)",
                "; drop --append",
            )),
            None => Err(unfit(
                "no WAV header",
                "; append to a .wav file written by tts, or drop --append",
            )),
        },
        AudioFormat::Mp3 => {
            let start = id3_len(head);
            match head.get(start..start + 4).and_then(mp3_frame) {
                Some(frame) => Ok(Existing {
                    rate: Some(frame.rate),
                }),
                None => Err(unfit(
                    "no MP3 frames",
                    "; drop --append or choose another file",
                )),
            }
        }
        AudioFormat::Opus => match opus_head(head) {
            Some(head) => Ok(Existing {
                rate: Some(head.rate),
            }),
            None => Err(unfit(
                "no Ogg Opus stream",
                "; drop --append or choose another file",
            )),
        },
    }
}

/// Where a 16-bit mono PCM WAV's parts sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WavLayout {
    rate: u32,
    /// Offset of the data chunk's size field.
    data_size_at: u64,
    /// Offset of the first sample.
    data_start: u64,
}

/// Parse a WAV header (RIFF chunks up to `data`), if complete and 16-bit mono PCM.
fn wav_layout(bytes: &[u8]) -> Option<WavLayout> {
    if bytes.get(0..4)? != b"RIFF" || bytes.get(8..12)? != b"WAVE" {
        return None;
    }
    let mut at = 12usize;
    let mut rate = None;
    loop {
        let id = bytes.get(at..at + 4)?;
        let size = u32::from_le_bytes(bytes.get(at + 4..at + 8)?.try_into().ok()?) as usize;
        if id == b"data" {
            return Some(WavLayout {
                rate: rate?,
                data_size_at: at as u64 + 4,
                data_start: at as u64 + 8,
            });
        }
        if id == b"fmt " {
            let fmt = bytes.get(at + 8..at + 8 + size.min(16))?;
            let le16 = |i: usize| u16::from_le_bytes([fmt[i], fmt[i + 1]]);
            if fmt.len() < 16 || le16(0) != 1 || le16(2) != 1 || le16(14) != 16 {
                return None;
            }
            rate = Some(u32::from_le_bytes(fmt[4..8].try_into().ok()?));
        }
        // Chunks are padded to an even length.
        at = at.checked_add(8 + size + size % 2)?;
    }
}

/// Length of an ID3v2 tag at the start of `bytes` (0 when there is none).
fn id3_len(bytes: &[u8]) -> usize {
    match bytes.get(0..10) {
        Some(h) if &h[0..3] == b"ID3" => {
            let size = h[6..10]
                .iter()
                .fold(0usize, |acc, b| (acc << 7) | usize::from(b & 0x7f));
            let footer = if h[5] & 0x10 != 0 { 10 } else { 0 };
            10 + size + footer
        }
        _ => 0,
    }
}

/// An MPEG audio Layer III frame header's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mp3Frame {
    rate: u32,
    len: usize,
    /// Samples it decodes to: 1152 for MPEG-1, 576 for MPEG-2 and 2.5.
    samples: u32,
}

fn mp3_frame(h: &[u8]) -> Option<Mp3Frame> {
    if h.len() < 4 || h[0] != 0xff || h[1] & 0xe0 != 0xe0 {
        return None;
    }
    let version = (h[1] >> 3) & 3; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
    let layer = (h[1] >> 1) & 3; // 1: Layer III
    let bitrate_index = usize::from(h[2] >> 4);
    let rate_index = usize::from((h[2] >> 2) & 3);
    if version == 1 || layer != 1 || bitrate_index == 0 || bitrate_index == 15 || rate_index == 3 {
        return None;
    }
    const MPEG1: [u32; 15] = [
        0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
    ];
    const MPEG2: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    let base = [44_100, 48_000, 32_000][rate_index];
    let (rate, kbps, per) = match version {
        3 => (base, MPEG1[bitrate_index], 144_000),
        2 => (base / 2, MPEG2[bitrate_index], 72_000),
        _ => (base / 4, MPEG2[bitrate_index], 72_000),
    };
    let len = (per * kbps / rate + u32::from((h[2] >> 1) & 1)) as usize;
    let samples = if version == 3 { 1152 } else { 576 };
    Some(Mp3Frame { rate, len, samples })
}

/// An Ogg page's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Page {
    len: usize,
    flags: u8,
    granule: u64,
    serial: u32,
    sequence: u32,
    /// Lacing values: a value under 255 ends a packet.
    lacing: Vec<u8>,
    header_len: usize,
}

const CONTINUED: u8 = 0x01;
const BEGINNING: u8 = 0x02;
const END: u8 = 0x04;

fn ogg_page(bytes: &[u8]) -> Option<Page> {
    if bytes.get(0..4)? != b"OggS" {
        return None;
    }
    let segments = usize::from(*bytes.get(26)?);
    let lacing = bytes.get(27..27 + segments)?.to_vec();
    let body: usize = lacing.iter().map(|&l| usize::from(l)).sum();
    Some(Page {
        len: 27 + segments + body,
        flags: bytes[5],
        granule: u64::from_le_bytes(bytes[6..14].try_into().ok()?),
        serial: u32::from_le_bytes(bytes[14..18].try_into().ok()?),
        sequence: u32::from_le_bytes(bytes[18..22].try_into().ok()?),
        lacing,
        header_len: 27 + segments,
    })
}

/// The Ogg checksum: CRC-32, polynomial 0x04c11db7, not reflected, initial value 0.
fn ogg_crc(bytes: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut r = (i as u32) << 24;
            let mut bit = 0;
            while bit < 8 {
                r = if r & 0x8000_0000 != 0 {
                    (r << 1) ^ 0x04c1_1db7
                } else {
                    r << 1
                };
                bit += 1;
            }
            table[i] = r;
            i += 1;
        }
        table
    };
    bytes.iter().fold(0u32, |crc, &b| {
        (crc << 8) ^ TABLE[usize::from(((crc >> 24) as u8) ^ b)]
    })
}

/// Recompute a whole page's checksum in place.
fn seal(page: &mut [u8]) {
    page[22..26].fill(0);
    let crc = ogg_crc(page);
    page[22..26].copy_from_slice(&crc.to_le_bytes());
}

fn page_is_sound(bytes: &[u8], page: &Page) -> bool {
    let mut copy = bytes[..page.len].to_vec();
    let stated = u32::from_le_bytes([copy[22], copy[23], copy[24], copy[25]]);
    copy[22..26].fill(0);
    ogg_crc(&copy) == stated
}

/// The facts of an OpusHead at the start of an Ogg stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OpusHead {
    rate: u32,
    serial: u32,
}

fn opus_head(bytes: &[u8]) -> Option<OpusHead> {
    let page = ogg_page(bytes)?;
    let body = bytes.get(page.header_len..page.len)?;
    if !body.starts_with(b"OpusHead") || body.len() < 16 {
        return None;
    }
    Some(OpusHead {
        rate: u32::from_le_bytes(body[12..16].try_into().ok()?),
        serial: page.serial,
    })
}

/// Where new pages continue an existing Ogg Opus stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OggJoin {
    serial: u32,
    next_sequence: u32,
    /// Samples (at 48 kHz) the existing stream decodes to, whole packets counted.
    base_granule: u64,
}

/// Prepare `file` for appending `format` at `rate`: check what it holds (as [`inspect`] does)
/// before touching it, cut anything after the last whole MP3 frame or Ogg page (a run killed
/// mid-write), and for Ogg clear the end-of-stream mark so the stream goes on. Returns the
/// framer that the new bytes go through.
pub fn prepare_append(
    file: &mut File,
    format: AudioFormat,
    rate: u32,
    label: &str,
) -> io::Result<Result<Framer, Unfit>> {
    // Scanned through a small buffer: an audiobook may be hundreds of megabytes.
    let len = file.metadata()?.len();
    file.rewind()?;
    let mut reader = BufReader::new(&mut *file);
    let mut head = Vec::new();
    (&mut reader).take(HEAD).read_to_end(&mut head)?;
    reader.rewind()?;
    match examine(&head, len, format) {
        Err(unfit) => return Ok(Err(unfit)),
        Ok(Existing { rate: Some(found) }) if found != rate => {
            return Ok(Err(Unfit {
                found: format!("{found} Hz"),
                hint: format!("; add --sample-rate {found}"),
            }));
        }
        Ok(_) => {}
    }
    let framer = match format {
        AudioFormat::Mp3 => {
            let Some(end) = mp3_end(&mut reader, len, &head)? else {
                return Ok(Err(unfit(
                    "data after its MP3 frames that tts cannot place",
                    "; drop --append",
                )));
            };
            drop(reader);
            if end < len {
                tracing::warn!(
                    bytes = len - end,
                    "{label} ended in a cut-off MP3 frame; it was dropped"
                );
            }
            file.set_len(end)?;
            Framer::Mp3(Mp3Framer::appending())
        }
        AudioFormat::Opus => {
            let Some(opus) = opus_head(&head) else {
                return Ok(Err(unfit("no Ogg Opus stream", "; drop --append")));
            };
            let scan = match ogg_end(&mut reader, len, opus.serial)? {
                Ok(scan) => scan,
                Err(unfit) => return Ok(Err(unfit)),
            };
            drop(reader);
            if scan.end < len {
                tracing::warn!(
                    bytes = len - scan.end,
                    "{label} ended in a cut-off Ogg page; it was dropped"
                );
            }
            file.set_len(scan.end)?;
            if scan.last_page[5] & END != 0 {
                // The stream goes on: its last page is no longer its end.
                let mut page = scan.last_page;
                page[5] &= !END;
                seal(&mut page);
                file.seek(SeekFrom::Start(scan.last_at))?;
                file.write_all(&page)?;
            }
            Framer::Ogg(OggFramer {
                buffer: Vec::new(),
                join: Some(OggJoin {
                    serial: opus.serial,
                    next_sequence: scan.last_sequence.wrapping_add(1),
                    base_granule: scan.samples,
                }),
                skipping_headers: false,
                samples: 0,
                packet_start: None,
                written: None,
                held: None,
                samples_at_join: 0,
            })
        }
        AudioFormat::Wav => {
            drop(reader);
            let Some(layout) = wav_layout(&head) else {
                return Ok(Err(unfit(
                    "no WAV header tts can extend",
                    "; drop --append",
                )));
            };
            // An odd trailing byte is half a sample from a run cut short.
            let data = len.saturating_sub(layout.data_start) & !1;
            file.set_len(layout.data_start + data)?;
            Framer::Wav(WavFramer {
                buffer: Vec::new(),
                layout: Some(layout),
                drop_header: true,
                raw: false,
                header_done: false,
                data_bytes: 0,
            })
        }
        AudioFormat::Pcm => Framer::Pcm,
    };
    file.seek(SeekFrom::End(0))?;
    Ok(Ok(framer))
}

/// Where an MP3 file's last whole frame ends; `None` when something other than a cut-off frame
/// follows its frames (not ours to drop).
fn mp3_end(reader: &mut BufReader<&mut File>, len: u64, head: &[u8]) -> io::Result<Option<u64>> {
    let mut at = id3_len(head) as u64;
    let mut header = [0u8; 4];
    reader.seek(SeekFrom::Start(at))?;
    loop {
        if at + 4 > len {
            // Fewer bytes than a header: a cut-off frame, or nothing.
            return Ok(Some(at));
        }
        reader.read_exact(&mut header)?;
        let Some(frame) = mp3_frame(&header) else {
            return Ok(None);
        };
        if at + frame.len as u64 > len {
            return Ok(Some(at));
        }
        at += frame.len as u64;
        // Relative, so the reader keeps its buffer: a frame is a few hundred bytes.
        reader.seek_relative(i64::try_from(frame.len).unwrap_or(i64::MAX) - 4)?;
    }
}

/// What appending to an Ogg Opus file needs to know of it.
struct OggScan {
    /// Where its last whole page ends.
    end: u64,
    /// Where that page starts, its bytes and its sequence number.
    last_at: u64,
    last_page: Vec<u8>,
    last_sequence: u32,
    /// Samples (48 kHz) its packets decode to.
    samples: u64,
}

/// Walk an Ogg file page by page, checking each one's checksum.
fn ogg_end(
    reader: &mut BufReader<&mut File>,
    len: u64,
    serial: u32,
) -> io::Result<Result<OggScan, Unfit>> {
    let mut scan = OggScan {
        end: 0,
        last_at: 0,
        last_page: Vec::new(),
        last_sequence: 0,
        samples: 0,
    };
    let mut packet_start = None;
    let mut page_bytes = Vec::new();
    // Pages are read whole and in order: the reader is always at the next one.
    reader.seek(SeekFrom::Start(0))?;
    loop {
        let at = scan.end;
        let mut header = [0u8; 27];
        if at + 27 > len {
            break;
        }
        reader.read_exact(&mut header)?;
        if &header[0..4] != b"OggS" {
            return Ok(Err(unfit(
                "data after its Ogg pages that tts cannot place",
                "; drop --append",
            )));
        }
        let segments = usize::from(header[26]);
        if at + 27 + segments as u64 > len {
            break;
        }
        page_bytes.clear();
        page_bytes.extend_from_slice(&header);
        page_bytes.resize(27 + segments, 0);
        reader.read_exact(&mut page_bytes[27..])?;
        let body: usize = page_bytes[27..].iter().map(|&l| usize::from(l)).sum();
        if at + (27 + segments + body) as u64 > len {
            break; // cut off
        }
        page_bytes.resize(27 + segments + body, 0);
        reader.read_exact(&mut page_bytes[27 + segments..])?;
        let Some(page) = ogg_page(&page_bytes) else {
            break;
        };
        if !page_is_sound(&page_bytes, &page) {
            return Ok(Err(unfit(
                "an Ogg page whose checksum is wrong",
                "; drop --append",
            )));
        }
        if page.serial != serial {
            return Ok(Err(unfit("more than one Ogg stream", "; drop --append")));
        }
        scan.samples += page_samples(&page_bytes, &page, &mut packet_start);
        scan.last_at = at;
        scan.last_sequence = page.sequence;
        scan.last_page.clone_from(&page_bytes);
        scan.end = at + page.len as u64;
    }
    if scan.last_page.is_empty() {
        return Ok(Err(unfit("no whole Ogg page", "; drop --append")));
    }
    // What follows the last whole page may be dropped only if it is one page cut off by a run
    // that stopped mid-write: shorter than the largest page, with no page starting after it.
    let rest = len - scan.end;
    if rest > 0 {
        const LARGEST_PAGE: u64 = 27 + 255 + 255 * 255;
        let mut tail = Vec::new();
        reader.seek(SeekFrom::Start(scan.end))?;
        reader.take(LARGEST_PAGE + 1).read_to_end(&mut tail)?;
        let another = tail.windows(4).skip(1).any(|w| w == b"OggS");
        if rest > LARGEST_PAGE || another {
            return Ok(Err(unfit(
                "a damaged Ogg page before its end",
                "; drop --append",
            )));
        }
    }
    Ok(Ok(scan))
}

/// Samples (48 kHz) of the Opus packets that end in this page; `packet_start` carries the
/// first bytes of a packet that continues onto the next page.
fn page_samples(bytes: &[u8], page: &Page, packet_start: &mut Option<Vec<u8>>) -> u64 {
    let mut total = 0u64;
    let mut at = page.header_len;
    for &l in &page.lacing {
        let piece = &bytes[at..at + usize::from(l)];
        at += usize::from(l);
        let start = packet_start.get_or_insert_with(Vec::new);
        if start.len() < 2 {
            start.extend(piece.iter().take(2 - start.len()));
        }
        if l < 255
            && let Some(first) = packet_start.take()
        {
            total += opus_packet_samples(&first);
        }
    }
    total
}

/// Samples at 48 kHz in an Opus packet, from its first two bytes (libopus reads no more);
/// headers (OpusHead, OpusTags) count as none.
fn opus_packet_samples(first: &[u8]) -> u64 {
    if first.starts_with(b"Op") {
        return 0;
    }
    opus::packet::get_nb_samples(first, 48_000).map_or(0, |n| n as u64)
}

/// Passes encoded bytes on to the file only in whole units, adapting them when appending.
#[derive(Debug)]
pub enum Framer {
    /// Raw samples: whole by the pair of bytes, which the writer already ensures.
    Pcm,
    /// MP3: whole frames.
    Mp3(Mp3Framer),
    /// Ogg: whole pages, renumbered into the existing stream when appending.
    Ogg(OggFramer),
    /// WAV: the header, then whole samples; the header's sizes are fixed at close.
    Wav(WavFramer),
}

impl Framer {
    /// A framer for a new file of `format`.
    pub fn new(format: AudioFormat) -> Self {
        match format {
            AudioFormat::Pcm => Self::Pcm,
            AudioFormat::Mp3 => Self::Mp3(Mp3Framer {
                buffer: Vec::new(),
                at_start: true,
                drop_tag: false,
                lost: false,
                samples: 0,
                rate: 0,
            }),
            AudioFormat::Opus => Self::Ogg(OggFramer {
                buffer: Vec::new(),
                join: None,
                skipping_headers: false,
                samples: 0,
                packet_start: None,
                written: None,
                held: None,
                samples_at_join: 0,
            }),
            AudioFormat::Wav => Self::Wav(WavFramer {
                buffer: Vec::new(),
                layout: None,
                drop_header: false,
                raw: false,
                header_done: false,
                data_bytes: 0,
            }),
        }
    }

    /// The samples of a WAV stream without its header (playing the service's WAV as PCM).
    pub fn wav_body() -> Self {
        Self::Wav(WavFramer {
            buffer: Vec::new(),
            layout: None,
            drop_header: true,
            raw: false,
            header_done: false,
            data_bytes: 0,
        })
    }

    /// Take `bytes`; append to `out` whatever completes a unit.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        match self {
            Self::Pcm => out.extend_from_slice(bytes),
            Self::Mp3(framer) => framer.push(bytes, out),
            Self::Ogg(framer) => framer.push(bytes, out),
            Self::Wav(framer) => framer.push(bytes, out),
        }
    }

    /// Bytes held back because their unit is not complete: written at a normal end (they are
    /// what the source sent), dropped when the run was cut short.
    pub fn rest(&mut self) -> Vec<u8> {
        match self {
            Self::Pcm => Vec::new(),
            Self::Mp3(f) => std::mem::take(&mut f.buffer),
            Self::Ogg(f) => std::mem::take(&mut f.buffer),
            Self::Wav(f) => std::mem::take(&mut f.buffer),
        }
    }

    /// A whole Ogg page that ended its stream, held back in case another stream joins: it
    /// belongs in the file however the run ends.
    pub fn held(&mut self) -> Vec<u8> {
        match self {
            Self::Ogg(f) => f.held.take().unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// The bytes that follow are a new stream of the same format (a new task or response of
    /// the service): it joins the one so far as [`prepare_append`] joins a file: a WAV's header
    /// dropped, an MP3's tag dropped, an Ogg stream's header pages dropped and its pages
    /// renumbered into the first stream. Nothing happens before any bytes passed.
    pub fn next_stream(&mut self) {
        match self {
            Self::Pcm => {}
            Self::Mp3(f) => {
                if !f.at_start && !f.lost {
                    // An unfinished frame at the end of a stream cannot be played.
                    f.buffer.clear();
                    f.at_start = true;
                    f.drop_tag = true;
                }
            }
            Self::Wav(f) => {
                if f.header_done && !f.raw {
                    f.buffer.clear();
                    f.header_done = false;
                    f.drop_header = true;
                }
            }
            Self::Ogg(f) => {
                let Some((serial, next_sequence)) = f.written else {
                    return;
                };
                f.buffer.clear();
                f.packet_start = None;
                let base =
                    f.join.as_ref().map_or(0, |j| j.base_granule) + (f.samples - f.samples_at_join);
                f.samples_at_join = f.samples;
                f.join = Some(OggJoin {
                    serial,
                    next_sequence,
                    base_granule: base,
                });
                // The stream goes on: the end mark of the page held back is cleared.
                if let Some(page) = f.held.as_mut() {
                    page[5] &= !END;
                    seal(page);
                }
            }
        }
    }

    /// Seconds of audio passed on so far (for subtitle times); `None` for raw PCM, whose rate
    /// the framer does not know.
    pub fn seconds(&self) -> Option<f64> {
        #[allow(
            clippy::cast_precision_loss,
            reason = "sample counts stay far below 2^52"
        )]
        match self {
            Self::Pcm => None,
            Self::Mp3(f) if f.rate > 0 => Some(f.samples as f64 / f64::from(f.rate)),
            Self::Mp3(_) => Some(0.0),
            Self::Ogg(f) => Some(f.samples as f64 / 48_000.0),
            Self::Wav(f) => match f.layout {
                Some(layout) if layout.rate > 0 => {
                    Some(f.data_bytes as f64 / 2.0 / f64::from(layout.rate))
                }
                _ => Some(0.0),
            },
        }
    }

    /// Make a WAV file's header count what the file holds; other formats need nothing.
    pub fn close(&self, file: &mut File) -> io::Result<()> {
        let Self::Wav(WavFramer {
            layout: Some(layout),
            ..
        }) = self
        else {
            return Ok(());
        };
        let len = file.seek(SeekFrom::End(0))?;
        let data = u32::try_from(len.saturating_sub(layout.data_start) & !1).unwrap_or(!1);
        let riff = u32::try_from(len - 8).unwrap_or(u32::MAX);
        file.seek(SeekFrom::Start(4))?;
        file.write_all(&riff.to_le_bytes())?;
        file.seek(SeekFrom::Start(layout.data_size_at))?;
        file.write_all(&data.to_le_bytes())?;
        file.seek(SeekFrom::End(0))?;
        Ok(())
    }
}

/// Whole MP3 frames.
#[derive(Debug)]
pub struct Mp3Framer {
    buffer: Vec<u8>,
    at_start: bool,
    /// An ID3 tag opening the new audio would sit mid-file when appending: dropped.
    drop_tag: bool,
    /// The bytes stopped looking like frames: passed on as they are from then on.
    lost: bool,
    /// Samples in the frames passed on, and their rate.
    samples: u64,
    rate: u32,
}

impl Mp3Framer {
    fn appending() -> Self {
        Self {
            buffer: Vec::new(),
            at_start: true,
            drop_tag: true,
            lost: false,
            samples: 0,
            rate: 0,
        }
    }

    fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        if self.lost {
            out.extend_from_slice(bytes);
            return;
        }
        self.buffer.extend_from_slice(bytes);
        let mut at = 0;
        if self.at_start {
            if self.buffer.len() < 10 {
                return;
            }
            let tag = id3_len(&self.buffer);
            if self.buffer.len() < tag {
                return;
            }
            if !self.drop_tag {
                out.extend_from_slice(&self.buffer[..tag]);
            }
            at = tag;
            self.at_start = false;
        }
        while let Some(header) = self.buffer.get(at..at + 4) {
            let Some(frame) = mp3_frame(header) else {
                tracing::debug!("the MP3 stream lost frame sync; passing bytes through");
                self.lost = true;
                out.extend_from_slice(&self.buffer[at..]);
                at = self.buffer.len();
                break;
            };
            if at + frame.len > self.buffer.len() {
                break;
            }
            out.extend_from_slice(&self.buffer[at..at + frame.len]);
            at += frame.len;
            self.samples += u64::from(frame.samples);
            self.rate = frame.rate;
        }
        self.buffer.drain(..at);
    }
}

/// Whole Ogg pages.
#[derive(Debug)]
pub struct OggFramer {
    buffer: Vec<u8>,
    join: Option<OggJoin>,
    /// Dropping a new stream's OpusTags, which may span pages.
    skipping_headers: bool,
    /// Samples (48 kHz) of the packets passed on.
    samples: u64,
    /// The first bytes of a packet that continues onto the next page.
    packet_start: Option<Vec<u8>>,
    /// The serial and next sequence number of the stream written, once a page went out.
    written: Option<(u32, u32)>,
    /// A page marking the end of its stream, held back until it is known whether another
    /// stream joins (then its mark is cleared).
    held: Option<Vec<u8>>,
    /// `samples` when the current join began.
    samples_at_join: u64,
}

impl OggFramer {
    /// Pass a finished page on, holding back one that ends its stream.
    fn emit(&mut self, page: Vec<u8>, out: &mut Vec<u8>) {
        if let Some(held) = self.held.take() {
            out.extend_from_slice(&held);
        }
        if let (Some(serial), Some(sequence)) = (
            page.get(14..18)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes),
            page.get(18..22)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes),
        ) {
            self.written = Some((serial, sequence.wrapping_add(1)));
        }
        if page.get(5).is_some_and(|flags| flags & END != 0) {
            self.held = Some(page);
        } else {
            out.extend_from_slice(&page);
        }
    }

    fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        self.buffer.extend_from_slice(bytes);
        let mut at = 0;
        let mut pages = Vec::new();
        while let Some(page) = ogg_page(&self.buffer[at..]) {
            if at + page.len > self.buffer.len() {
                break;
            }
            let raw = &self.buffer[at..at + page.len];
            self.samples += page_samples(raw, &page, &mut self.packet_start);
            match self.join.as_mut() {
                None => pages.push(raw.to_vec()),
                Some(join) => {
                    let body = &raw[page.header_len..];
                    let header_page =
                        body.starts_with(b"OpusHead") || body.starts_with(b"OpusTags");
                    let continued = page.flags & CONTINUED != 0;
                    if header_page || (continued && self.skipping_headers) {
                        self.skipping_headers = true;
                    } else {
                        self.skipping_headers = false;
                        let mut joined = raw.to_vec();
                        joined[5] &= !BEGINNING;
                        if page.granule != u64::MAX {
                            let granule = join.base_granule + page.granule;
                            joined[6..14].copy_from_slice(&granule.to_le_bytes());
                        }
                        joined[14..18].copy_from_slice(&join.serial.to_le_bytes());
                        joined[18..22].copy_from_slice(&join.next_sequence.to_le_bytes());
                        join.next_sequence = join.next_sequence.wrapping_add(1);
                        seal(&mut joined);
                        pages.push(joined);
                    }
                }
            }
            at += page.len;
        }
        self.buffer.drain(..at);
        for page in pages {
            self.emit(page, out);
        }
    }
}

/// A WAV header, then whole 16-bit samples.
#[derive(Debug)]
pub struct WavFramer {
    buffer: Vec<u8>,
    /// Known once the header has passed (or from the existing file when appending).
    layout: Option<WavLayout>,
    /// Appending: the new stream's header is dropped; its samples join the existing data.
    drop_header: bool,
    /// No header came: bytes pass through as they are.
    raw: bool,
    /// The new stream's header has gone by.
    header_done: bool,
    /// Sample bytes passed on.
    data_bytes: u64,
}

impl WavFramer {
    fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        if self.raw {
            out.extend_from_slice(bytes);
            return;
        }
        self.buffer.extend_from_slice(bytes);
        if !self.header_done {
            // Wait for the whole header; a stream that never shows one passes through as is.
            let Some(header) = wav_layout(&self.buffer) else {
                if self.buffer.len() > 4096 {
                    tracing::debug!("no WAV header in the first 4 KiB; passing bytes through");
                    self.drop_header = false;
                    self.raw = true;
                    out.append(&mut self.buffer);
                }
                return;
            };
            let end = usize::try_from(header.data_start).unwrap_or(usize::MAX);
            if !self.drop_header {
                out.extend_from_slice(&self.buffer[..end]);
                self.layout = Some(header);
            }
            self.buffer.drain(..end);
            self.header_done = true;
        }
        let whole = self.buffer.len() & !1;
        out.extend_from_slice(&self.buffer[..whole]);
        self.buffer.drain(..whole);
        self.data_bytes += whole as u64;
    }
}

/// Open `path` for appending in place.
pub fn open_for_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).write(true).open(path)
}

#[cfg(test)]
mod tests;
