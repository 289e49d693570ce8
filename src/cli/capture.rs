//! `tlstrace capture`: live capture from an interface, until a signal, `--count` or
//! `--duration`, optionally written to a pcapng file (`-w`) and decrypted with a key log that a
//! browser is still writing.

use super::args::CaptureArgs;
use super::certs::{finish_certificates, start_certificates};
use super::keylog::KeyLogTail;
use super::output::{Stop, deliver, make_sink, pipeline_for, write_summary};
use super::{exit, exit_code, warn};
use crate::conn::events::KernelCounters;
use crate::output::Sink;
use crate::pipeline::Pipeline;
use crate::source::live::{self, CaptureConfig, LiveError, LiveSource, wall_clock};
use crate::source::pcapng_writer::PcapngWriter;
use crate::tui::frames::{FrameRing, PacketOrigin};
use crate::tui::{SharedProgress, TuiSink};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Frames read from the socket before events are delivered and the output flushed.
const CAPTURE_BATCH: usize = 64;

pub(super) fn run(args: &CaptureArgs) -> i32 {
    if args.list {
        return list_interfaces(args.output.json);
    }
    let Some(interface) = args.interface.clone() else {
        warn("capture needs an interface (see --list)");
        return exit::USAGE;
    };
    if args.output.tui && !std::io::IsTerminal::is_terminal(&io::stdout()) {
        return super::tui::not_a_terminal();
    }
    let trust = match super::trust::trust_store(&args.trust) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let cfg =
        CaptureConfig { interface, promiscuous: !args.no_promisc, snaplen: args.snaplen, filter: capture_filter(args) };
    let source = match open_source(&cfg) {
        Ok(source) => source,
        Err(code) => return code,
    };
    let file = WriteFile::open(args, &source);
    let stop = stop_on_signals();
    warn(&format!(
        "capturing on {} ({}), {}; Ctrl-C stops",
        crate::escape::controls(source.interface()),
        live::linktype_name(source.linktype()),
        describe_filter(&cfg.filter)
    ));
    if args.output.tui {
        return run_tui(args, source, file, stop, trust);
    }
    let keylog_failed = Arc::new(AtomicBool::new(false));
    let mut sink = make_sink(&args.output);
    if let Some(path) = &args.keys.write_keylog {
        match super::keylog::KeyLogWriter::create(sink, path, keylog_failed.clone()) {
            Ok(w) => sink = Box::new(w),
            Err(e) => {
                warn(&e);
                return exit::OUTPUT;
            }
        }
    }
    let mut pipeline = pipeline_for(sink.as_ref(), false, args.limits.memory_limit);
    if let Some(store) = trust {
        pipeline.set_trust(store);
    }
    pipeline.show_data(args.keys.show_data);
    if let Err(e) = super::keylog::load_server_keys(&mut pipeline, &args.keys) {
        warn(&e);
        return exit::INPUT;
    }
    let certs_unusable = start_certificates(&mut pipeline, args.output.certs.as_deref());
    // A key log that a running browser is still writing is followed as it grows.
    let follower = args.keys.path().map(|path| KeyLogTail::new(path, args.limits.memory_limit));
    pipeline.wait_for_keys(follower.is_some());
    let mut live = Live {
        args,
        source,
        pipeline,
        sink,
        file,
        follower,
        packets: 0,
        capture_error: None,
        hooks: LiveHooks::default(),
    };

    let mut certs_failed = false;
    let written = live.capture(&stop).and_then(|()| {
        let kernel = live.source.kernel_stats();
        let mut summary = live.pipeline.summary();
        summary.kernel = Some(KernelCounters { packets_received: kernel.received, packets_dropped: kernel.dropped });
        summary.input_error = live.capture_error.as_ref().map(|e| e.to_string());
        certs_failed = finish_certificates(&mut summary, certs_unusable);
        super::keylog::report_rsa_keys(&summary);
        write_summary(live.sink.as_mut(), args.output.json, summary)
    });
    let file_failed = live.file.close() || keylog_failed.load(Ordering::Relaxed);
    exit_code(written, live.capture_error.map(|e| e.to_string()), file_failed || certs_failed)
}

/// Opens the capture socket; on failure, says why and returns the exit code.
fn open_source(cfg: &CaptureConfig) -> Result<LiveSource, i32> {
    LiveSource::open(cfg).map_err(|e| match e {
        LiveError::Permission => {
            warn(
                "capturing needs root or CAP_NET_RAW; grant it with: \
                 sudo setcap cap_net_raw,cap_net_admin+ep $(which tlstrace)",
            );
            exit::PERMISSION
        }
        LiveError::NoInterface { name, available } => {
            let available: Vec<_> = available.iter().map(|n| crate::escape::controls(n)).collect();
            warn(&format!(
                "no such interface '{}'; interfaces: {}",
                crate::escape::controls(&name),
                available.join(", ")
            ));
            exit::NO_INTERFACE
        }
        e @ LiveError::Down { .. } => {
            warn(&e.to_string());
            exit::NO_INTERFACE
        }
        e @ LiveError::Filter(_) => {
            warn(&e.to_string());
            exit::USAGE
        }
        e => {
            warn(&e.to_string());
            exit::INPUT
        }
    })
}

