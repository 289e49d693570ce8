//! ServerKeyExchange and ClientKeyExchange (TLS <= 1.2): their layout depends on the key
//! exchange of the negotiated cipher suite, and the signature's on the version.

use super::names;
use super::names::Name;
use super::reader::{Reader, Result, err};
use crate::registry;
use serde::Serialize;

/// Key exchange families with distinct message layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyExchange {
    Rsa,
    /// RSA_EXPORT: a temporary 512-bit RSA key in the ServerKeyExchange.
    RsaExport,
    Dhe,
    DhAnon,
    /// Fixed DH from the certificate: no ServerKeyExchange.
    DhStatic,
    Ecdhe,
    EcdhAnon,
    /// Fixed ECDH from the certificate: no ServerKeyExchange.
    EcdhStatic,
    Psk,
    RsaPsk,
    DhePsk,
    EcdhePsk,
    Srp,
    /// Anything else (GOST, Kerberos, TLS 1.3 suites, SCSVs, unknown code points).
    Other,
}

impl KeyExchange {
    pub fn name(self) -> &'static str {
        match self {
            KeyExchange::Rsa => "RSA",
            KeyExchange::RsaExport => "RSA_EXPORT",
            KeyExchange::Dhe => "DHE",
            KeyExchange::DhAnon => "DH_anon",
            KeyExchange::DhStatic => "DH",
            KeyExchange::Ecdhe => "ECDHE",
            KeyExchange::EcdhAnon => "ECDH_anon",
            KeyExchange::EcdhStatic => "ECDH",
            KeyExchange::Psk => "PSK",
            KeyExchange::RsaPsk => "RSA_PSK",
            KeyExchange::DhePsk => "DHE_PSK",
            KeyExchange::EcdhePsk => "ECDHE_PSK",
            KeyExchange::Srp => "SRP",
            KeyExchange::Other => "other",
        }
    }

    /// The key exchange of a cipher suite, read from its registry name: IANA names are
    /// `TLS_<key exchange>_WITH_<cipher>_<mac>` (`SSL_` for some legacy ones), which is more
    /// precise than a bare "kx" label (it tells export and anonymous variants apart).
    pub fn of_suite(code: u16) -> Option<KeyExchange> {
        let suite = registry::cipher_suite(code)?;
        Some(KeyExchange::of_suite_name(suite.name))
    }

    pub fn of_suite_name(name: &str) -> KeyExchange {
        let name = name.strip_prefix("TLS_").or_else(|| name.strip_prefix("SSL_")).unwrap_or(name);
        let Some((kx, _)) = name.split_once("_WITH_") else {
            return KeyExchange::Other;
        };
        // `kx` is `prefix` or starts with `prefix_` (no allocation: this runs per key exchange).
        let is = |prefix: &str| kx.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('_'));
        if is("ECDHE_PSK") {
            KeyExchange::EcdhePsk
        } else if is("ECDHE") {
            KeyExchange::Ecdhe
        } else if is("ECDH_anon") {
            KeyExchange::EcdhAnon
        } else if is("ECDH") {
            KeyExchange::EcdhStatic
        } else if is("DHE_PSK") {
            KeyExchange::DhePsk
        } else if is("DHE") || is("EDH") {
            KeyExchange::Dhe
        } else if is("DH_anon") {
            KeyExchange::DhAnon
        } else if is("DH") {
            KeyExchange::DhStatic
        } else if is("RSA_PSK") {
            KeyExchange::RsaPsk
        } else if is("RSA_EXPORT") || is("RSA_EXPORT1024") {
            KeyExchange::RsaExport
        } else if is("RSA") {
            KeyExchange::Rsa
        } else if is("PSK") {
            KeyExchange::Psk
        } else if is("SRP") {
            KeyExchange::Srp
        } else {
            KeyExchange::Other
        }
    }

    fn is_anonymous(self) -> bool {
        matches!(self, KeyExchange::DhAnon | KeyExchange::EcdhAnon)
    }
}

/// The signed hash of a TLS < 1.2 ServerKeyExchange, by the suite's authentication (from its
/// name, e.g. `TLS_ECDHE_RSA_WITH_...`): MD5+SHA1 for RSA, SHA1 for DSS and ECDSA.
pub fn legacy_signature_hash(suite_name: &str) -> Option<&'static str> {
    let kx = suite_name.split_once("_WITH_")?.0;
    if kx.ends_with("_RSA") || kx.contains("_RSA_EXPORT") {
        Some("MD5+SHA1")
    } else if kx.ends_with("_ECDSA") || kx.contains("_DSS") {
        Some("SHA1")
    } else {
        None
    }
}

