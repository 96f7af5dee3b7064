//! The ledger as a recording officer uses it: create, open, and append entries that have been
//! checked against everything recorded before them.
//!
//! Data flows one way: input → model (validated here) → codec → sign → store. An append either
//! writes every record it was given, durably, or writes nothing.
//!
//! This file holds the [`Ledger`] type: creating a ledger, opening one, and what an open ledger
//! owns (its path, its registers, the write handle while a batch is open, and the derived data
//! not yet saved). It must not reach past [`crate::store`] into the file, and it holds no rule
//! of its own about entries: structural rules live in [`crate::rules`], checks against the
//! registers in `check`, building entries in `prepare`, writing them in `batch`, and reading
//! the log back in `replay`. Each operation has its own error enum (`error`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::codec::{self, EncodeError};
use crate::hash::leaf_hash;
use crate::keys::{PublicKey, SecretKey};
use crate::model::{
    Body, Entry, EntryHash, FORMAT_VERSION, Genesis, PartyId, PartyRecord, PolicyDocument, Seq,
    Signer, Timestamp,
};
use crate::registers::Registers;
use crate::rules;
use crate::store::{Access, IndexUpdate, NewRecord, Store, VaultItem};

mod batch;
mod check;
mod error;
mod prepare;
mod replay;
mod signed;
mod writer;

pub(crate) use batch::pending_items;
pub use batch::{Batch, Checked, CheckedEntry, Pending, Receipt, SignatureFeed};
pub use error::{AppendError, InitError, OpenError, ReindexError, ReplayError};
pub use prepare::{FUTURE_TOLERANCE_SECS, fresh_salt, policy_document};
pub use replay::{open_registers, rebuild_index, referring_entries, reindex, replay};
pub use signed::{Recorded, SUBMISSION_WINDOW_SECS, SignedEntry};

/// A party to name in a new ledger.
#[derive(Debug, Clone)]
pub struct PartyInit {
    /// Short id.
    pub id: PartyId,
    /// Full name.
    pub name: String,
    /// Trust-root public key.
    pub key: PublicKey,
}

/// A ledger ready for appending, with its registers loaded.
///
/// Opening reads the file through a read-only handle: the register snapshot saved by the last
/// commit, plus any entries appended after it (a full replay only for a file without a valid
/// snapshot), so opening costs O(log n) rather than O(n). Everything is checked against the
/// registers first; the file is opened for writing only for the moment of an append, so input
/// that is refused leaves the file byte-for-byte unchanged and a writer holds the lock briefly.
pub struct Ledger {
    path: PathBuf,
    reg: Registers,
    wait: Duration,
    /// The write handle while a [`Batch`] is open (shared with a write in flight, see
    /// [`Batch::flush_in_background`]).
    writer: Option<Arc<Store>>,
    /// Derived data not yet saved in the file.
    index: IndexState,
    /// Parsed policies, for resolving each disclosure's relevance limb (parsing a policy per
    /// disclosure would dominate a bulk import).
    policies: std::sync::RwLock<crate::policy::PolicyEngine>,
    /// The file held open for writing for this ledger's lifetime ([`Ledger::hold`]): a node
    /// reads and writes through it instead of opening the file for each batch.
    held: Option<Arc<Store>>,
    /// Where appends go when this ledger is a replica of a log another party operates
    /// ([`Ledger::submit_to`]).
    submitter: Option<Arc<dyn Submit>>,
}

/// Records entries into a log another party operates (a node), for a ledger that is a replica
/// of it: the entry is checked against the replica and signed here, and only the signed entry
/// travels. See `remote::submit`.
pub trait Submit: Send + Sync {
    /// Records `pending`, signed by `key`, as the next entries of the log `replica` mirrors
    /// (all or none), and returns their receipts once the replica holds them.
    fn submit(
        &self,
        replica: &mut Ledger,
        pending: Vec<Pending>,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Vec<Receipt>, AppendError>;
}

/// References of entries applied to the registers but not yet saved in the references table,
/// and whether the table must be rebuilt from them (after a full replay).
#[derive(Debug, Clone, Default)]
struct IndexState {
    pending: Vec<(u64, u64)>,
    rebuild: bool,
}

impl Ledger {
    /// Creates a ledger at `path` with its genesis entry, signed by `key` (a trust root of one of
    /// `parties`). Nothing is left behind if this fails.
    pub fn create(
        path: &Path,
        origin: &str,
        parties: &[PartyInit],
        policy: PolicyDocument,
        key: &SecretKey,
        now: Timestamp,
    ) -> Result<Ledger, InitError> {
        let signer = parties
            .iter()
            .find(|p| p.key.key_id == key.public().key_id)
            .ok_or_else(|| InitError::SignerNotAParty {
                key_name: key.public().name.clone(),
                key_id: key.public().key_id,
            })?;
        let genesis = Genesis {
            origin: origin.to_owned(),
            parties: parties
                .iter()
                .map(|p| PartyRecord {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    trust_root: p.key.record(),
                })
                .collect(),
            policy,
        };
        let entry = Entry {
            version: FORMAT_VERSION,
            seq: Seq(0),
            prev: EntryHash::ZERO,
            recorded_at: now,
            signer: Signer {
                party: signer.id.clone(),
                key_id: key.public().key_id,
            },
            body: Body::Genesis(genesis),
        };
        if let Some(breach) = rules::check_entry(&Registers::default(), &entry)
            .into_iter()
            .next()
        {
            return Err(InitError::Rule {
                kind: breach.kind(),
                message: breach.message(),
            });
        }
        let record = seal(&entry, key, Vec::new())?;
        let mut reg = Registers::default();
        reg.apply(&entry, record.0.hash);
        let index = IndexUpdate {
            snapshot: codec::encode_snapshot(&reg.snapshot())?,
            references: Vec::new(),
            rebuild: true,
        };
        let store = Store::create(path)?;
        if let Err(e) = store.append_indexed(std::slice::from_ref(&record.0), Some(&index)) {
            drop(store);
            let _ = std::fs::remove_file(path);
            return Err(e.into());
        }
        Ok(Ledger {
            path: path.to_owned(),
            reg,
            wait: Duration::ZERO,
            writer: None,
            index: IndexState::default(),
            policies: Default::default(),
            held: None,
            submitter: None,
        })
    }

