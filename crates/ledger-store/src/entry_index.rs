//! The entry index saved in the ledger file (docs/FORMAT.md §10.6): the nodes of the
//! authenticated map of §7.6 as of one tree size, so that a checkpoint extends it with the
//! entries since, and a proof reads O(log n) rows instead of replaying the log. Derived from
//! the entries; `verify` rebuilds the index itself and trusts nothing here.

use std::collections::BTreeMap;

use redb::{
    ReadOnlyTable, ReadableTable, ReadableTableMetadata, Table, TableDefinition, TableError,
};
use tlog::Digest;
use tlog::map::{BRANCH_BYTES, Branch, Header, LEAF_BYTES, Leaf, MapStore, MapTree};

use crate::{Handle, Store, StoreAppendError, StoreError, contained, store_err};

const LEAVES: TableDefinition<u32, &[u8; LEAF_BYTES]> = TableDefinition::new("index_leaves");
const BRANCHES: TableDefinition<u32, &[u8; BRANCH_BYTES]> = TableDefinition::new("index_branches");
const KEYS: TableDefinition<&[u8; 32], u32> = TableDefinition::new("index_keys");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("index_meta");
const SIZE_KEY: &str = "size";
const HEADER_KEY: &str = "header";

fn damaged(what: &str) -> StoreError {
    StoreError {
        doing: "reading the saved entry index",
        source: format!("{what}; rebuild it with `dledger reindex`").into(),
    }
}

/// The saved index, opened for reading (proofs): [`MapStore`] over read-only tables.
pub struct StoredIndex {
    leaves: ReadOnlyTable<u32, &'static [u8; LEAF_BYTES]>,
    branches: ReadOnlyTable<u32, &'static [u8; BRANCH_BYTES]>,
    keys: ReadOnlyTable<&'static [u8; 32], u32>,
    header: Header,
}

impl MapStore for StoredIndex {
    type Error = StoreError;

    fn leaf(&mut self, i: u32) -> Result<Leaf, StoreError> {
        catch(|| read_leaf(&self.leaves, i))
    }

    fn put_leaf(&mut self, _: u32, _: &Leaf) -> Result<(), StoreError> {
        Err(damaged("the saved index changed while it was read"))
    }

    fn branch(&mut self, b: u32) -> Result<Branch, StoreError> {
        catch(|| read_branch(&self.branches, b))
    }

    fn put_branch(&mut self, _: u32, _: &Branch) -> Result<(), StoreError> {
        Err(damaged("the saved index is not settled"))
    }

    fn find(&mut self, key: &Digest) -> Result<Option<u32>, StoreError> {
        catch(|| read_key(&self.keys, key))
    }

    fn remember(&mut self, _: &Digest, _: u32) -> Result<(), StoreError> {
        Err(damaged("the saved index changed while it was read"))
    }

    fn header(&self) -> Header {
        self.header
    }

    fn set_header(&mut self, header: Header) {
        self.header = header;
    }
}

/// Leaf `i` of a leaves table (read-only or in a write).
fn read_leaf(
    t: &impl ReadableTable<u32, &'static [u8; LEAF_BYTES]>,
    i: u32,
) -> Result<Leaf, StoreError> {
    t.get(i)
        .map_err(store_err("reading the saved entry index"))?
        .map(|v| Leaf::from_bytes(v.value()))
        .ok_or_else(|| damaged("a leaf is missing"))
}

/// Branch `b` of a branches table.
fn read_branch(
    t: &impl ReadableTable<u32, &'static [u8; BRANCH_BYTES]>,
    b: u32,
) -> Result<Branch, StoreError> {
    t.get(b)
        .map_err(store_err("reading the saved entry index"))?
        .map(|v| Branch::from_bytes(v.value()))
        .ok_or_else(|| damaged("a branch is missing"))
}

/// The leaf number of a key hash in a keys table.
fn read_key(
    t: &impl ReadableTable<&'static [u8; 32], u32>,
    key: &Digest,
) -> Result<Option<u32>, StoreError> {
    Ok(t.get(key)
        .map_err(store_err("reading the saved entry index"))?
        .map(|v| v.value()))
}

fn catch<T>(f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    contained("reading the saved entry index", f)
}

/// The saved index inside a write transaction: reads through a write-back cache, written out
/// when the update is committed.
pub struct IndexTxn<'t> {
    leaves: Table<'t, u32, &'static [u8; LEAF_BYTES]>,
    branches: Table<'t, u32, &'static [u8; BRANCH_BYTES]>,
    keys: Table<'t, &'static [u8; 32], u32>,
    header: Header,
    new_leaves: BTreeMap<u32, Leaf>,
    new_branches: BTreeMap<u32, Branch>,
    new_keys: BTreeMap<Digest, u32>,
}

