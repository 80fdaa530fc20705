use proptest::prelude::*;

use super::*;
use crate::text::count;

fn all_with(mode: LineBreaks, pieces: &[&str]) -> Vec<String> {
    let mut segmenter = Segmenter::with_line_breaks(mode);
    let mut out = Vec::new();
    for piece in pieces {
        out.extend(segmenter.push(piece));
    }
    out.extend(segmenter.finish());
    out
}

fn all(pieces: &[&str]) -> Vec<String> {
    all_with(LineBreaks::Space, pieces)
}

/// The input as it should reach the engine: the line-break rule applied (a white-space run
/// holding exactly one line break has that break turned into a space), the end trimmed.
fn expected(text: &str, mode: LineBreaks) -> String {
    if mode != LineBreaks::Space {
        return text.trim_end().to_owned();
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(char::is_whitespace) {
        out.push_str(&rest[..start]);
        let run_len = rest[start..]
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(rest.len() - start);
        let run = &rest[start..start + run_len];
        let breaks = run.replace("\r\n", "\n").matches(['\n', '\r']).count();
        if breaks == 1 {
            let at = run.find(['\n', '\r']).expect("a break");
            let width = if run[at..].starts_with("\r\n") { 2 } else { 1 };
            out.push_str(&run[..at]);
            out.push(' ');
            out.push_str(&run[at + width..]);
        } else {
            out.push_str(run);
        }
        rest = &rest[start + run_len..];
    }
    out.push_str(rest);
    out.trim_end().to_owned()
}

#[test]
fn the_white_space_between_sentences_is_sent() {
    assert_eq!(all(&["One. Two."]), ["One. ", "Two."]);
    assert_eq!(
        all(&["One.", " Two.", " Three"]),
        ["One.", " Two.", " Three"]
    );
    assert_eq!(all(&["One.  Two!\tThree?"]).concat(), "One.  Two!\tThree?");
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
        [" This is a test, she said!\u{201d}"]
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
    assert_eq!(segmenter.push("next\r\n  \r\nparagraph"), ["\n\n\n\nnext"]);
    assert_eq!(segmenter.finish().as_deref(), Some("\r\n  \r\nparagraph"));
    assert_eq!(all(&["a\r\nb\rc"]), ["a b c"]);
}

#[test]
fn flush_on_newline_ends_every_line_and_keeps_the_break() {
    let mut segmenter = Segmenter::flush_on_newline();
    assert_eq!(segmenter.push("log line one\nlog line"), ["log line one"]);
    assert_eq!(segmenter.push(" two\n"), ["\nlog line two"]);
    assert_eq!(segmenter.finish(), None, "nothing held back");
}

#[test]
fn kept_lines_are_whole_and_a_code_fence_is_one_fragment() {
    let text = "# Title\nSome **bold**\n```rust\nlet x = 1;\n\nlet y = 2;\n```\nafter\n";
    let out = all_with(LineBreaks::Keep, &[text]);
    assert_eq!(
        out,
        [
            "# Title",
            "\nSome **bold**",
            "\n```rust\nlet x = 1;\n\nlet y = 2;\n```",
            "\nafter"
        ]
    );
}

#[test]
fn chinese_full_stops_split() {
    assert_eq!(
        all(&["你好。今天天气", "很好！再见"]),
        ["你好。", "今天天气很好！", "再见"]
    );
}

#[test]
fn abbreviations_do_not_end_sentences() {
    let text = "Mr. Smith met Dr. Jones on St. Mark's Place, e.g. Near the park, i.e. Here. \
                Apples, pears, etc. and more. Mme. Dupont vit ici. Siehe z.B. Seite 4. See No. 5 today.";
    let expected_fragments = [
        "Mr. Smith met Dr. Jones on St. Mark's Place, e.g. Near the park, i.e. Here. ",
        "Apples, pears, etc. and more. ",
        "Mme. Dupont vit ici. ",
        "Siehe z.B. Seite 4. ",
        "See No. 5 today.",
    ];
    assert_eq!(all(&[text]), expected_fragments);
    // Streamed a character at a time, the same sentences (a space between them goes with the
    // next one: it had not arrived when the sentence was handed out).
    let chars: Vec<String> = text.chars().map(String::from).collect();
    let pieces: Vec<&str> = chars.iter().map(String::as_str).collect();
    let streamed = all(&pieces);
    assert_eq!(streamed.concat(), text);
    assert_eq!(
        streamed.iter().map(|f| f.trim()).collect::<Vec<_>>(),
        expected_fragments.map(str::trim)
    );
}

#[test]
fn urls_addresses_numbers_and_times_stay_whole() {
    let text = "Open https://example.com/search?q=tts.rs&page=2 now! Mail john.doe@example.org. \
                Pi is 3.14 and the train leaves at 10:30. It costs 1.5 dollars.";
    let out = all(&[text]);
    assert_eq!(
        out,
        [
            "Open https://example.com/search?q=tts.rs&page=2 now! ",
            "Mail john.doe@example.org. ",
            "Pi is 3.14 and the train leaves at 10:30. ",
            "It costs 1.5 dollars."
        ]
    );
    // A number cut by the writer is not a sentence end.
    assert_eq!(
        all(&["It costs 3.", "14 dollars. Done."]),
        ["It costs 3.14 dollars. ", "Done."]
    );
    assert_eq!(
        all(&["Visit https://x.y/a?", "b=1 now."]),
        ["Visit https://x.y/a?b=1 now."]
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
        let out = all(&refs);
        assert_eq!(out.concat(), whole.concat(), "chunk size {size}");
        assert_eq!(out.concat(), expected(text, LineBreaks::Space));
    }
}

#[test]
fn run_on_text_is_cut_at_a_space_under_the_limit() {
    let text = "word ".repeat(300);
    let out = all(&[&text]);
    assert!(out.len() >= 3);
    assert!(out.iter().all(|f| f.chars().count() <= MAX_FRAGMENT_CHARS));
    assert!(
        out.iter()
            .all(|f| f.ends_with("word ") || f.ends_with("word"))
    );
    assert_eq!(out.concat(), text.trim_end());
}

#[test]
fn run_on_text_without_spaces_is_cut_at_the_limit() {
    let text = "字".repeat(1200);
    let out = all(&[&text]);
    assert_eq!(out.concat(), text);
    assert!(out.iter().all(|f| f.chars().count() <= MAX_FRAGMENT_CHARS));
}

#[test]
fn clauses_and_words_can_be_taken_when_a_sentence_is_slow() {
    let mut segmenter = Segmenter::new();
    assert!(
        segmenter
            .push("Once upon a time, there was an extra")
            .is_empty()
    );
    assert!(segmenter.clause_ready());
    assert_eq!(
        segmenter.take(Cut::Clause).as_deref(),
        Some("Once upon a time, ")
    );
    assert!(!segmenter.clause_ready(), "no clause mark left");
    assert_eq!(segmenter.take(Cut::Word).as_deref(), Some("there was an "));
    assert_eq!(segmenter.held(), "extra", "a word being written stays");
    assert!(!segmenter.word_ready());
    assert!(segmenter.push("ordinary fisher").is_empty());
    assert_eq!(segmenter.take(Cut::Word).as_deref(), Some("extraordinary "));
    assert_eq!(segmenter.take(Cut::All).as_deref(), Some("fisher"));
    // "3,000" and "10:30" are not clause ends.
    assert!(segmenter.push("it cost 3,000 at 10:30").is_empty());
    assert!(!segmenter.clause_ready());
    // CJK clause marks need no space.
    let mut chinese = Segmenter::new();
    assert!(chinese.push("今天天气很好，我们去").is_empty());
    assert_eq!(chinese.take(Cut::Clause).as_deref(), Some("今天天气很好，"));
}

fn text_strategy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "[a-zA-Z]{1,12}",
        1 => "[0-9]{1,4}",
        1 => prop::sample::select(vec![
            ".", ",", "!", "?", ";", ":", "。", "，", "！", "？", "、", "—", "\"", ")", "…",
            "Mr.", "e.g.", "3.14", "10:30", "x.com/a?b=1", "你好", "天气", "é", "ß",
        ])
        .prop_map(str::to_owned),
        3 => prop::sample::select(vec![
            " ", " ", " ", "  ", "\n", "\n\n", "\r\n", "\r", " \n ", "\t", "\n \n", "\r\n\r\n",
        ])
        .prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 0..400).prop_map(|parts| parts.concat())
}

