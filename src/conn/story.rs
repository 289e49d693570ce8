//! The story of a handshake: which of the four classic phases each message belongs to, what the
//! handshake has negotiated so far, how it went (kind, 0-RTT, client authentication, failure,
//! warnings) and its summary. The sentence saying what each message does is `roles`'s job.
//!
//! Phases follow the textbook description of the TLS handshake:
//! 1 negotiate algorithms (hellos), 2 server authentication and key exchange, 3 client key
//! exchange and authentication, 4 ChangeCipherSpec and Finished; 0 is after the handshake.
//! TLS 1.3 maps onto them: its key exchange happens in phase 1 (key_share), its server flight is
//! phase 2, the client's certificate phase 3, the Finished messages phase 4.

use super::events::{AlertInfo, Direction, HandshakeAlert, HandshakeEvent, MessageEvent, Timings};
use super::roles;
use crate::certs::CertDetails;
use crate::msgs::certificate::CertificateEntry;
use crate::msgs::extensions::{self, ExtensionBody};
use crate::msgs::hello::is_tls13;
use crate::msgs::names::Name;
use crate::msgs::names::{cipher_suite_name, group_name, signature_scheme_name, version_name};
use crate::msgs::{ExtensionType, HandshakeBody, MessageKind};
use crate::registry;
use crate::time::Timestamp;

/// How the handshake went, built as messages arrive. Fields are read by `roles` to write the
/// sentences; only this file changes them.
#[derive(Debug, Default, Clone)]
pub struct Story {
    pub index: u32,
    /// Write the role sentences (off when the output does not show them).
    roles: bool,
    pub(super) start: Option<Timestamp>,
    // From the ClientHello.
    pub(super) offered_suites: usize,
    pub(super) offered_groups: usize,
    pub(super) offered_versions: Vec<u16>,
    client_session_id: Vec<u8>,
    pub(super) client_ticket_len: Option<usize>,
    pub(super) client_psk_identities: Option<usize>,
    pub(super) early_data_offered: bool,
    pub sni: Option<String>,
    pub(super) alpn_offered: Vec<String>,
    // From the server.
    pub(super) hello_retry_request: bool,
    pub version: Option<u16>,
    pub cipher_suite: Option<u16>,
    pub(super) group: Option<u16>,
    signature_scheme: Option<u16>,
    pub(super) alpn: Option<String>,
    certificate_subject: Option<String>,
    pub(super) psk_selected: bool,
    pub(super) key_share_selected: bool,
    pub(super) session_id_echoed: bool,
    server_sent_certificate: bool,
    abbreviated: bool,
    client_cert_requested: bool,
    client_cert_sent: bool,
    early_data_accepted: Option<bool>,
    renegotiation: bool,
    // Progress.
    ccs: [bool; 2],
    finished: [bool; 2],
    /// TLS 1.3 without keys: encrypted records seen from each side after the ServerHello.
    encrypted_after_sh: [u32; 2],
    pub complete: bool,
    pub emitted: bool,
    alerts: Vec<HandshakeAlert>,
    fatal_alert: Option<String>,
    /// The last message from the client, then the server's.
    last_name: [Option<Name>; 2],
    timings: Timings,
    warnings: Vec<String>,
    pub gap: bool,
    /// What the first gap of the handshake took.
    gap_loss: Option<GapLoss>,
    /// The trust verdicts on the server's chain, then the client's (when judged).
    /// Shared with the chain memo (a story lives as long as its flow).
    server_trust: Option<std::sync::Arc<crate::certs::ChainTrust>>,
    client_trust: Option<std::sync::Arc<crate::certs::ChainTrust>>,
}

/// What a gap took from a handshake, for its failure and `missing_message`.
#[derive(Debug, Clone)]
struct GapLoss {
    /// The message hidden or cut short, when it can be told.
    message: Option<Name>,
    /// "incomplete" (cut short) or "not captured".
    how: &'static str,
    from_client: bool,
    /// The last message captured from that side before the gap.
    after: Option<Name>,
    /// Set when tlstrace dropped the bytes itself: the cause's name.
    dropped: Option<&'static str>,
}

