use super::handshake::{Delivery, Fragment, Reassembler, fragments};
use super::*;

/// A handshake fragment with its 12-byte header.
fn frag(msg_type: u8, seq: u16, length: u32, offset: u32, data: &[u8]) -> Vec<u8> {
    let mut out = vec![msg_type];
    out.extend_from_slice(&length.to_be_bytes()[1..]);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&offset.to_be_bytes()[1..]);
    out.extend_from_slice(&(data.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(data);
    out
}

/// A DTLS record around `payload`.
fn record_bytes(content_type: u8, epoch: u16, seq: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![content_type, 0xfe, 0xfd];
    out.extend_from_slice(&epoch.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes()[2..]);
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

#[derive(Debug, PartialEq, Eq)]
enum Out {
    Message(u8, u16, Vec<u8>, u32),
    Retransmission(u8, u16),
    Lost(u64),
    Refused,
}

/// Pushes each fragment (as bytes) and collects what comes out.
fn run(asm: &mut Reassembler, frags: &[Vec<u8>]) -> Vec<Out> {
    let mut out = Vec::new();
    for bytes in frags {
        for f in fragments(bytes).unwrap() {
            asm.push(&f, 1 << 20, &mut |d| {
                out.push(match d {
                    Delivery::Message { msg_type, message_seq, raw, fragments, .. } => {
                        Out::Message(msg_type, message_seq, raw.to_vec(), fragments)
                    }
                    Delivery::Retransmission { msg_type, message_seq } => Out::Retransmission(msg_type, message_seq),
                    Delivery::Lost { messages } => Out::Lost(messages),
                    Delivery::Refused => Out::Refused,
                })
            });
        }
    }
    out
}

/// The TLS form of a message: type, 3-byte length, body.
fn tls_form(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![msg_type];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

#[test]
fn fragments_out_of_order_make_one_message() {
    let body: Vec<u8> = (0..=99).collect();
    let mut asm = Reassembler::default();
    let out = run(
        &mut asm,
        &[frag(11, 0, 100, 60, &body[60..]), frag(11, 0, 100, 0, &body[..30]), frag(11, 0, 100, 30, &body[30..60])],
    );
    assert_eq!(out, [Out::Message(11, 0, tls_form(11, &body), 3)]);
    assert_eq!(asm.buffered_bytes(), 0);
}

#[test]
fn overlapping_fragments_are_merged() {
    let body: Vec<u8> = (0..=99).collect();
    let mut asm = Reassembler::default();
    let out = run(&mut asm, &[frag(1, 0, 100, 0, &body[..70]), frag(1, 0, 100, 50, &body[50..])]);
    assert_eq!(out, [Out::Message(1, 0, tls_form(1, &body), 2)]);
}

#[test]
fn duplicate_fragments_are_ignored_and_counted() {
    let body: Vec<u8> = (0..=99).collect();
    let mut asm = Reassembler::default();
    let out = run(
        &mut asm,
        &[frag(1, 0, 100, 0, &body[..50]), frag(1, 0, 100, 0, &body[..50]), frag(1, 0, 100, 10, &body[10..40])],
    );
    assert!(out.is_empty());
    assert_eq!(asm.duplicate_fragments, 2);
    let out = run(&mut asm, &[frag(1, 0, 100, 50, &body[50..])]);
    assert_eq!(out, [Out::Message(1, 0, tls_form(1, &body), 2)]);
}

#[test]
fn a_retransmitted_flight_is_reported_once_per_message() {
    let mut asm = Reassembler::default();
    let flight = [frag(2, 1, 3, 0, b"abc"), frag(11, 2, 4, 0, b"ab"), frag(11, 2, 4, 2, b"cd"), frag(14, 3, 0, 0, b"")];
    let first = run(&mut asm, &flight);
    assert_eq!(
        first,
        [
            Out::Message(2, 1, tls_form(2, b"abc"), 1),
            Out::Message(11, 2, tls_form(11, b"abcd"), 2),
            Out::Message(14, 3, tls_form(14, b""), 1),
        ]
    );
    // The same flight again (as a smaller MTU might cut it): one retransmission per message.
    let again = run(&mut asm, &[frag(2, 1, 3, 0, b"abc"), frag(11, 2, 4, 0, b"a"), frag(11, 2, 4, 1, b"bcd")]);
    assert_eq!(again, [Out::Retransmission(2, 1), Out::Retransmission(11, 2)]);
    assert_eq!(asm.duplicate_fragments, 1);
}

#[test]
fn messages_wait_for_an_earlier_one_and_come_in_order() {
    let mut asm = Reassembler::default();
    assert_eq!(run(&mut asm, &[frag(1, 0, 1, 0, b"x")]), [Out::Message(1, 0, tls_form(1, b"x"), 1)]);
    // message_seq 2 is whole before 1: held until 1 comes.
    assert!(run(&mut asm, &[frag(12, 2, 1, 0, b"z")]).is_empty());
    assert_eq!(
        run(&mut asm, &[frag(11, 1, 1, 0, b"y")]),
        [Out::Message(11, 1, tls_form(11, b"y"), 1), Out::Message(12, 2, tls_form(12, b"z"), 1)]
    );
}

#[test]
fn a_message_lost_for_good_does_not_stall_the_rest() {
    let mut asm = Reassembler::default();
    run(&mut asm, &[frag(1, 0, 1, 0, b"x")]);
    // message_seq 1 never comes; the connection ends: the later ones are shown.
    assert!(run(&mut asm, &[frag(12, 2, 1, 0, b"z"), frag(14, 3, 0, 0, b"")]).is_empty());
    let mut out = Vec::new();
    asm.flush(&mut |d| {
        if let Delivery::Message { msg_type, .. } = d {
            out.push(msg_type)
        }
    });
    assert_eq!(out, [12, 14]);
    assert_eq!(asm.messages_lost, 1);
}

#[test]
fn conflicting_and_oversized_fragments_are_refused() {
    let mut asm = Reassembler::default();
    run(&mut asm, &[frag(11, 0, 10, 0, b"abcde")]);
    // Same message_seq, another length: refused (and told), the first stays.
    assert_eq!(run(&mut asm, &[frag(11, 0, 12, 5, b"fghij")]), [Out::Refused]);
    assert_eq!(asm.refused_fragments, 1);
    // A message larger than the cap is not buffered.
    let big = frag(11, 1, 1 << 20, 0, b"a");
    let f = fragments(&big).unwrap();
    let mut told = Vec::new();
    asm.push(&f[0], 1000, &mut |d| told.push(d == Delivery::Refused));
    assert_eq!((told, asm.refused_fragments), (vec![true], 2));
    // A fragment running past its message's length does not frame.
    assert!(fragments(&frag(11, 0, 3, 2, b"abc")).is_err());
    assert!(fragments(&frag(11, 0, 3, 0, b"abc")[..10]).is_err());
}

#[test]
fn records_carry_epoch_and_48_bit_sequence_numbers() {
    let mut d = record_bytes(22, 0, 5, &frag(1, 0, 1, 0, b"x"));
    d.extend(record_bytes(20, 0, 6, &[1]));
    d.extend(record_bytes(22, 1, 0x0000_1234_5678_9abc, &[0; 40]));
    let (recs, whole) = records(&d, None);
    assert!(whole);
    assert_eq!(recs.len(), 3);
    assert_eq!((recs[0].content_type, recs[0].epoch, recs[0].seq), (22, 0, 5));
    assert_eq!((recs[2].epoch, recs[2].seq), (1, 0x1234_5678_9abc));
    assert_eq!(recs[2].epoch_seq(), 0x0001_1234_5678_9abc);
    // A cut record stops the list.
    let (recs, whole) = records(&d[..d.len() - 1], None);
    assert_eq!((recs.len(), whole), (2, false));
}

#[test]
fn detection_needs_a_content_type_then_a_dtls_version() {
    assert!(looks_like_dtls(&[22, 0xfe, 0xfd]));
    assert!(looks_like_dtls(&[22, 0xfe, 0xff]));
    assert!(looks_like_dtls(&[22, 0x01, 0x00]));
    assert!(looks_like_dtls(&[23, 0xfe, 0xfc]));
    assert!(!looks_like_dtls(&[22, 0x03, 0x03]), "TLS");
    assert!(!looks_like_dtls(&[0xc0, 0, 0]), "a QUIC long header");
    assert!(!looks_like_dtls(&[0x00, 0x01, 0x00]), "STUN");
    assert!(!looks_like_dtls(&[22, 0xfe]));
}

fn client_hello_datagram(port: u16) -> (UdpDatagram<'static>, Vec<u8>) {
    let payload = record_bytes(22, 0, 0, &frag(1, 0, 4, 0, b"\xfe\xfd\x00\x00"));
    let leaked: &'static [u8] = Box::leak(payload.clone().into_boxed_slice());
    let d = UdpDatagram {
        src: SocketAddr::from(([10, 0, 0, 1], port)),
        dst: SocketAddr::from(([10, 0, 0, 2], 4433)),
        payload: leaked,
    };
    (d, payload)
}

#[test]
fn a_flood_of_client_hellos_stays_within_the_table() {
    let cfg = DtlsConfig { max_connections: 64, idle_timeout_secs: 30, max_handshake_bytes: 4096 };
    let mut table = DtlsTable::new(cfg);
    let (mut opened, mut closed) = (0, 0);
    let ts = Timestamp::new(1_700_000_000, 0, 6);
    for port in 1..=5000u16 {
        let (d, _) = client_hello_datagram(port);
        table.datagram(&d, ts, &mut |ev| match ev {
            DtlsEvent::Opened { .. } => opened += 1,
            DtlsEvent::Closed { reason: EndReason::Evicted, .. } => closed += 1,
            _ => {}
        });
        assert!(table.open_connections() <= 64);
    }
    assert_eq!((opened, closed), (5000, 5000 - 64));
    assert_eq!(table.stats().connections_evicted, 5000 - 64);
    assert!(table.conns.queued() <= 64 * 2 + 64 + 1, "the eviction queue is compacted");
}

#[test]
fn idle_connections_expire_and_non_hellos_open_nothing() {
    let mut table = DtlsTable::new(DtlsConfig::default());
    let mut events = Vec::new();
    let (d, _) = client_hello_datagram(5000);
    table.datagram(&d, Timestamp::new(1_700_000_000, 0, 6), &mut |ev| events.push(format!("{ev:?}")));
    assert_eq!(table.open_connections(), 1);
    // Epoch-0 application data from unknown addresses (no DTLS sends that): no state.
    let stray = Box::leak(record_bytes(23, 0, 9, &[0; 30]).into_boxed_slice());
    let s = UdpDatagram { src: SocketAddr::from(([10, 0, 0, 9], 1)), dst: d.dst, payload: stray };
    table.datagram(&s, Timestamp::new(1_700_000_001, 0, 6), &mut |ev| events.push(format!("{ev:?}")));
    assert_eq!(table.open_connections(), 1);
    // The server answers: the same connection, from the responder.
    let answer = Box::leak(record_bytes(22, 0, 0, &frag(3, 0, 3, 0, b"\xfe\xff\x00")).into_boxed_slice());
    let a = UdpDatagram { src: d.dst, dst: d.src, payload: answer };
    let mut from = None;
    table.datagram(&a, Timestamp::new(1_700_000_002, 0, 6), &mut |ev| {
        if let DtlsEvent::Record { from: f, .. } = ev {
            from = Some(f)
        }
    });
    assert_eq!(from, Some(Side::Responder));
    table.datagram(&s, Timestamp::new(1_700_000_100, 0, 6), &mut |ev| events.push(format!("{ev:?}")));
    assert_eq!(table.open_connections(), 0);
    assert!(events.last().unwrap().contains("Timeout"), "{events:?}");
}

#[test]
fn fragment_struct_is_what_the_header_says() {
    let bytes = frag(11, 7, 1000, 200, b"abc");
    assert_eq!(
        fragments(&bytes).unwrap(),
        [Fragment { msg_type: 11, length: 1000, message_seq: 7, offset: 200, data: b"abc" }]
    );
}

#[test]
fn unified_headers_split_with_and_without_connection_ids() {
    // 001 C=0 S=1 L=1 EE=2: 16-bit sequence number and a length; then 001 C=0 S=0 L=0 EE=3:
    // 8-bit sequence number, running to the end of the datagram.
    let mut d = vec![0x2e, 0x12, 0x34, 0x00, 0x14];
    d.extend([0xaa; 20]);
    d.extend([0x23, 0x07]);
    d.extend([0xbb; 17]);
    let (recs, whole) = records(&d, None);
    assert!(whole);
    assert_eq!(recs.len(), 2);
    let u = recs[0].unified.unwrap();
    assert_eq!((recs[0].epoch, recs[0].seq, recs[0].payload.len()), (2, 0x1234, 20));
    assert_eq!((u.header, u.seq_len, u.length_present, u.seq_at()), (&d[..5], 2, true, 1));
    let u = recs[1].unified.unwrap();
    assert_eq!((recs[1].epoch, recs[1].seq, recs[1].payload.len(), u.length_present), (3, 7, 17, false));
    assert_eq!(recs[1].version, DTLS13_VERSION);
    // A plaintext record then a unified one with a 2-byte connection id.
    let mut d = record_bytes(22, 0, 1, &frag(2, 1, 1, 0, b"x"));
    d.extend([0x3e, 0x51, 0x52, 0x00, 0x09, 0x00, 0x10]);
    d.extend([0xcc; 16]);
    let (recs, whole) = records(&d, Some(2));
    assert!(whole);
    assert_eq!(recs[1].unified.unwrap().cid, [0x51, 0x52]);
    assert_eq!(recs[1].unified.unwrap().seq_at(), 3);
    // The connection id's length unknown: the list stops there.
    let (recs, whole) = records(&d, None);
    assert_eq!((recs.len(), whole), (1, false));
}

#[test]
fn hostile_unified_headers_never_panic() {
    for bytes in [
        &[0x20][..],
        &[0x2c, 0x01],
        &[0x2c, 0x01, 0x02, 0x00],
        &[0x2c, 0x01, 0x02, 0xff, 0xff, 0x00],
        &[0x3f, 0x01],
        &[0x24, 0x00, 0x00],
    ] {
        for cid in [None, Some(0), Some(1), Some(255)] {
            let (recs, whole) = records(bytes, cid);
            assert!(!whole || recs.iter().all(|r| r.unified.is_some()), "{bytes:?}");
        }
    }
    // Every prefix of a good datagram and every first byte.
    let good = [0x2e, 0x12, 0x34, 0x00, 0x04, 1, 2, 3, 4];
    for n in 0..good.len() {
        let _ = records(&good[..n], Some(3));
    }
    for b in 0..=255u8 {
        let _ = records(&[b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], Some(1));
    }
}

#[test]
fn a_connection_caught_midway_opens_on_plausible_records_only() {
    let open = |payload: Vec<u8>| {
        let mut table = DtlsTable::new(DtlsConfig::default());
        let leaked: &'static [u8] = Box::leak(payload.into_boxed_slice());
        let d = UdpDatagram {
            src: SocketAddr::from(([10, 0, 0, 1], 40000)),
            dst: SocketAddr::from(([10, 0, 0, 2], 4433)),
            payload: leaked,
        };
        let mut midway = None;
        table.datagram(&d, Timestamp::new(1_700_000_000, 0, 6), &mut |ev| {
            if let DtlsEvent::Opened { midway: m, .. } = ev {
                midway = Some(m)
            }
        });
        midway
    };
    // ClientKeyExchange, ChangeCipherSpec, an epoch-1 Finished: what OpenSSL's client sends.
    let mut flight = record_bytes(22, 0, 3, &frag(16, 2, 3, 0, b"abc"));
    flight.extend(record_bytes(20, 0, 4, &[1]));
    flight.extend(record_bytes(22, 1, 0, &[7; 48]));
    assert_eq!(open(flight.clone()), Some(true));
    assert_eq!(open(record_bytes(22, 0, 5, &frag(11, 1, 9, 3, b"cert"))), Some(true), "a Certificate fragment");
    assert_eq!(open(record_bytes(23, 1, 9, &[0; 30])), Some(true), "application data");
    assert_eq!(open(record_bytes(22, 0, 0, &frag(1, 0, 1, 0, b"x"))), Some(false), "a ClientHello");
    // Not plausible: a tail that does not frame, a long ChangeCipherSpec, a handshake type no
    // connection sends midway, a short protected record, epoch-0 application data, a far epoch.
    let mut cut = flight.clone();
    cut.push(0);
    for bad in [
        cut,
        record_bytes(20, 0, 4, &[1, 1]),
        record_bytes(22, 0, 5, &frag(99, 1, 3, 0, b"abc")),
        record_bytes(22, 1, 0, &[7; 8]),
        record_bytes(23, 0, 9, &[0; 30]),
        record_bytes(23, 300, 9, &[0; 30]),
    ] {
        assert_eq!(open(bad.clone()), None, "{bad:?}");
    }
}

#[test]
fn the_connection_id_extension_of_the_hellos() {
    // ServerHello: version, random, empty session id, suite, compression, extensions.
    let mut sh = vec![0xfe, 0xfd];
    sh.extend([0; 32]);
    sh.extend([0, 0x13, 0x01, 0]);
    let exts = [0x00, 0x36, 0x00, 0x03, 0x02, 0x51, 0x52];
    sh.extend((exts.len() as u16).to_be_bytes());
    sh.extend(exts);
    assert_eq!(hello_connection_id(2, &sh), Some(&[0x51, 0x52][..]));
    assert_eq!(hello_connection_id(2, &sh[..sh.len() - 1]), None);
    assert_eq!(hello_connection_id(11, &sh), None);
    // The server asked for 5152 in its ServerHello: the client's unified headers carry 2 bytes.
    let mut table = DtlsTable::new(DtlsConfig::default());
    let (ch, _) = client_hello_datagram(6000);
    table.datagram(&ch, Timestamp::new(1_700_000_000, 0, 6), &mut |_| {});
    let answer: &'static [u8] =
        Box::leak(record_bytes(22, 0, 0, &frag(2, 0, sh.len() as u32, 0, &sh)).into_boxed_slice());
    let a = UdpDatagram { src: ch.dst, dst: ch.src, payload: answer };
    table.datagram(&a, Timestamp::new(1_700_000_000, 0, 6), &mut |_| {});
    let mut unified = vec![0x3e, 0x51, 0x52, 0x00, 0x01, 0x00, 0x10];
    unified.extend([0; 16]);
    let leaked: &'static [u8] = Box::leak(unified.into_boxed_slice());
    let u = UdpDatagram { src: ch.src, dst: ch.dst, payload: leaked };
    assert!(table.knows(&u));
    let mut cid = None;
    table.datagram(&u, Timestamp::new(1_700_000_000, 0, 6), &mut |ev| {
        if let DtlsEvent::Record { record, .. } = ev {
            cid = record.unified.map(|h| h.cid.to_vec());
        }
    });
    assert_eq!(cid, Some(vec![0x51, 0x52]));
    assert_eq!(table.stats().unified_records, 1);
}

#[test]
fn a_pre_standard_change_cipher_spec_takes_a_message_seq() {
    let mut asm = Reassembler::default();
    let mut got = Vec::new();
    for f in fragments(&frag(16, 2, 1, 0, b"k")).unwrap() {
        asm.push(&f, 1 << 16, &mut |d| got.push(format!("{d:?}")));
    }
    // The Finished (message_seq 4) waits for 3, which the ChangeCipherSpec takes.
    for f in fragments(&frag(20, 4, 1, 0, b"f")).unwrap() {
        asm.push(&f, 1 << 16, &mut |d| got.push(format!("{d:?}")));
    }
    assert_eq!(got.len(), 1);
    asm.consume(3, &mut |d| got.push(format!("{d:?}")));
    assert_eq!(got.len(), 2);
    assert!(got[1].contains("msg_type: 20"), "{got:?}");
    // A number that is not next changes nothing.
    asm.consume(9, &mut |d| got.push(format!("{d:?}")));
    assert_eq!(got.len(), 2);
}
