//! The decoding thread: the reader queues batches of TCP segments (decoded down to TCP by
//! its own [`Front`]), the worker runs the rest of the layers on them and hands back the
//! events, and the bytes it prepared for some of them, in order.

use crate::conn::PacketContext;
use crate::conn::events::{Event, SummaryEvent};
use crate::net::{NetConfig, TcpFlags, TcpSegment};
use crate::output::{Needs, Prepare};
use crate::source::Packet;
use crate::time::Timestamp;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::balance::{Balance, thread_cpu_time};
use super::prepared::Prepared;
use super::stages::{Front, Stages, Transport};
use super::{PipelineConfig, complete};

/// Packets per batch handed to the worker, and the bytes after which a batch goes anyway.
const BATCH_PACKETS: usize = 256;
const BATCH_BYTES: usize = 256 << 10;
/// Batches queued for the worker at most: the memory in flight stays near 1 MiB, and a
/// worker that falls behind holds the reader back.
const QUEUE_BATCHES: usize = 4;
/// A partial batch older than this is sent when events are collected, so live capture on a
/// slow link still shows each handshake promptly.
const BATCH_MAX_AGE: Duration = Duration::from_millis(20);

/// One TCP segment in a batch, decoded by the reader's [`Front`]: its payload is
/// `data[offset..offset + len]`.
#[derive(Clone, Copy)]
pub(super) struct SegmentMeta {
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

/// A change of the decoder's settings, applied in order with the packets around it.
pub(super) type Control = Box<dyn FnOnce(&mut Stages) + Send>;

/// One UDP datagram in a batch: its payload is `data[offset..offset + len]`.
#[derive(Clone, Copy)]
pub(super) struct DatagramMeta {
    ctx: PacketContext,
    src: std::net::SocketAddr,
    dst: std::net::SocketAddr,
    offset: usize,
    len: usize,
}

pub(super) enum Item {
    Segment(SegmentMeta),
    Datagram(DatagramMeta),
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
    /// The reader's CPU time when it last queued a batch (kept only when the worker prepares events).
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

pub(super) struct Channel {
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
    /// Whether the worker thread has ended (tests).
    #[cfg(test)]
    pub(super) fn worker_gone(&self) -> bool {
        self.worker_gone.load(Ordering::SeqCst)
    }

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

pub(super) struct Worker {
    /// The first layer runs here, on the reader's thread (see the module documentation).
    pub(super) front: Front,
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

/// The decoding thread's loop: batches in, events (and the bytes prepared for some of them)
/// out, until the reader finishes or goes away.
fn work(channel: &Channel, mut stages: Stages, needs: Needs, fixed_share: Option<u32>) -> Stages {
    let mut events = Vec::new();
    let mut prepared = Prepared::default();
    let mut balance = Balance::new(fixed_share);
    let fixed = fixed_share.is_some();
    let prepare = needs.prepare;
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
        decode(&mut stages, &mut batch);
        events.extend(stages.drain_events());
        if let Some(prepare) = prepare {
            prepare_share(&mut events, &mut prepared, &mut balance, &needs, prepare);
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

/// Runs a batch's packets and orders through the stages.
fn decode(stages: &mut Stages, batch: &mut Batch) {
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
            Item::Datagram(m) => {
                let payload = batch.data.get(m.offset..m.offset.saturating_add(m.len)).unwrap_or_default();
                let d = crate::net::UdpDatagram { src: m.src, dst: m.dst, payload };
                stages.back.datagram(&d, m.ctx);
            }
            Item::Other(ctx) => stages.back.packet(None, ctx),
            Item::Clock(now) => stages.back.advance_clock(now),
            Item::Control(change) => change(stages),
        }
    }
}

/// Prepares the events `balance` picks: each one is completed as the output needs it, then
/// gets the bytes the output will write for it.
fn prepare_share(
    events: &mut [Event],
    prepared: &mut Prepared,
    balance: &mut Balance,
    needs: &Needs,
    prepare: Prepare,
) {
    for ev in events {
        let start = prepared.bytes.len();
        let done = balance.take_next() && {
            complete(ev, needs);
            prepare(ev, &mut prepared.bytes)
        };
        if !done {
            prepared.bytes.truncate(start);
        }
        prepared.spans.push(done.then_some((start, prepared.bytes.len())));
    }
}

impl Worker {
    /// What the two threads share (tests watch the worker stop through it).
    #[cfg(test)]
    pub(super) fn channel(&self) -> Arc<Channel> {
        Arc::clone(&self.channel)
    }

    /// Starts the decoding thread; `None` if the system has no thread to give.
    pub(super) fn spawn(cfg: &PipelineConfig) -> Option<Worker> {
        let channel = Arc::new(Channel {
            shared: Mutex::new(Shared::default()),
            progress: Condvar::new(),
            work: Condvar::new(),
            worker_gone: AtomicBool::new(false),
            events_ready: AtomicBool::new(false),
        });
        let stages = Stages::new(cfg.clone());
        let (needs, fixed_share, background) = (cfg.output, cfg.prepare_share, cfg.background);
        let ch = Arc::clone(&channel);
        let handle = std::thread::Builder::new()
            .name("tlstrace-decode".into())
            .spawn(move || {
                if background {
                    super::run_in_background();
                }
                let _gone = GoneOnDrop(Arc::clone(&ch));
                work(&ch, stages, needs, fixed_share)
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
            balanced: cfg.output.prepare.is_some(),
        })
    }

    pub(super) fn push(&mut self, pkt: Packet<'_>) {
        let ctx = PacketContext { ts: pkt.ts, frame: pkt.frame };
        let item = match self.front.decode(&pkt) {
            Some(Transport::Udp(d)) => {
                let offset = self.current.data.len();
                self.current.data.extend_from_slice(d.payload);
                Item::Datagram(DatagramMeta { ctx, src: d.src, dst: d.dst, offset, len: d.payload.len() })
            }
            Some(Transport::Tcp(seg)) => {
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
    pub(super) fn send_now(&mut self, item: Item) {
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
    pub(super) fn sync(&mut self) {
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
    pub(super) fn collect(&mut self, events: &mut Vec<Event>, prepared: &mut Prepared) {
        // The caller collects after every packet, too often to read the clock each time. A
        // batch still filling slowly (a trickling pipe) is a few packets, and for those the age
        // is checked every time; a fuller one every 64 packets, which at any rate that fills 16
        // packets in 20 ms is soon enough.
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
    pub(super) fn finish(mut self, events: &mut Vec<Event>, prepared: &mut Prepared) -> Stages {
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
    /// and waited for (not built after every batch: the summary is read only at the end).
    pub(super) fn summary(&mut self) -> SummaryEvent {
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
