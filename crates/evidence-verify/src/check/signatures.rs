//! Signature checks: the genesis entry's trust roots against the trusted keys, the key history
//! replayed from the bundle's key entries, and every entry's signature by a key its party held
//! at that point.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use ledger_core::hash::leaf_hash;
use ledger_core::keys::{
    PublicKey, SIGNATURE_BATCH, SignatureCheck, verify_entry_signature, verify_entry_signatures,
};
use ledger_core::model::{Body, Entry, PartyId, Seq};
use ledger_core::registers::{KeyStatus, Registers};
use ledger_core::rules;

use super::*;

/// Reads `entries/<seq>.sig` defensively.
pub(crate) fn signature_of(files: &Files, seq: u64) -> Result<[u8; 64], String> {
    let path = entry_path(Seq(seq), "sig");
    let bytes = files.get(&path).ok_or(format!("{path} is missing"))?;
    let text = std::str::from_utf8(bytes).map_err(|_| format!("{path} is not text"))?;
    let text = text.strip_suffix('\n').unwrap_or(text);
    BASE64
        .decode(text)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .ok_or(format!(
            "{path} is not a base64 Ed25519 signature (64 bytes)"
        ))
}

/// `name (keyid)` for a party's key, or just the id if the key is unknown.
pub(crate) fn key_label(reg: &Registers, party: &PartyId, id: ledger_core::model::KeyId) -> String {
    reg.public_key(party, id)
        .map(|k| format!("{} ({id})", k.name))
        .unwrap_or_else(|| format!("{id}"))
}

/// Verifies one entry's signature under the key its party holds at its position (the genesis
/// entry: its signer's trust root), and that the party is trusted.
pub(crate) fn check_signature(
    checks: &mut Checks,
    reg: &Registers,
    trusted_parties: &BTreeSet<PartyId>,
    files: &Files,
    item: &Item,
    e: &Entry,
    checked: Option<bool>,
) -> bool {
    let seq = item.seq;
    let party = &e.signer.party;
    let id = e.signer.key_id;
    let sig = match signature_of(files, seq) {
        Ok(s) => s,
        Err(why) => {
            checks.fail(CheckName::EntrySignature, format!("#{seq}: {why}"));
            return false;
        }
    };
    let key = if seq == 0 {
        match &e.body {
            Body::Genesis(g) => g
                .parties
                .iter()
                .find(|p| &p.id == party && p.trust_root.key_id == id)
                .and_then(|p| PublicKey::from_record(&p.trust_root).ok()),
            _ => None,
        }
    } else {
        match reg.key_status(party, id, Seq(seq)) {
            KeyStatus::Valid => reg.public_key(party, id).cloned(),
            KeyStatus::Ended(at) => {
                checks.fail(
                    CheckName::EntrySignature,
                    format!(
                        "#{seq}: signed with {party}'s key {id}, which was rotated or revoked at \
                             {at}, before this entry"
                    ),
                );
                return false;
            }
            KeyStatus::UnknownParty | KeyStatus::UnknownKey => None,
        }
    };
    let Some(key) = key else {
        checks.fail(
            CheckName::EntrySignature,
            format!(
                "#{seq}: signed with key {id}, which is not a key {party} held at this point \
                     according to the genesis entry and key history in the bundle"
            ),
        );
        return false;
    };
    if !trusted_parties.contains(party) {
        checks.fail(
            CheckName::EntrySignature,
            format!("#{seq}: signed by {party}, whose trust root is not among the trusted keys"),
        );
        return false;
    }
    // `checked`: verified already (in parallel, with this same key and signature).
    if checked.unwrap_or_else(|| verify_entry_signature(&key.key, item.bytes, &sig)) {
        checks.pass(
            CheckName::EntrySignature,
            format!(
                "#{seq}: signed by {party} with key {} ({id}), which {party} held at this point",
                key.name
            ),
        );
        true
    } else {
        checks.fail(
            CheckName::EntrySignature,
            format!(
                "#{seq}: the signature in {} does not verify under {party}'s key {} ({id}): the \
                     entry or its signature was changed",
                entry_path(Seq(seq), "sig"),
                key.name
            ),
        );
        false
    }
}

