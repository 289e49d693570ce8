//! Record decryption tests: RFC 8448 vectors, OpenSSL sessions captured for this module (one per
//! cipher mode), the Illustrated TLS 1.2 connection, and the shared corpus captures with key logs
//! when the corpus is present. The capture tests drive the API the way the connection layer does,
//! record by record.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::testvectors::rfc8448;
use super::*;

// ---------------------------------------------------------------------------------------------
// RFC 8448 section 3.

fn split_record(record: &[u8]) -> (u8, u16, &[u8]) {
    (record[0], u16::from_be_bytes([record[1], record[2]]), &record[5..])
}

#[test]
fn rfc8448_server_flight_decrypts_to_the_rfc_messages() {
    let v = rfc8448();
    let mut dec = RecordDecryptor::tls13(0x1301, &v["server_hs_secret"]).unwrap();
    let (ct, version, payload) = split_record(&v["server_flight_record"]);
    let plain = dec.decrypt(ct, version, payload).unwrap();
    assert_eq!(plain.content_type, 22);
    let expected = [&v["encrypted_extensions"], &v["certificate"], &v["certificate_verify"], &v["server_finished"]]
        .map(|m| &m[..])
        .concat();
    assert_eq!(plain.data, expected);
    assert_eq!(dec.seq(), 1);

    // The server Finished inside the flight proves the transcript.
    let mut transcript = Transcript::new();
    for m in ["client_hello", "server_hello", "encrypted_extensions", "certificate", "certificate_verify"] {
        transcript.push(&v[m]);
    }
    let th = transcript.hash(HashAlg::Sha256).unwrap();
    let finished_body = &plain.data[plain.data.len() - 32..];
    assert_eq!(finished_body, &v["server_verify_data"][..]);
    assert!(tls13::verify_finished(HashAlg::Sha256, &v["server_hs_secret"], &th, finished_body));
}

#[test]
fn rfc8448_client_records() {
    let v = rfc8448();
    let mut hs = RecordDecryptor::tls13(0x1301, &v["client_hs_secret"]).unwrap();
    let (ct, version, payload) = split_record(&v["client_finished_record"]);
    let plain = hs.decrypt(ct, version, payload).unwrap();
    assert_eq!(plain.content_type, 22);
    assert_eq!(plain.data, [&[0x14, 0, 0, 0x20][..], &v["client_verify_data"]].concat());

    let mut app = RecordDecryptor::tls13(0x1301, &v["client_app_secret"]).unwrap();
    let (ct, version, payload) = split_record(&v["client_app_record"]);
    let plain = app.decrypt(ct, version, payload).unwrap();
    assert_eq!(plain.content_type, 23);
    assert_eq!(plain.data, (0u8..=0x31).collect::<Vec<u8>>());
}

#[test]
fn rfc8448_server_app_record_needs_its_sequence_number() {
    let v = rfc8448();
    let (ct, version, payload) = split_record(&v["server_app_record_seq1"]);
    let mut dec = RecordDecryptor::tls13(0x1301, &v["server_app_secret"]).unwrap();
    // At sequence 0 the nonce is wrong: an error, and the state does not move.
    assert_eq!(dec.decrypt(ct, version, payload), Err(DecryptError::BadRecordMac));
    assert_eq!(dec.seq(), 0);
    dec.set_seq(1);
    let plain = dec.decrypt(ct, version, payload).unwrap();
    assert_eq!((plain.content_type, plain.data.len(), dec.seq()), (23, 50, 2));
}

#[test]
fn rfc8448_wrong_key_and_tampering_fail() {
    let v = rfc8448();
    let (ct, version, payload) = split_record(&v["server_flight_record"]);
    let mut wrong = RecordDecryptor::tls13(0x1301, &v["client_hs_secret"]).unwrap();
    assert_eq!(wrong.decrypt(ct, version, payload), Err(DecryptError::BadRecordMac));
    let mut dec = RecordDecryptor::tls13(0x1301, &v["server_hs_secret"]).unwrap();
    let mut tampered = payload.to_vec();
    tampered[100] ^= 1;
    assert_eq!(dec.decrypt(ct, version, &tampered), Err(DecryptError::BadRecordMac));
    // The header is authenticated too.
    assert_eq!(dec.decrypt(ct, 0x0301, payload), Err(DecryptError::BadRecordMac));
    assert_eq!(dec.decrypt(22, version, payload), Err(DecryptError::NotProtected(22)));
    assert!(matches!(dec.decrypt(ct, version, &payload[..10]), Err(DecryptError::Malformed { len: 10, .. })));
    assert!(matches!(dec.decrypt(ct, version, &vec![0u8; 17_000]), Err(DecryptError::RecordOverflow { .. })));
    assert!(dec.decrypt(ct, version, payload).is_ok());
}

