//! Decryption state of one connection: which keys protect each direction, the handshake
//! transcript, and the Finished checks. Driven by the connection layer record by record; the
//! cryptography itself is the `crypto` module's. `derivation` is the server-key half (RSA key
//! exchange), `waiting` the key log half (which secrets are logged, what waits for them).

mod derivation;
mod waiting;

pub use super::keys::{DecryptStats, DecryptionReport, KeyDerivation, KeyLogSummary, KeyStore};
use crate::crypto::{self, RecordDecryptor, Secrets, Transcript};
use crate::msgs::reader::Reader;
use crate::msgs::{ExtensionType, HandshakeBody, HandshakeType};
use std::borrow::Cow;

/// What a server's private key cannot do, said where a key exchange has forward secrecy.
const FORWARD_SECRECY: &str =
    "forward secrecy: the server's private key cannot decrypt this (the key exchange is ephemeral); a key log can";

/// Index of a direction: 0 the client's records, 1 the server's.
pub fn dir_index(from_client: bool) -> usize {
    if from_client { 0 } else { 1 }
}

/// A TLS 1.3 handshake traffic secret and the Finished key derived from it.
type FinishedKey = (Vec<u8>, Vec<u8>);

/// Every TLS connection has one, keyed or not: what only decryption fills (record keys, the
/// key block, a ServerHello waiting for its secrets) is boxed, so that without a key log the
/// state stays small.
#[derive(Default)]
pub struct ConnCrypto {
    client_random: Vec<u8>,
    server_random: Vec<u8>,
    client_session_id: Vec<u8>,
    offered_ticket: Vec<u8>,
    client_offered_etm: bool,
    suite: Option<u16>,
    version: Option<u16>,
    etm: bool,
    tls13: bool,
    transcript: Transcript,
    /// Client's and server's record protection.
    dec: [Option<Box<RecordDecryptor>>; 2],
    early: Option<Box<RecordDecryptor>>,
    early_candidates: Vec<RecordDecryptor>,
    /// The TLS 1.3 suites of a ClientHello offering 0-RTT, until the client's Finished: the
    /// early traffic secret may reach a growing key log after the first early records.
    early_suites: Vec<u16>,
    master: Option<Vec<u8>>,
    /// TLS <= 1.2: the key block and what it was derived from (master secret, randoms, suite,
    /// version), shared by both directions.
    key_block: Option<Box<(Vec<u8>, crypto::tls12::KeyBlock)>>,
    /// TLS <= 1.2: the PRF keyed with the master secret (for the key block and both Finished),
    /// and the master secret and version it was keyed for.
    prf_key: Option<Box<(Vec<u8>, u16, crypto::tls12::PrfKey)>>,
    /// TLS 1.3: each side's handshake traffic secret and the Finished key derived from it with
    /// its record keys.
    finished_keys: Option<Box<[Option<FinishedKey>; 2]>>,
    secrets: Option<Secrets>,
    /// The secrets an indexed key log file holds for this client random, read at the
    /// ClientHello (the file does not change during the run).
    from_file: Option<Box<Secrets>>,
    /// Finished checks per direction.
    pub verified: [Option<bool>; 2],
    /// The ServerHello came before its secrets were in the key log (a log still being
    /// written): look again when protected records arrive.
    lookup_pending: bool,
    gave_up: bool,
    /// The ServerHello whose secrets were not in the key log yet (set up once they are).
    pending_server_hello: Option<Box<crate::msgs::ServerHello>>,
    ccs_seen: [bool; 2],
    /// The transcript is complete (both Finished seen): later messages are not hashed.
    done: bool,
    finished_seen: [bool; 2],
    status: Option<&'static str>,
    missing: Vec<&'static str>,
    reason: Option<String>,
    counted: bool,
    failures: u64,
    /// What making the master secret needs and tells (only with a key log or key: boxed, so
    /// that a flow without decryption stays small).
    kx: Option<Box<KxState>>,
    /// DTLS: the message_seq of the message being handled (its transcript entry carries the
    /// DTLS header, RFC 6347 4.2.6).
    dtls_seq: Option<u16>,
    /// OpenSSL's pre-standard DTLS (0x0100): its Finished hashes the message bodies alone,
    /// without any header (OpenSSL's DTLS1_BAD_VER, GnuTLS's DTLS0.9).
    dtls_bad_ver: bool,
    /// DTLS 1.3: labels take the "dtls13" prefix, and the records are opened by the DTLS layer
    /// per epoch (`conn::dtls`), not by `dec`.
    dtls13: bool,
}

