//! Decryption of the protected records of one direction of one connection.
//!
//! A [`RecordDecryptor`] is built from a TLS 1.3 traffic secret or from a TLS 1.0-1.2 master
//! secret and the two hello randoms, then fed the records of its direction in order. It tracks the
//! 64-bit sequence number itself. A record that fails to authenticate is an error and leaves the
//! state (sequence number, TLS 1.0 IV chain) untouched, so the caller can try another key on the
//! same record (TLS 1.3 early data versus handshake keys) without losing sync.

use aes::{Aes128, Aes256};
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockCipher, BlockDecryptMut, InnerIvInit};
use ccm::Ccm;
use ccm::consts::{U8, U12, U16};
use des::TdesEde3;

use super::hash::ct_eq;
use super::suites::{CipherKind, SuiteParams, suite};
use super::tls12::{self, VERSION_TLS10, VERSION_TLS11, VERSION_TLS12};
use super::tls13;
use crate::registry::ContentType;

/// Largest TLS 1.3 record payload (TLSCiphertext.length, RFC 8446 section 5.2).
pub const MAX_CIPHERTEXT_TLS13: usize = (1 << 14) + 256;
/// Largest TLS 1.0-1.2 record payload (TLSCiphertext.length, RFC 5246 section 6.2.3).
pub const MAX_CIPHERTEXT_TLS12: usize = (1 << 14) + 2048;

/// One decrypted record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plaintext {
    /// The real content type: the record header's for TLS <= 1.2, the inner type (after the
    /// zero padding is stripped) for TLS 1.3.
    pub content_type: u8,
    pub data: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    /// The AEAD tag, the MAC or the CBC padding did not check out: wrong key, wrong sequence
    /// number (a lost or reordered record), or a damaged record. Never a garbage plaintext.
    #[error("bad record MAC (wrong key, lost record or damaged record)")]
    BadRecordMac,
    /// The payload cannot hold what the cipher needs (explicit IV, tag, MAC, whole blocks).
    #[error("record of {len} bytes is malformed for this cipher: {what}")]
    Malformed { len: usize, what: &'static str },
    #[error("record of {len} bytes exceeds the protocol limit of {max}")]
    RecordOverflow { len: usize, max: usize },
    /// TLS 1.3: the plaintext was all zeros, with no content type.
    #[error("TLS 1.3 record has no inner content type")]
    NoInnerContentType,
    /// TLS 1.3: only application_data (23) records are protected; this one is plaintext.
    #[error("record type {0} is not a protected TLS 1.3 record")]
    NotProtected(u8),
    #[error("record sequence number exhausted")]
    SequenceExhausted,
}

/// The AEAD ciphers, keyed once. AES-GCM and ChaCha20-Poly1305 (nearly every record of a key
/// log run) go through ring, whose assembly is much faster than the RustCrypto crates
/// (BENCHMARKS.md); ring has no CCM, which RustCrypto keeps.
enum AeadCipher {
    Ring(Box<ring::aead::LessSafeKey>),
    Aes128Ccm(Box<Ccm<Aes128, U16, U12>>),
    Aes256Ccm(Box<Ccm<Aes256, U16, U12>>),
    Aes128Ccm8(Box<Ccm<Aes128, U8, U12>>),
    Aes256Ccm8(Box<Ccm<Aes256, U8, U12>>),
}

impl AeadCipher {
    fn new(kind: CipherKind, key: &[u8]) -> Option<Self> {
        Some(match kind {
            CipherKind::Aes128Gcm => Self::ring(&ring::aead::AES_128_GCM, key)?,
            CipherKind::Aes256Gcm => Self::ring(&ring::aead::AES_256_GCM, key)?,
            CipherKind::ChaCha20Poly1305 => Self::ring(&ring::aead::CHACHA20_POLY1305, key)?,
            CipherKind::Aes128Ccm => AeadCipher::Aes128Ccm(Box::new(Ccm::new_from_slice(key).ok()?)),
            CipherKind::Aes256Ccm => AeadCipher::Aes256Ccm(Box::new(Ccm::new_from_slice(key).ok()?)),
            CipherKind::Aes128Ccm8 => AeadCipher::Aes128Ccm8(Box::new(Ccm::new_from_slice(key).ok()?)),
            CipherKind::Aes256Ccm8 => AeadCipher::Aes256Ccm8(Box::new(Ccm::new_from_slice(key).ok()?)),
            CipherKind::Aes128Cbc | CipherKind::Aes256Cbc | CipherKind::TripleDesCbc => return None,
        })
    }

