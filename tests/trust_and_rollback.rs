//! Issue 13, item 5: `verify` names the ledger's trust roots and checks them against the
//! parties' published keys (`--trust DIR`), checks that the ledger still contains and extends
//! checkpoints held elsewhere (`--checkpoint NOTE`), and refuses a checkpoint filed under
//! another tree size. Each test is the attack it guards against.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use common::{demo_key, demo_keys_in, root, sample_copy};
use disclosure_ledger::codec::decode_entry;
use disclosure_ledger::keys::SecretKey;
use disclosure_ledger::ledger::Ledger;
use disclosure_ledger::model::{Body, ThemeId, Timestamp};
use disclosure_ledger::store::{Access, Store};

fn dledger(args: &[&str], paths: &[&Path]) -> Output {
    Command::cargo_bin("dledger")
        .unwrap()
        .args(args)
        .args(paths)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The origin line of the ledger at `path`.
fn origin_of(path: &Path) -> String {
    let store = Store::open(path, Access::ReadOnly).unwrap();
    let entry = decode_entry(&store.get(0).unwrap().unwrap().bytes).unwrap();
    let Body::Genesis(g) = entry.body else {
        panic!("entry 0 is not genesis")
    };
    g.origin
}

/// A ledger with the sample's origin, parties and key names, made by someone else's keys.
fn impostor(dir: &Path, origin: &str) -> PathBuf {
    let keys = dir.join("impostor-keys");
    std::fs::create_dir_all(&keys).unwrap();
    for name in ["ico-2024", "ofcom-2024"] {
        let key = SecretKey::generate(name).unwrap();
        key.save(&keys.join(format!("{name}.key")), false).unwrap();
        disclosure_ledger::keys::save_public(key.public(), &keys).unwrap();
    }
    let path = dir.join("impostor.ledger");
    let ico_v = keys.join("ico-2024.vkey");
    let ofcom_v = keys.join("ofcom-2024.vkey");
    let ico_k = keys.join("ico-2024.key");
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("init")
        .arg(&path)
        .args(["--origin", origin])
        .arg("--party")
        .arg(format!("ICO={}", ico_v.display()))
        .arg("--party")
        .arg(format!("OFCOM={}", ofcom_v.display()))
        .arg("--key")
        .arg(&ico_k)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    path
}

#[test]
fn a_ledger_made_with_other_keys_fails_against_the_published_keys() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample_copy(dir.path());
    let origin = origin_of(&sample);
    let fake = impostor(dir.path(), &origin);
    let published = root().join("keys");
    // On its own terms it verifies: nothing but the trust-root key ids tells it apart.
    let alone = dledger(&["verify"], &[&fake]);
    assert_eq!(alone.status.code(), Some(0), "{}", text(&alone));
    assert!(text(&alone).contains("Trust roots:"), "{}", text(&alone));
    // Against the published keys it fails, naming the party.
    let trusted = dledger(&["verify", "--trust"], &[&published, &fake]);
    assert_eq!(trusted.status.code(), Some(2), "{}", text(&trusted));
    let out = text(&trusted);
    assert!(out.contains("untrusted-genesis"), "{out}");
    assert!(out.contains("party ICO's trust-root key ico-2024"), "{out}");
    assert!(out.contains("NOT TRUSTED"), "{out}");
    // Also in a --since-checkpoint run.
    let xdg = dir.path().join("xdg");
    let since = Command::cargo_bin("dledger")
        .unwrap()
        .env("XDG_STATE_HOME", &xdg)
        .args(["verify", "--since-checkpoint", "--trust"])
        .arg(&published)
        .arg(&fake)
        .output()
        .unwrap();
    assert_eq!(since.status.code(), Some(2), "{}", text(&since));
    assert!(text(&since).contains("untrusted-genesis"));
}