/// The master secret's making: what an RSA key exchange needs, and the story of how it was
/// made.
#[derive(Default)]
struct KxState {
    /// The ClientHello's version: an RSA premaster starts with it.
    client_version: u16,
    /// Both hellos carried extended_master_secret (RFC 7627).
    client_offered_ems: bool,
    ems: bool,
    /// The ServerHello's session id (a full handshake's session, remembered for resumption).
    server_session_id: Vec<u8>,
    /// `--rsa-key`: the key (index in the store) whose public half is in the server's
    /// certificate.
    server_key: Option<usize>,
    /// How the master secret was made, for the handshake event.
    derivation: Option<KeyDerivation>,
    /// DTLS: the message_seqs of the messages hashed in TLS form before the ServerHello told
    /// the version (DTLS 1.3 hashes that form, RFC 9147 5.2; 1.0 and 1.2 the DTLS one). Here
    /// because only a keyed connection keeps a transcript.
    dtls_seqs: Vec<u16>,
}

impl ConnCrypto {
    /// Key log labels this connection lacks.
    pub(super) fn missing_labels(&self) -> &[&'static str] {
        &self.missing
    }

    /// The client random of the current handshake (empty before its ClientHello).
    pub(super) fn client_random(&self) -> &[u8] {
        &self.client_random
    }

    /// DTLS: the next handshake message is hashed with its 12-byte header and this message_seq.
    pub fn set_dtls_message_seq(&mut self, seq: Option<u16>) {
        self.dtls_seq = seq;
    }

    pub fn new() -> Self {
        ConnCrypto { transcript: Transcript::new(), ..Default::default() }
    }

    /// The ServerHello negotiated DTLS 1.3.
    pub fn is_dtls13(&self) -> bool {
        self.dtls13
    }

    /// DTLS 1.3 records were opened (or not) by the DTLS layer: counted as TLS records are.
    pub fn count_dtls13_record(&mut self, store: &mut KeyStore, opened: bool, failure: Option<String>) {
        if opened {
            store.stats.records_decrypted = store.stats.records_decrypted.saturating_add(1);
        } else {
            store.stats.records_failed = store.stats.records_failed.saturating_add(1);
            if let Some(what) = failure {
                self.note_failure(what);
            }
        }
    }

    /// A protected record from one side: its plaintext, or None when it cannot be decrypted.
    pub fn decrypt(
        &mut self,
        store: &mut KeyStore,
        from_client: bool,
        content_type: u8,
        version: u16,
        payload: &[u8],
    ) -> Option<crypto::Plaintext> {
        self.decrypt_at(store, from_client, None, content_type, version, payload)
    }

