//! A connection's block: its header line and one line per message.

use super::Verbosity;
use super::style::{Paint, Style, left_aligned, push_decimal, right_aligned, write_ms};
use crate::conn::events::{ConnectionEvent, Direction, GapEvent, HandshakeEvent, HelloFingerprints, MessageEvent};
use crate::msgs::extensions::ExtensionBody;
use crate::msgs::names::{cipher_suite_name, group_name, version_name};
use crate::msgs::{HandshakeBody, MessageKind};
use crate::time::Timestamp;
use std::fmt::Write as _;

/// `-v`: how the keys were made, under the header: where the secret came from, the randoms,
/// the PRF and its label, and whether the Finished checks proved it.
pub(super) fn key_derivation_lines(text: &mut String, paint: Paint, kd: &crate::conn::decrypt::KeyDerivation) {
    let from = match kd.secret_from {
        "rsa_key" => format!(
            "premaster from the ClientKeyExchange, opened with --rsa-key {}",
            kd.rsa_key.as_deref().unwrap_or("?")
        ),
        "key_log" => "secrets from the key log".to_string(),
        "resumed_session" => "master secret of the resumed session".to_string(),
        _ => "no secret: nothing decrypted".to_string(),
    };
    let _ = writeln!(text, "  keys: {from}");
    if let Some(len) = kd.premaster_length {
        let version = kd.premaster_version.map(|v| format!("0x{v:04x}")).unwrap_or_else(|| "-".into());
        let check = if kd.premaster_version_ok == Some(true) {
            "matches the ClientHello"
        } else {
            "DIFFERS from the ClientHello"
        };
        let _ = writeln!(text, "        premaster: {len} bytes, version {version} ({check})");
    }
    if !kd.client_random.is_empty() {
        let _ = writeln!(text, "        client random {}", kd.client_random);
        let _ = writeln!(text, "        server random {}", kd.server_random);
    }
    match (&kd.prf, kd.label) {
        (Some(prf), Some(label)) => {
            let seed = if label == "extended master secret" { "session hash" } else { "client random + server random" };
            let _ = writeln!(text, "        master secret = {prf}(premaster, \"{label}\", {seed})");
        }
        (Some(prf), None) => {
            let _ = writeln!(text, "        {prf}");
        }
        _ => {}
    }
    if let Some(p) = &kd.premaster {
        let _ = writeln!(text, "        premaster {p}");
    }
    if let Some(m) = &kd.master_secret {
        let _ = writeln!(text, "        master secret {m}");
    }
    match kd.proved_by_finished {
        Some(true) => {
            text.push_str("        ");
            paint.str(text, Style::Green, "proved: both Finished verify with these keys");
            text.push('\n');
        }
        Some(false) => {
            text.push_str("        ");
            paint.str(text, Style::RedBold, "a Finished does NOT verify with these keys");
            text.push('\n');
        }
        None => {}
    }
    if let Some(note) = &kd.note {
        text.push_str("        ");
        paint.str(text, Style::Yellow, note);
        text.push('\n');
    }
}

/// The line of a gap in the ladder.
pub(super) fn gap_line(text: &mut String, paint: Paint, g: &GapEvent) {
    let _ = write!(text, "  {:>26}  ", "");
    paint.styled(text, Style::RedBold, |t| {
        let why = match g.cause {
            "capture_loss" => "lost from the capture",
            "snaplen" => "cut by the snap length",
            "buffer_limit" => "dropped by tlstrace: out-of-order buffer full",
            "evicted" => "dropped by tlstrace: flow evicted",
            other => other,
        };
        let _ = write!(t, "GAP: {} bytes missing {} at offset {} ({why})", g.bytes, arrow_word(g.direction), g.offset);
    });
    text.push('\n');
}

