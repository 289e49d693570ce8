//! The memory budget (`--memory-limit`): one limit for everything that grows with the input,
//! split into a fixed share per part. Each part enforces its own share (evicting its least
//! recently active state and counting it) so no allocation fails and no part starves another.

use std::fmt;

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
            Part::Flows => 30,
            Part::Reassembly => 20,
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
}
