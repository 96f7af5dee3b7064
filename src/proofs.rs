//! Proofs made from a ledger for `dledger prove`: an RFC 6962 inclusion proof of one entry, a
//! consistency proof between two tree sizes, and the C2SP tlog-proof that pairs an inclusion
//! proof with the stored checkpoint of its size. Every proof is checked against the roots it
//! leads to before it is returned, so a damaged tree is reported, never handed out.

use crate::hash::{Digest, leaf_hash};
use crate::model::Seq;
use crate::store::{LogReader, StoreError};
use tlog::{Checkpoint, CheckpointError, Note, NoteError, ProofError, TlogProof};

/// Why a proof could not be made. Nothing here is a finding about the ledger's history except
/// [`ProveError::CheckpointMismatch`] and [`ProveError::Tree`], which mean it is damaged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProveError {
    /// The entry is not in the tree asked for (or the tree is larger than the ledger).
    #[error("entry #{seq} is not in a tree of {size} entries (the ledger has {len})")]
    NotInTree {
        /// The entry.
        seq: Seq,
        /// The tree size asked for.
        size: u64,
        /// Entries in the ledger.
        len: u64,
    },
    /// The two sizes of a consistency proof are not 0 < old ≤ new ≤ the ledger's size.
    #[error(
        "a consistency proof needs 0 < OLD <= NEW <= {len} (the ledger's size); got {old} and {new}"
    )]
    BadRange {
        /// Old size.
        old: u64,
        /// New size.
        new: u64,
        /// Entries in the ledger.
        len: u64,
    },
    /// No checkpoint is stored, so there is no tree head to prove against.
    #[error("no checkpoint is stored in the ledger")]
    NoCheckpoint,
    /// No checkpoint is stored for that tree size.
    #[error("no checkpoint is stored for tree size {size}")]
    NoCheckpointAtSize {
        /// The size asked for.
        size: u64,
    },
    /// The stored checkpoint of that size does not match the log's root: the ledger is damaged
    /// or its history was rewritten.
    #[error("the stored checkpoint of size {size} does not match the log's root at that size")]
    CheckpointMismatch {
        /// The size.
        size: u64,
    },
    /// An entry the tree claims is missing from the file.
    #[error("entry #{0} is missing from the ledger file")]
    MissingEntry(Seq),
    /// The stored checkpoint is not a valid note.
    #[error("the stored checkpoint cannot be read: {0}")]
    Note(#[from] NoteError),
    /// The stored note is not a valid checkpoint.
    #[error("the stored checkpoint cannot be read: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// Reading the ledger failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The tree's stored hashes do not give a valid proof (the ledger is damaged).
    #[error("the ledger's Merkle hashes do not give a valid proof: {0}")]
    Tree(#[from] ProofError),
}

/// A checked RFC 6962 inclusion proof: entry `index` is leaf `index` of the tree of the first
/// `tree_size` entries, whose root is `root_hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// The entry.
    pub index: Seq,
    /// The tree size.
    pub tree_size: u64,
    /// The entry's leaf hash: SHA-256(0x00 ‖ entry bytes).
    pub leaf_hash: Digest,
    /// The tree's root hash.
    pub root_hash: Digest,
    /// The audit path, from the leaf's sibling up.
    pub proof: Vec<Digest>,
}

impl InclusionProof {
    /// The proof as JSON, every hash in lowercase hex.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "index": self.index.0,
            "tree_size": self.tree_size,
            "leaf_hash": hex::encode(self.leaf_hash),
            "root_hash": hex::encode(self.root_hash),
            "proof": self.proof.iter().map(hex::encode).collect::<Vec<_>>(),
        })
    }
}

/// A checked RFC 6962 consistency proof: the tree of the first `old_size` entries is a prefix
/// of the tree of the first `new_size`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyProof {
    /// Old tree size.
    pub old_size: u64,
    /// New tree size.
    pub new_size: u64,
    /// Root of the old tree.
    pub old_root: Digest,
    /// Root of the new tree.
    pub new_root: Digest,
    /// The proof hashes.
    pub proof: Vec<Digest>,
}

impl ConsistencyProof {
    /// The proof as JSON, every hash in lowercase hex.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "old_size": self.old_size,
            "new_size": self.new_size,
            "old_root": hex::encode(self.old_root),
            "new_root": hex::encode(self.new_root),
            "proof": self.proof.iter().map(hex::encode).collect::<Vec<_>>(),
        })
    }
}

/// The size of the latest stored checkpoint, if any.
pub fn latest_checkpoint_size(store: &impl LogReader) -> Result<Option<u64>, ProveError> {
    Ok(store.checkpoints()?.last().map(|(n, _)| *n))
}

/// Proves that entry `seq` is in the tree of the first `size` entries, and checks the proof.
pub fn prove_inclusion(
    store: &impl LogReader,
    seq: Seq,
    size: u64,
) -> Result<InclusionProof, ProveError> {
    let len = store.len()?;
    if seq.0 >= size || size > len {
        return Err(ProveError::NotInTree { seq, size, len });
    }
    let leaf = store
        .get(seq.0)?
        .map(|r| leaf_hash(&r.bytes))
        .ok_or(ProveError::MissingEntry(seq))?;
    let proof = tlog::prove_inclusion(seq.0, size, store)?;
    let root = tlog::tree_hash(size, store)?;
    tlog::verify_inclusion(&proof, seq.0, size, &leaf, &root)?;
    Ok(InclusionProof {
        index: seq,
        tree_size: size,
        leaf_hash: leaf,
        root_hash: root,
        proof,
    })
}

/// Pairs a checked inclusion proof with the stored checkpoint of its tree size, as a C2SP
/// `tlog-proof@v1`.
pub fn tlog_proof(store: &impl LogReader, proof: &InclusionProof) -> Result<TlogProof, ProveError> {
    let size = proof.tree_size;
    let (_, note) = store
        .checkpoints()?
        .into_iter()
        .find(|(n, _)| *n == size)
        .ok_or(ProveError::NoCheckpointAtSize { size })?;
    let checkpoint = Note::parse(&note)?;
    let cp = Checkpoint::from_note(&checkpoint)?;
    if cp.root != proof.root_hash {
        return Err(ProveError::CheckpointMismatch { size });
    }
    Ok(TlogProof {
        extra: None,
        index: proof.index.0,
        proof: proof.proof.clone(),
        checkpoint,
    })
}

/// Proves that the tree of the first `old` entries is a prefix of the tree of the first `new`,
/// and checks the proof.
pub fn prove_consistency(
    store: &impl LogReader,
    old: u64,
    new: u64,
) -> Result<ConsistencyProof, ProveError> {
    let len = store.len()?;
    if old == 0 || old > new || new > len {
        return Err(ProveError::BadRange { old, new, len });
    }
    let proof = tlog::prove_consistency(old, new, store)?;
    let (old_root, new_root) = (tlog::tree_hash(old, store)?, tlog::tree_hash(new, store)?);
    tlog::verify_consistency(&proof, old, new, &old_root, &new_root)?;
    Ok(ConsistencyProof {
        old_size: old,
        new_size: new,
        old_root,
        new_root,
        proof,
    })
}