/// What came after the handshake, condensed (by direction and name: count and bytes), and the
/// line that closes a connection's block.
pub(super) fn closing_lines(
    text: &mut String,
    paint: Paint,
    after: &std::collections::BTreeMap<(u8, crate::msgs::names::Name), (u64, u64)>,
    reason: &str,
    notes: &[String],
) {
    for ((dir, name), (count, bytes)) in after {
        let arrow = if *dir == 0 { "C ──▶ S" } else { "C ◀── S" };
        text.push_str("        after the handshake:  ");
        text.push_str(arrow);
        text.push_str("  post  ");
        text.push_str(name);
        text.push_str(" ×");
        push_decimal(text, *count);
        text.push_str(" (");
        push_decimal(text, *bytes);
        text.push_str(" bytes)\n");
    }
    for note in notes {
        text.push_str("        after the handshake:  ");
        text.push_str(note);
        text.push('\n');
    }
    text.push_str("  ");
    paint.styled(text, Style::Dim, |t| {
        let _ = write!(t, "connection closed ({reason})");
    });
    text.push_str("\n\n");
}

pub(super) fn arrow_word(d: Direction) -> &'static str {
    match d {
        Direction::ClientToServer => "client to server",
        Direction::ServerToClient => "server to client",
    }
}

/// Writes `part` after a two-space separator (none before the first).
fn part(text: &mut String, first: &mut bool) {
    if !*first {
        text.push_str("  ");
    }
    *first = false;
}

pub(super) fn header(
    text: &mut String,
    paint: Paint,
    conn: u64,
    c: Option<&ConnectionEvent>,
    hs: Option<&HandshakeEvent>,
) {
    let mut first = true;
    part(text, &mut first);
    paint.styled(text, Style::Bold, |t| {
        t.push_str("conn ");
        push_decimal(t, conn);
    });
    part(text, &mut first);
    if let Some(c) = c {
        write_endpoint(text, c.client.ip, c.client.port);
        text.push_str(" → ");
        write_endpoint(text, c.server.ip, c.server.port);
        if let Some(q) = &c.quic {
            part(text, &mut first);
            text.push_str(q.version_name);
        }
        if !c.tls_seen {
            part(text, &mut first);
            paint.str(text, Style::Yellow, "TLS not recognised: a gap hid the start");
        }
    }
    let Some(h) = hs else {
        part(text, &mut first);
        paint.str(text, Style::Yellow, "handshake not seen");
        text.push('\n');
        return;
    };
    if h.handshake > 1 {
        part(text, &mut first);
        paint.styled(text, Style::Yellow, |t| {
            let _ = write!(t, "handshake {} (renegotiation)", h.handshake);
        });
    }
    if let Some(sni) = &h.sni {
        part(text, &mut first);
        paint.str(text, Style::Cyan, sni);
    }
    for plain in [&h.version_name, &h.cipher_suite_name, &h.group].into_iter().flatten() {
        part(text, &mut first);
        text.push_str(plain);
    }
    part(text, &mut first);
    text.extend(h.kind.chars().map(|c| if c == '_' { ' ' } else { c }));
    if h.hello_retry_request {
        text.push_str(" +HRR");
    }
    if h.client_certificate != "none" {
        let _ = write!(text, " +client-cert {}", h.client_certificate);
    }
    if h.early_data != "none" {
        let _ = write!(text, " +0-RTT {}", h.early_data);
    }
    if let Some(z) = h.quic.as_ref().and_then(|q| q.zero_rtt.as_ref()) {
        let plural = if z.packets == 1 { "" } else { "s" };
        let _ = write!(text, " ({} 0-RTT packet{plural}, {} opened", z.packets, z.packets_opened);
        if z.stream_frames > 0 {
            let frames = if z.stream_frames == 1 { "frame" } else { "frames" };
            let _ = write!(text, ": {} STREAM {frames}, {} bytes", z.stream_frames, z.stream_bytes);
        }
        text.push(')');
    }
    if let Some(d) = h.duration {
        part(text, &mut first);
        write_ms(text, (d * 1e9).round() as i128);
    }
    // The server's chain as a browser would judge it at the capture's time.
    if let Some(t) = &h.trust
        && let Some(verdict) = t.verdict()
    {
        part(text, &mut first);
        let style = if t.trusted == Some(true) { Style::Green } else { Style::Yellow };
        paint.str(text, style, &verdict);
    }
    match h.finished_verified {
        Some(true) => {
            part(text, &mut first);
            paint.str(text, Style::Green, "Finished verified");
        }
        Some(false) => {
            part(text, &mut first);
            paint.str(text, Style::RedBold, "Finished NOT VERIFIED");
        }
        None => {}
    }
    part(text, &mut first);
    if h.complete {
        paint.str(text, Style::Green, "complete");
    } else {
        paint.styled(text, Style::RedBold, |t| {
            let _ = write!(t, "FAILED: {}", h.failure.as_deref().unwrap_or("unknown"));
        });
    }
    text.push('\n');
    // The header already says the server chain's verdict; its warning would repeat it.
    let said =
        h.trust.as_ref().and_then(|t| t.trust_error.as_deref()).map(|e| format!("certificate chain untrusted: {e}"));
    for w in h.warnings.iter().filter(|w| Some(w.as_str()) != said.as_deref()) {
        text.push_str("  ");
        paint.styled(text, Style::Yellow, |t| {
            let _ = write!(t, "warning: {w}");
        });
        text.push('\n');
    }
    // QUIC: the connection ids each side's packets go to, and the one the client began with.
    if let (Some(q), Some(server)) =
        (c.and_then(|c| c.quic.as_ref()), h.quic.as_ref().and_then(|q| q.server_connection_id.as_ref()))
    {
        let _ = writeln!(
            text,
            "  connection ids: client {}, server {} (the client's first Initial went to {})",
            q.client_connection_id, server, q.original_destination_connection_id
        );
    }
}

