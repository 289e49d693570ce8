//! The handshake transcript of one connection: the raw handshake messages (4-byte header and
//! body, as on the wire) in order, hashed on demand.
//!
//! The raw bytes are kept rather than a running hash because the hash algorithm is known only once
//! the ServerHello is decoded, and TLS 1.3's HelloRetryRequest rewrites the start of the transcript
//! (RFC 8446 section 4.4.1). A handshake is a few KB; the buffer is capped all the same.

use super::hash::HashAlg;

/// Default cap on the transcript bytes kept (large certificate chains stay well below).
pub const DEFAULT_TRANSCRIPT_CAP: usize = 1 << 20;

/// Handshake message type of the synthetic message that replaces ClientHello1 after a
/// HelloRetryRequest.
const MESSAGE_HASH: u8 = 254;
const SERVER_HELLO: u8 = 2;
/// ServerHello.random value that marks a HelloRetryRequest (RFC 8446 section 4.1.3).
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11,
    0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

/// Whether a raw handshake message (header included) is a HelloRetryRequest.
pub fn is_hello_retry_request(message: &[u8]) -> bool {
    // Header (4) + legacy_version (2), then the 32-byte random.
    message.first() == Some(&SERVER_HELLO) && message.get(6..38) == Some(&HELLO_RETRY_REQUEST_RANDOM[..])
}

#[derive(Clone, Debug)]
pub struct Transcript {
    /// The hash of `buf[..covered]` so far, per algorithm asked for (one, or MD5 and SHA-1 for
    /// a TLS 1.0 or 1.1 Finished): the key schedule hashes the growing transcript several times
    /// per handshake, and rehashing it from the start each time was most of the SHA-384 work of
    /// a keyed run.
    running: std::cell::RefCell<Vec<(HashAlg, usize, RunningHash)>>,
    buf: Vec<u8>,
    cap: usize,
    overflowed: bool,
    messages: usize,
    /// Offset of the first HelloRetryRequest: everything before it (ClientHello1) is replaced by
    /// a message_hash message when hashing.
    hello_retry_at: Option<usize>,
}

impl Default for Transcript {
    fn default() -> Self {
        Self::new()
    }
}

impl Transcript {
    pub fn new() -> Self {
        Self::with_cap(DEFAULT_TRANSCRIPT_CAP)
    }

    pub fn with_cap(cap: usize) -> Self {
        Transcript {
            running: std::cell::RefCell::new(Vec::new()),
            buf: Vec::new(),
            cap,
            overflowed: false,
            messages: 0,
            hello_retry_at: None,
        }
    }

    /// Bytes allocated for the messages (the TLS buffers' share of the memory budget).
    pub fn buffered_bytes(&self) -> usize {
        self.buf.capacity()
    }

    /// Appends one complete handshake message (header and body). Returns false, and marks the
    /// transcript unusable, when the cap would be exceeded: a partial transcript cannot prove a
    /// Finished, so hashes are refused from then on.
    pub fn push(&mut self, message: &[u8]) -> bool {
        if self.overflowed {
            return false;
        }
        if self.buf.len().saturating_add(message.len()) > self.cap {
            self.overflowed = true;
            self.buf = Vec::new();
            return false;
        }
        if self.hello_retry_at.is_none() && is_hello_retry_request(message) {
            self.hello_retry_at = Some(self.buf.len());
            self.running.borrow_mut().clear();
        }
        self.buf.extend_from_slice(message);
        self.messages += 1;
        true
    }

    /// Transcript-Hash of everything pushed so far with `alg`. After a HelloRetryRequest,
    /// ClientHello1 is replaced by message_hash(254) || 00 00 Hash.length || Hash(ClientHello1),
    /// which is what TLS 1.3 hashes. `None` once the transcript overflowed.
    pub fn hash(&self, alg: HashAlg) -> Option<Vec<u8>> {
        if self.overflowed {
            return None;
        }
        match self.hello_retry_at {
            Some(at) if at > 0 => {
                let (first_hello, rest) = self.buf.split_at_checked(at)?;
                let inner = alg.digest(&[first_hello]);
                let header = [MESSAGE_HASH, 0, 0, u8::try_from(inner.len()).ok()?];
                Some(alg.digest(&[&header, &inner, rest]))
            }
            _ => {
                let mut running = self.running.borrow_mut();
                // A hash ahead of the buffer (cannot happen: the buffer only grows until
                // `clear`, which drops the hashes) starts over.
                running.retain(|entry| entry.1 <= self.buf.len());
                let at = match running.iter().position(|entry| entry.0 == alg) {
                    Some(at) => at,
                    None => {
                        running.push((alg, 0, RunningHash::new(alg)));
                        running.len() - 1
                    }
                };
                let entry = running.get_mut(at)?;
                entry.2.update(self.buf.get(entry.1..).unwrap_or_default());
                entry.1 = self.buf.len();
                Some(entry.2.digest())
            }
        }
    }

    /// The raw messages as pushed (no HelloRetryRequest rewriting), `None` once overflowed.
    pub fn raw(&self) -> Option<&[u8]> {
        (!self.overflowed).then_some(self.buf.as_slice())
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Messages pushed.
    pub fn message_count(&self) -> usize {
        self.messages
    }

    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Whether a HelloRetryRequest was pushed.
    pub fn saw_hello_retry_request(&self) -> bool {
        self.hello_retry_at.is_some()
    }

    /// Forgets everything (a renegotiation starts a new transcript).
    pub fn clear(&mut self) {
        self.running.borrow_mut().clear();
        self.buf.clear();
        self.overflowed = false;
        self.messages = 0;
        self.hello_retry_at = None;
    }
}

/// A hash in progress over the transcript.
#[derive(Clone)]
enum RunningHash {
    Md5(md5::Md5),
    Sha1(sha1::Sha1),
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
}

impl std::fmt::Debug for RunningHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunningHash")
    }
}