/// True when the version's signatures start with a SignatureAndHashAlgorithm (TLS 1.2 and
/// later, DTLS 1.2 and later); None when the version is not known yet.
pub fn uses_signature_scheme(version: Option<u16>) -> Option<bool> {
    version.map(|v| match v {
        0xfefd | 0xfefc => true,
        v if v >> 8 == 0xfe => false,
        v => v >= 0x0303,
    })
}

fn bits(bytes: &[u8]) -> usize {
    let trimmed: &[u8] = match bytes.iter().position(|&b| b != 0) {
        Some(first) => bytes.get(first..).unwrap_or(&[]),
        None => &[],
    };
    match trimmed.first() {
        // Whole bytes after the top one, plus the top byte's significant bits.
        Some(&top) => trimmed
            .len()
            .saturating_sub(1)
            .saturating_mul(8)
            .saturating_add(8usize.saturating_sub(top.leading_zeros() as usize)),
        None => 0,
    }
}

/// A digitally-signed element.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// The SignatureAndHashAlgorithm (TLS 1.2+); null before TLS 1.2.
    pub signature_scheme: Option<u16>,
    pub signature_scheme_name: Option<Name>,
    /// Before TLS 1.2 the hash is fixed by the key type: MD5+SHA1 for RSA, SHA1 for (EC)DSA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legacy_signature_hash: Option<&'static str>,
    pub signature_length: usize,
    pub signature: String,
}

fn read_signature(r: &mut Reader<'_>, with_scheme: bool) -> Result<Signature> {
    let scheme = if with_scheme { Some(r.u16("signature scheme")?) } else { None };
    let sig = r.vec16("signature")?;
    Ok(Signature {
        signature_scheme: scheme,
        signature_scheme_name: scheme.map(names::signature_scheme_name),
        legacy_signature_hash: None,
        signature_length: sig.len(),
        signature: crate::hex_text::lower(sig),
    })
}

/// How the layout was chosen.
const FROM_SUITE: &str = "cipher_suite";
const FROM_BYTES: &str = "inferred";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ServerKeyExchange {
    pub key_exchange: &'static str,
    /// "cipher_suite" when the negotiated suite gave the layout, "inferred" when the layout
    /// was recognised from the bytes (suite unknown).
    pub key_exchange_from: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psk_identity_hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psk_identity_hint_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curve_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub named_curve: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub named_curve_name: Option<Name>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dh_p_bits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dh_p: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dh_g_bits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dh_g: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dh_ys_bits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dh_ys: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rsa_modulus_bits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rsa_modulus: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rsa_exponent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srp_n_bits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srp_g_bits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srp_salt_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srp_b_bits: Option<usize>,
    #[serde(flatten)]
    pub signature: Option<Signature>,
}

fn read_psk_hint(r: &mut Reader<'_>, out: &mut ServerKeyExchange) -> Result<()> {
    let hint = r.vec16("psk_identity_hint")?;
    out.psk_identity_hint = Some(String::from_utf8_lossy(hint).into_owned());
    out.psk_identity_hint_length = Some(hint.len());
    Ok(())
}

fn read_ecdh_params(r: &mut Reader<'_>, out: &mut ServerKeyExchange) -> Result<()> {
    let curve_type = r.u8("curve_type")?;
    out.curve_type = Some(curve_type);
    // 3 = named_curve; explicit curves (1, 2) were deprecated by RFC 8422 and nobody sends them.
    if curve_type != 3 {
        return err("ECDH parameters with an explicit curve");
    }
    let curve = r.u16("named_curve")?;
    let point = r.vec8("ECDH public key")?;
    out.named_curve = Some(curve);
    out.named_curve_name = Some(names::group_name(curve));
    out.public_key_length = Some(point.len());
    out.public_key = Some(crate::hex_text::lower(point));
    Ok(())
}

fn read_dh_params(r: &mut Reader<'_>, out: &mut ServerKeyExchange) -> Result<()> {
    let p = r.vec16("dh_p")?;
    let g = r.vec16("dh_g")?;
    let ys = r.vec16("dh_Ys")?;
    out.dh_p_bits = Some(bits(p));
    out.dh_p = Some(crate::hex_text::lower(p));
    out.dh_g_bits = Some(bits(g));
    out.dh_g = Some(crate::hex_text::lower(g));
    out.dh_ys_bits = Some(bits(ys));
    out.dh_ys = Some(crate::hex_text::lower(ys));
    Ok(())
}

