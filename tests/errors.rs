//! Every error a user can hit ends with the documented exit code (README, "Exit codes") and a
//! single line on stderr, never a panic or a backtrace; damaged input still yields what came
//! before the damage.

mod pcapgen;

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tlstrace");

/// A scratch directory for this test binary (removed and recreated per test name).
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlstrace-errors-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run tlstrace")
}

fn run_with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tlstrace");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
        // Dropping stdin closes it: end of input.
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Nothing on stderr looks like a crash.
fn assert_no_crash(out: &Output) {
    let err = stderr(out);
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace", "internal error"] {
        assert!(!err.contains(bad), "stderr shows a crash ({bad}):\n{err}");
    }
}

/// Exit `code`, and stderr is exactly one line starting with "tlstrace: " that contains `what`.
fn assert_one_line_error(out: &Output, code: i32, what: &str) {
    assert_no_crash(out);
    assert_eq!(out.status.code(), Some(code), "stderr: {}", stderr(out));
    let err = stderr(out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line on stderr, got:\n{err}");
    assert!(lines[0].starts_with("tlstrace: "), "{}", lines[0]);
    assert!(lines[0].contains(what), "{:?} does not mention {what:?}", lines[0]);
    assert!(out.stdout.is_empty(), "nothing is printed for input that could not be opened");
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

fn ndjson(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout).lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn missing_file_is_exit_3() {
    let dir = scratch("missing");
    let path = dir.join("no-such.pcap");
    let out = run(&["read", path.to_str().unwrap()]);
    assert_one_line_error(&out, 3, "no-such.pcap");
    assert!(stderr(&out).contains("No such file"), "{}", stderr(&out));
}

#[test]
fn unreadable_file_is_exit_3() {
    // Root reads files whatever their mode, so the case cannot be produced as root.
    if unsafe { libc::geteuid() } == 0 {
        eprintln!("skipped: running as root, which can read a mode-000 file");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch("unreadable");
    let path = write(&dir, "secret.pcap", &pcapgen::tls_capture(1).bytes);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = run(&["read", &path]);
    assert_one_line_error(&out, 3, "Permission denied");
}

#[test]
fn directory_is_exit_3() {
    let dir = scratch("directory");
    let out = run(&["read", dir.to_str().unwrap()]);
    assert_one_line_error(&out, 3, "is a directory");
}

#[test]
fn empty_file_is_exit_3() {
    let dir = scratch("empty");
    let out = run(&["read", &write(&dir, "empty.pcap", &[])]);
    assert_one_line_error(&out, 3, "file is empty");
}

#[test]
fn random_bytes_are_exit_3() {
    let dir = scratch("random");
    // A fixed pseudo-random sequence (xorshift), so the test is reproducible.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let bytes: Vec<u8> = (0..100_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let out = run(&["read", &write(&dir, "random.bin", &bytes)]);
    assert_one_line_error(&out, 3, "not a pcap or pcapng capture file");
    // The text of a file that is not a capture either.
    let out = run(&["read", &write(&dir, "notes.txt", b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")]);
    assert_one_line_error(&out, 3, "not a pcap or pcapng capture file");
}

/// Checks a damaged-input run: exit 4, the connections before the damage in the JSON, a
/// summary naming the damage, and one line on stderr saying the same.
fn assert_damaged(out: &Output, what: &str) -> Vec<Value> {
    assert_no_crash(out);
    assert_eq!(out.status.code(), Some(4), "stderr: {}", stderr(out));
    let events = ndjson(&out.stdout);
    let summary = events.last().expect("output before the damage");
    assert_eq!(summary["event"], "summary");
    let input_error = summary["input_error"].as_str().expect("summary names the damage");
    assert!(input_error.contains(what), "{input_error}");
    let err = stderr(out);
    assert_eq!(err.lines().count(), 1, "one line on stderr:\n{err}");
    assert!(err.starts_with("tlstrace: ") && err.contains(what), "{err}");
    events
}

fn hellos(events: &[Value]) -> (usize, usize) {
    let count = |name: &str| events.iter().filter(|e| e["event"] == "message" && e["name"] == name).count();
    (count("ClientHello"), count("ServerHello"))
}

#[test]
fn truncated_capture_is_exit_4_after_tracing_what_came_before() {
    let dir = scratch("truncated");
    let full = pcapgen::tls_capture(20).bytes;
    // Cut inside the last connection's ServerHello (found by its random).
    let mut random = 19u32.to_be_bytes().to_vec();
    random.extend_from_slice(&[0x22; 28]);
    let at = full.windows(random.len()).rposition(|w| w == random.as_slice()).unwrap();
    let cut = at + 10;
    let out = run(&["read", "--json", &write(&dir, "cut.pcap", &full[..cut])]);
    let events = assert_damaged(&out, "truncated");
    let (ch, sh) = hellos(&events);
    assert_eq!((ch, sh), (20, 19), "every hello before the cut is traced");
    let summary = events.last().unwrap();
    assert_eq!(summary["tls_connections"], 20);
    assert!(summary["packets"].as_u64().unwrap() >= 19 * 8);
    // The text view says the same, with the summary on stderr before the error line.
    let out = run(&["read", &dir.join("cut.pcap").to_string_lossy()]);
    assert_eq!(out.status.code(), Some(4));
    assert_no_crash(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("ClientHello").count(), 20);
    assert!(stderr(&out).lines().last().unwrap().starts_with("tlstrace: "));
}

#[test]
fn gzip_corrupt_midway_is_exit_4() {
    let dir = scratch("gzip");
    let capture = pcapgen::tls_capture(400).bytes;
    let mut gz = gzip(&capture);
    // Overwrite a stretch in the middle of the deflate stream.
    let mid = gz.len() / 2;
    for b in &mut gz[mid..mid + 64] {
        *b = 0xff;
    }
    let out = run(&["read", "--json", &write(&dir, "bad.pcap.gz", &gz)]);
    let events = assert_damaged(&out, "corrupt");
    let (ch, _) = hellos(&events);
    assert!(ch > 0 && ch < 400, "hellos before the damage are traced ({ch})");

    // A gzip file that simply stops is a truncated capture.
    let gz = gzip(&capture);
    let out = run(&["read", "--json", &write(&dir, "short.pcap.gz", &gz[..gz.len() / 2])]);
    let events = assert_damaged(&out, "truncated");
    assert!(hellos(&events).0 > 0);

    // Intact, it reads like the plain capture.
    let out = run(&["read", "--json", &write(&dir, "good.pcap.gz", &gzip(&capture))]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(hellos(&ndjson(&out.stdout)), (400, 400));
}

#[test]
fn stdin_empty_or_cut_short() {
    let out = run_with_stdin(&["read", "-"], &[]);
    assert_one_line_error(&out, 3, "standard input");

    let capture = pcapgen::tls_capture(10).bytes;
    let out = run_with_stdin(&["read", "--json", "-"], &capture[..capture.len() - 100]);
    let events = assert_damaged(&out, "truncated");
    assert!(stderr(&out).contains("standard input"));
    assert_eq!(hellos(&events).0, 10);

    // Only part of a record header.
    let out = run_with_stdin(&["read", "-"], &capture[..30]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_no_crash(&out);

    // And whole, from stdin, it is a normal run.
    let out = run_with_stdin(&["read", "--json", "-"], &capture);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(hellos(&ndjson(&out.stdout)), (10, 10));
}

#[test]
fn output_closed_early_is_quiet_success() {
    let dir = scratch("pipe");
    // Enough output (several MB of text) that it cannot all sit in the pipe buffer.
    let path = write(&dir, "big.pcap", &pcapgen::tls_capture(20_000).bytes);
    for args in [vec!["read", path.as_str()], vec!["read", "--json", path.as_str()], vec!["read", "-v", path.as_str()]]
    {
        // `tlstrace read big.pcap | head -1`
        let mut child = Command::new(BIN)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tlstrace");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        assert!(!first.is_empty());
        // The reader is dropped here: the pipe is closed.
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: stderr should stay quiet, got:\n{err}");
    }
}

#[test]
fn bad_command_lines_are_exit_2() {
    for args in [
        vec!["frobnicate"],
        vec!["read", "--no-such-flag", "x.pcap"],
        vec!["read"],
        vec!["read", "x.pcap", "--color", "purple"],
        vec!["read", "x.pcap", "--port", "99999"],
        vec!["read", "x.pcap", "--host", "not-an-ip"],
        vec![],
    ] {
        let out = run(&args);
        assert_no_crash(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        // clap's message: an error line plus usage, never a panic.
        assert!(stderr(&out).contains("error") || stderr(&out).contains("Usage"), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // Help and version are not errors.
    for args in [["--help"], ["--version"]] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(0));
        assert!(!out.stdout.is_empty());
    }
}

#[test]
fn writing_to_a_full_disk_is_exit_7() {
    // /dev/full fails every write with ENOSPC: the output cannot be written.
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full");
        return;
    };
    let dir = scratch("full");
    let path = write(&dir, "c.pcap", &pcapgen::tls_capture(50).bytes);
    let out = Command::new(BIN).args(["read", &path]).stdout(full).stderr(Stdio::piped()).output().unwrap();
    assert_no_crash(&out);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("tlstrace: cannot write output"), "{err}");
}

/// Exit 4 and exactly one stderr line: `tlstrace: PATH: capture truncated inside its file
/// header (N bytes read)`, with nothing on stdout (nothing came before the damage).
fn assert_header_cut(out: &Output, shown: &str, bytes: usize) {
    assert_no_crash(out);
    assert_eq!(out.status.code(), Some(4), "stderr: {}", stderr(out));
    assert_eq!(
        stderr(out),
        format!("tlstrace: {shown}: capture truncated inside its file header ({bytes} bytes read)\n")
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_capture_cut_inside_its_file_header_is_exit_4() {
    let dir = scratch("header-cut");
    // pcapng: the fixture's Section Header Block is 164 bytes long (it carries options).
    let ng = std::fs::read(fixture("tls-two-linktypes.pcapng")).unwrap();
    assert_eq!(&ng[..8], &[0x0a, 0x0d, 0x0d, 0x0a, 164, 0, 0, 0]);
    for cut in [4, 11, 12, 28, 100, 163] {
        let path = write(&dir, &format!("ng{cut}.pcapng"), &ng[..cut]);
        assert_header_cut(&run(&["read", &path]), &path, cut);
    }
    // The whole Section Header Block and nothing after it: a capture without packets.
    let out = run(&["read", "--json", &write(&dir, "ng164.pcapng", &ng[..164])]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(ndjson(&out.stdout).last().unwrap()["packets"], 0);

    // pcap: cut inside the 24-byte global header.
    let pcap = std::fs::read(fixture("gnutls-tls12.pcap")).unwrap();
    for cut in [4, 10, 23] {
        let path = write(&dir, &format!("p{cut}.pcap"), &pcap[..cut]);
        assert_header_cut(&run(&["read", &path]), &path, cut);
    }
    // From stdin too.
    assert_header_cut(&run_with_stdin(&["read", "-"], &pcap[..20]), "standard input", 20);

    // gzip cut short before any of the capture came out, and a gzip of a cut header.
    let gz = gzip(&pcap);
    for cut in [2, 10, 15] {
        let path = write(&dir, &format!("g{cut}.pcap.gz"), &gz[..cut]);
        assert_header_cut(&run(&["read", &path]), &path, 0);
    }
    let path = write(&dir, "header.pcap.gz", &gzip(&ng[..50]));
    assert_header_cut(&run(&["read", &path]), &path, 50);

    // What does not start like a capture stays "not a capture" (3), cut or not.
    for (name, bytes) in [
        ("one-byte", pcap[..1].to_vec()),
        ("three-bytes", pcap[..3].to_vec()),
        ("text.gz", gzip(b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")),
        ("text-cut.gz", gzip(b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")[..25].to_vec()),
        ("bad-bom.pcapng", [&ng[..8], &[0, 0, 0, 0], &ng[12..164]].concat()),
        ("gzip-magic-only", vec![0x1f]),
    ] {
        let out = run(&["read", &write(&dir, name, &bytes)]);
        assert_one_line_error(&out, 3, "not a pcap or pcapng capture file");
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/captures").join(name)
}
