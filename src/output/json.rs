//! NDJSON: one event object per line.
//!
//! Serialized with sonic-rs rather than serde_json: the output is mostly strings (names, roles,
//! hex), and sonic-rs escapes them with SIMD; serde_json's byte-at-a-time escaping was the
//! largest single cost of `--json` on big captures (BENCHMARKS.md). The bytes are the same.

use super::Sink;
use crate::conn::events::Event;
use std::io::{self, Write};

pub struct JsonSink<W: Write> {
    out: W,
    /// The line being built: the serializer's many small writes go to memory, and the output
    /// gets one write per event.
    line: Vec<u8>,
}

impl<W: Write> JsonSink<W> {
    pub fn new(out: W) -> Self {
        JsonSink { out, line: Vec::with_capacity(8 << 10) }
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Sink for JsonSink<W> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        self.line.clear();
        sonic_rs::to_writer(&mut self.line, ev).map_err(|e| io::Error::other(e.to_string()))?;
        self.line.push(b'\n');
        // A closed pipe stays `BrokenPipe` (`| head` is a normal way to stop).
        self.out.write_all(&self.line)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn needs_fingerprints(&self) -> bool {
        true
    }
}
