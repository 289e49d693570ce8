//! Decoding of the extensions block: the wire list, then each extension's contents by type
//! and by the message it appeared in.

use super::{ExtContext, Extension, ExtensionBody, KeyShareEntry, PskIdentity, QuicParameter, QuicParameterValue, Sct};
use crate::msgs::names;
use crate::msgs::reader::{Reader, Result};
use crate::registry::ExtensionType;

/// Parses the extensions block (the bytes after the 2-byte total length).
pub fn parse_extensions(data: &[u8], ctx: ExtContext) -> Result<Vec<Extension>> {
    let shared = bytes::Bytes::copy_from_slice(data);
    let mut r = Reader::new(data);
    let mut out = Vec::with_capacity(count_extensions(data));
    while !r.is_empty() {
        let typ = r.u16("extension type")?;
        let start = r.position().saturating_add(2);
        let body = r.vec16("extension data")?;
        // `slice` panics out of range: the range is the one `vec16` just read, checked anyway.
        let end = r.position();
        let raw = match body.len() {
            0 => bytes::Bytes::new(),
            _ if start <= end && end <= shared.len() => shared.slice(start..end),
            _ => bytes::Bytes::copy_from_slice(body),
        };
        out.push(Extension {
            typ,
            name: names::extension_type_name(typ),
            length: body.len(),
            body: decode_body(typ, body, ctx),
            raw,
        });
    }
    Ok(out)
}

/// The front of an extensions block made of whole extensions (a block cut by a gap).
pub fn whole_extensions(data: &[u8]) -> &[u8] {
    let mut r = Reader::new(data);
    let mut end = 0;
    while r.u16("extension type").is_ok() && r.vec16("extension data").is_ok() {
        end = r.position();
    }
    data.get(..end).unwrap_or_default()
}

/// How many whole extensions `data` holds (for sizing the list once).
fn count_extensions(data: &[u8]) -> usize {
    let mut r = Reader::new(data);
    let mut n: usize = 0;
    while r.u16("extension type").is_ok() && r.vec16("extension data").is_ok() {
        n = n.saturating_add(1);
    }
    n
}

/// Parses a 2-byte-length-prefixed extensions block that must fill the rest of `r`.
pub fn parse_extension_block(r: &mut Reader<'_>, ctx: ExtContext) -> Result<Vec<Extension>> {
    let block = r.vec16("extensions")?;
    parse_extensions(block, ctx)
}

/// quic_transport_parameters before RFC 9001: drafts used 0xffa5, which no registry names.
const QUIC_TRANSPORT_PARAMETERS_DRAFT: u16 = 0xffa5;

