//! Nothing lost in silence: bytes cut out of the first TLS record of a direction (as capture loss
//! does) in real fixtures are reported as a gap at their offset, the message they cut is reported
//! as incomplete with what its captured front tells, and the handshake names what is missing.

mod common;

use common::{events, fixture, of_kind, summary};
use serde_json::Value;
use std::path::PathBuf;

/// One captured frame of a classic Ethernet pcap.
struct Frame {
    header: [u8; 16],
    data: Vec<u8>,
}

fn read_pcap(bytes: &[u8]) -> (Vec<u8>, Vec<Frame>) {
    assert_eq!(&bytes[..4], &0xa1b2_c3d4u32.to_le_bytes(), "little-endian microsecond pcap");
    let global = bytes[..24].to_vec();
    assert_eq!(u32::from_le_bytes(global[20..24].try_into().unwrap()), 1, "Ethernet");
    let mut frames = Vec::new();
    let mut pos = 24;
    while pos + 16 <= bytes.len() {
        let header: [u8; 16] = bytes[pos..pos + 16].try_into().unwrap();
        let incl = u32::from_le_bytes(header[8..12].try_into().unwrap()) as usize;
        frames.push(Frame { header, data: bytes[pos + 16..pos + 16 + incl].to_vec() });
        pos += 16 + incl;
    }
    (global, frames)
}

/// TCP view of an Ethernet/IPv4 frame: (source port, sequence number, payload start, SYN).
fn tcp_of(f: &Frame) -> Option<(u16, u32, usize, bool)> {
    let d = &f.data;
    if d.len() < 14 + 20 || u16::from_be_bytes([d[12], d[13]]) != 0x0800 || d[14 + 9] != 6 {
        return None;
    }
    let ihl = usize::from(d[14] & 0x0f) * 4;
    let tcp = 14 + ihl;
    let sport = u16::from_be_bytes([d[tcp], d[tcp + 1]]);
    let seq = u32::from_be_bytes(d[tcp + 4..tcp + 8].try_into().unwrap());
    let data_off = usize::from(d[tcp + 12] >> 4) * 4;
    let syn = d[tcp + 13] & 0x02 != 0;
    Some((sport, seq, tcp + data_off, syn))
}

/// The frame with its TCP payload replaced by `payload` at sequence number `seq`.
fn with_payload(f: &Frame, payload_start: usize, seq: u32, payload: &[u8]) -> Frame {
    let mut data = f.data[..payload_start].to_vec();
    data.extend_from_slice(payload);
    let ip_len = (data.len() - 14) as u16;
    data[16..18].copy_from_slice(&ip_len.to_be_bytes());
    let tcp = 14 + usize::from(data[14] & 0x0f) * 4;
    data[tcp + 4..tcp + 8].copy_from_slice(&seq.to_be_bytes());
    let mut header = f.header;
    header[8..12].copy_from_slice(&(data.len() as u32).to_le_bytes());
    header[12..16].copy_from_slice(&(data.len() as u32).to_le_bytes());
    Frame { header, data }
}

/// Whose bytes to cut: the SYN sender's (client) or the other side's.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Dir {
    Client,
    Server,
}

/// Writes a copy of `capture` without bytes `[at, at + len)` of `dir`'s stream; returns its path
/// and that direction's original stream.
fn cut(capture: &str, dir: Dir, at: u32, len: u32, tag: &str) -> (PathBuf, Vec<u8>) {
    let bytes = std::fs::read(fixture(capture)).expect("fixture");
    let (global, frames) = read_pcap(&bytes);
    let client_port = frames.iter().find_map(|f| tcp_of(f).filter(|t| t.3).map(|t| t.0)).expect("SYN");
    let isn = frames
        .iter()
        .filter_map(tcp_of)
        .find(|t| t.3 && ((t.0 == client_port) == (dir == Dir::Client)))
        .map(|t| t.1)
        .expect("ISN");
    let mut out = global;
    let mut stream = Vec::new();
    for f in &frames {
        let Some((sport, seq, start, syn)) = tcp_of(f) else {
            out.extend_from_slice(&f.header);
            out.extend_from_slice(&f.data);
            continue;
        };
        let payload = &f.data[start..];
        if syn || payload.is_empty() || (sport == client_port) != (dir == Dir::Client) {
            out.extend_from_slice(&f.header);
            out.extend_from_slice(&f.data);
            continue;
        }
        let off = seq.wrapping_sub(isn.wrapping_add(1));
        if off as usize == stream.len() {
            stream.extend_from_slice(payload);
        }
        let end = off + payload.len() as u32;
        let (hole_start, hole_end) = (at.max(off), (at + len).min(end));
        if hole_start >= hole_end {
            out.extend_from_slice(&f.header);
            out.extend_from_slice(&f.data);
            continue;
        }
        // The part before the hole and the part after it, as two segments.
        for (from, to) in [(off, hole_start), (hole_end, end)] {
            if from < to {
                let piece = &payload[(from - off) as usize..(to - off) as usize];
                let g = with_payload(f, start, isn.wrapping_add(1).wrapping_add(from), piece);
                out.extend_from_slice(&g.header);
                out.extend_from_slice(&g.data);
            }
        }
    }
    let path = std::env::temp_dir().join(format!("tlstrace-gap-{}-{tag}.pcap", std::process::id()));
    std::fs::write(&path, out).expect("write");
    (path, stream)
}

