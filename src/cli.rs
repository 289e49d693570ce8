//! The command line: argument parsing, wiring a source to the pipeline and a sink, exit codes.

use crate::conn::events::Event;
use crate::output::Sink;
use crate::output::json::JsonSink;
use crate::output::text::TextSink;
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
    /// Emit NDJSON events (one JSON object per line) instead of text.
    #[arg(long)]
    pub json: bool,
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

fn make_sink(out: &OutputArgs) -> Box<dyn Sink> {
    let stdout = io::stdout();
    let buffered = io::BufWriter::with_capacity(64 << 10, stdout);
    if out.json { Box::new(JsonSink::new(buffered)) } else { Box::new(TextSink::new(buffered)) }
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
