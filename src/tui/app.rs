//! The state of the explorer and what each key does to it. No terminal here: the views draw
//! this state (`view`), the loop (`run`) feeds it keys, rows and connection details.

use super::detail::{ConnDetail, TreeLine, hex_dump, tree};
use super::model::{Outcome, Row, Tally};
use super::query::Query;
use crate::conn::events::{Event, SummaryEvent};
use crate::output::text::{LadderLine, ladder_lines};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::{HashMap, HashSet};

/// The table's columns, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Number,
    Start,
    Client,
    Server,
    Sni,
    Version,
    Suite,
    Group,
    Kind,
    Flags,
    Duration,
    Outcome,
}

impl Column {
    pub const ALL: [Column; 12] = [
        Column::Number,
        Column::Start,
        Column::Client,
        Column::Server,
        Column::Sni,
        Column::Version,
        Column::Suite,
        Column::Group,
        Column::Kind,
        Column::Flags,
        Column::Duration,
        Column::Outcome,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Column::Number => "#",
            Column::Start => "start",
            Column::Client => "client",
            Column::Server => "server",
            Column::Sni => "SNI",
            Column::Version => "version",
            Column::Suite => "cipher suite",
            Column::Group => "group",
            Column::Kind => "kind",
            Column::Flags => "flags",
            Column::Duration => "duration",
            Column::Outcome => "outcome",
        }
    }

    /// Orders rows by this column (ties by connection number); the text columns are compared
    /// by a key made once per row.
    fn sort(self, shown: &mut [usize], rows: &[Row]) {
        let name = |n: &Option<crate::msgs::names::Name>| n.as_deref().unwrap_or("").to_string();
        let by = |i: &usize, key: &dyn Fn(&Row) -> String| rows.get(*i).map(|r| (key(r), r.conn));
        match self {
            Column::Number => shown.sort_by_key(|i| rows.get(*i).map(|r| r.conn)),
            Column::Start => shown.sort_by_key(|i| rows.get(*i).map(|r| (r.start, r.conn))),
            Column::Client => shown.sort_by_key(|i| rows.get(*i).map(|r| (r.client, r.conn))),
            Column::Server => shown.sort_by_key(|i| rows.get(*i).map(|r| (r.server, r.conn))),
            Column::Duration => shown.sort_by(|a, b| {
                let d = |i: &usize| rows.get(*i).map_or((-1.0, 0), |r| (r.duration.unwrap_or(-1.0), r.conn));
                let (da, ca) = d(a);
                let (db, cb) = d(b);
                da.total_cmp(&db).then(ca.cmp(&cb))
            }),
            Column::Kind => shown.sort_by_key(|i| rows.get(*i).map(|r| (r.kind, r.conn))),
            Column::Sni => shown.sort_by_cached_key(|i| by(i, &|r| r.sni.clone().unwrap_or_default())),
            Column::Version => shown.sort_by_cached_key(|i| by(i, &|r| name(&r.version))),
            Column::Suite => shown.sort_by_cached_key(|i| by(i, &|r| name(&r.suite))),
            Column::Group => shown.sort_by_cached_key(|i| by(i, &|r| name(&r.group))),
            Column::Flags => shown.sort_by_cached_key(|i| by(i, &|r| flags_text(r, true))),
            Column::Outcome => shown.sort_by_cached_key(|i| by(i, &outcome_text)),
        }
    }
}

/// The flags column: QUIC (DTLS shows in the version), caught midway, HRR, 0-RTT, client
/// certificate, renegotiation, decrypted, Finished.
pub fn flags_text(r: &Row, ascii: bool) -> String {
    let mut out = Vec::new();
    if r.transport == "quic" {
        out.push("QUIC");
    }
    if r.flags.midway {
        out.push("midway");
    }
    if r.flags.hrr {
        out.push("HRR");
    }
    if r.flags.early_data {
        out.push("0-RTT");
    }
    if r.flags.client_cert {
        out.push("ccert");
    }
    if r.flags.renegotiation {
        out.push("reneg");
    }
    if r.flags.decrypted {
        out.push("dec");
    }
    match (r.flags.finished, ascii) {
        (Some(true), false) => out.push("Fin✓"),
        (Some(true), true) => out.push("Fin:ok"),
        (Some(false), false) => out.push("Fin✗"),
        (Some(false), true) => out.push("Fin:BAD"),
        (None, _) => {}
    }
    out.join(" ")
}

