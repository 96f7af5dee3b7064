//! Publishing the log as static files in the C2SP tlog-tiles layout (docs/FORMAT.md §16) into a
//! directory or an S3-compatible bucket ([`Target`]), incrementally and crash-safely. What is
//! published is the latest checkpoint the other regulator cosigned (readers see only witnessed
//! states of the log), or the latest one when none was ever cosigned (a log without a witness).
//!
//! 1. The target's own `checkpoint` says what an earlier publication completed. It must be this
//!    log's (same origin, and a root this ledger's entries give), not newer than the ledger's;
//!    otherwise nothing is written. A target with no checkpoint must be empty or hold this
//!    log's marker `dledger/origin` (an interrupted first publication).
//! 2. Only tiles and bundles that changed since that size are made and written, several at a
//!    time: each checked before it leaves (every entry's leaf hash against the stored tree, each
//!    higher tile's hashes against the roots of the tiles below it made in the same run).
//! 3. The checkpoint is written last, once every write before it completed, so a reader never
//!    meets a checkpoint whose tiles are not there. A publication stopped at any point leaves
//!    the previous checkpoint in place; running it again completes it.

mod target;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;

use tlog::{Checkpoint, Digest, Note, TILE_HEIGHT, TILE_WIDTH, Tile};

pub use target::Target;

use crate::bucket::{BucketError, Object};
use crate::store::{Store, StoreError};
use crate::tiles::{self, TileError, signatures_path};

/// The marker naming the log a target holds, written before anything else of it.
pub const ORIGIN_MARKER: &str = "dledger/origin";

/// Why the log could not be published. Nothing a reader relies on was changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// Reading the ledger failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The ledger's registers could not be read.
    #[error(transparent)]
    Registers(#[from] crate::ledger::ReplayError),
    /// The ledger has no checkpoint to publish.
    #[error(
        "the ledger has no checkpoint to publish; make one with `dledger checkpoint` (and have \
         the other regulator `cosign` it) first"
    )]
    NoCheckpoint,
    /// A tile could not be made.
    #[error(transparent)]
    Tile(#[from] TileError),
    /// The entries do not give the root the checkpoint signs.
    #[error(
        "the first {size} entries do not give the root the checkpoint of size {size} signs; \
         nothing was published. Run `dledger verify`"
    )]
    RootMismatch {
        /// The checkpoint's size.
        size: u64,
    },
    /// The target holds another log.
    #[error(
        "{target} holds the log {found:?}, not this ledger's {ours:?}; nothing was written. \
         Publish each log to its own prefix (e.g. s3://BUCKET/{suggest})"
    )]
    AnotherLog {
        /// The target.
        target: String,
        /// The origin found there.
        found: String,
        /// This ledger's origin.
        ours: String,
        /// A prefix to suggest.
        suggest: String,
    },
    /// The target holds files that are not a publication.
    #[error(
        "{target} already holds files that are not a dledger publication (no checkpoint and no \
         {ORIGIN_MARKER}); nothing was written. Publish into an empty directory or prefix"
    )]
    NotEmpty {
        /// The target.
        target: String,
    },
    /// The target's checkpoint is newer than the ledger's latest.
    #[error(
        "{target} already holds a checkpoint of size {published}, newer than the one this \
         ledger would publish (size {ours}, its latest cosigned or, with none cosigned, its \
         latest); nothing was written, so readers are not rolled back. Publish from an \
         up-to-date copy of the ledger, or once a checkpoint at least that large is cosigned"
    )]
    Newer {
        /// The target.
        target: String,
        /// The published size.
        published: u64,
        /// This ledger's latest checkpoint size.
        ours: u64,
    },
    /// The target's checkpoint is not one of this ledger's trees.
    #[error(
        "{target} holds a checkpoint of size {size} whose root is not the one this ledger's \
         first {size} entries give: it is another log's, or one of the two forked. Nothing was \
         written; keep both and compare them (docs/OPERATIONS.md, \"A fork\")"
    )]
    Diverged {
        /// The target.
        target: String,
        /// The published size.
        size: u64,
    },
    /// The target's checkpoint or marker cannot be read.
    #[error("{target} holds a {what} that cannot be read ({why}); nothing was written")]
    Unreadable {
        /// The target.
        target: String,
        /// Which file.
        what: &'static str,
        /// What is wrong.
        why: String,
    },
    /// A web address was given as the target.
    #[error(
        "cannot publish to {0}: a web server only serves files. Publish to a directory it \
         serves, or to s3://BUCKET/PREFIX"
    )]
    NotWritable(String),
    /// The bucket failed.
    #[error(transparent)]
    Bucket(#[from] BucketError),
    /// A file could not be written or read.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// What a publication did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The checkpoint's tree size.
    pub size: u64,
    /// The size the target's checkpoint had before (0 for a first publication).
    pub from: u64,
    /// Objects written (tiles, bundles, the checkpoint, the marker).
    pub written: u64,
    /// Full tiles and bundles of the earlier publication, left as they were.
    pub kept: u64,
    /// The parties that cosigned the published checkpoint (empty: signed by the operator only).
    pub cosigners: Vec<String>,
    /// The size of the ledger's latest checkpoint, when it is newer than the published one
    /// (not cosigned yet).
    pub newer_uncosigned: Option<u64>,
}

