//! Text sources: command-line words, files, and standard input read as it arrives.
//!
//! Runs on the reader thread, so a slow writer on stdin never holds up playback. Text is handed
//! on in whatever pieces the writer sent (a partial line included). Text is UTF-8, or UTF-8 or
//! UTF-16 (LE or BE) with a byte-order mark. Invalid UTF-8 is replaced and control characters
//! are dropped (each with one warning) rather than aborting a long stream; an input whose
//! start is not text at all (binary data, UTF-16 without a byte-order mark, endless NULs such
//! as `/dev/zero`) is refused with what it looks like, before any of it is read further.

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

/// One place text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Words given on the command line, joined by spaces.
    Text(String),
    /// A file, read line by line.
    File(PathBuf),
    /// Standard input, read line by line as it arrives.
    Stdin,
}

/// Why text could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// A file could not be opened or read.
    #[error("cannot read {}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Standard input could not be read.
    #[error("cannot read standard input")]
    Stdin(#[source] io::Error),
    /// The input held nothing but white space.
    #[error("nothing to say: the input was empty")]
    Empty,
    /// The input is not text (or text in an encoding that cannot be told without a BOM).
    #[error("{name} is not text tts can read: it looks like {kind}; {fix}")]
    NotText {
        /// The file, or "standard input".
        name: String,
        /// What it looks like.
        kind: &'static str,
        /// What to do.
        fix: &'static str,
    },
}

/// Read every input in order, handing each piece of text to `on_text` as it arrives.
/// `on_text` returns `false` to stop reading early.
pub fn read_all(
    inputs: &[Input],
    on_text: &mut dyn FnMut(&str) -> bool,
) -> Result<(), SourceError> {
    let mut warnings = Warnings::default();
    for input in inputs {
        let keep_going = match input {
            Input::Text(text) => {
                let mut decoder = TextDecoder::new();
                let text = decoder.clean(text, &mut warnings);
                text.is_empty() || on_text(&text)
            }
            Input::File(path) => {
                let file = File::open(path).map_err(|source| SourceError::File {
                    path: path.clone(),
                    source,
                })?;
                read_pieces(file, &path.display().to_string(), &mut warnings, on_text).map_err(
                    |error| match error {
                        ReadError::Io(source) => SourceError::File {
                            path: path.clone(),
                            source,
                        },
                        ReadError::NotText(not) => not.into_error(path.display().to_string()),
                    },
                )?
            }
            Input::Stdin => {
                read_pieces(io::stdin().lock(), "standard input", &mut warnings, on_text).map_err(
                    |error| match error {
                        ReadError::Io(source) => SourceError::Stdin(source),
                        ReadError::NotText(not) => not.into_error("standard input".into()),
                    },
                )?
            }
        };
        if !keep_going {
            break;
        }
    }
    Ok(())
}

/// Look at the start of each file: one that is not text is refused before anything is
/// synthesized (a file that cannot be opened is left to [`read_all`] to report). Pipes and
/// terminals are not looked at (what is read from them would be gone); regular files and
/// devices such as `/dev/zero` are.
pub fn check_files(inputs: &[Input]) -> Result<(), SourceError> {
    for input in inputs {
        let Input::File(path) = input else { continue };
        // Not even opened unless it is a regular file or a device: opening a named pipe
        // waits for its writer, and closing it again loses what was written.
        if !std::fs::metadata(path).is_ok_and(|m| worth_sniffing(&m.file_type())) {
            continue;
        }
        let Ok(mut file) = File::open(path) else {
            continue;
        };
        if is_terminal(&file) {
            continue;
        }
        let mut head = vec![0; SNIFF_BYTES];
        let mut filled = 0;
        while filled < head.len() {
            match file.read(&mut head[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        if let Some(not) = sniff(&head[..filled]) {
            return Err(not.into_error(path.display().to_string()));
        }
    }
    Ok(())
}

/// Whether reading the start of a file of this kind takes nothing away from reading it again
/// (a regular file, or a device such as `/dev/zero`; terminals are left out when open).
fn worth_sniffing(kind: &std::fs::FileType) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() {
            return true;
        }
    }
    kind.is_file()
}

fn is_terminal(file: &File) -> bool {
    use std::io::IsTerminal;
    file.is_terminal()
}

/// Decode a whole file's bytes (UTF-8, or UTF-16 with a byte-order mark), control characters
/// dropped; `Err` says what the bytes are instead (for `tts convert`, which takes no
/// invalid bytes).
pub fn decode_all(bytes: &[u8]) -> Result<String, String> {
    if let Some(not) = sniff(&bytes[..bytes.len().min(SNIFF_BYTES)]) {
        return Err(format!("it looks like {}; {}", not.kind, not.fix));
    }
    let (text, _, replaced) = encoding_rs::UTF_8.decode(bytes);
    if replaced {
        return Err("not UTF-8 text (it has invalid bytes); convert it to UTF-8 first".into());
    }
    let mut warnings = Warnings::default();
    Ok(TextDecoder::new().clean(&text, &mut warnings))
}

/// How much of the start of an input is looked at to tell text from other data.
const SNIFF_BYTES: usize = 8192;

/// What an input that is not text looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NotText {
    kind: &'static str,
    fix: &'static str,
}

