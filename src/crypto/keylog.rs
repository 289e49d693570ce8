//! NSS key log files (the SSLKEYLOGFILE format): one secret per line, indexed by the client
//! random of the connection it belongs to.
//!
//! ```text
//! # comment
//! CLIENT_RANDOM <client random, 64 hex> <master secret, 96 hex>          (TLS <= 1.2)
//! SERVER_HANDSHAKE_TRAFFIC_SECRET <client random> <secret, 64 or 96 hex>  (TLS 1.3)
//! ```
//!
//! A key log is never read whole: [`LineReader`] streams it in chunks, line by line, and a line
//! longer than any key log line can be ([`MAX_LINE_LEN`]) is reported and skipped to its newline
//! without being buffered. Bad lines are reported with their line number and never stop the
//! parse. What is kept is bounded by a memory limit (the key log's share of `--memory-limit`):
//!
//! - a regular file ([`KeyLog::open`]) is indexed, 8 bytes per line (part of a hash of the
//!   client random and the line's offset); a connection's secrets are read back from the file
//!   when its ClientHello asks for them ([`KeyLog::secrets_from_files`]);
//! - any other text (a FIFO, a pcapng Decryption Secrets Block with [`KeyLog::add_text`], a file
//!   that keeps growing while a capture runs with [`KeyLogFollower`]) is parsed and its secrets
//!   are held in memory.
//!
//! Lines that do not fit are dropped and counted ([`KeyLogStats::dropped_lines`]), never lost in
//! silence.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Longest line considered (a valid one is under 200 bytes).
pub const MAX_LINE_LEN: usize = 1024;
/// Issues listed one by one per parse call; the rest are summed up in a last issue.
pub const MAX_LISTED_ISSUES: usize = 100;
/// Bytes read from a key log per read call.
const READ_CHUNK: usize = 64 << 10;
/// Memory limit of a key log made without one: the default `--memory-limit`'s share.
pub const DEFAULT_LIMIT: usize = crate::budget::DEFAULT_MEMORY_LIMIT / 100 * 20;
/// Bytes one line takes in a file's index.
pub const INDEX_ENTRY_BYTES: usize = 8;
/// Bits of an index entry that hold the line's offset (files up to 1 TiB); the rest hold the
/// top bits of the client random's hash.
const OFFSET_BITS: u32 = 40;
/// Shortest line that carries a secret (EXPORTER_SECRET, two 64-digit fields).
const MIN_SECRET_LINE: u64 = 145;
/// Estimated bytes one connection held in memory takes: its key and secrets slots in the hash
/// table, counted twice for the table's growth slack.
const ENTRY_COST: usize = 2 * (32 + std::mem::size_of::<Secrets>()) + 16;
/// Estimated bytes one secret held in memory takes (its allocation).
const SECRET_COST: usize = 64;

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
    pub fn absorb(&mut self, other: &Secrets) {
        for label in Label::ALL {
            if let Some(value) = other.slot(label) {
                *self.slot_mut(label) = Some(value.clone());
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
    /// 0 for one line's issue; for the last issue of a capped list, how many more lines it
    /// sums up.
    pub unlisted: usize,
}

/// Collects issues up to [`MAX_LISTED_ISSUES`], then counts the rest. The first too long line
/// also goes to `announce` when there is one, as soon as it is seen (a key log that never ends,
/// such as `/dev/zero`, shows at once why nothing happens).
struct IssueSink<'a> {
    listed: Vec<KeyLogIssue>,
    more: usize,
    first_unlisted_line: usize,
    announce: Option<&'a mut dyn FnMut(&KeyLogIssue)>,
}

impl<'a> IssueSink<'a> {
    fn new(announce: Option<&'a mut dyn FnMut(&KeyLogIssue)>) -> Self {
        IssueSink { listed: Vec::new(), more: 0, first_unlisted_line: 0, announce }
    }

    fn report(&mut self, line: usize, reason: impl FnOnce() -> String) {
        if self.listed.len() < MAX_LISTED_ISSUES {
            self.listed.push(KeyLogIssue { line, reason: reason(), unlisted: 0 });
        } else {
            if self.more == 0 {
                self.first_unlisted_line = line;
            }
            self.more += 1;
        }
    }

    fn report_too_long(&mut self, line: usize) {
        let reason = || format!("line longer than {MAX_LINE_LEN} bytes is too long for a key log line, skipped");
        if let Some(announce) = self.announce.take() {
            announce(&KeyLogIssue { line, reason: reason(), unlisted: 0 });
        }
        self.report(line, reason);
    }

    fn finish(mut self) -> Vec<KeyLogIssue> {
        if self.more > 0 {
            self.listed.push(KeyLogIssue {
                line: self.first_unlisted_line,
                reason: format!("{} more unusable lines from here on, not listed", self.more),
                unlisted: self.more,
            });
        }
        self.listed
    }
}

/// What a key log held, for the run's summary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyLogStats {
    /// Lines read.
    pub lines: u64,
    /// Lines whose secret is held, in memory or in a file's index.
    pub kept: u64,
    /// Lines not usable (malformed, too long, unknown label).
    pub bad_lines: u64,
    /// Lines with a known label that carries nothing used, skipped without an issue.
    pub skipped_lines: u64,
    /// Good lines dropped because the key log's memory limit was reached.
    pub dropped_lines: u64,
    /// Line number of the first of them (in the text it came in).
    pub first_dropped_line: Option<u64>,
    /// Some dropped lines came from text that cannot be read again (not a regular file).
    pub dropped_not_rereadable: bool,
    /// Bytes held (estimated for secrets in memory, exact for indexes).
    pub memory: usize,
    /// Reads of an indexed file that failed when a connection asked for its secrets.
    pub read_errors: u64,
}

