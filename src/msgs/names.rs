//! Display names for code points inside messages.
//!
//! Names of the big IANA registries (cipher suites, groups, signature schemes, versions,
//! alerts) come from `crate::registry`; GREASE values are named "GREASE"; anything unknown
//! keeps its number in the name. The handful of tiny registries the `registry` module has no
//! lookup for (compression methods, certificate types, HPKE ids, ...) are tabled here.

use crate::registry;

/// A display name: borrowed from the registries for known values, built only for unknown ones
/// (a ClientHello names dozens of code points; allocating each name showed in profiles).
///
/// Every name is a plain token: registry names, identifiers of our own and numbers formatted
/// into `unknown_...`, never text from a capture, so no name holds a character JSON must escape
/// (`tests::every_name_is_a_plain_token` checks every code point of every table). A name
/// serializes as serde derives a newtype struct named `Name`: its string inside.
#[derive(Clone, Debug)]
pub enum Name {
    Borrowed(&'static str),
    Owned(String),
}

impl Name {
    pub fn as_str(&self) -> &str {
        match self {
            Name::Borrowed(s) => s,
            Name::Owned(s) => s,
        }
    }
}

/// Whether `s` can be written between JSON quotes as it is: no quote, backslash or control
/// character.
pub fn is_plain_token(s: &str) -> bool {
    !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\')
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<std::borrow::Cow<'static, str>> for Name {
    fn from(name: std::borrow::Cow<'static, str>) -> Self {
        match name {
            std::borrow::Cow::Borrowed(s) => Name::Borrowed(s),
            std::borrow::Cow::Owned(s) => Name::Owned(s),
        }
    }
}

impl From<&'static str> for Name {
    fn from(name: &'static str) -> Self {
        Name::Borrowed(name)
    }
}

impl From<String> for Name {
    fn from(name: String) -> Self {
        Name::Owned(name)
    }
}

// Compared, ordered and hashed as the text, whichever way it is held (as `Cow` does).
impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Name {}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl serde::Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        debug_assert!(is_plain_token(self.as_str()), "name {:?} needs escaping", self.as_str());
        serializer.serialize_newtype_struct("Name", self.as_str())
    }
}

/// "GREASE", the registry's name, or `unknown_0x1234`.
fn name16(code: u16, lookup: fn(u16) -> Option<&'static str>) -> Name {
    if registry::is_grease(code) {
        return Name::Borrowed("GREASE");
    }
    lookup(code).map(Name::Borrowed).unwrap_or_else(|| unknown16(code))
}

/// `unknown_0x` and `code` in four lowercase hex digits, without `fmt`: hellos often offer
/// signature schemes no registry names, and this ran for each of them. Digit by digit: for two
/// bytes, `const-hex` (`hex_text`) cost more than `format!` (its SIMD dispatch, +2.7M
/// instructions on 10 MB of JSON).
fn unknown16(code: u16) -> Name {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut name = String::with_capacity(14);
    name.push_str("unknown_0x");
    for shift in [12, 8, 4, 0] {
        let digit = DIGITS.get(usize::from((code >> shift) & 0xf)).copied().unwrap_or(b'0');
        name.push(char::from(digit));
    }
    Name::Owned(name)
}

pub fn cipher_suite_name(code: u16) -> Name {
    name16(code, |c| registry::cipher_suite(c).map(|s| s.name))
}

pub fn group_name(code: u16) -> Name {
    name16(code, registry::group_name)
}

pub fn signature_scheme_name(code: u16) -> Name {
    name16(code, registry::signature_scheme_name)
}

pub fn version_name(code: u16) -> Name {
    if registry::is_grease(code) {
        return Name::Borrowed("GREASE");
    }
    registry::version_name(code).map(Name::from).unwrap_or_else(|| unknown16(code))
}

pub fn compression_method_name(code: u8) -> Name {
    match code {
        0 => Name::Borrowed("null"),
        1 => Name::Borrowed("DEFLATE"),
        64 => Name::Borrowed("LZS"),
        _ => Name::Owned(format!("unknown_{code}")),
    }
}

/// RFC 8879 certificate compression algorithms.
pub fn certificate_compression_name(code: u16) -> Name {
    if registry::is_grease(code) {
        return Name::Borrowed("GREASE");
    }
    match code {
        1 => Name::Borrowed("zlib"),
        2 => Name::Borrowed("brotli"),
        3 => Name::Borrowed("zstd"),
        _ => Name::Owned(format!("unknown_{code}")),
    }
}

