//! IP fragment reassembly for both families.
//!
//! Written here rather than with etherparse's `IpDefragPool`: that pool has no memory cap (its
//! docs say so), lets later fragments overwrite earlier bytes, has no capture-time expiry, and
//! cannot keep bytes that the snap length cut (which we report as a missing tail).
//!
//! Overlap policy, chosen per family to match what the receiving host accepted:
//! - IPv6: RFC 8200 section 4.5 (after RFC 5722) requires a receiver to discard the whole datagram
//!   when fragments overlap, including fragments not yet received; Linux and the BSDs do. Showing
//!   bytes the host discarded would mislead, so the datagram is poisoned until it times out.
//!   Exact duplicates (same range, same bytes) are ignored, as RFC 8200 permits: capturing on
//!   several interfaces or a retransmitting link produces them.
//! - IPv4: RFC 791 allows overlaps (a re-fragmented retransmission overlaps the original), so
//!   held bytes win and a later fragment only fills holes. First-wins is also what a tracer
//!   wants: the bytes it delivered first never change under it.
//!
//! Each fragment's range on the wire is tracked apart from the bytes captured of it: a
//! fragment cut by the snap length still covers its whole range, and a complete datagram is
//! delivered up to the first byte not captured, the rest reported as missing.

use super::ip::{Family, FragmentInfo};
use super::{NetConfig, NetError, NetStats};
use crate::fast_map::FastMap;
use crate::time::Timestamp;
use std::net::IpAddr;

/// Largest reassembled payload: both families carry the fragmented length in 16 bits.
const MAX_DATAGRAM: usize = 65_535;

/// Datagrams whose table room is reserved up front at most (a larger cap grows the table).
const MAX_PRESIZED_DATAGRAMS: usize = 1 << 16;

/// Bytes of one datagram's bucket in the table (before the room kept free, see
/// [`crate::budget::table_room`]).
pub fn datagram_slot_bytes() -> usize {
    std::mem::size_of::<(FragKey, Datagram)>().saturating_add(1)
}

/// Memory charged per held piece on top of its bytes, so a flood of tiny fragments reaches the
/// byte cap too.
pub(super) const PIECE_OVERHEAD: usize = std::mem::size_of::<Piece>();

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct FragKey {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    proto: u8,
}

/// A held byte range of the datagram: `[start, wire_end)` on the wire, of which `data` holds
/// the first `data.len()` bytes.
#[derive(Debug)]
struct Piece {
    start: usize,
    wire_end: usize,
    data: Vec<u8>,
}

#[derive(Debug)]
struct Datagram {
    first_seen_ns: i128,
    /// Creation order, for evicting the oldest.
    serial: u64,
    /// Sorted by `start`; wire ranges never overlap.
    pieces: Vec<Piece>,
    /// Payload length, known once the last fragment arrived.
    end: Option<usize>,
    charged: usize,
    /// Fragments whose bytes are held: what dropping this datagram drops.
    fragments: u64,
    /// IPv6 overlap seen: everything for this datagram is discarded until it expires.
    poisoned: bool,
}

/// What became of a fragment the reassembler accepted.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Added {
    /// Held, ignored as a duplicate, or dropped for memory (counted in the stats).
    Held,
    /// The datagram is complete: its payload is in [`Reassembler::output`], followed on the wire
    /// by `missing` bytes that were not captured.
    Complete { missing: usize },
}

/// How a new fragment relates to what is held.
enum Fit {
    /// New wire ranges to hold: `(start, wire_end, captured range within the fragment's data)`.
    Fill(Vec<(usize, usize, std::ops::Range<usize>)>),
    Duplicate,
    Conflict,
}

#[derive(Debug)]
pub(super) struct Reassembler {
    max_bytes: usize,
    max_datagrams: usize,
    timeout_ns: i128,
    table: FastMap<FragKey, Datagram>,
    charged: usize,
    next_serial: u64,
    /// No datagram expires before this (a lower bound: completed datagrams are not removed
    /// from it, so a sweep may find nothing and just recompute it).
    earliest_deadline: Option<i128>,
    out: Vec<u8>,
}

impl Reassembler {
    pub(super) fn new(cfg: &NetConfig) -> Self {
        Reassembler {
            max_bytes: cfg.max_fragment_bytes,
            max_datagrams: cfg.max_fragment_datagrams,
            timeout_ns: i128::from(cfg.fragment_timeout_secs).saturating_mul(1_000_000_000),
            // Room for every datagram the cap allows, so the table never grows in a flood.
            table: FastMap::with_capacity_and_hasher(
                crate::budget::table_room(cfg.max_fragment_datagrams.min(MAX_PRESIZED_DATAGRAMS)),
                Default::default(),
            ),
            charged: 0,
            next_serial: 0,
            earliest_deadline: None,
            out: Vec::new(),
        }
    }

    /// The payload of the datagram last reported complete.
    pub(super) fn output(&self) -> &[u8] {
        &self.out
    }

    /// Incomplete datagrams held (including poisoned ones waiting to expire).
    pub(super) fn pending(&self) -> usize {
        self.table.len()
    }

