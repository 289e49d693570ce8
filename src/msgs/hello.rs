//! ClientHello, ServerHello (and HelloRetryRequest), and the SSLv2-compatible ClientHello.

use super::extensions::{self, ExtContext, Extension};
use super::names;
use super::names::Name;
use super::reader::{Reader, Result, err};
use serde::Serialize;

/// SHA-256("HelloRetryRequest"): the ServerHello random that marks a HelloRetryRequest (RFC 8446 4.1.3).
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11,
    0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// The last 8 bytes of a TLS 1.3 server's random when it negotiates TLS 1.2 ("DOWNGRD\x01")
/// or an older version ("DOWNGRD\x00"), RFC 8446 4.1.3.
const DOWNGRADE_TLS12: [u8; 8] = *b"DOWNGRD\x01";
const DOWNGRADE_TLS11: [u8; 8] = *b"DOWNGRD\x00";

fn hex_ser<S: serde::Serializer>(v: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&crate::hex_text::lower(v))
}

/// The TLS <= 1.2 reading of a hello random: the first 4 bytes were gmt_unix_time (RFC 5246
/// 7.4.1.2). Many implementations fill them with random bytes instead, so this is a view, not
/// a claim.
/// Serialized as `unix` and `utc` (RFC 3339), the text made as it is written: only the JSON
/// output shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RandomTime {
    pub unix: u32,
}

impl RandomTime {
    fn of(random: &[u8]) -> Option<RandomTime> {
        let first: [u8; 4] = random.get(..4)?.try_into().ok()?;
        Some(RandomTime { unix: u32::from_be_bytes(first) })
    }

    /// RFC 3339 UTC (every 32-bit time has one: `certs::format_rfc3339` covers years 0-9999).
    pub fn utc(&self) -> String {
        crate::certs::format_rfc3339(i64::from(self.unix)).unwrap_or_default()
    }
}

impl Serialize for RandomTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("RandomTime", 2)?;
        m.serialize_field("unix", &self.unix)?;
        m.serialize_field("utc", &self.utc())?;
        m.end()
    }
}

/// DTLS versions are 0xfeXX (one's complement of the TLS numbering), and OpenSSL's
/// pre-standard DTLS 1.0 is 0x0100.
pub fn is_dtls(version: u16) -> bool {
    version >> 8 == 0xfe || version == 0x0100
}

/// The TLS version a DTLS version is built on (its PRF, key block and record protection): DTLS
/// 1.0 is TLS 1.1's, 1.2 TLS 1.2's, 1.3 TLS 1.3's; other versions as they are.
pub fn tls_equivalent(version: u16) -> u16 {
    match version {
        0xfeff | 0x0100 => 0x0302,
        0xfefd => 0x0303,
        0xfefc => 0x0304,
        v => v,
    }
}

/// A DTLS handshake message as its Finished transcript hashes it (RFC 6347 4.2.6): the TLS
/// form's type and length, then message_seq, a fragment offset of 0 and the whole length.
pub fn dtls_transcript_form(raw: &[u8], message_seq: u16) -> Vec<u8> {
    let (header, body) = (raw.get(..4).unwrap_or_default(), raw.get(4..).unwrap_or_default());
    let mut out = Vec::with_capacity(raw.len().saturating_add(8));
    out.extend_from_slice(header);
    out.extend_from_slice(&message_seq.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(header.get(1..).unwrap_or_default());
    out.extend_from_slice(body);
    out
}

/// Serialized by hand (below): the names of the suites and compression methods are looked up
/// as they are written, not kept in the decoded hello (two lists per hello that only the JSON
/// output reads, built on the decoding thread and freed on the output's).
#[derive(Clone, Debug)]
pub struct ClientHello {
    /// legacy_version (client_version before TLS 1.3).
    pub version: u16,
    pub version_name: Name,
    pub random: Vec<u8>,
    /// Only for hellos that do not offer TLS 1.3 (whose randoms are random throughout).
    pub random_time: Option<RandomTime>,
    pub session_id: Vec<u8>,
    /// DTLS only: the cookie echoed from a HelloVerifyRequest, hex.
    pub cookie: Option<String>,
    pub cipher_suites: Vec<u16>,
    pub compression_methods: Vec<u8>,
    pub sni: Option<String>,
    /// True for the SSLv2-format (backward-compatible) hello.
    pub sslv2_format: bool,
    pub extensions: Vec<Extension>,
    /// Carried in QUIC CRYPTO frames (set by the connection layer; JA4 starts with `q`).
    pub over_quic: bool,
}

/// The names of a list of code points, looked up as they are serialized.
struct NamesOf<'a, T>(&'a [T], fn(T) -> Name);

