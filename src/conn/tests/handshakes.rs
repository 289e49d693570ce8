//! The state machine driven through the whole connection layer with hand-built records: each
//! handshake kind, HelloRetryRequest, 0-RTT, client authentication, renegotiation, and every
//! way a handshake fails.

use super::build::*;
use crate::conn::input::{EndReason, GapCause};

/// A TLS 1.2 full handshake up to the server's ServerHelloDone, with `suite`.
fn tls12_server_flight(conn: &mut Conn, suite: u16, key_exchange: Option<Vec<u8>>) {
    conn.client(&[handshake(&[client_hello(&[], &[suite], &[sni("example.com")])])]);
    let mut flight = vec![server_hello(&[0x33; 32], suite, &[]), certificate(1)];
    flight.extend(key_exchange);
    flight.push(server_hello_done());
    conn.server(&[handshake(&flight)]);
}

/// Both sides switch keys and send their (encrypted) Finished: the client first.
fn tls12_finish(conn: &mut Conn) {
    conn.client(&[ccs(), encrypted_handshake(40)]);
    conn.server(&[ccs(), encrypted_handshake(40)]);
}

fn tls13_client_hello(extra: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut exts = vec![
        sni("example.com"),
        supported_groups(&[X25519, SECP256R1]),
        client_versions(&[TLS13, 0x0303]),
        client_key_share(X25519),
    ];
    exts.extend(extra.iter().cloned());
    handshake(&[client_hello(&[0x44; 32], &[TLS_AES_128_GCM_SHA256], &exts)])
}

fn tls13_server_hello(extra: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut exts = vec![server_version(TLS13), server_key_share(X25519)];
    exts.extend(extra.iter().cloned());
    handshake(&[server_hello(&[0x44; 32], TLS_AES_128_GCM_SHA256, &exts)])
}

/// A TLS 1.3 handshake without keys: the hellos, then each side's encrypted flight.
fn tls13_handshake(conn: &mut Conn) {
    conn.client(&[tls13_client_hello(&[])]);
    conn.server(&[tls13_server_hello(&[]), ccs(), app_data(100), app_data(300)]);
    conn.client(&[ccs(), app_data(50)]);
}

#[test]
fn tls12_full_rsa() {
    let mut conn = Conn::new();
    tls12_server_flight(&mut conn, TLS_RSA_WITH_AES_128_CBC_SHA, None);
    conn.client(&[handshake(&[rsa_client_key_exchange()])]);
    tls12_finish(&mut conn);
    conn.client(&[app_data(64)]);
    assert_eq!(
        conn.phases(),
        expect(&[
            ("ClientHello", 1),
            ("ServerHello", 1),
            ("Certificate", 2),
            ("ServerHelloDone", 2),
            ("ClientKeyExchange", 3),
            ("ChangeCipherSpec", 4),
            ("EncryptedHandshake", 4),
            ("ChangeCipherSpec", 4),
            ("EncryptedHandshake", 4),
            ("ApplicationData", 0),
        ])
    );
    let h = conn.handshake();
    assert_eq!((h.kind, h.complete, h.failure.as_deref()), ("full", true, None));
    assert_eq!(h.version, Some(0x0303));
    assert_eq!(h.cipher_suite, Some(TLS_RSA_WITH_AES_128_CBC_SHA));
    assert_eq!(h.sni.as_deref(), Some("example.com"));
    // The built Certificate holds opaque bytes, not X.509: no browser would trust it.
    assert_eq!(
        h.warnings,
        [
            "RSA key exchange: no forward secrecy",
            "TLS_RSA_WITH_AES_128_CBC_SHA: CBC with SHA-1 MAC",
            "certificate chain untrusted: leaf certificate does not parse (TrailingData(SignedData))"
        ]
    );
    assert_eq!(
        (h.early_data, h.client_certificate, h.hello_retry_request, h.renegotiation),
        ("none", "none", false, false)
    );
    assert_eq!(
        conn.role("ClientKeyExchange"),
        "Client sends the premaster secret encrypted to the server's RSA key (48 bytes): no forward secrecy, whoever gets the server's key can decrypt this session."
    );
    assert_eq!(
        conn.role("ServerHello"),
        "Server picks TLS 1.2 and TLS_RSA_WITH_AES_128_CBC_SHA out of the client's 1 offers; its random is the second input to the session keys. New session id: a full handshake follows."
    );
    assert_eq!(conn.role("ApplicationData"), "Application data, 64 bytes, encrypted with the session keys.");
}

