//! The errors of the ledger's operations, one enum per operation: creating a ledger
//! ([`InitError`]), opening one ([`OpenError`]), appending to one ([`AppendError`]), replaying
//! its log ([`ReplayError`]) and rebuilding its index ([`ReindexError`]).
//!
//! Messages say what is wrong in the ledger's own terms. They name no command-line flag or
//! command: what to type about an error is the business of whatever shell shows it (for
//! `dledger`, `src/cli/advice.rs`, which matches on these variants).

use crate::codec::{DecodeError, EncodeError};
use crate::input::InputError;
use crate::integrity::IntegrityKind;
use crate::model::{CompanyId, KeyId, PartyId, Seq, ThemeId, Timestamp};
use crate::store::{OpenError as StoreOpenError, StoreAppendError, StoreError};

/// Why a ledger could not be created ([`Ledger::create`](super::Ledger::create)). When this is
/// returned, no file is left behind.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// The file could not be created (it exists already, say).
    #[error(transparent)]
    Open(#[from] StoreOpenError),
    /// The signing key is not the trust root of any of the parties named.
    #[error(
        "key {key_name} ({key_id}) is not the trust-root key of any party named for the new \
         ledger, so it cannot sign the genesis entry"
    )]
    SignerNotAParty {
        /// Key name.
        key_name: String,
        /// Key id.
        key_id: KeyId,
    },
    /// The genesis entry would break a structural rule.
    #[error("refusing to record an entry that would fail verification ({kind}): {message}")]
    Rule {
        /// The rule.
        kind: IntegrityKind,
        /// Details.
        message: String,
    },
    /// The genesis entry cannot be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// Writing the genesis entry failed.
    #[error(transparent)]
    Store(#[from] StoreAppendError),
}

