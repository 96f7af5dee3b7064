//! Bulk disclosure files: the first byte picks CSV or JSON Lines, the rest is the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join(if kind & 1 == 0 { "d.csv" } else { "d.jsonl" });
    std::fs::write(&path, body).unwrap();
    if let Ok(rows) = disclosure_ledger::bulk::read_disclosures(&path) {
        for (_, input) in rows {
            let _ = input.parse();
        }
    }
});
