//! Counters of a run's connections, for the summary.

use super::events::HandshakeEvent;

#[derive(Debug, Default, Clone)]
pub struct ConnStats {
    pub flows: u64,
    /// Of `flows`, the DTLS connections.
    pub dtls_flows: u64,
    pub tls_connections: u64,
    pub messages: u64,
    pub gaps: u64,
    pub gap_bytes: u64,
    pub malformed_messages: u64,
    pub evicted: u64,
    /// Flows evicted before TLS was seen in them.
    pub evicted_flows: u64,
    /// Of those, the ones past the first `MAX_EVICTED_EVENTS`, counted without an event.
    pub evicted_flows_unlisted: u64,
    /// Flows reported because a gap hid their start before TLS could be recognised.
    pub unconfirmed_connections: u64,
    /// Gap bytes tlstrace dropped itself, by cause.
    pub gap_bytes_by_cause: std::collections::BTreeMap<&'static str, u64>,
    pub handshakes: HandshakeTally,
    pub certificates_written: u64,
}

/// Handshakes counted by what they negotiated and how they ended, for the run summary.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct HandshakeTally {
    pub total: u64,
    pub complete: u64,
    pub by_version: std::collections::BTreeMap<String, u64>,
    pub by_cipher_suite: std::collections::BTreeMap<String, u64>,
    pub by_kind: std::collections::BTreeMap<String, u64>,
    pub failures: std::collections::BTreeMap<String, u64>,
}

impl HandshakeTally {
    pub(super) fn add(&mut self, h: &HandshakeEvent) {
        self.total = self.total.saturating_add(1);
        if h.complete {
            self.complete = self.complete.saturating_add(1);
        }
        bump(&mut self.by_version, h.version_name.as_deref().unwrap_or("unknown"));
        bump(&mut self.by_cipher_suite, h.cipher_suite_name.as_deref().unwrap_or("unknown"));
        bump(&mut self.by_kind, h.kind);
        if let Some(f) = &h.failure {
            // "alert: unknown_ca from client" and the like: group by the reason's head.
            let n = self.failures.entry(f.clone()).or_default();
            *n = n.saturating_add(1);
        }
    }
}

/// Counts one more `key`, allocating the key only the first time it is seen.
fn bump(counts: &mut std::collections::BTreeMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n = n.saturating_add(1),
        None => {
            counts.insert(key.to_string(), 1);
        }
    }
}
