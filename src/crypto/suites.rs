//! Per cipher suite parameters needed to turn a traffic secret or a TLS <= 1.2 master secret into
//! record keys: which cipher, how many key/IV bytes, which MAC and which PRF hash.
//!
//! Only suites this module can decrypt are listed: AES (GCM, CCM, CBC), ChaCha20-Poly1305, 3DES,
//! Camellia and ARIA (GCM, CBC), SEED, IDEA, DES, RC4, the export ciphers (DES40, RC2-40, RC4-40)
//! and NULL. [`suite`] returns `None` for the rest (GOST, the pre-RFC 7905 ChaCha draft codes,
//! signalling values), and [`unsupported_reason`] says why, so the caller can report it.

use super::hash::HashAlg;
use crate::registry::CipherSuiteId;

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
    Camellia128Gcm,
    Camellia256Gcm,
    Aria128Gcm,
    Aria256Gcm,
    Camellia128Cbc,
    Camellia256Cbc,
    Aria128Cbc,
    Aria256Cbc,
    SeedCbc,
    IdeaCbc,
    DesCbc,
    /// DES with 40 bits of key material expanded to 8 bytes (export, RFC 2246 section 6.3).
    Des40Cbc,
    /// RC2 with 40 bits of key material expanded to 16 bytes (export).
    Rc2Cbc40,
    Rc4_128,
    /// RC4 with 40 bits of key material expanded to 16 bytes (export).
    Rc4_40,
    /// No encryption: the record is the content and its MAC.
    Null,
}

/// How a cipher protects a record: the three shapes TLS <= 1.2 records take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CipherMode {
    Aead,
    Cbc,
    /// RC4 and NULL: no IV, no padding, the MAC follows the content.
    Stream,
}

impl CipherKind {
    /// Key bytes the cipher is keyed with (for export ciphers, after expansion).
    pub fn key_len(self) -> usize {
        use CipherKind::*;
        match self {
            Aes128Gcm | Aes128Ccm | Aes128Ccm8 | Aes128Cbc | Camellia128Gcm | Aria128Gcm | Camellia128Cbc
            | Aria128Cbc | SeedCbc | IdeaCbc | Rc4_128 | Rc4_40 | Rc2Cbc40 => 16,
            Aes256Gcm | Aes256Ccm | Aes256Ccm8 | Aes256Cbc | ChaCha20Poly1305 | Camellia256Gcm | Aria256Gcm
            | Camellia256Cbc | Aria256Cbc => 32,
            TripleDesCbc => 24,
            DesCbc | Des40Cbc => 8,
            Null => 0,
        }
    }

    /// Key bytes taken from the key block: 5 for export ciphers (RFC 2246 appendix C), else
    /// [`CipherKind::key_len`].
    pub fn key_material_len(self) -> usize {
        if self.is_export() { 5 } else { self.key_len() }
    }

    /// An export cipher: its key block holds 40 bits of key, expanded with the randoms.
    pub fn is_export(self) -> bool {
        matches!(self, CipherKind::Des40Cbc | CipherKind::Rc2Cbc40 | CipherKind::Rc4_40)
    }

    pub fn mode(self) -> CipherMode {
        use CipherKind::*;
        match self {
            Aes128Gcm | Aes256Gcm | ChaCha20Poly1305 | Aes128Ccm | Aes256Ccm | Aes128Ccm8 | Aes256Ccm8
            | Camellia128Gcm | Camellia256Gcm | Aria128Gcm | Aria256Gcm => CipherMode::Aead,
            Rc4_128 | Rc4_40 | Null => CipherMode::Stream,
            Aes128Cbc | Aes256Cbc | TripleDesCbc | Camellia128Cbc | Camellia256Cbc | Aria128Cbc | Aria256Cbc
            | SeedCbc | IdeaCbc | DesCbc | Des40Cbc | Rc2Cbc40 => CipherMode::Cbc,
        }
    }

    pub fn is_aead(self) -> bool {
        self.mode() == CipherMode::Aead
    }

