//! The detail of one connection: its packets traced again on their own, through the same
//! pipeline as the whole run (no second decoder), with every message's bytes kept; then, for
//! the selected message, its decoded fields as a tree and its bytes as a hex dump.

use super::frames::{Frame, PacketOrigin};
use super::model::Row;
use crate::conn::events::{Event, MessageEvent};
use crate::net::{NetConfig, NetDecoder, NetOutcome};
use crate::output::Needs;
use crate::pipeline::{Pipeline, PipelineConfig};
use crate::source::Packet;
use crate::source::file::FileSource;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The keys a run decrypts with, to decrypt a connection again.
#[derive(Clone, Debug, Default)]
pub struct Keys {
    /// `--keylog FILE` (read again: a browser may still be writing it).
    pub file: Option<PathBuf>,
    /// Key log text embedded in the capture (pcapng Decryption Secrets Blocks).
    pub embedded: Arc<Vec<u8>>,
    /// `--rsa-key`: the servers' private keys.
    pub rsa: Vec<crate::crypto::rsa_kx::ServerKey>,
    /// `--show-secrets`.
    pub show_secrets: bool,
}

/// One connection traced again.
#[derive(Debug, Default)]
pub struct ConnDetail {
    /// Its events, numbered as in the whole run.
    pub events: Vec<Event>,
    /// Its packets (for export).
    pub packets: Vec<Frame>,
    /// Linktypes of its packets, in order of first use (for export).
    pub linktypes: Vec<u32>,
    /// Said when the detail is not all there (frames dropped from memory, file unreadable).
    pub note: Option<String>,
}

/// How far to read when tracing a connection again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extent {
    /// Up to the connection's end: its events (the ladder and the detail).
    Events,
    /// On to the end of the input, for the packets that follow its end (the last ACKs) until
    /// a new connection reuses its addresses: for export.
    AllPackets,
}

/// Traces the connection of `row` again from `origin`. Never fails: what went wrong is the
/// detail's `note`.
pub fn trace_connection(row: &Row, origin: &PacketOrigin, keys: &Keys, extent: Extent) -> ConnDetail {
    trace_connection_until(row, origin, keys, extent, &AtomicBool::new(false))
}

/// [`trace_connection`], giving up as soon as `stop` is set (the explorer quits).
pub fn trace_connection_until(
    row: &Row,
    origin: &PacketOrigin,
    keys: &Keys,
    extent: Extent,
    stop: &AtomicBool,
) -> ConnDetail {
    let mut one = OneConnection::new(row, keys);
    one.all_packets = extent == Extent::AllPackets;
    let mut note = None;
    let mut step = |pkt: Packet<'_>| {
        if stop.load(Ordering::Relaxed) { ControlFlow::Break(()) } else { one.packet(pkt) }
    };
    match origin {
        PacketOrigin::File(path) => match FileSource::open(path) {
            Ok(mut source) => loop {
                match source.next_with(&mut step) {
                    Ok(Some(ControlFlow::Continue(()))) => {}
                    Ok(Some(ControlFlow::Break(()))) | Ok(None) => break,
                    Err(e) => {
                        note = Some(e.to_string());
                        break;
                    }
                }
            },
            Err(e) => note = Some(e.to_string()),
        },
        PacketOrigin::Kept(ring) => {
            // The connection's frames are copied out first: the capture goes on pushing frames
            // into the ring, and must not wait for a whole trace.
            let frames = match ring.lock() {
                Ok(ring) => {
                    if ring.first_kept().is_none_or(|first| first > row.first_frame) {
                        note = Some(format!(
                            "the start of this connection was dropped from memory ({} older frames dropped, \
                             --memory-limit sets how many are kept)",
                            ring.dropped
                        ));
                    }
                    frames_of(&ring, row)
                }
                Err(_) => {
                    note = Some("frames unavailable".into());
                    Vec::new()
                }
            };
            for f in &frames {
                if step(f.packet()).is_break() {
                    break;
                }
            }
        }
    }
    one.note = note.or(one.note.take());
    one.finish()
}