/// The outcome column.
pub fn outcome_text(r: &Row) -> String {
    match &r.outcome {
        Outcome::InProgress if r.end.is_none() => "in progress".to_string(),
        Outcome::InProgress => "handshake not seen".to_string(),
        Outcome::Complete => "complete".to_string(),
        Outcome::Failed(f) => f.clone(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Table,
    Ladder,
    /// The detail of a message on its own (narrow terminals).
    Detail,
    Summary,
    Help,
}

/// Which pane of the ladder screen has the keys when both are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Ladder,
    Detail,
}

/// The connection opened in the ladder.
#[derive(Debug)]
pub struct Opened {
    pub conn: u64,
    /// None while it is traced again.
    pub detail: Option<ConnDetail>,
    pub lines: Vec<LadderLine>,
    pub cursor: usize,
    /// Every message after the handshake on its own line (`a`).
    pub every_message: bool,
    /// Detail pane: folded or unfolded nodes (against their default) and the cursor.
    pub toggled: HashSet<String>,
    pub detail_cursor: usize,
}

impl Opened {
    /// The message event under the ladder's cursor.
    pub fn message(&self) -> Option<&crate::conn::events::MessageEvent> {
        let i = self.lines.get(self.cursor)?.event?;
        match self.detail.as_ref()?.events.get(i)? {
            Event::Message(m) => Some(m),
            _ => None,
        }
    }

    /// The event under the ladder's cursor (a message, a gap, the handshake's story, the end).
    pub fn event(&self) -> Option<&Event> {
        let i = self.lines.get(self.cursor)?.event?;
        self.detail.as_ref()?.events.get(i)
    }

    /// The selected message's detail: role, tree lines, hex dump; for the header line, the
    /// handshake's story (with how its keys were made); for a gap or the end, their fields.
    pub fn detail_lines(&self) -> Vec<DetailLine> {
        let Some(m) = self.message() else {
            return match self.event() {
                Some(Event::Handshake(h)) => {
                    let mut out = vec![DetailLine::Heading(format!("handshake {} of the connection", h.handshake))];
                    out.extend(super::detail::event_tree(h, &self.toggled).into_iter().map(DetailLine::Tree));
                    out
                }
                Some(Event::Gap(g)) => {
                    super::detail::event_tree(g, &self.toggled).into_iter().map(DetailLine::Tree).collect()
                }
                Some(Event::End(e)) => {
                    super::detail::event_tree(e, &self.toggled).into_iter().map(DetailLine::Tree).collect()
                }
                _ => Vec::new(),
            };
        };
        let mut out = Vec::new();
        if !m.role.is_empty() {
            out.push(DetailLine::Role(m.role.clone()));
        }
        out.extend(tree(m, &self.toggled).into_iter().map(DetailLine::Tree));
        if let Some(raw) = &m.raw {
            out.push(DetailLine::Heading(format!("bytes ({})", raw.len())));
            out.extend(hex_dump(raw).into_iter().map(DetailLine::Hex));
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DetailLine {
    Role(String),
    Tree(TreeLine),
    Heading(String),
    Hex(String),
}

/// One chart of the summary view.
#[derive(Clone, Debug)]
pub struct Chart {
    pub title: &'static str,
    /// Label, count and the filter that selecting the bar applies.
    pub bars: Vec<(String, u64, String)>,
}

/// What the loop must do after a key.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    None,
    Quit,
    /// Trace this connection again (for the ladder).
    Open(u64),
    /// Export this connection.
    Export(u64),
}

/// Progress of the run, for the status line.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub bytes: u64,
    pub total: Option<u64>,
    pub packets: u64,
    pub dropped: Option<u64>,
    /// Frames kept in memory for the detail were dropped (the oldest): how many.
    pub frames_dropped: u64,
}

pub struct App {
    pub rows: Vec<Row>,
    index: HashMap<u64, usize>,
    /// Positions in `rows` of the rows shown, in display order.
    pub shown: Vec<usize>,
    pub sort: Column,
    pub descending: bool,
    pub query: Query,
    pub query_text: String,
    /// The filter line while it is edited, and why it does not parse.
    pub editing: Option<String>,
    pub edit_error: Option<String>,
    /// The filter in force when the line was opened: `Esc` goes back to it.
    filter_before_edit: String,
    pub failed_only: bool,
    /// Selected row (index into `shown`) and first row on screen.
    pub selected: usize,
    pub offset: usize,
    pub screen: Screen,
    back: Vec<Screen>,
    pub pane: Pane,
    pub opened: Option<Opened>,
    pub charts: Vec<Chart>,
    /// Selected chart and bar of the summary view.
    pub chart: usize,
    pub bar: usize,
    pub summary: Option<Box<SummaryEvent>>,
    /// The capture ended with this error (truncated, corrupt, socket failure).
    pub input_error: Option<String>,
    pub progress: Progress,
    pub live: bool,
    pub paused: bool,
    held: Vec<Row>,
    /// Rows failed and decrypted, kept as rows arrive (the status line shows them each draw).
    failed_rows: usize,
    decrypted_rows: usize,
    /// A message for the status line (export done, ...).
    pub message: Option<String>,
    pub warnings: Vec<String>,
    pub ascii: bool,
    pub color: bool,
    /// Rows on screen in the table (set by the view).
    pub page: usize,
    /// Wide enough for the ladder and the detail side by side (set by the view).
    pub wide: bool,
    dirty_filter: bool,
}

impl App {
    pub fn new(live: bool, color: bool, ascii: bool) -> Self {
        App {
            rows: Vec::new(),
            index: HashMap::new(),
            shown: Vec::new(),
            sort: Column::Number,
            descending: false,
            query: Query::default(),
            query_text: String::new(),
            editing: None,
            edit_error: None,
            filter_before_edit: String::new(),
            failed_only: false,
            selected: 0,
            offset: 0,
            screen: Screen::Table,
            back: Vec::new(),
            pane: Pane::Ladder,
            opened: None,
            charts: Vec::new(),
            chart: 0,
            bar: 0,
            summary: None,
            input_error: None,
            progress: Progress::default(),
            live,
            paused: false,
            held: Vec::new(),
            failed_rows: 0,
            decrypted_rows: 0,
            message: None,
            warnings: Vec::new(),
            ascii,
            color,
            page: 20,
            wide: false,
            dirty_filter: false,
        }
    }

    pub fn loading(&self) -> bool {
        self.summary.is_none()
    }

    /// The connection under the table's cursor.
    pub fn selected_row(&self) -> Option<&Row> {
        self.rows.get(*self.shown.get(self.selected)?)
    }

    /// The row of connection `conn`.
    pub fn row_of(&self, conn: u64) -> Option<&Row> {
        self.rows.get(*self.index.get(&conn)?)
    }

    fn selected_conn(&self) -> Option<u64> {
        self.selected_row().map(|r| r.conn)
    }

    /// New and changed rows from the run (held while the display is paused).
    pub fn add_rows(&mut self, rows: Vec<Row>) {
        if self.paused {
            // A later update of a connection replaces the one held.
            for row in rows {
                match self.held.iter_mut().find(|h| h.conn == row.conn) {
                    Some(h) => *h = row,
                    None => self.held.push(row),
                }
            }
            return;
        }
        // Rows arrive in connection number order (not always in start order: a flow is
        // numbered when TLS is seen in it).
        let appending_in_order = self.sort == Column::Number && !self.descending;
        let filtering = !self.query.is_empty() || self.failed_only;
        for row in rows {
            self.failed_rows += usize::from(row.failed());
            self.decrypted_rows += usize::from(row.flags.decrypted);
            match self.index.get(&row.conn) {
                Some(&at) => {
                    if let Some(slot) = self.rows.get_mut(at) {
                        self.failed_rows -= usize::from(slot.failed());
                        self.decrypted_rows -= usize::from(slot.flags.decrypted);
                        *slot = row;
                    }
                    // A changed row may now pass or fail the filter, or move in the order.
                    if filtering || !appending_in_order {
                        self.dirty_filter = true;
                    }
                }
                None => {
                    let at = self.rows.len();
                    self.index.insert(row.conn, at);
                    let show = self.passes(&row);
                    self.rows.push(row);
                    if show && appending_in_order {
                        self.shown.push(at);
                    } else if show {
                        self.dirty_filter = true;
                    }
                }
            }
        }
    }

    /// Applies the filter and the order again if rows changed since (at most as often as the
    /// loop asks).
    pub fn refresh(&mut self) {
        if self.dirty_filter {
            self.refilter();
        }
    }

    fn passes(&self, row: &Row) -> bool {
        (!self.failed_only || row.failed()) && self.query.matches(row)
    }

    /// Filter and sort again, keeping the selected connection selected.
    pub fn refilter(&mut self) {
        let keep = self.selected_conn();
        let mut shown: Vec<usize> =
            self.rows.iter().enumerate().filter(|(_, r)| self.passes(r)).map(|(i, _)| i).collect();
        if self.sort != Column::Number {
            self.sort.sort(&mut shown, &self.rows);
        }
        if self.descending {
            shown.reverse();
        }
        self.shown = shown;
        self.dirty_filter = false;
        self.select_conn(keep);
    }

    fn select_conn(&mut self, conn: Option<u64>) {
        let pos = conn.and_then(|c| self.shown.iter().position(|&i| self.rows.get(i).is_some_and(|r| r.conn == c)));
        self.selected = pos.unwrap_or(self.selected.min(self.shown.len().saturating_sub(1)));
    }

    pub fn set_summary(&mut self, summary: Box<SummaryEvent>) {
        self.input_error.clone_from(&summary.input_error);
        self.summary = Some(summary);
        if let Some(k) = self.summary.as_ref().and_then(|s| s.kernel) {
            self.progress.dropped = Some(k.packets_dropped);
        }
    }

    /// The detail of the opened connection arrived.
    pub fn set_detail(&mut self, conn: u64, detail: ConnDetail) {
        let Some(opened) = self.opened.as_mut().filter(|o| o.conn == conn) else { return };
        opened.lines = ladder_lines(&detail.events, self.color, opened.every_message);
        // Start on the first message line (the header line shows the handshake's story).
        let is_message = |i: usize| matches!(detail.events.get(i), Some(Event::Message(_)));
        opened.cursor = opened.lines.iter().position(|l| l.event.is_some_and(is_message)).unwrap_or(0);
        opened.detail = Some(detail);
    }

    fn open_selected(&mut self) -> Action {
        let Some(conn) = self.selected_conn() else { return Action::None };
        self.opened = Some(Opened {
            conn,
            detail: None,
            lines: Vec::new(),
            cursor: 0,
            every_message: false,
            toggled: HashSet::new(),
            detail_cursor: 0,
        });
        self.go(Screen::Ladder);
        self.pane = Pane::Ladder;
        Action::Open(conn)
    }

    fn go(&mut self, screen: Screen) {
        if self.screen != screen {
            self.back.push(self.screen);
            self.screen = screen;
        }
    }

    fn go_back(&mut self) {
        self.screen = self.back.pop().unwrap_or(Screen::Table);
    }

    /// Builds the summary charts from the rows.
    fn build_charts(&mut self) {
        let mut tally = Tally::default();
        for r in &self.rows {
            tally.add(r);
        }
        let bars = |m: &std::collections::BTreeMap<String, u64>, key: &str, quote: bool| {
            let mut v: Vec<(String, u64, String)> = m
                .iter()
                .map(|(k, n)| {
                    let value = if quote || k.contains(' ') { format!("\"{k}\"") } else { k.clone() };
                    (k.clone(), *n, format!("{key}:{value}"))
                })
                .collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v
        };
        // The ten slowest, without sorting every row.
        let mut slowest: Vec<&Row> = Vec::with_capacity(11);
        for r in self.rows.iter().filter(|r| r.duration.is_some()) {
            let d = r.duration.unwrap_or(0.0);
            let at = slowest.partition_point(|s| s.duration.unwrap_or(0.0) >= d);
            if at < 10 {
                slowest.insert(at, r);
                slowest.truncate(10);
            }
        }
        let slowest_bars = slowest
            .iter()
            .map(|r| {
                let label = format!("conn {} {} {}", r.conn, r.sni.as_deref().unwrap_or("-"), r.server);
                let micros = (r.duration.unwrap_or(0.0) * 1e6).round() as u64;
                (label, micros, format!("conn:{}", r.conn))
            })
            .collect();
        self.charts = vec![
            Chart { title: "versions", bars: bars(&tally.by_version, "version", false) },
            Chart { title: "cipher suites", bars: bars(&tally.by_suite, "suite", false) },
            Chart { title: "groups", bars: bars(&tally.by_group, "group", false) },
            Chart { title: "kinds", bars: bars(&tally.by_kind, "kind", false) },
            Chart { title: "failures", bars: bars(&tally.by_failure, "failure", true) },
            Chart { title: "slowest handshakes (µs)", bars: slowest_bars },
        ];
        self.chart = self.chart.min(self.charts.len().saturating_sub(1));
        self.bar = 0;
    }

    /// Sets the filter line (as if typed and applied).
    pub fn apply_filter(&mut self, text: &str) -> Result<(), String> {
        let q = Query::parse(text)?;
        self.query = q;
        self.query_text = text.to_string();
        self.refilter();
        Ok(())
    }

    /// One key press.
    pub fn key(&mut self, k: KeyEvent) -> Action {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        if self.editing.is_some() {
            self.edit_key(k);
            return Action::None;
        }
        self.message = None;
        match k.code {
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Char('?') => {
                if self.screen == Screen::Help {
                    self.go_back();
                } else {
                    self.go(Screen::Help);
                }
                return Action::None;
            }
            KeyCode::Char('/') => {
                self.editing = Some(self.query_text.clone());
                self.filter_before_edit = self.query_text.clone();
                self.edit_error = None;
                return Action::None;
            }
            KeyCode::Char('f') => {
                self.failed_only = !self.failed_only;
                self.refilter();
                return Action::None;
            }
            KeyCode::Char('s') if self.screen != Screen::Summary => {
                self.build_charts();
                self.go(Screen::Summary);
                return Action::None;
            }
            KeyCode::Char('p') => {
                self.paused = !self.paused;
                if !self.paused {
                    let held = std::mem::take(&mut self.held);
                    self.add_rows(held);
                    self.refresh();
                }
                return Action::None;
            }
            KeyCode::Esc => {
                if self.screen == Screen::Table {
                    if !self.query_text.is_empty() || self.failed_only {
                        // Esc on the table clears the filter.
                        self.query = Query::default();
                        self.query_text.clear();
                        self.failed_only = false;
                        self.refilter();
                    }
                } else {
                    self.go_back();
                }
                return Action::None;
            }
            _ => {}
        }
        match self.screen {
            Screen::Table => self.table_key(k),
            Screen::Ladder => self.ladder_key(k),
            Screen::Detail if k.code == KeyCode::Char('e') => {
                self.opened.as_ref().map_or(Action::None, |o| Action::Export(o.conn))
            }
            Screen::Detail => {
                self.detail_key(k);
                Action::None
            }
            Screen::Summary => {
                self.summary_key(k);
                Action::None
            }
            Screen::Help => Action::None,
        }
    }

    fn edit_key(&mut self, k: KeyEvent) {
        let Some(line) = self.editing.as_mut() else { return };
        match k.code {
            KeyCode::Esc => {
                // Back to the filter in force before the line was opened.
                self.editing = None;
                self.edit_error = None;
                let before = std::mem::take(&mut self.filter_before_edit);
                if before != self.query_text {
                    let _ = self.apply_filter(&before);
                }
                return;
            }
            KeyCode::Enter => {
                if self.edit_error.is_none() {
                    self.editing = None;
                }
                return;
            }
            KeyCode::Backspace => {
                line.pop();
            }
            KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => line.clear(),
            KeyCode::Char(c) => line.push(c),
            _ => return,
        }
        // Applied as typed; a line that does not parse keeps the filter in force.
        let text = line.clone();
        match Query::parse(&text) {
            Ok(q) => {
                self.edit_error = None;
                self.query = q;
                self.query_text = text;
                self.refilter();
            }
            Err(e) => self.edit_error = Some(e),
        }
    }

    fn move_in(cursor: &mut usize, len: usize, k: &KeyEvent, page: usize) -> bool {
        let last = len.saturating_sub(1);
        match k.code {
            KeyCode::Down | KeyCode::Char('j') => *cursor = (*cursor + 1).min(last),
            KeyCode::Up | KeyCode::Char('k') => *cursor = cursor.saturating_sub(1),
            KeyCode::PageDown => *cursor = (*cursor + page.max(1)).min(last),
            KeyCode::PageUp => *cursor = cursor.saturating_sub(page.max(1)),
            KeyCode::Char('g') | KeyCode::Home => *cursor = 0,
            KeyCode::Char('G') | KeyCode::End => *cursor = last,
            _ => return false,
        }
        true
    }

    fn table_key(&mut self, k: KeyEvent) -> Action {
        if Self::move_in(&mut self.selected, self.shown.len(), &k, self.page) {
            return Action::None;
        }
        match k.code {
            KeyCode::Enter => self.open_selected(),
            KeyCode::Char('e') => self.selected_conn().map_or(Action::None, Action::Export),
            KeyCode::Char('o') | KeyCode::Right | KeyCode::Left => {
                let at = Column::ALL.iter().position(|c| *c == self.sort).unwrap_or(0);
                let n = Column::ALL.len();
                let next = if k.code == KeyCode::Left { (at + n - 1) % n } else { (at + 1) % n };
                self.sort = Column::ALL.get(next).copied().unwrap_or(Column::Number);
                self.refilter();
                Action::None
            }
            KeyCode::Char('O') | KeyCode::Char('r') => {
                self.descending = !self.descending;
                self.refilter();
                Action::None
            }
            _ => Action::None,
        }
    }

    fn ladder_key(&mut self, k: KeyEvent) -> Action {
        if k.code == KeyCode::Tab {
            self.pane = if self.pane == Pane::Ladder { Pane::Detail } else { Pane::Ladder };
            return Action::None;
        }
        if k.code == KeyCode::Char('e') {
            return self.opened.as_ref().map_or(Action::None, |o| Action::Export(o.conn));
        }
        if self.wide && self.pane == Pane::Detail {
            self.detail_key(k);
            return Action::None;
        }
        let page = self.page;
        let wide = self.wide;
        let color = self.color;
        let Some(opened) = self.opened.as_mut() else { return Action::None };
        let before = opened.cursor;
        if Self::move_in(&mut opened.cursor, opened.lines.len(), &k, page) {
            if opened.cursor != before {
                opened.detail_cursor = 0;
                opened.toggled.clear();
            }
            return Action::None;
        }
        match k.code {
            KeyCode::Enter if opened.event().is_some() => {
                if wide {
                    self.pane = Pane::Detail;
                } else {
                    self.go(Screen::Detail);
                }
                Action::None
            }
            KeyCode::Char('a') => {
                opened.every_message = !opened.every_message;
                if let Some(detail) = &opened.detail {
                    let at = opened.lines.get(opened.cursor).and_then(|l| l.event);
                    opened.lines = ladder_lines(&detail.events, color, opened.every_message);
                    opened.cursor = at
                        .and_then(|e| opened.lines.iter().position(|l| l.event == Some(e)))
                        .unwrap_or(0)
                        .min(opened.lines.len().saturating_sub(1));
                }
                Action::None
            }
            _ => Action::None,
        }
    }

    fn detail_key(&mut self, k: KeyEvent) {
        let page = self.page;
        let Some(opened) = self.opened.as_mut() else { return };
        let lines = opened.detail_lines();
        if Self::move_in(&mut opened.detail_cursor, lines.len(), &k, page) {
            return;
        }
        if let (KeyCode::Enter | KeyCode::Char(' '), Some(DetailLine::Tree(t))) =
            (k.code, lines.get(opened.detail_cursor))
            && t.branch
            && !opened.toggled.remove(&t.path)
        {
            opened.toggled.insert(t.path.clone());
        }
    }

    fn summary_key(&mut self, k: KeyEvent) {
        let bars = self.charts.get(self.chart).map_or(0, |c| c.bars.len());
        match k.code {
            KeyCode::Tab | KeyCode::Right | KeyCode::Char('l') => {
                self.chart = (self.chart + 1) % self.charts.len().max(1);
                self.bar = 0;
            }
            KeyCode::BackTab | KeyCode::Left | KeyCode::Char('h') => {
                self.chart = (self.chart + self.charts.len().max(1) - 1) % self.charts.len().max(1);
                self.bar = 0;
            }
            KeyCode::Char('s') => self.go_back(),
            KeyCode::Enter => {
                let Some((_, _, filter)) = self.charts.get(self.chart).and_then(|c| c.bars.get(self.bar)) else {
                    return;
                };
                let filter = filter.clone();
                if self.apply_filter(&filter).is_ok() {
                    self.back.clear();
                    self.screen = Screen::Table;
                    self.selected = 0;
                }
            }
            _ => {
                Self::move_in(&mut self.bar, bars, &k, self.page);
            }
        }
    }

    /// Row updates held while the display is paused.
    pub fn held_count(&self) -> usize {
        self.held.len()
    }

    /// The status line's counts: shown / total, failed, decrypted.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        (self.shown.len(), self.rows.len(), self.failed_rows, self.decrypted_rows)
    }
}
