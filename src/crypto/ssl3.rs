//! SSL 3.0 (RFC 6101): its key block, its record MAC and its Finished, which predate the TLS PRF
//! and HMAC and are built from MD5 and SHA-1 directly.
//!
//! The master secret comes from the key log (`CLIENT_RANDOM` lines, as for TLS <= 1.2), so the
//! SSL 3.0 master secret computation is not needed here.

use super::hash::{HashAlg, ct_eq};
use super::suites::SuiteParams;
use super::tls12::{KeyBlock, MASTER_SECRET_LEN};
use super::transcript::Transcript;

pub const VERSION_SSL30: u16 = 0x0300;

/// Length of the SSL 3.0 Finished body: MD5 (16) and SHA-1 (20) hashes.
pub const FINISHED_LEN: usize = 36;

/// pad_1 and pad_2 bytes of the MAC and Finished (RFC 6101 5.2.3.1).
const PAD1: u8 = 0x36;
const PAD2: u8 = 0x5C;

/// Pad length for a hash: 48 bytes for MD5, 40 for SHA-1 (so that secret + pad fills a block).
fn pad_len(alg: HashAlg) -> usize {
    if alg == HashAlg::Md5 { 48 } else { 40 }
}

/// MD5(secret + SHA('A' + secret + seed)) + MD5(secret + SHA('BB' + secret + seed)) + ...,
/// truncated to `out_len` (RFC 6101 6.1 and 6.2.2); `None` past 26 rounds (the letters run out).
fn md5_sha_expand(secret: &[u8], seed: &[&[u8]], out_len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(out_len.saturating_add(16));
    let mut round = 0u8;
    while out.len() < out_len {
        if round >= 26 {
            return None;
        }
        round = round.saturating_add(1);
        let letters = vec![b'A'.saturating_add(round.saturating_sub(1)); usize::from(round)];
        let mut inner_parts: Vec<&[u8]> = vec![&letters, secret];
        inner_parts.extend_from_slice(seed);
        let inner = HashAlg::Sha1.digest(&inner_parts);
        out.extend_from_slice(&HashAlg::Md5.digest(&[secret, &inner]));
    }
    out.truncate(out_len);
    Some(out)
}

/// The SSL 3.0 master secret from a premaster secret (RFC 6101 8.1), for callers that have the
/// premaster (an RSA key) rather than a key log.
pub fn master_secret(premaster: &[u8], client_random: &[u8], server_random: &[u8]) -> Option<Vec<u8>> {
    md5_sha_expand(premaster, &[client_random, server_random], MASTER_SECRET_LEN)
}

/// The key block of an SSL 3.0 connection, split into its parts, with export keys and IVs
/// already expanded (RFC 6101 6.2.2). `None` for inputs of the wrong length.
pub fn key_block(
    suite: &SuiteParams,
    master_secret: &[u8],
    client_random: &[u8],
    server_random: &[u8],
) -> Option<KeyBlock> {
    if suite.tls13 || suite.is_aead() || master_secret.len() != MASTER_SECRET_LEN {
        return None;
    }
    if client_random.len() != 32 || server_random.len() != 32 {
        return None;
    }
    let iv_len = suite.fixed_iv_len;
    let total = 2 * (suite.mac_key_len + suite.key_len + iv_len);
    let block = md5_sha_expand(master_secret, &[server_random, client_random], total)?;
    let mut kb = KeyBlock::split(&block, suite, iv_len)?;
    if suite.cipher.is_export() {
        // final_client_write_key = MD5(client_write_key + client_random + server_random), the
        // server's with the randoms swapped; the IVs are MD5 of the randoms alone.
        let key_len = suite.cipher.key_len();
        let block_len = suite.cipher.block_len();
        let expand = |key: &[u8], first: &[u8], second: &[u8], len: usize| -> Option<Vec<u8>> {
            HashAlg::Md5.digest(&[key, first, second]).get(..len).map(<[u8]>::to_vec)
        };
        kb.client_key = expand(&kb.client_key, client_random, server_random, key_len)?;
        kb.server_key = expand(&kb.server_key, server_random, client_random, key_len)?;
        kb.client_iv = expand(&[], client_random, server_random, block_len)?;
        kb.server_iv = expand(&[], server_random, client_random, block_len)?;
    }
    Some(kb)
}

/// The SSL 3.0 record MAC: hash(secret + pad_2 + hash(secret + pad_1 + seq_num + type + length +
/// content)). No protocol version in it, unlike TLS's HMAC.
#[derive(Clone)]
pub struct Ssl3Mac {
    alg: HashAlg,
    secret: Vec<u8>,
}

impl std::fmt::Debug for Ssl3Mac {
    /// The algorithm only: the key stays out of debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ssl3Mac({})", self.alg.name())
    }
}

impl Ssl3Mac {
    pub fn new(alg: HashAlg, secret: &[u8]) -> Self {
        Ssl3Mac { alg, secret: secret.to_vec() }
    }

    pub fn alg(&self) -> HashAlg {
        self.alg
    }

    pub fn mac(&self, seq: u64, content_type: u8, content: &[u8]) -> Option<Vec<u8>> {
        let pad1 = vec![PAD1; pad_len(self.alg)];
        let pad2 = vec![PAD2; pad_len(self.alg)];
        let length = u16::try_from(content.len()).ok()?.to_be_bytes();
        let inner = self.alg.digest(&[&self.secret, &pad1, &seq.to_be_bytes(), &[content_type], &length, content]);
        Some(self.alg.digest(&[&self.secret, &pad2, &inner]))
    }
}

/// Sender constants of the Finished hashes: "CLNT" and "SRVR".
const SENDER_CLIENT: &[u8] = b"CLNT";
const SENDER_SERVER: &[u8] = b"SRVR";

/// The Finished body a side must send: md5_hash + sha_hash, each
/// hash(master + pad_2 + hash(handshake_messages + Sender + master + pad_1)) (RFC 6101 5.6.9).
/// `None` once the transcript overflowed.
pub fn finished(master_secret: &[u8], transcript: &Transcript, from_client: bool) -> Option<Vec<u8>> {
    let sender = if from_client { SENDER_CLIENT } else { SENDER_SERVER };
    let mut out = Vec::with_capacity(FINISHED_LEN);
    for alg in [HashAlg::Md5, HashAlg::Sha1] {
        let pad1 = vec![PAD1; pad_len(alg)];
        let pad2 = vec![PAD2; pad_len(alg)];
        // SSL 3.0 has no HelloRetryRequest: the raw messages are what it hashes.
        let inner = alg.digest(&[transcript.raw()?, sender, master_secret, &pad1]);
        out.extend_from_slice(&alg.digest(&[master_secret, &pad2, &inner]));
    }
    Some(out)
}

/// Whether a received SSL 3.0 Finished body matches the expected one.
pub fn verify_finished(master_secret: &[u8], transcript: &Transcript, from_client: bool, received: &[u8]) -> bool {
    finished(master_secret, transcript, from_client).is_some_and(|expected| ct_eq(&expected, received))
}
