//! QUIC (issue 21): the aioquic fixtures decoded, the ladder and filters on them, and the QUIC
//! captures of `../shared/corpus` against tshark and the JA4 project.

mod common;

use common::*;
use serde_json::Value;

/// The INDEX.tsv row of a fixture: (server port, client random).
fn index_row(file: &str) -> (u64, String) {
    let index = std::fs::read_to_string(repo().join("fixtures/INDEX.tsv")).unwrap();
    let row = index.lines().find(|l| l.starts_with(&format!("captures/{file}\t"))).unwrap();
    let cols: Vec<&str> = row.split('\t').collect();
    (cols[6].parse().unwrap(), cols[12].to_string())
}

fn connection(ev: &[Value]) -> &Value {
    let conns = of_kind(ev, "connection");
    assert_eq!(conns.len(), 1, "one connection");
    conns[0]
}

#[test]
fn quic_v1_handshake_decodes_as_over_tcp() {
    let ev = events(&fixture("quic-v1.pcap"), &[]);
    let (port, random) = index_row("quic-v1.pcap");
    let c = connection(&ev);
    assert_eq!(c["transport"], "quic");
    assert_eq!(c["quic"]["version"], 1);
    assert_eq!(c["quic"]["version_name"], "QUIC v1");
    assert_eq!(c["quic"]["original_destination_connection_id"].as_str().unwrap().len(), 16);
    assert_eq!(c["quic"]["client_connection_id"].as_str().unwrap().len(), 16);
    assert_eq!(c["server"]["port"], port);
    assert_eq!(c["roles_from"], "hello");
    assert_eq!(c["syn_seen"], false);
    let names = names(&ev, 1);
    assert_eq!(&names[..2], ["ClientHello", "ServerHello"]);
    assert!(names[2..].iter().all(|n| n == "EncryptedRecord"), "{names:?}");
    let ch = first_message(&ev, 1, "ClientHello");
    assert_eq!(ch["record_version"], 0, "no record layer");
    assert_eq!(ch["client_hello"]["random"], random);
    assert_eq!(ch["client_hello"]["sni"], "server.tlstrace.test");
    let ja4 = ch["fingerprints"]["ja4"].as_str().unwrap();
    assert!(ja4.starts_with("q13d"), "{ja4}");
    let exts = ch["client_hello"]["extensions"].as_array().unwrap();
    let tp = exts.iter().find(|e| e["name"] == "quic_transport_parameters").expect("transport parameters");
    let params: Vec<&str> =
        tp["quic_transport_parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(params.contains(&"initial_max_data") && params.contains(&"initial_source_connection_id"), "{params:?}");
    let sh = first_message(&ev, 1, "ServerHello");
    assert_eq!(sh["server_hello"]["selected_version"], 0x0304);
    let h = of_kind(&ev, "handshake")[0];
    assert_eq!(h["version_name"], "TLS 1.3");
    assert_eq!(h["complete"], true);
    assert_eq!(h["decryption"]["status"], "no_key_log");
    assert!(h["decryption"]["reason"].as_str().unwrap().starts_with("QUIC: the rest of the handshake is encrypted"));
    assert_eq!(of_kind(&ev, "end")[0]["reason"], "capture_end");
    // No TCP here, and the UDP datagrams still count as not TCP.
    assert_eq!(summary(&ev)["tls_connections"], 1);
    assert!(summary(&ev)["non_tcp_packets"].as_u64().unwrap() >= 10);
}

#[test]
fn quic_v2_uses_its_own_salt_and_packet_types() {
    let ev = events(&fixture("quic-v2.pcap"), &[]);
    let c = connection(&ev);
    assert_eq!(c["quic"]["version"], 0x6b33_43cf);
    assert_eq!(c["quic"]["version_name"], "QUIC v2");
    let (_, random) = index_row("quic-v2.pcap");
    assert_eq!(first_message(&ev, 1, "ClientHello")["client_hello"]["random"], random);
    assert_eq!(&names(&ev, 1)[..2], ["ClientHello", "ServerHello"]);
}

#[test]
fn a_retry_keeps_one_connection_and_is_shown() {
    let ev = events(&fixture("quic-v1-retry.pcap"), &[]);
    connection(&ev);
    // aioquic answers the Retry with a new handshake: a second ClientHello with a new random
    // (the one its key log names), under the keys of the Retry's connection id.
    let hellos: Vec<&Value> = of_kind(&ev, "message").into_iter().filter(|m| m["name"] == "ClientHello").collect();
    assert_eq!(hellos.len(), 2);
    let (_, random) = index_row("quic-v1-retry.pcap");
    assert_eq!(hellos[0]["client_hello"]["random"], random);
    assert_ne!(hellos[1]["client_hello"]["random"], random);
    let h = of_kind(&ev, "handshake")[0];
    let warnings = h["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w.as_str().unwrap().starts_with("QUIC Retry")), "{warnings:?}");
    assert_eq!(h["complete"], true);
}

#[test]
fn a_client_hello_over_two_initials_is_reassembled() {
    let ev = events(&fixture("quic-v1-split-hello.pcap"), &[]);
    let ch = first_message(&ev, 1, "ClientHello");
    assert!(ch["length"].as_u64().unwrap() > 1200, "{}", ch["length"]);
    assert!(ch["decode_error"].is_null());
    let alpn = ch["client_hello"]["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "application_layer_protocol_negotiation")
        .unwrap();
    assert_eq!(alpn["alpn"].as_array().map(Vec::len), Some(61), "{alpn}");
    // Its last byte came in the second Initial's frame.
    assert!(ch["frame"].as_u64().unwrap() >= 2);
}

/// A fixture read with its key log: its events.
fn with_key_log(file: &str) -> Vec<Value> {
    let keylog = fixture(&file.replace(".pcap", ".keylog"));
    events(&fixture(file), &["--keylog", keylog.to_str().unwrap()])
}

/// The server's flight in Handshake packets decoded, both Finished verified over the CRYPTO
/// messages' transcript, HANDSHAKE_DONE from a 1-RTT packet.
fn assert_decrypted_handshake(file: &str) {
    let ev = with_key_log(file);
    let names = names(&ev, 1);
    let from_sh: Vec<&str> = names.iter().skip_while(|n| *n != "ServerHello").map(String::as_str).collect();
    assert_eq!(
        from_sh,
        ["ServerHello", "EncryptedExtensions", "Certificate", "CertificateVerify", "Finished", "Finished"],
        "{file}"
    );
    for name in ["EncryptedExtensions", "Certificate", "CertificateVerify", "Finished"] {
        assert_eq!(first_message(&ev, 1, name)["decrypted"], true, "{file}: {name}");
    }
    let cert = first_message(&ev, 1, "Certificate");
    assert!(cert.to_string().contains("server.tlstrace.test"), "{file}");
    for f in of_kind(&ev, "message").into_iter().filter(|m| m["name"] == "Finished") {
        assert_eq!(f["finished"]["verified"], true, "{file}");
    }
    let h = of_kind(&ev, "handshake")[0];
    assert_eq!(h["decryption"]["status"], "decrypted", "{file}");
    assert_eq!(h["finished_verified"], true, "{file}");
    assert_eq!(h["key_derivation"]["secret_from"], "key_log", "{file}");
    let end = of_kind(&ev, "end")[0];
    let notes: Vec<&str> = end["quic_notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    assert!(notes.iter().any(|n| n.starts_with("QUIC HANDSHAKE_DONE") && n.ends_with("from the server")), "{notes:?}");
    let q = &summary(&ev)["quic"];
    assert_eq!(q["connections"], 1);
    assert!(q["handshake_packets_opened"].as_u64().unwrap() >= 2, "{q}");
    assert!(q["one_rtt_packets_opened"].as_u64().unwrap() >= 1, "{q}");
    assert_eq!(summary(&ev)["decryption"]["finished_verified"], 2);
}

#[test]
fn quic_v1_handshake_packets_decrypt_with_the_key_log() {
    assert_decrypted_handshake("quic-v1.pcap");
}

#[test]
fn quic_v2_handshake_packets_decrypt_with_its_own_labels() {
    assert_decrypted_handshake("quic-v2.pcap");
}

#[test]
fn quic_split_hello_handshake_decrypts() {
    assert_decrypted_handshake("quic-v1-split-hello.pcap");
}

/// tshark 4 stops at the hellos after a Retry; the secrets are logged under the second
/// ClientHello's random, and the handshake decrypts with them.
#[test]
fn quic_handshake_after_a_retry_decrypts() {
    assert_decrypted_handshake("quic-v1-retry.pcap");
}

/// aioquic's client offers v2 to a v1-only server: the server's Version Negotiation packet is
/// a warning naming the versions offered, the client's new handshake over v1 decrypts.
#[test]
fn a_version_negotiation_is_shown_and_the_handshake_goes_on() {
    assert_decrypted_handshake("quic-v1-version-negotiation.pcap");
    let ev = events(&fixture("quic-v1-version-negotiation.pcap"), &[]);
    let c = connection(&ev);
    assert_eq!(c["quic"]["version_name"], "QUIC v2", "the client's first Initial");
    let h = of_kind(&ev, "handshake")[0];
    let warnings: Vec<&str> = h["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert!(
        warnings.contains(&"QUIC Version Negotiation: the server offers 0x00000001 (QUIC v1) from the server"),
        "{warnings:?}"
    );
    assert_eq!(names(&ev, 1).iter().filter(|n| *n == "ClientHello").count(), 2);
    assert_eq!(summary(&ev)["quic"]["version_negotiations"], 1);
}

/// aioquic resumes a session with the first connection's ticket and sends a request in a 0-RTT
/// packet: the second ClientHello offers pre_shared_key and early_data, the server accepts the
/// early data, the 0-RTT packet opens with CLIENT_EARLY_TRAFFIC_SECRET and carries the request.
#[test]
fn a_resumed_session_with_0_rtt_data_decrypts() {
    let ev = with_key_log("quic-v1-zero-rtt.pcap");
    let conns = of_kind(&ev, "connection");
    assert_eq!(conns.len(), 2, "a full handshake, then the resumed one");
    assert!(conns.iter().all(|c| c["transport"] == "quic"));
    let index = std::fs::read_to_string(repo().join("fixtures/INDEX.tsv")).unwrap();
    let row: Vec<&str> =
        index.lines().find(|l| l.starts_with("captures/quic-v1-zero-rtt.pcap\t")).unwrap().split('\t').collect();
    let randoms: Vec<&str> = row[12].split(';').collect();
    // The first connection: a full handshake whose 1-RTT packets carry the ticket.
    let names1 = names(&ev, 1);
    assert!(names1.contains(&"NewSessionTicket".to_string()), "{names1:?}");
    assert_eq!(first_message(&ev, 1, "NewSessionTicket")["decrypted"], true);
    assert_eq!(first_message(&ev, 1, "ClientHello")["client_hello"]["random"], randoms[0]);
    let ch = first_message(&ev, 2, "ClientHello");
    assert_eq!(ch["client_hello"]["random"], randoms[1]);
    let exts: Vec<&str> =
        ch["client_hello"]["extensions"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert!(exts.contains(&"early_data") && exts.contains(&"psk_key_exchange_modes"), "{exts:?}");
    assert_eq!(exts.last(), Some(&"pre_shared_key"), "pre_shared_key comes last");
    let psk = ch["client_hello"]["extensions"].as_array().unwrap().last().unwrap();
    assert_eq!(psk["psk_binder_count"], 1);
    assert!(ch["fingerprints"]["ja4"].as_str().unwrap().starts_with("q13d"));
    // The resumed handshake: no Certificate, early data accepted in EncryptedExtensions.
    let names2 = names(&ev, 2);
    let from_sh: Vec<&str> = names2.iter().skip_while(|n| *n != "ServerHello").map(String::as_str).collect();
    assert_eq!(from_sh[..4], ["ServerHello", "EncryptedExtensions", "Finished", "Finished"], "{names2:?}");
    let ee = first_message(&ev, 2, "EncryptedExtensions");
    assert_eq!(ee["decrypted"], true);
    assert!(ee["encrypted_extensions"]["extensions"].as_array().unwrap().iter().any(|e| e["name"] == "early_data"));
    assert!(ee["role"].as_str().unwrap().contains("ACCEPTS the client's 0-RTT early data"), "{}", ee["role"]);
    let hs = of_kind(&ev, "handshake");
    assert_eq!((hs[0]["kind"].as_str(), hs[0]["early_data"].as_str()), (Some("full"), Some("none")));
    assert!(hs[0]["quic"].get("zero_rtt").is_none(), "no 0-RTT in the first connection: {}", hs[0]["quic"]);
    let h = hs[1];
    assert_eq!(h["kind"], "resumed_psk");
    assert_eq!(h["early_data"], "accepted");
    assert_eq!(h["finished_verified"], true);
    assert_eq!(h["decryption"]["status"], "decrypted");
    assert!(h["decryption"]["reason"].is_null(), "{}", h["decryption"]);
    assert!(h["warnings"].as_array().unwrap().is_empty(), "{}", h["warnings"]);
    // One 0-RTT packet: a STREAM frame with the 20-byte request "GET /tlstrace-0rtt\r\n".
    assert_eq!(
        h["quic"]["zero_rtt"],
        serde_json::json!({"packets": 1, "packets_opened": 1, "stream_frames": 1, "stream_bytes": 20})
    );
    for f in of_kind(&ev, "message").into_iter().filter(|m| m["name"] == "Finished") {
        assert_eq!(f["finished"]["verified"], true);
    }
    let q = &summary(&ev)["quic"];
    assert_eq!((q["connections"].as_u64(), q["zero_rtt_packets_opened"].as_u64()), (Some(2), Some(1)));
    // Padding appended to the datagrams after the packets is not a packet left sealed.
    assert_eq!(q["packets_not_opened"], 0, "{q}");
    assert_eq!(summary(&ev)["decryption"]["finished_verified"], 4);
    let keylog = fixture("quic-v1-zero-rtt.keylog");
    let file = fixture("quic-v1-zero-rtt.pcap");
    let out = run(&["read", "--color", "never", "--keylog", keylog.to_str().unwrap(), file.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("resumed psk +0-RTT accepted (1 0-RTT packet, 1 opened: 1 STREAM frame, 20 bytes)"),
        "{text}"
    );
    let out = run(&["read", "--color", "never", file.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("resumed psk +0-RTT offered (1 0-RTT packet, 0 opened)"), "{text}");
    // Without the key log: the same offer and acceptance from the hellos, the packet sealed.
    let ev = events(&fixture("quic-v1-zero-rtt.pcap"), &[]);
    let h = of_kind(&ev, "handshake")[1];
    assert_eq!((h["kind"].as_str(), h["early_data"].as_str()), (Some("resumed_psk"), Some("offered")));
    assert_eq!(h["quic"]["zero_rtt"]["packets"], 1);
    assert_eq!(h["quic"]["zero_rtt"]["packets_opened"], 0);
}

/// The JA4 of a ClientHello event, recomputed from its decoded fields (FoxIO's JA4 spec: `q`,
/// version, SNI, counts, ALPN ends; sorted suites; sorted extensions without SNI and ALPN, and
/// the signature algorithms in order, each part's SHA-256 cut to 12 hex digits).
fn ja4_of(ch: &Value) -> String {
    use sha2::Digest;
    let hash = |s: &str| format!("{:x}", sha2::Sha256::digest(s.as_bytes()))[..12].to_string();
    let hello = &ch["client_hello"];
    let mut suites: Vec<String> =
        hello["cipher_suites"].as_array().unwrap().iter().map(|s| format!("{:04x}", s.as_u64().unwrap())).collect();
    suites.sort();
    let exts = hello["extensions"].as_array().unwrap();
    let mut types: Vec<String> = exts
        .iter()
        .map(|e| e["type"].as_u64().unwrap())
        .filter(|t| *t != 0 && *t != 16)
        .map(|t| format!("{t:04x}"))
        .collect();
    types.sort();
    let sigs: Vec<String> = exts.iter().find(|e| e["name"] == "signature_algorithms").unwrap()["signature_algorithms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{:04x}", s.as_u64().unwrap()))
        .collect();
    let alpn = exts.iter().find(|e| e["name"] == "application_layer_protocol_negotiation").unwrap()["alpn"][0]
        .as_str()
        .unwrap()
        .to_string();
    let (first, last) = (alpn.chars().next().unwrap(), alpn.chars().last().unwrap());
    format!(
        "q13d{:02}{:02}{first}{last}_{}_{}",
        suites.len(),
        exts.len(),
        hash(&suites.join(",")),
        hash(&format!("{}_{}", types.join(","), sigs.join(",")))
    )
}

/// quinn's client offers a key share for x25519 only to a server that takes secp256r1 only:
/// a HelloRetryRequest, a second ClientHello with a secp256r1 share, one connection, and both
/// Finished verified over the transcript that starts with the first ClientHello's hash.
#[test]
fn a_hello_retry_request_over_quic_decrypts() {
    let ev = with_key_log("quic-v1-hrr.pcap");
    let c = connection(&ev);
    assert_eq!((c["transport"].as_str(), c["quic"]["version"].as_u64()), (Some("quic"), Some(1)));
    let (port, random) = index_row("quic-v1-hrr.pcap");
    assert_eq!(c["server"]["port"], port);
    let names = names(&ev, 1);
    assert_eq!(
        names[..9],
        [
            "ClientHello",
            "HelloRetryRequest",
            "ClientHello",
            "ServerHello",
            "EncryptedExtensions",
            "Certificate",
            "CertificateVerify",
            "Finished",
            "Finished"
        ],
        "{names:?}"
    );
    let messages = of_kind(&ev, "message");
    let hellos: Vec<&Value> = messages.iter().copied().filter(|m| m["name"] == "ClientHello").collect();
    let shares = |m: &Value| -> Vec<String> {
        let exts = m["client_hello"]["extensions"].as_array().unwrap();
        let ks = exts.iter().find(|e| e["name"] == "key_share").unwrap();
        ks["key_shares"].as_array().unwrap().iter().map(|k| k["group_name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(shares(hellos[0]), ["x25519"]);
    assert_eq!(shares(hellos[1]), ["secp256r1"]);
    // The second ClientHello keeps the first one's random (RFC 8446 4.1.2).
    for ch in &hellos {
        assert_eq!(ch["client_hello"]["random"], random);
        assert_eq!(ch["decrypted"], false, "Initial packets: no key log needed");
    }
    let hrr = messages.iter().find(|m| m["name"] == "HelloRetryRequest").unwrap();
    assert_eq!(hrr["handshake_type"], 2);
    assert_eq!(hrr["direction"], "server_to_client");
    assert_eq!(hrr["phase"], 1);
    assert_eq!(hrr["server_hello"]["hello_retry_request"], true);
    assert_eq!(hrr["server_hello"]["selected_group_name"], "secp256r1");
    assert!(
        hrr["role"].as_str().unwrap().starts_with(
            "Server asks the client to retry its hello (HelloRetryRequest) with a key share for secp256r1"
        ),
        "{}",
        hrr["role"]
    );
    assert!(hellos[1]["role"].as_str().unwrap().contains("key_share for secp256r1"), "{}", hellos[1]["role"]);
    // JA4 with the q prefix, as recomputed from the first ClientHello's fields; the three TLS
    // 1.3 suites hash as in the JA4 project's QUIC snapshots.
    let ja4 = hellos[0]["fingerprints"]["ja4"].as_str().unwrap();
    assert_eq!(ja4, ja4_of(hellos[0]));
    assert!(ja4.starts_with("q13d0311te_55b375c5d22e_"), "{ja4}");
    let h = of_kind(&ev, "handshake")[0];
    assert_eq!(h["hello_retry_request"], true);
    assert_eq!((h["kind"].as_str(), h["group"].as_str()), (Some("full"), Some("secp256r1")));
    assert_eq!(h["finished_verified"], true);
    assert_eq!(h["decryption"]["status"], "decrypted");
    for f in messages.iter().filter(|m| m["name"] == "Finished") {
        assert_eq!(f["finished"]["verified"], true);
        assert_eq!(f["decrypted"], true);
    }
    // rustls' server sends two tickets in 1-RTT packets.
    assert_eq!(names.iter().filter(|n| *n == "NewSessionTicket").count(), 2, "{names:?}");
    let out = run(&["read", "--color", "never", fixture("quic-v1-hrr.pcap").to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("full +HRR"), "{text}");
    assert!(text.contains("HelloRetryRequest      retry with secp256r1"), "{text}");
}

#[test]
fn without_a_key_log_the_summary_counts_quic_and_says_why() {
    let ev = events(&fixture("quic-v1.pcap"), &[]);
    let q = &summary(&ev)["quic"];
    assert_eq!(q["connections"], 1);
    assert_eq!(q["handshake_packets_opened"], 0);
    assert!(q["packets_not_opened"].as_u64().unwrap() > 0);
    let out = run(&["read", "--color", "never", fixture("quic-v1.pcap").to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap();
    assert!(text.contains("0 TCP and 1 QUIC connections"), "{text}");
    // A TCP capture's summary has no quic object.
    let tcp = events(&fixture("gnutls-tls13.pcap"), &[]);
    assert!(summary(&tcp).get("quic").is_none());
}

/// Chrome to Cloudflare over QUIC with the secrets embedded in the pcapng: the 1-RTT packets
/// carry two NewSessionTickets (CRYPTO) and HANDSHAKE_DONE.
#[test]
fn corpus_quic_with_secrets_finds_new_session_tickets() {
    let Some(corpus) = corpus() else {
        skip("corpus_quic_with_secrets_finds_new_session_tickets", "../shared/corpus is absent");
        return;
    };
    let ev = events(&corpus.join("ja4/chrome-cloudflare-quic-with-secrets.pcapng"), &[]);
    let quic = of_kind(&ev, "connection").into_iter().find(|c| c["transport"] == "quic").unwrap();
    let conn = quic["conn"].as_u64().unwrap();
    let names = names(&ev, conn);
    assert_eq!(names.iter().filter(|n| *n == "NewSessionTicket").count(), 2, "{names:?}");
    let h = of_kind(&ev, "handshake").into_iter().find(|h| h["conn"] == conn).unwrap();
    assert_eq!(h["finished_verified"], true);
    assert_eq!(h["decryption"]["status"], "decrypted");
}

#[test]
fn the_ladder_names_the_quic_version() {
    let out = run(&["read", "--color", "never", fixture("quic-v2.pcap").to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.contains("QUIC v2") && header.contains("server.tlstrace.test"), "{header}");
    assert!(text.contains("ClientHello") && text.contains("ServerHello"), "{text}");
}

#[test]
fn filters_select_quic_connections() {
    let file = fixture("quic-v1.pcap");
    let (port, _) = index_row("quic-v1.pcap");
    let port = port.to_string();
    for (args, want) in [
        (vec!["--sni", "server.tlstrace.test"], 1),
        (vec!["--sni", "example.com"], 0),
        (vec!["--port", port.as_str()], 1),
        (vec!["--port", "1"], 0),
        (vec!["--host", "127.0.0.1"], 1),
        (vec!["--host", "10.9.9.9"], 0),
    ] {
        let ev = events(&file, &args);
        assert_eq!(of_kind(&ev, "connection").len(), want, "{args:?}");
    }
}

/// The QUIC captures of the corpus (every MANIFEST.tsv row tshark reads as QUIC, the PPP ones
/// included): the same ClientHellos (random, SNI, suites) and ServerHellos (random, suite) as
/// tshark, and JA4 as the JA4 project's snapshots.
#[test]
fn corpus_quic_captures_agree_with_tshark_and_ja4() {
    let Some(corpus) = corpus() else {
        skip("corpus_quic_captures_agree_with_tshark_and_ja4", "../shared/corpus is absent");
        return;
    };
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).unwrap();
    let header: Vec<&str> = manifest.lines().next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (c_path, c_variant, c_link) = (col("path"), col("oracle_variant"), col("link_type"));
    let rows: Vec<Vec<&str>> = manifest
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect::<Vec<&str>>())
        .filter(|c| c[c_variant] == "quic")
        .collect();
    assert!(rows.len() >= 6, "{} QUIC captures in the corpus", rows.len());
    assert_eq!(rows.iter().filter(|c| c[c_link] == "ppp").count(), 3, "the PPP-linked QUIC captures are compared");
    let ja4_of =
        |file: &str| (file == "ja4/quic-tls-handshake.pcapng").then_some("q13d0310h3_55b375c5d22e_cd85d2d88918");
    for row in &rows {
        let file = row[c_path];
        let ev = events(&corpus.join(file), &[]);
        let tsv = std::fs::read_to_string(corpus.join(format!("{file}.tshark.tsv"))).unwrap();
        // Columns: frame, udp.stream, content type, handshake type, version, suites, SNI, random.
        let rows_of = |t: &str| -> Vec<Vec<String>> {
            tsv.lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| l.split('\t').map(String::from).collect::<Vec<String>>())
                .filter(|c| c[3] == t)
                .collect()
        };
        let hellos = rows_of("1");
        assert!(!hellos.is_empty(), "{file}: tshark lists ClientHellos");
        let ours: Vec<&Value> = of_kind(&ev, "message").into_iter().filter(|m| m["name"] == "ClientHello").collect();
        assert_eq!(ours.len(), hellos.len(), "{file}: ClientHellos");
        for (m, t) in ours.iter().zip(&hellos) {
            let ch = &m["client_hello"];
            assert_eq!(ch["random"], t[7], "{file}: random");
            assert_eq!(ch["sni"], t[6], "{file}: SNI");
            let suites: Vec<String> = ch["cipher_suites"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| format!("0x{:04x}", s.as_u64().unwrap()))
                .collect();
            assert_eq!(suites.join(","), t[5], "{file}: suites");
            assert!(m["fingerprints"]["ja4"].as_str().unwrap().starts_with('q'), "{file}");
            if let Some(ja4) = ja4_of(file) {
                assert_eq!(m["fingerprints"]["ja4"], ja4, "{file}: JA4 as the JA4 project's snapshot");
            }
        }
        let server_hellos = rows_of("2");
        let ours: Vec<&Value> = of_kind(&ev, "message").into_iter().filter(|m| m["name"] == "ServerHello").collect();
        assert_eq!(ours.len(), server_hellos.len(), "{file}: ServerHellos");
        for (m, t) in ours.iter().zip(&server_hellos) {
            assert_eq!(m["server_hello"]["random"], t[7], "{file}: ServerHello random");
            assert_eq!(format!("0x{:04x}", m["server_hello"]["cipher_suite"].as_u64().unwrap()), t[5], "{file}: suite");
        }
        for c in of_kind(&ev, "connection") {
            assert_eq!(c["transport"], "quic", "{file}");
        }
    }
    // A capture with TCP and QUIC: each ClientHello gets its transport's JA4 prefix.
    let ev = events(&corpus.join("ja4/chrome-cloudflare-quic-with-secrets.pcapng"), &[]);
    let ja4: Vec<&str> = of_kind(&ev, "message")
        .into_iter()
        .filter(|m| m["name"] == "ClientHello")
        .map(|m| m["fingerprints"]["ja4"].as_str().unwrap())
        .collect();
    assert!(ja4.contains(&"q13d0310h3_55b375c5d22e_cd85d2d88918"), "{ja4:?}");
    assert!(ja4.iter().any(|j| j.starts_with('t')), "{ja4:?}");
}

/// Every QUIC ClientHello of the JA4 project's captures has the JA4 its Rust snapshot lists
/// (compared as multisets: the snapshots order them by stream).
#[test]
fn corpus_quic_ja4_equals_the_ja4_projects_snapshots() {
    let Some(corpus) = corpus() else {
        skip("corpus_quic_ja4_equals_the_ja4_projects_snapshots", "../shared/corpus is absent");
        return;
    };
    for name in ["tls-handshake", "tls-sni", "tls3", "quic-tls-handshake", "chrome-cloudflare-quic-with-secrets"] {
        let snap = corpus.join(format!("ja4/_expected/rust/ja4/src/snapshots/ja4__insta@{name}.pcapng.snap"));
        let snap = std::fs::read_to_string(snap).unwrap();
        let mut expected: Vec<String> = snap
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.len() == 36 && w.starts_with('q') && w.as_bytes()[10] == b'_')
            .map(String::from)
            .collect();
        let ev = events(&corpus.join(format!("ja4/{name}.pcapng")), &[]);
        let mut ours: Vec<String> = of_kind(&ev, "message")
            .into_iter()
            .filter(|m| m["name"] == "ClientHello")
            .filter_map(|m| m["fingerprints"]["ja4"].as_str())
            .filter(|j| j.starts_with('q'))
            .map(String::from)
            .collect();
        expected.sort();
        ours.sort();
        assert!(!ours.is_empty(), "{name}");
        assert_eq!(ours, expected, "{name}");
    }
}

/// The transport parameters of one message, by name.
fn transport_parameters(message: &Value, body: &str) -> std::collections::BTreeMap<String, Value> {
    let exts = message[body]["extensions"].as_array().unwrap();
    let tp = exts.iter().find(|e| e["name"] == "quic_transport_parameters").expect("transport parameters");
    tp["quic_transport_parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_string(), p.clone()))
        .collect()
}

/// aioquic's values (its QuicConfiguration defaults), the connection ids as the packets carried
/// them, and the Retry's address validation in the server's parameters and in the roles.
#[test]
fn transport_parameters_are_decoded_and_tie_the_connection_ids_to_the_packets() {
    let ev = with_key_log("quic-v1-retry.pcap");
    let c = connection(&ev);
    let odcid = c["quic"]["original_destination_connection_id"].as_str().unwrap();
    let client_cid = c["quic"]["client_connection_id"].as_str().unwrap();
    let hellos: Vec<&Value> = of_kind(&ev, "message").into_iter().filter(|m| m["name"] == "ClientHello").collect();
    assert_eq!(hellos.len(), 2, "the ClientHello before the Retry and the one after");
    let client = transport_parameters(hellos[1], "client_hello");
    assert_eq!(client["max_idle_timeout"]["value"], 60_000, "ms");
    assert_eq!(client["initial_max_data"]["value"], 1_048_576);
    assert_eq!(client["initial_max_streams_bidi"]["value"], 128);
    assert_eq!(client["ack_delay_exponent"]["value"], 3);
    assert_eq!(client["max_ack_delay"]["value"], 25);
    assert_eq!(client["initial_source_connection_id"]["hex"], client_cid);
    assert_eq!(client["version_information"]["chosen_version"], 1);
    assert_eq!(client["version_information"]["available_versions"], serde_json::json!([1]));
    assert!(client.values().all(|p| p.get("malformed").is_none()), "{client:?}");

    let ee = first_message(&ev, 1, "EncryptedExtensions");
    let server = transport_parameters(ee, "encrypted_extensions");
    assert_eq!(server["original_destination_connection_id"]["hex"], odcid, "the client's first DCID, echoed");
    assert_eq!(server["stateless_reset_token"]["hex"].as_str().unwrap().len(), 32);
    // The Retry came from the connection id the server now authenticates.
    let retry = of_kind(&ev, "handshake")[0]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|w| w.as_str().filter(|w| w.starts_with("QUIC Retry")))
        .expect("the Retry warning")
        .to_string();
    let rscid = server["retry_source_connection_id"]["hex"].as_str().unwrap();
    assert!(retry.contains(&format!("connection id {rscid}")), "{retry}");
    assert!(retry.contains("61-byte token"), "{retry}");
    let role = ee["role"].as_str().unwrap();
    assert!(role.contains(&format!("original_destination_connection_id {odcid}")), "{role}");
    assert!(role.contains("the client proved its address"), "{role}");
    let role = hellos[1]["role"].as_str().unwrap();
    assert!(role.contains("an idle timeout of 60 s, 1048576 bytes of connection flow control"), "{role}");
    // The connection id the server chose, seen on its first packet, is the one its parameters
    // authenticate; the ladder names the three.
    let server_cid = server["initial_source_connection_id"]["hex"].as_str().unwrap();
    assert_eq!(of_kind(&ev, "handshake")[0]["quic"]["server_connection_id"], server_cid);
    let keylog = fixture("quic-v1-retry.keylog");
    let out =
        common::run(&["read", "--keylog", keylog.to_str().unwrap(), fixture("quic-v1-retry.pcap").to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    let want = format!(
        "  connection ids: client {client_cid}, server {server_cid} (the client's first Initial went to {odcid})"
    );
    assert!(text.lines().any(|l| l == want), "{text}");
}
