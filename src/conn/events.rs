//! The events a run produces, in order. Their JSON form (one object per line, `"event"` first)
//! is a contract with users' scripts: keys are only ever added, never renamed.

use crate::msgs::HandshakeBody;
use crate::msgs::names::Name;
use crate::time::Timestamp;
use serde::Serialize;
use std::net::SocketAddr;

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Connection(ConnectionEvent),
    Message(Box<MessageEvent>),
    Gap(GapEvent),
    Handshake(Box<HandshakeEvent>),
    End(EndEvent),
    Evicted(Box<EvictedEvent>),
    Summary(Box<SummaryEvent>),
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Endpoint {
    pub ip: std::net::IpAddr,
    pub port: u16,
}

impl From<SocketAddr> for Endpoint {
    fn from(a: SocketAddr) -> Self {
        Endpoint { ip: a.ip(), port: a.port() }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    ClientToServer,
    ServerToClient,
}

/// How the client was told from the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleEvidence {
    /// The SYN sender is the client.
    Syn,
    /// The sender of the ClientHello (or the receiver of the ServerHello).
    Hello,
    /// Neither was captured: the well-known or lower port is the server's.
    Port,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConnectionEvent {
    pub conn: u64,
    pub client: Endpoint,
    pub server: Endpoint,
    pub time: Timestamp,
    pub frame: u64,
    /// Whether the capture saw the TCP handshake.
    pub syn_seen: bool,
    pub roles_from: RoleEvidence,
    /// False for a flow reported because a gap hid its start before TLS could be recognised
    /// in it (its bytes may or may not have been TLS).
    pub tls_seen: bool,
    /// `"quic"` for a QUIC connection; absent for TCP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport: Option<&'static str>,
    /// A QUIC connection's version and connection ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quic: Option<Box<QuicConnection>>,
}

/// What the first Initial packet of a QUIC connection tells.
#[derive(Clone, Debug, Serialize)]
pub struct QuicConnection {
    pub version: u32,
    pub version_name: &'static str,
    /// The client's first Destination Connection ID (hex): the Initial keys' input.
    pub original_destination_connection_id: String,
    pub client_connection_id: String,
}

/// A record number a DTLS 1.3 ACK acknowledges (RFC 9147 section 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AckedRecord {
    pub epoch: u64,
    pub sequence_number: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct AlertInfo {
    pub level: u8,
    pub level_name: Name,
    pub description: u8,
    pub description_name: Name,
}

/// Serialized by hand (below) to write the body's keys at the top level without
/// `#[serde(flatten)]`; the JSON keys are those of the fields, in order, then the body's.
#[derive(Clone, Debug)]
pub struct MessageEvent {
    pub conn: u64,
    pub index: u64,
    pub direction: Direction,
    pub time: Timestamp,
    pub frame: u64,
    pub record_version: u16,
    pub content_type: &'static str,
    pub name: Name,
    /// What the message is, to dispatch on (`name` is its display form). Not serialized.
    pub kind: crate::msgs::MessageKind,
    pub handshake_type: Option<u8>,
    pub length: usize,
    pub encrypted: bool,
    /// Decrypted with the key log.
    pub decrypted: bool,
    /// Decrypted application data, shown only with `--show-data` (up to its byte limit).
    pub data: Option<String>,
    /// Handshake phase: 1 negotiate, 2 server auth and key exchange, 3 client key exchange and
    /// auth, 4 ChangeCipherSpec and Finished; 0 after the handshake.
    pub phase: u8,
    /// What this message does in this handshake, with its real values.
    pub role: String,
    pub alert: Option<AlertInfo>,
    /// A DTLS 1.3 ACK's record numbers.
    pub ack: Option<Vec<AckedRecord>>,
    pub decode_error: Option<String>,
    /// Set when a gap cut the message short: what of it was captured.
    pub incomplete: Option<Incomplete>,
    /// JA3/JA4 of a ClientHello, JA3S of a ServerHello. Left empty by the connection layer and
    /// filled by [`MessageEvent::add_fingerprints`] where the output needs them.
    pub fingerprints: Option<Box<HelloFingerprints>>,
    pub body: Option<HandshakeBody>,
    /// The message's bytes as captured (a handshake message with its 4-byte header, else the
    /// record's payload, decrypted when it was), for a hex view: only when the connection layer
    /// is asked to keep them (`Shared::keep_bytes`). Not serialized.
    pub raw: Option<Box<[u8]>>,
}

impl Serialize for MessageEvent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("MessageEvent", 14)?;
        m.serialize_field("conn", &self.conn)?;
        m.serialize_field("index", &self.index)?;
        m.serialize_field("direction", &self.direction)?;
        m.serialize_field("time", &self.time)?;
        m.serialize_field("frame", &self.frame)?;
        m.serialize_field("record_version", &self.record_version)?;
        m.serialize_field("content_type", &crate::msgs::names::Name::Borrowed(self.content_type))?;
        m.serialize_field("name", &self.name)?;
        if let Some(handshake_type) = &self.handshake_type {
            m.serialize_field("handshake_type", handshake_type)?;
        }
        m.serialize_field("length", &self.length)?;
        m.serialize_field("encrypted", &self.encrypted)?;
        m.serialize_field("decrypted", &self.decrypted)?;
        if let Some(data) = &self.data {
            m.serialize_field("data", data)?;
        }
        m.serialize_field("phase", &self.phase)?;
        m.serialize_field("role", &self.role)?;
        if let Some(alert) = &self.alert {
            m.serialize_field("alert", alert)?;
        }
        if let Some(ack) = &self.ack {
            m.serialize_field("ack", ack)?;
        }
        if let Some(decode_error) = &self.decode_error {
            m.serialize_field("decode_error", decode_error)?;
        }
        if let Some(incomplete) = &self.incomplete {
            m.serialize_field("incomplete", incomplete)?;
        }
        if let Some(fingerprints) = &self.fingerprints {
            m.serialize_field("fingerprints", fingerprints)?;
        }
        if let Some(body) = &self.body {
            body.serialize_fields(&mut m)?;
        }
        m.end()
    }
}

