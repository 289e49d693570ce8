//! `--tui` end to end: the real binary in a pseudo-terminal (portable-pty), its output fed into a
//! terminal emulator (vt100) by a reader thread, keys typed into the pty. Every check waits for
//! the screen to show what it expects (generous timeouts, no fixed sleeps), and a wait that
//! times out prints the screen it saw.
//!
//! The captures are real: `tls-mixed-outcomes` (made by `fixtures/make-fixtures.sh`) holds a
//! TLS 1.3 handshake that completes (conn 1), then one the client aborts with an encrypted
//! fatal unknown_ca (conn 2), with one key log for both.

mod common;

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use serde_json::Value;
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long any one thing may take to appear on the screen.
const WAIT: Duration = Duration::from_secs(10);

const BIN: &str = env!("CARGO_BIN_EXE_tlstrace");

fn mixed() -> (String, String) {
    let path = |name: &str| common::fixture(name).to_str().expect("utf-8 path").to_string();
    (path("tls-mixed-outcomes.pcap"), path("tls-mixed-outcomes.keylog"))
}

/// A directory of its own for one test (the explorer's current directory: exports land there).
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlstrace-tui-pty-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// What the reader thread has seen of the pty's output.
struct Seen {
    parser: vt100::Parser,
    raw: Vec<u8>,
    /// The pty's output ended (every holder of the terminal's other end has gone).
    eof: bool,
}

type Writer = Arc<Mutex<Box<dyn Write + Send>>>;

/// `tlstrace` running in a pseudo-terminal.
struct Tui {
    child: Box<dyn Child + Send + Sync>,
    /// Keys from the test; the reader thread answers the terminal's queries through it too.
    writer: Writer,
    seen: Arc<Mutex<Seen>>,
    reader: Option<JoinHandle<()>>,
    /// Kept open until the test ends: closing it hangs up the terminal.
    _master: Box<dyn MasterPty + Send>,
}

