//! Certificate summary and chain checks over arbitrary DER lists.
//!
//! Input: `[flags: 1]`, then repeated `[length: 2][DER]`.
#![no_main]

#[path = "common.rs"]
mod common;

use common::Cursor;
use libfuzzer_sys::fuzz_target;
use tlstrace::certs;
use tlstrace::time::Timestamp;

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    let flags = input.u8();
    let mut ders = Vec::new();
    while !input.is_empty() && ders.len() < 8 {
        let len = usize::from(input.u16());
        ders.push(input.bytes(len));
    }
    let time = (flags & 1 != 0).then(|| Timestamp::new(1_700_000_000, 0, 6));
    let sni = match flags >> 1 & 3 {
        0 => None,
        1 => Some("tlstrace.test"),
        2 => Some("*.example.com"),
        _ => Some("192.0.2.1"),
    };
    let (infos, check) = certs::inspect_chain(&ders, time.as_ref(), sni);
    assert_eq!(infos.len(), ders.len());
    assert_eq!(check.is_some(), !ders.is_empty());
    for (info, der) in infos.iter().zip(&ders) {
        assert_eq!(info.der_length, der.len());
        assert_eq!(info.sha256.len(), 64);
    }
    serde_json::to_string(&infos).expect("certificate summaries serialize");
    if let Some(der) = ders.first() {
        let _ = certs::inspect_public_key(der);
        let _ = certs::pem_text(der);
    }
});
