//! Mirroring a log into a local replica, from a node, a web server, a bucket or a directory
//! ([`TileSource`]): fetch its checkpoint, prove the new entries
//! extend what the replica holds (from the log's own hash tiles, before anything is stored),
//! then fetch the entries and their signatures, check each against the proven leaf hashes,
//! store them, and store the checkpoint once the log's signature on it is checked. `verify`
//! (incrementally, [`crate::incremental`]) then judges everything stored, as for any ledger.
//!
//! A replica interrupted at any point holds only entries proven to be the log's (each bundle
//! is stored in one durable commit); the next run carries on from its last entry.

use std::path::{Path, PathBuf};

use tlog::{Checkpoint, Digest, Note, TILE_WIDTH, Tile};

use crate::hash::leaf_hash;
use crate::ledger::{AppendError, Ledger};
use crate::store::VaultItem;
use crate::tiles::signatures_path;
use crate::witness::{CheckedCheckpoint, WitnessError};

use super::client::RemoteError;
use super::source::TileSource;

/// The fewest entry bundles stored in one durable commit; a long sync stores more per commit
/// (at most [`COMMITS_PER_SYNC`] commits), so what an interruption loses stays small either way.
const MIN_BUNDLES_PER_COMMIT: u64 = 4;

/// About how many durable commits one sync makes at most.
const COMMITS_PER_SYNC: u64 = 64;

/// How many bundles are fetched ahead of the one being stored.
const PREFETCH: usize = 32;

