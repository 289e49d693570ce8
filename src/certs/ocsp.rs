//! Stapled OCSP responses (RFC 6960): what the responder said about the server's certificate,
//! whether it held at the capture time, and whether its signature verifies.
//!
//! The DER is read with asn1-rs (x509-parser's own ASN.1 layer) and x509-parser's types for
//! names, times, algorithm identifiers and certificates; signatures are x509-parser's `verify`.

use super::format_rfc3339;
use crate::time::Timestamp;
use serde::Serialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_parser::asn1_rs::{Any, BitString, Class, Enumerated, FromDer, Oid, Tag};
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::prelude::{X509Certificate, X509Name};
use x509_parser::time::ASN1Time;
use x509_parser::x509::AlgorithmIdentifier;

/// id-pkix-ocsp-basic: the one response type RFC 6960 defines.
const OCSP_BASIC: &str = "1.3.6.1.5.5.7.48.1.1";
const SHA1: &str = "1.3.14.3.2.26";
const SHA256: &str = "2.16.840.1.101.3.4.2.1";

/// One OCSP response, described. Fields the response does not hold (an unsuccessful status
/// has no body) or that could not be judged are null.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OcspResponse {
    /// OCSPResponseStatus: 0 successful, 1 malformedRequest, 2 internalError, 3 tryLater,
    /// 5 sigRequired, 6 unauthorized.
    pub response_status: Option<u32>,
    pub response_status_name: Option<String>,
    /// `"name: DISTINGUISHED NAME"` or `"key: SHA-1 OF THE RESPONDER KEY (hex)"`.
    pub responder_id: Option<String>,
    /// RFC 3339 UTC.
    pub produced_at: Option<String>,
    /// How many SingleResponses the response holds.
    pub responses: usize,
    /// Whether the SingleResponse described is for the certificate it was stapled with (its
    /// serial number and issuer key hash); null when there was no certificate to compare.
    pub cert_id_matches: Option<bool>,
    /// "good", "revoked" or "unknown".
    pub cert_status: Option<String>,
    pub revocation_time: Option<String>,
    /// CRLReason name, e.g. "keyCompromise"; null when the response gives none.
    pub revocation_reason: Option<String>,
    pub this_update: Option<String>,
    pub next_update: Option<String>,
    /// thisUpdate <= capture time <= nextUpdate (no nextUpdate: only the first); null when the
    /// capture time or the response's times are unknown.
    pub valid_at_capture: Option<bool>,
    /// e.g. "sha256WithRSAEncryption".
    pub signature_algorithm: Option<String>,
    /// True: verified; false: does not verify (or its signer may not sign for the issuer);
    /// null: could not be checked (see `signature_note`).
    pub signature_valid: Option<bool>,
    /// Subject of the certificate whose key signed: the issuer or a delegated responder.
    pub signed_by: Option<String>,
    /// Why the signature is not valid or could not be checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_note: Option<String>,
    /// What did not parse; the fields before it are kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl OcspResponse {
    pub fn is_revoked(&self) -> bool {
        self.cert_status.as_deref() == Some("revoked")
    }

    /// What a browser would hold against this staple, one sentence each (handshake warnings).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(e) = &self.error {
            out.push(format!("OCSP staple malformed: {e}"));
        }
        if let Some(status) = self.response_status.filter(|&s| s != 0) {
            out.push(format!("OCSP staple is an error response: {}", status_name(status)));
        }
        if self.is_revoked() {
            let at = self.revocation_time.as_deref().unwrap_or("an unknown time");
            let why = self.revocation_reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
            out.push(format!("OCSP staple says the certificate is REVOKED since {at}{why}"));
        }
        if self.cert_status.as_deref() == Some("unknown") {
            out.push("OCSP staple: the responder does not know the certificate".into());
        }
        if self.cert_id_matches == Some(false) {
            out.push("OCSP staple is for another certificate".into());
        }
        if self.valid_at_capture == Some(false) {
            let window = format!(
                "{} to {}",
                self.this_update.as_deref().unwrap_or("?"),
                self.next_update.as_deref().unwrap_or("?")
            );
            out.push(format!("OCSP staple not valid at capture time ({window})"));
        }
        if self.signature_valid == Some(false) {
            let why = self.signature_note.as_deref().map(|n| format!(": {n}")).unwrap_or_default();
            out.push(format!("OCSP staple signature invalid{why}"));
        }
        out
    }
}

