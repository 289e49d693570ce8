//! Names of versions, cipher suites, groups and signature schemes as the events print them,
//! and the highest version a ClientHello offers (the story, the roles and the text view say it).

use crate::msgs::ClientHello;
use crate::msgs::names::Name;
use crate::registry;

pub fn version_name(v: u16) -> Name {
    registry::version_name(v).map(Name::from).unwrap_or_else(|| Name::Owned(format!("0x{v:04x}")))
}

pub fn suite_name(code: u16) -> Name {
    registry::cipher_suite(code).map(|c| Name::Borrowed(c.name)).unwrap_or_else(|| Name::Owned(format!("0x{code:04x}")))
}

pub fn group_name(code: u16) -> Name {
    if registry::is_grease(code) {
        return Name::Borrowed("GREASE");
    }
    registry::group_name(code).map(Name::Borrowed).unwrap_or_else(|| Name::Owned(format!("0x{code:04x}")))
}

pub fn scheme_name(code: u16) -> Name {
    registry::signature_scheme_name(code).map(Name::Borrowed).unwrap_or_else(|| Name::Owned(format!("0x{code:04x}")))
}

/// The highest version a ClientHello offers: the top of its supported_versions (GREASE left
/// out), else its legacy version field.
pub fn highest_offered_version(ch: &ClientHello) -> u16 {
    ch.offered_versions()
        .and_then(|v| v.iter().copied().filter(|v| !registry::is_grease(*v)).max())
        .unwrap_or(ch.version)
}
