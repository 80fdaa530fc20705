//! Audio files and standard output: WAV and raw PCM, written as chunks arrive.
//!
//! A new file is written under a temporary name beside the target and renamed when complete, so
//! a failure never leaves a half-written file in its place. A WAV's header is brought up to date
//! every half second of audio and at the end, so even an interrupted run leaves a valid file,
//! which Ctrl-C keeps. `--append` extends an existing file in place after checking it matches.
//! Runs on the pipeline thread.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use super::framing::{self, Framer};
use super::{AudioSink, OutputError, SinkReport};
use crate::audio::encode::{self, Encoder};
use crate::audio::resample::StreamResampler;
use crate::audio::{AudioFormat, SampleRate, f32_to_i16, i16_to_f32};

/// Where the file sink writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A file path.
    Path(PathBuf),
    /// Standard output (`-o -`).
    Stdout,
}

/// A file sink's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOptions {
    /// Where to write.
    pub target: Target,
    /// [`AudioFormat::Wav`] or [`AudioFormat::Pcm`].
    pub format: AudioFormat,
    /// The rate to write at; `None` keeps the engine's rate.
    pub sample_rate: Option<SampleRate>,
    /// Add to an existing file instead of replacing it.
    pub append: bool,
    /// The bit rate (kbps) of MP3 or Opus encoded here; `None` is the encoder's default.
    pub bit_rate: Option<u32>,
}

/// How often (in seconds of audio) a WAV header is rewritten while writing.
const HEADER_EVERY_SECONDS: u32 = 1;

enum Writer {
    Wav(hound::WavWriter<BufWriter<File>>),
    Pcm(BufWriter<File>),
    /// Standard output, a device or a FIFO: written through, never renamed onto.
    Stream(BufWriter<Box<dyn Write + Send>>),
}

/// Where the bytes end up once complete.
enum Landing {
    /// Rename the temporary file onto the target.
    Rename {
        temp: tempfile::TempPath,
        target: PathBuf,
        /// Listed while unfinished, for [`remove_unfinished`].
        _listed: Unfinished,
    },
    /// Written in place (append) or to stdout.
    InPlace,
}

/// Temporary files being written: a process that must exit at once (a second Ctrl-C) runs no
/// destructors, so it removes them through [`remove_unfinished`] instead.
static UNFINISHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A temporary file's place in [`UNFINISHED`], given up when it is renamed or dropped.
struct Unfinished(PathBuf);

impl Unfinished {
    fn list(path: &Path) -> Self {
        let mut listed = UNFINISHED.lock().unwrap_or_else(PoisonError::into_inner);
        listed.push(path.to_owned());
        Self(path.to_owned())
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        let mut listed = UNFINISHED.lock().unwrap_or_else(PoisonError::into_inner);
        listed.retain(|p| p != &self.0);
    }
}

/// Remove every temporary file still being written; for an exit that skips destructors.
pub fn remove_unfinished() {
    remove_unfinished_where(|_| true);
}

fn remove_unfinished_where(pick: impl Fn(&Path) -> bool) {
    let listed = UNFINISHED.lock().unwrap_or_else(PoisonError::into_inner);
    for path in listed.iter().filter(|p| pick(p)) {
        let _ = fs::remove_file(path);
    }
}

/// Refuse to replace a file whose permissions say read-only. A new file is renamed over the
/// target, which the directory's permissions allow whatever the file's own say (and root may
/// write anything), so the file's mode is checked here, as `cp` and `rm -i` heed it.
pub fn check_replaceable(path: &Path) -> Result<(), OutputError> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.permissions().readonly() => Err(OutputError::ReadOnly {
            path: path.display().to_string(),
        }),
        _ => Ok(()),
    }
}

/// Whether two paths name one file, also through hard links and symbolic links.
pub fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(first), Ok(second)) = (fs::metadata(a), fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        first.dev() == second.dev() && first.ino() == second.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (first, second);
        matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
    }
}

