//! DTLS handshake framing (RFC 6347 4.2.2): the 12-byte header of each fragment, fragments of a
//! message reassembled in any order, and each message delivered once, in message_seq order, in
//! the TLS form (4-byte header) the message decoders read. Repeats of delivered messages are a
//! retransmitted flight: reported as such, never delivered again.

use crate::msgs::reader::Reader;
use std::collections::BTreeMap;

/// The DTLS handshake header: type, length, message_seq, fragment_offset, fragment_length.
pub const HEADER_LEN: usize = 12;

/// Messages completed ahead of a missing one held at most: past it the missing one is given up
/// (a flight lost for good must not stall the rest forever).
const MAX_READY: usize = 16;
/// Messages being reassembled at once (a peer sending many sequence numbers cannot grow memory).
const MAX_PARTIAL: usize = 16;

/// One fragment as it travels in a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragment<'a> {
    pub msg_type: u8,
    pub length: u32,
    pub message_seq: u16,
    pub offset: u32,
    pub data: &'a [u8],
}

/// The fragments of one handshake record's payload (several may share a record); an error names
/// the first field that does not fit.
pub fn fragments(payload: &[u8]) -> Result<Vec<Fragment<'_>>, &'static str> {
    let mut r = Reader::new(payload);
    let mut out = Vec::new();
    while !r.is_empty() {
        let msg_type = r.u8("msg_type").map_err(|_| "msg_type")?;
        let length = r.u24("length").map_err(|_| "length")?;
        let message_seq = r.u16("message_seq").map_err(|_| "message_seq")?;
        let offset = r.u24("fragment_offset").map_err(|_| "fragment_offset")?;
        let frag_len = r.u24("fragment_length").map_err(|_| "fragment_length")?;
        let data = r.bytes(frag_len as usize, "fragment").map_err(|_| "fragment")?;
        if offset.checked_add(frag_len).is_none_or(|end| end > length) {
            return Err("fragment past the message's length");
        }
        out.push(Fragment { msg_type, length, message_seq, offset, data });
    }
    Ok(out)
}

/// Where a message's first fragment came from: its record's version, and whether a key log
/// opened that record. A message completed by a later push (a lost one arriving at last) keeps it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub record_version: u16,
    pub decrypted: bool,
}

/// What pushing a fragment gives.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery<'a> {
    /// A whole message, next in message_seq order: `raw` is the TLS form (type, 3-byte length,
    /// body); `fragments` how many fragments made it (1: it was not fragmented); `origin` that
    /// of its first fragment.
    Message { msg_type: u8, message_seq: u16, raw: &'a [u8], fragments: u32, origin: Origin },
    /// The first fragment of a message already whole: the sender retransmitted it.
    Retransmission { msg_type: u8, message_seq: u16 },
    /// Messages given up for good (later ones completed without them), told before the later
    /// ones are delivered.
    Lost { messages: u64 },
    /// A fragment refused: over the cap, or conflicting with the message it claims to be of.
    Refused,
}

/// A message being put together.
#[derive(Debug)]
struct Partial {
    msg_type: u8,
    /// TLS header then body; the body is filled as fragments come.
    buf: Vec<u8>,
    /// Body ranges received, `[start, end)`, sorted and merged.
    have: Vec<(u32, u32)>,
    length: u32,
    fragments: u32,
    origin: Origin,
}

impl Partial {
    fn new(f: &Fragment<'_>, origin: Origin) -> Self {
        let mut buf = Vec::with_capacity((f.length as usize).saturating_add(4));
        buf.push(f.msg_type);
        buf.extend_from_slice(f.length.to_be_bytes().get(1..).unwrap_or_default());
        buf.resize((f.length as usize).saturating_add(4), 0);
        Partial { msg_type: f.msg_type, buf, have: Vec::new(), length: f.length, fragments: 0, origin }
    }

    /// Adds a fragment's bytes (an overlap rewrites the same bytes: a conforming sender repeats
    /// them unchanged).
    fn add(&mut self, f: &Fragment<'_>) {
        let start = f.offset as usize;
        let end = start.saturating_add(f.data.len());
        if let Some(dst) = self.buf.get_mut(start.saturating_add(4)..end.saturating_add(4)) {
            dst.copy_from_slice(f.data);
        }
        self.fragments = self.fragments.saturating_add(1);
        let (s, e) = (f.offset, f.offset.saturating_add(f.data.len() as u32));
        if s == e && self.length > 0 {
            return;
        }
        self.have.push((s, e));
        self.have.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(self.have.len());
        for &(s, e) in &self.have {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.have = merged;
    }

    fn whole(&self) -> bool {
        self.length == 0 && self.fragments > 0 || self.have.as_slice() == [(0, self.length)]
    }
}

/// One direction's handshake messages.
#[derive(Debug, Default)]
pub struct Reassembler {
    /// The next message_seq to deliver (None before the first fragment: a capture may begin
    /// in the middle of a handshake).
    next: Option<u16>,
    partial: BTreeMap<u16, Partial>,
    /// Whole messages waiting for an earlier one.
    ready: BTreeMap<u16, Partial>,
    held: usize,
    /// Fragments repeating bytes already held, and fragments refused (conflicting with the
    /// message they belong to, over the cap).
    pub duplicate_fragments: u64,
    pub refused_fragments: u64,
    /// Messages given up because later ones completed without them.
    pub messages_lost: u64,
}

impl Reassembler {
    /// Bytes held for messages not delivered yet.
    pub fn buffered_bytes(&self) -> usize {
        self.held
    }

