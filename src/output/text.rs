//! The human-readable view: one line per event.

use super::Sink;
use crate::conn::events::{Direction, Event};
use std::io::{self, Write};

pub struct TextSink<W: Write> {
    out: W,
}

impl<W: Write> TextSink<W> {
    pub fn new(out: W) -> Self {
        TextSink { out }
    }
}

fn arrow(d: Direction) -> &'static str {
    match d {
        Direction::ClientToServer => "C->S",
        Direction::ServerToClient => "S->C",
    }
}

impl<W: Write> Sink for TextSink<W> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        match ev {
            Event::Connection(c) => writeln!(
                self.out,
                "conn {} {}:{} -> {}:{} (frame {})",
                c.conn, c.client.ip, c.client.port, c.server.ip, c.server.port, c.frame
            ),
            Event::Message(m) => {
                let mut line =
                    format!("conn {} {} {} {} {} bytes", m.conn, m.time, arrow(m.direction), m.name, m.length);
                if let Some(a) = &m.alert {
                    line.push_str(&format!(" {} {}", a.level_name, a.description_name));
                }
                writeln!(self.out, "{line}")
            }
            Event::Gap(g) => {
                writeln!(self.out, "conn {} {} {} GAP {} bytes missing", g.conn, g.time, arrow(g.direction), g.bytes)
            }
            Event::End(e) => writeln!(self.out, "conn {} {} end ({})", e.conn, e.time, e.reason),
            Event::Summary(s) => writeln!(
                self.out,
                "summary: {} packets, {} TLS connections of {} TCP, {} messages, {} gaps, {} malformed packets",
                s.packets, s.tls_connections, s.connections, s.messages, s.gaps, s.malformed_packets
            ),
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
