//! The ledger's checkpoints: making one (signed by a party as log operator), cosigning one (by
//! another party, as witness, after checking it is consistent with what it cosigned before),
//! and checking stored checkpoints against the log. The C2SP formats and the tree arithmetic
//! themselves live in the `tlog` crate.

use tlog::{Checkpoint, KeyKind, Note, ProofError};

use crate::keys::SecretKey;
use crate::model::{Seq, Timestamp};
use crate::registers::{KeyStatus, Registers};
use crate::store::{Store, StoreAppendError, StoreError};
pub use ledger_core::checkpoints::{CheckedCheckpoint, check_checkpoint, party_keys};

/// Why a checkpoint could not be made or cosigned. Nothing is stored when this is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessError {
    /// The ledger is empty.
    #[error("the ledger has no entries to checkpoint")]
    Empty,
    /// The signing key is not a valid key of any party.
    #[error("key {0} is not a current key of any party of this ledger")]
    UnknownKey(String),
    /// The note is not a checkpoint of this ledger signed by a party.
    #[error("the checkpoint cannot be cosigned: {0}")]
    Rejected(String),
    /// The checkpoint disagrees with the ledger or with what was cosigned before.
    #[error(
        "refusing to cosign: {0}. The ledger's history may have been rewritten; compare both \
         regulators' copies before going further"
    )]
    Inconsistent(String),
    /// The ledger could not be opened for writing (e.g. locked).
    #[error(transparent)]
    Open(#[from] crate::store::OpenError),
    /// The ledger does not replay cleanly.
    #[error("{0}")]
    Damaged(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing failed.
    #[error(transparent)]
    Append(#[from] StoreAppendError),
    /// Tree arithmetic failed (missing hashes: the ledger is damaged).
    #[error("the ledger's Merkle hashes are damaged ({0})")]
    Tree(#[from] ProofError),
    /// The index could not be rebuilt from the entries.
    #[error("cannot rebuild the entry index: {0}")]
    Index(#[from] crate::entry_index::IndexBuildError),
    /// The note could not be built.
    #[error("cannot build the note: {0}")]
    Note(String),
}

/// Makes, signs and stores a checkpoint of the whole ledger, signed by `key` as log operator.
pub fn make_checkpoint(
    writer: &Store,
    reg: &Registers,
    key: &SecretKey,
) -> Result<Note, WitnessError> {
    let (size, note) = checkpoint_note(writer, reg, key)?;
    writer.put_checkpoint(size, note.to_string().as_bytes())?;
    Ok(note)
}

/// The checkpoint of the whole ledger in `store` that [`make_checkpoint`] would store, and its
/// size, after every check it makes; nothing is stored, so `store` may be read-only.
pub fn checkpoint_note(
    store: &Store,
    reg: &Registers,
    key: &SecretKey,
) -> Result<(u64, Note), WitnessError> {
    let writer = store;
    let size = writer.len()?;
    if size == 0 {
        return Err(WitnessError::Empty);
    }
    // The signer must hold a key valid for the entry after the last one.
    reg.party_of_key(key.public().key_id)
        .filter(|p| reg.key_status(p, key.public().key_id, Seq(size)) == KeyStatus::Valid)
        .ok_or_else(|| WitnessError::UnknownKey(key.public().name.clone()))?;
    let index_root = crate::entry_index::index_root_at(writer, size)?;
    let checkpoint = Checkpoint {
        origin: reg.origin.clone().unwrap_or_default(),
        size,
        root: tlog::tree_hash(size, writer)?,
        extensions: vec![ledger_core::index::index_line(&index_root)],
    };
    let signer = key
        .note_signer(KeyKind::Ed25519)
        .map_err(|e| WitnessError::Note(e.to_string()))?;
    let note = checkpoint
        .sign(&signer)
        .map_err(|e| WitnessError::Note(e.to_string()))?;
    Ok((size, note))
}

/// Cosigns a checkpoint note as witness with `key`, after checking that it is this ledger's,
/// signed by another party, matches the log, and is consistent with the last checkpoint this
/// key cosigned. Stores and returns the cosigned note.
pub fn cosign(
    writer: &Store,
    reg: &Registers,
    note_bytes: &[u8],
    key: &SecretKey,
    now: Timestamp,
) -> Result<Note, WitnessError> {
    let (size, note) = cosigned_note(writer, reg, note_bytes, key, now)?;
    writer.put_checkpoint(size, note.to_string().as_bytes())?;
    Ok(note)
}

/// The cosigned note that [`cosign`] would store, and its size, after every check it makes;
/// nothing is stored, so `store` may be read-only.
pub fn cosigned_note(
    store: &Store,
    reg: &Registers,
    note_bytes: &[u8],
    key: &SecretKey,
    now: Timestamp,
) -> Result<(u64, Note), WitnessError> {
    let writer = store;
    let origin = reg.origin.clone().unwrap_or_default();
    let size_now = writer.len()?;
    let me = reg
        .party_of_key(key.public().key_id)
        .filter(|p| reg.key_status(p, key.public().key_id, Seq(size_now)) == KeyStatus::Valid)
        .cloned()
        .ok_or_else(|| WitnessError::UnknownKey(key.public().name.clone()))?;
    let checked = check_against_log(writer, reg, &origin, size_now, note_bytes)?;
    // The index root it signs must be the one the entries give: an operator who leaves an
    // entry out of the index is caught before the other regulator signs.
    // A checkpoint without the index line would make the cosignature state nothing about
    // completeness: refused, so every checkpoint cosigned from now on backs it.
    if checked.index_root.is_none() {
        return Err(WitnessError::Rejected(
            "it carries no entry index root (a `dledger-index/v1` line), so cosigning it would \
             not back any completeness claim; ask the other regulator to make it again with a \
             current dledger"
                .to_owned(),
        ));
    }
    let entries_root = crate::entry_index::index_root_at(writer, checked.size)?;
    ledger_core::checkpoints::check_index_root(&checked, &entries_root)
        .map_err(|e| WitnessError::Inconsistent(e.to_string()))?;
    if checked.signer == me {
        return Err(WitnessError::Rejected(format!(
            "it is signed by your own party ({me}); the other regulator signs checkpoints and you cosign them"
        )));
    }
    // Consistency with the last checkpoint this party cosigned: a consistency proof from the
    // ledger, checked against the root that was cosigned then.
    let mine = KeyKind::CosignatureV1;
    let cosigner = key
        .note_signer(mine)
        .map_err(|e| WitnessError::Note(e.to_string()))?;
    let last = last_cosigned(writer, cosigner.verifier())?;
    let new = Checkpoint::from_note(
        &Note::parse(note_bytes).map_err(|e| WitnessError::Note(e.to_string()))?,
    )
    .map_err(|e| WitnessError::Note(e.to_string()))?;
    if let Some(old) = last {
        if old.size > new.size {
            return Err(WitnessError::Inconsistent(format!(
                "you already cosigned a larger checkpoint (size {}) than this one (size {})",
                old.size, new.size
            )));
        }
        if old.size > 0 {
            let proof = tlog::prove_consistency(old.size, new.size, writer)?;
            tlog::verify_consistency(&proof, old.size, new.size, &old.root, &new.root).map_err(|e| {
                WitnessError::Inconsistent(format!(
                    "it is not consistent with the checkpoint of size {} you cosigned before ({e})",
                    old.size
                ))
            })?;
        }
    }
    let mut note = Note::parse(note_bytes).map_err(|e| WitnessError::Note(e.to_string()))?;
    let ts = u64::try_from(now.0).unwrap_or(0);
    note.cosign(&cosigner, ts)
        .map_err(|e| WitnessError::Note(e.to_string()))?;
    Ok((new.size, note))
}

/// Checks a checkpoint note made elsewhere (the log's, fetched by a mirror) against this copy of
/// the log, as `verify` checks stored ones — this ledger's origin, signed by a party key valid
/// at its size, the root and entry-index root the stored entries give — and stores it. The
/// signatures of a note already stored for the same checkpoint are kept beside the new ones
/// (a witness's own cosignature is its state, and must not be lost when the log's note, which
/// may not carry it yet, is fetched).
///
/// With `check_index` false the entry-index root is not rebuilt here: a mirror leaves it to the
/// `verify` run that follows, which rebuilds the index root of every stored checkpoint (and
/// reports one that differs as an integrity failure), so the index is built once, not twice.
pub fn accept_checkpoint(
    writer: &Store,
    reg: &Registers,
    note_bytes: &[u8],
    check_index: bool,
) -> Result<CheckedCheckpoint, WitnessError> {
    let origin = reg.origin.clone().unwrap_or_default();
    let checked = check_against_log(writer, reg, &origin, writer.len()?, note_bytes)?;
    if check_index && checked.index_root.is_some() {
        let entries_root = crate::entry_index::index_root_at(writer, checked.size)?;
        ledger_core::checkpoints::check_index_root(&checked, &entries_root)
            .map_err(|e| WitnessError::Inconsistent(e.to_string()))?;
    }
    let note = Note::parse(note_bytes).map_err(|e| WitnessError::Note(e.to_string()))?;
    let stored = writer
        .checkpoints()?
        .into_iter()
        .find(|(n, _)| *n == checked.size)
        .and_then(|(_, bytes)| Note::parse(&bytes).ok());
    let merged = match stored {
        Some(old) if old.text() == note.text() => merge_signatures(&old, &note)?,
        _ => note,
    };
    writer.put_checkpoint(checked.size, merged.to_string().as_bytes())?;
    Ok(checked)
}

/// The note `a` with every signature of `b` (same text) that it lacks.
pub fn merge_signatures(a: &Note, b: &Note) -> Result<Note, WitnessError> {
    let mut text = a.to_string();
    for sig in b.signatures() {
        if !a.signatures().iter().any(|s| s == sig) {
            text.push_str(&sig.to_line());
        }
    }
    Note::parse(text.as_bytes()).map_err(|e| WitnessError::Note(e.to_string()))
}

/// The largest checkpoint stored in `store` that `cosigner` (a witness's cosignature key) has
/// cosigned: the witness's state, shared by `cosign` and a node's `add-checkpoint`.
pub fn last_cosigned(
    store: &Store,
    cosigner: &tlog::VerifierKey,
) -> Result<Option<Checkpoint>, WitnessError> {
    let mut last: Option<Checkpoint> = None;
    for (_, bytes) in store.checkpoints()? {
        let Ok(note) = Note::parse(&bytes) else {
            continue;
        };
        if note.verify(std::slice::from_ref(cosigner)).is_ok()
            && let Ok(cp) = Checkpoint::from_note(&note)
            && last.as_ref().is_none_or(|l| cp.size > l.size)
        {
            last = Some(cp);
        }
    }
    Ok(last)
}

/// [`check_checkpoint`] against the first `len` entries of `writer`: a disagreement with the log
/// is [`WitnessError::Inconsistent`], anything else wrong with the note
/// [`WitnessError::Rejected`].
fn check_against_log(
    writer: &Store,
    reg: &Registers,
    origin: &str,
    len: u64,
    note_bytes: &[u8],
) -> Result<CheckedCheckpoint, WitnessError> {
    let root_at = |n: u64| {
        (n <= len)
            .then(|| tlog::tree_hash(n, writer).ok())
            .flatten()
    };
    check_checkpoint(note_bytes, origin, reg, root_at).map_err(|e| {
        if e.is_inconsistency() {
            WitnessError::Inconsistent(e.to_string())
        } else {
            WitnessError::Rejected(e.to_string())
        }
    })
}