/// The kept frames of `row`'s connection (by its two addresses), from its first frame on.
fn frames_of(ring: &super::frames::FrameRing, row: &Row) -> Vec<Frame> {
    let [a, b] = [row.client, row.server];
    let between = |src, dst| (src == a && dst == b) || (src == b && dst == a);
    let mut net = NetDecoder::new(NetConfig::default());
    let mut out = Vec::new();
    ring.each_from(row.first_frame, &mut |pkt| {
        let ours = match net.decode(pkt.linktype, pkt.data, pkt.orig_len, pkt.ts) {
            Ok(NetOutcome::Tcp(seg)) => between(seg.src, seg.dst),
            Ok(NetOutcome::Udp(d)) => between(d.src, d.dst),
            _ => false,
        };
        if ours {
            out.push(Frame::of(&pkt));
        }
        ControlFlow::Continue(())
    });
    out
}

struct OneConnection {
    conn: u64,
    first_frame: u64,
    ends: [std::net::SocketAddr; 2],
    net: NetDecoder,
    pipeline: Pipeline,
    detail: ConnDetail,
    /// The connection's end event was seen.
    done: bool,
    /// Go on after the end for the packets (`Extent::AllPackets`).
    all_packets: bool,
    /// A new connection with the same addresses began: its packets are not this one's.
    reused: bool,
    note: Option<String>,
}

impl OneConnection {
    fn new(row: &Row, keys: &Keys) -> Self {
        let needs = Needs { roles: true, fingerprints: true, prepare: None, bytes: true };
        let mut pipeline =
            Pipeline::new(PipelineConfig { parallel: false, output: needs, ..PipelineConfig::default() });
        if let Some(path) = &keys.file {
            let _ = pipeline.open_key_log(path, &mut |_| {});
        }
        if !keys.embedded.is_empty() {
            pipeline.add_key_log(&keys.embedded);
        }
        for key in &keys.rsa {
            pipeline.add_rsa_key(key.clone());
        }
        // Handshake events carry their secrets as key log lines: an export embeds them.
        pipeline.secrets_out(keys.show_secrets, true);
        OneConnection {
            conn: row.conn,
            first_frame: row.first_frame,
            ends: [row.client, row.server],
            net: NetDecoder::new(NetConfig::default()),
            pipeline,
            detail: ConnDetail::default(),
            done: false,
            all_packets: false,
            reused: false,
            note: None,
        }
    }

    /// One packet of the capture: the connection's go through the pipeline, the others only
    /// move its clock (so the connection ends as it did in the whole run).
    fn packet(&mut self, pkt: Packet<'_>) -> ControlFlow<()> {
        if pkt.frame < self.first_frame {
            return ControlFlow::Continue(());
        }
        let [a, b] = self.ends;
        let between = |src, dst| (src == a && dst == b) || (src == b && dst == a);
        let (ours, syn) = match self.net.decode(pkt.linktype, pkt.data, pkt.orig_len, pkt.ts) {
            Ok(NetOutcome::Tcp(seg)) => (between(seg.src, seg.dst), seg.flags.syn() && !seg.flags.ack()),
            // QUIC: the connection's datagrams.
            Ok(NetOutcome::Udp(d)) => (between(d.src, d.dst), false),
            _ => (false, false),
        };
        if self.done {
            // After the end: only the packets, until a new connection takes the addresses.
            if ours && syn {
                self.reused = true;
            }
            if ours && !self.reused {
                self.detail.packets.push(Frame::of(&pkt));
            }
            return if self.reused { ControlFlow::Break(()) } else { ControlFlow::Continue(()) };
        }
        if ours {
            if !self.detail.linktypes.contains(&pkt.linktype) {
                self.detail.linktypes.push(pkt.linktype);
            }
            self.detail.packets.push(Frame::of(&pkt));
            self.pipeline.process(pkt);
        } else {
            self.pipeline.advance_clock(pkt.ts);
        }
        self.collect();
        if self.done && !self.all_packets { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    }

    fn collect(&mut self) {
        for mut ev in self.pipeline.drain_events() {
            let own = match &mut ev {
                Event::Connection(c) => Some(&mut c.conn),
                Event::Message(m) => Some(&mut m.conn),
                Event::Gap(g) => Some(&mut g.conn),
                Event::Handshake(h) => Some(&mut h.conn),
                Event::End(e) => {
                    self.done = true;
                    Some(&mut e.conn)
                }
                Event::Evicted(_) | Event::Summary(_) => None,
            };
            if let Some(conn) = own {
                // The connection is the only one traced: it is number 1 here.
                *conn = self.conn;
                self.detail.events.push(ev);
            }
        }
    }

    fn finish(mut self) -> ConnDetail {
        if !self.done {
            self.pipeline.finish();
            self.collect();
        }
        self.detail.note = self.note.take().or(self.detail.note.take());
        self.detail
    }
}

/// A line of the detail tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeLine {
    pub depth: usize,
    pub text: String,
    /// Path of the node (for folding); lines of leaves have one too.
    pub path: String,
    /// Has children: shown with a fold marker.
    pub branch: bool,
    pub open: bool,
}

