//! Proof of absence (issue: an opposing expert deletes pages from a bundle). A checkpoint signs
//! the entry index root; a bundle carries index proofs; `verify-evidence` checks the bundle holds
//! exactly the entries the index lists. Each attack is a test: the expert removes or adds an
//! entry and rewrites the unsigned manifest and summary to match, and the bundle must still fail.

mod common;

use std::fs;
use std::path::Path;

use disclosure_ledger::codec::decode_entry;
use disclosure_ledger::evidence::{
    CheckName, EvidenceReport, INDEX_FILE, Manifest, build_bundle, load_trust_dir, verify_bundle,
};
use disclosure_ledger::hash::sha256;
use disclosure_ledger::ledger::open_registers;
use disclosure_ledger::model::{Body, Seq, Timestamp};
use disclosure_ledger::store::{Access, Store, StoreError};
use disclosure_ledger::witness;

type Ledger = common::IndexedLedger;

impl Ledger {
    fn verify(&self, bundle: &Path) -> EvidenceReport {
        verify_bundle(bundle, &load_trust_dir(&self.keys).unwrap()).unwrap()
    }

    /// A disclosure with an acknowledgement and a correction that supersedes it.
    fn acked_and_corrected(&self) -> (u64, u64, u64) {
        self.entries
            .iter()
            .find_map(|e| {
                let Body::Correction(c) = &e.body else {
                    return None;
                };
                let ack = self.entries.iter().find_map(|a| match &a.body {
                    Body::Acknowledgement(x) if x.disclosure == c.supersedes => Some(a.seq.0),
                    _ => None,
                })?;
                matches!(
                    self.entries[c.supersedes.0 as usize].body,
                    Body::Disclosure(_)
                )
                .then_some((c.supersedes.0, ack, e.seq.0))
            })
            .expect("the sample has an acknowledged, corrected disclosure")
    }

    /// A disclosure nothing refers to.
    fn untouched_disclosure(&self) -> u64 {
        self.entries
            .iter()
            .filter(|e| matches!(e.body, Body::Disclosure(_)))
            .map(|e| e.seq)
            .find(|s| !self.entries.iter().any(|e| e.body.references().contains(s)))
            .expect("the sample has a disclosure nothing refers to")
            .0
    }
}

/// As an opposing expert would after editing a bundle: the summary rewritten to what the
/// verifier now derives, and the manifest's entry and file lists rewritten to match.
fn reseal(bundle: &Path, trusted: &Path) {
    let mut manifest: Manifest =
        serde_json::from_slice(&fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    manifest
        .entries
        .retain(|e| bundle.join(format!("entries/{}.bin", e.seq)).exists());
    let write_files = |manifest: &mut Manifest| {
        for f in &mut manifest.files {
            let bytes = fs::read(bundle.join(&f.path)).unwrap_or_default();
            f.bytes = bytes.len() as u64;
            f.sha256 = hex::encode(sha256(&bytes));
        }
        manifest.files.retain(|f| bundle.join(&f.path).exists());
        fs::write(
            bundle.join("manifest.json"),
            serde_json::to_vec_pretty(manifest).unwrap(),
        )
        .unwrap();
    };
    write_files(&mut manifest);
    let report = verify_bundle(bundle, &load_trust_dir(trusted).unwrap()).unwrap();
    fs::write(bundle.join("summary.txt"), &report.summary).unwrap();
    write_files(&mut manifest);
}

fn remove_entry(bundle: &Path, seq: u64) {
    for ext in ["bin", "sig", "tlog-proof"] {
        fs::remove_file(bundle.join(format!("entries/{seq}.{ext}"))).unwrap();
    }
}

fn failures(report: &EvidenceReport, name: CheckName) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|c| c.name == name && !c.ok)
        .map(|c| c.detail.clone())
        .collect()
}

