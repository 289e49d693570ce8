//! The memory budget (`--memory-limit`): one limit for everything that grows with the input,
//! split into a fixed share per part. Each part enforces its own share (evicting its least
//! recently active state and counting it) so no allocation fails and no part starves another.

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Default `--memory-limit`.
pub const DEFAULT_MEMORY_LIMIT: usize = 256 << 20;

/// Smallest limit accepted: below it the shares cannot hold one maximal TLS record per part.
pub const MIN_MEMORY_LIMIT: usize = 16 << 20;

/// The parts of the run whose state grows with the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// TCP flows and their TLS connection state (fixed size per flow).
    Flows,
    /// Out-of-order TCP bytes waiting for a hole to fill.
    Reassembly,
    /// Partial records and handshake messages, records held for secrets, transcripts.
    TlsBuffers,
    /// IP fragments waiting for the rest of their datagram.
    Fragments,
    /// The key log index.
    KeyLog,
    /// Certificate and fingerprint caches.
    Caches,
}

impl Part {
    pub const ALL: [Part; 6] =
        [Part::Flows, Part::Reassembly, Part::TlsBuffers, Part::Fragments, Part::KeyLog, Part::Caches];

    /// Name in the summary and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Part::Flows => "flows",
            Part::Reassembly => "reassembly",
            Part::TlsBuffers => "tls_buffers",
            Part::Fragments => "fragments",
            Part::KeyLog => "key_log",
            Part::Caches => "caches",
        }
    }

    /// Share of the limit, in percent (they add up to 100).
    fn percent(self) -> usize {
        match self {
            Part::Flows => 35,
            Part::Reassembly => 15,
            Part::TlsBuffers => 20,
            Part::Fragments => 5,
            Part::KeyLog => 20,
            Part::Caches => 5,
        }
    }
}

/// The limit and its shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryBudget {
    total: usize,
}

impl Default for MemoryBudget {
    fn default() -> Self {
        MemoryBudget { total: DEFAULT_MEMORY_LIMIT }
    }
}

impl MemoryBudget {
    /// A budget of `total` bytes (raised to [`MIN_MEMORY_LIMIT`]).
    pub fn new(total: usize) -> Self {
        MemoryBudget { total: total.max(MIN_MEMORY_LIMIT) }
    }

    pub fn total(&self) -> usize {
        self.total
    }

    /// Bytes this part may hold.
    pub fn share(&self, part: Part) -> usize {
        self.total / 100 * part.percent()
    }

    /// QUIC's part of the Flows and Reassembly shares: an eighth of each. Each transport's table
    /// enforces its own part, so the three together stay within the shares.
    fn quic_share(&self, part: Part) -> usize {
        self.share(part) / 8
    }

    /// DTLS's part: an eighth of the Flows share, a quarter of the Reassembly share (its
    /// handshake messages are held whole while their fragments come).
    fn dtls_share(&self, part: Part) -> usize {
        match part {
            Part::Reassembly => self.share(part) / 4,
            _ => self.share(part) / 8,
        }
    }

    /// TCP's part of the Flows and Reassembly shares: what QUIC and DTLS leave.
    fn tcp_share(&self, part: Part) -> usize {
        self.share(part).saturating_sub(self.quic_share(part)).saturating_sub(self.dtls_share(part))
    }

    /// The flow table's limits within the Flows and Reassembly shares (`base` gives the rest).
    pub fn flow_config(&self, base: &crate::tcp::FlowConfig) -> crate::tcp::FlowConfig {
        let max_flows = max_flows(self.tcp_share(Part::Flows), base.max_closed_flows);
        let total = self.tcp_share(Part::Reassembly);
        crate::tcp::FlowConfig {
            max_flows,
            max_closed_flows: base.max_closed_flows.min(max_flows),
            max_buffered_bytes_total: total,
            // One direction may not take more than a sixteenth of the share.
            max_buffered_bytes_per_direction: base.max_buffered_bytes_per_direction.min(total / 16),
            ..base.clone()
        }
    }

