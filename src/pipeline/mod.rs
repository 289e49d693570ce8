//! Wires the layers together: packets in, events out.
//!
//! With `parallel`, the layers below the output run on a second thread: the caller's thread
//! reads the capture, decodes link and IP headers and writes the output while a worker decodes
//! the rest (TCP, TLS, messages, connections): the worker is the busier of the two, so the
//! reader takes the stateless-looking first layer (its IP fragment state included). TCP
//! segments cross in batches with reused buffers, events come back in the order the worker
//! produced them, so the output is the same as with one thread. When the output's own work
//! is the larger (`--json`), the worker takes on part of it ([`Needs::prepare`]): it writes the
//! JSON lines of a share of the events, set so that both threads use the same CPU time.
//!
//! Whether it pays depends on the allocator: every event is allocated on the worker and freed by
//! the output thread, and glibc's malloc serialises those frees on the worker's arena lock, so
//! with glibc two threads are slower than one. The `tlstrace` binary uses mimalloc, built for
//! cross-thread frees, and `read` turns this on when there are two CPUs. BENCHMARKS.md has the
//! measurements.
//!
//! The files: `stages` holds the layers on one thread, `worker` the decoding thread and the
//! batches it is fed, `balance` how the output's work is shared between the threads,
//! `prepared` the bytes the worker wrote ahead; this file is the facade the command line uses.

mod balance;
mod prepared;
mod stages;
mod worker;

#[cfg(test)]
mod tests;

use crate::conn::events::{Event, SummaryEvent};
use crate::net::NetConfig;
use crate::output::Needs;
use crate::source::Packet;
use crate::tcp::FlowConfig;
use crate::time::Timestamp;
use prepared::Prepared;
use stages::Stages;
use worker::{Item, Worker};

/// Limits and knobs of one run.
#[derive(Clone, Debug, Default)]
pub struct PipelineConfig {
    pub net: NetConfig,
    pub flows: FlowConfig,
    /// Decode on a worker thread while the caller reads input and writes output (see the
    /// module documentation for when that pays).
    pub parallel: bool,
    /// What the output needs of each event ([`Sink::needs`](crate::output::Sink::needs)):
    /// decided once, and computed here where it is cheapest.
    pub output: Needs,
    /// `--memory-limit`: what each growing part may hold.
    pub budget: crate::budget::MemoryBudget,
    /// The worker prepares this share of the events (out of 16) instead of balancing the
    /// threads: for tests; `None` otherwise.
    pub prepare_share: Option<u32>,
    /// The decoding thread runs at a lower priority ([`run_in_background`]): the explorer's
    /// interface shares the CPUs with it.
    pub background: bool,
}

/// Lowers the calling thread's priority (nice 10; Linux keeps it per thread), so that an
/// interactive thread sharing the CPUs with it answers at once.
pub fn run_in_background() {
    // SAFETY: setpriority only reads its arguments; on Linux PRIO_PROCESS with a thread id
    // applies to that thread alone. Failure leaves the priority as it was, which is harmless.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10);
    }
}

/// Completes an event with what the output needs and the connection layer leaves out (the
/// hello fingerprints): the one place they are added, on the thread that hands the event over
/// (the worker for the events it prepares, the caller for the others).
fn complete(ev: &mut Event, needs: &Needs) {
    if needs.fingerprints
        && let Event::Message(m) = ev
    {
        m.add_fingerprints();
    }
}

enum Mode {
    Inline(Box<Stages>),
    Parallel(Box<Worker>),
    /// Only while switching from `Parallel` to `Inline` in `finish`.
    Switching,
}

/// The packet-to-event pipeline (everything between a source and a sink).
pub struct Pipeline {
    mode: Mode,
    /// Events collected from the worker, handed out by `drain_events`.
    events: Vec<Event>,
    /// The bytes the worker prepared for some of `events`.
    prepared: Prepared,
    /// What is left of the key log's share of the memory budget (key logs are read here).
    key_log_room: usize,
    /// What the output needs of each event.
    needs: Needs,
}

