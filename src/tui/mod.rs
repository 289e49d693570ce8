//! `--tui`: the interactive explorer. A sink ([`sink::TuiSink`]) turns the run's events into
//! rows for the connections table while the capture is read or captured on another thread;
//! opening a connection traces its packets again through the same pipeline (`detail`), so the
//! ladder and the detail show exactly what `read` prints, with each message's bytes.
//!
//! `model` (rows, tallies) and `query` (the filter line) are plain data; `app` is the state and
//! what each key does; `view` draws it; `run` owns the terminal; `export` writes a connection
//! out; `frames` keeps the packets of inputs that cannot be read twice.
//!
//! Everything shown comes from capture bytes: no indexing that could panic here either.
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod app;
pub mod detail;
pub mod export;
pub mod frames;
pub mod model;
pub mod query;
pub mod run;
pub mod sink;
pub mod view;

pub use run::{Session, SharedProgress, locale_is_utf8, run};
pub use sink::{TuiSink, Update};

#[cfg(test)]
mod tests;
