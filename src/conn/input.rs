//! What the connection layer consumes: ordered byte streams, whatever transport made them.
//!
//! A transport layer (TCP reassembly today; a QUIC or DTLS layer later) delivers, per stream,
//! `Opened` first, then each direction's bytes in order with explicit `Gap`s where bytes will
//! never come, then `Closed`. The connection layer needs nothing else from it: sides, gap
//! causes, end reasons and the `Verdict` answer are the shared vocabulary, defined once in `tcp`
//! and reused here. A new transport converts its events into [`StreamEvent`]s as
//! `From<tcp::FlowEvent>` does below.

use crate::quic::QuicEvent;
use crate::tcp::FlowEvent;
pub use crate::tcp::{EndReason, GapCause, Side, Verdict};
use std::net::SocketAddr;

/// Unique id of a stream within a run (never reused), given by the transport.
pub type StreamId = u64;

/// One event of an ordered stream, in delivery order.
#[derive(Debug)]
pub enum StreamEvent<'a> {
    /// A new stream; comes first, once. `start_seen`: the transport saw the stream begin (a
    /// TCP SYN), so the initiator is the client and the first bytes are its first bytes.
    /// `quic`: the stream is a QUIC connection (None for TCP); its bytes come as
    /// `HandshakeBytes`, not as `Data`.
    Opened {
        stream: StreamId,
        initiator: SocketAddr,
        responder: SocketAddr,
        start_seen: bool,
        quic: Option<Box<crate::quic::QuicInfo>>,
    },
    /// In-order bytes of one direction, each delivered exactly once.
    Data { stream: StreamId, from: Side, bytes: &'a [u8] },
    /// In-order handshake-message bytes of one direction without TLS record framing (QUIC's
    /// CRYPTO stream): fed to the handshake assembler as if one record carried them.
    /// `decrypted`: the transport opened them with a key log's secrets (QUIC Handshake and
    /// 1-RTT packets).
    HandshakeBytes { stream: StreamId, from: Side, bytes: &'a [u8], decrypted: bool },
    /// A packet the transport could not open (QUIC Handshake, 0-RTT, 1-RTT), by its name.
    Sealed { stream: StreamId, from: Side, packet: &'static str, length: usize },
    /// A QUIC 0-RTT packet opened with the key log's early traffic secret, and the
    /// application data it carried.
    EarlyData { stream: StreamId, length: usize, stream_frames: u32, stream_bytes: usize },
    /// Packets the transport held for secrets from a key log still being written were handled
    /// without waiting longer: how many, and why.
    GaveUpWaiting { stream: StreamId, packets: usize, bytes: usize, cause: &'static str },
    /// Something the transport shows as it is (a QUIC Retry, a CONNECTION_CLOSE).
    Note { stream: StreamId, from: Side, text: String },
    /// The connection id the server chose (QUIC), the destination of the client's packets
    /// after the server's first.
    ServerConnectionId { stream: StreamId, cid: &'a [u8] },
    /// Bytes of one direction that will never be delivered: `bytes` from offset `offset`.
    Gap { stream: StreamId, from: Side, offset: u64, bytes: u64, cause: GapCause },
    /// No more bytes in this direction.
    DirectionEnded { stream: StreamId, from: Side, reason: EndReason },
    /// The stream is gone; no more events for it.
    Closed { stream: StreamId, reason: EndReason },
}

impl<'a> From<FlowEvent<'a>> for StreamEvent<'a> {
    fn from(ev: FlowEvent<'a>) -> Self {
        match ev {
            FlowEvent::Opened { flow, initiator, responder, syn_seen } => {
                StreamEvent::Opened { stream: flow, initiator, responder, start_seen: syn_seen, quic: None }
            }
            FlowEvent::Data { flow, from, bytes } => StreamEvent::Data { stream: flow, from, bytes },
            FlowEvent::Gap { flow, from, offset, bytes, cause } => {
                StreamEvent::Gap { stream: flow, from, offset, bytes, cause }
            }
            FlowEvent::DirectionEnded { flow, from, reason } => {
                StreamEvent::DirectionEnded { stream: flow, from, reason }
            }
            FlowEvent::Closed { flow, reason } => StreamEvent::Closed { stream: flow, reason },
        }
    }
}

impl<'a> From<QuicEvent<'a>> for StreamEvent<'a> {
    fn from(ev: QuicEvent<'a>) -> Self {
        match ev {
            // No SYN: the client is the sender of the first Initial (its ClientHello says so).
            QuicEvent::Opened { stream, client, server, info } => StreamEvent::Opened {
                stream,
                initiator: client,
                responder: server,
                start_seen: false,
                quic: Some(Box::new(info)),
            },
            QuicEvent::Crypto { stream, from, bytes, decrypted } => {
                StreamEvent::HandshakeBytes { stream, from, bytes, decrypted }
            }
            QuicEvent::Sealed { stream, from, packet, length } => StreamEvent::Sealed { stream, from, packet, length },
            QuicEvent::Note { stream, from, text } => StreamEvent::Note { stream, from, text },
            QuicEvent::ServerConnectionId { stream, cid } => StreamEvent::ServerConnectionId { stream, cid },
            QuicEvent::GaveUpWaiting { stream, packets, bytes, cause } => {
                StreamEvent::GaveUpWaiting { stream, packets, bytes, cause }
            }
            QuicEvent::EarlyData { stream, length, stream_frames, stream_bytes } => {
                StreamEvent::EarlyData { stream, length, stream_frames, stream_bytes }
            }
            QuicEvent::Closed { stream, reason } => StreamEvent::Closed { stream, reason },
        }
    }
}
