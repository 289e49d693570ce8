//! IANA TLS registries: names for every registered code point.
//!
//! The data lives in `src/registry/data/` as the registries' own CSV files (see its
//! README.md for the snapshot dates and where each copy came from). `gen.py` turns them into
//! the sorted static tables in `tables.rs`, so lookups are a binary search over a few hundred
//! entries at most, with no parsing or allocation at run time.
//!
//! A few code points that real captures carry but IANA never registered (draft ChaCha20 suites,
//! NPN, ALPS, Channel ID, ESNI, ...) come from `data/extra.csv`; [`unofficial_note`] tells them
//! apart. GREASE values (RFC 8701) are named "GREASE" rather than IANA's "Reserved".

mod tables;

use tables::{
    ALERT_DESCRIPTIONS, CERT_COMPRESSION_ALGORITHMS, CERTIFICATE_STATUS_TYPES, CERTIFICATE_TYPES, CIPHER_SUITES,
    CLIENT_CERTIFICATE_TYPES, COMPRESSION_METHODS, CONTENT_TYPES, EC_CURVE_TYPES, EC_POINT_FORMATS, EXTENSIONS, GROUPS,
    HANDSHAKE_TYPES, HASH_ALGORITHMS, PSK_KEY_EXCHANGE_MODES, SIGNATURE_ALGORITHMS, SIGNATURE_SCHEMES, UNOFFICIAL,
};

/// One cipher suite with the parts later features judge strength by.
///
/// The parts are derived from the IANA name by `gen.py`: `TLS_<kx>_<auth>_WITH_<cipher>_<mac>`
/// or `TLS_<kx>_WITH_...` when one algorithm does both jobs (RSA, PSK, KRB5, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CipherSuite {
    pub code: u16,
    pub name: &'static str,
    /// Key exchange, e.g. "ECDHE", "RSA", "DHE", "PSK", "RSA_EXPORT", "DHE_EXPORT".
    /// "TLS13" for TLS 1.3 suites (the group is negotiated separately), "SCSV" for the
    /// signalling values, "GREASE" for RFC 8701 values.
    pub kx: &'static str,
    /// Authentication, e.g. "RSA", "ECDSA", "DSS", "anon", "PSK", "TLS13", "SCSV".
    pub auth: &'static str,
    /// Bulk cipher, e.g. "AES_128_GCM", "CHACHA20_POLY1305", "3DES_EDE_CBC", "RC4_128", "NULL".
    pub cipher: &'static str,
    /// MAC for non-AEAD suites ("SHA1", "SHA256", "SHA384", "MD5", ...) or "AEAD".
    pub mac: &'static str,
}

/// Which registry a code point belongs to, for [`unofficial_note`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Registry {
    CipherSuite,
    Extension,
    Group,
    SignatureScheme,
    HandshakeType,
}

/// Where the stored registry copies come from and how old they are; see data/README.md.
pub const DATA_SOURCES: &str = "IANA TLS registries: cipher suites and alerts as of late 2025 \
     (cite RFC 9847 / RFC 9849); supported groups and signature schemes as of early 2025; \
     tls-parameters.xml 2023-07-19 and tls-extensiontype-values.xml 2023-07-13 for the rest";

fn lookup16(table: &'static [(u16, &'static str)], code: u16) -> Option<&'static str> {
    let index = table.binary_search_by_key(&code, |&(c, _)| c).ok()?;
    table.get(index).map(|&(_, name)| name)
}

fn lookup8(table: &'static [(u8, &'static str)], code: u8) -> Option<&'static str> {
    let index = table.binary_search_by_key(&code, |&(c, _)| c).ok()?;
    table.get(index).map(|&(_, name)| name)
}

/// The cipher suite with this code point, IANA-registered or one of the well-known
/// unregistered ones (see [`unofficial_note`]).
pub fn cipher_suite(code: u16) -> Option<&'static CipherSuite> {
    let index = CIPHER_SUITES.binary_search_by_key(&code, |s| s.code).ok()?;
    CIPHER_SUITES.get(index)
}

