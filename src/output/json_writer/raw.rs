//! Strings written as they are: raw numbers and plain tokens.

use super::Error;
use serde::ser::{self, Impossible, Serialize};

/// The one field of a raw-value marker struct, or the string of a plain token (a
/// [`crate::msgs::names::Name`]): written as it is.
pub(super) struct RawEmitter<'o> {
    pub(super) out: &'o mut Vec<u8>,
}

fn not_raw(what: &str) -> Error {
    Error(format!("a raw JSON value must be a string, not {what}"))
}

impl ser::Serializer for RawEmitter<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.out.extend_from_slice(v.as_bytes());
        Ok(())
    }

    refuse_scalars!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_bytes(&[u8])
    );

    fn serialize_none(self) -> Result<(), Error> {
        Err(not_raw("none"))
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _value: &T) -> Result<(), Error> {
        Err(not_raw("an option"))
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Err(not_raw("unit"))
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(not_raw("a unit struct"))
    }

    fn serialize_unit_variant(self, _name: &'static str, _index: u32, _variant: &'static str) -> Result<(), Error> {
        Err(not_raw("a unit variant"))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, _value: &T) -> Result<(), Error> {
        Err(not_raw("a newtype struct"))
    }

    refuse_compounds!(not_raw);
}
