//! Decoded values that only the public capture corpus (`../shared/corpus`) can show: SSLv3, OCSP
//! stapling, SCTs, ECH and GREASE, TLS 1.3 drafts, post-quantum and P-521 certificates, a public
//! CA chain, KeyUpdate, DTLS, QUIC transport parameters. The corpus may not be copied into the repository, so it is read
//! here at test time, and only when it is present: the real binary (`tlstrace read --json`, with
//! the capture's key log where it has one) decodes each capture and the test asserts exact
//! values in its `message` events. DTLS and QUIC ride on UDP, which tlstrace does not trace, so
//! the two DTLS messages and the QUIC ClientHello (after decrypting its Initial packet, whose
//! keys are public) are cut out of their UDP datagrams here and given to the library's decoder.
//!
//! Expected values were compared with tshark 4.0.17's decode of the same frames and, for
//! certificates, with `openssl x509 -inform DER -noout -fingerprint -sha256 -dates`.

mod common;

use serde_json::{Value, json};
use std::cell::Cell;
use std::path::Path;

/// A check of one capture's `message` events.
type EventCheck = fn(&[Value]);
/// (frame, handshake type, body) of a DTLS handshake message.
type DtlsMessage = (u64, u8, Vec<u8>);

thread_local! {
    /// Messages whose decoded values the current capture's check looked at.
    static CHECKED: Cell<usize> = const { Cell::new(0) };
}

/// Runs one capture's check and returns how many messages it examined.
fn counted(check: impl FnOnce()) -> usize {
    CHECKED.with(|c| c.set(0));
    check();
    CHECKED.with(Cell::get)
}

/// The `message` event of `name` completed in `frame` (the `nth` such, from 1).
fn message<'a>(events: &'a [Value], frame: u64, name: &str, nth: usize) -> &'a Value {
    CHECKED.with(|c| c.set(c.get() + 1));
    common::of_kind(events, "message")
        .into_iter()
        .filter(|m| m["frame"] == frame && m["name"] == name)
        .nth(nth - 1)
        .unwrap_or_else(|| panic!("no {name} #{nth} in frame {frame}"))
}

/// The extension object of type `typ` in a list of extensions.
fn ext(exts: &Value, typ: u64) -> &Value {
    exts.as_array()
        .expect("extension list")
        .iter()
        .find(|e| e["type"] == typ)
        .unwrap_or_else(|| panic!("extension {typ} missing"))
}

fn read(corpus: &Path, capture: &str, keylog: Option<&str>) -> Vec<Value> {
    let keylog_path = keylog.map(|k| corpus.join(k));
    let mut extra = Vec::new();
    if let Some(k) = keylog_path.as_ref() {
        extra.extend(["--keylog", k.to_str().expect("utf-8 path")]);
    }
    common::events(&corpus.join(capture), &extra)
}

#[test]
fn corpus_decoded_values() {
    let Some(corpus) = common::corpus() else {
        common::skip("corpus decode", "../shared/corpus not found");
        return;
    };
    let checks: [(&str, Option<&str>, EventCheck); 18] = [
        ("arkime/ssl-selfsign.pcap", None, sslv3_client_authentication),
        ("zeek/tls/ecdhe.pcap", None, tls12_compression_heartbeat_and_sha1_chain),
        ("zeek/tls/ocsp-stapling.pcap", None, tls10_ocsp_stapling),
        ("zeek/tls/signed_certificate_timestamp.pcap", None, signed_certificate_timestamps),
        ("zeek/tls/tls13-ech.pcap", None, ech_outer_client_hello_with_grease_and_alps),
        ("zeek/tls/client-certificate.pcap", None, padding_and_undecoded_extensions),
        ("zeek/tls/openjdk-25.0.2-zeek.org.pcap", None, status_request_v2_and_signature_algorithms_cert),
        ("zeek/tls/pop3-starttls.pcap", None, empty_client_certificate),
        ("zeek/tls/tls-1.2-handshake-failure.pcap", None, handshake_failure_alert),
        ("suricata-verify/tls-duplicate-hello/input.pcap", None, client_hello_with_a_cookie_that_is_not_one),
        ("suricata-verify/tls/tls13-draft22/tls13_draft22.pcap", None, draft22_hello_retry_request),
        ("zeek/tls/tls-13draft19-early-data.pcap", None, draft19_hellos),
        ("suricata-verify/tls/tls-pre-1970/input.pcap", None, certificate_dated_before_1970),
        ("zeek/tls/ml-dsa-44-cert.pcap", None, post_quantum_certificate),
        ("ssldump/tls1.3_keyupdates_aes256.pcap", Some("ssldump/log.txt"), p521_certificate_and_key_updates),
        ("ssldump/tls1.3_curl_google.pcap", Some("ssldump/log.txt"), public_tls13_chain),
        ("illustrated-tls13/captures/capture.pcap", Some("illustrated-tls13/captures/keylog.txt"), illustrated_tls13),
        // Secrets in the pcapng's Decryption Secrets Block; the TLS-over-TCP connection.
        ("ja4/chrome-cloudflare-quic-with-secrets.pcapng", None, compressed_certificate),
    ];
    for (capture, keylog, check) in checks {
        let events = read(&corpus, capture, keylog);
        let asserted = counted(|| check(&events));
        eprintln!("corpus decode: {capture}: {asserted} messages checked");
    }
    for (capture, check) in [
        ("zeek/tls/dtls1_2.pcap", dtls12_hello_verify_request as fn(&[DtlsMessage])),
        ("zeek/tls/dtls13-wolfssl.pcap", dtls13_hello_retry_request_cookie),
    ] {
        let messages = dtls_handshakes(&corpus.join(capture));
        let asserted = counted(|| check(&messages));
        eprintln!("corpus decode: {capture}: {asserted} messages checked (UDP, library decoder)");
    }
    let capture = "ja4/quic-tls-handshake.pcapng";
    let asserted = counted(|| quic_client_hello_transport_parameters(&corpus.join(capture)));
    eprintln!("corpus decode: {capture}: {asserted} messages checked (QUIC Initial decrypted here, library decoder)");
}

