//! Decryption of the protected records of one direction of one connection.
//!
//! A [`RecordDecryptor`] is built from a TLS 1.3 traffic secret or from a TLS 1.0-1.2 master
//! secret and the two hello randoms, then fed the records of its direction in order. It tracks the
//! 64-bit sequence number itself. A record that fails to authenticate is an error and leaves the
//! state (sequence number, TLS 1.0 IV chain) untouched, so the caller can try another key on the
//! same record (TLS 1.3 early data versus handshake keys) without losing sync.

use aes::{Aes128, Aes256};
use aes_gcm::AesGcm;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aria::{Aria128, Aria256};
use camellia::{Camellia128, Camellia256};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockCipher, BlockDecryptMut, InnerIvInit, StreamCipher};
use ccm::Ccm;
use ccm::consts::{U8, U12, U16};
use des::{Des, TdesEde3};
use idea::Idea;
use rc2::Rc2;
use rc4::Rc4;

use super::hash::{KeyedHmac, ct_eq};
use super::seed::Seed;
use super::ssl3::{Ssl3Mac, VERSION_SSL30};
use super::suites::{CipherKind, CipherMode, SuiteParams, suite};
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
/// (BENCHMARKS.md); ring has no CCM, Camellia or ARIA, which RustCrypto keeps (GCM over any
/// 128-bit block cipher through aes-gcm's generic `AesGcm`).
pub(super) enum AeadCipher {
    Ring(Box<ring::aead::LessSafeKey>),
    Aes128Ccm(Box<Ccm<Aes128, U16, U12>>),
    Aes256Ccm(Box<Ccm<Aes256, U16, U12>>),
    Aes128Ccm8(Box<Ccm<Aes128, U8, U12>>),
    Aes256Ccm8(Box<Ccm<Aes256, U8, U12>>),
    Camellia128Gcm(Box<AesGcm<Camellia128, U12>>),
    Camellia256Gcm(Box<AesGcm<Camellia256, U12>>),
    Aria128Gcm(Box<AesGcm<Aria128, U12>>),
    Aria256Gcm(Box<AesGcm<Aria256, U12>>),
}

impl AeadCipher {
    pub(super) fn new(kind: CipherKind, key: &[u8]) -> Option<Self> {
        Some(match kind {
            CipherKind::Aes128Gcm => Self::ring(&ring::aead::AES_128_GCM, key)?,
            CipherKind::Aes256Gcm => Self::ring(&ring::aead::AES_256_GCM, key)?,
            CipherKind::ChaCha20Poly1305 => Self::ring(&ring::aead::CHACHA20_POLY1305, key)?,
            CipherKind::Aes128Ccm => AeadCipher::Aes128Ccm(Box::new(Ccm::new_from_slice(key).ok()?)),
            CipherKind::Aes256Ccm => AeadCipher::Aes256Ccm(Box::new(Ccm::new_from_slice(key).ok()?)),
            CipherKind::Aes128Ccm8 => AeadCipher::Aes128Ccm8(Box::new(Ccm::new_from_slice(key).ok()?)),
            CipherKind::Aes256Ccm8 => AeadCipher::Aes256Ccm8(Box::new(Ccm::new_from_slice(key).ok()?)),
            CipherKind::Camellia128Gcm => AeadCipher::Camellia128Gcm(Box::new(AesGcm::new_from_slice(key).ok()?)),
            CipherKind::Camellia256Gcm => AeadCipher::Camellia256Gcm(Box::new(AesGcm::new_from_slice(key).ok()?)),
            CipherKind::Aria128Gcm => AeadCipher::Aria128Gcm(Box::new(AesGcm::new_from_slice(key).ok()?)),
            CipherKind::Aria256Gcm => AeadCipher::Aria256Gcm(Box::new(AesGcm::new_from_slice(key).ok()?)),
            _ => return None,
        })
    }

    fn ring(algorithm: &'static ring::aead::Algorithm, key: &[u8]) -> Option<Self> {
        let key = ring::aead::UnboundKey::new(algorithm, key).ok()?;
        Some(AeadCipher::Ring(Box::new(ring::aead::LessSafeKey::new(key))))
    }

