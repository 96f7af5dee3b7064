//! Hostile input: property tests (proptest, stable Rust) over every decoder that reads bytes a
//! stranger could hand us. The same decoders are fuzz targets under `fuzz/` for cargo-fuzz
//! (nightly); these tests keep the properties checked in CI.
//!
//! Each decoder gets arbitrary input and mutations of valid input (flipped, inserted, deleted
//! and duplicated bytes), and must return a value or an error: never panic, never overflow the
//! stack. Where a decoder accepts, the value must re-encode to exactly the accepted bytes
//! (entries, notes, checkpoints, tlog proofs), so no input has two readings.
//!
//! Decoders: entry bytes, checkpoint notes and cosignature lines (and their verification), tlog
//! proofs, Merkle proof verification, JSON disclosure input, policy documents (TOML), the JSONL
//! export (import), bulk CSV/JSONL disclosure files, key files (plain and encrypted), and the
//! small parsers under them (timestamps, gateways, identifiers). Evidence bundles are covered
//! by tests/evidence.rs and tests/tamper_matrix.rs. Allocation bounds for forged lengths are in
//! tests/alloc_bounds.rs; deep nesting is below.
//!
//! `DLEDGER_PROPTEST_CASES` sets the cases per property (default 1000; a quarter of that for
//! the properties that write files).

mod common;

use std::sync::OnceLock;

use disclosure_ledger::codec::{decode_entry, encode_entry};
use disclosure_ledger::input::DisclosureInput;
use disclosure_ledger::keys::{PublicKey, SecretKey};
use disclosure_ledger::model::{Gateway, Timestamp};
use disclosure_ledger::policy::Policy;
use disclosure_ledger::store::{Access, Store};
use proptest::prelude::*;
use tlog::{Checkpoint, KeyKind, Note, SignerKey, TlogProof, VerifierKey};

fn cases() -> u32 {
    std::env::var("DLEDGER_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

/// `cases` cases; failures are reported, not written to a regressions file (each bug found gets
/// a named test below instead).
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Valid inputs taken from the sample ledger, to mutate.
struct Seeds {
    entries: Vec<Vec<u8>>,
    notes: Vec<Vec<u8>>,
    proof: Vec<u8>,
    export_head: Vec<u8>,
}

fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let store = Store::open(&common::sample_ledger(), Access::ReadOnly).unwrap();
        let n = store.len().unwrap();
        let entries: Vec<Vec<u8>> = [0, 1, 2, n / 3, n / 2, n - 2, n - 1]
            .iter()
            .map(|&s| store.get(s).unwrap().unwrap().bytes)
            .collect();
        let checkpoints = store.checkpoints().unwrap();
        let notes: Vec<Vec<u8>> = checkpoints.iter().map(|(_, n)| n.clone()).collect();
        let (size, note) = checkpoints.last().unwrap();
        let proof = TlogProof {
            extra: Some(b"extra".to_vec()),
            index: size / 3,
            proof: tlog::prove_inclusion(size / 3, *size, &store).unwrap(),
            checkpoint: Note::parse(note).unwrap(),
        }
        .to_string()
        .into_bytes();
        let mut export = Vec::new();
        disclosure_ledger::export::export(&store, &mut export).unwrap();
        // The header and the first three entries, with the header's count made to match.
        let lines: Vec<&str> = std::str::from_utf8(&export).unwrap().lines().collect();
        let head = lines[0].replace(&format!("\"entries\":{n}"), "\"entries\":3");
        let export_head =
            format!("{head}\n{}\n{}\n{}\n", lines[1], lines[2], lines[3]).into_bytes();
        Seeds {
            entries,
            notes,
            proof,
            export_head,
        }
    })
}

const DISCLOSURE_JSON: &str = r#"{"from": "OFCOM", "to": "ICO", "disclosed_at": "2024-03-03",
"gateway": "Communications Act 2003 s393(2)(a)", "category": "information-request",
"information_notice": true, "companies": ["brightloop=BrightLoop Social Ltd"],
"themes": ["age-assurance"], "fields": {"request_date": "2024-03-01"},
"notification": "skipped: routine disclosure (statement §4)",
"relevance": "relevant to online safety", "officer_role": "Online Safety supervision team"}"#;

const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";

