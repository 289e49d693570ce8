//! Capture files: classic pcap (micro/nanosecond, either byte order), pcapng (several
//! interfaces, `if_tsresol`/`if_tsoffset`, EPB/SPB/OPB, Decryption Secrets Blocks), optionally
//! gzip-compressed, from a path or from stdin (`-`).
//!
//! Parsing of the formats is pcap-parser's; this module adds what a tracer needs on top:
//! per-interface link types and time resolution, the obsolete Packet Block (pcap-parser has no
//! parser for it), gzip detection by magic, bounded buffer growth and typed errors that say how
//! much was read before a file turned out truncated or corrupt.

mod blocks;
mod gzip;
#[cfg(test)]
mod tests;

use super::Packet;
use pcap_parser::PcapError;
use pcap_parser::traits::PcapReaderIterator;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use blocks::{Described, Interface, describe_block, hostile_block_header, interface_for, make_ts};
use gzip::Inflater;

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

fn take_error(slot: &std::sync::Arc<std::sync::Mutex<Option<io::Error>>>) -> Option<io::Error> {
    slot.lock().ok().and_then(|mut s| s.take())
}
