//! Handshake message framing: handshake messages may be split across records and several may
//! share one record; this reassembles them into whole messages.

/// Largest handshake message accepted. Real certificate chains stay far below; a larger length
/// field is hostile or garbage and must not make us buffer megabytes per connection.
pub const MAX_HANDSHAKE_MESSAGE: usize = 256 << 10;

/// One complete handshake message.
#[derive(Clone, Copy, Debug)]
pub struct HandshakeMessage<'a> {
    pub msg_type: u8,
    /// The body, without the 4-byte header.
    pub body: &'a [u8],
    /// Header and body, as hashed into the transcript.
    pub raw: &'a [u8],
}

/// The captured front of a handshake message that a gap cut short.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartialMessage {
    pub msg_type: u8,
    /// Body length from the header, when the header arrived whole.
    pub length: Option<usize>,
    /// Header and body bytes captured.
    pub raw: Vec<u8>,
}

impl PartialMessage {
    /// The captured part of the body.
    pub fn body(&self) -> &[u8] {
        self.raw.get(4..).unwrap_or_default()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FramingError {
    #[error("handshake message of {0} bytes exceeds the limit")]
    TooLarge(usize),
}

/// Reassembly buffer for the handshake messages of one direction.
#[derive(Debug, Default)]
pub struct HandshakeAssembler {
    buf: Vec<u8>,
}

fn header(data: &[u8]) -> Option<(u8, usize)> {
    let (&t, &a, &b, &c) = (data.first()?, data.get(1)?, data.get(2)?, data.get(3)?);
    Some((t, (usize::from(a) << 16) | (usize::from(b) << 8) | usize::from(c)))
}

impl HandshakeAssembler {
    /// True while part of a message is waiting for the next record.
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Bytes of the partial message held.
    pub fn partial_len(&self) -> usize {
        self.buf.len()
    }

    /// Bytes allocated for partial messages (the TLS buffers' share of the memory budget).
    pub fn buffered_bytes(&self) -> usize {
        self.buf.capacity()
    }

    /// Drops a partial message (when the stream turns encrypted).
    pub fn reset(&mut self) {
        self.buf.clear();
    }

    /// Takes the partial message a gap cut short: its type, announced body length and the
    /// bytes of it captured (header included), if at least its type arrived.
    pub fn take_partial(&mut self) -> Option<PartialMessage> {
        let raw = std::mem::take(&mut self.buf);
        let msg_type = *raw.first()?;
        let length = header(&raw).map(|(_, len)| len);
        Some(PartialMessage { msg_type, length, raw })
    }

    /// Adds one record's handshake payload; each completed message goes to `out`.
    pub fn push(&mut self, payload: &[u8], out: &mut dyn FnMut(HandshakeMessage<'_>)) -> Result<(), FramingError> {
        if self.buf.is_empty() {
            let used = emit_complete(payload, out)?;
            if let Some(rest) = payload.get(used..) {
                self.buf.extend_from_slice(rest);
            }
            return Ok(());
        }
        self.buf.extend_from_slice(payload);
        let buf = std::mem::take(&mut self.buf);
        let result = emit_complete(&buf, out);
        match result {
            Ok(used) => {
                let mut buf = buf;
                buf.drain(..used.min(buf.len()));
                // A completed message gives its buffer back (see `RecordSplitter::push`).
                if !buf.is_empty() {
                    self.buf = buf;
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// Emits every complete message at the start of `data`; returns the bytes consumed.
fn emit_complete(data: &[u8], out: &mut dyn FnMut(HandshakeMessage<'_>)) -> Result<usize, FramingError> {
    let mut pos = 0usize;
    while let Some(rest) = data.get(pos..) {
        let Some((msg_type, len)) = header(rest) else { break };
        if len > MAX_HANDSHAKE_MESSAGE {
            return Err(FramingError::TooLarge(len));
        }
        let end = len.saturating_add(4);
        let Some(raw) = rest.get(..end) else { break };
        let body = raw.get(4..).unwrap_or(&[]);
        out(HandshakeMessage { msg_type, body, raw });
        pos = pos.saturating_add(end);
    }
    Ok(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(t: u8, len: usize) -> Vec<u8> {
        let mut v = vec![t, (len >> 16) as u8, (len >> 8) as u8, len as u8];
        v.extend(std::iter::repeat_n(t, len));
        v
    }

    fn run(a: &mut HandshakeAssembler, records: &[&[u8]]) -> Vec<(u8, usize)> {
        let mut got = Vec::new();
        for r in records {
            a.push(r, &mut |m| got.push((m.msg_type, m.body.len()))).unwrap();
        }
        got
    }

    #[test]
    fn coalesced_and_split() {
        let mut stream = msg(2, 70);
        stream.extend(msg(11, 3000));
        stream.extend(msg(14, 0));
        let mut a = HandshakeAssembler::default();
        let (x, y) = stream.split_at(100);
        let (y, z) = y.split_at(2000);
        assert_eq!(run(&mut a, &[x, y, z]), vec![(2, 70), (11, 3000), (14, 0)]);
        assert!(!a.has_partial());
    }

    #[test]
    fn header_split_across_records() {
        let stream = msg(1, 10);
        let mut a = HandshakeAssembler::default();
        assert_eq!(run(&mut a, &[&stream[..2], &stream[2..5], &stream[5..]]), vec![(1, 10)]);
    }

    #[test]
    fn hostile_length_is_an_error() {
        let mut a = HandshakeAssembler::default();
        let r = a.push(&[11, 0xff, 0xff, 0xff, 0], &mut |_| {});
        assert_eq!(r, Err(FramingError::TooLarge(0xffffff)));
    }
}
