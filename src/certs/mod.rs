//! X.509 certificates seen in Certificate messages: what each one says, and whether the chain
//! as sent holds together (order, signatures, server name).
//!
//! Parsing and signature checks are x509-parser's (with its `verify` feature, backed by ring);
//! this module only decides what to report. It never says "valid" without having verified
//! every signature it could reach: anything the verifier cannot check is "unverifiable", with
//! the reason.
//!
//! Every byte is hostile: the lints below keep panicking operations out of this layer.
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

pub mod ocsp;
pub mod sct;

use crate::time::Timestamp;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use x509_parser::error::X509Error;
use x509_parser::extensions::GeneralName;
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::oid_registry::Oid;
use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo, X509Certificate, X509Name};
use x509_parser::public_key::PublicKey;
use x509_parser::time::ASN1Time;

pub mod trust;
pub use trust::{BaseRoots, ChainTrust, TrustContext, TrustStore};

/// One certificate in wire order.
#[derive(Clone, Debug, Serialize)]
pub struct CertInfo {
    pub der_length: usize,
    /// SHA-256 of the DER bytes, lowercase hex without separators.
    pub sha256: std::sync::Arc<str>,
    #[serde(flatten)]
    pub details: CertDetails,
}

/// What the DER said, or why it could not be read.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum CertDetails {
    /// Shared: a server's chain is described once and every connection that sends it again
    /// points to the same description (see [`inspect_chain`]).
    Parsed(std::sync::Arc<ParsedCert>),
    Unparsed {
        error: String,
    },
}

#[derive(Clone, Debug, Serialize)]
pub struct ParsedCert {
    pub subject: String,
    pub issuer: String,
    /// Serial number as lowercase hex of its DER content bytes.
    pub serial: String,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
    /// Not yet valid or already expired at the capture time; null when the time is unknown.
    pub expired_at_capture: Option<bool>,
    /// Subject alternative names: DNS names and IP addresses.
    pub san: Vec<String>,
    #[serde(flatten)]
    pub key: PublicKeyInfo,
    /// Short name such as "sha256WithRSAEncryption", or the dotted OID.
    pub signature_algorithm: String,
    /// Issuer equals subject and the signature verifies with the certificate's own key.
    pub self_signed: bool,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// Signed Certificate Timestamps embedded in the certificate (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scts: Vec<sct::Sct>,
}

/// A subject public key, described.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PublicKeyInfo {
    /// "RSA", "EC", "Ed25519", "Ed448", "DSA", ... or the dotted OID.
    pub key_algorithm: String,
    /// RSA modulus bits, EC curve size, DSA prime bits; null when not known.
    pub key_bits: Option<u32>,
    /// EC curve name (TLS group naming, e.g. "secp256r1").
    pub curve: Option<String>,
}

/// Outcome of the signature checks over the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Signatures {
    Valid,
    Invalid,
    Unverifiable,
}

/// The chain as sent, judged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChainCheck {
    /// Every certificate's issuer name equals the next certificate's subject.
    pub issued_in_order: bool,
    pub signatures: Signatures,
    /// Whether the server name matches the leaf; null without SNI (or without a readable leaf).
    pub sni_matches: Option<bool>,
    /// What is wrong or could not be checked; null when nothing is.
    pub reason: Option<String>,
    /// Whether a browser would trust it at the capture's time (see [`trust`]).
    /// Shared with the chain memo: every connection that sends the chain points to one verdict.
    #[serde(flatten)]
    pub trust: std::sync::Arc<ChainTrust>,
}

/// Lowercase hex SHA-256 of `der`.
pub fn sha256_hex(der: &[u8]) -> String {
    crate::hex_text::lower(Sha256::digest(der))
}

/// RFC 3339 UTC text for seconds since the epoch, e.g. "2019-10-05T01:38:17Z"; none outside
/// the years the `time` crate represents.
pub fn format_rfc3339(secs: i64) -> Option<String> {
    ASN1Time::from_timestamp(secs).ok().map(rfc3339)
}

