//! Flow table and reassembly tests on hand-made segments.

use super::*;
use crate::net::{TcpFlags, TcpSegment};
use crate::time::Timestamp;
use std::net::SocketAddr;

const SYN: u8 = TcpFlags::SYN;
const ACK: u8 = TcpFlags::ACK;
const FIN: u8 = TcpFlags::FIN;
const RST: u8 = TcpFlags::RST;
const PSH: u8 = TcpFlags::PSH;

const CLIENT: &str = "10.0.0.1:40000";
const SERVER: &str = "10.0.0.2:443";

/// 36 distinct bytes: offsets are readable in failures.
const TEXT: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

const I: Side = Side::Initiator;
const R: Side = Side::Responder;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn seg<'a>(src: &str, dst: &str, seq: u32, ack: u32, flags: u8, payload: &'a [u8]) -> TcpSegment<'a> {
    TcpSegment { src: addr(src), dst: addr(dst), seq, ack, flags: TcpFlags(flags), payload, missing_tail: 0 }
}

fn c2s(seq: u32, ack: u32, flags: u8, payload: &[u8]) -> TcpSegment<'_> {
    seg(CLIENT, SERVER, seq, ack, flags, payload)
}

fn s2c(seq: u32, ack: u32, flags: u8, payload: &[u8]) -> TcpSegment<'_> {
    seg(SERVER, CLIENT, seq, ack, flags, payload)
}

/// An owned copy of a `FlowEvent`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Opened { flow: FlowId, initiator: SocketAddr, responder: SocketAddr, syn_seen: bool },
    Data { flow: FlowId, from: Side, bytes: Vec<u8> },
    Gap { flow: FlowId, from: Side, bytes: u64 },
    Ended { flow: FlowId, from: Side, reason: EndReason },
    Closed { flow: FlowId, reason: EndReason },
}

fn owned(e: &FlowEvent<'_>) -> Ev {
    match *e {
        FlowEvent::Opened { flow, initiator, responder, syn_seen } => {
            Ev::Opened { flow, initiator, responder, syn_seen }
        }
        FlowEvent::Data { flow, from, bytes } => Ev::Data { flow, from, bytes: bytes.to_vec() },
        FlowEvent::Gap { flow, from, bytes, .. } => Ev::Gap { flow, from, bytes },
        FlowEvent::DirectionEnded { flow, from, reason } => Ev::Ended { flow, from, reason },
        FlowEvent::Closed { flow, reason } => Ev::Closed { flow, reason },
    }
}

fn data(flow: FlowId, from: Side, bytes: &[u8]) -> Ev {
    Ev::Data { flow, from, bytes: bytes.to_vec() }
}

fn gap(flow: FlowId, from: Side, bytes: u64) -> Ev {
    Ev::Gap { flow, from, bytes }
}

fn ended(flow: FlowId, from: Side) -> Ev {
    Ev::Ended { flow, from, reason: EndReason::Fin }
}

fn closed(flow: FlowId, reason: EndReason) -> Ev {
    Ev::Closed { flow, reason }
}

fn opened(flow: FlowId, initiator: &str, responder: &str, syn_seen: bool) -> Ev {
    Ev::Opened { flow, initiator: addr(initiator), responder: addr(responder), syn_seen }
}

/// Drives a table and records its events; `ignore` decides the verdict per event.
struct Harness {
    table: FlowTable,
    events: Vec<Ev>,
    ignore: fn(&Ev) -> bool,
    now: i64,
}

impl Harness {
    fn new(cfg: FlowConfig) -> Self {
        Harness { table: FlowTable::new(cfg), events: Vec::new(), ignore: |_| false, now: 1_700_000_000 }
    }

    fn standard() -> Self {
        Harness::new(FlowConfig::default())
    }

    fn feed(&mut self, s: TcpSegment<'_>) {
        let Harness { table, events, ignore, now } = self;
        table.process(&s, Timestamp::new(*now, 0, 6), &mut |e| record(events, *ignore, &e));
    }

    fn feed_at(&mut self, secs: i64, s: TcpSegment<'_>) {
        self.now = secs;
        self.feed(s);
    }

    fn expire(&mut self, secs: i64) {
        let Harness { table, events, ignore, .. } = self;
        table.expire(Timestamp::new(secs, 0, 6), &mut |e| record(events, *ignore, &e));
    }

    fn finish(&mut self) {
        let Harness { table, events, ignore, .. } = self;
        table.finish(&mut |e| record(events, *ignore, &e));
    }

    fn take(&mut self) -> Vec<Ev> {
        std::mem::take(&mut self.events)
    }
}

fn record(events: &mut Vec<Ev>, ignore: fn(&Ev) -> bool, e: &FlowEvent<'_>) -> Verdict {
    let ev = owned(e);
    let verdict = if ignore(&ev) { Verdict::Ignore } else { Verdict::Continue };
    events.push(ev);
    verdict
}

