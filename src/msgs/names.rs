//! Display names for code points inside messages.
//!
//! Names of the big IANA registries (cipher suites, groups, signature schemes, versions,
//! alerts) come from `crate::registry`; GREASE values are named "GREASE"; anything unknown
//! keeps its number in the name. The handful of tiny registries the `registry` module has no
//! lookup for (compression methods, certificate types, HPKE ids, ...) are tabled here.

use crate::registry;

/// "GREASE", the registry's name, or `unknown_0x1234`.
fn name16(code: u16, lookup: fn(u16) -> Option<&'static str>) -> String {
    if registry::is_grease(code) {
        return "GREASE".to_string();
    }
    lookup(code).map(str::to_string).unwrap_or_else(|| format!("unknown_0x{code:04x}"))
}

pub fn cipher_suite_name(code: u16) -> String {
    name16(code, |c| registry::cipher_suite(c).map(|s| s.name))
}

pub fn group_name(code: u16) -> String {
    name16(code, registry::group_name)
}

pub fn signature_scheme_name(code: u16) -> String {
    name16(code, registry::signature_scheme_name)
}

pub fn version_name(code: u16) -> String {
    if registry::is_grease(code) {
        return "GREASE".to_string();
    }
    registry::version_name(code).unwrap_or_else(|| format!("unknown_0x{code:04x}"))
}

pub fn compression_method_name(code: u8) -> String {
    match code {
        0 => "null".to_string(),
        1 => "DEFLATE".to_string(),
        64 => "LZS".to_string(),
        _ => format!("unknown_{code}"),
    }
}

/// RFC 8879 certificate compression algorithms.
pub fn certificate_compression_name(code: u16) -> String {
    if registry::is_grease(code) {
        return "GREASE".to_string();
    }
    match code {
        1 => "zlib".to_string(),
        2 => "brotli".to_string(),
        3 => "zstd".to_string(),
        _ => format!("unknown_{code}"),
    }
}

pub fn psk_key_exchange_mode_name(code: u8) -> String {
    match code {
        0 => "psk_ke".to_string(),
        1 => "psk_dhe_ke".to_string(),
        // GREASE values for one-byte registries (RFC 8701): 0x0b, 0x2a, 0x49, ... (0x1f step).
        c if c % 0x1f == 0x0b => "GREASE".to_string(),
        _ => format!("unknown_{code}"),
    }
}

/// CertificateStatusType (RFC 6066, RFC 6961).
pub fn certificate_status_type_name(code: u8) -> String {
    match code {
        1 => "ocsp".to_string(),
        2 => "ocsp_multi".to_string(),
        _ => format!("unknown_{code}"),
    }
}

/// ClientCertificateType of a TLS <= 1.2 CertificateRequest.
pub fn client_certificate_type_name(code: u8) -> String {
    let name = match code {
        1 => "rsa_sign",
        2 => "dss_sign",
        3 => "rsa_fixed_dh",
        4 => "dss_fixed_dh",
        5 => "rsa_ephemeral_dh",
        6 => "dss_ephemeral_dh",
        20 => "fortezza_dms",
        64 => "ecdsa_sign",
        65 => "rsa_fixed_ecdh",
        66 => "ecdsa_fixed_ecdh",
        67 => "gost_sign256",
        68 => "gost_sign512",
        _ => return format!("unknown_{code}"),
    };
    name.to_string()
}

/// Certificate types of the client/server_certificate_type extensions (RFC 7250).
pub fn certificate_type_name(code: u8) -> String {
    match code {
        0 => "X509".to_string(),
        1 => "OpenPGP".to_string(),
        2 => "RawPublicKey".to_string(),
        _ => format!("unknown_{code}"),
    }
}

/// The certificate_type value for RFC 7250 raw public keys.
pub const CERTIFICATE_TYPE_RAW_PUBLIC_KEY: u8 = 2;

pub fn ec_point_format_name(code: u8) -> String {
    match code {
        0 => "uncompressed".to_string(),
        1 => "ansiX962_compressed_prime".to_string(),
        2 => "ansiX962_compressed_char2".to_string(),
        _ => format!("unknown_{code}"),
    }
}

pub fn heartbeat_mode_name(code: u8) -> String {
    match code {
        1 => "peer_allowed_to_send".to_string(),
        2 => "peer_not_allowed_to_send".to_string(),
        _ => format!("unknown_{code}"),
    }
}

/// max_fragment_length code to bytes (RFC 6066 4).
pub fn max_fragment_length_bytes(code: u8) -> Option<u32> {
    match code {
        1..=4 => Some(1 << (8 + u32::from(code))),
        _ => None,
    }
}

/// HPKE KDF identifiers (RFC 9180 7.2), as used by ECH.
pub fn hpke_kdf_name(code: u16) -> String {
    match code {
        1 => "HKDF-SHA256".to_string(),
        2 => "HKDF-SHA384".to_string(),
        3 => "HKDF-SHA512".to_string(),
        _ => format!("unknown_0x{code:04x}"),
    }
}

/// HPKE AEAD identifiers (RFC 9180 7.3).
pub fn hpke_aead_name(code: u16) -> String {
    match code {
        1 => "AES-128-GCM".to_string(),
        2 => "AES-256-GCM".to_string(),
        3 => "ChaCha20Poly1305".to_string(),
        0xffff => "Export-only".to_string(),
        _ => format!("unknown_0x{code:04x}"),
    }
}

/// QUIC transport parameter names (RFC 9000 18.2 and later RFCs). Reserved ids 31*N+27 are
/// GREASE (RFC 9000 18.1).
pub fn quic_transport_parameter_name(id: u64) -> String {
    let name = match id {
        0x00 => "original_destination_connection_id",
        0x01 => "max_idle_timeout",
        0x02 => "stateless_reset_token",
        0x03 => "max_udp_payload_size",
        0x04 => "initial_max_data",
        0x05 => "initial_max_stream_data_bidi_local",
        0x06 => "initial_max_stream_data_bidi_remote",
        0x07 => "initial_max_stream_data_uni",
        0x08 => "initial_max_streams_bidi",
        0x09 => "initial_max_streams_uni",
        0x0a => "ack_delay_exponent",
        0x0b => "max_ack_delay",
        0x0c => "disable_active_migration",
        0x0d => "preferred_address",
        0x0e => "active_connection_id_limit",
        0x0f => "initial_source_connection_id",
        0x10 => "retry_source_connection_id",
        0x11 => "version_information",
        0x20 => "max_datagram_frame_size",
        0x2ab2 => "grease_quic_bit",
        0xff04de1b => "min_ack_delay",
        id if id >= 27 && (id - 27) % 31 == 0 => "GREASE",
        _ => return format!("unknown_0x{id:x}"),
    };
    name.to_string()
}

pub fn key_update_request_name(code: u8) -> String {
    match code {
        0 => "update_not_requested".to_string(),
        1 => "update_requested".to_string(),
        _ => format!("unknown_{code}"),
    }
}

pub fn alert_level_name(code: u8) -> String {
    registry::alert_level_name(code).map(str::to_string).unwrap_or_else(|| match code {
        1 => "warning".to_string(),
        2 => "fatal".to_string(),
        _ => format!("unknown_{code}"),
    })
}

pub fn alert_description_name(code: u8) -> String {
    registry::alert_description_name(code).map(str::to_string).unwrap_or_else(|| format!("unknown_{code}"))
}
