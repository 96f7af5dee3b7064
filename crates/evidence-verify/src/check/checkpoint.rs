//! Checkpoint checks: the checkpoint note, every entry's inclusion proof to its root, the
//! operator's signature and the other regulator's cosignature.

use ledger_core::checkpoints::party_keys;
use ledger_core::model::{PartyId, Seq, Timestamp};
use tlog::{Checkpoint, KeyKind, Note, TlogProof};

use super::*;

impl<'a> Analysis<'a> {
    /// Parses checkpoint.note.
    pub(super) fn read_checkpoint(&mut self) {
        let cp_note = self.files.get(CHECKPOINT_FILE).map(|b| Note::parse(b));
        match cp_note {
            None => self.checks.fail(
                CheckName::CheckpointSignature,
                format!("{CHECKPOINT_FILE} is missing"),
            ),
            Some(Err(e)) => self.checks.fail(
                CheckName::CheckpointSignature,
                format!("{CHECKPOINT_FILE} is not a signed note: {e}"),
            ),
            Some(Ok(note)) => match Checkpoint::from_note(&note) {
                Err(e) => self.checks.fail(
                    CheckName::CheckpointSignature,
                    format!("{CHECKPOINT_FILE} is not a valid checkpoint: {e}"),
                ),
                Ok(cp) => self.checkpoint = Some((cp, note)),
            },
        }
        if let Some((cp, _)) = &self.checkpoint {
            self.report.tree_size = Some(cp.size);
            if cp.origin != self.manifest.origin || cp.size != self.manifest.tree_size {
                self.checks.fail(
                    CheckName::CheckpointSignature,
                    format!(
                        "the checkpoint is for {:?} at size {}, but the manifest says {:?} at size \
                         {}",
                        cp.origin, cp.size, self.manifest.origin, self.manifest.tree_size
                    ),
                );
            }
        }
    }

    /// Every entry's inclusion proof against the checkpoint.
    pub(super) fn check_inclusion_proofs(&mut self) {
        for item in &self.items {
            let seq = item.seq;
            let path = entry_path(Seq(seq), "tlog-proof");
            let Some(bytes) = self.files.get(&path) else {
                self.checks.fail(
                    CheckName::InclusionProof,
                    format!("#{seq}: {path} is missing"),
                );
                continue;
            };
            let proof = match TlogProof::parse(bytes) {
                Ok(p) => p,
                Err(e) => {
                    self.checks.fail(
                        CheckName::InclusionProof,
                        format!("#{seq}: {path} is not a valid c2sp.org/tlog-proof@v1: {e}"),
                    );
                    continue;
                }
            };
            if seq == self.manifest.target {
                self.report.proof_hashes = Some(proof.proof.len());
            }
            let Some((cp, note)) = &self.checkpoint else {
                self.checks.fail(
                    CheckName::InclusionProof,
                    format!("#{seq}: no valid checkpoint to check the proof against"),
                );
                continue;
            };
            if proof.index != seq {
                self.checks.fail(
                    CheckName::InclusionProof,
                    format!(
                        "#{seq}: {path} is a proof for entry #{}, not #{seq}",
                        proof.index
                    ),
                );
                continue;
            }
            if &proof.checkpoint != note {
                self.checks.fail(
                    CheckName::InclusionProof,
                    format!("#{seq}: the checkpoint inside {path} differs from {CHECKPOINT_FILE}"),
                );
                continue;
            }
            match tlog::verify_inclusion(&proof.proof, seq, cp.size, &item.leaf, &cp.root) {
            Ok(()) => self.checks.pass(
                CheckName::InclusionProof,
                format!(
                    "#{seq}: {} hashes lead from the entry's leaf hash to the checkpoint's root \
                     (entry #{seq} of {})",
                    proof.proof.len(),
                    cp.size
                ),
            ),
            Err(e) => self.checks.fail(
                CheckName::InclusionProof,
                format!("#{seq}: {path} does not prove inclusion: {e}"),
            ),
        }
        }
    }

