//! Builds classic pcap files (Ethernet, IPv4, TCP) in memory for tests that need captures no
//! fixture holds: huge connection counts, adversarial segment layouts, damaged files.
//! Checksums are left zero: tlstrace does not verify them (captures taken with offloading
//! have wrong ones anyway).
#![allow(dead_code)]

use std::net::Ipv4Addr;

pub const LINKTYPE_ETHERNET: u32 = 1;
pub const SYN: u8 = 0x02;
pub const ACK: u8 = 0x10;
pub const PSH: u8 = 0x08;
pub const FIN: u8 = 0x01;

/// A classic pcap (microsecond timestamps) being written.
pub struct Pcap {
    pub bytes: Vec<u8>,
    pub packets: u64,
}

impl Default for Pcap {
    fn default() -> Self {
        Self::new()
    }
}

impl Pcap {
    pub fn new() -> Self {
        Self::with_capacity(1 << 16)
    }

    pub fn with_capacity(n: usize) -> Self {
        let mut bytes = Vec::with_capacity(n);
        bytes.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        bytes.extend_from_slice(&2u16.to_le_bytes());
        bytes.extend_from_slice(&4u16.to_le_bytes());
        bytes.extend_from_slice(&0i32.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes.extend_from_slice(&65535u32.to_le_bytes());
        bytes.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        Pcap { bytes, packets: 0 }
    }

    /// Moves the bytes built so far to `out` (keeps the memory of a huge capture small).
    pub fn drain_to(&mut self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        out.write_all(&self.bytes)?;
        self.bytes.clear();
        Ok(())
    }

    /// Appends one Ethernet/IPv4/TCP frame captured at `usecs` microseconds after 2024-01-01.
    pub fn tcp(&mut self, usecs: u64, seg: &Segment<'_>) {
        let ip_len = 20 + 20 + seg.payload.len();
        let frame_len = 14 + ip_len;
        let ts = 1_704_067_200u64 * 1_000_000 + usecs;
        let b = &mut self.bytes;
        b.extend_from_slice(&((ts / 1_000_000) as u32).to_le_bytes());
        b.extend_from_slice(&((ts % 1_000_000) as u32).to_le_bytes());
        b.extend_from_slice(&(frame_len as u32).to_le_bytes());
        b.extend_from_slice(&(frame_len as u32).to_le_bytes());
        // Ethernet
        b.extend_from_slice(&[0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
        // IPv4
        b.extend_from_slice(&[0x45, 0]);
        b.extend_from_slice(&(ip_len as u16).to_be_bytes());
        b.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
        b.extend_from_slice(&seg.src.0.octets());
        b.extend_from_slice(&seg.dst.0.octets());
        // TCP
        b.extend_from_slice(&seg.src.1.to_be_bytes());
        b.extend_from_slice(&seg.dst.1.to_be_bytes());
        b.extend_from_slice(&seg.seq.to_be_bytes());
        b.extend_from_slice(&seg.ack.to_be_bytes());
        b.extend_from_slice(&[0x50, seg.flags]);
        b.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
        b.extend_from_slice(seg.payload);
        self.packets += 1;
    }
}

impl Pcap {
    /// Appends a captured frame (Ethernet) as is, at `usecs`.
    pub fn frame(&mut self, usecs: u64, frame: &[u8]) {
        let ts = 1_704_067_200u64 * 1_000_000 + usecs;
        let b = &mut self.bytes;
        b.extend_from_slice(&((ts / 1_000_000) as u32).to_le_bytes());
        b.extend_from_slice(&((ts % 1_000_000) as u32).to_le_bytes());
        b.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        b.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        b.extend_from_slice(frame);
        self.packets += 1;
    }

    /// Appends one IPv4 fragment (Ethernet) of datagram `id` between the addresses `(src, dst)`: `payload` at
    /// byte `offset` (a multiple of 8) of the datagram's payload, `more` when fragments follow.
    pub fn ipv4_fragment(
        &mut self,
        usecs: u64,
        (src, dst): (Ipv4Addr, Ipv4Addr),
        id: u16,
        offset: usize,
        more: bool,
        payload: &[u8],
    ) {
        let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0];
        f.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
        f.extend_from_slice(&id.to_be_bytes());
        let flags_offset = (u16::from(more) << 13) | (offset / 8) as u16;
        f.extend_from_slice(&flags_offset.to_be_bytes());
        f.extend_from_slice(&[64, 6, 0, 0]);
        f.extend_from_slice(&src.octets());
        f.extend_from_slice(&dst.octets());
        f.extend_from_slice(payload);
        self.frame(usecs, &f);
    }
}

/// The frames of a classic pcap file (microsecond timestamps), in order.
pub fn read_frames(path: &std::path::Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(bytes.get(..4), Some(&0xa1b2_c3d4u32.to_le_bytes()[..]), "{}: a classic pcap", path.display());
    let mut frames = Vec::new();
    let mut at = 24;
    while let Some(header) = bytes.get(at..at + 16) {
        let len = u32::from_le_bytes(header[8..12].try_into().unwrap()) as usize;
        frames.push(bytes[at + 16..at + 16 + len].to_vec());
        at += 16 + len;
    }
    frames
}

pub struct Segment<'a> {
    pub src: (Ipv4Addr, u16),
    pub dst: (Ipv4Addr, u16),
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub payload: &'a [u8],
}

/// A TLS record.
pub fn record(content_type: u8, payload: &[u8]) -> Vec<u8> {
    let mut r = vec![content_type, 3, 3];
    r.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    r.extend_from_slice(payload);
    r
}

pub fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![msg_type];
    m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend_from_slice(body);
    m
}

