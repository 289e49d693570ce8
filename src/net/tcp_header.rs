//! The TCP header: ports, sequence numbers, flags and the payload boundary.
//!
//! etherparse's `TcpHeaderSlice` checks the data offset (>= 5 words, within the slice).
//! Checksums are not verified: checksum offloading leaves them wrong in captures taken on the
//! sending host.

use super::{NetError, TcpFlags, TcpSegment};
use etherparse::TcpHeaderSlice;
use std::net::{IpAddr, SocketAddr};

/// Byte of the TCP header holding the flags (after offset and the reserved bits).
const FLAGS_BYTE: usize = 13;

/// Decodes a TCP segment from its `captured` bytes; `wire_len` is its length on the wire.
// Once per packet, and left out of line by the optimiser in some builds without the hint.
#[inline]
pub(super) fn segment(src: IpAddr, dst: IpAddr, captured: &[u8], wire_len: usize) -> Result<TcpSegment<'_>, NetError> {
    use etherparse::err::tcp::HeaderSliceError;
    let header = TcpHeaderSlice::from_slice(captured).map_err(|e| match e {
        HeaderSliceError::Len(len) if len.required_len > wire_len => NetError::Malformed("TCP header past segment end"),
        HeaderSliceError::Len(_) => NetError::Malformed("truncated TCP header"),
        HeaderSliceError::Content(_) => NetError::Malformed("TCP data offset below 5"),
    })?;
    let header_len = header.slice().len();
    if header_len > wire_len {
        // Only when more bytes were captured than the IP length allows for; cannot happen for
        // callers that trim to the IP length, kept so the invariant is local.
        return Err(NetError::Malformed("TCP header past segment end"));
    }
    let payload = captured.get(header_len..).unwrap_or_default();
    let missing = wire_len.saturating_sub(captured.len());
    Ok(TcpSegment {
        src: SocketAddr::new(src, header.source_port()),
        dst: SocketAddr::new(dst, header.destination_port()),
        seq: header.sequence_number(),
        ack: header.acknowledgment_number(),
        flags: TcpFlags(header.slice().get(FLAGS_BYTE).copied().unwrap_or_default()),
        payload,
        missing_tail: u32::try_from(missing).unwrap_or(u32::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn header(data_offset_words: u8, flags: u8) -> Vec<u8> {
        let mut h = vec![0x01, 0xbb, 0xc0, 0x01]; // 443 -> 49153
        h.extend_from_slice(&0x1122_3344u32.to_be_bytes());
        h.extend_from_slice(&0x5566_7788u32.to_be_bytes());
        h.extend_from_slice(&[data_offset_words << 4, flags, 0xff, 0xff, 0, 0, 0, 0]);
        h.resize(usize::from(data_offset_words.max(5)) * 4, 1); // NOP options
        h
    }

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn fields_and_payload() {
        let seg = [header(6, 0x18), b"hello".to_vec()].concat();
        let s = segment(A, B, &seg, seg.len()).unwrap();
        assert_eq!(s.src, "10.0.0.1:443".parse().unwrap());
        assert_eq!(s.dst, "10.0.0.2:49153".parse().unwrap());
        assert_eq!((s.seq, s.ack, s.flags), (0x1122_3344, 0x5566_7788, TcpFlags(TcpFlags::PSH | TcpFlags::ACK)));
        assert!(s.flags.ack() && !s.flags.syn() && !s.flags.fin() && !s.flags.rst());
        assert_eq!((s.payload, s.missing_tail), (&b"hello"[..], 0));
        // Snap length cut 3 payload bytes.
        let s = segment(A, B, &seg[..seg.len() - 3], seg.len()).unwrap();
        assert_eq!((s.payload, s.missing_tail), (&b"he"[..], 3));
    }

    #[test]
    fn data_offset_bounds() {
        let seg = [header(4, 0x02), vec![0; 8]].concat();
        assert_eq!(segment(A, B, &seg, seg.len()).unwrap_err(), NetError::Malformed("TCP data offset below 5"));
        // Offset of 15 words (60 bytes) in a 40-byte segment.
        let mut seg = header(15, 0x02);
        seg.truncate(40);
        assert_eq!(segment(A, B, &seg, 40).unwrap_err(), NetError::Malformed("TCP header past segment end"));
        // The same header cut by the snap length: the segment was long enough on the wire.
        assert_eq!(segment(A, B, &seg, 100).unwrap_err(), NetError::Malformed("truncated TCP header"));
        assert_eq!(segment(A, B, &seg[..19], 100).unwrap_err(), NetError::Malformed("truncated TCP header"));
        assert_eq!(segment(A, B, &seg[..19], 19).unwrap_err(), NetError::Malformed("TCP header past segment end"));
    }
}