/// Describes a DER OCSPResponse stapled for `leaf` (DER), judged at `capture_time`, with
/// `chain` (the Certificate message's other DER certificates) to find the issuer in.
pub fn inspect(
    response: &[u8],
    leaf: Option<&[u8]>,
    chain: &[&[u8]],
    capture_time: Option<&Timestamp>,
) -> OcspResponse {
    let leaf = leaf.and_then(|d| X509Certificate::from_der(d).ok()).map(|(_, c)| c);
    let parsed: Vec<X509Certificate<'_>> =
        chain.iter().filter_map(|d| X509Certificate::from_der(d).ok()).map(|(_, c)| c).collect();
    // The issuer is the chain certificate named by the leaf's issuer, not a position.
    let issuer = leaf.as_ref().and_then(|l| parsed.iter().find(|c| c.subject().as_raw() == l.issuer().as_raw()));
    let mut out = OcspResponse::default();
    if let Err(e) = read(response, leaf.as_ref(), issuer, capture_time, &mut out) {
        out.error = Some(e.to_string());
    }
    out
}

type Res<T> = std::result::Result<T, &'static str>;

/// Reads one DER element from the front of `i`: the element and its whole encoding.
fn element<'a>(i: &mut &'a [u8], what: &'static str) -> Res<(Any<'a>, &'a [u8])> {
    let input = *i;
    let (rest, any) = Any::from_der(input).map_err(|_| what)?;
    let used = input.len().checked_sub(rest.len()).ok_or(what)?;
    *i = rest;
    Ok((any, input.get(..used).ok_or(what)?))
}

/// The next element when it is the context-specific tag `n` (an OPTIONAL or a CHOICE arm).
fn optional_tagged<'a>(i: &mut &'a [u8], n: u32) -> Option<Any<'a>> {
    let (rest, any) = Any::from_der(i).ok()?;
    if any.class() == Class::ContextSpecific && any.tag() == Tag(n) {
        *i = rest;
        Some(any)
    } else {
        None
    }
}

fn sequence<'a>(i: &mut &'a [u8], what: &'static str) -> Res<(&'a [u8], &'a [u8])> {
    let (any, raw) = element(i, what)?;
    if any.class() != Class::Universal || any.tag() != Tag::Sequence {
        return Err(what);
    }
    Ok((any.data, raw))
}

fn time(i: &mut &[u8], what: &'static str) -> Res<i64> {
    let (rest, t) = ASN1Time::from_der(i).map_err(|_| what)?;
    *i = rest;
    Ok(t.timestamp())
}

fn oid_name(oid: &Oid<'_>) -> String {
    oid2sn(oid, oid_registry()).map(str::to_string).unwrap_or_else(|_| oid.to_id_string())
}

fn status_name(status: u32) -> String {
    match status {
        0 => "successful",
        1 => "malformedRequest",
        2 => "internalError",
        3 => "tryLater",
        5 => "sigRequired",
        6 => "unauthorized",
        _ => return format!("unknown({status})"),
    }
    .into()
}

/// CRLReason (RFC 5280 5.3.1).
fn reason_name(reason: u32) -> String {
    match reason {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => return format!("unknown({reason})"),
    }
    .into()
}

fn read(
    der: &[u8],
    leaf: Option<&X509Certificate<'_>>,
    issuer: Option<&X509Certificate<'_>>,
    capture_time: Option<&Timestamp>,
    out: &mut OcspResponse,
) -> Res<()> {
    // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT OPTIONAL }
    let mut input = der;
    let (mut body, _) = sequence(&mut input, "OCSPResponse")?;
    let (rest, status) = Enumerated::from_der(body).map_err(|_| "OCSPResponse responseStatus")?;
    body = rest;
    out.response_status = Some(status.0);
    out.response_status_name = Some(status_name(status.0));
    let Some(bytes) = optional_tagged(&mut body, 0) else {
        // Unsuccessful responses carry no body; a successful one without it is malformed.
        return if status.0 == 0 { Err("OCSPResponse without responseBytes") } else { Ok(()) };
    };
    // ResponseBytes ::= SEQUENCE { responseType OID, response OCTET STRING }
    let mut inner = bytes.data;
    let (mut rb, _) = sequence(&mut inner, "ResponseBytes")?;
    let (rest, typ) = Oid::from_der(rb).map_err(|_| "ResponseBytes responseType")?;
    rb = rest;
    if typ.to_id_string() != OCSP_BASIC {
        return Err("response type is not id-pkix-ocsp-basic");
    }
    let (_, basic_der) = <&[u8]>::from_der(rb).map_err(|_| "ResponseBytes response")?;
    basic(basic_der, leaf, issuer, capture_time, out)
}

