//! TLS record framing for one direction of a TCP stream.
//!
//! Turns an ordered byte stream (with gaps) into records. It finds where TLS starts (at the
//! beginning, or after a plaintext prelude such as STARTTLS or an HTTP CONNECT exchange), keeps
//! partial records across segments, and after a gap or garbage resynchronises on the next
//! plausible record header instead of giving up on the direction.

pub const CONTENT_CHANGE_CIPHER_SPEC: u8 = 20;
pub const CONTENT_ALERT: u8 = 21;
pub const CONTENT_HANDSHAKE: u8 = 22;
pub const CONTENT_APPLICATION_DATA: u8 = 23;
pub const CONTENT_HEARTBEAT: u8 = 24;

/// Largest record payload any TLS version allows on the wire (2^14 + 2048, TLS 1.2 ciphertext).
pub const MAX_RECORD_PAYLOAD: usize = (1 << 14) + 2048;
/// Records up to this size are still framed (some stacks overshoot the limit); beyond it a
/// header is taken as garbage.
const MAX_TOLERATED_PAYLOAD: usize = 1 << 15;
/// Plaintext bytes scanned for the start of TLS before the direction is declared not TLS.
pub const DETECT_SCAN_LIMIT: usize = 32 << 10;

/// What the first bytes of a direction are expected to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// Unknown yet: find a ClientHello, a ServerHello, or (mid-stream) any plausible record.
    Detect,
    /// The direction is known to carry TLS: frame from here (used after the other side detected TLS).
    Records,
    /// The capture began after the connection did (no SYN): records may start anywhere, so
    /// besides hellos, accept two consecutive plausible record headers.
    MidStream,
}

/// One record, borrowed from the stream.
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    pub content_type: u8,
    pub version: u16,
    /// Empty for an application-data record skipped unread (see
    /// [`RecordSplitter::skip_application_data`]); `length` is its size on the wire either way.
    pub payload: &'a [u8],
    /// Payload length on the wire.
    pub length: usize,
}

/// A record cut short by a gap: its header, and the payload bytes captured before the gap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CutRecord {
    pub content_type: u8,
    pub version: u16,
    /// Payload length the header announced.
    pub length: usize,
    /// Payload bytes captured before the gap.
    pub captured: usize,
    /// Those bytes, when kept (an application-data record skipped unread keeps none).
    pub payload: Vec<u8>,
}

impl CutRecord {
    /// The partial record held when the gap came, if its header was complete.
    fn from_pending(mut pending: Vec<u8>) -> Option<CutRecord> {
        let (&content_type, &major, &minor, &l1, &l2) =
            (pending.first()?, pending.get(1)?, pending.get(2)?, pending.get(3)?, pending.get(4)?);
        pending.drain(..5);
        Some(CutRecord {
            content_type,
            version: u16::from_be_bytes([major, minor]),
            length: usize::from(u16::from_be_bytes([l1, l2])),
            captured: pending.len(),
            payload: pending,
        })
    }
}

