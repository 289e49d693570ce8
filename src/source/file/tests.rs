use super::*;

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
