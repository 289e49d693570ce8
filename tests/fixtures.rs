//! The `read` pipeline, the decoders, the story and decryption on the project's own fixtures:
//! real captures made by `fixtures/make-fixtures.sh`, whose facts (measured with tshark when
//! they were made) are in `fixtures/INDEX.tsv`.

mod common;

use common::{events, first_message, fixture, of_kind};
use serde_json::Value;
use std::collections::HashMap;

/// One row of fixtures/INDEX.tsv.
struct Row {
    file: String,
    keylog: String,
    connections: usize,
    versions: Vec<String>,
    ciphers: Vec<String>,
    snis: Vec<String>,
    randoms: Vec<String>,
    clear: Vec<Vec<u64>>,
    decrypted: Vec<Vec<u64>>,
}

fn index() -> Vec<Row> {
    let text = std::fs::read_to_string(common::repo().join("fixtures/INDEX.tsv")).expect("INDEX.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("column {name}"));
    let split = |s: &str| s.split(';').map(str::to_string).collect::<Vec<_>>();
    let types = |s: &str| {
        s.split(';')
            .map(|c| c.split(',').filter(|t| !t.is_empty() && *t != "-").map(|t| t.parse().expect("type")).collect())
            .collect()
    };
    lines
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Row {
                file: c[col("file")].trim_start_matches("captures/").to_string(),
                keylog: c[col("keylog")].trim_start_matches("captures/").to_string(),
                connections: c[col("connections")].parse().expect("connections"),
                versions: split(c[col("versions")]),
                ciphers: split(c[col("ciphers")]),
                snis: split(c[col("sni")]),
                randoms: split(c[col("client_randoms")]),
                clear: types(c[col("handshake_types_clear")]),
                decrypted: types(c[col("handshake_types_decrypted")]),
            }
        })
        .collect()
}

fn hex_u16(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex")
}

/// Handshake types per connection, in message order; `clear_only` drops decrypted ones.
fn types_by_conn(ev: &[Value], clear_only: bool) -> Vec<Vec<u64>> {
    let mut by: HashMap<u64, Vec<u64>> = HashMap::new();
    let conns = of_kind(ev, "connection").len() as u64;
    for m in of_kind(ev, "message") {
        if clear_only && m["encrypted"] == true {
            continue;
        }
        if let Some(t) = m["handshake_type"].as_u64() {
            by.entry(m["conn"].as_u64().unwrap()).or_default().push(t);
        }
    }
    (1..=conns).map(|c| by.remove(&c).unwrap_or_default()).collect()
}

fn sorted(types: &[u64]) -> Vec<u64> {
    let mut v = types.to_vec();
    v.sort_unstable();
    v
}

/// `needle` appears in order within `hay`.
fn is_subsequence(needle: &[u64], hay: &[u64]) -> bool {
    let mut it = hay.iter();
    needle.iter().all(|n| it.any(|h| h == n))
}

