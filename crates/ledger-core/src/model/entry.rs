//! The entry envelope and every entry kind. Registers (themes, companies, keys, policy) are
//! derived by replaying entries; nothing is ever edited or deleted.

use serde::{Deserialize, Serialize};

use super::{
    Assessment, CompanyId, CompanyRef, Disclosure, EntryHash, FieldName, KeyId, PartyId, Seq,
    ThemeId, Timestamp,
};

/// The entry format version this build writes; see docs/FORMAT.md, section 15.
pub const FORMAT_VERSION: u16 = 2;

/// Every entry format version this build reads (older entries keep verifying under the rules
/// of their version).
pub const FORMAT_VERSIONS_READ: [u16; 2] = [1, 2];

/// Which party signed an entry, and with which of its keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Signer {
    /// The signing party.
    pub party: PartyId,
    /// The C2SP key id of the key that signed.
    pub key_id: KeyId,
}

/// One fact in the append-only log. Its encoded bytes are what is hashed and signed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entry {
    /// Entry format version: [`FORMAT_VERSION`] for entries this build writes; 1 for entries
    /// of older ledgers, which keep the rules they were recorded under.
    pub version: u16,
    /// Position in the log.
    pub seq: Seq,
    /// Entry hash of the entry at `seq - 1`; [`EntryHash::ZERO`] for the genesis entry.
    pub prev: EntryHash,
    /// When the entry was recorded in the ledger.
    pub recorded_at: Timestamp,
    /// Who signed it.
    pub signer: Signer,
    /// What it records.
    pub body: Body,
}

/// A public key as recorded in the ledger: the C2SP key name, id and Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PublicKeyRecord {
    /// The C2SP signed-note key name, e.g. `ico-ledger-2024`.
    pub name: String,
    /// Key id derived from `name` and `public`.
    pub key_id: KeyId,
    /// Ed25519 public key.
    #[serde(with = "super::bytes::hex_bytes")]
    pub public: [u8; 32],
}

/// A party named in the genesis entry, with its trust-root key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PartyRecord {
    /// Short id, e.g. `ICO`.
    pub id: PartyId,
    /// Full name, e.g. `Information Commissioner's Office`.
    pub name: String,
    /// The key that anchors this party's key history.
    pub trust_root: PublicKeyRecord,
}

/// A policy document: the rules disclosures are judged against, from a date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PolicyDocument {
    /// Human label, e.g. `ico-ofcom-2024 v1`.
    pub label: String,
    /// Disclosures made on or after this instant are judged by this policy.
    pub effective_from: Timestamp,
    /// SHA-256 of `text` (checked by `verify`).
    #[serde(with = "super::bytes::hex_bytes")]
    pub sha256: [u8; 32],
    /// The document itself (TOML; schema in docs/POLICY.md).
    pub text: String,
}

/// The first entry: the ledger's identity, its parties and their trust roots, and the policy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Genesis {
    /// The ledger's origin line, as in its C2SP checkpoints, e.g. `ledger.example/ico-ofcom`.
    pub origin: String,
    /// The parties and their trust-root keys.
    pub parties: Vec<PartyRecord>,
    /// The policy in force from the start.
    pub policy: PolicyDocument,
}

/// A party adds a further signing key, signed by one of its currently valid keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyAdded {
    /// Whose key it is.
    pub party: PartyId,
    /// The new key.
    pub key: PublicKeyRecord,
}

/// A party replaces one of its keys: the old key stops being valid at this entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyRotated {
    /// Whose keys these are.
    pub party: PartyId,
    /// The key being retired.
    pub old: KeyId,
    /// Its replacement.
    pub new: PublicKeyRecord,
}

/// A party withdraws one of its keys: entries it signs after this one are integrity failures.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyRevoked {
    /// Whose key it is.
    pub party: PartyId,
    /// The key withdrawn.
    pub key_id: KeyId,
    /// Why, e.g. "suspected compromise".
    pub reason: String,
}

/// A Collaboration Theme comes into force (2024 statement §2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ThemeDeclared {
    /// Stable id.
    pub id: ThemeId,
    /// Title, e.g. "Age assurance".
    pub title: String,
    /// What the theme covers.
    pub description: String,
}

/// A Collaboration Theme stops being in force.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ThemeRetired {
    /// The theme retired.
    pub id: ThemeId,
    /// Why.
    pub reason: String,
}

