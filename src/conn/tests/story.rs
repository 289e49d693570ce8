//! The story alone, fed message events built by hand: the phase of every message kind, 0-RTT
//! accepted or rejected, and the failure of a handshake nobody could follow.

use super::build::*;
use crate::conn::events::{AlertInfo, MessageEvent};
use crate::conn::story::Story;
use crate::msgs::DecodeContext;
use crate::time::Timestamp;

/// Feeds the messages in order; returns each one's phase.
fn phases(story: &mut Story, messages: Vec<MessageEvent>) -> Vec<(String, u8)> {
    let mut out = Vec::new();
    for mut m in messages {
        story.annotate(&mut m);
        out.push((m.name.to_string(), m.phase));
    }
    out
}

fn tls12_server_hello() -> MessageEvent {
    let raw = server_hello(&[], TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, &[]);
    decoded(&raw, false, &DecodeContext::default())
}

fn tls13_server_hello() -> MessageEvent {
    let exts = [server_version(TLS13), server_key_share(X25519)];
    decoded(&server_hello(&[], TLS_AES_128_GCM_SHA256, &exts), false, &DecodeContext::default())
}

fn tls13_context() -> DecodeContext {
    DecodeContext { version: Some(TLS13), cipher_suite: Some(TLS_AES_128_GCM_SHA256), ..DecodeContext::default() }
}

#[test]
fn phase_of_every_tls12_message() {
    let mut story = Story::new(1);
    let (c, s) = (true, false);
    let messages = vec![
        bare("ClientHello", c),
        tls12_server_hello(),
        bare("Certificate", s),
        bare("CertificateStatus", s),
        bare("ServerKeyExchange", s),
        bare("CertificateRequest", s),
        bare("ServerHelloDone", s),
        bare("Certificate", c),
        bare("ClientKeyExchange", c),
        bare("CertificateVerify", c),
        bare("NextProtocol", c),
        bare("ChangeCipherSpec", c),
        bare("Finished", c),
        bare("NewSessionTicket", s),
        bare("ChangeCipherSpec", s),
        bare("Finished", s),
        bare("ApplicationData", c),
        bare("HelloRequest", s),
        bare("EncryptedHandshake", s),
        bare("EncryptedAlert", c),
        bare("Heartbeat", c),
    ];
    assert_eq!(
        phases(&mut story, messages),
        expect(&[
            ("ClientHello", 1),
            ("ServerHello", 1),
            ("Certificate", 2),
            ("CertificateStatus", 2),
            ("ServerKeyExchange", 2),
            ("CertificateRequest", 2),
            ("ServerHelloDone", 2),
            ("Certificate", 3),
            ("ClientKeyExchange", 3),
            ("CertificateVerify", 3),
            ("NextProtocol", 3),
            ("ChangeCipherSpec", 4),
            ("Finished", 4),
            ("NewSessionTicket", 4),
            ("ChangeCipherSpec", 4),
            ("Finished", 4),
            ("ApplicationData", 0),
            ("HelloRequest", 0),
            ("EncryptedHandshake", 0),
            ("EncryptedAlert", 0),
            ("Heartbeat", 0),
        ])
    );
    assert!(story.complete);
    let h = story.summary(1, Timestamp::new(1_700_000_001, 0, 6), None);
    assert_eq!((h.complete, h.client_certificate, h.kind), (true, "sent", "full"));
}

#[test]
fn phase_of_every_tls13_message() {
    let mut story = Story::new(1);
    let (c, s) = (true, false);
    let messages = vec![
        bare("ClientHello", c),
        tls13_server_hello(),
        bare("EncryptedExtensions", s),
        bare("Certificate", s),
        bare("CertificateVerify", s),
        bare("Finished", s),
        bare("EndOfEarlyData", c),
        bare("Finished", c),
        bare("NewSessionTicket", s),
        bare("KeyUpdate", c),
    ];
    assert_eq!(
        phases(&mut story, messages),
        expect(&[
            ("ClientHello", 1),
            ("ServerHello", 1),
            ("EncryptedExtensions", 2),
            ("Certificate", 2),
            ("CertificateVerify", 2),
            ("Finished", 4),
            ("EndOfEarlyData", 4),
            ("Finished", 4),
            ("NewSessionTicket", 0),
            ("KeyUpdate", 0),
        ])
    );
}

