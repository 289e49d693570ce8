//! Object keys of maps: strings, and numbers and booleans in quotes.

use super::{Error, write_display, write_f32, write_f64, write_string};
use serde::ser::{self, Impossible, Serialize};

fn key_error(what: &str) -> Error {
    Error(format!("a JSON object key must be a string or a number, not {what}"))
}

/// Object keys: strings, and numbers and booleans in quotes, as sonic-rs and serde_json write
/// them.
pub(super) struct KeyWriter<'o> {
    pub(super) out: &'o mut Vec<u8>,
}

impl KeyWriter<'_> {
    fn quoted(self, write: impl FnOnce(&mut Vec<u8>)) -> Result<(), Error> {
        self.out.push(b'"');
        write(self.out);
        self.out.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.quoted(|out| out.extend_from_slice(if v { b"true" } else { b"false" }))
    }

    integers!(k, v => k.quoted(|out| write_display(out, v)));

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        if !v.is_finite() {
            return Err(key_error("a NaN or infinite number"));
        }
        self.quoted(|out| write_f32(out, v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if !v.is_finite() {
            return Err(key_error("a NaN or infinite number"));
        }
        self.quoted(|out| write_f64(out, v))
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        write_string(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_string(self.out, v);
        Ok(())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(key_error("bytes"))
    }

    fn serialize_none(self) -> Result<(), Error> {
        Err(key_error("none"))
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_error("unit"))
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<(), Error> {
        Err(key_error(name))
    }

    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<(), Error> {
        write_string(self.out, variant);
        Ok(())
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    refuse_compounds!(key_error);
}
