//! Key logs are streamed and held within the key log's share of `--memory-limit`: the real
//! binary on real fixtures, with key logs generated here (millions of lines, a 100 MB line,
//! `/dev/zero`, a FIFO written slowly, a thousand bad lines). Peak memory is the child's own
//! VmHWM, read from /proc while it runs (wait4's ru_maxrss would also count the test process's
//! own peak, which the child's exec inherits: spawned with vfork, while other tests run), less
//! the pages of its program and libraries, whose number follows the size of the binary, not
//! the input.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

const BIN: &str = env!("CARGO_BIN_EXE_tlstrace");

/// Fixtures put one after the other in one capture (connections 1 to 4): TLS 1.3 with a
/// HelloRetryRequest, TLS 1.2 ECDHE-RSA, TLS 1.3 from GnuTLS, TLS 1.2 DHE-RSA.
const FIXTURES: [&str; 4] = ["tls13-hrr", "tls12-ecdhe-rsa-chain", "gnutls-tls13", "tls12-dhe-rsa"];

/// A directory under the system's temp dir, deleted with everything in it when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("tlstrace-keylog-limits-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The four fixtures as one pcap (they share the same pcap header).
fn merged_capture(dir: &TempDir) -> PathBuf {
    let mut out = Vec::new();
    for (i, name) in FIXTURES.iter().enumerate() {
        let bytes = std::fs::read(common::fixture(&format!("{name}.pcap"))).unwrap();
        if i == 0 {
            out.extend_from_slice(&bytes);
        } else {
            assert_eq!(bytes[..24], out[..24], "{name}: same pcap header");
            out.extend_from_slice(&bytes[24..]);
        }
    }
    let path = dir.path("merged.pcap");
    std::fs::write(&path, out).unwrap();
    path
}

/// The key log lines of one fixture (comments left out).
fn key_lines(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(common::fixture(&format!("{name}.keylog"))).unwrap();
    text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).map(str::to_string).collect()
}

fn all_key_lines() -> Vec<String> {
    FIXTURES.iter().flat_map(|f| key_lines(f)).collect()
}

/// Valid key log lines for connections that are not in the capture: TLS 1.2 and 1.3 labels,
/// client randoms from a counter mixed so they spread.
struct Filler {
    n: u64,
}

impl Filler {
    fn write(&mut self, out: &mut impl Write) {
        self.n += 1;
        let mixed = self.n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let random = format!("{mixed:016x}{:016x}{mixed:016x}{:016x}", self.n, !self.n);
        match self.n % 4 {
            0 => writeln!(out, "CLIENT_RANDOM {random} {}", "5a".repeat(48)),
            1 => writeln!(out, "CLIENT_HANDSHAKE_TRAFFIC_SECRET {random} {}", "a5".repeat(32)),
            2 => writeln!(out, "SERVER_HANDSHAKE_TRAFFIC_SECRET {random} {}", "c3".repeat(48)),
            _ => writeln!(out, "CLIENT_TRAFFIC_SECRET_0 {random} {}", "3c".repeat(32)),
        }
        .unwrap();
    }
}

struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    /// Lines on stderr, with when each arrived.
    stderr: Vec<(Instant, String)>,
    max_rss_kb: u64,
    /// When the child was killed (it was still running), if it was.
    killed_at: Option<Instant>,
}

impl Run {
    fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.iter().map(|(_, l)| l.as_str()).collect()
    }

    fn events(&self) -> Vec<Value> {
        common::parse_ndjson(&self.stdout)
    }

    /// `finished_verified` of each handshake event, in connection order.
    fn verified(&self) -> Vec<Value> {
        let events = self.events();
        common::of_kind(&events, "handshake").iter().map(|h| h["finished_verified"].clone()).collect()
    }

    fn key_log(&self) -> Value {
        let events = self.events();
        common::summary(&events)["key_log"].clone()
    }
}

/// VmHWM (peak resident memory) of a running process and its resident pages of files (its
/// program and libraries), None once it has exited.
fn peak_kb(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((kb("VmHWM:")?, kb("RssFile:")? + kb("RssShmem:")?))
}

