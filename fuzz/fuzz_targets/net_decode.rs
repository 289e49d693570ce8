//! Link and IP decoding: a sequence of frames, each with a link type, through one decoder (so IP
//! fragment reassembly state carries across frames).
//!
//! Input: repeated `[link selector: 1][timestamp step: 1][snap cut: 1][length: 2][frame]`.
#![no_main]

#[path = "common.rs"]
mod common;

use common::Cursor;
use libfuzzer_sys::fuzz_target;
use tlstrace::net::{NetConfig, NetDecoder, NetOutcome};
use tlstrace::time::Timestamp;

/// Supported link types (and a few that are not): Ethernet, raw IP variants, BSD loopback,
/// Linux SLL/SLL2, PPP-less null, 802.11 (unsupported).
const LINKTYPES: [u32; 10] = [1, 101, 12, 14, 228, 229, 0, 108, 113, 276];

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    let mut decoder = NetDecoder::new(NetConfig {
        max_fragment_bytes: 64 << 10,
        max_fragment_datagrams: 16,
        fragment_timeout_secs: 2,
    });
    let mut secs = 0i64;
    while !input.is_empty() {
        let sel = input.u8();
        let linktype = match LINKTYPES.get(usize::from(sel)) {
            Some(&lt) => lt,
            None => u32::from(sel),
        };
        secs += i64::from(input.u8() % 4);
        let cut = u32::from(input.u8());
        let len = usize::from(input.u16() % 4096);
        let frame = input.bytes(len);
        let orig_len = frame.len() as u32 + cut;
        if let Ok(NetOutcome::Tcp(seg)) = decoder.decode(linktype, frame, orig_len, Timestamp::new(secs, 0, 6)) {
            // A reassembled datagram may be larger than the frame, never larger than the caps.
            assert!(seg.payload.len() <= 64 << 10);
        }
        assert!(decoder.pending_fragment_bytes() <= 64 << 10);
        assert!(decoder.pending_fragment_datagrams() <= 16);
    }
    decoder.finish();
    assert_eq!(decoder.pending_fragment_datagrams(), 0);
});
