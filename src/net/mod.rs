//! Link and IP decoding: from a captured frame to a TCP segment.
//!
//! Layer 2 of the pipeline. It knows capture link types, IPv4/IPv6 (with extension headers and
//! fragment reassembly) and the TCP header; it knows nothing of flows or TLS.
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

mod frag;
pub use frag::datagram_slot_bytes;
mod ip;
mod link;
mod tcp_header;
#[cfg(test)]
mod tests;
mod tunnel;
pub mod udp_conns;
pub use udp_conns::{UdpConn, UdpConns, UdpKey};

pub use link::{is_supported_link, linktype};

use crate::time::Timestamp;
use frag::{Added, Reassembler};
use ip::{Upper, WalkFrom};
use std::net::SocketAddr;

/// TCP header flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub fn fin(self) -> bool {
        self.0 & Self::FIN != 0
    }
    pub fn syn(self) -> bool {
        self.0 & Self::SYN != 0
    }
    pub fn rst(self) -> bool {
        self.0 & Self::RST != 0
    }
    pub fn ack(self) -> bool {
        self.0 & Self::ACK != 0
    }
}

/// One TCP segment as captured.
#[derive(Clone, Debug)]
pub struct TcpSegment<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    /// The captured payload bytes (possibly fewer than were sent, see `missing_tail`).
    pub payload: &'a [u8],
    /// Payload bytes that were on the wire but cut from the capture by the snap length.
    /// Reassembly treats them as a gap right after `payload`.
    pub missing_tail: u32,
}

/// What a frame turned out to be.
#[derive(Debug)]
pub enum NetOutcome<'a> {
    Tcp(TcpSegment<'a>),
    /// A valid frame that carries no TCP (ARP, UDP, ICMP, ...).
    NotTcp,
    /// An IP fragment that was stored until the datagram is complete.
    FragmentHeld,
    /// A UDP datagram (not a tunnel): QUIC may be inside. Counted as not TCP.
    Udp(UdpDatagram<'a>),
}

/// One UDP datagram as captured.
#[derive(Clone, Debug)]
pub struct UdpDatagram<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// The captured payload (the snap length may have cut it).
    pub payload: &'a [u8],
}