#[test]
fn constructors_refuse_what_they_cannot_do() {
    let v = rfc8448();
    assert!(RecordDecryptor::tls13(0xC02F, &v["server_hs_secret"]).is_none());
    assert!(RecordDecryptor::tls13(0x1302, &v["server_hs_secret"]).is_none(), "SHA-384 suite needs 48 bytes");
    assert!(RecordDecryptor::tls13(0x1306, &v["server_hs_secret"]).is_none());
    let (m, r) = ([1u8; 48], [2u8; 32]);
    assert!(RecordDecryptor::tls12(0xC02F, 0x0303, &m, &r, &r, true, false).is_some());
    assert!(RecordDecryptor::tls12(0xC02F, 0x0300, &m, &r, &r, true, false).is_none(), "SSLv3");
    assert!(RecordDecryptor::tls12(0xC02F, 0x0304, &m, &r, &r, true, false).is_none());
    assert!(RecordDecryptor::tls12(0x1301, 0x0303, &m, &r, &r, true, false).is_none());
    assert!(RecordDecryptor::tls12(0xC102, 0x0303, &m, &r, &r, true, false).is_none(), "GOST unsupported");
    assert!(RecordDecryptor::tls12(0x0005, 0x0300, &m, &r, &r, true, false).is_some(), "SSL 3.0 RC4");
    assert!(RecordDecryptor::tls12(0xC02F, 0x0303, &m[..47], &r, &r, true, false).is_none());
    let mut tls12 = RecordDecryptor::tls12(0xC013, 0x0303, &m, &r, &r, false, true).unwrap();
    assert!(!tls12.key_update());
    assert!(!tls12.is_tls13());
}

// ---------------------------------------------------------------------------------------------
// 3DES has no live capture here (this OpenSSL build lacks it): build records with the cipher
// crates and check both MAC orders and TLS 1.0's IV chaining.

/// (encryption key, IV, MAC key)
type TdesKeys<'a> = (&'a [u8], &'a [u8], &'a [u8]);

fn tdes_record(
    (key, iv, mac_key): TdesKeys,
    seq: u64,
    version: u16,
    content: &[u8],
    explicit_iv: bool,
    etm: bool,
) -> Vec<u8> {
    use cbc::cipher::block_padding::NoPadding;
    use cbc::cipher::{BlockEncryptMut, KeyIvInit};
    let mac_input = |len: usize, body: &[u8]| {
        let mut h = seq.to_be_bytes().to_vec();
        h.extend_from_slice(&[23, (version >> 8) as u8, version as u8, (len >> 8) as u8, len as u8]);
        h.extend_from_slice(body);
        h
    };
    let mut plain = content.to_vec();
    if !etm {
        plain.extend(HashAlg::Sha1.hmac(mac_key, &[&mac_input(content.len(), content)]));
    }
    let pad = 8 - (plain.len() + 1) % 8;
    plain.extend(std::iter::repeat_n(pad as u8, pad + 1));
    let enc = cbc::Encryptor::<des::TdesEde3>::new_from_slices(key, iv).unwrap();
    let len = plain.len();
    let mut buf = plain.clone();
    enc.encrypt_padded_mut::<NoPadding>(&mut buf, len).unwrap();
    let mut record = if explicit_iv { iv.to_vec() } else { Vec::new() };
    record.extend_from_slice(&buf);
    if etm {
        let tag = HashAlg::Sha1.hmac(mac_key, &[&mac_input(record.len(), &record)]);
        record.extend(tag);
    }
    record
}

#[test]
fn triple_des_cbc_records() {
    let (master, cr, sr) = ([9u8; 48], [1u8; 32], [2u8; 32]);
    let suite = suite(0xC012).unwrap(); // ECDHE_RSA_WITH_3DES_EDE_CBC_SHA
    for (version, etm) in [(0x0303, false), (0x0303, true), (0x0301, false), (0x0301, true)] {
        let kb = tls12::key_block(&suite, version, &master, &cr, &sr).unwrap();
        let mut dec = RecordDecryptor::tls12(0xC012, version, &master, &cr, &sr, true, etm).unwrap();
        let explicit = version != 0x0301;
        let first_iv = if explicit { vec![0x42; 8] } else { kb.client_iv.clone() };
        let r1 =
            tdes_record((&kb.client_key, &first_iv, &kb.client_mac_key), 0, version, b"first record", explicit, etm);
        // TLS 1.0 chains: the next IV is the last ciphertext block of this record.
        let body_end = if etm { r1.len() - 20 } else { r1.len() };
        let chained = r1[body_end - 8..body_end].to_vec();
        let second_iv = if explicit { vec![0x17; 8] } else { chained };
        let r2 =
            tdes_record((&kb.client_key, &second_iv, &kb.client_mac_key), 1, version, b"second one", explicit, etm);
        assert_eq!(dec.decrypt(23, version, &r1).unwrap().data, b"first record", "{version:#x} etm={etm}");
        assert_eq!(dec.decrypt(23, version, &r2).unwrap().data, b"second one", "{version:#x} etm={etm}");
        // Replaying a record (wrong sequence number) fails the MAC.
        assert_eq!(dec.decrypt(23, version, &r2), Err(DecryptError::BadRecordMac));
        // Server keys cannot read client records.
        let mut server = RecordDecryptor::tls12(0xC012, version, &master, &cr, &sr, false, etm).unwrap();
        assert_eq!(server.decrypt(23, version, &r1), Err(DecryptError::BadRecordMac));
    }
}

// ---------------------------------------------------------------------------------------------
// A minimal capture reader and TLS connection driver for the tests (the real pipeline lives in
// the source/tcp/tls/conn modules; this one only needs in-order loopback or clean captures).

type Endpoint = (Vec<u8>, u16);

struct Segment {
    src: Endpoint,
    dst: Endpoint,
    seq: u32,
    syn: bool,
    payload: Vec<u8>,
}

