//! The frames an Initial or Handshake packet may carry (RFC 9000 12.4, 19).

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
    /// A frame type not allowed in these packets: parsing stops there.
    Other(u64),
}

/// Parses a decrypted payload; stops at the first malformed or unexpected frame.
pub fn parse(payload: &[u8]) -> Vec<Frame<'_>> {
    let mut r = Reader::new(payload);
    let mut out = Vec::new();
    while !r.is_empty() {
        match next(&mut r) {
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

fn next<'a>(r: &mut Reader<'a>) -> Option<Frame<'a>> {
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
        other => Frame::Other(other),
    })
}
