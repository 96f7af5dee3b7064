//! The ledger file: the only crate that imports redb. The rest of the code reads and writes
//! through the [`LogReader`] and [`LogWriter`] traits, which [`Store`] implements.
//!
//! One redb file holds the log (each entry's bytes with its signature, and the Merkle tree's
//! upper levels), outside the hashed log the vault of field values, and derived data a writer
//! opens from instead of replaying (the register snapshot and the references index; `verify`
//! checks both). Appends are single write transactions committed with redb's default immediate
//! durability, so an append that returned is on disk. Table layout: docs/FORMAT.md, "The
//! ledger file" (store version 2); the byte layout of the rows is in `rows`; [`v1`] converts a
//! version-1 file.

mod entry_index;
mod log;
mod rows;
pub mod v1;

pub use entry_index::{IndexTxn, StoredIndex};
pub use log::{LogReader, LogWriter};

use std::path::{Path, PathBuf};

use redb::{
    Builder, ConcurrencyMode, Database, DatabaseError, ReadOnlyDatabase, ReadableDatabase,
    ReadableTable, TableDefinition, TableError,
};
use tlog::{Digest, HashReader as _, leaf_hash};

/// Magic value stored under `meta["magic"]` to tell a ledger from any other redb file.
pub const LEDGER_MAGIC: &[u8] = b"disclosure-ledger";

/// The version of the table layout this build writes and reads.
///
/// Version 1 kept signatures and entry hashes in tables of their own, every Merkle hash, and
/// one vault row per field; [`v1::convert_v1`] converts such a file (docs/FORMAT.md §15).
pub const STORE_VERSION: u32 = 2;

/// The lowest level of the Merkle tree whose hashes are stored (in `merkle_hashes`).
///
/// A hash of a lower level covers at most 2^4 = 16 consecutive entries and is recomputed from
/// their bytes whenever a root or proof needs it, so a proof reads at most a few pages of
/// entries more than it would if every level were stored, and the file holds about one stored
/// hash per 8 entries instead of two per entry. Part of the file format: changing it changes
/// which rows a valid file has (docs/FORMAT.md §10.4).
pub const TREE_MIN_STORED_LEVEL: u32 = 4;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
const VAULT: TableDefinition<u64, &[u8]> = TableDefinition::new("vault");
const VAULT_ERASED: TableDefinition<(u64, &str), i64> = TableDefinition::new("vault_erased");
const TREE: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("merkle_hashes");
const CHECKPOINTS: TableDefinition<u64, &[u8]> = TableDefinition::new("checkpoints");
const SNAPSHOT: TableDefinition<&str, &[u8]> = TableDefinition::new("register_snapshot");
const REFERENCES: TableDefinition<u64, &[u8]> = TableDefinition::new("references");

/// The key of the one row of the snapshot table.
const SNAPSHOT_KEY: &str = "registers";
/// `meta` key saying whether the file holds the vault of its ledger (docs/FORMAT.md §10.1).
const VAULT_KEY: &str = "vault";
const VAULT_HELD: &[u8] = b"held";
const VAULT_NONE: &[u8] = b"none";

/// Boxed error from the storage engine, kept opaque so no caller depends on redb.
pub type StorageError = Box<dyn std::error::Error + Send + Sync>;

/// Why a ledger file could not be opened or created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// No file at the path.
    #[error("no ledger at {path}: the file does not exist")]
    NotFound {
        /// The path given.
        path: PathBuf,
    },
    /// The path is a directory.
    #[error(
        "{path} is a directory, not a ledger file; pass the ledger file itself (e.g. {path}/ledger.redb)"
    )]
    IsDirectory {
        /// The path given.
        path: PathBuf,
    },
    /// `init` was pointed at an existing file.
    #[error("{path} already exists; `init` only creates new ledgers and never overwrites a file")]
    AlreadyExists {
        /// The path given.
        path: PathBuf,
    },
    /// The new ledger file could not be created owner-only (a symlink at the path, or the
    /// operating system refused); nothing was written.
    #[error(transparent)]
    Create(ledger_core::files::WriteFileError),
    /// The file exists but is not a disclosure ledger.
    #[error("{path} is not a disclosure ledger ({reason})")]
    NotALedger {
        /// The path given.
        path: PathBuf,
        /// What gave it away.
        reason: String,
    },
    /// Another process has the ledger open for writing.
    #[error("{path} is locked by another dledger process that is writing to it")]
    Locked {
        /// The path given.
        path: PathBuf,
    },
    /// Written by a newer dledger.
    #[error(
        "{path} uses ledger store version {found}, newer than this build reads ({STORE_VERSION}); \
         upgrade dledger"
    )]
    NewerVersion {
        /// The path given.
        path: PathBuf,
        /// Version found.
        found: u32,
    },
    /// Written by an older dledger, in a table layout this build no longer reads.
    #[error(
        "{path} uses ledger store version {found}, an older layout that this build no longer \
         opens (it reads and writes version {STORE_VERSION})"
    )]
    OlderVersion {
        /// The path given.
        path: PathBuf,
        /// Version found.
        found: u32,
    },
    /// Any other failure of the file or storage engine.
    #[error("cannot open ledger {path}: {source}")]
    Storage {
        /// The path given.
        path: PathBuf,
        /// The underlying error.
        source: StorageError,
    },
}

/// A failure of the storage engine while reading or writing an open ledger.
#[derive(Debug, thiserror::Error)]
#[error("ledger storage failed while {doing}: {source}")]
pub struct StoreError {
    /// What was being done ("reading entries", "committing").
    pub doing: &'static str,
    /// The underlying error.
    pub source: StorageError,
}

/// The key after the last row of the entries table (its number of entries, when they are
/// numbered without a gap from 0).
fn next_seq(entries: &impl ReadableTable<u64, &'static [u8]>) -> Result<u64, StoreError> {
    Ok(entries
        .last()
        .map_err(store_err("reading the last entry"))?
        .map_or(0, |(k, _)| k.value() + 1))
}

/// The items of entry `seq`'s vault row, read to erase some of them; a damaged row stops the
/// erasure (nothing is written).
fn vault_row_to_erase(seq: u64, row: &[u8]) -> Result<Vec<VaultItem>, StoreError> {
    rows::unpack_vault(row).map_err(|e| StoreError {
        doing: "erasing the vault",
        source: format!(
            "the vault row of entry {seq} is damaged ({e}); nothing was erased. Run \
             `dledger verify` to see what else is damaged"
        )
        .into(),
    })
}

