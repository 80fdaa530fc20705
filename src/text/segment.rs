//! The fragmenter: cuts a stream of text into fragments (whole sentences as soon as each one is
//! complete) without changing a character.
//!
//! Exactness: the fragments, joined, are the input, except for the line-break rule: a single
//! line break (`\n`, `\r\n` or `\r`) becomes one space (hard-wrapped text reads on), while a blank
//! line is kept as it is and ends what is buffered; white space at the very end of the input is
//! not sent (nothing follows it to separate). With [`LineBreaks::EveryLine`] every line break is
//! kept and ends a fragment (log lines, one per message); with [`LineBreaks::Keep`] (Markdown
//! for a service that filters it) lines are kept whole and a fenced code block stays in one
//! fragment. White space between two fragments goes with one of them, never on its own.
//!
//! Sentence ends follow Unicode's sentence rules (UAX #29), which know CJK full stops as well
//! as Latin ones, refined by a small list of abbreviations ("Mr.", "e.g.", "z.B.", "Mme.") and
//! by keeping a token without spaces whole (URLs with `?` and `.`, e-mail addresses, numbers
//! and times). Final punctuation at the end of what has arrived also ends a sentence, so a
//! sentence sent on its own is spoken at once, unless it may go on ("Dr.", "3." before "14",
//! a URL). A run-on "sentence" is cut at a space once it passes [`MAX_FRAGMENT_CHARS`], so text
//! without punctuation still starts speaking.

use unicode_segmentation::UnicodeSegmentation;

/// The longest fragment handed to an engine, in characters.
pub const MAX_FRAGMENT_CHARS: usize = 500;

/// Abbreviations after which a full stop does not end a sentence, whatever follows (English,
/// German, French, Spanish; compared without case, without their final full stop).
const ABBREVIATIONS: &[&str] = &[
    // English
    "mr", "mrs", "ms", "dr", "prof", "st", "sr", "jr", "mt", "vs", "e.g", "i.e", "cf", "approx",
    // German
    "z.b", "u.a", "bzw", "ca", "hr", "evtl", "ggf", "d.h", "vgl", // French
    "mme", "mlle", "p.ex", // Spanish
    "sra", "srta", "ud", "uds",
];

/// Abbreviations that may end a sentence ("apples, pears, etc. Then ...") but may as well go
/// on: at the end of what has arrived, the next character decides.
const MAY_END: &[&str] = &["etc", "usw", "etc.pp"];

/// Abbreviations that do not end a sentence before a number ("No. 5", "p. 12").
const BEFORE_NUMBERS: &[&str] = &["no", "nr", "p", "pp", "vol", "ch", "fig", "art", "s"];

/// Marks that end a clause: a fragment may end after them when a sentence is slow to finish.
const CLAUSE_MARKS: &[char] = &[',', ';', ':', '，', '；', '：', '、', '—', '–'];

/// How line breaks are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineBreaks {
    /// A single line break is a space; a blank line ends what is buffered.
    #[default]
    Space,
    /// Every line break is kept and ends a fragment.
    EveryLine,
    /// Line breaks are kept; fragments are whole lines (a fenced code block is one).
    Keep,
}

/// Where [`Segmenter::take`] may cut text that is not a whole sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// After the last clause mark (or a sentence end that may still go on).
    Clause,
    /// After the last whole word.
    Word,
    /// Everything held.
    All,
}

/// Buffers text and yields fragments.
#[derive(Debug, Default)]
pub struct Segmenter {
    /// Text not yet handed out, line-break rule applied.
    buffer: String,
    /// Byte offsets in `buffer` where a fragment must end (blank lines, kept line breaks).
    hard: Vec<usize>,
    /// White space that began with a line break, not yet known to be a single break or a
    /// blank line ([`LineBreaks::Space`]).
    run: String,
    run_breaks: usize,
    /// The last character was `\r` (a `\n` after it is the same line break).
    after_cr: bool,
    /// Where the `\r` just seen sits in `buffer` ([`LineBreaks::EveryLine`], [`LineBreaks::Keep`]).
    cr_at: usize,
    mode: LineBreaks,
    /// Inside a fenced code block ([`LineBreaks::Keep`]).
    in_fence: bool,
    /// Where the current line starts in `buffer` ([`LineBreaks::Keep`]).
    line_start: usize,
}

impl Segmenter {
    /// An empty fragmenter.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fragmenter for which every line break ends a fragment.
    pub fn flush_on_newline() -> Self {
        Self::with_line_breaks(LineBreaks::EveryLine)
    }

