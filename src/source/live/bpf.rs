//! Classic BPF for the capture socket: `(tcp or udp) and (port P or ...) and (host H or ...)`
//! (UDP for QUIC: `--port 443` captures HTTP/3 too).
//!
//! Written by hand because the only filter compiler around is libpcap's (C, and linking it is
//! what the hand-written capture channel avoids), while the language needed here is three fixed
//! terms. The kernel verifies whatever is attached, and a program this generator cannot encode
//! (a jump longer than 255 instructions) is an error, never a silently different filter.
//!
//! Matching rules, per frame:
//! - `tcp or udp`: IPv4 with protocol 6 or 17, or IPv6 whose fixed header's next header is 6
//!   or 17. IPv6 packets with extension headers before TCP or UDP are not matched (an accepted
//!   limitation: they are rare on TLS traffic, and following header chains in classic BPF needs
//!   a loop it does not have).
//! - `port`: the TCP or UDP source or destination port is one of the ports (both headers start
//!   with the two ports). Non-first IPv4 fragments carry no transport header: they are accepted
//!   on the protocol and `host` alone, so that the pipeline can still reassemble a fragmented
//!   segment or datagram whose first fragment matched.
//! - `host`: the IP source or destination is one of the hosts. With only IPv4 hosts, IPv6
//!   frames never match, and the other way round.
//!
//! Two framings: Ethernet frames (IP at offset 14, EtherType at 12) and cooked frames from a
//! `SOCK_DGRAM` packet socket (IP at offset 0; the EtherType is read from the kernel's
//! `skb->protocol` through the ancillary load at `SKF_AD_OFF + SKF_AD_PROTOCOL`).

use std::net::IpAddr;

/// One classic BPF instruction (the layout of the kernel's `struct sock_filter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// Instruction classes and modes (linux/filter.h, linux/bpf_common.h).
pub mod op {
    pub const LD: u16 = 0x00;
    pub const LDX: u16 = 0x01;
    pub const JMP: u16 = 0x05;
    pub const RET: u16 = 0x06;
    pub const W: u16 = 0x00;
    pub const H: u16 = 0x08;
    pub const B: u16 = 0x10;
    pub const ABS: u16 = 0x20;
    pub const IND: u16 = 0x40;
    pub const MSH: u16 = 0xa0;
    pub const JA: u16 = 0x00;
    pub const JEQ: u16 = 0x10;
    pub const JSET: u16 = 0x40;
    pub const K: u16 = 0x00;
    /// Base of the kernel's ancillary loads (`SKF_AD_OFF`, i.e. -0x1000).
    pub const SKF_AD_OFF: u32 = 0xffff_f000;
    /// Offset of `skb->protocol` among the ancillary loads.
    pub const SKF_AD_PROTOCOL: u32 = 0;
}

/// Where the IP header starts and how the EtherType is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// Ethernet II (also Linux loopback, which carries a zeroed Ethernet header).
    Ethernet,
    /// `SOCK_DGRAM` packet sockets: the IP header at offset 0.
    Cooked,
}

/// What the user asked to keep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilterSpec {
    pub ports: Vec<u16>,
    pub hosts: Vec<IpAddr>,
}

impl FilterSpec {
    /// True when nothing was asked for: the socket then gets no filter at all.
    pub fn is_empty(&self) -> bool {
        self.ports.is_empty() && self.hosts.is_empty()
    }
}

/// Ports accepted in one filter: keeps every jump of the port block within classic BPF's reach.
pub const MAX_PORTS: usize = 64;
/// Hosts accepted in one filter (an IPv6 host costs 16 instructions).
pub const MAX_HOSTS: usize = 15;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum FilterError {
    #[error("too many --port values ({0}); at most {MAX_PORTS}")]
    TooManyPorts(usize),
    #[error("too many --host addresses ({0}); at most {MAX_HOSTS}")]
    TooManyHosts(usize),
    #[error("filter program too large to encode")]
    TooLarge,
}

const ETHERTYPE_IPV4: u32 = 0x0800;
const ETHERTYPE_IPV6: u32 = 0x86dd;
const IPPROTO_TCP: u32 = 6;
const IPPROTO_UDP: u32 = 17;
/// IPv4 fragment offset bits of the flags/fragment field.
const FRAGMENT_OFFSET_MASK: u32 = 0x1fff;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Next,
    Label(usize),
}

