//! Connection state: which side is the client, what is encrypted, and the messages of each
//! TLS connection in order.
//!
//! Layer 6 of the pipeline. It consumes the `tcp` layer's flow events, drives the `tls` framing
//! per direction and the `msgs` decoders, and queues `Event`s for the output layer.

pub mod annotate;
pub mod decrypt;
pub mod events;

use crate::fast_map::FastMap;
use crate::msgs::{self, DecodeContext, HandshakeBody};
use crate::tcp::{EndReason, FlowEvent, FlowId, GapCause, Side, Verdict};
use crate::time::Timestamp;
use crate::tls::record::{
    CONTENT_ALERT, CONTENT_APPLICATION_DATA, CONTENT_CHANGE_CIPHER_SPEC, CONTENT_HANDSHAKE, CONTENT_HEARTBEAT,
};
use crate::tls::{self, HandshakeAssembler, RecordItem, RecordSplitter, Start};
use events::*;
use std::net::SocketAddr;

/// Where and when the packet being processed was captured.
#[derive(Clone, Copy, Debug)]
pub struct PacketContext {
    pub ts: Timestamp,
    pub frame: u64,
}

/// Per-direction TLS state.
#[derive(Debug)]
struct HalfStream {
    splitter: RecordSplitter,
    assembler: HandshakeAssembler,
    /// TLS <= 1.2: a ChangeCipherSpec was sent, later records are encrypted.
    cipher_active: bool,
    /// SSLv2: the CLIENT-MASTER-KEY / SERVER-VERIFY point was passed.
    sslv2_encrypted: bool,
    bytes: u64,
    /// Record version of the last handshake record, for a message a gap cuts short.
    handshake_version: u16,
    /// Before TLS was recognised, bytes of this direction read as plain text.
    looks_like_text: bool,
}

impl HalfStream {
    fn new(start: Start) -> Self {
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

/// A TCP flow, TLS or not yet known.
struct Flow {
    initiator: SocketAddr,
    responder: SocketAddr,
    syn_seen: bool,
    first_ts: Timestamp,
    first_frame: u64,
    /// Indexed by `Side as usize`: initiator, responder.
    half: [HalfStream; 2],
    tls: Option<Box<TlsConn>>,
    /// Records held while this connection's secrets are awaited from a key log still being
    /// written (live capture): replayed in order once they arrive, or after a timeout.
    held: std::collections::VecDeque<HeldRecord>,
    held_bytes: usize,
    held_since: Option<Timestamp>,
    /// Gaps met before the flow was known to be TLS: reported once it is, or when it ends.
    early_gaps: Vec<Gap>,
    /// Buffer bytes last charged to [`Shared::tls_buffered`] for this flow.
    charged: usize,
}

/// A hole in one direction's stream, as reported.
#[derive(Clone, Copy, Debug)]
struct Gap {
    from: Side,
    offset: u64,
    bytes: u64,
    cause: GapCause,
    pkt: PacketContext,
    /// Holes merged into this one (1 unless a flow had more than it keeps apart).
    holes: u64,
}

/// Gaps a flow keeps apart before TLS is seen in it; later ones are merged into the last.
const MAX_EARLY_GAPS: usize = 16;

/// A record kept until its keys are known.
struct HeldRecord {
    from: Side,
    content_type: u8,
    version: u16,
    payload: Vec<u8>,
    pkt: PacketContext,
}

/// How long (capture time) and how much a connection waits for its secrets.
const HOLD_SECONDS: f64 = 10.0;
const HOLD_MAX_BYTES: usize = 1 << 20;

/// What is known once the flow is TLS.
struct TlsConn {
    conn: u64,
    /// Which flow side is the client.
    client_side: Side,
    messages: u64,
    ctx: DecodeContext,
    /// The ServerHello (not a HelloRetryRequest) has been seen.
    server_hello_seen: bool,
    /// The current handshake's story.
    story: annotate::Story,
    handshakes: u32,
    /// The ClientHello offered TLS 1.3 (supported_versions).
    client_offered_tls13: bool,
    crypto: Box<decrypt::ConnCrypto>,
}

impl TlsConn {
    fn handshake_event(
        &mut self,
        time: Timestamp,
        ended: Option<&str>,
        keys: &mut decrypt::KeyStore,
    ) -> HandshakeEvent {
        let mut h = self.story.summary(self.conn, time, ended);
        h.finished_verified = self.crypto.finished_verified();
        h.decryption = self.crypto.report(keys.enabled);
        keys.note_handshake(self.conn, &self.crypto);
        if h.finished_verified == Some(false) {
            h.warnings
                .push("Finished verification FAILED: wrong keys, or a tampered or mis-reassembled transcript".into());
        }
        h
    }
}

fn side_index(s: Side) -> usize {
    match s {
        Side::Initiator => 0,
        Side::Responder => 1,
    }
}

/// Ports whose owner is the server when neither SYN nor hello tells the roles.
fn is_well_known_tls_port(p: u16) -> bool {
    matches!(p, 443 | 465 | 563 | 636 | 853 | 989 | 990 | 992 | 993 | 994 | 995 | 5061 | 8443 | 8883 | 5223 | 6697)
}

#[derive(Debug, Default, Clone)]
pub struct ConnStats {
    pub flows: u64,
    pub tls_connections: u64,
    pub messages: u64,
    pub gaps: u64,
    pub gap_bytes: u64,
    pub malformed_messages: u64,
    pub evicted: u64,
    /// Flows evicted before TLS was seen in them.
    pub evicted_flows: u64,
    /// Of those, the ones past the first `MAX_EVICTED_EVENTS`, counted without an event.
    pub evicted_flows_unlisted: u64,
    /// Flows reported because a gap hid their start before TLS could be recognised.
    pub unconfirmed_connections: u64,
    /// Gap bytes tlstrace dropped itself, by cause.
    pub gap_bytes_by_cause: std::collections::BTreeMap<&'static str, u64>,
    pub handshakes: HandshakeTally,
    pub certificates_written: u64,
}

/// Handshakes counted by what they negotiated and how they ended, for the run summary.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct HandshakeTally {
    pub total: u64,
    pub complete: u64,
    pub by_version: std::collections::BTreeMap<String, u64>,
    pub by_cipher_suite: std::collections::BTreeMap<String, u64>,
    pub by_kind: std::collections::BTreeMap<String, u64>,
    pub failures: std::collections::BTreeMap<String, u64>,
}

impl HandshakeTally {
    fn add(&mut self, h: &HandshakeEvent) {
        self.total += 1;
        if h.complete {
            self.complete += 1;
        }
        bump(&mut self.by_version, h.version_name.as_deref().unwrap_or("unknown"));
        bump(&mut self.by_cipher_suite, h.cipher_suite_name.as_deref().unwrap_or("unknown"));
        bump(&mut self.by_kind, h.kind);
        if let Some(f) = &h.failure {
            // "alert: unknown_ca from client" and the like: group by the reason's head.
            *self.failures.entry(f.clone()).or_default() += 1;
        }
    }
}

/// Counts one more `key`, allocating the key only the first time it is seen.
fn bump(counts: &mut std::collections::BTreeMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_string(), 1);
        }
    }
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
    /// Bytes of partial records and handshake messages, held records and transcripts across
    /// all flows (the TLS buffers' share of the memory budget).
    pub tls_buffered: usize,
    /// Buffer bytes of the flows that ended while waiting for their secrets, at most half the
    /// limit.
    pub closing_bytes: usize,
    /// The TLS buffers' share of the memory budget (None: unlimited).
    pub tls_buffers_limit: Option<usize>,
}

