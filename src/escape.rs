//! File and interface names as they are put into messages: control characters escaped, so
//! that a newline or an escape sequence in a name can neither split an error line nor drive
//! the terminal.

use std::borrow::Cow;
use std::fmt::Write;
use std::path::Path;

/// `text` with every control character written as `\n`, `\t`, `\r` or `\x1b` (`\u{85}` for
/// the C1 controls); unchanged, and not copied, when it has none.
pub fn controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii_control() => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A path for a message: lossy UTF-8, control characters escaped.
pub fn path(p: &Path) -> String {
    controls(&p.to_string_lossy()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert!(matches!(controls("plain name.pcap"), Cow::Borrowed("plain name.pcap")));
        assert_eq!(controls("a\nb\tc\rd"), "a\\nb\\tc\\rd");
        assert_eq!(controls("\x1b[31mred\x07\x00\x7f"), "\\x1b[31mred\\x07\\x00\\x7f");
        assert_eq!(controls("c1\u{85}x"), "c1\\u{85}x");
        // Printable non-ASCII and backslashes stay as they are.
        assert_eq!(controls("café\\ü"), "café\\ü");
        assert_eq!(path(Path::new("/tmp/x\ny.pcap")), "/tmp/x\\ny.pcap");
    }

    #[test]
    fn escaped_text_has_no_control_characters_left() {
        let all: String = (0u32..0x200).filter_map(char::from_u32).collect();
        let shown = controls(&all);
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert_eq!(shown.lines().count(), 1);
    }
}
