//! DTLS 1.0, 1.2 and 1.3 (RFC 4347, RFC 6347, RFC 9147, and OpenSSL's pre-standard 0x0100): from
//! UDP datagrams to each connection's records.
//!
//! A transport layer beside `tcp` and `quic`, below `conn`. It recognises DTLS records on any UDP
//! port (a content type 20-25, then a DTLS version), splits each datagram into its records
//! (epoch, 48-bit sequence number; on a known connection also DTLS 1.3's unified header, whose
//! connection ID length it learns from the hellos' connection_id extensions) and tells `conn`
//! about them as [`DtlsEvent`]s. The handshake
//! framing (12-byte headers, fragments, retransmitted flights) is [`handshake::Reassembler`],
//! which `conn` keeps per direction: handshake fragments travel encrypted after a
//! ChangeCipherSpec, so they can be reassembled only where the keys are.
//!
//! Connections are found by their address pair; one is created by a datagram whose records all
//! frame and whose first record is an epoch-0 ClientHello, HelloVerifyRequest or ServerHello
//! fragment, or (a capture begun mid-connection) whose records all frame as plausible DTLS 1.0 or
//! 1.2 records of a handshake under way. The table is bounded (oldest first out) and idle connections expire, so a flood of
//! ClientHellos from random ports cannot grow memory.
//!
//! Every byte is hostile: the lints below keep panicking operations out of the decoding code.
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

pub mod handshake;
#[cfg(test)]
mod tests;

use crate::msgs::reader::Reader;
use crate::net::{UdpConns, UdpDatagram, UdpKey};
use crate::tcp::{EndReason, Side};
use crate::time::Timestamp;
use std::net::SocketAddr;

/// Stream ids of DTLS connections have this bit set (QUIC's is the one above), so they never
/// meet TCP or QUIC ids in the connection layer.
pub const STREAM_ID_BIT: u64 = 1 << 62;

/// The record header: type, version, epoch, 48-bit sequence number, length.
pub const RECORD_HEADER_LEN: usize = 13;

const CONTENT_CHANGE_CIPHER_SPEC: u8 = 20;
const CONTENT_ALERT: u8 = 21;
const CONTENT_HANDSHAKE: u8 = 22;
const CONTENT_APPLICATION_DATA: u8 = 23;
/// The connection_id extension (RFC 9146); 53 was its draft number, which some stacks still send.
const EXT_CONNECTION_ID: u16 = 54;
const EXT_CONNECTION_ID_DRAFT: u16 = 53;

/// The unified header's first byte is 001CSLEE (RFC 9147 section 4).
const UNIFIED_MASK: u8 = 0xe0;
const UNIFIED_BITS: u8 = 0x20;
const UNIFIED_CID: u8 = 0x10;
const UNIFIED_SEQ16: u8 = 0x08;
const UNIFIED_LENGTH: u8 = 0x04;
const UNIFIED_EPOCH: u8 = 0x03;
/// The record version shown for unified-header records, which carry none: DTLS 1.3's.
pub const DTLS13_VERSION: u16 = 0xfefc;

/// Limits of the DTLS connection table.
#[derive(Clone, Debug)]
pub struct DtlsConfig {
    pub max_connections: usize,
    /// Capture-time seconds of silence after which a connection is closed.
    pub idle_timeout_secs: u64,
    /// Handshake bytes held per direction for messages not whole yet.
    pub max_handshake_bytes: usize,
}

impl Default for DtlsConfig {
    fn default() -> Self {
        DtlsConfig { max_connections: 4096, idle_timeout_secs: 30, max_handshake_bytes: 64 << 10 }
    }
}

/// The record versions DTLS uses: 1.0, 1.2, 1.3 (its cleartext records), OpenSSL's
/// pre-standard 1.0.
pub fn is_dtls_version(version: u16) -> bool {
    matches!(version, 0xfeff | 0xfefd | 0xfefc | 0x0100)
}

/// Whether a UDP payload starts like a DTLS record.
pub fn looks_like_dtls(payload: &[u8]) -> bool {
    match payload {
        [t, v0, v1, ..] => (20..=25).contains(t) && is_dtls_version(u16::from_be_bytes([*v0, *v1])),
        _ => false,
    }
}

/// Whether a first byte is that of DTLS 1.3's unified header.
pub fn is_unified_header(first: u8) -> bool {
    first & UNIFIED_MASK == UNIFIED_BITS
}

