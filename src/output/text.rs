//! The human-readable view: a ladder per connection.
//!
//! Each connection is printed as one block when its handshake completes (or when it ends):
//! a header with the story (addresses, SNI, version, suite, kind, duration), then one line per
//! message with its time since the connection started, the delta since the previous message,
//! an arrow between the client and server columns, the phase, the name and its key values.
//! What comes after the handshake is condensed into a few lines when the connection ends, so
//! blocks of concurrent connections never interleave.

use super::Sink;
use crate::conn::annotate::{group_name, suite_name, version_name};
use crate::conn::events::{
    ConnectionEvent, Direction, Event, GapEvent, HandshakeEvent, HelloFingerprints, MessageEvent, SummaryEvent,
};
use crate::msgs::HandshakeBody;
use crate::msgs::extensions::ExtensionBody;
use crate::time::Timestamp;
use colored::{ColoredString, Colorize};
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

/// How much to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// One line per handshake.
    Quiet,
    #[default]
    Normal,
    /// Decoded fields and the role of every message.
    Verbose,
}

/// Lines held per connection before its block is printed; beyond, messages are only counted.
const MAX_HELD_LINES: usize = 400;

#[derive(Default)]
struct Block {
    conn: Option<ConnectionEvent>,
    lines: Vec<Line>,
    dropped: u64,
    printed: bool,
    last_time: Option<Timestamp>,
    /// After the handshake: counts by (direction, name) and bytes.
    after: BTreeMap<(u8, String), (u64, u64)>,
    failed: bool,
}

enum Line {
    /// Rendered when the message arrived: holding the text, not the decoded event, keeps
    /// waiting blocks small and avoids copying every decoded message.
    Message(String),
    Gap(GapEvent),
}

pub struct TextSink<W: Write> {
    out: W,
    verbosity: Verbosity,
    blocks: HashMap<u64, Block>,
    /// Only print handshakes that failed.
    failed_only: bool,
}

impl<W: Write> TextSink<W> {
    pub fn new(out: W) -> Self {
        TextSink { out, verbosity: Verbosity::Normal, blocks: HashMap::new(), failed_only: false }
    }

    pub fn with_verbosity(mut self, v: Verbosity) -> Self {
        self.verbosity = v;
        self
    }

    pub fn failed_only(mut self, yes: bool) -> Self {
        self.failed_only = yes;
        self
    }

    fn print_block(&mut self, conn: u64, hs: Option<&HandshakeEvent>) -> io::Result<()> {
        let Some(block) = self.blocks.get_mut(&conn) else { return Ok(()) };
        if block.printed {
            return Ok(());
        }
        block.printed = true;
        let failed = hs.is_none_or(|h| !h.complete || !h.alerts.is_empty());
        block.failed = failed;
        if self.failed_only && !failed {
            block.lines.clear();
            return Ok(());
        }
        let mut text = String::new();
        header(&mut text, conn, block.conn.as_ref(), hs);
        if self.verbosity != Verbosity::Quiet {
            for line in block.lines.drain(..) {
                match line {
                    Line::Message(rendered) => text.push_str(&rendered),
                    Line::Gap(g) => {
                        text.push_str(&format!(
                            "  {:>26}  {}\n",
                            "",
                            format!(
                                "GAP: {} bytes missing {} (lost from the capture)",
                                g.bytes,
                                arrow_word(g.direction)
                            )
                            .red()
                            .bold()
                        ));
                    }
                }
            }
            if block.dropped > 0 {
                text.push_str(&format!("  ... {} more messages not shown\n", block.dropped));
            }
        }
        self.out.write_all(text.as_bytes())
    }

    fn finish_block(&mut self, conn: u64, reason: &str) -> io::Result<()> {
        self.print_block(conn, None)?;
        let Some(block) = self.blocks.remove(&conn) else { return Ok(()) };
        if self.verbosity == Verbosity::Quiet || (self.failed_only && !block.failed) {
            return Ok(());
        }
        let mut text = String::new();
        for ((dir, name), (count, bytes)) in &block.after {
            let arrow = if *dir == 0 { "C ──▶ S" } else { "C ◀── S" };
            text.push_str(&format!(
                "  {:>26}  {arrow}  post  {name} ×{count} ({bytes} bytes)\n",
                "after the handshake:"
            ));
        }
        text.push_str(&format!("  {}\n\n", format!("connection closed ({reason})").dimmed()));
        self.out.write_all(text.as_bytes())
    }
}

