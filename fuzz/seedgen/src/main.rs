//! Makes the fuzz seed corpora from the project's fixture captures: each target gets inputs in
//! its own format (see the comments at the top of each target), built from real traffic so the
//! fuzzer starts from deep inside the decoders.
//!
//! Usage: seedgen CAPTURE_DIR OUT_DIR [--max-bytes N]
//! CAPTURE_DIR holds `*.pcap`, `*.pcapng`, `*.pcap.gz` and their `*.keylog` files.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use tlstrace::crypto::{KeyLog, RecordDecryptor};
use tlstrace::msgs::{self, DecodeContext, HandshakeBody};
use tlstrace::net::{NetConfig, NetDecoder, NetOutcome, TcpSegment};
use tlstrace::source::file::FileSource;
use tlstrace::tcp::{FlowConfig, FlowEvent, FlowTable, Side, Verdict};
use tlstrace::tls::{HandshakeAssembler, RecordItem, RecordSplitter, Start};

/// Same order as in the net_decode target.
const LINKTYPES: [u32; 10] = [1, 101, 12, 14, 228, 229, 0, 108, 113, 276];
const VERSIONS: [u16; 6] = [0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x7f17];
const SUITES: [u16; 8] = [0x002f, 0x0033, 0xc02f, 0x008c, 0xc01a, 0x1301, 0xc0ac, 0xeeee];
const TLS13: [u16; 5] = [0x1301, 0x1302, 0x1303, 0x1304, 0x1305];
const TLS12: [u16; 14] =
    [0x000a, 0x002f, 0x0035, 0x003c, 0x003d, 0xc028, 0x009c, 0x009d, 0xc02f, 0xc030, 0xcca8, 0xc09c, 0xc0a0, 0xc0ae];

struct Seeds {
    out: PathBuf,
    count: BTreeMap<&'static str, usize>,
    /// Records of the decrypt seeds that decrypt with the seed's own keys.
    decrypted: usize,
}

impl Seeds {
    fn add(&mut self, target: &'static str, name: &str, bytes: &[u8]) {
        let dir = self.out.join(target);
        fs::create_dir_all(&dir).expect("create corpus dir");
        let n = self.count.entry(target).or_default();
        *n += 1;
        fs::write(dir.join(format!("{name}-{n:03}")), bytes).expect("write seed");
    }
}

/// One captured segment, owned.
struct Seg {
    src_is_client: bool,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: Vec<u8>,
}

/// A TCP connection as captured and as reassembled.
#[derive(Default)]
struct Conn {
    segments: Vec<Seg>,
    /// In-order data chunks: (from the initiator, bytes).
    chunks: Vec<(bool, Vec<u8>)>,
}

fn put_u16(v: &mut Vec<u8>, x: usize) {
    v.extend_from_slice(&(x.min(0xffff) as u16).to_be_bytes());
}

