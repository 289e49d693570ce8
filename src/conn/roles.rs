//! The role of each message: one sentence saying what it does in *this* handshake, with its
//! real values. Written only when the output shows roles (`--json`, `-v`); the story decides
//! everything else, before the sentence is written, and the sentence only reads it.

use super::events::{Direction, MessageEvent};
use super::story::{Story, certificate_parts, offered_groups};
use crate::msgs::extensions;
use crate::msgs::hello::is_tls13;
use crate::msgs::names::Name;
use crate::msgs::names::{cipher_suite_name, group_name, signature_scheme_name, version_name};
use crate::msgs::{ClientHello, HandshakeBody, MessageKind, ServerHello};
use crate::registry;
use std::fmt::Write as _;

/// The sentence for a message the story has just taken in (its `phase` set): the one place that
/// dispatches on the message's kind for the prose.
pub(super) fn role(story: &Story, m: &MessageEvent) -> String {
    let from_client = m.direction == Direction::ClientToServer;
    let who = if from_client { "Client" } else { "Server" };
    let length = m.length;
    if let Some(inc) = &m.incomplete {
        let mut s = format!(
            "{who}'s {}, cut short by {}: {} of its {length} bytes were captured",
            m.name,
            if inc.cut_by == "gap" { "a gap" } else { "the end of the connection" },
            inc.bytes_captured
        );
        if let Some(field) = inc.cut_in {
            let _ = write!(s, " (the cut falls in its {field})");
        }
        s.push_str("; the fields shown are those the captured bytes hold.");
        return s;
    }
    use MessageKind as K;
    match m.kind {
        K::ClientHello => match &m.body {
            Some(HandshakeBody::ClientHello { client_hello }) => client_hello_role(story, client_hello),
            _ => "Client opens the handshake (the hello did not decode).".into(),
        },
        K::ServerHello => match &m.body {
            Some(HandshakeBody::ServerHello { server_hello }) => server_hello_role(story, server_hello),
            _ => "Server answers the hello (the message did not decode).".into(),
        },
        K::HelloRetryRequest => hello_retry_role(m),
        K::HelloVerifyRequest => hello_verify_role(m),
        K::Certificate => certificate_role(m, from_client),
        K::ServerKeyExchange => server_key_exchange_role(m),
        K::CertificateRequest => {
            "Server asks the client to authenticate with a certificate (client authentication).".into()
        }
        K::ServerHelloDone => "Server has sent its whole hello flight; it is now the client's turn.".into(),
        K::CertificateStatus => certificate_status_role(m),
        K::EncryptedExtensions => encrypted_extensions_role(story, m),
        K::ClientKeyExchange => client_key_exchange_role(story, m),
        K::CertificateVerify => {
            let scheme = match &m.body {
                Some(HandshakeBody::CertificateVerify { certificate_verify: cv }) => cv.signature_scheme,
                _ => None,
            };
            let with = scheme.map(|s| format!(" ({})", signature_scheme_name(s))).unwrap_or_default();
            if from_client {
                format!(
                    "Client signs the handshake transcript with its private key{with}, proving it owns its certificate."
                )
            } else {
                format!(
                    "Server signs the handshake transcript with its certificate's key{with}, proving it holds that key."
                )
            }
        }
        K::NextProtocol => "Client names the application protocol it picked (NPN, the predecessor of ALPN).".into(),
        K::ChangeCipherSpec => {
            if story.tls13() || story.offered_versions.contains(&0x0304) && story.version.is_none() {
                format!("{who}'s middlebox-compatibility ChangeCipherSpec: it has no cryptographic meaning in TLS 1.3.")
            } else {
                format!("{who} switches to the newly negotiated keys: everything it sends from here on is encrypted.")
            }
        }
        K::Finished | K::EncryptedHandshake if m.phase == 4 => {
            let encrypted = if m.kind == K::Finished && !m.encrypted { "" } else { " (encrypted)" };
            let verified = match &m.body {
                Some(HandshakeBody::Finished { finished }) => match finished.verified {
                    Some(true) => ", verified with the session keys (from the key log or the server's key)",
                    Some(false) => {
                        ", which does NOT verify with the session keys (wrong keys, or a tampered or mis-reassembled transcript)"
                    }
                    None => "",
                },
                _ => "",
            };
            format!(
                "{who}'s Finished{encrypted}{verified}: an HMAC over the whole handshake transcript, proving both sides saw the same messages and hold the same keys."
            )
        }
        K::Finished | K::EncryptedHandshake => {
            format!(
                "{who}'s encrypted handshake message after the handshake (renegotiation or post-handshake message)."
            )
        }
        K::NewSessionTicket => match ticket_lifetime(m) {
            Some(secs) => {
                format!("Server issues a session ticket valid for {secs} s, for resuming without a full handshake.")
            }
            None => "Server issues a session ticket for resuming without a full handshake.".into(),
        },
        K::KeyUpdate => format!("{who} switches to the next generation of traffic keys."),
        K::EndOfEarlyData => "Client ends its 0-RTT early data.".into(),
        K::HelloRequest => "Server asks the client to start a new handshake (renegotiation).".into(),
        K::Alert | K::EncryptedAlert => alert_role(story, m, from_client),
        K::EncryptedRecord => match (m.phase, from_client) {
            (1, true) => {
                format!("0-RTT early data from the client ({length} bytes), encrypted with the resumption secret.")
            }
            (1, false) => format!("Encrypted record ({length} bytes) before the ServerHello was seen."),
            (0, _) => format!("Encrypted application data, {length} bytes."),
            (_, true) => format!(
                "Client's encrypted flight ({length} bytes): its Finished (and its certificate, if one was requested); needs a key log to see inside."
            ),
            (_, false) => format!(
                "Server's encrypted flight ({length} bytes): EncryptedExtensions, Certificate, CertificateVerify and Finished; needs a key log to see inside."
            ),
        },
        K::ApplicationData if m.phase == 1 => format!(
            "0-RTT early data from the client ({length} bytes), sent before the server answered, protected with the resumption (early traffic) secret."
        ),
        K::ApplicationData => format!("Application data, {length} bytes, encrypted with the session keys."),
        K::Ack => ack_role(m, who),
        K::Sslv2Error
        | K::Sslv2ClientMasterKey
        | K::Sslv2ClientFinished
        | K::Sslv2ServerHello
        | K::Sslv2ServerVerify
        | K::Sslv2ServerFinished
        | K::Sslv2RequestCertificate
        | K::Sslv2ClientCertificate
        | K::Sslv2Unknown
        | K::Sslv2EncryptedRecord => format!("SSLv2 message {}: SSL 2.0 is broken and must not be used.", m.name),
        // Messages with no sentence of their own.
        K::RequestConnectionId
        | K::NewConnectionId
        | K::ClientCertificateRequest
        | K::CertificateUrl
        | K::SupplementalData
        | K::CompressedCertificate
        | K::EktKey
        | K::MessageHash
        | K::UnknownHandshake(_)
        | K::MalformedHandshake
        | K::Heartbeat
        | K::UnknownRecord(_)
        | K::Unknown => format!("{who} sends {} ({length} bytes).", m.name),
    }
}

