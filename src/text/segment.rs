//! The fragmenter: cuts a stream of text into whole sentences, as soon as each one is complete.
//!
//! Sentence ends follow Unicode's sentence rules (UAX #29), which know CJK full stops as well as
//! Latin ones. Final punctuation at the end of what has arrived also ends a sentence, so a
//! sentence sent on its own is spoken at once rather than when the next one comes. A single line
//! break is a space (hard-wrapped text reads on); a blank line ends what is buffered, and so does
//! every line break with [`Segmenter::flush_on_newline`] (log lines, one per message). A run-on "sentence" is cut at a space or comma once it passes [`MAX_FRAGMENT_CHARS`], so
//! text without punctuation still starts speaking.

use unicode_segmentation::UnicodeSegmentation;

/// The longest fragment handed to an engine, in characters.
pub const MAX_FRAGMENT_CHARS: usize = 500;

/// Buffers text and yields complete sentences.
#[derive(Debug, Default)]
pub struct Segmenter {
    buffer: String,
    /// Line breaks seen since the last other character.
    newlines: usize,
    every_newline: bool,
}

impl Segmenter {
    /// An empty fragmenter.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fragmenter for which every line break ends a sentence.
    pub fn flush_on_newline() -> Self {
        Self {
            every_newline: true,
            ..Self::default()
        }
    }

    /// Add text; return every sentence it completes, in order, trimmed, blank ones dropped.
    ///
    /// ```
    /// use tts::text::segment::Segmenter;
    /// let mut segmenter = Segmenter::new();
    /// assert!(segmenter.push("Tokens arrive").is_empty());
    /// assert_eq!(segmenter.push(" one by one. And"), ["Tokens arrive one by one."]);
    /// assert_eq!(segmenter.finish().as_deref(), Some("And"));
    /// ```
    pub fn push(&mut self, text: &str) -> Vec<String> {
        for c in text.chars() {
            match c {
                '\r' => {}
                '\n' => {
                    self.newlines += 1;
                    // A blank line (or any line break, when asked) ends what is buffered.
                    if self.every_newline || self.newlines == 2 {
                        self.buffer.push('\n');
                    }
                }
                c if self.newlines > 0 && c.is_whitespace() => {}
                c => {
                    if self.newlines == 1 && !self.every_newline {
                        self.buffer.push(' ');
                    }
                    self.newlines = 0;
                    self.buffer.push(c);
                }
            }
        }
        let mut complete = Vec::new();
        let mut consumed = 0;
        let bounds: Vec<(usize, &str)> = self.buffer.split_sentence_bound_indices().collect();
        for (i, (start, sentence)) in bounds.iter().enumerate() {
            let is_last = i + 1 == bounds.len();
            // The last piece may still grow, unless a line break or final punctuation closed it.
            if is_last && !sentence.ends_with(['\n', '\r']) && !ends_sentence(sentence) {
                break;
            }
            push_trimmed(&mut complete, sentence);
            consumed = start + sentence.len();
        }
        self.buffer.drain(..consumed);
        while self.buffer.chars().count() > MAX_FRAGMENT_CHARS {
            let cut = run_on_cut(&self.buffer);
            let head: String = self.buffer.drain(..cut).collect();
            push_trimmed(&mut complete, &head);
        }
        complete
    }

    /// End of input: whatever is buffered is the last sentence.
    pub fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.buffer);
        let rest = rest.trim();
        (!rest.is_empty()).then(|| rest.to_owned())
    }
}

/// Whether text ends with sentence-final punctuation (closing quotes and brackets allowed after).
pub fn ends_sentence(text: &str) -> bool {
    let trimmed = text
        .trim_end()
        .trim_end_matches(['"', '\'', '”', '’', ')', '）', '」', '』']);
    trimmed.ends_with(['.', '!', '?', '。', '！', '？', '…'])
}

fn push_trimmed(out: &mut Vec<String>, sentence: &str) {
    let trimmed = sentence.trim();
    if !trimmed.is_empty() {
        out.push(trimmed.to_owned());
    }
}