fn read_capture(path: &Path, seeds: &mut Seeds, name: &str) -> Vec<Conn> {
    let mut source = FileSource::open(path.to_str().expect("utf-8 path")).expect("open fixture");
    let mut net = NetDecoder::new(NetConfig::default());
    let mut table = FlowTable::new(FlowConfig::default());
    let mut conns: BTreeMap<u64, Conn> = BTreeMap::new();
    let mut keys: BTreeMap<(std::net::SocketAddr, std::net::SocketAddr), u64> = BTreeMap::new();
    let mut frames = Vec::new();
    let mut frame_count = 0;
    loop {
        let got = source.next_with(|pkt| {
            frame_count += 1;
            // A few frames of each capture for the link/IP decoder.
            if frame_count <= 6 {
                let sel = LINKTYPES.iter().position(|&l| l == pkt.linktype).unwrap_or(200) as u8;
                frames.push(sel);
                frames.extend_from_slice(&[0, 0]);
                put_u16(&mut frames, pkt.data.len());
                frames.extend_from_slice(pkt.data);
            }
            let Ok(NetOutcome::Tcp(seg)) = net.decode(pkt.linktype, pkt.data, pkt.orig_len, pkt.ts) else {
                return;
            };
            let seg: TcpSegment<'_> = seg;
            let mut opened = None;
            let mut data = Vec::new();
            table.process(&seg, pkt.ts, &mut |ev| {
                match ev {
                    FlowEvent::Opened { flow, initiator, responder, .. } => opened = Some((flow, initiator, responder)),
                    FlowEvent::Data { flow, from, bytes } => data.push((flow, from == Side::Initiator, bytes.to_vec())),
                    _ => {}
                }
                Verdict::Continue
            });
            if let Some((flow, i, r)) = opened {
                keys.insert((i, r), flow);
                conns.entry(flow).or_default();
            }
            let (flow, client) = match (keys.get(&(seg.src, seg.dst)), keys.get(&(seg.dst, seg.src))) {
                (Some(&f), _) => (f, true),
                (_, Some(&f)) => (f, false),
                _ => return,
            };
            let conn = conns.entry(flow).or_default();
            conn.segments.push(Seg {
                src_is_client: client,
                seq: seg.seq,
                ack: seg.ack,
                flags: seg.flags.0,
                payload: seg.payload.to_vec(),
            });
            for (f, from_init, bytes) in data {
                conns.entry(f).or_default().chunks.push((from_init, bytes));
            }
        });
        match got {
            Ok(Some(())) => {}
            _ => break,
        }
    }
    if !frames.is_empty() {
        seeds.add("net_decode", name, &frames);
    }
    conns.into_values().collect()
}

fn tcp_seed(conn: &Conn) -> Option<Vec<u8>> {
    let first = conn.segments.first()?;
    let client_isn = if first.src_is_client { first.seq } else { first.ack.wrapping_sub(1) };
    let server_isn = conn.segments.iter().find(|s| !s.src_is_client).map_or(0, |s| s.seq);
    let mut v = vec![0u8];
    for isn in [client_isn, server_isn, 0, 0, 0, 0] {
        v.extend_from_slice(&isn.to_be_bytes());
    }
    for s in conn.segments.iter().take(40) {
        let (base, peer) = if s.src_is_client { (client_isn, server_isn) } else { (server_isn, client_isn) };
        v.push(if s.src_is_client { 0 } else { 0x80 });
        v.push(s.flags & 0x1f);
        put_u16(&mut v, s.seq.wrapping_sub(base) as usize & 0xffff);
        put_u16(&mut v, s.payload.len());
        put_u16(&mut v, s.ack.wrapping_sub(peer) as usize & 0xffff);
        v.extend_from_slice(&[0, 0]);
    }
    Some(v)
}

/// What framing one direction found: its records, in order.
fn records(stream: &[u8]) -> Vec<(u8, u16, Vec<u8>)> {
    let mut splitter = RecordSplitter::new(Start::Detect);
    let mut out = Vec::new();
    splitter.push(stream, &mut |item| {
        if let RecordItem::Record(r) = item {
            out.push((r.content_type, r.version, r.payload.to_vec()));
        }
    });
    out
}

