//! The QUIC layer (`quic::QuicTable`) over arbitrary UDP datagrams on four client ports: raw
//! bytes, and Initial packets the target protects itself with each version's Initial keys (so
//! the fuzzer's frames reach the frame parser and CRYPTO reassembly past the AEAD), alone or
//! coalesced with raw bytes. Small limits, so eviction, expiry and the CRYPTO cap are reached.
//!
//! Input: repeated ops `[op: 1][time step: 1]`, then by `op % 4`: 0 a raw datagram
//! `[length: 2][bytes]`; 1 and 2 an Initial `[version: 1][packet number: 2][length: 2][frames]`
//! (1 coalesced with raw bytes after it `[length: 1][bytes]`); 3 a CRYPTO frame in an Initial
//! `[version: 1][packet number: 2][offset: 2][length: 2][bytes]`. Bit 0x80 of `op` sends from
//! the server, bits 0x0c pick the client port (and its Destination Connection ID).
#![no_main]

#[path = "common.rs"]
mod common;

use common::Cursor;
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use std::net::SocketAddr;
use tlstrace::net::UdpDatagram;
use tlstrace::quic::packet::{PacketKeys, VERSION_1, VERSION_2};
use tlstrace::quic::{QuicConfig, QuicEvent, QuicTable};
use tlstrace::time::Timestamp;

const CFG: QuicConfig = QuicConfig {
    max_connections: 3,
    idle_timeout_secs: 20,
    max_crypto_bytes: 4000,
    max_held_bytes: 3000,
    max_held_total: 5000,
};
/// v1, v2, draft 29, and a version without Initial keys.
const VERSIONS: [u32; 4] = [VERSION_1, VERSION_2, 0xff00_001d, 0x1a2a_3a4a];

#[derive(Default)]
struct ConnCheck {
    closed: bool,
}

/// A protected Initial as a sender builds one (RFC 9001 5.3, 5.4), 2-byte packet number.
fn seal_initial(version: u32, keys: &PacketKeys, dcid: &[u8], scid: &[u8], pn: u16, payload: &[u8]) -> Option<Vec<u8>> {
    let first = if version == VERSION_2 { 0xd1 } else { 0xc1 };
    let mut header = vec![first];
    header.extend_from_slice(&version.to_be_bytes());
    header.push(dcid.len() as u8);
    header.extend_from_slice(dcid);
    header.push(scid.len() as u8);
    header.extend_from_slice(scid);
    header.push(0); // no token
    // The sample needs 4 bytes past the packet number's start plus 16: pad short payloads.
    let mut payload = payload.to_vec();
    payload.resize(payload.len().max(20), 0);
    let len = 2 + payload.len() + 16;
    header.extend_from_slice(&(0x4000u16 | (len as u16 & 0x3fff)).to_be_bytes());
    let pn_offset = header.len();
    header.extend_from_slice(&pn.to_be_bytes());
    let sealed = keys.seal(u64::from(pn), &header, &payload)?;
    let mut packet = header;
    packet.extend_from_slice(&sealed);
    let mask = keys.mask(packet.get(pn_offset + 4..pn_offset + 20)?)?;
    packet[0] ^= mask[0] & 0x0f;
    packet[pn_offset] ^= mask[1];
    packet[pn_offset + 1] ^= mask[2];
    Some(packet)
}

fn crypto_frame(offset: u16, data: &[u8]) -> Vec<u8> {
    let mut f = vec![0x06];
    f.extend_from_slice(&(0x4000 | (offset & 0x3fff)).to_be_bytes());
    f.extend_from_slice(&(0x4000 | (data.len() as u16 & 0x3fff)).to_be_bytes());
    f.extend_from_slice(data);
    f
}

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    let server = SocketAddr::from(([10, 0, 0, 2], 443));
    let client = |port: usize| SocketAddr::from(([10, 0, 0, 1], 50000 + port as u16));
    let dcid = |port: usize| [0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, port as u8];
    let scid = |from_server: bool| if from_server { vec![0xf0, 0x67, 0xa5, 0x50] } else { vec![0xc1; 8] };

    let mut table = QuicTable::new(CFG.clone());
    let mut checks: HashMap<u64, ConnCheck> = HashMap::new();
    let mut on_event = |ev: QuicEvent<'_>| match ev {
        QuicEvent::Opened { stream, .. } => {
            assert!(checks.insert(stream, ConnCheck::default()).is_none(), "connection {stream} opened twice");
        }
        QuicEvent::Closed { stream, .. } => {
            let c = checks.get_mut(&stream).expect("closed before opened");
            assert!(!c.closed, "connection {stream} closed twice");
            c.closed = true;
        }
        QuicEvent::Crypto { stream, .. }
        | QuicEvent::Sealed { stream, .. }
        | QuicEvent::Note { stream, .. }
        | QuicEvent::EarlyData { stream, .. }
        | QuicEvent::GaveUpWaiting { stream, .. }
        | QuicEvent::ServerConnectionId { stream, .. } => {
            let c = checks.get(&stream).expect("event before opened");
            assert!(!c.closed, "event for connection {stream} after it closed");
        }
    };

    let mut secs = 1_700_000_000i64;
    while !input.is_empty() {
        let op = input.u8();
        secs += i64::from(input.u8() % 8);
        let from_server = op & 0x80 != 0;
        let port = usize::from((op >> 2) & 3);
        let mut bytes = Vec::new();
        match op % 4 {
            0 => {
                let len = usize::from(input.u16() % 1500);
                bytes.extend_from_slice(input.bytes(len));
            }
            kind => {
                let version = VERSIONS[usize::from(input.u8() % 4)];
                let pn = input.u16();
                let frames = if kind == 3 {
                    let offset = input.u16();
                    let len = usize::from(input.u16() % 1400);
                    crypto_frame(offset, input.bytes(len))
                } else {
                    let len = usize::from(input.u16() % 1400);
                    input.bytes(len).to_vec()
                };
                let Some((client_keys, server_keys)) = PacketKeys::initial(version, &dcid(port)) else { continue };
                let keys = if from_server { &server_keys } else { &client_keys };
                let Some(packet) = seal_initial(version, keys, &dcid(port), &scid(from_server), pn, &frames) else {
                    continue;
                };
                bytes = packet;
                if kind == 1 {
                    let n = usize::from(input.u8());
                    bytes.extend_from_slice(input.bytes(n));
                }
            }
        }
        let (src, dst) = if from_server { (server, client(port)) } else { (client(port), server) };
        let d = UdpDatagram { src, dst, payload: &bytes };
        table.datagram(&d, Timestamp::new(secs, 0, 6), &mut on_event);
        assert!(table.open_connections() <= CFG.max_connections);
    }
    table.finish(&mut on_event);
    assert_eq!(table.open_connections(), 0);
    assert!(checks.values().all(|c| c.closed), "a connection was never closed");
});
