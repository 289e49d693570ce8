//! Flow identity: the unordered pair of socket addresses.

use std::hash::{Hash, Hasher};
use std::net::SocketAddr;

/// One endpoint in a compact, hashable form: the address as two integers (cheap to compare
/// and hash), with `v6` telling an IPv4 address from an IPv6 one of the same value. IPv6 flow
/// labels and scope ids are not part of the identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Endpoint {
    ip: [u64; 2],
    port: u16,
    v6: bool,
}

impl Endpoint {
    fn of(addr: SocketAddr) -> Endpoint {
        let (bits, v6) = match addr {
            SocketAddr::V4(a) => (u128::from(a.ip().to_bits()), false),
            SocketAddr::V6(a) => (a.ip().to_bits(), true),
        };
        Endpoint { ip: [(bits >> 64) as u64, bits as u64], port: addr.port(), v6 }
    }
}

/// Key of the flow table: both endpoints, lower one first, so both directions of a connection
/// find the same entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FlowKey {
    lo: Endpoint,
    hi: Endpoint,
}

impl Hash for FlowKey {
    /// Five integer writes of the packed key instead of the many small hasher calls of a
    /// derived impl: foldhash mixes two 64-bit words per multiply, where the same 40 bytes as a
    /// slice take its slower general byte-string path.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let tail = (u64::from(self.lo.port) << 32)
            | (u64::from(self.hi.port) << 16)
            | (u64::from(self.lo.v6) << 1)
            | u64::from(self.hi.v6);
        for word in [self.lo.ip[0], self.lo.ip[1], self.hi.ip[0], self.hi.ip[1], tail] {
            state.write_u64(word);
        }
    }
}

impl FlowKey {
    /// The key of the connection between `src` and `dst`, and whether `src` is its lower end.
    pub(super) fn new(src: SocketAddr, dst: SocketAddr) -> (FlowKey, bool) {
        let (s, d) = (Endpoint::of(src), Endpoint::of(dst));
        if s <= d { (FlowKey { lo: s, hi: d }, true) } else { (FlowKey { lo: d, hi: s }, false) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_directions_share_a_key() {
        let a: SocketAddr = "10.0.0.1:40000".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:443".parse().unwrap();
        let (k1, a_lo) = FlowKey::new(a, b);
        let (k2, b_lo) = FlowKey::new(b, a);
        assert_eq!(k1, k2);
        assert!(a_lo);
        assert!(!b_lo);
    }

    #[test]
    fn families_do_not_collide() {
        let v4: SocketAddr = "1.2.3.4:1".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:1.2.3.4]:1".parse().unwrap();
        let peer4: SocketAddr = "5.6.7.8:2".parse().unwrap();
        let peer6: SocketAddr = "[::ffff:5.6.7.8]:2".parse().unwrap();
        assert_ne!(FlowKey::new(v4, peer4).0, FlowKey::new(mapped, peer6).0);
    }
}
