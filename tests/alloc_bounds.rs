//! Forged lengths must not make a decoder allocate: every 8-byte window of valid entries is
//! overwritten with huge lengths and counts (2^64 − 1, 2^40, 2^32, 1 MiB − 1, 1 MiB + 1), and
//! the bytes the decoder allocates are counted by an instrumented global allocator
//! (`stats_alloc`). docs/FORMAT.md §6 bounds a decode at one 1 MiB buffer; this checks it, and
//! the same for an export's header count and an encrypted key file's scrypt cost.
//!
//! One test in its own binary, so nothing else allocates while it counts.

use disclosure_ledger::codec::{MAX_ENTRY_BYTES, decode_entry};
use disclosure_ledger::keys::SecretKey;
use disclosure_ledger::store::{Access, Store};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// What a decode may allocate: one 1 MiB buffer (a forged `Vec` count is pre-allocated for
/// at most 1 MiB of elements by serde, whatever the entry limit, docs/FORMAT.md §6), plus the
/// values decoded before the input runs out. A forged `String` length costs at most
/// [`MAX_ENTRY_BYTES`].
const BOUND: usize = (1 << 20) + 128 * 1024;

/// Bytes allocated by `f` (fresh allocations plus net growth by reallocation).
fn allocated<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let region = Region::new(GLOBAL);
    let out = f();
    let s = region.change();
    (out, s.bytes_allocated + s.bytes_reallocated.max(0) as usize)
}

#[test]
fn forged_lengths_do_not_allocate() {
    let sample =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample.ledger");
    let store = Store::open(&sample, Access::ReadOnly).unwrap();
    let n = store.len().unwrap();
    // Entries of several kinds and sizes: genesis (the policy text), disclosures, the last.
    let entries: Vec<Vec<u8>> = [0, 1, 5, n / 2, n - 1]
        .iter()
        .map(|&s| store.get(s).unwrap().unwrap().bytes)
        .collect();
    let forged: [u64; 6] = [
        u64::MAX,
        1 << 40,
        1 << 32,
        MAX_ENTRY_BYTES as u64 - 1,
        MAX_ENTRY_BYTES as u64 + 1,
        u32::MAX as u64,
    ];
    let (mut decodes, mut largest, mut worst) = (0, 0, String::new());
    for (e, bytes) in entries.iter().enumerate() {
        for at in 0..bytes.len().saturating_sub(8) {
            for value in forged {
                let mut b = bytes.clone();
                b[at..at + 8].copy_from_slice(&value.to_le_bytes());
                let (result, n) = allocated(|| decode_entry(&b).is_ok());
                let _ = result;
                decodes += 1;
                if n > largest {
                    largest = n;
                    worst = format!("entry {e}, offset {at}, value {value:#x}");
                }
            }
        }
    }
    eprintln!(
        "alloc bounds: {decodes} decodes of entries with forged lengths; the most any allocated \
         was {largest} bytes ({worst}); bound {BOUND}"
    );
    assert!(largest <= BOUND, "{largest} bytes at {worst}");

    // An export whose header promises 2^62 entries: refused at the end, nothing reserved for
    // the count.
    let export = format!(
        "{{\"format\":\"disclosure-ledger-export\",\"version\":1,\"entry_format\":1,\"entries\":{}}}\n",
        1u64 << 62
    );
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("x.ledger");
    let (result, n) = allocated(|| disclosure_ledger::export::import(export.as_bytes(), &target));
    assert!(result.is_err());
    assert!(
        n < 1 << 20,
        "an import of a forged header allocated {n} bytes"
    );
    eprintln!("alloc bounds: forged export header count refused after {n} bytes");

    // An encrypted key claiming a scrypt cost of 2^40 (1 PiB of memory): refused before any
    // derivation.
    let key = SecretKey::from_seed("alloc", &[5; 32]).unwrap();
    let text = key
        .to_encrypted_skey("a passphrase of some length", 10)
        .unwrap();
    let forged = text.replacen("+10+", "+40+", 1);
    let (result, n) =
        allocated(|| SecretKey::from_encrypted_skey(&forged, "a passphrase of some length"));
    assert!(result.is_err());
    assert!(n < 64 * 1024, "a forged scrypt cost allocated {n} bytes");
    eprintln!("alloc bounds: forged scrypt cost refused after {n} bytes");
}