impl Pipeline {
    pub fn new(cfg: PipelineConfig) -> Self {
        // The caches are per thread and process-wide: they take their limit from the run.
        crate::budget::set_cache_budget(&cfg.budget);
        let key_log_room = cfg.budget.share(crate::budget::Part::KeyLog);
        let needs = cfg.output;
        let worker = if cfg.parallel { Worker::spawn(&cfg) } else { None };
        let mode = match worker {
            Some(worker) => Mode::Parallel(Box::new(worker)),
            // Asked for one thread, or no thread to be had: decode on this one.
            None => Mode::Inline(Box::new(Stages::new(cfg))),
        };
        Pipeline { mode, events: Vec::new(), prepared: Prepared::default(), key_log_room, needs }
    }

    /// Applies a settings change to the decoder, in order with the packets fed so far.
    fn control(&mut self, change: impl FnOnce(&mut Stages) + Send + 'static) {
        match &mut self.mode {
            Mode::Inline(stages) => change(stages),
            Mode::Parallel(worker) => {
                worker.send_now(Item::Control(Box::new(change)));
            }
            Mode::Switching => {}
        }
    }

    /// Adds key log text (a pcapng Decryption Secrets Block, new lines of a growing log);
    /// returns its bad lines. Parsed here, on the caller's thread.
    pub fn add_key_log(&mut self, text: &[u8]) -> Vec<crate::crypto::KeyLogIssue> {
        self.add_key_log_text(text).0
    }

    /// Adds key log text within what is left of the key log's memory share; returns its bad
    /// lines and what it read, kept and dropped.
    pub fn add_key_log_text(&mut self, text: &[u8]) -> (Vec<crate::crypto::KeyLogIssue>, crate::crypto::KeyLogStats) {
        let mut log = crate::crypto::KeyLog::with_limit(self.key_log_room);
        let issues = log.add_text(text);
        (issues, self.send_key_log(log))
    }

    /// Reads a key log file within what is left of the key log's memory share (a regular
    /// file is indexed, see [`crate::crypto::KeyLog::open`]); the first too long line also goes
    /// to `announce` at once. Returns its bad lines and what it read, kept and dropped.
    pub fn open_key_log(
        &mut self,
        path: &std::path::Path,
        announce: &mut dyn FnMut(&crate::crypto::KeyLogIssue),
    ) -> std::io::Result<(Vec<crate::crypto::KeyLogIssue>, crate::crypto::KeyLogStats)> {
        let (log, issues) = crate::crypto::KeyLog::open(path, self.key_log_room, announce)?;
        Ok((issues, self.send_key_log(log)))
    }

    fn send_key_log(&mut self, log: crate::crypto::KeyLog) -> crate::crypto::KeyLogStats {
        let stats = log.stats();
        self.key_log_room = self.key_log_room.saturating_sub(stats.memory);
        self.control(move |stages| stages.back.conns.add_key_log(log));
        stats
    }

    /// `--rsa-key`: a server's private key for RSA key exchanges.
    pub fn add_rsa_key(&mut self, key: crate::crypto::rsa_kx::ServerKey) {
        self.control(move |stages| stages.back.conns.add_rsa_key(key));
    }

    /// `--show-secrets` (premaster and master secrets in `key_derivation`) and `--write-keylog`
    /// (handshake events carry their secrets as key log lines).
    pub fn secrets_out(&mut self, show: bool, keylog_lines: bool) {
        self.control(move |stages| {
            stages.back.conns.shared.keys.show_secrets = show;
            stages.back.conns.shared.keys.keylog_lines = keylog_lines;
        });
    }

    /// `--trust`, `--ca-file`, `--ca-dir`: the anchors chains are judged against.
    pub fn set_trust(&mut self, store: std::sync::Arc<crate::certs::TrustStore>) {
        self.control(move |stages| stages.back.conns.set_trust(store));
    }

    /// `--certs DIR`: write every certificate seen as PEM, named by fingerprint.
    pub fn write_certificates_to(&mut self, dir: std::path::PathBuf) {
        self.control(move |stages| stages.write_certificates_to(dir));
    }

