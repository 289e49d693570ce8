//! Display names of code points: the one place JSON, the text view and role sentences get them.
//!
//! Names of the IANA registries (cipher suites, extensions, groups, signature schemes,
//! versions, alerts) come from `crate::registry`, whose typed enums carry them; GREASE values
//! are named "GREASE". A code no registry names is `unknown_` and its number, as JSON has
//! always written it: `unknown_0x1234` for two-byte code points, `unknown_12` for one-byte ones,
//! and, the two exceptions JSON fixed long ago, decimal for extension types and certificate
//! compression algorithms (`unknown_1234`). The handful of tiny registries the `registry`
//! module has no lookup for (HPKE ids, heartbeat modes, ...) are tabled here, as are names that
//! JSON spells differently from IANA (compression method "null").

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

/// `unknown_0x` and `code` in four lowercase hex digits.
fn unknown16(code: u16) -> Name {
    Name::Owned(format!("unknown_0x{code:04x}"))
}

pub fn cipher_suite_name(code: u16) -> Name {
    name16(code, |c| registry::cipher_suite(c).map(|s| s.name))
}

pub fn group_name(code: u16) -> Name {
    name16(code, registry::group_name)
}

/// A SignatureScheme, or a TLS 1.2 (hash, signature) pair the SignatureScheme registry does not
/// list, named from the HashAlgorithm and SignatureAlgorithm registries (0x0303 "ecdsa_sha224").
pub fn signature_scheme_name(code: u16) -> Name {
    if registry::is_grease(code) {
        return Name::Borrowed("GREASE");
    }
    if let Some(name) = registry::signature_scheme_name(code) {
        return Name::Borrowed(name);
    }
    registry::signature_pair_name(code).map(Name::Borrowed).unwrap_or_else(|| unknown16(code))
}

/// ExtensionType name: IANA's, "GREASE", or `unknown_` and the decimal code.
pub fn extension_type_name(typ: u16) -> Name {
    registry::extension_name(typ).map(Name::Borrowed).unwrap_or_else(|| Name::Owned(format!("unknown_{typ}")))
}

/// "TLS 1.2", "TLS 1.3 draft 23", "GREASE", ...
pub fn version_name(code: u16) -> Name {
    registry::version_name(code).map(Name::from).unwrap_or_else(|| unknown16(code))
}

/// The `content_type` of a record in JSON: the registry name of the five types a TLS stream
/// carries, "unknown" for the rest.
pub fn content_type_name(code: u8) -> &'static str {
    use registry::ContentType as C;
    match C::from(code) {
        t @ (C::ChangeCipherSpec | C::Alert | C::Handshake | C::ApplicationData | C::Heartbeat) => {
            t.name().unwrap_or("unknown")
        }
        C::Tls12Cid | C::ACK | C::Unknown(_) => "unknown",
    }
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
    registry::cert_compression_name(code).map(Name::Borrowed).unwrap_or_else(|| Name::Owned(format!("unknown_{code}")))
}

pub fn psk_key_exchange_mode_name(code: u8) -> Name {
    if registry::is_grease_psk_mode(code) {
        return Name::Borrowed("GREASE");
    }
    registry::psk_key_exchange_mode_name(code)
        .map(Name::Borrowed)
        .unwrap_or_else(|| Name::Owned(format!("unknown_{code}")))
}