#[test]
fn a_complete_bundle_proves_each_none() {
    let l = common::indexed_ledger();
    let seq = l.untouched_disclosure();
    let bundle = l.bundle(seq, "untouched");
    let report = l.verify(&bundle);
    assert!(report.ok, "{:#?}", report.checks);
    assert!(bundle.join(INDEX_FILE).exists());
    let s = &report.summary;
    assert!(s.contains("None: no acknowledgement by"), "{s}");
    assert!(s.contains("None: no later entry"), "{s}");
    assert!(
        s.contains("proves no other key was added, rotated or revoked"),
        "{s}"
    );
    assert!(!s.contains("Not proven"), "{s}");
    let pass = report
        .checks
        .iter()
        .find(|c| c.name == CheckName::Completeness)
        .unwrap();
    assert!(
        pass.ok && pass.detail.contains("no more, no fewer"),
        "{pass:?}"
    );
}

#[test]
fn omitting_the_acknowledgement_fails_naming_it() {
    let l = common::indexed_ledger();
    let (disclosure, ack, _) = l.acked_and_corrected();
    let bundle = l.bundle(disclosure, "no-ack");
    assert!(l.verify(&bundle).ok);
    remove_entry(&bundle, ack);
    reseal(&bundle, &l.keys);
    let report = l.verify(&bundle);
    assert!(!report.ok);
    let f = failures(&report, CheckName::Completeness);
    assert!(
        f.iter().any(
            |d| d.contains(&format!("entry #{ack} refers to #{disclosure}"))
                && d.contains("missing from the bundle")
        ),
        "{f:?}"
    );
    // The summary.txt the expert wrote matches what is derived: it is the proof that fails.
    assert!(failures(&report, CheckName::Summary).is_empty());
}

#[test]
fn omitting_the_correction_fails_naming_it() {
    let l = common::indexed_ledger();
    let (disclosure, _, correction) = l.acked_and_corrected();
    let bundle = l.bundle(disclosure, "no-correction");
    remove_entry(&bundle, correction);
    reseal(&bundle, &l.keys);
    let report = l.verify(&bundle);
    assert!(!report.ok);
    let f = failures(&report, CheckName::Completeness);
    assert!(
        f.iter()
            .any(|d| d.contains(&format!("entry #{correction} refers to #{disclosure}"))),
        "{f:?}"
    );
}