fn decode_body(typ: u16, data: &[u8], ctx: ExtContext) -> ExtensionBody {
    use ExtensionType as E;
    let decoded = match ExtensionType::from(typ) {
        E::ServerName => decode_server_name(data),
        E::MaxFragmentLength => {
            single_u8(data, "max_fragment_length").map(|code| ExtensionBody::MaxFragmentLength { code })
        }
        E::StatusRequest => decode_status_request(data, ctx),
        E::SupportedGroups => whole(data, |r| r.sub16("supported_groups")?.u16_list("group"))
            .map(|groups| ExtensionBody::SupportedGroups { groups }),
        E::EcPointFormats => whole(data, |r| r.vec8("ec_point_formats"))
            .map(|f| ExtensionBody::EcPointFormats { ec_point_formats: f.to_vec() }),
        E::SignatureAlgorithms | E::SignatureAlgorithmsCert => {
            whole(data, |r| r.sub16("signature_algorithms")?.u16_list("signature scheme"))
                .map(|signature_algorithms| ExtensionBody::SignatureAlgorithms { signature_algorithms })
        }
        E::Heartbeat => single_u8(data, "heartbeat mode").map(|mode| ExtensionBody::Heartbeat { mode }),
        E::ApplicationLayerProtocolNegotiation => decode_alpn(data),
        E::StatusRequestV2 => decode_status_request_v2(data, ctx),
        E::SignedCertificateTimestamp => decode_sct(data),
        E::ClientCertificateType | E::ServerCertificateType => decode_certificate_type(data, ctx),
        E::Padding => Ok(ExtensionBody::Padding { padding_length: data.len(), all_zero: data.iter().all(|&b| b == 0) }),
        E::EncryptThenMac | E::ExtendedMasterSecret | E::PostHandshakeAuth => empty(data),
        E::CompressCertificate => whole(data, |r| r.sub8("compress_certificate algorithms")?.u16_list("algorithm"))
            .map(|algorithms| ExtensionBody::CompressCertificate { algorithms }),
        E::RecordSizeLimit => whole(data, |r| r.u16("record_size_limit"))
            .map(|record_size_limit| ExtensionBody::RecordSizeLimit { record_size_limit }),
        E::SessionTicket => Ok(ExtensionBody::SessionTicket { ticket_length: data.len() }),
        // KeyShareOld: key_share in TLS 1.3 drafts up to -22.
        E::KeyShare | E::KeyShareOld => decode_key_share(data, ctx),
        E::PreSharedKey => decode_pre_shared_key(data, ctx),
        // TicketEarlyDataInfo: drafts -13 to -18, the later early_data in tickets.
        E::EarlyData | E::TicketEarlyDataInfo => decode_early_data(data, ctx),
        E::SupportedVersions => decode_supported_versions(data, ctx),
        E::Cookie => whole(data, |r| r.vec16("cookie")).map(|c| ExtensionBody::Cookie { cookie: c.to_vec() }),
        E::PskKeyExchangeModes => whole(data, |r| r.vec8("psk_key_exchange_modes"))
            .map(|m| ExtensionBody::PskKeyExchangeModes { modes: m.to_vec() }),
        E::CertificateAuthorities => whole(data, |r| {
            let list = r.vec16("certificate_authorities")?;
            distinguished_names(list)
        })
        .map(|authorities| ExtensionBody::CertificateAuthorities { authorities }),
        E::ConnectionId => {
            whole(data, |r| r.vec8("connection_id")).map(|c| ExtensionBody::ConnectionId { connection_id: c.to_vec() })
        }
        E::QuicTransportParameters | E::Unknown(QUIC_TRANSPORT_PARAMETERS_DRAFT) => decode_quic_parameters(data),
        E::NextProtocolNegotiation => decode_npn(data),
        E::ApplicationSettingsOld | E::ApplicationSettings => decode_alps(data, ctx),
        E::EncryptedClientHello => decode_ech(data, ctx),
        E::RenegotiationInfo => whole(data, |r| r.vec8("renegotiated_connection"))
            .map(|c| ExtensionBody::RenegotiationInfo { renegotiated_connection: c.to_vec() }),
        E::ClientCertificateUrl
        | E::TrustedCaKeys
        | E::TruncatedHmac
        | E::UserMapping
        | E::ClientAuthz
        | E::ServerAuthz
        | E::CertType
        | E::Srp
        | E::UseSrtp
        | E::TokenBinding
        | E::CachedInfo
        | E::TlsLts
        | E::PwdProtect
        | E::PwdClear
        | E::PasswordSalt
        | E::TicketPinning
        | E::TlsCertWithExternPsk
        | E::DelegatedCredential
        | E::TLMSP
        | E::TLMSPProxying
        | E::TLMSPDelegate
        | E::SupportedEktCiphers
        | E::OidFilters
        | E::TransparencyInfo
        | E::ConnectionIdDeprecated
        | E::ExternalIdHash
        | E::ExternalSessionId
        | E::TicketRequest
        | E::DnssecChain
        | E::SequenceNumberEncryptionAlgorithms
        | E::Rrc
        | E::TlsFlags
        | E::ChannelIdOld
        | E::ChannelId
        | E::EchOuterExtensions
        | E::EncryptedServerName
        | E::Grease(_)
        | E::Unknown(_) => return ExtensionBody::Raw { hex: crate::hex_text::lower(data) },
    };
    decoded.unwrap_or_else(|e| ExtensionBody::Malformed { hex: crate::hex_text::lower(data), malformed: e.what })
}

/// Runs `f` over `data` and requires it to consume everything.
fn whole<'a, T>(data: &'a [u8], f: impl FnOnce(&mut Reader<'a>) -> Result<T>) -> Result<T> {
    let mut r = Reader::new(data);
    let out = f(&mut r)?;
    r.expect_end("trailing bytes in extension")?;
    Ok(out)
}

