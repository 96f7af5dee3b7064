//! Evidence bundles: a real bundle for a sample disclosure with one of its files replaced by
//! the input (the first byte picks which). Verification reports failures; it never panics, and
//! never passes a bundle whose target differs.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use disclosure_ledger::evidence::{build_bundle, load_trust_dir, verify_bundle};
use disclosure_ledger::keys::PublicKey;
use disclosure_ledger::store::{Access, Store};
use libfuzzer_sys::fuzz_target;

struct Base {
    _dir: tempfile::TempDir,
    bundle: PathBuf,
    files: Vec<PathBuf>,
    trusted: Vec<PublicKey>,
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let dir = tempfile::tempdir().unwrap();
        let trust = dir.path().join("trust");
        std::fs::create_dir(&trust).unwrap();
        for e in std::fs::read_dir(root.join("fixtures/keys")).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "vkey") {
                std::fs::copy(&p, trust.join(p.file_name().unwrap())).unwrap();
            }
        }
        let store = Store::open(&root.join("fixtures/sample.ledger"), Access::ReadOnly).unwrap();
        let checkpoint = store.checkpoints().unwrap().last().unwrap().0;
        let bundle = build_bundle(&store, checkpoint / 2, &[]).unwrap();
        let path = dir.path().join("bundle");
        bundle.write(&path).unwrap();
        let files = bundle.files().keys().map(PathBuf::from).collect();
        Base {
            trusted: load_trust_dir(&trust).unwrap(),
            bundle: path,
            files,
            _dir: dir,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let base = base();
    let dir = tempfile::tempdir().unwrap();
    for f in &base.files {
        let to = dir.path().join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(base.bundle.join(f), &to).unwrap();
    }
    let victim = &base.files[which as usize % base.files.len()];
    let original = std::fs::read(dir.path().join(victim)).unwrap();
    std::fs::write(dir.path().join(victim), body).unwrap();
    if let Ok(report) = verify_bundle(dir.path(), &base.trusted) {
        assert!(
            !report.ok || body == original,
            "a changed {} verified",
            victim.display()
        );
    }
});
