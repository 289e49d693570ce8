//! Hash and HMAC selection by algorithm value, so that the rest of the module can pick the hash
//! from a cipher suite at run time instead of being generic over it.

use hmac::{Hmac, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384};

/// The hash functions TLS key derivation, Finished and record MACs use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlg {
    Md5,
    Sha1,
    Sha256,
    Sha384,
}

impl HashAlg {
    /// Digest size in bytes.
    pub fn output_len(self) -> usize {
        match self {
            HashAlg::Md5 => 16,
            HashAlg::Sha1 => 20,
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Md5 => "MD5",
            HashAlg::Sha1 => "SHA-1",
            HashAlg::Sha256 => "SHA-256",
            HashAlg::Sha384 => "SHA-384",
        }
    }

    /// Hash of the concatenation of `parts`.
    pub fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut hasher = D::new();
            for part in parts {
                hasher.update(part);
            }
            hasher.finalize().to_vec()
        }
        match self {
            HashAlg::Md5 => run::<Md5>(parts),
            HashAlg::Sha1 => run::<Sha1>(parts),
            HashAlg::Sha256 => run::<Sha256>(parts),
            HashAlg::Sha384 => run::<Sha384>(parts),
        }
    }

    /// HMAC(key, concatenation of `parts`).
    pub fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
            // HMAC takes keys of any length (long keys are hashed), so this cannot fail.
            let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(key) else {
                return Vec::new();
            };
            for part in parts {
                mac.update(part);
            }
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            HashAlg::Md5 => run::<Hmac<Md5>>(key, parts),
            HashAlg::Sha1 => run::<Hmac<Sha1>>(key, parts),
            HashAlg::Sha256 => run::<Hmac<Sha256>>(key, parts),
            HashAlg::Sha384 => run::<Hmac<Sha384>>(key, parts),
        }
    }
}

/// An HMAC key set up once: HMAC's inner and outer pads cost two compressions per call when the
/// key is taken afresh, and the TLS 1.2 PRF calls HMAC with the same secret many times.
#[derive(Clone)]
pub enum KeyedHmac {
    Md5(Hmac<Md5>),
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
}

impl std::fmt::Debug for KeyedHmac {
    /// The algorithm only: the key stays out of debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyedHmac({})", self.alg().name())
    }
}

impl KeyedHmac {
    /// `None` cannot happen (HMAC takes keys of any length); kept total for the type system.
    pub fn new(alg: HashAlg, key: &[u8]) -> Option<Self> {
        use hmac::digest::KeyInit;
        Some(match alg {
            HashAlg::Md5 => KeyedHmac::Md5(<Hmac<Md5> as KeyInit>::new_from_slice(key).ok()?),
            HashAlg::Sha1 => KeyedHmac::Sha1(<Hmac<Sha1> as KeyInit>::new_from_slice(key).ok()?),
            HashAlg::Sha256 => KeyedHmac::Sha256(<Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?),
            HashAlg::Sha384 => KeyedHmac::Sha384(<Hmac<Sha384> as KeyInit>::new_from_slice(key).ok()?),
        })
    }

    pub fn alg(&self) -> HashAlg {
        match self {
            KeyedHmac::Md5(_) => HashAlg::Md5,
            KeyedHmac::Sha1(_) => HashAlg::Sha1,
            KeyedHmac::Sha256(_) => HashAlg::Sha256,
            KeyedHmac::Sha384(_) => HashAlg::Sha384,
        }
    }

    /// HMAC(key, concatenation of `parts`).
    pub fn mac(&self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + Clone>(keyed: &M, parts: &[&[u8]]) -> Vec<u8> {
            let mut mac = keyed.clone();
            for part in parts {
                mac.update(part);
            }
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            KeyedHmac::Md5(m) => run(m, parts),
            KeyedHmac::Sha1(m) => run(m, parts),
            KeyedHmac::Sha256(m) => run(m, parts),
            KeyedHmac::Sha384(m) => run(m, parts),
        }
    }
}

/// Equality of two secrets-derived byte strings without an early exit on the first difference.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod keyed_tests {
    use super::*;

    #[test]
    fn keyed_hmac_equals_hmac() {
        for alg in [HashAlg::Md5, HashAlg::Sha1, HashAlg::Sha256, HashAlg::Sha384] {
            let keyed = KeyedHmac::new(alg, b"key").unwrap();
            for parts in [&[&b"a"[..], b"bc"][..], &[b"x".repeat(300).as_slice()][..]] {
                assert_eq!(keyed.mac(parts), alg.hmac(b"key", parts), "{}", alg.name());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_of_abc() {
        assert_eq!(crate::hex_text::lower(HashAlg::Md5.digest(&[b"a", b"bc"])), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(crate::hex_text::lower(HashAlg::Sha1.digest(&[b"abc"])), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            crate::hex_text::lower(HashAlg::Sha256.digest(&[b"abc"])),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(HashAlg::Sha384.digest(&[]).len(), 48);
    }

    #[test]
    fn hmac_rfc4231_case2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mac = HashAlg::Sha256.hmac(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(crate::hex_text::lower(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        let mac = HashAlg::Sha384.hmac(b"Jefe", &[b"what do ya want for nothing?"]);
        assert_eq!(
            crate::hex_text::lower(mac),
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649"
        );
    }

    #[test]
    fn constant_time_eq() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
