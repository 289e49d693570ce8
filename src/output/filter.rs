//! Connection filters (`--host`, `--port`, `--sni`, `--failed`, fingerprints): a sink wrapper
//! that holds a connection's events until it can decide, then passes or drops them all.

use super::Sink;
use crate::conn::events::{Endpoint, Event, HelloFingerprints};
use crate::fast_map::FastMap;
use crate::msgs::HandshakeBody;
use std::io;
use std::net::IpAddr;

/// Events held per undecided connection (bounded memory). A connection still undecided past
/// this many is shown (nothing is dropped): a filter errs on the side of showing more.
const MAX_HELD_EVENTS: usize = 2000;

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub hosts: Vec<IpAddr>,
    pub ports: Vec<u16>,
    /// Substring, or a glob with `*` and `?`, matched case-insensitively against the SNI.
    pub snis: Vec<String>,
    pub failed_only: bool,
    /// Fingerprint filters (JA3/JA4 values), matched against the ClientHello's fingerprints.
    pub fingerprints: Vec<String>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty()
            && self.ports.is_empty()
            && self.snis.is_empty()
            && !self.failed_only
            && self.fingerprints.is_empty()
    }
}

/// Glob match with `*` (any run) and `?` (one char), case-insensitive.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while ti < t.len() {
        match p.get(pi) {
            Some('?') => {
                pi += 1;
                ti += 1;
            }
            Some('*') => {
                star = Some(pi);
                mark = ti;
                pi += 1;
            }
            Some(c) if Some(c) == t.get(ti) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ti = mark;
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

pub fn sni_matches(pattern: &str, sni: &str) -> bool {
    if pattern.contains('*') || pattern.contains('?') {
        glob_match(pattern, sni)
    } else {
        sni.to_lowercase().contains(&pattern.to_lowercase())
    }
}

#[derive(Default)]
struct Pending {
    events: Vec<Event>,
    /// Address checks passed (or none asked).
    address_ok: bool,
    sni_ok: Option<bool>,
    fingerprint_ok: Option<bool>,
    failed: Option<bool>,
}

enum Decision {
    Pending(Pending),
    Accept,
    Reject,
}

pub struct FilterSink<S: Sink> {
    inner: S,
    filter: Filter,
    conns: FastMap<u64, Decision>,
}

impl<S: Sink> FilterSink<S> {
    pub fn new(inner: S, filter: Filter) -> Self {
        FilterSink { inner, filter, conns: FastMap::default() }
    }

    fn decide(&self, p: &Pending) -> Option<bool> {
        if !p.address_ok {
            return Some(false);
        }
        let mut undecided = false;
        for check in [
            (!self.filter.snis.is_empty()).then_some(p.sni_ok),
            (!self.filter.fingerprints.is_empty()).then_some(p.fingerprint_ok),
            self.filter.failed_only.then_some(p.failed),
        ]
        .into_iter()
        .flatten()
        {
            match check {
                Some(false) => return Some(false),
                None => undecided = true,
                Some(true) => {}
            }
        }
        if undecided { None } else { Some(true) }
    }
}

fn conn_of(ev: &Event) -> Option<u64> {
    match ev {
        Event::Connection(c) => Some(c.conn),
        Event::Message(m) => Some(m.conn),
        Event::Gap(g) => Some(g.conn),
        Event::Handshake(h) => Some(h.conn),
        Event::End(e) => Some(e.conn),
        Event::Summary(_) | Event::Evicted(_) => None,
    }
}

impl Filter {
    /// `--host` and `--port` on a connection's two ends.
    fn address_ok(&self, ends: [&Endpoint; 2]) -> bool {
        let host_ok = self.hosts.is_empty() || ends.iter().any(|e| self.hosts.contains(&e.ip));
        let port_ok = self.ports.is_empty() || ends.iter().any(|e| self.ports.contains(&e.port));
        host_ok && port_ok
    }
}

impl Pending {
    /// Takes what `ev` tells about the connection: its SNI, its fingerprints, how its
    /// handshake ended; at the end, what was not seen does not match.
    fn observe(&mut self, ev: &Event, filter: &Filter) {
        match ev {
            Event::Message(m) => {
                if let Some(HandshakeBody::ClientHello { client_hello }) = &m.body
                    && self.sni_ok.is_none()
                {
                    let sni = client_hello.sni.as_deref();
                    self.sni_ok = Some(sni.is_some_and(|s| filter.snis.iter().any(|pat| sni_matches(pat, s))));
                }
                if let (Some(HelloFingerprints::Client(fp)), None) = (m.fingerprints.as_deref(), self.fingerprint_ok) {
                    self.fingerprint_ok = Some(filter.fingerprints.iter().any(|f| crate::fingerprint::matches(f, fp)));
                }
            }
            Event::Handshake(h) => self.failed = Some(!h.complete || !h.alerts.is_empty()),
            Event::End(_) => {
                self.sni_ok.get_or_insert(false);
                self.fingerprint_ok.get_or_insert(false);
                self.failed.get_or_insert(true);
            }
            _ => {}
        }
    }
}

impl<S: Sink> FilterSink<S> {
    /// An evicted flow: no hello was seen, so only the address filters can match it.
    fn evicted(&mut self, ev: &Event, e: &crate::conn::events::EvictedEvent) -> io::Result<()> {
        let f = &self.filter;
        let hello_free = f.snis.is_empty() && f.fingerprints.is_empty();
        if f.address_ok([&e.initiator, &e.responder]) && hello_free { self.inner.event(ev) } else { Ok(()) }
    }

    /// A connection not yet decided: `ev` is held with the others until the evidence decides
    /// (or too many are held, and the connection is shown).
    fn pending(&mut self, mut p: Pending, ev: &Event) -> io::Result<Decision> {
        p.observe(ev, &self.filter);
        p.events.push(ev.clone());
        let decision = match self.decide(&p) {
            None if p.events.len() >= MAX_HELD_EVENTS => Some(true),
            decided => decided,
        };
        Ok(match decision {
            Some(true) => {
                for e in &p.events {
                    self.inner.event(e)?;
                }
                Decision::Accept
            }
            Some(false) => Decision::Reject,
            None => Decision::Pending(p),
        })
    }
}

impl<S: Sink> Sink for FilterSink<S> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        if let Event::Evicted(e) = ev {
            return self.evicted(ev, e);
        }
        let Some(conn) = conn_of(ev) else { return self.inner.event(ev) };
        if let Event::Connection(c) = ev {
            let address_ok = self.filter.address_ok([&c.client, &c.server]);
            self.conns.insert(conn, Decision::Pending(Pending { address_ok, ..Default::default() }));
        }
        let next = match self.conns.remove(&conn).unwrap_or(Decision::Reject) {
            Decision::Accept => {
                self.inner.event(ev)?;
                Decision::Accept
            }
            Decision::Reject => Decision::Reject,
            Decision::Pending(p) => self.pending(p, ev)?,
        };
        if !matches!(ev, Event::End(_)) {
            self.conns.insert(conn, next);
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    fn needs_fingerprints(&self) -> bool {
        !self.filter.fingerprints.is_empty() || self.inner.needs_fingerprints()
    }

    fn needs_roles(&self) -> bool {
        self.inner.needs_roles()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*.example.com", "www.Example.com"));
        assert!(!glob_match("*.example.com", "example.org"));
        assert!(glob_match("a?c", "abc"));
        assert!(sni_matches("google", "www.google.com"));
        assert!(!sni_matches("www.*.net", "www.google.com"));
    }

    /// Counts what reaches it.
    #[derive(Default)]
    struct Count(usize);

    impl Sink for Count {
        fn event(&mut self, _: &Event) -> io::Result<()> {
            self.0 += 1;
            Ok(())
        }
        fn finish(&mut self) -> io::Result<()> {
            Ok(())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_connection_undecided_for_long_is_shown_whole_not_cut() {
        use crate::conn::events::{ConnectionEvent, Direction, GapEvent, RoleEvidence};
        use crate::time::Timestamp;
        let filter = Filter { failed_only: true, ..Filter::default() };
        let mut sink = FilterSink::new(Count::default(), filter);
        let time = Timestamp::new(1_700_000_000, 0, 6);
        let addr = std::net::SocketAddr::from(([10, 0, 0, 1], 443));
        let conn = ConnectionEvent {
            conn: 1,
            client: addr.into(),
            server: addr.into(),
            time,
            frame: 1,
            syn_seen: true,
            roles_from: RoleEvidence::Syn,
            tls_seen: true,
            transport: None,
            quic: None,
        };
        sink.event(&Event::Connection(conn)).unwrap();
        let events = 2 * MAX_HELD_EVENTS;
        for i in 0..events as u64 {
            let gap = GapEvent {
                conn: 1,
                direction: Direction::ClientToServer,
                time,
                frame: i,
                bytes: 1,
                offset: i,
                cause: "capture_loss",
                holes: None,
            };
            sink.event(&Event::Gap(gap)).unwrap();
        }
        // Still undecided (no handshake yet), but every event went through: none was dropped.
        assert_eq!(sink.inner.0, events + 1);
    }
}
