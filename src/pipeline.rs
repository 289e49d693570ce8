//! Wires the layers together: packets in, events out.
//!
//! With `parallel`, the layers below the output run on a second thread: the caller's thread
//! reads the capture, decodes link and IP headers and writes the output while a worker decodes
//! the rest (TCP, TLS, messages, connections): the worker is the busier of the two, so the
//! reader takes the stateless-looking first layer (its IP fragment state included). TCP
//! segments cross in batches with reused buffers, events come back in the order the worker
//! produced them, so the output is the same as with one thread. When the output's own work
//! is the larger (`--json`), the worker takes on part of it ([`Prepare`]): it writes the JSON
//! lines of a share of the events, set so that both threads use the same CPU time.
//!
//! Whether it pays depends on the allocator: every event is allocated on the worker and freed by
//! the output thread, and glibc's malloc serialises those frees on the worker's arena lock
//! (thousands of futex waits per 100 MB), so with glibc two threads are slower than one. The
//! `tlstrace` binary uses mimalloc, built for cross-thread frees, and `read` turns this on when
//! there are two CPUs. BENCHMARKS.md has the measurements.

use crate::conn::events::{Event, LinkTypeCount, SummaryEvent};
use crate::conn::{ConnTracker, PacketContext};
use crate::net::{NetConfig, NetDecoder, NetError, NetOutcome, TcpFlags, TcpSegment};
use crate::source::Packet;
use crate::tcp::{FlowConfig, FlowTable};
use crate::time::Timestamp;
use std::collections::BTreeMap;

/// Limits and knobs of one run.
#[derive(Clone, Debug, Default)]
pub struct PipelineConfig {
    pub net: NetConfig,
    pub flows: FlowConfig,
    /// Decode on a worker thread while the caller reads input and writes output (see the
    /// module documentation for when that pays).
    pub parallel: bool,
    /// Compute hello fingerprints while decoding (on the worker with `parallel`), for outputs
    /// that show them; they are otherwise left for the consumer to add if it wants them.
    pub fingerprints: bool,
    /// Leave message roles empty (an output that does not show them).
    pub skip_roles: bool,
    /// The output's own work on an event, done by the worker for a share of the events
    /// whenever it is the less busy thread (see [`Prepare`]).
    pub prepare: Option<Prepare>,
    /// `--memory-limit`: what each growing part may hold.
    pub budget: crate::budget::MemoryBudget,
}

/// The output's work on one event, movable to the decoding thread: given the event (which it
/// may complete, as with fingerprints), it writes the bytes the output will write for it and
/// says whether it could. The output thread takes those bytes through
/// [`Pipeline::drain_prepared`] instead of doing the work itself.
#[derive(Clone)]
pub struct Prepare {
    work: Arc<PrepareFn>,
    /// Prepare this share of the events (out of [`SHARE_STEPS`]) instead of balancing.
    fixed_share: Option<u32>,
}

type PrepareFn = dyn Fn(&mut Event, &mut Vec<u8>) -> bool + Send + Sync;

impl Prepare {
    pub fn new(work: impl Fn(&mut Event, &mut Vec<u8>) -> bool + Send + Sync + 'static) -> Self {
        Prepare { work: Arc::new(work), fixed_share: None }
    }
}

impl std::fmt::Debug for Prepare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prepare")
    }
}

/// Link types met that are not supported, with a flag for "already reported".
#[derive(Debug, Default)]
struct SkippedLinks {
    counts: BTreeMap<u32, u64>,
}

/// The first layer (link and IP decoding, fragment reassembly) with the counters it keeps: on
/// the reader's thread with `parallel`, inside [`Stages`] otherwise.
struct Front {
    net: NetDecoder,
    packets: u64,
    bytes: u64,
    malformed_packets: u64,
    non_tcp_packets: u64,
    skipped: SkippedLinks,
    /// Link types to report once on stderr (drained by the caller).
    new_unsupported_links: Vec<u32>,
}

impl Front {
    fn new(cfg: NetConfig) -> Self {
        Front {
            net: NetDecoder::new(cfg),
            packets: 0,
            bytes: 0,
            malformed_packets: 0,
            non_tcp_packets: 0,
            skipped: SkippedLinks::default(),
            new_unsupported_links: Vec::new(),
        }
    }

    /// Counts one captured packet and decodes it down to TCP: the segment, or None for
    /// anything else (counted by kind).
    fn decode<'a>(&'a mut self, pkt: &Packet<'a>) -> Option<TcpSegment<'a>> {
        self.packets += 1;
        self.bytes += pkt.data.len() as u64;
        match self.net.decode(pkt.linktype, pkt.data, pkt.orig_len, pkt.ts) {
            Ok(NetOutcome::Tcp(seg)) => return Some(seg),
            Ok(NetOutcome::NotTcp) => self.non_tcp_packets += 1,
            Ok(NetOutcome::FragmentHeld) => {}
            Err(NetError::UnsupportedLink(lt)) => {
                let count = self.skipped.counts.entry(lt).or_insert(0);
                if *count == 0 {
                    self.new_unsupported_links.push(lt);
                }
                *count += 1;
            }
            Err(NetError::Malformed(_)) => self.malformed_packets += 1,
        }
        None
    }

