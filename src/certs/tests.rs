//! Certificate checks over the project's test PKI: the certificates as the fixture captures
//! carried them (tests/data/msgs, see its README) and the PEM files in fixtures/certs. Expected
//! facts come from fixtures/certs/fingerprints.tsv and `openssl x509 -noout -fingerprint -sha256
//! -subject -issuer -serial -dates -ext subjectAltName` on the same files.

use super::*;

fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The DER certificates of a Certificate message fixture.
fn chain_ders(name: &str, tls13: bool) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(repo_path(&format!("tests/data/msgs/{name}.hex"))).unwrap();
    let bytes = hex::decode(text.trim()).unwrap();
    let body = &bytes[4..];
    let mut pos = if tls13 { 1 + usize::from(body[0]) } else { 0 } + 3;
    let mut out = Vec::new();
    let u24 = |b: &[u8]| usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]);
    while pos < body.len() {
        let len = u24(&body[pos..]);
        out.push(body[pos + 3..pos + 3 + len].to_vec());
        pos += 3 + len;
        if tls13 {
            pos += 2 + (usize::from(body[pos]) << 8 | usize::from(body[pos + 1]));
        }
    }
    out
}

/// The DER of a PEM certificate file in fixtures/certs.
fn pem_der(file: &str) -> Vec<u8> {
    let text = std::fs::read(repo_path(&format!("fixtures/certs/{file}"))).unwrap();
    let (_, pem) = x509_parser::pem::parse_x509_pem(&text).unwrap();
    assert_eq!(pem.label, "CERTIFICATE");
    pem.contents
}

fn parsed(info: &CertInfo) -> &ParsedCert {
    match &info.details {
        CertDetails::Parsed(p) => p,
        CertDetails::Unparsed { error } => panic!("{error}"),
    }
}

/// fingerprints.tsv writes names as openssl's RFC 2253 form, last RDN first and comma-joined;
/// tlstrace renders them in DER order joined by ", ".
fn der_order(rfc2253: &str) -> String {
    let mut rdns: Vec<&str> = rfc2253.split(',').collect();
    rdns.reverse();
    rdns.join(", ")
}

#[test]
fn every_fixture_certificate_matches_fingerprints_tsv() {
    let tsv = std::fs::read_to_string(repo_path("fixtures/certs/fingerprints.tsv")).unwrap();
    let mut lines = tsv.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(
        header,
        [
            "file",
            "sha256",
            "subject",
            "issuer",
            "serial_hex",
            "not_before",
            "not_after",
            "key_type",
            "key_bits",
            "signature_algorithm"
        ]
    );
    let mut checked = 0;
    for line in lines {
        let c: Vec<&str> = line.split('\t').collect();
        let der = pem_der(c[0]);
        let info = inspect_certificate(&der, None);
        assert_eq!(&*info.sha256, c[1], "{}", c[0]);
        assert_eq!(info.der_length, der.len());
        let cert = parsed(&info);
        assert_eq!(cert.subject, der_order(c[2]), "{}", c[0]);
        assert_eq!(cert.issuer, der_order(c[3]), "{}", c[0]);
        // tlstrace prints the DER content bytes, so a serial whose top bit is set (other-ca's
        // 9000) keeps the 00 byte that makes the INTEGER positive; openssl prints the number.
        let serial = c[4].to_lowercase();
        let der_serial =
            if serial.starts_with(['8', '9', 'a', 'b', 'c', 'd', 'e', 'f']) { format!("00{serial}") } else { serial };
        assert_eq!(cert.serial, der_serial, "{}", c[0]);
        assert_eq!((cert.not_before.as_str(), cert.not_after.as_str()), (c[5], c[6]), "{}", c[0]);
        let (algorithm, curve) = match c[7] {
            "RSA" => ("RSA", None),
            "EC-P-256" => ("EC", Some("secp256r1")),
            other => panic!("key type {other}"),
        };
        assert_eq!(cert.key.key_algorithm, algorithm, "{}", c[0]);
        assert_eq!(cert.key.curve.as_deref(), curve, "{}", c[0]);
        assert_eq!(cert.key.key_bits, Some(c[8].parse().unwrap()), "{}", c[0]);
        assert_eq!(cert.signature_algorithm, c[9], "{}", c[0]);
        assert_eq!(cert.expired_at_capture, None);
        // Only the two roots sign themselves; CA flags as `openssl x509 -ext basicConstraints` shows.
        let root = c[0] == "root-ca.crt" || c[0] == "other-ca.crt";
        assert_eq!(cert.self_signed, root, "{}", c[0]);
        assert_eq!(cert.is_ca, root || c[0] == "intermediate-ca.crt", "{}", c[0]);
        checked += 1;
    }
    assert_eq!(checked, 8);
}