/// Keys of a message event that the detail shows elsewhere (the header) or that say nothing.
const SKIPPED: &[&str] = &["event", "conn", "role"];

/// The keys every message event has: shown after the decoded fields.
const ENVELOPE: &[&str] = &[
    "index",
    "direction",
    "time",
    "frame",
    "record_version",
    "content_type",
    "name",
    "handshake_type",
    "length",
    "encrypted",
    "decrypted",
    "phase",
];

/// Lists with more entries than this start folded (objects start open).
const FOLD_ABOVE: usize = 6;

/// A JSON value with its object keys in the order they were written (the event's order).
#[derive(Clone, Debug, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Number(u64),
    Float(f64),
    Signed(i64),
    Text(String),
    List(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl<'de> serde::Deserialize<'de> for Node {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> serde::de::Visitor<'de> for NodeVisitor {
    type Value = Node;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(u64::try_from(v).map_or(Node::Signed(v), Node::Number))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Text(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Text(v))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut fields = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Node>()? {
            fields.push((k, v));
        }
        Ok(Node::Object(fields))
    }
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// The decoded fields of `m` as tree lines; `toggled` holds the paths the user folded or
/// unfolded (against their default).
pub fn tree(m: &MessageEvent, toggled: &std::collections::HashSet<String>) -> Vec<TreeLine> {
    event_tree(m, toggled)
}

/// The fields of any event (a message, a handshake's story) as tree lines.
pub fn event_tree<T: serde::Serialize>(event: &T, toggled: &std::collections::HashSet<String>) -> Vec<TreeLine> {
    // Through the JSON text the NDJSON view writes (timestamps are raw numbers there).
    let value = sonic_rs::to_string(event).ok().and_then(|text| serde_json::from_str(&text).ok()).unwrap_or(Node::Null);
    let mut out = Vec::new();
    if let Node::Object(map) = &value {
        let fields = named_fields(map);
        // What the message says first, then where and when it was seen.
        let (later, decoded): (Vec<_>, Vec<_>) = fields
            .iter()
            .filter(|(k, _)| !SKIPPED.contains(&k.as_str()))
            .partition(|(k, _)| k == "fingerprints" || ENVELOPE.contains(&k.as_str()));
        for (k, v) in decoded.into_iter().chain(later) {
            walk(&mut out, 0, k, k, v, toggled);
        }
    }
    out
}

fn walk(
    out: &mut Vec<TreeLine>,
    depth: usize,
    path: &str,
    label: &str,
    v: &Node,
    toggled: &std::collections::HashSet<String>,
) {
    let children: Vec<(String, Node)> = match v {
        Node::Object(map) => named_fields(map),
        Node::List(items) => items.iter().enumerate().map(|(i, v)| (format!("[{i}]"), v.clone())).collect(),
        _ => {
            out.push(TreeLine {
                depth,
                text: format!("{label}: {}", scalar(v)),
                path: path.to_string(),
                branch: false,
                open: false,
            });
            return;
        }
    };
    if children.is_empty() {
        let empty = if matches!(v, Node::List(_)) { "[]" } else { "{}" };
        out.push(TreeLine {
            depth,
            text: format!("{label}: {empty}"),
            path: path.to_string(),
            branch: false,
            open: false,
        });
        return;
    }
    let is_object = matches!(v, Node::Object(_));
    let open = (children.len() <= FOLD_ABOVE || is_object) != toggled.contains(path);
    out.push(TreeLine { depth, text: format!("{label}{}", summary(v)), path: path.to_string(), branch: true, open });
    if open {
        for (k, child) in &children {
            walk(out, depth + 1, &format!("{path}/{k}"), k, child, toggled);
        }
    }
}

/// An object's fields, with each number and its name (`version` and `version_name`, the
/// lists `cipher_suites` and `cipher_suite_names`) shown as one: `TLS 1.2 (0x0303)`.
fn named_fields(map: &[(String, Node)]) -> Vec<(String, Node)> {
    let get = |key: &str| map.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let mut out = Vec::new();
    for (k, v) in map {
        let is_name_of = |suffix: &str, plural: bool| {
            k.strip_suffix(suffix).is_some_and(|stem| {
                let number = if plural { format!("{stem}s") } else { stem.to_string() };
                get(&number).is_some()
            })
        };
        if is_name_of("_name", false) || is_name_of("_names", true) {
            continue;
        }
        let singular = k.strip_suffix('s').unwrap_or(k);
        let wide = SIXTEEN_BITS.iter().any(|w| k.contains(w));
        let merged = match (v, get(&format!("{k}_name")), get(&format!("{singular}_names"))) {
            (Node::Number(n), Some(Node::Text(name)), _) => Some(Node::Text(with_number(name, *n, wide))),
            (Node::List(numbers), _, Some(Node::List(names))) if numbers.len() == names.len() => Some(Node::List(
                numbers
                    .iter()
                    .zip(names)
                    .map(|(n, name)| match (n, name) {
                        (Node::Number(n), Node::Text(name)) => Node::Text(with_number(name, *n, wide)),
                        (n, _) => n.clone(),
                    })
                    .collect(),
            )),
            _ => None,
        };
        out.push((k.clone(), merged.unwrap_or_else(|| v.clone())));
    }
    out
}

/// Fields whose values are 16-bit registry numbers (the others that have names are 8-bit).
const SIXTEEN_BITS: &[&str] = &["version", "cipher_suite", "group", "signature", "extension", "type"];

/// `TLS 1.2 (0x0303)`: a registry value's name and its number in hex, four digits for the
/// 16-bit registries.
fn with_number(name: &str, x: u64, wide: bool) -> String {
    if x <= 0xff && !wide {
        format!("{name} (0x{x:02x})")
    } else if x <= 0xffff {
        format!("{name} (0x{x:04x})")
    } else {
        format!("{name} ({x})")
    }
}

/// What a folded container says about itself: its size, and for objects a name if it has one.
fn summary(v: &Node) -> String {
    match v {
        Node::List(items) => format!(" ({} items)", items.len()),
        Node::Object(_) => {
            let name = ["name", "subject", "type_name", "hostname"].iter().find_map(|k| match v.get(k) {
                Some(Node::Text(t)) => Some(t.clone()),
                _ => None,
            });
            name.map(|n| format!(": {}", crate::escape::controls(&n))).unwrap_or_default()
        }
        _ => String::new(),
    }
}

fn scalar(v: &Node) -> String {
    match v {
        Node::Text(s) => crate::escape::controls(s).into_owned(),
        Node::Null => "-".to_string(),
        Node::Bool(b) => b.to_string(),
        Node::Number(n) => n.to_string(),
        Node::Signed(n) => n.to_string(),
        Node::Float(f) => f.to_string(),
        Node::List(_) | Node::Object(_) => String::new(),
    }
}

/// The classic hex dump: offset, 16 bytes in hex, the printable ones as text.
pub fn hex_dump(bytes: &[u8]) -> Vec<String> {
    bytes
        .chunks(16)
        .enumerate()
        .map(|(i, chunk)| {
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            let text: String =
                chunk.iter().map(|&b| if (0x20..0x7f).contains(&b) { char::from(b) } else { '.' }).collect();
            format!("{:04x}  {:<47}  {text}", i * 16, hex.join(" "))
        })
        .collect()
}
