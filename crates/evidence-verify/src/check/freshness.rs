//! Freshness: a bundle (or dossier) proves completeness up to its own checkpoint. A checker who
//! obtained a newer cosigned checkpoint independently learns whether the bundle's checkpoint is
//! a prefix of it (an RFC 6962 consistency proof, from `dledger prove consistency OLD NEW
//! --json`), and so whether the bundle is current, stale (completeness only up to its older
//! size: later entries may hold an acknowledgement or correction it does not show), or from a
//! forked history.

use ledger_core::checkpoints::party_keys;
use ledger_core::codec;
use ledger_core::model::{Body, Seq};
use serde::Deserialize;
use tlog::{Checkpoint, KeyKind, Note};

use super::*;

/// A newer checkpoint the checker obtained, with the consistency proof from the bundle's size
/// to it (the JSON `dledger prove consistency OLD NEW --json` prints).
pub struct NewerCheckpoint<'a> {
    /// The newer checkpoint note, with its cosignatures.
    pub note: &'a [u8],
    /// The consistency proof file, if the newer checkpoint is larger.
    pub consistency: Option<&'a [u8]>,
}

#[derive(Deserialize)]
struct ConsistencyFile {
    old_size: u64,
    new_size: u64,
    proof: Vec<String>,
}

/// Checks the bundle's checkpoint against `newer`: a passing check only if the bundle is at the
/// newer checkpoint itself.
pub fn check_freshness(files: &Files, trusted: &[PublicKey], newer: &NewerCheckpoint) -> Check {
    let (ok, detail) = match freshness(files, trusted, newer) {
        Ok(detail) => (true, detail),
        Err(detail) => (false, detail),
    };
    Check {
        name: CheckName::Freshness,
        ok,
        detail,
    }
}

fn freshness(
    files: &Files,
    trusted: &[PublicKey],
    newer: &NewerCheckpoint,
) -> Result<String, String> {
    let old = files
        .get(CHECKPOINT_FILE)
        .and_then(|b| Note::parse(b).ok())
        .and_then(|n| Checkpoint::from_note(&n).ok())
        .ok_or("the bundle's own checkpoint cannot be read")?;
    let note = Note::parse(newer.note)
        .map_err(|e| format!("the newer checkpoint is not a signed note: {e}"))?;
    let new = Checkpoint::from_note(&note)
        .map_err(|e| format!("the newer checkpoint is not a checkpoint: {e}"))?;
    if new.origin != old.origin {
        return Err(format!(
            "the newer checkpoint is for {:?}, not this ledger ({:?})",
            new.origin, old.origin
        ));
    }
    // Its signatures: by keys the bundle's key history gives the parties at its size, or by
    // the trusted keys; an operator signature and a cosignature by another party.
    let mut reg = Registers::default();
    let mut entries: Vec<ledger_core::model::Entry> = files
        .iter()
        .filter(|(p, _)| p.starts_with(ENTRIES_DIR) && p.ends_with(".bin"))
        .filter_map(|(_, b)| codec::decode_entry(b).ok())
        .filter(|e| matches!(e.body, Body::Genesis(_)) || is_key_history(e.body.kind()))
        .collect();
    entries.sort_by_key(|e| e.seq);
    for e in &entries {
        reg.apply(e, [0; 32]);
    }
    let keys = party_keys(&reg, Seq(new.size));
    let mut verifiers: Vec<tlog::VerifierKey> = keys
        .iter()
        .flat_map(|(_, op, co)| [op.clone(), co.clone()])
        .collect();
    for k in trusted {
        for kind in [KeyKind::Ed25519, KeyKind::CosignatureV1] {
            if let Ok(v) = tlog::VerifierKey::new(&k.name, kind, k.key) {
                verifiers.push(v);
            }
        }
    }
    let verified = note
        .verify(&verifiers)
        .map_err(|e| format!("the newer checkpoint's signatures do not verify: {e}"))?;
    let party_of = |v: &tlog::VerifierKey| -> String {
        keys.iter()
            .find(|(_, op, co)| op == v || co == v)
            .map_or_else(|| v.name.clone(), |(p, _, _)| p.to_string())
    };
    let signer = verified
        .iter()
        .find(|s| s.key.kind == KeyKind::Ed25519)
        .map(|s| party_of(&s.key))
        .ok_or("the newer checkpoint is not signed by a party as log operator")?;
    let cosigners: Vec<String> = verified
        .iter()
        .filter(|s| s.key.kind == KeyKind::CosignatureV1)
        .map(|s| party_of(&s.key))
        .filter(|p| *p != signer)
        .collect();
    if cosigners.is_empty() {
        return Err(format!(
            "the newer checkpoint (size {}) is signed by {signer} but cosigned by no other party, \
             so it is one regulator's word only",
            new.size
        ));
    }
    let signed = format!(
        "signed by {signer} and cosigned by {}",
        cosigners.join(", ")
    );
    if new.size < old.size {
        return Err(format!(
            "the checkpoint given (size {}) is older than the bundle's (size {})",
            new.size, old.size
        ));
    }
    if new.size == old.size {
        return if new.root == old.root {
            Ok(format!(
                "fresh: the bundle is at the newest checkpoint given (size {}, {signed}); \
                 completeness holds up to it",
                new.size
            ))
        } else {
            Err(format!(
                "FORK: the checkpoint given ({signed}) has size {} like the bundle's but another \
                 root — two different histories were signed",
                new.size
            ))
        };
    }
    let proof = newer.consistency.ok_or_else(|| {
        format!(
            "the checkpoint given is newer (size {}) than the bundle's (size {}); supply the \
             consistency proof between them (`dledger prove consistency {} {} --json`) to learn \
             whether the bundle's history is a prefix of it",
            new.size, old.size, old.size, new.size
        )
    })?;
    let proof: ConsistencyFile = serde_json::from_slice(proof)
        .map_err(|e| format!("the consistency proof cannot be read ({e})"))?;
    if proof.old_size != old.size || proof.new_size != new.size {
        return Err(format!(
            "the consistency proof is from size {} to {}, not from the bundle's {} to the \
             checkpoint's {}",
            proof.old_size, proof.new_size, old.size, new.size
        ));
    }
    let hashes: Vec<Digest> = proof
        .proof
        .iter()
        .map(|h| {
            let mut d = [0u8; 32];
            hex::decode_to_slice(h, &mut d).map(|()| d)
        })
        .collect::<Result<_, _>>()
        .map_err(|e| format!("a hash of the consistency proof is not hex ({e})"))?;
    tlog::verify_consistency(&hashes, old.size, new.size, &old.root, &new.root).map_err(|e| {
        format!(
            "FORK: the bundle's checkpoint (size {}) is not a prefix of the one given (size {}, \
             {signed}): {e}",
            old.size, new.size
        )
    })?;
    Err(format!(
        "stale: the bundle's history is a prefix of the newer checkpoint (size {}, {signed}), so \
         nothing it shows has changed; but it proves completeness only up to entry {} — the {} \
         entries recorded since may hold an acknowledgement, correction or key change it does not \
         show. Ask for a bundle at the newer checkpoint",
        new.size,
        old.size,
        new.size - old.size
    ))
}
