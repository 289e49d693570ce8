//! JA3 and JA3S strings: decimal code points, `-`-joined lists, `,`-joined fields, GREASE removed.

use super::{EXT_EC_POINT_FORMATS, EXT_SUPPORTED_GROUPS, ext_raw, not_grease, u16_list16};
use crate::msgs::reader::Reader;
use crate::msgs::{ClientHello, ServerHello};
use std::fmt::Display;

fn dash_list<T: Display>(values: impl IntoIterator<Item = T>) -> String {
    values.into_iter().map(|v| v.to_string()).collect::<Vec<_>>().join("-")
}

/// `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`. The version is the
/// legacy hello version (supported_versions is not consulted), as the JA3 definition fixes it.
pub(super) fn client_string(ch: &ClientHello) -> String {
    let ciphers = dash_list(ch.cipher_suites.iter().filter(|c| not_grease(c)));
    let exts = dash_list(ch.extensions.iter().map(|e| e.typ).filter(not_grease));
    let groups = dash_list(u16_list16(ext_raw(&ch.extensions, EXT_SUPPORTED_GROUPS)).iter().filter(|g| not_grease(g)));
    let point_formats = ext_raw(&ch.extensions, EXT_EC_POINT_FORMATS)
        .and_then(|r| Reader::new(r).vec8("ec_point_formats").ok())
        .map(|f| dash_list(f.iter()))
        .unwrap_or_default();
    format!("{},{ciphers},{exts},{groups},{point_formats}", ch.version)
}

/// `SSLVersion,Cipher,Extensions` of a ServerHello (legacy version, extensions in wire order).
pub(super) fn server_string(sh: &ServerHello) -> String {
    let exts = dash_list(sh.extensions.iter().map(|e| e.typ).filter(not_grease));
    format!("{},{},{exts}", sh.version, sh.cipher_suite)
}
