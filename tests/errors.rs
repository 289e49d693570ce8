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
    // As the README says: clap's usual message over several lines (error, usage, hint).
    let err = stderr(&run(&["read", "--no-such-flag", "x.pcap"]));
    assert!(err.starts_with("error: unexpected argument '--no-such-flag'"), "{err}");
    assert!(err.lines().count() > 1 && err.contains("Usage: tlstrace read"), "{err}");
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

/// The certificates `read --certs` writes for `capture`, by file name, from a run into a
/// fresh directory (which must succeed).
fn certificate_names(capture: &Path, dir: &Path) -> Vec<String> {
    let out = run(&["read", "--certs", dir.to_str().unwrap(), capture.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

/// A `--json` run that traced the whole fixture although certificates could not be written:
/// exit 7, exactly `warning` on stderr, the connection and its messages on stdout, and the
/// summary saying how many certificates were written and why the others were not.
fn assert_certificates_lost(out: &Output, warning: &str, written: u64) {
    assert_no_crash(out);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(out));
    assert_eq!(stderr(out), format!("tlstrace: {warning}\n"));
    let events = ndjson(&out.stdout);
    assert_eq!(events.iter().filter(|e| e["event"] == "connection").count(), 1);
    assert_eq!(hellos(&events), (1, 1));
    assert!(events.iter().any(|e| e["event"] == "message" && e["name"] == "Certificate"));
    let summary = events.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["handshakes"]["complete"], 1);
    assert_eq!(summary["certificates_written"], written);
    assert_eq!(summary["certificate_error"], warning);
}

#[test]
fn certificates_that_cannot_be_written_are_exit_7_after_the_trace() {
    let dir = scratch("certs");
    let capture = fixture("tls12-ecdhe-rsa-cbc-etm.pcap");
    let names = certificate_names(&capture, &dir.join("good"));
    assert_eq!(names.len(), 2, "{names:?}");

    // DIR is a regular file.
    let file = write(&dir, "a-file", b"not a directory");
    let out = run(&["read", "--json", "--certs", &file, capture.to_str().unwrap()]);
    assert_certificates_lost(&out, &format!("cannot write certificates to {file}: Not a directory (os error 20)"), 0);
    assert_eq!(std::fs::read(&file).unwrap(), b"not a directory");

    // DIR is under a regular file.
    let under = format!("{file}/certs");
    let out = run(&["read", "--json", "--certs", &under, capture.to_str().unwrap()]);
    assert_certificates_lost(&out, &format!("cannot write certificates to {under}: Not a directory (os error 20)"), 0);

    // A folder this process may not write into (root writes anywhere: not testable as root).
    if unsafe { libc::geteuid() } != 0 {
        use std::os::unix::fs::PermissionsExt;
        let locked = dir.join("locked");
        std::fs::create_dir(&locked).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
        let shown = locked.to_str().unwrap();
        let out = run(&["read", "--json", "--certs", shown, capture.to_str().unwrap()]);
        assert_certificates_lost(
            &out,
            &format!("cannot write certificates to {shown}: Permission denied (os error 13)"),
            0,
        );
    } else {
        eprintln!("SKIP: certs into a read-only folder: running as root, which writes into any folder");
    }

    // The disk fills up during the run: every certificate's file is a link to /dev/full, so
    // each write fails with ENOSPC although the folder itself is fine.
    let full = dir.join("full");
    std::fs::create_dir(&full).unwrap();
    for name in &names {
        std::os::unix::fs::symlink("/dev/full", full.join(name)).unwrap();
    }
    let shown = full.to_str().unwrap();
    let out = run(&["read", "--json", "--certs", shown, capture.to_str().unwrap()]);
    assert_certificates_lost(
        &out,
        &format!("cannot write certificates to {shown}: No space left on device (os error 28)"),
        0,
    );

    // The text view: the warning, then the summary on stderr, then exit 7.
    let out = run(&["read", "--certs", &file, capture.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(7));
    let err = stderr(&out);
    assert_eq!(
        err.lines().next().unwrap(),
        format!("tlstrace: cannot write certificates to {file}: Not a directory (os error 20)")
    );
    assert_eq!(err.matches("tlstrace:").count(), 1, "{err}");
    assert!(err.contains("summary: 17 packets"), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).matches("ClientHello").count(), 1);
}

/// Unmounts a tmpfs when dropped.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn certificates_on_a_full_filesystem_are_exit_7() {
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIP: certs on a full tmpfs: mounting one needs root (the /dev/full case runs anyway)");
        return;
    }
    let dir = scratch("tmpfs");
    let mount = dir.join("small");
    std::fs::create_dir(&mount).unwrap();
    // One page: the first certificate fits, the second finds the filesystem full.
    let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=4k", "tmpfs"]).arg(&mount).status();
    if !mounted.is_ok_and(|s| s.success()) {
        assert!(std::env::var_os("CI").is_none(), "cannot mount a tmpfs as root");
        eprintln!("SKIP: certs on a full tmpfs: mount -t tmpfs failed");
        return;
    }
    let _unmount = Mounted(mount.clone());
    let capture = fixture("tls12-ecdhe-rsa-cbc-etm.pcap");
    let shown = mount.to_str().unwrap();
    let out = run(&["read", "--json", "--certs", shown, capture.to_str().unwrap()]);
    assert_certificates_lost(
        &out,
        &format!("cannot write certificates to {shown}: No space left on device (os error 28)"),
        1,
    );
}