fn rfc3339(t: ASN1Time) -> String {
    let dt = t.to_datetime();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// Describes one DER certificate. `capture_time` decides `expired_at_capture`.
pub fn inspect_certificate(der: &[u8], capture_time: Option<&Timestamp>) -> CertInfo {
    let parsed = X509Certificate::from_der(der);
    describe(der, parsed.as_ref().ok().map(|(_, c)| c), parsed.as_ref().err(), capture_time)
}

fn describe(
    der: &[u8],
    cert: Option<&X509Certificate<'_>>,
    error: Option<&x509_parser::nom::Err<X509Error>>,
    capture_time: Option<&Timestamp>,
) -> CertInfo {
    describe_with_digest(der, &Sha256::digest(der).into(), cert, error, capture_time)
}

fn describe_with_digest(
    der: &[u8],
    digest: &[u8; 32],
    cert: Option<&X509Certificate<'_>>,
    error: Option<&x509_parser::nom::Err<X509Error>>,
    capture_time: Option<&Timestamp>,
) -> CertInfo {
    let details = match cert {
        Some(cert) => CertDetails::Parsed(std::sync::Arc::new(parsed_details(cert, capture_time))),
        None => CertDetails::Unparsed {
            error: error.map(|e| format!("certificate does not parse: {e}")).unwrap_or_default(),
        },
    };
    CertInfo { der_length: der.len(), sha256: crate::hex_text::lower(digest).into(), details }
}

fn parsed_details(cert: &X509Certificate<'_>, capture_time: Option<&Timestamp>) -> ParsedCert {
    let validity = cert.validity();
    let expired_at_capture =
        capture_time.map(|t| expired_at(t, validity.not_before.timestamp(), validity.not_after.timestamp()));
    ParsedCert {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: crate::hex_text::lower(cert.raw_serial()),
        not_before: rfc3339(validity.not_before),
        not_after: rfc3339(validity.not_after),
        expired_at_capture,
        san: san_names(cert),
        key: describe_spki(cert.public_key()),
        signature_algorithm: oid_name(&cert.signature_algorithm.algorithm),
        self_signed: names_equal(cert.issuer(), cert.subject()) && cert.verify_signature(None).is_ok(),
        is_ca: cert.is_ca(),
        scts: sct::embedded(cert),
    }
}

/// Short name of an OID ("sha256WithRSAEncryption"); algorithms newer than the OID registry
/// (ML-DSA signs with the same OID as its key type) by the key table; else the dotted OID.
fn oid_name(oid: &Oid<'_>) -> String {
    oid2sn(oid, oid_registry()).map(str::to_string).unwrap_or_else(|_| {
        let dotted = oid.to_id_string();
        key_algorithm_by_oid(&dotted).map(str::to_string).unwrap_or(dotted)
    })
}

fn san_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some((*dns).to_string()),
            GeneralName::IPAddress(bytes) => ip_from_bytes(bytes).map(|ip| ip.to_string()),
            _ => None,
        })
        .collect()
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// Significant bits of a big-endian unsigned integer (leading zero bytes and bits ignored).
fn integer_bits(bytes: &[u8]) -> u32 {
    let trimmed: &[u8] = match bytes.iter().position(|&b| b != 0) {
        Some(first) => bytes.get(first..).unwrap_or(&[]),
        None => &[],
    };
    match trimmed.first() {
        Some(&top) => {
            let len = u32::try_from(trimmed.len()).unwrap_or(u32::MAX / 8);
            len.saturating_sub(1).saturating_mul(8).saturating_add(8u32.saturating_sub(top.leading_zeros()))
        }
        None => 0,
    }
}

/// Curve name and size by OID. The OID registry's short names follow X9.62/SEC naming
/// ("prime256v1"); TLS output uses the SEC names the groups registry uses.
fn curve_by_oid(oid: &str) -> Option<(&'static str, u32)> {
    Some(match oid {
        "1.2.840.10045.3.1.7" => ("secp256r1", 256),
        "1.3.132.0.34" => ("secp384r1", 384),
        "1.3.132.0.35" => ("secp521r1", 521),
        "1.3.132.0.10" => ("secp256k1", 256),
        "1.3.132.0.33" => ("secp224r1", 224),
        "1.2.840.10045.3.1.1" => ("secp192r1", 192),
        "1.3.36.3.3.2.8.1.1.7" => ("brainpoolP256r1", 256),
        "1.3.36.3.3.2.8.1.1.11" => ("brainpoolP384r1", 384),
        "1.3.36.3.3.2.8.1.1.13" => ("brainpoolP512r1", 512),
        "1.2.156.10197.1.301" => ("sm2", 256),
        _ => return None,
    })
}

