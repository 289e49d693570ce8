//! One direction of a connection: 32-bit sequence numbers mapped to 64-bit stream offsets, and
//! the out-of-order buffer that turns segments into an ordered stream with explicit gaps.
//!
//! Offset 0 is the first data byte (the byte after the SYN, or the first byte of the first
//! data segment seen when the capture started mid-connection). Every offset below `next` has
//! been delivered or declared a gap, and the buffer only holds pieces that start above `next`.

use super::{FlowEvent, FlowId, GapCause, Side, TcpStats, Verdict};
use std::collections::BTreeMap;
use std::ops::ControlFlow;

/// Farthest a segment may start beyond the next expected byte. A TCP window cannot exceed
/// 2^30 bytes (window scale 14), so anything farther is not part of this stream.
pub(super) const MAX_WINDOW: u64 = 1 << 30;

/// Upper bound on a segment's uncaptured tail. No IP packet is this long, so a larger value
/// is hostile and would otherwise push the stream position far from the real sequence space.
pub(super) const MAX_MISSING_TAIL: u64 = 1 << 20;

/// Memory charged per buffered piece on top of its bytes (tree node, allocation), so a flood
/// of tiny segments reaches the buffer caps too.
pub(super) const PIECE_OVERHEAD: usize = 64;

/// `Break` means the layer above answered `Ignore`: stop delivering this flow.
pub(super) type Step = ControlFlow<()>;

/// Where a direction's output goes, with what the output is charged to.
pub(super) struct Sink<'a> {
    pub(super) flow: FlowId,
    pub(super) from: Side,
    pub(super) emit: &'a mut dyn FnMut(FlowEvent<'_>) -> Verdict,
    pub(super) stats: &'a mut TcpStats,
    /// Buffered cost across all flows.
    pub(super) buffered_total: &'a mut usize,
    pub(super) max_per_direction: usize,
    pub(super) max_total: usize,
}

impl Sink<'_> {
    fn data(&mut self, bytes: &[u8]) -> Step {
        if bytes.is_empty() {
            return ControlFlow::Continue(());
        }
        self.stats.bytes_delivered = self.stats.bytes_delivered.saturating_add(bytes.len() as u64);
        let verdict = (self.emit)(FlowEvent::Data { flow: self.flow, from: self.from, bytes });
        step(verdict)
    }

    fn gap(&mut self, offset: u64, bytes: u64, cause: GapCause) -> Step {
        if bytes == 0 {
            return ControlFlow::Continue(());
        }
        self.stats.gaps = self.stats.gaps.saturating_add(1);
        self.stats.gap_bytes = self.stats.gap_bytes.saturating_add(bytes);
        let verdict = (self.emit)(FlowEvent::Gap { flow: self.flow, from: self.from, offset, bytes, cause });
        step(verdict)
    }

    fn release(&mut self, cost: usize) {
        *self.buffered_total = self.buffered_total.saturating_sub(cost);
    }
}

pub(super) fn step(verdict: Verdict) -> Step {
    match verdict {
        Verdict::Continue => ControlFlow::Continue(()),
        Verdict::Ignore => ControlFlow::Break(()),
    }
}

/// Offsets are far below 2^63 in any real stream; saturate rather than wrap on hostile input.
fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

const INIT: u8 = 1;
const SYN: u8 = 2;
const ENDED: u8 = 4;

/// An out-of-order piece: captured bytes, or bytes known to be lost (cut by the snap length).
enum Piece {
    Data(Box<[u8]>),
    Lost(u64),
}

impl Piece {
    fn len(&self) -> u64 {
        match self {
            Piece::Data(d) => d.len() as u64,
            Piece::Lost(n) => *n,
        }
    }

    fn cost(&self) -> usize {
        match self {
            Piece::Data(d) => d.len().saturating_add(PIECE_OVERHEAD),
            Piece::Lost(_) => PIECE_OVERHEAD,
        }
    }
}

/// Non-overlapping pieces keyed by start offset, plus their summed cost.
#[derive(Default)]
struct Reorder {
    pieces: BTreeMap<u64, Piece>,
    cost: usize,
}