    /// Decrypts and authenticates `ciphertext` (tag included); `None` on a bad tag.
    pub(super) fn open(&self, nonce: [u8; 12], aad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        let AeadCipher::Ring(key) = self else {
            let nonce = GenericArray::from(nonce);
            return self.open_rustcrypto(&nonce, Payload { msg: ciphertext, aad });
        };
        let mut buf = ciphertext.to_vec();
        let nonce = ring::aead::Nonce::assume_unique_for_key(nonce);
        let plain_len = key.open_in_place(nonce, ring::aead::Aad::from(aad), &mut buf).ok()?.len();
        buf.truncate(plain_len);
        Some(buf)
    }

    fn open_rustcrypto(&self, nonce: &GenericArray<u8, U12>, payload: Payload<'_, '_>) -> Option<Vec<u8>> {
        match self {
            AeadCipher::Ring(_) => None,
            AeadCipher::Aes128Ccm(c) => c.decrypt(nonce, payload).ok(),
            AeadCipher::Aes256Ccm(c) => c.decrypt(nonce, payload).ok(),
            AeadCipher::Aes128Ccm8(c) => c.decrypt(nonce, payload).ok(),
            AeadCipher::Aes256Ccm8(c) => c.decrypt(nonce, payload).ok(),
            AeadCipher::Camellia128Gcm(c) => c.decrypt(nonce, payload).ok(),
            AeadCipher::Camellia256Gcm(c) => c.decrypt(nonce, payload).ok(),
            AeadCipher::Aria128Gcm(c) => c.decrypt(nonce, payload).ok(),
            AeadCipher::Aria256Gcm(c) => c.decrypt(nonce, payload).ok(),
        }
    }
}

/// The CBC block ciphers, keyed once.
#[derive(Clone)]
pub(super) enum BlockCipherKey {
    Aes128(Box<Aes128>),
    Aes256(Box<Aes256>),
    TripleDes(Box<TdesEde3>),
    Camellia128(Box<Camellia128>),
    Camellia256(Box<Camellia256>),
    Aria128(Box<Aria128>),
    Aria256(Box<Aria256>),
    Idea(Box<Idea>),
    /// DES and export DES40 (whose 5 key bytes were expanded to 8).
    Des(Box<Des>),
    /// Export RC2 keyed with its 16 expanded bytes, all 128 bits effective (as OpenSSL's
    /// SSL_RC2 cipher spec keys it).
    Rc2(Box<Rc2>),
    /// SEED, written here (no RustCrypto crate): CBC is chained by hand for it.
    Seed(Box<Seed>),
}

impl BlockCipherKey {
    pub(super) fn new(kind: CipherKind, key: &[u8]) -> Option<Self> {
        use BlockCipherKey as B;
        Some(match kind {
            CipherKind::Aes128Cbc => B::Aes128(Box::new(Aes128::new_from_slice(key).ok()?)),
            CipherKind::Aes256Cbc => B::Aes256(Box::new(Aes256::new_from_slice(key).ok()?)),
            CipherKind::TripleDesCbc => B::TripleDes(Box::new(TdesEde3::new_from_slice(key).ok()?)),
            CipherKind::Camellia128Cbc => B::Camellia128(Box::new(Camellia128::new_from_slice(key).ok()?)),
            CipherKind::Camellia256Cbc => B::Camellia256(Box::new(Camellia256::new_from_slice(key).ok()?)),
            CipherKind::Aria128Cbc => B::Aria128(Box::new(Aria128::new_from_slice(key).ok()?)),
            CipherKind::Aria256Cbc => B::Aria256(Box::new(Aria256::new_from_slice(key).ok()?)),
            CipherKind::IdeaCbc => B::Idea(Box::new(Idea::new_from_slice(key).ok()?)),
            CipherKind::DesCbc | CipherKind::Des40Cbc => B::Des(Box::new(Des::new_from_slice(key).ok()?)),
            CipherKind::Rc2Cbc40 if key.len() == 16 => B::Rc2(Box::new(Rc2::new_from_slice(key).ok()?)),
            CipherKind::SeedCbc => B::Seed(Box::new(Seed::new(key)?)),
            _ => return None,
        })
    }

