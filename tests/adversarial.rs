//! Hostile captures against the real binary: a SYN flood far beyond the flow table's capacity,
//! and tens of thousands of TLS connections parking out-of-order data behind a hole that is
//! never filled. The run must finish, say what happened in its summary, and stay within a
//! memory budget that does not grow with the size of the flood.

mod pcapgen;

use pcapgen::{ACK, PSH, Pcap, SERVER, SYN, Segment, client, client_hello};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tlstrace");

/// Bytes each parked segment holds, 1,000 bytes past the end of its connection's ClientHello.
const HELD_BYTES: usize = 1_400;
const HOLE: u32 = 1_000;
/// Flows the flow table keeps (FlowConfig::default().max_flows).
const MAX_FLOWS: u64 = 100_000;
/// Peak memory budget of the floods (see `a_million_syns_fit_in_256_mb`).
const MAX_RSS_KB: i64 = 256 * 1024;

/// Writes the flood to `out` as it is made and returns the packet count. This process stays
/// small on purpose: at exec the kernel folds the parent's peak RSS into the child's ru_maxrss.
fn flood(out: &mut impl std::io::Write, syn_only: u32, held: u32) -> u64 {
    let mut pcap = Pcap::with_capacity(1 << 20);
    let held_payload = vec![0xabu8; HELD_BYTES];
    let every = (syn_only / held.max(1)).max(1);
    let mut t = 0u64;
    let mut parked = 0u32;
    for i in 0..syn_only.max(held) {
        // 10 SYNs per millisecond: a million take 100 s of capture time, under the 300 s idle
        // timeout, so only eviction keeps the table bounded.
        t += 100;
        if i < syn_only {
            let seq = i.wrapping_mul(2_654_435_761);
            pcap.tcp(t, &Segment { src: client(i), dst: SERVER, seq, ack: 0, flags: SYN, payload: &[] });
        }
        if i % every == 0 && parked < held {
            // A TLS connection: handshake, ClientHello, then a segment past a hole.
            let n = parked;
            parked += 1;
            let c = client(syn_only.max(held) + n);
            let (isn, sisn) = (n.wrapping_mul(7919), !n.wrapping_mul(7919));
            let hello = client_hello("tlstrace.test", n);
            let seg = |src, dst, seq, ack, flags, payload| Segment { src, dst, seq, ack, flags, payload };
            let (c1, s1) = (isn.wrapping_add(1), sisn.wrapping_add(1));
            let beyond = c1.wrapping_add(hello.len() as u32 + HOLE);
            pcap.tcp(t + 1, &seg(c, SERVER, isn, 0, SYN, &[]));
            pcap.tcp(t + 2, &seg(SERVER, c, sisn, c1, SYN | ACK, &[]));
            pcap.tcp(t + 3, &seg(c, SERVER, c1, s1, ACK | PSH, &hello));
            pcap.tcp(t + 4, &seg(c, SERVER, beyond, s1, ACK | PSH, &held_payload));
        }
        if pcap.bytes.len() > 1 << 20 {
            pcap.drain_to(out).unwrap();
        }
    }
    pcap.drain_to(out).unwrap();
    pcap.packets
}

struct Run {
    code: Option<i32>,
    summary: Value,
    stderr: String,
    max_rss_kb: i64,
    packets: u64,
}

