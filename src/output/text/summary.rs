//! The run's summary as text.

use crate::conn::events::SummaryEvent;
use colored::Colorize;

pub(super) fn summary_text(text: &mut String, s: &SummaryEvent) {
    // `connections` counts QUIC connections too: the line names each transport's share.
    let (quic, dtls) = (s.quic.as_ref().map_or(0, |q| q.connections), s.dtls_connections);
    let tcp = s.connections.saturating_sub(quic).saturating_sub(dtls);
    let connections = match (quic, dtls) {
        (0, 0) => format!("{} TCP connections", s.connections),
        (quic, 0) => format!("{tcp} TCP and {quic} QUIC connections"),
        (0, dtls) => format!("{tcp} TCP and {dtls} DTLS connections"),
        (quic, dtls) => format!("{tcp} TCP, {quic} QUIC and {dtls} DTLS connections"),
    };
    text.push_str(&format!(
        "summary: {} packets, {connections}, {} TLS connections, {} messages, {} gaps ({} bytes), {} malformed packets\n",
        s.packets, s.tls_connections, s.messages, s.gaps, s.gap_bytes, s.malformed_packets
    ));
    let h = &s.handshakes;
    if h.total > 0 {
        let list = |m: &std::collections::BTreeMap<String, u64>| {
            let mut v: Vec<(&String, &u64)> = m.iter().collect();
            v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            v.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")
        };
        text.push_str(&format!("  handshakes: {} ({} complete)\n", h.total, h.complete));
        text.push_str(&format!("  versions: {}\n", list(&h.by_version)));
        text.push_str(&format!("  cipher suites: {}\n", list(&h.by_cipher_suite)));
        text.push_str(&format!("  kinds: {}\n", list(&h.by_kind)));
        if !h.failures.is_empty() {
            text.push_str(&format!("  {}\n", format!("failures: {}", list(&h.failures)).red()));
        }
    }
    if let Some(d) = &s.decryption {
        text.push_str(&format!(
            "  decryption: {} connections decrypted, {} without secrets, {} unsupported; Finished verified {}, failed {}\n",
            d.connections_decrypted, d.connections_without_secrets, d.connections_unsupported_cipher, d.finished_verified, d.finished_failed
        ));
    }
    if s.unconfirmed_connections > 0 {
        text.push_str(&format!(
            "  {} flows whose start a gap hid before TLS could be recognised (reported with their gaps)\n",
            s.unconfirmed_connections
        ));
    }
    if s.evicted_flows > 0 {
        text.push_str(&format!("  {} flows evicted before TLS was seen in them (flow table full)", s.evicted_flows));
        if s.evicted_flows_unlisted > 0 {
            text.push_str(&format!("; {} of them not listed one by one", s.evicted_flows_unlisted));
        }
        text.push('\n');
    }
    for (cause, bytes) in &s.gap_bytes_by_cause {
        text.push_str(&format!("  {bytes} gap bytes dropped by tlstrace ({cause})\n"));
    }
    let e = &s.evictions;
    if *e != crate::budget::Evictions::default() {
        text.push_str(&format!(
            "  memory limit {} MiB reached: evicted {} flows (table full), {} flows (TLS buffers), {} reassembly holes, {} fragment datagrams, {} cache entries\n",
            s.memory_limit >> 20, e.flows, e.tls_buffers, e.reassembly, e.fragments, e.caches
        ));
    }
    // What the UDP transports gave up, when they gave up anything.
    if let Some(q) = s.quic.as_ref().filter(|q| {
        q.connections_evicted + q.crypto_bytes_dropped + q.packets_held_given_up + q.malformed_datagrams > 0
    }) {
        text.push_str(&format!(
            "  QUIC: {} connections evicted (table full), {} CRYPTO bytes dropped over the reassembly cap, {} packets handled without their secrets after waiting, {} datagrams that did not frame as packets\n",
            q.connections_evicted, q.crypto_bytes_dropped, q.packets_held_given_up, q.malformed_datagrams
        ));
    }
    if let Some(d) = s.dtls.as_ref().filter(|d| d.connections_evicted + d.malformed_datagrams > 0) {
        text.push_str(&format!(
            "  DTLS: {} connections evicted (table full), {} datagrams of known connections that did not frame as records\n",
            d.connections_evicted, d.malformed_datagrams
        ));
    }
    if let Some(k) = s.key_log.as_ref().filter(|k| k.dropped_lines > 0 || k.read_errors > 0) {
        let mut named: Vec<String> = k.connections_without_secrets.iter().map(u64::to_string).collect();
        if k.connections_without_secrets_unlisted > 0 {
            named.push(format!("and {} more", k.connections_without_secrets_unlisted));
        }
        let named = if named.is_empty() { "none".to_string() } else { named.join(", ") };
        let line = format!(
            "key log: {} lines, {} kept, {} dropped for lack of memory (raise --memory-limit), {} read errors; connections that lost their secrets to it: {named}",
            k.lines, k.indexed, k.dropped_lines, k.read_errors
        );
        text.push_str(&format!("  {}\n", line.red()));
    }
    if let Some(k) = &s.kernel {
        text.push_str(&format!("  kernel: {} packets received, {} dropped\n", k.packets_received, k.packets_dropped));
    }
    for lt in &s.skipped_link_types {
        text.push_str(&format!("  skipped {} packets of unsupported link type {}\n", lt.packets, lt.linktype));
    }
    if let Some(e) = &s.input_error {
        text.push_str(&format!("  input error: {e}\n"));
    }
}

#[cfg(test)]
mod tests {
    /// The summary says what the memory limit evicted, and only when it did.
    #[test]
    fn summary_reports_evictions() {
        let mut s = crate::conn::events::SummaryEvent { memory_limit: 64 << 20, ..Default::default() };
        let mut text = String::new();
        super::summary_text(&mut text, &s);
        assert!(!text.contains("memory limit"), "{text}");
        s.evictions = crate::budget::Evictions { flows: 5, reassembly: 2, tls_buffers: 3, fragments: 4, caches: 1 };
        let mut text = String::new();
        super::summary_text(&mut text, &s);
        assert!(
            text.contains("  memory limit 64 MiB reached: evicted 5 flows (table full), 3 flows (TLS buffers), 2 reassembly holes, 4 fragment datagrams, 1 cache entries\n"),
            "{text}"
        );
    }

    /// What the QUIC and DTLS tables gave up is said, and only when they gave up something.
    #[test]
    fn summary_reports_what_the_udp_transports_dropped() {
        let mut s = crate::conn::events::SummaryEvent {
            quic: Some(crate::quic::QuicStats { connections: 2, ..Default::default() }),
            dtls: Some(crate::dtls::DtlsStats { connections: 1, ..Default::default() }),
            ..Default::default()
        };
        let mut text = String::new();
        super::summary_text(&mut text, &s);
        assert!(!text.contains("QUIC:") && !text.contains("DTLS:"), "{text}");
        if let (Some(q), Some(d)) = (s.quic.as_mut(), s.dtls.as_mut()) {
            (q.crypto_bytes_dropped, q.packets_held_given_up) = (300, 2);
            d.malformed_datagrams = 4;
        }
        let mut text = String::new();
        super::summary_text(&mut text, &s);
        assert!(
            text.contains("  QUIC: 0 connections evicted (table full), 300 CRYPTO bytes dropped over the reassembly cap, 2 packets handled without their secrets after waiting, 0 datagrams that did not frame as packets\n"),
            "{text}"
        );
        assert!(
            text.contains("  DTLS: 0 connections evicted (table full), 4 datagrams of known connections that did not frame as records\n"),
            "{text}"
        );
    }
}
