//! DTLS 1.0 and 1.2 (issue 21): the OpenSSL fixtures decoded and decrypted, retransmitted
//! flights and fragments, and the DTLS captures of `../shared/corpus` against tshark.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

/// The messages of a full OpenSSL DTLS 1.2 handshake with a cookie exchange and a session ticket,
/// as the ladder shows them without keys.
const SEALED: [&str; 13] = [
    "ClientHello",
    "HelloVerifyRequest",
    "ClientHello",
    "ServerHello",
    "Certificate",
    "ServerKeyExchange",
    "ServerHelloDone",
    "ClientKeyExchange",
    "ChangeCipherSpec",
    "EncryptedHandshake",
    "NewSessionTicket",
    "ChangeCipherSpec",
    "EncryptedHandshake",
];

/// The INDEX.tsv row of a fixture: (server port, client random).
fn index_row(file: &str) -> (u64, String) {
    let index = std::fs::read_to_string(repo().join("fixtures/INDEX.tsv")).unwrap();
    let row = index.lines().find(|l| l.starts_with(&format!("captures/{file}\t"))).unwrap();
    let cols: Vec<&str> = row.split('\t').collect();
    (cols[6].parse().unwrap(), cols[12].to_string())
}

fn keyed(file: &str) -> Vec<Value> {
    let keylog = fixture(&file.replace(".pcap", ".keylog"));
    events(&fixture(file), &["--keylog", keylog.to_str().unwrap()])
}

/// The handshake messages with keys: both Finished in place of the encrypted records.
fn decrypted_names() -> Vec<&'static str> {
    SEALED.iter().map(|n| if *n == "EncryptedHandshake" { "Finished" } else { n }).collect()
}

