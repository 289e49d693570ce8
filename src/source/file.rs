//! Capture files: classic pcap (micro/nanosecond, either byte order), pcapng (several
//! interfaces, `if_tsresol`/`if_tsoffset`, EPB/SPB/OPB, Decryption Secrets Blocks), optionally
//! gzip-compressed, from a path or from stdin (`-`).
//!
//! Parsing of the formats is pcap-parser's; this module adds what a tracer needs on top:
//! per-interface link types and time resolution, the obsolete Packet Block (pcap-parser has no
//! parser for it), gzip detection by magic, bounded buffer growth and typed errors that say how
//! much was read before a file turned out truncated or corrupt.

use super::Packet;
use crate::time::Timestamp;
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// Largest capture block accepted: a frame bigger than this is corruption, not data.
const MAX_BLOCK_BYTES: usize = 16 << 20;
const INITIAL_BUFFER: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot open {path}: {source}")]
    Open { path: String, source: io::Error },
    #[error("{path} is a directory, not a capture file")]
    IsDirectory { path: String },
    #[error("{path}: not a pcap or pcapng capture file")]
    NotACapture { path: String },
    #[error("{path}: file is empty")]
    Empty { path: String },
    #[error("{path}: capture truncated inside its file header ({bytes} bytes read)")]
    TruncatedHeader { path: String, bytes: u64 },
    #[error("{path}: capture truncated after {packets} packets ({bytes} bytes read)")]
    Truncated { path: String, packets: u64, bytes: u64 },
    #[error("{path}: corrupt capture after {packets} packets ({bytes} bytes read): {what}")]
    Corrupt { path: String, packets: u64, bytes: u64, what: String },
    #[error("{path}: read error after {packets} packets: {source}")]
    Read { path: String, packets: u64, source: io::Error },
}

impl SourceError {
    /// The input is a capture, but truncated or corrupt (exit 4), rather than one that could
    /// not be read or is no capture at all (exit 3).
    pub fn is_damage(&self) -> bool {
        matches!(
            self,
            SourceError::TruncatedHeader { .. } | SourceError::Truncated { .. } | SourceError::Corrupt { .. }
        )
    }
}

/// Magic numbers of the classic pcap header: micro- and nanosecond, either byte order.
const PCAP_MAGICS: [[u8; 4]; 4] =
    [[0xd4, 0xc3, 0xb2, 0xa1], [0xa1, 0xb2, 0xc3, 0xd4], [0x4d, 0x3c, 0xb2, 0xa1], [0xa1, 0xb2, 0x3c, 0x4d]];
const PCAP_HEADER_LEN: usize = 24;
/// pcapng files start with a Section Header Block: its type, its length, then a byte-order magic.
const PCAPNG_SHB_TYPE: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
const PCAPNG_BOM_LE: [u8; 4] = [0x4d, 0x3c, 0x2b, 0x1a];
const PCAPNG_BOM_BE: [u8; 4] = [0x1a, 0x2b, 0x3c, 0x4d];
const PCAPNG_SHB_MIN: u32 = 28;
/// Bytes that tell the formats apart and give a Section Header Block's length.
const HEAD_PROBE: usize = 12;

/// What the first bytes of the input say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    /// Too few bytes to tell, all of them the start of a pcap or pcapng file.
    Partial,
    /// Not the start of a pcap or pcapng file.
    Other,
    /// A capture whose file header is this many bytes long.
    Header(usize),
    /// A pcapng Section Header Block whose length cannot be right.
    BadLength(u32),
}

fn classify_start(head: &[u8]) -> Start {
    let Some(magic) = head.get(..4) else {
        let prefix = PCAP_MAGICS.iter().chain([&PCAPNG_SHB_TYPE]).any(|m| m.starts_with(head));
        return if prefix { Start::Partial } else { Start::Other };
    };
    if PCAP_MAGICS.iter().any(|m| m == magic) {
        return Start::Header(PCAP_HEADER_LEN);
    }
    if magic != PCAPNG_SHB_TYPE {
        return Start::Other;
    }
    let (Some(len), Some(bom)) = (head.get(4..8), head.get(8..12)) else { return Start::Partial };
    let len: [u8; 4] = len.try_into().unwrap_or_default();
    let len = if bom == PCAPNG_BOM_LE {
        u32::from_le_bytes(len)
    } else if bom == PCAPNG_BOM_BE {
        u32::from_be_bytes(len)
    } else {
        return Start::Other;
    };
    // pcap-parser looks at the first read of the input only: the whole block must fit in it.
    if len < PCAPNG_SHB_MIN || !len.is_multiple_of(4) || len as usize > INITIAL_BUFFER {
        return Start::BadLength(len);
    }
    Start::Header(len as usize)
}