    /// A fragmenter with the given line-break rule.
    pub fn with_line_breaks(mode: LineBreaks) -> Self {
        Self {
            mode,
            ..Self::default()
        }
    }

    /// Add text; return every fragment it completes, in order.
    ///
    /// ```
    /// use tts::text::segment::Segmenter;
    /// let mut segmenter = Segmenter::new();
    /// assert!(segmenter.push("Tokens arrive").is_empty());
    /// assert_eq!(segmenter.push(" one by one. And"), ["Tokens arrive one by one. "]);
    /// assert_eq!(segmenter.finish().as_deref(), Some("And"));
    /// ```
    pub fn push(&mut self, text: &str) -> Vec<String> {
        for c in text.chars() {
            match self.mode {
                LineBreaks::Space => self.push_space(c),
                LineBreaks::EveryLine | LineBreaks::Keep => self.push_kept(c),
            }
        }
        let mut out = self.complete();
        while self.buffer.chars().count() > MAX_FRAGMENT_CHARS {
            let cut = run_on_cut(&self.buffer);
            match self.drain(cut) {
                Some(fragment) => out.push(fragment),
                // Hundreds of blanks in a row: shortened, so memory stays bounded.
                None => self.forget(cut),
            }
        }
        out
    }

    /// Every fragment of a whole text at once (a request that arrives complete).
    ///
    /// ```
    /// use tts::text::segment::Segmenter;
    /// assert_eq!(Segmenter::split("One. Two"), ["One. ", "Two"]);
    /// ```
    pub fn split(text: &str) -> Vec<String> {
        let mut segmenter = Self::new();
        let mut fragments = segmenter.push(text);
        fragments.extend(segmenter.finish());
        fragments
    }

    /// End of input: whatever is buffered is the last fragment (white space at its end is not
    /// sent).
    pub fn finish(&mut self) -> Option<String> {
        self.run.clear();
        self.run_breaks = 0;
        let rest = std::mem::take(&mut self.buffer);
        self.hard.clear();
        self.line_start = 0;
        self.in_fence = false;
        let rest = rest.trim_end();
        has_words(rest).then(|| rest.to_owned())
    }

    /// The text held back (not yet a fragment), line-break rule applied.
    pub fn held(&self) -> &str {
        &self.buffer
    }

    /// Whether [`Cut::Clause`] would cut anything now.
    pub fn clause_ready(&self) -> bool {
        self.cut_at(Cut::Clause).is_some()
    }

    /// Whether [`Cut::Word`] would cut anything now.
    pub fn word_ready(&self) -> bool {
        self.cut_at(Cut::Word).is_some()
    }

    /// Take the held text up to `cut`, when there is such a place with words before it.
    pub fn take(&mut self, cut: Cut) -> Option<String> {
        let at = self.cut_at(cut)?;
        self.drain(at)
    }

    fn cut_at(&self, cut: Cut) -> Option<usize> {
        let text = &self.buffer;
        let at = match cut {
            Cut::All => text.len(),
            // Kept lines (Markdown for the service) are cut only at their ends, or when the
            // writer stops.
            Cut::Clause | Cut::Word if self.mode == LineBreaks::Keep => return None,
            Cut::Clause => clause_end(text)?,
            Cut::Word => word_end(text)?,
        };
        has_words(&text[..at]).then_some(at)
    }

    /// A character of [`LineBreaks::Space`] text.
    fn push_space(&mut self, c: char) {
        match c {
            '\r' | '\n' => {
                if !(c == '\n' && self.after_cr) {
                    self.run_breaks += 1;
                    if self.run_breaks == 2 {
                        // A blank line ends what is buffered, now.
                        self.hard.push(self.buffer.trim_end().len());
                    }
                }
                self.after_cr = c == '\r';
                self.push_run(c);
            }
            c if c.is_whitespace() && !self.run.is_empty() => {
                self.after_cr = false;
                self.push_run(c);
            }
            c => {
                self.after_cr = false;
                if !self.run.is_empty() {
                    let run = std::mem::take(&mut self.run);
                    if self.run_breaks == 1 {
                        // One line break: the same white space with the break as a space.
                        let spaced = run.replacen("\r\n", " ", 1);
                        let spaced = if spaced.len() == run.len() {
                            spaced.replacen(['\n', '\r'], " ", 1)
                        } else {
                            spaced
                        };
                        self.buffer.push_str(&spaced);
                    } else {
                        self.buffer.push_str(&run);
                    }
                    self.run_breaks = 0;
                }
                self.buffer.push(c);
            }
        }
    }

