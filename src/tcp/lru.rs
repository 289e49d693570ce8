//! Slab of flows threaded on two recency lists (open flows, recently closed flows).
//!
//! The table needs O(1) "touch", "least recently active" and removal by index, which no std
//! collection offers together; an intrusive doubly linked list over a `Vec` gives all three
//! without a per-flow allocation.

const NIL: u32 = u32::MAX;

/// Which recency list an entry is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ListId {
    Open,
    Closed,
}

/// An entry's place on its list. Kept apart from the values: a touch rewrites the links of
/// its two neighbours, and in a dense array of 12-byte links those stay in cache, where inside
/// the (large) flow records each was a cache miss per packet.
#[derive(Clone, Copy)]
struct Link {
    list: ListId,
    /// Towards the most recently touched end.
    prev: u32,
    /// Towards the least recently touched end.
    next: u32,
}

/// Bytes of an entry's link.
pub(super) const LINK_BYTES: usize = std::mem::size_of::<Link>();

#[derive(Clone, Copy)]
struct Ends {
    head: u32,
    tail: u32,
    len: usize,
}

const EMPTY: Ends = Ends { head: NIL, tail: NIL, len: 0 };

pub(super) struct LinkedSlab<T> {
    values: Vec<Option<T>>,
    /// Parallel to `values`.
    links: Vec<Link>,
    free: Vec<u32>,
    open: Ends,
    closed: Ends,
}

impl<T> LinkedSlab<T> {
    /// A slab that holds `n` entries without growing (it grows by doubling beyond).
    pub(super) fn with_capacity(n: usize) -> Self {
        LinkedSlab {
            values: Vec::with_capacity(n),
            links: Vec::with_capacity(n),
            free: Vec::new(),
            open: EMPTY,
            closed: EMPTY,
        }
    }

    /// Occupied entries on both lists.
    pub(super) fn len(&self) -> usize {
        self.open.len.saturating_add(self.closed.len)
    }

    pub(super) fn list_len(&self, list: ListId) -> usize {
        self.ends(list).len
    }

    /// Stores `value` as the most recent entry of `list`; `None` when the index space is full.
    pub(super) fn insert(&mut self, value: T, list: ListId) -> Option<u32> {
        let link = Link { list, prev: NIL, next: NIL };
        let idx = match self.free.pop() {
            Some(idx) => {
                *self.values.get_mut(idx as usize)? = Some(value);
                *self.links.get_mut(idx as usize)? = link;
                idx
            }
            None => {
                let idx = u32::try_from(self.values.len()).ok().filter(|&i| i != NIL)?;
                self.values.push(Some(value));
                self.links.push(link);
                idx
            }
        };
        self.push_front(idx, list);
        Some(idx)
    }

    pub(super) fn remove(&mut self, idx: u32) -> Option<T> {
        let list = self.list_of(idx)?;
        self.unlink(idx, list);
        let value = self.values.get_mut(idx as usize)?.take();
        self.free.push(idx);
        value
    }

    pub(super) fn get(&self, idx: u32) -> Option<&T> {
        self.values.get(idx as usize)?.as_ref()
    }

    pub(super) fn get_mut(&mut self, idx: u32) -> Option<&mut T> {
        self.values.get_mut(idx as usize)?.as_mut()
    }

    /// Makes `idx` the most recent entry of its list.
    pub(super) fn touch(&mut self, idx: u32) {
        if let Some(list) = self.list_of(idx)
            && self.ends(list).head != idx
        {
            self.unlink(idx, list);
            self.push_front(idx, list);
        }
    }

    /// Moves `idx` to the most recent end of `list`.
    pub(super) fn move_to(&mut self, idx: u32, list: ListId) {
        if let Some(old) = self.list_of(idx) {
            self.unlink(idx, old);
            if let Some(link) = self.links.get_mut(idx as usize) {
                link.list = list;
            }
            self.push_front(idx, list);
        }
    }

    /// The least recently touched entry of `list`.
    pub(super) fn oldest(&self, list: ListId) -> Option<u32> {
        let tail = self.ends(list).tail;
        (tail != NIL).then_some(tail)
    }

