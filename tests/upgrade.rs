//! Ledger files of store version 1: this build refuses to open them, with a message naming
//! `dledger upgrade`, which converts a copy into the current layout with every entry,
//! signature, vault value, erasure record and checkpoint unchanged, and refuses a file whose
//! stored hashes disagree with its entries. The version-1 file is `fixtures/store-v1/`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use disclosure_ledger::store::{Access, OpenError, STORE_VERSION, Store};
use disclosure_ledger::upgrade::{UpgradeError, upgrade};
use disclosure_ledger::verify::{FlagFilter, IntegrityStatus, VerifyOptions, verify_ledger};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

// The version-1 layout, from docs/FORMAT.md §15.
const V1_ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
const V1_SIGNATURES: TableDefinition<u64, &[u8; 64]> = TableDefinition::new("signatures");
const V1_HASHES: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("entry_hashes");
const V1_VAULT: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("vault");
const VAULT_ERASED: TableDefinition<(u64, &str), i64> = TableDefinition::new("vault_erased");
const CHECKPOINTS: TableDefinition<u64, &[u8]> = TableDefinition::new("checkpoints");

fn fixture() -> PathBuf {
    common::root().join("fixtures/store-v1/generated-40.ledger")
}

/// A writable copy of the version-1 fixture in `dir`.
fn v1_copy(dir: &Path) -> PathBuf {
    let path = dir.join("old.ledger");
    fs::copy(fixture(), &path).unwrap();
    path
}

/// Everything authoritative in a version-1 file, read with redb directly.
#[derive(Debug, PartialEq)]
struct Contents {
    entries: Vec<(u64, Vec<u8>, [u8; 64])>,
    vault: Vec<(u64, String, Vec<u8>)>,
    erased: Vec<(u64, String, i64)>,
    checkpoints: Vec<(u64, Vec<u8>)>,
}

fn read_v1(path: &Path) -> Contents {
    let db = redb::Builder::new().open_read_only(path).unwrap();
    let txn = db.begin_read().unwrap();
    let sigs = txn.open_table(V1_SIGNATURES).unwrap();
    let entries = txn
        .open_table(V1_ENTRIES)
        .unwrap()
        .iter()
        .unwrap()
        .map(|r| {
            let (k, v) = r.unwrap();
            let sig = *sigs.get(k.value()).unwrap().unwrap().value();
            (k.value(), v.value().to_vec(), sig)
        })
        .collect();
    let vault = txn
        .open_table(V1_VAULT)
        .unwrap()
        .iter()
        .unwrap()
        .map(|r| {
            let (k, v) = r.unwrap();
            (k.value().0, k.value().1.to_owned(), v.value().to_vec())
        })
        .collect();
    let erased = txn
        .open_table(VAULT_ERASED)
        .unwrap()
        .iter()
        .unwrap()
        .map(|r| {
            let (k, v) = r.unwrap();
            (k.value().0, k.value().1.to_owned(), v.value())
        })
        .collect();
    let checkpoints = txn
        .open_table(CHECKPOINTS)
        .unwrap()
        .iter()
        .unwrap()
        .map(|r| {
            let (k, v) = r.unwrap();
            (k.value(), v.value().to_vec())
        })
        .collect();
    Contents {
        entries,
        vault,
        erased,
        checkpoints,
    }
}

/// The same, read from a current ledger through the store.
fn read_current(path: &Path) -> Contents {
    let store = Store::open(path, Access::ReadOnly).unwrap();
    let mut c = Contents {
        entries: Vec::new(),
        vault: Vec::new(),
        erased: Vec::new(),
        checkpoints: store.checkpoints().unwrap(),
    };
    store
        .scan(0, None, |r| {
            let vault = r.vault().unwrap();
            c.entries.push((r.key, r.bytes, r.signature.unwrap()));
            for (name, item) in vault {
                c.vault.push((r.key, name, item));
            }
            for (name, at) in store.vault_erased(r.key).unwrap() {
                c.erased.push((r.key, name, at));
            }
            Ok::<_, disclosure_ledger::store::StoreError>(())
        })
        .unwrap();
    // Version 1 ordered the vault by (seq, name), as does the converted row.
    c.vault.sort();
    c
}

#[test]
fn a_version_1_file_is_refused_with_directions() {
    let dir = tempfile::tempdir().unwrap();
    let old = v1_copy(dir.path());
    let before = fs::read(&old).unwrap();
    for access in [Access::ReadOnly, Access::ReadWrite] {
        match Store::open(&old, access) {
            Err(OpenError::OlderVersion { found: 1, .. }) => {}
            other => panic!("{access:?}: {:?}", other.map(|_| ())),
        }
    }
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("verify")
        .arg(&old)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("store version 1"), "{stderr}");
    assert!(
        stderr.contains(&format!("dledger upgrade {}", old.display())),
        "{stderr}"
    );
    assert_eq!(
        fs::read(&old).unwrap(),
        before,
        "a refused open changed the file"
    );
}

