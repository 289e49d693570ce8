//! RFC 9001 Appendix A (v1) and RFC 9369 Appendix A (v2) vectors, frames, CRYPTO reassembly and
//! the connection table's bounds.

use super::packet::{self, Framed, KeyMaterial, PacketKeys, VERSION_1, VERSION_2, initial_material};
use super::stream::CryptoStream;
use super::*;

fn h(s: &str) -> Vec<u8> {
    const_hex::decode(s.replace([' ', '\n'], "")).unwrap()
}

const DCID: &str = "8394c8f03e515708";

fn material(secret: &str, key: &str, iv: &str, hp: &str) -> KeyMaterial {
    KeyMaterial { secret: h(secret), key: h(key), iv: h(iv), hp: h(hp) }
}

#[test]
fn v1_initial_secrets_match_rfc9001_a1() {
    let (c, s) = initial_material(VERSION_1, &h(DCID)).unwrap();
    assert_eq!(
        c,
        material(
            "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea",
            "1f369613dd76d5467730efcbe3b1a22d",
            "fa044b2f42a3fd3b46fb255c",
            "9f50449e04a0e810283a1e9933adedd2"
        )
    );
    assert_eq!(
        s,
        material(
            "3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b",
            "cf3a5331653c364c88f0f379b6067e37",
            "0ac1493ca1905853b0bba03e",
            "c206b8d9b9f0f37644430b490eeaa314"
        )
    );
}

#[test]
fn v2_initial_secrets_match_rfc9369_a1() {
    let (c, s) = initial_material(VERSION_2, &h(DCID)).unwrap();
    assert_eq!(
        c,
        material(
            "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b",
            "8b1a0bc121284290a29e0971b5cd045d",
            "91f73e2351d8fa91660e909f",
            "45b95e15235d6f45a6b19cbcb0294ba9"
        )
    );
    assert_eq!(
        s,
        material(
            "0263db1782731bf4588e7e4d93b7463907cb8cd8200b5da55a8bd488eafc37c1",
            "82db637861d55e1d011f19ea71d5d2a7",
            "dd13c276499c0249d3310652",
            "edf6d05c83121201b436e16877593c3a"
        )
    );
}

/// RFC 9001 A.3: the server's Initial, protected.
const SERVER_INITIAL_V1: &str = "cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc42158407dd074ee";
const SERVER_PAYLOAD: &str = "02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf73988cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c940d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00020304";

#[test]
fn v1_server_initial_opens_as_rfc9001_a3() {
    let bytes = h(SERVER_INITIAL_V1);
    let (_, server) = PacketKeys::initial(VERSION_1, &h(DCID)).unwrap();
    let Some((Framed::Long(p), rest)) = packet::frame(&bytes) else { panic!("not framed") };
    assert!(rest.is_empty());
    assert_eq!(p.ptype, Some(packet::PacketType::Initial));
    assert_eq!(p.scid, h("f067a5502a4262b5").as_slice());
    let opened = packet::open(&server, &p, None).unwrap();
    assert_eq!(opened.packet_number, 1);
    assert_eq!(opened.payload, h(SERVER_PAYLOAD));
    let frames = frames::parse(&opened.payload);
    assert_eq!(frames[0], frames::Frame::Ack { largest: 0 });
    let frames::Frame::Crypto { offset: 0, data } = &frames[1] else { panic!("{frames:?}") };
    assert_eq!(data.len(), 90);
    assert_eq!(data[0], 2, "a ServerHello");
}

/// Builds a protected long-header Initial the way a sender does (RFC 9001 5.3, 5.4).
pub(crate) fn seal_initial(
    version: u32,
    keys: &PacketKeys,
    dcid: &[u8],
    scid: &[u8],
    pn: u32,
    payload: &[u8],
) -> Vec<u8> {
    let first = if version == VERSION_2 { 0xd3 } else { 0xc3 }; // Initial, 4-byte packet number
    let mut header = vec![first];
    header.extend_from_slice(&version.to_be_bytes());
    header.push(dcid.len() as u8);
    header.extend_from_slice(dcid);
    header.push(scid.len() as u8);
    header.extend_from_slice(scid);
    header.push(0); // no token
    let len = 4 + payload.len() + 16;
    header.extend_from_slice(&((len as u16) | 0x4000).to_be_bytes());
    let pn_offset = header.len();
    header.extend_from_slice(&pn.to_be_bytes());
    let sealed = keys.seal(u64::from(pn), &header, payload).unwrap();
    let mut packet = header;
    packet.extend_from_slice(&sealed);
    let mask = keys.mask(&packet[pn_offset + 4..pn_offset + 20]).unwrap();
    packet[0] ^= mask[0] & 0x0f;
    for i in 0..4 {
        packet[pn_offset + i] ^= mask[1 + i];
    }
    packet
}

