//! tlstrace: a TLS handshake tracer.
//!
//! The crate is a pipeline of layers, each in its own folder; events are born in `conn` and
//! formatted in `output`:
//!
//! ```text
//! source (file / live)  ->  net (link, IP)  ->  tcp (flows, reassembly)
//!   ->  tls (records, handshake framing)  ->  msgs (message decoders)
//!   ->  conn (connection state, annotation)  ->  output (text, JSON)
//! ```
//! `pipeline` wires them together and `cli` is the command line on top.
//!
//! A layer uses only the layers below it, and only these (test code aside):
//!
//! | module | may use |
//! | --- | --- |
//! | `source` | the foundations |
//! | `net` | the foundations |
//! | `tcp` | `net` (its segments), the foundations |
//! | `tls` | nothing |
//! | `msgs` | `certs`, the foundations |
//! | `conn` | `tcp`, `tls`, `msgs`, `net` (addresses), `crypto`, `certs`, `fingerprint`, the foundations |
//! | `output` | `conn` (events) and the types inside them (`msgs`, `certs`, `fingerprint`), the foundations |
//! | `pipeline` | `source` (packets), `net`, `tcp`, `conn`, `crypto` (key logs), `output` (only [`output::Needs`]: what to compute for the sink), the foundations |
//! | `cli` | `pipeline`, `output`, `source`, `conn` (the summary), `crypto` (key log reports), the foundations |
//!
//! Beside the layers: `crypto` (key logs, decryption) and `certs` (X.509) use only the
//! foundations, `fingerprint` (JA3/JA4) reads `msgs`. The foundations use no layer: `registry`
//! (IANA names), `time`, `escape`, `hex_text`, `fast_map`, and `budget` (the memory limit, which
//! sizes the configurations of `net` and `tcp`).

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