    /// [`Self::decrypt`], with DTLS's explicit epoch and sequence number (RFC 6347 4.1.2.1) in
    /// place of the direction's counter when `record_seq` is given.
    pub fn decrypt_at(
        &mut self,
        store: &mut KeyStore,
        from_client: bool,
        record_seq: Option<u64>,
        content_type: u8,
        version: u16,
        payload: &[u8],
    ) -> Option<crypto::Plaintext> {
        let d = dir_index(from_client);
        self.secrets_after_server_hello(store);
        if store.enabled && self.dec.get(d).is_some_and(Option::is_none) {
            self.refresh(store);
        }
        let mut result = None;
        if let Some(dec) = self.dec.get_mut(d).and_then(Option::as_mut) {
            if let Some(seq) = record_seq {
                dec.set_seq(seq);
            }
            match dec.decrypt(content_type, version, payload) {
                Ok(p) => result = Some(p),
                Err(e) => self.note_failure(format!("{e:?}")),
            }
        }
        // 0-RTT data is protected with the early traffic secret: before the client switches to
        // its handshake keys (a failed attempt changes no state, so both may be tried).
        if result.is_none() && from_client {
            if self.wants_early_keys() {
                self.set_up_early_candidates(store);
            }
            if let Some(early) = self.early.as_mut() {
                result = early.decrypt(content_type, version, payload).ok();
            } else {
                let mut found = None;
                for (i, candidate) in self.early_candidates.iter_mut().enumerate() {
                    if let Ok(p) = candidate.decrypt(content_type, version, payload) {
                        found = Some((i, p));
                        break;
                    }
                }
                if let Some((i, p)) = found {
                    self.early = Some(Box::new(self.early_candidates.swap_remove(i)));
                    self.early_candidates.clear();
                    result = Some(p);
                }
            }
            if result.is_some() && self.failures > 0 {
                // The handshake key's failure on an early-data record was expected.
                self.failures = self.failures.saturating_sub(1);
                if self.failures == 0 {
                    self.reason = None;
                }
            }
        }
        match &result {
            Some(_) => store.stats.records_decrypted = store.stats.records_decrypted.saturating_add(1),
            None if self.dec.get(d).is_some_and(Option::is_some) => {
                store.stats.records_failed = store.stats.records_failed.saturating_add(1)
            }
            None => {}
        }
        result
    }

    fn note_failure(&mut self, what: String) {
        self.failures = self.failures.saturating_add(1);
        if self.reason.is_none() {
            self.reason = Some(format!("record decryption failed ({what}): wrong keys, or a corrupted stream"));
        }
    }

    /// A cleartext or decrypted handshake message (`raw`, header included, and what the
    /// message decoders made of it), before its event is written. Returns the Finished check
    /// (Some(true/false)) for Finished messages, None when it cannot be checked.
    pub fn on_handshake(
        &mut self,
        store: &mut KeyStore,
        from_client: bool,
        msg_type: u8,
        raw: &[u8],
        decoded: &HandshakeBody,
    ) -> Option<bool> {
        // Without a key log nothing can be decrypted or verified: keep no transcript.
        if !store.enabled {
            return None;
        }
        let body = raw.get(4..).unwrap_or(&[]);
        let mut verdict = None;
        use HandshakeType as H;
        let kind = H::from(msg_type);
        match (kind, decoded) {
            (H::ClientHello, HandshakeBody::ClientHello { client_hello }) => self.on_client_hello(store, client_hello),
            (H::ServerHello, HandshakeBody::ServerHello { server_hello }) => self.on_server_hello(store, server_hello),
            (H::Finished, _) => {
                self.refresh(store);
                verdict = self.check_finished(from_client, body);
            }
            _ => {}
        }
        if kind == H::NewSessionTicket && !self.tls13 {
            self.remember_ticket(store, body);
        }
        if kind == H::Certificate && !from_client && !self.tls13 && !store.rsa_keys.is_empty() {
            self.match_server_key(store, body);
        }
        let post_handshake_13 = self.tls13 && matches!(kind, H::NewSessionTicket | H::KeyUpdate);
        if !self.done && !post_handshake_13 {
            match self.dtls_seq {
                // Before the ServerHello the version is unknown: TLS form, seq remembered.
                Some(seq) if self.version.is_none() => {
                    self.transcript.push(raw);
                    self.kx_state().dtls_seqs.push(seq);
                }
                Some(_) if self.dtls_bad_ver => {
                    self.transcript.push(raw.get(4..).unwrap_or_default());
                }
                Some(seq) if !self.dtls13 => {
                    self.transcript.push(&crate::msgs::hello::dtls_transcript_form(raw, seq));
                }
                _ => {
                    self.transcript.push(raw);
                }
            }
        }
        // A ClientKeyExchange means a full handshake: a master secret guessed from an offered
        // session or ticket (which the server then turned down) is not this one's.
        let guessed =
            self.kx.as_ref().and_then(|kx| kx.derivation.as_ref()).is_some_and(|d| d.secret_from == "resumed_session");
        if kind == H::ClientKeyExchange
            && from_client
            && (self.master.is_none() || guessed)
            && !store.rsa_keys.is_empty()
        {
            // After the transcript has it: the extended master secret hashes up to it.
            self.open_premaster(store, body);
        }
        if kind == H::Finished {
            self.after_finished(from_client);
        }
        if kind == H::KeyUpdate && self.tls13 && !self.dtls13 {
            // KeyUpdate: the sender's next records use the next generation of its keys.
            if let Some(dec) = self.dec.get_mut(dir_index(from_client)).and_then(Option::as_mut) {
                dec.key_update();
            }
        }
        if let Some(v) = verdict {
            if v {
                store.stats.finished_verified = store.stats.finished_verified.saturating_add(1);
            } else {
                store.stats.finished_failed = store.stats.finished_failed.saturating_add(1);
            }
        }
        verdict
    }