#[test]
fn subject_alternative_names() {
    // openssl -ext subjectAltName: DNS names, then IP addresses (::1 printed as 0:0:0:0:0:0:0:1).
    let cases: [(&str, &[&str]); 5] = [
        ("server-rsa.crt", &["server.tlstrace.test", "localhost", "127.0.0.1", "::1"]),
        ("server-ecdsa.crt", &["ecdsa.tlstrace.test", "localhost", "127.0.0.1", "::1"]),
        ("server-expired.crt", &["expired.tlstrace.test"]),
        ("client.crt", &["client.tlstrace.test"]),
        ("intermediate-ca.crt", &[]),
    ];
    for (file, san) in cases {
        let info = inspect_certificate(&pem_der(file), None);
        assert_eq!(parsed(&info).san, san, "{file}");
    }
}

#[test]
fn served_chains_are_the_pem_files() {
    // What the servers sent is byte for byte what fixtures/certs holds.
    for (msg, tls13, files) in [
        ("tls12-ecdhe-rsa-certificate", false, ["server-rsa.crt", "intermediate-ca.crt"]),
        ("tls13-certificate", true, ["server-rsa.crt", "intermediate-ca.crt"]),
        ("tls12-ecdsa-certificate", false, ["server-ecdsa.crt", "intermediate-ca.crt"]),
        ("tls12-expired-certificate", false, ["server-expired.crt", "intermediate-ca.crt"]),
        ("tls12-badsig-certificate", false, ["server-badsig.crt", "intermediate-ca.crt"]),
        ("tls12-clientauth-client-certificate", false, ["client.crt", "intermediate-ca.crt"]),
        ("tls13-clientauth-client-certificate", true, ["client.crt", "intermediate-ca.crt"]),
    ] {
        let ders = chain_ders(msg, tls13);
        let expected: Vec<Vec<u8>> = files.iter().map(|f| pem_der(f)).collect();
        assert_eq!(ders, expected, "{msg}");
    }
}

#[test]
fn full_chain_up_to_the_root_verifies() {
    let ders: Vec<Vec<u8>> = ["server-rsa.crt", "intermediate-ca.crt", "root-ca.crt"].map(pem_der).into();
    let refs: Vec<&[u8]> = ders.iter().map(Vec::as_slice).collect();
    let (infos, chain) = inspect_chain(&refs, None, Some("localhost"));
    assert_eq!(infos.len(), 3);
    assert!(parsed(&infos[2]).self_signed);
    // Every link and the root's own signature verify.
    assert_eq!(
        chain,
        Some(ChainCheck {
            issued_in_order: true,
            signatures: Signatures::Valid,
            sni_matches: Some(true),
            reason: None,
            // The private root is no Mozilla root.
            trust: std::sync::Arc::new(ChainTrust {
                trusted: Some(false),
                trust_error: Some("unknown issuer".into()),
                ..ChainTrust::default()
            }),
        })
    );
    // The root alone is complete: it signs itself.
    let root = pem_der("root-ca.crt");
    let (_, chain) = inspect_chain(&[&root], None, None);
    assert_eq!(chain.unwrap().signatures, Signatures::Valid);
}