/// A slot of a per-side pair: the client's, then the server's.
fn of_side<T>(pair: &mut [T; 2], from_client: bool) -> &mut T {
    let [client, server] = pair;
    if from_client { client } else { server }
}

impl Story {
    pub fn new(index: u32) -> Self {
        Story { index, roles: true, ..Default::default() }
    }

    /// Whether role sentences are written (on unless the output does not show them).
    pub fn with_roles(mut self, roles: bool) -> Self {
        self.roles = roles;
        self
    }

    pub fn mark_renegotiation(&mut self) {
        self.renegotiation = true;
    }

    /// A ClientHello was seen, or a gap may have hidden it.
    pub fn started(&self) -> bool {
        self.start.is_some() || self.gap
    }

    /// True once the `handshake` event can be written (complete, not yet written).
    pub fn ready(&self) -> bool {
        self.complete && !self.emitted
    }

    /// The last message captured from the peer of `from_client`'s side.
    pub(super) fn peer_last(&self, from_client: bool) -> Option<&Name> {
        let [client, server] = &self.last_name;
        if from_client { server.as_ref() } else { client.as_ref() }
    }

    pub(super) fn tls13(&self) -> bool {
        self.version.is_some_and(is_tls13)
    }

    fn since_start(&self, t: Timestamp) -> Option<f64> {
        self.start.map(|s| t.seconds_since(&s))
    }

    /// Sets `phase` (and `role`, when shown) on a message and updates the story.
    pub fn annotate(&mut self, m: &mut MessageEvent) {
        let from_client = m.direction == Direction::ClientToServer;
        m.phase = if m.incomplete.is_some() { self.cut_short(m, from_client) } else { self.advance(m, from_client) };
        if self.roles {
            m.role = roles::role(self, m);
        }
        *of_side(&mut self.last_name, from_client) = Some(m.name.clone());
    }

    /// What a message changes in the story, and its phase: the one place that dispatches on the
    /// message's kind for the handshake's state.
    fn advance(&mut self, m: &MessageEvent, from_client: bool) -> u8 {
        use MessageKind as K;
        match m.kind {
            K::ClientHello => {
                self.client_hello(m);
                1
            }
            K::ServerHello => {
                self.server_hello(m);
                1
            }
            K::HelloRetryRequest => {
                self.hello_retry_request = true;
                1
            }
            K::Certificate => self.certificate(m, from_client),
            K::ServerKeyExchange => {
                self.server_key_exchange(m);
                2
            }
            K::CertificateRequest => {
                self.client_cert_requested = true;
                2
            }
            K::ServerHelloDone => 2,
            K::CertificateStatus => {
                self.stapled_ocsp(m);
                2
            }
            K::EncryptedExtensions => {
                self.encrypted_extensions(m);
                2
            }
            K::ClientKeyExchange => {
                self.client_key_exchange(m);
                3
            }
            K::CertificateVerify => {
                let scheme = match &m.body {
                    Some(HandshakeBody::CertificateVerify { certificate_verify: cv }) => cv.signature_scheme,
                    _ => None,
                };
                if !from_client && scheme.is_some() {
                    self.signature_scheme = scheme;
                }
                if from_client { 3 } else { 2 }
            }
            K::NextProtocol => 3,
            K::ChangeCipherSpec => {
                *of_side(&mut self.ccs, from_client) = true;
                let [client_finished, _] = self.finished;
                let middlebox = self.tls13() || self.offered_versions.contains(&0x0304) && self.version.is_none();
                if !middlebox
                    && self.version.is_some()
                    && !self.server_sent_certificate
                    && !from_client
                    && !client_finished
                {
                    self.abbreviated = true;
                }
                4
            }
            K::Finished | K::EncryptedHandshake if !self.complete => {
                *of_side(&mut self.finished, from_client) = true;
                self.mark_finished(m.time);
                4
            }
            K::Finished | K::EncryptedHandshake => 0,
            K::NewSessionTicket => {
                if self.tls13() {
                    0
                } else {
                    4
                }
            }
            K::KeyUpdate | K::HelloRequest => 0,
            K::EndOfEarlyData => 4,
            K::Alert | K::EncryptedAlert => {
                let phase = self.current_phase();
                if let Some(a) = &m.alert {
                    self.record_alert(a, m.direction, phase);
                }
                phase
            }
            K::EncryptedRecord => self.encrypted_record(m, from_client),
            // Before any hello (early data); a handshake caught midway may complete without one.
            K::ApplicationData if self.version.is_none() && from_client && !self.complete => 1,
            K::ApplicationData => {
                self.first_app_data(m.time);
                0
            }
            K::Sslv2Error
            | K::Sslv2ClientMasterKey
            | K::Sslv2ClientFinished
            | K::Sslv2ServerHello
            | K::Sslv2ServerVerify
            | K::Sslv2ServerFinished
            | K::Sslv2RequestCertificate
            | K::Sslv2ClientCertificate
            | K::Sslv2Unknown
            | K::Sslv2EncryptedRecord => 1,
            // Messages with no part in the story: the phase the handshake is in.
            K::HelloVerifyRequest
            | K::RequestConnectionId
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
            | K::Ack
            | K::UnknownRecord(_)
            | K::Unknown => self.current_phase(),
        }
    }

