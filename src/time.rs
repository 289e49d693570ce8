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
        self.secs.saturating_sub(earlier.secs) as f64 + (f64::from(self.nanos) - f64::from(earlier.nanos)) / 1e9
    }

    /// Nanoseconds since the epoch, saturating.
    pub fn as_nanos(&self) -> i128 {
        i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos)
    }
}

impl fmt::Display for Timestamp {
    /// Decimal seconds with exactly `digits` fractional digits, e.g. `1700000000.123456`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.decimal(&mut [0; DECIMAL_MAX]))
    }
}

/// Longest decimal form: sign, 19 digits of seconds, the point and 9 fractional digits.
const DECIMAL_MAX: usize = 32;

/// 10^0 ..= 10^9: the fraction's digits are picked with these rather than `pow` per timestamp.
const POW10: [u32; 10] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];

impl Timestamp {
    /// The decimal form written into `buf` with itoa, not `fmt`: every JSON event has a
    /// timestamp (BENCHMARKS.md has the measured difference).
    fn decimal<'b>(&self, buf: &'b mut [u8; DECIMAL_MAX]) -> &'b str {
        let mut len = 0;
        let mut put = |buf: &mut [u8; DECIMAL_MAX], bytes: &[u8]| {
            if let Some(dst) = buf.get_mut(len..len + bytes.len()) {
                dst.copy_from_slice(bytes);
                len += bytes.len();
            }
        };
        if self.secs < 0 {
            put(buf, b"-");
        }
        put(buf, itoa::Buffer::new().format(self.secs.unsigned_abs()).as_bytes());
        let digits = usize::from(self.digits.min(9));
        if digits > 0
            && let (Some(&scale), Some(&modulus)) = (POW10.get(9 - digits), POW10.get(digits))
        {
            // The last `digits` digits (nanos is below 1e9 from `new`; a field set by hand
            // above it still prints as many digits as the precision says), with their leading
            // zeros: written as `modulus + frac`, whose first digit (the 1) is left out.
            let frac = (self.nanos / scale) % modulus;
            let mut frac_digits = itoa::Buffer::new();
            let frac_text = frac_digits.format(modulus + frac).as_bytes();
            put(buf, b".");
            put(buf, frac_text.get(1..).unwrap_or_default());
        }
        std::str::from_utf8(buf.get(..len).unwrap_or_default()).unwrap_or_default()
    }
}

/// The marker struct name through which sonic-rs, the JSON library of the `--json` output
/// (`output::json_writer` honours it too), writes a string as a raw JSON number.
const RAW_NUMBER_TOKEN: &str = "$sonic_rs::private::JsonNumber";

impl serde::Serialize for Timestamp {
    /// A JSON number with the capture's precision, not rounded through `f64`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut buf = [0; DECIMAL_MAX];
        let mut raw = s.serialize_struct(RAW_NUMBER_TOKEN, 1)?;
        raw.serialize_field(RAW_NUMBER_TOKEN, self.decimal(&mut buf))?;
        raw.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The decimal form (zero-padded fraction from `modulus + frac`) against plain formatting,
    /// including negative times and nanoseconds set by hand beyond a second.
    #[test]
    fn decimal_matches_plain_formatting() {
        for secs in [0i64, 1, 9, 10, 1_700_000_000, i64::MAX, -1, -1_700_000_000, i64::MIN] {
            for nanos in [0u32, 1, 9, 10, 999, 123_456_789, 999_999_999, 1_000_000_000, u32::MAX] {
                for digits in 0..=12u8 {
                    let d = u32::from(digits.min(9));
                    let mut want = if secs < 0 { format!("-{}", secs.unsigned_abs()) } else { secs.to_string() };
                    if d > 0 {
                        let frac = (nanos / 10u32.pow(9 - d)) % 10u32.pow(d);
                        want.push_str(&format!(".{frac:0w$}", w = d as usize));
                    }
                    assert_eq!(Timestamp { secs, nanos, digits }.to_string(), want, "{secs} {nanos} {digits}");
                }
            }
        }
    }

    /// What the `--json` output's writer makes of `value`.
    fn json_writer<T: serde::Serialize>(value: &T) -> String {
        let mut out = Vec::new();
        crate::output::json_writer::write(&mut out, value).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn prints_capture_precision() {
        assert_eq!(Timestamp::new(1700000000, 123_456_000, 6).to_string(), "1700000000.123456");
        assert_eq!(Timestamp::new(1700000000, 5, 9).to_string(), "1700000000.000000005");
        assert_eq!(Timestamp::new(12, 0, 0).to_string(), "12");
        assert_eq!(sonic_rs::to_string(&Timestamp::new(1, 500_000_000, 3)).unwrap(), "1.500");
        assert_eq!(json_writer(&Timestamp::new(1, 500_000_000, 3)), "1.500");
        assert_eq!(sonic_rs::to_string(&Timestamp::new(1700000000, 7_000, 9)).unwrap(), "1700000000.000007000");
        assert_eq!(json_writer(&Timestamp::new(1700000000, 7_000, 9)), "1700000000.000007000");
        assert_eq!(Timestamp::new(-5, 250_000_000, 2).to_string(), "-5.25");
        assert_eq!(Timestamp::new(i64::MIN, 999_999_999, 9).to_string(), format!("{}.999999999", i64::MIN));
        assert_eq!(sonic_rs::to_string(&Timestamp::new(0, 0, 0)).unwrap(), "0");
        assert_eq!(json_writer(&vec![Timestamp::new(3, 1, 9)]), "[3.000000001]");
        assert_eq!(Timestamp::new(7, 120_000_000, 12).to_string(), "7.120000000", "precision capped at 9");
        assert_eq!(Timestamp::new(7, 0, 1).to_string(), "7.0");
        assert_eq!(Timestamp::new(i64::MAX, 90, 9).to_string(), format!("{}.000000090", i64::MAX));
        // Fields set by hand, outside `new`'s range: still one digit per unit of precision.
        let unnormalized = Timestamp { secs: 1, nanos: 1_500_000_000, digits: 9 };
        assert_eq!(unnormalized.to_string(), "1.500000000");
    }
}
