//! The rulebook: every structural rule an entry must satisfy given the log before it — who may
//! sign what, which earlier entries it may refer to, and what the register must say first.
//!
//! One table ([`RULEBOOK`]) serves the writer and the verifier. The writer checks every entry
//! against it before appending (a breach is refused); `verify` checks every entry it reads
//! against it (a breach in a correctly signed entry is an integrity failure naming the rule), and
//! the offline evidence verifier checks the genesis and key-history entries it holds. So nothing
//! the writer refuses can be slipped into a file below the CLI without `verify` reporting it.
//! docs/POLICY.md ("The rulebook") is generated from the table.
//!
//! Rules judged by the policy in force (routine categories, gateways, deadlines) are flags, not
//! rules: see [`crate::policy`].

mod check;

pub use check::check_entry;

use crate::integrity::IntegrityKind;

/// Clock tolerance, in seconds, for dates an entry states about the moment it was recorded: a
/// disclosure or receipt may be stated at most this far after the entry's recording time.
pub const FUTURE_TOLERANCE_SECS: i64 = 300;

/// One rule of the rulebook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable kebab-case id, printed with every breach.
    pub id: &'static str,
    /// The entry kinds it applies to, in words.
    pub applies_to: &'static str,
    /// What the rule requires.
    pub text: &'static str,
    /// The integrity failure `verify` reports for a breach.
    pub kind: IntegrityKind,
}

/// A rule an entry breaks, with the specifics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach {
    /// The rule broken.
    pub rule: &'static Rule,
    /// What the entry does, in plain words.
    pub detail: String,
}

impl Breach {
    /// The integrity failure `verify` reports.
    pub fn kind(&self) -> IntegrityKind {
        self.rule.kind
    }

    /// The message `verify` and the writer show: the specifics and the rule's id.
    pub fn message(&self) -> String {
        format!("{} (rule {})", self.detail, self.rule.id)
    }
}

macro_rules! rules {
    ($($name:ident = $id:literal, $applies:literal, $kind:ident, $text:literal;)*) => {
        $(
            #[doc = $text]
            pub const $name: &Rule = &Rule {
                id: $id,
                applies_to: $applies,
                text: $text,
                kind: IntegrityKind::$kind,
            };
        )*
        /// Every rule, in the order docs/POLICY.md lists them.
        pub const RULEBOOK: &[&Rule] = &[$($name),*];
    };
}

rules! {
    GENESIS_FIRST = "genesis-first", "every entry", BadGenesis,
        "The genesis entry is entry #0 and the only genesis entry; nothing comes before it.";
    GENESIS_PARTIES = "genesis-parties", "genesis", BadGenesis,
        "The genesis entry names at least two parties, each once.";
    TRUST_ROOT_VALID = "trust-root-valid", "genesis", BadRecord,
        "Every party's trust-root key in the genesis entry is a valid Ed25519 key whose key id matches its name and key.";
    GENESIS_SIGNER = "genesis-signer", "genesis", UnknownKey,
        "The genesis entry is signed by the trust-root key of a party it names.";
    POLICY_HASH = "policy-hash", "genesis, policy adopted", BadRecord,
        "A policy document's recorded SHA-256 is the hash of its text.";
    SIGNER_KEY_VALID = "signer-key-valid", "every entry after genesis", UnknownKey,
        "The entry is signed by a party of the ledger with a key that party registered before it.";
    KEY_USED_AFTER_END = "key-used-after-end", "every entry after genesis", KeyRevoked,
        "No entry is signed with a key after the entry that rotated or revoked it.";
    KEY_CHANGE_OWN = "key-change-own", "key added, rotated, revoked", WrongSigner,
        "A party adds, rotates and revokes only its own keys.";
    KEY_CHANGE_TARGET = "key-change-target", "key rotated, revoked", DanglingReference,
        "The key rotated or revoked is a currently valid key of that party.";
    NEW_KEY_VALID = "new-key-valid", "key added, rotated", BadRecord,
        "A new key is a valid Ed25519 key whose key id matches, and no party has registered that key id before.";
    THEME_DECLARE_NEW = "theme-declare-new", "theme declared", DanglingReference,
        "A theme is declared only when it is not already in force, with a title.";
    THEME_RETIRE_IN_FORCE = "theme-retire-in-force", "theme retired", DanglingReference,
        "Only a theme in force can be retired.";
    COMPANY_NAME_CONSISTENT = "company-name-consistent", "disclosure, correction, designation proposed", BadRecord,
        "A company id always carries the name the ledger first recorded for it: one id never names two companies.";
    DESIGNATION_PROPOSE = "designation-propose", "designation proposed", DanglingReference,
        "A company is proposed as of mutual interest only when it is not already of mutual interest and no proposal for it is open.";
    DESIGNATION_CONFIRM = "designation-confirm", "designation confirmed", DanglingReference,
        "A confirmation names an earlier, still open proposal for the same company.";
    DESIGNATION_END = "designation-end", "designation ended", DanglingReference,
        "A designation is ended only while the company is of mutual interest or a proposal for it is open.";
    DISCLOSURE_SIGNER = "disclosure-signer", "disclosure, correction's replacement", WrongSigner,
        "A disclosure is signed by the party that disclosed.";
    DISCLOSURE_RECIPIENT = "disclosure-recipient", "disclosure, correction's replacement", DanglingReference,
        "A disclosure is made to a party of the ledger other than the discloser.";
    DISCLOSURE_UNIQUE = "disclosure-unique", "disclosure, correction's replacement", BadRecord,
        "A disclosure lists each field, company and theme once.";
    DISCLOSURE_THEMES_DECLARED = "disclosure-themes-declared", "disclosure, correction's replacement", DanglingReference,
        "Every theme a disclosure names has been declared in the ledger before it.";
    DISCLOSURE_NOT_FUTURE = "disclosure-not-future", "disclosure, correction's replacement", TimeBackwards,
        "A disclosure is not dated after the moment it was recorded (beyond a five-minute clock tolerance).";
    ACK_TARGET = "ack-target", "acknowledgement", DanglingReference,
        "An acknowledgement names an earlier disclosure.";
    ACK_BY_RECIPIENT = "ack-by-recipient", "acknowledgement", WrongSigner,
        "Only the recipient of a disclosure acknowledges it.";
    ACK_ONCE = "ack-once", "acknowledgement", DanglingReference,
        "A disclosure is acknowledged once.";
    ACK_DATES = "ack-dates", "acknowledgement", TimeBackwards,
        "A disclosure is received no earlier than it was disclosed, and not after the acknowledgement was recorded (beyond a five-minute clock tolerance).";
    CORRECTION_TARGET = "correction-target", "correction", DanglingReference,
        "A correction supersedes an earlier entry other than the genesis entry, and states why; only a disclosure takes a replacement disclosure.";
    CORRECTION_BY_AUTHOR = "correction-by-author", "correction", WrongSigner,
        "Only the party that recorded an entry corrects it.";
}

/// The rulebook as a Markdown table, for docs/POLICY.md ("The rulebook").
pub fn rulebook_markdown() -> String {
    let mut out = String::from(
        "| rule | applies to | the entry must | `verify` reports a breach as |\n|---|---|---|---|\n",
    );
    for r in RULEBOOK {
        out.push_str(&format!(
            "| `{}` | {} | {} | `{}` |\n",
            r.id,
            r.applies_to,
            r.text,
            r.kind.code()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for r in RULEBOOK {
            assert!(seen.insert(r.id), "rule {} listed twice", r.id);
            assert!(
                r.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                r.id
            );
        }
    }
}
