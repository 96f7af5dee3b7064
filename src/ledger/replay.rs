//! Reading the log back into registers: replaying every entry ([`replay`]), loading the saved
//! register snapshot and catching up from it ([`open_registers`]), finding the entries that refer
//! to one ([`referring_entries`]), and rebuilding the saved index from the entries
//! ([`rebuild_index`], [`reindex`]).
//!
//! Replaying checks decoding, numbering and the hash chain, nothing more: signatures, rules and
//! policy are `verify`'s job.

use std::path::Path;

use crate::codec;
use crate::hash::leaf_hash;
use crate::model::{EntryHash, Seq};
use crate::registers::Registers;
use crate::store::{Access, IndexUpdate, Store};

use super::{IndexState, ReindexError, ReplayError};

/// Rebuilds the registers from the store by replaying every entry, checking decoding,
/// numbering and the hash chain (signatures are `verify`'s job).
pub fn replay(store: &Store) -> Result<Registers, ReplayError> {
    let mut reg = Registers::default();
    replay_into(store, &mut reg, &mut Vec::new())?;
    Ok(reg)
}

/// The register snapshot and references index rebuilt from every entry of `store`, checking
/// decoding, numbering and the chain as it goes.
pub fn rebuild_index(store: &Store) -> Result<IndexUpdate, ReindexError> {
    let mut reg = Registers::default();
    let mut references = Vec::new();
    replay_into(store, &mut reg, &mut references)?;
    Ok(IndexUpdate {
        snapshot: codec::encode_snapshot(&reg.snapshot())?,
        references,
        rebuild: true,
    })
}

/// Rebuilds the register snapshot and references index of the ledger at `path` from its
/// entries and saves them, leaving every entry untouched. Returns the number of references
/// indexed.
pub fn reindex(path: &Path) -> Result<usize, ReindexError> {
    // Everything that can refuse (not a ledger, an entry that does not replay) is found
    // through a read-only handle: opening for writing changes the file, and a refused command
    // leaves it byte-for-byte unchanged.
    let (count, index) = {
        let reader = Store::open(path, Access::ReadOnly)?;
        (reader.len()?, rebuild_index(&reader)?)
    };
    let store = Store::open(path, Access::ReadWrite)?;
    // Another writer may have appended in between; then rebuild under the write lock.
    let index = if store.len()? == count {
        index
    } else {
        rebuild_index(&store)?
    };
    store.rewrite_index(&index)?;
    crate::entry_index::rebuild_saved_index(&store)?;
    Ok(index.references.len())
}

/// The registers as of the last entry, the fast way: the saved snapshot plus the entries
/// recorded after it, or a full [`replay`] when the file has no valid snapshot. Per-entry
/// summaries older than the snapshot are not included (see [`Registers::needs_loading`]).
pub fn open_registers(store: &Store) -> Result<Registers, ReplayError> {
    load(store).map(|(reg, _)| reg)
}

/// The entries before entry `upto` that refer to entry `target` (acknowledge, correct or
/// confirm it), in order: from the references index, plus a scan of any entries recorded after
/// the saved snapshot (the whole log when there is none).
pub fn referring_entries(store: &Store, target: Seq, upto: Seq) -> Result<Vec<Seq>, ReplayError> {
    let (mut found, from) = match saved_registers(store)? {
        Some(reg) => (
            store.references_to(target.0)?,
            reg.head.map_or(0, |(s, _, _)| s.0 + 1),
        ),
        None => (Vec::new(), 0),
    };
    if from < upto.0 {
        store.scan(from, Some(upto.0), |r| {
            let entry = codec::decode_entry(&r.bytes).map_err(|source| ReplayError::Decode {
                seq: Seq(r.key),
                source,
            })?;
            if entry.body.references().contains(&target) {
                found.push(r.key);
            }
            Ok::<_, ReplayError>(())
        })?;
    }
    found.retain(|&by| by < upto.0);
    found.sort_unstable();
    found.dedup();
    Ok(found.into_iter().map(Seq).collect())
}

/// [`open_registers`], with the references of the entries applied beyond the snapshot.
pub(super) fn load(store: &Store) -> Result<(Registers, IndexState), ReplayError> {
    let (mut reg, mut index) = match saved_registers(store)? {
        Some(reg) => (reg, IndexState::default()),
        None => (
            Registers::default(),
            IndexState {
                pending: Vec::new(),
                rebuild: true,
            },
        ),
    };
    replay_into(store, &mut reg, &mut index.pending)?;
    Ok((reg, index))
}

/// The registers of the saved snapshot, if there is one this build reads and its head is the
/// entry the file holds at that number.
fn saved_registers(store: &Store) -> Result<Option<Registers>, ReplayError> {
    let Some(bytes) = store.snapshot()? else {
        return Ok(None);
    };
    let Some(snapshot) = codec::decode_snapshot(&bytes) else {
        return Ok(None);
    };
    let Some((seq, hash, _)) = snapshot.head else {
        return Ok(None);
    };
    match store.get(seq.0)? {
        Some(r) if leaf_hash(&r.bytes) == hash => Ok(Some(Registers::from_snapshot(snapshot))),
        _ => Ok(None),
    }
}

/// Applies to `reg` the entries of `store` that come after its head, adding their references
/// to `references`.
pub(super) fn replay_into(
    store: &Store,
    reg: &mut Registers,
    references: &mut Vec<(u64, u64)>,
) -> Result<(), ReplayError> {
    let from = reg.head.map_or(0, |(s, _, _)| s.0 + 1);
    store.scan(from, None, |r| {
        let entry = codec::decode_entry(&r.bytes).map_err(|source| ReplayError::Decode {
            seq: Seq(r.key),
            source,
        })?;
        let expected = reg.head.map_or(Seq(0), |(s, _, _)| s.next());
        if entry.seq != expected || r.key != expected.0 {
            return Err(ReplayError::Chain {
                seq: Seq(r.key),
                problem: "is out of sequence",
            });
        }
        let prev = reg.head.map_or(EntryHash::ZERO, |(_, h, _)| EntryHash(h));
        if entry.prev != prev {
            return Err(ReplayError::Chain {
                seq: Seq(r.key),
                problem: "does not chain to the entry before it",
            });
        }
        for target in entry.body.references() {
            references.push((target.0, entry.seq.0));
        }
        reg.apply(&entry, leaf_hash(&r.bytes));
        Ok(())
    })
}
