//! TLS 1.3 key schedule pieces needed by a passive observer that is handed traffic secrets
//! (RFC 8446 section 7): HKDF-Expand-Label, record key and IV, KeyUpdate's next secret and the
//! Finished MAC.

use hkdf::Hkdf;
use sha2::{Sha256, Sha384};

use super::hash::{HashAlg, ct_eq};
use super::suites::SuiteParams;

/// HKDF-Expand-Label(secret, label, context, length) of RFC 8446 section 7.1. `label` is given
/// without the "tls13 " prefix. `None` when `secret` is shorter than the hash output (HKDF needs
/// a full-length PRK), when the label or context is too long for the encoding, or when `length`
/// exceeds what HKDF can produce.
pub fn hkdf_expand_label(hash: HashAlg, secret: &[u8], label: &str, context: &[u8], length: usize) -> Option<Vec<u8>> {
    expand_labels(hash, secret, TLS13, &[(label, context, length)])?.pop()
}

/// The HKDF label prefix of TLS 1.3 (RFC 8446 section 7.1).
pub const TLS13: &[u8] = b"tls13 ";
/// The HKDF label prefix of DTLS 1.3 (RFC 9147 section 5.9): no space after it.
pub const DTLS13: &[u8] = b"dtls13";

/// Several HKDF-Expand-Label outputs from one secret, keying the HMAC once (`from_prk` costs two
/// hash compressions, as much as a short expansion).
fn expand_labels(hash: HashAlg, secret: &[u8], prefix: &[u8], labels: &[(&str, &[u8], usize)]) -> Option<Vec<Vec<u8>>> {
    enum Prk {
        Sha256(Hkdf<Sha256>),
        Sha384(Hkdf<Sha384>),
    }
    let prk = match hash {
        HashAlg::Sha256 => Prk::Sha256(Hkdf::<Sha256>::from_prk(secret).ok()?),
        HashAlg::Sha384 => Prk::Sha384(Hkdf::<Sha384>::from_prk(secret).ok()?),
        // No TLS 1.3 suite uses these.
        HashAlg::Md5 | HashAlg::Sha1 => return None,
    };
    let mut outputs = Vec::with_capacity(labels.len());
    for &(label, context, length) in labels {
        let info = hkdf_label(prefix, label, context, length)?;
        let mut out = vec![0u8; length];
        let expanded = match &prk {
            Prk::Sha256(h) => h.expand(&info, &mut out).is_ok(),
            Prk::Sha384(h) => h.expand(&info, &mut out).is_ok(),
        };
        if !expanded {
            return None;
        }
        outputs.push(out);
    }
    Some(outputs)
}

/// The HkdfLabel structure of RFC 8446 section 7.1.
fn hkdf_label(prefix: &[u8], label: &str, context: &[u8], length: usize) -> Option<Vec<u8>> {
    let length16 = u16::try_from(length).ok()?;
    let label_len = u8::try_from(prefix.len().checked_add(label.len())?).ok()?;
    let context_len = u8::try_from(context.len()).ok()?;
    let mut info = Vec::with_capacity(4 + usize::from(label_len) + context.len());
    info.extend_from_slice(&length16.to_be_bytes());
    info.push(label_len);
    info.extend_from_slice(prefix);
    info.extend_from_slice(label.as_bytes());
    info.push(context_len);
    info.extend_from_slice(context);
    Some(info)
}

/// Derive-Secret(secret, label, transcript_hash): expands to one hash length.
pub fn derive_secret(hash: HashAlg, secret: &[u8], label: &str, transcript_hash: &[u8]) -> Option<Vec<u8>> {
    hkdf_expand_label(hash, secret, label, transcript_hash, hash.output_len())
}

/// Record protection key and IV derived from one traffic secret.
#[derive(Clone, PartialEq, Eq)]
pub struct TrafficKeys {
    pub key: Vec<u8>,
    pub iv: Vec<u8>,
}

impl std::fmt::Debug for TrafficKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrafficKeys").field("key_len", &self.key.len()).field("iv_len", &self.iv.len()).finish()
    }
}

/// `[sender]_write_key` and `[sender]_write_iv` (RFC 8446 section 7.3) for a TLS 1.3 suite. `None`
/// for a non-TLS 1.3 suite or a secret of the wrong length.
pub fn traffic_keys(suite: &SuiteParams, traffic_secret: &[u8]) -> Option<TrafficKeys> {
    if !suite.tls13 || traffic_secret.len() != suite.prf_hash.output_len() {
        return None;
    }
    let mut out = expand_labels(
        suite.prf_hash,
        traffic_secret,
        TLS13,
        &[("key", &[], suite.key_len), ("iv", &[], suite.fixed_iv_len)],
    )?;
    let iv = out.pop()?;
    let key = out.pop()?;
    Some(TrafficKeys { key, iv })
}

