//! The capture file reader over arbitrary bytes: pcap, pcapng (any block), gzip.
//!
//! Gzip input (it starts with the gzip magic) goes through a file and `FileSource::open`, the
//! path that detects compression and inflates on a separate thread; anything else is read from
//! memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Write;
use tlstrace::source::file::FileSource;

fuzz_target!(|data: &[u8]| {
    let opened = if data.starts_with(&[0x1f, 0x8b]) {
        let path = std::env::temp_dir().join(format!("tlstrace-fuzz-{}.pcap.gz", std::process::id()));
        let mut file = std::fs::File::create(&path).expect("temp file");
        file.write_all(data).expect("write temp file");
        drop(file);
        FileSource::open(path.to_str().expect("utf-8 temp path"))
    } else {
        let stream = Box::new(std::io::Cursor::new(data.to_vec()));
        FileSource::from_reader("fuzz", stream, false, Some(data.len() as u64))
    };
    let Ok(mut source) = opened else {
        return;
    };
    let mut frames = 0u64;
    // Every frame must lie within what was read; the loop ends at EOF or on a typed error.
    while let Ok(Some(())) = source.next_with(|pkt| {
        assert!(pkt.data.len() <= pkt.orig_len as usize);
    }) {
        frames += 1;
        assert_eq!(source.frames(), frames);
    }
    let _ = source.linktypes();
    let _ = source.take_secrets();
});