fn client_hello_role(story: &Story, ch: &ClientHello) -> String {
    let mut s = format!(
        "Client offers {} with {} cipher suites",
        version_name(ch.highest_offered_version()),
        story.offered_suites
    );
    if story.offered_groups > 0 {
        let names: Vec<Name> = offered_groups(ch).take(4).map(group_name).collect();
        let more = if story.offered_groups > 4 { ", ..." } else { "" };
        let _ = write!(s, " and {} groups ({}{more})", story.offered_groups, names.join(", "));
    }
    if let Some(sni) = &ch.sni {
        let _ = write!(s, " for {sni}");
    }
    if !story.alpn_offered.is_empty() {
        let _ = write!(s, ", ALPN {}", story.alpn_offered.join(","));
    }
    s.push_str("; its random is the first input to the session keys.");
    if let Some(cookie) = ch.cookie.as_deref().filter(|c| !c.is_empty()) {
        let _ = write!(
            s,
            " It echoes the server's {}-byte cookie (HelloVerifyRequest): the server now knows the client receives at its address.",
            cookie.len() / 2
        );
    }
    let key_shares = extensions::key_share_groups(&ch.extensions).unwrap_or_default();
    let shares: Vec<Name> = key_shares.into_iter().filter(|g| !registry::is_grease(*g)).map(group_name).collect();
    if !shares.is_empty() {
        let _ = write!(s, " TLS 1.3 key exchange starts here: key_share for {}.", shares.join(", "));
    }
    if let Some(n) = story.client_psk_identities {
        let plural = if n == 1 { "y" } else { "ies" };
        let _ = write!(s, " Offers to resume with a pre-shared key ({n} identit{plural}).");
    } else if let Some(len) = story.client_ticket_len.filter(|l| *l > 0) {
        let _ = write!(s, " Offers a session ticket ({len} bytes) to resume a session.");
    } else if !ch.session_id.is_empty() && !story.offered_versions.contains(&0x0304) {
        let _ = write!(s, " Offers to resume session id {}.", short_hex(&ch.session_id));
    }
    if story.early_data_offered {
        s.push_str(" Announces 0-RTT early data.");
    }
    if ch.sslv2_format {
        s.push_str(" Sent in the old SSLv2-compatible format.");
    }
    if let Some(quic) = quic_parameters_sentence(&ch.extensions, true) {
        s.push(' ');
        s.push_str(&quic);
    }
    s
}

