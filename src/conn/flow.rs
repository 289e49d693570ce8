//! One TCP flow (or other ordered stream): its two directions' TLS framing, the decision that
//! it is TLS and who the client is, and its end.

use super::emit::Emitter;
use super::events::*;
use super::gaps::report_gap;
use super::held::HeldRecord;
use super::{PacketContext, Shared, decrypt, story};
use crate::msgs::DecodeContext;
use crate::msgs::{ContentType, HandshakeType, MessageKind};
use crate::tcp::{EndReason, Side, Verdict};
use crate::time::Timestamp;
use crate::tls::{HandshakeAssembler, RecordItem, RecordSplitter, Start};
use std::net::SocketAddr;

/// Per-direction TLS state.
#[derive(Debug)]
pub(super) struct HalfStream {
    pub(super) splitter: RecordSplitter,
    pub(super) assembler: HandshakeAssembler,
    /// TLS <= 1.2: a ChangeCipherSpec was sent, later records are encrypted.
    pub(super) cipher_active: bool,
    /// SSLv2: the CLIENT-MASTER-KEY / SERVER-VERIFY point was passed.
    pub(super) sslv2_encrypted: bool,
    pub(super) bytes: u64,
    /// Record version of the last handshake record, for a message a gap cuts short.
    pub(super) handshake_version: u16,
    /// Before TLS was recognised, bytes of this direction read as plain text.
    pub(super) looks_like_text: bool,
}

impl HalfStream {
    pub(super) fn new(start: Start) -> Self {
        HalfStream {
            splitter: RecordSplitter::new(start),
            assembler: HandshakeAssembler::default(),
            cipher_active: false,
            sslv2_encrypted: false,
            bytes: 0,
            handshake_version: 0,
            looks_like_text: false,
        }
    }
}

/// A stream (a TCP flow), TLS or not yet known.
pub(super) struct Flow {
    pub(super) initiator: SocketAddr,
    pub(super) responder: SocketAddr,
    pub(super) syn_seen: bool,
    pub(super) first_ts: Timestamp,
    pub(super) first_frame: u64,
    /// The initiator's direction, then the responder's (see [`half_of`]).
    pub(super) half: [HalfStream; 2],
    pub(super) tls: Option<Box<TlsConn>>,
    /// Records held while this connection's secrets are awaited from a key log still being
    /// written (live capture): replayed in order once they arrive, or after a timeout.
    pub(super) held: std::collections::VecDeque<HeldRecord>,
    pub(super) held_bytes: usize,
    pub(super) held_since: Option<Timestamp>,
    /// Gaps met before the flow was known to be TLS: reported once it is, or when it ends.
    pub(super) early_gaps: Vec<super::gaps::Gap>,
    /// Buffer bytes last charged to [`Shared::tls_buffered`] for this flow.
    pub(super) charged: usize,
    /// A QUIC connection: its first packets' facts (None for TCP).
    pub(super) quic: Option<Box<crate::quic::QuicInfo>>,
    /// A DTLS connection: the handshake bytes each direction may hold (None for TCP and QUIC).
    pub(super) dtls: Option<std::num::NonZeroU32>,
    /// A DTLS connection no hello opened (the capture began mid-connection).
    pub(super) dtls_midway: bool,
}

/// What is known once the flow is TLS.
pub(super) struct TlsConn {
    pub(super) conn: u64,
    /// Which flow side is the client.
    pub(super) client_side: Side,
    pub(super) messages: u64,
    pub(super) ctx: DecodeContext,
    /// The ServerHello (not a HelloRetryRequest) has been seen.
    pub(super) server_hello_seen: bool,
    /// The current handshake's story.
    pub(super) story: story::Story,
    pub(super) handshakes: u32,
    /// The ClientHello offered TLS 1.3 (supported_versions).
    pub(super) client_offered_tls13: bool,
    /// The ServerHello acknowledged status_request below TLS 1.3: a CertificateStatus will
    /// follow the Certificate, and needs its certificates (`DecodeContext::server_certificates`).
    pub(super) ocsp_expected: bool,
    pub(super) crypto: Box<decrypt::ConnCrypto>,
    /// QUIC: packets that stay encrypted (Handshake and 0-RTT, then 1-RTT), and what the
    /// transport showed (Retry, CONNECTION_CLOSE), for the handshake event.
    /// Boxed: a TCP connection pays one pointer for it (the flow cost of the memory budget).
    pub(super) quic: Option<Box<QuicSeen>>,
    /// DTLS: each direction's handshake reassembly and what the transport showed (boxed too).
    pub(super) dtls: Option<Box<super::dtls::DtlsSeen>>,
}