#[test]
fn handshake_data_and_fin_in_order() {
    let mut h = Harness::standard();
    h.feed(c2s(1000, 0, SYN, b""));
    assert_eq!(h.take(), vec![opened(0, CLIENT, SERVER, true)]);
    h.feed(s2c(5000, 1001, SYN | ACK, b""));
    h.feed(c2s(1001, 5001, ACK, b""));
    assert_eq!(h.take(), vec![]);
    h.feed(c2s(1001, 5001, ACK | PSH, b"hello"));
    h.feed(s2c(5001, 1006, ACK | PSH, b"world!"));
    h.feed(c2s(1006, 5007, ACK | FIN, b""));
    assert_eq!(h.table.len(), 1);
    h.feed(s2c(5007, 1007, ACK | FIN, b""));
    assert_eq!(
        h.take(),
        vec![data(0, I, b"hello"), data(0, R, b"world!"), ended(0, I), ended(0, R), closed(0, EndReason::Fin),]
    );
    assert_eq!(h.table.len(), 0);
    // The last ACK of the close belongs to the closed flow.
    h.feed(c2s(1007, 5008, ACK, b""));
    assert_eq!(h.take(), vec![]);
    let st = h.table.stats();
    assert_eq!(st.flows, 1);
    assert_eq!(st.segments, 8);
    assert_eq!(st.segments_after_close, 1);
    assert_eq!(st.bytes_delivered, 11);
    assert_eq!(st.gaps, 0);
}

#[test]
fn syn_ack_first_makes_its_destination_the_initiator() {
    let mut h = Harness::standard();
    h.feed(s2c(5000, 1001, SYN | ACK, b""));
    // The client's stream start comes from the SYN-ACK's acknowledgment.
    h.feed(c2s(1001, 5001, ACK, b"abc"));
    h.feed(s2c(5001, 1004, ACK, b"xy"));
    assert_eq!(h.take(), vec![opened(0, CLIENT, SERVER, true), data(0, I, b"abc"), data(0, R, b"xy"),]);
    // The SYN captured late is the same connection's.
    h.feed(c2s(1000, 0, SYN, b""));
    assert_eq!(h.take(), vec![]);
    assert_eq!(h.table.stats().flows, 1);
}

#[test]
fn mid_stream_start_from_the_responder() {
    let mut h = Harness::standard();
    h.feed(s2c(777, 9000, ACK, b"HTTP"));
    h.feed(c2s(9000, 781, ACK, b"GET"));
    h.feed(s2c(781, 9003, ACK, b"/1.1"));
    // A retransmission of bytes before the first one seen is not stream data.
    h.feed(s2c(770, 9003, ACK, b"1234567"));
    assert_eq!(
        h.take(),
        vec![opened(0, SERVER, CLIENT, false), data(0, I, b"HTTP"), data(0, R, b"GET"), data(0, I, b"/1.1"),]
    );
}

#[test]
fn pure_ack_first_does_not_fix_the_stream_start() {
    let mut h = Harness::standard();
    h.feed(c2s(100, 200, ACK, b""));
    h.feed(s2c(200, 100, ACK, b"late"));
    h.feed(c2s(100, 204, ACK, b"req"));
    assert_eq!(h.take(), vec![opened(0, CLIENT, SERVER, false), data(0, R, b"late"), data(0, I, b"req"),]);
}

#[test]
fn syn_payload_starts_at_offset_zero() {
    let mut h = Harness::standard();
    h.feed(c2s(41, 0, SYN, b"fast"));
    h.feed(c2s(46, 0, ACK, b"open"));
    assert_eq!(h.take(), vec![opened(0, CLIENT, SERVER, true), data(0, I, b"fast"), data(0, I, b"open")]);
}

#[test]
fn reordered_segments_are_delivered_when_the_hole_fills() {
    let mut h = Harness::standard();
    h.feed(c2s(0, 0, SYN, b""));
    h.take();
    h.feed(c2s(6, 0, ACK, b"world"));
    assert_eq!(h.take(), vec![]);
    assert_eq!(h.table.buffered_bytes(), 5 + stream::PIECE_OVERHEAD);
    h.feed(c2s(1, 0, ACK, b"hello"));
    assert_eq!(h.take(), vec![data(0, I, b"hello"), data(0, I, b"world")]);
    assert_eq!(h.table.buffered_bytes(), 0);
    assert_eq!(h.table.stats().out_of_order_segments, 1);
    assert_eq!(h.table.stats().retransmitted_bytes, 0);
}

#[test]
fn retransmissions_and_overlaps_deliver_only_new_bytes() {
    let mut h = Harness::standard();
    h.feed(c2s(999, 0, SYN, b""));
    h.take();
    let t = |a: usize, b: usize| &TEXT[a..b];
    h.feed(c2s(1000, 0, ACK, t(0, 10)));
    h.feed(c2s(1000, 0, ACK, t(0, 10)));
    assert_eq!(h.table.stats().retransmitted_bytes, 10);
    h.feed(c2s(1005, 0, ACK, t(5, 15)));
    assert_eq!(h.table.stats().retransmitted_bytes, 15);
    // Buffered ahead, then a segment straddling delivered bytes and the buffered piece.
    h.feed(c2s(1020, 0, ACK, t(20, 25)));
    h.feed(c2s(1012, 0, ACK, t(12, 22)));
    assert_eq!(
        h.take(),
        vec![data(0, I, t(0, 10)), data(0, I, t(10, 15)), data(0, I, t(15, 22)), data(0, I, t(22, 25)),]
    );
    assert_eq!(h.table.stats().retransmitted_bytes, 15 + 3 + 2);
    assert_eq!(h.table.buffered_bytes(), 0);
}

