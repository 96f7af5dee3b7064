//! The published log (`dledger publish`, docs/FORMAT.md §16) read by a second, independent
//! reader written from the C2SP tlog-tiles specification alone — its own path encoding, its own
//! RFC 6962 hashing, nothing from the server code: the checkpoint's root follows from the
//! level-0 tiles, every entry bundle hashes to its tile, higher tiles hash the full tiles below,
//! entries and signatures are byte-identical to the ledger's, and no field value is published.
//! Publishing again after new entries keeps the full tiles and adds the rest.

mod common;

use std::fs;
use std::path::Path;

use sha2::{Digest as _, Sha256};

fn sha(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// RFC 6962 §2.1: MTH of a list of leaf hashes.
fn mth(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => sha(&[]),
        1 => leaves[0],
        n => {
            let k = n.next_power_of_two() / 2;
            let k = if k == n { n / 2 } else { k };
            sha(&[&[1], &mth(&leaves[..k]), &mth(&leaves[k..])])
        }
    }
}

/// The spec's index encoding: zero-padded 3-digit elements, all but the last prefixed `x`.
fn index_path(n: u64) -> String {
    let mut parts = vec![format!("{:03}", n % 1000)];
    let mut rest = n / 1000;
    while rest > 0 {
        parts.push(format!("x{:03}", rest % 1000));
        rest /= 1000;
    }
    parts.reverse();
    parts.join("/")
}

/// `<prefix>/<kind>/<N>[.p/<W>]` for the `i`-th of `count` resources of a level holding
/// `hashes` hashes.
fn tile_paths(kind: &str, hashes: u64) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = (0..hashes / 256)
        .map(|n| (format!("{kind}/{}", index_path(n)), 256))
        .collect();
    if !hashes.is_multiple_of(256) {
        out.push((
            format!("{kind}/{}.p/{}", index_path(hashes / 256), hashes % 256),
            hashes % 256,
        ));
    }
    out
}

