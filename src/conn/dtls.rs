//! DTLS connections (the `dtls` layer's events): records turned into message events, each
//! direction's handshake fragments put together by [`crate::dtls::handshake::Reassembler`],
//! protected records opened with the record's own epoch and sequence number.

use super::emit::Emitter;
use super::events::{DtlsHandshake, MessageEvent};
use super::flow::{Flow, HalfStream, HelloHint, direction_of, half_of, server_of};
use super::input::StreamEvent;
use super::{ConnTracker, PacketContext, Shared};
use crate::dtls::handshake::{self, Delivery, Reassembler};
use crate::dtls::{DtlsEvent, RECORD_HEADER_LEN, Record};
use crate::msgs::MessageKind;
use crate::tcp::Side;
use crate::tls::record::{CONTENT_CHANGE_CIPHER_SPEC, CONTENT_HANDSHAKE};

const HELLO_VERIFY_REQUEST: u8 = 3;

/// What only a DTLS connection keeps (boxed in its `TlsConn`: a TCP connection pays a pointer).
#[derive(Debug, Default)]
pub(super) struct DtlsSeen {
    /// The initiator's messages, then the responder's.
    assembler: [Reassembler; 2],
    max_handshake_bytes: usize,
    /// Retransmitted handshake messages and ChangeCipherSpecs: counted, not shown again.
    retransmitted: u64,
    /// Messages that came in more than one fragment, and their fragments.
    fragmented: u64,
    fragments: u64,
    hello_verify_request: bool,
    ccs_seen: [bool; 2],
    /// Record version of the last handshake record (for messages the end flushes).
    version: u16,
    /// Without keys: the epoch and length of each side's last encrypted handshake record (a
    /// resent Finished repeats both under a new sequence number).
    sealed_handshake: [Option<(u16, usize)>; 2],
}

impl DtlsSeen {
    pub(super) fn new(max_handshake_bytes: usize) -> Self {
        DtlsSeen { max_handshake_bytes, ..Default::default() }
    }

    pub(super) fn buffered_bytes(&self) -> usize {
        self.assembler.iter().map(Reassembler::buffered_bytes).sum()
    }

    /// For the handshake event.
    pub(super) fn report(&self) -> DtlsHandshake {
        DtlsHandshake {
            retransmitted_messages: self.retransmitted,
            fragmented_messages: self.fragmented,
            fragments: self.fragments,
            hello_verify_request: self.hello_verify_request,
            messages_lost: self.assembler.iter().map(|a| a.messages_lost).sum(),
        }
    }
}

fn index(side: Side) -> usize {
    match side {
        Side::Initiator => 0,
        Side::Responder => 1,
    }
}

/// The record as the TLS code reads one (the epoch and sequence number aside).
fn tls_record<'a>(rec: &Record<'a>) -> crate::tls::Record<'a> {
    crate::tls::Record {
        content_type: rec.content_type,
        version: rec.version,
        payload: rec.payload,
        length: rec.payload.len(),
    }
}

impl ConnTracker {
    /// One event of the `dtls` layer.
    pub fn on_dtls_event(&mut self, ev: DtlsEvent<'_>, pkt: PacketContext) {
        match ev {
            DtlsEvent::Opened { stream, client, server, max_handshake_bytes } => {
                self.shared.stats.flows = self.shared.stats.flows.saturating_add(1);
                self.shared.stats.dtls_flows = self.shared.stats.dtls_flows.saturating_add(1);
                let mut flow = Flow::new(client, server, false, pkt);
                // Held as 32 bits: every flow pays for this field (the cap is far below 4 GiB).
                flow.dtls = std::num::NonZeroU32::new(u32::try_from(max_handshake_bytes).unwrap_or(u32::MAX).max(1));
                self.flows.insert(stream, Box::new(flow));
            }
            DtlsEvent::Record { stream, from, record } => {
                let Some(f) = self.flows.get_mut(&stream) else { return };
                f.on_dtls_record(from, record, pkt, &mut self.shared);
                f.recharge(&mut self.shared);
            }
            // Messages still waiting for a lost one are shown when the flow ends (`end_flow`),
            // after any records held for a growing key log.
            DtlsEvent::Closed { stream, reason } => {
                self.on_stream_event(StreamEvent::Closed { stream, reason }, pkt);
            }
        }
    }
}