/// The handshake message of `stream` (records of one direction) that holds byte `at`: its
/// name, where its type byte is, and whether `at` falls in a record header.
fn message_at(stream: &[u8], at: usize) -> (u8, usize, bool) {
    let mut pos = 0;
    while pos + 5 <= stream.len() {
        let len = usize::from(u16::from_be_bytes([stream[pos + 3], stream[pos + 4]]));
        if at < pos + 5 {
            return (stream[pos + 5], pos + 5, true);
        }
        if at < pos + 5 + len {
            // Handshake messages of this record (each record here starts with a message).
            let mut m = pos + 5;
            loop {
                let body =
                    (usize::from(stream[m + 1]) << 16) | (usize::from(stream[m + 2]) << 8) | usize::from(stream[m + 3]);
                if at < m + 4 + body || m + 4 + body >= pos + 5 + len {
                    return (stream[m], m, false);
                }
                m += 4 + body;
            }
        }
        pos += 5 + len;
    }
    panic!("offset {at} past the stream");
}

fn name_of(t: u8, dir: Dir) -> &'static str {
    match (t, dir) {
        (1, _) => "ClientHello",
        (2, _) => "ServerHello",
        (11, _) => "Certificate",
        (8, _) => "EncryptedExtensions",
        (12, _) => "ServerKeyExchange",
        (14, _) => "ServerHelloDone",
        (16, _) => "ClientKeyExchange",
        _ => "other",
    }
}

fn check(capture: &str, dir: Dir, at: u32, len: u32) {
    let tag = format!("{capture}-{dir:?}-{at}-{len}");
    let (path, stream) = cut(capture, dir, at, len, &tag);
    let ev = events(&path, &[]);
    let _ = std::fs::remove_file(&path);
    let direction = if dir == Dir::Client { "client_to_server" } else { "server_to_client" };
    let gaps: Vec<&Value> = of_kind(&ev, "gap");
    assert_eq!(gaps.len(), 1, "{tag}: one gap event: {gaps:?}");
    let g = gaps[0];
    assert_eq!(g["direction"], direction, "{tag}");
    assert_eq!(g["offset"], u64::from(at), "{tag}");
    assert_eq!(g["bytes"], u64::from(len), "{tag}");
    assert_eq!(g["cause"], "capture_loss", "{tag}");
    let s = summary(&ev);
    assert_eq!(s["gaps"], 1, "{tag}");
    assert_eq!(s["gap_bytes"], u64::from(len), "{tag}");
    let conns = of_kind(&ev, "connection");
    assert_eq!(conns.len(), 1, "{tag}: the connection is reported");
    let hs = of_kind(&ev, "handshake");
    assert_eq!(hs.len(), 1, "{tag}: {hs:?}");
    let h = hs[0];
    // The handshake may still have completed on the wire (the peer got every byte); if not,
    // the gap is why.
    let complete = h["complete"] == true;
    let failure = h["failure"].as_str().unwrap_or_default();
    assert!(complete || failure.starts_with("gap: "), "{tag}: {failure}");
    let failure_is = |expected: String| {
        if !complete {
            assert_eq!(failure, expected, "{tag}");
        }
    };

    let (msg_type, type_at, in_header) = message_at(&stream, at as usize);
    let name = name_of(msg_type, dir);
    let hello = name == "ClientHello" || name == "ServerHello";
    let incomplete: Vec<&Value> =
        of_kind(&ev, "message").into_iter().filter(|m| m.get("incomplete").is_some()).collect();
    if in_header || (at as usize) <= type_at {
        // Nothing of the message arrived: it is named when it is the side's hello.
        assert!(incomplete.is_empty(), "{tag}: {incomplete:?}");
        if hello {
            assert_eq!(h["missing_message"], name, "{tag}");
            failure_is(format!("gap: {name} not captured"));
        }
    } else {
        assert_eq!(incomplete.len(), 1, "{tag}: the cut message is reported");
        let m = incomplete[0];
        assert_eq!(m["name"], name, "{tag}");
        assert_eq!(m["direction"], direction, "{tag}");
        let body_len = (usize::from(stream[type_at + 1]) << 16)
            | (usize::from(stream[type_at + 2]) << 8)
            | usize::from(stream[type_at + 3]);
        let captured = (at as usize).saturating_sub(type_at + 4);
        assert_eq!(m["incomplete"]["bytes_captured"], captured, "{tag}");
        if at as usize >= type_at + 4 {
            assert_eq!(m["length"], body_len, "{tag}");
        }
        assert_eq!(h["missing_message"], name, "{tag}");
        failure_is(format!("gap: {name} incomplete"));
        // What the captured front of a hello still tells.
        let body = &stream[type_at + 4..];
        let key = if name == "ClientHello" { "client_hello" } else { "server_hello" };
        if hello && captured >= 34 {
            let m = &m[key];
            assert_eq!(m["version"], u64::from(u16::from_be_bytes([body[0], body[1]])), "{tag}");
            let random: String = body[2..34].iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(m["random"], random, "{tag}");
        }
        if name == "ClientHello" && captured >= 35 {
            let sid = usize::from(body[34]);
            let suites_at = 35 + sid + 2;
            if captured >= suites_at {
                let whole = ((captured - suites_at) / 2)
                    .min(usize::from(u16::from_be_bytes([body[35 + sid], body[36 + sid]])) / 2);
                let got = m[key]["cipher_suites"].as_array().map_or(0, Vec::len);
                assert_eq!(got, whole, "{tag}: the cipher suites before the hole");
            }
        }
    }
}