fn sslv3_client_authentication(events: &[Value]) {
    let sh = message(events, 7, "ServerHello", 1);
    assert_eq!(
        (sh["server_hello"]["version"].clone(), sh["server_hello"]["version_name"].clone()),
        (json!(0x0300), json!("SSL 3.0"))
    );
    // A self-signed 1024-bit RSA / SHA-1 server certificate: verifiable (ring takes SHA-1 from
    // 1024-bit keys) and valid.
    let cert = message(events, 7, "Certificate", 1);
    let c = &cert["certificates"][0];
    assert_eq!(c["sha256"], "a8364f9035b2931c1b14697b7ede7f897e6dcd06553716bebd8b9953e937cb4a");
    assert_eq!((c["subject"].clone(), c["issuer"].clone()), (json!("CN=molochftw"), json!("CN=molochftw")));
    assert_eq!(
        (c["key_bits"].clone(), c["signature_algorithm"].clone()),
        (json!(1024), json!("sha1WithRSAEncryption"))
    );
    assert_eq!((c["self_signed"].clone(), c["is_ca"].clone()), (json!(true), json!(true)));
    assert_eq!(cert["chain"]["signatures"], "valid");
    // SSLv3: no signature algorithms in the CertificateRequest; one CA name.
    let cr = message(events, 7, "CertificateRequest", 1);
    assert_eq!(
        cr["certificate_request"],
        json!({
            "certificate_types": [1, 2],
            "certificate_type_names": ["rsa_sign", "dss_sign"],
            "certificate_authorities": ["CN=MO, O=LO, C=CH"],
        })
    );
    let client_cert = message(events, 9, "Certificate", 1);
    assert_eq!(client_cert["certificates"][0]["subject"], "CN=MO, O=LO, C=CH");
    assert_eq!(client_cert["certificates"][0]["self_signed"], true);
    assert_eq!(client_cert["chain"]["sni_matches"], Value::Null);
    // SSLv3's ClientKeyExchange has no length prefix: the whole 128-byte body is the premaster.
    let cke = message(events, 9, "ClientKeyExchange", 1);
    assert_eq!(cke["length"], 128);
    assert_eq!(cke["client_key_exchange"]["key_exchange"], "RSA");
    assert_eq!(cke["client_key_exchange"]["encrypted_premaster_length"], 128);
    // Before TLS 1.2 the signature has no scheme.
    let cv = message(events, 9, "CertificateVerify", 1);
    assert_eq!(
        cv["certificate_verify"],
        json!({"signature_scheme": null, "signature_scheme_name": null, "signature_length": 128})
    );
}

