//! The entry envelope and every entry kind. Registers (themes, companies, keys, policy) are
//! derived by replaying entries; nothing is ever edited or deleted.

use serde::{Deserialize, Serialize};

use super::{
    CompanyId, CompanyRef, Disclosure, EntryHash, KeyId, PartyId, Seq, ThemeId, Timestamp,
};

/// The entry format version this build writes and reads; see docs/FORMAT.md.
pub const FORMAT_VERSION: u16 = 1;

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
    /// Entry format version; always [`FORMAT_VERSION`] for entries this build writes.
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

/// One party proposes a company as of mutual interest (2024 statement §3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DesignationProposed {
    /// The company.
    pub company: CompanyRef,
    /// Why it is of current regulatory interest to the proposer.
    pub rationale: String,
}

/// The other party confirms a proposal; the company is of mutual interest from here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DesignationConfirmed {
    /// The company.
    pub company: CompanyId,
    /// The proposal entry confirmed.
    pub proposal: Seq,
}

/// Either party ends a designation; the company is no longer of mutual interest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DesignationEnded {
    /// The company.
    pub company: CompanyId,
    /// Why.
    pub reason: String,
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
}

impl EntryKind {
    /// Every entry kind, in the order of the format's body tags (docs/FORMAT.md). The one list
    /// of kinds: command-line choices, filters and reports all take it from here.
    pub const ALL: [EntryKind; 13] = [
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
    /// acknowledges, the entry a correction supersedes, the proposal a confirmation confirms.
    pub fn refers_to(&self) -> Option<Seq> {
        match self {
            Body::Acknowledgement(a) => Some(a.disclosure),
            Body::Correction(c) => Some(c.supersedes),
            Body::DesignationConfirmed(d) => Some(d.proposal),
            _ => None,
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