#[test]
fn the_sample_against_the_published_keys_has_only_flags_and_shows_its_trust_roots() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample_copy(dir.path());
    let published = root().join("keys");
    let out = dledger(
        &["verify", "--as-of", "2026-01-31", "--trust"],
        &[&published, &sample],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = text(&out);
    let ico = SecretKey::load(&demo_keys_in(dir.path()).join("ico-2024.key")).unwrap();
    let id = ico.public().key_id.to_string();
    assert!(report.contains("Trust roots:"), "{report}");
    assert!(
        report.contains(&format!("ICO key ico-2024 (key id {id}, trusted)")),
        "{report}"
    );
    let json = dledger(
        &["verify", "--json", "--as-of", "2026-01-31", "--trust"],
        &[&published, &sample],
    );
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let roots = v["integrity"]["trust_roots"].as_array().unwrap();
    assert!(
        roots.iter().any(|r| r["party"] == "ICO"
            && r["name"] == "ico-2024"
            && r["key_id"] == id.as_str()
            && r["trusted"] == true),
        "{roots:?}"
    );
}

/// The newest cosigned checkpoint note stored in the ledger at `path`, written to `out`.
fn save_latest_cosigned(path: &Path, out: &Path) -> u64 {
    let store = Store::open(path, Access::ReadOnly).unwrap();
    let (size, note) = store
        .checkpoints()
        .unwrap()
        .into_iter()
        .rev()
        .find(|(_, n)| tlog::Note::parse(n).unwrap().signatures().len() > 1)
        .unwrap();
    std::fs::write(out, note).unwrap();
    size
}

/// A copy of the first `n` entries of the ledger at `path`, through export and import.
fn truncated(dir: &Path, path: &Path, n: usize) -> PathBuf {
    let export = dir.join("full.jsonl");
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("-l")
        .arg(path)
        .arg("export")
        .arg("-o")
        .arg(&export)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let full = std::fs::read_to_string(&export).unwrap();
    let mut lines = full.lines();
    let mut header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    header["entries"] = n.into();
    // The rolled-back copy keeps none of the checkpoints (they vouch for the longer history).
    header["checkpoints"] = 0.into();
    let mut short = header.to_string();
    for line in lines.take(n) {
        short.push('\n');
        short.push_str(line);
    }
    short.push('\n');
    let short_export = dir.join("short.jsonl");
    std::fs::write(&short_export, short).unwrap();
    let new = dir.join("short.ledger");
    let out = dledger(&["import"], &[&short_export, &new]);
    assert!(out.status.success(), "{}", text(&out));
    new
}

#[test]
fn a_rolled_back_copy_fails_against_a_checkpoint_held_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample_copy(dir.path());
    let note = dir.path().join("latest.note");
    let size = save_latest_cosigned(&sample, &note);
    // The untouched copy contains and extends it.
    let ok = dledger(
        &["verify", "--as-of", "2026-01-31", "--checkpoint"],
        &[&note, &sample],
    );
    assert_eq!(ok.status.code(), Some(1), "{}", text(&ok));
    assert!(
        text(&ok).contains("is contained in this ledger"),
        "{}",
        text(&ok)
    );
    // The newest entries removed: nothing in the copy shows it; the note does.
    let short = truncated(dir.path(), &sample, 300);
    let alone = dledger(&["verify", "--as-of", "2026-01-31"], &[&short]);
    assert_ne!(alone.status.code(), Some(2), "{}", text(&alone));
    let rolled = dledger(
        &["verify", "--as-of", "2026-01-31", "--checkpoint"],
        &[&note, &short],
    );
    assert_eq!(rolled.status.code(), Some(2), "{}", text(&rolled));
    let out = text(&rolled);
    assert!(out.contains("rollback"), "{out}");
    assert!(
        out.contains(&format!(
            "{} is signed for tree size {size}",
            note.display()
        )),
        "{out}"
    );
    // The same in a --since-checkpoint run.
    let since = Command::cargo_bin("dledger")
        .unwrap()
        .env("XDG_STATE_HOME", dir.path().join("xdg"))
        .args([
            "verify",
            "--since-checkpoint",
            "--as-of",
            "2026-01-31",
            "--checkpoint",
        ])
        .arg(&note)
        .arg(&short)
        .output()
        .unwrap();
    assert_eq!(since.status.code(), Some(2), "{}", text(&since));
    assert!(text(&since).contains("rollback"));
}