/// What a QUIC connection's transport showed beyond its handshake messages.
#[derive(Default)]
pub(super) struct QuicSeen {
    pub(super) sealed: u64,
    pub(super) one_rtt: u64,
    /// 0-RTT packets seen, opened or not, and what the opened ones carried.
    pub(super) zero_rtt: crate::conn::events::QuicZeroRtt,
    /// The connection id the server chose (hex), once its first packet named it.
    pub(super) server_cid: Option<String>,
    pub(super) notes: Vec<String>,
    /// Notes that came after the handshake event: they go on the `end` event.
    pub(super) later: Vec<String>,
}

/// Transport notes kept per connection at most (a peer repeating them cannot grow memory).
const MAX_NOTES: usize = 8;

impl TlsConn {
    pub(super) fn handshake_event(
        &mut self,
        time: Timestamp,
        ended: Option<&str>,
        keys: &mut decrypt::KeyStore,
    ) -> HandshakeEvent {
        let mut h = self.story.summary(self.conn, time, ended);
        h.finished_verified = self.crypto.finished_verified();
        h.decryption = self.crypto.report(keys.enabled);
        h.key_derivation = self.crypto.key_derivation(keys);
        if keys.keylog_lines {
            h.keylog_lines = self.crypto.keylog_lines();
        }
        keys.note_handshake(self.conn, &self.crypto);
        if let Some(q) = &self.quic {
            h.warnings.extend(q.notes.iter().cloned());
            h.quic = Some(Box::new(crate::conn::events::QuicHandshake {
                server_connection_id: q.server_cid.clone(),
                zero_rtt: (q.zero_rtt.packets > 0).then(|| q.zero_rtt.clone()),
            }));
            // The QUIC layer opens the packets with the key log's secrets: a packet left sealed
            // while the secrets were there means they did not fit.
            if h.decryption.status == "decrypted" && q.sealed > 0 && h.finished_verified != Some(true) {
                h.decryption.status = "failed";
                h.decryption.reason = Some(format!(
                    "QUIC: {} Handshake or 0-RTT packets did not open with the key log's secrets",
                    q.sealed
                ));
            }
            if h.decryption.reason.is_none() && q.sealed.saturating_add(q.one_rtt) > 0 {
                h.decryption.reason = Some(format!(
                    "QUIC: the rest of the handshake is encrypted ({} Handshake or 0-RTT and {} 1-RTT packets); a key log with the connection's TLS 1.3 secrets opens them",
                    q.sealed, q.one_rtt
                ));
            }
        }
        if let Some(d) = &self.dtls {
            let report = d.report();
            if report.retransmitted_messages > 0 {
                h.warnings.push(format!(
                    "DTLS: {} retransmitted handshake messages or ChangeCipherSpecs (flights resent), not shown again",
                    report.retransmitted_messages
                ));
            }
            if report.refused_fragments > 0 {
                h.warnings.push(format!(
                    "DTLS: {} handshake fragments refused (over the reassembly cap of --memory-limit, or conflicting with their message); {} messages lost",
                    report.refused_fragments, report.messages_lost
                ));
            }
            let sealed = report.unified_records.saturating_sub(report.unified_records_decrypted);
            if h.decryption.reason.is_none() && sealed > 0 {
                h.decryption.reason = Some(format!(
                    "DTLS 1.3: the rest of the handshake is encrypted ({sealed} unified-header records); a key log with the connection's TLS 1.3 secrets opens them"
                ));
            }
            if report.caught_midway {
                h.warnings.push(
                    "DTLS: the capture began mid-connection (no hello captured): roles come from the ports, and the key log cannot be matched without the client random".into(),
                );
            }
            h.dtls = Some(Box::new(report));
        }
        if h.finished_verified == Some(false) {
            h.warnings
                .push("Finished verification FAILED: wrong keys, or a tampered or mis-reassembled transcript".into());
        }
        h
    }
}

