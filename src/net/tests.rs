//! Decoder tests on frames from real loopback captures (tests/data/net/, taken with tcpdump),
//! re-encapsulated into every link type and split into IP fragments.

use super::*;
use std::net::SocketAddr;

const ETH_V4: &[u8] = include_bytes!("../../tests/data/net/eth_v4.pcap");
const ETH_V4_SNAP: &[u8] = include_bytes!("../../tests/data/net/eth_v4_snap.pcap");
const ETH_V6_DSTOPTS: &[u8] = include_bytes!("../../tests/data/net/eth_v6_dstopts.pcap");
const SLL_V6: &[u8] = include_bytes!("../../tests/data/net/sll_v6.pcap");
const SLL2_V4: &[u8] = include_bytes!("../../tests/data/net/sll2_v4.pcap");

struct Record {
    data: Vec<u8>,
    orig_len: u32,
}

/// Minimal classic pcap reader (the capture source layer lives elsewhere).
fn pcap(file: &[u8]) -> (u32, Vec<Record>) {
    let magic = u32::from_le_bytes(file[0..4].try_into().unwrap());
    let le = match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d => true,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => false,
        m => panic!("not a pcap file: {m:#x}"),
    };
    let u32_at = |at: usize| {
        let b: [u8; 4] = file[at..at + 4].try_into().unwrap();
        if le { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) }
    };
    let linktype = u32_at(20) & 0x0fff_ffff;
    let mut records = Vec::new();
    let mut at = 24;
    while at + 16 <= file.len() {
        let incl = u32_at(at + 8) as usize;
        let orig_len = u32_at(at + 12);
        records.push(Record { data: file[at + 16..at + 16 + incl].to_vec(), orig_len });
        at += 16 + incl;
    }
    (linktype, records)
}

/// A decoded segment, owned, for comparisons.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seg {
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: Vec<u8>,
    missing: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Got {
    Tcp(Seg),
    NotTcp,
    Held,
    Err(NetError),
}

impl Got {
    fn seg(self) -> Seg {
        match self {
            Got::Tcp(s) => s,
            other => panic!("expected a TCP segment, got {other:?}"),
        }
    }
}

fn ts(secs: i64) -> Timestamp {
    Timestamp::new(secs, 0, 6)
}

fn got_at(dec: &mut NetDecoder, lt: u32, frame: &[u8], orig_len: u32, secs: i64) -> Got {
    match dec.decode(lt, frame, orig_len, ts(secs)) {
        Ok(NetOutcome::Tcp(s)) => Got::Tcp(Seg {
            src: s.src,
            dst: s.dst,
            seq: s.seq,
            ack: s.ack,
            flags: s.flags.0,
            payload: s.payload.to_vec(),
            missing: s.missing_tail,
        }),
        Ok(NetOutcome::NotTcp | NetOutcome::Udp(_)) => Got::NotTcp,
        Ok(NetOutcome::FragmentHeld) => Got::Held,
        Err(e) => Got::Err(e),
    }
}

fn got(dec: &mut NetDecoder, lt: u32, frame: &[u8]) -> Got {
    got_at(dec, lt, frame, frame.len() as u32, 0)
}

fn got1(lt: u32, frame: &[u8]) -> Got {
    got(&mut NetDecoder::new(NetConfig::default()), lt, frame)
}

/// The client's data in every capture: byte i is i * 7 (mod 256).
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7) as u8).collect()
}