fn read_segments(path: &Path) -> Vec<Segment> {
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};
    let bytes = std::fs::read(path).unwrap();
    let capture = pcap_parser::PcapCapture::from_file(&bytes).unwrap();
    let link = capture.header.network.0;
    let mut out = Vec::new();
    for block in &capture.blocks {
        let packet = match link {
            1 => SlicedPacket::from_ethernet(block.data),
            0 => SlicedPacket::from_ip(&block.data[4..]), // BSD loopback: 4-byte family header
            101 => SlicedPacket::from_ip(block.data),
            other => panic!("link type {other} not handled by the test reader"),
        };
        let Ok(packet) = packet else { continue };
        let (src, dst) = match &packet.net {
            Some(NetSlice::Ipv4(ip)) => (ip.header().source().to_vec(), ip.header().destination().to_vec()),
            Some(NetSlice::Ipv6(ip)) => (ip.header().source().to_vec(), ip.header().destination().to_vec()),
            _ => continue,
        };
        let Some(TransportSlice::Tcp(tcp)) = &packet.transport else { continue };
        out.push(Segment {
            src: (src, tcp.source_port()),
            dst: (dst, tcp.destination_port()),
            seq: tcp.sequence_number(),
            syn: tcp.syn(),
            payload: tcp.payload().to_vec(),
        });
    }
    out
}

/// In-order bytes of one TCP direction.
#[derive(Default)]
struct Reassembly {
    next: Option<u32>,
    out_of_order: BTreeMap<u32, Vec<u8>>,
    bytes: Vec<u8>,
}

impl Reassembly {
    fn add(&mut self, seq: u32, syn: bool, payload: &[u8]) {
        let start = if syn { seq.wrapping_add(1) } else { seq };
        let next = *self.next.get_or_insert(start);
        if payload.is_empty() {
            return;
        }
        let offset = start.wrapping_sub(next) as i32;
        if offset > 0 {
            self.out_of_order.insert(start, payload.to_vec());
            return;
        }
        let skip = (-offset) as usize;
        if skip < payload.len() {
            self.bytes.extend_from_slice(&payload[skip..]);
            self.next = Some(next.wrapping_add((payload.len() - skip) as u32));
        }
        while let Some((&s, _)) = self.out_of_order.first_key_value() {
            if (s.wrapping_sub(self.next.unwrap()) as i32) > 0 {
                break;
            }
            let data = self.out_of_order.remove(&s).unwrap();
            self.add(s, false, &data);
        }
    }

    /// Complete records at the front, consumed.
    fn take_records(&mut self) -> Vec<(u8, u16, Vec<u8>)> {
        let mut out = Vec::new();
        let mut at = 0;
        while self.bytes.len() >= at + 5 {
            let len = u16::from_be_bytes([self.bytes[at + 3], self.bytes[at + 4]]) as usize;
            if self.bytes.len() < at + 5 + len {
                break;
            }
            let version = u16::from_be_bytes([self.bytes[at + 1], self.bytes[at + 2]]);
            out.push((self.bytes[at], version, self.bytes[at + 5..at + 5 + len].to_vec()));
            at += 5 + len;
        }
        self.bytes.drain(..at);
        out
    }
}

const CLIENT: usize = 0;
const SERVER: usize = 1;

/// What one connection's decryption achieved.
#[derive(Debug, Default)]
struct Outcome {
    suite: u16,
    version: u16,
    /// The key log had an entry for this connection's client random.
    had_secrets: bool,
    encrypt_then_mac: bool,
    hello_retry: bool,
    /// Finished verification per side (client, server).
    finished_ok: [Option<bool>; 2],
    app_data: [Vec<u8>; 2],
    records_decrypted: [usize; 2],
    key_updates: [usize; 2],
    errors: Vec<String>,
    /// Handshake message types seen, per side, including decrypted ones.
    handshake_types: [Vec<u8>; 2],
}

/// Drives the crypto API through one connection, the way the connection layer would.
struct Driver<'k> {
    keylog: &'k KeyLog,
    client_random: Option<[u8; 32]>,
    server_random: Option<[u8; 32]>,
    secrets: Option<Secrets>,
    transcript: Transcript,
    handshake_buf: [Vec<u8>; 2],
    decryptors: [Option<RecordDecryptor>; 2],
    handshake_done: bool,
    out: Outcome,
}

impl<'k> Driver<'k> {
    fn new(keylog: &'k KeyLog) -> Self {
        Driver {
            keylog,
            client_random: None,
            server_random: None,
            secrets: None,
            transcript: Transcript::new(),
            handshake_buf: [Vec::new(), Vec::new()],
            decryptors: [None, None],
            handshake_done: false,
            out: Outcome::default(),
        }
    }

    fn tls13(&self) -> bool {
        self.out.version == 0x0304
    }

    fn record(&mut self, side: usize, content_type: u8, version: u16, payload: &[u8]) {
        let protected = match &self.decryptors[side] {
            Some(d) => !d.is_tls13() || content_type == 23,
            None => false,
        };
        let (content_type, data) = if protected {
            match self.decryptors[side].as_mut().unwrap().decrypt(content_type, version, payload) {
                Ok(plain) => {
                    self.out.records_decrypted[side] += 1;
                    (plain.content_type, plain.data)
                }
                Err(e) => {
                    self.out.errors.push(format!("side {side} record type {content_type}: {e}"));
                    return;
                }
            }
        } else {
            (content_type, payload.to_vec())
        };
        match content_type {
            20 if !self.tls13() => self.change_cipher_spec(side),
            22 => {
                self.handshake_buf[side].extend_from_slice(&data);
                while self.handshake_buf[side].len() >= 4 {
                    let b = &self.handshake_buf[side];
                    let len = u32::from_be_bytes([0, b[1], b[2], b[3]]) as usize;
                    if b.len() < 4 + len {
                        break;
                    }
                    let message: Vec<u8> = self.handshake_buf[side].drain(..4 + len).collect();
                    self.handshake(side, &message);
                }
            }
            23 => self.out.app_data[side].extend_from_slice(&data),
            _ => {}
        }
    }

