//! Building stored hashes, roots and proofs from a [`HashReader`].
//!
//! Port of Go `tlog.StoredHashes`, `TreeHash`, `ProveRecord` and `ProveTree`:
//! each public function first lists the stored hash indexes it needs, reads
//! them in one call, then folds them into the answer.

use super::index::{MAX_TREE_SIZE, split_stored_hash_index, stored_hash_index};
use super::{HashReader, ProofError};
use crate::hash::{Digest, node_hash};
use sha2::{Digest as _, Sha256};

/// Root hash of the empty tree: `SHA-256("")` (RFC 6962 §2.1, `MTH({})`).
pub fn empty_tree_hash() -> Digest {
    Sha256::digest([]).into()
}

/// Returns `(k, log2 k)` where `k` is the largest power of two strictly less
/// than `n` (`n >= 2`).
fn max_pow2(n: u64) -> (u64, u32) {
    debug_assert!(n >= 2);
    let l = 63 - (n - 1).leading_zeros();
    (1 << l, l)
}

fn check_size(size: u64) -> Result<(), ProofError> {
    if size > MAX_TREE_SIZE {
        return Err(ProofError::TreeTooLarge {
            size,
            max: MAX_TREE_SIZE,
        });
    }
    Ok(())
}

/// Reads `indexes` and enforces the reader's contract.
fn read<R: HashReader + ?Sized>(reader: &R, indexes: &[u64]) -> Result<Vec<Digest>, ProofError> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let hashes = reader
        .read_hashes(indexes)
        .map_err(|e| ProofError::Storage(Box::new(e)))?;
    if hashes.len() != indexes.len() {
        return Err(ProofError::ReaderReturnedWrongCount {
            requested: indexes.len(),
            returned: hashes.len(),
        });
    }
    Ok(hashes)
}

/// Returns the hashes to store when appending record `n` whose leaf hash is
/// `leaf`, to be written starting at `stored_hash_index(0, n)`.
///
/// The first hash is `leaf`; one more follows for every complete subtree the
/// record closes (at most `1 + log2 n` in all, just under two on average).
/// Reads up to `log2 n` earlier hashes from `reader` in one call.
/// Equivalent to Go `tlog.StoredHashesForRecordHash`.
pub fn stored_hashes<R: HashReader + ?Sized>(
    n: u64,
    leaf: &Digest,
    reader: &R,
) -> Result<Vec<Digest>, ProofError> {
    check_size(n.saturating_add(1))?;
    // Each trailing 1 bit of n completes a subtree and consumes the hash of
    // its left sibling, stored earlier.
    let m = (n + 1).trailing_zeros();
    let indexes: Vec<u64> = (0..m)
        .rev()
        .map(|i| stored_hash_index(i, (n >> i) - 1))
        .collect();
    let old = read(reader, &indexes)?;
    let mut hashes = Vec::with_capacity(1 + m as usize);
    let mut h = *leaf;
    hashes.push(h);
    for left in old.iter().rev() {
        h = node_hash(left, &h);
        hashes.push(h);
    }
    Ok(hashes)
}

/// The hash of the complete subtree whose leaf hashes are `leaves`, in order (RFC 6962 §2.1
/// `MTH`; `leaves.len()` must be a power of two). Used to recompute the hashes of the levels a
/// store does not keep.
///
/// # Panics
///
/// If `leaves` is empty or its length is not a power of two.
pub fn complete_subtree_hash(leaves: &[Digest]) -> Digest {
    assert!(
        leaves.len().is_power_of_two(),
        "complete_subtree_hash: {} leaves is not a complete subtree",
        leaves.len()
    );
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|pair| node_hash(&pair[0], &pair[1]))
            .collect();
    }
    level[0]
}

/// Appends to `need` the stored indexes of the complete subtrees that make
/// up leaves `[lo, hi)`, largest first.
fn sub_tree_index(mut lo: u64, hi: u64, need: &mut Vec<u64>) {
    while lo < hi {
        let (k, level) = max_pow2(hi - lo + 1);
        debug_assert!(lo & (k - 1) == 0, "bad math in sub_tree_index");
        need.push(stored_hash_index(level, lo >> level));
        lo += k;
    }
}

