//! The one shape of every typed code point: a `Copy` enum with a variant per registered value
//! and `Unknown(..)` for the rest, converting losslessly from and to its wire integer.
//!
//! `gen.py` writes one `wire_enum!` call per registry into `tables.rs`, from the same CSV rows
//! as the name tables, so the variants, the codes and the names cannot drift apart.

/// Declares a wire enum.
///
/// `Variant = code => "name"` rows give each registered value its variant and registry name
/// (`name()`); `Variant = code` rows (cipher suites) leave `name()` to be written beside the
/// table that holds the names. A trailing `grease` adds `Grease(code)` for the 16 RFC 8701
/// values, named "GREASE".
macro_rules! wire_enum {
    (@names $name:ident [$($extra:tt)*] { $($variant:ident => $text:literal,)* }) => {
        impl $name {
            /// The registry's name; None for values it does not name.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $($name::$variant => Some($text),)*
                    $($extra)*
                    $name::Unknown(_) => None,
                }
            }
        }
    };
    (@names $name:ident [$($extra:tt)*] { $($variant:ident,)* }) => {};
    (
        $(#[$meta:meta])*
        pub enum $name:ident($int:ty) { $($variant:ident = $code:literal $(=> $text:literal)?,)* }
        grease
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)*
            /// One of the 16 RFC 8701 GREASE values (0x0a0a, 0x1a1a, ..., 0xfafa).
            Grease($int),
            /// A value the registry does not name.
            Unknown($int),
        }

        impl From<$int> for $name {
            fn from(code: $int) -> Self {
                match code {
                    $($code => $name::$variant,)*
                    c if super::is_grease(c) => $name::Grease(c),
                    c => $name::Unknown(c),
                }
            }
        }

        impl From<$name> for $int {
            fn from(value: $name) -> $int {
                match value {
                    $($name::$variant => $code,)*
                    $name::Grease(c) | $name::Unknown(c) => c,
                }
            }
        }

        wire_enum!(@names $name [$name::Grease(_) => Some("GREASE"),] { $($variant $(=> $text)?,)* });
    };
    (
        $(#[$meta:meta])*
        pub enum $name:ident($int:ty) { $($variant:ident = $code:literal $(=> $text:literal)?,)* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)*
            /// A value the registry does not name.
            Unknown($int),
        }

        impl From<$int> for $name {
            fn from(code: $int) -> Self {
                match code {
                    $($code => $name::$variant,)*
                    c => $name::Unknown(c),
                }
            }
        }

        impl From<$name> for $int {
            fn from(value: $name) -> $int {
                match value {
                    $($name::$variant => $code,)*
                    $name::Unknown(c) => c,
                }
            }
        }

        wire_enum!(@names $name [] { $($variant $(=> $text)?,)* });
    };
}
pub(super) use wire_enum;
