//! JA3/JA3S/JA4 against independent implementations: tshark's JA3/JA3S of the fixtures (recorded
//! in fixtures/ja3.tsv by fixtures/ja3-from-tshark.sh) and, when `../shared/corpus` exists, the
//! expected JA4 outputs the JA4 project publishes for its own captures.

mod common;

use common::{events, fixture, of_kind};
use serde_json::Value;
use std::fmt::Write as _;

#[test]
fn ja3_and_ja3s_match_tshark_on_every_fixture() {
    let text = std::fs::read_to_string(common::repo().join("fixtures/ja3.tsv")).unwrap();
    let mut rows: Vec<(String, u64, u64, String, String)> = Vec::new();
    for line in text.lines().skip(1) {
        let c: Vec<&str> = line.split('\t').collect();
        rows.push((c[0].into(), c[1].parse().unwrap(), c[2].parse().unwrap(), c[3].into(), c[4].into()));
    }
    assert!(rows.len() >= 80, "{} rows", rows.len());
    let mut current = String::new();
    let mut ev: Vec<Value> = Vec::new();
    let (mut checked, mut hrr) = (0, 0);
    for (file, frame, typ, full, hash) in &rows {
        if *file != current {
            ev = events(&fixture(file), &[]);
            current = file.clone();
        }
        let m = of_kind(&ev, "message")
            .into_iter()
            .find(|m| m["frame"] == *frame && m["handshake_type"] == *typ)
            .unwrap_or_else(|| panic!("{file}: no handshake type {typ} in frame {frame}"));
        if m["name"] == "HelloRetryRequest" {
            // tshark fingerprints a HelloRetryRequest like a ServerHello; JA3S is defined on
            // the ServerHello that settles the session, so tlstrace gives none here.
            hrr += 1;
            continue;
        }
        let fp = &m["fingerprints"];
        if *typ == 1 {
            assert_eq!(fp["ja3"], full.as_str(), "{file} frame {frame}");
            assert_eq!(fp["ja3_hash"], hash.as_str(), "{file} frame {frame}");
        } else {
            assert_eq!(fp["ja3s"], full.as_str(), "{file} frame {frame}");
            assert_eq!(fp["ja3s_hash"], hash.as_str(), "{file} frame {frame}");
        }
        checked += 1;
    }
    eprintln!("JA3/JA3S: {checked} hellos equal to tshark's ({hrr} HelloRetryRequests skipped)");
    assert!(checked >= 80);
}

/// A port as a number (tlstrace) equals a port as a string (the JA4 reference outputs).
fn port_eq(ours: &Value, theirs: &Value) -> bool {
    ours.as_u64().map(|p| p.to_string()).as_deref() == theirs.as_str()
}

/// Differences from the JA4 reference outputs that are the specification's choice.
fn known_ja4_difference(capture: &str) -> Option<&'static str> {
    (capture == "tls-non-ascii-alpn.pcapng").then_some(
        "non-alphanumeric ALPN: tlstrace follows the JA4 specification (hex of the first and last byte); the reference tools print 99",
    )
}

#[test]
fn ja4_matches_the_ja4_projects_expected_outputs() {
    let Some(corpus) = common::corpus() else {
        common::skip("JA4 corpus", "../shared/corpus not found");
        return;
    };
    let dir = corpus.join("ja4/_expected/python/test/testdata");
    let mut report = String::new();
    let (mut total, mut matched, mut known) = (0, 0, 0);
    let mut failures = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    for expected_file in files {
        let name = expected_file.file_name().unwrap().to_str().unwrap().trim_end_matches(".json").to_string();
        let capture = corpus.join("ja4").join(&name);
        if !capture.exists() {
            continue;
        }
        let expected: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&expected_file).unwrap()).unwrap();
        let out = common::run(&["read", "--json", capture.to_str().unwrap()]);
        let ev = common::parse_ndjson(&out.stdout);
        let conns = of_kind(&ev, "connection");
        let (mut file_total, mut file_ok) = (0, 0);
        for e in &expected {
            for n in 1..=4 {
                let Some(ja4) = e[format!("JA4.{n}")].as_str() else { continue };
                if ja4.starts_with('q') || ja4.starts_with('d') {
                    continue; // QUIC and DTLS: tlstrace traces TLS over TCP
                }
                file_total += 1;
                let conn = conns.iter().find(|c| {
                    c["client"]["ip"] == e["src"]
                        && port_eq(&c["client"]["port"], &e["srcport"])
                        && c["server"]["ip"] == e["dst"]
                        && port_eq(&c["server"]["port"], &e["dstport"])
                });
                let hello = conn.and_then(|c| {
                    of_kind(&ev, "message")
                        .into_iter()
                        .filter(|m| m["conn"] == c["conn"] && m["name"] == "ClientHello")
                        .nth(n - 1)
                });
                let ok = hello.is_some_and(|h| {
                    let fp = &h["fingerprints"];
                    fp["ja4"] == ja4
                        && fp["ja4_r"] == e[format!("JA4_r.{n}")]
                        && fp["ja4_o"] == e[format!("JA4_o.{n}")]
                        && fp["ja4_ro"] == e[format!("JA4_ro.{n}")]
                });
                if ok {
                    file_ok += 1;
                } else if let Some(why) = known_ja4_difference(&name) {
                    known += 1;
                    let _ = writeln!(report, "  known difference in {name} stream {}: {why}", e["stream"]);
                } else {
                    failures.push(format!(
                        "{name} stream {}: expected {ja4}, got {:?}",
                        e["stream"],
                        hello.map(|h| h["fingerprints"]["ja4"].clone())
                    ));
                }
            }
        }
        total += file_total;
        matched += file_ok;
        let _ = writeln!(report, "{name}: {file_ok}/{file_total} TCP ClientHellos match (ja4, ja4_r, ja4_o, ja4_ro)");
    }
    let _ = writeln!(
        report,
        "JA4 TOTAL: {matched}/{total} match the JA4 project's expected outputs, {known} known differences"
    );
    eprint!("{report}");
    let _ = std::fs::create_dir_all(common::repo().join("target"));
    let _ = std::fs::write(common::repo().join("target/fingerprint-report.txt"), &report);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(total > 100, "only {total} expected fingerprints found");
}
