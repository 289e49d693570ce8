//! Lowercase hex text of bytes, for the many digests, randoms and keys in events.
//!
//! `hex::encode` builds its `String` one `char` at a time through an iterator, which showed up
//! in profiles of large captures; `hex::encode_to_slice` is table-driven, so this wraps it.

/// Lowercase hex of `bytes`, two digits per byte.
pub fn lower(bytes: impl AsRef<[u8]>) -> String {
    let bytes = bytes.as_ref();
    let mut out = vec![0u8; bytes.len() * 2];
    if hex::encode_to_slice(bytes, &mut out).is_err() {
        // Cannot happen (the buffer is exactly twice as long); fall back to the slow path.
        return hex::encode(bytes);
    }
    String::from_utf8(out).unwrap_or_else(|_| hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_as_hex_encode() {
        for bytes in [&[][..], &[0u8], &[0xde, 0xad, 0xbe, 0xef, 0x00, 0x0f, 0xf0]] {
            assert_eq!(super::lower(bytes), hex::encode(bytes));
        }
    }
}
