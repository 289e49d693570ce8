//! The events a run produces, in order. Their JSON form (one object per line, `"event"` first)
//! is a contract with users' scripts: keys are only ever added, never renamed.

use crate::msgs::HandshakeBody;
use crate::time::Timestamp;
use serde::Serialize;
use std::net::SocketAddr;

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Connection(ConnectionEvent),
    Message(Box<MessageEvent>),
    Gap(GapEvent),
    End(EndEvent),
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
}

#[derive(Clone, Debug, Serialize)]
pub struct AlertInfo {
    pub level: u8,
    pub level_name: String,
    pub description: u8,
    pub description_name: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct MessageEvent {
    pub conn: u64,
    pub index: u64,
    pub direction: Direction,
    pub time: Timestamp,
    pub frame: u64,
    pub record_version: u16,
    pub content_type: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handshake_type: Option<u8>,
    pub length: usize,
    pub encrypted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alert: Option<AlertInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decode_error: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub body: Option<HandshakeBody>,
}

#[derive(Clone, Debug, Serialize)]
pub struct GapEvent {
    pub conn: u64,
    pub direction: Direction,
    pub time: Timestamp,
    pub frame: u64,
    pub bytes: u64,
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
    /// TCP connections seen.
    pub connections: u64,
    pub tls_connections: u64,
    pub messages: u64,
    pub gaps: u64,
    pub gap_bytes: u64,
    pub malformed_packets: u64,
    pub non_tcp_packets: u64,
    pub skipped_link_types: Vec<LinkTypeCount>,
    /// Records or handshake messages that could not be framed or decoded.
    pub malformed_messages: u64,
    pub evicted_connections: u64,
    /// Set when the capture ended early (truncated or corrupt file): what went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_error: Option<String>,
}