    /// QUIC connection limits: a connection per 16 KiB of its part of the Flows share (keys and
    /// state), and
    /// out-of-order CRYPTO bytes per direction such that every connection holding its most stays
    /// within the Reassembly share; connections expire with TCP's idle timeout.
    pub fn quic_config(&self, base: &crate::quic::QuicConfig, idle_timeout_secs: u64) -> crate::quic::QuicConfig {
        let connections = (self.quic_share(Part::Flows) / 16384).clamp(16, base.max_connections);
        let per_direction = self.quic_share(Part::Reassembly) / connections.saturating_mul(2).max(1);
        crate::quic::QuicConfig {
            max_connections: connections,
            idle_timeout_secs,
            max_crypto_bytes: base.max_crypto_bytes.min(per_direction),
            // Packets held for a growing key log's secrets: a quarter of the TLS buffers share
            // (where TCP's held records are), a connection at most a sixteenth of that.
            max_held_bytes: base.max_held_bytes.min(self.share(Part::TlsBuffers) / 64),
            max_held_total: base.max_held_total.min(self.share(Part::TlsBuffers) / 4),
        }
    }

    /// DTLS connection limits: 16 KiB of handshake bytes per direction, and as many connections
    /// as its parts of the Flows share (16 KiB each) and of the Reassembly share (every
    /// connection holding its most) allow; connections expire with TCP's idle timeout.
    pub fn dtls_config(&self, base: &crate::dtls::DtlsConfig, idle_timeout_secs: u64) -> crate::dtls::DtlsConfig {
        // A direction may hold a 16 KiB message (a certificate chain) while its fragments come:
        // as many connections as the DTLS part of the Reassembly share holds at that.
        let per_direction = base.max_handshake_bytes.min(16 << 10);
        let by_reassembly = self.dtls_share(Part::Reassembly) / per_direction.saturating_mul(2).max(1);
        let connections = (self.dtls_share(Part::Flows) / 16384).min(by_reassembly).clamp(16, base.max_connections);
        crate::dtls::DtlsConfig { max_connections: connections, idle_timeout_secs, max_handshake_bytes: per_direction }
    }

    /// IP fragment limits within the Fragments share: a datagram per 4 KiB of it (16 to
    /// 2,048; evicting the oldest scans them all), their table's room, and the held bytes.
    pub fn net_config(&self, base: &crate::net::NetConfig) -> crate::net::NetConfig {
        let share = self.share(Part::Fragments);
        let datagrams = (share / 4096).clamp(16, 2048);
        let table = table_bytes(table_room(datagrams), crate::net::datagram_slot_bytes());
        crate::net::NetConfig {
            max_fragment_datagrams: datagrams,
            max_fragment_bytes: share.saturating_sub(table),
            ..base.clone()
        }
    }

    /// Parses `64M`, `1G`, `512k`, `300000000` (bytes), with an optional `B`/`iB` suffix.
    pub fn parse(text: &str) -> Result<MemoryBudget, SizeError> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        let body = lower.strip_suffix("ib").or_else(|| lower.strip_suffix('b')).unwrap_or(&lower);
        let (digits, shift) = match body.char_indices().last() {
            Some((i, 'k')) => (&body[..i], 10),
            Some((i, 'm')) => (&body[..i], 20),
            Some((i, 'g')) => (&body[..i], 30),
            Some((i, 't')) => (&body[..i], 40),
            _ => (body, 0),
        };
        let n: u64 = digits.trim().parse().map_err(|_| SizeError::Syntax(text.to_string()))?;
        let bytes = n.checked_shl(shift).filter(|v| v >> shift == n).ok_or(SizeError::TooLarge)?;
        let bytes = usize::try_from(bytes).map_err(|_| SizeError::TooLarge)?;
        if bytes < MIN_MEMORY_LIMIT {
            return Err(SizeError::TooSmall(bytes));
        }
        Ok(MemoryBudget { total: bytes })
    }
}