fn tls12_compression_heartbeat_and_sha1_chain(events: &[Value]) {
    let ch = &message(events, 4, "ClientHello", 1)["client_hello"];
    assert_eq!(ch["cipher_suites"], json!([0xc014, 0x00ff]));
    assert_eq!(ch["compression_methods"], json!([1, 0]));
    assert_eq!(ch["compression_method_names"], json!(["DEFLATE", "null"]));
    assert_eq!(ch["random_time"], json!({"unix": 0xef18769d_u32, "utc": "2097-02-10T18:04:13Z"}));
    assert_eq!(ch["sni"], Value::Null);
    assert_eq!(
        ext(&ch["extensions"], 10)["groups"],
        json!([14, 13, 25, 11, 12, 24, 9, 10, 22, 23, 8, 6, 7, 20, 21, 4, 5, 18, 19, 1, 2, 3, 15, 16, 17])
    );
    let hb = ext(&ch["extensions"], 15);
    assert_eq!(
        (hb["heartbeat_mode"].clone(), hb["heartbeat_mode_name"].clone()),
        (json!(1), json!("peer_allowed_to_send"))
    );
    let sh = &message(events, 6, "ServerHello", 1)["server_hello"];
    assert_eq!(sh["random_time"], json!({"unix": 1_398_529_017, "utc": "2014-04-26T16:16:57Z"}));
    let cert = message(events, 9, "Certificate", 1);
    let certs = cert["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 3);
    assert_eq!(certs[0]["subject"], "C=US, ST=California, L=Mountain View, O=Google Inc, CN=*.google.com");
    assert_eq!(certs[0]["san"].as_array().unwrap().len(), 46);
    assert_eq!(certs[0]["signature_algorithm"], "sha1WithRSAEncryption");
    assert_eq!(certs[2]["issuer"], "C=US, O=Equifax, OU=Equifax Secure Certificate Authority");
    // No SNI to match; the two links verify and the Equifax root is not sent. Neither Equifax nor
    // GeoTrust Global CA is in today's Mozilla set: a browser with today's roots would not trust it.
    assert_eq!(
        cert["chain"],
        json!({"issued_in_order": true, "signatures": "valid", "sni_matches": null, "reason": null,
               "trusted": false, "trust_error": "unknown issuer", "anchor": null, "anchor_name": null, "anchor_from": null})
    );
    let ske = &message(events, 10, "ServerKeyExchange", 1)["server_key_exchange"];
    assert_eq!((ske["named_curve"].clone(), ske["public_key_length"].clone()), (json!(23), json!(65)));
    assert!(ske["public_key"].as_str().unwrap().starts_with("04c177ab173fed18"));
    assert_eq!((ske["signature_scheme"].clone(), ske["signature_length"].clone()), (json!(0x0601), json!(256)));
    assert!(ske["signature"].as_str().unwrap().starts_with("bb8ed698"));
    let cke = &message(events, 13, "ClientKeyExchange", 1)["client_key_exchange"];
    assert_eq!(cke["ecdh_public_length"], 65);
    let nst = message(events, 16, "NewSessionTicket", 1);
    assert_eq!(nst["new_session_ticket"], json!({"lifetime_hint": 100800, "ticket_length": 164}));
}

fn tls10_ocsp_stapling(events: &[Value]) {
    let ch = &message(events, 4, "ClientHello", 1)["client_hello"];
    assert_eq!(
        ext(&ch["extensions"], 5),
        &json!({"type": 5, "name": "status_request", "length": 5, "status_type": 1, "status_type_name": "ocsp",
                "responder_id_list_length": 0, "request_extensions_length": 0})
    );
    // The ServerHello's status_request is an empty acknowledgement.
    let sh = &message(events, 10, "ServerHello", 1)["server_hello"];
    assert_eq!(ext(&sh["extensions"], 5), &json!({"type": 5, "name": "status_request", "length": 0}));
    let status = message(events, 10, "CertificateStatus", 1);
    let mut certificate_status = status["certificate_status"].clone();
    let ocsp = certificate_status.as_object_mut().unwrap().remove("ocsp").unwrap();
    assert_eq!(certificate_status, json!({"status_type": 1, "status_type_name": "ocsp", "ocsp_response_length": 1995}));
    // The response itself (tests/ocsp_sct.rs has more): VeriSign's delegated responder says good.
    assert_eq!((ocsp["cert_status"].clone(), ocsp["signature_valid"].clone()), (json!("good"), json!(true)));
    // TLS 1.0: the signature has no scheme; RSA signs MD5+SHA1.
    let ske = &message(events, 10, "ServerKeyExchange", 1)["server_key_exchange"];
    assert_eq!((ske["named_curve"].clone(), ske["public_key_length"].clone()), (json!(24), json!(97)));
    assert_eq!(ske["signature_scheme"], Value::Null);
    assert_eq!(ske["legacy_signature_hash"], "MD5+SHA1");
    assert_eq!(ske["signature_length"], 256);
}

fn signed_certificate_timestamps(events: &[Value]) {
    let sh = &message(events, 6, "ServerHello", 1)["server_hello"];
    assert_eq!(ext(&sh["extensions"], 16)["alpn"], json!(["http/1.1"]));
    // Same timestamps and log ids as tshark's tls.sct fields.
    let scts: Vec<(&str, u64, u64)> = ext(&sh["extensions"], 18)["signed_certificate_timestamps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["log_id"].as_str().unwrap(), s["timestamp"].as_u64().unwrap(), s["version"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        scts,
        [
            ("a4b90990b418581487bb13a2cc67700a3c359804f91bdfb8e377cd0ec80ddc10", 1_406_997_753_366, 0),
            ("68f698f81f6482be3a8ceeb9281d4cfc71515d6793d444d10a67acbb4f4ffbc4", 1_407_002_457_456, 0),
            ("ee4bbdb775ce60bae142691fabe19e66a30f7e5fb072d88300c47b897aa8fdcb", 1_410_299_366_023, 0),
        ]
    );
    assert_eq!(ext(&sh["extensions"], 5), &json!({"type": 5, "name": "status_request", "length": 0}));
}

fn ech_outer_client_hello_with_grease_and_alps(events: &[Value]) {
    let ch = &message(events, 7, "ClientHello", 1)["client_hello"];
    assert_eq!(ch["sni"], "cloudflare-ech.com");
    assert_eq!(ch["cipher_suites"][0], 0x2a2a);
    assert_eq!(ch["cipher_suite_names"][0], "GREASE");
    assert_eq!(ch["extensions"][0]["name"], "GREASE");
    let ech = ext(&ch["extensions"], 0xfe0d);
    assert_eq!(
        ech,
        &json!({"type": 0xfe0d, "name": "encrypted_client_hello", "length": 186, "ech_type": "outer",
                "ech_kdf_id": 1, "ech_kdf_name": "HKDF-SHA256", "ech_aead_id": 1, "ech_aead_name": "AES-128-GCM",
                "ech_config_id": 209, "ech_enc_length": 32, "ech_payload_length": 144})
    );
    assert_eq!(ext(&ch["extensions"], 17513)["alps_protocols"], json!(["h2"]));
    assert_eq!(ext(&ch["extensions"], 27)["compression_algorithms"], json!([2]));
    assert_eq!(ext(&ch["extensions"], 27)["compression_algorithm_names"], json!(["brotli"]));
    assert_eq!(ext(&ch["extensions"], 18), &json!({"type": 18, "name": "signed_certificate_timestamp", "length": 0}));
    assert_eq!(
        ext(&ch["extensions"], 51)["key_shares"],
        json!([
            {"group": 0x1a1a, "group_name": "GREASE", "key_length": 1},
            {"group": 29, "group_name": "x25519", "key_length": 32}
        ])
    );
    let versions = ext(&ch["extensions"], 43);
    assert_eq!(versions["versions"], json!([0x8a8a, 0x0304, 0x0303]));
    assert_eq!(versions["version_names"][0], "GREASE");
}

fn padding_and_undecoded_extensions(events: &[Value]) {
    let ch = &message(events, 4, "ClientHello", 1)["client_hello"];
    assert_eq!(ch["sni"], "certauth.idrix.fr");
    let pad = ext(&ch["extensions"], 21);
    assert_eq!((pad["padding_length"].clone(), pad["padding_all_zero"].clone()), (json!(133), json!(true)));
    assert_eq!(ext(&ch["extensions"], 28)["record_size_limit"], 16385);
    // delegated_credentials (34) is not decoded: raw hex.
    assert_eq!(
        ext(&ch["extensions"], 34),
        &json!({"type": 34, "name": "delegated_credential", "length": 10, "hex": "00080403050306030203"})
    );
}

fn status_request_v2_and_signature_algorithms_cert(events: &[Value]) {
    let ch = &message(events, 4, "ClientHello", 1)["client_hello"];
    assert_eq!(ch["sni"], "zeek.org");
    let v2 = ext(&ch["extensions"], 17);
    assert_eq!(
        (v2["status_request_types"].clone(), v2["status_request_type_names"].clone()),
        (json!([2]), json!(["ocsp_multi"]))
    );
    let cert_algs = ext(&ch["extensions"], 50)["signature_algorithms"].as_array().unwrap();
    assert_eq!(cert_algs.len(), 21);
    assert_eq!(cert_algs[..3], [json!(0x0403), json!(0x0503), json!(0x0603)]);
    assert_eq!(ext(&ch["extensions"], 10)["groups"], json!([29, 23, 24, 25, 30, 256, 257, 258, 259, 260]));
}

fn empty_client_certificate(events: &[Value]) {
    // A client asked for a certificate that has none sends an empty list: no chain to judge.
    let cert = message(events, 15, "Certificate", 1);
    assert_eq!(cert["direction"], "client_to_server");
    assert_eq!(cert["length"], 3);
    assert_eq!((cert["certificates"].clone(), cert["chain"].clone()), (json!([]), Value::Null));
}

fn handshake_failure_alert(events: &[Value]) {
    let alert = message(events, 6, "Alert", 1);
    assert_eq!(
        alert["alert"],
        json!({"level": 2, "level_name": "fatal", "description": 40, "description_name": "handshake_failure"})
    );
}

fn client_hello_with_a_cookie_that_is_not_one(events: &[Value]) {
    // This client sends a supported_versions list under the cookie code point (44): the cookie
    // is reported malformed, with its bytes, and the rest of the hello decodes.
    let ch = &message(events, 9, "ClientHello", 1)["client_hello"];
    assert_eq!(
        ext(&ch["extensions"], 44),
        &json!({"type": 44, "name": "cookie", "length": 9, "hex": "080304030303020301", "malformed": "cookie"})
    );
    assert_eq!(ch["sni"], "localhost");
    assert_eq!(ext(&ch["extensions"], 45)["psk_key_exchange_modes"], json!([1, 0]));
    assert_eq!(ext(&ch["extensions"], 51)["key_shares"][0]["group"], 23);
}

fn draft22_hello_retry_request(events: &[Value]) {
    // draft-22 HelloRetryRequest: a ServerHello with the special random, key_share under 40.
    let hrr = message(events, 6, "HelloRetryRequest", 1);
    let sh = &hrr["server_hello"];
    assert_eq!(sh["hello_retry_request"], true);
    assert_eq!(sh["selected_version"], 0x7f16);
    assert_eq!(sh["selected_group"], 23);
    assert_eq!(ext(&sh["extensions"], 40)["selected_group"], 23);
    let ch = &message(events, 8, "ClientHello", 1)["client_hello"];
    assert_eq!(ext(&ch["extensions"], 43)["versions"], json!([0x7f16]));
    assert_eq!(
        ext(&ch["extensions"], 40)["key_shares"],
        json!([{"group": 23, "group_name": "secp256r1", "key_length": 65}])
    );
}

fn draft19_hellos(events: &[Value]) {
    // draft-19 ServerHello: no session id or compression, key_share under code point 40.
    let sh = &message(events, 6, "ServerHello", 1)["server_hello"];
    assert_eq!((sh["version"].clone(), sh["cipher_suite"].clone()), (json!(0x7f13), json!(0x1302)));
    assert_eq!(ext(&sh["extensions"], 40)["key_share"], json!({"group": 29, "group_name": "x25519", "key_length": 32}));
    // The resuming hello offers a ticket from the first connection and 0-RTT.
    let ch = &message(events, 25, "ClientHello", 1)["client_hello"];
    let psk = ext(&ch["extensions"], 41);
    assert_eq!(psk["psk_identities"], json!([{"identity_length": 176, "obfuscated_ticket_age": 1_415_540_021}]));
    assert_eq!(psk["psk_binder_lengths"], json!([48]));
    assert_eq!(ext(&ch["extensions"], 42), &json!({"type": 42, "name": "early_data", "length": 0}));
    let sh = &message(events, 28, "ServerHello", 1)["server_hello"];
    assert_eq!(ext(&sh["extensions"], 41)["selected_identity"], 0);
}

fn certificate_dated_before_1970(events: &[Value]) {
    let cert = message(events, 6, "Certificate", 1);
    let c = &cert["certificates"][0];
    assert_eq!(c["sha256"], "6ded6ad00f50d930239004cc46325300993d33af77a96d3c4e4716721d389c1d");
    assert_eq!(c["not_before"], "1969-12-31T00:00:00Z");
    assert_eq!(c["not_after"], "2038-12-31T00:10:03Z");
    assert_eq!(c["serial"], "32");
    assert_eq!(c["subject"], "OU=vd, CN=fkp.samsungcloudsolution.com");
    assert_eq!(c["expired_at_capture"], false);
}

fn post_quantum_certificate(events: &[Value]) {
    let cert = message(events, 5, "Certificate", 1);
    let c = &cert["certificates"][0];
    assert_eq!(c["key_algorithm"], "ML-DSA-44");
    assert_eq!(c["key_bits"], Value::Null);
    assert_eq!(c["signature_algorithm"], "ML-DSA-44");
    assert_eq!(c["not_before"], "2026-04-03T07:06:08Z");
    // The capture's clock reads 1970: before not_before, so not valid at capture time.
    assert_eq!(c["expired_at_capture"], true);
    assert_eq!(cert["chain"]["signatures"], "unverifiable");
    assert_eq!(
        cert["chain"]["reason"],
        "certificate 0 signed by itself: the verifier does not support ML-DSA-44 with this key (ML-DSA-44)"
    );
}

fn p521_certificate_and_key_updates(events: &[Value]) {
    // P-521 self-issued: the verifier has no P-521, so it can say neither yes nor no.
    let cert = message(events, 6, "Certificate", 1);
    let c = &cert["certificates"][0];
    assert_eq!(c["sha256"], "8b47108a77a22d83b6cf3ac208ab9cd1e41c643d5c0cc80a5c3b9292f922f885");
    assert_eq!((c["curve"].clone(), c["key_bits"].clone()), (json!("secp521r1"), json!(521)));
    assert_eq!(c["self_signed"], false);
    assert_eq!(cert["chain"]["signatures"], "unverifiable");
    assert_eq!(
        cert["chain"]["reason"],
        "certificate 0 signed by itself: the verifier does not support ecdsa-with-SHA256 with this key (EC secp521r1); \
         server name 127.0.0.1 matches no name in the leaf certificate"
    );
    let cv = message(events, 6, "CertificateVerify", 1);
    assert_eq!(cv["certificate_verify"]["signature_scheme"], 0x0603);
    for (frame, value, label) in [(18, 1, "update_requested"), (22, 0, "update_not_requested")] {
        let ku = message(events, frame, "KeyUpdate", 1);
        assert_eq!(ku["key_update"], json!({"request_update": value, "request_update_name": label}));
    }
}

fn public_tls13_chain(events: &[Value]) {
    // www.google.com, captured 2023-04-01, leaf valid 2023-03-13 to 2023-06-05.
    let cert = message(events, 11, "Certificate", 1);
    assert_eq!(cert["certificate_request_context"], "");
    let sha: Vec<&str> =
        cert["certificates"].as_array().unwrap().iter().map(|c| c["sha256"].as_str().unwrap()).collect();
    assert_eq!(
        sha,
        [
            "9eaba393e6c568628fccb4b40ba5fe91651c066910f7dcb824dd528169ce9c00",
            "23ecb03eec17338c4e33a6b48a41dc3cda12281bbc3ff813c0589d6cc2387522",
            "3ee0278df71fa3c125c4cd487f01d774694e6fc57e0cd94c24efd769133918e5",
        ]
    );
    let leaf = &cert["certificates"][0];
    assert_eq!(leaf["subject"], "CN=www.google.com");
    assert_eq!(leaf["issuer"], "C=US, O=Google Trust Services LLC, CN=GTS CA 1C3");
    assert_eq!(leaf["serial"], "009787ed7b1735b3560ae2b22920006a56");
    assert_eq!(leaf["not_before"], "2023-03-13T08:25:43Z");
    assert_eq!(leaf["not_after"], "2023-06-05T08:25:42Z");
    assert_eq!(leaf["san"], json!(["www.google.com"]));
    assert_eq!((leaf["key_algorithm"].clone(), leaf["key_bits"].clone()), (json!("EC"), json!(256)));
    assert_eq!(leaf["curve"], "secp256r1");
    assert_eq!(leaf["signature_algorithm"], "sha256WithRSAEncryption");
    assert_eq!(leaf["der_length"], 1163);
    assert_eq!(leaf["expired_at_capture"], false);
    assert_eq!(cert["certificates"][2]["key_bits"], 4096);
    assert_eq!(cert["certificates"][2]["is_ca"], true);
    // Trusted at the capture's time (March 2023) through the Mozilla root it chains to.
    assert_eq!(
        cert["chain"],
        json!({"issued_in_order": true, "signatures": "valid", "sni_matches": true, "reason": null,
               "trusted": true, "trust_error": null, "anchor": "C=US, O=Google Trust Services LLC, CN=GTS Root R1",
               "anchor_name": "GTS Root R1", "anchor_from": "Mozilla roots"})
    );
    let ee = message(events, 11, "EncryptedExtensions", 1);
    assert_eq!(ee["encrypted_extensions"]["extensions"][0]["alpn"], json!(["h2"]));
    let cv = &message(events, 11, "CertificateVerify", 1)["certificate_verify"];
    assert_eq!((cv["signature_scheme"].clone(), cv["signature_length"].clone()), (json!(0x0403), json!(72)));
    let nst = &message(events, 17, "NewSessionTicket", 1)["new_session_ticket"];
    assert_eq!((nst["lifetime"].clone(), nst["ticket_length"].clone()), (json!(172_800), json!(252)));
    assert_eq!(nst["max_early_data_size"], 14336);
    // A GREASE extension after early_data, kept as raw bytes.
    assert_eq!(nst["extensions"][1], json!({"type": 64250, "name": "GREASE", "length": 0, "hex": ""}));
}

fn illustrated_tls13(events: &[Value]) {
    let ee = message(events, 7, "EncryptedExtensions", 1);
    assert_eq!(ee["encrypted_extensions"], json!({"extensions": []}));
    // One certificate, issued by a CA that is not sent: nothing to verify it with. It has no
    // SAN, so the server name is matched against the common name.
    let cert = message(events, 7, "Certificate", 1);
    let c = &cert["certificates"][0];
    assert_eq!(c["subject"], "C=US, CN=example.ulfheim.net");
    assert_eq!(c["issuer"], "C=US, O=Example CA");
    assert_eq!(c["sha256"], "c66414aaf6eb0445ccbf2769c0f5ed68dd8940563bf4ebb4b59cdc14d7d71e91");
    assert_eq!(c["san"], json!([]));
    assert_eq!(
        cert["chain"],
        json!({"issued_in_order": true, "signatures": "unverifiable", "sni_matches": true,
               "reason": "the issuer's certificate is not in the chain",
               // The capture is dated after its certificate's notAfter.
               "trusted": false, "trust_error": "expired at capture time (not after 2019-10-05T01:38:17Z)", "anchor": null, "anchor_name": null, "anchor_from": null})
    );
    let cv = &message(events, 7, "CertificateVerify", 1)["certificate_verify"];
    assert_eq!(cv["signature_scheme"], 0x0804);
    let fin = &message(events, 7, "Finished", 1)["finished"];
    assert_eq!(fin["verify_data_length"], 48);
    assert!(fin["verify_data"].as_str().unwrap().starts_with("7e30eeccb6b23be6c6ca3639"));
    assert_eq!(fin["verified"], true);
    let nst = &message(events, 13, "NewSessionTicket", 1)["new_session_ticket"];
    assert_eq!(
        nst,
        &json!({"lifetime": 7200, "age_add": 0, "nonce": "0000000000000000", "ticket_length": 192, "extensions": []})
    );
}

fn compressed_certificate(events: &[Value]) {
    // Chrome offered brotli certificate compression and the server used it (RFC 8879).
    let ee = message(events, 8, "EncryptedExtensions", 1);
    assert_eq!(
        ee["encrypted_extensions"]["extensions"],
        json!([
            {"type": 0, "name": "server_name", "length": 0, "server_name": []},
            {"type": 16, "name": "application_layer_protocol_negotiation", "length": 5, "alpn": ["h2"]}
        ])
    );
    let cc = message(events, 8, "CompressedCertificate", 1);
    assert_eq!(cc["handshake_type"], 25);
    assert_eq!(
        cc["compressed_certificate"],
        json!({"algorithm": 2, "algorithm_name": "brotli", "uncompressed_length": 2629, "compressed_length": 1815})
    );
    let cv = &message(events, 8, "CertificateVerify", 1)["certificate_verify"];
    assert_eq!((cv["signature_scheme"].clone(), cv["signature_length"].clone()), (json!(0x0403), json!(71)));
    let nst = &message(events, 14, "NewSessionTicket", 2)["new_session_ticket"];
    assert_eq!((nst["lifetime"].clone(), nst["nonce"].clone()), (json!(64800), json!("01")));
    assert_eq!(nst["max_early_data_size"], 14336);
}

/// (frame, payload) of every UDP datagram in a capture: the project's capture reader gives the
/// frames, etherparse the UDP payloads.
fn udp_payloads(path: &Path) -> Vec<(u64, Vec<u8>)> {
    let mut source =
        tlstrace::source::file::FileSource::open(path.to_str().expect("utf-8 path")).expect("open capture");
    let mut datagrams = Vec::new();
    while let Some(datagram) = source
        .next_with(|p| {
            let sliced = etherparse::SlicedPacket::from_ethernet(p.data).ok()?;
            match sliced.transport {
                Some(etherparse::TransportSlice::Udp(udp)) => Some((p.frame, udp.payload().to_vec())),
                _ => None,
            }
        })
        .expect("read capture")
    {
        datagrams.extend(datagram);
    }
    datagrams
}

/// (frame, handshake type, body) of every unfragmented cleartext DTLS handshake message in a
/// capture; the DTLS record and handshake headers are read here (RFC 6347 4.1, 4.2.2).
fn dtls_handshakes(path: &Path) -> Vec<DtlsMessage> {
    let u16be = |b: &[u8], at: usize| usize::from(b[at]) << 8 | usize::from(b[at + 1]);
    let u24be = |b: &[u8], at: usize| usize::from(b[at]) << 16 | u16be(b, at + 1);
    let mut out = Vec::new();
    for (frame, payload) in udp_payloads(path) {
        let mut records = payload.as_slice();
        // DTLS record: type, version, epoch, 48-bit sequence number, length.
        while records.len() >= 13 {
            let (content_type, epoch, len) = (records[0], u16be(records, 3), u16be(records, 11));
            let Some(fragment) = records.get(13..13 + len) else { break };
            records = &records[13 + len..];
            // Epoch 0 is the cleartext handshake.
            if content_type != 22 || epoch != 0 || fragment.len() < 12 {
                continue;
            }
            // Handshake header: type, length, message_seq, fragment_offset, fragment_length.
            let (msg_len, offset, frag_len) = (u24be(fragment, 1), u24be(fragment, 6), u24be(fragment, 9));
            if offset == 0 && frag_len == msg_len && fragment.len() >= 12 + msg_len {
                out.push((frame, fragment[0], fragment[12..12 + msg_len].to_vec()));
            }
        }
    }
    out
}

fn decode_dtls(messages: &[DtlsMessage], frame: u64, msg_type: u8) -> Value {
    CHECKED.with(|c| c.set(c.get() + 1));
    let (_, t, body) = messages
        .iter()
        .find(|(f, t, _)| *f == frame && *t == msg_type)
        .unwrap_or_else(|| panic!("no handshake type {msg_type} in frame {frame}"));
    let decoded = tlstrace::msgs::decode_handshake(*t, body, &tlstrace::msgs::DecodeContext::default());
    assert_eq!(decoded.error, None);
    serde_json::to_value(&decoded.body).unwrap()
}

fn dtls12_hello_verify_request(messages: &[DtlsMessage]) {
    // tshark: Version DTLS 1.0 (0xfeff), Cookie Length 20.
    let j = decode_dtls(messages, 3, 3);
    assert_eq!(
        j["hello_verify_request"],
        json!({"version": 0xfeff, "version_name": "DTLS 1.0", "cookie": "4c281da5216e0bcdc6d35770176ee12f676baa9b",
               "cookie_length": 20})
    );
}

fn dtls13_hello_retry_request_cookie(messages: &[DtlsMessage]) {
    let j = decode_dtls(messages, 2, 2);
    let hrr = &j["server_hello"];
    assert_eq!(hrr["hello_retry_request"], true);
    assert_eq!(hrr["version"], 0xfefd);
    assert_eq!(hrr["selected_version"], 0xfefc);
    assert_eq!(hrr["cookie_length"], 67);
    assert!(hrr["cookie"].as_str().unwrap().starts_with("20681e0dd7766c56"));
    assert_eq!(hrr["cookie"].as_str().unwrap().len(), 134);
}

/// RFC 9001 5.2: the salt QUIC v1 Initial keys are derived with.
const QUIC_V1_INITIAL_SALT: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f,
    0x0a,
];

