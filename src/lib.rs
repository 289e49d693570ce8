//! tlstrace: a TLS handshake tracer.
//!
//! The crate is a pipeline; each module knows only the one below it:
//!
//! ```text
//! source (file / live)  ->  net (link, IP)  ->  tcp (flows, reassembly)
//!   ->  tls (records, handshake framing)  ->  msgs (message decoders)
//!   ->  conn (connection state, annotation)  ->  output (text, JSON)
//! ```
//! `pipeline` wires them together and `cli` is the command line on top.

pub mod budget;
pub mod certs;
pub mod cli;
pub mod conn;
pub mod crypto;
pub mod escape;
pub mod fast_map;
pub mod fingerprint;
pub mod hex_text;
pub mod msgs;
pub mod net;
pub mod output;
pub mod pipeline;
pub mod registry;
pub mod source;
pub mod tcp;
pub mod time;
pub mod tls;