fn all_holes(capture: &str) {
    for dir in [Dir::Client, Dir::Server] {
        for at in [0, 5, 20, 100] {
            for len in [1, 8, 40] {
                check(capture, dir, at, len);
            }
        }
    }
}

#[test]
fn holes_in_the_first_record_of_tls12() {
    all_holes("tls12-ecdhe-ecdsa-aes128gcm.pcap");
}

#[test]
fn holes_in_the_first_record_of_tls13() {
    all_holes("tls13-x25519-alpn.pcap");
}

/// Only the client's packets, its ClientHello with a one-byte hole at `at`: nobody acknowledges
/// past the hole, the capture just ends.
fn lone_client_hello(at: usize) -> Vec<Value> {
    let bytes = std::fs::read(fixture("tls13-x25519-alpn.pcap")).expect("fixture");
    let (global, frames) = read_pcap(&bytes);
    let client_port = frames.iter().find_map(|f| tcp_of(f).filter(|t| t.3).map(|t| t.0)).expect("SYN");
    let mut out = global;
    let mut data_segments = 0;
    for f in &frames {
        let Some((sport, seq, start, _)) = tcp_of(f) else { continue };
        if sport != client_port {
            continue;
        }
        let payload = &f.data[start..];
        if payload.is_empty() {
            out.extend_from_slice(&f.header);
            out.extend_from_slice(&f.data);
            continue;
        }
        data_segments += 1;
        if data_segments > 1 {
            break;
        }
        for (from, to) in [(0usize, at), (at + 1, payload.len())] {
            if from >= to {
                continue;
            }
            let g = with_payload(f, start, seq.wrapping_add(from as u32), &payload[from..to]);
            out.extend_from_slice(&g.header);
            out.extend_from_slice(&g.data);
        }
    }
    let path = std::env::temp_dir().join(format!("tlstrace-gap-lone-{at}-{}.pcap", std::process::id()));
    std::fs::write(&path, out).expect("write");
    let ev = events(&path, &[]);
    let _ = std::fs::remove_file(&path);
    ev
}

#[test]
fn a_lone_client_hello_with_a_hole_is_still_reported() {
    let ev = lone_client_hello(20);
    assert_eq!(of_kind(&ev, "connection").len(), 1);
    assert_eq!(of_kind(&ev, "connection")[0]["tls_seen"], true);
    let gap = of_kind(&ev, "gap");
    assert_eq!(gap.len(), 1, "{gap:?}");
    assert_eq!((gap[0]["offset"].as_u64(), gap[0]["bytes"].as_u64()), (Some(20), Some(1)));
    let m = of_kind(&ev, "message");
    assert_eq!(m[0]["name"], "ClientHello");
    assert_eq!(m[0]["incomplete"]["bytes_captured"], 11);
    assert_eq!(m[0]["incomplete"]["cut_in"], "random");
    let h = of_kind(&ev, "handshake");
    assert_eq!(h[0]["failure"], "gap: ClientHello incomplete");
    assert_eq!(h[0]["missing_message"], "ClientHello");
}

#[test]
fn a_flow_whose_start_a_gap_hid_is_reported_not_dropped() {
    // The first byte of a lone ClientHello is missing: nothing left says TLS, but the flow is
    // reported with its gap instead of vanishing.
    let ev = lone_client_hello(0);
    let conns = of_kind(&ev, "connection");
    assert_eq!(conns.len(), 1, "{ev:?}");
    assert_eq!(conns[0]["tls_seen"], false);
    let gap = of_kind(&ev, "gap");
    assert_eq!(gap.len(), 1);
    assert_eq!((gap[0]["offset"].as_u64(), gap[0]["bytes"].as_u64()), (Some(0), Some(1)));
    let h = of_kind(&ev, "handshake");
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["failure"], "gap: ClientHello not captured");
    assert_eq!(h[0]["missing_message"], "ClientHello");
    assert_eq!(of_kind(&ev, "end").len(), 1);
    assert_eq!(summary(&ev)["gaps"], 1);
}
