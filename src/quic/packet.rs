//! QUIC long-header packets (RFC 9000 17.2, RFC 9369 3.2): versions, Initial secrets, header
//! protection and packet protection (RFC 9001 5).

use crate::crypto::HashAlg;
use crate::crypto::tls13::hkdf_expand_label;
use crate::msgs::reader::Reader;
use ring::aead::quic::{AES_128, AES_256, CHACHA20, HeaderProtectionKey};
use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};

pub const VERSION_1: u32 = 0x0000_0001;
pub const VERSION_2: u32 = 0x6b33_43cf;

/// RFC 9001 5.2.
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f,
    0x0a,
];
/// RFC 9369 3.3.1.
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e,
    0xd9,
];
/// draft-ietf-quic-tls-29 to -32 (the last drafts deployed before RFC 9001).
const SALT_DRAFT_29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8,
    0x99,
];

/// Long-header packet types, named by their meaning (the wire bits differ per version).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketType {
    Initial,
    ZeroRtt,
    Handshake,
    Retry,
}

impl PacketType {
    pub fn name(self) -> &'static str {
        match self {
            PacketType::Initial => "Initial",
            PacketType::ZeroRtt => "0-RTT",
            PacketType::Handshake => "Handshake",
            PacketType::Retry => "Retry",
        }
    }
}

/// What tlstrace knows of a version: its name, and for those it can open, the Initial salt and
/// the label prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionInfo {
    pub name: &'static str,
    salt: Option<&'static [u8; 20]>,
    pub v2: bool,
}

/// The name of a QUIC version, and whether its Initials can be opened.
pub fn version_info(version: u32) -> VersionInfo {
    match version {
        VERSION_1 => VersionInfo { name: "QUIC v1", salt: Some(&SALT_V1), v2: false },
        VERSION_2 => VersionInfo { name: "QUIC v2", salt: Some(&SALT_V2), v2: true },
        0 => VersionInfo { name: "Version Negotiation", salt: None, v2: false },
        // Drafts 29 to 32 share the salt and the v1 labels.
        0xff00_001d..=0xff00_0020 => VersionInfo { name: draft_name(version), salt: Some(&SALT_DRAFT_29), v2: false },
        0xff00_0000..=0xff00_00ff => VersionInfo { name: draft_name(version), salt: None, v2: false },
        v if v & 0x0f0f_0f0f == 0x0a0a_0a0a => VersionInfo { name: "reserved (greased)", salt: None, v2: false },
        _ => VersionInfo { name: "unknown", salt: None, v2: false },
    }
}

/// IETF drafts are 0xff0000NN: named from a static table so names stay `&'static str`.
fn draft_name(version: u32) -> &'static str {
    const NAMES: [&str; 35] = [
        "draft-00", "draft-01", "draft-02", "draft-03", "draft-04", "draft-05", "draft-06", "draft-07", "draft-08",
        "draft-09", "draft-10", "draft-11", "draft-12", "draft-13", "draft-14", "draft-15", "draft-16", "draft-17",
        "draft-18", "draft-19", "draft-20", "draft-21", "draft-22", "draft-23", "draft-24", "draft-25", "draft-26",
        "draft-27", "draft-28", "draft-29", "draft-30", "draft-31", "draft-32", "draft-33", "draft-34",
    ];
    usize::try_from(version & 0xff).ok().and_then(|n| NAMES.get(n).copied()).unwrap_or("draft (unknown)")
}

fn packet_type(first: u8, v2: bool) -> PacketType {
    let bits = (first >> 4) & 0x03;
    // RFC 9369 3.2 rotates the type bits.
    match (v2, bits) {
        (false, 0) | (true, 1) => PacketType::Initial,
        (false, 1) | (true, 2) => PacketType::ZeroRtt,
        (false, 2) | (true, 3) => PacketType::Handshake,
        _ => PacketType::Retry,
    }
}