impl KeyLogStats {
    fn add(&mut self, other: &KeyLogStats) {
        self.lines = self.lines.saturating_add(other.lines);
        self.kept = self.kept.saturating_add(other.kept);
        self.bad_lines = self.bad_lines.saturating_add(other.bad_lines);
        self.skipped_lines = self.skipped_lines.saturating_add(other.skipped_lines);
        self.dropped_lines = self.dropped_lines.saturating_add(other.dropped_lines);
        self.first_dropped_line = self.first_dropped_line.or(other.first_dropped_line);
        self.dropped_not_rereadable |= other.dropped_not_rereadable;
        self.memory = self.memory.saturating_add(other.memory);
        self.read_errors = self.read_errors.saturating_add(other.read_errors);
    }

    fn drop_line(&mut self, line_no: usize) {
        self.dropped_lines = self.dropped_lines.saturating_add(1);
        self.first_dropped_line.get_or_insert(line_no as u64);
    }
}

/// A secret of at most 48 bytes, decoded without allocating.
struct SecretBytes {
    bytes: [u8; 48],
    len: usize,
}

impl SecretBytes {
    fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

/// One key log line.
enum Parsed {
    /// Blank or comment.
    Nothing,
    /// A tolerated label (see [`is_tolerated_label`]).
    Skipped,
    Secret {
        label: Label,
        random: [u8; 32],
        secret: SecretBytes,
    },
}

/// Why a line was not used.
enum LineError<'a> {
    Fields,
    MoreFields,
    UnknownLabel(&'a [u8]),
    Random,
    NotHex(Label),
    Length(Label, usize),
}

impl std::fmt::Display for LineError<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineError::Fields => f.write_str("expected three fields: label, client random, secret"),
            LineError::MoreFields => f.write_str("more than three fields"),
            LineError::UnknownLabel(label) => write!(f, "unknown label {}, line ignored", printable(label)),
            LineError::Random => f.write_str("client random is not 64 hex digits"),
            LineError::NotHex(label) => write!(f, "{} secret is not hex", label.name()),
            LineError::Length(label, len) => {
                let expected = if *label == Label::ClientRandom { "48" } else { "32 or 48" };
                write!(f, "{} secret has {len} bytes, expected {expected}", label.name())
            }
        }
    }
}

