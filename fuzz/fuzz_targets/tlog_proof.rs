//! `c2sp.org/tlog-proof@v1` texts: an accepted proof re-serialises byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tlog::TlogProof;

fuzz_target!(|data: &[u8]| {
    if let Ok(proof) = TlogProof::parse(data) {
        assert_eq!(proof.to_string().as_bytes(), data);
    }
});
