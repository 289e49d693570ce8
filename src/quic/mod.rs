//! QUIC (RFC 9000/9001, v2 RFC 9369): from UDP datagrams to each connection's TLS handshake
//! bytes.
//!
//! A transport layer beside `tcp`, below `conn`. It recognises long-header packets on any UDP
//! port, opens Initial packets with the keys every observer can derive from the client's first
//! Destination Connection ID, and reassembles each direction's Initial CRYPTO stream: the
//! ClientHello and ServerHello as handshake messages without TLS record framing. With a key
//! log, the Handshake, 0-RTT and 1-RTT packets open too: the [`QuicSink`] the pipeline gives
//! asks the connection layer for the connection's TLS 1.3 secrets (it holds the key store and
//! knows the client random and suite), and this layer derives the packet keys from them
//! (RFC 9001 5.1). Without, they are counted, not opened. `conn` receives [`QuicEvent`]s.
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
mod held;
pub mod packet;
pub mod stream;
#[cfg(test)]
mod tests;

use crate::net::{UdpConn, UdpConns, UdpDatagram};
use crate::tcp::{EndReason, Side};
use crate::time::Timestamp;
use packet::{Framed, PacketKeys, PacketType};
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
    /// Packet bytes a connection holds while its secrets are awaited from a key log still
    /// being written, and all connections together.
    pub max_held_bytes: usize,
    pub max_held_total: usize,
}

