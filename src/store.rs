//! The ledger file: the only module that imports redb.
//!
//! One redb file holds the log (entry bytes, signatures, stored entry hashes), outside the
//! hashed log the vault of field values, and derived data a writer opens from instead of
//! replaying (the register snapshot and the references index; `verify` checks both). Appends are single write transactions committed with
//! redb's default immediate durability, so an append that returned is on disk. Table layout:
//! docs/FORMAT.md, "The ledger file".

use std::path::{Path, PathBuf};

use crate::merkle::{self, HashReader as _};
use redb::{
    Builder, ConcurrencyMode, Database, DatabaseError, ReadOnlyDatabase, ReadableDatabase,
    ReadableTable, TableDefinition, TableError,
};

/// Magic value stored under `meta["magic"]` to tell a ledger from any other redb file.
pub const LEDGER_MAGIC: &[u8] = b"disclosure-ledger";

/// The version of the table layout this build writes and reads.
pub const STORE_VERSION: u32 = 1;

const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
const SIGNATURES: TableDefinition<u64, &[u8; 64]> = TableDefinition::new("signatures");
const HASHES: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("entry_hashes");
const VAULT: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("vault");
const VAULT_ERASED: TableDefinition<(u64, &str), i64> = TableDefinition::new("vault_erased");
const TREE: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("merkle_hashes");
const CHECKPOINTS: TableDefinition<u64, &[u8]> = TableDefinition::new("checkpoints");
const SNAPSHOT: TableDefinition<&str, &[u8]> = TableDefinition::new("register_snapshot");
const REFERENCES: TableDefinition<(u64, u64), ()> = TableDefinition::new("references");

/// The key of the one row of the snapshot table.
const SNAPSHOT_KEY: &str = "registers";

/// Boxed error from the storage engine, kept opaque so no caller depends on redb.
pub type StorageError = Box<dyn std::error::Error + Send + Sync>;

/// Why a ledger file could not be opened or created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// No file at the path.
    #[error(
        "no ledger at {path}: the file does not exist. Check the path, or create a ledger with \
         `dledger init {path} ...`"
    )]
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
    /// The file exists but is not a disclosure ledger.
    #[error(
        "{path} is not a disclosure ledger ({reason}); check you passed the right file (ledgers \
         are made by `dledger init` or `dledger import`)"
    )]
    NotALedger {
        /// The path given.
        path: PathBuf,
        /// What gave it away.
        reason: String,
    },
    /// Another process has the ledger open for writing.
    #[error(
        "{path} is locked by another dledger process that is writing to it; wait for it to \
         finish, or pass --wait SECONDS to retry for a while"
    )]
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

/// An entry as stored: its bytes, signature and the entry hash recorded next to it.
/// Nothing here has been checked; `verify` does that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// The key the record is stored under (should equal the entry's own sequence number).
    pub key: u64,
    /// Encoded entry bytes.
    pub bytes: Vec<u8>,
    /// Ed25519 signature over the entry message, if one is stored.
    pub signature: Option<[u8; 64]>,
    /// Entry hash stored beside the entry, if one is stored.
    pub stored_hash: Option<[u8; 32]>,
    /// The vault items (field name, salt ‖ value) stored for this entry.
    pub vault: Vec<VaultItem>,
    /// The Merkle stored hashes written with this entry (its leaf hash, then the complete
    /// subtrees it closed), in index order, with their indexes.
    pub tree: Vec<(u64, [u8; 32])>,
}

/// One vault item: a field's name and its salt (32 bytes) followed by its value.
pub type VaultItem = (String, Vec<u8>);

/// A record to append: the caller has encoded, hashed and signed it.
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// Sequence number; must continue the log exactly.
    pub seq: u64,
    /// Encoded entry bytes.
    pub bytes: Vec<u8>,
    /// Entry signature.
    pub signature: [u8; 64],
    /// Entry hash of `bytes`.
    pub hash: [u8; 32],
    /// Vault items for this entry: (field name, salt ‖ value).
    pub vault: Vec<VaultItem>,
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
    for &pair in &index.references {
        refs.insert(pair, ())
            .map_err(store_err("writing references"))?;
    }
    Ok(())
}

/// Reads Merkle stored hashes from a table of a read or write transaction.
struct TreeReader<'t, T>(&'t T);

impl<T: ReadableTable<u64, &'static [u8; 32]>> merkle::HashReader for TreeReader<'_, T> {
    type Error = redb::StorageError;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, redb::StorageError> {
        indexes
            .iter()
            .map(|&i| {
                self.0.get(i)?.map(|h| *h.value()).ok_or_else(|| {
                    redb::StorageError::Corrupted(format!("Merkle hash {i} is missing"))
                })
            })
            .collect()
    }
}