/// Parses one line (without its newline, at most [`MAX_LINE_LEN`] bytes).
fn parse_line(line: &[u8]) -> Result<Parsed, LineError<'_>> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    // A byte order mark some editors put at the start of the file.
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    let line = trim_ascii(line);
    if line.is_empty() || line.first() == Some(&b'#') {
        return Ok(Parsed::Nothing);
    }
    let mut fields = line.split(|b| *b == b' ' || *b == b'\t').filter(|f| !f.is_empty());
    let (Some(label), Some(random_hex), Some(secret_hex)) = (fields.next(), fields.next(), fields.next()) else {
        return Err(LineError::Fields);
    };
    if fields.next().is_some() {
        return Err(LineError::MoreFields);
    }
    let Some(label) = Label::from_bytes(label) else {
        return if is_tolerated_label(label) { Ok(Parsed::Skipped) } else { Err(LineError::UnknownLabel(label)) };
    };
    let mut random = [0u8; 32];
    if !decode_hex_into(random_hex, &mut random) {
        return Err(LineError::Random);
    }
    if !secret_hex.len().is_multiple_of(2) || !secret_hex.iter().all(|b| hex_value(*b).is_some()) {
        return Err(LineError::NotHex(label));
    }
    let len = secret_hex.len() / 2;
    if !label.accepts_len(len) {
        return Err(LineError::Length(label, len));
    }
    let mut secret = SecretBytes { bytes: [0; 48], len };
    let decoded = secret.bytes.get_mut(..len).is_some_and(|out| decode_hex_into(secret_hex, out));
    if decoded { Ok(Parsed::Secret { label, random, secret }) } else { Err(LineError::NotHex(label)) }
}

/// One line of a key log, as [`LineReader`] gives it.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// A line without its newline, its 1-based number and the offset of its first byte.
    Text { number: usize, offset: u64, bytes: &'a [u8] },
    /// A line longer than [`MAX_LINE_LEN`]: given as soon as that many bytes came without a
    /// newline; its bytes are skipped up to its newline, never buffered.
    TooLong { number: usize, offset: u64 },
}

/// Reads a key log line by line in chunks of 64 KiB: memory stays the same
/// whatever the input (a file of any size, a FIFO, `/dev/zero`).
pub struct LineReader<R> {
    input: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Offset in the input of `buf[start]`.
    offset: u64,
    /// Lines begun so far.
    lines: usize,
    /// Dropping the bytes of a too long line until its newline.
    skipping: bool,
    eof: bool,
}

impl<R: Read> LineReader<R> {
    pub fn new(input: R) -> Self {
        Self::starting_at(input, 0, 0)
    }

    /// A reader whose input starts at `offset` of the whole, after `lines` lines.
    fn starting_at(input: R, offset: u64, lines: usize) -> Self {
        LineReader { input, buf: vec![0; READ_CHUNK], start: 0, end: 0, offset, lines, skipping: false, eof: false }
    }

    /// The next line, or None at the end of the input.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        let (from, to, offset) = loop {
            let pending = self.buf.get(self.start..self.end).unwrap_or_default();
            if let Some(newline) = pending.iter().position(|&b| b == b'\n') {
                let (from, offset) = (self.start, self.offset);
                self.consume(newline + 1);
                if std::mem::take(&mut self.skipping) {
                    continue;
                }
                self.lines = self.lines.saturating_add(1);
                if newline > MAX_LINE_LEN {
                    return Ok(Some(Line::TooLong { number: self.lines, offset }));
                }
                break (from, from + newline, offset);
            }
            if self.skipping {
                self.consume(pending.len());
            } else if pending.len() > MAX_LINE_LEN {
                let offset = self.offset;
                self.consume(pending.len());
                self.skipping = true;
                self.lines = self.lines.saturating_add(1);
                return Ok(Some(Line::TooLong { number: self.lines, offset }));
            }
            if self.eof {
                if self.start == self.end || self.skipping {
                    return Ok(None);
                }
                // A last line without a newline.
                let (from, to, offset) = (self.start, self.end, self.offset);
                self.consume(to - from);
                self.lines = self.lines.saturating_add(1);
                break (from, to, offset);
            }
            self.fill()?;
        };
        Ok(Some(Line::Text { number: self.lines, offset, bytes: self.buf.get(from..to).unwrap_or_default() }))
    }

    fn consume(&mut self, n: usize) {
        self.start = self.start.saturating_add(n).min(self.end);
        self.offset = self.offset.saturating_add(n as u64);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Moves the unfinished line to the front and reads more after it.
    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let Some(room) = self.buf.get_mut(self.end..) else { return Ok(()) };
        loop {
            match self.input.read(room) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end = self.end.saturating_add(n).min(self.buf.len()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            return Ok(());
        }
    }
}

/// Reads a file from an offset without moving the file's own position (lookups happen while
/// the file is shared).
struct ReadAt<'a> {
    file: &'a File,
    offset: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.offset)?;
        self.offset = self.offset.saturating_add(n as u64);
        Ok(n)
    }
}

