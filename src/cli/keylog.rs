//! Key logs given on the command line, embedded in a capture, or followed as a browser writes
//! them: loaded into the pipeline, their bad lines reported.

use super::args::KeyArgs;
use super::warn;
use crate::pipeline::Pipeline;
use crate::source::file::FileSource;
use std::io;

/// Loads the key log into the pipeline; bad lines are reported, never fatal. A missing file is
/// an input error. A key log larger than its share of `--memory-limit` is said first.
pub fn load_key_log(
    pipeline: &mut Pipeline,
    keys: &KeyArgs,
    budget: crate::budget::MemoryBudget,
) -> Result<(), String> {
    pipeline.show_data(keys.show_data);
    load_server_keys(pipeline, keys)?;
    let Some(path) = keys.path() else { return Ok(()) };
    let what = crate::escape::path(&path);
    // Streamed: a line too long to be a key log line is said at once (a key log that never
    // ends, such as /dev/zero, shows why the run waits).
    let mut announced = None;
    let mut announce = |issue: &crate::crypto::KeyLogIssue| {
        warn(&format!("key log {what}: line {}: {}", issue.line, issue.reason));
        announced = Some(issue.line);
    };
    let (issues, stats) =
        pipeline.open_key_log(&path, &mut announce).map_err(|e| format!("cannot read key log {what}: {e}"))?;
    if stats.dropped_lines > 0 {
        warn(&too_large_message(&what, &stats, budget));
    }
    report_key_log_issues(&what, &issues, announced);
    Ok(())
}

/// `--rsa-key`: each file read into the pipeline; a file that cannot be read or is no RSA
/// private key is an input error. Also `--show-secrets` and `--write-keylog`.
pub(super) fn load_server_keys(pipeline: &mut Pipeline, keys: &KeyArgs) -> Result<(), String> {
    pipeline.secrets_out(keys.show_secrets, keys.write_keylog.is_some());
    for key in read_server_keys(keys)? {
        pipeline.add_rsa_key(key);
    }
    Ok(())
}

/// The `--rsa-key` files, read (the explorer keeps them to trace a connection again).
pub(super) fn read_server_keys(keys: &KeyArgs) -> Result<Vec<crate::crypto::rsa_kx::ServerKey>, String> {
    let password = keys.rsa_key_password.clone().or_else(|| std::env::var("TLSTRACE_KEY_PASSWORD").ok());
    keys.rsa_keys
        .iter()
        .map(|path| {
            let shown = crate::escape::path(path);
            let bytes = std::fs::read(path).map_err(|e| format!("cannot read RSA key {shown}: {e}"))?;
            crate::crypto::rsa_kx::ServerKey::load(&shown, &bytes, password.as_deref())
                .map_err(|e| format!("RSA key {shown}: {e}"))
        })
        .collect()
}

/// At the end of a run: the `--rsa-key` files that matched no server certificate, and the RSA
/// key exchanges no key matched.
pub(super) fn report_rsa_keys(summary: &crate::conn::events::SummaryEvent) {
    for key in summary.rsa_keys.iter().flatten().filter(|k| k.connections == 0) {
        warn(&format!(
            "--rsa-key {}: it opened no connection (no RSA key exchange in this capture has its public key in the \
             server's certificate)",
            key.file
        ));
    }
    let without = summary.decryption.as_ref().map_or(0, |d| d.rsa_key_exchanges_without_key);
    if without > 0 {
        warn(&format!(
            "{without} RSA key exchange(s) had no matching --rsa-key (their connections say which certificate)"
        ));
    }
}

