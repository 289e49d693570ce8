//! IANA TLS registries: names for every registered code point.
//!
//! (Being filled from the IANA registry data in `src/registry/data/`.)

/// One cipher suite with the parts later features judge strength by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CipherSuite {
    pub code: u16,
    pub name: &'static str,
    /// Key exchange, e.g. "ECDHE", "RSA", "DHE", "PSK", "TLS13" (TLS 1.3 suites negotiate it separately).
    pub kx: &'static str,
    /// Authentication, e.g. "RSA", "ECDSA", "anon", "PSK", "TLS13".
    pub auth: &'static str,
    /// Bulk cipher, e.g. "AES_128_GCM", "CHACHA20_POLY1305", "3DES_EDE_CBC", "NULL".
    pub cipher: &'static str,
    /// MAC or PRF hash, e.g. "SHA256", "SHA", "MD5", "AEAD".
    pub mac: &'static str,
}

pub fn cipher_suite(_code: u16) -> Option<&'static CipherSuite> {
    None
}
pub fn extension_name(_code: u16) -> Option<&'static str> {
    None
}
pub fn group_name(_code: u16) -> Option<&'static str> {
    None
}
pub fn signature_scheme_name(_code: u16) -> Option<&'static str> {
    None
}
pub fn alert_description_name(_code: u8) -> Option<&'static str> {
    None
}
pub fn alert_level_name(_code: u8) -> Option<&'static str> {
    None
}
pub fn handshake_type_name(_code: u8) -> Option<&'static str> {
    None
}
pub fn version_name(_code: u16) -> Option<String> {
    None
}
pub fn is_grease(code: u16) -> bool {
    code & 0x0f0f == 0x0a0a && (code >> 8) == (code & 0xff)
}
