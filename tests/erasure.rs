//! Erasure is a recorded act (issue: a field labelled "erased" with any date was accepted, and a
//! lost vault row could not be told from an erased one). `vault erase` appends a signed erasure
//! entry and removes the values in the same transaction; in the file that holds the vault a
//! value missing without an erasure entry is `vault-missing`; a bundle may say "erased" only for
//! a field whose erasure entry it carries.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use disclosure_ledger::codec::decode_entry;
use disclosure_ledger::evidence::{CheckName, build_bundle, load_trust_dir, verify_bundle};
use disclosure_ledger::hash::sha256;
use disclosure_ledger::model::{Body, ErasedField, Erasure, Seq};
use disclosure_ledger::store::{Access, Store, StoreError};

fn dledger(path: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("dledger")
        .unwrap()
        .arg("-l")
        .arg(path)
        .args(args)
        .output()
        .unwrap()
}

struct Setup {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    path: PathBuf,
    keys: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_v2_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    Setup {
        dir: dir.path().to_owned(),
        _dir: dir,
        path,
        keys,
    }
}

impl Setup {
    fn key(&self, name: &str) -> String {
        self.keys.join(format!("{name}.key")).display().to_string()
    }

    /// The first ICO→OFCOM disclosure with values in the vault.
    fn disclosure_with_values(&self) -> (u64, Vec<String>) {
        let store = Store::open(&self.path, Access::ReadOnly).unwrap();
        let mut found = None;
        store
            .scan(0, None, |r| {
                if found.is_none()
                    && let Body::Disclosure(d) = decode_entry(&r.bytes).unwrap().body
                    && d.from.as_str() == "ICO"
                    && d.to.as_str() == "OFCOM"
                    && !d.fields.is_empty()
                {
                    found = Some((
                        r.key,
                        d.fields
                            .iter()
                            .map(|f| f.name.as_str().to_owned())
                            .collect(),
                    ));
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        found.unwrap()
    }
}

fn verify_text(path: &Path) -> (Option<i32>, String) {
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("verify")
        .arg(path)
        .output()
        .unwrap();
    (out.status.code(), common::output_text(&out))
}

#[test]
fn erasure_is_a_signed_entry_written_with_the_erasure() {
    let s = setup();
    let digest = || sha256(&fs::read(&s.path).unwrap());
    let before = digest();
    // A dry run writes nothing.
    let out = dledger(
        &s.path,
        &[
            "vault",
            "erase",
            "--before",
            "2024-06-01",
            "--key",
            &s.key("ico-2025"),
            "--dry-run",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));
    assert_eq!(digest(), before);
    // The erasure: one entry, signed by ICO, naming every value it removed.
    let out = dledger(
        &s.path,
        &[
            "vault",
            "erase",
            "--before",
            "2024-06-01",
            "--key",
            &s.key("ico-2025"),
        ],
    );
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let store = Store::open(&s.path, Access::ReadOnly).unwrap();
    let last = store.len().unwrap() - 1;
    let entry = decode_entry(&store.get(last).unwrap().unwrap().bytes).unwrap();
    let Body::Erasure(e) = &entry.body else {
        panic!("the last entry is {}", entry.body.kind());
    };
    assert_eq!(entry.signer.party.as_str(), "ICO");
    assert!(!e.fields.is_empty() && !e.retention_rule.is_empty());
    for f in &e.fields {
        assert!(
            store
                .vault_items(f.entry.0)
                .unwrap()
                .iter()
                .all(|(n, _)| n != f.field.as_str()),
            "{} of {} is still in the vault",
            f.field,
            f.entry
        );
    }
    drop(store);
    // The ledger verifies (flags aside), the vault complete as recorded.
    let (code, text) = verify_text(&s.path);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Integrity: INTACT"), "{text}");
}

#[test]
fn a_lost_vault_value_is_an_integrity_failure() {
    let s = setup();
    let (seq, _) = s.disclosure_with_values();
    // The row goes without an erasure entry (what a damaged file or a hand edit does).
    let store = Store::open(&s.path, Access::ReadWrite).unwrap();
    store.erase_vault(&[seq], 0).unwrap();
    drop(store);
    let (code, text) = verify_text(&s.path);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("vault-missing"), "{text}");
    assert!(text.contains(&format!("#{seq}")), "{text}");
}

#[test]
fn an_erasure_entry_whose_values_are_still_there_is_caught() {
    let s = setup();
    let (seq, fields) = s.disclosure_with_values();
    // Signed as an erasure, but the values were never removed.
    let key = common::demo_key(&s.keys, "ico-2025");
    let forged = common::append_body(
        &s.path,
        "ICO",
        &key,
        Body::Erasure(Erasure {
            fields: fields
                .iter()
                .map(|f| ErasedField {
                    entry: Seq(seq),
                    field: f.parse().unwrap(),
                })
                .collect(),
            retention_rule: "hand-made".into(),
            reason: "not carried out".into(),
        }),
    );
    let (code, text) = verify_text(&s.path);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("vault-mismatch") && text.contains(&format!("#{forged}")),
        "{text}"
    );
}

#[test]
fn a_party_cannot_erase_another_pairs_values() {
    let s = setup();
    let (seq, fields) = s.disclosure_with_values();
    // CMA is no party to an ICO→OFCOM disclosure.
    let key = common::demo_key(&s.keys, "cma-2024");
    common::append_body(
        &s.path,
        "CMA",
        &key,
        Body::Erasure(Erasure {
            fields: vec![ErasedField {
                entry: Seq(seq),
                field: fields[0].parse().unwrap(),
            }],
            retention_rule: "none".into(),
            reason: "overreach".into(),
        }),
    );
    let (code, text) = verify_text(&s.path);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("erasure-parts"), "{text}");
}

