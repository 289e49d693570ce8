//! Stapled OCSP responses and Signed Certificate Timestamps: decoded values on the fixture
//! captures (real staples made by `openssl ocsp` from the fixture PKI; SCTs crafted for the test,
//! see fixtures/make-fixtures.sh `sct_case`), on real public captures of the shared corpus (SKIP
//! without it), and the OCSP judge (`certs::ocsp::inspect`) on responses altered here.

mod common;

use common::{corpus, events, first_message, fixture, of_kind, run, skip};
use serde_json::{Value, json};
use tlstrace::certs::ocsp::{OcspResponse, inspect};
use tlstrace::time::Timestamp;

/// The OCSP object of the connection's stapling message: the CertificateStatus (TLS 1.2) or the
/// leaf entry's status_request (TLS 1.3).
fn staple(events: &[Value]) -> (Value, Value) {
    let cs = of_kind(events, "message").into_iter().find(|m| m["name"] == "CertificateStatus");
    match cs {
        Some(m) => (m["certificate_status"]["ocsp"].clone(), m.clone()),
        None => {
            let cert = first_message(events, 1, "Certificate");
            let exts = cert["certificates"][0]["extensions"].as_array().expect("TLS 1.3 entry extensions");
            let ext = exts.iter().find(|e| e["type"] == 5).expect("status_request entry extension");
            (ext["ocsp"].clone(), cert.clone())
        }
    }
}

