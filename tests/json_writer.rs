//! The `--json` output's own serializer (`output::json_writer`) against sonic-rs, event by
//! event, over every bundled fixture (with its key log, so decrypted messages are covered) and,
//! when `../shared/corpus` exists, every corpus capture: the bytes must be the same. Message
//! events and their extensions are also held to what `#[serde(flatten)]` writes, and client
//! hellos to what their derived serialization wrote.

use serde::Serialize;
use std::path::Path;
use tlstrace::conn::events::{Event, MessageEvent};
use tlstrace::msgs::HandshakeBody;
use tlstrace::msgs::extensions::{Extension, ExtensionBody};
use tlstrace::output::Needs;
use tlstrace::pipeline::{Pipeline, PipelineConfig};
use tlstrace::source::file::FileSource;

mod common;

/// What serde's `#[serde(flatten)]` writes for a message event: the reference for the
/// hand-written `Serialize` of `MessageEvent` and `HandshakeBody::serialize_fields`, which keep
/// the event a struct (flatten makes it a map, whose keys the writer must escape).
#[derive(Serialize)]
struct FlatMessage<'a> {
    event: &'static str,
    conn: u64,
    index: u64,
    direction: &'a tlstrace::conn::events::Direction,
    time: &'a tlstrace::time::Timestamp,
    frame: u64,
    record_version: u16,
    content_type: &'static str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    handshake_type: Option<u8>,
    length: usize,
    encrypted: bool,
    decrypted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: &'a Option<String>,
    phase: u8,
    role: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    alert: &'a Option<tlstrace::conn::events::AlertInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ack: &'a Option<Vec<tlstrace::conn::events::AckedRecord>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decode_error: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    incomplete: &'a Option<tlstrace::conn::events::Incomplete>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprints: &'a Option<Box<tlstrace::conn::events::HelloFingerprints>>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    body: &'a Option<HandshakeBody>,
}

impl<'a> From<&'a MessageEvent> for FlatMessage<'a> {
    fn from(m: &'a MessageEvent) -> Self {
        FlatMessage {
            event: "message",
            conn: m.conn,
            index: m.index,
            direction: &m.direction,
            time: &m.time,
            frame: m.frame,
            record_version: m.record_version,
            content_type: m.content_type,
            name: &m.name,
            handshake_type: m.handshake_type,
            length: m.length,
            encrypted: m.encrypted,
            decrypted: m.decrypted,
            data: &m.data,
            phase: m.phase,
            role: &m.role,
            alert: &m.alert,
            ack: &m.ack,
            decode_error: &m.decode_error,
            incomplete: &m.incomplete,
            fingerprints: &m.fingerprints,
            body: &m.body,
        }
    }
}

/// The same for an extension: `type`, `name`, `length`, then the body's keys.
#[derive(Serialize)]
struct FlatExtension<'a> {
    #[serde(rename = "type")]
    typ: u16,
    name: &'a str,
    length: usize,
    #[serde(flatten)]
    body: &'a ExtensionBody,
}

/// What the derived `Serialize` of a ClientHello wrote when it kept its name lists: the
/// reference for its hand-written `Serialize`, which looks the names up as it writes them.
#[derive(Serialize)]
struct ClientHelloReference<'a> {
    version: u16,
    version_name: &'a str,
    random: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    random_time: &'a Option<tlstrace::msgs::hello::RandomTime>,
    session_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    cookie: &'a Option<String>,
    cipher_suites: &'a [u16],
    cipher_suite_names: Vec<tlstrace::msgs::names::Name>,
    compression_methods: &'a [u8],
    compression_method_names: Vec<tlstrace::msgs::names::Name>,
    sni: &'a Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    sslv2_format: bool,
    extensions: &'a [Extension],
}

impl<'a> From<&'a tlstrace::msgs::hello::ClientHello> for ClientHelloReference<'a> {
    fn from(ch: &'a tlstrace::msgs::hello::ClientHello) -> Self {
        ClientHelloReference {
            version: ch.version,
            version_name: &ch.version_name,
            random: hex::encode(&ch.random),
            random_time: &ch.random_time,
            session_id: hex::encode(&ch.session_id),
            cookie: &ch.cookie,
            cipher_suites: &ch.cipher_suites,
            cipher_suite_names: ch.cipher_suite_names(),
            compression_methods: &ch.compression_methods,
            compression_method_names: ch.compression_method_names(),
            sni: &ch.sni,
            sslv2_format: ch.sslv2_format,
            extensions: &ch.extensions,
        }
    }
}

fn extensions_of(body: &HandshakeBody) -> &[Extension] {
    match body {
        HandshakeBody::ClientHello { client_hello } => &client_hello.extensions,
        HandshakeBody::ServerHello { server_hello } => &server_hello.extensions,
        HandshakeBody::EncryptedExtensions { encrypted_extensions } => &encrypted_extensions.extensions,
        _ => &[],
    }
}

/// Holds one message event's JSON, and that of its extensions, to serde's flatten.
fn same_as_flatten(ev: &Event, file: &Path) {
    let Event::Message(m) = ev else { return };
    let ours = serde_json::to_string(ev).expect("serializes");
    let reference = serde_json::to_string(&FlatMessage::from(&**m)).expect("serializes");
    assert_eq!(ours, reference, "{}", file.display());
    if let Some(HandshakeBody::ClientHello { client_hello }) = &m.body {
        assert_eq!(
            serde_json::to_string(client_hello).expect("serializes"),
            serde_json::to_string(&ClientHelloReference::from(&**client_hello)).expect("serializes"),
            "{}",
            file.display()
        );
    }
    for ext in m.body.as_ref().map(extensions_of).unwrap_or_default() {
        let flat = FlatExtension { typ: ext.typ, name: &ext.name, length: ext.length, body: &ext.body };
        assert_eq!(serde_json::to_string(ext).expect("serializes"), serde_json::to_string(&flat).expect("serializes"));
    }
}

/// Events compared in `file`.
fn compare(file: &Path, keylog: Option<&Path>) -> usize {
    let Ok(mut src) = FileSource::open(file.to_str().expect("utf-8 path")) else { return 0 };
    let mut pipeline = Pipeline::new(PipelineConfig {
        output: Needs { fingerprints: true, ..Needs::default() },
        ..PipelineConfig::default()
    });
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
            same_as_flatten(&ev, file);
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
        eprintln!("json_writer: compared {events} events of {files} fixtures");
        common::skip("json_writer over the corpus", "../shared/corpus not found");
    }
}
