//! The command line: argument parsing, wiring a source to the pipeline and a sink, exit codes.

use crate::conn::events::Event;
use crate::output::Sink;
use crate::output::filter::{Filter, FilterSink};
use crate::output::json::JsonSink;
use crate::output::text::{TextSink, Verbosity};
use crate::pipeline::{Pipeline, PipelineConfig, Prepare};
use crate::source::file::{FileSource, SourceError};
use clap::{Args, Parser, Subcommand};
use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

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
    /// Trace TLS handshakes live from a network interface (`any` for all; needs CAP_NET_RAW).
    Capture(CaptureArgs),
}

#[derive(Args, Debug)]
pub struct ReadArgs {
    /// Capture file (pcap or pcapng, optionally gzip-compressed); `-` reads standard input.
    pub file: String,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// 1: read, decode and write on one thread. 2: decode on a second thread while the first
    /// reads the capture and writes the output (same output, in the same order). Default: 2
    /// when the machine has two or more CPUs.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=2))]
    pub threads: Option<u8>,
}

/// Whether to decode on a second thread: asked for, or two CPUs to run on.
fn decode_in_parallel(threads: Option<u8>) -> bool {
    match threads {
        Some(n) => n >= 2,
        None => std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2),
    }
}

#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Memory for everything that grows with the input (flows, reassembly, partial records,
    /// fragments, key log index, caches): 64M, 1G, ... When a part reaches its share, its least
    /// recently active state is evicted and counted.
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_memory_limit)]
    pub memory_limit: crate::budget::MemoryBudget,
}

fn parse_memory_limit(text: &str) -> Result<crate::budget::MemoryBudget, String> {
    crate::budget::MemoryBudget::parse(text).map_err(|e| e.to_string())
}

#[derive(Args, Debug, Clone)]
pub struct KeyArgs {
    /// NSS key log (SSLKEYLOGFILE format) to decrypt handshakes and verify Finished messages.
    /// Without it, the SSLKEYLOGFILE environment variable is used when set.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<std::path::PathBuf>,
    /// Show decrypted application data, up to this many bytes per record (default: sizes only).
    #[arg(long, value_name = "BYTES", num_args = 0..=1, default_missing_value = "256")]
    pub show_data: Option<usize>,
}

impl KeyArgs {
    /// The key log file to use: `--keylog`, else `SSLKEYLOGFILE`.
    pub fn path(&self) -> Option<std::path::PathBuf> {
        self.keylog.clone().or_else(|| std::env::var_os("SSLKEYLOGFILE").filter(|v| !v.is_empty()).map(Into::into))
    }
}

/// Loads the key log into the pipeline; bad lines are reported, never fatal. A missing file is
/// an input error. A key log larger than its share of `--memory-limit` is said first.
pub fn load_key_log(
    pipeline: &mut Pipeline,
    keys: &KeyArgs,
    budget: crate::budget::MemoryBudget,
) -> Result<(), String> {
    pipeline.show_data(keys.show_data);
    let Some(path) = keys.path() else { return Ok(()) };
    let what = crate::escape::path(&path);
    // Streamed: a line too long to be a key log line is said at once (a key log that never
    // ends, such as /dev/zero, shows why the run waits).
    let mut announced = None;
    let mut announce = |issue: &crate::crypto::KeyLogIssue| {
        warn(&format!("key log {what}: line {}: {}", issue.line, issue.reason));
        announced = Some(issue.line);
    };
    let (issues, stats) =
        pipeline.open_key_log(&path, &mut announce).map_err(|e| format!("cannot read key log {what}: {e}"))?;
    if stats.dropped_lines > 0 {
        warn(&too_large_message(&what, &stats, budget));
    }
    report_key_log_issues(&what, &issues, announced);
    Ok(())
}

/// The warning for a key log larger than its memory share: what was kept, what was dropped,
/// and the `--memory-limit` that would hold it.
fn too_large_message(what: &str, stats: &crate::crypto::KeyLogStats, budget: crate::budget::MemoryBudget) -> String {
    let share = budget.share(crate::budget::Part::KeyLog).max(1) as u128;
    let lines = u128::from(stats.kept) + u128::from(stats.dropped_lines);
    let per_line = (stats.memory as u128).div_ceil(u128::from(stats.kept.max(1))).max(1);
    // The share is a fixed part of the limit: the limit that gives this key log its memory,
    // with a tenth to spare.
    let needed_mib = (lines * per_line * budget.total() as u128 / share).div_ceil(1 << 20) * 11 / 10 + 1;
    let first = stats.first_dropped_line.map(|l| format!(" from line {l} on")).unwrap_or_default();
    format!(
        "key log {what} is too large for its share of --memory-limit {}M ({} KiB): {} lines with secrets kept, \
         {} dropped{first}; connections whose secrets were dropped are not decrypted (the summary names them); \
         --memory-limit {needed_mib}M would hold it",
        budget.total() >> 20,
        share >> 10,
        stats.kept,
        stats.dropped_lines,
    )
}

