//! The by-hand check of docs/EVIDENCE.md, section 6: the Python script the page contains (between
//! `<!-- BEGIN by-hand-check.py -->` and `<!-- END by-hand-check.py -->`) is run, as a reader
//! would run it, against bundles with index proofs (several kinds of target, one with an erasure
//! entry), one with an acknowledgement left out, one with a proof in a second encoding, the
//! committed bundle whose checkpoint predates the index, and newer checkpoints (fresh, stale,
//! forked); its proof functions are also run against the known answers of docs/FORMAT.md §7.6 and
//! RFC 6962. Needs `python3` (scripts/test-setup.sh installs it): without it the tests show as
//! ignored, saying why (under CI they fail instead; build.rs).

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use disclosure_ledger::codec::decode_entry;
use disclosure_ledger::evidence::{INDEX_FILE, Manifest, Role};
use disclosure_ledger::hash::sha256;
use disclosure_ledger::model::Body;
use disclosure_ledger::store::{Access, Store};

const BEGIN: &str = "<!-- BEGIN by-hand-check.py -->";
const END: &str = "<!-- END by-hand-check.py -->";

/// The script as docs/EVIDENCE.md gives it, without its fence.
fn script_from_doc() -> String {
    let doc = fs::read_to_string(common::root().join("docs/EVIDENCE.md")).unwrap();
    let start = doc
        .find(BEGIN)
        .expect("docs/EVIDENCE.md has the begin marker")
        + BEGIN.len();
    let stop = doc.find(END).expect("docs/EVIDENCE.md has the end marker");
    assert!(start < stop, "the markers are in the wrong order");
    assert_eq!(
        doc.matches(BEGIN).count(),
        1,
        "docs/EVIDENCE.md must hold one script"
    );
    let block = doc[start..stop].trim();
    let code = block
        .strip_prefix("```python\n")
        .and_then(|b| b.strip_suffix("```"))
        .expect("the script is a ```python fence between the markers");
    code.to_owned()
}

/// `python3`, or a failure saying how to install it (never a silent pass).
fn python3() -> &'static str {
    let found = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "python3 is not on PATH; these tests run the Python script of docs/EVIDENCE.md: run \
         scripts/test-setup.sh to install it"
    );
    "python3"
}

/// Runs the doc's script on `bundle`; returns its exit code and output.
fn run_script(dir: &Path, bundle: &Path) -> (i32, String) {
    run_script_with(dir, bundle, &[])
}

/// Runs the doc's script on `bundle` with more arguments (a newer checkpoint, a consistency
/// proof); returns its exit code and output.
fn run_script_with(dir: &Path, bundle: &Path, more: &[&Path]) -> (i32, String) {
    let script = dir.join("by-hand-check.py");
    fs::write(&script, script_from_doc()).unwrap();
    let out = Command::new(python3())
        .arg(&script)
        .arg(bundle)
        .args(more)
        .output()
        .unwrap();
    let text = common::output_text(&out);
    (out.status.code().expect("the script exits"), text)
}

/// The lines of `output` that start with `prefix`.
fn lines<'a>(output: &'a str, prefix: &str) -> Vec<&'a str> {
    output.lines().filter(|l| l.starts_with(prefix)).collect()
}

type Ledger = common::IndexedLedger;