/// Reads until `head` holds `want` bytes or the input ends (a read error ends it too: it is
/// kept by `KeepError`).
fn read_head<R: Read>(input: &mut R, head: &mut Vec<u8>, want: usize) {
    let missing = want.saturating_sub(head.len()) as u64;
    let _ = input.take(missing).read_to_end(head);
}

/// A read error, as a capture error: in gzip input a stream that stops early is a capture cut
/// short, and a stream that does not inflate a corrupt one.
fn as_source_error(path: &str, packets: u64, bytes: u64, compressed: bool, source: io::Error) -> SourceError {
    let path = path.to_string();
    match source.kind() {
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData if compressed => {
            SourceError::Corrupt { path, packets, bytes, what: format!("gzip: {source}") }
        }
        io::ErrorKind::UnexpectedEof if compressed => SourceError::Truncated { path, packets, bytes },
        _ => SourceError::Read { path, packets, source },
    }
}

/// Capture format, as detected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pcap,
    PcapNg,
}

#[derive(Clone, Copy, Debug)]
struct Interface {
    linktype: u32,
    /// Units per second of the timestamps.
    resolution: u64,
    offset_secs: i64,
    digits: u8,
}

/// Wraps the input so that read errors are kept (pcap-parser reduces them to `ReadError`) and
/// turned into an end of input: pcap-parser then hands out every packet that arrived whole
/// before the failure (a gzip stream corrupt or cut midway, an I/O error), and the source
/// reports the kept error where the capture ends.
struct KeepError<R> {
    inner: R,
    error: std::sync::Arc<std::sync::Mutex<Option<io::Error>>>,
    failed: bool,
}

impl<R: Read> Read for KeepError<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed {
            return Ok(0);
        }
        loop {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.failed = true;
                    if let Ok(mut slot) = self.error.lock() {
                        *slot = Some(e);
                    }
                    return Ok(0);
                }
                ok => return ok,
            }
        }
    }
}

/// Decompressed bytes per chunk handed from the inflating thread, and chunks in flight.
const INFLATE_CHUNK: usize = 256 << 10;
const INFLATE_AHEAD: usize = 4;

enum Chunk {
    Data(Vec<u8>),
    Failed(io::Error),
}

/// Gzip input is inflated on its own thread: decompression costs about as much as all the
/// decoding of a capture, and this way the two overlap. Chunks go back to the thread for reuse,
/// so nothing is allocated per chunk; a read error travels in order, after the bytes before it.
struct Inflater {
    chunks: std::sync::mpsc::Receiver<Chunk>,
    recycle: std::sync::mpsc::Sender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
}

impl Inflater {
    /// Starts the thread; gives the decoder back if no thread can be had.
    fn spawn<R: Read + Send + 'static>(decoder: R) -> Result<Inflater, R> {
        let (tx, chunks) = std::sync::mpsc::sync_channel(INFLATE_AHEAD);
        let (recycle, reuse) = std::sync::mpsc::channel::<Vec<u8>>();
        // The decoder comes back through this slot if the thread cannot be started.
        let slot = std::sync::Arc::new(std::sync::Mutex::new(Some(decoder)));
        let theirs = std::sync::Arc::clone(&slot);
        let started = std::thread::Builder::new().name("tlstrace-gunzip".into()).spawn(move || {
            let decoder = theirs.lock().ok().and_then(|mut d| d.take());
            if let Some(decoder) = decoder {
                inflate(decoder, &tx, &reuse);
            }
        });
        match started {
            Ok(_) => Ok(Inflater { chunks, recycle, current: Vec::new(), pos: 0 }),
            Err(_) => match slot.lock().ok().and_then(|mut d| d.take()) {
                Some(decoder) => Err(decoder),
                // Unreachable: the thread never ran, so the decoder is still in its slot.
                None => Ok(Inflater { chunks, recycle, current: Vec::new(), pos: 0 }),
            },
        }
    }
}

