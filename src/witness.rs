//! The ledger's checkpoints: making one (signed by a party as log operator), cosigning one (by
//! another party, as witness, after checking it is consistent with what it cosigned before),
//! and checking stored checkpoints against the log. The C2SP formats themselves live in
//! `checkpoint`; the tree arithmetic in `merkle`.

use crate::checkpoint::{Checkpoint, KeyKind, Note, VerifierKey};
use crate::hash::Digest;
use crate::keys::SecretKey;
use crate::merkle::{self, ProofError};
use crate::model::{PartyId, Seq, Timestamp};
use crate::registers::{KeyStatus, Registers};
use crate::store::{Store, StoreAppendError, StoreError};

/// Why a checkpoint could not be made or cosigned. Nothing is stored when this is returned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WitnessError {
    /// The ledger is empty.
    #[error("the ledger has no entries to checkpoint")]
    Empty,
    /// The signing key is not a valid key of any party.
    #[error(
        "key {0} is not a current key of any party of this ledger; sign with a key listed by `dledger list --keys`"
    )]
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
    #[error("the ledger's Merkle hashes are damaged ({0}); run `dledger verify`")]
    Tree(#[from] ProofError),
    /// The note could not be built.
    #[error("cannot build the note: {0}")]
    Note(String),
}

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
}

/// Checks a checkpoint note against the ledger: signed by a party key valid at its size, for
/// this origin, with root `root` (the log's root at that size); cosignatures by other parties.
pub fn check_checkpoint(
    note_bytes: &[u8],
    origin: &str,
    reg: &Registers,
    root_at: impl Fn(u64) -> Option<Digest>,
) -> Result<CheckedCheckpoint, String> {
    let note = Note::parse(note_bytes).map_err(|e| e.to_string())?;
    let cp = Checkpoint::from_note(&note).map_err(|e| e.to_string())?;
    if cp.origin != origin {
        return Err(format!(
            "origin {:?} is not this ledger's ({origin:?})",
            cp.origin
        ));
    }
    let keys = party_keys(reg, Seq(cp.size));
    let all: Vec<VerifierKey> = keys
        .iter()
        .flat_map(|(_, op, co)| [op.clone(), co.clone()])
        .collect();
    let verified = note.verify(&all).map_err(|e| e.to_string())?;
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
        .ok_or("it is not signed by any party's key as log operator")?;
    let cosigners: Vec<(PartyId, u64)> = verified
        .iter()
        .filter(|s| s.key.kind == KeyKind::CosignatureV1)
        .map(|s| (party_of(&s.key), s.timestamp.unwrap_or(0)))
        .filter(|(p, _)| p != &signer)
        .collect();
    match root_at(cp.size) {
        None => Err(format!(
            "it is for tree size {}, but the ledger holds fewer entries",
            cp.size
        )),
        Some(root) if root != cp.root => Err(format!(
            "its root for size {} is {} but the ledger's is {}: the two histories differ (a fork)",
            cp.size,
            hex::encode(cp.root),
            hex::encode(root)
        )),
        Some(_) => Ok(CheckedCheckpoint {
            size: cp.size,
            root: hex::encode(cp.root),
            signer,
            cosigners,
        }),
    }
}

/// Makes, signs and stores a checkpoint of the whole ledger, signed by `key` as log operator.
pub fn make_checkpoint(
    writer: &Store,
    reg: &Registers,
    key: &SecretKey,
) -> Result<Note, WitnessError> {
    let size = writer.len()?;
    if size == 0 {
        return Err(WitnessError::Empty);
    }
    // The signer must hold a key valid for the entry after the last one.
    reg.party_of_key(key.public().key_id)
        .filter(|p| reg.key_status(p, key.public().key_id, Seq(size)) == KeyStatus::Valid)
        .ok_or_else(|| WitnessError::UnknownKey(key.public().name.clone()))?;
    let checkpoint = Checkpoint {
        origin: reg.origin.clone().unwrap_or_default(),
        size,
        root: merkle::tree_hash(size, writer)?,
        extensions: Vec::new(),
    };
    let signer = key
        .note_signer(KeyKind::Ed25519)
        .map_err(|e| WitnessError::Note(e.to_string()))?;
    let note = checkpoint
        .sign(&signer)
        .map_err(|e| WitnessError::Note(e.to_string()))?;
    writer.put_checkpoint(size, note.to_string().as_bytes())?;
    Ok(note)
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
    let origin = reg.origin.clone().unwrap_or_default();
    let size_now = writer.len()?;
    let me = reg
        .party_of_key(key.public().key_id)
        .filter(|p| reg.key_status(p, key.public().key_id, Seq(size_now)) == KeyStatus::Valid)
        .cloned()
        .ok_or_else(|| WitnessError::UnknownKey(key.public().name.clone()))?;
    let root_at = |n: u64| {
        (n <= size_now)
            .then(|| merkle::tree_hash(n, writer).ok())
            .flatten()
    };
    let checked = check_checkpoint(note_bytes, &origin, reg, root_at).map_err(|e| {
        if e.contains("fork") || e.contains("fewer entries") {
            WitnessError::Inconsistent(e)
        } else {
            WitnessError::Rejected(e)
        }
    })?;
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
    let mut last: Option<Checkpoint> = None;
    for (_, bytes) in writer.checkpoints()? {
        let Ok(note) = Note::parse(&bytes) else {
            continue;
        };
        if note
            .verify(std::slice::from_ref(cosigner.verifier()))
            .is_ok()
            && let Ok(cp) = Checkpoint::from_note(&note)
            && last.as_ref().is_none_or(|l| cp.size > l.size)
        {
            last = Some(cp);
        }
    }
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
            let proof = merkle::prove_consistency(old.size, new.size, writer)?;
            merkle::verify_consistency(&proof, old.size, new.size, &old.root, &new.root).map_err(|e| {
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
    writer.put_checkpoint(new.size, note.to_string().as_bytes())?;
    Ok(note)
}
