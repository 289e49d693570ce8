//! Output sinks: the NDJSON event stream and the human-readable view.
//!
//! The last layer: sinks only format events; they hold no protocol logic. A sink says once what
//! it needs of the events ([`Needs`]) and the pipeline hands them out complete.

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
    /// The part of this sink's work on an event that another thread may do ahead of time
    /// (see [`Prepare`]).
    fn prepare(&self) -> Option<Prepare> {
        None
    }
    /// [`Sink::event`], with the bytes [`Sink::prepare`] made for the event.
    fn event_prepared(&mut self, ev: &Event, prepared: &[u8]) -> io::Result<()> {
        let _ = prepared;
        self.event(ev)
    }
    /// Everything this sink needs of the events, asked once before the run.
    fn needs(&self) -> Needs {
        Needs {
            roles: self.needs_roles(),
            fingerprints: self.needs_fingerprints(),
            prepare: self.prepare(),
            bytes: false,
        }
    }
}

/// A boxed sink is a sink (wrappers such as the command line's `--write-keylog` take any).
impl<S: Sink + ?Sized> Sink for Box<S> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        (**self).event(ev)
    }
    fn finish(&mut self) -> io::Result<()> {
        (**self).finish()
    }
    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }
    fn event_prepared(&mut self, ev: &Event, prepared: &[u8]) -> io::Result<()> {
        (**self).event_prepared(ev, prepared)
    }
    fn needs(&self) -> Needs {
        (**self).needs()
    }
}

/// A sink's work on one event that the decoding thread may do ahead of time: it appends the
/// bytes the sink would write for the event (already completed as [`Needs`] asks), or says it
/// could not. Those bytes come back to the sink through [`Sink::event_prepared`].
pub type Prepare = fn(&Event, &mut Vec<u8>) -> bool;

/// What a sink needs of every event, decided once from the sink ([`Sink::needs`]) and passed
/// down to the pipeline (its `PipelineConfig::output`), which computes it where it is cheapest
/// and hands events out complete.
#[derive(Clone, Copy, Debug)]
pub struct Needs {
    /// Message events carry their role sentence (left empty otherwise).
    pub roles: bool,
    /// Hello events carry their fingerprints.
    pub fingerprints: bool,
    /// The sink's own work, which the decoding thread takes on for a share of the events.
    pub prepare: Option<Prepare>,
    /// Message events carry their bytes (`MessageEvent::raw`), for a hex view.
    pub bytes: bool,
}

impl Default for Needs {
    /// Roles, as the connection layer writes them; nothing else.
    fn default() -> Self {
        Needs { roles: true, fingerprints: false, prepare: None, bytes: false }
    }
}