    fn change_cipher_spec(&mut self, side: usize) {
        let (Some(cr), Some(sr), Some(master)) =
            (self.client_random, self.server_random, self.secrets.as_ref().and_then(|s| s.master_secret.clone()))
        else {
            self.out.errors.push("ChangeCipherSpec without keys".into());
            return;
        };
        let d = RecordDecryptor::tls12(
            self.out.suite,
            self.out.version,
            &master,
            &cr,
            &sr,
            side == CLIENT,
            self.out.encrypt_then_mac,
        );
        if d.is_none() {
            self.out.errors.push(format!("no TLS <= 1.2 decryptor for suite {:#06x}", self.out.suite));
        }
        self.decryptors[side] = d;
    }

    fn tls13_decryptor(&mut self, secret: Option<Vec<u8>>, what: &str) -> Option<RecordDecryptor> {
        let d = secret.and_then(|s| RecordDecryptor::tls13(self.out.suite, &s));
        if d.is_none() {
            self.out.errors.push(format!("no {what} decryptor"));
        }
        d
    }

    fn handshake(&mut self, side: usize, message: &[u8]) {
        let msg_type = message[0];
        let body = &message[4..];
        self.out.handshake_types[side].push(msg_type);
        let mut install_handshake_keys = false;
        match msg_type {
            1 => {
                self.client_random = Some(body[2..34].try_into().unwrap());
                self.secrets = self.keylog.get(&body[2..34]).cloned();
                self.out.had_secrets = self.secrets.is_some();
            }
            2 if transcript::is_hello_retry_request(message) => {
                // Its supported_versions already says TLS 1.3 (so its CCS is not TLS 1.2's).
                self.out.hello_retry = true;
                self.server_hello(body);
            }
            2 => {
                self.server_random = Some(body[2..34].try_into().unwrap());
                self.server_hello(body);
                install_handshake_keys = self.tls13();
            }
            20 => self.finished(side, body),
            24 if self.tls13() => {
                self.out.key_updates[side] += 1;
                assert!(self.decryptors[side].as_mut().unwrap().key_update());
            }
            _ => {}
        }
        if !self.handshake_done {
            self.transcript.push(message);
        }
        if install_handshake_keys {
            let secrets = self.secrets.clone().unwrap_or_default();
            self.decryptors[SERVER] = self.tls13_decryptor(secrets.server_handshake, "server handshake");
            self.decryptors[CLIENT] = self.tls13_decryptor(secrets.client_handshake, "client handshake");
        }
    }

    fn server_hello(&mut self, body: &[u8]) {
        let sid_len = body[34] as usize;
        let mut at = 35 + sid_len;
        self.out.suite = u16::from_be_bytes([body[at], body[at + 1]]);
        self.out.version = u16::from_be_bytes([body[0], body[1]]);
        at += 3;
        if at + 2 > body.len() {
            return;
        }
        let ext_end = at + 2 + u16::from_be_bytes([body[at], body[at + 1]]) as usize;
        at += 2;
        while at + 4 <= ext_end {
            let ext = u16::from_be_bytes([body[at], body[at + 1]]);
            let len = u16::from_be_bytes([body[at + 2], body[at + 3]]) as usize;
            let data = &body[at + 4..at + 4 + len];
            match ext {
                0x002b => self.out.version = u16::from_be_bytes([data[0], data[1]]),
                0x0016 => self.out.encrypt_then_mac = true,
                _ => {}
            }
            at += 4 + len;
        }
    }

    fn finished(&mut self, side: usize, verify_data: &[u8]) {
        let Some(secrets) = self.secrets.clone() else { return };
        let suite = suite(self.out.suite).unwrap();
        let ok = if self.tls13() {
            let base = secrets.handshake_secret(side == CLIENT).unwrap();
            let th = self.transcript.hash(suite.prf_hash).unwrap();
            tls13::verify_finished(suite.prf_hash, base, &th, verify_data)
        } else {
            let hash = tls12::finished_hash(self.out.version, suite.prf_hash, &self.transcript).unwrap();
            let master = secrets.master_secret.as_deref().unwrap();
            tls12::verify_finished(self.out.version, suite.prf_hash, master, side == CLIENT, &hash, verify_data)
        };
        self.out.finished_ok[side] = Some(ok);
        if self.tls13() {
            // After its Finished, each side switches to its application traffic secret.
            let secret = secrets.app_secret(side == CLIENT).map(<[u8]>::to_vec);
            let d = self.tls13_decryptor(secret, "application");
            self.decryptors[side] = d;
        }
        // TLS 1.3 ends with the client's Finished, TLS <= 1.2 with the second Finished.
        if self.out.finished_ok.iter().all(Option::is_some) {
            self.handshake_done = true;
        }
    }
}

