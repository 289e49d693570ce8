//! Trust as a browser judges it: the chain as sent, with path building (rustls-webpki) to a
//! set of trust anchors, at the capture's time, for the name the client asked for.
//!
//! The anchors are the Mozilla root set compiled in (webpki-roots: the same verdict on every
//! machine), the machine's store, or none, plus PEM certificates from files and folders.
//! Path building, signatures, validity, basic and name constraints, and extended key usage
//! are all webpki's; this module only loads anchors and words the verdict.

use super::format_rfc3339;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use serde::Serialize;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use webpki::{EndEntityCert, KeyUsage};
use x509_parser::prelude::{FromDer, X509Name};

/// The base set of anchors (`--trust`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum BaseRoots {
    /// The Mozilla root set compiled in.
    #[default]
    Mozilla,
    /// The machine's store (`SSL_CERT_FILE` and `SSL_CERT_DIR` honoured).
    System,
    /// No base set: only `--ca-file` and `--ca-dir` anchors.
    None,
}

/// Where an anchor came from, as the verdict names it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Source {
    Mozilla,
    System,
    File(String),
}

impl Source {
    fn describe(&self) -> String {
        match self {
            Source::Mozilla => "Mozilla roots".to_string(),
            Source::System => "the system store".to_string(),
            Source::File(path) => path.clone(),
        }
    }
}

/// Trust anchors of a run. Shared (behind an `Arc`) by every decoding thread.
#[derive(Debug)]
pub struct TrustStore {
    /// Tells stores apart in the chain memo (tests use several in one thread).
    id: u64,
    anchors: Vec<TrustAnchor<'static>>,
    /// Per anchor, where it came from.
    sources: Vec<Source>,
}

/// Why anchors could not be loaded: one line for the user.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TrustError(pub String);

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

impl TrustStore {
    fn empty() -> Self {
        TrustStore { id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed), anchors: Vec::new(), sources: Vec::new() }
    }

    /// The compiled-in Mozilla set alone: the default, shared by every run without flags.
    pub fn mozilla() -> &'static TrustStore {
        static MOZILLA: std::sync::OnceLock<TrustStore> = std::sync::OnceLock::new();
        MOZILLA.get_or_init(|| {
            let mut store = TrustStore::empty();
            store.add_mozilla();
            store
        })
    }

    fn add_mozilla(&mut self) {
        for anchor in webpki_roots::TLS_SERVER_ROOTS {
            self.anchors.push(anchor.clone());
            self.sources.push(Source::Mozilla);
        }
    }

    /// The base set, then the anchors of each file and each folder's files.
    pub fn load(base: BaseRoots, files: &[PathBuf], dirs: &[PathBuf]) -> Result<TrustStore, TrustError> {
        let mut store = TrustStore::empty();
        match base {
            BaseRoots::Mozilla => store.add_mozilla(),
            BaseRoots::System => store.add_system().map_err(|e| flag("--trust system:", e))?,
            BaseRoots::None => {}
        }
        for file in files {
            let added =
                store.add_file(file, Source::File(file.display().to_string())).map_err(|e| flag("--ca-file", e))?;
            if added == 0 {
                return Err(TrustError(format!("--ca-file {}: no PEM certificate in it", file.display())));
            }
        }
        for dir in dirs {
            let added = store.add_dir(dir, true).map_err(|e| flag("--ca-dir", e))?;
            if added == 0 {
                return Err(TrustError(format!("--ca-dir {}: no PEM certificate in it", dir.display())));
            }
        }
        Ok(store)
    }

    /// Number of anchors.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// The PEM certificates of `path` as anchors; how many were added. A certificate that
    /// does not parse is an error: a private PKI silently missing a root would mislead.
    fn add_file(&mut self, path: &Path, source: Source) -> Result<usize, TrustError> {
        let bytes = std::fs::read(path).map_err(|e| TrustError(format!("{}: {e}", path.display())))?;
        let mut added = 0usize;
        for (n, item) in CertificateDer::pem_slice_iter(&bytes).enumerate() {
            let which = n.saturating_add(1);
            let der = item.map_err(|e| TrustError(format!("{}: certificate {which}: bad PEM: {e}", path.display())))?;
            let anchor = webpki::anchor_from_trusted_cert(&der)
                .map_err(|e| TrustError(format!("{}: certificate {which} does not parse: {e:?}", path.display())))?;
            self.anchors.push(anchor.to_owned());
            self.sources.push(source.clone());
            added = added.saturating_add(1);
        }
        Ok(added)
    }

    /// Every file of `dir` holding PEM certificates (files without any are skipped: key files,
    /// notes); `strict` makes an unreadable file or a bad certificate an error.
    fn add_dir(&mut self, dir: &Path, strict: bool) -> Result<usize, TrustError> {
        let entries = std::fs::read_dir(dir).map_err(|e| TrustError(format!("{}: {e}", dir.display())))?;
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        // Sorted: the same anchors in the same order on every run.
        paths.sort();
        let mut added = 0usize;
        for path in paths.iter().filter(|p| p.is_file()) {
            let source = if strict { Source::File(path.display().to_string()) } else { Source::System };
            match self.add_file(path, source) {
                Ok(n) => added = added.saturating_add(n),
                Err(e) if strict => return Err(e),
                Err(_) => {}
            }
        }
        Ok(added)
    }

    /// The machine's store: `SSL_CERT_FILE` or the usual bundle, and `SSL_CERT_DIR`'s folders.
    fn add_system(&mut self) -> Result<(), TrustError> {
        const BUNDLES: &[&str] = &[
            "/etc/ssl/certs/ca-certificates.crt",
            "/etc/pki/tls/certs/ca-bundle.crt",
            "/etc/ssl/ca-bundle.pem",
            "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
            "/etc/ssl/cert.pem",
        ];
        let file = std::env::var_os("SSL_CERT_FILE").filter(|v| !v.is_empty()).map(PathBuf::from);
        let dirs = std::env::var_os("SSL_CERT_DIR").filter(|v| !v.is_empty());
        let mut added = 0usize;
        match &file {
            Some(path) => added = self.add_file(path, Source::System)?,
            None if dirs.is_none() => {
                if let Some(bundle) = BUNDLES.iter().map(Path::new).find(|p| p.is_file()) {
                    added = self.add_file(bundle, Source::System)?;
                }
            }
            None => {}
        }
        if let Some(dirs) = dirs {
            for dir in std::env::split_paths(&dirs) {
                added = added.saturating_add(self.add_dir(&dir, false)?);
            }
        }
        if added == 0 {
            return Err(TrustError("no certificate found (set SSL_CERT_FILE or SSL_CERT_DIR)".to_string()));
        }
        Ok(())
    }
}

