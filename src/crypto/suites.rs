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
use HashAlg::{Sha1, Sha256, Sha384};

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
    (0x000A, TripleDesCbc, Sha1),
    (0x000D, TripleDesCbc, Sha1),
    (0x0010, TripleDesCbc, Sha1),
    (0x0013, TripleDesCbc, Sha1),
    (0x0016, TripleDesCbc, Sha1),
    (0x001B, TripleDesCbc, Sha1),
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
    (0x003C, Aes128Cbc, Sha256),
    (0x003D, Aes256Cbc, Sha256),
    (0x003E, Aes128Cbc, Sha256),
    (0x003F, Aes128Cbc, Sha256),
    (0x0040, Aes128Cbc, Sha256),
    (0x0067, Aes128Cbc, Sha256),
    (0x0068, Aes256Cbc, Sha256),
    (0x0069, Aes256Cbc, Sha256),
    (0x006A, Aes256Cbc, Sha256),
    (0x006B, Aes256Cbc, Sha256),
    (0x006C, Aes128Cbc, Sha256),
    (0x006D, Aes256Cbc, Sha256),
    (0x008B, TripleDesCbc, Sha1),
    (0x008C, Aes128Cbc, Sha1),
    (0x008D, Aes256Cbc, Sha1),
    (0x008F, TripleDesCbc, Sha1),
    (0x0090, Aes128Cbc, Sha1),
    (0x0091, Aes256Cbc, Sha1),
    (0x0093, TripleDesCbc, Sha1),
    (0x0094, Aes128Cbc, Sha1),
    (0x0095, Aes256Cbc, Sha1),
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
    (0x00B2, Aes128Cbc, Sha256),
    (0x00B3, Aes256Cbc, Sha384),
    (0x00B6, Aes128Cbc, Sha256),
    (0x00B7, Aes256Cbc, Sha384),
    (0xC003, TripleDesCbc, Sha1),
    (0xC004, Aes128Cbc, Sha1),
    (0xC005, Aes256Cbc, Sha1),
    (0xC008, TripleDesCbc, Sha1),
    (0xC009, Aes128Cbc, Sha1),
    (0xC00A, Aes256Cbc, Sha1),
    (0xC00D, TripleDesCbc, Sha1),
    (0xC00E, Aes128Cbc, Sha1),
    (0xC00F, Aes256Cbc, Sha1),
    (0xC012, TripleDesCbc, Sha1),
    (0xC013, Aes128Cbc, Sha1),
    (0xC014, Aes256Cbc, Sha1),
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
    (0xC034, TripleDesCbc, Sha1),
    (0xC035, Aes128Cbc, Sha1),
    (0xC036, Aes256Cbc, Sha1),
    (0xC037, Aes128Cbc, Sha256),
    (0xC038, Aes256Cbc, Sha384),
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

/// Parameters of cipher suite `code`, or `None` when this module cannot decrypt it.
pub fn suite(code: u16) -> Option<SuiteParams> {
    let name = crate::registry::CipherSuiteId::from(code).name().unwrap_or("unknown");
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
        for code in [0x0000, 0x0004, 0x0005, 0x0041, 0xCC13, 0x00FF, 0x5600, 0xFFFF] {
            assert_eq!(suite(code), None, "{code:#06x}");
        }
    }
}
