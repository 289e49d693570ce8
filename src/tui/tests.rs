use super::app::{App, Column};
use super::frames::FrameRing;
use super::model::{Flags, Outcome, Row};
use super::query::Query;
use crate::source::Packet;
use crate::time::Timestamp;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn row(conn: u64, sni: &str, version: &'static str, outcome: Outcome) -> Row {
    Row {
        conn,
        start: Timestamp::new(1_700_000_000 + conn as i64, 0, 6),
        first_frame: conn * 10,
        last_frame: conn * 10 + 5,
        client: format!("10.0.0.{conn}:5000{conn}").parse().unwrap(),
        server: "192.0.2.1:443".parse().unwrap(),
        tls_seen: true,
        sni: Some(sni.to_string()),
        version: Some(version.into()),
        suite: Some("TLS_AES_128_GCM_SHA256".into()),
        group: Some("x25519".into()),
        kind: "full",
        flags: Flags::default(),
        duration: Some(conn as f64 / 1000.0),
        outcome,
        warnings: Vec::new(),
        fingerprints: None,
        messages: 10,
        end: Some("fin"),
        handshakes: 1,
        transport: "tcp",
    }
}

fn key(app: &mut App, c: KeyCode) {
    app.key(KeyEvent::new(c, KeyModifiers::NONE));
}

#[test]
fn query_words() {
    let ok = row(1, "www.example.com", "TLS 1.3", Outcome::Complete);
    let bad = row(2, "api.example.org", "TLS 1.2", Outcome::Failed("alert: unknown_ca from client".into()));
    let m = |q: &str, r: &Row| Query::parse(q).unwrap().matches(r);
    assert!(m("", &ok) && m("", &bad));
    assert!(m("sni:*.example.com", &ok) && !m("sni:*.example.com", &bad));
    assert!(m("sni:API", &bad), "substring, case-insensitive");
    assert!(m("failed", &bad) && !m("failed", &ok));
    assert!(m("version:1.3", &ok) && !m("version:1.3", &bad));
    assert!(m("version:\"TLS 1.2\"", &bad));
    assert!(m("host:10.0.0.2", &bad) && !m("host:10.0.0.2", &ok));
    assert!(m("host:192.0.2.1 port:443", &ok));
    assert!(m("port:50001", &ok) && !m("port:50001", &bad));
    assert!(m("suite:*AES_128*", &ok));
    assert!(m("group:x25519", &ok));
    assert!(m("kind:full", &ok));
    assert!(m("failure:alert", &bad) && !m("failure:alert", &ok));
    assert!(m("conn:2", &bad) && !m("conn:2", &ok));
    let quic = Row { transport: "quic", ..row(3, "h3.example.net", "TLS 1.3", Outcome::Complete) };
    assert!(m("transport:QUIC", &quic) && !m("transport:quic", &ok) && m("transport:tcp", &ok));
    assert!(m("example.org", &bad) && !m("example.org", &ok), "free text on the SNI");
    assert!(m("10.0.0.1", &ok), "free text on the addresses");
    assert!(!m("www failed", &bad) && m("api failed", &bad), "every word must match");
    for (q, why) in [
        ("host:abc", "not an IP address"),
        ("port:99999", "not a port number"),
        ("sni:", "needs a value"),
        ("colour:red", "unknown filter"),
        ("sni:\"abc", "quote is not closed"),
        ("conn:x", "not a connection number"),
        ("transport:sctp", "tcp, quic or dtls"),
    ] {
        let e = Query::parse(q).unwrap_err();
        assert!(e.contains(why), "{q}: {e}");
    }
}

#[test]
fn selection_stays_on_its_connection_as_rows_arrive_and_change() {
    let mut app = App::new(true, false, false);
    app.add_rows(vec![
        row(1, "a.test", "TLS 1.3", Outcome::InProgress),
        row(2, "b.test", "TLS 1.3", Outcome::Complete),
    ]);
    app.refresh();
    key(&mut app, KeyCode::Down);
    assert_eq!(app.selected_row().unwrap().conn, 2);
    // Sorted by outcome descending, then new rows and a change arrive.
    while app.sort != Column::Outcome {
        key(&mut app, KeyCode::Char('o'));
    }
    key(&mut app, KeyCode::Char('r'));
    app.add_rows(vec![
        row(3, "c.test", "TLS 1.2", Outcome::Failed("reset".into())),
        row(1, "a.test", "TLS 1.3", Outcome::Complete),
    ]);
    app.refresh();
    assert_eq!(app.rows.len(), 3);
    assert_eq!(app.selected_row().unwrap().conn, 2, "the selection follows its connection");
    let order: Vec<u64> = app.shown.iter().map(|&i| app.rows[i].conn).collect();
    assert_eq!(order, vec![3, 2, 1], "reset > complete (2) > complete (1), descending");
    // Every column sorts.
    for _ in 0..Column::ALL.len() {
        key(&mut app, KeyCode::Char('o'));
        assert_eq!(app.shown.len(), 3);
    }
}

