//! Connection state: which side is the client, what is encrypted, and the messages of each
//! TLS connection in order.
//!
//! Layer 6 of the pipeline. It consumes ordered stream events ([`input::StreamEvent`]: the
//! `tcp` layer's flow events today, converted where the pipeline calls it), drives the `tls`
//! framing per direction and the `msgs` decoders, and queues `Event`s for the output layer.
//!
//! One job per file:
//!
//! - `input`: the transport-neutral stream events this layer consumes.
//! - `flow`: one stream's two directions, the decision that it is TLS and who the client is,
//!   its end; `gaps`: bytes that never come; `held`: records waiting for a growing key log.
//! - `emit`: records and handshake messages of one direction turned into message events.
//! - `story`: the state of a handshake (phases, kind, failure, warnings) and its summary;
//!   `roles`: the sentence saying what each message does, written only when shown.
//! - `decrypt` and `keys`: one connection's decryption state, and the key material a run shares.
//! - `names`: names of versions, suites, groups and schemes as the events print them.
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

pub mod decrypt;
mod dtls;
mod emit;
pub mod events;
mod flow;
mod gaps;
mod held;
pub mod input;
pub use quic_keys::QuicInput;
mod keys;
mod quic_keys;
mod roles;
mod stats;
pub mod story;
#[cfg(test)]
mod tests;

use crate::fast_map::FastMap;
use crate::tcp::EndReason;
use crate::time::Timestamp;
use events::*;
use flow::{Flow, end_flow};
use held::{ClosingFlow, MAX_CLOSING_FLOWS};
use input::{StreamEvent, StreamId, Verdict};
pub use stats::{ConnStats, HandshakeTally};

/// Where and when the packet being processed was captured.
#[derive(Clone, Copy, Debug)]
pub struct PacketContext {
    pub ts: Timestamp,
    pub frame: u64,
}

/// What every connection of a run shares: numbering, counters, the event queue, the keys.
#[derive(Default)]
pub struct Shared {
    next_conn: u64,
    pub stats: ConnStats,
    /// Events ready for output, in order.
    pub events: Vec<Event>,
    pub keys: decrypt::KeyStore,
    /// Show up to this many bytes of decrypted application data.
    pub show_data: Option<usize>,
    /// `--certs DIR`: where certificates are written.
    pub certs_dir: Option<std::path::PathBuf>,
    /// First error writing a certificate (reported once).
    pub certs_error: Option<String>,
    /// The key log is still being written (live capture): wait briefly for missing secrets.
    pub wait_for_keys: bool,
    /// Leave message roles empty: the output does not show them.
    pub skip_roles: bool,
    /// Keep each message's bytes in its event (`MessageEvent::raw`), for a hex view.
    pub keep_bytes: bool,
    /// Bytes of partial records and handshake messages, held records and transcripts across
    /// all flows (the TLS buffers' share of the memory budget).
    pub tls_buffered: usize,
    /// Buffer bytes of the flows that ended while waiting for their secrets, at most half the
    /// limit.
    pub closing_bytes: usize,
    /// The TLS buffers' share of the memory budget (None: unlimited).
    pub tls_buffers_limit: Option<usize>,
    /// The anchors chains are judged against (`--trust`, `--ca-file`, `--ca-dir`); None: the
    /// compiled-in Mozilla set.
    pub trust: Option<std::sync::Arc<crate::certs::TrustStore>>,
}

/// All flows and TLS connections of a run.
#[derive(Default)]
pub struct ConnTracker {
    /// Boxed: the map's buckets stay small, so the room reserved for the most flows the
    /// budget allows costs little until they come.
    flows: FastMap<StreamId, Box<Flow>>,
    /// Flows that ended while their records waited for secrets (live key log).
    closing: std::collections::VecDeque<ClosingFlow>,
    pub shared: Shared,
}

