//! TLS record and handshake framing.
//!
//! Layer 4 of the pipeline: ordered stream bytes in, records and whole handshake messages out.
//! It does not decide what is encrypted (that needs both directions: the `conn` layer does it).
//!
//! Every byte is hostile: the lints below keep panicking operations out of this layer.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

pub mod handshake;
pub mod record;

pub use handshake::{HandshakeAssembler, HandshakeMessage, PartialMessage};
pub use record::{CutRecord, Record, RecordItem, RecordSplitter, Start};
