//! The command line: argument parsing, wiring a source to the pipeline and a sink, exit codes.

use crate::conn::events::Event;
use crate::output::Sink;
use crate::output::filter::{Filter, FilterSink};
use crate::output::json::JsonSink;
use crate::output::text::{TextSink, Verbosity};
use crate::pipeline::{Pipeline, PipelineConfig};
use crate::source::file::{FileSource, SourceError};
use clap::{Args, Parser, Subcommand};
use std::io::{self, IsTerminal, Write};

/// Exit codes (documented in the README).
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// Unexpected internal error.
    pub const INTERNAL: i32 = 1;
    /// Bad command line (clap's code).
    pub const USAGE: i32 = 2;
    /// The input could not be opened, is empty, or is not a capture file.
    pub const INPUT: i32 = 3;
    /// The capture is truncated or corrupt: everything before the damage was traced.
    pub const DAMAGED: i32 = 4;
    /// Live capture needs privileges the process does not have.
    pub const PERMISSION: i32 = 5;
    /// No such network interface.
    pub const NO_INTERFACE: i32 = 6;
    /// Writing the output failed (other than the reader going away).
    pub const OUTPUT: i32 = 7;
}

#[derive(Parser, Debug)]
#[command(name = "tlstrace", version, about = "Trace and explain TLS handshakes in captures and on live interfaces")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Trace the TLS connections in a capture file (pcap, pcapng, optionally gzip; `-` for stdin).
    Read(ReadArgs),
}

#[derive(Args, Debug)]
pub struct ReadArgs {
    /// Capture file (pcap or pcapng, optionally gzip-compressed); `-` reads standard input.
    pub file: String,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Emit NDJSON events (one JSON object per line) instead of the text ladder.
    #[arg(long)]
    pub json: bool,
    /// Text: show decoded fields and the role of every message.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Text: one line per handshake.
    #[arg(short, long)]
    pub quiet: bool,
    /// Colors in the text view: auto (terminal and NO_COLOR unset), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Only connections with this address at either end (repeatable).
    #[arg(long = "host", value_name = "IP")]
    pub hosts: Vec<std::net::IpAddr>,
    /// Only connections with this port at either end (repeatable).
    #[arg(long = "port", value_name = "PORT")]
    pub ports: Vec<u16>,
    /// Only connections whose SNI contains this text, or matches this glob (`*.example.com`).
    #[arg(long = "sni", value_name = "PATTERN")]
    pub snis: Vec<String>,
    /// Only handshakes that did not complete or ended with an alert.
    #[arg(long)]
    pub failed: bool,
    /// Only connections whose ClientHello has this JA4 (any of ja4, ja4_r, ja4_o, ja4_ro).
    #[arg(long = "ja4", value_name = "FINGERPRINT")]
    pub ja4: Vec<String>,
    /// Only connections whose ClientHello has this JA3 (string or MD5 hash).
    #[arg(long = "ja3", value_name = "FINGERPRINT")]
    pub ja3: Vec<String>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Runs the command line; returns the process exit code.
pub fn main_with_args<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => exit::OK,
                _ => exit::USAGE,
            };
        }
    };
    match cli.command {
        Command::Read(args) => run_read(&args),
    }
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

/// The sink the output options ask for, with filters in front when any are given.
pub fn make_sink(out: &OutputArgs) -> Box<dyn Sink> {
    colored::control::set_override(use_color(out.color));
    let buffered = io::BufWriter::with_capacity(64 << 10, io::stdout());
    let filter = Filter {
        hosts: out.hosts.clone(),
        ports: out.ports.clone(),
        snis: out.snis.clone(),
        failed_only: out.failed,
        fingerprints: out.ja4.iter().chain(&out.ja3).cloned().collect(),
    };
    let verbosity = if out.quiet {
        Verbosity::Quiet
    } else if out.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    match (out.json, filter.is_empty()) {
        (true, true) => Box::new(JsonSink::new(buffered)),
        (true, false) => Box::new(FilterSink::new(JsonSink::new(buffered), filter)),
        (false, true) => Box::new(TextSink::new(buffered).with_verbosity(verbosity)),
        (false, false) => Box::new(FilterSink::new(TextSink::new(buffered).with_verbosity(verbosity), filter)),
    }
}

/// True when a write failed because whoever reads our output went away (`| head`).
fn is_closed_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

enum Stop {
    /// The reader of our output is gone: stop quietly.
    OutputClosed,
    OutputFailed(io::Error),
}

fn deliver(pipeline: &mut Pipeline, sink: &mut dyn Sink) -> Result<(), Stop> {
    for ev in pipeline.drain_events() {
        sink.event(&ev).map_err(|e| if is_closed_pipe(&e) { Stop::OutputClosed } else { Stop::OutputFailed(e) })?;
    }
    for lt in pipeline.take_new_unsupported_links() {
        warn(&format!("skipping packets of unsupported link type {lt}"));
    }
    Ok(())
}

fn run_read(args: &ReadArgs) -> i32 {
    let mut source = match FileSource::open(&args.file) {
        Ok(s) => s,
        Err(e) => {
            warn(&format!("{e}"));
            return exit::INPUT;
        }
    };
    let mut sink = make_sink(&args.output);
    let mut pipeline = Pipeline::new(PipelineConfig::default());
    let flush_each = io::stdout().is_terminal();
    let mut input_error: Option<SourceError> = None;
    let result: Result<(), Stop> = (|| {
        loop {
            match source.next_with(|pkt| pipeline.process(pkt)) {
                Ok(Some(())) => {}
                Ok(None) => break,
                Err(e) => {
                    input_error = Some(e);
                    break;
                }
            }
            deliver(&mut pipeline, sink.as_mut())?;
            if flush_each {
                sink.flush()
                    .map_err(|e| if is_closed_pipe(&e) { Stop::OutputClosed } else { Stop::OutputFailed(e) })?;
            }
        }
        pipeline.finish();
        deliver(&mut pipeline, sink.as_mut())?;
        let mut summary = pipeline.summary();
        summary.input_error = input_error.as_ref().map(|e| e.to_string());
        if args.output.json {
            sink.event(&Event::Summary(Box::new(summary)))
                .map_err(|e| if is_closed_pipe(&e) { Stop::OutputClosed } else { Stop::OutputFailed(e) })?;
        } else {
            sink.flush().map_err(|e| if is_closed_pipe(&e) { Stop::OutputClosed } else { Stop::OutputFailed(e) })?;
            let mut err = io::stderr();
            let _ = TextSink::new(&mut err).event(&Event::Summary(Box::new(summary)));
        }
        sink.finish().map_err(|e| if is_closed_pipe(&e) { Stop::OutputClosed } else { Stop::OutputFailed(e) })
    })();
    match result {
        Ok(()) | Err(Stop::OutputClosed) => {}
        Err(Stop::OutputFailed(e)) => {
            warn(&format!("cannot write output: {e}"));
            return exit::OUTPUT;
        }
    }
    if let Some(e) = input_error {
        warn(&format!("{e}"));
        return exit::DAMAGED;
    }
    exit::OK
}

/// One line on stderr; a closed stderr never fails the run (unlike `eprintln!`, which panics).
pub fn warn(msg: &str) {
    let _ = writeln!(io::stderr(), "tlstrace: {msg}");
}