pub fn psk_key_exchange_mode_name(code: u8) -> Name {
    match code {
        0 => Name::Borrowed("psk_ke"),
        1 => Name::Borrowed("psk_dhe_ke"),
        // GREASE values for one-byte registries (RFC 8701): 0x0b, 0x2a, 0x49, ... (0x1f step).
        c if c % 0x1f == 0x0b => Name::Borrowed("GREASE"),
        _ => Name::Owned(format!("unknown_{code}")),
    }
}

/// CertificateStatusType (RFC 6066, RFC 6961).
pub fn certificate_status_type_name(code: u8) -> Name {
    match code {
        1 => Name::Borrowed("ocsp"),
        2 => Name::Borrowed("ocsp_multi"),
        _ => Name::Owned(format!("unknown_{code}")),
    }
}

/// ClientCertificateType of a TLS <= 1.2 CertificateRequest.
pub fn client_certificate_type_name(code: u8) -> Name {
    let name = match code {
        1 => "rsa_sign",
        2 => "dss_sign",
        3 => "rsa_fixed_dh",
        4 => "dss_fixed_dh",
        5 => "rsa_ephemeral_dh",
        6 => "dss_ephemeral_dh",
        20 => "fortezza_dms",
        64 => "ecdsa_sign",
        65 => "rsa_fixed_ecdh",
        66 => "ecdsa_fixed_ecdh",
        67 => "gost_sign256",
        68 => "gost_sign512",
        _ => return Name::Owned(format!("unknown_{code}")),
    };
    Name::Borrowed(name)
}

/// Certificate types of the client/server_certificate_type extensions (RFC 7250).
pub fn certificate_type_name(code: u8) -> Name {
    match code {
        0 => Name::Borrowed("X509"),
        1 => Name::Borrowed("OpenPGP"),
        2 => Name::Borrowed("RawPublicKey"),
        _ => Name::Owned(format!("unknown_{code}")),
    }
}

/// The certificate_type value for RFC 7250 raw public keys.
pub const CERTIFICATE_TYPE_RAW_PUBLIC_KEY: u8 = 2;

pub fn ec_point_format_name(code: u8) -> Name {
    match code {
        0 => Name::Borrowed("uncompressed"),
        1 => Name::Borrowed("ansiX962_compressed_prime"),
        2 => Name::Borrowed("ansiX962_compressed_char2"),
        _ => Name::Owned(format!("unknown_{code}")),
    }
}

pub fn heartbeat_mode_name(code: u8) -> Name {
    match code {
        1 => Name::Borrowed("peer_allowed_to_send"),
        2 => Name::Borrowed("peer_not_allowed_to_send"),
        _ => Name::Owned(format!("unknown_{code}")),
    }
}

/// max_fragment_length code to bytes (RFC 6066 4).
pub fn max_fragment_length_bytes(code: u8) -> Option<u32> {
    match code {
        1..=4 => Some(1 << (8 + u32::from(code))),
        _ => None,
    }
}

/// HPKE KDF identifiers (RFC 9180 7.2), as used by ECH.
pub fn hpke_kdf_name(code: u16) -> Name {
    match code {
        1 => Name::Borrowed("HKDF-SHA256"),
        2 => Name::Borrowed("HKDF-SHA384"),
        3 => Name::Borrowed("HKDF-SHA512"),
        _ => unknown16(code),
    }
}

/// HPKE AEAD identifiers (RFC 9180 7.3).
pub fn hpke_aead_name(code: u16) -> Name {
    match code {
        1 => Name::Borrowed("AES-128-GCM"),
        2 => Name::Borrowed("AES-256-GCM"),
        3 => Name::Borrowed("ChaCha20Poly1305"),
        0xffff => Name::Borrowed("Export-only"),
        _ => unknown16(code),
    }
}

