//! Trust as a browser judges it at the capture's time: each chain the fixture script makes,
//! traced with the private root as an anchor (`--ca-file`) and with the built-in Mozilla roots
//! alone, its verdict asserted in the Certificate message's `chain`, the handshake's `trust`,
//! its warnings and the text header.

mod common;

use common::*;
use serde_json::Value;

const ROOT: &str = "fixtures/certs/root-ca.crt";
const TEST_ROOT: &str = "O=tlstrace fixtures, CN=tlstrace Test Root CA";

fn ca_file(path: &str) -> String {
    repo().join(path).to_str().expect("utf-8 path").to_string()
}

/// The server Certificate's `chain` and the handshake event of the one connection of `capture`.
fn verdict(capture: &str, extra: &[&str]) -> (Value, Value) {
    let events = events(&fixture(capture), extra);
    let cert = first_message(&events, 1, "Certificate");
    let chain = cert["chain"].clone();
    let hs = of_kind(&events, "handshake").first().map(|h| (*h).clone()).expect("a handshake event");
    (chain, hs)
}

fn with_root(capture: &str) -> (Value, Value) {
    let root = ca_file(ROOT);
    verdict(capture, &["--ca-file", &root])
}

/// Asserts an untrusted verdict in both places, and the warning that says it.
fn assert_untrusted(chain: &Value, hs: &Value, error: &str) {
    assert_eq!(chain["trusted"], false, "{chain}");
    let got = chain["trust_error"].as_str().unwrap_or_default();
    assert!(got.starts_with(error), "trust_error {got:?}, expected {error:?}");
    assert_eq!(chain["anchor"], Value::Null);
    assert_eq!(hs["trust"]["trusted"], false);
    assert_eq!(hs["trust"]["trust_error"], chain["trust_error"]);
    let warning = format!("certificate chain untrusted: {got}");
    assert!(hs["warnings"].as_array().unwrap().iter().any(|w| *w == warning.as_str()), "{}", hs["warnings"]);
}