    /// A message cut short by a gap: what its captured front tells, and the story's failure.
    fn cut_short(&mut self, m: &MessageEvent, from_client: bool) -> u8 {
        let phase = match m.kind {
            MessageKind::ClientHello => {
                self.start.get_or_insert(m.time);
                if let Some(HandshakeBody::ClientHello { client_hello }) = &m.body {
                    self.sni = client_hello.sni.clone();
                }
                1
            }
            MessageKind::ServerHello | MessageKind::HelloRetryRequest => 1,
            _ => self.current_phase(),
        };
        let by_gap = m.incomplete.as_ref().is_none_or(|i| i.cut_by == "gap");
        if !self.complete {
            // Cut by the end of the connection, the failure is its end (which names the message).
            self.gap |= by_gap;
            if self.gap_loss.is_none() {
                let after = of_side(&mut self.last_name, from_client).clone();
                self.gap_loss = Some(GapLoss {
                    message: Some(m.name.clone()),
                    how: "incomplete",
                    from_client,
                    after,
                    dropped: None,
                });
            }
        }
        phase
    }

    /// A gap in one direction: if the handshake is not over, it fails with what the gap took.
    pub fn note_gap(&mut self, from_client: bool, cause: crate::tcp::GapCause) {
        if self.complete {
            return;
        }
        self.gap = true;
        let dropped = cause.dropped_by_tlstrace().then(|| cause.name());
        if let Some(loss) = &mut self.gap_loss {
            loss.dropped = loss.dropped.or(dropped);
            return;
        }
        // Each side's first handshake message is its hello: a gap before it hid the hello.
        let message = if from_client && self.start.is_none() {
            Some(Name::from("ClientHello"))
        } else if !from_client && self.version.is_none() && !self.hello_retry_request {
            Some(Name::from("ServerHello"))
        } else {
            None
        };
        let after = of_side(&mut self.last_name, from_client).clone();
        self.gap_loss = Some(GapLoss { message, how: "not captured", from_client, after, dropped });
    }

    pub(super) fn current_phase(&self) -> u8 {
        if self.complete {
            0
        } else if self.finished.iter().any(|f| *f) || self.ccs.iter().any(|c| *c) {
            4
        } else if self.version.is_some() {
            2
        } else {
            1
        }
    }

