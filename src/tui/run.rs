//! The terminal and the loop: keys, rows from the tracing thread, connections traced again on
//! a helper thread, a redraw when something changed. The terminal is restored however the loop
//! ends: `q`, `Ctrl-C`, SIGTERM, an error, or a panic.

use super::app::{Action, App};
use super::detail::{ConnDetail, Extent, Keys, trace_connection_until};
use super::frames::PacketOrigin;
use super::model::Row;
use super::sink::Update;
use crossterm::event::{self, Event as TermEvent, KeyEventKind};
use crossterm::{cursor, execute, terminal};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

/// Counters the tracing thread updates for the status line.
#[derive(Debug, Default)]
pub struct SharedProgress {
    pub bytes: AtomicU64,
    /// 0: unknown.
    pub total: AtomicU64,
    pub packets: AtomicU64,
    /// Kernel drops (live capture); u64::MAX: not known.
    pub dropped: AtomicU64,
    pub frames_dropped: AtomicU64,
}

/// Everything the explorer needs from the command line.
pub struct Session {
    pub updates: Receiver<Update>,
    pub origin: PacketOrigin,
    pub keys: Keys,
    pub live: bool,
    pub color: bool,
    pub ascii: bool,
    pub progress: Arc<SharedProgress>,
    /// Set when the explorer ends, for the tracing thread to stop; also set by SIGTERM (and
    /// SIGINT in a live capture) to end the explorer.
    pub quit: Arc<AtomicBool>,
    /// Where `e` writes its files.
    pub export_dir: PathBuf,
    /// The first filter line (the command line's filters).
    pub filter: String,
}

/// Whether the locale says the terminal takes UTF-8 (else box lines and arrows are ASCII).
pub fn locale_is_utf8() -> bool {
    let var = ["LC_ALL", "LC_CTYPE", "LANG"].iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    var.is_some_and(|v| {
        let v = v.to_ascii_lowercase();
        v.contains("utf-8") || v.contains("utf8")
    })
}

/// Leaves the alternate screen and raw mode. Safe to call more than once.
fn restore() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(io::stdout(), terminal::LeaveAlternateScreen, cursor::Show);
}

/// Restores the terminal when dropped (the loop returning, an error, unwinding).
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        restore();
    }
}

/// What the helper thread is asked to do with a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    Open,
    Export,
}

/// Runs the explorer until the user quits (or `quit` is set by a signal).
pub fn run(session: Session) -> io::Result<()> {
    // A panic restores the terminal before its message is printed, and ends the explorer (a
    // panic on another thread too: the loop sees `quit`).
    let previous = std::panic::take_hook();
    let quit_on_panic = Arc::clone(&session.quit);
    std::panic::set_hook(Box::new(move |info| {
        quit_on_panic.store(true, Ordering::SeqCst);
        restore();
        previous(info);
    }));
    terminal::enable_raw_mode()?;
    let _restore = Restore;
    // Cleared here rather than by ratatui, which would ask the terminal where its cursor is (a
    // terminal that does not answer would end the explorer).
    execute!(io::stdout(), terminal::EnterAlternateScreen, cursor::Hide, terminal::Clear(terminal::ClearType::All))?;
    let mut term = Terminal::new(CrosstermBackend::new(io::stdout()))?;

    let (req_tx, req_rx) = std::sync::mpsc::channel::<(Row, Purpose)>();
    let (res_tx, res_rx) = std::sync::mpsc::channel::<(Row, Purpose, ConnDetail)>();
    let origin = session.origin.clone();
    let keys = session.keys.clone();
    let quit = Arc::clone(&session.quit);
    let helper = std::thread::Builder::new()
        .name("tlstrace-detail".into())
        .spawn(move || detail_helper(req_rx, res_tx, origin, keys, quit))?;

    let mut app = App::new(session.live, session.color, session.ascii);
    if let Err(e) = app.apply_filter(&session.filter) {
        app.warnings.push(e);
    }
    let result = event_loop(&mut term, &mut app, &session, &req_tx, &res_rx);
    session.quit.store(true, Ordering::SeqCst);
    drop(req_tx);
    let _ = helper.join();
    result
}

fn detail_helper(
    requests: Receiver<(Row, Purpose)>,
    results: Sender<(Row, Purpose, ConnDetail)>,
    origin: PacketOrigin,
    keys: Keys,
    quit: Arc<AtomicBool>,
) {
    while let Ok(first) = requests.recv() {
        // Connections opened and left while one was traced are not traced at all: only the
        // last one opened (and every export) is.
        let mut queue = vec![first];
        queue.extend(requests.try_iter());
        let last_open = queue.iter().rposition(|(_, p)| *p == Purpose::Open);
        for (i, (row, purpose)) in queue.into_iter().enumerate() {
            if purpose == Purpose::Open && Some(i) != last_open {
                continue;
            }
            if !trace_one(&results, row, purpose, &origin, &keys, &quit) {
                return;
            }
        }
    }
}