// ---- live capture ----

/// Whether a test that needs root can run; when it cannot, says so, and fails under CI (set
/// by CI systems) so that a skipped test can never pass there.
fn root_or_skip(test: &str) -> bool {
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    let why = "capturing and creating interfaces need root";
    assert!(std::env::var_os("CI").is_none(), "{test}: {why}, and CI is set: not skipping");
    eprintln!("SKIP: {test}: {why}");
    false
}

/// `tlstrace capture lo --port P --json ARGS` while `traffic(P)` runs against a local listener,
/// stopped with SIGTERM. `fsize_limit` caps the size of any file the capture writes
/// (RLIMIT_FSIZE, with SIGXFSZ ignored: a write past it fails with EFBIG).
fn capture_during(args: &[&str], fsize_limit: Option<u64>, traffic: impl FnOnce(&std::net::TcpListener)) -> Output {
    use std::os::unix::process::CommandExt;
    use std::time::{Duration, Instant};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let mut cmd = Command::new(BIN);
    cmd.args(["capture", "lo", "--json", "--port", &port]).args(args);
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(limit) = fsize_limit {
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                let lim = libc::rlimit { rlim_cur: limit, rlim_max: limit };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn().expect("spawn tlstrace capture");
    let mut stdout = child.stdout.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let err_stream = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(err_stream).lines() {
            let Ok(line) = line else { break };
            all.push_str(&line);
            all.push('\n');
            let _ = tx.send(line);
        }
        all
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) if line.contains("capturing on") => break,
            Ok(_) => {}
            Err(_) => {
                let _ = child.kill();
                panic!("tlstrace capture did not start: {}", err_reader.join().unwrap());
            }
        }
    }
    traffic(&listener);
    // Frames are read in batches: give the last ones time to arrive before stopping.
    std::thread::sleep(Duration::from_millis(600));
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    Output { status, stdout: out_reader.join().unwrap(), stderr: err_reader.join().unwrap().into_bytes() }
}

/// One TCP connection to `listener` carrying a ClientHello for `sni` (and `extra` bytes of
/// application data after it), closed at both ends once the listener has read it all.
fn send_client_hello(listener: &std::net::TcpListener, sni: &str, n: u32, extra: usize) {
    let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut server, _) = listener.accept().unwrap();
    let mut bytes = pcapgen::client_hello(sni, n);
    bytes.extend(std::iter::repeat_n(0x17u8, extra));
    client.write_all(&bytes).unwrap();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let mut got = Vec::new();
    server.read_to_end(&mut got).unwrap();
    assert_eq!(got.len(), bytes.len());
}

