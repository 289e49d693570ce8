//! Hello extensions: the wire list, and decoded contents per extension type.
//!
//! Each decoded body keeps only wire data; display names (groups, schemes, versions, ...) are
//! added when serializing, so they always come from the current registry.

use super::names;
use super::names::Name;
use crate::registry::ExtensionType;
use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};

mod decode;
pub use decode::{distinguished_names, parse_extension_block, parse_extensions, whole_extensions};

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

/// One extension in wire order. Serialized as `type`, `name`, `length` and the body's own keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    pub typ: u16,
    pub name: Name,
    pub length: usize,
    pub body: ExtensionBody,
    /// The extension data as sent (fingerprints hash exact bytes; not serialized): a view into
    /// one copy of the whole extensions block, which all the block's extensions share (a copy per
    /// extension was one of the most frequent allocations of a run).
    pub raw: bytes::Bytes,
}

impl Extension {
    /// The type to dispatch on: `match e.extension_type() { ExtensionType::KeyShare => .. }`.
    pub fn extension_type(&self) -> ExtensionType {
        ExtensionType::from(self.typ)
    }
}

impl Serialize for Extension {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Extension", 3)?;
        st.serialize_field("type", &self.typ)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("length", &self.length)?;
        self.body.serialize_fields(&mut st)?;
        st.end()
    }
}

/// One key_share entry: the group and the size of the key (the key itself is not kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyShareEntry {
    pub group: u16,
    pub key_length: usize,
}

/// One pre_shared_key identity offered by a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PskIdentity {
    pub identity_length: usize,
    pub obfuscated_ticket_age: u32,
}

/// One signed certificate timestamp (RFC 6962 3.2): the same type as the SCTs embedded in
/// certificates, so both serialize alike.
pub use crate::certs::sct::Sct;

/// One QUIC transport parameter (RFC 9000 18.2, RFC 9368, RFC 9221): id, value length and
/// the value in its parameter's form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuicParameter {
    pub id: u64,
    pub length: usize,
    pub value: QuicParameterValue,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuicParameterValue {
    /// An integer parameter (limits, timeouts, exponents).
    Integer(u64),
    /// Connection ids, the stateless reset token, and parameters of unknown form.
    Bytes(Vec<u8>),
    /// A flag: disable_active_migration, grease_quic_bit.
    Empty,
    /// version_information (RFC 9368): the version chosen, then those the sender supports.
    Versions { chosen: u32, available: Vec<u32> },
    PreferredAddress {
        ipv4: std::net::SocketAddrV4,
        ipv6: std::net::SocketAddrV6,
        connection_id: Vec<u8>,
        stateless_reset_token: Vec<u8>,
    },
    /// A value not in its parameter's form.
    Malformed(Vec<u8>),
}