    /// White space after a line break, bounded: an endless run of blanks cannot fill memory.
    fn push_run(&mut self, c: char) {
        if self.run.len() < MAX_FRAGMENT_CHARS {
            self.run.push(c);
        }
    }

    /// A character of [`LineBreaks::EveryLine`] or [`LineBreaks::Keep`] text.
    fn push_kept(&mut self, c: char) {
        let lone_cr = self.after_cr && c != '\n';
        if lone_cr {
            self.line_end(self.cr_at);
        }
        self.after_cr = c == '\r';
        if c == '\r' {
            self.cr_at = self.buffer.len();
        }
        self.buffer.push(c);
        if c == '\n' {
            let at = if lone_cr || !self.buffer.ends_with("\r\n") {
                self.buffer.len() - 1
            } else {
                self.buffer.len() - 2
            };
            self.line_end(at);
        }
    }

    /// A line ends at byte `at` (its line break follows): a fragment may end there.
    fn line_end(&mut self, at: usize) {
        if self.mode == LineBreaks::Keep {
            let line = self.buffer.get(self.line_start..at).unwrap_or_default();
            let fence = line.trim_start();
            if fence.starts_with("```") || fence.starts_with("~~~") {
                self.in_fence = !self.in_fence;
            }
            // The next line starts after this line's break.
            self.line_start = self.buffer.len();
            if self.in_fence {
                return;
            }
        }
        // White space before the break goes with what follows, like the break itself.
        let at = self.buffer[..at].trim_end().len();
        self.hard.push(at);
    }

    /// The fragments that are complete, drained from the buffer.
    fn complete(&mut self) -> Vec<String> {
        let mut ends: Vec<usize> = self.hard.clone();
        if self.mode != LineBreaks::Keep {
            ends.extend(
                self.buffer
                    .split_sentence_bound_indices()
                    .map(|(start, _)| start)
                    .filter(|&at| at > 0 && self.is_sentence_end(at)),
            );
        }
        ends.sort_unstable();
        ends.dedup();
        // A boundary is settled once a word follows it (more text could still move it).
        let last_letter = self
            .buffer
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_alphanumeric())
            .map(|(i, _)| i);
        ends.retain(|&at| self.hard.contains(&at) || last_letter.is_some_and(|l| l >= at));
        let mut done = ends.last().copied().unwrap_or(0);
        // The rest may be a sentence that ended with what arrived.
        if self.mode != LineBreaks::Keep {
            let tail = &self.buffer[done..];
            let body = tail.trim_end();
            if ends_sentence(body) && !may_go_on(body) {
                done += body.len();
            }
        }
        let mut out = Vec::new();
        let mut start = 0;
        for at in ends
            .into_iter()
            .filter(|&at| at < done)
            .chain(std::iter::once(done))
        {
            // White space alone goes with what follows it.
            if at > start && has_words(&self.buffer[start..at]) {
                out.push(self.buffer[start..at].to_owned());
                start = at;
            }
        }
        self.forget(start);
        out
    }

    /// Whether UAX #29's boundary at byte `at` really ends a sentence.
    fn is_sentence_end(&self, at: usize) -> bool {
        let before = &self.buffer[..at];
        let after = &self.buffer[at..];
        let (Some(last), Some(next)) = (before.chars().next_back(), after.chars().next()) else {
            return true;
        };
        // No space between: a URL, an e-mail address, a file name ("a?b=1", "x.Y").
        if !last.is_whitespace() && !next.is_whitespace() && !is_wide(last) && !is_wide(next) {
            return false;
        }
        let next_word = after.trim_start();
        !abbreviation_before(before.trim_end(), next_word)
    }

    /// Hand out `buffer[..at]` (when it holds words).
    fn drain(&mut self, at: usize) -> Option<String> {
        // White space with nothing after it yet goes with what follows: the input may end.
        let at = if has_words(&self.buffer[at..]) {
            at
        } else {
            self.buffer[..at].trim_end().len()
        };
        let head = self.buffer[..at].to_owned();
        if !has_words(&head) {
            return None;
        }
        self.forget(at);
        Some(head)
    }

    /// Drop the first `at` bytes of the buffer, keeping the offsets right.
    fn forget(&mut self, at: usize) {
        if at == 0 {
            return;
        }
        self.buffer.drain(..at);
        self.hard.retain(|&h| h > at);
        for h in &mut self.hard {
            *h -= at;
        }
        self.line_start = self.line_start.saturating_sub(at);
        self.cr_at = self.cr_at.saturating_sub(at);
    }
}

