//! Drawing the explorer's state: the connections table, the ladder, a message's detail, the
//! summary charts, the help, and the status and filter lines. Failures and warnings are marked
//! by symbols as well as colors, so the monochrome interface (`NO_COLOR`, `--color never`)
//! says the same.

use super::app::{App, Column, DetailLine, Pane, Screen, flags_text, outcome_text};
use super::model::Row;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

/// Terminals at least this wide show the ladder and the detail side by side.
pub const WIDE: u16 = 140;

/// Colors when they are on, nothing otherwise.
#[derive(Clone, Copy)]
struct Palette {
    on: bool,
}

impl Palette {
    fn fg(self, c: Color) -> Style {
        if self.on { Style::default().fg(c) } else { Style::default() }
    }
    fn failed(self) -> Style {
        self.fg(Color::Red)
    }
    fn warning(self) -> Style {
        self.fg(Color::Yellow)
    }
    fn selected(self) -> Style {
        if self.on {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }
}

/// Box lines, arrows and marks in ASCII when the terminal's locale is not UTF-8.
pub fn ascii_fold(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '─' | '━' => '-',
            '▶' | '→' => '>',
            '◀' | '←' => '<',
            '✓' => 'v',
            '✗' | '×' => 'x',
            '…' => '~',
            'µ' => 'u',
            '█' => '#',
            '▸' => '+',
            '▾' => 'v',
            '▴' => '^',
            c if c.is_ascii() => c,
            _ => '?',
        })
        .collect()
}

fn text(app: &App, s: &str) -> String {
    if app.ascii { ascii_fold(s) } else { s.to_string() }
}

fn block<'a>(app: &App, title: String) -> Block<'a> {
    let set = if app.ascii {
        border::Set {
            top_left: "+",
            top_right: "+",
            bottom_left: "+",
            bottom_right: "+",
            vertical_left: "|",
            vertical_right: "|",
            horizontal_top: "-",
            horizontal_bottom: "-",
        }
    } else {
        border::PLAIN
    };
    Block::default().borders(Borders::ALL).border_set(set).title(title)
}

/// Draws the whole screen.
pub fn draw(f: &mut Frame<'_>, app: &mut App) {
    let area = f.area();
    app.wide = area.width >= WIDE;
    let bottom = if app.editing.is_some() { 2 } else { 1 };
    let [main, status] = Layout::vertical([Constraint::Min(3), Constraint::Length(bottom)]).areas(area);
    match app.screen {
        Screen::Table => draw_table(f, app, main),
        Screen::Ladder => draw_ladder_screen(f, app, main),
        Screen::Detail => draw_detail(f, app, main, true),
        Screen::Summary => draw_summary(f, app, main),
        Screen::Help => draw_help(f, app, main),
    }
    draw_status(f, app, status);
}

/// The columns that fit in `width`, most useful first, in table order; the outcome takes
/// what is left.
fn columns_for(width: u16) -> Vec<(Column, u16)> {
    // (column, width, priority: lower shows first)
    let all: [(Column, u16, u8); 12] = [
        (Column::Number, 5, 0),
        (Column::Start, 15, 11),
        (Column::Client, 21, 7),
        (Column::Server, 21, 4),
        (Column::Sni, 22, 2),
        (Column::Version, 7, 3),
        (Column::Suite, 24, 5),
        (Column::Group, 9, 10),
        (Column::Kind, 11, 9),
        (Column::Flags, 14, 6),
        (Column::Duration, 10, 8),
        (Column::Outcome, 30, 1),
    ];
    let mut by_priority: Vec<_> = all.iter().collect();
    by_priority.sort_by_key(|c| c.2);
    let room = width.saturating_sub(2);
    let mut used = 0u16;
    let mut chosen = Vec::new();
    // In order of priority, until one does not fit (a narrow column of low priority does not
    // take the room the outcome would get).
    for (c, w, _) in by_priority {
        if used + w >= room {
            break;
        }
        used += w + 1;
        chosen.push(*c);
    }
    let spare = room.saturating_sub(used);
    all.iter()
        .filter(|(c, ..)| chosen.contains(c))
        .map(|(c, w, _)| (*c, if *c == Column::Outcome { w + spare } else { *w }))
        .collect()
}