/// The cipher suite with this exact IANA name (e.g. "TLS_AES_128_GCM_SHA256").
/// A linear scan: meant for configuration and tests, not per-packet work.
pub fn cipher_suite_by_name(name: &str) -> Option<&'static CipherSuite> {
    CIPHER_SUITES.iter().find(|s| s.name == name)
}

/// Every known cipher suite, sorted by code point.
pub fn cipher_suites() -> &'static [CipherSuite] {
    CIPHER_SUITES
}

/// ExtensionType name, e.g. 0 -> "server_name", 65037 -> "encrypted_client_hello".
pub fn extension_name(code: u16) -> Option<&'static str> {
    lookup16(EXTENSIONS, code)
}

/// Supported group (named curve) name, e.g. 29 -> "x25519", 4588 -> "X25519MLKEM768".
pub fn group_name(code: u16) -> Option<&'static str> {
    lookup16(GROUPS, code)
}

/// SignatureScheme name, e.g. 0x0804 -> "rsa_pss_rsae_sha256".
///
/// TLS 1.2 (hash, signature) pairs that TLS 1.3 left unnamed, such as 0x0402, are not here;
/// [`signature_pair_name`] names those.
pub fn signature_scheme_name(code: u16) -> Option<&'static str> {
    lookup16(SIGNATURE_SCHEMES, code)
}

/// A TLS 1.2 SignatureAndHashAlgorithm pair (hash in the high byte) as `"<signature>_<hash>"`,
/// e.g. 0x0402 -> "dsa_sha256". Prefer [`signature_scheme_name`] when it has a name.
pub fn signature_pair_name(code: u16) -> Option<String> {
    let [hash, signature] = code.to_be_bytes();
    Some(format!("{}_{}", signature_algorithm_name(signature)?, hash_algorithm_name(hash)?))
}

/// Alert description name, e.g. 48 -> "unknown_ca".
pub fn alert_description_name(code: u8) -> Option<&'static str> {
    lookup8(ALERT_DESCRIPTIONS, code)
}

/// Alert level name. Levels have no IANA registry; RFC 5246 section 7.2 defines both.
pub fn alert_level_name(code: u8) -> Option<&'static str> {
    match code {
        1 => Some("warning"),
        2 => Some("fatal"),
        _ => None,
    }
}

/// HandshakeType name as IANA spells it, e.g. 1 -> "client_hello",
/// 12 -> "server_key_exchange_RESERVED" (the suffix marks types TLS 1.3 retired).
pub fn handshake_type_name(code: u8) -> Option<&'static str> {
    lookup8(HANDSHAKE_TYPES, code)
}

/// Record ContentType name, e.g. 22 -> "handshake".
pub fn content_type_name(code: u8) -> Option<&'static str> {
    lookup8(CONTENT_TYPES, code)
}

/// Human name of a ProtocolVersion value: "SSL 3.0", "TLS 1.0".."TLS 1.3", "DTLS 1.2",
/// "TLS 1.3 draft 23" (0x7f17), "TLS 1.3 experiment 0x7e01", "GREASE".
pub fn version_name(code: u16) -> Option<std::borrow::Cow<'static, str>> {
    use std::borrow::Cow;
    if is_grease(code) {
        return Some(Cow::Borrowed("GREASE"));
    }
    let [major, minor] = code.to_be_bytes();
    let fixed = match code {
        0x0002 => Some("SSL 2.0"),
        0x0300 => Some("SSL 3.0"),
        0x0301 => Some("TLS 1.0"),
        0x0302 => Some("TLS 1.1"),
        0x0303 => Some("TLS 1.2"),
        0x0304 => Some("TLS 1.3"),
        // OpenSSL's pre-RFC 4347 DTLS version, still sent by old Cisco AnyConnect.
        0x0100 => Some("DTLS 1.0 (pre-standard)"),
        0xfeff => Some("DTLS 1.0"),
        0xfefd => Some("DTLS 1.2"),
        0xfefc => Some("DTLS 1.3"),
        _ => None,
    };
    if let Some(name) = fixed {
        return Some(Cow::Borrowed(name));
    }
    match major {
        0x7f => Some(Cow::Owned(format!("TLS 1.3 draft {minor}"))),
        // Google/Facebook deployment experiments during TLS 1.3 drafting.
        0x7e => Some(Cow::Owned(format!("TLS 1.3 experiment 0x{code:04x}"))),
        // Facebook's Fizz variants of drafts 23 and 26.
        0xfb if minor == 0x17 || minor == 0x1a => Some(Cow::Owned(format!("TLS 1.3 draft {minor} (Facebook)"))),
        _ => None,
    }
}