fn arrow_word(d: Direction) -> &'static str {
    match d {
        Direction::ClientToServer => "client to server",
        Direction::ServerToClient => "server to client",
    }
}

fn ms(secs: f64) -> String {
    format!("{:.3} ms", secs * 1000.0)
}

fn header(text: &mut String, conn: u64, c: Option<&ConnectionEvent>, hs: Option<&HandshakeEvent>) {
    let addrs = c
        .map(|c| format!("{} → {}", endpoint(c.client.ip, c.client.port), endpoint(c.server.ip, c.server.port)))
        .unwrap_or_default();
    let mut parts: Vec<ColoredString> = vec![format!("conn {conn}").bold(), addrs.normal()];
    if let Some(h) = hs {
        if h.handshake > 1 {
            parts.push(format!("handshake {} (renegotiation)", h.handshake).yellow());
        }
        if let Some(sni) = &h.sni {
            parts.push(sni.cyan());
        }
        if let Some(v) = &h.version_name {
            parts.push(v.normal());
        }
        if let Some(s) = &h.cipher_suite_name {
            parts.push(s.normal());
        }
        if let Some(g) = &h.group {
            parts.push(g.normal());
        }
        let mut kind = h.kind.replace('_', " ");
        if h.hello_retry_request {
            kind.push_str(" +HRR");
        }
        if h.client_certificate != "none" {
            kind.push_str(&format!(" +client-cert {}", h.client_certificate));
        }
        if h.early_data != "none" {
            kind.push_str(&format!(" +0-RTT {}", h.early_data));
        }
        parts.push(kind.normal());
        if let Some(d) = h.duration {
            parts.push(ms(d).normal());
        }
        match h.finished_verified {
            Some(true) => parts.push("Finished verified".green()),
            Some(false) => parts.push("Finished NOT VERIFIED".red().bold()),
            None => {}
        }
        if h.complete {
            parts.push("complete".green());
        } else {
            parts.push(format!("FAILED: {}", h.failure.as_deref().unwrap_or("unknown")).red().bold());
        }
    } else {
        parts.push("handshake not seen".yellow());
    }
    let line: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
    text.push_str(&line.join("  "));
    text.push('\n');
    if let Some(h) = hs {
        for w in &h.warnings {
            text.push_str(&format!("  {}\n", format!("warning: {w}").yellow()));
        }
    }
}

fn endpoint(ip: std::net::IpAddr, port: u16) -> String {
    match ip {
        std::net::IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        std::net::IpAddr::V4(v4) => format!("{v4}:{port}"),
    }
}

fn phase_label(p: u8) -> String {
    if p == 0 { "post".into() } else { format!("ph{p}") }
}

fn color_phase(label: String, p: u8) -> ColoredString {
    match p {
        1 => label.blue(),
        2 => label.magenta(),
        3 => label.cyan(),
        4 => label.green(),
        _ => label.dimmed(),
    }
}

fn message_line(text: &mut String, m: &MessageEvent, start: Option<Timestamp>, prev: Option<Timestamp>, v: Verbosity) {
    let since = start.map(|s| m.time.seconds_since(&s)).unwrap_or(0.0);
    let delta = prev.or(start).map(|p| m.time.seconds_since(&p)).unwrap_or(0.0);
    let arrow = match m.direction {
        Direction::ClientToServer => "C ──▶ S".blue(),
        Direction::ServerToClient => "C ◀── S".magenta(),
    };
    let name = if m.alert.is_some() || m.name.contains("Alert") {
        m.name.red().bold()
    } else if m.encrypted {
        m.name.dimmed()
    } else {
        m.name.bold()
    };
    let values = key_values(m);
    text.push_str(&format!(
        "  {:>12} {:>13}  {arrow}  {}  {:<22} {}\n",
        ms(since),
        format!("+{}", ms(delta)),
        color_phase(phase_label(m.phase), m.phase),
        name,
        values
    ));
    if v == Verbosity::Verbose {
        text.push_str(&format!("                  {}\n", m.role.dimmed()));
        for detail in details(m) {
            text.push_str(&format!("                    {detail}\n"));
        }
    }
}

