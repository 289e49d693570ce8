//! What the QUIC layer asks of the connection layer: its events go in, and the TLS 1.3
//! secrets of a connection come out (the key store is here, and so are the client random
//! and the suite its hellos named). The QUIC packet code stays in `quic`.

use super::{ConnTracker, PacketContext, StreamId};
use crate::quic::{QuicEvent, QuicSecrets, QuicSink};

/// The [`QuicSink`] the pipeline hands the QUIC table for one datagram.
pub struct QuicInput<'c> {
    conns: &'c mut ConnTracker,
    pkt: PacketContext,
}

impl ConnTracker {
    /// A sink for the QUIC layer's events of one datagram (`pkt`).
    pub fn quic_input(&mut self, pkt: PacketContext) -> QuicInput<'_> {
        QuicInput { conns: self, pkt }
    }

    /// The TLS 1.3 secrets the key log has for a QUIC connection, with its suite once the
    /// ServerHello named it; None without a key log or before the ClientHello.
    pub fn quic_secrets(&self, stream: StreamId) -> Option<QuicSecrets> {
        let tls = self.flows.get(&stream)?.tls.as_ref()?;
        let (suite, secrets) = tls.crypto.tls13_secrets(&self.shared.keys)?;
        Some(QuicSecrets { suite, secrets })
    }
}

impl QuicSink for QuicInput<'_> {
    fn event(&mut self, ev: QuicEvent<'_>) {
        self.conns.on_stream_event(ev.into(), self.pkt);
    }

    fn secrets(&mut self, stream: StreamId) -> Option<QuicSecrets> {
        self.conns.quic_secrets(stream)
    }

    fn frame(&self) -> u64 {
        self.pkt.frame
    }

    fn set_packet(&mut self, ts: crate::time::Timestamp, frame: u64) {
        self.pkt = PacketContext { ts, frame };
    }
}
