//! The pipeline with and without its worker thread: same events, same bytes; and a worker
//! that always stops.

use super::balance::SHARE_STEPS;
use super::*;
use crate::output::Prepare;
use std::sync::mpsc;
use std::time::Duration;

/// An Ethernet/IPv4/TCP frame (checksums zero: they are not checked).
fn frame(client: u16, from_client: bool, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let (c, s) = ([10, 0, (client >> 8) as u8, client as u8], [192, 0, 2, 1]);
    let (src, dst, sport, dport) = if from_client { (c, s, client, 443) } else { (s, c, 443, client) };
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0];
    f.extend_from_slice(&((40 + payload.len()) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
    f.extend_from_slice(&src);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&sport.to_be_bytes());
    f.extend_from_slice(&dport.to_be_bytes());
    f.extend_from_slice(&seq.to_be_bytes());
    f.extend_from_slice(&ack.to_be_bytes());
    f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

/// A TLS 1.2 ClientHello record with one suite and no extensions.
fn client_hello(n: u8) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend_from_slice(&[n; 32]);
    body.extend_from_slice(&[0, 0, 2, 0xc0, 0x2f, 1, 0]);
    let mut rec = vec![22, 3, 1, 0, (body.len() + 4) as u8, 1, 0, 0, body.len() as u8];
    rec.extend_from_slice(&body);
    rec
}

/// Many interleaved connections, each a handshake and a ClientHello, some closed, some not.
fn packets() -> Vec<(Timestamp, Vec<u8>)> {
    let mut out = Vec::new();
    for i in 0..300u16 {
        let t = |k: u32| Timestamp::new(1_700_000_000 + i64::from(i / 50), u32::from(i) * 1000 + k, 6);
        let isn = u32::from(i) * 1000;
        let hello = client_hello(i as u8);
        out.push((t(0), frame(i, true, isn, 0, 0x02, &[])));
        out.push((t(1), frame(i, false, 7, isn + 1, 0x12, &[])));
        out.push((t(2), frame(i, true, isn + 1, 8, 0x18, &hello)));
        if i % 3 == 0 {
            out.push((t(3), frame(i, true, isn + 1 + hello.len() as u32, 8, 0x11, &[])));
            out.push((t(4), frame(i, false, 8, isn + 2 + hello.len() as u32, 0x11, &[])));
        }
    }
    // An unsupported link type is reported once.
    out.push((Timestamp::new(1_700_000_010, 0, 6), vec![0; 60]));
    out
}

/// Runs the packets through a pipeline, collecting events as the command line does (after
/// every packet), and returns them as JSON lines with the summary last.
fn run(parallel: bool) -> (Vec<String>, Vec<u32>) {
    let mut p = Pipeline::new(PipelineConfig { parallel, ..PipelineConfig::default() });
    let mut lines = Vec::new();
    let mut links = Vec::new();
    let pkts = packets();
    let last = pkts.len() - 1;
    for (i, (ts, data)) in pkts.iter().enumerate() {
        let linktype = if i == last { 147 } else { 1 };
        p.process(Packet { frame: i as u64 + 1, ts: *ts, linktype, data, orig_len: data.len() as u32 });
        lines.extend(p.drain_events().map(|e| serde_json::to_string(&e).unwrap()));
        links.extend(p.take_new_unsupported_links());
    }
    p.finish();
    lines.extend(p.drain_events().map(|e| serde_json::to_string(&e).unwrap()));
    links.extend(p.take_new_unsupported_links());
    lines.push(serde_json::to_string(&Event::Summary(Box::new(p.summary()))).unwrap());
    (lines, links)
}

/// Flows holding partial records past the TLS buffers' share are evicted, least recently
/// active first, and their end is reported; the buffers never exceed the share.
#[test]
fn tls_buffers_stay_within_their_share() {
    let budget = crate::budget::MemoryBudget::new(16 << 20);
    let limit = budget.share(crate::budget::Part::TlsBuffers);
    let mut stages = Stages::new(PipelineConfig { budget, ..PipelineConfig::default() });
    // A ClientHello, then a record announcing 16 KB of which 10 KB arrive: a partial
    // record each.
    let mut partial = client_hello(7);
    partial.extend_from_slice(&[22, 3, 3, 0x40, 0x00]);
    partial.resize(10_000, 0x5a);
    let conns = 1000u16;
    let mut events = Vec::new();
    for i in 0..conns {
        let ts = Timestamp::new(1_700_000_000, u32::from(i) * 1000, 6);
        for (k, f) in [frame(i, true, 100, 0, 0x02, &[]), frame(i, true, 101, 0, 0x18, &partial)].iter().enumerate() {
            let pkt =
                Packet { frame: u64::from(i) * 2 + k as u64 + 1, ts, linktype: 1, data: f, orig_len: f.len() as u32 };
            stages.process(pkt);
            assert!(
                stages.back.conns.shared.tls_buffered <= limit,
                "{} over {limit}",
                stages.back.conns.shared.tls_buffered
            );
        }
        events.extend(stages.drain_events().map(|e| serde_json::to_value(&e).unwrap()));
    }
    let summary = stages.summary();
    let evicted = summary.evictions.tls_buffers;
    // Each flow holds at least 10 KB: no more than the share's worth of them stays.
    assert!(evicted >= u64::from(conns) - (limit / 10_000) as u64, "{evicted} evicted");
    assert_eq!(summary.evictions.flows, 0);
    let ends: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "end").collect();
    assert_eq!(ends.len() as u64, evicted);
    assert!(ends.iter().all(|e| e["reason"] == "evicted"));
    // The oldest went first: the first connection is among the evicted, the last is not.
    assert_eq!(ends[0]["conn"], 1);
    assert!(ends.iter().all(|e| e["conn"] != u64::from(conns)));
}

