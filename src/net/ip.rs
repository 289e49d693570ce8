//! IPv4 and IPv6: from network-layer bytes to the TCP bytes (or a fragment to reassemble).
//!
//! Fixed headers are read with etherparse's zero-copy header slices (they check versions and
//! lengths). The IPv6 extension chain is walked here: etherparse's own walker stops at
//! mobility, HIP, shim6 and the experimental headers, all of which share the generic
//! "next header, length in 8-octet units" layout that `Ipv6RawExtHeaderSlice` reads.
//!
//! Lengths come in pairs throughout: `captured` bytes we have, and `wire` bytes the headers say
//! were sent. They differ when the snap length cut the frame; the difference becomes the TCP
//! segment's `missing_tail`.

use super::NetError;
use super::link::NetProto;
use etherparse::{IpAuthHeaderSlice, Ipv4HeaderSlice, Ipv6FragmentHeaderSlice, Ipv6HeaderSlice, Ipv6RawExtHeaderSlice};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub(super) const PROTO_UDP: u8 = 17;
const PROTO_TCP: u8 = 6;
const PROTO_HOP_BY_HOP: u8 = 0;
const PROTO_ROUTING: u8 = 43;
const PROTO_FRAGMENT: u8 = 44;
const PROTO_AUTH: u8 = 51;
const PROTO_DEST_OPTS: u8 = 60;
const PROTO_MOBILITY: u8 = 135;
const PROTO_HIP: u8 = 139;
const PROTO_SHIM6: u8 = 140;
const PROTO_EXPERIMENT_1: u8 = 253;
const PROTO_EXPERIMENT_2: u8 = 254;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Family {
    V4,
    V6,
}

/// An IP packet down to what it carries.
#[derive(Debug)]
pub(super) struct IpPacket<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub upper: Upper<'a>,
}

#[derive(Debug)]
pub(super) enum Upper<'a> {
    /// TCP header and payload as captured, and the segment's length on the wire.
    Tcp {
        captured: &'a [u8],
        wire_len: usize,
    },
    Fragment(FragmentInfo<'a>),
    /// A whole UDP datagram (header and payload as captured): tunnels are looked into.
    Udp {
        captured: &'a [u8],
    },
    NotTcp,
}

/// One fragment of a datagram whose payload may carry TCP.
#[derive(Debug)]
pub(super) struct FragmentInfo<'a> {
    pub family: Family,
    pub id: u32,
    /// IPv4 protocol, or for IPv6 the first header of the fragmentable part.
    pub proto: u8,
    /// Byte offset of `data` in the reassembled payload.
    pub offset: usize,
    pub more: bool,
    pub data: &'a [u8],
    /// Length of this fragment's data on the wire (>= `data.len()`).
    pub wire_len: usize,
}

/// Where an extension-header walk starts: right after the IP header (where IPv6 allows
/// hop-by-hop options and fragment headers) or inside a reassembled payload (where neither may
/// appear again).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WalkFrom {
    IpHeader,
    Reassembled,
}

/// Parses the IP header. `wire_hint` is the packet's length on the wire as told by the frame's
/// original length: used only when the IP length field is 0 (segmentation offload on the
/// capturing host writes 0 for super-packets; jumbograms are not supported).
pub(super) fn parse(proto: NetProto, bytes: &[u8], wire_hint: usize) -> Result<IpPacket<'_>, NetError> {
    let version = match proto {
        NetProto::Ipv4 => 4,
        NetProto::Ipv6 => 6,
        NetProto::ByVersion => bytes.first().ok_or(NetError::Malformed("truncated IP header"))? >> 4,
    };
    match version {
        4 => parse_v4(bytes, wire_hint),
        6 => parse_v6(bytes, wire_hint),
        _ => Err(NetError::Malformed("IP version")),
    }
}

