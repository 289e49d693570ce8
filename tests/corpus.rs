//! Agreement with tshark over the shared public corpus (`../shared/corpus`), when it exists.
//!
//! For every TLS-over-TCP capture listed in its MANIFEST.tsv: tlstrace must not crash, and every
//! handshake message tshark decoded (its `.tshark.tsv`) must be found by tlstrace with the same
//! type, and every hello random tshark saw must be seen too. Every capture, whatever it carries,
//! is read without a crash and with no link type skipped. (The QUIC captures, PPP-linked ones
//! included, are compared with tshark in tests/quic.rs; the DTLS ones in tests/dtls.rs.) What
//! was measured is written to `target/corpus-report.txt` (CI prints it) and to stderr.

mod common;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

struct TsharkDecode {
    /// (frame, handshake type) for every handshake message tshark lists.
    messages: Vec<(u64, u64)>,
    randoms: BTreeSet<String>,
    snis: BTreeSet<String>,
}

fn parse_tsv(path: &Path) -> TsharkDecode {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut d = TsharkDecode { messages: Vec::new(), randoms: BTreeSet::new(), snis: BTreeSet::new() };
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        let frame: u64 = cols.first().and_then(|f| f.parse().ok()).unwrap_or(0);
        // Rows without a TCP stream are TLS inside QUIC or DTLS: not TLS over TCP.
        if cols.get(1).is_none_or(|s| s.is_empty()) {
            continue;
        }
        let list = |i: usize| -> Vec<String> {
            cols.get(i)
                .map(|c| c.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect())
                .unwrap_or_default()
        };
        for t in list(3) {
            if let Ok(t) = t.parse() {
                d.messages.push((frame, t));
            }
        }
        d.snis.extend(list(6));
        d.randoms.extend(list(7));
    }
    d
}

/// Captures where tlstrace and tshark legitimately differ, with the reason.
fn known_difference(path: &str) -> Option<&'static str> {
    const KNOWN: &[(&str, &str)] = &[(
        "mercury/test/afl_data/corner-cases.pcap",
        "a fuzzer-made empty ServerHello: tshark reads a random from the bytes after it, tlstrace reports it malformed",
    )];
    KNOWN.iter().find(|(p, _)| *p == path).map(|(_, why)| *why)
}

