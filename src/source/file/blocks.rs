//! What a capture block holds: a packet with its interface and raw timestamp, or an interface
//! description, a Decryption Secrets Block, something else to skip.

use super::Format;
use crate::time::Timestamp;
use pcap_parser::PcapBlockOwned;
use pcap_parser::pcapng::Block;

#[derive(Clone, Copy, Debug)]
pub(super) struct Interface {
    pub(super) linktype: u32,
    /// Units per second of the timestamps.
    resolution: u64,
    offset_secs: i64,
    digits: u8,
}

pub(super) enum Described<'a> {
    Packet { iface: Option<u32>, ts_raw: RawTs, data: &'a [u8], orig_len: u32 },
    Other,
}

#[derive(Clone, Copy)]
pub(super) enum RawTs {
    /// Classic pcap: seconds and a sub-second count in the file's unit.
    Legacy(u32, u32),
    /// pcapng: 64-bit count of interface units.
    Ng(u64),
    /// SPB has no timestamp.
    None,
}

pub(super) fn interface_for(
    legacy: Option<Interface>,
    interfaces: &[Interface],
    iface: Option<u32>,
) -> Option<Interface> {
    match (legacy, iface) {
        (Some(l), _) => Some(l),
        (None, Some(id)) => interfaces.get(id as usize).copied(),
        // SPB: always interface 0.
        (None, None) => interfaces.first().copied(),
    }
}

pub(super) fn digits_for(resolution: u64) -> u8 {
    // Smallest number of decimal digits that shows one unit of the resolution.
    let mut digits = 0u8;
    let mut scale = 1u64;
    while scale < resolution && digits < 9 {
        scale = scale.saturating_mul(10);
        digits = digits.saturating_add(1);
    }
    digits
}

pub(super) fn make_ts(i: Interface, raw: RawTs) -> Timestamp {
    match raw {
        RawTs::Legacy(secs, frac) => {
            let nanos = if i.resolution == 1_000_000_000 { frac } else { frac.saturating_mul(1000) };
            Timestamp::new(i64::from(secs).saturating_add(i.offset_secs), nanos, i.digits)
        }
        RawTs::Ng(units) => {
            let res = i.resolution.max(1);
            let secs = units.checked_div(res).unwrap_or_default() as i64;
            let frac = units.checked_rem(res).unwrap_or_default();
            let nanos =
                u128::from(frac).saturating_mul(1_000_000_000).checked_div(u128::from(res)).unwrap_or_default() as u32;
            Timestamp::new(secs.saturating_add(i.offset_secs), nanos, i.digits)
        }
        RawTs::None => Timestamp::new(0, 0, 0),
    }
}

pub(super) fn describe_block<'a>(
    block: PcapBlockOwned<'a>,
    legacy: &mut Option<Interface>,
    interfaces: &mut Vec<Interface>,
    format: &mut Format,
    secrets: &mut Vec<Vec<u8>>,
) -> Described<'a> {
    match block {
        PcapBlockOwned::LegacyHeader(h) => {
            let resolution = if h.is_nanosecond_precision() { 1_000_000_000 } else { 1_000_000 };
            *legacy = Some(Interface {
                linktype: h.network.0 as u32,
                resolution,
                offset_secs: i64::from(h.thiszone),
                digits: digits_for(resolution),
            });
            *format = Format::Pcap;
            Described::Other
        }
        PcapBlockOwned::Legacy(b) => Described::Packet {
            iface: None,
            ts_raw: RawTs::Legacy(b.ts_sec, b.ts_usec),
            data: b.data,
            orig_len: b.origlen,
        },
        PcapBlockOwned::NG(block) => {
            *format = Format::PcapNg;
            match block {
                Block::SectionHeader(_) => {
                    // Interface ids are per section.
                    interfaces.clear();
                    Described::Other
                }
                Block::InterfaceDescription(idb) => {
                    let resolution = idb.ts_resolution().unwrap_or(1_000_000);
                    interfaces.push(Interface {
                        linktype: idb.linktype.0 as u32,
                        resolution,
                        offset_secs: idb.ts_offset(),
                        digits: digits_for(resolution),
                    });
                    Described::Other
                }
                Block::EnhancedPacket(epb) => Described::Packet {
                    iface: Some(epb.if_id),
                    ts_raw: RawTs::Ng((u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low)),
                    // `data` carries padding to 32 bits; the captured length says what is real.
                    data: epb.data.get(..epb.caplen as usize).unwrap_or(epb.data),
                    orig_len: epb.origlen,
                },
                Block::SimplePacket(spb) => {
                    let data = spb.data.get(..spb.origlen as usize).unwrap_or(spb.data);
                    Described::Packet { iface: None, ts_raw: RawTs::None, data, orig_len: spb.origlen }
                }
                Block::DecryptionSecrets(dsb) => {
                    if dsb.secrets_type == pcap_parser::pcapng::SecretsType::TlsKeyLog {
                        let len = (dsb.secrets_len as usize).min(dsb.data.len());
                        if let Some(text) = dsb.data.get(..len) {
                            secrets.push(text.to_vec());
                        }
                    }
                    Described::Other
                }
                Block::Unknown(u) if u.block_type == OPB_TYPE => decode_obsolete_packet_block(u.data, u.block_len1),
                _ => Described::Other,
            }
        }
    }
}

