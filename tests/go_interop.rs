//! The second implementation of docs/EVIDENCE.md §6.3, run: the Go program the page contains,
//! built against Go's `golang.org/x/mod/sumdb` packages (the C2SP reference code, from Debian's
//! `golang-golang-x-mod-dev`), checks every entry of an evidence bundle whose checkpoint carries
//! the entry index extension line and a `cosignature/v1` line. `note.Open` must accept the note
//! (signature over the whole text, extension line included; the cosignature line skipped as of
//! an unknown key) and `tlog.CheckRecord` the inclusion proof; a changed entry, proof hash or
//! note line must fail with Go's own error. scripts/test-setup.sh installs Go and the sources;
//! without them the test shows as ignored (under CI it fails instead, see build.rs).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Go program of docs/EVIDENCE.md §6.3, without its fence.
fn program_from_doc() -> String {
    let doc = fs::read_to_string(common::root().join("docs/EVIDENCE.md")).unwrap();
    let section = &doc[doc
        .find("### 6.3 ")
        .expect("docs/EVIDENCE.md has section 6.3")..];
    let start = section.find("```go\n").expect("§6.3 has a ```go fence") + "```go\n".len();
    let len = section[start..].find("\n```").expect("the fence closes");
    section[start..start + len].to_owned() + "\n"
}

/// Builds the program, as the doc says (GOPATH mode over Debian's sources).
fn build(dir: &Path) -> PathBuf {
    go_build(dir, "checkproof", &program_from_doc())
}

/// Builds the Go program `source` as `dir/name`, in GOPATH mode over Debian's sources.
fn go_build(dir: &Path, name: &str, source: &str) -> PathBuf {
    let src = dir.join(format!("{name}.go"));
    fs::write(&src, source).unwrap();
    let bin = dir.join(name);
    let out = Command::new("go")
        .args(["build", "-o"])
        .arg(&bin)
        .arg(&src)
        .env("GO111MODULE", "off")
        .env("GOPATH", "/usr/share/gocode")
        .env("GOCACHE", dir.join("gocache"))
        .env("GOFLAGS", "")
        .output()
        .expect("go runs: install it with scripts/test-setup.sh");
    assert!(
        out.status.success(),
        "the Go program {name} does not build: {}",
        common::output_text(&out)
    );
    bin
}

/// Runs the program on one entry; returns whether it passed and what it printed.
fn check(bin: &Path, entry: &Path, proof: &Path, vkeys: &[String]) -> (bool, String) {
    let out = Command::new(bin)
        .arg(entry)
        .arg(proof)
        .args(vkeys)
        .output()
        .unwrap();
    (out.status.success(), common::output_text(&out))
}

