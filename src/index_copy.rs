//! The verifier's own copy of the entry index, kept beside its verification state
//! (`<state>.index`), so that `verify --since-checkpoint` recomputes the index root of every
//! newer checkpoint from the new entries alone, as a full run does from all of them.
//!
//! The copy is the index of the first `size` entries of the state's checkpoint, in the same
//! byte layout as the index a ledger file saves (docs/FORMAT.md §10.6), in a file of its own
//! that holds no entries. It is never taken on trust from the ledger, and not even from
//! itself: a resumed run uses it only if its root is the index root the state's cosigned
//! checkpoint signs; it then extends it in memory by the new entries (nothing is written) to
//! get the root at each newer checkpoint. When the state moves on to a newer cosigned
//! checkpoint, the copy is extended to it and kept only if its root is the one that
//! checkpoint signs; a missing or damaged copy is rebuilt from the entries (once, O(n)), and
//! until then the run says the newer roots were "not rebuilt". Cost per resumed run: O(new
//! entries × log n) reads and hashes (docs/DECISIONS.md, "Incremental verification").

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ledger_core::index::key_hashes_of;
use tlog::Digest;

use crate::codec;
use crate::entry_index::IndexBuildError;
use crate::store::{Access, Store, StoredRecord};

/// Where the index copy of the state file `state` is kept: `<state>.index`.
pub fn index_copy_path(state: &Path) -> PathBuf {
    let mut path = state.as_os_str().to_owned();
    path.push(".index");
    PathBuf::from(path)
}

/// The index root a checkpoint note signs, if it carries one.
pub(crate) fn signed_index_root(note: &[u8]) -> Option<Digest> {
    let note = tlog::Note::parse(note).ok()?;
    let checkpoint = tlog::Checkpoint::parse(note.text()).ok()?;
    ledger_core::index::index_root(&checkpoint.extensions)
        .ok()
        .flatten()
}

/// The copy at `path`, opened to use, if it is a regular owner-only file covering exactly
/// `size` entries with index root `root`.
fn open_matching(path: &Path, size: u64, root: &Digest) -> Option<Store> {
    if !crate::incremental::check_state_path(path).unwrap_or(false) {
        return None;
    }
    let copy = Store::open(path, Access::ReadWrite).ok()?;
    let (saved, mut map) = copy.read_entry_index().ok()??;
    (saved == size && map.try_root().ok()? == *root).then_some(copy)
}

/// The entry of a record, for the index (a damaged one stops the index: verify reports it).
fn decoded(r: &StoredRecord) -> Result<crate::model::Entry, IndexBuildError> {
    let damaged = |why: String| IndexBuildError::Damaged { seq: r.key, why };
    if let Some(why) = &r.malformed {
        return Err(damaged(why.to_string()));
    }
    let entry = codec::decode_entry(&r.bytes).map_err(|e| damaged(e.to_string()))?;
    if entry.seq.0 != r.key {
        return Err(damaged(format!("it is numbered {}", entry.seq.0)));
    }
    Ok(entry)
}

/// The index roots at each of the sizes `wanted` (all above `from`), computed from the copy
/// at `path` — which must cover the first `from` entries with root `root` — extended by the
/// entries of `store`. Nothing is written. `None` when the copy is missing, does not match,
/// or an entry cannot be read: the run then says the roots were not rebuilt.
pub(crate) fn roots_after(
    path: &Path,
    store: &Store,
    from: u64,
    root: &Digest,
    wanted: &BTreeSet<u64>,
) -> Option<BTreeMap<u64, Digest>> {
    let last = *wanted.iter().next_back()?;
    let copy = open_matching(path, from, root)?;
    copy.draft_entry_index(|_, map| -> Result<_, IndexBuildError> {
        let mut roots = BTreeMap::new();
        store.scan(from, Some(last), |r| {
            for key in key_hashes_of(&decoded(&r)?) {
                map.try_append(&key, r.key)?;
            }
            if wanted.contains(&(r.key + 1)) {
                roots.insert(r.key + 1, map.try_root()?);
            }
            Ok::<_, IndexBuildError>(())
        })?;
        Ok(roots)
    })
    .ok()
}