/// Key algorithm name by OID, for those the short-name registry lacks or names awkwardly.
fn key_algorithm_by_oid(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.840.113549.1.1.1" => "RSA",
        "1.2.840.113549.1.1.10" => "RSA-PSS",
        "1.2.840.10045.2.1" => "EC",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.10046.2.1" => "DH",
        "2.16.840.1.101.3.4.3.17" => "ML-DSA-44",
        "2.16.840.1.101.3.4.3.18" => "ML-DSA-65",
        "2.16.840.1.101.3.4.3.19" => "ML-DSA-87",
        "1.2.643.2.2.19" => "GOST R 34.10-2001",
        "1.2.643.7.1.1.1.1" => "GOST R 34.10-2012-256",
        "1.2.643.7.1.1.1.2" => "GOST R 34.10-2012-512",
        _ => return None,
    })
}

/// Describes a parsed SubjectPublicKeyInfo.
pub fn describe_spki(spki: &SubjectPublicKeyInfo<'_>) -> PublicKeyInfo {
    let alg_oid = spki.algorithm.algorithm.to_id_string();
    let key_algorithm =
        key_algorithm_by_oid(&alg_oid).map(str::to_string).unwrap_or_else(|| oid_name(&spki.algorithm.algorithm));
    let mut curve = None;
    let key_bits = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => Some(integer_bits(rsa.modulus)),
        Ok(PublicKey::EC(point)) => {
            let curve_oid = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok());
            match curve_oid.as_ref().map(|o| o.to_id_string()).as_deref().and_then(curve_by_oid) {
                Some((name, bits)) => {
                    curve = Some(name.to_string());
                    Some(bits)
                }
                None => {
                    curve = curve_oid.map(|o| oid_name(&o));
                    u32::try_from(point.key_size()).ok().filter(|&b| b > 0)
                }
            }
        }
        // The DSA prime size is in the parameters; the public value Y is at most that long.
        Ok(PublicKey::DSA(y)) => Some(integer_bits(y)).filter(|&b| b > 0),
        _ => match key_algorithm.as_str() {
            "Ed25519" | "X25519" => Some(256),
            "Ed448" => Some(456),
            "X448" => Some(448),
            _ => None,
        },
    };
    PublicKeyInfo { key_algorithm, key_bits, curve }
}

/// Describes a DER SubjectPublicKeyInfo (RFC 7250 raw public keys).
pub fn inspect_public_key(der: &[u8]) -> Option<PublicKeyInfo> {
    SubjectPublicKeyInfo::from_der(der).ok().map(|(_, spki)| describe_spki(&spki))
}

/// RFC 5280 name comparison, simplified: identical encodings, or identical text once both
/// are rendered (which absorbs string-type differences such as PrintableString vs UTF8String).
fn names_equal(a: &X509Name<'_>, b: &X509Name<'_>) -> bool {
    if a.as_raw() == b.as_raw() {
        return true;
    }
    match (a.to_string_with_registry(oid_registry()), b.to_string_with_registry(oid_registry())) {
        (Ok(a), Ok(b)) => a.eq_ignore_ascii_case(&b),
        _ => false,
    }
}

/// Describes every certificate of a Certificate message and judges the chain. `sni` is the
/// server name the client asked for (leaf names are matched against it). No chain verdict
/// for an empty list.
///
/// A server sends the same chain on every connection, and parsing it plus checking its RSA
/// signatures costs far more than the rest of a handshake's decoding, so verdicts are
/// remembered per thread by the chain's certificate hashes and the server name (see
/// `ChainMemo`); only `expired_at_capture` is recomputed for each capture time.
pub fn inspect_chain(
    ders: &[&[u8]],
    capture_time: Option<&Timestamp>,
    sni: Option<&str>,
) -> (Vec<CertInfo>, Option<ChainCheck>) {
    inspect_chain_for(ders, capture_time, sni, &TrustContext::default())
}

