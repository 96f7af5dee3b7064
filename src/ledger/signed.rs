//! Entries signed elsewhere. A node judges an entry another party signed on its own machine and
//! submitted ([`Batch::push_submitted`]) with the same checks as an entry signed here — the
//! structural rules and the registers, plus the signature it came with — and a replica stores
//! the entries of the log it mirrors as they are ([`Batch::push_replicated`]); `verify` then
//! judges them as it judges any ledger.

use crate::codec;
use crate::hash::leaf_hash;
use crate::keys::verify_entry_signature;
use crate::model::{Entry, EntryHash, Timestamp};
use crate::policy::Flag;
use crate::registers::KeyStatus;
use crate::store::VaultItem;

use super::{AppendError, Batch, FUTURE_TOLERANCE_SECS, Ledger, Pending, Receipt};

/// How long before the node's clock a submitted entry's recorded time may be (seconds): long
/// enough for a party to sign and send it, short enough that "recorded at" stays the moment
/// the log took it. An older one is refused with advice to sign it again.
pub const SUBMISSION_WINDOW_SECS: i64 = 300;

/// An entry's bytes and its signature, as a party signed it.
pub type SignedEntry = (Vec<u8>, [u8; 64]);

/// Where a submitted entry went, and the policy flags it raises.
pub type Recorded = (Receipt, Vec<Flag>);

impl Ledger {
    /// Checks that the key `entry` names is valid for it and that `signature` over `bytes`
    /// verifies under it, strictly.
    fn check_signature(
        &self,
        entry: &Entry,
        bytes: &[u8],
        signature: &[u8; 64],
    ) -> Result<(), AppendError> {
        let party = &entry.signer.party;
        let key_id = entry.signer.key_id;
        match self.reg.key_status(party, key_id, entry.seq) {
            KeyStatus::Valid => {}
            KeyStatus::UnknownParty => return Err(self.unknown_party(party)),
            KeyStatus::Ended(at) => {
                return Err(AppendError::KeyEnded {
                    key_id,
                    party: party.clone(),
                    at,
                });
            }
            KeyStatus::UnknownKey => {
                return Err(AppendError::WrongKey {
                    key_name: key_id.to_string(),
                    key_id,
                    party: party.clone(),
                    holder: self.reg.party_of_key(key_id).cloned(),
                });
            }
        }
        let verifies = self
            .reg
            .public_key(party, key_id)
            .is_some_and(|k| verify_entry_signature(&k.key, bytes, signature));
        if verifies {
            Ok(())
        } else {
            Err(AppendError::BadSignature {
                seq: entry.seq,
                party: party.clone(),
                key_id,
            })
        }
    }
}