/// Runs tlstrace with `args`, killed after `kill_after` if given; its peak memory is sampled
/// from /proc until it exits (VmHWM only grows, so the last sample holds the peak up to then),
/// less its program's pages.
#[expect(clippy::zombie_processes, reason = "the child is reaped by waitpid once its memory was sampled")]
fn run(args: &[&str], kill_after: Option<Duration>) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tlstrace");
    let mut stdout_pipe = child.stdout.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout_pipe.read_to_end(&mut out).unwrap();
        out
    });
    let stderr_pipe = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        BufReader::new(stderr_pipe).lines().map(|l| (Instant::now(), l.unwrap())).collect::<Vec<_>>()
    });
    let pid = child.id();
    let sampler = std::thread::spawn(move || {
        let (mut peak, mut files) = (0, 0);
        while let Some((hwm, file)) = peak_kb(pid) {
            peak = peak.max(hwm);
            files = files.max(file);
            std::thread::sleep(Duration::from_millis(2));
        }
        peak.saturating_sub(files)
    });
    let mut killed_at = None;
    if let Some(wait) = kill_after {
        std::thread::sleep(wait);
        // SAFETY: a plain signal to our own child, not reaped yet.
        let still_running = unsafe { libc::waitpid(child.id() as libc::pid_t, std::ptr::null_mut(), libc::WNOHANG) };
        assert_eq!(still_running, 0, "tlstrace {args:?} ended before it was killed");
        killed_at = Some(Instant::now());
        child.kill().unwrap();
    }
    // Waits for the end without reaping, so the pid stays the child's until it is sampled.
    // SAFETY: all-zero is a valid siginfo_t; waitid only writes into it.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: the child is ours and not yet reaped.
    let waited = unsafe { libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT) };
    assert_eq!(waited, 0);
    let max_rss_kb = sampler.join().unwrap();
    let mut status = 0;
    // SAFETY: the child is ours, exited and not yet reaped.
    let reaped = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, 0) };
    assert_eq!(reaped, pid as libc::pid_t);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let run = Run { code, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap(), max_rss_kb, killed_at };
    eprintln!("tlstrace {args:?}: peak RSS {} KB, stderr: {:?}", run.max_rss_kb, run.stderr_lines());
    run
}