/// The keys protecting one direction's packets of one packet number space (ring's AEADs and
/// header protection: the three TLS 1.3 suites QUIC uses).
pub struct PacketKeys {
    aead: LessSafeKey,
    iv: [u8; 12],
    hp: HeaderProtectionKey,
}

impl std::fmt::Debug for PacketKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PacketKeys")
    }
}

/// The AEAD, header protection and hash of a TLS 1.3 suite (RFC 9001 5.3, 5.4), or None for
/// a suite QUIC cannot use (AES-CCM's header protection is AES too, but no stack negotiates it
/// and ring lacks it).
fn suite_algorithms(
    suite: u16,
) -> Option<(&'static ring::aead::Algorithm, &'static ring::aead::quic::Algorithm, HashAlg)> {
    match suite {
        0x1301 => Some((&AES_128_GCM, &AES_128, HashAlg::Sha256)),
        0x1302 => Some((&AES_256_GCM, &AES_256, HashAlg::Sha384)),
        0x1303 => Some((&CHACHA20_POLY1305, &CHACHA20, HashAlg::Sha256)),
        _ => None,
    }
}

/// The QUIC labels of a version: v2 has its own (RFC 9369 3.3.2).
fn labels(v2: bool) -> (&'static str, &'static str, &'static str) {
    if v2 { ("quicv2 key", "quicv2 iv", "quicv2 hp") } else { ("quic key", "quic iv", "quic hp") }
}

/// The raw key material, for tests against the RFC vectors.
#[derive(Debug, PartialEq, Eq)]
pub struct KeyMaterial {
    pub secret: Vec<u8>,
    pub key: Vec<u8>,
    pub iv: Vec<u8>,
    pub hp: Vec<u8>,
}

/// The client's and the server's Initial key material for `dcid` (the client's first
/// Destination Connection ID), or None for a version whose salt is unknown.
pub fn initial_material(version: u32, dcid: &[u8]) -> Option<(KeyMaterial, KeyMaterial)> {
    let info = version_info(version);
    let salt = info.salt?;
    let (initial, _) = hkdf::Hkdf::<sha2::Sha256>::extract(Some(salt), dcid);
    let side = |label: &str| -> Option<KeyMaterial> {
        let secret = hkdf_expand_label(HashAlg::Sha256, &initial, label, &[], 32)?;
        let (k, i, h) = labels(info.v2);
        Some(KeyMaterial {
            key: hkdf_expand_label(HashAlg::Sha256, &secret, k, &[], 16)?,
            iv: hkdf_expand_label(HashAlg::Sha256, &secret, i, &[], 12)?,
            hp: hkdf_expand_label(HashAlg::Sha256, &secret, h, &[], 16)?,
            secret,
        })
    };
    Some((side("client in")?, side("server in")?))
}

impl PacketKeys {
    /// Initial keys: AES-128-GCM with AES header protection.
    pub fn from_material(m: &KeyMaterial) -> Option<Self> {
        Self::with_algorithms(&AES_128_GCM, &AES_128, &m.key, &m.iv, &m.hp)
    }

    fn with_algorithms(
        aead: &'static ring::aead::Algorithm,
        hp: &'static ring::aead::quic::Algorithm,
        key: &[u8],
        iv: &[u8],
        hp_key: &[u8],
    ) -> Option<Self> {
        Some(PacketKeys {
            aead: LessSafeKey::new(UnboundKey::new(aead, key).ok()?),
            iv: iv.try_into().ok()?,
            hp: HeaderProtectionKey::new(hp, hp_key).ok()?,
        })
    }

    /// The keys of a TLS 1.3 traffic secret (handshake, 0-RTT or 1-RTT) for `suite`
    /// (RFC 9001 5.1; v2 labels per RFC 9369 3.3.2).
    pub fn from_secret(suite: u16, secret: &[u8], v2: bool) -> Option<Self> {
        let (aead, hp, hash) = suite_algorithms(suite)?;
        let (k, i, h) = labels(v2);
        let key = hkdf_expand_label(hash, secret, k, &[], aead.key_len())?;
        let iv = hkdf_expand_label(hash, secret, i, &[], 12)?;
        let hp_key = hkdf_expand_label(hash, secret, h, &[], hp.key_len())?;
        Self::with_algorithms(aead, hp, &key, &iv, &hp_key)
    }