impl Ledger {
    /// A disclosure with an acknowledgement, and that acknowledgement.
    fn acknowledged(&self) -> (u64, u64) {
        self.entries
            .iter()
            .find_map(|a| match &a.body {
                Body::Acknowledgement(x)
                    if matches!(
                        self.entries[x.disclosure.0 as usize].body,
                        Body::Disclosure(_)
                    ) =>
                {
                    Some((x.disclosure.0, a.seq.0))
                }
                _ => None,
            })
            .expect("the sample has an acknowledged disclosure")
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

    /// A correction that carries a replacement disclosure.
    fn correction_with_replacement(&self) -> u64 {
        self.entries
            .iter()
            .find(|e| matches!(&e.body, Body::Correction(c) if c.replacement.is_some()))
            .expect("the sample corrects a disclosure with a replacement")
            .seq
            .0
    }
}

/// Removes entry `seq` from a bundle, as an opposing expert would: its three files, its line in
/// the manifest's entries and files, and every file's hash and length rewritten so the manifest
/// matches what is left.
fn leave_out(bundle: &Path, seq: u64) {
    for ext in ["bin", "sig", "tlog-proof"] {
        fs::remove_file(bundle.join(format!("entries/{seq}.{ext}"))).unwrap();
    }
    let path = bundle.join("manifest.json");
    let mut manifest: Manifest = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    manifest.entries.retain(|e| e.seq != seq);
    manifest.files.retain(|f| bundle.join(&f.path).exists());
    for f in &mut manifest.files {
        let bytes = fs::read(bundle.join(&f.path)).unwrap();
        f.bytes = bytes.len() as u64;
        f.sha256 = hex::encode(sha256(&bytes));
    }
    fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
}

#[test]
#[cfg_attr(
    not(has_python3),
    ignore = "no python3 on PATH: run scripts/test-setup.sh to install it"
)]
fn the_doc_script_checks_a_bundle_with_index_proofs() {
    let l = common::indexed_ledger();
    let (disclosure, ack) = l.acknowledged();
    let bundle = l.bundle(disclosure, "bundle");
    assert!(bundle.join(INDEX_FILE).exists());
    if let Some(keep) = std::env::var_os("KEEP_BUNDLE") {
        Command::new("cp")
            .arg("-r")
            .arg(&bundle)
            .arg(keep)
            .status()
            .unwrap();
    }
    let (code, out) = run_script(&l.dir, &bundle);
    assert_eq!(code, 0, "{out}");
    assert!(lines(&out, "FAIL").is_empty(), "{out}");
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            line.starts_with("OK ") || line.starts_with("FAIL "),
            "every line is a check: {line:?}\n{out}"
        );
    }
    // Each index proof leads to the signed root, and the lists match the entries present.
    let index_ok = lines(&out, "OK   index-proof");
    for key in [
        format!("refs/{disclosure}"),
        "keys/ICO".into(),
        "keys/OFCOM".into(),
    ] {
        assert!(
            index_ok.iter().any(|l| l.contains(&format!("{key} "))),
            "no OK line for the proof of {key}:\n{out}"
        );
    }
    let complete = lines(&out, "OK   completeness");
    assert!(
        complete
            .iter()
            .any(|l| l.contains(&format!("refs/{disclosure}")) && l.contains(&format!("#{ack}"))),
        "{out}"
    );
    // Every entry's leaf hash and inclusion proof, the checkpoint's signer and cosigner.
    let manifest: Manifest =
        serde_json::from_slice(&fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    for e in &manifest.entries {
        for check in ["OK   leaf-hash", "OK   inclusion-proof"] {
            assert!(
                lines(&out, check)
                    .iter()
                    .any(|l| l.contains(&format!("#{} ", e.seq))),
                "no {check} line for #{}:\n{out}",
                e.seq
            );
        }
    }
    assert_eq!(lines(&out, "OK   checkpoint-signature").len(), 1, "{out}");
    assert!(
        lines(&out, "OK   cosignature")
            .iter()
            .any(|l| l.contains("OFCOM") && l.contains("other than the signer ICO")),
        "{out}"
    );
}