#[test]
fn overlapping_out_of_order_segments() {
    let mut h = Harness::standard();
    h.feed(c2s(99, 0, SYN, b""));
    h.take();
    let t = |a: usize, b: usize| &TEXT[a..b];
    h.feed(c2s(110, 0, ACK, t(10, 20)));
    h.feed(c2s(115, 0, ACK, t(15, 25)));
    h.feed(c2s(105, 0, ACK, t(5, 12)));
    h.feed(c2s(130, 0, ACK, t(30, 35)));
    h.feed(c2s(108, 0, ACK, t(8, 22)));
    assert_eq!(h.take(), vec![]);
    assert_eq!(h.table.stats().retransmitted_bytes, 5 + 2 + 14);
    h.feed(c2s(100, 0, ACK, t(0, 5)));
    assert_eq!(
        h.take(),
        vec![data(0, I, t(0, 5)), data(0, I, t(5, 10)), data(0, I, t(10, 20)), data(0, I, t(20, 25)),]
    );
    h.feed(c2s(125, 0, ACK, t(25, 30)));
    assert_eq!(h.take(), vec![data(0, I, t(25, 30)), data(0, I, t(30, 35))]);
    assert_eq!(h.table.buffered_bytes(), 0);
}

#[test]
fn ack_beyond_a_hole_declares_it_lost() {
    let mut h = Harness::standard();
    h.feed(c2s(0, 0, SYN, b""));
    h.feed(s2c(500, 1, SYN | ACK, b""));
    h.take();
    let t = |a: usize, b: usize| &TEXT[a..b];
    h.feed(c2s(1, 501, ACK, t(0, 10)));
    h.feed(c2s(21, 501, ACK, t(20, 30)));
    // Acknowledging up to the hole only changes nothing.
    h.feed(s2c(501, 11, ACK, b""));
    assert_eq!(h.take(), vec![data(0, I, t(0, 10))]);
    // The server got bytes 10..30: the capture missed 10..20.
    h.feed(s2c(501, 31, ACK, b""));
    assert_eq!(h.take(), vec![gap(0, I, 10), data(0, I, t(20, 30))]);
    // An acknowledgment ahead of all data seen: the gap comes with the next data.
    h.feed(s2c(501, 36, ACK, b"ok"));
    assert_eq!(h.take(), vec![data(0, R, b"ok")]);
    h.feed(c2s(36, 503, ACK, b"xyz"));
    assert_eq!(h.take(), vec![gap(0, I, 5), data(0, I, b"xyz")]);
    // The late copy of a gapped range is old news.
    h.feed(c2s(11, 503, ACK, t(10, 20)));
    assert_eq!(h.take(), vec![]);
    let st = h.table.stats();
    assert_eq!((st.gaps, st.gap_bytes), (2, 15));
}

#[test]
fn per_direction_cap_gives_up_the_first_hole() {
    let cfg = FlowConfig { max_buffered_bytes_per_direction: 200, ..FlowConfig::default() };
    let mut h = Harness::new(cfg);
    let body: Vec<u8> = (0..=255u8).cycle().take(200).collect();
    let b = |a: usize, z: usize| &body[a..z];
    h.feed(c2s(0, 0, SYN, b""));
    h.take();
    h.feed(c2s(11, 0, ACK, b(10, 60)));
    assert_eq!(h.take(), vec![]);
    // 50 + 64 held, another 50 + 64 would pass 200.
    h.feed(c2s(71, 0, ACK, b(70, 120)));
    assert_eq!(h.take(), vec![gap(0, I, 10), data(0, I, b(10, 60))]);
    assert_eq!(h.table.buffered_bytes(), 50 + stream::PIECE_OVERHEAD);
    h.finish();
    assert_eq!(h.take(), vec![gap(0, I, 10), data(0, I, b(70, 120)), closed(0, EndReason::CaptureEnd)]);
    assert_eq!(h.table.buffered_bytes(), 0);
}

#[test]
fn global_cap_gives_up_the_hole_of_the_flow_that_grows() {
    let cfg = FlowConfig { max_buffered_bytes_total: 200, ..FlowConfig::default() };
    let mut h = Harness::new(cfg);
    let other = "10.0.0.3:50000";
    h.feed(c2s(0, 0, SYN, b""));
    h.feed(seg(other, SERVER, 0, 0, SYN, b""));
    h.take();
    h.feed(c2s(11, 0, ACK, &[7u8; 50]));
    h.feed(seg(other, SERVER, 11, 0, ACK, &[9u8; 50]));
    assert_eq!(h.take(), vec![gap(1, I, 10), data(1, I, &[9u8; 50])]);
    assert_eq!(h.table.buffered_bytes(), 50 + stream::PIECE_OVERHEAD);
}

#[test]
fn finish_flushes_holes_in_creation_order() {
    let mut h = Harness::standard();
    let other = "10.0.0.3:50000";
    h.feed(c2s(0, 0, SYN, b""));
    h.feed(seg(other, SERVER, 0, 0, SYN, b""));
    h.feed(c2s(4, 0, ACK, b"tail"));
    h.feed(seg(other, SERVER, 1, 0, ACK, b"ok"));
    assert_eq!(h.take(), vec![opened(0, CLIENT, SERVER, true), opened(1, other, SERVER, true), data(1, I, b"ok"),]);
    h.finish();
    assert_eq!(
        h.take(),
        vec![gap(0, I, 3), data(0, I, b"tail"), closed(0, EndReason::CaptureEnd), closed(1, EndReason::CaptureEnd),]
    );
    assert!(h.table.is_empty());
}

