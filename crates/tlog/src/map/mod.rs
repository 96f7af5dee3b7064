//! An authenticated map from keys to ordered lists of `u64`s: a compressed sparse Merkle tree
//! (a binary prefix tree) keyed by the SHA-256 of each key, with membership and non-membership
//! proofs of O(log n) hashes.
//!
//! The ledger keeps one such map beside its log (docs/FORMAT.md §7.6, "the index"): for each
//! index key, the exact ordered list of sequence numbers of the entries filed under it. Its root
//! goes into every checkpoint, so a checkpoint signs not only "these are the first n entries"
//! but also "these are *all* the entries under key K among them".
//!
//! The definition, which [`MapTree`] computes incrementally and [`naive_root`] computes
//! directly (and which docs/FORMAT.md specifies byte for byte):
//!
//! - `key hash = SHA-256(0x10 ‖ key bytes)` ([`key_hash`]); bit *i* of a key hash is bit
//!   7 − (*i* mod 8) of byte ⌊*i*/8⌋ (most significant first).
//! - A list's hash: `L₀` = 32 zero bytes, `Lᵢ = SHA-256(0x11 ‖ Lᵢ₋₁ ‖ u64be(vᵢ))`
//!   ([`list_extend`]); extending a list costs one hash, whatever its length.
//! - `leaf hash = SHA-256(0x12 ‖ key hash ‖ u64be(count) ‖ L_count)` ([`leaf_hash`]).
//! - The hash of the subtree at depth *d* holding the keys whose hashes share a *d*-bit prefix:
//!   32 zero bytes ([`EMPTY`]) if it holds none; the leaf hash if it holds exactly one; else
//!   `SHA-256(0x13 ‖ left ‖ right)` ([`node_hash`]) of its two subtrees at depth *d* + 1 (bit *d*
//!   = 0 on the left). The map's root is the subtree at depth 0.
//!
//! The root depends only on the map's contents, never on the order keys were added in.

mod proof;
mod tree;

pub use proof::{MapProof, MapProofError, Terminal};
pub use tree::{
    BRANCH_BYTES, Branch, Header, LEAF_BYTES, Leaf, MapStore, MapTree, MemoryNodes, Node,
    naive_root,
};

use sha2::{Digest as _, Sha256};

use crate::hash::Digest;

/// Prefix of a key hash.
pub const KEY_HASH_PREFIX: u8 = 0x10;
/// Prefix of a list hash step.
pub const LIST_HASH_PREFIX: u8 = 0x11;
/// Prefix of a map leaf hash.
pub const MAP_LEAF_PREFIX: u8 = 0x12;
/// Prefix of a map interior node hash.
pub const MAP_NODE_PREFIX: u8 = 0x13;
/// The hash of an empty subtree (and of the empty map): 32 zero bytes.
pub const EMPTY: Digest = [0; 32];
/// The list hash of the empty list: 32 zero bytes.
pub const EMPTY_LIST: Digest = [0; 32];
/// Bits in a key hash, so the greatest depth of a subtree.
pub const KEY_BITS: usize = 256;

/// `SHA-256(0x10 ‖ key)`: where a key lives in the map.
pub fn key_hash(key: &[u8]) -> Digest {
    let mut h = Sha256::new();
    h.update([KEY_HASH_PREFIX]);
    h.update(key);
    h.finalize().into()
}

/// [`key_hash`] of the concatenation of `parts` (no intermediate buffer).
pub fn key_hash_parts(parts: &[&[u8]]) -> Digest {
    let mut h = Sha256::new();
    h.update([KEY_HASH_PREFIX]);
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The list hash after appending `value` to a list whose hash is `list`.
pub fn list_extend(list: &Digest, value: u64) -> Digest {
    let mut h = Sha256::new();
    h.update([LIST_HASH_PREFIX]);
    h.update(list);
    h.update(value.to_be_bytes());
    h.finalize().into()
}

/// The list hash of `values`, in order.
pub fn list_hash(values: &[u64]) -> Digest {
    values.iter().fold(EMPTY_LIST, |l, v| list_extend(&l, *v))
}

/// The leaf of a key whose list has `count` values and list hash `list`.
pub fn leaf_hash(key: &Digest, count: u64, list: &Digest) -> Digest {
    let mut h = Sha256::new();
    h.update([MAP_LEAF_PREFIX]);
    h.update(key);
    h.update(count.to_be_bytes());
    h.update(list);
    h.finalize().into()
}

/// An interior node over two subtrees.
pub fn node_hash(left: &Digest, right: &Digest) -> Digest {
    let mut h = Sha256::new();
    h.update([MAP_NODE_PREFIX]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Bit `i` (0 = the most significant bit of byte 0) of a key hash.
pub fn bit(key: &Digest, i: usize) -> u8 {
    (key[i / 8] >> (7 - (i % 8))) & 1
}

/// The first bit at which two key hashes differ, or [`KEY_BITS`] if they are equal.
pub fn first_difference(a: &Digest, b: &Digest) -> usize {
    for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        let d = x ^ y;
        if d != 0 {
            return i * 8 + d.leading_zeros() as usize;
        }
    }
    KEY_BITS
}

/// A key's list as the map commits to it: how many values and their list hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListDigest {
    /// How many values the list holds.
    pub count: u64,
    /// The list hash.
    pub list: Digest,
}

impl ListDigest {
    /// The empty list.
    pub const EMPTY: ListDigest = ListDigest {
        count: 0,
        list: EMPTY_LIST,
    };

    /// The digest of `values`, in order.
    pub fn of(values: &[u64]) -> ListDigest {
        ListDigest {
            count: values.len() as u64,
            list: list_hash(values),
        }
    }

    /// The digest after appending `value`.
    pub fn extended(&self, value: u64) -> ListDigest {
        ListDigest {
            count: self.count + 1,
            list: list_extend(&self.list, value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_most_significant_first() {
        let mut k = [0u8; 32];
        k[0] = 0b1000_0001;
        k[31] = 1;
        assert_eq!(bit(&k, 0), 1);
        assert_eq!(bit(&k, 1), 0);
        assert_eq!(bit(&k, 7), 1);
        assert_eq!(bit(&k, 255), 1);
        assert_eq!(first_difference(&k, &k), KEY_BITS);
        let mut j = k;
        j[2] ^= 0b0010_0000;
        assert_eq!(first_difference(&k, &j), 18);
    }

    #[test]
    fn list_hash_extends_one_value_at_a_time() {
        let all = list_hash(&[3, 9, 27]);
        let stepwise = list_extend(&list_extend(&list_extend(&EMPTY_LIST, 3), 9), 27);
        assert_eq!(all, stepwise);
        assert_ne!(list_hash(&[3, 9]), list_hash(&[9, 3]));
        assert_eq!(
            ListDigest::of(&[3, 9]).extended(27),
            ListDigest::of(&[3, 9, 27])
        );
    }
}
