//! C2SP signed notes, checkpoints and cosignature lines: an accepted note re-serialises byte
//! for byte, and verifying it against real keys never panics.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tlog::{Checkpoint, KeyKind, Note, VerifierKey};

fn keys() -> &'static Vec<VerifierKey> {
    static KEYS: OnceLock<Vec<VerifierKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys = Vec::new();
        for name in dledger_testkit::sample::DEMO_KEY_NAMES {
            let k = dledger_testkit::sample::demo_key(name);
            for kind in [KeyKind::Ed25519, KeyKind::CosignatureV1] {
                keys.push(k.note_signer(kind).unwrap().verifier().clone());
            }
        }
        keys
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(note) = Note::parse(data) {
        assert_eq!(note.to_string().as_bytes(), data);
        let _ = note.verify(keys());
        if let Ok(cp) = Checkpoint::from_note(&note) {
            assert_eq!(cp.to_text().unwrap(), note.text());
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Checkpoint::parse(text);
    }
});