#[test]
#[cfg_attr(
    not(has_python3),
    ignore = "no python3 on PATH: run scripts/test-setup.sh to install it"
)]
fn the_doc_script_passes_bundles_of_every_kind_of_target() {
    let l = common::indexed_ledger();
    let untouched = l.untouched_disclosure();
    let correction = l.correction_with_replacement();
    let key_change = l
        .entries
        .iter()
        .find(|e| matches!(e.body, Body::KeyRotated(_)))
        .expect("the sample rotates a key")
        .seq
        .0;
    for (seq, what) in [
        (untouched, "a disclosure nothing refers to"),
        (correction, "a correction with a replacement"),
        (key_change, "a key rotation"),
        (0, "the genesis entry"),
    ] {
        let bundle = l.bundle(seq, &format!("bundle-{seq}"));
        let (code, out) = run_script(&l.dir, &bundle);
        assert_eq!(code, 0, "{what} (#{seq}):\n{out}");
        assert!(lines(&out, "FAIL").is_empty(), "{what} (#{seq}):\n{out}");
        assert!(
            lines(&out, "OK   index-proof")
                .iter()
                .any(|l| l.contains(&format!("refs/{seq} "))),
            "{what} (#{seq}):\n{out}"
        );
    }
    // Nothing refers to the untouched disclosure: the proof shows refs/N has no list at all.
    let out = run_script(&l.dir, &l.dir.join(format!("bundle-{untouched}"))).1;
    assert!(
        out.contains(&format!("OK   index-proof: refs/{untouched} lists none")),
        "{out}"
    );
}

#[test]
#[cfg_attr(
    not(has_python3),
    ignore = "no python3 on PATH: run scripts/test-setup.sh to install it"
)]
fn the_doc_script_names_a_left_out_acknowledgement() {
    let l = common::indexed_ledger();
    let (disclosure, ack) = l.acknowledged();
    let bundle = l.bundle(disclosure, "no-ack");
    let manifest: Manifest =
        serde_json::from_slice(&fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    assert!(
        manifest
            .entries
            .iter()
            .any(|e| e.seq == ack && e.role == Role::Acknowledgement)
    );
    leave_out(&bundle, ack);
    let (code, out) = run_script(&l.dir, &bundle);
    assert_eq!(code, 1, "{out}");
    // The rewritten manifest matches the files: it is the index proof that catches it.
    assert!(!lines(&out, "OK   files").is_empty(), "{out}");
    assert!(
        lines(&out, "OK   index-proof")
            .iter()
            .any(|l| l.contains(&format!("refs/{disclosure} "))),
        "{out}"
    );
    let fails = lines(&out, "FAIL");
    assert!(
        fails.iter().any(|l| l.starts_with("FAIL completeness")
            && l.contains(&format!("#{ack} "))
            && l.contains("missing from the bundle")),
        "{out}"
    );
}

#[test]
#[cfg_attr(
    not(has_python3),
    ignore = "no python3 on PATH: run scripts/test-setup.sh to install it"
)]
fn the_doc_script_refuses_a_non_canonical_index_proof() {
    let l = common::indexed_ledger();
    let (disclosure, _) = l.acknowledged();
    let bundle = l.bundle(disclosure, "trailing");
    // One byte appended to the proof of refs/<disclosure>: the same proof, another encoding.
    let path = bundle.join(INDEX_FILE);
    let mut proofs: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    for p in proofs["proofs"].as_array_mut().unwrap() {
        if p["key"] == format!("refs/{disclosure}") {
            use base64::Engine as _;
            let b64 = base64::engine::general_purpose::STANDARD;
            let mut bytes = b64.decode(p["proof"].as_str().unwrap()).unwrap();
            bytes.push(0);
            p["proof"] = b64.encode(bytes).into();
        }
    }
    fs::write(&path, serde_json::to_vec_pretty(&proofs).unwrap()).unwrap();
    let manifest_path = bundle.join("manifest.json");
    let mut manifest: Manifest =
        serde_json::from_slice(&fs::read(&manifest_path).unwrap()).unwrap();
    for f in &mut manifest.files {
        let bytes = fs::read(bundle.join(&f.path)).unwrap();
        f.bytes = bytes.len() as u64;
        f.sha256 = hex::encode(sha256(&bytes));
    }
    fs::write(
        &manifest_path,
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    let (code, out) = run_script(&l.dir, &bundle);
    assert_eq!(code, 1, "{out}");
    assert!(
        lines(&out, "FAIL index-proof")
            .iter()
            .any(|l| l.contains(&format!("refs/{disclosure} ")) && l.contains("trailing")),
        "{out}"
    );
}

#[test]
#[cfg_attr(
    not(has_python3),
    ignore = "no python3 on PATH: run scripts/test-setup.sh to install it"
)]
fn the_doc_script_says_not_proven_for_a_checkpoint_without_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = common::root().join("fixtures/evidence/bundle-42");
    assert!(!bundle.join(INDEX_FILE).exists());
    let (code, out) = run_script(dir.path(), &bundle);
    assert_eq!(code, 0, "{out}");
    assert!(lines(&out, "FAIL").is_empty(), "{out}");
    assert!(
        lines(&out, "OK   completeness")
            .iter()
            .any(|l| l.contains("not proven")),
        "{out}"
    );
    assert!(lines(&out, "OK   index-proof").is_empty(), "{out}");
}