fn basic(
    der: &[u8],
    leaf: Option<&X509Certificate<'_>>,
    issuer: Option<&X509Certificate<'_>>,
    capture_time: Option<&Timestamp>,
    out: &mut OcspResponse,
) -> Res<()> {
    // BasicOCSPResponse ::= SEQUENCE { tbsResponseData, signatureAlgorithm, signature BIT
    // STRING, certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
    let mut input = der;
    let (mut b, _) = sequence(&mut input, "BasicOCSPResponse")?;
    let (tbs, tbs_raw) = sequence(&mut b, "tbsResponseData")?;
    let (rest, alg) = AlgorithmIdentifier::from_der(b).map_err(|_| "signatureAlgorithm")?;
    b = rest;
    out.signature_algorithm = Some(oid_name(&alg.algorithm));
    let (rest, signature) = BitString::from_der(b).map_err(|_| "signature")?;
    b = rest;
    let mut responder_certs = Vec::new();
    if let Some(certs) = optional_tagged(&mut b, 0) {
        let mut c = certs.data;
        let (mut list, _) = sequence(&mut c, "certs")?;
        while !list.is_empty() {
            let (rest, cert) = X509Certificate::from_der(list).map_err(|_| "responder certificate")?;
            list = rest;
            responder_certs.push(cert);
        }
    }
    // Judge the signature before the data: a data error should not hide a bad signature.
    judge_signature(tbs_raw, &alg, &signature, &responder_certs, issuer, out);
    response_data(tbs, leaf, issuer, capture_time, out)
}

fn response_data(
    tbs: &[u8],
    leaf: Option<&X509Certificate<'_>>,
    issuer: Option<&X509Certificate<'_>>,
    capture_time: Option<&Timestamp>,
    out: &mut OcspResponse,
) -> Res<()> {
    // ResponseData ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, responderID, producedAt,
    // responses SEQUENCE OF SingleResponse, responseExtensions [1] EXPLICIT OPTIONAL }
    let mut d = tbs;
    let _version = optional_tagged(&mut d, 0);
    // ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash } (both EXPLICIT).
    if let Some(by_name) = optional_tagged(&mut d, 1) {
        let (_, name) = X509Name::from_der(by_name.data).map_err(|_| "responderID byName")?;
        out.responder_id = Some(format!("name: {name}"));
    } else if let Some(by_key) = optional_tagged(&mut d, 2) {
        let (_, key) = <&[u8]>::from_der(by_key.data).map_err(|_| "responderID byKey")?;
        out.responder_id = Some(format!("key: {}", crate::hex_text::lower(key)));
    } else {
        return Err("responderID");
    }
    let produced = time(&mut d, "producedAt")?;
    out.produced_at = format_rfc3339(produced);
    let (mut list, _) = sequence(&mut d, "responses")?;
    let mut singles = Vec::new();
    while !list.is_empty() {
        let (single, _) = sequence(&mut list, "SingleResponse")?;
        singles.push(single);
    }
    out.responses = singles.len();
    // The SingleResponse for the stapled certificate; failing that, the first one.
    let mut chosen = None;
    for s in &singles {
        let matches = cert_id_matches(s, leaf, issuer)?;
        if matches == Some(true) || chosen.is_none() {
            chosen = Some((*s, matches));
        }
        if matches == Some(true) {
            break;
        }
    }
    let Some((single, matches)) = chosen else { return Err("no SingleResponse") };
    out.cert_id_matches = matches;
    single_response(single, capture_time, out)
}

/// Whether a SingleResponse's CertID names `leaf` (serial) issued by `issuer` (key hash);
/// null without a leaf.
fn cert_id_matches(
    single: &[u8],
    leaf: Option<&X509Certificate<'_>>,
    issuer: Option<&X509Certificate<'_>>,
) -> Res<Option<bool>> {
    // CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber }
    let mut s = single;
    let (mut id, _) = sequence(&mut s, "CertID")?;
    let (rest, hash_alg) = AlgorithmIdentifier::from_der(id).map_err(|_| "CertID hashAlgorithm")?;
    id = rest;
    let (rest, _name_hash) = <&[u8]>::from_der(id).map_err(|_| "CertID issuerNameHash")?;
    id = rest;
    let (rest, key_hash) = <&[u8]>::from_der(id).map_err(|_| "CertID issuerKeyHash")?;
    id = rest;
    let (serial, _) = element(&mut id, "CertID serialNumber")?;
    let Some(leaf) = leaf else { return Ok(None) };
    let mut matches = serial.data == leaf.raw_serial();
    if let Some(issuer) = issuer {
        // The hash of the issuer's public key BIT STRING contents (RFC 6960 4.1.1).
        let key = &issuer.public_key().subject_public_key.data;
        let expected: Option<Vec<u8>> = match hash_alg.algorithm.to_id_string().as_str() {
            SHA1 => Some(Sha1::digest(key).to_vec()),
            SHA256 => Some(Sha256::digest(key).to_vec()),
            _ => None,
        };
        if let Some(expected) = expected {
            matches = matches && expected == key_hash;
        }
    }
    Ok(Some(matches))
}

