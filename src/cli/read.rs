//! `tlstrace read`: a capture file (or stdin) traced from start to end.

use super::args::ReadArgs;
use super::certs::{finish_certificates, start_certificates};
use super::keylog::{KeyLogPieces, KeyLogWriter, for_each_embedded_secrets, load_key_log, report_rsa_keys};
use super::output::{Stop, deliver, make_sink, pipeline_for, write_summary};
use super::{exit, exit_code, warn};
use crate::output::Sink;
use crate::pipeline::Pipeline;
use crate::source::file::{FileSource, SourceError};
use crate::tui::SharedProgress;
use crate::tui::frames::FrameRing;
use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub(super) fn run(args: &ReadArgs) -> i32 {
    if args.output.tui {
        return super::tui::read(args);
    }
    let trust = match super::trust::trust_store(&args.trust) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let mut source = match FileSource::open(&args.file) {
        Ok(s) => s,
        Err(e) => {
            warn(&e.to_string());
            return if e.is_damage() { exit::DAMAGED } else { exit::INPUT };
        }
    };
    let keylog_failed = std::sync::Arc::new(AtomicBool::new(false));
    let mut sink = make_sink(&args.output);
    if let Some(path) = &args.keys.write_keylog {
        match KeyLogWriter::create(sink, path, keylog_failed.clone()) {
            Ok(w) => sink = Box::new(w),
            Err(e) => {
                warn(&e);
                return exit::OUTPUT;
            }
        }
    }
    let budget = args.limits.memory_limit;
    let mut pipeline = pipeline_for(sink.as_ref(), decode_in_parallel(args.threads), budget);
    if let Some(store) = trust {
        pipeline.set_trust(store);
    }
    if let Err(e) = load_key_log(&mut pipeline, &args.keys, budget) {
        warn(&e);
        return exit::INPUT;
    }
    let certs_unusable = start_certificates(&mut pipeline, args.output.certs.as_deref());
    let mut embedded = KeyLogPieces::embedded(budget);
    if args.file != "-" && is_pcapng(&args.file) {
        // Decryption Secrets Blocks may come after the packets they decrypt (a live capture
        // writes them as the key log grows): collect them all before tracing, one at a time.
        for_each_embedded_secrets(&args.file, |text| embedded.add(&mut pipeline, text));
    }
    let mut input_error = None;
    let mut certs_failed = false;
    let written =
        trace(&mut source, &mut pipeline, sink.as_mut(), args, &mut embedded, &mut input_error, &Hooks::default())
            .and_then(|()| {
                let mut summary = pipeline.summary();
                summary.input_error = input_error.as_ref().map(|e| e.to_string());
                certs_failed = finish_certificates(&mut summary, certs_unusable);
                report_rsa_keys(&summary);
                write_summary(sink.as_mut(), args.output.json, summary)
            });
    let lost = certs_failed || keylog_failed.load(Ordering::Relaxed);
    exit_code(written, input_error.map(|e| e.to_string()), lost)
}

/// Whether to decode on a second thread: asked for, or two CPUs to run on.
pub(super) fn decode_in_parallel(threads: Option<u8>) -> bool {
    match threads {
        Some(n) => n >= 2,
        None => std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2),
    }
}

/// What the explorer (`--tui`) asks of a trace besides its events: to stop when it quits, to
/// keep the frames of an input that cannot be read twice, and the progress for its status line
/// (instead of the progress bar on stderr).
#[derive(Default)]
pub(super) struct Hooks<'a> {
    pub stop: Option<&'a AtomicBool>,
    pub keep: Option<&'a Mutex<FrameRing>>,
    pub progress: Option<&'a SharedProgress>,
}

/// Every packet of the capture through the pipeline and its events to the sink, until the end
/// of the input or the damage that stops it (`input_error`).
pub(super) fn trace(
    source: &mut FileSource,
    pipeline: &mut Pipeline,
    sink: &mut dyn Sink,
    args: &ReadArgs,
    embedded: &mut KeyLogPieces,
    input_error: &mut Option<SourceError>,
    hooks: &Hooks<'_>,
) -> Result<(), Stop> {
    let flush_each = io::stdout().is_terminal();
    let total = source.total_bytes().filter(|_| !source.is_compressed());
    let mut progress = Progress::new(total.filter(|_| hooks.progress.is_none()));
    if let (Some(shared), Some(total)) = (hooks.progress, total) {
        shared.total.store(total, Ordering::Relaxed);
    }
    loop {
        if hooks.stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            return Ok(());
        }
        let keep = hooks.keep;
        let step = source.next_with(|pkt| {
            if let Some(ring) = keep
                && let Ok(mut ring) = ring.lock()
            {
                ring.push(&pkt);
            }
            pipeline.process(pkt)
        });
        match step {
            Ok(Some(())) => {
                // Key logs embedded in the capture (pcapng Decryption Secrets Blocks), when
                // they could not be collected ahead (stdin).
                for text in source.take_secrets() {
                    if args.file == "-" {
                        embedded.add(pipeline, &text);
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                *input_error = Some(e);
                break;
            }
        }
        deliver(pipeline, sink)?;
        if flush_each {
            sink.flush()?;
        }
        progress.update(source.bytes_read());
        if let Some(shared) = hooks.progress {
            shared.bytes.store(source.bytes_read(), Ordering::Relaxed);
            shared.packets.store(source.frames(), Ordering::Relaxed);
            if let Some(Ok(ring)) = hooks.keep.map(Mutex::lock) {
                shared.frames_dropped.store(ring.dropped, Ordering::Relaxed);
            }
        }
    }
    progress.clear();
    pipeline.finish();
    deliver(pipeline, sink)
}

/// The file (gzip or not) starts with a pcapng Section Header Block.
pub(super) fn is_pcapng(path: &str) -> bool {
    use std::io::Read;
    let Ok(file) = std::fs::File::open(path) else { return false };
    let mut head = [0u8; 4];
    let mut raw = io::BufReader::new(file);
    let Ok(buf) = io::BufRead::fill_buf(&mut raw) else { return false };
    let ok = if buf.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(raw).read_exact(&mut head).is_ok()
    } else {
        raw.read_exact(&mut head).is_ok()
    };
    ok && head == [0x0a, 0x0d, 0x0d, 0x0a]
}

/// A progress line on stderr for large files, when stderr is a terminal.
struct Progress {
    total: Option<u64>,
    last: Instant,
    shown: bool,
}

impl Progress {
    fn new(total: Option<u64>) -> Self {
        let total = total.filter(|t| *t > (8 << 20) && io::stderr().is_terminal());
        Progress { total, last: Instant::now(), shown: false }
    }

    fn update(&mut self, done: u64) {
        let Some(total) = self.total else { return };
        if self.last.elapsed() < Duration::from_millis(250) {
            return;
        }
        self.last = Instant::now();
        self.shown = true;
        let pct = (done as f64 / total as f64 * 100.0).min(100.0);
        let width = 30usize;
        let filled = ((pct / 100.0) * width as f64) as usize;
        let bar: String = "#".repeat(filled) + &" ".repeat(width - filled.min(width));
        let _ = write!(io::stderr(), "\r[{bar}] {pct:5.1}% {} / {} MB", done >> 20, total >> 20);
    }

    fn clear(&mut self) {
        if self.shown {
            let _ = write!(io::stderr(), "\r{}\r", " ".repeat(60));
        }
    }
}