#[test]
fn fin_past_a_hole_gives_it_up() {
    let mut h = Harness::standard();
    h.feed(c2s(0, 0, SYN, b""));
    h.take();
    h.feed(c2s(1, 0, ACK, b"abcde"));
    h.feed(c2s(11, 0, ACK, b"klmno"));
    // FIN at offset 20: 5..10 and 15..20 never arrived.
    h.feed(c2s(21, 0, ACK | FIN, b""));
    assert_eq!(h.take(), vec![data(0, I, b"abcde"), gap(0, I, 5), data(0, I, b"klmno"), gap(0, I, 5), ended(0, I),]);
    // Data after the FIN is not part of the stream.
    h.feed(c2s(16, 0, ACK, b"pqrst"));
    assert_eq!(h.take(), vec![]);
}

#[test]
fn fin_with_payload_ends_after_it() {
    let mut h = Harness::standard();
    h.feed(c2s(0, 0, SYN, b""));
    h.feed(c2s(1, 0, ACK | FIN, b"bye"));
    h.feed(s2c(0, 5, ACK | FIN, b"ciao"));
    assert_eq!(
        h.take(),
        vec![
            opened(0, CLIENT, SERVER, true),
            data(0, I, b"bye"),
            ended(0, I),
            data(0, R, b"ciao"),
            ended(0, R),
            closed(0, EndReason::Fin),
        ]
    );
}

#[test]
fn missing_tail_becomes_a_gap() {
    let mut h = Harness::standard();
    h.feed(c2s(0, 0, SYN, b""));
    h.take();
    let mut cut = c2s(1, 0, ACK, b"abcde");
    cut.missing_tail = 5;
    h.feed(cut);
    assert_eq!(h.take(), vec![data(0, I, b"abcde"), gap(0, I, 5)]);
    h.feed(c2s(11, 0, ACK, b"klmno"));
    assert_eq!(h.take(), vec![data(0, I, b"klmno")]);
    // Out of order with a cut tail: the lost range waits in the buffer in its place.
    let mut cut = c2s(21, 0, ACK, b"uvwxy");
    cut.missing_tail = 5;
    h.feed(cut);
    h.feed(c2s(31, 0, ACK, b"EFGHI"));
    // A retransmission of the cut range comes after it was recorded as lost (kept simple).
    h.feed(c2s(26, 0, ACK, b"zABCD"));
    assert_eq!(h.take(), vec![]);
    h.feed(c2s(16, 0, ACK, b"pqrst"));
    assert_eq!(h.take(), vec![data(0, I, b"pqrst"), data(0, I, b"uvwxy"), gap(0, I, 5), data(0, I, b"EFGHI"),]);
    // In order, a cut tail over bytes already buffered delivers the buffered bytes.
    h.feed(c2s(41, 0, ACK, b"KLM"));
    let mut cut = c2s(36, 0, ACK, b"J");
    cut.missing_tail = 8;
    h.feed(cut);
    assert_eq!(h.take(), vec![data(0, I, b"J"), gap(0, I, 4), data(0, I, b"KLM"), gap(0, I, 1)]);
}

#[test]
fn hostile_missing_tail_is_bounded() {
    let mut h = Harness::standard();
    let mut cut = c2s(10, 0, ACK, b"a");
    cut.missing_tail = u32::MAX;
    h.feed(cut);
    assert_eq!(
        h.take(),
        vec![opened(0, CLIENT, SERVER, false), data(0, I, b"a"), gap(0, I, stream::MAX_MISSING_TAIL),]
    );
}

#[test]
fn sequence_numbers_wrap() {
    let mut h = Harness::standard();
    let isn = 0xFFFF_FFF0u32;
    let body: Vec<u8> = (0..64u8).collect();
    h.feed(c2s(isn, 0, SYN, b""));
    h.feed(s2c(7, isn.wrapping_add(1), SYN | ACK, b""));
    h.take();
    let at = |off: u32| isn.wrapping_add(1).wrapping_add(off);
    h.feed(c2s(at(0), 8, ACK, &body[0..10]));
    h.feed(c2s(at(26), 8, ACK, &body[26..40]));
    h.feed(c2s(at(10), 8, ACK, &body[10..26]));
    // Server acknowledges through 50 across the wrap: 40..45 was missed.
    h.feed(c2s(at(45), 8, ACK, &body[45..50]));
    h.feed(s2c(8, at(50), ACK, b""));
    h.feed(c2s(at(50), 8, ACK, &body[50..64]));
    assert!(at(26) < at(0), "the stream crosses 2^32");
    assert_eq!(
        h.take(),
        vec![
            data(0, I, &body[0..10]),
            data(0, I, &body[10..26]),
            data(0, I, &body[26..40]),
            gap(0, I, 5),
            data(0, I, &body[45..50]),
            data(0, I, &body[50..64]),
        ]
    );
}

#[test]
fn long_stream_offsets_pass_4_gib() {
    // A mid-stream flow pushed past 2^32 bytes in large jumps through missing tails.
    let mut h = Harness::standard();
    let mut seq = 123u32;
    let step = 1u32 << 20;
    let mut total = 0u64;
    for _ in 0..5000 {
        let mut s = c2s(seq, 0, ACK, b"x");
        s.missing_tail = step - 1;
        h.feed(s);
        seq = seq.wrapping_add(step);
        total += u64::from(step);
    }
    h.feed(c2s(seq, 0, ACK, b"end"));
    let events = h.take();
    assert!(total > 1 << 32);
    assert_eq!(events.last(), Some(&data(0, I, b"end")));
    let gap_bytes: u64 = events.iter().map(|e| if let Ev::Gap { bytes, .. } = e { *bytes } else { 0 }).sum();
    assert_eq!(gap_bytes, total - 5000);
}