    fn ring(algorithm: &'static ring::aead::Algorithm, key: &[u8]) -> Option<Self> {
        let key = ring::aead::UnboundKey::new(algorithm, key).ok()?;
        Some(AeadCipher::Ring(Box::new(ring::aead::LessSafeKey::new(key))))
    }

    /// Decrypts and authenticates `ciphertext` (tag included); `None` on a bad tag.
    fn open(&self, nonce: [u8; 12], aad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        let AeadCipher::Ring(key) = self else {
            let nonce = GenericArray::from(nonce);
            return self.open_ccm(&nonce, Payload { msg: ciphertext, aad });
        };
        let mut buf = ciphertext.to_vec();
        let nonce = ring::aead::Nonce::assume_unique_for_key(nonce);
        let plain_len = key.open_in_place(nonce, ring::aead::Aad::from(aad), &mut buf).ok()?.len();
        buf.truncate(plain_len);
        Some(buf)
    }

    fn open_ccm(&self, nonce: &GenericArray<u8, U12>, payload: Payload<'_, '_>) -> Option<Vec<u8>> {
        match self {
            AeadCipher::Ring(_) => None,
            AeadCipher::Aes128Ccm(c) => c.decrypt(nonce, payload).ok(),
            AeadCipher::Aes256Ccm(c) => c.decrypt(nonce, payload).ok(),
            AeadCipher::Aes128Ccm8(c) => c.decrypt(nonce, payload).ok(),
            AeadCipher::Aes256Ccm8(c) => c.decrypt(nonce, payload).ok(),
        }
    }
}

/// The CBC block ciphers, keyed once.
#[derive(Clone)]
enum BlockCipherKey {
    Aes128(Box<Aes128>),
    Aes256(Box<Aes256>),
    TripleDes(Box<TdesEde3>),
}

impl BlockCipherKey {
    fn new(kind: CipherKind, key: &[u8]) -> Option<Self> {
        Some(match kind {
            CipherKind::Aes128Cbc => BlockCipherKey::Aes128(Box::new(Aes128::new_from_slice(key).ok()?)),
            CipherKind::Aes256Cbc => BlockCipherKey::Aes256(Box::new(Aes256::new_from_slice(key).ok()?)),
            CipherKind::TripleDesCbc => BlockCipherKey::TripleDes(Box::new(TdesEde3::new_from_slice(key).ok()?)),
            _ => return None,
        })
    }

    /// CBC-decrypts whole blocks without removing padding; `None` if the lengths are wrong.
    fn decrypt(&self, iv: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        fn run<C: BlockCipher + BlockDecryptMut + Clone>(cipher: &C, iv: &[u8], ct: &[u8]) -> Option<Vec<u8>> {
            let decryptor = cbc::Decryptor::<C>::inner_iv_slice_init(cipher.clone(), iv).ok()?;
            let mut buf = ct.to_vec();
            let plain_len = decryptor.decrypt_padded_mut::<NoPadding>(&mut buf).ok()?.len();
            buf.truncate(plain_len);
            Some(buf)
        }
        match self {
            BlockCipherKey::Aes128(c) => run(c.as_ref(), iv, ciphertext),
            BlockCipherKey::Aes256(c) => run(c.as_ref(), iv, ciphertext),
            BlockCipherKey::TripleDes(c) => run(c.as_ref(), iv, ciphertext),
        }
    }
}

