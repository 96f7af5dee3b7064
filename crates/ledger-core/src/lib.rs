//! The disclosure-ledger domain: what an entry is ([`model`]), its bytes ([`codec`]), who signs
//! it ([`keys`]), the agreed rules ([`policy`]), the registers derived by replaying the log
//! ([`registers`]) and the structural rules every entry must satisfy ([`rules`]).
//!
//! Pure: no database, no network, no command-line parsing. The writer and the verifier both
//! depend on this crate, so they judge entries with the same code.
pub mod checkpoints;
pub mod codec;
pub mod describe;
pub mod files;
pub mod hash;
pub mod index;
pub mod input;
pub mod integrity;
pub mod keys;
pub mod model;
pub mod policy;
pub mod registers;
pub mod rules;