fn sock(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// The 300-byte data segment of eth_v4.pcap, as an IPv4 packet.
fn v4_data_packet() -> Vec<u8> {
    pcap(ETH_V4).1[3].data[14..].to_vec()
}

/// The 300-byte data segment of sll_v6.pcap, as an IPv6 packet.
fn v6_data_packet() -> Vec<u8> {
    pcap(SLL_V6).1[3].data[16..].to_vec()
}

fn v4_reference() -> Seg {
    Seg {
        src: sock("127.0.0.1:37252"),
        dst: sock("127.0.0.1:44301"),
        seq: 2502590105,
        ack: 3599512360,
        flags: TcpFlags::PSH | TcpFlags::ACK,
        payload: pattern(300),
        missing: 0,
    }
}

fn v6_reference() -> Seg {
    Seg {
        src: sock("[::1]:37156"),
        dst: sock("[::1]:44302"),
        seq: 1221273510,
        ack: 1457909413,
        flags: TcpFlags::PSH | TcpFlags::ACK,
        payload: pattern(300),
        missing: 0,
    }
}

/// Ethernet frame: MAC addresses, then `tags` (TPID, VLAN id) and the final ethertype.
fn eth(tags: &[(u16, u16)], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
    for (tpid, vid) in tags {
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&vid.to_be_bytes());
    }
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn sll(protocol: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0, 0, 0x03, 0x04, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0];
    f.extend_from_slice(&protocol.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

fn sll2(protocol: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = protocol.to_be_bytes().to_vec();
    f.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0x03, 0x04, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

fn prefixed(prefix: [u8; 4], payload: &[u8]) -> Vec<u8> {
    [&prefix[..], payload].concat()
}

#[test]
fn ethernet_ipv4_capture() {
    let (lt, recs) = pcap(ETH_V4);
    assert_eq!((lt, recs.len()), (linktype::ETHERNET, 10));
    let mut dec = NetDecoder::new(NetConfig::default());
    let segs: Vec<Seg> = recs.iter().map(|r| got_at(&mut dec, lt, &r.data, r.orig_len, 0).seg()).collect();
    let syn = &segs[0];
    assert_eq!((syn.src, syn.dst), (sock("127.0.0.1:37252"), sock("127.0.0.1:44301")));
    assert_eq!((syn.seq, syn.ack, syn.flags, syn.payload.len()), (2502590104, 0, TcpFlags::SYN, 0));
    let syn_ack = &segs[1];
    assert_eq!(
        (syn_ack.src, syn_ack.seq, syn_ack.ack, syn_ack.flags),
        (sock("127.0.0.1:44301"), 3599512359, 2502590105, 0x12)
    );
    assert_eq!(segs[3], v4_reference());
    let reply = &segs[5];
    assert_eq!(reply.payload, [&b"pong:"[..], &pattern(16)].concat());
    assert_eq!((reply.seq, reply.ack, reply.missing), (3599512360, 2502590405, 0));
    assert!(segs[7].payload.is_empty() && TcpFlags(segs[7].flags).fin());
}

#[test]
fn linux_sll_ipv6_capture() {
    let (lt, recs) = pcap(SLL_V6);
    assert_eq!(lt, linktype::LINUX_SLL);
    assert_eq!(got1(lt, &recs[3].data).seg(), v6_reference());
    let syn = got1(lt, &recs[0].data).seg();
    assert_eq!(
        (syn.src, syn.dst, syn.seq, syn.flags),
        (sock("[::1]:37156"), sock("[::1]:44302"), 1221273509, TcpFlags::SYN)
    );
}

#[test]
fn linux_sll2_ipv4_capture() {
    let (lt, recs) = pcap(SLL2_V4);
    assert_eq!(lt, linktype::LINUX_SLL2);
    let seg = got1(lt, &recs[3].data).seg();
    assert_eq!((seg.src, seg.dst), (sock("127.0.0.1:54938"), sock("127.0.0.1:44303")));
    assert_eq!((seg.seq, seg.ack, seg.payload, seg.missing), (1228641751, 3348637518, pattern(300), 0));
}

#[test]
fn ipv6_destination_options_capture() {
    let (lt, recs) = pcap(ETH_V6_DSTOPTS);
    // Client packets carry a destination options header (next header 60) before TCP.
    assert_eq!(recs[3].data[14 + 6], 60);
    let seg = got1(lt, &recs[3].data).seg();
    assert_eq!((seg.src, seg.dst), (sock("[::1]:45640"), sock("[::1]:44305")));
    assert_eq!((seg.seq, seg.ack, seg.payload, seg.missing), (3173926323, 3651102729, pattern(100), 0));
    // Server packets have none.
    let reply = got1(lt, &recs[5].data).seg();
    assert_eq!((reply.src, reply.payload.len()), (sock("[::1]:44305"), 21));
}

#[test]
fn snaplen_cut_payload_is_missing_tail() {
    let (lt, recs) = pcap(ETH_V4_SNAP);
    let rec = &recs[3];
    assert_eq!((rec.data.len(), rec.orig_len), (96, 14 + 20 + 32 + 600));
    let seg = got_at(&mut NetDecoder::new(NetConfig::default()), lt, &rec.data, rec.orig_len, 0).seg();
    assert_eq!((seg.src, seg.dst, seg.seq), (sock("127.0.0.1:40822"), sock("127.0.0.1:44304"), 4258618949));
    assert_eq!((seg.payload, seg.missing), (pattern(30), 570));
}

/// Every link type, with the same IPv4 and IPv6 packets inside.
fn encapsulations() -> Vec<(u32, Vec<u8>, Seg)> {
    let v4 = v4_data_packet();
    let v6 = v6_data_packet();
    let mut all = vec![
        (linktype::ETHERNET, eth(&[], 0x0800, &v4), v4_reference()),
        (linktype::ETHERNET, eth(&[], 0x86dd, &v6), v6_reference()),
        (linktype::ETHERNET, eth(&[(0x8100, 100)], 0x0800, &v4), v4_reference()),
        (linktype::ETHERNET, eth(&[(0x88a8, 10), (0x8100, 20)], 0x86dd, &v6), v6_reference()),
        (linktype::ETHERNET, eth(&[(0x9100, 1), (0x88a8, 2), (0x8100, 3), (0x8100, 4)], 0x0800, &v4), v4_reference()),
        (linktype::LINUX_SLL, sll(0x0800, &v4), v4_reference()),
        (linktype::LINUX_SLL, sll(0x8100, &[&[0u8, 7, 0x86, 0xdd][..], &v6].concat()), v6_reference()),
        (linktype::LINUX_SLL2, sll2(0x86dd, &v6), v6_reference()),
        (linktype::LOOP, prefixed([0, 0, 0, 2], &v4), v4_reference()),
        (linktype::LOOP, prefixed([0, 0, 0, 24], &v6), v6_reference()),
        (linktype::IPV4, v4.clone(), v4_reference()),
        (linktype::IPV6, v6.clone(), v6_reference()),
    ];
    for lt in [linktype::RAW, linktype::RAW_BSD, linktype::RAW_OPENBSD] {
        all.push((lt, v4.clone(), v4_reference()));
        all.push((lt, v6.clone(), v6_reference()));
    }
    // BSD NULL in the byte order of a little- and a big-endian capturing host.
    all.push((linktype::NULL, prefixed(2u32.to_le_bytes(), &v4), v4_reference()));
    all.push((linktype::NULL, prefixed(2u32.to_be_bytes(), &v4), v4_reference()));
    for family in [24u32, 28, 30] {
        all.push((linktype::NULL, prefixed(family.to_le_bytes(), &v6), v6_reference()));
        all.push((linktype::NULL, prefixed(family.to_be_bytes(), &v6), v6_reference()));
    }
    all
}

#[test]
fn every_link_type_carries_the_segment() {
    for (lt, frame, want) in encapsulations() {
        assert_eq!(got1(lt, &frame).seg(), want, "link type {lt}");
    }
    assert_eq!(got1(linktype::IPV4, &v6_data_packet()), Got::Err(NetError::Malformed("IPv4 version")));
    assert_eq!(got1(linktype::IPV6, &v4_data_packet()), Got::Err(NetError::Malformed("IPv6 version")));
    assert_eq!(got1(147, &v4_data_packet()), Got::Err(NetError::UnsupportedLink(147)));
    // Valid frames without TCP.
    let mut udp = v4_data_packet();
    udp[9] = 17;
    assert_eq!(got1(linktype::RAW, &udp), Got::NotTcp);
    assert_eq!(got1(linktype::ETHERNET, &eth(&[], 0x0806, &[0; 28])), Got::NotTcp);
    assert_eq!(got1(linktype::LINUX_SLL2, &sll2(0x0003, &[0; 28])), Got::NotTcp);
    assert_eq!(got1(linktype::NULL, &prefixed(7u32.to_le_bytes(), &[0; 28])), Got::NotTcp);
}

#[test]
fn ethernet_padding_and_fcs_are_trimmed() {
    let recs = pcap(ETH_V4).1;
    // A 52-byte IPv4 ACK padded to more than the Ethernet minimum, plus a frame check sequence.
    let padded = [&recs[2].data[..], &[0u8; 10], &[0xde, 0xad, 0xbe, 0xef]].concat();
    let ack = got1(linktype::ETHERNET, &padded).seg();
    assert_eq!((ack.payload.len(), ack.missing, ack.ack), (0, 0, 3599512360));
    let with_fcs = [&recs[3].data[..], &[1, 2, 3, 4]].concat();
    assert_eq!(got1(linktype::ETHERNET, &with_fcs).seg(), v4_reference());
}

#[test]
fn zero_ipv4_total_length_means_offloaded_segment() {
    // Segmentation offload on the capturing host leaves total length 0: the frame tells.
    let mut v4 = v4_data_packet();
    v4[2] = 0;
    v4[3] = 0;
    assert_eq!(got1(linktype::RAW, &v4).seg(), v4_reference());
    // Cut by the snap length: the original length gives the missing tail.
    let mut dec = NetDecoder::new(NetConfig::default());
    let seg = got_at(&mut dec, linktype::RAW, &v4[..100], v4.len() as u32, 0).seg();
    assert_eq!((seg.payload, seg.missing), (pattern(100 - 52), 300 - 48));
}

/// Cuts a frame at every length: never a panic; shorter than the headers is an error, longer
/// gives the captured part of the payload and the rest as missing.
fn check_every_cut(lt: u32, frame: &[u8], orig_len: u32) {
    let full = got_at(&mut NetDecoder::new(NetConfig::default()), lt, frame, orig_len, 0).seg();
    let headers = frame.len() - full.payload.len();
    let wire_payload = full.payload.len() + full.missing as usize;
    for cut in 0..frame.len() {
        let mut dec = NetDecoder::new(NetConfig::default());
        let got = got_at(&mut dec, lt, &frame[..cut], orig_len, 0);
        if cut < headers {
            assert!(matches!(got, Got::Err(NetError::Malformed(_))), "lt {lt} cut {cut}: {got:?}");
        } else {
            let seg = got.seg();
            assert_eq!(seg.payload, full.payload[..cut - headers], "lt {lt} cut {cut}");
            assert_eq!(seg.missing as usize, wire_payload - (cut - headers), "lt {lt} cut {cut}");
            assert_eq!((seg.src, seg.seq, seg.ack), (full.src, full.seq, full.ack));
        }
    }
}

#[test]
fn truncated_at_every_length() {
    for file in [ETH_V4, ETH_V4_SNAP, ETH_V6_DSTOPTS, SLL_V6, SLL2_V4] {
        let (lt, recs) = pcap(file);
        for rec in &recs {
            check_every_cut(lt, &rec.data, rec.orig_len);
        }
    }
    for (lt, frame, _) in encapsulations() {
        check_every_cut(lt, &frame, frame.len() as u32);
    }
}

/// Deterministic xorshift generator for the random-input tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_and_mutated_frames_never_panic() {
    let cfg = NetConfig { max_fragment_bytes: 4096, max_fragment_datagrams: 8, fragment_timeout_secs: 5 };
    let mut dec = NetDecoder::new(cfg.clone());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let samples: Vec<(u32, Vec<u8>)> = encapsulations().into_iter().map(|(lt, f, _)| (lt, f)).collect();
    let mut tcp_seen = 0;
    for round in 0..40_000 {
        let (lt, frame) = if round % 2 == 0 {
            let lt = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147][rng.below(11)];
            let len = rng.below(120);
            let mut frame: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            // Steer some random frames past the link and version checks.
            if len > 24 && rng.below(2) == 0 {
                let v6 = rng.below(2) == 0;
                let at = match lt {
                    1 => 14,
                    113 => 16,
                    276 => 20,
                    0 | 108 => 4,
                    _ => 0,
                };
                frame[at] = if v6 { 0x60 } else { 0x45 };
                match lt {
                    1 => frame[12..14].copy_from_slice(if v6 { &[0x86, 0xdd] } else { &[0x08, 0x00] }),
                    113 => frame[14..16].copy_from_slice(if v6 { &[0x86, 0xdd] } else { &[0x08, 0x00] }),
                    276 => frame[0..2].copy_from_slice(if v6 { &[0x86, 0xdd] } else { &[0x08, 0x00] }),
                    _ => {}
                }
            }
            (lt, frame)
        } else {
            let (lt, mut frame) = samples[rng.below(samples.len())].clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(frame.len());
                frame[at] = rng.next() as u8;
            }
            frame.truncate(rng.below(frame.len() + 1));
            (lt, frame)
        };
        let orig_len = frame.len() as u32 + if rng.below(4) == 0 { rng.below(2000) as u32 } else { 0 };
        if let Ok(NetOutcome::Tcp(seg)) = dec.decode(lt, &frame, orig_len, ts(round / 1000)) {
            tcp_seen += 1;
            assert!(seg.payload.len() + seg.missing_tail as usize <= 65_535 + 65_535);
        }
        assert!(dec.pending_fragment_bytes() <= cfg.max_fragment_bytes);
        assert!(dec.pending_fragment_datagrams() <= cfg.max_fragment_datagrams);
    }
    // Mutated real frames still decode most of the time.
    assert!(tcp_seen > 5_000, "{tcp_seen}");
}