/// The few values that matter for each message.
fn key_values(m: &MessageEvent) -> String {
    if let Some(a) = &m.alert {
        return format!("{} {}", a.level_name, a.description_name).red().to_string();
    }
    match &m.body {
        Some(HandshakeBody::ClientHello { client_hello: ch }) => {
            let top = ch
                .offered_versions()
                .and_then(|v| v.iter().copied().filter(|v| !crate::registry::is_grease(*v)).max())
                .unwrap_or(ch.version);
            let mut s = format!("{}, {} suites", version_name(top), ch.cipher_suites.len());
            if let Some(sni) = &ch.sni {
                s.push_str(&format!(", SNI {sni}"));
            }
            if let Some(a) = crate::msgs::extensions::alpn(&ch.extensions) {
                s.push_str(&format!(", ALPN {}", a.join(",")));
            }
            s
        }
        Some(HandshakeBody::ServerHello { server_hello: sh }) => {
            if sh.hello_retry_request {
                let g = sh.selected_group.map(group_name);
                return format!("retry with {}", g.unwrap_or_else(|| "another group".into()));
            }
            format!("{}, {}", version_name(sh.negotiated_version()), suite_name(sh.cipher_suite))
        }
        Some(HandshakeBody::Finished { finished }) => match finished.verified {
            Some(true) => "verified ✓".green().to_string(),
            Some(false) => "NOT VERIFIED ✗".red().bold().to_string(),
            None => String::new(),
        },
        Some(HandshakeBody::Certificate { certificates, .. }) => match certificates.first() {
            Some(crate::msgs::certificate::CertificateEntry::X509 { cert, .. }) => match &cert.details {
                crate::certs::CertDetails::Parsed(p) => format!("{} ({} certs)", p.subject, certificates.len()),
                crate::certs::CertDetails::Unparsed { .. } => format!("{} certs", certificates.len()),
            },
            _ => format!("{} certs", certificates.len()),
        },
        Some(HandshakeBody::ServerKeyExchange { server_key_exchange: ske }) => {
            ske.named_curve_name.clone().or_else(|| ske.dh_p_bits.map(|b| format!("DH {b} bits"))).unwrap_or_default()
        }
        Some(HandshakeBody::NewSessionTicket { new_session_ticket: t }) => {
            t.lifetime.or(t.lifetime_hint).map(|l| format!("lifetime {l} s")).unwrap_or_default()
        }
        _ => {
            if m.decrypted && m.content_type == "application_data" {
                return match &m.data {
                    Some(d) => format!("{} bytes: {d}", m.length),
                    None => format!("{} bytes", m.length),
                };
            }
            if m.encrypted || m.handshake_type.is_none() { format!("{} bytes", m.length) } else { String::new() }
        }
    }
}

/// Decoded fields shown at -v.
fn details(m: &MessageEvent) -> Vec<String> {
    let mut out = Vec::new();
    match &m.fingerprints {
        Some(HelloFingerprints::Client(f)) => {
            out.push(format!("ja4 {}  ja3 {}", f.ja4, f.ja3_hash));
            out.push(format!("ja4_r {}", f.ja4_r));
            out.push(format!("ja3 {}", f.ja3));
        }
        Some(HelloFingerprints::Server(f)) => out.push(format!("ja3s {} ({})", f.ja3s_hash, f.ja3s)),
        None => {}
    }
    match &m.body {
        Some(HandshakeBody::ClientHello { client_hello: ch }) => {
            out.push(format!("random {}", hex::encode(&ch.random)));
            if !ch.session_id.is_empty() {
                out.push(format!("session_id {}", hex::encode(&ch.session_id)));
            }
            let suites: Vec<String> = ch.cipher_suites.iter().map(|c| suite_name(*c)).collect();
            out.push(format!("cipher_suites {}", suites.join(" ")));
            for e in &ch.extensions {
                out.push(extension_detail(e));
            }
        }
        Some(HandshakeBody::ServerHello { server_hello: sh }) => {
            out.push(format!("random {}", hex::encode(&sh.random)));
            if !sh.session_id.is_empty() {
                out.push(format!("session_id {}", hex::encode(&sh.session_id)));
            }
            for e in &sh.extensions {
                out.push(extension_detail(e));
            }
        }
        _ => {}
    }
    out
}

