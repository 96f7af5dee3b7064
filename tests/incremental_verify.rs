//! `verify --since-checkpoint`: a resumed run checks only what is new since the last cosigned
//! checkpoint verified, finds the same problems and flags in it as a full run, moves its state
//! on, and refuses a ledger whose history no longer gives the checkpoint's root.

mod common;

use std::path::Path;

use assert_cmd::Command;
use common::{append_forged, demo_key, demo_keys_in, sample_copy};
use disclosure_ledger::incremental::{load_state, save_state, verify_from_start, verify_since};
use disclosure_ledger::integrity::IntegrityKind;
use disclosure_ledger::keys::SecretKey;
use disclosure_ledger::ledger::{Ledger, replay};
use disclosure_ledger::model::{PartyId, Seq, Timestamp};
use disclosure_ledger::policy::Flag;
use disclosure_ledger::store::{Access, Store};
use disclosure_ledger::verify::{
    FlagFilter, IntegrityStatus, Report, ResumePoint, VerifyOptions, verify_ledger,
};
use dledger_testkit::sample::DEMO_KEY_NAMES;

fn opts() -> VerifyOptions {
    VerifyOptions {
        as_of: Timestamp::parse("2026-01-31T12:00:00Z").unwrap(),
        ..VerifyOptions::default()
    }
}

fn full(path: &Path) -> Report {
    let store = Store::open(path, Access::ReadOnly).unwrap();
    verify_ledger(&store, &opts(), &FlagFilter::default()).unwrap()
}

fn resumed(path: &Path, point: &ResumePoint) -> (Report, Option<ResumePoint>) {
    let store = Store::open(path, Access::ReadOnly).unwrap();
    verify_since(&store, point, &opts(), &FlagFilter::default(), None).unwrap()
}

/// A demo key currently valid for `party`.
fn key_of(ledger: &Ledger, keys: &Path, party: &str) -> SecretKey {
    let party = PartyId::new(party).unwrap();
    DEMO_KEY_NAMES
        .iter()
        .map(|n| demo_key(keys, n))
        .find(|k| ledger.party_of(k).ok().as_ref() == Some(&party))
        .unwrap()
}

/// The point a full run of the sample leaves, at its last cosigned checkpoint (453).
fn first_point(path: &Path) -> ResumePoint {
    let store = Store::open(path, Access::ReadOnly).unwrap();
    let (_, point) = verify_from_start(&store, &opts(), &FlagFilter::default()).unwrap();
    point.expect("the sample's last checkpoint is cosigned")
}

/// Appends, after the sample's end: the acknowledgement of the oldest open disclosure, the
/// correction of an acknowledged one (by its discloser), a theme, and a new cosigned checkpoint.
/// Returns (acknowledged seq, corrected seq).
fn append_day(path: &Path, keys: &Path) -> (Seq, Seq) {
    let reg = replay(&Store::open(path, Access::ReadOnly).unwrap()).unwrap();
    let mut open: Vec<_> = reg
        .disclosures
        .iter()
        .filter(|(_, d)| d.acknowledged.is_none())
        .map(|(s, d)| (s, d.to.clone()))
        .collect();
    open.sort();
    let mut acked: Vec<_> = reg
        .disclosures
        .iter()
        .filter(|(_, d)| d.acknowledged.is_some() && d.corrected_by.is_empty())
        .map(|(s, d)| (s, d.from.clone()))
        .collect();
    acked.sort();
    let (to_ack, recipient) = open[0].clone();
    let (to_correct, discloser) = acked[0].clone();
    let mut ledger = Ledger::open(path).unwrap();
    let now = Timestamp::parse("2026-01-05T10:00:00Z").unwrap();
    let k = key_of(&ledger, keys, recipient.as_str());
    let p = ledger.prepare_ack(to_ack, now, &k, now).unwrap();
    ledger.append(p, &k, now).unwrap();
    let k = key_of(&ledger, keys, discloser.as_str());
    let p = ledger
        .prepare_correction(to_correct, "wrong meeting date", None, &k, now, &mut || {
            [7; 32]
        })
        .unwrap();
    ledger.append(p, &k, now).unwrap();
    let ico = key_of(&ledger, keys, "ICO");
    let p = ledger
        .prepare_theme_declared(
            disclosure_ledger::model::ThemeId::new("incremental-test").unwrap(),
            "A theme declared after the checkpoint",
            "",
            now,
        )
        .unwrap();
    ledger.append(p, &ico, now).unwrap();
    let note = ledger.checkpoint(&ico).unwrap();
    let ofcom = key_of(&ledger, keys, "OFCOM");
    ledger
        .cosign(note.to_string().as_bytes(), &ofcom, now.plus_seconds(60))
        .unwrap();
    (to_ack, to_correct)
}