    /// Adds one fragment; `out` gets each message it completes (and those it frees), in
    /// message_seq order, or the retransmission it reveals. `cap` bounds the bytes held.
    pub fn push(&mut self, f: &Fragment<'_>, cap: usize, out: &mut dyn FnMut(Delivery<'_>)) {
        self.push_from(f, cap, Origin::default(), out);
    }

    /// [`Self::push`], with where the fragment came from (given back with its message).
    pub fn push_from(&mut self, f: &Fragment<'_>, cap: usize, origin: Origin, out: &mut dyn FnMut(Delivery<'_>)) {
        let next = *self.next.get_or_insert(f.message_seq);
        if f.message_seq < next || self.ready.contains_key(&f.message_seq) {
            // Every retransmission of a message repeats its first byte: count it there once.
            if f.offset == 0 {
                out(Delivery::Retransmission { msg_type: f.msg_type, message_seq: f.message_seq });
            } else {
                self.duplicate_fragments = self.duplicate_fragments.saturating_add(1);
            }
            return;
        }
        if let Some(p) = self.partial.get_mut(&f.message_seq) {
            if p.msg_type != f.msg_type || p.length != f.length {
                self.refused_fragments = self.refused_fragments.saturating_add(1);
                out(Delivery::Refused);
                return;
            }
            let (s, e) = (f.offset, f.offset.saturating_add(f.data.len() as u32));
            if p.have.iter().any(|&(hs, he)| hs <= s && e <= he) && !f.data.is_empty() {
                self.duplicate_fragments = self.duplicate_fragments.saturating_add(1);
                return;
            }
            p.add(f);
        } else {
            let size = (f.length as usize).saturating_add(4);
            if self.partial.len() >= MAX_PARTIAL || self.held.saturating_add(size) > cap {
                self.refused_fragments = self.refused_fragments.saturating_add(1);
                out(Delivery::Refused);
                return;
            }
            let mut p = Partial::new(f, origin);
            p.add(f);
            self.held = self.held.saturating_add(size);
            self.partial.insert(f.message_seq, p);
        }
        if self.partial.get(&f.message_seq).is_some_and(Partial::whole)
            && let Some(p) = self.partial.remove(&f.message_seq)
        {
            self.ready.insert(f.message_seq, p);
        }
        self.deliver(out);
        if self.ready.len() > MAX_READY {
            self.skip_missing(out);
        }
    }

    /// Delivers the ready messages that follow the last delivered one.
    fn deliver(&mut self, out: &mut dyn FnMut(Delivery<'_>)) {
        while let Some(next) = self.next
            && let Some(p) = self.ready.remove(&next)
        {
            self.held = self.held.saturating_sub(p.buf.len());
            out(Delivery::Message {
                msg_type: p.msg_type,
                message_seq: next,
                raw: &p.buf,
                fragments: p.fragments,
                origin: p.origin,
            });
            self.next = next.checked_add(1);
        }
    }

    /// Gives up the missing messages before the first ready one.
    fn skip_missing(&mut self, out: &mut dyn FnMut(Delivery<'_>)) {
        let Some(&first) = self.ready.keys().next() else { return };
        let missing = first.saturating_sub(self.next.unwrap_or(first));
        self.messages_lost = self.messages_lost.saturating_add(u64::from(missing));
        if missing > 0 {
            out(Delivery::Lost { messages: u64::from(missing) });
        }
        let gone: Vec<u16> = self.partial.range(..first).map(|(k, _)| *k).collect();
        for k in gone {
            if let Some(p) = self.partial.remove(&k) {
                self.held = self.held.saturating_sub(p.buf.len());
            }
        }
        self.next = Some(first);
        self.deliver(out);
    }

    /// OpenSSL's pre-standard DTLS (0x0100) numbers its ChangeCipherSpec like a handshake
    /// message: `message_seq` is taken, and what waited behind it is delivered.
    pub fn consume(&mut self, message_seq: u16, out: &mut dyn FnMut(Delivery<'_>)) {
        if self.next.is_none_or(|next| next == message_seq) {
            self.next = message_seq.checked_add(1);
            self.deliver(out);
        }
    }

    /// End of the connection: what is whole is delivered, in order, past any missing message.
    pub fn flush(&mut self, out: &mut dyn FnMut(Delivery<'_>)) {
        while !self.ready.is_empty() {
            self.skip_missing(out);
        }
    }
}