    /// The key log is still being written (live capture): hold a connection's records briefly
    /// when its secrets are not there yet.
    pub fn wait_for_keys(&mut self, yes: bool) {
        self.control(move |stages| stages.wait_for_keys(yes));
    }

    /// Replays held records whose secrets arrived; `now` is the current capture time.
    pub fn release_held_records(&mut self, now: Timestamp) {
        self.control(move |stages| stages.release_held_records(now));
    }

    /// Show up to `limit` bytes of decrypted application data in message events.
    pub fn show_data(&mut self, limit: Option<usize>) {
        self.control(move |stages| stages.show_data(limit));
    }

    /// Feeds one captured packet.
    pub fn process(&mut self, pkt: Packet<'_>) {
        match &mut self.mode {
            Mode::Inline(stages) => stages.process(pkt),
            Mode::Parallel(worker) => worker.push(pkt),
            Mode::Switching => {}
        }
    }

    /// Advances capture time without a packet (live capture while the wire is idle), so idle
    /// flows still expire on time. Everything sent before is decoded when this returns.
    pub fn advance_clock(&mut self, now: Timestamp) {
        match &mut self.mode {
            Mode::Inline(stages) => stages.back.advance_clock(now),
            Mode::Parallel(worker) => {
                worker.send_now(Item::Clock(now));
                worker.sync();
            }
            Mode::Switching => {}
        }
    }

    /// End of input: flushes every flow.
    pub fn finish(&mut self) {
        match std::mem::replace(&mut self.mode, Mode::Switching) {
            Mode::Inline(mut stages) => {
                stages.back.finish();
                self.mode = Mode::Inline(stages);
            }
            Mode::Parallel(worker) => {
                let stages = worker.finish(&mut self.events, &mut self.prepared);
                self.mode = Mode::Inline(Box::new(stages));
            }
            Mode::Switching => {}
        }
    }

    /// Events produced so far, in order. With a worker, those it has finished: the rest come
    /// with later calls, and all of them after `finish`.
    pub fn drain_events(&mut self) -> impl Iterator<Item = Event> + '_ {
        self.drain_prepared().map(|(ev, _)| ev)
    }

    /// [`drain_events`](Self::drain_events), each event with the bytes the worker prepared for
    /// it (see [`Needs::prepare`]), if it did. Every event comes out completed as the output
    /// needs it.
    pub fn drain_prepared(&mut self) -> impl Iterator<Item = (Event, Option<&[u8]>)> + '_ {
        if self.events.is_empty() {
            // The bytes of events handed out before.
            self.prepared.clear();
        }
        match &mut self.mode {
            Mode::Inline(stages) => self.events.extend(stages.drain_events()),
            Mode::Parallel(worker) => worker.collect(&mut self.events, &mut self.prepared),
            Mode::Switching => {}
        }
        let needs = self.needs;
        let Prepared { spans, bytes } = &mut self.prepared;
        let bytes = &*bytes;
        let mut spans = spans.drain(..);
        self.events.drain(..).map(move |mut ev| {
            let prepared = spans.next().flatten().and_then(|(start, end)| bytes.get(start..end));
            if prepared.is_none() {
                complete(&mut ev, &needs);
            }
            (ev, prepared)
        })
    }

    /// Unsupported link types seen for the first time since the last call.
    pub fn take_new_unsupported_links(&mut self) -> Vec<u32> {
        match &mut self.mode {
            Mode::Inline(stages) => stages.take_new_unsupported_links(),
            // Links are decoded on this thread: nothing to ask the worker.
            Mode::Parallel(worker) => std::mem::take(&mut worker.front.new_unsupported_links),
            Mode::Switching => Vec::new(),
        }
    }

    /// The run's counters: final after `finish`; before it, of every packet fed so far (with a
    /// worker, this waits for it to decode them).
    pub fn summary(&mut self) -> SummaryEvent {
        match &mut self.mode {
            Mode::Inline(stages) => stages.summary(),
            Mode::Parallel(worker) => worker.summary(),
            Mode::Switching => Stages::new(PipelineConfig::default()).summary(),
        }
    }
}