#[test]
fn pause_holds_updates_until_resumed() {
    let mut app = App::new(true, false, false);
    app.add_rows(vec![row(1, "a.test", "TLS 1.3", Outcome::InProgress)]);
    key(&mut app, KeyCode::Char('p'));
    assert!(app.paused);
    app.add_rows(vec![row(2, "b.test", "TLS 1.3", Outcome::Complete), row(1, "a.test", "TLS 1.3", Outcome::Complete)]);
    assert_eq!(app.rows.len(), 1);
    assert_eq!(app.held_count(), 2);
    assert_eq!(app.rows[0].outcome, Outcome::InProgress);
    key(&mut app, KeyCode::Char('p'));
    assert_eq!(app.rows.len(), 2);
    assert_eq!(app.rows[0].outcome, Outcome::Complete);
}

#[test]
fn failed_only_and_ctrl_c() {
    let mut app = App::new(false, false, false);
    app.add_rows(vec![
        row(1, "a.test", "TLS 1.3", Outcome::Complete),
        row(2, "b.test", "TLS 1.3", Outcome::Failed("gap: ClientHello not captured".into())),
    ]);
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(app.shown.len(), 1);
    assert_eq!(app.selected_row().unwrap().conn, 2);
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(app.shown.len(), 2);
    let quit = app.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(quit, super::app::Action::Quit);
    // Ctrl-C quits from the filter line too.
    key(&mut app, KeyCode::Char('/'));
    let quit = app.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(quit, super::app::Action::Quit);
}

fn packet(frame: u64, len: usize) -> Vec<u8> {
    vec![(frame % 251) as u8; len]
}

#[test]
fn frame_ring_keeps_the_newest_frames_within_its_limit() {
    let mut ring = FrameRing::new(10_000);
    for frame in 1..=100u64 {
        let data = packet(frame, 500);
        ring.push(&Packet { frame, ts: Timestamp::new(frame as i64, 0, 6), linktype: 1, data: &data, orig_len: 500 });
        assert!(ring.bytes() <= 10_000);
    }
    let first = ring.first_kept().unwrap();
    assert_eq!(ring.dropped, first - 1);
    assert!(first > 80 && first < 100, "{first}");
    let mut seen = Vec::new();
    ring.each_from(95, &mut |p| {
        seen.push(p.frame);
        assert_eq!(p.data, &packet(p.frame, 500)[..]);
        if p.frame == 98 { std::ops::ControlFlow::Break(()) } else { std::ops::ControlFlow::Continue(()) }
    });
    assert_eq!(seen, vec![95, 96, 97, 98]);
}

#[test]
fn esc_on_the_filter_line_goes_back_to_the_filter_before_it() {
    let mut app = App::new(false, false, false);
    app.add_rows(vec![row(1, "a.test", "TLS 1.3", Outcome::Complete), row(2, "b.test", "TLS 1.2", Outcome::Complete)]);
    app.apply_filter("version:1.2").unwrap();
    assert_eq!(app.shown.len(), 1);
    key(&mut app, KeyCode::Char('/'));
    for _ in 0.."version:1.2".len() {
        key(&mut app, KeyCode::Backspace);
    }
    assert_eq!(app.shown.len(), 2, "applied as typed");
    key(&mut app, KeyCode::Esc);
    assert!(app.editing.is_none());
    assert_eq!(app.query_text, "version:1.2");
    assert_eq!(app.shown.len(), 1);
}

#[test]
fn export_from_every_screen_of_a_connection() {
    use super::app::{Action, Pane, Screen};
    let mut app = App::new(false, false, false);
    app.add_rows(vec![row(7, "a.test", "TLS 1.3", Outcome::Complete)]);
    assert_eq!(app.key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE)), Action::Export(7));
    assert_eq!(app.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)), Action::Open(7));
    assert_eq!(app.key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE)), Action::Export(7));
    // The detail pane of a wide terminal has the keys.
    app.wide = true;
    app.pane = Pane::Detail;
    assert_eq!(app.key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE)), Action::Export(7));
    app.wide = false;
    app.screen = Screen::Detail;
    assert_eq!(app.key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE)), Action::Export(7));
}
