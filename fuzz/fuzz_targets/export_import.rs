//! JSONL exports (docs/FORMAT.md §11) imported into a new ledger: refused (leaving no file), or
//! imported and verified.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("import.ledger");
    if disclosure_ledger::export::import(data, &target).is_err() {
        assert!(!target.exists());
    }
});