impl<T: Copy> Serialize for NamesOf<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|&code| (self.1)(code)))
    }
}

impl Serialize for ClientHello {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("ClientHello", 11)?;
        m.serialize_field("version", &self.version)?;
        m.serialize_field("version_name", &self.version_name)?;
        m.serialize_field("random", &crate::hex_text::lower(&self.random))?;
        if let Some(random_time) = &self.random_time {
            m.serialize_field("random_time", random_time)?;
        }
        m.serialize_field("session_id", &crate::hex_text::lower(&self.session_id))?;
        if let Some(cookie) = &self.cookie {
            m.serialize_field("cookie", cookie)?;
        }
        m.serialize_field("cipher_suites", &self.cipher_suites)?;
        m.serialize_field("cipher_suite_names", &NamesOf(&self.cipher_suites, names::cipher_suite_name))?;
        m.serialize_field("compression_methods", &self.compression_methods)?;
        m.serialize_field(
            "compression_method_names",
            &NamesOf(&self.compression_methods, names::compression_method_name),
        )?;
        m.serialize_field("sni", &self.sni)?;
        if self.sslv2_format {
            m.serialize_field("sslv2_format", &self.sslv2_format)?;
        }
        m.serialize_field("extensions", &self.extensions)?;
        m.end()
    }
}

impl ClientHello {
    /// Names of the offered cipher suites.
    pub fn cipher_suite_names(&self) -> Vec<Name> {
        self.cipher_suites.iter().map(|&c| names::cipher_suite_name(c)).collect()
    }