    /// Its counters written into a summary.
    fn fill(&self, summary: &mut SummaryEvent) {
        summary.packets = self.packets;
        summary.bytes = self.bytes;
        summary.malformed_packets = self.malformed_packets;
        summary.non_tcp_packets = self.non_tcp_packets;
        summary.evictions.fragments = self.net.stats().fragment_datagrams_evicted;
        summary.skipped_link_types =
            self.skipped.counts.iter().map(|(&linktype, &packets)| LinkTypeCount { linktype, packets }).collect();
    }
}

/// Everything after the first layer: TCP flows, TLS connections, and the capture clock that
/// expires idle flows.
struct Back {
    flows: FlowTable,
    conns: ConnTracker,
    last_expire_secs: Option<i64>,
    now: Timestamp,
    last_frame: u64,
    /// The TLS buffers' share of the memory budget.
    tls_buffers_limit: usize,
}

impl Back {
    /// One packet past the first layer (`seg` is None when it was not TCP: it still moves the
    /// clock).
    fn packet(&mut self, seg: Option<&TcpSegment<'_>>, ctx: PacketContext) {
        if ctx.ts > self.now {
            self.now = ctx.ts;
        }
        self.last_frame = ctx.frame;
        if let Some(seg) = seg {
            let conns = &mut self.conns;
            self.flows.process(seg, ctx.ts, &mut |ev| conns.on_stream_event(ev.into(), ctx));
            if self.conns.tls_buffers_over_limit() {
                self.evict_tls_buffers(ctx);
            }
        }
        self.maybe_expire(ctx);
    }

    /// Closes the least recently active flows holding TLS buffers until those are back under
    /// seven eighths of their share (the margin spares a walk of the flow list per packet).
    fn evict_tls_buffers(&mut self, ctx: PacketContext) {
        let target = self.tls_buffers_limit / 8 * 7;
        let victims = self.conns.tls_buffer_victims(self.flows.least_recent(), target);
        let conns = &mut self.conns;
        self.flows.evict_for_memory(&victims, &mut |ev| conns.on_stream_event(ev.into(), ctx));
    }

    /// Idle flows are closed on capture time, checked at most once per capture second.
    fn maybe_expire(&mut self, ctx: PacketContext) {
        let secs = self.now.secs;
        if self.last_expire_secs.is_some_and(|last| secs <= last) {
            return;
        }
        self.last_expire_secs = Some(secs);
        let conns = &mut self.conns;
        self.flows.expire(self.now, &mut |ev| conns.on_stream_event(ev.into(), ctx));
    }

    /// Advances capture time without a packet (live capture while the wire is idle), so idle
    /// flows still expire on time.
    fn advance_clock(&mut self, now: Timestamp) {
        if now > self.now {
            self.now = now;
        }
        self.maybe_expire(PacketContext { ts: self.now, frame: self.last_frame });
    }

    /// End of input: flushes every flow.
    fn finish(&mut self) {
        let ctx = PacketContext { ts: self.now, frame: self.last_frame };
        let conns = &mut self.conns;
        self.flows.finish(&mut |ev| conns.on_stream_event(ev.into(), ctx));
        self.conns.finish();
    }
}

/// Every layer between a source and a sink, on one thread.
struct Stages {
    front: Front,
    back: Back,
    certs_enabled: bool,
    fingerprints: bool,
    memory_limit: usize,
}

impl Stages {
    fn new(cfg: PipelineConfig) -> Self {
        let budget = cfg.budget;
        let flows = budget.flow_config(&cfg.flows);
        let mut conns = ConnTracker::with_capacity(flows.max_flows);
        conns.shared.skip_roles = cfg.skip_roles;
        conns.shared.tls_buffers_limit = Some(budget.share(crate::budget::Part::TlsBuffers));
        Stages {
            front: Front::new(budget.net_config(&cfg.net)),
            back: Back {
                flows: FlowTable::new(flows),
                conns,
                last_expire_secs: None,
                now: Timestamp::default(),
                last_frame: 0,
                tls_buffers_limit: budget.share(crate::budget::Part::TlsBuffers),
            },
            memory_limit: budget.total(),
            certs_enabled: false,
            fingerprints: cfg.fingerprints,
        }
    }

    /// Feeds one captured packet.
    fn process(&mut self, pkt: Packet<'_>) {
        let ctx = PacketContext { ts: pkt.ts, frame: pkt.frame };
        let seg = self.front.decode(&pkt);
        self.back.packet(seg.as_ref(), ctx);
    }

    /// `--certs DIR`: write every certificate seen as PEM, named by fingerprint.
    fn write_certificates_to(&mut self, dir: std::path::PathBuf) {
        self.certs_enabled = true;
        self.back.conns.write_certificates_to(dir);
    }

    /// The key log is still being written (live capture): hold a connection's records briefly
    /// when its secrets are not there yet.
    fn wait_for_keys(&mut self, yes: bool) {
        self.back.conns.shared.wait_for_keys = yes;
        if yes {
            self.back.conns.enable_decryption();
        }
    }

    /// Replays held records whose secrets arrived; `now` is the current capture time.
    fn release_held_records(&mut self, now: Timestamp) {
        self.back.conns.release_held_records(now);
    }

    /// Show up to `limit` bytes of decrypted application data in message events.
    fn show_data(&mut self, limit: Option<usize>) {
        self.back.conns.shared.show_data = limit;
    }

