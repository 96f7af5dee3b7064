//! The worked examples of the specifications and of Go's reference package:
//! - c2sp.org/signed-note §"Verifier keys / Example" (key and note) and the
//!   unkeyed note at the top of the spec;
//! - golang.org/x/mod/sumdb/note `example_test.go` (ExampleSign, ExampleOpen,
//!   ExampleSign_add_signatures), whose keys and outputs are fixed.

use tlog::{KeyKind, Note, SignerKey, VerifierKey, VerifyError, key_id};

const SPEC_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const SPEC_NOTE: &str = "This is an example message.\n\
    \n\
    \u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

const GO_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
    then you don't know what your problem is.\n";
const GO_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const GO_SIG_ENOCH: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

#[test]
fn signed_note_spec_example() {
    let key = VerifierKey::parse(SPEC_VKEY).unwrap();
    assert_eq!(key.name, "example.com/foo");
    assert_eq!(
        key.key_id,
        key_id("example.com/foo", 0x01, key.public.as_bytes())
    );
    let note = Note::parse(SPEC_NOTE.as_bytes()).unwrap();
    let v = note.verify(std::slice::from_ref(&key)).unwrap();
    assert_eq!(v[0].key, key);
    assert_eq!(note.to_string(), SPEC_NOTE);
    // The same text under another text is rejected.
    let forged = SPEC_NOTE.replace("an example", "a forged");
    assert!(matches!(
        Note::parse(forged.as_bytes())
            .unwrap()
            .verify(std::slice::from_ref(&key)),
        Err(VerifyError::BadSignature { .. })
    ));
}

#[test]
fn signed_note_spec_unkeyed_example_parses() {
    let text = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \u{e8} subito sera.\n";
    let note = format!(
        "{text}\n\u{2014} quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
    );
    let n = Note::parse(note.as_bytes()).unwrap();
    // The text keeps its own blank line: only the last one separates.
    assert_eq!(n.text(), text);
    assert_eq!(n.signatures().len(), 1);
    assert_eq!(n.signatures()[0].name(), "quasimodo.example/salvatore");
    assert_eq!(n.to_string(), note);
    // Without the key, the note must not be trusted.
    assert!(matches!(
        n.verify(&[]),
        Err(VerifyError::NoTrustedSignature { .. })
    ));
}

#[test]
fn go_example_sign() {
    let signer = SignerKey::parse(GO_SKEY).unwrap();
    assert_eq!(signer.verifier().to_string(), GO_VKEY);
    assert_eq!(signer.to_text(), GO_SKEY);
    let mut note = Note::new(GO_TEXT).unwrap();
    note.sign(&signer).unwrap();
    assert_eq!(note.to_string(), format!("{GO_TEXT}\n{GO_SIG}"));
}

#[test]
fn go_example_open() {
    let key = VerifierKey::parse(GO_VKEY).unwrap();
    let note = Note::parse(format!("{GO_TEXT}\n{GO_SIG}").as_bytes()).unwrap();
    let v = note.verify(std::slice::from_ref(&key)).unwrap();
    assert_eq!(v[0].key.name, "PeterNeumann");
    assert_eq!(hex::encode(v[0].key.key_id), "c74f20a3");
    assert_eq!(note.text(), GO_TEXT);
}

#[test]
fn go_example_add_signatures() {
    let mut note = Note::parse(format!("{GO_TEXT}\n{GO_SIG}").as_bytes()).unwrap();
    // note.GenerateKey with an all-zero reader: the seed is 32 zero bytes.
    let enoch = SignerKey::from_seed("EnochRoot", KeyKind::Ed25519, &[0; 32]).unwrap();
    note.sign(&enoch).unwrap();
    assert_eq!(
        note.to_string(),
        format!("{GO_TEXT}\n{GO_SIG}{GO_SIG_ENOCH}")
    );
    // Both keys verify it; either alone does too; the other line is ignored.
    let peter = VerifierKey::parse(GO_VKEY).unwrap();
    let both = [peter.clone(), enoch.verifier().clone()];
    assert_eq!(note.verify(&both).unwrap().len(), 2);
    assert_eq!(note.verify(std::slice::from_ref(&peter)).unwrap().len(), 1);
}
