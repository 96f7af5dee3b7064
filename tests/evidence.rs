//! Evidence bundles: built from the sample ledger, verified offline through the CLI, and every
//! part of a bundle tampered with (each tampered bundle must fail, exit 2, naming the check);
//! vault erasure and what bundles say about erased fields.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use disclosure_ledger::codec::decode_entry;
use disclosure_ledger::evidence::{
    CheckName, EvidenceError, build_bundle, load_trust_dir, verify_bundle,
};
use disclosure_ledger::hash::{leaf_hash, sha256};
use disclosure_ledger::keys::{SecretKey, save_public};
use disclosure_ledger::model::{Body, FieldName, Seq, Timestamp};
use disclosure_ledger::store::{Access, Store, StoreError};

/// What the tests need to know about the sample ledger (it is regenerated from time to time,
/// so nothing is hard-coded).
struct Sample {
    /// A disclosure with an acknowledgement and a correction carrying a replacement.
    corrected: u64,
    /// Its acknowledgement.
    ack: u64,
    /// The correction.
    correction: u64,
    /// Another acknowledged disclosure, not corrected (for swapping files).
    other: u64,
    /// The other disclosure's acknowledgement.
    other_ack: u64,
    /// A field of `corrected`.
    field: String,
    /// Size of the latest checkpoint.
    checkpoint: u64,
}