/// Byte index to cut an over-long run at: after the last comma or space within the limit,
/// or at the limit itself when there is none.
fn run_on_cut(text: &str) -> usize {
    let limit = text
        .char_indices()
        .nth(MAX_FRAGMENT_CHARS)
        .map_or(text.len(), |(i, _)| i);
    let head = &text[..limit];
    head.rfind([',', '，', '、', ';', ' '])
        .map(|i| i + head[i..].chars().next().map_or(1, char::len_utf8))
        .filter(|&i| i > 0)
        .unwrap_or(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(pieces: &[&str]) -> Vec<String> {
        let mut segmenter = Segmenter::new();
        let mut out = Vec::new();
        for piece in pieces {
            out.extend(segmenter.push(piece));
        }
        out.extend(segmenter.finish());
        out
    }

    #[test]
    fn a_sentence_completes_at_its_final_punctuation() {
        let mut segmenter = Segmenter::new();
        assert!(segmenter.push("Hello wor").is_empty(), "no end yet");
        assert_eq!(segmenter.push("ld."), ["Hello world."]);
        assert!(segmenter.push(" This is").is_empty());
        assert!(segmenter.push(" a test").is_empty());
        assert_eq!(
            segmenter.push(", she said!\u{201d}"),
            ["This is a test, she said!\u{201d}"]
        );
        assert!(segmenter.push("你好").is_empty());
        assert_eq!(segmenter.push("。"), ["你好。"]);
        assert!(segmenter.push("And then").is_empty());
        assert_eq!(segmenter.finish().as_deref(), Some("And then"));
    }

    #[test]
    fn a_blank_line_ends_a_sentence_and_a_single_line_break_is_a_space() {
        let mut segmenter = Segmenter::new();
        assert!(segmenter.push("a hard-wrapped\nline").is_empty());
        assert_eq!(segmenter.push("\n\n"), ["a hard-wrapped line"]);
        assert!(segmenter.push("\n\n").is_empty());
        assert_eq!(segmenter.push("next\r\n  \r\nparagraph"), ["next"]);
        assert_eq!(segmenter.finish().as_deref(), Some("paragraph"));
    }

    #[test]
    fn flush_on_newline_ends_every_line() {
        let mut segmenter = Segmenter::flush_on_newline();
        assert_eq!(segmenter.push("log line one\nlog line"), ["log line one"]);
        assert_eq!(segmenter.push(" two\n"), ["log line two"]);
        assert_eq!(segmenter.finish(), None, "nothing held back");
    }

    #[test]
    fn chinese_full_stops_split() {
        assert_eq!(
            all(&["你好。今天天气", "很好！再见"]),
            ["你好。", "今天天气很好！", "再见"]
        );
    }

    #[test]
    fn chunking_never_changes_the_words() {
        let text = "One. Two, three! Four? Five\nsix.\n\nSeven 七。八";
        let whole = all(&[text]);
        for size in 1..text.len() {
            let bytes: Vec<char> = text.chars().collect();
            let pieces: Vec<String> = bytes.chunks(size).map(|c| c.iter().collect()).collect();
            let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
            assert_eq!(all(&refs), whole, "chunk size {size}");
        }
    }

    #[test]
    fn run_on_text_is_cut_at_a_space_under_the_limit() {
        let text = "word ".repeat(300);
        let out = all(&[&text]);
        assert!(out.len() >= 3);
        assert!(out.iter().all(|f| f.chars().count() <= MAX_FRAGMENT_CHARS));
        assert_eq!(out.join(" "), text.trim());
    }

    #[test]
    fn run_on_text_without_spaces_is_cut_at_the_limit() {
        let text = "字".repeat(1200);
        let out = all(&[&text]);
        assert_eq!(out.concat(), text);
        assert!(out.iter().all(|f| f.chars().count() <= MAX_FRAGMENT_CHARS));
    }
}