/// Removes the named field values from their entries' vault rows (a row left empty is deleted)
/// and records each in `vault_erased`. A named value the vault does not hold is left out (it
/// was erased before, or the file holds no values).
fn erase_fields(
    txn: &redb::WriteTransaction,
    vault: &mut redb::Table<u64, &[u8]>,
    erase: &[(u64, String, i64)],
) -> Result<(), StoreError> {
    let mut erased = txn
        .open_table(VAULT_ERASED)
        .map_err(store_err("opening the vault"))?;
    let mut by_entry: std::collections::BTreeMap<u64, Vec<(&str, i64)>> = Default::default();
    for (seq, name, at) in erase {
        by_entry.entry(*seq).or_default().push((name.as_str(), *at));
    }
    for (seq, names) in by_entry {
        let Some(row) = vault
            .get(seq)
            .map_err(store_err("reading the vault"))?
            .map(|v| v.value().to_vec())
        else {
            continue;
        };
        let items = vault_row_to_erase(seq, &row)?;
        let (gone, kept): (Vec<VaultItem>, Vec<VaultItem>) = items
            .into_iter()
            .partition(|(n, _)| names.iter().any(|(m, _)| m == n));
        for (name, _) in &gone {
            let at = names.iter().find(|(m, _)| m == name).map_or(0, |(_, t)| *t);
            erased
                .insert((seq, name.as_str()), at)
                .map_err(store_err("erasing the vault"))?;
        }
        if kept.is_empty() {
            vault.remove(seq).map_err(store_err("erasing the vault"))?;
        } else {
            let packed = rows::pack_vault(&kept).map_err(|_| StoreError {
                doing: "erasing the vault",
                source: format!("the vault row of entry {seq} cannot be rewritten").into(),
            })?;
            vault
                .insert(seq, packed.as_slice())
                .map_err(store_err("erasing the vault"))?;
        }
    }
    Ok(())
}

/// The (target, referring entry) pairs of references row `block`; a row that cannot be read
/// is an error that says how to rebuild the index.
fn reference_block(block: u64, row: &[u8]) -> Result<Vec<(u64, u64)>, StoreError> {
    rows::unpack_references(block, row).map_err(|why| StoreError {
        doing: "reading references",
        source: format!("{why}; the references index must be rebuilt from the entries").into(),
    })
}

fn store_err<E: Into<StorageError>>(doing: &'static str) -> impl FnOnce(E) -> StoreError {
    move |e| StoreError {
        doing,
        source: e.into(),
    }
}

thread_local! {
    /// Whether this thread is inside a storage call (see [`catch_engine_panic`]).
    static IN_ENGINE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Where the storage engine last panicked on this thread, for the error message.
    static ENGINE_PANIC_AT: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Runs one storage call with the engine's panics contained.
///
/// redb trusts the file it reads: its documentation warns that opening a file altered outside
/// redb "may panic", and the tamper matrix (tests/tamper_matrix.rs) finds such panics (slice
/// indexes out of range, unreachable code) from a single flipped byte. Every call into redb runs
/// through here, so a panic inside the engine becomes a [`StoreError`] saying the file is
/// corrupted, and `verify` reports it (exit 2) instead of crashing. While a call runs, the panic
/// hook stays quiet for this thread (the message goes into the error instead); every other panic
/// is reported by the hook that was installed before. docs/RELIABILITY.md, "Corrupted files".
fn catch_engine_panic<R>(doing: &'static str, f: impl FnOnce() -> R) -> Result<R, StoreError> {
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_ENGINE.with(std::cell::Cell::get) {
                let at = info.location().map_or(String::new(), |l| {
                    let file = l.file();
                    let file = file.find("redb-").map_or(file, |i| &file[i..]);
                    format!(" at {file}:{}", l.line())
                });
                ENGINE_PANIC_AT.with(|a| *a.borrow_mut() = at);
            } else {
                previous(info);
            }
        }));
    });
    let outer = IN_ENGINE.with(|c| c.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_ENGINE.with(|c| c.set(outer));
    result.map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = ENGINE_PANIC_AT.with(|a| std::mem::take(&mut *a.borrow_mut()));
        StoreError {
            doing,
            source: format!(
                "the file is corrupted: the storage engine failed on data it could not read \
                 ({what}{at}). Restore the ledger from a backup, or import the other party's \
                 export of it"
            )
            .into(),
        }
    })
}

/// [`catch_engine_panic`] for a call that returns its own `Result`.
fn contained<T, E: From<StoreError>>(
    doing: &'static str,
    f: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    catch_engine_panic(doing, f).map_err(E::from)?
}

/// Runs code that is not storage code (a visitor of [`Store::scan`]) from inside a storage
/// call: its panics are reported by the usual hook and handed back to be resumed.
fn outside_engine<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    let outer = IN_ENGINE.with(|c| c.replace(false));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_ENGINE.with(|c| c.set(outer));
    result
}

/// An entry as stored: its bytes and signature, with what is stored beside it (vault values,
/// Merkle hashes). Nothing here has been checked; `verify` does that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// The key the record is stored under (should equal the entry's own sequence number).
    pub key: u64,
    /// Encoded entry bytes (empty if the stored row is malformed, see `malformed`).
    pub bytes: Vec<u8>,
    /// Ed25519 signature over the entry message (`None` if the stored row is malformed).
    pub signature: Option<[u8; 64]>,
    /// Why the stored row could not be read back into entry bytes and a signature, if it could
    /// not (a row too short for a signature, or a damaged zero-run encoding).
    pub malformed: Option<String>,
    /// This entry's vault row as stored, if it has one; [`StoredRecord::vault`] reads it. (It
    /// is read only when wanted: most readers need few entries' field values.)
    pub vault_row: Option<Vec<u8>>,
    /// The Merkle hashes stored with this entry (the complete subtrees of level
    /// [`TREE_MIN_STORED_LEVEL`] or more that it closed), in index order, with their indexes.
    pub tree: Vec<(u64, [u8; 32])>,
}

impl StoredRecord {
    /// The vault items (field name, salt ‖ value) stored for this entry, in order of name (none
    /// if it has no vault row), or why its vault row cannot be read.
    pub fn vault(&self) -> Result<Vec<VaultItem>, DamagedRow> {
        match &self.vault_row {
            None => Ok(Vec::new()),
            Some(row) => rows::unpack_vault(row).map_err(DamagedRow),
        }
    }
}

/// A stored row that cannot be read back: what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DamagedRow(pub String);

pub use ledger_core::model::VaultItem;

