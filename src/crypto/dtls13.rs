//! DTLS 1.3 record protection (RFC 9147 section 4): the AEAD of TLS 1.3 with the full record
//! number (epoch and sequence number) in the nonce and the unified header as additional data,
//! and the record number encryption that hides the sequence number on the wire.

#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

use ring::aead::quic::{AES_128, AES_256, CHACHA20, HeaderProtectionKey};

use super::record::{AeadCipher, DecryptError, MAX_CIPHERTEXT_TLS13, Plaintext, xor_nonce};
use super::suites::{CipherKind, SuiteParams, suite};
use super::tls13;

/// The ciphertext bytes the record number mask is computed from (RFC 9147 section 4.2.3).
pub const SAMPLE_LEN: usize = 16;

/// One direction's keys for one epoch.
pub struct Dtls13Opener {
    suite: SuiteParams,
    aead: AeadCipher,
    iv: [u8; 12],
    /// The record number key: AES-ECB or ChaCha20 over the sample, as QUIC's header protection.
    sn: HeaderProtectionKey,
    secret: Vec<u8>,
}

impl std::fmt::Debug for Dtls13Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dtls13Opener").field("suite", &self.suite.name).finish()
    }
}

impl Dtls13Opener {
    /// Keys from a traffic secret (handshake, application or early) of a TLS 1.3 suite; `None`
    /// for another suite, one this module cannot open, or a secret of the wrong length.
    pub fn new(suite_code: u16, traffic_secret: &[u8]) -> Option<Self> {
        let params = suite(suite_code)?;
        let (keys, sn_key) = tls13::dtls13_keys(&params, traffic_secret)?;
        // AES-ECB for every AES suite (GCM and CCM), ChaCha20 for ChaCha20-Poly1305.
        let sn_alg = match params.cipher {
            CipherKind::Aes128Gcm | CipherKind::Aes128Ccm | CipherKind::Aes128Ccm8 => &AES_128,
            CipherKind::Aes256Gcm => &AES_256,
            CipherKind::ChaCha20Poly1305 => &CHACHA20,
            _ => return None,
        };
        Some(Dtls13Opener {
            aead: AeadCipher::new(params.cipher, &keys.key)?,
            iv: keys.iv.as_slice().try_into().ok()?,
            sn: HeaderProtectionKey::new(sn_alg, &sn_key).ok()?,
            secret: traffic_secret.to_vec(),
            suite: params,
        })
    }

    /// The keys of the next epoch after a KeyUpdate.
    pub fn next(&self) -> Option<Self> {
        let next = tls13::dtls13_next_traffic_secret(self.suite.prf_hash, &self.secret)?;
        Self::new(self.suite.code, &next)
    }

    /// The mask XORed over the sequence number's one or two bytes; `None` when the record is
    /// shorter than the sample.
    pub fn mask(&self, ciphertext: &[u8]) -> Option<[u8; 2]> {
        let sample = ciphertext.get(..SAMPLE_LEN)?;
        let [a, b, ..] = self.sn.new_mask(sample).ok()?;
        Some([a, b])
    }

    /// For ChaCha20 suites, the mask with the block counter read big-endian: wolfSSL 5.5 on
    /// Linux swaps it (its `#ifdef BIG_ENDIAN` is always true there), so its peers agree with
    /// each other and not with RFC 9147. `None` for AES suites.
    pub fn swapped_counter_mask(&self, ciphertext: &[u8]) -> Option<[u8; 2]> {
        if self.suite.cipher != CipherKind::ChaCha20Poly1305 {
            return None;
        }
        let mut sample: [u8; SAMPLE_LEN] = ciphertext.get(..SAMPLE_LEN)?.try_into().ok()?;
        sample.get_mut(..4)?.reverse();
        let [a, b, ..] = self.sn.new_mask(&sample).ok()?;
        Some([a, b])
    }

