//! TLS 1.0-1.2 key derivation from a master secret (RFC 2246, 4346, 5246): the PRF, the key block
//! and the Finished verify_data.
//!
//! The key log hands over the master secret itself, so the extended master secret extension
//! (RFC 7627), which changes only how the master secret is computed, changes nothing here: the
//! key block is always PRF(master_secret, "key expansion", server_random + client_random).
//! Export suites expand their 40-bit keys and derive their IVs from the randoms (RFC 2246 6.3).
//! SSL 3.0's own MD5/SHA-1 constructions are in [`super::ssl3`].

use super::hash::{HashAlg, ct_eq};
use super::suites::SuiteParams;
use super::transcript::Transcript;

pub const VERSION_TLS10: u16 = 0x0301;
pub const VERSION_TLS11: u16 = 0x0302;
pub const VERSION_TLS12: u16 = 0x0303;

/// Length of a TLS <= 1.2 master secret.
pub const MASTER_SECRET_LEN: usize = 48;
/// Length of the Finished verify_data in TLS 1.0-1.2 (no suite here asks for another length).
pub const VERIFY_DATA_LEN: usize = 12;
/// Largest PRF output asked for (a key block is at most 2*48 + 2*32 + 2*16 bytes); bounds memory.
const MAX_PRF_OUTPUT: usize = 1024;

/// P_hash(secret, seed) of RFC 5246 section 5, truncated to `out_len` bytes.
pub fn p_hash(hash: HashAlg, secret: &[u8], seed: &[&[u8]], out_len: usize) -> Vec<u8> {
    match super::hash::KeyedHmac::new(hash, secret) {
        Some(keyed) => p_hash_keyed(&keyed, seed, out_len),
        None => Vec::new(),
    }
}

/// P_hash with the HMAC already keyed with the secret.
fn p_hash_keyed(keyed: &super::hash::KeyedHmac, seed: &[&[u8]], out_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(out_len.saturating_add(keyed.alg().output_len()));
    // A(1) = HMAC(secret, seed); A(i) = HMAC(secret, A(i-1)).
    let mut a = keyed.mac(seed);
    loop {
        let mut parts: Vec<&[u8]> = Vec::with_capacity(seed.len() + 1);
        parts.push(&a);
        parts.extend_from_slice(seed);
        out.extend_from_slice(&keyed.mac(&parts));
        if out.len() >= out_len {
            break;
        }
        // The next A only when another block is wanted (two compressions saved per output).
        a = keyed.mac(&[&a]);
    }
    out.truncate(out_len);
    out
}

/// The PRF keyed with one secret: a connection draws its key block and both Finished values
/// from the master secret, and keying HMAC costs two hash compressions (per hash) each time.
#[derive(Clone, Debug)]
pub struct PrfKey {
    /// P_<prf_hash> for TLS 1.2; P_MD5 over the first half of the secret for TLS 1.0 and 1.1.
    first: super::hash::KeyedHmac,
    /// TLS 1.0 and 1.1: P_SHA-1 over the second half, XORed into the first.
    second: Option<super::hash::KeyedHmac>,
}

impl PrfKey {
    /// `None` for versions without this PRF (SSLv3, TLS 1.3, DTLS).
    pub fn new(version: u16, prf_hash: HashAlg, secret: &[u8]) -> Option<PrfKey> {
        use super::hash::KeyedHmac;
        match version {
            VERSION_TLS12 => Some(PrfKey { first: KeyedHmac::new(prf_hash, secret)?, second: None }),
            VERSION_TLS10 | VERSION_TLS11 => {
                // RFC 2246 5: S1 is the first ceil(len/2) bytes, S2 the last ceil(len/2) bytes
                // (they share the middle byte when the length is odd).
                let half = secret.len().div_ceil(2);
                let s1 = secret.get(..half)?;
                let s2 = secret.get(secret.len().checked_sub(half)?..)?;
                Some(PrfKey {
                    first: KeyedHmac::new(HashAlg::Md5, s1)?,
                    second: Some(KeyedHmac::new(HashAlg::Sha1, s2)?),
                })
            }
            _ => None,
        }
    }

    /// PRF(secret, label, seed) truncated to `out_len`; `None` for outputs larger than any key
    /// block.
    pub fn expand(&self, label: &[u8], seed: &[u8], out_len: usize) -> Option<Vec<u8>> {
        if out_len > MAX_PRF_OUTPUT {
            return None;
        }
        let mut out = p_hash_keyed(&self.first, &[label, seed], out_len);
        if let Some(second) = &self.second {
            for (byte, other) in out.iter_mut().zip(p_hash_keyed(second, &[label, seed], out_len)) {
                *byte ^= other;
            }
        }
        Some(out)
    }
}