impl NotText {
    fn into_error(self, name: String) -> SourceError {
        SourceError::NotText {
            name,
            kind: self.kind,
            fix: self.fix,
        }
    }
}

enum ReadError {
    Io(io::Error),
    NotText(NotText),
}

/// Warnings said once per run.
#[derive(Debug, Default)]
struct Warnings {
    invalid: bool,
    control: bool,
}

/// Feed text as it arrives; returns `Ok(false)` when `on_text` asked to stop.
fn read_pieces(
    mut reader: impl Read,
    name: &str,
    warnings: &mut Warnings,
    on_text: &mut dyn FnMut(&str) -> bool,
) -> Result<bool, ReadError> {
    let mut buffer = vec![0u8; SNIFF_BYTES];
    let mut decoder = TextDecoder::new();
    let mut first = true;
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::Io(e)),
        };
        let end = read == 0;
        if first && !end {
            first = false;
            if let Some(not) = sniff(&buffer[..read]) {
                tracing::debug!(name, kind = not.kind, "not text");
                return Err(ReadError::NotText(not));
            }
        }
        let text = decoder.decode(&buffer[..read], end, warnings);
        if !text.is_empty() && !on_text(&text) {
            return Ok(false);
        }
        if end {
            return Ok(true);
        }
    }
}

/// Bytes to text: UTF-8, or UTF-8 or UTF-16 (LE or BE) after a byte-order mark, which is
/// removed; a character cut off at the end of a read waits for the next. Invalid bytes
/// become U+FFFD, control characters are dropped (form feed, vertical tab and NEL become line
/// breaks; tab, line feed and carriage return stay), each with one warning.
struct TextDecoder {
    decoder: encoding_rs::Decoder,
}

impl TextDecoder {
    fn new() -> Self {
        Self {
            // The UTF-8 decoder sniffs the byte-order marks of UTF-8 and UTF-16 and follows them.
            decoder: encoding_rs::UTF_8.new_decoder(),
        }
    }

    fn decode(&mut self, bytes: &[u8], last: bool, warnings: &mut Warnings) -> String {
        let mut text = String::with_capacity(
            self.decoder
                .max_utf8_buffer_length(bytes.len())
                .unwrap_or(bytes.len() * 3 + 16),
        );
        let (_, _, replaced) = self.decoder.decode_to_string(bytes, &mut text, last);
        if replaced && !warnings.invalid {
            warnings.invalid = true;
            tracing::warn!("input is not valid UTF-8; unreadable bytes are replaced");
        }
        self.clean(&text, warnings)
    }

    /// Drop control characters that no engine should see (a NUL ends a C string).
    fn clean(&mut self, text: &str, warnings: &mut Warnings) -> String {
        if !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '\t' | '\n' | '\r' => out.push(c),
                '\u{0b}' | '\u{0c}' | '\u{85}' => out.push('\n'),
                c if c.is_control() => {
                    if !warnings.control {
                        warnings.control = true;
                        tracing::warn!(
                            "input holds control characters (such as NUL); they are dropped"
                        );
                    }
                }
                c => out.push(c),
            }
        }
        out
    }
}

