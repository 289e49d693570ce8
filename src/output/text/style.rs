//! ANSI styles, column alignment and the numbers of the ladder, written into one `String`.

/// ANSI styles, written straight into the output buffer: `colored` would make a `String` per
/// colored piece. These are the same escape sequences it writes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Bold,
    Dim,
    Red,
    RedBold,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Bold => "\x1b[1m",
            Style::Dim => "\x1b[2m",
            Style::Red => "\x1b[31m",
            Style::RedBold => "\x1b[1;31m",
            Style::Green => "\x1b[32m",
            Style::Yellow => "\x1b[33m",
            Style::Blue => "\x1b[34m",
            Style::Magenta => "\x1b[35m",
            Style::Cyan => "\x1b[36m",
        }
    }
}

#[derive(Clone, Copy, Default)]
pub(super) struct Paint {
    pub(super) on: bool,
}

impl Paint {
    /// Writes what `body` writes, in `style` when colors are on.
    pub(super) fn styled(self, out: &mut String, style: Style, body: impl FnOnce(&mut String)) {
        if self.on {
            out.push_str(style.code());
            body(out);
            out.push_str("\x1b[0m");
        } else {
            body(out);
        }
    }

    pub(super) fn str(self, out: &mut String, style: Style, s: &str) {
        self.styled(out, style, |o| o.push_str(s));
    }
}

const SPACES: &str = "                                                                ";

// The helpers below run several times per message line and are `#[inline]` so that calls
// from the ladder's module can be inlined.

/// Characters in `text`: its length when it is ASCII, as times and message names are, without
/// counting them one by one.
#[inline]
fn width_of(text: &str) -> usize {
    if text.is_ascii() { text.len() } else { text.chars().count() }
}

/// Writes what `body` writes, right-aligned to `width` characters.
#[inline]
pub(super) fn right_aligned(out: &mut String, width: usize, body: impl FnOnce(&mut String)) {
    let start = out.len();
    body(out);
    let written = out.get(start..).map_or(0, width_of);
    if written < width {
        out.insert_str(start, SPACES.get(..width - written).unwrap_or_default());
    }
}

/// Writes what `body` writes, then spaces up to `width` characters.
#[inline]
pub(super) fn left_aligned(out: &mut String, width: usize, body: impl FnOnce(&mut String)) {
    let start = out.len();
    body(out);
    let written = out.get(start..).map_or(0, width_of);
    if written < width {
        out.push_str(SPACES.get(..width - written).unwrap_or_default());
    }
}

/// `12.345 ms`: a duration in nanoseconds, rounded to the microsecond (halves up). Digits go
/// through itoa, not `write!`: twice per message line (BENCHMARKS.md has the measured cost).
#[inline]
pub(super) fn write_ms(out: &mut String, nanos: i128) {
    if nanos < 0 {
        out.push('-');
    }
    let micros = u64::try_from(nanos.unsigned_abs()).unwrap_or(u64::MAX).saturating_add(500) / 1000;
    push_decimal(out, micros / 1000);
    let fraction = micros % 1000;
    out.push_str(if fraction < 10 {
        ".00"
    } else if fraction < 100 {
        ".0"
    } else {
        "."
    });
    push_decimal(out, fraction);
    out.push_str(" ms");
}

/// Decimal digits of `n`, without `fmt` machinery (several times per message line).
#[inline]
pub(super) fn push_decimal(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

#[cfg(test)]
mod tests {
    use super::{left_aligned, right_aligned, width_of};

    /// Alignment counts characters, not bytes, also when they are not ASCII.
    #[test]
    fn aligned_by_characters() {
        for (text, width) in [("ServerHello", 11), ("Zertifikatsprüfung", 18), ("—▶", 2), ("", 0)] {
            assert_eq!(width_of(text), width);
            let mut out = String::from("|");
            left_aligned(&mut out, 20, |t| t.push_str(text));
            assert_eq!(out.chars().count(), 21, "{out}");
            let mut out = String::from("|");
            right_aligned(&mut out, 20, |t| t.push_str(text));
            assert_eq!(out, format!("|{text:>20}"));
        }
    }

    /// Milliseconds with three decimals, rounded to the microsecond, halves away from zero.
    #[test]
    fn milliseconds_from_nanoseconds() {
        let samples = (0..3000i128).map(|n| n * 337).chain([
            499,
            500,
            999_499,
            999_500,
            1_000_000_000,
            123_456_789_012,
            i128::from(u64::MAX) * 2,
        ]);
        for nanos in samples.flat_map(|n| [n, -n]) {
            let mut ours = String::new();
            super::write_ms(&mut ours, nanos);
            let micros = u64::try_from(nanos.unsigned_abs()).unwrap_or(u64::MAX).saturating_add(500) / 1000;
            let sign = if nanos < 0 { "-" } else { "" };
            assert_eq!(ours, format!("{sign}{}.{:03} ms", micros / 1000, micros % 1000), "{nanos} ns");
        }
        for (nanos, text) in
            [(0, "0.000 ms"), (1_234_567, "1.235 ms"), (-499, "-0.000 ms"), (61_000_500_000, "61000.500 ms")]
        {
            let mut ours = String::new();
            super::write_ms(&mut ours, nanos);
            assert_eq!(ours, text);
        }
    }
}