fn cell(app: &App, row: &Row, c: Column) -> String {
    let name = |n: &Option<crate::msgs::names::Name>| n.as_deref().unwrap_or("-").to_string();
    match c {
        Column::Number => row.conn.to_string(),
        Column::Start => format_time(row.start),
        Column::Client => row.client.to_string(),
        Column::Server => row.server.to_string(),
        Column::Sni => row.sni.clone().unwrap_or_else(|| "-".into()),
        Column::Version => name(&row.version).replace("TLS ", "TLS").replace("SSL ", "SSL"),
        Column::Suite => name(&row.suite),
        Column::Group => name(&row.group),
        Column::Kind => row.kind_text().replace("resumed (", "res. ").replace(')', ""),
        Column::Flags => flags_text(row, app.ascii),
        Column::Duration => row.duration.map(|d| format!("{:.1} ms", d * 1000.0)).unwrap_or_else(|| "-".into()),
        Column::Outcome => {
            let mark = if row.failed() {
                "✗ "
            } else if !row.warnings.is_empty() {
                "! "
            } else {
                ""
            };
            let warn =
                if row.warnings.is_empty() { String::new() } else { format!(" [{} warning(s)]", row.warnings.len()) };
            format!("{mark}{}{warn}", outcome_text(row))
        }
    }
}

fn format_time(t: crate::time::Timestamp) -> String {
    let nanos = t.as_nanos();
    let secs = nanos.div_euclid(1_000_000_000);
    let day = secs.rem_euclid(86_400);
    let micros = nanos.rem_euclid(1_000_000_000) / 1000;
    format!("{:02}:{:02}:{:02}.{:06}", day / 3600, day / 60 % 60, day % 60, micros)
}

