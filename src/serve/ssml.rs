//! SSML to what the offline engine can speak: an XML parser reads the document (entities
//! decoded); `<break>` becomes silence, `<sub>` its alias, `<say-as>` spelt out where asked,
//! `<prosody>` a change of rate, pitch and volume; every other element is spoken as its text.
//! Text that is not a `<speak>` document is not SSML at all and is spoken as it is.

use crate::engine::local::LocalParams;

/// The longest pause one `<break>` may ask for (the service's limit).
const MAX_BREAK_MS: u32 = 10_000;

/// A run of text with its prosody, or a pause.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    /// Silence before the text, in milliseconds.
    pub pause_ms: u32,
    /// The text (may be empty for a pause alone).
    pub text: String,
    /// Voice and prosody for the text.
    pub params: LocalParams,
}

/// Why a `<speak>` document was refused.
#[derive(Debug, thiserror::Error)]
pub enum SsmlError {
    /// Not well-formed XML (or it has a DTD, which is never read).
    #[error("SSML text is not valid XML: {0}")]
    Xml(#[from] roxmltree::Error),
    /// Nested deeper than any speech needs (and than a parser's stack should go).
    #[error("SSML text nests elements more than {MAX_DEPTH} deep: flatten it")]
    TooDeep,
}

/// The deepest element nesting of `text`, by a scan that needs no stack.
fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'<' {
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'/') => depth = depth.saturating_sub(1),
            Some(b'!' | b'?') | None => {}
            Some(_) => {
                let self_closing = bytes[i..]
                    .iter()
                    .position(|&c| c == b'>')
                    .is_some_and(|end| end > 0 && bytes[i + end - 1] == b'/');
                if !self_closing {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
            }
        }
    }
    deepest
}

/// Whether `text` is an SSML document (its root is `<speak>`), not text that merely has `<`.
pub fn is_ssml(text: &str) -> bool {
    let start = text.trim_start();
    let start = start.strip_prefix("<?xml").map_or(start, |rest| {
        rest.split_once("?>")
            .map_or("", |(_, after)| after.trim_start())
    });
    start.starts_with("<speak")
        && start[6..]
            .chars()
            .next()
            .is_some_and(|c| c == '>' || c == '/' || c.is_whitespace())
}

/// The pieces a `<speak>` document says, spoken with `base` unless `<prosody>` changes it.
pub fn parse(text: &str, base: &LocalParams) -> Result<Vec<Piece>, SsmlError> {
    if nesting(text) > MAX_DEPTH {
        return Err(SsmlError::TooDeep);
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..roxmltree::ParsingOptions::default()
    };
    let document = roxmltree::Document::parse_with_options(text, options)?;
    let mut walker = Walker {
        pieces: Vec::new(),
        pending_pause: 0,
        run: String::new(),
        params: base.clone(),
    };
    walker.node(document.root_element(), 0);
    walker.flush();
    if walker.pending_pause > 0 {
        walker.pieces.push(Piece {
            pause_ms: walker.pending_pause,
            text: String::new(),
            params: walker.params.clone(),
        });
    }
    Ok(walker.pieces)
}

struct Walker {
    pieces: Vec<Piece>,
    pending_pause: u32,
    run: String,
    params: LocalParams,
}

/// Nesting deeper than this is spoken as text without further structure.
const MAX_DEPTH: usize = 64;

impl Walker {
    fn flush(&mut self) {
        if self.run.trim().is_empty() {
            self.run.clear();
            return;
        }
        self.pieces.push(Piece {
            pause_ms: std::mem::take(&mut self.pending_pause),
            text: std::mem::take(&mut self.run),
            params: self.params.clone(),
        });
    }

    fn children(&mut self, node: roxmltree::Node<'_, '_>, depth: usize) {
        for child in node.children() {
            self.node(child, depth + 1);
        }
    }