/// A handshake traffic secret's record key and IV and its Finished key (RFC 8446 sections
/// 7.3 and 4.4.4), from one keyed HKDF: deriving the Finished key on its own keyed HMAC again.
pub fn handshake_keys(suite: &SuiteParams, traffic_secret: &[u8]) -> Option<(TrafficKeys, Vec<u8>)> {
    keys_and(TLS13, suite, traffic_secret, ("finished", suite.prf_hash.output_len()))
}

/// A DTLS 1.3 traffic secret's record key, IV and record number key (`sn_key`, RFC 9147
/// section 4.2.3), with the "dtls13" label prefix.
pub fn dtls13_keys(suite: &SuiteParams, traffic_secret: &[u8]) -> Option<(TrafficKeys, Vec<u8>)> {
    keys_and(DTLS13, suite, traffic_secret, ("sn", suite.key_len))
}

/// The record key and IV, and one more key (`label`, `len` bytes), from one keyed HKDF.
fn keys_and(
    prefix: &[u8],
    suite: &SuiteParams,
    traffic_secret: &[u8],
    (label, len): (&str, usize),
) -> Option<(TrafficKeys, Vec<u8>)> {
    if !suite.tls13 || traffic_secret.len() != suite.prf_hash.output_len() {
        return None;
    }
    let mut out = expand_labels(
        suite.prf_hash,
        traffic_secret,
        prefix,
        &[("key", &[], suite.key_len), ("iv", &[], suite.fixed_iv_len), (label, &[], len)],
    )?;
    let third = out.pop()?;
    let iv = out.pop()?;
    let key = out.pop()?;
    Some((TrafficKeys { key, iv }, third))
}

/// DTLS 1.3's next application traffic secret after a KeyUpdate ("dtls13traffic upd").
pub fn dtls13_next_traffic_secret(hash: HashAlg, traffic_secret: &[u8]) -> Option<Vec<u8>> {
    expand_labels(hash, traffic_secret, DTLS13, &[("traffic upd", &[], hash.output_len())])?.pop()
}

/// DTLS 1.3's Finished key ("dtls13finished").
pub fn dtls13_finished_key(hash: HashAlg, base_key: &[u8]) -> Option<Vec<u8>> {
    expand_labels(hash, base_key, DTLS13, &[("finished", &[], hash.output_len())])?.pop()
}

/// Whether a received Finished `verify_data` matches HMAC(finished_key, transcript_hash).
pub fn verify_finished_with_key(hash: HashAlg, finished_key: &[u8], transcript_hash: &[u8], received: &[u8]) -> bool {
    ct_eq(&verify_data_with_key(hash, finished_key, transcript_hash), received)
}

/// application_traffic_secret_N+1 after a KeyUpdate (RFC 8446 section 7.2).
pub fn next_traffic_secret(hash: HashAlg, traffic_secret: &[u8]) -> Option<Vec<u8>> {
    hkdf_expand_label(hash, traffic_secret, "traffic upd", &[], hash.output_len())
}

/// finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length), where BaseKey is the
/// sender's handshake traffic secret (RFC 8446 section 4.4.4).
pub fn finished_key(hash: HashAlg, base_key: &[u8]) -> Option<Vec<u8>> {
    hkdf_expand_label(hash, base_key, "finished", &[], hash.output_len())
}

/// verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*,
/// CertificateVerify*)); `transcript_hash` is the hash of every handshake message before the
/// Finished being checked.
pub fn finished_verify_data(hash: HashAlg, base_key: &[u8], transcript_hash: &[u8]) -> Option<Vec<u8>> {
    Some(verify_data_with_key(hash, &finished_key(hash, base_key)?, transcript_hash))
}

/// verify_data from the Finished key itself.
fn verify_data_with_key(hash: HashAlg, finished_key: &[u8], transcript_hash: &[u8]) -> Vec<u8> {
    hash.hmac(finished_key, &[transcript_hash])
}

/// Whether a received Finished `verify_data` matches the expected one.
pub fn verify_finished(hash: HashAlg, base_key: &[u8], transcript_hash: &[u8], received: &[u8]) -> bool {
    finished_key(hash, base_key).is_some_and(|key| verify_finished_with_key(hash, &key, transcript_hash, received))
}

#[cfg(test)]
mod tests {
    use super::super::suites::suite;
    use super::super::testvectors::rfc8448;
    use super::*;