/// Lists up to 20 bad lines, then the exact number of the others. `announced` is the line
/// already shown while the key log was read.
pub fn report_key_log_issues(what: &str, issues: &[crate::crypto::KeyLogIssue], announced: Option<usize>) {
    let total: usize = issues.iter().map(|i| i.unlisted.max(usize::from(i.unlisted == 0))).sum();
    let mut shown = usize::from(announced.is_some());
    let listed = issues.iter().filter(|i| i.unlisted == 0 && Some(i.line) != announced);
    for issue in listed.take(20 - shown) {
        warn(&format!("key log {what}: line {}: {}", issue.line, issue.reason));
        shown += 1;
    }
    if total > shown {
        warn(&format!("key log {what}: {} more bad lines", total - shown));
    }
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
    /// Write every certificate seen into DIR as PEM, named by its SHA-256 fingerprint.
    #[arg(long = "certs", value_name = "DIR")]
    pub certs: Option<std::path::PathBuf>,
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
        Command::Capture(args) => run_capture(&args),
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
    let fingerprints = sink.needs_fingerprints();
    for (mut ev, prepared) in pipeline.drain_prepared() {
        let written = match prepared {
            Some(bytes) => sink.event_prepared(&ev, bytes),
            None => {
                if fingerprints && let Event::Message(m) = &mut ev {
                    m.add_fingerprints();
                }
                sink.event(&ev)
            }
        };
        written.map_err(|e| if is_closed_pipe(&e) { Stop::OutputClosed } else { Stop::OutputFailed(e) })?;
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
            return if e.is_damage() { exit::DAMAGED } else { exit::INPUT };
        }
    };
    let mut sink = make_sink(&args.output);
    let parallel = decode_in_parallel(args.threads);
    let mut pipeline = Pipeline::new(PipelineConfig {
        parallel,
        // With the decoding thread, the output's thread adds the fingerprints (`deliver`): the
        // decoding thread is the busier one in text (`-v`). With `--json` the events whose
        // lines the decoding thread writes get theirs there (`prepare`).
        fingerprints: sink.needs_fingerprints() && !parallel,
        skip_roles: !sink.needs_roles(),
        // The decoding thread takes on part of the output's work when it has time to spare.
        prepare: sink.preparation().map(Prepare::new),
        budget: args.limits.memory_limit,
        ..PipelineConfig::default()
    });
    if let Err(e) = load_key_log(&mut pipeline, &args.keys, args.limits.memory_limit) {
        warn(&e);
        return exit::INPUT;
    }
    let certs_unusable = start_certificates(&mut pipeline, args.output.certs.as_deref());
    let mut certs_failed = false;
    let mut embedded = EmbeddedKeyLog::default();
    if args.file != "-" && is_pcapng(&args.file) {
        // Decryption Secrets Blocks may come after the packets they decrypt (a live capture
        // writes them as the key log grows): collect them all before tracing, one at a time.
        for_each_embedded_secrets(&args.file, |text| embedded.add(&mut pipeline, text, args.limits.memory_limit));
    }
    let flush_each = io::stdout().is_terminal();
    let mut progress = Progress::new(source.total_bytes().filter(|_| !source.is_compressed()));
    let mut input_error: Option<SourceError> = None;
    let result: Result<(), Stop> = (|| {
        loop {
            match source.next_with(|pkt| pipeline.process(pkt)) {
                Ok(Some(())) => {
                    // Key logs embedded in the capture (pcapng Decryption Secrets Blocks), when
                    // they could not be collected ahead (stdin).
                    for text in source.take_secrets() {
                        if args.file == "-" {
                            embedded.add(&mut pipeline, &text, args.limits.memory_limit);
                        }
                    }
                }
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
            progress.update(source.bytes_read());
        }
        progress.clear();
        pipeline.finish();
        deliver(&mut pipeline, sink.as_mut())?;
        let mut summary = pipeline.summary();
        summary.input_error = input_error.as_ref().map(|e| e.to_string());
        certs_failed = finish_certificates(&mut summary, certs_unusable);
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
    let mut code = exit::OK;
    if let Some(e) = input_error {
        warn(&format!("{e}"));
        code = exit::DAMAGED;
    }
    if certs_failed {
        code = exit::OUTPUT;
    }
    code
}

/// `--certs DIR`, made ready before the run: created when missing, and a directory this process
/// may write into. When it is not, one warning now and the run goes on without certificates;
/// returns that warning for the summary.
fn start_certificates(pipeline: &mut Pipeline, dir: Option<&std::path::Path>) -> Option<String> {
    let dir = dir?;
    match prepare_certificate_dir(dir) {
        Ok(()) => {
            pipeline.write_certificates_to(dir.to_path_buf());
            None
        }
        Err(e) => {
            let msg = format!("cannot write certificates to {}: {e}", crate::escape::path(dir));
            warn(&msg);
            Some(msg)
        }
    }
}

fn prepare_certificate_dir(dir: &std::path::Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    if dir.exists() && !dir.is_dir() {
        return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
    }
    std::fs::create_dir_all(dir)?;
    let c_path = std::ffi::CString::new(dir.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: `c_path` is a NUL-terminated string that outlives the call.
    if unsafe { libc::access(c_path.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// At the end of the run: a certificate that could not be written during it is reported now,
/// and the summary carries either error. True when certificates were lost (exit 7).
fn finish_certificates(summary: &mut crate::conn::events::SummaryEvent, unusable: Option<String>) -> bool {
    if let Some(e) = &summary.certificate_error {
        warn(e);
    }
    if let Some(msg) = unusable {
        summary.certificates_written = Some(0);
        summary.certificate_error = Some(msg);
    }
    summary.certificate_error.is_some()
}

/// The file (gzip or not) starts with a pcapng Section Header Block.
fn is_pcapng(path: &str) -> bool {
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

/// Hands the key log text of each Decryption Secrets Block in a pcapng file to `each` (a
/// quick first pass; one block held at a time).
fn for_each_embedded_secrets(path: &str, mut each: impl FnMut(&[u8])) {
    let Ok(mut pass) = FileSource::open(path) else { return };
    while let Ok(Some(())) = pass.next_with(|_| ()) {
        pass.take_secrets().iter().for_each(|t| each(t));
    }
    pass.take_secrets().iter().for_each(|t| each(t));
}

/// Key log blocks embedded in a capture: each one's bad lines are reported; that lines were
/// dropped for lack of memory is said once.
#[derive(Default)]
struct EmbeddedKeyLog {
    said_too_large: bool,
}

impl EmbeddedKeyLog {
    fn add(&mut self, pipeline: &mut Pipeline, text: &[u8], budget: crate::budget::MemoryBudget) {
        const WHAT: &str = "embedded in the capture";
        let (issues, stats) = pipeline.add_key_log_text(text);
        if stats.dropped_lines > 0 && !std::mem::replace(&mut self.said_too_large, true) {
            warn(&too_large_message(WHAT, &stats, budget));
        }
        report_key_log_issues(WHAT, &issues, None);
    }
}

/// Follows a key log file as it grows: complete new lines since the last call.
struct KeyLogTail {
    path: std::path::PathBuf,
    offset: u64,
    /// The unfinished last line, at most `MAX_LINE_LEN` bytes.
    partial: Vec<u8>,
    /// The unfinished line outgrew `MAX_LINE_LEN`: its bytes are dropped until its newline.
    skipping: bool,
    budget: crate::budget::MemoryBudget,
    /// Lines were dropped for lack of memory, and it was said.
    said_too_large: bool,
}

impl KeyLogTail {
    fn new(path: std::path::PathBuf, budget: crate::budget::MemoryBudget) -> Self {
        KeyLogTail { path, offset: 0, partial: Vec::new(), skipping: false, budget, said_too_large: false }
    }

    /// Hands the lines added since the last call to the pipeline (reporting bad ones) and to
    /// the `-w` file as a Decryption Secrets Block. Ok(true) when there were any; Err when the
    /// file could not be written.
    fn feed<W: io::Write>(
        &mut self,
        pipeline: &mut Pipeline,
        writer: Option<&mut crate::source::pcapng_writer::PcapngWriter<W>>,
    ) -> io::Result<bool> {
        let fresh = self.read_new_lines();
        if fresh.is_empty() {
            return Ok(false);
        }
        let what = crate::escape::path(&self.path);
        let (issues, stats) = pipeline.add_key_log_text(&fresh);
        if stats.dropped_lines > 0 && !std::mem::replace(&mut self.said_too_large, true) {
            warn(&too_large_message(&what, &stats, self.budget));
        }
        report_key_log_issues(&what, &issues, None);
        if let Some(w) = writer {
            w.write_decryption_secrets(&fresh)?;
        }
        Ok(true)
    }

    fn read_new_lines(&mut self) -> Vec<u8> {
        use std::io::{Read, Seek, SeekFrom};
        let Ok(mut f) = std::fs::File::open(&self.path) else { return Vec::new() };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        if len < self.offset {
            // Truncated or replaced: start over.
            self.offset = 0;
            self.partial.clear();
            self.skipping = false;
        }
        if len == self.offset || f.seek(SeekFrom::Start(self.offset)).is_err() {
            return Vec::new();
        }
        // Bounded per call: a key log is text lines of ~200 bytes.
        let mut fresh = Vec::new();
        if f.take(16 << 20).read_to_end(&mut fresh).is_err() {
            return Vec::new();
        }
        self.offset += fresh.len() as u64;
        let mut fresh = fresh.as_slice();
        if self.skipping {
            // The rest of a too long line, up to its newline.
            match fresh.iter().position(|b| *b == b'\n') {
                Some(end) => {
                    self.skipping = false;
                    fresh = fresh.get(end + 1..).unwrap_or_default();
                }
                None => return Vec::new(),
            }
        }
        let complete = match fresh.iter().rposition(|b| *b == b'\n') {
            Some(end) => {
                let (lines, rest) = fresh.split_at(end + 1);
                let mut complete = std::mem::take(&mut self.partial);
                complete.extend_from_slice(lines);
                fresh = rest;
                complete
            }
            None => Vec::new(),
        };
        self.partial.extend_from_slice(fresh);
        if self.partial.len() > crate::crypto::keylog::MAX_LINE_LEN {
            warn(&format!(
                "key log {}: a line longer than {} bytes is too long for a key log line, skipped",
                self.path.display(),
                crate::crypto::keylog::MAX_LINE_LEN
            ));
            self.partial.clear();
            self.skipping = true;
        }
        complete
    }
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

/// One line on stderr; a closed stderr never fails the run (unlike `eprintln!`, which panics).
/// Control characters that made it into `msg` are escaped: it stays one line.
pub fn warn(msg: &str) {
    let _ = writeln!(io::stderr(), "tlstrace: {}", crate::escape::controls(msg));
}

// ---- `tlstrace capture`: live capture ----

#[derive(Args, Debug)]
pub struct CaptureArgs {
    /// Interface to capture on (`any` for all of them); `--list` shows the choices.
    #[arg(required_unless_present = "list")]
    pub interface: Option<String>,
    /// List the interfaces with their addresses, state and link type, then exit.
    #[arg(long, conflicts_with = "interface")]
    pub list: bool,
    /// Output options; `--port` and `--host` also become the kernel capture filter
    /// (`tcp and (port P or ...) and (host H or ...)`), so only matching traffic is copied.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Stop after N packets.
    #[arg(short = 'c', long, value_name = "N")]
    pub count: Option<u64>,
    /// Stop after SECS seconds (fractions allowed).
    #[arg(long, value_name = "SECS", value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,
    /// Do not put the interface into promiscuous mode.
    #[arg(short = 'p', long = "no-promisc")]
    pub no_promisc: bool,
    /// Also write every captured frame to FILE (pcapng, nanosecond timestamps); with a key
    /// log, its secrets are embedded as Decryption Secrets Blocks.
    #[arg(short = 'w', value_name = "FILE")]
    pub write: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Bytes kept of each frame (the rest of a cut segment is traced as a gap).
    #[arg(long, value_name = "N", default_value_t = crate::source::live::DEFAULT_SNAPLEN,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(crate::source::live::DEFAULT_SNAPLEN)))]
    pub snaplen: u32,
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let secs: f64 = text.parse().map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 || secs > 1e9 {
        return Err(format!("'{text}' is not a positive number of seconds"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

/// Frames read from the socket before events are delivered and the output flushed.
const CAPTURE_BATCH: usize = 64;

fn run_capture(args: &CaptureArgs) -> i32 {
    use crate::conn::events::KernelCounters;
    use crate::source::live::{self, CaptureConfig, LiveError, LiveSource};
    use crate::source::pcapng_writer::PcapngWriter;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    if args.list {
        return list_interfaces(args.output.json);
    }
    let Some(interface) = args.interface.clone() else {
        warn("capture needs an interface (see --list)");
        return exit::USAGE;
    };
    let filter = capture_filter(args);
    let cfg = CaptureConfig { interface, promiscuous: !args.no_promisc, snaplen: args.snaplen, filter };
    let mut source = match LiveSource::open(&cfg) {
        Ok(s) => s,
        Err(LiveError::Permission) => {
            warn(
                "capturing needs root or CAP_NET_RAW; grant it with: \
                 sudo setcap cap_net_raw,cap_net_admin+ep $(which tlstrace)",
            );
            return exit::PERMISSION;
        }
        Err(LiveError::NoInterface { name, available }) => {
            let available: Vec<_> = available.iter().map(|n| crate::escape::controls(n)).collect();
            warn(&format!(
                "no such interface '{}'; interfaces: {}",
                crate::escape::controls(&name),
                available.join(", ")
            ));
            return exit::NO_INTERFACE;
        }
        Err(e @ LiveError::Down { .. }) => {
            warn(&e.to_string());
            return exit::NO_INTERFACE;
        }
        Err(e @ LiveError::Filter(_)) => {
            warn(&e.to_string());
            return exit::USAGE;
        }
        Err(e) => {
            warn(&e.to_string());
            return exit::INPUT;
        }
    };

    // `-w`: a file that cannot be created or written is reported at once; the capture goes on
    // without it and ends with exit 7.
    let shown_write = args.write.as_deref().map(crate::escape::path).unwrap_or_default();
    let mut write_failed = false;
    let mut writer = match &args.write {
        None => None,
        Some(path) => {
            let opened = std::fs::File::create(path).and_then(|f| {
                let app = concat!("tlstrace ", env!("CARGO_PKG_VERSION"));
                let mut w = PcapngWriter::new(io::BufWriter::with_capacity(1 << 20, f), app, args.snaplen)?;
                let id = w.interface(source.linktype(), source.interface())?;
                w.flush()?;
                Ok((w, id))
            });
            match opened {
                Ok(w) => Some(w),
                Err(e) => {
                    warn(&format!("cannot write {shown_write}: {e}; the capture goes on without it"));
                    write_failed = true;
                    None
                }
            }
        }
    };

    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // The first signal asks for a clean stop; a second one, while stopping, quits at once.
        let registered = signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&stop))
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&stop)));
        if let Err(e) = registered {
            warn(&format!("cannot handle signal {signal}: {e}"));
        }
    }
    warn(&format!(
        "capturing on {} ({}), {}; Ctrl-C stops",
        crate::escape::controls(source.interface()),
        live::linktype_name(source.linktype()),
        describe_filter(&cfg.filter)
    ));

    let mut sink = make_sink(&args.output);
    let mut pipeline = Pipeline::new(PipelineConfig { budget: args.limits.memory_limit, ..PipelineConfig::default() });
    pipeline.show_data(args.keys.show_data);
    let certs_unusable = start_certificates(&mut pipeline, args.output.certs.as_deref());
    let mut certs_failed = false;
    // A key log that a running browser is still writing is followed as it grows.
    let mut follower = args.keys.path().map(|path| KeyLogTail::new(path, args.limits.memory_limit));
    pipeline.wait_for_keys(follower.is_some());
    let started = Instant::now();
    let mut stats_read = Instant::now();
    let mut packets: u64 = 0;
    let mut capture_error: Option<LiveError> = None;
    let out_err = |e: io::Error| if is_closed_pipe(&e) { Stop::OutputClosed } else { Stop::OutputFailed(e) };

    let result: Result<(), Stop> = (|| {
        'capture: loop {
            if stop.load(Ordering::SeqCst)
                || args.duration.is_some_and(|d| started.elapsed() >= d)
                || args.count.is_some_and(|n| packets >= n)
            {
                break;
            }
            let mut batch = 0usize;
            while batch < CAPTURE_BATCH && args.count.is_none_or(|n| packets < n) {
                let got = source.next_with(batch == 0, |pkt| {
                    let written = match writer.as_mut() {
                        Some((w, id)) => w.write_packet(*id, pkt.ts, pkt.data, pkt.orig_len),
                        None => Ok(()),
                    };
                    pipeline.process(pkt);
                    written
                });
                match got {
                    Ok(Some(written)) => {
                        batch += 1;
                        packets += 1;
                        if let Err(e) = written {
                            give_up_writing(&mut writer, &mut write_failed, &shown_write, &e);
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        capture_error = Some(e);
                        break 'capture;
                    }
                }
            }
            // Checked before every batch (a size check when nothing changed): a browser writes a
            // connection's secrets at the moment its encrypted records cross the wire.
            if let Some(tail) = follower.as_mut() {
                match tail.feed(&mut pipeline, writer.as_mut().map(|(w, _)| w)) {
                    Ok(true) => pipeline.release_held_records(wall_clock_now()),
                    Ok(false) => {}
                    Err(e) => {
                        // The lines reached the pipeline; only the file lost them.
                        give_up_writing(&mut writer, &mut write_failed, &shown_write, &e);
                        pipeline.release_held_records(wall_clock_now());
                    }
                }
            }
            if batch == 0 {
                // Idle: let capture time move on so quiet flows still expire.
                pipeline.advance_clock(wall_clock_now());
                pipeline.release_held_records(wall_clock_now());
            } else if let Some((w, _)) = writer.as_mut()
                && let Err(e) = w.flush()
            {
                give_up_writing(&mut writer, &mut write_failed, &shown_write, &e);
            }
            deliver(&mut pipeline, sink.as_mut())?;
            sink.flush().map_err(out_err)?;
            // The kernel's counters are 32-bit and reset on read: fold them in every second.
            if stats_read.elapsed() >= Duration::from_secs(1) {
                source.kernel_stats();
                stats_read = Instant::now();
            }
        }
        // Secrets written just before the stop still count.
        if let Some(tail) = follower.as_mut()
            && let Err(e) = tail.feed(&mut pipeline, writer.as_mut().map(|(w, _)| w))
        {
            give_up_writing(&mut writer, &mut write_failed, &shown_write, &e);
        }
        pipeline.finish();
        deliver(&mut pipeline, sink.as_mut())?;
        let kernel = source.kernel_stats();
        let mut summary = pipeline.summary();
        summary.kernel = Some(KernelCounters { packets_received: kernel.received, packets_dropped: kernel.dropped });
        summary.input_error = capture_error.as_ref().map(|e| e.to_string());
        certs_failed = finish_certificates(&mut summary, certs_unusable);
        if args.output.json {
            sink.event(&Event::Summary(Box::new(summary))).map_err(out_err)?;
        } else {
            sink.flush().map_err(out_err)?;
            let mut err = io::stderr();
            let _ = TextSink::new(&mut err).event(&Event::Summary(Box::new(summary)));
        }
        sink.finish().map_err(out_err)
    })();

    if let Some((w, _)) = writer
        && let Err(e) = w.into_inner()
    {
        warn(&format!("cannot write {shown_write}: {e}"));
        write_failed = true;
    }
    match result {
        Ok(()) | Err(Stop::OutputClosed) => {}
        Err(Stop::OutputFailed(e)) => {
            warn(&format!("cannot write output: {e}"));
            return exit::OUTPUT;
        }
    }
    let mut code = exit::OK;
    if let Some(e) = capture_error {
        warn(&e.to_string());
        code = exit::DAMAGED;
    }
    if write_failed || certs_failed {
        code = exit::OUTPUT;
    }
    code
}

/// The `-w` file failed: one warning, and the capture goes on without writing it.
fn give_up_writing<W>(writer: &mut Option<W>, failed: &mut bool, shown: &str, e: &io::Error) {
    warn(&format!("cannot write {shown}: {e}; the capture goes on without it"));
    *writer = None;
    *failed = true;
}

fn wall_clock_now() -> crate::time::Timestamp {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    crate::time::Timestamp::new(i64::try_from(now.as_secs()).unwrap_or(i64::MAX), now.subsec_nanos(), 9)
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
    let mut terms = vec!["tcp".to_string()];
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
    use crate::source::live;
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
            if is_closed_pipe(&e) {
                return exit::OK;
            }
            warn(&format!("cannot write output: {e}"));
            return exit::OUTPUT;
        }
    }
    exit::OK
}
