//! One connection's ladder as lines, each with the event it shows: what an interactive view
//! needs to put a cursor on a message. The lines are those [`super::TextSink`] prints for the
//! connection (a test holds the two equal on every fixture).

use super::ladder::{closing_lines, gap_line, header, message_line};
use super::style::Paint;
use super::{MAX_HELD_LINES, Verbosity};
use crate::conn::events::{ConnectionEvent, Direction, Event, HandshakeEvent};
use crate::msgs::names::Name;
use crate::time::Timestamp;
use std::collections::BTreeMap;

/// A line of the ladder (without its newline) and the index of the event it shows, if one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LadderLine {
    pub text: String,
    pub event: Option<usize>,
}

/// The ladder of one connection's events (in order), line by line as `tlstrace read` prints it
/// at normal verbosity; with `color`, the lines carry the same ANSI styles. A connection whose
/// events stop without an `end` event is closed as the text view closes it at the end of a
/// capture. With `every_message`, the messages after the handshake get a line each, like those
/// of the handshake, instead of being condensed into counts.
pub fn ladder_lines(events: &[Event], color: bool, every_message: bool) -> Vec<LadderLine> {
    let mut ladder = Ladder { paint: Paint { on: color }, every_message, ..Ladder::default() };
    for (i, ev) in events.iter().enumerate() {
        ladder.event(i, ev);
    }
    if !ladder.closed {
        ladder.close(None, "capture ended", &[]);
    }
    ladder.out
}

#[derive(Default)]
struct Ladder {
    paint: Paint,
    every_message: bool,
    out: Vec<LadderLine>,
    conn: Option<ConnectionEvent>,
    conn_id: u64,
    held: Vec<LadderLine>,
    dropped: u64,
    printed: bool,
    closed: bool,
    last_time: Option<Timestamp>,
    after: BTreeMap<(u8, Name), (u64, u64)>,
}

impl Ladder {
    fn event(&mut self, i: usize, ev: &Event) {
        match ev {
            Event::Connection(c) => {
                self.conn_id = c.conn;
                self.conn = Some(c.clone());
            }
            Event::Message(m) => {
                self.conn_id = m.conn;
                if self.printed && m.phase != 0 {
                    self.printed = false;
                }
                let start = self.conn.as_ref().map(|c| c.time);
                if self.printed && self.every_message {
                    let mut text = String::new();
                    message_line(&mut text, self.paint, m, start, self.last_time, Verbosity::Normal);
                    self.out.push(LadderLine { text: text.trim_end_matches('\n').to_string(), event: Some(i) });
                } else if self.printed {
                    let dir = if m.direction == Direction::ClientToServer { 0 } else { 1 };
                    let e = self.after.entry((dir, m.name.clone())).or_insert((0, 0));
                    e.0 += 1;
                    e.1 += m.length as u64;
                } else if self.held.len() < MAX_HELD_LINES || self.every_message {
                    let mut text = String::new();
                    message_line(&mut text, self.paint, m, start, self.last_time, Verbosity::Normal);
                    self.held.push(LadderLine { text: text.trim_end_matches('\n').to_string(), event: Some(i) });
                } else {
                    self.dropped += 1;
                }
                self.last_time = Some(m.time);
            }
            Event::Gap(g) => {
                if self.printed && self.every_message {
                    let mut text = String::new();
                    gap_line(&mut text, self.paint, g);
                    self.out.push(LadderLine { text: text.trim_end_matches('\n').to_string(), event: Some(i) });
                } else if self.printed {
                    let dir = if g.direction == Direction::ClientToServer { 0 } else { 1 };
                    let e = self.after.entry((dir, "GAP (bytes missing)".into())).or_insert((0, 0));
                    e.0 += 1;
                    e.1 += g.bytes;
                } else if self.held.len() < MAX_HELD_LINES {
                    let mut text = String::new();
                    gap_line(&mut text, self.paint, g);
                    self.held.push(LadderLine { text: text.trim_end_matches('\n').to_string(), event: Some(i) });
                }
            }
            Event::Handshake(h) => self.print_block(Some((i, h))),
            Event::End(e) => self.close(Some(i), e.reason, &e.quic_notes),
            Event::Evicted(_) | Event::Summary(_) => {}
        }
    }

    fn print_block(&mut self, hs: Option<(usize, &HandshakeEvent)>) {
        if self.printed {
            return;
        }
        self.printed = true;
        let mut text = String::new();
        header(&mut text, self.paint, self.conn_id, self.conn.as_ref(), hs.map(|(_, h)| h));
        let at = hs.map(|(i, _)| i);
        self.push_text(&text, at);
        self.out.append(&mut self.held);
        if self.dropped > 0 {
            let line = format!("  ... {} more messages not shown", self.dropped);
            self.out.push(LadderLine { text: line, event: None });
            self.dropped = 0;
        }
    }

    fn close(&mut self, at: Option<usize>, reason: &str, notes: &[String]) {
        self.print_block(None);
        self.closed = true;
        let mut text = String::new();
        closing_lines(&mut text, self.paint, &self.after, reason, notes);
        // The block's last line is empty: it separates blocks.
        self.push_text(&text, at);
    }

    fn push_text(&mut self, text: &str, event: Option<usize>) {
        let text = text.strip_suffix('\n').unwrap_or(text);
        self.out.extend(text.split('\n').map(|l| LadderLine { text: l.to_string(), event }));
    }
}
