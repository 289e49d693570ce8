//! The human-readable view: a ladder per connection.
//!
//! Each connection is printed as one block when its handshake completes (or when it ends):
//! a header with the story (addresses, SNI, version, suite, kind, duration), then one line per
//! message with its time since the connection started, the delta since the previous message,
//! an arrow between the client and server columns, the phase, the name and its key values.
//! What comes after the handshake is condensed into a few lines when the connection ends, so
//! blocks of concurrent connections never interleave.

mod ladder;
mod style;
mod summary;

use super::Sink;
use crate::conn::events::{ConnectionEvent, Direction, Event, HandshakeEvent};
use crate::fast_map::FastMap;
use crate::time::Timestamp;
use ladder::{closing_lines, gap_line, header, message_line, write_endpoint};

mod lines;
pub use lines::{LadderLine, ladder_lines};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use style::{Paint, Style};
use summary::summary_text;

/// How much to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// One line per handshake.
    Quiet,
    #[default]
    Normal,
    /// Decoded fields and the role of every message.
    Verbose,
}

/// Lines held per connection before its block is printed; beyond, messages are only counted.
const MAX_HELD_LINES: usize = 400;

#[derive(Default)]
struct Block {
    conn: Option<ConnectionEvent>,
    /// The message and gap lines rendered so far, as they arrived: holding text rather than
    /// decoded events keeps waiting blocks small and avoids copying every decoded message.
    lines: String,
    held_lines: usize,
    dropped: u64,
    printed: bool,
    last_time: Option<Timestamp>,
    /// After the handshake: counts by (direction, name) and bytes.
    after: BTreeMap<(u8, crate::msgs::names::Name), (u64, u64)>,
    failed: bool,
}

impl Block {
    /// Empties the held lines, keeping their buffer for the next block (`spare`).
    fn clear_lines(&mut self, spare: &mut Vec<String>) {
        let mut lines = std::mem::take(&mut self.lines);
        self.held_lines = 0;
        if spare.len() < MAX_SPARE_LINE_BUFFERS && lines.capacity() <= MAX_SPARE_LINE_BYTES {
            lines.clear();
            spare.push(lines);
        }
    }
}

/// Line buffers kept for reuse: a block's lines grew by reallocation, several times per
/// connection; a few hundred buffers of a few kilobytes cover the blocks open at once.
const MAX_SPARE_LINE_BUFFERS: usize = 256;
const MAX_SPARE_LINE_BYTES: usize = 16 << 10;

/// The block of `conn`, a new one (with a spare line buffer) if there is none.
fn block_of<'b>(blocks: &'b mut FastMap<u64, Block>, spare: &mut Vec<String>, conn: u64) -> &'b mut Block {
    blocks.entry(conn).or_insert_with(|| Block { lines: spare.pop().unwrap_or_default(), ..Block::default() })
}

pub struct TextSink<W: Write> {
    out: W,
    verbosity: Verbosity,
    blocks: FastMap<u64, Block>,
    /// Only print handshakes that failed.
    failed_only: bool,
    paint: Paint,
    /// Reused for every block written.
    text: String,
    /// Emptied line buffers of printed blocks, for new blocks.
    spare_lines: Vec<String>,
}

impl<W: Write> TextSink<W> {
    /// Colors follow `colored`'s global switch as it is when the sink is made.
    pub fn new(out: W) -> Self {
        TextSink {
            out,
            verbosity: Verbosity::Normal,
            blocks: FastMap::default(),
            failed_only: false,
            paint: Paint { on: colored::control::SHOULD_COLORIZE.should_colorize() },
            text: String::with_capacity(8 << 10),
            spare_lines: Vec::new(),
        }
    }

    pub fn with_verbosity(mut self, v: Verbosity) -> Self {
        self.verbosity = v;
        self
    }

    pub fn failed_only(mut self, yes: bool) -> Self {
        self.failed_only = yes;
        self
    }

    fn print_block(&mut self, conn: u64, hs: Option<&HandshakeEvent>) -> io::Result<()> {
        let Some(block) = self.blocks.get_mut(&conn) else { return Ok(()) };
        if block.printed {
            return Ok(());
        }
        block.printed = true;
        let failed = hs.is_none_or(|h| !h.complete || !h.alerts.is_empty());
        block.failed = failed;
        if self.failed_only && !failed {
            block.clear_lines(&mut self.spare_lines);
            return Ok(());
        }
        let text = &mut self.text;
        text.clear();
        header(text, self.paint, conn, block.conn.as_ref(), hs);
        if self.verbosity == Verbosity::Verbose
            && let Some(kd) = hs.and_then(|h| h.key_derivation.as_deref())
        {
            ladder::key_derivation_lines(text, self.paint, kd);
        }
        if self.verbosity != Verbosity::Quiet {
            text.push_str(&block.lines);
            if block.dropped > 0 {
                let _ = writeln!(text, "  ... {} more messages not shown", block.dropped);
            }
        }
        block.clear_lines(&mut self.spare_lines);
        self.out.write_all(text.as_bytes())
    }