    /// Opens a record: `seq` is its full 48-bit sequence number (the nonce takes it without the
    /// epoch, RFC 9147 section 4), `header` the unified header with the sequence number
    /// unmasked (the additional data). The inner content type and its padding are taken off.
    pub fn open(&self, seq: u64, header: &[u8], payload: &[u8]) -> Result<Plaintext, DecryptError> {
        let len = payload.len();
        if len > MAX_CIPHERTEXT_TLS13 {
            return Err(DecryptError::RecordOverflow { len, max: MAX_CIPHERTEXT_TLS13 });
        }
        if len < self.suite.tag_len {
            return Err(DecryptError::Malformed { len, what: "shorter than the AEAD tag" });
        }
        let nonce = xor_nonce(&self.iv, seq).ok_or(DecryptError::BadRecordMac)?;
        let mut inner = self.aead.open(nonce, header, payload).ok_or(DecryptError::BadRecordMac)?;
        // DTLSInnerPlaintext: content || type || zeros.
        let type_at = inner.iter().rposition(|&b| b != 0).ok_or(DecryptError::NoInnerContentType)?;
        let inner_type = inner.get(type_at).copied().ok_or(DecryptError::NoInnerContentType)?;
        inner.truncate(type_at);
        Ok(Plaintext { content_type: inner_type, data: inner })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known answers computed independently (Python's `cryptography`: HKDF-Expand-Label with the
    // "dtls13" prefix, AES-ECB and ChaCha20 over the sample, AES-GCM over the record).
    const SECRET: [u8; 32] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
        30, 31,
    ];

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn keys_use_the_dtls13_label_prefix() {
        let (keys, sn) = tls13::dtls13_keys(&suite(0x1301).unwrap(), &SECRET).unwrap();
        assert_eq!(keys.key, hex("cc95abc258d309424ddbf7cba68bd77e"));
        assert_eq!(keys.iv, hex("6d3299305dd209fc865cf8f1"));
        assert_eq!(sn, hex("c5b1a0649ea4fdafbe7e256665068222"));
    }

    #[test]
    fn record_number_masks() {
        let sample: Vec<u8> = (0xa0..0xb0).collect();
        let aes = Dtls13Opener::new(0x1301, &SECRET).unwrap();
        assert_eq!(aes.mask(&sample), Some([0xa2, 0x6e]));
        assert_eq!(aes.swapped_counter_mask(&sample), None);
        assert_eq!(aes.mask(&sample[..15]), None, "shorter than the sample");
        let chacha = Dtls13Opener::new(0x1303, &SECRET).unwrap();
        assert_eq!(chacha.mask(&sample), Some([0x13, 0x49]));
        assert_eq!(chacha.swapped_counter_mask(&sample), Some([0x9c, 0xe1]));
    }

    #[test]
    fn a_record_opens_with_the_unmasked_header_and_the_sequence_number_nonce() {
        // Epoch 3, sequence number 0x105, 16-bit sequence number and length in the header.
        let wire = hex("2f65b4001829eacbe14d15c76a105d12d9a7824cc4fe678c8b6b1c164f");
        let (header, payload) = wire.split_at(5);
        let opener = Dtls13Opener::new(0x1301, &SECRET).unwrap();
        let mask = opener.mask(payload).unwrap();
        let mut clear = header.to_vec();
        clear[1] ^= mask[0];
        clear[2] ^= mask[1];
        assert_eq!(&clear[1..3], [0x01, 0x05]);
        let p = opener.open(0x105, &clear, payload).unwrap();
        assert_eq!((p.content_type, p.data.as_slice()), (23, &b"ping"[..]));
        // The masked header, or the epoch in the nonce, do not authenticate.
        assert_eq!(opener.open(0x105, header, payload), Err(DecryptError::BadRecordMac));
        assert_eq!(opener.open(3 << 48 | 0x105, &clear, payload), Err(DecryptError::BadRecordMac));
        assert!(matches!(opener.open(0x105, &clear, &payload[..10]), Err(DecryptError::Malformed { .. })));
        // A KeyUpdate's keys differ.
        assert!(opener.next().unwrap().open(0x105, &clear, payload).is_err());
    }
}