fn crypto_frame(offset: u64, data: &[u8]) -> Vec<u8> {
    let mut f = vec![0x06, 0x80 | (offset >> 24) as u8, (offset >> 16) as u8, (offset >> 8) as u8, offset as u8];
    f.extend_from_slice(&(0x4000u16 | data.len() as u16).to_be_bytes());
    f.extend_from_slice(data);
    f
}

#[test]
fn v2_packets_round_trip_with_header_protection() {
    let dcid = h(DCID);
    let (client, _) = PacketKeys::initial(VERSION_2, &dcid).unwrap();
    let mut payload = crypto_frame(0, b"\x01\x00\x00\x02hi");
    payload.resize(1162, 0);
    let bytes = seal_initial(VERSION_2, &client, &dcid, &[], 2, &payload);
    let Some((Framed::Long(p), _)) = packet::frame(&bytes) else { panic!() };
    assert_eq!(p.ptype, Some(packet::PacketType::Initial), "v2 type bits 01 are Initial");
    let opened = packet::open(&client, &p, None).unwrap();
    assert_eq!((opened.packet_number, opened.payload), (2, payload));
    // The v1 keys of the same id do not open it.
    let (v1, _) = PacketKeys::initial(VERSION_1, &dcid).unwrap();
    assert!(packet::open(&v1, &p, None).is_none());
}

#[test]
fn versions_are_named() {
    assert_eq!(packet::version_info(VERSION_1).name, "QUIC v1");
    assert_eq!(packet::version_info(VERSION_2).name, "QUIC v2");
    assert_eq!(packet::version_info(0xff00_001d).name, "draft-29");
    assert_eq!(packet::version_info(0xff00_0017).name, "draft-23");
    assert_eq!(packet::version_info(0x1a2a_3a4a).name, "reserved (greased)");
}

#[test]
fn packet_numbers_decode_as_rfc9000_a3() {
    assert_eq!(packet::decode_packet_number(Some(0xa82f30ea), 0x9b32, 2), 0xa82f9b32);
    assert_eq!(packet::decode_packet_number(None, 7, 1), 7);
    assert_eq!(packet::decode_packet_number(Some(u64::MAX), 0xff, 1), u64::MAX);
}

#[test]
fn crypto_stream_reorders_and_deduplicates() {
    let mut s = CryptoStream::default();
    let mut out = Vec::new();
    s.add(5, b"fghij", 100, &mut |b| out.extend_from_slice(b));
    s.add(3, b"de", 100, &mut |b| out.extend_from_slice(b));
    assert!(out.is_empty());
    s.add(0, b"abcd", 100, &mut |b| out.extend_from_slice(b));
    s.add(2, b"cdefg", 100, &mut |b| out.extend_from_slice(b));
    s.add(10, b"k", 100, &mut |b| out.extend_from_slice(b));
    assert_eq!(out, b"abcdefghijk");
    assert_eq!(s.held_bytes(), 0);
    // Beyond the cap: dropped and counted.
    s.add(100, &[0; 50], 10, &mut |_| panic!());
    assert_eq!((s.held_bytes(), s.dropped), (0, 50));
}

#[test]
fn frames_parse_with_padding_ping_ack_and_close() {
    let mut payload = vec![0, 0, 0, 0x01, 0x03, 0x05, 0x00, 0x01, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00];
    payload.extend_from_slice(&crypto_frame(3, b"xyz"));
    payload.extend_from_slice(&[0x1c, 0x0a, 0x06, 0x02, b'n', b'o']);
    let frames = frames::parse(&payload);
    use frames::Frame::*;
    assert_eq!(
        frames,
        vec![
            Padding(3),
            Ping,
            Ack { largest: 5 },
            Crypto { offset: 3, data: b"xyz" },
            ConnectionClose { error: 10, frame_type: Some(6), reason: b"no" }
        ]
    );
    assert_eq!(frames::parse(&[0x08, 1, 2]), vec![Other(8)]);
}

fn udp(src: &str, dst: &str, payload: &[u8]) -> (std::net::SocketAddr, std::net::SocketAddr, Vec<u8>) {
    (src.parse().unwrap(), dst.parse().unwrap(), payload.to_vec())
}

#[derive(Debug, PartialEq)]
enum Seen {
    Opened(u64, u32),
    Crypto(u64, Side, Vec<u8>),
    Closed(u64, EndReason),
    Other,
}

fn feed(t: &mut QuicTable, dgrams: &[(std::net::SocketAddr, std::net::SocketAddr, Vec<u8>)], secs: i64) -> Vec<Seen> {
    let mut seen = Vec::new();
    for (src, dst, payload) in dgrams {
        let d = UdpDatagram { src: *src, dst: *dst, payload };
        t.datagram(&d, Timestamp::new(secs, 0, 6), &mut |ev: QuicEvent<'_>| {
            // The server's connection id is checked on the fixtures (tests/quic.rs).
            if let QuicEvent::ServerConnectionId { .. } = ev {
                return;
            }
            seen.push(match ev {
                QuicEvent::Opened { stream, info, .. } => Seen::Opened(stream & !STREAM_ID_BIT, info.version),
                QuicEvent::Crypto { stream, from, bytes, .. } => {
                    Seen::Crypto(stream & !STREAM_ID_BIT, from, bytes.to_vec())
                }
                QuicEvent::Closed { stream, reason } => Seen::Closed(stream & !STREAM_ID_BIT, reason),
                _ => Seen::Other,
            })
        });
    }
    seen
}

