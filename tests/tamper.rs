//! Tamper tests: a copy of the sample ledger is altered the way an attacker with write access
//! to the file could alter it (through the storage engine, bypassing dledger). `verify` must
//! exit 2 and name the altered entry first.

mod common;

use std::path::Path;

use assert_cmd::Command;
use disclosure_ledger::codec::decode_entry;
use disclosure_ledger::integrity::IntegrityKind;
use disclosure_ledger::keys::SecretKey;
use disclosure_ledger::model::Seq;
use disclosure_ledger::store::{Access, Store};
use disclosure_ledger::verify::{VerifyOptions, verify_store};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

// Table layout from docs/FORMAT.md, "The ledger file" (store version 2). The row encodings
// below are written from that page, not taken from the store.
const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
const VAULT: TableDefinition<u64, &[u8]> = TableDefinition::new("vault");

/// An entry row: the signature, then the entry bytes with each run of zero bytes written as
/// `00 n` (at most 255 a token).
fn pack(signature: &[u8; 64], bytes: &[u8]) -> Vec<u8> {
    let mut row = signature.to_vec();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0 {
            let n = bytes[i..].iter().take(255).take_while(|&&b| b == 0).count();
            row.extend_from_slice(&[0, n as u8]);
            i += n;
        } else {
            row.push(bytes[i]);
            i += 1;
        }
    }
    row
}

/// The inverse of [`pack`], for rows known to be well formed.
fn unpack(row: &[u8]) -> ([u8; 64], Vec<u8>) {
    let signature: [u8; 64] = row[..64].try_into().unwrap();
    let mut bytes = Vec::new();
    let mut it = row[64..].iter();
    while let Some(&b) = it.next() {
        if b == 0 {
            bytes.resize(bytes.len() + usize::from(*it.next().unwrap()), 0);
        } else {
            bytes.push(b);
        }
    }
    (signature, bytes)
}

/// A stored row as it is in the file.
fn read_raw(db: &Database, k: u64) -> Vec<u8> {
    let txn = db.begin_read().unwrap();
    let e = txn.open_table(ENTRIES).unwrap();
    e.get(k).unwrap().unwrap().value().to_vec()
}

/// Replaces (or, with `None`, removes) a stored row.
fn write_raw(db: &Database, k: u64, row: Option<&[u8]>) {
    let txn = db.begin_write().unwrap();
    {
        let mut e = txn.open_table(ENTRIES).unwrap();
        match row {
            Some(row) => {
                e.insert(k, row).unwrap();
            }
            None => {
                e.remove(k).unwrap();
            }
        }
    }
    txn.commit().unwrap();
}

type Row = (Vec<u8>, [u8; 64]);

fn read_row(db: &Database, k: u64) -> Row {
    let (sig, bytes) = unpack(&read_raw(db, k));
    (bytes, sig)
}

