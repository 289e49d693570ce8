//! Hello extensions: the wire list, and decoded contents per extension type.

use super::reader::{Reader, Result};
use crate::registry;
use serde::Serialize;

/// Where an extension appeared: some types have different layouts per message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtContext {
    ClientHello,
    ServerHello,
    HelloRetryRequest,
    EncryptedExtensions,
    Certificate,
    CertificateRequest,
    NewSessionTicket,
}

/// One extension in wire order.
#[derive(Clone, Debug, Serialize)]
pub struct Extension {
    #[serde(rename = "type")]
    pub typ: u16,
    pub name: String,
    pub length: usize,
    #[serde(flatten)]
    pub body: ExtensionBody,
    /// The extension data as sent (fingerprints hash exact bytes).
    #[serde(skip)]
    pub raw: Vec<u8>,
}

/// Decoded contents. Serialized flat into the extension object.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum ExtensionBody {
    ServerName {
        server_name: Vec<String>,
    },
    SupportedVersions {
        versions: Vec<u16>,
    },
    SelectedVersion {
        selected_version: u16,
    },
    SupportedGroups {
        groups: Vec<u16>,
    },
    EcPointFormats {
        ec_point_formats: Vec<u8>,
    },
    SignatureAlgorithms {
        signature_algorithms: Vec<u16>,
    },
    Alpn {
        alpn: Vec<String>,
    },
    /// Anything not decoded (yet): the raw bytes.
    Raw {
        hex: String,
    },
}

/// Name of an extension type: IANA name, "GREASE", or "unknown".
pub fn extension_type_name(typ: u16) -> String {
    if registry::is_grease(typ) {
        return "GREASE".to_string();
    }
    registry::extension_name(typ).map(str::to_string).unwrap_or_else(|| format!("unknown_{typ}"))
}

/// Parses the extensions block (the bytes after the 2-byte total length).
pub fn parse_extensions(data: &[u8], ctx: ExtContext) -> Result<Vec<Extension>> {
    let mut r = Reader::new(data);
    let mut out = Vec::new();
    while !r.is_empty() {
        let typ = r.u16("extension type")?;
        let body = r.vec16("extension data")?;
        out.push(Extension {
            typ,
            name: extension_type_name(typ),
            length: body.len(),
            body: decode_body(typ, body, ctx),
            raw: body.to_vec(),
        });
    }
    Ok(out)
}

fn decode_body(typ: u16, data: &[u8], ctx: ExtContext) -> ExtensionBody {
    let decoded = match typ {
        0 => decode_server_name(data),
        10 => Reader::new(data)
            .sub16("supported_groups")
            .and_then(|mut l| l.u16_list("group"))
            .ok()
            .map(|groups| ExtensionBody::SupportedGroups { groups }),
        11 => Reader::new(data)
            .vec8("ec_point_formats")
            .ok()
            .map(|f| ExtensionBody::EcPointFormats { ec_point_formats: f.to_vec() }),
        13 | 50 => Reader::new(data)
            .sub16("signature_algorithms")
            .and_then(|mut l| l.u16_list("signature scheme"))
            .ok()
            .map(|signature_algorithms| ExtensionBody::SignatureAlgorithms { signature_algorithms }),
        16 => decode_alpn(data),
        43 => decode_supported_versions(data, ctx),
        _ => None,
    };
    decoded.unwrap_or_else(|| ExtensionBody::Raw { hex: hex::encode(data) })
}

fn decode_server_name(data: &[u8]) -> Option<ExtensionBody> {
    // The server's echo is empty.
    if data.is_empty() {
        return Some(ExtensionBody::ServerName { server_name: Vec::new() });
    }
    let mut r = Reader::new(data);
    let mut list = r.sub16("server_name list").ok()?;
    let mut names = Vec::new();
    while !list.is_empty() {
        let kind = list.u8("name type").ok()?;
        let name = list.vec16("host name").ok()?;
        if kind == 0 {
            names.push(String::from_utf8_lossy(name).into_owned());
        }
    }
    Some(ExtensionBody::ServerName { server_name: names })
}

fn decode_alpn(data: &[u8]) -> Option<ExtensionBody> {
    let mut list = Reader::new(data).sub16("alpn list").ok()?;
    let mut alpn = Vec::new();
    while !list.is_empty() {
        alpn.push(String::from_utf8_lossy(list.vec8("protocol name").ok()?).into_owned());
    }
    Some(ExtensionBody::Alpn { alpn })
}

fn decode_supported_versions(data: &[u8], ctx: ExtContext) -> Option<ExtensionBody> {
    let mut r = Reader::new(data);
    match ctx {
        ExtContext::ClientHello => {
            let mut list = r.sub8("supported_versions").ok()?;
            Some(ExtensionBody::SupportedVersions { versions: list.u16_list("version").ok()? })
        }
        _ => Some(ExtensionBody::SelectedVersion { selected_version: r.u16("selected version").ok()? }),
    }
}

/// The first host name of a server_name extension.
pub fn sni(exts: &[Extension]) -> Option<String> {
    exts.iter().find_map(|e| match &e.body {
        ExtensionBody::ServerName { server_name } => server_name.first().cloned(),
        _ => None,
    })
}

/// The ALPN protocol list (offered by a client, or the one chosen by a server).
pub fn alpn(exts: &[Extension]) -> Option<&[String]> {
    exts.iter().find_map(|e| match &e.body {
        ExtensionBody::Alpn { alpn } => Some(alpn.as_slice()),
        _ => None,
    })
}

/// The version a ServerHello's supported_versions selected.
pub fn selected_version(exts: &[Extension]) -> Option<u16> {
    exts.iter().find_map(|e| match e.body {
        ExtensionBody::SelectedVersion { selected_version } => Some(selected_version),
        _ => None,
    })
}

/// The versions a ClientHello's supported_versions offers.
pub fn offered_versions(exts: &[Extension]) -> Option<&[u16]> {
    exts.iter().find_map(|e| match &e.body {
        ExtensionBody::SupportedVersions { versions } => Some(versions.as_slice()),
        _ => None,
    })
}
