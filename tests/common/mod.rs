//! Helpers for integration tests: run the real binary and parse its NDJSON output.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("fixtures").join("captures").join(name)
}

/// A test that cannot run here says so on stderr; under CI (which has everything the tests
/// need: `../shared`, root, the tools) a skip is a failure, so no test passes by skipping there.
pub fn skip(test: &str, why: &str) {
    assert!(std::env::var_os("CI").is_none(), "{test} cannot run ({why}) and CI is set: a skip is a failure here");
    eprintln!("SKIP: {test}: {why}");
}

/// `../shared/corpus` beside the repository, when it exists.
pub fn corpus() -> Option<PathBuf> {
    let p = repo().join("..").join("shared").join("corpus");
    p.join("MANIFEST.tsv").exists().then_some(p)
}

pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tlstrace")).args(args).output().expect("run tlstrace")
}

/// Runs `tlstrace read --json FILE [extra]`, asserts success, returns the events.
pub fn events(file: &Path, extra: &[&str]) -> Vec<Value> {
    let path = file.to_str().expect("utf-8 path");
    let mut args = vec!["read", "--json", path];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(
        out.status.success(),
        "tlstrace failed on {path}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    parse_ndjson(&out.stdout)
}

pub fn parse_ndjson(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

pub fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

/// Message names of connection `conn`, in order.
pub fn names(events: &[Value], conn: u64) -> Vec<String> {
    of_kind(events, "message")
        .into_iter()
        .filter(|m| m["conn"] == conn)
        .map(|m| m["name"].as_str().unwrap_or("?").to_string())
        .collect()
}

/// "C:ClientHello" / "S:ServerHello" style sequence of connection `conn`.
pub fn ladder(events: &[Value], conn: u64) -> Vec<String> {
    of_kind(events, "message")
        .into_iter()
        .filter(|m| m["conn"] == conn)
        .map(|m| {
            let side = if m["direction"] == "client_to_server" { "C" } else { "S" };
            format!("{side}:{}", m["name"].as_str().unwrap_or("?"))
        })
        .collect()
}

pub fn first_message<'a>(events: &'a [Value], conn: u64, name: &str) -> &'a Value {
    of_kind(events, "message")
        .into_iter()
        .find(|m| m["conn"] == conn && m["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in conn {conn}"))
}

pub fn summary(events: &[Value]) -> &Value {
    let last = events.last().expect("some output");
    assert_eq!(last["event"], "summary", "summary must be the last line");
    last
}