    /// Opens a ledger for appending: loads the saved register snapshot and applies any entries
    /// recorded after it (replaying the whole log only when there is no valid snapshot).
    /// Refuses a ledger whose entries since the snapshot do not replay cleanly (undecodable
    /// entry, gap, broken chain): appending would hide the damage.
    pub fn open(path: &Path) -> Result<Ledger, OpenError> {
        let store = Store::open(path, Access::ReadOnly)?;
        let (reg, index) = replay::load(&store)?;
        Ok(Ledger {
            path: path.to_owned(),
            reg,
            wait: Duration::ZERO,
            writer: None,
            index,
            policies: Default::default(),
            held: None,
            submitter: None,
        })
    }

    /// Opens a ledger and holds its file open for writing until the ledger is dropped (a
    /// node's): every batch, check and read goes through the one handle, which is also
    /// returned for serving reads. Another process cannot write to the file meanwhile.
    pub fn open_held(path: &Path) -> Result<(Ledger, Arc<Store>), OpenError> {
        let mut ledger = Ledger::open(path)?;
        let store = Arc::new(Store::open(path, Access::ReadWrite)?);
        // Entries appended between the two opens are read through the held handle.
        replay::replay_into(&store, &mut ledger.reg, &mut ledger.index.pending)?;
        ledger.held = Some(Arc::clone(&store));
        Ok((ledger, store))
    }

    /// Sends every append of this ledger (a replica) to the log it mirrors through `submitter`
    /// instead of writing it here; the replica then receives it from the log. Batches that
    /// must commit several entries at once are refused.
    pub fn submit_to(&mut self, submitter: Arc<dyn Submit>) {
        self.submitter = Some(submitter);
    }

    /// Whether appends go to a remote log ([`Ledger::submit_to`]).
    pub fn is_remote(&self) -> bool {
        self.submitter.is_some()
    }

    /// A reader of the file: the held handle if there is one ([`Ledger::open_held`]), else the
    /// file opened read-only.
    pub fn reader(&self) -> Result<Arc<Store>, crate::store::OpenError> {
        self.store(Access::ReadOnly)
    }

    /// The file, through the held handle if there is one, else opened with `access`.
    fn store(&self, access: Access) -> Result<Arc<Store>, crate::store::OpenError> {
        match &self.held {
            Some(s) => Ok(Arc::clone(s)),
            None => Store::open(&self.path, access).map(Arc::new),
        }
    }

    /// The registers as replayed up to the last entry.
    pub fn registers(&self) -> &Registers {
        &self.reg
    }

    /// When another process holds the write lock, keep retrying for up to `wait` before
    /// giving up with "locked" (default: give up at once).
    pub fn set_wait(&mut self, wait: Duration) {
        self.wait = wait;
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next sequence number.
    pub fn next_seq(&self) -> Seq {
        self.reg.head.map_or(Seq(0), |(s, _, _)| s.next())
    }
}

/// Encodes, hashes and signs an entry into a record ready to store.
/// The vault values an entry erases: an erasure entry's fields, at its recording time.
pub(crate) fn erasures_of(entry: &Entry) -> Vec<(u64, String, i64)> {
    match &entry.body {
        crate::model::Body::Erasure(e) => e
            .fields
            .iter()
            .map(|f| (f.entry.0, f.field.as_str().to_owned(), entry.recorded_at.0))
            .collect(),
        _ => Vec::new(),
    }
}

fn seal(
    entry: &Entry,
    key: &SecretKey,
    vault: Vec<VaultItem>,
) -> Result<(NewRecord, EntryHash), EncodeError> {
    let bytes = codec::encode_entry(entry)?;
    let hash = leaf_hash(&bytes);
    let signature = key.sign_entry(&bytes);
    Ok((
        NewRecord {
            seq: entry.seq.0,
            bytes,
            signature,
            hash,
            vault,
            erase: erasures_of(entry),
        },
        EntryHash(hash),
    ))
}