#[test]
fn rst_flushes_and_closes() {
    let mut h = Harness::standard();
    h.feed(c2s(0, 0, SYN, b""));
    h.feed(s2c(100, 1, SYN | ACK, b""));
    h.take();
    h.feed(c2s(1, 101, ACK, b"ab"));
    h.feed(c2s(5, 101, ACK, b"ef"));
    h.feed(s2c(101, 3, RST | ACK, b""));
    assert_eq!(h.take(), vec![data(0, I, b"ab"), gap(0, I, 2), data(0, I, b"ef"), closed(0, EndReason::Rst)]);
    assert!(h.table.is_empty());
    // Data racing the reset, and repeated resets, stay with the closed flow.
    h.feed(c2s(7, 101, ACK, b"gh"));
    h.feed(s2c(101, 0, RST, b""));
    assert_eq!(h.take(), vec![]);
    assert_eq!(h.table.stats().segments_after_close, 2);
}

#[test]
fn rst_without_a_flow_is_dropped() {
    let mut h = Harness::standard();
    h.feed(c2s(1, 0, RST, b""));
    assert_eq!(h.take(), vec![]);
    assert_eq!(h.table.stats().stray_segments, 1);
    assert_eq!(h.table.stats().flows, 0);
}

#[test]
fn new_syn_with_another_isn_starts_a_new_flow() {
    let mut h = Harness::standard();
    h.feed(c2s(1000, 0, SYN, b""));
    h.feed(c2s(1000, 0, SYN, b""));
    h.feed(c2s(1001, 0, ACK, b"one"));
    // Reused port while the old flow is still open.
    h.feed(c2s(7000, 0, SYN, b""));
    h.feed(c2s(7001, 0, ACK, b"two"));
    assert_eq!(
        h.take(),
        vec![
            opened(0, CLIENT, SERVER, true),
            data(0, I, b"one"),
            closed(0, EndReason::Evicted),
            opened(1, CLIENT, SERVER, true),
            data(1, I, b"two"),
        ]
    );
    assert_eq!(h.table.stats().flows_superseded, 1);
    assert_eq!(h.table.stats().flows_evicted, 0);
    // Close it properly, then reuse the port again.
    h.feed(c2s(7004, 0, ACK | FIN, b""));
    h.feed(s2c(40, 7005, ACK | FIN, b""));
    h.feed(c2s(9000, 0, SYN, b""));
    h.feed(s2c(300, 9001, SYN | ACK, b""));
    h.feed(s2c(301, 9001, ACK, b"three"));
    assert_eq!(
        h.take(),
        vec![
            ended(1, I),
            ended(1, R),
            closed(1, EndReason::Fin),
            opened(2, CLIENT, SERVER, true),
            data(2, R, b"three"),
        ]
    );
    assert_eq!(h.table.len(), 1);
}

#[test]
fn new_bytes_after_a_fin_close_start_a_mid_stream_flow() {
    let mut h = Harness::standard();
    h.feed(c2s(0, 0, SYN, b""));
    h.feed(c2s(1, 0, ACK | FIN, b"abc"));
    h.feed(s2c(50, 5, ACK | FIN, b""));
    // Retransmitted FIN: absorbed. New bytes past the FIN: another connection.
    h.feed(c2s(1, 0, ACK | FIN, b"abc"));
    h.feed(c2s(100, 0, ACK, b"new"));
    assert_eq!(
        h.take(),
        vec![
            opened(0, CLIENT, SERVER, true),
            data(0, I, b"abc"),
            ended(0, I),
            ended(0, R),
            closed(0, EndReason::Fin),
            opened(1, CLIENT, SERVER, false),
            data(1, I, b"new"),
        ]
    );
}

#[test]
fn without_linger_closed_flows_are_forgotten() {
    let cfg = FlowConfig { closed_linger_secs: 0, ..FlowConfig::default() };
    let mut h = Harness::new(cfg);
    h.feed(c2s(0, 0, SYN, b""));
    h.feed(s2c(0, 1, RST | ACK, b""));
    h.feed(c2s(1, 1, ACK, b""));
    assert_eq!(
        h.take(),
        vec![opened(0, CLIENT, SERVER, true), closed(0, EndReason::Rst), opened(1, CLIENT, SERVER, false),]
    );
}

#[test]
fn closed_flows_are_forgotten_after_the_linger_time() {
    let mut h = Harness::standard();
    h.feed_at(100, c2s(0, 0, SYN, b""));
    h.feed_at(101, c2s(1, 0, ACK | FIN, b""));
    h.feed_at(102, s2c(9, 2, ACK | FIN, b""));
    h.take();
    h.expire(162);
    h.feed_at(162, c2s(2, 10, ACK, b""));
    assert_eq!(h.take(), vec![], "still remembered after 60 s");
    h.expire(223);
    h.feed_at(223, c2s(2, 10, ACK, b""));
    assert_eq!(h.take(), vec![opened(1, CLIENT, SERVER, false)]);
}

#[test]
fn only_the_most_recent_closed_flows_are_remembered() {
    let cfg = FlowConfig { max_closed_flows: 2, ..FlowConfig::default() };
    let mut h = Harness::new(cfg);
    let clients = ["10.0.0.1:40001", "10.0.0.1:40002", "10.0.0.1:40003"];
    for c in clients {
        h.feed(seg(c, SERVER, 0, 0, SYN, b""));
        h.feed(seg(c, SERVER, 1, 0, ACK | FIN, b""));
        h.feed(seg(SERVER, c, 9, 2, ACK | FIN, b""));
    }
    h.take();
    // The last two closed connections still absorb their final ACKs ...
    h.feed(seg(clients[1], SERVER, 2, 10, ACK, b""));
    h.feed(seg(clients[2], SERVER, 2, 10, ACK, b""));
    assert_eq!(h.take(), vec![]);
    // ... the first one was forgotten to keep the table small: its late packet starts a flow.
    h.feed(seg(clients[0], SERVER, 2, 10, ACK, b""));
    assert_eq!(h.take(), vec![opened(3, clients[0], SERVER, false)]);
}