/// What the first bytes of an input say it is, when it is not text tts can read.
fn sniff(head: &[u8]) -> Option<NotText> {
    const CONVERT: &str = "save it as UTF-8 text (iconv -t UTF-8 converts it)";
    const MAGIC: &[(&[u8], &str)] = &[
        (b"%PDF", "a PDF document"),
        (b"PK\x03\x04", "a ZIP archive (or an office document)"),
        (b"\x1f\x8b", "gzip-compressed data"),
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"\x7fELF", "a program (ELF)"),
        (b"RIFF", "audio or video (RIFF)"),
        (b"OggS", "Ogg audio"),
        (b"ID3", "MP3 audio"),
        (b"fLaC", "FLAC audio"),
    ];
    // A byte-order mark says what the text is; the decoder follows it.
    if head.starts_with(b"\xef\xbb\xbf")
        || head.starts_with(b"\xff\xfe")
        || head.starts_with(b"\xfe\xff")
    {
        return None;
    }
    for (magic, kind) in MAGIC {
        if head.starts_with(magic) {
            return Some(NotText {
                kind,
                fix: "give tts a text file",
            });
        }
    }
    let nul = head.iter().filter(|&&b| b == 0).count();
    if nul == 0 {
        let control = head
            .iter()
            .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1b))
            .count();
        return (head.len() >= 16 && control * 10 > head.len()).then_some(NotText {
            kind: "binary data",
            fix: "give tts a text file",
        });
    }
    // UTF-16 without a byte-order mark: ASCII text with a NUL in every other byte.
    let pairs = head.len() / 2;
    if pairs >= 2 {
        let odd_nul = head
            .chunks_exact(2)
            .filter(|p| p[1] == 0 && p[0] != 0)
            .count();
        let even_nul = head
            .chunks_exact(2)
            .filter(|p| p[0] == 0 && p[1] != 0)
            .count();
        if odd_nul * 10 >= pairs * 8 {
            return Some(NotText {
                kind: "UTF-16LE text without a byte-order mark",
                fix: CONVERT,
            });
        }
        if even_nul * 10 >= pairs * 8 {
            return Some(NotText {
                kind: "UTF-16BE text without a byte-order mark",
                fix: CONVERT,
            });
        }
    }
    // A stray NUL in text is dropped; many are not text at all (`-f /dev/zero`).
    (nul * 10 > head.len()).then_some(NotText {
        kind: "binary data (NUL bytes)",
        fix: "give tts a text file",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Result<String, SourceError> {
        let mut got = String::new();
        let mut warnings = Warnings::default();
        read_pieces(bytes, "x.txt", &mut warnings, &mut |t| {
            got.push_str(t);
            true
        })
        .map_err(|e| match e {
            ReadError::Io(e) => SourceError::Stdin(e),
            ReadError::NotText(not) => not.into_error("x.txt".into()),
        })?;
        Ok(got)
    }

    #[test]
    fn bad_bytes_are_replaced_and_a_split_character_survives() {
        let mut warnings = Warnings::default();
        let mut decoder = TextDecoder::new();
        assert_eq!(
            decoder.decode(b"tw\xffo \xe4\xbd", false, &mut warnings),
            "tw\u{fffd}o "
        );
        assert!(warnings.invalid);
        assert_eq!(decoder.decode(b"\xa0!", false, &mut warnings), "\u{4f60}!");
        let mut cut = TextDecoder::new();
        assert_eq!(
            cut.decode(b"x\xe4", true, &mut warnings),
            "x\u{fffd}",
            "at the end it is replaced"
        );
    }

    #[test]
    fn pieces_arrive_as_read() {
        assert_eq!(read(b"one\ntwo").expect("read"), "one\ntwo");
    }

    #[test]
    fn byte_order_marks_are_followed_and_removed() {
        let text = "Hello, 世界.\n";
        let le: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xfe, 0xff]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        let utf8: Vec<u8> = b"\xef\xbb\xbf"
            .iter()
            .copied()
            .chain(text.bytes())
            .collect();
        for bytes in [le, be, utf8] {
            assert_eq!(read(&bytes).expect("decoded"), text);
            assert_eq!(decode_all(&bytes).expect("decoded"), text);
        }
    }

    #[test]
    fn control_characters_are_dropped_and_page_breaks_are_line_breaks() {
        assert_eq!(
            read(b"one\0 two\x07\tthree\x0cfour\r\n").expect("read"),
            "one two\tthree\nfour\r\n"
        );
    }

    #[test]
    fn data_that_is_not_text_is_named() {
        let refused = |bytes: &[u8]| read(bytes).expect_err("refused").to_string();
        assert_eq!(
            refused(&[0; 8192]),
            "x.txt is not text tts can read: it looks like binary data (NUL bytes); give tts a text file"
        );
        let utf16: Vec<u8> = "Hello there"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(
            refused(&utf16).contains("UTF-16LE text without a byte-order mark; save it as UTF-8")
        );
        let utf16: Vec<u8> = "Hello there"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert!(refused(&utf16).contains("UTF-16BE"));
        assert!(refused(b"%PDF-1.7\n...").contains("a PDF document"));
        assert!(refused(b"\x1f\x8b\x08\0\0\0").contains("gzip"));
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let err = read_all(&[Input::File("/nonexistent/x.txt".into())], &mut |_| true)
            .expect_err("missing file");
        assert_eq!(err.to_string(), "cannot read /nonexistent/x.txt");
    }
}