/// A record to append: the caller has encoded, hashed and signed it.
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// Sequence number; must continue the log exactly.
    pub seq: u64,
    /// Encoded entry bytes.
    pub bytes: Vec<u8>,
    /// Entry signature.
    pub signature: [u8; 64],
    /// Entry hash of `bytes` (its Merkle leaf hash). Not stored: the Merkle hashes written with
    /// the record are computed from it.
    pub hash: [u8; 32],
    /// Vault items for this entry: (field name, salt ‖ value). Field names are 1 to 255 bytes,
    /// each at most once; they are stored (and read back) in order of name.
    pub vault: Vec<VaultItem>,
    /// Vault values this record's entry erases (an erasure entry): (entry, field name, when,
    /// seconds since the epoch). Removed from the vault, and recorded in `vault_erased`, in the
    /// same transaction as the record, so the erasure entry and the erasure are one act.
    pub erase: Vec<(u64, String, i64)>,
}

/// Derived data written in the same transaction as an append, so that a writer can open the
/// ledger without replaying it (docs/FORMAT.md, "Register snapshot" and "References").
#[derive(Debug, Clone, Default)]
pub struct IndexUpdate {
    /// The encoded register snapshot as of the last record appended.
    pub snapshot: Vec<u8>,
    /// New (target entry, referring entry) pairs: acknowledgements, corrections, confirmations.
    pub references: Vec<(u64, u64)>,
    /// Replace the whole references table with `references` (after a full replay).
    pub rebuild: bool,
}

/// Why an append was refused. Nothing is written when any of these is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreAppendError {
    /// The records do not continue the log (another writer got there first, or a bug).
    #[error("record {found} does not continue the log, which expects {expected} next")]
    OutOfSequence {
        /// The sequence number the log expects.
        expected: u64,
        /// The sequence number offered.
        found: u64,
    },
    /// A vault item cannot be stored (its name is empty, over 255 bytes or given twice, or its
    /// value over 4 GiB).
    #[error("the value of field {field:?} of record {seq} cannot be stored in the vault: {reason}")]
    Unstorable {
        /// The record's sequence number.
        seq: u64,
        /// The field name.
        field: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The ledger was opened read-only.
    #[error("the ledger was opened read-only")]
    ReadOnly,
    /// The storage engine failed; the transaction was not committed.
    #[error(transparent)]
    Storage(#[from] StoreError),
}

enum Handle {
    Write(Database),
    Read(ReadOnlyDatabase),
}

/// An open ledger file.
pub struct Store {
    handle: Handle,
    path: PathBuf,
}

fn builder() -> Builder {
    let mut b = Builder::new();
    // One writer at a time; readers (verify, review, evidence) may follow its commits.
    b.set_concurrency_mode(ConcurrencyMode::SingleWriter);
    // Reads stream through the file once; a small cache is enough and keeps memory low.
    b.set_cache_size(16 * 1024 * 1024);
    b
}

fn map_open_error(path: &Path, e: DatabaseError) -> OpenError {
    match e {
        DatabaseError::DatabaseAlreadyOpen | DatabaseError::LockProtocolMismatch => {
            OpenError::Locked {
                path: path.to_owned(),
            }
        }
        DatabaseError::Storage(redb::StorageError::Io(io))
            if io.kind() == std::io::ErrorKind::NotFound =>
        {
            OpenError::NotFound {
                path: path.to_owned(),
            }
        }
        DatabaseError::Storage(redb::StorageError::Io(io))
            if io.kind() == std::io::ErrorKind::WouldBlock =>
        {
            OpenError::Locked {
                path: path.to_owned(),
            }
        }
        DatabaseError::Storage(s @ redb::StorageError::Corrupted(_)) => OpenError::NotALedger {
            path: path.to_owned(),
            reason: format!("the storage engine cannot read it: {s}"),
        },
        DatabaseError::Storage(redb::StorageError::Io(io))
            if io.kind() == std::io::ErrorKind::InvalidData =>
        {
            OpenError::NotALedger {
                path: path.to_owned(),
                reason: "it is not a redb database file".into(),
            }
        }
        DatabaseError::UpgradeRequired(v) => OpenError::NotALedger {
            path: path.to_owned(),
            reason: format!("it is a database file of an older storage format ({v})"),
        },
        other => OpenError::Storage {
            path: path.to_owned(),
            source: Box::new(other),
        },
    }
}

/// Opens read-only. A file left open by a crashed writer needs redb's recovery, which a
/// read-only handle refuses; then the file is opened for writing once, which runs the recovery
/// (it rebuilds the engine's allocator state and never touches committed entries), and the
/// read-only open is retried.
fn open_read_only(path: &Path) -> Result<ReadOnlyDatabase, OpenError> {
    match builder().open_read_only(path) {
        Err(DatabaseError::RepairAborted) => {
            let db = builder().open(path).map_err(|e| map_open_error(path, e))?;
            drop(db);
            builder()
                .open_read_only(path)
                .map_err(|e| map_open_error(path, e))
        }
        other => other.map_err(|e| map_open_error(path, e)),
    }
}

fn check_path(path: &Path) -> Result<(), OpenError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(OpenError::IsDirectory {
            path: path.to_owned(),
        }),
        Ok(m) if m.len() == 0 => Err(OpenError::NotALedger {
            path: path.to_owned(),
            reason: "the file is empty".into(),
        }),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(OpenError::NotFound {
            path: path.to_owned(),
        }),
        Err(e) => Err(OpenError::Storage {
            path: path.to_owned(),
            source: Box::new(e),
        }),
    }
}

/// Writes the register snapshot and references of `index` inside `txn`.
fn write_index(txn: &redb::WriteTransaction, index: &IndexUpdate) -> Result<(), StoreError> {
    let mut snapshot = txn
        .open_table(SNAPSHOT)
        .map_err(store_err("opening the register snapshot"))?;
    snapshot
        .insert(SNAPSHOT_KEY, index.snapshot.as_slice())
        .map_err(store_err("writing the register snapshot"))?;
    if index.rebuild {
        txn.delete_table(REFERENCES)
            .map_err(store_err("clearing the references table"))?;
    }
    let mut refs = txn
        .open_table(REFERENCES)
        .map_err(store_err("opening the references table"))?;
    let mut blocks: std::collections::BTreeMap<u64, Vec<(u64, u64)>> = Default::default();
    for &(target, by) in &index.references {
        blocks
            .entry(target / rows::REFERENCE_BLOCK)
            .or_default()
            .push((target, by));
    }
    for (block, mut new) in blocks {
        if let Some(row) = refs.get(block).map_err(store_err("reading references"))? {
            new.extend(reference_block(block, row.value())?);
        }
        new.sort_unstable();
        new.dedup();
        let row = rows::pack_references(block, &new);
        refs.insert(block, row.as_slice())
            .map_err(store_err("writing references"))?;
    }
    Ok(())
}

