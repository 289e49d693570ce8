//! The flow table: finds each segment's connection, opens, ages, evicts and closes flows.

use super::key::FlowKey;
use super::lru::{LinkedSlab, ListId};
use super::stream::{Dir, MAX_MISSING_TAIL, Sink, step};
use super::{EndReason, FlowConfig, FlowEvent, FlowId, GapCause, Side, TcpStats, Verdict};
use crate::net::TcpSegment;
use crate::time::Timestamp;
use std::ops::ControlFlow;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Delivering data.
    Live,
    /// The layer above declined it: only FIN and RST are followed, to close it.
    Ignored,
    /// Closed by FIN or RST and kept a while, so late packets of the same connection (final
    /// ACKs, retransmitted FINs, data racing a RST) do not open a new flow.
    Closed { by_rst: bool },
}

struct Flow {
    key: FlowKey,
    id: FlowId,
    /// Capture clock at the last packet; orders the recency lists.
    last_seen_ns: i64,
    state: State,
    initiator_is_lo: bool,
    initiator: Dir,
    responder: Dir,
}

impl Flow {
    fn side_of(&self, src_is_lo: bool) -> Side {
        if src_is_lo == self.initiator_is_lo { Side::Initiator } else { Side::Responder }
    }

    fn dir(&self, side: Side) -> &Dir {
        match side {
            Side::Initiator => &self.initiator,
            Side::Responder => &self.responder,
        }
    }

    fn dir_mut(&mut self, side: Side) -> &mut Dir {
        match side {
            Side::Initiator => &mut self.initiator,
            Side::Responder => &mut self.responder,
        }
    }

    fn both_ended(&self) -> bool {
        self.initiator.ended() && self.responder.ended()
    }

    fn release(&mut self, buffered_total: &mut usize) {
        self.initiator.release(buffered_total);
        self.responder.release(buffered_total);
    }
}

/// Bytes of one flow's slot in the table: the flow, its recency link and its place on the free
/// list (counted in [`crate::budget::FLOW_COST`]).
pub fn flow_slot_bytes() -> usize {
    const BYTES: usize = size_of::<Option<Flow>>() + super::lru::LINK_BYTES + size_of::<u32>();
    BYTES
}

/// An open flow as [`FlowTable::least_recent`] lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowSlot {
    idx: u32,
    pub id: FlowId,
}

/// What a segment means for the flow already stored under its key.
enum Route {
    /// Part of that flow.
    Existing,
    /// A late packet of a closed flow: counted, nothing else.
    Absorb,
    /// A new connection on the same addresses: the stored flow gives way.
    Replace,
}

/// Capture time in nanoseconds since the epoch, saturated to `i64`.
fn nanos(ts: Timestamp) -> i64 {
    let n = ts.as_nanos();
    i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })
}

fn secs_to_nanos(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1_000_000_000)
}

/// Flow key -> slab index of the flow that has it. Holds only the 4-byte indices (the keys
/// are read from the flows): at a few bytes per flow the index stays in cache, where a map
/// holding 48-byte keys was a cache miss per packet before the flow's own. hashbrown's
/// `HashTable` is the std map's engine with the hashing and comparison left to the caller,
/// which is what storing the key elsewhere needs.
#[derive(Default)]
struct FlowIndex {
    table: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::RandomState,
}

impl FlowIndex {
    fn hash(&self, key: &FlowKey) -> u64 {
        std::hash::BuildHasher::hash_one(&self.hasher, key)
    }

    /// The live entry for `key`.
    fn get(&self, key: &FlowKey, slab: &LinkedSlab<Flow>) -> Option<u32> {
        let found = self.table.find(self.hash(key), |&i| slab.get(i).is_some_and(|f| f.key == *key));
        found.copied()
    }

    /// Points `key` at `idx` (whose flow must already be in the slab with that key), replacing
    /// an older flow of the same key.
    fn insert(&mut self, key: &FlowKey, idx: u32, slab: &LinkedSlab<Flow>) {
        let hasher = &self.hasher;
        // Every index in the table is a flow in the slab (removed from here before there).
        let rehash = |&i: &u32| slab.get(i).map_or(0, |f| std::hash::BuildHasher::hash_one(hasher, f.key));
        let hash = self.hash(key);
        match self.table.entry(hash, |&i| slab.get(i).is_some_and(|f| f.key == *key), rehash) {
            hashbrown::hash_table::Entry::Occupied(mut e) => *e.get_mut() = idx,
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert(idx);
            }
        }
    }

    /// Forgets `idx` if `key` still points at it (a newer flow of the same key keeps its entry).
    fn remove(&mut self, key: &FlowKey, idx: u32) {
        if let Ok(e) = self.table.find_entry(self.hash(key), |&i| i == idx) {
            e.remove();
        }
    }

    fn clear(&mut self) {
        self.table.clear();
    }
}