#[test]
fn ignore_on_opened_keeps_only_closed() {
    let mut h = Harness::standard();
    h.ignore = |e| matches!(e, Ev::Opened { .. });
    h.feed(c2s(0, 0, SYN, b""));
    h.feed(s2c(0, 1, SYN | ACK, b""));
    h.feed(c2s(1, 1, ACK, b"GET / HTTP/1.1"));
    h.feed(c2s(30, 1, ACK, b"later"));
    h.feed(s2c(1, 15, ACK, b"HTTP/1.1 200"));
    // A retransmitted SYN of the same connection opens nothing.
    h.feed(c2s(0, 0, SYN, b""));
    assert_eq!(h.table.buffered_bytes(), 0);
    h.feed(c2s(35, 13, ACK | FIN, b""));
    h.feed(s2c(13, 36, ACK | FIN, b""));
    // A late retransmission of ignored data stays with the closed flow.
    h.feed(c2s(1, 14, ACK, b"GET / HTTP/1.1"));
    assert_eq!(h.take(), vec![opened(0, CLIENT, SERVER, true), closed(0, EndReason::Fin)]);
    let st = h.table.stats();
    assert_eq!((st.flows, st.flows_ignored, st.bytes_delivered), (1, 1, 0));
}

#[test]
fn ignore_on_data_stops_delivery_at_once() {
    let mut h = Harness::standard();
    h.ignore = |e| matches!(e, Ev::Data { .. });
    h.feed(c2s(0, 0, SYN, b""));
    h.feed(c2s(4, 0, ACK, b"def"));
    h.feed(c2s(7, 0, ACK, b"ghi"));
    assert!(h.table.buffered_bytes() > 0);
    h.feed(c2s(1, 0, ACK, b"abc"));
    assert_eq!(h.table.buffered_bytes(), 0);
    h.feed(c2s(10, 0, ACK, b"jkl"));
    h.finish();
    assert_eq!(h.take(), vec![opened(0, CLIENT, SERVER, true), data(0, I, b"abc"), closed(0, EndReason::CaptureEnd),]);
}

#[test]
fn ignore_while_flushing_still_closes() {
    let mut h = Harness::standard();
    h.ignore = |e| matches!(e, Ev::Gap { .. });
    h.feed(c2s(0, 0, SYN, b""));
    h.feed(c2s(4, 0, ACK, b"def"));
    h.feed(s2c(0, 0, SYN | ACK, b""));
    h.feed(s2c(5, 0, ACK, b"late"));
    h.feed(s2c(0, 1, RST | ACK, b""));
    assert_eq!(h.take(), vec![opened(0, CLIENT, SERVER, true), gap(0, I, 3), closed(0, EndReason::Rst),]);
    assert_eq!(h.table.buffered_bytes(), 0);
}

#[test]
fn full_table_evicts_the_least_recently_active_flow() {
    let cfg = FlowConfig { max_flows: 3, ..FlowConfig::default() };
    let mut h = Harness::new(cfg);
    let a = "10.0.0.1:1";
    let b = "10.0.0.1:2";
    let c = "10.0.0.1:3";
    let d = "10.0.0.1:4";
    let e = "10.0.0.1:5";
    h.feed_at(10, seg(a, SERVER, 0, 0, SYN, b""));
    h.feed_at(11, seg(b, SERVER, 0, 0, SYN, b""));
    h.feed_at(12, seg(c, SERVER, 0, 0, SYN, b""));
    h.feed_at(13, seg(a, SERVER, 1, 0, ACK, b"a"));
    h.feed_at(14, seg(b, SERVER, 3, 0, ACK, b"held"));
    h.feed_at(15, seg(c, SERVER, 1, 0, ACK, b"c"));
    h.take();
    // a is the least recently active now.
    h.feed_at(16, seg(d, SERVER, 0, 0, SYN, b""));
    h.feed_at(17, seg(e, SERVER, 0, 0, SYN, b""));
    assert_eq!(
        h.take(),
        vec![
            closed(0, EndReason::Evicted),
            opened(3, d, SERVER, true),
            gap(1, I, 2),
            data(1, I, b"held"),
            closed(1, EndReason::Evicted),
            opened(4, e, SERVER, true),
        ]
    );
    assert_eq!(h.table.len(), 3);
    assert_eq!(h.table.stats().flows_evicted, 2);
    assert_eq!(h.table.buffered_bytes(), 0);
}

#[test]
fn closed_flows_make_room_before_open_ones() {
    let cfg = FlowConfig { max_flows: 2, ..FlowConfig::default() };
    let mut h = Harness::new(cfg);
    let a = "10.0.0.1:1";
    let b = "10.0.0.1:2";
    let c = "10.0.0.1:3";
    h.feed(seg(a, SERVER, 0, 0, SYN, b""));
    h.feed(seg(b, SERVER, 0, 0, SYN, b""));
    h.feed(seg(SERVER, b, 0, 1, RST | ACK, b""));
    h.feed(seg(a, SERVER, 1, 0, ACK, b"x"));
    h.feed(seg(c, SERVER, 0, 0, SYN, b""));
    assert_eq!(
        h.take(),
        vec![
            opened(0, a, SERVER, true),
            opened(1, b, SERVER, true),
            closed(1, EndReason::Rst),
            data(0, I, b"x"),
            opened(2, c, SERVER, true),
        ]
    );
    assert_eq!(h.table.stats().flows_evicted, 0);
}

