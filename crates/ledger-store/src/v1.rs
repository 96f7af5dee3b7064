//! Reading a ledger file of store version 1, to convert it into a new file of the current
//! version ([`convert_v1`]). Nothing else in this build reads version 1: [`Store::open`]
//! refuses it with [`OpenError::OlderVersion`].
//!
//! The version-1 layout (docs/FORMAT.md §15): `entries` (seq → entry bytes), `signatures`
//! (seq → 64 bytes), `entry_hashes` (seq → leaf hash), `vault` ((seq, field name) → salt ‖
//! value), `vault_erased` and `checkpoints` as in version 2, and `merkle_hashes` holding every
//! level of the tree. The conversion copies what is authoritative (entry bytes, signatures,
//! vault values, erasure dates, checkpoint notes) and checks what version 1 stored beside it
//! (entry hashes, every Merkle hash) against the entries, refusing a file in which any differs,
//! so that a conversion never turns a damaged file into one whose stored hashes look right.

use std::path::{Path, PathBuf};

use redb::{ReadableTable, TableDefinition};
use tlog::{CompactRange, leaf_hash};

use crate::{
    Access, CHECKPOINTS, Handle, NewRecord, OpenError, Store, StoreAppendError, StoreError,
    VAULT_ERASED, VaultItem, check_path, open_read_only,
};

const V1_ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
const V1_SIGNATURES: TableDefinition<u64, &[u8; 64]> = TableDefinition::new("signatures");
const V1_HASHES: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("entry_hashes");
const V1_VAULT: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("vault");
const V1_TREE: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("merkle_hashes");

/// Records appended per write transaction during a conversion.
const BATCH: usize = 10_000;

/// What a conversion copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Converted {
    /// Entries (with their signatures).
    pub entries: u64,
    /// Field values in the vault.
    pub vault_values: u64,
    /// Records of erased field values.
    pub erasures: u64,
    /// Checkpoint notes.
    pub checkpoints: u64,
}

/// Why a version-1 file could not be converted. The new file is removed in every case.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// The old file could not be opened, is not a ledger, or the new file could not be created.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The old file is a ledger, but not of store version 1.
    #[error(
        "{path} uses ledger store version {found}, not version 1: {}",
        if *found == super::STORE_VERSION {
            "it is already in the current layout and needs no upgrade"
        } else {
            "this build cannot convert it"
        }
    )]
    NotVersion1 {
        /// The old file.
        path: PathBuf,
        /// The version it has.
        found: u32,
    },
    /// What the old file stores is inconsistent: it is damaged or was altered.
    #[error(
        "{path} cannot be converted: entry #{seq} {what}. The file is damaged or was altered; \
         run `dledger verify` on it with the dledger that wrote it, and restore it from a backup \
         or import the other party's export"
    )]
    Damaged {
        /// The old file.
        path: PathBuf,
        /// The entry at fault.
        seq: u64,
        /// What is wrong.
        what: String,
    },
    /// Reading the old file failed.
    #[error(transparent)]
    Read(#[from] StoreError),
    /// Writing the new file failed.
    #[error(transparent)]
    Write(#[from] StoreAppendError),
}

/// Converts the version-1 ledger at `old` into a new ledger at `new` (which must not exist),
/// leaving `old` untouched. On any failure the new file is removed.
pub fn convert_v1(old: &Path, new: &Path) -> Result<Converted, ConvertError> {
    check_path(old)?;
    let old_store = super::catch_engine_panic("opening the file", || {
        open_read_only(old).map(|db| Store {
            handle: Handle::Read(db),
            path: old.to_owned(),
        })
    })
    .map_err(|e| OpenError::Storage {
        path: old.to_owned(),
        source: Box::new(e),
    })??;
    let found = old_store.stored_version()?;
    if found != 1 {
        return Err(ConvertError::NotVersion1 {
            path: old.to_owned(),
            found,
        });
    }
    let mut new_store = Store::create(new)?;
    let result = super::contained("converting", || copy(&old_store, &new_store)).and_then(|c| {
        // Its erasures predate erasure entries: missing values are not taken for lost.
        new_store.clear_vault_marker()?;
        // Written in batches: compacting drops the space earlier transactions left free.
        new_store.compact()?;
        Ok(c)
    });
    drop(new_store);
    if result.is_err() {
        let _ = std::fs::remove_file(new);
    } else {
        // Reopen to make sure what was written is a ledger of this build.
        Store::open(new, Access::ReadOnly)?;
    }
    result
}

fn rd<E: Into<super::StorageError>>(e: E) -> StoreError {
    StoreError {
        doing: "reading the version-1 file",
        source: e.into(),
    }
}

fn wr<E: Into<super::StorageError>>(e: E) -> StoreError {
    StoreError {
        doing: "writing the new file",
        source: e.into(),
    }
}

/// Opens a table of the old file that may be absent (a ledger that never erased a value).
fn optional<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &redb::ReadTransaction,
    def: TableDefinition<K, V>,
) -> Result<Option<redb::ReadOnlyTable<K, V>>, StoreError> {
    match txn.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(rd(e)),
    }
}

