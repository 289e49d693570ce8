//! Helpers shared by the fuzz targets: a cursor that turns fuzz bytes into structured choices
//! (running out of input yields zeros, so every input is a valid program), and a sink that runs
//! both output formats over the events a target produced.
#![allow(dead_code)]

use std::io;
use tlstrace::conn::events::Event;
use tlstrace::msgs::DecodeContext;
use tlstrace::output::Sink;
use tlstrace::output::json::JsonSink;
use tlstrace::output::text::{TextSink, Verbosity};
use tlstrace::time::Timestamp;

pub struct Cursor<'a> {
    data: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Cursor { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn u8(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    /// Up to `n` bytes (fewer at the end of the input).
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }

    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

/// Formats every event as JSON and as text at every verbosity, into memory.
pub fn render(events: &[Event]) {
    let mut json = JsonSink::new(io::sink());
    let mut text =
        [Verbosity::Quiet, Verbosity::Normal, Verbosity::Verbose].map(|v| TextSink::new(io::sink()).with_verbosity(v));
    for ev in events {
        json.event(ev).expect("json output to io::sink cannot fail");
        for t in &mut text {
            t.event(ev).expect("text output to io::sink cannot fail");
        }
    }
    json.finish().expect("flush");
    for t in &mut text {
        t.finish().expect("flush");
    }
}

const VERSIONS: [u16; 6] = [0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x7f17];
/// Suites with different key exchange layouts: RSA, DHE, ECDHE, PSK, SRP, TLS 1.3, unknown.
const SUITES: [u16; 8] = [0x002f, 0x0033, 0xc02f, 0x008c, 0xc01a, 0x1301, 0xc0ac, 0xeeee];

/// A message decoding context picked by fuzz bytes: a version and a suite (each sometimes
/// unknown), and `flags` bit 0 from the server, 1 a capture time, 2 a server name, 3 the
/// certificate type `certificate_type`.
pub fn decode_context(version: u8, suite: u8, flags: u8, certificate_type: u8) -> DecodeContext {
    DecodeContext {
        version: VERSIONS.get(usize::from(version % 8)).copied(),
        cipher_suite: SUITES.get(usize::from(suite % 9)).copied(),
        from_server: flags & 1 != 0,
        capture_time: (flags & 2 != 0).then(|| Timestamp::new(1_700_000_000, 0, 6)),
        sni: (flags & 4 != 0).then(|| "tlstrace.test".to_string()),
        certificate_type: (flags & 8 != 0).then_some(certificate_type),
        ..DecodeContext::default()
    }
}
