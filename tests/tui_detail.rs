//! The explorer's detail of a connection, traced again from the file or from the frames kept
//! for inputs that cannot be read twice (gzip, stdin, live), and its export read back.

mod common;

use std::sync::{Arc, Mutex};
use tlstrace::conn::events::Event;
use tlstrace::output::Needs;
use tlstrace::pipeline::{Pipeline, PipelineConfig};
use tlstrace::source::file::FileSource;
use tlstrace::tui::detail::{ConnDetail, Extent, Keys, trace_connection};
use tlstrace::tui::frames::{FrameRing, PacketOrigin};
use tlstrace::tui::model::{Outcome, Row, RowBuilder};

/// Rows of the capture, as the explorer's sink makes them, with the frames kept in `ring`.
fn rows(capture: &str, keys: &Keys, ring: Option<&Mutex<FrameRing>>) -> Vec<Row> {
    let needs = Needs { roles: false, fingerprints: true, prepare: None, bytes: false };
    let mut pipeline = Pipeline::new(PipelineConfig { output: needs, ..PipelineConfig::default() });
    if let Some(k) = &keys.file {
        pipeline.open_key_log(k, &mut |_| {}).unwrap();
    }
    let mut builder = RowBuilder::default();
    let mut source = FileSource::open(common::fixture(capture).to_str().unwrap()).unwrap();
    while source
        .next_with(|p| {
            if let Some(ring) = ring {
                ring.lock().unwrap().push(&p);
            }
            pipeline.process(p)
        })
        .unwrap()
        .is_some()
    {}
    pipeline.finish();
    for ev in pipeline.drain_events() {
        builder.event(&ev);
    }
    builder.take_changed()
}

fn names(detail: &ConnDetail) -> Vec<String> {
    detail
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(m.name.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn detail_from_kept_frames_equals_detail_from_the_file() {
    let keys = Keys { file: Some(common::fixture("tls13-gzip.keylog")), ..Keys::default() };
    let ring = Arc::new(Mutex::new(FrameRing::new(1 << 20)));
    let rows = rows("tls13-gzip.pcap.gz", &keys, Some(&ring));
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.outcome, Outcome::Complete);
    assert_eq!(row.flags.finished, Some(true));
    let kept = trace_connection(row, &PacketOrigin::Kept(ring), &keys, Extent::AllPackets);
    let again = trace_connection(
        row,
        &PacketOrigin::File(common::fixture("tls13-gzip.pcap.gz").to_str().unwrap().into()),
        &keys,
        Extent::Events,
    );
    assert!(kept.note.is_none(), "{:?}", kept.note);
    assert_eq!(names(&kept), names(&again));
    assert_eq!(kept.packets.len(), 18);
    assert!(names(&kept).contains(&"Finished".to_string()));
    // Every message carries its bytes; a handshake message starts with its type.
    for ev in &kept.events {
        if let Event::Message(m) = ev {
            let raw = m.raw.as_deref().unwrap_or_else(|| panic!("{} has no bytes", m.name));
            if let Some(t) = m.handshake_type {
                assert_eq!(raw[0], t, "{}", m.name);
                assert_eq!(raw.len(), m.length + 4, "{}", m.name);
            }
        }
    }
}

#[test]
fn detail_whose_frames_were_dropped_says_so() {
    let keys = Keys::default();
    // Room for a few frames only: the connection's start is gone.
    let ring = Arc::new(Mutex::new(FrameRing::new(4_000)));
    let rows = rows("tls12-ecdhe-rsa-chain.pcap", &keys, Some(&ring));
    let detail = trace_connection(&rows[0], &PacketOrigin::Kept(ring), &keys, Extent::Events);
    let note = detail.note.expect("a note");
    assert!(note.contains("dropped from memory"), "{note}");
    assert!(note.contains("--memory-limit"), "{note}");
}

#[test]
fn export_writes_the_packets_with_their_secrets_and_the_events() {
    let keylog = common::fixture("tls12-ecdhe-rsa-chain.keylog");
    let keys = Keys { file: Some(keylog.clone()), ..Keys::default() };
    let capture = common::fixture("tls12-ecdhe-rsa-chain.pcap");
    let rows = rows("tls12-ecdhe-rsa-chain.pcap", &keys, None);
    let row = &rows[0];
    let detail =
        trace_connection(row, &PacketOrigin::File(capture.to_str().unwrap().into()), &keys, Extent::AllPackets);
    let dir = std::env::temp_dir().join(format!("tlstrace-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = tlstrace::tui::export::export(&dir, row.conn, row.client, row.server, &detail, &keys).unwrap();
    assert_eq!(out.secrets, 1, "the connection's CLIENT_RANDOM line");
    let name = out.pcapng.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("tlstrace-conn1-127.0.0.1_") && name.ends_with(".pcapng"), "{name}");
    // Read back without a key log: the secrets come from the file.
    let events = common::events(&out.pcapng, &[]);
    let hs = common::of_kind(&events, "handshake");
    assert_eq!(hs.len(), 1);
    assert_eq!(hs[0]["finished_verified"], true);
    assert_eq!(common::summary(&events)["packets"], 17);
    // The NDJSON holds the connection's events, as `read --json` writes them.
    let text = std::fs::read_to_string(&out.ndjson).unwrap();
    let exported = common::parse_ndjson(text.as_bytes());
    let original = common::events(&capture, &["--keylog", keylog.to_str().unwrap()]);
    let kinds = |evs: &[serde_json::Value]| -> Vec<String> {
        evs.iter().filter(|e| e["event"] != "summary").map(|e| format!("{}:{}", e["event"], e["name"])).collect()
    };
    assert_eq!(kinds(&exported), kinds(&original));
    std::fs::remove_dir_all(&dir).unwrap();
}
