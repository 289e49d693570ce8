//! TCP flow table and stream reassembly.
//!
//! Layer 3 of the pipeline: turns TCP segments (from `net`) into ordered byte streams per
//! connection and direction, with explicit gaps where bytes were never captured.
//!
//! Rules the layer above can rely on:
//!
//! - A flow is the unordered pair of socket addresses. `Opened` comes first, once per flow.
//!   The initiator is the SYN sender (the destination of a SYN-ACK when that is the first
//!   packet seen), else the sender of the first packet (`syn_seen` false). A flow seen
//!   without its handshake starts each direction at the first data segment seen from it
//!   (bytes before it that arrive later are dropped). A RST for no known flow is dropped.
//! - Each direction's bytes are delivered in order, exactly once; in-order segments are
//!   passed through without copying. Out-of-order bytes wait in a bounded buffer.
//!   Retransmitted and overlapping bytes are dropped (and counted). Sequence numbers wrap;
//!   stream offsets are 64-bit.
//! - A hole that cannot be filled becomes `Gap`, followed by the data after it. A hole is
//!   given up when the peer acknowledges bytes past it (it received what the capture missed),
//!   when a buffer cap is reached, at FIN or RST, and when the flow times out, is evicted or
//!   the capture ends. A segment's `missing_tail` is a gap right after its payload (bytes
//!   already buffered for that range are delivered instead; once recorded as lost, a range
//!   stays lost even if a retransmission of it is captured later).
//! - FIN: `DirectionEnded{Fin}` once the direction's bytes up to the FIN are out; after both
//!   directions, `Closed{Fin}`. RST: `Closed{Rst}` after flushing. Idle flows close with
//!   `Timeout` (`expire`), a full table evicts the least recently active flow (`Evicted`),
//!   `finish` closes the rest with `CaptureEnd` in creation order.
//! - A SYN with the known ISN is a retransmission and stays in its flow. A SYN with another
//!   ISN on the same addresses is a new connection: the old flow is closed (`Evicted` if it
//!   was still open) and a new one opened. A flow closed by FIN or RST is remembered for
//!   `closed_linger_secs`: its late packets (final ACKs, retransmissions, data racing a RST)
//!   are absorbed; new bytes past a FIN-closed stream open a new mid-stream flow.
//! - `Ignore` from any event stops all buffering and delivery for the flow: the entry stays,
//!   following only its position and FIN/RST, and the only further event is `Closed`.
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

use std::net::SocketAddr;

mod key;
mod lru;
mod stream;
mod table;
#[cfg(test)]
mod tests;

pub use table::{FlowSlot, FlowTable, flow_slot_bytes};

/// Unique id of a flow within a run (never reused).
pub type FlowId = u64;

/// Which endpoint sent some bytes. The initiator is the SYN sender, or when no SYN was seen the
/// sender of the first packet of the flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    Initiator,
    Responder,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::Initiator => Side::Responder,
            Side::Responder => Side::Initiator,
        }
    }
}

/// Why a direction or flow ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    Fin,
    Rst,
    /// Idle for longer than the timeout (capture time).
    Timeout,
    /// Removed to make room in a full flow table.
    Evicted,
    /// End of the capture.
    CaptureEnd,
}

/// Why bytes of a stream will never be delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GapCause {
    /// Not in the capture: the peer acknowledged past them, or the direction or flow ended
    /// (FIN, RST, timeout, end of capture) with the hole still open.
    CaptureLoss,
    /// Cut from their packets by the capture's snap length.
    Snaplen,
    /// Dropped by tlstrace: the out-of-order buffer was full, so the hole was given up.
    BufferLimit,
    /// Dropped by tlstrace: the flow was evicted with the hole still open.
    Evicted,
}

impl GapCause {
    /// Name in JSON (`cause`) and the ladder.
    pub fn name(self) -> &'static str {
        match self {
            GapCause::CaptureLoss => "capture_loss",
            GapCause::Snaplen => "snaplen",
            GapCause::BufferLimit => "buffer_limit",
            GapCause::Evicted => "evicted",
        }
    }

    /// Whether tlstrace itself dropped the bytes (they may well be in the capture).
    pub fn dropped_by_tlstrace(self) -> bool {
        matches!(self, GapCause::BufferLimit | GapCause::Evicted)
    }
}

/// Events delivered to the layer above, in order.
#[derive(Debug)]
pub enum FlowEvent<'a> {
    Opened {
        flow: FlowId,
        initiator: SocketAddr,
        responder: SocketAddr,
        syn_seen: bool,
    },
    /// In-order stream bytes, each byte delivered exactly once.
    Data {
        flow: FlowId,
        from: Side,
        bytes: &'a [u8],
    },
    /// Bytes that will never be delivered: `bytes` from stream offset `offset` of this direction.
    Gap {
        flow: FlowId,
        from: Side,
        offset: u64,
        bytes: u64,
        cause: GapCause,
    },
    /// FIN or RST from this side: no more data in this direction.
    DirectionEnded {
        flow: FlowId,
        from: Side,
        reason: EndReason,
    },
    /// The flow is gone from the table; no more events for it.
    Closed {
        flow: FlowId,
        reason: EndReason,
    },
}

/// What the layer above wants after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Continue,
    /// Not interesting (not TLS): stop buffering and delivering this flow's data.
    Ignore,
}

#[derive(Clone, Debug)]
pub struct FlowConfig {
    pub max_flows: usize,
    /// Out-of-order bytes buffered per direction before the hole is declared a gap.
    pub max_buffered_bytes_per_direction: usize,
    /// Out-of-order bytes buffered across all flows.
    pub max_buffered_bytes_total: usize,
    /// Capture-time seconds of inactivity after which a flow is closed.
    pub idle_timeout_secs: u64,
    /// Capture-time seconds a flow closed by FIN or RST is remembered to absorb its late
    /// packets (0: forget at once). Remembered flows count towards `max_flows` and are the
    /// first to go when the table is full.
    pub closed_linger_secs: u64,
    /// Closed flows remembered at most (the oldest is forgotten first). Late packets come
    /// within a few round trips, so this many cover seconds even at thousands of new
    /// connections per second, while memory stays flat however long the capture.
    pub max_closed_flows: usize,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            max_flows: 100_000,
            max_buffered_bytes_per_direction: 256 << 10,
            max_buffered_bytes_total: 64 << 20,
            idle_timeout_secs: 300,
            closed_linger_secs: 60,
            max_closed_flows: 16_384,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct TcpStats {
    pub flows: u64,
    pub flows_evicted: u64,
    /// Flows closed to bring the TLS buffers within their share of the memory budget.
    pub flows_evicted_for_memory: u64,
    /// Out-of-order holes given up because all flows' buffered bytes reached
    /// `max_buffered_bytes_total`.
    pub reassembly_evictions: u64,
    pub flows_timed_out: u64,
    pub gaps: u64,
    pub gap_bytes: u64,
    pub retransmitted_bytes: u64,
    pub out_of_order_segments: u64,
    pub segments: u64,
    /// Bytes passed up as `Data`.
    pub bytes_delivered: u64,
    /// Flows the layer above answered `Ignore` for.
    pub flows_ignored: u64,
    /// Open flows replaced by a new connection (new SYN) on the same addresses.
    pub flows_superseded: u64,
    /// Segments too far ahead of their stream to belong to it.
    pub segments_out_of_window: u64,
    /// Late packets of closed flows, absorbed.
    pub segments_after_close: u64,
    /// Resets for connections never seen.
    pub stray_segments: u64,
}