impl QuicParameter {
    pub fn integer(&self) -> Option<u64> {
        match self.value {
            QuicParameterValue::Integer(v) => Some(v),
            _ => None,
        }
    }

    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.value {
            QuicParameterValue::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

/// A QUIC transport parameter by id from a quic_transport_parameters extension, if any.
pub fn quic_parameter(exts: &[Extension], id: u64) -> Option<&QuicParameter> {
    exts.iter().find_map(|e| match &e.body {
        ExtensionBody::QuicTransportParameters { parameters } => parameters.iter().find(|p| p.id == id),
        _ => None,
    })
}

/// Decoded contents, serialized flat into the extension object (see the `Serialize` impl for
/// the JSON keys of each variant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExtensionBody {
    ServerName {
        server_name: Vec<String>,
    },
    /// supported_versions in a ClientHello.
    SupportedVersions {
        versions: Vec<u16>,
    },
    /// supported_versions in a ServerHello/HelloRetryRequest.
    SelectedVersion {
        selected_version: u16,
    },
    SupportedGroups {
        groups: Vec<u16>,
    },
    EcPointFormats {
        ec_point_formats: Vec<u8>,
    },
    /// signature_algorithms and signature_algorithms_cert.
    SignatureAlgorithms {
        signature_algorithms: Vec<u16>,
    },
    Alpn {
        alpn: Vec<String>,
    },
    /// key_share in a ClientHello: every offered share.
    KeyShares {
        key_shares: Vec<KeyShareEntry>,
    },
    /// key_share in a ServerHello: the server's share.
    KeyShare {
        key_share: KeyShareEntry,
    },
    /// key_share in a HelloRetryRequest: the group the server wants.
    KeyShareRetry {
        selected_group: u16,
    },
    PskKeyExchangeModes {
        modes: Vec<u8>,
    },
    /// pre_shared_key in a ClientHello.
    PskOffer {
        identities: Vec<PskIdentity>,
        binder_lengths: Vec<usize>,
    },
    /// pre_shared_key in a ServerHello.
    PskSelected {
        selected_identity: u16,
    },
    /// early_data in a NewSessionTicket.
    MaxEarlyData {
        max_early_data_size: u32,
    },
    SessionTicket {
        ticket_length: usize,
    },
    /// status_request in a ClientHello (or a TLS 1.3 CertificateRequest).
    StatusRequest {
        status_type: u8,
        responder_id_list_length: usize,
        request_extensions_length: usize,
    },
    /// status_request in a TLS 1.3 certificate entry: the stapled response.
    StatusResponse {
        status_type: u8,
        response_length: usize,
        /// The OCSP response described; filled in by the Certificate decoder, which knows the
        /// leaf, its issuer and the capture time (only the leaf's entry staples).
        ocsp: Option<Box<crate::certs::ocsp::OcspResponse>>,
    },
    StatusRequestV2 {
        status_types: Vec<u8>,
    },
    SignedCertificateTimestamps {
        scts: Vec<Sct>,
    },
    RenegotiationInfo {
        renegotiated_connection: Vec<u8>,
    },
    RecordSizeLimit {
        record_size_limit: u16,
    },
    Padding {
        padding_length: usize,
        all_zero: bool,
    },
    CompressCertificate {
        algorithms: Vec<u16>,
    },
    Cookie {
        cookie: Vec<u8>,
    },
    MaxFragmentLength {
        code: u8,
    },
    Heartbeat {
        mode: u8,
    },
    /// encrypted_client_hello in a ClientHello of type outer.
    EchOuter {
        kdf_id: u16,
        aead_id: u16,
        config_id: u8,
        enc_length: usize,
        payload_length: usize,
    },
    /// encrypted_client_hello of type inner (inside the encrypted inner ClientHello).
    EchInner,
    /// encrypted_client_hello in EncryptedExtensions: configs to retry with.
    EchRetryConfigs {
        retry_configs_length: usize,
    },
    /// encrypted_client_hello in a HelloRetryRequest: the acceptance confirmation.
    EchConfirmation {
        confirmation: Vec<u8>,
    },
    /// application_settings (ALPS) in a ClientHello: the protocols it has settings for.
    ApplicationSettings {
        protocols: Vec<String>,
    },
    QuicTransportParameters {
        parameters: Vec<QuicParameter>,
    },
    /// next_protocol_negotiation from a server: the protocols it advertises.
    NpnProtocols {
        protocols: Vec<String>,
    },
    CertificateAuthorities {
        authorities: Vec<String>,
    },
    /// client/server_certificate_type in a ClientHello: the types accepted.
    CertificateTypes {
        types: Vec<u8>,
    },
    /// client/server_certificate_type in a ServerHello/EncryptedExtensions: the type chosen.
    CertificateType {
        certificate_type: u8,
    },
    ConnectionId {
        connection_id: Vec<u8>,
    },
    /// An extension whose data must be (and is) empty.
    Empty,
    /// Anything not decoded: the raw bytes.
    Raw {
        hex: String,
    },
    /// A known extension whose contents did not parse: the raw bytes and what was wrong.
    Malformed {
        hex: String,
        malformed: &'static str,
    },
}

impl Serialize for ExtensionBody {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("ExtensionBody", 1)?;
        self.serialize_fields(&mut st)?;
        st.end()
    }
}

