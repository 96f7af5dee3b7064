//! Policy documents (TOML, docs/POLICY.md).
#![no_main]

use disclosure_ledger::policy::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Policy::parse(text);
    }
});