fn ctx_byte(version: Option<u16>) -> u8 {
    version.and_then(|v| VERSIONS.iter().position(|&x| x == v)).unwrap_or(7) as u8
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(captures), Some(out)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: seedgen CAPTURE_DIR OUT_DIR");
        std::process::exit(2);
    };
    let mut seeds = Seeds { out: PathBuf::from(out), count: BTreeMap::new(), decrypted: 0 };
    let mut paths: Vec<PathBuf> =
        fs::read_dir(captures).expect("read capture dir").filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in &paths {
        let file = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if file.ends_with(".keylog") {
            seeds.add("keylog", &file, &fs::read(path).expect("read key log"));
            continue;
        }
        if !(file.ends_with(".pcap") || file.ends_with(".pcapng") || file.ends_with(".gz")) {
            continue;
        }
        let name = file.split('.').next().unwrap_or("capture").to_string();
        let raw = fs::read(path).expect("read capture");
        // The reader target takes the bytes as they are (it inflates gzip itself).
        seeds.add("file_source", &name, &raw);
        if !file.ends_with(".gz") {
            seeds.add("pipeline", &name, &raw);
        }
        let keylog_path = captures.to_string() + "/" + &name + ".keylog";
        let keylog = fs::read(&keylog_path).map(|t| KeyLog::parse(&t).0).unwrap_or_default();

        if name.starts_with("quic") || name.starts_with("dtls") {
            udp_seeds(&mut seeds, path, &name);
        }
        for conn in read_capture(path, &mut seeds, &name).iter().take(2) {
            if let Some(seed) = tcp_seed(conn) {
                seeds.add("tcp_reassembly", &name, &seed);
            }
            let mut stream_seed = vec![3u8];
            let mut dirs: [Vec<u8>; 2] = Default::default();
            for (from_init, bytes) in &conn.chunks {
                stream_seed.push(u8::from(!from_init) | 0x10);
                put_u16(&mut stream_seed, bytes.len());
                stream_seed.extend_from_slice(bytes);
                dirs[usize::from(!from_init)].extend_from_slice(bytes);
            }
            seeds.add("conn_stream", &name, &stream_seed);
            // The same stream with its key log still being written: the whole log after the
            // first, second or last chunk (records before it wait for their secrets).
            if let Ok(keylog_text) = fs::read(&keylog_path) {
                for after in [1, 2, conn.chunks.len()] {
                    let mut seed = vec![3u8 | 32];
                    for (n, (from_init, bytes)) in conn.chunks.iter().enumerate() {
                        seed.push(u8::from(!from_init) | 0x10);
                        put_u16(&mut seed, bytes.len());
                        seed.extend_from_slice(bytes);
                        if n + 1 == after {
                            seed.push(0x06);
                            put_u16(&mut seed, keylog_text.len());
                            seed.extend_from_slice(&keylog_text);
                        }
                    }
                    seeds.add("conn_stream", &name, &seed);
                }
            }

            let mut version = None;
            let mut suite = None;
            let mut client_random = Vec::new();
            let mut server_random = Vec::new();
            for (i, stream) in dirs.iter().enumerate() {
                let mut framed = vec![0u8, ctx_byte(version), 2, u8::from(i == 1), 0];
                framed.push(1);
                put_u16(&mut framed, stream.len());
                framed.extend_from_slice(stream);
                seeds.add("tls_records", &name, &framed);
                let mut assembler = HandshakeAssembler::default();
                for (ct, _, payload) in records(stream) {
                    if ct == 20 {
                        break;
                    }
                    if ct != 22 {
                        continue;
                    }
                    let _ = assembler.push(&payload, &mut |m| {
                        let s = suite.and_then(|s| SUITES.iter().position(|&x| x == s)).unwrap_or(8) as u8;
                        let mut h = vec![m.msg_type, ctx_byte(version), s, u8::from(i == 1) | 2 | 4];
                        h.extend_from_slice(m.body);
                        seeds.add("handshake", &name, &h);
                        let ctx = DecodeContext { from_server: i == 1, ..DecodeContext::default() };
                        match msgs::decode_handshake(m.msg_type, m.body, &ctx).body {
                            HandshakeBody::ClientHello { client_hello } => client_random = client_hello.random,
                            HandshakeBody::ServerHello { server_hello } => {
                                version = Some(server_hello.negotiated_version());
                                suite = Some(server_hello.cipher_suite);
                                server_random = server_hello.random;
                            }
                            HandshakeBody::Certificate { .. } => {
                                certificate_seed(&mut seeds, &name, m.body, version);
                            }
                            _ => {}
                        }
                    });
                }
            }
            decrypt_seeds(&mut seeds, &name, &keylog, &dirs, version, suite, &client_random, &server_random);
        }
    }
    for (target, n) in &seeds.count {
        println!("{target}: {n} seeds");
    }
    println!("decrypt seeds: {} records decrypt with their own keys", seeds.decrypted);
}

