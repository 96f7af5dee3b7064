//! Checking a new entry against the registers: whether a key may sign the next entry, and what
//! the ledger records about an earlier entry that a new one refers to (from the registers, or
//! read from the file when the registers were loaded from a snapshot that leaves it out).
//!
//! Nothing here builds or writes an entry; `prepare` and `batch` ask these questions.

use crate::codec;
use crate::keys::SecretKey;
use crate::model::{Body, EntryKind, PartyId, Seq};
use crate::registers::{DisclosureSummary, KeyStatus};
use crate::store::{Access, Store};

use super::{AppendError, Ledger};

/// What an append needs to know about an earlier entry it refers to.
#[derive(Debug, Clone)]
pub(super) struct Fact {
    /// Its kind.
    pub(super) kind: EntryKind,
    /// The party that signed it.
    pub(super) signer: PartyId,
    /// For a disclosure, its summary (acknowledgement and corrections included).
    pub(super) disclosure: Option<DisclosureSummary>,
}

impl Ledger {
    /// The party that holds `key`, checking the key is valid for the next entry.
    pub fn party_of(&self, key: &SecretKey) -> Result<PartyId, AppendError> {
        let id = key.public().key_id;
        let party =
            self.reg
                .party_of_key(id)
                .cloned()
                .ok_or_else(|| AppendError::UnregisteredKey {
                    key_name: key.public().name.clone(),
                    key_id: id,
                })?;
        self.check_key(&party, key)?;
        Ok(party)
    }

    /// Checks that `key` is a key of `party` valid for the next entry.
    pub(super) fn check_key(&self, party: &PartyId, key: &SecretKey) -> Result<(), AppendError> {
        let id = key.public().key_id;
        match self.reg.key_status(party, id, self.next_seq()) {
            KeyStatus::Valid => {
                // The key on record must be this very key, not just one with the same id.
                let on_record = self.reg.public_key(party, id);
                if on_record.is_some_and(|k| k.key != key.public().key) {
                    return Err(AppendError::KeyIdCollision {
                        key_name: key.public().name.clone(),
                        key_id: id,
                        party: party.clone(),
                    });
                }
                Ok(())
            }
            KeyStatus::UnknownParty => Err(self.unknown_party(party)),
            KeyStatus::Ended(at) => Err(AppendError::KeyEnded {
                key_id: id,
                party: party.clone(),
                at,
            }),
            KeyStatus::UnknownKey => Err(AppendError::WrongKey {
                key_name: key.public().name.clone(),
                key_id: id,
                party: party.clone(),
                holder: self.reg.party_of_key(id).cloned(),
            }),
        }
    }

    /// The error for a party the ledger does not know, listing those it does.
    pub(super) fn unknown_party(&self, party: &PartyId) -> AppendError {
        AppendError::UnknownParty {
            party: party.clone(),
            known: self
                .reg
                .parties
                .keys()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// What the ledger records about entry `seq`: from the registers if they hold it, else
    /// read from the file (through the batch's write handle while a batch is open).
    pub(super) fn fact(&self, seq: Seq) -> Result<Option<Fact>, AppendError> {
        if !self.reg.needs_loading(seq) {
            let Some(e) = self.reg.entry(seq) else {
                return Ok(None);
            };
            // INVARIANT: the registers index only parties of the genesis entry; an index
            // outside it means the saved registers are damaged, not that a party is unknown.
            let signer = self.reg.party_at(e.signer).cloned().ok_or_else(|| {
                AppendError::Damaged {
                    seq,
                    reason: format!(
                        "the saved registers name signing party #{} for entry #{seq}, which the \
                         genesis entry does not list",
                        e.signer
                    ),
                }
            })?;
            return Ok(Some(Fact {
                kind: e.kind,
                signer,
                disclosure: self.reg.disclosures.get(seq),
            }));
        }
        match &self.writer {
            Some(store) => read_fact(store, seq, &self.index.pending),
            None => read_fact(&*self.store(Access::ReadOnly)?, seq, &self.index.pending),
        }
    }
}

/// Reads what an append needs to know about entry `seq` from the file: its kind and signer,
/// and for a disclosure, its acknowledgement and corrections (from the references table and
/// `pending`, the references not yet saved).
pub(super) fn read_fact(
    store: &Store,
    seq: Seq,
    pending: &[(u64, u64)],
) -> Result<Option<Fact>, AppendError> {
    let decode = |bytes: &[u8], key: u64| {
        codec::decode_entry(bytes).map_err(|e| AppendError::Damaged {
            seq: Seq(key),
            reason: e.to_string(),
        })
    };
    let Some(r) = store.get(seq.0)? else {
        return Ok(None);
    };
    let entry = decode(&r.bytes, r.key)?;
    let disclosure = match DisclosureSummary::of(&entry) {
        Some(mut summary) => {
            let mut referrers = store.references_to(seq.0)?;
            referrers.extend(pending.iter().filter(|(t, _)| *t == seq.0).map(|(_, b)| *b));
            referrers.sort_unstable();
            referrers.dedup();
            for by in referrers {
                let Some(r) = store.get(by)? else { continue };
                let e = decode(&r.bytes, r.key)?;
                match &e.body {
                    Body::Acknowledgement(a) if a.disclosure == seq => {
                        summary.acknowledged.get_or_insert((e.seq, e.recorded_at));
                    }
                    Body::Correction(c) if c.supersedes == seq => summary.corrected_by.push(e.seq),
                    _ => {}
                }
            }
            Some(summary)
        }
        None => None,
    };
    Ok(Some(Fact {
        kind: entry.body.kind(),
        signer: entry.signer.party,
        disclosure,
    }))
}

/// The error for a reference to entry `seq` that is missing or not what was `wanted`.
pub(super) fn bad_reference(seq: Seq, fact: Option<&Fact>, wanted: &str) -> AppendError {
    let problem = match fact {
        None => "does not exist".to_owned(),
        Some(f) => format!("is an entry of kind {}, not {wanted}", f.kind),
    };
    AppendError::BadReference { seq, problem }
}