/// All flows and TLS connections of a run.
#[derive(Default)]
pub struct ConnTracker {
    /// Boxed: the map's buckets stay small, so the room reserved for the most flows the
    /// budget allows costs little until they come.
    flows: FastMap<FlowId, Box<Flow>>,
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

    /// Handles one event from the flow table.
    pub fn on_flow_event(&mut self, ev: FlowEvent<'_>, pkt: PacketContext) -> Verdict {
        match ev {
            FlowEvent::Opened { flow, initiator, responder, syn_seen } => {
                self.shared.stats.flows += 1;
                let start = if syn_seen { Start::Detect } else { Start::MidStream };
                self.flows.insert(
                    flow,
                    Box::new(Flow {
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
                    }),
                );
                Verdict::Continue
            }
            FlowEvent::Data { flow, from, bytes } => {
                let Some(f) = self.flows.get_mut(&flow) else { return Verdict::Continue };
                let verdict = f.on_data(from, bytes, pkt, &mut self.shared);
                f.recharge(&mut self.shared);
                verdict
            }
            FlowEvent::Gap { flow, from, offset, bytes, cause } => {
                let Some(f) = self.flows.get_mut(&flow) else { return Verdict::Continue };
                f.on_gap(Gap { from, offset, bytes, cause, pkt, holes: 1 }, &mut self.shared);
                Verdict::Continue
            }
            FlowEvent::DirectionEnded { .. } => Verdict::Continue,
            FlowEvent::Closed { flow, reason } => {
                if let Some(f) = self.flows.remove(&flow) {
                    self.shared.tls_buffered = self.shared.tls_buffered.saturating_sub(f.charged);
                    // Half the TLS buffers' share at most waits in `closing`, so that evicting
                    // open flows can always bring the rest within the share.
                    let room = self
                        .shared
                        .tls_buffers_limit
                        .is_none_or(|limit| self.shared.closing_bytes.saturating_add(f.charged) <= limit / 2);
                    if self.shared.wait_for_keys && room && f.awaits_keys(&self.shared, pkt.ts) {
                        // Its secrets may be a moment behind in the key log: finish it when
                        // they arrive (or the wait times out), not now without them.
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
                Verdict::Continue
            }
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

/// A flow that ended while its records waited for secrets from a key log still being written.
struct ClosingFlow {
    flow: Box<Flow>,
    reason: EndReason,
    pkt: PacketContext,
}

/// Ended flows kept waiting for secrets at most; beyond, the oldest is finished without them.
const MAX_CLOSING_FLOWS: usize = 1024;

/// `evicted` events written at most; later evicted flows are only counted.
const MAX_EVICTED_EVENTS: u64 = 10_000;

/// Replays what a flow still holds (without waiting any longer) and reports its end.
fn end_flow(shared: &mut Shared, mut f: Box<Flow>, reason: EndReason, pkt: PacketContext) {
    f.release_held(shared, true);
    if f.tls.is_none() && !f.early_gaps.is_empty() && f.may_be_tls() {
        // A gap hid the start of this flow before TLS could be recognised in it: report it
        // rather than let it vanish.
        f.become_tls(Side::Initiator, HelloHint::None, false, shared);
    }
    if f.tls.is_some() && reason == EndReason::Evicted {
        shared.stats.evicted += 1;
    }
    if f.tls.is_none() && reason == EndReason::Evicted {
        shared.stats.evicted_flows += 1;
        if shared.stats.evicted_flows > MAX_EVICTED_EVENTS {
            // A flood: the rest are counted in the summary, not listed one by one.
            shared.stats.evicted_flows_unlisted += 1;
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
        }));
    }
}

/// Whether the front of a stream chunk is printable text (a protocol other than TLS).
fn is_plain_text(bytes: &[u8]) -> bool {
    let front = bytes.get(..bytes.len().min(64)).unwrap_or_default();
    front.len() >= 8 && front.iter().all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace())
}

/// Queues a gap event and lets the handshake's story know.
fn report_gap(tls: &mut TlsConn, gap: Gap, shared: &mut Shared) {
    let direction = direction_of(tls.client_side, gap.from);
    tls.story.note_gap(direction == Direction::ClientToServer, gap.cause);
    shared.stats.gaps += gap.holes;
    shared.stats.gap_bytes += gap.bytes;
    if gap.cause.dropped_by_tlstrace() {
        *shared.stats.gap_bytes_by_cause.entry(gap.cause.name()).or_default() += gap.bytes;
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

fn end_reason_name(reason: EndReason) -> &'static str {
    match reason {
        EndReason::Fin => "fin",
        EndReason::Rst => "rst",
        EndReason::Timeout => "timeout",
        EndReason::Evicted => "evicted",
        EndReason::CaptureEnd => "capture_end",
    }
}

fn direction_of(client_side: Side, from: Side) -> Direction {
    if from == client_side { Direction::ClientToServer } else { Direction::ServerToClient }
}

/// What a record item is, for deciding the roles before the connection is known to be TLS.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HelloHint {
    ClientHello,
    ServerHello,
    None,
}

fn hello_hint(item: &RecordItem<'_>) -> HelloHint {
    match item {
        RecordItem::Record(r) if r.content_type == CONTENT_HANDSHAKE => match r.payload.first() {
            Some(1) => HelloHint::ClientHello,
            Some(2) => HelloHint::ServerHello,
            _ => HelloHint::None,
        },
        RecordItem::SslV2 { body } => match body.first() {
            Some(1) => HelloHint::ClientHello,
            Some(4) => HelloHint::ServerHello,
            _ => HelloHint::None,
        },
        _ => HelloHint::None,
    }
}

impl Flow {
    /// Bytes of the flow's TLS buffers: partial records and handshake messages, records held
    /// for secrets, the transcript.
    fn buffer_bytes(&self) -> usize {
        let halves: usize = self.half.iter().map(|h| h.splitter.buffered_bytes() + h.assembler.buffered_bytes()).sum();
        let held = self.held_bytes + self.held.capacity() * size_of::<HeldRecord>();
        halves + held + self.tls.as_ref().map_or(0, |t| t.crypto.buffered_bytes())
    }

    /// Brings the flow's charge in [`Shared::tls_buffered`] up to date.
    fn recharge(&mut self, shared: &mut Shared) {
        let now = self.buffer_bytes();
        shared.tls_buffered = shared.tls_buffered.saturating_sub(self.charged).saturating_add(now);
        self.charged = now;
    }

    /// Records have been held for their secrets longer than the wait allows at `now`.
    fn hold_expired(&self, now: Timestamp) -> bool {
        self.held_since.is_some_and(|since| now.seconds_since(&since) > HOLD_SECONDS)
    }

    /// Records are held for secrets not yet in the key log, and the wait has not timed out.
    fn awaits_keys(&self, shared: &Shared, now: Timestamp) -> bool {
        self.held_since.is_some()
            && !self.hold_expired(now)
            && self.held.front().is_some_and(|front| {
                self.tls
                    .as_ref()
                    .is_some_and(|tls| tls.crypto.awaiting_keys(&shared.keys, front.from == tls.client_side))
            })
    }

    fn on_data(&mut self, from: Side, bytes: &[u8], pkt: PacketContext, shared: &mut Shared) -> Verdict {
        let idx = side_index(from);
        self.half[idx].bytes += bytes.len() as u64;
        if self.tls.is_none() && is_plain_text(bytes) {
            self.half[idx].looks_like_text = true;
        }
        // The splitter borrows one half while the handlers need the whole flow: take it out.
        let mut splitter = std::mem::replace(&mut self.half[idx].splitter, RecordSplitter::new(Start::Records));
        // Without a key log nothing reads application data: let the splitter skip it.
        splitter.skip_application_data(!shared.keys.enabled);
        splitter.push(bytes, &mut |item| self.on_record_item(from, item, pkt, shared));
        let is_tls_now = splitter.is_tls();
        let not_tls = splitter.is_not_tls();
        self.half[idx].splitter = splitter;
        if is_tls_now && self.tls.is_some() {
            // The other direction may still be in detection: it is TLS too.
            self.half[side_index(from.other())].splitter.peer_is_tls();
        }
        if self.tls.is_none() && not_tls {
            return Verdict::Ignore;
        }
        Verdict::Continue
    }

    /// Makes the flow a TLS connection, deciding who the client is. `tls_seen` is false for a
    /// flow reported only because a gap hid its start.
    fn become_tls(&mut self, from: Side, hint: HelloHint, tls_seen: bool, shared: &mut Shared) {
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
        shared.next_conn += 1;
        if tls_seen {
            shared.stats.tls_connections += 1;
        } else {
            shared.stats.unconfirmed_connections += 1;
        }
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
        }));
        self.tls = Some(Box::new(TlsConn {
            conn,
            client_side,
            messages: 0,
            ctx: DecodeContext::default(),
            server_hello_seen: false,
            story: annotate::Story::new(1).with_roles(!shared.skip_roles),
            handshakes: 1,
            client_offered_tls13: false,
            crypto: Box::new(decrypt::ConnCrypto::new()),
        }));
        for gap in std::mem::take(&mut self.early_gaps) {
            if let Some(tls) = self.tls.as_mut() {
                report_gap(tls, gap, shared);
            }
        }
    }

    /// Bytes of one direction will never come: the record and message they cut are reported
    /// with what was captured of them, then the gap itself.
    fn on_gap(&mut self, gap: Gap, shared: &mut Shared) {
        let from = gap.from;
        let idx = side_index(from);
        if let Some(cut) = self.half[idx].splitter.gap() {
            self.on_cut_record(from, cut, gap.pkt, shared);
        }
        let partial = self.half[idx].assembler.take_partial();
        match self.tls.as_mut() {
            Some(tls) => {
                if let Some(partial) = partial {
                    let direction = direction_of(tls.client_side, from);
                    let half = &mut self.half[idx];
                    let version = half.handshake_version;
                    Emitter { tls, direction, pkt: gap.pkt, shared }.incomplete(version, &partial);
                }
                if let Some(tls) = self.tls.as_mut() {
                    report_gap(tls, gap, shared);
                }
            }
            None => {
                let full = self.early_gaps.len() >= MAX_EARLY_GAPS;
                match self.early_gaps.last_mut() {
                    Some(last) if full => {
                        last.holes += 1;
                        last.bytes = last.bytes.saturating_add(gap.bytes);
                    }
                    _ => self.early_gaps.push(gap),
                }
            }
        }
    }

    /// A record a gap cut short: it shows the direction is TLS, and a handshake record's
    /// captured bytes still frame (and partly decode) the messages they hold.
    fn on_cut_record(&mut self, from: Side, cut: tls::CutRecord, pkt: PacketContext, shared: &mut Shared) {
        let handshake = cut.content_type == CONTENT_HANDSHAKE;
        if self.tls.is_none() {
            let hint = match cut.payload.first() {
                Some(1) if handshake => HelloHint::ClientHello,
                Some(2) if handshake => HelloHint::ServerHello,
                _ => HelloHint::None,
            };
            self.become_tls(from, hint, true, shared);
        }
        let idx = side_index(from);
        let Some(tls) = self.tls.as_mut() else { return };
        let half = &mut self.half[idx];
        let is_tls13 = tls.ctx.version.is_some_and(msgs::hello::is_tls13);
        if !handshake || (half.cipher_active && !is_tls13) || !self.held.is_empty() {
            // Encrypted, not a handshake, or behind records held for their keys: the gap event says it all.
            return;
        }
        let direction = direction_of(tls.client_side, from);
        let mut emit = Emitter { tls, direction, pkt, shared };
        emit.handshake_records(half, cut.version, &cut.payload, false);
    }

    /// Whether a flow whose start a gap hid could have been TLS: neither direction was found
    /// to be something else, and what was captured is not plain text.
    fn may_be_tls(&self) -> bool {
        self.half.iter().all(|h| !h.splitter.is_not_tls() && !h.looks_like_text)
    }

    fn on_record_item(&mut self, from: Side, item: RecordItem<'_>, pkt: PacketContext, shared: &mut Shared) {
        if let RecordItem::Skipped { .. } = item {
            return;
        }
        if self.tls.is_none() {
            let hint = hello_hint(&item);
            self.become_tls(from, hint, true, shared);
        }
        let Some(tls) = self.tls.as_mut() else { return };
        if let RecordItem::Record(rec) = &item {
            let waiting = shared.wait_for_keys && tls.crypto.awaiting_keys(&shared.keys, from == tls.client_side);
            if (waiting || !self.held.is_empty()) && self.held_bytes < HOLD_MAX_BYTES {
                self.held_bytes += rec.payload.len();
                self.held_since.get_or_insert(pkt.ts);
                self.held.push_back(HeldRecord {
                    from,
                    content_type: rec.content_type,
                    version: rec.version,
                    payload: rec.payload.to_vec(),
                    pkt,
                });
                return;
            }
            if !self.held.is_empty() {
                // Over the cap: give up waiting, keep the order.
                self.release_held(shared, true);
            }
        }
        let Some(tls) = self.tls.as_mut() else { return };
        let direction = direction_of(tls.client_side, from);
        let half = &mut self.half[side_index(from)];
        let mut emit = Emitter { tls, direction, pkt, shared };
        match item {
            RecordItem::Skipped { .. } => {}
            RecordItem::SslV2 { body } => emit.sslv2(half, body),
            RecordItem::Record(rec) => emit.record(half, rec),
        }
    }

    /// Replays held records, in order, as far as their keys have arrived; all of them when the
    /// wait timed out or when `force`.
    fn release_held(&mut self, shared: &mut Shared, force: bool) {
        let timed_out = self.held.back().is_some_and(|last| self.hold_expired(last.pkt.ts));
        if (force || timed_out)
            && let Some(tls) = self.tls.as_mut()
        {
            tls.crypto.stop_waiting();
        }
        while let Some(front) = self.held.front() {
            let Some(tls) = self.tls.as_mut() else { return };
            let client = front.from == tls.client_side;
            if tls.crypto.awaiting_keys(&shared.keys, client) {
                return;
            }
            let Some(h) = self.held.pop_front() else { return };
            self.held_bytes = self.held_bytes.saturating_sub(h.payload.len());
            let Some(tls) = self.tls.as_mut() else { return };
            let direction = direction_of(tls.client_side, h.from);
            let half = &mut self.half[side_index(h.from)];
            let mut emit = Emitter { tls, direction, pkt: h.pkt, shared };
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

/// Turns records of one direction into message events.
struct Emitter<'a> {
    tls: &'a mut TlsConn,
    direction: Direction,
    pkt: PacketContext,
    shared: &'a mut Shared,
}

impl Emitter<'_> {
    fn base(
        &mut self,
        record_version: u16,
        content_type: u8,
        name: crate::msgs::names::Name,
        length: usize,
        encrypted: bool,
    ) -> Box<MessageEvent> {
        self.tls.messages += 1;
        self.shared.stats.messages += 1;
        // Built in its box: the event is large and would otherwise be copied into it.
        Box::new(MessageEvent {
            conn: self.tls.conn,
            index: self.tls.messages,
            direction: self.direction,
            time: self.pkt.ts,
            frame: self.pkt.frame,
            record_version,
            content_type: tls::content_type_name(content_type),
            kind: crate::msgs::MessageKind::from_name(&name),
            name,
            handshake_type: None,
            length,
            encrypted,
            decrypted: false,
            data: None,
            alert: None,
            decode_error: None,
            incomplete: None,
            fingerprints: None,
            body: None,
            phase: 0,
            role: String::new(),
        })
    }

    /// Annotates and queues a message; queues the handshake summary when it completes.
    fn push(&mut self, mut m: Box<MessageEvent>) {
        // A new ClientHello after a finished handshake starts the next one (renegotiation).
        self.tls.story.annotate(&mut m);
        let time = m.time;
        self.shared.events.push(Event::Message(m));
        if self.tls.story.ready() {
            let h = self.tls.handshake_event(time, None, &mut self.shared.keys);
            self.shared.events.push(Event::Handshake(Box::new(h)));
        }
    }

    fn is_tls13(&self) -> bool {
        self.tls.ctx.version.is_some_and(msgs::hello::is_tls13)
    }

    fn sent_by_client(&self) -> bool {
        self.direction == Direction::ClientToServer
    }

    fn record(&mut self, half: &mut HalfStream, rec: tls::Record<'_>) {
        let len = rec.length;
        // TLS 1.3 hides every post-ServerHello record behind the application_data type; before
        // 1.3, a ChangeCipherSpec switches its direction to encrypted.
        let encrypted = match rec.content_type {
            CONTENT_APPLICATION_DATA => true,
            // A renegotiation's ChangeCipherSpec travels under the current keys (longer than 1 byte).
            CONTENT_CHANGE_CIPHER_SPEC => half.cipher_active && !self.is_tls13() && len > 1,
            _ => half.cipher_active && !self.is_tls13(),
        };
        let from_client = self.sent_by_client();
        // Without a key log there is nothing to try (and the crypto state stays out of the cache).
        if encrypted && self.shared.keys.enabled && self.tls.crypto.can_decrypt(&self.shared.keys, from_client) {
            let plain =
                self.tls.crypto.decrypt(&mut self.shared.keys, from_client, rec.content_type, rec.version, rec.payload);
            if let Some(p) = plain {
                self.plaintext(half, rec.version, p, len);
                return;
            }
        }
        match rec.content_type {
            CONTENT_HANDSHAKE if !encrypted => self.handshake_records(half, rec.version, rec.payload, false),
            CONTENT_HANDSHAKE => {
                let m = self.base(rec.version, rec.content_type, "EncryptedHandshake".into(), len, true);
                self.push(m);
            }
            CONTENT_CHANGE_CIPHER_SPEC => {
                // In TLS 1.3 (and before its ServerHello is known, e.g. after a
                // HelloRetryRequest) the ChangeCipherSpec is for middleboxes only.
                let version_unknown_13_offered = self.tls.ctx.version.is_none() && self.tls.client_offered_tls13;
                if !self.is_tls13() && !version_unknown_13_offered {
                    half.cipher_active = true;
                    half.assembler.reset();
                    self.tls.crypto.on_change_cipher_spec(from_client);
                }
                let m = self.base(rec.version, rec.content_type, "ChangeCipherSpec".into(), len, false);
                self.push(m);
            }
            CONTENT_ALERT if !encrypted && len == 2 => {
                let mut m = self.base(rec.version, rec.content_type, "Alert".into(), len, false);
                m.alert = alert_info(rec.payload);
                self.push(m);
            }
            CONTENT_ALERT => {
                // A 2-byte alert is cleartext; anything longer is an encrypted alert.
                let m = self.base(rec.version, rec.content_type, "EncryptedAlert".into(), len, true);
                self.push(m);
            }
            CONTENT_APPLICATION_DATA => {
                let name = if self.is_tls13() || self.tls.ctx.version.is_none() && !self.tls.server_hello_seen {
                    "EncryptedRecord"
                } else {
                    "ApplicationData"
                };
                let m = self.base(rec.version, rec.content_type, name.into(), len, true);
                self.push(m);
            }
            CONTENT_HEARTBEAT => {
                let m = self.base(rec.version, rec.content_type, "Heartbeat".into(), len, encrypted);
                self.push(m);
            }
            _ => {
                let m = self.base(
                    rec.version,
                    rec.content_type,
                    format!("UnknownRecord{}", rec.content_type).into(),
                    len,
                    false,
                );
                self.push(m);
            }
        }
    }

    /// Frames handshake messages out of a (cleartext or decrypted) handshake record payload.
    fn handshake_records(&mut self, half: &mut HalfStream, version: u16, payload: &[u8], decrypted: bool) {
        half.handshake_version = version;
        // Each message is handled as it is framed, borrowed from the record or the assembler's
        // buffer (copying them out first was the most frequent allocation of a run).
        let result = half.assembler.push(payload, &mut |m| self.handshake(version, m.msg_type, m.raw, decrypted));
        if let Err(e) = result {
            half.assembler.reset();
            self.shared.stats.malformed_messages += 1;
            let mut m = self.base(version, CONTENT_HANDSHAKE, "MalformedHandshake".into(), payload.len(), decrypted);
            m.decrypted = decrypted;
            m.decode_error = Some(e.to_string());
            self.push(m);
        }
    }

    /// A record the key log opened: handled like cleartext of its inner content type.
    fn plaintext(&mut self, half: &mut HalfStream, version: u16, p: crate::crypto::Plaintext, wire_len: usize) {
        match p.content_type {
            CONTENT_HANDSHAKE => self.handshake_records(half, version, &p.data, true),
            CONTENT_ALERT => {
                let mut m = self.base(version, CONTENT_ALERT, "Alert".into(), p.data.len(), true);
                m.decrypted = true;
                m.alert = alert_info(&p.data);
                self.push(m);
            }
            CONTENT_APPLICATION_DATA => {
                let mut m = self.base(version, CONTENT_APPLICATION_DATA, "ApplicationData".into(), p.data.len(), true);
                m.decrypted = true;
                if let Some(limit) = self.shared.show_data {
                    m.data = Some(preview(&p.data, limit));
                }
                self.push(m);
            }
            CONTENT_CHANGE_CIPHER_SPEC => {
                half.assembler.reset();
                self.tls.crypto.on_change_cipher_spec(self.sent_by_client());
                let mut m =
                    self.base(version, CONTENT_CHANGE_CIPHER_SPEC, "ChangeCipherSpec".into(), p.data.len(), true);
                m.decrypted = true;
                self.push(m);
            }
            other => {
                let mut m = self.base(version, other, format!("UnknownRecord{other}").into(), wire_len, true);
                m.decrypted = true;
                self.push(m);
            }
        }
    }

    fn handshake(&mut self, record_version: u16, msg_type: u8, raw: &[u8], decrypted: bool) {
        let body = raw.get(4..).unwrap_or(&[]);
        let from_client = self.sent_by_client();
        // A ClientHello after a finished handshake starts the next one (renegotiation).
        if msg_type == 1 && self.tls.story.complete {
            self.tls.handshakes += 1;
            self.tls.story = annotate::Story::new(self.tls.handshakes).with_roles(!self.shared.skip_roles);
            self.tls.story.mark_renegotiation();
            self.tls.crypto.restart_transcript();
        }
        self.tls.ctx.from_server = self.direction == Direction::ServerToClient;
        self.tls.ctx.capture_time = Some(self.pkt.ts);
        let decoded = msgs::decode_handshake(msg_type, body, &self.tls.ctx);
        let verdict = self.tls.crypto.on_handshake(&mut self.shared.keys, from_client, msg_type, raw, &decoded.body);
        if msg_type == 11 {
            self.save_certificates(body);
        }
        if msg_type == 20 {
            self.tls.crypto.record_verdict(from_client, verdict);
        }
        let mut name = msgs::handshake_name(msg_type);
        match &decoded.body {
            HandshakeBody::ClientHello { client_hello } => {
                if client_hello.offered_versions().is_some_and(|v| v.iter().any(|v| msgs::hello::is_tls13(*v))) {
                    self.tls.client_offered_tls13 = true;
                }
                self.tls.ctx.sni = client_hello.sni.clone();
            }
            HandshakeBody::ServerHello { server_hello } => {
                if server_hello.hello_retry_request {
                    name = "HelloRetryRequest".into();
                } else {
                    self.tls.server_hello_seen = true;
                    self.tls.ctx.version = Some(server_hello.negotiated_version());
                    self.tls.ctx.cipher_suite = Some(server_hello.cipher_suite);
                }
            }
            _ => {}
        }
        if decoded.error.is_some() {
            self.shared.stats.malformed_messages += 1;
        }
        let mut m = self.base(record_version, CONTENT_HANDSHAKE, name, body.len(), decrypted);
        m.decrypted = decrypted;
        m.handshake_type = Some(msg_type);
        m.decode_error = decoded.error;
        m.body = match decoded.body {
            HandshakeBody::Opaque {} => None,
            HandshakeBody::Finished { mut finished } => {
                finished.verified = verdict;
                Some(HandshakeBody::Finished { finished })
            }
            b => Some(b),
        };
        self.push(m);
    }

    /// A handshake message a gap cut short: named, its captured front decoded as far as it goes
    /// (the hellos), marked incomplete.
    fn incomplete(&mut self, record_version: u16, partial: &tls::PartialMessage) {
        let body = partial.body();
        let mut name = msgs::handshake_name(partial.msg_type);
        let (decoded, cut_in) = match partial.msg_type {
            msgs::handshake_type::CLIENT_HELLO => {
                let (hello, cut_in) = msgs::ClientHello::decode_prefix(body);
                if let Some(h) = &hello {
                    self.tls.ctx.sni = h.sni.clone();
                }
                (hello.map(|h| HandshakeBody::ClientHello { client_hello: Box::new(h) }), Some(cut_in))
            }
            msgs::handshake_type::SERVER_HELLO => {
                let (hello, cut_in) = msgs::ServerHello::decode_prefix(body);
                if hello.as_ref().is_some_and(|h| h.hello_retry_request) {
                    name = "HelloRetryRequest".into();
                }
                (hello.map(|h| HandshakeBody::ServerHello { server_hello: Box::new(h) }), Some(cut_in))
            }
            _ => (None, None),
        };
        let length = partial.length.unwrap_or(body.len());
        let mut m = self.base(record_version, CONTENT_HANDSHAKE, name, length, false);
        m.handshake_type = Some(partial.msg_type);
        m.incomplete = Some(Incomplete { bytes_captured: body.len(), cut_in });
        m.body = decoded;
        self.push(m);
    }

    fn save_certificates(&mut self, body: &[u8]) {
        let Some(dir) = self.shared.certs_dir.clone() else { return };
        for der in msgs::certificate::Certificate::der_certificates(body, self.tls.ctx.version) {
            match crate::certs::write_pem(&dir, der) {
                Ok(_) => self.shared.stats.certificates_written += 1,
                Err(e) => {
                    if self.shared.certs_error.is_none() {
                        let shown = crate::escape::path(&dir);
                        self.shared.certs_error = Some(format!("cannot write certificates to {shown}: {e}"));
                    }
                }
            }
        }
    }

    fn sslv2(&mut self, half: &mut HalfStream, body: &[u8]) {
        let (Some(&msg_type), rest) = (body.first(), body.get(1..).unwrap_or(&[])) else { return };
        if half.sslv2_encrypted {
            let m = self.base(0x0002, CONTENT_HANDSHAKE, "SSLv2EncryptedRecord".into(), body.len(), true);
            self.push(m);
            return;
        }
        let name = match msg_type {
            0 => "SSLv2Error",
            1 => "ClientHello",
            2 => "SSLv2ClientMasterKey",
            3 => "SSLv2ClientFinished",
            4 => "SSLv2ServerHello",
            5 => "SSLv2ServerVerify",
            6 => "SSLv2ServerFinished",
            7 => "SSLv2RequestCertificate",
            8 => "SSLv2ClientCertificate",
            _ => "SSLv2Unknown",
        };
        let mut m = self.base(0x0002, CONTENT_HANDSHAKE, name.into(), rest.len(), false);
        m.handshake_type = Some(msg_type);
        if msg_type == 1 {
            match msgs::ClientHello::decode_sslv2(rest) {
                Ok(client_hello) => {
                    m.body = Some(HandshakeBody::ClientHello { client_hello: Box::new(client_hello) });
                }
                Err(e) => {
                    self.shared.stats.malformed_messages += 1;
                    m.decode_error = Some(e.to_string());
                }
            }
        }
        // After CLIENT-MASTER-KEY (client) and SERVER-HELLO (server), SSLv2 records are encrypted.
        if msg_type == 2 || msg_type == 4 {
            half.sslv2_encrypted = true;
        }
        self.push(m);
    }
}