/// A QUIC variable-length integer at `*pos` (RFC 9000 16).
fn quic_varint(b: &[u8], pos: &mut usize) -> usize {
    let len = 1 << (b[*pos] >> 6);
    let mut v = usize::from(b[*pos] & 0x3f);
    for i in 1..len {
        v = v << 8 | usize::from(b[*pos + i]);
    }
    *pos += len;
    v
}

/// The ClientHello body carried in the client's QUIC v1 Initial packet in `frame`. Initial
/// keys come from the Destination Connection ID and a published salt, so no secrets are
/// needed (RFC 9001 5). tlstrace traces TLS over TCP only, so this test removes the header
/// protection, decrypts and reassembles the CRYPTO frames itself, with the project's
/// HKDF-Expand-Label and the aes / aes-gcm crates.
fn quic_initial_client_hello(path: &Path, frame: u64) -> Vec<u8> {
    use aes::cipher::{BlockEncrypt, KeyInit};
    use aes_gcm::aead::{Aead, Payload};
    use tlstrace::crypto::{HashAlg, tls13::hkdf_expand_label};

    let (_, packet) = udp_payloads(path).into_iter().find(|(f, _)| *f == frame).expect("frame");
    // Long header, Initial type, version 1.
    assert_eq!(packet[0] & 0xf0, 0xc0, "QUIC Initial");
    assert_eq!(packet[1..5], [0, 0, 0, 1], "QUIC v1");
    let dcid_len = usize::from(packet[5]);
    let dcid = &packet[6..6 + dcid_len];
    let mut pos = 6 + dcid_len;
    pos += 1 + usize::from(packet[pos]); // source connection id
    let token_len = quic_varint(&packet, &mut pos);
    pos += token_len;
    let length = quic_varint(&packet, &mut pos);
    let pn_offset = pos;

    let (initial, _) = hkdf::Hkdf::<sha2::Sha256>::extract(Some(&QUIC_V1_INITIAL_SALT), dcid);
    let client = hkdf_expand_label(HashAlg::Sha256, &initial, "client in", &[], 32).unwrap();
    let key = hkdf_expand_label(HashAlg::Sha256, &client, "quic key", &[], 16).unwrap();
    let iv = hkdf_expand_label(HashAlg::Sha256, &client, "quic iv", &[], 12).unwrap();
    let hp = hkdf_expand_label(HashAlg::Sha256, &client, "quic hp", &[], 16).unwrap();

    // Header protection: AES-ECB of a ciphertext sample masks the low header bits and the
    // packet number.
    let mut mask = aes::Block::clone_from_slice(&packet[pn_offset + 4..pn_offset + 20]);
    aes::Aes128::new_from_slice(&hp).unwrap().encrypt_block(&mut mask);
    let mut header = packet[..pn_offset + 4].to_vec();
    header[0] ^= mask[0] & 0x0f;
    let pn_len = usize::from(header[0] & 0x03) + 1;
    header.truncate(pn_offset + pn_len);
    let mut nonce = iv.clone();
    for i in 0..pn_len {
        header[pn_offset + i] ^= mask[1 + i];
        nonce[12 - pn_len + i] ^= header[pn_offset + i];
    }
    let ciphertext = &packet[pn_offset + pn_len..pn_offset + length];
    let plaintext = aes_gcm::Aes128Gcm::new_from_slice(&key)
        .unwrap()
        .decrypt(aes_gcm::Nonce::from_slice(&nonce), Payload { msg: ciphertext, aad: &header })
        .expect("Initial packet decrypts");

    // Frames: PADDING, PING and CRYPTO (offset, length, data), in any order.
    let mut crypto = Vec::new();
    let mut pos = 0;
    while pos < plaintext.len() {
        match quic_varint(&plaintext, &mut pos) {
            0x00 | 0x01 => {}
            0x06 => {
                let offset = quic_varint(&plaintext, &mut pos);
                let len = quic_varint(&plaintext, &mut pos);
                if crypto.len() < offset + len {
                    crypto.resize(offset + len, 0);
                }
                crypto[offset..offset + len].copy_from_slice(&plaintext[pos..pos + len]);
                pos += len;
            }
            other => panic!("unexpected QUIC frame type {other:#x} in an Initial"),
        }
    }
    assert_eq!(crypto[0], 1, "ClientHello");
    let len = usize::from(crypto[1]) << 16 | usize::from(crypto[2]) << 8 | usize::from(crypto[3]);
    assert_eq!(crypto.len(), 4 + len, "the whole ClientHello in one Initial");
    crypto[4..].to_vec()
}

