//! TLS record and handshake framing.
//!
//! Layer 4 of the pipeline: ordered stream bytes in, records and whole handshake messages out.
//! It does not decide what is encrypted (that needs both directions: the `conn` layer does it).

pub mod handshake;
pub mod record;

pub use handshake::{HandshakeAssembler, HandshakeMessage, PartialMessage};
pub use record::{CutRecord, Record, RecordItem, RecordSplitter, Start};
