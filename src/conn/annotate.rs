//! The story of a handshake: which of the four classic phases each message belongs to, the role
//! it plays in *this* handshake (with its real values), and a per-handshake summary.
//!
//! Phases follow the textbook description of the TLS handshake:
//! 1 negotiate algorithms (hellos), 2 server authentication and key exchange, 3 client key
//! exchange and authentication, 4 ChangeCipherSpec and Finished; 0 is after the handshake.
//! TLS 1.3 maps onto them: its key exchange happens in phase 1 (key_share), its server flight is
//! phase 2, the client's certificate phase 3, the Finished messages phase 4.

use super::events::{AlertInfo, Direction, HandshakeAlert, HandshakeEvent, MessageEvent, Timings};
use crate::certs::CertDetails;
use crate::msgs::HandshakeBody;
use crate::msgs::certificate::CertificateEntry;
use crate::msgs::extensions::{self, ExtensionBody};
use crate::msgs::hello::is_tls13;
use crate::msgs::names::Name;

/// Appends to a role sentence being built, only when roles are written.
macro_rules! role_more {
    ($story:expr, $sentence:expr, $($arg:tt)*) => {
        if $story.roles {
            let _ = std::fmt::Write::write_fmt(&mut $sentence, format_args!($($arg)*));
        }
    };
}

/// Appends fixed text to a role sentence, only when the output shows roles.
macro_rules! say {
    ($story:expr, $sentence:expr, $text:expr) => {
        if $story.roles {
            $sentence.push_str($text);
        }
    };
}

/// A role sentence from its pieces (text, numbers, names) pushed one after the other, only when
/// the output shows roles: the `fmt` machinery of `role!` cost a few hundred instructions per
/// sentence, and the sentences of the most frequent messages (records, ChangeCipherSpec,
/// Finished, alerts) are built this way.
macro_rules! role_parts {
    ($story:expr, $($part:expr),+ $(,)?) => {
        if $story.roles {
            let mut sentence = String::with_capacity(192);
            $( RolePart::append_to(&$part, &mut sentence); )+
            sentence
        } else {
            String::new()
        }
    };
}

/// A piece of a role sentence (see `role_parts!`).
trait RolePart {
    fn append_to(&self, sentence: &mut String);
}

impl RolePart for str {
    fn append_to(&self, sentence: &mut String) {
        sentence.push_str(self);
    }
}

impl RolePart for Name {
    fn append_to(&self, sentence: &mut String) {
        sentence.push_str(self);
    }
}

impl RolePart for String {
    fn append_to(&self, sentence: &mut String) {
        sentence.push_str(self);
    }
}

impl RolePart for usize {
    fn append_to(&self, sentence: &mut String) {
        sentence.push_str(itoa::Buffer::new().format(*self));
    }
}

impl<T: RolePart + ?Sized> RolePart for &T {
    fn append_to(&self, sentence: &mut String) {
        (**self).append_to(sentence);
    }
}

/// A fixed role sentence, only when the output shows roles (see `role!`).
macro_rules! fixed_role {
    ($story:expr, $text:expr) => {
        if $story.roles { String::from($text) } else { String::new() }
    };
}

/// A role sentence, formatted only when the output shows roles (`--json`, `-v`): the default
/// ladder does not, and building them was a tenth of a text run's work. State is never built
/// with it.
macro_rules! role {
    ($story:expr, $($arg:tt)*) => {
        if $story.roles {
            // Sized for a typical sentence up front: growing it step by step showed in profiles.
            let mut sentence = String::with_capacity(192);
            let _ = std::fmt::Write::write_fmt(&mut sentence, format_args!($($arg)*));
            sentence
        } else {
            String::new()
        }
    };
}
use crate::registry;
use crate::time::Timestamp;
use std::fmt::Write as _;

pub fn version_name(v: u16) -> Name {
    registry::version_name(v).map(Name::from).unwrap_or_else(|| Name::Owned(format!("0x{v:04x}")))
}

pub fn suite_name(code: u16) -> Name {
    registry::cipher_suite(code).map(|c| Name::Borrowed(c.name)).unwrap_or_else(|| Name::Owned(format!("0x{code:04x}")))
}