#[test]
fn tls12_full_ecdhe() {
    let mut conn = Conn::new();
    let suite = TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    tls12_server_flight(&mut conn, suite, Some(ecdhe_server_key_exchange(X25519)));
    conn.client(&[handshake(&[ecdhe_client_key_exchange()])]);
    tls12_finish(&mut conn);
    let phases = conn.phases();
    assert_eq!(phases[2..5], expect(&[("Certificate", 2), ("ServerKeyExchange", 2), ("ServerHelloDone", 2)]));
    assert_eq!(phases[5], ("ClientKeyExchange".to_string(), 3));
    let h = conn.handshake();
    assert_eq!((h.kind, h.complete), ("full", true));
    assert_eq!(h.group.as_deref(), Some("x25519"));
    assert_eq!(h.signature_scheme.as_deref(), Some("rsa_pkcs1_sha256"));
    // The built Certificate holds opaque bytes, not X.509: no browser would trust it.
    assert_eq!(h.warnings, ["certificate chain untrusted: leaf certificate does not parse (TrailingData(SignedData))"]);
    assert_eq!(
        conn.role("ClientKeyExchange"),
        "Client sends its ephemeral ECDHE public key on x25519 (32 bytes); both sides now derive the premaster secret, the third input to the session keys."
    );
}

#[test]
fn tls13_full() {
    let mut conn = Conn::new();
    tls13_handshake(&mut conn);
    conn.server(&[app_data(200)]);
    assert_eq!(
        conn.phases(),
        expect(&[
            ("ClientHello", 1),
            ("ServerHello", 1),
            ("ChangeCipherSpec", 4),
            ("EncryptedRecord", 2),
            ("EncryptedRecord", 2),
            ("ChangeCipherSpec", 4),
            ("EncryptedRecord", 4),
            ("EncryptedRecord", 0),
        ])
    );
    let h = conn.handshake();
    assert_eq!((h.kind, h.complete, h.version), ("full", true, Some(TLS13)));
    assert_eq!(h.group.as_deref(), Some("x25519"));
    let roles: Vec<&str> = conn.messages().iter().map(|m| m.role.as_str()).collect();
    assert_eq!(
        roles[2],
        "Server's middlebox-compatibility ChangeCipherSpec: it has no cryptographic meaning in TLS 1.3."
    );
    assert_eq!(
        roles[6],
        "Client's encrypted flight (50 bytes): its Finished (and its certificate, if one was requested); needs a key log to see inside."
    );
    assert_eq!(roles[7], "Encrypted application data, 200 bytes.");
}

#[test]
fn roles_are_written_only_when_shown() {
    let mut shown = Conn::new();
    let mut hidden = Conn::with_roles(false);
    for conn in [&mut shown, &mut hidden] {
        tls13_handshake(conn);
        conn.client(&[alert(1, 0)]);
    }
    assert_eq!(shown.phases(), hidden.phases());
    assert!(shown.messages().iter().all(|m| !m.role.is_empty()));
    assert!(hidden.messages().iter().all(|m| m.role.is_empty()));
    let (a, b) = (shown.handshake(), hidden.handshake());
    assert_eq!((a.kind, a.complete, &a.warnings), (b.kind, b.complete, &b.warnings));
}

#[test]
fn resumed_by_session_id() {
    let mut conn = Conn::new();
    let suite = TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    conn.client(&[handshake(&[client_hello(&[5; 32], &[suite], &[])])]);
    conn.server(&[handshake(&[server_hello(&[5; 32], suite, &[])]), ccs(), encrypted_handshake(40)]);
    conn.client(&[ccs(), encrypted_handshake(40)]);
    assert_eq!(
        conn.phases(),
        expect(&[
            ("ClientHello", 1),
            ("ServerHello", 1),
            ("ChangeCipherSpec", 4),
            ("EncryptedHandshake", 4),
            ("ChangeCipherSpec", 4),
            ("EncryptedHandshake", 4),
        ])
    );
    let h = conn.handshake();
    assert_eq!((h.kind, h.complete), ("resumed_session_id", true));
    assert!(
        conn.role("ServerHello")
            .ends_with(" It echoes the client's session id: the abbreviated (resumed) handshake follows.")
    );
    assert!(conn.role("ClientHello").ends_with(" Offers to resume session id 0505050505050505...."));
}

