//! Certificate, CertificateRequest, CertificateVerify and CompressedCertificate (CertificateStatus
//! has its own file, `certificate_status`).

use super::extensions::{self, ExtContext, Extension};
use super::hello::is_tls13;
use super::key_exchange::uses_signature_scheme;
use super::names;
use super::names::Name;
use super::reader::{Reader, Result};
use crate::certs::{self, CertInfo, ChainCheck, PublicKeyInfo};
use crate::time::Timestamp;
use serde::Serialize;

pub use super::certificate_status::CertificateStatus;

/// One entry of a Certificate message.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum CertificateEntry {
    X509 {
        #[serde(flatten)]
        cert: CertInfo,
        /// TLS 1.3 only: per-entry extensions (status_request, signed_certificate_timestamp).
        #[serde(skip_serializing_if = "Option::is_none")]
        extensions: Option<Vec<Extension>>,
    },
    /// RFC 7250 raw public key (a DER SubjectPublicKeyInfo instead of a certificate).
    RawPublicKey {
        der_length: usize,
        sha256: String,
        /// Null when the SubjectPublicKeyInfo does not parse.
        raw_public_key: Option<PublicKeyInfo>,
        #[serde(skip_serializing_if = "Option::is_none")]
        extensions: Option<Vec<Extension>>,
    },
}

/// A decoded Certificate message.
#[derive(Clone, Debug)]
pub struct Certificate {
    /// TLS 1.3 only.
    pub request_context: Option<Vec<u8>>,
    pub entries: Vec<CertificateEntry>,
    /// Null for an empty list (a client without a certificate) and for raw public keys.
    pub chain: Option<ChainCheck>,
}

/// Inputs for the chain checks.
#[derive(Clone, Copy, Debug, Default)]
pub struct CertificateContext<'a> {
    pub version: Option<u16>,
    pub capture_time: Option<&'a Timestamp>,
    pub sni: Option<&'a str>,
    /// Certificate type negotiated for this sender (RFC 7250); None means X.509.
    pub certificate_type: Option<u8>,
    /// What the chain's trust is judged against and for.
    pub trust: certs::TrustContext<'a>,
}

/// The raw entries: DER bytes plus (TLS 1.3) extensions.
type RawEntries<'a> = (Option<Vec<u8>>, Vec<(&'a [u8], Option<Vec<Extension>>)>);

fn entries_tls12(body: &[u8]) -> Result<RawEntries<'_>> {
    let mut r = Reader::new(body);
    let mut list = r.sub24("certificate_list")?;
    r.expect_end("bytes after certificate_list")?;
    let mut out = Vec::new();
    while !list.is_empty() {
        out.push((list.vec24("certificate")?, None));
    }
    Ok((None, out))
}

fn entries_tls13(body: &[u8]) -> Result<RawEntries<'_>> {
    let mut r = Reader::new(body);
    let context = r.vec8("certificate_request_context")?.to_vec();
    let mut list = r.sub24("certificate_list")?;
    r.expect_end("bytes after certificate_list")?;
    let mut out = Vec::new();
    while !list.is_empty() {
        let der = list.vec24("certificate")?;
        let exts = extensions::parse_extension_block(&mut list, ExtContext::Certificate)?;
        out.push((der, Some(exts)));
    }
    Ok((Some(context), out))
}

impl Certificate {
    pub fn decode(body: &[u8], ctx: &CertificateContext<'_>) -> Result<Certificate> {
        let (request_context, raw) = match ctx.version {
            Some(v) if is_tls13(v) => entries_tls13(body)?,
            Some(_) => entries_tls12(body)?,
            None => entries_tls12(body).or_else(|_| entries_tls13(body))?,
        };
        if ctx.certificate_type == Some(names::CERTIFICATE_TYPE_RAW_PUBLIC_KEY) {
            let entries = raw
                .into_iter()
                .map(|(der, extensions)| CertificateEntry::RawPublicKey {
                    der_length: der.len(),
                    sha256: certs::sha256_hex(der),
                    raw_public_key: certs::inspect_public_key(der),
                    extensions,
                })
                .collect();
            return Ok(Certificate { request_context, entries, chain: None });
        }
        let ders: Vec<&[u8]> = raw.iter().map(|(der, _)| *der).collect();
        let (infos, chain) = certs::inspect_chain_for(&ders, ctx.capture_time, ctx.sni, &ctx.trust);
        let mut raw = raw;
        if let Some((_, Some(exts))) = raw.first_mut() {
            // TLS 1.3 staples in the leaf's entry; its issuer is among the entries after it.
            describe_stapled_ocsp(exts, &ders, ctx.capture_time);
        }
        let entries = infos
            .into_iter()
            .zip(raw)
            .map(|(cert, (_, extensions))| CertificateEntry::X509 { cert, extensions })
            .collect();
        Ok(Certificate { request_context, entries, chain })
    }

    /// The DER bytes of each X.509 entry, in wire order (for `--certs`).
    pub fn der_certificates(body: &[u8], version: Option<u16>) -> Vec<&[u8]> {
        let parsed = match version {
            Some(v) if is_tls13(v) => entries_tls13(body),
            Some(_) => entries_tls12(body),
            None => entries_tls12(body).or_else(|_| entries_tls13(body)),
        };
        parsed.map(|(_, raw)| raw.into_iter().map(|(der, _)| der).collect()).unwrap_or_default()
    }
}