/// Why a ledger could not be opened for appending ([`Ledger::open`](super::Ledger::open)).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The file could not be opened: missing, not a ledger, locked by a writer, ...
    #[error(transparent)]
    Store(#[from] StoreOpenError),
    /// The entries since the saved snapshot do not replay cleanly; appending would hide the
    /// damage.
    #[error("the ledger is damaged at {seq} ({reason}); nothing was written")]
    Damaged {
        /// First damaged entry.
        seq: Seq,
        /// What is wrong.
        reason: String,
    },
    /// Reading the file failed.
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl OpenError {
    /// Whether another process holds the write lock (worth retrying later).
    pub fn is_locked(&self) -> bool {
        matches!(self, OpenError::Store(StoreOpenError::Locked { .. }))
    }
}

impl From<ReplayError> for OpenError {
    fn from(e: ReplayError) -> Self {
        match e.damage() {
            Ok((seq, reason)) => OpenError::Damaged { seq, reason },
            Err(e) => OpenError::Storage(e),
        }
    }
}

/// Why an entry was not prepared or appended (`prepare_*`, [`Ledger::append`](super::Ledger::append),
/// [`Batch`](super::Batch)). When this is returned, nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    /// The ledger could not be opened for writing (it is locked by another writer, say).
    #[error(transparent)]
    Open(#[from] StoreOpenError),
    /// The input is malformed.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A party that the ledger does not know.
    #[error(
        "{party} is not a party to this ledger (parties: {known}); check the spelling, e.g. ICO or OFCOM"
    )]
    UnknownParty {
        /// The party given.
        party: PartyId,
        /// The parties known.
        known: String,
    },
    /// From and to are the same party.
    #[error("a disclosure goes from one party to another, but both are {0}")]
    SameParty(PartyId),
    /// A company never recorded in the ledger, named without a name to introduce it.
    #[error("company {company} is not in the ledger")]
    UnknownCompany {
        /// Company given.
        company: CompanyId,
    },
    /// A company introduced under an id already recorded with another name.
    #[error("company {company} is already recorded as {registered:?}, not {given:?}")]
    CompanyNameMismatch {
        /// The id.
        company: CompanyId,
        /// Name on record.
        registered: String,
        /// Name given.
        given: String,
    },
    /// A date after now.
    #[error(
        "{field} is {value}, which is in the future (now is {now}); a disclosure can only be \
         recorded once it has happened. Check the date and time zone"
    )]
    FutureDate {
        /// Which date.
        field: &'static str,
        /// Its value.
        value: Timestamp,
        /// The time now.
        now: Timestamp,
    },
    /// The signing key is not a key of the party the entry is for.
    #[error(
        "key {key_name} ({key_id}) is not a key of {party}{}; sign with one of {party}'s own keys",
        belongs_to(.holder.as_ref())
    )]
    WrongKey {
        /// Key name.
        key_name: String,
        /// Key id.
        key_id: KeyId,
        /// The party the entry is for.
        party: PartyId,
        /// The party the key does belong to, if any.
        holder: Option<PartyId>,
    },
    /// The signing key has the id of a key registered for the party, but is not that key.
    #[error(
        "key {key_name} ({key_id}) is not a key of {party} (its id collides with a registered \
         key); sign with one of {party}'s own keys"
    )]
    KeyIdCollision {
        /// Key name.
        key_name: String,
        /// Key id.
        key_id: KeyId,
        /// The party whose registered key has that id.
        party: PartyId,
    },
    /// The signing key is not registered for any party.
    #[error("key {key_name} ({key_id}) is not registered for any party of this ledger")]
    UnregisteredKey {
        /// Key name.
        key_name: String,
        /// Key id.
        key_id: KeyId,
    },
    /// The signing key is known but not valid now.
    #[error("key {key_id} of {party} was rotated or revoked at {at}; sign with a current key")]
    KeyEnded {
        /// Key id.
        key_id: KeyId,
        /// Party.
        party: PartyId,
        /// Entry that ended it.
        at: Seq,
    },
    /// A referenced entry is missing or of the wrong kind.
    #[error("{seq} {problem}")]
    BadReference {
        /// The entry referred to.
        seq: Seq,
        /// What is wrong with it.
        problem: String,
    },
    /// An acknowledgement signed by a party other than the disclosure's recipient.
    #[error(
        "{seq} was disclosed to {recipient}, so only {recipient} can acknowledge it; sign with \
         {recipient}'s key"
    )]
    NotRecipient {
        /// The disclosure.
        seq: Seq,
        /// Its recipient.
        recipient: PartyId,
    },
    /// The disclosure is acknowledged already.
    #[error("{seq} was already acknowledged by {by}; nothing to do")]
    AlreadyAcknowledged {
        /// The disclosure.
        seq: Seq,
        /// The acknowledgement on record.
        by: Seq,
    },
    /// An acknowledgement received before the disclosure was made.
    #[error(
        "received_at {received_at} is before {seq} was disclosed ({disclosed_at}); check the date"
    )]
    ReceivedBeforeDisclosure {
        /// The disclosure.
        seq: Seq,
        /// When it was received, as given.
        received_at: Timestamp,
        /// When it was disclosed.
        disclosed_at: Timestamp,
    },
    /// `key revoke NAME`: the signing party has no key of that name.
    #[error(
        "{party} has no key named {name:?}; give its name (e.g. ico-2025) or its 8-hex-digit id, \
         as `dledger list --keys` shows them"
    )]
    UnknownKeyName {
        /// The signing party.
        party: PartyId,
        /// The name given.
        name: String,
    },
    /// A theme declared while it is in force.
    #[error("theme {0} is already in force; nothing to do")]
    ThemeInForce(ThemeId),
    /// A theme retired while it is not in force.
    #[error("theme {0} is not in force, so it cannot be retired")]
    ThemeNotInForce(ThemeId),
    /// A designation proposed for a company already of mutual interest.
    #[error("company {0} is already of mutual interest; nothing to propose")]
    AlreadyMutual(CompanyId),
    /// A designation proposed for a company that has an open proposal.
    #[error("company {0} already has an open proposal")]
    ProposalOpen(CompanyId),
    /// A confirmation for a company with no open proposal.
    #[error("company {0} has no open designation proposal to confirm")]
    NoOpenProposal(CompanyId),
    /// The end of a designation that is neither in force nor proposed.
    #[error("company {0} is neither of mutual interest nor proposed; nothing to end")]
    NothingToEnd(CompanyId),
    /// A designation needs the other party of its pair named.
    #[error(
        "a designation is between two regulators: name the other party with --with (one of {others})"
    )]
    PairNeeded {
        /// The parties that could be named.
        others: String,
    },
    /// A confirmation by a party the proposal does not bind, or by its proposer.
    #[error("{party} cannot confirm {seq} ({act}): only {bound} can")]
    NotBoundByProposal {
        /// The proposal.
        seq: Seq,
        /// What it proposes.
        act: String,
        /// The party that tried.
        party: PartyId,
        /// The parties still to confirm.
        bound: String,
    },
    /// A confirmation of something that is not an open proposal.
    #[error(
        "{seq} is not an open proposal; `dledger list --kind designation-proposed` (or \
         theme-declared, theme-retired, policy-adopted) lists proposals, and `dledger show N` \
         says whether one is still waiting"
    )]
    NotAProposal {
        /// The entry named.
        seq: Seq,
    },
    /// The relevance given is not the discloser's limb as the policy states it.
    #[error(
        "relevance {given:?} is not {party}'s limb of §5 in the policy in force on that date; \
         give --relevance limb (or the limb's words: {limb:?}), or record the disclosure as \
         case-by-case if it is outside the limb"
    )]
    NotTheLimb {
        /// The discloser.
        party: PartyId,
        /// What was given.
        given: String,
        /// The limb's words.
        limb: String,
    },
    /// Relevance given where the policy states no limb for the discloser.
    #[error(
        "the policy in force on that date states no limb of §5 for {0}, so there is no relevance \
         to record; leave --relevance out"
    )]
    NoLimb(PartyId),
    /// A replacement disclosure that changes who disclosed or to whom.
    #[error(
        "a correction keeps the parties of the disclosure it replaces ({old_from}→{old_to}, not \
         {new_from}→{new_to}); if it was recorded with the wrong parties, correct it without a \
         replacement (\"recorded in error\") and record the disclosure that happened"
    )]
    CorrectionChangesParties {
        /// The original discloser.
        old_from: PartyId,
        /// The original recipient.
        old_to: PartyId,
        /// The replacement's discloser.
        new_from: PartyId,
        /// The replacement's recipient.
        new_to: PartyId,
    },
    /// The entry breaks a structural rule.
    #[error("refusing to record an entry that would fail verification ({kind}): {message}")]
    Rule {
        /// The rule.
        kind: IntegrityKind,
        /// Details.
        message: String,
    },
    /// The existing ledger does not replay cleanly; appending to it would hide the damage.
    #[error("the ledger is damaged at {seq} ({reason}); nothing was written")]
    Damaged {
        /// First damaged entry.
        seq: Seq,
        /// What is wrong.
        reason: String,
    },
    /// The entry cannot be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreAppendError),
    /// A signed entry submitted for a head that has moved on: another entry was recorded first.
    #[error(
        "the entry was signed as {signed} but the ledger's next entry is {next} (another entry \
         was recorded first); sign it again against the new head"
    )]
    Stale {
        /// The sequence number the entry was signed with.
        signed: Seq,
        /// The ledger's next sequence number.
        next: Seq,
        /// The entry hash of the ledger's head, to sign against.
        head: crate::model::EntryHash,
    },
    /// A signed entry submitted from outside that is not well formed.
    #[error("the submitted entry {reason}")]
    Submission {
        /// What is wrong with it.
        reason: String,
    },
    /// A signed entry whose signature does not verify under the key it names.
    #[error(
        "the signature of entry {seq} does not verify under key {key_id} of {party}; it was \
         not made by that key over these bytes"
    )]
    BadSignature {
        /// The entry.
        seq: Seq,
        /// The party it names.
        party: PartyId,
        /// The key it names.
        key_id: KeyId,
    },
    /// The node the entry was submitted to refused it or could not be reached.
    #[error("{0}")]
    Remote(String),
}