#[test]
fn upgrade_copies_everything_and_leaves_the_old_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let old = v1_copy(dir.path());
    let new = dir.path().join("new.ledger");
    let expected = read_v1(&old);
    let before = fs::read(&old).unwrap();
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("upgrade")
        .arg(&old)
        .arg(&new)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("store version {STORE_VERSION}"))
            && stdout.contains("40 entries, 8 vault values, 12 erasure records, 5 checkpoints"),
        "{stdout}"
    );
    assert_eq!(fs::read(&old).unwrap(), before, "the old file changed");
    assert_eq!(read_current(&new), expected);
    let store = Store::open(&new, Access::ReadOnly).unwrap();
    let report = verify_ledger(&store, &VerifyOptions::default(), &FlagFilter::default())
        .unwrap()
        .integrity;
    assert_eq!(
        report.status,
        IntegrityStatus::Intact,
        "{:#?}",
        report.failures
    );
    assert_eq!(report.checkpoints.len(), 5);
    assert_eq!(report.latest_cosigned_size, Some(40));
    // The root the old build reported for this file.
    assert_eq!(
        report.root.as_deref(),
        Some("94ff9a8acab7577a0880205f2fb59c828e519c62445363af456deefe938a447a")
    );
}

#[test]
fn upgrade_refuses_what_it_cannot_convert() {
    let dir = tempfile::tempdir().unwrap();
    let old = v1_copy(dir.path());
    let new = dir.path().join("new.ledger");

    // The target exists: nothing is touched.
    fs::write(&new, b"keep me").unwrap();
    assert!(matches!(upgrade(&old, &new), Err(UpgradeError::Convert(_))));
    assert_eq!(fs::read(&new).unwrap(), b"keep me");
    fs::remove_file(&new).unwrap();

    // Already in the current layout.
    let current = common::sample_copy(dir.path());
    let err = upgrade(&current, &new).unwrap_err();
    assert!(
        err.to_string().contains("already in the current layout"),
        "{err}"
    );
    assert!(!new.exists());

    // Not a ledger.
    let text = dir.path().join("notes.txt");
    fs::write(&text, "not a ledger").unwrap();
    assert!(upgrade(&text, &new).is_err());
    assert!(!new.exists());
}

/// Rewrites one row of a version-1 table of `path`.
fn alter_v1(path: &Path, f: impl FnOnce(&redb::WriteTransaction)) {
    let db = redb::Database::open(path).unwrap();
    let txn = db.begin_write().unwrap();
    f(&txn);
    txn.commit().unwrap();
}

#[test]
fn upgrade_refuses_a_damaged_version_1_file() {
    // (name, damage, what the error must say)
    type Damage = fn(&redb::WriteTransaction);
    let cases: [(&str, Damage, &str); 4] = [
        (
            "stored entry hash changed",
            |txn| {
                let mut t = txn.open_table(V1_HASHES).unwrap();
                t.insert(17, &[7u8; 32]).unwrap();
            },
            "entry #17 has a stored entry hash that is not the hash of its bytes",
        ),
        (
            "entry bytes changed",
            |txn| {
                let mut t = txn.open_table(V1_ENTRIES).unwrap();
                let mut bytes = t.get(9).unwrap().unwrap().value().to_vec();
                let last = bytes.len() - 1;
                bytes[last] ^= 1;
                t.insert(9, bytes.as_slice()).unwrap();
            },
            "entry #9 has a stored entry hash",
        ),
        (
            "signature missing",
            |txn| {
                let mut t = txn.open_table(V1_SIGNATURES).unwrap();
                t.remove(30).unwrap();
            },
            "entry #30 has no stored signature",
        ),
        (
            "Merkle hash changed",
            |txn| {
                const TREE: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("merkle_hashes");
                let mut t = txn.open_table(TREE).unwrap();
                // Entry #31 closes the subtree of level 5 over entries 0 to 31.
                let i = tlog::stored_hash_index(5, 0);
                t.insert(i, &[1u8; 32]).unwrap();
            },
            "entry #31 has a Merkle hash",
        ),
    ];
    for (name, damage, says) in cases {
        let dir = tempfile::tempdir().unwrap();
        let old = v1_copy(dir.path());
        alter_v1(&old, damage);
        let new = dir.path().join("new.ledger");
        let err = upgrade(&old, &new).expect_err(name);
        assert!(err.to_string().contains(says), "{name}: {err}");
        assert!(!new.exists(), "{name}: the new file was left behind");
    }
}

#[test]
fn upgrade_refuses_a_version_1_ledger_that_does_not_verify() {
    // A replaced signature leaves every stored hash consistent: the conversion goes through,
    // and the verification of the result refuses it.
    let dir = tempfile::tempdir().unwrap();
    let old = v1_copy(dir.path());
    alter_v1(&old, |txn| {
        let mut t = txn.open_table(V1_SIGNATURES).unwrap();
        t.insert(12, &[3u8; 64]).unwrap();
    });
    let new = dir.path().join("new.ledger");
    let err = upgrade(&old, &new).unwrap_err();
    assert!(
        matches!(err, UpgradeError::Invalid { .. }) && err.to_string().contains("#12"),
        "{err}"
    );
    assert!(!new.exists());
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("upgrade")
        .arg(&old)
        .arg(&new)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!new.exists());
}
