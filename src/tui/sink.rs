//! The TUI's sink: the events of the run (on the thread that traces) become rows, sent to the
//! interface thread in batches.

use super::model::{Row, RowBuilder};
use crate::conn::events::{Event, SummaryEvent};
use crate::output::{Needs, Sink};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

/// What the tracing thread tells the interface.
#[derive(Debug)]
pub enum Update {
    /// New or changed rows (a changed row replaces the one of its connection).
    Rows(Vec<Row>),
    /// The run's summary: the trace is over.
    Summary(Box<SummaryEvent>),
    /// A warning the command line would have printed on stderr.
    Warning(String),
}

/// Rows are sent at most this often (and at the end): the interface redraws per batch.
const SEND_EVERY: Duration = Duration::from_millis(50);

pub struct TuiSink {
    rows: RowBuilder,
    tx: Sender<Update>,
    last_sent: Instant,
    /// Set by the interface when the user quits: the trace stops as if its reader went away.
    quit: Arc<AtomicBool>,
}

impl TuiSink {
    pub fn new(tx: Sender<Update>, quit: Arc<AtomicBool>) -> Self {
        TuiSink { rows: RowBuilder::default(), tx, last_sent: Instant::now(), quit }
    }

    fn send_rows(&mut self) -> io::Result<()> {
        self.last_sent = Instant::now();
        let rows = self.rows.take_changed();
        if rows.is_empty() {
            return Ok(());
        }
        self.tx.send(Update::Rows(rows)).map_err(|_| io::ErrorKind::BrokenPipe.into())
    }

    fn check_quit(&self) -> io::Result<()> {
        if self.quit.load(Ordering::Relaxed) { Err(io::ErrorKind::BrokenPipe.into()) } else { Ok(()) }
    }
}

impl Sink for TuiSink {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        self.check_quit()?;
        if let Event::Summary(s) = ev {
            self.send_rows()?;
            return self.tx.send(Update::Summary(s.clone())).map_err(|_| io::ErrorKind::BrokenPipe.into());
        }
        self.rows.event(ev);
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.send_rows()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.check_quit()?;
        if self.last_sent.elapsed() >= SEND_EVERY {
            self.send_rows()?;
        }
        Ok(())
    }

    fn needs(&self) -> Needs {
        // The table shows no role; `ja3:` and `ja4:` filter on the hello fingerprints.
        Needs { roles: false, fingerprints: true, prepare: None, bytes: false }
    }
}
