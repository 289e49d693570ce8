//! Message decoders: one type per TLS message, over a bounds-checked `Reader`.
//!
//! Layer 5 of the pipeline. Decoders take the body of one complete message (framing is the
//! `tls` layer's job) and return typed values; they never panic and never trust a length.

#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

pub mod alert;
pub mod certificate;
pub mod certificate_status;
pub mod extensions;
pub mod hello;
pub mod key_exchange;
pub mod kind;
pub mod names;
pub mod reader;
pub mod session;

#[cfg(test)]
pub(crate) mod fuzz_tests;
#[cfg(test)]
mod tests;

/// The typed code points, here for the decoders' users (`msgs::HandshakeType::ClientHello`).
pub use crate::registry::{
    AlertDescription, AlertLevel, CipherSuiteId, ContentType, ExtensionType, HandshakeType, NamedGroup, SignatureScheme,
};
pub use alert::{Alert, decode_alert};
pub use certificate::{
    Certificate, CertificateContext, CertificateEntry, CertificateRequest, CertificateStatus, CertificateVerify,
    CompressedCertificate,
};
pub use hello::{ClientHello, ServerHello};
pub use key_exchange::{ClientKeyExchange, KeyExchange, ServerKeyExchange};
pub use kind::MessageKind;
pub use session::{EncryptedExtensions, Finished, HelloVerifyRequest, KeyUpdate, NewSessionTicket, NextProtocol};

use crate::certs::ChainCheck;
use crate::time::Timestamp;
use reader::{Reader, Result};
use serde::Serialize;

/// What the decoder needs to know about the connection: layouts differ by version, key
/// exchange and negotiated certificate type, and certificate checks need time and server name.
#[derive(Clone, Debug, Default)]
pub struct DecodeContext {
    /// Negotiated version once the ServerHello is known.
    pub version: Option<u16>,
    /// Negotiated cipher suite once known (ServerKeyExchange/ClientKeyExchange layouts depend on it).
    pub cipher_suite: Option<u16>,
    /// True when decoding a message sent by the server.
    pub from_server: bool,
    /// When the message was captured: certificates are judged expired or not at this time.
    pub capture_time: Option<Timestamp>,
    /// The server name the client asked for: server certificates are matched against it.
    pub sni: Option<String>,
    /// The certificate type negotiated for this sender's Certificate message (RFC 7250
    /// server/client_certificate_type); None means X.509.
    pub certificate_type: Option<u8>,
    /// The CAs the server's CertificateRequest named (text), for the client's chain. Boxed:
    /// a context lives as long as its flow, and few flows see a CertificateRequest.
    pub requested_cas: Option<Box<Vec<String>>>,
    /// The server's certificates (DER, leaf first), kept only when a CertificateStatus may
    /// follow: its OCSP response is about the leaf and signed by its issuer.
    /// Boxed: a context lives as long as its flow, and few flows see a CertificateStatus.
    pub server_certificates: Option<Box<Vec<Vec<u8>>>>,
}

/// What a Certificate's chain is judged against besides the [`DecodeContext`]: passed per
/// message rather than kept in the context, which every flow holds.
#[derive(Clone, Copy, Debug, Default)]
pub struct TrustInputs<'a> {
    /// The anchors; None: the compiled-in Mozilla set.
    pub store: Option<&'a crate::certs::TrustStore>,
    /// The server's address: its certificate is checked for it when the client sent no SNI.
    pub server_ip: Option<std::net::IpAddr>,
}

/// The JSON of a message with no fields: `{}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NoFields {}

fn hex_opt<S: serde::Serializer>(v: &Option<Vec<u8>>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(bytes) => s.serialize_str(&crate::hex_text::lower(bytes)),
        None => s.serialize_none(),
    }
}

