//! QUIC (RFC 9000/9001, v2 RFC 9369): from UDP datagrams to each connection's TLS handshake
//! bytes.
//!
//! A transport layer beside `tcp`, below `conn`. It recognises long-header packets on any UDP
//! port, opens Initial packets with the keys every observer can derive from the client's first
//! Destination Connection ID, and reassembles each direction's Initial CRYPTO stream: the
//! ClientHello and ServerHello as handshake messages without TLS record framing. Handshake,
//! 0-RTT and 1-RTT packets are counted, not opened. `conn` receives [`QuicEvent`]s.
//!
//! Connections are found by their address pair (a Retry or the server's new connection id
//! keeps them one connection); a connection is created only when a client Initial opens,
//! the table is bounded (oldest first out) and idle connections expire, so a flood of Initials
//! with random connection ids cannot grow memory.
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

pub mod frames;
pub mod packet;
pub mod stream;
#[cfg(test)]
mod tests;

use crate::fast_map::FastMap;
use crate::net::UdpDatagram;
use crate::tcp::{EndReason, Side};
use crate::time::Timestamp;
use packet::{Framed, PacketKeys, PacketType};
use std::collections::VecDeque;
use std::net::SocketAddr;
use stream::CryptoStream;

/// Stream ids of QUIC connections have the top bit set, so they never meet TCP flow ids in the
/// connection layer.
pub const STREAM_ID_BIT: u64 = 1 << 63;

/// Limits of the QUIC connection table.
#[derive(Clone, Debug)]
pub struct QuicConfig {
    pub max_connections: usize,
    /// Capture-time seconds of silence after which a connection is closed.
    pub idle_timeout_secs: u64,
    /// Out-of-order CRYPTO bytes held per direction.
    pub max_crypto_bytes: usize,
}

impl Default for QuicConfig {
    fn default() -> Self {
        QuicConfig { max_connections: 4096, idle_timeout_secs: 30, max_crypto_bytes: 64 << 10 }
    }
}

/// What a connection's first packets said of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuicInfo {
    pub version: u32,
    pub version_name: &'static str,
    /// The client's first Destination Connection ID (the Initial keys' input).
    pub original_dcid: Vec<u8>,
    /// The client's Source Connection ID.
    pub client_cid: Vec<u8>,
}

/// What the connection layer is told, in order per connection.
#[derive(Debug)]
pub enum QuicEvent<'a> {
    Opened {
        stream: u64,
        client: SocketAddr,
        server: SocketAddr,
        info: QuicInfo,
    },
    /// In-order Initial CRYPTO bytes of one direction: TLS handshake messages, unframed.
    Crypto {
        stream: u64,
        from: Side,
        bytes: &'a [u8],
    },
    /// A packet that stays encrypted without a key log (Handshake, 0-RTT, 1-RTT).
    Sealed {
        stream: u64,
        from: Side,
        packet: &'static str,
        length: usize,
    },
    /// A packet shown in the ladder as it is (Retry, Version Negotiation, CONNECTION_CLOSE).
    Note {
        stream: u64,
        from: Side,
        text: String,
    },
    Closed {
        stream: u64,
        reason: EndReason,
    },
}

/// Counters for the summary.
#[derive(Clone, Debug, Default)]
pub struct QuicStats {
    pub datagrams: u64,
    pub connections: u64,
    pub initial_packets_opened: u64,
    pub packets_not_opened: u64,
    pub connections_evicted: u64,
    pub crypto_bytes_dropped: u64,
}

struct Conn {
    id: u64,
    version: u32,
    /// Keys of the client's and the server's Initial packets.
    keys: [PacketKeys; 2],
    largest: [Option<u64>; 2],
    crypto: [CryptoStream; 2],
    last_seen: Timestamp,
    server_cid: Option<Vec<u8>>,
}

/// The QUIC connections of a run.
pub struct QuicTable {
    cfg: QuicConfig,
    /// By (client, server).
    conns: FastMap<(SocketAddr, SocketAddr), Box<Conn>>,
    /// Creation order, for eviction when full (entries of gone connections are skipped).
    order: VecDeque<((SocketAddr, SocketAddr), u64)>,
    next_id: u64,
    last_expire: Option<i64>,
    stats: QuicStats,
}

