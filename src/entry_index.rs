//! The authenticated entry index of a stored ledger (docs/FORMAT.md §7.6) at a tree size: built
//! from the entries for checkpoints, cosignatures and proofs. The index is derived from the
//! entries alone, so anyone holding them — `verify`, the other regulator's `cosign` — rebuilds
//! it and compares its root with the one a checkpoint signs.

use ledger_core::index::Index;

use crate::codec;
use crate::store::{Store, StoreError};

/// Why the index could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexBuildError {
    /// Reading the ledger failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An entry cannot be read, so the index cannot be either (`verify` names the damage).
    #[error("entry {seq} cannot be read ({why}); run `dledger verify`")]
    Damaged {
        /// The entry.
        seq: u64,
        /// Why.
        why: String,
    },
    /// The ledger holds fewer entries than asked for.
    #[error("the ledger holds {held} entries, fewer than {size}")]
    Short {
        /// Entries asked for.
        size: u64,
        /// Entries held.
        held: u64,
    },
}

/// The index of the first `size` entries of `store`.
pub fn index_at(store: &Store, size: u64) -> Result<Index, IndexBuildError> {
    let mut index = Index::new();
    store.scan(0, Some(size), |r| {
        if let Some(why) = &r.malformed {
            return Err(IndexBuildError::Damaged {
                seq: r.key,
                why: why.to_string(),
            });
        }
        let entry = codec::decode_entry(&r.bytes).map_err(|e| IndexBuildError::Damaged {
            seq: r.key,
            why: e.to_string(),
        })?;
        index.add(&entry);
        Ok(())
    })?;
    if index.size() != size {
        return Err(IndexBuildError::Short {
            size,
            held: index.size(),
        });
    }
    Ok(index)
}
