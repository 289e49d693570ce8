//! Writing pcapng: one Section Header Block, an Interface Description Block per interface and
//! link type (nanosecond `if_tsresol`), Enhanced Packet Blocks, and Decryption Secrets Blocks.
//!
//! Written by hand rather than with pcap-parser's `serialize` feature: that builds an owned
//! `Vec` per block from borrowed structs, while a capture writer wants to stream each packet
//! straight into a `BufWriter` with no allocation per packet. The four block layouts needed are
//! fixed and small (pcapng spec, draft-ietf-opsawg-pcapng); files are written in little-endian
//! order, which readers detect from the byte-order magic.

use crate::time::Timestamp;
use std::io::{self, Write};

const SHB_TYPE: u32 = 0x0A0D_0D0A;
const IDB_TYPE: u32 = 0x0000_0001;
const EPB_TYPE: u32 = 0x0000_0006;
/// Decryption Secrets Block.
pub const DSB_TYPE: u32 = 0x0000_000A;
/// Secrets type of a TLS key log ("TLSK").
pub const SECRETS_TLS_KEY_LOG: u32 = 0x544c_534b;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

const OPT_END: u16 = 0;
const SHB_USERAPPL: u16 = 4;
const IF_NAME: u16 = 2;
const IF_TSRESOL: u16 = 9;
/// `if_tsresol` value 9: units of 10^-9 seconds.
const TSRESOL_NANOS: u8 = 9;

/// Interfaces described in one file (a live capture has one or two; this bounds a caller bug).
const MAX_INTERFACES: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq)]
struct InterfaceKey {
    linktype: u32,
    name: String,
}

/// A pcapng file being written.
pub struct PcapngWriter<W: Write> {
    out: W,
    interfaces: Vec<InterfaceKey>,
    snaplen: u32,
    packets: u64,
}

/// Zero bytes that bring `len` to a multiple of 4.
fn padding(len: usize) -> usize {
    len.wrapping_neg() % 4
}

fn option_len(value_len: usize) -> usize {
    value_len.saturating_add(padding(value_len)).saturating_add(4)
}

fn put_padding<W: Write>(out: &mut W, len: usize) -> io::Result<()> {
    out.write_all([0u8; 3].get(..padding(len)).unwrap_or_default())
}

impl<W: Write> PcapngWriter<W> {
    /// Starts a file: writes the Section Header Block naming `application`. `snaplen` goes into
    /// every Interface Description Block.
    pub fn new(mut out: W, application: &str, snaplen: u32) -> io::Result<Self> {
        let app = application.as_bytes();
        let total = option_len(app.len()).saturating_add(4 + 28);
        put_u32(&mut out, SHB_TYPE)?;
        put_u32(&mut out, block_len(total)?)?;
        put_u32(&mut out, BYTE_ORDER_MAGIC)?;
        out.write_all(&1u16.to_le_bytes())?; // major version
        out.write_all(&0u16.to_le_bytes())?; // minor version
        // Section length unknown: a stream is written without seeking back.
        out.write_all(&(-1i64).to_le_bytes())?;
        put_option(&mut out, SHB_USERAPPL, app)?;
        put_option(&mut out, OPT_END, &[])?;
        put_u32(&mut out, block_len(total)?)?;
        Ok(PcapngWriter { out, interfaces: Vec::new(), snaplen, packets: 0 })
    }

    /// Id of the interface `name` with `linktype`, writing its description the first time.
    pub fn interface(&mut self, linktype: u32, name: &str) -> io::Result<u32> {
        let key = InterfaceKey { linktype, name: name.to_string() };
        if let Some(id) = self.interfaces.iter().position(|k| *k == key) {
            return Ok(id as u32);
        }
        if self.interfaces.len() >= MAX_INTERFACES {
            return Err(io::Error::other("too many interfaces in one pcapng section"));
        }
        let linktype16 = u16::try_from(linktype)
            .map_err(|_| io::Error::other(format!("link type {linktype} does not fit pcapng")))?;
        let name_bytes = name.as_bytes();
        let total = option_len(name_bytes.len()).saturating_add(option_len(1)).saturating_add(4 + 20);
        put_u32(&mut self.out, IDB_TYPE)?;
        put_u32(&mut self.out, block_len(total)?)?;
        self.out.write_all(&linktype16.to_le_bytes())?;
        self.out.write_all(&0u16.to_le_bytes())?; // reserved
        put_u32(&mut self.out, self.snaplen)?;
        put_option(&mut self.out, IF_NAME, name_bytes)?;
        put_option(&mut self.out, IF_TSRESOL, &[TSRESOL_NANOS])?;
        put_option(&mut self.out, OPT_END, &[])?;
        put_u32(&mut self.out, block_len(total)?)?;
        let id = self.interfaces.len() as u32;
        self.interfaces.push(key);
        Ok(id)
    }

