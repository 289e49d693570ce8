//! RSA key exchange opened with the server's private key (`--rsa-key`): the key files, the
//! premaster secret the client encrypted with the server's public key (PKCS#1 v1.5), and the
//! master secret derived from it and the two hello randoms.

use super::hash::HashAlg;
use super::tls12;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};

/// A server's RSA private key, read from a file.
#[derive(Clone)]
pub struct ServerKey {
    /// The file, as given.
    pub path: String,
    key: RsaPrivateKey,
    /// The public modulus, big-endian without leading zeros: what a certificate is matched by.
    modulus: Vec<u8>,
}

impl std::fmt::Debug for ServerKey {
    // The key itself is never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerKey({}, {} bits)", self.path, self.bits())
    }
}

impl ServerKey {
    /// Reads a PEM or DER file holding a PKCS#1 or PKCS#8 RSA private key; an encrypted PKCS#8
    /// key needs `password`. The error says what was wrong in one line.
    pub fn load(path: &str, bytes: &[u8], password: Option<&str>) -> Result<ServerKey, String> {
        let key = parse(bytes, password)?;
        let modulus = strip_zeros(&key.n().to_bytes_be()).to_vec();
        Ok(ServerKey { path: path.to_string(), key, modulus })
    }

    pub fn bits(&self) -> usize {
        self.modulus.len() * 8
    }

    /// Whether this key is the private half of a public key with this modulus.
    pub fn matches(&self, modulus: &[u8]) -> bool {
        strip_zeros(modulus) == self.modulus.as_slice()
    }

    /// Opens an encrypted premaster secret (PKCS#1 v1.5).
    pub fn decrypt(&self, encrypted: &[u8]) -> Result<Vec<u8>, String> {
        self.key.decrypt(Pkcs1v15Encrypt, encrypted).map_err(|_| {
            format!("the encrypted premaster ({} bytes) does not decrypt with this key (PKCS#1 v1.5)", encrypted.len())
        })
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    b.get(first..).unwrap_or(&[])
}

fn parse(bytes: &[u8], password: Option<&str>) -> Result<RsaPrivateKey, String> {
    let text = std::str::from_utf8(bytes).ok().filter(|t| t.contains("-----BEGIN"));
    match text {
        Some(pem) if pem.contains("BEGIN ENCRYPTED PRIVATE KEY") => {
            let Some(password) = password else {
                return Err("the key is encrypted: give its password with --rsa-key-password or \
                            TLSTRACE_KEY_PASSWORD"
                    .into());
            };
            RsaPrivateKey::from_pkcs8_encrypted_pem(pem, password.as_bytes())
                .map_err(|e| format!("cannot decrypt the key (wrong password?): {e}"))
        }
        Some(pem) if pem.contains("Proc-Type: 4,ENCRYPTED") => Err(
            "the key is encrypted in the legacy OpenSSL format: convert it with `openssl pkcs8 -topk8 -in KEY -out \
             KEY.p8` (add -nocrypt for no password)"
                .into(),
        ),
        Some(pem) if pem.contains("BEGIN RSA PRIVATE KEY") => {
            RsaPrivateKey::from_pkcs1_pem(pem).map_err(|e| format!("not a valid PKCS#1 RSA key: {e}"))
        }
        Some(pem) if pem.contains("BEGIN PRIVATE KEY") => RsaPrivateKey::from_pkcs8_pem(pem)
            .map_err(|_| "not an RSA private key (a PKCS#8 key of another algorithm, such as EC?)".to_string()),
        Some(_) => Err("no RSA PRIVATE KEY or PRIVATE KEY block in this PEM file".into()),
        None => RsaPrivateKey::from_pkcs8_der(bytes)
            .or_else(|_| RsaPrivateKey::from_pkcs1_der(bytes))
            .map_err(|_| "not an RSA private key (PEM or DER, PKCS#1 or PKCS#8)".into()),
    }
}

/// Where a TLS <= 1.2 master secret came from, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Derivation {
    /// TLS 1.0-1.2: PRF(premaster, "master secret", client_random + server_random).
    Classic,
    /// RFC 7627: PRF(premaster, "extended master secret", session_hash).
    Extended,
    /// SSL 3.0: MD5 and SHA-1 over the premaster and the randoms (RFC 6101 §6.1).
    Ssl3,
}

impl Derivation {
    pub fn label(self) -> &'static str {
        match self {
            Derivation::Classic => "master secret",
            Derivation::Extended => "extended master secret",
            Derivation::Ssl3 => "SSL 3.0 (MD5 and SHA-1 over 'A', 'BB', 'CCC')",
        }
    }
}

/// The PRF a version and suite use, in words.
pub fn prf_name(version: u16, prf_hash: HashAlg) -> String {
    match version {
        0x0300 => "SSL 3.0 key derivation (MD5 and SHA-1)".to_string(),
        0x0301 | 0x0302 => "TLS 1.0/1.1 PRF (P_MD5 xor P_SHA1)".to_string(),
        _ => format!("TLS 1.2 PRF (P_{})", prf_hash.name()),
    }
}

/// The master secret from a premaster secret. `session_hash` is given for the extended master
/// secret (the handshake hash up to the ClientKeyExchange).
pub fn master_secret(
    version: u16,
    prf_hash: HashAlg,
    premaster: &[u8],
    client_random: &[u8],
    server_random: &[u8],
    session_hash: Option<&[u8]>,
) -> Option<(Vec<u8>, Derivation)> {
    if version == 0x0300 {
        return super::ssl3::master_secret(premaster, client_random, server_random).map(|m| (m, Derivation::Ssl3));
    }
    match session_hash {
        Some(hash) => tls12::prf(version, prf_hash, premaster, b"extended master secret", hash, 48)
            .map(|m| (m, Derivation::Extended)),
        None => {
            let seed = [client_random, server_random].concat();
            tls12::prf(version, prf_hash, premaster, b"master secret", &seed, 48).map(|m| (m, Derivation::Classic))
        }
    }
}
