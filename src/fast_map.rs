//! The hash map used on the per-packet path (flow tables, per-connection output state).
//!
//! foldhash rather than std's SipHash: much faster on these short keys, and, seeded randomly
//! per process, it still keeps a capture from choosing colliding keys: every
//! key here (addresses, ports, connection numbers) comes from hostile input.

pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
