//! The ledger in the C2SP tlog-tiles layout ([c2sp.org/tlog-tiles](https://c2sp.org/tlog-tiles);
//! docs/FORMAT.md §16): the bytes of each tile and bundle, made from the ledger file, for the
//! node that serves them ([`crate::node`]) and the publisher that writes them to a directory
//! or a bucket ([`crate::publish`]):
//!
//! - `checkpoint`: the latest stored checkpoint note, byte for byte (with its cosignatures);
//! - `tile/<L>/<N>[.p/<W>]`: the Merkle tree's hash tiles for that checkpoint's size;
//! - `tile/entries/<N>[.p/<W>]`: entry bundles, each entry's bytes (the Merkle leaf data),
//!   big-endian `u16` length-prefixed;
//! - `dledger/signatures/<N>[.p/<W>]`: this ledger's addition, in the same tiling: each entry's
//!   64-byte Ed25519 signature, in order, so a mirror can check who signed what.
//!
//! Field values are never in any of them (they stay in the vault).

use tlog::{Digest, HashReader as _, TILE_HEIGHT, TILE_WIDTH, Tile};

use crate::hash::leaf_hash;
use crate::store::{Store, StoreError};

/// Where this ledger's signature bundles are published, below the log's prefix.
pub const SIGNATURES_PREFIX: &str = "dledger/signatures";

/// `Cache-Control` of what never changes: a full tile or bundle.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of what changes as the log grows: the checkpoint and partial tiles.
pub const CHANGING: &str = "no-cache";

/// Why a tile could not be made from the ledger file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TileError {
    /// Reading the ledger failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An entry cannot be published as it is stored.
    #[error("entry #{seq} cannot be published: {why}; run `dledger verify`")]
    Damaged {
        /// The entry.
        seq: u64,
        /// What is wrong.
        why: String,
    },
}

/// The path of the signature bundle with `tile`'s index and width.
pub fn signatures_path(tile: &Tile) -> String {
    let entries = tile.entries_path();
    let rest = entries
        .strip_prefix("tile/entries/")
        .expect("entries paths start with tile/entries/");
    format!("{SIGNATURES_PREFIX}/{rest}")
}

/// The stored hashes of a Merkle tree tile, concatenated.
pub fn hash_tile(store: &Store, tile: Tile) -> Result<Vec<u8>, TileError> {
    let first = tile.index * TILE_WIDTH;
    let indexes: Vec<u64> = (first..first + u64::from(tile.width))
        .map(|n| tlog::stored_hash_index(u32::from(tile.level) * TILE_HEIGHT, n))
        .collect();
    let hashes = store
        .read_hashes(&indexes)
        .map_err(|e| TileError::Damaged {
            seq: first,
            why: e.to_string(),
        })?;
    Ok(hashes.concat())
}

/// The entries of one bundle, in its two published forms, with their leaf hashes.
#[derive(Debug, Default)]
pub struct Bundle {
    /// The entry bundle: each entry's length as a big-endian `u16`, then its bytes.
    pub entries: Vec<u8>,
    /// The signature bundle: each entry's 64-byte signature, in order.
    pub signatures: Vec<u8>,
    /// Each entry's Merkle leaf hash, computed from its bytes.
    pub leaves: Vec<Digest>,
}

/// Reads the entries of the bundle `tile` (level 0) from the ledger file.
pub fn bundle(store: &Store, tile: Tile) -> Result<Bundle, TileError> {
    let first = tile.index * TILE_WIDTH;
    let mut out = Bundle::default();
    store.scan(first, Some(first + u64::from(tile.width)), |r| {
        let damaged = |why: &str| TileError::Damaged {
            seq: r.key,
            why: why.to_owned(),
        };
        if let Some(why) = &r.malformed {
            return Err(damaged(why));
        }
        let len = u16::try_from(r.bytes.len()).map_err(|_| damaged("too long for a u16 length"))?;
        let signature = r.signature.ok_or_else(|| damaged("it has no signature"))?;
        out.entries.extend_from_slice(&len.to_be_bytes());
        out.entries.extend_from_slice(&r.bytes);
        out.signatures.extend_from_slice(&signature);
        out.leaves.push(leaf_hash(&r.bytes));
        Ok::<_, TileError>(())
    })?;
    if out.leaves.len() != usize::from(tile.width) {
        return Err(TileError::Damaged {
            seq: first + out.leaves.len() as u64,
            why: "the ledger file does not hold it".into(),
        });
    }
    Ok(out)
}

/// The root of the subtree whose 256 hashes a full tile holds: the hash one tile level up.
pub fn tile_root(hashes: &[u8]) -> Digest {
    let mut level: Vec<Digest> = hashes
        .chunks_exact(32)
        .map(|h| h.try_into().expect("32 bytes"))
        .collect();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|pair| tlog::node_hash(&pair[0], &pair[1]))
            .collect();
    }
    level[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tile_root_is_the_tree_hash_of_its_256_leaves() {
        let leaves: Vec<Digest> = (0u32..256).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let tree = tlog::MemoryHashes::from_leaf_hashes(leaves.clone());
        let expected = tlog::tree_hash(256, &tree).unwrap();
        assert_eq!(tile_root(&leaves.concat()), expected);
        let mut other = leaves.concat();
        other[0] ^= 1;
        assert_ne!(tile_root(&other), expected);
    }
}