fn single_response(single: &[u8], capture_time: Option<&Timestamp>, out: &mut OcspResponse) -> Res<()> {
    // SingleResponse ::= SEQUENCE { certID, certStatus, thisUpdate, nextUpdate [0] EXPLICIT
    // OPTIONAL, singleExtensions [1] EXPLICIT OPTIONAL }
    let mut s = single;
    element(&mut s, "CertID")?;
    // CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo,
    // unknown [2] IMPLICIT NULL }
    let (status, _) = element(&mut s, "certStatus")?;
    if status.class() != Class::ContextSpecific {
        return Err("certStatus");
    }
    match status.tag() {
        Tag(0) => out.cert_status = Some("good".into()),
        Tag(1) => {
            out.cert_status = Some("revoked".into());
            // RevokedInfo ::= SEQUENCE { revocationTime, revocationReason [0] EXPLICIT OPTIONAL }
            let mut r = status.data;
            out.revocation_time = format_rfc3339(time(&mut r, "revocationTime")?);
            if let Some(reason) = optional_tagged(&mut r, 0) {
                let (_, e) = Enumerated::from_der(reason.data).map_err(|_| "revocationReason")?;
                out.revocation_reason = Some(reason_name(e.0));
            }
        }
        Tag(2) => out.cert_status = Some("unknown".into()),
        _ => return Err("certStatus"),
    }
    let this_update = time(&mut s, "thisUpdate")?;
    out.this_update = format_rfc3339(this_update);
    let next_update = match optional_tagged(&mut s, 0) {
        Some(n) => {
            let mut inner = n.data;
            Some(time(&mut inner, "nextUpdate")?)
        }
        None => None,
    };
    out.next_update = next_update.and_then(format_rfc3339);
    out.valid_at_capture = capture_time.map(|t| t.secs >= this_update && next_update.is_none_or(|n| t.secs <= n));
    Ok(())
}

/// Checks the response's signature: with a certificate the response carries (a delegated
/// responder, which the issuer must have signed for OCSP signing) or with the issuer's key.
fn judge_signature(
    tbs: &[u8],
    alg: &AlgorithmIdentifier<'_>,
    signature: &BitString<'_>,
    responder_certs: &[X509Certificate<'_>],
    issuer: Option<&X509Certificate<'_>>,
    out: &mut OcspResponse,
) {
    use x509_parser::error::X509Error;
    use x509_parser::verify::verify_signature;
    for cert in responder_certs {
        if verify_signature(cert.public_key(), alg, signature, tbs).is_err() {
            continue;
        }
        out.signed_by = Some(cert.subject().to_string());
        // The issuer itself, sent along: as good as signing with it directly.
        if issuer.is_some_and(|i| {
            i.subject().as_raw() == cert.subject().as_raw() && i.public_key().raw == cert.public_key().raw
        }) {
            out.signature_valid = Some(true);
            return;
        }
        let Some(issuer) = issuer else {
            out.signature_note = Some("signed by a responder certificate whose issuer is not in the chain".into());
            return;
        };
        let ocsp_signing = matches!(cert.extended_key_usage(), Ok(Some(e)) if e.value.ocsp_signing);
        match cert.verify_signature(Some(issuer.public_key())) {
            Ok(()) if ocsp_signing => out.signature_valid = Some(true),
            Ok(()) => {
                out.signature_valid = Some(false);
                out.signature_note = Some("the responder certificate lacks the OCSP signing usage".into());
            }
            Err(X509Error::SignatureVerificationError) => {
                out.signature_valid = Some(false);
                out.signature_note = Some("the responder certificate is not signed by the issuer".into());
            }
            Err(e) => out.signature_note = Some(format!("responder certificate not checked: {e}")),
        }
        return;
    }
    let Some(issuer) = issuer else {
        out.signature_note = Some(if responder_certs.is_empty() {
            "no issuer certificate in the chain to check it with".into()
        } else {
            "no certificate it carries verifies it, and the issuer is not in the chain".into()
        });
        return;
    };
    out.signed_by = Some(issuer.subject().to_string());
    match verify_signature(issuer.public_key(), alg, signature, tbs) {
        Ok(()) => out.signature_valid = Some(true),
        Err(X509Error::SignatureVerificationError) => {
            out.signature_valid = Some(false);
            out.signature_note = Some("does not verify with the issuer's key".into());
        }
        Err(e) => out.signature_note = Some(format!("not checked: {e}")),
    }
}