/// The DER list of a Certificate message (TLS 1.3 adds a context and per-entry extensions).
fn certificate_seed(seeds: &mut Seeds, name: &str, body: &[u8], version: Option<u16>) {
    let mut at = 0usize;
    if version == Some(0x0304) {
        at += 1 + usize::from(*body.first().unwrap_or(&0));
    }
    at += 3;
    let mut seed = vec![1u8 | 2];
    while at + 3 <= body.len() {
        let len = (usize::from(body[at]) << 16) | (usize::from(body[at + 1]) << 8) | usize::from(body[at + 2]);
        at += 3;
        let Some(der) = body.get(at..at + len) else { break };
        put_u16(&mut seed, der.len());
        seed.extend_from_slice(der);
        at += len;
        if version == Some(0x0304) && at + 2 <= body.len() {
            at += 2 + ((usize::from(body[at]) << 8) | usize::from(body[at + 1]));
        }
    }
    seeds.add("certs", name, &seed);
}

/// Real keys and records: the server's encrypted handshake (TLS 1.3) or the client's Finished
/// (TLS 1.2), so the fuzzer starts from records that decrypt.
#[allow(clippy::too_many_arguments)]
fn decrypt_seeds(
    seeds: &mut Seeds,
    name: &str,
    keylog: &KeyLog,
    dirs: &[Vec<u8>; 2],
    version: Option<u16>,
    suite: Option<u16>,
    client_random: &[u8],
    server_random: &[u8],
) {
    let (Some(version), Some(suite), Some(secrets)) = (version, suite, keylog.get(client_random)) else {
        return;
    };
    let mut seed = Vec::new();
    let direction = if version == 0x0304 {
        let (Some(sel), Some(secret)) = (TLS13.iter().position(|&s| s == suite), secrets.handshake_secret(false))
        else {
            return;
        };
        seed.extend_from_slice(&[0, sel as u8, secret.len() as u8]);
        let mut padded = secret.to_vec();
        padded.resize(48, 0);
        seed.extend_from_slice(&padded);
        seed.extend_from_slice(&[0; 64]);
        &dirs[1]
    } else {
        let (Some(sel), Some(master), Some(v)) = (
            TLS12.iter().position(|&s| s == suite),
            secrets.master_secret.as_deref(),
            [0x0301u16, 0x0302, 0x0303].iter().position(|&v| v == version),
        ) else {
            return;
        };
        let etm = 16u8; // a guess: the decryptor reports failure when it is wrong
        seed.extend_from_slice(&[1 | (v as u8) << 1 | 8 | etm, sel as u8, 48]);
        seed.extend_from_slice(master);
        seed.extend_from_slice(client_random);
        seed.extend_from_slice(server_random);
        &dirs[0]
    };
    let mut decryptor = if version == 0x0304 {
        secrets.handshake_secret(false).and_then(|s| RecordDecryptor::tls13(suite, s))
    } else {
        secrets.master_secret.as_deref().and_then(|m| {
            // Encrypt-then-MAC as the seed says; the decryptor fails the MAC when that is wrong.
            RecordDecryptor::tls12(suite, version, m, client_random, server_random, true, true)
        })
    };
    let mut after_ccs = version == 0x0304;
    for (ct, record_version, payload) in records(direction) {
        if ct == 20 {
            after_ccs = true;
            continue;
        }
        if after_ccs && (ct == 23 || ct == 22) {
            seed.push(ct);
            put_u16(&mut seed, payload.len());
            seed.extend_from_slice(&payload);
            if let Some(d) = decryptor.as_mut() {
                seeds.decrypted += usize::from(d.decrypt(ct, record_version, &payload).is_ok());
            }
        }
    }
    seeds.add("decrypt", name, &seed);
}