impl Flow {
    pub(super) fn on_dtls_record(&mut self, from: Side, rec: Record<'_>, pkt: PacketContext, shared: &mut Shared) {
        let half = half_of(&mut self.half, from);
        half.bytes = half.bytes.saturating_add(rec.payload.len().saturating_add(RECORD_HEADER_LEN) as u64);
        if self.tls.is_none() {
            let first = (rec.content_type == CONTENT_HANDSHAKE && rec.epoch == 0)
                .then(|| rec.payload.first().copied())
                .flatten();
            let hint = match first {
                Some(1) => HelloHint::ClientHello,
                Some(2 | HELLO_VERIFY_REQUEST) => HelloHint::ServerHello,
                _ => HelloHint::None,
            };
            self.become_tls(from, hint, true, shared);
        }
        if self.hold_dtls(from, &rec, pkt, shared) {
            return;
        }
        self.dtls_record_now(from, rec, pkt, shared);
    }

    /// A record handled now (it arrived, or was held for its secrets until they did).
    pub(super) fn dtls_record_now(&mut self, from: Side, rec: Record<'_>, pkt: PacketContext, shared: &mut Shared) {
        let Some(tls) = self.tls.as_mut() else { return };
        let direction = direction_of(tls.client_side, from);
        let server_ip = server_of(tls.client_side, self.initiator, self.responder).ip();
        let half = half_of(&mut self.half, from);
        let mut emit = Emitter { tls, direction, pkt, shared, server_ip };
        if rec.epoch > 0 {
            emit.dtls_protected(half, from, &rec);
        } else if rec.content_type == CONTENT_HANDSHAKE {
            emit.dtls_handshake(from, rec.version, rec.payload, false);
        } else if rec.content_type == CONTENT_CHANGE_CIPHER_SPEC && emit.dtls_repeated_ccs(from) {
            // A resent ChangeCipherSpec: counted, not shown again.
        } else {
            emit.record(half, tls_record(&rec));
        }
    }

    /// The connection ends: messages still waiting for a lost one are shown.
    pub(super) fn flush_dtls(&mut self, pkt: PacketContext, shared: &mut Shared) {
        for from in [Side::Initiator, Side::Responder] {
            let Some(tls) = self.tls.as_mut() else { return };
            let direction = direction_of(tls.client_side, from);
            let server_ip = server_of(tls.client_side, self.initiator, self.responder).ip();
            let Some(d) = tls.dtls.as_mut() else { return };
            let version = d.version;
            let Some(slot) = d.assembler.get_mut(index(from)) else { continue };
            let mut asm = std::mem::take(slot);
            let mut emit = Emitter { tls, direction, pkt, shared, server_ip };
            asm.flush(&mut |delivery| emit.dtls_delivery(delivery, version, false));
            if let Some(slot) = tls.dtls.as_mut().and_then(|d| d.assembler.get_mut(index(from))) {
                *slot = asm;
            }
        }
    }
}

