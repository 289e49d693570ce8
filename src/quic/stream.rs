//! One direction's CRYPTO stream of one packet number space: frames at any offset, in any
//! order, duplicated or overlapping, delivered once and in order.

use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct CryptoStream {
    /// Next offset to deliver.
    next: u64,
    /// Data past `next`, by offset.
    pending: BTreeMap<u64, Vec<u8>>,
    held: usize,
    /// Bytes dropped because the cap was reached.
    pub dropped: u64,
}

impl CryptoStream {
    pub fn held_bytes(&self) -> usize {
        self.held
    }

    pub fn delivered(&self) -> u64 {
        self.next
    }

    /// Adds a frame's data; calls `out` with each newly contiguous run. Out-of-order data
    /// beyond `cap` held bytes is dropped (counted).
    pub fn add(&mut self, offset: u64, data: &[u8], cap: usize, out: &mut dyn FnMut(&[u8])) {
        let end = offset.saturating_add(data.len() as u64);
        if end <= self.next {
            return;
        }
        // Trim what was delivered already.
        let skip = usize::try_from(self.next.saturating_sub(offset)).unwrap_or(usize::MAX);
        let (offset, data) = (offset.max(self.next), data.get(skip..).unwrap_or_default());
        if offset == self.next {
            out(data);
            self.next = end;
            self.drain(out);
            return;
        }
        if self.pending.get(&offset).is_some_and(|held| held.len() >= data.len()) {
            return;
        }
        if self.held.saturating_add(data.len()) > cap {
            self.dropped = self.dropped.saturating_add(data.len() as u64);
            return;
        }
        self.held = self.held.saturating_add(data.len());
        if let Some(old) = self.pending.insert(offset, data.to_vec()) {
            self.held = self.held.saturating_sub(old.len());
        }
    }

    /// Delivers held data that became contiguous.
    fn drain(&mut self, out: &mut dyn FnMut(&[u8])) {
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > self.next {
                break;
            }
            let offset = *entry.key();
            let data = entry.remove();
            self.held = self.held.saturating_sub(data.len());
            let end = offset.saturating_add(data.len() as u64);
            if end > self.next {
                let skip = usize::try_from(self.next.saturating_sub(offset)).unwrap_or(usize::MAX);
                out(data.get(skip..).unwrap_or_default());
                self.next = end;
            }
        }
    }
}