/// Publishes the ledger in `store`, as of its latest stored checkpoint, into `target`.
pub fn publish(store: &Store, target: &Target) -> Result<Published, PublishError> {
    let chosen = choose_checkpoint(store)?;
    let (size, note, cp) = (chosen.size, chosen.note, chosen.checkpoint);
    if tlog::tree_hash(size, store).ok() != Some(cp.root) {
        return Err(PublishError::RootMismatch { size });
    }
    let done = |from: u64, written: u64, kept: u64| Published {
        size,
        from,
        written,
        kept,
        cosigners: chosen.cosigners.clone(),
        newer_uncosigned: chosen.newer_uncosigned,
    };

    let (from, mut written) = match where_it_stands(store, target, &cp)? {
        Standing::Current(old) if old == note => return Ok(done(size, 0, kept_at(size))),
        Standing::Published(from) => (from, 0),
        Standing::Current(_) => (size, 0),
        Standing::Fresh => {
            target.put(Object {
                path: ORIGIN_MARKER.to_owned(),
                bytes: format!("{}\n", cp.origin).into_bytes(),
                immutable: false,
            })?;
            (0, 1)
        }
    };

    written += target.put_all(Tiler::new(store, from, size))?;
    // Last: the checkpoint, once everything it needs is in place.
    target.put(Object {
        path: "checkpoint".to_owned(),
        bytes: note,
        immutable: false,
    })?;
    Ok(done(from, written + 1, kept_at(from)))
}

/// The checkpoint a publication publishes.
struct Chosen {
    size: u64,
    note: Vec<u8>,
    checkpoint: Checkpoint,
    cosigners: Vec<String>,
    newer_uncosigned: Option<u64>,
}

/// The latest stored checkpoint another party cosigned (its signatures checked against the
/// parties' keys), else the latest one.
fn choose_checkpoint(store: &Store) -> Result<Chosen, PublishError> {
    let stored: Vec<(u64, Vec<u8>)> = store
        .checkpoints()?
        .into_iter()
        .filter(|(size, _)| *size > 0)
        .collect();
    let (latest, _) = stored.last().ok_or(PublishError::NoCheckpoint)?;
    let latest = *latest;
    let reg = crate::ledger::open_registers(store)?;
    let origin = reg.origin.clone().unwrap_or_default();
    let root_at = |n: u64| tlog::tree_hash(n, store).ok();
    let chosen = |(size, note): &(u64, Vec<u8>), cosigners: Vec<String>| {
        let checkpoint = parse_checkpoint(note).ok_or(PublishError::NoCheckpoint)?;
        Ok(Chosen {
            size: *size,
            note: note.clone(),
            checkpoint,
            cosigners,
            newer_uncosigned: (*size < latest).then_some(latest),
        })
    };
    for item in stored.iter().rev() {
        if let Ok(checked) =
            ledger_core::checkpoints::check_checkpoint(&item.1, &origin, &reg, root_at)
            && !checked.cosigners.is_empty()
        {
            let names = checked
                .cosigners
                .iter()
                .map(|(p, _)| p.as_str().to_owned())
                .collect();
            return chosen(item, names);
        }
    }
    chosen(stored.last().expect("not empty"), Vec::new())
}

/// What the target holds before a publication.
enum Standing {
    /// Nothing yet, or only this log's marker: a first publication.
    Fresh,
    /// This log's checkpoint of a smaller size.
    Published(u64),
    /// This log's checkpoint of the same size, with these bytes.
    Current(Vec<u8>),
}

/// Reads the target's checkpoint and marker and checks they are this log's, as of no later
/// than `ours`.
fn where_it_stands(
    store: &Store,
    target: &Target,
    ours: &Checkpoint,
) -> Result<Standing, PublishError> {
    let name = target.describe();
    let another = |found: String| PublishError::AnotherLog {
        target: name.clone(),
        found,
        ours: ours.origin.clone(),
        suggest: ours.origin.replace(['/', ' '], "-"),
    };
    if let Some(bytes) = target.get("checkpoint")? {
        let old = parse_checkpoint(&bytes).ok_or_else(|| PublishError::Unreadable {
            target: name.clone(),
            what: "checkpoint",
            why: "not a signed checkpoint note".into(),
        })?;
        if old.origin != ours.origin {
            return Err(another(old.origin));
        }
        if old.size > ours.size {
            return Err(PublishError::Newer {
                target: name,
                published: old.size,
                ours: ours.size,
            });
        }
        if tlog::tree_hash(old.size, store).ok() != Some(old.root) {
            return Err(PublishError::Diverged {
                target: name,
                size: old.size,
            });
        }
        return Ok(if old.size == ours.size {
            Standing::Current(bytes)
        } else {
            Standing::Published(old.size)
        });
    }
    match target.get(ORIGIN_MARKER)? {
        Some(marker) => {
            let found = String::from_utf8_lossy(&marker).trim_end().to_owned();
            if found != ours.origin {
                return Err(another(found));
            }
            Ok(Standing::Fresh)
        }
        None if target.holds_anything()? => Err(PublishError::NotEmpty { target: name }),
        None => Ok(Standing::Fresh),
    }
}