fn copy(old: &Store, new: &Store) -> Result<Converted, ConvertError> {
    let damaged = |seq: u64, what: String| ConvertError::Damaged {
        path: old.path.clone(),
        seq,
        what,
    };
    let txn = old.read_txn()?;
    let entries = txn.open_table(V1_ENTRIES).map_err(rd)?;
    let signatures = txn.open_table(V1_SIGNATURES).map_err(rd)?;
    let hashes = txn.open_table(V1_HASHES).map_err(rd)?;
    let vault = optional(&txn, V1_VAULT)?;
    let tree = txn.open_table(V1_TREE).map_err(rd)?;

    let mut converted = Converted {
        entries: 0,
        vault_values: 0,
        erasures: 0,
        checkpoints: 0,
    };
    let mut compact = CompactRange::new();
    let mut batch: Vec<NewRecord> = Vec::with_capacity(BATCH);
    let mut vault_iter = match &vault {
        Some(t) => Some(t.iter().map_err(rd)?.peekable()),
        None => None,
    };
    for item in entries.iter().map_err(rd)? {
        let (k, v) = item.map_err(rd)?;
        let seq = k.value();
        if seq != converted.entries {
            return Err(damaged(
                converted.entries,
                "is missing (the entries table skips it)".into(),
            ));
        }
        let bytes = v.value().to_vec();
        let signature = *signatures
            .get(seq)
            .map_err(rd)?
            .ok_or_else(|| damaged(seq, "has no stored signature".into()))?
            .value();
        let hash = leaf_hash(&bytes);
        match hashes.get(seq).map_err(rd)? {
            Some(h) if *h.value() == hash => {}
            Some(_) => {
                return Err(damaged(
                    seq,
                    "has a stored entry hash that is not the hash of its bytes".into(),
                ));
            }
            None => return Err(damaged(seq, "has no stored entry hash".into())),
        }
        // Every Merkle hash version 1 stored with this entry must be the one its bytes give.
        let first = tlog::stored_hash_index(0, seq);
        for (i, h) in (first..).zip(compact.push_recording(hash)) {
            if tree.get(i).map_err(rd)?.map(|s| *s.value()) != Some(h) {
                return Err(damaged(
                    seq,
                    format!("has a Merkle hash (index {i}) that is missing or wrong"),
                ));
            }
        }
        let mut items: Vec<VaultItem> = Vec::new();
        if let Some(it) = vault_iter.as_mut() {
            while let Some(row) =
                it.next_if(|r| r.as_ref().map_or(true, |(k, _)| k.value().0 <= seq))
            {
                let (k, v) = row.map_err(rd)?;
                let (vseq, name) = k.value();
                if vseq != seq {
                    return Err(damaged(
                        vseq,
                        format!("has a vault value (field {name}) but no entry"),
                    ));
                }
                items.push((name.to_owned(), v.value().to_vec()));
            }
        }
        converted.vault_values += items.len() as u64;
        batch.push(NewRecord {
            seq,
            bytes,
            signature,
            hash,
            vault: items,
            erase: Vec::new(),
        });
        converted.entries += 1;
        if batch.len() == BATCH {
            new.append(&batch)?;
            batch.clear();
        }
    }
    if let Some(row) = vault_iter.as_mut().and_then(Iterator::next) {
        let (k, _) = row.map_err(rd)?;
        let (vseq, name) = k.value();
        return Err(damaged(
            vseq,
            format!("has a vault value (field {name}) but no entry"),
        ));
    }
    new.append(&batch)?;

    // Erasure records and checkpoint notes have the same layout in both versions.
    let Handle::Write(db) = &new.handle else {
        return Err(StoreAppendError::ReadOnly.into());
    };
    let out = db.begin_write().map_err(wr)?;
    {
        if let Some(erased) = optional(&txn, VAULT_ERASED)? {
            let mut to = out.open_table(VAULT_ERASED).map_err(wr)?;
            for item in erased.iter().map_err(rd)? {
                let (k, v) = item.map_err(rd)?;
                to.insert(k.value(), v.value()).map_err(wr)?;
                converted.erasures += 1;
            }
        }
        if let Some(notes) = optional(&txn, CHECKPOINTS)? {
            let mut to = out.open_table(CHECKPOINTS).map_err(wr)?;
            for item in notes.iter().map_err(rd)? {
                let (k, v) = item.map_err(rd)?;
                to.insert(k.value(), v.value()).map_err(wr)?;
                converted.checkpoints += 1;
            }
        }
    }
    out.commit().map_err(wr)?;
    Ok(converted)
}
