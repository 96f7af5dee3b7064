//! The statements, rule by rule (issue 15): every passage the rule table quotes is in the
//! statement texts verbatim, every flag cites passages of the table (and the table names the
//! flags that cite it), and docs/POLICY.md is generated from the table.

mod common;

use std::collections::BTreeSet;
use std::fs;

use disclosure_ledger::policy::{
    Basis, CATALOGUE, STATEMENT_RULES, Statement, Treatment, normalise_quotation, statement_rule,
    statements_markdown,
};
use disclosure_ledger::rules::RULEBOOK;

fn source(statement: Statement) -> String {
    let path = common::root()
        .join("docs/sources")
        .join(statement.source_file());
    normalise_quotation(&fs::read_to_string(&path).unwrap())
}

#[test]
fn every_quoted_passage_is_in_its_statement_verbatim() {
    let texts = [
        (Statement::Joint2024, source(Statement::Joint2024)),
        (Statement::Drcf2022, source(Statement::Drcf2022)),
    ];
    let mut ids = BTreeSet::new();
    for r in STATEMENT_RULES {
        assert!(ids.insert(r.id), "rule id {} is used twice", r.id);
        let text = &texts.iter().find(|(s, _)| *s == r.statement).unwrap().1;
        let words = normalise_quotation(r.words);
        assert!(
            text.contains(&words),
            "{}: the quoted words are not in {} verbatim:\n{words}",
            r.id,
            r.statement.source_file()
        );
        assert!(!r.treatment.is_empty(), "{}: no treatment", r.id);
    }
}

#[test]
fn a_quotation_that_drops_or_changes_words_is_caught() {
    // The near miss of the test above: the check is not a loose match. §1 says "Where relevant,
    // any such disclosure …"; a quotation that drops those words, or changes one, is not in the
    // text.
    let text = source(Statement::Joint2024);
    let exact = "Where relevant, any such disclosure will only be made in accordance with the disclosure gateways that apply to each of Ofcom and the ICO.";
    assert!(text.contains(&normalise_quotation(exact)));
    let changed = "Where relevant, any such disclosure will always be made in accordance with the disclosure gateways that apply to each of Ofcom and the ICO.";
    assert!(!text.contains(&normalise_quotation(changed)));
    // Line-break hyphenation is joined, and only at a line break.
    assert_eq!(normalise_quotation("case-by-\n  case"), "case-by-case");
    assert_eq!(
        normalise_quotation("systems - recommender"),
        "systems - recommender"
    );
    assert_eq!(normalise_quotation("a  b\n\nc"), "a b c");
}

#[test]
fn every_flag_cites_passages_of_the_table_and_the_table_names_the_flag() {
    for info in CATALOGUE {
        for id in info.basis.passages() {
            let rule = statement_rule(id)
                .unwrap_or_else(|| panic!("{} cites {id}, which is not in the table", info.code));
            if let Basis::Statement(_) = info.basis {
                let named = rule
                    .treatment
                    .iter()
                    .any(|t| matches!(t, Treatment::Flagged(codes) if codes.contains(&info.code)));
                assert!(
                    named,
                    "{} cites {id}, but that row does not list the flag",
                    info.code
                );
            }
        }
        match info.basis {
            Basis::Statement(ids) => {
                assert!(
                    !ids.is_empty(),
                    "{}: a statement flag quotes something",
                    info.code
                );
                assert!(info.practice.is_empty(), "{}", info.code);
                // The sections shown come from the passages quoted.
                let sections: BTreeSet<&str> = ids
                    .iter()
                    .map(|id| statement_rule(id).unwrap().section)
                    .collect();
                let expected = format!(
                    "2024 {}",
                    sections.into_iter().collect::<Vec<_>>().join(", ")
                );
                assert_eq!(info.sections, expected, "{}", info.code);
            }
            Basis::LocalPractice(_) => {
                assert_eq!(info.sections, "local practice", "{}", info.code);
                assert!(!info.practice.is_empty(), "{}", info.code);
                assert_ne!(
                    info.severity,
                    disclosure_ledger::policy::Severity::High,
                    "{}: local practice defaults below high",
                    info.code
                );
            }
            Basis::Record => {
                assert_eq!(info.sections, "record", "{}", info.code);
                assert!(!info.practice.is_empty(), "{}", info.code);
            }
        }
    }
    // And the other way: a row that says it is flagged names flags that cite it.
    for r in STATEMENT_RULES {
        for t in r.treatment {
            match t {
                Treatment::Flagged(codes) => {
                    for code in *codes {
                        assert!(
                            code.info().basis.passages().contains(&r.id),
                            "{} says {code} flags it, but {code} does not cite it",
                            r.id
                        );
                    }
                }
                Treatment::Enforced(rules) => {
                    for rule in *rules {
                        assert!(
                            RULEBOOK.iter().any(|x| x.id == *rule),
                            "{} names rulebook rule {rule}, which does not exist",
                            r.id
                        );
                    }
                }
                Treatment::Recorded(what) | Treatment::NotModelled(what) => {
                    assert!(!what.trim().is_empty(), "{}", r.id);
                }
            }
        }
    }
}

#[test]
fn the_table_covers_every_section_of_the_2024_statement_that_bears_on_disclosures() {
    for section in ["§1", "§2", "§3", "§4", "§5", "§6"] {
        assert!(
            STATEMENT_RULES
                .iter()
                .any(|r| r.statement == Statement::Joint2024 && r.section == section),
            "no rule of the 2024 statement {section}"
        );
    }
    assert!(
        STATEMENT_RULES
            .iter()
            .any(|r| r.statement == Statement::Drcf2022)
    );
}

#[test]
fn policy_doc_statement_table_is_generated_from_the_code() {
    common::check_generated_section(
        "docs/POLICY.md",
        "STATEMENTS",
        &statements_markdown(),
        "cargo test --test statements",
    );
}

#[test]
fn the_statement_texts_carry_their_licence_note() {
    let note = fs::read_to_string(common::root().join("docs/sources/README.md")).unwrap();
    for s in [Statement::Joint2024, Statement::Drcf2022] {
        assert!(note.contains(s.source_file()), "{}", s.source_file());
    }
    assert!(note.contains("Open Government Licence"));
}