/// Writes mono 16-bit audio as WAV or raw PCM.
pub struct FileSink {
    writer: Writer,
    landing: Landing,
    label: String,
    resampler: StreamResampler,
    rate: u32,
    frames: u64,
    frames_since_header: u64,
    floats: Vec<f32>,
    resampled: Vec<f32>,
    samples: Vec<i16>,
    /// Set when storing a service's encoded bytes unchanged.
    encoded: Option<AudioFormat>,
    /// Set when encoding samples to MP3 or Ogg Opus here.
    encoder: Option<Box<dyn Encoder>>,
    /// Encoded bytes reach the file only as whole frames, pages or samples.
    framer: Option<Framer>,
}

impl FileSink {
    /// Open the target to store encoded audio in `options.format` unchanged, as it arrives
    /// (the service already speaks the format asked for). `rate` is the audio's rate.
    pub fn passthrough(options: &FileOptions, rate: SampleRate) -> Result<Self, OutputError> {
        let at_rate = FileOptions {
            sample_rate: Some(rate),
            ..options.clone()
        };
        let mut sink = Self::open_with(&at_rate, rate, Some(options.format))?;
        sink.encoded = Some(options.format);
        Ok(sink)
    }

    /// Open the target for audio arriving at `input_rate`.
    pub fn open(options: &FileOptions, input_rate: SampleRate) -> Result<Self, OutputError> {
        if matches!(options.format, AudioFormat::Mp3 | AudioFormat::Opus) {
            // Encoded here, frame by frame, into a destination that takes bytes.
            let rate = options.sample_rate.unwrap_or(input_rate);
            let mut sink = Self::open_with(options, input_rate, Some(options.format))?;
            sink.encoder = Some(encode::encoder(options.format, rate, options.bit_rate)?);
            return Ok(sink);
        }
        Self::open_with(options, input_rate, None)
    }