    /// Events produced so far, in order.
    fn drain_events(&mut self) -> impl Iterator<Item = Event> + '_ {
        let fingerprints = self.fingerprints;
        self.back.conns.drain_events().map(move |mut ev| {
            if fingerprints && let Event::Message(m) = &mut ev {
                m.add_fingerprints();
            }
            ev
        })
    }

    /// Unsupported link types seen for the first time since the last call.
    fn take_new_unsupported_links(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.front.new_unsupported_links)
    }

    fn summary(&self) -> SummaryEvent {
        let s = self.back.conns.stats();
        let t = self.back.flows.stats();
        let mut summary = SummaryEvent {
            packets: 0,
            bytes: 0,
            connections: s.flows,
            tls_connections: s.tls_connections,
            unconfirmed_connections: s.unconfirmed_connections,
            messages: s.messages,
            gaps: s.gaps,
            gap_bytes: s.gap_bytes,
            malformed_packets: 0,
            non_tcp_packets: 0,
            skipped_link_types: Vec::new(),
            malformed_messages: s.malformed_messages,
            evicted_connections: s.evicted.max(t.flows_evicted),
            evicted_flows: s.evicted_flows,
            evicted_flows_unlisted: s.evicted_flows_unlisted,
            gap_bytes_by_cause: s.gap_bytes_by_cause.clone(),
            input_error: None,
            kernel: None,
            decryption: self.back.conns.decrypt_stats(),
            key_log: self.back.conns.shared.keys.key_log_summary(),
            handshakes: s.handshakes.clone(),
            certificates_written: self.certs_enabled.then_some(s.certificates_written),
            certificate_error: self.back.conns.certificate_error(),
            memory_limit: self.memory_limit as u64,
            evictions: crate::budget::Evictions {
                flows: t.flows_evicted,
                reassembly: t.reassembly_evictions,
                tls_buffers: t.flows_evicted_for_memory,
                fragments: 0,
                caches: crate::budget::cache_evictions(),
            },
        };
        self.front.fill(&mut summary);
        summary
    }
}

/// Packets per batch handed to the worker, and the bytes after which a batch goes anyway.
const BATCH_PACKETS: usize = 256;
const BATCH_BYTES: usize = 256 << 10;
/// Batches queued for the worker at most: the memory in flight stays near 1 MiB, and a
/// worker that falls behind holds the reader back.
const QUEUE_BATCHES: usize = 4;
/// A partial batch older than this is sent when events are collected, so live capture on a
/// slow link still shows each handshake promptly.
const BATCH_MAX_AGE: Duration = Duration::from_millis(20);

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One TCP segment in a batch, decoded by the reader's [`Front`]: its payload is
/// `data[offset..offset + len]`.
#[derive(Clone, Copy)]
struct SegmentMeta {
    ctx: PacketContext,
    src: std::net::SocketAddr,
    dst: std::net::SocketAddr,
    seq: u32,
    ack: u32,
    flags: TcpFlags,
    missing_tail: u32,
    offset: usize,
    len: usize,
}

/// A range of prepared bytes.
type Span = (usize, usize);

/// For each event of a list, where its prepared bytes are, if it was prepared.
#[derive(Default)]
struct Prepared {
    spans: Vec<Option<Span>>,
    bytes: Vec<u8>,
}

impl Prepared {
    /// Moves `other`'s spans and bytes to the end of these.
    fn append(&mut self, other: &mut Prepared) {
        if self.spans.is_empty() {
            std::mem::swap(self, other);
            return;
        }
        let shift = self.bytes.len();
        self.spans.extend(other.spans.drain(..).map(|span| span.map(|(a, b)| (a + shift, b + shift))));
        self.bytes.append(&mut other.bytes);
    }

    fn clear(&mut self) {
        self.spans.clear();
        self.bytes.clear();
    }
}

/// Which events the worker prepares: a share out of [`SHARE_STEPS`] (half at first), raised
/// while the worker has used less CPU time than the reader over the last batches and lowered
/// while it has used more, so that the two threads end up equally busy. (Waiting times make a
/// poor signal: both threads wait for each other in turn, the reader while it reads ahead and
/// the worker while the reader writes.) Events are picked evenly at that rate. Who prepares an
/// event changes nothing in the output, only which thread spends the time.
const SHARE_STEPS: u32 = 16;

/// Batches between two comparisons of the threads' CPU time.
const BALANCE_WINDOW: u32 = 8;

#[derive(Default)]
struct Balance {
    share: u32,
    credit: u32,
    batches: u32,
    /// Both threads' CPU time at the last comparison.
    worker_cpu: Duration,
    reader_cpu: Duration,
}

impl Balance {
    /// After each batch, with the reader's CPU time as it last reported it.
    fn after_batch(&mut self, reader_cpu: Duration) {
        self.batches += 1;
        if self.batches < BALANCE_WINDOW {
            return;
        }
        self.batches = 0;
        let worker_cpu = thread_cpu_time();
        let worker = worker_cpu.saturating_sub(self.worker_cpu);
        let reader = reader_cpu.saturating_sub(self.reader_cpu);
        self.worker_cpu = worker_cpu;
        self.reader_cpu = reader_cpu;
        if worker < reader {
            self.share = (self.share + 1).min(SHARE_STEPS);
        } else {
            self.share = self.share.saturating_sub(1);
        }
    }

    fn take_next(&mut self) -> bool {
        self.credit += self.share;
        if self.credit >= SHARE_STEPS {
            self.credit -= SHARE_STEPS;
            true
        } else {
            false
        }
    }
}

/// CPU time the calling thread has used (zero if the system cannot say).
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid timespec for the call to fill; the clock id is a constant.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
    if !ok {
        return Duration::ZERO;
    }
    Duration::new(u64::try_from(ts.tv_sec).unwrap_or(0), u32::try_from(ts.tv_nsec).unwrap_or(0))
}

