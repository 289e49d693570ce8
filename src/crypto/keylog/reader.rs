//! Key log text line by line, in bounded memory.

use super::{MAX_LINE_LEN, READ_CHUNK};
use std::io::{self, Read};

/// One line of a key log, as [`LineReader`] gives it.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// A line without its newline, its 1-based number and the offset of its first byte.
    Text { number: usize, offset: u64, bytes: &'a [u8] },
    /// A line longer than [`MAX_LINE_LEN`]: given as soon as that many bytes came without a
    /// newline; its bytes are skipped up to its newline, never buffered.
    TooLong { number: usize, offset: u64 },
}

/// Reads a key log line by line in chunks of 64 KiB: memory stays the same
/// whatever the input (a file of any size, a FIFO, `/dev/zero`).
pub struct LineReader<R> {
    input: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Offset in the input of `buf[start]`.
    offset: u64,
    /// Lines begun so far.
    lines: usize,
    /// Dropping the bytes of a too long line until its newline.
    skipping: bool,
    eof: bool,
}

impl<R: Read> LineReader<R> {
    pub fn new(input: R) -> Self {
        Self::starting_at(input, 0, 0)
    }

    /// A reader whose input starts at `offset` of the whole, after `lines` lines.
    pub(super) fn starting_at(input: R, offset: u64, lines: usize) -> Self {
        LineReader { input, buf: vec![0; READ_CHUNK], start: 0, end: 0, offset, lines, skipping: false, eof: false }
    }

    /// The next line, or None at the end of the input.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        let (from, to, offset) = loop {
            let pending = self.buf.get(self.start..self.end).unwrap_or_default();
            if let Some(newline) = pending.iter().position(|&b| b == b'\n') {
                let (from, offset) = (self.start, self.offset);
                self.consume(newline + 1);
                if std::mem::take(&mut self.skipping) {
                    continue;
                }
                self.lines = self.lines.saturating_add(1);
                if newline > MAX_LINE_LEN {
                    return Ok(Some(Line::TooLong { number: self.lines, offset }));
                }
                break (from, from + newline, offset);
            }
            if self.skipping {
                self.consume(pending.len());
            } else if pending.len() > MAX_LINE_LEN {
                let offset = self.offset;
                self.consume(pending.len());
                self.skipping = true;
                self.lines = self.lines.saturating_add(1);
                return Ok(Some(Line::TooLong { number: self.lines, offset }));
            }
            if self.eof {
                if self.start == self.end || self.skipping {
                    return Ok(None);
                }
                // A last line without a newline.
                let (from, to, offset) = (self.start, self.end, self.offset);
                self.consume(to - from);
                self.lines = self.lines.saturating_add(1);
                break (from, to, offset);
            }
            self.fill()?;
        };
        Ok(Some(Line::Text { number: self.lines, offset, bytes: self.buf.get(from..to).unwrap_or_default() }))
    }

    fn consume(&mut self, n: usize) {
        self.start = self.start.saturating_add(n).min(self.end);
        self.offset = self.offset.saturating_add(n as u64);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Moves the unfinished line to the front and reads more after it.
    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let Some(room) = self.buf.get_mut(self.end..) else { return Ok(()) };
        loop {
            match self.input.read(room) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end = self.end.saturating_add(n).min(self.buf.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives its bytes a few at a time, as a pipe does.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.step = self.step % 7 + 1;
            let n = self.step.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    fn lines_of(input: impl Read) -> Vec<(usize, u64, Option<Vec<u8>>)> {
        let mut reader = LineReader::new(input);
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            out.push(match line {
                Line::Text { number, offset, bytes } => (number, offset, Some(bytes.to_vec())),
                Line::TooLong { number, offset } => (number, offset, None),
            });
        }
        out
    }

    #[test]
    fn line_reader_numbers_lines_and_skips_long_ones_in_any_chunking() {
        let exact = "e".repeat(MAX_LINE_LEN);
        let over = "o".repeat(MAX_LINE_LEN + 1);
        let huge = "h".repeat(3 * READ_CHUNK + 5);
        let text = format!("first\r\n\n{exact}\n{over}\n{huge}\nafter\nlast");
        let expected = vec![
            (1, 0, Some(b"first\r".to_vec())),
            (2, 7, Some(Vec::new())),
            (3, 8, Some(exact.clone().into_bytes())),
            (4, 9 + MAX_LINE_LEN as u64, None),
            (5, 11 + 2 * MAX_LINE_LEN as u64, None),
            (6, (12 + 2 * MAX_LINE_LEN + huge.len()) as u64, Some(b"after".to_vec())),
            (7, (18 + 2 * MAX_LINE_LEN + huge.len()) as u64, Some(b"last".to_vec())),
        ];
        assert_eq!(lines_of(text.as_bytes()), expected);
        assert_eq!(lines_of(Trickle { bytes: text.as_bytes(), step: 0 }), expected);
        // A too long last line without a newline is reported once, and nothing follows.
        assert_eq!(lines_of(huge.as_bytes()), vec![(1, 0, None)]);
        assert_eq!(lines_of(&b""[..]), vec![]);
    }

    #[test]
    fn line_reader_reports_an_endless_line_at_once() {
        // /dev/zero: no newline ever. The first call returns as soon as the line is too long.
        let mut reader = LineReader::new(io::repeat(0));
        assert_eq!(reader.next_line().unwrap(), Some(Line::TooLong { number: 1, offset: 0 }));
        assert_eq!(reader.buf.len(), READ_CHUNK, "the buffer never grows");
    }
}