/// Two million lines: the fixtures' secrets first, in the middle and last. With the default
/// limit every connection decrypts and both Finished verify, within the limit; with 16M the
/// index holds the first lines only, the first stderr line says so, and the summary names the
/// connections whose secrets were in the dropped lines.
#[test]
fn two_million_lines_with_the_secrets_first_in_the_middle_and_last() {
    let dir = TempDir::new("two-million");
    let capture = merged_capture(&dir);
    let path = dir.path("big.keylog");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut filler = Filler { n: 0 };
    let mut lines: u64 = 0;
    let mut put = |out: &mut std::io::BufWriter<std::fs::File>, line: &str| {
        writeln!(out, "{line}").unwrap();
        lines += 1;
    };
    writeln!(out, "# generated by tests/keylog_limits.rs").unwrap();
    for line in key_lines(FIXTURES[0]) {
        put(&mut out, &line);
    }
    for _ in 0..1_000_000 {
        filler.write(&mut out);
    }
    for line in key_lines(FIXTURES[1]) {
        put(&mut out, &line);
    }
    for _ in 0..1_000_000 {
        filler.write(&mut out);
    }
    for line in key_lines(FIXTURES[2]).into_iter().chain(key_lines(FIXTURES[3])) {
        put(&mut out, &line);
    }
    out.into_inner().unwrap().sync_all().unwrap();
    let secret_lines = lines + 2_000_000;
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 300 << 20, "{size} bytes");
    let (keylog, pcap) = (path.to_str().unwrap(), capture.to_str().unwrap());

    let full = run(&["read", "--json", "--keylog", keylog, pcap], None);
    assert_eq!(full.code, Some(0));
    assert_eq!(full.verified(), vec![Value::Bool(true); 4]);
    let k = full.key_log();
    assert_eq!(k["lines"], secret_lines + 1, "and the comment");
    assert_eq!(k["indexed"], secret_lines);
    assert_eq!(k["dropped_lines"], 0);
    assert_eq!(k["bad_lines"], 0);
    assert_eq!(k["connections_without_secrets"], serde_json::json!([]));
    assert!(full.stderr.iter().all(|(_, l)| !l.contains("key log")), "{:?}", full.stderr_lines());
    // The index takes 8 bytes a line (16 MB here): the 360 MB file is never held.
    assert!(full.max_rss_kb < 64 << 10, "peak RSS {} KB", full.max_rss_kb);

    // One thread: the peak then does not depend on how far the reader runs ahead.
    let small = run(&["read", "--json", "--threads", "1", "--memory-limit", "16M", "--keylog", keylog, pcap], None);
    assert_eq!(small.code, Some(0));
    let first = small.stderr_lines()[0].to_string();
    let indexed = (16u64 << 20) / 100 * 20 / 8;
    assert!(first.starts_with(&format!("tlstrace: key log {keylog} is too large")), "{first}");
    assert!(first.contains("--memory-limit 16M"), "{first}");
    let dropped = secret_lines - indexed;
    assert!(
        first.contains(&format!("{indexed} lines with secrets kept, {dropped} dropped from line {} on", indexed + 2)),
        "{first}"
    );
    // The first fixture's secrets are in the indexed lines, the others' beyond.
    assert_eq!(small.verified(), vec![Value::Bool(true), Value::Null, Value::Null, Value::Null]);
    let k = small.key_log();
    assert_eq!((k["indexed"].as_u64(), k["dropped_lines"].as_u64()), (Some(indexed), Some(dropped)));
    assert_eq!(k["connections_without_secrets"], serde_json::json!([2, 3, 4]));
    assert!(small.max_rss_kb < 16 << 10, "peak RSS {} KB over the 16M limit", small.max_rss_kb);
    // What the key log adds over the same run without it: its share (3.2 MB), and the read
    // buffer.
    let without = run(&["read", "--json", "--threads", "1", "--memory-limit", "16M", pcap], None);
    let share_kb = ((16u64 << 20) / 100 * 20) >> 10;
    let added = small.max_rss_kb.saturating_sub(without.max_rss_kb);
    assert!(added < share_kb + 512, "the key log added {added} KB, its share is {share_kb} KB");

    // The text summary names them too.
    let text = run(&["read", "--memory-limit", "16M", "--keylog", keylog, pcap], None);
    assert!(text.stderr_lines()[0].contains("is too large"));
    let named = text.stderr_lines().into_iter().find(|l| l.contains("key log: ")).unwrap().to_string();
    assert!(named.ends_with("connections that lost their secrets to it: 2, 3, 4"), "{named}");
}

/// A 100 MB line is rejected with its line number as soon as it is seen, without being held;
/// the lines after it are used.
#[test]
fn a_hundred_megabyte_line_is_rejected_and_the_lines_after_it_used() {
    let dir = TempDir::new("long-line");
    let capture = merged_capture(&dir);
    let path = dir.path("long.keylog");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(out, "# a 100 MB line follows").unwrap();
    let chunk = "0123456789abcdef".repeat(4096);
    for _ in 0..(100 << 20) / chunk.len() {
        out.write_all(chunk.as_bytes()).unwrap();
    }
    writeln!(out).unwrap();
    for line in all_key_lines() {
        writeln!(out, "{line}").unwrap();
    }
    out.into_inner().unwrap().sync_all().unwrap();

    let r = run(&["read", "--json", "--keylog", path.to_str().unwrap(), capture.to_str().unwrap()], None);
    assert_eq!(r.code, Some(0));
    assert_eq!(
        r.stderr_lines(),
        vec![format!(
            "tlstrace: key log {}: line 2: line longer than 1024 bytes is too long for a key log line, skipped",
            path.display()
        )]
    );
    assert_eq!(r.verified(), vec![Value::Bool(true); 4]);
    let k = r.key_log();
    let n = all_key_lines().len() as u64;
    assert_eq!((k["lines"].as_u64(), k["indexed"].as_u64(), k["bad_lines"].as_u64()), (Some(n + 2), Some(n), Some(1)));
    assert!(r.max_rss_kb < 32 << 10, "peak RSS {} KB for a 100 MB line", r.max_rss_kb);
}