    /// Writes one frame as an Enhanced Packet Block on interface `interface_id`.
    pub fn write_packet(&mut self, interface_id: u32, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        if interface_id as usize >= self.interfaces.len() {
            return Err(io::Error::other("packet for an undescribed interface"));
        }
        let caplen = u32::try_from(data.len()).map_err(|_| io::Error::other("frame too large"))?;
        let total = data.len().saturating_add(padding(data.len())).saturating_add(32);
        // Nanoseconds since the epoch; times before 1970 cannot be written and become 0.
        let units = u64::try_from(ts.as_nanos()).unwrap_or(0);
        put_u32(&mut self.out, EPB_TYPE)?;
        put_u32(&mut self.out, block_len(total)?)?;
        put_u32(&mut self.out, interface_id)?;
        put_u32(&mut self.out, (units >> 32) as u32)?;
        put_u32(&mut self.out, units as u32)?;
        put_u32(&mut self.out, caplen)?;
        put_u32(&mut self.out, orig_len.max(caplen))?;
        self.out.write_all(data)?;
        put_padding(&mut self.out, data.len())?;
        put_u32(&mut self.out, block_len(total)?)?;
        self.packets = self.packets.saturating_add(1);
        Ok(())
    }

    /// Embeds a TLS key log (NSS key log text) as a Decryption Secrets Block, so that readers
    /// (Wireshark, `tlstrace read`) find the keys in the capture itself.
    pub fn write_decryption_secrets(&mut self, key_log: &[u8]) -> io::Result<()> {
        let len = u32::try_from(key_log.len()).map_err(|_| io::Error::other("key log too large"))?;
        let total = key_log.len().saturating_add(padding(key_log.len())).saturating_add(20);
        put_u32(&mut self.out, DSB_TYPE)?;
        put_u32(&mut self.out, block_len(total)?)?;
        put_u32(&mut self.out, SECRETS_TLS_KEY_LOG)?;
        put_u32(&mut self.out, len)?;
        self.out.write_all(key_log)?;
        put_padding(&mut self.out, key_log.len())?;
        put_u32(&mut self.out, block_len(total)?)?;
        Ok(())
    }

