//! Key material a run shares: the key log, the TLS <= 1.2 sessions seen (for resumed
//! connections), the decryption counters and the key log's part of the summary.

use super::decrypt::ConnCrypto;
use crate::crypto::KeyLog;
use serde::Serialize;
use std::collections::{HashMap, HashSet, VecDeque};

/// Resumable sessions remembered across connections of a run (bounded).
const MAX_REMEMBERED_SESSIONS: usize = 10_000;
/// Connections left without secrets while the key log dropped lines, remembered by number to
/// name them in the summary; beyond, they are only counted.
const MAX_NAMED_WITHOUT_SECRETS: usize = 10_000;

/// Key material shared by all connections: the key log and the TLS <= 1.2 sessions seen, so a
/// resumed connection finds its master secret by session id or ticket even when the key log
/// only has the original connection's client random.
#[derive(Default)]
pub struct KeyStore {
    pub keylog: KeyLog,
    /// True when the user gave a key log (or the capture embedded one).
    pub enabled: bool,
    pub(super) sessions: HashMap<Vec<u8>, Vec<u8>>,
    pub(super) tickets: HashMap<Vec<u8>, Vec<u8>>,
    order: VecDeque<(bool, Vec<u8>)>,
    pub stats: DecryptStats,
    /// Connections left without (some) secrets while the key log had dropped lines: their
    /// number and client random.
    without_secrets: Vec<(u64, [u8; 32])>,
    without_secrets_unlisted: u64,
    /// `--rsa-key`: the servers' private keys, each with the connections it opened.
    pub rsa_keys: Vec<(crate::crypto::rsa_kx::ServerKey, u64)>,
    /// `--show-secrets`: the premaster and master secrets go into `key_derivation`.
    pub show_secrets: bool,
    /// `--write-keylog`: handshake events carry their secrets as key log lines.
    pub keylog_lines: bool,
}

impl KeyStore {
    /// A handshake event is written: a connection that lacks secrets while the key log dropped
    /// lines for lack of memory may have lost them there; it is remembered for the summary.
    pub fn note_handshake(&mut self, conn: u64, crypto: &ConnCrypto) {
        if !self.enabled || self.keylog.stats().dropped_lines == 0 || crypto.missing_labels().is_empty() {
            return;
        }
        let Ok(random) = <[u8; 32]>::try_from(crypto.client_random()) else { return };
        if self.without_secrets.last().is_some_and(|(c, _)| *c == conn) {
            return;
        }
        if self.without_secrets.len() < MAX_NAMED_WITHOUT_SECRETS {
            self.without_secrets.push((conn, random));
        } else {
            self.without_secrets_unlisted = self.without_secrets_unlisted.saturating_add(1);
        }
    }

    /// The key log's part of the summary: lines read, kept and dropped, and the connections
    /// whose secrets were among the dropped lines (all that lack secrets when the dropped
    /// text cannot be read again).
    pub fn key_log_summary(&self) -> Option<KeyLogSummary> {
        if !self.enabled {
            return None;
        }
        let stats = self.keylog.stats();
        let candidates: HashSet<[u8; 32]> = self.without_secrets.iter().map(|(_, r)| *r).collect();
        let lost =
            if candidates.is_empty() { Some(HashSet::new()) } else { self.keylog.lost_to_the_limit(&candidates) };
        let mut connections: Vec<u64> = self
            .without_secrets
            .iter()
            .filter(|(_, r)| lost.as_ref().is_none_or(|l| l.contains(r)))
            .map(|(c, _)| *c)
            .collect();
        connections.dedup();
        Some(KeyLogSummary {
            lines: stats.lines,
            indexed: stats.kept,
            bad_lines: stats.bad_lines,
            skipped_lines: stats.skipped_lines,
            dropped_lines: stats.dropped_lines,
            connections_without_secrets: connections,
            connections_without_secrets_unlisted: self.without_secrets_unlisted,
            read_errors: stats.read_errors,
        })
    }