fn write_row(db: &Database, k: u64, row: Option<&Row>) {
    let packed = row.map(|(bytes, sig)| pack(sig, bytes));
    write_raw(db, k, packed.as_deref());
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
fn pack_matches_the_store() {
    // The encoding above reads every row of the sample back to bytes the store agrees with.
    let path = common::sample_ledger();
    let store = Store::open(&path, Access::ReadOnly).unwrap();
    let mut records = Vec::new();
    store
        .scan(0, None, |r| {
            records.push(r);
            Ok::<_, disclosure_ledger::store::StoreError>(())
        })
        .unwrap();
    drop(store);
    let dir = tempfile::tempdir().unwrap();
    let copy = common::sample_copy(dir.path());
    let db = Database::open(&copy).unwrap();
    for r in records {
        let raw = read_raw(&db, r.key);
        assert_eq!(raw, pack(&r.signature.unwrap(), &r.bytes), "row {}", r.key);
        assert_eq!(read_row(&db, r.key), (r.bytes, r.signature.unwrap()));
    }
}

#[test]
fn flipped_byte_in_an_entry() {
    // The entry's own signature fails, and the next entry's link to it breaks.
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    let db = Database::open(&path).unwrap();
    // A byte near the end of the entry (entry #120 is an acknowledgement: a byte of the
    // disclosure it acknowledges, which then points nowhere).
    let (mut bytes, sig) = read_row(&db, 120);
    let i = bytes.len() - 10;
    bytes[i] ^= 0x01;
    write_row(&db, 120, Some(&(bytes, sig)));
    drop(db);
    assert_fails_at(
        &path,
        120,
        &[
            IntegrityKind::BadSignature,
            IntegrityKind::DanglingReference,
        ],
    );
    let store = Store::open(&path, Access::ReadOnly).unwrap();
    let report = verify_store(&store, &VerifyOptions::default())
        .unwrap()
        .report;
    for (seq, kind) in [
        (120, IntegrityKind::BadSignature),
        (121, IntegrityKind::BrokenChain),
    ] {
        assert!(
            report
                .failures
                .iter()
                .any(|f| f.seq == Seq(seq) && f.kind == kind),
            "no {kind:?} at #{seq}: {:#?}",
            report.failures
        );
    }
}

#[test]
fn damaged_stored_rows() {
    // Damage to a row's encoding itself: the entry cannot be read back, and verify says so
    // at that entry. (name, damage to the stored row)
    type Damage = fn(&mut Vec<u8>);
    let cases: [(&str, Damage); 4] = [
        ("cut inside the signature", |row| row.truncate(40)),
        ("empty", |row| row.clear()),
        ("a zero run of length 0", |row| {
            let at = 64 + row[64..].iter().position(|&b| b == 0).unwrap();
            row[at + 1] = 0;
        }),
        ("cut inside a zero-run token", |row| {
            let at = 64 + row[64..].iter().rposition(|&b| b == 0).unwrap();
            row.truncate(at + 1);
        }),
    ];
    for (name, damage) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = common::sample_copy(dir.path());
        let db = Database::open(&path).unwrap();
        let mut row = read_raw(&db, 200);
        damage(&mut row);
        write_raw(&db, 200, Some(&row));
        drop(db);
        let store = Store::open(&path, Access::ReadOnly).unwrap();
        let report = verify_store(&store, &VerifyOptions::default())
            .unwrap()
            .report;
        let first = report.failures.first().expect(name);
        assert_eq!(
            (first.seq, first.kind),
            (Seq(200), IntegrityKind::Undecodable),
            "{name}: {:#?}",
            report.failures
        );
        assert!(first.message.contains("stored row"), "{name}: {first:?}");
        drop(store);
        assert_fails_at(&path, 200, &[IntegrityKind::Undecodable]);
    }
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
    let (bytes, _) = read_row(&db, 60);
    // A genuine signature over the same bytes, but by the other party's key.
    let entry = decode_entry(&bytes).unwrap();
    let other = if entry.signer.party.as_str() == "ICO" {
        "ofcom-2024"
    } else {
        "ico-2024"
    };
    let sig = common::demo_key(&keys, other).sign_entry(&bytes);
    write_row(&db, 60, Some(&(bytes, sig)));
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

/// The items of a vault row (FORMAT.md §10.3): `u8` name length, name, LEB128 item length, item;
/// repeated.
fn vault_items(row: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut items = Vec::new();
    let mut rest = row;
    while !rest.is_empty() {
        let n = usize::from(rest[0]);
        let name = String::from_utf8(rest[1..1 + n].to_vec()).unwrap();
        rest = &rest[1 + n..];
        let (mut len, mut shift) = (0usize, 0);
        loop {
            let byte = rest[0];
            rest = &rest[1..];
            len |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        items.push((name, rest[..len].to_vec()));
        rest = &rest[len..];
    }
    items
}

fn vault_row(items: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut row = Vec::new();
    for (name, item) in items {
        row.push(name.len() as u8);
        row.extend_from_slice(name.as_bytes());
        let mut len = item.len();
        while len >= 0x80 {
            row.push((len as u8 & 0x7f) | 0x80);
            len >>= 7;
        }
        row.push(len as u8);
        row.extend_from_slice(item);
    }
    row
}

/// Rewrites the first vault row at or after entry 100; returns its entry.
fn change_vault_row(path: &Path, change: impl FnOnce(Vec<u8>) -> Vec<u8>) -> u64 {
    let db = Database::open(path).unwrap();
    let txn = db.begin_write().unwrap();
    let seq = {
        let mut t = txn.open_table(VAULT).unwrap();
        let (seq, row) = {
            let mut it = t.range(100u64..).unwrap();
            let (k, v) = it.next().unwrap().unwrap();
            (k.value(), v.value().to_vec())
        };
        t.insert(seq, change(row).as_slice()).unwrap();
        seq
    };
    txn.commit().unwrap();
    seq
}

#[test]
fn changed_vault_value() {
    // The vault is outside the signed log, but every value in it is checked against its
    // entry's commitment.
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    let seq = change_vault_row(&path, |row| {
        let mut items = vault_items(&row);
        let value = &mut items[0].1;
        let last = value.len() - 1;
        value[last] ^= 0x01;
        vault_row(&items)
    });
    assert_fails_at(&path, seq, &[IntegrityKind::VaultMismatch]);
}

#[test]
fn damaged_vault_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    let seq = change_vault_row(&path, |mut row| {
        row.pop();
        row
    });
    assert_fails_at(&path, seq, &[IntegrityKind::VaultMismatch]);
}

#[test]
fn changed_merkle_interior_hash() {
    const TREE: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("merkle_hashes");
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    // Entry #255 closes complete subtrees of levels 1 to 8 (255 = 0b11111111); those of level
    // 4 and up are stored, from its leaf's index + 4 on.
    let leaf = tlog::stored_hash_index(0, 255);
    let db = Database::open(&path).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut t = txn.open_table(TREE).unwrap();
        // The levels below 4 are not stored.
        for level in 0..4 {
            assert!(t.get(leaf + level).unwrap().is_none(), "level {level}");
        }
        let index = leaf + 4;
        let mut h = *t.get(index).unwrap().unwrap().value();
        h[0] ^= 0xff;
        t.insert(index, &h).unwrap();
    }
    txn.commit().unwrap();
    drop(db);
    assert_fails_at(&path, 255, &[IntegrityKind::TreeMismatch]);
}

#[test]
fn deleted_merkle_hash() {
    const TREE: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("merkle_hashes");
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    // Entry #127 stores the hashes of levels 4 to 7.
    let index = tlog::stored_hash_index(6, 1);
    let db = Database::open(&path).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut t = txn.open_table(TREE).unwrap();
        assert!(t.remove(index).unwrap().is_some());
    }
    txn.commit().unwrap();
    drop(db);
    assert_fails_at(&path, 127, &[IntegrityKind::TreeMismatch]);
}