impl Default for QuicConfig {
    fn default() -> Self {
        QuicConfig {
            max_connections: 4096,
            idle_timeout_secs: 30,
            max_crypto_bytes: 64 << 10,
            max_held_bytes: 256 << 10,
            max_held_total: 16 << 20,
        }
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
    /// In-order CRYPTO bytes of one direction: TLS handshake messages, unframed.
    /// `decrypted`: from Handshake or 1-RTT packets, opened with a key log's secrets.
    Crypto {
        stream: u64,
        from: Side,
        bytes: &'a [u8],
        decrypted: bool,
    },
    /// A packet that stays encrypted without a key log (Handshake, 0-RTT, 1-RTT).
    Sealed {
        stream: u64,
        from: Side,
        packet: &'static str,
        length: usize,
    },
    /// A 0-RTT packet opened with the client's early traffic secret: its length and the
    /// application data it carried.
    EarlyData {
        stream: u64,
        length: usize,
        stream_frames: u32,
        stream_bytes: usize,
    },
    /// Packets held for secrets from a key log still being written were handled without
    /// waiting longer (they stay sealed unless their secrets came), and why.
    GaveUpWaiting {
        stream: u64,
        packets: usize,
        bytes: usize,
        cause: &'static str,
    },
    /// A packet shown in the ladder as it is (Retry, Version Negotiation, CONNECTION_CLOSE).
    Note {
        stream: u64,
        from: Side,
        text: String,
    },
    /// The Source Connection ID of the server's first packet: the client's packets go to it
    /// from then on (RFC 9000 7.2).
    ServerConnectionId {
        stream: u64,
        cid: &'a [u8],
    },
    Closed {
        stream: u64,
        reason: EndReason,
    },
}

/// A connection's TLS 1.3 secrets as the connection layer knows them from a key log: the
/// suite once its ServerHello named it.
pub struct QuicSecrets {
    pub suite: Option<u16>,
    pub secrets: crate::crypto::Secrets,
}

/// Where the QUIC layer's events go, and where it asks for a connection's secrets. A closure
/// taking events is a sink without secrets.
pub trait QuicSink {
    fn event(&mut self, ev: QuicEvent<'_>);
    /// The TLS 1.3 secrets of connection `stream` known so far (None without a key log).
    fn secrets(&mut self, _stream: u64) -> Option<QuicSecrets> {
        None
    }
    /// The capture frame of the datagram being handled (0 when the sink does not know it).
    fn frame(&self) -> u64 {
        0
    }
    /// The events from now on are for this packet (one held for its secrets, replayed).
    fn set_packet(&mut self, _ts: Timestamp, _frame: u64) {}
}

impl<F: FnMut(QuicEvent<'_>)> QuicSink for F {
    fn event(&mut self, ev: QuicEvent<'_>) {
        self(ev)
    }
}

/// 1-RTT packets opened per direction at most: NewSessionTicket and HANDSHAKE_DONE come in
/// the first few, and the application data after them is not for a handshake tracer.
const MAX_ONE_RTT_OPENED: u32 = 16;

/// Packet number spaces past Initial (RFC 9000 12.3), as indices.
const HANDSHAKE: usize = 0;
const ONE_RTT: usize = 1;

/// What opening Handshake, 0-RTT and 1-RTT packets needs: made at the first such packet whose
/// secrets the key log has (boxed: a connection without a key log pays a pointer).
#[derive(Default)]
struct Protected {
    /// Per space (Handshake, 1-RTT) and direction (client, server).
    keys: [[Option<PacketKeys>; 2]; 2],
    largest: [[Option<u64>; 2]; 2],
    crypto: [[CryptoStream; 2]; 2],
    early: Option<PacketKeys>,
    early_largest: Option<u64>,
    one_rtt_opened: [u32; 2],
}

/// Counters for the summary (its `quic` object).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct QuicStats {
    pub datagrams: u64,
    pub connections: u64,
    pub initial_packets_opened: u64,
    /// With a key log: Handshake, 0-RTT and 1-RTT packets opened.
    pub handshake_packets_opened: u64,
    pub zero_rtt_packets_opened: u64,
    pub one_rtt_packets_opened: u64,
    pub packets_not_opened: u64,
    pub version_negotiations: u64,
    pub connections_evicted: u64,
    pub crypto_bytes_dropped: u64,
    /// With a key log still being written: packets held until their secrets arrived, and of
    /// those, the ones handled without waiting longer (timeout, cap, eviction, capture end).
    pub packets_held: u64,
    pub packets_held_given_up: u64,
    /// Datagrams of known connections whose bytes from some point did not frame as a packet (a
    /// long header cut short or corrupt): those bytes were dropped. Zero padding is not counted.
    pub malformed_datagrams: u64,
}

struct Conn {
    id: u64,
    version: u32,
    /// Keys of the client's and the server's Initial packets.
    keys: [PacketKeys; 2],
    largest: [Option<u64>; 2],
    crypto: [CryptoStream; 2],
    server_cid: Option<Vec<u8>>,
    /// The client's Source Connection ID's length: the server's short headers carry it.
    client_cid_len: usize,
    protected: Option<Box<Protected>>,
    /// Packets waiting for secrets from a key log still being written.
    held: Option<Box<held::Held>>,
    /// A wait for secrets timed out or overflowed: nothing more is held (as TCP's records).
    gave_up_waiting: bool,
}

/// The QUIC connections of a run.
pub struct QuicTable {
    cfg: QuicConfig,
    conns: UdpConns<Box<Conn>>,
    stats: QuicStats,
    /// The key log is still being written: hold packets whose secrets are not in it yet.
    wait_for_keys: bool,
    hold: held::HoldBudget,
    /// The capture second in which held packets' timeouts were last checked (once a second).
    last_hold_check: Option<i64>,
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
        let conns = UdpConns::new(cfg.max_connections, cfg.idle_timeout_secs, STREAM_ID_BIT);
        let hold = held::HoldBudget {
            per_connection: cfg.max_held_bytes,
            total_max: cfg.max_held_total,
            total: 0,
            crypto_cap: cfg.max_crypto_bytes,
        };
        QuicTable { cfg, conns, stats: QuicStats::default(), wait_for_keys: false, hold, last_hold_check: None }
    }

    /// The key log is still being written (live capture): hold a connection's packets briefly
    /// when their secrets are not in it yet.
    pub fn wait_for_keys(&mut self, yes: bool) {
        self.wait_for_keys = yes;
    }

    /// Replays the held packets whose secrets have arrived, in order, and those of connections
    /// that waited too long at `now`.
    pub fn release_held(&mut self, now: Timestamp, out: &mut dyn QuicSink) {
        self.release_each(now, held::GiveUp::No, out);
    }

