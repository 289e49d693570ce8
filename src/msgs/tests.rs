//! Decoder tests over real handshake messages cut out of the project's capture fixtures
//! (tests/data/msgs, see its README for the capture and frame of each). Expected values were
//! cross-checked with tshark's decode of the same frames and, for certificates, with
//! `fixtures/certs/fingerprints.tsv` and `openssl x509` on `fixtures/certs/*.crt`. Cases the
//! fixtures cannot provide are checked against the public corpus by `tests/corpus_decode.rs`.

use super::extensions::ExtensionBody;
use super::*;
use crate::certs::{CertDetails, Signatures};
use crate::registry;
use serde_json::{Value, json};

/// Message type and body of a `.hex` file.
pub(super) fn load(name: &str) -> (u8, Vec<u8>) {
    let path = format!("{}/tests/data/msgs/{name}.hex", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let bytes = hex::decode(text.trim()).unwrap();
    let len = usize::from(bytes[1]) << 16 | usize::from(bytes[2]) << 8 | usize::from(bytes[3]);
    assert_eq!(len, bytes.len() - 4, "{name}: header length");
    (bytes[0], bytes[4..].to_vec())
}

pub(super) fn ctx(version: u16) -> DecodeContext {
    DecodeContext { version: Some(version), from_server: true, ..Default::default() }
}

fn decode_ok(name: &str, ctx: &DecodeContext) -> HandshakeBody {
    let (t, body) = load(name);
    let d = decode_handshake(t, &body, ctx);
    assert_eq!(d.error, None, "{name}");
    d.body
}

fn to_json(body: &HandshakeBody) -> Value {
    serde_json::to_value(body).unwrap()
}

fn client_hello(name: &str) -> ClientHello {
    match decode_ok(name, &DecodeContext::default()) {
        HandshakeBody::ClientHello { client_hello } => *client_hello,
        other => panic!("{name}: {other:?}"),
    }
}

fn server_hello(name: &str) -> ServerHello {
    match decode_ok(name, &DecodeContext::default()) {
        HandshakeBody::ServerHello { server_hello } => *server_hello,
        other => panic!("{name}: {other:?}"),
    }
}

fn ext(exts: &[extensions::Extension], typ: u16) -> &ExtensionBody {
    &exts.iter().find(|e| e.typ == typ).unwrap_or_else(|| panic!("extension {typ} missing")).body
}

fn ext_json(exts: &[extensions::Extension], typ: u16) -> Value {
    serde_json::to_value(exts.iter().find(|e| e.typ == typ).unwrap()).unwrap()
}

fn ext_types(exts: &[extensions::Extension]) -> Vec<u16> {
    exts.iter().map(|e| e.typ).collect()
}

/// A registry name when the registry knows the code point, else the numbered fallback.
fn named(known: Option<&str>, expected: &str, fallback: &str) -> String {
    if known.is_some() { expected.to_string() } else { fallback.to_string() }
}

/// The DER of the `index`th certificate of a TLS 1.2-layout Certificate message body.
fn tls12_der(body: &[u8], index: usize) -> Vec<u8> {
    let u24 = |b: &[u8]| usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]);
    let mut pos = 3;
    for _ in 0..index {
        pos += 3 + u24(&body[pos..]);
    }
    let len = u24(&body[pos..]);
    body[pos + 3..pos + 3 + len].to_vec()
}

/// The OpenSSL test client's signature_algorithms list (tshark: tls.handshake.sig_hash_alg):
/// the TLS 1.3 schemes, then the TLS 1.2-only SHA-224/SHA-1/DSA pairs.
const OPENSSL_SIGNATURE_ALGORITHMS: [u16; 20] = [
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
    0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602,
];

// ---------------------------------------------------------------------------------------------
// Hellos

#[test]
fn tls12_client_hello() {
    let ch = client_hello("tls12-ecdhe-rsa-client-hello");
    assert_eq!(ch.version, 0x0303);
    assert_eq!(ch.version_name, "TLS 1.2");
    // INDEX.tsv client_randoms.
    assert_eq!(hex::encode(&ch.random), "19a3145fe095b17ea33521ca92b3e5eda889b1ba33b6efc52bd526a28e5b06e2");
    assert_eq!(ch.session_id, Vec::<u8>::new());
    assert_eq!(ch.cipher_suites, vec![0xc02f, 0x00ff]);
    assert_eq!(
        ch.cipher_suite_names(),
        vec!["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"]
    );
    assert_eq!(ch.compression_methods, vec![0]);
    assert_eq!(ch.compression_method_names(), vec!["null"]);
    // No supported_versions: the TLS 1.2 reading of the random applies (tshark's "GMT Unix Time").
    let rt = ch.random_time.as_ref().unwrap();
    assert_eq!(rt.unix, 0x19a3145f);
    assert_eq!(rt.utc(), "1983-08-19T05:13:03Z");
    assert_eq!(ch.sni.as_deref(), Some("server.tlstrace.test"));
    assert_eq!(ch.offered_versions(), None);
    assert_eq!(ext_types(&ch.extensions), [0, 11, 10, 35, 22, 23, 13]);
    assert_eq!(ext(&ch.extensions, 0), &ExtensionBody::ServerName { server_name: vec!["server.tlstrace.test".into()] });
    assert_eq!(ext(&ch.extensions, 10), &ExtensionBody::SupportedGroups { groups: vec![29, 23, 30, 25, 24] });
    assert_eq!(ext(&ch.extensions, 11), &ExtensionBody::EcPointFormats { ec_point_formats: vec![0, 1, 2] });
    assert_eq!(ext(&ch.extensions, 35), &ExtensionBody::SessionTicket { ticket_length: 0 });
    assert_eq!(ext(&ch.extensions, 22), &ExtensionBody::Empty);
    assert_eq!(ext(&ch.extensions, 23), &ExtensionBody::Empty);
    assert_eq!(
        ext(&ch.extensions, 13),
        &ExtensionBody::SignatureAlgorithms { signature_algorithms: OPENSSL_SIGNATURE_ALGORITHMS.to_vec() }
    );
    let pf = ext_json(&ch.extensions, 11);
    assert_eq!(
        pf["ec_point_format_names"],
        json!(["uncompressed", "ansiX962_compressed_prime", "ansiX962_compressed_char2"])
    );
    let groups = ext_json(&ch.extensions, 10);
    assert_eq!(groups["group_names"][0], named(registry::group_name(29), "x25519", "unknown_0x001d"));
    let ticket = ext_json(&ch.extensions, 35);
    assert_eq!(ticket, json!({"type": 35, "name": "session_ticket", "length": 0, "session_ticket_length": 0}));
}

#[test]
fn tls13_client_hello_openssl() {
    let ch = client_hello("tls13-client-hello");
    assert_eq!(hex::encode(&ch.random), "1da0beed0785bb8e516e7af9fe1002ba8c70b3dbd069ea6192e71403bdb5c7c2");
    assert_eq!(ch.session_id.len(), 32);
    assert_eq!(ch.cipher_suites, vec![0x1301, 0x00ff]);
    // Offers TLS 1.3, whose randoms carry no time.
    assert!(ch.random_time.is_none());
    assert_eq!(ch.offered_versions().unwrap(), [0x0304]);
    assert_eq!(extensions::alpn(&ch.extensions).unwrap(), ["h2", "http/1.1"]);
    assert_eq!(ext_types(&ch.extensions), [0, 11, 10, 35, 16, 22, 23, 13, 43, 45, 51]);
    assert_eq!(
        ext(&ch.extensions, 51),
        &ExtensionBody::KeyShares { key_shares: vec![extensions::KeyShareEntry { group: 29, key_length: 32 }] }
    );
    assert_eq!(ext(&ch.extensions, 45), &ExtensionBody::PskKeyExchangeModes { modes: vec![1] });
    assert_eq!(
        ext(&ch.extensions, 13),
        &ExtensionBody::SignatureAlgorithms { signature_algorithms: OPENSSL_SIGNATURE_ALGORITHMS[..14].to_vec() }
    );
    let versions = ext_json(&ch.extensions, 43);
    assert_eq!(versions["versions"], json!([0x0304]));
    assert_eq!(versions["version_names"], json!(["TLS 1.3"]));
    let modes = ext_json(&ch.extensions, 45);
    assert_eq!(modes["psk_key_exchange_mode_names"], json!(["psk_dhe_ke"]));
}