/// The UDP datagrams of a capture: (from the client, payload), the client being the sender of
/// the first datagram.
fn datagrams(path: &Path) -> Vec<(bool, Vec<u8>)> {
    let mut source = FileSource::open(path.to_str().expect("utf-8 path")).expect("open fixture");
    let mut net = NetDecoder::new(NetConfig::default());
    let mut client = None;
    let mut out = Vec::new();
    while let Ok(Some(())) = source.next_with(|pkt| {
        if let Ok(NetOutcome::Udp(d)) = net.decode(pkt.linktype, pkt.data, pkt.orig_len, pkt.ts) {
            let client = *client.get_or_insert(d.src);
            out.push((d.src == client, d.payload.to_vec()));
        }
    }) {}
    out
}

/// Seeds for the UDP targets from a QUIC or DTLS capture: its datagrams for `quic_packets`,
/// its client Initials' CRYPTO frames for `quic_crypto`, its handshake records and their
/// fragments for `dtls_fragments`.
fn udp_seeds(seeds: &mut Seeds, path: &Path, name: &str) {
    let datagrams = datagrams(path);
    if name.starts_with("quic") {
        let mut packets = Vec::new();
        let mut crypto = vec![0x10, 0x00]; // cap 4096
        for (from_client, payload) in datagrams.iter().take(12) {
            packets.extend_from_slice(&[if *from_client { 0x00 } else { 0x80 }, 0]);
            put_u16(&mut packets, payload.len());
            packets.extend_from_slice(payload);
            if *from_client {
                crypto_frames(payload, &mut crypto);
            }
        }
        seeds.add("quic_packets", name, &packets);
        // The client's CRYPTO frames in reverse order too.
        let frames: Vec<&[u8]> = crypto.get(2..).unwrap_or_default().chunks(5).collect();
        let mut reversed = vec![0x10, 0x00];
        frames.iter().rev().for_each(|f| reversed.extend_from_slice(f));
        seeds.add("quic_crypto", name, &crypto);
        seeds.add("quic_crypto", name, &reversed);
        return;
    }
    let mut fragments = vec![1u8, 0x40, 0x00]; // reassembly, cap 16384
    let mut record_seeds = 0;
    for (_, payload) in datagrams.iter().take(12) {
        let mut rest = payload.as_slice();
        while let [ct, _, _, _, _, _, _, _, _, _, _, hi, lo, after @ ..] = rest {
            let len = usize::from(u16::from_be_bytes([*hi, *lo]));
            let Some((body, next)) = (len <= after.len()).then(|| after.split_at(len)) else { break };
            rest = next;
            if *ct != 22 {
                continue;
            }
            // A few whole records each (the fragment sequence below has them all).
            if record_seeds < 4 {
                record_seeds += 1;
                let mut seed = vec![0u8];
                seed.extend_from_slice(body);
                seeds.add("dtls_fragments", name, &seed);
            }
            for f in tlstrace::dtls::handshake::fragments(body).unwrap_or_default() {
                fragments.extend_from_slice(&[(f.message_seq % 40) as u8, f.msg_type % 4]);
                put_u16(&mut fragments, f.length as usize);
                put_u16(&mut fragments, f.offset as usize);
                put_u16(&mut fragments, f.data.len());
            }
        }
    }
    seeds.add("dtls_fragments", name, &fragments);
}

/// Appends `[offset: 3][length: 2]` for each CRYPTO frame of the client Initials in a datagram.
fn crypto_frames(datagram: &[u8], out: &mut Vec<u8>) {
    use tlstrace::quic::packet::{self, Framed, PacketKeys};
    let mut rest = datagram;
    while let Some((framed, next)) = packet::frame(rest) {
        rest = next;
        let Framed::Long(p) = framed else { break };
        let Some((client, _)) = PacketKeys::initial(p.version, p.dcid) else { continue };
        let Some(opened) = packet::open(&client, &p, None) else { continue };
        for f in tlstrace::quic::frames::parse(&opened.payload) {
            if let tlstrace::quic::frames::Frame::Crypto { offset, data } = f {
                out.extend_from_slice(&(offset.min(0xff_ffff) as u32).to_be_bytes()[1..]);
                put_u16(out, data.len());
            }
        }
    }
}
