//! The filter line (`/`): the command line's filters as words (`host:`, `port:`, `sni:` with
//! globs, `failed`, `ja3:`, `ja4:`) plus `version:`, `suite:`, `kind:`, `group:`, `failure:`,
//! `conn:` and `transport:`, and free text matched against the SNI, the addresses and the cipher
//! suite. Every word must match.

use super::model::Row;
use crate::output::filter::{glob_match, sni_matches};
use std::net::IpAddr;

/// One word of a filter.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Term {
    Host(IpAddr),
    Port(u16),
    Sni(String),
    Failed,
    Ja3(String),
    Ja4(String),
    Version(String),
    Suite(String),
    Kind(String),
    Group(String),
    /// The failure reason starts with this.
    Failure(String),
    Conn(u64),
    /// tcp, quic or dtls.
    Transport(String),
    Text(String),
}

/// A parsed filter; the empty filter shows everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    terms: Vec<Term>,
}

impl Query {
    /// Parses a filter line; the error says which word is wrong and why.
    pub fn parse(line: &str) -> Result<Query, String> {
        let mut terms = Vec::new();
        for word in words(line)? {
            let word = word.as_str();
            let term = match word.split_once(':') {
                Some(("host", v)) => Term::Host(v.parse().map_err(|_| format!("host:{v}: not an IP address"))?),
                Some(("port", v)) => Term::Port(v.parse().map_err(|_| format!("port:{v}: not a port number"))?),
                Some(("sni", v)) => Term::Sni(non_empty("sni", v)?),
                Some(("ja3", v)) => Term::Ja3(non_empty("ja3", v)?.to_lowercase()),
                Some(("ja4", v)) => Term::Ja4(non_empty("ja4", v)?.to_lowercase()),
                Some(("version", v)) => Term::Version(non_empty("version", v)?.to_lowercase()),
                Some(("suite", v)) => Term::Suite(non_empty("suite", v)?.to_lowercase()),
                Some(("kind", v)) => Term::Kind(non_empty("kind", v)?.to_lowercase()),
                Some(("group", v)) => Term::Group(non_empty("group", v)?.to_lowercase()),
                Some(("failure", v)) => Term::Failure(non_empty("failure", v)?.to_lowercase()),
                Some(("conn", v)) => Term::Conn(v.parse().map_err(|_| format!("conn:{v}: not a connection number"))?),
                Some(("transport", v)) => match v.to_lowercase().as_str() {
                    t @ ("tcp" | "quic" | "dtls") => Term::Transport(t.to_string()),
                    _ => return Err(format!("transport:{v}: tcp, quic or dtls")),
                },
                Some((key, _)) if key.chars().all(|c| c.is_ascii_alphabetic()) && !key.is_empty() => {
                    return Err(format!(
                        "{key}: unknown filter (host: port: sni: ja3: ja4: version: suite: group: kind: failure: conn: transport: failed)"
                    ));
                }
                _ if word == "failed" => Term::Failed,
                _ => Term::Text(word.to_lowercase()),
            };
            terms.push(term);
        }
        Ok(Query { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether `row` passes every word.
    pub fn matches(&self, row: &Row) -> bool {
        self.terms.iter().all(|t| term_matches(t, row))
    }
}

/// The words of a filter line; `"..."` keeps spaces inside a word (`version:"TLS 1.3"`).
fn words(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if quoted {
        return Err("a quote is not closed".into());
    }
    if !word.is_empty() {
        out.push(word);
    }
    Ok(out)
}

fn non_empty(key: &str, v: &str) -> Result<String, String> {
    if v.is_empty() { Err(format!("{key}: needs a value")) } else { Ok(v.to_string()) }
}

/// A value pattern: a glob when it has `*` or `?`, else a case-insensitive substring.
fn like(pattern: &str, text: &str) -> bool {
    if pattern.contains('*') || pattern.contains('?') {
        glob_match(pattern, text)
    } else {
        text.to_lowercase().contains(pattern)
    }
}

fn term_matches(t: &Term, row: &Row) -> bool {
    match t {
        Term::Host(ip) => row.client.ip() == *ip || row.server.ip() == *ip,
        Term::Port(p) => row.client.port() == *p || row.server.port() == *p,
        Term::Sni(p) => row.sni.as_deref().is_some_and(|s| sni_matches(p, s)),
        Term::Failed => row.failed(),
        Term::Ja3(v) => row.fingerprints.as_ref().is_some_and(|f| f.ja3_hash == *v || f.ja3 == *v),
        Term::Ja4(v) => row
            .fingerprints
            .as_ref()
            .is_some_and(|f| [&f.ja4, &f.ja4_r, &f.ja4_o, &f.ja4_ro].iter().any(|x| x.to_lowercase() == *v)),
        Term::Version(v) => {
            let compact = v.replace(' ', "");
            row.version.as_deref().is_some_and(|n| {
                let name = n.to_lowercase();
                like(v, &name) || name.replace(' ', "").contains(&compact)
            })
        }
        Term::Suite(v) => row.suite.as_deref().is_some_and(|n| like(v, n)),
        Term::Kind(v) => row.kind.to_lowercase().contains(v.as_str()) || like(v, row.kind_text()),
        Term::Group(v) => row.group.as_deref().is_some_and(|n| like(v, n)),
        Term::Failure(v) => match &row.outcome {
            super::model::Outcome::Failed(f) => f.to_lowercase().starts_with(v.as_str()),
            _ => false,
        },
        Term::Conn(n) => row.conn == *n,
        Term::Transport(t) => row.transport == t,
        Term::Text(v) => {
            row.sni.as_deref().is_some_and(|s| like(v, s))
                || like(v, &row.client.to_string())
                || like(v, &row.server.to_string())
                || row.suite.as_deref().is_some_and(|n| like(v, n))
        }
    }
}