#[test]
fn idle_flows_time_out_in_activity_order() {
    let cfg = FlowConfig { idle_timeout_secs: 10, ..FlowConfig::default() };
    let mut h = Harness::new(cfg);
    let a = "10.0.0.1:1";
    let b = "10.0.0.1:2";
    h.feed_at(0, seg(a, SERVER, 0, 0, SYN, b""));
    h.feed_at(5, seg(b, SERVER, 0, 0, SYN, b""));
    h.feed_at(6, seg(b, SERVER, 3, 0, ACK, b"zz"));
    h.feed_at(8, seg(a, SERVER, 1, 0, ACK, b"a"));
    // Timestamps stepping back do not make a flow look older than it is.
    h.feed_at(2, seg(a, SERVER, 2, 0, ACK, b"b"));
    h.take();
    h.expire(16);
    assert_eq!(h.take(), vec![]);
    h.expire(17);
    assert_eq!(h.take(), vec![gap(1, I, 2), data(1, I, b"zz"), closed(1, EndReason::Timeout)]);
    h.expire(18);
    assert_eq!(h.take(), vec![]);
    h.expire(19);
    assert_eq!(h.take(), vec![closed(0, EndReason::Timeout)]);
    assert_eq!(h.table.stats().flows_timed_out, 2);
    assert!(h.table.is_empty());
}

#[test]
fn segments_far_ahead_of_the_stream_are_dropped() {
    let mut h = Harness::standard();
    h.feed(c2s(0, 0, SYN, b""));
    h.take();
    h.feed(c2s(1 + (1 << 30) + 1, 0, ACK, b"far"));
    h.feed(c2s(1, 0, ACK, b"near"));
    assert_eq!(h.take(), vec![data(0, I, b"near")]);
    assert_eq!(h.table.stats().segments_out_of_window, 1);
}

#[test]
fn ipv6_flows() {
    let mut h = Harness::standard();
    let c6 = "[2001:db8::1]:50000";
    let s6 = "[2001:db8::2]:443";
    h.feed(seg(c6, s6, 10, 0, SYN, b""));
    h.feed(seg(s6, c6, 20, 11, SYN | ACK, b""));
    h.feed(seg(c6, s6, 11, 21, ACK, b"v6"));
    assert_eq!(h.take(), vec![opened(0, c6, s6, true), data(0, I, b"v6")]);
}

/// xorshift64*: deterministic randomness for the stream tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

struct RandomRun {
    /// Data and gaps of the client direction, in order.
    events: Vec<Ev>,
    original: Vec<u8>,
    stats: TcpStats,
}

/// Sends a random stream from the client, cut into random segments, reordered within a small
/// window, with duplicates and re-cut overlapping retransmissions; `drop_percent` of the
/// segments never reach the capture; optionally the server acknowledges what it received.
fn random_run(seed: u64, len: usize, drop_percent: u64, acks: bool, cfg: FlowConfig) -> RandomRun {
    let mut rng = Rng(seed);
    let original: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
    let mut cuts = Vec::new();
    let mut pos = 0;
    while pos < len {
        let n = (1 + rng.below(1400) as usize).min(len - pos);
        cuts.push((pos, pos + n));
        pos += n;
    }
    let mut sends: Vec<(usize, usize)> = Vec::new();
    for &(a, b) in &cuts {
        sends.push((a, b));
        if rng.chance(10) {
            sends.push((a, b));
        }
        if rng.chance(5) {
            let from = a.saturating_sub(rng.below(2000) as usize);
            let to = (b + rng.below(2000) as usize).min(len);
            sends.push((from, to));
        }
    }
    for i in 0..sends.len() {
        let j = (i + rng.below(8) as usize).min(sends.len() - 1);
        sends.swap(i, j);
    }
    let isn = 0xFFFF_0000u32;
    let seq_of = |off: usize| isn.wrapping_add(1).wrapping_add(off as u32);
    let mut h = Harness::new(cfg);
    h.feed(c2s(isn, 0, SYN, b""));
    h.feed(s2c(77, seq_of(0), SYN | ACK, b""));
    // What the server received (everything sent, captured or not) and its contiguous prefix.
    let mut received = vec![false; len];
    let mut prefix = 0;
    for (n, &(a, b)) in sends.iter().enumerate() {
        received[a..b].iter_mut().for_each(|r| *r = true);
        while prefix < len && received[prefix] {
            prefix += 1;
        }
        if !rng.chance(drop_percent) {
            h.feed(c2s(seq_of(a), 78, ACK, &original[a..b]));
        }
        if acks && n % 3 == 0 {
            h.feed(s2c(78, seq_of(prefix), ACK, b""));
        }
    }
    h.feed(c2s(seq_of(len), 78, ACK | FIN, b""));
    assert_eq!(h.table.buffered_bytes(), 0, "the FIN released every buffered byte");
    h.finish();
    let events: Vec<Ev> = h.take().into_iter().filter(|e| matches!(e, Ev::Data { .. } | Ev::Gap { .. })).collect();
    RandomRun { events, original, stats: h.table.stats().clone() }
}

