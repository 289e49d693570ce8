//! DTLS connections (the `dtls` layer's events): records turned into message events, each
//! direction's handshake fragments put together by [`crate::dtls::handshake::Reassembler`],
//! protected records opened with the record's own epoch and sequence number. DTLS 1.3's
//! unified-header records are opened here per epoch (2 handshake, 3 and later application, 1
//! early data): the record number unmasked, its full value rebuilt from the short one.

use super::emit::Emitter;
use super::events::AckedRecord;
use super::events::{DtlsHandshake, MessageEvent};
use super::flow::{Flow, HalfStream, HelloHint, direction_of, half_of, server_of};
use super::input::StreamEvent;
use super::{ConnTracker, PacketContext, Shared};
use crate::crypto::dtls13::Dtls13Opener;
use crate::dtls::handshake::{self, Delivery, Origin, Reassembler};
use crate::dtls::{DTLS13_VERSION, DtlsEvent, RECORD_HEADER_LEN, Record, Unified};
use crate::msgs::MessageKind;
use crate::msgs::reader::Reader;
use crate::tcp::Side;
use crate::tls::record::{CONTENT_APPLICATION_DATA, CONTENT_CHANGE_CIPHER_SPEC, CONTENT_HANDSHAKE};

const HELLO_VERIFY_REQUEST: u8 = 3;
const CONTENT_ACK: u8 = 26;
/// OpenSSL's pre-standard DTLS 1.0 (DTLS1_BAD_VER; GnuTLS's "DTLS0.9").
const DTLS_BAD_VERSION: u16 = 0x0100;
/// DTLS 1.3 epochs (RFC 9147 section 6.1).
const EPOCH_EARLY: u64 = 1;
const EPOCH_HANDSHAKE: u64 = 2;
const EPOCH_APPLICATION: u64 = 3;
/// The TLS 1.3 suites, tried on records that come before the ServerHello names one.
const TLS13_SUITES: [u16; 5] = [0x1301, 0x1302, 0x1303, 0x1304, 0x1305];
/// KeyUpdates followed per direction (each is an epoch): past it records stay sealed.
const MAX_EPOCH: u64 = 64;
/// The newest KeyUpdate epochs whose keys a direction keeps: older ones' records come only
/// late, and their keys are derived again for them.
const KEPT_UPDATES: u64 = 4;

/// One direction's keys for one DTLS 1.3 epoch.
#[derive(Debug)]
struct EpochKeys {
    epoch: u64,
    opener: Dtls13Opener,
    /// One past the highest sequence number opened (the reference for rebuilding short ones).
    next_seq: u64,
}

/// DTLS 1.3 keys, the client's then the server's.
type Dtls13Keys = [Vec<EpochKeys>; 2];

/// What only a DTLS connection keeps (boxed in its `TlsConn`: a TCP connection pays a pointer).
#[derive(Debug, Default)]
pub(super) struct DtlsSeen {
    /// The initiator's messages, then the responder's.
    assembler: [Reassembler; 2],
    max_handshake_bytes: usize,
    /// Retransmitted handshake messages and ChangeCipherSpecs: counted, not shown again.
    retransmitted: u64,
    /// Messages the reassemblers gave up and fragments they refused (told as they happen, so
    /// counted here, where a handshake event written meanwhile reads them).
    messages_lost: u64,
    refused_fragments: u64,
    /// Messages that came in more than one fragment, and their fragments.
    fragmented: u64,
    fragments: u64,
    hello_verify_request: bool,
    ccs_seen: [bool; 2],
    /// Without keys: the epoch and length of each side's last encrypted handshake record (a
    /// resent Finished repeats both under a new sequence number).
    sealed_handshake: [Option<(u16, usize)>; 2],
    /// DTLS 1.3 with a key log: each side's keys per epoch (boxed: others pay a pointer).
    dtls13: Option<Box<Dtls13Keys>>,
    unified_records: u64,
    unified_decrypted: u64,
    /// The connection IDs seen in the unified headers, client's records then server's.
    cids: [Option<Vec<u8>>; 2],
    /// No hello opened the connection (the capture began mid-connection).
    pub(super) midway: bool,
}

impl DtlsSeen {
    pub(super) fn new(max_handshake_bytes: usize) -> Self {
        DtlsSeen { max_handshake_bytes, ..Default::default() }
    }