/// Bytes one tracked flow costs besides its buffers: the flow table's slot and recency link,
/// the connection layer's state, and the heap of a TLS connection in its handshake (story,
/// decode context, decryption state). Measured by `conn::tests::a_flow_costs_at_most_flow_cost`,
/// which fails when the structures grow past it. The hash tables' buckets come on top
/// ([`flows_bytes`]).
pub const FLOW_COST: usize = 2_496;

/// Bytes of one bucket of the flow table's index (a 4-byte slot index and a control byte).
const INDEX_BUCKET: usize = 5;
/// Bytes of one bucket of the connection layer's map (flow id and a box, and a control byte).
const CONN_BUCKET: usize = 17;

/// Bytes hashbrown allocates for a table created with room for `capacity` entries (buckets are
/// a power of two at most 7/8 full; small tables are counted as 16 buckets).
fn table_bytes(capacity: usize, bucket: usize) -> usize {
    let buckets = if capacity < 15 {
        16
    } else {
        (capacity.saturating_mul(8) / 7).checked_next_power_of_two().unwrap_or(usize::MAX)
    };
    buckets.saturating_mul(bucket).saturating_add(buckets).saturating_add(16)
}

/// Room reserved in a hash table for `n` entries: twice as many, so that a table full of
/// deleted entries is always rehashed in place (hashbrown grows a table more than half full
/// instead, which is how a SYN flood once doubled the connection map in a 113 MB allocation).
pub fn table_room(n: usize) -> usize {
    n.saturating_mul(2)
}

/// What `n` flows take with their tables pre-sized (`closed` of them remembered after their
/// end, in an index of their own).
pub fn flows_bytes(n: usize, closed: usize) -> usize {
    n.saturating_mul(FLOW_COST)
        .saturating_add(table_bytes(table_room(n), INDEX_BUCKET))
        .saturating_add(table_bytes(table_room(closed.min(n)), INDEX_BUCKET))
        .saturating_add(table_bytes(table_room(n), CONN_BUCKET))
}

/// The most flows whose state fits in `share` bytes (at least one).
pub fn max_flows(share: usize, max_closed: usize) -> usize {
    let (mut lo, mut hi) = (1usize, (share / FLOW_COST).max(1));
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if flows_bytes(mid, max_closed) <= share {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

/// State evicted to stay within the budget, per part (`evictions` in the summary).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Evictions {
    /// Flows closed because the flow table was full (least recently active first).
    pub flows: u64,
    /// Out-of-order holes given up because the reassembly share was full.
    pub reassembly: u64,
    /// Flows closed because partial records, handshake messages, held records and transcripts
    /// filled the TLS buffers share (least recently active first).
    pub tls_buffers: u64,
    /// Incomplete IP datagrams dropped because the fragments share was full (oldest first).
    pub fragments: u64,
    /// Certificate chains and fingerprints forgotten from the caches.
    pub caches: u64,
}

/// Caches per thread (client and server fingerprint memos, certificate chains) times the two
/// threads that may run them.
const CACHE_SLOTS: usize = 6;

/// Bytes each cache may hold (set from the budget when a pipeline starts; the caches are per
/// thread, so each gets a fraction of the Caches share).
static CACHE_BYTES: AtomicUsize = AtomicUsize::new(DEFAULT_MEMORY_LIMIT / 100 * 5 / CACHE_SLOTS);
/// Entries evicted from the caches in this process.
static CACHE_EVICTIONS: AtomicU64 = AtomicU64::new(0);

/// Sets the caches' byte limit from the budget.
pub fn set_cache_budget(budget: &MemoryBudget) {
    CACHE_BYTES.store(budget.share(Part::Caches) / CACHE_SLOTS, Ordering::Relaxed);
}

/// Bytes one cache (on one thread) may hold.
pub fn cache_bytes() -> usize {
    CACHE_BYTES.load(Ordering::Relaxed)
}

/// Counts `n` cache entries evicted.
pub fn count_cache_evictions(n: u64) {
    CACHE_EVICTIONS.fetch_add(n, Ordering::Relaxed);
}

/// Cache entries evicted so far in this process.
pub fn cache_evictions() -> u64 {
    CACHE_EVICTIONS.load(Ordering::Relaxed)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SizeError {
    Syntax(String),
    TooLarge,
    TooSmall(usize),
}

impl fmt::Display for SizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SizeError::Syntax(t) => write!(f, "'{t}' is not a size (examples: 64M, 1G, 300000000)"),
            SizeError::TooLarge => f.write_str("size too large"),
            SizeError::TooSmall(n) => {
                write!(f, "{n} bytes is below the smallest memory limit ({}M)", MIN_MEMORY_LIMIT >> 20)
            }
        }
    }
}