/// One edit to a byte string.
#[derive(Debug, Clone)]
enum Edit {
    Flip(prop::sample::Index, u8),
    Insert(prop::sample::Index, Vec<u8>),
    Delete(prop::sample::Index, usize),
    Duplicate(prop::sample::Index, usize),
    Truncate(prop::sample::Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<prop::sample::Index>(), 1u8..).prop_map(|(i, m)| Edit::Flip(i, m)),
        2 => (any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 1..12))
            .prop_map(|(i, b)| Edit::Insert(i, b)),
        2 => (any::<prop::sample::Index>(), 1usize..40).prop_map(|(i, n)| Edit::Delete(i, n)),
        1 => (any::<prop::sample::Index>(), 1usize..80).prop_map(|(i, n)| Edit::Duplicate(i, n)),
        1 => any::<prop::sample::Index>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut b: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        if b.is_empty() {
            b.push(0);
        }
        match e {
            Edit::Flip(i, m) => {
                let i = i.index(b.len());
                b[i] ^= m;
            }
            Edit::Insert(i, bytes) => {
                let i = i.index(b.len() + 1);
                b.splice(i..i, bytes.iter().copied());
            }
            Edit::Delete(i, n) => {
                let i = i.index(b.len());
                let end = (i + n).min(b.len());
                b.drain(i..end);
            }
            Edit::Duplicate(i, n) => {
                let i = i.index(b.len());
                let end = (i + n).min(b.len());
                let copy = b[i..end].to_vec();
                b.splice(end..end, copy);
            }
            Edit::Truncate(i) => {
                let i = i.index(b.len() + 1);
                b.truncate(i);
            }
        }
    }
    b
}

