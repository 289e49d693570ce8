//! Bytes that will never come: gaps before TLS is recognised (kept, reported once it is), the
//! record and handshake message a gap cuts short, and the gap event itself.

use super::emit::Emitter;
use super::events::*;
use super::flow::{Flow, HelloHint, TlsConn, direction_of, half_of};
use super::{PacketContext, Shared};
use crate::msgs;
use crate::msgs::{ContentType, HandshakeType};
use crate::tcp::{GapCause, Side};
use crate::tls;

/// A hole in one direction's stream, as reported.
#[derive(Clone, Copy, Debug)]
pub(super) struct Gap {
    pub(super) from: Side,
    pub(super) offset: u64,
    pub(super) bytes: u64,
    pub(super) cause: GapCause,
    pub(super) pkt: PacketContext,
    /// Holes merged into this one (1 unless a flow had more than it keeps apart).
    pub(super) holes: u64,
}

/// Gaps a flow keeps apart before TLS is seen in it; later ones are merged into the last.
pub(super) const MAX_EARLY_GAPS: usize = 16;

/// Queues a gap event and lets the handshake's story know.
pub(super) fn report_gap(tls: &mut TlsConn, gap: Gap, shared: &mut Shared) {
    let direction = direction_of(tls.client_side, gap.from);
    tls.story.note_gap(direction == Direction::ClientToServer, gap.cause);
    shared.stats.gaps = shared.stats.gaps.saturating_add(gap.holes);
    shared.stats.gap_bytes = shared.stats.gap_bytes.saturating_add(gap.bytes);
    if gap.cause.dropped_by_tlstrace() {
        let dropped = shared.stats.gap_bytes_by_cause.entry(gap.cause.name()).or_default();
        *dropped = dropped.saturating_add(gap.bytes);
    }
    shared.events.push(Event::Gap(GapEvent {
        conn: tls.conn,
        direction,
        time: gap.pkt.ts,
        frame: gap.pkt.frame,
        bytes: gap.bytes,
        offset: gap.offset,
        cause: gap.cause.name(),
        holes: (gap.holes > 1).then_some(gap.holes),
    }));
}

impl Flow {
    /// Bytes of one direction will never come: the record and message they cut are reported
    /// with what was captured of them, then the gap itself.
    pub(super) fn on_gap(&mut self, gap: Gap, shared: &mut Shared) {
        let from = gap.from;
        // Records held for a key log still being written came before the gap: they go first,
        // so the gap cuts what the stream had at that point (and never joins across it).
        if !self.held.is_empty() {
            self.release_held(shared, true);
        }
        self.cut_short(from, gap.pkt, "gap", shared);
        match self.tls.as_mut() {
            Some(tls) => report_gap(tls, gap, shared),
            None => {
                // Past the cap, a gap joins the latest one of its direction and cause (at most
                // one more entry per direction and cause than the cap).
                let full = self.early_gaps.len() >= MAX_EARLY_GAPS;
                let same = self.early_gaps.iter_mut().rev().find(|g| g.from == gap.from && g.cause == gap.cause);
                match same {
                    Some(last) if full => {
                        last.holes = last.holes.saturating_add(gap.holes);
                        last.bytes = last.bytes.saturating_add(gap.bytes);
                    }
                    _ => self.early_gaps.push(gap),
                }
            }
        }
    }

    /// The stream of one direction stops here (a gap, or the end of the flow): the record and
    /// the handshake message it was in the middle of are reported with what arrived of them.
    /// `cut_by` is "gap" or "end" (see [`Incomplete::cut_by`]).
    pub(super) fn cut_short(&mut self, from: Side, pkt: PacketContext, cut_by: &'static str, shared: &mut Shared) {
        if let Some(cut) = half_of(&mut self.half, from).splitter.gap() {
            self.on_cut_record(from, cut, pkt, shared);
        }
        let half = half_of(&mut self.half, from);
        let partial = half.assembler.take_partial();
        let version = half.handshake_version;
        if let (Some(tls), Some(partial)) = (self.tls.as_mut(), partial) {
            let direction = direction_of(tls.client_side, from);
            let server_ip = super::flow::server_of(tls.client_side, self.initiator, self.responder).ip();
            Emitter { tls, direction, pkt, shared, server_ip }.incomplete(version, &partial, cut_by);
        }
    }

    /// A record a gap cut short: it shows the direction is TLS, and a handshake record's
    /// captured bytes still frame (and partly decode) the messages they hold.
    fn on_cut_record(&mut self, from: Side, cut: tls::CutRecord, pkt: PacketContext, shared: &mut Shared) {
        let handshake = ContentType::from(cut.content_type) == ContentType::Handshake;
        if self.tls.is_none() {
            let hint = match cut.payload.first() {
                Some(&t) if handshake && HandshakeType::from(t) == HandshakeType::ClientHello => HelloHint::ClientHello,
                Some(&t) if handshake && HandshakeType::from(t) == HandshakeType::ServerHello => HelloHint::ServerHello,
                _ => HelloHint::None,
            };
            self.become_tls(from, hint, true, shared);
        }
        let Some(tls) = self.tls.as_mut() else { return };
        let half = half_of(&mut self.half, from);
        let is_tls13 = tls.ctx.version.is_some_and(msgs::hello::is_tls13);
        if !handshake || (half.cipher_active && !is_tls13) || !self.held.is_empty() {
            // Encrypted, not a handshake, or behind records held for their keys: the gap event says it all.
            return;
        }
        let direction = direction_of(tls.client_side, from);
        let server_ip = super::flow::server_of(tls.client_side, self.initiator, self.responder).ip();
        let mut emit = Emitter { tls, direction, pkt, shared, server_ip };
        emit.handshake_records(half, cut.version, &cut.payload, false);
    }
}
