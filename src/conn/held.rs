//! Records held while a connection's secrets are awaited from a key log still being written
//! (live capture), and flows that ended while waiting: replayed in order once the secrets
//! arrive, or after a timeout.

use super::emit::Emitter;
use super::flow::{Flow, direction_of, half_of};
use super::{PacketContext, Shared};
use crate::dtls;
use crate::tcp::{EndReason, Side};
use crate::time::Timestamp;
use crate::tls;

/// A record kept until its keys are known.
pub(super) struct HeldRecord {
    pub(super) from: Side,
    pub(super) content_type: u8,
    pub(super) version: u16,
    pub(super) payload: Vec<u8>,
    pub(super) pkt: PacketContext,
    /// What a DTLS record has beside the TLS fields (None: a TLS record over TCP).
    pub(super) dtls: Option<Box<HeldDtls>>,
}

/// A held DTLS record's epoch and sequence number and, for DTLS 1.3, its unified header.
pub(super) struct HeldDtls {
    epoch: u16,
    seq: u64,
    unified: Option<HeldUnified>,
}

/// A DTLS 1.3 unified header as on the wire, and its parts' sizes.
struct HeldUnified {
    header: Vec<u8>,
    cid_len: usize,
    seq_len: usize,
    length_present: bool,
}

impl HeldRecord {
    fn new(from: Side, content_type: u8, version: u16, pkt: PacketContext, dtls: Option<Box<HeldDtls>>) -> Self {
        HeldRecord { from, content_type, version, payload: Vec::new(), pkt, dtls }
    }

    /// What it holds beside its slot in the queue: the payload and, for DTLS, the boxed fields
    /// with the unified header (counted, so that empty records do not pile up for free).
    fn heap_bytes(&self) -> usize {
        let dtls = self
            .dtls
            .as_ref()
            .map_or(0, |d| size_of::<HeldDtls>().saturating_add(d.unified.as_ref().map_or(0, |u| u.header.len())));
        self.payload.len().saturating_add(dtls)
    }
}

/// How long (capture time) and how much a connection waits for its secrets.
const HOLD_SECONDS: f64 = 10.0;
const HOLD_MAX_BYTES: usize = 1 << 20;

/// A flow that ended while its records waited for secrets from a key log still being written.
pub(super) struct ClosingFlow {
    pub(super) flow: Box<Flow>,
    pub(super) reason: EndReason,
    pub(super) pkt: PacketContext,
}

/// Ended flows kept waiting for secrets at most; beyond, the oldest is finished without them.
pub(super) const MAX_CLOSING_FLOWS: usize = 1024;

impl Flow {
    /// Holds a record whose keys a growing key log has not delivered yet (or that queues
    /// behind held ones). False when it is to be handled now.
    pub(super) fn hold(&mut self, from: Side, rec: &tls::Record<'_>, pkt: PacketContext, shared: &mut Shared) -> bool {
        self.hold_record(HeldRecord::new(from, rec.content_type, rec.version, pkt, None), rec.payload, shared)
    }

    /// [`Flow::hold`] for a DTLS record.
    pub(super) fn hold_dtls(
        &mut self,
        from: Side,
        rec: &dtls::Record<'_>,
        pkt: PacketContext,
        shared: &mut Shared,
    ) -> bool {
        // Nothing waits without a growing key log: no copy of the header for every record then.
        if self.held.is_empty() && !shared.wait_for_keys {
            return false;
        }
        let dtls = HeldDtls {
            epoch: rec.epoch,
            seq: rec.seq,
            unified: rec.unified.map(|u| HeldUnified {
                header: u.header.to_vec(),
                cid_len: u.cid.len(),
                seq_len: u.seq_len,
                length_present: u.length_present,
            }),
        };
        let held = HeldRecord::new(from, rec.content_type, rec.version, pkt, Some(Box::new(dtls)));
        self.hold_record(held, rec.payload, shared)
    }

