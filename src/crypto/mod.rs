//! Seeing through TLS encryption with a key log: NSS key log parsing, cipher suite parameters,
//! the SSL 3.0 and TLS 1.0-1.3 key derivations, handshake transcripts, record decryption and
//! Finished checks.
//!
//! The connection layer drives it record by record:
//!
//! 1. [`KeyLog`] gives the secrets of a connection by its client random.
//! 2. Once the ServerHello is known, build one [`RecordDecryptor`] per direction:
//!    [`RecordDecryptor::tls13`] from a traffic secret (handshake secrets first, application
//!    secrets after each side's Finished), or [`RecordDecryptor::tls12`] from the master secret
//!    after each side's ChangeCipherSpec (SSL 3.0 too, with [`ssl3`]'s key block and MAC).
//! 3. Feed each protected record to [`RecordDecryptor::decrypt`]; the plaintext holds the real
//!    content type and the handshake bytes to frame.
//! 4. Push each handshake message into a [`Transcript`] and check Finished messages with
//!    [`tls13::verify_finished`], [`tls12::verify_finished`] or [`ssl3::verify_finished`].
//!
//! Everything is built on RustCrypto primitives (and ring for AES-GCM and ChaCha20) except SEED,
//! which no maintained crate offers ([`seed`], checked against RFC 4269). Otherwise only the
//! TLS-specific glue (labels, nonce and additional data layout, CBC record padding and MAC) is
//! written here, as no crate offers it without also being a full TLS endpoint.

#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod dtls13;
pub mod hash;
pub mod keylog;
pub mod record;
pub mod rsa_kx;
pub mod seed;
pub mod ssl3;
pub mod suites;
pub mod tls12;
pub mod tls13;
pub mod transcript;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod testvectors;

pub use hash::HashAlg;
pub use keylog::{KeyLog, KeyLogFollower, KeyLogIssue, KeyLogStats, Secrets};
pub use record::{DecryptError, Plaintext, RecordDecryptor};
pub use suites::{CipherKind, CipherMode, SuiteParams, suite, unsupported_reason};
pub use transcript::Transcript;
