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
    ConnectionEvent, Direction, Event, HandshakeEvent, HelloFingerprints, MessageEvent, SummaryEvent,
};
use crate::fast_map::FastMap;
use crate::msgs::HandshakeBody;
use crate::msgs::extensions::ExtensionBody;
use crate::time::Timestamp;
use colored::Colorize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
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
    /// The message and gap lines rendered so far, as they arrived: holding text rather than
    /// decoded events keeps waiting blocks small and avoids copying every decoded message.
    lines: String,
    held_lines: usize,
    dropped: u64,
    printed: bool,
    last_time: Option<Timestamp>,
    /// After the handshake: counts by (direction, name) and bytes.
    after: BTreeMap<(u8, crate::msgs::names::Name), (u64, u64)>,
    failed: bool,
}

impl Block {
    /// Empties the held lines, keeping their buffer for the next block (`spare`).
    fn clear_lines(&mut self, spare: &mut Vec<String>) {
        let mut lines = std::mem::take(&mut self.lines);
        self.held_lines = 0;
        if spare.len() < MAX_SPARE_LINE_BUFFERS && lines.capacity() <= MAX_SPARE_LINE_BYTES {
            lines.clear();
            spare.push(lines);
        }
    }
}

/// Line buffers kept for reuse: a block's lines grew by reallocation, several times per
/// connection; a few hundred buffers of a few kilobytes cover the blocks open at once.
const MAX_SPARE_LINE_BUFFERS: usize = 256;
const MAX_SPARE_LINE_BYTES: usize = 16 << 10;

/// The block of `conn`, a new one (with a spare line buffer) if there is none.
fn block_of<'b>(blocks: &'b mut FastMap<u64, Block>, spare: &mut Vec<String>, conn: u64) -> &'b mut Block {
    blocks.entry(conn).or_insert_with(|| Block { lines: spare.pop().unwrap_or_default(), ..Block::default() })
}

pub struct TextSink<W: Write> {
    out: W,
    verbosity: Verbosity,
    blocks: FastMap<u64, Block>,
    /// Only print handshakes that failed.
    failed_only: bool,
    paint: Paint,
    /// Reused for every block written.
    text: String,
    /// Emptied line buffers of printed blocks, for new blocks.
    spare_lines: Vec<String>,
}

impl<W: Write> TextSink<W> {
    /// Colors follow `colored`'s global switch as it is when the sink is made.
    pub fn new(out: W) -> Self {
        TextSink {
            out,
            verbosity: Verbosity::Normal,
            blocks: FastMap::default(),
            failed_only: false,
            paint: Paint { on: colored::control::SHOULD_COLORIZE.should_colorize() },
            text: String::with_capacity(8 << 10),
            spare_lines: Vec::new(),
        }
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
            block.clear_lines(&mut self.spare_lines);
            return Ok(());
        }
        let text = &mut self.text;
        text.clear();
        header(text, self.paint, conn, block.conn.as_ref(), hs);
        if self.verbosity != Verbosity::Quiet {
            text.push_str(&block.lines);
            if block.dropped > 0 {
                let _ = writeln!(text, "  ... {} more messages not shown", block.dropped);
            }
        }
        block.clear_lines(&mut self.spare_lines);
        self.out.write_all(text.as_bytes())
    }

    fn finish_block(&mut self, conn: u64, reason: &str) -> io::Result<()> {
        self.print_block(conn, None)?;
        let Some(block) = self.blocks.remove(&conn) else { return Ok(()) };
        if self.verbosity == Verbosity::Quiet || (self.failed_only && !block.failed) {
            return Ok(());
        }
        let text = &mut self.text;
        text.clear();
        for ((dir, name), (count, bytes)) in &block.after {
            let arrow = if *dir == 0 { "C ──▶ S" } else { "C ◀── S" };
            text.push_str("        after the handshake:  ");
            text.push_str(arrow);
            text.push_str("  post  ");
            text.push_str(name);
            text.push_str(" ×");
            push_decimal(text, *count);
            text.push_str(" (");
            push_decimal(text, *bytes);
            text.push_str(" bytes)\n");
        }
        text.push_str("  ");
        self.paint.styled(text, Style::Dim, |t| {
            let _ = write!(t, "connection closed ({reason})");
        });
        text.push_str("\n\n");
        self.out.write_all(text.as_bytes())
    }
}

