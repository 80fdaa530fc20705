//! Subtitle sidecars (SRT or WebVTT) for an audio file: one cue per sentence, long sentences cut
//! at about 80 characters, each piece starting when its first word is spoken when the service
//! gives word times, else at a share of the sentence's time by length. Written under a
//! temporary name and renamed, like the audio.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::OutputError;

/// Longest cue, in characters, before a sentence is cut at a space.
const CUE_CHARS: usize = 80;

/// The two formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubtitleFormat {
    /// SubRip.
    Srt,
    /// WebVTT.
    Vtt,
}

impl SubtitleFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Srt => "srt",
            Self::Vtt => "vtt",
        }
    }
}

/// A sentence: when its audio starts, its text, and when its words start (char index, seconds
/// in the file), if known.
#[derive(Debug)]
struct Sentence {
    start: f64,
    text: String,
    words: Vec<(usize, f64)>,
}

/// Sentences with the time their audio starts; cues are made when the end is known.
#[derive(Debug)]
pub struct Subtitles {
    format: SubtitleFormat,
    path: PathBuf,
    sentences: Vec<Sentence>,
    /// Where the current service task's audio starts in the file: word times count from it.
    task_start: f64,
}

impl Subtitles {
    /// Subtitles for the audio file `audio`, written beside it.
    pub fn new(format: SubtitleFormat, audio: &Path) -> Self {
        Self {
            format,
            path: audio.with_extension(format.extension()),
            sentences: Vec::new(),
            task_start: 0.0,
        }
    }

    /// Where the sidecar goes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A sentence whose audio starts at `seconds`.
    pub fn sentence(&mut self, seconds: f64, text: &str) {
        self.sentences.push(Sentence {
            start: seconds,
            text: text.to_owned(),
            words: Vec::new(),
        });
    }

    /// Take the engine's timing events (a task starting, word times), `position` seconds
    /// into the file.
    pub fn timing(&mut self, event: &crate::engine::EngineEvent, position: f64) {
        match event {
            crate::engine::EngineEvent::TaskStarted => self.task_started(position),
            crate::engine::EngineEvent::Words(words) => {
                self.words(words.iter().map(|w| (w.char_index, w.seconds)));
            }
            _ => {}
        }
    }

    /// A service task starts at `seconds` into the file.
    pub fn task_started(&mut self, seconds: f64) {
        self.task_start = seconds;
    }

    /// When the words of the latest sentence begin: (character index in the sentence, seconds
    /// from the start of the task's audio).
    pub fn words(&mut self, words: impl IntoIterator<Item = (usize, f64)>) {
        let offset = self.task_start;
        if let Some(sentence) = self.sentences.last_mut() {
            sentence.words = words
                .into_iter()
                .map(|(index, seconds)| (index, offset + seconds))
                .collect();
        }
    }

    /// The text of the sidecar, the audio ending at `end`.
    pub fn render(&self, end: f64) -> String {
        let mut cues = Vec::new();
        for (i, sentence) in self.sentences.iter().enumerate() {
            let start = sentence.start;
            let stop = self
                .sentences
                .get(i + 1)
                .map_or(end, |next| next.start)
                .max(start);
            let pieces = cut(&sentence.text);
            let total: usize = pieces
                .iter()
                .map(|p| p.chars().count())
                .sum::<usize>()
                .max(1);
            // Where each piece starts: its first word's time, else its share by length.
            let mut starts = Vec::with_capacity(pieces.len());
            let mut shared = start;
            let mut offset = 0;
            for piece in &pieces {
                let at_char = char_offset(&sentence.text, piece, &mut offset);
                let spoken = sentence
                    .words
                    .iter()
                    .find(|(index, _)| *index >= at_char)
                    .map(|(_, seconds)| *seconds);
                let begin = match spoken {
                    Some(seconds) if starts.is_empty() => start.min(seconds),
                    Some(seconds) => seconds.min(stop),
                    None => shared,
                };
                starts.push(begin.max(starts.last().copied().unwrap_or(start)));
                #[allow(clippy::cast_precision_loss, reason = "character counts are small")]
                let share = (stop - start) * piece.chars().count() as f64 / total as f64;
                shared += share;
            }
            for (n, piece) in pieces.into_iter().enumerate() {
                let to = starts.get(n + 1).copied().unwrap_or(stop);
                cues.push((starts[n], to, piece));
            }
        }
        let mut out = String::new();
        if self.format == SubtitleFormat::Vtt {
            out.push_str("WEBVTT\n\n");
        }
        for (n, (from, to, text)) in cues.iter().enumerate() {
            if self.format == SubtitleFormat::Srt {
                let _ = writeln!(out, "{}", n + 1);
            }
            let _ = writeln!(
                out,
                "{} --> {}\n{text}\n",
                self.stamp(*from),
                self.stamp(*to)
            );
        }
        out
    }