fn parse_v4(bytes: &[u8], wire_hint: usize) -> Result<IpPacket<'_>, NetError> {
    use etherparse::err::ipv4::{HeaderError, HeaderSliceError};
    let header = Ipv4HeaderSlice::from_slice(bytes).map_err(|e| match e {
        HeaderSliceError::Len(_) => NetError::Malformed("truncated IPv4 header"),
        HeaderSliceError::Content(HeaderError::UnexpectedVersion { .. }) => NetError::Malformed("IPv4 version"),
        HeaderSliceError::Content(HeaderError::HeaderLengthSmallerThanHeader { .. }) => {
            NetError::Malformed("IPv4 header length below 20")
        }
    })?;
    let header_len = header.slice().len();
    let wire = match usize::from(header.total_len()) {
        0 => wire_hint.max(bytes.len()),
        n => n,
    };
    let payload_wire =
        wire.checked_sub(header_len).ok_or(NetError::Malformed("IPv4 total length below header length"))?;
    // Trimming to the total length drops Ethernet padding and trailers.
    let payload = bytes.get(header_len..wire.min(bytes.len())).unwrap_or_default();
    let src = IpAddr::V4(Ipv4Addr::from(header.source()));
    let dst = IpAddr::V4(Ipv4Addr::from(header.destination()));
    let proto = header.protocol().0;
    let offset = usize::from(header.fragments_offset().byte_offset());
    let upper = if header.more_fragments() || offset != 0 {
        if proto == PROTO_TCP || proto == PROTO_AUTH {
            Upper::Fragment(FragmentInfo {
                family: Family::V4,
                id: u32::from(header.identification()),
                proto,
                offset,
                more: header.more_fragments(),
                data: payload,
                wire_len: payload_wire,
            })
        } else {
            Upper::NotTcp
        }
    } else {
        walk(proto, payload, payload_wire, Family::V4, WalkFrom::IpHeader)?
    };
    Ok(IpPacket { src, dst, upper })
}

fn parse_v6(bytes: &[u8], wire_hint: usize) -> Result<IpPacket<'_>, NetError> {
    use etherparse::err::ipv6::HeaderSliceError;
    let header = Ipv6HeaderSlice::from_slice(bytes).map_err(|e| match e {
        HeaderSliceError::Len(_) => NetError::Malformed("truncated IPv6 header"),
        HeaderSliceError::Content(_) => NetError::Malformed("IPv6 version"),
    })?;
    let header_len = header.slice().len();
    let payload_wire = match usize::from(header.payload_length()) {
        0 => wire_hint.max(bytes.len()).saturating_sub(header_len),
        n => n,
    };
    let end = header_len.saturating_add(payload_wire).min(bytes.len());
    let payload = bytes.get(header_len..end).unwrap_or_default();
    let src = IpAddr::V6(Ipv6Addr::from(header.source()));
    let dst = IpAddr::V6(Ipv6Addr::from(header.destination()));
    let upper = walk(header.next_header().0, payload, payload_wire, Family::V6, WalkFrom::IpHeader)?;
    Ok(IpPacket { src, dst, upper })
}

/// Whether an IPv6 next-header value is an extension header we step over.
fn is_v6_extension(proto: u8) -> bool {
    matches!(
        proto,
        PROTO_HOP_BY_HOP
            | PROTO_ROUTING
            | PROTO_FRAGMENT
            | PROTO_AUTH
            | PROTO_DEST_OPTS
            | PROTO_MOBILITY
            | PROTO_HIP
            | PROTO_SHIM6
            | PROTO_EXPERIMENT_1
            | PROTO_EXPERIMENT_2
    )
}

/// Error for a header that does not fit: truncation when the capture is shorter than the wire,
/// otherwise the header overruns the length the IP header declared.
fn overrun(captured: &[u8], wire: usize, truncated: &'static str, too_long: &'static str) -> NetError {
    NetError::Malformed(if captured.len() < wire { truncated } else { too_long })
}