/// Names the flag an anchor error came from.
fn flag(name: &str, e: TrustError) -> TrustError {
    TrustError(format!("{name} {}", e.0))
}

/// What the chain is judged for.
#[derive(Clone, Copy, Debug, Default)]
pub struct TrustContext<'a> {
    /// None: the compiled-in Mozilla set.
    pub store: Option<&'a TrustStore>,
    /// A client's chain (client authentication) rather than a server's.
    pub client: bool,
    /// Without SNI, a server's certificate is checked for this address (as when a browser
    /// is pointed at an IP address).
    pub server_ip: Option<IpAddr>,
    /// A client's chain: the CAs the server's CertificateRequest named, rendered as text.
    pub named_cas: Option<&'a [String]>,
}

/// The anchors of a context that names none: set once by the command line, so that a trace
/// run without them (the explorer tracing a connection again) judges as the run does.
static PROCESS_DEFAULT: std::sync::OnceLock<std::sync::Arc<TrustStore>> = std::sync::OnceLock::new();

/// Makes `store` the anchors of contexts that name none (the first call wins).
pub fn set_process_default(store: std::sync::Arc<TrustStore>) {
    let _ = PROCESS_DEFAULT.set(store);
}

impl TrustContext<'_> {
    pub(super) fn store(&self) -> &TrustStore {
        self.store.or_else(|| PROCESS_DEFAULT.get().map(|s| s.as_ref())).unwrap_or_else(|| TrustStore::mozilla())
    }

    /// Identity of the inputs besides the chain and time, for the memo.
    pub(super) fn key(&self) -> TrustKey {
        TrustKey {
            store: self.store().id,
            client: self.client,
            server_ip: self.server_ip,
            named_cas: self.named_cas.map(<[String]>::to_vec),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct TrustKey {
    store: u64,
    client: bool,
    server_ip: Option<IpAddr>,
    named_cas: Option<Vec<String>>,
}

/// The verdict on a chain: serialized into the Certificate message's `chain` object and as
/// the handshake event's `trust`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChainTrust {
    /// A path from the leaf to an anchor exists at the capture's time, for this name and use.
    pub trusted: Option<bool>,
    /// Why not; null when trusted.
    pub trust_error: Option<String>,
    /// The anchor's subject, when trusted.
    pub anchor: Option<String>,
    /// The anchor's common name (its subject when it has none), when trusted.
    pub anchor_name: Option<String>,
    /// Where the anchor came from: "Mozilla roots", "the system store" or the file's path.
    pub anchor_from: Option<String>,
}

impl ChainTrust {
    fn untrusted(error: String) -> Self {
        ChainTrust { trusted: Some(false), trust_error: Some(error), ..Self::default() }
    }

    /// "trusted (anchor)" or "untrusted: reason", as the ladder and warnings say it.
    pub fn verdict(&self) -> Option<String> {
        match (self.trusted, &self.trust_error) {
            (Some(true), _) => Some(format!("trusted ({})", self.anchor_name.as_deref().unwrap_or("anchor"))),
            (Some(false), Some(e)) => Some(format!("untrusted: {e}")),
            (Some(false), None) => Some("untrusted".to_string()),
            (None, _) => None,
        }
    }
}

/// Judges `ders` (leaf first, the rest in any order) at `time_secs` (seconds since the epoch).
/// `sni` is the server name the client asked for (a server's chain only).
pub fn verify(ders: &[&[u8]], time_secs: i64, sni: Option<&str>, ctx: &TrustContext<'_>) -> ChainTrust {
    let Some((leaf, rest)) = ders.split_first() else {
        return ChainTrust::default();
    };
    let store = ctx.store();
    let leaf_der = CertificateDer::from(*leaf);
    let end_entity = match EndEntityCert::try_from(&leaf_der) {
        Ok(e) => e,
        Err(e) => return ChainTrust::untrusted(format!("leaf certificate does not parse ({e:?})")),
    };
    let intermediates: Vec<CertificateDer<'_>> = rest.iter().map(|d| CertificateDer::from(*d)).collect();
    // Before the epoch nothing is valid; webpki counts from it.
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(u64::try_from(time_secs).unwrap_or(0)));
    let usage = if ctx.client { KeyUsage::client_auth() } else { KeyUsage::server_auth() };
    let path = match end_entity.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &store.anchors,
        &intermediates,
        time,
        usage,
        None,
        None,
    ) {
        Ok(path) => path,
        Err(e) => return ChainTrust::untrusted(describe_error(&e, ctx.client, sni, ctx.server_ip)),
    };
    let anchor = path.anchor();
    let subject = anchor_subject(anchor);
    if !ctx.client {
        let name = match (sni, ctx.server_ip) {
            (Some(sni), _) => ServerName::try_from(sni).ok().map(|n| n.to_owned()),
            (None, Some(ip)) => Some(ServerName::IpAddress(ip.into())),
            (None, None) => None,
        };
        let wanted = sni.map(str::to_owned).or_else(|| ctx.server_ip.map(|ip| ip.to_string()));
        let matches = match &name {
            Some(name) => end_entity.verify_is_valid_for_subject_name(name).is_ok(),
            // An SNI that is no valid name matches no certificate.
            None => wanted.is_none(),
        };
        if !matches {
            return ChainTrust::untrusted(format!(
                "name mismatch: {} is not a name of the certificate",
                wanted.unwrap_or_default()
            ));
        }
    }
    if let Some(named) = ctx.named_cas.filter(|n| !n.is_empty()) {
        // The server names CAs by subject: the anchor or any certificate's issuer will do.
        let issuers = ders.iter().filter_map(|d| {
            x509_parser::certificate::X509Certificate::from_der(d).ok().map(|(_, c)| c.issuer().to_string())
        });
        let mut found = named.iter().any(|n| Some(n) == subject.as_ref());
        for issuer in issuers {
            found = found || named.contains(&issuer);
        }
        if !found {
            return ChainTrust::untrusted("issuer is not among the CAs the server's CertificateRequest named".into());
        }
    }
    let index = store.anchors.iter().position(|a| {
        a.subject.as_ref() == anchor.subject.as_ref()
            && a.subject_public_key_info.as_ref() == anchor.subject_public_key_info.as_ref()
    });
    ChainTrust {
        trusted: Some(true),
        trust_error: None,
        anchor_name: anchor_common_name(anchor).or_else(|| subject.clone()),
        anchor: subject,
        anchor_from: index.and_then(|i| store.sources.get(i)).map(Source::describe),
    }
}