    fn on_client_hello(&mut self, store: &mut KeyStore, ch: &crate::msgs::ClientHello) {
        // A second hello (after a HelloRetryRequest) keeps the first one's random.
        if !self.client_random.is_empty() {
            // One with a new random before any ServerHello starts a new handshake (a QUIC
            // client answering a Retry): its secrets are logged under the new random.
            if !self.server_random.is_empty() || ch.random == self.client_random {
                return;
            }
            self.transcript.clear();
            self.from_file = None;
        }
        let ext = |typ: ExtensionType| ch.extensions.iter().find(|e| e.extension_type() == typ);
        self.client_random = ch.random.clone();
        if store.keylog.has_files() {
            self.from_file = store.keylog.secrets_from_files(&self.client_random).map(Box::new);
        }
        self.client_session_id = ch.session_id.clone();
        self.offered_ticket = ext(ExtensionType::SessionTicket).map(|e| e.raw.to_vec()).unwrap_or_default();
        self.client_offered_etm = ext(ExtensionType::EncryptThenMac).is_some();
        let kx = self.kx_state();
        kx.client_offered_ems = ext(ExtensionType::ExtendedMasterSecret).is_some();
        kx.client_version = ch.version;
        if ext(ExtensionType::EarlyData).is_some() {
            self.early_suites = ch.cipher_suites.iter().copied().filter(|s| (0x1301..=0x1305).contains(s)).collect();
            self.set_up_early_candidates(store);
        }
    }

    /// The client offered 0-RTT, has not picked its early keys yet, and the key log has the
    /// early traffic secret: the next client record sets them up.
    fn early_secret_logged(&self, store: &KeyStore) -> bool {
        self.wants_early_keys() && self.logged(store).is_some_and(|s| s.client_early.is_some())
    }

    /// 0-RTT: the early traffic secret protects the client's first records, with the resumed
    /// session's suite, which is not named before the ServerHello: one candidate per offered
    /// TLS 1.3 suite, and the first record picks.
    fn set_up_early_candidates(&mut self, store: &KeyStore) {
        let Some(logged) = self.logged(store) else { return };
        let Some(early) = logged.client_early.as_deref() else { return };
        let candidates = self.early_suites.iter().filter_map(|suite| RecordDecryptor::tls13(*suite, early)).collect();
        drop(logged);
        self.early_candidates = candidates;
    }