impl AppendError {
    /// Whether another process holds the write lock (worth retrying later).
    pub fn is_locked(&self) -> bool {
        matches!(self, AppendError::Open(StoreOpenError::Locked { .. }))
    }
}

impl From<StoreError> for AppendError {
    fn from(e: StoreError) -> Self {
        AppendError::Store(StoreAppendError::Storage(e))
    }
}

/// An append starts by opening the ledger: its failures are the append's.
impl From<OpenError> for AppendError {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Store(e) => AppendError::Open(e),
            OpenError::Damaged { seq, reason } => AppendError::Damaged { seq, reason },
            OpenError::Storage(e) => AppendError::from(e),
        }
    }
}

impl From<ReplayError> for AppendError {
    fn from(e: ReplayError) -> Self {
        OpenError::from(e).into()
    }
}

/// ", it belongs to X" for [`AppendError::WrongKey`], or nothing.
fn belongs_to(holder: Option<&PartyId>) -> String {
    holder.map_or_else(String::new, |p| format!(", it belongs to {p}"))
}

/// Why a ledger did not replay cleanly ([`replay`](super::replay),
/// [`open_registers`](super::open_registers), [`referring_entries`](super::referring_entries)).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// An entry cannot be decoded.
    #[error("entry {seq} cannot be decoded: {source}")]
    Decode {
        /// Where the entry is stored.
        seq: Seq,
        /// Why.
        source: DecodeError,
    },
    /// Entries are not contiguous or not chained.
    #[error("entry {seq} {problem}")]
    Chain {
        /// Where the entry is stored.
        seq: Seq,
        /// What is wrong.
        problem: &'static str,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ReplayError {
    /// The first damaged entry and what is wrong with it, or the storage failure.
    fn damage(self) -> Result<(Seq, String), StoreError> {
        match self {
            ReplayError::Decode { seq, source } => Ok((seq, source.to_string())),
            ReplayError::Chain { seq, problem } => Ok((seq, problem.to_owned())),
            ReplayError::Store(e) => Err(e),
        }
    }
}

