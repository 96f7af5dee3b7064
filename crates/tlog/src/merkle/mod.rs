//! RFC 6962 / RFC 9162 Merkle tree: roots, inclusion proofs and consistency proofs.
//!
//! This module owns the tree arithmetic and nothing else: it never opens a
//! file or a database. Hashes live in storage at *stored hash indexes*, the
//! dense linear layout of Go's `golang.org/x/mod/sumdb/tlog`
//! ([`stored_hash_index`]): appending record `n` stores its leaf hash followed
//! by the hash of every complete subtree that record closes
//! ([`stored_hashes`]). With that layout a root ([`tree_hash`]), an inclusion
//! proof ([`prove_inclusion`]) or a consistency proof ([`prove_consistency`])
//! costs one [`HashReader::read_hashes`] call of O(log n) hashes, however large
//! the tree grows.
//!
//! Verification ([`verify_inclusion`], [`verify_consistency`]) is pure — it
//! reads no storage — and follows RFC 9162 §2.1.3.2 and §2.1.4.2 step by step.
//!
//! Two deliberate differences from Go's `tlog`:
//! - sizes and indexes are `u64`, and every function refuses trees larger than
//!   [`MAX_TREE_SIZE`] instead of overflowing;
//! - the root of the empty tree is `SHA-256("")` as RFC 6962 §2.1 defines it
//!   ([`empty_tree_hash`]), where Go's `tlog.TreeHash(0, …)` returns all zeros.

mod compact;
mod index;
mod tree;
mod verify;

pub use compact::CompactRange;
pub use index::{MAX_TREE_SIZE, split_stored_hash_index, stored_hash_count, stored_hash_index};
pub use tree::{
    MemoryHashes, MemoryHashesError, compact_range, complete_subtree_hash, empty_tree_hash,
    prove_consistency, prove_inclusion, stored_hashes, tree_hash,
};
pub use verify::{verify_consistency, verify_inclusion};

use crate::hash::Digest;

/// Read access to the hashes a log has stored, addressed by stored hash index.
///
/// This is the Rust shape of Go `tlog.HashReader`. An implementation backed by
/// a database returns its own error type; the tree functions of this crate wrap it
/// in [`ProofError::Storage`], from which the caller can downcast it again.
pub trait HashReader {
    /// The storage error, e.g. a redb error or an I/O error.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Returns the hashes stored at `indexes`, in the same order.
    ///
    /// Must return exactly `indexes.len()` hashes or an error. Callers in this
    /// crate always pass the indexes in increasing order and each at most once.
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Digest>, Self::Error>;
}

impl<T: HashReader + ?Sized> HashReader for &T {
    type Error = T::Error;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Digest>, Self::Error> {
        (**self).read_hashes(indexes)
    }
}

/// Why a Merkle proof could not be produced or did not verify.
///
/// Every variant except [`ProofError::Storage`] and
/// [`ProofError::ReaderReturnedWrongCount`] means the *inputs* are wrong (or
/// forged): do not trust the leaf, root or checkpoint they came with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The leaf index is not inside the tree (`index >= size`).
    #[error(
        "leaf index {index} is outside a tree of size {size}; \
         ask for a proof against a checkpoint whose size is larger than the index"
    )]
    IndexOutOfRange {
        /// Requested leaf index.
        index: u64,
        /// Tree size the proof is for.
        size: u64,
    },

    /// A consistency proof was asked for from a larger tree to a smaller one.
    #[error(
        "the old tree size {old_size} is larger than the new tree size {new_size}; \
         pass the sizes in the order old, new (a log never shrinks)"
    )]
    SizeDecreased {
        /// The size that should be the smaller one.
        old_size: u64,
        /// The size that should be the larger one.
        new_size: u64,
    },

    /// A consistency proof from the empty tree was asked for or offered.
    #[error(
        "a consistency proof from the empty tree (old size 0) proves nothing and is refused \
         (RFC 9162 §2.1.4.2 requires 0 < old size); start from a checkpoint with at least one leaf"
    )]
    EmptyOldTree,

    /// Two tree heads of the same size have different roots: the log has forked.
    #[error(
        "two tree heads of size {size} have different roots ({} and {}): \
         the log has shown two different histories; keep both signed checkpoints as evidence",
        hex::encode(first),
        hex::encode(second)
    )]
    SameSizeDifferentRoots {
        /// The common tree size.
        size: u64,
        /// The first root.
        first: Digest,
        /// The second root.
        second: Digest,
    },

    /// The proof has the wrong number of hashes for the given index and sizes.
    #[error(
        "the proof has {got} hashes but exactly {expected} are needed for these sizes and index; \
         it was made for another tree or has been truncated or padded"
    )]
    WrongProofLength {
        /// Number of hashes that a proof for these parameters must have.
        expected: usize,
        /// Number of hashes supplied.
        got: usize,
    },

    /// The proof leads to a root other than the one expected (for a
    /// consistency proof: the new tree's root).
    #[error(
        "the proof leads to root {} but the expected root is {}; \
         the leaf, the proof or the root is not genuine",
        hex::encode(computed),
        hex::encode(expected)
    )]
    RootMismatch {
        /// The root the caller trusts.
        expected: Digest,
        /// The root recomputed from the proof.
        computed: Digest,
    },

    /// A consistency proof does not reproduce the old tree's root.
    #[error(
        "the consistency proof leads to old root {} but the expected old root is {}; \
         the old checkpoint and the proof do not belong together",
        hex::encode(computed),
        hex::encode(expected)
    )]
    OldRootMismatch {
        /// The old root the caller trusts.
        expected: Digest,
        /// The old root recomputed from the proof.
        computed: Digest,
    },

    /// The tree is larger than this implementation's index arithmetic allows.
    #[error("tree size {size} exceeds the supported maximum of {max} leaves")]
    TreeTooLarge {
        /// Requested size.
        size: u64,
        /// [`MAX_TREE_SIZE`].
        max: u64,
    },

    /// The hash reader failed.
    #[error("reading stored hashes failed: {0}")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),

    /// The hash reader broke its contract by returning the wrong number of hashes.
    #[error(
        "the hash reader returned {returned} hashes for {requested} indexes; \
         the storage is damaged or the reader is buggy"
    )]
    ReaderReturnedWrongCount {
        /// Number of indexes asked for.
        requested: usize,
        /// Number of hashes returned.
        returned: usize,
    },
}