/// A UDP header and payload (`udp` starts at the header) between two addresses.
fn udp_datagram(src: std::net::IpAddr, dst: std::net::IpAddr, udp: &[u8]) -> NetOutcome<'_> {
    match (link::be16(udp, 0), link::be16(udp, 2), udp.get(8..)) {
        (Some(sp), Some(dp), Some(payload)) => {
            NetOutcome::Udp(UdpDatagram { src: SocketAddr::new(src, sp), dst: SocketAddr::new(dst, dp), payload })
        }
        _ => NetOutcome::NotTcp,
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum NetError {
    #[error("unsupported link type {0}")]
    UnsupportedLink(u32),
    #[error("malformed {0}")]
    Malformed(&'static str),
}

/// Counters a run reports in its summary.
#[derive(Clone, Debug, Default)]
pub struct NetStats {
    pub ip_fragments: u64,
    pub datagrams_reassembled: u64,
    /// Fragments dropped: memory cap, timeout, inconsistent overlaps.
    pub fragments_dropped: u64,
    /// Packets found inside VXLAN or Geneve tunnels.
    pub tunneled_packets: u64,
    /// Incomplete datagrams dropped (memory cap, timeout, IPv6 overlap, end of capture); their
    /// fragments are in `fragments_dropped`.
    pub fragment_datagrams_dropped: u64,
    /// Fragments that overlapped bytes already held: IPv4 keeps the held bytes, IPv6 ignores
    /// exact duplicates (other IPv6 overlaps drop the datagram and count as dropped).
    pub fragment_overlaps: u64,
    /// Incomplete datagrams dropped to stay within `max_fragment_bytes` or
    /// `max_fragment_datagrams` (oldest first); counted in `fragment_datagrams_dropped` too.
    pub fragment_datagrams_evicted: u64,
}

/// Limits for IP fragment reassembly.
#[derive(Clone, Debug)]
pub struct NetConfig {
    /// Total bytes held across all incomplete datagrams.
    pub max_fragment_bytes: usize,
    /// Incomplete datagrams held at once.
    pub max_fragment_datagrams: usize,
    /// Capture-time seconds after which an incomplete datagram is dropped.
    pub fragment_timeout_secs: u64,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig { max_fragment_bytes: 4 << 20, max_fragment_datagrams: 1024, fragment_timeout_secs: 30 }
    }
}

/// Decodes frames of any supported link type down to TCP. Holds IP fragment state.
pub struct NetDecoder {
    stats: NetStats,
    reassembler: Reassembler,
}

impl NetDecoder {
    pub fn new(cfg: NetConfig) -> Self {
        NetDecoder { stats: NetStats::default(), reassembler: Reassembler::new(&cfg) }
    }

    /// Decodes one captured frame. `orig_len` is the frame's length on the wire (>= `frame.len()`
    /// when the snap length cut it).
    ///
    /// Fragments that reassembly absorbs without completing a datagram (held, exact duplicates,
    /// dropped for the memory cap) give `FragmentHeld`; fragments that contradict the datagram
    /// give `Malformed`. Incomplete datagrams older than the timeout (capture time `ts`) are
    /// dropped on every call.
    pub fn decode<'a>(
        &'a mut self,
        linktype: u32,
        frame: &'a [u8],
        orig_len: u32,
        ts: Timestamp,
    ) -> Result<NetOutcome<'a>, NetError> {
        self.reassembler.expire(ts, &mut self.stats);
        let (mut linktype, mut frame) = (linktype, frame);
        let mut on_wire = usize::try_from(orig_len).unwrap_or(usize::MAX).max(frame.len());
        // Tunnels (VXLAN, Geneve) are followed a few levels deep, never in a loop.
        let mut depth = 0u32;
        let packet = loop {
            let Some(link) = link::strip(linktype, frame)? else {
                return Ok(NetOutcome::NotTcp);
            };
            let packet = ip::parse(link.proto, link.bytes, on_wire.saturating_sub(link.header_len))?;
            if let Upper::Udp { captured } = packet.upper {
                depth = depth.saturating_add(1);
                match tunnel::inner_frame(captured) {
                    Some((inner_link, inner)) if depth <= tunnel::MAX_DEPTH => {
                        // What the snap length cut from the outer frame is cut from the inner one.
                        on_wire = on_wire.saturating_sub(frame.len().saturating_sub(inner.len()));
                        linktype = inner_link;
                        frame = inner;
                        self.stats.tunneled_packets = self.stats.tunneled_packets.saturating_add(1);
                        continue;
                    }
                    _ => return Ok(udp_datagram(packet.src, packet.dst, captured)),
                }
            }
            break packet;
        };
        let frag = match packet.upper {
            Upper::NotTcp | Upper::Udp { .. } => return Ok(NetOutcome::NotTcp),
            Upper::Tcp { captured, wire_len } => {
                return tcp_header::segment(packet.src, packet.dst, captured, wire_len).map(NetOutcome::Tcp);
            }
            Upper::Fragment(frag) => frag,
        };
        let missing = match self.reassembler.add(packet.src, packet.dst, &frag, ts, &mut self.stats)? {
            Added::Held => return Ok(NetOutcome::FragmentHeld),
            Added::Complete { missing } => missing,
        };
        let datagram = self.reassembler.output();
        let wire = datagram.len().saturating_add(missing);
        match ip::walk(frag.proto, datagram, wire, frag.family, WalkFrom::Reassembled)? {
            Upper::Tcp { captured, wire_len } => {
                tcp_header::segment(packet.src, packet.dst, captured, wire_len).map(NetOutcome::Tcp)
            }
            Upper::Udp { captured } => Ok(udp_datagram(packet.src, packet.dst, captured)),
            Upper::NotTcp | Upper::Fragment(_) => Ok(NetOutcome::NotTcp),
        }
    }

    /// End of capture: drops the incomplete datagrams still held and counts them.
    pub fn finish(&mut self) {
        self.reassembler.clear(&mut self.stats);
    }

    /// Incomplete datagrams currently held.
    pub fn pending_fragment_datagrams(&self) -> usize {
        self.reassembler.pending()
    }

    /// Bytes held for incomplete datagrams, as charged against `max_fragment_bytes`.
    pub fn pending_fragment_bytes(&self) -> usize {
        self.reassembler.held_bytes()
    }

    pub fn stats(&self) -> &NetStats {
        &self.stats
    }
}
