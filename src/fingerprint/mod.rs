//! Client and server fingerprints computed from decoded hellos: JA3 and JA3S (Salesforce, BSD-3)
//! and JA4 (FoxIO, BSD-3; only the TLS client fingerprint, the rest of JA4+ is differently
//! licensed and not implemented).
//!
//! Both schemes are short string recipes over the hello's code points; they are written here
//! rather than taken from a crate because the available crates parse packets themselves, while
//! tlstrace already has the decoded hello and its exact extension bytes.

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

mod ja3;
mod ja4;

use crate::msgs::extensions::Extension;
use crate::msgs::reader::Reader;
use crate::msgs::{ClientHello, ServerHello};
use crate::registry::{self, ExtensionType};
use serde::Serialize;
use std::sync::Arc;

/// Fingerprints of one ClientHello.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fingerprints {
    /// The JA3 string: `version,ciphers,extensions,groups,point_formats`.
    pub ja3: String,
    /// MD5 of `ja3`, lowercase hex.
    pub ja3_hash: String,
    /// JA4: sorted cipher and extension lists, hashed.
    pub ja4: String,
    /// JA4 with the sorted lists written out.
    pub ja4_r: String,
    /// JA4 over the lists in wire order (SNI and ALPN kept), hashed.
    pub ja4_o: String,
    /// JA4 over the lists in wire order, written out.
    pub ja4_ro: String,
}

/// Fingerprints of one ServerHello.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServerFingerprints {
    /// The JA3S string: `version,cipher,extensions`.
    pub ja3s: String,
    /// MD5 of `ja3s`, lowercase hex.
    pub ja3s_hash: String,
}

/// All fingerprints of a ClientHello (sent over TCP: the JA4 transport letter is always `t`).
pub fn client(ch: &ClientHello) -> Arc<Fingerprints> {
    // A client that sends the same hello shape again (browsers do, thousands of times) costs a
    // lookup, not the JA3 and JA4 strings, an MD5, four SHA-256 and the sorted lists; and the
    // six strings are shared, not copied for every hello.
    let key = hello_shape(ch);
    if let Some(known) = CLIENT_MEMO.with(|memo| memo.borrow().map.get(&key).cloned()) {
        return known;
    }
    let ja3 = ja3::client_string(ch);
    let ja3_hash = md5_hex(&ja3);
    let ja4 = ja4::Ja4::new(ch);
    let (ja4_hashed, ja4_r) = ja4.sorted_forms();
    let (ja4_o, ja4_ro) = ja4.original_forms();
    let fp = Arc::new(Fingerprints { ja3, ja3_hash, ja4: ja4_hashed, ja4_r, ja4_o, ja4_ro });
    let bytes = key.capacity().saturating_add(fp.bytes());
    CLIENT_MEMO.with(|memo| remember(&mut memo.borrow_mut(), key, &fp, bytes, crate::budget::cache_bytes()));
    fp
}

impl Fingerprints {
    /// Heap and struct bytes, for the memo's share of the memory budget.
    fn bytes(&self) -> usize {
        let strings = [&self.ja3, &self.ja3_hash, &self.ja4, &self.ja4_r, &self.ja4_o, &self.ja4_ro];
        strings.iter().map(|s| s.capacity()).fold(size_of::<Self>(), usize::saturating_add)
    }
}

/// A memo and the bytes its entries hold.
struct Memo<K, V> {
    map: crate::fast_map::FastMap<K, Arc<V>>,
    bytes: usize,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo { map: crate::fast_map::FastMap::default(), bytes: 0 }
    }
}

/// Bytes counted per memo entry on top of its key and value (bucket, Arc counts, allocation).
const MEMO_ENTRY_OVERHEAD: usize = 64;

/// Keeps `value` (of `bytes` bytes with its key) under `key`; bounded whatever the capture
/// holds: starts over (counting what it forgets) when full by count or by its share of the
/// memory budget's Caches part.
fn remember<K: std::hash::Hash + Eq, V>(memo: &mut Memo<K, V>, key: K, value: &Arc<V>, bytes: usize, limit: usize) {
    let bytes = bytes.saturating_add(MEMO_ENTRY_OVERHEAD);
    if memo.map.len() >= MEMO_CAPACITY || memo.bytes.saturating_add(bytes) > limit {
        crate::budget::count_cache_evictions(memo.map.len() as u64);
        memo.map = crate::fast_map::FastMap::default();
        memo.bytes = 0;
    }
    if bytes <= limit && memo.map.insert(key, Arc::clone(value)).is_none() {
        memo.bytes = memo.bytes.saturating_add(bytes);
    }
}