/// What a hello's or EncryptedExtensions' QUIC transport parameters set up (RFC 9000 7.3, 18.2):
/// None when the handshake is not over QUIC.
fn quic_parameters_sentence(exts: &[extensions::Extension], from_client: bool) -> Option<String> {
    use crate::msgs::extensions::quic_parameter;
    let all = exts.iter().find_map(|e| match &e.body {
        extensions::ExtensionBody::QuicTransportParameters { parameters } => Some(parameters),
        _ => None,
    })?;
    let who = if from_client { "client" } else { "server" };
    let mut s = format!("Over QUIC, its {} transport parameters", all.len());
    let mut limits = Vec::new();
    if let Some(ms) = quic_parameter(exts, 0x01).and_then(|p| p.integer()).filter(|ms| *ms > 0) {
        limits.push(format!("an idle timeout of {} s", ms as f64 / 1000.0));
    }
    if let Some(bytes) = quic_parameter(exts, 0x04).and_then(|p| p.integer()) {
        limits.push(format!("{bytes} bytes of connection flow control"));
    }
    if let Some(n) = quic_parameter(exts, 0x08).and_then(|p| p.integer()) {
        limits.push(format!("{n} bidirectional streams"));
    }
    if !limits.is_empty() {
        let _ = write!(s, " set {}", limits.join(", "));
    }
    s.push('.');
    let cid = |id| quic_parameter(exts, id).and_then(|p| p.bytes()).map(crate::hex_text::lower);
    if let Some(scid) = cid(0x0f) {
        let _ = write!(
            s,
            " initial_source_connection_id {scid} repeats the Source Connection ID of the {who}'s first packets, so the handshake authenticates it."
        );
    }
    // RFC 9000 18.2: these four are the server's; a client sending one is a protocol error.
    let server_only: Vec<Name> = [0x00, 0x02, 0x0d, 0x10]
        .into_iter()
        .filter(|&id| from_client && quic_parameter(exts, id).is_some())
        .map(crate::msgs::names::quic_transport_parameter_name)
        .collect();
    if !server_only.is_empty() {
        let _ = write!(
            s,
            " It sends {}, which only a server may send (RFC 9000 18.2: the server must close the connection with TRANSPORT_PARAMETER_ERROR).",
            server_only.join(", ")
        );
        return Some(s);
    }
    if let Some(odcid) = cid(0x00) {
        let _ = write!(
            s,
            " original_destination_connection_id {odcid} is the client's first Destination Connection ID, echoed so the client knows no one changed it."
        );
    }
    if let Some(rscid) = cid(0x10) {
        let _ = write!(
            s,
            " retry_source_connection_id {rscid}: the server sent a Retry, and the client proved its address by returning the token."
        );
    }
    if quic_parameter(exts, 0x0d).is_some() {
        s.push_str(" The server offers a preferred address to migrate to after the handshake.");
    }
    if quic_parameter(exts, 0x0c).is_some() {
        let _ = write!(s, " The {who} does not allow the connection to migrate to another address.");
    }
    Some(s)
}

