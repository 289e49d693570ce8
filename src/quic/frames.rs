//! The frames an Initial or Handshake packet may carry (RFC 9000 12.4, 19), and in 1-RTT
//! packets the others skipped over to find CRYPTO and HANDSHAKE_DONE.

use crate::msgs::reader::Reader;

#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A run of PADDING bytes.
    Padding(usize),
    Ping,
    Ack {
        largest: u64,
    },
    Crypto {
        offset: u64,
        data: &'a [u8],
    },
    ConnectionClose {
        error: u64,
        frame_type: Option<u64>,
        reason: &'a [u8],
    },
    HandshakeDone,
    /// Application data of a stream (0-RTT and 1-RTT packets): counted, not decoded.
    Stream {
        id: u64,
        data: &'a [u8],
    },
    /// A 1-RTT frame read past (STREAM, NEW_CONNECTION_ID, MAX_DATA, ...), by type.
    Skipped(u64),
    /// A frame type not allowed in these packets: parsing stops there.
    Other(u64),
}

/// Parses a decrypted Initial or Handshake payload; stops at the first malformed or unexpected
/// frame.
pub fn parse(payload: &[u8]) -> Vec<Frame<'_>> {
    parse_with(payload, false)
}

/// Parses a decrypted 0-RTT or 1-RTT payload: every frame type of RFC 9000 (and DATAGRAM,
/// RFC 9221) is read, so CRYPTO and HANDSHAKE_DONE are found after STREAM frames.
pub fn parse_app(payload: &[u8]) -> Vec<Frame<'_>> {
    parse_with(payload, true)
}

fn parse_with(payload: &[u8], app: bool) -> Vec<Frame<'_>> {
    let mut r = Reader::new(payload);
    let mut out = Vec::new();
    while !r.is_empty() {
        match next(&mut r, app) {
            Some(Frame::Other(t)) => {
                out.push(Frame::Other(t));
                break;
            }
            Some(Frame::Padding(n)) => match out.last_mut() {
                // Consecutive padding bytes are one run.
                Some(Frame::Padding(m)) => *m = m.saturating_add(n),
                _ => out.push(Frame::Padding(n)),
            },
            Some(f) => out.push(f),
            None => break,
        }
    }
    out
}

fn varint_len(r: &mut Reader<'_>, what: &'static str) -> Option<usize> {
    usize::try_from(r.quic_varint(what).ok()?).ok()
}

fn next<'a>(r: &mut Reader<'a>, app: bool) -> Option<Frame<'a>> {
    let t = r.quic_varint("frame type").ok()?;
    Some(match t {
        0x00 => Frame::Padding(1),
        0x01 => Frame::Ping,
        0x02 | 0x03 => {
            let largest = r.quic_varint("ack largest").ok()?;
            r.quic_varint("ack delay").ok()?;
            let ranges = r.quic_varint("ack range count").ok()?;
            r.quic_varint("first ack range").ok()?;
            for _ in 0..ranges {
                r.quic_varint("ack gap").ok()?;
                r.quic_varint("ack range").ok()?;
            }
            if t == 0x03 {
                for _ in 0..3 {
                    r.quic_varint("ecn count").ok()?;
                }
            }
            Frame::Ack { largest }
        }
        0x06 => {
            let offset = r.quic_varint("crypto offset").ok()?;
            let len = varint_len(r, "crypto length")?;
            Frame::Crypto { offset, data: r.bytes(len, "crypto data").ok()? }
        }
        0x1c | 0x1d => {
            let error = r.quic_varint("error code").ok()?;
            let frame_type = if t == 0x1c { Some(r.quic_varint("frame type").ok()?) } else { None };
            let len = varint_len(r, "reason length")?;
            Frame::ConnectionClose { error, frame_type, reason: r.bytes(len, "reason").ok()? }
        }
        other if app => return app_frame(r, other),
        other => Frame::Other(other),
    })
}

/// Reads past the 1-RTT frames tlstrace does not use (RFC 9000 19, RFC 9221 4).
fn app_frame<'a>(r: &mut Reader<'a>, t: u64) -> Option<Frame<'a>> {
    // How many varints each fixed-shape frame carries.
    let varints = match t {
        0x04 => 3,               // RESET_STREAM
        0x05 | 0x11 | 0x15 => 2, // STOP_SENDING, MAX_STREAM_DATA, STREAM_DATA_BLOCKED
        0x10 | 0x12 | 0x13 | 0x14 | 0x16 | 0x17 | 0x19 => 1,
        _ => 0,
    };
    for _ in 0..varints {
        r.quic_varint("frame field").ok()?;
    }
    match t {
        0x1e => return Some(Frame::HandshakeDone),
        0x07 => {
            let len = varint_len(r, "token length")?;
            r.bytes(len, "token").ok()?;
        }
        0x08..=0x0f => {
            let id = r.quic_varint("stream id").ok()?;
            if t & 0x04 != 0 {
                r.quic_varint("stream offset").ok()?;
            }
            // Without a length the frame runs to the end of the packet.
            let len = if t & 0x02 != 0 { varint_len(r, "stream length")? } else { r.remaining() };
            return Some(Frame::Stream { id, data: r.bytes(len, "stream data").ok()? });
        }
        0x18 => {
            r.quic_varint("sequence number").ok()?;
            r.quic_varint("retire prior to").ok()?;
            r.vec8("connection id").ok()?;
            r.bytes(16, "stateless reset token").ok()?;
        }
        0x1a | 0x1b => {
            r.bytes(8, "path data").ok()?;
        }
        0x30 => {
            r.bytes(r.remaining(), "datagram").ok()?;
        }
        0x31 => {
            let len = varint_len(r, "datagram length")?;
            r.bytes(len, "datagram").ok()?;
        }
        _ if varints > 0 => {}
        other => return Some(Frame::Other(other)),
    }
    Some(Frame::Skipped(t))
}
