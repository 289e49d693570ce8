//! DTLS handshake framing: `dtls::handshake::fragments` over arbitrary record payloads, and
//! `dtls::handshake::Reassembler` over arbitrary fragments (any message_seq, offset, length,
//! order, overlap, conflict and retransmission) with a small cap so refusals are reached.
//!
//! Input: `[mode: 1]`. Mode even: the rest is one handshake record's payload. Mode odd:
//! `[cap: 2]`, then repeated fragments `[message_seq: 1][type: 1][length: 2][offset: 2][fragment length: 2]`.
//!
//! A fragment's body byte at position `i` of message `s` is `s * 31 + i` (low byte), so a
//! delivered message can be checked byte for byte, whatever fragments made it.
#![no_main]

#[path = "common.rs"]
mod common;

use common::Cursor;
use libfuzzer_sys::fuzz_target;
use tlstrace::dtls::handshake::{self, Delivery, Fragment, HEADER_LEN, Reassembler};

fn body_byte(seq: u16, i: usize) -> u8 {
    (usize::from(seq) * 31 + i) as u8
}

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    if input.u8() % 2 == 0 {
        parse(input.rest());
    } else {
        reassemble(&mut input);
    }
});

/// Parsed fragments are in bounds and, written back, give the payload again.
fn parse(payload: &[u8]) {
    let Ok(frags) = handshake::fragments(payload) else { return };
    let mut again = Vec::with_capacity(payload.len());
    for f in &frags {
        assert!(u64::from(f.offset) + f.data.len() as u64 <= u64::from(f.length), "fragment past its message");
        again.push(f.msg_type);
        again.extend_from_slice(&f.length.to_be_bytes()[1..]);
        again.extend_from_slice(&f.message_seq.to_be_bytes());
        again.extend_from_slice(&f.offset.to_be_bytes()[1..]);
        again.extend_from_slice(&(f.data.len() as u32).to_be_bytes()[1..]);
        again.extend_from_slice(f.data);
    }
    assert_eq!(again.len(), frags.len() * HEADER_LEN + frags.iter().map(|f| f.data.len()).sum::<usize>());
    assert_eq!(again, payload, "fragments do not write back to the payload");
}

fn reassemble(input: &mut Cursor<'_>) {
    let cap = usize::from(input.u16() % 16384);
    let mut r = Reassembler::default();
    let mut last_delivered: Option<u16> = None;
    let mut data = Vec::new();
    while !input.is_empty() {
        let message_seq = u16::from(input.u8() % 40);
        let msg_type = input.u8() % 4;
        let length = u32::from(input.u16() % 4000);
        let offset = u32::from(input.u16()).min(length);
        let frag_len = u32::from(input.u16()).min(length - offset);
        data.clear();
        data.extend((offset..offset + frag_len).map(|i| body_byte(message_seq, i as usize)));
        let f = Fragment { msg_type, length, message_seq, offset, data: &data };
        r.push(&f, cap, &mut |d| check(d, &mut last_delivered));
        assert!(r.buffered_bytes() <= cap, "{} bytes held over the cap {cap}", r.buffered_bytes());
    }
    r.flush(&mut |d| check(d, &mut last_delivered));
}

/// Messages come once each, in message_seq order, whole and with the bytes their fragments had.
fn check(d: Delivery<'_>, last: &mut Option<u16>) {
    let Delivery::Message { message_seq, raw, fragments, .. } = d else { return };
    assert!(last.is_none_or(|l| message_seq > l), "message {message_seq} after {last:?}");
    *last = Some(message_seq);
    assert!(fragments >= 1);
    let [_, a, b, c, body @ ..] = raw else { panic!("message shorter than its header") };
    let length = u32::from_be_bytes([0, *a, *b, *c]) as usize;
    assert_eq!(body.len(), length, "message {message_seq}: body length differs from its header");
    for (i, &byte) in body.iter().enumerate() {
        assert_eq!(byte, body_byte(message_seq, i), "message {message_seq}: byte {i} not from its fragments");
    }
}
