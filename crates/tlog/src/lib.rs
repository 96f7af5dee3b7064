//! Transparency-log parts with no ledger domain in them: RFC 6962 hashing and Merkle trees,
//! inclusion and consistency proofs, and the C2SP text formats (signed notes, checkpoints,
//! cosignatures, tlog-proof, tile paths), each to the byte.
//!
//! This crate never opens a file or a database and knows nothing of disclosures; the ledger
//! (`ledger-core`, `ledger-store`) builds on it. Its API is flat: every item is used as
//! `tlog::Name`.
//!
//! # What is here
//!
//! - **Hashing** (RFC 6962 §2.1): [`leaf_hash`], [`node_hash`], [`sha256`] and the [`Digest`]
//!   they return.
//! - **Merkle trees** (RFC 6962 / RFC 9162): hashes live in storage at *stored hash indexes*
//!   ([`stored_hash_index`]), the dense layout of Go's `golang.org/x/mod/sumdb/tlog`;
//!   appending record `n` stores its leaf hash and the hash of every complete subtree it closes
//!   ([`stored_hashes`]). Behind a [`HashReader`] (a database, or [`MemoryHashes`] in memory) a
//!   root ([`tree_hash`]), an inclusion proof ([`prove_inclusion`]) or a consistency proof
//!   ([`prove_consistency`]) costs one read of O(log n) hashes. Verification
//!   ([`verify_inclusion`], [`verify_consistency`]) reads no storage. [`CompactRange`] computes
//!   roots while streaming leaves. Unlike Go's `tlog`, sizes are `u64` capped at
//!   [`MAX_TREE_SIZE`], and the empty tree's root is `SHA-256("")` ([`empty_tree_hash`]).
//! - **Signed notes** ([c2sp.org/signed-note](https://c2sp.org/signed-note)): [`Note`],
//!   [`NoteSignature`], verifier keys ([`VerifierKey`], `name+keyid+base64`) and Go's
//!   `PRIVATE+KEY+…` signer keys ([`SignerKey`]); [`Note::verify`] checks a note against the
//!   keys the caller trusts.
//! - **Cosignatures** ([c2sp.org/tlog-cosignature](https://c2sp.org/tlog-cosignature)): the
//!   timestamped Ed25519 `cosignature/v1` type ([`KeyKind::CosignatureV1`], [`Note::cosign`],
//!   [`NoteSignature::cosignature_timestamp`]).
//! - **Checkpoints** ([c2sp.org/tlog-checkpoint](https://c2sp.org/tlog-checkpoint)):
//!   [`Checkpoint`], and [`open_checkpoint`], which checks a checkpoint note's log signature,
//!   cosignatures and origin in one call.
//! - **Offline proofs** ([c2sp.org/tlog-proof](https://c2sp.org/tlog-proof)): [`TlogProof`].
//! - **Tiles** ([c2sp.org/tlog-tiles](https://c2sp.org/tlog-tiles)): [`Tile`] paths,
//!   [`parse_tile_path`] and the tiles of a tree ([`tiles_for_size`]).
//!
//! Parsing is strict, so that no input has two readings: notes are UTF-8 without control
//! characters other than newline, base64 is canonical standard base64 with padding, decimals
//! have no leading zeros, and every length is checked before use. Ed25519 signatures are checked
//! with `verify_strict`. This crate does not decide which keys to trust, how many cosignatures
//! are enough, or where anything is stored.
//!
//! # Example: a tree, its root and an inclusion proof
//!
//! ```
//! use tlog::{MemoryHashes, leaf_hash, prove_inclusion, tree_hash, verify_inclusion};
//!
//! let leaves: Vec<tlog::Digest> = [&b"alpha"[..], b"beta", b"gamma", b"delta", b"epsilon"]
//!     .iter()
//!     .map(|entry| leaf_hash(entry))
//!     .collect();
//! let store = MemoryHashes::from_leaf_hashes(leaves.iter().copied());
//!
//! let root = tree_hash(5, &store)?;
//! let proof = prove_inclusion(2, 5, &store)?;
//! assert_eq!(proof.len(), 3);
//! verify_inclusion(&proof, 2, 5, &leaves[2], &root)?;
//!
//! // A proof for another leaf does not verify.
//! assert!(verify_inclusion(&proof, 2, 5, &leaves[3], &root).is_err());
//! # Ok::<(), tlog::ProofError>(())
//! ```
//!
//! # Example: sign, cosign and open a checkpoint
//!
//! ```
//! use tlog::{Checkpoint, KeyKind, SignerKey, open_checkpoint};
//!
//! // Keys from fixed seeds; a real log keeps its seed secret.
//! let log = SignerKey::from_seed("example.com/log", KeyKind::Ed25519, &[1; 32])?;
//! let witness = SignerKey::from_seed("example.com/witness", KeyKind::CosignatureV1, &[2; 32])?;
//!
//! let checkpoint = Checkpoint {
//!     origin: "example.com/log".to_owned(),
//!     size: 5,
//!     root: [7; 32],
//!     extensions: vec![],
//! };
//! let mut note = checkpoint.sign(&log)?;
//! note.cosign(&witness, 1_700_000_000)?;
//! let text = note.to_string();
//! assert!(text.starts_with("example.com/log\n5\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n\u{2014} example.com/log "));
//!
//! // A verifier holds only the public keys, in their text form.
//! let log_key: tlog::VerifierKey = log.verifier().to_string().parse()?;
//! let witness_key: tlog::VerifierKey = witness.verifier().to_string().parse()?;
//! let opened = open_checkpoint(text.as_bytes(), "example.com/log", &log_key, &[witness_key])?;
//! assert_eq!(opened.checkpoint, checkpoint);
//! assert_eq!(opened.cosignatures().count(), 1);
//!
//! // One changed byte and the note no longer opens.
//! let forged = text.replacen("\n5\n", "\n6\n", 1);
//! assert!(open_checkpoint(forged.as_bytes(), "example.com/log", &log_key, &[]).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(unreachable_pub)]

mod checkpoint;
mod cosignature;
mod hash;
mod key;
pub mod map;
mod merkle;
mod note;
mod proof;
mod text;
mod tile;

pub use checkpoint::{Checkpoint, CheckpointError, OpenError, VerifiedCheckpoint, open_checkpoint};
pub use cosignature::MAX_COSIGNATURE_TIMESTAMP;
pub use hash::{Digest, LEAF_HASH_PREFIX, NODE_HASH_PREFIX, leaf_hash, node_hash, sha256};
pub use key::{KeyError, KeyKind, SignerKey, VerifierKey, key_id};
pub use merkle::{
    CompactRange, HashReader, MAX_TREE_SIZE, MemoryHashes, MemoryHashesError, ProofError,
    compact_range, complete_subtree_hash, empty_tree_hash, prove_consistency, prove_inclusion,
    split_stored_hash_index, stored_hash_count, stored_hash_index, stored_hashes, tree_hash,
    verify_consistency, verify_inclusion,
};
pub use note::{MAX_SIGNATURES, Note, NoteError, NoteSignature, VerifiedSignature, VerifyError};
pub use proof::{MAX_PROOF_HASHES, TlogProof, TlogProofError};
pub use tile::{
    MAX_TILE_LEVEL, TILE_HEIGHT, TILE_WIDTH, Tile, TilePath, TilePathError, entry_bundles_for_size,
    parse_tile_path, tiles_at_level, tiles_for_size,
};