/// What [`save_index_copy`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexCopyOutcome {
    /// The copy was extended by the entries since its size.
    Extended,
    /// The copy was missing or did not match, and was built from every entry.
    Rebuilt,
    /// The copy was written from the index the verify run had just built in memory from
    /// every entry (no entry read again).
    Saved,
    /// The checkpoint carries no index root (made before the index): no copy is kept.
    NoIndex,
}

/// Why the index copy could not be saved (the next run then says the roots were not rebuilt).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexCopyError {
    /// The copy's file could not be created, opened, written or removed.
    #[error("cannot keep the entry index copy {path}: {why}")]
    File {
        /// The copy.
        path: PathBuf,
        /// What went wrong.
        why: String,
    },
    /// The index built from the entries does not give the root the checkpoint signs (the run
    /// that verified the checkpoint would have failed: the ledger changed since).
    #[error(
        "the entry index built from the first {size} entries does not give the root their \
         cosigned checkpoint signs; run `dledger verify`"
    )]
    Mismatch {
        /// The checkpoint's size.
        size: u64,
    },
}

/// Moves the copy beside the state file `state` on to the checkpoint `note` of `size` entries:
/// extended from its own size when its root is the one the previous checkpoint signed
/// (`previous`: that checkpoint's size and note), otherwise rebuilt from every entry; kept only
/// if its root is then the one `note` signs. `built`, the index of the first `size` entries a
/// full verify run has just built, replaces the copy directly if its root is the signed one.
pub fn save_index_copy(
    state: &Path,
    store: &Store,
    size: u64,
    note: &[u8],
    previous: Option<(u64, &[u8])>,
    built: Option<&mut ledger_core::index::Index>,
) -> Result<IndexCopyOutcome, IndexCopyError> {
    let path = index_copy_path(state);
    let file_error = |why: String| IndexCopyError::File {
        path: path.clone(),
        why,
    };
    let remove = || match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(file_error(e.to_string())),
    };
    let Some(root) = signed_index_root(note) else {
        remove()?;
        return Ok(IndexCopyOutcome::NoIndex);
    };
    if let Some(index) = built
        && index.size() == size
        && index.root() == root
    {
        remove()?;
        let copy = Store::create(&path).map_err(|e| file_error(e.to_string()))?;
        let (header, leaves, branches) = index.nodes();
        if let Err(e) = copy.save_entry_index(size, header, leaves, branches) {
            drop(copy);
            remove()?;
            return Err(file_error(e.to_string()));
        }
        return Ok(IndexCopyOutcome::Saved);
    }
    let reusable = previous.and_then(|(s, n)| {
        let r = signed_index_root(n)?;
        (s <= size).then(|| open_matching(&path, s, &r)).flatten()
    });
    let (copy, outcome) = match reusable {
        Some(copy) => (copy, IndexCopyOutcome::Extended),
        None => {
            remove()?;
            let copy = Store::create(&path).map_err(|e| file_error(e.to_string()))?;
            (copy, IndexCopyOutcome::Rebuilt)
        }
    };
    let fresh = outcome == IndexCopyOutcome::Rebuilt;
    let extended = copy.update_entry_index::<IndexBuildError>(fresh, |from, map| {
        store.scan(from, Some(size), |r| {
            for key in key_hashes_of(&decoded(&r)?) {
                map.try_append(&key, r.key)?;
            }
            Ok::<_, IndexBuildError>(())
        })?;
        Ok(size)
    });
    let matches = extended.is_ok()
        && copy
            .read_entry_index()
            .ok()
            .flatten()
            .and_then(|(s, mut map)| (s == size).then(|| map.try_root().ok()).flatten())
            == Some(root);
    drop(copy);
    if !matches {
        remove()?;
        return Err(match extended {
            Err(e) => file_error(e.to_string()),
            Ok(()) => IndexCopyError::Mismatch { size },
        });
    }
    Ok(outcome)
}