    fn client_hello(&mut self, m: &MessageEvent) {
        if self.start.is_none() {
            self.start = Some(m.time);
        }
        let Some(HandshakeBody::ClientHello { client_hello: ch }) = &m.body else { return };
        self.offered_suites = ch.cipher_suites.iter().filter(|c| !registry::is_grease(**c)).count();
        self.client_session_id = ch.session_id.clone();
        self.sni = ch.sni.clone();
        for e in &ch.extensions {
            match &e.body {
                ExtensionBody::Alpn { alpn } => self.alpn_offered = alpn.clone(),
                ExtensionBody::PskOffer { identities, .. } => self.client_psk_identities = Some(identities.len()),
                _ => {}
            }
            match e.extension_type() {
                ExtensionType::SessionTicket => self.client_ticket_len = Some(e.length),
                ExtensionType::EarlyData => self.early_data_offered = true,
                _ => {}
            }
        }
        self.offered_groups = offered_groups(ch).count();
        self.offered_versions = ch
            .offered_versions()
            .map(|v| v.iter().copied().filter(|v| !registry::is_grease(*v)).collect())
            .unwrap_or_default();
    }

    fn server_hello(&mut self, m: &MessageEvent) {
        let Some(HandshakeBody::ServerHello { server_hello: sh }) = &m.body else { return };
        self.version = Some(sh.negotiated_version());
        self.cipher_suite = Some(sh.cipher_suite);
        self.timings.server_hello = self.since_start(m.time);
        self.session_id_echoed = !sh.session_id.is_empty() && sh.session_id == self.client_session_id;
        if let Some(g) = extensions::server_key_share_group(&sh.extensions) {
            self.group = Some(g);
        }
        for e in &sh.extensions {
            match e.extension_type() {
                ExtensionType::PreSharedKey => self.psk_selected = true,
                ExtensionType::KeyShare => self.key_share_selected = true,
                _ => {}
            }
            if let ExtensionBody::Alpn { alpn } = &e.body {
                self.alpn = alpn.first().cloned();
            }
        }
    }

    /// A revoked, stale, foreign or badly signed OCSP staple is a warning, as in a browser.
    fn stapled_ocsp(&mut self, m: &MessageEvent) {
        if let Some(ocsp) = m.body.as_ref().and_then(HandshakeBody::stapled_ocsp) {
            self.warnings.extend(ocsp.problems());
        }
    }

    fn certificate(&mut self, m: &MessageEvent, from_client: bool) -> u8 {
        self.stapled_ocsp(m);
        let (count, leaf, chain) = certificate_parts(m);
        if from_client && count == 0 && m.body.is_some() {
            // An empty Certificate: the client has none to send.
            return 3;
        }
        if let Some(leaf) = leaf {
            if leaf.expired_at_capture == Some(true) {
                self.warnings.push(format!("certificate {} expired or not yet valid at capture time", leaf.subject));
            }
            if let Some(bits) = leaf.key.key_bits.filter(|b| leaf.key.key_algorithm == "RSA" && *b < 2048) {
                self.warnings.push(format!("small RSA key: {bits} bits"));
            }
            let alg = leaf.signature_algorithm.as_bytes();
            let names = |word: &[u8]| alg.windows(word.len()).any(|w| w.eq_ignore_ascii_case(word));
            if names(b"sha1") || names(b"md5") {
                self.warnings.push(format!("certificate signed with {}", leaf.signature_algorithm));
            }
        }
        if let Some(c) = chain {
            if c.sni_matches == Some(false) && !from_client {
                self.warnings.push("certificate does not match the SNI".into());
            }
            // Its warning is worded in `all_warnings`, not held here for the flow's life.
            if c.trust.trusted.is_some() {
                let slot = if from_client { &mut self.client_trust } else { &mut self.server_trust };
                *slot = Some(std::sync::Arc::clone(&c.trust));
            }
            if matches!(c.signatures, crate::certs::Signatures::Invalid) {
                self.warnings.push(format!(
                    "certificate chain signature invalid{}",
                    c.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
                ));
            }
        }
        if from_client {
            self.client_cert_sent = count > 0 || (m.body.is_none() && m.length > 7);
            3
        } else {
            self.server_sent_certificate = true;
            if self.certificate_subject.is_none() {
                self.certificate_subject = leaf.map(|l| l.subject.clone());
            }
            2
        }
    }

