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

mod follow;
mod index;
mod line;
mod reader;
#[cfg(test)]
mod tests;

pub use follow::KeyLogFollower;
pub use reader::{Line, LineReader};

use index::FileIndex;
use line::{Label, Parsed, parse_line};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

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
