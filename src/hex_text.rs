//! Lowercase hex text of bytes, for the many digests, randoms and keys in events.
//!
//! `hex::encode` builds its `String` one `char` at a time through an iterator, and even its
//! table-driven `encode_to_slice` goes a byte at a time; a ServerKeyExchange alone carries about
//! a kilobyte of DH parameters and signature to show. `const-hex` encodes 16 or 32 bytes per step
//! with SSSE3/AVX2 where the CPU has them (detected at run time).

/// Lowercase hex of `bytes`, two digits per byte.
pub fn lower(bytes: impl AsRef<[u8]>) -> String {
    const_hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_as_hex_encode() {
        let long: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        for bytes in [&[][..], &[0u8], &[0xde, 0xad, 0xbe, 0xef, 0x00, 0x0f, 0xf0], &long[..]] {
            for start in 0..bytes.len().min(40) {
                let part = bytes.get(start..).unwrap_or_default();
                assert_eq!(super::lower(part), hex::encode(part));
            }
            assert_eq!(super::lower(bytes), hex::encode(bytes));
        }
    }
}
