//! disclosure-ledger: a tamper-evident, signed, append-only ledger of the information UK
//! regulators disclose to each other, and a verifier that proves its integrity.
//!
//! The `dledger` binary is a thin shell over this library. Data flows one way:
//! input → [`model`] (validated by [`ledger`]) → [`codec`] → [`keys`] (sign) → [`store`]
//! (append) → [`verify`] / [`export`] read back. Only [`store`] knows redb; only the binary's
//! `cli` knows clap.

pub use ledger_core::{
    checkpoints, codec, describe, files, hash, input, integrity, keys, model, policy, registers,
    rules,
};
pub use ledger_store as store;

pub mod bucket;
pub mod bulk;
pub mod dispositions;
pub mod entry_index;
pub mod evidence;
pub mod export;
pub mod incremental;
pub mod index;
pub mod index_copy;
pub mod ledger;
pub mod node;
pub mod proofs;
pub mod publish;
pub mod query;
pub mod remote;
pub mod retention;
pub mod review;
pub mod stream;
pub mod tiles;
pub mod upgrade;
pub mod verify;
pub mod waiting;
pub mod witness;
