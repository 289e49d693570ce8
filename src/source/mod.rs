//! Packet sources: capture files (pcap, pcapng, gzip, stdin) and live interfaces.
//!
//! Layer 1 of the pipeline. A source hands out raw frames with their link type and timestamp;
//! it knows nothing about what the frames contain.
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

pub mod file;
pub mod live;
pub mod pcapng_writer;

use crate::time::Timestamp;

/// One captured frame, borrowed from the source's buffer until the next call.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    /// 1-based frame number within the capture (what Wireshark calls frame.number).
    pub frame: u64,
    pub ts: Timestamp,
    /// pcap LINKTYPE_* of the interface the frame was captured on.
    pub linktype: u32,
    /// Captured bytes.
    pub data: &'a [u8],
    /// Length of the frame on the wire (larger than `data.len()` when the snap length cut it).
    pub orig_len: u32,
}
