//! JA3 and JA3S strings: decimal code points, `-`-joined lists, `,`-joined fields, GREASE removed.

use super::{ext_raw, not_grease, u16_list16};
use crate::msgs::reader::Reader;
use crate::msgs::{ClientHello, ServerHello};
use crate::registry::ExtensionType;

/// Appends `values` in decimal, `-`-joined. Written into one buffer through itoa: this runs for
/// every hello of a capture, and a `String` per value, then `fmt` per value, showed in profiles.
fn dash_list<T: Into<u32>>(out: &mut String, values: impl IntoIterator<Item = T>) {
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        push_decimal(out, v.into());
    }
}

fn push_decimal(out: &mut String, v: u32) {
    out.push_str(itoa::Buffer::new().format(v));
}

/// `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`. The version is the
/// legacy hello version (supported_versions is not consulted), as the JA3 definition fixes it.
pub(super) fn client_string(ch: &ClientHello) -> String {
    let mut out = String::with_capacity(256);
    push_decimal(&mut out, ch.version.into());
    out.push(',');
    dash_list(&mut out, ch.cipher_suites.iter().copied().filter(not_grease));
    out.push(',');
    dash_list(&mut out, ch.extensions.iter().map(|e| e.typ).filter(not_grease));
    out.push(',');
    dash_list(
        &mut out,
        u16_list16(ext_raw(&ch.extensions, ExtensionType::SupportedGroups)).into_iter().filter(not_grease),
    );
    out.push(',');
    if let Some(formats) = ext_raw(&ch.extensions, ExtensionType::EcPointFormats)
        .and_then(|r| Reader::new(r).vec8("ec_point_formats").ok())
    {
        dash_list(&mut out, formats.iter().copied());
    }
    out
}

/// `SSLVersion,Cipher,Extensions` of a ServerHello (legacy version, extensions in wire order).
pub(super) fn server_string(sh: &ServerHello) -> String {
    let mut out = String::with_capacity(64);
    push_decimal(&mut out, sh.version.into());
    out.push(',');
    push_decimal(&mut out, sh.cipher_suite.into());
    out.push(',');
    dash_list(&mut out, sh.extensions.iter().map(|e| e.typ).filter(not_grease));
    out
}