#[test]
fn a_client_hello_over_two_initials_out_of_order_with_coalesced_duplicate() {
    let dcid = h("0011223344556677");
    let (client, server) = PacketKeys::initial(VERSION_1, &dcid).unwrap();
    let hello: Vec<u8> = (0..1500u32).map(|i| i as u8).collect();
    let mut p1 = crypto_frame(0, &hello[..1000]);
    p1.resize(1100, 0);
    let mut p2 = crypto_frame(1000, &hello[1000..]);
    p2.resize(1100, 0);
    let first = seal_initial(VERSION_1, &client, &dcid, b"cc", 0, &p1);
    let second = seal_initial(VERSION_1, &client, &dcid, b"cc", 1, &p2);
    // The server's Initial coalesced with a duplicate of the client's first in one datagram
    // makes no sense on the wire; two of the server's own packets do.
    let sh = seal_initial(VERSION_1, &server, b"cc", b"ss", 0, &crypto_frame(0, b"\x02\x00\x00\x01z"));
    let mut coalesced = sh.clone();
    coalesced.extend_from_slice(&seal_initial(VERSION_1, &server, b"cc", b"ss", 1, &crypto_frame(0, b"\x02\x00")));
    let mut t = QuicTable::new(QuicConfig::default());
    let c = "10.0.0.1:5000";
    let s = "10.0.0.2:4433";
    // The second Initial alone does not open a connection: it does (its keys work), and holds
    // its bytes until the first arrives.
    let seen = feed(&mut t, &[udp(c, s, &second), udp(c, s, &first), udp(c, s, &first), udp(s, c, &coalesced)], 1);
    assert_eq!(
        seen,
        vec![
            Seen::Opened(1, VERSION_1),
            Seen::Crypto(1, Side::Initiator, hello.clone()),
            Seen::Crypto(1, Side::Responder, b"\x02\x00\x00\x01z".to_vec()),
        ]
    );
    let mut closed = Vec::new();
    t.finish(&mut |ev: QuicEvent<'_>| closed.push(format!("{ev:?}")));
    assert_eq!(closed.len(), 1);
}

/// The server's connection id comes from its first Initial that opens, not from a packet
/// sent from its address that does not.
#[test]
fn the_server_connection_id_is_taken_from_an_initial_that_opens() {
    let dcid = h("0011223344556677");
    let (client, server) = PacketKeys::initial(VERSION_1, &dcid).unwrap();
    let mut hello = crypto_frame(0, b"\x01\x00\x00\x01h");
    hello.resize(1200, 0);
    let first = seal_initial(VERSION_1, &client, &dcid, b"cc", 0, &hello);
    // Sealed with the client's keys: it does not open as the server's.
    let forged = seal_initial(VERSION_1, &client, b"cc", b"ff", 0, &crypto_frame(0, b"\x02\x00"));
    let genuine = seal_initial(VERSION_1, &server, b"cc", b"ss", 0, &crypto_frame(0, b"\x02\x00\x00\x01z"));
    let mut t = QuicTable::new(QuicConfig::default());
    let (c, s) = ("10.0.0.1:5000", "10.0.0.2:4433");
    let mut cids = Vec::new();
    for (src, dst, payload) in [udp(c, s, &first), udp(s, c, &forged), udp(s, c, &genuine)] {
        let d = UdpDatagram { src, dst, payload: &payload };
        t.datagram(&d, Timestamp::new(1, 0, 6), &mut |ev: QuicEvent<'_>| {
            if let QuicEvent::ServerConnectionId { cid, .. } = ev {
                cids.push(cid.to_vec());
            }
        });
    }
    assert_eq!(cids, [b"ss".to_vec()]);
}

/// Bytes after a datagram's packets that do not frame as one are counted; zero padding is not.
#[test]
fn a_datagram_tail_that_does_not_frame_is_counted() {
    let dcid = h("0011223344556677");
    let (client, _) = PacketKeys::initial(VERSION_1, &dcid).unwrap();
    let mut hello = crypto_frame(0, b"\x01\x00\x00\x01h");
    hello.resize(1200, 0);
    let first = seal_initial(VERSION_1, &client, &dcid, b"cc", 0, &hello);
    let padded = [&first[..], &[0u8; 30]].concat();
    // A long header cut short after its version.
    let cut = [&first[..], &[0xc0, 0, 0, 0, 1, 8]].concat();
    let mut t = QuicTable::new(QuicConfig::default());
    let (c, s) = ("10.0.0.1:5000", "10.0.0.2:4433");
    feed(&mut t, &[udp(c, s, &first), udp(c, s, &padded)], 1);
    assert_eq!(t.stats().malformed_datagrams, 0);
    feed(&mut t, &[udp(c, s, &cut)], 1);
    assert_eq!(t.stats().malformed_datagrams, 1);
}