impl MessageEvent {
    /// Computes the hello fingerprints. Done by the consumer of the events, and only when its
    /// output shows or filters on them: on a large capture they cost as much as decoding the
    /// hello, and the default text view does not show them.
    pub fn add_fingerprints(&mut self) {
        // A hello cut by a gap would fingerprint as a different client.
        if self.fingerprints.is_some() || self.incomplete.is_some() {
            return;
        }
        self.fingerprints = match &self.body {
            Some(HandshakeBody::ClientHello { client_hello }) => {
                Some(Box::new(HelloFingerprints::Client(crate::fingerprint::client(client_hello))))
            }
            Some(HandshakeBody::ServerHello { server_hello }) if !server_hello.hello_retry_request => {
                Some(Box::new(HelloFingerprints::Server(crate::fingerprint::server(server_hello))))
            }
            _ => None,
        };
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum HelloFingerprints {
    /// Shared with the fingerprint memo (`fingerprint::client`): hellos of the same shape
    /// have the same strings.
    Client(std::sync::Arc<crate::fingerprint::Fingerprints>),
    Server(std::sync::Arc<crate::fingerprint::ServerFingerprints>),
}

/// What of a message cut short by a gap was captured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Incomplete {
    /// Body bytes captured (the body's announced length is the message's `length`).
    pub bytes_captured: usize,
    /// The field the gap fell in, for the messages decoded from their front (the hellos).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut_in: Option<&'static str>,
    /// What cut it: `"gap"` (bytes that will never come) or `"end"` (the connection or the
    /// capture ended in the middle of it).
    pub cut_by: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct GapEvent {
    pub conn: u64,
    pub direction: Direction,
    pub time: Timestamp,
    pub frame: u64,
    pub bytes: u64,
    /// Stream offset of the first missing byte in this direction (0 is the first byte after
    /// the SYN, or the first byte captured when the capture began mid-connection).
    pub offset: u64,
    /// "capture_loss", "snaplen", "buffer_limit" or "evicted" (the last two: dropped by tlstrace).
    pub cause: &'static str,
    /// Holes this event stands for when many were merged (more than a flow keeps apart).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holes: Option<u64>,
}

/// A flow removed before it was known to carry TLS: nothing else is reported for it.
#[derive(Clone, Debug, Serialize)]
pub struct EvictedEvent {
    /// The SYN sender, else the sender of the first packet seen.
    pub initiator: Endpoint,
    pub responder: Endpoint,
    /// First packet of the flow.
    pub first_time: Timestamp,
    pub time: Timestamp,
    pub frame: u64,
    pub syn_seen: bool,
    pub bytes_initiator_to_responder: u64,
    pub bytes_responder_to_initiator: u64,
    /// Why it was removed: "flow_table_full".
    pub cause: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct EndEvent {
    pub conn: u64,
    pub time: Timestamp,
    /// "fin", "rst", "timeout", "evicted" or "capture_end".
    pub reason: &'static str,
    pub messages: u64,
    pub bytes_client_to_server: u64,
    pub bytes_server_to_client: u64,
    /// QUIC: what the transport showed after the handshake event (HANDSHAKE_DONE,
    /// CONNECTION_CLOSE), in order; absent when nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quic_notes: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LinkTypeCount {
    pub linktype: u32,
    pub packets: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SummaryEvent {
    pub packets: u64,
    pub bytes: u64,
    /// TCP, QUIC and DTLS connections seen (QUIC's also in `quic`, DTLS's in
    /// `dtls_connections`).
    pub connections: u64,
    /// Of `connections`, the DTLS ones.
    #[serde(skip_serializing_if = "is_zero_count")]
    pub dtls_connections: u64,
    pub tls_connections: u64,
    /// Flows reported because a gap hid their start before TLS could be recognised in them
    /// (`connection` events with `tls_seen` false), not counted in `tls_connections`.
    pub unconfirmed_connections: u64,
    pub messages: u64,
    pub gaps: u64,
    pub gap_bytes: u64,
    pub malformed_packets: u64,
    pub non_tcp_packets: u64,
    pub skipped_link_types: Vec<LinkTypeCount>,
    /// Records or handshake messages that could not be framed or decoded.
    pub malformed_messages: u64,
    pub evicted_connections: u64,
    /// Flows evicted before TLS was seen in them (each has an `evicted` event, up to 10,000).
    pub evicted_flows: u64,
    /// Of those, the ones evicted after the first 10,000: counted here, without an event.
    pub evicted_flows_unlisted: u64,
    /// Of `gap_bytes`, those dropped by tlstrace itself (buffer limit, eviction), by cause.
    pub gap_bytes_by_cause: std::collections::BTreeMap<&'static str, u64>,
    /// `--memory-limit` in bytes.
    pub memory_limit: u64,
    /// State evicted to stay within the memory limit, per part.
    pub evictions: crate::budget::Evictions,
    /// Handshakes by version, cipher suite, kind and failure reason.
    pub handshakes: crate::conn::HandshakeTally,
    /// `--certs DIR`: certificates written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificates_written: Option<u64>,
    /// `--certs DIR`: the first error writing a certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_error: Option<String>,
    /// With a key log: what was decrypted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decryption: Option<crate::conn::decrypt::DecryptStats>,
    /// With a key log: its lines read, kept and dropped, and the connections that lost their
    /// secrets to its memory limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_log: Option<crate::conn::decrypt::KeyLogSummary>,
    /// `--rsa-key`: each key file and the connections whose premaster it opened (0: it matched
    /// no server certificate seen).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rsa_keys: Option<Vec<RsaKeyUse>>,
    /// Set when the capture ended early (truncated or corrupt file): what went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_error: Option<String>,
    /// Live capture only: the capture socket's kernel counters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<KernelCounters>,
    /// QUIC connections and packets, when the run had any (`connections` counts them too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quic: Option<crate::quic::QuicStats>,
    /// DTLS datagrams, records and connections, when the run had any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dtls: Option<crate::dtls::DtlsStats>,
}

fn is_zero_count(n: &u64) -> bool {
    *n == 0
}

/// One `--rsa-key` in the run summary.
#[derive(Clone, Debug, Serialize)]
pub struct RsaKeyUse {
    pub file: String,
    pub bits: usize,
    /// Connections whose premaster this key opened.
    pub connections: u64,
}

/// Kernel packet counters of a live capture (`PACKET_STATISTICS`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KernelCounters {
    /// Frames that passed the capture filter, dropped ones included.
    pub packets_received: u64,
    /// Frames dropped because the capture could not keep up.
    pub packets_dropped: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct HandshakeAlert {
    /// "client" or "server".
    pub from: &'static str,
    pub level: u8,
    pub description: u8,
    pub description_name: Name,
    pub phase: u8,
}

/// Seconds since the first ClientHello.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Timings {
    pub server_hello: Option<f64>,
    /// The server's last handshake flight (ServerHelloDone, or its encrypted flight in TLS 1.3).
    pub server_flight_end: Option<f64>,
    pub last_finished: Option<f64>,
    pub first_application_data: Option<f64>,
}

/// The story of one handshake (a connection may have several: renegotiation).
#[derive(Clone, Debug, Serialize)]
pub struct HandshakeEvent {
    pub conn: u64,
    /// 1 for the first handshake of the connection, 2+ for renegotiations.
    pub handshake: u32,
    pub time: Timestamp,
    pub version: Option<u16>,
    pub version_name: Option<Name>,
    pub cipher_suite: Option<u16>,
    pub cipher_suite_name: Option<Name>,
    /// Key exchange group name (e.g. "x25519").
    pub group: Option<Name>,
    pub signature_scheme: Option<Name>,
    pub sni: Option<String>,
    pub alpn: Option<String>,
    pub certificate_subject: Option<String>,
    /// "full", "resumed_session_id", "resumed_ticket" or "resumed_psk".
    pub kind: &'static str,
    pub hello_retry_request: bool,
    /// "none", "offered", "accepted" or "rejected".
    pub early_data: &'static str,
    /// "none", "requested" or "sent".
    pub client_certificate: &'static str,
    pub renegotiation: bool,
    pub complete: bool,
    pub failure: Option<String>,
    /// The handshake message a gap hid or cut short ("ClientHello", "Certificate", ...).
    pub missing_message: Option<Name>,
    pub alerts: Vec<HandshakeAlert>,
    /// First ClientHello to last Finished, seconds.
    pub duration: Option<f64>,
    pub timings: Timings,
    pub warnings: Vec<String>,
    /// Whether the server's chain is trusted at the capture's time (see the Certificate
    /// message's `chain`); null when no chain was seen.
    pub trust: Option<std::sync::Arc<crate::certs::ChainTrust>>,
    /// Both Finished verified: true; one failed: false; keys missing: null.
    pub finished_verified: Option<bool>,
    /// What the key log allowed to decrypt, and why not.
    pub decryption: crate::conn::decrypt::DecryptionReport,
    /// How the keys were made: where the premaster or the secrets came from, the randoms, the
    /// PRF and label, and whether the Finished checks proved them (with a key log or
    /// `--rsa-key`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_derivation: Option<Box<crate::conn::decrypt::KeyDerivation>>,
    /// The secrets used, as NSS key log lines, for `--write-keylog` (never serialized).
    #[serde(skip)]
    pub keylog_lines: Vec<String>,
    /// DTLS only: retransmissions, fragments and the cookie exchange.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dtls: Option<Box<DtlsHandshake>>,
    /// QUIC only: the connection id the server chose and, when the client sent 0-RTT packets,
    /// how many and what the opened ones carried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quic: Option<Box<QuicHandshake>>,
}

/// What a QUIC handshake's transport carried beside the TLS messages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QuicHandshake {
    /// The Source Connection ID of the server's first packet (hex): where the client's packets
    /// go after it. None when no packet of the server was seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_connection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zero_rtt: Option<QuicZeroRtt>,
}

/// The client's 0-RTT packets: seen, opened with the key log's early traffic secret, and the
/// STREAM frames (application data) in the opened ones.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QuicZeroRtt {
    pub packets: u64,
    pub packets_opened: u64,
    pub stream_frames: u64,
    pub stream_bytes: u64,
}

/// What a DTLS handshake's transport did: flights resent, messages fragmented, a cookie asked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DtlsHandshake {
    /// Handshake messages and ChangeCipherSpecs seen again (a retransmitted flight): counted
    /// here, not shown as messages.
    pub retransmitted_messages: u64,
    /// Messages that came in more than one fragment, and how many fragments those were.
    pub fragmented_messages: u64,
    pub fragments: u64,
    /// The server asked for a cookie (HelloVerifyRequest).
    pub hello_verify_request: bool,
    /// Messages never completed while later ones were (lost for good).
    pub messages_lost: u64,
    /// Fragments refused: over the connection's reassembly cap (`--memory-limit`), or
    /// conflicting with the message they claim to be part of (another type or length).
    pub refused_fragments: u64,
    /// DTLS 1.3 records with the unified header (encrypted: epoch 1 and later).
    pub unified_records: u64,
    /// Of those, the ones the key log opened.
    pub unified_records_decrypted: u64,
    /// The connection IDs in the unified headers of each side's records (hex), when used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_to_server_connection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_to_client_connection_id: Option<String>,
    /// No hello opened the connection: the capture began in the middle of it.
    pub caught_midway: bool,
}