impl Batch<'_> {
    /// [`Batch::push_signed`], also returning the policy flags the entry raises, judged
    /// against the ledger as it stands with the entries staged before it.
    pub fn push_submitted(
        &mut self,
        bytes: Vec<u8>,
        signature: [u8; 64],
        now: Timestamp,
    ) -> Result<Recorded, AppendError> {
        let entry = decode_submitted(&bytes)?;
        let flags = self.ledger().flags_for_at(
            &Pending::from(entry.body.clone()),
            entry.recorded_at,
            entry.seq,
        );
        Ok((self.push_signed(bytes, signature, now)?, flags))
    }

    /// Checks and stages one entry signed elsewhere (submitted to a node) at `now`, through the
    /// checks an entry signed here goes through (judged without field values, which stay with
    /// the party).
    ///
    /// Refused, with nothing staged: bytes that do not decode or are not in canonical form; an
    /// entry not signed as the next one ([`AppendError::Stale`]: sign it again against the new
    /// head); a recorded time more than [`SUBMISSION_WINDOW_SECS`] behind or
    /// [`FUTURE_TOLERANCE_SECS`] ahead of `now`; a signer key that is not valid there or a
    /// signature that does not verify under it; anything the structural rules refuse.
    pub fn push_signed(
        &mut self,
        bytes: Vec<u8>,
        signature: [u8; 64],
        now: Timestamp,
    ) -> Result<Receipt, AppendError> {
        let entry = decode_submitted(&bytes)?;
        check_chain(self.ledger, &entry)?;
        let at = entry.recorded_at;
        if at.0 > now.0.saturating_add(FUTURE_TOLERANCE_SECS) {
            return Err(AppendError::Submission {
                reason: format!(
                    "is recorded at {at}, ahead of the node's clock ({now}); check the clock of \
                     the machine that signed it"
                ),
            });
        }
        if at.0 < now.0.saturating_sub(SUBMISSION_WINDOW_SECS) {
            return Err(AppendError::Submission {
                reason: format!(
                    "is recorded at {at}, more than {SUBMISSION_WINDOW_SECS} seconds before the \
                     node's clock ({now}); sign it again with the time it is sent"
                ),
            });
        }
        self.ledger.check_signature(&entry, &bytes, &signature)?;
        let before = self.ledger.reg.head;
        self.load_references(&entry)?;
        let (_, hash) = match self.ledger.check_and_apply(&entry) {
            Ok(done) => done,
            Err(e) => return Err(self.undo(Vec::new(), before, e)),
        };
        Ok(self.stage_record(&entry, bytes, hash, signature, Vec::new()))
    }

    /// Stages one entry of a log this ledger mirrors, as it is: it must decode and chain onto
    /// the head, and is applied to the registers without being judged (the mirror runs
    /// `verify` over what it stored, so a log that breaks a rule is reported, not hidden).
    /// `vault` holds the field values the mirroring party keeps for its own entries.
    pub fn push_replicated(
        &mut self,
        bytes: Vec<u8>,
        signature: [u8; 64],
        vault: Vec<VaultItem>,
    ) -> Result<Receipt, AppendError> {
        let next = self.ledger.next_seq();
        let entry = codec::decode_entry(&bytes).map_err(|e| AppendError::Damaged {
            seq: next,
            reason: format!("the log's entry {next} cannot be decoded: {e}"),
        })?;
        if entry.seq != next || entry.prev.0 != head_hash(self.ledger) {
            return Err(AppendError::Damaged {
                seq: next,
                reason: format!(
                    "the log's entry {next} does not chain onto entry #{} (it names {})",
                    next.0.wrapping_sub(1),
                    entry.seq
                ),
            });
        }
        let hash = leaf_hash(&bytes);
        self.load_references(&entry)?;
        self.ledger.apply_checked(&entry, hash);
        Ok(self.stage_record(&entry, bytes, hash, signature, vault))
    }
}

/// Decodes a submitted entry, refusing bytes that are not its canonical encoding (two byte
/// strings for one entry would give two leaf hashes for it).
fn decode_submitted(bytes: &[u8]) -> Result<Entry, AppendError> {
    let entry = codec::decode_entry(bytes).map_err(|e| AppendError::Submission {
        reason: format!("cannot be decoded: {e}"),
    })?;
    if codec::encode_entry(&entry).ok().as_deref() != Some(bytes) {
        return Err(AppendError::Submission {
            reason: "is not in the canonical encoding of docs/FORMAT.md".into(),
        });
    }
    Ok(entry)
}

/// The entry hash of the ledger's head (zeros before the genesis entry).
fn head_hash(ledger: &Ledger) -> [u8; 32] {
    ledger.reg.head.map_or([0; 32], |(_, h, _)| h)
}

/// Refuses an entry not signed as the ledger's next one.
fn check_chain(ledger: &Ledger, entry: &Entry) -> Result<(), AppendError> {
    let next = ledger.next_seq();
    if entry.seq == next && entry.prev.0 == head_hash(ledger) {
        return Ok(());
    }
    Err(AppendError::Stale {
        signed: entry.seq,
        next,
        head: EntryHash(head_hash(ledger)),
    })
}
