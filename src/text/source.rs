//! Text sources: command-line words, files, and standard input read as it arrives.
//!
//! Runs on the reader thread, so a slow writer on stdin never holds up playback. Text is handed
//! on in whatever pieces the writer sent (a partial line included). Invalid UTF-8 is replaced
//! (with one warning) rather than aborting a long stream.

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
}

/// Read every input in order, handing each piece of text to `on_text` as it arrives.
/// `on_text` returns `false` to stop reading early.
pub fn read_all(
    inputs: &[Input],
    on_text: &mut dyn FnMut(&str) -> bool,
) -> Result<(), SourceError> {
    let mut warned = false;
    for input in inputs {
        let keep_going = match input {
            Input::Text(text) => on_text(text),
            Input::File(path) => {
                let file = File::open(path).map_err(|source| SourceError::File {
                    path: path.clone(),
                    source,
                })?;
                read_pieces(file, &mut warned, on_text).map_err(|source| SourceError::File {
                    path: path.clone(),
                    source,
                })?
            }
            Input::Stdin => {
                read_pieces(io::stdin().lock(), &mut warned, on_text).map_err(SourceError::Stdin)?
            }
        };
        if !keep_going {
            break;
        }
    }
    Ok(())
}

/// Feed text as it arrives; returns `Ok(false)` when `on_text` asked to stop.
fn read_pieces(
    mut reader: impl Read,
    warned: &mut bool,
    on_text: &mut dyn FnMut(&str) -> bool,
) -> io::Result<bool> {
    let mut buffer = [0u8; 8192];
    let mut pending = Vec::new();
    loop {
        let read = match reader.read(&mut buffer) {
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let end = read == 0;
        pending.extend_from_slice(&buffer[..read]);
        let text = decode(&mut pending, end, warned);
        if !text.is_empty() && !on_text(&text) {
            return Ok(false);
        }
        if end {
            return Ok(true);
        }
    }
}

/// Take the text decodable from `bytes`, leaving a character cut off at the end for the next
/// read (or replacing it, at the `end`). Invalid bytes become U+FFFD with one warning.
fn decode(bytes: &mut Vec<u8>, end: bool, warned: &mut bool) -> String {
    let mut text = String::new();
    let mut rest: &[u8] = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                text.push_str(valid);
                rest = &[];
                break;
            }
            Err(error) => {
                let (valid, after) = rest.split_at(error.valid_up_to());
                text.push_str(std::str::from_utf8(valid).unwrap_or_default());
                match error.error_len() {
                    Some(bad) => {
                        warn_once(warned);
                        text.push('\u{fffd}');
                        rest = &after[bad..];
                    }
                    None if end => {
                        warn_once(warned);
                        text.push('\u{fffd}');
                        rest = &[];
                        break;
                    }
                    None => {
                        rest = after;
                        break;
                    }
                }
            }
        }
    }
    let keep = rest.to_vec();
    *bytes = keep;
    text
}

fn warn_once(warned: &mut bool) {
    if !*warned {
        *warned = true;
        tracing::warn!("input is not valid UTF-8; unreadable bytes are replaced");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_bytes_are_replaced_and_a_split_character_survives() {
        let mut warned = false;
        let mut bytes = b"tw\xffo \xe4\xbd".to_vec();
        assert_eq!(decode(&mut bytes, false, &mut warned), "tw\u{fffd}o ");
        assert!(warned);
        assert_eq!(
            bytes, b"\xe4\xbd",
            "half a character waits for the next read"
        );
        bytes.extend_from_slice(b"\xa0!");
        assert_eq!(decode(&mut bytes, false, &mut warned), "\u{4f60}!");
        let mut cut = b"x\xe4".to_vec();
        assert_eq!(
            decode(&mut cut, true, &mut warned),
            "x\u{fffd}",
            "at the end it is replaced"
        );
    }

    #[test]
    fn pieces_arrive_as_read() {
        let mut got = String::new();
        let mut warned = false;
        read_pieces(&b"one\ntwo"[..], &mut warned, &mut |t| {
            got.push_str(t);
            true
        })
        .expect("read");
        assert_eq!(got, "one\ntwo");
        assert!(!warned);
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let err = read_all(&[Input::File("/nonexistent/x.txt".into())], &mut |_| true)
            .expect_err("missing file");
        assert_eq!(err.to_string(), "cannot read /nonexistent/x.txt");
    }
}
