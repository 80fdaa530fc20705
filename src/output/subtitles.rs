//! Subtitle sidecars (SRT or WebVTT) for an audio file: one cue per sentence, long sentences cut
//! at about 80 columns (a CJK character takes two) after Chinese punctuation, else at a space,
//! else between characters, each piece starting when its first word is spoken when the service
//! gives word times, else at a share of the sentence's time by length. Written under a
//! temporary name and renamed, like the audio.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::OutputError;
use crate::text::markdown::MarkdownFilter;
use crate::text::segment::is_wide;

/// Longest cue, in columns (a wide character counts two), before a sentence is cut.
const CUE_WIDTH: usize = 80;
/// Chinese punctuation a long sentence is best cut after.
const CHINESE_CUTS: &[char] = &['，', '。', '；', '：', '！', '？', '、'];

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
    /// The text is Markdown that the service filters: cues show it as spoken.
    markdown: Option<MarkdownFilter>,
}

impl Subtitles {
    /// Subtitles for the audio file `audio`, written beside it.
    pub fn new(format: SubtitleFormat, audio: &Path) -> Self {
        Self {
            format,
            path: audio.with_extension(format.extension()),
            sentences: Vec::new(),
            task_start: 0.0,
            markdown: None,
        }
    }

    /// Cues show Markdown text as spoken (the service filters it), when `markdown`.
    #[must_use]
    pub fn filtering_markdown(mut self, markdown: bool) -> Self {
        self.markdown = markdown.then(MarkdownFilter::new);
        self
    }

    /// Where the sidecar goes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A sentence whose audio starts at `seconds`.
    pub fn sentence(&mut self, seconds: f64, text: &str) {
        // Filtered line by line, the filter remembering code blocks across sentences; a
        // sentence with nothing left gets no cue.
        let text = match self.markdown.as_mut() {
            Some(filter) => text
                .split('\n')
                .map(|line| filter.line(line))
                .filter(|line| !line.trim().is_empty())
                .collect::<Vec<_>>()
                .join(" "),
            None => text.to_owned(),
        };
        self.sentences.push(Sentence {
            start: seconds,
            text,
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

/// A sentence in pieces of at most [`CUE_WIDTH`] columns: cut after the last Chinese
/// punctuation that fits, else at the last space, else between characters.
fn cut(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut width = 0;
    for c in text.chars() {
        let w = columns(c);
        if width + w > CUE_WIDTH && !current.trim().is_empty() {
            // A space next, or just before: the words so far are whole.
            let at = if c.is_whitespace() || current.ends_with(char::is_whitespace) {
                current.len()
            } else {
                best_cut(&current)
            };
            let rest = current.split_off(at);
            push_piece(&mut pieces, &current);
            current = rest;
            width = current.chars().map(columns).sum();
        }
        current.push(c);
        width += w;
    }
    push_piece(&mut pieces, &current);
    pieces
}

/// Where to cut a piece that is full (a byte index).
fn best_cut(piece: &str) -> usize {
    let after = |i: usize| i + piece[i..].chars().next().map_or(1, char::len_utf8);
    if let Some(i) = piece.rfind(CHINESE_CUTS).filter(|&i| i > 0) {
        return after(i);
    }
    match piece.trim_end().rfind(' ') {
        Some(i) if !piece[..i].trim().is_empty() => after(i),
        _ => piece.len(),
    }
}

fn push_piece(pieces: &mut Vec<String>, piece: &str) {
    if !piece.trim().is_empty() {
        pieces.push(piece.trim().to_owned());
    }
}

fn columns(c: char) -> usize {
    if is_wide(c) { 2 } else { 1 }
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
                .all(|l| l.chars().count() <= CUE_WIDTH)
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
    fn text_without_spaces_or_punctuation_is_cut_between_characters() {
        let pieces = cut(&"字".repeat(100));
        assert_eq!(
            pieces.iter().map(|p| p.chars().count()).collect::<Vec<_>>(),
            [40, 40, 20],
            "80 columns: 40 wide characters"
        );
    }

    #[test]
    fn a_long_chinese_sentence_is_cut_at_its_punctuation() {
        let sentence = "今天早上我们一起去公园散步，看到很多老人在打太极拳，孩子们在草地上奔跑玩耍，\
                        湖边的柳树已经发芽了；我们走了大约一个小时，然后在小店吃了早饭，\
                        大家都觉得这是美好的周末开始了。";
        assert_eq!(sentence.chars().count(), 86);
        let mut subtitles = Subtitles::new(SubtitleFormat::Srt, Path::new("a.mp3"));
        subtitles.sentence(0.0, sentence);
        let srt = subtitles.render(23.4);
        let cues: Vec<&str> = srt
            .lines()
            .filter(|l| !l.is_empty() && !l.contains(" --> ") && l.parse::<u32>().is_err())
            .collect();
        assert!(cues.len() >= 3, "{srt}");
        assert_eq!(cues.concat(), sentence, "nothing lost");
        for cue in &cues {
            assert!(cue.chars().count() <= 40, "{cue}");
            assert!(cue.ends_with(CHINESE_CUTS), "cut at punctuation: {cue}");
        }
        let stamps: Vec<&str> = srt.lines().filter(|l| l.contains(" --> ")).collect();
        assert_eq!(stamps.len(), cues.len());
        assert!(stamps[0].starts_with("00:00:00,000 --> "));
        assert!(stamps.last().expect("a cue").ends_with(" --> 00:00:23,400"));
    }

    #[test]
    fn markdown_cues_show_the_text_as_spoken() {
        let mut subtitles =
            Subtitles::new(SubtitleFormat::Srt, Path::new("a.mp3")).filtering_markdown(true);
        subtitles.sentence(0.0, "# A **bold** title");
        subtitles.sentence(1.0, "\n```rust\nlet x = 1;\n```");
        subtitles.sentence(2.0, "\nSee [the docs](https://x.y) now.");
        let srt = subtitles.render(3.0);
        assert_eq!(
            srt,
            "1\n00:00:00,000 --> 00:00:01,000\nA bold title\n\n\
             2\n00:00:02,000 --> 00:00:03,000\nSee the docs now.\n\n"
        );
    }
}