impl ExtensionBody {
    /// Writes the body's keys into the enclosing object (the extension's). Done by hand rather
    /// than with `#[serde(flatten)]`, which turns the enclosing struct into a map.
    pub fn serialize_fields<M: SerializeStruct>(&self, m: &mut M) -> std::result::Result<(), M::Error> {
        match self {
            ExtensionBody::ServerName { server_name } => m.serialize_field("server_name", server_name)?,
            ExtensionBody::SupportedVersions { versions } => {
                m.serialize_field("versions", versions)?;
                m.serialize_field("version_names", &map_names(versions, names::version_name))?;
            }
            ExtensionBody::SelectedVersion { selected_version } => {
                m.serialize_field("selected_version", selected_version)?;
                m.serialize_field("selected_version_name", &names::version_name(*selected_version))?;
            }
            ExtensionBody::SupportedGroups { groups } => {
                m.serialize_field("groups", groups)?;
                m.serialize_field("group_names", &map_names(groups, names::group_name))?;
            }
            ExtensionBody::EcPointFormats { ec_point_formats } => {
                m.serialize_field("ec_point_formats", ec_point_formats)?;
                m.serialize_field("ec_point_format_names", &map_names(ec_point_formats, names::ec_point_format_name))?;
            }
            ExtensionBody::SignatureAlgorithms { signature_algorithms } => {
                m.serialize_field("signature_algorithms", signature_algorithms)?;
                m.serialize_field(
                    "signature_algorithm_names",
                    &map_names(signature_algorithms, names::signature_scheme_name),
                )?;
            }
            ExtensionBody::Alpn { alpn } => m.serialize_field("alpn", alpn)?,
            ExtensionBody::KeyShares { key_shares } => {
                let entries: Vec<KeyShareJson> = key_shares.iter().map(KeyShareJson::from).collect();
                m.serialize_field("key_shares", &entries)?;
            }
            ExtensionBody::KeyShare { key_share } => m.serialize_field("key_share", &KeyShareJson::from(key_share))?,
            ExtensionBody::KeyShareRetry { selected_group } => {
                m.serialize_field("selected_group", selected_group)?;
                m.serialize_field("selected_group_name", &names::group_name(*selected_group))?;
            }
            ExtensionBody::PskKeyExchangeModes { modes } => {
                m.serialize_field("psk_key_exchange_modes", modes)?;
                m.serialize_field("psk_key_exchange_mode_names", &map_names(modes, names::psk_key_exchange_mode_name))?;
            }
            ExtensionBody::PskOffer { identities, binder_lengths } => {
                m.serialize_field("psk_identities", identities)?;
                m.serialize_field("psk_binder_count", &binder_lengths.len())?;
                m.serialize_field("psk_binder_lengths", binder_lengths)?;
            }
            ExtensionBody::PskSelected { selected_identity } => {
                m.serialize_field("selected_identity", selected_identity)?
            }
            ExtensionBody::MaxEarlyData { max_early_data_size } => {
                m.serialize_field("max_early_data_size", max_early_data_size)?
            }
            ExtensionBody::SessionTicket { ticket_length } => {
                m.serialize_field("session_ticket_length", ticket_length)?
            }
            ExtensionBody::StatusRequest { status_type, responder_id_list_length, request_extensions_length } => {
                m.serialize_field("status_type", status_type)?;
                m.serialize_field("status_type_name", &names::certificate_status_type_name(*status_type))?;
                m.serialize_field("responder_id_list_length", responder_id_list_length)?;
                m.serialize_field("request_extensions_length", request_extensions_length)?;
            }
            ExtensionBody::StatusResponse { status_type, response_length, ocsp } => {
                m.serialize_field("status_type", status_type)?;
                m.serialize_field("status_type_name", &names::certificate_status_type_name(*status_type))?;
                m.serialize_field("ocsp_response_length", response_length)?;
                if let Some(ocsp) = ocsp {
                    m.serialize_field("ocsp", ocsp)?;
                }
            }
            ExtensionBody::StatusRequestV2 { status_types } => {
                m.serialize_field("status_request_types", status_types)?;
                m.serialize_field(
                    "status_request_type_names",
                    &map_names(status_types, names::certificate_status_type_name),
                )?;
            }
            ExtensionBody::SignedCertificateTimestamps { scts } => {
                m.serialize_field("signed_certificate_timestamps", scts)?
            }
            ExtensionBody::RenegotiationInfo { renegotiated_connection } => {
                m.serialize_field("renegotiated_connection", &crate::hex_text::lower(renegotiated_connection))?
            }
            ExtensionBody::RecordSizeLimit { record_size_limit } => {
                m.serialize_field("record_size_limit", record_size_limit)?
            }
            ExtensionBody::Padding { padding_length, all_zero } => {
                m.serialize_field("padding_length", padding_length)?;
                m.serialize_field("padding_all_zero", all_zero)?;
            }
            ExtensionBody::CompressCertificate { algorithms } => {
                m.serialize_field("compression_algorithms", algorithms)?;
                m.serialize_field(
                    "compression_algorithm_names",
                    &map_names(algorithms, names::certificate_compression_name),
                )?;
            }
            ExtensionBody::Cookie { cookie } => {
                m.serialize_field("cookie_length", &cookie.len())?;
                m.serialize_field("cookie", &crate::hex_text::lower(cookie))?;
            }
            ExtensionBody::MaxFragmentLength { code } => {
                m.serialize_field("max_fragment_length", code)?;
                m.serialize_field("max_fragment_length_bytes", &names::max_fragment_length_bytes(*code))?;
            }
            ExtensionBody::Heartbeat { mode } => {
                m.serialize_field("heartbeat_mode", mode)?;
                m.serialize_field("heartbeat_mode_name", &names::heartbeat_mode_name(*mode))?;
            }
            ExtensionBody::EchOuter { kdf_id, aead_id, config_id, enc_length, payload_length } => {
                m.serialize_field("ech_type", "outer")?;
                m.serialize_field("ech_kdf_id", kdf_id)?;
                m.serialize_field("ech_kdf_name", &names::hpke_kdf_name(*kdf_id))?;
                m.serialize_field("ech_aead_id", aead_id)?;
                m.serialize_field("ech_aead_name", &names::hpke_aead_name(*aead_id))?;
                m.serialize_field("ech_config_id", config_id)?;
                m.serialize_field("ech_enc_length", enc_length)?;
                m.serialize_field("ech_payload_length", payload_length)?;
            }
            ExtensionBody::EchInner => m.serialize_field("ech_type", "inner")?,
            ExtensionBody::EchRetryConfigs { retry_configs_length } => {
                m.serialize_field("ech_retry_configs_length", retry_configs_length)?
            }
            ExtensionBody::EchConfirmation { confirmation } => {
                m.serialize_field("ech_confirmation", &crate::hex_text::lower(confirmation))?
            }
            ExtensionBody::ApplicationSettings { protocols } => m.serialize_field("alps_protocols", protocols)?,
            ExtensionBody::QuicTransportParameters { parameters } => {
                let list: Vec<QuicParameterJson> = parameters.iter().map(QuicParameterJson::from).collect();
                m.serialize_field("quic_transport_parameters", &list)?;
            }
            ExtensionBody::NpnProtocols { protocols } => m.serialize_field("npn_protocols", protocols)?,
            ExtensionBody::CertificateAuthorities { authorities } => {
                m.serialize_field("certificate_authorities", authorities)?
            }
            ExtensionBody::CertificateTypes { types } => {
                m.serialize_field("certificate_types", types)?;
                m.serialize_field("certificate_type_names", &map_names(types, names::certificate_type_name))?;
            }
            ExtensionBody::CertificateType { certificate_type } => {
                m.serialize_field("certificate_type", certificate_type)?;
                m.serialize_field("certificate_type_name", &names::certificate_type_name(*certificate_type))?;
            }
            ExtensionBody::ConnectionId { connection_id } => {
                m.serialize_field("connection_id", &crate::hex_text::lower(connection_id))?
            }
            ExtensionBody::Empty => {}
            ExtensionBody::Raw { hex } => m.serialize_field("hex", hex)?,
            ExtensionBody::Malformed { hex, malformed } => {
                m.serialize_field("hex", hex)?;
                m.serialize_field("malformed", malformed)?;
            }
        }
        Ok(())
    }
}

