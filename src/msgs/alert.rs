//! Alert records (RFC 8446 6, RFC 5246 7.2).

use super::names;
use super::names::Name;
use serde::Serialize;

/// One alert, with numbers and names: `{"level": 2, "level_name": "fatal", "description": 48,
/// "description_name": "unknown_ca"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub level: u8,
    pub level_name: Name,
    pub description: u8,
    pub description_name: Name,
}

impl Alert {
    pub fn new(level: u8, description: u8) -> Alert {
        Alert {
            level,
            level_name: names::alert_level_name(level),
            description,
            description_name: names::alert_description_name(description),
        }
    }

    pub fn is_fatal(&self) -> bool {
        crate::registry::AlertLevel::from(self.level) == crate::registry::AlertLevel::Fatal
    }
}

/// Decodes a cleartext alert record payload. An alert is exactly two bytes; any other length
/// means the record is encrypted (or not an alert), so there is nothing to read.
pub fn decode_alert(payload: &[u8]) -> Option<Alert> {
    match payload {
        [level, description] => Some(Alert::new(*level, *description)),
        _ => None,
    }
}