#[test]
fn every_fixture_matches_its_index_without_keys() {
    let rows = index();
    assert!(rows.len() >= 30, "fixtures/INDEX.tsv lists {} captures", rows.len());
    for row in &rows {
        let ev = events(&fixture(&row.file), &[]);
        let conns = of_kind(&ev, "connection");
        assert_eq!(conns.len(), row.connections, "{}: connections", row.file);
        let hellos: Vec<&Value> = of_kind(&ev, "message").into_iter().filter(|m| m["name"] == "ClientHello").collect();
        let servers: Vec<&Value> = of_kind(&ev, "message").into_iter().filter(|m| m["name"] == "ServerHello").collect();
        for (i, random) in row.randoms.iter().enumerate() {
            // A capture begun after the hellos has none (tests/dtls13.rs checks what it shows).
            if row.file == "dtls12-midway.pcap" {
                continue;
            }
            let conn = i as u64 + 1;
            let ch =
                hellos.iter().find(|m| m["conn"] == conn).unwrap_or_else(|| panic!("{}: no ClientHello", row.file));
            // tshark shows an SSLv2-format hello's challenge, not a random ("-" in the index):
            // tests/rsa_keys.rs checks that hello's random.
            if random != "-" {
                assert_eq!(ch["client_hello"]["random"], random.as_str(), "{}: client random", row.file);
            }
            let sni = if row.snis[i] == "-" { Value::Null } else { Value::from(row.snis[i].as_str()) };
            assert_eq!(ch["client_hello"]["sni"], sni, "{}: SNI", row.file);
            let sh =
                servers.iter().find(|m| m["conn"] == conn).unwrap_or_else(|| panic!("{}: no ServerHello", row.file));
            let negotiated = sh["server_hello"]["selected_version"].as_u64().or(sh["server_hello"]["version"].as_u64());
            assert_eq!(negotiated, Some(hex_u16(&row.versions[i])), "{}: version", row.file);
            assert_eq!(
                sh["server_hello"]["cipher_suite"].as_u64(),
                Some(hex_u16(&row.ciphers[i])),
                "{}: suite",
                row.file
            );
        }
        let ours = types_by_conn(&ev, true);
        for (i, expected) in row.clear.iter().enumerate() {
            if row.file == "tls12-capture-hole.pcap" {
                // tshark gives up on the direction after the hole; tlstrace resynchronises and
                // finds more, so tshark's list must be contained in ours.
                assert!(is_subsequence(expected, &ours[i]), "{}: {:?} not within {:?}", row.file, expected, ours[i]);
            } else if row.file == "quic-v1-retry.pcap" || row.file == "quic-v1-version-negotiation.pcap" {
                // tshark 4 does not open the client's Initial after a Retry or a Version
                // Negotiation; tlstrace does and shows its new ClientHello too: tshark's list
                // must be contained in ours.
                assert!(is_subsequence(expected, &ours[i]), "{}: {:?} not within {:?}", row.file, expected, ours[i]);
            } else if row.file.starts_with("dtls") {
                // tshark lists DTLS messages as they arrive (a lost flight's resent messages after
                // later ones); tlstrace in message_seq order (tests/dtls.rs checks that order).
                assert_eq!(
                    sorted(&ours[i]),
                    sorted(expected),
                    "{}: cleartext handshake types of conn {}",
                    row.file,
                    i + 1
                );
            } else if row.file.starts_with("legacy-") && row.file.contains("null") {
                // NULL-cipher records are plaintext and tshark reads their Finished without keys;
                // tlstrace treats records after ChangeCipherSpec as protected until it has keys.
                assert!(is_subsequence(&ours[i], expected), "{}: {:?} not within {:?}", row.file, ours[i], expected);
            } else {
                assert_eq!(&ours[i], expected, "{}: cleartext handshake types of conn {}", row.file, i + 1);
            }
        }
        let summary = common::summary(&ev);
        assert_eq!(summary["tls_connections"], row.connections as u64, "{}", row.file);
        assert_eq!(summary["malformed_packets"], 0, "{}", row.file);
    }
}

