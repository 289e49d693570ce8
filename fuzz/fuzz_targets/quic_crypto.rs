//! CRYPTO stream reassembly (`quic::stream::CryptoStream`) driven by arbitrary frames: any
//! offset, length, order, overlap and duplication, with a small cap so dropping is reached.
//!
//! Input: `[cap: 2]`, then repeated frames `[offset: 3][length: 2]`.
//!
//! Every data byte is the low byte of its own stream offset, so the delivered stream can be
//! checked: it must be exactly the stream's bytes from 0 on, each once, in order.
#![no_main]

#[path = "common.rs"]
mod common;

use common::Cursor;
use libfuzzer_sys::fuzz_target;
use tlstrace::quic::stream::CryptoStream;

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    let cap = usize::from(input.u16() % 8192);
    let mut stream = CryptoStream::default();
    let mut delivered = 0u64;
    let mut frame = Vec::new();
    while !input.is_empty() {
        let offset = u64::from(u32::from_be_bytes([0, input.u8(), input.u8(), input.u8()]));
        let len = usize::from(input.u16() % 3000);
        frame.clear();
        frame.extend((0..len as u64).map(|i| (offset + i) as u8));
        stream.add(offset, &frame, cap, &mut |run: &[u8]| {
            for &b in run {
                assert_eq!(b, delivered as u8, "byte at offset {delivered} out of order");
                delivered += 1;
            }
        });
        assert_eq!(stream.delivered(), delivered, "delivered() disagrees with the bytes given out");
        assert!(stream.held_bytes() <= cap, "{} bytes held over the cap {cap}", stream.held_bytes());
    }
});