// ---- IP fragments ----

/// Splits an IPv4 packet's payload at the given byte boundaries (multiples of 8) into
/// fragments with identification `id`.
fn v4_fragments(ip: &[u8], id: u16, ranges: &[(usize, usize)]) -> Vec<Vec<u8>> {
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    let payload = &ip[ihl..total];
    ranges
        .iter()
        .map(|&(start, end)| {
            let mut f = ip[..ihl].to_vec();
            f[2..4].copy_from_slice(&((ihl + end - start) as u16).to_be_bytes());
            f[4..6].copy_from_slice(&id.to_be_bytes());
            let more = if end < payload.len() { 0x2000 } else { 0 };
            f[6..8].copy_from_slice(&(more | (start / 8) as u16).to_be_bytes());
            f.extend_from_slice(&payload[start..end]);
            f
        })
        .collect()
}

/// Splits an IPv6 packet's payload (everything after the fixed header) into fragments.
fn v6_fragments(ip: &[u8], id: u32, ranges: &[(usize, usize)]) -> Vec<Vec<u8>> {
    let payload = &ip[40..];
    ranges
        .iter()
        .map(|&(start, end)| {
            let mut f = ip[..40].to_vec();
            f[4..6].copy_from_slice(&((8 + end - start) as u16).to_be_bytes());
            f[6] = 44;
            let more = u16::from(end < payload.len());
            f.extend_from_slice(&[ip[6], 0]);
            f.extend_from_slice(&(((start / 8) as u16) << 3 | more).to_be_bytes());
            f.extend_from_slice(&id.to_be_bytes());
            f.extend_from_slice(&payload[start..end]);
            f
        })
        .collect()
}