/// [`inspect_chain`], with the trust verdict judged in `trust`'s context (anchors, server or
/// client, the server's address, the CAs a CertificateRequest named).
pub fn inspect_chain_for(
    ders: &[&[u8]],
    capture_time: Option<&Timestamp>,
    sni: Option<&str>,
    trust: &TrustContext<'_>,
) -> (Vec<CertInfo>, Option<ChainCheck>) {
    let memo = CHAIN_MEMO.with(|cell| cell.borrow().get(ders, sni));
    let memo = match memo {
        Some(m) => m,
        None => {
            let m = std::rc::Rc::new(judge_chain(ders, sni, capture_time));
            CHAIN_MEMO.with(|cell| cell.borrow_mut().insert(std::rc::Rc::clone(&m)));
            m
        }
    };
    let (infos, mut check) = memo.at(capture_time);
    if let Some(check) = check.as_mut() {
        check.trust = memo.trust_at(ders, capture_time, sni, trust);
    }
    (infos, check)
}

/// A remembered trust verdict: its context, the validity state of each certificate, the verdict.
type TrustMemo = (trust::TrustKey, Vec<u8>, std::sync::Arc<ChainTrust>);

/// A chain's description and verdict, independent of the capture time.
struct JudgedChain {
    /// What was judged: the certificates and the server name.
    ders: Vec<Vec<u8>>,
    sni: Option<String>,
    infos: Vec<CertInfo>,
    /// Per certificate: notBefore and notAfter as seconds since the epoch (parsed ones only).
    validity: Vec<Option<(i64, i64)>>,
    check: Option<ChainCheck>,
    /// Trust verdicts already reached: by context and by where the time stood against each
    /// certificate's validity (the only way time changes webpki's verdict), newest last.
    trusted: std::cell::RefCell<Vec<TrustMemo>>,
}

impl JudgedChain {
    /// The descriptions as of `capture_time`: shared with the memo's, and copied only for a
    /// certificate whose validity at this time differs from that at the chain's first sight.
    fn at(&self, capture_time: Option<&Timestamp>) -> (Vec<CertInfo>, Option<ChainCheck>) {
        let mut infos = self.infos.clone();
        for (info, validity) in infos.iter_mut().zip(&self.validity) {
            if let (CertDetails::Parsed(p), Some((not_before, not_after))) = (&mut info.details, validity) {
                let expired = capture_time.map(|t| expired_at(t, *not_before, *not_after));
                if p.expired_at_capture != expired {
                    std::sync::Arc::make_mut(p).expired_at_capture = expired;
                }
            }
        }
        (infos, self.check.clone())
    }

    /// Verdicts kept per chain: a server's chain meets one context and a few validity states.
    const TRUST_VERDICTS: usize = 4;

    /// The trust verdict at `capture_time` (now when unknown), from the memo when the same
    /// context met the same validity states before.
    fn trust_at(
        &self,
        ders: &[&[u8]],
        capture_time: Option<&Timestamp>,
        sni: Option<&str>,
        ctx: &TrustContext<'_>,
    ) -> std::sync::Arc<ChainTrust> {
        let secs = capture_time.map_or_else(now_secs, |t| t.secs);
        // 0: before notBefore, 1: within, 2: after notAfter, per certificate.
        let states: Vec<u8> = self
            .validity
            .iter()
            .map(|v| match v {
                Some((nb, _)) if secs < *nb => 0,
                Some((_, na)) if secs > *na => 2,
                _ => 1,
            })
            .collect();
        let key = ctx.key();
        if let Some((_, _, found)) = self.trusted.borrow().iter().find(|(k, s, _)| *k == key && *s == states) {
            return std::sync::Arc::clone(found);
        }
        let verdict = std::sync::Arc::new(trust::verify(ders, secs, sni, ctx));
        let mut kept = self.trusted.borrow_mut();
        if kept.len() >= Self::TRUST_VERDICTS {
            kept.remove(0);
        }
        kept.push((key, states, std::sync::Arc::clone(&verdict)));
        verdict
    }
}

/// The clock's seconds since the epoch: the time a chain is judged at when the capture's is unknown.
fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .unwrap_or(0)
}

/// The capture's sub-second part cannot move it across a whole-second validity bound except at
/// the bound itself, where RFC 5280's inclusive limits count it as valid.
fn expired_at(t: &Timestamp, not_before: i64, not_after: i64) -> bool {
    t.secs < not_before || t.secs > not_after
}