/// Folds the hashes listed by [`sub_tree_index`] for `[lo, hi)` into the
/// subtree's hash, consuming them from the front of `hashes`.
fn sub_tree_hash(mut lo: u64, hi: u64, hashes: &[Digest]) -> (Digest, &[Digest]) {
    let mut num_tree = 0;
    while lo < hi {
        let (k, _) = max_pow2(hi - lo + 1);
        lo += k;
        num_tree += 1;
    }
    let (mine, rest) = hashes.split_at(num_tree);
    let mut h = mine[num_tree - 1];
    for left in mine[..num_tree - 1].iter().rev() {
        h = node_hash(left, &h);
    }
    (h, rest)
}

/// Returns the root hash of the tree of the first `size` records.
///
/// Makes one read of at most `1 + log2 size` hashes. The empty tree's root is
/// [`empty_tree_hash`]. Equivalent to Go `tlog.TreeHash` (except for size 0).
pub fn tree_hash<R: HashReader + ?Sized>(size: u64, reader: &R) -> Result<Digest, ProofError> {
    check_size(size)?;
    if size == 0 {
        return Ok(empty_tree_hash());
    }
    let mut indexes = Vec::new();
    sub_tree_index(0, size, &mut indexes);
    let hashes = read(reader, &indexes)?;
    let (h, rest) = sub_tree_hash(0, size, &hashes);
    debug_assert!(rest.is_empty(), "bad index math in tree_hash");
    Ok(h)
}

/// The compact range of the first `size` records (the roots of the complete subtrees that
/// cover them), read from the stored hashes, so a verifier can carry on from a trusted tree
/// size without reading the leaves before it. Its root is [`tree_hash`]`(size)`.
pub fn compact_range<R: HashReader + ?Sized>(
    size: u64,
    reader: &R,
) -> Result<super::CompactRange, ProofError> {
    check_size(size)?;
    let mut indexes = Vec::new();
    if size > 0 {
        sub_tree_index(0, size, &mut indexes);
    }
    let hashes = read(reader, &indexes)?;
    Ok(super::CompactRange::from_subtrees(size, hashes))
}

fn leaf_proof_index(lo: u64, hi: u64, n: u64, need: &mut Vec<u64>) {
    debug_assert!(lo <= n && n < hi, "bad math in leaf_proof_index");
    if lo + 1 == hi {
        return;
    }
    let (k, _) = max_pow2(hi - lo);
    if n < lo + k {
        leaf_proof_index(lo, lo + k, n, need);
        sub_tree_index(lo + k, hi, need);
    } else {
        sub_tree_index(lo, lo + k, need);
        leaf_proof_index(lo + k, hi, n, need);
    }
}

fn leaf_proof<'a>(
    lo: u64,
    hi: u64,
    n: u64,
    hashes: &'a [Digest],
    proof: &mut Vec<Digest>,
) -> &'a [Digest] {
    if lo + 1 == hi {
        // Reached the leaf: the verifier already knows its hash.
        return hashes;
    }
    // Walk down towards n, recording the hash of the path not taken
    // (RFC 6962 §2.1.1: PATH(m, D[n])).
    let (k, _) = max_pow2(hi - lo);
    if n < lo + k {
        let rest = leaf_proof(lo, lo + k, n, hashes, proof);
        let (th, rest) = sub_tree_hash(lo + k, hi, rest);
        proof.push(th);
        rest
    } else {
        let (th, rest) = sub_tree_hash(lo, lo + k, hashes);
        let rest = leaf_proof(lo + k, hi, n, rest, proof);
        proof.push(th);
        rest
    }
}

