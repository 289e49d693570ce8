//! The `--json` output's serializer: serde's data model written as compact JSON into a `Vec`,
//! byte for byte what sonic-rs writes.
//!
//! Written here rather than used from sonic-rs because of object keys: sonic-rs sends every
//! struct field's name through its general string escaper, and an event has dozens of keys.
//! Field names and enum variant names are our own identifiers and are copied as they are, and so
//! are names (`msgs::names::Name`, known by its serde newtype name `NAME`: registry names
//! and identifiers, never capture text); map keys and other strings still go through sonic-rs's
//! escaper, numbers through the same `itoa` and float formatting it uses. BENCHMARKS.md has the
//! measured difference.

use serde::ser::{self, Serialize};
use sonic_rs::format::{CompactFormatter, Formatter};
use std::fmt;

use keys::KeyWriter;
use raw::RawEmitter;

/// The newtype-struct name under which `msgs::names::Name` serializes. Names never need
/// escaping (the `msgs::names` tests check every code point of every table), so the writer
/// copies them.
const NAME: &str = "Name";

/// Appends `value` as compact JSON to `out`.
pub fn write<T: ?Sized + Serialize>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    value.serialize(&mut Writer { out })
}

#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// The struct name through which a type asks for its string to be written as a raw JSON number
/// (one it formatted itself, like `time::Timestamp`): sonic-rs's marker, so both write the same.
const RAW_NUMBER_TOKEN: &str = "$sonic_rs::private::JsonNumber";

/// The ten integer methods of a `Serializer`: each evaluates `$body` with `$this` bound to the
/// serializer and `$v` to the value.
macro_rules! integers {
    ($this:ident, $v:ident => $body:expr) => {
        integers!(@each $this, $v, $body;
            serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64),
            serialize_i128(i128), serialize_u8(u8), serialize_u16(u16), serialize_u32(u32),
            serialize_u64(u64), serialize_u128(u128));
    };
    (@each $this:ident, $v:ident, $body:expr; $($method:ident($t:ty)),*) => {$(
        fn $method(self, $v: $t) -> Result<(), Error> {
            let $this = self;
            $body
        }
    )*};
}

/// The compound methods of a `Serializer` that takes none (object keys, raw values): each
/// returns `Err($refuse(what))`.
macro_rules! refuse_compounds {
    ($refuse:expr) => {
        fn serialize_newtype_variant<T: ?Sized + Serialize>(
            self,
            _name: &'static str,
            _index: u32,
            _variant: &'static str,
            _value: &T,
        ) -> Result<(), Error> {
            Err($refuse("a newtype variant"))
        }

        fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
            Err($refuse("a sequence"))
        }

        fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
            Err($refuse("a tuple"))
        }

        fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeTupleStruct, Error> {
            Err($refuse("a tuple struct"))
        }

        fn serialize_tuple_variant(
            self,
            _name: &'static str,
            _index: u32,
            _variant: &'static str,
            _len: usize,
        ) -> Result<Self::SerializeTupleVariant, Error> {
            Err($refuse("a tuple variant"))
        }

        fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
            Err($refuse("a map"))
        }

        fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, Error> {
            Err($refuse("a struct"))
        }

        fn serialize_struct_variant(
            self,
            _name: &'static str,
            _index: u32,
            _variant: &'static str,
            _len: usize,
        ) -> Result<Self::SerializeStructVariant, Error> {
            Err($refuse("a struct variant"))
        }
    };
}

/// Scalar methods of the raw-value emitter, which takes only a string.
macro_rules! refuse_scalars {
    ($($method:ident($t:ty)),*) => {$(
        fn $method(self, _v: $t) -> Result<(), Error> {
            Err(not_raw(stringify!($t)))
        }
    )*};
}

mod keys;
mod raw;
#[cfg(test)]
mod tests;

/// The compound traits whose items are bare values (arrays).
macro_rules! elements {
    ($($tr:ident::$method:ident),*) => {$(
        impl ser::$tr for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;

            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }

            fn end(self) -> Result<(), Error> {
                self.finish()
            }
        }
    )*};
}

/// The compound traits whose items are named fields (objects).
macro_rules! fields {
    ($($tr:ident),*) => {$(
        impl ser::$tr for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;

            // Inlined into each derived `serialize`, where `key` is a literal of known length.
            #[inline(always)]
            fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
                self.field(key, value)
            }

            fn end(self) -> Result<(), Error> {
                self.finish()
            }
        }
    )*};
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

/// A JSON string of `s`, escaped as JSON requires (sonic-rs's SIMD escaper; a byte loop over
/// short strings measured slower).
fn write_string(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = CompactFormatter.write_string_fast(out, s, true);
}

/// A struct field's name as an object key, with its colon. Field names come from our own
/// `#[derive(Serialize)]` types (identifiers and `rename`s), never from capture data, and need
/// no escaping; `tests/json_writer.rs` holds every event of the fixtures and the corpus to
/// sonic-rs's bytes.
#[inline(always)]
fn write_field_key(out: &mut Vec<u8>, key: &'static str) {
    write_own_name(out, key, b"\":");
}

/// An enum variant's name, quoted: like field names, variant names are our own identifiers.
#[inline(always)]
fn write_identifier(out: &mut Vec<u8>, name: &'static str) {
    write_own_name(out, name, b"\"");
}