/// Cut `text` at the given char positions (as a reader delivers it: anywhere).
fn cut_into(text: &str, mut at: Vec<usize>) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    at.push(0);
    at.push(chars.len());
    at.iter_mut().for_each(|a| *a = (*a).min(chars.len()));
    at.sort_unstable();
    at.dedup();
    at.windows(2)
        .map(|w| chars[w[0]..w[1]].iter().collect())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn fragments_joined_are_the_text_and_each_fits_the_service(
        text in text_strategy(),
        cuts in prop::collection::vec(0usize..3000, 0..40),
        mode in prop::sample::select(vec![LineBreaks::Space, LineBreaks::EveryLine, LineBreaks::Keep]),
        takes in prop::collection::vec(0u8..4, 0..40),
    ) {
        let pieces = cut_into(&text, cuts);
        let mut segmenter = Segmenter::with_line_breaks(mode);
        let mut out = Vec::new();
        for (i, piece) in pieces.iter().enumerate() {
            out.extend(segmenter.push(piece));
            // A quiet moment may take part of what is held.
            match takes.get(i) {
                Some(1) => out.extend(segmenter.take(Cut::Clause)),
                Some(2) => out.extend(segmenter.take(Cut::Word)),
                Some(3) => out.extend(segmenter.take(Cut::All)),
                _ => {}
            }
        }
        out.extend(segmenter.finish());
        prop_assert_eq!(out.concat(), expected(&text, mode));
        for fragment in &out {
            prop_assert!(!fragment.trim().is_empty(), "white space alone: {:?}", fragment);
            prop_assert!(fragment.chars().count() <= MAX_FRAGMENT_CHARS);
            prop_assert!(count::billed(fragment) <= count::MAX_PER_MESSAGE);
        }
    }
}