    /// AEAD authentication tag length (0 for CBC and stream suites, which use a separate MAC).
    pub fn tag_len(self) -> usize {
        match (self, self.mode()) {
            (CipherKind::Aes128Ccm8 | CipherKind::Aes256Ccm8, _) => 8,
            (_, CipherMode::Aead) => 16,
            _ => 0,
        }
    }

    /// Cipher block length for CBC suites (0 for AEAD and stream suites).
    pub fn block_len(self) -> usize {
        use CipherKind::*;
        match self {
            Aes128Cbc | Aes256Cbc | Camellia128Cbc | Camellia256Cbc | Aria128Cbc | Aria256Cbc | SeedCbc => 16,
            TripleDesCbc | IdeaCbc | DesCbc | Des40Cbc | Rc2Cbc40 => 8,
            _ => 0,
        }
    }

    pub fn name(self) -> &'static str {
        use CipherKind::*;
        match self {
            Aes128Gcm => "AES-128-GCM",
            Aes256Gcm => "AES-256-GCM",
            ChaCha20Poly1305 => "ChaCha20-Poly1305",
            Aes128Ccm => "AES-128-CCM",
            Aes256Ccm => "AES-256-CCM",
            Aes128Ccm8 => "AES-128-CCM-8",
            Aes256Ccm8 => "AES-256-CCM-8",
            Aes128Cbc => "AES-128-CBC",
            Aes256Cbc => "AES-256-CBC",
            TripleDesCbc => "3DES-EDE-CBC",
            Camellia128Gcm => "Camellia-128-GCM",
            Camellia256Gcm => "Camellia-256-GCM",
            Aria128Gcm => "ARIA-128-GCM",
            Aria256Gcm => "ARIA-256-GCM",
            Camellia128Cbc => "Camellia-128-CBC",
            Camellia256Cbc => "Camellia-256-CBC",
            Aria128Cbc => "ARIA-128-CBC",
            Aria256Cbc => "ARIA-256-CBC",
            SeedCbc => "SEED-CBC",
            IdeaCbc => "IDEA-CBC",
            DesCbc => "DES-CBC",
            Des40Cbc => "DES40-CBC (export)",
            Rc2Cbc40 => "RC2-CBC-40 (export)",
            Rc4_128 => "RC4-128",
            Rc4_40 => "RC4-40 (export)",
            Null => "NULL",
        }
    }
}

/// Everything record decryption needs to know about one cipher suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SuiteParams {
    pub code: u16,
    /// The IANA name, from the registry.
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
use HashAlg::{Md5, Sha1, Sha256, Sha384};

/// TLS 1.3 suites: (code, cipher, HKDF hash). Names come from the registry.
const TLS13_SUITES: [(u16, CipherKind, HashAlg); 5] = [
    (0x1301, Aes128Gcm, Sha256),
    (0x1302, Aes256Gcm, Sha384),
    (0x1303, ChaCha20Poly1305, Sha256),
    (0x1304, Aes128Ccm, Sha256),
    (0x1305, Aes128Ccm8, Sha256),
];

