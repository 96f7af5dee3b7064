//! The authenticated entry index of a stored ledger (docs/FORMAT.md §7.6) at a tree size: built
//! from the entries for checkpoints, cosignatures and proofs. The index is derived from the
//! entries alone, so anyone holding them — `verify`, the other regulator's `cosign` — rebuilds
//! it and compares its root with the one a checkpoint signs.

use ledger_core::index::{Index, IndexKey};
use tlog::map::{ListDigest, MapProof};

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
    /// Writing the saved index failed.
    #[error(transparent)]
    Write(#[from] crate::store::StoreAppendError),
    /// The ledger holds fewer entries than asked for.
    #[error("the ledger holds {held} entries, fewer than {size}")]
    Short {
        /// Entries asked for.
        size: u64,
        /// Entries held.
        held: u64,
    },
}

/// A stored record's entry, or why the index cannot be built past it.
fn decoded(r: &crate::store::StoredRecord) -> Result<crate::model::Entry, IndexBuildError> {
    let damaged = |why: String| IndexBuildError::Damaged { seq: r.key, why };
    if let Some(why) = &r.malformed {
        return Err(damaged(why.to_string()));
    }
    codec::decode_entry(&r.bytes).map_err(|e| damaged(e.to_string()))
}

/// The index of the first `size` entries of `store`.
pub fn index_at(store: &Store, size: u64) -> Result<Index, IndexBuildError> {
    let mut index = Index::new();
    store.scan(0, Some(size), |r| {
        index.add(&decoded(&r)?);
        Ok::<_, IndexBuildError>(())
    })?;
    if index.size() != size {
        return Err(IndexBuildError::Short {
            size,
            held: index.size(),
        });
    }
    Ok(index)
}

/// The index root over the first `size` entries. Read from the index saved in the file when it
/// covers exactly `size`; extended there when it covers fewer and `store` is writable (so the
/// next checkpoint and proofs cost O(new entries)); else rebuilt from the entries.
pub fn index_root_at(store: &Store, size: u64) -> Result<tlog::Digest, IndexBuildError> {
    if let Some((saved, mut map)) = store.read_entry_index()?
        && saved == size
    {
        return Ok(map.try_root()?);
    }
    if extend_saved_index(store, size)?
        && let Some((saved, mut map)) = store.read_entry_index()?
        && saved == size
    {
        return Ok(map.try_root()?);
    }
    Ok(index_at(store, size)?.root())
}

/// Extends (or starts) the index saved in `store` to cover the first `size` entries. Returns
/// false, changing nothing, if the store is read-only or its saved index covers more.
pub fn extend_saved_index(store: &Store, size: u64) -> Result<bool, IndexBuildError> {
    if store.is_read_only() || size > store.len()? {
        return Ok(false);
    }
    let saved = store.read_entry_index()?.map(|(s, _)| s);
    if saved.is_some_and(|s| s > size) {
        return Ok(false);
    }
    store.update_entry_index::<IndexBuildError>(saved.is_none(), |from, map| {
        fill(store, from, size, map)?;
        Ok(size)
    })?;
    Ok(true)
}

/// Rebuilds the index saved in `store` from the entries, up to its latest stored checkpoint
/// (`dledger reindex`); with no checkpoint, nothing is saved.
pub fn rebuild_saved_index(store: &Store) -> Result<(), IndexBuildError> {
    let Some(size) = store.checkpoints()?.last().map(|(s, _)| *s) else {
        return Ok(());
    };
    let size = size.min(store.len()?);
    store.update_entry_index::<IndexBuildError>(true, |_, map| {
        fill(store, 0, size, map)?;
        Ok(size)
    })
}

/// Appends the entries `from..to` of `store` to `map`.
fn fill<S: tlog::map::MapStore>(
    store: &Store,
    from: u64,
    to: u64,
    map: &mut tlog::map::MapTree<S>,
) -> Result<(), IndexBuildError>
where
    IndexBuildError: From<S::Error>,
{
    store.scan(from, Some(to), |r| {
        for key in ledger_core::index::keys_of(&decoded(&r)?) {
            map.try_append(&key.hash(), r.key)?;
        }
        Ok(())
    })
}

/// Proofs of `keys` against the index of the first `size` entries, with each key's list
/// digest: from the saved index when it covers `size`, else from one rebuilt from the entries.
pub fn prove_at(
    store: &Store,
    size: u64,
    keys: &[IndexKey],
) -> Result<Vec<(ListDigest, MapProof)>, IndexBuildError> {
    if let Some((saved, mut map)) = store.read_entry_index()?
        && saved == size
    {
        return keys
            .iter()
            .map(|k| {
                let h = k.hash();
                Ok((map.try_get(&h)?, map.try_prove(&h)?))
            })
            .collect();
    }
    let mut index = index_at(store, size)?;
    Ok(keys
        .iter()
        .map(|k| (index.get(k), index.prove(k)))
        .collect())
}
