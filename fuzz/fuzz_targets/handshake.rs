//! Every handshake message decoder on an arbitrary body, under every decoding context
//! (version, suite, direction, certificate type), then serialized as the JSON output would, and
//! the output's own serializer held to serde_json's bytes.
//!
//! Input: `[message type: 1][context: 3][body]`.
#![no_main]

#[path = "common.rs"]
mod common;

use common::Cursor;
use libfuzzer_sys::fuzz_target;
use tlstrace::fingerprint;
use tlstrace::msgs::{self, HandshakeBody};

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    let msg_type = input.u8();
    let (v, s, flags) = (input.u8(), input.u8(), input.u8());
    let ctx = common::decode_context(v, s, flags, flags >> 4);
    let body = input.rest();
    let decoded = msgs::decode_handshake(msg_type, body, &ctx);
    let reference = serde_json::to_string(&decoded.body).expect("decoded messages serialize");
    // The `--json` output's own serializer writes the same bytes (decoded bodies hold no floats,
    // whose shortest forms serde_json and sonic-rs may spell differently).
    let mut ours = Vec::new();
    tlstrace::output::json_writer::write(&mut ours, &decoded.body).expect("the JSON writer takes every decoded message");
    assert_eq!(String::from_utf8_lossy(&ours), reference, "the JSON writer and serde_json disagree");
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