/// TLS 1.0-1.2 suites, sorted by code: (code, cipher, hash named by the suite). For CBC
/// suites the hash is the record MAC (and the PRF is SHA-384 for *_SHA384 suites, else SHA-256,
/// RFC 5246 and RFC 5289); for AEAD suites it is the PRF hash (CCM suites without a hash in their
/// name use SHA-256, RFC 6655).
const TLS12_SUITES: &[(u16, CipherKind, HashAlg)] = &[
    (0x0001, Null, Md5),
    (0x0002, Null, Sha1),
    (0x0003, Rc4_40, Md5),
    (0x0004, Rc4_128, Md5),
    (0x0005, Rc4_128, Sha1),
    (0x0006, Rc2Cbc40, Md5),
    (0x0007, IdeaCbc, Sha1),
    (0x0008, Des40Cbc, Sha1),
    (0x0009, DesCbc, Sha1),
    (0x000A, TripleDesCbc, Sha1),
    (0x000B, Des40Cbc, Sha1),
    (0x000C, DesCbc, Sha1),
    (0x000D, TripleDesCbc, Sha1),
    (0x000E, Des40Cbc, Sha1),
    (0x000F, DesCbc, Sha1),
    (0x0010, TripleDesCbc, Sha1),
    (0x0011, Des40Cbc, Sha1),
    (0x0012, DesCbc, Sha1),
    (0x0013, TripleDesCbc, Sha1),
    (0x0014, Des40Cbc, Sha1),
    (0x0015, DesCbc, Sha1),
    (0x0016, TripleDesCbc, Sha1),
    (0x0017, Rc4_40, Md5),
    (0x0018, Rc4_128, Md5),
    (0x0019, Des40Cbc, Sha1),
    (0x001A, DesCbc, Sha1),
    (0x001B, TripleDesCbc, Sha1),
    (0x001E, DesCbc, Sha1),
    (0x001F, TripleDesCbc, Sha1),
    (0x0020, Rc4_128, Sha1),
    (0x0021, IdeaCbc, Sha1),
    (0x0022, DesCbc, Md5),
    (0x0023, TripleDesCbc, Md5),
    (0x0024, Rc4_128, Md5),
    (0x0025, IdeaCbc, Md5),
    (0x0026, Des40Cbc, Sha1),
    (0x0027, Rc2Cbc40, Sha1),
    (0x0028, Rc4_40, Sha1),
    (0x0029, Des40Cbc, Md5),
    (0x002A, Rc2Cbc40, Md5),
    (0x002B, Rc4_40, Md5),
    (0x002C, Null, Sha1),
    (0x002D, Null, Sha1),
    (0x002E, Null, Sha1),
    (0x002F, Aes128Cbc, Sha1),
    (0x0030, Aes128Cbc, Sha1),
    (0x0031, Aes128Cbc, Sha1),
    (0x0032, Aes128Cbc, Sha1),
    (0x0033, Aes128Cbc, Sha1),
    (0x0034, Aes128Cbc, Sha1),
    (0x0035, Aes256Cbc, Sha1),
    (0x0036, Aes256Cbc, Sha1),
    (0x0037, Aes256Cbc, Sha1),
    (0x0038, Aes256Cbc, Sha1),
    (0x0039, Aes256Cbc, Sha1),
    (0x003A, Aes256Cbc, Sha1),
    (0x003B, Null, Sha256),
    (0x003C, Aes128Cbc, Sha256),
    (0x003D, Aes256Cbc, Sha256),
    (0x003E, Aes128Cbc, Sha256),
    (0x003F, Aes128Cbc, Sha256),
    (0x0040, Aes128Cbc, Sha256),
    (0x0041, Camellia128Cbc, Sha1),
    (0x0042, Camellia128Cbc, Sha1),
    (0x0043, Camellia128Cbc, Sha1),
    (0x0044, Camellia128Cbc, Sha1),
    (0x0045, Camellia128Cbc, Sha1),
    (0x0046, Camellia128Cbc, Sha1),
    (0x0067, Aes128Cbc, Sha256),
    (0x0068, Aes256Cbc, Sha256),
    (0x0069, Aes256Cbc, Sha256),
    (0x006A, Aes256Cbc, Sha256),
    (0x006B, Aes256Cbc, Sha256),
    (0x006C, Aes128Cbc, Sha256),
    (0x006D, Aes256Cbc, Sha256),
    (0x0084, Camellia256Cbc, Sha1),
    (0x0085, Camellia256Cbc, Sha1),
    (0x0086, Camellia256Cbc, Sha1),
    (0x0087, Camellia256Cbc, Sha1),
    (0x0088, Camellia256Cbc, Sha1),
    (0x0089, Camellia256Cbc, Sha1),
    (0x008A, Rc4_128, Sha1),
    (0x008B, TripleDesCbc, Sha1),
    (0x008C, Aes128Cbc, Sha1),
    (0x008D, Aes256Cbc, Sha1),
    (0x008E, Rc4_128, Sha1),
    (0x008F, TripleDesCbc, Sha1),
    (0x0090, Aes128Cbc, Sha1),
    (0x0091, Aes256Cbc, Sha1),
    (0x0092, Rc4_128, Sha1),
    (0x0093, TripleDesCbc, Sha1),
    (0x0094, Aes128Cbc, Sha1),
    (0x0095, Aes256Cbc, Sha1),
    (0x0096, SeedCbc, Sha1),
    (0x0097, SeedCbc, Sha1),
    (0x0098, SeedCbc, Sha1),
    (0x0099, SeedCbc, Sha1),
    (0x009A, SeedCbc, Sha1),
    (0x009B, SeedCbc, Sha1),
    (0x009C, Aes128Gcm, Sha256),
    (0x009D, Aes256Gcm, Sha384),
    (0x009E, Aes128Gcm, Sha256),
    (0x009F, Aes256Gcm, Sha384),
    (0x00A0, Aes128Gcm, Sha256),
    (0x00A1, Aes256Gcm, Sha384),
    (0x00A2, Aes128Gcm, Sha256),
    (0x00A3, Aes256Gcm, Sha384),
    (0x00A4, Aes128Gcm, Sha256),
    (0x00A5, Aes256Gcm, Sha384),
    (0x00A6, Aes128Gcm, Sha256),
    (0x00A7, Aes256Gcm, Sha384),
    (0x00A8, Aes128Gcm, Sha256),
    (0x00A9, Aes256Gcm, Sha384),
    (0x00AA, Aes128Gcm, Sha256),
    (0x00AB, Aes256Gcm, Sha384),
    (0x00AC, Aes128Gcm, Sha256),
    (0x00AD, Aes256Gcm, Sha384),
    (0x00AE, Aes128Cbc, Sha256),
    (0x00AF, Aes256Cbc, Sha384),
    (0x00B0, Null, Sha256),
    (0x00B1, Null, Sha384),
    (0x00B2, Aes128Cbc, Sha256),
    (0x00B3, Aes256Cbc, Sha384),
    (0x00B4, Null, Sha256),
    (0x00B5, Null, Sha384),
    (0x00B6, Aes128Cbc, Sha256),
    (0x00B7, Aes256Cbc, Sha384),
    (0x00B8, Null, Sha256),
    (0x00B9, Null, Sha384),
    (0x00BA, Camellia128Cbc, Sha256),
    (0x00BB, Camellia128Cbc, Sha256),
    (0x00BC, Camellia128Cbc, Sha256),
    (0x00BD, Camellia128Cbc, Sha256),
    (0x00BE, Camellia128Cbc, Sha256),
    (0x00BF, Camellia128Cbc, Sha256),
    (0x00C0, Camellia256Cbc, Sha256),
    (0x00C1, Camellia256Cbc, Sha256),
    (0x00C2, Camellia256Cbc, Sha256),
    (0x00C3, Camellia256Cbc, Sha256),
    (0x00C4, Camellia256Cbc, Sha256),
    (0x00C5, Camellia256Cbc, Sha256),
    (0xC001, Null, Sha1),
    (0xC002, Rc4_128, Sha1),
    (0xC003, TripleDesCbc, Sha1),
    (0xC004, Aes128Cbc, Sha1),
    (0xC005, Aes256Cbc, Sha1),
    (0xC006, Null, Sha1),
    (0xC007, Rc4_128, Sha1),
    (0xC008, TripleDesCbc, Sha1),
    (0xC009, Aes128Cbc, Sha1),
    (0xC00A, Aes256Cbc, Sha1),
    (0xC00B, Null, Sha1),
    (0xC00C, Rc4_128, Sha1),
    (0xC00D, TripleDesCbc, Sha1),
    (0xC00E, Aes128Cbc, Sha1),
    (0xC00F, Aes256Cbc, Sha1),
    (0xC010, Null, Sha1),
    (0xC011, Rc4_128, Sha1),
    (0xC012, TripleDesCbc, Sha1),
    (0xC013, Aes128Cbc, Sha1),
    (0xC014, Aes256Cbc, Sha1),
    (0xC015, Null, Sha1),
    (0xC016, Rc4_128, Sha1),
    (0xC017, TripleDesCbc, Sha1),
    (0xC018, Aes128Cbc, Sha1),
    (0xC019, Aes256Cbc, Sha1),
    (0xC01A, TripleDesCbc, Sha1),
    (0xC01B, TripleDesCbc, Sha1),
    (0xC01C, TripleDesCbc, Sha1),
    (0xC01D, Aes128Cbc, Sha1),
    (0xC01E, Aes128Cbc, Sha1),
    (0xC01F, Aes128Cbc, Sha1),
    (0xC020, Aes256Cbc, Sha1),
    (0xC021, Aes256Cbc, Sha1),
    (0xC022, Aes256Cbc, Sha1),
    (0xC023, Aes128Cbc, Sha256),
    (0xC024, Aes256Cbc, Sha384),
    (0xC025, Aes128Cbc, Sha256),
    (0xC026, Aes256Cbc, Sha384),
    (0xC027, Aes128Cbc, Sha256),
    (0xC028, Aes256Cbc, Sha384),
    (0xC029, Aes128Cbc, Sha256),
    (0xC02A, Aes256Cbc, Sha384),
    (0xC02B, Aes128Gcm, Sha256),
    (0xC02C, Aes256Gcm, Sha384),
    (0xC02D, Aes128Gcm, Sha256),
    (0xC02E, Aes256Gcm, Sha384),
    (0xC02F, Aes128Gcm, Sha256),
    (0xC030, Aes256Gcm, Sha384),
    (0xC031, Aes128Gcm, Sha256),
    (0xC032, Aes256Gcm, Sha384),
    (0xC033, Rc4_128, Sha1),
    (0xC034, TripleDesCbc, Sha1),
    (0xC035, Aes128Cbc, Sha1),
    (0xC036, Aes256Cbc, Sha1),
    (0xC037, Aes128Cbc, Sha256),
    (0xC038, Aes256Cbc, Sha384),
    (0xC039, Null, Sha1),
    (0xC03A, Null, Sha256),
    (0xC03B, Null, Sha384),
    (0xC03C, Aria128Cbc, Sha256),
    (0xC03D, Aria256Cbc, Sha384),
    (0xC03E, Aria128Cbc, Sha256),
    (0xC03F, Aria256Cbc, Sha384),
    (0xC040, Aria128Cbc, Sha256),
    (0xC041, Aria256Cbc, Sha384),
    (0xC042, Aria128Cbc, Sha256),
    (0xC043, Aria256Cbc, Sha384),
    (0xC044, Aria128Cbc, Sha256),
    (0xC045, Aria256Cbc, Sha384),
    (0xC046, Aria128Cbc, Sha256),
    (0xC047, Aria256Cbc, Sha384),
    (0xC048, Aria128Cbc, Sha256),
    (0xC049, Aria256Cbc, Sha384),
    (0xC04A, Aria128Cbc, Sha256),
    (0xC04B, Aria256Cbc, Sha384),
    (0xC04C, Aria128Cbc, Sha256),
    (0xC04D, Aria256Cbc, Sha384),
    (0xC04E, Aria128Cbc, Sha256),
    (0xC04F, Aria256Cbc, Sha384),
    (0xC050, Aria128Gcm, Sha256),
    (0xC051, Aria256Gcm, Sha384),
    (0xC052, Aria128Gcm, Sha256),
    (0xC053, Aria256Gcm, Sha384),
    (0xC054, Aria128Gcm, Sha256),
    (0xC055, Aria256Gcm, Sha384),
    (0xC056, Aria128Gcm, Sha256),
    (0xC057, Aria256Gcm, Sha384),
    (0xC058, Aria128Gcm, Sha256),
    (0xC059, Aria256Gcm, Sha384),
    (0xC05A, Aria128Gcm, Sha256),
    (0xC05B, Aria256Gcm, Sha384),
    (0xC05C, Aria128Gcm, Sha256),
    (0xC05D, Aria256Gcm, Sha384),
    (0xC05E, Aria128Gcm, Sha256),
    (0xC05F, Aria256Gcm, Sha384),
    (0xC060, Aria128Gcm, Sha256),
    (0xC061, Aria256Gcm, Sha384),
    (0xC062, Aria128Gcm, Sha256),
    (0xC063, Aria256Gcm, Sha384),
    (0xC064, Aria128Cbc, Sha256),
    (0xC065, Aria256Cbc, Sha384),
    (0xC066, Aria128Cbc, Sha256),
    (0xC067, Aria256Cbc, Sha384),
    (0xC068, Aria128Cbc, Sha256),
    (0xC069, Aria256Cbc, Sha384),
    (0xC06A, Aria128Gcm, Sha256),
    (0xC06B, Aria256Gcm, Sha384),
    (0xC06C, Aria128Gcm, Sha256),
    (0xC06D, Aria256Gcm, Sha384),
    (0xC06E, Aria128Gcm, Sha256),
    (0xC06F, Aria256Gcm, Sha384),
    (0xC070, Aria128Cbc, Sha256),
    (0xC071, Aria256Cbc, Sha384),
    (0xC072, Camellia128Cbc, Sha256),
    (0xC073, Camellia256Cbc, Sha384),
    (0xC074, Camellia128Cbc, Sha256),
    (0xC075, Camellia256Cbc, Sha384),
    (0xC076, Camellia128Cbc, Sha256),
    (0xC077, Camellia256Cbc, Sha384),
    (0xC078, Camellia128Cbc, Sha256),
    (0xC079, Camellia256Cbc, Sha384),
    (0xC07A, Camellia128Gcm, Sha256),
    (0xC07B, Camellia256Gcm, Sha384),
    (0xC07C, Camellia128Gcm, Sha256),
    (0xC07D, Camellia256Gcm, Sha384),
    (0xC07E, Camellia128Gcm, Sha256),
    (0xC07F, Camellia256Gcm, Sha384),
    (0xC080, Camellia128Gcm, Sha256),
    (0xC081, Camellia256Gcm, Sha384),
    (0xC082, Camellia128Gcm, Sha256),
    (0xC083, Camellia256Gcm, Sha384),
    (0xC084, Camellia128Gcm, Sha256),
    (0xC085, Camellia256Gcm, Sha384),
    (0xC086, Camellia128Gcm, Sha256),
    (0xC087, Camellia256Gcm, Sha384),
    (0xC088, Camellia128Gcm, Sha256),
    (0xC089, Camellia256Gcm, Sha384),
    (0xC08A, Camellia128Gcm, Sha256),
    (0xC08B, Camellia256Gcm, Sha384),
    (0xC08C, Camellia128Gcm, Sha256),
    (0xC08D, Camellia256Gcm, Sha384),
    (0xC08E, Camellia128Gcm, Sha256),
    (0xC08F, Camellia256Gcm, Sha384),
    (0xC090, Camellia128Gcm, Sha256),
    (0xC091, Camellia256Gcm, Sha384),
    (0xC092, Camellia128Gcm, Sha256),
    (0xC093, Camellia256Gcm, Sha384),
    (0xC094, Camellia128Cbc, Sha256),
    (0xC095, Camellia256Cbc, Sha384),
    (0xC096, Camellia128Cbc, Sha256),
    (0xC097, Camellia256Cbc, Sha384),
    (0xC098, Camellia128Cbc, Sha256),
    (0xC099, Camellia256Cbc, Sha384),
    (0xC09A, Camellia128Cbc, Sha256),
    (0xC09B, Camellia256Cbc, Sha384),
    (0xC09C, Aes128Ccm, Sha256),
    (0xC09D, Aes256Ccm, Sha256),
    (0xC09E, Aes128Ccm, Sha256),
    (0xC09F, Aes256Ccm, Sha256),
    (0xC0A0, Aes128Ccm8, Sha256),
    (0xC0A1, Aes256Ccm8, Sha256),
    (0xC0A2, Aes128Ccm8, Sha256),
    (0xC0A3, Aes256Ccm8, Sha256),
    (0xC0A4, Aes128Ccm, Sha256),
    (0xC0A5, Aes256Ccm, Sha256),
    (0xC0A6, Aes128Ccm, Sha256),
    (0xC0A7, Aes256Ccm, Sha256),
    (0xC0A8, Aes128Ccm8, Sha256),
    (0xC0A9, Aes256Ccm8, Sha256),
    (0xC0AA, Aes128Ccm8, Sha256),
    (0xC0AB, Aes256Ccm8, Sha256),
    (0xC0AC, Aes128Ccm, Sha256),
    (0xC0AD, Aes256Ccm, Sha256),
    (0xC0AE, Aes128Ccm8, Sha256),
    (0xC0AF, Aes256Ccm8, Sha256),
    (0xC0B0, Aes128Gcm, Sha256),
    (0xC0B1, Aes256Gcm, Sha384),
    (0xC0B2, Aes128Ccm, Sha256),
    (0xC0B3, Aes256Ccm, Sha384),
    (0xC0FF, Aes128Ccm8, Sha256),
    (0xCCA8, ChaCha20Poly1305, Sha256),
    (0xCCA9, ChaCha20Poly1305, Sha256),
    (0xCCAA, ChaCha20Poly1305, Sha256),
    (0xCCAB, ChaCha20Poly1305, Sha256),
    (0xCCAC, ChaCha20Poly1305, Sha256),
    (0xCCAD, ChaCha20Poly1305, Sha256),
    (0xCCAE, ChaCha20Poly1305, Sha256),
    (0xD001, Aes128Gcm, Sha256),
    (0xD002, Aes256Gcm, Sha384),
    (0xD003, Aes128Ccm8, Sha256),
    (0xD005, Aes128Ccm, Sha256),
];

