//! The smaller messages: NewSessionTicket, Finished, KeyUpdate, EncryptedExtensions,
//! NextProtocol (NPN) and DTLS HelloVerifyRequest.

use super::extensions::{self, ExtContext, Extension};
use super::hello::is_tls13;
use super::names;
use super::names::Name;
use super::reader::{Reader, Result};
use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NewSessionTicket {
    /// TLS <= 1.2 (RFC 5077): seconds the ticket may be kept, 0 = unspecified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime_hint: Option<u32>,
    /// TLS 1.3: ticket lifetime in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_add: Option<u32>,
    /// TLS 1.3 (draft -21 and later): the ticket nonce, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub ticket_length: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Vec<Extension>>,
    /// TLS 1.3: from the early_data extension, when the ticket allows 0-RTT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_early_data_size: Option<u32>,
}

impl NewSessionTicket {
    pub fn decode(body: &[u8], version: Option<u16>) -> Result<NewSessionTicket> {
        match version {
            Some(v) if is_tls13(v) => Self::decode_tls13(body, true).or_else(|_| Self::decode_tls13(body, false)),
            Some(_) => Self::decode_tls12(body),
            None => Self::decode_tls12(body)
                .or_else(|_| Self::decode_tls13(body, true))
                .or_else(|_| Self::decode_tls13(body, false)),
        }
    }

    fn decode_tls12(body: &[u8]) -> Result<NewSessionTicket> {
        let mut r = Reader::new(body);
        let lifetime_hint = r.u32("ticket_lifetime_hint")?;
        let ticket = r.vec16("ticket")?;
        r.expect_end("bytes after NewSessionTicket")?;
        Ok(NewSessionTicket { lifetime_hint: Some(lifetime_hint), ticket_length: ticket.len(), ..Default::default() })
    }

    /// `with_nonce`: drafts before -21 had no ticket_nonce.
    fn decode_tls13(body: &[u8], with_nonce: bool) -> Result<NewSessionTicket> {
        let mut r = Reader::new(body);
        let lifetime = r.u32("ticket_lifetime")?;
        let age_add = r.u32("ticket_age_add")?;
        let nonce = if with_nonce { Some(crate::hex_text::lower(r.vec8("ticket_nonce")?)) } else { None };
        let ticket = r.vec16("ticket")?;
        let exts = extensions::parse_extension_block(&mut r, ExtContext::NewSessionTicket)?;
        r.expect_end("bytes after NewSessionTicket")?;
        Ok(NewSessionTicket {
            lifetime: Some(lifetime),
            age_add: Some(age_add),
            nonce,
            ticket_length: ticket.len(),
            max_early_data_size: extensions::max_early_data_size(&exts),
            extensions: Some(exts),
            ..Default::default()
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finished {
    /// Hex; 12 bytes in TLS 1.0-1.2, 36 in SSLv3, the hash length in TLS 1.3.
    pub verify_data: String,
    pub verify_data_length: usize,
    /// Recomputed from the transcript and the key log: true or false; null without keys.
    pub verified: Option<bool>,
}

impl Finished {
    pub fn decode(body: &[u8]) -> Finished {
        Finished { verify_data: crate::hex_text::lower(body), verify_data_length: body.len(), verified: None }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyUpdate {
    pub request_update: u8,
    pub request_update_name: Name,
}

impl KeyUpdate {
    pub fn decode(body: &[u8]) -> Result<KeyUpdate> {
        let mut r = Reader::new(body);
        let request_update = r.u8("request_update")?;
        r.expect_end("bytes after KeyUpdate")?;
        Ok(KeyUpdate { request_update, request_update_name: names::key_update_request_name(request_update) })
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct EncryptedExtensions {
    pub extensions: Vec<Extension>,
}

impl EncryptedExtensions {
    pub fn decode(body: &[u8]) -> Result<EncryptedExtensions> {
        let mut r = Reader::new(body);
        let extensions = extensions::parse_extension_block(&mut r, ExtContext::EncryptedExtensions)?;
        r.expect_end("bytes after EncryptedExtensions")?;
        Ok(EncryptedExtensions { extensions })
    }
}

/// The client's NPN choice (draft-agl-tls-nextprotoneg-04), padded to hide its length.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NextProtocol {
    pub selected_protocol: String,
    pub padding_length: usize,
}

impl NextProtocol {
    pub fn decode(body: &[u8]) -> Result<NextProtocol> {
        let mut r = Reader::new(body);
        let protocol = r.vec8("selected_protocol")?;
        let padding = r.vec8("padding")?;
        r.expect_end("bytes after NextProtocol")?;
        Ok(NextProtocol {
            selected_protocol: String::from_utf8_lossy(protocol).into_owned(),
            padding_length: padding.len(),
        })
    }
}

/// DTLS HelloVerifyRequest (RFC 6347 4.2.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HelloVerifyRequest {
    pub version: u16,
    pub version_name: Name,
    pub cookie: String,
    pub cookie_length: usize,
}

impl HelloVerifyRequest {
    pub fn decode(body: &[u8]) -> Result<HelloVerifyRequest> {
        let mut r = Reader::new(body);
        let version = r.u16("server_version")?;
        let cookie = r.vec8("cookie")?;
        r.expect_end("bytes after HelloVerifyRequest")?;
        Ok(HelloVerifyRequest {
            version,
            version_name: names::version_name(version),
            cookie: crate::hex_text::lower(cookie),
            cookie_length: cookie.len(),
        })
    }
}