    /// Connections with held packets, in order of creation, each released.
    fn release_each(&mut self, now: Timestamp, give_up: held::GiveUp, out: &mut dyn QuicSink) {
        let mut holding: Vec<&mut UdpConn<Box<Conn>>> =
            self.conns.iter_mut().filter(|c| c.state.held.is_some()).collect();
        holding.sort_unstable_by_key(|c| c.id);
        for c in holding {
            held::release(&mut c.state, &mut self.stats, &mut self.hold, now, give_up, out);
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
    pub fn datagram(&mut self, d: &UdpDatagram<'_>, ts: Timestamp, out: &mut dyn QuicSink) {
        // Held packets wait less long than an idle connection lives: those of a connection
        // about to expire have been handled by then.
        if self.hold.total > 0 && self.last_hold_check.is_none_or(|s| ts.secs > s) {
            self.last_hold_check = Some(ts.secs);
            self.release_each(ts, held::GiveUp::No, out);
        }
        self.conns.expire(ts, &mut |stream| out.event(QuicEvent::Closed { stream, reason: EndReason::Timeout }));
        let (key, from) = match self.conns.find(d.src, d.dst) {
            Some((key, from_client)) => (key, if from_client { Side::Initiator } else { Side::Responder }),
            None => {
                if !self.try_open(d, ts, out) {
                    return;
                }
                ((d.src, d.dst), Side::Initiator)
            }
        };
        self.stats.datagrams = self.stats.datagrams.saturating_add(1);
        let Some(slot) = self.conns.get_mut(&key) else { return };
        slot.last_seen = ts;
        let conn = &mut slot.state;
        let cap = self.cfg.max_crypto_bytes;
        let mut rest = d.payload;
        while !rest.is_empty() {
            let Some((framed, next)) = packet::frame(rest) else {
                if rest.iter().any(|b| *b != 0) {
                    self.stats.malformed_datagrams = self.stats.malformed_datagrams.saturating_add(1);
                }
                break;
            };
            let bytes = rest.get(..rest.len().saturating_sub(next.len())).unwrap_or_default();
            rest = next;
            if self.wait_for_keys && held::hold(conn, &mut self.stats, &mut self.hold, from, &framed, bytes, ts, out) {
                continue;
            }
            handle_packet(conn, &mut self.stats, from, framed, cap, out);
        }
    }

    /// A datagram from unknown addresses: a new connection if it starts with a client Initial
    /// that opens with the keys of its Destination Connection ID.
    fn try_open(&mut self, d: &UdpDatagram<'_>, ts: Timestamp, out: &mut dyn QuicSink) -> bool {
        let Some((Framed::Long(p), _)) = packet::frame(d.payload) else { return false };
        if p.ptype != Some(PacketType::Initial) {
            return false;
        }
        let Some((client_keys, server_keys)) = PacketKeys::initial(p.version, p.dcid) else { return false };
        if packet::open(&client_keys, &p, None).is_none() {
            return false;
        }
        let stats = &mut self.stats;
        let hold = &mut self.hold;
        let id = self.conns.open_with(
            (d.src, d.dst),
            ts,
            |id| {
                Box::new(Conn {
                    id,
                    version: p.version,
                    keys: [client_keys, server_keys],
                    largest: [None, None],
                    crypto: [CryptoStream::default(), CryptoStream::default()],
                    server_cid: None,
                    client_cid_len: p.scid.len(),
                    protected: None,
                    held: None,
                    gave_up_waiting: false,
                })
            },
            &mut |mut c| {
                held::release(&mut c.state, stats, hold, ts, held::GiveUp::Evicted, out);
                stats.connections_evicted = stats.connections_evicted.saturating_add(1);
                out.event(QuicEvent::Closed { stream: c.id, reason: EndReason::Evicted });
            },
        );
        self.stats.connections = self.stats.connections.saturating_add(1);
        let info = QuicInfo {
            version: p.version,
            version_name: packet::version_info(p.version).name,
            original_dcid: p.dcid.to_vec(),
            client_cid: p.scid.to_vec(),
        };
        out.event(QuicEvent::Opened { stream: id, client: d.src, server: d.dst, info });
        true
    }

    /// End of capture: handles the packets still held for secrets, then closes every
    /// connection, in order of creation.
    pub fn finish(&mut self, out: &mut dyn QuicSink) {
        let now = self.conns.iter_mut().map(|c| c.last_seen).max().unwrap_or_default();
        self.release_each(now, held::GiveUp::CaptureEnd, out);
        self.conns.finish(&mut |stream| out.event(QuicEvent::Closed { stream, reason: EndReason::CaptureEnd }));
    }
}

/// The server's first long-header packet names the connection id it chose: kept (its short
/// headers carry it) and told once.
fn learn_server_cid(conn: &mut Conn, from: Side, scid: &[u8], out: &mut dyn QuicSink) {
    if from == Side::Responder && conn.server_cid.is_none() {
        conn.server_cid = Some(scid.to_vec());
        out.event(QuicEvent::ServerConnectionId { stream: conn.id, cid: scid });
    }
}

fn handle_packet(
    conn: &mut Conn,
    stats: &mut QuicStats,
    from: Side,
    framed: Framed<'_>,
    cap: usize,
    out: &mut dyn QuicSink,
) {
    let stream = conn.id;
    let p = match framed {
        Framed::Short { len, bytes } => {
            if !open_protected(conn, stats, from, Space::OneRtt(bytes), cap, out) {
                stats.packets_not_opened = stats.packets_not_opened.saturating_add(1);
                out.event(QuicEvent::Sealed { stream, from, packet: "1-RTT", length: len });
            }
            return;
        }
        Framed::Long(p) => p,
    };
    match p.ptype {
        None => {
            stats.version_negotiations = stats.version_negotiations.saturating_add(1);
            let text = version_negotiation_text(&p);
            out.event(QuicEvent::Note { stream, from, text });
            return;
        }
        Some(PacketType::Retry) => {
            let text = format!(
                "Retry ({} bytes, a {}-byte token): the server checks the client's address before keeping any state (RFC 9000 8.1); the client's next Initials carry the token and go to connection id {}",
                p.bytes.len(),
                p.token.len(),
                hex(p.scid)
            );
            out.event(QuicEvent::Note { stream, from, text });
            return;
        }
        Some(PacketType::Initial) => {}
        Some(other) => {
            learn_server_cid(conn, from, p.scid, out);
            let space = if other == PacketType::Handshake { Space::Handshake(&p) } else { Space::ZeroRtt(&p) };
            if !open_protected(conn, stats, from, space, cap, out) {
                stats.packets_not_opened = stats.packets_not_opened.saturating_add(1);
                out.event(QuicEvent::Sealed { stream, from, packet: other.name(), length: p.bytes.len() });
            }
            return;
        }
    }
    let i = index(from);
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
            // A client answering a Retry may start a new TLS handshake (aioquic does: a new
            // ClientHello, a new random): its CRYPTO stream starts again at offset 0.
            conn.crypto = [CryptoStream::default(), CryptoStream::default()];
            opened = Some(o);
        }
    }
    let Some(opened) = opened else {
        stats.packets_not_opened = stats.packets_not_opened.saturating_add(1);
        return;
    };
    stats.initial_packets_opened = stats.initial_packets_opened.saturating_add(1);
    // Learnt once the Initial opens: anyone can send a packet from the server's address.
    learn_server_cid(conn, from, p.scid, out);
    if let Some(l) = conn.largest.get_mut(i) {
        *l = Some(l.map_or(opened.packet_number, |l| l.max(opened.packet_number)));
    }
    let cap = cap.saturating_sub(held_elsewhere(conn, i, None));
    if let Some(s) = conn.crypto.get_mut(i) {
        deliver_frames(frames::parse(&opened.payload), s, cap, stats, out, (stream, from, false));
    }
}