#[test]
fn broken_signature_is_invalid() {
    // server-badsig.crt is server-rsa.crt with the last signature byte flipped.
    let ders = chain_ders("tls12-badsig-certificate", false);
    let refs: Vec<&[u8]> = ders.iter().map(Vec::as_slice).collect();
    let (infos, chain) = inspect_chain(&refs, None, Some("server.tlstrace.test"));
    assert_eq!(&*infos[0].sha256, "fdb4556fe582fa3511e51e7b3974dfb1e5601904666d3d251bd1901d73dcf16d");
    // Everything but the signature is the good leaf's.
    let good = inspect_certificate(&pem_der("server-rsa.crt"), None);
    assert_eq!(parsed(&infos[0]).subject, parsed(&good).subject);
    assert_eq!(parsed(&infos[0]).serial, parsed(&good).serial);
    let chain = chain.unwrap();
    assert_eq!(chain.signatures, Signatures::Invalid);
    assert!(chain.issued_in_order);
    assert_eq!(chain.reason.as_deref(), Some("certificate 0 signed by certificate 1: signature does not verify"));
}

#[test]
fn leaf_under_the_wrong_root() {
    // The unknown_ca case: the leaf followed by the untrusted root, which did not issue it.
    let leaf = pem_der("server-rsa.crt");
    let other = pem_der("other-ca.crt");
    let (_, chain) = inspect_chain(&[&leaf, &other], None, None);
    let chain = chain.unwrap();
    assert!(!chain.issued_in_order);
    assert_eq!(chain.signatures, Signatures::Invalid);
    assert_eq!(
        chain.reason.as_deref(),
        Some(
            "certificate 0 signed by certificate 1: signature does not verify; \
             certificate 0's issuer is not certificate 1's subject"
        )
    );
}

#[test]
fn expired_certificate_at_capture_time() {
    let ders = chain_ders("tls12-expired-certificate", false);
    // tls12-cert-expired.pcap frame 6: 2026-11-26, long after notAfter 2021-01-01T00:00:00Z.
    let at_capture = Timestamp::new(1_795_724_929, 804_599_000, 6);
    let info = inspect_certificate(&ders[0], Some(&at_capture));
    assert_eq!(&*info.sha256, "67ea21d16067bd4cdaebbcf48f0a89d594b5dd37a874b6db648cb1783ddf0055");
    let cert = parsed(&info);
    assert_eq!((cert.not_before.as_str(), cert.not_after.as_str()), ("2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"));
    assert_eq!(cert.expired_at_capture, Some(true));
    assert_eq!(parsed(&inspect_certificate(&ders[1], Some(&at_capture))).expired_at_capture, Some(false));
    // notAfter itself is still valid (RFC 5280 bounds are inclusive), the next second is not.
    let at = |secs| parsed(&inspect_certificate(&ders[0], Some(&Timestamp::new(secs, 0, 6)))).expired_at_capture;
    assert_eq!(at(1_609_459_200), Some(false));
    assert_eq!(at(1_609_459_201), Some(true));
    assert_eq!(at(1_577_836_799), Some(true)); // before notBefore 2020-01-01
}

