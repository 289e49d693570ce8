//! The explorer's views drawn with ratatui's `TestBackend` on the bundled fixtures, at 80x24 and
//! 160x48: each compared with its snapshot in tests/snapshots/tui/ (`UPDATE_SNAPSHOTS=1 cargo
//! test --test tui_views` rewrites them after a deliberate change; review the diff), and the
//! decoded values that matter asserted on the screen text.

mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use tlstrace::conn::events::Event;
use tlstrace::output::Sink;
use tlstrace::pipeline::{Pipeline, PipelineConfig};
use tlstrace::source::file::FileSource;
use tlstrace::tui::app::{Action, App, Screen};
use tlstrace::tui::detail::{Extent, Keys, trace_connection};
use tlstrace::tui::frames::PacketOrigin;
use tlstrace::tui::{TuiSink, Update};

/// The explorer's state after loading the fixture `capture` as `read --tui` does (same sink,
/// same needs).
fn load(capture: &str, keylog: Option<&str>, color: bool) -> (App, PacketOrigin, Keys) {
    load_path(&common::fixture(capture), keylog.map(common::fixture), color)
}

fn load_path(path: &std::path::Path, keylog: Option<std::path::PathBuf>, color: bool) -> (App, PacketOrigin, Keys) {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut sink = TuiSink::new(tx, Arc::new(AtomicBool::new(false)));
    let mut pipeline = Pipeline::new(PipelineConfig { output: sink.needs(), ..PipelineConfig::default() });
    // Key log text embedded in the capture (pcapng Decryption Secrets Blocks), taken first as
    // `read` does.
    let mut embedded = Vec::new();
    let mut first_pass = FileSource::open(path.to_str().unwrap()).unwrap();
    while let Ok(Some(())) = first_pass.next_with(|_| ()) {}
    for text in first_pass.take_secrets() {
        embedded.extend_from_slice(&text);
        embedded.push(b'\n');
    }
    let keys = Keys { file: keylog, embedded: Arc::new(embedded), ..Keys::default() };
    if let Some(k) = &keys.file {
        pipeline.open_key_log(k, &mut |_| {}).unwrap();
    }
    if !keys.embedded.is_empty() {
        pipeline.add_key_log(&keys.embedded);
    }
    let mut source = FileSource::open(path.to_str().unwrap()).unwrap();
    while let Ok(Some(())) = source.next_with(|p| pipeline.process(p)) {
        for ev in pipeline.drain_events() {
            sink.event(&ev).unwrap();
        }
    }
    pipeline.finish();
    for ev in pipeline.drain_events() {
        sink.event(&ev).unwrap();
    }
    sink.event(&Event::Summary(Box::new(pipeline.summary()))).unwrap();
    sink.finish().unwrap();
    let mut app = App::new(false, color, false);
    for update in rx.try_iter() {
        match update {
            Update::Rows(rows) => app.add_rows(rows),
            Update::Summary(s) => app.set_summary(s),
            Update::Warning(w) => panic!("warning: {w}"),
        }
    }
    app.refilter();
    (app, PacketOrigin::File(path.to_str().unwrap().to_string()), keys)
}

fn key(app: &mut App, code: KeyCode) -> Action {
    app.key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// Opens the selected connection as the loop does: the key, then its detail traced again.
fn open(app: &mut App, origin: &PacketOrigin, keys: &Keys) {
    let Action::Open(conn) = key(app, KeyCode::Enter) else { panic!("Enter did not open a connection") };
    let row = app.row_of(conn).unwrap().clone();
    app.set_detail(conn, trace_connection(&row, origin, keys, Extent::Events));
}

/// Draws the state; returns the screen's lines (trailing spaces cut) and the backend.
fn draw(app: &mut App, w: u16, h: u16) -> (String, TestBackend) {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| tlstrace::tui::view::draw(f, app)).unwrap();
    let backend = term.backend().clone();
    let buf = backend.buffer();
    let mut out = String::new();
    for y in 0..h {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    (out, backend)
}

fn snapshot(name: &str, screen: &str) {
    let path = common::repo().join("tests/snapshots/tui").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, screen).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(screen == want, "{name} differs from its snapshot:\n--- got ---\n{screen}\n--- want ---\n{want}");
}