/// An opened packet's frames: CRYPTO data into its stream (what becomes contiguous told as
/// `Crypto`), HANDSHAKE_DONE and CONNECTION_CLOSE told as notes. `to` is the connection, the
/// sender and whether the packet was opened with a key log's secrets.
fn deliver_frames(
    frames: Vec<frames::Frame<'_>>,
    s: &mut CryptoStream,
    cap: usize,
    stats: &mut QuicStats,
    out: &mut dyn QuicSink,
    (stream, from, decrypted): (u64, Side, bool),
) {
    let mut bytes = Vec::new();
    let mut notes = Vec::new();
    for f in frames {
        match f {
            frames::Frame::Crypto { offset, data } => s.add(offset, data, cap, &mut |b| bytes.extend_from_slice(b)),
            frames::Frame::HandshakeDone => notes.push("HANDSHAKE_DONE (the handshake is confirmed)".to_string()),
            frames::Frame::ConnectionClose { error, reason, .. } => notes.push(format!(
                "CONNECTION_CLOSE error 0x{error:x}{}",
                if reason.is_empty() { String::new() } else { format!(": {}", String::from_utf8_lossy(reason)) }
            )),
            _ => {}
        }
    }
    stats.crypto_bytes_dropped = stats.crypto_bytes_dropped.saturating_add(std::mem::take(&mut s.dropped));
    if !bytes.is_empty() {
        out.event(QuicEvent::Crypto { stream, from, bytes: &bytes, decrypted });
    }
    for text in notes {
        out.event(QuicEvent::Note { stream, from, text });
    }
}