fn read_rsa_params(r: &mut Reader<'_>, out: &mut ServerKeyExchange) -> Result<()> {
    let modulus = r.vec16("rsa_modulus")?;
    let exponent = r.vec16("rsa_exponent")?;
    out.rsa_modulus_bits = Some(bits(modulus));
    out.rsa_modulus = Some(crate::hex_text::lower(modulus));
    out.rsa_exponent = Some(crate::hex_text::lower(exponent));
    Ok(())
}

fn read_srp_params(r: &mut Reader<'_>, out: &mut ServerKeyExchange) -> Result<()> {
    out.srp_n_bits = Some(bits(r.vec16("srp_N")?));
    out.srp_g_bits = Some(bits(r.vec16("srp_g")?));
    out.srp_salt_length = Some(r.vec8("srp_s")?.len());
    out.srp_b_bits = Some(bits(r.vec16("srp_B")?));
    Ok(())
}

/// Reads one layout; `signature` None means the layout carries none, Some(form) says whether
/// it starts with a signature scheme. Everything must be consumed.
fn ske_layout(body: &[u8], kx: KeyExchange, signature: Option<bool>) -> Result<ServerKeyExchange> {
    let mut r = Reader::new(body);
    let mut out = ServerKeyExchange { key_exchange: kx.name(), ..Default::default() };
    match kx {
        KeyExchange::Ecdhe | KeyExchange::EcdhAnon => read_ecdh_params(&mut r, &mut out)?,
        KeyExchange::Dhe | KeyExchange::DhAnon => read_dh_params(&mut r, &mut out)?,
        KeyExchange::RsaExport => read_rsa_params(&mut r, &mut out)?,
        KeyExchange::Psk | KeyExchange::RsaPsk => read_psk_hint(&mut r, &mut out)?,
        KeyExchange::DhePsk => {
            read_psk_hint(&mut r, &mut out)?;
            read_dh_params(&mut r, &mut out)?;
        }
        KeyExchange::EcdhePsk => {
            read_psk_hint(&mut r, &mut out)?;
            read_ecdh_params(&mut r, &mut out)?;
        }
        KeyExchange::Srp => read_srp_params(&mut r, &mut out)?,
        KeyExchange::Rsa | KeyExchange::DhStatic | KeyExchange::EcdhStatic | KeyExchange::Other => {
            return err("ServerKeyExchange for a key exchange that has none");
        }
    }
    if let Some(with_scheme) = signature {
        out.signature = Some(read_signature(&mut r, with_scheme)?);
    }
    r.expect_end("bytes after ServerKeyExchange")?;
    Ok(out)
}

/// Signature forms to try for a signed layout: the version decides, or both when unknown.
fn signature_forms(version: Option<u16>) -> &'static [bool] {
    match uses_signature_scheme(version) {
        Some(true) => &[true],
        Some(false) => &[false],
        None => &[true, false],
    }
}

/// Whether a layout of this key exchange carries a signature.
fn signed(kx: KeyExchange) -> bool {
    match kx {
        KeyExchange::Ecdhe | KeyExchange::Dhe | KeyExchange::RsaExport => true,
        // SRP_SHA has no signature, SRP_SHA_RSA/DSS have one: try both.
        _ => false,
    }
}

impl ServerKeyExchange {
    /// Decodes with the negotiated suite's key exchange when the registry knows the suite;
    /// otherwise recognises the layout from the bytes.
    ///
    /// Recognising it: candidate layouts are tried in order of how common they are, and the
    /// first that parses and consumes the message exactly wins. An ECDHE message starts with
    /// curve_type 3 (named_curve); a DHE message starts with the 2-byte length of p, whose first
    /// byte is 3 only for 6144- to 8191-bit primes, whose following "named curve" and point
    /// lengths then fail to add up, so trying ECDHE first is safe. Anonymous variants (no
    /// signature) come after the signed ones, and PSK layouts (identity hint first) last.
    pub fn decode(body: &[u8], suite: Option<u16>, version: Option<u16>) -> Result<ServerKeyExchange> {
        let suite_name = suite.and_then(registry::cipher_suite).map(|s| s.name);
        Self::decode_for_suite_name(body, suite_name, version)
    }