impl MapStore for IndexTxn<'_> {
    type Error = StoreError;

    fn leaf(&mut self, i: u32) -> Result<Leaf, StoreError> {
        match self.new_leaves.get(&i) {
            Some(l) => Ok(l.clone()),
            None => read_leaf(&self.leaves, i),
        }
    }

    fn put_leaf(&mut self, i: u32, leaf: &Leaf) -> Result<(), StoreError> {
        self.new_leaves.insert(i, leaf.clone());
        Ok(())
    }

    fn branch(&mut self, b: u32) -> Result<Branch, StoreError> {
        match self.new_branches.get(&b) {
            Some(br) => Ok(br.clone()),
            None => read_branch(&self.branches, b),
        }
    }

    fn put_branch(&mut self, b: u32, branch: &Branch) -> Result<(), StoreError> {
        self.new_branches.insert(b, branch.clone());
        Ok(())
    }

    fn find(&mut self, key: &Digest) -> Result<Option<u32>, StoreError> {
        match self.new_keys.get(key) {
            Some(i) => Ok(Some(*i)),
            None => read_key(&self.keys, key),
        }
    }

    fn remember(&mut self, key: &Digest, i: u32) -> Result<(), StoreError> {
        self.new_keys.insert(*key, i);
        Ok(())
    }

    fn header(&self) -> Header {
        self.header
    }

    fn set_header(&mut self, header: Header) {
        self.header = header;
    }
}

impl IndexTxn<'_> {
    fn flush(&mut self) -> Result<(), StoreError> {
        let err = |e| store_err("writing the saved entry index")(e);
        for (i, l) in std::mem::take(&mut self.new_leaves) {
            self.leaves.insert(i, &l.to_bytes()).map_err(err)?;
        }
        for (b, br) in std::mem::take(&mut self.new_branches) {
            self.branches.insert(b, &br.to_bytes()).map_err(err)?;
        }
        for (k, i) in std::mem::take(&mut self.new_keys) {
            self.keys.insert(&k, i).map_err(err)?;
        }
        Ok(())
    }
}