fn quic_client_hello_transport_parameters(path: &Path) {
    CHECKED.with(|c| c.set(c.get() + 1));
    let body = quic_initial_client_hello(path, 1);
    let decoded = tlstrace::msgs::decode_handshake(1, &body, &tlstrace::msgs::DecodeContext::default());
    assert_eq!(decoded.error, None);
    let j = serde_json::to_value(&decoded.body).unwrap();
    let ch = &j["client_hello"];
    assert_eq!(ch["sni"], "www.google.com");
    assert_eq!(ext(&ch["extensions"], 16)["alpn"], json!(["h3"]));
    assert_eq!(ext(&ch["extensions"], 17513)["alps_protocols"], json!(["h3"]));
    // tshark: quic.parameter.type, in wire order.
    let names: Vec<&str> = ext(&ch["extensions"], 57)["quic_transport_parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "initial_max_data",
            "initial_source_connection_id",
            "initial_max_stream_data_bidi_remote",
            "max_udp_payload_size",
            "initial_max_stream_data_bidi_local",
            "google_initial_rtt",
            "version_information_draft",
            "initial_max_streams_bidi",
            "google_connection_options",
            "initial_max_stream_data_uni",
            "max_datagram_frame_size",
            "initial_max_streams_uni",
            "GREASE",
            "google_quic_version",
            "max_idle_timeout",
        ]
    );
    // tshark -V: the integer values (the idle timeout in ms, the initial RTT in us).
    let values: Vec<Value> = ext(&ch["extensions"], 57)["quic_transport_parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.get("value").cloned().unwrap_or(Value::Null))
        .collect();
    assert_eq!(
        values,
        [
            json!(15_728_640),
            Value::Null,
            json!(6_291_456),
            json!(1472),
            json!(6_291_456),
            json!(4132),
            Value::Null,
            json!(100),
            Value::Null,
            json!(6_291_456),
            json!(65536),
            json!(103),
            Value::Null,
            Value::Null,
            json!(30_000),
        ]
    );
    let params = ext(&ch["extensions"], 57)["quic_transport_parameters"].as_array().unwrap();
    assert_eq!(params[1]["hex"], "", "an empty initial_source_connection_id");
    assert_eq!(params[6]["chosen_version"], 1);
}
