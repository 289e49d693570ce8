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
}
