//! Showing a conversion as it goes: indicatif bars on a terminal (the whole run by files and
//! characters with an ETA, and a line per file being spoken), one plain line per finished file
//! otherwise, nothing with `--quiet`.

use std::collections::HashMap;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{Event, Outcome};
use crate::cli::batch::ConvertFile;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Bars, redrawn in place (stderr is a terminal).
    Bars,
    /// A line per finished file.
    Lines,
    /// Nothing.
    Quiet,
}

/// The display for one run.
pub struct Progress<'a> {
    style: Style,
    files: &'a [ConvertFile],
    bars: MultiProgress,
    overall: Option<ProgressBar>,
    active: HashMap<usize, ProgressBar>,
    sizes: HashMap<usize, usize>,
    spoken: HashMap<usize, usize>,
    total: usize,
    finished: usize,
}

impl<'a> Progress<'a> {
    /// A display for `files` in `style`.
    pub fn new(style: Style, files: &'a [ConvertFile]) -> Self {
        let target = if style == Style::Bars {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Self {
            style,
            files,
            bars: MultiProgress::with_draw_target(target),
            overall: None,
            active: HashMap::new(),
            sizes: HashMap::new(),
            spoken: HashMap::new(),
            total: 0,
            finished: 0,
        }
    }

    fn name(&self, index: usize) -> String {
        self.files
            .get(index)
            .map(|f| f.input.display().to_string())
            .unwrap_or_default()
    }

    /// Take one event from the run.
    pub fn event(&mut self, event: &Event) {
        match event {
            Event::Planned { files, skipped } => {
                // Files that fail before any synthesis (empty, not UTF-8) count as handled too.
                self.total = self.files.len() - skipped;
                self.sizes = files.iter().copied().collect();
                if *skipped > 0 {
                    self.say(&format!("{skipped} file(s) already up to date, skipped"));
                }
                if self.style == Style::Bars {
                    let characters: usize = files.iter().map(|(_, c)| c).sum();
                    let bar = self.bars.add(ProgressBar::new(characters as u64));
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{prefix} [{bar:30}] {human_pos}/{human_len} characters, {elapsed} elapsed, ETA {eta}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                    );
                    bar.set_prefix(format!("0/{} files", self.total));
                    bar.enable_steady_tick(Duration::from_millis(200));
                    self.overall = Some(bar);
                }
            }
            Event::Started { index } => {
                if self.style == Style::Bars {
                    let size = self.sizes.get(index).copied().unwrap_or(0);
                    let bar = self.bars.add(ProgressBar::new(size as u64));
                    bar.set_style(
                        ProgressStyle::with_template("  {wide_msg} {percent:>3}%")
                            .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    );
                    bar.set_message(self.name(*index));
                    self.active.insert(*index, bar);
                }
            }
            Event::Spoken { index, characters } => {
                *self.spoken.entry(*index).or_default() += characters;
                if let Some(bar) = self.active.get(index) {
                    bar.inc(*characters as u64);
                }
                if let Some(bar) = &self.overall {
                    bar.inc(*characters as u64);
                }
            }
            Event::Retrying {
                index,
                reason,
                attempt,
            } => {
                let text = format!(
                    "retrying {} (attempt {attempt}): {reason}",
                    self.name(*index)
                );
                self.say(&text);
            }
            Event::Finished { index, outcome } => {
                self.finished += 1;
                if let Some(bar) = self.active.remove(index) {
                    bar.finish_and_clear();
                    self.bars.remove(&bar);
                }
                if let Some(bar) = &self.overall {
                    // Whatever was not spoken of it (a failure) still counts as handled.
                    let size = self.sizes.get(index).copied().unwrap_or(0);
                    let spoken = self.spoken.get(index).copied().unwrap_or(0);
                    bar.inc(size.saturating_sub(spoken) as u64);
                    bar.set_prefix(format!("{}/{} files", self.finished, self.total));
                }
                let output = self
                    .files
                    .get(*index)
                    .map(|f| f.output.display().to_string())
                    .unwrap_or_default();
                let text = match outcome {
                    Outcome::Done { seconds, .. } => {
                        format!("done {} -> {output} ({seconds:.1} s)", self.name(*index))
                    }
                    Outcome::Failed(reason) => format!("failed {}: {reason}", self.name(*index)),
                    Outcome::Skipped | Outcome::Interrupted => return,
                };
                self.say(&text);
            }
        }
    }

    /// A line above the bars, or on its own without them.
    fn say(&self, text: &str) {
        match self.style {
            Style::Bars => self.bars.suspend(|| eprintln_line(text)),
            Style::Lines => eprintln_line(text),
            Style::Quiet => {}
        }
    }

    /// Take the bars off the screen before the summary.
    pub fn finish(&mut self) {
        for (_, bar) in self.active.drain() {
            bar.finish_and_clear();
        }
        if let Some(bar) = self.overall.take() {
            bar.finish_and_clear();
        }
        let _ = self.bars.clear();
    }
}

#[allow(
    clippy::print_stderr,
    reason = "progress lines are the user interface of convert"
)]
fn eprintln_line(text: &str) {
    eprintln!("tts: {text}");
}