/// The index of a regular key log file: for each line with a secret, the top bits of a hash
/// of its client random and the line's offset, in one sorted `u64`. The secrets stay in the
/// file and are read back when a connection asks for them.
#[derive(Debug)]
struct FileIndex {
    file: File,
    entries: Vec<u64>,
    /// Seeded per run: a key log cannot choose client randoms that share a hash on purpose.
    hasher: foldhash::fast::RandomState,
    /// Offset of the first line dropped for lack of memory: the rest of the file is not indexed.
    dropped_from: Option<(u64, usize)>,
}

impl FileIndex {
    fn key(&self, random: &[u8; 32]) -> u64 {
        self.hasher.hash_one(random) >> OFFSET_BITS
    }

    /// Offsets of the lines whose client random may be `random`, in file order.
    fn candidates(&self, random: &[u8; 32]) -> impl Iterator<Item = u64> + '_ {
        let key = self.key(random);
        let first = self.entries.partition_point(|e| e >> OFFSET_BITS < key);
        self.entries
            .get(first..)
            .unwrap_or_default()
            .iter()
            .take_while(move |e| *e >> OFFSET_BITS == key)
            .map(|e| e & ((1 << OFFSET_BITS) - 1))
    }

    /// The secrets of `random` in this file; Err when the file could not be read.
    fn secrets(&self, random: &[u8; 32]) -> io::Result<Option<Secrets>> {
        let mut found: Option<Secrets> = None;
        let mut buf = [0u8; MAX_LINE_LEN + 1];
        for offset in self.candidates(random) {
            let line = read_line_at(&self.file, offset, &mut buf)?;
            // Later lines win, as when the file is parsed whole.
            if let Ok(Parsed::Secret { label, random: r, secret }) = parse_line(line)
                && r == *random
            {
                *found.get_or_insert_default().slot_mut(label) = Some(secret.as_slice().to_vec());
            }
        }
        Ok(found)
    }

    /// Which of `randoms` have a line among the lines dropped from the index.
    fn dropped_among(&self, randoms: &HashSet<[u8; 32]>) -> io::Result<HashSet<[u8; 32]>> {
        let mut found = HashSet::new();
        let Some((offset, line)) = self.dropped_from else { return Ok(found) };
        let mut reader = LineReader::starting_at(ReadAt { file: &self.file, offset }, offset, line);
        while let Some(line) = reader.next_line()? {
            if let Line::Text { bytes, .. } = line
                && let Ok(Parsed::Secret { random, .. }) = parse_line(bytes)
                && randoms.contains(&random)
            {
                found.insert(random);
            }
        }
        Ok(found)
    }
}

/// The line starting at `offset` (without its newline), at most [`MAX_LINE_LEN`] + 1 bytes.
fn read_line_at<'b>(file: &File, offset: u64, buf: &'b mut [u8; MAX_LINE_LEN + 1]) -> io::Result<&'b [u8]> {
    let mut filled = 0;
    while let Some(room) = buf.get_mut(filled..)
        && !room.is_empty()
    {
        let n = match file.read_at(room, offset.saturating_add(filled as u64)) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let newline = room.get(..n).unwrap_or_default().iter().position(|&b| b == b'\n');
        if let Some(at) = newline {
            return Ok(buf.get(..filled + at).unwrap_or_default());
        }
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(buf.get(..filled).unwrap_or_default())
}

/// Secrets from NSS key logs, by client random: held in memory, or indexed in regular files.
#[derive(Debug)]
pub struct KeyLog {
    entries: HashMap<[u8; 32], Secrets>,
    files: Vec<FileIndex>,
    /// Bytes the secrets held in memory and the indexes may take; beyond, lines are dropped.
    limit: usize,
    stats: KeyLogStats,
}

impl Default for KeyLog {
    fn default() -> Self {
        KeyLog::with_limit(DEFAULT_LIMIT)
    }
}

impl KeyLog {
    /// An empty key log with the default memory limit ([`DEFAULT_LIMIT`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty key log that holds at most `limit` bytes of secrets and indexes.
    pub fn with_limit(limit: usize) -> Self {
        KeyLog { entries: HashMap::new(), files: Vec::new(), limit, stats: KeyLogStats::default() }
    }

    /// Parses a whole key log.
    pub fn parse(text: &[u8]) -> (KeyLog, Vec<KeyLogIssue>) {
        let mut log = KeyLog::new();
        let issues = log.add_text(text);
        (log, issues)
    }