#[test]
fn omitting_a_key_change_fails_naming_it() {
    let l = common::indexed_ledger();
    let (disclosure, _, _) = l.acked_and_corrected();
    let bundle = l.bundle(disclosure, "no-key");
    let manifest: Manifest =
        serde_json::from_slice(&fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    let key_change = manifest
        .entries
        .iter()
        .find(|e| e.role == disclosure_ledger::evidence::Role::KeyHistory)
        .expect("the bundle carries a key change")
        .seq;
    remove_entry(&bundle, key_change);
    reseal(&bundle, &l.keys);
    let report = l.verify(&bundle);
    assert!(!report.ok);
    let f = failures(&report, CheckName::Completeness);
    assert!(
        f.iter().any(
            |d| d.contains(&format!("entry #{key_change} is a key change of"))
                && d.contains("missing from the bundle")
        ),
        "{f:?}"
    );
}

#[test]
fn a_doctored_list_does_not_match_the_signed_index() {
    let l = common::indexed_ledger();
    let (disclosure, ack, _) = l.acked_and_corrected();
    let bundle = l.bundle(disclosure, "doctored");
    remove_entry(&bundle, ack);
    // The expert also drops the acknowledgement from the proved list.
    let path = bundle.join(INDEX_FILE);
    let mut proofs: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    for p in proofs["proofs"].as_array_mut().unwrap() {
        if p["key"] == format!("refs/{disclosure}") {
            p["entries"]
                .as_array_mut()
                .unwrap()
                .retain(|v| v.as_u64() != Some(ack));
        }
    }
    fs::write(&path, serde_json::to_vec_pretty(&proofs).unwrap()).unwrap();
    reseal(&bundle, &l.keys);
    let report = l.verify(&bundle);
    assert!(!report.ok);
    let f = failures(&report, CheckName::Completeness);
    assert!(
        f.iter()
            .any(|d| d.contains(&format!("key refs/{disclosure}"))
                && d.contains("does not lead to the index root")),
        "{f:?}"
    );
}

#[test]
fn removing_the_index_proofs_fails() {
    let l = common::indexed_ledger();
    let seq = l.untouched_disclosure();
    let bundle = l.bundle(seq, "no-proofs");
    fs::remove_file(bundle.join(INDEX_FILE)).unwrap();
    reseal(&bundle, &l.keys);
    let report = l.verify(&bundle);
    assert!(!report.ok);
    let f = failures(&report, CheckName::Completeness);
    assert!(f.iter().any(|d| d.contains("is missing")), "{f:?}");
}

#[test]
fn an_extra_entry_fails_naming_it() {
    let l = common::indexed_ledger();
    let (disclosure, _, _) = l.acked_and_corrected();
    let bundle = l.bundle(disclosure, "extra");
    // Slip in the whole other bundle's target with its proof (a real, signed entry).
    let other = l.untouched_disclosure();
    let donor = l.bundle(other, "donor");
    for ext in ["bin", "sig", "tlog-proof"] {
        fs::copy(
            donor.join(format!("entries/{other}.{ext}")),
            bundle.join(format!("entries/{other}.{ext}")),
        )
        .unwrap();
    }
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    let donor_manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(donor.join("manifest.json")).unwrap()).unwrap();
    let mut added = donor_manifest["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["seq"] == other)
        .unwrap()
        .clone();
    added["role"] = "acknowledgement".into();
    manifest["entries"].as_array_mut().unwrap().push(added);
    for ext in ["bin", "sig", "tlog-proof"] {
        manifest["files"].as_array_mut().unwrap().push(
            serde_json::json!({"path": format!("entries/{other}.{ext}"), "bytes": 0, "sha256": ""}),
        );
    }
    fs::write(
        bundle.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    reseal(&bundle, &l.keys);
    let report = l.verify(&bundle);
    assert!(!report.ok);
    let all: Vec<String> = report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.detail.clone())
        .collect();
    assert!(
        all.iter().any(|d| d.contains(&format!("#{other}"))),
        "{all:?}"
    );
}

#[test]
fn a_bundle_at_a_checkpoint_without_an_index_says_not_proven() {
    // The format 1 sample's checkpoints predate the index.
    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let store = Store::open(&path, Access::ReadOnly).unwrap();
    let (size, _) = store.checkpoints().unwrap().into_iter().last().unwrap();
    let mut target = None;
    store
        .scan(0, Some(size), |r| {
            let e = decode_entry(&r.bytes).unwrap();
            if matches!(e.body, Body::Disclosure(_)) {
                target = Some(e.seq.0);
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let out = dir.path().join("old");
    build_bundle(&store, Seq(target.unwrap()), &[])
        .unwrap()
        .write(&out)
        .unwrap();
    let report = verify_bundle(&out, &load_trust_dir(&keys).unwrap()).unwrap();
    assert!(report.ok, "{:#?}", report.checks);
    assert!(!out.join(INDEX_FILE).exists());
    assert!(report.summary.contains("Not proven"), "{}", report.summary);
    assert!(!report.summary.contains("None:"), "{}", report.summary);
}

#[test]
fn a_checkpoint_whose_index_root_leaves_an_entry_out_is_caught_and_refused() {
    let l = common::indexed_ledger();
    let (_, ack, _) = l.acked_and_corrected();
    // The operator signs an index that leaves the acknowledgement out.
    let (size, note) = common::checkpoint_leaving_out(&l.path, &l.keys, ack);
    let store = Store::open(&l.path, Access::ReadWrite).unwrap();
    let reg = open_registers(&store).unwrap();
    // The other regulator refuses to cosign it, saying why.
    let ofcom = common::current_key(&store, &l.keys, "OFCOM");
    let err = witness::cosign(&store, &reg, note.as_bytes(), &ofcom, Timestamp::now())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("refusing to cosign") && err.contains("index root"),
        "{err}"
    );
    // Stored anyway (by the operator), verify names it.
    store.put_checkpoint(size, note.as_bytes()).unwrap();
    drop(store);
    let out = assert_cmd::Command::cargo_bin("dledger")
        .unwrap()
        .args(["verify"])
        .arg(&l.path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = common::output_text(&out);
    assert!(text.contains("checkpoint-index-mismatch"), "{text}");
    assert!(
        text.contains(&format!("checkpoint of size {size}")),
        "{text}"
    );
}

/// The index saved in the file (extended at each checkpoint) gives the roots and proofs an
/// index rebuilt from the entries gives, and a read-only open rebuilds rather than writes.
#[test]
fn the_saved_index_agrees_with_one_rebuilt_from_the_entries() {
    use disclosure_ledger::entry_index::{index_at, index_root_at, prove_at};
    use ledger_core::index::IndexKey;
    let l = common::indexed_ledger();
    let store = Store::open(&l.path, Access::ReadWrite).unwrap();
    let first = store.len().unwrap();
    let (saved, _) = store
        .read_entry_index()
        .unwrap()
        .expect("the checkpoint saved it");
    assert_eq!(saved, first);
    // More entries, then a second checkpoint extends the saved index.
    let key = common::current_key(&store, &l.keys, "OFCOM");
    drop(store);
    let theme = common::append_forged(&l.path, "OFCOM", &key, "later-theme");
    common::checkpoint_and_cosign(&l.path, &l.keys);
    let store = Store::open(&l.path, Access::ReadOnly).unwrap();
    let (saved, _) = store.read_entry_index().unwrap().unwrap();
    assert_eq!(saved, theme + 1);
    let keys = [
        IndexKey::Themes,
        IndexKey::Policies,
        IndexKey::Keys("ICO".parse().unwrap()),
        IndexKey::Refs(Seq(l.acked_and_corrected().0)),
        IndexKey::Refs(Seq(theme)),
        IndexKey::Company("no-such-company".parse().unwrap()),
    ];
    for size in [first, theme + 1] {
        let mut rebuilt = index_at(&store, size).unwrap();
        assert_eq!(
            index_root_at(&store, size).unwrap(),
            rebuilt.root(),
            "size {size}"
        );
        let proofs = prove_at(&store, size, &keys).unwrap();
        for (k, (digest, proof)) in keys.iter().zip(proofs) {
            assert_eq!(digest, rebuilt.get(k), "{k} at {size}");
            assert_eq!(proof, rebuilt.prove(k), "{k} at {size}");
        }
    }
}

fn consistency_json(path: &Path, old: u64, new: u64) -> Vec<u8> {
    let out = assert_cmd::Command::cargo_bin("dledger")
        .unwrap()
        .args(["-l"])
        .arg(path)
        .args([
            "prove",
            "consistency",
            &old.to_string(),
            &new.to_string(),
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::output_text(&out));
    out.stdout
}

fn freshness_of(report: &EvidenceReport) -> (bool, String) {
    let c = report
        .checks
        .iter()
        .find(|c| c.name == CheckName::Freshness)
        .expect("a freshness check");
    (c.ok, c.detail.clone())
}

#[test]
fn a_stale_bundle_fails_against_a_newer_checkpoint_and_a_fresh_one_passes() {
    use disclosure_ledger::evidence::{NewerCheckpoint, verify_bundle_against};
    let l = common::indexed_ledger();
    let seq = l.untouched_disclosure();
    let bundle = l.bundle(seq, "stale");
    let trusted = load_trust_dir(&l.keys).unwrap();
    let (old, same) = common::newest_note(&l.path);
    // Against its own checkpoint: fresh.
    let newer = NewerCheckpoint {
        note: &same,
        consistency: None,
    };
    let report = verify_bundle_against(&bundle, &trusted, &newer).unwrap();
    assert!(report.ok, "{:#?}", report.checks);
    assert!(freshness_of(&report).1.starts_with("fresh"));
    // The recipient acknowledges it later; a newer checkpoint is cosigned.
    let store = Store::open(&l.path, Access::ReadOnly).unwrap();
    let key = common::current_key(&store, &l.keys, "OFCOM");
    drop(store);
    common::append_forged(&l.path, "OFCOM", &key, "newer-theme");
    common::checkpoint_and_cosign(&l.path, &l.keys);
    let (new, note) = common::newest_note(&l.path);
    assert_eq!(new, old + 1);
    // Without the consistency proof it cannot tell; with it, stale.
    let report = verify_bundle_against(
        &bundle,
        &trusted,
        &NewerCheckpoint {
            note: &note,
            consistency: None,
        },
    )
    .unwrap();
    assert!(!report.ok);
    assert!(
        freshness_of(&report)
            .1
            .contains("supply the consistency proof")
    );
    let proof = consistency_json(&l.path, old, new);
    let report = verify_bundle_against(
        &bundle,
        &trusted,
        &NewerCheckpoint {
            note: &note,
            consistency: Some(&proof),
        },
    )
    .unwrap();
    assert!(!report.ok);
    let (ok, detail) = freshness_of(&report);
    assert!(!ok && detail.starts_with("stale"), "{detail}");
    assert!(
        detail.contains(&format!("only up to entry {old}")),
        "{detail}"
    );
}

#[test]
fn a_bundle_from_a_forked_history_fails() {
    use disclosure_ledger::evidence::{NewerCheckpoint, verify_bundle_against};
    // Two copies of one ledger that part: A records one entry, B another and then one more.
    let a = common::indexed_ledger();
    let b_dir = a.dir.join("b");
    fs::create_dir(&b_dir).unwrap();
    let b = b_dir.join("b.ledger");
    fs::copy(&a.path, &b).unwrap();
    let store = Store::open(&a.path, Access::ReadOnly).unwrap();
    let key = common::current_key(&store, &a.keys, "OFCOM");
    drop(store);
    common::append_forged(&a.path, "OFCOM", &key, "theme-in-a");
    common::checkpoint_and_cosign(&a.path, &a.keys);
    let seq = a.untouched_disclosure();
    let bundle = a.bundle(seq, "forked");
    let (size_a, _) = common::newest_note(&a.path);
    common::append_forged(&b, "OFCOM", &key, "theme-in-b");
    common::checkpoint_and_cosign(&b, &a.keys);
    let (same_size, note_b) = common::newest_note(&b);
    assert_eq!(same_size, size_a);
    let trusted = load_trust_dir(&a.keys).unwrap();
    // Same size, other root.
    let report = verify_bundle_against(
        &bundle,
        &trusted,
        &NewerCheckpoint {
            note: &note_b,
            consistency: None,
        },
    )
    .unwrap();
    let (ok, detail) = freshness_of(&report);
    assert!(!ok && detail.starts_with("FORK"), "{detail}");
    // A larger checkpoint of B, with B's own consistency proof.
    common::append_forged(&b, "OFCOM", &key, "more-in-b");
    common::checkpoint_and_cosign(&b, &a.keys);
    let (new, note_b) = common::newest_note(&b);
    let proof = consistency_json(&b, size_a, new);
    let report = verify_bundle_against(
        &bundle,
        &trusted,
        &NewerCheckpoint {
            note: &note_b,
            consistency: Some(&proof),
        },
    )
    .unwrap();
    let (ok, detail) = freshness_of(&report);
    assert!(!ok && detail.starts_with("FORK"), "{detail}");
}
