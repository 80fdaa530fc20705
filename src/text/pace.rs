//! When text that is not yet a whole sentence is spoken anyway: the policy for slow writers
//! (a language model streaming tokens).
//!
//! The rule, in order of preference:
//! 1. A sentence is spoken as soon as its final punctuation arrives.
//! 2. A clause (ending in a comma, semicolon, colon, dash or a CJK clause mark) is held while
//!    the sentence may still end soon: for about [`CLAUSE_TOKENS`] pieces at the writer's
//!    observed pace, at most [`CLAUSE_WAIT`] (or `--flush-after`, if shorter), and for as long
//!    as the listener is still hearing earlier speech. Then the clause is spoken.
//! 3. Text without a clause end is cut between words only when the listener has been in
//!    silence for `--flush-after` seconds (default [`FLUSH_AFTER`]); a word still being written
//!    is never cut.
//! 4. When the writer has been quiet for `--flush-after` seconds, everything held is spoken.
//!
//! How long the listener hears what was sent is estimated from its length (about
//! [`CHARS_PER_SECOND`] characters a second, a CJK character counting as three).

use std::time::{Duration, Instant};

use super::segment::{Cut, Segmenter};

/// The default of `--flush-after`.
pub const FLUSH_AFTER: Duration = Duration::from_secs(3);
/// The longest a complete clause waits for its sentence to end.
pub const CLAUSE_WAIT: Duration = Duration::from_millis(600);
/// The shortest wait for a clause's sentence to end.
const CLAUSE_WAIT_MIN: Duration = Duration::from_millis(250);
/// A clause waits for about this many more pieces of input.
pub const CLAUSE_TOKENS: u32 = 10;
/// Speech rate assumed to estimate when the listener falls silent.
pub const CHARS_PER_SECOND: f64 = 15.0;
/// A clause is spoken this long before the speech already sent is estimated to end.
const LEAD: Duration = Duration::from_millis(300);

/// The policy's state: the writer's pace and the listener's estimated silence.
#[derive(Debug)]
pub struct Pacer {
    flush_after: Duration,
    /// Typical time between pieces of input (moving average).
    gap: Option<Duration>,
    last_input: Option<Instant>,
    /// Since when the text now held has been waiting.
    held_since: Option<Instant>,
    /// Since when a clause has been complete.
    clause_since: Option<Instant>,
    /// When the speech sent so far is estimated to end.
    speech_until: Option<Instant>,
}

impl Pacer {
    /// A policy with `--flush-after` set to `flush_after`.
    pub fn new(flush_after: Duration) -> Self {
        Self {
            flush_after,
            gap: None,
            last_input: None,
            held_since: None,
            clause_since: None,
            speech_until: None,
        }
    }

    /// A piece of input arrived at `now`.
    pub fn input(&mut self, now: Instant) {
        if let Some(last) = self.last_input {
            let sample = now.saturating_duration_since(last).min(self.flush_after);
            self.gap = Some(match self.gap {
                Some(gap) => gap.mul_f64(0.7) + sample.mul_f64(0.3),
                None => sample,
            });
        }
        self.last_input = Some(now);
    }