    fn server_key_exchange(&mut self, m: &MessageEvent) {
        let Some(HandshakeBody::ServerKeyExchange { server_key_exchange: ske }) = &m.body else { return };
        if let Some(g) = ske.named_curve {
            self.group = Some(g);
        }
        if let Some(scheme) = ske.signature.as_ref().and_then(|s| s.signature_scheme) {
            self.signature_scheme = Some(scheme);
        }
        if ske.named_curve_name.is_none()
            && let Some(p) = ske.dh_p_bits.filter(|p| *p < 2048)
        {
            self.warnings.push(format!("small DH group: {p} bits"));
        }
    }

    fn encrypted_extensions(&mut self, m: &MessageEvent) {
        let Some(HandshakeBody::EncryptedExtensions { encrypted_extensions: ee }) = &m.body else { return };
        if let Some(a) = extensions::alpn(&ee.extensions).and_then(|a| a.first()) {
            self.alpn = Some(a.clone());
        }
        if self.early_data_offered {
            self.early_data_accepted = Some(ee.extensions.iter().any(|e| e.typ == 42));
        }
    }

    fn client_key_exchange(&mut self, m: &MessageEvent) {
        if let Some(HandshakeBody::ClientKeyExchange { client_key_exchange: cke }) = &m.body {
            if cke.encrypted_premaster_length.is_some() {
                self.warnings.push("RSA key exchange: no forward secrecy".into());
                return;
            }
            if cke.ecdh_public_length.is_some() || cke.dh_yc_bits.is_some() {
                return;
            }
        }
        if self.key_exchange().starts_with("RSA") {
            self.warnings.push("RSA key exchange: no forward secrecy".into());
        }
    }

