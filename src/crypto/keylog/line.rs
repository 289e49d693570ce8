//! One key log line: its label, client random and secret, or why it is not used.

/// Labels whose secrets are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Label {
    ClientRandom,
    ClientHandshake,
    ServerHandshake,
    ClientApp0,
    ServerApp0,
    ClientEarly,
    Exporter,
}

impl Label {
    pub(super) const ALL: [Label; 7] = [
        Label::ClientRandom,
        Label::ClientHandshake,
        Label::ServerHandshake,
        Label::ClientApp0,
        Label::ServerApp0,
        Label::ClientEarly,
        Label::Exporter,
    ];

    pub(super) fn name(self) -> &'static str {
        match self {
            Label::ClientRandom => "CLIENT_RANDOM",
            Label::ClientHandshake => "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            Label::ServerHandshake => "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            Label::ClientApp0 => "CLIENT_TRAFFIC_SECRET_0",
            Label::ServerApp0 => "SERVER_TRAFFIC_SECRET_0",
            Label::ClientEarly => "CLIENT_EARLY_TRAFFIC_SECRET",
            Label::Exporter => "EXPORTER_SECRET",
        }
    }

    fn from_bytes(bytes: &[u8]) -> Option<Label> {
        Label::ALL.into_iter().find(|l| l.name().as_bytes() == bytes)
    }

    /// Whether a secret of `len` bytes fits the label.
    fn accepts_len(self, len: usize) -> bool {
        match self {
            Label::ClientRandom => len == 48,
            // TLS 1.3 secrets are one hash long: SHA-256 or SHA-384.
            _ => len == 32 || len == 48,
        }
    }
}

/// Labels other tools write that carry nothing this module uses; their lines are skipped
/// silently and counted. (RSA gives a premaster secret keyed by the encrypted premaster, the early
/// exporter serves no record decryption, and later traffic secret generations, which OpenSSL logs
/// as *_TRAFFIC_SECRET_N, are derived here from generation 0 at each KeyUpdate.)
fn is_tolerated_label(label: &[u8]) -> bool {
    const TOLERATED: [&[u8]; 3] = [b"EARLY_EXPORTER_SECRET", b"RSA", b"PMS_CLIENT_RANDOM"];
    TOLERATED.contains(&label)
        || label.starts_with(b"CLIENT_TRAFFIC_SECRET_")
        || label.starts_with(b"SERVER_TRAFFIC_SECRET_")
}

/// A secret of at most 48 bytes, decoded without allocating.
pub(super) struct SecretBytes {
    bytes: [u8; 48],
    len: usize,
}

impl SecretBytes {
    pub(super) fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }
}

/// One key log line.
pub(super) enum Parsed {
    /// Blank or comment.
    Nothing,
    /// A tolerated label (see [`is_tolerated_label`]).
    Skipped,
    Secret {
        label: Label,
        random: [u8; 32],
        secret: SecretBytes,
    },
}

/// Why a line was not used.
pub(super) enum LineError<'a> {
    Fields,
    MoreFields,
    UnknownLabel(&'a [u8]),
    Random,
    NotHex(Label),
    Length(Label, usize),
}

impl std::fmt::Display for LineError<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineError::Fields => f.write_str("expected three fields: label, client random, secret"),
            LineError::MoreFields => f.write_str("more than three fields"),
            LineError::UnknownLabel(label) => write!(f, "unknown label {}, line ignored", printable(label)),
            LineError::Random => f.write_str("client random is not 64 hex digits"),
            LineError::NotHex(label) => write!(f, "{} secret is not hex", label.name()),
            LineError::Length(label, len) => {
                let expected = if *label == Label::ClientRandom { "48" } else { "32 or 48" };
                write!(f, "{} secret has {len} bytes, expected {expected}", label.name())
            }
        }
    }
}

/// Parses one line (without its newline, at most [`MAX_LINE_LEN`](super::MAX_LINE_LEN) bytes).
pub(super) fn parse_line(line: &[u8]) -> Result<Parsed, LineError<'_>> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    // A byte order mark some editors put at the start of the file.
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    let line = trim_ascii(line);
    if line.is_empty() || line.first() == Some(&b'#') {
        return Ok(Parsed::Nothing);
    }
    let mut fields = line.split(|b| *b == b' ' || *b == b'\t').filter(|f| !f.is_empty());
    let (Some(label), Some(random_hex), Some(secret_hex)) = (fields.next(), fields.next(), fields.next()) else {
        return Err(LineError::Fields);
    };
    if fields.next().is_some() {
        return Err(LineError::MoreFields);
    }
    let Some(label) = Label::from_bytes(label) else {
        return if is_tolerated_label(label) { Ok(Parsed::Skipped) } else { Err(LineError::UnknownLabel(label)) };
    };
    let mut random = [0u8; 32];
    if !decode_hex_into(random_hex, &mut random) {
        return Err(LineError::Random);
    }
    if !secret_hex.len().is_multiple_of(2) || !secret_hex.iter().all(|b| hex_value(*b).is_some()) {
        return Err(LineError::NotHex(label));
    }
    let len = secret_hex.len() / 2;
    if !label.accepts_len(len) {
        return Err(LineError::Length(label, len));
    }
    let mut secret = SecretBytes { bytes: [0; 48], len };
    let decoded = secret.bytes.get_mut(..len).is_some_and(|out| decode_hex_into(secret_hex, out));
    if decoded { Ok(Parsed::Secret { label, random, secret }) } else { Err(LineError::NotHex(label)) }
}

fn trim_ascii(mut bytes: &[u8]) -> &[u8] {
    while let Some((first, rest)) = bytes.split_first() {
        if !first.is_ascii_whitespace() {
            break;
        }
        bytes = rest;
    }
    while let Some((last, rest)) = bytes.split_last() {
        if !last.is_ascii_whitespace() {
            break;
        }
        bytes = rest;
    }
    bytes
}

/// A label shown in an issue: at most 40 characters, non-printable bytes escaped.
fn printable(bytes: &[u8]) -> String {
    let shown: String = bytes.iter().take(40).flat_map(|b| std::ascii::escape_default(*b)).map(char::from).collect();
    if bytes.len() > 40 { format!("{shown}...") } else { shown }
}

/// Value of an ASCII hex digit (either case).
fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Decodes hex digits into `out`, which must be exactly half as long.
fn decode_hex_into(hex: &[u8], out: &mut [u8]) -> bool {
    if hex.len() != out.len().saturating_mul(2) {
        return false;
    }
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let (Some(&hi), Some(&lo)) = (pair.first(), pair.get(1)) else {
            return false;
        };
        let (Some(hi), Some(lo)) = (hex_value(hi), hex_value(lo)) else {
            return false;
        };
        *byte = (hi << 4) | lo;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hex digits of either case and nothing else, over every byte; a "0x" prefix is no hex.
    #[test]
    fn hex_digits() {
        for byte in 0..=u8::MAX {
            let expected = char::from(byte).to_digit(16).map(|v| v as u8);
            assert_eq!(hex_value(byte), expected, "{byte:#04x}");
        }
        let mut out = [0u8; 2];
        assert!(decode_hex_into(b"aB0f", &mut out));
        assert_eq!(out, [0xab, 0x0f]);
        assert!(!decode_hex_into(b"0xab", &mut out));
        assert!(!decode_hex_into(b"abc", &mut out));
    }
}
