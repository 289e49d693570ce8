//! Output sinks: the NDJSON event stream and the human-readable view.
//!
//! Layer 7 of the pipeline: sinks only format events; they hold no protocol logic.

pub mod filter;
pub mod json;
pub mod json_writer;
pub mod text;

use crate::conn::events::Event;
use std::io;

/// Something that writes events as they come.
pub trait Sink {
    fn event(&mut self, ev: &Event) -> io::Result<()>;
    /// Called after the last event.
    fn finish(&mut self) -> io::Result<()>;
    /// Pushes buffered output out now (live capture, terminals).
    fn flush(&mut self) -> io::Result<()>;
    /// Whether hello events must carry their fingerprints (see
    /// [`MessageEvent::add_fingerprints`](crate::conn::events::MessageEvent::add_fingerprints)).
    fn needs_fingerprints(&self) -> bool {
        false
    }
    /// Whether message events must carry their role sentence.
    fn needs_roles(&self) -> bool {
        true
    }
    /// The part of this sink's work on an event that another thread may do ahead of time:
    /// it completes the event as the sink needs it and appends the bytes the sink would write
    /// for it, or says it could not. Those bytes come back through [`Sink::event_prepared`].
    fn preparation(&self) -> Option<Preparation> {
        None
    }
    /// [`Sink::event`], with the bytes [`Sink::preparation`] made for the event.
    fn event_prepared(&mut self, ev: &Event, prepared: &[u8]) -> io::Result<()> {
        let _ = prepared;
        self.event(ev)
    }
}

/// See [`Sink::preparation`].
pub type Preparation = fn(&mut Event, &mut Vec<u8>) -> bool;
