//! Helpers shared by the fuzz targets: a cursor that turns fuzz bytes into structured choices
//! (running out of input yields zeros, so every input is a valid program), and a sink that runs
//! both output formats over the events a target produced.
#![allow(dead_code)]

use std::io;
use tlstrace::conn::events::Event;
use tlstrace::output::Sink;
use tlstrace::output::json::JsonSink;
use tlstrace::output::text::{TextSink, Verbosity};

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