#[test]
fn remembered_chains_follow_capture_time_and_server_name() {
    let ders = chain_ders("tls12-expired-certificate", false);
    let refs: Vec<&[u8]> = ders.iter().map(Vec::as_slice).collect();
    let expiry = |infos: &[CertInfo]| parsed(&infos[0]).expired_at_capture;
    // The same chain three times: the verdict is remembered, expiry follows each capture time.
    let (first, check) = inspect_chain(&refs, Some(&Timestamp::new(1_600_000_000, 0, 6)), None);
    let (later, again) = inspect_chain(&refs, Some(&Timestamp::new(1_795_724_929, 0, 6)), None);
    let (unknown, _) = inspect_chain(&refs, None, None);
    assert_eq!((expiry(&first), expiry(&later), expiry(&unknown)), (Some(false), Some(true), None));
    // The chain's own verdict is remembered; trust follows the capture time (see
    // `trust_is_judged_at_the_capture_time_and_remembered_per_validity_state`).
    let without_trust = |c: Option<ChainCheck>| c.map(|c| ChainCheck { trust: std::sync::Arc::default(), ..c });
    assert_eq!(without_trust(check), without_trust(again));
    assert_eq!(first[0].sha256, later[0].sha256);
    // Another server name is judged on its own.
    let leaf_names = parsed(&first[0]).san.clone();
    let (_, named) = inspect_chain(&refs, None, leaf_names.first().map(String::as_str));
    let (_, other) = inspect_chain(&refs, None, Some("not-this-server.example"));
    if !leaf_names.is_empty() {
        assert_eq!(named.unwrap().sni_matches, Some(true));
    }
    assert_eq!(other.unwrap().sni_matches, Some(false));
}

#[test]
fn chain_out_of_order_is_reported() {
    let ders = chain_ders("tls12-ecdsa-certificate", false);
    // Intermediate first, then the leaf: the intermediate's RSA signature cannot come from the
    // leaf's EC key.
    let swapped: Vec<&[u8]> = vec![&ders[1], &ders[0]];
    let (infos, chain) = inspect_chain(&swapped, None, Some("ecdsa.tlstrace.test"));
    assert_eq!(infos.len(), 2);
    let chain = chain.unwrap();
    assert!(!chain.issued_in_order);
    assert_eq!(chain.signatures, Signatures::Invalid);
    // The first certificate is now the intermediate, which does not name ecdsa.tlstrace.test.
    assert_eq!(chain.sni_matches, Some(false));
    assert_eq!(
        chain.reason.as_deref(),
        Some(
            "certificate 0 signed by certificate 1: a sha256WithRSAEncryption signature cannot come from this key (EC); \
             certificate 0's issuer is not certificate 1's subject; \
             server name ecdsa.tlstrace.test matches no name in the leaf certificate"
        )
    );
    // Leaf and intermediate alone, in order: the one link verifies; the intermediate's own
    // issuer is absent, which is normal.
    let pair: Vec<&[u8]> = vec![&ders[0], &ders[1]];
    let (_, chain) = inspect_chain(&pair, None, None);
    let chain = chain.unwrap();
    assert_eq!((chain.signatures, chain.sni_matches, chain.reason), (Signatures::Valid, None, None));
    assert_eq!(inspect_chain(&[], None, None).1, None);
}

#[test]
fn rfc6125_name_matching() {
    let cases = [
        ("example.com", "example.com", true),
        ("Example.COM", "example.com", true),
        ("example.com.", "example.com", true),
        ("*.example.com", "www.example.com", true),
        ("*.example.com", "WWW.Example.Com", true),
        ("*.example.com", "example.com", false),
        ("*.example.com", "a.b.example.com", false),
        ("*.example.com", ".example.com", false),
        ("*.com", "example.com", false),
        ("w*.example.com", "www.example.com", false),
        ("www.*.com", "www.example.com", false),
        ("*", "localhost", false),
        ("", "", false),
        ("example.com", "www.example.com", false),
    ];
    for (pattern, host, expected) in cases {
        assert_eq!(name_matches(pattern, host), expected, "{pattern} vs {host}");
    }
}