/// The first SIGINT or SIGTERM asks for a clean stop (the flag); a second one, while stopping,
/// quits at once.
fn stop_on_signals() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let registered = signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&stop))
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&stop)));
        if let Err(e) = registered {
            warn(&format!("cannot handle signal {signal}: {e}"));
        }
    }
    stop
}

type PcapngFile = PcapngWriter<io::BufWriter<std::fs::File>>;

/// `-w FILE`: a file that cannot be created or written is reported at once; the capture goes
/// on without it and ends with exit 7.
struct WriteFile {
    /// The writer and the id of its one interface, while the file can be written.
    writer: Option<(PcapngFile, u32)>,
    failed: bool,
    /// The file's name as warnings show it.
    shown: String,
}

impl WriteFile {
    fn open(args: &CaptureArgs, source: &LiveSource) -> WriteFile {
        let shown = args.write.as_deref().map(crate::escape::path).unwrap_or_default();
        let mut file = WriteFile { writer: None, failed: false, shown };
        let Some(path) = &args.write else { return file };
        let opened = std::fs::File::create(path).and_then(|f| {
            let app = concat!("tlstrace ", env!("CARGO_PKG_VERSION"));
            let mut w = PcapngWriter::new(io::BufWriter::with_capacity(1 << 20, f), app, args.snaplen)?;
            let id = w.interface(source.linktype(), source.interface())?;
            w.flush()?;
            Ok((w, id))
        });
        match opened {
            Ok(w) => file.writer = Some(w),
            Err(e) => file.give_up(&e),
        }
        file
    }

    fn packet(&mut self, pkt: &crate::source::Packet<'_>) -> io::Result<()> {
        match self.writer.as_mut() {
            Some((w, id)) => w.write_packet(*id, pkt.ts, pkt.data, pkt.orig_len),
            None => Ok(()),
        }
    }

    fn pcapng(&mut self) -> Option<&mut PcapngFile> {
        self.writer.as_mut().map(|(w, _)| w)
    }

    fn flush(&mut self) {
        if let Some((w, _)) = self.writer.as_mut()
            && let Err(e) = w.flush()
        {
            self.give_up(&e);
        }
    }

    /// The file failed: one warning, and the capture goes on without writing it.
    fn give_up(&mut self, e: &io::Error) {
        warn(&format!("cannot write {}: {e}; the capture goes on without it", self.shown));
        self.writer = None;
        self.failed = true;
    }

    /// Writes what is left; true when the file lost anything.
    fn close(self) -> bool {
        if let Some((w, _)) = self.writer
            && let Err(e) = w.into_inner()
        {
            warn(&format!("cannot write {}: {e}", self.shown));
            return true;
        }
        self.failed
    }
}

/// One capture under way.
struct Live<'a> {
    args: &'a CaptureArgs,
    source: LiveSource,
    pipeline: Pipeline,
    sink: Box<dyn Sink + Send>,
    file: WriteFile,
    follower: Option<KeyLogTail>,
    packets: u64,
    /// The socket failed: the capture ended there.
    capture_error: Option<LiveError>,
    hooks: LiveHooks,
}

/// What the explorer (`--tui`) asks of a capture besides its events: the frames kept for the
/// detail of connections, and the counters of its status line.
#[derive(Default)]
struct LiveHooks {
    keep: Option<Arc<Mutex<FrameRing>>>,
    progress: Option<Arc<SharedProgress>>,
}

