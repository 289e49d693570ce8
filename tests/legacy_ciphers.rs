//! The legacy suites of issue 20 (part 3) decrypted from real captures: SSL 3.0 (its own MAC, key
//! block and Finished), RC4, NULL, Camellia (CBC and GCM) and ARIA (GCM), each made by a real TLS
//! stack in fixtures/make-fixtures.sh (tlslite-ng, OpenSSL 3, GnuTLS) with its key log. Ciphers no
//! available stack negotiates (DES, DES40, RC2-40, RC4-40, IDEA, SEED, ARIA-CBC) are checked
//! against their specifications' test vectors in src/crypto/tests.rs.

mod common;

use serde_json::Value;

/// The application data each stack's fixture exchanges, as `--show-data` prints it (escaped).
const TLSLITE: (&str, &str) = (r"hello tlstrace\n", r"hello tlstrace\n");
const OPENSSL: (&str, &str) = (r"hello\nCLOSE\n", r"olleh\n");
const GNUTLS: (&str, &str) = (r"hello tlstrace\n", r"hello tlstrace\n");

/// (fixture, IANA suite name, version name, data both ways)
const CASES: &[(&str, &str, &str, (&str, &str))] = &[
    ("legacy-ssl3-rc4-md5", "TLS_RSA_WITH_RC4_128_MD5", "SSL 3.0", TLSLITE),
    ("legacy-ssl3-3des-sha", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "SSL 3.0", TLSLITE),
    ("legacy-ssl3-aes128-sha", "TLS_RSA_WITH_AES_128_CBC_SHA", "SSL 3.0", TLSLITE),
    ("legacy-ssl3-null-sha", "TLS_RSA_WITH_NULL_SHA", "SSL 3.0", TLSLITE),
    ("legacy-tls10-rc4-sha", "TLS_RSA_WITH_RC4_128_SHA", "TLS 1.0", TLSLITE),
    ("legacy-tls12-null-md5", "TLS_RSA_WITH_NULL_MD5", "TLS 1.2", OPENSSL),
    ("legacy-tls12-null-sha", "TLS_RSA_WITH_NULL_SHA", "TLS 1.2", OPENSSL),
    ("legacy-tls12-null-sha256", "TLS_RSA_WITH_NULL_SHA256", "TLS 1.2", OPENSSL),
    ("legacy-tls10-camellia128-sha", "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", "TLS 1.0", OPENSSL),
    ("legacy-tls12-camellia256-sha256", "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256", "TLS 1.2", OPENSSL),
    ("legacy-tls12-aria128-gcm", "TLS_RSA_WITH_ARIA_128_GCM_SHA256", "TLS 1.2", OPENSSL),
    ("legacy-tls12-ecdhe-aria256-gcm", "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384", "TLS 1.2", OPENSSL),
    ("legacy-gnutls-camellia128-gcm", "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256", "TLS 1.2", GNUTLS),
    ("legacy-gnutls-rc4-md5", "TLS_RSA_WITH_RC4_128_MD5", "TLS 1.2", GNUTLS),
];

fn traced(name: &str, keylog: &std::path::Path) -> Vec<Value> {
    let pcap = common::fixture(&format!("{name}.pcap"));
    common::events(&pcap, &["--keylog", keylog.to_str().unwrap(), "--show-data"])
}

fn app_data<'a>(events: &'a [Value], direction: &str) -> Vec<&'a str> {
    events
        .iter()
        .filter(|e| e["event"] == "message" && e["name"] == "ApplicationData" && e["direction"] == direction)
        .map(|e| e["data"].as_str().unwrap_or("<no data>"))
        .collect()
}

#[test]
fn every_legacy_fixture_decrypts_with_both_finished_verified() {
    for &(name, suite, version, (client_data, server_data)) in CASES {
        let ev = traced(name, &common::fixture(&format!("{name}.keylog")));
        let hs = common::of_kind(&ev, "handshake");
        assert_eq!(hs.len(), 1, "{name}");
        let h = hs[0];
        assert_eq!(h["cipher_suite_name"], suite, "{name}");
        assert_eq!(h["version_name"], version, "{name}");
        assert_eq!(h["decryption"]["status"], "decrypted", "{name}: {}", h["decryption"]);
        assert_eq!(h["finished_verified"], true, "{name}");
        let finished: Vec<&Value> = ev.iter().filter(|e| e["event"] == "message" && e["name"] == "Finished").collect();
        assert_eq!(finished.len(), 2, "{name}");
        assert!(finished.iter().all(|f| f["decrypted"] == true), "{name}");
        // tlslite-ng splits CBC records 1/n-1 under SSL 3.0 and TLS 1.0 (the BEAST
        // countermeasure): the data is compared whole.
        assert_eq!(app_data(&ev, "client_to_server").concat(), client_data, "{name}");
        assert_eq!(app_data(&ev, "server_to_client").concat(), server_data, "{name}");
        let summary = &common::summary(&ev)["decryption"];
        assert_eq!(summary["records_failed"], 0, "{name}: {summary}");
        assert_eq!(summary["finished_verified"], 2, "{name}: {summary}");
    }
}