/// A valid input from `pick`, mutated by 1 to 6 edits.
fn mutated(pick: fn() -> Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (
        any::<prop::sample::Index>(),
        prop::collection::vec(edit(), 1..6),
    )
        .prop_map(move |(i, edits)| {
            let all = pick();
            apply(all[i.index(all.len())].clone(), &edits)
        })
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The sample's log keys and cosigner keys, to verify notes against.
fn note_keys() -> &'static Vec<VerifierKey> {
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

proptest! {
    #![proptest_config(config(cases()))]

    // ---- entry bytes --------------------------------------------------------------------

    #[test]
    fn entries_mutated_decode_canonically_or_not_at_all(b in mutated(|| seeds().entries.clone())) {
        if let Ok(e) = decode_entry(&b) {
            prop_assert_eq!(encode_entry(&e).unwrap(), b);
        }
    }

    #[test]
    fn entries_with_forged_lengths_are_refused(
        i in any::<prop::sample::Index>(),
        which in any::<prop::sample::Index>(),
        len in prop_oneof![Just(u64::MAX), Just(1u64 << 40), Just(1u64 << 20), Just(u32::MAX as u64), 0u64..4096],
    ) {
        let all = &seeds().entries;
        let mut b = all[which.index(all.len())].clone();
        let at = i.index(b.len() - 8);
        b[at..at + 8].copy_from_slice(&len.to_le_bytes());
        if let Ok(e) = decode_entry(&b) {
            prop_assert_eq!(encode_entry(&e).unwrap(), b);
        }
    }

    // ---- checkpoint notes and cosignatures ----------------------------------------------

    #[test]
    fn notes_arbitrary(b in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(n) = Note::parse(&b) {
            prop_assert_eq!(n.to_string().into_bytes(), b);
            let _ = n.verify(note_keys());
        }
    }

    #[test]
    fn notes_mutated_round_trip_and_verify_without_panicking(b in mutated(|| seeds().notes.clone())) {
        if let Ok(n) = Note::parse(&b) {
            prop_assert_eq!(n.to_string().into_bytes(), &b[..]);
            let _ = n.verify(note_keys());
            if let Ok(c) = Checkpoint::from_note(&n) {
                prop_assert_eq!(c.to_text().unwrap(), n.text());
            }
        }
    }

    #[test]
    fn cosignature_lines_with_known_key_ids_and_junk_signatures(
        which in any::<prop::sample::Index>(),
        sig in prop::collection::vec(any::<u8>(), 1..120),
    ) {
        // A signature line that names a real key (so it is checked, not skipped) but carries
        // any bytes: verification fails cleanly.
        use base64::Engine as _;
        let keys = note_keys();
        let key = &keys[which.index(keys.len())];
        let note = &seeds().notes[0];
        let mut raw = key.key_id.to_vec();
        raw.extend_from_slice(&sig);
        let line = format!(
            "\u{2014} {} {}\n",
            key.name,
            base64::engine::general_purpose::STANDARD.encode(raw)
        );
        let mut b = note.clone();
        b.extend_from_slice(line.as_bytes());
        if let Ok(n) = Note::parse(&b) {
            prop_assert!(n.verify(std::slice::from_ref(key)).is_err());
        }
    }

    #[test]
    fn checkpoint_bodies_arbitrary(s in "[a-zA-Z0-9/+=.\n -]{0,200}") {
        if let Ok(c) = Checkpoint::parse(&s) {
            prop_assert_eq!(c.to_text().unwrap(), s);
        }
    }

    // ---- tlog proofs and Merkle proofs ---------------------------------------------------

    #[test]
    fn tlog_proofs_mutated_round_trip(b in mutated(|| vec![seeds().proof.clone()])) {
        if let Ok(p) = TlogProof::parse(&b) {
            prop_assert_eq!(p.to_string().into_bytes(), b);
        }
    }

    #[test]
    fn tlog_proofs_arbitrary(b in prop::collection::vec(any::<u8>(), 0..800)) {
        let _ = TlogProof::parse(&b);
    }

    #[test]
    fn merkle_proof_verification_never_panics(
        proof in prop::collection::vec(any::<[u8; 32]>(), 0..70),
        index in prop_oneof![any::<u64>(), 0u64..64],
        size in prop_oneof![any::<u64>(), 0u64..64, Just(u64::MAX)],
        size2 in prop_oneof![any::<u64>(), 0u64..64, Just(u64::MAX)],
        leaf in any::<[u8; 32]>(),
        root in any::<[u8; 32]>(),
    ) {
        let _ = tlog::verify_inclusion(&proof, index, size, &leaf, &root);
        let _ = tlog::verify_consistency(&proof, size, size2, &leaf, &root);
    }

    // ---- disclosure input (JSON), policy documents (TOML) -------------------------------

    #[test]
    fn disclosure_json_arbitrary(s in ".{0,300}") {
        if let Ok(d) = DisclosureInput::from_json(&s) {
            let _ = d.parse();
        }
    }

    #[test]
    fn disclosure_json_mutated(b in mutated(|| vec![DISCLOSURE_JSON.as_bytes().to_vec()])) {
        if let Ok(d) = DisclosureInput::from_json(&text(&b)) {
            let _ = d.parse();
        }
    }

    #[test]
    fn policy_documents_mutated(b in mutated(|| vec![dledger_testkit::sample::DEFAULT_POLICY.as_bytes().to_vec()])) {
        let _ = Policy::parse(&text(&b));
    }

    #[test]
    fn policy_documents_arbitrary(s in "[\\[\\]{}=\"'a-z0-9_., \n#-]{0,300}") {
        let _ = Policy::parse(&s);
    }

    #[test]
    fn small_parsers(s in ".{0,80}") {
        let _ = Timestamp::parse(&s);
        let _ = s.parse::<Gateway>();
        let _ = disclosure_ledger::input::parse_notification(&s);
        let _ = disclosure_ledger::model::PartyId::new(&s);
        let _ = disclosure_ledger::model::ThemeId::new(s.clone());
        let _ = disclosure_ledger::model::CompanyId::new(s.clone());
        let _ = disclosure_ledger::model::FieldName::new(s.clone());
    }

    // ---- key files -----------------------------------------------------------------------

    #[test]
    fn key_texts_mutated(b in mutated(|| vec![VKEY.as_bytes().to_vec(), SKEY.as_bytes().to_vec()])) {
        let s = text(&b);
        let _ = PublicKey::from_vkey(&s);
        let _ = SecretKey::from_skey(&s);
        let _ = VerifierKey::parse(&s);
        let _ = s.parse::<SignerKey>();
    }

    #[test]
    fn encrypted_key_texts_mutated(edits in prop::collection::vec(edit(), 1..4)) {
        let b = apply(encrypted_key().as_bytes().to_vec(), &edits);
        // A mutation either breaks the form, or fails to open: never a different key.
        if let Ok(Some(k)) = SecretKey::from_encrypted_skey(&text(&b), PASSPHRASE) {
            prop_assert_eq!(k.public(), secret().public());
        }
    }
}

const PASSPHRASE: &str = "hostile input passphrase";

fn secret() -> &'static SecretKey {
    static KEY: OnceLock<SecretKey> = OnceLock::new();
    KEY.get_or_init(|| SecretKey::from_seed("hostile", &[3; 32]).unwrap())
}

fn encrypted_key() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    // The lowest accepted scrypt cost: each open of a mutation costs about a millisecond.
    TEXT.get_or_init(|| {
        secret()
            .to_encrypted_skey(PASSPHRASE, 10)
            .unwrap()
            .to_string()
    })
}

// Import and bulk files touch the file system, so they get fewer cases.
proptest! {
    #![proptest_config(config(cases() / 4))]

    #[test]
    fn exports_mutated_import_identically_or_not_at_all(b in mutated(|| vec![seeds().export_head.clone()])) {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("i.ledger");
        match disclosure_ledger::export::import(&b[..], &target) {
            Err(_) => prop_assert!(!target.exists()),
            Ok(n) => {
                // Only the view (not authoritative) may differ: the entries are the seed's.
                let store = Store::open(&target, Access::ReadOnly).unwrap();
                prop_assert_eq!(n, 3);
                for s in 0..3 {
                    prop_assert_eq!(
                        store.get(s).unwrap().unwrap().bytes,
                        seeds().entries[s as usize].clone()
                    );
                }
            }
        }
    }

    #[test]
    fn bulk_files_arbitrary_and_mutated(
        b in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..400),
            mutated(|| vec![bulk_seed_csv().into_bytes(), bulk_seed_jsonl().into_bytes()]),
        ],
        csv in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(if csv { "d.csv" } else { "d.jsonl" });
        std::fs::write(&path, &b).unwrap();
        if let Ok(rows) = disclosure_ledger::bulk::read_disclosures(&path) {
            for (_, d) in rows {
                let _ = d.parse();
            }
        }
    }
}

