//! NSS key log files (the SSLKEYLOGFILE format): one secret per line, indexed by the client
//! random of the connection it belongs to.
//!
//! ```text
//! # comment
//! CLIENT_RANDOM <client random, 64 hex> <master secret, 96 hex>          (TLS <= 1.2)
//! SERVER_HANDSHAKE_TRAFFIC_SECRET <client random> <secret, 64 or 96 hex>  (TLS 1.3)
//! ```
//!
//! Parsing is one pass over the bytes without allocation per field; bad lines are reported with
//! their line number and never stop the parse. Text can come from a file, from pcapng Decryption
//! Secrets Blocks ([`KeyLog::add_text`]) or from a file that keeps growing while a capture runs
//! ([`KeyLogFollower`]).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Most connections (client randoms) one key log holds; lines beyond are reported and dropped.
pub const MAX_CONNECTIONS: usize = 1_000_000;
/// Longest line considered (a valid one is under 200 bytes).
pub const MAX_LINE_LEN: usize = 1024;
/// Issues listed one by one per parse call; the rest are summed up in a last issue.
pub const MAX_LISTED_ISSUES: usize = 100;
/// Bytes read from a followed file per read call.
const READ_CHUNK: usize = 1 << 20;

/// The secrets the key log gave for one connection.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// CLIENT_RANDOM: the TLS <= 1.2 master secret (48 bytes).
    pub master_secret: Option<Vec<u8>>,
    /// CLIENT_HANDSHAKE_TRAFFIC_SECRET
    pub client_handshake: Option<Vec<u8>>,
    /// SERVER_HANDSHAKE_TRAFFIC_SECRET
    pub server_handshake: Option<Vec<u8>>,
    /// CLIENT_TRAFFIC_SECRET_0
    pub client_app0: Option<Vec<u8>>,
    /// SERVER_TRAFFIC_SECRET_0
    pub server_app0: Option<Vec<u8>>,
    /// CLIENT_EARLY_TRAFFIC_SECRET
    pub client_early: Option<Vec<u8>>,
    /// EXPORTER_SECRET
    pub exporter: Option<Vec<u8>>,
}

impl std::fmt::Debug for Secrets {
    // Secrets are never printed, only which ones are present.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let present: Vec<&str> = Label::ALL.iter().filter(|l| self.slot(**l).is_some()).map(|l| l.name()).collect();
        f.debug_struct("Secrets").field("present", &present).finish()
    }
}

impl Secrets {
    fn slot(&self, label: Label) -> &Option<Vec<u8>> {
        match label {
            Label::ClientRandom => &self.master_secret,
            Label::ClientHandshake => &self.client_handshake,
            Label::ServerHandshake => &self.server_handshake,
            Label::ClientApp0 => &self.client_app0,
            Label::ServerApp0 => &self.server_app0,
            Label::ClientEarly => &self.client_early,
            Label::Exporter => &self.exporter,
        }
    }

    fn slot_mut(&mut self, label: Label) -> &mut Option<Vec<u8>> {
        match label {
            Label::ClientRandom => &mut self.master_secret,
            Label::ClientHandshake => &mut self.client_handshake,
            Label::ServerHandshake => &mut self.server_handshake,
            Label::ClientApp0 => &mut self.client_app0,
            Label::ServerApp0 => &mut self.server_app0,
            Label::ClientEarly => &mut self.client_early,
            Label::Exporter => &mut self.exporter,
        }
    }

    /// TLS 1.3 handshake traffic secret of the client's (`client` true) or the server's records.
    pub fn handshake_secret(&self, client: bool) -> Option<&[u8]> {
        if client { self.client_handshake.as_deref() } else { self.server_handshake.as_deref() }
    }

    /// TLS 1.3 first application traffic secret of the client's or the server's records.
    pub fn app_secret(&self, client: bool) -> Option<&[u8]> {
        if client { self.client_app0.as_deref() } else { self.server_app0.as_deref() }
    }

