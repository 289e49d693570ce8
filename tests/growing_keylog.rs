//! A key log that is still being written (`tlstrace capture --keylog`, a browser's
//! SSLKEYLOGFILE): its lines reach tlstrace after, before or between the packets they unlock,
//! one label at a time. Whatever the order, once every line has arrived within the wait, the
//! trace must be the one tlstrace gives with the whole key log known up front.
//!
//! Each fixture with a key log is replayed through the library's pipeline packet by packet;
//! the key log's lines are revealed on many schedules (all after the last packet, one after
//! each packet from every possible starting packet, in the order written and reversed), the
//! way the capture loop does it: add the new lines, then release held records.

use serde_json::Value;
use std::path::Path;
use tlstrace::output::Needs;
use tlstrace::pipeline::{Pipeline, PipelineConfig};
use tlstrace::source::file::FileSource;
use tlstrace::time::Timestamp;

mod common;

/// Captured packets of one fixture, owned (frame, time, link type, bytes).
struct Capture {
    packets: Vec<(u64, Timestamp, u32, Vec<u8>)>,
}

fn load(path: &Path) -> Capture {
    let mut src = FileSource::open(path.to_str().expect("utf-8 path")).expect("fixture opens");
    let mut packets = Vec::new();
    while let Some(p) = src.next_with(|p| (p.frame, p.ts, p.linktype, p.data.to_vec())).expect("fixture reads cleanly")
    {
        packets.push(p);
    }
    Capture { packets }
}

/// The events of one run, as JSON, the run's summary last.
fn run(capture: &Capture, keylog_lines: &[&str], reveal_after: &dyn Fn(usize) -> usize, growing: bool) -> Vec<Value> {
    let mut pipeline = Pipeline::new(PipelineConfig {
        output: Needs { fingerprints: true, ..Needs::default() },
        ..PipelineConfig::default()
    });
    pipeline.wait_for_keys(growing);
    let mut revealed = 0;
    let mut events = Vec::new();
    let mut drain = |pipeline: &mut Pipeline| {
        events.extend(pipeline.drain_events().map(|e| serde_json::to_value(&e).expect("event serializes")));
    };
    if !growing {
        pipeline.add_key_log(keylog_lines.join("\n").as_bytes());
    }
    let mut last_ts = None;
    for (i, (frame, ts, linktype, data)) in capture.packets.iter().enumerate() {
        pipeline.process(tlstrace::source::Packet {
            frame: *frame,
            ts: *ts,
            linktype: *linktype,
            data,
            orig_len: data.len() as u32,
        });
        last_ts = Some(*ts);
        if growing {
            let upto = reveal_after(i).min(keylog_lines.len());
            if upto > revealed {
                let fresh = keylog_lines[revealed..upto].join("\n") + "\n";
                revealed = upto;
                assert!(pipeline.add_key_log(fresh.as_bytes()).is_empty());
                pipeline.release_held_records(*ts);
            }
        }
        drain(&mut pipeline);
    }
    if growing && revealed < keylog_lines.len() {
        let fresh = keylog_lines[revealed..].join("\n") + "\n";
        assert!(pipeline.add_key_log(fresh.as_bytes()).is_empty());
        pipeline.release_held_records(last_ts.expect("fixture has packets"));
    }
    pipeline.finish();
    drain(&mut pipeline);
    // Held records delay one connection's events, not the others': order holds per connection.
    events.sort_by_key(|e| e["conn"].as_u64());
    let summary = tlstrace::conn::events::Event::Summary(Box::new(pipeline.summary()));
    events.push(serde_json::to_value(&summary).expect("summary serializes"));
    events
}

/// Every fixture that comes with a key log (from fixtures/INDEX.tsv).
fn keyed_fixtures() -> Vec<(String, String)> {
    let index = std::fs::read_to_string(common::repo().join("fixtures/INDEX.tsv")).expect("INDEX.tsv");
    index
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let (file, keylog) = (cols.first()?, cols.get(3)?);
            // Every transport's records wait for their secrets: TCP's and DTLS's in conn::held,
            // QUIC's packets in quic::held.
            keylog.ends_with(".keylog").then(|| (file.to_string(), keylog.to_string()))
        })
        .collect()
}

