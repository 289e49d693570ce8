//! A bounds-checked cursor over message bytes: every read either succeeds or returns a typed
//! error; nothing indexes past the end and no length field is trusted.

use std::fmt;

/// What was being decoded when the bytes ran out or made no sense.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub what: &'static str,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed {}", self.what)
    }
}

impl std::error::Error for DecodeError {}

pub type Result<T> = std::result::Result<T, DecodeError>;

pub fn err<T>(what: &'static str) -> Result<T> {
    Err(DecodeError { what })
}

#[derive(Clone, Copy, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    /// The bytes not read yet, consuming them.
    pub fn rest(&mut self) -> &'a [u8] {
        let out = self.buf.get(self.pos..).unwrap_or(&[]);
        self.pos = self.buf.len();
        out
    }

    /// Looks at the unread bytes without consuming them.
    pub fn peek_rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    pub fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(DecodeError { what })?;
        let out = self.buf.get(self.pos..end).ok_or(DecodeError { what })?;
        self.pos = end;
        Ok(out)
    }

    pub fn skip(&mut self, n: usize, what: &'static str) -> Result<()> {
        self.bytes(n, what).map(|_| ())
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8> {
        let b = self.bytes(1, what)?;
        b.first().copied().ok_or(DecodeError { what })
    }

    pub fn u16(&mut self, what: &'static str) -> Result<u16> {
        let b = self.bytes(2, what)?;
        Ok(u16::from_be_bytes(b.try_into().map_err(|_| DecodeError { what })?))
    }

    pub fn u24(&mut self, what: &'static str) -> Result<u32> {
        let b = self.bytes(3, what)?;
        let mut v = [0u8; 4];
        v.get_mut(1..).ok_or(DecodeError { what })?.copy_from_slice(b);
        Ok(u32::from_be_bytes(v))
    }

    pub fn u32(&mut self, what: &'static str) -> Result<u32> {
        let b = self.bytes(4, what)?;
        Ok(u32::from_be_bytes(b.try_into().map_err(|_| DecodeError { what })?))
    }

    pub fn u64(&mut self, what: &'static str) -> Result<u64> {
        let b = self.bytes(8, what)?;
        Ok(u64::from_be_bytes(b.try_into().map_err(|_| DecodeError { what })?))
    }

    /// A vector with a 1-byte length prefix.
    pub fn vec8(&mut self, what: &'static str) -> Result<&'a [u8]> {
        let n = self.u8(what)?;
        self.bytes(usize::from(n), what)
    }

    /// A vector with a 2-byte length prefix.
    pub fn vec16(&mut self, what: &'static str) -> Result<&'a [u8]> {
        let n = self.u16(what)?;
        self.bytes(usize::from(n), what)
    }

    /// A vector with a 3-byte length prefix.
    pub fn vec24(&mut self, what: &'static str) -> Result<&'a [u8]> {
        let n = self.u24(what)?;
        self.bytes(n as usize, what)
    }

    /// A sub-reader over a vector with a 2-byte length prefix.
    pub fn sub16(&mut self, what: &'static str) -> Result<Reader<'a>> {
        self.vec16(what).map(Reader::new)
    }

    pub fn sub8(&mut self, what: &'static str) -> Result<Reader<'a>> {
        self.vec8(what).map(Reader::new)
    }

    pub fn sub24(&mut self, what: &'static str) -> Result<Reader<'a>> {
        self.vec24(what).map(Reader::new)
    }

    /// Reads a list of big-endian u16 values filling the whole remaining input.
    pub fn u16_list(&mut self, what: &'static str) -> Result<Vec<u16>> {
        let mut out = Vec::with_capacity(self.remaining() / 2);
        while !self.is_empty() {
            out.push(self.u16(what)?);
        }
        Ok(out)
    }

    /// A QUIC variable-length integer (RFC 9000 16): the top two bits of the first byte give
    /// the total length, 1, 2, 4 or 8 bytes.
    pub fn quic_varint(&mut self, what: &'static str) -> Result<u64> {
        let first = self.u8(what)?;
        let extra = match first >> 6 {
            0 => 0,
            1 => 1,
            2 => 3,
            _ => 7,
        };
        let mut value = u64::from(first & 0x3f);
        for &b in self.bytes(extra, what)? {
            value = (value << 8) | u64::from(b);
        }
        Ok(value)
    }

    /// Fails unless everything was consumed.
    pub fn expect_end(&self, what: &'static str) -> Result<()> {
        if self.is_empty() { Ok(()) } else { err(what) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_bounds() {
        let data = [0x01, 0x02, 0x03, 0x00, 0x02, 0xaa, 0xbb, 0xcc];
        let mut r = Reader::new(&data);
        assert_eq!(r.u8("a").unwrap(), 1);
        assert_eq!(r.u16("b").unwrap(), 0x0203);
        assert_eq!(r.vec16("c").unwrap(), &[0xaa, 0xbb]);
        assert_eq!(r.remaining(), 1);
        assert!(r.u16("d").is_err());
        assert_eq!(r.u8("e").unwrap(), 0xcc);
        assert!(r.u8("f").is_err());
        let mut r = Reader::new(&[0xff, 0xff, 0xff]);
        assert_eq!(r.vec24("huge").unwrap_err().what, "huge");
    }

    #[test]
    fn u24_and_u32() {
        let mut r = Reader::new(&[0x01, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(r.u24("x").unwrap(), 0x010000);
        assert_eq!(r.u32("y").unwrap(), 0xdeadbeef);
        assert!(r.is_empty());
    }
}