/// ANSI styles, written straight into the output buffer: `colored` would make a `String` per
/// colored piece. These are the same escape sequences it writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Bold,
    Dim,
    Red,
    RedBold,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Bold => "\x1b[1m",
            Style::Dim => "\x1b[2m",
            Style::Red => "\x1b[31m",
            Style::RedBold => "\x1b[1;31m",
            Style::Green => "\x1b[32m",
            Style::Yellow => "\x1b[33m",
            Style::Blue => "\x1b[34m",
            Style::Magenta => "\x1b[35m",
            Style::Cyan => "\x1b[36m",
        }
    }
}

#[derive(Clone, Copy)]
struct Paint {
    on: bool,
}

impl Paint {
    /// Writes what `body` writes, in `style` when colors are on.
    fn styled(self, out: &mut String, style: Style, body: impl FnOnce(&mut String)) {
        if self.on {
            out.push_str(style.code());
            body(out);
            out.push_str("\x1b[0m");
        } else {
            body(out);
        }
    }

    fn str(self, out: &mut String, style: Style, s: &str) {
        self.styled(out, style, |o| o.push_str(s));
    }
}

const SPACES: &str = "                                                                ";

/// Characters in `text`: its length when it is ASCII, as times and message names are, without
/// counting them one by one.
fn width_of(text: &str) -> usize {
    if text.is_ascii() { text.len() } else { text.chars().count() }
}

/// Writes what `body` writes, right-aligned to `width` characters.
fn right_aligned(out: &mut String, width: usize, body: impl FnOnce(&mut String)) {
    let start = out.len();
    body(out);
    let written = out.get(start..).map_or(0, width_of);
    if written < width {
        out.insert_str(start, SPACES.get(..width - written).unwrap_or_default());
    }
}

/// Writes what `body` writes, then spaces up to `width` characters.
fn left_aligned(out: &mut String, width: usize, body: impl FnOnce(&mut String)) {
    let start = out.len();
    body(out);
    let written = out.get(start..).map_or(0, width_of);
    if written < width {
        out.push_str(SPACES.get(..width - written).unwrap_or_default());
    }
}

fn arrow_word(d: Direction) -> &'static str {
    match d {
        Direction::ClientToServer => "client to server",
        Direction::ServerToClient => "server to client",
    }
}

/// `12.345 ms`: a duration in nanoseconds, rounded to the microsecond (halves up). Digits go
/// through itoa, not `write!`: twice per message line (BENCHMARKS.md has the measured cost).
fn write_ms(out: &mut String, nanos: i128) {
    if nanos < 0 {
        out.push('-');
    }
    let micros = u64::try_from(nanos.unsigned_abs()).unwrap_or(u64::MAX).saturating_add(500) / 1000;
    push_decimal(out, micros / 1000);
    let fraction = micros % 1000;
    out.push_str(if fraction < 10 {
        ".00"
    } else if fraction < 100 {
        ".0"
    } else {
        "."
    });
    push_decimal(out, fraction);
    out.push_str(" ms");
}