/// A change of the decoder's settings, applied in order with the packets around it.
type Control = Box<dyn FnOnce(&mut Stages) + Send>;

enum Item {
    Segment(SegmentMeta),
    /// A packet that was not TCP (or not yet: a held IP fragment): it still moves capture time.
    Other(PacketContext),
    /// `advance_clock` at this point of the packet sequence.
    Clock(Timestamp),
    Control(Control),
}

/// Segments' payloads copied out of the source's buffer; the buffers go back and forth and are
/// reused.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    items: Vec<Item>,
}

impl Batch {
    fn is_full(&self) -> bool {
        self.items.len() >= BATCH_PACKETS || self.data.len() >= BATCH_BYTES
    }

    fn clear(&mut self) {
        self.data.clear();
        self.items.clear();
    }
}

/// What the two threads share, behind one lock.
#[derive(Default)]
struct Shared {
    queue: VecDeque<Batch>,
    /// Emptied batches for the reader to fill again.
    spare: Vec<Batch>,
    events: Vec<Event>,
    /// Prepared bytes of the events the worker prepared, in step with `events`.
    prepared: Prepared,
    /// The reader's CPU time when it last queued a batch (kept only with a preparation).
    reader_cpu: Duration,
    /// Batches the worker has finished.
    done: u64,
    /// No more batches will come: flush every flow and stop.
    finishing: bool,
    /// The pipeline is dropped: stop at once.
    abandon: bool,
    /// Each side says when it sleeps, so the other wakes it only then: a wake-up is a system
    /// call even with nobody waiting, and there are thousands of batches per second.
    worker_waiting: bool,
    reader_waiting: bool,
}

struct Channel {
    shared: Mutex<Shared>,
    /// Signalled when the worker finished a batch (room in the queue, events, progress).
    progress: Condvar,
    /// Signalled when there is work (or an order) for the worker.
    work: Condvar,
    /// Set on the way out of the worker, also when it panics.
    worker_gone: AtomicBool,
    events_ready: AtomicBool,
}

impl Channel {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        // A poisoned lock means the worker panicked; the join in `Worker::fail` reports it.
        self.shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Marks the worker gone however it leaves (return or panic), so the reader never waits for it.
struct GoneOnDrop(Arc<Channel>);

impl Drop for GoneOnDrop {
    fn drop(&mut self) {
        self.0.worker_gone.store(true, Ordering::SeqCst);
        self.0.progress.notify_all();
    }
}

struct Worker {
    /// The first layer runs here, on the reader's thread (see the module documentation).
    front: Front,
    channel: Arc<Channel>,
    handle: Option<JoinHandle<Stages>>,
    /// The batch being filled, and when its first packet came.
    current: Batch,
    current_since: Option<Instant>,
    sent: u64,
    /// Calls to `collect`, to read the clock only now and then.
    collects: u64,
    /// The worker prepares events when it has time: it needs this thread's CPU time.
    balanced: bool,
}

fn work(channel: &Channel, mut stages: Stages, prepare: Option<Prepare>) -> Stages {
    let mut events = Vec::new();
    let mut prepared = Prepared::default();
    let mut balance = Balance {
        share: prepare.as_ref().and_then(|p| p.fixed_share).unwrap_or(SHARE_STEPS / 2),
        ..Balance::default()
    };
    let fixed = prepare.as_ref().is_some_and(|p| p.fixed_share.is_some());
    loop {
        let batch = {
            let mut shared = channel.lock();
            loop {
                if shared.abandon {
                    return stages;
                }
                if let Some(batch) = shared.queue.pop_front() {
                    if prepare.is_some() && !fixed {
                        balance.after_batch(shared.reader_cpu);
                    }
                    break Some(batch);
                }
                if shared.finishing {
                    break None;
                }
                shared.worker_waiting = true;
                shared = channel.work.wait(shared).unwrap_or_else(|poisoned| poisoned.into_inner());
            }
        };
        let Some(mut batch) = batch else { break };
        for item in batch.items.drain(..) {
            match item {
                Item::Segment(m) => {
                    let payload = batch.data.get(m.offset..m.offset.saturating_add(m.len)).unwrap_or_default();
                    let seg = TcpSegment {
                        src: m.src,
                        dst: m.dst,
                        seq: m.seq,
                        ack: m.ack,
                        flags: m.flags,
                        payload,
                        missing_tail: m.missing_tail,
                    };
                    stages.back.packet(Some(&seg), m.ctx);
                }
                Item::Other(ctx) => stages.back.packet(None, ctx),
                Item::Clock(now) => stages.back.advance_clock(now),
                Item::Control(change) => change(&mut stages),
            }
        }
        events.extend(stages.drain_events());
        if let Some(Prepare { work: prepare, .. }) = &prepare {
            for ev in &mut events {
                let start = prepared.bytes.len();
                let done = balance.take_next() && prepare(ev, &mut prepared.bytes);
                if !done {
                    prepared.bytes.truncate(start);
                }
                prepared.spans.push(done.then_some((start, prepared.bytes.len())));
            }
        }
        batch.clear();
        let mut shared = channel.lock();
        shared.events.append(&mut events);
        if prepare.is_some() {
            shared.prepared.append(&mut prepared);
        }
        shared.spare.push(batch);
        shared.done += 1;
        channel.events_ready.store(!shared.events.is_empty(), Ordering::Release);
        // The reader waits for room in the queue, or for every batch to be done (`sync`).
        let wake = std::mem::take(&mut shared.reader_waiting);
        drop(shared);
        if wake {
            channel.progress.notify_all();
        }
    }
    stages.back.finish();
    let mut shared = channel.lock();
    shared.events.extend(stages.drain_events());
    drop(shared);
    stages
}

impl Worker {
    /// Starts the decoding thread; `None` if the system has no thread to give.
    fn spawn(cfg: &PipelineConfig) -> Option<Worker> {
        let channel = Arc::new(Channel {
            shared: Mutex::new(Shared::default()),
            progress: Condvar::new(),
            work: Condvar::new(),
            worker_gone: AtomicBool::new(false),
            events_ready: AtomicBool::new(false),
        });
        let stages = Stages::new(cfg.clone());
        let prepare = cfg.prepare.clone();
        let ch = Arc::clone(&channel);
        let handle = std::thread::Builder::new()
            .name("tlstrace-decode".into())
            .spawn(move || {
                let _gone = GoneOnDrop(Arc::clone(&ch));
                work(&ch, stages, prepare)
            })
            .ok()?;
        Some(Worker {
            front: Front::new(cfg.budget.net_config(&cfg.net)),
            channel,
            handle: Some(handle),
            current: Batch::default(),
            current_since: None,
            sent: 0,
            collects: 0,
            balanced: cfg.prepare.is_some(),
        })
    }