pub(super) fn write_endpoint(out: &mut String, ip: std::net::IpAddr, port: u16) {
    let _ = match ip {
        std::net::IpAddr::V6(v6) => write!(out, "[{v6}]:{port}"),
        std::net::IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_decimal(out, u64::from(octet));
            }
            out.push(':');
            push_decimal(out, u64::from(port));
            Ok(())
        }
    };
}

fn phase_style(p: u8) -> Style {
    match p {
        1 => Style::Blue,
        2 => Style::Magenta,
        3 => Style::Cyan,
        4 => Style::Green,
        _ => Style::Dim,
    }
}

pub(super) fn message_line(
    text: &mut String,
    paint: Paint,
    m: &MessageEvent,
    start: Option<Timestamp>,
    prev: Option<Timestamp>,
    v: Verbosity,
) {
    let now = m.time.as_nanos();
    let since = start.map_or(0, |s| now - s.as_nanos());
    let delta = prev.or(start).map_or(0, |p| now - p.as_nanos());
    text.push_str("  ");
    right_aligned(text, 12, |t| write_ms(t, since));
    text.push(' ');
    right_aligned(text, 13, |t| {
        t.push('+');
        write_ms(t, delta);
    });
    text.push_str("  ");
    match m.direction {
        Direction::ClientToServer => paint.str(text, Style::Blue, "C ──▶ S"),
        Direction::ServerToClient => paint.str(text, Style::Magenta, "C ◀── S"),
    }
    text.push_str("  ");
    paint.styled(text, phase_style(m.phase), |t| {
        if m.phase == 0 {
            t.push_str("post");
        } else {
            t.push_str("ph");
            push_decimal(t, u64::from(m.phase));
        }
    });
    text.push_str("  ");
    let name_style = if m.alert.is_some() || matches!(m.kind, MessageKind::Alert | MessageKind::EncryptedAlert) {
        Style::RedBold
    } else if m.encrypted {
        Style::Dim
    } else {
        Style::Bold
    };
    paint.styled(text, name_style, |t| left_aligned(t, 22, |t| t.push_str(&m.name)));
    text.push(' ');
    key_values(text, paint, m);
    text.push('\n');
    if v == Verbosity::Verbose {
        text.push_str("                  ");
        paint.str(text, Style::Dim, &m.role);
        text.push('\n');
        for detail in details(m) {
            let _ = writeln!(text, "                    {detail}");
        }
    }
}