    /// Write the sidecar (temporary name, then renamed).
    pub fn write(&self, end: f64) -> Result<(), OutputError> {
        let label = self.path.display().to_string();
        let io = |source| OutputError::Io {
            path: label.clone(),
            source,
        };
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let mut temp = tempfile::Builder::new()
            .prefix(".subtitles.")
            .suffix(".part")
            .tempfile_in(dir)
            .map_err(io)?;
        temp.write_all(self.render(end).as_bytes()).map_err(io)?;
        super::file::set_readable(temp.path()).map_err(io)?;
        temp.persist(&self.path).map_err(|e| io(e.error))?;
        Ok(())
    }

    fn stamp(&self, seconds: f64) -> String {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "non-negative, small"
        )]
        let ms = (seconds.max(0.0) * 1000.0).round() as u64;
        let (h, m, s, ms) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        match self.format {
            SubtitleFormat::Srt => format!("{h:02}:{m:02}:{s:02},{ms:03}"),
            SubtitleFormat::Vtt => format!("{h:02}:{m:02}:{s:02}.{ms:03}"),
        }
    }
}

/// The character index of `piece` in `text`, searching from byte `from` (moved past it).
fn char_offset(text: &str, piece: &str, from: &mut usize) -> usize {
    let found = text.get(*from..).and_then(|rest| rest.find(piece));
    let byte = found.map_or(*from, |at| *from + at);
    *from = (byte + piece.len()).min(text.len());
    text.get(..byte).map_or(0, |head| head.chars().count())
}

/// A sentence in pieces of at most about [`CUE_CHARS`], cut at spaces (CJK text, which has
/// none, at the limit).
fn cut(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for word in text.split_inclusive(' ') {
        if current.chars().count() + word.chars().count() > CUE_CHARS && !current.trim().is_empty()
        {
            pieces.push(current.trim().to_owned());
            current.clear();
        }
        current.push_str(word);
        while current.chars().count() > CUE_CHARS {
            let head: String = current.chars().take(CUE_CHARS).collect();
            current = current.chars().skip(CUE_CHARS).collect();
            pieces.push(head.trim().to_owned());
        }
    }
    if !current.trim().is_empty() {
        pieces.push(current.trim().to_owned());
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srt_cues_follow_the_sentences_and_cover_the_audio() {
        let mut subtitles = Subtitles::new(SubtitleFormat::Srt, Path::new("book.mp3"));
        assert_eq!(subtitles.path(), Path::new("book.srt"));
        subtitles.sentence(0.0, "Hello there.");
        subtitles.sentence(1.25, "A second sentence.");
        assert_eq!(
            subtitles.render(3.5),
            "1\n00:00:00,000 --> 00:00:01,250\nHello there.\n\n2\n00:00:01,250 --> 00:00:03,500\nA second sentence.\n\n"
        );
    }

    #[test]
    fn long_sentences_are_cut_and_share_their_time() {
        let mut subtitles = Subtitles::new(SubtitleFormat::Vtt, Path::new("a.wav"));
        let long = "word ".repeat(40);
        subtitles.sentence(10.0, long.trim());
        let text = subtitles.render(20.0);
        assert!(text.starts_with("WEBVTT\n\n00:00:10.000 --> "));
        let cues: Vec<&str> = text.lines().filter(|l| l.contains(" --> ")).collect();
        assert_eq!(cues.len(), 3, "{text}");
        assert!(cues.last().expect("cue").ends_with("--> 00:00:20.000"));
        assert!(
            text.lines()
                .filter(|l| !l.contains("-->"))
                .all(|l| l.chars().count() <= CUE_CHARS)
        );
    }

    #[test]
    fn with_word_times_a_long_sentence_is_cut_where_its_words_are_spoken() {
        let mut subtitles = Subtitles::new(SubtitleFormat::Srt, Path::new("a.mp3"));
        // The second task starts 100 s into the file; its sentence's audio at 101 s.
        subtitles.task_started(100.0);
        let text = "word ".repeat(40);
        let text = text.trim();
        subtitles.sentence(101.0, text);
        // Word n (5 characters each) begins at 1 s + n * 0.1 s into the task, except that the
        // speaker pauses 3 s before word 16, where the second cue begins.
        subtitles.words((0..40).map(|n| {
            let pause = if n >= 16 { 3.0 } else { 0.0 };
            (
                n * 5,
                1.0 + f64::from(u32::try_from(n).expect("small")) * 0.1 + pause,
            )
        }));
        let srt = subtitles.render(110.0);
        let stamps: Vec<&str> = srt.lines().filter(|l| l.contains(" --> ")).collect();
        assert_eq!(
            stamps,
            [
                "00:01:41,000 --> 00:01:45,600",
                "00:01:45,600 --> 00:01:47,200",
                "00:01:47,200 --> 00:01:50,000",
            ],
            "{srt}"
        );
    }

    #[test]
    fn text_without_spaces_is_cut_at_the_limit() {
        let pieces = cut(&"字".repeat(200));
        assert_eq!(
            pieces.iter().map(|p| p.chars().count()).collect::<Vec<_>>(),
            [80, 80, 40]
        );
    }
}
