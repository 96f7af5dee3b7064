//! Streaming root computation: push leaf hashes in order and read the root of the tree so far
//! at any point, holding only O(log n) hashes. Used by `verify` to check the stored tree and
//! every checkpoint in one pass over the entries.

use crate::hash::{Digest, node_hash};

use super::empty_tree_hash;

/// The roots of the complete subtrees covering the leaves pushed so far (a "compact range"
/// starting at 0), largest first.
#[derive(Debug, Clone, Default)]
pub struct CompactRange {
    size: u64,
    stack: Vec<Digest>,
}

impl CompactRange {
    /// An empty range.
    pub fn new() -> CompactRange {
        CompactRange::default()
    }

    /// The range of `size` leaves whose complete subtrees have the roots `subtrees`, largest
    /// first (one per set bit of `size`, as [`super::compact_range`] reads them).
    pub fn from_subtrees(size: u64, subtrees: Vec<Digest>) -> CompactRange {
        debug_assert_eq!(subtrees.len(), size.count_ones() as usize);
        CompactRange {
            size,
            stack: subtrees,
        }
    }

    /// Number of leaves pushed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash.
    pub fn push(&mut self, leaf: Digest) {
        self.push_recording(leaf);
    }

    /// Appends a leaf hash and returns what a log stores for it: the leaf hash, then the root
    /// of every complete subtree it closes (the same as `stored_hashes`).
    pub fn push_recording(&mut self, leaf: Digest) -> Vec<Digest> {
        let mut h = leaf;
        let mut produced = vec![leaf];
        let mut n = self.size;
        // Each trailing 1 bit of the old size is a complete subtree the new leaf closes.
        while n & 1 == 1 {
            let left = self.stack.pop().expect("one stacked subtree per set bit");
            h = node_hash(&left, &h);
            produced.push(h);
            n >>= 1;
        }
        self.stack.push(h);
        self.size += 1;
        produced
    }

    /// The RFC 6962 root of the leaves pushed so far.
    pub fn root(&self) -> Digest {
        let mut iter = self.stack.iter().rev();
        let Some(last) = iter.next() else {
            return empty_tree_hash();
        };
        iter.fold(*last, |right, left| node_hash(left, &right))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{MemoryHashes, tree_hash};

    #[test]
    fn matches_the_stored_tree_at_every_size() {
        let leaves: Vec<Digest> = (0..130u32)
            .map(|i| crate::hash::leaf_hash(&i.to_le_bytes()))
            .collect();
        let mut range = CompactRange::new();
        assert_eq!(range.root(), empty_tree_hash());
        let mut stored = MemoryHashes::new();
        for (i, leaf) in leaves.iter().enumerate() {
            range.push(*leaf);
            stored.append_leaf(leaf).unwrap();
            assert_eq!(
                range.root(),
                tree_hash(i as u64 + 1, &stored).unwrap(),
                "size {}",
                i + 1
            );
        }
    }

    #[test]
    fn a_range_read_from_the_stored_tree_carries_on_like_one_built_leaf_by_leaf() {
        let leaves: Vec<Digest> = (0..70u32)
            .map(|i| crate::hash::leaf_hash(&i.to_le_bytes()))
            .collect();
        let stored = MemoryHashes::from_leaf_hashes(leaves.iter().copied());
        for start in 0..leaves.len() as u64 {
            let mut resumed = crate::merkle::compact_range(start, &stored).unwrap();
            assert_eq!(resumed.size(), start);
            assert_eq!(resumed.root(), tree_hash(start, &stored).unwrap());
            let mut built = CompactRange::new();
            for leaf in &leaves[..start as usize] {
                built.push(*leaf);
            }
            for leaf in &leaves[start as usize..] {
                assert_eq!(
                    resumed.push_recording(*leaf),
                    built.push_recording(*leaf),
                    "from {start}"
                );
            }
            assert_eq!(resumed.root(), built.root(), "from {start}");
        }
    }
}