fn assert_trusted(chain: &Value, hs: &Value, anchor: &str) {
    assert_eq!(chain["trusted"], true, "{chain}");
    assert_eq!(chain["trust_error"], Value::Null);
    assert_eq!(chain["anchor"], anchor);
    assert_eq!(hs["trust"]["trusted"], true);
    assert_eq!(hs["trust"]["anchor"], anchor);
    assert!(!hs["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("untrusted")));
}

#[test]
fn valid_chain_is_trusted_with_the_private_root_and_unknown_to_mozilla() {
    let (chain, hs) = with_root("trust-valid.pcap");
    assert_trusted(&chain, &hs, TEST_ROOT);
    assert_eq!(chain["anchor_name"], "tlstrace Test Root CA");
    assert!(chain["anchor_from"].as_str().unwrap().ends_with("root-ca.crt"));
    let (chain, hs) = verdict("trust-valid.pcap", &[]);
    assert_untrusted(&chain, &hs, "unknown issuer");
    // `--trust none` without anchors trusts nothing.
    let (chain, _) = verdict("trust-valid.pcap", &["--trust", "none"]);
    assert_eq!(chain["trust_error"], "unknown issuer");
}

#[test]
fn not_yet_valid_at_capture_time_though_valid_today() {
    let (chain, hs) = with_root("trust-not-yet-valid.pcap");
    assert_untrusted(&chain, &hs, "not yet valid at capture time (not before ");
    // The leaf's own record agrees: not valid at the capture's time.
    let events = events(&fixture("trust-not-yet-valid.pcap"), &[]);
    let cert = first_message(&events, 1, "Certificate");
    assert_eq!(cert["certificates"][0]["expired_at_capture"], true);
    // Webpki judges the leaf's validity before looking for its issuer.
    let (chain, _) = verdict("trust-not-yet-valid.pcap", &[]);
    assert!(chain["trust_error"].as_str().unwrap().starts_with("not yet valid at capture time"));
}

#[test]
fn valid_at_capture_time_though_expired_since() {
    let (chain, hs) = with_root("trust-expired-since.pcap");
    assert_trusted(&chain, &hs, TEST_ROOT);
    let events = events(&fixture("trust-expired-since.pcap"), &[]);
    let cert = first_message(&events, 1, "Certificate");
    let leaf = &cert["certificates"][0];
    assert_eq!(leaf["expired_at_capture"], false);
    // Its notAfter is three minutes after the capture: the verdict is the capture's, not today's.
    let not_after = leaf["not_after"].as_str().unwrap();
    let captured = cert["time"].as_f64().unwrap();
    let today_would_be = tlstrace::certs::format_rfc3339(captured as i64 + 170).unwrap();
    assert!(not_after > today_would_be.as_str(), "{not_after} vs {today_would_be}");
    let (chain, _) = verdict("trust-expired-since.pcap", &[]);
    assert_eq!(chain["trust_error"], "unknown issuer");
}

#[test]
fn expired_at_capture_time() {
    // The committed expired leaf (2020-2021), captured years later.
    let (chain, hs) = with_root("tls12-cert-expired.pcap");
    assert_untrusted(&chain, &hs, "expired at capture time (not after 2021-01-01T00:00:00Z)");
}

#[test]
fn wrong_name() {
    let (chain, hs) = with_root("trust-wrong-name.pcap");
    assert_untrusted(&chain, &hs, "name mismatch: trust.tlstrace.test is not a name of the certificate");
    let (chain, hs) = verdict("trust-wrong-name.pcap", &[]);
    assert_untrusted(&chain, &hs, "unknown issuer");
}

#[test]
fn missing_intermediate() {
    let (chain, hs) = with_root("trust-missing-intermediate.pcap");
    assert_untrusted(&chain, &hs, "unknown issuer");
    // The intermediate given as an anchor too closes the path.
    let root = ca_file(ROOT);
    let intermediate = ca_file("fixtures/certs/intermediate-ca.crt");
    let (chain, hs) = verdict("trust-missing-intermediate.pcap", &["--ca-file", &root, "--ca-file", &intermediate]);
    assert_trusted(&chain, &hs, "O=tlstrace fixtures, CN=tlstrace Test Intermediate CA");
}

#[test]
fn intermediates_out_of_order() {
    let (chain, hs) = with_root("trust-out-of-order.pcap");
    // As sent, the chain is not in order; path building does not mind.
    assert_eq!(chain["issued_in_order"], false);
    assert_trusted(&chain, &hs, TEST_ROOT);
    let (chain, hs) = verdict("trust-out-of-order.pcap", &[]);
    assert_untrusted(&chain, &hs, "unknown issuer");
}

#[test]
fn cross_signed_path_reaches_either_root() {
    let (chain, hs) = with_root("trust-cross-signed.pcap");
    assert_trusted(&chain, &hs, TEST_ROOT);
    let cross = ca_file("fixtures/certs/trust/cross-root.crt");
    let (chain, hs) = verdict("trust-cross-signed.pcap", &["--ca-file", &cross]);
    assert_trusted(&chain, &hs, "O=tlstrace fixtures, CN=tlstrace Cross Root CA");
    let (chain, hs) = verdict("trust-cross-signed.pcap", &[]);
    assert_untrusted(&chain, &hs, "unknown issuer");
}

#[test]
fn client_auth_only_leaf_is_not_for_servers() {
    let (chain, hs) = with_root("trust-client-only-eku.pcap");
    assert_untrusted(&chain, &hs, "not allowed for TLS servers (extended key usage)");
    let (chain, _) = verdict("trust-client-only-eku.pcap", &[]);
    assert_eq!(chain["trust_error"], "not allowed for TLS servers (extended key usage)");
}

#[test]
fn ca_certificate_as_leaf() {
    let (chain, hs) = with_root("trust-ca-leaf.pcap");
    assert_untrusted(&chain, &hs, "CA constraints violated");
    let (chain, _) = verdict("trust-ca-leaf.pcap", &[]);
    assert!(chain["trust_error"].as_str().unwrap().starts_with("CA constraints violated"));
}

#[test]
fn bad_signature() {
    let (chain, hs) = with_root("tls12-cert-badsig.pcap");
    assert_eq!(chain["trusted"], false);
    assert_eq!(hs["trust"]["trusted"], false);
    let e = chain["trust_error"].as_str().unwrap();
    assert!(e == "bad signature" || e == "unknown issuer", "{e}");
}

#[test]
fn client_chain_is_judged_for_client_auth() {
    for capture in ["tls12-client-auth.pcap", "tls13-client-auth.pcap"] {
        let root = ca_file(ROOT);
        let keylog = fixture(&capture.replace(".pcap", ".keylog"));
        let events = events(&fixture(capture), &["--ca-file", &root, "--keylog", keylog.to_str().unwrap()]);
        let client_cert = of_kind(&events, "message")
            .into_iter()
            .find(|m| m["name"] == "Certificate" && m["direction"] == "client_to_server")
            .unwrap_or_else(|| panic!("{capture}: no client Certificate"));
        let chain = &client_cert["chain"];
        assert_eq!(chain["trusted"], true, "{capture}: {chain}");
        assert_eq!(chain["anchor"], TEST_ROOT);
    }
}

#[test]
fn client_alert_is_explained_next_to_the_verdict() {
    let (_, hs) = verdict("tls12-alert-unknown-ca.pcap", &[]);
    let warnings: Vec<&str> = hs["warnings"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(
        warnings.contains(&"client rejected the chain (unknown_ca); tlstrace: untrusted: unknown issuer"),
        "{warnings:?}"
    );
    let (_, hs) = with_root("tls12-alert-unknown-ca.pcap");
    let warnings: Vec<&str> = hs["warnings"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(
        warnings.iter().any(|w| w.starts_with("client rejected the chain (unknown_ca); tlstrace: trusted by ")),
        "{warnings:?}"
    );
}

#[test]
fn text_header_shows_the_verdict() {
    let root = ca_file(ROOT);
    let path = fixture("trust-valid.pcap");
    let out = run(&["read", "-q", "--color", "never", path.to_str().unwrap(), "--ca-file", &root]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().next().unwrap().contains("  trusted (tlstrace Test Root CA)  "), "{text}");
    let out = run(&["read", "-q", "--color", "never", path.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().next().unwrap().contains("  untrusted: unknown issuer  "), "{text}");
    // In yellow when colored.
    let out = run(&["read", "-q", "--color", "always", path.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\u{1b}[33muntrusted: unknown issuer"), "{text}");
}

#[test]
fn system_store_honours_ssl_cert_file() {
    let path = fixture("trust-valid.pcap");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tlstrace"))
        .args(["read", "--json", path.to_str().unwrap(), "--trust", "system"])
        .env("SSL_CERT_FILE", ca_file(ROOT))
        .env_remove("SSL_CERT_DIR")
        .output()
        .unwrap();
    assert!(out.status.success());
    let events = parse_ndjson(&out.stdout);
    let hs = of_kind(&events, "handshake")[0];
    assert_eq!(hs["trust"]["trusted"], true);
    assert_eq!(hs["trust"]["anchor_from"], "the system store");
}

#[test]
fn bad_anchor_files_exit_3_with_one_line() {
    let path = fixture("trust-valid.pcap");
    let dir = std::env::temp_dir().join(format!("tlstrace-trust-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let garbage = dir.join("garbage.pem");
    std::fs::write(&garbage, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap();
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, "no certificate here\n").unwrap();
    let missing = dir.join("missing.pem");
    for (flag, file) in
        [("--ca-file", &garbage), ("--ca-file", &empty), ("--ca-file", &missing), ("--ca-dir", &missing)]
    {
        let out = run(&["read", path.to_str().unwrap(), flag, file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(3), "{flag} {}", file.display());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("tlstrace: trust anchors: "), "{err}");
        assert!(out.stdout.is_empty());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