    /// As `decode`, with the suite given by its IANA name (None: unknown suite).
    pub fn decode_for_suite_name(
        body: &[u8],
        suite_name: Option<&str>,
        version: Option<u16>,
    ) -> Result<ServerKeyExchange> {
        let known = suite_name.map(KeyExchange::of_suite_name).filter(|kx| *kx != KeyExchange::Other);
        let mut decoded = match known {
            Some(kx) => Self::decode_as(body, kx, version).map(|mut s| {
                s.key_exchange_from = FROM_SUITE;
                s
            })?,
            None => Self::infer(body, version).map(|mut s| {
                s.key_exchange_from = FROM_BYTES;
                s
            })?,
        };
        if let Some(sig) = decoded.signature.as_mut()
            && sig.signature_scheme.is_none()
        {
            sig.legacy_signature_hash = suite_name.and_then(legacy_signature_hash);
        }
        Ok(decoded)
    }

    fn decode_as(body: &[u8], kx: KeyExchange, version: Option<u16>) -> Result<ServerKeyExchange> {
        if kx == KeyExchange::Srp {
            return ske_layout(body, kx, None).or_else(|first| {
                signature_forms(version).iter().find_map(|&f| ske_layout(body, kx, Some(f)).ok()).ok_or(first)
            });
        }
        if kx.is_anonymous() || !signed(kx) {
            return ske_layout(body, kx, None);
        }
        let mut last = err("ServerKeyExchange");
        for &form in signature_forms(version) {
            last = ske_layout(body, kx, Some(form));
            if last.is_ok() {
                break;
            }
        }
        last
    }

