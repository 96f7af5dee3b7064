//! The writer's index (register snapshot and references, docs/FORMAT.md): opening from it
//! gives the registers a full replay gives; appends that refer to old entries see their
//! acknowledgements; a snapshot left behind by an older build is caught up; a damaged index is
//! reported by `verify` as `index-mismatch` and rebuilt by `dledger reindex`.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::{demo_key, demo_keys_in, sample_copy};
use disclosure_ledger::codec::encode_snapshot;
use disclosure_ledger::integrity::IntegrityKind;
use disclosure_ledger::keys::SecretKey;
use disclosure_ledger::ledger::{
    AppendError, Ledger, open_registers, rebuild_index, referring_entries, replay,
};
use disclosure_ledger::model::{PartyId, Seq, Timestamp};
use disclosure_ledger::store::{Access, IndexUpdate, Store};
use disclosure_ledger::verify::{FlagFilter, VerifyOptions, verify_ledger};
use dledger_testkit::sample::DEMO_KEY_NAMES;

/// Integrity failures `verify` finds, as (kind, message).
fn failures(path: &Path) -> Vec<(IntegrityKind, String)> {
    let store = Store::open(path, Access::ReadOnly).unwrap();
    let report = verify_ledger(&store, &VerifyOptions::default(), &FlagFilter::default()).unwrap();
    report
        .integrity
        .failures
        .into_iter()
        .map(|f| (f.kind, f.message))
        .collect()
}

/// The disclosures of the sample that were never acknowledged, oldest first.
fn unacknowledged(path: &Path) -> Vec<(Seq, PartyId)> {
    let reg = replay(&Store::open(path, Access::ReadOnly).unwrap()).unwrap();
    let mut out: Vec<(Seq, PartyId)> = reg
        .disclosures
        .iter()
        .filter(|(_, d)| d.acknowledged.is_none() && d.corrected_by.is_empty())
        .map(|(s, d)| (s, d.to.clone()))
        .collect();
    out.sort();
    out
}

/// A demo key currently valid for `party` in `ledger`.
fn key_of(ledger: &Ledger, keys: &Path, party: &PartyId) -> SecretKey {
    DEMO_KEY_NAMES
        .iter()
        .map(|n| demo_key(keys, n))
        .find(|k| ledger.party_of(k).ok().as_ref() == Some(party))
        .unwrap_or_else(|| panic!("no current demo key for {party}"))
}

/// Acknowledges `seq` as `to`, through a freshly opened ledger.
fn ack(path: &Path, keys: &Path, seq: Seq, to: &PartyId) -> Result<Seq, AppendError> {
    let mut ledger = Ledger::open(path)?;
    let key = key_of(&ledger, keys, to);
    let now = Timestamp::now();
    let pending = ledger.prepare_ack(seq, now, &key, now)?;
    Ok(ledger.append(pending, &key, now)?.seq)
}

fn snapshot_of(reg: &disclosure_ledger::registers::Registers) -> Vec<u8> {
    encode_snapshot(&reg.snapshot()).unwrap()
}

#[test]
fn opening_from_the_snapshot_gives_the_registers_a_replay_gives() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_v2_copy(dir.path());
    let store = Store::open(&path, Access::ReadOnly).unwrap();
    let saved = store
        .snapshot()
        .unwrap()
        .expect("the sample carries a snapshot");
    let fast = open_registers(&store).unwrap();
    let full = replay(&store).unwrap();
    assert_eq!(snapshot_of(&fast), snapshot_of(&full));
    assert_eq!(snapshot_of(&full), saved);
    assert_eq!(fast.head.map(|h| h.0), Some(Seq(store.len().unwrap() - 1)));
    // The fast registers hold no per-entry summaries older than the snapshot.
    assert!(fast.needs_loading(Seq(1)));
    assert!(fast.disclosures.is_empty());
    assert!(!full.disclosures.is_empty());
}

#[test]
fn an_old_disclosure_is_acknowledged_once_through_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_copy(dir.path());
    let keys = demo_keys_in(dir.path());
    let (seq, to) = unacknowledged(&path)
        .into_iter()
        .next()
        .expect("one to ack");
    let first = ack(&path, &keys, seq, &to).unwrap();
    // A second acknowledgement is refused, by a new process that knows only the snapshot and
    // the references table.
    let again = ack(&path, &keys, seq, &to).unwrap_err();
    assert!(
        again
            .to_string()
            .contains(&format!("already acknowledged by {first}")),
        "{again}"
    );
    let store = Store::open(&path, Access::ReadOnly).unwrap();
    assert_eq!(store.references_to(seq.0).unwrap(), vec![first.0]);
    drop(store);
    assert_eq!(failures(&path), vec![]);
}