    /// CBC-decrypts whole blocks without removing padding; `None` if the lengths are wrong.
    pub(super) fn decrypt(&self, iv: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
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
            BlockCipherKey::Camellia128(c) => run(c.as_ref(), iv, ciphertext),
            BlockCipherKey::Camellia256(c) => run(c.as_ref(), iv, ciphertext),
            BlockCipherKey::Aria128(c) => run(c.as_ref(), iv, ciphertext),
            BlockCipherKey::Aria256(c) => run(c.as_ref(), iv, ciphertext),
            BlockCipherKey::Idea(c) => run(c.as_ref(), iv, ciphertext),
            BlockCipherKey::Des(c) => run(c.as_ref(), iv, ciphertext),
            BlockCipherKey::Rc2(c) => run(c.as_ref(), iv, ciphertext),
            BlockCipherKey::Seed(c) => seed_cbc_decrypt(c, iv, ciphertext),
        }
    }
}

/// CBC decryption with SEED: each plaintext block is D(C_i) XOR C_(i-1), C_0 the IV.
fn seed_cbc_decrypt(seed: &Seed, iv: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
    let mut previous: [u8; 16] = iv.try_into().ok()?;
    if !ciphertext.len().is_multiple_of(16) {
        return None;
    }
    let mut out = Vec::with_capacity(ciphertext.len());
    for chunk in ciphertext.chunks_exact(16) {
        let block: [u8; 16] = chunk.try_into().ok()?;
        let mut plain = block;
        seed.decrypt_block(&mut plain);
        out.extend(plain.iter().zip(previous).map(|(p, c)| p ^ c));
        previous = block;
    }
    Some(out)
}

/// The record MAC of CBC and stream suites: TLS's HMAC over seq || type || version || length ||
/// content, or SSL 3.0's own construction (no version).
#[derive(Clone, Debug)]
enum RecordMac {
    /// Boxed: a keyed HMAC holds both hash states, ten times an SSL 3.0 MAC key.
    Hmac(Box<KeyedHmac>),
    Ssl3(Ssl3Mac),
}

impl RecordMac {
    fn new(version: u16, alg: super::hash::HashAlg, key: &[u8]) -> Option<Self> {
        if version == VERSION_SSL30 {
            Some(RecordMac::Ssl3(Ssl3Mac::new(alg, key)))
        } else {
            Some(RecordMac::Hmac(Box::new(KeyedHmac::new(alg, key)?)))
        }
    }

    fn len(&self) -> usize {
        match self {
            RecordMac::Hmac(k) => k.alg().output_len(),
            RecordMac::Ssl3(m) => m.alg().output_len(),
        }
    }

    /// The MAC of `content` (`None` if longer than a record can be).
    fn mac(&self, seq: u64, content_type: u8, version: u16, content: &[u8]) -> Option<Vec<u8>> {
        match self {
            RecordMac::Hmac(keyed) => {
                let header = mac_header(seq, content_type, version, u16::try_from(content.len()).ok()?);
                Some(keyed.mac(&[&header, content]))
            }
            RecordMac::Ssl3(ssl3) => ssl3.mac(seq, content_type, content),
        }
    }

    fn verify(&self, seq: u64, content_type: u8, version: u16, content: &[u8], received: &[u8]) -> bool {
        self.mac(seq, content_type, version, content).is_some_and(|expected| ct_eq(&expected, received))
    }
}

/// RC4 keyed for one direction. A record that fails its MAC must leave the keystream where it
/// was (see [`RecordDecryptor::decrypt`]); the crate's state cannot be cloned, so it is rebuilt
/// from the key and the bytes already used.
pub(super) struct Rc4Stream {
    key: Vec<u8>,
    cipher: Box<Rc4<U16>>,
    /// Keystream bytes consumed by the records decrypted so far.
    consumed: u64,
}

