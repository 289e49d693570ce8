//! Capture timestamps.
//!
//! A timestamp keeps seconds and nanoseconds plus the number of fractional digits the capture
//! really has (6 for classic microsecond pcap, 9 for nanosecond pcap, whatever `if_tsresol`
//! says for pcapng), so output can print exactly the precision the capture carries: an `f64`
//! cannot hold nanoseconds since the epoch.

use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
    /// Fractional digits to print: 0..=9.
    pub digits: u8,
}

impl Timestamp {
    pub fn new(secs: i64, nanos: u32, digits: u8) -> Self {
        Timestamp {
            secs: secs.saturating_add(i64::from(nanos / 1_000_000_000)),
            nanos: nanos % 1_000_000_000,
            digits: digits.min(9),
        }
    }

    /// Seconds as a float, for arithmetic on durations (never for printing absolute times).
    pub fn as_f64(&self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }

    /// `self - earlier` in seconds (may be negative when captures are not time-ordered).
    pub fn seconds_since(&self, earlier: &Timestamp) -> f64 {
        (self.secs - earlier.secs) as f64 + (f64::from(self.nanos) - f64::from(earlier.nanos)) / 1e9
    }

    /// Nanoseconds since the epoch, saturating.
    pub fn as_nanos(&self) -> i128 {
        i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos)
    }
}

impl fmt::Display for Timestamp {
    /// Decimal seconds with exactly `digits` fractional digits, e.g. `1700000000.123456`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.digits == 0 {
            return write!(f, "{}", self.secs);
        }
        let scale = 10u32.pow(9 - u32::from(self.digits));
        let frac = self.nanos / scale;
        write!(f, "{}.{:0width$}", self.secs, frac, width = usize::from(self.digits))
    }
}

impl serde::Serialize for Timestamp {
    /// A JSON number with the capture's precision (not rounded through `f64`). JSON serializers
    /// take raw numbers each through their own private marker, so this writes sonic-rs's (the
    /// `--json` writer, `output::json`) or serde_json's, by the serializer's type; any other
    /// serializer gets serde_json's wrapper.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.to_string();
        if std::any::type_name::<S>().contains("sonic_rs") {
            if let Ok(raw) = sonic_rs::from_str::<sonic_rs::RawNumber>(&format!("\"{text}\"")) {
                return raw.serialize(s);
            }
        } else if let Ok(raw) = serde_json::value::RawValue::from_string(text) {
            return raw.serialize(s);
        }
        s.serialize_f64(self.as_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_capture_precision() {
        assert_eq!(Timestamp::new(1700000000, 123_456_000, 6).to_string(), "1700000000.123456");
        assert_eq!(Timestamp::new(1700000000, 5, 9).to_string(), "1700000000.000000005");
        assert_eq!(Timestamp::new(12, 0, 0).to_string(), "12");
        assert_eq!(sonic_rs::to_string(&Timestamp::new(1, 500_000_000, 3)).unwrap(), "1.500");
        assert_eq!(serde_json::to_string(&Timestamp::new(1, 500_000_000, 3)).unwrap(), "1.500");
        assert_eq!(sonic_rs::to_string(&Timestamp::new(1700000000, 7_000, 9)).unwrap(), "1700000000.000007000");
    }
}
