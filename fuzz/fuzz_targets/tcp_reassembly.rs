//! TCP reassembly driven by arbitrary segment sequences on three flows, with small caps so
//! eviction, timeouts and buffer limits are reached.
//!
//! Input: `[ignore-at: 1][6 initial sequence numbers: 4 each]`, then repeated ops
//! `[flow and direction: 1][flags: 1][seq offset: 2][length: 2][ack offset: 2][cut: 1][time step: 1]`.
//!
//! Every payload byte is the low byte of its own sequence number, so the reassembled stream can
//! be checked: each delivered byte must follow the previous one (or the previous one plus the
//! bytes of a gap), whatever order, overlap and loss the segments came in.
#![no_main]

#[path = "common.rs"]
mod common;

use common::Cursor;
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use std::net::SocketAddr;
use tlstrace::net::{TcpFlags, TcpSegment};
use tlstrace::tcp::{FlowConfig, FlowEvent, FlowTable, Side, Verdict};
use tlstrace::time::Timestamp;

const CFG: FlowConfig = FlowConfig {
    max_closed_flows: 3,
    max_flows: 2,
    max_buffered_bytes_per_direction: 6000,
    max_buffered_bytes_total: 9000,
    idle_timeout_secs: 20,
    closed_linger_secs: 5,
};

#[derive(Default)]
struct FlowCheck {
    /// Expected value of the next byte per side, once a byte was seen.
    next: [Option<u8>; 2],
    ended: [bool; 2],
    closed: bool,
}

fn side_index(s: Side) -> usize {
    match s {
        Side::Initiator => 0,
        Side::Responder => 1,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    // The n-th event is answered with Ignore (0: never).
    let ignore_at = u32::from(input.u8());
    let isn: [u32; 6] = std::array::from_fn(|_| input.u32());
    let client = |f: usize| SocketAddr::from(([10, 0, 0, 1], 40000 + f as u16));
    let server = SocketAddr::from(([10, 0, 0, 2], 443));

    let mut table = FlowTable::new(CFG);
    let mut checks: HashMap<u64, FlowCheck> = HashMap::new();
    let mut event_no = 0u32;
    let mut emit = |ev: FlowEvent<'_>| -> Verdict {
        event_no += 1;
        match ev {
            FlowEvent::Opened { flow, .. } => {
                assert!(checks.insert(flow, FlowCheck::default()).is_none(), "flow {flow} opened twice");
            }
            FlowEvent::Data { flow, from, bytes } => {
                let c = checks.get_mut(&flow).expect("data before open");
                assert!(!c.closed && !bytes.is_empty());
                let i = side_index(from);
                assert!(!c.ended[i], "data after FIN");
                for &b in bytes {
                    if let Some(want) = c.next[i] {
                        assert_eq!(b, want, "flow {flow} {from:?}: stream bytes out of order");
                    }
                    c.next[i] = Some(b.wrapping_add(1));
                }
            }
            FlowEvent::Gap { flow, from, bytes, .. } => {
                let c = checks.get_mut(&flow).expect("gap before open");
                assert!(!c.closed && bytes > 0);
                let i = side_index(from);
                // A gap of n bytes moves the expected value on by n (mod 256).
                c.next[i] = c.next[i].map(|v| v.wrapping_add(bytes as u8));
            }
            FlowEvent::DirectionEnded { flow, from, .. } => {
                let c = checks.get_mut(&flow).expect("end before open");
                assert!(!c.closed);
                c.ended[side_index(from)] = true;
            }
            FlowEvent::Closed { flow, .. } => {
                let c = checks.get_mut(&flow).expect("close before open");
                assert!(!c.closed, "flow {flow} closed twice");
                c.closed = true;
            }
        }
        if event_no == ignore_at { Verdict::Ignore } else { Verdict::Continue }
    };

    let mut secs = 1_700_000_000i64;
    let mut payload = Vec::new();
    while !input.is_empty() {
        let sel = input.u8();
        let (flow, from_client) = (usize::from(sel % 3), sel & 0x80 == 0);
        let flags = input.u8() & 0x1f;
        let dir = flow * 2 + usize::from(!from_client);
        let peer = flow * 2 + usize::from(from_client);
        let seq = isn[dir].wrapping_add(u32::from(input.u16()));
        let len = usize::from(input.u16() % 1600);
        let ack = isn[peer].wrapping_add(u32::from(input.u16()));
        let cut = u32::from(input.u8() % 8);
        secs += i64::from(input.u8() % 8);
        let syn = u32::from(flags & TcpFlags::SYN != 0);
        payload.clear();
        payload.extend((0..len as u32).map(|i| seq.wrapping_add(syn).wrapping_add(i) as u8));
        let (src, dst) = if from_client { (client(flow), server) } else { (server, client(flow)) };
        let seg = TcpSegment {
            src,
            dst,
            seq,
            ack,
            flags: TcpFlags(flags),
            payload: &payload,
            missing_tail: if cut == 7 { 300 } else { 0 },
        };
        let ts = Timestamp::new(secs, 0, 6);
        table.process(&seg, ts, &mut emit);
        table.expire(ts, &mut emit);
        assert!(table.buffered_bytes() <= CFG.max_buffered_bytes_total);
        assert!(table.len() <= CFG.max_flows);
    }
    table.finish(&mut emit);
    assert_eq!(table.buffered_bytes(), 0);
    assert!(table.is_empty());
    assert!(checks.values().all(|c| c.closed), "a flow was never closed");
});
