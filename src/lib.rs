//! tlstrace: a TLS handshake tracer.
//!
//! The crate is a pipeline of layers, each in its own folder; events are born in `conn` and
//! formatted in `output`:
//!
//! ```text
//! source (file / live)  ->  net (link, IP)  ->  tcp (flows, reassembly)
//!                                      ->  quic (UDP: Initials, CRYPTO streams)
//!                                      ->  dtls (UDP: DTLS records, handshake fragments)
//!   ->  tls (records, handshake framing)  ->  msgs (message decoders)
//!   ->  conn (connection state, annotation)  ->  output (text, JSON)  ->  tui (explorer)
//! ```
//! `pipeline` wires them together and `cli` is the command line on top.
//!
//! A layer uses only the layers below it, and only these (test code aside; the test
//! `layer_rule` below holds the code to this table):
//!
//! | module | may use |
//! | --- | --- |
//! | `source` | the foundations |
//! | `net` | the foundations |
//! | `tcp` | `net` (its segments), the foundations |
//! | `quic` | `net` (its datagrams), `tcp` (the shared vocabulary: sides, end reasons), `crypto` (HKDF-Expand-Label, the key log's `Secrets` its packet keys derive from), `msgs` (the checked reader), the foundations |
//! | `dtls` | `net` (its datagrams), `tcp` (the shared vocabulary: sides, end reasons), `msgs` (the checked reader), the foundations |
//! | `tls` | the foundations |
//! | `msgs` | `certs`, the foundations |
//! | `conn` | `tcp`, `quic` (its events, and the `QuicSink` through which it answers the QUIC layer's asks for secrets), `dtls` (its events and handshake reassembly), `tls`, `msgs`, `net` (addresses), `crypto`, `certs`, `fingerprint`, the foundations |
//! | `output` | `conn` (events) and the types inside them (`msgs`, `certs`, `fingerprint`), the foundations |
//! | `pipeline` | `source` (packets), `net`, `tcp`, `quic`, `dtls`, `conn`, `crypto` (key logs), `certs` (the trust anchors it hands the connection layer), `output` (only [`output::Needs`] and the [`output::Prepare`] it carries: what to compute for the sink), the foundations |
//! | `tui` | `pipeline` (to trace a connection again), `output` (the sink trait, the ladder lines, filters), `source`, `conn` (events), `net` (to pick a connection's packets), `msgs` and `fingerprint` (the types inside events), `crypto` (the server keys it traces with), the foundations |
//! | `cli` | `pipeline`, `output`, `source`, `conn` (the summary), `crypto` (key log reports), `certs` (loading trust anchors), `tui`, the foundations |
//!
//! Beside the layers: `crypto` (key logs, decryption) and `certs` (X.509) use only the
//! foundations, `fingerprint` (JA3/JA4) reads `msgs`. The foundations use no layer: `registry`
//! (IANA names), `time`, `escape`, `hex_text`, `fast_map`, and `budget` (the memory limit), which
//! only builds the configurations of `net`, `tcp`, `quic` and `dtls` from the limit.

pub mod budget;
pub mod certs;
pub mod cli;
pub mod conn;
pub mod crypto;
pub mod dtls;
pub mod escape;
pub mod fast_map;
pub mod fingerprint;
pub mod hex_text;
pub mod msgs;
pub mod net;
pub mod output;
pub mod pipeline;
pub mod quic;
pub mod registry;
pub mod source;
pub mod tcp;
pub mod time;
pub mod tls;
pub mod tui;

/// The table of the crate documentation, checked against the code: no layer uses a module
/// its row does not name (test code aside).
#[cfg(test)]
mod layer_rule {
    use std::path::{Path, PathBuf};

    /// Used by every layer; they use none, except that `budget` builds `net`'s, `tcp`'s,
    /// `quic`'s and `dtls`'s configurations.
    const FOUNDATIONS: &[&str] = &["registry", "time", "escape", "hex_text", "fast_map", "budget"];

    /// Each module and what it may use besides the foundations.
    const MAY_USE: &[(&str, &[&str])] = &[
        ("registry", &[]),
        ("time", &[]),
        ("escape", &[]),
        ("hex_text", &[]),
        ("fast_map", &[]),
        ("budget", &["net", "tcp", "quic", "dtls"]),
        ("source", &[]),
        ("net", &[]),
        ("tcp", &["net"]),
        ("quic", &["net", "tcp", "crypto", "msgs"]),
        ("dtls", &["net", "tcp", "msgs"]),
        ("tls", &[]),
        ("msgs", &["certs"]),
        ("certs", &[]),
        ("crypto", &[]),
        ("fingerprint", &["msgs"]),
        ("conn", &["tcp", "quic", "dtls", "tls", "msgs", "net", "crypto", "certs", "fingerprint"]),
        ("output", &["conn", "msgs", "certs", "fingerprint"]),
        ("pipeline", &["source", "net", "tcp", "quic", "dtls", "conn", "crypto", "output", "certs"]),
        ("tui", &["pipeline", "output", "source", "conn", "net", "msgs", "fingerprint", "crypto"]),
        ("cli", &["pipeline", "output", "source", "conn", "crypto", "tui", "certs"]),
    ];

    /// The module's source files, without test files.
    fn files(module: &str) -> Vec<PathBuf> {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut out = Vec::new();
        let single = src.join(format!("{module}.rs"));
        if single.is_file() {
            out.push(single);
        }
        let mut dirs = vec![src.join(module)];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for path in entries.map(|e| e.unwrap().path()) {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                if name.contains("test") {
                    continue;
                } else if path.is_dir() {
                    dirs.push(path);
                } else if name.ends_with(".rs") {
                    out.push(path);
                }
            }
        }
        out
    }

    /// The modules a file names as `crate::name`, up to its test module.
    fn uses(path: &Path) -> Vec<String> {
        let text = std::fs::read_to_string(path).unwrap();
        let code = text.split("#[cfg(test)]\nmod tests {").next().unwrap_or_default();
        let code: String = code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
        code.match_indices("crate::")
            .map(|(at, _)| {
                let rest = &code[at + "crate::".len()..];
                rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
            })
            .collect()
    }

    #[test]
    fn every_module_uses_only_what_its_row_names() {
        let mut wrong = Vec::new();
        for (module, may_use) in MAY_USE {
            let files = files(module);
            assert!(!files.is_empty(), "no source for {module}");
            for file in files {
                for used in uses(&file) {
                    let foundation = FOUNDATIONS.contains(&used.as_str()) && !FOUNDATIONS.contains(module);
                    if used != *module && !foundation && !may_use.contains(&used.as_str()) {
                        wrong.push(format!("{} uses {used}", file.display()));
                    }
                }
            }
        }
        let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
        for module in lib.lines().filter_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';')) {
            if !MAY_USE.iter().any(|(m, _)| *m == module) {
                wrong.push(format!("{module} has no row in the table"));
            }
        }
        wrong.sort();
        wrong.dedup();
        assert!(wrong.is_empty(), "outside the layer table:\n{}", wrong.join("\n"));
    }
}