    fn hold_record(&mut self, mut held: HeldRecord, payload: &[u8], shared: &mut Shared) -> bool {
        let waiting = shared.wait_for_keys && self.waits(&held, shared);
        let cost = held.heap_bytes().saturating_add(payload.len());
        // Only TCP flows can be evicted for their TLS buffers: a DTLS flow stops waiting instead.
        let over_share = self.dtls.is_some()
            && shared.tls_buffers_limit.is_some_and(|limit| {
                shared.tls_buffered.saturating_add(shared.closing_bytes).saturating_add(cost) > limit
            });
        if (waiting || !self.held.is_empty()) && self.held_bytes < HOLD_MAX_BYTES && !over_share {
            held.payload = payload.to_vec();
            self.held_bytes = self.held_bytes.saturating_add(cost);
            self.held_since.get_or_insert(held.pkt.ts);
            self.held.push_back(held);
            return true;
        }
        if !self.held.is_empty() || (waiting && over_share) {
            // Over the cap: give up waiting, keep the order.
            self.release_held(shared, true);
        }
        false
    }

    /// Whether a record cannot be opened yet but may be once a growing key log catches up: its
    /// direction awaits its keys, or it is a DTLS 1.3 record that came before the ServerHello
    /// (lost and resent after it) while its direction's handshake secret is not logged.
    fn waits(&self, held: &HeldRecord, shared: &Shared) -> bool {
        let Some(tls) = self.tls.as_ref() else { return false };
        let client = held.from == tls.client_side;
        tls.crypto.awaiting_keys(&shared.keys, client)
            || held.dtls.as_ref().is_some_and(|d| d.unified.is_some())
                && tls.crypto.awaiting_keys_before_server_hello(&shared.keys, client)
    }

    /// Records have been held for their secrets longer than the wait allows at `now`.
    pub(super) fn hold_expired(&self, now: Timestamp) -> bool {
        self.held_since.is_some_and(|since| now.seconds_since(&since) > HOLD_SECONDS)
    }

    /// Records are held for secrets not yet in the key log, and the wait has not timed out.
    pub(super) fn awaits_keys(&self, shared: &Shared, now: Timestamp) -> bool {
        self.held_since.is_some()
            && !self.hold_expired(now)
            && self.held.front().is_some_and(|front| self.waits(front, shared))
    }

    /// Replays held records, in order, as far as their keys have arrived; all of them when the
    /// wait timed out or when `force`.
    pub(super) fn release_held(&mut self, shared: &mut Shared, force: bool) {
        let timed_out = self.held.back().is_some_and(|last| self.hold_expired(last.pkt.ts));
        if (force || timed_out)
            && let Some(tls) = self.tls.as_mut()
        {
            tls.crypto.stop_waiting();
        }
        while let Some(front) = self.held.front() {
            if self.tls.is_none() || self.waits(front, shared) {
                return;
            }
            let Some(h) = self.held.pop_front() else { return };
            self.held_bytes = self.held_bytes.saturating_sub(h.heap_bytes());
            if let Some(d) = &h.dtls {
                // The connection id sits right after the header's first byte.
                let unified = d.unified.as_ref().map(|u| dtls::Unified {
                    header: &u.header,
                    cid: u.header.get(1..u.cid_len.saturating_add(1)).unwrap_or_default(),
                    seq_len: u.seq_len,
                    length_present: u.length_present,
                });
                let rec = dtls::Record {
                    content_type: h.content_type,
                    version: h.version,
                    epoch: d.epoch,
                    seq: d.seq,
                    payload: &h.payload,
                    unified,
                };
                self.dtls_record_now(h.from, rec, h.pkt, shared);
                continue;
            }
            let Some(tls) = self.tls.as_mut() else { return };
            let direction = direction_of(tls.client_side, h.from);
            let half = half_of(&mut self.half, h.from);
            let server_ip = super::flow::server_of(tls.client_side, self.initiator, self.responder).ip();
            let mut emit = Emitter { tls, direction, pkt: h.pkt, shared, server_ip };
            emit.record(
                half,
                tls::Record {
                    content_type: h.content_type,
                    version: h.version,
                    payload: &h.payload,
                    length: h.payload.len(),
                },
            );
        }
        self.held_since = None;
    }
}