/// Every input of the client fingerprints, exact and cheap to build: the legacy version, the
/// cipher suites, the extension types in order, and the bytes of each extension the recipes
/// read (the first of its type, as they take it). Equal shapes give equal fingerprints.
fn hello_shape(ch: &ClientHello) -> Vec<u8> {
    fn len(key: &mut Vec<u8>, n: usize) {
        key.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
    }
    let mut key = Vec::with_capacity(320);
    key.extend_from_slice(&ch.version.to_be_bytes());
    key.push(u8::from(ch.over_quic));
    len(&mut key, ch.cipher_suites.len());
    for suite in &ch.cipher_suites {
        key.extend_from_slice(&suite.to_be_bytes());
    }
    len(&mut key, ch.extensions.len());
    for e in &ch.extensions {
        key.extend_from_slice(&e.typ.to_be_bytes());
    }
    for typ in [
        ExtensionType::SupportedGroups,
        ExtensionType::EcPointFormats,
        ExtensionType::SignatureAlgorithms,
        ExtensionType::ApplicationLayerProtocolNegotiation,
        ExtensionType::SupportedVersions,
    ] {
        match ext_raw(&ch.extensions, typ) {
            Some(raw) => {
                key.push(1);
                len(&mut key, raw.len());
                key.extend_from_slice(raw);
            }
            None => key.push(0),
        }
    }
    key
}

/// Hello shapes (and JA3S strings) remembered per thread at most, each memo.
const MEMO_CAPACITY: usize = 4096;

thread_local! {
    static CLIENT_MEMO: std::cell::RefCell<Memo<Vec<u8>, Fingerprints>> =
        std::cell::RefCell::new(Memo::default());
    static SERVER_MEMO: std::cell::RefCell<Memo<String, ServerFingerprints>> =
        std::cell::RefCell::new(Memo::default());
}

/// The JA3S fingerprint of a ServerHello. Servers answer with few distinct shapes: a JA3S
/// string seen before costs a lookup instead of its MD5, and is shared rather than copied.
pub fn server(sh: &ServerHello) -> Arc<ServerFingerprints> {
    let ja3s = ja3::server_string(sh);
    if let Some(known) = SERVER_MEMO.with(|memo| memo.borrow().map.get(&ja3s).cloned()) {
        return known;
    }
    let ja3s_hash = md5_hex(&ja3s);
    let fp = Arc::new(ServerFingerprints { ja3s: ja3s.clone(), ja3s_hash });
    let bytes = [ja3s.capacity(), ja3s.capacity(), fp.ja3s_hash.capacity(), size_of::<ServerFingerprints>()]
        .into_iter()
        .fold(0, usize::saturating_add);
    SERVER_MEMO.with(|memo| remember(&mut memo.borrow_mut(), ja3s, &fp, bytes, crate::budget::cache_bytes()));
    fp
}

/// True when `filter` names this hello: any JA4 form or the JA3 string, exactly, or the JA3
/// hash in either letter case (MD5 hex is often pasted uppercase).
pub fn matches(filter: &str, fp: &Fingerprints) -> bool {
    [&fp.ja4, &fp.ja4_r, &fp.ja4_o, &fp.ja4_ro, &fp.ja3].iter().any(|v| v.as_str() == filter)
        || fp.ja3_hash.eq_ignore_ascii_case(filter)
}

fn md5_hex(s: &str) -> String {
    use md5::{Digest, Md5};
    crate::hex_text::lower(Md5::digest(s.as_bytes()))
}

fn not_grease(v: &u16) -> bool {
    !registry::is_grease(*v)
}

/// The data of the first extension of this type, as sent.
fn ext_raw(exts: &[Extension], typ: ExtensionType) -> Option<&[u8]> {
    exts.iter().find(|e| e.extension_type() == typ).map(|e| &e.raw[..])
}

/// Reads `u16` values from the list until fewer than two bytes remain (a truncated trailing byte
/// is ignored rather than discarding the whole list).
fn u16_values(mut list: Reader<'_>) -> Vec<u16> {
    let mut out = Vec::with_capacity(list.remaining() / 2);
    while let Ok(v) = list.u16("list value") {
        out.push(v);
    }
    out
}

/// A `u16` list behind a 2-byte length (supported_groups, signature_algorithms).
fn u16_list16(raw: Option<&[u8]>) -> Vec<u16> {
    raw.and_then(|r| Reader::new(r).sub16("list").ok()).map(u16_values).unwrap_or_default()
}

#[cfg(test)]
mod tests;
