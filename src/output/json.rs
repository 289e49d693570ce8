//! NDJSON: one event object per line.
//!
//! Serialized by [`super::json_writer`], which escapes strings with sonic-rs's SIMD escaper:
//! the output is mostly strings (names, roles, hex), and serde_json's byte-at-a-time escaping
//! was the largest single cost of `--json` on big captures (BENCHMARKS.md). The bytes are
//! serde_json's and sonic-rs's.

use super::Sink;
use crate::conn::events::Event;
use std::io::{self, Write};

pub struct JsonSink<W: Write> {
    out: W,
    /// Lines serialized and not yet written: the serializer's many small writes go to memory,
    /// and the output gets them [`WRITE_AT`] bytes at a time, which a `BufWriter` of that size
    /// passes straight through instead of copying every line into its own buffer.
    pending: Vec<u8>,
}

/// Bytes of serialized lines written at once (the CLI's `BufWriter` holds as many).
const WRITE_AT: usize = 64 << 10;

impl<W: Write> JsonSink<W> {
    pub fn new(out: W) -> Self {
        JsonSink { out, pending: Vec::with_capacity(WRITE_AT + (8 << 10)) }
    }

    fn write_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let written = self.out.write_all(&self.pending);
        self.pending.clear();
        written
    }
}

impl<W: Write> Drop for JsonSink<W> {
    /// Lines still pending go out as a `BufWriter`'s would on drop (errors cannot be reported).
    fn drop(&mut self) {
        let _ = self.write_pending();
    }
}

/// An event's line without its newline: the work of [`JsonSink::event`] that the decoding
/// thread can do when it has time to spare.
fn prepare_line(ev: &Event, out: &mut Vec<u8>) -> bool {
    super::json_writer::write(out, ev).is_ok()
}

impl<W: Write> JsonSink<W> {
    fn end_line(&mut self) -> io::Result<()> {
        self.pending.push(b'\n');
        // A closed pipe stays `BrokenPipe` (`| head` is a normal way to stop).
        if self.pending.len() >= WRITE_AT { self.write_pending() } else { Ok(()) }
    }
}

impl<W: Write> Sink for JsonSink<W> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        let start = self.pending.len();
        if let Err(e) = super::json_writer::write(&mut self.pending, ev) {
            self.pending.truncate(start);
            return Err(io::Error::other(e.to_string()));
        }
        self.end_line()
    }

    fn prepare(&self) -> Option<super::Prepare> {
        Some(prepare_line)
    }

    fn event_prepared(&mut self, _ev: &Event, prepared: &[u8]) -> io::Result<()> {
        self.pending.extend_from_slice(prepared);
        self.end_line()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.out.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.out.flush()
    }

    fn needs_fingerprints(&self) -> bool {
        true
    }
}