    /// Open the target for samples (`bytes` is `None`: WAV through hound, or PCM) or for
    /// encoded bytes of the format `bytes`, written as they come through a [`Framer`].
    fn open_with(
        options: &FileOptions,
        input_rate: SampleRate,
        bytes: Option<AudioFormat>,
    ) -> Result<Self, OutputError> {
        let rate = options.sample_rate.unwrap_or(input_rate);
        let mut framer = bytes.map(Framer::new);
        // What the writer itself sees: samples as WAV, or bytes as they are.
        let written = if bytes.is_some() {
            AudioFormat::Pcm
        } else {
            options.format
        };
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate.get(),
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let (writer, landing, label) = match &options.target {
            Target::Stdout => {
                let out: Box<dyn Write + Send> = Box::new(io::stdout());
                let label = "standard output".to_owned();
                (
                    stream(out, written, rate.get(), &label)?,
                    Landing::InPlace,
                    label,
                )
            }
            // `-o /dev/null` or a FIFO: a temporary file renamed onto it would replace it.
            Target::Path(path) if path.metadata().is_ok_and(|m| !m.is_file()) => {
                let label = path.display().to_string();
                let file = OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|source| OutputError::Io {
                        path: label.clone(),
                        source,
                    })?;
                let out: Box<dyn Write + Send> = Box::new(file);
                (
                    stream(out, written, rate.get(), &label)?,
                    Landing::InPlace,
                    label,
                )
            }
            Target::Path(path) if options.append && path.exists() => {
                let label = path.display().to_string();
                check_replaceable(path)?;
                let writer = if written == AudioFormat::Wav {
                    open_append(path, spec, &label)?
                } else {
                    let format = bytes.unwrap_or(AudioFormat::Pcm);
                    let (file, joined) = open_raw_append(path, format, rate.get(), &label)?;
                    framer = Some(joined);
                    Writer::Pcm(BufWriter::new(file))
                };
                (writer, Landing::InPlace, label)
            }
            Target::Path(path) => {
                let label = path.display().to_string();
                check_replaceable(path)?;
                let io_err = |source| OutputError::Io {
                    path: label.clone(),
                    source,
                };
                let dir = match path.parent() {
                    Some(dir) if !dir.as_os_str().is_empty() => dir,
                    _ => Path::new("."),
                };
                let name = path
                    .file_name()
                    .map_or_else(|| "out".into(), |n| n.to_string_lossy());
                let temp = tempfile::Builder::new()
                    .prefix(&format!(".{name}."))
                    .suffix(".part")
                    .tempfile_in(dir)
                    .map_err(io_err)?;
                let (file, temp) = temp.into_parts();
                let writer = match written {
                    AudioFormat::Wav => {
                        Writer::Wav(hound::WavWriter::new(BufWriter::new(file), spec).map_err(
                            |source| OutputError::Wav {
                                path: label.clone(),
                                source,
                            },
                        )?)
                    }
                    _ => Writer::Pcm(BufWriter::new(file)),
                };
                (
                    writer,
                    Landing::Rename {
                        _listed: Unfinished::list(&temp),
                        temp,
                        target: path.clone(),
                    },
                    label,
                )
            }
        };
        Ok(Self {
            writer,
            landing,
            label,
            resampler: StreamResampler::new(input_rate, rate)?,
            rate: rate.get(),
            frames: 0,
            frames_since_header: 0,
            floats: Vec::new(),
            resampled: Vec::new(),
            samples: Vec::new(),
            encoded: None,
            encoder: None,
            framer,
        })
    }

    fn write_samples(&mut self, samples: &[i16]) -> Result<(), OutputError> {
        if let Some(encoder) = self.encoder.as_mut() {
            let mut bytes = Vec::new();
            encoder.encode(samples, &mut bytes)?;
            self.write_raw(&bytes)?;
            self.frames += samples.len() as u64;
            return Ok(());
        }
        let label = &self.label;
        match &mut self.writer {
            Writer::Wav(w) => {
                let mut writer = w.get_i16_writer(u32::try_from(samples.len()).unwrap_or(u32::MAX));
                for &s in samples {
                    writer.write_sample(s);
                }
                writer.flush().map_err(|source| OutputError::Wav {
                    path: label.clone(),
                    source,
                })?;
            }
            Writer::Pcm(w) => {
                w.write_all(&le_bytes(samples))
                    .map_err(|source| OutputError::Io {
                        path: label.clone(),
                        source,
                    })?;
            }
            Writer::Stream(w) => w
                .write_all(&le_bytes(samples))
                .map_err(|e| stream_error(e, label))?,
        }
        self.frames += samples.len() as u64;
        self.frames_since_header += samples.len() as u64;
        if self.frames_since_header >= u64::from(self.rate * HEADER_EVERY_SECONDS) {
            self.frames_since_header = 0;
            self.sync()?;
        }
        Ok(())
    }

    /// Encoded bytes, whole unit by whole unit, into a raw destination.
    fn write_raw(&mut self, bytes: &[u8]) -> Result<(), OutputError> {
        match self.framer.as_mut() {
            Some(framer) => {
                let mut whole = Vec::with_capacity(bytes.len());
                framer.push(bytes, &mut whole);
                self.write_through(&whole)
            }
            None => self.write_through(bytes),
        }
    }

    fn write_through(&mut self, bytes: &[u8]) -> Result<(), OutputError> {
        let label = &self.label;
        match &mut self.writer {
            Writer::Pcm(w) => w.write_all(bytes).map_err(|source| OutputError::Io {
                path: label.clone(),
                source,
            }),
            Writer::Stream(w) => w.write_all(bytes).map_err(|e| stream_error(e, label)),
            Writer::Wav(_) => Err(OutputError::NotEncoded),
        }
    }

    /// Make what was written so far valid and on disk (a WAV's header counts every sample).
    fn sync(&mut self) -> Result<(), OutputError> {
        let label = &self.label;
        match &mut self.writer {
            Writer::Wav(w) => w.flush().map_err(|source| OutputError::Wav {
                path: label.clone(),
                source,
            }),
            Writer::Pcm(w) => w.flush().map_err(|source| OutputError::Io {
                path: label.clone(),
                source,
            }),
            Writer::Stream(w) => w.flush().map_err(|e| stream_error(e, label)),
        }
    }

    /// Seconds of audio in the file so far: counted samples, or for the service's encoded
    /// bytes, what the whole frames, pages or samples passed on decode to.
    fn seconds_written(&self) -> f64 {
        if self.encoded.is_some()
            && let Some(seconds) = self.framer.as_ref().and_then(Framer::seconds)
        {
            return seconds;
        }
        #[allow(
            clippy::cast_precision_loss,
            reason = "frame counts stay far below 2^52"
        )]
        let seconds = self.frames as f64 / f64::from(self.rate);
        seconds
    }

    /// Close the writer (final header, or the encoder's last frames) and move the file into
    /// place. `complete` is false after Ctrl-C: a unit cut off mid-way is left out.
    fn close(mut self, complete: bool) -> Result<SinkReport, OutputError> {
        if let Some(mut encoder) = self.encoder.take() {
            let mut tail = Vec::new();
            encoder.finish(&mut tail)?;
            self.write_raw(&tail)?;
        }
        if let Some(held) = self.framer.as_mut().map(Framer::held) {
            self.write_through(&held)?;
        }
        if let Some(rest) = self.framer.as_mut().map(Framer::rest) {
            if complete {
                self.write_through(&rest)?;
            } else if !rest.is_empty() {
                tracing::debug!(bytes = rest.len(), "left out a cut-off frame");
            }
        }
        let seconds = self.seconds_written();
        let label = self.label;
        match self.writer {
            Writer::Wav(w) => w.finalize().map_err(|source| OutputError::Wav {
                path: label.clone(),
                source,
            })?,
            Writer::Pcm(mut w) => {
                let io_err = |source| OutputError::Io {
                    path: label.clone(),
                    source,
                };
                w.flush().map_err(io_err)?;
                if let Some(framer) = &self.framer {
                    framer.close(w.get_mut()).map_err(io_err)?;
                }
            }
            Writer::Stream(mut w) => w.flush().map_err(|e| stream_error(e, &label))?,
        }
        // Cut short before any audio: there is nothing worth keeping in the target's place.
        if !complete && seconds == 0.0 && matches!(self.landing, Landing::Rename { .. }) {
            return Ok(SinkReport::default());
        }
        if let Landing::Rename { temp, target, .. } = self.landing {
            let io_err = |source| OutputError::Io {
                path: label.clone(),
                source,
            };
            set_readable(&temp).map_err(io_err)?;
            temp.persist(&target).map_err(|e| io_err(e.error))?;
        }
        Ok(SinkReport {
            seconds,
            ..SinkReport::default()
        })
    }
}

