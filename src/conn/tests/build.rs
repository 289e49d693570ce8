//! Hand-built TLS bytes and a connection fed with them through stream events, for the state
//! machine's tests: no capture needed.

use crate::conn::events::{Direction, Event, HandshakeEvent, MessageEvent};
use crate::conn::input::{EndReason, GapCause, Side, StreamEvent};
use crate::conn::{ConnTracker, PacketContext};
use crate::time::Timestamp;
use std::net::SocketAddr;

pub const CLIENT: Side = Side::Initiator;
pub const SERVER: Side = Side::Responder;

pub const TLS13: u16 = 0x0304;
pub const X25519: u16 = 0x001d;
pub const SECP256R1: u16 = 0x0017;
pub const TLS_AES_128_GCM_SHA256: u16 = 0x1301;
pub const TLS_RSA_WITH_AES_128_CBC_SHA: u16 = 0x002f;
pub const TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: u16 = 0xc02f;

/// The ServerHello random that makes it a HelloRetryRequest (RFC 8446 section 4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11,
    0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

fn u16b(n: usize) -> [u8; 2] {
    u16::try_from(n).unwrap().to_be_bytes()
}

fn u24b(n: usize) -> [u8; 3] {
    let [_, a, b, c] = u32::try_from(n).unwrap().to_be_bytes();
    [a, b, c]
}

/// A handshake message: type, 24-bit length, body.
pub fn msg(msg_type: u8, body: &[u8]) -> Vec<u8> {
    [&[msg_type][..], &u24b(body.len()), body].concat()
}

pub fn record(content_type: u8, payload: &[u8]) -> Vec<u8> {
    [&[content_type, 3, 3][..], &u16b(payload.len()), payload].concat()
}

/// A handshake record holding the given messages.
pub fn handshake(messages: &[Vec<u8>]) -> Vec<u8> {
    record(22, &messages.concat())
}

pub fn ccs() -> Vec<u8> {
    record(20, &[1])
}

pub fn alert(level: u8, description: u8) -> Vec<u8> {
    record(21, &[level, description])
}

/// An application_data record of `len` opaque bytes.
pub fn app_data(len: usize) -> Vec<u8> {
    record(23, &vec![0x5a; len])
}

/// A handshake record of opaque bytes (a Finished under the new keys, TLS <= 1.2).
pub fn encrypted_handshake(len: usize) -> Vec<u8> {
    record(22, &vec![0xa5; len])
}

pub fn ext(typ: u16, data: &[u8]) -> (u16, Vec<u8>) {
    (typ, data.to_vec())
}

fn extensions(list: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let block: Vec<u8> = list.iter().flat_map(|(t, d)| [&t.to_be_bytes()[..], &u16b(d.len()), d].concat()).collect();
    [&u16b(block.len())[..], &block].concat()
}

pub fn sni(host: &str) -> (u16, Vec<u8>) {
    let entry = [&[0][..], &u16b(host.len()), host.as_bytes()].concat();
    ext(0, &[&u16b(entry.len())[..], &entry].concat())
}

pub fn supported_groups(groups: &[u16]) -> (u16, Vec<u8>) {
    let list: Vec<u8> = groups.iter().flat_map(|g| g.to_be_bytes()).collect();
    ext(10, &[&u16b(list.len())[..], &list].concat())
}

pub fn client_versions(versions: &[u16]) -> (u16, Vec<u8>) {
    let list: Vec<u8> = versions.iter().flat_map(|v| v.to_be_bytes()).collect();
    ext(43, &[&[u8::try_from(list.len()).unwrap()][..], &list].concat())
}

pub fn server_version(v: u16) -> (u16, Vec<u8>) {
    ext(43, &v.to_be_bytes())
}

pub fn client_key_share(group: u16) -> (u16, Vec<u8>) {
    let entry = [&group.to_be_bytes()[..], &u16b(32), &[7; 32]].concat();
    ext(51, &[&u16b(entry.len())[..], &entry].concat())
}

pub fn server_key_share(group: u16) -> (u16, Vec<u8>) {
    ext(51, &[&group.to_be_bytes()[..], &u16b(32), &[8; 32]].concat())
}

/// A HelloRetryRequest's key_share: the group the server wants.
pub fn retry_key_share(group: u16) -> (u16, Vec<u8>) {
    ext(51, &group.to_be_bytes())
}