fn single_u8(data: &[u8], what: &'static str) -> Result<u8> {
    whole(data, |r| r.u8(what))
}

fn empty(data: &[u8]) -> Result<ExtensionBody> {
    whole(data, |_| Ok(ExtensionBody::Empty))
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A list of 1-byte-length-prefixed strings filling `r`.
fn string_list8(r: &mut Reader<'_>, what: &'static str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(lossy(r.vec8(what)?));
    }
    Ok(out)
}

/// DistinguishedName list (2-byte-prefixed DER names) rendered as text.
pub fn distinguished_names(list: &[u8]) -> Result<Vec<String>> {
    use x509_parser::prelude::{FromDer, X509Name};
    let mut r = Reader::new(list);
    let mut out = Vec::new();
    while !r.is_empty() {
        let der = r.vec16("distinguished name")?;
        out.push(match X509Name::from_der(der) {
            Ok((_, name)) => name.to_string(),
            Err(_) => format!("unparsable name ({} bytes)", der.len()),
        });
    }
    Ok(out)
}

fn decode_server_name(data: &[u8]) -> Result<ExtensionBody> {
    // The server's echo is empty.
    if data.is_empty() {
        return Ok(ExtensionBody::ServerName { server_name: Vec::new() });
    }
    whole(data, |r| {
        let mut list = r.sub16("server_name list")?;
        let mut names = Vec::new();
        while !list.is_empty() {
            let kind = list.u8("name type")?;
            let name = list.vec16("host name")?;
            if kind == 0 {
                names.push(lossy(name));
            }
        }
        Ok(ExtensionBody::ServerName { server_name: names })
    })
}

fn decode_alpn(data: &[u8]) -> Result<ExtensionBody> {
    whole(data, |r| {
        let mut list = r.sub16("alpn list")?;
        Ok(ExtensionBody::Alpn { alpn: string_list8(&mut list, "protocol name")? })
    })
}

fn decode_supported_versions(data: &[u8], ctx: ExtContext) -> Result<ExtensionBody> {
    match ctx {
        ExtContext::ClientHello => whole(data, |r| {
            let mut list = r.sub8("supported_versions")?;
            Ok(ExtensionBody::SupportedVersions { versions: list.u16_list("version")? })
        }),
        _ => whole(data, |r| Ok(ExtensionBody::SelectedVersion { selected_version: r.u16("selected version")? })),
    }
}

fn key_share_entry(r: &mut Reader<'_>) -> Result<KeyShareEntry> {
    let group = r.u16("key_share group")?;
    let key = r.vec16("key_exchange")?;
    Ok(KeyShareEntry { group, key_length: key.len() })
}

fn decode_key_share(data: &[u8], ctx: ExtContext) -> Result<ExtensionBody> {
    match ctx {
        ExtContext::ClientHello => whole(data, |r| {
            let mut list = r.sub16("client_shares")?;
            let mut key_shares = Vec::new();
            while !list.is_empty() {
                key_shares.push(key_share_entry(&mut list)?);
            }
            Ok(ExtensionBody::KeyShares { key_shares })
        }),
        ExtContext::HelloRetryRequest => {
            whole(data, |r| Ok(ExtensionBody::KeyShareRetry { selected_group: r.u16("selected_group")? }))
        }
        _ => whole(data, |r| Ok(ExtensionBody::KeyShare { key_share: key_share_entry(r)? })),
    }
}

fn decode_pre_shared_key(data: &[u8], ctx: ExtContext) -> Result<ExtensionBody> {
    match ctx {
        ExtContext::ClientHello => whole(data, |r| {
            let mut ids = r.sub16("psk identities")?;
            let mut identities = Vec::new();
            while !ids.is_empty() {
                let identity = ids.vec16("psk identity")?;
                let obfuscated_ticket_age = ids.u32("obfuscated_ticket_age")?;
                identities.push(PskIdentity { identity_length: identity.len(), obfuscated_ticket_age });
            }
            let mut binders = r.sub16("psk binders")?;
            let mut binder_lengths = Vec::new();
            while !binders.is_empty() {
                binder_lengths.push(binders.vec8("psk binder")?.len());
            }
            Ok(ExtensionBody::PskOffer { identities, binder_lengths })
        }),
        _ => whole(data, |r| Ok(ExtensionBody::PskSelected { selected_identity: r.u16("selected_identity")? })),
    }
}