/// The decryption outcome and the message names, for a readable failure.
fn outline(events: &[Value]) -> String {
    events
        .iter()
        .map(|e| match e["event"].as_str() {
            Some("message") => format!("{} {} decrypted={}", e["direction"], e["name"], e["decrypted"]),
            Some("handshake") => {
                format!("handshake finished_verified={} decryption={}", e["finished_verified"], e["decryption"])
            }
            Some("summary") => format!("summary decryption={}", e["decryption"]),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first event that differs, both ways, for a failure that the outline does not show.
fn first_difference(got: &[Value], reference: &[Value]) -> String {
    let i = got.iter().zip(reference).position(|(g, r)| g != r).unwrap_or(got.len().min(reference.len()));
    format!("--- first difference, event {i}:\n{:?}\n{:?}", got.get(i), reference.get(i))
}

const ALL_AT_END: &str = "all after the last packet";

/// Drops CLIENT/SERVER_TRAFFIC_SECRET_0 from the handshake events' missing labels.
fn without_late_traffic_secrets(events: &mut [Value]) {
    for e in events.iter_mut().filter(|e| e["event"] == "handshake") {
        let Some(decryption) = e.get_mut("decryption").and_then(Value::as_object_mut) else { continue };
        if let Some(Value::Array(labels)) = decryption.get_mut("missing_labels") {
            labels.retain(|l| !l.as_str().is_some_and(|l| l.ends_with("_TRAFFIC_SECRET_0")));
            if labels.is_empty() {
                decryption.remove("missing_labels");
            }
        }
    }
}

#[test]
fn secrets_arriving_late_in_any_order_give_the_trace_of_a_complete_key_log() {
    let fixtures = keyed_fixtures();
    assert!(fixtures.len() >= 30, "INDEX.tsv lists {} keyed fixtures", fixtures.len());
    let mut schedules_run = 0;
    let mut quic_packets_held = 0;
    let quic = fixtures.iter().filter(|(f, _)| f.starts_with("captures/quic-")).count();
    assert!(quic >= 6, "the QUIC fixtures are replayed too ({quic})");
    for (file, keylog) in &fixtures {
        let dir = common::repo().join("fixtures");
        let capture = load(&dir.join(file));
        let text = std::fs::read_to_string(dir.join(keylog)).expect("key log reads");
        let forward: Vec<&str> = text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).collect();
        let reversed: Vec<&str> = forward.iter().rev().copied().collect();
        let reference = run(&capture, &forward, &|_| 0, false);
        let decrypted = reference.iter().filter(|e| e["event"] == "message" && e["decrypted"] == true).count();
        // Every fixture's key log decrypts something, except where the client gave up in the
        // clear and where the capture began after the hellos (no client random to match the key
        // log to); else the comparison would prove little.
        let nothing_to_open = file.contains("tls12-alert") || file.contains("dtls12-midway");
        assert!(decrypted > 0 || nothing_to_open, "{file}: nothing decrypted\n{}", outline(&reference));

        let n = capture.packets.len();
        let mut check = |lines: &[&str], reveal: &dyn Fn(usize) -> usize, what: &str| {
            let mut got = run(&capture, lines, reveal, true);
            // QUIC counts the packets it held (TCP's held records are not counted): the one
            // number that differs from a complete key log's run, by design.
            if let Some(held) = got.last_mut().and_then(|s| s.get_mut("quic")).and_then(|q| q.get_mut("packets_held")) {
                quic_packets_held += held.as_u64().unwrap_or(0);
                *held = Value::from(0);
            }
            let mut reference = reference.clone();
            if what != ALL_AT_END {
                // A handshake event reports the labels missing when it is written: an
                // application traffic secret logged after the Finished is missing then, truly.
                without_late_traffic_secrets(&mut got);
                without_late_traffic_secrets(&mut reference);
            }
            assert!(
                got == reference,
                "{file}: key log lines {what}:\n--- got\n{}\n--- with the whole key log up front\n{}\n{}",
                outline(&got),
                outline(&reference),
                first_difference(&got, &reference)
            );
            schedules_run += 1;
        };
        check(&forward, &|_| 0, ALL_AT_END);
        for start in 0..n {
            check(&forward, &|i| (i + 1).saturating_sub(start), &format!("one per packet from packet {start}"));
            check(&reversed, &|i| (i + 1).saturating_sub(start), &format!("reversed, one per packet from {start}"));
        }
    }
    assert!(quic_packets_held > 0, "QUIC packets were held for their secrets");
    eprintln!(
        "{} fixtures ({quic} QUIC), {schedules_run} key log schedules, {quic_packets_held} QUIC packets held",
        fixtures.len()
    );
}