/// PRF(secret, label, seed) for the given protocol version: P_<prf_hash> for TLS 1.2, P_MD5 XOR
/// P_SHA-1 over the two halves of the secret for TLS 1.0 and 1.1. `None` for other versions
/// (SSLv3, TLS 1.3, DTLS) and for outputs larger than any key block.
pub fn prf(
    version: u16,
    prf_hash: HashAlg,
    secret: &[u8],
    label: &[u8],
    seed: &[u8],
    out_len: usize,
) -> Option<Vec<u8>> {
    PrfKey::new(version, prf_hash, secret)?.expand(label, seed, out_len)
}

/// The key block of one connection, split into its parts (RFC 5246 section 6.3).
#[derive(Clone, PartialEq, Eq)]
pub struct KeyBlock {
    pub client_mac_key: Vec<u8>,
    pub server_mac_key: Vec<u8>,
    pub client_key: Vec<u8>,
    pub server_key: Vec<u8>,
    /// Implicit IVs: the GCM/CCM salt, the ChaCha20 IV, or TLS 1.0's first CBC IV; empty for CBC
    /// in TLS 1.1 and 1.2, whose IVs travel in each record.
    pub client_iv: Vec<u8>,
    pub server_iv: Vec<u8>,
}

impl KeyBlock {
    /// Cuts a key block into its parts, in the order of RFC 5246 6.3 (SSL 3.0's is the same).
    pub fn split(block: &[u8], suite: &SuiteParams, iv_len: usize) -> Option<KeyBlock> {
        let mut rest = block;
        let mut take = |n: usize| -> Option<Vec<u8>> {
            let (head, tail) = rest.split_at_checked(n)?;
            rest = tail;
            Some(head.to_vec())
        };
        Some(KeyBlock {
            client_mac_key: take(suite.mac_key_len)?,
            server_mac_key: take(suite.mac_key_len)?,
            client_key: take(suite.key_len)?,
            server_key: take(suite.key_len)?,
            client_iv: take(iv_len)?,
            server_iv: take(iv_len)?,
        })
    }
}

impl std::fmt::Debug for KeyBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyBlock")
            .field("mac_key_len", &self.client_mac_key.len())
            .field("key_len", &self.client_key.len())
            .field("iv_len", &self.client_iv.len())
            .finish()
    }
}

/// Implicit IV bytes the key block must provide for `suite` under `version` (none for export
/// ciphers, whose IVs come from the randoms, nor for stream ciphers).
fn implicit_iv_len(suite: &SuiteParams, version: u16) -> usize {
    if suite.is_aead() || version == VERSION_TLS10 { suite.fixed_iv_len } else { 0 }
}

/// RFC 2246 6.3: an export cipher's final keys are PRF(write_key, "client write key" or "server
/// write key", client_random + server_random), and under TLS 1.0 its IVs the two halves of
/// PRF("", "IV block", client_random + server_random). The PRF is TLS 1.0's (export suites were
/// withdrawn by TLS 1.1).
fn expand_export(
    kb: &mut KeyBlock,
    suite: &SuiteParams,
    version: u16,
    client_random: &[u8],
    server_random: &[u8],
) -> Option<()> {
    let seed = [client_random, server_random].concat();
    let key_len = suite.cipher.key_len();
    let final_key =
        |key: &[u8], label: &[u8]| PrfKey::new(VERSION_TLS10, suite.prf_hash, key)?.expand(label, &seed, key_len);
    kb.client_key = final_key(&kb.client_key, b"client write key")?;
    kb.server_key = final_key(&kb.server_key, b"server write key")?;
    let block_len = suite.cipher.block_len();
    if version == VERSION_TLS10 && block_len > 0 {
        let ivs = PrfKey::new(VERSION_TLS10, suite.prf_hash, &[])?.expand(b"IV block", &seed, 2 * block_len)?;
        let (client_iv, server_iv) = ivs.split_at_checked(block_len)?;
        kb.client_iv = client_iv.to_vec();
        kb.server_iv = server_iv.to_vec();
    }
    Some(())
}