/// Returns the inclusion proof (RFC 9162 §2.1.3.1 audit path) of leaf `index`
/// in the tree of the first `size` records, leaf's sibling first.
///
/// Makes one read of O(log size) hashes. Equivalent to Go `tlog.ProveRecord`.
pub fn prove_inclusion<R: HashReader + ?Sized>(
    index: u64,
    size: u64,
    reader: &R,
) -> Result<Vec<Digest>, ProofError> {
    check_size(size)?;
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut indexes = Vec::new();
    leaf_proof_index(0, size, index, &mut indexes);
    let hashes = read(reader, &indexes)?;
    let mut proof = Vec::new();
    let rest = leaf_proof(0, size, index, &hashes, &mut proof);
    debug_assert!(rest.is_empty(), "bad index math in prove_inclusion");
    Ok(proof)
}

fn tree_proof_index(lo: u64, hi: u64, n: u64, need: &mut Vec<u64>) {
    debug_assert!(lo < n && n <= hi, "bad math in tree_proof_index");
    if n == hi {
        if lo != 0 {
            sub_tree_index(lo, hi, need);
        }
        return;
    }
    let (k, _) = max_pow2(hi - lo);
    if n <= lo + k {
        tree_proof_index(lo, lo + k, n, need);
        sub_tree_index(lo + k, hi, need);
    } else {
        sub_tree_index(lo, lo + k, need);
        tree_proof_index(lo + k, hi, n, need);
    }
}

fn tree_proof<'a>(
    lo: u64,
    hi: u64,
    n: u64,
    hashes: &'a [Digest],
    proof: &mut Vec<Digest>,
) -> &'a [Digest] {
    if n == hi {
        if lo == 0 {
            // This subtree is exactly the old tree; the verifier knows its root.
            return hashes;
        }
        let (th, rest) = sub_tree_hash(lo, hi, hashes);
        proof.push(th);
        return rest;
    }
    // RFC 6962 §2.1.2: SUBPROOF(m, D[n], b).
    let (k, _) = max_pow2(hi - lo);
    if n <= lo + k {
        let rest = tree_proof(lo, lo + k, n, hashes, proof);
        let (th, rest) = sub_tree_hash(lo + k, hi, rest);
        proof.push(th);
        rest
    } else {
        let (th, rest) = sub_tree_hash(lo, lo + k, hashes);
        let rest = tree_proof(lo + k, hi, n, rest, proof);
        proof.push(th);
        rest
    }
}

/// Returns the consistency proof (RFC 9162 §2.1.4.1) that the tree of
/// `new_size` records extends the tree of its first `old_size` records.
///
/// `old_size == new_size` gives the empty proof. Makes one read of
/// O(log new_size) hashes. Equivalent to Go `tlog.ProveTree(new_size, old_size)`.
pub fn prove_consistency<R: HashReader + ?Sized>(
    old_size: u64,
    new_size: u64,
    reader: &R,
) -> Result<Vec<Digest>, ProofError> {
    check_size(new_size)?;
    if old_size > new_size {
        return Err(ProofError::SizeDecreased { old_size, new_size });
    }
    if old_size == 0 {
        return Err(ProofError::EmptyOldTree);
    }
    let mut indexes = Vec::new();
    tree_proof_index(0, new_size, old_size, &mut indexes);
    let hashes = read(reader, &indexes)?;
    let mut proof = Vec::new();
    let rest = tree_proof(0, new_size, old_size, &hashes, &mut proof);
    debug_assert!(rest.is_empty(), "bad index math in prove_consistency");
    Ok(proof)
}

/// Error of the in-memory [`MemoryHashes`] reader.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MemoryHashesError {
    /// A stored hash index past the end of the vector was requested.
    #[error(
        "stored hash {index} was requested but only {len} hashes are held; \
         the tree is smaller than the size asked for"
    )]
    Missing {
        /// Requested stored hash index.
        index: u64,
        /// Number of hashes held.
        len: usize,
    },
    /// The vector does not end on a record boundary, so no leaf can be appended.
    #[error(
        "{len} stored hashes do not end on a record boundary; \
         build the vector with MemoryHashes::from_leaf_hashes or append_leaf only"
    )]
    Partial {
        /// Number of hashes held.
        len: usize,
    },
}