    fn push(&mut self, pkt: Packet<'_>) {
        let ctx = PacketContext { ts: pkt.ts, frame: pkt.frame };
        let item = match self.front.decode(&pkt) {
            Some(seg) => {
                let offset = self.current.data.len();
                self.current.data.extend_from_slice(seg.payload);
                Item::Segment(SegmentMeta {
                    ctx,
                    src: seg.src,
                    dst: seg.dst,
                    seq: seg.seq,
                    ack: seg.ack,
                    flags: seg.flags,
                    missing_tail: seg.missing_tail,
                    offset,
                    len: seg.payload.len(),
                })
            }
            None => Item::Other(ctx),
        };
        self.current.items.push(item);
        if self.current_since.is_none() {
            self.current_since = Some(Instant::now());
        }
        if self.current.is_full() {
            self.send();
        }
    }

    /// Adds `item` (an order, not a packet) to the current batch and queues the batch at once.
    fn send_now(&mut self, item: Item) {
        self.current.items.push(item);
        self.send();
    }

    /// Queues the current batch (waiting while the queue is full) and starts a new one.
    fn send(&mut self) {
        if self.current.items.is_empty() {
            return;
        }
        let cpu = self.balanced.then(thread_cpu_time);
        let mut shared = self.channel.lock();
        if let Some(cpu) = cpu {
            shared.reader_cpu = cpu;
        }
        while shared.queue.len() >= QUEUE_BATCHES {
            if self.channel.worker_gone.load(Ordering::SeqCst) {
                drop(shared);
                self.fail();
            }
            shared.reader_waiting = true;
            shared = self.channel.progress.wait(shared).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        let next = shared.spare.pop().unwrap_or_default();
        shared.queue.push_back(std::mem::replace(&mut self.current, next));
        let wake = std::mem::take(&mut shared.worker_waiting);
        drop(shared);
        self.sent += 1;
        self.current_since = None;
        if wake {
            self.channel.work.notify_one();
        }
    }

    /// Waits until the worker has finished every batch sent so far.
    fn sync(&mut self) {
        let mut shared = self.channel.lock();
        while shared.done < self.sent {
            if self.channel.worker_gone.load(Ordering::SeqCst) {
                drop(shared);
                self.fail();
            }
            shared.reader_waiting = true;
            shared = self.channel.progress.wait(shared).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Moves the worker's events (and what it prepared of them) to the caller.
    fn collect(&mut self, events: &mut Vec<Event>, prepared: &mut Prepared) {
        // The caller collects after every packet: reading the clock each time was a visible
        // cost on fast files (a batch of 256 KiB is often under 64 packets, so a limit of 64
        // still read it for most of them). A batch still filling slowly (a trickling pipe) is
        // a few packets, and for those the age is checked every time; a fuller one every 64
        // packets, which at any rate that fills 16 packets in 20 ms is soon enough.
        self.collects = self.collects.wrapping_add(1);
        let check_age = self.current.items.len() < 16 || self.collects.is_multiple_of(64);
        if check_age && self.current_since.is_some_and(|since| since.elapsed() >= BATCH_MAX_AGE) {
            self.send();
        }
        // A plain load first: the swap takes the flag's cache line from the worker every time,
        // and this runs after every packet while events are ready only once per batch.
        if !self.channel.events_ready.load(Ordering::Relaxed)
            || !self.channel.events_ready.swap(false, Ordering::Acquire)
        {
            return;
        }
        let mut shared = self.channel.lock();
        take_events(&mut shared, events, prepared);
    }

    /// Sends what is left, lets the worker flush every flow, and takes the stages back.
    fn finish(mut self, events: &mut Vec<Event>, prepared: &mut Prepared) -> Stages {
        self.send();
        self.channel.lock().finishing = true;
        self.channel.work.notify_one();
        let mut stages = self.join();
        take_events(&mut self.channel.lock(), events, prepared);
        // The counters of the first layer (and the link types not yet reported) live on with
        // the stages.
        stages.front = std::mem::replace(&mut self.front, Front::new(NetConfig::default()));
        stages
    }

    fn join(&mut self) -> Stages {
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(stages)) => stages,
            // The worker panicked (the panic hook already reported it): carry the panic over
            // to the caller's thread, where the program's handler turns it into an exit code.
            Some(Err(payload)) => std::panic::resume_unwind(payload),
            None => Stages::new(PipelineConfig::default()),
        }
    }

    /// The worker stopped while the reader waited for it: only a panic does that.
    fn fail(&mut self) -> ! {
        let _ = self.join();
        // A worker that returned without finishing is a bug too.
        panic!("the decoding thread stopped early");
    }

    /// The counters of everything fed so far: asked of the worker in order with the packets,
    /// and waited for. (Building them after every batch, for a summary that is only read at
    /// the end, cost the worker a copy of the handshake tallies' names each time.)
    fn summary(&mut self) -> SummaryEvent {
        let slot = Arc::new(Mutex::new(None));
        let filled = Arc::clone(&slot);
        self.send_now(Item::Control(Box::new(move |stages: &mut Stages| {
            if let Ok(mut s) = filled.lock() {
                *s = Some(stages.summary());
            }
        })));
        self.sync();
        let taken = slot.lock().ok().and_then(|mut s| s.take());
        let mut summary = taken.unwrap_or_else(|| Stages::new(PipelineConfig::default()).summary());
        self.front.fill(&mut summary);
        summary
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.channel.lock().abandon = true;
            self.channel.work.notify_one();
            let _ = handle.join();
        }
    }
}

/// Appends the worker's events and prepared bytes to the caller's. Events the worker did not
/// give a span (the last ones, flushed at the end) count as not prepared.
fn take_events(shared: &mut Shared, events: &mut Vec<Event>, prepared: &mut Prepared) {
    prepared.spans.resize(events.len(), None);
    if events.is_empty() {
        std::mem::swap(events, &mut shared.events);
    } else {
        events.append(&mut shared.events);
    }
    prepared.append(&mut shared.prepared);
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
}

impl Pipeline {
    pub fn new(cfg: PipelineConfig) -> Self {
        // The caches are per thread and process-wide: they take their limit from the run.
        crate::budget::set_cache_budget(&cfg.budget);
        let key_log_room = cfg.budget.share(crate::budget::Part::KeyLog);
        let worker = if cfg.parallel { Worker::spawn(&cfg) } else { None };
        let mode = match worker {
            Some(worker) => Mode::Parallel(Box::new(worker)),
            // Asked for one thread, or no thread to be had: decode on this one.
            None => Mode::Inline(Box::new(Stages::new(cfg))),
        };
        Pipeline { mode, events: Vec::new(), prepared: Prepared::default(), key_log_room }
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
    /// it (see [`PipelineConfig::prepare`]), if it did.
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
        let Prepared { spans, bytes } = &mut self.prepared;
        let bytes = &*bytes;
        let mut spans = spans.drain(..);
        self.events.drain(..).map(move |ev| {
            let span = spans.next().flatten();
            (ev, span.and_then(|(start, end)| bytes.get(start..end)))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet/IPv4/TCP frame (checksums zero: they are not checked).
    fn frame(client: u16, from_client: bool, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
        let (c, s) = ([10, 0, (client >> 8) as u8, client as u8], [192, 0, 2, 1]);
        let (src, dst, sport, dport) = if from_client { (c, s, client, 443) } else { (s, c, 443, client) };
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0];
        f.extend_from_slice(&((40 + payload.len()) as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
        f.extend_from_slice(&src);
        f.extend_from_slice(&dst);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&seq.to_be_bytes());
        f.extend_from_slice(&ack.to_be_bytes());
        f.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        f.extend_from_slice(payload);
        f
    }

    /// A TLS 1.2 ClientHello record with one suite and no extensions.
    fn client_hello(n: u8) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend_from_slice(&[n; 32]);
        body.extend_from_slice(&[0, 0, 2, 0xc0, 0x2f, 1, 0]);
        let mut rec = vec![22, 3, 1, 0, (body.len() + 4) as u8, 1, 0, 0, body.len() as u8];
        rec.extend_from_slice(&body);
        rec
    }

    /// Many interleaved connections, each a handshake and a ClientHello, some closed, some not.
    fn packets() -> Vec<(Timestamp, Vec<u8>)> {
        let mut out = Vec::new();
        for i in 0..300u16 {
            let t = |k: u32| Timestamp::new(1_700_000_000 + i64::from(i / 50), u32::from(i) * 1000 + k, 6);
            let isn = u32::from(i) * 1000;
            let hello = client_hello(i as u8);
            out.push((t(0), frame(i, true, isn, 0, 0x02, &[])));
            out.push((t(1), frame(i, false, 7, isn + 1, 0x12, &[])));
            out.push((t(2), frame(i, true, isn + 1, 8, 0x18, &hello)));
            if i % 3 == 0 {
                out.push((t(3), frame(i, true, isn + 1 + hello.len() as u32, 8, 0x11, &[])));
                out.push((t(4), frame(i, false, 8, isn + 2 + hello.len() as u32, 0x11, &[])));
            }
        }
        // An unsupported link type is reported once.
        out.push((Timestamp::new(1_700_000_010, 0, 6), vec![0; 60]));
        out
    }

    /// Runs the packets through a pipeline, collecting events as the command line does (after
    /// every packet), and returns them as JSON lines with the summary last.
    fn run(parallel: bool) -> (Vec<String>, Vec<u32>) {
        let mut p = Pipeline::new(PipelineConfig { parallel, ..PipelineConfig::default() });
        let mut lines = Vec::new();
        let mut links = Vec::new();
        let pkts = packets();
        let last = pkts.len() - 1;
        for (i, (ts, data)) in pkts.iter().enumerate() {
            let linktype = if i == last { 147 } else { 1 };
            p.process(Packet { frame: i as u64 + 1, ts: *ts, linktype, data, orig_len: data.len() as u32 });
            lines.extend(p.drain_events().map(|e| sonic_rs::to_string(&e).unwrap()));
            links.extend(p.take_new_unsupported_links());
        }
        p.finish();
        lines.extend(p.drain_events().map(|e| sonic_rs::to_string(&e).unwrap()));
        links.extend(p.take_new_unsupported_links());
        lines.push(sonic_rs::to_string(&Event::Summary(Box::new(p.summary()))).unwrap());
        (lines, links)
    }

    /// Flows holding partial records past the TLS buffers' share are evicted, least recently
    /// active first, and their end is reported; the buffers never exceed the share.
    #[test]
    fn tls_buffers_stay_within_their_share() {
        let budget = crate::budget::MemoryBudget::new(16 << 20);
        let limit = budget.share(crate::budget::Part::TlsBuffers);
        let mut stages = Stages::new(PipelineConfig { budget, ..PipelineConfig::default() });
        // A ClientHello, then a record announcing 16 KB of which 10 KB arrive: a partial
        // record each.
        let mut partial = client_hello(7);
        partial.extend_from_slice(&[22, 3, 3, 0x40, 0x00]);
        partial.resize(10_000, 0x5a);
        let conns = 1000u16;
        let mut events = Vec::new();
        for i in 0..conns {
            let ts = Timestamp::new(1_700_000_000, u32::from(i) * 1000, 6);
            for (k, f) in [frame(i, true, 100, 0, 0x02, &[]), frame(i, true, 101, 0, 0x18, &partial)].iter().enumerate()
            {
                let pkt = Packet {
                    frame: u64::from(i) * 2 + k as u64 + 1,
                    ts,
                    linktype: 1,
                    data: f,
                    orig_len: f.len() as u32,
                };
                stages.process(pkt);
                assert!(
                    stages.back.conns.shared.tls_buffered <= limit,
                    "{} over {limit}",
                    stages.back.conns.shared.tls_buffered
                );
            }
            events.extend(stages.drain_events().map(|e| serde_json::to_value(&e).unwrap()));
        }
        let summary = stages.summary();
        let evicted = summary.evictions.tls_buffers;
        // Each flow holds at least 10 KB: no more than the share's worth of them stays.
        assert!(evicted >= u64::from(conns) - (limit / 10_000) as u64, "{evicted} evicted");
        assert_eq!(summary.evictions.flows, 0);
        let ends: Vec<&serde_json::Value> = events.iter().filter(|e| e["event"] == "end").collect();
        assert_eq!(ends.len() as u64, evicted);
        assert!(ends.iter().all(|e| e["reason"] == "evicted"));
        // The oldest went first: the first connection is among the evicted, the last is not.
        assert_eq!(ends[0]["conn"], 1);
        assert!(ends.iter().all(|e| e["conn"] != u64::from(conns)));
    }

    #[test]
    fn a_worker_thread_changes_nothing_in_the_output() {
        let (one, one_links) = run(false);
        let (two, two_links) = run(true);
        assert_eq!(one.len(), two.len());
        assert_eq!(one, two);
        assert_eq!(one_links, vec![147]);
        assert_eq!(two_links, vec![147]);
        let summary: serde_json::Value = serde_json::from_str(one.last().unwrap()).unwrap();
        assert_eq!(summary["tls_connections"], 300);
        assert_eq!(summary["messages"], 300);
        assert_eq!(summary["packets"], 300 * 3 + 100 * 2 + 1);
    }

    #[test]
    fn advancing_the_clock_delivers_everything_sent_before() {
        let mut p = Pipeline::new(PipelineConfig { parallel: true, ..PipelineConfig::default() });
        assert!(matches!(p.mode, Mode::Parallel(_)));
        let hello = client_hello(1);
        let ts = Timestamp::new(1_700_000_000, 0, 6);
        for (i, data) in
            [frame(1, true, 99, 0, 0x02, &[]), frame(1, false, 7, 100, 0x12, &[]), frame(1, true, 100, 8, 0x18, &hello)]
                .iter()
                .enumerate()
        {
            p.process(Packet { frame: i as u64 + 1, ts, linktype: 1, data, orig_len: data.len() as u32 });
        }
        // Live capture on an idle wire: the clock moves on and every queued packet is decoded.
        p.advance_clock(Timestamp::new(1_700_000_001, 0, 6));
        let names = event_names(&mut p);
        assert_eq!(names, ["connection", "message"]);
        assert_eq!(p.summary().packets, 3);
        // Past the idle timeout the flow is closed by the clock alone.
        p.advance_clock(Timestamp::new(1_700_001_000, 0, 6));
        let names = event_names(&mut p);
        assert_eq!(names, ["handshake", "end"]);
    }

    /// The `event` field of every event drained so far.
    fn event_names(p: &mut Pipeline) -> Vec<String> {
        p.drain_events().map(|e| serde_json::to_value(&e).unwrap()["event"].as_str().unwrap().to_string()).collect()
    }

    #[test]
    fn dropping_a_running_pipeline_stops_its_worker() {
        let mut p = Pipeline::new(PipelineConfig { parallel: true, ..PipelineConfig::default() });
        for (i, (ts, data)) in packets().iter().take(600).enumerate() {
            p.process(Packet { frame: i as u64 + 1, ts: *ts, linktype: 1, data, orig_len: data.len() as u32 });
        }
        // The reader of the output went away: the pipeline is dropped unfinished.
        drop(p);
    }

    /// Every event of a capture as JSON text, each with the bytes the worker prepared for it.
    /// With `batch_per_packet`, every packet goes to the worker in a batch of its own and the
    /// events are taken only at the end: the worker then adds to events still waiting.
    fn fixture_prepared(name: &str, cfg: PipelineConfig, batch_per_packet: bool) -> Vec<(String, Option<Vec<u8>>)> {
        let path = format!("{}/fixtures/captures/{name}", env!("CARGO_MANIFEST_DIR"));
        let mut source = crate::source::file::FileSource::open(&path).unwrap();
        let mut p = Pipeline::new(cfg);
        let mut out = Vec::new();
        let mut take = |p: &mut Pipeline| {
            for (ev, bytes) in p.drain_prepared() {
                out.push((serde_json::to_string(&ev).unwrap(), bytes.map(<[u8]>::to_vec)));
            }
        };
        while source.next_with(|pkt| p.process(pkt)).unwrap().is_some() {
            if batch_per_packet {
                // A setting that changes nothing, sent at once with the batch before it.
                p.show_data(None);
            } else {
                take(&mut p);
            }
        }
        p.finish();
        take(&mut p);
        out
    }

    /// The bytes the worker prepares for an event are what the preparation makes of it, and
    /// the events are the same as without a preparation, whatever share of them is prepared.
    #[test]
    fn prepared_events_carry_their_own_bytes() {
        let json_line = |ev: &mut Event, out: &mut Vec<u8>| {
            out.extend_from_slice(b"prepared:");
            serde_json::to_writer(out, ev).is_ok()
        };
        for capture in
            ["tls13-hrr.pcap", "tls12-renegotiation-client.pcap", "tls13-resume-psk.pcap", "tls-two-linktypes.pcapng"]
        {
            let plain: Vec<String> =
                fixture_prepared(capture, PipelineConfig::default(), false).into_iter().map(|(json, _)| json).collect();
            for (share, batch_per_packet) in
                [0, 3, SHARE_STEPS / 2, SHARE_STEPS].into_iter().flat_map(|s| [(s, false), (s, true)])
            {
                let prepare = Prepare { work: Arc::new(json_line), fixed_share: Some(share) };
                let cfg = PipelineConfig { parallel: true, prepare: Some(prepare), ..PipelineConfig::default() };
                let got = fixture_prepared(capture, cfg, batch_per_packet);
                let events: Vec<&String> = got.iter().map(|(json, _)| json).collect();
                assert_eq!(events, plain.iter().collect::<Vec<_>>(), "{capture}, share {share}");
                let mut prepared = 0;
                for (json, bytes) in &got {
                    if let Some(bytes) = bytes {
                        assert_eq!(String::from_utf8_lossy(bytes), format!("prepared:{json}"), "{capture}");
                        prepared += 1;
                    }
                }
                // The last events (those of the flows flushed at the end) are never prepared.
                let most = got.len() * share as usize / SHARE_STEPS as usize;
                assert!(prepared <= most, "{capture}, share {share}: {prepared} of {}", got.len());
                assert!(share == 0 || prepared * 3 >= most, "{capture}, share {share}: {prepared} of {}", got.len());
            }
        }
    }

    /// Every event of a fixture capture, as JSON values, decoded with `cfg`.
    fn fixture_events(name: &str, cfg: PipelineConfig) -> Vec<serde_json::Value> {
        let path = format!("{}/fixtures/captures/{name}", env!("CARGO_MANIFEST_DIR"));
        let mut source = crate::source::file::FileSource::open(&path).unwrap();
        let mut p = Pipeline::new(cfg);
        let mut out = Vec::new();
        while source.next_with(|pkt| p.process(pkt)).unwrap().is_some() {
            out.extend(p.drain_events().map(|e| serde_json::to_value(&e).unwrap()));
        }
        p.finish();
        out.extend(p.drain_events().map(|e| serde_json::to_value(&e).unwrap()));
        out
    }

    #[test]
    fn skipping_roles_and_fingerprints_changes_nothing_else() {
        for capture in ["tls13-hrr.pcap", "tls12-resume-ticket.pcap", "tls12-alert-unknown-ca.pcap"] {
            let full = fixture_events(capture, PipelineConfig { fingerprints: true, ..PipelineConfig::default() });
            let lean = fixture_events(capture, PipelineConfig { skip_roles: true, ..PipelineConfig::default() });
            assert_eq!(full.len(), lean.len(), "{capture}");
            let mut roles = 0;
            for (mut f, l) in full.into_iter().zip(lean) {
                if let Some(obj) = f.as_object_mut() {
                    obj.remove("fingerprints");
                    if let Some(role) = obj.get_mut("role") {
                        assert!(!role.as_str().unwrap().is_empty(), "{capture}: every message has a role");
                        roles += 1;
                        *role = serde_json::Value::String(String::new());
                    }
                }
                assert_eq!(f, l, "{capture}");
            }
            assert!(roles > 5, "{capture}: only {roles} messages");
        }
    }
}