#[test]
fn a_worker_thread_changes_nothing_in_the_output() {
    let (one, one_links) = run(false);
    let (two, two_links) = within(60, || run(true));
    assert_eq!(one.len(), two.len());
    assert_eq!(one, two);
    assert_eq!(one_links, vec![147]);
    assert_eq!(two_links, vec![147]);
    let summary: serde_json::Value = serde_json::from_str(one.last().unwrap()).unwrap();
    assert_eq!(summary["tls_connections"], 300);
    assert_eq!(summary["messages"], 300);
    assert_eq!(summary["packets"], 300 * 3 + 100 * 2 + 1);
}

#[test]
fn advancing_the_clock_delivers_everything_sent_before() {
    within(20, advance_the_clock);
}

fn advance_the_clock() {
    let mut p = Pipeline::new(PipelineConfig { parallel: true, ..PipelineConfig::default() });
    assert!(matches!(p.mode, Mode::Parallel(_)));
    let hello = client_hello(1);
    let ts = Timestamp::new(1_700_000_000, 0, 6);
    for (i, data) in
        [frame(1, true, 99, 0, 0x02, &[]), frame(1, false, 7, 100, 0x12, &[]), frame(1, true, 100, 8, 0x18, &hello)]
            .iter()
            .enumerate()
    {
        p.process(Packet { frame: i as u64 + 1, ts, linktype: 1, data, orig_len: data.len() as u32 });
    }
    // Live capture on an idle wire: the clock moves on and every queued packet is decoded.
    p.advance_clock(Timestamp::new(1_700_000_001, 0, 6));
    let names = event_names(&mut p);
    assert_eq!(names, ["connection", "message"]);
    assert_eq!(p.summary().packets, 3);
    // Past the idle timeout the flow is closed by the clock alone.
    p.advance_clock(Timestamp::new(1_700_001_000, 0, 6));
    let names = event_names(&mut p);
    assert_eq!(names, ["handshake", "end"]);
}

/// The `event` field of every event drained so far.
fn event_names(p: &mut Pipeline) -> Vec<String> {
    p.drain_events().map(|e| serde_json::to_value(&e).unwrap()["event"].as_str().unwrap().to_string()).collect()
}

/// Runs `f` on a thread of its own and fails if it has not returned within `secs` seconds:
/// a test of the worker thread must not hang the test run when the worker does not stop.
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(value) => value,
        Err(e) => panic!("not done within {secs} s: {e}"),
    }
}

#[test]
fn dropping_a_running_pipeline_stops_its_worker() {
    let stopped = within(20, || {
        let mut p = Pipeline::new(PipelineConfig { parallel: true, ..PipelineConfig::default() });
        let Mode::Parallel(worker) = &p.mode else { panic!("no worker thread") };
        let channel = worker.channel();
        for (i, (ts, data)) in packets().iter().take(600).enumerate() {
            p.process(Packet { frame: i as u64 + 1, ts: *ts, linktype: 1, data, orig_len: data.len() as u32 });
        }
        assert!(!channel.worker_gone(), "the worker runs while packets come");
        // The reader of the output went away: the pipeline is dropped unfinished, which joins
        // the worker.
        drop(p);
        channel.worker_gone()
    });
    assert!(stopped, "the worker thread has ended when the drop returns");
}