#[test]
fn gnutls_client_hellos() {
    // gnutls orders and chooses its extensions differently from openssl: status_request,
    // record_size_limit, renegotiation_info as an extension, and no ec_point_formats choice.
    let ch = client_hello("gnutls-tls13-client-hello");
    assert_eq!(ch.sni.as_deref(), Some("server.tlstrace.test"));
    assert_eq!(ch.cipher_suites, vec![0x1302, 0x1303, 0x1301, 0x1304]);
    assert_eq!(ext_types(&ch.extensions), [5, 10, 11, 13, 16, 22, 23, 35, 51, 43, 65281, 0, 45, 28]);
    assert_eq!(extensions::alpn(&ch.extensions).unwrap(), ["h2", "http/1.1"]);
    assert_eq!(ch.offered_versions().unwrap(), [0x0304]);
    assert!(ch.random_time.is_none());
    assert_eq!(
        ext(&ch.extensions, 51),
        &ExtensionBody::KeyShares {
            key_shares: vec![
                extensions::KeyShareEntry { group: 23, key_length: 65 },
                extensions::KeyShareEntry { group: 29, key_length: 32 },
            ]
        }
    );
    assert_eq!(extensions::key_share_groups(&ch.extensions).unwrap(), vec![23, 29]);
    assert_eq!(
        ext(&ch.extensions, 10),
        &ExtensionBody::SupportedGroups { groups: vec![23, 24, 25, 29, 30, 256, 257, 258, 259, 260] }
    );
    assert_eq!(ext(&ch.extensions, 28), &ExtensionBody::RecordSizeLimit { record_size_limit: 16385 });
    assert_eq!(
        ext(&ch.extensions, 5),
        &ExtensionBody::StatusRequest { status_type: 1, responder_id_list_length: 0, request_extensions_length: 0 }
    );
    assert_eq!(ext(&ch.extensions, 11), &ExtensionBody::EcPointFormats { ec_point_formats: vec![0] });
    assert_eq!(ext(&ch.extensions, 0xff01), &ExtensionBody::RenegotiationInfo { renegotiated_connection: vec![] });
    assert_eq!(ext(&ch.extensions, 45), &ExtensionBody::PskKeyExchangeModes { modes: vec![1, 0] });
    let sig = ext_json(&ch.extensions, 13);
    assert_eq!(sig["signature_algorithms"].as_array().unwrap().len(), 16);
    assert_eq!(sig["signature_algorithms"][0], 0x0401);
    assert_eq!(
        sig["signature_algorithm_names"][0],
        named(registry::signature_scheme_name(0x0401), "rsa_pkcs1_sha256", "unknown_0x0401")
    );
    let ks = ext_json(&ch.extensions, 51);
    assert_eq!(ks["key_shares"][1]["group"], 29);
    assert_eq!(ks["key_shares"][1]["key_length"], 32);
    assert_eq!(ks["key_shares"][1]["group_name"], named(registry::group_name(29), "x25519", "unknown_0x001d"));
    let status = ext_json(&ch.extensions, 5);
    assert_eq!(status["status_type_name"], "ocsp");
    let groups = ext_json(&ch.extensions, 10);
    assert_eq!(groups["group_names"][5], named(registry::group_name(256), "ffdhe2048", "unknown_0x0100"));

    // The TLS 1.2 gnutls hello: no key_share or supported_versions, so its random has a time.
    let ch = client_hello("gnutls-tls12-client-hello");
    assert_eq!(ch.cipher_suites, vec![0xc02f]);
    assert_eq!(ext_types(&ch.extensions), [5, 10, 11, 13, 16, 22, 23, 35, 65281, 0, 28]);
    assert_eq!(ext(&ch.extensions, 28), &ExtensionBody::RecordSizeLimit { record_size_limit: 16384 });
    assert_eq!(ch.random_time.as_ref().unwrap().utc(), "2021-08-18T06:04:51Z");
    let sh = server_hello("gnutls-tls12-server-hello");
    assert_eq!(sh.cipher_suite, 0xc02f);
    // ALPN is chosen in the clear in TLS 1.2 (INDEX.tsv alpn_selected).
    assert_eq!(extensions::alpn(&sh.extensions).unwrap(), ["h2"]);
    let sh = server_hello("gnutls-tls13-server-hello");
    assert_eq!((sh.selected_version, sh.cipher_suite), (Some(0x0304), 0x1302));
    assert_eq!(ext_types(&sh.extensions), [51, 43]);
    assert_eq!(extensions::server_key_share_group(&sh.extensions), Some(23));
}

#[test]
fn resumption_and_renegotiation_client_hellos() {
    // Session-ticket resumption: the ticket from the first connection, and a session id.
    let ch = client_hello("tls12-resume-ticket-client-hello");
    assert_eq!(ext(&ch.extensions, 35), &ExtensionBody::SessionTicket { ticket_length: 176 });
    assert_eq!(hex::encode(&ch.session_id), "ec20ae6e30afe615e7a318e88e500661f0402459b5a01e5fbbbc847e85e87852");
    // Server-initiated renegotiation: the hello travels encrypted (decrypted here) and carries
    // the client's previous verify_data; the server echoes client + server verify_data.
    let ch = client_hello("tls12-renegotiation-client-hello");
    assert_eq!(ch.cipher_suites, vec![0xc02f]);
    assert_eq!(
        ext(&ch.extensions, 0xff01),
        &ExtensionBody::RenegotiationInfo { renegotiated_connection: hex::decode("001bc6ed409735fa78711a14").unwrap() }
    );
    let sh = server_hello("tls12-renegotiation-server-hello");
    let ri = ext_json(&sh.extensions, 0xff01);
    assert_eq!(ri["renegotiated_connection"], "001bc6ed409735fa78711a141d6bf22d731c37fe38b0daee");
    assert_eq!(ri["length"], 25);
    assert_eq!(sh.session_id, ch.session_id);
}

#[test]
fn psk_offer_and_selection() {
    // tshark: psk.identity.identity_length 208, obfuscated_ticket_age 131948881, binders_len 49
    // (one 48-byte binder for a SHA-384 suite).
    let ch = client_hello("tls13-psk-client-hello");
    assert_eq!(
        ext(&ch.extensions, 41),
        &ExtensionBody::PskOffer {
            identities: vec![extensions::PskIdentity { identity_length: 208, obfuscated_ticket_age: 131_948_881 }],
            binder_lengths: vec![48],
        }
    );
    // pre_shared_key must come last.
    assert_eq!(ch.extensions.last().unwrap().typ, 41);
    let psk = ext_json(&ch.extensions, 41);
    assert_eq!(psk["psk_binder_count"], 1);
    assert_eq!(psk["psk_identities"], json!([{"identity_length": 208, "obfuscated_ticket_age": 131_948_881}]));
    assert_eq!(ext(&ch.extensions, 45), &ExtensionBody::PskKeyExchangeModes { modes: vec![1] });
    let sh = server_hello("tls13-psk-server-hello");
    assert_eq!(sh.selected_version, Some(0x0304));
    assert_eq!(sh.cipher_suite, 0x1302);
    assert_eq!(ext(&sh.extensions, 41), &ExtensionBody::PskSelected { selected_identity: 0 });
    assert_eq!(extensions::server_key_share_group(&sh.extensions), Some(29));
    assert_eq!(ext_json(&sh.extensions, 51)["key_share"]["key_length"], 32);
    // TLS 1.3 randoms are not times.
    assert!(sh.random_time.is_none());
    assert!(!sh.hello_retry_request);

    // The 0-RTT hello adds an empty early_data before pre_shared_key.
    let ch = client_hello("tls13-early-data-client-hello");
    let types = ext_types(&ch.extensions);
    assert_eq!(types[types.len() - 2..], [42, 41]);
    assert_eq!(ext(&ch.extensions, 42), &ExtensionBody::Empty);
    assert_eq!(
        ext(&ch.extensions, 41),
        &ExtensionBody::PskOffer {
            identities: vec![extensions::PskIdentity { identity_length: 32, obfuscated_ticket_age: 2_588_440_420 }],
            binder_lengths: vec![48],
        }
    );
}

#[test]
fn hello_retry_request_selected_group() {
    let first = client_hello("tls13-hrr-client-hello-1");
    assert_eq!(extensions::key_share_groups(&first.extensions).unwrap(), vec![29]);
    let hrr = server_hello("tls13-hrr-server-hello");
    assert!(hrr.hello_retry_request);
    assert_eq!(hex::encode(&hrr.random), hex::encode(hello::HELLO_RETRY_REQUEST_RANDOM));
    assert_eq!(hrr.selected_group, Some(23));
    assert_eq!(hrr.selected_version, Some(0x0304));
    assert_eq!(hrr.cipher_suite, 0x1302);
    // This server keeps no state in a cookie.
    assert_eq!((hrr.cookie.as_deref(), hrr.cookie_length), (None, None));
    assert_eq!(ext(&hrr.extensions, 51), &ExtensionBody::KeyShareRetry { selected_group: 23 });
    let j = serde_json::to_value(&hrr).unwrap();
    assert_eq!(j["hello_retry_request"], true);
    assert_eq!(j["selected_group"], 23);
    assert_eq!(j["selected_group_name"], named(registry::group_name(23), "secp256r1", "unknown_0x0017"));
    assert!(j.get("random_time").is_none());
    assert!(j.get("cookie").is_none());
    let second = client_hello("tls13-hrr-client-hello-2");
    assert_eq!(
        ext(&second.extensions, 51),
        &ExtensionBody::KeyShares { key_shares: vec![extensions::KeyShareEntry { group: 23, key_length: 65 }] }
    );
    assert_eq!(second.session_id, first.session_id);
    let sh = server_hello("tls13-hrr-server-hello-2");
    assert!(!sh.hello_retry_request);
    assert_eq!(sh.selected_group, None);
    assert_eq!(
        ext(&sh.extensions, 51),
        &ExtensionBody::KeyShare { key_share: extensions::KeyShareEntry { group: 23, key_length: 65 } }
    );
}