fn fit(s: &str, w: usize) -> String {
    let n = s.chars().count();
    if n <= w {
        format!("{s:<w$}")
    } else {
        let mut out: String = s.chars().take(w.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn draw_table(f: &mut Frame<'_>, app: &mut App, area: Rect) {
    let pal = Palette { on: app.color };
    let cols = columns_for(area.width);
    let body_height = area.height.saturating_sub(3) as usize;
    app.page = body_height.max(1);
    // Keep the selection on screen.
    if app.selected < app.offset {
        app.offset = app.selected;
    } else if app.selected >= app.offset + body_height {
        app.offset = app.selected + 1 - body_height.max(1);
    }
    app.offset = app.offset.min(app.shown.len().saturating_sub(1));
    let mut lines = Vec::with_capacity(body_height + 1);
    let header: String = cols
        .iter()
        .map(|(c, w)| {
            let mark = if *c == app.sort { if app.descending { "▾" } else { "▴" } } else { "" };
            fit(&format!("{}{mark}", c.title()), *w as usize)
        })
        .collect::<Vec<_>>()
        .join(" ");
    lines.push(Line::from(Span::styled(text(app, &header), Style::default().add_modifier(Modifier::BOLD))));
    for (i, &at) in app.shown.iter().enumerate().skip(app.offset).take(body_height) {
        let Some(row) = app.rows.get(at) else { continue };
        let style = if row.failed() {
            pal.failed()
        } else if !row.warnings.is_empty() {
            pal.warning()
        } else {
            Style::default()
        };
        let style = if i == app.selected { style.patch(pal.selected()) } else { style };
        let line: String =
            cols.iter().map(|(c, w)| fit(&cell(app, row, *c), *w as usize)).collect::<Vec<_>>().join(" ");
        lines.push(Line::from(Span::styled(text(app, &line), style)));
    }
    if app.shown.is_empty() {
        let why = if app.rows.is_empty() {
            if app.loading() { "waiting for TLS connections..." } else { "no TLS connection in this capture" }
        } else {
            "no connection matches the filter (Esc clears it)"
        };
        lines.push(Line::from(why));
    }
    let title = format!(
        " tlstrace: connections{} ",
        if app.query_text.is_empty() { String::new() } else { format!(" matching {}", app.query_text) }
    );
    f.render_widget(Paragraph::new(lines).block(block(app, title)), area);
}

/// The style of a ladder line: the ANSI styles the text view would print, as ratatui spans.
fn ansi_line(app: &App, s: &str, base: Style) -> Line<'static> {
    let mut spans = Vec::new();
    let mut style = base;
    let mut rest = s;
    while let Some(at) = rest.find("\x1b[") {
        let (before, after) = rest.split_at(at);
        if !before.is_empty() {
            spans.push(Span::styled(text(app, before), style));
        }
        let Some(end) = after.find('m') else { break };
        let code = after.get(2..end).unwrap_or_default();
        style = match code {
            "0" => base,
            "1" => style.add_modifier(Modifier::BOLD),
            "2" => style.add_modifier(Modifier::DIM),
            "31" => style.fg(Color::Red),
            "1;31" => style.fg(Color::Red).add_modifier(Modifier::BOLD),
            "32" => style.fg(Color::Green),
            "33" => style.fg(Color::Yellow),
            "34" => style.fg(Color::Blue),
            "35" => style.fg(Color::Magenta),
            "36" => style.fg(Color::Cyan),
            _ => style,
        };
        rest = after.get(end + 1..).unwrap_or_default();
    }
    if !rest.is_empty() {
        spans.push(Span::styled(text(app, rest), style));
    }
    Line::from(spans)
}

fn draw_ladder_screen(f: &mut Frame<'_>, app: &mut App, area: Rect) {
    if app.wide {
        let [left, right] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area);
        draw_ladder(f, app, left);
        draw_detail(f, app, right, app.pane == Pane::Detail);
    } else {
        draw_ladder(f, app, area);
    }
}

/// Cuts a styled line into pieces of `width` characters, the pieces after the first indented.
fn wrap_line(line: Line<'static>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(indent + 8);
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0usize;
    for span in line.spans {
        let mut rest: Vec<char> = span.content.chars().collect();
        while !rest.is_empty() {
            let room = width - used;
            if room == 0 {
                out.push(Line::from(std::mem::take(&mut current)));
                current.push(Span::raw(" ".repeat(indent)));
                used = indent;
                continue;
            }
            let take = room.min(rest.len());
            let piece: String = rest.drain(..take).collect();
            used += take;
            current.push(Span::styled(piece, span.style));
        }
    }
    out.push(Line::from(current));
    out
}

fn scroll_to(cursor: usize, height: usize) -> usize {
    cursor.saturating_sub(height.saturating_sub(1) / 2)
}

fn draw_ladder(f: &mut Frame<'_>, app: &mut App, area: Rect) {
    let pal = Palette { on: app.color };
    let height = area.height.saturating_sub(2) as usize;
    app.page = height.max(1);
    let focused = app.pane == Pane::Ladder || !app.wide;
    let Some(opened) = app.opened.as_ref() else { return };
    let title = format!(" conn {}: ladder{} ", opened.conn, if opened.every_message { " (every message)" } else { "" });
    let lines: Vec<Line<'static>> = match &opened.detail {
        None => vec![Line::from("tracing this connection again...")],
        Some(detail) => {
            let mut out = Vec::new();
            if let Some(note) = &detail.note {
                out.push(Line::from(Span::styled(text(app, &format!("! {note}")), pal.warning())));
            }
            // Lines wider than the pane are wrapped, their continuation indented.
            let width = area.width.saturating_sub(2) as usize;
            let mut visual: Vec<(usize, Line<'static>)> = Vec::new();
            for (i, l) in opened.lines.iter().enumerate() {
                let base = if i == opened.cursor && focused {
                    pal.selected()
                } else if i == opened.cursor {
                    Style::default().add_modifier(Modifier::UNDERLINED)
                } else {
                    Style::default()
                };
                for piece in wrap_line(ansi_line(app, &l.text, base), width, 8) {
                    visual.push((i, piece));
                }
            }
            let first = visual.iter().position(|(i, _)| *i == opened.cursor).unwrap_or(0);
            let room = height.saturating_sub(out.len());
            let start = first.saturating_sub(room / 3).min(visual.len().saturating_sub(room));
            out.extend(visual.into_iter().skip(start).take(room).map(|(_, l)| l));
            out
        }
    };
    f.render_widget(Paragraph::new(lines).block(block(app, title)), area);
}

/// Cuts `text` into pieces of at most `width` characters, the pieces after the first
/// indented by `indent` spaces.
fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let width = width.max(indent + 8);
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut at = 0;
    while at < chars.len() || out.is_empty() {
        let room = if out.is_empty() { width } else { width - indent };
        let mut end = (at + room).min(chars.len());
        // Break after a space when one is near the end of the piece.
        if end < chars.len()
            && let Some(space) =
                chars.get(at..end).and_then(|p| p.iter().rposition(|c| *c == ' ')).filter(|p| *p > room / 2)
        {
            end = at + space + 1;
        }
        let piece: String = chars.get(at..end).unwrap_or_default().iter().collect();
        out.push(if out.is_empty() { piece } else { format!("{}{piece}", " ".repeat(indent)) });
        at = end;
    }
    out
}