/// One party proposes a company as of mutual interest to it and one other party (2024
/// statement §3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DesignationProposed {
    /// The company.
    pub company: CompanyRef,
    /// Why it is of current regulatory interest to the proposer.
    pub rationale: String,
    /// The other party of the pair the designation is for, who alone can confirm it (format 2;
    /// `None` in format 1, where a designation applied to every pair of the ledger).
    pub with: Option<PartyId>,
}

/// The other party confirms a proposal; the company is of mutual interest from here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DesignationConfirmed {
    /// The company.
    pub company: CompanyId,
    /// The proposal entry confirmed.
    pub proposal: Seq,
}

/// Either party of the pair ends a designation; the company is no longer of mutual interest
/// to that pair.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DesignationEnded {
    /// The company.
    pub company: CompanyId,
    /// Why.
    pub reason: String,
    /// The other party of the pair whose designation ends (format 2; `None` in format 1).
    pub with: Option<PartyId>,
}

/// The other party (every other party an act binds) confirms a proposal: a format 2
/// designation, theme declaration or retirement, or policy adoption. The act is in force from
/// `effective_from` once every party it binds has confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Confirmed {
    /// The proposal entry confirmed.
    pub proposal: Seq,
    /// From when the act is in force as agreed (may be before this entry, for registers agreed
    /// before the ledger began; for a policy, the document's own effective date).
    pub effective_from: Timestamp,
}

/// What a party did about a flag raised on an entry (format 2; statement §6's review).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DispositionAction {
    /// Reviewed; no action needed.
    ReviewedNoAction,
    /// Accepted as an exception to the policy.
    AcceptedException,
    /// Escalated for decision.
    Escalated,
    /// Put right, by the correction named.
    Remediated,
}

impl DispositionAction {
    /// Every action, in wire order.
    pub const ALL: [DispositionAction; 4] = [
        DispositionAction::ReviewedNoAction,
        DispositionAction::AcceptedException,
        DispositionAction::Escalated,
        DispositionAction::Remediated,
    ];

    /// The kebab-case name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DispositionAction::ReviewedNoAction => "reviewed-no-action",
            DispositionAction::AcceptedException => "accepted-exception",
            DispositionAction::Escalated => "escalated",
            DispositionAction::Remediated => "remediated",
        }
    }

    /// Whether this action closes the flag: every action but `Escalated`, which passes the
    /// flag on for decision and leaves it open.
    pub fn closes_flag(self) -> bool {
        self != DispositionAction::Escalated
    }
}

/// A party records what it did about one flag on one entry (format 2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Disposition {
    /// The entry the flag was raised on.
    pub entry: Seq,
    /// The flag's code, e.g. `late-recording`.
    pub flag: String,
    /// What was done.
    pub action: DispositionAction,
    /// The correction that put it right (with [`DispositionAction::Remediated`]).
    pub correction: Option<Seq>,
    /// What the reviewer found and decided.
    pub note: String,
    /// The reviewer's role (no personal data).
    pub reviewer_role: String,
}

/// One field value erased from the vault.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ErasedField {
    /// The entry whose field it was.
    pub entry: Seq,
    /// The field's name.
    pub field: FieldName,
}

/// A party records that it erased vault values under a retention rule (format 2). The log keeps
/// the fields' commitments; only the values and salts are gone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Erasure {
    /// The field values erased.
    pub fields: Vec<ErasedField>,
    /// The retention rule of the policy in force applied, by its id in the policy.
    pub retention_rule: String,
    /// Why, in plain words.
    pub reason: String,
}

/// A case-by-case assessment that decided not to disclose (format 2; statement §4).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Refusal {
    /// The regulator that declined to disclose; it signs the entry.
    pub from: PartyId,
    /// The regulator that would have received the information.
    pub to: PartyId,
    /// When the decision was made.
    pub decided_at: Timestamp,
    /// Companies the information concerned.
    pub companies: Vec<CompanyRef>,
    /// Themes it concerned.
    pub themes: Vec<ThemeId>,
    /// The assessment relied on.
    pub assessment: Assessment,
    /// A summary of why not (no personal data).
    pub reasoning: String,
    /// The role of the officer who recorded it.
    pub officer_role: String,
}

