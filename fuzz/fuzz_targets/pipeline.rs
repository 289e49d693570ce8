//! The whole program over an arbitrary capture file: reader, link/IP, TCP, TLS, messages,
//! connection state, and both output formats.
//!
//! The key logs of the QUIC and DTLS fixtures are always loaded: inputs grown from those
//! fixtures' captures (the seeds) keep their client randoms, so their packets and records are
//! opened with keys and the fuzzer reaches the decryption of QUIC, DTLS 1.2 and DTLS 1.3
//! (unified headers, record numbers, epochs) past the AEAD.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use tlstrace::conn::events::Event;
use tlstrace::output::Sink;
use tlstrace::output::json::JsonSink;
use tlstrace::output::Needs;
use tlstrace::pipeline::{Pipeline, PipelineConfig};
use tlstrace::source::file::FileSource;

/// The fixtures' key logs (NSS format), one text.
const KEY_LOGS: &[&str] = &[
    include_str!("../../fixtures/captures/dtls12-ecdhe-rsa.keylog"),
    include_str!("../../fixtures/captures/dtls12-loss.keylog"),
    include_str!("../../fixtures/captures/dtls10-pre-standard.keylog"),
    include_str!("../../fixtures/captures/dtls13-plain.keylog"),
    include_str!("../../fixtures/captures/dtls13-cid.keylog"),
    include_str!("../../fixtures/captures/dtls13-loss.keylog"),
    include_str!("../../fixtures/captures/dtls13-small-mtu.keylog"),
    include_str!("../../fixtures/captures/quic-v1.keylog"),
    include_str!("../../fixtures/captures/quic-v1-zero-rtt.keylog"),
    include_str!("../../fixtures/captures/quic-v1-hrr.keylog"),
];

fuzz_target!(|data: &[u8]| {
    let stream = Box::new(std::io::Cursor::new(data.to_vec()));
    let Ok(mut source) = FileSource::from_reader("fuzz", stream, false, None) else {
        return;
    };
    // One input in four also goes through the decoding thread (the rest stay on this thread,
    // which is several times faster to start per input).
    // On the decoding thread, the JSON output's preparation too: what the worker writes for an
    // event must be what the output's thread would write for it.
    let parallel = data.len().is_multiple_of(4);
    let prepare = if parallel { JsonSink::new(std::io::sink()).prepare() } else { None };
    let output = Needs { prepare, ..Needs::default() };
    let mut pipeline = Pipeline::new(PipelineConfig { parallel, output, ..PipelineConfig::default() });
    for text in KEY_LOGS {
        pipeline.add_key_log(text.as_bytes());
    }
    let mut events = Vec::new();
    let mut take = |pipeline: &mut Pipeline| {
        for (ev, prepared) in pipeline.drain_prepared() {
            if let Some(bytes) = prepared {
                let mut expected = Vec::new();
                tlstrace::output::json_writer::write(&mut expected, &ev).expect("a prepared event serializes");
                assert_eq!(expected, bytes, "prepared JSON differs");
            }
            events.push(ev);
        }
    };
    while let Ok(Some(())) = source.next_with(|pkt| pipeline.process(pkt)) {
        take(&mut pipeline);
    }
    pipeline.finish();
    take(&mut pipeline);
    let summary = pipeline.summary();
    assert!(summary.packets <= data.len() as u64);
    events.push(Event::Summary(Box::new(summary)));
    common::render(&events);
});