fn server_hello_role(story: &Story, sh: &ServerHello) -> String {
    let version = sh.negotiated_version();
    let mut s = format!(
        "Server picks {} and {} out of the client's {} offers",
        version_name(version),
        cipher_suite_name(sh.cipher_suite),
        story.offered_suites
    );
    if let (true, Some(g)) = (is_tls13(version), story.group) {
        let _ = write!(s, " and {} out of {} groups", group_name(g), story.offered_groups);
    }
    s.push_str("; its random is the second input to the session keys.");
    if is_tls13(version) {
        if story.psk_selected {
            s.push_str(if story.key_share_selected {
                " It accepts the pre-shared key (resumption) with a fresh (EC)DHE exchange."
            } else {
                " It accepts the pre-shared key (resumption) without (EC)DHE: no forward secrecy for this session."
            });
        }
        if story.key_share_selected {
            s.push_str(" Its key_share completes the key exchange: everything after this is encrypted.");
        }
    } else if story.session_id_echoed {
        s.push_str(" It echoes the client's session id: the abbreviated (resumed) handshake follows.");
    } else if !sh.session_id.is_empty() {
        s.push_str(" New session id: a full handshake follows.");
    }
    if let Some(a) = &story.alpn {
        let _ = write!(s, " ALPN: {a}.");
    }
    s
}

/// DTLS's cookie exchange (RFC 6347 4.2.1).
fn hello_verify_role(m: &MessageEvent) -> String {
    let length = match &m.body {
        Some(HandshakeBody::HelloVerifyRequest { hello_verify_request }) => hello_verify_request.cookie_length,
        _ => 0,
    };
    format!(
        "Server asks the client to prove it receives at its address (DTLS HelloVerifyRequest): the client must send its ClientHello again echoing this {length}-byte cookie before the server keeps any state; the Finished transcript starts at that second ClientHello."
    )
}

/// A DTLS 1.3 ACK: which records it acknowledges, so the peer resends only the others.
fn ack_role(m: &MessageEvent, who: &str) -> String {
    let Some(acked) = &m.ack else {
        return format!("{who} acknowledges records (DTLS 1.3 ACK) whose numbers did not decode.");
    };
    let list: Vec<String> = acked.iter().take(8).map(|r| format!("{}/{}", r.epoch, r.sequence_number)).collect();
    let more = match acked.len().saturating_sub(8) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    format!(
        "{who} acknowledges {} record(s) (epoch/sequence {}{more}): DTLS 1.3's ACK, so the peer retransmits only what is missing.",
        acked.len(),
        list.join(", ")
    )
}

fn hello_retry_role(m: &MessageEvent) -> String {
    let mut s = String::from("Server asks the client to retry its hello (HelloRetryRequest)");
    if let Some(HandshakeBody::ServerHello { server_hello: sh }) = &m.body {
        if let Some(g) = sh.selected_group {
            let _ =
                write!(s, " with a key share for {}: none of the client's key shares was acceptable", group_name(g));
        }
        if sh.extensions.iter().any(|e| e.typ == 44) {
            s.push_str("; it includes a cookie the client must echo");
            if crate::dtls::is_dtls_version(m.record_version) {
                // DTLS 1.3 has no HelloVerifyRequest: the HelloRetryRequest carries the cookie.
                s.push_str(
                    " (DTLS 1.3's address check: the server keeps no state until the client's second hello proves it receives at its address)",
                );
            }
        }
    }
    s.push('.');
    s
}

