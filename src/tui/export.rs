//! `e`: one connection written out: its packets as a pcapng file (with a Decryption Secrets
//! Block holding its key log lines when keys are known, so Wireshark and tlstrace decrypt it
//! without the key log) and its events as NDJSON, both named after the connection.

use super::detail::{ConnDetail, Keys};
use crate::conn::events::Event;
use crate::msgs::HandshakeBody;
use crate::output::Sink;
use crate::output::json::JsonSink;
use crate::source::pcapng_writer::PcapngWriter;
use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The two files written.
#[derive(Debug)]
pub struct Exported {
    pub pcapng: PathBuf,
    pub ndjson: PathBuf,
    /// Key log lines written into the pcapng file.
    pub secrets: usize,
}

/// The base name of a connection's files: `tlstrace-conn12-10.0.0.1_51000-10.0.0.2_443`.
pub fn base_name(conn: u64, client: SocketAddr, server: SocketAddr) -> String {
    let end = |a: SocketAddr| {
        let ip: String =
            a.ip().to_string().chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' }).collect();
        format!("{ip}_{}", a.port())
    };
    format!("tlstrace-conn{conn}-{}-{}", end(client), end(server))
}

/// Writes `detail` into `dir`.
pub fn export(
    dir: &Path,
    conn: u64,
    client: SocketAddr,
    server: SocketAddr,
    detail: &ConnDetail,
    keys: &Keys,
) -> io::Result<Exported> {
    let base = base_name(conn, client, server);
    let pcapng = dir.join(format!("{base}.pcapng"));
    let ndjson = dir.join(format!("{base}.ndjson"));
    let secrets = key_lines(detail, keys);

    let file = io::BufWriter::new(std::fs::File::create(&pcapng)?);
    let app = concat!("tlstrace ", env!("CARGO_PKG_VERSION"));
    let mut w = PcapngWriter::new(file, app, 262_144)?;
    let mut ids = Vec::new();
    for lt in &detail.linktypes {
        ids.push((*lt, w.interface(*lt, "tlstrace export")?));
    }
    if !secrets.is_empty() {
        w.write_decryption_secrets(secrets.join("\n").as_bytes())?;
    }
    for p in &detail.packets {
        let id = ids.iter().find(|(lt, _)| *lt == p.linktype).map_or(0, |(_, id)| *id);
        w.write_packet(id, p.ts, &p.data, p.orig_len)?;
    }
    w.into_inner()?.flush()?;

    let mut sink = JsonSink::new(io::BufWriter::new(std::fs::File::create(&ndjson)?));
    for ev in &detail.events {
        sink.event(ev)?;
    }
    sink.finish()?;
    Ok(Exported { pcapng, ndjson, secrets: secrets.len() })
}

/// The key log lines of the connection: those naming one of its ClientHello randoms.
fn key_lines(detail: &ConnDetail, keys: &Keys) -> Vec<String> {
    let randoms: Vec<String> = detail
        .events
        .iter()
        .filter_map(|ev| match ev {
            Event::Message(m) => match &m.body {
                Some(HandshakeBody::ClientHello { client_hello }) => Some(crate::hex_text::lower(&client_hello.random)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    if randoms.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    // What the trace used or derived (a key log's lines, or master secrets an RSA key opened).
    for ev in &detail.events {
        if let Event::Handshake(h) = ev {
            for line in &h.keylog_lines {
                if !out.contains(line) {
                    out.push(line.clone());
                }
            }
        }
    }
    let mut take = |line: &str| {
        let line = line.trim();
        let mut words = line.split_whitespace();
        let (Some(_label), Some(random)) = (words.next(), words.next()) else { return };
        if randoms.iter().any(|r| r.eq_ignore_ascii_case(random)) && !out.iter().any(|l: &String| l == line) {
            out.push(line.to_string());
        }
    };
    if let Some(path) = &keys.file
        && let Ok(file) = std::fs::File::open(path)
    {
        for line in io::BufReader::new(file).lines().map_while(Result::ok) {
            take(&line);
        }
    }
    for line in String::from_utf8_lossy(&keys.embedded).lines() {
        take(line);
    }
    out
}
