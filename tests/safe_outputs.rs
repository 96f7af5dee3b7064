//! Issue 13, item 9: outputs do not leak or clobber. Files holding confidential values or
//! verification state are created owner-only (0600 files, 0700 directories) and never written
//! through a symlink planted at the target: each is refused with exit 2 and a clear message,
//! and whatever the symlink points at is left unchanged.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn run(ledger: Option<&Path>, args: &[String]) -> (i32, String) {
    let mut cmd = Command::cargo_bin("dledger").unwrap();
    if let Some(l) = ledger {
        cmd.arg("-l").arg(l);
    }
    let out = cmd
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

fn mode(p: &Path) -> u32 {
    fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

/// Every file under `dir` is 0600 and every directory (with `dir`) 0700.
fn assert_owner_only_tree(dir: &Path) {
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            assert_owner_only_tree(&p);
        } else {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    ledger: PathBuf,
    keys: PathBuf,
    /// What planted symlinks point at: must never change.
    victim: PathBuf,
}

const VICTIM: &str = "precious contents\n";

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let ledger = common::sample_copy(&path);
    let keys = common::demo_keys_in(&path);
    let victim = path.join("victim.txt");
    fs::write(&victim, VICTIM).unwrap();
    Setup {
        _dir: dir,
        dir: path,
        ledger,
        keys,
        victim,
    }
}

impl Setup {
    /// A symlink at `dir/name` to the victim file.
    fn plant(&self, name: &str) -> PathBuf {
        let link = self.dir.join(name);
        std::os::unix::fs::symlink(&self.victim, &link).unwrap();
        link
    }
    /// A dangling symlink at `dir/name` (to a path that does not exist yet).
    fn plant_dangling(&self, name: &str) -> (PathBuf, PathBuf) {
        let link = self.dir.join(name);
        let target = self.dir.join(format!("{name}.target"));
        std::os::unix::fs::symlink(&target, &link).unwrap();
        (link, target)
    }
    fn victim_intact(&self) {
        assert_eq!(fs::read_to_string(&self.victim).unwrap(), VICTIM);
    }
}