    /// Bytes charged against the memory cap.
    pub(super) fn held_bytes(&self) -> usize {
        self.charged
    }

    /// Drops datagrams whose first fragment is older than the timeout at capture time `now`.
    pub(super) fn expire(&mut self, now: Timestamp, stats: &mut NetStats) {
        let now = now.as_nanos();
        match self.earliest_deadline {
            Some(deadline) if now > deadline => {}
            _ => return,
        }
        let timeout = self.timeout_ns;
        let mut earliest = None::<i128>;
        let mut freed = 0usize;
        self.table.retain(|_, dg| {
            let deadline = dg.first_seen_ns.saturating_add(timeout);
            if now > deadline {
                freed = freed.saturating_add(dg.charged);
                count_dropped(dg, stats);
                false
            } else {
                earliest = Some(earliest.map_or(deadline, |e| e.min(deadline)));
                true
            }
        });
        self.charged = self.charged.saturating_sub(freed);
        self.earliest_deadline = earliest;
    }

    /// Drops every incomplete datagram (end of capture), counting them.
    pub(super) fn clear(&mut self, stats: &mut NetStats) {
        for (_, dg) in self.table.drain() {
            count_dropped(&dg, stats);
        }
        self.charged = 0;
        self.earliest_deadline = None;
    }

    pub(super) fn add(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        frag: &FragmentInfo<'_>,
        now: Timestamp,
        stats: &mut NetStats,
    ) -> Result<Added, NetError> {
        stats.ip_fragments = stats.ip_fragments.saturating_add(1);
        let start = frag.offset;
        let wire_end = match start.checked_add(frag.wire_len) {
            Some(end) if end <= MAX_DATAGRAM => end,
            _ => {
                stats.fragments_dropped = stats.fragments_dropped.saturating_add(1);
                return Err(NetError::Malformed("IP fragment past 65535 bytes"));
            }
        };
        if frag.more && !frag.wire_len.is_multiple_of(8) {
            stats.fragments_dropped = stats.fragments_dropped.saturating_add(1);
            return Err(NetError::Malformed("IP fragment length not a multiple of 8"));
        }
        let data = frag.data.get(..frag.wire_len).unwrap_or(frag.data);
        let key = FragKey { src, dst, id: frag.id, proto: frag.proto };
        let now_ns = now.as_nanos();

        if !self.table.contains_key(&key) {
            while self.table.len() >= self.max_datagrams && self.evict_oldest(None, stats) {}
            if self.table.len() >= self.max_datagrams {
                // A cap of zero: reassembly disabled.
                stats.fragments_dropped = stats.fragments_dropped.saturating_add(1);
                return Ok(Added::Held);
            }
            let serial = self.next_serial;
            self.next_serial = self.next_serial.wrapping_add(1);
            let dg = Datagram {
                first_seen_ns: now_ns,
                serial,
                pieces: Vec::new(),
                end: None,
                charged: 0,
                fragments: 0,
                poisoned: false,
            };
            self.table.insert(key, dg);
            let deadline = now_ns.saturating_add(self.timeout_ns);
            self.earliest_deadline = Some(self.earliest_deadline.map_or(deadline, |e| e.min(deadline)));
        }

        let fit = match self.table.get(&key) {
            Some(dg) if dg.poisoned => {
                stats.fragments_dropped = stats.fragments_dropped.saturating_add(1);
                return Ok(Added::Held);
            }
            Some(dg) => fit(dg, frag.family, start, wire_end, frag.more, data),
            None => return Ok(Added::Held),
        };
        let fills = match fit {
            Fit::Fill(fills) => fills,
            Fit::Duplicate => {
                stats.fragment_overlaps = stats.fragment_overlaps.saturating_add(1);
                return Ok(Added::Held);
            }
            Fit::Conflict => return Err(self.reject(key, frag.family, stats)),
        };
        let filled: usize = fills.iter().map(|f| f.1.saturating_sub(f.0)).sum();
        if filled < wire_end.saturating_sub(start) {
            stats.fragment_overlaps = stats.fragment_overlaps.saturating_add(1);
        }

        let needed: usize = fills.iter().map(|f| f.2.len().saturating_add(PIECE_OVERHEAD)).sum();
        while self.charged.saturating_add(needed) > self.max_bytes && self.evict_oldest(Some(&key), stats) {}
        if self.charged.saturating_add(needed) > self.max_bytes {
            // This datagram alone exceeds the cap.
            if let Some(dg) = self.table.remove(&key) {
                self.charged = self.charged.saturating_sub(dg.charged);
                count_dropped(&dg, stats);
                stats.fragment_datagrams_evicted = stats.fragment_datagrams_evicted.saturating_add(1);
            }
            stats.fragments_dropped = stats.fragments_dropped.saturating_add(1);
            return Ok(Added::Held);
        }

        let Some(dg) = self.table.get_mut(&key) else {
            return Ok(Added::Held);
        };
        for (piece_start, piece_end, range) in fills {
            let bytes = data.get(range).unwrap_or_default().to_vec();
            dg.pieces.push(Piece { start: piece_start, wire_end: piece_end, data: bytes });
        }
        dg.pieces.sort_unstable_by_key(|p| p.start);
        dg.fragments = dg.fragments.saturating_add(1);
        dg.charged = dg.charged.saturating_add(needed);
        self.charged = self.charged.saturating_add(needed);
        if !frag.more {
            dg.end = Some(wire_end);
        }
        if !is_complete(dg) {
            return Ok(Added::Held);
        }
        let Some(dg) = self.table.remove(&key) else {
            return Ok(Added::Held);
        };
        self.charged = self.charged.saturating_sub(dg.charged);
        self.out.clear();
        for piece in &dg.pieces {
            self.out.extend_from_slice(&piece.data);
            if piece.data.len() < piece.wire_end.saturating_sub(piece.start) {
                break;
            }
        }
        stats.datagrams_reassembled = stats.datagrams_reassembled.saturating_add(1);
        let end = dg.end.unwrap_or_default();
        Ok(Added::Complete { missing: end.saturating_sub(self.out.len()) })
    }