impl AudioSink for FileSink {
    fn write(&mut self, samples: &[i16]) -> Result<(), OutputError> {
        self.floats.clear();
        i16_to_f32(samples, &mut self.floats);
        let mut resampled = std::mem::take(&mut self.resampled);
        resampled.clear();
        self.resampler.process(&self.floats, &mut resampled)?;
        let mut converted = std::mem::take(&mut self.samples);
        converted.clear();
        f32_to_i16(&resampled, &mut converted);
        let written = self.write_samples(&converted);
        self.resampled = resampled;
        self.samples = converted;
        written
    }

    fn finish(mut self: Box<Self>) -> Result<SinkReport, OutputError> {
        let mut tail = Vec::new();
        self.resampler.finish(&mut tail)?;
        let mut converted = Vec::new();
        f32_to_i16(&tail, &mut converted);
        self.write_samples(&converted)?;
        self.close(true)
    }

    fn position(&self) -> Option<f64> {
        Some(self.seconds_written())
    }

    fn next_stream(&mut self) {
        if let Some(framer) = self.framer.as_mut() {
            framer.next_stream();
        }
    }

    fn write_encoded(&mut self, bytes: &[u8]) -> Result<(), OutputError> {
        if self.encoded.is_none() {
            return Err(OutputError::NotEncoded);
        }
        self.write_raw(bytes)?;
        // Counted as 16-bit frames, which is right for PCM (and WAV) and unused otherwise.
        self.frames += bytes.len() as u64 / 2;
        Ok(())
    }

