//! Subtitle sidecars (SRT or WebVTT) for an audio file: one cue per sentence, long sentences cut
//! at about 80 characters with the sentence's time shared by length. Written under a temporary
//! name and renamed, like the audio.

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

/// Sentences with the time their audio starts; cues are made when the end is known.
#[derive(Debug)]
pub struct Subtitles {
    format: SubtitleFormat,
    path: PathBuf,
    sentences: Vec<(f64, String)>,
}

impl Subtitles {
    /// Subtitles for the audio file `audio`, written beside it.
    pub fn new(format: SubtitleFormat, audio: &Path) -> Self {
        Self {
            format,
            path: audio.with_extension(format.extension()),
            sentences: Vec::new(),
        }
    }

    /// Where the sidecar goes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A sentence whose audio starts at `seconds`.
    pub fn sentence(&mut self, seconds: f64, text: &str) {
        self.sentences.push((seconds, text.to_owned()));
    }

    /// The text of the sidecar, the audio ending at `end`.
    pub fn render(&self, end: f64) -> String {
        let mut cues = Vec::new();
        for (i, (start, text)) in self.sentences.iter().enumerate() {
            let stop = self
                .sentences
                .get(i + 1)
                .map_or(end, |(next, _)| *next)
                .max(*start);
            let pieces = cut(text);
            let total: usize = pieces
                .iter()
                .map(|p| p.chars().count())
                .sum::<usize>()
                .max(1);
            let mut at = *start;
            for piece in pieces {
                #[allow(clippy::cast_precision_loss, reason = "character counts are small")]
                let share = (stop - start) * piece.chars().count() as f64 / total as f64;
                cues.push((at, at + share, piece));
                at += share;
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
    fn text_without_spaces_is_cut_at_the_limit() {
        let pieces = cut(&"字".repeat(200));
        assert_eq!(
            pieces.iter().map(|p| p.chars().count()).collect::<Vec<_>>(),
            [80, 80, 40]
        );
    }
}