    /// Indices of `list`, most recent first.
    pub(super) fn indices(&self, list: ListId) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.ends(list).len);
        let mut cur = self.ends(list).head;
        while let Some(link) = self.links.get(cur as usize) {
            out.push(cur);
            cur = link.next;
        }
        out
    }

    /// Indices of `list`, least recent first.
    pub(super) fn oldest_first(&self, list: ListId) -> impl Iterator<Item = u32> + '_ {
        let mut cur = self.ends(list).tail;
        std::iter::from_fn(move || {
            let link = self.links.get(cur as usize)?;
            let idx = cur;
            cur = link.prev;
            Some(idx)
        })
    }

    pub(super) fn clear(&mut self) {
        self.values.clear();
        self.links.clear();
        self.free.clear();
        self.open = EMPTY;
        self.closed = EMPTY;
    }

    fn list_of(&self, idx: u32) -> Option<ListId> {
        self.values.get(idx as usize).filter(|v| v.is_some())?;
        self.links.get(idx as usize).map(|l| l.list)
    }

    fn ends(&self, list: ListId) -> &Ends {
        match list {
            ListId::Open => &self.open,
            ListId::Closed => &self.closed,
        }
    }

    fn ends_mut(&mut self, list: ListId) -> &mut Ends {
        match list {
            ListId::Open => &mut self.open,
            ListId::Closed => &mut self.closed,
        }
    }

    fn push_front(&mut self, idx: u32, list: ListId) {
        let old_head = self.ends(list).head;
        if let Some(link) = self.links.get_mut(idx as usize) {
            link.prev = NIL;
            link.next = old_head;
        }
        if let Some(head) = self.links.get_mut(old_head as usize) {
            head.prev = idx;
        }
        let ends = self.ends_mut(list);
        ends.head = idx;
        if ends.tail == NIL {
            ends.tail = idx;
        }
        ends.len = ends.len.saturating_add(1);
    }

    fn unlink(&mut self, idx: u32, list: ListId) {
        let Some(link) = self.links.get_mut(idx as usize) else {
            return;
        };
        let (prev, next) = (link.prev, link.next);
        link.prev = NIL;
        link.next = NIL;
        match self.links.get_mut(prev as usize) {
            Some(p) => p.next = next,
            None => self.ends_mut(list).head = next,
        }
        match self.links.get_mut(next as usize) {
            Some(n) => n.prev = prev,
            None => self.ends_mut(list).tail = prev,
        }
        let ends = self.ends_mut(list);
        ends.len = ends.len.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recency_order_and_reuse() {
        let mut s = LinkedSlab::with_capacity(2);
        let a = s.insert("a", ListId::Open).unwrap();
        let b = s.insert("b", ListId::Open).unwrap();
        let c = s.insert("c", ListId::Open).unwrap();
        assert_eq!(s.indices(ListId::Open), vec![c, b, a]);
        assert_eq!(s.oldest(ListId::Open), Some(a));
        s.touch(a);
        assert_eq!(s.indices(ListId::Open), vec![a, c, b]);
        assert_eq!(s.oldest_first(ListId::Open).collect::<Vec<_>>(), vec![b, c, a]);
        assert_eq!(s.oldest(ListId::Open), Some(b));
        s.move_to(c, ListId::Closed);
        assert_eq!(s.indices(ListId::Open), vec![a, b]);
        assert_eq!(s.indices(ListId::Closed), vec![c]);
        assert_eq!(s.list_len(ListId::Open), 2);
        assert_eq!(s.remove(b), Some("b"));
        assert_eq!(s.remove(b), None);
        assert_eq!(s.oldest(ListId::Open), Some(a));
        let d = s.insert("d", ListId::Open).unwrap();
        assert_eq!(d, b, "freed slot is reused");
        assert_eq!(s.get(d), Some(&"d"));
        assert_eq!(s.len(), 3);
        assert_eq!(s.remove(a), Some("a"));
        assert_eq!(s.remove(d), Some("d"));
        assert_eq!(s.oldest(ListId::Open), None);
        assert_eq!(s.indices(ListId::Open), Vec::<u32>::new());
        assert_eq!(s.oldest(ListId::Closed), Some(c));
    }
}