/// The inflating thread: fills chunks until the end, an error, or the reader going away.
fn inflate(
    mut decoder: impl Read,
    tx: &std::sync::mpsc::SyncSender<Chunk>,
    reuse: &std::sync::mpsc::Receiver<Vec<u8>>,
) {
    loop {
        let mut chunk = reuse.try_recv().unwrap_or_default();
        chunk.resize(INFLATE_CHUNK, 0);
        let mut filled = 0;
        let mut failure = None;
        while filled < chunk.len() {
            match decoder.read(chunk.get_mut(filled..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(n) => filled = filled.saturating_add(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        chunk.truncate(filled);
        let end = filled < INFLATE_CHUNK;
        if filled > 0 && tx.send(Chunk::Data(chunk)).is_err() {
            return;
        }
        if let Some(e) = failure {
            let _ = tx.send(Chunk::Failed(e));
            return;
        }
        if end {
            return;
        }
    }
}

impl Read for Inflater {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(rest) = self.current.get(self.pos..)
                && !rest.is_empty()
            {
                let n = rest.len().min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
                    dst.copy_from_slice(src);
                }
                self.pos = self.pos.saturating_add(n);
                return Ok(n);
            }
            match self.chunks.recv() {
                Ok(Chunk::Data(next)) => {
                    let used = std::mem::replace(&mut self.current, next);
                    self.pos = 0;
                    // The thread may be gone already; the chunk is then simply dropped.
                    let _ = self.recycle.send(used);
                }
                Ok(Chunk::Failed(e)) => return Err(e),
                // The thread finished: end of the stream.
                Err(_) => return Ok(0),
            }
        }
    }
}

/// A capture file opened for sequential reading.
pub struct FileSource {
    path: String,
    format: Format,
    reader: Box<dyn PcapReaderIterator + Send>,
    read_error: std::sync::Arc<std::sync::Mutex<Option<io::Error>>>,
    /// Classic pcap: the single link type and precision.
    legacy: Option<Interface>,
    /// pcapng: interfaces of the current section, by id.
    interfaces: Vec<Interface>,
    frames: u64,
    /// Contents of TLS key log Decryption Secrets Blocks, in file order.
    secrets: Vec<Vec<u8>>,
    /// Packets on interfaces that were never described (skipped).
    pub orphan_packets: u64,
    compressed: bool,
    total_bytes: Option<u64>,
}

impl FileSource {
    /// Opens `path` (`-` is stdin). Gzip input is recognised by its magic bytes.
    pub fn open(path: &str) -> Result<FileSource, SourceError> {
        let shown = if path == "-" { "standard input".into() } else { crate::escape::controls(path) };
        Self::open_as(path, &shown)
    }

    fn open_as(path: &str, shown: &str) -> Result<FileSource, SourceError> {
        let (input, total_bytes): (Box<dyn Read + Send>, Option<u64>) = if path == "-" {
            (Box::new(io::stdin()), None)
        } else {
            let p = Path::new(path);
            if p.is_dir() {
                return Err(SourceError::IsDirectory { path: shown.to_string() });
            }
            let file = File::open(p).map_err(|source| SourceError::Open { path: shown.to_string(), source })?;
            let len = file.metadata().ok().map(|m| m.len());
            (Box::new(file), len)
        };
        let mut buffered = BufReader::with_capacity(64 << 10, input);
        let head =
            buffered.fill_buf().map_err(|source| SourceError::Read { path: shown.to_string(), packets: 0, source })?;
        let compressed = head.starts_with(&[0x1f, 0x8b]);
        let stream: Box<dyn Read + Send> = if compressed {
            let gunzip = flate2::read::MultiGzDecoder::new(buffered);
            match Inflater::spawn(gunzip) {
                Ok(inflater) => Box::new(inflater),
                Err(gunzip) => Box::new(gunzip),
            }
        } else {
            Box::new(buffered)
        };
        Self::from_reader(shown, stream, compressed, total_bytes)
    }

    /// Reads a capture from any byte stream (already decompressed).
    pub fn from_reader(
        path: &str,
        stream: Box<dyn Read + Send>,
        compressed: bool,
        total_bytes: Option<u64>,
    ) -> Result<FileSource, SourceError> {
        let read_error = std::sync::Arc::new(std::sync::Mutex::new(None));
        let mut input = KeepError { inner: stream, error: read_error.clone(), failed: false };
        // The file header is read whole first: a file that starts like a capture but ends (or
        // fails) inside its header is a damaged capture, not "not a capture".
        let mut head = Vec::with_capacity(HEAD_PROBE);
        read_head(&mut input, &mut head, HEAD_PROBE);
        let mut start = classify_start(&head);
        if let Start::Header(len) = start {
            read_head(&mut input, &mut head, len);
            start = classify_start(&head);
        }
        let shown = path.to_string();
        let bytes = head.len() as u64;
        let complete = matches!(start, Start::Header(len) if head.len() >= len);
        if !complete {
            let failure = take_error(&read_error);
            return Err(match start {
                Start::Other => SourceError::NotACapture { path: shown },
                Start::BadLength(len) => SourceError::Corrupt {
                    path: shown,
                    packets: 0,
                    bytes,
                    what: format!("section header block of {len} bytes"),
                },
                Start::Partial | Start::Header(_) => match failure {
                    Some(source) => match as_source_error(path, 0, bytes, compressed, source) {
                        SourceError::Truncated { .. } => SourceError::TruncatedHeader { path: shown, bytes },
                        other => other,
                    },
                    None if head.is_empty() => SourceError::Empty { path: shown },
                    // One to three bytes are too few to take a plain file for a capture.
                    None if head.len() < 4 => SourceError::NotACapture { path: shown },
                    None => SourceError::TruncatedHeader { path: shown, bytes },
                },
            });
        }
        let pcapng = head.starts_with(&PCAPNG_SHB_TYPE);
        let input = io::Cursor::new(head).chain(input);
        let reader = match pcap_parser::create_reader(INITIAL_BUFFER, input) {
            Ok(r) => r,
            // The header is all there: pcap-parser rejects what is in it.
            Err(_) if pcapng => {
                return Err(SourceError::Corrupt {
                    path: shown,
                    packets: 0,
                    bytes,
                    what: "invalid section header block".into(),
                });
            }
            Err(_) => return Err(SourceError::NotACapture { path: shown }),
        };
        Ok(FileSource {
            path: path.to_string(),
            format: Format::Pcap,
            reader,
            read_error,
            legacy: None,
            interfaces: Vec::new(),
            frames: 0,
            secrets: Vec::new(),
            orphan_packets: 0,
            compressed,
            total_bytes,
        })
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// Size of the file on disk, when known (not for stdin).
    pub fn total_bytes(&self) -> Option<u64> {
        self.total_bytes
    }

    /// Bytes of (decompressed) capture consumed so far.
    pub fn bytes_read(&self) -> u64 {
        self.reader.consumed() as u64
    }

    /// Frames handed out so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Key log text from Decryption Secrets Blocks seen so far (drained).
    pub fn take_secrets(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.secrets)
    }

    /// Link types of the interfaces seen so far (pcapng) or of the file (pcap).
    pub fn linktypes(&self) -> Vec<u32> {
        match self.legacy {
            Some(i) => vec![i.linktype],
            None => self.interfaces.iter().map(|i| i.linktype).collect(),
        }
    }

    /// Calls `f` with the next packet. Returns `Ok(None)` at the end of the capture.
    pub fn next_with<T>(&mut self, f: impl FnOnce(Packet<'_>) -> T) -> Result<Option<T>, SourceError> {
        let mut f = Some(f);
        let mut stalled_refills = 0u32;
        loop {
            if self.format == Format::PcapNg
                && let Some(what) = hostile_block_header(self.reader.data())
            {
                return Err(self.corrupt(what));
            }
            let step = match self.reader.next() {
                Ok((offset, block)) => {
                    let packet = describe_block(
                        block,
                        &mut self.legacy,
                        &mut self.interfaces,
                        &mut self.format,
                        &mut self.secrets,
                    );
                    let out = match packet {
                        Described::Packet { iface, ts_raw, data, orig_len } => {
                            match interface_for(self.legacy, &self.interfaces, iface) {
                                Some(i) => {
                                    self.frames = self.frames.saturating_add(1);
                                    let pkt = Packet {
                                        frame: self.frames,
                                        ts: make_ts(i, ts_raw),
                                        linktype: i.linktype,
                                        data,
                                        orig_len: orig_len.max(data.len() as u32),
                                    };
                                    f.take().map(|f| f(pkt))
                                }
                                None => {
                                    self.orphan_packets = self.orphan_packets.saturating_add(1);
                                    None
                                }
                            }
                        }
                        Described::Other => None,
                    };
                    Step::Consumed(offset, out)
                }
                Err(PcapError::Eof) => Step::Eof,
                Err(PcapError::Incomplete(_)) => Step::Refill,
                Err(PcapError::BufferTooSmall) => Step::Grow,
                Err(PcapError::UnexpectedEof) => Step::Truncated,
                Err(PcapError::ReadError) => Step::ReadFailed,
                Err(e) => Step::Corrupt(format!("{e:?}").chars().take(80).collect()),
            };
            match step {
                Step::Consumed(offset, out) => {
                    // Without the shift `consume` does past half the buffer (a copy of half a
                    // MiB each time): `refill` moves only the partial block left at the end.
                    self.reader.consume_noshift(offset);
                    if let Some(v) = out {
                        return Ok(Some(v));
                    }
                    stalled_refills = 0;
                }
                Step::Eof => return if self.has_read_error() { Err(self.read_failed()) } else { Ok(None) },
                Step::Refill => {
                    let before = self.reader.data().len();
                    if self.reader.refill().is_err() {
                        return Err(self.read_failed());
                    }
                    if self.reader.data().len() == before {
                        stalled_refills = stalled_refills.saturating_add(1);
                        if stalled_refills > 2 && self.reader.reader_exhausted() {
                            return Err(self.truncated());
                        }
                        if stalled_refills > 1000 {
                            return Err(self.truncated());
                        }
                    } else {
                        stalled_refills = 0;
                    }
                }
                Step::Grow => {
                    let cap = self.reader.data().len().max(INITIAL_BUFFER).saturating_mul(2);
                    if cap > MAX_BLOCK_BYTES || !self.reader.grow(cap) {
                        return Err(self.corrupt("block larger than 16 MiB"));
                    }
                    if self.reader.refill().is_err() {
                        return Err(self.read_failed());
                    }
                }
                Step::Truncated => {
                    if self.reader.data().is_empty() && !self.has_read_error() {
                        return Ok(None);
                    }
                    return Err(self.truncated());
                }
                Step::ReadFailed => return Err(self.read_failed()),
                Step::Corrupt(what) => return Err(self.corrupt(&what)),
            }
        }
    }

    fn has_read_error(&self) -> bool {
        self.read_error.lock().is_ok_and(|slot| slot.is_some())
    }

    /// The capture stopped mid-block: because reading failed there, or because the file ends.
    fn truncated(&self) -> SourceError {
        if self.has_read_error() {
            return self.read_failed();
        }
        SourceError::Truncated { path: self.path.clone(), packets: self.frames, bytes: self.bytes_read() }
    }

    fn corrupt(&self, what: &str) -> SourceError {
        SourceError::Corrupt {
            path: self.path.clone(),
            packets: self.frames,
            bytes: self.bytes_read(),
            what: what.to_string(),
        }
    }

    fn read_failed(&self) -> SourceError {
        let source = take_error(&self.read_error).unwrap_or_else(|| io::Error::other("read failed"));
        as_source_error(&self.path, self.frames, self.bytes_read(), self.compressed, source)
    }
}

enum Step<T> {
    Consumed(usize, Option<T>),
    Eof,
    Refill,
    Grow,
    Truncated,
    ReadFailed,
    Corrupt(String),
}

enum Described<'a> {
    Packet { iface: Option<u32>, ts_raw: RawTs, data: &'a [u8], orig_len: u32 },
    Other,
}

#[derive(Clone, Copy)]
enum RawTs {
    /// Classic pcap: seconds and a sub-second count in the file's unit.
    Legacy(u32, u32),
    /// pcapng: 64-bit count of interface units.
    Ng(u64),
    /// SPB has no timestamp.
    None,
}

fn take_error(slot: &std::sync::Arc<std::sync::Mutex<Option<io::Error>>>) -> Option<io::Error> {
    slot.lock().ok().and_then(|mut s| s.take())
}

fn interface_for(legacy: Option<Interface>, interfaces: &[Interface], iface: Option<u32>) -> Option<Interface> {
    match (legacy, iface) {
        (Some(l), _) => Some(l),
        (None, Some(id)) => interfaces.get(id as usize).copied(),
        // SPB: always interface 0.
        (None, None) => interfaces.first().copied(),
    }
}

fn digits_for(resolution: u64) -> u8 {
    // Smallest number of decimal digits that shows one unit of the resolution.
    let mut digits = 0u8;
    let mut scale = 1u64;
    while scale < resolution && digits < 9 {
        scale = scale.saturating_mul(10);
        digits = digits.saturating_add(1);
    }
    digits
}

fn make_ts(i: Interface, raw: RawTs) -> Timestamp {
    match raw {
        RawTs::Legacy(secs, frac) => {
            let nanos = if i.resolution == 1_000_000_000 { frac } else { frac.saturating_mul(1000) };
            Timestamp::new(i64::from(secs).saturating_add(i.offset_secs), nanos, i.digits)
        }
        RawTs::Ng(units) => {
            let res = i.resolution.max(1);
            let secs = units.checked_div(res).unwrap_or_default() as i64;
            let frac = units.checked_rem(res).unwrap_or_default();
            let nanos =
                u128::from(frac).saturating_mul(1_000_000_000).checked_div(u128::from(res)).unwrap_or_default() as u32;
            Timestamp::new(secs.saturating_add(i.offset_secs), nanos, i.digits)
        }
        RawTs::None => Timestamp::new(0, 0, 0),
    }
}

fn describe_block<'a>(
    block: PcapBlockOwned<'a>,
    legacy: &mut Option<Interface>,
    interfaces: &mut Vec<Interface>,
    format: &mut Format,
    secrets: &mut Vec<Vec<u8>>,
) -> Described<'a> {
    match block {
        PcapBlockOwned::LegacyHeader(h) => {
            let resolution = if h.is_nanosecond_precision() { 1_000_000_000 } else { 1_000_000 };
            *legacy = Some(Interface {
                linktype: h.network.0 as u32,
                resolution,
                offset_secs: i64::from(h.thiszone),
                digits: digits_for(resolution),
            });
            *format = Format::Pcap;
            Described::Other
        }
        PcapBlockOwned::Legacy(b) => Described::Packet {
            iface: None,
            ts_raw: RawTs::Legacy(b.ts_sec, b.ts_usec),
            data: b.data,
            orig_len: b.origlen,
        },
        PcapBlockOwned::NG(block) => {
            *format = Format::PcapNg;
            match block {
                Block::SectionHeader(_) => {
                    // Interface ids are per section.
                    interfaces.clear();
                    Described::Other
                }
                Block::InterfaceDescription(idb) => {
                    let resolution = idb.ts_resolution().unwrap_or(1_000_000);
                    interfaces.push(Interface {
                        linktype: idb.linktype.0 as u32,
                        resolution,
                        offset_secs: idb.ts_offset(),
                        digits: digits_for(resolution),
                    });
                    Described::Other
                }
                Block::EnhancedPacket(epb) => Described::Packet {
                    iface: Some(epb.if_id),
                    ts_raw: RawTs::Ng((u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low)),
                    // `data` carries padding to 32 bits; the captured length says what is real.
                    data: epb.data.get(..epb.caplen as usize).unwrap_or(epb.data),
                    orig_len: epb.origlen,
                },
                Block::SimplePacket(spb) => {
                    let data = spb.data.get(..spb.origlen as usize).unwrap_or(spb.data);
                    Described::Packet { iface: None, ts_raw: RawTs::None, data, orig_len: spb.origlen }
                }
                Block::DecryptionSecrets(dsb) => {
                    if dsb.secrets_type == pcap_parser::pcapng::SecretsType::TlsKeyLog {
                        let len = (dsb.secrets_len as usize).min(dsb.data.len());
                        if let Some(text) = dsb.data.get(..len) {
                            secrets.push(text.to_vec());
                        }
                    }
                    Described::Other
                }
                Block::Unknown(u) if u.block_type == OPB_TYPE => decode_obsolete_packet_block(u.data, u.block_len1),
                _ => Described::Other,
            }
        }
    }
}