/// The server's end of a flow whose client is on `client_side`.
pub(super) fn server_of(client_side: Side, initiator: SocketAddr, responder: SocketAddr) -> SocketAddr {
    match client_side {
        Side::Initiator => responder,
        Side::Responder => initiator,
    }
}

/// One direction's state: `halves` holds the initiator's, then the responder's.
pub(super) fn half_of(halves: &mut [HalfStream; 2], s: Side) -> &mut HalfStream {
    let [initiator, responder] = halves;
    match s {
        Side::Initiator => initiator,
        Side::Responder => responder,
    }
}

/// Ports whose owner is the server when neither SYN nor hello tells the roles.
fn is_well_known_tls_port(p: u16) -> bool {
    matches!(p, 443 | 465 | 563 | 636 | 853 | 989 | 990 | 992 | 993 | 994 | 995 | 5061 | 8443 | 8883 | 5223 | 6697)
}

/// `evicted` events written at most; later evicted flows are only counted.
const MAX_EVICTED_EVENTS: u64 = 10_000;

/// Replays what a flow still holds (without waiting any longer) and reports its end.
pub(super) fn end_flow(shared: &mut Shared, mut f: Box<Flow>, reason: EndReason, pkt: PacketContext) {
    f.release_held(shared, true);
    f.flush_dtls(pkt, shared);
    // A record or handshake message still incomplete when the flow ends is reported too.
    for side in [Side::Initiator, Side::Responder] {
        f.cut_short(side, pkt, "end", shared);
    }
    if f.tls.is_none() && !f.early_gaps.is_empty() && f.may_be_tls() {
        // A gap hid the start of this flow before TLS could be recognised in it: report it
        // rather than let it vanish.
        f.become_tls(Side::Initiator, HelloHint::None, false, shared);
    }
    if f.tls.is_some() && reason == EndReason::Evicted {
        shared.stats.evicted = shared.stats.evicted.saturating_add(1);
    }
    if f.tls.is_none() && reason == EndReason::Evicted {
        shared.stats.evicted_flows = shared.stats.evicted_flows.saturating_add(1);
        if shared.stats.evicted_flows > MAX_EVICTED_EVENTS {
            // A flood: the rest are counted in the summary, not listed one by one.
            shared.stats.evicted_flows_unlisted = shared.stats.evicted_flows_unlisted.saturating_add(1);
            return;
        }
        shared.events.push(Event::Evicted(Box::new(EvictedEvent {
            initiator: f.initiator.into(),
            responder: f.responder.into(),
            first_time: f.first_ts,
            time: pkt.ts,
            frame: pkt.frame,
            syn_seen: f.syn_seen,
            bytes_initiator_to_responder: f.half[0].bytes,
            bytes_responder_to_initiator: f.half[1].bytes,
            cause: "flow_table_full",
        })));
    }
    if let Some(tls) = &mut f.tls {
        let why = end_reason_name(reason);
        if tls.story.started() && !tls.story.emitted {
            let h = tls.handshake_event(pkt.ts, Some(why), &mut shared.keys);
            shared.events.push(Event::Handshake(Box::new(h)));
        }
        let (c2s, s2c) = match tls.client_side {
            Side::Initiator => (f.half[0].bytes, f.half[1].bytes),
            Side::Responder => (f.half[1].bytes, f.half[0].bytes),
        };
        shared.events.push(Event::End(EndEvent {
            conn: tls.conn,
            time: pkt.ts,
            reason: why,
            messages: tls.messages,
            bytes_client_to_server: c2s,
            bytes_server_to_client: s2c,
            quic_notes: tls.quic.as_mut().map(|q| std::mem::take(&mut q.later)).unwrap_or_default(),
        }));
    }
}

/// Whether the front of a stream chunk is printable text (a protocol other than TLS).
fn is_plain_text(bytes: &[u8]) -> bool {
    let front = bytes.get(..bytes.len().min(64)).unwrap_or_default();
    front.len() >= 8 && front.iter().all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace())
}

fn end_reason_name(reason: EndReason) -> &'static str {
    match reason {
        EndReason::Fin => "fin",
        EndReason::Rst => "rst",
        EndReason::Timeout => "timeout",
        EndReason::Evicted => "evicted",
        EndReason::CaptureEnd => "capture_end",
    }
}

