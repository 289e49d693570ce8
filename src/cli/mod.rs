//! The command line: arguments (`args`), `tlstrace read` (`read`), `tlstrace capture`
//! (`capture`), and what both share: the sink and its errors (`output`), key logs
//! (`keylog`), `--certs` (`certs`), and the exit codes (here).

mod args;
mod capture;
mod certs;
mod keylog;
mod output;
mod read;
mod trust;
mod tui;

pub use args::{CaptureArgs, Cli, ColorChoice, Command, KeyArgs, LimitArgs, OutputArgs, ReadArgs};
pub use keylog::{load_key_log, report_key_log_issues};
pub use output::make_sink;
pub use trust::{TrustArgs, TrustBase};

use clap::Parser;
use output::Stop;
use std::io::{self, Write};

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
        Command::Read(args) => read::run(&args),
        Command::Capture(args) => capture::run(&args),
    }
}

/// The exit code of a run that got as far as tracing: how writing the output ended, whether
/// the input broke off (`damage`, said now), and whether output besides the events was lost
/// (certificates, the `-w` file).
fn exit_code(written: Result<(), Stop>, damage: Option<String>, lost_output: bool) -> i32 {
    match written {
        Ok(()) | Err(Stop::OutputClosed) => {}
        Err(Stop::OutputFailed(e)) => {
            warn(&format!("cannot write output: {e}"));
            return exit::OUTPUT;
        }
    }
    let mut code = exit::OK;
    if let Some(e) = damage {
        warn(&e);
        code = exit::DAMAGED;
    }
    if lost_output {
        code = exit::OUTPUT;
    }
    code
}

/// Where warnings go instead of stderr while the explorer draws on the terminal.
type Redirect = Box<dyn Fn(&str) + Send>;
static REDIRECT: std::sync::Mutex<Option<Redirect>> = std::sync::Mutex::new(None);
/// Warnings said while redirected, printed when the redirection ends.
static HELD_WARNINGS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Sends warnings to `to` (and holds them) until called with None, which prints those held.
fn redirect_warnings(to: Option<Redirect>) {
    let ending = to.is_none();
    if let Ok(mut r) = REDIRECT.lock() {
        *r = to;
    }
    if ending {
        let held = HELD_WARNINGS.lock().map(|mut h| std::mem::take(&mut *h)).unwrap_or_default();
        for msg in held {
            warn(&msg);
        }
    }
}

/// One line on stderr; a closed stderr never fails the run (unlike `eprintln!`, which panics).
/// Control characters that made it into `msg` are escaped: it stays one line.
pub fn warn(msg: &str) {
    if let Ok(r) = REDIRECT.lock()
        && let Some(to) = r.as_ref()
    {
        to(msg);
        if let Ok(mut held) = HELD_WARNINGS.lock() {
            held.push(msg.to_string());
        }
        return;
    }
    let _ = writeln!(io::stderr(), "tlstrace: {}", crate::escape::controls(msg));
}
