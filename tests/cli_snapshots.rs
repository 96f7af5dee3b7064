//! CLI output pinned by readable snapshot files in tests/snapshots/. A reviewer reads a change
//! to a snapshot as a change to what people see. Regenerate with `UPDATE_SNAPSHOTS=1 cargo test
//! --test cli_snapshots` and review the diff.

mod common;

use std::fs;

use assert_cmd::Command;

fn snapshot(name: &str, args: &[&str], expected_code: i32) {
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .current_dir(common::root())
        .env_remove("DLEDGER_LEDGER")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(expected_code),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut actual = format!("$ dledger {}\n", args.join(" "));
    actual.push_str(&String::from_utf8(out.stdout).unwrap());
    let stderr = String::from_utf8(out.stderr).unwrap();
    if !stderr.is_empty() {
        actual.push_str("--- stderr ---\n");
        actual.push_str(&stderr);
    }
    let path = common::root()
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with UPDATE_SNAPSHOTS=1",
            path.display()
        )
    });
    if expected != actual {
        panic!(
            "{name}: output differs from {}\n--- expected ---\n{expected}\n--- actual ---\n{actual}",
            path.display()
        );
    }
}

#[test]
fn verify_sample() {
    // Acknowledgement deadlines are judged as of a fixed date so the report never drifts.
    snapshot(
        "verify_sample",
        &["verify", "fixtures/sample.ledger", "--as-of", "2026-01-31"],
        1,
    );
}

#[test]
fn verify_sample_only_one_flag() {
    snapshot(
        "verify_sample_only_not_mutual",
        &[
            "verify",
            "fixtures/sample.ledger",
            "--as-of",
            "2026-01-31",
            "--only",
            "not-mutual-interest",
        ],
        1,
    );
}

#[test]
fn explain_flag() {
    snapshot(
        "explain_not_mutual_interest",
        &["explain", "not-mutual-interest"],
        0,
    );
}

#[test]
fn policy_show() {
    snapshot(
        "policy_show_2025",
        &[
            "policy",
            "show",
            "-l",
            "fixtures/sample.ledger",
            "--at",
            "2025-08-01",
        ],
        0,
    );
}

#[test]
fn show_correction() {
    snapshot(
        "show_correction",
        &["show", "84", "-l", "fixtures/sample.ledger"],
        0,
    );
}

#[test]
fn show_genesis() {
    snapshot(
        "show_genesis",
        &["show", "0", "-l", "fixtures/sample.ledger"],
        0,
    );
}

#[test]
fn list_filtered() {
    snapshot(
        "list_brightloop_meetings",
        &[
            "list",
            "-l",
            "fixtures/sample.ledger",
            "--company",
            "brightloop",
            "--category",
            "stakeholder-meeting",
            "--from",
            "2024-01-01",
            "--to",
            "2024-06-30",
        ],
        0,
    );
}

#[test]
fn explain_broken_chain() {
    snapshot("explain_broken_chain", &["explain", "broken-chain"], 0);
}

#[test]
fn missing_ledger_error() {
    snapshot("error_missing_ledger", &["verify", "no-such.ledger"], 2);
}
