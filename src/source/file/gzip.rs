//! Gzip input, inflated on a thread of its own.

use std::io::{self, Read};

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
pub(super) struct Inflater {
    chunks: std::sync::mpsc::Receiver<Chunk>,
    recycle: std::sync::mpsc::Sender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
}

impl Inflater {
    /// Starts the thread; gives the decoder back if no thread can be had.
    pub(super) fn spawn<R: Read + Send + 'static>(decoder: R) -> Result<Inflater, R> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
