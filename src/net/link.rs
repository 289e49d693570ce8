//! Capture link layers: from a frame to the network-layer bytes it carries.
//!
//! Hand-written rather than etherparse: etherparse has no Linux SLL2, BSD NULL or OpenBSD LOOP
//! headers, stops after 3 stacked VLAN tags, and its SLL slicer rejects packet and hardware
//! types it does not know (a frame we can still read). Every header here is a fixed layout
//! read with checked accessors.

use super::NetError;

/// pcap LINKTYPE numbers this layer decodes.
pub mod linktype {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    /// PPP (RFC 1661), with or without the HDLC-like address and control bytes (RFC 1662).
    pub const PPP: u32 = 9;
    /// PPP in HDLC-like framing (0xff 0x03 first), or Cisco HDLC (0x0f / 0x8f first).
    pub const PPP_HDLC: u32 = 50;
    /// DLT_RAW as numbered on most BSDs when written straight into a file.
    pub const RAW_BSD: u32 = 12;
    /// DLT_RAW as numbered on OpenBSD.
    pub const RAW_OPENBSD: u32 = 14;
    pub const RAW: u32 = 101;
    /// OpenBSD loopback: like NULL but the family is in network byte order.
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    /// PPP after a direction byte (0: received, else sent).
    pub const PPP_WITH_DIR: u32 = 204;
    pub const LINUX_SLL2: u32 = 276;
}

/// Whether `decode` understands frames of this link type (lets a caller reject a capture early).
pub fn is_supported_link(linktype: u32) -> bool {
    use linktype::*;
    matches!(
        linktype,
        NULL | ETHERNET
            | PPP
            | PPP_HDLC
            | PPP_WITH_DIR
            | RAW_BSD
            | RAW_OPENBSD
            | RAW
            | LOOP
            | LINUX_SLL
            | IPV4
            | IPV6
            | LINUX_SLL2
    )
}

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
const ETHERTYPE_CISCO_METADATA: u16 = 0x8909;

/// Address families found in NULL/LOOP headers: IPv4 is 2 everywhere, IPv6 differs per BSD
/// (NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30).
const AF_INET: u32 = 2;
const AF_INET6_BSD: [u32; 3] = [24, 28, 30];

/// PPP protocol numbers of IPv4 and IPv6 (RFC 1332, RFC 5072).
const PPP_IPV4: u16 = 0x0021;
const PPP_IPV6: u16 = 0x0057;

/// Which network protocol the link layer says follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NetProto {
    Ipv4,
    Ipv6,
    /// Raw IP: the version nibble of the first byte decides.
    ByVersion,
}

/// The network-layer part of a frame.
#[derive(Debug)]
pub(super) struct LinkPayload<'a> {
    pub proto: NetProto,
    pub bytes: &'a [u8],
    /// Bytes of link-layer header before `bytes` (to derive the IP length on the wire from the
    /// frame's original length).
    pub header_len: usize,
}

pub(super) fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
}

fn four(bytes: &[u8]) -> Option<[u8; 4]> {
    bytes.get(..4)?.try_into().ok()
}