fn certificate_status_role(m: &MessageEvent) -> String {
    let Some(ocsp) = m.body.as_ref().and_then(HandshakeBody::stapled_ocsp) else {
        return "Server staples its CA's OCSP response about its certificate, so the client need not ask the CA."
            .into();
    };
    // The signer's common name is enough in a sentence; the JSON has the whole name.
    let short = |s: &str| s.rsplit_once("CN=").map(|(_, cn)| cn.split(", ").next().unwrap_or(cn).to_string());
    let whom =
        ocsp.signed_by.as_deref().map(|s| format!(" (signed by {})", short(s).unwrap_or(s.into()))).unwrap_or_default();
    match ocsp.cert_status.as_deref() {
        Some("good") => format!(
            "Server staples an OCSP response{whom} saying its certificate is not revoked, so the client need not ask the CA."
        ),
        Some("revoked") => format!(
            "Server staples an OCSP response{whom} saying its own certificate is REVOKED: a client that checks it must refuse."
        ),
        Some(_) => {
            format!("Server staples an OCSP response{whom} in which the responder does not know the certificate.")
        }
        None => {
            "Server staples an OCSP response that says nothing about the certificate (an error response, or malformed)."
                .into()
        }
    }
}

fn certificate_role(m: &MessageEvent, from_client: bool) -> String {
    let (count, leaf, chain) = certificate_parts(m);
    let who = if from_client { "Client" } else { "Server" };
    if from_client && count == 0 && m.body.is_some() {
        return "Client has no certificate to send (empty Certificate): the server may refuse it.".into();
    }
    let mut s = match leaf {
        Some(leaf) => format!(
            "{who} proves its identity with a chain of {count} certificate{}: {} ({} {}{}), issued by {}",
            if count == 1 { "" } else { "s" },
            leaf.subject,
            leaf.key.key_algorithm,
            leaf.key.key_bits.map(|b| b.to_string()).unwrap_or_default(),
            leaf.key.curve.as_deref().map(|c| format!(" {c}")).unwrap_or_default(),
            leaf.issuer
        ),
        None => format!("{who} sends its certificate chain"),
    };
    if let Some(leaf) = leaf.filter(|l| l.expired_at_capture == Some(true)) {
        let _ = write!(s, "; the leaf was NOT valid at capture time ({} to {})", leaf.not_before, leaf.not_after);
    }
    if let Some(c) = chain {
        if c.sni_matches == Some(false) && !from_client {
            s.push_str("; its names do NOT match the SNI");
        }
        if matches!(c.signatures, crate::certs::Signatures::Invalid) {
            s.push_str("; a signature in the chain does NOT verify");
        }
    }
    if let Some(status) = m.body.as_ref().and_then(HandshakeBody::stapled_ocsp).and_then(|o| o.cert_status.as_deref()) {
        // TLS 1.3 staples in the certificate entry: no CertificateStatus message will say it.
        let _ = write!(s, "; the leaf carries a stapled OCSP response saying it is {status}");
    }
    s.push('.');
    s
}