/// What the splitter hands up.
#[derive(Debug)]
pub enum RecordItem<'a> {
    Record(Record<'a>),
    /// An SSLv2-format record (2-byte header): `body` starts with the message type.
    SslV2 {
        body: &'a [u8],
    },
    /// Bytes that were not TLS: a plaintext prelude, or garbage skipped while resynchronising.
    Skipped {
        bytes: usize,
        resync: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Detect,
    Records,
    /// After a gap or a bad header: looking for the next plausible header.
    Resync,
    /// Pure SSLv2 framing (2-byte headers).
    SslV2,
    /// Not TLS: everything is dropped.
    NotTls,
}

/// Record framing state for one direction.
#[derive(Debug)]
pub struct RecordSplitter {
    mode: Mode,
    /// Bytes of an incomplete record (or of a header being looked for), capped.
    pending: Vec<u8>,
    /// Bytes examined in Detect mode so far.
    scanned: usize,
    /// Detect also accepts a pair of plausible records anywhere (mid-stream capture).
    midstream: bool,
    /// The other direction is TLS: if this one does not start with TLS, resynchronise.
    peer_tls: bool,
    /// Records framed so far.
    pub records: u64,
    /// Bytes skipped by resynchronisation.
    pub resync_skipped: u64,
    /// Application-data payloads are not wanted: count them instead of buffering them.
    skip_application_data: bool,
    /// The application-data record being skipped over.
    skipping: Option<Skipping>,
}

/// An application-data record whose payload spans segments and is passed over unbuffered.
#[derive(Clone, Copy, Debug)]
struct Skipping {
    version: u16,
    length: usize,
    /// Payload bytes still to come.
    remaining: usize,
}

fn is_tls_major_minor(major: u8, minor: u8) -> bool {
    major == 3 && minor <= 4
}

/// A record header a real stack would send: known content type, SSL 3.0..TLS 1.3 version, sane length.
fn plausible_header(h: &[u8]) -> Option<(u8, u16, usize)> {
    let (&ct, &major, &minor, &l1, &l2) = (h.first()?, h.get(1)?, h.get(2)?, h.get(3)?, h.get(4)?);
    let len = usize::from(u16::from_be_bytes([l1, l2]));
    if (CONTENT_CHANGE_CIPHER_SPEC..=CONTENT_HEARTBEAT).contains(&ct)
        && is_tls_major_minor(major, minor)
        && len > 0
        && len <= MAX_RECORD_PAYLOAD
    {
        Some((ct, u16::from_be_bytes([major, minor]), len))
    } else {
        None
    }
}

/// Where a ClientHello or ServerHello record starts in `data`, if it does. Only the header and
/// the handshake type are required, so this works on the first segment of a long hello.
fn hello_start(h: &[u8]) -> bool {
    matches!(plausible_header(h), Some((CONTENT_HANDSHAKE, _, len)) if len >= 4)
        && matches!(h.get(5), Some(1) | Some(2))
        // The handshake length must fit a 24-bit length whose top byte is 0 for any sane hello.
        && h.get(6) == Some(&0)
}

/// An SSLv2-format ClientHello: 2-byte header with the top bit set, type 1, SSL 2.0..TLS 1.2.
fn sslv2_client_hello(h: &[u8]) -> bool {
    let (Some(&b0), Some(&b1), Some(&t), Some(&major), Some(&minor)) =
        (h.first(), h.get(1), h.get(2), h.get(3), h.get(4))
    else {
        return false;
    };
    let len = (usize::from(b0 & 0x7f) << 8) | usize::from(b1);
    b0 & 0x80 != 0 && t == 1 && ((major == 0 && minor == 2) || is_tls_major_minor(major, minor)) && len >= 9
}

/// An SSLv2 SERVER-HELLO (type 4) as the first bytes of the server's direction.
fn sslv2_server_hello(h: &[u8]) -> bool {
    let (Some(&b0), Some(&t), Some(&major), Some(&minor)) = (h.first(), h.get(2), h.get(5), h.get(6)) else {
        return false;
    };
    b0 & 0x80 != 0 && t == 4 && major == 0 && minor == 2
}

impl RecordSplitter {
    pub fn new(start: Start) -> Self {
        RecordSplitter {
            mode: match start {
                Start::Detect | Start::MidStream => Mode::Detect,
                Start::Records => Mode::Records,
            },
            pending: Vec::new(),
            scanned: 0,
            midstream: start == Start::MidStream,
            peer_tls: false,
            records: 0,
            resync_skipped: 0,
            skip_application_data: false,
            skipping: None,
        }
    }

    /// Whether application-data payloads may be skipped rather than buffered (nothing can
    /// decrypt them). Bulk transfers are most of a capture's bytes; copying every record
    /// together across its segments only to report its length was a measurable cost.
    pub fn skip_application_data(&mut self, yes: bool) {
        self.skip_application_data = yes;
    }

    /// True once TLS was found in this direction.
    pub fn is_tls(&self) -> bool {
        matches!(self.mode, Mode::Records | Mode::Resync | Mode::SslV2)
    }

    /// True when the direction was given up as not TLS.
    pub fn is_not_tls(&self) -> bool {
        self.mode == Mode::NotTls
    }

    /// The other direction turned out to be TLS: if this one is still detecting, look for
    /// records from the current position on (resynchronising on the first plausible header).
    pub fn peer_is_tls(&mut self) {
        if self.mode != Mode::Detect {
            return;
        }
        if self.scanned == 0 && self.pending.is_empty() {
            // Nothing seen yet: let detection look at the first bytes (an SSLv2 server hello,
            // a record), and resynchronise only if they are not TLS at once.
            self.peer_tls = true;
        } else {
            self.mode = Mode::Resync;
        }
    }

    /// Bytes allocated for partial records (the TLS buffers' share of the memory budget).
    pub fn buffered_bytes(&self) -> usize {
        self.pending.capacity()
    }

    /// Bytes held for an incomplete record.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Bytes were lost: resynchronise on what comes next. Returns the record the gap cut, with
    /// the part of its payload that was captured (so what it still tells is not lost too).
    pub fn gap(&mut self) -> Option<CutRecord> {
        let pending = std::mem::take(&mut self.pending);
        let skipping = self.skipping.take();
        let cut = match self.mode {
            Mode::Records => {
                if let Some(skip) = skipping {
                    Some(CutRecord {
                        content_type: CONTENT_APPLICATION_DATA,
                        version: skip.version,
                        length: skip.length,
                        captured: skip.length.saturating_sub(skip.remaining),
                        payload: Vec::new(),
                    })
                } else {
                    CutRecord::from_pending(pending)
                }
            }
            Mode::Detect | Mode::Resync | Mode::SslV2 | Mode::NotTls => None,
        };
        match self.mode {
            Mode::Records | Mode::SslV2 => self.mode = Mode::Resync,
            // Nothing was recognised yet: the next bytes may still start TLS, anywhere in a
            // record (what follows the hole is mid-stream).
            Mode::Detect => self.midstream = true,
            Mode::Resync | Mode::NotTls => {}
        }
        cut
    }

    /// Feeds stream bytes; records (and skipped spans) go to `out` in order.
    pub fn push(&mut self, data: &[u8], out: &mut dyn FnMut(RecordItem<'_>)) {
        if self.mode == Mode::NotTls || data.is_empty() {
            return;
        }
        let data = self.continue_skipping(data, out);
        if data.is_empty() {
            return;
        }
        if self.pending.is_empty() {
            let used = self.frame(data, false, out);
            if let Some(rest) = data.get(used..) {
                self.pending.extend_from_slice(rest);
            }
        } else {
            self.pending.extend_from_slice(data);
            let pending = std::mem::take(&mut self.pending);
            let used = self.frame(&pending, false, out);
            let mut pending = pending;
            pending.drain(..used.min(pending.len()));
            // A completed record gives its buffer back: idle flows would otherwise each keep
            // one against the memory budget.
            if !pending.is_empty() {
                self.pending = pending;
            }
        }
        // A partial record is at most one maximal record; anything larger is garbage that
        // resync already skipped, so this cap only guards against logic errors.
        if self.pending.len() > MAX_TOLERATED_PAYLOAD + 5 {
            self.pending.clear();
            self.mode = Mode::Resync;
        }
    }

    /// Passes over the rest of a skipped record, emitting it once complete; returns what follows.
    fn continue_skipping<'d>(&mut self, data: &'d [u8], out: &mut dyn FnMut(RecordItem<'_>)) -> &'d [u8] {
        let Some(mut skip) = self.skipping else { return data };
        let take = skip.remaining.min(data.len());
        skip.remaining = skip.remaining.saturating_sub(take);
        if skip.remaining > 0 {
            self.skipping = Some(skip);
            return &[];
        }
        self.skipping = None;
        self.records = self.records.saturating_add(1);
        out(RecordItem::Record(Record {
            content_type: CONTENT_APPLICATION_DATA,
            version: skip.version,
            payload: &[],
            length: skip.length,
        }));
        data.get(take..).unwrap_or_default()
    }

    /// Frames as much of `data` as possible; returns the bytes consumed.
    fn frame(&mut self, data: &[u8], _final: bool, out: &mut dyn FnMut(RecordItem<'_>)) -> usize {
        let mut pos = 0usize;
        loop {
            let Some(rest) = data.get(pos..) else { return data.len() };
            if rest.is_empty() {
                return pos;
            }
            match self.mode {
                Mode::NotTls => return data.len(),
                Mode::Detect => match self.detect(rest) {
                    Detected::At(skip, mode) => {
                        if skip > 0 {
                            out(RecordItem::Skipped { bytes: skip, resync: false });
                        }
                        pos = pos.saturating_add(skip);
                        self.mode = mode;
                    }
                    Detected::NeedMore(keep_from) => return pos.saturating_add(keep_from),
                    Detected::NotTls => {
                        self.mode = Mode::NotTls;
                        return data.len();
                    }
                },
                Mode::Resync => match find_resync_point(rest) {
                    Some(skip) => {
                        if skip > 0 {
                            self.resync_skipped = self.resync_skipped.saturating_add(skip as u64);
                            out(RecordItem::Skipped { bytes: skip, resync: true });
                        }
                        pos = pos.saturating_add(skip);
                        self.mode = Mode::Records;
                    }
                    None => {
                        // Keep the last 4 bytes: a header may straddle the next segment.
                        let keep = rest.len().min(4);
                        let skip = rest.len().saturating_sub(keep);
                        if skip > 0 {
                            self.resync_skipped = self.resync_skipped.saturating_add(skip as u64);
                            out(RecordItem::Skipped { bytes: skip, resync: true });
                        }
                        return pos.saturating_add(skip);
                    }
                },
                Mode::Records => {
                    let Some(header) = rest.get(..5) else { return pos };
                    let (Some(&ct), Some(&major), Some(&minor), Some(&l1), Some(&l2)) =
                        (header.first(), header.get(1), header.get(2), header.get(3), header.get(4))
                    else {
                        return pos;
                    };
                    let len = usize::from(u16::from_be_bytes([l1, l2]));
                    if !is_tls_major_minor(major, minor) || len > MAX_TOLERATED_PAYLOAD {
                        self.mode = Mode::Resync;
                        continue;
                    }
                    let version = u16::from_be_bytes([major, minor]);
                    let Some(payload) = rest.get(5..5 + len) else {
                        if self.skip_application_data && ct == CONTENT_APPLICATION_DATA {
                            // Incomplete: pass over the rest of it as it comes instead of buffering.
                            self.skipping = Some(Skipping {
                                version,
                                length: len,
                                remaining: (5 + len).saturating_sub(rest.len()),
                            });
                            return data.len();
                        }
                        return pos;
                    };
                    self.records = self.records.saturating_add(1);
                    out(RecordItem::Record(Record { content_type: ct, version, payload, length: len }));
                    pos = pos.saturating_add(5 + len);
                }
                Mode::SslV2 => {
                    // A client that sent an SSLv2 hello continues with SSLv3/TLS records when the
                    // server answered with a modern ServerHello.
                    if plausible_header(rest).is_some() {
                        self.mode = Mode::Records;
                        continue;
                    }
                    let (Some(&b0), Some(&b1)) = (rest.first(), rest.get(1)) else { return pos };
                    // 2-byte header when the top bit is set; 3-byte header (with padding) otherwise.
                    let (hlen, len) = if b0 & 0x80 != 0 {
                        (2usize, (usize::from(b0 & 0x7f) << 8) | usize::from(b1))
                    } else {
                        (3usize, (usize::from(b0 & 0x3f) << 8) | usize::from(b1))
                    };
                    if len == 0 {
                        self.mode = Mode::Resync;
                        continue;
                    }
                    let Some(body) = rest.get(hlen..hlen.saturating_add(len)) else { return pos };
                    self.records = self.records.saturating_add(1);
                    out(RecordItem::SslV2 { body });
                    pos = pos.saturating_add(hlen.saturating_add(len));
                }
            }
        }
    }

    fn detect(&mut self, rest: &[u8]) -> Detected {
        // At the very start of the stream a mid-connection capture may begin with any record.
        let at_stream_start = self.scanned == 0;
        if rest.len() < 7 {
            if at_stream_start && rest.len() >= 5 && plausible_header(rest).is_some() {
                return Detected::At(0, Mode::Records);
            }
            return Detected::NeedMore(0);
        }
        if at_stream_start {
            if sslv2_client_hello(rest) || sslv2_server_hello(rest) {
                return Detected::At(0, Mode::SslV2);
            }
            if plausible_header(rest).is_some() && followed_by_plausible(rest) {
                return Detected::At(0, Mode::Records);
            }
            if self.peer_tls {
                return Detected::At(0, Mode::Resync);
            }
        }
        // Scan a plaintext prelude (STARTTLS, proxies) for a hello.
        let limit = DETECT_SCAN_LIMIT.saturating_sub(self.scanned);
        let window = rest.len().saturating_sub(6).min(limit);
        for i in 0..window {
            if rest.get(i..).is_some_and(|r| hello_start(r) || (self.midstream && two_plausible_records(r))) {
                self.scanned = self.scanned.saturating_add(i);
                return Detected::At(i, Mode::Records);
            }
        }
        self.scanned = self.scanned.saturating_add(window);
        if self.scanned >= DETECT_SCAN_LIMIT {
            return Detected::NotTls;
        }
        Detected::NeedMore(window)
    }
}

enum Detected {
    /// TLS starts after skipping this many bytes, framed in this mode.
    At(usize, Mode),
    /// Not decided: keep the bytes from this offset and wait for more.
    NeedMore(usize),
    NotTls,
}

/// A record that starts at offset 0 and whose successor (if already captured) also looks right.
fn followed_by_plausible(rest: &[u8]) -> bool {
    let Some((_, _, len)) = plausible_header(rest) else { return false };
    match rest.get(len.saturating_add(5)..) {
        Some(next) if next.len() >= 5 => plausible_header(next).is_some(),
        // The record runs to (or past) the end of what we have: accept on the header alone.
        _ => true,
    }
}

/// A plausible record immediately followed by another plausible header (both present).
fn two_plausible_records(rest: &[u8]) -> bool {
    let Some((_, _, len)) = plausible_header(rest) else { return false };
    rest.get(len.saturating_add(5)..).is_some_and(|next| plausible_header(next).is_some())
}

/// Offset of the first plausible record header whose successor, when present, is plausible too.
fn find_resync_point(data: &[u8]) -> Option<usize> {
    let last = data.len().checked_sub(5)?;
    (0..=last).find(|&i| data.get(i..).is_some_and(|r| plausible_header(r).is_some() && followed_by_plausible(r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(s: &mut RecordSplitter, chunks: &[&[u8]]) -> Vec<String> {
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, &mut |item| {
                out.push(match item {
                    RecordItem::Record(r) => format!("rec {} {:04x} {}", r.content_type, r.version, r.payload.len()),
                    RecordItem::SslV2 { body } => format!("v2 {}", body.len()),
                    RecordItem::Skipped { bytes, resync } => format!("skip {bytes} {resync}"),
                })
            });
        }
        out
    }

    /// Records as (content type, wire length, payload bytes handed up), one chunk at a time.
    fn lengths(s: &mut RecordSplitter, chunks: &[&[u8]]) -> Vec<(u8, usize, usize)> {
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, &mut |item| {
                if let RecordItem::Record(r) = item {
                    out.push((r.content_type, r.length, r.payload.len()));
                }
            });
        }
        out
    }

    #[test]
    fn application_data_is_skipped_unbuffered_when_asked() {
        // handshake 40, application data 3000 cut in three, alert 2, application data 10 whole,
        // then another application-data record whose header is split across segments.
        let mut stream = record(22, 40);
        stream.extend(record(23, 3000));
        stream.extend(record(21, 2));
        stream.extend(record(23, 10));
        stream.extend(record(23, 700));
        let cuts = [0, 100, 1500, 3046, 3060, 3080, 3082, 3500, stream.len()];
        let chunks: Vec<&[u8]> = cuts.windows(2).map(|w| &stream[w[0]..w[1]]).collect();
        let mut skipping = RecordSplitter::new(Start::Records);
        skipping.skip_application_data(true);
        let got = lengths(&mut skipping, &chunks);
        // Split application data arrives without its bytes; whole records keep theirs.
        assert_eq!(got, vec![(22, 40, 40), (23, 3000, 0), (21, 2, 2), (23, 10, 10), (23, 700, 0)]);
        assert_eq!(skipping.pending_len(), 0);
        let mut buffering = RecordSplitter::new(Start::Records);
        let all = lengths(&mut buffering, &chunks);
        assert_eq!(all, vec![(22, 40, 40), (23, 3000, 3000), (21, 2, 2), (23, 10, 10), (23, 700, 700)]);
    }

    #[test]
    fn gap_while_skipping_resynchronises() {
        let mut s = RecordSplitter::new(Start::Records);
        s.skip_application_data(true);
        let big = record(23, 2000);
        assert!(lengths(&mut s, &[&big[..600]]).is_empty());
        let _ = s.gap();
        // After the gap the rest of the skipped record is not counted as its end.
        let mut next = record(22, 30);
        next.extend(record(23, 5));
        assert_eq!(lengths(&mut s, &[&next]), vec![(22, 30, 30), (23, 5, 5)]);
    }

    fn record(ct: u8, len: usize) -> Vec<u8> {
        let mut v = vec![ct, 3, 3, (len >> 8) as u8, len as u8];
        v.extend(std::iter::repeat_n(0xab, len));
        v
    }

    fn hello(t: u8) -> Vec<u8> {
        let mut v = vec![22, 3, 1, 0, 8, t, 0, 0, 4, 3, 3, 0, 0];
        v.truncate(13);
        v
    }

    #[test]
    fn frames_records_split_across_pushes() {
        let mut data = hello(1);
        data.extend(record(23, 100));
        let mut s = RecordSplitter::new(Start::Detect);
        let (a, b) = data.split_at(3);
        let (b, c) = b.split_at(20);
        let got = collect(&mut s, &[a, b, c]);
        assert_eq!(got, vec!["rec 22 0301 8", "rec 23 0303 100"]);
        assert_eq!(s.pending_len(), 0);
    }

    #[test]
    fn finds_hello_after_starttls_prelude() {
        let mut data = b"220 mail ready\r\nSTARTTLS\r\n220 go ahead\r\n".to_vec();
        let prelude = data.len();
        data.extend(hello(1));
        let mut s = RecordSplitter::new(Start::Detect);
        let got = collect(&mut s, &[&data]);
        assert_eq!(got, vec![format!("skip {prelude} false"), "rec 22 0301 8".to_string()]);
    }

    #[test]
    fn gives_up_on_plaintext() {
        let data = vec![b'A'; DETECT_SCAN_LIMIT + 100];
        let mut s = RecordSplitter::new(Start::Detect);
        let got = collect(&mut s, &[&data]);
        assert!(got.is_empty());
        assert!(s.is_not_tls());
    }

    #[test]
    fn resyncs_after_gap() {
        let mut s = RecordSplitter::new(Start::Detect);
        let first = record(23, 50);
        let _ = collect(&mut s, &[&first[..20]]);
        let _ = s.gap();
        let mut after = vec![0x11; 7];
        after.extend(record(23, 10));
        after.extend(record(21, 2));
        let got = collect(&mut s, &[&after]);
        assert_eq!(got, vec!["skip 7 true", "rec 23 0303 10", "rec 21 0303 2"]);
    }

    #[test]
    fn bad_header_triggers_resync_not_panic() {
        let mut data = record(22, 4);
        data.extend([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        data.extend(record(23, 3));
        data.extend(record(23, 3));
        let mut s = RecordSplitter::new(Start::Records);
        let got = collect(&mut s, &[&data]);
        assert_eq!(got, vec!["rec 22 0303 4", "skip 6 true", "rec 23 0303 3", "rec 23 0303 3"]);
    }

    #[test]
    fn midstream_finds_record_boundary() {
        let mut data = vec![0x42; 30];
        data.extend(record(23, 40));
        data.extend(record(23, 40));
        let mut s = RecordSplitter::new(Start::MidStream);
        let got = collect(&mut s, &[&data]);
        assert_eq!(got, vec!["skip 30 false", "rec 23 0303 40", "rec 23 0303 40"]);
    }

    #[test]
    fn sslv2_hello() {
        // 2-byte header, CLIENT-HELLO, version 3.1, 3 bytes of specs, no session id, 16-byte challenge.
        let mut body = vec![1, 3, 1, 0, 3, 0, 0, 0, 16, 0, 0, 0x2f];
        body.extend([7u8; 16]);
        let mut data = vec![0x80, body.len() as u8];
        data.extend(&body);
        let mut s = RecordSplitter::new(Start::Detect);
        let got = collect(&mut s, &[&data]);
        assert_eq!(got, vec![format!("v2 {}", body.len())]);
    }

    #[test]
    fn random_input_never_panics() {
        let mut x: u32 = 12345;
        for _ in 0..200 {
            let mut s = RecordSplitter::new(Start::Detect);
            let mut buf = Vec::new();
            for _ in 0..300 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                buf.push((x % 7) as u8 + if x.is_multiple_of(3) { 20 } else { 0 });
            }
            for chunk in buf.chunks((x % 17 + 1) as usize) {
                s.push(chunk, &mut |_| {});
                if x.is_multiple_of(5) {
                    let _ = s.gap();
                }
            }
        }
    }
}
