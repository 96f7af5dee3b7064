//! The `dledger-verify-evidence` binary on a real bundle: the one under
//! `fixtures/evidence/bundle-42` (made by `dledger evidence 42 --open
//! request_date,response_deadline` from the sample ledger) against the published keys in `keys/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dledger-verify-evidence"))
        .args(args)
        .output()
        .expect("the verifier runs")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for item in std::fs::read_dir(from).unwrap() {
        let item = item.unwrap();
        let target = to.join(item.file_name());
        if item.file_type().unwrap().is_dir() {
            copy_dir(&item.path(), &target);
        } else {
            std::fs::copy(item.path(), target).unwrap();
        }
    }
}

#[test]
fn the_sample_bundle_verifies_against_the_published_keys() {
    let bundle = repo().join("fixtures/evidence/bundle-42");
    let keys = repo().join("keys");
    let out = run(&[bundle.to_str().unwrap(), "--trust", keys.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Result: VERIFIED"), "{text}");
    assert!(
        text.contains("request_date"),
        "the opened field is reported: {text}"
    );

    let json = run(&[
        bundle.to_str().unwrap(),
        "--trust",
        keys.to_str().unwrap(),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON report");
    assert_eq!(report["ok"], serde_json::Value::Bool(true));
    assert_eq!(report["target"], serde_json::json!(42), "{report}");
}

#[test]
fn a_changed_entry_fails_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    copy_dir(&repo().join("fixtures/evidence/bundle-42"), &bundle);
    let entry = bundle.join("entries/42.bin");
    let mut bytes = std::fs::read(&entry).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&entry, bytes).unwrap();
    let keys = repo().join("keys");
    let out = run(&[bundle.to_str().unwrap(), "--trust", keys.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("Result: FAILED"), "{text}");
}

#[test]
fn wrong_trust_roots_fail() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    // A well-formed key that is not one of the sample's parties (the C2SP spec's example).
    std::fs::write(
        keys.join("peter.vkey"),
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
    )
    .unwrap();
    let bundle = repo().join("fixtures/evidence/bundle-42");
    let out = run(&[bundle.to_str().unwrap(), "--trust", keys.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("trust-roots"));
}

#[test]
fn usage_errors_say_what_is_missing() {
    let out = run(&["bundle-42"]);
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--trust KEYS_DIR is required"), "{err}");
    let out = run(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Example:"));
    let out = run(&["nowhere", "--trust", "nowhere-either"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}
