//! Text sources: command-line words, files, and standard input read line by line.
//!
//! Runs on the reader thread, so a slow writer on stdin never holds up playback. Invalid
//! UTF-8 is replaced (with one warning) rather than aborting a long stream.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
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

/// Read every input in order, handing each line (with its line break) to `on_text`.
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
                read_lines(BufReader::new(file), &mut warned, on_text).map_err(|source| {
                    SourceError::File {
                        path: path.clone(),
                        source,
                    }
                })?
            }
            Input::Stdin => {
                read_lines(io::stdin().lock(), &mut warned, on_text).map_err(SourceError::Stdin)?
            }
        };
        if !keep_going {
            break;
        }
    }
    Ok(())
}

/// Feed lines as they arrive; returns `Ok(false)` when `on_text` asked to stop.
fn read_lines(
    mut reader: impl BufRead,
    warned: &mut bool,
    on_text: &mut dyn FnMut(&str) -> bool,
) -> io::Result<bool> {
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(true);
        }
        let text = String::from_utf8_lossy(&line);
        if matches!(text, std::borrow::Cow::Owned(_)) && !*warned {
            *warned = true;
            tracing::warn!("input is not valid UTF-8; unreadable bytes are replaced");
        }
        if !on_text(&text) {
            return Ok(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_arrive_one_by_one_and_bad_bytes_are_replaced() {
        let mut got = Vec::new();
        let mut warned = false;
        let input: &[u8] = b"one\ntw\xffo\nthree";
        read_lines(input, &mut warned, &mut |t| {
            got.push(t.to_owned());
            true
        })
        .expect("read");
        assert_eq!(got, ["one\n", "tw\u{fffd}o\n", "three"]);
        assert!(warned);
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let err = read_all(&[Input::File("/nonexistent/x.txt".into())], &mut |_| true)
            .expect_err("missing file");
        assert_eq!(err.to_string(), "cannot read /nonexistent/x.txt");
    }
}