fn map_names<T: Copy>(codes: &[T], name: fn(T) -> Name) -> Vec<Name> {
    codes.iter().map(|&c| name(c)).collect()
}

#[derive(Serialize)]
struct KeyShareJson {
    group: u16,
    group_name: Name,
    key_length: usize,
}

impl From<&KeyShareEntry> for KeyShareJson {
    fn from(e: &KeyShareEntry) -> Self {
        KeyShareJson { group: e.group, group_name: names::group_name(e.group), key_length: e.key_length }
    }
}

/// A transport parameter: `value` for integers, `hex` for bytes (and malformed values, with
/// `malformed`), the version_information and preferred_address fields by name.
#[derive(Serialize)]
struct QuicParameterJson {
    id: u64,
    name: Name,
    length: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hex: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    malformed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    chosen_version: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    available_versions: Option<Vec<u32>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ipv4: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ipv6: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    connection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stateless_reset_token: Option<String>,
}

impl From<&QuicParameter> for QuicParameterJson {
    fn from(p: &QuicParameter) -> Self {
        let mut j = QuicParameterJson {
            id: p.id,
            name: names::quic_transport_parameter_name(p.id),
            length: p.length,
            value: None,
            hex: None,
            malformed: None,
            chosen_version: None,
            available_versions: None,
            ipv4: None,
            ipv6: None,
            connection_id: None,
            stateless_reset_token: None,
        };
        match &p.value {
            QuicParameterValue::Integer(v) => j.value = Some(*v),
            QuicParameterValue::Bytes(b) => j.hex = Some(crate::hex_text::lower(b)),
            QuicParameterValue::Empty => {}
            QuicParameterValue::Versions { chosen, available } => {
                j.chosen_version = Some(*chosen);
                j.available_versions = Some(available.clone());
            }
            QuicParameterValue::PreferredAddress { ipv4, ipv6, connection_id, stateless_reset_token } => {
                j.ipv4 = Some(ipv4.to_string());
                j.ipv6 = Some(ipv6.to_string());
                j.connection_id = Some(crate::hex_text::lower(connection_id));
                j.stateless_reset_token = Some(crate::hex_text::lower(stateless_reset_token));
            }
            QuicParameterValue::Malformed(b) => {
                j.hex = Some(crate::hex_text::lower(b));
                j.malformed = Some(true);
            }
        }
        j
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

/// The groups of a ClientHello's key shares, in order.
pub fn key_share_groups(exts: &[Extension]) -> Option<Vec<u16>> {
    exts.iter().find_map(|e| match &e.body {
        ExtensionBody::KeyShares { key_shares } => Some(key_shares.iter().map(|k| k.group).collect()),
        _ => None,
    })
}

/// The group of a ServerHello's key share.
pub fn server_key_share_group(exts: &[Extension]) -> Option<u16> {
    exts.iter().find_map(|e| match e.body {
        ExtensionBody::KeyShare { key_share } => Some(key_share.group),
        _ => None,
    })
}

/// The group a HelloRetryRequest asks for.
pub fn retry_group(exts: &[Extension]) -> Option<u16> {
    exts.iter().find_map(|e| match e.body {
        ExtensionBody::KeyShareRetry { selected_group } => Some(selected_group),
        _ => None,
    })
}

/// The cookie of a cookie extension.
pub fn cookie(exts: &[Extension]) -> Option<&[u8]> {
    exts.iter().find_map(|e| match &e.body {
        ExtensionBody::Cookie { cookie } => Some(cookie.as_slice()),
        _ => None,
    })
}

/// The certificate type chosen in a server_certificate_type or client_certificate_type
/// extension (`typ`, RFC 7250) of a ServerHello or EncryptedExtensions.
pub fn chosen_certificate_type(exts: &[Extension], typ: ExtensionType) -> Option<u8> {
    exts.iter().filter(|e| e.extension_type() == typ).find_map(|e| match e.body {
        ExtensionBody::CertificateType { certificate_type } => Some(certificate_type),
        _ => None,
    })
}

/// max_early_data_size of a NewSessionTicket's early_data extension.
pub fn max_early_data_size(exts: &[Extension]) -> Option<u32> {
    exts.iter().find_map(|e| match e.body {
        ExtensionBody::MaxEarlyData { max_early_data_size } => Some(max_early_data_size),
        _ => None,
    })
}

/// True when a ClientHello offers TLS 1.3 (or a draft of it) in supported_versions.
pub fn offers_tls13(exts: &[Extension]) -> bool {
    offered_versions(exts).is_some_and(|v| v.iter().any(|&v| super::hello::is_tls13(v)))
}
