//! Link and IP decoding: from a captured frame to a TCP segment.
//!
//! Layer 2 of the pipeline. It knows capture link types, IPv4/IPv6 (with extension headers and
//! fragment reassembly) and the TCP header; it knows nothing of flows or TLS.

use crate::time::Timestamp;
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
    _cfg: NetConfig,
    stats: NetStats,
}

impl NetDecoder {
    pub fn new(cfg: NetConfig) -> Self {
        NetDecoder { _cfg: cfg, stats: NetStats::default() }
    }

    /// Decodes one captured frame. `orig_len` is the frame's length on the wire (>= `frame.len()`
    /// when the snap length cut it).
    pub fn decode<'a>(
        &'a mut self,
        linktype: u32,
        frame: &'a [u8],
        orig_len: u32,
        ts: Timestamp,
    ) -> Result<NetOutcome<'a>, NetError> {
        let _ = (linktype, frame, orig_len, ts);
        todo!("net decoder")
    }

    pub fn stats(&self) -> &NetStats {
        &self.stats
    }
}
