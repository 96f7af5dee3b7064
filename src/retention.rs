//! Retention: which disclosures' field values the policy says the vault should no longer keep.
//!
//! A schema 2 policy may give a category `retain_values_days`: the vault keeps a disclosure's
//! field values for that many days after the disclosure, judged by the policy in force on the
//! disclosure date. `dledger vault erase --by-policy` erases what [`due_for_erasure`] returns;
//! the entries, commitments and signatures stay, so the ledger still verifies.

use crate::codec::decode_entry;
use crate::ledger::{ReplayError, replay};
use crate::model::{CategoryKind, Seq, Timestamp};
use crate::policy::PolicyEngine;
use crate::store::{Store, StoreError};

/// A disclosure whose retention period has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The disclosure (or correction carrying a replacement disclosure).
    pub seq: Seq,
    /// Its category.
    pub category: CategoryKind,
    /// When it was made.
    pub disclosed_at: Timestamp,
    /// The days its values were to be kept.
    pub retain_days: u32,
    /// The label of the policy document (as adopted in the ledger) that set them.
    pub policy: String,
}

/// Why the disclosures due for erasure could not be found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RetentionError {
    /// The registers could not be rebuilt.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// The file could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An entry does not decode: the ledger is damaged.
    #[error("entry #{seq} cannot be decoded ({reason}); nothing was erased. Run `dledger verify`")]
    Damaged {
        /// The entry.
        seq: u64,
        /// Why.
        reason: String,
    },
}

/// An entry read back, or why the ledger is damaged.
fn decoded(r: &crate::store::StoredRecord) -> Result<crate::model::Entry, RetentionError> {
    decode_entry(&r.bytes).map_err(|e| RetentionError::Damaged {
        seq: r.key,
        reason: e.to_string(),
    })
}

/// Every disclosure of `store` whose values the policy in force on its disclosure date says to
/// keep for fewer days than have passed by `now`, in sequence order.
pub fn due_for_erasure(store: &Store, now: Timestamp) -> Result<Vec<Due>, RetentionError> {
    let reg = replay(store)?;
    let mut engine = PolicyEngine::new();
    let mut due = Vec::new();
    store.scan(0, None, |r| {
        let entry = decoded(&r)?;
        let Some(d) = entry.body.disclosure() else {
            return Ok(());
        };
        let Some((doc, policy)) = engine.policy_in_force(&reg, d.disclosed_at) else {
            return Ok(());
        };
        let kind = d.category.kind();
        if let Some(days) = policy.category(kind).retain_values_days {
            let ends = d.disclosed_at.plus_seconds(i64::from(days) * 86_400);
            if ends < now {
                due.push(Due {
                    seq: Seq(r.key),
                    category: kind,
                    disclosed_at: d.disclosed_at,
                    retain_days: days,
                    policy: doc.label.clone(),
                });
            }
        }
        Ok::<_, RetentionError>(())
    })?;
    Ok(due)
}

/// What `dledger vault erase` will record and remove: the erasure entry's body (every field
/// value still in the vault of the disclosures chosen that `party` is a party to) and how many
/// disclosures that is.
#[derive(Debug, Clone)]
pub struct ErasurePlan {
    /// The erasure entry to append (its fields, retention rule and reason).
    pub erasure: crate::model::Erasure,
    /// The disclosures whose values go.
    pub disclosures: Vec<Seq>,
    /// Disclosures chosen that `party` is not a party to (another pair's), left alone.
    pub not_ours: Vec<Seq>,
}

/// The plan for erasing, as `party`, the values of the disclosures `chosen` (with the retention
/// rule that chose them, in plain words).
pub fn plan_erasure(
    store: &Store,
    party: &crate::model::PartyId,
    chosen: &[Seq],
    retention_rule: String,
) -> Result<ErasurePlan, RetentionError> {
    use crate::model::{ErasedField, FieldName};
    let mut fields = Vec::new();
    let mut disclosures = Vec::new();
    let mut not_ours = Vec::new();
    for seq in chosen {
        let Some(r) = store.get(seq.0)? else { continue };
        let entry = decoded(&r)?;
        let Some(d) = entry.body.disclosure() else {
            continue;
        };
        // A format 1 correction's replacement is erased by the party that recorded it (the
        // rule `erasure-parts`); any other disclosure by either of its parties.
        let ours = if matches!(entry.body, crate::model::Body::Correction(_)) && entry.version < 2 {
            &entry.signer.party == party
        } else {
            &d.from == party || &d.to == party
        };
        if !ours {
            not_ours.push(*seq);
            continue;
        }
        let held: Vec<FieldName> = store
            .vault_items(seq.0)?
            .into_iter()
            .filter_map(|(name, _)| FieldName::new(name).ok())
            .collect();
        if held.is_empty() {
            continue;
        }
        disclosures.push(*seq);
        fields.extend(
            held.into_iter()
                .map(|field| ErasedField { entry: *seq, field }),
        );
    }
    Ok(ErasurePlan {
        erasure: crate::model::Erasure {
            fields,
            retention_rule,
            reason: "the retention period of the values ended".to_owned(),
        },
        disclosures,
        not_ours,
    })
}

/// The disclosures (and corrections' replacement disclosures) made before `cutoff`.
pub fn made_before(store: &Store, cutoff: Timestamp) -> Result<Vec<Seq>, RetentionError> {
    let mut seqs = Vec::new();
    store.scan(0, None, |r| {
        let entry = decoded(&r)?;
        if entry
            .body
            .disclosure()
            .is_some_and(|d| d.disclosed_at < cutoff)
        {
            seqs.push(Seq(r.key));
        }
        Ok::<_, RetentionError>(())
    })?;
    Ok(seqs)
}
