//! `--rsa-key`: RSA key exchanges decrypted with the server's private key on real captures
//! (OpenSSL and GnuTLS, made by fixtures/make-fixtures.sh; the key is fixtures/certs/
//! server-rsa.key), the key derivation shown, `--write-keylog` read back by tlstrace and, when
//! it is installed, by tshark.

mod common;

use serde_json::Value;
use std::process::Command;

fn key(name: &str) -> String {
    common::repo().join("fixtures/certs").join(name).to_str().unwrap().to_string()
}

fn capture(name: &str) -> String {
    common::fixture(name).to_str().unwrap().to_string()
}

/// The handshake events of `read --json CAPTURE --rsa-key KEY` (no key log).
fn handshakes(name: &str, extra: &[&str]) -> (Vec<Value>, Value) {
    let mut args = vec!["--rsa-key".to_string(), key("server-rsa.key")];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let events = common::events(&common::fixture(name), &args);
    let hs = common::of_kind(&events, "handshake").into_iter().cloned().collect();
    (hs, common::summary(&events).clone())
}

#[test]
fn rsa_key_exchanges_decrypt_with_the_server_key() {
    // (capture, handshakes, PRF, label of each full handshake)
    let cases = [
        ("tls12-rsa-kx.pcap", 1, "TLS 1.2 PRF (P_SHA-384)", "extended master secret"),
        ("tls10-rsa-kx.pcap", 1, "TLS 1.0/1.1 PRF (P_MD5 xor P_SHA1)", "extended master secret"),
        ("tls11-rsa-kx.pcap", 1, "TLS 1.0/1.1 PRF (P_MD5 xor P_SHA1)", "extended master secret"),
        ("gnutls-tls12-rsa-no-ems.pcap", 1, "TLS 1.2 PRF (P_SHA-256)", "master secret"),
        ("tls12-rsa-renegotiation.pcap", 2, "TLS 1.2 PRF (P_SHA-384)", "extended master secret"),
        // tlslite-ng and the legacy suites: SSL 3.0's own derivation, RC4, NULL, Camellia, ARIA.
        (
            "legacy-ssl3-aes128-sha.pcap",
            1,
            "SSL 3.0 key derivation (MD5 and SHA-1)",
            "SSL 3.0 (MD5 and SHA-1 over 'A', 'BB', 'CCC')",
        ),
        (
            "legacy-ssl3-rc4-md5.pcap",
            1,
            "SSL 3.0 key derivation (MD5 and SHA-1)",
            "SSL 3.0 (MD5 and SHA-1 over 'A', 'BB', 'CCC')",
        ),
        ("legacy-tls10-rc4-sha.pcap", 1, "TLS 1.0/1.1 PRF (P_MD5 xor P_SHA1)", "extended master secret"),
        ("legacy-tls12-null-sha.pcap", 1, "TLS 1.2 PRF (P_SHA-256)", "extended master secret"),
        ("legacy-tls12-aria128-gcm.pcap", 1, "TLS 1.2 PRF (P_SHA-256)", "extended master secret"),
        ("legacy-tls10-camellia128-sha.pcap", 1, "TLS 1.0/1.1 PRF (P_MD5 xor P_SHA1)", "extended master secret"),
    ];
    for (name, count, prf, label) in cases {
        let (hs, summary) = handshakes(name, &[]);
        assert_eq!(hs.len(), count, "{name}");
        for h in &hs {
            assert_eq!(h["finished_verified"], true, "{name}: {h}");
            assert_eq!(h["decryption"]["status"], "decrypted", "{name}");
            let kd = &h["key_derivation"];
            assert_eq!(kd["secret_from"], "rsa_key", "{name}");
            assert!(kd["rsa_key"].as_str().unwrap().ends_with("server-rsa.key"));
            assert_eq!(kd["premaster_length"], 48, "{name}");
            assert_eq!(kd["premaster_version_ok"], true, "{name}");
            assert_eq!(kd["prf"], prf, "{name}");
            assert_eq!(kd["label"], label, "{name}");
            assert_eq!(kd["proved_by_finished"], true, "{name}");
            assert_eq!(kd["client_random"].as_str().unwrap().len(), 64);
            // Secrets only with --show-secrets.
            assert!(kd.get("master_secret").is_none() && kd.get("premaster").is_none(), "{name}");
        }
        let d = &summary["decryption"];
        assert_eq!(d["connections_decrypted_with_rsa_key"], count as u64, "{name}");
        assert_eq!(d["finished_verified"], 2 * count as u64, "{name}");
        assert_eq!(summary["rsa_keys"][0]["connections"], count as u64, "{name}");
        assert_eq!(summary["rsa_keys"][0]["bits"], 2048);
    }
}