pub fn group_name(code: u16) -> Name {
    if registry::is_grease(code) {
        return Name::Borrowed("GREASE");
    }
    registry::group_name(code).map(Name::Borrowed).unwrap_or_else(|| Name::Owned(format!("0x{code:04x}")))
}

pub fn scheme_name(code: u16) -> Name {
    registry::signature_scheme_name(code).map(Name::Borrowed).unwrap_or_else(|| Name::Owned(format!("0x{code:04x}")))
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

/// How the handshake went, built as messages arrive.
#[derive(Debug, Default, Clone)]
pub struct Story {
    pub index: u32,
    /// Write the role sentences (see [`role!`]).
    roles: bool,
    start: Option<Timestamp>,
    // From the ClientHello.
    offered_suites: usize,
    offered_groups: usize,
    offered_versions: Vec<u16>,
    client_session_id: Vec<u8>,
    client_ticket_len: Option<usize>,
    client_psk_identities: Option<usize>,
    early_data_offered: bool,
    pub sni: Option<String>,
    alpn_offered: Vec<String>,
    // From the server.
    hello_retry_request: bool,
    pub version: Option<u16>,
    pub cipher_suite: Option<u16>,
    group: Option<u16>,
    signature_scheme: Option<u16>,
    alpn: Option<String>,
    certificate_subject: Option<String>,
    psk_selected: bool,
    key_share_selected: bool,
    session_id_echoed: bool,
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
    last_name: [Option<Name>; 2],
    timings: Timings,
    warnings: Vec<String>,
    pub gap: bool,
    /// What the first gap of the handshake took.
    gap_loss: Option<GapLoss>,
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

fn side(d: Direction) -> usize {
    match d {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
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
        let after = self.last_name[if from_client { 0 } else { 1 }].clone();
        self.gap_loss = Some(GapLoss { message, how: "not captured", from_client, after, dropped });
    }

    /// A message cut short by a gap: its phase and role, and the story's failure.
    fn incomplete(&mut self, m: &MessageEvent, captured: usize, cut_in: Option<&str>) -> (u8, String) {
        let from_client = m.direction == Direction::ClientToServer;
        let phase = match &*m.name {
            "ClientHello" => {
                self.start.get_or_insert(m.time);
                if let Some(HandshakeBody::ClientHello { client_hello }) = &m.body {
                    self.sni = client_hello.sni.clone();
                }
                1
            }
            "ServerHello" | "HelloRetryRequest" => 1,
            _ => self.current_phase(),
        };
        if !self.complete {
            self.gap = true;
            if self.gap_loss.is_none() {
                let after = self.last_name[if from_client { 0 } else { 1 }].clone();
                self.gap_loss = Some(GapLoss {
                    message: Some(m.name.clone()),
                    how: "incomplete",
                    from_client,
                    after,
                    dropped: None,
                });
            }
        }
        let mut role = String::new();
        if self.roles {
            let who = if from_client { "Client" } else { "Server" };
            let _ = write!(
                role,
                "{who}'s {}, cut short by a gap: {captured} of its {} bytes were captured",
                m.name, m.length
            );
            if let Some(field) = cut_in {
                let _ = write!(role, " (the cut falls in its {field})");
            }
            role.push_str("; the fields shown are those the captured bytes hold.");
        }
        (phase, role)
    }

    fn tls13(&self) -> bool {
        self.version.is_some_and(is_tls13)
    }

    fn since_start(&self, t: Timestamp) -> Option<f64> {
        self.start.map(|s| t.seconds_since(&s))
    }

    /// Sets `phase` and `role` on a message and updates the story.
    pub fn annotate(&mut self, m: &mut MessageEvent) {
        let from_client = m.direction == Direction::ClientToServer;
        let s = side(m.direction);
        let who = if from_client { "Client" } else { "Server" };
        if let Some(inc) = &m.incomplete {
            let (phase, role) = self.incomplete(m, inc.bytes_captured, inc.cut_in);
            m.phase = phase;
            m.role = role;
            self.last_name[s] = Some(m.name.clone());
            return;
        }
        let (phase, role) = match &*m.name {
            "ClientHello" => self.client_hello(m),
            "ServerHello" => self.server_hello(m),
            "HelloRetryRequest" => self.hello_retry(m),
            "Certificate" => self.certificate(m, from_client),
            "ServerKeyExchange" => (2, self.server_key_exchange(m)),
            "CertificateRequest" => {
                self.client_cert_requested = true;
                (
                    2,
                    fixed_role!(
                        self,
                        "Server asks the client to authenticate with a certificate (client authentication)."
                    ),
                )
            }
            "ServerHelloDone" => {
                (2, fixed_role!(self, "Server has sent its whole hello flight; it is now the client's turn."))
            }
            "CertificateStatus" => {
                (2, fixed_role!(self, "Server staples an OCSP response proving its certificate is not revoked."))
            }
            "EncryptedExtensions" => (2, self.encrypted_extensions(m)),
            "ClientKeyExchange" => (3, self.client_key_exchange(m)),
            "CertificateVerify" => {
                let scheme = match &m.body {
                    Some(HandshakeBody::CertificateVerify { certificate_verify: cv }) => cv.signature_scheme,
                    _ => None,
                };
                if !from_client && scheme.is_some() {
                    self.signature_scheme = scheme;
                }
                let with = scheme.map(|s| role!(self, " ({})", scheme_name(s))).unwrap_or_default();
                if from_client {
                    (
                        3,
                        role!(
                            self,
                            "Client signs the handshake transcript with its private key{with}, proving it owns its certificate."
                        ),
                    )
                } else {
                    (
                        2,
                        role!(
                            self,
                            "Server signs the handshake transcript with its certificate's key{with}, proving it holds that key."
                        ),
                    )
                }
            }
            "NextProtocol" => (
                3,
                fixed_role!(self, "Client names the application protocol it picked (NPN, the predecessor of ALPN)."),
            ),
            "ChangeCipherSpec" => {
                self.ccs[s] = true;
                if self.tls13() || self.offered_versions.contains(&0x0304) && self.version.is_none() {
                    (
                        4,
                        role_parts!(
                            self,
                            who,
                            "'s middlebox-compatibility ChangeCipherSpec: it has no cryptographic meaning in TLS 1.3."
                        ),
                    )
                } else {
                    if self.version.is_some() && !self.server_sent_certificate && !from_client && !self.finished[0] {
                        self.abbreviated = true;
                    }
                    (
                        4,
                        role_parts!(
                            self,
                            who,
                            " switches to the newly negotiated keys: everything it sends from here on is encrypted."
                        ),
                    )
                }
            }
            "Finished" | "EncryptedHandshake" if !self.complete => {
                self.finished[s] = true;
                self.mark_finished(m.time);
                let encrypted = if m.name == "Finished" && !m.encrypted { "" } else { " (encrypted)" };
                let verified = match &m.body {
                    Some(HandshakeBody::Finished { finished }) => match finished.verified {
                        Some(true) => ", verified against the key log",
                        Some(false) => {
                            ", which does NOT verify against the key log (wrong keys, or a tampered or mis-reassembled transcript)"
                        }
                        None => "",
                    },
                    _ => "",
                };
                (
                    4,
                    role_parts!(
                        self,
                        who,
                        "'s Finished",
                        encrypted,
                        verified,
                        ": an HMAC over the whole handshake transcript, proving both sides saw the same messages and hold the same keys."
                    ),
                )
            }
            "NewSessionTicket" => (if self.tls13() { 0 } else { 4 }, self.new_session_ticket(m)),
            "KeyUpdate" => (0, role!(self, "{who} switches to the next generation of traffic keys.")),
            "EndOfEarlyData" => (4, fixed_role!(self, "Client ends its 0-RTT early data.")),
            "HelloRequest" => {
                (0, fixed_role!(self, "Server asks the client to start a new handshake (renegotiation)."))
            }
            "Alert" | "EncryptedAlert" => self.alert(m, from_client),
            "EncryptedRecord" => self.encrypted_record(m, from_client),
            "ApplicationData" if self.version.is_none() && from_client => (
                1,
                role!(
                    self,
                    "0-RTT early data from the client ({} bytes), sent before the server answered, protected with the resumption (early traffic) secret.",
                    m.length
                ),
            ),
            "ApplicationData" => {
                self.first_app_data(m.time);
                (0, role_parts!(self, "Application data, ", m.length, " bytes, encrypted with the session keys."))
            }
            "Finished" | "EncryptedHandshake" => (
                0,
                role_parts!(
                    self,
                    who,
                    "'s encrypted handshake message after the handshake (renegotiation or post-handshake message)."
                ),
            ),
            n if n.starts_with("SSLv2") => {
                (1, role!(self, "SSLv2 message {n}: SSL 2.0 is broken and must not be used."))
            }
            _ => (
                if self.complete { 0 } else { self.current_phase() },
                role_parts!(self, who, " sends ", m.name, " (", m.length, " bytes)."),
            ),
        };
        m.phase = phase;
        // Without roles, fixed fragments of the sentences may still have been appended.
        m.role = if self.roles { role } else { String::new() };
        self.last_name[s] = Some(m.name.clone());
    }

    fn current_phase(&self) -> u8 {
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

    fn client_hello(&mut self, m: &MessageEvent) -> (u8, String) {
        if self.start.is_none() {
            self.start = Some(m.time);
        }
        let Some(HandshakeBody::ClientHello { client_hello: ch }) = &m.body else {
            return (1, fixed_role!(self, "Client opens the handshake (the hello did not decode)."));
        };
        self.offered_suites = ch.cipher_suites.iter().filter(|c| !registry::is_grease(**c)).count();
        self.client_session_id = ch.session_id.clone();
        self.sni = ch.sni.clone();
        let mut groups: &[u16] = &[];
        for e in &ch.extensions {
            match &e.body {
                ExtensionBody::SupportedGroups { groups: g } => groups = g,
                ExtensionBody::Alpn { alpn } => self.alpn_offered = alpn.clone(),
                ExtensionBody::PskOffer { identities, .. } => self.client_psk_identities = Some(identities.len()),
                _ => {}
            }
            match e.typ {
                35 => self.client_ticket_len = Some(e.length),
                42 => self.early_data_offered = true,
                _ => {}
            }
        }
        let real_groups = || groups.iter().copied().filter(|g| !registry::is_grease(*g));
        self.offered_groups = real_groups().count();
        self.offered_versions = ch
            .offered_versions()
            .map(|v| v.iter().copied().filter(|v| !registry::is_grease(*v)).collect())
            .unwrap_or_default();
        let top = self.offered_versions.iter().copied().max().unwrap_or(ch.version);
        let mut s = role!(self, "Client offers {} with {} cipher suites", version_name(top), self.offered_suites);
        if self.roles && self.offered_groups > 0 {
            let names: Vec<Name> = real_groups().take(4).map(group_name).collect();
            role_more!(
                self,
                s,
                " and {} groups ({}{})",
                self.offered_groups,
                names.join(", "),
                if self.offered_groups > 4 { ", ..." } else { "" }
            );
        }
        if let Some(sni) = &ch.sni {
            role_more!(self, s, " for {sni}");
        }
        if !self.alpn_offered.is_empty() {
            role_more!(self, s, ", ALPN {}", self.alpn_offered.join(","));
        }
        say!(self, s, "; its random is the first input to the session keys.");
        if self.roles {
            let key_shares = extensions::key_share_groups(&ch.extensions).unwrap_or_default();
            let ks: Vec<Name> = key_shares.into_iter().filter(|g| !registry::is_grease(*g)).map(group_name).collect();
            if !ks.is_empty() {
                role_more!(self, s, " TLS 1.3 key exchange starts here: key_share for {}.", ks.join(", "));
            }
        }
        if let Some(n) = self.client_psk_identities {
            role_more!(
                self,
                s,
                " Offers to resume with a pre-shared key ({n} identit{}).",
                if n == 1 { "y" } else { "ies" }
            );
        } else if let Some(len) = self.client_ticket_len.filter(|l| *l > 0) {
            role_more!(self, s, " Offers a session ticket ({len} bytes) to resume a session.");
        } else if !ch.session_id.is_empty() && !self.offered_versions.contains(&0x0304) {
            role_more!(self, s, " Offers to resume session id {}.", short_hex(&ch.session_id));
        }
        if self.early_data_offered {
            say!(self, s, " Announces 0-RTT early data.");
        }
        if ch.sslv2_format {
            say!(self, s, " Sent in the old SSLv2-compatible format.");
        }
        (1, s)
    }

    fn server_hello(&mut self, m: &MessageEvent) -> (u8, String) {
        let Some(HandshakeBody::ServerHello { server_hello: sh }) = &m.body else {
            return (1, fixed_role!(self, "Server answers the hello (the message did not decode)."));
        };
        let version = sh.negotiated_version();
        self.version = Some(version);
        self.cipher_suite = Some(sh.cipher_suite);
        self.timings.server_hello = self.since_start(m.time);
        self.session_id_echoed = !sh.session_id.is_empty() && sh.session_id == self.client_session_id;
        if let Some(g) = extensions::server_key_share_group(&sh.extensions) {
            self.group = Some(g);
        }
        for e in &sh.extensions {
            match e.typ {
                41 => self.psk_selected = true,
                51 => self.key_share_selected = true,
                _ => {}
            }
            if let ExtensionBody::Alpn { alpn } = &e.body {
                self.alpn = alpn.first().cloned();
            }
        }
        let mut s = role!(
            self,
            "Server picks {} and {} out of the client's {} offers",
            version_name(version),
            suite_name(sh.cipher_suite),
            self.offered_suites
        );
        if let (true, Some(g)) = (is_tls13(version), self.group) {
            role_more!(self, s, " and {} out of {} groups", group_name(g), self.offered_groups);
        }
        say!(self, s, "; its random is the second input to the session keys.");
        if is_tls13(version) {
            if self.psk_selected {
                say!(
                    self,
                    s,
                    if self.key_share_selected {
                        " It accepts the pre-shared key (resumption) with a fresh (EC)DHE exchange."
                    } else {
                        " It accepts the pre-shared key (resumption) without (EC)DHE: no forward secrecy for this session."
                    }
                );
            }
            if self.key_share_selected {
                say!(self, s, " Its key_share completes the key exchange: everything after this is encrypted.");
            }
        } else if self.session_id_echoed {
            say!(self, s, " It echoes the client's session id: the abbreviated (resumed) handshake follows.");
        } else if !sh.session_id.is_empty() {
            say!(self, s, " New session id: a full handshake follows.");
        }
        if let Some(a) = &self.alpn {
            role_more!(self, s, " ALPN: {a}.");
        }
        (1, s)
    }

    fn hello_retry(&mut self, m: &MessageEvent) -> (u8, String) {
        self.hello_retry_request = true;
        let mut s = fixed_role!(self, "Server asks the client to retry its hello (HelloRetryRequest)");
        if let Some(HandshakeBody::ServerHello { server_hello: sh }) = &m.body {
            if let Some(g) = sh.selected_group {
                role_more!(
                    self,
                    s,
                    " with a key share for {}: none of the client's key shares was acceptable",
                    group_name(g)
                );
            }
            if sh.extensions.iter().any(|e| e.typ == 44) {
                say!(self, s, "; it includes a cookie the client must echo");
            }
        }
        say!(self, s, ".");
        (1, s)
    }

    fn certificate(&mut self, m: &MessageEvent, from_client: bool) -> (u8, String) {
        let (count, leaf, chain) = match &m.body {
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
        };
        let who = if from_client { "Client" } else { "Server" };
        if from_client && count == 0 && m.body.is_some() {
            return (
                3,
                fixed_role!(self, "Client has no certificate to send (empty Certificate): the server may refuse it."),
            );
        }
        let mut s = if let Some(leaf) = leaf {
            role!(
                self,
                "{who} proves its identity with a chain of {count} certificate{}: {} ({} {}{}), issued by {}",
                if count == 1 { "" } else { "s" },
                leaf.subject,
                leaf.key.key_algorithm,
                leaf.key.key_bits.map(|b| b.to_string()).unwrap_or_default(),
                leaf.key.curve.as_deref().map(|c| role!(self, " {c}")).unwrap_or_default(),
                leaf.issuer
            )
        } else {
            role!(self, "{who} sends its certificate chain")
        };
        if let Some(leaf) = leaf {
            if leaf.expired_at_capture == Some(true) {
                role_more!(
                    self,
                    s,
                    "; the leaf was NOT valid at capture time ({} to {})",
                    leaf.not_before,
                    leaf.not_after
                );
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
                say!(self, s, "; its names do NOT match the SNI");
                self.warnings.push("certificate does not match the SNI".into());
            }
            if matches!(c.signatures, crate::certs::Signatures::Invalid) {
                say!(self, s, "; a signature in the chain does NOT verify");
                self.warnings.push(format!(
                    "certificate chain signature invalid{}",
                    c.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
                ));
            }
        }
        say!(self, s, ".");
        if from_client {
            self.client_cert_sent = count > 0 || (m.body.is_none() && m.length > 7);
            (3, s)
        } else {
            self.server_sent_certificate = true;
            if self.certificate_subject.is_none() {
                self.certificate_subject = leaf.map(|l| l.subject.clone());
            }
            (2, s)
        }
    }

    fn server_key_exchange(&mut self, m: &MessageEvent) -> String {
        let Some(HandshakeBody::ServerKeyExchange { server_key_exchange: ske }) = &m.body else {
            return fixed_role!(
                self,
                "Server sends its ephemeral key-exchange parameters, signed with its certificate's key: the signature ties the ephemeral key to the certificate."
            );
        };
        if let Some(g) = ske.named_curve {
            self.group = Some(g);
        }
        if let Some(scheme) = ske.signature.as_ref().and_then(|s| s.signature_scheme) {
            self.signature_scheme = Some(scheme);
        }
        let params = if let Some(curve) = &ske.named_curve_name {
            role!(self, "its ephemeral ECDHE public key on {curve} ({} bytes)", ske.public_key_length.unwrap_or(0))
        } else if let Some(p) = ske.dh_p_bits {
            if p < 2048 {
                self.warnings.push(format!("small DH group: {p} bits"));
            }
            role!(self, "ephemeral DH parameters: a {p}-bit prime p, generator g and its public value Ys")
        } else if let Some(bits) = ske.rsa_modulus_bits {
            role!(self, "a temporary {bits}-bit RSA key (export-grade)")
        } else if ske.psk_identity_hint.is_some() {
            fixed_role!(self, "a PSK identity hint")
        } else {
            fixed_role!(self, "its key-exchange parameters")
        };
        match ske.signature.as_ref().map(|s| s.signature_scheme_name.clone()) {
            Some(Some(scheme)) => role!(
                self,
                "Server sends {params}, signed with {scheme}: the signature ties the ephemeral key to the certificate."
            ),
            Some(None) => role!(
                self,
                "Server sends {params}, signed with its certificate's key (MD5+SHA-1 or SHA-1 before TLS 1.2): the signature ties the ephemeral key to the certificate."
            ),
            None => role!(self, "Server sends {params} (unsigned)."),
        }
    }

    fn encrypted_extensions(&mut self, m: &MessageEvent) -> String {
        let mut s = fixed_role!(self, "Server's first encrypted message: the extensions it accepts");
        if let Some(HandshakeBody::EncryptedExtensions { encrypted_extensions: ee }) = &m.body {
            if let Some(a) = extensions::alpn(&ee.extensions).and_then(|a| a.first()) {
                self.alpn = Some(a.clone());
                role_more!(self, s, "; ALPN {a}");
            }
            let early = ee.extensions.iter().any(|e| e.typ == 42);
            if self.early_data_offered {
                self.early_data_accepted = Some(early);
                say!(
                    self,
                    s,
                    if early {
                        "; it ACCEPTS the client's 0-RTT early data"
                    } else {
                        "; it REJECTS the client's 0-RTT early data (the client must send it again)"
                    }
                );
            }
            if self.roles && !ee.extensions.is_empty() {
                let names: Vec<&str> = ee.extensions.iter().map(|e| e.name.as_ref()).collect();
                role_more!(self, s, " ({})", names.join(", "));
            }
        }
        say!(self, s, ".");
        s
    }

    fn client_key_exchange(&mut self, m: &MessageEvent) -> String {
        if let Some(HandshakeBody::ClientKeyExchange { client_key_exchange: cke }) = &m.body {
            if let Some(n) = cke.encrypted_premaster_length {
                self.warnings.push("RSA key exchange: no forward secrecy".into());
                return role!(
                    self,
                    "Client sends the premaster secret encrypted to the server's RSA key ({n} bytes): no forward secrecy, whoever gets the server's key can decrypt this session."
                );
            }
            if let Some(n) = cke.ecdh_public_length {
                let on = self.group.map(|g| role!(self, " on {}", group_name(g))).unwrap_or_default();
                return role!(
                    self,
                    "Client sends its ephemeral ECDHE public key{on} ({n} bytes); both sides now derive the premaster secret, the third input to the session keys."
                );
            }
            if let Some(bits) = cke.dh_yc_bits {
                return role!(
                    self,
                    "Client sends its ephemeral DH public value Yc ({bits} bits); both sides now derive the premaster secret, the third input to the session keys."
                );
            }
        }
        let kx = self.cipher_suite.and_then(registry::cipher_suite).map(|c| c.kx).unwrap_or("");
        if kx.starts_with("RSA") {
            self.warnings.push("RSA key exchange: no forward secrecy".into());
            role!(
                self,
                "Client sends the premaster secret encrypted to the server's RSA key ({} bytes): no forward secrecy, whoever gets the server's key can decrypt this session.",
                m.length
            )
        } else {
            role!(
                self,
                "Client sends its ephemeral public key ({} bytes); both sides now derive the premaster secret, the third input to the session keys.",
                m.length
            )
        }
    }

    fn new_session_ticket(&mut self, m: &MessageEvent) -> String {
        if let Some(secs) = ticket_lifetime(m) {
            role!(self, "Server issues a session ticket valid for {secs} s, for resuming without a full handshake.")
        } else {
            fixed_role!(self, "Server issues a session ticket for resuming without a full handshake.")
        }
    }

    fn alert(&mut self, m: &MessageEvent, from_client: bool) -> (u8, String) {
        let who = if from_client { "Client" } else { "Server" };
        let phase = self.current_phase();
        let Some(a) = &m.alert else {
            return (
                phase,
                role_parts!(
                    self,
                    who,
                    " sends an encrypted alert (closing the connection or reporting an error; needs keys to read)."
                ),
            );
        };
        let peer_last = self.last_name[if from_client { 1 } else { 0 }].clone();
        let cause = alert_cause(a.description, from_client, peer_last.as_deref());
        self.record_alert(a, m.direction, phase);
        let after = peer_last
            .map(|n| role!(self, " right after the {}'s {n}", if from_client { "server" } else { "client" }))
            .unwrap_or_default();
        (phase, role_parts!(self, who, " sends ", a.level_name, " alert ", a.description_name, after, ": ", cause, "."))
    }

    fn record_alert(&mut self, a: &AlertInfo, d: Direction, phase: u8) {
        self.alerts.push(HandshakeAlert {
            from: if d == Direction::ClientToServer { "client" } else { "server" },
            level: a.level,
            description: a.description,
            description_name: a.description_name.clone(),
            phase,
        });
        if a.level == 2 && self.fatal_alert.is_none() {
            self.fatal_alert = Some(format!(
                "alert: {} from {}",
                a.description_name,
                if d == Direction::ClientToServer { "client" } else { "server" }
            ));
        }
    }

    fn encrypted_record(&mut self, m: &MessageEvent, from_client: bool) -> (u8, String) {
        let s = side(m.direction);
        if self.version.is_none() {
            if from_client {
                return (
                    1,
                    role!(
                        self,
                        "0-RTT early data from the client ({} bytes), encrypted with the resumption secret.",
                        m.length
                    ),
                );
            }
            return (1, role_parts!(self, "Encrypted record (", m.length, " bytes) before the ServerHello was seen."));
        }
        if self.complete {
            self.first_app_data(m.time);
            return (0, role_parts!(self, "Encrypted application data, ", m.length, " bytes."));
        }
        self.encrypted_after_sh[s] += 1;
        if from_client {
            // The client's first encrypted flight in TLS 1.3 ends with its Finished: it
            // accepted the server's flight.
            self.finished[0] = true;
            self.mark_finished(m.time);
            (
                4,
                role_parts!(
                    self,
                    "Client's encrypted flight (",
                    m.length,
                    " bytes): its Finished (and its certificate, if one was requested); needs a key log to see inside."
                ),
            )
        } else {
            self.timings.server_flight_end = self.since_start(m.time);
            self.finished[1] = true;
            (
                2,
                role_parts!(
                    self,
                    "Server's encrypted flight (",
                    m.length,
                    " bytes): EncryptedExtensions, Certificate, CertificateVerify and Finished; needs a key log to see inside."
                ),
            )
        }
    }

    fn first_app_data(&mut self, t: Timestamp) {
        if self.timings.first_application_data.is_none() {
            self.timings.first_application_data = self.since_start(t);
        }
    }

    fn mark_finished(&mut self, t: Timestamp) {
        if self.finished[0] && self.finished[1] && !self.complete {
            self.complete = true;
            self.timings.last_finished = self.since_start(t);
        }
    }

    /// True once the `handshake` event can be written (complete, not yet written).
    pub fn ready(&self) -> bool {
        self.complete && !self.emitted
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

    /// The summary of this handshake. `ended` says why the connection stopped, if it did.
    pub fn summary(&mut self, conn: u64, time: Timestamp, ended: Option<&str>) -> HandshakeEvent {
        self.emitted = true;
        let tls13 = self.tls13();
        let kind = if self.psk_selected {
            "resumed_psk"
        } else if self.abbreviated && self.client_ticket_len.is_some_and(|l| l > 0) {
            "resumed_ticket"
        } else if self.abbreviated || (self.session_id_echoed && !tls13) {
            "resumed_session_id"
        } else {
            "full"
        };
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
        let failure = if self.complete {
            None
        } else if let Some(a) = &self.fatal_alert {
            Some(a.clone())
        } else if self.gap {
            Some(self.gap_failure())
        } else {
            match ended {
                Some("rst") => Some("reset: the connection was reset during the handshake".into()),
                Some("capture_end") => Some("capture ended before the handshake finished".into()),
                Some("timeout") => Some("connection idle past the timeout during the handshake".into()),
                Some("evicted") => Some("evicted from the flow table before the handshake finished".into()),
                Some(_) if self.version.is_none() => Some("connection closed before the ServerHello".into()),
                Some(_) => Some("connection closed before the handshake finished".into()),
                None => Some("encrypted and undecidable".into()),
            }
        };
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
        if tls13 && !self.complete {
            // Without keys, completion is inferred from the client's encrypted flight.
        } else if tls13 {
            warnings.retain(|w| !w.is_empty());
        }
        warnings.sort();
        warnings.dedup();
        HandshakeEvent {
            conn,
            handshake: self.index,
            time,
            version: self.version,
            version_name: self.version.map(version_name),
            cipher_suite: self.cipher_suite,
            cipher_suite_name: self.cipher_suite.map(suite_name),
            group: self.group.map(group_name),
            signature_scheme: self.signature_scheme.map(scheme_name),
            sni: self.sni.clone(),
            alpn: self.alpn.clone(),
            certificate_subject: self.certificate_subject.clone(),
            kind,
            hello_retry_request: self.hello_retry_request,
            early_data,
            client_certificate,
            renegotiation: self.renegotiation,
            complete: self.complete,
            failure,
            missing_message: self.gap_loss.as_ref().and_then(|l| l.message.clone()),
            alerts: self.alerts.clone(),
            duration: self.timings.last_finished,
            timings: self.timings.clone(),
            warnings,
            finished_verified: None,
            decryption: super::decrypt::DecryptionReport {
                status: "no_key_log",
                missing_labels: Vec::new(),
                reason: None,
            },
        }
    }
}

fn short_hex(b: &[u8]) -> String {
    let h = crate::hex_text::lower(b);
    if h.len() > 16 { format!("{}...", &h[..16]) } else { h }
}

fn ticket_lifetime(m: &MessageEvent) -> Option<u64> {
    match &m.body {
        Some(HandshakeBody::NewSessionTicket { new_session_ticket: t }) => {
            t.lifetime.or(t.lifetime_hint).map(u64::from)
        }
        _ => None,
    }
}