#[test]
fn corpus_agrees_with_tshark() {
    let Some(corpus) = common::corpus() else {
        let msg = "corpus test SKIPPED: ../shared/corpus not found\n";
        let _ = std::fs::write(common::repo().join("target").join("corpus-report.txt"), msg);
        common::skip("corpus_agrees_with_tshark", "../shared/corpus not found");
        return;
    };
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).expect("manifest");
    let mut lines = manifest.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect("manifest column");
    let (c_path, c_variant, c_keylog) = (col("path"), col("oracle_variant"), col("key_log"));

    let mut report = String::new();
    let mut failures = Vec::new();
    let (mut total_t, mut total_exact, mut total_found, mut total_r, mut total_rfound, mut files) = (0, 0, 0, 0, 0, 0);
    let mut skipped_kinds: BTreeMap<String, u32> = BTreeMap::new();
    writeln!(report, "{:<62} {:>5} {:>5} {:>5} {:>5} {:>5}  note", "capture", "hs", "same", "found", "rand", "found")
        .unwrap();
    for line in lines {
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(rel), Some(variant)) = (cols.get(c_path), cols.get(c_variant)) else { continue };
        let path = corpus.join(rel);
        // tshark decoded with the capture's key log, when it has one: so does tlstrace.
        let keylog = cols
            .get(c_keylog)
            .and_then(|k| k.split_whitespace().next())
            .map(|k| corpus.join(k))
            .filter(|k| k.is_file());
        let mut args = vec!["read".to_string(), "--json".to_string(), path.to_str().unwrap().to_string()];
        if let Some(k) = &keylog {
            args.push("--keylog".into());
            args.push(k.to_str().unwrap().to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = common::run(&args);
        let code = out.status.code();
        // Every capture, TLS or not, must be read without a crash: 0, or 4 for a damaged file.
        if !matches!(code, Some(0) | Some(4)) {
            failures.push(format!("{rel}: exit {code:?}: {}", String::from_utf8_lossy(&out.stderr)));
            continue;
        }
        if String::from_utf8_lossy(&out.stderr).contains("internal error") {
            failures.push(format!("{rel}: internal error: {}", String::from_utf8_lossy(&out.stderr)));
        }
        let events = common::parse_ndjson(&out.stdout);
        // Every link type in the corpus is decoded (PPP's too): no frame is skipped as unsupported.
        if let Some(skipped) = events.iter().rev().find(|e| e["event"] == "summary").map(|s| &s["skipped_link_types"])
            && skipped.as_array().is_some_and(|a| !a.is_empty())
        {
            failures.push(format!("{rel}: link types skipped: {skipped}"));
        }
        if *variant != "tls" {
            *skipped_kinds.entry(variant.to_string()).or_default() += 1;
            continue;
        }
        files += 1;
        let tshark = parse_tsv(&corpus.join(format!("{rel}.tshark.tsv")));
        let mut ours: HashMap<(u64, u64), u32> = HashMap::new();
        let mut ours_by_type: HashMap<u64, u32> = HashMap::new();
        let mut our_randoms = BTreeSet::new();
        for m in common::of_kind(&events, "message") {
            if let Some(t) = m["handshake_type"].as_u64() {
                *ours.entry((m["frame"].as_u64().unwrap_or(0), t)).or_default() += 1;
                *ours_by_type.entry(t).or_default() += 1;
            }
            for key in ["client_hello", "server_hello"] {
                if let Some(r) = m[key]["random"].as_str() {
                    our_randoms.insert(r.to_string());
                }
            }
        }
        // Exact: same frame and type. Found: same type somewhere (frames differ where tshark
        // did not reassemble out-of-order segments and tlstrace did).
        let mut exact = 0;
        let mut unmatched = Vec::new();
        for &(frame, t) in &tshark.messages {
            match ours.get_mut(&(frame, t)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    exact += 1;
                    if let Some(c) = ours_by_type.get_mut(&t) {
                        *c = c.saturating_sub(1);
                    }
                }
                _ => unmatched.push(t),
            }
        }
        let mut found = exact;
        let mut missing = Vec::new();
        for t in unmatched {
            match ours_by_type.get_mut(&t) {
                Some(c) if *c > 0 => {
                    *c -= 1;
                    found += 1;
                }
                _ => missing.push(t),
            }
        }
        let rfound = tshark.randoms.iter().filter(|r| our_randoms.contains(*r)).count();
        total_t += tshark.messages.len();
        total_exact += exact;
        total_found += found;
        total_r += tshark.randoms.len();
        total_rfound += rfound;
        let ok = missing.is_empty() && rfound == tshark.randoms.len();
        let note = match (ok, known_difference(rel)) {
            (true, _) => String::new(),
            (false, Some(why)) => format!("known: {why}"),
            (false, None) => {
                failures.push(format!(
                    "{rel}: missing handshake types {missing:?}, randoms {rfound}/{}",
                    tshark.randoms.len()
                ));
                format!("MISSING types {missing:?}")
            }
        };
        writeln!(
            report,
            "{:<62} {:>5} {:>5} {:>5} {:>5} {:>5}  {note}",
            rel,
            tshark.messages.len(),
            exact,
            found,
            tshark.randoms.len(),
            rfound
        )
        .unwrap();
    }
    writeln!(
        report,
        "TOTAL over {files} TLS captures: tshark handshake messages {total_t}, same frame {total_exact}, found {total_found} ({:.2}%); hello randoms {total_r}, found {total_rfound}",
        100.0 * total_found as f64 / total_t.max(1) as f64
    )
    .unwrap();
    writeln!(report, "not TLS-over-TCP (read without crash, not compared): {skipped_kinds:?}").unwrap();
    for f in &failures {
        writeln!(report, "FAIL {f}").unwrap();
    }
    eprint!("{report}");
    let _ = std::fs::create_dir_all(common::repo().join("target"));
    let _ = std::fs::write(common::repo().join("target").join("corpus-report.txt"), &report);
    assert!(failures.is_empty(), "{} corpus failures:\n{}", failures.len(), failures.join("\n"));
    let _: Option<Value> = None;
}
