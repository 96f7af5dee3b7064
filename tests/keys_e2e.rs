//! Keys end to end, through the `dledger` binary: owner-only private keys on create and load,
//! passphrase-encrypted keys (`keygen --encrypt`), and key rotation and revocation: an entry
//! signed by a key before it was rotated out or revoked stays valid; one signed after is an
//! integrity failure.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use disclosure_ledger::integrity::IntegrityKind;
use disclosure_ledger::model::Seq;
use disclosure_ledger::store::{Access, Store};
use disclosure_ledger::verify::{IntegrityStatus, VerifyOptions, verify_store};

const PASSPHRASE: &str = "a passphrase long enough to matter";

fn dledger() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("dledger"));
    // Nothing from the caller's environment: passphrases are given per test.
    cmd.env_remove("DLEDGER_PASSPHRASE")
        .env_remove("DLEDGER_PASSPHRASE_FILE")
        .env_remove("DLEDGER_LEDGER")
        .stdin(std::process::Stdio::null());
    cmd
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ok(out: Output) -> Output {
    assert!(out.status.success(), "{}", text(&out));
    out
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn passphrase_file(dir: &Path, content: &str) -> PathBuf {
    let path = dir.join("passphrase.txt");
    fs::write(&path, content).unwrap();
    set_mode(&path, 0o600);
    path
}

/// `dledger init` of a ledger with ICO and Ofcom, the ICO's key signing the genesis entry.
fn init(
    dir: &Path,
    ico_vkey: &Path,
    ofcom_vkey: &Path,
    ico_key: &Path,
    pass: Option<&Path>,
) -> PathBuf {
    let path = dir.join("k.ledger");
    let mut cmd = dledger();
    cmd.arg("init")
        .arg(&path)
        .args(["--origin", "test.example/keys"])
        .arg(format!("--party=ICO={}", ico_vkey.display()))
        .arg(format!("--party=OFCOM={}", ofcom_vkey.display()))
        .arg("--key")
        .arg(ico_key);
    if let Some(p) = pass {
        cmd.env("DLEDGER_PASSPHRASE_FILE", p);
    }
    ok(cmd.output().unwrap());
    path
}

fn declare(ledger: &Path, id: &str, key: &Path) -> Command {
    let mut cmd = dledger();
    cmd.arg("-l")
        .arg(ledger)
        .args(["theme", "declare", id, "--title", id, "--key"])
        .arg(key);
    cmd
}

#[test]
fn keygen_writes_an_owner_only_key_and_signing_refuses_one_others_can_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(dledger()
        .current_dir(dir.path())
        .args(["keygen", "ico-test", "--public-dir", "pub"])
        .output()
        .unwrap());
    let key = dir.path().join("ico-test.key");
    assert_eq!(mode(&key), 0o600, "{}", text(&out));
    assert_eq!(mode(&dir.path().join("pub/ico-test.vkey")), 0o644);
    assert!(
        fs::read_to_string(&key)
            .unwrap()
            .contains("PRIVATE+KEY+ico-test+")
    );
    // keygen never overwrites a key.
    let again = dledger()
        .current_dir(dir.path())
        .args(["keygen", "ico-test", "--public-dir", "pub"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));

    let keys = common::demo_keys_in(dir.path());
    let ledger = init(
        dir.path(),
        &dir.path().join("pub/ico-test.vkey"),
        &keys.join("ofcom-2024.vkey"),
        &key,
        None,
    );
    let before = fs::read(&ledger).unwrap();
    for open in [0o640, 0o604, 0o644, 0o660] {
        set_mode(&key, open);
        let out = declare(&ledger, "refused", &key).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("can be read by other users") && stderr.contains("chmod 600"),
            "{stderr}"
        );
        assert_eq!(
            fs::read(&ledger).unwrap(),
            before,
            "a refused key changed the ledger"
        );
    }
    set_mode(&key, 0o400);
    ok(declare(&ledger, "accepted", &key).output().unwrap());
}