/// Decimal digits of `n`, without `fmt` machinery (several times per message line).
fn push_decimal(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// Writes `part` after a two-space separator (none before the first).
fn part(text: &mut String, first: &mut bool) {
    if !*first {
        text.push_str("  ");
    }
    *first = false;
}

fn header(text: &mut String, paint: Paint, conn: u64, c: Option<&ConnectionEvent>, hs: Option<&HandshakeEvent>) {
    let mut first = true;
    part(text, &mut first);
    paint.styled(text, Style::Bold, |t| {
        t.push_str("conn ");
        push_decimal(t, conn);
    });
    part(text, &mut first);
    if let Some(c) = c {
        write_endpoint(text, c.client.ip, c.client.port);
        text.push_str(" → ");
        write_endpoint(text, c.server.ip, c.server.port);
        if !c.tls_seen {
            part(text, &mut first);
            paint.str(text, Style::Yellow, "TLS not recognised: a gap hid the start");
        }
    }
    let Some(h) = hs else {
        part(text, &mut first);
        paint.str(text, Style::Yellow, "handshake not seen");
        text.push('\n');
        return;
    };
    if h.handshake > 1 {
        part(text, &mut first);
        paint.styled(text, Style::Yellow, |t| {
            let _ = write!(t, "handshake {} (renegotiation)", h.handshake);
        });
    }
    if let Some(sni) = &h.sni {
        part(text, &mut first);
        paint.str(text, Style::Cyan, sni);
    }
    for plain in [&h.version_name, &h.cipher_suite_name, &h.group].into_iter().flatten() {
        part(text, &mut first);
        text.push_str(plain);
    }
    part(text, &mut first);
    text.extend(h.kind.chars().map(|c| if c == '_' { ' ' } else { c }));
    if h.hello_retry_request {
        text.push_str(" +HRR");
    }
    if h.client_certificate != "none" {
        let _ = write!(text, " +client-cert {}", h.client_certificate);
    }
    if h.early_data != "none" {
        let _ = write!(text, " +0-RTT {}", h.early_data);
    }
    if let Some(d) = h.duration {
        part(text, &mut first);
        write_ms(text, (d * 1e9).round() as i128);
    }
    match h.finished_verified {
        Some(true) => {
            part(text, &mut first);
            paint.str(text, Style::Green, "Finished verified");
        }
        Some(false) => {
            part(text, &mut first);
            paint.str(text, Style::RedBold, "Finished NOT VERIFIED");
        }
        None => {}
    }
    part(text, &mut first);
    if h.complete {
        paint.str(text, Style::Green, "complete");
    } else {
        paint.styled(text, Style::RedBold, |t| {
            let _ = write!(t, "FAILED: {}", h.failure.as_deref().unwrap_or("unknown"));
        });
    }
    text.push('\n');
    for w in &h.warnings {
        text.push_str("  ");
        paint.styled(text, Style::Yellow, |t| {
            let _ = write!(t, "warning: {w}");
        });
        text.push('\n');
    }
}

fn write_endpoint(out: &mut String, ip: std::net::IpAddr, port: u16) {
    let _ = match ip {
        std::net::IpAddr::V6(v6) => write!(out, "[{v6}]:{port}"),
        std::net::IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_decimal(out, u64::from(octet));
            }
            out.push(':');
            push_decimal(out, u64::from(port));
            Ok(())
        }
    };
}

fn phase_style(p: u8) -> Style {
    match p {
        1 => Style::Blue,
        2 => Style::Magenta,
        3 => Style::Cyan,
        4 => Style::Green,
        _ => Style::Dim,
    }
}

fn message_line(
    text: &mut String,
    paint: Paint,
    m: &MessageEvent,
    start: Option<Timestamp>,
    prev: Option<Timestamp>,
    v: Verbosity,
) {
    let now = m.time.as_nanos();
    let since = start.map_or(0, |s| now - s.as_nanos());
    let delta = prev.or(start).map_or(0, |p| now - p.as_nanos());
    text.push_str("  ");
    right_aligned(text, 12, |t| write_ms(t, since));
    text.push(' ');
    right_aligned(text, 13, |t| {
        t.push('+');
        write_ms(t, delta);
    });
    text.push_str("  ");
    match m.direction {
        Direction::ClientToServer => paint.str(text, Style::Blue, "C ──▶ S"),
        Direction::ServerToClient => paint.str(text, Style::Magenta, "C ◀── S"),
    }
    text.push_str("  ");
    paint.styled(text, phase_style(m.phase), |t| {
        if m.phase == 0 {
            t.push_str("post");
        } else {
            t.push_str("ph");
            push_decimal(t, u64::from(m.phase));
        }
    });
    text.push_str("  ");
    let name_style = if m.alert.is_some() || m.name.ends_with("Alert") {
        Style::RedBold
    } else if m.encrypted {
        Style::Dim
    } else {
        Style::Bold
    };
    paint.styled(text, name_style, |t| left_aligned(t, 22, |t| t.push_str(&m.name)));
    text.push(' ');
    key_values(text, paint, m);
    text.push('\n');
    if v == Verbosity::Verbose {
        text.push_str("                  ");
        paint.str(text, Style::Dim, &m.role);
        text.push('\n');
        for detail in details(m) {
            let _ = writeln!(text, "                    {detail}");
        }
    }
}