#[test]
fn pem_files_named_by_fingerprint() {
    let ders = chain_ders("tls13-certificate", true);
    let dir = std::env::temp_dir().join(format!("tlstrace-pem-test-{}", std::process::id()));
    let path = write_pem(&dir, &ders[0]).unwrap();
    assert_eq!(path.file_name().unwrap(), "c7421e90b0b85d8983dc81f68312c4043e5e16066925c76b2368131532c77892.pem");
    let text = std::fs::read_to_string(&path).unwrap();
    // Exactly the PEM openssl wrote for the fixture PKI.
    assert_eq!(text, std::fs::read_to_string(repo_path("fixtures/certs/server-rsa.crt")).unwrap());
    assert!(text.starts_with("-----BEGIN CERTIFICATE-----\nMIIDtjCCAp6gAwIBAgICMAEwDQYJ"));
    assert!(text.lines().all(|l| l.len() <= 64));
    // Writing again gives the same file.
    assert_eq!(write_pem(&dir, &ders[0]).unwrap(), path);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn public_keys() {
    use x509_parser::prelude::{FromDer, X509Certificate};
    for (file, expected) in [
        (
            "server-ecdsa.crt",
            PublicKeyInfo { key_algorithm: "EC".into(), key_bits: Some(256), curve: Some("secp256r1".into()) },
        ),
        ("server-rsa.crt", PublicKeyInfo { key_algorithm: "RSA".into(), key_bits: Some(2048), curve: None }),
    ] {
        let der = pem_der(file);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        assert_eq!(inspect_public_key(cert.public_key().raw), Some(expected), "{file}");
    }
}

#[test]
fn helpers() {
    assert_eq!(format_rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
    assert_eq!(format_rfc3339(-1).as_deref(), Some("1969-12-31T23:59:59Z"));
    assert_eq!(format_rfc3339(2_524_607_999).as_deref(), Some("2049-12-31T23:59:59Z"));
    assert_eq!(format_rfc3339(i64::from(u32::MAX)).as_deref(), Some("2106-02-07T06:28:15Z"));
    assert_eq!(format_rfc3339(i64::MAX), None);
    assert_eq!(format_rfc3339(951_782_400).as_deref(), Some("2000-02-29T00:00:00Z"));
    assert_eq!(format_rfc3339(253_402_300_799).as_deref(), Some("9999-12-31T23:59:59Z"));
    assert_eq!(format_rfc3339(253_402_300_800), None, "year 10000");
    assert_eq!(format_rfc3339(0xef18_769d).as_deref(), Some("2097-02-10T18:04:13Z"));
    assert_eq!(format_rfc3339(1_398_529_017).as_deref(), Some("2014-04-26T16:16:57Z"));
    assert_eq!(integer_bits(&[0x00, 0x80, 0x00]), 16);
    assert_eq!(integer_bits(&[0x01, 0xff]), 9);
    assert_eq!(integer_bits(&[0, 0]), 0);
    assert_eq!(integer_bits(&[]), 0);
    assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(inspect_public_key(&[1, 2, 3]), None);
}

fn root_store() -> TrustStore {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/certs/root-ca.crt");
    TrustStore::load(BaseRoots::None, &[root], &[]).unwrap()
}

#[test]
fn trust_is_judged_at_the_capture_time_and_remembered_per_validity_state() {
    let store = root_store();
    let ctx = TrustContext { store: Some(&store), ..TrustContext::default() };
    // Leaf and intermediate valid from 2025-01-01 to 2049-12-31.
    let ders: Vec<Vec<u8>> = ["server-rsa.crt", "intermediate-ca.crt"].map(pem_der).into();
    let refs: Vec<&[u8]> = ders.iter().map(Vec::as_slice).collect();
    let at = |secs: i64, ctx: &TrustContext<'_>| {
        inspect_chain_for(&refs, Some(&Timestamp::new(secs, 0, 6)), Some("server.tlstrace.test"), ctx).1.unwrap().trust
    };
    let during = at(1_800_000_000, &ctx);
    assert_eq!(during.trusted, Some(true), "{during:?}");
    assert_eq!(during.anchor.as_deref(), Some("O=tlstrace fixtures, CN=tlstrace Test Root CA"));
    assert_eq!(during.anchor_name.as_deref(), Some("tlstrace Test Root CA"));
    // The same chain (from the memo) after and before its validity.
    assert_eq!(
        at(2_600_000_000, &ctx).trust_error.as_deref(),
        Some("expired at capture time (not after 2049-12-31T23:59:59Z)")
    );
    assert_eq!(
        at(1_700_000_000, &ctx).trust_error.as_deref(),
        Some("not yet valid at capture time (not before 2025-01-01T00:00:00Z)")
    );
    // Within the validity again: the remembered verdict.
    assert_eq!(at(1_900_000_000, &ctx), during);
    // Another store is another verdict, not the memo's.
    assert_eq!(at(1_800_000_000, &TrustContext::default()).trust_error.as_deref(), Some("unknown issuer"));
}

#[test]
fn names_and_addresses_are_checked_and_client_chains_need_client_auth() {
    let store = root_store();
    let when = Timestamp::new(1_800_000_000, 0, 6);
    let ders: Vec<Vec<u8>> = ["server-rsa.crt", "intermediate-ca.crt"].map(pem_der).into();
    let refs: Vec<&[u8]> = ders.iter().map(Vec::as_slice).collect();
    let server = |sni: Option<&str>, ip: Option<&str>| {
        let ctx =
            TrustContext { store: Some(&store), server_ip: ip.map(|i| i.parse().unwrap()), ..TrustContext::default() };
        inspect_chain_for(&refs, Some(&when), sni, &ctx).1.unwrap().trust
    };
    assert_eq!(server(Some("server.tlstrace.test"), None).trusted, Some(true));
    assert_eq!(
        server(Some("www.example.com"), None).trust_error.as_deref(),
        Some("name mismatch: www.example.com is not a name of the certificate")
    );
    // Without SNI the server's address is the name: 127.0.0.1 is one of the leaf's.
    assert_eq!(server(None, Some("127.0.0.1")).trusted, Some(true));
    assert_eq!(
        server(None, Some("10.0.0.1")).trust_error.as_deref(),
        Some("name mismatch: 10.0.0.1 is not a name of the certificate")
    );
    // A server certificate (serverAuth only) is no client certificate.
    let client = TrustContext { store: Some(&store), client: true, ..TrustContext::default() };
    let verdict = inspect_chain_for(&refs, Some(&when), None, &client).1.unwrap().trust;
    assert_eq!(verdict.trust_error.as_deref(), Some("not allowed for TLS clients (extended key usage)"));
    // The client's own certificate, against the CAs a CertificateRequest named.
    let ders: Vec<Vec<u8>> = ["client.crt", "intermediate-ca.crt"].map(pem_der).into();
    let refs: Vec<&[u8]> = ders.iter().map(Vec::as_slice).collect();
    let named = |names: &[&str]| {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let ctx =
            TrustContext { store: Some(&store), client: true, named_cas: Some(&names), ..TrustContext::default() };
        inspect_chain_for(&refs, Some(&when), None, &ctx).1.unwrap().trust
    };
    assert_eq!(named(&["O=tlstrace fixtures, CN=tlstrace Test Root CA"]).trusted, Some(true));
    assert_eq!(named(&["O=tlstrace fixtures, CN=tlstrace Test Intermediate CA"]).trusted, Some(true));
    assert_eq!(
        named(&["CN=Somebody Else"]).trust_error.as_deref(),
        Some("issuer is not among the CAs the server's CertificateRequest named")
    );
}

#[test]
fn mozilla_anchors_render_their_subjects() {
    // Every compiled-in root's subject parses once its SEQUENCE header is put back (long-form
    // lengths included).
    let store = TrustStore::mozilla();
    assert!(store.len() > 100);
    assert!(trust::tests_support::all_anchor_subjects(store).iter().all(|s| s.is_some()));
}

#[test]
fn bad_anchor_files_are_errors() {
    let dir = std::env::temp_dir().join(format!("tlstrace-anchors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.pem");
    std::fs::write(&bad, "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n").unwrap();
    let err = TrustStore::load(BaseRoots::None, std::slice::from_ref(&bad), &[]).unwrap_err().to_string();
    assert!(err.contains("certificate 1 does not parse"), "{err}");
    let err = TrustStore::load(BaseRoots::None, &[], std::slice::from_ref(&dir)).unwrap_err().to_string();
    assert!(err.contains("bad.pem"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}
