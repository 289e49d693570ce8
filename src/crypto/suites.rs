//! Per cipher suite parameters needed to turn a traffic secret or a TLS <= 1.2 master secret into
//! record keys: which cipher, how many key/IV bytes, which MAC and which PRF hash.
//!
//! Only suites this module can decrypt are listed; [`suite`] returns `None` for the rest (NULL,
//! RC4, Camellia, ARIA, SEED, GOST, export suites, the pre-RFC 7905 ChaCha draft codes), so the
//! caller can report "unsupported cipher".

use super::hash::HashAlg;

/// Bulk cipher and its mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CipherKind {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
    Aes128Ccm,
    Aes256Ccm,
    /// AES-CCM with an 8-byte tag.
    Aes128Ccm8,
    Aes256Ccm8,
    Aes128Cbc,
    Aes256Cbc,
    TripleDesCbc,
}

impl CipherKind {
    pub fn key_len(self) -> usize {
        match self {
            CipherKind::Aes128Gcm | CipherKind::Aes128Ccm | CipherKind::Aes128Ccm8 | CipherKind::Aes128Cbc => 16,
            CipherKind::Aes256Gcm
            | CipherKind::Aes256Ccm
            | CipherKind::Aes256Ccm8
            | CipherKind::Aes256Cbc
            | CipherKind::ChaCha20Poly1305 => 32,
            CipherKind::TripleDesCbc => 24,
        }
    }

    pub fn is_aead(self) -> bool {
        !matches!(self, CipherKind::Aes128Cbc | CipherKind::Aes256Cbc | CipherKind::TripleDesCbc)
    }

    /// AEAD authentication tag length (0 for CBC suites, which use a separate MAC).
    pub fn tag_len(self) -> usize {
        match self {
            CipherKind::Aes128Ccm8 | CipherKind::Aes256Ccm8 => 8,
            CipherKind::Aes128Cbc | CipherKind::Aes256Cbc | CipherKind::TripleDesCbc => 0,
            _ => 16,
        }
    }

    /// Cipher block length for CBC suites (0 for AEAD suites).
    pub fn block_len(self) -> usize {
        match self {
            CipherKind::Aes128Cbc | CipherKind::Aes256Cbc => 16,
            CipherKind::TripleDesCbc => 8,
            _ => 0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CipherKind::Aes128Gcm => "AES-128-GCM",
            CipherKind::Aes256Gcm => "AES-256-GCM",
            CipherKind::ChaCha20Poly1305 => "ChaCha20-Poly1305",
            CipherKind::Aes128Ccm => "AES-128-CCM",
            CipherKind::Aes256Ccm => "AES-256-CCM",
            CipherKind::Aes128Ccm8 => "AES-128-CCM-8",
            CipherKind::Aes256Ccm8 => "AES-256-CCM-8",
            CipherKind::Aes128Cbc => "AES-128-CBC",
            CipherKind::Aes256Cbc => "AES-256-CBC",
            CipherKind::TripleDesCbc => "3DES-EDE-CBC",
        }
    }
}

/// Everything record decryption needs to know about one cipher suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SuiteParams {
    pub code: u16,
    pub name: &'static str,
    pub cipher: CipherKind,
    /// Encryption key bytes.
    pub key_len: usize,
    /// Implicit IV bytes taken from the key block (TLS <= 1.2) or derived with "iv" (TLS 1.3):
    /// 12 for TLS 1.3 and TLS 1.2 ChaCha20 (XORed with the sequence number), 4 for TLS 1.2
    /// GCM/CCM (the salt), the block size for CBC (used only by TLS 1.0's chained IV).
    pub fixed_iv_len: usize,
    /// Explicit per-record IV bytes at the start of each record: 8 for TLS 1.2 GCM/CCM, the block
    /// size for CBC in TLS 1.1 and later (TLS 1.0 has none), 0 otherwise.
    pub record_iv_len: usize,
    /// AEAD tag length, 0 for CBC.
    pub tag_len: usize,
    /// Record MAC of CBC suites (MAC-then-encrypt or encrypt-then-MAC); `None` for AEAD suites.
    pub mac: Option<HashAlg>,
    /// MAC key bytes (the MAC hash output length), 0 for AEAD suites.
    pub mac_key_len: usize,
    /// Hash of the TLS 1.2 PRF or of the TLS 1.3 HKDF. TLS 1.0/1.1 ignore it (MD5 + SHA-1 PRF).
    pub prf_hash: HashAlg,
    /// A TLS 1.3 suite (0x1301-0x1305): usable only with TLS 1.3, and only those are.
    pub tls13: bool,
}