    /// Labels a TLS 1.3 handshake and its application data need but this entry lacks (early
    /// data and exporter secrets are optional and never listed).
    pub fn missing_labels_for_tls13(&self) -> Vec<&'static str> {
        [Label::ClientHandshake, Label::ServerHandshake, Label::ClientApp0, Label::ServerApp0]
            .into_iter()
            .filter(|l| self.slot(*l).is_none())
            .map(Label::name)
            .collect()
    }

    /// Labels a TLS <= 1.2 connection needs but this entry lacks.
    pub fn missing_labels_for_tls12(&self) -> Vec<&'static str> {
        if self.master_secret.is_none() { vec![Label::ClientRandom.name()] } else { Vec::new() }
    }

    /// Copies in every secret `other` has (later values win).
    fn absorb(&mut self, other: Secrets) {
        for label in Label::ALL {
            if let Some(value) = other.slot(label).clone() {
                *self.slot_mut(label) = Some(value);
            }
        }
    }
}

/// Labels whose secrets are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Label {
    ClientRandom,
    ClientHandshake,
    ServerHandshake,
    ClientApp0,
    ServerApp0,
    ClientEarly,
    Exporter,
}

impl Label {
    const ALL: [Label; 7] = [
        Label::ClientRandom,
        Label::ClientHandshake,
        Label::ServerHandshake,
        Label::ClientApp0,
        Label::ServerApp0,
        Label::ClientEarly,
        Label::Exporter,
    ];

    fn name(self) -> &'static str {
        match self {
            Label::ClientRandom => "CLIENT_RANDOM",
            Label::ClientHandshake => "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            Label::ServerHandshake => "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            Label::ClientApp0 => "CLIENT_TRAFFIC_SECRET_0",
            Label::ServerApp0 => "SERVER_TRAFFIC_SECRET_0",
            Label::ClientEarly => "CLIENT_EARLY_TRAFFIC_SECRET",
            Label::Exporter => "EXPORTER_SECRET",
        }
    }

    fn from_bytes(bytes: &[u8]) -> Option<Label> {
        Label::ALL.into_iter().find(|l| l.name().as_bytes() == bytes)
    }

    /// Whether a secret of `len` bytes fits the label.
    fn accepts_len(self, len: usize) -> bool {
        match self {
            Label::ClientRandom => len == 48,
            // TLS 1.3 secrets are one hash long: SHA-256 or SHA-384.
            _ => len == 32 || len == 48,
        }
    }
}

/// Labels other tools write that carry nothing this module uses; their lines are skipped
/// silently and counted. (RSA gives a premaster secret keyed by the encrypted premaster, the early
/// exporter serves no record decryption, and later traffic secret generations, which OpenSSL logs
/// as *_TRAFFIC_SECRET_N, are derived here from generation 0 at each KeyUpdate.)
fn is_tolerated_label(label: &[u8]) -> bool {
    const TOLERATED: [&[u8]; 3] = [b"EARLY_EXPORTER_SECRET", b"RSA", b"PMS_CLIENT_RANDOM"];
    TOLERATED.contains(&label)
        || label.starts_with(b"CLIENT_TRAFFIC_SECRET_")
        || label.starts_with(b"SERVER_TRAFFIC_SECRET_")
}

/// A line that was not used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyLogIssue {
    /// 1-based line number in the text (or file) given.
    pub line: usize,
    pub reason: String,
}

/// Collects issues up to [`MAX_LISTED_ISSUES`], then counts the rest.
#[derive(Default)]
struct IssueSink {
    listed: Vec<KeyLogIssue>,
    more: usize,
    first_unlisted_line: usize,
}

impl IssueSink {
    fn report(&mut self, line: usize, reason: impl FnOnce() -> String) {
        if self.listed.len() < MAX_LISTED_ISSUES {
            self.listed.push(KeyLogIssue { line, reason: reason() });
        } else {
            if self.more == 0 {
                self.first_unlisted_line = line;
            }
            self.more += 1;
        }
    }

    fn finish(mut self) -> Vec<KeyLogIssue> {
        if self.more > 0 {
            self.listed.push(KeyLogIssue {
                line: self.first_unlisted_line,
                reason: format!("{} more unusable lines from here on, not listed", self.more),
            });
        }
        self.listed
    }
}

/// Secrets from NSS key logs, indexed by client random.
#[derive(Clone, Debug, Default)]
pub struct KeyLog {
    entries: HashMap<[u8; 32], Secrets>,
    skipped_lines: usize,
}