/// The row on screen that contains `text`.
fn line_with<'a>(screen: &'a str, text: &str) -> &'a str {
    screen.lines().find(|l| l.contains(text)).unwrap_or_else(|| panic!("no line with {text:?} in\n{screen}"))
}

/// The detail pane's lines as text (tree lines without their indentation).
fn detail_texts(app: &App) -> Vec<String> {
    use tlstrace::tui::app::DetailLine;
    app.opened
        .as_ref()
        .unwrap()
        .detail_lines()
        .into_iter()
        .map(|l| match l {
            DetailLine::Role(t) | DetailLine::Heading(t) | DetailLine::Hex(t) => t,
            DetailLine::Tree(t) => t.text,
        })
        .collect()
}

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

#[test]
fn table_marks_a_failed_handshake_in_red_with_its_alert() {
    for (w, h) in SIZES {
        let (mut app, ..) = load("tls12-alert-unknown-ca.pcap", None, true);
        let (screen, backend) = draw(&mut app, w, h);
        snapshot(&format!("table-failed-{w}x{h}.txt"), &screen);
        let row = line_with(&screen, "server.tlstrace.test");
        assert!(row.contains("✗ alert: unknown_ca from client"), "{row}");
        assert!(screen.contains("1 / 1 shown · 1 failed · 0 decrypted"), "{screen}");
        // The row's cells are red.
        let y = screen.lines().position(|l| l.contains("unknown_ca")).unwrap() as u16;
        assert_eq!(backend.buffer()[(3, y)].fg, Color::Red);
        // Without colors the symbol still says it.
        let (mut mono, ..) = load("tls12-alert-unknown-ca.pcap", None, false);
        let (screen, backend) = draw(&mut mono, w, h);
        assert!(line_with(&screen, "unknown_ca").contains('✗'));
        assert_eq!(backend.buffer()[(3, y)].fg, Color::Reset);
    }
}

#[test]
fn table_of_two_connections_sorts_and_filters() {
    let (mut app, ..) = load("tls-two-linktypes.pcapng", Some("tls-two-linktypes.keylog"), false);
    for (w, h) in SIZES {
        let (screen, _) = draw(&mut app, w, h);
        snapshot(&format!("table-two-{w}x{h}.txt"), &screen);
        assert!(screen.contains("2 / 2 shown · 0 failed · 2 decrypted"), "{screen}");
        assert!(line_with(&screen, "TLS1.3").contains("complete"));
        assert!(line_with(&screen, "TLS1.2").contains("complete"));
    }
    // Sorted by version (o moves the sort column: # → start → client → server → SNI → version).
    for _ in 0..5 {
        key(&mut app, KeyCode::Char('o'));
    }
    let (screen, _) = draw(&mut app, 160, 48);
    let first = screen.lines().position(|l| l.contains("TLS1.2")).unwrap();
    let second = screen.lines().position(|l| l.contains("TLS1.3")).unwrap();
    assert!(first < second, "{screen}");
    key(&mut app, KeyCode::Char('r'));
    let (screen, _) = draw(&mut app, 160, 48);
    assert!(screen.lines().position(|l| l.contains("TLS1.3")) < screen.lines().position(|l| l.contains("TLS1.2")));
    // A filter applied as typed.
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "version:1.2");
    let (screen, _) = draw(&mut app, 160, 48);
    assert!(screen.contains("1 / 2 shown"), "{screen}");
    assert!(!screen.contains("TLS1.3"), "{screen}");
}

