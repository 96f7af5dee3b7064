//! The agreed rules as data, and the flags raised when a disclosure falls outside them.
//!
//! A policy document (TOML; docs/POLICY.md) is adopted by a signed entry; each disclosure is
//! judged by the policy in force on its disclosure date. The 2024 ICO–Ofcom joint statement is
//! the default policy, embedded in the binary and adopted by `dledger init`.

mod document;
mod engine;
mod flags;
mod names;
mod statements;

pub use document::{
    CategoryRule, Function, POLICY_SCHEMA, PartyRule, Policy, PolicyError, Thresholds,
};
pub use engine::{FieldValues, PolicyEngine, same_words};
pub use flags::{
    Basis, CATALOGUE, Flag, FlagCode, FlagInfo, Severity, catalogue_markdown, local_practice_label,
};
pub use names::{CompanyForms, MIN_FOLDED_LEN, company_forms, company_named_in, fold};
pub use statements::{
    STATEMENT_RULES, Statement, StatementRule, Treatment, normalise_quotation, statement_rule,
    statements_markdown, treatment_text,
};

/// The default policy document (the 2024 statement), as shipped.
pub const DEFAULT_POLICY: &str = include_str!("../../../../policy/ico-ofcom-2024.toml");

/// Label of the default policy.
pub const DEFAULT_POLICY_LABEL: &str = "ico-ofcom-2024";

/// An example extension: the default policy plus the CMA (Enterprise Act 2002 s241).
pub const CMA_EXTENSION_POLICY: &str = include_str!("../../../../policy/ico-ofcom-cma-2025.toml");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_parses() {
        let p = Policy::parse(DEFAULT_POLICY).unwrap();
        assert_eq!(p.parties.len(), 2);
        assert_eq!(p.categories.len(), 6);
        assert_eq!(p.thresholds.record_within_days, 5);
    }

    #[test]
    fn catalogue_codes_are_unique_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for info in CATALOGUE {
            assert!(seen.insert(info.code.code()), "duplicate {}", info.code);
            assert_eq!(FlagCode::from_code(info.code.code()), Some(info.code));
        }
    }
}
