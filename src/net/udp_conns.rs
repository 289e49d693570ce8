//! The connections of a UDP transport (QUIC, DTLS), keyed by (client, server): bounded, the
//! oldest evicted first when full, idle ones expired once per capture second, all closed in order
//! of creation at the end. Each transport keeps its own state per connection in `C`.

use crate::fast_map::FastMap;
use crate::time::Timestamp;
use std::collections::VecDeque;
use std::net::SocketAddr;

/// (client, server).
pub type UdpKey = (SocketAddr, SocketAddr);

/// One connection: its stream id, when it was last seen, and the transport's state.
pub struct UdpConn<C> {
    pub id: u64,
    pub last_seen: Timestamp,
    pub state: C,
}

pub struct UdpConns<C> {
    conns: FastMap<UdpKey, UdpConn<C>>,
    /// Creation order, for eviction when full (entries of gone connections are skipped).
    order: VecDeque<(UdpKey, u64)>,
    max: usize,
    idle_timeout_secs: u64,
    /// Set in every stream id, to tell this transport's streams from the others'.
    id_bit: u64,
    next_id: u64,
    last_expire: Option<i64>,
}

impl<C> UdpConns<C> {
    pub fn new(max: usize, idle_timeout_secs: u64, id_bit: u64) -> Self {
        UdpConns {
            conns: FastMap::default(),
            order: VecDeque::new(),
            max: max.max(1),
            idle_timeout_secs,
            id_bit,
            next_id: 0,
            last_expire: None,
        }
    }

    pub fn len(&self) -> usize {
        self.conns.len()
    }

    /// Entries of the eviction queue (gone connections' included until it is compacted).
    pub fn queued(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }

    /// The connection a datagram from `src` to `dst` belongs to, and whether the client sent it.
    pub fn find(&self, src: SocketAddr, dst: SocketAddr) -> Option<(UdpKey, bool)> {
        if self.conns.contains_key(&(src, dst)) {
            Some(((src, dst), true))
        } else if self.conns.contains_key(&(dst, src)) {
            Some(((dst, src), false))
        } else {
            None
        }
    }

    pub fn get_mut(&mut self, key: &UdpKey) -> Option<&mut UdpConn<C>> {
        self.conns.get_mut(key)
    }

    /// Every connection, in no particular order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut UdpConn<C>> {
        self.conns.values_mut()
    }

    /// Adds a connection whose state `make` builds from its stream id, evicting the oldest ones
    /// while the table is full (`evicted` gets their ids); returns the new stream id.
    pub fn open(
        &mut self,
        key: UdpKey,
        ts: Timestamp,
        make: impl FnOnce(u64) -> C,
        evicted: &mut dyn FnMut(u64),
    ) -> u64 {
        self.open_with(key, ts, make, &mut |c| evicted(c.id))
    }

    /// As [`UdpConns::open`], `evicted` getting the evicted connections whole (their state may
    /// still have something to say).
    pub fn open_with(
        &mut self,
        key: UdpKey,
        ts: Timestamp,
        make: impl FnOnce(u64) -> C,
        evicted: &mut dyn FnMut(UdpConn<C>),
    ) -> u64 {
        while self.conns.len() >= self.max {
            let Some((old, id)) = self.order.pop_front() else { break };
            if self.conns.get(&old).is_some_and(|c| c.id == id)
                && let Some(c) = self.conns.remove(&old)
            {
                evicted(c);
            }
        }
        self.next_id = self.next_id.saturating_add(1);
        let id = self.id_bit | self.next_id;
        self.conns.insert(key, UdpConn { id, last_seen: ts, state: make(id) });
        self.order.push_back((key, id));
        // The queue only grows by lazily skipped entries: compact it when they dominate.
        if self.order.len() > self.conns.len().saturating_mul(2).saturating_add(64) {
            let conns = &self.conns;
            self.order.retain(|(key, id)| conns.get(key).is_some_and(|c| c.id == *id));
        }
        id
    }

    /// Removes the connections idle for longer than the timeout (checked once per capture
    /// second); `closed` gets their ids, oldest first.
    pub fn expire(&mut self, now: Timestamp, closed: &mut dyn FnMut(u64)) {
        if self.last_expire.is_some_and(|s| now.secs <= s) {
            return;
        }
        self.last_expire = Some(now.secs);
        let timeout = i64::try_from(self.idle_timeout_secs).unwrap_or(i64::MAX);
        let mut idle: Vec<(u64, UdpKey)> = self
            .conns
            .iter()
            .filter(|(_, c)| now.secs.saturating_sub(c.last_seen.secs) > timeout)
            .map(|(k, c)| (c.id, *k))
            .collect();
        idle.sort_unstable();
        for (id, key) in idle {
            self.conns.remove(&key);
            closed(id);
        }
    }

    /// End of capture: removes every connection; `closed` gets their ids in order of creation.
    pub fn finish(&mut self, closed: &mut dyn FnMut(u64)) {
        let mut ids: Vec<u64> = self.conns.values().map(|c| c.id).collect();
        ids.sort_unstable();
        self.conns.clear();
        self.order.clear();
        ids.into_iter().for_each(closed);
    }
}
