//! What is waiting for a party: disclosures it has still to acknowledge, its own disclosures the
//! recipient has not acknowledged, proposals it has still to confirm (and its own proposals
//! others have still to confirm), and the open policy flags on disclosures it is a party to.
//! `dledger waiting --party P` prints it.

use serde::Serialize;

use crate::ledger::{ReplayError, replay};
use crate::model::{PartyId, Seq, Timestamp};
use crate::policy::Flag;
use crate::store::Store;
use crate::verify::{FlagFilter, VerifyError, VerifyOptions, verify_ledger};

/// A disclosure (or a correction's replacement) not yet acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unacknowledged {
    /// The entry.
    pub seq: Seq,
    /// Sender.
    pub from: PartyId,
    /// Recipient.
    pub to: PartyId,
    /// When it was made.
    pub disclosed_at: Timestamp,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Whole days since it was recorded.
    pub days_waiting: i64,
    /// The disclosure it replaces, for a correction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<Seq>,
}

/// A joint act still to be confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenProposal {
    /// The proposal entry.
    pub seq: Seq,
    /// What it would do.
    pub act: String,
    /// Who proposed it.
    pub by: PartyId,
    /// Who has still to confirm it.
    pub waiting: Vec<PartyId>,
}

/// Everything waiting for one party.
#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    /// The party.
    pub party: PartyId,
    /// Judged as of.
    pub as_of: Timestamp,
    /// Disclosures to the party it has not acknowledged (`dledger ack N`).
    pub to_acknowledge: Vec<Unacknowledged>,
    /// The party's disclosures the recipient has not acknowledged.
    pub awaiting_acknowledgement: Vec<Unacknowledged>,
    /// Proposals the party has still to confirm (`dledger confirm N`).
    pub to_confirm: Vec<OpenProposal>,
    /// The party's proposals others have still to confirm.
    pub awaiting_confirmation: Vec<OpenProposal>,
    /// Open flags (not disposed of) on disclosures the party sent or received, and on policy
    /// documents (`dledger flag dispose`).
    pub open_flags: Vec<Flag>,
}

/// Why the view could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitingError {
    /// The registers could not be rebuilt.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// The ledger could not be verified.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The party named is not a party of the ledger.
    #[error("{party} is not a party of this ledger (its parties are {known})")]
    UnknownParty {
        /// The party named.
        party: PartyId,
        /// The ledger's parties, comma-separated.
        known: String,
    },
}

/// What is waiting for `party` in `store`, as of `as_of`.
pub fn waiting_for(
    store: &Store,
    party: &PartyId,
    as_of: Timestamp,
) -> Result<Waiting, WaitingError> {
    let reg = replay(store)?;
    if !reg.parties.contains_key(party) {
        let known: Vec<&str> = reg.parties.keys().map(|p| p.as_str()).collect();
        return Err(WaitingError::UnknownParty {
            party: party.clone(),
            known: known.join(", "),
        });
    }
    let mut to_acknowledge = Vec::new();
    let mut awaiting_acknowledgement = Vec::new();
    for (seq, d) in reg.disclosures.iter() {
        // The effective record: a corrected disclosure waits for its correction's
        // acknowledgement instead.
        if d.acknowledged.is_some() || !d.corrected_by.is_empty() {
            continue;
        }
        let item = Unacknowledged {
            seq,
            from: d.from.clone(),
            to: d.to.clone(),
            disclosed_at: d.disclosed_at,
            recorded_at: d.recorded_at,
            days_waiting: d.recorded_at.seconds_until(as_of).max(0) / 86_400,
            replaces: d.replaces,
        };
        if &d.to == party {
            to_acknowledge.push(item);
        } else if &d.from == party {
            awaiting_acknowledgement.push(item);
        }
    }
    let mut to_confirm = Vec::new();
    let mut awaiting_confirmation = Vec::new();
    for (seq, p) in &reg.pending {
        let waiting: Vec<PartyId> = p.waiting().cloned().collect();
        if waiting.is_empty() {
            continue;
        }
        let mine = waiting.contains(party);
        let open = OpenProposal {
            seq: *seq,
            act: p.act.describe(),
            by: p.by.clone(),
            waiting,
        };
        if mine {
            to_confirm.push(open);
        } else if &p.by == party {
            awaiting_confirmation.push(open);
        }
    }
    let opts = VerifyOptions {
        as_of,
        ..VerifyOptions::default()
    };
    let report = verify_ledger(store, &opts, &FlagFilter::default())?;
    let open_flags = report
        .policy
        .flags
        .into_iter()
        .filter(|f| match reg.disclosures.get(f.seq) {
            Some(d) => &d.from == party || &d.to == party,
            // A flag on a policy document concerns every party.
            None => true,
        })
        .collect();
    Ok(Waiting {
        party: party.clone(),
        as_of,
        to_acknowledge,
        awaiting_acknowledgement,
        to_confirm,
        awaiting_confirmation,
        open_flags,
    })
}