fn draw_detail(f: &mut Frame<'_>, app: &mut App, area: Rect, focused: bool) {
    let pal = Palette { on: app.color };
    let height = area.height.saturating_sub(2) as usize;
    let width = area.width.saturating_sub(2) as usize;
    if app.screen == Screen::Detail {
        app.page = height.max(1);
    }
    let Some(opened) = app.opened.as_ref() else { return };
    let name = match opened.event() {
        Some(crate::conn::events::Event::Message(m)) => format!(" message {}: {} ", m.index, m.name),
        Some(crate::conn::events::Event::Handshake(h)) => format!(" conn {}: the handshake's story ", h.conn),
        Some(crate::conn::events::Event::Gap(_)) => " gap ".to_string(),
        Some(crate::conn::events::Event::End(_)) => " end ".to_string(),
        _ => " detail ".to_string(),
    };
    let lines = opened.detail_lines();
    // Each line, wrapped to the pane: (index of the line, piece, style).
    let mut visual: Vec<(usize, String, Style)> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let (s, style, indent) = match l {
            DetailLine::Role(r) => (r.clone(), Style::default().add_modifier(Modifier::ITALIC), 0),
            DetailLine::Heading(h) => (h.clone(), Style::default().add_modifier(Modifier::BOLD), 0),
            DetailLine::Hex(h) => (h.clone(), Style::default(), 6),
            DetailLine::Tree(t) => {
                let marker = if t.branch { if t.open { "▾ " } else { "▸ " } } else { "  " };
                let bad = ["NOT", "expired_at_capture: true", "verified: false", "valid_at_capture: false"];
                let style = if bad.iter().any(|b| t.text.contains(b)) { pal.failed() } else { Style::default() };
                (format!("{}{marker}{}", "  ".repeat(t.depth), t.text), style, 2 * t.depth + 4)
            }
        };
        let style = if i == opened.detail_cursor && focused { style.patch(pal.selected()) } else { style };
        for piece in wrap(&s, width, indent) {
            visual.push((i, piece, style));
        }
    }
    // Scroll so that the cursor's line is on screen, a third from the top when it can be.
    let first = visual.iter().position(|(i, ..)| *i == opened.detail_cursor).unwrap_or(0);
    let start = first.saturating_sub(height / 3).min(visual.len().saturating_sub(height));
    let mut out: Vec<Line<'static>> = Vec::new();
    if lines.is_empty() {
        out.push(Line::from(if opened.detail.is_some() { "no message under the cursor" } else { "" }));
    }
    for (_, piece, style) in visual.into_iter().skip(start).take(height) {
        out.push(Line::from(Span::styled(text(app, &piece), style)));
    }
    f.render_widget(Paragraph::new(out).block(block(app, name)), area);
}

fn draw_summary(f: &mut Frame<'_>, app: &mut App, area: Rect) {
    let pal = Palette { on: app.color };
    let height = area.height.saturating_sub(2) as usize;
    app.page = height.max(1);
    let mut out: Vec<Line<'static>> = Vec::new();
    let tabs: Vec<Span<'static>> = app
        .charts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let s = format!(" {} ", c.title);
            if i == app.chart { Span::styled(text(app, &s), pal.selected()) } else { Span::raw(text(app, &s)) }
        })
        .collect();
    out.push(Line::from(tabs));
    out.push(Line::from(""));
    if let Some(chart) = app.charts.get(app.chart) {
        let max = chart.bars.iter().map(|b| b.1).max().unwrap_or(1).max(1);
        let label_w = chart.bars.iter().map(|b| b.0.chars().count()).max().unwrap_or(0).min(48);
        let bar_w = (area.width as usize).saturating_sub(label_w + 16).clamp(4, 60);
        let start = scroll_to(app.bar, height.saturating_sub(2));
        for (i, (label, n, _)) in chart.bars.iter().enumerate().skip(start).take(height.saturating_sub(2)) {
            let len = ((*n as f64 / max as f64) * bar_w as f64).ceil() as usize;
            let s = format!("{} {} {n}", fit(label, label_w), "█".repeat(len.max(1)));
            let style = if chart.title == "failures" { pal.failed() } else { Style::default() };
            let style = if i == app.bar { style.patch(pal.selected()) } else { style };
            out.push(Line::from(Span::styled(text(app, &s), style)));
        }
        if chart.bars.is_empty() {
            out.push(Line::from("nothing to show"));
        }
    }
    let title = " summary: Tab/arrows change chart, Enter filters the table to a bar ".to_string();
    f.render_widget(Paragraph::new(out).block(block(app, title)), area);
}