#[derive(Clone, Copy, Debug)]
enum Item {
    Stmt { code: u16, k: u32 },
    Jump { code: u16, k: u32, jt: Target, jf: Target },
    Label(usize),
}

/// A tiny assembler: instructions with symbolic forward jumps.
#[derive(Default)]
struct Asm {
    items: Vec<Item>,
    labels: usize,
}

impl Asm {
    fn label(&mut self) -> usize {
        let label = self.labels;
        self.labels = label.saturating_add(1);
        label
    }
    fn place(&mut self, label: usize) {
        self.items.push(Item::Label(label));
    }
    fn stmt(&mut self, code: u16, k: u32) {
        self.items.push(Item::Stmt { code, k });
    }
    fn jump(&mut self, code: u16, k: u32, jt: Target, jf: Target) {
        self.items.push(Item::Jump { code, k, jt, jf });
    }
    /// Continues when `A` is TCP or UDP, returns "reject" otherwise.
    fn require_tcp_or_udp(&mut self) {
        let ok = self.label();
        self.jump(op::JMP | op::JEQ | op::K, IPPROTO_TCP, Target::Label(ok), Target::Next);
        self.jump(op::JMP | op::JEQ | op::K, IPPROTO_UDP, Target::Label(ok), Target::Next);
        self.reject();
        self.place(ok);
    }
    fn reject(&mut self) {
        self.stmt(op::RET | op::K, 0);
    }