/// Steps over extension headers (IPv4: only AH) from `proto` to TCP.
pub(super) fn walk(
    mut proto: u8,
    mut captured: &[u8],
    mut wire: usize,
    family: Family,
    from: WalkFrom,
) -> Result<Upper<'_>, NetError> {
    let mut first = true;
    loop {
        let header_len = match proto {
            PROTO_TCP => {
                return Ok(Upper::Tcp { captured, wire_len: wire });
            }
            PROTO_UDP => return Ok(Upper::Udp { captured }),
            PROTO_AUTH => {
                use etherparse::err::ip_auth::HeaderSliceError;
                let ah = IpAuthHeaderSlice::from_slice(captured).map_err(|e| match e {
                    HeaderSliceError::Len(_) => overrun(
                        captured,
                        wire,
                        "truncated IP authentication header",
                        "IP authentication header past payload length",
                    ),
                    HeaderSliceError::Content(_) => NetError::Malformed("IP authentication header length"),
                })?;
                proto = ah.next_header().0;
                ah.slice().len()
            }
            _ if family == Family::V4 => return Ok(Upper::NotTcp),
            PROTO_FRAGMENT => {
                let frag = Ipv6FragmentHeaderSlice::from_slice(captured).map_err(|_| {
                    overrun(
                        captured,
                        wire,
                        "truncated IPv6 fragment header",
                        "IPv6 fragment header past payload length",
                    )
                })?;
                let header_len = frag.slice().len();
                let offset = usize::from(frag.fragment_offset().byte_offset());
                // An atomic fragment (offset 0, no more) is a whole datagram (RFC 6946).
                if offset != 0 || frag.more_fragments() {
                    if from == WalkFrom::Reassembled {
                        return Err(NetError::Malformed("IPv6 fragment header inside a fragmented payload"));
                    }
                    let next = frag.next_header().0;
                    if next != PROTO_TCP && !is_v6_extension(next) {
                        return Ok(Upper::NotTcp);
                    }
                    return Ok(Upper::Fragment(FragmentInfo {
                        family: Family::V6,
                        id: frag.identification(),
                        proto: next,
                        offset,
                        more: frag.more_fragments(),
                        data: captured.get(header_len..).unwrap_or_default(),
                        wire_len: wire.saturating_sub(header_len),
                    }));
                }
                proto = frag.next_header().0;
                header_len
            }
            PROTO_HOP_BY_HOP if !(first && from == WalkFrom::IpHeader) => {
                return Err(NetError::Malformed("IPv6 hop-by-hop options not first"));
            }
            p if is_v6_extension(p) => {
                let ext = Ipv6RawExtHeaderSlice::from_slice(captured).map_err(|_| {
                    overrun(
                        captured,
                        wire,
                        "truncated IPv6 extension header",
                        "IPv6 extension header past payload length",
                    )
                })?;
                proto = ext.next_header().0;
                ext.slice().len()
            }
            // No next header (59), ESP, UDP, ICMPv6, ...
            _ => return Ok(Upper::NotTcp),
        };
        // The header lies within `captured`, which never exceeds `wire`.
        captured = captured.get(header_len..).unwrap_or_default();
        wire = wire.saturating_sub(header_len);
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal IPv6 header around `payload` (addresses 2001:db8::1 -> 2001:db8::2).
    fn v6(next: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0];
        p.extend_from_slice(&u16::try_from(payload.len()).unwrap().to_be_bytes());
        p.extend_from_slice(&[next, 64]);
        p.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        p.extend_from_slice(&"2001:db8::2".parse::<Ipv6Addr>().unwrap().octets());
        p.extend_from_slice(payload);
        p
    }

    fn generic_ext(next: u8, units: u8) -> Vec<u8> {
        let mut h = vec![next, units];
        h.resize(8 * (usize::from(units) + 1), 0);
        h
    }

    #[test]
    fn every_extension_header_kind_is_stepped_over() {
        let tcp = [0xabu8; 20];
        for ext in [
            PROTO_HOP_BY_HOP,
            PROTO_ROUTING,
            PROTO_DEST_OPTS,
            PROTO_MOBILITY,
            PROTO_HIP,
            PROTO_SHIM6,
            PROTO_EXPERIMENT_1,
            PROTO_EXPERIMENT_2,
        ] {
            let payload = [generic_ext(PROTO_TCP, 1), tcp.to_vec()].concat();
            let pkt = v6(ext, &payload);
            let got = parse(NetProto::ByVersion, &pkt, 0).unwrap();
            match got.upper {
                Upper::Tcp { captured, wire_len } => {
                    assert_eq!((captured, wire_len), (&tcp[..], 20), "ext {ext}")
                }
                other => panic!("ext {ext}: {other:?}"),
            }
            assert_eq!(got.src, "2001:db8::1".parse::<IpAddr>().unwrap());
        }
    }

    #[test]
    fn long_chain_with_auth_and_atomic_fragment() {
        let mut ah = vec![PROTO_MOBILITY, 4, 0, 0]; // (4 + 2) * 4 = 24 bytes
        ah.resize(24, 0x11);
        let atomic_fragment = vec![PROTO_AUTH, 0, 0, 0, 0, 0, 0, 9];
        let payload = [
            generic_ext(PROTO_ROUTING, 0),
            generic_ext(PROTO_DEST_OPTS, 2),
            generic_ext(PROTO_FRAGMENT, 0),
            atomic_fragment,
            ah,
            generic_ext(PROTO_TCP, 0),
            vec![7u8; 24],
        ]
        .concat();
        let pkt = v6(PROTO_HOP_BY_HOP, &payload);
        match parse(NetProto::Ipv6, &pkt, 0).unwrap().upper {
            Upper::Tcp { captured, wire_len } => {
                assert_eq!((captured, wire_len), (&[7u8; 24][..], 24))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn not_tcp_and_bad_chains() {
        // No next header, ESP, ICMPv6.
        for next in [59u8, 50, 58] {
            let pkt = v6(PROTO_DEST_OPTS, &[generic_ext(next, 0), vec![0; 16]].concat());
            assert!(matches!(parse(NetProto::Ipv6, &pkt, 0).unwrap().upper, Upper::NotTcp), "{next}");
        }
        // UDP is handed up whole, for the tunnel decoder.
        let pkt = v6(PROTO_DEST_OPTS, &[generic_ext(PROTO_UDP, 0), vec![0; 16]].concat());
        assert!(
            matches!(parse(NetProto::Ipv6, &pkt, 0).unwrap().upper, Upper::Udp { captured } if captured.len() == 16)
        );
        let pkt = v6(PROTO_DEST_OPTS, &[generic_ext(PROTO_HOP_BY_HOP, 0), generic_ext(PROTO_TCP, 0)].concat());
        assert_eq!(
            parse(NetProto::Ipv6, &pkt, 0).unwrap_err(),
            NetError::Malformed("IPv6 hop-by-hop options not first")
        );
        // Extension header longer than the payload length says, with every byte captured.
        let mut pkt = v6(PROTO_ROUTING, &generic_ext(PROTO_TCP, 3));
        pkt.truncate(40 + 16);
        pkt[5] = 16;
        assert_eq!(
            parse(NetProto::Ipv6, &pkt, 0).unwrap_err(),
            NetError::Malformed("IPv6 extension header past payload length")
        );
        // The same, cut by the snap length instead.
        let mut pkt = v6(PROTO_ROUTING, &generic_ext(PROTO_TCP, 3));
        pkt.truncate(40 + 16);
        assert_eq!(parse(NetProto::Ipv6, &pkt, 0).unwrap_err(), NetError::Malformed("truncated IPv6 extension header"));
    }

    #[test]
    fn version_checks() {
        assert_eq!(parse(NetProto::ByVersion, &[], 0).unwrap_err(), NetError::Malformed("truncated IP header"));
        assert_eq!(parse(NetProto::ByVersion, &[0x55; 40], 0).unwrap_err(), NetError::Malformed("IP version"));
        assert_eq!(parse(NetProto::Ipv4, &[0x65; 40], 0).unwrap_err(), NetError::Malformed("IPv4 version"));
        assert_eq!(parse(NetProto::Ipv6, &[0x45; 40], 0).unwrap_err(), NetError::Malformed("IPv6 version"));
        assert_eq!(
            parse(NetProto::Ipv4, &[0x44; 40], 0).unwrap_err(),
            NetError::Malformed("IPv4 header length below 20")
        );
        let mut short_total = [0u8; 40];
        short_total[0] = 0x46; // 24-byte header
        short_total[3] = 20;
        assert_eq!(
            parse(NetProto::Ipv4, &short_total, 0).unwrap_err(),
            NetError::Malformed("IPv4 total length below header length")
        );
    }
}