fn judge_chain(ders: &[&[u8]], sni: Option<&str>, capture_time: Option<&Timestamp>) -> JudgedChain {
    let digests: Vec<[u8; 32]> = ders.iter().map(|der| Sha256::digest(der).into()).collect();
    let parsed: Vec<Result<X509Certificate<'_>, x509_parser::nom::Err<X509Error>>> =
        ders.iter().map(|der| X509Certificate::from_der(der).map(|(_, c)| c)).collect();
    let infos = ders
        .iter()
        .zip(&digests)
        .zip(&parsed)
        .map(|((der, digest), p)| describe_with_digest(der, digest, p.as_ref().ok(), p.as_ref().err(), capture_time))
        .collect();
    let validity = parsed
        .iter()
        .map(|p| p.as_ref().ok().map(|c| (c.validity().not_before.timestamp(), c.validity().not_after.timestamp())))
        .collect();
    let certs: Vec<Option<&X509Certificate<'_>>> = parsed.iter().map(|p| p.as_ref().ok()).collect();
    let check = if certs.is_empty() { None } else { Some(check_chain(&certs, sni)) };
    JudgedChain {
        ders: ders.iter().map(|d| d.to_vec()).collect(),
        sni: sni.map(str::to_owned),
        infos,
        validity,
        check,
        trusted: Default::default(),
    }
}

/// Chains judged recently, at most [`ChainMemo::CAPACITY`]; the oldest is forgotten first.
/// Per thread, so decoding threads never contend for it. Found by a fast hash of the
/// certificates and server name, then compared byte for byte: a SHA-256 per connection would
/// cost more than the lookup saves on small chains.
#[derive(Default)]
struct ChainMemo {
    hasher: foldhash::fast::RandomState,
    map: std::collections::HashMap<u64, std::rc::Rc<JudgedChain>>,
    order: std::collections::VecDeque<u64>,
    /// Bytes of the chains held, against the memory budget's Caches part.
    bytes: usize,
}

impl JudgedChain {
    /// Bytes a memoised chain holds: its certificates, and their descriptions counted as the
    /// same again plus a fixed part each.
    fn bytes(&self) -> usize {
        let ders: usize = self.ders.iter().map(Vec::len).sum();
        size_of::<Self>()
            .saturating_add(ders.saturating_mul(2))
            .saturating_add(self.ders.len().saturating_mul(512))
            .saturating_add(self.sni.as_ref().map_or(0, String::len))
    }
}

impl ChainMemo {
    /// Bounds memory (a chain and its description are a few KB) whatever the capture holds.
    const CAPACITY: usize = 256;

    fn key<'a>(&self, ders: impl Iterator<Item = &'a [u8]>, sni: Option<&str>) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = self.hasher.build_hasher();
        for der in ders {
            der.hash(&mut h);
        }
        sni.hash(&mut h);
        h.finish()
    }

    fn get(&self, ders: &[&[u8]], sni: Option<&str>) -> Option<std::rc::Rc<JudgedChain>> {
        let found = self.map.get(&self.key(ders.iter().copied(), sni))?;
        let same = found.sni.as_deref() == sni
            && found.ders.len() == ders.len()
            && found.ders.iter().zip(ders).all(|(a, b)| a.as_slice() == *b);
        same.then(|| std::rc::Rc::clone(found))
    }

    fn insert(&mut self, chain: std::rc::Rc<JudgedChain>) {
        let key = self.key(chain.ders.iter().map(Vec::as_slice), chain.sni.as_deref());
        let bytes = chain.bytes();
        let limit = crate::budget::cache_bytes();
        if self.map.contains_key(&key) || bytes > limit {
            return;
        }
        while self.map.len() >= Self::CAPACITY || self.bytes.saturating_add(bytes) > limit {
            let Some(oldest) = self.order.pop_front() else { break };
            if let Some(gone) = self.map.remove(&oldest) {
                self.bytes = self.bytes.saturating_sub(gone.bytes());
                crate::budget::count_cache_evictions(1);
            }
        }
        self.map.insert(key, chain);
        self.order.push_back(key);
        self.bytes = self.bytes.saturating_add(bytes);
    }
}