    fn infer(body: &[u8], version: Option<u16>) -> Result<ServerKeyExchange> {
        let forms = signature_forms(version);
        let signed_candidates = [KeyExchange::Ecdhe, KeyExchange::Dhe, KeyExchange::RsaExport];
        for kx in signed_candidates {
            for &form in forms {
                if let Ok(out) = ske_layout(body, kx, Some(form)) {
                    return Ok(out);
                }
            }
        }
        let unsigned_candidates =
            [KeyExchange::EcdhAnon, KeyExchange::DhAnon, KeyExchange::EcdhePsk, KeyExchange::DhePsk, KeyExchange::Psk];
        unsigned_candidates
            .into_iter()
            .find_map(|kx| ske_layout(body, kx, None).ok())
            .ok_or(super::reader::DecodeError { what: "ServerKeyExchange (no known layout fits)" })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClientKeyExchange {
    pub key_exchange: &'static str,
    /// "cipher_suite" or "inferred", as for the ServerKeyExchange.
    pub key_exchange_from: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psk_identity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub psk_identity_length: Option<usize>,
    /// RSA: the encrypted premaster secret's length (2-byte length prefix in TLS, none in SSLv3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted_premaster_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ecdh_public_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ecdh_public: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dh_yc_bits: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dh_yc_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dh_yc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub srp_a_bits: Option<usize>,
    /// Suite unknown and the body a single 2-byte-prefixed value: an RSA-encrypted premaster
    /// or a DH public value, which the bytes alone cannot tell apart.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange_keys_length: Option<usize>,
}

fn read_ecdh_public(r: &mut Reader<'_>, out: &mut ClientKeyExchange) -> Result<()> {
    let point = r.vec8("ECDH public key")?;
    out.ecdh_public_length = Some(point.len());
    out.ecdh_public = Some(crate::hex_text::lower(point));
    Ok(())
}

fn read_dh_public(r: &mut Reader<'_>, out: &mut ClientKeyExchange) -> Result<()> {
    let yc = r.vec16("dh_Yc")?;
    out.dh_yc_bits = Some(bits(yc));
    out.dh_yc_length = Some(yc.len());
    out.dh_yc = Some(crate::hex_text::lower(yc));
    Ok(())
}

fn read_psk_identity(r: &mut Reader<'_>, out: &mut ClientKeyExchange) -> Result<()> {
    let identity = r.vec16("psk_identity")?;
    out.psk_identity = Some(String::from_utf8_lossy(identity).into_owned());
    out.psk_identity_length = Some(identity.len());
    Ok(())
}

/// RSA premaster: 2-byte prefixed in TLS, bare in SSLv3 (RFC 6101 5.6.7.1).
fn read_rsa_premaster(r: &mut Reader<'_>, out: &mut ClientKeyExchange, version: Option<u16>) -> Result<()> {
    let premaster = match version {
        Some(0x0300) => r.rest(),
        Some(_) => r.vec16("encrypted premaster")?,
        // Version unknown: the TLS layout if its prefix covers the rest exactly, else SSLv3's.
        None => {
            let mut probe = *r;
            match probe.vec16("encrypted premaster") {
                Ok(v) if probe.is_empty() => {
                    *r = probe;
                    v
                }
                _ => r.rest(),
            }
        }
    };
    out.encrypted_premaster_length = Some(premaster.len());
    Ok(())
}

impl ClientKeyExchange {
    pub fn decode(body: &[u8], suite: Option<u16>, version: Option<u16>) -> Result<ClientKeyExchange> {
        let suite_name = suite.and_then(registry::cipher_suite).map(|s| s.name);
        Self::decode_for_suite_name(body, suite_name, version)
    }

    /// As `decode`, with the suite given by its IANA name (None: unknown suite).
    pub fn decode_for_suite_name(
        body: &[u8],
        suite_name: Option<&str>,
        version: Option<u16>,
    ) -> Result<ClientKeyExchange> {
        let known = suite_name.map(KeyExchange::of_suite_name).filter(|kx| *kx != KeyExchange::Other);
        match known {
            Some(kx) => {
                let mut out = Self::decode_as(body, kx, version)?;
                out.key_exchange_from = FROM_SUITE;
                Ok(out)
            }
            None => {
                let mut out = Self::infer(body)?;
                out.key_exchange_from = FROM_BYTES;
                Ok(out)
            }
        }
    }

    fn decode_as(body: &[u8], kx: KeyExchange, version: Option<u16>) -> Result<ClientKeyExchange> {
        let mut r = Reader::new(body);
        let mut out = ClientKeyExchange { key_exchange: kx.name(), ..Default::default() };
        match kx {
            KeyExchange::Rsa | KeyExchange::RsaExport => read_rsa_premaster(&mut r, &mut out, version)?,
            KeyExchange::Ecdhe | KeyExchange::EcdhAnon => read_ecdh_public(&mut r, &mut out)?,
            // Fixed ECDH/DH with a client certificate holding the key sends an empty body.
            KeyExchange::EcdhStatic => {
                if !r.is_empty() {
                    read_ecdh_public(&mut r, &mut out)?;
                }
            }
            KeyExchange::DhStatic => {
                if !r.is_empty() {
                    read_dh_public(&mut r, &mut out)?;
                }
            }
            KeyExchange::Dhe | KeyExchange::DhAnon => read_dh_public(&mut r, &mut out)?,
            KeyExchange::Psk => read_psk_identity(&mut r, &mut out)?,
            KeyExchange::RsaPsk => {
                read_psk_identity(&mut r, &mut out)?;
                read_rsa_premaster(&mut r, &mut out, version)?;
            }
            KeyExchange::DhePsk => {
                read_psk_identity(&mut r, &mut out)?;
                read_dh_public(&mut r, &mut out)?;
            }
            KeyExchange::EcdhePsk => {
                read_psk_identity(&mut r, &mut out)?;
                read_ecdh_public(&mut r, &mut out)?;
            }
            KeyExchange::Srp => out.srp_a_bits = Some(bits(r.vec16("srp_A")?)),
            KeyExchange::Other => return err("ClientKeyExchange of an unknown key exchange"),
        }
        r.expect_end("bytes after ClientKeyExchange")?;
        Ok(out)
    }

    /// Without the suite: a 1-byte-prefixed value filling the body is an EC point (ECDHE);
    /// a 2-byte-prefixed one is an RSA premaster or a DH value (reported as such); anything
    /// else is taken as an SSLv3-style bare RSA premaster.
    fn infer(body: &[u8]) -> Result<ClientKeyExchange> {
        if body.is_empty() {
            return err("empty ClientKeyExchange");
        }
        let mut r = Reader::new(body);
        if r.vec8("ECDH public key").is_ok() && r.is_empty() {
            return Self::decode_as(body, KeyExchange::Ecdhe, None);
        }
        let mut r = Reader::new(body);
        if let Ok(v) = r.vec16("exchange keys")
            && r.is_empty()
        {
            return Ok(ClientKeyExchange {
                key_exchange: "RSA_or_DH",
                exchange_keys_length: Some(v.len()),
                ..Default::default()
            });
        }
        Self::decode_as(body, KeyExchange::Rsa, Some(0x0300))
    }
}