/// The script's proof functions, taken out of it, against the committed known answers: every
/// index proof of FORMAT.md §7.6 (`fixtures/vectors/index/vectors.json`), and every RFC 6962
/// inclusion and consistency case of `fixtures/vectors/rfc6962/` (those a verifier must reject
/// included), as the page says.
#[test]
#[cfg_attr(
    not(has_python3),
    ignore = "no python3 on PATH: run scripts/test-setup.sh to install it"
)]
fn the_doc_scripts_proof_checks_reproduce_the_known_answers() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("by-hand-check.py");
    fs::write(&script, script_from_doc()).unwrap();
    // Only the script's imports and functions are run, not its checks of a bundle.
    let harness = r#"
import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
defs = [n for n in tree.body if isinstance(n, (ast.Import, ast.FunctionDef))]
ns = {}
exec(compile(ast.Module(body=defs, type_ignores=[]), "by-hand-check.py", "exec"), ns)
count = 0
for m in json.load(open(sys.argv[2]))["maps"]:
    lists = {k["key"]: k["values"] for k in m["keys"]}
    for p in m["probes"]:
        root = ns["index_root_for"](p["key"], lists.get(p["key"], []), bytes.fromhex(p["proof"]))
        assert root.hex() == m["root"], (m["name"], p["key"])
        count += 1
import base64, glob, os
b64 = base64.b64decode
vectors = os.path.join(os.path.dirname(sys.argv[2]), "..", "rfc6962")
for path in sorted(glob.glob(os.path.join(vectors, "**", "*.json"), recursive=True)):
    v = json.load(open(path))
    if "leafIdx" in v:
        ok = ns["inclusion_root"](v["leafIdx"], v["treeSize"], b64(v["leafHash"]),
                                  [b64(h) for h in v["proof"] or []]) == b64(v["root"])
    else:
        ok = ns["consistent"](v["size1"], v["size2"], b64(v["root1"]), b64(v["root2"]),
                              [b64(h) for h in v["proof"] or []])
    assert ok != bool(v.get("wantErr")), (path, v["desc"])
    count += 1
print(count, "proofs")
"#;
    let out = Command::new(python3())
        .arg("-c")
        .arg(harness)
        .arg(&script)
        .arg(common::root().join("fixtures/vectors/index/vectors.json"))
        .output()
        .unwrap();
    let text = common::output_text(&out);
    assert!(out.status.success(), "{text}");
    let count: usize = text.split_whitespace().next().unwrap().parse().unwrap();
    // 45 index proofs and 196 RFC 6962 inclusion and consistency cases.
    assert!(count >= 241, "{text}");
}