/// The recipient of a disclosure acknowledges receiving it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// The disclosure acknowledged.
    pub disclosure: Seq,
    /// When the recipient received it.
    pub received_at: Timestamp,
}

/// A correction supersedes an earlier entry of the same signer; the earlier entry stays.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Correction {
    /// The entry superseded.
    pub supersedes: Seq,
    /// What was wrong.
    pub reason: String,
    /// For a superseded disclosure, what should have been recorded.
    pub replacement: Option<Disclosure>,
}

/// What an entry records.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Body {
    /// See [`Genesis`].
    Genesis(Genesis),
    /// See [`KeyAdded`].
    KeyAdded(KeyAdded),
    /// See [`KeyRotated`].
    KeyRotated(KeyRotated),
    /// See [`KeyRevoked`].
    KeyRevoked(KeyRevoked),
    /// A new policy version (see [`PolicyDocument`]).
    PolicyAdopted(PolicyDocument),
    /// See [`ThemeDeclared`].
    ThemeDeclared(ThemeDeclared),
    /// See [`ThemeRetired`].
    ThemeRetired(ThemeRetired),
    /// See [`DesignationProposed`].
    DesignationProposed(DesignationProposed),
    /// See [`DesignationConfirmed`].
    DesignationConfirmed(DesignationConfirmed),
    /// See [`DesignationEnded`].
    DesignationEnded(DesignationEnded),
    /// See [`Disclosure`].
    Disclosure(Disclosure),
    /// See [`Acknowledgement`].
    Acknowledgement(Acknowledgement),
    /// See [`Correction`].
    Correction(Correction),
    /// See [`Confirmed`].
    Confirmed(Confirmed),
    /// See [`Disposition`].
    Disposition(Disposition),
    /// See [`Erasure`].
    Erasure(Erasure),
    /// See [`Refusal`].
    Refusal(Refusal),
}

/// The kind of an entry, without its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// Genesis.
    Genesis,
    /// Key added.
    KeyAdded,
    /// Key rotated.
    KeyRotated,
    /// Key revoked.
    KeyRevoked,
    /// Policy adopted.
    PolicyAdopted,
    /// Theme declared.
    ThemeDeclared,
    /// Theme retired.
    ThemeRetired,
    /// Designation proposed.
    DesignationProposed,
    /// Designation confirmed.
    DesignationConfirmed,
    /// Designation ended.
    DesignationEnded,
    /// Disclosure.
    Disclosure,
    /// Acknowledgement.
    Acknowledgement,
    /// Correction.
    Correction,
    /// Confirmation of a format 2 proposal.
    Confirmed,
    /// Flag disposition.
    Disposition,
    /// Vault erasure.
    Erasure,
    /// Refusal to disclose.
    Refusal,
}

impl EntryKind {
    /// Every entry kind, in the order of the format's body tags (docs/FORMAT.md). The one list
    /// of kinds: command-line choices, filters and reports all take it from here.
    pub const ALL: [EntryKind; 17] = [
        EntryKind::Genesis,
        EntryKind::KeyAdded,
        EntryKind::KeyRotated,
        EntryKind::KeyRevoked,
        EntryKind::PolicyAdopted,
        EntryKind::ThemeDeclared,
        EntryKind::ThemeRetired,
        EntryKind::DesignationProposed,
        EntryKind::DesignationConfirmed,
        EntryKind::DesignationEnded,
        EntryKind::Disclosure,
        EntryKind::Acknowledgement,
        EntryKind::Correction,
        EntryKind::Confirmed,
        EntryKind::Disposition,
        EntryKind::Erasure,
        EntryKind::Refusal,
    ];

    /// The kind with this kebab-case name (as [`EntryKind::as_str`] writes it).
    pub fn parse(name: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The kebab-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Genesis => "genesis",
            EntryKind::KeyAdded => "key-added",
            EntryKind::KeyRotated => "key-rotated",
            EntryKind::KeyRevoked => "key-revoked",
            EntryKind::PolicyAdopted => "policy-adopted",
            EntryKind::ThemeDeclared => "theme-declared",
            EntryKind::ThemeRetired => "theme-retired",
            EntryKind::DesignationProposed => "designation-proposed",
            EntryKind::DesignationConfirmed => "designation-confirmed",
            EntryKind::DesignationEnded => "designation-ended",
            EntryKind::Disclosure => "disclosure",
            EntryKind::Acknowledgement => "acknowledgement",
            EntryKind::Correction => "correction",
            EntryKind::Confirmed => "confirmed",
            EntryKind::Disposition => "disposition",
            EntryKind::Erasure => "erasure",
            EntryKind::Refusal => "refusal",
        }
    }
}