    pub(super) fn buffered_bytes(&self) -> usize {
        let keys = self
            .dtls13
            .as_deref()
            .map_or(0, |dirs| dirs.iter().map(|d| d.capacity().saturating_mul(size_of::<EpochKeys>())).sum::<usize>());
        self.assembler.iter().map(Reassembler::buffered_bytes).sum::<usize>().saturating_add(keys)
    }

    /// For the handshake event.
    pub(super) fn report(&self) -> DtlsHandshake {
        DtlsHandshake {
            retransmitted_messages: self.retransmitted,
            fragmented_messages: self.fragmented,
            fragments: self.fragments,
            hello_verify_request: self.hello_verify_request,
            messages_lost: self.messages_lost,
            refused_fragments: self.refused_fragments,
            unified_records: self.unified_records,
            unified_records_decrypted: self.unified_decrypted,
            client_to_server_connection_id: self.cids[0].as_deref().map(crate::hex_text::lower),
            server_to_client_connection_id: self.cids[1].as_deref().map(crate::hex_text::lower),
            caught_midway: self.midway,
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
            DtlsEvent::Opened { stream, client, server, max_handshake_bytes, midway } => {
                self.shared.stats.flows = self.shared.stats.flows.saturating_add(1);
                self.shared.stats.dtls_flows = self.shared.stats.dtls_flows.saturating_add(1);
                let mut flow = Flow::new(client, server, false, pkt);
                // Held as 32 bits: every flow pays for this field (the cap is far below 4 GiB).
                flow.dtls = std::num::NonZeroU32::new(u32::try_from(max_handshake_bytes).unwrap_or(u32::MAX).max(1));
                flow.dtls_midway = midway;
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
        let header = rec.unified.map_or(RECORD_HEADER_LEN, |u| u.header.len());
        half.bytes = half.bytes.saturating_add(rec.payload.len().saturating_add(header) as u64);
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
            if let Some(d) = self.tls.as_mut().and_then(|t| t.dtls.as_mut()) {
                d.midway = self.dtls_midway;
            }
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
        if let Some(unified) = rec.unified {
            emit.dtls13_record(from, &rec, &unified);
        } else if rec.epoch > 0 {
            emit.dtls_protected(half, from, &rec);
        } else if rec.content_type == CONTENT_HANDSHAKE {
            emit.dtls_handshake(from, rec.version, rec.payload, false);
        } else if rec.content_type == CONTENT_CHANGE_CIPHER_SPEC && emit.dtls_repeated_ccs(from) {
            // A resent ChangeCipherSpec: counted, not shown again.
        } else {
            if let (CONTENT_CHANGE_CIPHER_SPEC, DTLS_BAD_VERSION, [1, hi, lo]) =
                (rec.content_type, rec.version, rec.payload)
            {
                emit.dtls_ccs_message_seq(from, u16::from_be_bytes([*hi, *lo]));
            }
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
            let Some(slot) = d.assembler.get_mut(index(from)) else { continue };
            let mut asm = std::mem::take(slot);
            let mut emit = Emitter { tls, direction, pkt, shared, server_ip };
            asm.flush(&mut |delivery| emit.dtls_delivery(delivery));
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
        let Some(slot) = d.assembler.get_mut(index(from)) else { return };
        // Taken out while its messages are handled (they need the whole connection).
        let mut asm = std::mem::take(slot);
        match handshake::fragments(payload) {
            Ok(fragments) => {
                for f in &fragments {
                    let origin = Origin { record_version: version, decrypted };
                    asm.push_from(f, cap, origin, &mut |delivery| self.dtls_delivery(delivery));
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

    /// A whole message (or a retransmission) out of a direction's reassembler, shown with the
    /// record version of its first fragment and whether that record was decrypted.
    fn dtls_delivery(&mut self, delivery: Delivery<'_>) {
        match delivery {
            Delivery::Retransmission { .. } => self.count_retransmission(),
            Delivery::Lost { messages } => {
                if let Some(d) = self.tls.dtls.as_mut() {
                    d.messages_lost = d.messages_lost.saturating_add(messages);
                }
            }
            Delivery::Refused => {
                if let Some(d) = self.tls.dtls.as_mut() {
                    d.refused_fragments = d.refused_fragments.saturating_add(1);
                }
            }
            Delivery::Message { msg_type, message_seq, raw, fragments, origin } => {
                let (version, decrypted) = (origin.record_version, origin.decrypted);
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

    /// A pre-standard (0x0100) ChangeCipherSpec takes a message_seq of its side's handshake.
    fn dtls_ccs_message_seq(&mut self, from: Side, message_seq: u16) {
        let Some(slot) = self.tls.dtls.as_mut().and_then(|d| d.assembler.get_mut(index(from))) else { return };
        let mut asm = std::mem::take(slot);
        asm.consume(message_seq, &mut |delivery| self.dtls_delivery(delivery));
        if let Some(slot) = self.tls.dtls.as_mut().and_then(|d| d.assembler.get_mut(index(from))) {
            *slot = asm;
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

impl Emitter<'_> {
    /// A DTLS 1.3 record with the unified header: opened with the key log, else shown as TLS
    /// 1.3's encrypted records are.
    fn dtls13_record(&mut self, from: Side, rec: &Record<'_>, unified: &Unified<'_>) {
        let from_client = self.sent_by_client();
        let Some(d) = self.tls.dtls.as_mut() else { return };
        d.unified_records = d.unified_records.saturating_add(1);
        if let Some(slot) = d.cids.get_mut(usize::from(!from_client))
            && slot.is_none()
            && !unified.cid.is_empty()
        {
            *slot = Some(unified.cid.to_vec());
        }
        let len = rec.payload.len();
        if self.shared.keys.enabled {
            match self.dtls13_open(from_client, rec, unified) {
                Ok(p) => {
                    if let Some(d) = self.tls.dtls.as_mut() {
                        d.unified_decrypted = d.unified_decrypted.saturating_add(1);
                    }
                    // Secrets a growing key log brought since the ServerHello: taken up for the
                    // Finished checks, as QUIC's opened packets do.
                    self.tls.crypto.catch_up(&mut self.shared.keys);
                    self.tls.crypto.count_dtls13_record(&mut self.shared.keys, true, None);
                    self.dtls13_plaintext(from, p, len);
                    return;
                }
                Err(Some(why)) => self.tls.crypto.count_dtls13_record(&mut self.shared.keys, false, Some(why)),
                Err(None) => {}
            }
        }
        let m = self.base(DTLS13_VERSION, CONTENT_APPLICATION_DATA, MessageKind::EncryptedRecord, len, true);
        self.push(m, rec.payload);
    }

    /// Opens a unified-header record: Err(None) when there are no keys for it, Err(Some) when
    /// keys were tried and did not open it.
    fn dtls13_open(
        &mut self,
        from_client: bool,
        rec: &Record<'_>,
        unified: &Unified<'_>,
    ) -> Result<crate::crypto::Plaintext, Option<String>> {
        let version_open = self.tls.ctx.version.is_none_or(crate::msgs::hello::is_tls13);
        let (suite, secrets) = match self.tls.crypto.tls13_secrets(&self.shared.keys) {
            Some((Some(suite), s)) if self.tls.crypto.is_dtls13() => (Some(suite), s),
            // The ServerHello not seen yet (lost, and resent later): TLS 1.3's suites are tried,
            // and the AEAD tag tells the right one.
            Some((None, s)) if version_open && !self.tls.crypto.is_dtls13() => (None, s),
            _ => return Err(None),
        };
        let suites: Vec<u16> = suite.map_or_else(|| TLS13_SUITES.to_vec(), |s| vec![s]);
        let Some(d) = self.tls.dtls.as_mut() else { return Err(None) };
        let keys = d.dtls13.get_or_insert_with(Box::default);
        let Some(dir) = keys.get_mut(crate::conn::decrypt::dir_index(from_client)) else { return Err(None) };
        // Epochs whose two low bits match, up to one past the highest opened: newest first.
        let highest = dir.iter().map(|k| k.epoch).max().unwrap_or(EPOCH_APPLICATION).max(EPOCH_APPLICATION);
        let low = u64::from(rec.epoch);
        let mut candidates: Vec<u64> =
            (EPOCH_EARLY..=highest.saturating_add(1).min(MAX_EPOCH)).filter(|e| e & 3 == low).collect();
        candidates.reverse();
        let mut tried = false;
        for epoch in candidates {
            if let Some(keys) = dir.iter_mut().find(|k| k.epoch == epoch) {
                tried = true;
                if let Some(p) = open_with(keys, rec, unified) {
                    return Ok(p);
                }
                continue;
            }
            for &suite in &suites {
                let Some(opener) = epoch_opener(dir, epoch, suite, &secrets, from_client) else { continue };
                let mut keys = EpochKeys { epoch, opener, next_seq: 0 };
                let opened = open_with(&mut keys, rec, unified);
                // A guessed suite's keys, and a KeyUpdate's epoch, are kept once they open a record
                // (else any record could grow the list); the named suite's first three at once.
                tried |= suites.len() == 1;
                if opened.is_some() || (suites.len() == 1 && epoch <= EPOCH_APPLICATION) {
                    dir.push(keys);
                    keep_recent(dir);
                }
                if let Some(p) = opened {
                    return Ok(p);
                }
            }
        }
        if tried { Err(Some("DTLS 1.3 record did not open".into())) } else { Err(None) }
    }

    /// A decrypted DTLS 1.3 record's content.
    fn dtls13_plaintext(&mut self, from: Side, p: crate::crypto::Plaintext, wire_len: usize) {
        match p.content_type {
            CONTENT_HANDSHAKE => self.dtls_handshake(from, DTLS13_VERSION, &p.data, true),
            CONTENT_ACK => {
                let mut m = self.base(DTLS13_VERSION, CONTENT_ACK, MessageKind::Ack, p.data.len(), true);
                m.decrypted = true;
                match ack_record_numbers(&p.data) {
                    Some(acked) => m.ack = Some(acked),
                    None => {
                        self.shared.stats.malformed_messages = self.shared.stats.malformed_messages.saturating_add(1);
                        m.decode_error = Some("ACK: record numbers do not frame".into());
                    }
                }
                self.push(m, &p.data);
            }
            _ => {
                let mut half = HalfStream::new(crate::tls::record::Start::Records);
                self.plaintext(&mut half, DTLS13_VERSION, p, wire_len);
            }
        }
    }
}

/// The keys of one epoch of one direction, from the key log's secrets (an epoch past the
/// first application one follows a KeyUpdate: derived from the epoch before).
fn epoch_opener(
    dir: &[EpochKeys],
    epoch: u64,
    suite: u16,
    secrets: &crate::crypto::Secrets,
    from_client: bool,
) -> Option<Dtls13Opener> {
    match epoch {
        EPOCH_EARLY if from_client => Dtls13Opener::new(suite, secrets.client_early.as_deref()?),
        EPOCH_EARLY => None,
        EPOCH_HANDSHAKE => Dtls13Opener::new(suite, secrets.handshake_secret(from_client)?),
        EPOCH_APPLICATION => Dtls13Opener::new(suite, secrets.app_secret(from_client)?),
        _ => match dir.iter().find(|k| Some(k.epoch) == epoch.checked_sub(1)) {
            Some(before) => before.opener.next(),
            None => {
                // Derive the chain up from the first application epoch.
                let mut opener = Dtls13Opener::new(suite, secrets.app_secret(from_client)?)?;
                for _ in EPOCH_APPLICATION..epoch {
                    opener = opener.next()?;
                }
                Some(opener)
            }
        },
    }
}

/// Drops the keys of KeyUpdate epochs older than the [`KEPT_UPDATES`] newest (a peer updating
/// its keys again and again would otherwise pile them up).
fn keep_recent(dir: &mut Vec<EpochKeys>) {
    let top = dir.iter().map(|k| k.epoch).max().unwrap_or_default();
    dir.retain(|k| k.epoch <= EPOCH_APPLICATION || k.epoch.saturating_add(KEPT_UPDATES) > top);
}

/// Unmasks the record number, rebuilds its full value, opens the record (the AEAD tag decides
/// between the standard mask and wolfSSL 5.5's ChaCha20 variant).
fn open_with(keys: &mut EpochKeys, rec: &Record<'_>, unified: &Unified<'_>) -> Option<crate::crypto::Plaintext> {
    let masks = [keys.opener.mask(rec.payload), keys.opener.swapped_counter_mask(rec.payload)];
    for mask in masks.into_iter().flatten() {
        let at = unified.seq_at();
        let mut header = unified.header.to_vec();
        let seq_bytes = header.get_mut(at..at.checked_add(unified.seq_len)?)?;
        for (b, m) in seq_bytes.iter_mut().zip(mask) {
            *b ^= m;
        }
        let short = seq_bytes.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
        let bits = u32::try_from(unified.seq_len.checked_mul(8)?).ok()?;
        let seq = rebuild_seq(keys.next_seq, short, bits)?;
        // RFC 9147 section 4: the nonce takes the sequence number alone (unlike DTLS 1.2, not
        // the epoch), the additional data the header with the sequence number unmasked.
        if let Ok(p) = keys.opener.open(seq, &header, rec.payload) {
            keys.next_seq = keys.next_seq.max(seq.saturating_add(1));
            return Some(p);
        }
    }
    None
}

/// The 48-bit sequence number whose low `bits` are `short` closest to `next` (RFC 9147
/// section 4.2.2: one past the highest opened in the epoch).
fn rebuild_seq(next: u64, short: u64, bits: u32) -> Option<u64> {
    let window = 1u64.checked_shl(bits)?;
    let base = next & !(window.checked_sub(1)?);
    let candidate = base | (short & window.checked_sub(1)?);
    let options = [candidate.checked_sub(window), Some(candidate), candidate.checked_add(window)];
    options.into_iter().flatten().filter(|s| *s < 1 << 48).min_by_key(|s| s.abs_diff(next))
}

/// An ACK's record numbers: a 16-bit length, then (epoch, sequence number) pairs of 64 bits.
fn ack_record_numbers(body: &[u8]) -> Option<Vec<AckedRecord>> {
    let mut r = Reader::new(body);
    let mut list = r.sub16("record numbers").ok()?;
    r.expect_end("ACK").ok()?;
    let mut out = Vec::new();
    while !list.is_empty() {
        let epoch = list.u64("epoch").ok()?;
        let sequence_number = list.u64("sequence number").ok()?;
        out.push(AckedRecord { epoch, sequence_number });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtls::{DtlsConfig, DtlsTable};
    use crate::net::{NetConfig, NetDecoder, NetOutcome, UdpDatagram};

    /// The epochs whose keys a connection keeps, per direction.
    fn epochs_kept(conns: &ConnTracker) -> Vec<Vec<u64>> {
        let flow = conns.flows.values().next().unwrap();
        let keys = flow.tls.as_ref().unwrap().dtls.as_ref().unwrap().dtls13.as_ref().unwrap();
        keys.iter().map(|dir| dir.iter().map(|k| k.epoch).collect()).collect()
    }

    /// Feeds a DTLS fixture's datagrams: the table, the client's addresses and the last packet.
    fn feed_fixture(
        conns: &mut ConnTracker,
        name: &str,
    ) -> (DtlsTable, (std::net::SocketAddr, std::net::SocketAddr), PacketContext) {
        let path = format!("{}/fixtures/captures/{name}", env!("CARGO_MANIFEST_DIR"));
        let mut table = DtlsTable::new(DtlsConfig::default());
        let mut net = NetDecoder::new(NetConfig::default());
        let mut source = crate::source::file::FileSource::open(&path).unwrap();
        let (mut client, mut last) = (None, PacketContext { ts: crate::time::Timestamp::new(0, 0, 6), frame: 0 });
        while let Some(()) = source
            .next_with(|pkt| {
                last = PacketContext { ts: pkt.ts, frame: last.frame + 1 };
                if let Ok(NetOutcome::Udp(d)) = net.decode(pkt.linktype, pkt.data, pkt.orig_len, pkt.ts) {
                    client.get_or_insert((d.src, d.dst));
                    table.datagram(&d, pkt.ts, &mut |ev| conns.on_dtls_event(ev, last));
                }
            })
            .unwrap()
        {}
        (table, client.unwrap(), last)
    }

    #[test]
    fn records_that_do_not_open_add_no_epoch_keys() {
        let dir = format!("{}/fixtures/captures", env!("CARGO_MANIFEST_DIR"));
        let (log, _) = crate::crypto::keylog::KeyLog::load(format!("{dir}/dtls13-plain.keylog").as_ref()).unwrap();
        let mut conns = ConnTracker::new();
        conns.add_key_log(log);
        let (mut table, (src, dst), last) = feed_fixture(&mut conns, "dtls13-plain.pcap");
        let before = epochs_kept(&conns);
        assert!(before.iter().all(|dir| dir.contains(&EPOCH_APPLICATION)), "{before:?}");
        // Records of every epoch's low bits, 16-bit sequence number and length, that open with nothing.
        for n in 0..200u8 {
            let mut payload = vec![0x2c | (n & 3), 0, n, 0, 32];
            payload.extend((0..32).map(|i| n ^ i));
            let d = UdpDatagram { src, dst, payload: &payload };
            table.datagram(&d, last.ts, &mut |ev| conns.on_dtls_event(ev, last));
        }
        assert_eq!(epochs_kept(&conns), before);
    }

    /// A DTLS flow cannot be evicted for its TLS buffers as a TCP one is: past their share it
    /// stops waiting for a growing key log instead of holding more records.
    #[test]
    fn dtls_records_are_not_held_past_the_tls_buffers_share() {
        let held = |limit: Option<usize>| {
            let mut conns = ConnTracker::new();
            conns.add_key_log(crate::crypto::keylog::KeyLog::new());
            conns.shared.wait_for_keys = true;
            conns.shared.tls_buffers_limit = limit;
            feed_fixture(&mut conns, "dtls13-plain.pcap");
            let flow = conns.flows.values().next().unwrap();
            (flow.held.len(), conns.shared.tls_buffered)
        };
        let (unbounded, _) = held(None);
        assert!(unbounded > 4, "without a limit the records after the ServerHello wait: {unbounded}");
        let (bounded, buffered) = held(Some(2000));
        assert!(bounded < unbounded && buffered <= 2000 + 1500, "{bounded} records, {buffered} bytes held");
    }

    #[test]
    fn only_the_newest_key_update_epochs_are_kept() {
        let mut dir: Vec<EpochKeys> = Vec::new();
        for epoch in EPOCH_EARLY..=20 {
            let opener = Dtls13Opener::new(0x1301, &[7u8; 32]).unwrap();
            dir.push(EpochKeys { epoch, opener, next_seq: 0 });
            keep_recent(&mut dir);
        }
        let kept: Vec<u64> = dir.iter().map(|k| k.epoch).collect();
        assert_eq!(kept, [1, 2, 3, 17, 18, 19, 20]);
    }

    #[test]
    fn short_sequence_numbers_are_rebuilt_near_the_next_expected() {
        assert_eq!(rebuild_seq(0, 0, 8), Some(0));
        assert_eq!(rebuild_seq(0x1ff, 0x02, 8), Some(0x202));
        assert_eq!(rebuild_seq(0x201, 0xff, 8), Some(0x1ff), "a late record of the window before");
        assert_eq!(rebuild_seq(0x1_0005, 0xfffe, 16), Some(0xfffe));
        assert_eq!(rebuild_seq(5, 3, 16), Some(3));
        assert_eq!(rebuild_seq(u64::MAX, 3, 8), None, "nothing within 48 bits");
        assert_eq!(rebuild_seq((1 << 48) - 1, 0xff, 8), Some((1 << 48) - 1));
        assert_eq!(rebuild_seq(0, 0, 64), None);
    }

    #[test]
    fn ack_record_numbers_decode_or_refuse() {
        let mut body = vec![0, 32];
        body.extend(2u64.to_be_bytes());
        body.extend(4u64.to_be_bytes());
        body.extend(3u64.to_be_bytes());
        body.extend(0u64.to_be_bytes());
        let acked = ack_record_numbers(&body).unwrap();
        assert_eq!(acked, [AckedRecord { epoch: 2, sequence_number: 4 }, AckedRecord { epoch: 3, sequence_number: 0 }]);
        assert_eq!(ack_record_numbers(&[0, 0]), Some(vec![]));
        assert_eq!(ack_record_numbers(&body[..body.len() - 1]), None);
        assert_eq!(ack_record_numbers(&[0, 4, 0, 0, 0, 0]), None, "not a whole record number");
        let mut long = body.clone();
        long.push(0);
        assert_eq!(ack_record_numbers(&long), None, "bytes after the list");
    }
}