fn extension_detail(e: &crate::msgs::extensions::Extension) -> String {
    let body = match &e.body {
        ExtensionBody::Raw { hex } if hex.is_empty() => String::new(),
        _ => serde_json::to_value(&e.body)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .map(|o| o.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
    };
    format!("ext {} ({}) {}", e.name, e.typ, body)
}

fn quiet_line(text: &mut String, conn: u64, c: Option<&ConnectionEvent>, hs: &HandshakeEvent) {
    header(text, conn, c, Some(hs));
}

impl<W: Write> Sink for TextSink<W> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        match ev {
            Event::Connection(c) => {
                self.blocks.entry(c.conn).or_default().conn = Some(c.clone());
                Ok(())
            }
            Event::Message(m) => {
                let block = self.blocks.entry(m.conn).or_default();
                if block.printed && m.phase != 0 {
                    // A new handshake on this connection (renegotiation): its own block follows.
                    block.printed = false;
                }
                if block.printed {
                    let dir = if m.direction == Direction::ClientToServer { 0 } else { 1 };
                    let e = block.after.entry((dir, m.name.clone())).or_insert((0, 0));
                    e.0 += 1;
                    e.1 += m.length as u64;
                } else if self.verbosity == Verbosity::Quiet {
                    // Nothing per message is printed.
                } else if block.lines.len() < MAX_HELD_LINES {
                    let start = block.conn.as_ref().map(|c| c.time);
                    let mut rendered = String::new();
                    message_line(&mut rendered, m, start, block.last_time, self.verbosity);
                    block.lines.push(Line::Message(rendered));
                } else {
                    block.dropped += 1;
                }
                block.last_time = Some(m.time);
                Ok(())
            }
            Event::Gap(g) => {
                let block = self.blocks.entry(g.conn).or_default();
                if block.printed {
                    let dir = if g.direction == Direction::ClientToServer { 0 } else { 1 };
                    let e = block.after.entry((dir, "GAP (bytes missing)".into())).or_insert((0, 0));
                    e.0 += 1;
                    e.1 += g.bytes;
                } else if block.lines.len() < MAX_HELD_LINES {
                    block.lines.push(Line::Gap(g.clone()));
                }
                Ok(())
            }
            Event::Handshake(h) => {
                if self.verbosity == Verbosity::Quiet {
                    let block = self.blocks.entry(h.conn).or_default();
                    block.printed = true;
                    block.lines.clear();
                    let failed = !h.complete || !h.alerts.is_empty();
                    block.failed = failed;
                    if self.failed_only && !failed {
                        return Ok(());
                    }
                    let mut text = String::new();
                    quiet_line(&mut text, h.conn, block.conn.as_ref(), h);
                    return self.out.write_all(text.as_bytes());
                }
                self.print_block(h.conn, Some(h))
            }
            Event::End(e) => self.finish_block(e.conn, e.reason),
            Event::Summary(s) => {
                let mut text = String::new();
                summary_text(&mut text, s);
                self.out.write_all(text.as_bytes())
            }
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        let open: Vec<u64> = self.blocks.keys().copied().collect();
        for conn in open {
            self.finish_block(conn, "capture ended")?;
        }
        self.out.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn summary_text(text: &mut String, s: &SummaryEvent) {
    text.push_str(&format!(
        "summary: {} packets, {} TCP connections, {} TLS connections, {} messages, {} gaps ({} bytes), {} malformed packets\n",
        s.packets, s.connections, s.tls_connections, s.messages, s.gaps, s.gap_bytes, s.malformed_packets
    ));
    let h = &s.handshakes;
    if h.total > 0 {
        let list = |m: &std::collections::BTreeMap<String, u64>| {
            let mut v: Vec<(&String, &u64)> = m.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            v.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")
        };
        text.push_str(&format!("  handshakes: {} ({} complete)\n", h.total, h.complete));
        text.push_str(&format!("  versions: {}\n", list(&h.by_version)));
        text.push_str(&format!("  cipher suites: {}\n", list(&h.by_cipher_suite)));
        text.push_str(&format!("  kinds: {}\n", list(&h.by_kind)));
        if !h.failures.is_empty() {
            text.push_str(&format!("  {}\n", format!("failures: {}", list(&h.failures)).red()));
        }
    }
    if let Some(d) = &s.decryption {
        text.push_str(&format!(
            "  decryption: {} connections decrypted, {} without secrets, {} unsupported; Finished verified {}, failed {}\n",
            d.connections_decrypted, d.connections_without_secrets, d.connections_unsupported_cipher, d.finished_verified, d.finished_failed
        ));
    }
    if let Some(k) = &s.kernel {
        text.push_str(&format!("  kernel: {} packets received, {} dropped\n", k.packets_received, k.packets_dropped));
    }
    for lt in &s.skipped_link_types {
        text.push_str(&format!("  skipped {} packets of unsupported link type {}\n", lt.packets, lt.linktype));
    }
    if let Some(e) = &s.input_error {
        text.push_str(&format!("  input error: {e}\n"));
    }
}