#[test]
fn every_fixture_decrypts_with_its_key_log() {
    for row in index() {
        let keylog = fixture(&row.keylog);
        let ev = events(&fixture(&row.file), &["--keylog", keylog.to_str().unwrap()]);
        let ours = types_by_conn(&ev, false);
        for (i, expected) in row.decrypted.iter().enumerate() {
            // tshark 4 does not open QUIC Handshake packets after a Retry or a Version
            // Negotiation (its list stops at the hellos; ours has the client's second
            // ClientHello too): it must be within ours.
            if row.file == "quic-v1-retry.pcap" || row.file == "quic-v1-version-negotiation.pcap" {
                assert!(is_subsequence(expected, &ours[i]), "{}: {:?} not within {:?}", row.file, expected, ours[i]);
                continue;
            }
            // tshark cannot decrypt ARIA (its list lacks the Finished): it must be within ours.
            // tshark 4.0 cannot open DTLS 1.3 records (its list is the cleartext hellos): it must
            // be within ours (tests/dtls13.rs checks the rest).
            if row.file.starts_with("dtls13") {
                assert!(
                    is_subsequence(&sorted(expected), &sorted(&ours[i])),
                    "{}: {:?} not within {:?}",
                    row.file,
                    expected,
                    ours[i]
                );
            } else if row.file.starts_with("dtls") {
                // In arrival order in the index, in message_seq order here (see above).
                assert_eq!(
                    sorted(&ours[i]),
                    sorted(expected),
                    "{}: decrypted handshake types of conn {}",
                    row.file,
                    i + 1
                );
            } else if row.file == "tls12-capture-hole.pcap"
                || (row.file.starts_with("legacy-") && row.file.contains("aria"))
            {
                assert!(is_subsequence(expected, &ours[i]), "{}: {:?} not within {:?}", row.file, expected, ours[i]);
            } else {
                assert_eq!(&ours[i], expected, "{}: decrypted handshake types of conn {}", row.file, i + 1);
            }
        }
        for h in of_kind(&ev, "handshake") {
            let expect_verified = match row.file.as_str() {
                // The client aborted before logging secrets / before its Finished.
                "tls12-alert-unknown-ca.pcap" | "tls13-alert-unknown-ca.pcap" => None,
                // Its second connection is the same abort as tls13-alert-unknown-ca.
                "tls-mixed-outcomes.pcap" if h["conn"] == 2 => None,
                // Begun after the hellos: no client random to find the secrets by.
                "dtls12-midway.pcap" => None,
                // A segment of the Certificate is missing: the transcript cannot match.
                "tls12-capture-hole.pcap" => Some(false),
                _ => Some(true),
            };
            assert_eq!(h["finished_verified"].as_bool(), expect_verified, "{}: finished_verified", row.file);
        }
        for f in of_kind(&ev, "message").into_iter().filter(|m| m["name"] == "Finished") {
            assert_eq!(f["decrypted"], true, "{}", row.file);
            assert!(f["finished"]["verify_data"].as_str().is_some_and(|v| !v.is_empty()), "{}", row.file);
            if row.file != "tls12-capture-hole.pcap" {
                assert_eq!(f["finished"]["verified"], true, "{}: Finished {}", row.file, f["index"]);
            }
        }
    }
}

#[test]
fn tls13_server_flight_is_decoded_with_keys() {
    let ev = events(
        &fixture("tls13-x25519-alpn.pcap"),
        &["--keylog", fixture("tls13-x25519-alpn.keylog").to_str().unwrap()],
    );
    let names = common::ladder(&ev, 1);
    assert_eq!(
        names[..10],
        [
            "C:ClientHello",
            "S:ServerHello",
            "S:ChangeCipherSpec",
            "S:EncryptedExtensions",
            "S:Certificate",
            "S:CertificateVerify",
            "S:Finished",
            "C:ChangeCipherSpec",
            "C:Finished",
            "S:NewSessionTicket"
        ]
    );
    let ee = first_message(&ev, 1, "EncryptedExtensions");
    assert_eq!(ee["decrypted"], true);
    let alpn = ee["encrypted_extensions"]["extensions"].as_array().unwrap().iter().find(|e| e["type"] == 16).unwrap();
    assert_eq!(alpn["alpn"], serde_json::json!(["h2"]));
    let cert = first_message(&ev, 1, "Certificate");
    assert_eq!(cert["certificates"][0]["subject"], "O=tlstrace fixtures, CN=server.tlstrace.test");
    assert_eq!(cert["certificates"][0]["sha256"], fingerprint("server-rsa.crt"));
    let cv = first_message(&ev, 1, "CertificateVerify");
    assert_eq!(cv["certificate_verify"]["signature_scheme_name"], "rsa_pss_rsae_sha256");
    let h = &of_kind(&ev, "handshake")[0];
    assert_eq!(h["alpn"], "h2");
    assert_eq!(h["finished_verified"], true);
    assert_eq!(h["decryption"]["status"], "decrypted");
    assert_eq!(h["signature_scheme"], "rsa_pss_rsae_sha256");
    assert_eq!(h["certificate_subject"], "O=tlstrace fixtures, CN=server.tlstrace.test");
}

