//! `read --tui` and `capture --tui`: the same setup and trace as the text and JSON views, with
//! the explorer's sink, the trace on a thread of its own and the explorer on this one. Errors
//! that end the trace are said after the terminal is restored, with the usual exit codes.

use super::args::{OutputArgs, ReadArgs};
use super::certs::{finish_certificates, start_certificates};
use super::keylog::{KeyLogPieces, for_each_embedded_secrets, load_key_log};
use super::output::{Stop, write_summary};
use super::read::{Hooks, decode_in_parallel, is_pcapng, trace};
use super::{exit, exit_code, warn};
use crate::output::Sink;
use crate::source::file::FileSource;
use crate::tui::detail::Keys;
use crate::tui::frames::{FrameRing, PacketOrigin};
use crate::tui::{Session, SharedProgress, TuiSink, Update};
use std::io::{self, IsTerminal};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};

/// The explorer draws on standard output: it must be a terminal.
fn check_terminal() -> Result<(), i32> {
    if io::stdout().is_terminal() { Ok(()) } else { Err(not_a_terminal()) }
}

/// Says why `--tui` cannot run; returns its exit code.
pub(super) fn not_a_terminal() -> i32 {
    warn("--tui needs a terminal: standard output is not one (use --json or the text view to write to a file or pipe)");
    exit::USAGE
}

/// The command line's filters as the explorer's first filter line.
pub(super) fn initial_filter(out: &OutputArgs) -> String {
    let mut words = Vec::new();
    words.extend(out.hosts.iter().map(|h| format!("host:{h}")));
    words.extend(out.ports.iter().map(|p| format!("port:{p}")));
    words.extend(out.snis.iter().map(|s| format!("sni:{s}")));
    words.extend(out.ja3.iter().map(|s| format!("ja3:{s}")));
    words.extend(out.ja4.iter().map(|s| format!("ja4:{s}")));
    if out.failed {
        words.push("failed".into());
    }
    words.join(" ")
}