impl SuiteParams {
    pub fn is_aead(&self) -> bool {
        self.cipher.is_aead()
    }
}

use CipherKind::*;
use HashAlg::{Sha1, Sha256, Sha384};

/// TLS 1.3 suites: (code, name, cipher, HKDF hash).
const TLS13_SUITES: [(u16, &str, CipherKind, HashAlg); 5] = [
    (0x1301, "TLS_AES_128_GCM_SHA256", Aes128Gcm, Sha256),
    (0x1302, "TLS_AES_256_GCM_SHA384", Aes256Gcm, Sha384),
    (0x1303, "TLS_CHACHA20_POLY1305_SHA256", ChaCha20Poly1305, Sha256),
    (0x1304, "TLS_AES_128_CCM_SHA256", Aes128Ccm, Sha256),
    (0x1305, "TLS_AES_128_CCM_8_SHA256", Aes128Ccm8, Sha256),
];

/// TLS 1.0-1.2 suites, sorted by code: (code, name, cipher, hash named by the suite). For CBC
/// suites the hash is the record MAC (and the PRF is SHA-384 for *_SHA384 suites, else SHA-256,
/// RFC 5246 and RFC 5289); for AEAD suites it is the PRF hash (CCM suites without a hash in their
/// name use SHA-256, RFC 6655).
const TLS12_SUITES: &[(u16, &str, CipherKind, HashAlg)] = &[
    (0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0x000D, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", Aes128Cbc, Sha256),
    (0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", Aes256Cbc, Sha256),
    (0x003E, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256", Aes128Cbc, Sha256),
    (0x003F, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256", Aes128Cbc, Sha256),
    (0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", Aes128Cbc, Sha256),
    (0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", Aes128Cbc, Sha256),
    (0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256", Aes256Cbc, Sha256),
    (0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256", Aes256Cbc, Sha256),
    (0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", Aes256Cbc, Sha256),
    (0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", Aes256Cbc, Sha256),
    (0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256", Aes128Cbc, Sha256),
    (0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256", Aes256Cbc, Sha256),
    (0x008B, "TLS_PSK_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0x008F, "TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0x0093, "TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", Aes128Gcm, Sha256),
    (0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", Aes256Gcm, Sha384),
    (0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", Aes128Gcm, Sha256),
    (0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", Aes256Gcm, Sha384),
    (0x00A0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256", Aes128Gcm, Sha256),
    (0x00A1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384", Aes256Gcm, Sha384),
    (0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", Aes128Gcm, Sha256),
    (0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", Aes256Gcm, Sha384),
    (0x00A4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256", Aes128Gcm, Sha256),
    (0x00A5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384", Aes256Gcm, Sha384),
    (0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256", Aes128Gcm, Sha256),
    (0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384", Aes256Gcm, Sha384),
    (0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256", Aes128Gcm, Sha256),
    (0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384", Aes256Gcm, Sha384),
    (0x00AA, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256", Aes128Gcm, Sha256),
    (0x00AB, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384", Aes256Gcm, Sha384),
    (0x00AC, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256", Aes128Gcm, Sha256),
    (0x00AD, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384", Aes256Gcm, Sha384),
    (0x00AE, "TLS_PSK_WITH_AES_128_CBC_SHA256", Aes128Cbc, Sha256),
    (0x00AF, "TLS_PSK_WITH_AES_256_CBC_SHA384", Aes256Cbc, Sha384),
    (0x00B2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256", Aes128Cbc, Sha256),
    (0x00B3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384", Aes256Cbc, Sha384),
    (0x00B6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256", Aes128Cbc, Sha256),
    (0x00B7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384", Aes256Cbc, Sha384),
    (0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0xC01A, "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0xC01B, "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0xC01C, "TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0xC01D, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0xC01E, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0xC01F, "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0xC020, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0xC021, "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0xC022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", Aes128Cbc, Sha256),
    (0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", Aes256Cbc, Sha384),
    (0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256", Aes128Cbc, Sha256),
    (0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384", Aes256Cbc, Sha384),
    (0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", Aes128Cbc, Sha256),
    (0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", Aes256Cbc, Sha384),
    (0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256", Aes128Cbc, Sha256),
    (0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384", Aes256Cbc, Sha384),
    (0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", Aes128Gcm, Sha256),
    (0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", Aes256Gcm, Sha384),
    (0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", Aes128Gcm, Sha256),
    (0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384", Aes256Gcm, Sha384),
    (0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", Aes128Gcm, Sha256),
    (0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", Aes256Gcm, Sha384),
    (0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", Aes128Gcm, Sha256),
    (0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384", Aes256Gcm, Sha384),
    (0xC034, "TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA", TripleDesCbc, Sha1),
    (0xC035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA", Aes128Cbc, Sha1),
    (0xC036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA", Aes256Cbc, Sha1),
    (0xC037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", Aes128Cbc, Sha256),
    (0xC038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384", Aes256Cbc, Sha384),
    (0xC09C, "TLS_RSA_WITH_AES_128_CCM", Aes128Ccm, Sha256),
    (0xC09D, "TLS_RSA_WITH_AES_256_CCM", Aes256Ccm, Sha256),
    (0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM", Aes128Ccm, Sha256),
    (0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM", Aes256Ccm, Sha256),
    (0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8", Aes128Ccm8, Sha256),
    (0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8", Aes256Ccm8, Sha256),
    (0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", Aes128Ccm8, Sha256),
    (0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8", Aes256Ccm8, Sha256),
    (0xC0A4, "TLS_PSK_WITH_AES_128_CCM", Aes128Ccm, Sha256),
    (0xC0A5, "TLS_PSK_WITH_AES_256_CCM", Aes256Ccm, Sha256),
    (0xC0A6, "TLS_DHE_PSK_WITH_AES_128_CCM", Aes128Ccm, Sha256),
    (0xC0A7, "TLS_DHE_PSK_WITH_AES_256_CCM", Aes256Ccm, Sha256),
    (0xC0A8, "TLS_PSK_WITH_AES_128_CCM_8", Aes128Ccm8, Sha256),
    (0xC0A9, "TLS_PSK_WITH_AES_256_CCM_8", Aes256Ccm8, Sha256),
    (0xC0AA, "TLS_PSK_DHE_WITH_AES_128_CCM_8", Aes128Ccm8, Sha256),
    (0xC0AB, "TLS_PSK_DHE_WITH_AES_256_CCM_8", Aes256Ccm8, Sha256),
    (0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", Aes128Ccm, Sha256),
    (0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", Aes256Ccm, Sha256),
    (0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", Aes128Ccm8, Sha256),
    (0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", Aes256Ccm8, Sha256),
    (0xC0B0, "TLS_ECCPWD_WITH_AES_128_GCM_SHA256", Aes128Gcm, Sha256),
    (0xC0B1, "TLS_ECCPWD_WITH_AES_256_GCM_SHA384", Aes256Gcm, Sha384),
    (0xC0B2, "TLS_ECCPWD_WITH_AES_128_CCM_SHA256", Aes128Ccm, Sha256),
    (0xC0B3, "TLS_ECCPWD_WITH_AES_256_CCM_SHA384", Aes256Ccm, Sha384),
    (0xC0FF, "TLS_ECJPAKE_WITH_AES_128_CCM_8", Aes128Ccm8, Sha256),
    (0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", ChaCha20Poly1305, Sha256),
    (0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", ChaCha20Poly1305, Sha256),
    (0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", ChaCha20Poly1305, Sha256),
    (0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", ChaCha20Poly1305, Sha256),
    (0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", ChaCha20Poly1305, Sha256),
    (0xCCAD, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256", ChaCha20Poly1305, Sha256),
    (0xCCAE, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256", ChaCha20Poly1305, Sha256),
    (0xD001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256", Aes128Gcm, Sha256),
    (0xD002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384", Aes256Gcm, Sha384),
    (0xD003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256", Aes128Ccm8, Sha256),
    (0xD005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256", Aes128Ccm, Sha256),
];

/// Parameters of cipher suite `code`, or `None` when this module cannot decrypt it.
pub fn suite(code: u16) -> Option<SuiteParams> {
    if let Some(&(code, name, cipher, hash)) = TLS13_SUITES.iter().find(|row| row.0 == code) {
        return Some(SuiteParams {
            code,
            name,
            cipher,
            key_len: cipher.key_len(),
            fixed_iv_len: 12,
            record_iv_len: 0,
            tag_len: cipher.tag_len(),
            mac: None,
            mac_key_len: 0,
            prf_hash: hash,
            tls13: true,
        });
    }
    let index = TLS12_SUITES.binary_search_by_key(&code, |row| row.0).ok()?;
    let &(code, name, cipher, hash) = TLS12_SUITES.get(index)?;
    let params = if cipher.is_aead() {
        let chacha = cipher == ChaCha20Poly1305;
        SuiteParams {
            code,
            name,
            cipher,
            key_len: cipher.key_len(),
            // RFC 7905: ChaCha20 uses a 12-byte IV XORed with the sequence number; RFC 5288 and
            // RFC 6655: GCM/CCM use a 4-byte salt plus an 8-byte explicit nonce per record.
            fixed_iv_len: if chacha { 12 } else { 4 },
            record_iv_len: if chacha { 0 } else { 8 },
            tag_len: cipher.tag_len(),
            mac: None,
            mac_key_len: 0,
            prf_hash: hash,
            tls13: false,
        }
    } else {
        SuiteParams {
            code,
            name,
            cipher,
            key_len: cipher.key_len(),
            fixed_iv_len: cipher.block_len(),
            record_iv_len: cipher.block_len(),
            tag_len: 0,
            mac: Some(hash),
            mac_key_len: hash.output_len(),
            prf_hash: if hash == Sha384 { Sha384 } else { Sha256 },
            tls13: false,
        }
    };
    Some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(TLS12_SUITES.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert!(TLS12_SUITES.iter().all(|row| !TLS13_SUITES.iter().any(|t| t.0 == row.0)));
        assert_eq!(TLS12_SUITES.len(), 144);
    }

    #[test]
    fn tls13_suites() {
        let s = suite(0x1302).unwrap();
        assert_eq!((s.cipher, s.key_len, s.fixed_iv_len, s.record_iv_len), (Aes256Gcm, 32, 12, 0));
        assert_eq!((s.prf_hash, s.tls13, s.tag_len), (Sha384, true, 16));
        let s = suite(0x1305).unwrap();
        assert_eq!((s.cipher, s.key_len, s.tag_len, s.prf_hash), (Aes128Ccm8, 16, 8, Sha256));
        assert_eq!(suite(0x1303).unwrap().key_len, 32);
    }

    #[test]
    fn tls12_aead_suites() {
        let s = suite(0xC02F).unwrap(); // ECDHE_RSA_WITH_AES_128_GCM_SHA256
        assert_eq!((s.key_len, s.fixed_iv_len, s.record_iv_len, s.mac), (16, 4, 8, None));
        assert_eq!((s.prf_hash, s.tls13), (Sha256, false));
        let s = suite(0xC030).unwrap(); // ECDHE_RSA_WITH_AES_256_GCM_SHA384
        assert_eq!((s.cipher, s.key_len, s.prf_hash), (Aes256Gcm, 32, Sha384));
        let s = suite(0xCCA8).unwrap(); // ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
        assert_eq!((s.fixed_iv_len, s.record_iv_len, s.key_len), (12, 0, 32));
        let s = suite(0xC0AE).unwrap(); // ECDHE_ECDSA_WITH_AES_128_CCM_8
        assert_eq!((s.cipher, s.tag_len, s.fixed_iv_len, s.record_iv_len, s.prf_hash), (Aes128Ccm8, 8, 4, 8, Sha256));
        assert_eq!(suite(0xC09D).unwrap().cipher, Aes256Ccm); // RSA_WITH_AES_256_CCM
    }

    #[test]
    fn tls12_cbc_suites() {
        let s = suite(0xC013).unwrap(); // ECDHE_RSA_WITH_AES_128_CBC_SHA
        assert_eq!((s.cipher, s.key_len, s.mac, s.mac_key_len), (Aes128Cbc, 16, Some(Sha1), 20));
        assert_eq!((s.fixed_iv_len, s.record_iv_len, s.prf_hash), (16, 16, Sha256));
        let s = suite(0xC028).unwrap(); // ECDHE_RSA_WITH_AES_256_CBC_SHA384
        assert_eq!((s.mac, s.mac_key_len, s.prf_hash), (Some(Sha384), 48, Sha384));
        let s = suite(0x003C).unwrap(); // RSA_WITH_AES_128_CBC_SHA256
        assert_eq!((s.mac, s.prf_hash), (Some(Sha256), Sha256));
        let s = suite(0x000A).unwrap(); // RSA_WITH_3DES_EDE_CBC_SHA
        assert_eq!((s.cipher, s.key_len, s.fixed_iv_len), (TripleDesCbc, 24, 8));
    }

    #[test]
    fn unsupported_suites() {
        for code in [0x0000, 0x0004, 0x0005, 0x0041, 0xCC13, 0x00FF, 0x5600, 0xFFFF] {
            assert_eq!(suite(code), None, "{code:#06x}");
        }
    }
}