/// Stored hashes held in memory, indexed by stored hash index.
///
/// Useful for tests, for building proofs over a small tree, and as the
/// reference a storage-backed reader is checked against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryHashes(pub Vec<Digest>);

impl MemoryHashes {
    /// Returns an empty tree.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Builds the stored hashes of the tree with these leaf hashes, in order.
    pub fn from_leaf_hashes<I: IntoIterator<Item = Digest>>(leaves: I) -> Self {
        let mut m = Self::new();
        for leaf in leaves {
            let n = m.leaf_count().unwrap_or_default();
            // INVARIANT: `m` only ever grows by whole records, so every index
            // stored_hashes asks for is below its length.
            let new = stored_hashes(n, &leaf, &m).expect("stored hashes of a complete prefix");
            m.0.extend(new);
        }
        m
    }

    /// Number of records (leaves) held, or `None` if the vector does not end on
    /// a record boundary.
    pub fn leaf_count(&self) -> Option<u64> {
        let len = u64::try_from(self.0.len()).ok()?;
        if len == 0 {
            return Some(0);
        }
        // The next hash to be stored would be the leaf hash of record n.
        match split_stored_hash_index(len) {
            (0, n) => Some(n),
            _ => None,
        }
    }

    /// Appends one record by its leaf hash; returns the record's index.
    pub fn append_leaf(&mut self, leaf: &Digest) -> Result<u64, ProofError> {
        let n = self.leaf_count().ok_or_else(|| {
            ProofError::Storage(Box::new(MemoryHashesError::Partial { len: self.0.len() }))
        })?;
        let new = stored_hashes(n, leaf, self)?;
        self.0.extend(new);
        Ok(n)
    }
}

impl HashReader for MemoryHashes {
    type Error = MemoryHashesError;

    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Digest>, Self::Error> {
        indexes
            .iter()
            .map(|&index| {
                usize::try_from(index)
                    .ok()
                    .and_then(|i| self.0.get(i))
                    .copied()
                    .ok_or(MemoryHashesError::Missing {
                        index,
                        len: self.0.len(),
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    #[test]
    fn max_pow2_is_strictly_less() {
        assert_eq!(max_pow2(2), (1, 0));
        assert_eq!(max_pow2(3), (2, 1));
        assert_eq!(max_pow2(4), (2, 1));
        assert_eq!(max_pow2(5), (4, 2));
        assert_eq!(max_pow2(u64::MAX), (1 << 63, 63));
    }

    #[test]
    fn leaf_count_tracks_appends() {
        let mut m = MemoryHashes::new();
        for i in 0..100u64 {
            assert_eq!(m.leaf_count(), Some(i));
            assert_eq!(m.append_leaf(&leaf_hash(&i.to_be_bytes())).unwrap(), i);
        }
        m.0.push([0; 32]);
        m.0.push([0; 32]);
        // 100 leaves + 2 stray hashes: record 100 closes no subtree, so the
        // first stray hash looks like its leaf, the second is mid-record 101.
        assert_eq!(m.leaf_count(), None);
        assert!(matches!(
            m.append_leaf(&[0; 32]),
            Err(ProofError::Storage(_))
        ));
    }

    #[test]
    fn empty_tree() {
        let m = MemoryHashes::new();
        assert_eq!(
            hex::encode(tree_hash(0, &m).unwrap()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(matches!(
            prove_inclusion(0, 0, &m),
            Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
        ));
        assert!(matches!(
            prove_consistency(0, 0, &m),
            Err(ProofError::EmptyOldTree)
        ));
    }

    #[test]
    fn reader_errors_surface() {
        let m = MemoryHashes::from_leaf_hashes([leaf_hash(b"a"), leaf_hash(b"b")]);
        let err = tree_hash(5, &m).unwrap_err();
        let ProofError::Storage(inner) = err else {
            panic!("expected a storage error, got {err:?}");
        };
        assert!(inner.downcast_ref::<MemoryHashesError>().is_some());
    }
}