const THIRDS: [(usize, usize); 3] = [(0, 112), (112, 224), (224, 332)];

fn feed(dec: &mut NetDecoder, lt: u32, frames: &[Vec<u8>], order: &[usize], secs: i64) -> Vec<Got> {
    order.iter().map(|&i| got_at(dec, lt, &frames[i], frames[i].len() as u32, secs)).collect()
}

#[test]
fn ipv4_fragments_in_and_out_of_order() {
    let frags = v4_fragments(&v4_data_packet(), 0x4242, &THIRDS);
    for order in [[0, 1, 2], [2, 0, 1], [1, 2, 0], [2, 1, 0]] {
        let mut dec = NetDecoder::new(NetConfig::default());
        let got = feed(&mut dec, linktype::RAW, &frags, &order, 0);
        assert_eq!(got[..2], [Got::Held, Got::Held], "{order:?}");
        assert_eq!(got[2].clone().seg(), v4_reference(), "{order:?}");
        let s = dec.stats();
        assert_eq!((s.ip_fragments, s.datagrams_reassembled, s.fragments_dropped), (3, 1, 0));
        assert_eq!((dec.pending_fragment_datagrams(), dec.pending_fragment_bytes()), (0, 0));
    }
    // Also inside Ethernet with a VLAN tag.
    let mut dec = NetDecoder::new(NetConfig::default());
    let tagged: Vec<Vec<u8>> = frags.iter().map(|f| eth(&[(0x8100, 5)], 0x0800, f)).collect();
    assert_eq!(feed(&mut dec, linktype::ETHERNET, &tagged, &[1, 0, 2], 0)[2].clone().seg(), v4_reference());
}