/// Checks every delivered byte against the original at its offset; returns (delivered, gap
/// bytes, gaps).
fn account(run: &RandomRun) -> (usize, u64, usize) {
    let mut pos = 0usize;
    let (mut delivered, mut gap_bytes, mut gaps) = (0, 0, 0);
    for e in &run.events {
        match e {
            Ev::Data { from, bytes, .. } => {
                assert_eq!(*from, I);
                assert_eq!(&run.original[pos..pos + bytes.len()], &bytes[..], "bytes at {pos}");
                pos += bytes.len();
                delivered += bytes.len();
            }
            Ev::Gap { from, bytes, .. } => {
                assert_eq!(*from, I);
                pos += *bytes as usize;
                gap_bytes += bytes;
                gaps += 1;
            }
            _ => unreachable!(),
        }
    }
    assert_eq!(pos, run.original.len(), "data and gaps cover the stream exactly");
    (delivered, gap_bytes, gaps)
}

#[test]
fn random_reordered_duplicated_stream_is_rebuilt_exactly() {
    for seed in 1..=6u64 {
        for acks in [false, true] {
            let run = random_run(seed, 300_000, 0, acks, FlowConfig::default());
            let rebuilt: Vec<u8> = run
                .events
                .iter()
                .flat_map(|e| match e {
                    Ev::Data { bytes, .. } => bytes.clone(),
                    other => panic!("unexpected {other:?}"),
                })
                .collect();
            assert!(rebuilt == run.original, "seed {seed}");
            assert!(run.stats.out_of_order_segments > 0);
            assert!(run.stats.retransmitted_bytes > 0);
            assert_eq!(run.stats.gaps, 0);
        }
    }
}

#[test]
fn random_stream_with_losses_is_accounted_exactly() {
    let small = FlowConfig { max_buffered_bytes_per_direction: 8_000, ..FlowConfig::default() };
    for seed in 1..=6u64 {
        for (acks, cfg) in [(false, FlowConfig::default()), (true, FlowConfig::default()), (true, small.clone())] {
            let run = random_run(seed, 300_000, 4, acks, cfg);
            let (delivered, gap_bytes, gaps) = account(&run);
            assert!(gaps > 0, "seed {seed}: losses show as gaps");
            assert_eq!(delivered as u64 + gap_bytes, 300_000);
            assert_eq!(run.stats.gap_bytes, gap_bytes);
        }
    }
}

#[test]
fn gaps_carry_their_offset_and_cause() {
    // Lost by the capture (the server acknowledges past the hole): capture_loss at its offset.
    let mut table = FlowTable::new(FlowConfig::default());
    let mut gaps = Vec::new();
    let ts = Timestamp::new(1_700_000_000, 0, 6);
    let feed = |table: &mut FlowTable, s: TcpSegment<'_>, gaps: &mut Vec<(Side, u64, u64, GapCause)>| {
        table.process(&s, ts, &mut |e| {
            if let FlowEvent::Gap { from, offset, bytes, cause, .. } = e {
                gaps.push((from, offset, bytes, cause));
            }
            Verdict::Continue
        })
    };
    feed(&mut table, c2s(1000, 0, SYN, b""), &mut gaps);
    feed(&mut table, s2c(5000, 1001, SYN | ACK, b""), &mut gaps);
    feed(&mut table, c2s(1001, 5001, ACK, b"01234"), &mut gaps);
    // Bytes 5..9 are never captured; 9.. arrive.
    feed(&mut table, c2s(1010, 5001, ACK, b"9abc"), &mut gaps);
    assert!(gaps.is_empty(), "still waiting for the hole");
    feed(&mut table, s2c(5001, 1014, ACK, b""), &mut gaps);
    assert_eq!(gaps, vec![(Side::Initiator, 5, 4, GapCause::CaptureLoss)]);

    // A full buffer gives up on the hole: buffer_limit.
    let cfg = FlowConfig { max_buffered_bytes_per_direction: 200, ..FlowConfig::default() };
    let mut table = FlowTable::new(cfg);
    gaps.clear();
    feed(&mut table, c2s(1000, 0, SYN, b""), &mut gaps);
    feed(&mut table, c2s(1011, 0, ACK, &[7u8; 100]), &mut gaps);
    feed(&mut table, c2s(1111, 0, ACK, &[7u8; 100]), &mut gaps);
    assert_eq!(gaps, vec![(Side::Initiator, 0, 10, GapCause::BufferLimit)]);

    // An evicted flow's open hole: evicted.
    let cfg = FlowConfig { max_flows: 1, ..FlowConfig::default() };
    let mut table = FlowTable::new(cfg);
    gaps.clear();
    feed(&mut table, c2s(1000, 0, SYN, b""), &mut gaps);
    feed(&mut table, c2s(1021, 0, ACK, b"late"), &mut gaps);
    feed(&mut table, seg("10.0.0.9:1234", SERVER, 1, 0, SYN, b""), &mut gaps);
    assert_eq!(gaps, vec![(Side::Initiator, 0, 20, GapCause::Evicted)]);

    // Cut by the snap length: snaplen, right after the captured bytes.
    let mut table = FlowTable::new(FlowConfig::default());
    gaps.clear();
    feed(&mut table, c2s(1000, 0, SYN, b""), &mut gaps);
    let mut cut = c2s(1001, 0, ACK, b"abc");
    cut.missing_tail = 30;
    feed(&mut table, cut, &mut gaps);
    assert_eq!(gaps, vec![(Side::Initiator, 3, 30, GapCause::Snaplen)]);
}
