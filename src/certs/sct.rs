//! Signed Certificate Timestamps (RFC 6962 3.2): the log's promise to publish a certificate,
//! whether it came in the TLS extension or embedded in the certificate (X.509 extension
//! 1.3.6.1.4.1.11129.2.4.2, parsed by x509-parser).

use serde::Serialize;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::X509Certificate;

/// One SCT, described. The same keys wherever it was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sct {
    /// 0 is v1, the only version RFC 6962 defines.
    pub version: u8,
    /// SHA-256 of the log's key, hex.
    pub log_id: String,
    /// The same, base64 (how log lists name logs).
    pub log_id_base64: String,
    /// Milliseconds since the epoch.
    pub timestamp: u64,
    /// The timestamp as RFC 3339 UTC with milliseconds; null outside the representable years.
    pub time: Option<String>,
    /// The DigitallySigned algorithm as TLS 1.2 codes: hash byte then signature byte.
    pub signature_algorithm: u16,
    /// e.g. "ecdsa_sha256".
    pub signature_algorithm_name: String,
    /// The serialized SCT's length in bytes.
    pub length: usize,
}

impl Sct {
    /// Describes one SCT from its fields as they were read.
    pub fn new(version: u8, log_id: &[u8], timestamp: u64, hash: u8, signature: u8, length: usize) -> Sct {
        Sct {
            version,
            log_id: crate::hex_text::lower(log_id),
            log_id_base64: data_encoding::BASE64.encode(log_id),
            timestamp,
            time: rfc3339_millis(timestamp),
            signature_algorithm: u16::from_be_bytes([hash, signature]),
            signature_algorithm_name: algorithm_name(hash, signature),
            length,
        }
    }
}

/// RFC 3339 UTC with milliseconds: CT timestamps are milliseconds and logs print them so.
pub fn rfc3339_millis(ms: u64) -> Option<String> {
    let secs = i64::try_from(ms / 1000).ok()?;
    let text = super::format_rfc3339(secs)?;
    let stem = text.strip_suffix('Z')?;
    Some(format!("{stem}.{:03}Z", ms % 1000))
}

/// The TLS 1.2 HashAlgorithm and SignatureAlgorithm codes (RFC 5246 7.4.1.4.1) as one name.
fn algorithm_name(hash: u8, signature: u8) -> String {
    let h = match hash {
        0 => "none",
        1 => "md5",
        2 => "sha1",
        3 => "sha224",
        4 => "sha256",
        5 => "sha384",
        6 => "sha512",
        8 => "intrinsic",
        _ => return format!("unknown(0x{hash:02x}{signature:02x})"),
    };
    let s = match signature {
        0 => "anonymous",
        1 => "rsa",
        2 => "dsa",
        3 => "ecdsa",
        7 => "ed25519",
        8 => "ed448",
        _ => return format!("unknown(0x{hash:02x}{signature:02x})"),
    };
    // Ed25519/Ed448 hash intrinsically: the hash byte says so and is not a hash.
    if hash == 8 { s.to_string() } else { format!("{s}_{h}") }
}

/// The SCTs embedded in a certificate's extensions (empty when none, or when they do not parse).
pub fn embedded(cert: &X509Certificate<'_>) -> Vec<Sct> {
    let mut out = Vec::new();
    for ext in cert.extensions() {
        if let ParsedExtension::SCT(list) = ext.parsed_extension() {
            for s in list {
                // version, log id, timestamp, extensions (2 + n), signature (2 + 2 + n).
                let length = 1usize
                    .saturating_add(32)
                    .saturating_add(8)
                    .saturating_add(2)
                    .saturating_add(s.extensions.0.len())
                    .saturating_add(4)
                    .saturating_add(s.signature.data.len());
                out.push(Sct::new(
                    s.version.0,
                    s.id.key_id,
                    s.timestamp,
                    s.signature.hash_alg_id,
                    s.signature.sign_alg_id,
                    length,
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_times() {
        let s = Sct::new(0, &[0xab; 32], 1_700_000_000_123, 4, 3, 119);
        assert_eq!(s.signature_algorithm, 0x0403);
        assert_eq!(s.signature_algorithm_name, "ecdsa_sha256");
        assert_eq!(s.time.as_deref(), Some("2023-11-14T22:13:20.123Z"));
        assert_eq!(s.log_id_base64.len(), 44);
        assert_eq!(algorithm_name(4, 1), "rsa_sha256");
        assert_eq!(algorithm_name(9, 1), "unknown(0x0901)");
    }
}
