//! CertificateStatus (RFC 6066 8, TLS 1.2 and before): the OCSP response the server staples
//! after its Certificate, described by `certs::ocsp`.

use super::names;
use super::names::Name;
use super::reader::{Reader, Result, err};
use crate::certs::ocsp::{self, OcspResponse};
use crate::time::Timestamp;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertificateStatus {
    pub status_type: u8,
    pub status_type_name: Name,
    /// ocsp: the DER OCSPResponse's length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocsp_response_length: Option<usize>,
    /// ocsp_multi (RFC 6961): one length per certificate (0 = no response).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocsp_response_lengths: Option<Vec<usize>>,
    /// ocsp: the response described (responder, status, times, signature).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocsp: Option<Box<OcspResponse>>,
}

impl CertificateStatus {
    /// Decodes the message alone: lengths and the response, with no certificate to judge it by.
    pub fn decode(body: &[u8]) -> Result<CertificateStatus> {
        Self::decode_for(body, &[], None)
    }

    /// Decodes the message; `chain` is the server's Certificate message (DER, leaf first), whose
    /// leaf the response is about and whose issuer signed it, judged at `capture_time`.
    pub fn decode_for(body: &[u8], chain: &[Vec<u8>], capture_time: Option<&Timestamp>) -> Result<CertificateStatus> {
        let mut r = Reader::new(body);
        let status_type = r.u8("status_type")?;
        let (single, multi, ocsp) = match status_type {
            1 => {
                let response = r.vec24("OCSP response")?;
                let rest: Vec<&[u8]> = chain.iter().skip(1).map(Vec::as_slice).collect();
                let leaf = chain.first().map(Vec::as_slice);
                (Some(response.len()), None, Some(Box::new(ocsp::inspect(response, leaf, &rest, capture_time))))
            }
            2 => {
                let mut list = r.sub24("OCSP response list")?;
                let mut lengths = Vec::new();
                while !list.is_empty() {
                    lengths.push(list.vec24("OCSP response")?.len());
                }
                (None, Some(lengths), None)
            }
            _ => return err("CertificateStatus status_type"),
        };
        r.expect_end("bytes after CertificateStatus")?;
        Ok(CertificateStatus {
            status_type,
            status_type_name: names::certificate_status_type_name(status_type),
            ocsp_response_length: single,
            ocsp_response_lengths: multi,
            ocsp,
        })
    }
}