fn index(side: Side) -> usize {
    match side {
        Side::Initiator => 0,
        Side::Responder => 1,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl QuicTable {
    pub fn new(cfg: QuicConfig) -> Self {
        QuicTable {
            cfg,
            conns: FastMap::default(),
            order: VecDeque::new(),
            next_id: 0,
            last_expire: None,
            stats: QuicStats::default(),
        }
    }

    pub fn stats(&self) -> &QuicStats {
        &self.stats
    }

    pub fn open_connections(&self) -> usize {
        self.conns.len()
    }

    /// One UDP datagram. Datagrams that are not QUIC of a known connection, nor a client
    /// Initial that opens, leave no state.
    pub fn datagram(&mut self, d: &UdpDatagram<'_>, ts: Timestamp, out: &mut dyn FnMut(QuicEvent<'_>)) {
        self.expire(ts, out);
        let (key, from) = if self.conns.contains_key(&(d.src, d.dst)) {
            ((d.src, d.dst), Side::Initiator)
        } else if self.conns.contains_key(&(d.dst, d.src)) {
            ((d.dst, d.src), Side::Responder)
        } else {
            if !self.try_open(d, ts, out) {
                return;
            }
            ((d.src, d.dst), Side::Initiator)
        };
        self.stats.datagrams = self.stats.datagrams.saturating_add(1);
        let Some(conn) = self.conns.get_mut(&key) else { return };
        conn.last_seen = ts;
        let cap = self.cfg.max_crypto_bytes;
        let mut rest = d.payload;
        while !rest.is_empty() {
            let Some((framed, next)) = packet::frame(rest) else { break };
            rest = next;
            handle_packet(conn, &mut self.stats, from, framed, cap, out);
        }
    }

    /// A datagram from unknown addresses: a new connection if it starts with a client Initial
    /// that opens with the keys of its Destination Connection ID.
    fn try_open(&mut self, d: &UdpDatagram<'_>, ts: Timestamp, out: &mut dyn FnMut(QuicEvent<'_>)) -> bool {
        let Some((Framed::Long(p), _)) = packet::frame(d.payload) else { return false };
        if p.ptype != Some(PacketType::Initial) {
            return false;
        }
        let Some((client_keys, server_keys)) = PacketKeys::initial(p.version, p.dcid) else { return false };
        if packet::open(&client_keys, &p, None).is_none() {
            return false;
        }
        while self.conns.len() >= self.cfg.max_connections.max(1) {
            let Some((key, id)) = self.order.pop_front() else { break };
            if self.conns.get(&key).is_some_and(|c| c.id == id)
                && let Some(c) = self.conns.remove(&key)
            {
                self.stats.connections_evicted = self.stats.connections_evicted.saturating_add(1);
                out(QuicEvent::Closed { stream: c.id, reason: EndReason::Evicted });
            }
        }
        self.next_id = self.next_id.saturating_add(1);
        let id = STREAM_ID_BIT | self.next_id;
        self.stats.connections = self.stats.connections.saturating_add(1);
        let info = QuicInfo {
            version: p.version,
            version_name: packet::version_info(p.version).name,
            original_dcid: p.dcid.to_vec(),
            client_cid: p.scid.to_vec(),
        };
        out(QuicEvent::Opened { stream: id, client: d.src, server: d.dst, info });
        let conn = Conn {
            id,
            version: p.version,
            keys: [client_keys, server_keys],
            largest: [None, None],
            crypto: [CryptoStream::default(), CryptoStream::default()],
            last_seen: ts,
            server_cid: None,
        };
        self.conns.insert((d.src, d.dst), Box::new(conn));
        self.order.push_back(((d.src, d.dst), id));
        // The queue only grows by lazily skipped entries: compact it when they dominate.
        if self.order.len() > self.conns.len().saturating_mul(2).saturating_add(64) {
            let conns = &self.conns;
            self.order.retain(|(key, id)| conns.get(key).is_some_and(|c| c.id == *id));
        }
        true
    }

    /// Closes connections idle for longer than the timeout (checked once per capture second).
    fn expire(&mut self, now: Timestamp, out: &mut dyn FnMut(QuicEvent<'_>)) {
        if self.last_expire.is_some_and(|s| now.secs <= s) {
            return;
        }
        self.last_expire = Some(now.secs);
        let timeout = i64::try_from(self.cfg.idle_timeout_secs).unwrap_or(i64::MAX);
        let mut idle: Vec<(u64, (SocketAddr, SocketAddr))> = self
            .conns
            .iter()
            .filter(|(_, c)| now.secs.saturating_sub(c.last_seen.secs) > timeout)
            .map(|(k, c)| (c.id, *k))
            .collect();
        idle.sort_unstable();
        for (id, key) in idle {
            self.conns.remove(&key);
            out(QuicEvent::Closed { stream: id, reason: EndReason::Timeout });
        }
    }

    /// End of capture: closes every connection, in order of creation.
    pub fn finish(&mut self, out: &mut dyn FnMut(QuicEvent<'_>)) {
        let mut ids: Vec<u64> = self.conns.values().map(|c| c.id).collect();
        ids.sort_unstable();
        self.conns.clear();
        self.order.clear();
        for id in ids {
            out(QuicEvent::Closed { stream: id, reason: EndReason::CaptureEnd });
        }
    }
}

fn handle_packet(
    conn: &mut Conn,
    stats: &mut QuicStats,
    from: Side,
    framed: Framed<'_>,
    cap: usize,
    out: &mut dyn FnMut(QuicEvent<'_>),
) {
    let stream = conn.id;
    let p = match framed {
        Framed::Short { len } => {
            stats.packets_not_opened = stats.packets_not_opened.saturating_add(1);
            out(QuicEvent::Sealed { stream, from, packet: "1-RTT", length: len });
            return;
        }
        Framed::Long(p) => p,
    };
    match p.ptype {
        None => {
            let text = format!("Version Negotiation ({} bytes)", p.bytes.len());
            out(QuicEvent::Note { stream, from, text });
            return;
        }
        Some(PacketType::Retry) => {
            let text = format!(
                "Retry ({} bytes): the client's next Initials go to connection id {}",
                p.bytes.len(),
                hex(p.scid)
            );
            out(QuicEvent::Note { stream, from, text });
            return;
        }
        Some(PacketType::Initial) => {}
        Some(other) => {
            stats.packets_not_opened = stats.packets_not_opened.saturating_add(1);
            out(QuicEvent::Sealed { stream, from, packet: other.name(), length: p.bytes.len() });
            return;
        }
    }
    let i = index(from);
    if from == Side::Responder && conn.server_cid.is_none() {
        conn.server_cid = Some(p.scid.to_vec());
    }
    let keys = conn.keys.get(i);
    let mut opened = keys.and_then(|k| packet::open(k, &p, conn.largest.get(i).copied().flatten()));
    if opened.is_none() && from == Side::Initiator {
        // After a Retry (or a version change) the client's Initials use new keys: those of the
        // Destination Connection ID they carry now.
        if let Some((c, s)) = PacketKeys::initial(p.version, p.dcid)
            && let Some(o) = packet::open(&c, &p, None)
        {
            conn.keys = [c, s];
            conn.version = p.version;
            conn.largest = [None, None];
            opened = Some(o);
        }
    }
    let Some(opened) = opened else {
        stats.packets_not_opened = stats.packets_not_opened.saturating_add(1);
        return;
    };
    stats.initial_packets_opened = stats.initial_packets_opened.saturating_add(1);
    if let Some(l) = conn.largest.get_mut(i) {
        *l = Some(l.map_or(opened.packet_number, |l| l.max(opened.packet_number)));
    }
    let mut bytes = Vec::new();
    let mut notes = Vec::new();
    if let Some(s) = conn.crypto.get_mut(i) {
        for f in frames::parse(&opened.payload) {
            match f {
                frames::Frame::Crypto { offset, data } => s.add(offset, data, cap, &mut |b| bytes.extend_from_slice(b)),
                frames::Frame::ConnectionClose { error, reason, .. } => notes.push(format!(
                    "CONNECTION_CLOSE error 0x{error:x}{}",
                    if reason.is_empty() { String::new() } else { format!(": {}", String::from_utf8_lossy(reason)) }
                )),
                _ => {}
            }
        }
        stats.crypto_bytes_dropped = stats.crypto_bytes_dropped.saturating_add(std::mem::take(&mut s.dropped));
    }
    if !bytes.is_empty() {
        out(QuicEvent::Crypto { stream, from, bytes: &bytes });
    }
    for text in notes {
        out(QuicEvent::Note { stream, from, text });
    }
}