#[test]
fn filter_with_a_bad_expression_keeps_the_filter_in_force() {
    for (w, h) in SIZES {
        let (mut app, ..) = load("tls-two-linktypes.pcapng", None, true);
        key(&mut app, KeyCode::Char('/'));
        typed(&mut app, "sni:server");
        assert_eq!(app.shown.len(), 2);
        // Applied as typed: "port" alone is free text (matching nothing), then "port:h..." does
        // not parse and the last line that did stays in force.
        typed(&mut app, " port:https");
        let (screen, backend) = draw(&mut app, w, h);
        snapshot(&format!("filter-bad-{w}x{h}.txt"), &screen);
        assert!(screen.contains("/sni:server port:https"), "{screen}");
        assert!(screen.contains("✗ port:https: not a port number"), "{screen}");
        assert_eq!(app.query_text, "sni:server port");
        assert!(screen.contains("0 / 2 shown"), "{screen}");
        let y = screen.lines().position(|l| l.contains("not a port number")).unwrap() as u16;
        let x = screen.lines().nth(y as usize).unwrap().chars().position(|c| c == '✗').unwrap() as u16;
        assert_eq!(backend.buffer()[(x, y)].fg, Color::Red);
        // Enter does not take a line that does not parse; Backspace back to a good one does.
        key(&mut app, KeyCode::Enter);
        assert!(app.editing.is_some());
        for _ in 0.." port:https".len() {
            key(&mut app, KeyCode::Backspace);
        }
        assert!(app.edit_error.is_none());
        assert_eq!(app.query_text, "sni:server");
        assert_eq!(app.shown.len(), 2);
        key(&mut app, KeyCode::Enter);
        assert!(app.editing.is_none());
        // Esc on the table clears the filter.
        key(&mut app, KeyCode::Esc);
        assert!(app.query_text.is_empty());
    }
}

#[test]
fn ladder_and_detail_show_what_read_prints() {
    let expected = common::run(&[
        "read",
        "--color",
        "never",
        "--keylog",
        common::fixture("tls13-hrr.keylog").to_str().unwrap(),
        common::fixture("tls13-hrr.pcap").to_str().unwrap(),
    ]);
    let expected = String::from_utf8(expected.stdout).unwrap();
    for (w, h) in SIZES {
        let (mut app, origin, keys) = load("tls13-hrr.pcap", Some("tls13-hrr.keylog"), false);
        open(&mut app, &origin, &keys);
        assert_eq!(app.screen, Screen::Ladder);
        // Every ladder line is the text view's line.
        let opened = app.opened.as_ref().unwrap();
        let lines: Vec<&str> = opened.lines.iter().map(|l| l.text.as_str()).collect();
        let mut text = lines.join("\n");
        text.push('\n');
        assert_eq!(text, expected);
        let (screen, _) = draw(&mut app, w, h);
        snapshot(&format!("ladder-{w}x{h}.txt"), &screen);
        assert!(screen.contains("Finished verified"), "{screen}");
        if w >= 160 {
            assert!(line_with(&screen, "HelloRetryRequest").contains("retry with"), "{screen}");
        }
        // To the server's Finished (message 10), and its detail.
        while app.opened.as_ref().unwrap().message().is_none_or(|m| m.name != "Finished" || m.index < 10) {
            key(&mut app, KeyCode::Char('j'));
        }
        key(&mut app, KeyCode::Enter);
        let (screen, _) = draw(&mut app, w, h);
        snapshot(&format!("detail-finished-{w}x{h}.txt"), &screen);
        assert!(screen.contains("verified: true"), "{screen}");
        assert!(screen.contains("verify_data"), "{screen}");
        // The bytes follow the fields (below the fold at 80x24).
        let lines = detail_texts(&app);
        assert!(lines.iter().any(|l| l == "bytes (52)"), "{lines:?}");
        assert!(lines.iter().any(|l| l.starts_with("0000  14 00 00 30")), "{lines:?}");
    }
}