impl<'a> Analysis<'a> {
    /// The genesis entry: trust roots, origin, rules.
    pub(super) fn check_genesis(&mut self) {
        let genesis = self.entry_of(0).cloned();
        let genesis = genesis.as_ref().and_then(|e| match &e.body {
            Body::Genesis(g) => Some((e, g)),
            _ => None,
        });
        match genesis {
            None => self.checks.fail(
                CheckName::TrustRoots,
                "the bundle has no readable genesis entry (entries/0.bin), which names the \
             regulators and their trust roots"
                    .into(),
            ),
            Some((e, g)) => {
                self.has_genesis = true;
                let mut described = Vec::new();
                for p in &g.parties {
                    self.party_names.insert(p.id.clone(), p.name.clone());
                    let t = is_trusted(&p.trust_root, self.trusted);
                    if t {
                        self.trusted_parties.insert(p.id.clone());
                    }
                    described.push(format!(
                        "{} ({} {}: {})",
                        p.id,
                        p.trust_root.name,
                        p.trust_root.key_id,
                        if t {
                            "trusted"
                        } else {
                            "not in the trust directory"
                        }
                    ));
                }
                if g.origin != self.manifest.origin {
                    self.checks.fail(
                        CheckName::TrustRoots,
                        format!(
                            "the genesis entry is for ledger {:?} but the manifest says {:?}",
                            g.origin, self.manifest.origin
                        ),
                    );
                }
                if self.trusted_parties.contains(&e.signer.party) {
                    self.checks.pass(
                        CheckName::TrustRoots,
                        format!(
                            "genesis of {} names trust roots {}",
                            g.origin,
                            described.join(", ")
                        ),
                    );
                } else {
                    self.checks.fail(
                        CheckName::TrustRoots,
                        format!(
                            "untrusted genesis: it is signed by {} and names trust roots {}, but \
                             {}'s trust root is not among the trusted keys. Either the bundle is \
                             not from the ledger you trust, or --trust points at the wrong keys \
                             (use the regulators' published *.vkey files)",
                            e.signer.party,
                            described.join(", "),
                            e.signer.party
                        ),
                    );
                }
                let breaches = rules::check_entry(&self.reg, e);
                for b in &breaches {
                    let (kind, text) = (b.kind(), b.message());
                    self.checks.fail(
                        CheckName::KeyHistory,
                        format!(
                            "#0 (genesis) breaks a ledger rule ({}): {text}",
                            kind.code()
                        ),
                    );
                }
                if e.prev != ledger_core::model::EntryHash::ZERO {
                    self.checks.fail(
                        CheckName::EntryDecode,
                        "#0: the genesis entry's previous hash is not all zeros".into(),
                    );
                }
                self.reg.apply(e, leaf_hash(&[]));
            }
        }
    }

    /// Replays the key changes in order: each is applied only if valid and validly signed.
    pub(super) fn replay_key_history(&mut self) {
        if let Some(item) = self.items.iter().find(|i| i.seq == 0)
            && let Some(e) = &item.entry
        {
            check_signature(
                &mut self.checks,
                &self.reg,
                &self.trusted_parties,
                self.files,
                item,
                e,
                None,
            );
        }
        if self.has_genesis {
            for item in &self.items {
                let Some(e) = &item.entry else { continue };
                if !is_key_history(e.body.kind()) {
                    continue;
                }
                let breaches = rules::check_entry(&self.reg, e);
                let signed = check_signature(
                    &mut self.checks,
                    &self.reg,
                    &self.trusted_parties,
                    self.files,
                    item,
                    e,
                    None,
                );
                if breaches.is_empty() && signed {
                    self.checks.pass(
                        CheckName::KeyHistory,
                        format!(
                            "#{}: {}",
                            item.seq,
                            ledger_core::describe::one_line(e)
                                .split_whitespace()
                                .skip(4)
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                    );
                    self.reg.apply(e, item.leaf);
                } else {
                    for b in breaches {
                        let (kind, text) = (b.kind(), b.message());
                        self.checks.fail(
                            CheckName::KeyHistory,
                            format!(
                                "#{}: breaks a ledger rule ({}): {text}",
                                item.seq,
                                kind.code()
                            ),
                        );
                    }
                    if !signed {
                        self.checks.fail(
                            CheckName::KeyHistory,
                            format!(
                                "#{}: not applied, because its signature did not verify",
                                item.seq
                            ),
                        );
                    }
                }
            }
        }
    }

    /// The signatures of the entries that are neither genesis nor key changes.
    pub(super) fn check_other_signatures(&mut self) {
        let checked = self.verify_in_parallel();
        for (item, ok) in self.items.iter().zip(checked) {
            let Some(e) = &item.entry else { continue };
            if item.seq == 0 || is_key_history(e.body.kind()) || !self.has_genesis {
                continue;
            }
            check_signature(
                &mut self.checks,
                &self.reg,
                &self.trusted_parties,
                self.files,
                item,
                e,
                ok,
            );
        }
    }

    /// Each item's signature verified under the key its party held at that point, in Ed25519
    /// batches on every core (a dossier holds thousands; the same batches as `verify`):
    /// `None` where there is no such key or no signature (`check_signature` says why).
    fn verify_in_parallel(&self) -> Vec<Option<bool>> {
        let wanted: Vec<Option<_>> = self
            .items
            .iter()
            .map(|item| {
                let e = item.entry.as_ref()?;
                if item.seq == 0 {
                    return None;
                }
                let id = e.signer.key_id;
                (self.reg.key_status(&e.signer.party, id, Seq(item.seq)) == KeyStatus::Valid)
                    .then_some(())?;
                let key = self.reg.public_key(&e.signer.party, id)?;
                let sig = signature_of(self.files, item.seq).ok()?;
                Some((&key.key, sig))
            })
            .collect();
        let checks: Vec<(usize, SignatureCheck<'_>)> = wanted
            .iter()
            .zip(&self.items)
            .enumerate()
            .filter_map(|(i, (w, item))| {
                let (key, signature) = w.as_ref()?;
                Some((
                    i,
                    SignatureCheck {
                        key,
                        entry_bytes: item.bytes,
                        signature,
                    },
                ))
            })
            .collect();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = checks.len().div_ceil(threads).max(SIGNATURE_BATCH);
        let answers: Vec<bool> = std::thread::scope(|s| {
            let parts: Vec<_> = checks
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        let part: Vec<SignatureCheck<'_>> = part.iter().map(|(_, c)| *c).collect();
                        verify_entry_signatures(&part)
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|h| h.join().expect("a verifying thread does not panic"))
                .collect()
        });
        let mut out = vec![None; self.items.len()];
        for ((i, _), ok) in checks.iter().zip(answers) {
            out[*i] = Some(ok);
        }
        out
    }
}