fn server_key_exchange_role(m: &MessageEvent) -> String {
    let Some(HandshakeBody::ServerKeyExchange { server_key_exchange: ske }) = &m.body else {
        return "Server sends its ephemeral key-exchange parameters, signed with its certificate's key: the signature ties the ephemeral key to the certificate.".into();
    };
    let params = if let Some(curve) = &ske.named_curve_name {
        format!("its ephemeral ECDHE public key on {curve} ({} bytes)", ske.public_key_length.unwrap_or(0))
    } else if let Some(p) = ske.dh_p_bits {
        format!("ephemeral DH parameters: a {p}-bit prime p, generator g and its public value Ys")
    } else if let Some(bits) = ske.rsa_modulus_bits {
        format!("a temporary {bits}-bit RSA key (export-grade)")
    } else if ske.psk_identity_hint.is_some() {
        "a PSK identity hint".into()
    } else {
        "its key-exchange parameters".into()
    };
    match ske.signature.as_ref().map(|s| s.signature_scheme_name.clone()) {
        Some(Some(scheme)) => format!(
            "Server sends {params}, signed with {scheme}: the signature ties the ephemeral key to the certificate."
        ),
        Some(None) => format!(
            "Server sends {params}, signed with its certificate's key (MD5+SHA-1 or SHA-1 before TLS 1.2): the signature ties the ephemeral key to the certificate."
        ),
        None => format!("Server sends {params} (unsigned)."),
    }
}

fn encrypted_extensions_role(story: &Story, m: &MessageEvent) -> String {
    let mut s = String::from("Server's first encrypted message: the extensions it accepts");
    if let Some(HandshakeBody::EncryptedExtensions { encrypted_extensions: ee }) = &m.body {
        if let Some(a) = extensions::alpn(&ee.extensions).and_then(|a| a.first()) {
            let _ = write!(s, "; ALPN {a}");
        }
        if story.early_data_offered {
            s.push_str(if ee.extensions.iter().any(|e| e.typ == 42) {
                "; it ACCEPTS the client's 0-RTT early data"
            } else {
                "; it REJECTS the client's 0-RTT early data (the client must send it again)"
            });
        }
        if !ee.extensions.is_empty() {
            let names: Vec<&str> = ee.extensions.iter().map(|e| e.name.as_ref()).collect();
            let _ = write!(s, " ({})", names.join(", "));
        }
        s.push('.');
        if let Some(quic) = quic_parameters_sentence(&ee.extensions, false) {
            s.push(' ');
            s.push_str(&quic);
        }
        return s;
    }
    s.push('.');
    s
}

fn client_key_exchange_role(story: &Story, m: &MessageEvent) -> String {
    const RSA: &str = "no forward secrecy, whoever gets the server's key can decrypt this session.";
    const DERIVE: &str = "both sides now derive the premaster secret, the third input to the session keys.";
    if let Some(HandshakeBody::ClientKeyExchange { client_key_exchange: cke }) = &m.body {
        if let Some(n) = cke.encrypted_premaster_length {
            return format!("Client sends the premaster secret encrypted to the server's RSA key ({n} bytes): {RSA}");
        }
        if let Some(n) = cke.ecdh_public_length {
            let on = story.group.map(|g| format!(" on {}", group_name(g))).unwrap_or_default();
            return format!("Client sends its ephemeral ECDHE public key{on} ({n} bytes); {DERIVE}");
        }
        if let Some(bits) = cke.dh_yc_bits {
            return format!("Client sends its ephemeral DH public value Yc ({bits} bits); {DERIVE}");
        }
    }
    if story.key_exchange().starts_with("RSA") {
        format!("Client sends the premaster secret encrypted to the server's RSA key ({} bytes): {RSA}", m.length)
    } else {
        format!("Client sends its ephemeral public key ({} bytes); {DERIVE}", m.length)
    }
}

fn alert_role(story: &Story, m: &MessageEvent, from_client: bool) -> String {
    let who = if from_client { "Client" } else { "Server" };
    let Some(a) = &m.alert else {
        return format!(
            "{who} sends an encrypted alert (closing the connection or reporting an error; needs keys to read)."
        );
    };
    let peer_last = story.peer_last(from_client);
    let cause = alert_cause(a.description, from_client, peer_last.map(|n| &**n));
    let mut s = format!("{who} sends {} alert {}", a.level_name, a.description_name);
    if let Some(n) = peer_last {
        let _ = write!(s, " right after the {}'s {n}", if from_client { "server" } else { "client" });
    }
    let _ = write!(s, ": {cause}.");
    s
}