/// Decoded handshake message contents, serialized flat into the JSON `message` event: each
/// variant's fields become top-level keys (`client_hello`, `server_hello`, ...). Every variant
/// has its own keys, named after the message.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum HandshakeBody {
    HelloRequest {
        hello_request: NoFields,
    },
    ClientHello {
        client_hello: Box<ClientHello>,
    },
    /// Also HelloRetryRequest (`server_hello.hello_retry_request` is true).
    ServerHello {
        server_hello: Box<ServerHello>,
    },
    HelloVerifyRequest {
        hello_verify_request: HelloVerifyRequest,
    },
    NewSessionTicket {
        new_session_ticket: NewSessionTicket,
    },
    EndOfEarlyData {
        end_of_early_data: NoFields,
    },
    EncryptedExtensions {
        encrypted_extensions: EncryptedExtensions,
    },
    Certificate {
        /// TLS 1.3 only, hex.
        #[serde(serialize_with = "hex_opt", skip_serializing_if = "Option::is_none")]
        certificate_request_context: Option<Vec<u8>>,
        certificates: Vec<CertificateEntry>,
        chain: Option<ChainCheck>,
    },
    ServerKeyExchange {
        server_key_exchange: Box<ServerKeyExchange>,
    },
    CertificateRequest {
        certificate_request: CertificateRequest,
    },
    ServerHelloDone {
        server_hello_done: NoFields,
    },
    CertificateVerify {
        certificate_verify: CertificateVerify,
    },
    ClientKeyExchange {
        client_key_exchange: Box<ClientKeyExchange>,
    },
    Finished {
        finished: Finished,
    },
    CertificateStatus {
        certificate_status: CertificateStatus,
    },
    KeyUpdate {
        key_update: KeyUpdate,
    },
    CompressedCertificate {
        compressed_certificate: CompressedCertificate,
    },
    NextProtocol {
        next_protocol: NextProtocol,
    },
    /// Not decoded beyond type and length (or the decoder failed: see `decode_error`).
    Opaque {},
}

impl HandshakeBody {
    /// The OCSP response stapled in this message: a CertificateStatus's, or (TLS 1.3) the one
    /// in the leaf entry's status_request extension.
    pub fn stapled_ocsp(&self) -> Option<&crate::certs::ocsp::OcspResponse> {
        match self {
            HandshakeBody::CertificateStatus { certificate_status } => certificate_status.ocsp.as_deref(),
            HandshakeBody::Certificate { certificates, .. } => {
                let exts = match certificates.first()? {
                    CertificateEntry::X509 { extensions, .. } | CertificateEntry::RawPublicKey { extensions, .. } => {
                        extensions.as_deref()?
                    }
                };
                exts.iter().find_map(|e| match &e.body {
                    extensions::ExtensionBody::StatusResponse { ocsp, .. } => ocsp.as_deref(),
                    _ => None,
                })
            }
            _ => None,
        }
    }