#[test]
fn an_sslv2_format_hello_starts_the_transcript() {
    // The key opens it, and so does the server's key log.
    for extra in [
        vec!["--rsa-key".to_string(), key("server-rsa.key")],
        vec!["--keylog".into(), capture("sslv2-hello-rsa-kx.keylog")],
    ] {
        let args: Vec<&str> = extra.iter().map(String::as_str).collect();
        let events = common::events(&common::fixture("sslv2-hello-rsa-kx.pcap"), &args);
        let hello = common::first_message(&events, 1, "ClientHello");
        assert_eq!(hello["record_version"], 2, "the hello is in the SSLv2 format");
        let random = hello["client_hello"]["random"].as_str().unwrap();
        assert_eq!(random.len(), 64, "the challenge, right-aligned in 32 bytes");
        let h = common::of_kind(&events, "handshake")[0];
        assert_eq!(h["finished_verified"], true, "{extra:?}: {h}");
        assert_eq!(h["key_derivation"]["client_random"], random);
        assert_eq!(h["key_derivation"]["label"], "master secret", "no extension fits an SSLv2 hello: no EMS");
    }
}

#[test]
fn resumed_sessions_use_the_master_secret_the_key_opened() {
    for (name, kind) in
        [("tls12-rsa-resume-id.pcap", "resumed_session_id"), ("tls12-rsa-resume-ticket.pcap", "resumed_ticket")]
    {
        let (hs, summary) = handshakes(name, &[]);
        assert_eq!(hs.len(), 2, "{name}");
        assert_eq!(hs[0]["key_derivation"]["secret_from"], "rsa_key");
        assert_eq!(hs[1]["kind"], kind);
        assert_eq!(hs[1]["key_derivation"]["secret_from"], "resumed_session");
        for h in &hs {
            assert_eq!(h["finished_verified"], true, "{name} conn {}", h["conn"]);
        }
        // One premaster opened, two connections decrypted.
        assert_eq!(summary["decryption"]["connections_decrypted_with_rsa_key"], 1);
        assert_eq!(summary["decryption"]["connections_decrypted"], 2);
    }
}

#[test]
fn every_key_format_loads_and_encrypted_keys_need_their_password() {
    let capture = capture("tls12-rsa-kx.pcap");
    for (file, password) in [
        ("server-rsa.key", None),
        ("server-rsa.pkcs1.pem", None),
        ("server-rsa.der", None),
        ("server-rsa.enc.pem", Some("tlstrace-fixture")),
    ] {
        let k = key(file);
        let mut args = vec!["read", "--json", &capture, "--rsa-key", &k];
        if let Some(p) = password {
            args.extend(["--rsa-key-password", p]);
        }
        let out = common::run(&args);
        assert!(out.status.success(), "{file}: {}", String::from_utf8_lossy(&out.stderr));
        let events = common::parse_ndjson(&out.stdout);
        assert_eq!(common::of_kind(&events, "handshake")[0]["finished_verified"], true, "{file}");
    }
    // The password from the environment.
    let k = key("server-rsa.enc.pem");
    let out = Command::new(env!("CARGO_BIN_EXE_tlstrace"))
        .args(["read", "--json", &capture, "--rsa-key", &k])
        .env("TLSTRACE_KEY_PASSWORD", "tlstrace-fixture")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // No password, a wrong one, a file that is no key: one line, exit 3.
    let not_a_key = key("server-rsa.crt");
    for (args, says) in [
        (vec!["--rsa-key", &k], "is encrypted: give its password with --rsa-key-password"),
        (vec!["--rsa-key", &k, "--rsa-key-password", "wrong"], "cannot decrypt the key (wrong password?)"),
        (vec!["--rsa-key", &not_a_key], "no RSA PRIVATE KEY or PRIVATE KEY block"),
        (vec!["--rsa-key", "/nonexistent/key.pem"], "cannot read RSA key"),
    ] {
        let mut all = vec!["read", &capture];
        all.extend(args);
        let out = Command::new(env!("CARGO_BIN_EXE_tlstrace"))
            .args(&all)
            .env_remove("TLSTRACE_KEY_PASSWORD")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{all:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{all:?}: {err}");
    }
}

#[test]
fn forward_secret_handshakes_say_a_server_key_cannot_open_them() {
    for name in ["tls12-ecdhe-rsa-chain.pcap", "tls12-dhe-rsa.pcap", "tls13-x25519-alpn.pcap"] {
        let out = common::run(&["read", "--json", &capture(name), "--rsa-key", &key("server-rsa.key")]);
        let events = common::parse_ndjson(&out.stdout);
        let h = common::of_kind(&events, "handshake")[0];
        assert_eq!(h["decryption"]["status"], "no_secrets", "{name}");
        assert!(h["decryption"]["reason"].as_str().unwrap().contains("forward secrecy"), "{name}: {h}");
        // The unused key is reported at the end.
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("it opened no connection"), "{name}: {err}");
        assert_eq!(common::summary(&events)["rsa_keys"][0]["connections"], 0);
    }
}