/// The SNIs of the ClientHellos in a capture's JSON output, in order.
fn hello_snis(stdout: &[u8]) -> Vec<String> {
    ndjson(stdout)
        .iter()
        .filter(|e| e["event"] == "message" && e["name"] == "ClientHello")
        .map(|e| e["client_hello"]["sni"].as_str().unwrap_or("?").to_string())
        .collect()
}

#[test]
fn capture_file_that_cannot_be_written_is_exit_7_after_the_capture() {
    if !root_or_skip("capture -w into a file that cannot be written") {
        return;
    }
    // Cannot be created, and the disk is full from the first write.
    for (target, error) in [
        ("/nonexistent-tlstrace-dir/c.pcapng", "No such file or directory (os error 2)"),
        ("/dev/full", "No space left on device (os error 28)"),
    ] {
        let out = capture_during(&["-w", target], None, |l| send_client_hello(l, "first.test", 1, 0));
        assert_no_crash(&out);
        assert_eq!(out.status.code(), Some(7), "{target}: {}", stderr(&out));
        let err = stderr(&out);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{err}");
        assert_eq!(lines[0], format!("tlstrace: cannot write {target}: {error}; the capture goes on without it"));
        assert!(lines[1].starts_with("tlstrace: capturing on lo"), "{err}");
        // The trace ran all the same.
        assert_eq!(hello_snis(&out.stdout), ["first.test"]);
        let events = ndjson(&out.stdout);
        assert_eq!(events.last().unwrap()["event"], "summary");
        assert_eq!(events.last().unwrap()["tls_connections"], 1);
    }

    // A write fails during the capture: the file may grow to 4 KiB, the second connection
    // takes it past that; the third comes after the failure and is traced too.
    let dir = scratch("capture-fsize");
    let file = dir.join("c.pcapng");
    let shown = file.to_str().unwrap();
    let out = capture_during(&["-w", shown], Some(4096), |l| {
        send_client_hello(l, "before.test", 1, 0);
        std::thread::sleep(std::time::Duration::from_millis(400));
        send_client_hello(l, "failing.test", 2, 8000);
        std::thread::sleep(std::time::Duration::from_millis(400));
        send_client_hello(l, "after.test", 3, 0);
    });
    assert_no_crash(&out);
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].starts_with("tlstrace: capturing on lo"), "{err}");
    assert_eq!(
        lines[1],
        format!("tlstrace: cannot write {shown}: File too large (os error 27); the capture goes on without it")
    );
    assert_eq!(hello_snis(&out.stdout), ["before.test", "failing.test", "after.test"]);
    // What was written before the failure reads back: the first connection is in it.
    let len = std::fs::metadata(&file).unwrap().len();
    assert!(len > 0 && len <= 4096, "{len}");
    let back = run(&["read", "--json", shown]);
    assert!(hello_snis(&back.stdout).contains(&"before.test".to_string()), "{}", stderr(&back));
}

/// Deletes a network interface when dropped.
struct Interface(String);

impl Drop for Interface {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["link", "del", &self.0]).output();
    }
}

/// A new interface that exists but is down (a veth pair, or a dummy where veth is missing).
fn down_interface() -> Result<Interface, String> {
    let name = format!("tlsdn{}", std::process::id() % 1_000_000);
    let peer = format!("{name}p");
    let mut tried = Vec::new();
    for args in
        [vec!["link", "add", &name, "type", "veth", "peer", "name", &peer], vec!["link", "add", &name, "type", "dummy"]]
    {
        match Command::new("ip").args(&args).output() {
            Ok(o) if o.status.success() => return Ok(Interface(name.clone())),
            Ok(o) => tried.push(format!("ip {}: {}", args.join(" "), String::from_utf8_lossy(&o.stderr).trim())),
            Err(e) => tried.push(format!("ip: {e}")),
        }
    }
    Err(tried.join("; "))
}

