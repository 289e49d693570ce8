//! Test-only loader for the hex test vector files under `testdata/`.

use std::collections::HashMap;

/// Parses "name:" blocks of hex lines (blank line or next name ends a block, `#` starts a comment).
pub fn parse_vectors(text: &str) -> HashMap<String, Vec<u8>> {
    let mut out = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if line.is_empty() {
            current = None;
            continue;
        }
        if let Some(name) = line.strip_suffix(':') {
            out.insert(name.to_string(), Vec::new());
            current = Some(name.to_string());
            continue;
        }
        let name = current.as_ref().unwrap_or_else(|| panic!("hex line outside a block: {line}"));
        let digits: String = line.split_whitespace().collect();
        out.get_mut(name).unwrap().extend(hex::decode(digits).unwrap());
    }
    out
}

pub fn rfc8448() -> HashMap<String, Vec<u8>> {
    parse_vectors(include_str!("testdata/rfc8448_simple_1rtt.txt"))
}