/// Why the register snapshot and references index could not be rebuilt
/// ([`rebuild_index`](super::rebuild_index), [`reindex`](super::reindex)). When this is
/// returned, nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReindexError {
    /// The ledger could not be opened for writing (it is locked by another writer, say).
    #[error(transparent)]
    Open(#[from] StoreOpenError),
    /// The entries do not replay cleanly, so no index can be built from them.
    #[error("the ledger is damaged at {seq} ({reason}); nothing was written")]
    Damaged {
        /// First damaged entry.
        seq: Seq,
        /// What is wrong.
        reason: String,
    },
    /// The register snapshot cannot be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// Reading or writing the file failed.
    #[error(transparent)]
    Store(#[from] StoreAppendError),
    /// The saved entry index could not be rebuilt.
    #[error(transparent)]
    EntryIndex(#[from] crate::entry_index::IndexBuildError),
}

impl ReindexError {
    /// Whether another process holds the write lock (worth retrying later).
    pub fn is_locked(&self) -> bool {
        matches!(self, ReindexError::Open(StoreOpenError::Locked { .. }))
    }
}

impl From<StoreError> for ReindexError {
    fn from(e: StoreError) -> Self {
        ReindexError::Store(StoreAppendError::Storage(e))
    }
}

impl From<ReplayError> for ReindexError {
    fn from(e: ReplayError) -> Self {
        match e.damage() {
            Ok((seq, reason)) => ReindexError::Damaged { seq, reason },
            Err(e) => ReindexError::from(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text that would tell a reader what to type: a command, a flag, or code-quoted advice.
    fn names_the_command_line(message: &str) -> bool {
        message.contains("dledger") || message.contains("--") || message.contains('`')
    }

    #[test]
    fn messages_name_no_command_or_flag() {
        let party = || PartyId::new("ICO").unwrap();
        let theme = || ThemeId::new("age-assurance").unwrap();
        let company = || CompanyId::new("brightloop").unwrap();
        let key_id = KeyId([0x1a, 0x2b, 0x3c, 0x4d]);
        let at = Timestamp::parse("2025-06-03").unwrap();
        let decode = || DecodeError::TooShort { len: 1 };
        let messages = [
            InitError::SignerNotAParty {
                key_name: "k".into(),
                key_id,
            }
            .to_string(),
            InitError::Rule {
                kind: IntegrityKind::BrokenChain,
                message: "m".into(),
            }
            .to_string(),
            OpenError::Damaged {
                seq: Seq(3),
                reason: "r".into(),
            }
            .to_string(),
            AppendError::UnknownParty {
                party: party(),
                known: "ICO, OFCOM".into(),
            }
            .to_string(),
            AppendError::SameParty(party()).to_string(),
            AppendError::UnknownCompany { company: company() }.to_string(),
            AppendError::CompanyNameMismatch {
                company: company(),
                registered: "A".into(),
                given: "B".into(),
            }
            .to_string(),
            AppendError::FutureDate {
                field: "disclosed_at",
                value: at,
                now: at,
            }
            .to_string(),
            AppendError::WrongKey {
                key_name: "k".into(),
                key_id,
                party: party(),
                holder: Some(party()),
            }
            .to_string(),
            AppendError::KeyIdCollision {
                key_name: "k".into(),
                key_id,
                party: party(),
            }
            .to_string(),
            AppendError::UnregisteredKey {
                key_name: "k".into(),
                key_id,
            }
            .to_string(),
            AppendError::KeyEnded {
                key_id,
                party: party(),
                at: Seq(2),
            }
            .to_string(),
            AppendError::BadReference {
                seq: Seq(9),
                problem: "does not exist".into(),
            }
            .to_string(),
            AppendError::NotRecipient {
                seq: Seq(4),
                recipient: party(),
            }
            .to_string(),
            AppendError::AlreadyAcknowledged {
                seq: Seq(4),
                by: Seq(5),
            }
            .to_string(),
            AppendError::ReceivedBeforeDisclosure {
                seq: Seq(4),
                received_at: at,
                disclosed_at: at,
            }
            .to_string(),
            AppendError::ThemeInForce(theme()).to_string(),
            AppendError::ThemeNotInForce(theme()).to_string(),
            AppendError::AlreadyMutual(company()).to_string(),
            AppendError::ProposalOpen(company()).to_string(),
            AppendError::NoOpenProposal(company()).to_string(),
            AppendError::NothingToEnd(company()).to_string(),
            AppendError::Rule {
                kind: IntegrityKind::BrokenChain,
                message: "m".into(),
            }
            .to_string(),
            AppendError::Damaged {
                seq: Seq(3),
                reason: "r".into(),
            }
            .to_string(),
            ReplayError::Decode {
                seq: Seq(3),
                source: decode(),
            }
            .to_string(),
            ReplayError::Chain {
                seq: Seq(3),
                problem: "is out of sequence",
            }
            .to_string(),
            ReindexError::Damaged {
                seq: Seq(3),
                reason: "r".into(),
            }
            .to_string(),
        ];
        for m in messages {
            assert!(!names_the_command_line(&m), "{m}");
        }
    }

    #[test]
    fn damage_found_on_replay_keeps_the_entry_and_the_reason() {
        let e = ReplayError::Chain {
            seq: Seq(7),
            problem: "does not chain to the entry before it",
        };
        assert_eq!(
            AppendError::from(e).to_string(),
            "the ledger is damaged at #7 (does not chain to the entry before it); nothing was \
             written"
        );
    }
}
