//! Record decryption with arbitrary keys and arbitrary records, for every supported suite and
//! version: TLS 1.3 AEAD, TLS 1.2 AEAD, CBC with MAC-then-encrypt and encrypt-then-MAC, and
//! TLS 1.0's chained IVs.
//!
//! Input: `[mode: 1][suite: 1][secret length: 1][48-byte secret][2 randoms: 64]`, then repeated
//! records `[content type: 1][length: 2][payload]`.
#![no_main]

#[path = "common.rs"]
mod common;

use common::Cursor;
use libfuzzer_sys::fuzz_target;
use tlstrace::crypto::RecordDecryptor;

const TLS13: [u16; 5] = [0x1301, 0x1302, 0x1303, 0x1304, 0x1305];
/// 3DES, AES-CBC with SHA-1/SHA-256/SHA-384, GCM, ChaCha20, CCM, CCM-8.
const TLS12: [u16; 14] =
    [0x000a, 0x002f, 0x0035, 0x003c, 0x003d, 0xc028, 0x009c, 0x009d, 0xc02f, 0xc030, 0xcca8, 0xc09c, 0xc0a0, 0xc0ae];
const VERSIONS: [u16; 4] = [0x0301, 0x0302, 0x0303, 0x0300];

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    let mode = input.u8();
    let sel = usize::from(input.u8());
    let secret_len = usize::from(input.u8() % 64);
    let secret = input.bytes(48);
    let client_random = input.bytes(32);
    let server_random = input.bytes(32);
    let decryptor = if mode & 1 == 0 {
        let suite = TLS13.get(sel % 8).copied().unwrap_or(sel as u16);
        RecordDecryptor::tls13(suite, secret.get(..secret_len).unwrap_or(secret))
    } else {
        let suite = TLS12.get(sel % 16).copied().unwrap_or(sel as u16 | 0xc000);
        let version = VERSIONS[usize::from(mode >> 1 & 3)];
        RecordDecryptor::tls12(suite, version, secret, client_random, server_random, mode & 8 != 0, mode & 16 != 0)
    };
    let Some(mut decryptor) = decryptor else {
        return;
    };
    let version = decryptor.version();
    while !input.is_empty() {
        let content_type = input.u8();
        let len = usize::from(input.u16() % 20_000);
        let payload = input.bytes(len);
        if content_type == 0xff {
            let _ = decryptor.key_update();
            continue;
        }
        let seq = decryptor.seq();
        match decryptor.decrypt(content_type, version, payload) {
            Ok(plain) => {
                assert_eq!(decryptor.seq(), seq + 1);
                assert!(plain.data.len() <= payload.len());
            }
            Err(_) => assert_eq!(decryptor.seq(), seq),
        }
    }
});
