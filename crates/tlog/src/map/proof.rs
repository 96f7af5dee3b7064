//! Proofs that a key's list is exactly what a map root says, or that the key has no list.

use super::{KEY_BITS, ListDigest, bit, first_difference, leaf_hash, node_hash};
use crate::hash::Digest;

/// Where a proof's path ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Terminal {
    /// The subtree at the path's end holds no key: the key is absent.
    Empty,
    /// The subtree holds exactly the proved key; its list is the one the checker holds.
    Own,
    /// The subtree holds exactly one other key (which shares the path's bits): the proved key
    /// is absent.
    Other {
        /// The other key's hash.
        key: Digest,
        /// Its list.
        list: ListDigest,
    },
}

/// A proof for one key: the sibling hashes from the root down (level 0 first; [`super::EMPTY`]
/// for an empty sibling) and what the path ends in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapProof {
    /// The sibling subtree hash at each level from 0, the root's children, downwards.
    pub siblings: Vec<Digest>,
    /// What the subtree at depth `siblings.len()` on the key's path holds.
    pub terminal: Terminal,
}

/// Why a map proof cannot be read or does not prove what was claimed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MapProofError {
    /// The bytes end before the proof does.
    #[error("the index proof is truncated")]
    Truncated,
    /// Bytes follow the proof.
    #[error("the index proof has {0} bytes after its end")]
    TrailingBytes(usize),
    /// The path is longer than a key hash has bits.
    #[error("the index proof's path is {0} levels deep; at most 256 are possible")]
    TooDeep(usize),
    /// The first byte names no terminal kind.
    #[error("the index proof's terminal kind {0} is not 0, 1 or 2")]
    BadTerminal(u8),
    /// Bitmap bits past the path's end are set.
    #[error("the index proof's bitmap has bits set past its path")]
    BadBitmap,
    /// A non-empty sibling is written as 32 zero bytes (the bitmap marks empty ones).
    #[error("the index proof writes an empty sibling at level {0} as a hash")]
    ZeroSibling(usize),
    /// The proof ends in another key that is not on the proved key's path (or is the key).
    #[error("the index proof's other key is not a different key on the proved key's path")]
    OtherKeyOffPath,
    /// The proof says the key is absent, but the checker holds entries filed under it.
    #[error("the index proof shows the key has no entries, but {0} were claimed")]
    ShowsAbsent(u64),
    /// The proof says the key is present, but the checker claims it has no entries.
    #[error("the index proof shows the key has entries, but none were claimed")]
    ShowsPresent,
}

impl MapProof {
    /// The map root this proof gives if `key`'s list is `claimed` (`count` 0: absent).
    /// Compare it with a trusted root: equal means the claim holds.
    pub fn root_for(&self, key: &Digest, claimed: &ListDigest) -> Result<Digest, MapProofError> {
        let depth = self.siblings.len();
        if depth > KEY_BITS {
            return Err(MapProofError::TooDeep(depth));
        }
        let mut h = match &self.terminal {
            Terminal::Empty => {
                if claimed.count > 0 {
                    return Err(MapProofError::ShowsAbsent(claimed.count));
                }
                super::EMPTY
            }
            Terminal::Other { key: other, list } => {
                if claimed.count > 0 {
                    return Err(MapProofError::ShowsAbsent(claimed.count));
                }
                if other == key || first_difference(other, key) < depth || list.count == 0 {
                    return Err(MapProofError::OtherKeyOffPath);
                }
                leaf_hash(other, list.count, &list.list)
            }
            Terminal::Own => {
                if claimed.count == 0 {
                    return Err(MapProofError::ShowsPresent);
                }
                leaf_hash(key, claimed.count, &claimed.list)
            }
        };
        for level in (0..depth).rev() {
            let sibling = &self.siblings[level];
            h = if bit(key, level) == 0 {
                node_hash(&h, sibling)
            } else {
                node_hash(sibling, &h)
            };
        }
        Ok(h)
    }

    /// The proof's bytes (docs/FORMAT.md §7.6): terminal kind (0 empty, 1 own, 2 other),
    /// `u16be` depth, a bitmap of the non-empty siblings (most significant bit first), those
    /// siblings, and for kind 2 the other key's hash, `u64be` count and list hash.
    pub fn to_bytes(&self) -> Vec<u8> {
        let depth = self.siblings.len();
        let mut out = Vec::with_capacity(3 + depth.div_ceil(8) + 32 * depth + 72);
        out.push(match self.terminal {
            Terminal::Empty => 0,
            Terminal::Own => 1,
            Terminal::Other { .. } => 2,
        });
        out.extend_from_slice(&(depth as u16).to_be_bytes());
        let mut bitmap = vec![0u8; depth.div_ceil(8)];
        for (i, s) in self.siblings.iter().enumerate() {
            if *s != super::EMPTY {
                bitmap[i / 8] |= 0x80 >> (i % 8);
            }
        }
        out.extend_from_slice(&bitmap);
        for s in self.siblings.iter().filter(|s| **s != super::EMPTY) {
            out.extend_from_slice(s);
        }
        if let Terminal::Other { key, list } = &self.terminal {
            out.extend_from_slice(key);
            out.extend_from_slice(&list.count.to_be_bytes());
            out.extend_from_slice(&list.list);
        }
        out
    }

    /// Reads a proof's bytes, refusing anything but the one encoding [`MapProof::to_bytes`]
    /// writes.
    pub fn from_bytes(bytes: &[u8]) -> Result<MapProof, MapProofError> {
        let mut r = Reader(bytes);
        let kind = r.take(1)?[0];
        if kind > 2 {
            return Err(MapProofError::BadTerminal(kind));
        }
        let depth = u16::from_be_bytes(r.take(2)?.try_into().expect("2 bytes")) as usize;
        if depth > KEY_BITS {
            return Err(MapProofError::TooDeep(depth));
        }
        let bitmap = r.take(depth.div_ceil(8))?.to_vec();
        if !depth.is_multiple_of(8)
            && bitmap
                .last()
                .is_some_and(|b| b & (0xff >> (depth % 8)) != 0)
        {
            return Err(MapProofError::BadBitmap);
        }
        let mut siblings = Vec::with_capacity(depth);
        for i in 0..depth {
            if bitmap[i / 8] & (0x80 >> (i % 8)) != 0 {
                let s: Digest = r.take(32)?.try_into().expect("32 bytes");
                if s == super::EMPTY {
                    return Err(MapProofError::ZeroSibling(i));
                }
                siblings.push(s);
            } else {
                siblings.push(super::EMPTY);
            }
        }
        let terminal = match kind {
            0 => Terminal::Empty,
            1 => Terminal::Own,
            _ => {
                let key: Digest = r.take(32)?.try_into().expect("32 bytes");
                let count = u64::from_be_bytes(r.take(8)?.try_into().expect("8 bytes"));
                let list: Digest = r.take(32)?.try_into().expect("32 bytes");
                Terminal::Other {
                    key,
                    list: ListDigest { count, list },
                }
            }
        };
        if !r.0.is_empty() {
            return Err(MapProofError::TrailingBytes(r.0.len()));
        }
        Ok(MapProof { siblings, terminal })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], MapProofError> {
        if self.0.len() < n {
            return Err(MapProofError::Truncated);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
}