fn has(flags: &[Flag], f: &Flag) -> bool {
    flags.contains(f)
}

#[test]
fn a_resumed_run_checks_only_new_entries_and_agrees_with_a_full_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_copy(dir.path());
    let keys = demo_keys_in(dir.path());
    let point = first_point(&path);
    assert_eq!(point.size, 453);
    let (acked, corrected) = append_day(&path, &keys);

    let whole = full(&path);
    let (part, next) = resumed(&path, &point);
    assert_eq!(whole.integrity.status, IntegrityStatus::Intact);
    assert_eq!(part.integrity.status, IntegrityStatus::Intact);
    assert_eq!(part.integrity.resumed_from, Some(453));
    assert_eq!(part.integrity.entries, whole.integrity.entries);
    assert_eq!(part.integrity.root, whole.integrity.root);
    assert_eq!(part.integrity.head, whole.integrity.head);
    // Only the three new entries were read.
    assert_eq!(part.integrity.kinds.values().sum::<u64>(), 3);
    // Its flags are the full run's flags about what can have changed: those of new entries, the
    // acknowledgement flags of disclosures still open at the checkpoint, and the correction
    // of an older disclosure since.
    for f in &part.policy.flags {
        assert!(has(&whole.policy.flags, f), "not in a full run: {f:?}");
    }
    let open_then: Vec<u64> = point.open.iter().map(|(s, _)| s.0).collect();
    for f in &whole.policy.flags {
        let later = matches!(
            f.code.code(),
            "unacknowledged" | "late-acknowledgement" | "superseded"
        );
        let relevant = f.seq.0 >= 453
            || (later && open_then.contains(&f.seq.0))
            || (f.seq == corrected && f.code.code() == "superseded");
        assert_eq!(relevant, has(&part.policy.flags, f), "{f:?}");
    }
    assert!(
        part.policy
            .flags
            .iter()
            .any(|f| f.seq == corrected && f.code.code() == "superseded")
    );
    assert!(open_then.contains(&acked.0));
    // The state moves on to the new cosigned checkpoint; from there, nothing new to read.
    let next = next.expect("a newer cosigned checkpoint");
    assert_eq!(next.size, 456);
    assert!(!next.open.iter().any(|(s, _)| *s == acked));
    let (again, _) = resumed(&path, &next);
    assert_eq!(again.integrity.status, IntegrityStatus::Intact);
    assert_eq!(again.integrity.kinds.values().sum::<u64>(), 0);
    assert_eq!(again.integrity.root, whole.integrity.root);
}

#[test]
fn a_forged_new_entry_fails_as_in_a_full_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_copy(dir.path());
    let point = first_point(&path);
    let stranger = SecretKey::from_seed("stranger", &[9; 32]).unwrap();
    let seq = append_forged(&path, "ICO", &stranger, "forged-theme");
    let (part, next) = resumed(&path, &point);
    let whole = full(&path);
    let kinds = |r: &Report| {
        r.integrity
            .failures
            .iter()
            .map(|f| (f.seq.0, f.kind))
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(&part), kinds(&whole));
    assert!(kinds(&part).contains(&(seq, IntegrityKind::UnknownKey)));
    assert!(next.is_none(), "a damaged ledger moves no state on");
}

