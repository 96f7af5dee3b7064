//! Entry bytes (docs/FORMAT.md §6): an accepted input is the canonical encoding of what it
//! decodes to.
#![no_main]

use disclosure_ledger::codec::{decode_entry, encode_entry};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entry) = decode_entry(data) {
        assert_eq!(encode_entry(&entry).unwrap(), data);
    }
});