/// The few values that matter for each message.
/// A stapled OCSP response in a few words: "OCSP good, produced T, valid at capture", or
/// "OCSP REVOKED at T (reason)"; what a browser would object to in colour.
fn ocsp_summary(text: &mut String, paint: Paint, ocsp: &crate::certs::ocsp::OcspResponse) {
    match (ocsp.response_status, ocsp.cert_status.as_deref()) {
        (_, Some("revoked")) => paint.styled(text, Style::RedBold, |t| {
            let _ = write!(t, "OCSP REVOKED at {}", ocsp.revocation_time.as_deref().unwrap_or("?"));
            if let Some(reason) = &ocsp.revocation_reason {
                let _ = write!(t, " ({reason})");
            }
        }),
        (_, Some(status)) => {
            let style = if status == "good" { Style::Green } else { Style::Yellow };
            paint.styled(text, style, |t| {
                t.push_str("OCSP ");
                t.push_str(status);
            });
        }
        (Some(code), None) if code != 0 => paint.styled(text, Style::Yellow, |t| {
            t.push_str("OCSP ");
            t.push_str(ocsp.response_status_name.as_deref().unwrap_or("error"));
        }),
        _ => paint.str(text, Style::Red, "OCSP malformed"),
    }
    if let Some(produced) = &ocsp.produced_at {
        text.push_str(", produced ");
        text.push_str(produced);
    }
    match ocsp.valid_at_capture {
        Some(true) => text.push_str(", valid at capture"),
        Some(false) => paint.str(text, Style::Red, ", NOT valid at capture"),
        None => {}
    }
    if ocsp.cert_id_matches == Some(false) {
        paint.str(text, Style::Red, ", for ANOTHER certificate");
    }
    match ocsp.signature_valid {
        Some(true) => text.push_str(", signature verified"),
        Some(false) => paint.str(text, Style::Red, ", signature INVALID"),
        None if ocsp.cert_status.is_some() => text.push_str(", signature not checked"),
        None => {}
    }
}