    /// The client's and server's Initial keys.
    pub fn initial(version: u32, dcid: &[u8]) -> Option<(PacketKeys, PacketKeys)> {
        let (c, s) = initial_material(version, dcid)?;
        Some((Self::from_material(&c)?, Self::from_material(&s)?))
    }

    /// The header protection mask of a 16-byte sample (AES-ECB or ChaCha20, per the suite).
    pub fn mask(&self, sample: &[u8]) -> Option<[u8; 5]> {
        self.hp.new_mask(sample.get(..16)?).ok()
    }

    fn nonce(&self, pn: u64) -> Nonce {
        let mut nonce = self.iv;
        for (n, p) in nonce.iter_mut().rev().zip(pn.to_be_bytes().iter().rev()) {
            *n ^= p;
        }
        Nonce::assume_unique_for_key(nonce)
    }

    pub fn open(&self, pn: u64, header: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let mut buf = sealed.to_vec();
        let plain_len = self.aead.open_in_place(self.nonce(pn), Aad::from(header), &mut buf).ok()?.len();
        buf.truncate(plain_len);
        Some(buf)
    }

    /// Seals a payload (tests build packets with it).
    pub fn seal(&self, pn: u64, header: &[u8], plain: &[u8]) -> Option<Vec<u8>> {
        let mut buf = plain.to_vec();
        self.aead.seal_in_place_append_tag(self.nonce(pn), Aad::from(header), &mut buf).ok()?;
        Some(buf)
    }
}

/// A long-header packet as framed, still protected.
#[derive(Debug)]
pub struct LongPacket<'a> {
    pub version: u32,
    /// None for a Version Negotiation packet.
    pub ptype: Option<PacketType>,
    pub dcid: &'a [u8],
    pub scid: &'a [u8],
    pub token: &'a [u8],
    /// The whole packet (header and protected payload; for Retry and Version Negotiation the
    /// rest of the datagram).
    pub bytes: &'a [u8],
    /// Offset of the packet number in `bytes` (Initial, 0-RTT, Handshake).
    pub pn_offset: usize,
}

/// One packet of a datagram.
#[derive(Debug)]
pub enum Framed<'a> {
    Long(LongPacket<'a>),
    /// A short-header (1-RTT) packet: the rest of the datagram.
    Short {
        len: usize,
        bytes: &'a [u8],
    },
}

/// Frames the first packet of `datagram`; returns it and the rest (coalesced packets).
pub fn frame(datagram: &[u8]) -> Option<(Framed<'_>, &[u8])> {
    let mut r = Reader::new(datagram);
    let first = r.u8("first byte").ok()?;
    // Zeros after the last packet pad the datagram (aioquic pads so): no packet.
    if first == 0 && datagram.iter().all(|b| *b == 0) {
        return None;
    }
    if first & 0x80 == 0 {
        return Some((Framed::Short { len: datagram.len(), bytes: datagram }, &[]));
    }
    let version = r.u32("version").ok()?;
    let dcid = r.vec8("dcid").ok()?;
    let scid = r.vec8("scid").ok()?;
    // Connection ids are at most 20 bytes in v1 and v2 (RFC 9000 17.2).
    let known = version_info(version);
    if version == 0 {
        return Some((
            Framed::Long(LongPacket { version, ptype: None, dcid, scid, token: &[], bytes: datagram, pn_offset: 0 }),
            &[],
        ));
    }
    let ptype = packet_type(first, known.v2);
    let mut token: &[u8] = &[];
    if ptype == PacketType::Retry {
        // The Retry Token runs to the 16-byte integrity tag (RFC 9000 17.2.5).
        let rest = r.rest();
        token = rest.get(..rest.len().saturating_sub(16)).unwrap_or_default();
        return Some((
            Framed::Long(LongPacket { version, ptype: Some(ptype), dcid, scid, token, bytes: datagram, pn_offset: 0 }),
            &[],
        ));
    }
    if ptype == PacketType::Initial {
        let len = usize::try_from(r.quic_varint("token length").ok()?).ok()?;
        token = r.bytes(len, "token").ok()?;
    }
    let length = usize::try_from(r.quic_varint("length").ok()?).ok()?;
    let pn_offset = r.position();
    let end = pn_offset.checked_add(length)?;
    let bytes = datagram.get(..end)?;
    let rest = datagram.get(end..)?;
    Some((Framed::Long(LongPacket { version, ptype: Some(ptype), dcid, scid, token, bytes, pn_offset }), rest))
}

