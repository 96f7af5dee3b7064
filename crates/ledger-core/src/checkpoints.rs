//! Checking a checkpoint note against the ledger's registers: signed by a key the registers
//! say was valid for a party at the checkpoint's size, for this ledger's origin, with the log's
//! root at that size; cosignatures by the other parties. Shared by `verify`, `cosign` and the
//! offline evidence verifier. The C2SP formats themselves live in [`tlog`] ([`tlog::Checkpoint`], [`tlog::Note`]).

use tlog::{Checkpoint, KeyKind, Note, VerifierKey};

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