    fn node(&mut self, node: roxmltree::Node<'_, '_>, depth: usize) {
        if node.is_text() {
            self.run.push_str(node.text().unwrap_or(""));
            return;
        }
        if !node.is_element() {
            return;
        }
        if depth > MAX_DEPTH {
            self.run.push_str(&text_of(node));
            return;
        }
        match node.tag_name().name() {
            "break" => {
                self.flush();
                self.pending_pause = self
                    .pending_pause
                    .saturating_add(break_ms(node))
                    .min(MAX_BREAK_MS);
            }
            "sub" => match node.attribute("alias") {
                Some(alias) => self.run.push_str(alias),
                None => self.children(node, depth),
            },
            "say-as" => {
                let text = text_of(node);
                match node.attribute("interpret-as") {
                    Some("characters" | "spell-out" | "digits" | "telephone") => {
                        let spelt: Vec<String> = text
                            .chars()
                            .filter(|c| !c.is_whitespace())
                            .map(String::from)
                            .collect();
                        self.run.push_str(&spelt.join(" "));
                    }
                    _ => self.run.push_str(&text),
                }
            }
            "prosody" => {
                self.flush();
                let saved = self.params.clone();
                if let Some(rate) = node.attribute("rate").and_then(|v| scale(v, RATE_WORDS)) {
                    self.params.rate = (saved.rate * rate).clamp(0.5, 2.0);
                }
                if let Some(pitch) = node.attribute("pitch").and_then(|v| scale(v, PITCH_WORDS)) {
                    self.params.pitch = (saved.pitch * pitch).clamp(0.5, 2.0);
                }
                if let Some(volume) = node
                    .attribute("volume")
                    .and_then(|v| volume(v, saved.volume))
                {
                    self.params.volume = volume;
                }
                self.children(node, depth);
                self.flush();
                self.params = saved;
            }
            "p" | "s" => {
                self.flush();
                self.children(node, depth);
                self.flush();
            }
            // <phoneme> (IPA the engine cannot take safely), <emphasis>, <voice>, <audio>'s
            // fallback and any other element: their text, never dropped; no attribute is used.
            _ => self.children(node, depth),
        }
    }
}

fn text_of(node: roxmltree::Node<'_, '_>) -> String {
    node.descendants()
        .filter(roxmltree::Node::is_text)
        .filter_map(|n| n.text())
        .collect()
}

/// `<break time="500ms">`, `time="2s"`, or a `strength`.
fn break_ms(node: roxmltree::Node<'_, '_>) -> u32 {
    if let Some(time) = node.attribute("time").map(str::trim) {
        let (number, factor) = if let Some(ms) = time.strip_suffix("ms") {
            (ms, 1.0)
        } else if let Some(s) = time.strip_suffix('s') {
            (s, 1000.0)
        } else {
            (time, 1.0)
        };
        if let Ok(value) = number.trim().parse::<f64>()
            && value.is_finite()
            && value >= 0.0
        {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "clamped to 0..=MAX_BREAK_MS"
            )]
            return (value * factor).min(f64::from(MAX_BREAK_MS)) as u32;
        }
    }
    match node.attribute("strength") {
        Some("none") => 0,
        Some("x-weak") => 100,
        Some("weak") => 250,
        Some("strong") => 750,
        Some("x-strong") => 1000,
        _ => 500,
    }
}

const RATE_WORDS: &[(&str, f32)] = &[
    ("x-slow", 0.5),
    ("slow", 0.75),
    ("medium", 1.0),
    ("default", 1.0),
    ("fast", 1.5),
    ("x-fast", 2.0),
];
const PITCH_WORDS: &[(&str, f32)] = &[
    ("x-low", 0.5),
    ("low", 0.75),
    ("medium", 1.0),
    ("default", 1.0),
    ("high", 1.5),
    ("x-high", 2.0),
];

/// A rate or pitch factor: a word, `150%`, `+20%`, `-10%`, or a bare factor (`1.2`).
fn scale(value: &str, words: &[(&str, f32)]) -> Option<f32> {
    let value = value.trim();
    if let Some((_, factor)) = words.iter().find(|(w, _)| *w == value) {
        return Some(*factor);
    }
    let factor = if let Some(percent) = value.strip_suffix('%') {
        let number: f32 = percent.parse().ok()?;
        if value.starts_with('+') || value.starts_with('-') {
            1.0 + number / 100.0
        } else {
            number / 100.0
        }
    } else {
        value.parse().ok()?
    };
    (factor.is_finite() && factor > 0.0).then_some(factor)
}