/// `--write-keylog FILE`: the secrets of each handshake, as its event passes, appended to FILE
/// in the NSS key log format; events go on to the sink unchanged.
pub(super) struct KeyLogWriter<S> {
    inner: S,
    out: Option<std::io::BufWriter<std::fs::File>>,
    written: std::collections::HashSet<String>,
    shown: String,
    /// Writing the file failed (said once): the run goes on, and exits with 7.
    failed: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl<S> KeyLogWriter<S> {
    /// `failed` is set if writing the file fails.
    pub(super) fn create(
        inner: S,
        path: &std::path::Path,
        failed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> Result<KeyLogWriter<S>, String> {
        let shown = crate::escape::path(path);
        let file = std::fs::File::create(path).map_err(|e| format!("cannot write {shown}: {e}"))?;
        Ok(KeyLogWriter {
            inner,
            out: Some(std::io::BufWriter::new(file)),
            written: std::collections::HashSet::new(),
            shown,
            failed,
        })
    }

    fn write(&mut self, ev: &crate::conn::events::Event) {
        use std::io::Write;
        let crate::conn::events::Event::Handshake(h) = ev else { return };
        let Some(out) = self.out.as_mut() else { return };
        let mut result = Ok(());
        for line in &h.keylog_lines {
            if self.written.insert(line.clone()) {
                result = result.and_then(|()| writeln!(out, "{line}"));
            }
        }
        if let Err(e) = result.and_then(|()| out.flush()) {
            warn(&format!("cannot write {}: {e}; the run goes on without it", self.shown));
            self.out = None;
            self.failed.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl<S: crate::output::Sink> crate::output::Sink for KeyLogWriter<S> {
    fn event(&mut self, ev: &crate::conn::events::Event) -> io::Result<()> {
        self.write(ev);
        self.inner.event(ev)
    }
    fn event_prepared(&mut self, ev: &crate::conn::events::Event, prepared: &[u8]) -> io::Result<()> {
        self.write(ev);
        self.inner.event_prepared(ev, prepared)
    }
    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
    fn needs(&self) -> crate::output::Needs {
        self.inner.needs()
    }
}

/// The warning for a key log larger than its memory share: what was kept, what was dropped,
/// and the `--memory-limit` that would hold it.
fn too_large_message(what: &str, stats: &crate::crypto::KeyLogStats, budget: crate::budget::MemoryBudget) -> String {
    let share = budget.share(crate::budget::Part::KeyLog).max(1) as u128;
    let lines = u128::from(stats.kept) + u128::from(stats.dropped_lines);
    let per_line = (stats.memory as u128).div_ceil(u128::from(stats.kept.max(1))).max(1);
    // The share is a fixed part of the limit: the limit that gives this key log its memory,
    // with a tenth to spare.
    let needed_mib = (lines * per_line * budget.total() as u128 / share).div_ceil(1 << 20) * 11 / 10 + 1;
    let first = stats.first_dropped_line.map(|l| format!(" from line {l} on")).unwrap_or_default();
    format!(
        "key log {what} is too large for its share of --memory-limit {}M ({} KiB): {} lines with secrets kept, \
         {} dropped{first}; connections whose secrets were dropped are not decrypted (the summary names them); \
         --memory-limit {needed_mib}M would hold it",
        budget.total() >> 20,
        share >> 10,
        stats.kept,
        stats.dropped_lines,
    )
}

/// Lists up to 20 bad lines, then the exact number of the others. `announced` is the line
/// already shown while the key log was read.
pub fn report_key_log_issues(what: &str, issues: &[crate::crypto::KeyLogIssue], announced: Option<usize>) {
    let total: usize = issues.iter().map(|i| i.unlisted.max(usize::from(i.unlisted == 0))).sum();
    let mut shown = usize::from(announced.is_some());
    let listed = issues.iter().filter(|i| i.unlisted == 0 && Some(i.line) != announced);
    for issue in listed.take(20 - shown) {
        warn(&format!("key log {what}: line {}: {}", issue.line, issue.reason));
        shown += 1;
    }
    if total > shown {
        warn(&format!("key log {what}: {} more bad lines", total - shown));
    }
}

/// Hands the key log text of each Decryption Secrets Block in a pcapng file to `each` (a
/// quick first pass; one block held at a time).
pub(super) fn for_each_embedded_secrets(path: &str, mut each: impl FnMut(&[u8])) {
    let Ok(mut pass) = FileSource::open(path) else { return };
    while let Ok(Some(())) = pass.next_with(|_| ()) {
        pass.take_secrets().iter().for_each(|t| each(t));
    }
    pass.take_secrets().iter().for_each(|t| each(t));
}

/// Key log text that comes in pieces (pcapng blocks, lines a browser appends): each piece's
/// bad lines are reported; that lines were dropped for lack of memory is said once.
pub(super) struct KeyLogPieces {
    /// Where the pieces come from, as warnings say it.
    what: String,
    budget: crate::budget::MemoryBudget,
    said_too_large: bool,
}

impl KeyLogPieces {
    /// Decryption Secrets Blocks of a pcapng capture.
    pub(super) fn embedded(budget: crate::budget::MemoryBudget) -> Self {
        KeyLogPieces { what: "embedded in the capture".to_string(), budget, said_too_large: false }
    }

    pub(super) fn add(&mut self, pipeline: &mut Pipeline, text: &[u8]) {
        let (issues, stats) = pipeline.add_key_log_text(text);
        if stats.dropped_lines > 0 && !std::mem::replace(&mut self.said_too_large, true) {
            warn(&too_large_message(&self.what, &stats, self.budget));
        }
        report_key_log_issues(&self.what, &issues, None);
    }
}

/// Follows a key log file as it grows: complete new lines since the last call.
pub(super) struct KeyLogTail {
    path: std::path::PathBuf,
    offset: u64,
    /// The unfinished last line, at most `MAX_LINE_LEN` bytes.
    partial: Vec<u8>,
    /// The unfinished line outgrew `MAX_LINE_LEN`: its bytes are dropped until its newline.
    skipping: bool,
    /// The lines read, handed to the pipeline.
    pieces: KeyLogPieces,
}

impl KeyLogTail {
    pub(super) fn new(path: std::path::PathBuf, budget: crate::budget::MemoryBudget) -> Self {
        let pieces = KeyLogPieces { what: crate::escape::path(&path), budget, said_too_large: false };
        KeyLogTail { path, offset: 0, partial: Vec::new(), skipping: false, pieces }
    }

    /// Hands the lines added since the last call to the pipeline (reporting bad ones) and to
    /// the `-w` file as a Decryption Secrets Block. Ok(true) when there were any; Err when the
    /// file could not be written.
    pub(super) fn feed<W: io::Write>(
        &mut self,
        pipeline: &mut Pipeline,
        writer: Option<&mut crate::source::pcapng_writer::PcapngWriter<W>>,
    ) -> io::Result<bool> {
        let fresh = self.read_new_lines();
        if fresh.is_empty() {
            return Ok(false);
        }
        self.pieces.add(pipeline, &fresh);
        if let Some(w) = writer {
            w.write_decryption_secrets(&fresh)?;
        }
        Ok(true)
    }

    fn read_new_lines(&mut self) -> Vec<u8> {
        use std::io::{Read, Seek, SeekFrom};
        let Ok(mut f) = std::fs::File::open(&self.path) else { return Vec::new() };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        if len < self.offset {
            // Truncated or replaced: start over.
            self.offset = 0;
            self.partial.clear();
            self.skipping = false;
        }
        if len == self.offset || f.seek(SeekFrom::Start(self.offset)).is_err() {
            return Vec::new();
        }
        // Bounded per call: a key log is text lines of ~200 bytes.
        let mut fresh = Vec::new();
        if f.take(16 << 20).read_to_end(&mut fresh).is_err() {
            return Vec::new();
        }
        self.offset += fresh.len() as u64;
        let mut fresh = fresh.as_slice();
        if self.skipping {
            // The rest of a too long line, up to its newline.
            match fresh.iter().position(|b| *b == b'\n') {
                Some(end) => {
                    self.skipping = false;
                    fresh = fresh.get(end + 1..).unwrap_or_default();
                }
                None => return Vec::new(),
            }
        }
        let complete = match fresh.iter().rposition(|b| *b == b'\n') {
            Some(end) => {
                let (lines, rest) = fresh.split_at(end + 1);
                let mut complete = std::mem::take(&mut self.partial);
                complete.extend_from_slice(lines);
                fresh = rest;
                complete
            }
            None => Vec::new(),
        };
        self.partial.extend_from_slice(fresh);
        if self.partial.len() > crate::crypto::keylog::MAX_LINE_LEN {
            warn(&format!(
                "key log {}: a line longer than {} bytes is too long for a key log line, skipped",
                self.path.display(),
                crate::crypto::keylog::MAX_LINE_LEN
            ));
            self.partial.clear();
            self.skipping = true;
        }
        complete
    }
}