/// Strips the link header. `Ok(None)`: a valid frame that carries neither IPv4 nor IPv6.
pub(super) fn strip(linktype: u32, frame: &[u8]) -> Result<Option<LinkPayload<'_>>, NetError> {
    use linktype::*;
    match linktype {
        ETHERNET => {
            let ethertype = be16(frame, 12).ok_or(NetError::Malformed("truncated Ethernet header"))?;
            by_ethertype(ethertype, frame, 14)
        }
        LINUX_SLL => {
            // packet type, ARPHRD type, address length, 8 address bytes, protocol.
            let protocol = be16(frame, 14).ok_or(NetError::Malformed("truncated Linux SLL header"))?;
            by_ethertype(protocol, frame, 16)
        }
        LINUX_SLL2 => {
            // protocol, reserved, interface index, ARPHRD type, packet type, address length,
            // 8 address bytes: 20 bytes in all.
            if frame.len() < 20 {
                return Err(NetError::Malformed("truncated Linux SLL2 header"));
            }
            let protocol = be16(frame, 0).ok_or(NetError::Malformed("truncated Linux SLL2 header"))?;
            by_ethertype(protocol, frame, 20)
        }
        RAW | RAW_BSD | RAW_OPENBSD => {
            Ok(Some(LinkPayload { proto: NetProto::ByVersion, bytes: frame, header_len: 0 }))
        }
        IPV4 => Ok(Some(LinkPayload { proto: NetProto::Ipv4, bytes: frame, header_len: 0 })),
        IPV6 => Ok(Some(LinkPayload { proto: NetProto::Ipv6, bytes: frame, header_len: 0 })),
        NULL => {
            let raw = four(frame).ok_or(NetError::Malformed("truncated NULL header"))?;
            // Host byte order of a machine we do not know: every family value is below 2^16,
            // so a little-endian reading with empty low bytes means the file is big-endian.
            let le = u32::from_le_bytes(raw);
            let family = if le & 0xffff == 0 { u32::from_be_bytes(raw) } else { le };
            Ok(by_family(family, frame))
        }
        LOOP => {
            let raw = four(frame).ok_or(NetError::Malformed("truncated LOOP header"))?;
            Ok(by_family(u32::from_be_bytes(raw), frame))
        }
        PPP => ppp(frame, 0),
        PPP_WITH_DIR => ppp(frame, 1),
        PPP_HDLC => match frame.first() {
            // Cisco HDLC: address, control, then an ethertype.
            Some(0x0f | 0x8f) => {
                let ethertype = be16(frame, 2).ok_or(NetError::Malformed("truncated Cisco HDLC header"))?;
                by_ethertype(ethertype, frame, 4)
            }
            _ => ppp(frame, 0),
        },
        other => Err(NetError::UnsupportedLink(other)),
    }
}

/// A PPP frame from `offset`: the address and control bytes 0xff 0x03 when present (RFC 1662),
/// then the protocol in 2 bytes, or in 1 when compressed (RFC 1661 6.5: the first byte is odd).
fn ppp(frame: &[u8], offset: usize) -> Result<Option<LinkPayload<'_>>, NetError> {
    const TRUNCATED: NetError = NetError::Malformed("truncated PPP header");
    let mut at = offset;
    if frame.get(at) == Some(&0xff) {
        if frame.get(at.checked_add(1).ok_or(TRUNCATED)?) != Some(&0x03) {
            return Err(NetError::Malformed("PPP address without control byte 0x03"));
        }
        at = at.checked_add(2).ok_or(TRUNCATED)?;
    }
    let first = *frame.get(at).ok_or(TRUNCATED)?;
    let (protocol, len) = if first & 1 == 1 { (u16::from(first), 1) } else { (be16(frame, at).ok_or(TRUNCATED)?, 2) };
    let header_len = at.checked_add(len).ok_or(TRUNCATED)?;
    let proto = match protocol {
        PPP_IPV4 => NetProto::Ipv4,
        PPP_IPV6 => NetProto::Ipv6,
        // LCP, IPCP, CCP and the other control protocols: valid frames, not IP.
        _ => return Ok(None),
    };
    let bytes = frame.get(header_len..).ok_or(TRUNCATED)?;
    Ok(Some(LinkPayload { proto, bytes, header_len }))
}

fn by_family(family: u32, frame: &[u8]) -> Option<LinkPayload<'_>> {
    let proto = if family == AF_INET {
        NetProto::Ipv4
    } else if AF_INET6_BSD.contains(&family) {
        NetProto::Ipv6
    } else {
        return None;
    };
    Some(LinkPayload { proto, bytes: frame.get(4..)?, header_len: 4 })
}