#[test]
fn verbose_view_shows_the_derivation_and_secrets_only_when_asked() {
    let capture = capture("gnutls-tls12-rsa-no-ems.pcap");
    let k = key("server-rsa.key");
    let out = common::run(&["read", "-v", "--color", "never", &capture, "--rsa-key", &k]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("keys: premaster from the ClientKeyExchange, opened with --rsa-key"), "{text}");
    assert!(text.contains("premaster: 48 bytes, version 0x0303 (matches the ClientHello)"), "{text}");
    assert!(
        text.contains(
            "master secret = TLS 1.2 PRF (P_SHA-256)(premaster, \"master secret\", client random + server random)"
        ),
        "{text}"
    );
    assert!(text.contains("proved: both Finished verify with these keys"), "{text}");
    assert!(!text.contains("master secret 0") && !text.contains("premaster 0"), "no secret without --show-secrets");
    // With --show-secrets: the master secret equals the one GnuTLS logged.
    let out = common::run(&["read", "--json", "--show-secrets", &capture, "--rsa-key", &k]);
    let events = common::parse_ndjson(&out.stdout);
    let kd = &common::of_kind(&events, "handshake")[0]["key_derivation"];
    let logged = std::fs::read_to_string(common::fixture("gnutls-tls12-rsa-no-ems.keylog")).unwrap();
    let random = kd["client_random"].as_str().unwrap();
    let line = logged.lines().find(|l| l.starts_with("CLIENT_RANDOM") && l.contains(random)).expect("logged");
    assert_eq!(kd["master_secret"].as_str().unwrap(), line.split_whitespace().nth(2).unwrap());
    assert_eq!(kd["premaster"].as_str().unwrap().len(), 96);
    assert!(kd["premaster"].as_str().unwrap().starts_with("0303"));
}

#[test]
fn write_keylog_decrypts_the_capture_again() {
    let dir = std::env::temp_dir().join(format!("tlstrace-write-keylog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["tls12-rsa-resume-ticket.pcap", "tls12-rsa-renegotiation.pcap", "tls13-hrr.pcap"] {
        let written = dir.join(format!("{name}.keys"));
        let mut args = vec!["read".to_string(), "--json".into(), capture(name)];
        if name.starts_with("tls13") {
            args.extend(["--keylog".to_string(), capture("tls13-hrr.keylog")]);
        } else {
            args.extend(["--rsa-key".to_string(), key("server-rsa.key")]);
        }
        args.extend(["--write-keylog".to_string(), written.to_str().unwrap().to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = common::run(&args);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let text = std::fs::read_to_string(&written).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        if name.starts_with("tls13") {
            for label in [
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                "CLIENT_TRAFFIC_SECRET_0",
                "SERVER_TRAFFIC_SECRET_0",
            ] {
                assert!(lines.iter().any(|l| l.starts_with(label)), "{name}: {label} in {text}");
            }
        } else {
            assert!(lines.iter().all(|l| l.starts_with("CLIENT_RANDOM ")), "{text}");
            assert_eq!(lines.len(), 2, "{name}: one line per handshake with its own randoms: {text}");
        }
        // The written key log alone decrypts the capture.
        let events = common::events(&common::fixture(name), &["--keylog", written.to_str().unwrap()]);
        for h in common::of_kind(&events, "handshake") {
            assert_eq!(h["finished_verified"], true, "{name} with the written key log: {h}");
        }
        // And tshark decrypts it too: it sees both Finished of every handshake.
        if Command::new("tshark").arg("--version").output().is_err() {
            common::skip("write_keylog_decrypts_the_capture_again (tshark)", "tshark is not installed");
            continue;
        }
        let out = Command::new("tshark")
            .args(["-n", "-r", &capture(name), "-o"])
            .arg(format!("tls.keylog_file:{}", written.display()))
            .args(["-Y", "tls.handshake.type == 20", "-T", "fields", "-e", "frame.number"])
            .output()
            .unwrap();
        let finished = String::from_utf8_lossy(&out.stdout).lines().count();
        let handshakes = common::of_kind(&events, "handshake").len();
        assert!(
            finished >= 2 * handshakes,
            "{name}: tshark saw {finished} Finished frames for {handshakes} handshakes"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