fn key_values(text: &mut String, paint: Paint, m: &MessageEvent) {
    if let Some(inc) = &m.incomplete {
        paint.styled(text, Style::Red, |t| {
            let _ = write!(t, "INCOMPLETE: {} of {} bytes captured", inc.bytes_captured, m.length);
            if let Some(field) = inc.cut_in {
                let _ = write!(t, ", cut in its {field}");
            }
        });
        if m.body.is_some() {
            text.push_str("; ");
        } else {
            return;
        }
    }
    if let Some(a) = &m.alert {
        paint.styled(text, Style::Red, |t| {
            t.push_str(&a.level_name);
            t.push(' ');
            t.push_str(&a.description_name);
        });
        return;
    }
    if let Some(acked) = &m.ack {
        // DTLS 1.3 ACK: the record numbers (epoch/sequence) acknowledged.
        text.push_str("records ");
        for (i, r) in acked.iter().take(6).enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            let _ = write!(text, "{}/{}", r.epoch, r.sequence_number);
        }
        if acked.len() > 6 {
            let _ = write!(text, " and {} more", acked.len().saturating_sub(6));
        }
        return;
    }
    match &m.body {
        Some(HandshakeBody::ClientHello { client_hello: ch }) => {
            text.push_str(&version_name(ch.highest_offered_version()));
            text.push_str(", ");
            push_decimal(text, ch.cipher_suites.len() as u64);
            text.push_str(" suites");
            if let Some(sni) = &ch.sni {
                text.push_str(", SNI ");
                text.push_str(sni);
            }
            if let Some(a) = crate::msgs::extensions::alpn(&ch.extensions) {
                text.push_str(", ALPN ");
                for (i, p) in a.iter().enumerate() {
                    if i > 0 {
                        text.push(',');
                    }
                    text.push_str(p);
                }
            }
            // DTLS: the cookie a HelloVerifyRequest asked for, echoed.
            if let Some(cookie) = ch.cookie.as_deref().filter(|c| !c.is_empty()) {
                text.push_str(", cookie ");
                push_decimal(text, (cookie.len() / 2) as u64);
                text.push_str(" bytes");
            }
        }
        Some(HandshakeBody::HelloVerifyRequest { hello_verify_request: hvr }) => {
            text.push_str("cookie ");
            push_decimal(text, hvr.cookie_length as u64);
            text.push_str(" bytes");
        }
        Some(HandshakeBody::ServerHello { server_hello: sh }) => {
            if sh.hello_retry_request {
                // A HelloRetryRequest asks for another key share, a cookie (an address check), or both.
                let cookie = crate::msgs::extensions::cookie(&sh.extensions);
                if let Some(g) = sh.selected_group {
                    text.push_str("retry with ");
                    text.push_str(&group_name(g));
                } else if cookie.is_none() {
                    text.push_str("retry");
                }
                if let Some(c) = cookie {
                    text.push_str(if sh.selected_group.is_some() { ", cookie " } else { "cookie " });
                    push_decimal(text, c.len() as u64);
                    text.push_str(" bytes");
                }
                return;
            }
            text.push_str(&version_name(sh.negotiated_version()));
            text.push_str(", ");
            text.push_str(&cipher_suite_name(sh.cipher_suite));
        }
        Some(HandshakeBody::Finished { finished }) => match finished.verified {
            Some(true) => paint.str(text, Style::Green, "verified ✓"),
            Some(false) => paint.str(text, Style::RedBold, "NOT VERIFIED ✗"),
            None => {}
        },
        Some(HandshakeBody::CertificateStatus { certificate_status: cs }) => match &cs.ocsp {
            Some(ocsp) => ocsp_summary(text, paint, ocsp),
            None => text.push_str(&cs.status_type_name),
        },
        Some(body @ HandshakeBody::Certificate { certificates, .. }) => {
            let _ = match certificates.first() {
                Some(crate::msgs::certificate::CertificateEntry::X509 { cert, .. }) => match &cert.details {
                    crate::certs::CertDetails::Parsed(p) => {
                        write!(text, "{} ({} certs)", p.subject, certificates.len())
                    }
                    crate::certs::CertDetails::Unparsed { .. } => write!(text, "{} certs", certificates.len()),
                },
                _ => write!(text, "{} certs", certificates.len()),
            };
            if let Some(ocsp) = body.stapled_ocsp() {
                text.push_str(", ");
                ocsp_summary(text, paint, ocsp);
            }
        }
        Some(HandshakeBody::ServerKeyExchange { server_key_exchange: ske }) => {
            if let Some(curve) = &ske.named_curve_name {
                text.push_str(curve);
            } else if let Some(bits) = ske.dh_p_bits {
                let _ = write!(text, "DH {bits} bits");
            }
        }
        Some(HandshakeBody::NewSessionTicket { new_session_ticket: t }) => {
            if let Some(l) = t.lifetime.or(t.lifetime_hint) {
                text.push_str("lifetime ");
                push_decimal(text, u64::from(l));
                text.push_str(" s");
            }
        }
        _ => {
            if m.decrypted && m.kind == MessageKind::ApplicationData {
                let _ = match &m.data {
                    Some(d) => write!(text, "{} bytes: {d}", m.length),
                    None => write!(text, "{} bytes", m.length),
                };
            } else if m.encrypted || m.handshake_type.is_none() {
                push_decimal(text, m.length as u64);
                text.push_str(" bytes");
            }
        }
    }
}