#[test]
fn a_fork_fails_against_a_checkpoint_of_the_other_history() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample_copy(dir.path());
    let keys = demo_keys_in(dir.path());
    // Same origin, same keys, the same first 10 entries, then a different one, checkpointed.
    let fork = truncated(dir.path(), &sample, 10);
    let ico = demo_key(&keys, "ico-2024");
    let mut ledger = Ledger::open(&fork).unwrap();
    let now = Timestamp::parse("2024-06-01T10:00:00Z").unwrap();
    let p = ledger
        .prepare_theme_declared(ThemeId::new("forked").unwrap(), "Only in the fork", "", now)
        .unwrap();
    ledger.append(p, &ico, now).unwrap();
    let note = ledger.checkpoint(&ico).unwrap();
    drop(ledger);
    let note_path = dir.path().join("fork.note");
    std::fs::write(&note_path, note.to_string()).unwrap();
    let out = dledger(
        &["verify", "--as-of", "2026-01-31", "--checkpoint"],
        &[&note_path, &sample],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let report = text(&out);
    assert!(report.contains("checkpoint-mismatch"), "{report}");
    assert!(
        report.contains(&format!(
            "does not extend the checkpoint {} of tree size 11",
            note_path.display()
        )),
        "{report}"
    );
    // A note signed by keys that are not the ledger's proves nothing.
    let fake = SecretKey::generate("ico-2024").unwrap();
    let mut other = Ledger::open(&fork).unwrap();
    let bad = other.checkpoint(&fake);
    assert!(bad.is_err(), "the writer refuses an unknown key");
}

#[test]
fn a_checkpoint_filed_under_another_size_fails() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample_copy(dir.path());
    let xdg = dir.path().join("xdg");
    let since = || {
        Command::cargo_bin("dledger")
            .unwrap()
            .env("XDG_STATE_HOME", &xdg)
            .args(["verify", "--since-checkpoint", "--as-of", "2026-01-31"])
            .arg(&sample)
            .output()
            .unwrap()
    };
    // A first incremental run saves its state at the newest cosigned checkpoint.
    assert_eq!(since().status.code(), Some(1));
    {
        let store = Store::open(&sample, Access::ReadWrite).unwrap();
        let checkpoints = store.checkpoints().unwrap();
        let (oldest, note) = checkpoints.first().unwrap().clone();
        let (newest, _) = checkpoints.last().unwrap().clone();
        assert!(oldest < newest);
        // The oldest note filed under the newest size, below the CLI.
        store.put_checkpoint(newest, &note).unwrap();
    }
    let full = dledger(&["verify", "--as-of", "2026-01-31"], &[&sample]);
    assert_eq!(full.status.code(), Some(2), "{}", text(&full));
    assert!(
        text(&full).contains("misfiled-checkpoint"),
        "{}",
        text(&full)
    );
    assert!(
        text(&full).contains("stored under tree size"),
        "{}",
        text(&full)
    );
    // Also when the row is older than the state a resumed run starts from.
    let resumed = since();
    assert_eq!(resumed.status.code(), Some(2), "{}", text(&resumed));
    assert!(
        text(&resumed).contains("misfiled-checkpoint"),
        "{}",
        text(&resumed)
    );
}

#[test]
fn explain_knows_the_new_kinds() {
    for code in ["untrusted-genesis", "rollback", "misfiled-checkpoint"] {
        let out = dledger(&["explain", code], &[]);
        assert!(out.status.success(), "{code}: {}", text(&out));
    }
}
