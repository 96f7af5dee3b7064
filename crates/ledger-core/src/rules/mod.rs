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
    /// The entry format versions it applies to, in words (`all`, `2 on`, `1 only`): rules
    /// apply by the format an entry was recorded in, so old ledgers keep their meaning.
    pub formats: &'static str,
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
    ($($name:ident = $id:literal, $applies:literal, $formats:literal, $kind:ident, $text:literal;)*) => {
        $(
            #[doc = $text]
            pub const $name: &Rule = &Rule {
                id: $id,
                applies_to: $applies,
                formats: $formats,
                text: $text,
                kind: IntegrityKind::$kind,
            };
        )*
        /// Every rule, in the order docs/POLICY.md lists them.
        pub const RULEBOOK: &[&Rule] = &[$($name),*];
    };
}

rules! {
    GENESIS_FIRST = "genesis-first", "every entry", "all", BadGenesis,
        "The genesis entry is entry #0 and the only genesis entry; nothing comes before it.";
    GENESIS_PARTIES = "genesis-parties", "genesis", "all", BadGenesis,
        "The genesis entry names at least two parties, each once.";
    TRUST_ROOT_VALID = "trust-root-valid", "genesis", "all", BadRecord,
        "Every party's trust-root key in the genesis entry is a valid Ed25519 key whose key id matches its name and key.";
    GENESIS_SIGNER = "genesis-signer", "genesis", "all", UnknownKey,
        "The genesis entry is signed by the trust-root key of a party it names.";
    POLICY_HASH = "policy-hash", "genesis, policy adopted", "all", BadRecord,
        "A policy document's recorded SHA-256 is the hash of its text.";
    SIGNER_KEY_VALID = "signer-key-valid", "every entry after genesis", "all", UnknownKey,
        "The entry is signed by a party of the ledger with a key that party registered before it.";
    KEY_USED_AFTER_END = "key-used-after-end", "every entry after genesis", "all", KeyRevoked,
        "No entry is signed with a key after the entry that rotated or revoked it.";
    KEY_CHANGE_OWN = "key-change-own", "key added, rotated, revoked", "all", WrongSigner,
        "A party adds, rotates and revokes only its own keys.";
    KEY_CHANGE_TARGET = "key-change-target", "key rotated, revoked", "all", DanglingReference,
        "The key rotated or revoked is a currently valid key of that party.";
    NEW_KEY_VALID = "new-key-valid", "key added, rotated", "all", BadRecord,
        "A new key is a valid Ed25519 key whose key id matches, and no party has registered that key id before.";
    FORMAT_ORDER = "format-order", "every entry", "all", BadRecord,
        "An entry's format version is not lower than the one before it: nobody can record a format 1 entry after a format 2 one to escape the newer rules.";
    THEME_DECLARE_NEW = "theme-declare-new", "theme declared", "all", DanglingReference,
        "A theme is declared only when it is not already in force, with a title, and (format 2) while no other proposal about it is open.";
    THEME_RETIRE_IN_FORCE = "theme-retire-in-force", "theme retired", "all", DanglingReference,
        "Only a theme in force can be retired, and (format 2) only while no other proposal about it is open.";
    COMPANY_NAME_CONSISTENT = "company-name-consistent", "disclosure, correction, designation proposed", "all", BadRecord,
        "A company id always carries the name the ledger first recorded for it: one id never names two companies.";
    DESIGNATION_PAIR = "designation-pair", "designation proposed, ended", "2 on", DanglingReference,
        "A designation names the other party of its pair (statement §3: mutual interest is between two regulators): a party of the ledger other than the signer.";
    DESIGNATION_PROPOSE = "designation-propose", "designation proposed", "all", DanglingReference,
        "A company is proposed as of mutual interest only when it is not already of mutual interest (format 2: to that pair) and no proposal for it (format 2: for that pair) is open.";
    DESIGNATION_CONFIRM = "designation-confirm", "designation confirmed", "all", DanglingReference,
        "Format 1: a confirmation names an earlier, still open proposal for the same company (a confirmation by the proposer closes it without making the company of mutual interest). Format 2 confirms a designation with a `confirmed` entry instead, so a `designation-confirmed` entry of format 2 breaks this rule.";
    DESIGNATION_END = "designation-end", "designation ended", "all", DanglingReference,
        "A designation is ended only while the company is of mutual interest or a proposal for it is open (format 2: for the pair of the signer and the party named, so either member of the pair can end it and nobody else).";
    CONFIRM_TARGET = "confirm-target", "confirmed", "2 on", DanglingReference,
        "A confirmation names an earlier proposal that is still open: a format 2 designation proposal, theme declaration or retirement, or policy adoption.";
    CONFIRM_BY_BOUND = "confirm-by-bound-party", "confirmed", "2 on", WrongSigner,
        "Only a party the proposal binds, other than its proposer, confirms it, and once: for a designation the other party of the pair; for a theme or a policy every other party of the ledger (statement §2: the regulators identify themes together).";
    CONFIRM_DATE = "confirm-effective-date", "confirmed", "2 on", BadRecord,
        "Every confirmation of one proposal states the same effective date; for a policy, the document's own effective date.";
    DISCLOSURE_SIGNER = "disclosure-signer", "disclosure, correction's replacement", "all", WrongSigner,
        "A disclosure is signed by the party that disclosed.";
    DISCLOSURE_RECIPIENT = "disclosure-recipient", "disclosure, correction's replacement", "all", DanglingReference,
        "A disclosure is made to a party of the ledger other than the discloser.";
    DISCLOSURE_UNIQUE = "disclosure-unique", "disclosure, correction's replacement", "all", BadRecord,
        "A disclosure lists each field, company and theme once.";
    DISCLOSURE_THEMES_DECLARED = "disclosure-themes-declared", "disclosure, correction's replacement", "1", DanglingReference,
        "Every theme a disclosure names has been declared in the ledger before it. From format 2 a disclosure may name a theme not (yet) declared: themes are illustrative and added to over time (statement §2, §6), so it is flagged theme-not-in-force for review instead.";
    DISCLOSURE_PARTS = "disclosure-parts", "disclosure, correction's replacement", "2 on", BadRecord,
        "What format 2 adds to a disclosure is well formed: a case decision only on a case-by-case disclosure, with the outcome disclose or disclose-in-part (a decision not to disclose is a refusal) and a reasoning; a gateway not engaged states why; each part of the legal basis, and the joint engagement, is not empty when present.";
    DISCLOSURE_NOT_FUTURE = "disclosure-not-future", "disclosure, correction's replacement", "all", TimeBackwards,
        "A disclosure is not dated after the moment it was recorded (beyond a five-minute clock tolerance).";
    ACK_TARGET = "ack-target", "acknowledgement", "all", DanglingReference,
        "An acknowledgement names an earlier disclosure, or (format 2) an earlier correction carrying a replacement disclosure, which needs the recipient's acknowledgement of its own.";
    ACK_BY_RECIPIENT = "ack-by-recipient", "acknowledgement", "all", WrongSigner,
        "Only the recipient of a disclosure (or of a correction's replacement) acknowledges it.";
    ACK_ONCE = "ack-once", "acknowledgement", "all", DanglingReference,
        "A disclosure (or a correction's replacement) is acknowledged once.";
    ACK_DATES = "ack-dates", "acknowledgement", "all", TimeBackwards,
        "A disclosure is received no earlier than it was disclosed, and not after the acknowledgement was recorded (beyond a five-minute clock tolerance).";
    CORRECTION_TARGET = "correction-target", "correction", "all", DanglingReference,
        "A correction supersedes an earlier entry other than the genesis entry, and states why; only a disclosure takes a replacement disclosure.";
    CORRECTION_BY_AUTHOR = "correction-by-author", "correction", "all", WrongSigner,
        "Only the party that recorded an entry corrects it.";
    CORRECTION_PARTIES = "correction-parties", "correction", "2 on", BadRecord,
        "A replacement disclosure keeps the discloser and the recipient of the disclosure it replaces. A disclosure recorded with the wrong recipient is corrected without a replacement (it was recorded in error) and the disclosure that happened is recorded anew, so the first recipient's acknowledgement is never silently moved to another party.";
    DISPOSITION_TARGET = "disposition-target", "disposition", "2 on", DanglingReference,
        "A flag disposition names an earlier disclosure, correction or policy entry (the entries flags are raised on), a flag code of the catalogue, what the reviewer found (a note) and the reviewer's role.";
    DISPOSITION_BY_PARTY = "disposition-by-party", "disposition", "2 on", WrongSigner,
        "Only a party to the flagged disclosure (its discloser or its recipient) records what it did about the disclosure's flag; any party may for a policy entry's flag.";
    DISPOSITION_REMEDY = "disposition-remedy", "disposition", "2 on", BadRecord,
        "A disposition \"remediated\" names the earlier correction of the flagged disclosure that put it right; the other actions name none.";
    REFUSAL_PARTS = "refusal-parts", "refusal", "2 on", BadRecord,
        "A refusal to disclose is signed by the regulator that declined, names another party of the ledger as the one that would have received the information, each company and theme once and companies by their recorded names, the assessment (reference and approver) that decided it, a reasoning summary and the officer's role, and a decision date not after it was recorded (beyond a five-minute clock tolerance).";
    ERASURE_PARTS = "erasure-parts", "erasure", "2 on", BadRecord,
        "An erasure names at least one field, each once, of earlier disclosures (or corrections' replacements) to which its signer is a party (the discloser or the recipient), the retention rule it applied and why. The values go from the vault in the same transaction; the commitments stay in the log.";
}

/// The rulebook as a Markdown table, for docs/POLICY.md ("The rulebook").
pub fn rulebook_markdown() -> String {
    let mut out = String::from(
        "| rule | applies to | formats | the entry must | `verify` reports a breach as |\n|---|---|---|---|---|\n",
    );
    for r in RULEBOOK {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | `{}` |\n",
            r.id,
            r.applies_to,
            r.formats,
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