/// Decrypts every TLS connection of a capture with `keylog`; outcomes keyed by server port.
fn decrypt_capture(path: &Path, keylog: &KeyLog) -> Vec<(u16, Outcome)> {
    struct Conn<'k> {
        client: Endpoint,
        server_port: u16,
        streams: [Reassembly; 2],
        driver: Driver<'k>,
    }
    let mut conns: Vec<Conn> = Vec::new();
    let mut index: HashMap<(Endpoint, Endpoint), usize> = HashMap::new();
    for seg in read_segments(path) {
        let key =
            if seg.src < seg.dst { (seg.src.clone(), seg.dst.clone()) } else { (seg.dst.clone(), seg.src.clone()) };
        let i = *index.entry(key).or_insert_with(|| {
            // The side sending the first SYN (or, without one, the first segment) is the client.
            conns.push(Conn {
                client: seg.src.clone(),
                server_port: seg.dst.1,
                streams: [Reassembly::default(), Reassembly::default()],
                driver: Driver::new(keylog),
            });
            conns.len() - 1
        });
        let conn = &mut conns[i];
        let side = if seg.src == conn.client { CLIENT } else { SERVER };
        conn.streams[side].add(seg.seq, seg.syn, &seg.payload);
        for (ct, version, payload) in conn.streams[side].take_records() {
            conn.driver.record(side, ct, version, &payload);
        }
    }
    conns.into_iter().filter(|c| c.driver.client_random.is_some()).map(|c| (c.server_port, c.driver.out)).collect()
}

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/crypto/testdata").join(name)
}

#[test]
fn openssl_sessions_every_cipher_mode() {
    let (keylog, issues) = KeyLog::load(&testdata("openssl_sessions.keylog")).unwrap();
    assert_eq!(issues, vec![]);
    assert_eq!(keylog.skipped_lines(), 2, "the two CLIENT_TRAFFIC_SECRET_N lines");
    let outcomes = decrypt_capture(&testdata("openssl_sessions.pcap"), &keylog);
    // port -> (suite, version, encrypt_then_mac, key update, HelloRetryRequest)
    let expected: [(u16, u16, u16, bool, bool, bool); 13] = [
        (45001, 0xCCA9, 0x0303, false, false, false),
        (45002, 0xC0AC, 0x0303, false, false, false),
        (45003, 0xC0AF, 0x0303, false, false, false),
        (45004, 0xC02B, 0x0303, false, false, false),
        (45005, 0xC024, 0x0303, true, false, false),
        (45006, 0xC009, 0x0303, false, false, false),
        (45007, 0xC009, 0x0302, true, false, false),
        (45008, 0xC00A, 0x0301, false, false, false),
        (45009, 0xC009, 0x0301, true, false, false),
        (45010, 0x1304, 0x0304, false, false, false),
        (45011, 0x1305, 0x0304, false, false, false),
        (45012, 0x1303, 0x0304, false, true, false),
        (45013, 0x1302, 0x0304, false, true, true),
    ];
    assert_eq!(outcomes.len(), expected.len());
    for (port, suite, version, etm, key_update, hrr) in expected {
        let (_, out) = outcomes.iter().find(|(p, _)| *p == port).unwrap();
        let what = format!("port {port}: {out:?}");
        assert_eq!(
            (out.suite, out.version, out.encrypt_then_mac, out.hello_retry),
            (suite, version, etm, hrr),
            "{what}"
        );
        assert_eq!(out.errors, Vec::<String>::new(), "{what}");
        assert_eq!(out.finished_ok, [Some(true), Some(true)], "{what}");
        let mut client_text = format!("client says hello {port}\n");
        if key_update {
            client_text.push_str(&format!("after key update {port}\n"));
        }
        assert_eq!(String::from_utf8_lossy(&out.app_data[CLIENT]), client_text, "{what}");
        assert_eq!(String::from_utf8_lossy(&out.app_data[SERVER]), format!("server says hello {port}\n"), "{what}");
        assert_eq!(out.key_updates, [usize::from(key_update), 0], "{what}");
        if version == 0x0304 {
            // EncryptedExtensions, Certificate, CertificateVerify, Finished came out of records.
            assert!(out.handshake_types[SERVER].windows(5).any(|w| w == [2, 8, 11, 15, 20]), "{what}");
        }
    }
}