    fn finish_block(&mut self, conn: u64, reason: &str, notes: &[String]) -> io::Result<()> {
        self.print_block(conn, None)?;
        let Some(block) = self.blocks.remove(&conn) else { return Ok(()) };
        if self.verbosity == Verbosity::Quiet || (self.failed_only && !block.failed) {
            return Ok(());
        }
        let text = &mut self.text;
        text.clear();
        closing_lines(text, self.paint, &block.after, reason, notes);
        self.out.write_all(text.as_bytes())
    }
}

impl<W: Write> Sink for TextSink<W> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        match ev {
            Event::Connection(c) => {
                block_of(&mut self.blocks, &mut self.spare_lines, c.conn).conn = Some(c.clone());
                Ok(())
            }
            Event::Message(m) => {
                let block = block_of(&mut self.blocks, &mut self.spare_lines, m.conn);
                if block.printed && m.phase != 0 {
                    // A new handshake on this connection (renegotiation): its own block follows.
                    block.printed = false;
                }
                if block.printed {
                    let dir = if m.direction == Direction::ClientToServer { 0 } else { 1 };
                    let e = block.after.entry((dir, m.name.clone())).or_insert((0, 0));
                    e.0 += 1;
                    e.1 += m.length as u64;
                } else if self.verbosity == Verbosity::Quiet {
                    // Nothing per message is printed.
                } else if block.held_lines < MAX_HELD_LINES {
                    let start = block.conn.as_ref().map(|c| c.time);
                    message_line(&mut block.lines, self.paint, m, start, block.last_time, self.verbosity);
                    block.held_lines += 1;
                } else {
                    block.dropped += 1;
                }
                block.last_time = Some(m.time);
                Ok(())
            }
            Event::Gap(g) => {
                let block = block_of(&mut self.blocks, &mut self.spare_lines, g.conn);
                if block.printed {
                    let dir = if g.direction == Direction::ClientToServer { 0 } else { 1 };
                    let e = block.after.entry((dir, "GAP (bytes missing)".into())).or_insert((0, 0));
                    e.0 += 1;
                    e.1 += g.bytes;
                } else if block.held_lines < MAX_HELD_LINES {
                    gap_line(&mut block.lines, self.paint, g);
                    block.held_lines += 1;
                }
                Ok(())
            }
            Event::Handshake(h) => {
                if self.verbosity == Verbosity::Quiet {
                    let block = block_of(&mut self.blocks, &mut self.spare_lines, h.conn);
                    block.printed = true;
                    block.clear_lines(&mut self.spare_lines);
                    let failed = !h.complete || !h.alerts.is_empty();
                    block.failed = failed;
                    if self.failed_only && !failed {
                        return Ok(());
                    }
                    let text = &mut self.text;
                    text.clear();
                    header(text, self.paint, h.conn, block.conn.as_ref(), Some(h));
                    return self.out.write_all(text.as_bytes());
                }
                self.print_block(h.conn, Some(h))
            }
            Event::End(e) => self.finish_block(e.conn, e.reason, &e.quic_notes),
            Event::Evicted(e) => {
                // Bare SYNs of a flood are only counted in the summary.
                let bytes = e.bytes_initiator_to_responder + e.bytes_responder_to_initiator;
                if bytes == 0 || self.verbosity == Verbosity::Quiet {
                    return Ok(());
                }
                let text = &mut self.text;
                text.clear();
                text.push_str("flow  ");
                write_endpoint(text, e.initiator.ip, e.initiator.port);
                text.push_str(" → ");
                write_endpoint(text, e.responder.ip, e.responder.port);
                text.push_str("  ");
                self.paint.styled(text, Style::Yellow, |t| {
                    let _ = write!(t, "evicted before TLS was seen in it ({}; {bytes} bytes)", e.cause);
                });
                text.push('\n');
                self.out.write_all(text.as_bytes())
            }
            Event::Summary(s) => {
                let mut text = String::new();
                summary_text(&mut text, s);
                self.out.write_all(text.as_bytes())
            }
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        let open: Vec<u64> = self.blocks.keys().copied().collect();
        for conn in open {
            self.finish_block(conn, "capture ended", &[])?;
        }
        self.out.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn needs_fingerprints(&self) -> bool {
        self.verbosity == Verbosity::Verbose
    }

    fn needs_roles(&self) -> bool {
        self.verbosity == Verbosity::Verbose
    }
}
