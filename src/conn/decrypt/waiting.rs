//! The key log side of a connection's decryption state: which of its secrets the key log
//! holds, and, with a key log still being written (live capture), what waits for them and
//! when the late ones are taken up.

use super::{ConnCrypto, KeyStore, dir_index};
use crate::crypto::{self, RecordDecryptor, Secrets};
use std::borrow::Cow;

impl ConnCrypto {
    /// The secrets arrived after the ServerHello: set the keys up now (what was said about
    /// their absence no longer holds).
    pub(super) fn secrets_after_server_hello(&mut self, store: &mut KeyStore) {
        if !(self.lookup_pending && self.secrets_logged(store)) {
            return;
        }
        self.lookup_pending = false;
        self.uncount(store);
        self.reason = None;
        self.missing.clear();
        if let Some(sh) = self.pending_server_hello.take() {
            self.on_server_hello(store, &sh);
        }
        for client in [true, false] {
            if self.ccs_seen.get(dir_index(client)).copied().unwrap_or(false) {
                self.on_change_cipher_spec(client);
            }
        }
    }

    /// Handshake messages the transport opened (QUIC's packets, with the key log's secrets):
    /// whatever secrets a growing key log brought since the ServerHello are taken up, for the
    /// Finished checks and the report, as a record decrypted here would.
    pub fn catch_up(&mut self, store: &mut KeyStore) {
        if !store.enabled {
            return;
        }
        self.secrets_after_server_hello(store);
        self.refresh(store);
    }

    /// Picks up secrets that reached a growing key log after the ServerHello (TLS 1.3 logs
    /// them one label at a time). DTLS 1.3 opens its records itself: it takes the secrets only,
    /// for the Finished checks and the report.
    pub(super) fn refresh(&mut self, store: &KeyStore) {
        if !self.tls13 || self.secrets.is_none() {
            return;
        }
        let Some(fresh) = self.logged(store).map(Cow::into_owned) else { return };
        if let (false, Some(suite)) = (self.dtls13, self.suite) {
            for client in [true, false] {
                let d = dir_index(client);
                if self.dec.get(d).is_some_and(Option::is_some) {
                    continue;
                }
                let next = self.next_secret(&fresh, client).and_then(|secret| RecordDecryptor::tls13(suite, secret));
                if let (Some(slot), Some(next)) = (self.dec.get_mut(d), next) {
                    *slot = Some(Box::new(next));
                }
            }
        }
        self.missing = fresh.missing_labels_for_tls13();
        self.secrets = Some(fresh);
    }

    /// What the key log has for this client random: the secrets held in memory (embedded
    /// blocks, a growing log) over those read from an indexed file.
    pub(super) fn logged<'s>(&'s self, store: &'s KeyStore) -> Option<Cow<'s, Secrets>> {
        match (store.keylog.get(&self.client_random), self.from_file.as_deref()) {
            (Some(held), None) => Some(Cow::Borrowed(held)),
            (None, Some(file)) => Some(Cow::Borrowed(file)),
            (Some(held), Some(file)) => {
                let mut both = file.clone();
                both.absorb(held);
                Some(Cow::Owned(both))
            }
            (None, None) => None,
        }
    }

    /// The TLS 1.3 secrets the key log has for this connection and its suite once the
    /// ServerHello named it (QUIC protects its packets with keys derived from them).
    pub(in crate::conn) fn tls13_secrets(&self, store: &KeyStore) -> Option<(Option<u16>, crypto::Secrets)> {
        if !store.enabled || self.client_random.is_empty() {
            return None;
        }
        let secrets = self.logged(store)?.into_owned();
        Some((self.suite.filter(|_| self.tls13), secrets))
    }

    /// The key log has what setting up this connection's keys starts from: a TLS 1.3 handshake
    /// traffic secret, or any entry for the client random (TLS <= 1.2: its master secret).
    pub(super) fn secrets_logged(&self, store: &KeyStore) -> bool {
        self.logged(store)
            .is_some_and(|s| !self.tls13 || s.handshake_secret(true).is_some() || s.handshake_secret(false).is_some())
    }

    /// The TLS 1.3 secret protecting a direction's next records: its handshake traffic secret
    /// until its Finished, its application traffic secret 0 after.
    pub(super) fn next_secret<'s>(&self, secrets: &'s crypto::Secrets, from_client: bool) -> Option<&'s [u8]> {
        if self.finished_seen.get(dir_index(from_client)).copied().unwrap_or(false) {
            secrets.app_secret(from_client)
        } else {
            secrets.handshake_secret(from_client)
        }
    }

    /// A TLS 1.3 direction has no record keys yet but the key log now has its secret (it was
    /// written after the keys were set up): the next record sets them up.
    pub(super) fn secret_arrived(&self, store: &KeyStore, from_client: bool) -> bool {
        self.tls13
            && self.secrets.is_some()
            && self.dec.get(dir_index(from_client)).is_some_and(Option::is_none)
            && self.logged(store).is_some_and(|s| self.next_secret(&s, from_client).is_some())
    }

    /// The client offered 0-RTT and has no early keys (yet).
    pub(super) fn wants_early_keys(&self) -> bool {
        !self.early_suites.is_empty() && self.early.is_none() && self.early_candidates.is_empty()
    }

    /// The client offered 0-RTT and its early traffic secret is not in the key log (yet).
    pub(super) fn early_secret_missing(&self, store: &KeyStore) -> bool {
        self.wants_early_keys() && self.logged(store).is_none_or(|s| s.client_early.is_none())
    }

    /// A DTLS 1.3 record before the ServerHello (which was lost and comes again after it) cannot
    /// be opened yet, but may be once a growing key log has this direction's handshake secret.
    pub fn awaiting_keys_before_server_hello(&self, store: &KeyStore, from_client: bool) -> bool {
        !self.gave_up
            && store.enabled
            && !self.client_random.is_empty()
            && self.server_random.is_empty()
            && self.logged(store).is_none_or(|s| s.handshake_secret(from_client).is_none())
    }

    /// Records of this direction cannot be decrypted yet, but may be once a key log that is
    /// still being written catches up (the ServerHello is known and the secrets are not, or
    /// the client sends 0-RTT data whose early secret is not logged yet).
    pub fn awaiting_keys(&self, store: &KeyStore, from_client: bool) -> bool {
        if self.gave_up || !store.enabled {
            return false;
        }
        if from_client && self.early_secret_missing(store) {
            return true;
        }
        if self.server_random.is_empty() {
            return false;
        }
        let d = dir_index(from_client);
        match self.logged(store) {
            None => true,
            Some(s) if self.tls13 => {
                self.dec.get(d).is_some_and(Option::is_none) && self.next_secret(&s, from_client).is_none()
            }
            Some(_) => false,
        }
    }

    /// Stop waiting for secrets (they arrived, or too late).
    pub fn stop_waiting(&mut self) {
        self.gave_up = true;
    }

    /// True when a direction's records can be decrypted now.
    pub fn can_decrypt(&self, store: &KeyStore, from_client: bool) -> bool {
        self.lookup_pending
            || self.dec.get(dir_index(from_client)).is_some_and(Option::is_some)
            || self.secret_arrived(store, from_client)
            || (from_client
                && (self.early.is_some() || !self.early_candidates.is_empty() || self.early_secret_logged(store)))
    }
}