#[test]
fn ipv4_overlaps_keep_the_first_bytes() {
    let ip = v4_data_packet();
    let mut frags = v4_fragments(&ip, 7, &[(0, 112), (104, 224), (224, 332)]);
    // The second fragment disagrees about bytes 104..112.
    for b in &mut frags[1][20..28] {
        *b = 0xee;
    }
    let mut dec = NetDecoder::new(NetConfig::default());
    let got = feed(&mut dec, linktype::RAW, &frags, &[0, 1, 2], 0);
    assert_eq!(got[2].clone().seg(), v4_reference());
    assert_eq!((dec.stats().fragment_overlaps, dec.stats().fragments_dropped), (1, 0));
    // The other way round, the disagreeing bytes came first and stay.
    let mut dec = NetDecoder::new(NetConfig::default());
    let seg = feed(&mut dec, linktype::RAW, &frags, &[1, 0, 2], 0)[2].clone().seg();
    let mut want = pattern(300);
    // Bytes 104..112 of the IP payload follow the 32-byte TCP header.
    want[72..80].fill(0xee);
    assert_eq!(seg.payload, want);
    // A fragment spanning two held ones fills only the hole between them.
    let ranges = [(0, 104), (120, 224), (96, 128), (224, 332)];
    let mut frags = v4_fragments(&ip, 8, &ranges);
    frags[2][20..].fill(0xaa);
    let mut dec = NetDecoder::new(NetConfig::default());
    let seg = feed(&mut dec, linktype::RAW, &frags, &[0, 1, 2, 3], 0)[3].clone().seg();
    let mut want = pattern(300);
    want[72..88].fill(0xaa);
    assert_eq!(seg.payload, want);
}

#[test]
fn duplicated_fragments() {
    let frags = v4_fragments(&v4_data_packet(), 9, &THIRDS);
    let mut dec = NetDecoder::new(NetConfig::default());
    let got = feed(&mut dec, linktype::RAW, &frags, &[0, 0, 1, 1, 2], 0);
    assert_eq!(got[..4], [Got::Held, Got::Held, Got::Held, Got::Held]);
    assert_eq!(got[4].clone().seg(), v4_reference());
    assert_eq!((dec.stats().fragment_overlaps, dec.stats().fragments_dropped), (2, 0));

    let frags = v6_fragments(&v6_data_packet(), 9, &THIRDS);
    let mut dec = NetDecoder::new(NetConfig::default());
    let got = feed(&mut dec, linktype::IPV6, &frags, &[2, 0, 2, 1], 0);
    assert_eq!(got[3].clone().seg(), v6_reference());
    assert_eq!((dec.stats().fragment_overlaps, dec.stats().fragments_dropped), (1, 0));
}

#[test]
fn ipv6_fragments_in_and_out_of_order() {
    let frags = v6_fragments(&v6_data_packet(), 0xdead_beef, &THIRDS);
    for order in [[0, 1, 2], [2, 1, 0], [1, 0, 2]] {
        let mut dec = NetDecoder::new(NetConfig::default());
        let got = feed(&mut dec, linktype::IPV6, &frags, &order, 0);
        assert_eq!(got[..2], [Got::Held, Got::Held]);
        assert_eq!(got[2].clone().seg(), v6_reference());
        assert_eq!((dec.stats().ip_fragments, dec.stats().datagrams_reassembled), (3, 1));
    }
    let wrapped: Vec<Vec<u8>> = frags.iter().map(|f| sll2(0x86dd, f)).collect();
    let mut dec = NetDecoder::new(NetConfig::default());
    assert_eq!(feed(&mut dec, linktype::LINUX_SLL2, &wrapped, &[2, 0, 1], 0)[2].clone().seg(), v6_reference());
}