fn parse_checkpoint(note: &[u8]) -> Option<Checkpoint> {
    Note::parse(note)
        .ok()
        .and_then(|n| Checkpoint::parse(n.text()).ok())
}

/// Full tiles and bundles a publication of `size` entries holds (three per full bundle: its
/// entries, its signatures and its level-0 hash tile; one per full higher tile).
fn kept_at(size: u64) -> u64 {
    let mut kept = 2 * (size / TILE_WIDTH);
    let mut level = 0;
    while level * TILE_HEIGHT < 64 && size >> (level * TILE_HEIGHT) > 0 {
        kept += (size >> (level * TILE_HEIGHT)) / TILE_WIDTH;
        level += 1;
    }
    kept
}

/// The tiles and bundles that changed from a publication of `from` entries to one of `size`,
/// made one by one as the target takes them, each checked before it is handed out.
struct Tiler<'a> {
    store: &'a Store,
    /// Tiles still to make, level by level from the bottom.
    tiles: VecDeque<Tile>,
    /// Objects made and not yet handed out.
    ready: VecDeque<Object>,
    /// The roots of the full tiles made in this run, by (level, index).
    roots: HashMap<(u8, u64), Digest>,
}

impl<'a> Tiler<'a> {
    fn new(store: &'a Store, from: u64, size: u64) -> Tiler<'a> {
        let mut tiles = VecDeque::new();
        let mut level: u8 = 0;
        loop {
            let shift = u32::from(level) * TILE_HEIGHT;
            if shift >= 64 {
                break;
            }
            let (old, new) = (from >> shift, size >> shift);
            if new == 0 {
                break;
            }
            for index in old / TILE_WIDTH..=(new - 1) / TILE_WIDTH {
                let width = (new - index * TILE_WIDTH).min(TILE_WIDTH);
                if index * TILE_WIDTH + width > old {
                    tiles.push_back(Tile {
                        level,
                        index,
                        width: u16::try_from(width).expect("at most 256"),
                    });
                }
            }
            level += 1;
        }
        Tiler {
            store,
            tiles,
            ready: VecDeque::new(),
            roots: HashMap::new(),
        }
    }

    /// Makes and checks the objects of `tile`.
    fn make(&mut self, tile: Tile) -> Result<(), PublishError> {
        let hashes = tiles::hash_tile(self.store, tile)?;
        let wrong = |why: String| {
            PublishError::Tile(TileError::Damaged {
                seq: (tile.index * TILE_WIDTH)
                    .checked_shl(u32::from(tile.level) * TILE_HEIGHT)
                    .unwrap_or(u64::MAX),
                why,
            })
        };
        if tile.level == 0 {
            let bundle = tiles::bundle(self.store, tile)?;
            if bundle.leaves.concat() != hashes {
                return Err(wrong(format!(
                    "the stored Merkle leaves of {} are not the hashes of its entries",
                    tile.path()
                )));
            }
            self.ready.push_back(Object {
                path: tile.entries_path(),
                bytes: bundle.entries,
                immutable: tile.is_full(),
            });
            self.ready.push_back(Object {
                path: signatures_path(&tile),
                bytes: bundle.signatures,
                immutable: tile.is_full(),
            });
        } else {
            for (j, hash) in hashes.chunks_exact(32).enumerate() {
                let below = (tile.level - 1, tile.index * TILE_WIDTH + j as u64);
                if let Some(root) = self.roots.get(&below)
                    && root[..] != *hash
                {
                    return Err(wrong(format!(
                        "the stored hash {j} of {} is not the root of the tile below it",
                        tile.path()
                    )));
                }
            }
        }
        if tile.is_full() {
            self.roots
                .insert((tile.level, tile.index), tiles::tile_root(&hashes));
        }
        self.ready.push_back(Object {
            path: tile.path(),
            bytes: hashes,
            immutable: tile.is_full(),
        });
        Ok(())
    }
}

impl Iterator for Tiler<'_> {
    type Item = Result<Object, PublishError>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.ready.is_empty() {
            let tile = self.tiles.pop_front()?;
            if let Err(e) = self.make(tile) {
                self.tiles.clear();
                return Some(Err(e));
            }
        }
        self.ready.pop_front().map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_counts_the_full_tiles_of_a_size() {
        assert_eq!(kept_at(0), 0);
        assert_eq!(kept_at(255), 0);
        // One full bundle: entries, signatures, level-0 hash tile.
        assert_eq!(kept_at(256), 3);
        // 65,536 entries: 256 bundles ×3, and one full level-1 tile.
        assert_eq!(kept_at(65_536), 256 * 3 + 1);
    }
}
