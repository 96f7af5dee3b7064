//! Disclosure input JSON (docs/FORMAT.md §14), parsed and checked.
#![no_main]

use disclosure_ledger::input::DisclosureInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(input) = DisclosureInput::from_json(text)
    {
        let _ = input.parse();
    }
});
