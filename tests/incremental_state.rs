//! Issue 13, item 6: the `verify --since-checkpoint` state is the verifier's own. It lives in
//! the verifying user's state directory (owner-only), is bound to the ledger's genesis and
//! trust roots, is refused for another ledger, when edited, or in an older format, and is never
//! written through a symbolic link planted at its path.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use common::sample_copy;
use disclosure_ledger::codec::decode_entry;
use disclosure_ledger::hash::leaf_hash;
use disclosure_ledger::incremental::{load_state, state_file_name};
use disclosure_ledger::keys::SecretKey;
use disclosure_ledger::model::{Body, EntryHash};
use disclosure_ledger::store::{Access, Store};

use common::output_text as text;

/// `dledger verify --since-checkpoint LEDGER` with the user state directory `xdg`.
fn since(xdg: &Path, ledger: &Path, extra: &[&str]) -> Output {
    Command::cargo_bin("dledger")
        .unwrap()
        .env("XDG_STATE_HOME", xdg)
        .args(["verify", "--since-checkpoint", "--as-of", "2026-01-31"])
        .args(extra)
        .arg(ledger)
        .output()
        .unwrap()
}

/// Where the state of the ledger at `path` goes under `xdg`.
fn expected_state(xdg: &Path, path: &Path) -> PathBuf {
    let store = Store::open(path, Access::ReadOnly).unwrap();
    let bytes = store.get(0).unwrap().unwrap().bytes;
    let Body::Genesis(g) = decode_entry(&bytes).unwrap().body else {
        panic!("no genesis")
    };
    xdg.join("dledger")
        .join(state_file_name(&g.origin, &EntryHash(leaf_hash(&bytes))))
}

#[test]
fn the_default_state_is_owner_only_in_the_users_state_directory() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = sample_copy(dir.path());
    let xdg = dir.path().join("xdg");
    let out = since(&xdg, &ledger, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let state = expected_state(&xdg, &ledger);
    assert!(state.is_file(), "{}", text(&out));
    // Nothing beside the ledger.
    let beside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("verify-state"))
        .collect();
    assert!(beside.is_empty(), "{beside:?}");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&xdg.join("dledger")), 0o700);
    assert_eq!(mode(&state), 0o600);
    assert_eq!(load_state(&state).unwrap().unwrap().size, 453);
    // The second run resumes from it.
    let again = since(&xdg, &ledger, &[]);
    assert!(
        text(&again).contains("Checked:  entries #453 onwards"),
        "{}",
        text(&again)
    );
}

/// A ledger with the sample's origin under fresh keys (no checkpoint), made with `dledger init`.
fn other_ledger(dir: &Path, origin: &str) -> PathBuf {
    let keys = dir.join("other-keys");
    for name in ["ico-2024", "ofcom-2024"] {
        let key = SecretKey::generate(name).unwrap();
        std::fs::create_dir_all(&keys).unwrap();
        key.save(&keys.join(format!("{name}.key")), false).unwrap();
        disclosure_ledger::keys::save_public(key.public(), &keys).unwrap();
    }
    let path = dir.join("other.ledger");
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("init")
        .arg(&path)
        .args(["--origin", origin])
        .arg("--party")
        .arg(format!("ICO={}", keys.join("ico-2024.vkey").display()))
        .arg("--party")
        .arg(format!("OFCOM={}", keys.join("ofcom-2024.vkey").display()))
        .arg("--key")
        .arg(keys.join("ico-2024.key"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    path
}

#[test]
fn a_state_from_another_ledger_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = sample_copy(dir.path());
    let xdg = dir.path().join("xdg");
    let state = dir.path().join("shared.state");
    let state_arg = state.to_str().unwrap();
    assert_eq!(
        since(&xdg, &ledger, &["--state", state_arg]).status.code(),
        Some(1)
    );
    let origin = {
        let store = Store::open(&ledger, Access::ReadOnly).unwrap();
        let Body::Genesis(g) = decode_entry(&store.get(0).unwrap().unwrap().bytes)
            .unwrap()
            .body
        else {
            panic!()
        };
        g.origin
    };
    let other = other_ledger(dir.path(), &origin);
    // Same origin, so a name from the origin alone would collide; the genesis hash does not.
    assert_ne!(expected_state(&xdg, &other), expected_state(&xdg, &ledger));
    let before = std::fs::read(&state).unwrap();
    let out = since(&xdg, &other, &["--state", state_arg]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = text(&out);
    assert!(err.contains("does not match this ledger"), "{err}");
    assert!(err.contains("genesis entry hashes to"), "{err}");
    assert!(err.contains("full `dledger verify`"), "{err}");
    assert_eq!(
        std::fs::read(&state).unwrap(),
        before,
        "the state is left alone"
    );
}

#[test]
fn a_symlink_planted_at_the_state_path_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = sample_copy(dir.path());
    let xdg = dir.path().join("xdg");
    let state = expected_state(&xdg, &ledger);
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    std::fs::set_permissions(
        state.parent().unwrap(),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    std::os::unix::fs::symlink(&victim, &state).unwrap();
    let out = since(&xdg, &ledger, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = text(&out);
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(
        std::fs::symlink_metadata(&state)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // Nor through --state.
    let link = dir.path().join("link.state");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let out = since(&xdg, &ledger, &["--state", link.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
}

#[test]
fn a_tampered_or_old_format_state_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = sample_copy(dir.path());
    let xdg = dir.path().join("xdg");
    assert_eq!(since(&xdg, &ledger, &[]).status.code(), Some(1));
    let state = expected_state(&xdg, &ledger);
    let original = std::fs::read_to_string(&state).unwrap();
    // Someone drops the open disclosures so their acknowledgement flags never show again.
    let mut v: serde_json::Value = serde_json::from_str(&original).unwrap();
    assert!(!v["body"]["open"].as_array().unwrap().is_empty());
    v["body"]["open"] = serde_json::json!([]);
    std::fs::write(&state, v.to_string()).unwrap();
    let out = since(&xdg, &ledger, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = text(&out);
    assert!(err.contains("digest does not match"), "{err}");
    assert!(err.contains("full `dledger verify`"), "{err}");
    // A state in the old format (version 1) is refused, not misread.
    let mut v: serde_json::Value = serde_json::from_str(&original).unwrap();
    v["body"]["version"] = 1.into();
    std::fs::write(&state, v.to_string()).unwrap();
    let out = since(&xdg, &ledger, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = text(&out);
    assert!(err.contains("state format version 1"), "{err}");
    assert!(err.contains("full `dledger verify`"), "{err}");
    // The untouched state still works.
    std::fs::write(&state, &original).unwrap();
    let out = since(&xdg, &ledger, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}