/// QUIC transport parameter names (RFC 9000 18.2 and later RFCs). Reserved ids 31*N+27 are
/// GREASE (RFC 9000 18.1).
pub fn quic_transport_parameter_name(id: u64) -> Name {
    let name = match id {
        0x00 => "original_destination_connection_id",
        0x01 => "max_idle_timeout",
        0x02 => "stateless_reset_token",
        0x03 => "max_udp_payload_size",
        0x04 => "initial_max_data",
        0x05 => "initial_max_stream_data_bidi_local",
        0x06 => "initial_max_stream_data_bidi_remote",
        0x07 => "initial_max_stream_data_uni",
        0x08 => "initial_max_streams_bidi",
        0x09 => "initial_max_streams_uni",
        0x0a => "ack_delay_exponent",
        0x0b => "max_ack_delay",
        0x0c => "disable_active_migration",
        0x0d => "preferred_address",
        0x0e => "active_connection_id_limit",
        0x0f => "initial_source_connection_id",
        0x10 => "retry_source_connection_id",
        0x11 => "version_information",
        0x20 => "max_datagram_frame_size",
        0x2ab2 => "grease_quic_bit",
        0xff04de1b => "min_ack_delay",
        id if id >= 27 && (id - 27) % 31 == 0 => "GREASE",
        _ => return Name::Owned(format!("unknown_0x{id:x}")),
    };
    Name::Borrowed(name)
}

pub fn key_update_request_name(code: u8) -> Name {
    match code {
        0 => Name::Borrowed("update_not_requested"),
        1 => Name::Borrowed("update_requested"),
        _ => Name::Owned(format!("unknown_{code}")),
    }
}

pub fn alert_level_name(code: u8) -> Name {
    registry::alert_level_name(code).map(Name::Borrowed).unwrap_or_else(|| match code {
        1 => Name::Borrowed("warning"),
        2 => Name::Borrowed("fatal"),
        _ => Name::Owned(format!("unknown_{code}")),
    })
}

pub fn alert_description_name(code: u8) -> Name {
    registry::alert_description_name(code).map(Name::Borrowed).unwrap_or_else(|| Name::Owned(format!("unknown_{code}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unnamed codes read as `format!` would write them.
    #[test]
    fn unknown_codes_are_named_in_four_hex_digits() {
        for code in 0..=u16::MAX {
            assert_eq!(&*unknown16(code), format!("unknown_0x{code:04x}"));
        }
        // A code no registry names, through a public lookup.
        assert_eq!(&*signature_scheme_name(0xfe0f), "unknown_0xfe0f");
    }

    /// Names are written into JSON without escaping (see [`Name`]): every name any code point
    /// can get must be a plain token.
    #[test]
    fn every_name_is_a_plain_token() {
        let mut names: Vec<Name> = Vec::new();
        for code in 0..=u16::MAX {
            names.extend([
                cipher_suite_name(code),
                group_name(code),
                signature_scheme_name(code),
                version_name(code),
                certificate_compression_name(code),
                hpke_kdf_name(code),
                hpke_aead_name(code),
                super::super::extensions::extension_type_name(code),
            ]);
            if let Some(pair) = registry::signature_pair_name(code) {
                names.push(Name::Owned(pair));
            }
        }
        for code in 0..=u8::MAX {
            names.extend([
                compression_method_name(code),
                psk_key_exchange_mode_name(code),
                certificate_status_type_name(code),
                client_certificate_type_name(code),
                certificate_type_name(code),
                ec_point_format_name(code),
                heartbeat_mode_name(code),
                key_update_request_name(code),
                alert_level_name(code),
                alert_description_name(code),
                super::super::handshake_name(code),
            ]);
        }
        for id in (0..=0x2ac0).chain([0xff04de1b, u64::MAX]) {
            names.push(quic_transport_parameter_name(id));
        }
        let bad: Vec<&Name> = names.iter().filter(|n| !is_plain_token(n)).collect();
        assert!(bad.is_empty(), "names that need JSON escaping: {bad:?}");
        assert!(names.len() > 500_000);
    }

    #[test]
    fn plain_token_check() {
        assert!(is_plain_token("TLS_AES_128_GCM_SHA256"));
        assert!(is_plain_token("DTLS 1.0 (pre-standard)"));
        assert!(is_plain_token(""));
        assert!(!is_plain_token("a\"b"));
        assert!(!is_plain_token("a\\b"));
        assert!(!is_plain_token("a\nb"));
        assert!(!is_plain_token("\u{1f}"));
    }

    #[test]
    fn names_compare_order_and_hash_as_their_text() {
        use std::hash::BuildHasher;
        let borrowed = Name::Borrowed("x25519");
        let owned = Name::Owned("x25519".to_string());
        assert_eq!(borrowed, owned);
        assert_eq!(borrowed, "x25519");
        let state = std::collections::hash_map::RandomState::new();
        assert_eq!(state.hash_one(&borrowed), state.hash_one(&owned));
        assert!(Name::Owned("a".into()) < Name::Borrowed("b"));
        assert_eq!(serde_json::to_string(&owned).unwrap(), "\"x25519\"");
    }
}
