//! Tamper tests: a copy of the sample ledger is altered the way an attacker with write access
//! to the file could alter it (through the storage engine, bypassing dledger). `verify` must
//! exit 2 and name the altered entry first.

mod common;

use std::path::Path;

use assert_cmd::Command;
use disclosure_ledger::codec::decode_entry;
use disclosure_ledger::hash::leaf_hash;
use disclosure_ledger::integrity::IntegrityKind;
use disclosure_ledger::keys::SecretKey;
use disclosure_ledger::model::Seq;
use disclosure_ledger::store::{Access, Store};
use disclosure_ledger::verify::{VerifyOptions, verify_store};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

// Table layout from docs/FORMAT.md, "The ledger file".
const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
const SIGNATURES: TableDefinition<u64, &[u8; 64]> = TableDefinition::new("signatures");
const HASHES: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("entry_hashes");

type Row = (Vec<u8>, [u8; 64], [u8; 32]);

fn read_row(db: &Database, k: u64) -> Row {
    let txn = db.begin_read().unwrap();
    let e = txn.open_table(ENTRIES).unwrap();
    let s = txn.open_table(SIGNATURES).unwrap();
    let h = txn.open_table(HASHES).unwrap();
    (
        e.get(k).unwrap().unwrap().value().to_vec(),
        *s.get(k).unwrap().unwrap().value(),
        *h.get(k).unwrap().unwrap().value(),
    )
}

fn write_row(db: &Database, k: u64, row: Option<&Row>) {
    let txn = db.begin_write().unwrap();
    {
        let mut e = txn.open_table(ENTRIES).unwrap();
        let mut s = txn.open_table(SIGNATURES).unwrap();
        let mut h = txn.open_table(HASHES).unwrap();
        match row {
            Some((bytes, sig, hash)) => {
                e.insert(k, bytes.as_slice()).unwrap();
                s.insert(k, sig).unwrap();
                h.insert(k, hash).unwrap();
            }
            None => {
                e.remove(k).unwrap();
                s.remove(k).unwrap();
                h.remove(k).unwrap();
            }
        }
    }
    txn.commit().unwrap();
}

/// Runs `dledger verify` and returns (exit code, stdout).
fn cli_verify(path: &Path) -> (i32, String) {
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("verify")
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// Asserts verification fails and the first failure is at `seq` with one of `kinds`.
fn assert_fails_at(path: &Path, seq: u64, kinds: &[IntegrityKind]) {
    let store = Store::open(path, Access::ReadOnly).unwrap();
    let report = verify_store(&store, &VerifyOptions::default())
        .unwrap()
        .report;
    drop(store);
    let first = report.failures.first().expect("tampering went unnoticed");
    assert_eq!(
        first.seq,
        Seq(seq),
        "first failure is elsewhere: {:#?}",
        report.failures
    );
    assert!(kinds.contains(&first.kind), "unexpected kind: {first:?}");
    let (code, stdout) = cli_verify(path);
    assert_eq!(code, 2, "{stdout}");
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert!(
        stdout.contains(&format!("#{seq} ")),
        "report does not name #{seq}:\n{stdout}"
    );
}

#[test]
fn untouched_copy_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    let (code, stdout) = cli_verify(&path);
    // Intact, with the sample's deliberate policy flags: exit 1.
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("INTACT"));
}

#[test]
fn flipped_byte_in_an_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    let db = Database::open(&path).unwrap();
    // A byte inside a disclosure's officer role text, deep in the entry.
    let (mut bytes, sig, hash) = read_row(&db, 120);
    let i = bytes.len() - 10;
    bytes[i] ^= 0x01;
    write_row(&db, 120, Some(&(bytes, sig, hash)));
    drop(db);
    assert_fails_at(&path, 120, &[IntegrityKind::HashMismatch]);
}

#[test]
fn flipped_byte_with_recomputed_hash() {
    // The attacker also rewrites the stored hash: the signature and the next link still catch it.
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    let db = Database::open(&path).unwrap();
    let (mut bytes, sig, _) = read_row(&db, 200);
    let i = bytes.len() - 3;
    bytes[i] ^= 0x20;
    let hash = leaf_hash(&bytes);
    write_row(&db, 200, Some(&(bytes, sig, hash)));
    drop(db);
    assert_fails_at(
        &path,
        200,
        &[
            IntegrityKind::BadSignature,
            IntegrityKind::Undecodable,
            IntegrityKind::TreeMismatch,
        ],
    );
    let store = Store::open(&path, Access::ReadOnly).unwrap();
    let report = verify_store(&store, &VerifyOptions::default())
        .unwrap()
        .report;
    assert!(
        report
            .failures
            .iter()
            .any(|f| f.seq == Seq(201) && f.kind == IntegrityKind::BrokenChain)
    );
}