/// Block type of the pcapng Process Information Block.
const PIB_TYPE: u32 = 0x8000_0001;

/// Rejects block headers pcap-parser 0.17 would mis-parse: it accepts a Process Information
/// Block whose total length is under the 12 bytes of the generic header and then subtracts 12
/// from it (an overflow: a panic in builds with overflow checks, a wrapped length otherwise).
/// Checked in both byte orders; no valid block of either order looks like this in the other.
fn hostile_block_header(data: &[u8]) -> Option<&'static str> {
    let header: [u8; 8] = data.get(..8)?.try_into().ok()?;
    let [t0, t1, t2, t3, l0, l1, l2, l3] = header;
    let le = (u32::from_le_bytes([t0, t1, t2, t3]), u32::from_le_bytes([l0, l1, l2, l3]));
    let be = (u32::from_be_bytes([t0, t1, t2, t3]), u32::from_be_bytes([l0, l1, l2, l3]));
    [le, be]
        .into_iter()
        .any(|(block_type, len)| block_type == PIB_TYPE && len < 16)
        .then_some("process information block shorter than its header")
}

/// Block type of the obsolete Packet Block (pcapng draft, still written by old tools).
const OPB_TYPE: u32 = 2;

/// The Packet Block body: interface id (u16), drops (u16), timestamp high/low, captured length,
/// original length, data. pcap-parser hands it over as an unknown block, in host (little-endian)
/// order for little-endian sections; big-endian OPB sections are rare enough to skip.
fn decode_obsolete_packet_block(data: &[u8], _block_len: u32) -> Described<'_> {
    let le32 = |at: usize| data.get(at..at.saturating_add(4)).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
    let le16 = |at: usize| data.get(at..at.saturating_add(2)).and_then(|b| b.try_into().ok()).map(u16::from_le_bytes);
    // `data` starts after the 8-byte block header.
    let (Some(iface), Some(high), Some(low), Some(caplen), Some(origlen)) =
        (le16(0), le32(4), le32(8), le32(12), le32(16))
    else {
        return Described::Other;
    };
    let Some(frame) = data.get(20..).and_then(|rest| rest.get(..caplen as usize)) else {
        return Described::Other;
    };
    Described::Packet {
        iface: Some(u32::from(iface)),
        ts_raw: RawTs::Ng((u64::from(high) << 32) | u64::from(low)),
        data: frame,
        orig_len: origlen,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_follow_resolution() {
        assert_eq!(digits_for(1_000_000), 6);
        assert_eq!(digits_for(1_000_000_000), 9);
        assert_eq!(digits_for(1000), 3);
        assert_eq!(digits_for(1 << 20), 7);
    }

    #[test]
    fn random_bytes_are_not_a_capture() {
        let data: Vec<u8> = (0..200u32).map(|i| (i * 7 + 3) as u8).collect();
        let r = FileSource::from_reader("x", Box::new(io::Cursor::new(data)), false, None);
        assert!(matches!(r, Err(SourceError::NotACapture { .. })));
    }

    #[test]
    fn short_process_information_block_is_corrupt() {
        // A pcapng section header, then a Process Information Block claiming 8 bytes in all
        // (found by the file_source fuzz target: pcap-parser subtracted 12 from that length).
        let mut data = Vec::new();
        data.extend_from_slice(&[0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0]);
        data.extend_from_slice(&[0xff; 8]);
        data.extend_from_slice(&[28, 0, 0, 0]);
        data.extend_from_slice(&[0x01, 0, 0, 0x80, 8, 0, 0, 0]);
        data.extend_from_slice(&[0; 32]);
        let mut source = FileSource::from_reader("x", Box::new(io::Cursor::new(data)), false, None).unwrap();
        let r = source.next_with(|_| ());
        match r {
            Err(SourceError::Corrupt { packets: 0, what, .. }) => {
                assert!(what.contains("process information"), "{what}")
            }
            other => panic!("expected a corrupt capture, got {other:?}"),
        }
        assert_eq!(
            hostile_block_header(&[0x80, 0, 0, 0x01, 0, 0, 0, 4]),
            Some("process information block shorter than its header")
        );
        assert_eq!(hostile_block_header(&[0x01, 0, 0, 0x80, 16, 0, 0, 0]), None);
    }

    /// Hands out `data` in odd-sized pieces, then fails (if `error` is set).
    struct Flaky {
        data: Vec<u8>,
        at: usize,
        error: Option<io::ErrorKind>,
    }

    impl Read for Flaky {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.data.len() - self.at).min(7919);
            if n == 0 {
                return match self.error.take() {
                    Some(kind) => Err(io::Error::new(kind, "broken stream")),
                    None => Ok(0),
                };
            }
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn the_inflating_thread_delivers_every_byte_then_the_error() {
        let data: Vec<u8> = (0..INFLATE_CHUNK * 3 + 12_345).map(|i| (i * 31 % 251) as u8).collect();
        for error in [None, Some(io::ErrorKind::InvalidInput)] {
            let Ok(mut inflater) = Inflater::spawn(Flaky { data: data.clone(), at: 0, error }) else {
                panic!("no thread");
            };
            let mut got = Vec::new();
            let mut buf = vec![0u8; 100_000];
            let end = loop {
                match inflater.read(&mut buf) {
                    Ok(0) => break None,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) => break Some(e.kind()),
                }
            };
            assert_eq!(got, data, "every byte before the end or the error, in order");
            assert_eq!(end, error);
        }
    }

    /// One byte per read, as a slow pipe may hand them out.
    struct Trickle(io::Cursor<Vec<u8>>);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let one = buf.get_mut(..1).unwrap_or_default();
            self.0.read(one)
        }
    }

    fn open_bytes(data: &[u8]) -> Result<FileSource, SourceError> {
        FileSource::from_reader("x", Box::new(Trickle(io::Cursor::new(data.to_vec()))), false, None)
    }

    /// A pcapng section header of `len` bytes (options are zeros), little-endian.
    fn pcapng_header(len: u32) -> Vec<u8> {
        let mut shb = PCAPNG_SHB_TYPE.to_vec();
        shb.extend_from_slice(&len.to_le_bytes());
        shb.extend_from_slice(&PCAPNG_BOM_LE);
        shb.extend_from_slice(&[1, 0, 0, 0]);
        shb.extend_from_slice(&[0xff; 8]);
        shb.resize(len as usize - 4, 0);
        shb.extend_from_slice(&len.to_le_bytes());
        shb
    }

    fn pcap_header() -> Vec<u8> {
        let mut h = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        h.extend_from_slice(&[0; 8]);
        h.extend_from_slice(&65535u32.to_le_bytes());
        h.extend_from_slice(&1u32.to_le_bytes());
        h
    }

    #[test]
    fn the_first_bytes_tell_the_format() {
        assert_eq!(classify_start(&[]), Start::Partial);
        assert_eq!(classify_start(&[0x0a, 0x0d]), Start::Partial);
        assert_eq!(classify_start(&[0xa1, 0xb2, 0x3c]), Start::Partial);
        assert_eq!(classify_start(b"GE"), Start::Other);
        assert_eq!(classify_start(&pcap_header()[..4]), Start::Header(24));
        assert_eq!(classify_start(&pcapng_header(48)[..11]), Start::Partial);
        assert_eq!(classify_start(&pcapng_header(48)[..12]), Start::Header(48));
        let mut be = pcapng_header(48);
        be[4..8].copy_from_slice(&48u32.to_be_bytes());
        be[8..12].copy_from_slice(&PCAPNG_BOM_BE);
        assert_eq!(classify_start(&be), Start::Header(48));
        let mut bad_bom = pcapng_header(48);
        bad_bom[8] = 0;
        assert_eq!(classify_start(&bad_bom), Start::Other);
        let mut odd = pcapng_header(48);
        odd[4] = 30;
        assert_eq!(classify_start(&odd), Start::BadLength(30));
        odd[4..8].copy_from_slice(&(64u32 << 20).to_le_bytes());
        assert_eq!(classify_start(&odd), Start::BadLength(64 << 20));
    }

    #[test]
    fn a_file_cut_inside_its_header_is_truncated() {
        let shb = pcapng_header(100);
        for cut in [4, 8, 12, 27, 28, 99] {
            match open_bytes(&shb[..cut]) {
                Err(e @ SourceError::TruncatedHeader { bytes, .. }) => {
                    assert_eq!(bytes, cut as u64);
                    assert!(e.is_damage());
                }
                other => panic!("pcapng cut at {cut}: {:?}", other.err()),
            }
        }
        let pcap = pcap_header();
        for cut in 4..24 {
            assert!(
                matches!(open_bytes(&pcap[..cut]), Err(SourceError::TruncatedHeader { bytes, .. }) if bytes == cut as u64),
                "pcap cut at {cut}"
            );
        }
        // Fewer bytes than a magic number, or bytes no capture starts with: not a capture.
        for short in [&pcap[..1], &pcap[..3], &shb[..2], b"GET / HTTP/1.1\r\n"] {
            let r = open_bytes(short);
            assert!(matches!(r, Err(SourceError::NotACapture { .. })), "{short:?}");
            assert!(!r.err().is_some_and(|e| e.is_damage()));
        }
        // Complete headers open, one byte per read as from a slow pipe.
        for whole in [&shb, &pcap] {
            let mut source = open_bytes(whole).expect("a whole file header");
            assert!(matches!(source.next_with(|_| ()), Ok(None)));
            assert_eq!(source.bytes_read(), whole.len() as u64);
        }
    }

    #[test]
    fn a_bad_section_header_is_corrupt() {
        let mut shb = pcapng_header(48);
        shb[4] = 30;
        assert!(matches!(open_bytes(&shb), Err(SourceError::Corrupt { what, .. }) if what.contains("30 bytes")));
    }

    #[test]
    fn empty_input_is_reported() {
        let r = FileSource::from_reader("x", Box::new(io::Cursor::new(Vec::new())), false, None);
        assert!(matches!(r, Err(SourceError::Empty { .. })));
    }
}