    /// Packets written so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and hands back the output.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

fn block_len(total: usize) -> io::Result<u32> {
    u32::try_from(total).map_err(|_| io::Error::other("pcapng block too large"))
}

fn put_u32<W: Write>(out: &mut W, v: u32) -> io::Result<()> {
    out.write_all(&v.to_le_bytes())
}

fn put_option<W: Write>(out: &mut W, code: u16, value: &[u8]) -> io::Result<()> {
    let len = u16::try_from(value.len()).map_err(|_| io::Error::other("pcapng option too long"))?;
    out.write_all(&code.to_le_bytes())?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(value)?;
    put_padding(out, value.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::file::{FileSource, Format};

    /// Frame number, link type, time, bytes and original length of a frame read back.
    type ReadFrame = (u64, u32, Timestamp, Vec<u8>, u32);

    fn read_back(bytes: Vec<u8>) -> (FileSource, Vec<ReadFrame>) {
        let mut src = FileSource::from_reader("mem", Box::new(io::Cursor::new(bytes)), false, None).unwrap();
        let mut out = Vec::new();
        while let Some(p) = src.next_with(|p| (p.frame, p.linktype, p.ts, p.data.to_vec(), p.orig_len)).unwrap() {
            out.push(p);
        }
        (src, out)
    }

    #[test]
    fn frames_and_nanosecond_times_survive_a_round_trip() {
        let mut w = PcapngWriter::new(Vec::new(), "tlstrace test", 262_144).unwrap();
        let eth = w.interface(1, "lo").unwrap();
        let sll = w.interface(276, "any").unwrap();
        assert_eq!((eth, sll), (0, 1));
        assert_eq!(w.interface(1, "lo").unwrap(), 0, "same interface, same id");
        let frames: Vec<(u32, Timestamp, Vec<u8>, u32)> = vec![
            (eth, Timestamp::new(1_700_000_000, 123_456_789, 9), (0..60u8).collect(), 60),
            (sll, Timestamp::new(1_700_000_001, 1, 9), vec![0xab; 61], 61),
            (eth, Timestamp::new(1_700_000_002, 999_999_999, 9), vec![7; 62], 1514),
            (eth, Timestamp::new(1_700_000_003, 0, 9), vec![], 0),
            (sll, Timestamp::new(4_400_000_000, 5, 9), vec![1, 2, 3], 3),
        ];
        for (id, ts, data, orig) in &frames {
            w.write_packet(*id, *ts, data, *orig).unwrap();
        }
        assert_eq!(w.packets(), 5);
        let bytes = w.into_inner().unwrap();
        assert_eq!(bytes.len() % 4, 0);
        let (src, got) = read_back(bytes);
        assert_eq!(src.format(), Format::PcapNg);
        assert_eq!(got.len(), frames.len());
        for (i, ((frame, lt, ts, data, orig), (id, wts, wdata, worig))) in got.iter().zip(&frames).enumerate() {
            assert_eq!(*frame, i as u64 + 1);
            assert_eq!(*lt, if *id == eth { 1 } else { 276 });
            assert_eq!(ts, wts, "frame {frame}");
            assert_eq!(ts.to_string(), wts.to_string());
            assert_eq!(data, wdata);
            assert_eq!(orig, worig);
        }
        assert_eq!(got[0].2.to_string(), "1700000000.123456789");
    }

    #[test]
    fn block_layout_is_exact() {
        let mut w = PcapngWriter::new(Vec::new(), "ab", 65535).unwrap();
        w.interface(1, "eth0").unwrap();
        w.write_packet(0, Timestamp::new(4, 294_967_298, 9), &[9, 8, 7, 6, 5], 5).unwrap();
        let b = w.into_inner().unwrap();
        let le32 = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        // SHB: 28 fixed + "ab" option (8) + end (4) = 40.
        assert_eq!(le32(0), SHB_TYPE);
        assert_eq!(le32(4), 40);
        assert_eq!(le32(8), BYTE_ORDER_MAGIC);
        assert_eq!(&b[24..32], &[4, 0, 2, 0, b'a', b'b', 0, 0]);
        assert_eq!(&b[32..36], &[0, 0, 0, 0], "opt_endofopt");
        assert_eq!(le32(36), 40);
        // IDB at 40: 20 fixed + if_name "eth0" (8) + if_tsresol (8) + end (4) = 40.
        assert_eq!(le32(40), IDB_TYPE);
        assert_eq!(le32(44), 40);
        assert_eq!(&b[48..52], &[1, 0, 0, 0]);
        assert_eq!(le32(52), 65535);
        assert_eq!(&b[64..69], &[9, 0, 1, 0, 9]);
        // EPB at 80: 32 fixed + 5 data + 3 padding = 40. 0x1_0000_0002 ns is 4.294967298 s.
        assert_eq!(le32(80), EPB_TYPE);
        assert_eq!(le32(84), 40);
        let units = (u64::from(le32(92)) << 32) | u64::from(le32(96));
        assert_eq!(units, 4_294_967_298);
        assert_eq!((le32(100), le32(104)), (5, 5));
        assert_eq!(&b[108..116], &[9, 8, 7, 6, 5, 0, 0, 0]);
        assert_eq!(le32(116), 40);
        assert_eq!(b.len(), 120);
    }

    #[test]
    fn decryption_secrets_block_is_read_back() {
        let key_log = b"CLIENT_RANDOM 0102 0304\nSERVER_HANDSHAKE_TRAFFIC_SECRET aa bb\n";
        let mut w = PcapngWriter::new(Vec::new(), "tlstrace", 262_144).unwrap();
        w.write_decryption_secrets(key_log).unwrap();
        let id = w.interface(1, "lo").unwrap();
        w.write_packet(id, Timestamp::new(10, 20, 9), &[1; 14], 14).unwrap();
        let bytes = w.into_inner().unwrap();
        // Block: type, length, secrets type, secrets length, data padded to 4, length.
        let shb_len = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
        let dsb = &bytes[shb_len..];
        assert_eq!(u32::from_le_bytes(dsb[0..4].try_into().unwrap()), 0x0000_000A);
        let total = key_log.len().saturating_add(padding(key_log.len())).saturating_add(20);
        assert_eq!(u32::from_le_bytes(dsb[4..8].try_into().unwrap()) as usize, total);
        assert_eq!(&dsb[8..12], &0x544c_534bu32.to_le_bytes());
        assert_eq!(u32::from_le_bytes(dsb[12..16].try_into().unwrap()) as usize, key_log.len());
        let (mut src, got) = read_back(bytes);
        assert_eq!(got.len(), 1);
        assert_eq!(src.take_secrets(), vec![key_log.to_vec()]);
    }

    #[test]
    fn unknown_interface_and_oversized_link_types_are_errors() {
        let mut w = PcapngWriter::new(Vec::new(), "t", 100).unwrap();
        assert!(w.write_packet(0, Timestamp::default(), &[1], 1).is_err());
        assert!(w.interface(70_000, "x").is_err());
    }

    #[test]
    fn tshark_reads_the_file_when_installed() {
        let Ok(out) = std::process::Command::new("tshark").arg("-v").output() else {
            eprintln!("tshark not installed: pcapng cross-check skipped");
            return;
        };
        if !out.status.success() {
            return;
        }
        let dir = std::env::temp_dir().join(format!("tlstrace-pcapng-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.pcapng");
        let frames = crate::source::live::bpf::tests::frames("lo.pcap");
        let mut w = PcapngWriter::new(std::fs::File::create(&path).unwrap(), "tlstrace test", 262_144).unwrap();
        let id = w.interface(1, "lo").unwrap();
        for (i, (_, f)) in frames.iter().take(3).enumerate() {
            w.write_packet(id, Timestamp::new(1_700_000_000 + i as i64, 42, 9), f, f.len() as u32).unwrap();
        }
        w.into_inner().unwrap();
        let out = std::process::Command::new("tshark")
            .args(["-r", path.to_str().unwrap(), "-T", "fields", "-e", "frame.time_epoch", "-e", "tcp.dstport"])
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("1700000000.000000042"), "{text}");
        assert!(lines[0].ends_with("4433"), "{text}");
    }
}
