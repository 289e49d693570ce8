//! The sink the options ask for, and what every run does with it: events delivered as they
//! come, the summary at the end, and a closed pipe told apart from a failed write.

use super::args::{ColorChoice, OutputArgs};
use super::warn;
use crate::conn::events::{Event, SummaryEvent};
use crate::output::Sink;
use crate::output::filter::{Filter, FilterSink};
use crate::output::json::JsonSink;
use crate::output::text::{TextSink, Verbosity};
use crate::pipeline::{Pipeline, PipelineConfig};
use std::io::{self, IsTerminal};

/// Why writing the output stopped.
pub(super) enum Stop {
    /// The reader of our output is gone (`| head`): stop quietly.
    OutputClosed,
    OutputFailed(io::Error),
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::BrokenPipe { Stop::OutputClosed } else { Stop::OutputFailed(e) }
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
pub fn make_sink(out: &OutputArgs) -> Box<dyn Sink + Send> {
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

/// The pipeline of a run, told once what the sink needs of the events.
pub(super) fn pipeline_for(sink: &dyn Sink, parallel: bool, budget: crate::budget::MemoryBudget) -> Pipeline {
    Pipeline::new(PipelineConfig { parallel, output: sink.needs(), budget, ..PipelineConfig::default() })
}

/// Writes the events the pipeline has ready (taking the bytes the decoding thread prepared for
/// some of them) and reports link types met for the first time.
pub(super) fn deliver(pipeline: &mut Pipeline, sink: &mut dyn Sink) -> Result<(), Stop> {
    for (ev, prepared) in pipeline.drain_prepared() {
        match prepared {
            Some(bytes) => sink.event_prepared(&ev, bytes)?,
            None => sink.event(&ev)?,
        }
    }
    for lt in pipeline.take_new_unsupported_links() {
        warn(&format!("skipping packets of unsupported link type {lt}"));
    }
    Ok(())
}

/// The end of a run's output: the summary (the last line of `--json`, on stderr after the text
/// view), then the sink finished.
pub(super) fn write_summary(sink: &mut dyn Sink, json: bool, summary: SummaryEvent) -> Result<(), Stop> {
    let summary = Event::Summary(Box::new(summary));
    if json {
        sink.event(&summary)?;
    } else {
        sink.flush()?;
        let mut err = io::stderr();
        let _ = TextSink::new(&mut err).event(&summary);
    }
    Ok(sink.finish()?)
}