/// sha256 of a fixture certificate, from fixtures/certs/fingerprints.tsv (openssl's value).
fn fingerprint(file: &str) -> String {
    let text = std::fs::read_to_string(common::repo().join("fixtures/certs/fingerprints.tsv")).unwrap();
    text.lines().find(|l| l.starts_with(&format!("{file}\t"))).unwrap().split('\t').nth(1).unwrap().to_string()
}

#[test]
fn wrong_key_log_never_gives_a_wrong_decode() {
    let good = std::fs::read_to_string(fixture("tls13-x25519-alpn.keylog")).unwrap();
    // Same client random, every secret altered.
    let bad: String = good
        .lines()
        .map(|l| {
            let mut parts: Vec<String> = l.split(' ').map(str::to_string).collect();
            if parts.len() == 3 {
                parts[2] = parts[2].chars().rev().collect();
            }
            parts.join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n");
    let dir = std::env::temp_dir().join(format!("tlstrace-badkeys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.keylog");
    std::fs::write(&path, bad).unwrap();
    let ev = events(&fixture("tls13-x25519-alpn.pcap"), &["--keylog", path.to_str().unwrap()]);
    assert!(of_kind(&ev, "message").iter().all(|m| m["decrypted"] == false), "nothing may decrypt with wrong keys");
    let h = &of_kind(&ev, "handshake")[0];
    assert_ne!(h["finished_verified"], true);
    assert_eq!(h["decryption"]["status"], "failed");
    assert!(common::summary(&ev)["decryption"]["records_failed"].as_u64().unwrap() > 0);
}

#[test]
fn tls12_certificate_chain_is_checked() {
    let ev = events(&fixture("tls12-ecdhe-rsa-chain.pcap"), &[]);
    let cert = first_message(&ev, 1, "Certificate");
    let certs = cert["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 2);
    assert_eq!(certs[0]["sha256"], fingerprint("server-rsa.crt"));
    assert_eq!(certs[1]["sha256"], fingerprint("intermediate-ca.crt"));
    assert_eq!(certs[0]["key_algorithm"], "RSA");
    assert_eq!(certs[0]["key_bits"], 2048);
    assert!(certs[0]["san"].as_array().unwrap().iter().any(|s| s == "server.tlstrace.test"));
    assert_eq!(certs[0]["is_ca"], false);
    assert_eq!(certs[1]["is_ca"], true);
    assert_eq!(certs[0]["expired_at_capture"], false);
    assert_eq!(cert["chain"]["issued_in_order"], true);
    assert_eq!(cert["chain"]["sni_matches"], true);
    // The root is not sent, so the intermediate's own signature cannot be checked: never "valid".
    assert_ne!(cert["chain"]["signatures"], "invalid");
    let ske = first_message(&ev, 1, "ServerKeyExchange");
    assert_eq!(ske["server_key_exchange"]["named_curve_name"], "x25519");
    assert_eq!(ske["server_key_exchange"]["public_key_length"], 32);
}

#[test]
fn broken_and_expired_certificates_are_reported() {
    let ev = events(&fixture("tls12-cert-badsig.pcap"), &[]);
    let cert = first_message(&ev, 1, "Certificate");
    assert_eq!(cert["certificates"][0]["sha256"], fingerprint("server-badsig.crt"));
    assert_eq!(cert["chain"]["signatures"], "invalid");
    let h = &of_kind(&ev, "handshake")[0];
    assert!(h["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("signature invalid")), "{h}");

    let ev = events(&fixture("tls12-cert-expired.pcap"), &[]);
    let cert = first_message(&ev, 1, "Certificate");
    assert_eq!(cert["certificates"][0]["sha256"], fingerprint("server-expired.crt"));
    assert_eq!(cert["certificates"][0]["expired_at_capture"], true);
    assert_eq!(cert["certificates"][0]["not_after"], "2021-01-01T00:00:00Z");
    assert!(first_message(&ev, 1, "Certificate")["role"].as_str().unwrap().contains("NOT valid at capture time"));
}

/// (name, phase) of every message of connection `conn`.
fn phases(ev: &[Value], conn: u64) -> Vec<(String, u64)> {
    of_kind(ev, "message")
        .into_iter()
        .filter(|m| m["conn"] == conn)
        .map(|m| (m["name"].as_str().unwrap().to_string(), m["phase"].as_u64().unwrap()))
        .collect()
}

#[test]
fn phases_of_a_tls12_handshake() {
    let ev = events(
        &fixture("tls12-client-auth.pcap"),
        &["--keylog", fixture("tls12-client-auth.keylog").to_str().unwrap()],
    );
    let got: Vec<(String, u64)> = phases(&ev, 1).into_iter().take(14).collect();
    let want = [
        ("ClientHello", 1),
        ("ServerHello", 1),
        ("Certificate", 2),
        ("ServerKeyExchange", 2),
        ("CertificateRequest", 2),
        ("ServerHelloDone", 2),
        ("Certificate", 3),
        ("ClientKeyExchange", 3),
        ("CertificateVerify", 3),
        ("ChangeCipherSpec", 4),
        ("Finished", 4),
        ("NewSessionTicket", 4),
        ("ChangeCipherSpec", 4),
        ("Finished", 4),
    ];
    assert_eq!(got, want.iter().map(|(n, p)| (n.to_string(), *p)).collect::<Vec<_>>());
    let h = &of_kind(&ev, "handshake")[0];
    assert_eq!(h["client_certificate"], "sent");
    assert_eq!(h["kind"], "full");
    assert_eq!(h["complete"], true);
    // After the handshake: application data and closing alerts are phase 0.
    assert!(phases(&ev, 1).iter().skip(14).all(|(_, p)| *p == 0));
}

#[test]
fn phases_of_a_tls13_handshake_without_and_with_keys() {
    let ev = events(&fixture("tls13-client-auth.pcap"), &[]);
    let first: Vec<(String, u64)> = phases(&ev, 1).into_iter().take(4).collect();
    assert_eq!(first[0], ("ClientHello".into(), 1));
    assert_eq!(first[1], ("ServerHello".into(), 1));
    assert_eq!(first[2], ("ChangeCipherSpec".into(), 4));
    assert_eq!(first[3], ("EncryptedRecord".into(), 2));
    let ccs = first_message(&ev, 1, "ChangeCipherSpec");
    assert!(ccs["role"].as_str().unwrap().contains("no cryptographic meaning"));
    let sh = first_message(&ev, 1, "ServerHello");
    assert!(sh["role"].as_str().unwrap().contains("key exchange"), "{}", sh["role"]);

    let ev = events(
        &fixture("tls13-client-auth.pcap"),
        &["--keylog", fixture("tls13-client-auth.keylog").to_str().unwrap()],
    );
    let want = [
        ("ClientHello", 1),
        ("ServerHello", 1),
        ("ChangeCipherSpec", 4),
        ("EncryptedExtensions", 2),
        ("CertificateRequest", 2),
        ("Certificate", 2),
        ("CertificateVerify", 2),
        ("Finished", 4),
        ("ChangeCipherSpec", 4),
        ("Certificate", 3),
        ("CertificateVerify", 3),
        ("Finished", 4),
    ];
    let got: Vec<(String, u64)> = phases(&ev, 1).into_iter().take(want.len()).collect();
    assert_eq!(got, want.iter().map(|(n, p)| (n.to_string(), *p)).collect::<Vec<_>>());
    let tickets: Vec<(String, u64)> = phases(&ev, 1).into_iter().filter(|(n, _)| n == "NewSessionTicket").collect();
    assert!(!tickets.is_empty() && tickets.iter().all(|(_, p)| *p == 0), "TLS 1.3 tickets are post-handshake");
    assert_eq!(of_kind(&ev, "handshake")[0]["client_certificate"], "sent");
}

#[test]
fn handshake_kinds() {
    let kinds = |file: &str| -> Vec<String> {
        of_kind(&events(&fixture(file), &[]), "handshake")
            .iter()
            .map(|h| h["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(kinds("tls12-resume-session-id.pcap"), ["full", "resumed_session_id"]);
    assert_eq!(kinds("tls12-resume-ticket.pcap"), ["full", "resumed_ticket"]);
    assert_eq!(kinds("tls13-resume-psk.pcap"), ["full", "resumed_psk"]);

    let ev = events(&fixture("tls13-hrr.pcap"), &[]);
    let h = &of_kind(&ev, "handshake")[0];
    assert_eq!(h["hello_retry_request"], true);
    assert_eq!(h["group"], "secp256r1");
    assert_eq!(common::names(&ev, 1)[..3], ["ClientHello", "HelloRetryRequest", "ChangeCipherSpec"]);
    let hrr = first_message(&ev, 1, "HelloRetryRequest");
    assert_eq!(hrr["server_hello"]["hello_retry_request"], true);
    assert!(hrr["role"].as_str().unwrap().contains("secp256r1"));

    let ev =
        events(&fixture("tls13-early-data.pcap"), &["--keylog", fixture("tls13-early-data.keylog").to_str().unwrap()]);
    let hs = of_kind(&ev, "handshake");
    assert_eq!(hs[1]["kind"], "resumed_psk");
    assert_eq!(hs[1]["early_data"], "accepted");
    assert_eq!(first_message(&ev, 2, "EndOfEarlyData")["decrypted"], true);
    let early = first_message(&ev, 2, "ApplicationData");
    assert_eq!(early["phase"], 1);
    assert!(early["role"].as_str().unwrap().contains("0-RTT"));
    // Without keys the server's answer is invisible: 0-RTT is only known to be offered.
    let ev = events(&fixture("tls13-early-data.pcap"), &[]);
    assert_eq!(of_kind(&ev, "handshake")[1]["early_data"], "offered");
}

#[test]
fn alerts_explain_the_failure() {
    let ev = events(&fixture("tls12-alert-unknown-ca.pcap"), &[]);
    let h = &of_kind(&ev, "handshake")[0];
    assert_eq!(h["complete"], false);
    assert_eq!(h["failure"], "alert: unknown_ca from client");
    assert_eq!(h["alerts"][0]["from"], "client");
    assert_eq!(h["alerts"][0]["description"], 48);
    let alert = first_message(&ev, 1, "Alert");
    assert_eq!(alert["alert"]["level_name"], "fatal");
    assert_eq!(alert["alert"]["description_name"], "unknown_ca");
    assert_eq!(alert["phase"], 2);
    let role = alert["role"].as_str().unwrap();
    assert!(role.contains("right after the server's ServerHelloDone") || role.contains("Certificate"), "{role}");
    assert!(role.contains("trusted") || role.contains("trust"), "{role}");

    // TLS 1.3: with keys, the server's encrypted flight is read; OpenSSL's client sends its
    // alert before switching to its handshake keys, so it travels in the clear.
    let ev = events(
        &fixture("tls13-alert-unknown-ca.pcap"),
        &["--keylog", fixture("tls13-alert-unknown-ca.keylog").to_str().unwrap()],
    );
    assert_eq!(first_message(&ev, 1, "Certificate")["decrypted"], true);
    let alert = first_message(&ev, 1, "Alert");
    assert_eq!(alert["alert"]["description_name"], "unknown_ca");
    assert!(alert["role"].as_str().unwrap().contains("right after the server's Finished"), "{}", alert["role"]);
    assert_eq!(of_kind(&ev, "handshake")[0]["failure"], "alert: unknown_ca from client");
}

#[test]
fn roles_use_this_connections_values() {
    let ev = events(&fixture("tls12-rsa-kx.pcap"), &[]);
    let sh = first_message(&ev, 1, "ServerHello");
    let role = sh["role"].as_str().unwrap();
    assert!(role.contains("TLS_RSA_WITH_AES_256_GCM_SHA384"), "{role}");
    assert!(role.contains("out of the client's"), "{role}");
    let cke = first_message(&ev, 1, "ClientKeyExchange");
    assert!(cke["role"].as_str().unwrap().contains("no forward secrecy"));
    assert_eq!(cke["client_key_exchange"]["encrypted_premaster_length"], 256);
    let h = &of_kind(&ev, "handshake")[0];
    assert!(h["warnings"].as_array().unwrap().iter().any(|w| w == "RSA key exchange: no forward secrecy"));

    let ev = events(&fixture("tls12-dhe-rsa.pcap"), &[]);
    let ske = first_message(&ev, 1, "ServerKeyExchange");
    assert_eq!(ske["server_key_exchange"]["dh_p_bits"], 2048);
    assert!(ske["role"].as_str().unwrap().contains("2048-bit prime"));

    let ev = events(&fixture("tls10-ecdhe-rsa-cbc.pcap"), &[]);
    let warnings = of_kind(&ev, "handshake")[0]["warnings"].clone();
    assert!(warnings.as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("TLS 1.0 is deprecated")));
    assert!(warnings.as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("CBC with SHA-1")));
}

#[test]
fn gaps_are_reported_and_decoding_resynchronises() {
    let ev = events(&fixture("tls12-capture-hole.pcap"), &[]);
    let gaps = of_kind(&ev, "gap");
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0]["direction"], "server_to_client");
    assert!(gaps[0]["bytes"].as_u64().unwrap() > 0);
    assert_eq!(gaps[0]["offset"], 940);
    assert_eq!(gaps[0]["cause"], "capture_loss");
    // The Certificate lost a segment: reported as incomplete with what arrived of it, and the
    // messages after it are still found.
    let cert = first_message(&ev, 1, "Certificate");
    assert_eq!(cert["incomplete"]["bytes_captured"], 861);
    assert_eq!(cert["length"], 1833);
    assert_eq!(of_kind(&ev, "handshake")[0]["missing_message"], "Certificate");
    let names = common::names(&ev, 1);
    assert!(names.contains(&"ServerKeyExchange".to_string()) && names.contains(&"ServerHelloDone".to_string()));
    assert_eq!(common::summary(&ev)["gaps"], 1);

    // Real loss with retransmission, and reordering: complete streams, no gaps.
    for file in ["tls12-loss-retransmission.pcap", "tls12-reordering.pcap", "tls12-small-mtu.pcap"] {
        let ev = events(&fixture(file), &[]);
        assert!(of_kind(&ev, "gap").is_empty(), "{file}");
        assert_eq!(first_message(&ev, 1, "Certificate")["certificates"].as_array().unwrap().len(), 2, "{file}");
    }
}

#[test]
fn times_keep_the_capture_precision() {
    let out = common::run(&["read", "--json", fixture("tls12-nanosecond.pcap").to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.contains("\"ClientHello\"")).unwrap();
    let time = line.split("\"time\":").nth(1).unwrap().split(',').next().unwrap();
    assert_eq!(time.split('.').nth(1).unwrap().len(), 9, "{time}");
    let out = common::run(&["read", "--json", fixture("tls12-ecdhe-rsa-chain.pcap").to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.contains("\"ClientHello\"")).unwrap();
    let time = line.split("\"time\":").nth(1).unwrap().split(',').next().unwrap();
    assert_eq!(time.split('.').nth(1).unwrap().len(), 6, "{time}");
}

#[test]
fn link_types_and_formats() {
    let ev = events(&fixture("tls13-ipv6.pcap"), &[]);
    assert_eq!(of_kind(&ev, "connection")[0]["server"]["ip"], "::1");
    let ev = events(&fixture("tls-two-linktypes.pcapng"), &[]);
    assert_eq!(of_kind(&ev, "handshake").len(), 2);
    // stdin, gzip
    let data = std::fs::read(fixture("tls13-gzip.pcap.gz")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tlstrace"))
        .args(["read", "--json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let ev = common::parse_ndjson(&out.stdout);
    assert_eq!(of_kind(&ev, "handshake")[0]["version_name"], "TLS 1.3");
}

#[test]
fn fingerprints_in_hello_events() {
    let ev = events(&fixture("tls12-ecdhe-rsa-chain.pcap"), &[]);
    let ch = first_message(&ev, 1, "ClientHello");
    let fp = &ch["fingerprints"];
    assert!(fp["ja4"].as_str().unwrap().starts_with("t12d"));
    assert_eq!(fp["ja3_hash"].as_str().unwrap().len(), 32);
    assert!(fp["ja3"].as_str().unwrap().starts_with("771,"));
    let sh = first_message(&ev, 1, "ServerHello");
    assert!(sh["fingerprints"]["ja3s"].as_str().unwrap().starts_with("771,49199,"));
    // --ja4 selects connections by fingerprint.
    let ja4 = fp["ja4"].as_str().unwrap().to_string();
    let two = fixture("tls-two-linktypes.pcapng");
    let all = events(&two, &[]);
    let tls12_ja4 = of_kind(&all, "message")
        .into_iter()
        .find(|m| m["name"] == "ClientHello" && m["conn"] == 2)
        .map(|m| m["fingerprints"]["ja4"].as_str().unwrap().to_string())
        .unwrap();
    let filtered = events(&two, &["--ja4", &tls12_ja4]);
    assert_eq!(of_kind(&filtered, "connection").len(), 1);
    assert_eq!(of_kind(&filtered, "connection")[0]["conn"], 2);
    let none = events(&two, &["--ja4", "t13d000000_000000000000_000000000000"]);
    assert!(of_kind(&none, "connection").is_empty());
    let _ = ja4;
}

#[test]
fn connection_filters() {
    let two = fixture("tls-two-linktypes.pcapng");
    let all = events(&two, &[]);
    let port = of_kind(&all, "connection")[1]["server"]["port"].as_u64().unwrap().to_string();
    let ev = events(&two, &["--port", &port]);
    assert_eq!(of_kind(&ev, "connection").len(), 1);
    assert_eq!(of_kind(&ev, "connection")[0]["conn"], 2);
    let ev = events(&fixture("tls12-ecdhe-ecdsa-aes128gcm.pcap"), &["--sni", "*.tlstrace.test"]);
    assert_eq!(of_kind(&ev, "connection").len(), 1);
    let ev = events(&fixture("tls12-ecdhe-ecdsa-aes128gcm.pcap"), &["--sni", "example.com"]);
    assert!(of_kind(&ev, "connection").is_empty());
    assert_eq!(common::summary(&ev)["tls_connections"], 1, "the summary still counts everything");
    let ev = events(&fixture("tls12-alert-unknown-ca.pcap"), &["--failed"]);
    assert_eq!(of_kind(&ev, "handshake").len(), 1);
    let ev = events(&fixture("tls12-ecdhe-rsa-chain.pcap"), &["--failed"]);
    assert!(of_kind(&ev, "handshake").is_empty());
}

#[test]
fn show_data_is_opt_in() {
    let keylog = fixture("tls12-ecdhe-rsa-chain.keylog");
    let ev = events(&fixture("tls12-ecdhe-rsa-chain.pcap"), &["--keylog", keylog.to_str().unwrap()]);
    let data: Vec<&Value> = of_kind(&ev, "message").into_iter().filter(|m| m["name"] == "ApplicationData").collect();
    assert!(!data.is_empty());
    assert!(data.iter().all(|m| m["decrypted"] == true && m.get("data").is_none()));
    let ev =
        events(&fixture("tls12-ecdhe-rsa-chain.pcap"), &["--keylog", keylog.to_str().unwrap(), "--show-data", "4"]);
    let m = of_kind(&ev, "message").into_iter().find(|m| m["name"] == "ApplicationData").unwrap();
    assert!(m["data"].as_str().unwrap().len() <= 4 * 4 + 3);
}

#[test]
fn certs_option_writes_pem_files_named_by_fingerprint() {
    let dir = std::env::temp_dir().join(format!("tlstrace-certs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let ev = events(&fixture("tls12-ecdhe-rsa-chain.pcap"), &["--certs", dir.to_str().unwrap()]);
    assert_eq!(common::summary(&ev)["certificates_written"], 2);
    let body = |pem: &str| pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>();
    for file in ["server-rsa.crt", "intermediate-ca.crt"] {
        let written = dir.join(format!("{}.pem", fingerprint(file)));
        let ours = std::fs::read_to_string(&written).unwrap_or_else(|e| panic!("{}: {e}", written.display()));
        let theirs = std::fs::read_to_string(common::repo().join("fixtures/certs").join(file)).unwrap();
        assert_eq!(body(&ours), body(&theirs), "{file}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