    fn on_server_hello(&mut self, store: &mut KeyStore, sh: &crate::msgs::ServerHello) {
        if sh.hello_retry_request {
            return;
        }
        self.server_random = sh.random.clone();
        let session_id = sh.session_id.clone();
        let suite = sh.cipher_suite;
        // DTLS keys and Finished are TLS's of the version it is built on.
        let version = crate::msgs::hello::tls_equivalent(sh.negotiated_version());
        self.dtls13 = sh.negotiated_version() == crate::dtls::DTLS13_VERSION;
        self.dtls_bad_ver = sh.negotiated_version() == 0x0100;
        if !self.dtls13 {
            self.dtls_legacy_transcript();
        }
        if let Some(kx) = self.kx.as_mut() {
            kx.dtls_seqs.clear();
        }
        self.version = Some(version);
        self.suite = Some(suite);
        self.tls13 = crate::msgs::hello::is_tls13(version);
        self.etm = self.client_offered_etm
            && sh.extensions.iter().any(|e| e.extension_type() == ExtensionType::EncryptThenMac);
        let kx = self.kx_state();
        kx.ems = kx.client_offered_ems
            && sh.extensions.iter().any(|e| e.extension_type() == ExtensionType::ExtendedMasterSecret);
        kx.server_session_id = sh.session_id.clone();
        let secrets = self.logged(store).map(Cow::into_owned);
        self.lookup_pending = !self.secrets_logged(store);
        if self.lookup_pending {
            self.pending_server_hello = Some(Box::new(sh.clone()));
        }
        if self.tls13 {
            let Some(s) = secrets else {
                self.missing = vec!["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET"];
                let reason = if store.rsa_keys.is_empty() {
                    "no secrets for this client random".to_string()
                } else {
                    format!("no secrets for this client random; {FORWARD_SECRECY}")
                };
                self.set_status(store, "no_secrets", Some(reason));
                return;
            };
            self.missing = s.missing_labels_for_tls13();
            let mut finished_keys: [Option<FinishedKey>; 2] = [None, None];
            let dtls13 = self.dtls13;
            let mut handshake_decryptor = |from_client: bool| {
                let secret = s.handshake_secret(from_client)?;
                if dtls13 {
                    // Only the Finished key: the DTLS layer opens the records.
                    let params = crypto::suite(suite)?;
                    let finished_key = crypto::tls13::dtls13_finished_key(params.prf_hash, secret)?;
                    if let Some(slot) = finished_keys.get_mut(dir_index(from_client)) {
                        *slot = Some((secret.to_vec(), finished_key));
                    }
                    return None;
                }
                let (dec, finished_key) = RecordDecryptor::tls13_handshake(suite, secret)?;
                if let Some(slot) = finished_keys.get_mut(dir_index(from_client)) {
                    *slot = Some((secret.to_vec(), finished_key));
                }
                Some(dec)
            };
            let client = handshake_decryptor(true);
            let server = handshake_decryptor(false);
            self.finished_keys = Some(Box::new(finished_keys));
            if crypto::suite(suite).is_none() {
                self.set_status(
                    store,
                    "unsupported_cipher",
                    Some(format!("cipher suite 0x{suite:04x} is not supported")),
                );
                return;
            }
            let dtls13_keyed = self.dtls13 && finished_keys_any(self.finished_keys.as_deref());
            if client.is_none() && server.is_none() && !dtls13_keyed {
                self.set_status(store, "no_secrets", Some("handshake traffic secrets missing".into()));
                return;
            }
            self.dec = [client.map(Box::new), server.map(Box::new)];
            self.secrets = Some(s);
            self.set_status(store, "decrypted", None);
        } else {
            let logged_master = secrets.and_then(|s| s.master_secret.clone());
            let resumed = logged_master.is_none();
            let master = logged_master.or_else(|| {
                // A resumed session: its master secret came from an earlier connection.
                let by_id = (!session_id.is_empty() && session_id == self.client_session_id)
                    .then(|| store.sessions.get(&session_id).cloned())
                    .flatten();
                by_id.or_else(|| store.tickets.get(&self.offered_ticket).cloned())
            });
            let Some(master) = master else {
                self.missing = vec!["CLIENT_RANDOM"];
                let kx = crate::msgs::key_exchange::KeyExchange::of_suite(suite);
                let reason = match kx {
                    _ if store.rsa_keys.is_empty() => "no master secret for this client random or session".to_string(),
                    Some(crate::msgs::key_exchange::KeyExchange::Rsa) => {
                        // The ClientKeyExchange may still open with a server key.
                        "no master secret for this client random or session; waiting for the ClientKeyExchange \
                         (RSA key exchange)"
                            .to_string()
                    }
                    _ => format!("no master secret for this client random or session; {FORWARD_SECRECY}"),
                };
                self.set_status(store, "no_secrets", Some(reason));
                return;
            };
            if crypto::suite(suite).is_none() || !crypto::record::tls12_version_supported(version) {
                let why = if crypto::suite(suite).is_none() {
                    crypto::unsupported_reason(suite)
                } else {
                    format!("cipher suite 0x{suite:04x} with version 0x{version:04x} cannot be decrypted")
                };
                self.set_status(store, "unsupported_cipher", Some(why));
                return;
            }
            store.remember(false, session_id, master.clone());
            self.master = Some(master);
            let from = if resumed { "resumed_session" } else { "key_log" };
            self.kx_state().derivation = Some(KeyDerivation { secret_from: from, ..KeyDerivation::default() });
            self.set_status(store, "decrypted", None);
        }
    }