#[test]
fn a_rewritten_history_no_longer_gives_the_checkpoint_root() {
    use redb::{Database, ReadableTable, TableDefinition};
    const TREE: TableDefinition<u64, &[u8; 32]> = TableDefinition::new("merkle_hashes");
    let dir = tempfile::tempdir().unwrap();
    let path = sample_copy(dir.path());
    let point = first_point(&path);
    // Change the stored hash of the subtree of entries 0–255, as a rewrite of any of them that
    // also rewrote the stored tree would (453 = 256 + 128 + 64 + 4 + 1: it is one of the five
    // subtrees the root of size 453 is made of).
    let index = tlog::stored_hash_index(8, 0);
    let db = Database::open(&path).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut t = txn.open_table(TREE).unwrap();
        let mut h = *t.get(index).unwrap().unwrap().value();
        h[0] ^= 1;
        t.insert(index, &h).unwrap();
    }
    txn.commit().unwrap();
    drop(db);
    let (part, next) = resumed(&path, &point);
    assert_eq!(part.integrity.status, IntegrityStatus::Failed);
    assert_eq!(part.integrity.failures.len(), 1);
    let f = &part.integrity.failures[0];
    assert_eq!((f.seq.0, f.kind), (452, IntegrityKind::CheckpointMismatch));
    assert!(f.message.contains("no longer matches"), "{}", f.message);
    assert!(next.is_none());
}

#[test]
fn an_old_entry_changed_with_the_tree_left_alone_waits_for_a_full_run() {
    // The documented limit: a resumed run does not re-read entries before its checkpoint.
    use redb::{Database, ReadableTable, TableDefinition};
    const ENTRIES: TableDefinition<u64, &[u8]> = TableDefinition::new("entries");
    let dir = tempfile::tempdir().unwrap();
    let path = sample_copy(dir.path());
    let point = first_point(&path);
    let db = Database::open(&path).unwrap();
    let txn = db.begin_write().unwrap();
    {
        let mut t = txn.open_table(ENTRIES).unwrap();
        let mut bytes = t.get(100).unwrap().unwrap().value().to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        t.insert(100, bytes.as_slice()).unwrap();
    }
    txn.commit().unwrap();
    drop(db);
    let (part, _) = resumed(&path, &point);
    assert_eq!(part.integrity.status, IntegrityStatus::Intact);
    assert_eq!(full(&path).integrity.status, IntegrityStatus::Failed);
}

#[test]
fn the_cli_writes_its_state_then_resumes_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_copy(dir.path());
    let keys = demo_keys_in(dir.path());
    let xdg = dir.path().join("xdg-state");
    let run = || {
        Command::cargo_bin("dledger")
            .unwrap()
            .env("XDG_STATE_HOME", &xdg)
            .args(["verify", "--since-checkpoint", "--as-of", "2026-01-31"])
            .arg(&path)
            .output()
            .unwrap()
    };
    let first = run();
    assert_eq!(first.status.code(), Some(1), "the sample has flags");
    let err = String::from_utf8_lossy(&first.stderr);
    assert!(err.contains("checking every entry this time"), "{err}");
    assert!(err.contains("size 453"), "{err}");
    let states: Vec<_> = std::fs::read_dir(xdg.join("dledger"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(states.len(), 1, "{states:?}");
    let state = states[0].clone();
    assert_eq!(load_state(&state).unwrap().unwrap().size, 453);
    append_day(&path, &keys);
    let second = run();
    let out = String::from_utf8_lossy(&second.stdout);
    assert!(
        out.contains("Checked:  entries #453 onwards (3 new"),
        "{out}"
    );
    assert!(out.contains("Integrity: INTACT"), "{out}");
    assert_eq!(load_state(&state).unwrap().unwrap().size, 456);
    // A state file that is not one is refused with what to do.
    std::fs::write(&state, "{}").unwrap();
    let bad = run();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("cannot be used") && err.contains("full `dledger verify`"),
        "{err}"
    );
}

#[test]
fn a_saved_state_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_copy(dir.path());
    let point = first_point(&path);
    let file = dir.path().join("state.json");
    save_state(&file, &point).unwrap();
    let back = load_state(&file).unwrap().unwrap();
    assert_eq!(back.size, point.size);
    assert_eq!(back.note, point.note);
    assert_eq!(back.open.len(), point.open.len());
    let (a, _) = resumed(&path, &point);
    let (b, _) = resumed(&path, &back);
    assert_eq!(a.integrity.status, b.integrity.status);
    assert_eq!(a.policy.flags, b.policy.flags);
}