/// Follows an ethertype, skipping any number of 802.1Q / 802.1ad tags (each 4 bytes: tag
/// control, then the next ethertype).
fn by_ethertype(mut ethertype: u16, frame: &[u8], mut offset: usize) -> Result<Option<LinkPayload<'_>>, NetError> {
    loop {
        let proto = match ethertype {
            ETHERTYPE_IPV4 => NetProto::Ipv4,
            ETHERTYPE_IPV6 => NetProto::Ipv6,
            // Cisco MetaData (security group tag): version, length in 8-byte units (counting
            // through the next ethertype), options; then the real ethertype.
            ETHERTYPE_CISCO_METADATA => {
                let units = offset.checked_add(1).and_then(|at| frame.get(at)).copied().unwrap_or(0);
                let skip = usize::from(units)
                    .checked_mul(8)
                    .filter(|n| *n >= 8)
                    .ok_or(NetError::Malformed("Cisco MetaData length"))?;
                ethertype = offset
                    .checked_add(skip.saturating_sub(2))
                    .and_then(|at| be16(frame, at))
                    .ok_or(NetError::Malformed("truncated Cisco MetaData header"))?;
                offset = offset.checked_add(skip).ok_or(NetError::Malformed("truncated Cisco MetaData header"))?;
                continue;
            }
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD => {
                ethertype = offset
                    .checked_add(2)
                    .and_then(|at| be16(frame, at))
                    .ok_or(NetError::Malformed("truncated VLAN tag"))?;
                offset = offset.checked_add(4).ok_or(NetError::Malformed("truncated VLAN tag"))?;
                continue;
            }
            _ => return Ok(None),
        };
        let bytes = frame.get(offset..).ok_or(NetError::Malformed("truncated link header"))?;
        return Ok(Some(LinkPayload { proto, bytes, header_len: offset }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_link_types() {
        for lt in [0, 1, 9, 12, 14, 50, 101, 108, 113, 204, 228, 229, 276] {
            assert!(is_supported_link(lt), "{lt}");
        }
        for lt in [2, 105, 127, 147, 192, 1000] {
            assert!(!is_supported_link(lt), "{lt}");
            assert_eq!(strip(lt, &[0u8; 64]).unwrap_err(), NetError::UnsupportedLink(lt));
        }
    }

    #[test]
    fn null_family_in_both_byte_orders() {
        let ip = [0x45u8, 0, 0, 20];
        for (hdr, proto) in [
            ([2u8, 0, 0, 0], NetProto::Ipv4),
            ([0, 0, 0, 2], NetProto::Ipv4),
            ([24, 0, 0, 0], NetProto::Ipv6),
            ([0, 0, 0, 28], NetProto::Ipv6),
            ([30, 0, 0, 0], NetProto::Ipv6),
            ([0, 0, 0, 30], NetProto::Ipv6),
        ] {
            let frame = [&hdr[..], &ip[..]].concat();
            let got = strip(linktype::NULL, &frame).unwrap().unwrap();
            assert_eq!((got.proto, got.bytes, got.header_len), (proto, &ip[..], 4));
        }
        // AF_APPLETALK and friends: valid frames, not IP.
        assert!(strip(linktype::NULL, &[16, 0, 0, 0, 1, 2]).unwrap().is_none());
        assert_eq!(strip(linktype::NULL, &[2, 0, 0]).unwrap_err(), NetError::Malformed("truncated NULL header"));
    }

    #[test]
    fn loop_family_is_network_order() {
        let got = strip(linktype::LOOP, &[0, 0, 0, 24, 0x60]).unwrap().unwrap();
        assert_eq!((got.proto, got.bytes), (NetProto::Ipv6, &[0x60u8][..]));
        // Little-endian 2 is 0x02000000 in network order: not a family we know.
        assert!(strip(linktype::LOOP, &[2, 0, 0, 0, 0x45]).unwrap().is_none());
    }

    #[test]
    fn any_number_of_vlan_tags() {
        let mut frame = vec![0u8; 12];
        for tpid in [0x88a8u16, 0x9100, 0x8100, 0x8100, 0x8100] {
            frame.extend_from_slice(&tpid.to_be_bytes());
            frame.extend_from_slice(&[0x00, 0x2a]); // tag control: VLAN 42
        }
        frame.extend_from_slice(&[0x86, 0xdd, 0x60, 1, 2]);
        let got = strip(linktype::ETHERNET, &frame).unwrap().unwrap();
        assert_eq!((got.proto, got.bytes, got.header_len), (NetProto::Ipv6, &[0x60u8, 1, 2][..], 14 + 5 * 4));
        // Cut inside the last tag.
        assert_eq!(
            strip(linktype::ETHERNET, &frame[..12 + 4 * 4 + 1]).unwrap_err(),
            NetError::Malformed("truncated VLAN tag")
        );
    }

    #[test]
    fn other_ethertypes_are_not_ip() {
        let mut arp = vec![0u8; 12];
        arp.extend_from_slice(&[0x08, 0x06, 0, 1]);
        assert!(strip(linktype::ETHERNET, &arp).unwrap().is_none());
        let mut ieee8023 = vec![0u8; 12];
        ieee8023.extend_from_slice(&[0x00, 0x40, 0xaa, 0xaa, 0x03]);
        assert!(strip(linktype::ETHERNET, &ieee8023).unwrap().is_none());
    }

    #[test]
    fn ppp_with_and_without_address_control_and_compressed_protocol() {
        let ip = [0x45u8, 0, 0, 20];
        for (lt, hdr, proto) in [
            (linktype::PPP, &[0x00u8, 0x21][..], NetProto::Ipv4),
            (linktype::PPP, &[0x00, 0x57][..], NetProto::Ipv6),
            (linktype::PPP, &[0xff, 0x03, 0x00, 0x21][..], NetProto::Ipv4),
            (linktype::PPP, &[0xff, 0x03, 0x57][..], NetProto::Ipv6),
            (linktype::PPP, &[0x21][..], NetProto::Ipv4),
            (linktype::PPP_HDLC, &[0xff, 0x03, 0x00, 0x57][..], NetProto::Ipv6),
            (linktype::PPP_HDLC, &[0x0f, 0x00, 0x08, 0x00][..], NetProto::Ipv4),
            (linktype::PPP_HDLC, &[0x8f, 0x00, 0x86, 0xdd][..], NetProto::Ipv6),
            (linktype::PPP_WITH_DIR, &[0x01, 0xff, 0x03, 0x00, 0x21][..], NetProto::Ipv4),
            (linktype::PPP_WITH_DIR, &[0x00, 0x00, 0x57][..], NetProto::Ipv6),
        ] {
            let frame = [hdr, &ip[..]].concat();
            let got = strip(lt, &frame).unwrap().unwrap();
            assert_eq!((got.proto, got.bytes, got.header_len), (proto, &ip[..], hdr.len()), "{lt} {hdr:02x?}");
        }
    }

    #[test]
    fn ppp_control_protocols_are_not_ip() {
        // LCP (0xc021), IPCP (0x8021), IPv6CP (0x8057), CCP compressed to one byte (0xfd).
        for hdr in [&[0xc0u8, 0x21][..], &[0xff, 0x03, 0x80, 0x21], &[0x80, 0x57], &[0xfd]] {
            let frame = [hdr, &[1u8, 2, 3][..]].concat();
            assert!(strip(linktype::PPP, &frame).unwrap().is_none(), "{hdr:02x?}");
        }
    }

    #[test]
    fn malformed_ppp_is_an_error_not_a_panic() {
        let truncated = NetError::Malformed("truncated PPP header");
        for (lt, frame) in [
            (linktype::PPP, &[][..]),
            (linktype::PPP, &[0x00][..]),
            (linktype::PPP, &[0xff, 0x03][..]),
            (linktype::PPP, &[0xff, 0x03, 0x00][..]),
            (linktype::PPP_WITH_DIR, &[0x01][..]),
            (linktype::PPP_HDLC, &[][..]),
        ] {
            assert_eq!(strip(lt, frame).unwrap_err(), truncated, "{lt} {frame:02x?}");
        }
        assert_eq!(
            strip(linktype::PPP, &[0xff, 0x00, 0x00, 0x21]).unwrap_err(),
            NetError::Malformed("PPP address without control byte 0x03")
        );
        assert_eq!(
            strip(linktype::PPP_HDLC, &[0x0f, 0x00, 0x08]).unwrap_err(),
            NetError::Malformed("truncated Cisco HDLC header")
        );
        // A header with nothing after it: an empty IP packet, for the IP layer to reject.
        assert!(strip(linktype::PPP, &[0x00, 0x21]).unwrap().unwrap().bytes.is_empty());
        // Every prefix of a valid frame: an answer, never a panic.
        let frame = [0x01u8, 0xff, 0x03, 0x00, 0x57, 0x60, 0, 0, 0];
        for lt in [linktype::PPP, linktype::PPP_HDLC, linktype::PPP_WITH_DIR] {
            for n in 0..=frame.len() {
                let _ = strip(lt, &frame[..n]);
            }
        }
    }
}