/// Connection tracker and stream reassembler. See the module documentation for the rules.
pub struct FlowTable {
    cfg: FlowConfig,
    stats: TcpStats,
    /// Open (and ignored) flows by key. Flows closed by FIN or RST and kept a while move to
    /// `closed_index`: on a busy capture thousands of those linger (`max_closed_flows`) for
    /// every open one, and in one shared index they made the lookup every packet does miss the
    /// cache; apart, the open flows' index stays small and the closed one is asked only for
    /// keys the open one does not know (new connections, late packets).
    index: FlowIndex,
    closed_index: FlowIndex,
    slab: LinkedSlab<Flow>,
    next_id: FlowId,
    /// Latest capture time seen: flows are stamped with it, so recency order is time order
    /// even when packet timestamps step backwards.
    clock_ns: i64,
    /// Out-of-order cost held across all flows.
    buffered_total: usize,
}

impl FlowTable {
    /// A table with its slots and indices allocated up front for `cfg.max_flows` flows, so it
    /// never grows (and never reallocates) during the run.
    pub fn new(cfg: FlowConfig) -> Self {
        let max = cfg.max_flows.clamp(1, (u32::MAX - 1) as usize);
        let index = |n: usize| FlowIndex {
            table: hashbrown::HashTable::with_capacity(crate::budget::table_room(n)),
            hasher: foldhash::fast::RandomState::default(),
        };
        FlowTable {
            stats: TcpStats::default(),
            index: index(max),
            closed_index: index(cfg.max_closed_flows.min(max)),
            slab: LinkedSlab::with_capacity(max),
            cfg,
            next_id: 0,
            clock_ns: i64::MIN,
            buffered_total: 0,
        }
    }