impl KeyLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a whole key log.
    pub fn parse(text: &[u8]) -> (KeyLog, Vec<KeyLogIssue>) {
        let mut log = KeyLog::new();
        let issues = log.add_text(text);
        (log, issues)
    }

    /// Reads and parses a key log file, in bounded chunks.
    pub fn load(path: &Path) -> io::Result<(KeyLog, Vec<KeyLogIssue>)> {
        let mut log = KeyLog::new();
        let mut follower = KeyLogFollower::new(path);
        let mut issues = follower.poll(&mut log)?;
        issues.extend(follower.finish(&mut log));
        Ok((log, issues))
    }

    /// Adds the lines of `text` (a complete piece of key log: a pcapng Decryption Secrets Block,
    /// a second file). Line numbers in the issues count from 1 at the start of `text`.
    pub fn add_text(&mut self, text: &[u8]) -> Vec<KeyLogIssue> {
        // A key log line is at least ~130 bytes: reserve once instead of rehashing as it grows
        // (bounded, so that a huge file of garbage does not reserve memory up front).
        let room = MAX_CONNECTIONS.saturating_sub(self.entries.len());
        self.entries.reserve((text.len() / 256).min(room).min(1 << 17));
        let mut sink = IssueSink::default();
        for (index, line) in text.split(|&b| b == b'\n').enumerate() {
            self.add_line(line, index.saturating_add(1), &mut sink);
        }
        sink.finish()
    }

    /// Adds every connection of `other`; for a connection in both, `other`'s secrets win.
    pub fn merge(&mut self, other: KeyLog) {
        self.skipped_lines = self.skipped_lines.saturating_add(other.skipped_lines);
        for (random, secrets) in other.entries {
            let held_count = self.entries.len();
            match self.entries.entry(random) {
                Entry::Occupied(mut held) => held.get_mut().absorb(secrets),
                Entry::Vacant(slot) => {
                    if held_count < MAX_CONNECTIONS {
                        slot.insert(secrets);
                    }
                }
            }
        }
    }

    /// Secrets of the connection whose ClientHello carried `client_random` (32 bytes).
    pub fn get(&self, client_random: &[u8]) -> Option<&Secrets> {
        let key: &[u8; 32] = client_random.try_into().ok()?;
        self.entries.get(key)
    }

    /// Connections (client randoms) known.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Lines with a known label this module does not use (EARLY_EXPORTER_SECRET, RSA,
    /// PMS_CLIENT_RANDOM, traffic secrets of generation 1 and later), skipped without an issue.
    pub fn skipped_lines(&self) -> usize {
        self.skipped_lines
    }

    fn add_line(&mut self, line: &[u8], line_no: usize, sink: &mut IssueSink) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // A byte order mark some editors put at the start of the file.
        let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        let line = trim_ascii(line);
        if line.is_empty() || line.first() == Some(&b'#') {
            return;
        }
        if line.len() > MAX_LINE_LEN {
            sink.report(line_no, || format!("line of {} bytes is too long for a key log line", line.len()));
            return;
        }
        let mut fields = line.split(|b| *b == b' ' || *b == b'\t').filter(|f| !f.is_empty());
        let (Some(label), Some(random_hex), Some(secret_hex)) = (fields.next(), fields.next(), fields.next()) else {
            sink.report(line_no, || "expected three fields: label, client random, secret".to_string());
            return;
        };
        if fields.next().is_some() {
            sink.report(line_no, || "more than three fields".to_string());
            return;
        }
        let Some(label) = Label::from_bytes(label) else {
            if is_tolerated_label(label) {
                self.skipped_lines = self.skipped_lines.saturating_add(1);
            } else {
                sink.report(line_no, || format!("unknown label {}, line ignored", printable(label)));
            }
            return;
        };
        let mut random = [0u8; 32];
        if random_hex.len() != 64 || !decode_hex_into(random_hex, &mut random) {
            sink.report(line_no, || "client random is not 64 hex digits".to_string());
            return;
        }
        let Some(secret) = decode_hex(secret_hex) else {
            sink.report(line_no, || format!("{} secret is not hex", label.name()));
            return;
        };
        if !label.accepts_len(secret.len()) {
            sink.report(line_no, || {
                let expected = if label == Label::ClientRandom { "48" } else { "32 or 48" };
                format!("{} secret has {} bytes, expected {expected}", label.name(), secret.len())
            });
            return;
        }
        let entries_len = self.entries.len();
        let secrets = match self.entries.entry(random) {
            Entry::Occupied(held) => held.into_mut(),
            Entry::Vacant(slot) => {
                if entries_len >= MAX_CONNECTIONS {
                    sink.report(line_no, || {
                        format!("key log already holds {MAX_CONNECTIONS} connections, line ignored")
                    });
                    return;
                }
                slot.insert(Secrets::default())
            }
        };
        let slot = secrets.slot_mut(label);
        if slot.as_ref().is_some_and(|old| *old != secret) {
            sink.report(line_no, || {
                format!("{} given again for this client random with another value; the later one is kept", label.name())
            });
        }
        *slot = Some(secret);
    }
}