impl Rc4Stream {
    pub(super) fn new(key: &[u8]) -> Option<Self> {
        Some(Rc4Stream { key: key.to_vec(), cipher: Box::new(Rc4::new_from_slice(key).ok()?), consumed: 0 })
    }

    /// Goes back to the keystream position before the last `apply`.
    fn rewind(&mut self) {
        let Ok(fresh) = Rc4::<U16>::new_from_slice(&self.key) else { return };
        *self.cipher = fresh;
        let mut left = self.consumed;
        let mut scratch = [0u8; 4096];
        while left > 0 {
            let n = usize::try_from(left).unwrap_or(scratch.len()).min(scratch.len());
            let Some(part) = scratch.get_mut(..n) else { return };
            self.cipher.apply_keystream(part);
            left = left.saturating_sub(n as u64);
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
        mac_key: RecordMac,
        /// SSL 3.0 and TLS 1.0 only: the IV of the next record (the last ciphertext block of
        /// the previous one, the key block's IV for the first).
        chained_iv: Option<Vec<u8>>,
        encrypt_then_mac: bool,
        /// SSL 3.0 padding: only its length byte counts (its bytes are arbitrary, and shorter
        /// than a block).
        ssl3_padding: bool,
    },
    /// RC4 or NULL: content || MAC, the whole record through the keystream (none for NULL).
    Stream { rc4: Option<Rc4Stream>, mac_key: RecordMac },
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
pub(super) fn xor_nonce(iv: &[u8], seq: u64) -> Option<[u8; 12]> {
    let mut nonce: [u8; 12] = iv.try_into().ok()?;
    for (byte, s) in nonce.iter_mut().skip(4).zip(seq.to_be_bytes()) {
        *byte ^= s;
    }
    Some(nonce)
}

/// Removes SSL 3.0 CBC padding: the last byte is the padding length, less than a block; the
/// padding bytes themselves are arbitrary (RFC 6101 5.2.3.2).
fn strip_ssl3_padding(mut data: Vec<u8>, block_len: usize) -> Option<Vec<u8>> {
    let pad = usize::from(*data.last()?);
    if pad >= block_len {
        return None;
    }
    let keep = data.len().checked_sub(pad.checked_add(1)?)?;
    data.truncate(keep);
    Some(data)
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
    /// it matters only for CBC suites). SSL 3.0 (0x0300) takes its own key block, MAC and
    /// padding. `None` for TLS 1.3 suites, unsupported suites, AEAD suites under SSL 3.0, or
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
        let params = suite(suite_code)?;
        let kb = if version == VERSION_SSL30 {
            super::ssl3::key_block(&params, master_secret, client_random, server_random)?
        } else {
            tls12::key_block(&params, version, master_secret, client_random, server_random)?
        };
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
        if !tls12_version_supported(version) {
            return None;
        }
        let params = suite(suite_code)?;
        if params.tls13 || (version == VERSION_SSL30 && params.is_aead()) {
            return None;
        }
        let (mac_key, key, iv) = if is_client {
            (&kb.client_mac_key, &kb.client_key, kb.client_iv.clone())
        } else {
            (&kb.server_mac_key, &kb.server_key, kb.server_iv.clone())
        };
        let protection = match params.cipher.mode() {
            CipherMode::Aead => Protection::Tls12Aead { aead: AeadCipher::new(params.cipher, key)?, fixed_iv: iv },
            CipherMode::Cbc => Protection::Cbc {
                cipher: BlockCipherKey::new(params.cipher, key)?,
                block_len: params.cipher.block_len(),
                mac_key: RecordMac::new(version, params.mac?, mac_key)?,
                chained_iv: matches!(version, VERSION_SSL30 | VERSION_TLS10).then_some(iv),
                // RFC 7366 applies to TLS only.
                encrypt_then_mac: encrypt_then_mac && version != VERSION_SSL30,
                ssl3_padding: version == VERSION_SSL30,
            },
            CipherMode::Stream => Protection::Stream {
                rc4: match params.cipher {
                    CipherKind::Null => None,
                    _ => Some(Rc4Stream::new(key)?),
                },
                mac_key: RecordMac::new(version, params.mac?, mac_key)?,
            },
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
        if let Protection::Stream { rc4, mac_key } = &mut self.protection {
            let data = Self::open_stream(rc4.as_mut(), mac_key, seq, content_type, version, payload)?;
            self.seq = seq.saturating_add(1);
            return Ok(Plaintext { content_type, data });
        }
        let (plaintext, next_chained_iv) = match &self.protection {
            Protection::Tls13 { aead, iv, .. } => {
                (Self::open_tls13(aead, iv, self.suite.tag_len, seq, content_type, version, payload)?, None)
            }
            Protection::Tls12Aead { aead, fixed_iv } => {
                let data = Self::open_tls12_aead(&self.suite, aead, fixed_iv, seq, content_type, version, payload)?;
                (Plaintext { content_type, data }, None)
            }
            Protection::Stream { .. } => return Err(DecryptError::BadRecordMac),
            Protection::Cbc { cipher, block_len, mac_key, chained_iv, encrypt_then_mac, ssl3_padding } => {
                let cbc = CbcRecord {
                    cipher,
                    block_len: *block_len,
                    mac_key,
                    chained_iv: chained_iv.as_deref(),
                    encrypt_then_mac: *encrypt_then_mac,
                    ssl3_padding: *ssl3_padding,
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

    /// RC4 or NULL: decrypt (RC4), split off the MAC, check it; on a bad MAC the keystream goes
    /// back to where it was.
    fn open_stream(
        rc4: Option<&mut Rc4Stream>,
        mac_key: &RecordMac,
        seq: u64,
        content_type: u8,
        version: u16,
        payload: &[u8],
    ) -> Result<Vec<u8>, DecryptError> {
        let len = payload.len();
        if len > MAX_CIPHERTEXT_TLS12 {
            return Err(DecryptError::RecordOverflow { len, max: MAX_CIPHERTEXT_TLS12 });
        }
        let at = len.checked_sub(mac_key.len()).ok_or(DecryptError::Malformed { len, what: "shorter than the MAC" })?;
        let mut data = payload.to_vec();
        let mut rc4 = rc4;
        if let Some(stream) = rc4.as_deref_mut() {
            stream.cipher.apply_keystream(&mut data);
        }
        let received = data.split_off(at);
        if !mac_key.verify(seq, content_type, version, &data, &received) {
            if let Some(stream) = rc4 {
                stream.rewind();
            }
            return Err(DecryptError::BadRecordMac);
        }
        if let Some(stream) = rc4 {
            stream.consumed = stream.consumed.saturating_add(len as u64);
        }
        Ok(data)
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
    mac_key: &'a RecordMac,
    chained_iv: Option<&'a [u8]>,
    encrypt_then_mac: bool,
    ssl3_padding: bool,
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
        let mac_len = self.mac_key.len();
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

        if let Some(received) = received_mac
            && !self.mac_key.verify(seq, content_type, version, protected, received)
        {
            return Err(DecryptError::BadRecordMac);
        }

        let decrypted = self.cipher.decrypt(iv, ciphertext).ok_or(DecryptError::BadRecordMac)?;
        let unpadded = if self.ssl3_padding {
            strip_ssl3_padding(decrypted, self.block_len)
        } else {
            strip_cbc_padding(decrypted)
        };
        let mut content = unpadded.ok_or(DecryptError::BadRecordMac)?;

        if !self.encrypt_then_mac {
            // MAC-then-encrypt: the MAC sits inside the padding, after the content.
            let at = content.len().checked_sub(mac_len).ok_or(DecryptError::BadRecordMac)?;
            let received = content.split_off(at);
            if !self.mac_key.verify(seq, content_type, version, &content, &received) {
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

/// Versions [`RecordDecryptor::tls12`] accepts (SSL 3.0 and TLS 1.0-1.2), for callers that want
/// to explain a refusal.
pub fn tls12_version_supported(version: u16) -> bool {
    matches!(version, VERSION_SSL30 | VERSION_TLS10 | VERSION_TLS11 | VERSION_TLS12)
}
