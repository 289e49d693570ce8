//! The connection layer and both outputs over arbitrary stream bytes: one TCP flow whose two
//! directions carry fuzz data (with gaps and early ends), as the flow table would deliver it.
//! This is the whole pipeline above TCP: record framing, handshake reassembly, every decoder,
//! encryption tracking, annotation, filters, JSON and text output.
//!
//! With setup bit 32 a key log is followed as it grows (as `tlstrace capture --keylog` does):
//! chunks of kind `0x06` are key log text, added between the stream's bytes, after which held
//! records are released; records wait for their secrets meanwhile.
//!
//! Input: `[flow setup: 1]`, then repeated chunks `[kind: 1][length: 2][bytes]`.
#![no_main]

#[path = "common.rs"]
mod common;

use common::Cursor;
use libfuzzer_sys::fuzz_target;
use std::net::SocketAddr;
use tlstrace::conn::{ConnTracker, PacketContext};
use tlstrace::crypto::KeyLog;
use tlstrace::output::Sink;
use tlstrace::output::filter::{Filter, FilterSink};
use tlstrace::output::json::JsonSink;
use tlstrace::tcp::{EndReason, FlowEvent, GapCause, Side, Verdict};
use tlstrace::time::Timestamp;

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    let setup = input.u8();
    let client = SocketAddr::from(([10, 0, 0, 1], 40000));
    let server = SocketAddr::from(([192, 0, 2, 1], if setup & 2 != 0 { 443 } else { 8080 }));
    let mut conns = ConnTracker::new();
    let growing_key_log = setup & 32 != 0;
    if growing_key_log {
        conns.enable_decryption();
        conns.shared.wait_for_keys = true;
    }
    let mut ctx = PacketContext { ts: Timestamp::new(1_700_000_000, 0, 6), frame: 1 };
    let (initiator, responder) = if setup & 4 != 0 { (server, client) } else { (client, server) };
    let mut ignored = conns
        .on_stream_event(FlowEvent::Opened { flow: 7, initiator, responder, syn_seen: setup & 1 != 0 }.into(), ctx)
        == Verdict::Ignore;
    let mut ended = [false; 2];
    while !input.is_empty() && !ignored {
        let kind = input.u8();
        let len = usize::from(input.u16() % 20_000);
        let bytes = input.bytes(len);
        let (from, i) = if kind & 1 == 0 { (Side::Initiator, 0) } else { (Side::Responder, 1) };
        ctx.frame += 1;
        ctx.ts =
            Timestamp::new(ctx.ts.secs, ctx.ts.nanos.wrapping_add(u32::from(kind >> 4) * 1_000_000) % 1_000_000_000, 6);
        if growing_key_log && kind & 0x0e == 0x06 {
            conns.add_key_log(KeyLog::parse(bytes).0);
            conns.release_held_records(ctx.ts);
            continue;
        }
        if ended[i] {
            continue;
        }
        if kind & 0x0e == 0x02 {
            let verdict = conns.on_stream_event(FlowEvent::Gap { flow: 7, from, offset: 0, bytes: len as u64 + 1, cause: GapCause::CaptureLoss }.into(), ctx);
            ignored |= verdict == Verdict::Ignore;
        }
        if !bytes.is_empty() && !ignored {
            ignored |= conns.on_stream_event(FlowEvent::Data { flow: 7, from, bytes }.into(), ctx) == Verdict::Ignore;
        }
        if kind & 0x0e == 0x04 && !ignored {
            ended[i] = true;
            let verdict = conns.on_stream_event(FlowEvent::DirectionEnded { flow: 7, from, reason: EndReason::Fin }.into(), ctx);
            ignored |= verdict == Verdict::Ignore;
        }
    }
    let reason = if setup & 8 != 0 { EndReason::Rst } else { EndReason::CaptureEnd };
    conns.on_stream_event(FlowEvent::Closed { flow: 7, reason }.into(), ctx);
    // A flow that ended while waiting for secrets is finished at the end of input.
    conns.finish();
    assert_eq!(conns.open_flows(), 0);
    let events: Vec<_> = conns.drain_events().collect();
    common::render(&events);
    let filter = Filter {
        hosts: vec![server.ip()],
        ports: vec![443],
        snis: vec!["*.test".to_string()],
        failed_only: setup & 16 != 0,
        fingerprints: vec!["t13d".to_string()],
    };
    let mut filtered = FilterSink::new(JsonSink::new(std::io::sink()), filter);
    for ev in &events {
        filtered.event(ev).expect("output to io::sink cannot fail");
    }
    filtered.finish().expect("flush");
});