/// The anchor's subject, rendered as certificates' subjects are (webpki keeps the Name's
/// contents without its SEQUENCE header, so one is put back).
fn anchor_name_der(anchor: &TrustAnchor<'_>) -> Vec<u8> {
    let content = anchor.subject.as_ref();
    let len = content.len();
    let mut der = vec![0x30];
    let len_bytes = len.to_be_bytes();
    let significant: Vec<u8> = len_bytes.iter().copied().skip_while(|b| *b == 0).collect();
    if len < 0x80 {
        der.extend(significant.iter().copied().chain((len == 0).then_some(0)));
    } else {
        // Long form: 0x80 | count of length bytes, then the bytes (a few at most).
        der.push(0x80 | u8::try_from(significant.len()).unwrap_or(0));
        der.extend(significant);
    }
    der.extend_from_slice(content);
    der
}

fn anchor_subject(anchor: &TrustAnchor<'_>) -> Option<String> {
    let der = anchor_name_der(anchor);
    X509Name::from_der(&der).ok().map(|(_, n)| n.to_string())
}

fn anchor_common_name(anchor: &TrustAnchor<'_>) -> Option<String> {
    let der = anchor_name_der(anchor);
    let (_, name) = X509Name::from_der(&der).ok()?;
    name.iter_common_name().next().and_then(|cn| cn.as_str().ok()).map(str::to_owned)
}