enum Protection {
    Tls13 {
        aead: AeadCipher,
        iv: [u8; 12],
        /// Current traffic secret, kept for KeyUpdate.
        secret: Vec<u8>,
    },
    Tls12Aead {
        aead: AeadCipher,
        /// The 4-byte salt (GCM/CCM, explicit nonce follows in each record) or the 12-byte IV
        /// XORed with the sequence number (ChaCha20).
        fixed_iv: Vec<u8>,
    },
    Cbc {
        cipher: BlockCipherKey,
        block_len: usize,
        /// The MAC key (and algorithm), set up once for every record of the direction.
        mac_key: Box<super::hash::KeyedHmac>,
        /// TLS 1.0 only: the IV of the next record (the last ciphertext block of the previous
        /// one, the key block's IV for the first).
        chained_iv: Option<Vec<u8>>,
        encrypt_then_mac: bool,
    },
}

/// Decrypts one direction's protected records in order.
pub struct RecordDecryptor {
    suite: SuiteParams,
    /// Negotiated protocol version (0x0301-0x0304).
    version: u16,
    seq: u64,
    protection: Protection,
}

impl std::fmt::Debug for RecordDecryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordDecryptor")
            .field("suite", &self.suite.name)
            .field("version", &format_args!("{:#06x}", self.version))
            .field("seq", &self.seq)
            .finish()
    }
}

/// nonce = iv XOR (sequence number, big-endian, left-padded to the IV length).
fn xor_nonce(iv: &[u8], seq: u64) -> Option<[u8; 12]> {
    let mut nonce: [u8; 12] = iv.try_into().ok()?;
    for (byte, s) in nonce.iter_mut().skip(4).zip(seq.to_be_bytes()) {
        *byte ^= s;
    }
    Some(nonce)
}

/// Removes TLS CBC padding (each of the last `pad + 1` bytes equals `pad`).
fn strip_cbc_padding(mut data: Vec<u8>) -> Option<Vec<u8>> {
    let pad = usize::from(*data.last()?);
    let keep = data.len().checked_sub(pad.checked_add(1)?)?;
    if !data.get(keep..)?.iter().all(|&b| usize::from(b) == pad) {
        return None;
    }
    data.truncate(keep);
    Some(data)
}

impl RecordDecryptor {
    /// Decryptor for TLS 1.3 records protected with `traffic_secret` (a handshake, application
    /// or early traffic secret from the key log). `None` if the suite is not a TLS 1.3 suite this
    /// module supports or the secret has the wrong length for its hash.
    pub fn tls13(suite_code: u16, traffic_secret: &[u8]) -> Option<Self> {
        let params = suite(suite_code)?;
        let protection = Self::tls13_protection(&params, traffic_secret)?;
        Some(RecordDecryptor { suite: params, version: 0x0304, seq: 0, protection })
    }

    /// Decryptor for a handshake traffic secret, with the Finished key derived alongside (see
    /// [`tls13::handshake_keys`]).
    pub fn tls13_handshake(suite_code: u16, traffic_secret: &[u8]) -> Option<(Self, Vec<u8>)> {
        let params = suite(suite_code)?;
        let (keys, finished_key) = tls13::handshake_keys(&params, traffic_secret)?;
        let protection = Self::tls13_protection_with(&params, traffic_secret, keys)?;
        Some((RecordDecryptor { suite: params, version: 0x0304, seq: 0, protection }, finished_key))
    }

    fn tls13_protection(params: &SuiteParams, secret: &[u8]) -> Option<Protection> {
        Self::tls13_protection_with(params, secret, tls13::traffic_keys(params, secret)?)
    }

    fn tls13_protection_with(params: &SuiteParams, secret: &[u8], keys: tls13::TrafficKeys) -> Option<Protection> {
        Some(Protection::Tls13 {
            aead: AeadCipher::new(params.cipher, &keys.key)?,
            iv: keys.iv.as_slice().try_into().ok()?,
            secret: secret.to_vec(),
        })
    }

    /// Decryptor for TLS 1.0-1.2 records of one direction: `is_client` selects the client's
    /// write keys (records sent by the client). `version` is the negotiated version (0x0301,
    /// 0x0302 or 0x0303); `encrypt_then_mac` whether both hellos carried the extension (RFC 7366;
    /// it matters only for CBC suites). `None` for SSLv3, TLS 1.3 suites, unsupported suites, or
    /// inputs of the wrong length (master secret 48 bytes, randoms 32 bytes).
    pub fn tls12(
        suite_code: u16,
        version: u16,
        master_secret: &[u8],
        client_random: &[u8],
        server_random: &[u8],
        is_client: bool,
        encrypt_then_mac: bool,
    ) -> Option<Self> {
        // `key_block` refuses versions without a TLS 1.0-1.2 PRF; the rest is checked below.
        let kb = tls12::key_block(&suite(suite_code)?, version, master_secret, client_random, server_random)?;
        Self::tls12_with_key_block(suite_code, version, &kb, is_client, encrypt_then_mac)
    }