#[test]
fn resumed_by_ticket() {
    let mut conn = Conn::new();
    let suite = TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    conn.client(&[handshake(&[client_hello(&[6; 32], &[suite], &[session_ticket(&[9; 100])])])]);
    conn.server(&[handshake(&[server_hello(&[6; 32], suite, &[session_ticket(&[])]), new_session_ticket(300)])]);
    conn.server(&[ccs(), encrypted_handshake(40)]);
    conn.client(&[ccs(), encrypted_handshake(40)]);
    assert_eq!(conn.phases()[2], ("NewSessionTicket".to_string(), 4));
    let h = conn.handshake();
    assert_eq!((h.kind, h.complete), ("resumed_ticket", true));
    assert!(conn.role("ClientHello").ends_with(" Offers a session ticket (100 bytes) to resume a session."));
    assert_eq!(
        conn.role("NewSessionTicket"),
        "Server issues a session ticket valid for 300 s, for resuming without a full handshake."
    );
}

#[test]
fn resumed_by_psk() {
    let mut conn = Conn::new();
    conn.client(&[tls13_client_hello(&[psk_modes(), client_psk()])]);
    conn.server(&[tls13_server_hello(&[server_psk()]), app_data(60)]);
    conn.client(&[app_data(50)]);
    let h = conn.handshake();
    assert_eq!((h.kind, h.complete, h.early_data), ("resumed_psk", true, "none"));
    assert!(conn.role("ClientHello").contains(" Offers to resume with a pre-shared key (1 identity)."));
    assert!(
        conn.role("ServerHello").contains(" It accepts the pre-shared key (resumption) with a fresh (EC)DHE exchange.")
    );
}

#[test]
fn hello_retry_request_then_a_second_hello() {
    let mut conn = Conn::new();
    conn.client(&[tls13_client_hello(&[])]);
    let retry = hello_retry_request(TLS_AES_128_GCM_SHA256, &[server_version(TLS13), retry_key_share(SECP256R1)]);
    conn.server(&[handshake(&[retry]), ccs()]);
    let mut exts = vec![supported_groups(&[X25519, SECP256R1]), client_versions(&[TLS13])];
    exts.push(client_key_share(SECP256R1));
    conn.client(&[ccs(), handshake(&[client_hello(&[0x44; 32], &[TLS_AES_128_GCM_SHA256], &exts)])]);
    let sh = server_hello(&[0x44; 32], TLS_AES_128_GCM_SHA256, &[server_version(TLS13), server_key_share(SECP256R1)]);
    conn.server(&[handshake(&[sh]), app_data(100)]);
    conn.client(&[app_data(50)]);
    let phases = conn.phases();
    assert_eq!(
        phases[..6],
        expect(&[
            ("ClientHello", 1),
            ("HelloRetryRequest", 1),
            ("ChangeCipherSpec", 4),
            ("ChangeCipherSpec", 4),
            ("ClientHello", 1),
            ("ServerHello", 1),
        ])
    );
    let h = conn.handshake();
    assert!(h.hello_retry_request);
    assert_eq!((h.complete, h.group.as_deref()), (true, Some("secp256r1")));
    assert_eq!(
        conn.role("HelloRetryRequest"),
        "Server asks the client to retry its hello (HelloRetryRequest) with a key share for secp256r1: none of the client's key shares was acceptable."
    );
}

#[test]
fn early_data_offered() {
    let mut conn = Conn::new();
    conn.client(&[tls13_client_hello(&[early_data(), psk_modes(), client_psk()]), app_data(80)]);
    conn.server(&[tls13_server_hello(&[server_psk()]), app_data(100)]);
    conn.client(&[app_data(50)]);
    assert_eq!(conn.phases()[1], ("EncryptedRecord".to_string(), 1));
    assert_eq!(
        conn.messages()[1].role,
        "0-RTT early data from the client (80 bytes), encrypted with the resumption secret."
    );
    let h = conn.handshake();
    // Whether the server accepted it is in its EncryptedExtensions, which needs keys.
    assert_eq!((h.early_data, h.kind, h.complete), ("offered", "resumed_psk", true));
    assert!(conn.role("ClientHello").ends_with(" Announces 0-RTT early data."));
}