#[test]
fn ipv6_fragment_headers_among_extension_headers() {
    // Real packet with destination options: fragment its payload, options included, so the
    // reassembled part starts with the options header.
    let recs = pcap(ETH_V6_DSTOPTS).1;
    let ip = recs[3].data[14..].to_vec();
    let want = got1(linktype::IPV6, &ip).seg();
    let frags = v6_fragments(&ip, 1, &[(0, 64), (64, 140)]);
    assert_eq!(frags[0][40], 60);
    let mut dec = NetDecoder::new(NetConfig::default());
    assert_eq!(feed(&mut dec, linktype::IPV6, &frags, &[1, 0], 0)[1].clone().seg(), want);

    // Hop-by-hop options in the unfragmentable part, before the fragment header.
    let hop_by_hop = |f: &Vec<u8>| {
        let mut g = f[..40].to_vec();
        g[4..6].copy_from_slice(&(u16::from_be_bytes([f[4], f[5]]) + 8).to_be_bytes());
        g[6] = 0;
        g.extend_from_slice(&[44, 0, 1, 4, 0, 0, 0, 0]);
        g.extend_from_slice(&f[40..]);
        g
    };
    let frags: Vec<Vec<u8>> = v6_fragments(&v6_data_packet(), 2, &THIRDS).iter().map(hop_by_hop).collect();
    let mut dec = NetDecoder::new(NetConfig::default());
    assert_eq!(feed(&mut dec, linktype::IPV6, &frags, &[0, 2, 1], 0)[2].clone().seg(), v6_reference());

    // An atomic fragment (offset 0, no more fragments) is a whole packet.
    let atomic = v6_fragments(&v6_data_packet(), 3, &[(0, 332)]);
    let mut dec = NetDecoder::new(NetConfig::default());
    assert_eq!(got(&mut dec, linktype::IPV6, &atomic[0]).seg(), v6_reference());
    assert_eq!(dec.stats().ip_fragments, 0);

    // A fragment header inside the reassembled part is refused.
    let mut inner = v6_data_packet();
    let nested = {
        let mut p = inner[..40].to_vec();
        p[6] = 44;
        p[4..6].copy_from_slice(&((inner.len() - 40 + 8) as u16).to_be_bytes());
        p.extend_from_slice(&[6, 0, 0, 1, 0, 0, 0, 5]);
        p.extend_from_slice(&inner[40..]);
        p
    };
    inner = nested;
    let frags = v6_fragments(&inner, 4, &[(0, 80), (80, 340)]);
    let mut dec = NetDecoder::new(NetConfig::default());
    let got = feed(&mut dec, linktype::IPV6, &frags, &[0, 1], 0);
    assert_eq!(got[1], Got::Err(NetError::Malformed("IPv6 fragment header inside a fragmented payload")));
}

#[test]
fn ipv6_overlap_drops_the_datagram() {
    let ip = v6_data_packet();
    let frags = v6_fragments(&ip, 77, &[(0, 112), (104, 224), (224, 332)]);
    let mut dec = NetDecoder::new(NetConfig::default());
    let got = feed(&mut dec, linktype::IPV6, &frags, &[0, 1, 2], 0);
    assert_eq!(got, [Got::Held, Got::Err(NetError::Malformed("overlapping IPv6 fragments")), Got::Held]);
    let s = dec.stats();
    assert_eq!((s.fragments_dropped, s.fragment_datagrams_dropped, s.datagrams_reassembled), (3, 1, 0));
    // Later fragments of the same datagram stay discarded, even ones that would complete it.
    let clean = v6_fragments(&ip, 77, &THIRDS);
    let got = feed(&mut dec, linktype::IPV6, &clean, &[0, 1, 2], 10);
    assert_eq!(got, [Got::Held, Got::Held, Got::Held]);
    assert_eq!(dec.stats().fragments_dropped, 6);
    // Once the poisoned datagram times out, the identification is usable again.
    let got = feed(&mut dec, linktype::IPV6, &clean, &[0, 1, 2], 31);
    assert_eq!(got[2].clone().seg(), v6_reference());
    assert_eq!(dec.stats().fragment_datagrams_dropped, 1);
}

#[test]
fn fragment_timeout_in_capture_time() {
    let frags = v4_fragments(&v4_data_packet(), 11, &THIRDS);
    let mut dec = NetDecoder::new(NetConfig { fragment_timeout_secs: 30, ..NetConfig::default() });
    assert_eq!(got_at(&mut dec, linktype::RAW, &frags[0], 132, 100), Got::Held);
    assert_eq!(got_at(&mut dec, linktype::RAW, &frags[1], 132, 120), Got::Held);
    // 31 seconds after the first fragment: the datagram has expired before the last arrives.
    assert_eq!(got_at(&mut dec, linktype::RAW, &frags[2], 128, 131), Got::Held);
    let s = dec.stats().clone();
    assert_eq!((s.fragments_dropped, s.fragment_datagrams_dropped, s.datagrams_reassembled), (2, 1, 0));
    assert_eq!(dec.pending_fragment_datagrams(), 1);
    // A non-fragment packet also advances time.
    let v4 = v4_data_packet();
    assert_eq!(got_at(&mut dec, linktype::RAW, &v4, v4.len() as u32, 200).seg(), v4_reference());
    assert_eq!((dec.pending_fragment_datagrams(), dec.pending_fragment_bytes()), (0, 0));
    assert_eq!((dec.stats().fragments_dropped, dec.stats().fragment_datagrams_dropped), (3, 2));
    // Exactly at the timeout the datagram is still alive.
    let mut dec = NetDecoder::new(NetConfig { fragment_timeout_secs: 30, ..NetConfig::default() });
    let got = [
        got_at(&mut dec, linktype::RAW, &frags[0], 132, 100),
        got_at(&mut dec, linktype::RAW, &frags[1], 132, 130),
        got_at(&mut dec, linktype::RAW, &frags[2], 128, 130),
    ];
    assert_eq!(got[2].clone().seg(), v4_reference());
}

#[test]
fn end_of_capture_counts_incomplete_datagrams() {
    let frags = v4_fragments(&v4_data_packet(), 12, &THIRDS);
    let mut dec = NetDecoder::new(NetConfig::default());
    feed(&mut dec, linktype::RAW, &frags, &[0, 2], 0);
    dec.finish();
    let s = dec.stats();
    assert_eq!((s.ip_fragments, s.fragments_dropped, s.fragment_datagrams_dropped), (2, 2, 1));
    assert_eq!(dec.pending_fragment_datagrams(), 0);
}