/// A Version Negotiation packet, said with the versions the server offers.
fn version_negotiation_text(p: &packet::LongPacket<'_>) -> String {
    // The versions follow the header: first byte, version, two connection ids.
    let header = 7usize.saturating_add(p.dcid.len()).saturating_add(p.scid.len());
    let versions: Vec<String> = p
        .bytes
        .get(header..)
        .unwrap_or_default()
        .chunks_exact(4)
        .filter_map(|c| <[u8; 4]>::try_from(c).ok())
        .map(|c| {
            let v = u32::from_be_bytes(c);
            format!("0x{v:08x} ({})", packet::version_info(v).name)
        })
        .collect();
    format!("Version Negotiation: the server offers {}", versions.join(", "))
}

/// Out-of-order CRYPTO bytes direction `d` holds in the spaces other than `space` (None: the
/// Initial space): the cap is per direction whatever the space, so a connection with a key log
/// holds no more than the memory budget sized the cap for.
fn held_elsewhere(conn: &Conn, d: usize, space: Option<usize>) -> usize {
    let initial = if space.is_some() { conn.crypto.get(d).map_or(0, CryptoStream::held_bytes) } else { 0 };
    let protected = conn.protected.as_ref().map_or(0, |p| {
        p.crypto
            .iter()
            .enumerate()
            .filter(|(s, _)| Some(*s) != space)
            .filter_map(|(_, c)| c.get(d))
            .fold(0usize, |n, c| n.saturating_add(c.held_bytes()))
    });
    initial.saturating_add(protected)
}