    /// Reads and parses a key log file line by line, its secrets held in memory.
    pub fn load(path: &Path) -> io::Result<(KeyLog, Vec<KeyLogIssue>)> {
        let mut log = KeyLog::new();
        let issues = log.read_from(File::open(path)?, None)?;
        Ok((log, issues))
    }

    /// Opens a key log within `limit` bytes: a regular file is indexed (its secrets are read
    /// back when asked for), anything else (a FIFO, a device) is read to its end and its
    /// secrets held. The first too long line also goes to `announce` as soon as it is seen.
    pub fn open(
        path: &Path,
        limit: usize,
        announce: &mut dyn FnMut(&KeyLogIssue),
    ) -> io::Result<(KeyLog, Vec<KeyLogIssue>)> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::other("is a directory"));
        }
        let mut log = KeyLog::with_limit(limit);
        let issues = if meta.is_file() {
            log.index_file(file, meta.len(), Some(announce))?
        } else {
            log.read_from(file, Some(announce))?
        };
        Ok((log, issues))
    }

    /// Adds the lines of `text` (a complete piece of key log: a pcapng Decryption Secrets Block,
    /// new lines of a growing log). Line numbers in the issues count from 1 at the start of
    /// `text`.
    pub fn add_text(&mut self, text: &[u8]) -> Vec<KeyLogIssue> {
        // Reading from memory cannot fail.
        self.read_from(text, None).unwrap_or_default()
    }

    /// Adds every line of `input`, its secrets held in memory.
    fn read_from(
        &mut self,
        input: impl Read,
        announce: Option<&mut dyn FnMut(&KeyLogIssue)>,
    ) -> io::Result<Vec<KeyLogIssue>> {
        let mut sink = IssueSink::new(announce);
        let mut reader = LineReader::new(input);
        while let Some(line) = reader.next_line()? {
            match line {
                Line::Text { number, bytes, .. } => self.add_line(bytes, number, &mut sink),
                Line::TooLong { number, .. } => self.too_long(number, &mut sink),
            }
        }
        Ok(sink.finish())
    }

    fn too_long(&mut self, line_no: usize, sink: &mut IssueSink) {
        self.stats.lines = self.stats.lines.saturating_add(1);
        self.stats.bad_lines = self.stats.bad_lines.saturating_add(1);
        sink.report_too_long(line_no);
    }

    /// Parses one line; Some when it carries a secret (counted as kept by the caller).
    fn check_line(&mut self, line: &[u8], line_no: usize, sink: &mut IssueSink) -> Option<Parsed> {
        self.stats.lines = self.stats.lines.saturating_add(1);
        match parse_line(line) {
            Ok(Parsed::Nothing) => None,
            Ok(Parsed::Skipped) => {
                self.stats.skipped_lines = self.stats.skipped_lines.saturating_add(1);
                None
            }
            Ok(secret) => Some(secret),
            Err(e) => {
                self.stats.bad_lines = self.stats.bad_lines.saturating_add(1);
                sink.report(line_no, || e.to_string());
                None
            }
        }
    }

    /// Indexes a regular file: one pass, 8 bytes per line with a secret, up to the limit.
    fn index_file(
        &mut self,
        file: File,
        len: u64,
        announce: Option<&mut dyn FnMut(&KeyLogIssue)>,
    ) -> io::Result<Vec<KeyLogIssue>> {
        let mut sink = IssueSink::new(announce);
        let room = self.limit.saturating_sub(self.stats.memory) / INDEX_ENTRY_BYTES;
        // Sized once from the file's length; grown only if the file grows while it is read.
        let expected = usize::try_from(len / MIN_SECRET_LINE + 1).unwrap_or(usize::MAX).min(room);
        let mut index = FileIndex {
            entries: Vec::new(),
            hasher: foldhash::fast::RandomState::default(),
            dropped_from: None,
            file: file.try_clone()?,
        };
        let _ = index.entries.try_reserve_exact(expected);
        let mut reader = LineReader::new(&file);
        while let Some(line) = reader.next_line()? {
            let (number, offset, bytes) = match line {
                Line::Text { number, offset, bytes } => (number, offset, bytes),
                Line::TooLong { number, .. } => {
                    self.too_long(number, &mut sink);
                    continue;
                }
            };
            let Some(Parsed::Secret { random, .. }) = self.check_line(bytes, number, &mut sink) else { continue };
            let entries = &mut index.entries;
            if entries.len() == entries.capacity() && index.dropped_from.is_none() {
                let more = (entries.len() / 2).max(1024).min(room.saturating_sub(entries.len()));
                let _ = entries.try_reserve_exact(more);
            }
            if index.dropped_from.is_some() || entries.len() == entries.capacity() || offset >> OFFSET_BITS != 0 {
                index.dropped_from.get_or_insert((offset, number.saturating_sub(1)));
                self.stats.drop_line(number);
                continue;
            }
            let key = index.key(&random);
            index.entries.push((key << OFFSET_BITS) | offset);
            self.stats.kept = self.stats.kept.saturating_add(1);
        }
        index.entries.sort_unstable();
        self.stats.memory = self.stats.memory.saturating_add(index.entries.capacity() * INDEX_ENTRY_BYTES);
        self.files.push(index);
        Ok(sink.finish())
    }

    /// Adds every connection of `other` and its indexed files; for a connection in both, `other`'s
    /// secrets win. (The limit was `other`'s to enforce when it was read.)
    pub fn merge(&mut self, other: KeyLog) {
        self.stats.add(&other.stats);
        self.files.extend(other.files);
        for (random, secrets) in other.entries {
            match self.entries.entry(random) {
                Entry::Occupied(mut held) => held.get_mut().absorb(&secrets),
                Entry::Vacant(slot) => {
                    slot.insert(secrets);
                }
            }
        }
    }

    /// Secrets held in memory for the connection whose ClientHello carried `client_random`
    /// (32 bytes). Secrets of indexed files come from [`KeyLog::secrets_from_files`].
    pub fn get(&self, client_random: &[u8]) -> Option<&Secrets> {
        let key: &[u8; 32] = client_random.try_into().ok()?;
        self.entries.get(key)
    }

    /// Some of the secrets are in indexed files.
    pub fn has_files(&self) -> bool {
        !self.files.is_empty()
    }

    /// The secrets the indexed files hold for `client_random`, read from the files (later
    /// files win). A file that cannot be read is counted in [`KeyLogStats::read_errors`].
    pub fn secrets_from_files(&mut self, client_random: &[u8]) -> Option<Secrets> {
        let key: &[u8; 32] = client_random.try_into().ok()?;
        let mut found: Option<Secrets> = None;
        for file in &self.files {
            match file.secrets(key) {
                Ok(Some(s)) => found.get_or_insert_default().absorb(&s),
                Ok(None) => {}
                Err(_) => self.stats.read_errors = self.stats.read_errors.saturating_add(1),
            }
        }
        found
    }

    /// Connections (client randoms) held in memory.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Lines with a known label this module does not use (EARLY_EXPORTER_SECRET, RSA,
    /// PMS_CLIENT_RANDOM, traffic secrets of generation 1 and later), skipped without an issue.
    pub fn skipped_lines(&self) -> usize {
        usize::try_from(self.stats.skipped_lines).unwrap_or(usize::MAX)
    }

    /// Lines read, kept, bad and dropped, and the memory held.
    pub fn stats(&self) -> KeyLogStats {
        self.stats
    }

    /// Of `randoms` (connections left without secrets), those whose secrets were among the
    /// dropped lines; None when that cannot be told (dropped text that cannot be read again:
    /// all of them may be).
    pub fn lost_to_the_limit(&self, randoms: &HashSet<[u8; 32]>) -> Option<HashSet<[u8; 32]>> {
        if self.stats.dropped_not_rereadable {
            return None;
        }
        let mut lost = HashSet::new();
        for file in &self.files {
            match file.dropped_among(randoms) {
                Ok(found) => lost.extend(found),
                // The file went away: it cannot tell.
                Err(_) => return None,
            }
        }
        Some(lost)
    }

    fn add_line(&mut self, line: &[u8], line_no: usize, sink: &mut IssueSink) {
        let Some(Parsed::Secret { label, random, secret }) = self.check_line(line, line_no, sink) else { return };
        let secret = secret.as_slice();
        let fits = |cost: usize, stats: &KeyLogStats| stats.memory.saturating_add(cost) <= self.limit;
        let secrets = match self.entries.entry(random) {
            Entry::Occupied(held) => held.into_mut(),
            Entry::Vacant(slot) => {
                if !fits(ENTRY_COST + SECRET_COST, &self.stats) {
                    self.stats.dropped_not_rereadable = true;
                    self.stats.drop_line(line_no);
                    return;
                }
                self.stats.memory += ENTRY_COST;
                slot.insert(Secrets::default())
            }
        };
        let slot = secrets.slot_mut(label);
        match slot {
            Some(old) => {
                if old.as_slice() != secret {
                    sink.report(line_no, || {
                        format!(
                            "{} given again for this client random with another value; the later one is kept",
                            label.name()
                        )
                    });
                }
                *old = secret.to_vec();
            }
            None => {
                if !fits(SECRET_COST, &self.stats) {
                    self.stats.dropped_not_rereadable = true;
                    self.stats.drop_line(line_no);
                    return;
                }
                self.stats.memory += SECRET_COST;
                *slot = Some(secret.to_vec());
            }
        }
        self.stats.kept = self.stats.kept.saturating_add(1);
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
        let mut sink = IssueSink::new(None);
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
        let mut sink = IssueSink::new(None);
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
            log.too_long(self.lines, sink);
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

    /// Gives its bytes a few at a time, as a pipe does.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.step = self.step % 7 + 1;
            let n = self.step.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    fn lines_of(input: impl Read) -> Vec<(usize, u64, Option<Vec<u8>>)> {
        let mut reader = LineReader::new(input);
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            out.push(match line {
                Line::Text { number, offset, bytes } => (number, offset, Some(bytes.to_vec())),
                Line::TooLong { number, offset } => (number, offset, None),
            });
        }
        out
    }

    #[test]
    fn line_reader_numbers_lines_and_skips_long_ones_in_any_chunking() {
        let exact = "e".repeat(MAX_LINE_LEN);
        let over = "o".repeat(MAX_LINE_LEN + 1);
        let huge = "h".repeat(3 * READ_CHUNK + 5);
        let text = format!("first\r\n\n{exact}\n{over}\n{huge}\nafter\nlast");
        let expected = vec![
            (1, 0, Some(b"first\r".to_vec())),
            (2, 7, Some(Vec::new())),
            (3, 8, Some(exact.clone().into_bytes())),
            (4, 9 + MAX_LINE_LEN as u64, None),
            (5, 11 + 2 * MAX_LINE_LEN as u64, None),
            (6, (12 + 2 * MAX_LINE_LEN + huge.len()) as u64, Some(b"after".to_vec())),
            (7, (18 + 2 * MAX_LINE_LEN + huge.len()) as u64, Some(b"last".to_vec())),
        ];
        assert_eq!(lines_of(text.as_bytes()), expected);
        assert_eq!(lines_of(Trickle { bytes: text.as_bytes(), step: 0 }), expected);
        // A too long last line without a newline is reported once, and nothing follows.
        assert_eq!(lines_of(huge.as_bytes()), vec![(1, 0, None)]);
        assert_eq!(lines_of(&b""[..]), vec![]);
    }

    #[test]
    fn line_reader_reports_an_endless_line_at_once() {
        // /dev/zero: no newline ever. The first call returns as soon as the line is too long.
        let mut reader = LineReader::new(io::repeat(0));
        assert_eq!(reader.next_line().unwrap(), Some(Line::TooLong { number: 1, offset: 0 }));
        assert_eq!(reader.buf.len(), READ_CHUNK, "the buffer never grows");
    }

    /// Valid lines with client randoms from a counter (TLS 1.2 and 1.3 labels).
    fn filler(i: u32) -> String {
        if i.is_multiple_of(2) {
            format!("CLIENT_RANDOM {:056x}{i:08x} {}\n", 0xf11, "5a".repeat(48))
        } else {
            format!("SERVER_HANDSHAKE_TRAFFIC_SECRET {:056x}{i:08x} {}\n", 0xf11, "a5".repeat(32))
        }
    }

    fn temp_file(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tlstrace-keylog-index-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn file_index_reads_secrets_back_from_any_line() {
        let s32 = "11".repeat(32);
        let mut text = format!("CLIENT_HANDSHAKE_TRAFFIC_SECRET {CR2} {s32}\n");
        for i in 0..5000 {
            text.push_str(&filler(i));
            if i == 2500 {
                text.push_str(&format!("CLIENT_RANDOM {CR1} {}\nbad line\n", "22".repeat(48)));
            }
        }
        // A later value wins, as when the file is parsed whole.
        text.push_str(&format!(
            "SERVER_TRAFFIC_SECRET_0 {CR2} {s32}\nCLIENT_HANDSHAKE_TRAFFIC_SECRET {CR2} {}\n",
            "33".repeat(32)
        ));
        let path = temp_file("index.log", &text);
        let mut announced = Vec::new();
        let (mut log, issues) = KeyLog::open(&path, 1 << 20, &mut |i| announced.push(i.line)).unwrap();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].line, 2504);
        assert!(announced.is_empty());
        assert!(log.has_files() && log.is_empty(), "a regular file is indexed, not held");
        let stats = log.stats();
        assert_eq!((stats.lines, stats.kept, stats.bad_lines, stats.dropped_lines), (5005, 5004, 1, 0));
        assert!(stats.memory <= 8 * (text.len() / 145 + 1), "8 bytes a line: {}", stats.memory);

        let (whole, _) = KeyLog::parse(text.as_bytes());
        for random in [hex32(CR1), hex32(CR2), hex::decode(format!("{:056x}{:08x}", 0xf11, 4999)).unwrap()] {
            assert_eq!(log.secrets_from_files(&random).as_ref(), whole.get(&random), "{}", hex::encode(&random));
        }
        assert_eq!(log.secrets_from_files(&hex32(CR2)).unwrap().client_handshake, Some(vec![0x33; 32]));
        assert!(log.secrets_from_files(&[7u8; 32]).is_none());
        assert!(log.secrets_from_files(&[7u8; 31]).is_none());
        assert_eq!(log.stats().read_errors, 0);
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn file_index_drops_what_exceeds_its_limit_and_tells_which() {
        let mut text = String::new();
        for i in 0..3000 {
            text.push_str(&filler(i));
        }
        text.push_str(&format!("CLIENT_RANDOM {CR1} {}\n", "22".repeat(48)));
        let path = temp_file("limit.log", &text);
        let (mut log, issues) = KeyLog::open(&path, 1000 * INDEX_ENTRY_BYTES, &mut |_| {}).unwrap();
        assert_eq!(issues, vec![]);
        let stats = log.stats();
        assert_eq!((stats.kept, stats.dropped_lines, stats.first_dropped_line), (1000, 2001, Some(1001)));
        assert!(stats.memory <= 1000 * INDEX_ENTRY_BYTES);
        assert!(!stats.dropped_not_rereadable);
        // The first lines are indexed, the rest not.
        let first = hex::decode(format!("{:056x}{:08x}", 0xf11, 999)).unwrap();
        assert!(log.secrets_from_files(&first).is_some());
        assert!(log.secrets_from_files(&hex32(CR1)).is_none());
        // Of the connections left without secrets, those whose lines were dropped.
        let candidates: HashSet<[u8; 32]> = [hex32(CR1), hex32(CR2)].map(|r| r.try_into().unwrap()).into();
        let lost = log.lost_to_the_limit(&candidates).unwrap();
        assert_eq!(lost, [<[u8; 32]>::try_from(hex32(CR1)).unwrap()].into());
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn secrets_held_in_memory_stay_within_the_limit() {
        let mut text = String::new();
        for i in 0..2000 {
            text.push_str(&filler(i));
        }
        let limit = 100 * (ENTRY_COST + SECRET_COST);
        let mut log = KeyLog::with_limit(limit);
        assert_eq!(log.add_text(text.as_bytes()), vec![]);
        let stats = log.stats();
        assert_eq!((stats.kept, stats.dropped_lines, stats.first_dropped_line), (100, 1900, Some(101)));
        assert!(stats.memory <= limit);
        assert_eq!(log.len(), 100);
        // Dropped text that cannot be read again: which connections lost secrets is unknown.
        assert!(stats.dropped_not_rereadable);
        assert_eq!(log.lost_to_the_limit(&HashSet::new()), None);
        // Merged stats add up.
        let mut all = KeyLog::new();
        all.merge(log);
        assert_eq!(all.stats().dropped_lines, 1900);
    }

    #[test]
    fn open_streams_what_is_not_a_regular_file() {
        let dir = std::env::temp_dir().join(format!("tlstrace-keylog-open-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(KeyLog::open(&dir, 1 << 20, &mut |_| {}).is_err(), "a directory");
        // /dev/null: a device, read to its end (nothing).
        let (log, issues) = KeyLog::open(Path::new("/dev/null"), 1 << 20, &mut |_| {}).unwrap();
        assert!(!log.has_files() && issues.is_empty() && log.stats().lines == 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