impl RunningHash {
    fn new(alg: HashAlg) -> Self {
        use sha2::Digest;
        match alg {
            HashAlg::Md5 => RunningHash::Md5(md5::Md5::new()),
            HashAlg::Sha1 => RunningHash::Sha1(sha1::Sha1::new()),
            HashAlg::Sha256 => RunningHash::Sha256(sha2::Sha256::new()),
            HashAlg::Sha384 => RunningHash::Sha384(sha2::Sha384::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        use sha2::Digest;
        match self {
            RunningHash::Md5(h) => h.update(data),
            RunningHash::Sha1(h) => h.update(data),
            RunningHash::Sha256(h) => h.update(data),
            RunningHash::Sha384(h) => h.update(data),
        }
    }

    /// The digest so far; the state goes on.
    fn digest(&self) -> Vec<u8> {
        use sha2::Digest;
        match self {
            RunningHash::Md5(h) => h.clone().finalize().to_vec(),
            RunningHash::Sha1(h) => h.clone().finalize().to_vec(),
            RunningHash::Sha256(h) => h.clone().finalize().to_vec(),
            RunningHash::Sha384(h) => h.clone().finalize().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testvectors::rfc8448;
    use super::*;

    #[test]
    fn running_hash_equals_hash_from_scratch() {
        let mut t = Transcript::new();
        let mut all = Vec::new();
        for (i, len) in [300usize, 90, 2000, 36].into_iter().enumerate() {
            let msg: Vec<u8> = std::iter::once(20 + i as u8).chain(std::iter::repeat_n(i as u8, len)).collect();
            assert!(t.push(&msg));
            all.extend_from_slice(&msg);
            // Alternating algorithms, as a TLS 1.0 Finished (MD5 and SHA-1) asks.
            for alg in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha256, HashAlg::Md5, HashAlg::Sha1, HashAlg::Md5] {
                assert_eq!(t.hash(alg).unwrap(), alg.digest(&[&all]), "{} after {} messages", alg.name(), i + 1);
            }
        }
        t.clear();
        assert!(t.push(b"\x01\x00\x00\x00"));
        assert_eq!(t.hash(HashAlg::Sha384).unwrap(), HashAlg::Sha384.digest(&[b"\x01\x00\x00\x00"]));
    }

    #[test]
    fn rfc8448_transcript_hashes() {
        let v = rfc8448();
        let mut t = Transcript::new();
        assert!(t.push(&v["client_hello"]));
        assert!(t.push(&v["server_hello"]));
        assert_eq!(t.hash(HashAlg::Sha256).unwrap(), v["transcript_ch_sh"]);
        for name in ["encrypted_extensions", "certificate", "certificate_verify", "server_finished"] {
            assert!(t.push(&v[name]));
        }
        assert_eq!(t.hash(HashAlg::Sha256).unwrap(), v["transcript_ch_sf"]);
        assert_eq!(t.message_count(), 6);
        assert!(!t.saw_hello_retry_request());
    }

    fn hello_retry_request() -> Vec<u8> {
        let mut body = vec![0x03, 0x03];
        body.extend_from_slice(&HELLO_RETRY_REQUEST_RANDOM);
        body.extend_from_slice(&[0x00, 0x13, 0x01, 0x00, 0x00, 0x06, 0x00, 0x2b, 0x00, 0x02, 0x03, 0x04]);
        let mut msg = vec![SERVER_HELLO, 0, 0, body.len() as u8];
        msg.extend_from_slice(&body);
        msg
    }

    #[test]
    fn hello_retry_request_replaces_first_client_hello() {
        let ch1 = b"\x01\x00\x00\x03abc".to_vec();
        let hrr = hello_retry_request();
        let ch2 = b"\x01\x00\x00\x04wxyz".to_vec();
        let mut t = Transcript::new();
        t.push(&ch1);
        t.push(&hrr);
        t.push(&ch2);
        assert!(t.saw_hello_retry_request());
        for alg in [HashAlg::Sha256, HashAlg::Sha384] {
            let inner = alg.digest(&[&ch1]);
            let synthetic = [vec![254, 0, 0, inner.len() as u8], inner].concat();
            let expected = alg.digest(&[&synthetic, &hrr, &ch2]);
            assert_eq!(t.hash(alg).unwrap(), expected);
        }
        // The raw bytes are untouched.
        assert_eq!(t.raw().unwrap(), [ch1, hrr, ch2].concat());
    }

    #[test]
    fn ordinary_server_hello_is_not_hello_retry() {
        let v = rfc8448();
        assert!(!is_hello_retry_request(&v["server_hello"]));
        assert!(is_hello_retry_request(&hello_retry_request()));
        assert!(!is_hello_retry_request(&[2, 0, 0]));
    }

    #[test]
    fn cap_makes_transcript_unusable() {
        let mut t = Transcript::with_cap(10);
        assert!(t.push(b"12345678"));
        assert!(!t.push(b"abc"));
        assert!(t.overflowed());
        assert_eq!(t.hash(HashAlg::Sha256), None);
        assert_eq!(t.raw(), None);
        assert!(!t.push(b"a"));
        t.clear();
        assert!(t.push(b"a"));
        assert_eq!(t.hash(HashAlg::Sha256).unwrap(), HashAlg::Sha256.digest(&[b"a"]));
    }
}