/// Reads Merkle hashes from the tables of a read or write transaction: hashes of level
/// [`TREE_MIN_STORED_LEVEL`] and up from `merkle_hashes`, lower ones recomputed from the bytes of
/// the entries they cover (at most 2^[`TREE_MIN_STORED_LEVEL`] of them each).
struct TreeReader<'t, T, E> {
    tree: &'t T,
    entries: &'t E,
    /// Leaf hashes already known (a batch being appended), from sequence number `.0` on.
    known: (u64, &'t [NewRecord]),
}

impl<'t, T, E> TreeReader<'t, T, E>
where
    T: ReadableTable<u64, &'static [u8; 32]>,
    E: ReadableTable<u64, &'static [u8]>,
{
    fn new(tree: &'t T, entries: &'t E) -> Self {
        TreeReader {
            tree,
            entries,
            known: (0, &[]),
        }
    }

    /// The leaf hashes of entries `lo..hi`, each read and unpacked from `entries` unless known.
    fn leaf_hashes(&self, lo: u64, hi: u64) -> Result<Vec<Digest>, redb::StorageError> {
        let (first, known) = self.known;
        let known_from = if known.is_empty() { hi } else { first.max(lo) };
        let mut leaves = Vec::with_capacity(usize::try_from(hi - lo).unwrap_or(0));
        let mut next = lo;
        if lo < known_from.min(hi) {
            for item in self.entries.range(lo..known_from.min(hi))? {
                let (k, row) = item?;
                let (key, row) = (k.value(), row.value());
                if key != next {
                    break;
                }
                let (_, bytes) = rows::unpack_entry(row).map_err(|e| {
                    redb::StorageError::Corrupted(format!(
                        "entry {key}, needed for a Merkle hash, cannot be read: {e}"
                    ))
                })?;
                leaves.push(leaf_hash(&bytes));
                next += 1;
            }
        }
        while next < hi {
            let Some(r) = usize::try_from(next - first)
                .ok()
                .filter(|_| next >= first)
                .and_then(|i| known.get(i))
            else {
                return Err(redb::StorageError::Corrupted(format!(
                    "entry {next}, needed for a Merkle hash, is missing"
                )));
            };
            leaves.push(r.hash);
            next += 1;
        }
        Ok(leaves)
    }
}

impl<T, E> tlog::HashReader for TreeReader<'_, T, E>
where
    T: ReadableTable<u64, &'static [u8; 32]>,
    E: ReadableTable<u64, &'static [u8]>,
{
    type Error = redb::StorageError;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, redb::StorageError> {
        // Lower-level hashes recomputed for this call, by (level, n): a caller asking for many
        // hashes of one block (a whole tree, say) has each entry read and hashed once.
        let mut computed: std::collections::HashMap<(u32, u64), Digest> =
            std::collections::HashMap::new();
        indexes
            .iter()
            .map(|&i| {
                let (level, n) = tlog::split_stored_hash_index(i);
                if level >= TREE_MIN_STORED_LEVEL {
                    return self.tree.get(i)?.map(|h| *h.value()).ok_or_else(|| {
                        redb::StorageError::Corrupted(format!("Merkle hash {i} is missing"))
                    });
                }
                if let Some(h) = computed.get(&(level, n)) {
                    return Ok(*h);
                }
                if level > 0
                    && let (Some(l), Some(r)) = (
                        computed.get(&(level - 1, 2 * n)),
                        computed.get(&(level - 1, 2 * n + 1)),
                    )
                {
                    let h = tlog::node_hash(l, r);
                    computed.insert((level, n), h);
                    return Ok(h);
                }
                // Read the subtree's leaves, and keep every node of it for later indexes.
                let lo = n << level;
                let mut nodes = self.leaf_hashes(lo, lo + (1 << level))?;
                for l in 0..=level {
                    for (j, h) in nodes.iter().enumerate() {
                        computed.insert((l, (lo >> l) + j as u64), *h);
                    }
                    if l < level {
                        nodes = nodes
                            .chunks_exact(2)
                            .map(|p| tlog::node_hash(&p[0], &p[1]))
                            .collect();
                    }
                }
                Ok(nodes[0])
            })
            .collect()
    }
}

impl tlog::HashReader for Store {
    type Error = StoreError;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, StoreError> {
        self.read_tree_hashes(indexes)
    }
}

/// Whether a ledger is opened to append or only to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Exclusive writer (one process at a time).
    ReadWrite,
    /// Reader; never modifies the file.
    ReadOnly,
}

impl Store {
    /// Creates a new, empty ledger file at `path`, refusing to touch an existing file.
    pub fn create(path: &Path) -> Result<Store, OpenError> {
        use ledger_core::files::{WriteFileError, create_private_file};
        // Owner-only (0600), never through a symlink, never over an existing file.
        let file = create_private_file(path).map_err(|e| match e {
            WriteFileError::Exists { path } => OpenError::AlreadyExists { path },
            other => OpenError::Create(other),
        })?;
        let db = match redb::backends::FileBackend::new(file)
            .and_then(|backend| builder().create_with_backend(backend))
        {
            Ok(db) => db,
            Err(e) => {
                let _ = std::fs::remove_file(path);
                return Err(map_open_error(path, e));
            }
        };
        let txn = db.begin_write().map_err(|e| OpenError::Storage {
            path: path.to_owned(),
            source: Box::new(e),
        })?;
        let write = || -> Result<(), redb::Error> {
            {
                let mut meta = txn.open_table(META)?;
                meta.insert("magic", LEDGER_MAGIC)?;
                meta.insert("store_version", &STORE_VERSION.to_le_bytes()[..])?;
                meta.insert(VAULT_KEY, VAULT_HELD)?;
                txn.open_table(ENTRIES)?;
                txn.open_table(VAULT)?;
                txn.open_table(VAULT_ERASED)?;
                txn.open_table(TREE)?;
                txn.open_table(CHECKPOINTS)?;
                txn.open_table(SNAPSHOT)?;
                txn.open_table(REFERENCES)?;
            }
            txn.commit()?;
            Ok(())
        };
        write().map_err(|e| OpenError::Storage {
            path: path.to_owned(),
            source: Box::new(e),
        })?;
        Ok(Store {
            handle: Handle::Write(db),
            path: path.to_owned(),
        })
    }

    /// Opens an existing ledger file.
    pub fn open(path: &Path, access: Access) -> Result<Store, OpenError> {
        check_path(path)?;
        catch_engine_panic("opening the file", || {
            let handle = match access {
                Access::ReadWrite => {
                    // Check it is a ledger through a read-only handle first: opening for writing
                    // changes the file's header, and a file that is not ours must stay untouched.
                    Store::open(path, Access::ReadOnly)?;
                    Handle::Write(builder().open(path).map_err(|e| map_open_error(path, e))?)
                }
                Access::ReadOnly => Handle::Read(open_read_only(path)?),
            };
            let store = Store {
                handle,
                path: path.to_owned(),
            };
            store.check_meta()?;
            Ok(store)
        })
        .map_err(|e| OpenError::Storage {
            path: path.to_owned(),
            source: Box::new(e),
        })?
    }

