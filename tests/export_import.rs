//! Export → import → export round-trips exactly, and a tampered export is refused.

mod common;

use std::fs;

use assert_cmd::Command;

fn dledger() -> Command {
    Command::cargo_bin("dledger").unwrap()
}

/// `dledger export -l LEDGER -o OUT`, which must succeed.
fn export_to(ledger: impl AsRef<std::path::Path>, out: impl AsRef<std::path::Path>) {
    dledger()
        .args(["export", "-l"])
        .arg(ledger.as_ref())
        .arg("-o")
        .arg(out.as_ref())
        .assert()
        .success();
}

#[test]
fn export_import_round_trip_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.jsonl");
    let copy = dir.path().join("copy.ledger");
    let second = dir.path().join("second.jsonl");
    export_to(common::sample_ledger(), &first);
    dledger()
        .arg("import")
        .arg(&first)
        .arg(&copy)
        .assert()
        .success();
    export_to(&copy, &second);
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
    export_to(common::sample_ledger(), &export);
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

/// An export carries everything signed — entries and every stored checkpoint with its
/// cosignatures — so evidence can be made from the copy; field values only when asked
/// (`--with-values`, owner-only, never to standard output), and the copy then holds them.
#[test]
fn checkpoints_and_asked_for_values_round_trip() {
    use disclosure_ledger::store::{Access, Store};
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let source = common::sample_v2_ledger();
    let plain = dir.path().join("plain.jsonl");
    let valued = dir.path().join("valued.jsonl");
    export_to(&source, &plain);
    let out = dledger()
        .args(["export", "--with-values", "-l"])
        .arg(&source)
        .arg("-o")
        .arg(&valued)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::output_text(&out));
    assert_eq!(
        fs::metadata(&valued).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Never to standard output.
    let out = dledger()
        .args(["export", "--with-values", "-l"])
        .arg(&source)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("-o FILE"));

    let original = Store::open(&source, Access::ReadOnly).unwrap();
    for (export, holds_values) in [(&plain, false), (&valued, true)] {
        let copy = dir.path().join(format!("copy-{holds_values}.ledger"));
        let out = dledger()
            .arg("import")
            .arg(export)
            .arg(&copy)
            .output()
            .unwrap();
        let text = common::output_text(&out);
        assert!(out.status.success(), "{text}");
        assert!(text.contains("24 checkpoints"), "{text}");
        let store = Store::open(&copy, Access::ReadOnly).unwrap();
        // Every checkpoint note, cosignatures included, byte for byte.
        assert_eq!(
            store.checkpoints().unwrap(),
            original.checkpoints().unwrap()
        );
        // The field values: all of them, or none and the copy says so.
        let mut values = Vec::new();
        store
            .scan(0, None, |r| {
                values.push(r.vault().unwrap());
                Ok::<_, disclosure_ledger::store::StoreError>(())
            })
            .unwrap();
        let mut originals = Vec::new();
        original
            .scan(0, None, |r| {
                originals.push(r.vault().unwrap());
                Ok::<_, disclosure_ledger::store::StoreError>(())
            })
            .unwrap();
        if holds_values {
            assert_eq!(values, originals);
        } else {
            assert!(values.iter().all(Vec::is_empty));
        }
        assert_eq!(store.vault_held().unwrap(), Some(holds_values));
        drop(store);
        let verify = dledger().arg("verify").arg(&copy).output().unwrap();
        let report = common::output_text(&verify);
        assert_eq!(verify.status.code(), Some(1), "{report}");
        assert!(report.contains("latest cosigned: size 485"), "{report}");
        // Evidence from the copy, at its cosigned checkpoint, checks against the demo keys.
        let bundle = dir.path().join(format!("bundle-{holds_values}"));
        let out = dledger()
            .arg("-l")
            .arg(&copy)
            .args(["evidence", "41", "-o"])
            .arg(&bundle)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", common::output_text(&out));
        let out = dledger()
            .arg("verify-evidence")
            .arg(&bundle)
            .arg("--trust")
            .arg(common::root().join("keys"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", common::output_text(&out));
    }
}

/// A changed checkpoint line (here, a cosignature's timestamp) is refused like a changed entry.
#[test]
fn a_damaged_checkpoint_line_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("x.jsonl");
    export_to(common::sample_v2_ledger(), &export);
    let text = fs::read_to_string(&export).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("{\"checkpoint\":"))
        .expect("the export has checkpoint lines");
    let at = line.find("ofcom-2024 ").expect("a cosignature") + "ofcom-2024 ".len() + 10;
    let mut changed = line.as_bytes().to_vec();
    changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
    let damaged = dir.path().join("damaged.jsonl");
    fs::write(
        &damaged,
        text.replacen(line, std::str::from_utf8(&changed).unwrap(), 1),
    )
    .unwrap();
    let copy = dir.path().join("copy.ledger");
    let out = dledger()
        .arg("import")
        .arg(&damaged)
        .arg(&copy)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad-checkpoint"),
        "{}",
        common::output_text(&out)
    );
    assert!(!copy.exists());
}

/// Exports made before checkpoints were exported (format version 1) still import.
#[test]
fn a_version_1_export_still_imports() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("x.jsonl");
    export_to(common::sample_ledger(), &export);
    let text = fs::read_to_string(&export).unwrap();
    let mut lines = text.lines();
    let mut header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["version"], 2);
    header["version"] = 1.into();
    let h = header.as_object_mut().unwrap();
    h.remove("checkpoints");
    h.remove("values");
    let v1: Vec<String> = std::iter::once(header.to_string())
        .chain(
            lines
                .filter(|l| !l.starts_with("{\"checkpoint\":"))
                .map(str::to_owned),
        )
        .collect();
    let old = dir.path().join("v1.jsonl");
    fs::write(&old, v1.join("\n") + "\n").unwrap();
    let copy = dir.path().join("copy.ledger");
    let out = dledger()
        .arg("import")
        .arg(&old)
        .arg(&copy)
        .output()
        .unwrap();
    let text = common::output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("Imported 453 entries and 0 checkpoints"),
        "{text}"
    );
}