/// Every event of a capture as JSON text, each with the bytes the worker prepared for it.
/// With `batch_per_packet`, every packet goes to the worker in a batch of its own and the
/// events are taken only at the end: the worker then adds to events still waiting.
fn fixture_prepared(name: &str, cfg: PipelineConfig, batch_per_packet: bool) -> Vec<(String, Option<Vec<u8>>)> {
    let path = format!("{}/fixtures/captures/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut source = crate::source::file::FileSource::open(&path).unwrap();
    let mut p = Pipeline::new(cfg);
    let mut out = Vec::new();
    let mut take = |p: &mut Pipeline| {
        for (ev, bytes) in p.drain_prepared() {
            out.push((serde_json::to_string(&ev).unwrap(), bytes.map(<[u8]>::to_vec)));
        }
    };
    while source.next_with(|pkt| p.process(pkt)).unwrap().is_some() {
        if batch_per_packet {
            // A setting that changes nothing, sent at once with the batch before it.
            p.show_data(None);
        } else {
            take(&mut p);
        }
    }
    p.finish();
    take(&mut p);
    out
}

/// The bytes the worker prepares for an event are what the preparation makes of it, and
/// the events are the same as without a preparation, whatever share of them is prepared.
#[test]
fn prepared_events_carry_their_own_bytes() {
    within(120, check_prepared_bytes);
}

fn check_prepared_bytes() {
    let json_line: Prepare = |ev, out| {
        out.extend_from_slice(b"prepared:");
        serde_json::to_writer(out, ev).is_ok()
    };
    for capture in
        ["tls13-hrr.pcap", "tls12-renegotiation-client.pcap", "tls13-resume-psk.pcap", "tls-two-linktypes.pcapng"]
    {
        let plain: Vec<String> =
            fixture_prepared(capture, PipelineConfig::default(), false).into_iter().map(|(json, _)| json).collect();
        for (share, batch_per_packet) in
            [0, 3, SHARE_STEPS / 2, SHARE_STEPS].into_iter().flat_map(|s| [(s, false), (s, true)])
        {
            let cfg = PipelineConfig {
                parallel: true,
                output: Needs { prepare: Some(json_line), ..Needs::default() },
                prepare_share: Some(share),
                ..PipelineConfig::default()
            };
            let got = fixture_prepared(capture, cfg, batch_per_packet);
            let events: Vec<&String> = got.iter().map(|(json, _)| json).collect();
            assert_eq!(events, plain.iter().collect::<Vec<_>>(), "{capture}, share {share}");
            let mut prepared = 0;
            for (json, bytes) in &got {
                if let Some(bytes) = bytes {
                    assert_eq!(String::from_utf8_lossy(bytes), format!("prepared:{json}"), "{capture}");
                    prepared += 1;
                }
            }
            // The last events (those of the flows flushed at the end) are never prepared.
            let most = got.len() * share as usize / SHARE_STEPS as usize;
            assert!(prepared <= most, "{capture}, share {share}: {prepared} of {}", got.len());
            assert!(share == 0 || prepared * 3 >= most, "{capture}, share {share}: {prepared} of {}", got.len());
        }
    }
}

/// Every event of a fixture capture, as JSON values, decoded with `cfg`.
fn fixture_events(name: &str, cfg: PipelineConfig) -> Vec<serde_json::Value> {
    let path = format!("{}/fixtures/captures/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut source = crate::source::file::FileSource::open(&path).unwrap();
    let mut p = Pipeline::new(cfg);
    let mut out = Vec::new();
    while source.next_with(|pkt| p.process(pkt)).unwrap().is_some() {
        out.extend(p.drain_events().map(|e| serde_json::to_value(&e).unwrap()));
    }
    p.finish();
    out.extend(p.drain_events().map(|e| serde_json::to_value(&e).unwrap()));
    out
}

fn with_fingerprints() -> Needs {
    Needs { fingerprints: true, ..Needs::default() }
}

#[test]
fn skipping_roles_and_fingerprints_changes_nothing_else() {
    for capture in ["tls13-hrr.pcap", "tls12-resume-ticket.pcap", "tls12-alert-unknown-ca.pcap"] {
        let full = fixture_events(capture, PipelineConfig { output: with_fingerprints(), ..PipelineConfig::default() });
        let lean = fixture_events(
            capture,
            PipelineConfig { output: Needs { roles: false, ..Needs::default() }, ..PipelineConfig::default() },
        );
        assert_eq!(full.len(), lean.len(), "{capture}");
        let mut roles = 0;
        for (mut f, l) in full.into_iter().zip(lean) {
            if let Some(obj) = f.as_object_mut() {
                obj.remove("fingerprints");
                if let Some(role) = obj.get_mut("role") {
                    assert!(!role.as_str().unwrap().is_empty(), "{capture}: every message has a role");
                    roles += 1;
                    *role = serde_json::Value::String(String::new());
                }
            }
            assert_eq!(f, l, "{capture}");
        }
        assert!(roles > 5, "{capture}: only {roles} messages");
    }
}
