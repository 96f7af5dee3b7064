//! Key texts: C2SP verifier keys, Go signer keys, and passphrase-encrypted keys (which must
//! refuse an out-of-range scrypt cost before deriving anything).
#![no_main]

use disclosure_ledger::keys::{PublicKey, SecretKey};
use libfuzzer_sys::fuzz_target;
use tlog::{SignerKey, VerifierKey};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = PublicKey::from_vkey(text);
    let _ = SecretKey::from_skey(text);
    let _ = VerifierKey::parse(text);
    let _ = text.parse::<SignerKey>();
    // Only cheap costs are worth deriving in a fuzzer; the parse (and range check) always runs.
    if !text.contains("+17+")
        && !text.contains("+18+")
        && !text.contains("+19+")
        && !text.contains("+20+")
    {
        let _ = SecretKey::from_encrypted_skey(text, "fuzz passphrase");
    }
});