impl merkle::HashReader for Store {
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
        if path.exists() {
            return Err(OpenError::AlreadyExists {
                path: path.to_owned(),
            });
        }
        let db = builder()
            .create(path)
            .map_err(|e| map_open_error(path, e))?;
        let txn = db.begin_write().map_err(|e| OpenError::Storage {
            path: path.to_owned(),
            source: Box::new(e),
        })?;
        let write = || -> Result<(), redb::Error> {
            {
                let mut meta = txn.open_table(META)?;
                meta.insert("magic", LEDGER_MAGIC)?;
                meta.insert("store_version", &STORE_VERSION.to_le_bytes()[..])?;
                txn.open_table(ENTRIES)?;
                txn.open_table(SIGNATURES)?;
                txn.open_table(HASHES)?;
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

    fn check_meta(&self) -> Result<(), OpenError> {
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
        if version > STORE_VERSION {
            return Err(OpenError::NewerVersion {
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
            match table.last().map_err(store_err("reading the last entry"))? {
                Some((k, _)) => Ok(k.value() + 1),
                None => Ok(0),
            }
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
            let sigs = txn
                .open_table(SIGNATURES)
                .map_err(store_err("opening the signatures table"))?;
            let hashes = txn
                .open_table(HASHES)
                .map_err(store_err("opening the entry hashes table"))?;
            let range = match to {
                Some(to) => entries.range(from..to),
                None => entries.range(from..),
            }
            .map_err(store_err("reading entries"))?;
            // The three tables share their keys: walk them side by side rather than looking
            // each signature and hash up (a B-tree descent each) for every entry.
            let mut sig_iter = sigs
                .range(from..)
                .map_err(store_err("reading signatures"))?;
            let mut hash_iter = hashes
                .range(from..)
                .map_err(store_err("reading entry hashes"))?;
            let mut next_sig = || -> Result<Option<(u64, [u8; 64])>, StoreError> {
                sig_iter
                    .next()
                    .transpose()
                    .map(|o| o.map(|(k, v)| (k.value(), *v.value())))
                    .map_err(store_err("reading signatures"))
            };
            let mut next_hash = || -> Result<Option<(u64, [u8; 32])>, StoreError> {
                hash_iter
                    .next()
                    .transpose()
                    .map(|o| o.map(|(k, v)| (k.value(), *v.value())))
                    .map_err(store_err("reading entry hashes"))
            };
            let mut sig_ahead = next_sig()?;
            let mut hash_ahead = next_hash()?;
            // The vault (keyed by seq, field) and the Merkle hashes (written in record order) are
            // walked alongside too, so a verifier can check them in the same single pass.
            let vault = txn.open_table(VAULT).ok();
            let mut vault_iter = match &vault {
                Some(t) => Some(
                    t.range((from, "")..)
                        .map_err(store_err("reading the vault"))?,
                ),
                None => None,
            };
            let mut next_vault = || -> Result<Option<(u64, VaultItem)>, StoreError> {
                match vault_iter.as_mut() {
                    None => Ok(None),
                    Some(it) => it
                        .next()
                        .transpose()
                        .map(|o| {
                            o.map(|(k, v)| {
                                let (seq, name) = k.value();
                                (seq, (name.to_owned(), v.value().to_vec()))
                            })
                        })
                        .map_err(store_err("reading the vault")),
                }
            };
            let tree = txn
                .open_table(TREE)
                .map_err(store_err("opening the Merkle hashes table"))?;
            let mut tree_iter = tree
                .range(merkle::stored_hash_index(0, from)..)
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
                while sig_ahead.is_some_and(|(sk, _)| sk < key) {
                    sig_ahead = next_sig()?;
                }
                let signature = sig_ahead.filter(|(sk, _)| *sk == key).map(|(_, s)| s);
                while hash_ahead.is_some_and(|(hk, _)| hk < key) {
                    hash_ahead = next_hash()?;
                }
                let stored_hash = hash_ahead.filter(|(hk, _)| *hk == key).map(|(_, h)| h);
                while vault_ahead.as_ref().is_some_and(|(vk, _)| *vk < key) {
                    vault_ahead = next_vault()?;
                }
                let mut vault_items = Vec::new();
                while vault_ahead.as_ref().is_some_and(|(vk, _)| *vk == key) {
                    if let Some((_, item)) = vault_ahead.take() {
                        vault_items.push(item);
                    }
                    vault_ahead = next_vault()?;
                }
                // Record `key` wrote 1 + (trailing ones of key) hashes from its leaf's index.
                let first = merkle::stored_hash_index(0, key);
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
                    bytes: v.value().to_vec(),
                    signature,
                    stored_hash,
                    vault: vault_items,
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
                let mut sigs = txn
                    .open_table(SIGNATURES)
                    .map_err(store_err("opening the signatures table"))?;
                let mut hashes = txn
                    .open_table(HASHES)
                    .map_err(store_err("opening the entry hashes table"))?;
                let mut vault = txn
                    .open_table(VAULT)
                    .map_err(store_err("opening the vault"))?;
                let mut tree = txn
                    .open_table(TREE)
                    .map_err(store_err("opening the Merkle hashes table"))?;
                let next = match entries
                    .last()
                    .map_err(store_err("reading the last entry"))?
                {
                    Some((k, _)) => k.value() + 1,
                    None => 0,
                };
                for (r, expected) in records.iter().zip(next..) {
                    if r.seq != expected {
                        // Dropping the transaction aborts it: nothing is written.
                        return Err(StoreAppendError::OutOfSequence {
                            expected,
                            found: r.seq,
                        });
                    }
                    entries
                        .insert(r.seq, r.bytes.as_slice())
                        .map_err(store_err("writing an entry"))?;
                    sigs.insert(r.seq, &r.signature)
                        .map_err(store_err("writing a signature"))?;
                    hashes
                        .insert(r.seq, &r.hash)
                        .map_err(store_err("writing an entry hash"))?;
                    for (name, value) in &r.vault {
                        vault
                            .insert((r.seq, name.as_str()), value.as_slice())
                            .map_err(store_err("writing the vault"))?;
                    }
                    // The Merkle tree's stored hashes: the leaf, then every complete subtree this
                    // leaf closes (docs/FORMAT.md, "Merkle hashes").
                    let new = merkle::stored_hashes(r.seq, &r.hash, &TreeReader(&tree))
                        .map_err(store_err("computing Merkle hashes"))?;
                    let first = merkle::stored_hash_index(0, r.seq);
                    for (i, h) in (first..).zip(&new) {
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
            table
                .range((target, 0)..=(target, u64::MAX))
                .map_err(store_err("reading references"))?
                .map(|r| {
                    r.map(|(k, _)| k.value().1)
                        .map_err(store_err("reading references"))
                })
                .collect()
        })
    }

    /// Reads, in one read transaction (so all from the same commit), the number of entries, the
    /// saved register snapshot, and every stored (target, referring entry) pair in key order,
    /// which go to `visit`.
    pub fn read_index(
        &self,
        mut visit: impl FnMut(u64, u64),
    ) -> Result<(u64, Option<Vec<u8>>), StoreError> {
        contained("reading the index", || {
            let txn = self.read_txn()?;
            let entries = txn
                .open_table(ENTRIES)
                .map_err(store_err("opening the entries table"))?;
            let len = match entries
                .last()
                .map_err(store_err("reading the last entry"))?
            {
                Some((k, _)) => k.value() + 1,
                None => 0,
            };
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
                        let (k, _) = r.map_err(store_err("reading references"))?;
                        let (target, by) = k.value();
                        visit(target, by);
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

    /// Reads Merkle stored hashes by index (for roots and proofs; see `merkle`).
    pub fn read_tree_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, StoreError> {
        contained("reading Merkle hashes", || {
            let txn = self.read_txn()?;
            let tree = txn
                .open_table(TREE)
                .map_err(store_err("opening the Merkle hashes table"))?;
            TreeReader(&tree)
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
                    let names: Vec<String> = vault
                        .range((seq, "")..(seq + 1, ""))
                        .map_err(store_err("reading the vault"))?
                        .map(|item| item.map(|(k, _)| k.value().1.to_owned()))
                        .collect::<Result<_, _>>()
                        .map_err(store_err("reading the vault"))?;
                    for name in names {
                        vault
                            .remove((seq, name.as_str()))
                            .map_err(store_err("erasing the vault"))?;
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
            let mut out = Vec::new();
            for item in vault
                .range((seq, "")..(seq + 1, ""))
                .map_err(store_err("reading the vault"))?
            {
                let (k, v) = item.map_err(store_err("reading the vault"))?;
                out.push((k.value().1.to_owned(), v.value().to_vec()));
            }
            Ok(out)
        })
    }
}