/// A ClientHello's pre_shared_key: one identity, one binder.
pub fn client_psk() -> (u16, Vec<u8>) {
    let identity = [&u16b(4)[..], &[1, 2, 3, 4], &[0, 0, 0, 9]].concat();
    let binder = [&[32][..], &[3; 32]].concat();
    ext(41, &[&u16b(identity.len())[..], &identity, &u16b(binder.len()), &binder].concat())
}

pub fn psk_modes() -> (u16, Vec<u8>) {
    ext(45, &[1, 1])
}

/// A ServerHello's pre_shared_key: the identity it selects.
pub fn server_psk() -> (u16, Vec<u8>) {
    ext(41, &[0, 0])
}

pub fn early_data() -> (u16, Vec<u8>) {
    ext(42, &[])
}

pub fn session_ticket(ticket: &[u8]) -> (u16, Vec<u8>) {
    ext(35, ticket)
}

pub fn client_hello(session_id: &[u8], suites: &[u16], exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let suites: Vec<u8> = suites.iter().flat_map(|s| s.to_be_bytes()).collect();
    let body = [
        &[3, 3][..],
        &[0x11; 32],
        &[u8::try_from(session_id.len()).unwrap()],
        session_id,
        &u16b(suites.len()),
        &suites,
        &[1, 0],
        &extensions(exts),
    ]
    .concat();
    msg(1, &body)
}

fn hello_from_server(random: &[u8; 32], session_id: &[u8], suite: u16, exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let body = [
        &[3, 3][..],
        random,
        &[u8::try_from(session_id.len()).unwrap()],
        session_id,
        &suite.to_be_bytes(),
        &[0],
        &extensions(exts),
    ]
    .concat();
    msg(2, &body)
}

pub fn server_hello(session_id: &[u8], suite: u16, exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
    hello_from_server(&[0x22; 32], session_id, suite, exts)
}

pub fn hello_retry_request(suite: u16, exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
    hello_from_server(&HRR_RANDOM, &[], suite, exts)
}

/// A TLS 1.2 Certificate message with `count` certificates (opaque bytes, not X.509).
pub fn certificate(count: usize) -> Vec<u8> {
    let entry = [&u24b(16)[..], &[0x30; 16]].concat();
    let list = entry.repeat(count);
    msg(11, &[&u24b(list.len())[..], &list].concat())
}

/// An ECDHE ServerKeyExchange on `group`, signed with rsa_pkcs1_sha256.
pub fn ecdhe_server_key_exchange(group: u16) -> Vec<u8> {
    let body = [&[3][..], &group.to_be_bytes(), &[32], &[9; 32], &[4, 1], &u16b(64), &[1; 64]].concat();
    msg(12, &body)
}

pub fn certificate_request() -> Vec<u8> {
    msg(13, &[&[1, 1][..], &u16b(2), &[4, 1], &u16b(0)].concat())
}

pub fn server_hello_done() -> Vec<u8> {
    msg(14, &[])
}

pub fn rsa_client_key_exchange() -> Vec<u8> {
    msg(16, &[&u16b(48)[..], &[6; 48]].concat())
}

pub fn ecdhe_client_key_exchange() -> Vec<u8> {
    msg(16, &[&[32][..], &[6; 32]].concat())
}

pub fn certificate_verify() -> Vec<u8> {
    msg(15, &[&[4, 1][..], &u16b(64), &[2; 64]].concat())
}

/// A TLS <= 1.2 NewSessionTicket: lifetime hint, ticket.
pub fn new_session_ticket(lifetime: u32) -> Vec<u8> {
    msg(4, &[&lifetime.to_be_bytes()[..], &u16b(8), &[4; 8]].concat())
}

/// One TCP connection (client 10.0.0.1:40000, server 10.0.0.2:443, its SYN seen) fed to a
/// connection tracker.
pub struct Conn {
    pub tracker: ConnTracker,
    frame: u64,
}

impl Conn {
    pub fn new() -> Self {
        Self::with_roles(true)
    }

    pub fn with_roles(roles: bool) -> Self {
        let mut tracker = ConnTracker::new();
        tracker.shared.skip_roles = !roles;
        let mut conn = Conn { tracker, frame: 0 };
        let (initiator, responder) =
            (SocketAddr::from(([10, 0, 0, 1], 40_000)), SocketAddr::from(([10, 0, 0, 2], 443)));
        conn.feed(StreamEvent::Opened { stream: 1, initiator, responder, start_seen: true, quic: None });
        conn
    }

