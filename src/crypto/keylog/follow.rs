//! A key log file that grows while the capture is read.

use super::{IssueSink, KeyLog, KeyLogIssue, MAX_LINE_LEN, READ_CHUNK};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Follows a key log file that grows while the capture is read (a browser appending secrets):
/// each [`poll`](KeyLogFollower::poll) reads only the bytes appended since the last one and keeps
/// an unfinished last line for the next poll.
#[derive(Debug)]
pub struct KeyLogFollower {
    path: PathBuf,
    /// Bytes of the file consumed so far.
    offset: u64,
    /// An unfinished last line (no newline yet), at most [`MAX_LINE_LEN`] + 1 bytes.
    partial: Vec<u8>,
    /// The unfinished line outgrew the cap: drop its bytes until its newline.
    partial_too_long: bool,
    /// Complete lines consumed so far.
    lines: usize,
}

impl KeyLogFollower {
    pub fn new(path: &Path) -> Self {
        KeyLogFollower { path: path.to_path_buf(), offset: 0, partial: Vec::new(), partial_too_long: false, lines: 0 }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes of the file consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Adds the lines appended to the file since the last poll to `log`. A file that became
    /// shorter was replaced or truncated: it is read again from the start (secrets already in the
    /// log stay). Issue line numbers count from the start of the file.
    pub fn poll(&mut self, log: &mut KeyLog) -> io::Result<Vec<KeyLogIssue>> {
        let mut file = File::open(&self.path)?;
        let len = file.metadata()?.len();
        if len < self.offset {
            self.offset = 0;
            self.partial.clear();
            self.partial_too_long = false;
            self.lines = 0;
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let mut sink = IssueSink::new(None);
        let mut chunk = vec![0u8; READ_CHUNK];
        loop {
            let read = file.read(&mut chunk)?;
            if read == 0 {
                break;
            }
            self.offset = self.offset.saturating_add(read as u64);
            self.feed(log, chunk.get(..read).unwrap_or_default(), &mut sink);
        }
        Ok(sink.finish())
    }

    /// Takes the unfinished last line as complete (the writer is done, e.g. at the end of a
    /// capture file).
    pub fn finish(&mut self, log: &mut KeyLog) -> Vec<KeyLogIssue> {
        let mut sink = IssueSink::new(None);
        if !self.partial.is_empty() || self.partial_too_long {
            self.complete_line(log, &mut sink);
        }
        sink.finish()
    }

    fn feed(&mut self, log: &mut KeyLog, mut bytes: &[u8], sink: &mut IssueSink) {
        while let Some(newline) = bytes.iter().position(|&b| b == b'\n') {
            let (head, tail) = bytes.split_at(newline);
            self.append_partial(head);
            self.complete_line(log, sink);
            bytes = tail.get(1..).unwrap_or_default();
        }
        self.append_partial(bytes);
    }

    fn append_partial(&mut self, bytes: &[u8]) {
        if self.partial_too_long {
            return;
        }
        if self.partial.len().saturating_add(bytes.len()) > MAX_LINE_LEN {
            self.partial.clear();
            self.partial_too_long = true;
            return;
        }
        self.partial.extend_from_slice(bytes);
    }

    fn complete_line(&mut self, log: &mut KeyLog, sink: &mut IssueSink) {
        self.lines = self.lines.saturating_add(1);
        if self.partial_too_long {
            log.too_long(self.lines, sink);
        } else {
            log.add_line(&self.partial, self.lines, sink);
        }
        self.partial.clear();
        self.partial_too_long = false;
    }
}
