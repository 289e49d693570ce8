//! JA4, the TLS client fingerprint: `a_b_c` where `a` describes the hello (transport, version, SNI,
//! counts, ALPN), `b` is the cipher list and `c` the extension list plus signature algorithms.
//! The `_r` forms write the lists out, the plain forms hash each to 12 hex digits of SHA-256; the
//! `_o` forms keep wire order (and SNI/ALPN), the others sort and drop SNI/ALPN from `c`.

use super::{ext_raw, not_grease, u16_list16, u16_values};
use crate::msgs::ClientHello;
use crate::msgs::reader::Reader;
use crate::registry::ExtensionType;
use sha2::{Digest, Sha256};

/// What an empty list hashes to: the spec uses zeros so "nothing" is visible as such.
const EMPTY_HASH: &str = "000000000000";

pub(super) struct Ja4 {
    /// The `a` section.
    head: String,
    /// Non-GREASE cipher suites, wire order.
    ciphers: Vec<u16>,
    /// Non-GREASE extension types, wire order.
    exts: Vec<u16>,
    /// Non-GREASE signature algorithms, wire order (never sorted).
    sig_algs: Vec<u16>,
}

impl Ja4 {
    pub(super) fn new(ch: &ClientHello) -> Ja4 {
        let ciphers: Vec<u16> = ch.cipher_suites.iter().copied().filter(not_grease).collect();
        let exts: Vec<u16> = ch.extensions.iter().map(|e| e.typ).filter(not_grease).collect();
        let sig_algs = u16_list16(ext_raw(&ch.extensions, ExtensionType::SignatureAlgorithms))
            .into_iter()
            .filter(not_grease)
            .collect();
        let sni = if exts.iter().any(|&e| ExtensionType::from(e) == ExtensionType::ServerName) { 'd' } else { 'i' };
        let [alpn_first, alpn_last] =
            alpn_chars(ext_raw(&ch.extensions, ExtensionType::ApplicationLayerProtocolNegotiation));
        let head = format!(
            "{}{}{sni}{:02}{:02}{alpn_first}{alpn_last}",
            if ch.over_quic {
                'q'
            } else if crate::msgs::hello::is_dtls(ch.version) {
                'd'
            } else {
                't'
            },
            version_code(version(ch)),
            ciphers.len().min(99),
            exts.len().min(99),
        );
        Ja4 { head, ciphers, exts, sig_algs }
    }

    /// Ciphers and extensions (minus SNI and ALPN) sorted.
    fn sorted_lists(&self) -> (String, String) {
        let mut ciphers = self.ciphers.clone();
        ciphers.sort_unstable();
        let mut exts: Vec<u16> = self.exts.iter().copied().filter(|&e| !is_sni_or_alpn(e)).collect();
        exts.sort_unstable();
        (hex_list(&ciphers), hex_list(&exts))
    }

    fn original_lists(&self) -> (String, String) {
        (hex_list(&self.ciphers), hex_list(&self.exts))
    }

    /// `c` before hashing: extension list, then `_` and the signature algorithms if there are any.
    fn with_sig_algs(&self, exts: String) -> String {
        if self.sig_algs.is_empty() { exts } else { format!("{exts}_{}", hex_list(&self.sig_algs)) }
    }

    /// The hashed and raw forms over the sorted lists.
    pub(super) fn sorted_forms(&self) -> (String, String) {
        let (ciphers, exts) = self.sorted_lists();
        self.forms(&ciphers, exts)
    }

    /// The hashed and raw forms over the lists in wire order.
    pub(super) fn original_forms(&self) -> (String, String) {
        let (ciphers, exts) = self.original_lists();
        self.forms(&ciphers, exts)
    }

    fn forms(&self, ciphers: &str, exts: String) -> (String, String) {
        let c = self.with_sig_algs(exts);
        let raw = format!("{}_{ciphers}_{c}", self.head);
        (self.hash_form(ciphers, &c), raw)
    }

    fn hash_form(&self, ciphers: &str, c_raw: &str) -> String {
        // `c` is zeros when the sorted list (without SNI and ALPN) is empty, for the original-order
        // form too even though its list still names SNI/ALPN: the spec words it on the sorted list
        // and the JA4 reference outputs do the same.
        let only_sni_alpn = self.exts.iter().all(|&e| is_sni_or_alpn(e));
        let c = if only_sni_alpn { EMPTY_HASH.to_string() } else { hash12(c_raw) };
        format!("{}_{}_{c}", self.head, hash12(ciphers))
    }
}

/// SNI and ALPN: the two extensions the sorted forms leave out.
fn is_sni_or_alpn(typ: u16) -> bool {
    matches!(ExtensionType::from(typ), ExtensionType::ServerName | ExtensionType::ApplicationLayerProtocolNegotiation)
}

/// The highest non-GREASE supported_versions entry, else the legacy hello version.
fn version(ch: &ClientHello) -> u16 {
    ext_raw(&ch.extensions, ExtensionType::SupportedVersions)
        .and_then(|raw| Reader::new(raw).sub8("supported_versions").ok())
        .and_then(|list| u16_values(list).into_iter().filter(not_grease).max())
        .unwrap_or(ch.version)
}

fn version_code(version: u16) -> &'static str {
    match version {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        0xfeff => "d1",
        0xfefd => "d2",
        0xfefc => "d3",
        _ => "00",
    }
}

/// First and last character of the first ALPN protocol; when either end byte is not an ASCII
/// letter or digit, the first and last hex digits of the value instead; `00` when there is none.
fn alpn_chars(raw: Option<&[u8]>) -> [char; 2] {
    let first = raw.and_then(|r| Reader::new(r).sub16("alpn list").ok()).and_then(|mut l| l.vec8("protocol").ok());
    let (Some(&a), Some(&z)) = (first.and_then(|p| p.first()), first.and_then(|p| p.last())) else {
        return ['0', '0'];
    };
    if a.is_ascii_alphanumeric() && z.is_ascii_alphanumeric() {
        [char::from(a), char::from(z)]
    } else {
        [hex_digit(a >> 4), hex_digit(z & 0x0f)]
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble & 0x0f), 16).unwrap_or('0')
}

/// `0a0a,1301,...`: four lowercase hex digits per value, into one buffer (it runs four times
/// per new hello shape, and `format!` per value dominated fingerprinting).
fn hex_list(values: &[u16]) -> String {
    let mut out = String::with_capacity(values.len().saturating_mul(5));
    let mut digits = [0u8; 4];
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if const_hex::encode_to_slice(v.to_be_bytes(), &mut digits).is_ok() {
            out.push_str(std::str::from_utf8(&digits).unwrap_or_default());
        }
    }
    out
}

fn hash12(s: &str) -> String {
    if s.is_empty() {
        return EMPTY_HASH.to_string();
    }
    let digest = Sha256::digest(s.as_bytes());
    crate::hex_text::lower(digest.get(..6).unwrap_or_default())
}