/// Whether text ends with sentence-final punctuation (closing quotes and brackets allowed after).
pub fn ends_sentence(text: &str) -> bool {
    let trimmed = text
        .trim_end()
        .trim_end_matches(['"', '\'', '”', '’', ')', '）', '」', '』']);
    trimmed.ends_with(['.', '!', '?', '。', '！', '？', '…'])
}

/// Whether text that ends with final punctuation may still go on with what comes next: an
/// abbreviation, a number ("3." before "14"), a URL or e-mail address in progress.
fn may_go_on(text: &str) -> bool {
    let Some(last) = text.chars().next_back() else {
        return false;
    };
    if matches!(last, '。' | '！' | '？') {
        return false;
    }
    let before = &text[..text.len() - last.len_utf8()];
    if last == '.' && before.ends_with(|c: char| c.is_ascii_digit()) {
        return true;
    }
    let word = before
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or_default();
    let word = word.trim_start_matches(['(', '"', '\'', '“', '‘', '[']);
    if word.contains("://") || word.starts_with("www.") || word.contains('@') {
        return true;
    }
    let word = lower(word);
    // "e." of "e.g.", "z.B" of "z.B.", an initial: the next character decides.
    let partial = word.contains('.') || word.chars().count() == 1;
    last == '.'
        && (partial
            || is_abbreviation(&word)
            || BEFORE_NUMBERS.contains(&word.as_str())
            || MAY_END.contains(&word.as_str()))
}

/// Whether `before` (trimmed, ending with a full stop) ends with an abbreviation that does not
/// end a sentence before `next`.
fn abbreviation_before(before: &str, next: &str) -> bool {
    let Some(body) = before.strip_suffix('.') else {
        return false;
    };
    let word = body.rsplit(char::is_whitespace).next().unwrap_or_default();
    let word = word.trim_start_matches(['(', '"', '\'', '“', '‘', '[']);
    if is_abbreviation(word) {
        return true;
    }
    BEFORE_NUMBERS.contains(&lower(word).as_str()) && next.starts_with(|c: char| c.is_ascii_digit())
}

fn is_abbreviation(word: &str) -> bool {
    ABBREVIATIONS.contains(&lower(word).as_str())
}

fn lower(word: &str) -> String {
    word.to_lowercase()
}

/// Whether text holds something to say (not only white space).
fn has_words(text: &str) -> bool {
    !text.trim().is_empty()
}

/// CJK and other wide characters: they need no space after a sentence end, and take two
/// columns on screen.
pub fn is_wide(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{115F}'
        | '\u{2E80}'..='\u{A4CF}'
        | '\u{AC00}'..='\u{D7A3}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FE30}'..='\u{FE4F}'
        | '\u{FF00}'..='\u{FF60}'
        | '\u{FFE0}'..='\u{FFE6}'
        | '\u{20000}'..='\u{3FFFD}')
}

/// Byte index after the last clause end in `text` (its following white space included), or
/// after a sentence end that may still go on.
fn clause_end(text: &str) -> Option<usize> {
    let body = text.trim_end();
    if ends_sentence(body) {
        return Some(text.len());
    }
    let mut best = None;
    let mut chars = text.char_indices().peekable();
    let mut previous = ' ';
    while let Some((i, c)) = chars.next() {
        let after = i + c.len_utf8();
        let next = chars.peek().map(|&(_, n)| n);
        let dash = c == '-' && previous == ' ' && next.is_some_and(char::is_whitespace);
        if CLAUSE_MARKS.contains(&c) || dash {
            let ends = match next {
                _ if is_wide(c) => true,
                // "3,000" and "10:30" are not clause ends; "word," at the very end is.
                None => !previous.is_ascii_digit(),
                Some(n) => n.is_whitespace(),
            };
            if ends {
                let rest = &text[after..];
                let spaces = rest.len() - rest.trim_start().len();
                best = Some(after + spaces);
            }
        }
        previous = c;
    }
    best
}

/// Byte index after the last whole word: all of it when the text ends with white space,
/// else before its last token (which may still grow). CJK text is cut between characters.
fn word_end(text: &str) -> Option<usize> {
    let last = text.chars().next_back()?;
    if last.is_whitespace() {
        return Some(text.len());
    }
    if is_wide(last) {
        return Some(text.len() - last.len_utf8());
    }
    text.rfind(|c: char| c.is_whitespace() || is_wide(c))
        .map(|i| i + text[i..].chars().next().map_or(1, char::len_utf8))
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
        .filter(|&i| has_words(&head[..i]))
        .unwrap_or(limit)
}

#[cfg(test)]
mod tests;
