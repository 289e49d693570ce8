//! The index of a regular key log file: 8 bytes a line, secrets read back on demand.

use super::line::{Parsed, parse_line};
use super::reader::{Line, LineReader};
use super::{MAX_LINE_LEN, OFFSET_BITS, Secrets};
use std::collections::HashSet;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;

/// Reads a file from an offset without moving the file's own position (lookups happen while
/// the file is shared).
struct ReadAt<'a> {
    file: &'a File,
    offset: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.offset)?;
        self.offset = self.offset.saturating_add(n as u64);
        Ok(n)
    }
}

/// The index of a regular key log file: for each line with a secret, the top bits of a hash
/// of its client random and the line's offset, in one sorted `u64`. The secrets stay in the
/// file and are read back when a connection asks for them.
#[derive(Debug)]
pub(super) struct FileIndex {
    pub(super) file: File,
    pub(super) entries: Vec<u64>,
    /// Seeded per run: a key log cannot choose client randoms that share a hash on purpose.
    pub(super) hasher: foldhash::fast::RandomState,
    /// Offset of the first line dropped for lack of memory: the rest of the file is not indexed.
    pub(super) dropped_from: Option<(u64, usize)>,
}

impl FileIndex {
    pub(super) fn key(&self, random: &[u8; 32]) -> u64 {
        self.hasher.hash_one(random) >> OFFSET_BITS
    }

    /// Offsets of the lines whose client random may be `random`, in file order.
    fn candidates(&self, random: &[u8; 32]) -> impl Iterator<Item = u64> + '_ {
        let key = self.key(random);
        let first = self.entries.partition_point(|e| e >> OFFSET_BITS < key);
        self.entries
            .get(first..)
            .unwrap_or_default()
            .iter()
            .take_while(move |e| *e >> OFFSET_BITS == key)
            .map(|e| e & ((1 << OFFSET_BITS) - 1))
    }

    /// The secrets of `random` in this file; Err when the file could not be read.
    pub(super) fn secrets(&self, random: &[u8; 32]) -> io::Result<Option<Secrets>> {
        let mut found: Option<Secrets> = None;
        let mut buf = [0u8; MAX_LINE_LEN + 1];
        for offset in self.candidates(random) {
            let line = read_line_at(&self.file, offset, &mut buf)?;
            // Later lines win, as when the file is parsed whole.
            if let Ok(Parsed::Secret { label, random: r, secret }) = parse_line(line)
                && r == *random
            {
                *found.get_or_insert_default().slot_mut(label) = Some(secret.as_slice().to_vec());
            }
        }
        Ok(found)
    }

    /// Which of `randoms` have a line among the lines dropped from the index.
    pub(super) fn dropped_among(&self, randoms: &HashSet<[u8; 32]>) -> io::Result<HashSet<[u8; 32]>> {
        let mut found = HashSet::new();
        let Some((offset, line)) = self.dropped_from else { return Ok(found) };
        let mut reader = LineReader::starting_at(ReadAt { file: &self.file, offset }, offset, line);
        while let Some(line) = reader.next_line()? {
            if let Line::Text { bytes, .. } = line
                && let Ok(Parsed::Secret { random, .. }) = parse_line(bytes)
                && randoms.contains(&random)
            {
                found.insert(random);
            }
        }
        Ok(found)
    }
}

/// The line starting at `offset` (without its newline), at most [`MAX_LINE_LEN`] + 1 bytes.
fn read_line_at<'b>(file: &File, offset: u64, buf: &'b mut [u8; MAX_LINE_LEN + 1]) -> io::Result<&'b [u8]> {
    let mut filled = 0;
    while let Some(room) = buf.get_mut(filled..)
        && !room.is_empty()
    {
        let n = match file.read_at(room, offset.saturating_add(filled as u64)) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let newline = room.get(..n).unwrap_or_default().iter().position(|&b| b == b'\n');
        if let Some(at) = newline {
            return Ok(buf.get(..filled + at).unwrap_or_default());
        }
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(buf.get(..filled).unwrap_or_default())
}