/// One DTLS record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    /// For a unified-header record, the header's first byte (its content type is inside).
    pub content_type: u8,
    /// [`DTLS13_VERSION`] for a unified-header record.
    pub version: u16,
    /// For a unified-header record, the epoch's two low bits.
    pub epoch: u16,
    /// 48 bits; for a unified-header record, the 8 or 16 bits on the wire (still encrypted).
    pub seq: u64,
    pub payload: &'a [u8],
    /// DTLS 1.3's unified header, when the record has one.
    pub unified: Option<Unified<'a>>,
}

/// A DTLS 1.3 unified header (RFC 9147 section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unified<'a> {
    /// The header as on the wire (the sequence number encrypted): the AEAD's additional data
    /// once the sequence number is decrypted in it.
    pub header: &'a [u8],
    pub cid: &'a [u8],
    /// Bytes of the sequence number (1 or 2), which end the header before any length.
    pub seq_len: usize,
    pub length_present: bool,
}

impl Unified<'_> {
    /// Where the sequence number sits in [`Self::header`].
    pub fn seq_at(&self) -> usize {
        self.cid.len().saturating_add(1)
    }
}

impl Record<'_> {
    /// Epoch and sequence number as one 64-bit number: what DTLS puts where TLS puts its
    /// implicit sequence number (the MAC's and the AEAD's additional data, RFC 6347 4.1.2.1).
    pub fn epoch_seq(&self) -> u64 {
        u64::from(self.epoch) << 48 | self.seq
    }
}

/// The records of a datagram, and whether all of it framed (a record cut short or a non-DTLS
/// tail stops the list). `cid_len`: the length of the connection IDs its sender puts in unified
/// headers, when known (a unified header with a connection ID of unknown length stops the list).
pub fn records(datagram: &[u8], cid_len: Option<usize>) -> (Vec<Record<'_>>, bool) {
    let mut r = Reader::new(datagram);
    let mut out = Vec::new();
    while !r.is_empty() {
        let first = r.peek_rest().first().copied().unwrap_or_default();
        let rec = if is_unified_header(first) { unified_record(&mut r, cid_len) } else { record(&mut r) };
        let Some(rec) = rec else { return (out, false) };
        out.push(rec);
    }
    (out, true)
}

/// A record with DTLS 1.3's unified header: flags, connection ID, 8- or 16-bit sequence number,
/// optional length (without it the record runs to the end of the datagram).
fn unified_record<'a>(r: &mut Reader<'a>, cid_len: Option<usize>) -> Option<Record<'a>> {
    let start = r.peek_rest();
    let flags = r.u8("unified header").ok()?;
    if !is_unified_header(flags) {
        return None;
    }
    let cid = match (flags & UNIFIED_CID != 0, cid_len) {
        (false, _) => &[][..],
        (true, Some(n)) => r.bytes(n, "connection id").ok()?,
        (true, None) => return None,
    };
    let seq_len = if flags & UNIFIED_SEQ16 != 0 { 2 } else { 1 };
    let seq = r.bytes(seq_len, "sequence number").ok()?.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
    let length_present = flags & UNIFIED_LENGTH != 0;
    let len = if length_present { Some(r.u16("length").ok()?) } else { None };
    let header = start.get(..start.len().saturating_sub(r.remaining()))?;
    // Without a length the record runs to the end of the datagram.
    let payload = match len {
        Some(len) => r.bytes(usize::from(len), "encrypted record").ok()?,
        None => r.rest(),
    };
    Some(Record {
        content_type: flags,
        version: DTLS13_VERSION,
        epoch: u16::from(flags & UNIFIED_EPOCH),
        seq,
        payload,
        unified: Some(Unified { header, cid, seq_len, length_present }),
    })
}

fn record<'a>(r: &mut Reader<'a>) -> Option<Record<'a>> {
    let content_type = r.u8("type").ok()?;
    let version = r.u16("version").ok()?;
    if !(20..=25).contains(&content_type) || !is_dtls_version(version) {
        return None;
    }
    let epoch = r.u16("epoch").ok()?;
    let hi = u64::from(r.u16("seq").ok()?);
    let lo = u64::from(r.u32("seq").ok()?);
    let len = r.u16("length").ok()?;
    let payload = r.bytes(usize::from(len), "fragment").ok()?;
    Some(Record { content_type, version, epoch, seq: hi << 32 | lo, payload, unified: None })
}

/// What the connection layer is told, in order per connection.
#[derive(Debug)]
pub enum DtlsEvent<'a> {
    /// `max_handshake_bytes`: what each direction's [`handshake::Reassembler`] may hold.
    /// `midway`: no hello opened it (the capture began mid-connection), so `client` is only the
    /// first sender.
    Opened {
        stream: u64,
        client: SocketAddr,
        server: SocketAddr,
        max_handshake_bytes: usize,
        midway: bool,
    },
    Record {
        stream: u64,
        from: Side,
        record: Record<'a>,
    },
    Closed {
        stream: u64,
        reason: EndReason,
    },
}