fn trim_ascii(mut bytes: &[u8]) -> &[u8] {
    while let Some((first, rest)) = bytes.split_first() {
        if !first.is_ascii_whitespace() {
            break;
        }
        bytes = rest;
    }
    while let Some((last, rest)) = bytes.split_last() {
        if !last.is_ascii_whitespace() {
            break;
        }
        bytes = rest;
    }
    bytes
}

/// A label shown in an issue: at most 40 characters, non-printable bytes escaped.
fn printable(bytes: &[u8]) -> String {
    let shown: String = bytes.iter().take(40).flat_map(|b| std::ascii::escape_default(*b)).map(char::from).collect();
    if bytes.len() > 40 { format!("{shown}...") } else { shown }
}

/// Value of each ASCII hex digit, 0xFF for every other byte.
// Indexing here runs at compile time, where an out-of-bounds index fails the build.
#[allow(clippy::indexing_slicing)]
const HEX_VALUES: [u8; 256] = {
    let mut table = [0xFFu8; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

fn hex_value(digit: u8) -> Option<u8> {
    let value = *HEX_VALUES.get(usize::from(digit))?;
    (value != 0xFF).then_some(value)
}

/// Decodes hex digits into `out`, which must be exactly half as long.
fn decode_hex_into(hex: &[u8], out: &mut [u8]) -> bool {
    if hex.len() != out.len().saturating_mul(2) {
        return false;
    }
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let (Some(&hi), Some(&lo)) = (pair.first(), pair.get(1)) else {
            return false;
        };
        let (Some(hi), Some(lo)) = (hex_value(hi), hex_value(lo)) else {
            return false;
        };
        *byte = (hi << 4) | lo;
    }
    true
}

fn decode_hex(hex: &[u8]) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let mut out = vec![0u8; hex.len() / 2];
    decode_hex_into(hex, &mut out).then_some(out)
}

/// Follows a key log file that grows while the capture is read (a browser appending secrets):
/// each [`poll`](KeyLogFollower::poll) reads only the bytes appended since the last one and keeps
/// an unfinished last line for the next poll.
#[derive(Debug)]
pub struct KeyLogFollower {
    path: PathBuf,
    /// Bytes of the file consumed so far.
    offset: u64,
    /// An unfinished last line (no newline yet), at most [`MAX_LINE_LEN`] + 1 bytes.
    partial: Vec<u8>,
    /// The unfinished line outgrew the cap: drop its bytes until its newline.
    partial_too_long: bool,
    /// Complete lines consumed so far.
    lines: usize,
}