fn sample() -> Sample {
    let store = Store::open(&common::sample_ledger(), Access::ReadOnly).unwrap();
    let mut entries = Vec::new();
    store
        .scan(0, None, |r| {
            entries.push(decode_entry(&r.bytes).unwrap());
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let checkpoint = store.checkpoints().unwrap().last().unwrap().0;
    let ack_of = |seq: u64| {
        entries.iter().find_map(|e| match &e.body {
            Body::Acknowledgement(a) if a.disclosure.0 == seq && e.seq.0 < checkpoint => {
                Some(e.seq.0)
            }
            _ => None,
        })
    };
    let corrections: Vec<(u64, u64)> = entries
        .iter()
        .filter_map(|e| match &e.body {
            Body::Correction(c) if c.replacement.is_some() => Some((c.supersedes.0, e.seq.0)),
            _ => None,
        })
        .collect();
    let (corrected, correction, ack) = corrections
        .iter()
        .find_map(|&(d, c)| ack_of(d).map(|a| (d, c, a)))
        .expect("the sample has an acknowledged, corrected disclosure");
    let field = match &entries[corrected as usize].body {
        Body::Disclosure(d) => d.fields[0].name.as_str().to_owned(),
        _ => unreachable!(),
    };
    let (other, other_ack) = entries
        .iter()
        .filter(|e| matches!(e.body, Body::Disclosure(_)))
        .filter(|e| e.seq.0 != corrected && !corrections.iter().any(|c| c.0 == e.seq.0))
        .find_map(|e| ack_of(e.seq.0).map(|a| (e.seq.0, a)))
        .unwrap();
    Sample {
        corrected,
        ack,
        correction,
        other,
        other_ack,
        field,
        checkpoint,
    }
}

/// The fixtures' public keys (trust roots among them) in a directory of their own.
fn trust_dir(dir: &Path) -> PathBuf {
    let trust = dir.join("trust");
    fs::create_dir_all(&trust).unwrap();
    for e in fs::read_dir(common::root().join("fixtures/keys")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "vkey") {
            fs::copy(&p, trust.join(p.file_name().unwrap())).unwrap();
        }
    }
    trust
}

fn dledger() -> Command {
    Command::cargo_bin("dledger").unwrap()
}

/// `dledger evidence` through the CLI.
fn make_bundle(ledger: &Path, seq: u64, open: &str, out: &Path) {
    let mut cmd = dledger();
    cmd.arg("-l")
        .arg(ledger)
        .arg("evidence")
        .arg(seq.to_string());
    if !open.is_empty() {
        cmd.arg("--open").arg(open);
    }
    let assert = cmd.arg("-o").arg(out).assert().success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(stdout.contains("Wrote evidence bundle"), "{stdout}");
}

/// `dledger verify-evidence --json`: exit code, failed check names, and the JSON report.
fn verify_cli(bundle: &Path, trust: &Path) -> (i32, Vec<String>, serde_json::Value) {
    let out = dledger()
        .arg("verify-evidence")
        .arg(bundle)
        .arg("--trust")
        .arg(trust)
        .arg("--json")
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let failed = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    (out.status.code().unwrap(), failed, json)
}

/// `dledger verify-evidence` as text.
fn verify_text(bundle: &Path, trust: &Path) -> (i32, String) {
    let out = dledger()
        .arg("verify-evidence")
        .arg(bundle)
        .arg("--trust")
        .arg(trust)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Rewrites the manifest's file hashes, sizes and leaf hashes to match the files, as an
/// attacker would (the manifest is not signed), so only the cryptographic checks can object.
fn reseal(dir: &Path) {
    let path = dir.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    for e in m["entries"].as_array_mut().unwrap() {
        let seq = e["seq"].as_u64().unwrap();
        if let Ok(bytes) = fs::read(dir.join(format!("entries/{seq}.bin"))) {
            e["leaf_hash"] = hex::encode(leaf_hash(&bytes)).into();
        }
    }
    let mut files = Vec::new();
    for sub in ["", "entries"] {
        for e in fs::read_dir(dir.join(sub)).unwrap() {
            let e = e.unwrap();
            let rel = if sub.is_empty() {
                e.file_name().to_string_lossy().into_owned()
            } else {
                format!("{sub}/{}", e.file_name().to_string_lossy())
            };
            if rel == "manifest.json" || e.file_type().unwrap().is_dir() {
                continue;
            }
            let bytes = fs::read(e.path()).unwrap();
            files.push(serde_json::json!({
                "path": rel, "bytes": bytes.len(), "sha256": hex::encode(sha256(&bytes)),
            }));
        }
    }
    files.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    m["files"] = files.into();
    fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
}

/// Flips one bit of a base64 value (32 or more bytes) at `byte`, keeping it canonical base64.
fn flip_b64(text: &str, byte: usize) -> String {
    let mut raw = BASE64.decode(text).unwrap();
    raw[byte] ^= 0x01;
    BASE64.encode(raw)
}

/// Applies `edit` to the text of checkpoint.note and of the checkpoint inside every proof.
fn edit_checkpoint(dir: &Path, edit: impl Fn(&str) -> String) {
    let old = fs::read_to_string(dir.join("checkpoint.note")).unwrap();
    let new = edit(&old);
    assert_ne!(old, new, "the edit changed nothing");
    fs::write(dir.join("checkpoint.note"), &new).unwrap();
    for e in fs::read_dir(dir.join("entries")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "tlog-proof") {
            let text = fs::read_to_string(&p).unwrap();
            fs::write(&p, text.replace(&old, &new)).unwrap();
        }
    }
}

/// Rewrites the signature line of `name` in a note's text with one bit flipped at `byte` of
/// its base64 payload (after the 4-byte key id).
fn flip_signature_line(note: &str, name: &str, byte: usize) -> String {
    note.lines()
        .map(|l| match l.strip_prefix(&format!("\u{2014} {name} ")) {
            Some(b64) => format!("\u{2014} {name} {}", flip_b64(b64, byte)),
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn edit_openings(dir: &Path, edit: impl Fn(&mut serde_json::Value)) {
    let path = dir.join("openings.json");
    let mut o: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    edit(&mut o["fields"][0]);
    fs::write(&path, serde_json::to_vec_pretty(&o).unwrap()).unwrap();
}

fn remove_entry(dir: &Path, seq: u64, from_manifest: bool) {
    for ext in ["bin", "sig", "tlog-proof"] {
        fs::remove_file(dir.join(format!("entries/{seq}.{ext}"))).unwrap();
    }
    if from_manifest {
        let path = dir.join("manifest.json");
        let mut m: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        m["entries"]
            .as_array_mut()
            .unwrap()
            .retain(|e| e["seq"] != seq);
        fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    }
}

/// Signers in a checkpoint note, in line order.
fn note_signers(note: &str) -> Vec<String> {
    note.lines()
        .filter_map(|l| l.strip_prefix("\u{2014} "))
        .map(|l| l.split(' ').next().unwrap().to_owned())
        .collect()
}

/// The sequence number of the key-rotated entry in a bundle.
fn rotation_in(dir: &Path) -> u64 {
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    m["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "key-rotated")
        .expect("the bundle carries the ICO key rotation")["seq"]
        .as_u64()
        .unwrap()
}

#[test]
fn bundle_for_acknowledged_corrected_disclosure_verifies_offline() {
    let s = sample();
    let tmp = tempfile::tempdir().unwrap();
    let trust = trust_dir(tmp.path());
    let bundle = tmp.path().join("bundle");
    make_bundle(&common::sample_ledger(), s.corrected, &s.field, &bundle);

    for f in [
        "README.txt",
        "summary.txt",
        "manifest.json",
        "checkpoint.note",
        "openings.json",
    ] {
        assert!(bundle.join(f).is_file(), "{f} missing");
    }
    for seq in [0, s.corrected, s.ack, s.correction] {
        for ext in ["bin", "sig", "tlog-proof"] {
            assert!(bundle.join(format!("entries/{seq}.{ext}")).is_file());
        }
    }
    let proof =
        fs::read_to_string(bundle.join(format!("entries/{}.tlog-proof", s.corrected))).unwrap();
    assert!(proof.starts_with(&format!("c2sp.org/tlog-proof@v1\nindex {}\n", s.corrected)));

    let (code, failed, json) = verify_cli(&bundle, &trust);
    assert_eq!(code, 0, "failed: {failed:?}\n{json:#}");
    assert!(failed.is_empty());
    assert_eq!(json["ok"], true);
    assert_eq!(json["target"], s.corrected);
    assert_eq!(json["tree_size"], s.checkpoint);
    assert_eq!(json["checkpoint_signer"], "ICO");
    assert_eq!(json["cosigners"][0]["party"], "OFCOM");
    assert_eq!(json["fields"][0]["name"], s.field.as_str());
    assert_eq!(json["fields"][0]["status"], "opened");
    // Every kind of check ran.
    let names: Vec<&str> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for n in [
        "manifest",
        "trust-roots",
        "entry-decode",
        "entry-signature",
        "leaf-hash",
        "key-history",
        "inclusion-proof",
        "checkpoint-signature",
        "cosignature",
        "references",
        "field-opening",
        "summary",
    ] {
        assert!(names.contains(&n), "no {n} check in {names:?}");
    }

    let (code, text) = verify_text(&bundle, &trust);
    assert_eq!(code, 0);
    assert!(text.contains("Result: VERIFIED"), "{text}");
    for phrase in [
        "What was shared",
        "From:",
        "To:",
        "Disclosed:",
        "Gateway:",
        "Notice:",
        &format!("acknowledged receipt in entry #{}", s.ack),
        &format!("Entry #{}, recorded", s.correction),
        "cosigned by OFCOM",
    ] {
        assert!(text.contains(phrase), "{phrase:?} not in:\n{text}");
    }
    // summary.txt is exactly the summary the verifier derives.
    let summary = fs::read_to_string(bundle.join("summary.txt")).unwrap();
    assert_eq!(json["summary"].as_str().unwrap(), summary);
    let readme = fs::read_to_string(bundle.join("README.txt")).unwrap();
    assert!(readme.contains("dledger verify-evidence"));
    assert!(readme.contains(&format!("entries/{}.tlog-proof", s.corrected)));
}

#[test]
fn bundle_for_the_correction_carries_what_it_supersedes() {
    let s = sample();
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&common::sample_ledger(), Access::ReadOnly).unwrap();
    let bundle = build_bundle(&store, Seq(s.correction), &[]).unwrap();
    let roles: Vec<(u64, String)> = bundle
        .manifest()
        .entries
        .iter()
        .map(|e| (e.seq, format!("{:?}", e.role)))
        .collect();
    assert!(
        roles.contains(&(s.corrected, "Superseded".to_owned())),
        "{roles:?}"
    );
    let dir = tmp.path().join("b");
    bundle.write(&dir).unwrap();
    let trusted = load_trust_dir(&trust_dir(tmp.path())).unwrap();
    let report = verify_bundle(&dir, &trusted).unwrap();
    assert!(report.ok, "{}", report.to_text("b"));
    assert!(!report.failed(CheckName::Summary));
    assert!(
        report
            .checks
            .iter()
            .any(|c| c.name == CheckName::References && c.ok)
    );
    assert!(
        report
            .summary
            .contains(&format!("This entry corrects entry #{}", s.corrected))
    );
    assert!(report.summary.contains("What should have been recorded"));
    // Writing again refuses the existing directory.
    assert!(matches!(
        bundle.write(&dir),
        Err(EvidenceError::DirExists { .. })
    ));
}

#[test]
fn a_bundle_for_an_entry_of_every_kind_verifies() {
    let s = sample();
    let tmp = tempfile::tempdir().unwrap();
    let trusted = load_trust_dir(&trust_dir(tmp.path())).unwrap();
    let store = Store::open(&common::sample_ledger(), Access::ReadOnly).unwrap();
    let mut firsts = std::collections::BTreeMap::new();
    store
        .scan(0, Some(s.checkpoint), |r| {
            let kind = decode_entry(&r.bytes).unwrap().body.kind();
            firsts.entry(kind).or_insert(r.key);
            Ok::<_, StoreError>(())
        })
        .unwrap();
    assert_eq!(firsts.len(), 13, "{firsts:?}");
    for (kind, seq) in firsts {
        let bundle = build_bundle(&store, Seq(seq), &[]).unwrap();
        assert!(bundle.report().ok, "{kind} #{seq}");
        let dir = tmp.path().join(format!("b{seq}"));
        bundle.write(&dir).unwrap();
        let report = verify_bundle(&dir, &trusted).unwrap();
        assert!(report.ok, "{kind} #{seq}: {}", report.to_text("b"));
        assert!(
            report
                .summary
                .starts_with(&format!("Entry #{seq} of the disclosure ledger")),
            "{}",
            report.summary
        );
    }
}

#[test]
fn building_refuses_bad_requests_clearly() {
    let s = sample();
    let store = Store::open(&common::sample_ledger(), Access::ReadOnly).unwrap();
    let len = store.len().unwrap();
    let err = build_bundle(&store, Seq(len + 5), &[]).unwrap_err();
    assert!(matches!(err, EvidenceError::NoSuchEntry { .. }), "{err}");
    let err = build_bundle(
        &store,
        Seq(s.corrected),
        &[FieldName::new("no_such").unwrap()],
    )
    .unwrap_err();
    assert!(err.to_string().contains(&s.field), "{err}");
    let err = build_bundle(&store, Seq(s.ack), &[FieldName::new("x").unwrap()]).unwrap_err();
    assert!(matches!(err, EvidenceError::NoFields { .. }), "{err}");

    // An existing output directory is refused, and nothing is written into it.
    let tmp = tempfile::tempdir().unwrap();
    dledger()
        .arg("-l")
        .arg(common::sample_ledger())
        .args(["evidence", &s.corrected.to_string(), "-o"])
        .arg(tmp.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("already exists"));
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn entry_after_the_last_cosigned_checkpoint_is_refused_with_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = common::sample_copy(tmp.path());
    let keys = common::demo_keys_in(tmp.path());
    dledger()
        .arg("-l")
        .arg(&ledger)
        .args([
            "theme",
            "declare",
            "evidence-test",
            "--title",
            "Evidence test",
            "--key",
        ])
        .arg(keys.join("ico-2025.key"))
        .assert()
        .success();
    let store = Store::open(&ledger, Access::ReadOnly).unwrap();
    let last = store.len().unwrap() - 1;
    drop(store);
    let out = dledger()
        .arg("-l")
        .arg(&ledger)
        .args(["evidence", &last.to_string(), "-o"])
        .arg(tmp.path().join("b"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("dledger checkpoint"), "{err}");
    assert!(err.contains("dledger cosign"), "{err}");
    assert!(!tmp.path().join("b").exists());
}

type Tamper = fn(&Path, &Sample);

#[test]
fn every_tampered_bundle_fails_naming_the_check() {
    let s = sample();
    let tmp = tempfile::tempdir().unwrap();
    let trust = trust_dir(tmp.path());
    let base = tmp.path().join("base");
    make_bundle(&common::sample_ledger(), s.corrected, &s.field, &base);
    let other = tmp.path().join("other");
    make_bundle(&common::sample_ledger(), s.other, "", &other);

    let cases: Vec<(&str, Tamper, bool, &str)> = vec![
        // (case, tamper, reseal the manifest as an attacker would, check that must fail)
        (
            "flip a byte of the entry",
            |d, s| {
                let p = d.join(format!("entries/{}.bin", s.corrected));
                let mut b = fs::read(&p).unwrap();
                let last = b.len() - 1; // inside the officer's role text
                b[last] ^= 0x01;
                fs::write(p, b).unwrap();
            },
            true,
            "entry-signature",
        ),
        (
            "flip a byte of the entry (manifest not resealed)",
            |d, s| {
                let p = d.join(format!("entries/{}.bin", s.corrected));
                let mut b = fs::read(&p).unwrap();
                let last = b.len() - 1;
                b[last] ^= 0x01;
                fs::write(p, b).unwrap();
            },
            false,
            "leaf-hash",
        ),
        (
            "flip a byte of the signature",
            |d, s| {
                let p = d.join(format!("entries/{}.sig", s.corrected));
                let t = fs::read_to_string(&p).unwrap();
                fs::write(p, flip_b64(t.trim(), 7) + "\n").unwrap();
            },
            true,
            "entry-signature",
        ),
        (
            "flip a byte of a proof hash",
            |d, s| {
                let p = d.join(format!("entries/{}.tlog-proof", s.corrected));
                let t = fs::read_to_string(&p).unwrap();
                let mut lines: Vec<String> = t.lines().map(str::to_owned).collect();
                lines[3] = flip_b64(&lines[3], 5);
                fs::write(p, lines.join("\n") + "\n").unwrap();
            },
            true,
            "inclusion-proof",
        ),
        (
            "flip a byte of the checkpoint root",
            |d, _| {
                edit_checkpoint(d, |note| {
                    let mut lines: Vec<String> = note.lines().map(str::to_owned).collect();
                    lines[2] = flip_b64(&lines[2], 9);
                    lines.join("\n") + "\n"
                })
            },
            true,
            "checkpoint-signature",
        ),
        (
            "flip a byte of the checkpoint signature",
            |d, _| {
                edit_checkpoint(d, |note| {
                    let signer = note_signers(note)[0].clone();
                    flip_signature_line(note, &signer, 4 + 10)
                })
            },
            true,
            "checkpoint-signature",
        ),
        (
            "flip a byte of the cosignature",
            |d, _| {
                edit_checkpoint(d, |note| {
                    let cosigner = note_signers(note)[1].clone();
                    flip_signature_line(note, &cosigner, 4 + 8 + 10)
                })
            },
            true,
            "cosignature",
        ),
        (
            "change the cosignature's timestamp",
            |d, _| {
                edit_checkpoint(d, |note| {
                    let cosigner = note_signers(note)[1].clone();
                    flip_signature_line(note, &cosigner, 4 + 7)
                })
            },
            true,
            "cosignature",
        ),
        (
            "strip the cosignature",
            |d, _| {
                edit_checkpoint(d, |note| {
                    let cosigner = note_signers(note)[1].clone();
                    note.lines()
                        .filter(|l| !l.starts_with(&format!("\u{2014} {cosigner} ")))
                        .map(|l| format!("{l}\n"))
                        .collect()
                })
            },
            true,
            "cosignature",
        ),
        (
            "change an opened value",
            |d, _| edit_openings(d, |f| f["value"] = "Some Other Company Ltd".into()),
            true,
            "field-opening",
        ),
        (
            "change a salt",
            |d, _| {
                edit_openings(d, |f| {
                    let salt = f["salt"].as_str().unwrap();
                    let flipped = if salt.starts_with('0') { "1" } else { "0" };
                    f["salt"] = format!("{flipped}{}", &salt[1..]).into();
                })
            },
            true,
            "field-opening",
        ),
        (
            "claim an opened field was erased",
            |d, _| {
                edit_openings(d, |f| {
                    let name = f["name"].clone();
                    *f = serde_json::json!({
                        "status": "erased", "name": name,
                        "commitment": "00".repeat(32), "erased_at": "2025-01-01T00:00:00Z",
                    });
                })
            },
            true,
            "field-opening",
        ),
        (
            "swap the acknowledgement's files for another entry's",
            |d, s| {
                let other = d.parent().unwrap().join("other");
                for ext in ["bin", "sig", "tlog-proof"] {
                    fs::copy(
                        other.join(format!("entries/{}.{ext}", s.other_ack)),
                        d.join(format!("entries/{}.{ext}", s.ack)),
                    )
                    .unwrap();
                }
            },
            true,
            "entry-decode",
        ),
        (
            "replace the acknowledgement by another disclosure's, renamed consistently",
            |d, s| {
                let other = d.parent().unwrap().join("other");
                remove_entry(d, s.ack, false);
                for ext in ["bin", "sig", "tlog-proof"] {
                    fs::copy(
                        other.join(format!("entries/{}.{ext}", s.other_ack)),
                        d.join(format!("entries/{}.{ext}", s.other_ack)),
                    )
                    .unwrap();
                }
                let path = d.join("manifest.json");
                let text = fs::read_to_string(&path).unwrap();
                let text = text.replace(
                    &format!("\"seq\": {},", s.ack),
                    &format!("\"seq\": {},", s.other_ack),
                );
                fs::write(path, text).unwrap();
            },
            true,
            "references",
        ),
        (
            "remove a key-history entry (files and manifest)",
            |d, _| remove_entry(d, rotation_in(d), true),
            true,
            "checkpoint-signature",
        ),
        (
            "remove a key-history entry's files only",
            |d, _| remove_entry(d, rotation_in(d), false),
            false,
            "manifest",
        ),
        (
            "truncate the entry file",
            |d, s| {
                let p = d.join(format!("entries/{}.bin", s.corrected));
                let b = fs::read(&p).unwrap();
                fs::write(p, &b[..b.len() / 2]).unwrap();
            },
            false,
            "entry-decode",
        ),
        (
            "truncate the checkpoint",
            |d, _| {
                let p = d.join("checkpoint.note");
                let b = fs::read(&p).unwrap();
                fs::write(p, &b[..b.len() - 30]).unwrap();
            },
            true,
            "checkpoint-signature",
        ),
        (
            "add garbage to the manifest",
            |d, _| {
                let p = d.join("manifest.json");
                let mut b = fs::read(&p).unwrap();
                b.extend_from_slice(b"\n{\"garbage\": true}\n");
                fs::write(p, b).unwrap();
            },
            false,
            "manifest",
        ),
        (
            "change the summary",
            |d, _| {
                let p = d.join("summary.txt");
                let t = fs::read_to_string(&p).unwrap();
                fs::write(p, t.replace("SKIPPED", "given")).unwrap();
            },
            true,
            "summary",
        ),
        (
            "add a file",
            |d, _| fs::write(d.join("entries/1.txt"), "hello").unwrap(),
            false,
            "files",
        ),
        (
            "replace a file by a symbolic link",
            |d, _| {
                fs::remove_file(d.join("README.txt")).unwrap();
                std::os::unix::fs::symlink("/dev/zero", d.join("README.txt")).unwrap();
            },
            false,
            "files",
        ),
        (
            "point the manifest at another target",
            |d, s| {
                let path = d.join("manifest.json");
                let text = fs::read_to_string(&path).unwrap();
                let text = text.replace(
                    &format!("\"target\": {},", s.corrected),
                    &format!("\"target\": {},", s.ack),
                );
                fs::write(path, text).unwrap();
            },
            true,
            "references",
        ),
    ];

    // The swap cases read the "other" bundle that sits next to each case directory.
    assert!(other.is_dir());
    let mut problems = Vec::new();
    for (i, (name, tamper, resealed, expected)) in cases.into_iter().enumerate() {
        let dir = tmp.path().join(format!("case{i}"));
        copy_dir(&base, &dir);
        tamper(&dir, &s);
        if resealed {
            reseal(&dir);
        }
        let (code, failed, json) = verify_cli(&dir, &trust);
        if code != 2 || !failed.iter().any(|f| f == expected) {
            problems.push(format!(
                "{name}: exit {code}, failed {failed:?}, expected {expected}\n{json:#}"
            ));
        }
        // Each failure says what is wrong in words, not just a name.
        for c in json["checks"].as_array().unwrap() {
            if c["ok"] == false {
                assert!(c["detail"].as_str().unwrap().len() > 20, "{name}: {c}");
            }
        }
        let (code, text) = verify_text(&dir, &trust);
        assert_eq!(code, 2, "{name}");
        assert!(text.contains("Result: FAILED"), "{name}: {text}");
        assert!(
            text.contains(&format!("FAIL  {expected}")),
            "{name}: {text}"
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn a_trust_directory_with_other_keys_rejects_the_genesis() {
    let s = sample();
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("b");
    make_bundle(&common::sample_ledger(), s.other, "", &bundle);
    let trust = tmp.path().join("other-keys");
    let key = SecretKey::generate("ico-2024").unwrap();
    save_public(key.public(), &trust).unwrap();
    let (code, failed, json) = verify_cli(&bundle, &trust);
    assert_eq!(code, 2);
    assert!(failed.contains(&"trust-roots".to_owned()), "{failed:?}");
    let detail = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "trust-roots")
        .unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("untrusted genesis"), "{detail}");

    // Trusting only some parties: the others' signatures are not accepted.
    let partial = tmp.path().join("ico-only");
    fs::create_dir_all(&partial).unwrap();
    fs::copy(
        common::root().join("fixtures/keys/ico-2024.vkey"),
        partial.join("ico-2024.vkey"),
    )
    .unwrap();
    let (code, failed, _) = verify_cli(&bundle, &partial);
    assert_eq!(code, 2);
    assert!(failed.contains(&"cosignature".to_owned()), "{failed:?}");

    // A trust directory without keys is an error, not a verdict.
    let empty = tmp.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    dledger()
        .arg("verify-evidence")
        .arg(&bundle)
        .arg("--trust")
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no *.vkey files"));
}

/// A way to spoil a file's bytes.
type Junk = fn(&[u8]) -> Vec<u8>;

#[test]
fn hostile_bundles_fail_without_panicking() {
    let s = sample();
    let tmp = tempfile::tempdir().unwrap();
    let trusted = load_trust_dir(&trust_dir(tmp.path())).unwrap();
    let base = tmp.path().join("base");
    make_bundle(&common::sample_ledger(), s.corrected, &s.field, &base);
    let mut files = Vec::new();
    for sub in ["", "entries"] {
        for e in fs::read_dir(base.join(sub)).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                files.push(e.path().strip_prefix(&base).unwrap().to_owned());
            }
        }
    }
    files.sort();
    // Every file emptied, cut short, or replaced by junk, one at a time.
    let junk: [Junk; 4] = [
        |_| Vec::new(),
        |b| b[..b.len() / 3].to_vec(),
        |b| b.iter().map(|x| x.wrapping_add(1)).collect(),
        |_| vec![0xff; 70_000],
    ];
    for (i, f) in files.iter().enumerate() {
        for (j, j_fn) in junk.iter().enumerate() {
            let dir = tmp.path().join(format!("h{i}-{j}"));
            copy_dir(&base, &dir);
            let p = dir.join(f);
            let b = fs::read(&p).unwrap();
            fs::write(&p, j_fn(&b)).unwrap();
            let report = verify_bundle(&dir, &trusted).unwrap();
            assert!(!report.ok, "{} with junk {j} verified", f.display());
            fs::remove_dir_all(&dir).unwrap();
        }
    }
    // Not a directory at all.
    assert!(matches!(
        verify_bundle(&base.join("manifest.json"), &trusted),
        Err(disclosure_ledger::evidence::ReadError::NotABundle { .. })
    ));
}

#[test]
fn erased_fields_are_reported_as_erased_and_the_rest_verifies() {
    let s = sample();
    let tmp = tempfile::tempdir().unwrap();
    let ledger = common::sample_copy(tmp.path());
    let trust = trust_dir(tmp.path());

    let keys = common::demo_keys_in(tmp.path());
    let key = |name: &str| keys.join(format!("{name}.key")).display().to_string();
    let out = dledger()
        .arg("-l")
        .arg(&ledger)
        .args([
            "vault",
            "erase",
            "--before",
            "2025-01-01",
            "--key",
            &key("ico-2025"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let erased: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Erased "))
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(erased > 0, "{stdout}");
    assert!(stdout.contains("recorded as entry"), "{stdout}");

    // Nothing hashed changed: verify still passes (exit 1: the sample raises policy flags).
    dledger().arg("verify").arg(&ledger).assert().code(1);

    // Erasing again finds nothing left to erase, and writes nothing.
    dledger()
        .arg("-l")
        .arg(&ledger)
        .args([
            "vault",
            "erase",
            "--before",
            "2025-01-01",
            "--key",
            &key("ico-2025"),
        ])
        .assert()
        .success()
        .stdout(predicates::str::contains("Nothing to erase"));

    // A checkpoint after the erasure, cosigned, so bundles carry the erasure entry.
    let note = tmp.path().join("cp.note");
    dledger()
        .arg("-l")
        .arg(&ledger)
        .args(["checkpoint", "--key", &key("ico-2025"), "-o"])
        .arg(&note)
        .assert()
        .success();
    dledger()
        .arg("-l")
        .arg(&ledger)
        .args(["cosign", "--key", &key("ofcom-2024")])
        .arg(&note)
        .assert()
        .success();

    // Later disclosures keep their values.
    let store = Store::open(&ledger, Access::ReadOnly).unwrap();
    let mut late = None;
    store
        .scan(0, None, |r| {
            if let Body::Disclosure(d) = decode_entry(&r.bytes).unwrap().body
                && d.disclosed_at >= Timestamp::parse("2025-01-01").unwrap()
                && late.is_none()
            {
                late = Some(r.key);
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
    assert!(!store.vault_items(late.unwrap()).unwrap().is_empty());
    assert!(store.vault_items(s.corrected).unwrap().is_empty());
    drop(store);

    let bundle = tmp.path().join("b");
    make_bundle(&ledger, s.corrected, &s.field, &bundle);
    let openings = fs::read_to_string(bundle.join("openings.json")).unwrap();
    assert!(openings.contains("\"status\": \"erased\""), "{openings}");
    assert!(!openings.contains("\"salt\""), "{openings}");

    let (code, failed, json) = verify_cli(&bundle, &trust);
    assert_eq!(code, 0, "{failed:?}");
    let field = json["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == s.field.as_str())
        .unwrap();
    assert_eq!(field["status"], "erased");
    let (code, text) = verify_text(&bundle, &trust);
    assert_eq!(code, 0);
    let today = Timestamp::now().london_date();
    assert!(
        text.contains(&format!(
            "{}: erased on {today} by ICO (erasure entry #",
            s.field
        )),
        "{text}"
    );
    assert!(text.contains("Result: VERIFIED"));

    // A future date is refused: erasure is for retention that has ended.
    dledger()
        .arg("-l")
        .arg(&ledger)
        .args([
            "vault",
            "erase",
            "--before",
            "2999-01-01",
            "--key",
            &key("ico-2025"),
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("in the future"));
}