/// Expands the master secret into the key block. `None` for a TLS 1.3 suite, an unsupported
/// version, or inputs of the wrong length (master secret 48 bytes, randoms 32 bytes).
pub fn key_block(
    suite: &SuiteParams,
    version: u16,
    master_secret: &[u8],
    client_random: &[u8],
    server_random: &[u8],
) -> Option<KeyBlock> {
    if master_secret.len() != MASTER_SECRET_LEN {
        return None;
    }
    key_block_with(&PrfKey::new(version, suite.prf_hash, master_secret)?, suite, version, client_random, server_random)
}

/// [`key_block`] with the PRF already keyed with the master secret (`None` for a TLS 1.3 suite or
/// randoms that are not 32 bytes).
pub fn key_block_with(
    prf: &PrfKey,
    suite: &SuiteParams,
    version: u16,
    client_random: &[u8],
    server_random: &[u8],
) -> Option<KeyBlock> {
    if suite.tls13 || client_random.len() != 32 || server_random.len() != 32 {
        return None;
    }
    let iv_len = implicit_iv_len(suite, version);
    let total = 2 * (suite.mac_key_len + suite.key_len + iv_len);
    let mut seed = Vec::with_capacity(64);
    seed.extend_from_slice(server_random);
    seed.extend_from_slice(client_random);
    let block = prf.expand(b"key expansion", &seed, total)?;
    let mut kb = KeyBlock::split(&block, suite, iv_len)?;
    if suite.cipher.is_export() {
        expand_export(&mut kb, suite, version, client_random, server_random)?;
    }
    Some(kb)
}

/// Hash of every handshake message the transcript holds, as the Finished computation wants it:
/// Hash(messages) with the PRF hash for TLS 1.2, MD5(messages) || SHA-1(messages) for TLS 1.0
/// and 1.1 (`None` for other versions, or if the transcript overflowed its cap).
pub fn finished_hash(version: u16, prf_hash: HashAlg, transcript: &Transcript) -> Option<Vec<u8>> {
    match version {
        // The transcript's running hash: both Finished messages hash a growing prefix.
        VERSION_TLS12 => transcript.hash(prf_hash),
        VERSION_TLS10 | VERSION_TLS11 => {
            let mut out = transcript.hash(HashAlg::Md5)?;
            out.extend_from_slice(&transcript.hash(HashAlg::Sha1)?);
            Some(out)
        }
        _ => None,
    }
}

/// verify_data = PRF(master_secret, "client finished" | "server finished", handshake_hash)[0..12].
/// `handshake_hash` comes from [`finished_hash`] over every handshake message before the Finished
/// being checked (the server's Finished covers the client's).
pub fn finished_verify_data(
    version: u16,
    prf_hash: HashAlg,
    master_secret: &[u8],
    from_client: bool,
    handshake_hash: &[u8],
) -> Option<Vec<u8>> {
    PrfKey::new(version, prf_hash, master_secret)?.finished_verify_data(from_client, handshake_hash)
}

impl PrfKey {
    /// [`finished_verify_data`] with the PRF keyed with the master secret.
    pub fn finished_verify_data(&self, from_client: bool, handshake_hash: &[u8]) -> Option<Vec<u8>> {
        let label: &[u8] = if from_client { b"client finished" } else { b"server finished" };
        self.expand(label, handshake_hash, VERIFY_DATA_LEN)
    }
}

/// Whether a received Finished verify_data matches the expected one, with the PRF already keyed
/// with the master secret.
pub fn verify_finished_with(prf: &PrfKey, from_client: bool, handshake_hash: &[u8], received: &[u8]) -> bool {
    prf.finished_verify_data(from_client, handshake_hash).is_some_and(|expected| ct_eq(&expected, received))
}

/// Whether a received Finished verify_data matches the expected one.
pub fn verify_finished(
    version: u16,
    prf_hash: HashAlg,
    master_secret: &[u8],
    from_client: bool,
    handshake_hash: &[u8],
    received: &[u8],
) -> bool {
    PrfKey::new(version, prf_hash, master_secret)
        .is_some_and(|prf| verify_finished_with(&prf, from_client, handshake_hash, received))
}

#[cfg(test)]
mod tests {
    use super::super::suites::suite;
    use super::*;

    #[test]
    fn tls10_prf_splits_odd_secret_with_shared_byte() {
        // With a 3-byte secret S1 = s[0..2], S2 = s[1..3]: the PRF must equal the XOR of the
        // two P_hash streams computed independently here.
        let secret = [1u8, 2, 3];
        let out = prf(VERSION_TLS10, HashAlg::Sha256, &secret, b"lbl", b"seed", 40).unwrap();
        let md5 = p_hash(HashAlg::Md5, &secret[..2], &[b"lbl", b"seed"], 40);
        let sha = p_hash(HashAlg::Sha1, &secret[1..], &[b"lbl", b"seed"], 40);
        let expected: Vec<u8> = md5.iter().zip(&sha).map(|(a, b)| a ^ b).collect();
        assert_eq!(out, expected);
    }