#[test]
fn capture_on_an_interface_that_is_down_is_exit_6() {
    if !root_or_skip("capture on an interface that is down") {
        return;
    }
    let iface = match down_interface() {
        Ok(i) => i,
        Err(why) => {
            assert!(std::env::var_os("CI").is_none(), "cannot create a down interface, and CI is set: {why}");
            eprintln!("SKIP: capture on an interface that is down: cannot create one ({why})");
            return;
        }
    };
    let name = iface.0.as_str();
    // The listing shows it down, and capturing on it stops at once with one line.
    let list = run(&["capture", "--list", "--json"]);
    assert!(ndjson(&list.stdout).iter().any(|i| i["interface"] == name && i["state"] == "down"));
    for args in [vec!["capture", name], vec!["capture", name, "--json", "-w", "/dev/null", "--port", "443"]] {
        let out = run(&args);
        assert_no_crash(&out);
        assert_eq!(out.status.code(), Some(6), "{args:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out),
            format!("tlstrace: interface {name} is down; bring it up first (ip link set {name} up)\n")
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn control_characters_in_names_are_escaped_in_messages() {
    let dir = scratch("names");
    // A file name with a newline, a tab and an escape sequence: one line, escaped.
    let odd = dir.join("cut\nhere\t\x1b[31m.pcap");
    let shown = format!("{}/cut\\nhere\\t\\x1b[31m.pcap", dir.display());
    let out = run(&["read", odd.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(stderr(&out), format!("tlstrace: cannot open {shown}: No such file or directory (os error 2)\n"));
    std::fs::write(&odd, b"not a capture at all").unwrap();
    let out = run(&["read", odd.to_str().unwrap()]);
    assert_eq!(stderr(&out), format!("tlstrace: {shown}: not a pcap or pcapng capture file\n"));
    // Damaged: the stderr line and the summary's input_error both escaped.
    let capture = pcapgen::tls_capture(3).bytes;
    std::fs::write(&odd, &capture[..capture.len() - 10]).unwrap();
    let out = run(&["read", "--json", odd.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with(&format!("tlstrace: {shown}: capture truncated after ")), "{err}");
    let summary = ndjson(&out.stdout).pop().unwrap();
    assert!(summary["input_error"].as_str().unwrap().starts_with(&format!("{shown}: ")));

    // The key log's name.
    let keys = dir.join("keys\n.log");
    let good = write(&dir, "good.pcap", &capture);
    let out = run(&["read", "--keylog", keys.to_str().unwrap(), &good]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        stderr(&out),
        format!(
            "tlstrace: cannot read key log {}/keys\\n.log: No such file or directory (os error 2)\n",
            dir.display()
        )
    );
    std::fs::write(&keys, b"CLIENT_RANDOM nothex\n").unwrap();
    let out = run(&["read", "--json", "--keylog", keys.to_str().unwrap(), &good]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with(&format!("tlstrace: key log {}/keys\\n.log: line 1: ", dir.display())), "{err}");

    // The --certs folder's name.
    let certs = dir.join("certs\x07\n");
    std::fs::write(&certs, b"a file").unwrap();
    let out = run(&["read", "--json", "--certs", certs.to_str().unwrap(), &good]);
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(
        stderr(&out),
        format!(
            "tlstrace: cannot write certificates to {}/certs\\x07\\n: Not a directory (os error 20)\n",
            dir.display()
        )
    );

    // Interface names (no privilege needed: the name is checked first).
    let out = run(&["capture", "no\nsuch\x1b0"]);
    assert_eq!(out.status.code(), Some(6));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("tlstrace: no such interface 'no\\nsuch\\x1b0'; interfaces: "), "{err}");
    assert!(!err.trim_end().contains(|c: char| c.is_control()), "{err:?}");
}