#[test]
fn dropped_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    let db = Database::open(&path).unwrap();
    write_row(&db, 150, None);
    drop(db);
    // The gap is found at the next entry, whose report says #150 is missing.
    assert_fails_at(&path, 151, &[IntegrityKind::SequenceGap]);
    let (_, stdout) = cli_verify(&path);
    assert!(stdout.contains("expected entry #150 next"), "{stdout}");
}

#[test]
fn swapped_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    let db = Database::open(&path).unwrap();
    let a = read_row(&db, 90);
    let b = read_row(&db, 91);
    write_row(&db, 90, Some(&b));
    write_row(&db, 91, Some(&a));
    drop(db);
    assert_fails_at(
        &path,
        90,
        &[IntegrityKind::SequenceGap, IntegrityKind::BrokenChain],
    );
}

#[test]
fn replaced_signature() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let db = Database::open(&path).unwrap();
    let (bytes, _, hash) = read_row(&db, 60);
    // A genuine signature over the same bytes, but by the other party's key.
    let entry = decode_entry(&bytes).unwrap();
    let other = if entry.signer.party.as_str() == "ICO" {
        "ofcom-2024"
    } else {
        "ico-2024"
    };
    let sig = common::demo_key(&keys, other).sign_entry(&bytes);
    write_row(&db, 60, Some(&(bytes, sig, hash)));
    drop(db);
    assert_fails_at(&path, 60, &[IntegrityKind::BadSignature]);
}

#[test]
fn appended_entry_signed_by_unknown_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    let intruder = SecretKey::from_seed("intruder", &[9; 32]).unwrap();
    let n = common::append_forged(&path, "OFCOM", &intruder, "forged-theme");
    assert_fails_at(&path, n, &[IntegrityKind::UnknownKey]);
}

#[test]
fn entry_signed_with_revoked_key_after_revocation() {
    // ico-2024 was rotated out at the ICO's key rotation; an entry it signs afterwards fails,
    // while every entry it signed before stays valid.
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let old = common::demo_key(&keys, "ico-2024");
    let n = common::append_forged(&path, "ICO", &old, "late-theme");
    let store = Store::open(&path, Access::ReadOnly).unwrap();
    let report = verify_store(&store, &VerifyOptions::default())
        .unwrap()
        .report;
    assert_eq!(report.failures.len(), 1, "{:#?}", report.failures);
    assert_eq!(report.failures[0].seq, Seq(n));
    assert_eq!(report.failures[0].kind, IntegrityKind::KeyRevoked);
}

#[test]
fn changed_vault_value() {
    // The vault is outside the signed log, but every value in it is checked against its
    // entry's commitment.
    const VAULT: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("vault");
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    let db = Database::open(&path).unwrap();
    let txn = db.begin_write().unwrap();
    let seq = {
        let mut t = txn.open_table(VAULT).unwrap();
        let (seq, name, mut value) = {
            let mut it = t.range((100u64, "")..).unwrap();
            let (k, v) = it.next().unwrap().unwrap();
            (k.value().0, k.value().1.to_owned(), v.value().to_vec())
        };
        let last = value.len() - 1;
        value[last] ^= 0x01;
        t.insert((seq, name.as_str()), value.as_slice()).unwrap();
        seq
    };
    txn.commit().unwrap();
    drop(db);
    assert_fails_at(&path, seq, &[IntegrityKind::VaultMismatch]);
}

#[test]
fn changed_merkle_interior_hash() {
    const TREE: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("merkle_hashes");
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    // Entry #255 closes complete subtrees (255 = 0b11111111): its second stored hash is an
    // interior node of the tree.
    let index = disclosure_ledger::merkle::stored_hash_index(0, 255) + 1;
    let db = Database::open(&path).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut t = txn.open_table(TREE).unwrap();
        let mut h = *t.get(index).unwrap().unwrap().value();
        h[0] ^= 0xff;
        t.insert(index, &h).unwrap();
    }
    txn.commit().unwrap();
    drop(db);
    assert_fails_at(&path, 255, &[IntegrityKind::TreeMismatch]);
}