/// Runs `tlstrace read --json` on a fresh flood and reaps it with wait4, which reports the
/// peak memory of that one child (getrusage(RUSAGE_CHILDREN) would mix in every child of this
/// test process).
#[expect(clippy::zombie_processes, reason = "the child is reaped by wait4, which also gives its rusage")]
fn run_flood(name: &str, syn_only: u32, held: u32) -> Run {
    let dir = std::env::temp_dir().join(format!("tlstrace-adversarial-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("flood.pcap");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let packets = flood(&mut file, syn_only, held);
    file.into_inner().unwrap().sync_all().unwrap();

    let mut child = Command::new(BIN)
        // One thread: the caps are the same with two, but the peak then also depends on how far
        // the reading thread runs ahead of the decoding one, which made the comparison between
        // two floods noisy (one run in four came out 90 MB lower).
        .args(["read", "--json", "--threads", "1", path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tlstrace");
    // Only the last line (the summary) is kept: the output is large.
    let stdout = child.stdout.take().unwrap();
    let last_line = std::thread::spawn(move || {
        let mut last = String::new();
        for line in BufReader::new(stdout).lines() {
            last = line.unwrap();
        }
        last
    });
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        stderr_pipe.read_to_string(&mut s).unwrap();
        s
    });
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: the child is ours and not yet reaped; wait4 only writes into the two locals.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t);
    let last = last_line.join().unwrap();
    let stderr = stderr.join().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let summary = serde_json::from_str(&last).unwrap_or(Value::Null);
    eprintln!("{name}: {packets} packets, peak RSS {} MB, {summary}", usage.ru_maxrss / 1024);
    Run { code, summary, stderr, max_rss_kb: usage.ru_maxrss, packets }
}

/// What every flood's summary must say.
fn check_summary(run: &Run, syn_only: u32, held: u32) {
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let s = &run.summary;
    assert_eq!(s["event"], "summary", "the last line is the summary");
    assert_eq!(s["packets"], run.packets);
    assert_eq!(s["malformed_packets"], 0);
    let connections = u64::from(syn_only) + u64::from(held);
    assert_eq!(s["connections"], connections);
    // Every parked connection is TLS (its ClientHello came in order) ...
    assert_eq!(s["tls_connections"], u64::from(held));
    assert_eq!(s["messages"], u64::from(held));
    // ... and its hole became one gap of exactly the missing bytes (on eviction, at a buffer
    // cap, or at the end of the capture).
    assert_eq!(s["gaps"], u64::from(held));
    assert_eq!(s["gap_bytes"], u64::from(held) * u64::from(HOLE));
    // The table holds 100,000 flows: the rest of the flood was evicted, oldest first.
    let evicted = s["evicted_connections"].as_u64().unwrap();
    assert!(evicted >= connections.saturating_sub(MAX_FLOWS), "evicted {evicted} of {connections}");
}

/// Two floods past the table's capacity, the second twice the first: both are traced in full,
/// and the peak memory does not follow the flood's size (the caps hold).
#[test]
fn a_flood_twice_as_big_takes_no_more_memory() {
    let (syn_a, syn_b, held) = (130_000, 260_000, 20_000);
    // The allocator's peak for the very same run varies on this VM (for the smaller flood about
    // 140 MB in one run in six or so, 240 MB otherwise; the bigger one about 215 MB), so the
    // bigger flood's lowest peak of two runs is compared with the smaller flood's highest, and
    // the smaller one runs a third time only when its first two both came out low.
    // Hash table slack differs a little between the two; growth with the flood (130,000 more
    // flows kept, at more than 1 KB each, or their parked bytes) would not fit.
    let allowed = |a: i64| a + a / 10 + 8 * 1024;
    let mut peaks = [Vec::new(), Vec::new()];
    for (i, (name, syn)) in
        [("b0", syn_b), ("b1", syn_b), ("a0", syn_a), ("a1", syn_a), ("a2", syn_a)].into_iter().enumerate()
    {
        let smaller = usize::from(i >= 2);
        let (a, b) = (peaks[1].iter().copied().max(), peaks[0].iter().copied().min());
        if i == 4 && a.zip(b).is_some_and(|(a, b)| b <= allowed(a)) {
            break;
        }
        let run = run_flood(name, syn, held);
        check_summary(&run, syn, held);
        peaks[smaller].push(run.max_rss_kb);
    }
    let b = peaks[0].iter().copied().min().unwrap();
    let a = peaks[1].iter().copied().max().unwrap();
    assert!(
        b <= allowed(a),
        "peak RSS grew with the flood: {} MB for {syn_a} SYNs, {} MB for {syn_b} (peaks {:?} and {:?} KB)",
        a / 1024,
        b / 1024,
        peaks[1],
        peaks[0]
    );
    // And the bigger flood stays within the budget of a flood four times its size.
    assert!(b < MAX_RSS_KB, "peak RSS {} MB over the 256 MB budget", b / 1024);
}

/// A million SYNs and 50,000 parked connections (70 MB of out-of-order data, more than the
/// 64 MiB the flow table may buffer in all) within 256 MiB. The budget: 100,000 flows at a few
/// hundred bytes each in the flow table and the connection layer (~50 MB with hash tables at
/// their growth slack), 64 MiB of parked data plus 64 bytes per piece, and the binary, its
/// 1 MiB capture buffer and allocator slack. Unbounded state would take over 1 GB here.
///
/// Too slow for a debug build (1.2 M packets): scripts/bench.sh runs it with
/// `cargo test --release --test adversarial -- --ignored`.
#[test]
#[ignore = "release-mode check run by scripts/bench.sh"]
fn a_million_syns_fit_in_256_mb() {
    let (syn, held) = (1_000_000, 50_000);
    let run = run_flood("million", syn, held);
    check_summary(&run, syn, held);
    assert!(run.max_rss_kb < MAX_RSS_KB, "peak RSS {} MB over the 256 MB budget", run.max_rss_kb / 1024);
}
