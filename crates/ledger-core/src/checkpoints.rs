//! Checking a checkpoint note against the ledger's registers: signed by a key the registers
//! say was valid for a party at the checkpoint's size, for this ledger's origin, with the log's
//! root at that size; cosignatures by the other parties. Shared by `verify`, `cosign` and the
//! offline evidence verifier. The C2SP formats themselves live in [`tlog`] ([`tlog::Checkpoint`], [`tlog::Note`]).

use tlog::{Checkpoint, CheckpointError, KeyKind, Note, NoteError, VerifierKey, VerifyError};

use crate::hash::Digest;
use crate::model::{PartyId, Seq};
use crate::registers::{KeyStatus, Registers};

/// A party key as a C2SP verifier key of the given kind.
fn verifier(
    reg: &Registers,
    party: &PartyId,
    key_id: crate::model::KeyId,
    kind: KeyKind,
) -> Option<VerifierKey> {
    let public = reg.public_key(party, key_id)?;
    VerifierKey::new(&public.name, kind, public.key).ok()
}

/// Every key of every party valid at position `at`, as (party, Ed25519 verifier, cosigner
/// verifier).
pub fn party_keys(reg: &Registers, at: Seq) -> Vec<(PartyId, VerifierKey, VerifierKey)> {
    let mut out = Vec::new();
    for (party, state) in &reg.parties {
        for id in state.keys.keys() {
            if reg.key_status(party, *id, at) != KeyStatus::Valid {
                continue;
            }
            if let (Some(op), Some(co)) = (
                verifier(reg, party, *id, KeyKind::Ed25519),
                verifier(reg, party, *id, KeyKind::CosignatureV1),
            ) {
                out.push((party.clone(), op, co));
            }
        }
    }
    out
}

/// What a checked checkpoint established.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckedCheckpoint {
    /// Tree size.
    pub size: u64,
    /// Root hash, hex.
    pub root: String,
    /// The party that signed it as log operator.
    pub signer: PartyId,
    /// Parties that cosigned it, with their timestamps.
    pub cosigners: Vec<(PartyId, u64)>,
    /// The root of the entry index it carries (docs/FORMAT.md §7.6), hex; `None` for a
    /// checkpoint made before the index existed, which proves no completeness.
    pub index_root: Option<String>,
}

/// Why a checkpoint note does not hold for this ledger. The messages are the ones `verify`,
/// `cosign` and the evidence builder show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointRejected {
    /// The bytes are not a signed note.
    #[error("{0}")]
    Note(#[from] NoteError),
    /// The note's text is not a C2SP checkpoint.
    #[error("{0}")]
    Checkpoint(#[from] CheckpointError),
    /// The signatures do not verify with any party key valid at the checkpoint's size.
    #[error("{0}")]
    Signature(#[from] VerifyError),
    /// The checkpoint is for another log.
    #[error("origin {found:?} is not this ledger's ({expected:?})")]
    WrongOrigin {
        /// The origin line of the checkpoint.
        found: String,
        /// This ledger's origin.
        expected: String,
    },
    /// No party signed it as log operator (only cosignatures, or none).
    #[error("it is not signed by any party's key as log operator")]
    NoOperatorSignature,
    /// Its index line cannot be read.
    #[error("{0}")]
    IndexLine(#[from] crate::index::IndexLineError),
    /// The index root it signs differs from the one the entries give: the operator left an
    /// entry out of the index (or put one in that is not there).
    #[error(
        "its index root for size {size} is {} but the entries give {}: the index it signs does not list the entries as they are",
        hex::encode(checkpoint_root),
        hex::encode(entries_root)
    )]
    IndexMismatch {
        /// The tree size.
        size: u64,
        /// The index root the checkpoint signs.
        checkpoint_root: Digest,
        /// The index root recomputed from the entries.
        entries_root: Digest,
    },
    /// It is for a tree larger than the ledger.
    #[error("it is for tree size {size}, but the ledger holds fewer entries")]
    BeyondLedger {
        /// The checkpoint's tree size.
        size: u64,
    },
    /// Its root differs from the ledger's root at its size: the two histories differ.
    #[error(
        "its root for size {size} is {} but the ledger's is {}: the two histories differ (a fork)",
        hex::encode(checkpoint_root),
        hex::encode(ledger_root)
    )]
    Fork {
        /// The tree size.
        size: u64,
        /// The root the checkpoint signs.
        checkpoint_root: Digest,
        /// The ledger's root at that size.
        ledger_root: Digest,
    },
}

