//! disclosure-ledger: a tamper-evident, signed, append-only ledger of the information UK
//! regulators disclose to each other, and a verifier that proves its integrity.
//!
//! The `dledger` binary is a thin shell over this library. Data flows one way:
//! input → [`model`] (validated by [`ledger`]) → [`codec`] → [`keys`] (sign) → [`store`]
//! (append) → [`verify`] / [`export`] read back. Only [`store`] knows redb; only the binary's
//! `cli` knows clap.

pub mod bulk;
pub mod checkpoint;
pub mod codec;
pub mod describe;
pub mod evidence;
pub mod export;
pub mod hash;
pub mod incremental;
pub mod index;
pub mod input;
pub mod integrity;
pub mod keys;
pub mod ledger;
pub mod merkle;
pub mod model;
pub mod policy;
pub mod registers;
pub mod review;
pub mod rules;
pub mod sample;
pub mod store;
pub mod stream;
pub mod upgrade;
pub mod verify;
pub mod witness;
