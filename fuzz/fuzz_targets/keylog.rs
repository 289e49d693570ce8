//! The NSS key log parser over arbitrary text, whole and fed in two pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlstrace::crypto::KeyLog;
use tlstrace::crypto::keylog::MAX_LISTED_ISSUES;

fuzz_target!(|data: &[u8]| {
    let (log, issues) = KeyLog::parse(data);
    // Issues are listed one by one up to the cap, then summed up in one more.
    assert!(issues.len() <= MAX_LISTED_ISSUES + 1);
    let lines = data.split(|&b| b == b'\n').count();
    assert!(log.len() <= lines);
    // Every line holds at most one client random, so a lookup of each 32-byte window is safe.
    for window in data.windows(32).take(64) {
        if let Some(secrets) = log.get(window) {
            let _ = secrets.missing_labels_for_tls13();
            let _ = secrets.missing_labels_for_tls12();
        }
    }
    // Split at a line boundary, added piece by piece, then merged: the same connections.
    let cut = data.iter().position(|&b| b == b'\n').map_or(data.len(), |i| i + 1);
    let (mut first, _) = KeyLog::parse(&data[..cut]);
    let (second, _) = KeyLog::parse(&data[cut..]);
    first.merge(second);
    assert_eq!(first.len(), log.len());
});
