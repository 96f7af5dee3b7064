//! The ledger published as static files in the C2SP tlog-tiles layout
//! ([c2sp.org/tlog-tiles](https://c2sp.org/tlog-tiles); docs/FORMAT.md §16), so that anyone —
//! the other regulator's node, an auditor, a generic tiles client — can fetch the log, check it
//! against the signed checkpoint and mirror it, from any static host:
//!
//! - `checkpoint`: the latest stored checkpoint note, byte for byte (with its cosignatures);
//! - `tile/<L>/<N>[.p/<W>]`: the Merkle tree's hash tiles for that checkpoint's size;
//! - `tile/entries/<N>[.p/<W>]`: entry bundles, each entry's bytes (the Merkle leaf data),
//!   big-endian `u16` length-prefixed;
//! - `dledger/signatures/<N>[.p/<W>]`: this ledger's addition, in the same tiling: each entry's
//!   64-byte Ed25519 signature, in order, so a mirror can check who signed what.
//!
//! Field values are never published (they stay in the vault). Full tiles and bundles are
//! immutable: a later publication keeps the files already there and adds the new ones; partial
//! ones and the checkpoint are replaced, the checkpoint last, each through a temporary file and
//! a rename, so a reader never sees a checkpoint whose tiles are missing.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use tlog::{Digest, HashReader as _, Tile, entry_bundles_for_size, tiles_for_size};

use crate::hash::leaf_hash;
use crate::store::{Store, StoreError};

/// Where this ledger's signature bundles are published, below the log's prefix.
pub const SIGNATURES_PREFIX: &str = "dledger/signatures";

/// Why the log could not be published.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// Reading the ledger failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The ledger has no checkpoint to publish.
    #[error(
        "the ledger has no checkpoint to publish; make one with `dledger checkpoint` (and have \
         the other regulator `cosign` it) first"
    )]
    NoCheckpoint,
    /// An entry cannot be published as it is stored.
    #[error("entry #{seq} cannot be published: {why}; run `dledger verify`")]
    Damaged {
        /// The entry.
        seq: u64,
        /// What is wrong.
        why: String,
    },
    /// The entries do not give the root the checkpoint signs.
    #[error(
        "the first {size} entries do not give the root the checkpoint of size {size} signs; \
         nothing was published. Run `dledger verify`"
    )]
    RootMismatch {
        /// The checkpoint's size.
        size: u64,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// What a publication wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// The checkpoint's tree size.
    pub size: u64,
    /// Files written (tiles, bundles, the checkpoint).
    pub written: u64,
    /// Full tiles and bundles already there, kept as they were.
    pub kept: u64,
}

/// The path of the signature bundle with `tile`'s index and width.
pub fn signatures_path(tile: &Tile) -> String {
    let entries = tile.entries_path();
    let rest = entries
        .strip_prefix("tile/entries/")
        .expect("entries paths start with tile/entries/");
    format!("{SIGNATURES_PREFIX}/{rest}")
}

/// Publishes the ledger in `store` as of its latest stored checkpoint into the directory `dir`
/// (created if need be).
pub fn publish(store: &Store, dir: &Path) -> Result<Published, PublishError> {
    let (size, note) = store
        .checkpoints()?
        .into_iter()
        .rfind(|(size, _)| *size > 0)
        .ok_or(PublishError::NoCheckpoint)?;
    let signed_root = tlog::Note::parse(&note)
        .ok()
        .and_then(|n| tlog::Checkpoint::parse(n.text()).ok())
        .map(|c| c.root)
        .ok_or(PublishError::NoCheckpoint)?;

    // One pass: every leaf hash, and each bundle's entries and signatures as it fills.
    let mut leaves: Vec<Digest> = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    let mut bundles: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let (mut entries, mut signatures) = (Vec::new(), Vec::new());
    store.scan(0, Some(size), |r| {
        let damaged = |why: String| PublishError::Damaged { seq: r.key, why };
        if let Some(why) = &r.malformed {
            return Err(damaged(why.clone()));
        }
        let len = u16::try_from(r.bytes.len())
            .map_err(|_| damaged("longer than a u16 length prefix allows".into()))?;
        let signature = r.signature.ok_or_else(|| damaged("no signature".into()))?;
        leaves.push(leaf_hash(&r.bytes));
        entries.extend_from_slice(&len.to_be_bytes());
        entries.extend_from_slice(&r.bytes);
        signatures.extend_from_slice(&signature);
        if leaves.len().is_multiple_of(tlog::TILE_WIDTH as usize) {
            bundles.push((
                std::mem::take(&mut entries),
                std::mem::take(&mut signatures),
            ));
        }
        Ok::<_, PublishError>(())
    })?;
    if !entries.is_empty() {
        bundles.push((entries, signatures));
    }
    let tree = tlog::MemoryHashes::from_leaf_hashes(leaves);
    if tlog::tree_hash(size, &tree).ok() != Some(signed_root) {
        return Err(PublishError::RootMismatch { size });
    }

    let mut out = Published {
        size,
        written: 0,
        kept: 0,
    };
    let mut put = |path: &str, bytes: &[u8], immutable: bool| -> Result<(), PublishError> {
        let target = dir.join(path);
        if immutable && target.is_file() {
            out.kept += 1;
            return Ok(());
        }
        write_atomically(&target, bytes)?;
        out.written += 1;
        Ok(())
    };
    for (tile, (entries, signatures)) in entry_bundles_for_size(size).zip(&bundles) {
        put(&tile.entries_path(), entries, tile.is_full())?;
        put(&signatures_path(&tile), signatures, tile.is_full())?;
    }
    for tile in tiles_for_size(size) {
        let first = tile.index * tlog::TILE_WIDTH;
        let indexes: Vec<u64> = (first..first + u64::from(tile.width))
            .map(|n| tlog::stored_hash_index(u32::from(tile.level) * tlog::TILE_HEIGHT, n))
            .collect();
        let hashes = tree
            .read_hashes(&indexes)
            .map_err(|e| PublishError::Damaged {
                seq: first,
                why: e.to_string(),
            })?;
        put(&tile.path(), &hashes.concat(), tile.is_full())?;
    }
    // Last: the checkpoint, once everything it needs is in place.
    put("checkpoint", &note, false)?;
    Ok(out)
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, then
/// flushes the directory: a reader sees the old file or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PublishError> {
    let io = |source| PublishError::Io {
        path: path.to_owned(),
        source,
    };
    let parent = path.parent().expect("a published path has a directory");
    fs::create_dir_all(parent).map_err(io)?;
    let tmp = parent.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .expect("a published path names a file")
            .to_string_lossy(),
        std::process::id()
    ));
    let mut file = fs::File::create(&tmp).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    drop(file);
    fs::rename(&tmp, path).map_err(io)?;
    fs::File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(io)
}
