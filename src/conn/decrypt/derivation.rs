//! How a TLS <= 1.2 master secret is made when a server's private key is given (`--rsa-key`):
//! the server certificate matched to a key, the premaster opened from the ClientKeyExchange and
//! checked, the master secret derived; and the story of the keys for the handshake event
//! (`key_derivation`) and `--write-keylog`.

use super::{ConnCrypto, KeyDerivation, KeyStore, KxState};
use crate::crypto;
use crate::msgs::reader::Reader;

/// The public modulus of an RSA certificate.
fn rsa_modulus(der: &[u8]) -> Option<Vec<u8>> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    match cert.public_key().parsed().ok()? {
        x509_parser::public_key::PublicKey::RSA(key) => Some(key.modulus.to_vec()),
        _ => None,
    }
}

/// The PRF hash of a TLS 1.2 suite: its own for the suites this build decrypts, else SHA-384
/// for the `_SHA384` suites and SHA-256 for the rest (RFC 5246 and its successors).
fn prf_hash_of(suite: u16) -> crypto::HashAlg {
    if let Some(params) = crypto::suite(suite) {
        return params.prf_hash;
    }
    let name = crate::msgs::names::cipher_suite_name(suite);
    if name.ends_with("SHA384") { crypto::HashAlg::Sha384 } else { crypto::HashAlg::Sha256 }
}

impl ConnCrypto {
    /// Both hellos carried extended_master_secret.
    pub(super) fn ems(&self) -> bool {
        self.kx.as_ref().is_some_and(|kx| kx.ems)
    }

    pub(super) fn kx_state(&mut self) -> &mut KxState {
        self.kx.get_or_insert_with(Box::default)
    }

    /// `--rsa-key`: the key whose public half the server's certificate holds, if one was given.
    pub(super) fn match_server_key(&mut self, store: &KeyStore, body: &[u8]) {
        let Some(leaf) = crate::msgs::certificate::Certificate::der_certificates(body, self.version).into_iter().next()
        else {
            return;
        };
        let Some(modulus) = rsa_modulus(leaf) else { return };
        self.kx_state().server_key = store.rsa_keys.iter().position(|(key, _)| key.matches(&modulus));
    }

    /// RSA key exchange with a server key: the premaster from the ClientKeyExchange, the master
    /// secret from it (classic, extended or SSL 3.0), and this connection's keys.
    pub(super) fn open_premaster(&mut self, store: &mut KeyStore, body: &[u8]) {
        use crate::msgs::key_exchange::KeyExchange;
        let (Some(suite), Some(version)) = (self.suite, self.version) else { return };
        if KeyExchange::of_suite(suite) != Some(KeyExchange::Rsa) {
            return;
        }
        let mut derivation = KeyDerivation { secret_from: "none", ..KeyDerivation::default() };
        let (server_key, client_version) = (self.kx_state().server_key, self.kx_state().client_version);
        let Some(index) = server_key else {
            store.stats.rsa_key_exchanges_without_key = store.stats.rsa_key_exchanges_without_key.saturating_add(1);
            let note = "RSA key exchange, but no --rsa-key matches the server's certificate".to_string();
            self.reason = Some(format!("no master secret for this client random or session; {note}"));
            derivation.note = Some(note);
            self.kx_state().derivation = Some(derivation);
            return;
        };
        // SSL 3.0 sends the encrypted premaster bare; TLS with a two-byte length.
        let encrypted =
            if version == 0x0300 { Some(body) } else { Reader::new(body).vec16("encrypted premaster").ok() };
        let Some((key, used)) = store.rsa_keys.get_mut(index) else { return };
        derivation.rsa_key = Some(key.path.clone());
        let premaster = match encrypted.map(|e| key.decrypt(e)) {
            Some(Ok(p)) => p,
            Some(Err(e)) => {
                self.reason = Some(e.clone());
                derivation.note = Some(e);
                self.kx_state().derivation = Some(derivation);
                return;
            }
            None => {
                let note = "the ClientKeyExchange holds no well-formed encrypted premaster".to_string();
                self.reason = Some(note.clone());
                derivation.note = Some(note);
                self.kx_state().derivation = Some(derivation);
                return;
            }
        };
        *used = used.saturating_add(1);
        let premaster_version = premaster.get(..2).and_then(|v| <[u8; 2]>::try_from(v).ok()).map(u16::from_be_bytes);
        let version_ok = premaster_version == Some(client_version);
        derivation.secret_from = "rsa_key";
        derivation.premaster_length = Some(premaster.len());
        derivation.premaster_version = premaster_version;
        derivation.premaster_version_ok = Some(version_ok);
        if premaster.len() != 48 {
            derivation.note = Some(format!(
                "the premaster is {} bytes, not 48: a server would go on with a random premaster and the Finished \
                 would fail",
                premaster.len()
            ));
        } else if !version_ok {
            derivation.note = Some(format!(
                "the premaster names version 0x{:04x}, the ClientHello 0x{:04x}: a server checking it (RFC 5246 \
                 7.4.7.1) would go on with a random premaster and the Finished would fail",
                premaster_version.unwrap_or(0),
                client_version
            ));
        }
        let prf_hash = prf_hash_of(suite);
        let session_hash =
            if self.ems() { crypto::tls12::finished_hash(version, prf_hash, &self.transcript) } else { None };
        let Some((master, how)) = crypto::rsa_kx::master_secret(
            version,
            prf_hash,
            &premaster,
            &self.client_random,
            &self.server_random,
            session_hash.as_deref(),
        ) else {
            return;
        };
        derivation.prf = Some(crypto::rsa_kx::prf_name(version, prf_hash));
        derivation.label = Some(how.label());
        if store.show_secrets {
            derivation.premaster = Some(crate::hex_text::lower(&premaster));
        }
        let kx = self.kx_state();
        kx.derivation = Some(derivation);
        let session_id = kx.server_session_id.clone();
        store.stats.connections_decrypted_with_rsa_key =
            store.stats.connections_decrypted_with_rsa_key.saturating_add(1);
        store.remember(false, session_id, master.clone());
        self.master = Some(master);
        self.uncount(store);
        self.missing.clear();
        self.reason = None;
        self.lookup_pending = false;
        if crypto::suite(suite).is_none() || !crypto::record::tls12_version_supported(version) {
            self.set_status(
                store,
                "unsupported_cipher",
                Some(format!("cipher suite 0x{suite:04x} with version 0x{version:04x} cannot be decrypted")),
            );
        } else {
            self.set_status(store, "decrypted", None);
        }
    }