/// Why a mirror run stopped. What was stored before stays, and is the log's.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MirrorError {
    /// Talking to the node failed.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// Reading the bucket failed.
    #[error(transparent)]
    Bucket(#[from] crate::bucket::BucketError),
    /// The source lacks a file its checkpoint needs.
    #[error(
        "{from} has no {path}, which its checkpoint needs: the publication is incomplete or \
         damaged. Ask its operator to publish again; nothing of it was stored"
    )]
    Missing {
        /// The source.
        from: String,
        /// The missing file.
        path: String,
    },
    /// A directory given as the source does not exist.
    #[error(
        "{0:?} is neither a directory, an s3://BUCKET/PREFIX nor an http(s):// address of a log"
    )]
    NoSource(String),
    /// A file of a published directory could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The node's checkpoint is not one of this log's, or cannot be read.
    #[error("the node's checkpoint {0}")]
    BadCheckpoint(String),
    /// Two signed checkpoints of the log that cannot both be true: the log forked (or the node
    /// serves hashes that are not those of its signed log). Both notes are saved as evidence.
    #[error(
        "FORK: {detail}. Both signed checkpoints are saved in {} as evidence; the replica was \
         not changed. Do not rely on the node's log until the two regulators have compared \
         their copies (docs/OPERATIONS.md, \"A fork\")",
        evidence.display()
    )]
    Fork {
        /// What disagrees.
        detail: String,
        /// Where the two notes were saved.
        evidence: PathBuf,
    },
    /// The node served data that does not match what it proved (an entry whose hash is not the
    /// one its tiles and checkpoint commit to, a malformed bundle).
    #[error(
        "the node served {0}; nothing of it was stored. Try again; if it persists, report it to the log's operator"
    )]
    BadData(String),
    /// Storing into the replica failed.
    #[error(transparent)]
    Append(#[from] AppendError),
    /// The replica could not be opened or read.
    #[error(transparent)]
    Open(#[from] crate::store::OpenError),
    /// Reading the replica failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The checkpoint was refused against the stored entries.
    #[error(transparent)]
    Checkpoint(#[from] WitnessError),
    /// The replica's tree hashes are damaged.
    #[error("the replica's Merkle hashes are damaged ({0}); run `dledger verify` on it")]
    Tree(#[from] tlog::ProofError),
}

/// What a mirror run did.
#[derive(Debug, Clone)]
pub struct Synced {
    /// Entries in the replica before.
    pub before: u64,
    /// The size of the log's checkpoint it synced to.
    pub size: u64,
    /// The checkpoint as checked (signer, cosigners).
    pub checkpoint: Option<CheckedCheckpoint>,
    /// The checkpoint was older than what the replica holds (and consistent with it).
    pub behind: bool,
}

/// Brings `replica` up to the source's current checkpoint, or to `target` (a checkpoint note
/// the caller already has, e.g. one a witness is asked to cosign). `vault_for` gives the field
/// values this party keeps for an entry it submitted itself, by sequence number.
pub fn sync(
    remote: &dyn TileSource,
    replica: &mut Ledger,
    target: Option<&[u8]>,
    mut vault_for: impl FnMut(u64) -> Vec<VaultItem>,
) -> Result<Synced, MirrorError> {
    let note_bytes = match target {
        Some(n) => n.to_vec(),
        None => remote.fetch("checkpoint")?,
    };
    let note = Note::parse(&note_bytes).map_err(|e| MirrorError::BadCheckpoint(e.to_string()))?;
    let cp = Checkpoint::from_note(&note).map_err(|e| MirrorError::BadCheckpoint(e.to_string()))?;
    if let Some(origin) = &replica.registers().origin
        && origin != &cp.origin
    {
        return Err(MirrorError::BadCheckpoint(format!(
            "is for the log {:?}, but this replica holds the log {origin:?}; mirror it into \
             another file",
            cp.origin
        )));
    }
    let store = replica.reader()?;
    let before = store.len()?;
    let size = cp.size;
    // A note the log's keys did not sign is no evidence of anything: refused before it is
    // compared with the replica (a fork needs two signed checkpoints).
    if before > 0
        && note
            .verify(&operator_keys(replica.registers(), before))
            .is_err()
    {
        return Err(MirrorError::BadCheckpoint(format!(
            "(size {size}) is not signed by any current key of this log's parties; if the \
             operator changed its key, that change must first reach this replica"
        )));
    }

    // 1. The checkpoint must extend what the replica holds.
    if size <= before {
        let root = tlog::tree_hash(size, &*store)?;
        if root != cp.root {
            return Err(fork(
                replica.path(),
                &store,
                &note_bytes,
                format!(
                    "the node's checkpoint gives the tree of its first {size} entries the root \
                     {}, but the entries this replica verified give {}",
                    hex::encode(cp.root),
                    hex::encode(root)
                ),
            ));
        }
        // Stored (or merged with the note stored for that size) unless it adds no signature:
        // the log's note gains the witness's cosignature after the replica first fetched it.
        let adds_nothing = store
            .checkpoints()?
            .into_iter()
            .find(|(n, _)| *n == size)
            .and_then(|(_, bytes)| Note::parse(&bytes).ok())
            .is_some_and(|stored| {
                stored.text() == note.text()
                    && note
                        .signatures()
                        .iter()
                        .all(|s| stored.signatures().contains(s))
            });
        drop(store);
        let checked = if adds_nothing {
            None
        } else {
            Some(accept(replica, &note_bytes)?)
        };
        return Ok(Synced {
            before,
            size,
            checkpoint: checked,
            behind: size < before,
        });
    }

    // 2. Prove it from the log's level-0 hash tiles before storing anything: the replica's
    // compact range plus the new leaf hashes must give the signed root.
    let mut range = tlog::compact_range(before, &*store)?;
    drop(store);
    let leaves = fetch_leaf_hashes(remote, before, size)?;
    for leaf in &leaves {
        range.push(*leaf);
    }
    if range.root() != cp.root {
        let store = replica.reader()?;
        return Err(fork(
            replica.path(),
            &store,
            &note_bytes,
            format!(
                "the node's checkpoint of size {size} does not extend the {before} entries this \
                 replica verified: its hash tiles after them do not give its signed root"
            ),
        ));
    }

    // 3. The entries and signatures, each matched to its proven leaf hash. Bundles are
    // fetched on another thread, ahead of the one being stored.
    let first = before / TILE_WIDTH;
    let last = (size - 1) / TILE_WIDTH;
    let (tx, rx) = std::sync::mpsc::sync_channel(PREFETCH);
    std::thread::scope(|scope| {
        scope.spawn(move || fetch_bundles(remote, first, last, size, &tx));
        store_bundles(replica, rx, first, before, &leaves, &mut vault_for)
    })?;
    if replica.next_seq().0 < size {
        return Err(MirrorError::BadData(format!(
            "fewer entries than its checkpoint of size {size} counts"
        )));
    }

    // 4. The checkpoint itself, checked against the stored entries and the parties' keys.
    let checked = accept(replica, &note_bytes)?;
    Ok(Synced {
        before,
        size,
        checkpoint: Some(checked),
        behind: false,
    })
}

/// Where the verification state of the replica at `replica` is kept: beside it,
/// `REPLICA.state` (by `dledger mirror` and by a witness node, which share it).
pub fn state_path(replica: &Path) -> PathBuf {
    let mut s = replica.as_os_str().to_owned();
    s.push(".state");
    PathBuf::from(s)
}

/// The Ed25519 keys that may sign the log's checkpoints at position `at` (each party's
/// current keys): a note none of them signed is not the log's.
pub fn operator_keys(reg: &crate::registers::Registers, at: u64) -> Vec<tlog::VerifierKey> {
    crate::witness::party_keys(reg, crate::model::Seq(at))
        .into_iter()
        .map(|(_, op, _)| op)
        .collect()
}

/// Stores the node's checkpoint note after checking it against the replica.
fn accept(replica: &mut Ledger, note: &[u8]) -> Result<CheckedCheckpoint, MirrorError> {
    let mut batch = replica.begin()?;
    // The index root is rebuilt by the verify run every mirror ends with.
    let checked = batch.accept_checkpoint(note, false).map_err(|e| match e {
        WitnessError::Rejected(why) => MirrorError::BadCheckpoint(format!("is refused: {why}")),
        other => MirrorError::Checkpoint(other),
    })?;
    batch.commit()?;
    Ok(checked)
}

/// A bundle as fetched: its index, its width, and its entries and signatures.
type Fetched = (u64, u64, Result<(Vec<u8>, Vec<u8>), MirrorError>);

/// Fetches the bundles `first..=last` of a log of `size` entries, the source's group at a
/// time, and sends them in order; stops at the first failure (sent) or when the receiver is gone.
fn fetch_bundles(
    remote: &dyn TileSource,
    first: u64,
    last: u64,
    size: u64,
    tx: &std::sync::mpsc::SyncSender<Fetched>,
) {
    let mut group = first;
    while group <= last {
        let end = (group + remote.group() - 1).min(last);
        let tiles: Vec<Tile> = (group..=end)
            .map(|index| bundle_tile(index, (size - index * TILE_WIDTH).min(TILE_WIDTH)))
            .collect();
        let paths: Vec<String> = tiles
            .iter()
            .flat_map(|tile| [tile.entries_path(), signatures_path(tile)])
            .collect();
        let (files, failure) = remote.fetch_many(&paths);
        let mut files = files.into_iter();
        for tile in tiles {
            let (Some(entries), Some(signatures)) = (files.next(), files.next()) else {
                break;
            };
            let fetched = (tile.index, u64::from(tile.width), Ok((entries, signatures)));
            if tx.send(fetched).is_err() {
                return;
            }
        }
        if let Some(e) = failure {
            let _ = tx.send((group, 0, Err(e)));
            return;
        }
        group = end + 1;
    }
}

/// Stores the bundles `rx` brings, from bundle `first` on, each entry checked against its
/// proven leaf hash (`leaves` starts at entry `before`), in a few durable commits.
fn store_bundles(
    replica: &mut Ledger,
    rx: std::sync::mpsc::Receiver<Fetched>,
    first: u64,
    before: u64,
    leaves: &[Digest],
    vault_for: &mut impl FnMut(u64) -> Vec<VaultItem>,
) -> Result<(), MirrorError> {
    let last = (before + leaves.len() as u64 - 1) / TILE_WIDTH;
    let per_commit = ((last - first + 1) / COMMITS_PER_SYNC).max(MIN_BUNDLES_PER_COMMIT);
    let mut batch = replica.begin()?;
    for (index, width, fetched) in rx {
        let (entries, signatures) = fetched?;
        let tile = bundle_tile(index, width);
        let items = split_bundle(&entries, &signatures, width)?;
        for (i, (bytes, signature)) in items.into_iter().enumerate() {
            let seq = index * TILE_WIDTH + i as u64;
            if seq < before {
                continue;
            }
            let proven = leaves[usize::try_from(seq - before).expect("fits")];
            if leaf_hash(&bytes) != proven {
                return Err(MirrorError::BadData(format!(
                    "entry #{seq} in {} whose hash is not the one its checkpoint commits to",
                    tile.entries_path()
                )));
            }
            batch.push_replicated(bytes, signature, vault_for(seq))?;
        }
        if (index - first + 1).is_multiple_of(per_commit) {
            batch.flush()?;
        }
    }
    batch.commit()?;
    Ok(())
}

/// The entry bundle (or hash tile at level 0) with this index and width.
fn bundle_tile(index: u64, width: u64) -> Tile {
    Tile {
        level: 0,
        index,
        width: u16::try_from(width).expect("at most 256"),
    }
}

/// The leaf hashes of entries `from..to`, from the log's level-0 hash tiles.
fn fetch_leaf_hashes(
    remote: &dyn TileSource,
    from: u64,
    to: u64,
) -> Result<Vec<Digest>, MirrorError> {
    let mut out = Vec::with_capacity(usize::try_from(to - from).unwrap_or(0));
    let tiles: Vec<Tile> = (from / TILE_WIDTH..=(to - 1) / TILE_WIDTH)
        .map(|index| bundle_tile(index, (to - index * TILE_WIDTH).min(TILE_WIDTH)))
        .collect();
    let per_request = usize::try_from(remote.group() * 4).unwrap_or(64);
    for group in tiles.chunks(per_request) {
        let paths: Vec<String> = group.iter().map(Tile::path).collect();
        let (files, failure) = remote.fetch_many(&paths);
        if let Some(e) = failure {
            return Err(e);
        }
        for (tile, bytes) in group.iter().zip(files) {
            let width = u64::from(tile.width);
            if bytes.len() as u64 != width * 32 {
                return Err(MirrorError::BadData(format!(
                    "the hash tile {} with {} bytes, not {}",
                    tile.path(),
                    bytes.len(),
                    width * 32
                )));
            }
            for (i, chunk) in bytes.chunks_exact(32).enumerate() {
                let seq = tile.index * TILE_WIDTH + i as u64;
                if seq >= from {
                    out.push(chunk.try_into().expect("32 bytes"));
                }
            }
        }
    }
    Ok(out)
}

/// Splits an entry bundle (each entry a big-endian `u16` length then its bytes) and its
/// signature bundle (64 bytes each) into `width` signed entries.
fn split_bundle(
    entries: &[u8],
    signatures: &[u8],
    width: u64,
) -> Result<Vec<crate::ledger::SignedEntry>, MirrorError> {
    let bad = |why: &str| MirrorError::BadData(format!("an entry bundle {why}"));
    if signatures.len() as u64 != width * 64 {
        return Err(bad("whose signature bundle has the wrong length"));
    }
    let mut out = Vec::with_capacity(usize::try_from(width).unwrap_or(0));
    let mut rest = entries;
    for signature in signatures.chunks_exact(64) {
        let Some((len, tail)) = rest.split_first_chunk::<2>() else {
            return Err(bad("that ends early"));
        };
        let len = usize::from(u16::from_be_bytes(*len));
        if tail.len() < len {
            return Err(bad("that ends inside an entry"));
        }
        let (bytes, tail) = tail.split_at(len);
        out.push((bytes.to_vec(), signature.try_into().expect("64 bytes")));
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(bad("with bytes after its last entry"));
    }
    Ok(out)
}

/// Saves the replica's latest stored checkpoint and the node's conflicting one beside the
/// replica, and returns the fork error naming them.
fn fork(replica: &Path, store: &crate::store::Store, served: &[u8], detail: String) -> MirrorError {
    let stamp = jiff::Timestamp::now().as_second();
    let name = replica
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "replica".into());
    let dir = replica.with_file_name(format!("{name}.fork-{stamp}"));
    let verified = store
        .checkpoints()
        .ok()
        .and_then(|c| c.into_iter().next_back())
        .map(|(_, n)| n);
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        std::fs::write(dir.join("served.note"), served)?;
        if let Some(v) = &verified {
            std::fs::write(dir.join("verified.note"), v)?;
        }
        std::fs::write(
            dir.join("README.txt"),
            format!(
                "Evidence of a fork, saved by dledger mirror.\n\n{detail}.\n\nserved.note: the \
                 checkpoint the node served, signed by the log operator.\nverified.note: the \
                 latest checkpoint this replica had verified before, signed by the same log.\n\n\
                 Both are signed; they cannot both describe one append-only log. Keep this \
                 folder and the replica unchanged.\n"
            ),
        )
    });
    if written.is_err() {
        return MirrorError::Fork {
            detail: format!("{detail} (and the evidence could not be written)"),
            evidence: dir,
        };
    }
    MirrorError::Fork {
        detail,
        evidence: dir,
    }
}