#[test]
fn a_snapshot_left_behind_by_an_older_build_is_caught_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_copy(dir.path());
    let keys = demo_keys_in(dir.path());
    let before = rebuild_index(&Store::open(&path, Access::ReadOnly).unwrap()).unwrap();
    let open = unacknowledged(&path);
    let (seq, to) = open[0].clone();
    let first = ack(&path, &keys, seq, &to).unwrap();
    // An older build appended that acknowledgement without updating the index.
    Store::open(&path, Access::ReadWrite)
        .unwrap()
        .rewrite_index(&before)
        .unwrap();
    assert_eq!(failures(&path), vec![], "a snapshot behind is not damage");
    let store = Store::open(&path, Access::ReadOnly).unwrap();
    assert_eq!(store.references_to(seq.0).unwrap(), Vec::<u64>::new());
    let len = store.len().unwrap();
    assert_eq!(
        referring_entries(&store, seq, Seq(len)).unwrap(),
        vec![first]
    );
    drop(store);
    // The writer catches up from the snapshot and still sees the acknowledgement.
    let again = ack(&path, &keys, seq, &to).unwrap_err();
    assert!(
        again.to_string().contains("already acknowledged"),
        "{again}"
    );
    // Its next commit saves the caught-up references too: verify compares them in full.
    let (other, other_to) = open[1].clone();
    ack(&path, &keys, other, &other_to).unwrap();
    let store = Store::open(&path, Access::ReadOnly).unwrap();
    assert_eq!(store.references_to(seq.0).unwrap(), vec![first.0]);
    drop(store);
    assert_eq!(failures(&path), vec![]);
}

fn dledger() -> Command {
    Command::cargo_bin("dledger").unwrap()
}

#[test]
fn a_damaged_index_is_reported_and_reindex_rebuilds_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_copy(dir.path());
    let good = rebuild_index(&Store::open(&path, Access::ReadOnly).unwrap()).unwrap();
    assert!(
        good.references.len() > 200,
        "the sample has many acknowledgements"
    );
    let cases: Vec<(&str, IndexUpdate, &str)> = vec![
        (
            "a reference dropped",
            IndexUpdate {
                references: good.references[1..].to_vec(),
                ..good.clone()
            },
            "references",
        ),
        (
            "a reference moved to another target",
            IndexUpdate {
                references: {
                    let mut r = good.references.clone();
                    r[0].0 += 1;
                    r
                },
                ..good.clone()
            },
            "different ones",
        ),
        (
            "an unreadable snapshot",
            IndexUpdate {
                snapshot: vec![0xff; 7],
                ..good.clone()
            },
            "cannot be read",
        ),
        (
            "a snapshot of other registers",
            IndexUpdate {
                snapshot: {
                    let store = Store::open(&path, Access::ReadOnly).unwrap();
                    let mut reg = replay(&store).unwrap();
                    reg.themes.clear();
                    snapshot_of(&reg)
                },
                ..good.clone()
            },
            "differs from the registers",
        ),
    ];
    for (name, damaged, says) in cases {
        Store::open(&path, Access::ReadWrite)
            .unwrap()
            .rewrite_index(&damaged)
            .unwrap();
        let found = failures(&path);
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        assert_eq!(found[0].0, IntegrityKind::IndexMismatch, "{name}");
        assert!(found[0].1.contains(says), "{name}: {}", found[0].1);
        let out = dledger().arg("verify").arg(&path).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("index-mismatch"),
            "{name}"
        );
        dledger()
            .arg("reindex")
            .arg(&path)
            .assert()
            .success()
            .stdout(predicates::str::contains("no entry was changed"));
        assert_eq!(failures(&path), vec![], "{name}: after reindex");
    }
}

#[test]
fn a_writer_replays_when_the_snapshot_is_unreadable_and_saves_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_copy(dir.path());
    let keys = demo_keys_in(dir.path());
    let good = rebuild_index(&Store::open(&path, Access::ReadOnly).unwrap()).unwrap();
    Store::open(&path, Access::ReadWrite)
        .unwrap()
        .rewrite_index(&IndexUpdate {
            snapshot: b"not a snapshot".to_vec(),
            references: Vec::new(),
            rebuild: true,
        })
        .unwrap();
    let (seq, to) = unacknowledged(&path)[0].clone();
    let ack_seq = ack(&path, &keys, seq, &to).unwrap();
    // The append rebuilt the whole references table from its replay.
    let store = Store::open(&path, Access::ReadOnly).unwrap();
    let now = rebuild_index(&store).unwrap();
    assert_eq!(now.references.len(), good.references.len() + 1);
    assert_eq!(store.references_to(seq.0).unwrap(), vec![ack_seq.0]);
    drop(store);
    assert_eq!(failures(&path), vec![]);
}