#[test]
fn export_is_owner_only_and_refuses_a_symlink() {
    let t = setup();
    let out = t.dir.join("export.jsonl");
    let (code, err) = run(Some(&t.ledger), &["export".into(), "-o".into(), s(&out)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode(&out), 0o600);
    let link = t.plant("export-link.jsonl");
    let (code, err) = run(Some(&t.ledger), &["export".into(), "-o".into(), s(&link)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    t.victim_intact();
    let (link, target) = t.plant_dangling("export-dangling.jsonl");
    let (code, err) = run(Some(&t.ledger), &["export".into(), "-o".into(), s(&link)]);
    assert_eq!(code, 2, "{err}");
    assert!(!target.exists());

    // The import of that export makes an owner-only ledger, and refuses a symlink.
    let imported = t.dir.join("imported.ledger");
    let (code, err) = run(None, &["import".into(), s(&out), s(&imported)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode(&imported), 0o600);
    let (link, target) = t.plant_dangling("imported-link.ledger");
    let (code, err) = run(None, &["import".into(), s(&out), s(&link)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert!(!target.exists());
}

#[test]
fn init_makes_an_owner_only_ledger_and_refuses_a_symlink() {
    let t = setup();
    let init = |path: &Path| {
        run(
            None,
            &[
                "init".into(),
                s(path),
                "--origin".into(),
                "test.example/x".into(),
                "--party".into(),
                format!("OFCOM={}", s(&t.keys.join("ofcom-2024.vkey"))),
                "--party".into(),
                format!("ICO={}", s(&t.keys.join("ico-2024.vkey"))),
                "--key".into(),
                s(&t.keys.join("ofcom-2024.key")),
            ],
        )
    };
    let new = t.dir.join("new.ledger");
    let (code, err) = init(&new);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode(&new), 0o600);
    let (link, target) = t.plant_dangling("dangling.ledger");
    let (code, err) = init(&link);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert!(!target.exists());
    let link = t.plant("victim.ledger");
    let (code, err) = init(&link);
    assert_eq!(code, 2, "{err}");
    t.victim_intact();
}

#[test]
fn review_outputs_are_owner_only_and_refuse_a_symlink() {
    let t = setup();
    let out = t.dir.join("review.txt");
    let (code, err) = run(Some(&t.ledger), &["review".into(), "-o".into(), s(&out)]);
    assert!(code == 0 || code == 1, "{err}");
    assert_eq!(mode(&out), 0o600);
    let link = t.plant("review-link.html");
    let (code, err) = run(
        Some(&t.ledger),
        &[
            "review".into(),
            "--format".into(),
            "html".into(),
            "-o".into(),
            s(&link),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    t.victim_intact();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );

    let csv = t.dir.join("review-csv");
    let (code, err) = run(
        Some(&t.ledger),
        &[
            "review".into(),
            "--format".into(),
            "csv".into(),
            "-o".into(),
            s(&csv),
        ],
    );
    assert!(code == 0 || code == 1, "{err}");
    assert_owner_only_tree(&csv);
    // A symlinked table inside the directory is refused too.
    fs::remove_file(csv.join("summary.csv")).unwrap();
    std::os::unix::fs::symlink(&t.victim, csv.join("summary.csv")).unwrap();
    let (code, err) = run(
        Some(&t.ledger),
        &[
            "review".into(),
            "--format".into(),
            "csv".into(),
            "-o".into(),
            s(&csv),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    t.victim_intact();
    // A symlinked directory.
    let victim_dir = t.dir.join("victim-dir");
    fs::create_dir(&victim_dir).unwrap();
    let dir_link = t.dir.join("csv-link");
    std::os::unix::fs::symlink(&victim_dir, &dir_link).unwrap();
    let (code, err) = run(
        Some(&t.ledger),
        &[
            "review".into(),
            "--format".into(),
            "csv".into(),
            "-o".into(),
            s(&dir_link),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(fs::read_dir(&victim_dir).unwrap().count(), 0);
}

#[test]
fn evidence_bundles_are_owner_only_and_refuse_a_symlink() {
    let t = setup();
    let store = disclosure_ledger::store::Store::open(
        &t.ledger,
        disclosure_ledger::store::Access::ReadOnly,
    )
    .unwrap();
    let covered = store.checkpoints().unwrap().last().unwrap().0;
    drop(store);
    assert!(covered > 2);
    let bundle = t.dir.join("bundle");
    let (code, err) = run(
        Some(&t.ledger),
        &["evidence".into(), "1".into(), "-o".into(), s(&bundle)],
    );
    assert_eq!(code, 0, "{err}");
    assert_owner_only_tree(&bundle);
    // A symlink to a directory at the target is refused; nothing lands in the directory.
    let victim_dir = t.dir.join("victim-dir");
    fs::create_dir(&victim_dir).unwrap();
    let link = t.dir.join("bundle-link");
    std::os::unix::fs::symlink(&victim_dir, &link).unwrap();
    let (code, err) = run(
        Some(&t.ledger),
        &["evidence".into(), "1".into(), "-o".into(), s(&link)],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(fs::read_dir(&victim_dir).unwrap().count(), 0);
    let (link, target) = t.plant_dangling("bundle-dangling");
    let (code, err) = run(
        Some(&t.ledger),
        &["evidence".into(), "1".into(), "-o".into(), s(&link)],
    );
    assert_eq!(code, 2, "{err}");
    assert!(!target.exists());
}

#[test]
fn the_helpers_make_owner_only_files_and_never_follow_a_symlink() {
    use disclosure_ledger::files::{
        WriteFileError, create_private_dir, create_private_file, replace_private_file,
    };
    let t = setup();
    let f = t.dir.join("state.json");
    create_private_file(&f).unwrap();
    assert_eq!(mode(&f), 0o600);
    replace_private_file(&f, b"{}").unwrap();
    assert_eq!(mode(&f), 0o600);
    let d = t.dir.join("d");
    create_private_dir(&d).unwrap();
    assert_eq!(mode(&d), 0o700);
    let link = t.plant("state-link.json");
    assert!(matches!(
        create_private_file(&link),
        Err(WriteFileError::Symlink { .. })
    ));
    assert!(matches!(
        replace_private_file(&link, b"x"),
        Err(WriteFileError::Symlink { .. })
    ));
    assert!(matches!(
        create_private_dir(&link),
        Err(WriteFileError::Symlink { .. })
    ));
    t.victim_intact();
}