    /// [`RecordDecryptor::tls12`] from a key block already derived (both directions of a
    /// connection share one: deriving it is a dozen HMACs).
    pub fn tls12_with_key_block(
        suite_code: u16,
        version: u16,
        kb: &tls12::KeyBlock,
        is_client: bool,
        encrypt_then_mac: bool,
    ) -> Option<Self> {
        if !matches!(version, VERSION_TLS10 | VERSION_TLS11 | VERSION_TLS12) {
            return None;
        }
        let params = suite(suite_code)?;
        let (mac_key, key, iv) = if is_client {
            (&kb.client_mac_key, &kb.client_key, kb.client_iv.clone())
        } else {
            (&kb.server_mac_key, &kb.server_key, kb.server_iv.clone())
        };
        let protection = if params.is_aead() {
            Protection::Tls12Aead { aead: AeadCipher::new(params.cipher, key)?, fixed_iv: iv }
        } else {
            Protection::Cbc {
                cipher: BlockCipherKey::new(params.cipher, key)?,
                block_len: params.cipher.block_len(),
                mac_key: Box::new(super::hash::KeyedHmac::new(params.mac?, mac_key)?),
                chained_iv: (version == VERSION_TLS10).then_some(iv),
                encrypt_then_mac,
            }
        };
        Some(RecordDecryptor { suite: params, version, seq: 0, protection })
    }

    /// Sequence number of the next record to decrypt.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Sets the sequence number of the next record (to resynchronise after a record known to be
    /// lost).
    pub fn set_seq(&mut self, seq: u64) {
        self.seq = seq;
    }

    pub fn suite(&self) -> &SuiteParams {
        &self.suite
    }

    /// Negotiated version this decryptor was built for (0x0304 for TLS 1.3).
    pub fn version(&self) -> u16 {
        self.version
    }

    pub fn is_tls13(&self) -> bool {
        matches!(self.protection, Protection::Tls13 { .. })
    }

    /// TLS 1.3 KeyUpdate: moves to the next application traffic secret and restarts the sequence
    /// number at 0. Call it after the KeyUpdate message sent in this direction was decrypted.
    /// Returns false (and changes nothing) for TLS <= 1.2.
    pub fn key_update(&mut self) -> bool {
        let Protection::Tls13 { secret, .. } = &self.protection else {
            return false;
        };
        let Some(next) = tls13::next_traffic_secret(self.suite.prf_hash, secret) else {
            return false;
        };
        let Some(protection) = Self::tls13_protection(&self.suite, &next) else {
            return false;
        };
        self.protection = protection;
        self.seq = 0;
        true
    }

    /// Decrypts one record given its header fields and payload. On success the sequence number
    /// advances; on error nothing changes.
    pub fn decrypt(&mut self, content_type: u8, version: u16, payload: &[u8]) -> Result<Plaintext, DecryptError> {
        if self.seq == u64::MAX {
            return Err(DecryptError::SequenceExhausted);
        }
        let seq = self.seq;
        let (plaintext, next_chained_iv) = match &self.protection {
            Protection::Tls13 { aead, iv, .. } => {
                (Self::open_tls13(aead, iv, self.suite.tag_len, seq, content_type, version, payload)?, None)
            }
            Protection::Tls12Aead { aead, fixed_iv } => {
                let data = Self::open_tls12_aead(&self.suite, aead, fixed_iv, seq, content_type, version, payload)?;
                (Plaintext { content_type, data }, None)
            }
            Protection::Cbc { cipher, block_len, mac_key, chained_iv, encrypt_then_mac } => {
                let cbc = CbcRecord {
                    cipher,
                    block_len: *block_len,
                    mac_key,
                    chained_iv: chained_iv.as_deref(),
                    encrypt_then_mac: *encrypt_then_mac,
                };
                let (data, next_iv) = cbc.open(seq, content_type, version, payload)?;
                (Plaintext { content_type, data }, next_iv)
            }
        };
        if let (Protection::Cbc { chained_iv: Some(chain), .. }, Some(next)) = (&mut self.protection, next_chained_iv) {
            *chain = next;
        }
        self.seq = seq.saturating_add(1);
        Ok(plaintext)
    }

