//! What the connections table shows: one [`Row`] per TLS connection, made from the same events
//! the text and JSON views print, and the tallies of the summary view.

use crate::conn::events::{Event, HandshakeEvent, HelloFingerprints};
use crate::fast_map::FastMap;
use crate::msgs::names::Name;
use crate::time::Timestamp;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// Flags of a connection's handshake (the table's flags column).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    pub hrr: bool,
    pub early_data: bool,
    pub client_cert: bool,
    pub renegotiation: bool,
    pub decrypted: bool,
    /// Both Finished verified: Some(true); one failed: Some(false).
    pub finished: Option<bool>,
    /// Neither a SYN nor a hello was captured: the capture began mid-connection (roles from
    /// the ports).
    pub midway: bool,
}

/// How a connection's handshake ended, as far as the events tell yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No handshake event yet: still going (live capture, or loading).
    InProgress,
    Complete,
    /// The failure, as the handshake event says it (alert and who sent it, gap, reset,
    /// capture ended...).
    Failed(String),
}

/// One TLS connection in the table.
#[derive(Clone, Debug)]
pub struct Row {
    pub conn: u64,
    pub start: Timestamp,
    /// First frame of the flow (its SYN when captured): where re-decoding it starts.
    pub first_frame: u64,
    /// Last frame of a message or gap of it seen so far.
    pub last_frame: u64,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub tls_seen: bool,
    pub sni: Option<String>,
    pub version: Option<Name>,
    pub suite: Option<Name>,
    pub group: Option<Name>,
    /// "full", "resumed_session_id", "resumed_ticket", "resumed_psk"; empty before the story.
    pub kind: &'static str,
    pub flags: Flags,
    pub duration: Option<f64>,
    pub outcome: Outcome,
    pub warnings: Vec<String>,
    /// The ClientHello's fingerprints (for `ja3:` and `ja4:` filters).
    pub fingerprints: Option<Arc<crate::fingerprint::Fingerprints>>,
    pub messages: u64,
    /// How the connection ended ("fin", "rst", ...), once it has.
    pub end: Option<&'static str>,
    /// Handshakes of the connection (renegotiations add one).
    pub handshakes: u32,
    /// "tcp", "quic" or "dtls".
    pub transport: &'static str,
}

impl Row {
    pub fn failed(&self) -> bool {
        matches!(self.outcome, Outcome::Failed(_))
    }

    /// The kind column: "full", "resumed (ticket)", ...
    pub fn kind_text(&self) -> &'static str {
        match self.kind {
            "full" => "full",
            "resumed_session_id" => "resumed (id)",
            "resumed_ticket" => "resumed (ticket)",
            "resumed_psk" => "resumed (PSK)",
            "" => "",
            _ => "other",
        }
    }

    fn take_story(&mut self, h: &HandshakeEvent) {
        self.handshakes = h.handshake;
        if h.sni.is_some() {
            self.sni.clone_from(&h.sni);
        }
        self.version.clone_from(&h.version_name);
        self.suite.clone_from(&h.cipher_suite_name);
        self.group.clone_from(&h.group);
        self.kind = h.kind;
        self.flags.hrr |= h.hello_retry_request;
        self.flags.early_data |= h.early_data != "none";
        self.flags.client_cert |= h.client_certificate == "sent";
        self.flags.renegotiation |= h.renegotiation;
        self.flags.finished = match (self.flags.finished, h.finished_verified) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (_, v) => v,
        };
        self.duration = h.duration;
        self.outcome = if h.complete && h.alerts.iter().all(|a| a.level != 2) {
            Outcome::Complete
        } else {
            Outcome::Failed(h.failure.clone().unwrap_or_else(|| match h.alerts.first() {
                Some(a) => format!("alert: {} from {}", a.description_name, a.from),
                None => "incomplete".to_string(),
            }))
        };
        for w in &h.warnings {
            if !self.warnings.contains(w) {
                self.warnings.push(w.clone());
            }
        }
    }
}

/// Counts for the summary view's bar charts: handshakes by version, suite, group, kind (as
/// the events name it: `resumed_ticket`) and failure reason.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub by_version: BTreeMap<String, u64>,
    pub by_suite: BTreeMap<String, u64>,
    pub by_group: BTreeMap<String, u64>,
    pub by_kind: BTreeMap<String, u64>,
    pub by_failure: BTreeMap<String, u64>,
}