#[test]
fn detail_tree_folds_and_names_numbers() {
    let (mut app, origin, keys) = load("tls12-cert-expired.pcap", None, false);
    open(&mut app, &origin, &keys);
    while app.opened.as_ref().unwrap().message().is_none_or(|m| m.name != "Certificate") {
        key(&mut app, KeyCode::Char('j'));
    }
    key(&mut app, KeyCode::Enter);
    if app.wide {
        assert_eq!(app.pane, tlstrace::tui::app::Pane::Detail);
    }
    let (screen, _) = draw(&mut app, 80, 24);
    assert_eq!(app.screen, Screen::Detail);
    snapshot("detail-certificate-80x24.txt", &screen);
    let (screen, _) = draw(&mut app, 160, 48);
    assert!(screen.contains("subject: O=tlstrace fixtures, CN=expired.tlstrace.test"), "{screen}");
    assert!(screen.contains("expired_at_capture: true"), "{screen}");
    assert!(screen.contains("not_after: 2021-01-01T00:00:00Z"), "{screen}");
    let lines = detail_texts(&app);
    assert!(lines.iter().any(|l| l == "sni_matches: true"), "{lines:?}");
    assert!(lines.iter().any(|l| l == "signatures: valid"), "{lines:?}");
    // Fold the certificates list: its entries go.
    let opened = app.opened.as_ref().unwrap();
    let at = opened
        .detail_lines()
        .iter()
        .position(|l| matches!(l, tlstrace::tui::app::DetailLine::Tree(t) if t.text.starts_with("certificates")))
        .unwrap();
    app.opened.as_mut().unwrap().detail_cursor = at;
    key(&mut app, KeyCode::Enter);
    let (screen, _) = draw(&mut app, 160, 48);
    assert!(!screen.contains("expired_at_capture"), "{screen}");
    assert!(screen.contains("▸ certificates (2 items)"), "{screen}");

    // The ClientHello's suites carry their names and numbers.
    let (mut app, origin, keys) = load("tls12-ecdhe-rsa-chain.pcap", None, false);
    open(&mut app, &origin, &keys);
    key(&mut app, KeyCode::Enter);
    let text: Vec<String> = app
        .opened
        .as_ref()
        .unwrap()
        .detail_lines()
        .into_iter()
        .filter_map(|l| match l {
            tlstrace::tui::app::DetailLine::Tree(t) => Some(t.text),
            _ => None,
        })
        .collect();
    assert!(text.iter().any(|t| t == "version: TLS 1.2 (0x0303)"), "{text:?}");
    assert!(text.iter().any(|t| t.ends_with("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (0xc02f)")), "{text:?}");
}

#[test]
fn header_line_opens_the_story_with_the_key_derivation() {
    let (mut app, origin, mut keys) = load("tls12-rsa-kx.pcap", None, false);
    let pem = std::fs::read(common::repo().join("fixtures/certs/server-rsa.key")).unwrap();
    keys.rsa = vec![tlstrace::crypto::rsa_kx::ServerKey::load("server-rsa.key", &pem, None).unwrap()];
    open(&mut app, &origin, &keys);
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Enter);
    let (screen, _) = draw(&mut app, 80, 24);
    assert!(screen.contains("the handshake's story"), "{screen}");
    let lines = detail_texts(&app);
    assert!(lines.iter().any(|l| l == "secret_from: rsa_key"), "{lines:?}");
    assert!(lines.iter().any(|l| l == "label: extended master secret"), "{lines:?}");
    assert!(lines.iter().any(|l| l == "proved_by_finished: true"), "{lines:?}");
    assert!(lines.iter().any(|l| l == "finished_verified: true"), "{lines:?}");
    // The ladder itself says the Finished verified with the key.
    let opened = app.opened.as_ref().unwrap();
    assert!(opened.lines.iter().any(|l| l.text.contains("Finished verified")));
}

#[test]
fn summary_charts_filter_the_table() {
    let (mut app, ..) = load("tls-two-linktypes.pcapng", None, false);
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.screen, Screen::Summary);
    for (w, h) in SIZES {
        let (screen, _) = draw(&mut app, w, h);
        snapshot(&format!("summary-{w}x{h}.txt"), &screen);
        assert!(line_with(&screen, "TLS 1.3").contains(" 1"), "{screen}");
        assert!(line_with(&screen, "TLS 1.2").contains(" 1"), "{screen}");
    }
    // The second bar (TLS 1.3, after TLS 1.2 in name order at equal counts): the table shows it.
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Table);
    assert_eq!(app.query_text, "version:\"TLS 1.3\"");
    let (screen, _) = draw(&mut app, 160, 48);
    assert!(screen.contains("1 / 2 shown"), "{screen}");
    assert!(screen.contains("TLS1.3") && !screen.contains("TLS1.2 "), "{screen}");
}