// The next three registries are tabled here because JSON has always spelled them without
// IANA's `_RESERVED` marks and spaces ("ocsp_multi", "RawPublicKey").

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
    registry::ec_point_format_name(code).map(Name::Borrowed).unwrap_or_else(|| Name::Owned(format!("unknown_{code}")))
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
        id if id.checked_sub(27).is_some_and(|n| n % 31 == 0) => "GREASE",
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
    registry::alert_level_name(code).map(Name::Borrowed).unwrap_or_else(|| Name::Owned(format!("unknown_{code}")))
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
                extension_type_name(code),
            ]);
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
                Name::Borrowed(content_type_name(code)),
            ]);
        }
        for id in (0..=0x2ac0).chain([0xff04de1b, u64::MAX]) {
            names.push(quic_transport_parameter_name(id));
        }
        let bad: Vec<&Name> = names.iter().filter(|n| !is_plain_token(n)).collect();
        assert!(bad.is_empty(), "names that need JSON escaping: {bad:?}");
        assert!(names.len() > 500_000);
    }

    /// The names JSON has always shown, as the name functions wrote them before the wire enums:
    /// the same for every code but the TLS 1.2 signature pairs, which now have names.
    #[test]
    fn names_are_unchanged_for_every_code() {
        let old16 = |code: u16, lookup: fn(u16) -> Option<&'static str>| -> String {
            if registry::is_grease(code) {
                return "GREASE".to_string();
            }
            lookup(code).map_or_else(|| format!("unknown_0x{code:04x}"), str::to_string)
        };
        for code in 0..=u16::MAX {
            let suite = old16(code, |c| registry::cipher_suite(c).map(|s| s.name));
            assert_eq!(&*cipher_suite_name(code), suite);
            assert_eq!(&*group_name(code), old16(code, registry::group_name));
            let scheme = match registry::signature_pair_name(code) {
                Some(pair) => pair.to_string(),
                None => old16(code, registry::signature_scheme_name),
            };
            assert_eq!(&*signature_scheme_name(code), scheme);
            let version = match registry::version_name(code) {
                Some(name) => name.into_owned(),
                None => format!("unknown_0x{code:04x}"),
            };
            assert_eq!(&*version_name(code), version);
            let extension = match registry::extension_name(code) {
                _ if registry::is_grease(code) => "GREASE".to_string(),
                Some(name) => name.to_string(),
                None => format!("unknown_{code}"),
            };
            assert_eq!(&*extension_type_name(code), extension);
            let compression = match code {
                _ if registry::is_grease(code) => "GREASE".to_string(),
                1 => "zlib".to_string(),
                2 => "brotli".to_string(),
                3 => "zstd".to_string(),
                _ => format!("unknown_{code}"),
            };
            assert_eq!(&*certificate_compression_name(code), compression);
        }
        for code in 0..=u8::MAX {
            assert_eq!(&*super::super::handshake_name(code), old_handshake_name(code));
            let old_content = match code {
                20 => "change_cipher_spec",
                21 => "alert",
                22 => "handshake",
                23 => "application_data",
                24 => "heartbeat",
                _ => "unknown",
            };
            assert_eq!(content_type_name(code), old_content);
            let level = match code {
                1 => "warning".to_string(),
                2 => "fatal".to_string(),
                _ => format!("unknown_{code}"),
            };
            assert_eq!(&*alert_level_name(code), level);
            let psk_mode = match code {
                0 => "psk_ke".to_string(),
                1 => "psk_dhe_ke".to_string(),
                c if c % 0x1f == 0x0b => "GREASE".to_string(),
                _ => format!("unknown_{code}"),
            };
            assert_eq!(&*psk_key_exchange_mode_name(code), psk_mode);
            let point_format = match code {
                0 => "uncompressed".to_string(),
                1 => "ansiX962_compressed_prime".to_string(),
                2 => "ansiX962_compressed_char2".to_string(),
                _ => format!("unknown_{code}"),
            };
            assert_eq!(&*ec_point_format_name(code), point_format);
            let description = registry::alert_description_name(code);
            assert_eq!(
                &*alert_description_name(code),
                description.map_or_else(|| format!("unknown_{code}"), str::to_string)
            );
        }
    }

    /// `msgs::handshake_name` as it was written before [`super::super::MessageKind`].
    fn old_handshake_name(msg_type: u8) -> String {
        let name = match msg_type {
            0 => "HelloRequest",
            1 => "ClientHello",
            2 => "ServerHello",
            3 => "HelloVerifyRequest",
            4 => "NewSessionTicket",
            5 => "EndOfEarlyData",
            6 => "HelloRetryRequest",
            8 => "EncryptedExtensions",
            9 => "RequestConnectionId",
            10 => "NewConnectionId",
            11 => "Certificate",
            12 => "ServerKeyExchange",
            13 => "CertificateRequest",
            14 => "ServerHelloDone",
            15 => "CertificateVerify",
            16 => "ClientKeyExchange",
            17 => "ClientCertificateRequest",
            20 => "Finished",
            21 => "CertificateUrl",
            22 => "CertificateStatus",
            23 => "SupplementalData",
            24 => "KeyUpdate",
            25 => "CompressedCertificate",
            26 => "EktKey",
            67 => "NextProtocol",
            254 => "MessageHash",
            _ => return format!("Unknown{msg_type}"),
        };
        name.to_string()
    }

    /// TLS 1.2 pairs the SignatureScheme registry leaves out are named from the hash and
    /// signature registries; registered schemes and GREASE keep their names.
    #[test]
    fn signature_pairs_are_named() {
        assert_eq!(&*signature_scheme_name(0x0303), "ecdsa_sha224");
        assert_eq!(&*signature_scheme_name(0x0301), "rsa_pkcs1_sha224");
        assert_eq!(&*signature_scheme_name(0x0402), "dsa_sha256");
        assert_eq!(&*signature_scheme_name(0x0202), "dsa_sha1");
        assert_eq!(&*signature_scheme_name(0x0203), "ecdsa_sha1");
        assert_eq!(&*signature_scheme_name(0x0401), "rsa_pkcs1_sha256");
        assert_eq!(&*signature_scheme_name(0x0a0a), "GREASE");
        assert_eq!(&*signature_scheme_name(0x0840), "unknown_0x0840");
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