#[test]
fn a_flood_of_initials_with_random_ids_stays_within_the_table() {
    let cfg = QuicConfig { max_connections: 32, ..QuicConfig::default() };
    let mut t = QuicTable::new(cfg);
    let mut evicted = 0;
    for i in 0..1000u32 {
        let dcid = i.to_be_bytes().repeat(2);
        let (client, _) = PacketKeys::initial(VERSION_1, &dcid).unwrap();
        let mut payload = crypto_frame(0, b"\x01\x00\x00\x00");
        payload.resize(1162, 0);
        let pkt = seal_initial(VERSION_1, &client, &dcid, &[], 0, &payload);
        let src = format!("10.{}.{}.1:{}", i >> 8, i & 0xff, 1024 + i);
        let seen = feed(&mut t, &[udp(&src, "10.0.0.2:443", &pkt)], 1);
        evicted += seen.iter().filter(|s| matches!(s, Seen::Closed(_, EndReason::Evicted))).count();
        assert!(t.open_connections() <= 32);
    }
    assert_eq!(evicted, 1000 - 32);
    assert!(t.conns.queued() <= 32 * 2 + 64);
    // Garbage on UDP leaves nothing behind.
    let mut t = QuicTable::new(QuicConfig::default());
    let garbage: Vec<u8> = (0..1200u32).map(|i| (i * 7) as u8 | 0xc0).collect();
    assert!(feed(&mut t, &[udp("10.0.0.1:1", "10.0.0.2:2", &garbage)], 1).is_empty());
    assert_eq!(t.open_connections(), 0);
}

#[test]
fn idle_connections_expire() {
    let dcid = h("0102030405060708");
    let (client, _) = PacketKeys::initial(VERSION_1, &dcid).unwrap();
    let mut payload = crypto_frame(0, b"\x01\x00\x00\x00");
    payload.resize(1162, 0);
    let pkt = seal_initial(VERSION_1, &client, &dcid, &[], 0, &payload);
    let mut t = QuicTable::new(QuicConfig { idle_timeout_secs: 5, ..QuicConfig::default() });
    feed(&mut t, &[udp("10.0.0.1:1", "10.0.0.2:443", &pkt)], 1);
    assert_eq!(t.open_connections(), 1);
    let seen = feed(&mut t, &[udp("10.0.0.9:1", "10.0.0.2:53", b"dns")], 10);
    assert_eq!(seen, vec![Seen::Closed(1, EndReason::Timeout)]);
    assert_eq!(t.open_connections(), 0);
}

#[test]
fn the_memory_budget_bounds_connections_and_crypto_bytes() {
    for limit in [16usize << 20, 64 << 20, 1 << 30] {
        let b = crate::budget::MemoryBudget::new(limit);
        let cfg = b.quic_config(&QuicConfig::default(), 30);
        let held = cfg.max_connections * 2 * cfg.max_crypto_bytes;
        assert!(held <= b.share(crate::budget::Part::Reassembly), "{limit}: {cfg:?}");
        assert!(cfg.max_connections * 16384 <= b.share(crate::budget::Part::Flows).max(16 * 16384), "{cfg:?}");
    }
}

/// RFC 9001 A.5: a 1-RTT packet protected with ChaCha20-Poly1305 and ChaCha20 header
/// protection, from its traffic secret (the keys a key log's secrets make).
#[test]
fn rfc9001_chacha20_short_header_packet_opens() {
    let secret = h("9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b");
    let keys = PacketKeys::from_secret(0x1303, &secret, false).unwrap();
    let packet = h("4cfe4189655e5cd55c41f69080575d7999c25a5bfb");
    let opened = packet::open_short(&keys, &packet, 0, Some(654_360_563)).unwrap();
    assert_eq!(opened.packet_number, 654_360_564);
    assert_eq!(opened.payload, [0x01], "a PING frame");
    // Another suite's keys from the same secret do not open it.
    let aes = PacketKeys::from_secret(0x1301, &secret, false).unwrap();
    assert!(packet::open_short(&aes, &packet, 0, Some(654_360_563)).is_none());
    assert!(PacketKeys::from_secret(0x1304, &secret, false).is_none(), "no CCM");
}

