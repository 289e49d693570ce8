//! ClientHello, ServerHello (and HelloRetryRequest), and the SSLv2-compatible ClientHello.

use super::extensions::{self, ExtContext, Extension};
use super::reader::{Reader, Result, err};
use serde::Serialize;

/// SHA-256("HelloRetryRequest"): the ServerHello random that marks a HelloRetryRequest (RFC 8446 4.1.3).
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11,
    0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

fn hex_ser<S: serde::Serializer>(v: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(v))
}

#[derive(Clone, Debug, Serialize)]
pub struct ClientHello {
    /// legacy_version (client_version before TLS 1.3).
    pub version: u16,
    #[serde(serialize_with = "hex_ser")]
    pub random: Vec<u8>,
    #[serde(serialize_with = "hex_ser")]
    pub session_id: Vec<u8>,
    pub cipher_suites: Vec<u16>,
    pub compression_methods: Vec<u8>,
    pub sni: Option<String>,
    /// True for the SSLv2-format (backward-compatible) hello.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sslv2_format: bool,
    pub extensions: Vec<Extension>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ServerHello {
    pub version: u16,
    #[serde(serialize_with = "hex_ser")]
    pub random: Vec<u8>,
    #[serde(serialize_with = "hex_ser")]
    pub session_id: Vec<u8>,
    pub cipher_suite: u16,
    pub compression_method: u8,
    /// From supported_versions (TLS 1.3), else null.
    pub selected_version: Option<u16>,
    pub hello_retry_request: bool,
    pub extensions: Vec<Extension>,
}

impl ClientHello {
    pub fn decode(body: &[u8]) -> Result<ClientHello> {
        let mut r = Reader::new(body);
        let version = r.u16("client_version")?;
        let random = r.bytes(32, "random")?.to_vec();
        let session_id = r.vec8("session_id")?;
        if session_id.len() > 32 {
            return err("session_id length");
        }
        let mut suites = r.sub16("cipher_suites")?;
        let cipher_suites = suites.u16_list("cipher_suites")?;
        let compression_methods = r.vec8("compression_methods")?.to_vec();
        // Extensions are optional (SSLv3 and old TLS hellos end here).
        let extensions = if r.is_empty() {
            Vec::new()
        } else {
            let block = r.vec16("extensions")?;
            extensions::parse_extensions(block, ExtContext::ClientHello)?
        };
        Ok(ClientHello {
            version,
            random,
            session_id: session_id.to_vec(),
            cipher_suites,
            compression_methods,
            sni: extensions::sni(&extensions),
            sslv2_format: false,
            extensions,
        })
    }

    /// The SSLv2 CLIENT-HELLO body (after the 2- or 3-byte record header and the message type):
    /// version, cipher_spec_length, session_id_length, challenge_length, then the lists.
    /// Cipher specs are 3 bytes; those with a zero first byte are TLS suites.
    pub fn decode_sslv2(body: &[u8]) -> Result<ClientHello> {
        let mut r = Reader::new(body);
        let version = r.u16("version")?;
        let spec_len = r.u16("cipher_spec_length")?;
        let sid_len = r.u16("session_id_length")?;
        let challenge_len = r.u16("challenge_length")?;
        if spec_len % 3 != 0 || !(16..=32).contains(&challenge_len) {
            return err("SSLv2 ClientHello lengths");
        }
        let specs = r.bytes(usize::from(spec_len), "cipher_specs")?;
        let session_id = r.bytes(usize::from(sid_len), "session_id")?.to_vec();
        let challenge = r.bytes(usize::from(challenge_len), "challenge")?;
        let cipher_suites = specs
            .chunks_exact(3)
            .filter_map(|c| match c {
                [0, hi, lo] => Some(u16::from_be_bytes([*hi, *lo])),
                // SSLv2-only ciphers have no TLS code point; keep them visible as 0xffff-masked.
                _ => None,
            })
            .collect();
        // The challenge becomes the right-aligned, zero-padded client random (RFC 6101 E.1).
        let mut random = vec![0u8; 32 - challenge.len()];
        random.extend_from_slice(challenge);
        Ok(ClientHello {
            version,
            random,
            session_id,
            cipher_suites,
            compression_methods: vec![0],
            sni: None,
            sslv2_format: true,
            extensions: Vec::new(),
        })
    }

    pub fn offered_versions(&self) -> Option<&[u16]> {
        extensions::offered_versions(&self.extensions)
    }
}

impl ServerHello {
    pub fn decode(body: &[u8]) -> Result<ServerHello> {
        let mut r = Reader::new(body);
        let version = r.u16("server_version")?;
        // TLS 1.3 drafts before 22 had no session id / compression in the ServerHello; some
        // draft servers put 0x0304 in that layout, so a 1.3 hello that fails the final layout
        // is tried again in the draft one.
        let draft_layout = (0x7f00..0x7f16).contains(&version);
        match Self::decode_layout(body, draft_layout) {
            Err(e) if !draft_layout && is_tls13(version) => Self::decode_layout(body, true).map_err(|_| e),
            other => other,
        }
    }

    fn decode_layout(body: &[u8], draft_layout: bool) -> Result<ServerHello> {
        let mut r = Reader::new(body);
        let version = r.u16("server_version")?;
        let random = r.bytes(32, "random")?.to_vec();
        let hello_retry_request = random == HELLO_RETRY_REQUEST_RANDOM;
        let session_id = if draft_layout { Vec::new() } else { r.vec8("session_id")?.to_vec() };
        let cipher_suite = r.u16("cipher_suite")?;
        let compression_method = if draft_layout { 0 } else { r.u8("compression_method")? };
        let ctx = if hello_retry_request { ExtContext::HelloRetryRequest } else { ExtContext::ServerHello };
        let extensions = if r.is_empty() {
            Vec::new()
        } else {
            let block = r.vec16("extensions")?;
            let exts = extensions::parse_extensions(block, ctx)?;
            r.expect_end("ServerHello trailing bytes")?;
            exts
        };
        Ok(ServerHello {
            version,
            random,
            session_id: session_id.to_vec(),
            cipher_suite,
            compression_method,
            selected_version: extensions::selected_version(&extensions),
            hello_retry_request,
            extensions,
        })
    }

    /// The protocol version this hello settles on.
    pub fn negotiated_version(&self) -> u16 {
        self.selected_version.unwrap_or(self.version)
    }
}

/// True for TLS 1.3 and its drafts/experiments, whose handshake is encrypted after the ServerHello.
pub fn is_tls13(version: u16) -> bool {
    version == 0x0304 || (0x7f00..=0x7fff).contains(&version) || (0x7e00..=0x7eff).contains(&version)
}