    pub(super) fn remember(&mut self, is_ticket: bool, key: Vec<u8>, master: Vec<u8>) {
        if key.is_empty() {
            return;
        }
        let map = if is_ticket { &mut self.tickets } else { &mut self.sessions };
        if map.insert(key.clone(), master).is_none() {
            self.order.push_back((is_ticket, key));
        }
        while self.order.len() > MAX_REMEMBERED_SESSIONS {
            if let Some((t, k)) = self.order.pop_front() {
                if t {
                    self.tickets.remove(&k);
                } else {
                    self.sessions.remove(&k);
                }
            }
        }
    }
}

/// Counters for the run summary.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DecryptStats {
    pub connections_decrypted: u64,
    pub connections_without_secrets: u64,
    pub connections_unsupported_cipher: u64,
    /// With `--rsa-key`: connections whose premaster the server's key opened.
    #[serde(skip_serializing_if = "is_zero")]
    pub connections_decrypted_with_rsa_key: u64,
    /// With `--rsa-key`: RSA key exchanges whose server certificate matched no key given.
    #[serde(skip_serializing_if = "is_zero")]
    pub rsa_key_exchanges_without_key: u64,
    pub records_decrypted: u64,
    pub records_failed: u64,
    pub finished_verified: u64,
    pub finished_failed: u64,
}

/// The key log in the run summary.
#[derive(Clone, Debug, Default, Serialize)]
pub struct KeyLogSummary {
    /// Lines read (all key logs: file, embedded blocks, lines of a growing log).
    pub lines: u64,
    /// Lines whose secret is held: in memory, or indexed in the file and read back on demand.
    pub indexed: u64,
    /// Lines not usable (reported on stderr with their line numbers).
    pub bad_lines: u64,
    /// Lines with a label that carries nothing used (EARLY_EXPORTER_SECRET, ...).
    pub skipped_lines: u64,
    /// Good lines dropped because the key log's share of `--memory-limit` was full.
    pub dropped_lines: u64,
    /// Connections (ids) that lack secrets because they were among the dropped lines.
    pub connections_without_secrets: Vec<u64>,
    /// More such connections, not listed.
    #[serde(skip_serializing_if = "is_zero")]
    pub connections_without_secrets_unlisted: u64,
    /// Reads of the key log file that failed when a connection asked for its secrets.
    #[serde(skip_serializing_if = "is_zero")]
    pub read_errors: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// How a handshake's keys were made, for the `handshake` event (`key_derivation`): the story
/// of the three randoms.
#[derive(Clone, Debug, Default, Serialize)]
pub struct KeyDerivation {
    /// Where the secret the keys come from was found: "rsa_key" (the premaster, opened with the
    /// server's private key), "key_log" (the master secret or TLS 1.3 traffic secrets),
    /// "resumed_session" (the master secret of the session resumed, from an earlier
    /// connection), or "none".
    pub secret_from: &'static str,
    /// `--rsa-key`: the key file that opened the premaster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rsa_key: Option<String>,
    /// RSA key exchange: the premaster's length (48 when well formed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub premaster_length: Option<usize>,
    /// RSA key exchange: the version in the premaster's first two bytes, and whether it is the
    /// ClientHello's (a server checking it would otherwise go on with a random premaster).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub premaster_version: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub premaster_version_ok: Option<bool>,
    pub client_random: String,
    pub server_random: String,
    /// The function that made the master secret (TLS <= 1.2) or the key schedule (TLS 1.3).
    pub prf: Option<String>,
    /// TLS <= 1.2: the PRF label, "master secret" or "extended master secret" (RFC 7627).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<&'static str>,
    /// Both Finished verified with these keys: the derivation is proved.
    pub proved_by_finished: Option<bool>,
    /// Why a server key cannot help (forward secrecy), or what went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// `--show-secrets` only: the premaster secret (RSA key exchange), hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub premaster: Option<String>,
    /// `--show-secrets` only: the master secret (TLS <= 1.2), hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_secret: Option<String>,
}

/// What decryption achieved for a handshake, for the `handshake` event.
#[derive(Clone, Debug, Serialize)]
pub struct DecryptionReport {
    /// "decrypted", "no_key_log", "no_secrets", "unsupported_cipher", "failed", "not_needed".
    pub status: &'static str,
    /// Key log labels that were missing for this client random.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_labels: Vec<&'static str>,
    pub reason: Option<String>,
}