fn read_meta(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Option<(u64, Header)>, StoreError> {
    let err = store_err("reading the saved entry index");
    let size = meta.get(SIZE_KEY).map_err(err)?;
    let err = store_err("reading the saved entry index");
    let header = meta.get(HEADER_KEY).map_err(err)?;
    match (size, header) {
        (Some(s), Some(h)) => {
            let size = u64::from_le_bytes(
                s.value()
                    .try_into()
                    .map_err(|_| damaged("its size is not 8 bytes"))?,
            );
            let header: &[u8; 12] = h
                .value()
                .try_into()
                .map_err(|_| damaged("its header is not 12 bytes"))?;
            Ok(Some((size, Header::from_bytes(header))))
        }
        _ => Ok(None),
    }
}

/// The saved index in a write transaction: the size it covers (0 and an empty map if none is
/// saved) and its nodes, with writes buffered until flushed.
fn open_index_txn(txn: &redb::WriteTransaction) -> Result<(u64, IndexTxn<'_>), StoreError> {
    let (size, header) = {
        let meta = txn
            .open_table(META)
            .map_err(store_err("opening the saved entry index"))?;
        read_meta(&meta)?.unwrap_or((0, Header::default()))
    };
    let open = |e| store_err("opening the saved entry index")(e);
    Ok((
        size,
        IndexTxn {
            leaves: txn.open_table(LEAVES).map_err(open)?,
            branches: txn.open_table(BRANCHES).map_err(open)?,
            keys: txn.open_table(KEYS).map_err(open)?,
            header,
            new_leaves: BTreeMap::new(),
            new_branches: BTreeMap::new(),
            new_keys: BTreeMap::new(),
        },
    ))
}

impl Store {
    /// The tree size the saved entry index covers, and the index opened for reading; `None`
    /// if the file holds none (made before the index, or never checkpointed since).
    pub fn read_entry_index(&self) -> Result<Option<(u64, MapTree<StoredIndex>)>, StoreError> {
        contained("reading the saved entry index", || {
            let txn = self.read_txn()?;
            let meta = match txn.open_table(META) {
                Ok(t) => t,
                Err(TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(e) => return Err(store_err("opening the saved entry index")(e)),
            };
            let Some((size, header)) = read_meta(&meta)? else {
                return Ok(None);
            };
            let open = |e| store_err("opening the saved entry index")(e);
            let index = StoredIndex {
                leaves: txn.open_table(LEAVES).map_err(open)?,
                branches: txn.open_table(BRANCHES).map_err(open)?,
                keys: txn.open_table(KEYS).map_err(open)?,
                header,
            };
            Ok(Some((size, MapTree::with_store(index))))
        })
    }

    /// Extends the saved entry index in one durable transaction: `update` is given the size
    /// it covers (0 and an empty map if none is saved) and the map, appends what the entries
    /// since then add, computes the root, and returns the new size. All of it or nothing is
    /// written. With `fresh`, the saved index is discarded first.
    pub fn update_entry_index<E: From<StoreError> + From<StoreAppendError>>(
        &self,
        fresh: bool,
        update: impl FnOnce(u64, &mut MapTree<IndexTxn<'_>>) -> Result<u64, E>,
    ) -> Result<(), E> {
        contained("updating the saved entry index", || {
            let Handle::Write(db) = &self.handle else {
                return Err(StoreAppendError::ReadOnly.into());
            };
            let txn = db.begin_write().map_err(store_err("starting a write"))?;
            if fresh {
                let err = |e| store_err("clearing the saved entry index")(e);
                txn.delete_table(LEAVES).map_err(err)?;
                txn.delete_table(BRANCHES).map_err(err)?;
                txn.delete_table(KEYS).map_err(err)?;
                txn.delete_table(META).map_err(err)?;
            }
            {
                let (size, nodes) = open_index_txn(&txn)?;
                let mut map = MapTree::with_store(nodes);
                let new_size = update(size, &mut map)?;
                map.try_root()?;
                let mut nodes = map.into_store();
                nodes.flush()?;
                let mut meta = txn
                    .open_table(META)
                    .map_err(store_err("opening the saved entry index"))?;
                meta.insert(SIZE_KEY, new_size.to_le_bytes().as_slice())
                    .map_err(store_err("writing the saved entry index"))?;
                meta.insert(HEADER_KEY, nodes.header.to_bytes().as_slice())
                    .map_err(store_err("writing the saved entry index"))?;
            }
            txn.commit().map_err(store_err("committing"))?;
            Ok(())
        })
    }

    /// Replaces the saved entry index, in one durable transaction, by one built elsewhere in
    /// memory (`verify` builds it while it reads every entry): the size it covers, its header
    /// and its numbered leaves and branches ([`MapTree::nodes`]). Keys are written in sorted
    /// order, which redb takes fastest.
    pub fn save_entry_index(
        &self,
        size: u64,
        header: Header,
        leaves: &[Leaf],
        branches: &[Branch],
    ) -> Result<(), StoreAppendError> {
        contained("saving the entry index", || {
            let Handle::Write(db) = &self.handle else {
                return Err(StoreAppendError::ReadOnly);
            };
            let txn = db.begin_write().map_err(store_err("starting a write"))?;
            {
                let err = |e| store_err("clearing the saved entry index")(e);
                txn.delete_table(LEAVES).map_err(err)?;
                txn.delete_table(BRANCHES).map_err(err)?;
                txn.delete_table(KEYS).map_err(err)?;
                txn.delete_table(META).map_err(err)?;
                let (_, mut nodes) = open_index_txn(&txn)?;
                let err = |e| store_err("writing the saved entry index")(e);
                for (i, leaf) in (0u32..).zip(leaves) {
                    nodes.leaves.insert(i, &leaf.to_bytes()).map_err(err)?;
                }
                for (b, branch) in (0u32..).zip(branches) {
                    nodes.branches.insert(b, &branch.to_bytes()).map_err(err)?;
                }
                let mut keys: Vec<(&Digest, u32)> =
                    (0u32..).zip(leaves).map(|(i, l)| (&l.key, i)).collect();
                keys.sort_unstable();
                for (key, i) in keys {
                    nodes.keys.insert(key, i).map_err(err)?;
                }
                let mut meta = txn
                    .open_table(META)
                    .map_err(store_err("opening the saved entry index"))?;
                meta.insert(SIZE_KEY, size.to_le_bytes().as_slice())
                    .map_err(err)?;
                meta.insert(HEADER_KEY, header.to_bytes().as_slice())
                    .map_err(err)?;
            }
            txn.commit().map_err(store_err("committing"))?;
            Ok(())
        })
    }

    /// The saved entry index extended in memory and then dropped: `work` is given the size it
    /// covers (0 and an empty map if none is saved) and the map, may append to it and compute
    /// roots, and nothing it does is written. For roots past what is saved (`verify
    /// --since-checkpoint` on the verifier's own copy).
    pub fn draft_entry_index<T, E: From<StoreError> + From<StoreAppendError>>(
        &self,
        work: impl FnOnce(u64, &mut MapTree<IndexTxn<'_>>) -> Result<T, E>,
    ) -> Result<T, E> {
        contained("reading the saved entry index", || {
            let Handle::Write(db) = &self.handle else {
                return Err(StoreAppendError::ReadOnly.into());
            };
            // A write transaction (the map's reads and buffered writes need one) that is never
            // committed: dropping it leaves the file as it was.
            let txn = db.begin_write().map_err(store_err("starting a write"))?;
            let result = {
                let (size, nodes) = open_index_txn(&txn)?;
                let mut map = MapTree::with_store(nodes);
                work(size, &mut map)
            };
            txn.abort()
                .map_err(store_err("dropping a draft of the entry index"))?;
            result
        })
    }

    /// The bytes the saved entry index takes (its rows' keys and values), for `bench`.
    pub fn entry_index_bytes(&self) -> Result<u64, StoreError> {
        contained("reading the saved entry index", || {
            let txn = self.read_txn()?;
            let mut total = 0u64;
            let stats = |r: Result<u64, StoreError>| r.unwrap_or(0);
            total += stats(count_rows(&txn, LEAVES).map(|n| n * (4 + LEAF_BYTES as u64)));
            total += stats(count_rows(&txn, BRANCHES).map(|n| n * (4 + BRANCH_BYTES as u64)));
            total += stats(count_rows(&txn, KEYS).map(|n| n * (32 + 4)));
            Ok(total)
        })
    }
}

fn count_rows<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &redb::ReadTransaction,
    def: TableDefinition<K, V>,
) -> Result<u64, StoreError> {
    match txn.open_table(def) {
        Ok(t) => t.len().map_err(store_err("counting the saved entry index")),
        Err(TableError::TableDoesNotExist(_)) => Ok(0),
        Err(e) => Err(store_err("opening the saved entry index")(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tlog::map::key_hash;

    /// An in-memory map of `keys` keys with lists of varied lengths.
    fn memory_map(keys: u64) -> MapTree {
        let mut map = MapTree::new();
        for value in 0..keys * 3 {
            let key = key_hash(format!("key/{}", (value * 7) % keys).as_bytes());
            map.append(&key, value);
        }
        map
    }

    #[test]
    fn an_index_saved_from_memory_reads_back_and_extends_as_one_built_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut map = memory_map(500);
        let (header, leaves, branches) = map.nodes();
        let (header, leaves, branches) = (header, leaves.to_vec(), branches.to_vec());
        let store = Store::create(&dir.path().join("copy")).unwrap();
        store
            .save_entry_index(1_500, header, &leaves, &branches)
            .unwrap();

        let (size, mut saved) = store.read_entry_index().unwrap().unwrap();
        assert_eq!(size, 1_500);
        assert_eq!(saved.try_root().unwrap(), map.root());
        for n in [0u64, 1, 250, 499, 500, 9_999] {
            let key = key_hash(format!("key/{n}").as_bytes());
            assert_eq!(saved.try_get(&key).unwrap(), map.get(&key), "key/{n}");
        }
        drop(saved);

        // Extended in the file (new keys and longer lists), it agrees with the map in memory.
        store
            .update_entry_index::<StoreAppendError>(false, |from, stored| {
                assert_eq!(from, 1_500);
                for value in 1_500..1_600 {
                    let key = key_hash(format!("key/{}", value % 700).as_bytes());
                    stored.try_append(&key, value)?;
                    map.append(&key, value);
                }
                Ok(1_600)
            })
            .unwrap();
        let (size, mut saved) = store.read_entry_index().unwrap().unwrap();
        assert_eq!(size, 1_600);
        assert_eq!(saved.try_root().unwrap(), map.root());
    }

    #[test]
    fn saving_an_index_replaces_the_one_saved_before() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("copy")).unwrap();
        let mut big = memory_map(300);
        let (h, l, b) = big.nodes();
        store.save_entry_index(900, h, l, b).unwrap();
        let mut small = memory_map(20);
        let (h, l, b) = small.nodes();
        store.save_entry_index(60, h, l, b).unwrap();
        let (size, mut saved) = store.read_entry_index().unwrap().unwrap();
        assert_eq!(size, 60);
        assert_eq!(saved.try_root().unwrap(), small.root());
        let gone = key_hash(b"key/299");
        assert_eq!(saved.try_get(&gone).unwrap(), tlog::map::ListDigest::EMPTY);
        assert_eq!(
            store.entry_index_bytes().unwrap(),
            20 * (4 + LEAF_BYTES as u64 + 36) + 19 * (4 + BRANCH_BYTES as u64)
        );
    }
}
