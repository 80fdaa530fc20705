//! Markdown to speakable text, line by line: headings, emphasis, inline code and list marks
//! lose their symbols, links keep their text, code blocks are dropped. For `--markdown-filter`
//! with the offline engine (the service filters its own).

/// A line filter that remembers whether it is inside a fenced code block.
#[derive(Debug, Default)]
pub struct MarkdownFilter {
    in_fence: bool,
    /// Say "Code block omitted." where a code block starts (chat answers).
    announce_code: bool,
}

/// What replaces a code block when [`MarkdownFilter::announcing_code`] is set.
pub const CODE_OMITTED: &str = "Code block omitted.";

impl MarkdownFilter {
    /// A filter outside any code block.
    pub fn new() -> Self {
        Self::default()
    }

    /// A filter that says [`CODE_OMITTED`] in place of each code block, so a listener knows
    /// something was left out.
    pub fn announcing_code() -> Self {
        Self {
            in_fence: false,
            announce_code: true,
        }
    }

    /// Whether the filter is inside a fenced code block.
    pub fn in_code(&self) -> bool {
        self.in_fence
    }

    /// The speakable part of the rest of a line whose start was already filtered: only the
    /// inline marks (emphasis, code, links) are removed.
    pub fn continuation(&mut self, text: &str) -> String {
        if self.in_fence {
            return String::new();
        }
        inline(text)
    }

    /// The speakable part of one line (without its line break); empty for lines to drop.
    pub fn line(&mut self, line: &str) -> String {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            self.in_fence = !self.in_fence;
            if self.in_fence && self.announce_code {
                return CODE_OMITTED.to_owned();
            }
            return String::new();
        }
        if self.in_fence || is_rule(trimmed) {
            return String::new();
        }
        let mut text = trimmed
            .trim_start_matches('#')
            .trim_start_matches('>')
            .trim_start();
        for bullet in ["- ", "* ", "+ "] {
            if let Some(rest) = text.strip_prefix(bullet) {
                text = rest;
            }
        }
        inline(text)
    }
}

/// `---`, `***`, `___` and their spaced forms.
fn is_rule(line: &str) -> bool {
    let marks: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    marks.len() >= 3
        && (marks.chars().all(|c| c == '-')
            || marks.chars().all(|c| c == '*')
            || marks.chars().all(|c| c == '_'))
}

/// Links to their text, images to their alt text, emphasis and code marks removed.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let image = c == '!' && chars.get(i + 1) == Some(&'[');
        if c == '[' || image {
            let open = if image { i + 1 } else { i };
            if let Some((label, end)) = link(&chars, open) {
                out.push_str(&inline(&label));
                i = end;
                continue;
            }
        }
        match c {
            '*' | '`' => {}
            '_' if is_marker_underscore(&chars, i) => {}
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// `[label](target)` starting at `open`: the label and the index after the `)`.
fn link(chars: &[char], open: usize) -> Option<(String, usize)> {
    let close = open + chars[open..].iter().position(|&c| c == ']')?;
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let end = close + 1 + chars[close + 1..].iter().position(|&c| c == ')')?;
    Some((chars[open + 1..close].iter().collect(), end + 1))
}

/// `_emphasis_` marks sit at a word's edge; `snake_case` underscores do not.
fn is_marker_underscore(chars: &[char], i: usize) -> bool {
    let before = i
        .checked_sub(1)
        .and_then(|j| chars.get(j))
        .is_some_and(|c| c.is_alphanumeric());
    let after = chars.get(i + 1).is_some_and(|c| c.is_alphanumeric());
    !(before && after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(text: &str) -> Vec<String> {
        let mut filter = MarkdownFilter::new();
        text.lines().map(|l| filter.line(l)).collect()
    }

    #[test]
    fn symbols_go_and_words_stay() {
        assert_eq!(
            filter(
                "# Title\n> quoted **bold** and *it* and `code`\n- a [link](http://x.y) and ![alt](i.png)\n1. snake_case _em_"
            ),
            [
                "Title",
                "quoted bold and it and code",
                "a link and alt",
                "1. snake_case em"
            ]
        );
    }

    #[test]
    fn code_blocks_and_rules_are_dropped() {
        assert_eq!(
            filter("before\n```rust\nlet x = 1;\n```\nafter\n---"),
            ["before", "", "", "", "after", ""]
        );
    }
}
