//! Micro-benchmarks of the layers that every captured byte goes through: TCP reassembly, TLS
//! record framing, ClientHello decoding and the certificate summary.
//!
//! Real handshakes come from the fixture captures (`fixtures/captures`, or the directory named
//! by `TLSTRACE_FIXTURES`); without them the hello benchmark uses a hand-built ClientHello and
//! the certificate benchmark is skipped.
//!
//! `cargo bench --bench layers` (criterion; add `-- --quick` for a fast pass).

#[path = "../tests/pcapgen/mod.rs"]
mod pcapgen;

use criterion::{BatchSize, Criterion, Throughput, black_box, criterion_group, criterion_main};
use std::net::SocketAddr;
use std::path::PathBuf;
use tlstrace::certs;
use tlstrace::msgs::ClientHello;
use tlstrace::net::{NetConfig, NetDecoder, NetOutcome, TcpFlags, TcpSegment};
use tlstrace::source::file::FileSource;
use tlstrace::tcp::{FlowConfig, FlowEvent, FlowTable, Side, Verdict};
use tlstrace::time::Timestamp;
use tlstrace::tls::{HandshakeAssembler, RecordItem, RecordSplitter, Start};

fn fixtures_dir() -> Option<PathBuf> {
    let in_repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/captures");
    let from_env = std::env::var_os("TLSTRACE_FIXTURES").map(PathBuf::from);
    [Some(in_repo), from_env].into_iter().flatten().find(|d| d.is_dir())
}

/// Both directions of the first TCP connection of a capture, reassembled by the library.
fn first_connection(name: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let path = fixtures_dir()?.join(name);
    let mut source = FileSource::open(path.to_str()?).ok()?;
    let mut net = NetDecoder::new(NetConfig::default());
    let mut table = FlowTable::new(FlowConfig::default());
    let (mut initiator, mut responder) = (Vec::new(), Vec::new());
    let mut collect = |ev: FlowEvent<'_>| {
        if let FlowEvent::Data { flow: 0, from, bytes } = ev {
            match from {
                Side::Initiator => initiator.extend_from_slice(bytes),
                Side::Responder => responder.extend_from_slice(bytes),
            }
        }
        Verdict::Continue
    };
    while let Ok(Some(())) = source.next_with(|pkt| {
        if let Ok(NetOutcome::Tcp(seg)) = net.decode(pkt.linktype, pkt.data, pkt.orig_len, pkt.ts) {
            table.process(&seg, pkt.ts, &mut collect);
        }
    }) {}
    table.finish(&mut collect);
    Some((initiator, responder))
}

/// Plaintext handshake messages (type, body) of one direction, up to its ChangeCipherSpec.
fn handshake_messages(stream: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut splitter = RecordSplitter::new(Start::Detect);
    let mut assembler = HandshakeAssembler::default();
    let mut out = Vec::new();
    let mut encrypted = false;
    splitter.push(stream, &mut |item| {
        if let RecordItem::Record(r) = item {
            encrypted |= r.content_type == 20;
            if r.content_type == 22 && !encrypted {
                let _ = assembler.push(r.payload, &mut |m| out.push((m.msg_type, m.body.to_vec())));
            }
        }
    });
    out
}

/// The DER certificates of a TLS 1.2 Certificate message body.
fn der_list(body: &[u8]) -> Vec<Vec<u8>> {
    let mut ders = Vec::new();
    let mut at = 3;
    while let Some(len) =
        body.get(at..at + 3).map(|l| (usize::from(l[0]) << 16) | (usize::from(l[1]) << 8) | usize::from(l[2]))
    {
        at += 3;
        let Some(der) = body.get(at..at + len) else { break };
        ders.push(der.to_vec());
        at += len;
    }
    ders
}

fn client_hello_body() -> (Vec<u8>, &'static str) {
    for name in ["gnutls-tls13.pcap", "tls13-x25519-alpn.pcap"] {
        if let Some((client, _)) = first_connection(name)
            && let Some((_, body)) = handshake_messages(&client).into_iter().find(|(t, _)| *t == 1)
        {
            return (body, name);
        }
    }
    // The hand-built hello: skip the record (5) and handshake (4) headers.
    (pcapgen::client_hello("tlstrace.test", 1)[9..].to_vec(), "hand-built")
}

fn bench_client_hello(c: &mut Criterion) {
    let (body, from) = client_hello_body();
    assert!(ClientHello::decode(&body).is_ok(), "the benchmark hello decodes");
    let mut g = c.benchmark_group("client_hello");
    g.throughput(Throughput::Elements(1));
    g.bench_function(format!("decode ({from}, {} bytes)", body.len()), |b| {
        b.iter(|| ClientHello::decode(black_box(&body)))
    });
    g.finish();
}

