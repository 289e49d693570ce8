//! UDP tunnels that carry whole frames: VXLAN (RFC 7348) and Geneve (RFC 8926). Traffic
//! mirrored from cloud networks arrives this way; the TLS inside is what matters.

use super::link::{be16, linktype};

pub(super) const MAX_DEPTH: u32 = 3;

const VXLAN_PORT: u16 = 4789;
const GENEVE_PORT: u16 = 6081;
const ETHERTYPE_TEB: u16 = 0x6558;

/// The frame inside a UDP datagram (header included) and its link type, if it is a tunnel.
pub(super) fn inner_frame(udp: &[u8]) -> Option<(u32, &[u8])> {
    let dst = be16(udp, 2)?;
    let payload = udp.get(8..)?;
    match dst {
        VXLAN_PORT => {
            // Flags byte with the I bit (VNI valid) set, then 7 more header bytes.
            let flags = *payload.first()?;
            (flags & 0x08 != 0).then_some(())?;
            Some((linktype::ETHERNET, payload.get(8..)?))
        }
        GENEVE_PORT => {
            let first = *payload.first()?;
            if first >> 6 != 0 {
                return None;
            }
            let options = usize::from(first & 0x3f) * 4;
            let inner = payload.get(options.checked_add(8)?..)?;
            let link = match be16(payload, 2)? {
                ETHERTYPE_TEB => linktype::ETHERNET,
                0x0800 => linktype::IPV4,
                0x86dd => linktype::IPV6,
                _ => return None,
            };
            Some((link, inner))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vxlan_and_geneve() {
        let mut udp = vec![0x30, 0x39, 0x12, 0xb5, 0, 24, 0, 0];
        udp.extend([0x08, 0, 0, 0, 0, 0, 1, 0]);
        udp.extend([0xaa; 8]);
        assert_eq!(inner_frame(&udp), Some((linktype::ETHERNET, &[0xaa; 8][..])));
        let mut geneve = vec![0x30, 0x39, 0x17, 0xc1, 0, 28, 0, 0];
        geneve.extend([0x01, 0, 0x65, 0x58, 0, 0, 1, 0]);
        geneve.extend([0x77; 4]);
        geneve.extend([0xbb; 8]);
        assert_eq!(inner_frame(&geneve), Some((linktype::ETHERNET, &[0xbb; 8][..])));
        assert_eq!(inner_frame(&geneve[..10]), None);
        let mut dns = geneve.clone();
        dns[3] = 53;
        assert_eq!(inner_frame(&dns), None);
    }
}
