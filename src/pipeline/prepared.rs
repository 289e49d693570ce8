//! The bytes the worker wrote ahead for some of the events (see
//! [`Needs::prepare`](crate::output::Needs::prepare)), kept in step with the event list.

/// A range of prepared bytes.
pub(super) type Span = (usize, usize);

/// For each event of a list, where its prepared bytes are, if it was prepared.
#[derive(Default)]
pub(super) struct Prepared {
    pub(super) spans: Vec<Option<Span>>,
    pub(super) bytes: Vec<u8>,
}

impl Prepared {
    /// Moves `other`'s spans and bytes to the end of these.
    pub(super) fn append(&mut self, other: &mut Prepared) {
        if self.spans.is_empty() {
            std::mem::swap(self, other);
            return;
        }
        let shift = self.bytes.len();
        self.spans.extend(other.spans.drain(..).map(|span| span.map(|(a, b)| (a + shift, b + shift))));
        self.bytes.append(&mut other.bytes);
    }

    pub(super) fn clear(&mut self) {
        self.spans.clear();
        self.bytes.clear();
    }
}