impl Emitter<'_> {
    /// The handshake fragments of a cleartext or decrypted record.
    fn dtls_handshake(&mut self, from: Side, version: u16, payload: &[u8], decrypted: bool) {
        let Some(d) = self.tls.dtls.as_mut() else { return };
        let cap = d.max_handshake_bytes;
        d.version = version;
        let Some(slot) = d.assembler.get_mut(index(from)) else { return };
        // Taken out while its messages are handled (they need the whole connection).
        let mut asm = std::mem::take(slot);
        match handshake::fragments(payload) {
            Ok(fragments) => {
                for f in &fragments {
                    asm.push(f, cap, &mut |delivery| self.dtls_delivery(delivery, version, decrypted));
                }
            }
            Err(e) => {
                self.shared.stats.malformed_messages = self.shared.stats.malformed_messages.saturating_add(1);
                let mut m =
                    self.base(version, CONTENT_HANDSHAKE, MessageKind::MalformedHandshake, payload.len(), decrypted);
                m.decrypted = decrypted;
                m.decode_error = Some(format!("DTLS handshake fragment: {e}"));
                self.push(m, payload);
            }
        }
        if let Some(slot) = self.tls.dtls.as_mut().and_then(|d| d.assembler.get_mut(index(from))) {
            *slot = asm;
        }
    }

    /// A whole message (or a retransmission) out of a direction's reassembler. `version` is the
    /// record version of the fragment that completed it (0 when the connection's end flushed it).
    fn dtls_delivery(&mut self, delivery: Delivery<'_>, version: u16, decrypted: bool) {
        match delivery {
            Delivery::Retransmission { .. } => self.count_retransmission(),
            Delivery::Message { msg_type, message_seq, raw, fragments } => {
                if let Some(d) = self.tls.dtls.as_mut()
                    && fragments > 1
                {
                    d.fragmented = d.fragmented.saturating_add(1);
                    d.fragments = d.fragments.saturating_add(u64::from(fragments));
                }
                // The transcript hashes the message as one fragment with its DTLS header.
                self.tls.crypto.set_dtls_message_seq(Some(message_seq));
                self.handshake(version, msg_type, raw, decrypted);
                self.tls.crypto.set_dtls_message_seq(None);
                if msg_type == HELLO_VERIFY_REQUEST {
                    // RFC 6347 4.2.1: the Finished transcript starts at the ClientHello with the
                    // cookie; the first ClientHello and the HelloVerifyRequest are left out.
                    self.tls.crypto.restart_transcript();
                    if let Some(d) = self.tls.dtls.as_mut() {
                        d.hello_verify_request = true;
                    }
                }
            }
        }
    }

    fn count_retransmission(&mut self) {
        if let Some(d) = self.tls.dtls.as_mut() {
            d.retransmitted = d.retransmitted.saturating_add(1);
        }
    }

    /// A ChangeCipherSpec this side sent before: a retransmitted flight.
    fn dtls_repeated_ccs(&mut self, from: Side) -> bool {
        let Some(seen) = self.tls.dtls.as_mut().and_then(|d| d.ccs_seen.get_mut(index(from))) else { return false };
        if !*seen {
            *seen = true;
            return false;
        }
        self.count_retransmission();
        true
    }

    /// A record of epoch 1 or later: opened with the key log (its epoch and sequence number
    /// in place of TLS's implicit counter), else shown as encrypted.
    fn dtls_protected(&mut self, half: &mut HalfStream, from: Side, rec: &Record<'_>) {
        let from_client = self.sent_by_client();
        let len = rec.payload.len();
        if self.shared.keys.enabled && self.tls.crypto.can_decrypt(&self.shared.keys, from_client) {
            let (keys, seq) = (&mut self.shared.keys, Some(rec.epoch_seq()));
            let plain = self.tls.crypto.decrypt_at(keys, from_client, seq, rec.content_type, rec.version, rec.payload);
            if let Some(p) = plain {
                if p.content_type == CONTENT_HANDSHAKE {
                    self.dtls_handshake(from, rec.version, &p.data, true);
                } else {
                    self.plaintext(half, rec.version, p, len);
                }
                return;
            }
        }
        use crate::msgs::ContentType as C;
        let kind = match C::from(rec.content_type) {
            C::Handshake => {
                let Some(d) = self.tls.dtls.as_mut() else { return };
                let Some(last) = d.sealed_handshake.get_mut(index(from)) else { return };
                if *last == Some((rec.epoch, len)) {
                    self.count_retransmission();
                    return;
                }
                *last = Some((rec.epoch, len));
                MessageKind::EncryptedHandshake
            }
            C::Alert => MessageKind::EncryptedAlert,
            C::ApplicationData => MessageKind::ApplicationData,
            C::ChangeCipherSpec => MessageKind::ChangeCipherSpec,
            _ => MessageKind::UnknownRecord(rec.content_type),
        };
        let m: Box<MessageEvent> = self.base(rec.version, rec.content_type, kind, len, true);
        self.push(m, rec.payload);
    }
}