/// `capture --tui`: the capture on a thread of its own, the explorer on this one; the explorer
/// quitting (or a signal) stops the capture.
fn run_tui(
    args: &CaptureArgs,
    source: LiveSource,
    file: WriteFile,
    stop: Arc<AtomicBool>,
    trust: Option<Arc<crate::certs::TrustStore>>,
) -> i32 {
    let (tx, rx) = std::sync::mpsc::channel();
    let keylog_failed = Arc::new(AtomicBool::new(false));
    let mut sink: Box<dyn Sink + Send> = Box::new(TuiSink::new(tx.clone(), Arc::clone(&stop)));
    if let Some(path) = &args.keys.write_keylog {
        match super::keylog::KeyLogWriter::create(sink, path, keylog_failed.clone()) {
            Ok(w) => sink = Box::new(w),
            Err(e) => {
                warn(&e);
                return exit::OUTPUT;
            }
        }
    }
    let budget = args.limits.memory_limit;
    let mut pipeline = pipeline_for(sink.as_ref(), false, budget);
    if let Some(store) = trust {
        pipeline.set_trust(store);
    }
    pipeline.show_data(args.keys.show_data);
    let rsa_keys = match super::keylog::read_server_keys(&args.keys) {
        Ok(keys) => keys,
        Err(e) => {
            warn(&e);
            return exit::INPUT;
        }
    };
    pipeline.secrets_out(args.keys.show_secrets, args.keys.write_keylog.is_some());
    for key in &rsa_keys {
        pipeline.add_rsa_key(key.clone());
    }
    let certs_unusable = start_certificates(&mut pipeline, args.output.certs.as_deref());
    let follower = args.keys.path().map(|path| KeyLogTail::new(path, budget));
    pipeline.wait_for_keys(follower.is_some());
    let ring = Arc::new(Mutex::new(FrameRing::new(super::tui::kept_frames_limit(budget))));
    let progress = Arc::new(SharedProgress::default());
    progress.dropped.store(0, Ordering::Relaxed);
    let hooks = LiveHooks { keep: Some(Arc::clone(&ring)), progress: Some(Arc::clone(&progress)) };
    let mut live = Live { args, source, pipeline, sink, file, follower, packets: 0, capture_error: None, hooks };
    let warnings = super::tui::WarningsToExplorer::start(tx);
    let session = crate::tui::Session {
        updates: rx,
        origin: PacketOrigin::Kept(ring),
        keys: crate::tui::detail::Keys {
            file: args.keys.path(),
            embedded: Arc::default(),
            rsa: rsa_keys,
            show_secrets: args.keys.show_secrets,
        },
        live: true,
        color: super::tui::colors_on(&args.output),
        ascii: !crate::tui::locale_is_utf8(),
        progress,
        quit: Arc::clone(&stop),
        export_dir: std::path::PathBuf::from("."),
        filter: super::tui::initial_filter(&args.output),
    };
    let (ui, traced) = std::thread::scope(|scope| {
        let capture = scope.spawn(|| {
            let mut certs_failed = false;
            let written = live.capture(&stop).and_then(|()| {
                let kernel = live.source.kernel_stats();
                let mut summary = live.pipeline.summary();
                summary.kernel =
                    Some(KernelCounters { packets_received: kernel.received, packets_dropped: kernel.dropped });
                summary.input_error = live.capture_error.as_ref().map(|e| e.to_string());
                certs_failed = finish_certificates(&mut summary, certs_unusable);
                super::keylog::report_rsa_keys(&summary);
                write_summary(live.sink.as_mut(), true, summary)
            });
            let file_failed = live.file.close() || keylog_failed.load(Ordering::Relaxed);
            (written, live.capture_error.map(|e| e.to_string()), file_failed || certs_failed)
        });
        let ui = crate::tui::run(session);
        stop.store(true, Ordering::SeqCst);
        (ui, capture.join())
    });
    drop(warnings);
    super::tui::finish(ui, traced)
}