pub(super) fn direction_of(client_side: Side, from: Side) -> Direction {
    if from == client_side { Direction::ClientToServer } else { Direction::ServerToClient }
}

/// What a record item is, for deciding the roles before the connection is known to be TLS.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum HelloHint {
    ClientHello,
    ServerHello,
    None,
}

fn hello_hint(item: &RecordItem<'_>) -> HelloHint {
    match item {
        RecordItem::Record(r) if ContentType::from(r.content_type) == ContentType::Handshake => {
            match r.payload.first().map(|&t| HandshakeType::from(t)) {
                Some(HandshakeType::ClientHello) => HelloHint::ClientHello,
                Some(HandshakeType::ServerHello) => HelloHint::ServerHello,
                _ => HelloHint::None,
            }
        }
        RecordItem::SslV2 { body } => match body.first().map(|&t| MessageKind::sslv2(t)) {
            Some(MessageKind::ClientHello) => HelloHint::ClientHello,
            Some(MessageKind::Sslv2ServerHello) => HelloHint::ServerHello,
            _ => HelloHint::None,
        },
        _ => HelloHint::None,
    }
}

impl Flow {
    pub(super) fn new(initiator: SocketAddr, responder: SocketAddr, syn_seen: bool, pkt: PacketContext) -> Self {
        let start = if syn_seen { Start::Detect } else { Start::MidStream };
        Flow {
            initiator,
            responder,
            syn_seen,
            first_ts: pkt.ts,
            first_frame: pkt.frame,
            half: [HalfStream::new(start), HalfStream::new(start)],
            tls: None,
            held: std::collections::VecDeque::new(),
            held_bytes: 0,
            held_since: None,
            early_gaps: Vec::new(),
            charged: 0,
            quic: None,
            dtls: None,
            dtls_midway: false,
        }
    }

    /// Bytes of the flow's TLS buffers: partial records and handshake messages, records held
    /// for secrets, the transcript.
    pub(super) fn buffer_bytes(&self) -> usize {
        let halves = self.half.iter().fold(0usize, |sum, h| {
            sum.saturating_add(h.splitter.buffered_bytes()).saturating_add(h.assembler.buffered_bytes())
        });
        let held = self.held_bytes.saturating_add(self.held.capacity().saturating_mul(size_of::<HeldRecord>()));
        let early_gaps = self.early_gaps.capacity().saturating_mul(size_of::<super::gaps::Gap>());
        halves
            .saturating_add(held)
            .saturating_add(early_gaps)
            .saturating_add(self.tls.as_ref().map_or(0, |t| t.crypto.buffered_bytes()))
            .saturating_add(self.tls.as_ref().and_then(|t| t.dtls.as_ref()).map_or(0, |d| d.buffered_bytes()))
    }

    /// Brings the flow's charge in [`Shared::tls_buffered`] up to date.
    pub(super) fn recharge(&mut self, shared: &mut Shared) {
        let now = self.buffer_bytes();
        shared.tls_buffered = shared.tls_buffered.saturating_sub(self.charged).saturating_add(now);
        self.charged = now;
    }

    pub(super) fn on_data(&mut self, from: Side, bytes: &[u8], pkt: PacketContext, shared: &mut Shared) -> Verdict {
        let not_yet_tls = self.tls.is_none();
        let half = half_of(&mut self.half, from);
        half.bytes = half.bytes.saturating_add(bytes.len() as u64);
        if not_yet_tls && is_plain_text(bytes) {
            half.looks_like_text = true;
        }
        // The splitter borrows one half while the handlers need the whole flow: take it out.
        let mut splitter = std::mem::replace(&mut half.splitter, RecordSplitter::new(Start::Records));
        // Without a key log nothing reads application data: let the splitter skip it.
        splitter.skip_application_data(!shared.keys.enabled);
        splitter.push(bytes, &mut |item| self.on_record_item(from, item, pkt, shared));
        let is_tls_now = splitter.is_tls();
        let not_tls = splitter.is_not_tls();
        half_of(&mut self.half, from).splitter = splitter;
        if is_tls_now && self.tls.is_some() {
            // The other direction may still be in detection: it is TLS too.
            half_of(&mut self.half, from.other()).splitter.peer_is_tls();
        }
        if self.tls.is_none() && not_tls {
            return Verdict::Ignore;
        }
        Verdict::Continue
    }

