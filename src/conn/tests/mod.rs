//! Tests of the connection layer: the per-flow cost, and the handshake's state machine on
//! hand-built messages (`handshakes`: through stream events; `story`: the story alone).

mod build;
mod handshakes;
mod story;

use super::*;
use crate::net::{NetConfig, NetDecoder, NetOutcome};
use crate::tcp::{FlowConfig, FlowTable};
use crate::tcp::{FlowEvent, Side, Verdict};
use crate::time::Timestamp;
use std::net::SocketAddr;

/// The stream bytes of one fixture connection, in order, as the flow table delivers them.
fn fixture_data(name: &str) -> Vec<(Side, Vec<u8>)> {
    let path = format!("{}/fixtures/captures/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut source = crate::source::file::FileSource::open(&path).unwrap();
    let mut net = NetDecoder::new(NetConfig::default());
    let mut table = FlowTable::new(FlowConfig { max_flows: 4, ..FlowConfig::default() });
    let mut out = Vec::new();
    while let Some(()) = source
        .next_with(|pkt| {
            if let Ok(NetOutcome::Tcp(seg)) = net.decode(pkt.linktype, pkt.data, pkt.orig_len, pkt.ts) {
                table.process(&seg, pkt.ts, &mut |ev| {
                    if let FlowEvent::Data { from, bytes, .. } = ev {
                        out.push((from, bytes.to_vec()));
                    }
                    Verdict::Continue
                });
            }
        })
        .unwrap()
    {}
    out
}

/// What a flow costs besides its buffers, measured: its slot in the flow table, and the
/// heap the connection layer holds for it once its handshake is under way (the hellos, the
/// certificate, the rest of the handshake in flight). `budget::FLOW_COST` must cover it,
/// with an eighth more for the allocator's size classes; when the structures grow past
/// it, raise `FLOW_COST` (fewer flows then fit the budget).
#[test]
fn a_flow_costs_at_most_flow_cost() {
    const FLOWS: u64 = 2000;
    let mut worst = 0;
    for (fixture, messages) in [
        ("tls13-x25519-alpn.pcap", 2),
        ("tls12-ecdhe-rsa-chain.pcap", 2),
        ("tls13-hrr.pcap", 2),
        ("tls12-rsa-kx.pcap", 2),
    ] {
        let data = fixture_data(fixture);
        // The first flights of the handshake: a connection caught in the middle of it.
        let first: Vec<&(Side, Vec<u8>)> = data.iter().take(messages).collect();
        let mut conns = ConnTracker::with_capacity(FLOWS as usize);
        let pkt = PacketContext { ts: Timestamp::new(1_700_000_000, 0, 6), frame: 1 };
        let before = crate::msgs::fuzz_tests::heap_held();
        for flow in 0..FLOWS {
            let (initiator, responder) =
                (SocketAddr::from(([10, 0, 0, 1], 40_000)), SocketAddr::from(([10, 0, 0, 2], 443)));
            conns.on_stream_event(FlowEvent::Opened { flow, initiator, responder, syn_seen: true }.into(), pkt);
            for (from, bytes) in &first {
                conns.on_stream_event(FlowEvent::Data { flow, from: *from, bytes }.into(), pkt);
            }
        }
        conns.shared.events.clear();
        conns.shared.events.shrink_to_fit();
        let held = crate::msgs::fuzz_tests::heap_held() - before;
        let buffers = conns.shared.tls_buffered;
        assert_eq!(conns.open_flows(), FLOWS as usize, "{fixture}");
        assert_eq!(conns.stats().tls_connections, FLOWS, "{fixture}");
        let per_flow = (held.unsigned_abs() - buffers) / FLOWS as usize + crate::tcp::flow_slot_bytes();
        eprintln!("{fixture}: {per_flow} bytes per flow, {} of buffers", buffers / FLOWS as usize);
        worst = worst.max(per_flow);
    }
    assert!(worst + worst / 8 <= crate::budget::FLOW_COST, "a flow costs {worst} bytes");
}