#[test]
fn draft_hello_retry_request_message_type_6() {
    // Drafts -19..-21 framing: version, cipher suite, extensions (key_share 40 selected group).
    // Hand-made, and malformed on purpose: the cookie extension is empty (a cookie has a
    // 2-byte length). The HRR still decodes, and the cookie is reported malformed, not dropped.
    let body = hex::decode("7f131301000a002800020017002c0000").unwrap_or_default();
    let d = decode_handshake(6, &body, &DecodeContext::default());
    assert_eq!(d.error, None);
    match d.body {
        HandshakeBody::ServerHello { server_hello } => {
            assert!(server_hello.hello_retry_request);
            assert_eq!(server_hello.version, 0x7f13);
            assert_eq!(server_hello.cipher_suite, 0x1301);
            assert_eq!(server_hello.selected_group, Some(23));
            assert!(matches!(ext(&server_hello.extensions, 44), ExtensionBody::Malformed { .. }));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn server_hellos_tls12() {
    let sh = server_hello("tls12-ecdhe-rsa-server-hello");
    assert_eq!((sh.version, sh.cipher_suite, sh.compression_method), (0x0303, 0xc02f, 0));
    assert_eq!(sh.cipher_suite_name, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    // tshark: GMT Unix Time Oct 24, 2024 20:24:47 UTC.
    let rt = sh.random_time.as_ref().unwrap();
    assert_eq!((rt.unix, rt.utc().as_str()), (0x671aad0f, "2024-10-24T20:24:47Z"));
    assert_eq!(sh.downgrade_sentinel, None);
    assert_eq!(sh.selected_version, None);
    assert_eq!(sh.negotiated_version(), 0x0303);
    assert_eq!(ext_types(&sh.extensions), [65281, 11, 35, 23]);
    assert_eq!(ext(&sh.extensions, 35), &ExtensionBody::SessionTicket { ticket_length: 0 });
    let sh = server_hello("tls12-rsa-kx-server-hello");
    assert_eq!(sh.cipher_suite, 0x009d);
    assert_eq!(sh.cipher_suite_name, "TLS_RSA_WITH_AES_256_GCM_SHA384");
    let sh = server_hello("tls10-server-hello");
    assert_eq!((sh.version, &*sh.version_name, sh.cipher_suite), (0x0301, "TLS 1.0", 0xc013));
    assert_eq!(sh.random_time.as_ref().unwrap().unix, 0xd34ee368);
}

#[test]
fn server_hello_tls13() {
    let sh = server_hello("tls13-server-hello");
    // The legacy version stays TLS 1.2; supported_versions selects 1.3.
    assert_eq!((sh.version, sh.selected_version, sh.negotiated_version()), (0x0303, Some(0x0304), 0x0304));
    assert_eq!(sh.cipher_suite_name, "TLS_AES_128_GCM_SHA256");
    assert_eq!(ext_types(&sh.extensions), [43, 51]);
    assert_eq!(ext(&sh.extensions, 43), &ExtensionBody::SelectedVersion { selected_version: 0x0304 });
    assert_eq!(ext_json(&sh.extensions, 43)["selected_version_name"], "TLS 1.3");
    assert_eq!(extensions::server_key_share_group(&sh.extensions), Some(29));
    assert_eq!(extensions::selected_version(&sh.extensions), Some(0x0304));
    assert!(sh.random_time.is_none());
    // The session id echoes the client's (middlebox compatibility mode).
    assert_eq!(sh.session_id, client_hello("tls13-client-hello").session_id);
}

// ---------------------------------------------------------------------------------------------
// Key exchange

#[test]
fn server_key_exchange_ecdhe_tls12() {
    let (_, body) = load("tls12-ecdhe-rsa-server-key-exchange");
    for (suite, from) in [(None, "inferred"), (Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), "cipher_suite")] {
        let ske = ServerKeyExchange::decode_for_suite_name(&body, suite, Some(0x0303)).unwrap();
        assert_eq!(ske.key_exchange, "ECDHE");
        assert_eq!(ske.key_exchange_from, from);
        assert_eq!((ske.curve_type, ske.named_curve), (Some(3), Some(29)));
        assert_eq!(ske.public_key_length, Some(32));
        // tshark: tls.handshake.server_point.
        assert_eq!(ske.public_key.as_deref(), Some("3d8aff04fdf7c35262b099f1889665bea6cd1ce19f8954c60c0cfc036c00cc7b"));
        let sig = ske.signature.as_ref().unwrap();
        assert_eq!((sig.signature_scheme, sig.signature_length), (Some(0x0804), 256));
        assert_eq!(sig.legacy_signature_hash, None);
        assert!(sig.signature.starts_with("098716a401073471"));
    }
    // Through decode_handshake, the suite number picks the layout.
    let c = DecodeContext { cipher_suite: Some(0xc02f), ..ctx(0x0303) };
    let j = to_json(&decode_ok("tls12-ecdhe-rsa-server-key-exchange", &c));
    assert_eq!(j["server_key_exchange"]["key_exchange_from"], "cipher_suite");
    assert_eq!(
        j["server_key_exchange"]["named_curve_name"],
        named(registry::group_name(29), "x25519", "unknown_0x001d")
    );
    assert_eq!(
        j["server_key_exchange"]["signature_scheme_name"],
        named(registry::signature_scheme_name(0x0804), "rsa_pss_rsae_sha256", "unknown_0x0804")
    );
}

#[test]
fn server_key_exchange_ecdsa() {
    let (_, body) = load("tls12-ecdsa-server-key-exchange");
    let ske =
        ServerKeyExchange::decode_for_suite_name(&body, Some("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"), Some(0x0303))
            .unwrap();
    assert_eq!((ske.named_curve, ske.public_key_length), (Some(29), Some(32)));
    let sig = ske.signature.unwrap();
    // A DER ECDSA-Sig-Value from the P-256 key: 0x30, length, two INTEGERs.
    assert_eq!((sig.signature_scheme, sig.signature_length), (Some(0x0403), 72));
    assert!(sig.signature.starts_with("3046022100"));
}

#[test]
fn server_key_exchange_tls10_and_tls11_have_no_scheme() {
    for (name, version) in [("tls10-server-key-exchange", 0x0301), ("tls11-server-key-exchange", 0x0302)] {
        let (_, body) = load(name);
        let ske =
            ServerKeyExchange::decode_for_suite_name(&body, Some("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"), Some(version))
                .unwrap();
        assert_eq!(ske.named_curve, Some(29), "{name}");
        assert_eq!(ske.public_key_length, Some(32));
        let sig = ske.signature.as_ref().unwrap();
        assert_eq!(sig.signature_scheme, None);
        assert_eq!(sig.legacy_signature_hash, Some("MD5+SHA1"));
        assert_eq!(sig.signature_length, 256);
        let j = serde_json::to_value(&ske).unwrap();
        assert_eq!(j["signature_scheme"], Value::Null);
        assert_eq!(j["legacy_signature_hash"], "MD5+SHA1");
        // With the version unknown both signature forms are tried; the legacy one fits.
        let unknown = ServerKeyExchange::decode_for_suite_name(&body, None, None).unwrap();
        assert_eq!(unknown.signature.unwrap().signature_scheme, None);
        // Read as TLS 1.2, the first two signature bytes would be a scheme and the rest short.
        assert!(ServerKeyExchange::decode_for_suite_name(&body, None, Some(0x0303)).is_err());
    }
}

/// RFC 3526 group 14, the 2048-bit MODP prime openssl's DHE server uses by default.
const RFC3526_GROUP14_P: &str = "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e86039b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa051015728e5a8aacaa68ffffffffffffffff";

#[test]
fn server_key_exchange_dhe() {
    let (_, body) = load("tls12-dhe-rsa-server-key-exchange");
    let ske =
        ServerKeyExchange::decode_for_suite_name(&body, Some("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"), Some(0x0303))
            .unwrap();
    assert_eq!(ske.key_exchange, "DHE");
    // tshark: p_len 256, g 02, ys_len 256.
    assert_eq!((ske.dh_p_bits, ske.dh_g_bits, ske.dh_ys_bits), (Some(2048), Some(2), Some(2048)));
    assert_eq!(ske.dh_p.as_deref(), Some(RFC3526_GROUP14_P));
    assert_eq!(ske.dh_g.as_deref(), Some("02"));
    assert_eq!(ske.dh_ys.as_deref().map(str::len), Some(512));
    assert_eq!(ske.signature.as_ref().unwrap().signature_scheme, Some(0x0804));
    // The same layout is recognised without the suite.
    let inferred = ServerKeyExchange::decode_for_suite_name(&body, None, Some(0x0303)).unwrap();
    assert_eq!((inferred.key_exchange, inferred.key_exchange_from), ("DHE", "inferred"));
    assert_eq!(inferred.dh_p_bits, Some(2048));
}

#[test]
fn client_key_exchange_layouts() {
    let (_, ecdhe) = load("tls12-ecdhe-rsa-client-key-exchange");
    let cke = ClientKeyExchange::decode_for_suite_name(&ecdhe, None, Some(0x0303)).unwrap();
    assert_eq!((cke.key_exchange, cke.key_exchange_from, cke.ecdh_public_length), ("ECDHE", "inferred", Some(32)));
    assert_eq!(cke.ecdh_public.as_deref(), Some("5b7aeead5382c3bee19883037518b0427e268929d75ddc577c735fd22c308952"));
    let cke =
        ClientKeyExchange::decode_for_suite_name(&ecdhe, Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), Some(0x0303))
            .unwrap();
    assert_eq!((cke.key_exchange_from, cke.ecdh_public_length), ("cipher_suite", Some(32)));

    // RSA: a 2048-bit key encrypts the premaster to 256 bytes.
    let (_, rsa) = load("tls12-rsa-kx-client-key-exchange");
    let cke =
        ClientKeyExchange::decode_for_suite_name(&rsa, Some("TLS_RSA_WITH_AES_256_GCM_SHA384"), Some(0x0303)).unwrap();
    assert_eq!((cke.key_exchange, cke.encrypted_premaster_length), ("RSA", Some(256)));
    // Without the suite the 2-byte-prefixed value is RSA or DH: reported as such.
    let cke = ClientKeyExchange::decode_for_suite_name(&rsa, None, Some(0x0303)).unwrap();
    assert_eq!((cke.key_exchange, cke.exchange_keys_length), ("RSA_or_DH", Some(256)));
    // With the version unknown the 2-byte prefix that covers the rest exactly is the TLS layout.
    let cke = ClientKeyExchange::decode_for_suite_name(&rsa, Some("TLS_RSA_WITH_AES_256_GCM_SHA384"), None).unwrap();
    assert_eq!(cke.encrypted_premaster_length, Some(256));

    // DHE: tshark yc_len 256; the value's top byte is below 0x80, so 2047 significant bits.
    let (_, dhe) = load("tls12-dhe-rsa-client-key-exchange");
    let cke = ClientKeyExchange::decode_for_suite_name(&dhe, Some("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"), Some(0x0303))
        .unwrap();
    assert_eq!((cke.key_exchange, cke.dh_yc_length, cke.dh_yc_bits), ("DHE", Some(256), Some(2047)));
    assert!(cke.dh_yc.as_deref().unwrap().starts_with("53e096759d3ec867"));
}

#[test]
fn suite_names_give_key_exchange() {
    use KeyExchange as K;
    let cases = [
        ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", K::Ecdhe),
        ("TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA", K::EcdhePsk),
        ("TLS_ECDH_anon_WITH_AES_128_CBC_SHA", K::EcdhAnon),
        ("TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", K::EcdhStatic),
        ("TLS_DHE_DSS_WITH_AES_128_CBC_SHA", K::Dhe),
        ("TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", K::Dhe),
        ("TLS_DHE_PSK_WITH_AES_128_CBC_SHA", K::DhePsk),
        ("TLS_DH_anon_WITH_AES_128_CBC_SHA", K::DhAnon),
        ("TLS_DH_RSA_WITH_AES_128_CBC_SHA", K::DhStatic),
        ("TLS_RSA_EXPORT_WITH_RC4_40_MD5", K::RsaExport),
        ("TLS_RSA_EXPORT1024_WITH_RC4_56_MD5", K::RsaExport),
        ("TLS_RSA_PSK_WITH_AES_128_CBC_SHA", K::RsaPsk),
        ("TLS_RSA_WITH_AES_128_CBC_SHA", K::Rsa),
        ("SSL_RSA_WITH_RC4_128_MD5", K::Rsa),
        ("TLS_PSK_WITH_AES_128_CBC_SHA", K::Psk),
        ("TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA", K::Srp),
        ("TLS_AES_128_GCM_SHA256", K::Other),
        ("TLS_EMPTY_RENEGOTIATION_INFO_SCSV", K::Other),
    ];
    for (name, kx) in cases {
        assert_eq!(KeyExchange::of_suite_name(name), kx, "{name}");
    }
    // The suites the fixtures negotiate, by number through the registry.
    assert_eq!(KeyExchange::of_suite(0xc02f), Some(K::Ecdhe));
    assert_eq!(KeyExchange::of_suite(0x009f), Some(K::Dhe));
    assert_eq!(KeyExchange::of_suite(0x009d), Some(K::Rsa));
    assert_eq!(KeyExchange::of_suite(0x1301), Some(K::Other));
    assert_eq!(key_exchange::legacy_signature_hash("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"), Some("SHA1"));
    assert_eq!(key_exchange::legacy_signature_hash("TLS_DHE_DSS_WITH_AES_128_CBC_SHA"), Some("SHA1"));
    assert_eq!(key_exchange::legacy_signature_hash("TLS_DHE_RSA_WITH_AES_128_CBC_SHA"), Some("MD5+SHA1"));
    assert_eq!(key_exchange::legacy_signature_hash("TLS_DH_anon_WITH_AES_128_CBC_SHA"), None);
}

#[test]
fn rsa_export_and_psk_server_key_exchange_layouts() {
    // No fixture negotiates these suites; the RSA_EXPORT layout is assembled around the fixture
    // server's real RSA modulus to show each field is read. The PSK values are hand-made text.
    use x509_parser::prelude::{FromDer, X509Certificate};
    use x509_parser::public_key::PublicKey;
    let (_, cert_msg) = load("tls12-ecdhe-rsa-certificate");
    let der = tls12_der(&cert_msg, 0);
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    let Ok(PublicKey::RSA(rsa)) = cert.public_key().parsed() else { panic!("not RSA") };
    let vec16 = |b: &[u8]| [&(b.len() as u16).to_be_bytes()[..], b].concat();
    let mut export = vec16(rsa.modulus);
    export.extend(vec16(rsa.exponent));
    export.extend(vec16(&[0xaa; 64]));
    let ske = ServerKeyExchange::decode_for_suite_name(&export, Some("TLS_RSA_EXPORT_WITH_RC4_40_MD5"), Some(0x0301))
        .unwrap();
    assert_eq!((ske.key_exchange, ske.rsa_modulus_bits), ("RSA_EXPORT", Some(2048)));
    assert_eq!(ske.rsa_exponent.as_deref(), Some("010001"));
    let sig = ske.signature.unwrap();
    assert_eq!((sig.signature_length, sig.legacy_signature_hash), (64, Some("MD5+SHA1")));
    let psk = vec16(b"server hint");
    let ske =
        ServerKeyExchange::decode_for_suite_name(&psk, Some("TLS_PSK_WITH_AES_128_CBC_SHA"), Some(0x0303)).unwrap();
    assert_eq!(ske.psk_identity_hint.as_deref(), Some("server hint"));
    assert_eq!(ske.signature, None);
    let cke =
        ClientKeyExchange::decode_for_suite_name(&vec16(b"client"), Some("TLS_PSK_WITH_AES_128_CBC_SHA"), Some(0x0303))
            .unwrap();
    assert_eq!((cke.psk_identity.as_deref(), cke.psk_identity_length), (Some("client"), Some(6)));
}

// ---------------------------------------------------------------------------------------------
// Certificates and the messages around them

fn certificate(name: &str, ctx: &DecodeContext) -> (Vec<CertificateEntry>, Option<crate::certs::ChainCheck>, Value) {
    let body = decode_ok(name, ctx);
    let j = to_json(&body);
    match body {
        HandshakeBody::Certificate { certificates, chain, .. } => (certificates, chain, j),
        other => panic!("{other:?}"),
    }
}

/// fingerprints.tsv: server-rsa.crt and intermediate-ca.crt.
const SERVER_RSA_SHA256: &str = "c7421e90b0b85d8983dc81f68312c4043e5e16066925c76b2368131532c77892";
const INTERMEDIATE_SHA256: &str = "2d9cb0c7b93ba05c629500f8b4585a654214864c2aeb3c04579b562272e476ce";
/// The fixture captures' time (2026-11-26), inside every certificate's validity but the expired one.
const CAPTURE_SECS: i64 = 1_795_724_908;

#[test]
fn tls13_certificate_chain_valid() {
    let mut c = ctx(0x0304);
    c.sni = Some("server.tlstrace.test".to_string());
    c.capture_time = Some(crate::time::Timestamp::new(CAPTURE_SECS, 44_833_000, 6));
    let (entries, chain, j) = certificate("tls13-certificate", &c);
    assert_eq!(entries.len(), 2);
    assert_eq!(j["certificate_request_context"], "");
    let sha: Vec<&str> = j["certificates"].as_array().unwrap().iter().map(|c| c["sha256"].as_str().unwrap()).collect();
    assert_eq!(sha, [SERVER_RSA_SHA256, INTERMEDIATE_SHA256]);
    // openssl x509 -nameopt RFC2253 prints these names last RDN first; tlstrace keeps DER order.
    let leaf = &j["certificates"][0];
    assert_eq!(leaf["subject"], "O=tlstrace fixtures, CN=server.tlstrace.test");
    assert_eq!(leaf["issuer"], "O=tlstrace fixtures, CN=tlstrace Test Intermediate CA");
    assert_eq!(leaf["serial"], "3001");
    assert_eq!(leaf["not_before"], "2025-01-01T00:00:00Z");
    assert_eq!(leaf["not_after"], "2049-12-31T23:59:59Z");
    assert_eq!(leaf["san"], json!(["server.tlstrace.test", "localhost", "127.0.0.1", "::1"]));
    assert_eq!((leaf["key_algorithm"].clone(), leaf["key_bits"].clone()), (json!("RSA"), json!(2048)));
    assert_eq!(leaf["curve"], Value::Null);
    assert_eq!(leaf["signature_algorithm"], "sha256WithRSAEncryption");
    assert_eq!(leaf["der_length"], 954);
    assert_eq!(leaf["expired_at_capture"], false);
    assert_eq!((leaf["self_signed"].clone(), leaf["is_ca"].clone()), (json!(false), json!(false)));
    // openssl sends no per-entry extensions.
    assert_eq!(leaf["extensions"], json!([]));
    let intermediate = &j["certificates"][1];
    assert_eq!(intermediate["subject"], "O=tlstrace fixtures, CN=tlstrace Test Intermediate CA");
    assert_eq!(intermediate["issuer"], "O=tlstrace fixtures, CN=tlstrace Test Root CA");
    assert_eq!(intermediate["serial"], "2000");
    assert_eq!(intermediate["key_bits"], 2048);
    assert_eq!(intermediate["is_ca"], true);
    assert_eq!(intermediate["san"], json!([]));
    let chain = chain.unwrap();
    assert!(chain.issued_in_order);
    assert_eq!(chain.signatures, Signatures::Valid);
    assert_eq!(chain.sni_matches, Some(true));
    assert_eq!(chain.reason, None);
    assert_eq!(
        j["chain"],
        json!({"issued_in_order": true, "signatures": "valid", "sni_matches": true, "reason": null,
            // The fixtures' private root is no Mozilla root (the default anchors).
            "trusted": false, "trust_error": "unknown issuer", "anchor": null, "anchor_name": null, "anchor_from": null})
    );
    // The same chain in the TLS 1.2 layout decodes to the same certificates.
    c.version = Some(0x0303);
    let (_, chain12, j12) = certificate("tls12-ecdhe-rsa-certificate", &c);
    assert!(j12.get("certificate_request_context").is_none());
    assert_eq!(j12["certificates"][0]["sha256"], SERVER_RSA_SHA256);
    assert!(j12["certificates"][0].get("extensions").is_none());
    assert_eq!(chain12.unwrap().signatures, Signatures::Valid);
}

#[test]
fn ecdsa_leaf() {
    let mut c = ctx(0x0303);
    c.sni = Some("ecdsa.tlstrace.test".to_string());
    let (_, chain, j) = certificate("tls12-ecdsa-certificate", &c);
    let leaf = &j["certificates"][0];
    assert_eq!(leaf["sha256"], "5368a172787f7176e0cbb8a6755d99432f68276c5a2ca29a9b97e19e814fe383");
    assert_eq!(leaf["subject"], "O=tlstrace fixtures, CN=ecdsa.tlstrace.test");
    assert_eq!(leaf["serial"], "3002");
    assert_eq!(leaf["san"], json!(["ecdsa.tlstrace.test", "localhost", "127.0.0.1", "::1"]));
    // openssl: "ASN1 OID: prime256v1", "Public-Key: (256 bit)"; signed by the RSA intermediate.
    assert_eq!(leaf["key_algorithm"], "EC");
    assert_eq!(leaf["key_bits"], 256);
    assert_eq!(leaf["curve"], "secp256r1");
    assert_eq!(leaf["signature_algorithm"], "sha256WithRSAEncryption");
    let chain = chain.unwrap();
    assert_eq!((chain.signatures, chain.sni_matches), (Signatures::Valid, Some(true)));
}

#[test]
fn broken_signature_leaf_is_invalid() {
    // server-badsig.crt: server-rsa.crt with the last signature byte flipped, as served.
    let mut c = ctx(0x0303);
    c.sni = Some("server.tlstrace.test".to_string());
    let (_, chain, j) = certificate("tls12-badsig-certificate", &c);
    assert_eq!(j["certificates"][0]["sha256"], "fdb4556fe582fa3511e51e7b3974dfb1e5601904666d3d251bd1901d73dcf16d");
    assert_eq!(j["certificates"][0]["subject"], "O=tlstrace fixtures, CN=server.tlstrace.test");
    let chain = chain.unwrap();
    assert_eq!(chain.signatures, Signatures::Invalid);
    assert!(chain.issued_in_order);
    assert_eq!(chain.sni_matches, Some(true));
    assert_eq!(chain.reason.as_deref(), Some("certificate 0 signed by certificate 1: signature does not verify"));
    assert_eq!(j["chain"]["signatures"], "invalid");
}

#[test]
fn expired_leaf_at_its_capture_time() {
    // tls12-cert-expired.pcap frame 6 was captured at 1795724929.804599 (2026-11-26); the leaf
    // was valid 2020-01-01 to 2021-01-01.
    let mut c = ctx(0x0303);
    c.sni = Some("expired.tlstrace.test".to_string());
    c.capture_time = Some(crate::time::Timestamp::new(1_795_724_929, 804_599_000, 6));
    let (_, chain, j) = certificate("tls12-expired-certificate", &c);
    let leaf = &j["certificates"][0];
    assert_eq!(leaf["sha256"], "67ea21d16067bd4cdaebbcf48f0a89d594b5dd37a874b6db648cb1783ddf0055");
    assert_eq!(leaf["subject"], "O=tlstrace fixtures, CN=expired.tlstrace.test");
    assert_eq!(leaf["serial"], "3003");
    assert_eq!(
        (leaf["not_before"].clone(), leaf["not_after"].clone()),
        (json!("2020-01-01T00:00:00Z"), json!("2021-01-01T00:00:00Z"))
    );
    assert_eq!(leaf["san"], json!(["expired.tlstrace.test"]));
    assert_eq!(leaf["expired_at_capture"], true);
    // The intermediate is still valid then.
    assert_eq!(j["certificates"][1]["expired_at_capture"], false);
    // Expiry is reported per certificate; the signatures themselves are fine.
    let chain = chain.unwrap();
    assert_eq!((chain.signatures, chain.sni_matches, chain.reason), (Signatures::Valid, Some(true), None));
    // In its validity year it was not expired.
    c.capture_time = Some(crate::time::Timestamp::new(1_590_000_000, 0, 6)); // 2020-05-20
    let (_, _, j) = certificate("tls12-expired-certificate", &c);
    assert_eq!(j["certificates"][0]["expired_at_capture"], false);
}

#[test]
fn expired_at_capture_follows_the_time() {
    let (_, body) = load("tls13-certificate");
    let at = |secs| {
        let c = CertificateContext {
            version: Some(0x0304),
            capture_time: Some(&crate::time::Timestamp::new(secs, 0, 6)),
            ..Default::default()
        };
        let cert = Certificate::decode(&body, &c).unwrap();
        match &cert.entries[0] {
            CertificateEntry::X509 { cert, .. } => match &cert.details {
                CertDetails::Parsed(p) => p.expired_at_capture,
                CertDetails::Unparsed { error } => panic!("{error}"),
            },
            other => panic!("{other:?}"),
        }
    };
    // Valid 2025-01-01T00:00:00Z (1735689600) to 2049-12-31T23:59:59Z (2524607999).
    assert_eq!(at(1_735_689_599), Some(true)); // one second before not_before
    assert_eq!(at(1_735_689_600), Some(false)); // not_before itself
    assert_eq!(at(2_524_607_999), Some(false)); // not_after itself
    assert_eq!(at(2_524_608_000), Some(true)); // one second after not_after
    assert_eq!(at(-86_401), Some(true)); // a capture time before 1970
    let unknown =
        Certificate::decode(&body, &CertificateContext { version: Some(0x0304), ..Default::default() }).unwrap();
    let j = serde_json::to_value(&unknown.entries).unwrap();
    assert_eq!(j[0]["expired_at_capture"], Value::Null);
}

#[test]
fn single_certificate_without_issuer_is_unverifiable() {
    // The fixture leaf alone, in the TLS 1.2 layout (assembled from the captured certificate).
    let (_, msg) = load("tls12-ecdhe-rsa-certificate");
    let der = tls12_der(&msg, 0);
    let mut body = ((der.len() + 3) as u32).to_be_bytes()[1..].to_vec();
    body.extend_from_slice(&(der.len() as u32).to_be_bytes()[1..]);
    body.extend_from_slice(&der);
    let mut c = ctx(0x0303);
    // SAN matching is case-insensitive and ignores a trailing dot.
    c.sni = Some("SERVER.tlstrace.test.".to_string());
    let d = decode_handshake(11, &body, &c);
    let HandshakeBody::Certificate { chain: Some(chain), certificates, .. } = d.body else { panic!("{:?}", d.body) };
    assert_eq!(certificates.len(), 1);
    assert_eq!(chain.signatures, Signatures::Unverifiable);
    assert_eq!(chain.reason.as_deref(), Some("the issuer's certificate is not in the chain"));
    assert_eq!(chain.sni_matches, Some(true));
}

#[test]
fn server_name_against_the_leaf() {
    let mut c = ctx(0x0303);
    for (sni, matches) in [
        ("server.tlstrace.test", true),
        ("localhost", true),
        ("127.0.0.1", true),
        ("::1", true),
        ("Server.TLSTrace.Test", true),
        ("www.server.tlstrace.test", false),
        ("tlstrace.test", false),
        ("127.0.0.2", false),
        ("ecdsa.tlstrace.test", false),
    ] {
        c.sni = Some(sni.to_string());
        let (_, chain, _) = certificate("tls12-ecdhe-rsa-certificate", &c);
        let chain = chain.unwrap();
        assert_eq!(chain.sni_matches, Some(matches), "{sni}");
        if matches {
            assert_eq!(chain.reason, None, "{sni}");
        } else {
            assert_eq!(chain.reason, Some(format!("server name {sni} matches no name in the leaf certificate")));
        }
    }
    // Without SNI there is nothing to match.
    c.sni = None;
    let (_, chain, _) = certificate("tls12-ecdhe-rsa-certificate", &c);
    assert_eq!(chain.unwrap().sni_matches, None);
}

#[test]
fn client_certificates() {
    // A client's certificate is not matched against the server name.
    let mut c = ctx(0x0303);
    c.from_server = false;
    c.sni = Some("server.tlstrace.test".to_string());
    let (entries, chain, j) = certificate("tls12-clientauth-client-certificate", &c);
    assert_eq!(entries.len(), 2);
    let leaf = &j["certificates"][0];
    assert_eq!(leaf["sha256"], "196600d1f1525303146cf7987b4b79ddf7de73255094214b18f59a4e023273dd");
    assert_eq!(leaf["subject"], "O=tlstrace fixtures, CN=client.tlstrace.test");
    assert_eq!(leaf["serial"], "3004");
    assert_eq!(leaf["san"], json!(["client.tlstrace.test"]));
    let chain = chain.unwrap();
    assert_eq!((chain.signatures, chain.sni_matches, chain.reason), (Signatures::Valid, None, None));
    // TLS 1.3: the client echoes the request's (empty) context.
    let mut c = ctx(0x0304);
    c.from_server = false;
    let (_, chain, j) = certificate("tls13-clientauth-client-certificate", &c);
    assert_eq!(j["certificate_request_context"], "");
    assert_eq!(j["certificates"][0]["sha256"], leaf["sha256"]);
    assert_eq!(j["certificates"][1]["sha256"], INTERMEDIATE_SHA256);
    assert_eq!(chain.unwrap().signatures, Signatures::Valid);
}

#[test]
fn tls13_certificate_entry_extensions() {
    // No fixture capture staples anything to a TLS 1.3 certificate entry, so this message is
    // assembled: the captured TLS 1.3 Certificate with its leaf entry's extension block replaced
    // by a status_request carrying a real OCSP response for that leaf (made with openssl from
    // the fixture PKI, see tests/data/msgs/README.md).
    let (_, msg) = load("tls13-certificate");
    let leaf_len = usize::from(msg[4]) << 16 | usize::from(msg[5]) << 8 | usize::from(msg[6]);
    let der = &msg[7..7 + leaf_len];
    let ocsp =
        std::fs::read(format!("{}/tests/data/msgs/server-rsa-ocsp-response.der", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut status = vec![1];
    status.extend_from_slice(&(ocsp.len() as u32).to_be_bytes()[1..]);
    status.extend_from_slice(&ocsp);
    let mut exts = 5u16.to_be_bytes().to_vec();
    exts.extend_from_slice(&(status.len() as u16).to_be_bytes());
    exts.extend_from_slice(&status);
    let mut entry = (der.len() as u32).to_be_bytes()[1..].to_vec();
    entry.extend_from_slice(der);
    entry.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    entry.extend_from_slice(&exts);
    let mut body = vec![0];
    body.extend_from_slice(&(entry.len() as u32).to_be_bytes()[1..]);
    body.extend_from_slice(&entry);
    let d = decode_handshake(11, &body, &ctx(0x0304));
    assert_eq!(d.error, None);
    let j = to_json(&d.body);
    let mut entry_exts = j["certificates"][0]["extensions"].clone();
    // The response described: this message carries the leaf alone, so no issuer checks it.
    let ocsp = entry_exts[0].as_object_mut().unwrap().remove("ocsp").unwrap();
    assert_eq!(
        entry_exts,
        json!([{
            "type": 5, "name": "status_request", "length": 4 + 505,
            "status_type": 1, "status_type_name": "ocsp", "ocsp_response_length": 505
        }])
    );
    assert_eq!(ocsp["cert_status"], "good");
    assert_eq!(ocsp["cert_id_matches"], true);
    assert_eq!(ocsp["responder_id"], "name: O=tlstrace fixtures, CN=tlstrace Test Intermediate CA");
    assert_eq!(ocsp["produced_at"], "2026-11-26T20:41:08Z");
    assert_eq!(ocsp["next_update"], "2027-11-26T20:41:08Z");
    assert_eq!(ocsp["signature_valid"], Value::Null);
    assert_eq!(ocsp["signature_note"], "no issuer certificate in the chain to check it with");
    assert_eq!(j["certificates"][0]["sha256"], SERVER_RSA_SHA256);
}

#[test]
fn unparsable_certificate_entry() {
    // Hand-made, malformed: a Certificate whose single entry is 4 garbage bytes.
    let body = [0, 0, 7, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef];
    let d = decode_handshake(11, &body, &ctx(0x0303));
    assert_eq!(d.error, None);
    let j = to_json(&d.body);
    assert_eq!(j["certificates"][0]["der_length"], 4);
    assert_eq!(j["certificates"][0]["sha256"], crate::certs::sha256_hex(&[0xde, 0xad, 0xbe, 0xef]));
    assert!(j["certificates"][0]["error"].as_str().unwrap().starts_with("certificate does not parse"));
    assert_eq!(j["chain"]["signatures"], "unverifiable");
    assert_eq!(j["chain"]["reason"], "certificate 0 does not parse");
}

#[test]
fn raw_public_key_entry() {
    // RFC 7250: the entry is a SubjectPublicKeyInfo. Built from the fixture ECDSA leaf's key.
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, body) = load("tls12-ecdsa-certificate");
    let der = tls12_der(&body, 0);
    let (_, leaf) = X509Certificate::from_der(&der).unwrap();
    let spki = leaf.public_key().raw;
    let mut msg = vec![0u8];
    let list_len = 3 + spki.len() + 2;
    msg.extend_from_slice(&(list_len as u32).to_be_bytes()[1..]);
    msg.extend_from_slice(&(spki.len() as u32).to_be_bytes()[1..]);
    msg.extend_from_slice(spki);
    msg.extend_from_slice(&[0, 0]);
    let mut c = ctx(0x0304);
    c.certificate_type = Some(2);
    let d = decode_handshake(11, &msg, &c);
    assert_eq!(d.error, None);
    let j = to_json(&d.body);
    assert_eq!(
        j["certificates"][0]["raw_public_key"],
        json!({"key_algorithm": "EC", "key_bits": 256, "curve": "secp256r1"})
    );
    assert_eq!(j["certificates"][0]["der_length"], spki.len());
    assert_eq!(j["certificates"][0]["sha256"], crate::certs::sha256_hex(spki));
    assert_eq!(j["chain"], Value::Null);
}

#[test]
fn certificate_requests() {
    // tshark: cert_type 1,2,64; sig_hash_alg_len 40; one 62-byte distinguished name.
    let body = decode_ok("tls12-clientauth-certificate-request", &ctx(0x0303));
    let j = to_json(&body);
    let cr = &j["certificate_request"];
    assert_eq!(cr["certificate_types"], json!([1, 2, 64]));
    assert_eq!(cr["certificate_type_names"], json!(["rsa_sign", "dss_sign", "ecdsa_sign"]));
    assert_eq!(cr["signature_algorithms"], json!(OPENSSL_SIGNATURE_ALGORITHMS));
    assert_eq!(
        cr["signature_algorithm_names"][0],
        named(registry::signature_scheme_name(0x0403), "ecdsa_secp256r1_sha256", "unknown_0x0403")
    );
    assert_eq!(cr["certificate_authorities"], json!(["O=tlstrace fixtures, CN=tlstrace Test Root CA"]));
    assert!(cr.get("certificate_request_context").is_none());
    // Version unknown: the TLS 1.2 layout is tried first and fits.
    let unknown = decode_ok("tls12-clientauth-certificate-request", &DecodeContext::default());
    assert_eq!(to_json(&unknown), j);
}

#[test]
fn tls13_certificate_request() {
    let body = decode_ok("tls13-clientauth-certificate-request", &ctx(0x0304));
    let j = to_json(&body);
    let cr = &j["certificate_request"];
    assert_eq!(cr["certificate_request_context"], "");
    assert!(cr.get("certificate_types").is_none());
    let exts = cr["extensions"].as_array().unwrap();
    assert_eq!(exts.len(), 2);
    assert_eq!(exts[0]["type"], 13);
    assert_eq!(exts[0]["signature_algorithms"], json!(OPENSSL_SIGNATURE_ALGORITHMS[..16]));
    assert_eq!(exts[1]["type"], 47);
    assert_eq!(exts[1]["certificate_authorities"], json!(["O=tlstrace fixtures, CN=tlstrace Test Root CA"]));
}

#[test]
fn certificate_verify_by_version() {
    let cv = |name: &str, v: Option<u16>| {
        let c = DecodeContext { version: v, ..Default::default() };
        match decode_ok(name, &c) {
            HandshakeBody::CertificateVerify { certificate_verify } => certificate_verify,
            other => panic!("{other:?}"),
        }
    };
    let rsa_pss = named(registry::signature_scheme_name(0x0804), "rsa_pss_rsae_sha256", "unknown_0x0804");
    for (name, version) in [
        ("tls12-clientauth-certificate-verify", Some(0x0303)),
        ("tls13-certificate-verify", Some(0x0304)),
        ("tls13-clientauth-certificate-verify", Some(0x0304)),
        ("tls12-clientauth-certificate-verify", None),
    ] {
        let v = cv(name, version);
        assert_eq!((v.signature_scheme, v.signature_length), (Some(0x0804), 256), "{name}");
        assert_eq!(v.signature_scheme_name.as_deref(), Some(rsa_pss.as_str()));
    }
    // Read as TLS 1.1, the first two bytes are the signature length, which does not fit.
    let (_, body) = load("tls12-clientauth-certificate-verify");
    assert!(CertificateVerify::decode(&body, Some(0x0302)).is_err());
}

// ---------------------------------------------------------------------------------------------
// Session messages

#[test]
fn new_session_tickets() {
    let nst = |name: &str, v: Option<u16>| match decode_ok(name, &DecodeContext { version: v, ..Default::default() }) {
        HandshakeBody::NewSessionTicket { new_session_ticket } => new_session_ticket,
        other => panic!("{other:?}"),
    };
    // tshark: session_ticket_lifetime_hint 7200, session_ticket_length 176.
    let t12 = nst("tls12-ecdhe-rsa-new-session-ticket", Some(0x0303));
    assert_eq!((t12.lifetime_hint, t12.ticket_length, t12.lifetime), (Some(7200), 176, None));
    assert_eq!(serde_json::to_value(&t12).unwrap(), json!({"lifetime_hint": 7200, "ticket_length": 176}));
    let t13 = nst("tls13-new-session-ticket", Some(0x0304));
    assert_eq!((t13.lifetime, t13.age_add, t13.ticket_length), (Some(7200), Some(3_407_055_213), 192));
    assert_eq!(t13.nonce.as_deref(), Some("0000000000000000"));
    assert_eq!(t13.max_early_data_size, None);
    assert_eq!(t13.extensions.as_deref(), Some(&[][..]));
    // tshark: max_early_data_size 16384, age_add 1910881882.
    let early = nst("tls13-early-data-new-session-ticket", Some(0x0304));
    assert_eq!(early.max_early_data_size, Some(16384));
    assert_eq!((early.lifetime, early.age_add, early.ticket_length), (Some(7200), Some(1_910_881_882), 32));
    let ext = &early.extensions.as_ref().unwrap()[0];
    assert_eq!(ext.body, ExtensionBody::MaxEarlyData { max_early_data_size: 16384 });
    assert_eq!(serde_json::to_value(&early).unwrap()["max_early_data_size"], 16384);
    // gnutls: a 6-hour lifetime and a 4-byte nonce.
    let g = nst("gnutls-tls13-new-session-ticket", Some(0x0304));
    assert_eq!((g.lifetime, g.age_add, g.nonce.as_deref()), (Some(21600), Some(763_778_969), Some("473469cd")));
    assert_eq!(g.ticket_length, 230);
    // Version unknown: the TLS 1.2 layout does not fit a TLS 1.3 ticket, the 1.3 one does.
    let unknown = nst("tls13-early-data-new-session-ticket", None);
    assert_eq!((unknown.lifetime, unknown.ticket_length, unknown.max_early_data_size), (Some(7200), 32, Some(16384)));
    let unknown = nst("tls12-ecdhe-rsa-new-session-ticket", None);
    assert_eq!((unknown.lifetime_hint, unknown.ticket_length), (Some(7200), 176));
}

#[test]
fn finished_messages() {
    // TLS 1.2: 12 bytes of verify_data, decrypted from the client's first encrypted record.
    let j = to_json(&decode_ok("tls12-ecdhe-rsa-client-finished", &ctx(0x0303)));
    assert_eq!(
        j,
        json!({"finished": {"verify_data": "06b365739fa4f6b5ae6d61c4", "verify_data_length": 12, "verified": null}})
    );
    // TLS 1.3: the suite's hash length, SHA-256 here and SHA-384 for TLS_AES_256_GCM_SHA384.
    let j = to_json(&decode_ok("tls13-server-finished", &ctx(0x0304)));
    assert_eq!(j["finished"]["verify_data_length"], 32);
    assert_eq!(j["finished"]["verify_data"], "8703ae2abc2e9e0db6181bed6aa18b1f49fb1a482b1f47880278af98384053dc");
    let j = to_json(&decode_ok("tls13-clientauth-client-finished", &ctx(0x0304)));
    assert_eq!(j["finished"]["verify_data_length"], 48);
}

#[test]
fn encrypted_extensions() {
    let j = to_json(&decode_ok("tls13-encrypted-extensions", &ctx(0x0304)));
    assert_eq!(
        j,
        json!({"encrypted_extensions": {"extensions": [
            {"type": 16, "name": "application_layer_protocol_negotiation", "length": 5, "alpn": ["h2"]}
        ]}})
    );
    let j = to_json(&decode_ok("tls13-clientauth-encrypted-extensions", &ctx(0x0304)));
    assert_eq!(j, json!({"encrypted_extensions": {"extensions": []}}));
    // Accepting 0-RTT: an empty early_data extension.
    let j = to_json(&decode_ok("tls13-early-data-encrypted-extensions", &ctx(0x0304)));
    assert_eq!(j, json!({"encrypted_extensions": {"extensions": [{"type": 42, "name": "early_data", "length": 0}]}}));
    let j = to_json(&decode_ok("gnutls-tls13-encrypted-extensions", &ctx(0x0304)));
    let exts = &j["encrypted_extensions"]["extensions"];
    assert_eq!(exts[0]["alpn"], json!(["h2"]));
    assert_eq!(exts[1]["record_size_limit"], 16385);
}

#[test]
fn empty_messages() {
    assert_eq!(
        to_json(&decode_ok("tls12-ecdhe-rsa-server-hello-done", &ctx(0x0303))),
        json!({"server_hello_done": {}})
    );
    // The renegotiating server's HelloRequest, decrypted.
    assert_eq!(to_json(&decode_ok("tls12-renegotiation-hello-request", &ctx(0x0303))), json!({"hello_request": {}}));
    // The client's EndOfEarlyData after its 0-RTT data, decrypted.
    assert_eq!(to_json(&decode_ok("tls13-end-of-early-data", &ctx(0x0304))), json!({"end_of_early_data": {}}));
    // Hand-made, malformed: a ServerHelloDone with a body.
    let d = decode_handshake(14, &[0], &ctx(0x0303));
    assert_eq!(d.error.as_deref(), Some("malformed ServerHelloDone (not empty)"));
    assert_eq!(to_json(&d.body), json!({}));
}

#[test]
fn next_protocol_message() {
    // NextProtocol is always encrypted on the wire (sent after ChangeCipherSpec) and no fixture
    // peer speaks NPN: built from the draft's layout, "h2" plus 28 bytes padding.
    let mut body = vec![2, b'h', b'2', 28];
    body.extend([0u8; 28]);
    let d = decode_handshake(67, &body, &ctx(0x0303));
    assert_eq!(to_json(&d.body), json!({"next_protocol": {"selected_protocol": "h2", "padding_length": 28}}));
}

#[test]
fn unknown_types_are_opaque_and_independent() {
    let d = decode_handshake(99, &[1, 2, 3], &DecodeContext::default());
    assert_eq!((to_json(&d.body), d.error), (json!({}), None));
    // A broken message does not disturb the next one: decoding is stateless.
    let bad = decode_handshake(2, &[3, 3, 0], &DecodeContext::default());
    assert_eq!(bad.error.as_deref(), Some("malformed random"));
    let good = decode_ok("tls12-ecdhe-rsa-server-hello", &DecodeContext::default());
    assert!(matches!(good, HandshakeBody::ServerHello { .. }));
}

#[test]
fn alerts() {
    for name in ["tls12-unknown-ca-alert", "tls13-unknown-ca-alert"] {
        let path = format!("{}/tests/data/msgs/{name}.hex", env!("CARGO_MANIFEST_DIR"));
        let bytes = hex::decode(std::fs::read_to_string(path).unwrap().trim()).unwrap();
        let alert = decode_alert(&bytes).unwrap();
        assert_eq!((alert.level, alert.description), (2, 48), "{name}");
        assert_eq!(alert.level_name, "fatal");
        assert!(alert.is_fatal());
        let description = named(registry::alert_description_name(48), "unknown_ca", "unknown_48");
        assert_eq!(
            serde_json::to_value(&alert).unwrap(),
            json!({"level": 2, "level_name": "fatal", "description": 48, "description_name": description})
        );
    }
    let warning = decode_alert(&[1, 0]).unwrap();
    assert_eq!((&*warning.level_name, warning.is_fatal()), ("warning", false));
    // Encrypted alerts are longer than two bytes.
    assert_eq!(decode_alert(&[0x15, 0x03, 0x03]), None);
    assert_eq!(decode_alert(&[2]), None);
}

/// The top-level JSON keys of every message type (docs/json-schema.md).
#[test]
fn json_keys_per_message() {
    let keys = |body: &HandshakeBody| -> Vec<String> {
        let mut k: Vec<String> = to_json(body).as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let cases: [(&str, u16, &[&str]); 16] = [
        ("tls12-renegotiation-hello-request", 0x0303, &["hello_request"]),
        ("tls12-ecdhe-rsa-client-hello", 0x0303, &["client_hello"]),
        ("tls12-ecdhe-rsa-server-hello", 0x0303, &["server_hello"]),
        ("tls12-ecdhe-rsa-new-session-ticket", 0x0303, &["new_session_ticket"]),
        ("tls13-end-of-early-data", 0x0304, &["end_of_early_data"]),
        ("tls13-encrypted-extensions", 0x0304, &["encrypted_extensions"]),
        ("tls12-ecdhe-rsa-certificate", 0x0303, &["certificates", "chain"]),
        ("tls13-certificate", 0x0304, &["certificate_request_context", "certificates", "chain"]),
        ("tls12-ecdhe-rsa-server-key-exchange", 0x0303, &["server_key_exchange"]),
        ("tls12-clientauth-certificate-request", 0x0303, &["certificate_request"]),
        ("tls13-clientauth-certificate-request", 0x0304, &["certificate_request"]),
        ("tls12-ecdhe-rsa-server-hello-done", 0x0303, &["server_hello_done"]),
        ("tls12-clientauth-certificate-verify", 0x0303, &["certificate_verify"]),
        ("tls12-ecdhe-rsa-client-key-exchange", 0x0303, &["client_key_exchange"]),
        ("tls13-server-finished", 0x0304, &["finished"]),
        ("tls13-hrr-server-hello", 0x0304, &["server_hello"]),
    ];
    for (name, v, expected) in cases {
        assert_eq!(keys(&decode_ok(name, &ctx(v))), expected, "{name}");
    }
    let sh = to_json(&decode_ok("tls12-ecdhe-rsa-server-hello", &ctx(0x0303)));
    let mut sh_keys: Vec<&str> = sh["server_hello"].as_object().unwrap().keys().map(String::as_str).collect();
    sh_keys.sort_unstable();
    assert_eq!(
        sh_keys,
        [
            "cipher_suite",
            "cipher_suite_name",
            "compression_method",
            "compression_method_name",
            "extensions",
            "hello_retry_request",
            "random",
            "random_time",
            "selected_version",
            "session_id",
            "version",
            "version_name"
        ]
    );
    let ch = to_json(&decode_ok("tls13-client-hello", &ctx(0x0304)));
    let mut ch_keys: Vec<&str> = ch["client_hello"].as_object().unwrap().keys().map(String::as_str).collect();
    ch_keys.sort_unstable();
    // A TLS 1.3 hello has no random_time; cookie and sslv2_format appear only when they apply.
    assert_eq!(
        ch_keys,
        [
            "cipher_suite_names",
            "cipher_suites",
            "compression_method_names",
            "compression_methods",
            "extensions",
            "random",
            "session_id",
            "sni",
            "version",
            "version_name"
        ]
    );
}

#[test]
fn downgrade_sentinel() {
    // A real TLS 1.2 ServerHello with the last 8 bytes of its random replaced by the RFC 8446
    // marker a TLS 1.3 server writes when it negotiates TLS 1.2.
    let (_, mut body) = load("tls12-ecdhe-rsa-server-hello");
    body[2 + 24..2 + 32].copy_from_slice(b"DOWNGRD\x01");
    let sh = ServerHello::decode(&body).unwrap();
    assert_eq!(sh.downgrade_sentinel, Some("TLS 1.2"));
    body[2 + 31] = 0;
    assert_eq!(ServerHello::decode(&body).unwrap().downgrade_sentinel, Some("TLS 1.1"));
}

/// Hand-made transport parameters whose values are not in their parameter's form: each is kept
/// as `hex` and marked `malformed`, the others still decode (real values are checked on the
/// QUIC fixtures in tests/quic.rs).
#[test]
fn quic_transport_parameter_values_not_in_their_form_are_malformed() {
    let params: &[u8] = &[
        0x01, 0x02, 0x40, 0x64, // max_idle_timeout 100
        0x04, 0x02, 0x05, 0x06, // initial_max_data: a 1-byte varint with a byte after it
        0x02, 0x03, 0xaa, 0xbb, 0xcc, // stateless_reset_token of 3 bytes
        0x0c, 0x01, 0x00, // disable_active_migration with content
        0x0d, 0x04, 0x7f, 0x00, 0x00, 0x01, // preferred_address cut after the IPv4 address
        0x11, 0x06, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, // version_information with half a version
        0x0c, 0x00, // disable_active_migration
    ];
    let mut data = vec![0x00, 0x39, 0x00, params.len() as u8];
    data.extend_from_slice(params);
    let exts = extensions::parse_extensions(&data, extensions::ExtContext::ClientHello).unwrap();
    let json = ext_json(&exts, 0x39);
    let list = json["quic_transport_parameters"].as_array().unwrap();
    assert_eq!(list.len(), 7);
    assert_eq!(list[0]["value"], 100);
    for p in &list[1..6] {
        assert_eq!(p["malformed"], true, "{p}");
        assert!(p["hex"].is_string() && p.get("value").is_none(), "{p}");
    }
    assert_eq!(list[1]["hex"], "0506");
    assert_eq!(list[6]["name"], "disable_active_migration");
    assert!(list[6].get("malformed").is_none() && list[6].get("hex").is_none(), "{}", list[6]);
}