    #[test]
    fn p_hash_is_a_prefix_stream() {
        let long = p_hash(HashAlg::Sha256, b"k", &[b"s"], 100);
        let short = p_hash(HashAlg::Sha256, b"k", &[b"s"], 33);
        assert_eq!(&long[..33], &short[..]);
        // The first block is HMAC(k, A(1) || seed) with A(1) = HMAC(k, seed).
        let a1 = HashAlg::Sha256.hmac(b"k", &[b"s"]);
        assert_eq!(&long[..32], &HashAlg::Sha256.hmac(b"k", &[&a1, b"s"])[..]);
    }

    #[test]
    fn keyed_prf_equals_prf() {
        for version in [VERSION_TLS10, VERSION_TLS11, VERSION_TLS12] {
            for hash in [HashAlg::Sha256, HashAlg::Sha384] {
                let key = PrfKey::new(version, hash, &[9u8; 48]).unwrap();
                for len in [0, 12, 47, 48, 49, 104] {
                    assert_eq!(
                        key.expand(b"label", b"seed", len),
                        prf(version, hash, &[9u8; 48], b"label", b"seed", len)
                    );
                }
                let suite = super::super::suites::suite(0xC030).unwrap();
                let suite_key = PrfKey::new(version, suite.prf_hash, &[9u8; 48]).unwrap();
                assert_eq!(
                    key_block_with(&suite_key, &suite, version, &[1u8; 32], &[2u8; 32]),
                    key_block(&suite, version, &[9u8; 48], &[1u8; 32], &[2u8; 32])
                );
                let expected = finished_verify_data(version, hash, &[9u8; 48], true, b"hash").unwrap();
                assert!(verify_finished_with(&key, true, b"hash", &expected));
                assert!(!verify_finished_with(&key, false, b"hash", &expected));
            }
        }
        assert!(PrfKey::new(0x0300, HashAlg::Sha256, &[0u8; 48]).is_none());
    }

    #[test]
    fn key_block_layout() {
        let gcm = suite(0xC02F).unwrap();
        let kb = key_block(&gcm, VERSION_TLS12, &[7u8; 48], &[1u8; 32], &[2u8; 32]).unwrap();
        assert_eq!((kb.client_mac_key.len(), kb.client_key.len(), kb.client_iv.len()), (0, 16, 4));
        let full =
            prf(VERSION_TLS12, HashAlg::Sha256, &[7u8; 48], b"key expansion", &[[2u8; 32], [1u8; 32]].concat(), 40)
                .unwrap();
        assert_eq!(kb.client_key, full[..16]);
        assert_eq!(kb.server_key, full[16..32]);
        assert_eq!(kb.client_iv, full[32..36]);
        assert_eq!(kb.server_iv, full[36..40]);

        let cbc = suite(0x002F).unwrap();
        let kb10 = key_block(&cbc, VERSION_TLS10, &[7u8; 48], &[1u8; 32], &[2u8; 32]).unwrap();
        assert_eq!((kb10.client_mac_key.len(), kb10.client_key.len(), kb10.client_iv.len()), (20, 16, 16));
        let kb12 = key_block(&cbc, VERSION_TLS12, &[7u8; 48], &[1u8; 32], &[2u8; 32]).unwrap();
        assert!(kb12.client_iv.is_empty());
    }

    #[test]
    fn rejects_bad_inputs() {
        let gcm = suite(0xC02F).unwrap();
        assert!(key_block(&gcm, VERSION_TLS12, &[0u8; 47], &[0u8; 32], &[0u8; 32]).is_none());
        assert!(key_block(&gcm, 0x0300, &[0u8; 48], &[0u8; 32], &[0u8; 32]).is_none());
        assert!(key_block(&suite(0x1301).unwrap(), VERSION_TLS12, &[0u8; 48], &[0u8; 32], &[0u8; 32]).is_none());
        assert!(prf(VERSION_TLS12, HashAlg::Sha256, b"", b"", b"", 1 << 20).is_none());
        let mut transcript = Transcript::new();
        transcript.push(b"x");
        assert!(finished_hash(0x0304, HashAlg::Sha256, &transcript).is_none());
        assert_eq!(finished_hash(VERSION_TLS11, HashAlg::Sha256, &transcript).unwrap().len(), 36);
    }
}