    /// Whether this file holds its ledger's vault: `Some(true)` for a ledger made by `init`
    /// (every field value is in the vault or erased by an erasure entry), `Some(false)` for a
    /// copy made without values (import of an export, a mirror), `None` for a file made before
    /// the marker existed.
    pub fn vault_held(&self) -> Result<Option<bool>, StoreError> {
        contained("reading the vault marker", || {
            let txn = self.read_txn()?;
            let meta = txn
                .open_table(META)
                .map_err(store_err("opening the meta table"))?;
            Ok(meta
                .get(VAULT_KEY)
                .map_err(store_err("reading the vault marker"))?
                .map(|v| v.value() == VAULT_HELD))
        })
    }

    /// Removes the vault marker: a file converted from store version 1 was written before
    /// erasures were recorded as entries, so its missing values are not taken for lost.
    pub fn clear_vault_marker(&self) -> Result<(), StoreAppendError> {
        contained("writing the vault marker", || {
            let Handle::Write(db) = &self.handle else {
                return Err(StoreAppendError::ReadOnly);
            };
            let txn = db.begin_write().map_err(store_err("starting a write"))?;
            txn.open_table(META)
                .map_err(store_err("opening the meta table"))?
                .remove(VAULT_KEY)
                .map_err(store_err("writing the vault marker"))?;
            txn.commit().map_err(store_err("committing"))?;
            Ok(())
        })
    }

    /// Marks this file as holding no field values (a copy made from an export or a mirror).
    pub fn mark_without_vault(&self) -> Result<(), StoreAppendError> {
        contained("writing the vault marker", || {
            let Handle::Write(db) = &self.handle else {
                return Err(StoreAppendError::ReadOnly);
            };
            let txn = db.begin_write().map_err(store_err("starting a write"))?;
            txn.open_table(META)
                .map_err(store_err("opening the meta table"))?
                .insert(VAULT_KEY, VAULT_NONE)
                .map_err(store_err("writing the vault marker"))?;
            txn.commit().map_err(store_err("committing"))?;
            Ok(())
        })
    }

    /// Whether the ledger was opened read-only.
    pub fn is_read_only(&self) -> bool {
        matches!(self.handle, Handle::Read(_))
    }