/// True for the 16 RFC 8701 GREASE values 0x0a0a, 0x1a1a, ..., 0xfafa (cipher suites,
/// extensions, groups, signature schemes and versions all share them).
pub fn is_grease(code: u16) -> bool {
    code & 0x0f0f == 0x0a0a && (code >> 8) == (code & 0xff)
}

/// True for the RFC 8701 GREASE values of PskKeyExchangeMode: 0x0b, 0x2a, ..., 0xe4
/// (0x0b + n * 0x1f).
pub fn is_grease_psk_mode(code: u8) -> bool {
    code % 0x1f == 0x0b
}

/// EC point format name, e.g. 0 -> "uncompressed".
pub fn ec_point_format_name(code: u8) -> Option<&'static str> {
    lookup8(EC_POINT_FORMATS, code)
}

/// ECCurveType name used in ServerKeyExchange, e.g. 3 -> "named_curve".
pub fn ec_curve_type_name(code: u8) -> Option<&'static str> {
    lookup8(EC_CURVE_TYPES, code)
}

/// PskKeyExchangeMode name, e.g. 1 -> "psk_dhe_ke".
pub fn psk_key_exchange_mode_name(code: u8) -> Option<&'static str> {
    lookup8(PSK_KEY_EXCHANGE_MODES, code)
}

/// Certificate compression algorithm name (RFC 8879), e.g. 2 -> "brotli".
pub fn cert_compression_name(code: u16) -> Option<&'static str> {
    lookup16(CERT_COMPRESSION_ALGORITHMS, code)
}

/// Record compression method name, e.g. 0 -> "NULL", 1 -> "DEFLATE".
pub fn compression_method_name(code: u8) -> Option<&'static str> {
    lookup8(COMPRESSION_METHODS, code)
}

/// ClientCertificateType name from a TLS 1.2 CertificateRequest, e.g. 64 -> "ecdsa_sign".
pub fn certificate_type_name(code: u8) -> Option<&'static str> {
    lookup8(CLIENT_CERTIFICATE_TYPES, code)
}

/// Certificate type from the client/server_certificate_type extensions (RFC 7250),
/// e.g. 0 -> "X509", 2 -> "Raw Public Key".
pub fn tls_certificate_type_name(code: u8) -> Option<&'static str> {
    lookup8(CERTIFICATE_TYPES, code)
}

/// CertificateStatusType name (status_request), e.g. 1 -> "ocsp".
pub fn certificate_status_type_name(code: u8) -> Option<&'static str> {
    lookup8(CERTIFICATE_STATUS_TYPES, code)
}

/// TLS 1.2 HashAlgorithm name, e.g. 4 -> "sha256".
pub fn hash_algorithm_name(code: u8) -> Option<&'static str> {
    lookup8(HASH_ALGORITHMS, code)
}

/// TLS 1.2 SignatureAlgorithm name, e.g. 3 -> "ecdsa".
pub fn signature_algorithm_name(code: u8) -> Option<&'static str> {
    lookup8(SIGNATURE_ALGORITHMS, code)
}

/// Why a name is in the tables although the stored IANA registry lacks it (never registered,
/// or registered after the snapshot). None for IANA code points and unknown ones.
pub fn unofficial_note(registry: Registry, code: u16) -> Option<&'static str> {
    UNOFFICIAL.iter().find(|&&(r, c, _)| r == registry && c == code).map(|&(_, _, note)| note)
}

#[cfg(test)]
mod tests;