    /// Ctrl-C: keep what was written, as a valid file: whole frames, pages or samples, and a
    /// WAV header that counts them.
    fn interrupt(self: Box<Self>) -> Result<SinkReport, OutputError> {
        self.close(false)
    }
}

/// Append samples to a WAV file of the same rate, through hound.
fn open_append(path: &Path, spec: hound::WavSpec, label: &str) -> Result<Writer, OutputError> {
    let mismatch = |found: String, hint: &str| OutputError::AppendMismatch {
        path: label.to_owned(),
        found,
        wanted: describe(AudioFormat::Wav, spec.sample_rate),
        hint: hint.to_owned(),
    };
    if !starts_with_riff(path).map_err(|source| OutputError::Io {
        path: label.to_owned(),
        source,
    })? {
        return Err(mismatch(
            "no WAV header".into(),
            "; append to a .wav file written by tts, or drop --append",
        ));
    }
    let writer = hound::WavWriter::append(path).map_err(|source| match source {
        hound::Error::IoError(source) => OutputError::Io {
            path: label.to_owned(),
            source,
        },
        other => mismatch(
            format!("a WAV file tts cannot extend ({other})"),
            "; drop --append",
        ),
    })?;
    let found = writer.spec();
    if found != spec {
        let hint = if found.channels == 1
            && found.bits_per_sample == 16
            && found.sample_format == hound::SampleFormat::Int
        {
            format!("; add --sample-rate {}", found.sample_rate)
        } else {
            "; drop --append".to_owned()
        };
        return Err(mismatch(
            format!(
                "{} Hz, {} channel(s), {}-bit audio",
                found.sample_rate, found.channels, found.bits_per_sample
            ),
            &hint,
        ));
    }
    Ok(Writer::Wav(writer))
}

/// Open a file of raw PCM or encoded audio for appending `format` at `rate`: checked, cut back
/// to its last whole unit, and with the framer that joins new bytes onto it.
fn open_raw_append(
    path: &Path,
    format: AudioFormat,
    rate: u32,
    label: &str,
) -> Result<(File, Framer), OutputError> {
    let io_err = |source| OutputError::Io {
        path: label.to_owned(),
        source,
    };
    let mismatch = |unfit: framing::Unfit| OutputError::AppendMismatch {
        path: label.to_owned(),
        found: unfit.found,
        wanted: describe(format, rate),
        hint: unfit.hint,
    };
    let mut file = framing::open_for_append(path).map_err(io_err)?;
    let framer = framing::prepare_append(&mut file, format, rate, label)
        .map_err(io_err)?
        .map_err(mismatch)?;
    Ok((file, framer))
}

fn describe(format: AudioFormat, rate: u32) -> String {
    match format {
        AudioFormat::Wav => format!("{rate} Hz, 1 channel(s), 16-bit audio"),
        other => format!("{other} at {rate} Hz"),
    }
}

fn starts_with_riff(path: &Path) -> io::Result<bool> {
    let mut magic = [0u8; 4];
    let mut file = File::open(path)?;
    let read = file.read(&mut magic)?;
    file.rewind()?;
    Ok(read == 4 && &magic == b"RIFF")
}

fn write_stream_header(out: &mut impl Write, rate: u32) -> io::Result<()> {
    out.write_all(&encode::wav_stream_header(rate))
}

