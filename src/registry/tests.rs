use super::tables;
use super::*;

#[test]
fn tls13_suite_parts() {
    let suite = cipher_suite(0x1301).unwrap();
    assert_eq!(suite.name, "TLS_AES_128_GCM_SHA256");
    assert_eq!((suite.kx, suite.auth, suite.cipher, suite.mac), ("TLS13", "TLS13", "AES_128_GCM", "AEAD"));
    let chacha = cipher_suite(0x1303).unwrap();
    assert_eq!(chacha.name, "TLS_CHACHA20_POLY1305_SHA256");
    assert_eq!(chacha.cipher, "CHACHA20_POLY1305");
}

#[test]
fn tls12_suite_parts() {
    let suite = cipher_suite(0xc02f).unwrap();
    assert_eq!(suite.name, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    assert_eq!((suite.kx, suite.auth, suite.cipher, suite.mac), ("ECDHE", "RSA", "AES_128_GCM", "AEAD"));
    let rc4 = cipher_suite(0x0005).unwrap();
    assert_eq!(rc4.name, "TLS_RSA_WITH_RC4_128_SHA");
    assert_eq!((rc4.kx, rc4.auth, rc4.cipher, rc4.mac), ("RSA", "RSA", "RC4_128", "SHA1"));
    let cbc = cipher_suite(0xc028).unwrap();
    assert_eq!((cbc.kx, cbc.auth, cbc.cipher, cbc.mac), ("ECDHE", "RSA", "AES_256_CBC", "SHA384"));
    let anon = cipher_suite(0x0018).unwrap();
    assert_eq!((anon.kx, anon.auth), ("DH", "anon"));
    let psk = cipher_suite(0x00aa).unwrap();
    assert_eq!((psk.kx, psk.auth), ("DHE", "PSK"));
    let ccm8 = cipher_suite(0xc0ae).unwrap();
    assert_eq!((ccm8.cipher, ccm8.mac), ("AES_128_CCM_8", "AEAD"));
}

#[test]
fn export_null_and_signalling_suites() {
    let export = cipher_suite(0x0003).unwrap();
    assert_eq!(export.name, "TLS_RSA_EXPORT_WITH_RC4_40_MD5");
    assert_eq!((export.kx, export.auth, export.cipher, export.mac), ("RSA_EXPORT", "RSA", "RC4_40", "MD5"));
    let dhe_export = cipher_suite(0x0014).unwrap();
    assert_eq!((dhe_export.kx, dhe_export.auth), ("DHE_EXPORT", "RSA"));
    let null = cipher_suite(0x0000).unwrap();
    assert_eq!((null.kx, null.cipher, null.mac), ("NULL", "NULL", "NULL"));
    let null_sha = cipher_suite(0x0002).unwrap();
    assert_eq!((null_sha.cipher, null_sha.mac), ("NULL", "SHA1"));
    let integrity_only = cipher_suite(0xc0b4).unwrap();
    assert_eq!(integrity_only.name, "TLS_SHA256_SHA256");
    assert_eq!((integrity_only.cipher, integrity_only.mac), ("NULL", "SHA256"));
    for code in [0x00ff, 0x5600] {
        let scsv = cipher_suite(code).unwrap();
        assert_eq!((scsv.kx, scsv.auth, scsv.cipher, scsv.mac), ("SCSV", "SCSV", "SCSV", "SCSV"));
    }
    assert_eq!(cipher_suite(0x00ff).unwrap().name, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV");
    assert_eq!(cipher_suite(0x5600).unwrap().name, "TLS_FALLBACK_SCSV");
}

#[test]
fn unregistered_suites_are_named_and_marked() {
    let old_chacha = cipher_suite(0xcc13).unwrap();
    assert_eq!(old_chacha.name, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256_OLD");
    assert_eq!(
        (old_chacha.kx, old_chacha.auth, old_chacha.cipher, old_chacha.mac),
        ("ECDHE", "RSA", "CHACHA20_POLY1305", "AEAD")
    );
    assert!(unofficial_note(Registry::CipherSuite, 0xcc13).is_some());
    assert_eq!(unofficial_note(Registry::CipherSuite, 0xcca8), None);
    assert_eq!(cipher_suite(0x0081).unwrap().name, "TLS_GOSTR341001_WITH_28147_CNT_IMIT");
    assert_eq!(cipher_suite(0x0064).unwrap().kx, "RSA_EXPORT1024");
    // Inside IANA's unassigned space and not a known implementation's code point.
    assert_eq!(cipher_suite(0x1308), None);
    assert_eq!(cipher_suite(0xff00), None);
}

#[test]
fn grease_values() {
    assert!(is_grease(0x0a0a));
    assert!(is_grease(0xfafa));
    assert!(!is_grease(0x0a1a));
    assert!(!is_grease(0x1301));
    let greased: Vec<u16> = (0..=u16::MAX).filter(|&c| is_grease(c)).collect();
    assert_eq!(greased.len(), 16);
    for code in greased {
        assert_eq!(cipher_suite(code).unwrap().name, "GREASE");
        assert_eq!(cipher_suite(code).unwrap().kx, "GREASE");
        assert_eq!(extension_name(code), Some("GREASE"));
        assert_eq!(group_name(code), Some("GREASE"));
        assert_eq!(version_name(code).as_deref(), Some("GREASE"));
    }
    assert!(is_grease_psk_mode(0x0b));
    assert!(is_grease_psk_mode(0xe4));
    assert!(!is_grease_psk_mode(0x01));
    assert_eq!((0..=u8::MAX).filter(|&c| is_grease_psk_mode(c)).count(), 8);
}

#[test]
fn extensions() {
    assert_eq!(extension_name(0), Some("server_name"));
    assert_eq!(extension_name(10), Some("supported_groups"));
    assert_eq!(extension_name(35), Some("session_ticket"));
    assert_eq!(extension_name(43), Some("supported_versions"));
    assert_eq!(extension_name(51), Some("key_share"));
    assert_eq!(extension_name(65281), Some("renegotiation_info"));
    assert_eq!(extension_name(13172), Some("next_protocol_negotiation"));
    assert_eq!(extension_name(17513), Some("application_settings_old"));
    assert_eq!(extension_name(17613), Some("application_settings"));
    assert_eq!(extension_name(30032), Some("channel_id"));
    assert_eq!(extension_name(0xfe0d), Some("encrypted_client_hello"));
    assert_eq!(extension_name(40), Some("key_share_old"));
    assert!(unofficial_note(Registry::Extension, 0xfe0d).is_some());
    assert_eq!(unofficial_note(Registry::Extension, 51), None);
    assert_eq!(extension_name(0x1234), None);
}

#[test]
fn groups_and_signature_schemes() {
    assert_eq!(group_name(29), Some("x25519"));
    assert_eq!(group_name(23), Some("secp256r1"));
    assert_eq!(group_name(256), Some("ffdhe2048"));
    assert_eq!(group_name(0x11ec), Some("X25519MLKEM768"));
    assert_eq!(group_name(0x6399), Some("X25519Kyber768Draft00"));
    assert_eq!(group_name(513), Some("MLKEM768"));
    assert_eq!(group_name(0x4138), Some("CECPQ2"));
    assert_eq!(group_name(0x1234), None);

    assert_eq!(signature_scheme_name(0x0804), Some("rsa_pss_rsae_sha256"));
    assert_eq!(signature_scheme_name(0x0403), Some("ecdsa_secp256r1_sha256"));
    assert_eq!(signature_scheme_name(0x0807), Some("ed25519"));
    assert_eq!(signature_scheme_name(0x0201), Some("rsa_pkcs1_sha1"));
    assert_eq!(signature_scheme_name(0x0905), Some("mldsa65"));
    assert_eq!(signature_scheme_name(0x0402), None);
    assert_eq!(signature_pair_name(0x0402), Some("dsa_sha256"));
    assert_eq!(signature_pair_name(0x0303), Some("ecdsa_sha224"));
    assert_eq!(signature_pair_name(0x0909), None);
    assert_eq!(hash_algorithm_name(4), Some("sha256"));
    assert_eq!(signature_algorithm_name(3), Some("ecdsa"));
}

#[test]
fn one_byte_registries() {
    assert_eq!(alert_description_name(48), Some("unknown_ca"));
    assert_eq!(alert_description_name(0), Some("close_notify"));
    assert_eq!(alert_description_name(40), Some("handshake_failure"));
    assert_eq!(alert_description_name(121), Some("ech_required"));
    assert_eq!(alert_description_name(1), None);
    assert_eq!(alert_level_name(1), Some("warning"));
    assert_eq!(alert_level_name(2), Some("fatal"));
    assert_eq!(alert_level_name(3), None);
    assert_eq!(handshake_type_name(1), Some("client_hello"));
    assert_eq!(handshake_type_name(4), Some("new_session_ticket"));
    assert_eq!(handshake_type_name(12), Some("server_key_exchange_RESERVED"));
    assert_eq!(handshake_type_name(67), Some("next_protocol"));
    assert_eq!(handshake_type_name(7), None);
    assert_eq!(content_type_name(22), Some("handshake"));
    assert_eq!(content_type_name(23), Some("application_data"));
    assert_eq!(content_type_name(26), Some("ACK"));
    assert_eq!(content_type_name(0), None);
    assert_eq!(ec_point_format_name(0), Some("uncompressed"));
    assert_eq!(ec_curve_type_name(3), Some("named_curve"));
    assert_eq!(psk_key_exchange_mode_name(1), Some("psk_dhe_ke"));
    assert_eq!(cert_compression_name(2), Some("brotli"));
    assert_eq!(cert_compression_name(0), None);
    assert_eq!(compression_method_name(0), Some("NULL"));
    assert_eq!(compression_method_name(1), Some("DEFLATE"));
    assert_eq!(certificate_type_name(1), Some("rsa_sign"));
    assert_eq!(certificate_type_name(64), Some("ecdsa_sign"));
    assert_eq!(tls_certificate_type_name(2), Some("Raw Public Key"));
    assert_eq!(certificate_status_type_name(1), Some("ocsp"));
}

#[test]
fn version_names() {
    let name = |code| version_name(code);
    assert_eq!(name(0x0300).as_deref(), Some("SSL 3.0"));
    assert_eq!(name(0x0301).as_deref(), Some("TLS 1.0"));
    assert_eq!(name(0x0302).as_deref(), Some("TLS 1.1"));
    assert_eq!(name(0x0303).as_deref(), Some("TLS 1.2"));
    assert_eq!(name(0x0304).as_deref(), Some("TLS 1.3"));
    assert_eq!(name(0x7f17).as_deref(), Some("TLS 1.3 draft 23"));
    assert_eq!(name(0x7f1c).as_deref(), Some("TLS 1.3 draft 28"));
    assert_eq!(name(0x7e01).as_deref(), Some("TLS 1.3 experiment 0x7e01"));
    assert_eq!(name(0xfb1a).as_deref(), Some("TLS 1.3 draft 26 (Facebook)"));
    assert_eq!(name(0xfefd).as_deref(), Some("DTLS 1.2"));
    assert_eq!(name(0xfeff).as_deref(), Some("DTLS 1.0"));
    assert_eq!(name(0xfefc).as_deref(), Some("DTLS 1.3"));
    assert_eq!(name(0x2a2a).as_deref(), Some("GREASE"));
    assert_eq!(name(0x0305), None);
    assert_eq!(name(0xfb00), None);
}

#[test]
fn tables_are_strictly_sorted() {
    fn sorted<K: Ord + Copy>(keys: impl Iterator<Item = K>) -> bool {
        let keys: Vec<K> = keys.collect();
        keys.windows(2).all(|w| w[0] < w[1])
    }
    assert!(sorted(tables::CIPHER_SUITES.iter().map(|s| s.code)));
    for table in [tables::CERT_COMPRESSION_ALGORITHMS, tables::SIGNATURE_PAIRS] {
        assert!(sorted(table.iter().map(|e| e.0)));
    }
    for table in [
        tables::EC_POINT_FORMATS,
        tables::EC_CURVE_TYPES,
        tables::PSK_KEY_EXCHANGE_MODES,
        tables::COMPRESSION_METHODS,
        tables::CLIENT_CERTIFICATE_TYPES,
        tables::CERTIFICATE_TYPES,
        tables::CERTIFICATE_STATUS_TYPES,
        tables::SIGNATURE_ALGORITHMS,
        tables::HASH_ALGORITHMS,
    ] {
        assert!(sorted(table.iter().map(|e| e.0)));
    }
}

#[test]
fn every_suite_has_all_parts() {
    assert!(cipher_suites().len() > 380);
    for suite in cipher_suites() {
        for part in [suite.kx, suite.auth, suite.cipher, suite.mac] {
            assert!(!part.is_empty(), "{suite:?}");
        }
        if suite.name != "GREASE" {
            assert_eq!(cipher_suite_by_name(suite.name).map(|s| s.code), Some(suite.code));
        }
    }
}

#[test]
fn every_unofficial_entry_has_a_name() {
    for &(registry, code, note) in tables::UNOFFICIAL {
        assert!(!note.is_empty());
        let named = match registry {
            Registry::CipherSuite => cipher_suite(code).is_some(),
            Registry::Extension => extension_name(code).is_some(),
            Registry::Group => group_name(code).is_some(),
            Registry::SignatureScheme => signature_scheme_name(code).is_some(),
            Registry::HandshakeType => u8::try_from(code).ok().and_then(handshake_type_name).is_some(),
        };
        assert!(named, "{registry:?} {code:#06x}");
    }
}

// ---- every named row of every stored registry file is reachable through the API ----------

/// Minimal RFC 4180 reader: quoted fields may hold commas, doubled quotes and newlines.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn single_value(text: &str) -> Option<u16> {
    let text = text.trim();
    if let Some((hi, lo)) = text.split_once(',') {
        let byte = |s: &str| u8::from_str_radix(s.trim().strip_prefix("0x")?, 16).ok();
        return Some(u16::from_be_bytes([byte(hi)?, byte(lo)?]));
    }
    match text.strip_prefix("0x") {
        Some(hex) => u16::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// The name the tables should carry for a row, or None for rows naming nothing.
fn expected_name(description: &str, reference: &str) -> Option<String> {
    let name = description.split_whitespace().collect::<Vec<_>>().join(" ");
    if name == "Reserved" && reference.contains("RFC8701") {
        return Some("GREASE".to_string());
    }
    let lowered = name.to_lowercase();
    if lowered.starts_with("unassigned") || lowered.starts_with("reserved") {
        return None;
    }
    let name = match name.find(" (renamed from") {
        Some(at) => name[..at].to_string(),
        None => name,
    };
    Some(name.trim_end_matches(" (OBSOLETE)").to_string())
}

/// Checks every named single-value row of one registry file against the API. The exact row
/// count catches a data file that lost or gained rows unnoticed.
fn check_registry(file: &str, text: &str, lookup: &dyn Fn(u16) -> Option<String>, named_rows: usize) {
    let rows = parse_csv(text);
    let header = &rows[0];
    let reference_col = header.iter().position(|h| h == "Reference");
    let mut checked = 0;
    for row in &rows[1..] {
        let Some(code) = single_value(&row[0]) else {
            continue;
        };
        let reference = reference_col.and_then(|i| row.get(i)).map_or("", String::as_str);
        let Some(name) = expected_name(&row[1], reference) else {
            continue;
        };
        assert_eq!(lookup(code), Some(name), "{file}: {}", row[0]);
        checked += 1;
    }
    assert_eq!(checked, named_rows, "{file}");
}

fn via_u8(f: fn(u8) -> Option<&'static str>) -> impl Fn(u16) -> Option<String> {
    move |code| f(u8::try_from(code).ok()?).map(str::to_string)
}

fn via_u16(f: fn(u16) -> Option<&'static str>) -> impl Fn(u16) -> Option<String> {
    move |code| f(code).map(str::to_string)
}

#[test]
fn every_registry_row_has_its_name() {
    let suites = |code| cipher_suite(code).map(|s| s.name.to_string());
    check_registry("tls-parameters-4.csv", include_str!("data/tls-parameters-4.csv"), &suites, 372);
    check_registry(
        "tls-extensiontype-values-1.csv",
        include_str!("data/tls-extensiontype-values-1.csv"),
        &via_u16(extension_name),
        76,
    );
    check_registry("tls-parameters-8.csv", include_str!("data/tls-parameters-8.csv"), &via_u16(group_name), 72);
    check_registry(
        "tls-signaturescheme.csv",
        include_str!("data/tls-signaturescheme.csv"),
        &via_u16(signature_scheme_name),
        37,
    );
    check_registry(
        "tls-parameters-6.csv",
        include_str!("data/tls-parameters-6.csv"),
        &via_u8(alert_description_name),
        37,
    );
    check_registry("tls-parameters-7.csv", include_str!("data/tls-parameters-7.csv"), &via_u8(handshake_type_name), 25);
    check_registry("tls-parameters-5.csv", include_str!("data/tls-parameters-5.csv"), &via_u8(content_type_name), 7);
    check_registry("tls-parameters-9.csv", include_str!("data/tls-parameters-9.csv"), &via_u8(ec_point_format_name), 3);
    check_registry("tls-parameters-10.csv", include_str!("data/tls-parameters-10.csv"), &via_u8(ec_curve_type_name), 3);
    check_registry(
        "tls-pskkeyexchangemode.csv",
        include_str!("data/tls-pskkeyexchangemode.csv"),
        &via_u8(psk_key_exchange_mode_name),
        2,
    );
    check_registry(
        "tls-certificate-compression-algorithm-ids.csv",
        include_str!("data/tls-certificate-compression-algorithm-ids.csv"),
        &via_u16(cert_compression_name),
        3,
    );
    check_registry(
        "comp-meth-ids-2.csv",
        include_str!("data/comp-meth-ids-2.csv"),
        &via_u8(compression_method_name),
        3,
    );
    check_registry(
        "tls-parameters-2.csv",
        include_str!("data/tls-parameters-2.csv"),
        &via_u8(certificate_type_name),
        12,
    );
    check_registry(
        "tls-extensiontype-values-3.csv",
        include_str!("data/tls-extensiontype-values-3.csv"),
        &via_u8(tls_certificate_type_name),
        4,
    );
    check_registry(
        "tls-parameters-16.csv",
        include_str!("data/tls-parameters-16.csv"),
        &via_u8(signature_algorithm_name),
        8,
    );
    check_registry(
        "tls-parameters-18.csv",
        include_str!("data/tls-parameters-18.csv"),
        &via_u8(hash_algorithm_name),
        8,
    );
    check_registry(
        "certificate-status.csv",
        include_str!("data/certificate-status.csv"),
        &via_u8(certificate_status_type_name),
        2,
    );
}

/// Every code a registry file and extra.csv name, with the name: the data the wire enums are
/// generated from, read independently of gen.py.
fn named_codes(text: &str, extra_registry: Option<&str>) -> std::collections::HashMap<u16, String> {
    let rows = parse_csv(text);
    let reference_col = rows[0].iter().position(|h| h == "Reference");
    let mut out = std::collections::HashMap::new();
    for row in &rows[1..] {
        let Some(code) = single_value(&row[0]) else { continue };
        let reference = reference_col.and_then(|i| row.get(i)).map_or("", String::as_str);
        if let Some(name) = expected_name(&row[1], reference) {
            out.insert(code, name);
        }
    }
    for row in &parse_csv(include_str!("data/extra.csv"))[1..] {
        if Some(row[0].as_str()) == extra_registry {
            out.insert(single_value(&row[1]).unwrap(), row[2].clone());
        }
    }
    out
}

/// Over the whole range of a wire enum: every code converts to a variant and back unchanged,
/// registered codes get their registry name and a variant of their own, GREASE values (when the
/// registry lists them) the `Grease` variant, and every other code is `Unknown` with no name.
macro_rules! check_wire_enum {
    ($enum:ident, $int:ty, $named:expr, grease: $grease:expr) => {{
        let named = $named;
        let mut registered = 0;
        for code in <$int>::MIN..=<$int>::MAX {
            let value = $enum::from(code);
            assert_eq!(<$int>::from(value), code, "{} {code:#x} round trip", stringify!($enum));
            let expected = named.get(&u16::from(code)).map(String::as_str);
            assert_eq!(value.name(), expected, "{} {code:#x} name", stringify!($enum));
            let grease = $grease && is_grease(u16::from(code));
            assert_eq!(format!("{value:?}").starts_with("Grease("), grease, "{} {code:#x}", stringify!($enum));
            let unknown = format!("{value:?}").starts_with("Unknown(");
            assert_eq!(unknown, expected.is_none(), "{} {code:#x} is {value:?}", stringify!($enum));
            if !unknown && !grease {
                registered += 1;
            }
        }
        assert!(registered > 0);
        registered
    }};
}

#[test]
fn wire_enums_round_trip_every_code_and_name_it_from_the_data() {
    let extensions = named_codes(include_str!("data/tls-extensiontype-values-1.csv"), Some("extension"));
    assert_eq!(check_wire_enum!(ExtensionType, u16, extensions, grease: true), 72);
    let groups = named_codes(include_str!("data/tls-parameters-8.csv"), Some("group"));
    assert_eq!(check_wire_enum!(NamedGroup, u16, groups, grease: true), 57);
    let schemes = named_codes(include_str!("data/tls-signaturescheme.csv"), Some("signature_scheme"));
    assert_eq!(check_wire_enum!(SignatureScheme, u16, schemes, grease: false), 37);
    let alerts = named_codes(include_str!("data/tls-parameters-6.csv"), None);
    assert_eq!(check_wire_enum!(AlertDescription, u8, alerts, grease: false), 37);
    let handshakes = named_codes(include_str!("data/tls-parameters-7.csv"), Some("handshake_type"));
    assert_eq!(check_wire_enum!(HandshakeType, u8, handshakes, grease: false), 26);
    let contents = named_codes(include_str!("data/tls-parameters-5.csv"), None);
    assert_eq!(check_wire_enum!(ContentType, u8, contents, grease: false), 7);
    let levels: std::collections::HashMap<u16, String> = [(1, "warning".to_string()), (2, "fatal".to_string())].into();
    assert_eq!(check_wire_enum!(AlertLevel, u8, levels, grease: false), 2);
    let suites = named_codes(include_str!("data/tls-parameters-4.csv"), Some("cipher_suite"));
    assert_eq!(check_wire_enum!(CipherSuiteId, u16, suites, grease: true), 374);
}

#[test]
fn wire_enum_variants() {
    assert_eq!(ExtensionType::from(0x002b), ExtensionType::SupportedVersions);
    assert_eq!(u16::from(ExtensionType::KeyShare), 51);
    assert_eq!(ExtensionType::from(0xfafa), ExtensionType::Grease(0xfafa));
    assert_eq!(ExtensionType::Grease(0xfafa).name(), Some("GREASE"));
    assert_eq!(ExtensionType::from(0xffa5), ExtensionType::Unknown(0xffa5));
    assert_eq!(HandshakeType::from(1), HandshakeType::ClientHello);
    assert_eq!(HandshakeType::ServerKeyExchange.name(), Some("server_key_exchange_RESERVED"));
    assert_eq!(ContentType::from(23), ContentType::ApplicationData);
    assert_eq!(AlertDescription::from(48).name(), Some("unknown_ca"));
    assert_eq!(AlertLevel::from(2), AlertLevel::Fatal);
    assert_eq!(NamedGroup::from(0x11ec), NamedGroup::X25519MLKEM768);
    assert_eq!(SignatureScheme::from(0x0804), SignatureScheme::RsaPssRsaeSha256);
    assert_eq!(SignatureScheme::from(0x0a0a), SignatureScheme::Unknown(0x0a0a));
    assert_eq!(CipherSuiteId::from(0x1301), CipherSuiteId::TLS_AES_128_GCM_SHA256);
    assert_eq!(CipherSuiteId::TLS_AES_128_GCM_SHA256.name(), Some("TLS_AES_128_GCM_SHA256"));
    assert_eq!(CipherSuiteId::from(0x5600).name(), Some("TLS_FALLBACK_SCSV"));
    assert_eq!(CipherSuiteId::Unknown(0x0909).name(), None);
}

/// The TLS 1.2 pairs the SignatureScheme registry leaves unnamed, each named from the hash and
/// signature registries; the pairs it names, and everything else, are not pairs.
#[test]
fn signature_pairs() {
    let expected = [
        (0x0101, "rsa_pkcs1_md5"),
        (0x0102, "dsa_md5"),
        (0x0103, "ecdsa_md5"),
        (0x0202, "dsa_sha1"),
        (0x0301, "rsa_pkcs1_sha224"),
        (0x0302, "dsa_sha224"),
        (0x0303, "ecdsa_sha224"),
        (0x0402, "dsa_sha256"),
        (0x0502, "dsa_sha384"),
        (0x0602, "dsa_sha512"),
    ];
    for code in 0..=u16::MAX {
        let want = expected.iter().find(|(c, _)| *c == code).map(|&(_, name)| name);
        assert_eq!(signature_pair_name(code), want, "{code:#06x}");
        if want.is_some() {
            assert_eq!(signature_scheme_name(code), None, "{code:#06x} is a registered scheme");
        }
    }
    // Each name is the signature and hash registries' names joined.
    for &(code, name) in &expected {
        let [hash, signature] = u16::to_be_bytes(code);
        let signature = signature_algorithm_name(signature).unwrap().replace("rsa", "rsa_pkcs1");
        assert_eq!(name, format!("{signature}_{}", hash_algorithm_name(hash).unwrap()));
    }
}