#[test]
fn dtls12_handshake_with_a_cookie_exchange() {
    let ev = events(&fixture("dtls12-ecdhe-rsa.pcap"), &[]);
    let (port, random) = index_row("dtls12-ecdhe-rsa.pcap");
    let conns = of_kind(&ev, "connection");
    assert_eq!(conns.len(), 1);
    assert_eq!(conns[0]["transport"], "dtls");
    assert_eq!(conns[0]["server"]["port"], port);
    assert_eq!(conns[0]["roles_from"], "hello");
    assert_eq!(names(&ev, 1)[..SEALED.len()], SEALED);
    let hellos: Vec<&Value> = of_kind(&ev, "message").into_iter().filter(|m| m["name"] == "ClientHello").collect();
    let hvr = first_message(&ev, 1, "HelloVerifyRequest");
    let cookie = hvr["hello_verify_request"]["cookie"].as_str().unwrap();
    assert_eq!(hvr["hello_verify_request"]["cookie_length"], cookie.len() / 2);
    assert!(!cookie.is_empty());
    assert!(hvr["role"].as_str().unwrap().contains("20-byte cookie"), "{}", hvr["role"]);
    // The first ClientHello has no cookie; the second echoes the server's, with the same random.
    assert_eq!(hellos[0]["client_hello"]["cookie"], "");
    assert_eq!(hellos[1]["client_hello"]["cookie"], cookie);
    assert!(
        hellos[1]["role"].as_str().unwrap().contains("echoes the server's 20-byte cookie"),
        "{}",
        hellos[1]["role"]
    );
    assert!(!hellos[0]["role"].as_str().unwrap().contains("cookie"));
    for ch in &hellos {
        assert_eq!(ch["record_version"], 0xfeff, "OpenSSL's first flight uses the DTLS 1.0 record version");
        assert_eq!(ch["client_hello"]["version"], 0xfefd);
        assert_eq!(ch["client_hello"]["random"], random);
        assert_eq!(ch["client_hello"]["sni"], "server.tlstrace.test");
        // JA4 with the DTLS transport and version; JA3 as tshark 4.0 computes it (dtls.handshake.ja3).
        assert!(ch["fingerprints"]["ja4"].as_str().unwrap().starts_with("dd2d"), "{}", ch["fingerprints"]["ja4"]);
        assert_eq!(ch["fingerprints"]["ja3_hash"], "248a2544f4221c0f02f877e42fe67853");
    }
    let sh = first_message(&ev, 1, "ServerHello");
    assert_eq!(sh["server_hello"]["version"], 0xfefd);
    assert_eq!(sh["server_hello"]["cipher_suite"], 0xc030);
    let h = of_kind(&ev, "handshake")[0];
    assert_eq!(h["version_name"], "DTLS 1.2");
    assert_eq!(h["cipher_suite_name"], "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
    assert_eq!(h["sni"], "server.tlstrace.test");
    assert_eq!(h["complete"], true);
    assert_eq!(h["dtls"]["hello_verify_request"], true);
    assert_eq!(h["dtls"]["retransmitted_messages"], 0);
    assert_eq!(h["dtls"]["fragmented_messages"], 0);
}

#[test]
fn every_dtls_fixture_verifies_both_finished_with_its_key_log() {
    for (file, version, suite) in [
        ("dtls12-ecdhe-rsa.pcap", "DTLS 1.2", 0xc030),
        ("dtls12-cbc.pcap", "DTLS 1.2", 0xc027),
        ("dtls10-ecdhe-rsa-cbc.pcap", "DTLS 1.0", 0xc013),
        ("dtls12-small-mtu.pcap", "DTLS 1.2", 0xc030),
        ("dtls12-loss.pcap", "DTLS 1.2", 0xc030),
    ] {
        let ev = keyed(file);
        assert_eq!(names(&ev, 1)[..SEALED.len()], decrypted_names(), "{file}");
        let h = of_kind(&ev, "handshake")[0];
        assert_eq!(h["version_name"], version, "{file}");
        assert_eq!(h["cipher_suite"], suite, "{file}");
        assert_eq!(h["finished_verified"], true, "{file}");
        assert_eq!(h["decryption"]["status"], "decrypted", "{file}");
        let finished: Vec<&Value> = of_kind(&ev, "message").into_iter().filter(|m| m["name"] == "Finished").collect();
        assert_eq!(finished.len(), 2, "{file}");
        for f in finished {
            assert_eq!(f["decrypted"], true, "{file}");
            assert_eq!(f["finished"]["verified"], true, "{file}");
        }
        // The client's "hello" after the handshake, opened with epoch 1's keys.
        let data = of_kind(&ev, "message")
            .into_iter()
            .find(|m| m["name"] == "ApplicationData")
            .unwrap_or_else(|| panic!("{file}: no application data"));
        assert_eq!(data["decrypted"], true, "{file}");
        assert_eq!(data["length"], 6, "{file}");
    }
}

#[test]
fn fragments_are_reassembled_into_one_message() {
    let ev = keyed("dtls12-small-mtu.pcap");
    let h = of_kind(&ev, "handshake")[0];
    let fragmented = h["dtls"]["fragmented_messages"].as_u64().unwrap();
    let fragments = h["dtls"]["fragments"].as_u64().unwrap();
    assert!(fragmented >= 1 && fragments > fragmented, "{}", h["dtls"]);
    let cert = first_message(&ev, 1, "Certificate");
    assert!(cert["length"].as_u64().unwrap() > 300, "a Certificate longer than the MTU");
    assert_eq!(cert["certificates"].as_array().unwrap().len(), 2);
    assert_eq!(names(&ev, 1).iter().filter(|n| *n == "Certificate").count(), 1);
}

#[test]
fn retransmitted_flights_are_counted_not_shown_again() {
    for ev in [events(&fixture("dtls12-loss.pcap"), &[]), keyed("dtls12-loss.pcap")] {
        let h = of_kind(&ev, "handshake")[0];
        assert!(h["dtls"]["retransmitted_messages"].as_u64().unwrap() >= 1, "{}", h["dtls"]);
        assert!(h["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("retransmitted")));
        assert_eq!(h["complete"], true);
        // Each message once, in message_seq order, though the lost ones arrived after later ones.
        let names = names(&ev, 1);
        assert_eq!(names.iter().filter(|n| *n == "ServerHello").count(), 1, "{names:?}");
        assert_eq!(names.iter().filter(|n| *n == "ChangeCipherSpec").count(), 2, "{names:?}");
        let server_flight: Vec<&String> = names.iter().skip_while(|n| *n != "ServerHello").take(4).collect();
        assert_eq!(server_flight, ["ServerHello", "Certificate", "ServerKeyExchange", "ServerHelloDone"]);
    }
}

/// The `dtls` captures of the corpus (DTLS 1.0, 1.2, and the cleartext hellos of 1.3): the same
/// handshake message types, client and server randoms, suites and SNI as their .tshark.tsv.
#[test]
fn corpus_dtls_captures_agree_with_tshark() {
    let Some(corpus) = corpus() else {
        skip("corpus_dtls_captures_agree_with_tshark", "../shared/corpus is absent");
        return;
    };
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).unwrap();
    let files: Vec<&str> = manifest
        .lines()
        .filter(|l| l.split('\t').any(|c| c == "dtls"))
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert!(files.len() >= 8, "{files:?}");
    for file in files {
        let ev = events(&corpus.join(file), &[]);
        let tsv = std::fs::read_to_string(corpus.join(format!("{file}.tshark.tsv"))).unwrap();
        // Columns: frame, udp.stream, content types, handshake types, version, suites, SNI, random.
        let (mut types, mut ch_randoms, mut sh_randoms, mut suites, mut snis) =
            (BTreeSet::new(), BTreeSet::new(), BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        for cols in tsv.lines().filter(|l| !l.starts_with('#')).map(|l| l.split('\t').collect::<Vec<&str>>()) {
            let t: Vec<u64> = cols[3].split(',').filter(|t| !t.is_empty()).map(|t| t.parse().unwrap()).collect();
            types.extend(t.iter().copied());
            let random = cols.get(7).copied().unwrap_or_default();
            if t.contains(&1) && !random.is_empty() {
                ch_randoms.insert(random.to_string());
                if !cols[6].is_empty() {
                    snis.insert(cols[6].to_string());
                }
            }
            if t.contains(&2) && !random.is_empty() {
                sh_randoms.insert(random.to_string());
                suites.insert(u64::from_str_radix(cols[5].trim_start_matches("0x"), 16).unwrap());
            }
        }
        let messages = of_kind(&ev, "message");
        let ours_types: BTreeSet<u64> =
            messages.iter().filter(|m| m["encrypted"] != true).filter_map(|m| m["handshake_type"].as_u64()).collect();
        assert_eq!(ours_types, types, "{file}: handshake types");
        let of = |name: &str, field: &str, key: &str| -> BTreeSet<String> {
            messages
                .iter()
                .filter(|m| m["name"] == name)
                .filter_map(|m| m[field][key].as_str())
                .map(String::from)
                .collect()
        };
        assert_eq!(of("ClientHello", "client_hello", "random"), ch_randoms, "{file}: client randoms");
        let mut ours_sh = of("ServerHello", "server_hello", "random");
        ours_sh.extend(of("HelloRetryRequest", "server_hello", "random"));
        assert_eq!(ours_sh, sh_randoms, "{file}: server randoms");
        assert_eq!(of("ClientHello", "client_hello", "sni"), snis, "{file}: SNI");
        let ours_suites: BTreeSet<u64> = messages
            .iter()
            .filter(|m| m["name"] == "ServerHello" || m["name"] == "HelloRetryRequest")
            .filter_map(|m| m["server_hello"]["cipher_suite"].as_u64())
            .collect();
        assert_eq!(ours_suites, suites, "{file}: suites");
        for c in of_kind(&ev, "connection") {
            assert_eq!(c["transport"], "dtls", "{file}");
        }
        for m in messages.iter().filter(|m| m["name"] == "ClientHello") {
            assert!(m["fingerprints"]["ja4"].as_str().unwrap().starts_with('d'), "{file}");
        }
    }
}

/// JA3 of the corpus' DTLS ClientHellos as tshark 4.0.17 computes it (`dtls.handshake.ja3`).
#[test]
fn corpus_dtls_ja3_equals_tsharks() {
    let Some(corpus) = corpus() else {
        skip("corpus_dtls_ja3_equals_tsharks", "../shared/corpus is absent");
        return;
    };
    for (file, ja3) in [
        ("zeek/tls/dtls1_2.pcap", "3c3d129780d0066cd8936a6291a8d44f"),
        ("zeek/tls/dtls1_0.pcap", "0dab7dadc76b31d578cb41b8c2838cd9"),
        ("ja4/dtls-udp.notest.cap", "1f12ed4be0b680eb539364fa1b55b8d4"),
        ("arkime/wireshark-dtls12.pcap", "b873950d512f587035f617fb93b988ac"),
        ("zeek/tls/webrtc-stun.pcap", "69b4c10438dd27f06b1a694c67e63ba1"),
    ] {
        let ev = events(&corpus.join(file), &[]);
        for m in of_kind(&ev, "message").into_iter().filter(|m| m["name"] == "ClientHello") {
            assert_eq!(m["fingerprints"]["ja3_hash"], ja3, "{file}");
        }
    }
}

#[test]
fn filters_and_the_worker_thread_see_dtls_connections() {
    let file = fixture("dtls12-ecdhe-rsa.pcap");
    let (port, _) = index_row("dtls12-ecdhe-rsa.pcap");
    let port = port.to_string();
    for (args, want) in [
        (vec!["--sni", "server.tlstrace.test"], 1),
        (vec!["--sni", "other.example"], 0),
        (vec!["--port", port.as_str()], 1),
        (vec!["--failed"], 0),
    ] {
        assert_eq!(of_kind(&events(&file, &args), "connection").len(), want, "{args:?}");
    }
    let loss = fixture("dtls12-loss.pcap");
    let one = events(&loss, &[]);
    let two = events(&loss, &["--threads", "2"]);
    assert_eq!(names(&one, 1), names(&two, 1));
    assert_eq!(of_kind(&one, "handshake")[0]["dtls"], of_kind(&two, "handshake")[0]["dtls"]);
}

/// Hostile input: a forged fragment claiming the server's Certificate (same message_seq) is one
/// byte longer arrives first, so the real fragment conflicts with it and is refused. The loss
/// is said (a warning, `refused_fragments`, `messages_lost`), never silent.
#[test]
fn a_conflicting_fragment_is_refused_and_said() {
    let pcap = std::fs::read(fixture("dtls12-ecdhe-rsa.pcap")).unwrap();
    // Classic little-endian pcap: 24-byte header, then (16-byte header, frame) per packet.
    let mut packets: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut at = 24;
    while at < pcap.len() {
        let incl = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().unwrap()) as usize;
        packets.push((pcap[at..at + 16].to_vec(), pcap[at + 16..at + 16 + incl].to_vec()));
        at += 16 + incl;
    }
    // The server's flight: Ethernet, IPv4 without options, UDP, then DTLS records.
    const PAYLOAD: usize = 14 + 20 + 8;
    let flight = packets.iter().position(|(_, f)| f.len() > 2000).expect("the server's flight");
    let frame = &packets[flight].1;
    let mut rec = PAYLOAD;
    let certificate = loop {
        let len = usize::from(u16::from_be_bytes([frame[rec + 11], frame[rec + 12]]));
        if frame[rec] == 22 && frame[rec + 13] == 11 {
            break frame[rec..rec + 13 + len].to_vec();
        }
        rec += 13 + len;
    };
    let mut forged = certificate.clone();
    let length = u32::from_be_bytes([0, forged[14], forged[15], forged[16]]) + 1;
    forged[14..17].copy_from_slice(&length.to_be_bytes()[1..]);
    let mut frame2 = frame[..PAYLOAD].to_vec();
    frame2.extend_from_slice(&forged);
    let ip_len = (frame2.len() - 14) as u16;
    frame2[16..18].copy_from_slice(&ip_len.to_be_bytes());
    frame2[24..26].copy_from_slice(&[0, 0]);
    let sum = (0..20).step_by(2).map(|i| u32::from(u16::from_be_bytes([frame2[14 + i], frame2[15 + i]]))).sum::<u32>();
    let sum = (sum & 0xffff) + (sum >> 16);
    frame2[24..26].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    let udp_len = (frame2.len() - 34) as u16;
    frame2[38..40].copy_from_slice(&udp_len.to_be_bytes());
    frame2[40..42].copy_from_slice(&[0, 0]);
    let mut header = packets[flight].0.clone();
    header[8..12].copy_from_slice(&(frame2.len() as u32).to_le_bytes());
    header[12..16].copy_from_slice(&(frame2.len() as u32).to_le_bytes());
    packets.insert(flight, (header, frame2));
    let mut out = pcap[..24].to_vec();
    for (h, f) in &packets {
        out.extend_from_slice(h);
        out.extend_from_slice(f);
    }
    let dir = std::env::temp_dir().join(format!("tlstrace-dtls-forged-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("forged.pcap");
    std::fs::write(&path, out).unwrap();

    // With the key log the server's Finished is reassembled too, so it waits behind the lost
    // Certificate: the handshake event comes at the end, when the loss is known.
    let keylog = fixture("dtls12-ecdhe-rsa.keylog");
    let ev = events(&path, &["--keylog", keylog.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    let h = of_kind(&ev, "handshake")[0];
    assert_eq!(h["dtls"]["refused_fragments"], 1, "{}", h["dtls"]);
    assert!(h["dtls"]["messages_lost"].as_u64().unwrap() >= 1, "{}", h["dtls"]);
    let warning = h["warnings"].as_array().unwrap().iter().filter_map(Value::as_str).find(|w| w.contains("refused"));
    assert!(
        warning
            .is_some_and(|w| w.starts_with("DTLS: 1 handshake fragments refused") && w.ends_with("; 1 messages lost")),
        "{}",
        h["warnings"]
    );
    assert!(!names(&ev, 1).iter().any(|n| n == "Certificate"), "{:?}", names(&ev, 1));
}