/// Counters for the summary (its `dtls` object).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DtlsStats {
    pub datagrams: u64,
    pub records: u64,
    pub connections: u64,
    pub connections_evicted: u64,
    /// Datagrams of known connections with bytes that did not frame as records.
    pub malformed_datagrams: u64,
    /// DTLS 1.3 records with the unified header.
    pub unified_records: u64,
    /// Connections opened by a datagram of a handshake under way (capture begun mid-connection).
    pub midway_connections: u64,
}

/// What the table keeps per connection.
#[derive(Default)]
struct ConnState {
    /// The length of the connection IDs in the unified headers of the initiator's records,
    /// then the responder's: the peer asked for them in its hello's connection_id extension.
    cid_len: [Option<u8>; 2],
}

/// The DTLS connections of a run.
pub struct DtlsTable {
    cfg: DtlsConfig,
    /// The records go up as they come; each connection keeps only its connection ID lengths.
    conns: UdpConns<ConnState>,
    stats: DtlsStats,
}

impl DtlsTable {
    pub fn new(cfg: DtlsConfig) -> Self {
        let conns = UdpConns::new(cfg.max_connections, cfg.idle_timeout_secs, STREAM_ID_BIT);
        DtlsTable { cfg, conns, stats: DtlsStats::default() }
    }

    pub fn config(&self) -> &DtlsConfig {
        &self.cfg
    }

    pub fn stats(&self) -> &DtlsStats {
        &self.stats
    }

    pub fn open_connections(&self) -> usize {
        self.conns.len()
    }

    /// Whether a datagram belongs to a known connection (DTLS 1.3's unified header does not look
    /// like a record on its own).
    pub fn knows(&self, d: &UdpDatagram<'_>) -> bool {
        self.conns.find(d.src, d.dst).is_some()
    }

    /// One UDP datagram. Datagrams that are not DTLS of a known connection, nor the start of a
    /// handshake, leave no state.
    pub fn datagram(&mut self, d: &UdpDatagram<'_>, ts: Timestamp, out: &mut dyn FnMut(DtlsEvent<'_>)) {
        self.conns.expire(ts, &mut |stream| out(DtlsEvent::Closed { stream, reason: EndReason::Timeout }));
        let found = self.conns.find(d.src, d.dst);
        let cid_len = found.and_then(|(key, from_initiator)| {
            let state = &self.conns.get_mut(&key)?.state;
            state.cid_len.get(usize::from(!from_initiator)).copied().flatten().map(usize::from)
        });
        let (records, whole) = records(d.payload, cid_len);
        let (key, from) = match found {
            Some((key, from_client)) => (key, if from_client { Side::Initiator } else { Side::Responder }),
            None => {
                let (key, from, midway) = match opens(&records, whole) {
                    Some(Opening::Hello { client_sent: true }) => ((d.src, d.dst), Side::Initiator, false),
                    Some(Opening::Hello { client_sent: false }) => ((d.dst, d.src), Side::Responder, false),
                    // Who is the client is left to the connection layer (ports).
                    Some(Opening::Midway) => ((d.src, d.dst), Side::Initiator, true),
                    None => return,
                };
                self.open(key, ts, midway, out);
                (key, from)
            }
        };
        let Some(conn) = self.conns.get_mut(&key) else { return };
        conn.last_seen = ts;
        let stream = conn.id;
        for rec in records.iter().filter(|r| r.epoch == 0 && r.content_type == CONTENT_HANDSHAKE) {
            learn_cid_len(&mut conn.state, from, rec.payload);
        }
        self.stats.datagrams = self.stats.datagrams.saturating_add(1);
        if !whole {
            self.stats.malformed_datagrams = self.stats.malformed_datagrams.saturating_add(1);
        }
        for record in records {
            self.stats.records = self.stats.records.saturating_add(1);
            if record.unified.is_some() {
                self.stats.unified_records = self.stats.unified_records.saturating_add(1);
            }
            out(DtlsEvent::Record { stream, from, record });
        }
    }

    fn open(&mut self, key: UdpKey, ts: Timestamp, midway: bool, out: &mut dyn FnMut(DtlsEvent<'_>)) {
        let stats = &mut self.stats;
        let stream = self.conns.open(key, ts, |_| ConnState::default(), &mut |id| {
            stats.connections_evicted = stats.connections_evicted.saturating_add(1);
            out(DtlsEvent::Closed { stream: id, reason: EndReason::Evicted });
        });
        self.stats.connections = self.stats.connections.saturating_add(1);
        if midway {
            self.stats.midway_connections = self.stats.midway_connections.saturating_add(1);
        }
        let max_handshake_bytes = self.cfg.max_handshake_bytes;
        out(DtlsEvent::Opened { stream, client: key.0, server: key.1, max_handshake_bytes, midway });
    }

    /// End of capture: closes every connection, in order of creation.
    pub fn finish(&mut self, out: &mut dyn FnMut(DtlsEvent<'_>)) {
        self.conns.finish(&mut |stream| out(DtlsEvent::Closed { stream, reason: EndReason::CaptureEnd }));
    }
}

/// How a datagram from unknown addresses opens a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Opening {
    /// A ClientHello (`client_sent`), or a HelloVerifyRequest or ServerHello (the client's first
    /// datagram was not captured).
    Hello { client_sent: bool },
    /// Records of a handshake under way: the capture began after the hellos.
    Midway,
}