    /// How this handshake's keys were made, for its event; None without a key log or key.
    pub fn key_derivation(&self, store: &KeyStore) -> Option<Box<KeyDerivation>> {
        if !store.enabled || self.client_random.is_empty() {
            return None;
        }
        let mut d = self.kx.as_ref().and_then(|kx| kx.derivation.clone()).unwrap_or_else(|| KeyDerivation {
            secret_from: if self.tls13 && self.secrets.is_some() { "key_log" } else { "none" },
            ..KeyDerivation::default()
        });
        d.client_random = crate::hex_text::lower(&self.client_random);
        d.server_random = crate::hex_text::lower(&self.server_random);
        d.proved_by_finished = self.finished_verified();
        if let (Some(suite), Some(version)) = (self.suite, self.version) {
            let hash = prf_hash_of(suite);
            if self.tls13 {
                d.prf = Some(format!("TLS 1.3 key schedule (HKDF-{})", hash.name()));
            } else if d.secret_from == "resumed_session" {
                d.note = Some("the master secret of the session resumed, made in an earlier connection".into());
            } else if d.prf.is_none() && self.master.is_some() {
                d.prf = Some(crypto::rsa_kx::prf_name(version, hash));
                d.label = Some(if self.ems() { "extended master secret" } else { "master secret" });
            }
        }
        if d.secret_from == "none" && d.note.is_none() {
            d.note.clone_from(&self.reason);
        }
        if store.show_secrets && !self.tls13 {
            d.master_secret = self.master.as_deref().map(crate::hex_text::lower);
        }
        Some(Box::new(d))
    }

    /// The secrets this handshake used, as NSS key log lines (`--write-keylog`).
    pub fn keylog_lines(&self) -> Vec<String> {
        let random = crate::hex_text::lower(&self.client_random);
        if self.client_random.is_empty() {
            return Vec::new();
        }
        if !self.tls13 {
            return self
                .master
                .iter()
                .map(|m| format!("CLIENT_RANDOM {random} {}", crate::hex_text::lower(m)))
                .collect();
        }
        let Some(s) = &self.secrets else { return Vec::new() };
        [
            ("CLIENT_EARLY_TRAFFIC_SECRET", &s.client_early),
            ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", &s.client_handshake),
            ("SERVER_HANDSHAKE_TRAFFIC_SECRET", &s.server_handshake),
            ("CLIENT_TRAFFIC_SECRET_0", &s.client_app0),
            ("SERVER_TRAFFIC_SECRET_0", &s.server_app0),
            ("EXPORTER_SECRET", &s.exporter),
        ]
        .iter()
        .filter_map(|(label, secret)| {
            secret.as_deref().map(|v| format!("{label} {random} {}", crate::hex_text::lower(v)))
        })
        .collect()
    }
}