#[test]
fn openssl_sessions_wrong_keys_fail_cleanly() {
    let text = std::fs::read_to_string(testdata("openssl_sessions.keylog")).unwrap();
    // Flip one hex digit of every secret: no record may decrypt.
    let broken: String = text
        .lines()
        .map(|line| {
            if line.starts_with('#') {
                return format!("{line}\n");
            }
            let mut chars: Vec<char> = line.chars().collect();
            let last = chars.len() - 1;
            chars[last] = if chars[last] == '0' { '1' } else { '0' };
            format!("{}\n", chars.into_iter().collect::<String>())
        })
        .collect();
    let (keylog, _) = KeyLog::parse(broken.as_bytes());
    let outcomes = decrypt_capture(&testdata("openssl_sessions.pcap"), &keylog);
    for (port, out) in outcomes {
        assert_eq!(out.records_decrypted, [0, 0], "port {port}");
        assert!(out.app_data.iter().all(Vec::is_empty), "port {port}");
        assert!(
            !out.errors.is_empty() && out.errors.iter().all(|e| e.contains("bad record MAC")),
            "port {port}: {:?}",
            out.errors
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The shared corpus captures that come with key logs, when the corpus is present.

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

#[test]
fn corpus_captures_with_key_logs() {
    let Some(dir) = corpus() else {
        eprintln!("corpus decryption test SKIPPED: ../shared/corpus not found");
        return;
    };
    // capture, key log, expected (suite, version) of its connections (None: several), whether
    // KeyUpdates happen, connections the key log covers.
    type Case = (&'static str, &'static str, Option<(u16, u16)>, bool, usize);
    let cases: [Case; 13] = [
        ("ssldump/tls1.2_aes256.pcap", "ssldump/log.txt", Some((0xC02C, 0x0303)), false, 1),
        ("ssldump/tls1.3_aes128.pcap", "ssldump/log.txt", Some((0x1301, 0x0304)), false, 1),
        ("ssldump/tls1.3_aes256gcm.pcap", "ssldump/log.txt", Some((0x1302, 0x0304)), true, 1),
        ("ssldump/tls1.3_ccm.pcap", "ssldump/log.txt", Some((0x1304, 0x0304)), false, 1),
        ("ssldump/tls1.3_ccm8.pcap", "ssldump/log.txt", Some((0x1305, 0x0304)), false, 1),
        ("ssldump/tls1.3_chacha.pcap", "ssldump/log.txt", Some((0x1303, 0x0304)), false, 1),
        ("ssldump/tls1.3_keyupdates_aes256.pcap", "ssldump/log.txt", Some((0x1302, 0x0304)), true, 1),
        ("ssldump/tls1.3_session_resumption.pcap", "ssldump/log.txt", Some((0x1302, 0x0304)), false, 1),
        ("ssldump/tls1.3_curl_google.pcap", "ssldump/log.txt", Some((0x1302, 0x0304)), false, 1),
        ("zeek/tls/tls12-decryption.pcap", "zeek/tls/tls12-decryption.pcap.keys", Some((0xC030, 0x0303)), false, 1),
        (
            "illustrated-tls12/captures/capture.pcap",
            "illustrated-tls12/captures/keylog.txt",
            Some((0xC013, 0x0303)),
            false,
            1,
        ),
        (
            "illustrated-tls13/captures/capture.pcap",
            "illustrated-tls13/captures/keylog.txt",
            Some((0x1302, 0x0304)),
            false,
            1,
        ),
        // Its key log covers the TLS 1.3 connections only.
        ("mercury/test/data/test_decrypt.pcap", "mercury/test/data/sslkeylogfile.log", None, false, 16),
    ];
    for (capture, log, suite_version, key_updates, covered) in cases {
        let (keylog, issues) = KeyLog::load(&dir.join(log)).unwrap();
        assert_eq!(issues, vec![], "{log}");
        let outcomes = decrypt_capture(&dir.join(capture), &keylog);
        let decrypted: Vec<&(u16, Outcome)> = outcomes.iter().filter(|(_, o)| o.had_secrets).collect();
        assert_eq!(decrypted.len(), covered, "{capture}");
        for (port, out) in decrypted {
            let what = format!("{capture} port {port}: {out:?}");
            if let Some(expected) = suite_version {
                assert_eq!((out.suite, out.version), expected, "{what}");
            }
            assert_eq!(out.errors, Vec::<String>::new(), "{what}");
            assert_eq!(out.finished_ok, [Some(true), Some(true)], "{what}");
            assert!(out.records_decrypted.iter().all(|n| *n >= 1), "{what}");
            assert!(out.app_data.iter().any(|d| !d.is_empty()), "{what}");
            assert_eq!(out.key_updates.iter().sum::<usize>() > 0, key_updates, "{what}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile input: random payloads through every supported suite must never panic.

#[test]
fn random_payloads_never_panic() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let codes: Vec<u16> = (0..=0xFFFFu16).filter(|c| suite(*c).is_some()).collect();
    assert_eq!(codes.len(), 337);
    let (m, cr, sr) = ([3u8; 48], [4u8; 32], [5u8; 32]);
    for &code in &codes {
        let params = suite(code).unwrap();
        let mut decryptors = Vec::new();
        if params.tls13 {
            decryptors.push(RecordDecryptor::tls13(code, &vec![6u8; params.prf_hash.output_len()]).unwrap());
        } else {
            for version in [0x0300, 0x0301, 0x0302, 0x0303] {
                if version == 0x0300 && params.is_aead() {
                    continue;
                }
                for etm in [false, true] {
                    decryptors.push(RecordDecryptor::tls12(code, version, &m, &cr, &sr, etm, etm).unwrap());
                }
            }
        }
        for dec in &mut decryptors {
            for _ in 0..12 {
                let len = match next() % 4 {
                    0 => (next() % 8) as usize,
                    1 => (next() % 80) as usize,
                    2 => (next() % 2000) as usize,
                    _ => 16_384 + (next() % 3000) as usize,
                };
                let payload: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                let content_type = if next() % 4 == 0 { next() as u8 } else { 23 };
                let result = dec.decrypt(content_type, 0x0303, &payload);
                assert!(result.is_err(), "{code:#06x}: random bytes authenticated");
                assert_eq!(dec.seq(), 0);
            }
        }
    }
    // An exhausted sequence number is reported, not wrapped.
    let mut dec = RecordDecryptor::tls13(0x1301, &[6u8; 32]).unwrap();
    dec.set_seq(u64::MAX);
    assert_eq!(dec.decrypt(23, 0x0303, &[0u8; 40]), Err(DecryptError::SequenceExhausted));
}

// ---------------------------------------------------------------------------------------------
// Legacy ciphers: each block cipher against its specification's test vector (one block CBC with a
// zero IV is the raw block decryption), RC4 against RFC 6229, and the SSL 3.0 and export
// derivations against their definitions.

#[test]
fn legacy_block_ciphers_decrypt_their_test_vectors() {
    use super::record::BlockCipherKey;
    use super::suites::CipherKind::*;
    let cases: [(CipherKind, &str, &str, &str, &str); 8] = [
        // RFC 3713 appendix A.
        (
            Camellia128Cbc,
            "0123456789abcdeffedcba9876543210",
            "0123456789abcdeffedcba9876543210",
            "67673138549669730857065648eabe43",
            "RFC 3713",
        ),
        (
            Camellia256Cbc,
            "0123456789abcdeffedcba987654321000112233445566778899aabbccddeeff",
            "0123456789abcdeffedcba9876543210",
            "9acc237dff16d76c20ef7c919e3a7509",
            "RFC 3713",
        ),
        // RFC 5794 appendix A.
        (
            Aria128Cbc,
            "000102030405060708090a0b0c0d0e0f",
            "00112233445566778899aabbccddeeff",
            "d718fbd6ab644c739da95f3be6451778",
            "RFC 5794",
        ),
        (
            Aria256Cbc,
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "00112233445566778899aabbccddeeff",
            "f92bd7c79fb72e2f2b8f80c1972d24fc",
            "RFC 5794",
        ),
        // RFC 4269 appendix B (the cipher written here).
        (
            SeedCbc,
            "00000000000000000000000000000000",
            "000102030405060708090a0b0c0d0e0f",
            "5ebac6e0054e166819aff1cc6d346cdb",
            "RFC 4269",
        ),
        // The IDEA paper's vector (Lai and Massey), as in every IDEA implementation's tests.
        (IdeaCbc, "00010002000300040005000600070008", "0000000100020003", "11fbed2b01986de5", "IDEA"),
        // The classic DES worked example (key 133457799BBCDFF1, "The DES Algorithm Illustrated").
        (DesCbc, "133457799bbcdff1", "0123456789abcdef", "85e813540f0ab405", "DES"),
        // RFC 2268 section 5, 16-byte key with 128 effective bits (as export RC2 is keyed).
        (Rc2Cbc40, "88bca90e90875a7f0f79c384627bafb2", "0000000000000000", "2269552ab0f85ca6", "RFC 2268"),
    ];
    for (kind, key, plain, cipher, source) in cases {
        let key = hex::decode(key).unwrap();
        let ct = hex::decode(cipher).unwrap();
        let iv = vec![0u8; ct.len()];
        let got = BlockCipherKey::new(kind, &key).unwrap().decrypt(&iv, &ct).unwrap();
        assert_eq!(hex::encode(got), plain, "{} ({source})", kind.name());
        // CBC: the second block is XORed with the first ciphertext block.
        let two = [ct.clone(), ct.clone()].concat();
        let got = BlockCipherKey::new(kind, &key).unwrap().decrypt(&iv, &two).unwrap();
        let second: Vec<u8> = hex::decode(plain).unwrap().iter().zip(&ct).map(|(p, c)| p ^ c).collect();
        assert_eq!(got[ct.len()..], second[..], "{} CBC chaining", kind.name());
    }
    // DES40 keys are 8 bytes once expanded; RC2-40 only after expansion to 16.
    assert!(BlockCipherKey::new(Des40Cbc, &[1u8; 8]).is_some());
    assert!(BlockCipherKey::new(Rc2Cbc40, &[1u8; 5]).is_none());
}

/// A record of a stream or CBC suite sealed by hand (RC4 from the crate, the TLS HMAC or SSL 3.0
/// MAC from their definitions), then opened by the decryptor.
fn seal_stream_record(
    code: u16,
    version: u16,
    kb: &tls12::KeyBlock,
    seq: u64,
    content: &[u8],
    keystream_skip: usize,
) -> Vec<u8> {
    use cbc::cipher::{KeyInit as _, StreamCipher};
    let params = suite(code).unwrap();
    let alg = params.mac.unwrap();
    let mac = if version == 0x0300 {
        let pad = if alg == HashAlg::Md5 { 48 } else { 40 };
        let len = (content.len() as u16).to_be_bytes();
        let inner = alg.digest(&[&kb.client_mac_key, &vec![0x36; pad], &seq.to_be_bytes(), &[23], &len, content]);
        alg.digest(&[&kb.client_mac_key, &vec![0x5c; pad], &inner])
    } else {
        let mut header = seq.to_be_bytes().to_vec();
        header.extend_from_slice(&[23, (version >> 8) as u8, version as u8]);
        header.extend_from_slice(&(content.len() as u16).to_be_bytes());
        alg.hmac(&kb.client_mac_key, &[&header, content])
    };
    let mut record = [content, &mac].concat();
    if params.cipher != CipherKind::Null {
        let mut rc4 = rc4::Rc4::<cbc::cipher::consts::U16>::new_from_slice(&kb.client_key).unwrap();
        rc4.apply_keystream(&mut vec![0u8; keystream_skip]);
        rc4.apply_keystream(&mut record);
    }
    record
}

#[test]
fn rc4_and_null_records_open_and_a_bad_record_keeps_the_keystream() {
    let (m, cr, sr) = ([9u8; 48], [1u8; 32], [2u8; 32]);
    for (code, version) in [
        (0x0004, 0x0303),
        (0x0005, 0x0301),
        (0x0004, 0x0300),
        (0x0003, 0x0301),
        (0x0001, 0x0303),
        (0x0002, 0x0300),
        (0x003B, 0x0303),
    ] {
        let params = suite(code).unwrap();
        let kb = if version == 0x0300 {
            super::ssl3::key_block(&params, &m, &cr, &sr).unwrap()
        } else {
            tls12::key_block(&params, version, &m, &cr, &sr).unwrap()
        };
        assert_eq!(kb.client_key.len(), params.cipher.key_len(), "{code:#06x}");
        let mut dec = RecordDecryptor::tls12(code, version, &m, &cr, &sr, true, false).unwrap();
        let first = seal_stream_record(code, version, &kb, 0, b"first record", 0);
        let second = seal_stream_record(code, version, &kb, 1, b"second", first.len());
        // A damaged record fails and leaves the keystream and sequence number where they were.
        let mut damaged = first.clone();
        *damaged.last_mut().unwrap() ^= 1;
        assert_eq!(dec.decrypt(23, version, &damaged), Err(DecryptError::BadRecordMac), "{code:#06x}");
        assert_eq!(dec.decrypt(23, version, &first).unwrap().data, b"first record", "{code:#06x}");
        assert_eq!(dec.decrypt(23, version, &second).unwrap().data, b"second", "{code:#06x}");
        if params.cipher == CipherKind::Null {
            assert_eq!(&first[..12], b"first record", "NULL leaves the data in clear");
        }
    }
}

#[test]
fn rc4_keystream_matches_rfc6229() {
    use cbc::cipher::{KeyInit as _, StreamCipher};
    // RFC 6229: 128-bit key 0x0102...10, keystream bytes 0-15.
    let key = hex::decode("0102030405060708090a0b0c0d0e0f10").unwrap();
    let mut buf = [0u8; 16];
    rc4::Rc4::<cbc::cipher::consts::U16>::new_from_slice(&key).unwrap().apply_keystream(&mut buf);
    assert_eq!(hex::encode(buf), "9ac7cc9a609d1ef7b2932899cde41b97");
}

#[test]
fn export_keys_follow_rfc2246_and_ssl3() {
    let (m, cr, sr) = ([7u8; 48], [1u8; 32], [2u8; 32]);
    let seed = [cr, sr].concat();
    for code in [0x0003u16, 0x0006, 0x0008] {
        let params = suite(code).unwrap();
        let raw =
            tls12::prf(0x0301, params.prf_hash, &m, b"key expansion", &[sr, cr].concat(), 2 * (params.mac_key_len + 5))
                .unwrap();
        let (client_raw, server_raw) = raw[2 * params.mac_key_len..].split_at(5);
        let kb = tls12::key_block(&params, 0x0301, &m, &cr, &sr).unwrap();
        let want = |key: &[u8], label: &[u8]| {
            tls12::prf(0x0301, params.prf_hash, key, label, &seed, params.cipher.key_len()).unwrap()
        };
        assert_eq!(kb.client_key, want(client_raw, b"client write key"), "{code:#06x}");
        assert_eq!(kb.server_key, want(server_raw, b"server write key"), "{code:#06x}");
        let block = params.cipher.block_len();
        if block > 0 {
            let ivs = tls12::prf(0x0301, params.prf_hash, &[], b"IV block", &seed, 2 * block).unwrap();
            assert_eq!((kb.client_iv.as_slice(), kb.server_iv.as_slice()), ivs.split_at(block), "{code:#06x}");
        } else {
            assert!(kb.client_iv.is_empty());
        }
        // SSL 3.0: MD5 of the key and randoms, the IVs MD5 of the randoms.
        let kb3 = super::ssl3::key_block(&params, &m, &cr, &sr).unwrap();
        assert_eq!(
            kb3.client_key,
            HashAlg::Md5.digest(&[&kb3_raw(&params, &m, &cr, &sr).0, &cr, &sr])[..params.cipher.key_len()]
        );
        if block > 0 {
            assert_eq!(kb3.server_iv, HashAlg::Md5.digest(&[&sr, &cr])[..block]);
        }
    }
}

/// The raw (unexpanded) SSL 3.0 client and server write keys, from RFC 6101's key block.
fn kb3_raw(params: &SuiteParams, m: &[u8], cr: &[u8], sr: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let mut block = Vec::new();
    for letters in ["A", "BB", "CCC", "DDDD", "EEEEE"] {
        let inner = HashAlg::Sha1.digest(&[letters.as_bytes(), m, sr, cr]);
        block.extend_from_slice(&HashAlg::Md5.digest(&[m, &inner]));
    }
    let at = 2 * params.mac_key_len;
    (block[at..at + 5].to_vec(), block[at + 5..at + 10].to_vec())
}

#[test]
fn ssl3_finished_and_mac_follow_rfc6101() {
    let master = [5u8; 48];
    let mut transcript = Transcript::new();
    transcript.push(b"\x01\x00\x00\x02hi");
    let got = super::ssl3::finished(&master, &transcript, true).unwrap();
    let mut want = Vec::new();
    for (alg, pad) in [(HashAlg::Md5, 48), (HashAlg::Sha1, 40)] {
        let inner = alg.digest(&[b"\x01\x00\x00\x02hi", b"CLNT", &master, &vec![0x36; pad]]);
        want.extend(alg.digest(&[&master, &vec![0x5c; pad], &inner]));
    }
    assert_eq!(got, want);
    assert!(super::ssl3::verify_finished(&master, &transcript, true, &want));
    assert!(!super::ssl3::verify_finished(&master, &transcript, false, &want), "the server's sender is SRVR");
    // The SSL 3.0 master secret: MD5(pre + SHA("A" + pre + cr + sr)) + ... ("BB", "CCC").
    let (pre, cr, sr) = ([3u8; 48], [1u8; 32], [2u8; 32]);
    let mut want = Vec::new();
    for letters in ["A", "BB", "CCC"] {
        let inner = HashAlg::Sha1.digest(&[letters.as_bytes(), &pre, &cr, &sr]);
        want.extend(HashAlg::Md5.digest(&[&pre, &inner]));
    }
    assert_eq!(super::ssl3::master_secret(&pre, &cr, &sr).unwrap(), want);
}