    /// The key exchange of the negotiated cipher suite ("" while unknown).
    pub(super) fn key_exchange(&self) -> &'static str {
        self.cipher_suite.and_then(registry::cipher_suite).map(|c| c.kx).unwrap_or("")
    }

    fn record_alert(&mut self, a: &AlertInfo, d: Direction, phase: u8) {
        let from = if d == Direction::ClientToServer { "client" } else { "server" };
        self.alerts.push(HandshakeAlert {
            from,
            level: a.level,
            description: a.description,
            description_name: a.description_name.clone(),
            phase,
        });
        if a.level == 2 && self.fatal_alert.is_none() {
            self.fatal_alert = Some(format!("alert: {} from {from}", a.description_name));
        }
    }

    /// An encrypted record nobody could read: where the handshake stands tells what it is
    /// (0-RTT data, a flight of TLS 1.3's handshake, application data).
    fn encrypted_record(&mut self, m: &MessageEvent, from_client: bool) -> u8 {
        if self.version.is_none() {
            return 1;
        }
        if self.complete {
            self.first_app_data(m.time);
            return 0;
        }
        let seen = of_side(&mut self.encrypted_after_sh, from_client);
        *seen = seen.saturating_add(1);
        if from_client {
            // The client's first encrypted flight in TLS 1.3 ends with its Finished: it
            // accepted the server's flight.
            self.finished[0] = true;
            self.mark_finished(m.time);
            4
        } else {
            self.timings.server_flight_end = self.since_start(m.time);
            self.finished[1] = true;
            2
        }
    }

    fn first_app_data(&mut self, t: Timestamp) {
        if self.timings.first_application_data.is_none() {
            self.timings.first_application_data = self.since_start(t);
        }
    }

    fn mark_finished(&mut self, t: Timestamp) {
        if self.finished == [true, true] && !self.complete {
            self.complete = true;
            self.timings.last_finished = self.since_start(t);
        }
    }

    /// The failure a gap caused: which message it took, or where the bytes went missing.
    fn gap_failure(&self) -> String {
        let Some(loss) = &self.gap_loss else { return "gap: bytes missing from the capture".to_string() };
        let side = if loss.from_client { "client" } else { "server" };
        match (&loss.message, &loss.after, loss.dropped) {
            (Some(message), _, Some(cause)) if loss.how == "not captured" => {
                format!("gap: {message} dropped by tlstrace ({cause})")
            }
            (Some(message), _, Some(cause)) => format!("gap: {message} {} (dropped by tlstrace: {cause})", loss.how),
            (Some(message), _, None) => format!("gap: {message} {}", loss.how),
            (None, Some(after), dropped) => format!(
                "gap: bytes missing after {after} from the {side}{}",
                dropped.map(|c| format!(" (dropped by tlstrace: {c})")).unwrap_or_default()
            ),
            (None, None, dropped) => format!(
                "gap: bytes missing from the {side}{}",
                dropped.map(|c| format!(" (dropped by tlstrace: {c})")).unwrap_or_default()
            ),
        }
    }

    /// Why the handshake did not complete (None when it did). `ended` says why the connection
    /// stopped, if it did.
    fn failure(&self, ended: Option<&str>) -> Option<String> {
        if self.complete {
            return None;
        }
        if let Some(a) = &self.fatal_alert {
            return Some(a.clone());
        }
        if self.gap {
            return Some(self.gap_failure());
        }
        let reason: &str = match ended {
            Some("rst") => "reset: the connection was reset during the handshake",
            Some("capture_end") => "capture ended before the handshake finished",
            Some("timeout") => "connection idle past the timeout during the handshake",
            Some("evicted") => "evicted from the flow table before the handshake finished",
            Some(_) if self.version.is_none() => "connection closed before the ServerHello",
            Some(_) => "connection closed before the handshake finished",
            None => "encrypted and undecidable",
        };
        // A message the end cut short is named.
        Some(match self.gap_loss.as_ref().and_then(|l| l.message.as_ref()) {
            Some(message) => format!("{reason}: {message} incomplete"),
            None => reason.to_string(),
        })
    }

    /// "full", or how the handshake resumed a session.
    fn kind(&self) -> &'static str {
        if self.psk_selected {
            "resumed_psk"
        } else if self.abbreviated && self.client_ticket_len.is_some_and(|l| l > 0) {
            "resumed_ticket"
        } else if self.abbreviated || (self.session_id_echoed && !self.tls13()) {
            "resumed_session_id"
        } else {
            "full"
        }
    }

    /// The warnings of the handshake so far, with those of its version and cipher suite.
    fn all_warnings(&self) -> Vec<String> {
        let mut warnings = self.warnings.clone();
        if let Some(v) = self.version.filter(|v| *v <= 0x0302) {
            warnings.push(format!("{} is deprecated (RFC 8996)", version_name(v)));
        }
        if let Some(c) = self.cipher_suite.and_then(registry::cipher_suite) {
            if c.cipher.contains("CBC") && (c.mac == "SHA1" || c.mac == "SHA") {
                warnings.push(format!("{}: CBC with SHA-1 MAC", c.name));
            }
            if c.kx.contains("EXPORT") || c.name.contains("EXPORT") {
                warnings.push(format!("{}: export-grade cipher suite", c.name));
            }
            if c.cipher == "NULL" || c.name.contains("NULL") {
                warnings.push(format!("{}: no encryption (NULL cipher)", c.name));
            }
            if c.cipher.contains("RC4") || c.cipher.contains("DES") {
                warnings.push(format!("{}: broken cipher", c.name));
            }
        }
        for (whose, trust) in
            [("certificate chain", &self.server_trust), ("client certificate chain", &self.client_trust)]
        {
            if let Some(t) = trust
                && let (Some(false), Some(why)) = (t.trusted, &t.trust_error)
            {
                warnings.push(format!("{whose} untrusted: {why}"));
            }
        }
        warnings.extend(self.rejections());
        if self.tls13() && self.complete {
            warnings.retain(|w| !w.is_empty());
        }
        warnings.sort();
        warnings.dedup();
        warnings
    }

    /// A peer's certificate alert, next to tlstrace's own verdict on the chain it refused:
    /// "client rejected the chain (unknown_ca); tlstrace: untrusted: unknown issuer".
    fn rejections(&self) -> Vec<String> {
        // bad_certificate, unsupported_certificate, certificate_revoked, certificate_expired,
        // certificate_unknown, unknown_ca.
        const CERTIFICATE_ALERTS: [u8; 6] = [42, 43, 44, 45, 46, 48];
        let mut out = Vec::new();
        for a in self.alerts.iter().filter(|a| CERTIFICATE_ALERTS.contains(&a.description)) {
            // The client judges the server's chain; the server the client's.
            let (who, whose, trust) = if a.from == "client" {
                ("client", "the chain", &self.server_trust)
            } else {
                ("server", "the client's chain", &self.client_trust)
            };
            let ours = match trust {
                Some(t) if t.trusted == Some(true) => {
                    format!("trusted by {}", t.anchor_from.as_deref().unwrap_or("the anchors given"))
                }
                Some(t) => t.verdict().unwrap_or_default(),
                None => "not judged".to_string(),
            };
            out.push(format!("{who} rejected {whose} ({}); tlstrace: {ours}", a.description_name));
        }
        out
    }

    /// The summary of this handshake. `ended` says why the connection stopped, if it did.
    pub fn summary(&mut self, conn: u64, time: Timestamp, ended: Option<&str>) -> HandshakeEvent {
        self.emitted = true;
        let early_data = match (self.early_data_offered, self.early_data_accepted) {
            (false, _) => "none",
            (true, Some(true)) => "accepted",
            (true, Some(false)) => "rejected",
            (true, None) => "offered",
        };
        let client_certificate = if self.client_cert_sent {
            "sent"
        } else if self.client_cert_requested {
            "requested"
        } else {
            "none"
        };
        HandshakeEvent {
            conn,
            handshake: self.index,
            time,
            version: self.version,
            version_name: self.version.map(version_name),
            cipher_suite: self.cipher_suite,
            cipher_suite_name: self.cipher_suite.map(cipher_suite_name),
            group: self.group.map(group_name),
            signature_scheme: self.signature_scheme.map(signature_scheme_name),
            sni: self.sni.clone(),
            alpn: self.alpn.clone(),
            certificate_subject: self.certificate_subject.clone(),
            kind: self.kind(),
            hello_retry_request: self.hello_retry_request,
            early_data,
            client_certificate,
            renegotiation: self.renegotiation,
            complete: self.complete,
            failure: self.failure(ended),
            missing_message: self.gap_loss.as_ref().and_then(|l| l.message.clone()),
            alerts: self.alerts.clone(),
            duration: self.timings.last_finished,
            timings: self.timings.clone(),
            warnings: self.all_warnings(),
            trust: self.server_trust.clone(),
            finished_verified: None,
            decryption: super::decrypt::DecryptionReport {
                status: "no_key_log",
                missing_labels: Vec::new(),
                reason: None,
            },
            key_derivation: None,
            keylog_lines: Vec::new(),
            dtls: None,
            quic: None,
        }
    }
}

/// The groups a ClientHello offers, GREASE left out.
pub(super) fn offered_groups(ch: &crate::msgs::ClientHello) -> impl Iterator<Item = u16> + '_ {
    let groups = ch.extensions.iter().rev().find_map(|e| match &e.body {
        ExtensionBody::SupportedGroups { groups } => Some(groups.as_slice()),
        _ => None,
    });
    groups.unwrap_or_default().iter().copied().filter(|g| !registry::is_grease(*g))
}

/// A Certificate message's count of certificates, its parsed leaf and the chain check.
pub(super) fn certificate_parts(
    m: &MessageEvent,
) -> (usize, Option<&crate::certs::ParsedCert>, Option<&crate::certs::ChainCheck>) {
    match &m.body {
        Some(HandshakeBody::Certificate { certificates, chain, .. }) => {
            let leaf = certificates.first().and_then(|c| match c {
                CertificateEntry::X509 { cert, .. } => match &cert.details {
                    CertDetails::Parsed(p) => Some(p.as_ref()),
                    CertDetails::Unparsed { .. } => None,
                },
                _ => None,
            });
            (certificates.len(), leaf, chain.as_ref())
        }
        _ => (0, None, None),
    }
}