#[test]
fn help_lists_every_key() {
    for (w, h) in SIZES {
        let (mut app, ..) = load("tls13-hrr.pcap", None, false);
        key(&mut app, KeyCode::Char('?'));
        let (screen, _) = draw(&mut app, w, h);
        snapshot(&format!("help-{w}x{h}.txt"), &screen);
        for (k, _) in tlstrace::tui::view::KEYS {
            assert!(screen.contains(k), "{k} missing:\n{screen}");
        }
        key(&mut app, KeyCode::Esc);
        assert_eq!(app.screen, Screen::Table);
    }
}

#[test]
fn ascii_fallback_draws_no_box_lines_or_arrows() {
    let (mut app, origin, keys) = load("tls13-hrr.pcap", None, false);
    app.ascii = true;
    open(&mut app, &origin, &keys);
    let (screen, _) = draw(&mut app, 160, 48);
    assert!(screen.is_ascii(), "{screen}");
    assert!(screen.contains("C --> S"), "{screen}");
    assert!(screen.contains("+-"), "{screen}");
}

/// Every connection of `capture` traced again gives the lines `read` prints for it; returns
/// how many connections were checked. `read` prints a connection's block (its header and
/// messages) when the handshake ends and its closing lines when the connection does, other
/// connections' blocks possibly between: each of those parts must be found whole.
fn ladder_equals_text(capture: &std::path::Path, keylog: Option<std::path::PathBuf>) -> usize {
    let mut args = vec!["read".to_string(), "--color".into(), "never".into(), capture.display().to_string()];
    if let Some(k) = &keylog {
        args.extend(["--keylog".to_string(), k.display().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let text = String::from_utf8(common::run(&args).stdout).unwrap();
    let (app, origin, keys) = load_path(capture, keylog, false);
    for row in &app.rows {
        let detail = trace_connection(row, &origin, &keys, Extent::Events);
        let lines = tlstrace::output::text::ladder_lines(&detail.events, false, false);
        let mut parts: Vec<Vec<&str>> = Vec::new();
        let mut closing = false;
        for l in &lines {
            let starts_closing = !closing
                && (l.text.starts_with("        after the handshake:") || l.text.starts_with("  connection closed"));
            if l.text.starts_with("conn ") || starts_closing || parts.is_empty() {
                parts.push(Vec::new());
            }
            closing |= starts_closing;
            if let Some(p) = parts.last_mut() {
                p.push(&l.text);
            }
        }
        for part in parts {
            let part = format!("{}\n", part.join("\n"));
            assert!(text.contains(&part), "{} conn {}:\n{part}\n--- not in ---\n{text}", capture.display(), row.conn);
        }
    }
    app.rows.len()
}

#[test]
fn ladder_lines_equal_the_text_view_on_every_fixture() {
    let dir = common::repo().join("fixtures/captures");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if !(name.ends_with(".pcap") || name.ends_with(".pcapng") || name.ends_with(".gz")) {
            continue;
        }
        let stem = name.split('.').next().unwrap();
        let keylog = dir.join(format!("{stem}.keylog"));
        checked += ladder_equals_text(&path, keylog.exists().then_some(keylog));
    }
    assert!(checked >= 40, "only {checked} connections checked");
}

#[test]
fn ladder_lines_equal_the_text_view_on_the_shared_corpus() {
    let Some(corpus) = common::corpus() else {
        common::skip("ladder_lines_equal_the_text_view_on_the_shared_corpus", "no ../shared/corpus");
        return;
    };
    let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).unwrap();
    let mut header = None;
    let mut checked = 0;
    for line in manifest.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let Some(h) = &header else {
            header = Some(cols.iter().map(|c| c.to_string()).collect::<Vec<_>>());
            continue;
        };
        let col = |name: &str| h.iter().position(|c| c == name).and_then(|i| cols.get(i)).copied().unwrap_or("");
        // "path (how it was made)", or "(embedded ...)" for pcapng Decryption Secrets Blocks.
        let keylog = col("key_log").split_whitespace().next().filter(|k| !k.starts_with('(')).map(|k| corpus.join(k));
        checked += ladder_equals_text(&corpus.join(col("path")), keylog);
    }
    assert!(checked >= 20, "only {checked} connections checked");
}