thread_local! {
    static CHAIN_MEMO: std::cell::RefCell<ChainMemo> = std::cell::RefCell::new(ChainMemo::default());
}

/// Result of checking one signature.
enum Link {
    Valid,
    Invalid(String),
    Unverifiable(String),
}

/// The key family a signature algorithm needs, to tell a wrong signer from an unsupported one.
fn signature_family(sig_oid: &str) -> Option<&'static str> {
    Some(match sig_oid {
        "1.2.840.113549.1.1.2"
        | "1.2.840.113549.1.1.3"
        | "1.2.840.113549.1.1.4"
        | "1.2.840.113549.1.1.5"
        | "1.2.840.113549.1.1.11"
        | "1.2.840.113549.1.1.12"
        | "1.2.840.113549.1.1.13"
        | "1.2.840.113549.1.1.14"
        | "1.3.14.3.2.29"
        | "1.2.840.113549.1.1.10" => "RSA",
        "1.2.840.10045.4.1"
        | "1.2.840.10045.4.3.1"
        | "1.2.840.10045.4.3.2"
        | "1.2.840.10045.4.3.3"
        | "1.2.840.10045.4.3.4" => "EC",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.3" | "2.16.840.1.101.3.4.3.1" | "2.16.840.1.101.3.4.3.2" => "DSA",
        _ => return None,
    })
}

/// Verifies `child`'s signature with `signer`'s key (x509-parser over ring), sorting failures
/// into "the signature is wrong" and "this verifier cannot tell".
fn verify_link(child: &X509Certificate<'_>, signer: &SubjectPublicKeyInfo<'_>, what: &str) -> Link {
    let sig_oid = child.signature_algorithm.algorithm.to_id_string();
    let sig_name = oid_name(&child.signature_algorithm.algorithm);
    let key = describe_spki(signer);
    let key_family = if key.key_algorithm == "RSA-PSS" { "RSA" } else { key.key_algorithm.as_str() };
    if let Some(family) = signature_family(&sig_oid)
        && family != key_family
        && key_algorithm_by_oid(&signer.algorithm.algorithm.to_id_string()).is_some()
    {
        return Link::Invalid(format!(
            "{what}: a {sig_name} signature cannot come from this key ({})",
            key.key_algorithm
        ));
    }
    // ring accepts RSA PKCS#1 SHA-1 signatures from 1024-bit keys, every other RSA signature
    // only from 2048-bit keys, and nothing above 8192 bits: outside that it reports a plain
    // failure, which would wrongly read as a bad signature.
    if key_family == "RSA" {
        let bits = key.key_bits.unwrap_or(0);
        let sha1 = matches!(sig_oid.as_str(), "1.2.840.113549.1.1.5" | "1.3.14.3.2.29");
        let min = if sha1 { 1024 } else { 2048 };
        if !(min..=8192).contains(&bits) {
            return Link::Unverifiable(format!(
                "{what}: {sig_name} with a {bits}-bit RSA key is outside what the verifier supports ({min} to 8192 bits)"
            ));
        }
    }
    match child.verify_signature(Some(signer)) {
        Ok(()) => Link::Valid,
        Err(X509Error::SignatureVerificationError) => Link::Invalid(format!("{what}: signature does not verify")),
        Err(X509Error::SignatureUnsupportedAlgorithm) => {
            let curve = key.curve.as_deref().map(|c| format!(" {c}")).unwrap_or_default();
            Link::Unverifiable(format!(
                "{what}: the verifier does not support {sig_name} with this key ({}{curve})",
                key.key_algorithm
            ))
        }
        Err(e) => Link::Unverifiable(format!("{what}: {e}")),
    }
}