    /// `fragment` was sent at `now`.
    pub fn sent(&mut self, now: Instant, fragment: &str) {
        let weight: usize = fragment
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| if c.len_utf8() >= 3 { 3 } else { 1 })
            .sum();
        #[allow(clippy::cast_precision_loss, reason = "fragments are short")]
        let speaking = Duration::from_secs_f64(weight as f64 / CHARS_PER_SECOND);
        let from = self.speech_until.map_or(now, |until| until.max(now));
        self.speech_until = Some(from + speaking);
        self.held_since = None;
        self.clause_since = None;
    }

    /// Note what `segmenter` holds at `now` (after input or a cut).
    pub fn observe(&mut self, now: Instant, segmenter: &Segmenter) {
        if segmenter.held().trim().is_empty() {
            self.held_since = None;
            self.clause_since = None;
            return;
        }
        self.held_since.get_or_insert(now);
        if segmenter.clause_ready() {
            self.clause_since.get_or_insert(now);
        } else {
            self.clause_since = None;
        }
    }

    /// How long a complete clause waits for its sentence: a few pieces at the writer's pace.
    fn clause_wait(&self) -> Duration {
        let paced = self
            .gap
            .map_or(CLAUSE_WAIT, |gap| gap.saturating_mul(CLAUSE_TOKENS));
        paced.clamp(
            CLAUSE_WAIT_MIN,
            CLAUSE_WAIT.min(self.flush_after).max(CLAUSE_WAIT_MIN),
        )
    }

    /// Whether the listener falls silent within [`LEAD`] of `now` (or already has).
    fn falling_silent(&self, now: Instant) -> bool {
        self.speech_until.is_none_or(|until| now + LEAD >= until)
    }

    /// Since when the listener has been waiting for the text held.
    fn silence_from(&self, held_since: Instant) -> Instant {
        self.speech_until
            .map_or(held_since, |until| until.max(held_since))
    }

    /// What to cut now, if anything.
    pub fn decide(&self, now: Instant, segmenter: &Segmenter) -> Option<Cut> {
        let held_since = self.held_since?;
        let silent = self.falling_silent(now);
        if let Some(since) = self.last_input
            && silent
            && now >= since + self.flush_after
        {
            return Some(Cut::All);
        }
        if let Some(since) = self.clause_since
            && silent
            && now >= since + self.clause_wait()
        {
            return Some(Cut::Clause);
        }
        if now >= self.silence_from(held_since) + self.flush_after && segmenter.word_ready() {
            return Some(Cut::Word);
        }
        None
    }

    /// When [`Pacer::decide`] may next say something (`None`: only new input can change it).
    pub fn next_check(&self, now: Instant, segmenter: &Segmenter) -> Option<Instant> {
        let held_since = self.held_since?;
        let lead = self
            .speech_until
            .map_or(now, |until| until.checked_sub(LEAD).unwrap_or(until));
        // A word cut is due only once there is a whole word to cut (a word being written
        // waits for the next piece, which brings a new check).
        let far = now + self.flush_after;
        let mut next = if segmenter.word_ready() {
            self.silence_from(held_since) + self.flush_after
        } else {
            far
        };
        if let Some(since) = self.last_input {
            next = next.min((since + self.flush_after).max(lead));
        }
        if let Some(since) = self.clause_since {
            next = next.min((since + self.clause_wait()).max(lead));
        }
        Some(next.max(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scripted writer: pieces at a fixed pace; returns what was sent, and when.
    fn run(pieces: &[&str], every: Duration) -> Vec<(Duration, String)> {
        let start = Instant::now();
        let mut now = start;
        let mut pacer = Pacer::new(FLUSH_AFTER);
        let mut segmenter = Segmenter::new();
        let mut sent = Vec::new();
        let mut send = |pacer: &mut Pacer, at: Instant, fragment: String| {
            pacer.sent(at, &fragment);
            sent.push((at - start, fragment));
        };
        for piece in pieces {
            let arrives = now + every;
            // Quiet until the next piece: the policy may cut.
            while let Some(check) = pacer.next_check(now, &segmenter).filter(|&c| c < arrives) {
                now = check;
                match pacer
                    .decide(now, &segmenter)
                    .and_then(|cut| segmenter.take(cut))
                {
                    Some(fragment) => send(&mut pacer, now, fragment),
                    None => now += Duration::from_millis(10),
                }
                pacer.observe(now, &segmenter);
            }
            now = arrives;
            pacer.input(now);
            for fragment in segmenter.push(piece) {
                send(&mut pacer, now, fragment);
            }
            pacer.observe(now, &segmenter);
        }
        sent.extend(segmenter.finish().map(|f| (now - start, f)));
        sent
    }

    const TOKENS: &[&str] = &[
        "Once", " upon", " a", " time", ",", " an", " extra", "ordinary", " fisher", "man",
        " lived", " by", " the", " sea", ".", " He", " caught", " fish", " every", " day", ";",
        " his", " wife", " sold", " them", " at", " the", " market", ".",
    ];

    fn text() -> String {
        TOKENS.concat()
    }

    /// Each cut between two fragments falls between words.
    fn between_words(fragments: &[&str]) -> bool {
        fragments.windows(2).all(|pair| {
            !pair[0].ends_with(char::is_alphanumeric) || !pair[1].starts_with(char::is_alphanumeric)
        })
    }

    #[test]
    fn a_slow_writer_is_heard_clause_by_clause_never_inside_a_word() {
        let sent = run(TOKENS, Duration::from_millis(500));
        let fragments: Vec<&str> = sent.iter().map(|(_, f)| f.as_str()).collect();
        assert_eq!(fragments.concat(), text());
        assert_eq!(fragments[0].trim(), "Once upon a time,");
        // The first clause is complete at 2.5 s (its comma); it is sent within a second.
        assert!(sent[0].0 < Duration::from_millis(3500), "{sent:?}");
        assert!(between_words(&fragments), "{fragments:?}");
        assert!(fragments.len() < 10, "not token by token: {fragments:?}");
    }

    #[test]
    fn a_fast_writer_is_heard_sentence_by_sentence() {
        let sent = run(TOKENS, Duration::from_millis(20));
        let fragments: Vec<&str> = sent.iter().map(|(_, f)| f.as_str()).collect();
        assert_eq!(fragments.concat(), text());
        assert!(
            fragments
                .iter()
                .all(|f| super::super::segment::ends_sentence(f)),
            "{fragments:?}"
        );
        let sent = run(TOKENS, Duration::from_millis(100));
        let fragments: Vec<&str> = sent.iter().map(|(_, f)| f.as_str()).collect();
        assert_eq!(fragments.concat(), text());
        assert!(between_words(&fragments), "{fragments:?}");
        assert!(fragments.len() <= 5, "{fragments:?}");
    }

    #[test]
    fn a_writer_without_punctuation_is_cut_between_words_after_a_silence() {
        let words: Vec<String> = (0..40).map(|i| format!(" word{i}")).collect();
        let pieces: Vec<&str> = words.iter().map(String::as_str).collect();
        let sent = run(&pieces, Duration::from_millis(500));
        let fragments: Vec<&str> = sent.iter().map(|(_, f)| f.as_str()).collect();
        assert!(fragments.len() > 2, "{fragments:?}");
        assert_eq!(fragments.concat(), words.concat());
        assert!(between_words(&fragments), "{fragments:?}");
    }
}