fn bulk_seed_jsonl() -> String {
    format!(
        "{}\n{}\n",
        DISCLOSURE_JSON.replace('\n', " "),
        DISCLOSURE_JSON.replace('\n', " ")
    )
}

fn bulk_seed_csv() -> String {
    "from,to,disclosed_at,gateway,category,information_notice,companies,themes,notification,\
     relevance,public_source,assessment_reference,assessment_approver,officer_role,\
     field.request_date\n\
     OFCOM,ICO,2024-03-03,Communications Act 2003 s393(2)(a),information-request,true,\
     brightloop=BrightLoop Social Ltd,age-assurance,skipped: routine,relevant to online safety,\
     ,,,Online Safety supervision team,2024-03-01\n"
        .to_owned()
}

// ---- deep nesting ----------------------------------------------------------------------------

/// Runs `f` on a thread with a small stack (256 KiB, an eighth of Rust's default for spawned
/// threads): deep nesting in the input must be refused by a depth limit, not by overflowing.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .expect("the parser panicked (or overflowed its stack)")
}

#[test]
fn deeply_nested_json_in_an_export_view_is_refused() {
    for depth in [1_000, 100_000] {
        let nested = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        let line = std::str::from_utf8(&seeds().export_head)
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .to_owned();
        let at = line.find("\"view\":").unwrap() + "\"view\":".len();
        let export = format!(
            "{{\"format\":\"disclosure-ledger-export\",\"version\":1,\"entry_format\":1,\"entries\":1}}\n{}{nested}}}\n",
            &line[..at]
        );
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("n.ledger");
        let err = on_small_stack(move || {
            disclosure_ledger::export::import(export.as_bytes(), &target).map_err(|e| e.to_string())
        });
        let err = err.unwrap_err();
        assert!(err.contains("recursion limit"), "depth {depth}: {err}");
    }
}

#[test]
fn deeply_nested_disclosure_json_is_refused() {
    for depth in [1_000, 100_000] {
        for json in [
            format!("{}1{}", "[".repeat(depth), "]".repeat(depth)),
            format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)),
            format!(
                "{{\"fields\": {{\"x\": {}\"v\"{}}}}}",
                "[".repeat(depth),
                "]".repeat(depth)
            ),
        ] {
            let r = on_small_stack(move || DisclosureInput::from_json(&json).is_err());
            assert!(r, "depth {depth}");
        }
    }
}

#[test]
fn deeply_nested_policy_documents_are_refused() {
    for depth in [1_000, 100_000] {
        for toml in [
            format!("a = {}1{}\n", "[".repeat(depth), "]".repeat(depth)),
            format!("a = {}1{}\n", "{b = ".repeat(depth), "}".repeat(depth)),
            format!("{}\n", "[a".repeat(depth)),
        ] {
            let r = on_small_stack(move || Policy::parse(&toml).is_err());
            assert!(r, "depth {depth}");
        }
    }
}

#[test]
fn deeply_nested_bulk_jsonl_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.jsonl");
    std::fs::write(
        &path,
        format!("{}1{}\n", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .unwrap();
    let r = on_small_stack(move || disclosure_ledger::bulk::read_disclosures(&path).is_err());
    assert!(r);
}

// ---- regressions ------------------------------------------------------------------------------

/// Found by `merkle_proof_verification_never_panics`: for a tree of more than 2^63 leaves the
/// expected proof length (computed for the error message) shifted a u64 by 64 bits, which panics
/// in debug builds and gives a wrong length in release builds. A hostile tlog proof or
/// checkpoint can claim any size.
#[test]
fn regression_proof_lengths_for_trees_past_2_63_leaves() {
    let h = [0u8; 32];
    for size in [(1u64 << 63) + 1, u64::MAX] {
        assert!(matches!(
            tlog::verify_inclusion(&[], 0, size, &h, &h),
            Err(tlog::ProofError::WrongProofLength { .. })
        ));
        assert!(matches!(
            tlog::verify_consistency(&[], 1, size, &h, &h),
            Err(tlog::ProofError::WrongProofLength { .. })
        ));
    }
}