/// 1-RTT payloads: CRYPTO and HANDSHAKE_DONE are found past STREAM, NEW_CONNECTION_ID and
/// other frames; Initial and Handshake parsing still stops at a frame they may not carry.
#[test]
fn one_rtt_frames_are_read_past() {
    let mut payload = vec![0x0a, 0x03, 0x02, b'h', b'i']; // STREAM id 3, length 2
    payload.extend_from_slice(&[0x18, 0x01, 0x00, 0x02, 0xaa, 0xbb]); // NEW_CONNECTION_ID
    payload.extend_from_slice(&[0u8; 16]); // its reset token
    payload.extend_from_slice(&[0x10, 0x40, 0x80]); // MAX_DATA
    payload.push(0x1e); // HANDSHAKE_DONE
    payload.extend_from_slice(&[0x06, 0x00, 0x02, 0x04, 0x00]); // CRYPTO offset 0, 2 bytes
    let frames = frames::parse_app(&payload);
    assert_eq!(
        frames,
        vec![
            frames::Frame::Stream { id: 3, data: b"hi" },
            frames::Frame::Skipped(0x18),
            frames::Frame::Skipped(0x10),
            frames::Frame::HandshakeDone,
            frames::Frame::Crypto { offset: 0, data: &[0x04, 0x00] },
        ]
    );
    assert_eq!(frames::parse(&payload), vec![frames::Frame::Other(0x0a)]);
    // A STREAM frame without a length runs to the end of the packet.
    assert_eq!(frames::parse_app(&[0x08, 0x00, b'a', b'b']), vec![frames::Frame::Stream { id: 0, data: b"ab" }]);
    // A truncated STREAM frame ends parsing without a panic.
    assert_eq!(frames::parse_app(&[0x0a, 0x03, 0x09, 1]), vec![]);
}

/// A Version Negotiation packet is a note on the connection naming the versions offered, and
/// counted (a crafted one here; fixtures/captures/quic-v1-version-negotiation.pcap is aioquic's).
#[test]
fn version_negotiation_is_a_note() {
    let dcid = h("0011223344556677");
    let (client, _) = PacketKeys::initial(VERSION_1, &dcid).unwrap();
    let mut hello = crypto_frame(0, b"\x01\x00\x00\x01z");
    hello.resize(1100, 0);
    let initial = seal_initial(VERSION_1, &client, &dcid, b"cc", 0, &hello);
    // First byte (long header, random bits), version 0, the client's ids swapped, then versions.
    let mut vn = vec![0x80, 0, 0, 0, 0, 2, b'c', b'c', 8];
    vn.extend_from_slice(&dcid);
    vn.extend_from_slice(&1u32.to_be_bytes());
    vn.extend_from_slice(&0x6b33_43cfu32.to_be_bytes());
    let mut t = QuicTable::new(QuicConfig::default());
    let mut notes = Vec::new();
    for (src, dst, payload) in
        [udp("10.0.0.1:5000", "10.0.0.2:443", &initial), udp("10.0.0.2:443", "10.0.0.1:5000", &vn)]
    {
        let d = UdpDatagram { src, dst, payload: &payload };
        t.datagram(&d, Timestamp::new(1, 0, 6), &mut |ev: QuicEvent<'_>| {
            if let QuicEvent::Note { from, text, .. } = ev {
                notes.push((from, text));
            }
        });
    }
    assert_eq!(
        notes,
        [(
            Side::Responder,
            "Version Negotiation: the server offers 0x00000001 (QUIC v1), 0x6b3343cf (QUIC v2)".to_string()
        )]
    );
    assert_eq!(t.stats().version_negotiations, 1);
}

/// A sink with a key log: records events, answers with fixed secrets.
struct KeyedSink {
    secrets: crate::crypto::Secrets,
    suite: Option<u16>,
    seen: Vec<String>,
}

impl QuicSink for KeyedSink {
    fn event(&mut self, ev: QuicEvent<'_>) {
        self.seen.push(match ev {
            QuicEvent::Crypto { from, bytes, decrypted, .. } => format!("crypto {from:?} {} {decrypted}", bytes.len()),
            QuicEvent::Note { text, .. } => format!("note {text}"),
            QuicEvent::GaveUpWaiting { cause, .. } => format!("gave up: {cause}"),
            QuicEvent::EarlyData { length, stream_frames, stream_bytes, .. } => {
                format!("early {length} bytes, {stream_frames} STREAM frames, {stream_bytes} bytes")
            }
            QuicEvent::Sealed { packet, .. } => format!("sealed {packet}"),
            QuicEvent::Opened { .. } => "opened".into(),
            QuicEvent::Closed { .. } => "closed".into(),
            QuicEvent::ServerConnectionId { .. } => return,
        });
    }
    fn secrets(&mut self, _stream: u64) -> Option<QuicSecrets> {
        Some(QuicSecrets { suite: self.suite, secrets: self.secrets.clone() })
    }
}