impl KeyLogFollower {
    pub fn new(path: &Path) -> Self {
        KeyLogFollower { path: path.to_path_buf(), offset: 0, partial: Vec::new(), partial_too_long: false, lines: 0 }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes of the file consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Adds the lines appended to the file since the last poll to `log`. A file that became
    /// shorter was replaced or truncated: it is read again from the start (secrets already in the
    /// log stay). Issue line numbers count from the start of the file.
    pub fn poll(&mut self, log: &mut KeyLog) -> io::Result<Vec<KeyLogIssue>> {
        let mut file = File::open(&self.path)?;
        let len = file.metadata()?.len();
        if len < self.offset {
            self.offset = 0;
            self.partial.clear();
            self.partial_too_long = false;
            self.lines = 0;
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let mut sink = IssueSink::default();
        let mut chunk = vec![0u8; READ_CHUNK];
        loop {
            let read = file.read(&mut chunk)?;
            if read == 0 {
                break;
            }
            self.offset = self.offset.saturating_add(read as u64);
            self.feed(log, chunk.get(..read).unwrap_or_default(), &mut sink);
        }
        Ok(sink.finish())
    }

    /// Takes the unfinished last line as complete (the writer is done, e.g. at the end of a
    /// capture file).
    pub fn finish(&mut self, log: &mut KeyLog) -> Vec<KeyLogIssue> {
        let mut sink = IssueSink::default();
        if !self.partial.is_empty() || self.partial_too_long {
            self.complete_line(log, &mut sink);
        }
        sink.finish()
    }

    fn feed(&mut self, log: &mut KeyLog, mut bytes: &[u8], sink: &mut IssueSink) {
        while let Some(newline) = bytes.iter().position(|&b| b == b'\n') {
            let (head, tail) = bytes.split_at(newline);
            self.append_partial(head);
            self.complete_line(log, sink);
            bytes = tail.get(1..).unwrap_or_default();
        }
        self.append_partial(bytes);
    }

    fn append_partial(&mut self, bytes: &[u8]) {
        if self.partial_too_long {
            return;
        }
        if self.partial.len().saturating_add(bytes.len()) > MAX_LINE_LEN {
            self.partial.clear();
            self.partial_too_long = true;
            return;
        }
        self.partial.extend_from_slice(bytes);
    }

    fn complete_line(&mut self, log: &mut KeyLog, sink: &mut IssueSink) {
        self.lines = self.lines.saturating_add(1);
        if self.partial_too_long {
            sink.report(self.lines, || format!("line longer than {MAX_LINE_LEN} bytes is too long for a key log line"));
        } else {
            log.add_line(&self.partial, self.lines, sink);
        }
        self.partial.clear();
        self.partial_too_long = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::time::Instant;

    const CR1: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const CR2: &str = "1ca51d8032bbf6e0748bc3852de83b111463295f913ea8a0695ee384a4503848";

    fn hex32(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn parses_every_label() {
        let master = "916abf9da55973e13614ae0a3f5d3f37b023ba129aee02cc9134338127cd7049781c8e19fc1eb2a7387ac06ae237344c";
        let s32 = "aa87c1bd965ea9e1361d15e7fd671792980da373f34e4eefe1fd21effbd65a80";
        let s48 = format!("{s32}0102030405060708090a0b0c0d0e0f10");
        let text = format!(
            "# SSL/TLS secrets log file\n\
             \n\
             CLIENT_RANDOM {CR1} {master}\n\
             CLIENT_HANDSHAKE_TRAFFIC_SECRET {CR2} {s32}\r\n\
             SERVER_HANDSHAKE_TRAFFIC_SECRET {CR2} {s48}\n\
             CLIENT_TRAFFIC_SECRET_0\t{CR2}  {s32}\n\
             SERVER_TRAFFIC_SECRET_0 {} {s32}\n\
             CLIENT_EARLY_TRAFFIC_SECRET {CR2} {s32}\n\
             EXPORTER_SECRET {CR2} {s32}",
            CR2.to_uppercase()
        );
        let (log, issues) = KeyLog::parse(text.as_bytes());
        assert_eq!(issues, vec![]);
        assert_eq!(log.len(), 2);
        let tls12 = log.get(&hex32(CR1)).unwrap();
        assert_eq!(tls12.master_secret.as_deref(), Some(&hex::decode(master).unwrap()[..]));
        assert_eq!(tls12.missing_labels_for_tls12(), Vec::<&str>::new());
        assert_eq!(tls12.missing_labels_for_tls13().len(), 4);
        let tls13 = log.get(&hex32(CR2)).unwrap();
        assert_eq!(tls13.client_handshake.as_deref(), Some(&hex::decode(s32).unwrap()[..]));
        assert_eq!(tls13.server_handshake.as_ref().unwrap().len(), 48);
        assert!(tls13.client_app0.is_some() && tls13.server_app0.is_some());
        assert!(tls13.client_early.is_some() && tls13.exporter.is_some());
        assert_eq!(tls13.missing_labels_for_tls13(), Vec::<&str>::new());
        assert_eq!(tls13.missing_labels_for_tls12(), vec!["CLIENT_RANDOM"]);
        assert_eq!(tls13.handshake_secret(true), tls13.client_handshake.as_deref());
        assert_eq!(tls13.handshake_secret(false).unwrap().len(), 48);
        assert_eq!(tls13.app_secret(false), tls13.server_app0.as_deref());
        assert!(log.get(&[0u8; 32]).is_none());
        assert!(log.get(&[0u8; 31]).is_none());
        // Secrets never show in debug output.
        assert!(!format!("{tls13:?}").contains("aa87"));
    }

    #[test]
    fn reports_bad_lines_and_keeps_going() {
        let s32 = "aa".repeat(32);
        let text = format!(
            "CLIENT_RANDOM {CR1}\n\
             CLIENT_RANDOM {CR1} {s32}\n\
             CLIENT_HANDSHAKE_TRAFFIC_SECRET 0011 {s32}\n\
             CLIENT_HANDSHAKE_TRAFFIC_SECRET {CR1} {}zz\n\
             CLIENT_HANDSHAKE_TRAFFIC_SECRET {CR1} abc\n\
             FROBNICATE_SECRET {CR1} {s32}\n\
             EARLY_EXPORTER_SECRET {CR1} {s32}\n\
             CLIENT_TRAFFIC_SECRET_N {CR1} {s32}\n\
             RSA 0102030405060708 {}\n\
             SERVER_HANDSHAKE_TRAFFIC_SECRET {CR1} {s32} extra\n\
             SERVER_HANDSHAKE_TRAFFIC_SECRET {CR1} {s32}\n\
             SERVER_HANDSHAKE_TRAFFIC_SECRET {CR1} {}\n\
             {}\n",
            "aa".repeat(31),
            "bb".repeat(48),
            "cc".repeat(32),
            "x".repeat(2000),
        );
        let (log, issues) = KeyLog::parse(text.as_bytes());
        let lines: Vec<usize> = issues.iter().map(|i| i.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 4, 5, 6, 10, 12, 13]);
        assert!(issues[0].reason.contains("three fields"));
        assert!(issues[1].reason.contains("CLIENT_RANDOM secret has 32 bytes, expected 48"));
        assert!(issues[2].reason.contains("client random"));
        assert!(issues[3].reason.contains("not hex"));
        assert!(issues[4].reason.contains("not hex"));
        assert!(issues[5].reason.contains("unknown label FROBNICATE_SECRET"));
        assert!(issues[6].reason.contains("more than three fields"));
        assert!(issues[7].reason.contains("another value"));
        assert!(issues[8].reason.contains("too long"));
        assert_eq!(log.skipped_lines(), 3);
        // The later value of a repeated label wins.
        assert_eq!(log.get(&hex32(CR1)).unwrap().server_handshake.as_deref(), Some(&[0xcc; 32][..]));
    }

    #[test]
    fn issue_list_is_capped() {
        let text = "garbage\n".repeat(1000);
        let (log, issues) = KeyLog::parse(text.as_bytes());
        assert!(log.is_empty());
        assert_eq!(issues.len(), MAX_LISTED_ISSUES + 1);
        let last = issues.last().unwrap();
        assert_eq!(last.line, MAX_LISTED_ISSUES + 1);
        assert!(last.reason.starts_with("900 more"));
    }

    #[test]
    fn merge_and_add_text() {
        let s32 = "11".repeat(32);
        let (mut log, _) = KeyLog::parse(format!("CLIENT_HANDSHAKE_TRAFFIC_SECRET {CR1} {s32}\n").as_bytes());
        let (other, _) = KeyLog::parse(
            format!("SERVER_HANDSHAKE_TRAFFIC_SECRET {CR1} {s32}\nCLIENT_RANDOM {CR2} {}\n", "22".repeat(48))
                .as_bytes(),
        );
        log.merge(other);
        assert_eq!(log.len(), 2);
        let merged = log.get(&hex32(CR1)).unwrap();
        assert!(merged.client_handshake.is_some() && merged.server_handshake.is_some());
        // Line numbers of add_text count within the added text.
        let issues = log.add_text(format!("# block\nCLIENT_TRAFFIC_SECRET_0 {CR1} {s32}\nbad\n").as_bytes());
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].line, 3);
        assert!(log.get(&hex32(CR1)).unwrap().client_app0.is_some());
    }

    #[test]
    fn follower_reads_only_appended_bytes() {
        let dir = std::env::temp_dir().join(format!("tlstrace-keylog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("follow.log");
        let s32 = "ab".repeat(32);
        let line = |label: &str, cr: &str| format!("{label} {cr} {s32}\n");
        std::fs::write(&path, "# header\n").unwrap();

        let mut log = KeyLog::new();
        let mut follower = KeyLogFollower::new(&path);
        assert_eq!(follower.poll(&mut log).unwrap(), vec![]);
        assert!(log.is_empty());

        // A line written in two pieces: nothing until its newline arrives.
        let full = line("CLIENT_HANDSHAKE_TRAFFIC_SECRET", CR1);
        let (first, second) = full.split_at(40);
        let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(first.as_bytes()).unwrap();
        file.flush().unwrap();
        follower.poll(&mut log).unwrap();
        assert!(log.is_empty());
        file.write_all(second.as_bytes()).unwrap();
        file.write_all(b"not a line\n").unwrap();
        file.flush().unwrap();
        let issues = follower.poll(&mut log).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].line, 3, "line numbers count from the start of the file");
        let consumed = follower.offset();
        assert_eq!(consumed, std::fs::metadata(&path).unwrap().len());

        // An unterminated last line is taken by finish().
        file.write_all(line("SERVER_HANDSHAKE_TRAFFIC_SECRET", CR1).trim_end().as_bytes()).unwrap();
        file.flush().unwrap();
        follower.poll(&mut log).unwrap();
        assert!(log.get(&hex32(CR1)).unwrap().server_handshake.is_none());
        assert_eq!(follower.finish(&mut log), vec![]);
        assert!(log.get(&hex32(CR1)).unwrap().server_handshake.is_some());

        // A file replaced by a shorter one is read again from the start.
        std::fs::write(&path, line("CLIENT_TRAFFIC_SECRET_0", CR2)).unwrap();
        follower.poll(&mut log).unwrap();
        assert_eq!(log.len(), 2);
        assert!(log.get(&hex32(CR2)).unwrap().client_app0.is_some());

        let (loaded, issues) = KeyLog::load(&path).unwrap();
        assert_eq!((loaded.len(), issues.len()), (1, 0));
        assert!(KeyLog::load(&dir.join("missing.log")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn hundred_thousand_lines_in_one_pass() {
        let mut text = String::with_capacity(100_000 * 200);
        for i in 0..100_000u32 {
            let cr = format!("{:056x}{i:08x}", 0);
            let label = if i % 2 == 0 { "CLIENT_RANDOM" } else { "SERVER_TRAFFIC_SECRET_0" };
            let secret = if i % 2 == 0 { "5a".repeat(48) } else { "a5".repeat(32) };
            text.push_str(&format!("{label} {cr} {secret}\n"));
        }
        let start = Instant::now();
        let (log, issues) = KeyLog::parse(text.as_bytes());
        let elapsed = start.elapsed();
        assert_eq!(issues, vec![]);
        assert_eq!(log.len(), 100_000);
        eprintln!("key log: 100000 lines ({} bytes) parsed in {elapsed:?}", text.len());
    }

    #[test]
    fn random_input_never_panics() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"CLIENT_RANDOMSERVERHANDSHAKE0123456789abcdefABCDEF \t\r\n#\xEF\xBB\xBF\x00\xff";
        for round in 0..300 {
            let len = (next() % 4000) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if round % 2 == 0 { r as u8 } else { alphabet[(r % alphabet.len() as u64) as usize] }
                })
                .collect();
            let (log, issues) = KeyLog::parse(&bytes);
            assert!(issues.len() <= MAX_LISTED_ISSUES + 1);
            assert!(log.len() <= bytes.len() / 100 + 1);
        }
        // Random mutations of valid lines.
        let valid = format!("CLIENT_RANDOM {CR1} {}\n", "5a".repeat(48)).into_bytes();
        for _ in 0..2000 {
            let mut line = valid.clone();
            for _ in 0..(next() % 4) {
                let at = (next() % line.len() as u64) as usize;
                line[at] = next() as u8;
            }
            let _ = KeyLog::parse(&line);
        }
    }
}