/// `/dev/zero` never ends and has no newline: the warning comes at once, memory stays flat.
#[test]
fn dev_zero_is_reported_at_once_and_memory_stays_flat() {
    let capture = common::fixture("tls13-hrr.pcap");
    let started = Instant::now();
    let r = run(&["read", "--keylog", "/dev/zero", capture.to_str().unwrap()], Some(Duration::from_secs(5)));
    let killed_at = r.killed_at.unwrap();
    assert_eq!(r.code, None, "killed");
    let (arrived, first) = r.stderr.first().expect("a warning before the kill");
    assert_eq!(
        first,
        "tlstrace: key log /dev/zero: line 1: line longer than 1024 bytes is too long for a key log line, skipped"
    );
    assert!(*arrived < killed_at, "said while the key log was still read");
    assert!(arrived.duration_since(started) < Duration::from_secs(4));
    assert!(r.max_rss_kb < 32 << 10, "peak RSS {} KB after 5 s of /dev/zero", r.max_rss_kb);
}

/// A FIFO written slowly (a line at a time, with pauses) is read to its end and decrypts.
#[test]
fn a_fifo_written_slowly_decrypts() {
    let dir = TempDir::new("fifo");
    let capture = merged_capture(&dir);
    let fifo = dir.path("keys.fifo");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        // Opening blocks until tlstrace opens the other end.
        let mut w = std::fs::OpenOptions::new().write(true).open(&writer_path).unwrap();
        for (i, line) in all_key_lines().iter().enumerate() {
            if i == 3 {
                w.write_all(b"garbage\n").unwrap();
            }
            // Each line in two writes, with pauses: tlstrace sees partial lines.
            let (head, tail) = line.split_at(20);
            w.write_all(head.as_bytes()).unwrap();
            w.flush().unwrap();
            std::thread::sleep(Duration::from_millis(20));
            writeln!(w, "{tail}").unwrap();
            w.flush().unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let r = run(&["read", "--json", "--keylog", fifo.to_str().unwrap(), capture.to_str().unwrap()], None);
    writer.join().unwrap();
    assert_eq!(r.code, Some(0));
    assert_eq!(
        r.stderr_lines(),
        vec![format!(
            "tlstrace: key log {}: line 4: expected three fields: label, client random, secret",
            fifo.display()
        )]
    );
    assert_eq!(r.verified(), vec![Value::Bool(true); 4]);
    let k = r.key_log();
    let n = all_key_lines().len() as u64;
    assert_eq!((k["lines"].as_u64(), k["indexed"].as_u64(), k["bad_lines"].as_u64()), (Some(n + 1), Some(n), Some(1)));
    assert!(r.max_rss_kb < 32 << 10, "peak RSS {} KB", r.max_rss_kb);
}

/// A thousand bad lines of five kinds: 20 listed (the first too long one as soon as it was
/// read), then the exact number of the others; the good lines after them are used.
#[test]
fn a_thousand_bad_lines_are_counted_exactly() {
    let dir = TempDir::new("bad-lines");
    let capture = merged_capture(&dir);
    let path = dir.path("bad.keylog");
    let mut text = String::new();
    for i in 0..1000 {
        let random = format!("{i:064x}");
        text.push_str(&match i % 5 {
            0 => "garbage".to_string(),
            1 => format!("FROBNICATE_SECRET {random} {}", "aa".repeat(32)),
            2 => format!("CLIENT_RANDOM {random} {}", "zz".repeat(48)),
            3 => format!("CLIENT_RANDOM {random} {}", "aa".repeat(32)),
            _ => "x".repeat(2000),
        });
        text.push('\n');
    }
    for line in all_key_lines() {
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(&path, text).unwrap();

    let r = run(&["read", "--json", "--keylog", path.to_str().unwrap(), capture.to_str().unwrap()], None);
    assert_eq!(r.code, Some(0));
    let prefix = format!("tlstrace: key log {}: ", path.display());
    let lines = r.stderr_lines();
    assert_eq!(lines.len(), 21, "{lines:?}");
    let numbers: Vec<usize> = lines[..20]
        .iter()
        .map(|l| l.strip_prefix(&prefix).unwrap().strip_prefix("line ").unwrap().split(':').next().unwrap())
        .map(|n| n.parse().unwrap())
        .collect();
    let mut expected = vec![5];
    expected.extend((1..=20).filter(|n| *n != 5));
    expected.truncate(20);
    assert_eq!(numbers, expected);
    assert!(lines[0].ends_with("too long for a key log line, skipped"));
    assert!(lines[1].ends_with("expected three fields: label, client random, secret"));
    assert!(lines[2].ends_with("unknown label FROBNICATE_SECRET, line ignored"));
    assert!(lines[3].ends_with("CLIENT_RANDOM secret is not hex"));
    assert!(lines[4].ends_with("CLIENT_RANDOM secret has 32 bytes, expected 48"));
    assert_eq!(lines[20], format!("{prefix}980 more bad lines"));
    assert_eq!(r.verified(), vec![Value::Bool(true); 4]);
    let k = r.key_log();
    assert_eq!(
        (k["lines"].as_u64(), k["bad_lines"].as_u64(), k["indexed"].as_u64()),
        (Some(1000 + all_key_lines().len() as u64), Some(1000), Some(all_key_lines().len() as u64))
    );
}

/// Without lines dropped, the summary's key log has no connection to name, and a key log file
/// that cannot be read is an input error (exit 3) with one line.
#[test]
fn a_missing_key_log_is_an_input_error() {
    let capture = common::fixture("tls13-hrr.pcap");
    let r = run(&["read", "--keylog", "/nonexistent/keys.log", capture.to_str().unwrap()], None);
    assert_eq!(r.code, Some(3));
    assert_eq!(r.stderr_lines().len(), 1);
    assert!(r.stderr_lines()[0].starts_with("tlstrace: cannot read key log /nonexistent/keys.log: "));
    let r = run(
        &[
            "read",
            "--json",
            "--keylog",
            common::fixture("tls13-hrr.keylog").to_str().unwrap(),
            capture.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        r.key_log(),
        serde_json::json!({"lines": 6, "indexed": 5, "bad_lines": 0, "skipped_lines": 0, "dropped_lines": 0, "connections_without_secrets": []})
    );
}

/// A key log embedded in a pcapng (a Decryption Secrets Block) is held in memory within the
/// same share: larger than it, the first stderr line says so and the connection whose secrets
/// were dropped is named (all connections left without secrets: the block is not read again).
#[test]
fn an_embedded_key_log_larger_than_its_share_is_said_first() {
    use tlstrace::source::file::FileSource;
    use tlstrace::source::pcapng_writer::PcapngWriter;
    let dir = TempDir::new("embedded");
    let path = dir.path("embedded.pcapng");
    let mut block = Vec::new();
    let mut filler = Filler { n: 0 };
    for _ in 0..40_000 {
        filler.write(&mut block);
    }
    for line in key_lines("tls13-hrr") {
        writeln!(block, "{line}").unwrap();
    }
    let mut w = PcapngWriter::new(std::fs::File::create(&path).unwrap(), "keylog_limits", 65535).unwrap();
    let mut src = FileSource::open(common::fixture("tls13-hrr.pcap").to_str().unwrap()).unwrap();
    let mut id = None;
    while let Some((ts, linktype, data)) = src.next_with(|p| (p.ts, p.linktype, p.data.to_vec())).unwrap() {
        let id = *id.get_or_insert_with(|| w.interface(linktype, "lo").unwrap());
        w.write_packet(id, ts, &data, data.len() as u32).unwrap();
    }
    w.write_decryption_secrets(&block).unwrap();
    w.into_inner().unwrap();
    let pcapng = path.to_str().unwrap();

    let full = run(&["read", "--json", pcapng], None);
    assert_eq!(full.code, Some(0));
    assert!(full.stderr.is_empty(), "{:?}", full.stderr_lines());
    assert_eq!(full.verified(), vec![Value::Bool(true)]);
    assert_eq!(full.key_log()["dropped_lines"], 0);

    let small = run(&["read", "--json", "--memory-limit", "16M", pcapng], None);
    assert_eq!(small.code, Some(0));
    let first = small.stderr_lines()[0].to_string();
    assert!(first.starts_with("tlstrace: key log embedded in the capture is too large"), "{first}");
    assert!(first.contains("--memory-limit 16M"), "{first}");
    assert_eq!(small.stderr.len(), 1, "said once: {:?}", small.stderr_lines());
    assert_eq!(small.verified(), vec![Value::Null]);
    let k = small.key_log();
    let total = 40_000 + key_lines("tls13-hrr").len() as u64;
    assert_eq!(k["indexed"].as_u64().unwrap() + k["dropped_lines"].as_u64().unwrap(), total);
    assert!(k["dropped_lines"].as_u64().unwrap() > 0);
    assert_eq!(k["connections_without_secrets"], serde_json::json!([1]));
}