fn warnings(events: &[Value]) -> Vec<String> {
    let h = of_kind(events, "handshake");
    h[0]["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_string()).collect()
}

fn text(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn fixture_events(name: &str) -> Vec<Value> {
    let keylog = fixture(&format!("{name}.keylog"));
    events(&fixture(&format!("{name}.pcap")), &["--keylog", keylog.to_str().unwrap()])
}

/// What every fixture staple shares: openssl's responder answered for the fixture leaf, now.
fn common_staple(ocsp: &Value, signer: &str) {
    assert_eq!(ocsp["response_status"], 0);
    assert_eq!(ocsp["response_status_name"], "successful");
    assert_eq!(ocsp["responses"], 1);
    assert_eq!(ocsp["cert_id_matches"], true);
    assert_eq!(ocsp["signature_algorithm"], "sha256WithRSAEncryption");
    assert_eq!(ocsp["signature_valid"], true, "{ocsp}");
    assert_eq!(ocsp["signed_by"], signer);
    assert_eq!(ocsp["responder_id"], format!("name: {signer}"));
    // openssl ocsp -ndays 7: this update is when it was made, just before the capture.
    assert_eq!(ocsp["this_update"], ocsp["produced_at"]);
    assert!(ocsp["next_update"].as_str().unwrap() > ocsp["this_update"].as_str().unwrap());
    assert_eq!(ocsp["valid_at_capture"], true);
}

const INTERMEDIATE: &str = "O=tlstrace fixtures, CN=tlstrace Test Intermediate CA";
const RESPONDER: &str = "O=tlstrace fixtures, CN=tlstrace Test OCSP Responder";

#[test]
fn tls12_good_staple_in_certificate_status() {
    let ev = fixture_events("tls12-ocsp-good");
    let (ocsp, msg) = staple(&ev);
    assert_eq!(msg["name"], "CertificateStatus");
    assert_eq!(msg["certificate_status"]["status_type_name"], "ocsp");
    common_staple(&ocsp, INTERMEDIATE);
    assert_eq!(ocsp["cert_status"], "good");
    assert_eq!((ocsp["revocation_time"].clone(), ocsp["revocation_reason"].clone()), (Value::Null, Value::Null));
    assert!(!warnings(&ev).iter().any(|w| w.contains("OCSP")), "{:?}", warnings(&ev));
    let out = text(&["read", "-v", "--color", "never", fixture("tls12-ocsp-good.pcap").to_str().unwrap()]);
    let produced = ocsp["produced_at"].as_str().unwrap();
    assert!(
        out.contains(&format!(
            "CertificateStatus      OCSP good, produced {produced}, valid at capture, signature verified"
        )),
        "{out}"
    );
    assert!(out.contains("Server staples an OCSP response (signed by tlstrace Test Intermediate CA) saying its certificate is not revoked"), "{out}");
}

#[test]
fn tls12_revoked_staple_from_a_delegated_responder() {
    let ev = fixture_events("tls12-ocsp-revoked");
    let (ocsp, _) = staple(&ev);
    common_staple(&ocsp, RESPONDER);
    assert_eq!(ocsp["cert_status"], "revoked");
    assert_eq!(ocsp["revocation_time"], "2025-12-01T00:00:00Z");
    assert_eq!(ocsp["revocation_reason"], "keyCompromise");
    assert!(
        warnings(&ev)
            .contains(&"OCSP staple says the certificate is REVOKED since 2025-12-01T00:00:00Z (keyCompromise)".into()),
        "{:?}",
        warnings(&ev)
    );
    let out = text(&["read", "-v", "--color", "never", fixture("tls12-ocsp-revoked.pcap").to_str().unwrap()]);
    assert!(
        out.contains("CertificateStatus      OCSP REVOKED at 2025-12-01T00:00:00Z (keyCompromise), produced "),
        "{out}"
    );
    assert!(out.contains(&format!("ocsp signature sha256WithRSAEncryption verified by {RESPONDER}")), "{out}");
    assert!(out.contains("saying its own certificate is REVOKED: a client that checks it must refuse."), "{out}");
}

#[test]
fn tls13_staples_in_the_leaf_entry() {
    for (name, status) in [("tls13-ocsp-good", "good"), ("tls13-ocsp-revoked", "revoked")] {
        let ev = fixture_events(name);
        assert!(of_kind(&ev, "message").iter().all(|m| m["name"] != "CertificateStatus"));
        let (ocsp, cert) = staple(&ev);
        assert_eq!(cert["certificates"].as_array().unwrap().len(), 2);
        let signer = if status == "good" { INTERMEDIATE } else { RESPONDER };
        common_staple(&ocsp, signer);
        assert_eq!(ocsp["cert_status"], status);
        let revoked_warning =
            warnings(&ev).iter().any(|w| w.starts_with("OCSP staple says the certificate is REVOKED"));
        assert_eq!(revoked_warning, status == "revoked", "{name}");
        let keylog = fixture(&format!("{name}.keylog"));
        let out = text(&[
            "read",
            "--color",
            "never",
            "--keylog",
            keylog.to_str().unwrap(),
            fixture(&format!("{name}.pcap")).to_str().unwrap(),
        ]);
        let shown = if status == "good" {
            "(2 certs), OCSP good, produced "
        } else {
            "(2 certs), OCSP REVOKED at 2025-12-01T00:00:00Z (keyCompromise)"
        };
        assert!(out.contains(shown), "{name}: {out}");
    }
}

/// The SCTs of tls12-sct are crafted (see `sct_case`): log ids of 0x11 and 0x22 bytes,
/// timestamps 0x19a2b3c4d5e and one more, a fake ecdsa_sha256 signature.
fn crafted_sct(log_byte: &str, timestamp: u64, time: &str) -> Value {
    let log_id = log_byte.repeat(32);
    let base64 = if log_byte == "11" {
        "ERERERERERERERERERERERERERERERERERERERERERE="
    } else {
        "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI="
    };
    json!({"version": 0, "log_id": log_id, "log_id_base64": base64, "timestamp": timestamp, "time": time,
           "signature_algorithm": 0x0403, "signature_algorithm_name": "ecdsa_sha256", "length": 55})
}

#[test]
fn scts_embedded_and_in_the_server_hello() {
    let ev = events(&fixture("tls12-sct.pcap"), &[]);
    let expected = json!([
        crafted_sct("11", 0x19a_2b3c_4d5e, "2025-10-28T14:32:43.614Z"),
        crafted_sct("22", 0x19a_2b3c_4d5f, "2025-10-28T14:32:43.615Z"),
    ]);
    let cert = first_message(&ev, 1, "Certificate");
    assert_eq!(cert["certificates"][0]["scts"], expected);
    // The intermediate embeds none: the key is absent.
    assert!(cert["certificates"][1].get("scts").is_none());
    let sh = first_message(&ev, 1, "ServerHello");
    let ext = sh["server_hello"]["extensions"].as_array().unwrap().iter().find(|e| e["type"] == 18).unwrap().clone();
    assert_eq!(ext["name"], "signed_certificate_timestamp");
    assert_eq!(ext["signed_certificate_timestamps"], expected);
    let out = text(&["read", "-v", "--color", "never", fixture("tls12-sct.pcap").to_str().unwrap()]);
    assert!(
        out.contains("sct certificate 0 embeds log ERERERERERERERERERERERERERERERERERERERERERE= at 2025-10-28T14:32:43.614Z (ecdsa_sha256)"),
        "{out}"
    );
    // The client's request is empty.
    let ch = first_message(&ev, 1, "ClientHello");
    let req = ch["client_hello"]["extensions"].as_array().unwrap().iter().find(|e| e["type"] == 18).unwrap().clone();
    assert_eq!(req, json!({"type": 18, "name": "signed_certificate_timestamp", "length": 0}));
}

#[test]
fn corpus_staples_and_scts() {
    let Some(c) = corpus() else { return skip("corpus_staples_and_scts", "../shared/corpus is absent") };
    let get = |p: &str| events(&c.join(p), &[]);

    // Zeek's OCSP stapling capture (TLS 1.0, login.live.com): VeriSign's delegated responder.
    let ev = get("zeek/tls/ocsp-stapling.pcap");
    let (ocsp, _) = staple(&ev);
    let verisign = "C=US, O=VeriSign, Inc., OU=VeriSign Trust Network, OU=Terms of use at https://www.verisign.com/rpa (c)06, CN=VeriSign Class 3 Extended Validation SSL SGC OCSP Responder";
    assert_eq!(ocsp["responder_id"], format!("name: {verisign}"));
    assert_eq!(ocsp["signed_by"], verisign);
    assert_eq!(ocsp["produced_at"], "2014-04-21T08:04:10Z");
    assert_eq!(ocsp["this_update"], "2014-04-21T08:04:10Z");
    assert_eq!(ocsp["next_update"], "2014-04-28T08:04:10Z");
    assert_eq!(ocsp["cert_status"], "good");
    assert_eq!(ocsp["cert_id_matches"], true);
    assert_eq!(ocsp["valid_at_capture"], true);
    assert_eq!(ocsp["signature_algorithm"], "sha1WithRSAEncryption");
    assert_eq!(ocsp["signature_valid"], true);

    // Zeek's SCT capture: a COMODO staple signed by the issuer itself (responder by key hash),
    // and three SCTs in the ServerHello extension.
    let ev = get("zeek/tls/signed_certificate_timestamp.pcap");
    let (ocsp, _) = staple(&ev);
    assert_eq!(ocsp["responder_id"], "key: 90af6a3a945a0bd890ea125673df43b43a28dae7");
    assert_eq!(
        ocsp["signed_by"],
        "C=GB, ST=Greater Manchester, L=Salford, O=COMODO CA Limited, CN=COMODO RSA Domain Validation Secure Server CA"
    );
    assert_eq!(
        (ocsp["produced_at"].clone(), ocsp["next_update"].clone()),
        (json!("2017-01-11T02:13:48Z"), json!("2017-01-15T02:13:48Z"))
    );
    assert_eq!((ocsp["cert_status"].clone(), ocsp["signature_valid"].clone()), (json!("good"), json!(true)));
    let sh = first_message(&ev, 1, "ServerHello");
    let ext = sh["server_hello"]["extensions"].as_array().unwrap().iter().find(|e| e["type"] == 18).unwrap().clone();
    let scts = ext["signed_certificate_timestamps"].as_array().unwrap();
    assert_eq!(scts.len(), 3);
    assert_eq!(
        scts[0],
        json!({"version": 0, "log_id": "a4b90990b418581487bb13a2cc67700a3c359804f91bdfb8e377cd0ec80ddc10",
               "log_id_base64": "pLkJkLQYWBSHuxOizGdwCjw1mAT5G9+443fNDsgN3BA=", "timestamp": 1406997753366u64,
               "time": "2014-08-02T16:42:33.366Z", "signature_algorithm": 0x0403,
               "signature_algorithm_name": "ecdsa_sha256", "length": 117})
    );

    // Embedded SCTs in a real certificate (heise.de, in Zeek's TLS 1.2 decryption capture).
    let ev = get("zeek/tls/tls12-decryption.pcap");
    let cert = first_message(&ev, 1, "Certificate");
    let scts = cert["certificates"][0]["scts"].as_array().expect("heise.de embeds SCTs");
    assert_eq!(cert["certificates"][0]["subject"], "CN=heise.de");
    assert_eq!(scts.len(), 2);
    assert_eq!(scts[0]["log_id_base64"], "9lyUL9F3MCIUVBgIMJRWjuNNExkzv98MLyALzE7xZOM=");
    assert_eq!(scts[0]["time"], "2021-03-22T14:32:15.950Z");
    assert_eq!(scts[1]["log_id"], "6f5376ac31f03119d89900a45115ff77151c11d902c10029068db2089a37d913");
    assert_eq!(scts[1]["signature_algorithm_name"], "ecdsa_sha256");
}

// ---- the judge itself, on a response made by openssl from the fixture PKI and altered here

fn pem_der(name: &str) -> Vec<u8> {
    let pem = std::fs::read(common::repo().join("fixtures/certs").join(name)).unwrap();
    let (_, p) = x509_parser::pem::parse_x509_pem(&pem).unwrap();
    p.contents
}

fn response() -> Vec<u8> {
    // tests/data/msgs/README.md says how it was made: "good" for server-rsa, by the intermediate.
    std::fs::read(common::repo().join("tests/data/msgs/server-rsa-ocsp-response.der")).unwrap()
}

fn judge(der: &[u8], leaf: &str, at: Option<i64>) -> OcspResponse {
    let leaf = pem_der(leaf);
    let issuer = pem_der("intermediate-ca.crt");
    let t = at.map(|s| Timestamp::new(s, 0, 6));
    inspect(der, Some(&leaf), &[&issuer], t.as_ref())
}

/// 2026-12-01T00:00:00Z, inside the response's year of validity (Nov 26 2026 to Nov 26 2027).
const INSIDE: i64 = 1_796_083_200;

#[test]
fn judge_good_response_by_the_issuer() {
    let o = judge(&response(), "server-rsa.crt", Some(INSIDE));
    assert_eq!(o.cert_status.as_deref(), Some("good"));
    assert_eq!(o.signature_valid, Some(true));
    assert_eq!(o.signed_by.as_deref(), Some(INTERMEDIATE));
    assert_eq!(o.cert_id_matches, Some(true));
    assert_eq!(o.valid_at_capture, Some(true));
    assert!(o.problems().is_empty(), "{:?}", o.problems());
    // Without a capture time nothing is said about validity.
    assert_eq!(judge(&response(), "server-rsa.crt", None).valid_at_capture, None);
}

#[test]
fn judge_stale_foreign_and_tampered_responses() {
    // Two years later: past nextUpdate.
    let o = judge(&response(), "server-rsa.crt", Some(INSIDE + 2 * 365 * 86_400));
    assert_eq!(o.valid_at_capture, Some(false));
    assert!(o.problems().iter().any(|p| p.starts_with("OCSP staple not valid at capture time")), "{:?}", o.problems());
    // Stapled with another certificate (same issuer, other serial).
    let o = judge(&response(), "server-ecdsa.crt", Some(INSIDE));
    assert_eq!(o.cert_id_matches, Some(false));
    assert!(o.problems().contains(&"OCSP staple is for another certificate".to_string()));
    // One digit of producedAt changed: still parses, no longer verifies.
    let mut der = response();
    let at = der.windows(8).position(|w| w == b"20261126").expect("producedAt in the DER");
    der[at + 7] = b'7';
    let o = judge(&der, "server-rsa.crt", Some(INSIDE));
    assert_eq!(o.produced_at.as_deref(), Some("2026-11-27T20:41:08Z"));
    assert_eq!(o.signature_valid, Some(false));
    assert_eq!(o.signature_note.as_deref(), Some("does not verify with the issuer's key"));
    assert!(o.problems().iter().any(|p| p.starts_with("OCSP staple signature invalid")));
}

#[test]
fn judge_never_panics_on_cut_or_garbage_input() {
    let der = response();
    for n in 0..der.len() {
        let o = judge(&der[..n], "server-rsa.crt", Some(INSIDE));
        assert!(o.error.is_some(), "a response cut to {n} bytes read as whole");
    }
    let o = inspect(b"\x30\x03\x0a\x01\x03", None, &[], None);
    assert_eq!((o.response_status, o.response_status_name.as_deref()), (Some(3), Some("tryLater")));
    assert_eq!(o.error, None);
    assert_eq!(o.problems(), vec!["OCSP staple is an error response: tryLater".to_string()]);
}