/// A volume 0..=100: a word, `+10`/`-10` relative, `50%` of the current, or absolute.
fn volume(value: &str, current: u8) -> Option<u8> {
    let value = value.trim();
    let words = [
        ("silent", 0.0),
        ("x-soft", 20.0),
        ("soft", 35.0),
        ("medium", 50.0),
        ("default", 50.0),
        ("loud", 75.0),
        ("x-loud", 100.0),
    ];
    let level: f32 = if let Some((_, level)) = words.iter().find(|(w, _)| *w == value) {
        *level
    } else if let Some(percent) = value.strip_suffix('%') {
        f32::from(current) * percent.trim_start_matches('+').parse::<f32>().ok()? / 100.0
    } else if value.starts_with('+') || value.starts_with('-') {
        f32::from(current) + value.trim_end_matches("dB").parse::<f32>().ok()?
    } else {
        value.parse().ok()?
    };
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "clamped to 0..=100"
    )]
    level
        .is_finite()
        .then(|| level.clamp(0.0, 100.0).round() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(pieces: &[Piece]) -> Vec<&str> {
        pieces.iter().map(|p| p.text.as_str()).collect()
    }

    #[test]
    fn only_a_speak_root_is_ssml() {
        assert!(is_ssml("<speak>Hi</speak>"));
        assert!(is_ssml(
            "  <?xml version=\"1.0\"?>\n<speak version=\"1.0\">Hi</speak>"
        ));
        assert!(!is_ssml("If five < seven and nine > three"));
        assert!(!is_ssml("<speaker>x</speaker>"));
        assert!(!is_ssml("Hello <b>world</b>"));
    }

    #[test]
    fn entities_are_decoded_and_elements_honoured() {
        let base = LocalParams::default();
        let pieces = parse(
            "<speak>Tom &amp; Jerry: 5 &lt; 7.<break time=\"700ms\"/>\
             <sub alias=\"World Wide Web\">WWW</sub> \
             <say-as interpret-as=\"characters\">ABC</say-as> \
             <phoneme alphabet=\"ipa\" ph=\"təmɑːtəʊ\">tomato</phoneme>\
             <prosody rate=\"fast\" pitch=\"+20%\" volume=\"80\">quick</prosody>\
             <emphasis>kept</emphasis><unknown>also kept</unknown></speak>",
            &base,
        )
        .expect("valid");
        assert_eq!(
            texts(&pieces),
            [
                "Tom & Jerry: 5 < 7.",
                "World Wide Web A B C tomato",
                "quick",
                "keptalso kept"
            ]
        );
        assert_eq!(pieces[1].pause_ms, 700);
        assert_eq!((pieces[2].params.rate, pieces[2].params.volume), (1.5, 80));
        assert!((pieces[2].params.pitch - 1.2).abs() < 1e-6);
        assert_eq!(pieces[3].params, base);
    }

    #[test]
    fn bad_xml_and_external_entities_are_refused() {
        let base = LocalParams::default();
        assert!(parse("<speak>unclosed", &base).is_err());
        let deep = format!(
            "<speak>{}x{}</speak>",
            "<p>".repeat(100),
            "</p>".repeat(100)
        );
        assert!(matches!(parse(&deep, &base), Err(SsmlError::TooDeep)));
        let fine = format!(
            "<speak>{}x<break/>{}</speak>",
            "<p>".repeat(20),
            "</p>".repeat(20)
        );
        assert!(parse(&fine, &base).is_ok());
        assert!(
            parse(
                "<!DOCTYPE speak [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><speak>&x;</speak>",
                &base
            )
            .is_err()
        );
        let pieces = parse("<speak>a<break time=\"99s\"/></speak>", &base).expect("valid");
        assert_eq!(pieces.last().expect("pause").pause_ms, MAX_BREAK_MS);
    }
}
