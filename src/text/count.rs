//! The service's character count: what a task may hold and what it bills.
//!
//! A CJK ideograph counts 2, every other character 1; SSML tags are not counted. Limits: 20,000
//! per continue-task, 200,000 per task.

/// The most characters one continue-task may carry.
pub const MAX_PER_MESSAGE: usize = 20_000;
/// The most characters one task may carry.
pub const MAX_PER_TASK: usize = 200_000;

/// Billed characters of plain text.
///
/// ```
/// use tts::text::count::billed;
/// assert_eq!(billed("你好"), 4);
/// assert_eq!(billed("中A文123"), 8);
/// ```
pub fn billed(text: &str) -> usize {
    text.chars().map(weight).sum()
}

/// Billed characters of SSML: the tags do not count.
pub fn billed_ssml(text: &str) -> usize {
    let mut in_tag = false;
    let mut count = 0;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => count += weight(c),
            _ => {}
        }
    }
    count
}

fn weight(c: char) -> usize {
    if is_ideograph(c) { 2 } else { 1 }
}

/// CJK Unified Ideographs and extensions A to I, and the compatibility ideographs.
fn is_ideograph(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{20000}'..='\u{2A6DF}'
        | '\u{2A700}'..='\u{2EE5F}'
        | '\u{30000}'..='\u{323AF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{2F800}'..='\u{2FA1F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_examples_count_as_documented() {
        assert_eq!(billed("你好"), 4);
        assert_eq!(billed("中A文123"), 8);
        assert_eq!(billed("中 文。"), 6);
        assert_eq!(billed_ssml("<speak>你好</speak>"), 4);
        assert_eq!(
            billed_ssml("<speak rate=\"2\">Hi <break time=\"1s\"/>there</speak>"),
            8
        );
    }

    #[test]
    fn kana_hangul_and_latin_count_one() {
        assert_eq!(billed("かなカナ한글abc"), 9);
        assert_eq!(billed("𠀀"), 2, "extension B counts 2");
    }
}