/// Every key, as the help screen lists them.
pub const KEYS: &[(&str, &str)] = &[
    ("↑ ↓  j k", "move"),
    ("PgUp PgDn", "move a page"),
    ("g G", "first, last"),
    ("Enter", "open: connection → ladder → message detail; in the detail, fold or unfold"),
    ("Esc", "back (on the table: clear the filter)"),
    ("Tab", "ladder ↔ detail pane (wide terminals); summary: next chart"),
    (
        "/",
        "filter: host: port: sni: ja3: ja4: version: suite: group: kind: failure: conn: transport: failed, free text",
    ),
    ("f", "failed handshakes only (toggle)"),
    ("o ← →", "sort by the next / previous column"),
    ("r O", "reverse the order"),
    ("a", "ladder: every message after the handshake on its own line (toggle)"),
    ("s", "summary: handshakes by version, suite, group, kind, failure; slowest"),
    ("e", "export the connection: packets (pcapng, with its secrets) and events (NDJSON)"),
    ("p", "pause the display (capture goes on)"),
    ("?", "this help"),
    ("q  Ctrl-C", "quit"),
];

fn draw_help(f: &mut Frame<'_>, app: &mut App, area: Rect) {
    let mut out: Vec<Line<'static>> = Vec::new();
    for (k, what) in KEYS {
        out.push(Line::from(vec![
            Span::styled(text(app, &format!("{k:<12}")), Style::default().add_modifier(Modifier::BOLD)),
            Span::raw(text(app, what)),
        ]));
    }
    out.push(Line::from(""));
    out.push(Line::from(text(app, "Failed rows are red and marked ✗; rows with warnings yellow and marked !.")));
    f.render_widget(Paragraph::new(out).wrap(Wrap { trim: false }).block(block(app, " help: every key ".into())), area);
}

fn draw_status(f: &mut Frame<'_>, app: &mut App, area: Rect) {
    let pal = Palette { on: app.color };
    let (shown, total, failed, decrypted) = app.counts();
    let mut parts =
        vec![format!("{shown} / {total} shown"), format!("{failed} failed"), format!("{decrypted} decrypted")];
    if app.failed_only {
        parts.push("failed only".into());
    }
    if app.loading() {
        let p = &app.progress;
        if app.live {
            parts.push(format!("capturing: {} packets", p.packets));
            if let Some(d) = p.dropped {
                parts.push(format!("{d} dropped by the kernel"));
            }
        } else {
            match p.total {
                Some(t) if t > 0 => parts.push(format!("loading {:.0}%", p.bytes as f64 / t as f64 * 100.0)),
                _ => parts.push(format!("loading: {} MB", p.bytes >> 20)),
            }
        }
    } else if let Some(s) = &app.summary {
        parts.push(format!("{} packets", s.packets));
        if let Some(k) = s.kernel {
            parts.push(format!("{} dropped by the kernel", k.packets_dropped));
        }
    }
    if app.progress.frames_dropped > 0 {
        parts.push(format!("detail of older connections dropped ({} frames)", app.progress.frames_dropped));
    }
    if app.paused {
        parts.push(format!("PAUSED ({} updates held)", app.held_count()));
    }
    let mut spans = vec![Span::raw(text(app, &parts.join(" · ")))];
    if let Some(e) = &app.input_error {
        spans.push(Span::styled(text(app, &format!("  ✗ {e}")), pal.failed()));
    }
    if let Some(m) = &app.message {
        spans.push(Span::styled(text(app, &format!("  {m}")), Style::default().add_modifier(Modifier::BOLD)));
    } else if let Some(w) = app.warnings.last() {
        spans.push(Span::styled(text(app, &format!("  ! {w}")), pal.warning()));
    }
    spans.push(Span::raw("  ? help"));
    let mut lines = Vec::new();
    if let Some(line) = &app.editing {
        let mut l = vec![Span::raw("/")];
        match &app.edit_error {
            Some(e) => {
                l.push(Span::styled(line.clone(), pal.failed().add_modifier(Modifier::UNDERLINED)));
                l.push(Span::styled(text(app, &format!("   ✗ {e}")), pal.failed()));
            }
            None => l.push(Span::raw(line.clone())),
        }
        lines.push(Line::from(l));
    }
    lines.push(Line::from(spans));
    f.render_widget(Paragraph::new(lines), area);
}