/// Header protection removed and the payload decrypted.
#[derive(Debug)]
pub struct Opened {
    pub packet_number: u64,
    pub payload: Vec<u8>,
}

/// Removes header protection and decrypts a long-header packet with `keys`; `largest` is the
/// largest packet number received so far in this space and direction (RFC 9000 A.3).
pub fn open(keys: &PacketKeys, p: &LongPacket<'_>, largest: Option<u64>) -> Option<Opened> {
    open_at(keys, p.bytes, p.pn_offset, 0x0f, largest)
}

/// Removes header protection and decrypts a short-header (1-RTT) packet whose Destination
/// Connection ID is `dcid_len` bytes (the header does not say: the receiver chose it).
pub fn open_short(keys: &PacketKeys, bytes: &[u8], dcid_len: usize, largest: Option<u64>) -> Option<Opened> {
    // Short headers protect five bits of the first byte (RFC 9001 5.4.1), long headers four.
    open_at(keys, bytes, dcid_len.checked_add(1)?, 0x1f, largest)
}

fn open_at(keys: &PacketKeys, bytes: &[u8], pn_offset: usize, first_bits: u8, largest: Option<u64>) -> Option<Opened> {
    let sample_at = pn_offset.checked_add(4)?;
    let mask = keys.mask(bytes.get(sample_at..sample_at.checked_add(16)?)?)?;
    let mut header: Vec<u8> = bytes.get(..pn_offset)?.to_vec();
    let first = header.first_mut()?;
    *first ^= mask.first()? & first_bits;
    let pn_len = usize::from(*first & 0x03).checked_add(1)?;
    let pn_end = pn_offset.checked_add(pn_len)?;
    let mut truncated = 0u64;
    for (b, m) in bytes.get(pn_offset..pn_end)?.iter().zip(mask.get(1..)?) {
        let clear = b ^ m;
        header.push(clear);
        truncated = (truncated << 8) | u64::from(clear);
    }
    let pn = decode_packet_number(largest, truncated, pn_len);
    let payload = keys.open(pn, &header, bytes.get(pn_end..)?)?;
    Some(Opened { packet_number: pn, payload })
}

/// RFC 9000 A.3: the full packet number closest to the next expected one.
pub fn decode_packet_number(largest: Option<u64>, truncated: u64, pn_len: usize) -> u64 {
    let Some(largest) = largest else { return truncated };
    let bits = u32::try_from(pn_len.saturating_mul(8)).unwrap_or(32);
    let win = 1u64.checked_shl(bits).unwrap_or(u64::MAX);
    let hwin = win / 2;
    let mask = win.wrapping_sub(1);
    let expected = largest.saturating_add(1);
    let candidate = (expected & !mask) | truncated;
    if candidate.saturating_add(hwin) <= expected && candidate < (1u64 << 62).saturating_sub(win) {
        candidate.saturating_add(win)
    } else if candidate > expected.saturating_add(hwin) && candidate >= win {
        candidate.saturating_sub(win)
    } else {
        candidate
    }
}