#[test]
fn datagram_cap_evicts_the_oldest() {
    let ip = v4_data_packet();
    let by_id: Vec<Vec<Vec<u8>>> = (1..=3).map(|id| v4_fragments(&ip, id, &THIRDS)).collect();
    let mut dec = NetDecoder::new(NetConfig { max_fragment_datagrams: 2, ..NetConfig::default() });
    for frags in &by_id {
        assert_eq!(got(&mut dec, linktype::RAW, &frags[0]), Got::Held);
    }
    // Datagram 1 made room for datagram 3.
    assert_eq!((dec.stats().fragments_dropped, dec.stats().fragment_datagrams_dropped), (1, 1));
    assert_eq!(dec.pending_fragment_datagrams(), 2);
    assert_eq!(feed(&mut dec, linktype::RAW, &by_id[2], &[1, 2], 0)[1].clone().seg(), v4_reference());
    assert_eq!(feed(&mut dec, linktype::RAW, &by_id[1], &[2, 1], 0)[1].clone().seg(), v4_reference());
    assert_eq!(dec.stats().datagrams_reassembled, 2);
    // No reassembly at all with a cap of zero.
    let mut dec = NetDecoder::new(NetConfig { max_fragment_datagrams: 0, ..NetConfig::default() });
    assert_eq!(feed(&mut dec, linktype::RAW, &by_id[0], &[0, 1, 2], 0), [Got::Held, Got::Held, Got::Held]);
    assert_eq!((dec.stats().fragments_dropped, dec.pending_fragment_datagrams()), (3, 0));
}

#[test]
fn byte_cap_evicts_the_oldest() {
    let piece = |bytes: usize| bytes + frag::PIECE_OVERHEAD;
    let ip = v4_data_packet();
    let one = v4_fragments(&ip, 1, &THIRDS);
    let two = v4_fragments(&ip, 2, &THIRDS);
    // Room for datagram 2 whole, not for it and a piece of datagram 1.
    let cap = piece(112) * 2 + piece(108);
    let mut dec = NetDecoder::new(NetConfig { max_fragment_bytes: cap, ..NetConfig::default() });
    assert_eq!(got(&mut dec, linktype::RAW, &one[0]), Got::Held);
    assert_eq!(got(&mut dec, linktype::RAW, &two[0]), Got::Held);
    // Datagram 1 is evicted to make room.
    assert_eq!(got(&mut dec, linktype::RAW, &two[1]), Got::Held);
    assert_eq!(dec.pending_fragment_bytes(), piece(112) * 2);
    assert_eq!(got(&mut dec, linktype::RAW, &two[2]).seg(), v4_reference());
    let s = dec.stats();
    assert_eq!((s.fragments_dropped, s.fragment_datagrams_dropped, s.datagrams_reassembled), (1, 1, 1));
    assert_eq!((dec.pending_fragment_datagrams(), dec.pending_fragment_bytes()), (0, 0));

    // A datagram larger than the cap on its own is dropped.
    let mut dec = NetDecoder::new(NetConfig { max_fragment_bytes: piece(112) + 10, ..NetConfig::default() });
    let got = feed(&mut dec, linktype::RAW, &one, &[0, 1, 2], 0);
    assert_eq!(got, [Got::Held, Got::Held, Got::Held]);
    let s = dec.stats();
    assert_eq!((s.fragments_dropped, s.fragment_datagrams_dropped, s.datagrams_reassembled), (2, 1, 0));
    assert_eq!(dec.pending_fragment_bytes(), piece(108));
}

#[test]
fn snaplen_cut_fragments_leave_a_missing_tail() {
    let frags = v4_fragments(&v4_data_packet(), 13, &THIRDS);
    // The last fragment lost 50 bytes to the snap length.
    let mut dec = NetDecoder::new(NetConfig::default());
    feed(&mut dec, linktype::RAW, &frags, &[0, 1], 0);
    let last = &frags[2];
    let seg = got_at(&mut dec, linktype::RAW, &last[..last.len() - 50], last.len() as u32, 0).seg();
    assert_eq!((seg.payload, seg.missing, seg.seq), (pattern(250), 50, v4_reference().seq));
    // A middle fragment lost 10 bytes: the datagram is delivered up to that hole.
    let mut dec = NetDecoder::new(NetConfig::default());
    let mid = &frags[1];
    assert_eq!(got_at(&mut dec, linktype::RAW, &mid[..mid.len() - 10], mid.len() as u32, 0), Got::Held);
    let seg = feed(&mut dec, linktype::RAW, &frags, &[2, 0], 0)[1].clone().seg();
    assert_eq!((seg.payload, seg.missing), (pattern(224 - 10 - 32), 300 - (224 - 10 - 32) as u32));
}