impl Live<'_> {
    /// Captures until a stop, then flushes the pipeline and delivers its last events.
    fn capture(&mut self, stop: &AtomicBool) -> Result<(), Stop> {
        let started = Instant::now();
        let mut stats_read = Instant::now();
        while !stop.load(Ordering::SeqCst)
            && self.args.duration.is_none_or(|d| started.elapsed() < d)
            && self.args.count.is_none_or(|n| self.packets < n)
        {
            let Some(batch) = self.read_batch() else { break };
            self.follow_key_log();
            if batch == 0 {
                // Idle: let capture time move on so quiet flows still expire.
                self.pipeline.advance_clock(wall_clock());
                self.pipeline.release_held_records(wall_clock());
            } else {
                self.file.flush();
            }
            deliver(&mut self.pipeline, self.sink.as_mut())?;
            self.sink.flush()?;
            // The kernel's counters are 32-bit and reset on read: fold them in every second.
            if stats_read.elapsed() >= Duration::from_secs(1) {
                let kernel = self.source.kernel_stats();
                stats_read = Instant::now();
                if let Some(p) = &self.hooks.progress {
                    p.dropped.store(kernel.dropped, Ordering::Relaxed);
                }
            }
            if let Some(p) = &self.hooks.progress {
                p.packets.store(self.packets, Ordering::Relaxed);
                if let Some(Ok(ring)) = self.hooks.keep.as_deref().map(Mutex::lock) {
                    p.frames_dropped.store(ring.dropped, Ordering::Relaxed);
                }
            }
        }
        // Secrets written just before the stop still count.
        if let Some(tail) = self.follower.as_mut()
            && let Err(e) = tail.feed(&mut self.pipeline, self.file.pcapng())
        {
            self.file.give_up(&e);
        }
        self.pipeline.finish();
        deliver(&mut self.pipeline, self.sink.as_mut())
    }

    /// Up to [`CAPTURE_BATCH`] frames into the pipeline (and the `-w` file), waiting only for
    /// the first: how many, or None when the socket failed.
    fn read_batch(&mut self) -> Option<usize> {
        let mut batch = 0usize;
        while batch < CAPTURE_BATCH && self.args.count.is_none_or(|n| self.packets < n) {
            let (pipeline, file, keep) = (&mut self.pipeline, &mut self.file, self.hooks.keep.as_deref());
            let got = self.source.next_with(batch == 0, |pkt| {
                if let Some(Ok(mut ring)) = keep.map(Mutex::lock) {
                    ring.push(&pkt);
                }
                let written = file.packet(&pkt);
                pipeline.process(pkt);
                written
            });
            match got {
                Ok(Some(written)) => {
                    batch += 1;
                    self.packets += 1;
                    if let Err(e) = written {
                        self.file.give_up(&e);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    self.capture_error = Some(e);
                    return None;
                }
            }
        }
        Some(batch)
    }

    /// New key log lines to the pipeline (and the `-w` file), records waiting for them
    /// released. Checked before every batch (a size check when nothing changed): a browser
    /// writes a connection's secrets at the moment its encrypted records cross the wire.
    fn follow_key_log(&mut self) {
        let Some(tail) = self.follower.as_mut() else { return };
        match tail.feed(&mut self.pipeline, self.file.pcapng()) {
            Ok(true) => self.pipeline.release_held_records(wall_clock()),
            Ok(false) => {}
            Err(e) => {
                // The lines reached the pipeline; only the file lost them.
                self.file.give_up(&e);
                self.pipeline.release_held_records(wall_clock());
            }
        }
    }
}

/// `--port`/`--host` as a kernel filter.
fn capture_filter(args: &CaptureArgs) -> crate::source::live::bpf::FilterSpec {
    let mut ports = args.output.ports.clone();
    ports.sort_unstable();
    ports.dedup();
    let mut hosts = args.output.hosts.clone();
    hosts.sort_unstable();
    hosts.dedup();
    crate::source::live::bpf::FilterSpec { ports, hosts }
}

/// The filter in tcpdump's words, for the "capturing on" line.
fn describe_filter(f: &crate::source::live::bpf::FilterSpec) -> String {
    if f.is_empty() {
        return "no filter".to_string();
    }
    // The kernel filter keeps UDP too (QUIC): see source::live::bpf.
    let mut terms = vec!["(tcp or udp)".to_string()];
    let any_of = |items: Vec<String>, word: &str| {
        let joined = items.iter().map(|i| format!("{word} {i}")).collect::<Vec<_>>().join(" or ");
        if items.len() > 1 { format!("({joined})") } else { joined }
    };
    if !f.ports.is_empty() {
        terms.push(any_of(f.ports.iter().map(u16::to_string).collect(), "port"));
    }
    if !f.hosts.is_empty() {
        terms.push(any_of(f.hosts.iter().map(|h| h.to_string()).collect(), "host"));
    }
    format!("filter: {}", terms.join(" and "))
}

fn list_interfaces(json: bool) -> i32 {
    let mut out = io::stdout().lock();
    for i in live::interfaces() {
        let state = match (i.up, i.running) {
            (true, true) => "up",
            (true, false) => "no-carrier",
            _ => "down",
        };
        let line = if json {
            #[derive(serde::Serialize)]
            struct Line<'a> {
                interface: &'a str,
                index: u32,
                state: &'a str,
                loopback: bool,
                linktype: u32,
                linktype_name: &'a str,
                addresses: &'a [String],
            }
            serde_json::to_string(&Line {
                interface: &i.name,
                index: i.index,
                state,
                loopback: i.loopback,
                linktype: i.linktype,
                linktype_name: live::linktype_name(i.linktype),
                addresses: &i.addresses,
            })
            .unwrap_or_default()
        } else {
            let addresses = if i.name == live::ANY { "(all interfaces)".to_string() } else { i.addresses.join(" ") };
            let link = format!("{} ({})", live::linktype_name(i.linktype), i.linktype);
            format!("{:<16} {:<10} {:<17} {}", i.name, state, link, addresses).trim_end().to_string()
        };
        if let Err(e) = writeln!(out, "{line}") {
            return exit_code(Err(Stop::from(e)), None, false);
        }
    }
    exit::OK
}