/// Decoded fields shown at -v.
fn details(m: &MessageEvent) -> Vec<String> {
    let mut out = Vec::new();
    match m.fingerprints.as_deref() {
        Some(HelloFingerprints::Client(f)) => {
            out.push(format!("ja4 {}  ja3 {}", f.ja4, f.ja3_hash));
            out.push(format!("ja4_r {}", f.ja4_r));
            out.push(format!("ja3 {}", f.ja3));
        }
        Some(HelloFingerprints::Server(f)) => out.push(format!("ja3s {} ({})", f.ja3s_hash, f.ja3s)),
        None => {}
    }
    match &m.body {
        Some(HandshakeBody::ClientHello { client_hello: ch }) => {
            out.push(format!("random {}", crate::hex_text::lower(&ch.random)));
            if !ch.session_id.is_empty() {
                out.push(format!("session_id {}", crate::hex_text::lower(&ch.session_id)));
            }
            let suites: Vec<crate::msgs::names::Name> =
                ch.cipher_suites.iter().map(|c| cipher_suite_name(*c)).collect();
            out.push(format!("cipher_suites {}", suites.join(" ")));
            for e in &ch.extensions {
                out.push(extension_detail(e));
            }
        }
        Some(HandshakeBody::ServerHello { server_hello: sh }) => {
            out.push(format!("random {}", crate::hex_text::lower(&sh.random)));
            if !sh.session_id.is_empty() {
                out.push(format!("session_id {}", crate::hex_text::lower(&sh.session_id)));
            }
            for e in &sh.extensions {
                out.push(extension_detail(e));
            }
        }
        Some(HandshakeBody::Certificate { certificates, .. }) => {
            for (i, c) in certificates.iter().enumerate() {
                let crate::msgs::certificate::CertificateEntry::X509 { cert, .. } = c else { continue };
                let crate::certs::CertDetails::Parsed(p) = &cert.details else { continue };
                for sct in &p.scts {
                    out.push(sct_detail(&format!("certificate {i} embeds"), sct));
                }
            }
        }
        _ => {}
    }
    if let Some(ocsp) = m.body.as_ref().and_then(HandshakeBody::stapled_ocsp) {
        out.extend(ocsp_details(ocsp));
    }
    out
}

/// One SCT in a line: whose log, when, how signed.
fn sct_detail(what: &str, sct: &crate::msgs::extensions::Sct) -> String {
    format!(
        "sct {what} log {} at {} ({})",
        sct.log_id_base64,
        sct.time.as_deref().unwrap_or("?"),
        sct.signature_algorithm_name
    )
}

/// The stapled response's facts that the key values leave out.
fn ocsp_details(o: &crate::certs::ocsp::OcspResponse) -> Vec<String> {
    let or_unknown = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
    let mut out = vec![format!("ocsp responder {}", or_unknown(&o.responder_id))];
    if o.this_update.is_some() {
        out.push(format!(
            "ocsp this_update {} next_update {}",
            or_unknown(&o.this_update),
            o.next_update.as_deref().unwrap_or("none")
        ));
    }
    let signature = match o.signature_valid {
        Some(true) => "verified",
        Some(false) => "INVALID",
        None => "not checked",
    };
    let mut line = format!("ocsp signature {} {signature}", or_unknown(&o.signature_algorithm));
    if let Some(by) = &o.signed_by {
        let _ = write!(line, " by {by}");
    }
    if let Some(note) = &o.signature_note {
        let _ = write!(line, ": {note}");
    }
    out.push(line);
    if let Some(e) = &o.error {
        out.push(format!("ocsp malformed: {e}"));
    }
    out
}

fn extension_detail(e: &crate::msgs::extensions::Extension) -> String {
    let body = match &e.body {
        ExtensionBody::Raw { hex } if hex.is_empty() => String::new(),
        _ => serde_json::to_value(&e.body)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .map(|o| o.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
    };
    format!("ext {} ({}) {}", e.name, e.typ, body)
}