/// A packet past the Initial space.
enum Space<'p, 'a> {
    Handshake(&'p packet::LongPacket<'a>),
    ZeroRtt(&'p packet::LongPacket<'a>),
    OneRtt(&'a [u8]),
}

/// The TLS secret a space and direction's keys come from.
fn secret_of(s: &crate::crypto::Secrets, space: usize, client: bool) -> Option<&[u8]> {
    let secret = match (space, client) {
        (HANDSHAKE, true) => &s.client_handshake,
        (HANDSHAKE, false) => &s.server_handshake,
        (_, true) => &s.client_app0,
        (_, false) => &s.server_app0,
    };
    secret.as_deref()
}

/// Opens a Handshake, 0-RTT or 1-RTT packet with keys from the connection's TLS secrets (asked
/// of the sink when missing) and hands its CRYPTO bytes and HANDSHAKE_DONE on. False when it
/// stays sealed.
fn open_protected(
    conn: &mut Conn,
    stats: &mut QuicStats,
    from: Side,
    packet: Space<'_, '_>,
    cap: usize,
    out: &mut dyn QuicSink,
) -> bool {
    let stream = conn.id;
    let d = index(from);
    let v2 = packet::version_info(conn.version).v2;
    let space = match packet {
        Space::Handshake(_) => HANDSHAKE,
        Space::OneRtt(_) => ONE_RTT,
        Space::ZeroRtt(p) => {
            if from != Side::Initiator {
                return false;
            }
            return open_zero_rtt(conn, stats, p, v2, out);
        }
    };
    let cap = cap.saturating_sub(held_elsewhere(conn, d, Some(space)));
    // Past the first 1-RTT packets nothing is opened, nor asked for.
    if space == ONE_RTT
        && conn.protected.as_ref().is_some_and(|p| p.one_rtt_opened.get(d).is_none_or(|n| *n >= MAX_ONE_RTT_OPENED))
    {
        return false;
    }
    let have =
        conn.protected.as_ref().is_some_and(|p| p.keys.get(space).and_then(|k| k.get(d)).is_some_and(Option::is_some));
    let fresh = if have { None } else { out.secrets(stream) };
    // Without a key log nothing is allocated.
    if conn.protected.is_none() && fresh.is_none() {
        return false;
    }
    let prot = conn.protected.get_or_insert_with(Box::default);
    if let Some(s) = fresh
        && let Some(suite) = s.suite
        && let Some(keys) =
            secret_of(&s.secrets, space, from == Side::Initiator).and_then(|k| PacketKeys::from_secret(suite, k, v2))
        && let Some(slot) = prot.keys.get_mut(space).and_then(|k| k.get_mut(d))
    {
        *slot = Some(keys);
    }
    let Some(keys) = prot.keys.get(space).and_then(|k| k.get(d)).and_then(Option::as_ref) else { return false };
    let largest = prot.largest.get(space).and_then(|l| l.get(d)).copied().flatten();
    let opened = match packet {
        Space::Handshake(p) => packet::open(keys, p, largest),
        Space::OneRtt(bytes) => {
            // The short header carries the receiver's connection id: the server's (as its
            // first packets said) toward it, the client's toward the client.
            let dcid_len = if from == Side::Initiator {
                conn.server_cid.as_ref().map_or(0, Vec::len)
            } else {
                conn.client_cid_len
            };
            packet::open_short(keys, bytes, dcid_len, largest)
        }
        Space::ZeroRtt(_) => None,
    };
    let Some(opened) = opened else { return false };
    if let Some(l) = prot.largest.get_mut(space).and_then(|l| l.get_mut(d)) {
        *l = Some(l.map_or(opened.packet_number, |l| l.max(opened.packet_number)));
    }
    if space == HANDSHAKE {
        stats.handshake_packets_opened = stats.handshake_packets_opened.saturating_add(1);
    } else {
        stats.one_rtt_packets_opened = stats.one_rtt_packets_opened.saturating_add(1);
        if let Some(n) = prot.one_rtt_opened.get_mut(d) {
            *n = n.saturating_add(1);
        }
    }
    let frames = if space == HANDSHAKE { frames::parse(&opened.payload) } else { frames::parse_app(&opened.payload) };
    if let Some(s) = prot.crypto.get_mut(space).and_then(|c| c.get_mut(d)) {
        deliver_frames(frames, s, cap, stats, out, (stream, from, true));
    }
    true
}

/// A 0-RTT packet opens with the client's early traffic secret, under the resumed session's
/// suite, which the ServerHello has not named yet: each suite is tried until one opens.
fn open_zero_rtt(
    conn: &mut Conn,
    stats: &mut QuicStats,
    p: &packet::LongPacket<'_>,
    v2: bool,
    out: &mut dyn QuicSink,
) -> bool {
    let stream = conn.id;
    let have = conn.protected.as_ref().is_some_and(|p| p.early.is_some());
    let fresh = if have { None } else { out.secrets(stream) };
    if conn.protected.is_none() && fresh.is_none() {
        return false;
    }
    let prot = conn.protected.get_or_insert_with(Box::default);
    let largest = prot.early_largest;
    let mut opened = prot.early.as_ref().and_then(|k| packet::open(k, p, largest));
    if let Some(s) = fresh
        && let Some(early) = s.secrets.client_early.as_deref()
    {
        let suites = s.suite.map_or(vec![0x1301, 0x1302, 0x1303], |s| vec![s]);
        for suite in suites {
            let Some(keys) = PacketKeys::from_secret(suite, early, v2) else { continue };
            if let Some(o) = packet::open(&keys, p, None) {
                prot.early = Some(keys);
                opened = Some(o);
                break;
            }
        }
    }
    let Some(opened) = opened else { return false };
    prot.early_largest = Some(prot.early_largest.map_or(opened.packet_number, |l| l.max(opened.packet_number)));
    stats.zero_rtt_packets_opened = stats.zero_rtt_packets_opened.saturating_add(1);
    let (mut stream_frames, mut stream_bytes) = (0u32, 0usize);
    for f in frames::parse_app(&opened.payload) {
        if let frames::Frame::Stream { data, .. } = f {
            stream_frames = stream_frames.saturating_add(1);
            stream_bytes = stream_bytes.saturating_add(data.len());
        }
    }
    out.event(QuicEvent::EarlyData { stream, length: p.bytes.len(), stream_frames, stream_bytes });
    true
}
