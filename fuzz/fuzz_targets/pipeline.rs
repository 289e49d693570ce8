//! The whole program over an arbitrary capture file: reader, link/IP, TCP, TLS, messages,
//! connection state, and both output formats.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use tlstrace::conn::events::Event;
use tlstrace::pipeline::{Pipeline, PipelineConfig};
use tlstrace::source::file::FileSource;

fuzz_target!(|data: &[u8]| {
    let stream = Box::new(std::io::Cursor::new(data.to_vec()));
    let Ok(mut source) = FileSource::from_reader("fuzz", stream, false, None) else {
        return;
    };
    // One input in four also goes through the decoding thread (the rest stay on this thread,
    // which is several times faster to start per input).
    let parallel = data.len().is_multiple_of(4);
    let mut pipeline = Pipeline::new(PipelineConfig { parallel, ..PipelineConfig::default() });
    let mut events = Vec::new();
    while let Ok(Some(())) = source.next_with(|pkt| pipeline.process(pkt)) {
        events.extend(pipeline.drain_events());
    }
    pipeline.finish();
    events.extend(pipeline.drain_events());
    let summary = pipeline.summary();
    assert!(summary.packets <= data.len() as u64);
    events.push(Event::Summary(Box::new(summary)));
    common::render(&events);
});
