//! Export → import → export round-trips exactly, and a tampered export is refused.

mod common;

use std::fs;

use assert_cmd::Command;

fn dledger() -> Command {
    Command::cargo_bin("dledger").unwrap()
}

#[test]
fn export_import_round_trip_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.jsonl");
    let copy = dir.path().join("copy.ledger");
    let second = dir.path().join("second.jsonl");
    dledger()
        .args(["export", "-l"])
        .arg(common::sample_ledger())
        .arg("-o")
        .arg(&first)
        .assert()
        .success();
    dledger()
        .arg("import")
        .arg(&first)
        .arg(&copy)
        .assert()
        .success();
    dledger()
        .args(["export", "-l"])
        .arg(&copy)
        .arg("-o")
        .arg(&second)
        .assert()
        .success();
    let a = fs::read(&first).unwrap();
    let b = fs::read(&second).unwrap();
    assert!(a == b, "exports differ after a round trip");
    let lines = a.iter().filter(|&&c| c == b'\n').count();
    assert!(lines > 300, "only {lines} lines exported");
    dledger().arg("verify").arg(&copy).assert().code(1);
}

#[test]
fn tampered_exports_are_refused_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("x.jsonl");
    dledger()
        .args(["export", "-l"])
        .arg(common::sample_ledger())
        .arg("-o")
        .arg(&export)
        .assert()
        .success();
    let text = fs::read_to_string(&export).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut cases: Vec<(&str, String, &str)> = Vec::new();
    // Drop an entry line.
    let mut dropped = lines.clone();
    dropped.remove(50);
    cases.push(("dropped line", dropped.join("\n") + "\n", "out of order"));
    // Truncate.
    cases.push(("truncated", lines[..100].join("\n") + "\n", "truncated"));
    // Swap two entry lines.
    let mut swapped = lines.clone();
    swapped.swap(60, 61);
    cases.push(("swapped lines", swapped.join("\n") + "\n", "out of order"));
    // Change the hash field so it no longer matches the bytes.
    let mut bad_hash = lines.clone();
    let l = bad_hash[70].replacen("\"hash\":\"", "\"hash\":\"00", 1);
    bad_hash[70] = &l;
    cases.push((
        "wrong hash",
        bad_hash.join("\n") + "\n",
        "does not match the entry bytes",
    ));
    // Replace one signature with another entry's signature (hash still matches).
    let sig_of = |line: &str| {
        line.split("\"signature\":\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    let mut bad_sig = lines.clone();
    let l = bad_sig[80].replace(&sig_of(lines[80]), &sig_of(lines[81]));
    bad_sig[80] = &l;
    cases.push((
        "replaced signature",
        bad_sig.join("\n") + "\n",
        "fails verification",
    ));
    // Not an export at all.
    cases.push(("not an export", "hello\n".into(), "not an export header"));
    for (name, content, expect) in cases {
        let input = dir.path().join(format!("{}.jsonl", name.replace(' ', "-")));
        let target = dir
            .path()
            .join(format!("{}.ledger", name.replace(' ', "-")));
        fs::write(&input, content).unwrap();
        let out = dledger()
            .arg("import")
            .arg(&input)
            .arg(&target)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(expect),
            "{name}: expected {expect:?} in {stderr}"
        );
        assert!(!target.exists(), "{name}: a partial ledger was left behind");
    }
}
