//! Turning one direction's records into message events: cleartext and decrypted records,
//! handshake framing, messages a gap cut short, SSLv2.

use super::events::*;
use super::flow::{HalfStream, TlsConn};
use super::{PacketContext, Shared};
use crate::msgs::{self, ContentType, HandshakeBody, HandshakeType, MessageKind};
use crate::tls;
use crate::tls::record::{CONTENT_ALERT, CONTENT_APPLICATION_DATA, CONTENT_CHANGE_CIPHER_SPEC, CONTENT_HANDSHAKE};

/// Turns records of one direction into message events.
pub(super) struct Emitter<'a> {
    pub(super) tls: &'a mut TlsConn,
    pub(super) direction: Direction,
    pub(super) pkt: PacketContext,
    pub(super) shared: &'a mut Shared,
    /// The server's address (its certificate is checked for it without SNI).
    pub(super) server_ip: std::net::IpAddr,
}

impl Emitter<'_> {
    pub(super) fn base(
        &mut self,
        record_version: u16,
        content_type: u8,
        kind: MessageKind,
        length: usize,
        encrypted: bool,
    ) -> Box<MessageEvent> {
        self.tls.messages = self.tls.messages.saturating_add(1);
        self.shared.stats.messages = self.shared.stats.messages.saturating_add(1);
        // Built in its box: the event is large and would otherwise be copied into it.
        Box::new(MessageEvent {
            conn: self.tls.conn,
            index: self.tls.messages,
            direction: self.direction,
            time: self.pkt.ts,
            frame: self.pkt.frame,
            record_version,
            content_type: msgs::names::content_type_name(content_type),
            kind,
            name: kind.name(),
            handshake_type: None,
            length,
            encrypted,
            decrypted: false,
            data: None,
            alert: None,
            ack: None,
            decode_error: None,
            incomplete: None,
            fingerprints: None,
            body: None,
            phase: 0,
            role: String::new(),
            raw: None,
        })
    }

    /// Annotates and queues a message; queues the handshake summary when it completes.
    /// `raw` is the message as captured (a handshake message with its header, else the record
    /// payload), kept in the event only when the sink shows bytes.
    pub(super) fn push(&mut self, mut m: Box<MessageEvent>, raw: &[u8]) {
        if self.shared.keep_bytes {
            m.raw = Some(raw.into());
        }
        // A new ClientHello after a finished handshake starts the next one (renegotiation).
        self.tls.story.annotate(&mut m);
        let time = m.time;
        self.shared.events.push(Event::Message(m));
        if self.tls.story.ready() {
            let h = self.tls.handshake_event(time, None, &mut self.shared.keys);
            self.shared.events.push(Event::Handshake(Box::new(h)));
        }
    }

    fn is_tls13(&self) -> bool {
        self.tls.ctx.version.is_some_and(msgs::hello::is_tls13)
    }

    pub(super) fn sent_by_client(&self) -> bool {
        self.direction == Direction::ClientToServer
    }

    pub(super) fn record(&mut self, half: &mut HalfStream, rec: tls::Record<'_>) {
        let len = rec.length;
        // TLS 1.3 hides every post-ServerHello record behind the application_data type; before
        // 1.3, a ChangeCipherSpec switches its direction to encrypted.
        let content = ContentType::from(rec.content_type);
        let encrypted = match content {
            ContentType::ApplicationData => true,
            // A renegotiation's ChangeCipherSpec travels under the current keys (longer than 1 byte).
            ContentType::ChangeCipherSpec => half.cipher_active && !self.is_tls13() && len > 1,
            _ => half.cipher_active && !self.is_tls13(),
        };
        let from_client = self.sent_by_client();
        // Without a key log there is nothing to try (and the crypto state stays out of the cache).
        if encrypted && self.shared.keys.enabled && self.tls.crypto.can_decrypt(&self.shared.keys, from_client) {
            let plain =
                self.tls.crypto.decrypt(&mut self.shared.keys, from_client, rec.content_type, rec.version, rec.payload);
            if let Some(p) = plain {
                self.plaintext(half, rec.version, p, len);
                return;
            }
        }
        use ContentType as C;
        match content {
            C::Handshake if !encrypted => self.handshake_records(half, rec.version, rec.payload, false),
            C::Handshake => {
                let m = self.base(rec.version, rec.content_type, MessageKind::EncryptedHandshake, len, true);
                self.push(m, rec.payload);
            }
            C::ChangeCipherSpec => {
                // In TLS 1.3 (and before its ServerHello is known, e.g. after a
                // HelloRetryRequest) the ChangeCipherSpec is for middleboxes only.
                let version_unknown_13_offered = self.tls.ctx.version.is_none() && self.tls.client_offered_tls13;
                if !self.is_tls13() && !version_unknown_13_offered {
                    half.cipher_active = true;
                    half.assembler.reset();
                    self.tls.crypto.on_change_cipher_spec(from_client);
                }
                let m = self.base(rec.version, rec.content_type, MessageKind::ChangeCipherSpec, len, false);
                self.push(m, rec.payload);
            }
            C::Alert if !encrypted && len == 2 => {
                let mut m = self.base(rec.version, rec.content_type, MessageKind::Alert, len, false);
                m.alert = alert_info(rec.payload);
                self.push(m, rec.payload);
            }
            C::Alert => {
                // A 2-byte alert is cleartext; anything longer is an encrypted alert.
                let m = self.base(rec.version, rec.content_type, MessageKind::EncryptedAlert, len, true);
                self.push(m, rec.payload);
            }
            C::ApplicationData => {
                let kind = if self.is_tls13() || self.tls.ctx.version.is_none() && !self.tls.server_hello_seen {
                    MessageKind::EncryptedRecord
                } else {
                    MessageKind::ApplicationData
                };
                let m = self.base(rec.version, rec.content_type, kind, len, true);
                self.push(m, rec.payload);
            }
            C::Heartbeat => {
                let m = self.base(rec.version, rec.content_type, MessageKind::Heartbeat, len, encrypted);
                self.push(m, rec.payload);
            }
            C::Tls12Cid | C::ACK | C::Unknown(_) => {
                let kind = MessageKind::UnknownRecord(rec.content_type);
                let m = self.base(rec.version, rec.content_type, kind, len, false);
                self.push(m, rec.payload);
            }
        }
    }

    /// A QUIC packet that stays encrypted, shown as TLS 1.3 shows an encrypted record.
    pub(super) fn sealed(&mut self, length: usize) {
        let m = self.base(0, CONTENT_APPLICATION_DATA, MessageKind::EncryptedRecord, length, true);
        self.push(m, &[]);
    }

    /// Frames handshake messages out of a (cleartext or decrypted) handshake record payload.
    pub(super) fn handshake_records(&mut self, half: &mut HalfStream, version: u16, payload: &[u8], decrypted: bool) {
        half.handshake_version = version;
        // Each message is handled as it is framed, borrowed from the record or the assembler's
        // buffer: no copy per message.
        let result = half.assembler.push(payload, &mut |m| self.handshake(version, m.msg_type, m.raw, decrypted));
        if let Err(e) = result {
            half.assembler.reset();
            self.shared.stats.malformed_messages = self.shared.stats.malformed_messages.saturating_add(1);
            let mut m =
                self.base(version, CONTENT_HANDSHAKE, MessageKind::MalformedHandshake, payload.len(), decrypted);
            m.decrypted = decrypted;
            m.decode_error = Some(e.to_string());
            self.push(m, payload);
        }
    }

    /// A record the key log opened: handled like cleartext of its inner content type.
    pub(super) fn plaintext(
        &mut self,
        half: &mut HalfStream,
        version: u16,
        p: crate::crypto::Plaintext,
        wire_len: usize,
    ) {
        use ContentType as C;
        match ContentType::from(p.content_type) {
            C::Handshake => self.handshake_records(half, version, &p.data, true),
            C::Alert => {
                let mut m = self.base(version, CONTENT_ALERT, MessageKind::Alert, p.data.len(), true);
                m.decrypted = true;
                m.alert = alert_info(&p.data);
                self.push(m, &p.data);
            }
            C::ApplicationData => {
                let mut m =
                    self.base(version, CONTENT_APPLICATION_DATA, MessageKind::ApplicationData, p.data.len(), true);
                m.decrypted = true;
                if let Some(limit) = self.shared.show_data {
                    m.data = Some(preview(&p.data, limit));
                }
                self.push(m, &p.data);
            }
            C::ChangeCipherSpec => {
                half.assembler.reset();
                self.tls.crypto.on_change_cipher_spec(self.sent_by_client());
                let mut m =
                    self.base(version, CONTENT_CHANGE_CIPHER_SPEC, MessageKind::ChangeCipherSpec, p.data.len(), true);
                m.decrypted = true;
                self.push(m, &p.data);
            }
            C::Heartbeat | C::Tls12Cid | C::ACK | C::Unknown(_) => {
                let other = p.content_type;
                let mut m = self.base(version, other, MessageKind::UnknownRecord(other), wire_len, true);
                m.decrypted = true;
                self.push(m, &p.data);
            }
        }
    }

    pub(super) fn handshake(&mut self, record_version: u16, msg_type: u8, raw: &[u8], decrypted: bool) {
        let body = raw.get(4..).unwrap_or(&[]);
        let from_client = self.sent_by_client();
        let kind = HandshakeType::from(msg_type);
        // A ClientHello after a finished handshake starts the next one (renegotiation).
        if kind == HandshakeType::ClientHello && self.tls.story.complete {
            self.tls.handshakes = self.tls.handshakes.saturating_add(1);
            self.tls.story = super::story::Story::new(self.tls.handshakes).with_roles(!self.shared.skip_roles);
            self.tls.story.mark_renegotiation();
            self.tls.crypto.restart_transcript();
        }
        self.tls.ctx.from_server = self.direction == Direction::ServerToClient;
        self.tls.ctx.capture_time = Some(self.pkt.ts);
        let trust = msgs::TrustInputs { store: self.shared.trust.as_deref(), server_ip: Some(self.server_ip) };
        let mut decoded = msgs::decode_handshake_trusting(msg_type, body, &self.tls.ctx, trust);
        if self.tls.quic.is_some()
            && let HandshakeBody::ClientHello { client_hello } = &mut decoded.body
        {
            client_hello.over_quic = true;
        }
        let verdict = self.tls.crypto.on_handshake(&mut self.shared.keys, from_client, msg_type, raw, &decoded.body);
        match kind {
            HandshakeType::Certificate => {
                if self.tls.ocsp_expected && !from_client {
                    // Kept only until the CertificateStatus that judges the leaf by them.
                    self.tls.ctx.server_certificates = Some(Box::new(
                        msgs::certificate::Certificate::der_certificates(body, self.tls.ctx.version)
                            .into_iter()
                            .map(<[u8]>::to_vec)
                            .collect(),
                    ));
                }
                self.save_certificates(body)
            }
            HandshakeType::CertificateStatus => self.tls.ctx.server_certificates = None,
            HandshakeType::Finished => self.tls.crypto.record_verdict(from_client, verdict),
            _ => {}
        }
        let mut kind = MessageKind::from(HandshakeType::from(msg_type));
        match &decoded.body {
            HandshakeBody::ClientHello { client_hello } => {
                if client_hello.offered_versions().is_some_and(|v| v.iter().any(|v| msgs::hello::is_tls13(*v))) {
                    self.tls.client_offered_tls13 = true;
                }
                self.tls.ctx.sni = client_hello.sni.clone();
            }
            HandshakeBody::ServerHello { server_hello } => {
                if server_hello.hello_retry_request {
                    kind = MessageKind::HelloRetryRequest;
                } else {
                    self.tls.server_hello_seen = true;
                    self.tls.ctx.version = Some(server_hello.negotiated_version());
                    self.tls.ocsp_expected = !msgs::hello::is_tls13(server_hello.negotiated_version())
                        && server_hello
                            .extensions
                            .iter()
                            .any(|e| e.extension_type() == msgs::ExtensionType::StatusRequest);
                    self.tls.ctx.cipher_suite = Some(server_hello.cipher_suite);
                }
            }
            HandshakeBody::CertificateRequest { certificate_request } => {
                // The client's chain is judged against the CAs named here (TLS 1.2 list, or
                // TLS 1.3's certificate_authorities extension).
                let from_extension = certificate_request.extensions.iter().flatten().find_map(|e| match &e.body {
                    msgs::extensions::ExtensionBody::CertificateAuthorities { authorities } => Some(authorities),
                    _ => None,
                });
                self.tls.ctx.requested_cas = certificate_request
                    .certificate_authorities
                    .as_ref()
                    .or(from_extension)
                    .map(|cas| Box::new(cas.clone()));
            }
            _ => {}
        }
        if decoded.error.is_some() {
            self.shared.stats.malformed_messages = self.shared.stats.malformed_messages.saturating_add(1);
        }
        let mut m = self.base(record_version, CONTENT_HANDSHAKE, kind, body.len(), decrypted);
        m.decrypted = decrypted;
        m.handshake_type = Some(msg_type);
        m.decode_error = decoded.error;
        m.body = match decoded.body {
            HandshakeBody::Opaque {} => None,
            HandshakeBody::Finished { mut finished } => {
                finished.verified = verdict;
                Some(HandshakeBody::Finished { finished })
            }
            b => Some(b),
        };
        self.push(m, raw);
    }

    /// A handshake message a gap cut short: named, its captured front decoded as far as it goes
    /// (the hellos), marked incomplete.
    pub(super) fn incomplete(&mut self, record_version: u16, partial: &tls::PartialMessage, cut_by: &'static str) {
        let body = partial.body();
        let mut kind = MessageKind::from(HandshakeType::from(partial.msg_type));
        let (decoded, cut_in) = match HandshakeType::from(partial.msg_type) {
            HandshakeType::ClientHello => {
                let (hello, cut_in) = msgs::ClientHello::decode_prefix(body);
                if let Some(h) = &hello {
                    self.tls.ctx.sni = h.sni.clone();
                }
                (hello.map(|h| HandshakeBody::ClientHello { client_hello: Box::new(h) }), Some(cut_in))
            }
            HandshakeType::ServerHello => {
                let (hello, cut_in) = msgs::ServerHello::decode_prefix(body);
                if hello.as_ref().is_some_and(|h| h.hello_retry_request) {
                    kind = MessageKind::HelloRetryRequest;
                }
                (hello.map(|h| HandshakeBody::ServerHello { server_hello: Box::new(h) }), Some(cut_in))
            }
            _ => (None, None),
        };
        let length = partial.length.unwrap_or(body.len());
        let mut m = self.base(record_version, CONTENT_HANDSHAKE, kind, length, false);
        m.handshake_type = Some(partial.msg_type);
        m.incomplete = Some(Incomplete { bytes_captured: body.len(), cut_in, cut_by });
        m.body = decoded;
        self.push(m, body);
    }

    fn save_certificates(&mut self, body: &[u8]) {
        let Some(dir) = self.shared.certs_dir.clone() else { return };
        for der in msgs::certificate::Certificate::der_certificates(body, self.tls.ctx.version) {
            match crate::certs::write_pem(&dir, der) {
                Ok(_) => {
                    self.shared.stats.certificates_written = self.shared.stats.certificates_written.saturating_add(1);
                }
                Err(e) => {
                    if self.shared.certs_error.is_none() {
                        let shown = crate::escape::path(&dir);
                        self.shared.certs_error = Some(format!("cannot write certificates to {shown}: {e}"));
                    }
                }
            }
        }
    }

    pub(super) fn sslv2(&mut self, half: &mut HalfStream, body: &[u8]) {
        let body_bytes = body;
        let (Some(&msg_type), rest) = (body.first(), body.get(1..).unwrap_or(&[])) else { return };
        if half.sslv2_encrypted {
            let m = self.base(0x0002, CONTENT_HANDSHAKE, MessageKind::Sslv2EncryptedRecord, body.len(), true);
            self.push(m, body);
            return;
        }
        let kind = MessageKind::sslv2(msg_type);
        let mut m = self.base(0x0002, CONTENT_HANDSHAKE, kind, rest.len(), false);
        m.handshake_type = Some(msg_type);
        if kind == MessageKind::ClientHello {
            match msgs::ClientHello::decode_sslv2(rest) {
                Ok(client_hello) => {
                    let body = HandshakeBody::ClientHello { client_hello: Box::new(client_hello) };
                    // Its bytes from the message type on are the first of the TLS transcript, its
                    // challenge the client random (RFC 5246 E.2): decryption starts here too.
                    self.tls.crypto.on_handshake(&mut self.shared.keys, true, msg_type, body_bytes, &body);
                    m.body = Some(body);
                }
                Err(e) => {
                    self.shared.stats.malformed_messages = self.shared.stats.malformed_messages.saturating_add(1);
                    m.decode_error = Some(e.to_string());
                }
            }
        }
        // After CLIENT-MASTER-KEY (client) and SERVER-HELLO (server), SSLv2 records are encrypted.
        if matches!(kind, MessageKind::Sslv2ClientMasterKey | MessageKind::Sslv2ServerHello) {
            half.sslv2_encrypted = true;
        }
        self.push(m, body);
    }
}

/// Application data for `--show-data`: printable ASCII as is, the rest escaped, cut at `limit`.
fn preview(data: &[u8], limit: usize) -> String {
    let mut out = String::new();
    for &b in data.iter().take(limit) {
        match b {
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    if data.len() > limit {
        out.push_str("...");
    }
    out
}

fn alert_info(payload: &[u8]) -> Option<AlertInfo> {
    let (&level, &description) = (payload.first()?, payload.get(1)?);
    Some(AlertInfo {
        level,
        level_name: crate::msgs::names::alert_level_name(level),
        description,
        description_name: crate::msgs::names::alert_description_name(description),
    })
}