impl CheckpointRejected {
    /// Whether the checkpoint is well signed but contradicts the ledger (a fork, or a tree the
    /// ledger does not reach): the histories differ, rather than the note being unusable.
    pub fn is_inconsistency(&self) -> bool {
        matches!(
            self,
            CheckpointRejected::Fork { .. }
                | CheckpointRejected::BeyondLedger { .. }
                | CheckpointRejected::IndexMismatch { .. }
        )
    }
}

/// Checks a checkpoint note against the ledger: signed by a party key valid at its size, for
/// this origin, with root `root` (the log's root at that size); cosignatures by other parties.
pub fn check_checkpoint(
    note_bytes: &[u8],
    origin: &str,
    reg: &Registers,
    root_at: impl Fn(u64) -> Option<Digest>,
) -> Result<CheckedCheckpoint, CheckpointRejected> {
    let note = Note::parse(note_bytes)?;
    let cp = Checkpoint::from_note(&note)?;
    let index_root = crate::index::index_root(&cp.extensions)?;
    if cp.origin != origin {
        return Err(CheckpointRejected::WrongOrigin {
            found: cp.origin,
            expected: origin.to_owned(),
        });
    }
    let keys = party_keys(reg, Seq(cp.size));
    let all: Vec<VerifierKey> = keys
        .iter()
        .flat_map(|(_, op, co)| [op.clone(), co.clone()])
        .collect();
    let verified = note.verify(&all)?;
    let party_of = |k: &VerifierKey| {
        keys.iter()
            .find(|(_, op, co)| op == k || co == k)
            .map(|(p, _, _)| p.clone())
            .expect("verified keys come from the list")
    };
    let signer = verified
        .iter()
        .find(|s| s.key.kind == KeyKind::Ed25519)
        .map(|s| party_of(&s.key))
        .ok_or(CheckpointRejected::NoOperatorSignature)?;
    let cosigners: Vec<(PartyId, u64)> = verified
        .iter()
        .filter(|s| s.key.kind == KeyKind::CosignatureV1)
        .map(|s| (party_of(&s.key), s.timestamp.unwrap_or(0)))
        .filter(|(p, _)| p != &signer)
        .collect();
    match root_at(cp.size) {
        None => Err(CheckpointRejected::BeyondLedger { size: cp.size }),
        Some(root) if root != cp.root => Err(CheckpointRejected::Fork {
            size: cp.size,
            checkpoint_root: cp.root,
            ledger_root: root,
        }),
        Some(_) => Ok(CheckedCheckpoint {
            size: cp.size,
            root: hex::encode(cp.root),
            signer,
            cosigners,
            index_root: index_root.map(hex::encode),
        }),
    }
}

/// Checks the index root a checked checkpoint carries against `entries_root`, the root
/// recomputed from the log's first `checked.size` entries. A checkpoint without an index line
/// passes (it proves no completeness, and says so wherever completeness is claimed).
pub fn check_index_root(
    checked: &CheckedCheckpoint,
    entries_root: &Digest,
) -> Result<(), CheckpointRejected> {
    match &checked.index_root {
        Some(signed) if *signed != hex::encode(entries_root) => {
            let mut checkpoint_root = [0u8; 32];
            hex::decode_to_slice(signed, &mut checkpoint_root)
                .expect("written by check_checkpoint");
            Err(CheckpointRejected::IndexMismatch {
                size: checked.size,
                checkpoint_root,
                entries_root: *entries_root,
            })
        }
        _ => Ok(()),
    }
}
