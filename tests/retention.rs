//! Retention periods from the policy (issue 15): `vault erase --by-policy` erases the field
//! values of the disclosures whose category's retention period, in the policy in force on their
//! date, has ended — and nothing else; `--dry-run` writes nothing; the ledger still verifies.

mod common;

use std::collections::BTreeMap;

use assert_cmd::Command;
use disclosure_ledger::codec::decode_entry;
use disclosure_ledger::ledger::{Ledger, policy_document};
use disclosure_ledger::model::{Body, CategoryKind, PartyId, Timestamp};
use disclosure_ledger::policy::{DEFAULT_POLICY, Policy};
use disclosure_ledger::store::{Access, Store, StoreError};

const KEEP_MEETINGS_DAYS: u32 = 400;

/// The sample (format 2) with a policy, in force from its start, that keeps stakeholder
/// meetings' values for 400 days.
fn ledger_with_retention(dir: &std::path::Path) -> std::path::PathBuf {
    let path = common::sample_v2_copy(dir);
    let keys = common::demo_keys_in(dir);
    let (ico, ofcom, cma) = (
        common::demo_key(&keys, "ico-2025"),
        common::demo_key(&keys, "ofcom-2024"),
        common::demo_key(&keys, "cma-2024"),
    );
    let text = DEFAULT_POLICY.replace(
        "# \"any relevant Collaboration Theme(s)\": a theme is allowed, not required.\n",
        &format!("retain_values_days = {KEEP_MEETINGS_DAYS}\n"),
    );
    let policy = Policy::parse(&text).unwrap();
    assert_eq!(
        policy
            .category(CategoryKind::StakeholderMeeting)
            .retain_values_days,
        Some(KEEP_MEETINGS_DAYS)
    );
    let doc = policy_document("retention", Timestamp::parse("2024-01-01").unwrap(), &text);
    let now = Timestamp::now();
    let mut ledger = Ledger::open(&path).unwrap();
    let proposal = ledger
        .append(Body::PolicyAdopted(doc).into(), &ico, now)
        .unwrap()
        .seq;
    // A policy binds the parties of the policy in force (the sample's three-party policy)
    // and its own: each other one confirms it.
    for (party, key) in [("OFCOM", &ofcom), ("CMA", &cma)] {
        let p = ledger
            .prepare_confirmation(proposal, &PartyId::new(party).unwrap(), None, now)
            .unwrap();
        ledger.append(p, key, now).unwrap();
    }
    path
}

/// Each disclosure's category, date and whether the vault still holds its values.
fn vault_state(path: &std::path::Path) -> BTreeMap<u64, (CategoryKind, Timestamp, bool)> {
    let store = Store::open(path, Access::ReadOnly).unwrap();
    let mut out = BTreeMap::new();
    store
        .scan(0, None, |r| {
            if let Some(d) = decode_entry(&r.bytes).unwrap().body.disclosure() {
                let held = !store.vault_items(r.key).unwrap().is_empty();
                out.insert(r.key, (d.category.kind(), d.disclosed_at, held));
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
    out
}

fn dledger(path: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("dledger")
        .unwrap()
        .arg("-l")
        .arg(path)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn erase_by_policy_erases_what_the_policy_no_longer_keeps_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_with_retention(dir.path());
    let before = vault_state(&path);
    let digest = || disclosure_ledger::hash::sha256(&std::fs::read(&path).unwrap());

    let cutoff = Timestamp::now().plus_seconds(-i64::from(KEEP_MEETINGS_DAYS) * 86_400);
    let due: Vec<u64> = before
        .iter()
        .filter(|(_, (kind, at, held))| {
            *kind == CategoryKind::StakeholderMeeting && *at < cutoff && *held
        })
        .map(|(seq, _)| *seq)
        .collect();
    assert!(
        !due.is_empty(),
        "the sample has meetings older than the period"
    );

    // A dry run lists them and writes nothing.
    let unchanged = digest();
    let key = |name: &str| {
        dir.path()
            .join(format!("keys/{name}.key"))
            .display()
            .to_string()
    };
    let (ico, ofcom) = (key("ico-2025"), key("ofcom-2024"));
    let out = dledger(
        &path,
        &["vault", "erase", "--by-policy", "--dry-run", "--key", &ico],
    );
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("Dry run") && text.contains("nothing was written"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "kept {KEEP_MEETINGS_DAYS} days under policy \"retention\""
        )),
        "{text}"
    );
    assert_eq!(unchanged, digest(), "a dry run changed the ledger");

    // Each regulator erases the values of the disclosures it is a party to, each erasure a
    // signed entry; between them, every due disclosure.
    for k in [&ico, &ofcom] {
        let out = dledger(&path, &["vault", "erase", "--by-policy", "--key", k]);
        let text = common::output_text(&out);
        assert_eq!(out.status.code(), Some(0), "{text}");
    }
    let after = vault_state(&path);
    for (seq, (kind, at, held)) in &after {
        let was_held = before[seq].2;
        if due.contains(seq) {
            assert!(!held, "#{seq} ({kind}, {at}) should have been erased");
        } else {
            assert_eq!(
                *held, was_held,
                "#{seq} ({kind}, {at}) is not due and must keep its values"
            );
        }
    }
    // Meetings inside the period, and every other category, kept their values.
    assert!(after.values().any(|(kind, at, held)| {
        *kind == CategoryKind::StakeholderMeeting && *at >= cutoff && *held
    }));
    assert!(
        after
            .values()
            .any(|(kind, _, held)| *kind != CategoryKind::StakeholderMeeting && *held)
    );
    // Nothing signed changed: the ledger verifies as before (exit 1: the sample's flags).
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", common::output_text(&out));
}

#[test]
fn a_retention_period_needs_schema_2_and_at_least_a_day() {
    let zero = DEFAULT_POLICY.replace(
        "# \"any relevant Collaboration Theme(s)\": a theme is allowed, not required.\n",
        "retain_values_days = 0\n",
    );
    let e = Policy::parse(&zero).unwrap_err().to_string();
    assert!(e.contains("at least one day"), "{e}");
    let old = DEFAULT_POLICY.replace("schema = 2", "schema = 1").replace(
        "# \"any relevant Collaboration Theme(s)\": a theme is allowed, not required.\n",
        "retain_values_days = 30\n",
    );
    let e = Policy::parse(&old).unwrap_err().to_string();
    assert!(e.contains("need schema = 2"), "{e}");
}
