//! What the rest of the code may ask of a ledger's storage, as two traits: [`LogReader`] (the
//! log, its Merkle hashes, checkpoints and vault, read in a consistent snapshot) and
//! [`LogWriter`] (durable appends). [`Store`] — the redb file — implements both; a new backend
//! (a mirror's replica, object storage) implements them too, and `verify`, `review`, proofs and
//! evidence run on it unchanged (docs/ARCHITECTURE.md, "A new storage backend").
//!
//! INVARIANT: an implementation returns records in sequence order with no gaps, and an append
//! that returned `Ok` is durable.

use tlog::HashReader;

use crate::{NewRecord, Store, StoreAppendError, StoreError, StoredRecord, VaultItem};

/// Reading a ledger's log. Every method reads a consistent state, even while a writer appends.
pub trait LogReader: HashReader<Error = StoreError> {
    /// Number of entries.
    fn len(&self) -> Result<u64, StoreError>;

    /// Whether the log has no entries.
    fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    /// The record of entry `seq`, if there is one.
    fn get(&self, seq: u64) -> Result<Option<StoredRecord>, StoreError>;

    /// Streams the records `from..to` (or to the end) in order, one at a time, to `visit`, from
    /// one consistent snapshot. The visitor's error stops the scan and is returned.
    fn scan<E: From<StoreError>>(
        &self,
        from: u64,
        to: Option<u64>,
        visit: impl FnMut(StoredRecord) -> Result<(), E>,
    ) -> Result<(), E>;

    /// Every stored checkpoint note, by tree size, in increasing size.
    fn checkpoints(&self) -> Result<Vec<(u64, Vec<u8>)>, StoreError>;

    /// The vault items (field name, salt ‖ value) of entry `seq`; empty for a copy that holds
    /// no values.
    fn vault_items(&self, seq: u64) -> Result<Vec<VaultItem>, StoreError>;

    /// The fields of entry `seq` whose values were erased, with when (Unix seconds).
    fn vault_erased(&self, seq: u64) -> Result<Vec<(String, i64)>, StoreError>;
}

/// Appending to a ledger's log. Each call is all or nothing and durable when it returns.
pub trait LogWriter: LogReader {
    /// Appends `records` (already encoded, hashed and signed, numbered from `len()`).
    fn append(&self, records: &[NewRecord]) -> Result<(), StoreAppendError>;

    /// Stores a checkpoint note for tree size `size`.
    fn put_checkpoint(&self, size: u64, note: &[u8]) -> Result<(), StoreAppendError>;
}

impl LogReader for Store {
    fn len(&self) -> Result<u64, StoreError> {
        Store::len(self)
    }

    fn get(&self, seq: u64) -> Result<Option<StoredRecord>, StoreError> {
        Store::get(self, seq)
    }

    fn scan<E: From<StoreError>>(
        &self,
        from: u64,
        to: Option<u64>,
        visit: impl FnMut(StoredRecord) -> Result<(), E>,
    ) -> Result<(), E> {
        Store::scan(self, from, to, visit)
    }

    fn checkpoints(&self) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        Store::checkpoints(self)
    }

    fn vault_items(&self, seq: u64) -> Result<Vec<VaultItem>, StoreError> {
        Store::vault_items(self, seq)
    }

    fn vault_erased(&self, seq: u64) -> Result<Vec<(String, i64)>, StoreError> {
        Store::vault_erased(self, seq)
    }
}

impl LogWriter for Store {
    fn append(&self, records: &[NewRecord]) -> Result<(), StoreAppendError> {
        Store::append(self, records)
    }

    fn put_checkpoint(&self, size: u64, note: &[u8]) -> Result<(), StoreAppendError> {
        Store::put_checkpoint(self, size, note)
    }
}