/// Epochs a connection picked up midway may be in: a few renegotiations at most.
const MAX_MIDWAY_EPOCH: u16 = 8;

/// Whether a datagram from unknown addresses starts a DTLS connection.
fn opens(records: &[Record<'_>], whole: bool) -> Option<Opening> {
    let first = records.first()?;
    if !whole {
        return None;
    }
    if first.content_type == CONTENT_HANDSHAKE && first.epoch == 0 {
        let frag = handshake::fragments(first.payload).ok()?.into_iter().next()?;
        match frag.msg_type {
            1 => return Some(Opening::Hello { client_sent: true }),
            2 | 3 => return Some(Opening::Hello { client_sent: false }),
            _ => {}
        }
    }
    records.iter().all(plausible_midway).then_some(Opening::Midway)
}

/// A record that may belong to a DTLS 1.0 or 1.2 connection already under way: a version of
/// those, a content type of a handshake or its data, an epoch a connection reaches, and content
/// that frames (cleartext handshake fragments of a known type, a one-byte ChangeCipherSpec, a
/// two-byte alert, a protected record long enough for a MAC or tag).
fn plausible_midway(rec: &Record<'_>) -> bool {
    if rec.unified.is_some() || !matches!(rec.version, 0xfeff | 0xfefd | 0x0100) || rec.epoch > MAX_MIDWAY_EPOCH {
        return false;
    }
    match (rec.content_type, rec.epoch) {
        (CONTENT_CHANGE_CIPHER_SPEC, _) => rec.payload == [1],
        (CONTENT_ALERT, 0) => rec.payload.len() == 2 && matches!(rec.payload.first(), Some(1 | 2)),
        (CONTENT_HANDSHAKE, 0) => handshake::fragments(rec.payload).is_ok_and(|frags| {
            !frags.is_empty() && frags.iter().all(|f| matches!(f.msg_type, 4 | 11 | 12 | 13 | 14 | 15 | 16 | 20))
        }),
        (CONTENT_ALERT | CONTENT_HANDSHAKE | CONTENT_APPLICATION_DATA, 1..) => rec.payload.len() >= 16,
        _ => false,
    }
}

/// A hello's connection_id extension (RFC 9146) names the id its sender wants to receive: the
/// other side's records carry it. Read from whole unfragmented hellos only.
fn learn_cid_len(state: &mut ConnState, from: Side, payload: &[u8]) {
    let Ok(frags) = handshake::fragments(payload) else { return };
    for f in frags.iter().filter(|f| f.offset == 0 && f.data.len() == f.length as usize) {
        let Some(cid) = hello_connection_id(f.msg_type, f.data) else { continue };
        let Ok(len) = u8::try_from(cid.len()) else { continue };
        // The sender's peer uses this id: index of the other side.
        let peer = match from {
            Side::Initiator => 1,
            Side::Responder => 0,
        };
        if let Some(slot) = state.cid_len.get_mut(peer) {
            *slot = Some(len);
        }
    }
}

/// The connection ID of a ClientHello's or ServerHello's connection_id extension.
pub fn hello_connection_id(msg_type: u8, body: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(body);
    r.skip(2 + 32, "version and random").ok()?;
    r.vec8("session id").ok()?;
    match msg_type {
        1 => {
            r.vec8("cookie").ok()?;
            r.vec16("cipher suites").ok()?;
            r.vec8("compression methods").ok()?;
        }
        2 => r.skip(3, "cipher suite and compression").ok()?,
        _ => return None,
    }
    let mut exts = r.sub16("extensions").ok()?;
    while !exts.is_empty() {
        let typ = exts.u16("extension type").ok()?;
        let data = exts.vec16("extension data").ok()?;
        if typ == EXT_CONNECTION_ID || typ == EXT_CONNECTION_ID_DRAFT {
            return Reader::new(data).vec8("connection id").ok();
        }
    }
    None
}