#[test]
#[cfg_attr(
    not(has_go),
    ignore = "no Go toolchain with golang.org/x/mod: run scripts/test-setup.sh to install it"
)]
fn go_sumdb_checks_every_entry_of_a_bundle_with_the_index_line() {
    use disclosure_ledger::store::{Access, Store};
    let f = common::indexed_ledger();
    let store = Store::open(&f.path, Access::ReadOnly).unwrap();
    let ico_key = common::current_key(&store, &f.keys, "ICO");
    let ofcom_key = common::current_key(&store, &f.keys, "OFCOM");
    let (ico, ofcom) = (ico_key.public(), ofcom_key.public());
    drop(store);
    // The checkpoint's signer; OFCOM's Ed25519 key too, which signs nothing in the note (its
    // line is a cosignature/v1, of another key type, so its key ID differs and Go skips it).
    let vkeys = [ico.to_vkey(), ofcom.to_vkey()];
    let (size, note) = common::newest_note(&f.path);
    let note = String::from_utf8(note).unwrap();
    assert!(
        note.lines().any(|l| l.starts_with("dledger-index/v1 ")),
        "the checkpoint carries the index line:\n{note}"
    );

    // A target with an acknowledgement and key history, so the bundle holds several entries.
    let target = f
        .entries
        .iter()
        .position(|e| {
            matches!(
                e.body,
                disclosure_ledger::model::Body::Acknowledgement { .. }
            )
        })
        .expect("the sample has an acknowledgement") as u64;
    let bundle = f.bundle(target, "bundle");
    let bin = build(&f.dir);

    let mut checked = 0;
    for item in fs::read_dir(bundle.join("entries")).unwrap() {
        let entry = item.unwrap().path();
        if entry.extension().is_none_or(|e| e != "bin") {
            continue;
        }
        let proof = entry.with_extension("tlog-proof");
        let (ok, text) = check(&bin, &entry, &proof, &vkeys);
        assert!(ok, "Go rejects {}: {text}", entry.display());
        assert!(text.contains(&format!("tree size {size},")), "{text}");
        assert!(
            text.contains(&format!("checkpoint signed by {}", ico.name)),
            "{text}"
        );
        assert!(
            text.contains("OK: the inclusion proof leads from the entry to the signed root"),
            "{text}"
        );
        checked += 1;
    }
    assert!(checked >= 2, "the bundle holds {checked} entries");

    // Attacks, each failing with Go's own error.
    let entry = bundle.join(format!("entries/{target}.bin"));
    let proof = bundle.join(format!("entries/{target}.tlog-proof"));
    let mut bytes = fs::read(&entry).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let changed_entry = f.dir.join("changed.bin");
    fs::write(&changed_entry, &bytes).unwrap();
    let (ok, text) = check(&bin, &changed_entry, &proof, &vkeys);
    assert!(!ok && text.contains("invalid transparency proof"), "{text}");

    let proof_text = fs::read_to_string(&proof).unwrap();
    let hash_line = proof_text.lines().nth(2).expect("the proof has a hash");
    let mut flipped = hash_line.as_bytes().to_vec();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let changed_proof = f.dir.join("changed-hash.tlog-proof");
    fs::write(
        &changed_proof,
        proof_text.replacen(hash_line, std::str::from_utf8(&flipped).unwrap(), 1),
    )
    .unwrap();
    let (ok, text) = check(&bin, &entry, &changed_proof, &vkeys);
    assert!(!ok && text.contains("invalid transparency proof"), "{text}");

    // The index line is signed text: changing one character of it breaks the signature.
    let index_line = proof_text
        .lines()
        .find(|l| l.starts_with("dledger-index/v1 "))
        .expect("the proof's checkpoint has the index line");
    let mut changed_line = index_line.as_bytes().to_vec();
    let i = changed_line.len() - 2;
    changed_line[i] = if changed_line[i] == b'A' { b'B' } else { b'A' };
    let changed_note = f.dir.join("changed-note.tlog-proof");
    fs::write(
        &changed_note,
        proof_text.replacen(index_line, std::str::from_utf8(&changed_line).unwrap(), 1),
    )
    .unwrap();
    let (ok, text) = check(&bin, &entry, &changed_note, &vkeys);
    assert!(!ok && text.contains("invalid signature for key"), "{text}");
}

/// tests/go/tiles_client.go, built as §6.3's program is.
fn build_tiles_client(dir: &Path) -> PathBuf {
    let source = fs::read_to_string(common::root().join("tests/go/tiles_client.go")).unwrap();
    go_build(dir, "tiles_client", &source)
}

#[test]
#[cfg_attr(
    not(has_go),
    ignore = "no Go toolchain with golang.org/x/mod: run scripts/test-setup.sh to install it"
)]
fn go_sumdb_reads_a_node_as_a_tlog_tiles_client() {
    use common::nodes::{Node, disclosures_csv, dledger, said, two_regulators};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    two_regulators(dir);
    // More than one entry bundle: a full tile and a partial one.
    let csv = disclosures_csv(300);
    fs::write(dir.join("d.csv"), csv).unwrap();
    let out = dledger(
        dir,
        &[
            "-l",
            "ico-ofcom.ledger",
            "import",
            "d.csv",
            "--key",
            "ofcom-2024.key",
        ],
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", said(&out));
    let node = Node::operator(dir, &[]);
    let ico = disclosure_ledger::keys::SecretKey::load(&dir.join("ico-2024.key")).unwrap();
    let ofcom = disclosure_ledger::keys::SecretKey::load(&dir.join("ofcom-2024.key")).unwrap();
    let bin = build_tiles_client(dir);
    let run = |vkeys: &[String]| {
        let out = Command::new(&bin)
            .arg(&node.url)
            .args(vkeys)
            .output()
            .unwrap();
        (out.status.success(), common::output_text(&out))
    };
    // The node signs its checkpoint shortly after it starts.
    let start = std::time::Instant::now();
    let (ok, text) = loop {
        let (ok, text) = run(&[ico.public().to_vkey()]);
        if ok || start.elapsed() > std::time::Duration::from_secs(20) {
            break (ok, text);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(ok, "{text}");
    assert!(text.contains("OK 305 entries"), "{text}");
    // A checkpoint signed by a key Go is not given is refused by note.Open.
    let (ok, text) = run(&[ofcom.public().to_vkey()]);
    assert!(!ok, "{text}");
    assert!(node.stop().success());
}