    /// Makes the flow a TLS connection, deciding who the client is. `tls_seen` is false for a
    /// flow reported only because a gap hid its start.
    pub(super) fn become_tls(&mut self, from: Side, hint: HelloHint, tls_seen: bool, shared: &mut Shared) {
        let (client_side, roles_from) = if self.syn_seen {
            (Side::Initiator, RoleEvidence::Syn)
        } else {
            match hint {
                HelloHint::ClientHello => (from, RoleEvidence::Hello),
                HelloHint::ServerHello => (from.other(), RoleEvidence::Hello),
                HelloHint::None => {
                    let (ip, rp) = (self.initiator.port(), self.responder.port());
                    let responder_is_server = if is_well_known_tls_port(rp) != is_well_known_tls_port(ip) {
                        is_well_known_tls_port(rp)
                    } else {
                        rp <= ip
                    };
                    (if responder_is_server { Side::Initiator } else { Side::Responder }, RoleEvidence::Port)
                }
            }
        };
        shared.next_conn = shared.next_conn.saturating_add(1);
        let counter =
            if tls_seen { &mut shared.stats.tls_connections } else { &mut shared.stats.unconfirmed_connections };
        *counter = counter.saturating_add(1);
        let conn = shared.next_conn;
        let (client, server) = match client_side {
            Side::Initiator => (self.initiator, self.responder),
            Side::Responder => (self.responder, self.initiator),
        };
        shared.events.push(Event::Connection(ConnectionEvent {
            conn,
            client: client.into(),
            server: server.into(),
            time: self.first_ts,
            frame: self.first_frame,
            syn_seen: self.syn_seen,
            roles_from,
            tls_seen,
            transport: self.quic.as_ref().map(|_| "quic").or(self.dtls.map(|_| "dtls")),
            quic: self.quic.as_deref().map(|q| {
                Box::new(QuicConnection {
                    version: q.version,
                    version_name: q.version_name,
                    original_destination_connection_id: crate::hex_text::lower(&q.original_dcid),
                    client_connection_id: crate::hex_text::lower(&q.client_cid),
                })
            }),
        }));
        self.tls = Some(Box::new(TlsConn {
            conn,
            client_side,
            messages: 0,
            ctx: DecodeContext::default(),
            server_hello_seen: false,
            story: story::Story::new(1).with_roles(!shared.skip_roles),
            handshakes: 1,
            client_offered_tls13: false,
            ocsp_expected: false,
            crypto: Box::new(decrypt::ConnCrypto::new()),
            quic: self.quic.as_ref().map(|_| Box::<QuicSeen>::default()),
            dtls: self.dtls.map(|cap| Box::new(super::dtls::DtlsSeen::new(cap.get() as usize))),
        }));
        for gap in std::mem::take(&mut self.early_gaps) {
            if let Some(tls) = self.tls.as_mut() {
                report_gap(tls, gap, shared);
            }
        }
    }

    /// Whether a flow whose start a gap hid could have been TLS: neither direction was found
    /// to be something else, and what was captured is not plain text.
    pub(super) fn may_be_tls(&self) -> bool {
        self.half.iter().all(|h| !h.splitter.is_not_tls() && !h.looks_like_text)
    }

    /// QUIC CRYPTO bytes: handshake messages without records, framed as if one handshake
    /// record carried them (record version 0: there is no record layer).
    pub(super) fn on_handshake_bytes(
        &mut self,
        from: Side,
        bytes: &[u8],
        decrypted: bool,
        pkt: PacketContext,
        shared: &mut Shared,
    ) {
        let half = half_of(&mut self.half, from);
        half.bytes = half.bytes.saturating_add(bytes.len() as u64);
        // Opened by the transport with the key log's secrets: the messages say decrypted (the
        // hellos came before, so the flow is TLS already).
        if decrypted && let Some(tls) = self.tls.as_mut() {
            tls.crypto.catch_up(&mut shared.keys);
            let direction = direction_of(tls.client_side, from);
            let server_ip = server_of(tls.client_side, self.initiator, self.responder).ip();
            let mut emit = Emitter { tls, direction, pkt, shared, server_ip };
            emit.handshake_records(half, 0, bytes, true);
            return;
        }
        let rec = crate::tls::Record {
            content_type: crate::tls::record::CONTENT_HANDSHAKE,
            version: 0,
            payload: bytes,
            length: bytes.len(),
        };
        self.on_record_item(from, RecordItem::Record(rec), pkt, shared);
    }