#[test]
fn invalid_fragments() {
    let ip = v4_data_packet();
    // A fragment that is not the last must be a multiple of 8 bytes.
    let frags = v4_fragments(&ip, 14, &[(0, 100), (100, 332)]);
    assert_eq!(got1(linktype::RAW, &frags[0]), Got::Err(NetError::Malformed("IP fragment length not a multiple of 8")));
    // Past the largest datagram.
    let mut far = v4_fragments(&ip, 15, &[(0, 8)]).remove(0);
    far[6..8].copy_from_slice(&(0x2000u16 | 8190).to_be_bytes());
    far.extend_from_slice(&[0; 32]);
    far[2..4].copy_from_slice(&60u16.to_be_bytes());
    assert_eq!(got1(linktype::RAW, &far), Got::Err(NetError::Malformed("IP fragment past 65535 bytes")));
    // Two last fragments that disagree on the length: the second is dropped.
    let a = v4_fragments(&ip, 16, &[(0, 112), (224, 332)]);
    let mut b = v4_fragments(&ip, 16, &[(224, 320)]);
    b[0][6..8].copy_from_slice(&(224u16 / 8).to_be_bytes());
    let mut dec = NetDecoder::new(NetConfig::default());
    assert_eq!(got(&mut dec, linktype::RAW, &a[1]), Got::Held);
    assert_eq!(
        got(&mut dec, linktype::RAW, &b[0]),
        Got::Err(NetError::Malformed("IPv4 fragment conflicts with the datagram's end"))
    );
    assert_eq!(dec.stats().fragments_dropped, 1);
    // Fragments of other protocols are not held.
    let mut udp = ip.clone();
    udp[9] = 17;
    let mut dec = NetDecoder::new(NetConfig::default());
    assert_eq!(
        feed(&mut dec, linktype::RAW, &v4_fragments(&udp, 17, &THIRDS), &[0, 1, 2], 0),
        [Got::NotTcp, Got::NotTcp, Got::NotTcp]
    );
    let mut udp6 = v6_data_packet();
    udp6[6] = 17;
    let frags = v6_fragments(&udp6, 17, &THIRDS);
    assert_eq!(feed(&mut dec, linktype::IPV6, &frags, &[0, 1, 2], 0), [Got::NotTcp, Got::NotTcp, Got::NotTcp]);
    assert_eq!((dec.stats().ip_fragments, dec.pending_fragment_datagrams()), (0, 0));
}

#[test]
fn fragments_cut_at_every_length_never_panic() {
    let mut frames = v4_fragments(&v4_data_packet(), 20, &THIRDS);
    frames.extend(v6_fragments(&v6_data_packet(), 20, &THIRDS));
    for frame in &frames {
        let lt = if frame[0] >> 4 == 4 { linktype::IPV4 } else { linktype::IPV6 };
        let mut dec = NetDecoder::new(NetConfig::default());
        for cut in 0..=frame.len() {
            let got = got_at(&mut dec, lt, &frame[..cut], frame.len() as u32, 0);
            let header = if lt == linktype::IPV4 { 20 } else { 48 };
            if cut < header {
                assert!(matches!(got, Got::Err(_)), "cut {cut}: {got:?}");
            } else {
                assert!(
                    matches!(got, Got::Held | Got::Err(NetError::Malformed("overlapping IPv6 fragments"))),
                    "cut {cut}: {got:?}"
                );
            }
        }
    }
}

#[test]
fn random_fragment_flood_stays_within_caps() {
    let cfg = NetConfig { max_fragment_bytes: 20_000, max_fragment_datagrams: 16, fragment_timeout_secs: 2 };
    let mut dec = NetDecoder::new(cfg.clone());
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let (v4, v6) = (v4_data_packet(), v6_data_packet());
    let mut fed = 0u64;
    for round in 0..20_000i64 {
        let start = rng.below(40) * 8;
        let len = rng.below(20) * 8 + 8;
        let source: Vec<u8> = (0..start + len).map(|i| i as u8).collect();
        let frame = if rng.below(2) == 0 {
            let mut ip = v4[..20].to_vec();
            ip[2..4].copy_from_slice(&((20 + start + len) as u16).to_be_bytes());
            ip.extend_from_slice(&source);
            let mut f = v4_fragments(&ip, rng.below(40) as u16, &[(start, start + len)]).remove(0);
            if rng.below(3) > 0 {
                f[6] |= 0x20; // more fragments
            }
            f
        } else {
            let mut ip = v6[..40].to_vec();
            ip.extend_from_slice(&source);
            ip.extend_from_slice(&[0; 8]); // so that every range has more fragments after it
            v6_fragments(&ip, rng.below(40) as u32, &[(start, start + len)]).remove(0)
        };
        let is_v4 = frame[0] >> 4 == 4;
        let lt = if is_v4 { linktype::IPV4 } else { linktype::IPV6 };
        let got = got_at(&mut dec, lt, &frame, frame.len() as u32, round / 500);
        // An IPv4 range at offset 0 without more fragments is a whole (too short) datagram.
        let whole = is_v4 && start == 0 && frame[6] & 0x20 == 0;
        if whole {
            assert!(matches!(got, Got::Err(_) | Got::Tcp(_)), "{got:?}");
        } else {
            fed += 1;
        }
        assert!(dec.pending_fragment_bytes() <= cfg.max_fragment_bytes);
        assert!(dec.pending_fragment_datagrams() <= cfg.max_fragment_datagrams);
    }
    let s = dec.stats().clone();
    assert_eq!(s.ip_fragments, fed);
    assert!(s.fragment_datagrams_dropped > 0 && s.fragments_dropped > 0 && s.fragment_overlaps > 0, "{s:?}");
    dec.finish();
    assert_eq!((dec.pending_fragment_datagrams(), dec.pending_fragment_bytes()), (0, 0));
}
