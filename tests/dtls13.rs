//! DTLS 1.3 (RFC 9147, issue 21) on the wolfSSL fixtures: unified-header records opened with the
//! key log, both Finished verified, HelloRetryRequest with a cookie, retransmissions and ACKs,
//! fragments, connection IDs, a KeyUpdate; a DTLS 1.2 capture begun mid-handshake; and OpenSSL's
//! pre-standard DTLS 1.0 (0x0100) as GnuTLS speaks it.

mod common;
mod pcapgen;

use common::*;
use serde_json::Value;

const DTLS13: [&str; 5] =
    ["dtls13-plain.pcap", "dtls13-hrr-cookie.pcap", "dtls13-loss.pcap", "dtls13-small-mtu.pcap", "dtls13-cid.pcap"];

fn keyed(file: &str) -> Vec<Value> {
    let keylog = fixture(&file.replace(".pcap", ".keylog"));
    events(&fixture(file), &["--keylog", keylog.to_str().unwrap()])
}

/// The names of the messages one side sent, in order.
fn sent_by(ev: &[Value], direction: &str) -> Vec<String> {
    of_kind(ev, "message")
        .into_iter()
        .filter(|m| m["direction"] == direction)
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_dtls13_fixture_opens_and_verifies_both_finished() {
    for file in DTLS13 {
        let ev = keyed(file);
        assert_eq!(of_kind(&ev, "connection")[0]["transport"], "dtls", "{file}");
        let h = of_kind(&ev, "handshake")[0];
        assert_eq!(h["version_name"], "DTLS 1.3", "{file}");
        assert_eq!(h["finished_verified"], true, "{file}");
        assert_eq!(h["decryption"]["status"], "decrypted", "{file}");
        assert_eq!(h["complete"], true, "{file}");
        let server = sent_by(&ev, "server_to_client");
        let flight: Vec<&String> = server.iter().skip_while(|n| *n != "ServerHello").take(5).collect();
        assert_eq!(
            flight,
            ["ServerHello", "EncryptedExtensions", "Certificate", "CertificateVerify", "Finished"],
            "{file}: {server:?}"
        );
        assert!(server.contains(&"NewSessionTicket".to_string()), "{file}: {server:?}");
        let client = sent_by(&ev, "client_to_server");
        assert_eq!(client.iter().filter(|n| *n == "Finished").count(), 1, "{file}: {client:?}");
        assert_eq!(client.iter().filter(|n| *n == "ClientHello").count(), if file.contains("plain") { 1 } else { 2 });
        for f in of_kind(&ev, "message").into_iter().filter(|m| m["name"] == "Finished") {
            assert_eq!((f["decrypted"].as_bool(), f["finished"]["verified"].as_bool()), (Some(true), Some(true)));
        }
        let cert = first_message(&ev, 1, "Certificate");
        assert_eq!(cert["certificates"].as_array().unwrap().len(), 2, "{file}");
        // The client's ping and the server's pong, opened with the application keys.
        let data: Vec<&Value> =
            of_kind(&ev, "message").into_iter().filter(|m| m["name"] == "ApplicationData").collect();
        assert!(data.len() >= 2 && data.iter().all(|m| m["decrypted"] == true), "{file}");
        // Both sides acknowledge records (RFC 9147 section 7): epochs 2 and later, and numbered.
        let acks: Vec<&Value> = of_kind(&ev, "message").into_iter().filter(|m| m["name"] == "Ack").collect();
        assert!(acks.len() >= 2, "{file}");
        for a in acks {
            let numbers = a["ack"].as_array().unwrap();
            assert!(!numbers.is_empty(), "{file}");
            assert!(numbers.iter().all(|n| n["epoch"].as_u64().unwrap() >= 2), "{file}: {numbers:?}");
        }
        let dtls = &h["dtls"];
        assert!(dtls["unified_records"].as_u64().unwrap() >= 6, "{file}: {dtls}");
    }
}

#[test]
fn hello_retry_request_carries_the_cookie() {
    let ev = keyed("dtls13-hrr-cookie.pcap");
    let h = of_kind(&ev, "handshake")[0];
    assert_eq!(h["hello_retry_request"], true);
    assert_eq!(h["dtls"]["hello_verify_request"], false);
    let hrr = first_message(&ev, 1, "HelloRetryRequest");
    let role = hrr["role"].as_str().unwrap();
    assert!(role.contains("cookie") && role.contains("DTLS 1.3"), "{role}");
    let names = names(&ev, 1);
    assert_eq!(names[..4], ["ClientHello", "HelloRetryRequest", "ClientHello", "ServerHello"]);
    // No key share asked, only the cookie: the ladder says so rather than "another group".
    let exts = hrr["server_hello"]["extensions"].as_array().unwrap();
    assert!(exts.iter().all(|e| e["name"] != "key_share"), "{exts:?}");
    let cookie = exts.iter().find(|e| e["name"] == "cookie").unwrap()["cookie_length"].as_u64().unwrap();
    let out = common::run(&["read", common::fixture("dtls13-hrr-cookie.pcap").to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("HelloRetryRequest      cookie {cookie} bytes\n")), "{text}");
}

#[test]
fn chacha20_record_numbers_and_a_key_update() {
    let ev = keyed("dtls13-plain.pcap");
    let h = of_kind(&ev, "handshake")[0];
    assert_eq!(h["cipher_suite"], 0x1303);
    assert_eq!(h["hello_retry_request"], false);
    // Every unified-header record opened: epochs 2, 3 and, after the KeyUpdate, 4.
    let dtls = &h["dtls"];
    assert_eq!(dtls["unified_records"], dtls["unified_records_decrypted"], "{dtls}");
    let client = sent_by(&ev, "client_to_server");
    let at = client.iter().position(|n| n == "KeyUpdate").expect("the client's KeyUpdate");
    assert!(client[at..].contains(&"ApplicationData".to_string()), "data after the KeyUpdate: {client:?}");
    let summary = summary(&ev);
    assert_eq!(summary["decryption"]["records_failed"], 0, "{summary}");
}

#[test]
fn lost_datagrams_are_retransmitted_and_acknowledged() {
    let ev = keyed("dtls13-loss.pcap");
    let h = of_kind(&ev, "handshake")[0];
    let dtls = &h["dtls"];
    assert!(dtls["retransmitted_messages"].as_u64().unwrap() >= 1, "{dtls}");
    assert!(h["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("retransmitted")));
    // Each handshake message once.
    let names = names(&ev, 1);
    for once in ["ServerHello", "EncryptedExtensions", "Certificate", "CertificateVerify"] {
        assert_eq!(names.iter().filter(|n| *n == once).count(), 1, "{once}: {names:?}");
    }
    assert!(names.iter().any(|n| n == "Ack"), "{names:?}");
    // The first copies of the server's encrypted flight came before the (lost, resent) ServerHello:
    // opened all the same (TLS 1.3's suites tried), its messages held until the ServerHello.
    assert_eq!(dtls["unified_records"], dtls["unified_records_decrypted"], "{dtls}");
    for name in ["EncryptedExtensions", "Certificate", "CertificateVerify", "Finished"] {
        let m = first_message(&ev, 1, name);
        assert_eq!((m["encrypted"].as_bool(), m["decrypted"].as_bool()), (Some(true), Some(true)), "{name}");
        assert_eq!(m["record_version"], 0xfefc, "{name}");
    }
}

#[test]
fn a_small_mtu_fragments_the_certificate() {
    let ev = keyed("dtls13-small-mtu.pcap");
    let dtls = &of_kind(&ev, "handshake")[0]["dtls"];
    let fragmented = dtls["fragmented_messages"].as_u64().unwrap();
    assert!(fragmented >= 1 && dtls["fragments"].as_u64().unwrap() >= 4, "{dtls}");
}

#[test]
fn connection_ids_are_read_from_the_unified_headers() {
    for ev in [keyed("dtls13-cid.pcap"), events(&fixture("dtls13-cid.pcap"), &[])] {
        let dtls = &of_kind(&ev, "handshake")[0]["dtls"];
        // The server asked for 5152 (the client's records carry it), the client for 0a0b.
        assert_eq!(dtls["client_to_server_connection_id"], "5152", "{dtls}");
        assert_eq!(dtls["server_to_client_connection_id"], "0a0b", "{dtls}");
    }
}

#[test]
fn without_keys_the_unified_records_are_counted_and_shown_encrypted() {
    let ev = events(&fixture("dtls13-hrr-cookie.pcap"), &[]);
    let h = of_kind(&ev, "handshake")[0];
    assert_eq!(h["decryption"]["status"], "no_key_log");
    let why = h["decryption"]["reason"].as_str().unwrap();
    assert!(why.starts_with("DTLS 1.3: the rest of the handshake is encrypted"), "{why}");
    assert_eq!(h["dtls"]["unified_records_decrypted"], 0);
    assert!(h["dtls"]["unified_records"].as_u64().unwrap() >= 6);
    let names = names(&ev, 1);
    assert_eq!(names[..4], ["ClientHello", "HelloRetryRequest", "ClientHello", "ServerHello"]);
    assert!(names[4..].iter().all(|n| n == "EncryptedRecord"), "{names:?}");
    let sealed = of_kind(&ev, "message").into_iter().find(|m| m["name"] == "EncryptedRecord").unwrap();
    assert_eq!(sealed["record_version"], 0xfefc);
    assert!(sealed["role"].as_str().unwrap().contains("key log"), "{}", sealed["role"]);
}

#[test]
fn a_dtls12_capture_begun_mid_handshake_is_traced() {
    for ev in [events(&fixture("dtls12-midway.pcap"), &[]), keyed("dtls12-midway.pcap")] {
        let conns = of_kind(&ev, "connection");
        assert_eq!(conns.len(), 1);
        assert_eq!(conns[0]["transport"], "dtls");
        assert_eq!(conns[0]["roles_from"], "port");
        let h = of_kind(&ev, "handshake")[0];
        assert_eq!(h["dtls"]["caught_midway"], true);
        assert!(h["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("mid-connection")));
        let names = names(&ev, 1);
        assert_eq!(names[..3], ["ClientKeyExchange", "ChangeCipherSpec", "EncryptedHandshake"], "{names:?}");
        // The client's data after the Finished is after the handshake, not the start of another.
        let data = first_message(&ev, 1, "ApplicationData");
        assert_eq!(data["phase"], 0, "{data}");
    }
    // A capture with its hellos is not caught midway.
    let whole = keyed("dtls13-cid.pcap");
    assert_eq!(of_kind(&whole, "handshake")[0]["dtls"]["caught_midway"], false);
}

/// The corpus' DTLS 1.3 captures (no key logs): every datagram tshark 4.0.17 cannot dissect
/// (`udp.stream == N && !dtls`: it has no unified-header support) is one unified-header record
/// here, on the connection of that stream; and the connection IDs in them are those the hellos'
/// connection_id extensions asked for (tshark's `dtls.connection_id`).
#[test]
fn corpus_dtls13_unified_records_agree_with_tshark() {
    let Some(corpus) = corpus() else {
        skip("corpus_dtls13_unified_records_agree_with_tshark", "../shared/corpus is absent");
        return;
    };
    // (file, client port of the stream, datagrams tshark leaves undissected)
    for (file, port, undissected) in [
        ("zeek/tls/dtls13-cid.pcap", 57488, 11),
        ("zeek/tls/dtls13-cid.pcap", 47904, 14),
        ("zeek/tls/dtls13-wolfssl.pcap", 0, 11),
    ] {
        let ev = events(&corpus.join(file), &[]);
        let conn = of_kind(&ev, "connection")
            .into_iter()
            .find(|c| port == 0 || c["client"]["port"] == port)
            .unwrap_or_else(|| panic!("{file}: no connection from port {port}"));
        let id = conn["conn"].as_u64().unwrap();
        let unified = of_kind(&ev, "message")
            .into_iter()
            .filter(|m| m["conn"] == id && m["record_version"] == 0xfefc && m["encrypted"] == true)
            .count();
        assert_eq!(unified, undissected, "{file} conn {id}");
    }
    let ev = events(&corpus.join("zeek/tls/dtls13-cid.pcap"), &[]);
    let with_cid: Vec<&Value> = of_kind(&ev, "handshake")
        .into_iter()
        .filter(|h| h["dtls"]["client_to_server_connection_id"].is_string())
        .collect();
    assert_eq!(with_cid.len(), 1);
    // tshark: the ServerHello's connection_id ("fancy server CID"), the ClientHello's ("I am a client CID").
    assert_eq!(with_cid[0]["dtls"]["client_to_server_connection_id"], "66616e63792073657276657220434944");
    assert_eq!(with_cid[0]["dtls"]["server_to_client_connection_id"], "4920616d206120636c69656e7420434944");
}

#[test]
fn pre_standard_dtls_opens_and_verifies_both_finished() {
    let ev = keyed("dtls10-pre-standard.pcap");
    let h = of_kind(&ev, "handshake")[0];
    assert_eq!(h["version"], 0x0100);
    assert_eq!(h["cipher_suite"], 0xc014);
    assert_eq!(h["finished_verified"], true);
    // Each side's 3-byte ChangeCipherSpec takes a message_seq: its Finished follows it at once.
    let names = names(&ev, 1);
    let ccs: Vec<usize> = names.iter().enumerate().filter(|(_, n)| *n == "ChangeCipherSpec").map(|(i, _)| i).collect();
    assert_eq!(ccs.len(), 2, "{names:?}");
    for i in ccs {
        assert_eq!(names[i + 1], "Finished", "{names:?}");
    }
    let data = of_kind(&ev, "message").into_iter().find(|m| m["name"] == "ApplicationData").unwrap();
    assert_eq!((data["decrypted"].as_bool(), data["length"].as_u64()), (Some(true), Some(6)));
}

/// An Ethernet/IPv4/UDP frame between 10.0.0.1:40000 (`from_client`) and 10.0.0.2:4433.
fn udp_frame(from_client: bool, payload: &[u8]) -> Vec<u8> {
    let (mut src, mut dst) = ([10u8, 0, 0, 1, 0x9c, 0x40], [10u8, 0, 0, 2, 0x11, 0x51]);
    if !from_client {
        std::mem::swap(&mut src, &mut dst);
    }
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0];
    f.extend_from_slice(&((28 + payload.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0, 0x40, 0, 64, 17, 0, 0]);
    f.extend_from_slice(&src[..4]);
    f.extend_from_slice(&dst[..4]);
    f.extend_from_slice(&src[4..]);
    f.extend_from_slice(&dst[4..]);
    f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0]);
    f.extend_from_slice(payload);
    f
}

#[test]
fn bytes_that_do_not_frame_as_records_are_counted_in_the_summary() {
    // An epoch-0 ClientHello fragment (empty body) opens the connection.
    let hello = [22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let mut pcap = pcapgen::Pcap::new();
    pcap.frame(1, &udp_frame(true, &hello));
    // A record, then a header cut short; then a unified header with a connection id whose length
    // no hello announced.
    pcap.frame(2, &udp_frame(true, &[&hello[..], &[22, 0xfe, 0xfd, 0]].concat()));
    pcap.frame(3, &udp_frame(false, &[0x3c, 1, 2, 3, 4, 0, 1, 0, 0, 16, 0xaa]));
    let dir = std::env::temp_dir().join(format!("tlstrace-dtls13-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("malformed.pcap");
    std::fs::write(&path, &pcap.bytes).unwrap();
    let ev = events(&path, &[]);
    let dtls = &summary(&ev)["dtls"];
    assert_eq!(dtls["connections"], 1, "{dtls}");
    assert_eq!(dtls["datagrams"], 3, "{dtls}");
    assert_eq!(dtls["records"], 2, "{dtls}");
    assert_eq!(dtls["malformed_datagrams"], 2, "{dtls}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The end event's byte counts are the datagrams' bytes: a unified header is as long as it is
/// on the wire, not a DTLS 1.2 record header's 13 bytes.
#[test]
fn byte_counts_are_the_datagrams_bytes() {
    let file = "dtls13-cid.pcap";
    let (mut to_server, mut to_client, mut client_port) = (0u64, 0u64, None);
    for f in pcapgen::read_frames(&fixture(file)) {
        let udp = 14 + usize::from(f[14] & 0x0f) * 4;
        let sport = u16::from_be_bytes([f[udp], f[udp + 1]]);
        let payload = u64::from(u16::from_be_bytes([f[udp + 4], f[udp + 5]])) - 8;
        if *client_port.get_or_insert(sport) == sport {
            to_server += payload;
        } else {
            to_client += payload;
        }
    }
    let ev = events(&fixture(file), &[]);
    let end = of_kind(&ev, "end")[0];
    assert_eq!(
        (end["bytes_client_to_server"].as_u64(), end["bytes_server_to_client"].as_u64()),
        (Some(to_server), Some(to_client))
    );
}