fn le_bytes(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// A stream writer, with the WAV header for an unknown length first.
fn stream(
    mut out: Box<dyn Write + Send>,
    format: AudioFormat,
    rate: u32,
    label: &str,
) -> Result<Writer, OutputError> {
    if format == AudioFormat::Wav {
        write_stream_header(&mut out, rate).map_err(|e| stream_error(e, label))?;
    }
    Ok(Writer::Stream(BufWriter::new(out)))
}

/// A reader that went away (`| head`, a FIFO closed) is not a failure.
fn stream_error(source: io::Error, label: &str) -> OutputError {
    if source.kind() == io::ErrorKind::BrokenPipe {
        OutputError::BrokenPipe
    } else {
        OutputError::Io {
            path: label.to_owned(),
            source,
        }
    }
}

/// Temporary files are created private; a finished audio file is as readable as any other.
pub(crate) fn set_readable(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o644))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(hz: u32) -> SampleRate {
        SampleRate::new(hz).expect("non-zero")
    }

    fn options(path: &Path, format: AudioFormat, append: bool) -> FileOptions {
        FileOptions {
            target: Target::Path(path.to_owned()),
            format,
            sample_rate: None,
            append,
            bit_rate: None,
        }
    }

    #[test]
    fn unfinished_files_are_listed_until_renamed_or_dropped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let listed = |dir: &Path| {
            UNFINISHED
                .lock()
                .expect("lock")
                .iter()
                .filter(|p| p.starts_with(dir))
                .count()
        };
        let finished = Box::new(
            FileSink::open(
                &options(&dir.path().join("a.wav"), AudioFormat::Wav, false),
                rate(16000),
            )
            .expect("open"),
        );
        let abandoned = Box::new(
            FileSink::open(
                &options(&dir.path().join("b.wav"), AudioFormat::Wav, false),
                rate(16000),
            )
            .expect("open"),
        );
        assert_eq!(listed(dir.path()), 2);
        finished.finish().expect("finish");
        assert_eq!(listed(dir.path()), 1, "renamed: no longer listed");
        // Only this test's files: other tests write theirs at the same time.
        remove_unfinished_where(|p| p.starts_with(dir.path()));
        let parts = fs::read_dir(dir.path())
            .expect("dir")
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "part"))
            })
            .count();
        assert_eq!(parts, 0, "the unfinished one is removed");
        drop(abandoned);
        assert_eq!(listed(dir.path()), 0);
    }

    #[test]
    fn nothing_appears_at_the_target_until_finish() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.wav");
        let mut sink = Box::new(
            FileSink::open(&options(&path, AudioFormat::Wav, false), rate(16000)).expect("open"),
        );
        sink.write(&[1000; 1600]).expect("write");
        assert!(!path.exists(), "the target must not exist before finish");
        sink.finish().expect("finish");
        let reader = hound::WavReader::open(&path).expect("valid wav");
        assert_eq!(reader.len(), 1600);
        assert_eq!(
            fs::read_dir(dir.path()).expect("dir").count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn appending_to_another_rate_names_the_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.wav");
        let sink = Box::new(
            FileSink::open(&options(&path, AudioFormat::Wav, false), rate(16000)).expect("open"),
        );
        sink.finish().expect("finish");
        let err = FileSink::open(&options(&path, AudioFormat::Wav, true), rate(22050))
            .err()
            .expect("mismatch");
        assert!(err.to_string().contains("add --sample-rate 16000"), "{err}");
    }

    #[test]
    fn pcm_append_refuses_a_wav() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.pcm");
        let sink = Box::new(
            FileSink::open(&options(&path, AudioFormat::Wav, false), rate(16000)).expect("open"),
        );
        sink.finish().expect("finish");
        let err = FileSink::open(&options(&path, AudioFormat::Pcm, true), rate(16000))
            .err()
            .expect("mismatch");
        assert!(err.to_string().contains("holds WAV data"), "{err}");
    }

    #[test]
    fn stream_header_is_a_valid_wav_start() {
        let mut header = Vec::new();
        write_stream_header(&mut header, 22050).expect("header");
        header.extend_from_slice(&[0; 8]);
        let reader = hound::WavReader::new(io::Cursor::new(header)).expect("parses");
        assert_eq!(reader.spec().sample_rate, 22050);
    }
}
