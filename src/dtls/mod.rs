//! DTLS 1.0 and 1.2 (RFC 4347, RFC 6347, and OpenSSL's pre-standard 0x0100): from UDP datagrams
//! to each connection's records.
//!
//! A transport layer beside `tcp` and `quic`, below `conn`. It recognises DTLS records on any UDP
//! port (a content type 20-25, then a DTLS version), splits each datagram into its records
//! (epoch, 48-bit sequence number) and tells `conn` about them as [`DtlsEvent`]s. The handshake
//! framing (12-byte headers, fragments, retransmitted flights) is [`handshake::Reassembler`],
//! which `conn` keeps per direction: handshake fragments travel encrypted after a
//! ChangeCipherSpec, so they can be reassembled only where the keys are.
//!
//! Connections are found by their address pair; one is created only by a datagram whose records
//! all frame and whose first record is an epoch-0 ClientHello, HelloVerifyRequest or ServerHello
//! fragment. The table is bounded (oldest first out) and idle connections expire, so a flood of
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

const CONTENT_HANDSHAKE: u8 = 22;

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

/// One DTLS record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub content_type: u8,
    pub version: u16,
    pub epoch: u16,
    /// 48 bits.
    pub seq: u64,
    pub payload: &'a [u8],
}

impl Record<'_> {
    /// Epoch and sequence number as one 64-bit number: what DTLS puts where TLS puts its
    /// implicit sequence number (the MAC's and the AEAD's additional data, RFC 6347 4.1.2.1).
    pub fn epoch_seq(&self) -> u64 {
        u64::from(self.epoch) << 48 | self.seq
    }
}

/// The records of a datagram, and whether all of it framed (a record cut short or a non-DTLS
/// tail stops the list).
pub fn records(datagram: &[u8]) -> (Vec<Record<'_>>, bool) {
    let mut r = Reader::new(datagram);
    let mut out = Vec::new();
    while !r.is_empty() {
        let Some(rec) = record(&mut r) else { return (out, false) };
        out.push(rec);
    }
    (out, true)
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
    Some(Record { content_type, version, epoch, seq: hi << 32 | lo, payload })
}

/// What the connection layer is told, in order per connection.
#[derive(Debug)]
pub enum DtlsEvent<'a> {
    /// `max_handshake_bytes`: what each direction's [`handshake::Reassembler`] may hold.
    Opened {
        stream: u64,
        client: SocketAddr,
        server: SocketAddr,
        max_handshake_bytes: usize,
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

/// Counters for the summary.
#[derive(Clone, Debug, Default)]
pub struct DtlsStats {
    pub datagrams: u64,
    pub records: u64,
    pub connections: u64,
    pub connections_evicted: u64,
    /// Datagrams of known connections with bytes that did not frame as records.
    pub malformed_datagrams: u64,
}

/// The DTLS connections of a run.
pub struct DtlsTable {
    cfg: DtlsConfig,
    /// No state of its own per connection: the records go up as they come.
    conns: UdpConns<()>,
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

    /// One UDP datagram. Datagrams that are not DTLS of a known connection, nor the start of a
    /// handshake, leave no state.
    pub fn datagram(&mut self, d: &UdpDatagram<'_>, ts: Timestamp, out: &mut dyn FnMut(DtlsEvent<'_>)) {
        self.conns.expire(ts, &mut |stream| out(DtlsEvent::Closed { stream, reason: EndReason::Timeout }));
        let (records, whole) = records(d.payload);
        let (key, from) = match self.conns.find(d.src, d.dst) {
            Some((key, from_client)) => (key, if from_client { Side::Initiator } else { Side::Responder }),
            None => {
                let Some(client_sent) = opens(&records, whole) else { return };
                let key = if client_sent { (d.src, d.dst) } else { (d.dst, d.src) };
                self.open(key, ts, out);
                (key, if client_sent { Side::Initiator } else { Side::Responder })
            }
        };
        let Some(conn) = self.conns.get_mut(&key) else { return };
        conn.last_seen = ts;
        let stream = conn.id;
        self.stats.datagrams = self.stats.datagrams.saturating_add(1);
        if !whole {
            self.stats.malformed_datagrams = self.stats.malformed_datagrams.saturating_add(1);
        }
        for record in records {
            self.stats.records = self.stats.records.saturating_add(1);
            out(DtlsEvent::Record { stream, from, record });
        }
    }

    fn open(&mut self, key: UdpKey, ts: Timestamp, out: &mut dyn FnMut(DtlsEvent<'_>)) {
        let stats = &mut self.stats;
        let stream = self.conns.open(key, ts, |_| (), &mut |id| {
            stats.connections_evicted = stats.connections_evicted.saturating_add(1);
            out(DtlsEvent::Closed { stream: id, reason: EndReason::Evicted });
        });
        self.stats.connections = self.stats.connections.saturating_add(1);
        let max_handshake_bytes = self.cfg.max_handshake_bytes;
        out(DtlsEvent::Opened { stream, client: key.0, server: key.1, max_handshake_bytes });
    }

    /// End of capture: closes every connection, in order of creation.
    pub fn finish(&mut self, out: &mut dyn FnMut(DtlsEvent<'_>)) {
        self.conns.finish(&mut |stream| out(DtlsEvent::Closed { stream, reason: EndReason::CaptureEnd }));
    }
}

/// Whether a datagram from unknown addresses starts a DTLS handshake: Some(true) when its
/// sender is the client (a ClientHello), Some(false) when the server (HelloVerifyRequest or
/// ServerHello: the client's first datagram was not captured).
fn opens(records: &[Record<'_>], whole: bool) -> Option<bool> {
    let first = records.first()?;
    if !whole || first.content_type != CONTENT_HANDSHAKE || first.epoch != 0 {
        return None;
    }
    let frag = handshake::fragments(first.payload).ok()?.into_iter().next()?;
    match frag.msg_type {
        1 => Some(true),
        2 | 3 => Some(false),
        _ => None,
    }
}