/// Block type of the pcapng Process Information Block.
const PIB_TYPE: u32 = 0x8000_0001;

/// Rejects block headers pcap-parser 0.17 would mis-parse: it accepts a Process Information
/// Block whose total length is under the 12 bytes of the generic header and then subtracts 12
/// from it (an overflow: a panic in builds with overflow checks, a wrapped length otherwise).
/// Checked in both byte orders; no valid block of either order looks like this in the other.
pub(super) fn hostile_block_header(data: &[u8]) -> Option<&'static str> {
    let header: [u8; 8] = data.get(..8)?.try_into().ok()?;
    let [t0, t1, t2, t3, l0, l1, l2, l3] = header;
    let le = (u32::from_le_bytes([t0, t1, t2, t3]), u32::from_le_bytes([l0, l1, l2, l3]));
    let be = (u32::from_be_bytes([t0, t1, t2, t3]), u32::from_be_bytes([l0, l1, l2, l3]));
    [le, be]
        .into_iter()
        .any(|(block_type, len)| block_type == PIB_TYPE && len < 16)
        .then_some("process information block shorter than its header")
}

/// Block type of the obsolete Packet Block (pcapng draft, still written by old tools).
const OPB_TYPE: u32 = 2;

/// The Packet Block body: interface id (u16), drops (u16), timestamp high/low, captured length,
/// original length, data. pcap-parser hands it over as an unknown block, in host (little-endian)
/// order for little-endian sections; big-endian OPB sections are rare enough to skip.
fn decode_obsolete_packet_block(data: &[u8], _block_len: u32) -> Described<'_> {
    let le32 = |at: usize| data.get(at..at.saturating_add(4)).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
    let le16 = |at: usize| data.get(at..at.saturating_add(2)).and_then(|b| b.try_into().ok()).map(u16::from_le_bytes);
    // `data` starts after the 8-byte block header.
    let (Some(iface), Some(high), Some(low), Some(caplen), Some(origlen)) =
        (le16(0), le32(4), le32(8), le32(12), le32(16))
    else {
        return Described::Other;
    };
    let Some(frame) = data.get(20..).and_then(|rest| rest.get(..caplen as usize)) else {
        return Described::Other;
    };
    Described::Packet {
        iface: Some(u32::from(iface)),
        ts_raw: RawTs::Ng((u64::from(high) << 32) | u64::from(low)),
        data: frame,
        orig_len: origlen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_follow_resolution() {
        assert_eq!(digits_for(1_000_000), 6);
        assert_eq!(digits_for(1_000_000_000), 9);
        assert_eq!(digits_for(1000), 3);
        assert_eq!(digits_for(1 << 20), 7);
    }
}
