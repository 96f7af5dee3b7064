//! Transparency-log parts with no ledger domain in them: RFC 6962 hashing and Merkle trees,
//! inclusion and consistency proofs, and the C2SP text formats (signed notes, checkpoints,
//! cosignatures, tlog-proof, tile paths), each to the byte.
//!
//! This crate never opens a file or a database and knows nothing of disclosures; the ledger
//! (`ledger-core`, `ledger-store`) builds on it.
pub mod checkpoint;
pub mod hash;
pub mod merkle;
pub mod tile;