#[test]
fn a_copy_without_values_says_so_and_is_not_failed() {
    let s = setup();
    let export = s.dir.join("x.jsonl");
    let out = dledger(&s.path, &["export", "-o", export.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));
    let copy = s.dir.join("copy.ledger");
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .args(["import"])
        .arg(&export)
        .arg(&copy)
        .output()
        .unwrap();
    let text = common::output_text(&out);
    assert!(out.status.code() != Some(2), "{text}");
    let (code, text) = verify_text(&copy);
    assert_ne!(code, Some(2), "{text}");
    assert!(text.contains("this copy holds no field values"), "{text}");
    assert!(!text.contains("vault-missing"), "{text}");
}

#[test]
fn a_bundle_may_say_erased_only_with_the_erasure_entry() {
    let s = setup();
    let (seq, _) = s.disclosure_with_values();
    // An honest erasure, then a cosigned checkpoint: the bundle carries the erasure entry.
    let out = dledger(
        &s.path,
        &[
            "vault",
            "erase",
            "--before",
            "2024-06-01",
            "--key",
            &s.key("ico-2025"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));
    let note = s.dir.join("cp.note");
    let out = dledger(
        &s.path,
        &[
            "checkpoint",
            "--key",
            &s.key("ico-2025"),
            "-o",
            note.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));
    let out = dledger(
        &s.path,
        &[
            "cosign",
            "--key",
            &s.key("ofcom-2024"),
            note.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));
    let store = Store::open(&s.path, Access::ReadOnly).unwrap();
    let trusted = load_trust_dir(&common::root().join("keys")).unwrap();
    let erased_bundle = s.dir.join("erased");
    build_bundle(&store, Seq(seq), &[])
        .unwrap()
        .write(&erased_bundle)
        .unwrap();
    let report = verify_bundle(&erased_bundle, &trusted).unwrap();
    assert!(report.ok, "{:#?}", report.checks);
    assert!(report.fields.iter().any(|f| f.status == "erased"));

    // Another disclosure, whose values are still held: an expert labels one "erased".
    let mut other = None;
    store
        .scan(0, None, |r| {
            if other.is_none()
                && let Body::Disclosure(d) = decode_entry(&r.bytes).unwrap().body
                && !d.fields.is_empty()
                && !store.vault_items(r.key).unwrap().is_empty()
                && r.key < 400
            {
                other = Some((r.key, d.fields[0].clone()));
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let (other, field) = other.unwrap();
    let bundle = s.dir.join("unbacked");
    build_bundle(&store, Seq(other), &[])
        .unwrap()
        .write(&bundle)
        .unwrap();
    let openings = serde_json::json!({
        "entry": other,
        "fields": [{
            "status": "erased",
            "name": field.name.as_str(),
            "commitment": hex::encode(field.commitment),
            "erased_at": "2025-01-01T00:00:00Z",
        }],
    });
    fs::write(
        bundle.join("openings.json"),
        serde_json::to_vec_pretty(&openings).unwrap(),
    )
    .unwrap();
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    for f in manifest["files"].as_array_mut().unwrap() {
        let bytes = fs::read(bundle.join(f["path"].as_str().unwrap())).unwrap();
        f["bytes"] = bytes.len().into();
        f["sha256"] = hex::encode(sha256(&bytes)).into();
    }
    fs::write(
        bundle.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    let report = verify_bundle(&bundle, &trusted).unwrap();
    assert!(!report.ok);
    assert!(
        report
            .checks
            .iter()
            .any(|c| c.name == CheckName::FieldOpening && !c.ok && c.detail.contains("unbacked")),
        "{:#?}",
        report.checks
    );
}