fn check_chain(certs: &[Option<&X509Certificate<'_>>], sni: Option<&str>) -> ChainCheck {
    let mut issued_in_order = true;
    let mut order_problem = None;
    let mut invalid = None;
    let mut unverifiable = None;
    let mut note = |link: Link| match link {
        Link::Valid => {}
        Link::Invalid(why) => {
            invalid.get_or_insert(why);
        }
        Link::Unverifiable(why) => {
            unverifiable.get_or_insert(why);
        }
    };
    for (i, pair) in certs.windows(2).enumerate() {
        let next = i.saturating_add(1);
        let what = format!("certificate {i} signed by certificate {next}");
        match pair {
            [Some(child), Some(signer)] => {
                if !names_equal(child.issuer(), signer.subject()) {
                    issued_in_order = false;
                    order_problem
                        .get_or_insert(format!("certificate {i}'s issuer is not certificate {next}'s subject"));
                }
                note(verify_link(child, signer.public_key(), &what));
            }
            _ => {
                issued_in_order = false;
                note(Link::Unverifiable(format!("{what}: a certificate does not parse")));
            }
        }
    }
    let last_index = certs.len().saturating_sub(1);
    match certs.last() {
        Some(Some(last)) if names_equal(last.issuer(), last.subject()) => {
            note(verify_link(last, last.public_key(), &format!("certificate {last_index} signed by itself")));
        }
        Some(Some(_)) if certs.len() == 1 => {
            note(Link::Unverifiable("the issuer's certificate is not in the chain".to_string()));
        }
        Some(None) if certs.len() == 1 => {
            note(Link::Unverifiable("certificate 0 does not parse".to_string()));
        }
        _ => {}
    }
    let signatures = if invalid.is_some() {
        Signatures::Invalid
    } else if unverifiable.is_some() {
        Signatures::Unverifiable
    } else {
        Signatures::Valid
    };
    let sni_matches = match (sni, certs.first()) {
        (Some(name), Some(Some(leaf))) => Some(leaf_matches(leaf, name)),
        _ => None,
    };
    let mut reasons: Vec<String> = [invalid, unverifiable, order_problem].into_iter().flatten().collect();
    if sni_matches == Some(false) {
        reasons.push(format!("server name {} matches no name in the leaf certificate", sni.unwrap_or_default()));
    }
    ChainCheck {
        issued_in_order,
        signatures,
        sni_matches,
        reason: if reasons.is_empty() { None } else { Some(reasons.join("; ")) },
        trust: std::sync::Arc::default(),
    }
}

/// True when `host` is one of the leaf's names: DNS subject alternative names (wildcards per
/// RFC 6125), IP address SANs for an IP literal, and the subject common names only when the
/// certificate has no SAN extension (the legacy rule older verifiers apply).
fn leaf_matches(leaf: &X509Certificate<'_>, host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    if let Ok(ip) = host.parse::<IpAddr>() {
        return match leaf.subject_alternative_name() {
            Ok(Some(san)) => san.value.general_names.iter().any(|n| match n {
                GeneralName::IPAddress(bytes) => ip_from_bytes(bytes) == Some(ip),
                _ => false,
            }),
            _ => false,
        };
    }
    match leaf.subject_alternative_name() {
        Ok(Some(san)) => san.value.general_names.iter().any(|n| match n {
            GeneralName::DNSName(pattern) => name_matches(pattern, host),
            _ => false,
        }),
        _ => leaf
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok())
            .any(|pattern| name_matches(pattern, host)),
    }
}

/// RFC 6125 host name matching: case-insensitive, a `*` allowed only as the whole left-most
/// label, matching exactly one label, and never directly under a top-level label ("*.com").
pub fn name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.strip_suffix('.').unwrap_or(pattern);
    let host = host.strip_suffix('.').unwrap_or(host);
    if pattern.is_empty() || host.is_empty() {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(base) => {
            if base.contains('*') || !base.contains('.') {
                return false;
            }
            match host.split_once('.') {
                Some((label, rest)) => !label.is_empty() && rest.eq_ignore_ascii_case(base),
                None => false,
            }
        }
        None => !pattern.contains('*') && pattern.eq_ignore_ascii_case(host),
    }
}

/// Writes `der` as a PEM certificate named `<sha256>.pem` in `dir` (created if missing) and
/// returns its path. Writing the same certificate twice yields the same file.
pub fn write_pem(dir: &Path, der: &[u8]) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{}.pem", sha256_hex(der)));
    std::fs::write(&path, pem_text(der))?;
    Ok(path)
}

/// RFC 7468 textual encoding: base64 in 64-character lines.
pub fn pem_text(der: &[u8]) -> String {
    let b64 = data_encoding::BASE64.encode(der);
    let mut out = String::with_capacity(b64.len().saturating_add(b64.len() / 64).saturating_add(64));
    out.push_str("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

#[cfg(test)]
mod tests;