/// Traces one connection for `purpose` and sends the result; false when nobody listens.
fn trace_one(
    results: &Sender<(Row, Purpose, ConnDetail)>,
    row: Row,
    purpose: Purpose,
    origin: &PacketOrigin,
    keys: &Keys,
    quit: &AtomicBool,
) -> bool {
    let extent = if purpose == Purpose::Export { Extent::AllPackets } else { Extent::Events };
    let detail = trace_connection_until(&row, origin, keys, extent, quit);
    results.send((row, purpose, detail)).is_ok()
}

/// Longest the loop spends taking rows before it looks at the keys again.
const TAKE_ROWS_FOR: Duration = Duration::from_millis(15);
/// While loading, the filter and the order are applied again at most this often.
const REFILTER_EVERY: Duration = Duration::from_millis(200);

fn event_loop(
    term: &mut Terminal<CrosstermBackend<io::Stdout>>,
    app: &mut App,
    session: &Session,
    requests: &Sender<(Row, Purpose)>,
    results: &Receiver<(Row, Purpose, ConnDetail)>,
) -> io::Result<()> {
    let mut last_refilter = Instant::now();
    let mut dirty = true;
    let mut last_draw = Instant::now();
    loop {
        if session.quit.load(Ordering::SeqCst) {
            return Ok(());
        }
        let started = Instant::now();
        let mut disconnected = false;
        while started.elapsed() < TAKE_ROWS_FOR {
            match session.updates.try_recv() {
                Ok(Update::Rows(rows)) => {
                    app.add_rows(rows);
                    dirty = true;
                }
                Ok(Update::Summary(s)) => {
                    app.set_summary(s);
                    app.refilter();
                    dirty = true;
                }
                Ok(Update::Warning(w)) => {
                    app.warnings.push(w);
                    dirty = true;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    disconnected = true;
                    break;
                }
            }
        }
        if disconnected && app.summary.is_none() {
            // The tracing thread ended without a summary (it failed): stop showing progress.
            app.set_summary(Box::default());
        }
        if !app.loading() || last_refilter.elapsed() >= REFILTER_EVERY {
            app.refresh();
            last_refilter = Instant::now();
        }
        read_progress(app, &session.progress);
        while let Ok((row, purpose, detail)) = results.try_recv() {
            dirty = true;
            match purpose {
                Purpose::Open => app.set_detail(row.conn, detail),
                Purpose::Export => {
                    let done = super::export::export(
                        &session.export_dir,
                        row.conn,
                        row.client,
                        row.server,
                        &detail,
                        &session.keys,
                    );
                    app.message = Some(match done {
                        Ok(e) => format!(
                            "exported conn {} to {} and {}{}",
                            row.conn,
                            e.pcapng.display(),
                            e.ndjson.display(),
                            if e.secrets > 0 { format!(" ({} key log lines)", e.secrets) } else { String::new() }
                        ),
                        Err(e) => format!("export of conn {} failed: {e}", row.conn),
                    });
                }
            }
        }
        // While loading, the progress moves even when no row changed.
        if dirty || (app.loading() && last_draw.elapsed() >= Duration::from_millis(250)) {
            term.draw(|f| super::view::draw(f, app))?;
            last_draw = Instant::now();
            dirty = false;
        }
        if !event::poll(Duration::from_millis(30))? {
            continue;
        }
        match event::read()? {
            TermEvent::Key(k) if k.kind != KeyEventKind::Release => {
                dirty = true;
                match app.key(k) {
                    Action::None => {}
                    Action::Quit => return Ok(()),
                    Action::Open(conn) => ask(app, requests, conn, Purpose::Open),
                    Action::Export(conn) => {
                        app.message = Some(format!("exporting conn {conn}..."));
                        ask(app, requests, conn, Purpose::Export);
                    }
                }
            }
            TermEvent::Resize(..) => dirty = true,
            _ => {}
        }
    }
}

fn ask(app: &App, requests: &Sender<(Row, Purpose)>, conn: u64, purpose: Purpose) {
    if let Some(row) = app.row_of(conn) {
        let _ = requests.send((row.clone(), purpose));
    }
}

fn read_progress(app: &mut App, p: &SharedProgress) {
    app.progress.bytes = p.bytes.load(Ordering::Relaxed);
    app.progress.total = Some(p.total.load(Ordering::Relaxed)).filter(|t| *t > 0);
    app.progress.packets = p.packets.load(Ordering::Relaxed);
    let dropped = p.dropped.load(Ordering::Relaxed);
    if dropped != u64::MAX && app.live {
        app.progress.dropped = Some(dropped);
    }
    app.progress.frames_dropped = p.frames_dropped.load(Ordering::Relaxed);
}