#[test]
fn client_certificate_sent() {
    let mut conn = Conn::new();
    let suite = TLS_RSA_WITH_AES_128_CBC_SHA;
    conn.client(&[handshake(&[client_hello(&[], &[suite], &[])])]);
    let flight = [server_hello(&[], suite, &[]), certificate(1), certificate_request(), server_hello_done()];
    conn.server(&[handshake(&flight)]);
    conn.client(&[handshake(&[certificate(1), rsa_client_key_exchange(), certificate_verify()])]);
    tls12_finish(&mut conn);
    assert_eq!(
        conn.phases()[..7],
        expect(&[
            ("ClientHello", 1),
            ("ServerHello", 1),
            ("Certificate", 2),
            ("CertificateRequest", 2),
            ("ServerHelloDone", 2),
            ("Certificate", 3),
            ("ClientKeyExchange", 3),
        ])
    );
    assert_eq!(conn.phases()[7], ("CertificateVerify".to_string(), 3));
    let h = conn.handshake();
    assert_eq!((h.client_certificate, h.complete), ("sent", true));
    assert_eq!(
        conn.role("CertificateRequest"),
        "Server asks the client to authenticate with a certificate (client authentication)."
    );
    assert_eq!(
        conn.messages()[7].role,
        "Client signs the handshake transcript with its private key (rsa_pkcs1_sha256), proving it owns its certificate."
    );
}

#[test]
fn client_certificate_requested_but_none_sent() {
    let mut conn = Conn::new();
    let suite = TLS_RSA_WITH_AES_128_CBC_SHA;
    conn.client(&[handshake(&[client_hello(&[], &[suite], &[])])]);
    let flight = [server_hello(&[], suite, &[]), certificate(1), certificate_request(), server_hello_done()];
    conn.server(&[handshake(&flight)]);
    conn.client(&[handshake(&[certificate(0), rsa_client_key_exchange()])]);
    tls12_finish(&mut conn);
    let client_cert = conn.messages()[5];
    assert_eq!((&*client_cert.name, client_cert.phase), ("Certificate", 3));
    assert_eq!(client_cert.role, "Client has no certificate to send (empty Certificate): the server may refuse it.");
    assert_eq!(conn.handshake().client_certificate, "requested");
}

#[test]
fn renegotiation_starts_a_second_handshake() {
    let mut conn = Conn::new();
    tls13_handshake(&mut conn);
    // A ClientHello after a finished handshake, as a decrypted renegotiation delivers it.
    conn.client(&[tls13_client_hello(&[])]);
    conn.close(EndReason::Fin);
    let hs = conn.handshakes();
    assert_eq!(hs.len(), 2);
    assert_eq!((hs[0].handshake, hs[0].renegotiation, hs[0].complete), (1, false, true));
    assert_eq!((hs[1].handshake, hs[1].renegotiation, hs[1].complete), (2, true, false));
    assert_eq!(hs[1].failure.as_deref(), Some("connection closed before the ServerHello"));
    assert_eq!(conn.phases().last(), Some(&("ClientHello".to_string(), 1)));
}

#[test]
fn alert_from_the_server_in_phase_1() {
    let mut conn = Conn::new();
    conn.client(&[tls13_client_hello(&[])]);
    conn.server(&[alert(2, 40)]);
    conn.close(EndReason::Fin);
    let h = conn.handshake();
    assert_eq!(h.failure.as_deref(), Some("alert: handshake_failure from server"));
    assert_eq!(h.alerts.len(), 1);
    assert_eq!((h.alerts[0].from, h.alerts[0].description, h.alerts[0].phase), ("server", 40, 1));
    assert_eq!(conn.phases()[1], ("Alert".to_string(), 1));
    assert_eq!(
        conn.role("Alert"),
        "Server sends fatal alert handshake_failure right after the client's ClientHello: the server found nothing it accepts in the client's offer (version, cipher suites, groups or signature algorithms)."
    );
}

