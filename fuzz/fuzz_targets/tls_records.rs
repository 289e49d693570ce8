//! TLS framing and decoding of one direction: record splitting (with gaps and resynchronisation),
//! handshake message reassembly, and the decoder of every message that comes out, plus the
//! SSLv2 hello and alert decoders.
//!
//! Input: `[start mode: 1][context: 4]`, then repeated chunks `[kind: 1][length: 2][bytes]`
//! where kind decides whether a gap precedes the chunk.
#![no_main]

#[path = "common.rs"]
mod common;

use common::Cursor;
use libfuzzer_sys::fuzz_target;
use tlstrace::msgs::{self, ClientHello};
use tlstrace::tls::record::{CONTENT_ALERT, CONTENT_HANDSHAKE, MAX_RECORD_PAYLOAD};
use tlstrace::tls::{HandshakeAssembler, RecordItem, RecordSplitter, Start};

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    let start = match input.u8() % 3 {
        0 => Start::Detect,
        1 => Start::Records,
        _ => Start::MidStream,
    };
    let c = input.u32().to_be_bytes();
    let ctx = common::decode_context(c[0], c[1], c[2], c[3]);
    let mut splitter = RecordSplitter::new(start);
    // Half the runs pass over application data unbuffered, as without a key log.
    splitter.skip_application_data(c[2] & 16 != 0);
    let mut assembler = HandshakeAssembler::default();
    let mut messages = 0usize;
    while !input.is_empty() {
        let kind = input.u8();
        let len = usize::from(input.u16() % 20_000);
        let chunk = input.bytes(len);
        if kind & 0x0f == 0 {
            let _ = splitter.gap();
            assembler.reset();
        }
        if kind & 0xf0 == 0x10 {
            splitter.peer_is_tls();
        }
        splitter.push(chunk, &mut |item| match item {
            RecordItem::Record(r) => {
                assert!(r.payload.len() <= 1 << 15);
                // A skipped record has no bytes; any other has exactly its length.
                assert!(r.payload.len() == r.length || (r.payload.is_empty() && r.content_type == 23));
                if r.content_type == CONTENT_HANDSHAKE {
                    let _ = assembler.push(r.payload, &mut |m| {
                        assert_eq!(m.raw.len(), m.body.len() + 4);
                        messages += 1;
                        let decoded = msgs::decode_handshake(m.msg_type, m.body, &ctx);
                        serde_json::to_string(&decoded.body).expect("decoded messages serialize");
                        let _ = msgs::handshake_name(m.msg_type);
                    });
                } else if r.content_type == CONTENT_ALERT {
                    let _ = msgs::decode_alert(r.payload);
                }
            }
            RecordItem::SslV2 { body } => {
                assert!(body.len() <= MAX_RECORD_PAYLOAD * 2);
                if let Ok(hello) = ClientHello::decode_sslv2(body.get(1..).unwrap_or_default()) {
                    serde_json::to_string(&hello).expect("hellos serialize");
                }
            }
            RecordItem::Skipped { .. } => {}
        });
        // Partial state stays bounded whatever the input claims.
        assert!(splitter.pending_len() <= 1 << 16);
        assert!(assembler.partial_len() <= tlstrace::tls::handshake::MAX_HANDSHAKE_MESSAGE + MAX_RECORD_PAYLOAD);
    }
    assert!(messages <= data.len());
});