/// Application data for `--show-data`: printable ASCII as is, the rest escaped, cut at `limit`.
fn preview(data: &[u8], limit: usize) -> String {
    let mut out = String::new();
    for &b in data.iter().take(limit) {
        match b {
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    if data.len() > limit {
        out.push_str("...");
    }
    out
}

fn alert_info(payload: &[u8]) -> Option<AlertInfo> {
    let (&level, &description) = (payload.first()?, payload.get(1)?);
    Some(AlertInfo {
        level,
        level_name: crate::msgs::names::alert_level_name(level),
        description,
        description_name: crate::msgs::names::alert_description_name(description),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{NetConfig, NetDecoder, NetOutcome};
    use crate::tcp::{FlowConfig, FlowTable};

    /// The stream bytes of one fixture connection, in order, as the flow table delivers them.
    fn fixture_data(name: &str) -> Vec<(Side, Vec<u8>)> {
        let path = format!("{}/fixtures/captures/{name}", env!("CARGO_MANIFEST_DIR"));
        let mut source = crate::source::file::FileSource::open(&path).unwrap();
        let mut net = NetDecoder::new(NetConfig::default());
        let mut table = FlowTable::new(FlowConfig { max_flows: 4, ..FlowConfig::default() });
        let mut out = Vec::new();
        while let Some(()) = source
            .next_with(|pkt| {
                if let Ok(NetOutcome::Tcp(seg)) = net.decode(pkt.linktype, pkt.data, pkt.orig_len, pkt.ts) {
                    table.process(&seg, pkt.ts, &mut |ev| {
                        if let FlowEvent::Data { from, bytes, .. } = ev {
                            out.push((from, bytes.to_vec()));
                        }
                        Verdict::Continue
                    });
                }
            })
            .unwrap()
        {}
        out
    }

    /// What a flow costs besides its buffers, measured: its slot in the flow table, and the
    /// heap the connection layer holds for it once its handshake is under way (the hellos, the
    /// certificate, the rest of the handshake in flight). `budget::FLOW_COST` must cover it,
    /// with an eighth more for the allocator's size classes; when the structures grow past
    /// it, raise `FLOW_COST` (fewer flows then fit the budget).
    #[test]
    fn a_flow_costs_at_most_flow_cost() {
        const FLOWS: u64 = 2000;
        let mut worst = 0;
        for (fixture, messages) in [
            ("tls13-x25519-alpn.pcap", 2),
            ("tls12-ecdhe-rsa-chain.pcap", 2),
            ("tls13-hrr.pcap", 2),
            ("tls12-rsa-kx.pcap", 2),
        ] {
            let data = fixture_data(fixture);
            // The first flights of the handshake: a connection caught in the middle of it.
            let first: Vec<&(Side, Vec<u8>)> = data.iter().take(messages).collect();
            let mut conns = ConnTracker::with_capacity(FLOWS as usize);
            let pkt = PacketContext { ts: Timestamp::new(1_700_000_000, 0, 6), frame: 1 };
            let before = crate::msgs::fuzz_tests::heap_held();
            for flow in 0..FLOWS {
                let (initiator, responder) =
                    (SocketAddr::from(([10, 0, 0, 1], 40_000)), SocketAddr::from(([10, 0, 0, 2], 443)));
                conns.on_flow_event(FlowEvent::Opened { flow, initiator, responder, syn_seen: true }, pkt);
                for (from, bytes) in &first {
                    conns.on_flow_event(FlowEvent::Data { flow, from: *from, bytes }, pkt);
                }
            }
            conns.shared.events.clear();
            conns.shared.events.shrink_to_fit();
            let held = crate::msgs::fuzz_tests::heap_held() - before;
            let buffers = conns.shared.tls_buffered;
            assert_eq!(conns.open_flows(), FLOWS as usize, "{fixture}");
            assert_eq!(conns.stats().tls_connections, FLOWS, "{fixture}");
            let per_flow = (held.unsigned_abs() - buffers) / FLOWS as usize + crate::tcp::flow_slot_bytes();
            eprintln!("{fixture}: {per_flow} bytes per flow, {} of buffers", buffers / FLOWS as usize);
            worst = worst.max(per_flow);
        }
        assert!(worst + worst / 8 <= crate::budget::FLOW_COST, "a flow costs {worst} bytes");
    }
}