#[test]
fn encrypted_keys_sign_only_with_their_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let pass = passphrase_file(dir.path(), &format!("{PASSPHRASE}\n"));
    // Without a passphrase (and no terminal to ask on), --encrypt refuses and writes nothing.
    let out = dledger()
        .current_dir(dir.path())
        .args(["keygen", "ico-enc", "--encrypt", "--public-dir", "pub"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DLEDGER_PASSPHRASE_FILE"));
    assert!(!dir.path().join("ico-enc.key").exists());
    // A short passphrase is refused.
    let short = dir.path().join("short.txt");
    fs::write(&short, "short\n").unwrap();
    set_mode(&short, 0o600);
    let out = dledger()
        .current_dir(dir.path())
        .args(["keygen", "ico-enc", "--encrypt", "--public-dir", "pub"])
        .env("DLEDGER_PASSPHRASE_FILE", &short)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!dir.path().join("ico-enc.key").exists());

    let out = ok(dledger()
        .current_dir(dir.path())
        .args(["keygen", "ico-enc", "--encrypt", "--public-dir", "pub"])
        .env("DLEDGER_PASSPHRASE_FILE", &pass)
        .output()
        .unwrap());
    assert!(String::from_utf8_lossy(&out.stdout).contains("encrypted"));
    let key = dir.path().join("ico-enc.key");
    assert_eq!(mode(&key), 0o600);
    let key_text = fs::read_to_string(&key).unwrap();
    assert!(key_text.contains("ENCRYPTED+KEY+ico-enc+"), "{key_text}");
    assert!(!key_text.contains("PRIVATE+KEY"), "{key_text}");

    let keys = common::demo_keys_in(dir.path());
    let ledger = init(
        dir.path(),
        &dir.path().join("pub/ico-enc.vkey"),
        &keys.join("ofcom-2024.vkey"),
        &key,
        Some(&pass),
    );
    let before = fs::read(&ledger).unwrap();
    // No passphrase: refused, saying how to give one.
    let out = declare(&ledger, "t1", &key).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is encrypted with a passphrase"));
    // A wrong passphrase: refused.
    let wrong = dir.path().join("wrong.txt");
    fs::write(&wrong, "not the passphrase at all\n").unwrap();
    set_mode(&wrong, 0o600);
    let out = declare(&ledger, "t1", &key)
        .env("DLEDGER_PASSPHRASE_FILE", &wrong)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not open"));
    // A passphrase file others can read: refused, like a key.
    set_mode(&pass, 0o644);
    let out = declare(&ledger, "t1", &key)
        .env("DLEDGER_PASSPHRASE_FILE", &pass)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));
    set_mode(&pass, 0o600);
    assert_eq!(
        fs::read(&ledger).unwrap(),
        before,
        "a refused signer changed the ledger"
    );
    // The right passphrase, from the file or from the environment.
    ok(declare(&ledger, "t1", &key)
        .env("DLEDGER_PASSPHRASE_FILE", &pass)
        .output()
        .unwrap());
    ok(declare(&ledger, "t2", &key)
        .env("DLEDGER_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap());
    let store = Store::open(&ledger, Access::ReadOnly).unwrap();
    let report = verify_store(&store, &VerifyOptions::default())
        .unwrap()
        .report;
    assert_eq!(report.status, IntegrityStatus::Intact);
    assert_eq!(report.entries, 3);
}

fn cli_verify(ledger: &Path) -> Output {
    dledger().arg("verify").arg(ledger).output().unwrap()
}

#[test]
fn rotation_and_revocation_keep_earlier_signatures_and_reject_later_ones() {
    let dir = tempfile::tempdir().unwrap();
    let keys = common::demo_keys_in(dir.path());
    let k = |name: &str, ext: &str| keys.join(format!("{name}.{ext}"));
    let pass = passphrase_file(dir.path(), PASSPHRASE);
    let ledger = init(
        dir.path(),
        &k("ico-2024", "vkey"),
        &k("ofcom-2024", "vkey"),
        &k("ico-2024", "key"),
        None,
    );
    // The ICO signs with its first key, then rotates to a new, passphrase-encrypted key.
    ok(
        declare(&ledger, "signed-before-rotation", &k("ico-2024", "key"))
            .output()
            .unwrap(),
    );
    ok(dledger()
        .current_dir(dir.path())
        .args(["keygen", "ico-new", "--encrypt", "--public-dir"])
        .arg(&keys)
        .env("DLEDGER_PASSPHRASE_FILE", &pass)
        .output()
        .unwrap());
    let ico_new = dir.path().join("ico-new.key");
    ok(dledger()
        .arg("-l")
        .arg(&ledger)
        .args(["key", "rotate"])
        .arg(k("ico-new", "vkey"))
        .arg("--key")
        .arg(k("ico-2024", "key"))
        .output()
        .unwrap());
    ok(declare(&ledger, "signed-after-rotation", &ico_new)
        .env("DLEDGER_PASSPHRASE_FILE", &pass)
        .output()
        .unwrap());
    // dledger refuses to sign with the rotated-out key.
    let before = fs::read(&ledger).unwrap();
    let out = declare(&ledger, "refused-old-key", &k("ico-2024", "key"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("rotated or revoked"),
        "{}",
        text(&out)
    );
    assert!(
        fs::read(&ledger).unwrap() == before,
        "a refused signer changed the ledger file"
    );

    // Ofcom adds an operations key, signs with it, then revokes it.
    ok(dledger()
        .arg("-l")
        .arg(&ledger)
        .args(["key", "add"])
        .arg(k("ofcom-ops-2024", "vkey"))
        .arg("--key")
        .arg(k("ofcom-2024", "key"))
        .output()
        .unwrap());
    ok(declare(
        &ledger,
        "signed-before-revocation",
        &k("ofcom-ops-2024", "key"),
    )
    .output()
    .unwrap());
    let ops = common::demo_key(&keys, "ofcom-ops-2024");
    ok(dledger()
        .arg("-l")
        .arg(&ledger)
        .args([
            "key",
            "revoke",
            &ops.public().key_id.to_hex(),
            "--reason",
            "laptop lost",
        ])
        .arg("--key")
        .arg(k("ofcom-2024", "key"))
        .output()
        .unwrap());
    let out = declare(&ledger, "refused-revoked", &k("ofcom-ops-2024", "key"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("rotated or revoked"),
        "{}",
        text(&out)
    );

    // Every entry signed while its key was valid verifies, the ones before the rotation and
    // the revocation included.
    let out = cli_verify(&ledger);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("INTACT"),
        "{}",
        text(&out)
    );
    let list = ok(dledger()
        .arg("-l")
        .arg(&ledger)
        .args(["list", "--keys"])
        .output()
        .unwrap());
    let list = String::from_utf8_lossy(&list.stdout);
    assert_eq!(list.matches("rotated at").count(), 1, "{list}");
    assert_eq!(list.matches("revoked at").count(), 1, "{list}");

    // An entry signed after the rotation by the old key, or after the revocation by the
    // revoked key, is an integrity failure at that entry.
    for (party, name, id) in [
        ("ICO", "ico-2024", "forged-rotated"),
        ("OFCOM", "ofcom-ops-2024", "forged-revoked"),
    ] {
        let copy = dir.path().join(format!("{id}.ledger"));
        fs::copy(&ledger, &copy).unwrap();
        let seq = common::append_forged(&copy, party, &common::demo_key(&keys, name), id);
        let store = Store::open(&copy, Access::ReadOnly).unwrap();
        let report = verify_store(&store, &VerifyOptions::default())
            .unwrap()
            .report;
        assert_eq!(report.failures.len(), 1, "{:#?}", report.failures);
        assert_eq!(report.failures[0].seq, Seq(seq));
        assert_eq!(report.failures[0].kind, IntegrityKind::KeyRevoked);
        let out = cli_verify(&copy);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("key-revoked") && stdout.contains(&format!("#{seq} ")),
            "{stdout}"
        );
    }
}

#[test]
fn a_key_is_revoked_by_its_name_and_an_unknown_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = common::sample_v2_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let new_key = dir.path().join("private/ico-ops-2026.key");
    // keygen makes the key's directory (owner-only) when it does not exist yet.
    ok(dledger()
        .args(["keygen", "ico-ops-2026", "--public-dir"])
        .arg(&keys)
        .arg("--out")
        .arg(&new_key)
        .output()
        .unwrap());
    assert_eq!(mode(&dir.path().join("private")), 0o700);
    let ico = keys.join("ico-2025.key");
    ok(dledger()
        .arg("-l")
        .arg(&ledger)
        .args(["key", "add"])
        .arg(keys.join("ico-ops-2026.vkey"))
        .arg("--key")
        .arg(&ico)
        .output()
        .unwrap());
    let before = fs::read(&ledger).unwrap();
    let out = dledger()
        .arg("-l")
        .arg(&ledger)
        .args(["key", "revoke", "ico-ops-2062", "--reason", "typo", "--key"])
        .arg(&ico)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("ICO has no key named \"ico-ops-2062\""),
        "{}",
        text(&out)
    );
    assert_eq!(fs::read(&ledger).unwrap(), before, "nothing is written");
    ok(dledger()
        .arg("-l")
        .arg(&ledger)
        .args([
            "key",
            "revoke",
            "ico-ops-2026",
            "--reason",
            "laptop lost",
            "--key",
        ])
        .arg(&ico)
        .output()
        .unwrap());
    let listed = ok(dledger()
        .arg("-l")
        .arg(&ledger)
        .args(["list", "--keys"])
        .output()
        .unwrap());
    assert!(
        text(&listed)
            .lines()
            .any(|l| l.contains("ico-ops-2026") && l.contains("revoked at #")),
        "{}",
        text(&listed)
    );
}