/// Outcome of trying to buffer an out-of-order segment.
enum Buffered {
    Stored,
    AllDuplicate,
    OverCap,
}

/// State of one direction. Small until out-of-order data arrives (the buffer is boxed lazily
/// and freed as soon as it empties).
#[derive(Default)]
pub(super) struct Dir {
    /// Sequence number of offset 0.
    base: u32,
    flags: u8,
    /// Next offset to deliver.
    next: u64,
    /// Highest offset the peer acknowledged (it received everything below).
    acked: u64,
    reorder: Option<Box<Reorder>>,
}

impl Dir {
    pub(super) fn is_init(&self) -> bool {
        self.flags & INIT != 0
    }

    pub(super) fn has_syn(&self) -> bool {
        self.flags & SYN != 0
    }

    pub(super) fn ended(&self) -> bool {
        self.flags & ENDED != 0
    }

    pub(super) fn set_ended(&mut self) {
        self.flags |= ENDED;
    }

    pub(super) fn next(&self) -> u64 {
        self.next
    }

    /// Starts the stream at `first_seq` (no SYN seen).
    pub(super) fn init_at(&mut self, first_seq: u32) {
        self.base = first_seq;
        self.flags |= INIT;
        self.next = 0;
        self.acked = 0;
    }

    /// Starts the stream after a SYN carrying `isn`.
    pub(super) fn init_syn(&mut self, isn: u32) {
        self.init_at(isn.wrapping_add(1));
        self.flags |= SYN;
    }

    /// Whether a SYN with `isn` belongs to this stream (its retransmission, or the SYN of a
    /// stream first seen from its data).
    pub(super) fn syn_matches(&self, isn: u32) -> bool {
        self.is_init() && self.base == isn.wrapping_add(1)
    }

    pub(super) fn mark_syn(&mut self) {
        self.flags |= SYN;
    }

    /// Stream offset of `seq`: the value congruent to it mod 2^32 nearest the next expected
    /// offset. Negative means before the stream's first byte.
    pub(super) fn offset_of(&self, seq: u32) -> i64 {
        let rel = seq.wrapping_sub(self.base);
        let delta = rel.wrapping_sub(self.next as u32) as i32;
        to_i64(self.next).saturating_add(i64::from(delta))
    }

    /// Whether a segment starting at `start` can belong to this stream.
    pub(super) fn in_window(&self, start: i64) -> bool {
        start <= to_i64(self.next.saturating_add(MAX_WINDOW))
    }

    /// Records an acknowledgment from the peer.
    pub(super) fn note_ack(&mut self, ack: u32) {
        if !self.is_init() {
            return;
        }
        let off = self.offset_of(ack);
        if off > to_i64(self.next) && self.in_window(off) {
            self.acked = self.acked.max(off.unsigned_abs());
        }
    }

    /// Out-of-order cost held by this direction.
    pub(super) fn buffered_cost(&self) -> usize {
        self.reorder.as_ref().map_or(0, |r| r.cost)
    }

    /// Ignored flows: advance the position without keeping any bytes, so late retransmissions
    /// are still recognised as old.
    pub(super) fn track(&mut self, start: i64, wire_len: u64) {
        if start >= 0 && self.in_window(start) {
            self.next = self.next.max(start.unsigned_abs().saturating_add(wire_len));
        }
    }