    #[test]
    fn rfc8448_handshake_keys() {
        let v = rfc8448();
        let aes128 = suite(0x1301).unwrap();
        let server = traffic_keys(&aes128, &v["server_hs_secret"]).unwrap();
        assert_eq!(server.key, v["server_hs_key"]);
        assert_eq!(server.iv, v["server_hs_iv"]);
        let client = traffic_keys(&aes128, &v["client_hs_secret"]).unwrap();
        assert_eq!(client.key, v["client_hs_key"]);
        assert_eq!(client.iv, v["client_hs_iv"]);
        let app = traffic_keys(&aes128, &v["server_app_secret"]).unwrap();
        assert_eq!(app.key, v["server_app_key"]);
        assert_eq!(app.iv, v["server_app_iv"]);
    }

    #[test]
    fn rfc8448_handshake_keys_with_finished_key() {
        let v = rfc8448();
        let aes128 = suite(0x1301).unwrap();
        let (keys, finished) = handshake_keys(&aes128, &v["server_hs_secret"]).unwrap();
        assert_eq!((keys.key, keys.iv), (v["server_hs_key"].clone(), v["server_hs_iv"].clone()));
        assert_eq!(finished, v["server_finished_key"]);
        let before_server_finished = HashAlg::Sha256.digest(&[
            &v["client_hello"],
            &v["server_hello"],
            &v["encrypted_extensions"],
            &v["certificate"],
            &v["certificate_verify"],
        ]);
        let received = &v["server_verify_data"];
        assert!(verify_finished_with_key(HashAlg::Sha256, &finished, &before_server_finished, received));
        assert!(!verify_finished_with_key(HashAlg::Sha256, &finished, &before_server_finished[1..], received));
        // Not a TLS 1.3 suite, or a secret of the wrong length.
        assert!(handshake_keys(&suite(0xC02F).unwrap(), &v["server_hs_secret"]).is_none());
        assert!(handshake_keys(&aes128, &v["server_hs_secret"][1..]).is_none());
    }

    #[test]
    fn rfc8448_derive_secret_from_handshake_secret() {
        let v = rfc8448();
        let hash = HashAlg::Sha256;
        let th = hash.digest(&[&v["client_hello"], &v["server_hello"]]);
        assert_eq!(th, v["transcript_ch_sh"]);
        assert_eq!(derive_secret(hash, &v["handshake_secret"], "s hs traffic", &th).unwrap(), v["server_hs_secret"]);
        assert_eq!(derive_secret(hash, &v["handshake_secret"], "c hs traffic", &th).unwrap(), v["client_hs_secret"]);
    }

    #[test]
    fn rfc8448_finished() {
        let v = rfc8448();
        let hash = HashAlg::Sha256;
        assert_eq!(finished_key(hash, &v["server_hs_secret"]).unwrap(), v["server_finished_key"]);
        let before_server_finished = hash.digest(&[
            &v["client_hello"],
            &v["server_hello"],
            &v["encrypted_extensions"],
            &v["certificate"],
            &v["certificate_verify"],
        ]);
        let server = finished_verify_data(hash, &v["server_hs_secret"], &before_server_finished).unwrap();
        assert_eq!(server, v["server_verify_data"]);
        assert!(verify_finished(hash, &v["server_hs_secret"], &before_server_finished, &v["server_verify_data"]));
        assert!(!verify_finished(hash, &v["client_hs_secret"], &before_server_finished, &v["server_verify_data"]));

        let before_client_finished = hash.digest(&[
            &v["client_hello"],
            &v["server_hello"],
            &v["encrypted_extensions"],
            &v["certificate"],
            &v["certificate_verify"],
            &v["server_finished"],
        ]);
        assert_eq!(before_client_finished, v["transcript_ch_sf"]);
        assert_eq!(finished_key(hash, &v["client_hs_secret"]).unwrap(), v["client_finished_key"]);
        let client = finished_verify_data(hash, &v["client_hs_secret"], &before_client_finished).unwrap();
        assert_eq!(client, v["client_verify_data"]);
    }

    #[test]
    fn rejects_bad_inputs() {
        let aes128 = suite(0x1301).unwrap();
        assert_eq!(traffic_keys(&aes128, &[0u8; 31]), None);
        assert_eq!(traffic_keys(&suite(0xC02F).unwrap(), &[0u8; 32]), None);
        assert_eq!(hkdf_expand_label(HashAlg::Sha256, &[0u8; 16], "key", &[], 16), None);
        assert_eq!(hkdf_expand_label(HashAlg::Sha256, &[0u8; 32], "key", &[0u8; 256], 16), None);
        assert_eq!(hkdf_expand_label(HashAlg::Sha256, &[0u8; 32], "key", &[], 255 * 32 + 1), None);
        assert_eq!(next_traffic_secret(HashAlg::Sha384, &[0u8; 48]).unwrap().len(), 48);
    }
}