    fn assemble(&self) -> Result<Vec<Insn>, FilterError> {
        let mut positions = vec![usize::MAX; self.labels];
        let mut pc = 0usize;
        for item in &self.items {
            match item {
                Item::Label(l) => {
                    if let Some(p) = positions.get_mut(*l) {
                        *p = pc;
                    }
                }
                _ => pc = pc.saturating_add(1),
            }
        }
        let offset = |from: usize, t: Target| -> Result<u8, FilterError> {
            match t {
                Target::Next => Ok(0),
                Target::Label(l) => {
                    let to = positions.get(l).copied().unwrap_or(usize::MAX);
                    let distance = to.checked_sub(from.saturating_add(1)).ok_or(FilterError::TooLarge)?;
                    u8::try_from(distance).map_err(|_| FilterError::TooLarge)
                }
            }
        };
        let mut out = Vec::with_capacity(pc);
        for item in &self.items {
            match *item {
                Item::Label(_) => {}
                Item::Stmt { code, k } => out.push(Insn { code, jt: 0, jf: 0, k }),
                Item::Jump { code, k, jt, jf } => {
                    let at = out.len();
                    out.push(Insn { code, jt: offset(at, jt)?, jf: offset(at, jf)?, k });
                }
            }
        }
        Ok(out)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

/// Compiles `spec` for `framing`. Accepted frames are passed up to `accept_len` bytes.
pub fn compile(spec: &FilterSpec, framing: Framing, accept_len: u32) -> Result<Vec<Insn>, FilterError> {
    if spec.ports.len() > MAX_PORTS {
        return Err(FilterError::TooManyPorts(spec.ports.len()));
    }
    if spec.hosts.len() > MAX_HOSTS {
        return Err(FilterError::TooManyHosts(spec.hosts.len()));
    }
    let v4_hosts: Vec<u32> = spec
        .hosts
        .iter()
        .filter_map(|h| match h {
            IpAddr::V4(a) => Some(u32::from(*a)),
            IpAddr::V6(_) => None,
        })
        .collect();
    let v6_hosts: Vec<[u32; 4]> = spec
        .hosts
        .iter()
        .filter_map(|h| match h {
            IpAddr::V6(a) => Some(ipv6_words(a)),
            IpAddr::V4(_) => None,
        })
        .collect();
    // A family no host belongs to can never match: it gets no code at all.
    let any_host = spec.hosts.is_empty();
    let families: Vec<Family> =
        [(Family::V4, any_host || !v4_hosts.is_empty()), (Family::V6, any_host || !v6_hosts.is_empty())]
            .into_iter()
            .filter_map(|(f, wanted)| wanted.then_some(f))
            .collect();

    let l3: u32 = match framing {
        Framing::Ethernet => 14,
        Framing::Cooked => 0,
    };
    let mut asm = Asm::default();
    match framing {
        Framing::Ethernet => asm.stmt(op::LD | op::H | op::ABS, 12),
        Framing::Cooked => asm.stmt(op::LD | op::H | op::ABS, op::SKF_AD_OFF + op::SKF_AD_PROTOCOL),
    }
    // Dispatch first, sections after: a family's section is never jumped over by its own test,
    // which keeps every jump short (only the IPv4 section, the smaller, is ever jumped over).
    let sections: Vec<(Family, usize)> = families.iter().map(|&f| (f, asm.label())).collect();
    for &(family, label) in &sections {
        let ethertype = match family {
            Family::V4 => ETHERTYPE_IPV4,
            Family::V6 => ETHERTYPE_IPV6,
        };
        asm.jump(op::JMP | op::JEQ | op::K, ethertype, Target::Label(label), Target::Next);
    }
    asm.reject();
    for (family, label) in sections {
        asm.place(label);
        match family {
            Family::V4 => ipv4_section(&mut asm, l3, &v4_hosts, &spec.ports, accept_len),
            Family::V6 => ipv6_section(&mut asm, l3, &v6_hosts, &spec.ports, accept_len),
        }
    }
    asm.assemble()
}

fn ipv6_words(a: &std::net::Ipv6Addr) -> [u32; 4] {
    let [s0, s1, s2, s3, s4, s5, s6, s7] = a.segments();
    let w = |high: u16, low: u16| (u32::from(high) << 16) | u32::from(low);
    [w(s0, s1), w(s2, s3), w(s4, s5), w(s6, s7)]
}

/// Everything after "EtherType is IPv4"; ends in a return on every path.
fn ipv4_section(asm: &mut Asm, l3: u32, hosts: &[u32], ports: &[u16], accept_len: u32) {
    asm.stmt(op::LD | op::B | op::ABS, l3.saturating_add(9));
    asm.require_tcp_or_udp();
    if !hosts.is_empty() {
        let ok = asm.label();
        for addr_at in [l3.saturating_add(12), l3.saturating_add(16)] {
            asm.stmt(op::LD | op::W | op::ABS, addr_at);
            for &h in hosts {
                asm.jump(op::JMP | op::JEQ | op::K, h, Target::Label(ok), Target::Next);
            }
        }
        asm.reject();
        asm.place(ok);
    }
    if !ports.is_empty() {
        let check_ports = asm.label();
        // A non-first fragment has no TCP or UDP header to look at: accept it (see module doc).
        asm.stmt(op::LD | op::H | op::ABS, l3.saturating_add(6));
        asm.jump(op::JMP | op::JSET | op::K, FRAGMENT_OFFSET_MASK, Target::Next, Target::Label(check_ports));
        asm.stmt(op::RET | op::K, accept_len);
        asm.place(check_ports);
        // X = IPv4 header length.
        asm.stmt(op::LDX | op::B | op::MSH, l3);
        port_block(asm, op::LD | op::H | op::IND, l3, ports);
    }
    asm.stmt(op::RET | op::K, accept_len);
}

/// Everything after "EtherType is IPv6"; ends in a return on every path.
fn ipv6_section(asm: &mut Asm, l3: u32, hosts: &[[u32; 4]], ports: &[u16], accept_len: u32) {
    asm.stmt(op::LD | op::B | op::ABS, l3.saturating_add(6));
    asm.require_tcp_or_udp();
    if !hosts.is_empty() {
        let ok = asm.label();
        for addr_at in [l3.saturating_add(8), l3.saturating_add(24)] {
            for words in hosts {
                let mismatch = asm.label();
                for (i, (&w, offset)) in words.iter().zip([0u32, 4, 8, 12]).enumerate() {
                    asm.stmt(op::LD | op::W | op::ABS, addr_at.saturating_add(offset));
                    let on_match = if i == 3 { Target::Label(ok) } else { Target::Next };
                    asm.jump(op::JMP | op::JEQ | op::K, w, on_match, Target::Label(mismatch));
                }
                asm.place(mismatch);
            }
        }
        asm.reject();
        asm.place(ok);
    }
    if !ports.is_empty() {
        // The TCP or UDP header right after the 40-byte fixed header.
        port_block(asm, op::LD | op::H | op::ABS, l3.saturating_add(40), ports);
    }
    asm.stmt(op::RET | op::K, accept_len);
}

/// Source port, then destination port (the first four bytes of TCP and UDP headers alike),
/// against every port; rejects when none matches.
fn port_block(asm: &mut Asm, load: u16, transport_at: u32, ports: &[u16]) {
    let ok = asm.label();
    for port_at in [transport_at, transport_at.saturating_add(2)] {
        asm.stmt(load, port_at);
        for &p in ports {
            asm.jump(op::JMP | op::JEQ | op::K, u32::from(p), Target::Label(ok), Target::Next);
        }
    }
    asm.reject();
    asm.place(ok);
}

/// Renders a program in the style of `tcpdump -d`, for `--debug` style inspection and tests.
pub fn disassemble(prog: &[Insn]) -> String {
    let mut out = String::new();
    for (pc, i) in prog.iter().enumerate() {
        let class = i.code & 0x07;
        let text = match class {
            c if c == op::LD => {
                let size = match i.code & 0x18 {
                    op::W => "ld",
                    op::H => "ldh",
                    _ => "ldb",
                };
                if i.code & 0xe0 == op::IND {
                    format!("{size} [x + {}]", i.k)
                } else if i.k >= op::SKF_AD_OFF {
                    format!("{size} #ancillary{}", i.k.saturating_sub(op::SKF_AD_OFF))
                } else {
                    format!("{size} [{}]", i.k)
                }
            }
            c if c == op::LDX => format!("ldxb 4*([{}]&0xf)", i.k),
            c if c == op::JMP => {
                let name = if i.code & 0xf0 == op::JSET { "jset" } else { "jeq" };
                let base = pc.saturating_add(1);
                let (jt, jf) = (base.saturating_add(usize::from(i.jt)), base.saturating_add(usize::from(i.jf)));
                format!("{name} #{:#x} jt {jt} jf {jf}", i.k)
            }
            _ => format!("ret #{}", i.k),
        };
        out.push_str(&format!("({pc:03}) {text}\n"));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::source::file::FileSource;
    use std::net::{Ipv4Addr, Ipv6Addr};

    /// A classic BPF interpreter for the instructions the compiler emits, with the kernel's
    /// semantics: big-endian loads, an out-of-bounds load rejects the frame.
    pub(crate) fn run(prog: &[Insn], frame: &[u8], skb_protocol: u16) -> u32 {
        let load = |at: u32, size: usize| -> Option<u32> {
            if at >= op::SKF_AD_OFF {
                return (at - op::SKF_AD_OFF == op::SKF_AD_PROTOCOL).then_some(u32::from(skb_protocol));
            }
            let bytes = frame.get(at as usize..at as usize + size)?;
            Some(bytes.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
        };
        let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
        for _ in 0..4096 {
            let i = prog[pc];
            pc += 1;
            match i.code & 0x07 {
                0x00 => {
                    let size = match i.code & 0x18 {
                        op::W => 4,
                        op::H => 2,
                        _ => 1,
                    };
                    let at = if i.code & 0xe0 == op::IND { i.k.wrapping_add(x) } else { i.k };
                    match load(at, size) {
                        Some(v) => a = v,
                        None => return 0,
                    }
                }
                0x01 => {
                    assert_eq!(i.code, op::LDX | op::B | op::MSH);
                    match load(i.k, 1) {
                        Some(v) => x = 4 * (v & 0xf),
                        None => return 0,
                    }
                }
                0x05 => {
                    let taken = match i.code & 0xf0 {
                        op::JEQ => a == i.k,
                        op::JSET => a & i.k != 0,
                        other => panic!("unexpected jump {other:#x}"),
                    };
                    pc += usize::from(if taken { i.jt } else { i.jf });
                }
                0x06 => return i.k,
                other => panic!("unexpected class {other}"),
            }
        }
        panic!("program did not terminate");
    }

    pub(crate) fn frames(name: &str) -> Vec<(u32, Vec<u8>)> {
        let path = format!("{}/tests/data/live/{name}", env!("CARGO_MANIFEST_DIR"));
        let mut src = FileSource::open(&path).unwrap();
        let mut out = Vec::new();
        while let Some(f) = src.next_with(|p| (p.linktype, p.data.to_vec())).unwrap() {
            out.push(f);
        }
        out
    }

    /// (is TCP or UDP, source port, destination port, source IP, destination IP) decoded by hand from an
    /// Ethernet frame, to state what each test frame is independently of the filter.
    fn describe(l3: &[u8], ethertype: u16) -> (bool, u16, u16, IpAddr, IpAddr) {
        let be16 = |b: &[u8], at: usize| u16::from_be_bytes([b[at], b[at + 1]]);
        match ethertype {
            0x0800 => {
                let ihl = usize::from(l3[0] & 0xf) * 4;
                let src = IpAddr::V4(Ipv4Addr::new(l3[12], l3[13], l3[14], l3[15]));
                let dst = IpAddr::V4(Ipv4Addr::new(l3[16], l3[17], l3[18], l3[19]));
                (matches!(l3[9], 6 | 17), be16(l3, ihl), be16(l3, ihl + 2), src, dst)
            }
            0x86dd => {
                let src = IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&l3[8..24]).unwrap()));
                let dst = IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(&l3[24..40]).unwrap()));
                (matches!(l3[6], 6 | 17), be16(l3, 40), be16(l3, 42), src, dst)
            }
            other => panic!("unexpected ethertype {other:#x}"),
        }
    }

    fn expected(spec: &FilterSpec, l3: &[u8], ethertype: u16) -> bool {
        let (tcp_or_udp, sport, dport, src, dst) = describe(l3, ethertype);
        tcp_or_udp
            && (spec.ports.is_empty() || spec.ports.contains(&sport) || spec.ports.contains(&dport))
            && (spec.hosts.is_empty() || spec.hosts.contains(&src) || spec.hosts.contains(&dst))
    }

    fn v4(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn specs() -> Vec<FilterSpec> {
        vec![
            FilterSpec { ports: vec![4433], hosts: vec![] },
            FilterSpec { ports: vec![8080, 4433], hosts: vec![] },
            FilterSpec { ports: vec![9999], hosts: vec![] },
            FilterSpec { ports: vec![], hosts: vec![v4("127.0.0.1")] },
            FilterSpec { ports: vec![], hosts: vec![v4("::1")] },
            FilterSpec { ports: vec![4433], hosts: vec![v4("::1")] },
            FilterSpec { ports: vec![8080], hosts: vec![v4("10.1.2.3"), v4("127.0.0.1"), v4("::2"), v4("::1")] },
            FilterSpec { ports: vec![], hosts: vec![v4("10.1.2.3")] },
        ]
    }

    const ACCEPT: u32 = 262_144;

    #[test]
    fn ethernet_frames_from_lo_are_matched_like_the_spec_says() {
        let frames = frames("lo.pcap");
        assert_eq!(frames.len(), 44);
        assert!(frames.iter().all(|(lt, _)| *lt == 1));
        for spec in specs() {
            let prog = compile(&spec, Framing::Ethernet, ACCEPT).unwrap();
            let mut accepted = 0;
            for (n, (_, frame)) in frames.iter().enumerate() {
                let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
                let want = expected(&spec, &frame[14..], ethertype);
                let got = run(&prog, frame, 0);
                assert_eq!(got, if want { ACCEPT } else { 0 }, "frame {} with {spec:?}\n{}", n + 1, disassemble(&prog));
                accepted += usize::from(want);
            }
            // Guard against a vacuous expectation function. The capture has two UDP datagrams
            // to 4433, one over IPv4 and one over IPv6 (QUIC's transport): they count too.
            let count = match (spec.ports.as_slice(), spec.hosts.len()) {
                ([4433], 0) => 22,
                ([8080, 4433], 0) => 42,
                ([9999], 0) => 0,
                ([], 1) if spec.hosts[0] == v4("127.0.0.1") => 21,
                ([], 1) if spec.hosts[0] == v4("::1") => 21,
                ([4433], 1) => 11,
                ([8080], 4) => 20,
                _ => 0,
            };
            assert_eq!(accepted, count, "{spec:?}");
        }
    }

    #[test]
    fn cooked_frames_from_any_are_matched_after_the_sll2_header() {
        let frames = frames("any.pcap");
        assert!(frames.len() >= 40, "{}", frames.len());
        for spec in specs() {
            let prog = compile(&spec, Framing::Cooked, ACCEPT).unwrap();
            for (n, (lt, frame)) in frames.iter().enumerate() {
                assert_eq!(*lt, 276);
                // SLL2: protocol type first, L3 after 20 bytes; a cooked socket shows only L3.
                let proto = u16::from_be_bytes([frame[0], frame[1]]);
                let l3 = &frame[20..];
                let want = expected(&spec, l3, proto);
                assert_eq!(run(&prog, l3, proto), if want { ACCEPT } else { 0 }, "frame {} {spec:?}", n + 1);
            }
        }
    }

    #[test]
    fn udp_is_accepted_and_other_protocols_and_short_frames_are_rejected() {
        let spec = FilterSpec { ports: vec![4433], hosts: vec![] };
        let prog = compile(&spec, Framing::Ethernet, ACCEPT).unwrap();
        let frames = frames("lo.pcap");
        // The UDP datagram to port 4433 (QUIC's transport) passes; to another port it does not.
        let udp: Vec<_> = frames.iter().filter(|(_, f)| f[12..14] == [8, 0] && f[23] == 17).collect();
        assert_eq!(udp.len(), 1);
        assert_eq!(run(&prog, &udp[0].1, 0), ACCEPT);
        let other = compile(&FilterSpec { ports: vec![4434], hosts: vec![] }, Framing::Ethernet, ACCEPT).unwrap();
        assert_eq!(run(&other, &udp[0].1, 0), 0);
        // The IPv6 UDP datagram to 4433 too.
        let udp6 = frames.iter().find(|(_, f)| f[12..14] == [0x86, 0xdd] && f[20] == 17).unwrap();
        assert_eq!(run(&prog, &udp6.1, 0), ACCEPT);
        // The ICMP error quoting the IPv4 datagram.
        let icmp: Vec<_> = frames.iter().filter(|(_, f)| f[12..14] == [8, 0] && f[23] == 1).collect();
        assert_eq!(icmp.len(), 1);
        assert_eq!(run(&prog, &icmp[0].1, 0), 0);
        // A TCP SYN to 4433 cut right after the IP header: the port load is out of bounds.
        let syn = frames.iter().find(|(_, f)| f[12..14] == [8, 0] && f[23] == 6).unwrap();
        assert_eq!(run(&prog, &syn.1, 0), ACCEPT);
        assert_eq!(run(&prog, &syn.1[..34], 0), 0);
        // An ARP frame.
        let mut arp = syn.1[..42].to_vec();
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        assert_eq!(run(&prog, &arp, 0), 0);
    }

    #[test]
    fn non_first_ipv4_fragments_are_accepted_on_host_alone() {
        let spec = FilterSpec { ports: vec![9999], hosts: vec![v4("127.0.0.1")] };
        let prog = compile(&spec, Framing::Ethernet, ACCEPT).unwrap();
        let frames = frames("lo.pcap");
        let (_, syn) = frames.iter().find(|(_, f)| f[12..14] == [8, 0] && f[23] == 6).unwrap();
        assert_eq!(run(&prog, syn, 0), 0, "port 9999 is not in the capture");
        let mut fragment = syn.clone();
        fragment[20..22].copy_from_slice(&[0x00, 0x10]); // offset 16 * 8 bytes
        assert_eq!(run(&prog, &fragment, 0), ACCEPT);
        // First fragment (MF set, offset 0) still has its ports checked.
        fragment[20..22].copy_from_slice(&[0x20, 0x00]);
        assert_eq!(run(&prog, &fragment, 0), 0);
        // Host mismatch rejects even a fragment.
        let spec = FilterSpec { ports: vec![9999], hosts: vec![v4("10.0.0.1")] };
        let prog = compile(&spec, Framing::Ethernet, ACCEPT).unwrap();
        fragment[20..22].copy_from_slice(&[0x00, 0x10]);
        assert_eq!(run(&prog, &fragment, 0), 0);
    }

    #[test]
    fn ipv4_options_move_the_ports() {
        // A SYN to 4433 rebuilt with a 4-byte IP option (IHL 6): ports are found via X.
        let frames = frames("lo.pcap");
        let (_, syn) = frames.iter().find(|(_, f)| f[12..14] == [8, 0] && f[23] == 6).unwrap();
        let mut with_options = syn[..34].to_vec();
        with_options[14] = 0x46;
        with_options.extend_from_slice(&[1, 1, 1, 0]); // NOP NOP NOP EOL
        with_options.extend_from_slice(&syn[34..]);
        let prog = compile(&FilterSpec { ports: vec![4433], hosts: vec![] }, Framing::Ethernet, ACCEPT).unwrap();
        assert_eq!(run(&prog, &with_options, 0), ACCEPT);
        let prog = compile(&FilterSpec { ports: vec![256], hosts: vec![] }, Framing::Ethernet, ACCEPT).unwrap();
        // Without honouring IHL the option bytes 01 01 would read as port 257/256.
        assert_eq!(run(&prog, &with_options, 0), 0);
    }

    #[test]
    fn largest_filters_still_encode() {
        let ports: Vec<u16> = (1..=MAX_PORTS as u16).collect();
        let hosts: Vec<IpAddr> =
            (1..=MAX_HOSTS as u16).map(|i| IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, i))).collect();
        let prog = compile(&FilterSpec { ports: ports.clone(), hosts }, Framing::Ethernet, ACCEPT).unwrap();
        assert!(prog.len() < 4096);
        let frames = frames("lo.pcap");
        // ::1 is host 1 and 4433 is not among ports 1..=64.
        let v6_tcp = frames.iter().filter(|(_, f)| f[12..14] == [0x86, 0xdd] && f[20] == 6);
        for (_, f) in v6_tcp {
            assert_eq!(run(&prog, f, 0), 0);
        }
        let mut ports = ports;
        ports[63] = 4433;
        let hosts = (1..=MAX_HOSTS as u16).map(|i| IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, i))).collect();
        let prog = compile(&FilterSpec { ports, hosts }, Framing::Ethernet, ACCEPT).unwrap();
        let accepted = frames.iter().filter(|(_, f)| run(&prog, f, 0) == ACCEPT).count();
        assert_eq!(accepted, 11, "the IPv6 connection to 4433 and the IPv6 UDP datagram to it");
        assert_eq!(
            compile(&FilterSpec { ports: vec![1; MAX_PORTS + 1], hosts: vec![] }, Framing::Ethernet, ACCEPT),
            Err(FilterError::TooManyPorts(MAX_PORTS + 1))
        );
        assert_eq!(
            compile(&FilterSpec { ports: vec![], hosts: vec![v4("::1"); MAX_HOSTS + 1] }, Framing::Ethernet, ACCEPT),
            Err(FilterError::TooManyHosts(MAX_HOSTS + 1))
        );
    }

    #[test]
    fn program_reads_like_tcpdump() {
        let prog = compile(&FilterSpec { ports: vec![443], hosts: vec![] }, Framing::Ethernet, ACCEPT).unwrap();
        let text = disassemble(&prog);
        assert!(
            text.starts_with(
                "(000) ldh [12]\n(001) jeq #0x800 jt 4 jf 2\n(002) jeq #0x86dd jt 18 jf 3\n(003) ret #0\n\
                 (004) ldb [23]\n(005) jeq #0x6 jt 8 jf 6\n(006) jeq #0x11 jt 8 jf 7\n(007) ret #0\n"
            ),
            "{text}"
        );
        assert!(text.contains("ldxb 4*([14]&0xf)"), "{text}");
        assert!(text.contains("ldh [x + 14]"), "{text}");
        assert!(text.contains("ldh [54]"), "{text}");
        assert!(text.contains("jeq #0x1bb"), "{text}");
        let cooked =
            disassemble(&compile(&FilterSpec { ports: vec![443], hosts: vec![] }, Framing::Cooked, 1).unwrap());
        assert!(cooked.starts_with("(000) ldh #ancillary0\n"), "{cooked}");
        assert!(cooked.contains("ldh [40]"), "{cooked}");
    }
}