fn bench_certificates(c: &mut Criterion) {
    let chain = first_connection("tls12-ecdhe-rsa-chain.pcap")
        .and_then(|(_, server)| handshake_messages(&server).into_iter().find(|(t, _)| *t == 11))
        .map(|(_, body)| der_list(&body));
    let Some(chain) = chain.filter(|c| !c.is_empty()) else {
        eprintln!("certificates: skipped (no fixtures/captures/tls12-ecdhe-rsa-chain.pcap; set TLSTRACE_FIXTURES)");
        return;
    };
    let ders: Vec<&[u8]> = chain.iter().map(Vec::as_slice).collect();
    let when = Timestamp::new(1_750_000_000, 0, 6);
    let (infos, check) = certs::inspect_chain(&ders, Some(&when), Some("tlstrace.test"));
    assert_eq!(infos.len(), ders.len());
    assert!(check.is_some());
    let mut g = c.benchmark_group("certificates");
    g.throughput(Throughput::Elements(1));
    // Chains are remembered by content and server name: a repeat costs a lookup and a copy of
    // the description, a first sight the parsing and signature checks.
    g.bench_function(format!("inspect_chain ({} certificates), seen before", ders.len()), |b| {
        b.iter(|| certs::inspect_chain(black_box(&ders), Some(&when), Some("tlstrace.test")))
    });
    let mut n = 0u64;
    g.bench_function(format!("inspect_chain ({} certificates), first sight", ders.len()), |b| {
        b.iter(|| {
            n += 1;
            let sni = format!("host{n}.tlstrace.test");
            certs::inspect_chain(black_box(&ders), Some(&when), Some(&sni))
        })
    });
    g.bench_function("inspect_certificate (leaf)", |b| {
        b.iter(|| certs::inspect_certificate(black_box(ders[0]), Some(&when)))
    });
    g.finish();
}

/// A server flight as it appears on the wire: a handshake record, then application data
/// records of mixed sizes (16 KiB bulk records, small ones like tickets and HTTP headers).
fn record_stream() -> Vec<u8> {
    let mut s = pcapgen::server_hello(1);
    s.extend(pcapgen::record(20, &[1]));
    for i in 0..200usize {
        let len = if i % 4 == 3 { 16_384 + 17 } else { 100 + i * 7 };
        s.extend(pcapgen::record(23, &vec![(i % 251) as u8; len]));
    }
    s
}

fn bench_record_framing(c: &mut Criterion) {
    let stream = record_stream();
    let mut g = c.benchmark_group("record_framing");
    g.throughput(Throughput::Bytes(stream.len() as u64));
    for seg in [1460usize, 16_384] {
        g.bench_function(format!("RecordSplitter, {seg}-byte segments"), |b| {
            b.iter(|| {
                let mut splitter = RecordSplitter::new(Start::Detect);
                let mut records = 0usize;
                for chunk in stream.chunks(seg) {
                    splitter.push(black_box(chunk), &mut |item| {
                        if let RecordItem::Record(_) = item {
                            records += 1;
                        }
                    });
                }
                assert_eq!(records, 202);
            })
        });
    }
    g.finish();
}

/// One connection's segments: handshake, then `n` full-sized data segments from the client.
fn segments(n: u32, reorder: bool) -> Vec<(u32, u8, Vec<u8>)> {
    let isn = 0xfff0_0000u32; // wraps during the transfer
    let mut segs = vec![(isn, TcpFlags::SYN, Vec::new())];
    let mut data: Vec<(u32, u8, Vec<u8>)> = (0..n)
        .map(|i| {
            let seq = isn.wrapping_add(1).wrapping_add(i * 1460);
            (seq, TcpFlags::ACK | TcpFlags::PSH, vec![(i % 251) as u8; 1460])
        })
        .collect();
    if reorder {
        // Every pair swapped: each first segment waits in the out-of-order buffer.
        for pair in data.chunks_mut(2) {
            pair.reverse();
        }
    }
    segs.extend(data);
    segs
}

fn bench_tcp(c: &mut Criterion) {
    let client = SocketAddr::from(([10, 0, 0, 1], 40000));
    let server = SocketAddr::from(([10, 0, 0, 2], 443));
    let n = 1000u32;
    let mut g = c.benchmark_group("tcp_reassembly");
    g.throughput(Throughput::Bytes(u64::from(n) * 1460));
    for (name, reorder) in [("in order", false), ("pairs swapped", true)] {
        let segs = segments(n, reorder);
        g.bench_function(format!("FlowTable, {n} segments, {name}"), |b| {
            b.iter_batched_ref(
                || FlowTable::new(FlowConfig::default()),
                |table| {
                    let mut delivered = 0usize;
                    let mut count = |ev: FlowEvent<'_>| {
                        if let FlowEvent::Data { bytes, .. } = ev {
                            delivered += bytes.len();
                        }
                        Verdict::Continue
                    };
                    for (i, (seq, flags, payload)) in segs.iter().enumerate() {
                        let seg = TcpSegment {
                            src: client,
                            dst: server,
                            seq: *seq,
                            ack: 0,
                            flags: TcpFlags(*flags),
                            payload,
                            missing_tail: 0,
                        };
                        table.process(&seg, Timestamp::new(1_700_000_000, i as u32 * 1000, 6), &mut count);
                    }
                    assert_eq!(delivered, n as usize * 1460);
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench_tcp, bench_record_framing, bench_client_hello, bench_certificates);
criterion_main!(benches);