    /// The run's counter of this connection's status, or None for a status not counted.
    fn status_counter<'s>(&self, store: &'s mut KeyStore) -> Option<&'s mut u64> {
        match self.status? {
            "decrypted" => Some(&mut store.stats.connections_decrypted),
            "no_secrets" => Some(&mut store.stats.connections_without_secrets),
            "unsupported_cipher" => Some(&mut store.stats.connections_unsupported_cipher),
            _ => None,
        }
    }

    /// Takes this connection out of the run's count of its status, which is about to change
    /// (the secrets reached a growing key log after all).
    fn uncount(&mut self, store: &mut KeyStore) {
        if std::mem::take(&mut self.counted)
            && let Some(n) = self.status_counter(store)
        {
            *n = n.saturating_sub(1);
        }
    }

    fn set_status(&mut self, store: &mut KeyStore, status: &'static str, reason: Option<String>) {
        self.status = Some(status);
        if reason.is_some() {
            self.reason = reason;
        }
        if !self.counted {
            self.counted = true;
            if let Some(n) = self.status_counter(store) {
                *n = n.saturating_add(1);
            }
        }
    }

    /// A ChangeCipherSpec from one side (TLS <= 1.2): its next records use the new keys.
    pub fn on_change_cipher_spec(&mut self, from_client: bool) {
        if let Some(seen) = self.ccs_seen.get_mut(dir_index(from_client)) {
            *seen = true;
        }
        if self.tls13 {
            return;
        }
        let (Some(master), Some(suite), Some(version)) = (self.master.as_ref(), self.suite, self.version) else {
            return;
        };
        // The other direction's ChangeCipherSpec reuses the key block when nothing it depends on
        // changed (a renegotiation changes the master secret and the randoms).
        let inputs =
            [master.as_slice(), &self.client_random, &self.server_random, &suite.to_be_bytes(), &version.to_be_bytes()]
                .concat();
        let reuse = self.key_block.as_deref().is_some_and(|(i, _)| *i == inputs);
        if !reuse {
            self.key_prf();
            let prf = self.prf_key.as_deref().map(|(_, _, k)| k);
            let derived = if version == crypto::ssl3::VERSION_SSL30 {
                // SSL 3.0 has no PRF: its key block is MD5/SHA-1 over the master secret.
                let master = self.master.as_deref().unwrap_or_default();
                crypto::suite(suite).and_then(|params| {
                    crypto::ssl3::key_block(&params, master, &self.client_random, &self.server_random)
                })
            } else {
                crypto::suite(suite).zip(prf).and_then(|(params, prf)| {
                    crypto::tls12::key_block_with(prf, &params, version, &self.client_random, &self.server_random)
                })
            };
            self.key_block = derived.map(|kb| Box::new((inputs, kb)));
        }
        let dec = self
            .key_block
            .as_deref()
            .and_then(|(_, kb)| RecordDecryptor::tls12_with_key_block(suite, version, kb, from_client, self.etm));
        if let Some(slot) = self.dec.get_mut(dir_index(from_client)) {
            *slot = dec.map(Box::new);
        }
    }

    fn check_finished(&mut self, from_client: bool, body: &[u8]) -> Option<bool> {
        let suite = crypto::suite(self.suite?)?;
        if self.tls13 {
            let secrets = self.secrets.as_ref()?;
            let base = secrets.handshake_secret(from_client)?;
            let hash = self.transcript.hash(suite.prf_hash)?;
            // The Finished key derived with the record keys, if it was from this secret.
            let derived = self.finished_keys.as_deref().and_then(|keys| keys.get(dir_index(from_client))?.as_ref());
            Some(match derived {
                Some((secret, key)) if secret.as_slice() == base => {
                    crypto::tls13::verify_finished_with_key(suite.prf_hash, key, &hash, body)
                }
                _ if self.dtls13 => crypto::tls13::dtls13_finished_key(suite.prf_hash, base)
                    .is_some_and(|key| crypto::tls13::verify_finished_with_key(suite.prf_hash, &key, &hash, body)),
                _ => crypto::tls13::verify_finished(suite.prf_hash, base, &hash, body),
            })
        } else {
            let version = self.version?;
            if version == crypto::ssl3::VERSION_SSL30 {
                // SSL 3.0's Finished hashes the messages with the sender and master secret.
                let master = self.master.as_deref()?;
                return Some(crypto::ssl3::verify_finished(master, &self.transcript, from_client, body));
            }
            let hash = crypto::tls12::finished_hash(version, suite.prf_hash, &self.transcript)?;
            self.key_prf();
            let (_, _, prf) = self.prf_key.as_deref()?;
            Some(crypto::tls12::verify_finished_with(prf, from_client, &hash, body))
        }
    }

    /// Keys the PRF with the current master secret unless it already is (a renegotiation
    /// brings a new one).
    fn key_prf(&mut self) {
        let (Some(master), Some(version), Some(params)) =
            (self.master.as_ref(), self.version, self.suite.and_then(crypto::suite))
        else {
            self.prf_key = None;
            return;
        };
        if self.prf_key.as_deref().is_some_and(|(m, v, _)| m == master && *v == version) {
            return;
        }
        self.prf_key = crypto::tls12::PrfKey::new(version, params.prf_hash, master)
            .map(|prf| Box::new((master.clone(), version, prf)));
    }

    fn after_finished(&mut self, from_client: bool) {
        let d = dir_index(from_client);
        if self.tls13 && !self.dtls13 {
            if let (Some(s), Some(suite)) = (self.secrets.as_ref(), self.suite) {
                // After its Finished, each side protects application data with its traffic secret 0.
                let next = s.app_secret(from_client).and_then(|k| RecordDecryptor::tls13(suite, k));
                if let Some(slot) = self.dec.get_mut(d) {
                    *slot = next.map(Box::new);
                }
            }
            if from_client {
                self.early = None;
                self.early_candidates.clear();
                self.early_suites.clear();
            }
        }
        let other = dir_index(!from_client);
        let other_done = self.finished_seen.get(other).copied().unwrap_or(false);
        if let Some(seen) = self.finished_seen.get_mut(d) {
            *seen = true;
        }
        if other_done {
            self.done = true;
        }
    }

    /// DTLS 1.0 and 1.2 hash each message with its DTLS header: the messages hashed before the
    /// ServerHello told the version are put in that form.
    fn dtls_legacy_transcript(&mut self) {
        let seqs = self.kx.as_mut().map(|kx| std::mem::take(&mut kx.dtls_seqs)).unwrap_or_default();
        if seqs.is_empty() {
            return;
        }
        let Some(raw) = self.transcript.raw().map(<[u8]>::to_vec) else { return };
        let mut messages = Vec::with_capacity(seqs.len());
        let mut r = Reader::new(&raw);
        while !r.is_empty() {
            let Ok(header) = r.bytes(4, "header") else { return };
            let len = header.get(1..4).map_or(0, |l| l.iter().fold(0usize, |acc, &b| acc << 8 | usize::from(b)));
            let Ok(body) = r.bytes(len, "body") else { return };
            messages.push([header, body].concat());
        }
        if messages.len() != seqs.len() {
            return;
        }
        self.transcript.clear();
        for (m, seq) in messages.iter().zip(&seqs) {
            if self.dtls_bad_ver {
                self.transcript.push(m.get(4..).unwrap_or_default());
            } else {
                self.transcript.push(&crate::msgs::hello::dtls_transcript_form(m, *seq));
            }
        }
    }

    /// Stores a Finished verdict for a direction.
    pub fn record_verdict(&mut self, from_client: bool, verdict: Option<bool>) {
        if let Some(slot) = self.verified.get_mut(dir_index(from_client)) {
            *slot = verdict;
        }
    }

    fn remember_ticket(&mut self, store: &mut KeyStore, body: &[u8]) {
        let mut r = Reader::new(body);
        let _ = r.u32("lifetime hint");
        if let (Ok(ticket), Some(master)) = (r.vec16("ticket"), self.master.clone()) {
            store.remember(true, ticket.to_vec(), master);
        }
    }

    /// Bytes of handshake messages kept for the transcript (the TLS buffers' share of the
    /// memory budget).
    pub fn buffered_bytes(&self) -> usize {
        self.transcript.buffered_bytes()
    }

    /// A fresh handshake on the same connection (renegotiation) hashes a new transcript.
    pub fn restart_transcript(&mut self) {
        // The current record keys stay until the new ChangeCipherSpecs; the new hellos bring
        // new randoms and a new master secret.
        self.client_random.clear();
        self.from_file = None;
        self.server_random.clear();
        self.master = None;
        if let Some(kx) = self.kx.as_mut() {
            kx.derivation = None;
            kx.server_key = None;
        }
        self.status = None;
        self.counted = false;
        self.transcript.clear();
        if let Some(kx) = self.kx.as_mut() {
            kx.dtls_seqs.clear();
        }
        self.done = false;
        self.finished_seen = [false, false];
        self.ccs_seen = [false, false];
        self.verified = [None, None];
    }

    /// Both Finished verified: true; one failed: false; otherwise (keys missing) null.
    pub fn finished_verified(&self) -> Option<bool> {
        match self.verified {
            [Some(false), _] | [_, Some(false)] => Some(false),
            [Some(true), Some(true)] => Some(true),
            _ => None,
        }
    }

    pub fn report(&self, store_enabled: bool) -> DecryptionReport {
        let status = self.status.unwrap_or(if store_enabled { "not_needed" } else { "no_key_log" });
        let status = if status == "decrypted" && self.failures > 0 && self.finished_verified() != Some(true) {
            "failed"
        } else {
            status
        };
        DecryptionReport { status, missing_labels: self.missing.clone(), reason: self.reason.clone() }
    }
}

/// Whether a Finished key was derived for either side.
fn finished_keys_any(keys: Option<&[Option<FinishedKey>; 2]>) -> bool {
    keys.is_some_and(|k| k.iter().any(Option::is_some))
}