/// Describes the OCSP response of a status_request entry extension (TLS 1.3) stapled for the
/// first certificate of `ders`.
fn describe_stapled_ocsp(exts: &mut [Extension], ders: &[&[u8]], capture_time: Option<&Timestamp>) {
    for ext in exts.iter_mut() {
        if let extensions::ExtensionBody::StatusResponse { status_type: 1, ocsp, .. } = &mut ext.body {
            // The extension data is status_type (1 byte), a 24-bit length, then the DER.
            let response = ext.raw.get(4..).unwrap_or_default();
            let rest = ders.get(1..).unwrap_or_default();
            *ocsp = Some(Box::new(certs::ocsp::inspect(response, ders.first().copied(), rest, capture_time)));
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CertificateRequest {
    /// TLS <= 1.2: the ClientCertificateType list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_types: Option<Vec<u8>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_type_names: Option<Vec<Name>>,
    /// TLS 1.2 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_algorithms: Option<Vec<u16>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_algorithm_names: Option<Vec<Name>>,
    /// TLS <= 1.2: acceptable CA names, rendered as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_authorities: Option<Vec<String>>,
    /// TLS 1.3: the context the client's Certificate must echo, hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_request_context: Option<String>,
    /// TLS 1.3: signature_algorithms, certificate_authorities, ... as extensions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Vec<Extension>>,
}

impl CertificateRequest {
    pub fn decode(body: &[u8], version: Option<u16>) -> Result<CertificateRequest> {
        match version {
            Some(v) if is_tls13(v) => Self::decode_tls13(body),
            Some(v) => Self::decode_legacy(body, uses_signature_scheme(Some(v)) == Some(true)),
            None => Self::decode_legacy(body, true)
                .or_else(|_| Self::decode_legacy(body, false))
                .or_else(|_| Self::decode_tls13(body)),
        }
    }

    fn decode_legacy(body: &[u8], with_signature_algorithms: bool) -> Result<CertificateRequest> {
        let mut r = Reader::new(body);
        let types = r.vec8("certificate_types")?.to_vec();
        let signature_algorithms = if with_signature_algorithms {
            Some(r.sub16("supported_signature_algorithms")?.u16_list("signature scheme")?)
        } else {
            None
        };
        let authorities = extensions::distinguished_names(r.vec16("certificate_authorities")?)?;
        r.expect_end("bytes after CertificateRequest")?;
        Ok(CertificateRequest {
            certificate_type_names: Some(types.iter().map(|&t| names::client_certificate_type_name(t)).collect()),
            certificate_types: Some(types),
            signature_algorithm_names: signature_algorithms
                .as_ref()
                .map(|l| l.iter().map(|&s| names::signature_scheme_name(s)).collect()),
            signature_algorithms,
            certificate_authorities: Some(authorities),
            ..Default::default()
        })
    }

    fn decode_tls13(body: &[u8]) -> Result<CertificateRequest> {
        let mut r = Reader::new(body);
        let context = r.vec8("certificate_request_context")?;
        let exts = extensions::parse_extension_block(&mut r, ExtContext::CertificateRequest)?;
        r.expect_end("bytes after CertificateRequest")?;
        Ok(CertificateRequest {
            certificate_request_context: Some(crate::hex_text::lower(context)),
            extensions: Some(exts),
            ..Default::default()
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertificateVerify {
    /// Null before TLS 1.2 (the hash is fixed by the key type).
    pub signature_scheme: Option<u16>,
    pub signature_scheme_name: Option<Name>,
    pub signature_length: usize,
}

impl CertificateVerify {
    pub fn decode(body: &[u8], version: Option<u16>) -> Result<CertificateVerify> {
        let read = |with_scheme: bool| -> Result<CertificateVerify> {
            let mut r = Reader::new(body);
            let scheme = if with_scheme { Some(r.u16("signature scheme")?) } else { None };
            let sig = r.vec16("signature")?;
            r.expect_end("bytes after CertificateVerify")?;
            Ok(CertificateVerify {
                signature_scheme: scheme,
                signature_scheme_name: scheme.map(names::signature_scheme_name),
                signature_length: sig.len(),
            })
        };
        match uses_signature_scheme(version) {
            Some(with_scheme) => read(with_scheme),
            None => read(true).or_else(|_| read(false)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CompressedCertificate {
    pub algorithm: u16,
    pub algorithm_name: Name,
    pub uncompressed_length: u32,
    pub compressed_length: usize,
}

impl CompressedCertificate {
    pub fn decode(body: &[u8]) -> Result<CompressedCertificate> {
        let mut r = Reader::new(body);
        let algorithm = r.u16("algorithm")?;
        let uncompressed_length = r.u24("uncompressed_length")?;
        let compressed = r.vec24("compressed_certificate_message")?;
        r.expect_end("bytes after CompressedCertificate")?;
        Ok(CompressedCertificate {
            algorithm,
            algorithm_name: names::certificate_compression_name(algorithm),
            uncompressed_length,
            compressed_length: compressed.len(),
        })
    }
}