    /// Feeds one segment captured at `ts`.
    pub fn process(&mut self, seg: &TcpSegment<'_>, ts: Timestamp, emit: &mut dyn FnMut(FlowEvent<'_>) -> Verdict) {
        self.stats.segments = self.stats.segments.saturating_add(1);
        self.clock_ns = self.clock_ns.max(nanos(ts));
        let (key, src_is_lo) = FlowKey::new(seg.src, seg.dst);
        let existing = self.index.get(&key, &self.slab).or_else(|| self.closed_index.get(&key, &self.slab));
        let idx = match existing {
            Some(idx) => match self.route(idx, src_is_lo, seg) {
                Route::Existing => idx,
                Route::Absorb => {
                    self.stats.segments_after_close = self.stats.segments_after_close.saturating_add(1);
                    self.touch(idx);
                    return;
                }
                Route::Replace => {
                    self.retire(idx, emit);
                    match self.open(key, src_is_lo, seg, emit) {
                        Some(idx) => idx,
                        None => return,
                    }
                }
            },
            None if seg.flags.rst() => {
                // A reset for a connection never seen has nothing to report.
                self.stats.stray_segments = self.stats.stray_segments.saturating_add(1);
                return;
            }
            None => match self.open(key, src_is_lo, seg, emit) {
                Some(idx) => idx,
                None => return,
            },
        };
        self.touch(idx);
        self.handle(idx, src_is_lo, seg, emit);
    }

    /// Closes flows idle since before `now - idle_timeout`.
    pub fn expire(&mut self, now: Timestamp, emit: &mut dyn FnMut(FlowEvent<'_>) -> Verdict) {
        let now = nanos(now);
        // The recency list is in last-seen order, so only expired flows are visited.
        let idle = secs_to_nanos(self.cfg.idle_timeout_secs);
        while let Some(idx) = self.slab.oldest(ListId::Open) {
            match self.slab.get(idx) {
                Some(flow) if now.saturating_sub(flow.last_seen_ns) > idle => {}
                _ => break,
            }
            self.stats.flows_timed_out = self.stats.flows_timed_out.saturating_add(1);
            self.close(idx, EndReason::Timeout, emit);
        }
        let linger = secs_to_nanos(self.cfg.closed_linger_secs);
        while let Some(idx) = self.slab.oldest(ListId::Closed) {
            match self.slab.get(idx) {
                Some(flow) if now.saturating_sub(flow.last_seen_ns) > linger => self.remove_entry(idx),
                _ => break,
            }
        }
    }

    /// End of capture: flushes every flow (pending holes become gaps) and closes it.
    pub fn finish(&mut self, emit: &mut dyn FnMut(FlowEvent<'_>) -> Verdict) {
        let mut open: Vec<(FlowId, u32)> = self
            .slab
            .indices(ListId::Open)
            .into_iter()
            .filter_map(|idx| self.slab.get(idx).map(|f| (f.id, idx)))
            .collect();
        open.sort_unstable();
        for (_, idx) in open {
            self.close(idx, EndReason::CaptureEnd, emit);
        }
        self.index.clear();
        self.closed_index.clear();
        self.slab.clear();
        self.buffered_total = 0;
    }

    pub fn stats(&self) -> &TcpStats {
        &self.stats
    }

    /// Flows currently open (not counting recently closed ones kept to absorb late packets).
    pub fn len(&self) -> usize {
        self.slab.list_len(ListId::Open)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Out-of-order bytes currently buffered across all flows (with per-segment overhead).
    pub fn buffered_bytes(&self) -> usize {
        self.buffered_total
    }

    /// Open flows, least recently active first (to pick flows to evict for memory).
    pub fn least_recent(&self) -> impl Iterator<Item = FlowSlot> + '_ {
        self.slab.oldest_first(ListId::Open).filter_map(|idx| self.slab.get(idx).map(|f| FlowSlot { idx, id: f.id }))
    }

    /// Closes flows picked from [`least_recent`](Self::least_recent) as `Evicted` (to bring
    /// memory within the budget); those already gone are skipped. Returns how many it closed.
    pub fn evict_for_memory(&mut self, victims: &[FlowSlot], emit: &mut dyn FnMut(FlowEvent<'_>) -> Verdict) -> u64 {
        let mut evicted = 0u64;
        for v in victims {
            let open =
                self.slab.get(v.idx).is_some_and(|f| f.id == v.id && matches!(f.state, State::Live | State::Ignored));
            if open {
                self.stats.flows_evicted_for_memory = self.stats.flows_evicted_for_memory.saturating_add(1);
                evicted = evicted.saturating_add(1);
                self.close(v.idx, EndReason::Evicted, emit);
            }
        }
        evicted
    }

    fn max_flows(&self) -> usize {
        self.cfg.max_flows.clamp(1, (u32::MAX - 1) as usize)
    }

    fn route(&self, idx: u32, src_is_lo: bool, seg: &TcpSegment<'_>) -> Route {
        let Some(flow) = self.slab.get(idx) else {
            return Route::Replace;
        };
        let side = flow.side_of(src_is_lo);
        let closed = matches!(flow.state, State::Closed { .. });
        let flags = seg.flags;
        if flags.syn() && !flags.rst() {
            let dir = flow.dir(side);
            if dir.is_init() {
                // Same ISN: a retransmitted SYN. Another ISN: the addresses were reused.
                return match (dir.syn_matches(seg.seq), closed) {
                    (false, _) => Route::Replace,
                    (true, true) => Route::Absorb,
                    (true, false) => Route::Existing,
                };
            }
            let answers_syn = flags.ack() && side == Side::Responder && flow.initiator.has_syn();
            return if answers_syn && !closed { Route::Existing } else { Route::Replace };
        }
        match flow.state {
            // Data racing a reset is discarded by the receiver; nothing of it is worth a flow.
            State::Closed { by_rst: true } => Route::Absorb,
            State::Closed { by_rst: false } if !Self::is_late(flow, side, seg) => Route::Replace,
            State::Closed { by_rst: false } => Route::Absorb,
            State::Live | State::Ignored => Route::Existing,
        }
    }

    /// Whether a segment on a FIN-closed flow carries nothing beyond what the flow already had.
    fn is_late(flow: &Flow, side: Side, seg: &TcpSegment<'_>) -> bool {
        let missing = u64::from(seg.missing_tail).min(MAX_MISSING_TAIL);
        if seg.flags.rst() || (seg.payload.is_empty() && missing == 0 && !seg.flags.fin()) {
            return true;
        }
        let dir = flow.dir(side);
        if !dir.is_init() {
            return false;
        }
        let wire = (seg.payload.len() as u64).saturating_add(missing);
        let end = dir.offset_of(seg.seq).saturating_add(i64::try_from(wire).unwrap_or(i64::MAX));
        end <= i64::try_from(dir.next()).unwrap_or(i64::MAX)
    }

    /// Makes way for a new connection on the same addresses.
    fn retire(&mut self, idx: u32, emit: &mut dyn FnMut(FlowEvent<'_>) -> Verdict) {
        match self.slab.get(idx).map(|f| f.state) {
            Some(State::Closed { .. }) | None => self.remove_entry(idx),
            Some(State::Live | State::Ignored) => {
                self.stats.flows_superseded = self.stats.flows_superseded.saturating_add(1);
                self.close(idx, EndReason::Evicted, emit);
            }
        }
    }

    fn open(
        &mut self,
        key: FlowKey,
        src_is_lo: bool,
        seg: &TcpSegment<'_>,
        emit: &mut dyn FnMut(FlowEvent<'_>) -> Verdict,
    ) -> Option<u32> {
        self.make_room(emit);
        let syn = seg.flags.syn();
        // A SYN-ACK is the responder's answer; any other first packet is taken as the initiator's.
        let src_is_initiator = !(syn && seg.flags.ack());
        let (initiator, responder) = if src_is_initiator { (seg.src, seg.dst) } else { (seg.dst, seg.src) };
        let id = self.next_id;
        let flow = Flow {
            key,
            id,
            last_seen_ns: self.clock_ns,
            state: State::Live,
            initiator_is_lo: src_is_lo == src_is_initiator,
            initiator: Dir::default(),
            responder: Dir::default(),
        };
        let idx = self.slab.insert(flow, ListId::Open)?;
        self.next_id = self.next_id.saturating_add(1);
        self.stats.flows = self.stats.flows.saturating_add(1);
        self.index.insert(&key, idx, &self.slab);
        let verdict = emit(FlowEvent::Opened { flow: id, initiator, responder, syn_seen: syn });
        if verdict == Verdict::Ignore {
            self.ignore(idx);
        }
        Some(idx)
    }

    /// Frees a slot when the table is full: the oldest closed flow, else the least recently
    /// active open flow.
    fn make_room(&mut self, emit: &mut dyn FnMut(FlowEvent<'_>) -> Verdict) {
        while self.slab.len() >= self.max_flows() {
            if let Some(idx) = self.slab.oldest(ListId::Closed) {
                self.remove_entry(idx);
            } else if let Some(idx) = self.slab.oldest(ListId::Open) {
                self.stats.flows_evicted = self.stats.flows_evicted.saturating_add(1);
                self.close(idx, EndReason::Evicted, emit);
            } else {
                break;
            }
        }
    }

    fn ignore(&mut self, idx: u32) {
        if let Some(flow) = self.slab.get_mut(idx) {
            flow.state = State::Ignored;
            flow.release(&mut self.buffered_total);
            self.stats.flows_ignored = self.stats.flows_ignored.saturating_add(1);
        }
    }

    fn touch(&mut self, idx: u32) {
        if let Some(flow) = self.slab.get_mut(idx) {
            flow.last_seen_ns = self.clock_ns;
        }
        self.slab.touch(idx);
    }

    fn handle(
        &mut self,
        idx: u32,
        src_is_lo: bool,
        seg: &TcpSegment<'_>,
        emit: &mut dyn FnMut(FlowEvent<'_>) -> Verdict,
    ) {
        let Some(flow) = self.slab.get_mut(idx) else {
            return;
        };
        let side = flow.side_of(src_is_lo);
        let flags = seg.flags;
        if flags.syn() && !flags.rst() {
            let dir = flow.dir_mut(side);
            if !dir.is_init() {
                dir.init_syn(seg.seq);
            } else if dir.syn_matches(seg.seq) {
                dir.mark_syn();
            }
            if flags.ack() {
                // The SYN-ACK acknowledges the initiator's ISN + 1.
                let other = flow.dir_mut(side.other());
                if !other.is_init() {
                    other.init_syn(seg.ack.wrapping_sub(1));
                }
            }
        }
        let missing = u64::from(seg.missing_tail).min(MAX_MISSING_TAIL);
        let mut end = None;
        if flow.state == State::Live {
            let mut sink = Sink {
                flow: flow.id,
                from: side,
                emit: &mut *emit,
                stats: &mut self.stats,
                buffered_total: &mut self.buffered_total,
                max_per_direction: self.cfg.max_buffered_bytes_per_direction,
                max_total: self.cfg.max_buffered_bytes_total,
            };
            match deliver(flow, side, seg, missing, &mut sink) {
                ControlFlow::Continue(reason) => end = reason,
                ControlFlow::Break(()) => {
                    flow.state = State::Ignored;
                    flow.release(&mut self.buffered_total);
                    self.stats.flows_ignored = self.stats.flows_ignored.saturating_add(1);
                }
            }
        }
        if flow.state == State::Ignored {
            end = follow_ignored(flow, side, seg, missing);
        }
        if let Some(reason) = end {
            self.close(idx, reason, emit);
        }
    }

    /// Flushes what the flow holds (holes become gaps), emits `Closed` and drops the flow, or
    /// keeps it as closed when it ended by FIN or RST.
    fn close(&mut self, idx: u32, reason: EndReason, emit: &mut dyn FnMut(FlowEvent<'_>) -> Verdict) {
        let Some(flow) = self.slab.get_mut(idx) else {
            return;
        };
        if matches!(flow.state, State::Closed { .. }) {
            return;
        }
        if flow.state == State::Live {
            let mut sink = Sink {
                flow: flow.id,
                from: Side::Initiator,
                emit: &mut *emit,
                stats: &mut self.stats,
                buffered_total: &mut self.buffered_total,
                max_per_direction: self.cfg.max_buffered_bytes_per_direction,
                max_total: self.cfg.max_buffered_bytes_total,
            };
            let cause = if reason == EndReason::Evicted { GapCause::Evicted } else { GapCause::CaptureLoss };
            for side in [Side::Initiator, Side::Responder] {
                sink.from = side;
                if flow.dir_mut(side).flush(cause, &mut sink).is_break() {
                    break;
                }
            }
        }
        flow.release(&mut self.buffered_total);
        // The answer to `Closed` does not matter: nothing follows it.
        let _ = emit(FlowEvent::Closed { flow: flow.id, reason });
        let keep = matches!(reason, EndReason::Fin | EndReason::Rst) && self.cfg.closed_linger_secs > 0;
        if keep {
            flow.state = State::Closed { by_rst: reason == EndReason::Rst };
            let key = flow.key;
            self.index.remove(&key, idx);
            self.closed_index.insert(&key, idx, &self.slab);
            self.slab.move_to(idx, ListId::Closed);
            while self.slab.list_len(ListId::Closed) > self.cfg.max_closed_flows {
                match self.slab.oldest(ListId::Closed) {
                    Some(oldest) => self.remove_entry(oldest),
                    None => break,
                }
            }
        } else {
            self.remove_entry(idx);
        }
    }

    fn remove_entry(&mut self, idx: u32) {
        match self.slab.get(idx).map(|f| (f.key, f.state)) {
            Some((key, State::Closed { .. })) => self.closed_index.remove(&key, idx),
            Some((key, _)) => self.index.remove(&key, idx),
            None => {}
        }
        if let Some(mut flow) = self.slab.remove(idx) {
            flow.release(&mut self.buffered_total);
        }
    }
}

/// A segment of a live flow: the acknowledgment first (it concerns bytes sent earlier by the
/// other side), then this side's bytes, then its FIN. Returns how the flow ends, if it does;
/// `Break` when the layer above answered `Ignore`.
fn deliver(
    flow: &mut Flow,
    side: Side,
    seg: &TcpSegment<'_>,
    missing: u64,
    sink: &mut Sink<'_>,
) -> ControlFlow<(), Option<EndReason>> {
    let flags = seg.flags;
    if flags.ack() {
        let other = flow.dir_mut(side.other());
        other.note_ack(seg.ack);
        sink.from = side.other();
        other.resolve_acked(sink)?;
        sink.from = side;
    }
    if flags.rst() {
        return ControlFlow::Continue(Some(EndReason::Rst));
    }
    let carries = !seg.payload.is_empty() || missing > 0 || flags.fin();
    let dir = flow.dir_mut(side);
    if !carries {
        return ControlFlow::Continue(None);
    }
    if dir.ended() {
        sink.stats.retransmitted_bytes = sink.stats.retransmitted_bytes.saturating_add(seg.payload.len() as u64);
        return ControlFlow::Continue(None);
    }
    let syn = u32::from(flags.syn());
    if !dir.is_init() {
        // Mid-connection start: the first data seen defines the stream start.
        dir.init_at(seg.seq.wrapping_add(syn));
    }
    let start = dir.offset_of(seg.seq).saturating_add(i64::from(syn));
    if !dir.in_window(start) {
        sink.stats.segments_out_of_window = sink.stats.segments_out_of_window.saturating_add(1);
        return ControlFlow::Continue(None);
    }
    dir.segment(start, seg.payload, missing, sink)?;
    if flags.fin() {
        let wire = (seg.payload.len() as u64).saturating_add(missing);
        let fin_off = start.saturating_add(i64::try_from(wire).unwrap_or(i64::MAX)).max(0).unsigned_abs();
        dir.end_at(fin_off, sink)?;
        step((sink.emit)(FlowEvent::DirectionEnded { flow: sink.flow, from: side, reason: EndReason::Fin }))?;
        if flow.both_ended() {
            return ControlFlow::Continue(Some(EndReason::Fin));
        }
    }
    ControlFlow::Continue(None)
}

/// A segment of an ignored flow: only the stream position (to recognise late packets) and
/// FIN/RST are followed; no bytes are kept or copied.
fn follow_ignored(flow: &mut Flow, side: Side, seg: &TcpSegment<'_>, missing: u64) -> Option<EndReason> {
    let flags = seg.flags;
    if flags.rst() {
        return Some(EndReason::Rst);
    }
    let dir = flow.dir_mut(side);
    let wire = (seg.payload.len() as u64).saturating_add(missing);
    if wire > 0 || flags.fin() {
        let syn = u32::from(flags.syn());
        if !dir.is_init() {
            dir.init_at(seg.seq.wrapping_add(syn));
        }
        let start = dir.offset_of(seg.seq).saturating_add(i64::from(syn));
        dir.track(start, wire);
    }
    if flags.fin() {
        dir.set_ended();
        if flow.both_ended() {
            return Some(EndReason::Fin);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::TcpFlags;
    use std::net::{Ipv4Addr, SocketAddr};
    use std::time::Instant;

    #[test]
    fn a_flow_without_data_is_small() {
        // Key (48), id, time, state and two directions without buffers (32 each).
        assert!(size_of::<Flow>() <= 144, "{} bytes", size_of::<Flow>());
    }

    #[test]
    fn a_million_bare_syns_stay_bounded() {
        let cfg = FlowConfig { max_flows: 10_000, ..FlowConfig::default() };
        let mut table = FlowTable::new(cfg);
        let server = SocketAddr::from(([10, 0, 0, 2], 443));
        let (mut opened, mut evicted) = (0u64, 0u64);
        let mut count = |e: FlowEvent<'_>| {
            match e {
                FlowEvent::Opened { syn_seen: true, .. } => opened += 1,
                FlowEvent::Closed { reason: EndReason::Evicted, .. } => evicted += 1,
                other => panic!("unexpected {other:?}"),
            }
            Verdict::Continue
        };
        let started = Instant::now();
        for i in 0..1_000_000u32 {
            let src = SocketAddr::from((Ipv4Addr::from(0x0a01_0000 + (i >> 16)), (i & 0xffff) as u16));
            let seg = TcpSegment {
                src,
                dst: server,
                seq: i.wrapping_mul(2_654_435_761),
                ack: 0,
                flags: TcpFlags(TcpFlags::SYN),
                payload: &[],
                missing_tail: 0,
            };
            let ts = Timestamp::new(1_700_000_000 + i64::from(i / 1000), 0, 6);
            table.process(&seg, ts, &mut count);
            if i % 1000 == 0 {
                table.expire(ts, &mut count);
            }
        }
        let elapsed = started.elapsed();
        eprintln!("1M SYNs through a 10k table: {elapsed:?}");
        assert_eq!(opened, 1_000_000);
        assert_eq!(evicted, 990_000);
        assert_eq!(table.len(), 10_000);
        assert_eq!(table.slab.len(), 10_000);
        assert_eq!(table.index.table.len(), 10_000, "one index entry per flow");
        let capacity = table.index.table.capacity();
        assert!(capacity <= 4 * 10_000, "index capacity {capacity}");
        assert_eq!(table.stats().flows_evicted, 990_000);
        assert_eq!(table.buffered_bytes(), 0);
    }
}