    /// The checkpoint's signature and cosignatures, under the keys valid at its size.
    pub(super) fn check_checkpoint_signatures(&mut self) -> Option<CheckpointFacts> {
        let mut cp_facts: Option<CheckpointFacts> = None;
        if let Some((cp, note)) = &self.checkpoint
            && self.has_genesis
        {
            let keys = party_keys(&self.reg, Seq(cp.size));
            let mut operator: Option<(PartyId, String)> = None;
            let mut cosigs: Vec<Cosigner> = Vec::new();
            let mut any_bad = false;
            for sig in note.signatures() {
                let found = keys.iter().find_map(|(p, op, co)| {
                    if op.name == sig.name() && op.key_id == sig.key_id() {
                        Some((p, op))
                    } else if co.name == sig.name() && co.key_id == sig.key_id() {
                        Some((p, co))
                    } else {
                        None
                    }
                });
                let Some((party, key)) = found else {
                    continue;
                };
                let what = match key.kind {
                    KeyKind::Ed25519 => CheckName::CheckpointSignature,
                    KeyKind::CosignatureV1 => CheckName::Cosignature,
                };
                match note.verify(std::slice::from_ref(key)) {
                    Err(e) => {
                        any_bad = true;
                        self.checks.fail(
                            what,
                            format!("the signature line of {} ({party}): {e}", key.name),
                        );
                    }
                    Ok(v) => match key.kind {
                        KeyKind::Ed25519 => {
                            if operator.is_none() {
                                operator = Some((party.clone(), key.name.clone()));
                            }
                        }
                        KeyKind::CosignatureV1 => {
                            let at = v
                                .first()
                                .and_then(|s| s.timestamp)
                                .and_then(|t| i64::try_from(t).ok())
                                .unwrap_or(0);
                            cosigs.push(Cosigner {
                                party: party.clone(),
                                key: key.name.clone(),
                                at: Timestamp(at),
                            });
                        }
                    },
                }
            }
            match &operator {
            None if !any_bad => self.checks.fail(
                CheckName::CheckpointSignature,
                format!(
                    "{CHECKPOINT_FILE} carries no signature by a key any party held at tree size \
                     {} (signers: {}); either the checkpoint is not this ledger's or a key-history \
                     entry that introduced the signer's key is missing from the bundle",
                    cp.size,
                    note.signatures()
                        .iter()
                        .map(|s| format!("{}+{}", s.name(), hex::encode(s.key_id())))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            None => {}
            Some((party, key)) if !self.trusted_parties.contains(party) => self.checks.fail(
                CheckName::CheckpointSignature,
                format!(
                    "signed by {party} (key {key}), whose trust root is not among the trusted keys"
                ),
            ),
            Some((party, key)) if !any_bad => {
                self.checks.pass(
                    CheckName::CheckpointSignature,
                    format!(
                        "the checkpoint of {} entries (root {}) is signed by {party} with key \
                         {key}, valid for {party} at that size",
                        cp.size,
                        hex::encode(cp.root)
                    ),
                );
                self.report.checkpoint_signer = Some(party.clone());
            }
            Some(_) => {}
        }
            let independent: Vec<Cosigner> = cosigs
                .iter()
                .filter(|c| operator.as_ref().is_some_and(|(p, _)| p != &c.party))
                .filter(|c| self.trusted_parties.contains(&c.party))
                .cloned()
                .collect();
            if let Some((op, _)) = &operator {
                if independent.is_empty() && !any_bad {
                    self.checks.fail(
                        CheckName::Cosignature,
                        format!(
                            "the checkpoint carries no valid cosignature by a trusted party other \
                             than its signer {op}; a checkpoint only one regulator signed does not \
                             show the other agreed to the ledger's history"
                        ),
                    );
                }
                for c in &independent {
                    self.checks.pass(
                        CheckName::Cosignature,
                        format!(
                            "cosigned by {} with key {} at {}: the other regulator confirmed this \
                             tree head",
                            c.party, c.key, c.at
                        ),
                    );
                }
            }
            self.report.cosigners = independent.clone();
            if let Some((party, key)) = operator {
                let cosigners = cosigs.into_iter().filter(|c| c.party != party).collect();
                cp_facts = Some(CheckpointFacts {
                    size: cp.size,
                    root: cp.root,
                    signer: party,
                    signer_key: key,
                    cosigners,
                });
            }
        }
        cp_facts
    }
}