pub fn extension(ext_type: u16, data: &[u8]) -> Vec<u8> {
    let mut e = ext_type.to_be_bytes().to_vec();
    e.extend_from_slice(&(data.len() as u16).to_be_bytes());
    e.extend_from_slice(data);
    e
}

/// A TLS 1.3 ClientHello record offering TLS_AES_128_GCM_SHA256 for `sni`, with `n` in its random.
pub fn client_hello(sni: &str, n: u32) -> Vec<u8> {
    let mut body = vec![3, 3];
    let mut random = [0x11u8; 32];
    random[..4].copy_from_slice(&n.to_be_bytes());
    body.extend_from_slice(&random);
    body.push(0); // session id
    body.extend_from_slice(&[0, 2, 0x13, 0x01]);
    body.extend_from_slice(&[1, 0]);
    let mut name = vec![0];
    name.extend_from_slice(&(sni.len() as u16).to_be_bytes());
    name.extend_from_slice(sni.as_bytes());
    let mut list = (name.len() as u16).to_be_bytes().to_vec();
    list.extend_from_slice(&name);
    let mut exts = extension(0, &list);
    exts.extend(extension(43, &[2, 3, 4])); // supported_versions: TLS 1.3
    exts.extend(extension(10, &[0, 2, 0, 29])); // supported_groups: x25519
    let mut share = vec![0, 36, 0, 29, 0, 32];
    share.extend_from_slice(&[0x42; 32]);
    exts.extend(extension(51, &share));
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    record(22, &handshake(1, &body))
}

/// A TLS 1.3 ServerHello record choosing TLS_AES_128_GCM_SHA256 with x25519.
pub fn server_hello(n: u32) -> Vec<u8> {
    let mut body = vec![3, 3];
    let mut random = [0x22u8; 32];
    random[..4].copy_from_slice(&n.to_be_bytes());
    body.extend_from_slice(&random);
    body.push(0);
    body.extend_from_slice(&[0x13, 0x01, 0]);
    let mut exts = extension(43, &[3, 4]);
    let mut share = vec![0, 29, 0, 32];
    share.extend_from_slice(&[0x43; 32]);
    exts.extend(extension(51, &share));
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    record(22, &handshake(2, &body))
}

/// Client address of connection `i` (distinct for up to 2^32 connections).
pub fn client(i: u32) -> (Ipv4Addr, u16) {
    (Ipv4Addr::from(0x0a00_0000 | (i >> 14)), 1024 + (i & 0x3fff) as u16)
}

pub const SERVER: (Ipv4Addr, u16) = (Ipv4Addr::new(198, 18, 0, 1), 443);

/// Adds a complete TLS 1.3 connection: handshake, both hellos, a ChangeCipherSpec and an
/// encrypted record from the server, FIN from both. `t` is its start time in microseconds.
pub fn tls_connection(pcap: &mut Pcap, i: u32, t: u64) {
    let c = client(i);
    let (cisn, sisn) = (i.wrapping_mul(7919), i.wrapping_mul(104_729) ^ 0x5555_0000);
    let seg = |src, dst, seq, ack, flags, payload| Segment { src, dst, seq, ack, flags, payload };
    let ch = client_hello("tlstrace.test", i);
    let mut sh = server_hello(i);
    sh.extend(record(20, &[1]));
    sh.extend(record(23, &[0x5a; 40]));
    let (c1, s1) = (cisn.wrapping_add(1), sisn.wrapping_add(1));
    let (c2, s2) = (c1.wrapping_add(ch.len() as u32), s1.wrapping_add(sh.len() as u32));
    pcap.tcp(t, &seg(c, SERVER, cisn, 0, SYN, &[]));
    pcap.tcp(t + 100, &seg(SERVER, c, sisn, c1, SYN | ACK, &[]));
    pcap.tcp(t + 200, &seg(c, SERVER, c1, s1, ACK, &[]));
    pcap.tcp(t + 300, &seg(c, SERVER, c1, s1, ACK | PSH, &ch));
    pcap.tcp(t + 400, &seg(SERVER, c, s1, c2, ACK | PSH, &sh));
    pcap.tcp(t + 500, &seg(c, SERVER, c2, s2, ACK | FIN, &[]));
    pcap.tcp(t + 600, &seg(SERVER, c, s2, c2.wrapping_add(1), ACK | FIN, &[]));
    pcap.tcp(t + 700, &seg(c, SERVER, c2.wrapping_add(1), s2.wrapping_add(1), ACK, &[]));
}

/// A capture of `n` complete TLS connections, one starting every millisecond.
pub fn tls_capture(n: u32) -> Pcap {
    let mut pcap = Pcap::with_capacity(n as usize * 1100 + 64);
    for i in 0..n {
        tls_connection(&mut pcap, i, u64::from(i) * 1000);
    }
    pcap
}