impl Tui {
    /// Starts `tlstrace ARGS` in a `cols`x`rows` pty with the locale and terminal type the
    /// explorer sees on a usual desktop, in `dir`.
    fn spawn(dir: &Path, cols: u16, rows: u16, args: &[&str]) -> Tui {
        let pair =
            native_pty_system().openpty(PtySize { rows, cols, pixel_width: 0, pixel_height: 0 }).expect("open a pty");
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(args);
        cmd.cwd(dir);
        // Only what the explorer reads: no NO_COLOR, LC_ALL or COLUMNS from the test's run.
        cmd.env_clear();
        cmd.env("LANG", "C.UTF-8");
        cmd.env("TERM", "xterm-256color");
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        let child = pair.slave.spawn_command(cmd).expect("start tlstrace in the pty");
        // Only the child holds the terminal's end now, so the output ends when it exits.
        drop(pair.slave);
        let mut out = pair.master.try_clone_reader().expect("pty reader");
        let writer: Writer = Arc::new(Mutex::new(pair.master.take_writer().expect("pty writer")));
        let rows = NonZeroU16::new(rows).expect("rows");
        let cols = NonZeroU16::new(cols).expect("cols");
        let seen =
            Arc::new(Mutex::new(Seen { parser: vt100::Parser::new(rows, cols, 0), raw: Vec::new(), eof: false }));
        let feed = Arc::clone(&seen);
        let answer = Arc::clone(&writer);
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            // Output not yet given to the emulator: the start of a query cut by the read.
            let mut pending = Vec::new();
            loop {
                // EIO once the child has exited: the end of the output.
                let n = out.read(&mut buf).unwrap_or(0);
                let mut s = feed.lock().unwrap_or_else(|e| e.into_inner());
                if n == 0 {
                    let rest = std::mem::take(&mut pending);
                    s.parser.process(&rest);
                    s.raw.extend_from_slice(&rest);
                    s.eof = true;
                    return;
                }
                pending.extend_from_slice(&buf[..n]);
                let fed = answer_queries(&mut s, &pending, &answer);
                pending.drain(..fed);
            }
        });
        Tui { child, writer, seen, reader: Some(reader), _master: pair.master }
    }

    /// Runs `f` on a copy of the screen (so `f` may fail with [`Tui::dump`] in its message
    /// without the reader thread's lock held).
    fn with_screen<T>(&self, f: impl FnOnce(&vt100::Screen) -> T) -> T {
        let screen = self.seen.lock().unwrap_or_else(|e| e.into_inner()).parser.screen().clone();
        f(&screen)
    }

    /// The screen as text, for failure messages.
    fn dump(&self) -> String {
        self.with_screen(|s| {
            let (_, cols) = s.size();
            let lines: Vec<String> =
                s.rows(0, cols.get()).enumerate().map(|(i, r)| format!("{i:2}|{}", r.trim_end())).collect();
            format!("alternate screen: {}\n{}", s.alternate_screen(), lines.join("\n"))
        })
    }

    /// Waits until `ok` holds for the screen; panics after [`WAIT`] naming `what` and showing
    /// the screen.
    fn wait_for(&self, what: &str, ok: impl Fn(&vt100::Screen) -> bool) {
        let start = Instant::now();
        loop {
            if self.with_screen(&ok) {
                return;
            }
            if start.elapsed() > WAIT {
                panic!("waited {WAIT:?} for {what}; the screen shows:\n{}", self.dump());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until `text` is on the screen.
    fn wait_text(&self, text: &str) {
        self.wait_for(&format!("{text:?} on the screen"), |s| s.contents().contains(text));
    }

    /// Waits until `text` is gone from the screen.
    fn wait_gone(&self, text: &str) {
        self.wait_for(&format!("{text:?} to leave the screen"), |s| !s.contents().contains(text));
    }

    /// Types `bytes` (keys as a terminal sends them).
    fn send(&mut self, bytes: &str) {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        w.write_all(bytes.as_bytes()).expect("write to the pty");
        w.flush().expect("flush the pty");
    }

    /// Waits for the process to exit and for its last output to reach the emulator.
    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("child status") {
                break status;
            }
            if start.elapsed() > WAIT {
                panic!("tlstrace did not exit within {WAIT:?}; the screen shows:\n{}", self.dump());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        while !self.seen.lock().unwrap_or_else(|e| e.into_inner()).eof {
            if start.elapsed() > WAIT * 2 {
                panic!("the pty's output did not end after tlstrace exited; the screen shows:\n{}", self.dump());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(r) = self.reader.take() {
            r.join().expect("reader thread");
        }
        // A terminal that does not answer a cursor position query would end the explorer: it
        // must never ask.
        let s = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        assert!(!s.raw.windows(CURSOR_QUERY.len()).any(|w| w == CURSOR_QUERY), "the explorer asked for the cursor");
        drop(s);
        status
    }

    /// Everything written after the last "leave the alternate screen".
    fn after_alternate_screen(&self) -> String {
        let s = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let raw = &s.raw;
        let leave = b"\x1b[?1049l";
        let at = raw.windows(leave.len()).rposition(|w| w == leave).map_or(0, |i| i + leave.len());
        String::from_utf8_lossy(&raw[at..]).into_owned()
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        // A failed test must not leave the explorer running.
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The cursor position query (DSR 6), which crossterm sends when ratatui's `Terminal::clear`
/// runs: the explorer must not send it (checked at exit), and it is answered should it come.
const CURSOR_QUERY: &[u8] = b"\x1b[6n";

/// Gives `out` to the emulator, answering each cursor position query as a terminal would (a
/// terminal that never answers makes the explorer give up after 2 s). Returns how many bytes
/// were used: the rest may be the start of a query that the next read completes.
fn answer_queries(s: &mut Seen, out: &[u8], answer: &Writer) -> usize {
    let mut used = 0;
    while let Some(at) = out[used..].windows(CURSOR_QUERY.len()).position(|w| w == CURSOR_QUERY) {
        let end = used + at + CURSOR_QUERY.len();
        s.parser.process(&out[used..end]);
        s.raw.extend_from_slice(&out[used..end]);
        used = end;
        let (row, col) = s.parser.screen().cursor_position();
        let mut w = answer.lock().unwrap_or_else(|e| e.into_inner());
        // The child may have gone already; the test then sees it exit.
        let _ = write!(w, "\x1b[{};{}R", row + 1, col + 1).and_then(|()| w.flush());
    }
    // Keep back a tail that could be the start of a query.
    let rest = &out[used..];
    let keep = (1..CURSOR_QUERY.len()).rev().find(|&k| rest.ends_with(&CURSOR_QUERY[..k])).unwrap_or(0);
    let end = out.len() - keep;
    s.parser.process(&out[used..end]);
    s.raw.extend_from_slice(&out[used..end]);
    end
}

/// The screen's lines.
fn lines(s: &vt100::Screen) -> Vec<String> {
    let (_, cols) = s.size();
    s.rows(0, cols.get()).collect()
}

/// A line of a box without its borders.
fn cell_text(line: &str) -> &str {
    line.trim().trim_matches('│').trim()
}

/// The first line holding `text`, and its number.
fn line_with(s: &vt100::Screen, text: &str) -> Option<(u16, String)> {
    lines(s).into_iter().enumerate().find(|(_, l)| l.contains(text)).map(|(i, l)| (i as u16, l))
}

/// Foreground colors of the visible characters of line `row` from column `from` to `to`.
fn colors(s: &vt100::Screen, row: u16, from: u16, to: u16) -> Vec<(char, vt100::Color)> {
    (from..to)
        .filter_map(|c| s.cell(row, c))
        .filter(|cell| !cell.contents().trim().is_empty())
        .map(|cell| (cell.contents().chars().next().unwrap_or(' '), cell.fgcolor()))
        .collect()
}

/// ratatui's `Color::Red`, as crossterm writes it (`38;5;1`) and vt100 reads it.
const RED: vt100::Color = vt100::Color::Idx(1);

/// The characters of line `row` from column `from` to `to` (one pane of the screen).
fn pane_text(s: &vt100::Screen, row: u16, from: u16, to: u16) -> String {
    (from..to).filter_map(|c| s.cell(row, c)).map(|c| if c.has_contents() { c.contents() } else { " " }).collect()
}

/// The line whose characters from `from` to `to` are drawn reversed (the cursor), if any.
fn reversed_line(s: &vt100::Screen, from: u16, to: u16) -> Option<(u16, String)> {
    let (rows, _) = s.size();
    (0..rows.get()).find_map(|r| {
        let cells: Vec<_> = (from..to).filter_map(|c| s.cell(r, c)).collect();
        let reversed = cells.iter().filter(|c| c.inverse()).count();
        (reversed > 3).then(|| (r, cells.iter().map(|c| c.contents()).collect::<String>()))
    })
}

#[test]
fn mixed_outcomes_filter_ladder_detail_export_and_quit() {
    let dir = temp_dir("mixed");
    let (pcap, keylog) = mixed();
    let mut tui = Tui::spawn(&dir, 160, 48, &["read", "--tui", &pcap, "--keylog", &keylog]);

    // Both rows, and the whole capture read (the status line counts its packets).
    tui.wait_for("both connections and the end of the capture", |s| {
        let t = s.contents();
        t.contains("2 / 2 shown") && t.contains(" packets") && t.contains("unknown_ca") && t.contains("complete")
    });
    tui.with_screen(|s| {
        assert!(s.alternate_screen(), "the explorer draws on the alternate screen");
        let (row, text) = line_with(s, "unknown_ca").expect("the failed row");
        assert!(text.contains("✗ alert: unknown_ca from client"), "the failed row says why, marked ✗: {text:?}");
        assert!(cell_text(&text).starts_with("2 "), "the failed row is conn 2: {text:?}");
        // Inside the border: every character of the failed row is red.
        let cols = s.size().1.get();
        let failed = colors(s, row, 1, cols - 1);
        assert!(!failed.is_empty());
        assert!(
            failed.iter().all(|(_, c)| *c == RED),
            "the failed row is drawn in red ({RED:?}): {failed:?}\n{}",
            tui.dump()
        );
        let (row, text) = line_with(s, "complete").expect("the complete row");
        assert!(cell_text(&text).starts_with("1 "), "the complete row is conn 1: {text:?}");
        assert!(!text.contains('✗'), "the complete row has no failure mark: {text:?}");
        assert!(colors(s, row, 1, cols - 1).iter().all(|(_, c)| *c != RED), "the complete row is not red");
    });

    // The filter line keeps only conn 1: the failed row goes.
    tui.send("/");
    tui.wait_for("the filter line to open", |s| lines(s).iter().any(|l| l.trim_end() == "/"));
    tui.send("conn:1");
    tui.wait_text("matching conn:1");
    tui.wait_text("1 / 2 shown");
    tui.wait_gone("unknown_ca");
    tui.send("\r");
    tui.wait_for("the filter line to close", |s| !lines(s).iter().any(|l| l.starts_with("/conn:1")));
    tui.with_screen(|s| {
        assert!(s.contents().contains("matching conn:1"), "the filter stays in force:\n{}", tui.dump());
        assert!(line_with(s, "complete").is_some(), "conn 1 stays:\n{}", tui.dump());
    });

    // Enter opens conn 1: its ladder on the left, the selected message's detail on the right.
    tui.send("\r");
    tui.wait_text("conn 1: ladder");
    tui.wait_for("the ladder's messages", |s| {
        let t = s.contents();
        t.contains("ClientHello") && t.contains("ServerHello") && t.contains("Finished")
    });
    // The panes side by side: where the ladder's box ends.
    let split = tui.with_screen(|s| {
        let top = lines(s).into_iter().next().unwrap_or_default();
        top.chars().position(|c| c == '┐').map(|at| at as u16 + 1)
    });
    let split = split.unwrap_or_else(|| panic!("no ladder pane beside the detail:\n{}", tui.dump()));
    let cols = 160;
    tui.with_screen(|s| {
        // The header line, however the pane wraps it: up to the first message.
        let ladder: Vec<String> = (0..s.size().0.get()).map(|r| pane_text(s, r, 1, split - 1)).collect();
        let first = ladder.iter().position(|l| l.contains("conn 1  127.0.0.1")).expect("the ladder's header line");
        let hello = ladder.iter().position(|l| l.contains("ClientHello")).expect("the ClientHello line");
        let header: String = ladder[first..hello].concat().split_whitespace().collect();
        for want in ["server.tlstrace.test", "TLS1.3", "TLS_AES_256_GCM_SHA384", "Finishedverified", "complete"] {
            assert!(header.contains(want), "the ladder's header line says {want}: {header:?}\n{}", tui.dump());
        }
        let finished: Vec<&String> = ladder.iter().filter(|l| l.contains(" Finished   ")).collect();
        assert_eq!(finished.len(), 2, "both Finished in the ladder:\n{}", tui.dump());
        assert!(finished.iter().all(|l| l.contains("verified ✓")), "both Finished verified: {finished:#?}");
    });

    // The cursor (reversed) moves down the ladder to the first Finished.
    let mut presses = 0;
    loop {
        let at = tui
            .with_screen(|s| reversed_line(s, 1, split - 1))
            .unwrap_or_else(|| panic!("no cursor in the ladder:\n{}", tui.dump()));
        if at.1.contains("Finished") {
            break;
        }
        assert!(presses < 30, "no Finished line under the cursor after {presses} presses of j:\n{}", tui.dump());
        tui.send("j");
        presses += 1;
        tui.wait_for("the ladder's cursor to move down", |s| {
            reversed_line(s, 1, split - 1).is_some_and(|now| now != at)
        });
    }
    tui.wait_for("the detail of the Finished message", |s| {
        let t = s.contents();
        t.contains(": Finished") && t.contains("verified: true")
    });

    // Enter gives the detail pane the keys (its first line reversed), Tab gives them back.
    tui.send("\r");
    tui.wait_for("the cursor in the detail pane", |s| reversed_line(s, split + 1, cols - 1).is_some());
    tui.with_screen(|s| {
        let detail: Vec<String> = (0..s.size().0.get()).map(|r| pane_text(s, r, split + 1, cols - 1)).collect();
        assert!(detail.iter().any(|l| l.contains("verified: true")), "the detail says verified: true:\n{}", tui.dump());
        assert!(detail.iter().any(|l| l.contains("verify_data")), "the detail shows verify_data:\n{}", tui.dump());
    });
    tui.send("\t");
    tui.wait_for("the cursor back in the ladder", |s| {
        reversed_line(s, split + 1, cols - 1).is_none()
            && reversed_line(s, 1, split - 1).is_some_and(|(_, t)| t.contains("Finished"))
    });

    // e exports the connection.
    tui.send("e");
    tui.wait_text("exported conn 1 to ");
    let status = tui.with_screen(|s| line_with(s, "exported conn 1 to ").map(|(_, l)| l)).expect("status");
    // The status line is cut at the terminal's width, before the NDJSON file's name ends; the
    // files themselves are checked below.
    assert!(
        status.contains("exported conn 1 to ./tlstrace-conn1-127.0.0.1_") && status.contains(".pcapng and ./"),
        "the export names its files: {status:?}"
    );

    tui.send("q");
    let exit = tui.wait_exit();
    assert!(exit.success(), "q exits 0: {exit:?}\n{}", tui.dump());
    tui.with_screen(|s| assert!(!s.alternate_screen(), "the alternate screen is left:\n{}", tui.dump()));

    // The exported files: the packets with their secrets, the events.
    let files: Vec<PathBuf> = std::fs::read_dir(&dir).expect("read dir").map(|e| e.expect("entry").path()).collect();
    let find = |ext: &str| {
        let found: Vec<&PathBuf> = files.iter().filter(|p| p.extension().is_some_and(|e| e == ext)).collect();
        assert_eq!(found.len(), 1, "one .{ext} exported in {}: {files:?}", dir.display());
        found[0].clone()
    };
    let pcapng = find("pcapng");
    let ndjson = find("ndjson");
    let name = pcapng.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(name.starts_with("tlstrace-conn1-127.0.0.1_"), "{name}");

    let original = common::events(Path::new(&pcap), &["--keylog", &keylog]);
    // No --keylog: the secrets come from the export's Decryption Secrets Block.
    let exported = common::events(&pcapng, &[]);
    assert_eq!(common::of_kind(&exported, "connection").len(), 1, "the export holds one connection");
    assert_eq!(common::ladder(&exported, 1), common::ladder(&original, 1), "the export decodes as conn 1 did");
    let hs = common::of_kind(&exported, "handshake");
    assert_eq!(hs.len(), 1);
    assert_eq!(hs[0]["complete"], true);
    assert_eq!(hs[0]["finished_verified"], true, "the embedded secrets verify both Finished");
    assert_eq!(hs[0]["decryption"]["status"], "decrypted");
    let finished: Vec<&Value> =
        common::of_kind(&exported, "message").into_iter().filter(|m| m["name"] == "Finished").collect();
    assert_eq!(finished.len(), 2);
    for f in finished {
        assert_eq!(f["decrypted"], true);
        assert_eq!(f["finished"]["verified"], true);
    }

    let text = std::fs::read_to_string(&ndjson).expect("read the exported NDJSON");
    let events = common::parse_ndjson(text.as_bytes());
    let messages = common::of_kind(&events, "message");
    assert!(messages.iter().all(|m| m["conn"] == 1), "only conn 1's messages");
    assert_eq!(
        common::ladder(&events, 1),
        common::ladder(&original, 1),
        "the NDJSON holds conn 1's messages as read gives them"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn truncated_capture_is_said_in_the_status_line_and_after_quitting() {
    let dir = temp_dir("truncated");
    let (pcap, _) = mixed();
    let whole = std::fs::read(&pcap).expect("read the fixture");
    let cut = dir.join("cut.pcap");
    std::fs::write(&cut, &whole[..whole.len() - 10]).expect("write the cut capture");
    let mut tui = Tui::spawn(&dir, 160, 48, &["read", "--tui", cut.to_str().expect("utf-8")]);
    tui.wait_text("unknown_ca");
    tui.wait_for("the truncation in the status line", |s| {
        lines(s).last().is_some_and(|l| l.contains("✗") && l.contains("truncated"))
    });
    tui.send("q");
    let exit = tui.wait_exit();
    assert_eq!(exit.exit_code(), 4, "a truncated capture exits 4 (damaged input): {exit:?}\n{}", tui.dump());
    tui.with_screen(|s| assert!(!s.alternate_screen(), "the alternate screen is left:\n{}", tui.dump()));
    let after = tui.after_alternate_screen();
    assert!(
        after.contains("tlstrace: ") && after.contains("truncated"),
        "the error is said once the terminal is restored: {after:?}"
    );
    tui.with_screen(|s| assert!(s.contents().contains("truncated"), "and it is on the screen:\n{}", tui.dump()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_restores_the_terminal() {
    let dir = temp_dir("sigterm");
    let (pcap, keylog) = mixed();
    let mut tui = Tui::spawn(&dir, 100, 30, &["read", "--tui", &pcap, "--keylog", &keylog]);
    tui.wait_text("unknown_ca");
    tui.with_screen(|s| assert!(s.alternate_screen(), "the explorer draws on the alternate screen"));
    let pid = tui.child.process_id().expect("pid") as libc::pid_t;
    // SAFETY: a plain signal to our own child, not reaped yet.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let exit = tui.wait_exit();
    assert_eq!(exit.exit_code(), 0, "SIGTERM ends the explorer like q: {exit:?}\n{}", tui.dump());
    tui.with_screen(|s| assert!(!s.alternate_screen(), "the alternate screen is left:\n{}", tui.dump()));
    let s = tui.seen.lock().unwrap_or_else(|e| e.into_inner());
    let show_cursor = b"\x1b[?25h";
    assert!(s.raw.windows(show_cursor.len()).any(|w| w == show_cursor), "the cursor is shown again");
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn write_keylog_works_with_the_explorer() {
    let dir = temp_dir("write-keylog");
    let capture = common::fixture("tls12-rsa-kx.pcap");
    let key = common::repo().join("fixtures/certs/server-rsa.key");
    let written = dir.join("written.keys");
    let args = [
        "read",
        "--tui",
        capture.to_str().expect("utf-8"),
        "--rsa-key",
        key.to_str().expect("utf-8"),
        "--write-keylog",
        written.to_str().expect("utf-8"),
    ];
    let mut tui = Tui::spawn(&dir, 200, 30, &args);
    tui.wait_text("Fin✓");
    tui.send("q");
    let exit = tui.wait_exit();
    assert_eq!(exit.exit_code(), 0, "{exit:?}\n{}", tui.dump());
    let text = std::fs::read_to_string(&written).expect("the key log is written");
    assert!(text.starts_with("CLIENT_RANDOM "), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tui_needs_a_terminal() {
    let (pcap, keylog) = mixed();
    let out = Command::new(BIN)
        .args(["read", "--tui", &pcap, "--keylog", &keylog])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run tlstrace");
    assert_eq!(out.status.code(), Some(2), "usage error: {out:?}");
    assert!(out.stdout.is_empty(), "nothing on stdout: {:?}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {err:?}");
    assert!(lines[0].contains("terminal"), "it says a terminal is needed: {err:?}");
}

#[test]
fn small_terminal_table_help_summary_and_ctrl_c() {
    let dir = temp_dir("small");
    let (pcap, keylog) = mixed();
    let mut tui = Tui::spawn(&dir, 80, 24, &["read", "--tui", &pcap, "--keylog", &keylog]);
    tui.wait_for("both rows at 80 columns", |s| {
        let t = s.contents();
        t.contains("2 / 2 shown") && t.contains("unknown_ca") && t.contains("complete")
    });

    tui.send("?");
    tui.wait_text("help: every key");
    tui.with_screen(|s| {
        let t = s.contents();
        for (keys, what) in tlstrace::tui::view::KEYS {
            assert!(t.contains(keys), "the help lists {keys:?}:\n{}", tui.dump());
            let first: String = what.chars().take(20).collect();
            assert!(t.contains(&first), "the help says what {keys:?} does ({first:?}...):\n{}", tui.dump());
        }
    });
    tui.send("?");
    tui.wait_text("tlstrace: connections");

    tui.send("s");
    tui.wait_text("summary: ");
    tui.wait_text("versions");
    tui.with_screen(|s| assert!(s.contents().contains("TLS 1.3"), "the versions chart has TLS 1.3:\n{}", tui.dump()));

    tui.send("\x03");
    let exit = tui.wait_exit();
    assert!(exit.success(), "Ctrl-C exits 0: {exit:?}\n{}", tui.dump());
    tui.with_screen(|s| assert!(!s.alternate_screen(), "the alternate screen is left:\n{}", tui.dump()));
    let _ = std::fs::remove_dir_all(&dir);
}