#[test]
fn alert_from_the_client_in_phase_2() {
    let mut conn = Conn::new();
    tls12_server_flight(&mut conn, TLS_RSA_WITH_AES_128_CBC_SHA, None);
    conn.client(&[alert(2, 48)]);
    conn.close(EndReason::Rst);
    let h = conn.handshake();
    // The alert names the failure, not the reset that followed.
    assert_eq!(h.failure.as_deref(), Some("alert: unknown_ca from client"));
    assert_eq!((h.alerts[0].from, h.alerts[0].phase), ("client", 2));
    assert!(conn.role("Alert").ends_with(
        "right after the server's ServerHelloDone: the client does not trust the certificate chain the server sent (no path to a CA it trusts)."
    ));
}

/// The failure of a handshake whose hellos were exchanged, by how the connection ended.
fn failure_after_hellos(reason: EndReason) -> Option<String> {
    let mut conn = Conn::new();
    conn.client(&[tls13_client_hello(&[])]);
    conn.server(&[tls13_server_hello(&[])]);
    conn.close(reason);
    let h = conn.handshake();
    assert!(!h.complete);
    h.failure.clone()
}

#[test]
fn failure_by_end_reason() {
    for (reason, failure) in [
        (EndReason::Rst, "reset: the connection was reset during the handshake"),
        (EndReason::CaptureEnd, "capture ended before the handshake finished"),
        (EndReason::Timeout, "connection idle past the timeout during the handshake"),
        (EndReason::Evicted, "evicted from the flow table before the handshake finished"),
        (EndReason::Fin, "connection closed before the handshake finished"),
    ] {
        assert_eq!(failure_after_hellos(reason).as_deref(), Some(failure), "{reason:?}");
    }
    let mut conn = Conn::new();
    conn.client(&[tls13_client_hello(&[])]).close(EndReason::Fin);
    assert_eq!(conn.handshake().failure.as_deref(), Some("connection closed before the ServerHello"));
}

#[test]
fn evicted_connection_is_counted() {
    let mut conn = Conn::new();
    conn.client(&[tls13_client_hello(&[])]).close(EndReason::Evicted);
    assert_eq!(conn.tracker.stats().evicted, 1);
    assert_eq!(conn.handshake().failure.as_deref(), Some("evicted from the flow table before the handshake finished"));
}

/// A connection whose client's first bytes were lost (`cause`), then the server's hello.
fn client_hello_lost(cause: GapCause) -> (Option<String>, Option<String>) {
    let mut conn = Conn::new();
    conn.gap(CLIENT, 0, 300, cause);
    conn.server(&[tls13_server_hello(&[])]);
    conn.close(EndReason::Fin);
    let h = conn.handshake();
    (h.failure.clone(), h.missing_message.as_ref().map(|m| m.to_string()))
}

#[test]
fn gap_client_hello_not_captured() {
    let (failure, missing) = client_hello_lost(GapCause::CaptureLoss);
    assert_eq!(failure.as_deref(), Some("gap: ClientHello not captured"));
    assert_eq!(missing.as_deref(), Some("ClientHello"));
}

#[test]
fn gap_client_hello_dropped_by_tlstrace() {
    let (failure, _) = client_hello_lost(GapCause::BufferLimit);
    assert_eq!(failure.as_deref(), Some("gap: ClientHello dropped by tlstrace (buffer_limit)"));
}

/// A connection whose ClientHello record is cut after its first 60 bytes by a gap (`cause`).
fn client_hello_cut(cause: GapCause) -> Conn {
    let mut conn = Conn::new();
    let hello = tls13_client_hello(&[]);
    conn.client(&[hello[..60].to_vec()]);
    let lost = hello.len() - 60;
    conn.gap(CLIENT, 60, lost as u64, cause);
    conn.close(EndReason::Fin);
    conn
}

#[test]
fn gap_client_hello_incomplete() {
    let conn = client_hello_cut(GapCause::CaptureLoss);
    let m = conn.messages()[0];
    assert_eq!((&*m.name, m.phase), ("ClientHello", 1));
    assert_eq!(m.incomplete.as_ref().map(|i| i.bytes_captured), Some(51));
    assert!(m.role.starts_with("Client's ClientHello, cut short by a gap: 51 of its "), "{}", m.role);
    let h = conn.handshake();
    assert_eq!(h.failure.as_deref(), Some("gap: ClientHello incomplete"));
    assert_eq!(h.missing_message.as_deref(), Some("ClientHello"));
}