    /// Writes the variant's keys into the enclosing object (the `message` event), as
    /// `#[serde(flatten)]` would, but keeping that object a struct for every serializer
    /// (flattening turns it into a map). `tests/json_writer.rs` holds this to what serde's
    /// flatten writes.
    pub fn serialize_fields<M: serde::ser::SerializeStruct>(&self, m: &mut M) -> std::result::Result<(), M::Error> {
        // Most variants hold one value, written under the variant's field name.
        macro_rules! one_value_variants {
            ($($variant:ident { $field:ident }),* ; $($other:tt)*) => {
                match self {
                    $(HandshakeBody::$variant { $field } => m.serialize_field(stringify!($field), $field),)*
                    $($other)*
                }
            };
        }
        one_value_variants!(
            HelloRequest { hello_request },
            ClientHello { client_hello },
            ServerHello { server_hello },
            HelloVerifyRequest { hello_verify_request },
            NewSessionTicket { new_session_ticket },
            EndOfEarlyData { end_of_early_data },
            EncryptedExtensions { encrypted_extensions },
            ServerKeyExchange { server_key_exchange },
            CertificateRequest { certificate_request },
            ServerHelloDone { server_hello_done },
            CertificateVerify { certificate_verify },
            ClientKeyExchange { client_key_exchange },
            Finished { finished },
            CertificateStatus { certificate_status },
            KeyUpdate { key_update },
            CompressedCertificate { compressed_certificate },
            NextProtocol { next_protocol };
            HandshakeBody::Certificate { certificate_request_context, certificates, chain } => {
                if let Some(context) = certificate_request_context {
                    m.serialize_field("certificate_request_context", &crate::hex_text::lower(context))?;
                }
                m.serialize_field("certificates", certificates)?;
                m.serialize_field("chain", chain)
            }
            HandshakeBody::Opaque {} => Ok(()),
        )
    }
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
pub fn handshake_name(msg_type: u8) -> names::Name {
    MessageKind::from(HandshakeType::from(msg_type)).name()
}

fn no_fields(body: &[u8], what: &'static str) -> Result<NoFields> {
    Reader::new(body).expect_end(what).map(|()| NoFields {})
}

/// Decodes one handshake message body. Never panics; a body that does not parse yields
/// `Opaque` with the error, and nothing carries over to the next message.
pub fn decode_handshake(msg_type: u8, body: &[u8], ctx: &DecodeContext) -> Decoded {
    decode_handshake_trusting(msg_type, body, ctx, TrustInputs::default())
}

/// [`decode_handshake`], with a Certificate's chain judged against `trust`.
pub fn decode_handshake_trusting(msg_type: u8, body: &[u8], ctx: &DecodeContext, trust: TrustInputs<'_>) -> Decoded {
    use HandshakeType as H;
    let result = match HandshakeType::from(msg_type) {
        H::HelloRequest => no_fields(body, "HelloRequest (not empty)")
            .map(|hello_request| HandshakeBody::HelloRequest { hello_request }),
        H::ClientHello => ClientHello::decode(body)
            .map(|client_hello| HandshakeBody::ClientHello { client_hello: Box::new(client_hello) }),
        H::ServerHello => ServerHello::decode(body)
            .map(|server_hello| HandshakeBody::ServerHello { server_hello: Box::new(server_hello) }),
        H::HelloVerifyRequest => HelloVerifyRequest::decode(body)
            .map(|hello_verify_request| HandshakeBody::HelloVerifyRequest { hello_verify_request }),
        H::NewSessionTicket => NewSessionTicket::decode(body, ctx.version)
            .map(|new_session_ticket| HandshakeBody::NewSessionTicket { new_session_ticket }),
        H::EndOfEarlyData => no_fields(body, "EndOfEarlyData (not empty)")
            .map(|end_of_early_data| HandshakeBody::EndOfEarlyData { end_of_early_data }),
        // The draft HelloRetryRequest (TLS 1.3 drafts before -22) was its own message.
        H::HelloRetryRequest => ServerHello::decode_draft_hello_retry_request(body)
            .map(|server_hello| HandshakeBody::ServerHello { server_hello: Box::new(server_hello) }),
        H::EncryptedExtensions => EncryptedExtensions::decode(body)
            .map(|encrypted_extensions| HandshakeBody::EncryptedExtensions { encrypted_extensions }),
        H::Certificate => {
            let cert_ctx = CertificateContext {
                version: ctx.version,
                capture_time: ctx.capture_time.as_ref(),
                // The client names the server; a client's own certificate is not for that name.
                sni: if ctx.from_server { ctx.sni.as_deref() } else { None },
                certificate_type: ctx.certificate_type,
                trust: crate::certs::TrustContext {
                    store: trust.store,
                    client: !ctx.from_server,
                    server_ip: trust.server_ip,
                    named_cas: if ctx.from_server { None } else { ctx.requested_cas.as_deref().map(Vec::as_slice) },
                },
            };
            Certificate::decode(body, &cert_ctx).map(|c| HandshakeBody::Certificate {
                certificate_request_context: c.request_context,
                certificates: c.entries,
                chain: c.chain,
            })
        }
        H::ServerKeyExchange => {
            ServerKeyExchange::decode(body, ctx.cipher_suite, ctx.version).map(|server_key_exchange| {
                HandshakeBody::ServerKeyExchange { server_key_exchange: Box::new(server_key_exchange) }
            })
        }
        H::CertificateRequest => CertificateRequest::decode(body, ctx.version)
            .map(|certificate_request| HandshakeBody::CertificateRequest { certificate_request }),
        H::ServerHelloDone => no_fields(body, "ServerHelloDone (not empty)")
            .map(|server_hello_done| HandshakeBody::ServerHelloDone { server_hello_done }),
        H::CertificateVerify => CertificateVerify::decode(body, ctx.version)
            .map(|certificate_verify| HandshakeBody::CertificateVerify { certificate_verify }),
        H::ClientKeyExchange => {
            ClientKeyExchange::decode(body, ctx.cipher_suite, ctx.version).map(|client_key_exchange| {
                HandshakeBody::ClientKeyExchange { client_key_exchange: Box::new(client_key_exchange) }
            })
        }
        H::Finished => Ok(HandshakeBody::Finished { finished: Finished::decode(body) }),
        H::CertificateStatus => CertificateStatus::decode_for(
            body,
            ctx.server_certificates.as_deref().map_or(&[], Vec::as_slice),
            ctx.capture_time.as_ref(),
        )
        .map(|certificate_status| HandshakeBody::CertificateStatus { certificate_status }),
        H::KeyUpdate => KeyUpdate::decode(body).map(|key_update| HandshakeBody::KeyUpdate { key_update }),
        H::CompressedCertificate => CompressedCertificate::decode(body)
            .map(|compressed_certificate| HandshakeBody::CompressedCertificate { compressed_certificate }),
        H::NextProtocol => {
            NextProtocol::decode(body).map(|next_protocol| HandshakeBody::NextProtocol { next_protocol })
        }
        H::RequestConnectionId
        | H::NewConnectionId
        | H::ClientCertificateRequest
        | H::CertificateUrl
        | H::SupplementalData
        | H::EktKey
        | H::MessageHash
        | H::Unknown(_) => Ok(HandshakeBody::Opaque {}),
    };
    match result {
        Ok(body) => Decoded { body, error: None },
        Err(e) => Decoded { body: HandshakeBody::Opaque {}, error: Some(e.to_string()) },
    }
}