    /// The path the ledger was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read_txn(&self) -> Result<redb::ReadTransaction, StoreError> {
        match &self.handle {
            Handle::Write(db) => db.begin_read(),
            Handle::Read(db) => db.begin_read(),
        }
        .map_err(store_err("starting a read"))
    }

    /// Checks the file is a ledger (`meta["magic"]`) and returns its `meta["store_version"]`.
    fn stored_version(&self) -> Result<u32, OpenError> {
        let not_ledger = |reason: &str| OpenError::NotALedger {
            path: self.path.clone(),
            reason: reason.to_owned(),
        };
        let txn = self.read_txn().map_err(|e| OpenError::Storage {
            path: self.path.clone(),
            source: Box::new(e),
        })?;
        let meta = match txn.open_table(META) {
            Ok(t) => t,
            Err(TableError::TableDoesNotExist(_)) => {
                return Err(not_ledger(
                    "it is a redb database without a ledger's tables",
                ));
            }
            Err(e) => return Err(not_ledger(&e.to_string())),
        };
        let magic = meta
            .get("magic")
            .map_err(|e| not_ledger(&e.to_string()))?
            .map(|v| v.value().to_vec());
        if magic.as_deref() != Some(LEDGER_MAGIC) {
            return Err(not_ledger("its magic value is missing or wrong"));
        }
        let version = meta
            .get("store_version")
            .map_err(|e| not_ledger(&e.to_string()))?
            .and_then(|v| <[u8; 4]>::try_from(v.value()).ok())
            .map(u32::from_le_bytes)
            .ok_or_else(|| not_ledger("its store version is missing"))?;
        Ok(version)
    }

    fn check_meta(&self) -> Result<(), OpenError> {
        let version = self.stored_version()?;
        if version > STORE_VERSION {
            return Err(OpenError::NewerVersion {
                path: self.path.clone(),
                found: version,
            });
        }
        if version < STORE_VERSION {
            return Err(OpenError::OlderVersion {
                path: self.path.clone(),
                found: version,
            });
        }
        Ok(())
    }

    /// Number of records stored (the next sequence number, if the log is contiguous).
    pub fn len(&self) -> Result<u64, StoreError> {
        contained("reading the entry count", || {
            let txn = self.read_txn()?;
            let table = txn
                .open_table(ENTRIES)
                .map_err(store_err("opening the entries table"))?;
            next_seq(&table)
        })
    }

    /// Whether the log holds no records.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    /// Reads one record by key.
    pub fn get(&self, key: u64) -> Result<Option<StoredRecord>, StoreError> {
        let mut found = None;
        self.scan(key, Some(key + 1), |r| {
            found = Some(r);
            Ok::<_, StoreError>(())
        })?;
        Ok(found)
    }

    /// Streams records with keys in `from..to` (or to the end) in key order, one at a time, to
    /// `visit`, inside one read transaction (a consistent snapshot even while a writer appends).
    pub fn scan<E: From<StoreError>>(
        &self,
        from: u64,
        to: Option<u64>,
        mut visit: impl FnMut(StoredRecord) -> Result<(), E>,
    ) -> Result<(), E> {
        // The visitor is not storage code: its errors and panics are handed back as they are.
        let mut stopped = None;
        contained("reading entries", || {
            let txn = self.read_txn()?;
            let entries = txn
                .open_table(ENTRIES)
                .map_err(store_err("opening the entries table"))?;
            let range = match to {
                Some(to) => entries.range(from..to),
                None => entries.range(from..),
            }
            .map_err(store_err("reading entries"))?;
            // The vault (keyed by seq) and the Merkle hashes (written in record order) are walked
            // alongside the entries, so a verifier can check them in the same single pass.
            let vault = match txn.open_table(VAULT) {
                Ok(t) => Some(t),
                // A ledger without the table holds no field values.
                Err(TableError::TableDoesNotExist(_)) => None,
                Err(e) => return Err(store_err("opening the vault")(e)),
            };
            let mut vault_iter = match &vault {
                Some(t) => Some(t.range(from..).map_err(store_err("reading the vault"))?),
                None => None,
            };
            let mut next_vault = || -> Result<Option<(u64, Vec<u8>)>, StoreError> {
                match vault_iter.as_mut() {
                    None => Ok(None),
                    Some(it) => it
                        .next()
                        .transpose()
                        .map(|o| o.map(|(k, v)| (k.value(), v.value().to_vec())))
                        .map_err(store_err("reading the vault")),
                }
            };
            let tree = txn
                .open_table(TREE)
                .map_err(store_err("opening the Merkle hashes table"))?;
            let mut tree_iter = tree
                .range(tlog::stored_hash_index(0, from)..)
                .map_err(store_err("reading Merkle hashes"))?;
            let mut next_tree = || -> Result<Option<(u64, [u8; 32])>, StoreError> {
                tree_iter
                    .next()
                    .transpose()
                    .map(|o| o.map(|(k, v)| (k.value(), *v.value())))
                    .map_err(store_err("reading Merkle hashes"))
            };
            let mut vault_ahead = next_vault()?;
            let mut tree_ahead = next_tree()?;
            for item in range {
                let (k, v) = item.map_err(store_err("reading entries"))?;
                let key = k.value();
                let (signature, bytes, malformed) = match rows::unpack_entry(v.value()) {
                    Ok((signature, bytes)) => (Some(signature), bytes, None),
                    Err(e) => (None, Vec::new(), Some(e)),
                };
                while vault_ahead.as_ref().is_some_and(|(vk, _)| *vk < key) {
                    vault_ahead = next_vault()?;
                }
                let vault_row = match vault_ahead.take() {
                    Some((vk, row)) if vk == key => {
                        vault_ahead = next_vault()?;
                        Some(row)
                    }
                    other => {
                        vault_ahead = other;
                        None
                    }
                };
                // Record `key` closed 1 + (trailing ones of key) subtrees, from its leaf's index
                // on; those of level TREE_MIN_STORED_LEVEL and up are stored.
                let first = tlog::stored_hash_index(0, key);
                let count = 1 + u64::from((key + 1).trailing_zeros());
                while tree_ahead.is_some_and(|(i, _)| i < first) {
                    tree_ahead = next_tree()?;
                }
                let mut tree_hashes = Vec::new();
                while let Some((i, h)) = tree_ahead {
                    if i >= first + count {
                        break;
                    }
                    tree_hashes.push((i, h));
                    tree_ahead = next_tree()?;
                }
                let record = StoredRecord {
                    key,
                    bytes,
                    signature,
                    malformed,
                    vault_row,
                    tree: tree_hashes,
                };
                match outside_engine(|| visit(record)) {
                    Ok(Ok(())) => {}
                    other => {
                        stopped = Some(other);
                        break;
                    }
                }
            }
            Ok::<_, StoreError>(())
        })?;
        match stopped {
            None => Ok(()),
            Some(Ok(result)) => result,
            Some(Err(panic)) => std::panic::resume_unwind(panic),
        }
    }

    /// Appends records in one durable transaction: all of them or none. The register snapshot
    /// is left as it is (a writer that finds it behind catches up from it).
    pub fn append(&self, records: &[NewRecord]) -> Result<(), StoreAppendError> {
        self.append_indexed(records, None)
    }

    /// Appends records and, in the same durable transaction, the derived `index` (register
    /// snapshot and references): all of it or none.
    pub fn append_indexed(
        &self,
        records: &[NewRecord],
        index: Option<&IndexUpdate>,
    ) -> Result<(), StoreAppendError> {
        contained("appending", || {
            let Handle::Write(db) = &self.handle else {
                return Err(StoreAppendError::ReadOnly);
            };
            let txn = db.begin_write().map_err(store_err("starting a write"))?;
            {
                let mut entries = txn
                    .open_table(ENTRIES)
                    .map_err(store_err("opening the entries table"))?;
                let mut vault = txn
                    .open_table(VAULT)
                    .map_err(store_err("opening the vault"))?;
                let mut tree = txn
                    .open_table(TREE)
                    .map_err(store_err("opening the Merkle hashes table"))?;
                let next = next_seq(&entries)?;
                for (r, expected) in records.iter().zip(next..) {
                    if r.seq != expected {
                        // Dropping the transaction aborts it: nothing is written.
                        return Err(StoreAppendError::OutOfSequence {
                            expected,
                            found: r.seq,
                        });
                    }
                    entries
                        .insert(r.seq, rows::pack_entry(&r.signature, &r.bytes).as_slice())
                        .map_err(store_err("writing an entry"))?;
                    if !r.vault.is_empty() {
                        let row = rows::pack_vault(&r.vault).map_err(|e| {
                            let (field, reason) = match e {
                                rows::VaultPackError::Name(n) => {
                                    (n, "a field name must be 1 to 255 bytes")
                                }
                                rows::VaultPackError::Value(n) => {
                                    (n, "a value must be under 4 GiB")
                                }
                                rows::VaultPackError::Duplicate(n) => {
                                    (n, "the entry has two values for this field")
                                }
                            };
                            StoreAppendError::Unstorable {
                                seq: r.seq,
                                field,
                                reason,
                            }
                        })?;
                        vault
                            .insert(r.seq, row.as_slice())
                            .map_err(store_err("writing the vault"))?;
                    }
                    if !r.erase.is_empty() {
                        erase_fields(&txn, &mut vault, &r.erase)?;
                    }
                    // The Merkle tree's hashes: the leaf, then every complete subtree this leaf
                    // closes; those of the stored levels are written (docs/FORMAT.md §10.4).
                    // Leaf hashes of this batch are known; earlier ones are read back.
                    let mut reader = TreeReader::new(&tree, &entries);
                    reader.known = (next, records);
                    let new = tlog::stored_hashes(r.seq, &r.hash, &reader)
                        .map_err(store_err("computing Merkle hashes"))?;
                    let first = tlog::stored_hash_index(0, r.seq);
                    for (i, h) in (first..).zip(&new).skip(TREE_MIN_STORED_LEVEL as usize) {
                        tree.insert(i, h)
                            .map_err(store_err("writing Merkle hashes"))?;
                    }
                }
            }
            if let Some(index) = index {
                write_index(&txn, index)?;
            }
            txn.commit().map_err(store_err("committing"))?;
            Ok(())
        })
    }

    /// The saved register snapshot, if any (undecoded).
    pub fn snapshot(&self) -> Result<Option<Vec<u8>>, StoreError> {
        contained("reading the register snapshot", || {
            let txn = self.read_txn()?;
            let table = match txn.open_table(SNAPSHOT) {
                Ok(t) => t,
                Err(TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(e) => return Err(store_err("opening the register snapshot")(e)),
            };
            Ok(table
                .get(SNAPSHOT_KEY)
                .map_err(store_err("reading the register snapshot"))?
                .map(|v| v.value().to_vec()))
        })
    }

    /// The entries recorded as referring to entry `target` (acknowledging, correcting or
    /// confirming it), in order. Empty for a file without the references table.
    pub fn references_to(&self, target: u64) -> Result<Vec<u64>, StoreError> {
        contained("reading references", || {
            let txn = self.read_txn()?;
            let table = match txn.open_table(REFERENCES) {
                Ok(t) => t,
                Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(e) => return Err(store_err("opening the references table")(e)),
            };
            let block = target / rows::REFERENCE_BLOCK;
            let Some(row) = table.get(block).map_err(store_err("reading references"))? else {
                return Ok(Vec::new());
            };
            Ok(reference_block(block, row.value())?
                .into_iter()
                .filter(|&(t, _)| t == target)
                .map(|(_, by)| by)
                .collect())
        })
    }

    /// Reads, in one read transaction (so all from the same commit), the number of entries, the
    /// saved register snapshot, and every stored (target, referring entry) pair in order, which
    /// go to `visit`; a references row that cannot be read goes to `visit` as `Err`.
    pub fn read_index(
        &self,
        mut visit: impl FnMut(Result<(u64, u64), String>),
    ) -> Result<(u64, Option<Vec<u8>>), StoreError> {
        contained("reading the index", || {
            let txn = self.read_txn()?;
            let entries = txn
                .open_table(ENTRIES)
                .map_err(store_err("opening the entries table"))?;
            let len = next_seq(&entries)?;
            let snapshot = match txn.open_table(SNAPSHOT) {
                Ok(t) => t
                    .get(SNAPSHOT_KEY)
                    .map_err(store_err("reading the register snapshot"))?
                    .map(|v| v.value().to_vec()),
                Err(TableError::TableDoesNotExist(_)) => None,
                Err(e) => return Err(store_err("opening the register snapshot")(e)),
            };
            match txn.open_table(REFERENCES) {
                Ok(table) => {
                    for r in table.iter().map_err(store_err("reading references"))? {
                        let (k, v) = r.map_err(store_err("reading references"))?;
                        match rows::unpack_references(k.value(), v.value()) {
                            Ok(refs) => refs.into_iter().for_each(|pair| visit(Ok(pair))),
                            Err(why) => visit(Err(why)),
                        }
                    }
                }
                Err(TableError::TableDoesNotExist(_)) => {}
                Err(e) => return Err(store_err("opening the references table")(e)),
            }
            Ok((len, snapshot))
        })
    }

    /// Replaces the register snapshot and the whole references table in one durable
    /// transaction (`dledger reindex`), leaving every entry untouched.
    pub fn rewrite_index(&self, index: &IndexUpdate) -> Result<(), StoreAppendError> {
        contained("rewriting the index", || {
            let Handle::Write(db) = &self.handle else {
                return Err(StoreAppendError::ReadOnly);
            };
            let txn = db.begin_write().map_err(store_err("starting a write"))?;
            write_index(
                &txn,
                &IndexUpdate {
                    rebuild: true,
                    ..index.clone()
                },
            )?;
            txn.commit().map_err(store_err("committing"))?;
            Ok(())
        })
    }

    /// Rewrites the file to drop free space left by earlier transactions (redb compaction).
    /// Entries are untouched. Returns whether anything was reclaimed.
    pub fn compact(&mut self) -> Result<bool, StoreAppendError> {
        let Handle::Write(db) = &mut self.handle else {
            return Err(StoreAppendError::ReadOnly);
        };
        let mut any = false;
        while db.compact().map_err(store_err("compacting"))? {
            any = true;
        }
        Ok(any)
    }

    /// Reads Merkle hashes by stored hash index (for roots and proofs; see `merkle`), whether
    /// stored or, below [`TREE_MIN_STORED_LEVEL`], recomputed from the entries they cover.
    pub fn read_tree_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, StoreError> {
        contained("reading Merkle hashes", || {
            let txn = self.read_txn()?;
            let tree = txn
                .open_table(TREE)
                .map_err(store_err("opening the Merkle hashes table"))?;
            let entries = txn
                .open_table(ENTRIES)
                .map_err(store_err("opening the entries table"))?;
            TreeReader::new(&tree, &entries)
                .read_hashes(indexes)
                .map_err(store_err("reading Merkle hashes"))
        })
    }

    /// Stores (or replaces) the checkpoint note for tree size `size`.
    pub fn put_checkpoint(&self, size: u64, note: &[u8]) -> Result<(), StoreAppendError> {
        contained("writing a checkpoint", || {
            let Handle::Write(db) = &self.handle else {
                return Err(StoreAppendError::ReadOnly);
            };
            let txn = db.begin_write().map_err(store_err("starting a write"))?;
            {
                let mut t = txn
                    .open_table(CHECKPOINTS)
                    .map_err(store_err("opening the checkpoints table"))?;
                t.insert(size, note)
                    .map_err(store_err("writing a checkpoint"))?;
            }
            txn.commit().map_err(store_err("committing"))?;
            Ok(())
        })
    }

    /// Every stored checkpoint note, by tree size, smallest first.
    pub fn checkpoints(&self) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        contained("reading checkpoints", || {
            let txn = self.read_txn()?;
            let t = txn
                .open_table(CHECKPOINTS)
                .map_err(store_err("opening the checkpoints table"))?;
            let mut out = Vec::new();
            for item in t.iter().map_err(store_err("reading checkpoints"))? {
                let (k, v) = item.map_err(store_err("reading checkpoints"))?;
                out.push((k.value(), v.value().to_vec()));
            }
            Ok(out)
        })
    }

    /// Erases the vault items of the given entries, recording when; hashes are untouched.
    /// Returns how many field values were erased.
    pub fn erase_vault(&self, seqs: &[u64], erased_at: i64) -> Result<u64, StoreAppendError> {
        contained("erasing the vault", || {
            let Handle::Write(db) = &self.handle else {
                return Err(StoreAppendError::ReadOnly);
            };
            let txn = db.begin_write().map_err(store_err("starting a write"))?;
            let mut n = 0;
            {
                let mut vault = txn
                    .open_table(VAULT)
                    .map_err(store_err("opening the vault"))?;
                let mut erased = txn
                    .open_table(VAULT_ERASED)
                    .map_err(store_err("opening the vault"))?;
                for &seq in seqs {
                    let Some(row) = vault
                        .remove(seq)
                        .map_err(store_err("erasing the vault"))?
                        .map(|v| v.value().to_vec())
                    else {
                        continue;
                    };
                    let items = vault_row_to_erase(seq, &row)?;
                    for (name, _) in items {
                        erased
                            .insert((seq, name.as_str()), erased_at)
                            .map_err(store_err("erasing the vault"))?;
                        n += 1;
                    }
                }
            }
            txn.commit().map_err(store_err("committing"))?;
            Ok(n)
        })
    }

    /// Fields of entry `seq` whose values were erased, with when (seconds since the epoch).
    pub fn vault_erased(&self, seq: u64) -> Result<Vec<(String, i64)>, StoreError> {
        contained("reading the vault", || {
            let txn = self.read_txn()?;
            let t = match txn.open_table(VAULT_ERASED) {
                Ok(t) => t,
                // A ledger without the table has erased nothing.
                Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(e) => return Err(store_err("opening the vault")(e)),
            };
            let mut out = Vec::new();
            for item in t
                .range((seq, "")..(seq + 1, ""))
                .map_err(store_err("reading the vault"))?
            {
                let (k, v) = item.map_err(store_err("reading the vault"))?;
                out.push((k.value().1.to_owned(), v.value()));
            }
            Ok(out)
        })
    }

    /// Reads the vault items (field name, salt ‖ value) of one entry.
    pub fn vault_items(&self, seq: u64) -> Result<Vec<VaultItem>, StoreError> {
        contained("reading the vault", || {
            let txn = self.read_txn()?;
            let vault = match txn.open_table(VAULT) {
                Ok(t) => t,
                // A ledger without the table holds no field values.
                Err(TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
                Err(e) => return Err(store_err("opening the vault")(e)),
            };
            let Some(row) = vault.get(seq).map_err(store_err("reading the vault"))? else {
                return Ok(Vec::new());
            };
            rows::unpack_vault(row.value()).map_err(|e| StoreError {
                doing: "reading the vault",
                source: format!(
                    "the vault row of entry {seq} is damaged ({e}); restore the ledger from a \
                     backup to recover its field values"
                )
                .into(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` records with arbitrary (not decodable) bytes, long zero runs included, and a vault
    /// row for every third.
    fn records(n: u64) -> Vec<NewRecord> {
        (0..n)
            .map(|seq| {
                let mut bytes = vec![1, 0];
                bytes.extend_from_slice(&seq.to_le_bytes());
                bytes.extend(std::iter::repeat_n(0, (seq as usize * 37) % 300));
                bytes.push((seq % 251) as u8 + 1);
                let vault = if seq.is_multiple_of(3) {
                    vec![
                        (
                            "request_date".into(),
                            [vec![seq as u8; 32], b"2024-02-27".to_vec()].concat(),
                        ),
                        ("summary".into(), vec![0xee; 40]),
                    ]
                } else {
                    Vec::new()
                };
                NewRecord {
                    seq,
                    hash: leaf_hash(&bytes),
                    signature: [(seq % 256) as u8; 64],
                    bytes,
                    vault,
                    erase: Vec::new(),
                }
            })
            .collect()
    }

    #[test]
    fn records_read_back_with_only_the_upper_tree_levels_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.ledger");
        let store = Store::create(&path).unwrap();
        let all = records(300);
        // In batches of different sizes, so tree hashes come both from the batch and from
        // entries committed earlier.
        for chunk in [&all[..1], &all[1..20], &all[20..21], &all[21..300]] {
            store.append(chunk).unwrap();
        }
        let mut seen = Vec::new();
        store
            .scan(0, None, |r| {
                seen.push(r);
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(seen.len(), all.len());
        let mem = tlog::MemoryHashes::from_leaf_hashes(all.iter().map(|r| r.hash));
        for (r, want) in seen.iter().zip(&all) {
            assert_eq!(r.key, want.seq);
            assert_eq!(r.bytes, want.bytes);
            assert_eq!(r.signature, Some(want.signature));
            assert_eq!(r.malformed, None);
            assert_eq!(r.vault().unwrap(), want.vault);
            // Exactly the record's hashes of level 4 and up are stored.
            let first = tlog::stored_hash_index(0, r.key);
            let levels = 1 + (r.key + 1).trailing_zeros();
            let expected: Vec<(u64, [u8; 32])> = (TREE_MIN_STORED_LEVEL..levels)
                .map(|l| {
                    let i = first + u64::from(l);
                    (i, mem.read_hashes(&[i]).unwrap()[0])
                })
                .collect();
            assert_eq!(r.tree, expected, "record {}", r.key);
        }
        // Every hash, stored or recomputed, is the tree's.
        let count = tlog::stored_hash_count(300);
        let indexes: Vec<u64> = (0..count).collect();
        assert_eq!(
            store.read_tree_hashes(&indexes).unwrap(),
            mem.read_hashes(&indexes).unwrap()
        );
        for size in [1, 2, 15, 16, 17, 255, 256, 299, 300] {
            assert_eq!(
                tlog::tree_hash(size, &store).unwrap(),
                tlog::tree_hash(size, &mem).unwrap()
            );
            for index in [0, size / 2, size - 1] {
                assert_eq!(
                    tlog::prove_inclusion(index, size, &store).unwrap(),
                    tlog::prove_inclusion(index, size, &mem).unwrap()
                );
                if index > 0 {
                    assert_eq!(
                        tlog::prove_consistency(index, size, &store).unwrap(),
                        tlog::prove_consistency(index, size, &mem).unwrap()
                    );
                }
            }
        }
    }

    #[test]
    fn erasing_the_vault_keeps_the_names_and_dates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.ledger");
        let store = Store::create(&path).unwrap();
        store.append(&records(10)).unwrap();
        assert_eq!(store.vault_items(3).unwrap().len(), 2);
        assert_eq!(store.erase_vault(&[3, 4, 6], 1_700_000_000).unwrap(), 4);
        assert!(store.vault_items(3).unwrap().is_empty());
        assert_eq!(store.vault_items(9).unwrap().len(), 2);
        assert_eq!(
            store.vault_erased(6).unwrap(),
            vec![
                ("request_date".to_owned(), 1_700_000_000),
                ("summary".to_owned(), 1_700_000_000)
            ]
        );
        assert_eq!(store.erase_vault(&[3], 1_800_000_000).unwrap(), 0);
        assert_eq!(store.vault_erased(3).unwrap()[0].1, 1_700_000_000);
    }

    #[test]
    fn unstorable_vault_items_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.ledger");
        let store = Store::create(&path).unwrap();
        let mut recs = records(2);
        recs[1].vault = vec![(String::new(), vec![0; 32])];
        assert!(matches!(
            store.append(&recs),
            Err(StoreAppendError::Unstorable { seq: 1, .. })
        ));
        assert_eq!(store.len().unwrap(), 0);
    }
}