impl std::error::Error for SizeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(MemoryBudget::parse("64M").unwrap().total(), 64 << 20);
        assert_eq!(MemoryBudget::parse("1G").unwrap().total(), 1 << 30);
        assert_eq!(MemoryBudget::parse("1gib").unwrap().total(), 1 << 30);
        assert_eq!(MemoryBudget::parse("20000k").unwrap().total(), 20000 << 10);
        assert_eq!(MemoryBudget::parse("300000000").unwrap().total(), 300_000_000);
        assert!(matches!(MemoryBudget::parse("12x"), Err(SizeError::Syntax(_))));
        assert!(matches!(MemoryBudget::parse(""), Err(SizeError::Syntax(_))));
        assert!(matches!(MemoryBudget::parse("1M"), Err(SizeError::TooSmall(_))));
        assert_eq!(
            MemoryBudget::parse("99999999999999999999T"),
            Err(SizeError::Syntax("99999999999999999999T".into()))
        );
        assert_eq!(MemoryBudget::parse("9999999999T"), Err(SizeError::TooLarge));
    }

    #[test]
    fn shares_add_up_to_at_most_the_total() {
        let b = MemoryBudget::new(64 << 20);
        let sum: usize = Part::ALL.iter().map(|&p| b.share(p)).sum();
        assert!(sum <= b.total());
        assert!(sum > b.total() / 100 * 99);
    }

    #[test]
    fn flows_fit_their_share() {
        for limit in [16 << 20, 64 << 20, 256 << 20, 1 << 30] {
            let share = MemoryBudget::new(limit).share(Part::Flows);
            let n = max_flows(share, 16_384);
            assert!(flows_bytes(n, 16_384) <= share, "{limit}: {n} flows");
            assert!(flows_bytes(n + 1, 16_384) > share, "{limit}: {n} flows, one more would fit");
            // The tables' buckets cost less than the flows themselves.
            assert!(n * FLOW_COST > share / 2, "{limit}: {n} flows");
        }
        assert_eq!(table_bytes(14, 5), 16 * 6 + 16);
        assert_eq!(table_bytes(15, 5), 32 * 6 + 16);
    }

    /// TCP's, QUIC's and DTLS's tables each fill only their part: all three full stay within
    /// the Flows and Reassembly shares.
    #[test]
    fn the_three_transports_together_fit_the_shares() {
        for limit in [16 << 20, 64 << 20, 256 << 20, 1 << 30, 8 << 30] {
            let b = MemoryBudget::new(limit);
            let tcp = b.flow_config(&crate::tcp::FlowConfig::default());
            let quic = b.quic_config(&crate::quic::QuicConfig::default(), 30);
            let dtls = b.dtls_config(&crate::dtls::DtlsConfig::default(), 30);
            let flows = flows_bytes(tcp.max_flows, tcp.max_closed_flows)
                + (quic.max_connections + dtls.max_connections) * 16384;
            assert!(flows <= b.share(Part::Flows), "{limit}: flows {flows} > {}", b.share(Part::Flows));
            let reassembly = tcp.max_buffered_bytes_total
                + quic.max_connections * 2 * quic.max_crypto_bytes
                + dtls.max_connections * 2 * dtls.max_handshake_bytes;
            assert!(reassembly <= b.share(Part::Reassembly), "{limit}: reassembly {reassembly}");
        }
    }
}
