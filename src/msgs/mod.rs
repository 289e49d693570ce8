//! Message decoders: one type per TLS message, over a bounds-checked `Reader`.
//!
//! Layer 5 of the pipeline. Decoders take the body of one complete message (framing is the
//! `tls` layer's job) and return typed values; they never panic and never trust a length.

pub mod extensions;
pub mod hello;
pub mod reader;

pub use hello::{ClientHello, ServerHello};
use serde::Serialize;

/// What the decoder needs to know about the connection: layouts differ by version.
#[derive(Clone, Copy, Debug, Default)]
pub struct DecodeContext {
    /// Negotiated version once the ServerHello is known.
    pub version: Option<u16>,
    /// Negotiated cipher suite once known (ServerKeyExchange/ClientKeyExchange layouts depend on it).
    pub cipher_suite: Option<u16>,
    /// True when decoding a message sent by the server.
    pub from_server: bool,
}

/// Decoded handshake message contents, serialized flat into the JSON `message` event: each
/// variant's fields become top-level keys (`client_hello`, `server_hello`, ...).
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum HandshakeBody {
    ClientHello {
        client_hello: ClientHello,
    },
    ServerHello {
        server_hello: ServerHello,
    },
    /// Not decoded beyond type and length (or the decoder failed: see `decode_error`).
    Opaque {},
}

/// A decoded handshake message.
#[derive(Clone, Debug)]
pub struct Decoded {
    pub body: HandshakeBody,
    /// Set when the body did not parse: what was malformed.
    pub error: Option<String>,
}

/// Display name of a handshake message type, e.g. "ClientHello". HelloRetryRequest is a
/// ServerHello with a special random: the caller renames it after decoding.
pub fn handshake_name(msg_type: u8) -> String {
    let name = match msg_type {
        0 => "HelloRequest",
        1 => "ClientHello",
        2 => "ServerHello",
        3 => "HelloVerifyRequest",
        4 => "NewSessionTicket",
        5 => "EndOfEarlyData",
        6 => "HelloRetryRequest",
        8 => "EncryptedExtensions",
        9 => "RequestConnectionId",
        10 => "NewConnectionId",
        11 => "Certificate",
        12 => "ServerKeyExchange",
        13 => "CertificateRequest",
        14 => "ServerHelloDone",
        15 => "CertificateVerify",
        16 => "ClientKeyExchange",
        17 => "ClientCertificateRequest",
        20 => "Finished",
        21 => "CertificateUrl",
        22 => "CertificateStatus",
        23 => "SupplementalData",
        24 => "KeyUpdate",
        25 => "CompressedCertificate",
        26 => "EktKey",
        67 => "NextProtocol",
        254 => "MessageHash",
        _ => return format!("Unknown{msg_type}"),
    };
    name.to_string()
}

/// Decodes one handshake message body.
pub fn decode_handshake(msg_type: u8, body: &[u8], _ctx: &DecodeContext) -> Decoded {
    let result = match msg_type {
        1 => ClientHello::decode(body).map(|client_hello| HandshakeBody::ClientHello { client_hello }),
        2 => ServerHello::decode(body).map(|server_hello| HandshakeBody::ServerHello { server_hello }),
        _ => Ok(HandshakeBody::Opaque {}),
    };
    match result {
        Ok(body) => Decoded { body, error: None },
        Err(e) => Decoded { body: HandshakeBody::Opaque {}, error: Some(e.to_string()) },
    }
}