impl std::fmt::Display for EntryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl Body {
    /// The earlier entry this one refers to, if any: the disclosure an acknowledgement
    /// acknowledges, the entry a correction supersedes, the proposal a confirmation confirms,
    /// the entry whose flag a disposition deals with.
    pub fn refers_to(&self) -> Option<Seq> {
        match self {
            Body::Acknowledgement(a) => Some(a.disclosure),
            Body::Correction(c) => Some(c.supersedes),
            Body::DesignationConfirmed(d) => Some(d.proposal),
            Body::Confirmed(c) => Some(c.proposal),
            Body::Disposition(d) => Some(d.entry),
            _ => None,
        }
    }

    /// Every earlier entry this one refers to, each once and in increasing order:
    /// [`Body::refers_to`], plus the correction a disposition names as its remedy and every
    /// entry an erasure erased fields of. The entry is filed under `refs/N` of the entry index
    /// for each (docs/FORMAT.md §7.6), and the writers' references table holds the same pairs.
    pub fn references(&self) -> Vec<Seq> {
        let mut out: Vec<Seq> = self.refers_to().into_iter().collect();
        match self {
            Body::Disposition(d) => out.extend(d.correction),
            Body::Erasure(e) => out.extend(e.fields.iter().map(|f| f.entry)),
            _ => {}
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The party whose key a key-added, -rotated or -revoked entry changes; `None` for any
    /// other entry.
    pub fn key_party(&self) -> Option<&PartyId> {
        match self {
            Body::KeyAdded(k) => Some(&k.party),
            Body::KeyRotated(k) => Some(&k.party),
            Body::KeyRevoked(k) => Some(&k.party),
            _ => None,
        }
    }

    /// The companies this entry names: a disclosure's (or a correction's replacement's), or a
    /// refusal's; none for any other entry.
    pub fn companies(&self) -> &[super::CompanyRef] {
        match self {
            Body::Refusal(r) => &r.companies,
            b => b.disclosure().map_or(&[], |d| d.category.companies()),
        }
    }

    /// The disclosure this entry records: a disclosure's own, or a correction's replacement.
    /// Both are judged by the policy alike.
    pub fn disclosure(&self) -> Option<&Disclosure> {
        match self {
            Body::Disclosure(d) => Some(d),
            Body::Correction(c) => c.replacement.as_ref(),
            _ => None,
        }
    }

    /// The kind of this body.
    pub fn kind(&self) -> EntryKind {
        match self {
            Body::Genesis(_) => EntryKind::Genesis,
            Body::KeyAdded(_) => EntryKind::KeyAdded,
            Body::KeyRotated(_) => EntryKind::KeyRotated,
            Body::KeyRevoked(_) => EntryKind::KeyRevoked,
            Body::PolicyAdopted(_) => EntryKind::PolicyAdopted,
            Body::ThemeDeclared(_) => EntryKind::ThemeDeclared,
            Body::ThemeRetired(_) => EntryKind::ThemeRetired,
            Body::DesignationProposed(_) => EntryKind::DesignationProposed,
            Body::DesignationConfirmed(_) => EntryKind::DesignationConfirmed,
            Body::DesignationEnded(_) => EntryKind::DesignationEnded,
            Body::Disclosure(_) => EntryKind::Disclosure,
            Body::Acknowledgement(_) => EntryKind::Acknowledgement,
            Body::Correction(_) => EntryKind::Correction,
            Body::Confirmed(_) => EntryKind::Confirmed,
            Body::Disposition(_) => EntryKind::Disposition,
            Body::Erasure(_) => EntryKind::Erasure,
            Body::Refusal(_) => EntryKind::Refusal,
        }
    }
}

#[cfg(test)]
mod kind_tests {
    use super::EntryKind;

    #[test]
    fn every_kind_is_listed_once_and_parses_back() {
        let mut seen = std::collections::BTreeSet::new();
        for k in EntryKind::ALL {
            assert!(seen.insert(k), "{k:?} is listed twice");
            assert_eq!(EntryKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EntryKind::parse("not-a-kind"), None);
    }
}