/// A v1 long-header packet of any type (`first` carries the type bits and a 4-byte packet
/// number), without a token field unless Initial.
fn seal_long(first: u8, keys: &PacketKeys, dcid: &[u8], scid: &[u8], pn: u32, payload: &[u8]) -> Vec<u8> {
    let mut header = vec![first];
    header.extend_from_slice(&VERSION_1.to_be_bytes());
    header.push(dcid.len() as u8);
    header.extend_from_slice(dcid);
    header.push(scid.len() as u8);
    header.extend_from_slice(scid);
    header.extend_from_slice(&((4 + payload.len() as u16 + 16) | 0x4000).to_be_bytes());
    let pn_offset = header.len();
    header.extend_from_slice(&pn.to_be_bytes());
    let mut packet = header.clone();
    packet.extend_from_slice(&keys.seal(u64::from(pn), &header, payload).unwrap());
    let mask = keys.mask(&packet[pn_offset + 4..pn_offset + 20]).unwrap();
    packet[0] ^= mask[0] & 0x0f;
    for i in 0..4 {
        packet[pn_offset + i] ^= mask[1 + i];
    }
    packet
}

/// A client Initial, a 0-RTT packet (PING, STREAM "hi") under `early_suite`, the server's
/// Handshake packet (an 8-byte CRYPTO message, PING) and its 1-RTT packet (HANDSHAKE_DONE)
/// under ChaCha20, each a datagram, and the secrets that open them.
fn protected_packets(early_suite: u16) -> ([Vec<u8>; 4], crate::crypto::Secrets) {
    let dcid = h("0011223344556677");
    let (client, _) = PacketKeys::initial(VERSION_1, &dcid).unwrap();
    let mut hello = crypto_frame(0, b"\x01\x00\x00\x01z");
    hello.resize(1100, 0);
    let initial = seal_initial(VERSION_1, &client, &dcid, b"cc", 0, &hello);
    let early = vec![7u8; 48];
    let server_hs = vec![9u8; 32];
    let server_app = vec![11u8; 32];
    let zero_rtt = seal_long(
        0xd3,
        &PacketKeys::from_secret(early_suite, &early, false).unwrap(),
        &dcid,
        b"cc",
        0,
        &[0x01, 0x0a, 0x00, 0x02, b'h', b'i'],
    );
    let hs_keys = PacketKeys::from_secret(0x1303, &server_hs, false).unwrap();
    let mut hs_payload = crypto_frame(0, b"\x08\x00\x00\x02ab");
    hs_payload.push(0x01);
    let handshake = seal_long(0xe3, &hs_keys, b"cc", b"ss", 0, &hs_payload);
    // A short header toward the client: its 2-byte connection id, a 4-byte packet number.
    let app_keys = PacketKeys::from_secret(0x1303, &server_app, false).unwrap();
    let header = [0x43, b'c', b'c', 0, 0, 0, 0];
    let mut one_rtt = header.to_vec();
    one_rtt.extend_from_slice(&app_keys.seal(0, &header, &[0x1e, 0x00, 0x00, 0x00]).unwrap());
    let mask = app_keys.mask(&one_rtt[7..23]).unwrap();
    one_rtt[0] ^= mask[0] & 0x1f;
    for i in 0..4 {
        one_rtt[3 + i] ^= mask[1 + i];
    }
    let secrets = crate::crypto::Secrets {
        client_early: Some(early),
        server_handshake: Some(server_hs),
        server_app0: Some(server_app),
        ..Default::default()
    };
    ([initial, zero_rtt, handshake, one_rtt], secrets)
}

