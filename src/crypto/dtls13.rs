//! DTLS 1.3 record protection (RFC 9147 section 4): the AEAD of TLS 1.3 with the full record
//! number (epoch and sequence number) in the nonce and the unified header as additional data,
//! and the record number encryption that hides the sequence number on the wire.

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