/// Colors as the text view decides them (`--color`, `NO_COLOR`).
pub(super) fn colors_on(out: &OutputArgs) -> bool {
    match out.color {
        super::ColorChoice::Always => true,
        super::ColorChoice::Never => false,
        super::ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

/// Frames kept in memory for inputs that cannot be read twice: a quarter of `--memory-limit`.
pub(super) fn kept_frames_limit(budget: crate::budget::MemoryBudget) -> usize {
    budget.total() / 4
}

/// While the explorer runs, warnings go to its status line (stderr would write over it) and are
/// printed again once the terminal is restored.
pub(super) struct WarningsToExplorer;

impl WarningsToExplorer {
    pub(super) fn start(tx: Sender<Update>) -> Self {
        super::redirect_warnings(Some(Box::new(move |msg: &str| {
            let _ = tx.send(Update::Warning(msg.to_string()));
        })));
        WarningsToExplorer
    }
}

impl Drop for WarningsToExplorer {
    fn drop(&mut self) {
        super::redirect_warnings(None);
    }
}

/// SIGTERM ends the explorer cleanly (the terminal restored) through `quit`.
pub(super) fn quit_on_sigterm(quit: &Arc<AtomicBool>) {
    if let Err(e) = signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(quit)) {
        warn(&format!("cannot handle SIGTERM: {e}"));
    }
}

pub(super) fn read(args: &ReadArgs) -> i32 {
    if let Err(code) = check_terminal() {
        return code;
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
    let (tx, rx) = std::sync::mpsc::channel();
    let quit = Arc::new(AtomicBool::new(false));
    let keylog_failed = Arc::new(AtomicBool::new(false));
    let mut sink: Box<dyn crate::output::Sink + Send> = Box::new(TuiSink::new(tx.clone(), Arc::clone(&quit)));
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
    let mut pipeline = crate::pipeline::Pipeline::new(crate::pipeline::PipelineConfig {
        parallel: decode_in_parallel(args.threads),
        output: sink.needs(),
        budget,
        background: true,
        ..crate::pipeline::PipelineConfig::default()
    });
    if let Some(store) = trust {
        pipeline.set_trust(store);
    }
    if let Err(e) = load_key_log(&mut pipeline, &args.keys, budget) {
        warn(&e);
        return exit::INPUT;
    }
    let certs_unusable = start_certificates(&mut pipeline, args.output.certs.as_deref());
    let mut embedded = KeyLogPieces::embedded(budget);
    let mut embedded_text = Vec::new();
    if args.file != "-" && is_pcapng(&args.file) {
        for_each_embedded_secrets(&args.file, |text| {
            embedded.add(&mut pipeline, text);
            embedded_text.extend_from_slice(text);
            embedded_text.push(b'\n');
        });
    }
    let readable_again = args.file != "-" && !source.is_compressed();
    let origin = if readable_again {
        PacketOrigin::File(args.file.clone())
    } else {
        PacketOrigin::Kept(Arc::new(Mutex::new(FrameRing::new(kept_frames_limit(budget)))))
    };
    let rsa = match super::keylog::read_server_keys(&args.keys) {
        Ok(keys) => keys,
        Err(e) => {
            warn(&e);
            return exit::INPUT;
        }
    };
    let keys =
        Keys { file: args.keys.path(), embedded: Arc::new(embedded_text), rsa, show_secrets: args.keys.show_secrets };
    let progress = Arc::new(SharedProgress::default());
    quit_on_sigterm(&quit);
    let warnings = WarningsToExplorer::start(tx.clone());
    drop(tx);

    let session = Session {
        updates: rx,
        origin: origin.clone(),
        keys,
        live: false,
        color: colors_on(&args.output),
        ascii: !crate::tui::locale_is_utf8(),
        progress: Arc::clone(&progress),
        quit: Arc::clone(&quit),
        export_dir: std::path::PathBuf::from("."),
        filter: initial_filter(&args.output),
    };
    let (ui, traced) = std::thread::scope(|scope| {
        let tracer = scope.spawn(|| {
            crate::pipeline::run_in_background();
            let mut input_error = None;
            let mut certs_failed = false;
            let keep = match &origin {
                PacketOrigin::Kept(ring) => Some(ring.as_ref()),
                PacketOrigin::File(_) => None,
            };
            let hooks = Hooks { stop: Some(&quit), keep, progress: Some(&progress) };
            let written =
                trace(&mut source, &mut pipeline, sink.as_mut(), args, &mut embedded, &mut input_error, &hooks)
                    .and_then(|()| {
                        let mut summary = pipeline.summary();
                        summary.input_error = input_error.as_ref().map(|e| e.to_string());
                        certs_failed = finish_certificates(&mut summary, certs_unusable);
                        super::keylog::report_rsa_keys(&summary);
                        write_summary(sink.as_mut(), true, summary)
                    });
            let lost = certs_failed || keylog_failed.load(std::sync::atomic::Ordering::Relaxed);
            (written, input_error.map(|e| e.to_string()), lost)
        });
        let ui = crate::tui::run(session);
        quit.store(true, std::sync::atomic::Ordering::SeqCst);
        (ui, tracer.join())
    });
    drop(warnings);
    finish(ui, traced)
}

type Traced = Result<(Result<(), Stop>, Option<String>, bool), Box<dyn std::any::Any + Send>>;

/// The exit code once the explorer and the trace have ended (the terminal is restored).
pub(super) fn finish(ui: io::Result<()>, traced: Traced) -> i32 {
    let Ok((written, damage, lost)) = traced else {
        warn("internal error: the trace stopped (please report this with the capture)");
        return exit::INTERNAL;
    };
    if let Err(e) = ui {
        warn(&format!("terminal: {e}"));
        return exit::OUTPUT;
    }
    exit_code(written, damage, lost)
}