#[test]
fn quic_and_dtls_connections_in_the_explorer() {
    for (capture, transport, version, ladder_mark, retransmissions) in [
        ("quic-v1", "quic", "TLS1.3", "QUIC v1", None),
        ("dtls12-loss", "dtls", "DTLS1.2", "DTLS 1.2", Some("retransmitted")),
    ] {
        let (mut app, origin, keys) = load(&format!("{capture}.pcap"), Some(&format!("{capture}.keylog")), false);
        let (screen, _) = draw(&mut app, 160, 48);
        let row = line_with(&screen, "server.tlstrace.test");
        assert!(row.contains(version) && row.contains("dec Fin✓"), "{capture}: {row}");
        assert_eq!(row.contains("QUIC"), transport == "quic", "{capture}: {row}");
        // The transport filter keeps it; the other transports' filters hide it.
        for t in ["tcp", "quic", "dtls"] {
            app.query = tlstrace::tui::query::Query::parse(&format!("transport:{t}")).unwrap();
            app.refilter();
            let (screen, _) = draw(&mut app, 160, 48);
            assert_eq!(screen.contains("server.tlstrace.test"), t == transport, "{capture} transport:{t}");
        }
        app.query = tlstrace::tui::query::Query::default();
        app.refilter();
        // The ladder, traced again from the capture's UDP datagrams, is what `read` prints.
        open(&mut app, &origin, &keys);
        let opened = app.opened.as_ref().unwrap();
        let lines: Vec<&str> = opened.lines.iter().map(|l| l.text.as_str()).collect();
        assert!(lines[0].contains(ladder_mark), "{capture}: {}", lines[0]);
        assert_eq!(lines.iter().filter(|l| l.contains("Finished") && l.contains("verified ✓")).count(), 2, "{lines:?}");
        if let Some(word) = retransmissions {
            assert!(lines.iter().any(|l| l.contains(word)), "{capture}: the retransmissions are said: {lines:?}");
        }
        // The detail shows the transport: the QUIC ClientHello's JA4 (prefix `q`), the DTLS
        // ServerHello's version.
        let (message, want) = if transport == "quic" {
            ("ClientHello", "ja4: q13d0307te_")
        } else {
            ("ServerHello", "version: DTLS 1.2 (0xfefd)")
        };
        while app.opened.as_ref().unwrap().message().is_none_or(|m| m.name != message) {
            key(&mut app, KeyCode::Char('j'));
        }
        key(&mut app, KeyCode::Enter);
        let texts = detail_texts(&app);
        assert!(texts.iter().any(|l| l.contains(want)), "{capture}: no {want:?} in {texts:?}");
    }
}

/// A capture begun mid-connection (no SYN, no hello): the row says so.
#[test]
fn a_connection_caught_midway_is_flagged() {
    let (mut app, _, _) = load("dtls12-midway.pcap", None, false);
    let (screen, _) = draw(&mut app, 160, 48);
    let row = line_with(&screen, "127.0.0.1");
    assert!(row.contains("midway"), "{screen}");
    let (mut app, _, _) = load("dtls12-ecdhe-rsa.pcap", None, false);
    let (screen, _) = draw(&mut app, 160, 48);
    assert!(!line_with(&screen, "127.0.0.1").contains("midway"), "{screen}");
}
