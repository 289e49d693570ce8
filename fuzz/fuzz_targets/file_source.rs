//! The capture file reader over arbitrary bytes: pcap, pcapng (any block), gzip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlstrace::source::file::FileSource;

fuzz_target!(|data: &[u8]| {
    let stream = Box::new(std::io::Cursor::new(data.to_vec()));
    let Ok(mut source) = FileSource::from_reader("fuzz", stream, false, Some(data.len() as u64)) else {
        return;
    };
    let mut total = 0usize;
    // Every frame must lie within what was read; the loop ends at EOF or on a typed error.
    while let Ok(Some(len)) = source.next_with(|pkt| {
        assert!(pkt.data.len() <= pkt.orig_len as usize);
        pkt.data.len()
    }) {
        total += len;
        assert!(source.frames() <= data.len() as u64);
    }
    assert!(total <= data.len());
    let _ = source.linktypes();
    let _ = source.take_secrets();
});