#[test]
fn phase_before_and_after_the_server_hello() {
    let mut story = Story::new(1);
    let (c, s) = (true, false);
    let mut alert = bare("Alert", s);
    alert.alert = Some(AlertInfo {
        level: 1,
        level_name: "warning".into(),
        description: 0,
        description_name: "close_notify".into(),
    });
    let messages = vec![
        bare("ClientHello", c),
        bare("ApplicationData", c),
        bare("EncryptedRecord", c),
        bare("EncryptedRecord", s),
        bare("SSLv2ClientMasterKey", c),
        bare("UnknownRecord99", s),
        tls13_server_hello(),
        bare("UnknownRecord99", s),
        bare("EncryptedRecord", s),
        alert,
    ];
    assert_eq!(
        phases(&mut story, messages),
        expect(&[
            ("ClientHello", 1),
            ("ApplicationData", 1),
            ("EncryptedRecord", 1),
            ("EncryptedRecord", 1),
            ("SSLv2ClientMasterKey", 1),
            ("UnknownRecord99", 1),
            ("ServerHello", 1),
            ("UnknownRecord99", 2),
            ("EncryptedRecord", 2),
            ("Alert", 4),
        ])
    );
    let h = story.summary(1, Timestamp::new(1_700_000_001, 0, 6), Some("fin"));
    // A warning alert is recorded with its phase but is no failure.
    assert_eq!(h.alerts.len(), 1);
    assert_eq!((h.alerts[0].from, h.alerts[0].phase), ("server", 4));
    assert_eq!(h.failure.as_deref(), Some("connection closed before the handshake finished"));
}

/// A TLS 1.3 story offering 0-RTT up to the server's EncryptedExtensions (with early_data or not).
fn early_data_story(accepted: bool) -> (Story, MessageEvent) {
    let mut story = Story::new(1);
    let exts = [client_versions(&[TLS13]), client_key_share(X25519), early_data(), psk_modes(), client_psk()];
    let hello = client_hello(&[], &[TLS_AES_128_GCM_SHA256], &exts);
    let mut ch = decoded(&hello, true, &DecodeContext::default());
    story.annotate(&mut ch);
    let exts = [server_version(TLS13), server_key_share(X25519), server_psk()];
    let mut sh = decoded(&server_hello(&[], TLS_AES_128_GCM_SHA256, &exts), false, &DecodeContext::default());
    story.annotate(&mut sh);
    let block = if accepted { vec![0, 4, 0, 42, 0, 0] } else { vec![0, 0] };
    let mut ee = decoded(&msg(8, &block), false, &tls13_context());
    story.annotate(&mut ee);
    (story, ee)
}

#[test]
fn early_data_accepted() {
    let (mut story, ee) = early_data_story(true);
    assert_eq!(ee.phase, 2);
    assert_eq!(
        ee.role,
        "Server's first encrypted message: the extensions it accepts; it ACCEPTS the client's 0-RTT early data (early_data)."
    );
    let h = story.summary(1, Timestamp::new(1_700_000_001, 0, 6), Some("fin"));
    assert_eq!((h.early_data, h.kind), ("accepted", "resumed_psk"));
}

#[test]
fn early_data_rejected() {
    let (mut story, ee) = early_data_story(false);
    assert_eq!(
        ee.role,
        "Server's first encrypted message: the extensions it accepts; it REJECTS the client's 0-RTT early data (the client must send it again)."
    );
    let h = story.summary(1, Timestamp::new(1_700_000_001, 0, 6), Some("fin"));
    assert_eq!(h.early_data, "rejected");
}

#[test]
fn encrypted_and_undecidable() {
    let mut story = Story::new(1);
    phases(&mut story, vec![bare("ClientHello", true), tls13_server_hello(), bare("EncryptedRecord", false)]);
    // Asked for its summary while the connection goes on, before anything shows it completed.
    let h = story.summary(1, Timestamp::new(1_700_000_001, 0, 6), None);
    assert_eq!((h.complete, h.failure.as_deref()), (false, Some("encrypted and undecidable")));
}

#[test]
fn without_roles_the_story_is_the_same() {
    let sequence = || vec![bare("ClientHello", true), tls13_server_hello(), bare("EncryptedRecord", false)];
    let mut with = Story::new(1);
    let mut without = Story::new(1).with_roles(false);
    assert_eq!(phases(&mut with, sequence()), phases(&mut without, sequence()));
    let t = Timestamp::new(1_700_000_001, 0, 6);
    let (a, b) = (with.summary(1, t, Some("fin")), without.summary(1, t, Some("fin")));
    assert_eq!((a.failure, a.version, a.kind), (b.failure, b.version, b.kind));
}