    fn feed(&mut self, ev: StreamEvent<'_>) {
        self.frame += 1;
        let nanos = u32::try_from(self.frame * 1_000_000).unwrap();
        let pkt = PacketContext { ts: Timestamp::new(1_700_000_000, nanos, 6), frame: self.frame };
        self.tracker.on_stream_event(ev, pkt);
    }

    pub fn send(&mut self, from: Side, records: &[Vec<u8>]) -> &mut Self {
        let bytes = records.concat();
        self.feed(StreamEvent::Data { stream: 1, from, bytes: &bytes });
        self
    }

    pub fn client(&mut self, records: &[Vec<u8>]) -> &mut Self {
        self.send(CLIENT, records)
    }

    pub fn server(&mut self, records: &[Vec<u8>]) -> &mut Self {
        self.send(SERVER, records)
    }

    pub fn gap(&mut self, from: Side, offset: u64, bytes: u64, cause: GapCause) -> &mut Self {
        self.feed(StreamEvent::Gap { stream: 1, from, offset, bytes, cause });
        self
    }

    pub fn close(&mut self, reason: EndReason) -> &mut Self {
        self.feed(StreamEvent::Closed { stream: 1, reason });
        self
    }

    pub fn messages(&self) -> Vec<&MessageEvent> {
        let events = self.tracker.shared.events.iter();
        events.filter_map(|e| if let Event::Message(m) = e { Some(&**m) } else { None }).collect()
    }

    /// Each message's name and phase, in order.
    pub fn phases(&self) -> Vec<(String, u8)> {
        self.messages().iter().map(|m| (m.name.to_string(), m.phase)).collect()
    }

    pub fn handshakes(&self) -> Vec<&HandshakeEvent> {
        let events = self.tracker.shared.events.iter();
        events.filter_map(|e| if let Event::Handshake(h) = e { Some(&**h) } else { None }).collect()
    }

    /// The one handshake event written.
    pub fn handshake(&self) -> &HandshakeEvent {
        let all = self.handshakes();
        assert_eq!(all.len(), 1, "handshake events");
        all[0]
    }

    /// The role sentence of the first message named `name`.
    pub fn role(&self, name: &str) -> String {
        self.messages().iter().find(|m| m.name == name).map(|m| m.role.clone()).unwrap_or_default()
    }
}

/// The phases a list of (name, phase) pairs expects, as owned strings.
pub fn expect(pairs: &[(&str, u8)]) -> Vec<(String, u8)> {
    pairs.iter().map(|(n, p)| (n.to_string(), *p)).collect()
}

/// A message event built by hand for the story alone: no body.
pub fn bare(name: &'static str, from_client: bool) -> MessageEvent {
    MessageEvent {
        conn: 1,
        index: 1,
        direction: if from_client { Direction::ClientToServer } else { Direction::ServerToClient },
        time: Timestamp::new(1_700_000_000, 0, 6),
        frame: 1,
        record_version: 0x0303,
        content_type: "handshake",
        kind: crate::msgs::MessageKind::from_name(name),
        name: name.into(),
        handshake_type: None,
        length: 40,
        encrypted: false,
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
    }
}

/// A handshake message event with its body decoded from `raw` (type, length, body), as the
/// connection layer builds it from a decrypted record.
pub fn decoded(raw: &[u8], from_client: bool, ctx: &crate::msgs::DecodeContext) -> MessageEvent {
    let msg_type = raw[0];
    let mut ctx = ctx.clone();
    ctx.from_server = !from_client;
    let decoded = crate::msgs::decode_handshake(msg_type, &raw[4..], &ctx);
    assert_eq!(decoded.error, None, "message type {msg_type}");
    let mut m = bare("", from_client);
    m.name = crate::msgs::handshake_name(msg_type);
    if let crate::msgs::HandshakeBody::ServerHello { server_hello } = &decoded.body
        && server_hello.hello_retry_request
    {
        m.name = "HelloRetryRequest".into();
    }
    m.kind = crate::msgs::MessageKind::from_name(&m.name);
    m.handshake_type = Some(msg_type);
    m.decrypted = true;
    m.body = Some(decoded.body);
    m
}