    /// Names of the offered compression methods.
    pub fn compression_method_names(&self) -> Vec<Name> {
        self.compression_methods.iter().map(|&c| names::compression_method_name(c)).collect()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ServerHello {
    pub version: u16,
    pub version_name: Name,
    /// Empty for the draft TLS 1.3 HelloRetryRequest message (type 6), which has no random.
    #[serde(serialize_with = "hex_ser")]
    pub random: Vec<u8>,
    /// Only when the negotiated version is TLS 1.2 or older.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub random_time: Option<RandomTime>,
    /// A TLS 1.3 server's downgrade marker at the end of the random: "TLS 1.2" or "TLS 1.1".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downgrade_sentinel: Option<&'static str>,
    #[serde(serialize_with = "hex_ser")]
    pub session_id: Vec<u8>,
    pub cipher_suite: u16,
    pub cipher_suite_name: Name,
    pub compression_method: u8,
    pub compression_method_name: Name,
    /// From supported_versions (TLS 1.3), else null.
    pub selected_version: Option<u16>,
    pub hello_retry_request: bool,
    /// HelloRetryRequest only: the key_share group the server asks for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_group: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selected_group_name: Option<Name>,
    /// HelloRetryRequest only: the cookie extension, hex, and its length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookie: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookie_length: Option<usize>,
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
        let cookie = if is_dtls(version) { Some(crate::hex_text::lower(r.vec8("cookie")?)) } else { None };
        let mut suites = r.sub16("cipher_suites")?;
        let cipher_suites = suites.u16_list("cipher_suites")?;
        let compression_methods = r.vec8("compression_methods")?.to_vec();
        // Extensions are optional (SSLv3 and old TLS hellos end here).
        let extensions =
            if r.is_empty() { Vec::new() } else { extensions::parse_extension_block(&mut r, ExtContext::ClientHello)? };
        let random_time = if extensions::offers_tls13(&extensions) { None } else { RandomTime::of(&random) };
        Ok(ClientHello {
            version,
            version_name: names::version_name(version),
            random,
            random_time,
            session_id: session_id.to_vec(),
            cookie,
            cipher_suites,
            compression_methods,
            sni: extensions::sni(&extensions),
            sslv2_format: false,
            over_quic: false,
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
        let cipher_suites: Vec<u16> = specs
            .chunks_exact(3)
            .filter_map(|c| match c {
                [0, hi, lo] => Some(u16::from_be_bytes([*hi, *lo])),
                // SSLv2-only ciphers have no TLS code point; keep them visible as 0xffff-masked.
                _ => None,
            })
            .collect();
        // The challenge becomes the right-aligned, zero-padded client random (RFC 6101 E.1).
        let mut random = vec![0u8; 32usize.saturating_sub(challenge.len())];
        random.extend_from_slice(challenge);
        Ok(ClientHello {
            version,
            version_name: names::version_name(version),
            random,
            random_time: None,
            session_id,
            cookie: None,
            cipher_suites,
            compression_methods: vec![0],
            sni: None,
            sslv2_format: true,
            over_quic: false,
            extensions: Vec::new(),
        })
    }

    pub fn offered_versions(&self) -> Option<&[u16]> {
        extensions::offered_versions(&self.extensions)
    }

    /// The highest version offered: the top of supported_versions (GREASE left out), else the
    /// legacy version field.
    pub fn highest_offered_version(&self) -> u16 {
        self.offered_versions()
            .and_then(|v| v.iter().copied().filter(|v| !crate::registry::is_grease(*v)).max())
            .unwrap_or(self.version)
    }

    /// What the intact front of a ClientHello cut by a gap still tells: version and random
    /// (else nothing), then the session id, cipher suites, compression methods and whole
    /// extensions as far as they were captured. Also returns the field the cut fell in.
    pub fn decode_prefix(body: &[u8]) -> (Option<ClientHello>, &'static str) {
        let mut r = Reader::new(body);
        let Ok(version) = r.u16("client_version") else { return (None, "client_version") };
        let Ok(random) = r.bytes(32, "random") else { return (None, "random") };
        let mut hello = ClientHello {
            version,
            version_name: names::version_name(version),
            random: random.to_vec(),
            random_time: None,
            session_id: Vec::new(),
            cookie: None,
            cipher_suites: Vec::new(),
            compression_methods: Vec::new(),
            sni: None,
            sslv2_format: false,
            over_quic: false,
            extensions: Vec::new(),
        };
        let cut_in = (|| -> std::result::Result<(), &'static str> {
            hello.session_id = r.vec8("session_id").map_err(|_| "session_id")?.to_vec();
            if is_dtls(version) {
                let cookie = r.vec8("cookie").map_err(|_| "cookie")?;
                hello.cookie = Some(crate::hex_text::lower(cookie));
            }
            let (suites, whole) = prefix_of(&mut r, 2).ok_or("cipher_suites")?;
            hello.cipher_suites =
                suites.chunks_exact(2).filter_map(|c| c.try_into().ok().map(u16::from_be_bytes)).collect();
            if !whole {
                return Err("cipher_suites");
            }
            hello.compression_methods = r.vec8("compression_methods").map_err(|_| "compression_methods")?.to_vec();
            if r.is_empty() {
                return Err("extensions");
            }
            let (block, whole) = prefix_of(&mut r, 2).ok_or("extensions")?;
            hello.extensions =
                extensions::parse_extensions(extensions::whole_extensions(block), ExtContext::ClientHello)
                    .unwrap_or_default();
            Err(if whole { "after the extensions" } else { "extensions" })
        })()
        .err()
        .unwrap_or("extensions");
        hello.sni = extensions::sni(&hello.extensions);
        if !extensions::offers_tls13(&hello.extensions) {
            hello.random_time = RandomTime::of(&hello.random);
        }
        (Some(hello), cut_in)
    }
}

/// A 16-bit-length-prefixed list cut short: the captured part of it (trimmed to whole items of
/// `item` bytes) and whether it was whole. None when the length itself is missing.
fn prefix_of<'a>(r: &mut Reader<'a>, item: usize) -> Option<(&'a [u8], bool)> {
    let len = usize::from(r.u16("length").ok()?);
    let whole = r.remaining() >= len;
    let have = len.min(r.remaining());
    let bytes = r.bytes(have, "list").ok()?;
    let whole_items = have.checked_div(item).unwrap_or(have).saturating_mul(item.max(1));
    let items = bytes.get(..whole_items).unwrap_or_default();
    Some((items, whole))
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
            let exts = extensions::parse_extension_block(&mut r, ctx)?;
            r.expect_end("ServerHello trailing bytes")?;
            exts
        };
        Ok(ServerHello::assemble(
            version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            hello_retry_request,
            extensions,
        ))
    }

    /// What the intact front of a ServerHello cut by a gap still tells: version and random
    /// (else nothing), then session id, cipher suite, compression method and whole extensions
    /// as far as they were captured. Also returns the field the cut fell in.
    pub fn decode_prefix(body: &[u8]) -> (Option<ServerHello>, &'static str) {
        let mut r = Reader::new(body);
        let Ok(version) = r.u16("server_version") else { return (None, "server_version") };
        let Ok(random) = r.bytes(32, "random") else { return (None, "random") };
        let random = random.to_vec();
        let hello_retry_request = random == HELLO_RETRY_REQUEST_RANDOM;
        let session_id = r.vec8("session_id").map(<[u8]>::to_vec);
        let suite = r.u16("cipher_suite").ok();
        let compression = r.u8("compression_method").ok();
        let (cut_in, extensions) = match (&session_id, suite, compression) {
            (Err(_), _, _) => ("session_id", Vec::new()),
            (_, None, _) => ("cipher_suite", Vec::new()),
            (_, _, None) => ("compression_method", Vec::new()),
            _ if r.is_empty() => ("extensions", Vec::new()),
            _ => match prefix_of(&mut r, 1) {
                None => ("extensions", Vec::new()),
                Some((block, whole)) => {
                    let ctx = if hello_retry_request { ExtContext::HelloRetryRequest } else { ExtContext::ServerHello };
                    let exts =
                        extensions::parse_extensions(extensions::whole_extensions(block), ctx).unwrap_or_default();
                    (if whole { "after the extensions" } else { "extensions" }, exts)
                }
            },
        };
        let hello = ServerHello::assemble(
            version,
            random,
            session_id.unwrap_or_default(),
            suite.unwrap_or(0),
            compression.unwrap_or(0),
            hello_retry_request,
            extensions,
        );
        (Some(hello), cut_in)
    }

    /// The HelloRetryRequest message of TLS 1.3 drafts (handshake type 6): a version, in
    /// drafts -19 to -21 a cipher suite, then extensions. Decoded into the ServerHello shape
    /// with `hello_retry_request` set, an empty random and session id.
    pub fn decode_draft_hello_retry_request(body: &[u8]) -> Result<ServerHello> {
        let with_suite = |body| -> Result<(u16, u16, Vec<Extension>)> {
            let mut r = Reader::new(body);
            let version = r.u16("server_version")?;
            let suite = r.u16("cipher_suite")?;
            let exts = extensions::parse_extension_block(&mut r, ExtContext::HelloRetryRequest)?;
            r.expect_end("bytes after HelloRetryRequest extensions")?;
            Ok((version, suite, exts))
        };
        let without_suite = |body| -> Result<(u16, u16, Vec<Extension>)> {
            let mut r = Reader::new(body);
            let version = r.u16("server_version")?;
            let exts = extensions::parse_extension_block(&mut r, ExtContext::HelloRetryRequest)?;
            r.expect_end("bytes after HelloRetryRequest extensions")?;
            Ok((version, 0, exts))
        };
        let (version, suite, exts) = with_suite(body).or_else(|_| without_suite(body))?;
        Ok(ServerHello::assemble(version, Vec::new(), Vec::new(), suite, 0, true, exts))
    }

    fn assemble(
        version: u16,
        random: Vec<u8>,
        session_id: Vec<u8>,
        cipher_suite: u16,
        compression_method: u8,
        hello_retry_request: bool,
        extensions: Vec<Extension>,
    ) -> ServerHello {
        let selected_version = extensions::selected_version(&extensions);
        let negotiated = selected_version.unwrap_or(version);
        let random_time = if hello_retry_request || is_tls13(negotiated) { None } else { RandomTime::of(&random) };
        let downgrade_sentinel = match random.get(24..) {
            Some(tail) if !hello_retry_request && tail == DOWNGRADE_TLS12 => Some("TLS 1.2"),
            Some(tail) if !hello_retry_request && tail == DOWNGRADE_TLS11 => Some("TLS 1.1"),
            _ => None,
        };
        let (selected_group, cookie) = if hello_retry_request {
            (extensions::retry_group(&extensions), extensions::cookie(&extensions))
        } else {
            (None, None)
        };
        ServerHello {
            version,
            version_name: names::version_name(version),
            random,
            random_time,
            downgrade_sentinel,
            session_id,
            cipher_suite,
            cipher_suite_name: names::cipher_suite_name(cipher_suite),
            compression_method,
            compression_method_name: names::compression_method_name(compression_method),
            selected_version,
            hello_retry_request,
            selected_group,
            selected_group_name: selected_group.map(names::group_name),
            cookie_length: cookie.map(<[u8]>::len),
            cookie: cookie.map(crate::hex_text::lower),
            extensions,
        }
    }

    /// The protocol version this hello settles on.
    pub fn negotiated_version(&self) -> u16 {
        self.selected_version.unwrap_or(self.version)
    }
}

/// True for TLS 1.3 and its drafts/experiments, whose handshake is encrypted after the ServerHello.
pub fn is_tls13(version: u16) -> bool {
    // DTLS 1.3 (0xfefc) is TLS 1.3 over datagrams: the same messages and key schedule.
    version == 0x0304
        || version == 0xfefc
        || (0x7f00..=0x7fff).contains(&version)
        || (0x7e00..=0x7eff).contains(&version)
}