/// With secrets from the sink: a 0-RTT packet opens under the suite it was sealed with (tried
/// before the ServerHello names it), a Handshake packet under the negotiated ChaCha20 suite
/// hands its CRYPTO bytes on as decrypted, and a 1-RTT packet gives HANDSHAKE_DONE. Without
/// secrets the same packets stay sealed.
#[test]
fn packets_past_initial_open_with_the_sinks_secrets() {
    let ([initial, zero_rtt, handshake, one_rtt], secrets) = protected_packets(0x1302);
    let c = "10.0.0.1:5000";
    let s = "10.0.0.2:443";
    let run = |sink: &mut dyn QuicSink| {
        let mut t = QuicTable::new(QuicConfig::default());
        for (src, dst, payload) in
            [udp(c, s, &initial), udp(c, s, &zero_rtt), udp(s, c, &handshake), udp(s, c, &one_rtt)]
        {
            t.datagram(&UdpDatagram { src, dst, payload: &payload }, Timestamp::new(1, 0, 6), sink);
        }
        t.stats().clone()
    };
    // The suite: unknown at the 0-RTT packet, tried; the Handshake packet needs it.
    let mut keyed = KeyedSink { secrets, suite: Some(0x1303), seen: Vec::new() };
    let stats = run(&mut keyed);
    assert_eq!(
        keyed.seen,
        [
            "opened",
            "crypto Initiator 5 false",
            "sealed 0-RTT",
            "crypto Responder 6 true",
            "note HANDSHAKE_DONE (the handshake is confirmed)",
        ],
        "with the secrets"
    );
    assert_eq!(
        (stats.zero_rtt_packets_opened, stats.handshake_packets_opened, stats.one_rtt_packets_opened),
        (0, 1, 1),
        "the 0-RTT packet was sealed under AES-256-GCM, the suite given is ChaCha20: it stays sealed"
    );
    keyed.suite = None;
    keyed.seen.clear();
    let stats = run(&mut keyed);
    assert_eq!(stats.zero_rtt_packets_opened, 1, "every suite tried before the ServerHello");
    // PING and a STREAM frame of 2 bytes; the packet: header 23 bytes, payload 6, tag 16.
    assert_eq!(keyed.seen[2], "early 45 bytes, 1 STREAM frames, 2 bytes");
    assert_eq!(stats.handshake_packets_opened, 0, "no suite, no Handshake keys");
    let mut seen = Vec::new();
    let stats = run(&mut |ev: QuicEvent<'_>| seen.push(format!("{ev:?}")));
    assert_eq!(
        (stats.zero_rtt_packets_opened, stats.handshake_packets_opened, stats.one_rtt_packets_opened),
        (0, 0, 0)
    );
    assert_eq!(stats.packets_not_opened, 3);
}

/// A sink whose key log grows: secrets once `logged`, events written with their frame.
struct GrowingSink {
    secrets: crate::crypto::Secrets,
    logged: bool,
    frame: u64,
    seen: Vec<String>,
}

impl QuicSink for GrowingSink {
    fn event(&mut self, ev: QuicEvent<'_>) {
        let what = match ev {
            QuicEvent::Crypto { from, bytes, decrypted, .. } => format!("crypto {from:?} {} {decrypted}", bytes.len()),
            QuicEvent::Note { text, .. } => format!("note {text}"),
            QuicEvent::Sealed { packet, .. } => format!("sealed {packet}"),
            QuicEvent::EarlyData { stream_bytes, .. } => format!("early {stream_bytes}"),
            QuicEvent::GaveUpWaiting { packets, bytes, cause, .. } => format!("gave up {packets} {bytes}: {cause}"),
            QuicEvent::Opened { .. } => "opened".into(),
            QuicEvent::Closed { .. } => "closed".into(),
            QuicEvent::ServerConnectionId { .. } => return,
        };
        self.seen.push(format!("{} {what}", self.frame));
    }
    fn secrets(&mut self, _stream: u64) -> Option<QuicSecrets> {
        self.logged.then(|| QuicSecrets { suite: Some(0x1303), secrets: self.secrets.clone() })
    }
    fn frame(&self) -> u64 {
        self.frame
    }
    fn set_packet(&mut self, _ts: Timestamp, frame: u64) {
        self.frame = frame;
    }
}

/// The four protected-packet datagrams through a table waiting for keys, as frames 1 to 4 at
/// one second; the table and the sink after them.
fn hold_run(cfg: QuicConfig) -> (QuicTable, GrowingSink) {
    let (packets, secrets) = protected_packets(0x1303);
    let mut t = QuicTable::new(cfg);
    t.wait_for_keys(true);
    let mut sink = GrowingSink { secrets, logged: false, frame: 0, seen: Vec::new() };
    let (c, s) = ("10.0.0.1:5000", "10.0.0.2:443");
    for (i, payload) in packets.iter().enumerate() {
        let (src, dst) = if i < 2 { (c, s) } else { (s, c) };
        let (src, dst, payload) = udp(src, dst, payload);
        sink.frame = i as u64 + 1;
        t.datagram(&UdpDatagram { src, dst, payload: &payload }, Timestamp::new(1, 0, 6), &mut sink);
    }
    (t, sink)
}

/// Packets whose secrets a growing key log has not brought yet wait, and are replayed in
/// order, each with its own frame, once the secrets are there.
#[test]
fn packets_wait_for_their_secrets_and_replay_in_order() {
    let (mut t, mut sink) = hold_run(QuicConfig::default());
    assert_eq!(sink.seen, ["1 opened", "1 crypto Initiator 5 false"], "the 0-RTT packet and all after it wait");
    assert_eq!(t.stats().packets_held, 3);
    let (packets, _) = protected_packets(0x1303);
    let wire: usize = packets[1..].iter().map(Vec::len).sum();
    assert_eq!(t.hold.total, wire + 3 * held::PACKET_OVERHEAD, "each held packet is charged its bytes and its slot");
    // Nothing new in the key log: still waiting.
    t.release_held(Timestamp::new(2, 0, 6), &mut sink);
    assert_eq!(sink.seen.len(), 2);
    sink.logged = true;
    sink.frame = 9;
    t.release_held(Timestamp::new(2, 0, 6), &mut sink);
    assert_eq!(
        sink.seen[2..],
        ["2 early 2", "3 crypto Responder 6 true", "4 note HANDSHAKE_DONE (the handshake is confirmed)"]
    );
    assert_eq!(sink.frame, 9, "the sink is back on the current packet");
    let st = t.stats();
    assert_eq!((st.zero_rtt_packets_opened, st.handshake_packets_opened, st.one_rtt_packets_opened), (1, 1, 1));
    assert_eq!((st.packets_held, st.packets_held_given_up, st.packets_not_opened), (3, 0, 0));
    assert_eq!(t.hold.total, 0, "the held bytes are given back");
}

/// A wait ends after 10 s of capture time: the packets are handled as they are (sealed), and
/// an event says how many and why; nothing is held for that connection any more.
#[test]
fn a_wait_for_secrets_times_out_with_an_event() {
    let (mut t, mut sink) = hold_run(QuicConfig::default());
    t.release_held(Timestamp::new(11, 0, 6), &mut sink);
    assert_eq!(sink.seen.len(), 2, "10 s have not passed");
    t.release_held(Timestamp::new(11, 1_000, 6), &mut sink);
    let bytes: usize = protected_packets(0x1303).0[1..].iter().map(Vec::len).sum();
    assert_eq!(
        sink.seen[2..],
        [
            "2 sealed 0-RTT".to_string(),
            "3 sealed Handshake".to_string(),
            "4 sealed 1-RTT".to_string(),
            // Said for the packet at hand (the sink's last).
            format!("4 gave up 3 {bytes}: the key log did not bring their secrets within 10 s"),
        ]
    );
    assert_eq!((t.stats().packets_held_given_up, t.stats().packets_not_opened), (3, 3));
}

/// Over the bytes a connection may hold, it stops waiting: the held packets and this one are
/// handled in order, with an event; at the end of the capture, what still waits is handled.
#[test]
fn over_the_cap_or_at_the_end_a_wait_is_given_up_with_an_event() {
    let (packets, _) = protected_packets(0x1303);
    // Room for the 0-RTT packet, not for the Handshake packet after it.
    let cfg = QuicConfig { max_held_bytes: packets[1].len() + held::PACKET_OVERHEAD + 10, ..QuicConfig::default() };
    let (t, sink) = hold_run(cfg);
    assert_eq!(
        sink.seen[2..],
        [
            "2 sealed 0-RTT".to_string(),
            format!(
                "3 gave up 1 {}: they were over the bytes a connection, or all QUIC connections together, may hold",
                packets[1].len()
            ),
            "3 sealed Handshake".to_string(),
            "4 sealed 1-RTT".to_string(),
        ],
        "the 0-RTT packet keeps its place; the 1-RTT packet is not held"
    );
    assert_eq!((t.stats().packets_held, t.stats().packets_held_given_up), (1, 1));
    let (mut t, mut sink) = hold_run(QuicConfig::default());
    sink.frame = 5;
    t.finish(&mut sink);
    assert_eq!(sink.seen.last().unwrap(), "5 closed");
    assert!(
        sink.seen[sink.seen.len() - 2].ends_with("the key log had not brought their secrets by the end of the capture"),
        "{:?}",
        sink.seen
    );
}

/// Zeros after a datagram's last packet (aioquic pads so) are no packet.
#[test]
fn zero_padding_after_the_packets_is_no_packet() {
    assert!(packet::frame(&[0u8; 40]).is_none());
    assert!(matches!(packet::frame(&[0x40, 0, 0]), Some((Framed::Short { .. }, _))));
}

/// A connection evicted from the full table while its packets wait: they are handled (sealed)
/// and an event says why, before the connection's close.
#[test]
fn an_evicted_connection_hands_over_its_held_packets() {
    let (packets, secrets) = protected_packets(0x1303);
    let mut t = QuicTable::new(QuicConfig { max_connections: 1, ..QuicConfig::default() });
    t.wait_for_keys(true);
    let mut sink = GrowingSink { secrets, logged: false, frame: 0, seen: Vec::new() };
    let server = "10.0.0.2:443";
    for (frame, client, payload) in
        [(1, "10.0.0.1:5000", &packets[0]), (2, "10.0.0.1:5000", &packets[1]), (3, "10.0.0.3:6000", &packets[0])]
    {
        let (src, dst, payload) = udp(client, server, payload);
        sink.frame = frame;
        t.datagram(&UdpDatagram { src, dst, payload: &payload }, Timestamp::new(1, 0, 6), &mut sink);
    }
    assert_eq!(
        sink.seen,
        [
            "1 opened".to_string(),
            "1 crypto Initiator 5 false".to_string(),
            "2 sealed 0-RTT".to_string(),
            format!("3 gave up 1 {}: the connection was evicted from the full QUIC table", packets[1].len()),
            "3 closed".to_string(),
            "3 opened".to_string(),
            "3 crypto Initiator 5 false".to_string(),
        ]
    );
    assert_eq!((t.stats().packets_held, t.stats().packets_held_given_up, t.stats().connections_evicted), (1, 1, 1));
    assert_eq!(t.hold.total, 0);
}