#[test]
fn gap_client_hello_incomplete_and_dropped_by_tlstrace() {
    let conn = client_hello_cut(GapCause::BufferLimit);
    assert_eq!(
        conn.handshake().failure.as_deref(),
        Some("gap: ClientHello incomplete (dropped by tlstrace: buffer_limit)")
    );
}

#[test]
fn gap_after_a_message() {
    let mut conn = Conn::new();
    conn.client(&[tls13_client_hello(&[])]);
    conn.server(&[tls13_server_hello(&[])]);
    conn.gap(SERVER, 5000, 1000, GapCause::CaptureLoss);
    conn.close(EndReason::Fin);
    let h = conn.handshake();
    assert_eq!(h.failure.as_deref(), Some("gap: bytes missing after ServerHello from the server"));
    assert_eq!(h.missing_message, None);
}

#[test]
fn gap_after_the_handshake_is_no_failure() {
    let mut conn = Conn::new();
    tls13_handshake(&mut conn);
    conn.gap(SERVER, 9000, 1000, GapCause::Snaplen);
    conn.close(EndReason::Fin);
    let h = conn.handshake();
    assert_eq!((h.complete, h.failure.as_deref()), (true, None));
}

/// The gap events written, as (direction is client to server, offset, bytes, cause, holes).
fn gap_events(conn: &Conn) -> Vec<(bool, u64, u64, &'static str, Option<u64>)> {
    use crate::conn::events::{Direction, Event};
    let events = conn.tracker.shared.events.iter();
    events
        .filter_map(|e| match e {
            Event::Gap(g) => Some((g.direction == Direction::ClientToServer, g.offset, g.bytes, g.cause, g.holes)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_record_cut_by_the_end_of_the_flow_is_reported_incomplete() {
    let mut conn = Conn::new();
    let hello = tls13_client_hello(&[]);
    conn.client(&[hello[..60].to_vec()]);
    conn.close(EndReason::CaptureEnd);
    let m = conn.messages()[0];
    assert_eq!(&*m.name, "ClientHello");
    assert_eq!(m.incomplete.as_ref().map(|i| (i.bytes_captured, i.cut_by)), Some((51, "end")));
    assert!(
        m.role.starts_with("Client's ClientHello, cut short by the end of the connection: 51 of its "),
        "{}",
        m.role
    );
    let h = conn.handshake();
    assert_eq!(h.failure.as_deref(), Some("capture ended before the handshake finished: ClientHello incomplete"));
    assert_eq!(h.missing_message.as_deref(), Some("ClientHello"));
}

#[test]
fn early_gaps_past_the_cap_keep_their_direction_and_cause() {
    let mut conn = Conn::new();
    // Eighteen client holes and one server hole before anything shows TLS.
    for i in 0..18u64 {
        conn.gap(CLIENT, i * 10, 5, GapCause::CaptureLoss);
    }
    conn.gap(SERVER, 0, 10, GapCause::BufferLimit);
    conn.server(&[tls13_server_hello(&[])]);
    let gaps = gap_events(&conn);
    let client: Vec<_> = gaps.iter().filter(|g| g.0).collect();
    let server: Vec<_> = gaps.iter().filter(|g| !g.0).collect();
    assert_eq!(client.iter().map(|g| g.2).sum::<u64>(), 18 * 5);
    assert_eq!(client.iter().map(|g| g.4.unwrap_or(1)).sum::<u64>(), 18);
    assert_eq!(server, vec![&(false, 0, 10, "buffer_limit", None)]);
}

#[test]
fn tls_after_a_lost_start_is_still_recognised() {
    // The client's first bytes are lost; what follows is the rest of its hello and then more
    // than the detection window of records: the connection is found, its gap reported.
    let mut conn = Conn::new();
    conn.gap(CLIENT, 0, 1000, GapCause::CaptureLoss);
    let records: Vec<Vec<u8>> = std::iter::once(vec![0x42; 200]).chain((0..3).map(|_| app_data(16_000))).collect();
    conn.client(&records);
    conn.close(EndReason::Fin);
    assert_eq!(gap_events(&conn), vec![(true, 0, 1000, "capture_loss", None)]);
    assert!(conn.messages().len() >= 3, "{:?}", conn.phases());
    assert_eq!(conn.handshake().missing_message.as_deref(), Some("ClientHello"));
}