    fn open_tls13(
        aead: &AeadCipher,
        iv: &[u8; 12],
        tag_len: usize,
        seq: u64,
        content_type: u8,
        version: u16,
        payload: &[u8],
    ) -> Result<Plaintext, DecryptError> {
        if ContentType::from(content_type) != ContentType::ApplicationData {
            return Err(DecryptError::NotProtected(content_type));
        }
        let len = payload.len();
        if len > MAX_CIPHERTEXT_TLS13 {
            return Err(DecryptError::RecordOverflow { len, max: MAX_CIPHERTEXT_TLS13 });
        }
        let len16 = u16::try_from(len).map_err(|_| DecryptError::RecordOverflow { len, max: MAX_CIPHERTEXT_TLS13 })?;
        // The additional data is the record header as sent (RFC 8446 section 5.2).
        let [v0, v1] = version.to_be_bytes();
        let [l0, l1] = len16.to_be_bytes();
        let aad = [content_type, v0, v1, l0, l1];
        let nonce = xor_nonce(iv, seq).ok_or(DecryptError::BadRecordMac)?;
        // A payload shorter than the tag can never authenticate; say so precisely.
        let failure = if len < tag_len {
            DecryptError::Malformed { len, what: "shorter than the AEAD tag" }
        } else {
            DecryptError::BadRecordMac
        };
        let mut inner = aead.open(nonce, &aad, payload).ok_or(failure)?;
        // TLSInnerPlaintext: content || type || zeros.
        let type_at = inner.iter().rposition(|&b| b != 0).ok_or(DecryptError::NoInnerContentType)?;
        let inner_type = inner.get(type_at).copied().ok_or(DecryptError::NoInnerContentType)?;
        inner.truncate(type_at);
        Ok(Plaintext { content_type: inner_type, data: inner })
    }

    fn open_tls12_aead(
        suite: &SuiteParams,
        aead: &AeadCipher,
        fixed_iv: &[u8],
        seq: u64,
        content_type: u8,
        version: u16,
        payload: &[u8],
    ) -> Result<Vec<u8>, DecryptError> {
        let len = payload.len();
        if len > MAX_CIPHERTEXT_TLS12 {
            return Err(DecryptError::RecordOverflow { len, max: MAX_CIPHERTEXT_TLS12 });
        }
        let (nonce, ciphertext) = if suite.record_iv_len == 0 {
            // RFC 7905: the 12-byte IV XORed with the sequence number.
            (xor_nonce(fixed_iv, seq).ok_or(DecryptError::BadRecordMac)?, payload)
        } else {
            // RFC 5288 / RFC 6655: salt (4 bytes) || explicit nonce (8 bytes, first in the record).
            let (explicit, rest) = payload
                .split_at_checked(suite.record_iv_len)
                .ok_or(DecryptError::Malformed { len, what: "shorter than the explicit nonce" })?;
            let mut nonce = [0u8; 12];
            let (salt_part, explicit_part) = nonce.split_at_mut(4);
            if fixed_iv.len() != salt_part.len() || explicit.len() != explicit_part.len() {
                return Err(DecryptError::BadRecordMac);
            }
            salt_part.copy_from_slice(fixed_iv);
            explicit_part.copy_from_slice(explicit);
            (nonce, rest)
        };
        let plain_len = ciphertext
            .len()
            .checked_sub(suite.tag_len)
            .ok_or(DecryptError::Malformed { len, what: "shorter than the AEAD tag" })?;
        let plain_len16 =
            u16::try_from(plain_len).map_err(|_| DecryptError::RecordOverflow { len, max: MAX_CIPHERTEXT_TLS12 })?;
        let aad = mac_header(seq, content_type, version, plain_len16);
        aead.open(nonce, &aad, ciphertext).ok_or(DecryptError::BadRecordMac)
    }
}