/// Why cipher suite `code` cannot be decrypted (for a suite [`suite`] refuses), in a sentence
/// for the missing-secrets report.
pub fn unsupported_reason(code: u16) -> String {
    let Some(name) = CipherSuiteId::from(code).name() else {
        return format!("cipher suite 0x{code:04x} is not in the IANA registry, so its cipher is unknown");
    };
    let why = if code == 0x0000 {
        "it is the initial state of a connection, never a negotiated suite"
    } else if name.contains("SCSV") {
        "it is a signalling value, not a cipher suite"
    } else if name.contains("GOST") {
        "the GOST ciphers (Kuznyechik, Magma, GOST 28147-89; RFC 9189, 9367) are not implemented"
    } else if (0xCC13..=0xCC15).contains(&code) {
        "it is a pre-RFC 7905 draft code of ChaCha20-Poly1305, with another nonce layout"
    } else {
        "its cipher or key exchange is not implemented"
    };
    format!("{name} (0x{code:04x}) cannot be decrypted: {why}")
}

/// Parameters of cipher suite `code`, or `None` when this module cannot decrypt it.
pub fn suite(code: u16) -> Option<SuiteParams> {
    let name = CipherSuiteId::from(code).name().unwrap_or("unknown");
    if let Some(&(code, cipher, hash)) = TLS13_SUITES.iter().find(|row| row.0 == code) {
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
    let &(code, cipher, hash) = TLS12_SUITES.get(index)?;
    let params = match cipher.mode() {
        CipherMode::Aead => {
            let chacha = cipher == ChaCha20Poly1305;
            SuiteParams {
                code,
                name,
                cipher,
                key_len: cipher.key_len(),
                // RFC 7905: ChaCha20 uses a 12-byte IV XORed with the sequence number; RFC 5288,
                // 6655, 6367 and 6209: GCM/CCM use a 4-byte salt plus an 8-byte explicit nonce.
                fixed_iv_len: if chacha { 12 } else { 4 },
                record_iv_len: if chacha { 0 } else { 8 },
                tag_len: cipher.tag_len(),
                mac: None,
                mac_key_len: 0,
                prf_hash: hash,
                tls13: false,
            }
        }
        CipherMode::Cbc | CipherMode::Stream => SuiteParams {
            code,
            name,
            cipher,
            key_len: cipher.key_material_len(),
            // Export ciphers derive their IVs from the randoms, not from the key block.
            fixed_iv_len: if cipher.is_export() { 0 } else { cipher.block_len() },
            record_iv_len: cipher.block_len(),
            tag_len: 0,
            mac: Some(hash),
            mac_key_len: hash.output_len(),
            prf_hash: if hash == Sha384 { Sha384 } else { Sha256 },
            tls13: false,
        },
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
        assert_eq!(TLS12_SUITES.len(), 332);
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

    /// Every suite this module decrypts has its registry name, but ECJPAKE (0xC0FF, a draft
    /// suite the stored registry does not list).
    #[test]
    fn names_come_from_the_registry() {
        assert_eq!(suite(0x1301).unwrap().name, "TLS_AES_128_GCM_SHA256");
        assert_eq!(suite(0xC02F).unwrap().name, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assert_eq!(suite(0xC0FF).unwrap().name, "unknown");
        for code in TLS13_SUITES.iter().map(|row| row.0).chain(TLS12_SUITES.iter().map(|row| row.0)) {
            if code != 0xC0FF {
                assert_ne!(suite(code).unwrap().name, "unknown", "{code:#06x}");
            }
        }
    }

    #[test]
    fn unsupported_suites() {
        for code in [0x0000, 0xC100, 0xC106, 0xCC13, 0x00FF, 0x5600, 0xFFFF] {
            assert_eq!(suite(code), None, "{code:#06x}");
        }
        assert!(unsupported_reason(0xC102).contains("GOST"));
        assert!(unsupported_reason(0x5600).contains("signalling"));
        assert!(unsupported_reason(0xCC13).contains("draft"));
        assert!(unsupported_reason(0xFFFF).contains("not in the IANA registry"));
    }

    #[test]
    fn legacy_suites() {
        let s = suite(0x0004).unwrap(); // RSA_WITH_RC4_128_MD5
        assert_eq!((s.cipher, s.key_len, s.fixed_iv_len, s.mac, s.mac_key_len), (Rc4_128, 16, 0, Some(Md5), 16));
        let s = suite(0x0003).unwrap(); // RSA_EXPORT_WITH_RC4_40_MD5: 5 key bytes in the key block
        assert_eq!((s.cipher, s.key_len, s.cipher.key_len(), s.fixed_iv_len), (Rc4_40, 5, 16, 0));
        let s = suite(0x0008).unwrap(); // RSA_EXPORT_WITH_DES40_CBC_SHA
        assert_eq!((s.key_len, s.cipher.key_len(), s.fixed_iv_len, s.record_iv_len), (5, 8, 0, 8));
        let s = suite(0x0006).unwrap(); // RSA_EXPORT_WITH_RC2_CBC_40_MD5
        assert_eq!((s.cipher, s.key_len, s.cipher.key_len(), s.cipher.block_len()), (Rc2Cbc40, 5, 16, 8));
        let s = suite(0x0001).unwrap(); // RSA_WITH_NULL_MD5
        assert_eq!((s.cipher, s.key_len, s.mac), (Null, 0, Some(Md5)));
        let s = suite(0x003B).unwrap(); // RSA_WITH_NULL_SHA256
        assert_eq!((s.mac, s.prf_hash), (Some(Sha256), Sha256));
        let s = suite(0xC07B).unwrap(); // RSA_WITH_CAMELLIA_256_GCM_SHA384
        assert_eq!(
            (s.cipher, s.key_len, s.fixed_iv_len, s.record_iv_len, s.prf_hash),
            (Camellia256Gcm, 32, 4, 8, Sha384)
        );
        let s = suite(0xC03D).unwrap(); // RSA_WITH_ARIA_256_CBC_SHA384
        assert_eq!((s.cipher, s.mac, s.prf_hash, s.fixed_iv_len), (Aria256Cbc, Some(Sha384), Sha384, 16));
        let s = suite(0x0096).unwrap(); // RSA_WITH_SEED_CBC_SHA
        assert_eq!((s.cipher, s.key_len, s.fixed_iv_len), (SeedCbc, 16, 16));
        assert_eq!(suite(0x0007).unwrap().cipher, IdeaCbc);
        assert_eq!(suite(0x0009).unwrap().cipher, DesCbc);
    }
}
