//! `verify --since-checkpoint` rebuilds the entry index root of every newer checkpoint, from the
//! verifier's own copy of the index kept beside its state (src/index_copy.rs): a checkpoint
//! whose index root leaves an entry out is caught by the incremental run too; a missing or
//! damaged copy is said ("not rebuilt"), never trusted, and rebuilt for the next run.

mod common;

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use disclosure_ledger::index_copy::index_copy_path;
use disclosure_ledger::store::{Access, Store};

/// `dledger verify --since-checkpoint --state STATE LEDGER`.
fn since(state: &Path, ledger: &Path) -> Output {
    Command::cargo_bin("dledger")
        .unwrap()
        .args([
            "verify",
            "--since-checkpoint",
            "--as-of",
            "2026-01-31",
            "--state",
        ])
        .arg(state)
        .arg(ledger)
        .output()
        .unwrap()
}

/// Records a new theme, signed with the ICO's current demo key.
fn declare_theme(f: &common::IndexedLedger, name: &str) {
    let store = Store::open(&f.path, Access::ReadOnly).unwrap();
    let ico = common::current_key(&store, &f.keys, "ICO");
    drop(store);
    let key = f.keys.join(format!("{}.key", ico.public().name));
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("-l")
        .arg(&f.path)
        .args([
            "theme",
            "declare",
            name,
            "--title",
            "A later theme",
            "--key",
        ])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::output_text(&out));
}

fn ok_run(out: &Output) -> String {
    let text = common::output_text(out);
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "the run must pass integrity: {text}"
    );
    text
}

#[test]
fn newer_index_roots_are_rebuilt_from_the_verifiers_copy() {
    let f = common::indexed_ledger();
    let state = f.dir.join("state");
    let copy = index_copy_path(&state);

    // The first run checks every entry and keeps a copy of the index at the cosigned checkpoint.
    let text = ok_run(&since(&state, &f.path));
    assert!(state.is_file() && copy.is_file(), "{text}");

    // A newer cosigned checkpoint: its index root is rebuilt from the copy and the new entry.
    declare_theme(&f, "later-theme-one");
    common::checkpoint_and_cosign(&f.path, &f.keys);
    let text = ok_run(&since(&state, &f.path));
    assert!(
        text.contains(
            "Entry index: 1 signs an entry index root, rebuilt here from the entries and matching"
        ),
        "{text}"
    );
    assert!(!text.contains("not rebuilt"), "{text}");
    // The policy line counts the new entries apart from the older disclosures still open.
    assert!(
        text.contains("Policy: no disclosures recorded since the checkpoint of size")
            && text.contains("earlier disclosures still open at that checkpoint"),
        "{text}"
    );
    assert!(!text.contains(" of 0 disclosures"), "{text}");

    // A lost copy is said, not trusted; the run rebuilds it for the next one.
    std::fs::remove_file(&copy).unwrap();
    declare_theme(&f, "later-theme-two");
    common::checkpoint_and_cosign(&f.path, &f.keys);
    let text = ok_run(&since(&state, &f.path));
    assert!(text.contains("1 newer one not rebuilt"), "{text}");
    assert!(copy.is_file(), "the copy is rebuilt: {text}");

    // A damaged copy likewise.
    std::fs::write(&copy, b"not an index").unwrap();
    declare_theme(&f, "later-theme-three");
    common::checkpoint_and_cosign(&f.path, &f.keys);
    let text = ok_run(&since(&state, &f.path));
    assert!(text.contains("1 newer one not rebuilt"), "{text}");

    // And then rebuilt from again.
    declare_theme(&f, "later-theme-four");
    common::checkpoint_and_cosign(&f.path, &f.keys);
    let text = ok_run(&since(&state, &f.path));
    assert!(text.contains("Entry index: 1 signs"), "{text}");
}

#[test]
fn an_incremental_run_catches_an_index_root_that_leaves_an_entry_out() {
    let f = common::indexed_ledger();
    let state = f.dir.join("state");
    ok_run(&since(&state, &f.path));
    declare_theme(&f, "later-theme-one");
    declare_theme(&f, "later-theme-two");

    // The operator signs a checkpoint whose index root leaves the newest entry out.
    let len = Store::open(&f.path, Access::ReadOnly)
        .unwrap()
        .len()
        .unwrap();
    let (size, note) = common::checkpoint_leaving_out(&f.path, &f.keys, len - 1);
    Store::open(&f.path, Access::ReadWrite)
        .unwrap()
        .put_checkpoint(size, note.as_bytes())
        .unwrap();

    let out = since(&state, &f.path);
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("checkpoint-index-mismatch"), "{text}");
    assert!(
        text.contains(&format!("checkpoint of size {size}")),
        "{text}"
    );
}
