//! The whole program over an arbitrary capture file: reader, link/IP, TCP, TLS, messages,
//! connection state, and both output formats.
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