impl Tally {
    pub fn add(&mut self, row: &Row) {
        if row.outcome == Outcome::InProgress {
            return;
        }
        count(&mut self.by_version, name_or_unknown(&row.version));
        count(&mut self.by_suite, name_or_unknown(&row.suite));
        count(&mut self.by_group, name_or_unknown(&row.group));
        count(&mut self.by_kind, if row.kind.is_empty() { "unknown" } else { row.kind });
        if let Outcome::Failed(f) = &row.outcome {
            count(&mut self.by_failure, failure_reason(f));
        }
    }
}

fn name_or_unknown(n: &Option<Name>) -> &str {
    n.as_deref().unwrap_or("unknown")
}

/// One more of `key` (a new key only is allocated).
fn count(m: &mut BTreeMap<String, u64>, key: &str) {
    match m.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            m.insert(key.to_string(), 1);
        }
    }
}

/// A failure's reason without the details that make each one different: "gap: ClientHello
/// not captured" and "alert: unknown_ca from client" stay, byte counts go.
pub fn failure_reason(failure: &str) -> &str {
    failure.split(" (").next().unwrap_or(failure)
}

/// Turns events into rows: holds the rows of the connections still open, and hands out those
/// that changed (copies of open ones; ended ones for good).
#[derive(Default)]
pub struct RowBuilder {
    open: FastMap<u64, Row>,
    /// Connections changed since the last [`RowBuilder::take_changed`], in order of change.
    changed: Vec<u64>,
    /// Rows of connections that ended since the last call.
    ended: FastMap<u64, Row>,
}

impl RowBuilder {
    /// Takes what `ev` tells about its connection.
    pub fn event(&mut self, ev: &Event) {
        let conn = match ev {
            Event::Connection(c) => {
                let row = Row {
                    conn: c.conn,
                    start: c.time,
                    first_frame: c.frame,
                    last_frame: c.frame,
                    client: SocketAddr::new(c.client.ip, c.client.port),
                    server: SocketAddr::new(c.server.ip, c.server.port),
                    tls_seen: c.tls_seen,
                    sni: None,
                    version: None,
                    suite: None,
                    group: None,
                    kind: "",
                    flags: Flags {
                        midway: c.roles_from == crate::conn::events::RoleEvidence::Port,
                        ..Flags::default()
                    },
                    duration: None,
                    outcome: Outcome::InProgress,
                    warnings: Vec::new(),
                    fingerprints: None,
                    messages: 0,
                    end: None,
                    handshakes: 0,
                    transport: c.transport.unwrap_or("tcp"),
                };
                self.open.insert(c.conn, row);
                c.conn
            }
            Event::Message(m) => {
                let Some(row) = self.open.get_mut(&m.conn) else { return };
                row.messages += 1;
                row.last_frame = row.last_frame.max(m.frame);
                row.flags.decrypted |= m.decrypted;
                if let Some(HelloFingerprints::Client(f)) = m.fingerprints.as_deref()
                    && row.fingerprints.is_none()
                {
                    row.fingerprints = Some(f.clone());
                }
                if row.sni.is_none()
                    && let Some(crate::msgs::HandshakeBody::ClientHello { client_hello }) = &m.body
                {
                    row.sni.clone_from(&client_hello.sni);
                }
                m.conn
            }
            Event::Gap(g) => {
                let Some(row) = self.open.get_mut(&g.conn) else { return };
                row.last_frame = row.last_frame.max(g.frame);
                g.conn
            }
            Event::Handshake(h) => {
                let Some(row) = self.open.get_mut(&h.conn) else { return };
                row.take_story(h);
                h.conn
            }
            Event::End(e) => {
                let Some(mut row) = self.open.remove(&e.conn) else { return };
                row.end = Some(e.reason);
                self.ended.insert(e.conn, row);
                e.conn
            }
            Event::Evicted(_) | Event::Summary(_) => return,
        };
        if self.changed.last() != Some(&conn) {
            self.changed.push(conn);
        }
    }

    /// The rows changed since the last call, each once, in the order they first changed.
    pub fn take_changed(&mut self) -> Vec<Row> {
        let mut changed = std::mem::take(&mut self.changed);
        let mut seen = std::collections::HashSet::new();
        changed.retain(|c| seen.insert(*c));
        changed.into_iter().filter_map(|c| self.ended.remove(&c).or_else(|| self.open.get(&c).cloned())).collect()
    }

    /// Connections still open.
    pub fn open(&self) -> usize {
        self.open.len()
    }
}