/// The few values that matter for each message.
fn key_values(text: &mut String, paint: Paint, m: &MessageEvent) {
    if let Some(inc) = &m.incomplete {
        paint.styled(text, Style::Red, |t| {
            let _ = write!(t, "INCOMPLETE: {} of {} bytes captured", inc.bytes_captured, m.length);
            if let Some(field) = inc.cut_in {
                let _ = write!(t, ", cut in its {field}");
            }
        });
        if m.body.is_some() {
            text.push_str("; ");
        } else {
            return;
        }
    }
    if let Some(a) = &m.alert {
        paint.styled(text, Style::Red, |t| {
            t.push_str(&a.level_name);
            t.push(' ');
            t.push_str(&a.description_name);
        });
        return;
    }
    match &m.body {
        Some(HandshakeBody::ClientHello { client_hello: ch }) => {
            let top = ch
                .offered_versions()
                .and_then(|v| v.iter().copied().filter(|v| !crate::registry::is_grease(*v)).max())
                .unwrap_or(ch.version);
            text.push_str(&version_name(top));
            text.push_str(", ");
            push_decimal(text, ch.cipher_suites.len() as u64);
            text.push_str(" suites");
            if let Some(sni) = &ch.sni {
                text.push_str(", SNI ");
                text.push_str(sni);
            }
            if let Some(a) = crate::msgs::extensions::alpn(&ch.extensions) {
                text.push_str(", ALPN ");
                for (i, p) in a.iter().enumerate() {
                    if i > 0 {
                        text.push(',');
                    }
                    text.push_str(p);
                }
            }
        }
        Some(HandshakeBody::ServerHello { server_hello: sh }) => {
            if sh.hello_retry_request {
                text.push_str("retry with ");
                match sh.selected_group {
                    Some(g) => text.push_str(&group_name(g)),
                    None => text.push_str("another group"),
                }
                return;
            }
            text.push_str(&version_name(sh.negotiated_version()));
            text.push_str(", ");
            text.push_str(&suite_name(sh.cipher_suite));
        }
        Some(HandshakeBody::Finished { finished }) => match finished.verified {
            Some(true) => paint.str(text, Style::Green, "verified ✓"),
            Some(false) => paint.str(text, Style::RedBold, "NOT VERIFIED ✗"),
            None => {}
        },
        Some(HandshakeBody::Certificate { certificates, .. }) => {
            let _ = match certificates.first() {
                Some(crate::msgs::certificate::CertificateEntry::X509 { cert, .. }) => match &cert.details {
                    crate::certs::CertDetails::Parsed(p) => {
                        write!(text, "{} ({} certs)", p.subject, certificates.len())
                    }
                    crate::certs::CertDetails::Unparsed { .. } => write!(text, "{} certs", certificates.len()),
                },
                _ => write!(text, "{} certs", certificates.len()),
            };
        }
        Some(HandshakeBody::ServerKeyExchange { server_key_exchange: ske }) => {
            if let Some(curve) = &ske.named_curve_name {
                text.push_str(curve);
            } else if let Some(bits) = ske.dh_p_bits {
                let _ = write!(text, "DH {bits} bits");
            }
        }
        Some(HandshakeBody::NewSessionTicket { new_session_ticket: t }) => {
            if let Some(l) = t.lifetime.or(t.lifetime_hint) {
                text.push_str("lifetime ");
                push_decimal(text, u64::from(l));
                text.push_str(" s");
            }
        }
        _ => {
            if m.decrypted && m.content_type == "application_data" {
                let _ = match &m.data {
                    Some(d) => write!(text, "{} bytes: {d}", m.length),
                    None => write!(text, "{} bytes", m.length),
                };
            } else if m.encrypted || m.handshake_type.is_none() {
                push_decimal(text, m.length as u64);
                text.push_str(" bytes");
            }
        }
    }
}