fn decode_early_data(data: &[u8], ctx: ExtContext) -> Result<ExtensionBody> {
    match ctx {
        ExtContext::NewSessionTicket => {
            whole(data, |r| Ok(ExtensionBody::MaxEarlyData { max_early_data_size: r.u32("max_early_data_size")? }))
        }
        _ => empty(data),
    }
}

fn decode_status_request(data: &[u8], ctx: ExtContext) -> Result<ExtensionBody> {
    // A ServerHello (TLS <= 1.2) acknowledges with an empty extension; the status itself then
    // travels in a CertificateStatus message.
    if data.is_empty() {
        return Ok(ExtensionBody::Empty);
    }
    match ctx {
        ExtContext::Certificate => whole(data, |r| {
            let status_type = r.u8("status_type")?;
            let response = r.vec24("OCSP response")?;
            Ok(ExtensionBody::StatusResponse { status_type, response_length: response.len(), ocsp: None })
        }),
        _ => whole(data, |r| {
            let status_type = r.u8("status_type")?;
            if status_type != 1 {
                // Only the OCSP request layout is defined; keep others readable as lengths.
                let rest = r.rest();
                return Ok(ExtensionBody::StatusRequest {
                    status_type,
                    responder_id_list_length: rest.len(),
                    request_extensions_length: 0,
                });
            }
            let responders = r.vec16("responder_id_list")?;
            let request_extensions = r.vec16("request_extensions")?;
            Ok(ExtensionBody::StatusRequest {
                status_type,
                responder_id_list_length: responders.len(),
                request_extensions_length: request_extensions.len(),
            })
        }),
    }
}

fn decode_status_request_v2(data: &[u8], ctx: ExtContext) -> Result<ExtensionBody> {
    if data.is_empty() || ctx != ExtContext::ClientHello {
        return empty(data);
    }
    whole(data, |r| {
        let mut list = r.sub16("status_request_v2 list")?;
        let mut status_types = Vec::new();
        while !list.is_empty() {
            status_types.push(list.u8("status_type")?);
            list.vec16("status request")?;
        }
        Ok(ExtensionBody::StatusRequestV2 { status_types })
    })
}

fn decode_sct(data: &[u8]) -> Result<ExtensionBody> {
    // The client's request is empty.
    if data.is_empty() {
        return Ok(ExtensionBody::Empty);
    }
    whole(data, |r| {
        let mut list = r.sub16("signed_certificate_timestamp list")?;
        let mut scts = Vec::new();
        while !list.is_empty() {
            let sct = list.vec16("serialized SCT")?;
            let mut s = Reader::new(sct);
            let version = s.u8("SCT version")?;
            let log_id = s.bytes(32, "SCT log_id")?;
            let timestamp = s.u64("SCT timestamp")?;
            s.vec16("SCT extensions")?;
            let hash = s.u8("SCT hash algorithm")?;
            let signature = s.u8("SCT signature algorithm")?;
            s.vec16("SCT signature")?;
            s.expect_end("bytes after SCT signature")?;
            scts.push(Sct::new(version, log_id, timestamp, hash, signature, sct.len()));
        }
        Ok(ExtensionBody::SignedCertificateTimestamps { scts })
    })
}

fn decode_certificate_type(data: &[u8], ctx: ExtContext) -> Result<ExtensionBody> {
    match ctx {
        ExtContext::ClientHello => {
            whole(data, |r| Ok(ExtensionBody::CertificateTypes { types: r.vec8("certificate types")?.to_vec() }))
        }
        _ => whole(data, |r| Ok(ExtensionBody::CertificateType { certificate_type: r.u8("certificate type")? })),
    }
}

fn decode_quic_parameters(data: &[u8]) -> Result<ExtensionBody> {
    let mut r = Reader::new(data);
    let mut parameters = Vec::new();
    while !r.is_empty() {
        let id = r.quic_varint("transport parameter id")?;
        let len = r.quic_varint("transport parameter length")?;
        let value = r.bytes(usize::try_from(len).unwrap_or(usize::MAX), "transport parameter value")?;
        let decoded = quic_parameter_value(id, value).unwrap_or_else(|| QuicParameterValue::Malformed(value.to_vec()));
        parameters.push(QuicParameter { id, length: value.len(), value: decoded });
    }
    Ok(ExtensionBody::QuicTransportParameters { parameters })
}