#[test]
#[cfg_attr(
    not(has_python3),
    ignore = "no python3 on PATH: run scripts/test-setup.sh to install it"
)]
fn the_doc_script_tells_fresh_from_stale_and_forked() {
    let l = common::indexed_ledger();
    let (disclosure, _) = l.acknowledged();
    let bundle = l.bundle(disclosure, "bundle");
    // Against its own checkpoint: fresh.
    let (code, out) = run_script_with(&l.dir, &bundle, &[&bundle.join("checkpoint.note")]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("OK   freshness: fresh"), "{out}");
    // One more entry and a newer cosigned checkpoint.
    let (old, _) = common::newest_note(&l.path);
    let key = {
        let store = Store::open(&l.path, Access::ReadOnly).unwrap();
        common::current_key(&store, &l.keys, "OFCOM")
    };
    common::append_forged(&l.path, "OFCOM", &key, "later-theme");
    common::checkpoint_and_cosign(&l.path, &l.keys);
    let (new, note) = common::newest_note(&l.path);
    assert_eq!(new, old + 1);
    let newer = l.dir.join("newer.note");
    fs::write(&newer, &note).unwrap();
    let (code, out) = run_script_with(&l.dir, &bundle, &[&newer]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!("give the consistency proof from {old} to {new}")),
        "{out}"
    );
    // With the proof `dledger prove consistency OLD NEW --json` prints: stale.
    let proof = assert_cmd::Command::cargo_bin("dledger")
        .unwrap()
        .arg("-l")
        .arg(&l.path)
        .args(["prove", "consistency", &old.to_string(), &new.to_string()])
        .arg("--json")
        .output()
        .unwrap();
    assert!(proof.status.success(), "{}", common::output_text(&proof));
    let consistency = l.dir.join("consistency.json");
    fs::write(&consistency, &proof.stdout).unwrap();
    let (code, out) = run_script_with(&l.dir, &bundle, &[&newer, &consistency]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL freshness: stale") && out.contains(&format!("only up to entry {old}")),
        "{out}"
    );
    assert_eq!(lines(&out, "FAIL").len(), 1, "{out}");
    // A proof with one hash changed does not show a prefix: a fork.
    let mut json: serde_json::Value = serde_json::from_slice(&proof.stdout).unwrap();
    json["proof"][0] = "00".repeat(32).into();
    fs::write(&consistency, serde_json::to_vec(&json).unwrap()).unwrap();
    let (code, out) = run_script_with(&l.dir, &bundle, &[&newer, &consistency]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL freshness: FORK"), "{out}");
}

#[test]
#[cfg_attr(
    not(has_python3),
    ignore = "no python3 on PATH: run scripts/test-setup.sh to install it"
)]
fn the_doc_script_follows_an_erasure_entry_to_its_target() {
    let l = common::indexed_ledger();
    // ICO erases the values of the disclosures made before mid-2024 (a signed erasure entry),
    // then a newer checkpoint is cosigned.
    let key = l.keys.join("ico-2025.key");
    let out = assert_cmd::Command::cargo_bin("dledger")
        .unwrap()
        .arg("-l")
        .arg(&l.path)
        .args(["vault", "erase", "--before", "2024-06-01", "--key"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::output_text(&out));
    common::checkpoint_and_cosign(&l.path, &l.keys);
    let store = Store::open(&l.path, Access::ReadOnly).unwrap();
    let last = store.len().unwrap() - 1;
    let Body::Erasure(erasure) = decode_entry(&store.get(last).unwrap().unwrap().bytes)
        .unwrap()
        .body
    else {
        panic!("#{last} is not an erasure entry");
    };
    drop(store);
    let target = erasure.fields[0].entry.0;
    let bundle = l.bundle(target, "erased");
    let (code, out) = run_script(&l.dir, &bundle);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "OK   references: #{last} (erasure) refers to #{target}"
        )),
        "{out}"
    );
    assert!(
        lines(&out, "OK   completeness")
            .iter()
            .any(|l| l.contains(&format!("refs/{target} ")) && l.contains(&format!("#{last}"))),
        "{out}"
    );
}
