//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub(crate) mod chromium;
pub(crate) mod nodes;
pub(crate) mod shell;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use disclosure_ledger::keys::SecretKey;
use dledger_testkit::sample::DEMO_KEY_NAMES;

/// The repository root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The committed sample ledger.
/// The bundled sample ledger, recorded in entry format 1 (it keeps verifying under the rules
/// it was recorded under).
pub(crate) fn sample_ledger() -> PathBuf {
    root().join("fixtures/sample.ledger")
}

/// The sample as the current generator records it, in entry format 2 (joint acts, pair-scoped
/// designations, relevance limbs).
#[allow(dead_code)]
pub(crate) fn sample_v2_ledger() -> PathBuf {
    root().join("fixtures/sample-v2.ledger")
}

/// A copy of the format 2 sample in `dir`.
#[allow(dead_code)]
pub(crate) fn sample_v2_copy(dir: &Path) -> PathBuf {
    let path = dir.join("sample-v2.ledger");
    fs::copy(sample_v2_ledger(), &path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    path
}

/// Copies the demo keys into `dir` with owner-only permissions (git checkouts make them 0644).
pub(crate) fn demo_keys_in(dir: &Path) -> PathBuf {
    let keys = dir.join("keys");
    fs::create_dir_all(&keys).unwrap();
    for name in DEMO_KEY_NAMES {
        for ext in ["key", "vkey"] {
            let from = root().join(format!("fixtures/keys/{name}.{ext}"));
            let to = keys.join(format!("{name}.{ext}"));
            fs::copy(&from, &to).unwrap();
            let mode = if ext == "key" { 0o600 } else { 0o644 };
            fs::set_permissions(&to, fs::Permissions::from_mode(mode)).unwrap();
        }
    }
    keys
}

/// Loads one demo key from a directory made by [`demo_keys_in`].
pub(crate) fn demo_key(keys: &Path, name: &str) -> SecretKey {
    SecretKey::load(&keys.join(format!("{name}.key"))).unwrap()
}

/// A temporary directory holding a copy of the sample ledger and the demo keys (owner-only).
pub(crate) struct Sandbox {
    _dir: tempfile::TempDir,
    /// The directory.
    pub(crate) dir: PathBuf,
    /// The copy of the sample ledger.
    pub(crate) ledger: PathBuf,
    /// The demo keys.
    pub(crate) keys: PathBuf,
}

/// A new [`Sandbox`].
pub(crate) fn sandbox() -> Sandbox {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let ledger = sample_copy(&path);
    let keys = demo_keys_in(&path);
    Sandbox {
        _dir: dir,
        dir: path,
        ledger,
        keys,
    }
}

/// A copy of the sample ledger in `dir`.
pub(crate) fn sample_copy(dir: &Path) -> PathBuf {
    let path = dir.join("sample.ledger");
    fs::copy(sample_ledger(), &path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    path
}

/// Appends, bypassing dledger's checks, a well-formed theme declaration that chains to the last
/// entry and is signed by `key` in the name of `party`, as someone holding that key and write
/// access to the file could. Returns its sequence number.
pub(crate) fn append_forged(path: &Path, party: &str, key: &SecretKey, theme: &str) -> u64 {
    use disclosure_ledger::model::{Body, ThemeDeclared, ThemeId};
    append_body(
        path,
        party,
        key,
        Body::ThemeDeclared(ThemeDeclared {
            id: ThemeId::new(theme).unwrap(),
            title: "Forged".into(),
            description: String::new(),
        }),
    )
}

/// Appends `body`, bypassing dledger's checks, as a well-formed entry that chains to the last
/// entry, is recorded a minute after it and is signed by `key` in the name of `party` (as
/// someone holding that key and write access to the file could). Returns its sequence number.
pub(crate) fn append_body(
    path: &Path,
    party: &str,
    key: &SecretKey,
    body: disclosure_ledger::model::Body,
) -> u64 {
    append_body_as(
        path,
        party,
        key,
        body,
        disclosure_ledger::model::FORMAT_VERSION,
    )
}

/// [`append_body`] with the entry's format version given (to craft an older-format entry).
#[allow(dead_code)]
pub(crate) fn append_body_as(
    path: &Path,
    party: &str,
    key: &SecretKey,
    body: disclosure_ledger::model::Body,
    version: u16,
) -> u64 {
    use disclosure_ledger::codec::{decode_entry, encode_entry};
    use disclosure_ledger::hash::leaf_hash;
    use disclosure_ledger::model::{Entry, EntryHash, Seq, Signer};
    use disclosure_ledger::store::{Access, NewRecord, Store};
    let store = Store::open(path, Access::ReadWrite).unwrap();
    let n = store.len().unwrap();
    let last = store.get(n - 1).unwrap().unwrap();
    let last_entry = decode_entry(&last.bytes).unwrap();
    let entry = Entry {
        version,
        seq: Seq(n),
        prev: EntryHash(leaf_hash(&last.bytes)),
        recorded_at: last_entry.recorded_at.plus_seconds(60),
        signer: Signer {
            party: party.parse().unwrap(),
            key_id: key.public().key_id,
        },
        body,
    };
    let bytes = encode_entry(&entry).unwrap();
    store
        .append(&[NewRecord {
            seq: n,
            hash: leaf_hash(&bytes),
            signature: key.sign_entry(&bytes),
            bytes,
            vault: vec![],
            erase: Vec::new(),
        }])
        .unwrap();
    n
}

/// Checks that the section of `doc` (a path under the repository) between the markers
/// `<!-- BEGIN GENERATED {what} -->` and `<!-- END GENERATED {what} -->` is exactly `generated`;
/// with `UPDATE_DOCS` set, rewrites it instead. `how` says which test to rerun.
pub(crate) fn check_generated_section(doc: &str, what: &str, generated: &str, how: &str) {
    let path = root().join(doc);
    let text = fs::read_to_string(&path).unwrap();
    let (begin, end) = (
        format!("<!-- BEGIN GENERATED {what} -->\n"),
        format!("<!-- END GENERATED {what} -->"),
    );
    let start = text.find(&begin).expect("begin marker") + begin.len();
    let stop = text.find(&end).expect("end marker");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        fs::write(
            &path,
            format!("{}{generated}{}", &text[..start], &text[stop..]),
        )
        .unwrap();
        return;
    }
    assert!(
        text[start..stop] == *generated,
        "{doc} is out of date; run UPDATE_DOCS=1 {how}"
    );
}

/// A command's standard output then its standard error, as text (for messages and asserts).
#[allow(dead_code)]
pub(crate) fn output_text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The demo key that is a current key of `party` at the head of the ledger in `store`.
pub(crate) fn current_key(
    store: &disclosure_ledger::store::Store,
    keys: &Path,
    party: &str,
) -> SecretKey {
    use disclosure_ledger::ledger::open_registers;
    use disclosure_ledger::model::Seq;
    use disclosure_ledger::registers::KeyStatus;
    let reg = open_registers(store).unwrap();
    let size = store.len().unwrap();
    for name in DEMO_KEY_NAMES {
        let key = demo_key(keys, name);
        let id = key.public().key_id;
        if let Some(p) = reg.party_of_key(id)
            && p.as_str() == party
            && reg.key_status(p, id, Seq(size)) == KeyStatus::Valid
        {
            return key;
        }
    }
    panic!("no current demo key for {party}");
}

/// Makes a checkpoint of the whole ledger at `path` signed by the ICO and cosigned by OFCOM
/// (it carries the entry index root).
pub(crate) fn checkpoint_and_cosign(path: &Path, keys: &Path) {
    use disclosure_ledger::ledger::open_registers;
    use disclosure_ledger::store::{Access, Store};
    let store = Store::open(path, Access::ReadWrite).unwrap();
    let reg = open_registers(&store).unwrap();
    let ico = current_key(&store, keys, "ICO");
    let note = disclosure_ledger::witness::make_checkpoint(&store, &reg, &ico).unwrap();
    disclosure_ledger::witness::cosign(
        &store,
        &reg,
        note.to_string().as_bytes(),
        &current_key(&store, keys, "OFCOM"),
        disclosure_ledger::model::Timestamp::now(),
    )
    .unwrap();
}

/// The newest stored checkpoint note of the ledger at `path`, and its size.
pub(crate) fn newest_note(path: &Path) -> (u64, Vec<u8>) {
    use disclosure_ledger::store::{Access, Store};
    let store = Store::open(path, Access::ReadOnly).unwrap();
    store.checkpoints().unwrap().into_iter().last().unwrap()
}

/// A copy of the format 2 sample with a fresh checkpoint (carrying the entry index root)
/// signed by the ICO and cosigned by OFCOM, its entries decoded.
pub(crate) struct IndexedLedger {
    _dir: tempfile::TempDir,
    /// The temporary directory (bundles are written into it).
    pub(crate) dir: PathBuf,
    /// The ledger file.
    pub(crate) path: PathBuf,
    /// The demo keys.
    pub(crate) keys: PathBuf,
    /// Every entry, decoded.
    pub(crate) entries: Vec<disclosure_ledger::model::Entry>,
}

/// A new [`IndexedLedger`].
pub(crate) fn indexed_ledger() -> IndexedLedger {
    use disclosure_ledger::store::{Access, Store, StoreError};
    let dir = tempfile::tempdir().unwrap();
    let path = sample_v2_copy(dir.path());
    let keys = demo_keys_in(dir.path());
    checkpoint_and_cosign(&path, &keys);
    let store = Store::open(&path, Access::ReadOnly).unwrap();
    let mut entries = Vec::new();
    store
        .scan(0, None, |r| {
            entries.push(disclosure_ledger::codec::decode_entry(&r.bytes).unwrap());
            Ok::<_, StoreError>(())
        })
        .unwrap();
    IndexedLedger {
        dir: dir.path().to_owned(),
        _dir: dir,
        path,
        keys,
        entries,
    }
}

impl IndexedLedger {
    /// Writes the evidence bundle of entry `seq` to a new directory `name` and returns it.
    pub(crate) fn bundle(&self, seq: u64, name: &str) -> PathBuf {
        use disclosure_ledger::store::{Access, Store};
        let store = Store::open(&self.path, Access::ReadOnly).unwrap();
        let out = self.dir.join(name);
        disclosure_ledger::evidence::build_bundle(&store, disclosure_ledger::model::Seq(seq), &[])
            .unwrap()
            .write(&out)
            .unwrap();
        out
    }
}

/// A checkpoint of the whole ledger at `path` signed by the ICO's current demo key whose entry
/// index root leaves entry `left_out` out (an operator hiding an entry from the index): its
/// size and note text. Nothing is stored.
pub(crate) fn checkpoint_leaving_out(path: &Path, keys: &Path, left_out: u64) -> (u64, String) {
    use disclosure_ledger::ledger::open_registers;
    use disclosure_ledger::store::{Access, Store, StoreError};
    let store = Store::open(path, Access::ReadOnly).unwrap();
    let size = store.len().unwrap();
    let mut index = ledger_core::index::Index::new();
    store
        .scan(0, Some(size), |r| {
            let e = disclosure_ledger::codec::decode_entry(&r.bytes).unwrap();
            if e.seq.0 == left_out {
                index.skip(e.seq);
            } else {
                index.add(&e);
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let cp = tlog::Checkpoint {
        origin: open_registers(&store).unwrap().origin.clone().unwrap(),
        size,
        root: tlog::tree_hash(size, &store).unwrap(),
        extensions: vec![ledger_core::index::index_line(&index.root())],
    };
    let note = cp
        .sign(
            &current_key(&store, keys, "ICO")
                .note_signer(tlog::KeyKind::Ed25519)
                .unwrap(),
        )
        .unwrap();
    (size, note.to_string())
}
