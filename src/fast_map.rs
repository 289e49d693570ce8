//! The hash map used on the per-packet path (flow tables, per-connection output state).
//!
//! std's SipHash showed in profiles of large captures. foldhash is several times faster and,
//! seeded randomly per process, still keeps a capture from choosing colliding keys: every
//! key here (addresses, ports, connection numbers) comes from hostile input.

pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