/// What usually causes an alert, for the role sentence.
fn alert_cause(description: u8, from_client: bool, after: Option<&str>) -> &'static str {
    match (description, from_client) {
        (0, _) => "the sender is closing the connection cleanly",
        (10, _) => "the sender got a message it did not expect at this point",
        (20, _) => "a record failed its integrity check: wrong keys or a corrupted/tampered stream",
        (40, true) => "the client found no acceptable parameters in the server's choice",
        (40, false) => {
            "the server found nothing it accepts in the client's offer (version, cipher suites, groups or signature algorithms)"
        }
        (42, _) | (43, _) => "the peer's certificate was rejected",
        (44, _) => "a certificate in the chain was revoked",
        (45, _) => "a certificate in the chain has expired or is not yet valid",
        (46, _) => "the certificate could not be validated",
        (47, _) => "a field in the handshake was out of range or inconsistent",
        (48, true)
            if matches!(
                after,
                Some("Certificate" | "ServerKeyExchange" | "ServerHelloDone" | "CertificateVerify" | "Finished")
            ) =>
        {
            "the client does not trust the certificate chain the server sent (no path to a CA it trusts)"
        }
        (48, _) => "the certificate chain does not lead to a trusted CA",
        (49, _) => "the sender refuses access (e.g. client certificate not authorised)",
        (50, _) => "a message could not be decoded",
        (51, _) => "a signature or Finished check failed: wrong keys or a tampered handshake",
        (70, _) => "the peer's protocol version is not supported",
        (71, _) => "the server requires stronger cipher suites than the client offers",
        (80, _) => "an internal error on the sender's side",
        (86, _) => "a version downgrade was detected (TLS_FALLBACK_SCSV)",
        (90, _) => "the user cancelled the handshake",
        (100, _) => "the sender refuses to renegotiate",
        (109, _) => "a required extension is missing",
        (110, _) => "the peer sent an extension it must not",
        (112, _) => "the server does not know the requested host name (SNI)",
        (116, _) => "a certificate is required but none was sent",
        (120, _) => "no common application protocol (ALPN)",
        _ => "see RFC 8446 section 6.2 for this alert",
    }
}

/// The first 8 bytes of a value in hex, "..." when there is more.
fn short_hex(b: &[u8]) -> String {
    let h = crate::hex_text::lower(b.get(..8).unwrap_or(b));
    if b.len() > 8 { format!("{h}...") } else { h }
}

fn ticket_lifetime(m: &MessageEvent) -> Option<u64> {
    match &m.body {
        Some(HandshakeBody::NewSessionTicket { new_session_ticket: t }) => {
            t.lifetime.or(t.lifetime_hint).map(u64::from)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::msgs::extensions::{ExtContext, parse_extensions};

    /// Hand-made: a client's transport parameters with two only a server may send.
    #[test]
    fn a_client_sending_server_only_transport_parameters_is_told_so() {
        let params: &[u8] = &[
            0x01, 0x02, 0x40, 0x64, // max_idle_timeout 100 ms
            0x00, 0x02, 0xaa, 0xbb, // original_destination_connection_id
            0x02, 0x10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, // stateless_reset_token
        ];
        let mut data = vec![0x00, 0x39, 0x00, params.len() as u8];
        data.extend_from_slice(params);
        let exts = parse_extensions(&data, ExtContext::ClientHello).unwrap();
        let client = super::quic_parameters_sentence(&exts, true).unwrap();
        assert!(
            client.ends_with(
                " It sends original_destination_connection_id, stateless_reset_token, which only a server may send (RFC 9000 18.2: the server must close the connection with TRANSPORT_PARAMETER_ERROR)."
            ),
            "{client}"
        );
        assert!(client.starts_with("Over QUIC, its 3 transport parameters set an idle timeout of 0.1 s."), "{client}");
        // From the server the same parameters are its own.
        let server = super::quic_parameters_sentence(&exts, false).unwrap();
        assert!(server.contains("original_destination_connection_id aabb is the client's first"), "{server}");
    }
}