    /// Inconsistent fragment: IPv4 drops just it; IPv6 poisons the whole datagram.
    fn reject(&mut self, key: FragKey, family: Family, stats: &mut NetStats) -> NetError {
        stats.fragments_dropped = stats.fragments_dropped.saturating_add(1);
        match family {
            Family::V4 => NetError::Malformed("IPv4 fragment conflicts with the datagram's end"),
            Family::V6 => {
                if let Some(dg) = self.table.get_mut(&key) {
                    count_dropped(dg, stats);
                    self.charged = self.charged.saturating_sub(dg.charged);
                    dg.pieces = Vec::new();
                    dg.charged = 0;
                    dg.fragments = 0;
                    dg.poisoned = true;
                }
                NetError::Malformed("overlapping IPv6 fragments")
            }
        }
    }

    /// Evicts the oldest datagram other than `keep`; false when there is none.
    fn evict_oldest(&mut self, keep: Option<&FragKey>, stats: &mut NetStats) -> bool {
        let oldest =
            self.table.iter().filter(|(k, _)| Some(*k) != keep).min_by_key(|(_, dg)| dg.serial).map(|(k, _)| *k);
        let Some(dg) = oldest.and_then(|k| self.table.remove(&k)) else {
            return false;
        };
        self.charged = self.charged.saturating_sub(dg.charged);
        count_dropped(&dg, stats);
        stats.fragment_datagrams_evicted = stats.fragment_datagrams_evicted.saturating_add(1);
        true
    }
}

fn count_dropped(dg: &Datagram, stats: &mut NetStats) {
    // A poisoned datagram was counted when it was poisoned.
    if !dg.poisoned {
        stats.fragments_dropped = stats.fragments_dropped.saturating_add(dg.fragments);
        stats.fragment_datagrams_dropped = stats.fragment_datagrams_dropped.saturating_add(1);
    }
}

fn fit(dg: &Datagram, family: Family, start: usize, wire_end: usize, more: bool, data: &[u8]) -> Fit {
    // The last fragment fixes the length; nothing may lie beyond it.
    let end_conflict = match (dg.end, more) {
        (Some(end), false) => end != wire_end,
        (Some(end), true) => wire_end > end,
        (None, false) => dg.pieces.iter().any(|p| p.wire_end > wire_end),
        (None, true) => false,
    };
    if end_conflict {
        return Fit::Conflict;
    }
    let captured_end = start.saturating_add(data.len());
    let captured = |from: usize, to: usize| {
        let lo = from.saturating_sub(start);
        let hi = to.min(captured_end).max(from).saturating_sub(start);
        lo..hi
    };
    match family {
        Family::V6 => {
            let mut overlapping = dg.pieces.iter().filter(|p| p.start < wire_end && start < p.wire_end);
            match (overlapping.next(), overlapping.next()) {
                (None, _) if wire_end > start => Fit::Fill(vec![(start, wire_end, captured(start, wire_end))]),
                (None, _) => Fit::Fill(Vec::new()),
                (Some(p), None) if p.start == start && p.wire_end == wire_end && same_prefix(&p.data, data) => {
                    Fit::Duplicate
                }
                _ => Fit::Conflict,
            }
        }
        Family::V4 => {
            let mut fills = Vec::new();
            let mut cursor = start;
            for p in &dg.pieces {
                if p.start >= wire_end {
                    break;
                }
                if p.wire_end <= cursor {
                    continue;
                }
                if p.start > cursor {
                    fills.push((cursor, p.start, captured(cursor, p.start)));
                }
                cursor = cursor.max(p.wire_end);
            }
            if cursor < wire_end {
                fills.push((cursor, wire_end, captured(cursor, wire_end)));
            }
            Fit::Fill(fills)
        }
    }
}

fn same_prefix(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a.get(..n) == b.get(..n)
}

fn is_complete(dg: &Datagram) -> bool {
    let Some(end) = dg.end else { return false };
    let mut cursor = 0;
    for p in &dg.pieces {
        if p.start != cursor {
            return false;
        }
        cursor = p.wire_end;
    }
    cursor == end
}