/// webpki's error in the words of the JSON's `trust_error`.
fn describe_error(e: &webpki::Error, client: bool, sni: Option<&str>, ip: Option<IpAddr>) -> String {
    use webpki::Error as E;
    let role = if client { "clients" } else { "servers" };
    match e {
        E::UnknownIssuer => "unknown issuer".to_string(),
        E::CertExpired { not_after, .. } => {
            format!("expired at capture time (not after {})", rfc3339_or_number(not_after.as_secs()))
        }
        E::CertNotValidYet { not_before, .. } => {
            format!("not yet valid at capture time (not before {})", rfc3339_or_number(not_before.as_secs()))
        }
        E::InvalidCertValidity => "invalid validity period".to_string(),
        E::CertNotValidForName(_) => format!(
            "name mismatch: {} is not a name of the certificate",
            sni.map(str::to_owned).or_else(|| ip.map(|i| i.to_string())).unwrap_or_default()
        ),
        E::InvalidSignatureForPublicKey => "bad signature".to_string(),
        E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => {
            format!("not allowed for TLS {role} (extended key usage)")
        }
        E::CaUsedAsEndEntity => "CA constraints violated: a CA certificate used as the leaf".to_string(),
        E::EndEntityUsedAsCa => "CA constraints violated: a non-CA certificate issued another".to_string(),
        E::PathLenConstraintViolated => "CA constraints violated: path length".to_string(),
        E::NameConstraintViolation => "name constraints violated".to_string(),
        E::CertDistrusted => "distrusted certificate".to_string(),
        E::UnsupportedSignatureAlgorithmContext(_) | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "unsupported signature algorithm".to_string()
        }
        E::MaximumPathDepthExceeded
        | E::MaximumPathBuildCallsExceeded
        | E::MaximumSignatureChecksExceeded
        | E::MaximumNameConstraintComparisonsExceeded => "path building gave up (too many candidates)".to_string(),
        E::BadDer | E::BadDerTime | E::TrailingData(_) | E::MalformedExtensions | E::ExtensionValueInvalid => {
            format!("malformed certificate ({e:?})")
        }
        E::UnsupportedCriticalExtension => "unsupported critical extension".to_string(),
        other => format!("{other:?}"),
    }
}

/// Seconds since the epoch as RFC 3339 text (the number itself beyond the representable years).
pub(super) fn rfc3339_or_number(secs: u64) -> String {
    i64::try_from(secs).ok().and_then(format_rfc3339).unwrap_or_else(|| secs.to_string())
}

#[cfg(test)]
pub(super) mod tests_support {
    use super::*;

    /// Each anchor's rendered subject (None where it does not parse).
    pub fn all_anchor_subjects(store: &TrustStore) -> Vec<Option<String>> {
        store.anchors.iter().map(anchor_subject).collect()
    }
}