fn read(dir: &Path, path: &str) -> Vec<u8> {
    fs::read(dir.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Checks the published directory as a tiles client would; returns (size, entries).
fn check_published(dir: &Path) -> (u64, Vec<Vec<u8>>) {
    use base64::Engine as _;
    let note = String::from_utf8(read(dir, "checkpoint")).unwrap();
    let lines: Vec<&str> = note.lines().collect();
    let size: u64 = lines[1].parse().unwrap();
    let root: [u8; 32] = base64::engine::general_purpose::STANDARD
        .decode(lines[2])
        .unwrap()
        .try_into()
        .unwrap();
    // Level 0: the leaf hashes, and the entry bundles that hash to them.
    let mut leaves = Vec::new();
    let mut entries = Vec::new();
    for ((tile, w), (bundle, bw)) in tile_paths("tile/0", size)
        .into_iter()
        .zip(tile_paths("tile/entries", size))
    {
        assert_eq!(w, bw);
        let hashes = read(dir, &tile);
        assert_eq!(hashes.len() as u64, 32 * w, "{tile}");
        let bytes = read(dir, &bundle);
        let mut at = 0;
        for i in 0..w as usize {
            let len = u16::from_be_bytes([bytes[at], bytes[at + 1]]) as usize;
            let entry = &bytes[at + 2..at + 2 + len];
            at += 2 + len;
            let leaf = sha(&[&[0], entry]);
            assert_eq!(&hashes[i * 32..i * 32 + 32], &leaf, "{bundle} entry {i}");
            leaves.push(leaf);
            entries.push(entry.to_vec());
        }
        assert_eq!(at, bytes.len(), "{bundle} has bytes after its last entry");
    }
    assert_eq!(leaves.len() as u64, size);
    assert_eq!(
        mth(&leaves),
        root,
        "the tiles do not give the checkpoint's root"
    );
    // Level 1 and up: each hash is the MTH of a full tile below.
    let mut below: Vec<[u8; 32]> = leaves;
    let mut level = 1;
    while below.len() >= 256 {
        let hashes: Vec<[u8; 32]> = below.chunks_exact(256).map(mth).collect();
        let mut got = Vec::new();
        for (tile, w) in tile_paths(&format!("tile/{level}"), hashes.len() as u64) {
            let bytes = read(dir, &tile);
            assert_eq!(bytes.len() as u64, 32 * w, "{tile}");
            got.extend(
                bytes
                    .chunks_exact(32)
                    .map(|c| <[u8; 32]>::try_from(c).unwrap()),
            );
        }
        assert_eq!(got, hashes, "level {level}");
        below = hashes;
        level += 1;
    }
    (size, entries)
}

#[test]
fn a_published_log_checks_out_with_an_independent_tiles_reader() {
    use disclosure_ledger::store::{Access, Store, StoreError};
    let f = common::indexed_ledger();
    let dir = f.dir.join("published");
    let out = assert_cmd::Command::cargo_bin("dledger")
        .unwrap()
        .arg("-l")
        .arg(&f.path)
        .args(["publish", "-o"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::output_text(&out));
    let (size, entries) = check_published(&dir);

    // Byte-identical to the ledger, signatures included; the checkpoint as stored.
    let store = Store::open(&f.path, Access::ReadOnly).unwrap();
    let (stored_size, note) = common::newest_note(&f.path);
    assert_eq!(stored_size, size);
    assert_eq!(read(&dir, "checkpoint"), note);
    let mut signatures = Vec::new();
    let mut values = Vec::new();
    store
        .scan(0, Some(size), |r| {
            assert_eq!(r.bytes, entries[r.key as usize], "entry #{}", r.key);
            signatures.extend_from_slice(&r.signature.unwrap());
            values.extend(
                r.vault()
                    .unwrap()
                    .into_iter()
                    .map(|(_, v)| v[32..].to_vec()),
            );
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let published_signatures: Vec<u8> = tile_paths("dledger/signatures", size)
        .into_iter()
        .flat_map(|(p, _)| read(&dir, &p))
        .collect();
    assert_eq!(published_signatures, signatures);
    // No field value is in any published file.
    let mut all = Vec::new();
    for e in walk(&dir) {
        all.extend(fs::read(e).unwrap());
    }
    // (Values the log itself also holds in the clear, such as a company's name, are public.)
    let log: Vec<u8> = entries.concat();
    let long: Vec<&Vec<u8>> = values
        .iter()
        .filter(|v| v.len() >= 12 && !log.windows(v.len()).any(|w| w == v.as_slice()))
        .collect();
    assert!(!long.is_empty());
    for v in long {
        assert!(
            !all.windows(v.len()).any(|w| w == v.as_slice()),
            "a field value is published: {}",
            String::from_utf8_lossy(v)
        );
    }
    drop(store);

    // After a new entry and checkpoint, publishing again keeps the full tiles and adds the rest.
    let full_tile = dir.join("tile/0/000");
    let before = fs::metadata(&full_tile).unwrap().modified().unwrap();
    let store = Store::open(&f.path, Access::ReadOnly).unwrap();
    let ico = common::current_key(&store, &f.keys, "ICO");
    drop(store);
    let out = assert_cmd::Command::cargo_bin("dledger")
        .unwrap()
        .arg("-l")
        .arg(&f.path)
        .args([
            "theme",
            "declare",
            "later-theme",
            "--title",
            "Later",
            "--key",
        ])
        .arg(f.keys.join(format!("{}.key", ico.public().name)))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::output_text(&out));
    common::checkpoint_and_cosign(&f.path, &f.keys);
    let out = assert_cmd::Command::cargo_bin("dledger")
        .unwrap()
        .arg("-l")
        .arg(&f.path)
        .args(["publish", "-o"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = common::output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("already there kept"), "{text}");
    assert_eq!(
        fs::metadata(&full_tile).unwrap().modified().unwrap(),
        before
    );
    let (newer, _) = check_published(&dir);
    assert_eq!(newer, size + 1);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn the_spec_examples_of_paths_and_hashing_hold_in_this_reader() {
    // The specification's own examples, so the reader above is checked too.
    assert_eq!(index_path(1_234_067), "x001/x234/067");
    assert_eq!(index_path(7), "007");
    let paths: Vec<String> = tile_paths("tile/1", 70_000 / 256)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(paths, ["tile/1/000", "tile/1/001.p/17"]);
    assert_eq!(
        tile_paths("tile/0", 70_000).last().unwrap().0,
        "tile/0/273.p/112"
    );
    // RFC 6962 agrees with tlog's own implementation on uneven sizes.
    let leaves: Vec<[u8; 32]> = (0u8..7).map(|i| sha(&[&[0], &[i]])).collect();
    let tree = tlog::MemoryHashes::from_leaf_hashes(leaves.iter().copied());
    assert_eq!(mth(&leaves), tlog::tree_hash(7, &tree).unwrap());
}