/// Decoded fields shown at -v.
fn details(m: &MessageEvent) -> Vec<String> {
    let mut out = Vec::new();
    match m.fingerprints.as_deref() {
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
            out.push(format!("random {}", crate::hex_text::lower(&ch.random)));
            if !ch.session_id.is_empty() {
                out.push(format!("session_id {}", crate::hex_text::lower(&ch.session_id)));
            }
            let suites: Vec<crate::msgs::names::Name> = ch.cipher_suites.iter().map(|c| suite_name(*c)).collect();
            out.push(format!("cipher_suites {}", suites.join(" ")));
            for e in &ch.extensions {
                out.push(extension_detail(e));
            }
        }
        Some(HandshakeBody::ServerHello { server_hello: sh }) => {
            out.push(format!("random {}", crate::hex_text::lower(&sh.random)));
            if !sh.session_id.is_empty() {
                out.push(format!("session_id {}", crate::hex_text::lower(&sh.session_id)));
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

impl<W: Write> Sink for TextSink<W> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        match ev {
            Event::Connection(c) => {
                block_of(&mut self.blocks, &mut self.spare_lines, c.conn).conn = Some(c.clone());
                Ok(())
            }
            Event::Message(m) => {
                let block = block_of(&mut self.blocks, &mut self.spare_lines, m.conn);
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
                } else if block.held_lines < MAX_HELD_LINES {
                    let start = block.conn.as_ref().map(|c| c.time);
                    message_line(&mut block.lines, self.paint, m, start, block.last_time, self.verbosity);
                    block.held_lines += 1;
                } else {
                    block.dropped += 1;
                }
                block.last_time = Some(m.time);
                Ok(())
            }
            Event::Gap(g) => {
                let block = block_of(&mut self.blocks, &mut self.spare_lines, g.conn);
                if block.printed {
                    let dir = if g.direction == Direction::ClientToServer { 0 } else { 1 };
                    let e = block.after.entry((dir, "GAP (bytes missing)".into())).or_insert((0, 0));
                    e.0 += 1;
                    e.1 += g.bytes;
                } else if block.held_lines < MAX_HELD_LINES {
                    let text = &mut block.lines;
                    let _ = write!(text, "  {:>26}  ", "");
                    self.paint.styled(text, Style::RedBold, |t| {
                        let why = match g.cause {
                            "capture_loss" => "lost from the capture",
                            "snaplen" => "cut by the snap length",
                            "buffer_limit" => "dropped by tlstrace: out-of-order buffer full",
                            "evicted" => "dropped by tlstrace: flow evicted",
                            other => other,
                        };
                        let _ = write!(
                            t,
                            "GAP: {} bytes missing {} at offset {} ({why})",
                            g.bytes,
                            arrow_word(g.direction),
                            g.offset
                        );
                    });
                    text.push('\n');
                    block.held_lines += 1;
                }
                Ok(())
            }
            Event::Handshake(h) => {
                if self.verbosity == Verbosity::Quiet {
                    let block = block_of(&mut self.blocks, &mut self.spare_lines, h.conn);
                    block.printed = true;
                    block.clear_lines(&mut self.spare_lines);
                    let failed = !h.complete || !h.alerts.is_empty();
                    block.failed = failed;
                    if self.failed_only && !failed {
                        return Ok(());
                    }
                    let text = &mut self.text;
                    text.clear();
                    header(text, self.paint, h.conn, block.conn.as_ref(), Some(h));
                    return self.out.write_all(text.as_bytes());
                }
                self.print_block(h.conn, Some(h))
            }
            Event::End(e) => self.finish_block(e.conn, e.reason),
            Event::Evicted(e) => {
                // Bare SYNs of a flood are only counted in the summary.
                let bytes = e.bytes_initiator_to_responder + e.bytes_responder_to_initiator;
                if bytes == 0 || self.verbosity == Verbosity::Quiet {
                    return Ok(());
                }
                let text = &mut self.text;
                text.clear();
                text.push_str("flow  ");
                write_endpoint(text, e.initiator.ip, e.initiator.port);
                text.push_str(" → ");
                write_endpoint(text, e.responder.ip, e.responder.port);
                text.push_str("  ");
                self.paint.styled(text, Style::Yellow, |t| {
                    let _ = write!(t, "evicted before TLS was seen in it ({}; {bytes} bytes)", e.cause);
                });
                text.push('\n');
                self.out.write_all(text.as_bytes())
            }
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

    fn needs_fingerprints(&self) -> bool {
        self.verbosity == Verbosity::Verbose
    }

    fn needs_roles(&self) -> bool {
        self.verbosity == Verbosity::Verbose
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
    if s.unconfirmed_connections > 0 {
        text.push_str(&format!(
            "  {} flows whose start a gap hid before TLS could be recognised (reported with their gaps)\n",
            s.unconfirmed_connections
        ));
    }
    if s.evicted_flows > 0 {
        text.push_str(&format!("  {} flows evicted before TLS was seen in them (flow table full)", s.evicted_flows));
        if s.evicted_flows_unlisted > 0 {
            text.push_str(&format!("; {} of them not listed one by one", s.evicted_flows_unlisted));
        }
        text.push('\n');
    }
    for (cause, bytes) in &s.gap_bytes_by_cause {
        text.push_str(&format!("  {bytes} gap bytes dropped by tlstrace ({cause})\n"));
    }
    let e = &s.evictions;
    if *e != crate::budget::Evictions::default() {
        text.push_str(&format!(
            "  memory limit {} MiB reached: evicted {} flows (table full), {} flows (TLS buffers), {} reassembly holes, {} fragment datagrams, {} cache entries\n",
            s.memory_limit >> 20, e.flows, e.tls_buffers, e.reassembly, e.fragments, e.caches
        ));
    }
    if let Some(k) = s.key_log.as_ref().filter(|k| k.dropped_lines > 0 || k.read_errors > 0) {
        let mut named: Vec<String> = k.connections_without_secrets.iter().map(u64::to_string).collect();
        if k.connections_without_secrets_unlisted > 0 {
            named.push(format!("and {} more", k.connections_without_secrets_unlisted));
        }
        let named = if named.is_empty() { "none".to_string() } else { named.join(", ") };
        let line = format!(
            "key log: {} lines, {} kept, {} dropped for lack of memory (raise --memory-limit), {} read errors; connections that lost their secrets to it: {named}",
            k.lines, k.indexed, k.dropped_lines, k.read_errors
        );
        text.push_str(&format!("  {}\n", line.red()));
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

#[cfg(test)]
mod tests {
    use super::{left_aligned, right_aligned, width_of};

    /// The summary says what the memory limit evicted, and only when it did.
    #[test]
    fn summary_reports_evictions() {
        let mut s = crate::conn::events::SummaryEvent { memory_limit: 64 << 20, ..Default::default() };
        let mut text = String::new();
        super::summary_text(&mut text, &s);
        assert!(!text.contains("memory limit"), "{text}");
        s.evictions = crate::budget::Evictions { flows: 5, reassembly: 2, tls_buffers: 3, fragments: 4, caches: 1 };
        let mut text = String::new();
        super::summary_text(&mut text, &s);
        assert!(
            text.contains("  memory limit 64 MiB reached: evicted 5 flows (table full), 3 flows (TLS buffers), 2 reassembly holes, 4 fragment datagrams, 1 cache entries\n"),
            "{text}"
        );
    }

    /// Alignment counts characters, not bytes, also when they are not ASCII.
    #[test]
    fn aligned_by_characters() {
        for (text, width) in [("ServerHello", 11), ("Zertifikatsprüfung", 18), ("—▶", 2), ("", 0)] {
            assert_eq!(width_of(text), width);
            let mut out = String::from("|");
            left_aligned(&mut out, 20, |t| t.push_str(text));
            assert_eq!(out.chars().count(), 21, "{out}");
            let mut out = String::from("|");
            right_aligned(&mut out, 20, |t| t.push_str(text));
            assert_eq!(out, format!("|{text:>20}"));
        }
    }

    /// Milliseconds with three decimals, rounded to the microsecond, halves away from zero.
    #[test]
    fn milliseconds_from_nanoseconds() {
        let samples = (0..3000i128).map(|n| n * 337).chain([
            499,
            500,
            999_499,
            999_500,
            1_000_000_000,
            123_456_789_012,
            i128::from(u64::MAX) * 2,
        ]);
        for nanos in samples.flat_map(|n| [n, -n]) {
            let mut ours = String::new();
            super::write_ms(&mut ours, nanos);
            let micros = u64::try_from(nanos.unsigned_abs()).unwrap_or(u64::MAX).saturating_add(500) / 1000;
            let sign = if nanos < 0 { "-" } else { "" };
            assert_eq!(ours, format!("{sign}{}.{:03} ms", micros / 1000, micros % 1000), "{nanos} ns");
        }
        for (nanos, text) in
            [(0, "0.000 ms"), (1_234_567, "1.235 ms"), (-499, "-0.000 ms"), (61_000_500_000, "61000.500 ms")]
        {
            let mut ours = String::new();
            super::write_ms(&mut ours, nanos);
            assert_eq!(ours, text);
        }
    }
}