/// seq_num || type || version || length: the TLS <= 1.2 MAC and AEAD additional data prefix.
fn mac_header(seq: u64, content_type: u8, version: u16, length: u16) -> [u8; 13] {
    let mut out = [0u8; 13];
    let (seq_part, rest) = out.split_at_mut(8);
    seq_part.copy_from_slice(&seq.to_be_bytes());
    let [v0, v1] = version.to_be_bytes();
    let [l0, l1] = length.to_be_bytes();
    rest.copy_from_slice(&[content_type, v0, v1, l0, l1]);
    out
}

/// One CBC record's decryption context, borrowed from the decryptor.
struct CbcRecord<'a> {
    cipher: &'a BlockCipherKey,
    block_len: usize,
    mac_key: &'a super::hash::KeyedHmac,
    chained_iv: Option<&'a [u8]>,
    encrypt_then_mac: bool,
}

impl CbcRecord<'_> {
    /// Returns the content and, for TLS 1.0, the IV of the next record.
    fn open(
        &self,
        seq: u64,
        content_type: u8,
        version: u16,
        payload: &[u8],
    ) -> Result<(Vec<u8>, Option<Vec<u8>>), DecryptError> {
        let len = payload.len();
        if len > MAX_CIPHERTEXT_TLS12 {
            return Err(DecryptError::RecordOverflow { len, max: MAX_CIPHERTEXT_TLS12 });
        }
        let mac_len = self.mac_key.alg().output_len();
        let malformed = |what| DecryptError::Malformed { len, what };

        // Encrypt-then-MAC: the MAC trails the (IV and) ciphertext and covers them.
        let (protected, received_mac) = if self.encrypt_then_mac {
            let at = len.checked_sub(mac_len).ok_or(malformed("shorter than the MAC"))?;
            let (protected, mac) = payload.split_at_checked(at).ok_or(malformed("shorter than the MAC"))?;
            (protected, Some(mac))
        } else {
            (payload, None)
        };

        let (iv, ciphertext) = match self.chained_iv {
            Some(iv) => (iv, protected),
            None => protected.split_at_checked(self.block_len).ok_or(malformed("shorter than the explicit IV"))?,
        };
        if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(self.block_len) {
            return Err(malformed("ciphertext is not a whole number of blocks"));
        }

        if let Some(received) = received_mac {
            let protected_len = u16::try_from(protected.len()).map_err(|_| malformed("too long"))?;
            let header = mac_header(seq, content_type, version, protected_len);
            let expected = self.mac_key.mac(&[&header, protected]);
            if !ct_eq(&expected, received) {
                return Err(DecryptError::BadRecordMac);
            }
        }

        let decrypted = self.cipher.decrypt(iv, ciphertext).ok_or(DecryptError::BadRecordMac)?;
        let mut content = strip_cbc_padding(decrypted).ok_or(DecryptError::BadRecordMac)?;

        if !self.encrypt_then_mac {
            // MAC-then-encrypt: the MAC sits inside the padding, after the content.
            let at = content.len().checked_sub(mac_len).ok_or(DecryptError::BadRecordMac)?;
            let received = content.split_off(at);
            let content_len = u16::try_from(content.len()).map_err(|_| malformed("too long"))?;
            let header = mac_header(seq, content_type, version, content_len);
            let expected = self.mac_key.mac(&[&header, &content]);
            if !ct_eq(&expected, &received) {
                return Err(DecryptError::BadRecordMac);
            }
        }

        let next_iv = match self.chained_iv {
            Some(_) => {
                let last_block = ciphertext.len().checked_sub(self.block_len).ok_or(malformed("empty"))?;
                Some(ciphertext.get(last_block..).ok_or(malformed("empty"))?.to_vec())
            }
            None => None,
        };
        Ok((content, next_iv))
    }
}

/// Versions [`RecordDecryptor::tls12`] accepts, for callers that want to explain a refusal.
pub fn tls12_version_supported(version: u16) -> bool {
    matches!(version, VERSION_TLS10 | VERSION_TLS11 | VERSION_TLS12)
}