/// NULL suites send the data in clear: the capture itself holds it, and the MAC still checks.
#[test]
fn null_suites_carry_the_data_in_clear() {
    for &(name, suite, _, (client_data, _)) in CASES {
        if !suite.contains("_NULL_") {
            continue;
        }
        let bytes = std::fs::read(common::fixture(&format!("{name}.pcap"))).unwrap();
        let clear = client_data.replace(r"\n", "\n");
        assert!(bytes.windows(clear.len()).any(|w| w == clear.as_bytes()), "{name}: data not in clear");
    }
    for name in ["legacy-ssl3-rc4-md5", "legacy-tls12-camellia256-sha256"] {
        let bytes = std::fs::read(common::fixture(&format!("{name}.pcap"))).unwrap();
        assert!(!bytes.windows(5).any(|w| w == b"hello"), "{name}: encrypted data seen in clear");
    }
}

/// A wrong master secret fails the Finished checks and the records (RC4's MAC, SSL 3.0's MAC,
/// the NULL MAC), and says so, rather than printing garbage.
#[test]
fn a_wrong_master_secret_is_reported_not_decrypted() {
    let dir = std::env::temp_dir().join(format!("tlstrace-legacy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["legacy-ssl3-rc4-md5", "legacy-ssl3-null-sha", "legacy-tls12-null-sha256", "legacy-gnutls-rc4-md5"] {
        let log = std::fs::read_to_string(common::fixture(&format!("{name}.keylog"))).unwrap();
        // Flip the last hex digit of the master secret on each line.
        let wrong: String = log
            .lines()
            .map(|l| {
                let (head, last) = l.split_at(l.len() - 1);
                let flipped = if last == "0" { "1" } else { "0" };
                format!("{head}{flipped}\n")
            })
            .collect();
        let path = dir.join(format!("{name}.keylog"));
        std::fs::write(&path, wrong).unwrap();
        let ev = traced(name, &path);
        let h = common::of_kind(&ev, "handshake")[0];
        assert_ne!(h["finished_verified"], true, "{name}");
        assert!(app_data(&ev, "client_to_server").iter().all(|d| *d == "<no data>"), "{name}");
        assert!(common::summary(&ev)["decryption"]["records_failed"].as_u64().unwrap() > 0, "{name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A suite that cannot be decrypted says which and why: a real capture whose ServerHello is
/// rewritten to pick a GOST suite (0xC102) keeps its key log entry, and the handshake event's
/// decryption reports `unsupported_cipher` with the suite's name and the reason.
#[test]
fn an_undecryptable_suite_is_named_with_its_reason() {
    let name = "legacy-tls12-null-md5";
    let mut bytes = std::fs::read(common::fixture(&format!("{name}.pcap"))).unwrap();
    // The ServerHello record: 16 03 03 len len 02 len len len 03 03, then the random, the
    // session id (length-prefixed) and the suite.
    let at = bytes
        .windows(11)
        .position(|w| w[0] == 0x16 && w[1] == 3 && w[2] == 3 && w[5] == 2 && w[9] == 3 && w[10] == 3)
        .expect("ServerHello");
    let sid_len = usize::from(bytes[at + 11 + 32]);
    let suite_at = at + 11 + 32 + 1 + sid_len;
    assert_eq!(&bytes[suite_at..suite_at + 2], &[0x00, 0x01], "NULL-MD5 in the ServerHello");
    bytes[suite_at..suite_at + 2].copy_from_slice(&[0xC1, 0x02]);
    let dir = std::env::temp_dir().join(format!("tlstrace-legacy-gost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("gost.pcap");
    std::fs::write(&pcap, &bytes).unwrap();
    let keylog = common::fixture(&format!("{name}.keylog"));
    let ev = common::events(&pcap, &["--keylog", keylog.to_str().unwrap()]);
    let h = common::of_kind(&ev, "handshake")[0];
    assert_eq!(h["cipher_suite"], 0xC102);
    assert_eq!(h["decryption"]["status"], "unsupported_cipher", "{}", h["decryption"]);
    let reason = h["decryption"]["reason"].as_str().unwrap();
    assert!(reason.contains("TLS_GOSTR341112_256_WITH_28147_CNT_IMIT (0xc102)"), "{reason}");
    assert!(reason.contains("GOST ciphers"), "{reason}");
    assert_eq!(common::summary(&ev)["decryption"]["connections_unsupported_cipher"], 1);
    let _ = std::fs::remove_dir_all(&dir);
}