impl ConnTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// A tracker with room for `max_flows` open flows allocated up front (the flow table's
    /// capacity), so its map never grows during the run.
    pub fn with_capacity(max_flows: usize) -> Self {
        let room = crate::budget::table_room(max_flows);
        ConnTracker { flows: FastMap::with_capacity_and_hasher(room, Default::default()), ..Self::default() }
    }

    /// Whether the TLS buffers (those of flows waiting for secrets after their end included)
    /// are over their share of the memory budget.
    pub fn tls_buffers_over_limit(&self) -> bool {
        self.shared
            .tls_buffers_limit
            .is_some_and(|limit| self.shared.tls_buffered.saturating_add(self.shared.closing_bytes) > limit)
    }

    /// Flows holding TLS buffers among `candidates` (least recently active first), as many as
    /// it takes to bring the TLS buffers (with [`Shared::closing_bytes`]) down to `target`.
    pub fn tls_buffer_victims(
        &self,
        candidates: impl Iterator<Item = crate::tcp::FlowSlot>,
        target: usize,
    ) -> Vec<crate::tcp::FlowSlot> {
        let target = target.saturating_sub(self.shared.closing_bytes);
        let mut excess = self.shared.tls_buffered.saturating_sub(target);
        let mut victims = Vec::new();
        for slot in candidates {
            if excess == 0 {
                break;
            }
            if let Some(f) = self.flows.get(&slot.id)
                && f.charged > 0
            {
                excess = excess.saturating_sub(f.charged);
                victims.push(slot);
            }
        }
        victims
    }

    /// Open flows being tracked.
    pub fn open_flows(&self) -> usize {
        self.flows.len()
    }

    /// Takes the queued events.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, Event> {
        for ev in &self.shared.events {
            if let Event::Handshake(h) = ev {
                self.shared.stats.handshakes.add(h);
            }
        }
        self.shared.events.drain(..)
    }

    /// Live capture: replays records held for secrets that have now arrived (or waited too long).
    pub fn release_held_records(&mut self, now: Timestamp) {
        for f in self.flows.values_mut() {
            if !f.held.is_empty() {
                let timed_out = f.hold_expired(now);
                f.release_held(&mut self.shared, timed_out);
                f.recharge(&mut self.shared);
            }
        }
        for mut c in std::mem::take(&mut self.closing) {
            let timed_out = c.flow.hold_expired(now);
            c.flow.release_held(&mut self.shared, timed_out);
            if c.flow.held.is_empty() {
                self.shared.closing_bytes = self.shared.closing_bytes.saturating_sub(c.flow.charged);
                end_flow(&mut self.shared, c.flow, c.reason, c.pkt);
            } else {
                self.closing.push_back(c);
            }
        }
    }

    /// Judges chains against these anchors from now on.
    pub fn set_trust(&mut self, store: std::sync::Arc<crate::certs::TrustStore>) {
        self.shared.trust = Some(store);
    }

    /// Writes every certificate seen, as PEM named by its SHA-256, into `dir`.
    pub fn write_certificates_to(&mut self, dir: std::path::PathBuf) {
        self.shared.certs_dir = Some(dir);
    }

    pub fn stats(&self) -> &ConnStats {
        &self.shared.stats
    }

    /// Adds parsed key log secrets (a file, a pcapng Decryption Secrets Block, new lines of a
    /// growing log) and turns decryption on.
    pub fn add_key_log(&mut self, log: crate::crypto::KeyLog) {
        self.shared.keys.enabled = true;
        self.shared.keys.keylog.merge(log);
    }

    /// Turns decryption on even before any secret is known (a key log still being written).
    pub fn enable_decryption(&mut self) {
        self.shared.keys.enabled = true;
    }

    /// The first error writing a certificate for `--certs`, if any.
    pub fn certificate_error(&self) -> Option<String> {
        self.shared.certs_error.clone()
    }

    pub fn decrypt_stats(&self) -> Option<decrypt::DecryptStats> {
        self.shared.keys.enabled.then(|| self.shared.keys.stats.clone())
    }

    /// `--rsa-key`: a server's private key, for the RSA key exchanges whose certificate holds
    /// its public half.
    pub fn add_rsa_key(&mut self, key: crate::crypto::rsa_kx::ServerKey) {
        self.shared.keys.rsa_keys.push((key, 0));
        self.enable_decryption();
    }

    /// The `--rsa-key` files and the connections each opened, for the summary.
    pub fn rsa_key_uses(&self) -> Option<Vec<events::RsaKeyUse>> {
        let keys = &self.shared.keys.rsa_keys;
        (!keys.is_empty()).then(|| {
            keys.iter()
                .map(|(k, n)| events::RsaKeyUse { file: k.path.clone(), bits: k.bits(), connections: *n })
                .collect()
        })
    }

    /// Handles one event of an ordered stream (a TCP flow from the flow table).
    pub fn on_stream_event(&mut self, ev: StreamEvent<'_>, pkt: PacketContext) -> Verdict {
        match ev {
            StreamEvent::Opened { stream, initiator, responder, start_seen, quic } => {
                self.shared.stats.flows = self.shared.stats.flows.saturating_add(1);
                let mut flow = Flow::new(initiator, responder, start_seen, pkt);
                flow.quic = quic;
                self.flows.insert(stream, Box::new(flow));
                Verdict::Continue
            }
            StreamEvent::HandshakeBytes { stream, from, bytes, decrypted } => {
                let Some(f) = self.flows.get_mut(&stream) else { return Verdict::Continue };
                f.on_handshake_bytes(from, bytes, decrypted, pkt, &mut self.shared);
                f.recharge(&mut self.shared);
                Verdict::Continue
            }
            StreamEvent::Sealed { stream, from, packet, length } => {
                if let Some(f) = self.flows.get_mut(&stream) {
                    f.on_sealed(from, packet, length, pkt, &mut self.shared);
                }
                Verdict::Continue
            }
            StreamEvent::EarlyData { stream, length, stream_frames, stream_bytes } => {
                if let Some(f) = self.flows.get_mut(&stream) {
                    f.on_early_data(length, stream_frames, stream_bytes);
                }
                Verdict::Continue
            }
            StreamEvent::GaveUpWaiting { stream, packets, bytes, cause } => {
                if let Some(f) = self.flows.get_mut(&stream) {
                    f.on_transport_note(format!(
                        "QUIC: {packets} packets ({bytes} bytes) held for their secrets were handled without waiting longer: {cause}"
                    ));
                }
                Verdict::Continue
            }
            StreamEvent::ServerConnectionId { stream, cid } => {
                if let Some(q) = self.flows.get_mut(&stream).and_then(|f| f.tls.as_mut()).and_then(|t| t.quic.as_mut())
                {
                    q.server_cid = Some(crate::hex_text::lower(cid));
                }
                Verdict::Continue
            }
            StreamEvent::Note { stream, from, text } => {
                if let Some(f) = self.flows.get_mut(&stream) {
                    f.on_note(from, text, pkt, &mut self.shared);
                }
                Verdict::Continue
            }
            StreamEvent::Data { stream, from, bytes } => {
                let Some(f) = self.flows.get_mut(&stream) else { return Verdict::Continue };
                let verdict = f.on_data(from, bytes, pkt, &mut self.shared);
                f.recharge(&mut self.shared);
                verdict
            }
            StreamEvent::Gap { stream, from, offset, bytes, cause } => {
                let Some(f) = self.flows.get_mut(&stream) else { return Verdict::Continue };
                f.on_gap(gaps::Gap { from, offset, bytes, cause, pkt, holes: 1 }, &mut self.shared);
                // A gap frees a cut record's buffer, or keeps one more gap until TLS is seen.
                f.recharge(&mut self.shared);
                Verdict::Continue
            }
            StreamEvent::DirectionEnded { .. } => Verdict::Continue,
            StreamEvent::Closed { stream, reason } => {
                self.close(stream, reason, pkt);
                Verdict::Continue
            }
        }
    }

    /// A stream is gone: its flow ends now, or waits in `closing` for secrets still to come.
    fn close(&mut self, stream: StreamId, reason: EndReason, pkt: PacketContext) {
        let Some(f) = self.flows.remove(&stream) else { return };
        self.shared.tls_buffered = self.shared.tls_buffered.saturating_sub(f.charged);
        // Half the TLS buffers' share at most waits in `closing`, so that evicting open flows
        // can always bring the rest within the share.
        let room = self
            .shared
            .tls_buffers_limit
            .is_none_or(|limit| self.shared.closing_bytes.saturating_add(f.charged) <= limit / 2);
        if self.shared.wait_for_keys && room && f.awaits_keys(&self.shared, pkt.ts) {
            // Its secrets may be a moment behind in the key log: finish it when they arrive
            // (or the wait times out), not now without them.
            if self.closing.len() >= MAX_CLOSING_FLOWS
                && let Some(oldest) = self.closing.pop_front()
            {
                self.shared.closing_bytes = self.shared.closing_bytes.saturating_sub(oldest.flow.charged);
                end_flow(&mut self.shared, oldest.flow, oldest.reason, oldest.pkt);
            }
            self.shared.closing_bytes = self.shared.closing_bytes.saturating_add(f.charged);
            self.closing.push_back(ClosingFlow { flow: f, reason, pkt });
        } else {
            end_flow(&mut self.shared, f, reason, pkt);
        }
    }

    /// End of input: finishes the flows that ended while waiting for their secrets.
    pub fn finish(&mut self) {
        self.shared.closing_bytes = 0;
        for c in std::mem::take(&mut self.closing) {
            end_flow(&mut self.shared, c.flow, c.reason, c.pkt);
        }
    }
}