    /// Takes one segment: `payload` at `start`, then `missing` uncaptured bytes.
    pub(super) fn segment(&mut self, start: i64, payload: &[u8], missing: u64, sink: &mut Sink<'_>) -> Step {
        // Bytes before offset 0 precede the SYN: not stream data.
        let end =
            start.saturating_add(to_i64(payload.len() as u64)).saturating_add(to_i64(missing)).max(0).unsigned_abs();
        let before = if start < 0 { start.unsigned_abs() } else { 0 };
        let mut payload = payload.get(to_usize(before)..).unwrap_or_default();
        let mut start = start.max(0).unsigned_abs();
        loop {
            if end <= self.next || start >= end {
                sink.stats.retransmitted_bytes = sink.stats.retransmitted_bytes.saturating_add(payload.len() as u64);
                return ControlFlow::Continue(());
            }
            if start < self.next {
                // Overlaps delivered bytes: keep only what is new.
                let skip = to_usize(self.next.saturating_sub(start)).min(payload.len());
                sink.stats.retransmitted_bytes = sink.stats.retransmitted_bytes.saturating_add(skip as u64);
                payload = payload.get(skip..).unwrap_or_default();
                start = self.next;
            }
            if start == self.next {
                if !payload.is_empty() {
                    // In order: straight from the segment, no copy.
                    self.next = start.saturating_add(payload.len() as u64);
                    sink.data(payload)?;
                }
                if end > self.next {
                    // Snap-length cut: those bytes are gone (unless already buffered).
                    self.force_to(end, GapCause::Snaplen, sink)?;
                }
                self.drain(sink)?;
                return self.resolve_acked(sink);
            }
            if self.acked > self.next {
                // The peer received bytes in front of this segment that the capture missed.
                self.force_to(self.acked.min(start), GapCause::CaptureLoss, sink)?;
                continue;
            }
            match self.buffer(start, payload, end, sink) {
                Buffered::Stored | Buffered::AllDuplicate => return ControlFlow::Continue(()),
                Buffered::OverCap => {
                    // Give up on the first hole to make room (or to deliver this segment).
                    let first = self.first_start().map_or(start, |s| s.min(start));
                    self.force_to(first, GapCause::BufferLimit, sink)?;
                }
            }
        }
    }

    /// FIN at `fin_off`: a hole before it will never be filled. Ends the direction.
    pub(super) fn end_at(&mut self, fin_off: u64, sink: &mut Sink<'_>) -> Step {
        self.set_ended();
        if fin_off > self.next {
            self.force_to(fin_off, GapCause::CaptureLoss, sink)?;
        }
        self.release(sink.buffered_total);
        ControlFlow::Continue(())
    }

    /// If the peer acknowledged past a hole, the hole was lost by the capture: deliver up to
    /// the acknowledged point (as far as buffered data goes) with gaps for the holes.
    pub(super) fn resolve_acked(&mut self, sink: &mut Sink<'_>) -> Step {
        if self.acked > self.next && self.reorder.is_some() {
            self.force_to(self.acked.min(self.buffer_end()), GapCause::CaptureLoss, sink)?;
        }
        ControlFlow::Continue(())
    }

    /// Delivers everything buffered, holes becoming gaps of `cause`.
    pub(super) fn flush(&mut self, cause: GapCause, sink: &mut Sink<'_>) -> Step {
        self.force_to(self.buffer_end(), cause, sink)
    }

    /// Drops buffered bytes (ignored, ended or removed flow).
    pub(super) fn release(&mut self, buffered_total: &mut usize) {
        if let Some(r) = self.reorder.take() {
            *buffered_total = buffered_total.saturating_sub(r.cost);
        }
    }

    fn first_start(&self) -> Option<u64> {
        self.reorder.as_ref()?.pieces.first_key_value().map(|(&s, _)| s)
    }

    fn buffer_end(&self) -> u64 {
        self.reorder
            .as_ref()
            .and_then(|r| r.pieces.last_key_value())
            .map_or(self.next, |(&s, p)| s.saturating_add(p.len()))
    }

    /// Advances `next` to at least `limit`: buffered bytes are delivered, the rest are gaps.
    fn force_to(&mut self, limit: u64, cause: GapCause, sink: &mut Sink<'_>) -> Step {
        loop {
            self.drain(sink)?;
            if self.next >= limit {
                return ControlFlow::Continue(());
            }
            let hole_end = self.first_start().map_or(limit, |s| s.min(limit));
            let lost = hole_end.saturating_sub(self.next);
            let offset = self.next;
            self.next = hole_end;
            sink.gap(offset, lost, cause)?;
        }
    }

