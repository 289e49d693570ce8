//! Every handshake message decoder on an arbitrary body, under every decoding context
//! (version, suite, direction, certificate type), then serialized as the JSON output would.
//!
//! Input: `[message type: 1][context: 3][body]`.
#![no_main]

#[path = "common.rs"]
mod common;

use common::Cursor;
use libfuzzer_sys::fuzz_target;
use tlstrace::fingerprint;
use tlstrace::msgs::{self, DecodeContext, HandshakeBody};
use tlstrace::time::Timestamp;

const VERSIONS: [u16; 6] = [0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x7f17];
/// Suites with different key exchange layouts: RSA, DHE, ECDHE, PSK, SRP, TLS 1.3, unknown.
const SUITES: [u16; 8] = [0x002f, 0x0033, 0xc02f, 0x008c, 0xc01a, 0x1301, 0xc0ac, 0xeeee];

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    let msg_type = input.u8();
    let (v, s, flags) = (input.u8(), input.u8(), input.u8());
    let ctx = DecodeContext {
        version: VERSIONS.get(usize::from(v % 8)).copied(),
        cipher_suite: SUITES.get(usize::from(s % 9)).copied(),
        from_server: flags & 1 != 0,
        capture_time: (flags & 2 != 0).then(|| Timestamp::new(1_700_000_000, 0, 6)),
        sni: (flags & 4 != 0).then(|| "tlstrace.test".to_string()),
        certificate_type: (flags & 8 != 0).then_some(flags >> 4),
    };
    let body = input.rest();
    let decoded = msgs::decode_handshake(msg_type, body, &ctx);
    serde_json::to_string(&decoded.body).expect("decoded messages serialize");
    // Hellos also feed the fingerprints, as they do in the pipeline.
    match &decoded.body {
        HandshakeBody::ClientHello { client_hello } => {
            serde_json::to_string(&fingerprint::client(client_hello)).expect("fingerprints serialize");
        }
        HandshakeBody::ServerHello { server_hello } => {
            serde_json::to_string(&fingerprint::server(server_hello)).expect("fingerprints serialize");
        }
        _ => {}
    }
});