/// `"`, one of our own names copied as it is, then `closing`. Always inlined as far as the
/// derived code, where the name's length is a constant.
#[inline(always)]
fn write_own_name(out: &mut Vec<u8>, name: &'static str, closing: &[u8]) {
    out.reserve(name.len() + 1 + closing.len());
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(closing);
}

fn write_display(out: &mut Vec<u8>, n: impl itoa::Integer) {
    push_short(out, itoa::Buffer::new().format(n).as_bytes());
}

/// Appends a number's digits, copied with a length the compiler knows for up to six of them
/// (most numbers in the output): a `memcpy` call each cost more (BENCHMARKS.md).
#[inline(always)]
fn push_short(out: &mut Vec<u8>, bytes: &[u8]) {
    match *bytes {
        [a] => out.push(a),
        [a, b] => out.extend_from_slice(&[a, b]),
        [a, b, c] => out.extend_from_slice(&[a, b, c]),
        [a, b, c, d] => out.extend_from_slice(&[a, b, c, d]),
        [a, b, c, d, e] => out.extend_from_slice(&[a, b, c, d, e]),
        [a, b, c, d, e, f] => out.extend_from_slice(&[a, b, c, d, e, f]),
        _ => out.extend_from_slice(bytes),
    }
}

fn write_f64(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        let _ = CompactFormatter.write_f64(out, v);
    } else {
        out.extend_from_slice(b"null");
    }
}

fn write_f32(out: &mut Vec<u8>, v: f32) {
    if v.is_finite() {
        let _ = CompactFormatter.write_f32(out, v);
    } else {
        out.extend_from_slice(b"null");
    }
}

impl<'w, 'a> ser::Serializer for &'w mut Writer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'w, 'a>;
    type SerializeTuple = Compound<'w, 'a>;
    type SerializeTupleStruct = Compound<'w, 'a>;
    type SerializeTupleVariant = Compound<'w, 'a>;
    type SerializeMap = Compound<'w, 'a>;
    type SerializeStruct = Compound<'w, 'a>;
    type SerializeStructVariant = Compound<'w, 'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        // One constant-length copy per branch, not a copy of a length known only at run time.
        if v {
            self.out.extend_from_slice(b"true");
        } else {
            self.out.extend_from_slice(b"false");
        }
        Ok(())
    }

    integers!(w, v => {
        write_display(w.out, v);
        Ok(())
    });

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        write_f32(self.out, v);
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        write_f64(self.out, v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        write_string(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_string(self.out, v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        self.out.push(b'[');
        for (i, b) in v.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            write_display(self.out, *b);
        }
        self.out.push(b']');
        Ok(())
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    // Like `serialize_field`: the variant name, and below the struct's name compared with the
    // marker tokens, are constants where the derived code calls these.
    #[inline(always)]
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<(), Error> {
        write_identifier(self.out, variant);
        Ok(())
    }

    #[inline(always)]
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, name: &'static str, value: &T) -> Result<(), Error> {
        if name == NAME {
            self.out.push(b'"');
            value.serialize(RawEmitter { out: self.out })?;
            self.out.push(b'"');
            return Ok(());
        }
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.out.push(b'{');
        write_identifier(self.out, variant);
        self.out.push(b':');
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'w, 'a>, Error> {
        self.out.push(b'[');
        Ok(Compound { w: self, first: true, close: b"]", raw: false })
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'w, 'a>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Compound<'w, 'a>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'w, 'a>, Error> {
        self.out.push(b'{');
        write_identifier(self.out, variant);
        self.out.extend_from_slice(b":[");
        Ok(Compound { w: self, first: true, close: b"]}", raw: false })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'w, 'a>, Error> {
        self.out.push(b'{');
        Ok(Compound { w: self, first: true, close: b"}", raw: false })
    }

    #[inline(always)]
    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Compound<'w, 'a>, Error> {
        if name == RAW_NUMBER_TOKEN {
            return Ok(Compound { w: self, first: true, close: b"", raw: true });
        }
        self.out.push(b'{');
        Ok(Compound { w: self, first: true, close: b"}", raw: false })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'w, 'a>, Error> {
        self.out.push(b'{');
        write_identifier(self.out, variant);
        self.out.extend_from_slice(b":{");
        Ok(Compound { w: self, first: true, close: b"}}", raw: false })
    }
}

pub struct Compound<'w, 'a> {
    w: &'w mut Writer<'a>,
    first: bool,
    /// Written at the end: `]`, `}`, or those closing a variant's wrapping object too.
    close: &'static [u8],
    /// A raw-value marker: nothing to open or close, its one field is written as it is.
    raw: bool,
}

impl Compound<'_, '_> {
    #[inline(always)]
    fn comma(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.w.out.push(b',');
        }
    }

    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.w)
    }

    /// Always inlined, down to the key's copy (see `serialize_field`).
    #[inline(always)]
    fn field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        if self.raw {
            return value.serialize(RawEmitter { out: self.w.out });
        }
        self.comma();
        write_field_key(self.w.out, key);
        value.serialize(&mut *self.w)
    }

    fn finish(self) -> Result<(), Error> {
        self.w.out.extend_from_slice(self.close);
        Ok(())
    }
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        key.serialize(KeyWriter { out: self.w.out })?;
        self.w.out.push(b':');
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.w)
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

fields!(SerializeStruct, SerializeStructVariant);