/// A transport parameter's value in its parameter's form; None when it does not have it.
fn quic_parameter_value(id: u64, value: &[u8]) -> Option<QuicParameterValue> {
    use QuicParameterValue as V;
    let mut r = Reader::new(value);
    let v = match id {
        // Integers: the idle timeout and delays in ms, limits in bytes or streams.
        0x01 | 0x03..=0x0b | 0x0e | 0x20 | 0x3127 | 0xff04_de1b => V::Integer(r.quic_varint("integer").ok()?),
        0x0c | 0x2ab2 => V::Empty,
        0x11 | 0xff73db => {
            let chosen = r.u32("chosen version").ok()?;
            let mut available = Vec::new();
            while !r.is_empty() {
                available.push(r.u32("available version").ok()?);
            }
            V::Versions { chosen, available }
        }
        0x0d => {
            let v4: [u8; 4] = r.bytes(4, "IPv4 address").ok()?.try_into().ok()?;
            let port4 = r.u16("IPv4 port").ok()?;
            let v6: [u8; 16] = r.bytes(16, "IPv6 address").ok()?.try_into().ok()?;
            let port6 = r.u16("IPv6 port").ok()?;
            let cid_len = r.u8("connection id length").ok()?;
            let connection_id = r.bytes(usize::from(cid_len), "connection id").ok()?.to_vec();
            let stateless_reset_token = r.bytes(16, "stateless reset token").ok()?.to_vec();
            V::PreferredAddress {
                ipv4: std::net::SocketAddrV4::new(v4.into(), port4),
                ipv6: std::net::SocketAddrV6::new(v6.into(), port6, 0, 0),
                connection_id,
                stateless_reset_token,
            }
        }
        // Connection ids (at most 20 bytes), the stateless reset token (16), anything else.
        0x00 | 0x0f | 0x10 if value.len() > 20 => return None,
        0x02 if value.len() != 16 => return None,
        _ => return Some(V::Bytes(value.to_vec())),
    };
    r.is_empty().then_some(v)
}

fn decode_npn(data: &[u8]) -> Result<ExtensionBody> {
    // A client's extension is empty; a server's lists protocols without an outer length.
    if data.is_empty() {
        return Ok(ExtensionBody::Empty);
    }
    let mut r = Reader::new(data);
    Ok(ExtensionBody::NpnProtocols { protocols: string_list8(&mut r, "NPN protocol")? })
}

fn decode_alps(data: &[u8], ctx: ExtContext) -> Result<ExtensionBody> {
    match ctx {
        ExtContext::ClientHello => whole(data, |r| {
            let mut list = r.sub16("application_settings protocols")?;
            Ok(ExtensionBody::ApplicationSettings { protocols: string_list8(&mut list, "ALPS protocol")? })
        }),
        // The server's settings are opaque application data.
        _ => Ok(ExtensionBody::Raw { hex: crate::hex_text::lower(data) }),
    }
}

fn decode_ech(data: &[u8], ctx: ExtContext) -> Result<ExtensionBody> {
    match ctx {
        ExtContext::ClientHello => whole(data, |r| match r.u8("ECH type")? {
            0 => {
                let kdf_id = r.u16("ECH kdf_id")?;
                let aead_id = r.u16("ECH aead_id")?;
                let config_id = r.u8("ECH config_id")?;
                let enc = r.vec16("ECH enc")?;
                let payload = r.vec16("ECH payload")?;
                Ok(ExtensionBody::EchOuter {
                    kdf_id,
                    aead_id,
                    config_id,
                    enc_length: enc.len(),
                    payload_length: payload.len(),
                })
            }
            1 => Ok(ExtensionBody::EchInner),
            _ => crate::msgs::reader::err("ECH type"),
        }),
        ExtContext::HelloRetryRequest => whole(data, |r| {
            Ok(ExtensionBody::EchConfirmation { confirmation: r.bytes(8, "ECH confirmation")?.to_vec() })
        }),
        _ => whole(data, |r| {
            Ok(ExtensionBody::EchRetryConfigs { retry_configs_length: r.vec16("ECHConfigList")?.len() })
        }),
    }
}
