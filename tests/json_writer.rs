//! The `--json` output's own serializer (`output::json_writer`) against sonic-rs, event by
//! event, over every bundled fixture (with its key log, so decrypted messages are covered) and,
//! when `../shared/corpus` exists, every corpus capture: the bytes must be the same.

use std::path::Path;
use tlstrace::pipeline::{Pipeline, PipelineConfig};
use tlstrace::source::file::FileSource;

mod common;

/// Events compared in `file`.
fn compare(file: &Path, keylog: Option<&Path>) -> usize {
    let Ok(mut src) = FileSource::open(file.to_str().expect("utf-8 path")) else { return 0 };
    let mut pipeline = Pipeline::new(PipelineConfig { fingerprints: true, ..PipelineConfig::default() });
    if let Some(k) = keylog {
        pipeline.add_key_log(&std::fs::read(k).expect("key log reads"));
    }
    let mut compared = 0;
    let mut check = |pipeline: &mut Pipeline| {
        for ev in pipeline.drain_events() {
            let mut ours = Vec::new();
            tlstrace::output::json_writer::write(&mut ours, &ev).expect("event serializes");
            let theirs = sonic_rs::to_vec(&ev).expect("sonic-rs serializes");
            assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs), "{}", file.display());
            compared += 1;
        }
    };
    // A damaged capture still yields the events before the damage.
    while let Ok(Some(())) = src.next_with(|p| pipeline.process(p)) {
        check(&mut pipeline);
    }
    pipeline.finish();
    check(&mut pipeline);
    let summary = tlstrace::conn::events::Event::Summary(Box::new(pipeline.summary()));
    let mut ours = Vec::new();
    tlstrace::output::json_writer::write(&mut ours, &summary).expect("summary serializes");
    assert_eq!(ours, sonic_rs::to_vec(&summary).expect("sonic-rs serializes"));
    compared + 1
}

#[test]
fn same_bytes_as_sonic_rs_for_every_event() {
    let mut files = 0;
    let mut events = 0;
    let dir = common::repo().join("fixtures/captures");
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        let name = path.to_string_lossy().to_string();
        if !(name.ends_with(".pcap") || name.ends_with(".pcapng") || name.ends_with(".gz")) {
            continue;
        }
        let keylog = path.with_extension("keylog");
        events += compare(&path, keylog.exists().then_some(keylog.as_path()));
        files += 1;
    }
    assert!(files >= 30 && events > 500, "{files} fixtures, {events} events");
    if let Some(corpus) = common::corpus() {
        let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).expect("manifest");
        let mut corpus_files = 0;
        for line in manifest.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            let (Some(path), Some(keys)) = (cols.first(), cols.get(7)) else { continue };
            let keylog = keys.split_whitespace().next().map(|k| corpus.join(k));
            events += compare(&corpus.join(path), keylog.as_deref().filter(|k| k.exists()));
            corpus_files += 1;
        }
        assert!(corpus_files >= 100, "{corpus_files} corpus captures");
        eprintln!("json_writer: compared {events} events of {files} fixtures and {corpus_files} corpus captures");
    } else {
        eprintln!("json_writer: compared {events} events of {files} fixtures (no ../shared/corpus here)");
    }
}
