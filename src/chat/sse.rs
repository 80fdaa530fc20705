//! Server-Sent Events, parsed incrementally: bytes in as they are read, whole events out.
//! Lines end with LF, CRLF or CR; `:` lines are keep-alive comments; an event's `data:`
//! lines are joined with LF; an event ends at a blank line.

/// The largest event kept: a server that never ends one is not allowed to fill memory.
const MAX_EVENT: usize = 1 << 20;

/// Why a stream could not be parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SseError {
    /// An event longer than `MAX_EVENT` (1 MB).
    #[error("an event of the stream is larger than {} KB", MAX_EVENT >> 10)]
    TooLarge,
}

/// The parser's state between reads.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes of the line not yet ended.
    line: Vec<u8>,
    /// A CR ended the last line: an LF right after it belongs to it.
    after_cr: bool,
    /// The data of the event being read.
    data: String,
    /// Whether the event has a `data` field yet.
    has_data: bool,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// The data of each event completed by `bytes`.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<String>, SseError> {
        let mut events = Vec::new();
        for &b in bytes {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' | b'\r' => {
                    self.after_cr = b == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.line(&line) {
                        events.push(event);
                    }
                }
                _ => {
                    self.line.push(b);
                    if self.line.len() + self.data.len() > MAX_EVENT {
                        return Err(SseError::TooLarge);
                    }
                }
            }
        }
        Ok(events)
    }

    /// One whole line; the event's data when the line is blank and ends one.
    fn line(&mut self, line: &[u8]) -> Option<String> {
        if line.is_empty() {
            if !self.has_data {
                return None;
            }
            self.has_data = false;
            return Some(std::mem::take(&mut self.data));
        }
        // Whole lines only: a character is never split across reads here.
        let line = String::from_utf8_lossy(line);
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        if field == "data" {
            if self.has_data {
                self.data.push('\n');
            }
            self.data.push_str(value);
            self.has_data = true;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn events_comments_and_line_ends() {
        let mut parser = SseParser::new();
        let stream = b": keep-alive\r\n\r\ndata: {\"a\":1}\r\n\r\nevent: x\ndata: one\ndata: two\n\ndata:[DONE]\r\r";
        assert_eq!(
            parser.push(stream).expect("parses"),
            vec!["{\"a\":1}", "one\ntwo", "[DONE]"]
        );
    }

    proptest! {
        /// However the bytes are split across reads, the same events come out.
        #[test]
        fn splits_do_not_matter(cuts in prop::collection::vec(0usize..120, 0..12)) {
            let stream = "data: {\"x\":\"héllo\"}\r\n\r\n: ping\n\ndata: b\r\ndata: c\r\n\r\ndata: [DONE]\n\n".as_bytes();
            let mut at: Vec<usize> = cuts.into_iter().map(|c| c.min(stream.len())).collect();
            at.extend([0, stream.len()]);
            at.sort_unstable();
            let mut parser = SseParser::new();
            let mut events = Vec::new();
            for w in at.windows(2) {
                events.extend(parser.push(&stream[w[0]..w[1]]).expect("parses"));
            }
            prop_assert_eq!(events, vec!["{\"x\":\"héllo\"}", "b\nc", "[DONE]"]);
        }
    }
}