    /// A QUIC packet that stays encrypted: Handshake and 0-RTT packets are shown as encrypted
    /// records (as TLS 1.3's over TCP), 1-RTT ones only counted.
    pub(super) fn on_sealed(
        &mut self,
        from: Side,
        packet: &'static str,
        length: usize,
        pkt: PacketContext,
        shared: &mut Shared,
    ) {
        let half = half_of(&mut self.half, from);
        half.bytes = half.bytes.saturating_add(length as u64);
        let Some(tls) = self.tls.as_mut() else { return };
        let Some(q) = tls.quic.as_mut() else { return };
        if packet == "1-RTT" {
            q.one_rtt = q.one_rtt.saturating_add(1);
            return;
        }
        q.sealed = q.sealed.saturating_add(1);
        if packet == "0-RTT" {
            q.zero_rtt.packets = q.zero_rtt.packets.saturating_add(1);
        }
        let direction = direction_of(tls.client_side, from);
        let server_ip = server_of(tls.client_side, self.initiator, self.responder).ip();
        let mut emit = Emitter { tls, direction, pkt, shared, server_ip };
        emit.sealed(length);
    }

    /// A 0-RTT packet the transport opened: counted with what it carried, for the handshake
    /// event.
    pub(super) fn on_early_data(&mut self, length: usize, stream_frames: u32, stream_bytes: usize) {
        // The QUIC layer's flows start with the client: 0-RTT comes from the initiator.
        let half = half_of(&mut self.half, Side::Initiator);
        half.bytes = half.bytes.saturating_add(length as u64);
        let Some(q) = self.tls.as_mut().and_then(|t| t.quic.as_mut()) else { return };
        let z = &mut q.zero_rtt;
        z.packets = z.packets.saturating_add(1);
        z.packets_opened = z.packets_opened.saturating_add(1);
        z.stream_frames = z.stream_frames.saturating_add(u64::from(stream_frames));
        z.stream_bytes = z.stream_bytes.saturating_add(stream_bytes as u64);
    }

    /// A transport note (Retry, CONNECTION_CLOSE): kept for the handshake event's warnings.
    pub(super) fn on_note(&mut self, from: Side, text: String, _pkt: PacketContext, _shared: &mut Shared) {
        let Some(tls) = self.tls.as_ref() else { return };
        let who = if from == tls.client_side { "client" } else { "server" };
        self.on_transport_note(format!("QUIC {text} from the {who}"));
    }

    /// A note of the transport's own: a warning of the handshake event, or of the `end` event
    /// once the handshake event is out.
    pub(super) fn on_transport_note(&mut self, text: String) {
        let Some(tls) = self.tls.as_mut() else { return };
        let emitted = tls.story.emitted;
        if let Some(q) = tls.quic.as_mut() {
            let notes = if emitted { &mut q.later } else { &mut q.notes };
            if notes.len() < MAX_NOTES {
                notes.push(text);
            }
        }
    }

    pub(super) fn on_record_item(&mut self, from: Side, item: RecordItem<'_>, pkt: PacketContext, shared: &mut Shared) {
        if let RecordItem::Skipped { .. } = item {
            return;
        }
        if self.tls.is_none() {
            let hint = hello_hint(&item);
            self.become_tls(from, hint, true, shared);
        }
        if let RecordItem::Record(rec) = &item
            && self.hold(from, rec, pkt, shared)
        {
            return;
        }
        let Some(tls) = self.tls.as_mut() else { return };
        let direction = direction_of(tls.client_side, from);
        let half = half_of(&mut self.half, from);
        let server_ip = server_of(tls.client_side, self.initiator, self.responder).ip();
        let mut emit = Emitter { tls, direction, pkt, shared, server_ip };
        match item {
            RecordItem::Skipped { .. } => {}
            RecordItem::SslV2 { body } => emit.sslv2(half, body),
            RecordItem::Record(rec) => emit.record(half, rec),
        }
    }
}