    /// Delivers buffered pieces that have become contiguous.
    fn drain(&mut self, sink: &mut Sink<'_>) -> Step {
        loop {
            let Some(reorder) = self.reorder.as_deref_mut() else {
                return ControlFlow::Continue(());
            };
            let Some(entry) = reorder.pieces.first_entry() else {
                self.reorder = None;
                return ControlFlow::Continue(());
            };
            let piece_start = *entry.key();
            if piece_start > self.next {
                return ControlFlow::Continue(());
            }
            let piece = entry.remove();
            let cost = piece.cost();
            reorder.cost = reorder.cost.saturating_sub(cost);
            sink.release(cost);
            let piece_end = piece_start.saturating_add(piece.len());
            let skip = self.next.saturating_sub(piece_start);
            if let Piece::Data(_) = piece {
                sink.stats.retransmitted_bytes = sink.stats.retransmitted_bytes.saturating_add(skip.min(piece.len()));
            }
            if piece_end <= self.next {
                continue;
            }
            let offset = self.next;
            self.next = piece_end;
            match &piece {
                Piece::Data(bytes) => sink.data(bytes.get(to_usize(skip)..).unwrap_or_default())?,
                Piece::Lost(n) => sink.gap(offset, n.saturating_sub(skip), GapCause::Snaplen)?,
            }
        }
    }

    /// Stores the parts of `[start, end)` not already buffered (`payload` covers its front).
    fn buffer(&mut self, start: u64, payload: &[u8], end: u64, sink: &mut Sink<'_>) -> Buffered {
        let data_end = start.saturating_add(payload.len() as u64);
        let ranges = self.uncovered(start, end);
        if ranges.is_empty() {
            sink.stats.retransmitted_bytes = sink.stats.retransmitted_bytes.saturating_add(payload.len() as u64);
            return Buffered::AllDuplicate;
        }
        let mut cost = 0usize;
        let mut new_data = 0u64;
        for &(a, b) in &ranges {
            if a < data_end {
                let n = b.min(data_end).saturating_sub(a);
                new_data = new_data.saturating_add(n);
                cost = cost.saturating_add(to_usize(n)).saturating_add(PIECE_OVERHEAD);
            }
            if b > data_end {
                cost = cost.saturating_add(PIECE_OVERHEAD);
            }
        }
        let own = self.buffered_cost();
        if own.saturating_add(cost) > sink.max_per_direction {
            return Buffered::OverCap;
        }
        if sink.buffered_total.saturating_add(cost) > sink.max_total {
            sink.stats.reassembly_evictions = sink.stats.reassembly_evictions.saturating_add(1);
            return Buffered::OverCap;
        }
        sink.stats.retransmitted_bytes =
            sink.stats.retransmitted_bytes.saturating_add((payload.len() as u64).saturating_sub(new_data));
        sink.stats.out_of_order_segments = sink.stats.out_of_order_segments.saturating_add(1);
        *sink.buffered_total = sink.buffered_total.saturating_add(cost);
        let reorder = self.reorder.get_or_insert_with(Box::default);
        reorder.cost = reorder.cost.saturating_add(cost);
        for (a, b) in ranges {
            if a < data_end {
                let from = to_usize(a.saturating_sub(start));
                let to = to_usize(b.min(data_end).saturating_sub(start));
                let bytes = payload.get(from..to).unwrap_or_default();
                reorder.pieces.insert(a, Piece::Data(bytes.into()));
            }
            if b > data_end {
                let lost_start = a.max(data_end);
                reorder.pieces.insert(lost_start, Piece::Lost(b.saturating_sub(lost_start)));
            }
        }
        Buffered::Stored
    }

    /// Sub-ranges of `[start, end)` that no buffered piece covers, in order.
    fn uncovered(&self, start: u64, end: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut cur = start;
        if let Some(r) = &self.reorder {
            if let Some((&s, p)) = r.pieces.range(..start).next_back() {
                cur = cur.max(s.saturating_add(p.len())).min(end);
            }
            for (&s, p) in r.pieces.range(cur.min(end)..end) {
                if s > cur {
                    out.push((cur, s));
                }
                cur = cur.max(s.saturating_add(p.len())).min(end);
            }
        }
        if cur < end {
            out.push((cur, end));
        }
        out
    }
}
