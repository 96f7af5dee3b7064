//! Known-answer tests against the C2SP vectors under `fixtures/vectors/c2sp/`
//! (made with Go's golang.org/x/mod/sumdb/note and sumdb/tlog; see
//! `fixtures/vectors/SOURCE.md` and `fixtures/vectors/c2sp/README.md`).
//!
//! Keys parse; roots are recomputed from the records; both signatures on each
//! checkpoint verify; every tlog proof and the consistency proof verify;
//! re-signing with the same keys and timestamps gives byte-identical notes;
//! and changing any byte of a record, hash, signature or timestamp is caught.

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use disclosure_ledger::hash::{Digest, leaf_hash};
use tlog::{
    Checkpoint, KeyKind, MemoryHashes, Note, OpenError, ProofError, SignerKey, TlogProof,
    TlogProofError, VerifierKey, VerifyError, open_checkpoint, prove_consistency, prove_inclusion,
    tree_hash, verify_consistency, verify_inclusion,
};

const ORIGIN: &str = "ledger.example/ico-ofcom";
const COSIGNER: &str = "cosigner.example/ofcom";
const RECORDS: u64 = 7;
/// Cosignature timestamps of checkpoint-3.note and checkpoint-7.note (README).
const TIMESTAMPS: [(u64, u64); 2] = [(3, 1_700_000_000), (7, 1_700_000_100)];

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/vectors/c2sp")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(path(name)).unwrap_or_else(|e| panic!("{}: {e}", path(name).display()))
}

fn read_str(name: &str) -> String {
    String::from_utf8(read(name)).unwrap()
}

struct Keys {
    log: VerifierKey,
    cosigner: VerifierKey,
    log_signer: SignerKey,
    cosigner_signer: SignerKey,
}

fn keys() -> Keys {
    let log = VerifierKey::parse(read_str("operator.vkey").trim_end()).unwrap();
    let cosigner = VerifierKey::parse(read_str("cosigner.vkey").trim_end()).unwrap();
    let log_signer = SignerKey::parse(read_str("operator.skey").trim_end()).unwrap();
    let seed: [u8; 32] = hex::decode(read_str("cosigner.seed.hex").trim_end())
        .unwrap()
        .try_into()
        .unwrap();
    let cosigner_signer = SignerKey::from_seed(COSIGNER, KeyKind::CosignatureV1, &seed).unwrap();
    Keys {
        log,
        cosigner,
        log_signer,
        cosigner_signer,
    }
}

fn records() -> Vec<Vec<u8>> {
    (0..RECORDS)
        .map(|i| read(&format!("record-{i}.bin")))
        .collect()
}

fn tree() -> MemoryHashes {
    MemoryHashes::from_leaf_hashes(records().iter().map(|r| leaf_hash(r)))
}

fn open(note: &[u8], k: &Keys) -> Result<tlog::VerifiedCheckpoint, OpenError> {
    open_checkpoint(note, ORIGIN, &k.log, std::slice::from_ref(&k.cosigner))
}

#[test]
fn keys_parse_and_match() {
    let k = keys();
    assert_eq!(k.log.name, ORIGIN);
    assert_eq!(k.log.kind, KeyKind::Ed25519);
    assert_eq!(hex::encode(k.log.key_id), "05039dfd");
    assert_eq!(k.cosigner.name, COSIGNER);
    assert_eq!(k.cosigner.kind, KeyKind::CosignatureV1);
    assert_eq!(hex::encode(k.cosigner.key_id), "4fa62644");
    // The signers are the private halves of the published verifier keys.
    assert_eq!(*k.log_signer.verifier(), k.log);
    assert_eq!(*k.cosigner_signer.verifier(), k.cosigner);
    // Text forms round-trip byte for byte.
    assert_eq!(k.log.to_string(), read_str("operator.vkey").trim_end());
    assert_eq!(k.cosigner.to_string(), read_str("cosigner.vkey").trim_end());
    assert_eq!(k.log_signer.to_text(), read_str("operator.skey").trim_end());
}

#[test]
fn roots_recomputed_from_records() {
    let t = tree();
    for (size, _) in TIMESTAMPS {
        let note = Note::parse(&read(&format!("checkpoint-{size}.note"))).unwrap();
        let cp = Checkpoint::from_note(&note).unwrap();
        assert_eq!(cp.origin, ORIGIN);
        assert_eq!(cp.size, size);
        assert!(cp.extensions.is_empty());
        assert_eq!(tree_hash(size, &t).unwrap(), cp.root, "root of size {size}");
    }
}

#[test]
fn both_signatures_verify_on_each_checkpoint() {
    let k = keys();
    for (size, ts) in TIMESTAMPS {
        let bytes = read(&format!("checkpoint-{size}.note"));
        let v = open(&bytes, &k).unwrap();
        assert_eq!(v.checkpoint.size, size);
        assert_eq!(v.signatures.len(), 2);
        assert_eq!(v.signatures[0].key, k.log);
        assert_eq!(v.signatures[0].timestamp, None);
        assert_eq!(v.signatures[1].key, k.cosigner);
        assert_eq!(v.signatures[1].timestamp, Some(ts));
        assert_eq!(v.cosignatures().count(), 1);
        assert_eq!(
            v.note.to_string().into_bytes(),
            bytes,
            "format(parse(note))"
        );
    }
}

#[test]
fn resigning_gives_byte_identical_notes() {
    let k = keys();
    let t = tree();
    for (size, ts) in TIMESTAMPS {
        let cp = Checkpoint {
            origin: ORIGIN.to_owned(),
            size,
            root: tree_hash(size, &t).unwrap(),
            extensions: vec![],
        };
        let mut note = cp.sign(&k.log_signer).unwrap();
        note.cosign(&k.cosigner_signer, ts).unwrap();
        assert_eq!(
            note.to_string(),
            read_str(&format!("checkpoint-{size}.note")),
            "checkpoint-{size}.note"
        );
    }
}

#[test]
fn every_tlog_proof_verifies() {
    let k = keys();
    let t = tree();
    let recs = records();
    for i in 0..RECORDS {
        let name = format!("record-{i}.tlog-proof");
        let bytes = read(&name);
        let p = TlogProof::parse(&bytes).unwrap();
        assert_eq!(p.index, i);
        assert_eq!(p.extra, None);
        assert_eq!(
            p.to_string().into_bytes(),
            bytes,
            "{name}: format(parse(proof))"
        );
        assert_eq!(p.proof, prove_inclusion(i, RECORDS, &t).unwrap(), "{name}");
        let v = p
            .verify(
                &leaf_hash(&recs[i as usize]),
                ORIGIN,
                &k.log,
                std::slice::from_ref(&k.cosigner),
            )
            .unwrap();
        assert_eq!(v.checkpoint.size, RECORDS);
        assert_eq!(v.cosignatures().count(), 1);
        // Another record's leaf does not verify at this index.
        let other = leaf_hash(&recs[((i + 1) % RECORDS) as usize]);
        assert!(matches!(
            p.verify(&other, ORIGIN, &k.log, &[]),
            Err(OpenError::Inclusion(ProofError::RootMismatch { .. }))
        ));
    }
}

fn consistency_proof() -> Vec<Digest> {
    read_str("consistency-3-7.txt")
        .lines()
        .map(|l| BASE64.decode(l).unwrap().try_into().unwrap())
        .collect()
}

fn roots_3_7() -> (Digest, Digest) {
    let root = |size: u64| {
        Checkpoint::from_note(&Note::parse(&read(&format!("checkpoint-{size}.note"))).unwrap())
            .unwrap()
            .root
    };
    (root(3), root(7))
}

#[test]
fn consistency_3_7_verifies() {
    let proof = consistency_proof();
    let (r3, r7) = roots_3_7();
    verify_consistency(&proof, 3, 7, &r3, &r7).unwrap();
    assert_eq!(proof, prove_consistency(3, 7, &tree()).unwrap());
    assert!(verify_consistency(&proof, 3, 7, &r7, &r3).is_err());
    assert!(verify_consistency(&proof, 2, 7, &r3, &r7).is_err());
    let r6 = tree_hash(6, &tree()).unwrap();
    assert!(verify_consistency(&proof, 3, 6, &r3, &r6).is_err());
}

/// Opens record `i`'s tlog proof, verifying its checkpoint's signatures once;
/// returns the proof and the verified checkpoint.
fn opened_proof(i: u64, k: &Keys) -> (TlogProof, Checkpoint) {
    let p = TlogProof::parse(&read(&format!("record-{i}.tlog-proof"))).unwrap();
    let leaf = leaf_hash(&records()[i as usize]);
    let v = p
        .verify(&leaf, ORIGIN, &k.log, std::slice::from_ref(&k.cosigner))
        .unwrap();
    (p, v.checkpoint)
}

#[test]
fn any_changed_record_byte_is_rejected() {
    let k = keys();
    let recs = records();
    let mut cases = 0;
    for i in 0..RECORDS {
        // The signatures are checked once; what a changed record breaks is
        // the inclusion proof (`TlogProof::verify` runs the same check last).
        let (p, cp) = opened_proof(i, &k);
        let rejects = |record: &[u8]| {
            verify_inclusion(&p.proof, p.index, cp.size, &leaf_hash(record), &cp.root).is_err()
        };
        let rec = &recs[i as usize];
        assert!(!rejects(rec));
        for pos in 0..rec.len() {
            for bit in [0x01u8, 0x80] {
                let mut r = rec.clone();
                r[pos] ^= bit;
                assert!(rejects(&r), "record {i} byte {pos} ^ {bit:#04x} accepted");
                cases += 1;
            }
        }
        // Appending or dropping a byte, too.
        let mut r = rec.clone();
        r.push(b'\n');
        assert!(rejects(&r));
        assert!(rejects(&rec[..rec.len() - 1]));
        // And through the full check once per record.
        assert!(matches!(
            p.verify(&leaf_hash(&r), ORIGIN, &k.log, &[]),
            Err(OpenError::Inclusion(_))
        ));
    }
    assert_eq!(cases, 7 * 32 * 2);
}

#[test]
fn any_changed_hash_byte_is_rejected() {
    let k = keys();
    let recs = records();
    for i in 0..RECORDS {
        let (p, cp) = opened_proof(i, &k);
        let leaf = leaf_hash(&recs[i as usize]);
        for h in 0..p.proof.len() {
            for pos in 0..32 {
                let mut q = p.proof.clone();
                q[h][pos] ^= 0x01;
                assert!(
                    verify_inclusion(&q, p.index, cp.size, &leaf, &cp.root).is_err(),
                    "record {i} proof hash {h} byte {pos} accepted"
                );
            }
        }
        // Through the full check once per record.
        let mut q = p.clone();
        q.proof[0][0] ^= 0x01;
        assert!(q.verify(&leaf, ORIGIN, &k.log, &[]).is_err());
    }
    let proof = consistency_proof();
    let (r3, r7) = roots_3_7();
    for h in 0..proof.len() {
        for pos in 0..32 {
            let mut q = proof.clone();
            q[h][pos] ^= 0x01;
            assert!(verify_consistency(&q, 3, 7, &r3, &r7).is_err());
        }
    }
    for pos in 0..32 {
        let (mut a, mut b) = (r3, r7);
        a[pos] ^= 0x01;
        b[pos] ^= 0x01;
        assert!(verify_consistency(&proof, 3, 7, &a, &r7).is_err());
        assert!(verify_consistency(&proof, 3, 7, &r3, &b).is_err());
    }
}

/// Rewrites signature line `line` of `note` with `f` applied to its decoded
/// bytes (key id ‖ signature).
fn tamper_signature(note: &str, line: usize, f: impl Fn(&mut Vec<u8>)) -> String {
    let (text, sigs) = note.rsplit_once("\n\n").unwrap();
    let mut lines: Vec<String> = sigs.lines().map(str::to_owned).collect();
    let (prefix, b64) = lines[line].rsplit_once(' ').unwrap();
    let mut raw = BASE64.decode(b64).unwrap();
    f(&mut raw);
    lines[line] = format!("{prefix} {}", BASE64.encode(raw));
    format!("{text}\n\n{}\n", lines.join("\n"))
}

#[test]
fn any_changed_signature_or_timestamp_byte_is_rejected() {
    let k = keys();
    for (size, _) in TIMESTAMPS {
        let note = read_str(&format!("checkpoint-{size}.note"));
        // Log signature: 4-byte key id, then 64 signature bytes.
        for pos in 0..68 {
            let bad = tamper_signature(&note, 0, |r| r[pos] ^= 0x01);
            match open(bad.as_bytes(), &k) {
                // A changed key id makes the line an unknown signer's: the log
                // signature is then missing.
                Err(OpenError::NotSignedByLog { .. }) if pos < 4 => {}
                Err(OpenError::Signature(VerifyError::BadSignature { .. })) if pos >= 4 => {}
                other => panic!("checkpoint-{size} log signature byte {pos}: {other:?}"),
            }
        }
        // Cosignature: 4-byte key id, 8-byte timestamp, 64 signature bytes.
        for pos in 0..76 {
            let bad = tamper_signature(&note, 1, |r| r[pos] ^= 0x01);
            match open(bad.as_bytes(), &k) {
                // An unknown key id: the line is ignored, so no cosignature counts.
                Ok(v) if pos < 4 => assert_eq!(v.cosignatures().count(), 0),
                Err(OpenError::Signature(VerifyError::BadSignature { .. })) if pos >= 4 => {}
                other => panic!("checkpoint-{size} cosignature byte {pos}: {other:?}"),
            }
        }
        // A timestamp above 2^63-1 is refused as such.
        let bad = tamper_signature(&note, 1, |r| r[4] ^= 0x80);
        assert!(matches!(
            open(bad.as_bytes(), &k),
            Err(OpenError::Signature(VerifyError::TimestampTooLarge { .. }))
        ));
        // Truncated or extended signatures from a known key.
        for line in 0..2 {
            for f in [
                (|r: &mut Vec<u8>| {
                    r.pop();
                }) as fn(&mut Vec<u8>),
                |r: &mut Vec<u8>| r.push(0),
            ] {
                let bad = tamper_signature(&note, line, f);
                assert!(matches!(
                    open(bad.as_bytes(), &k),
                    Err(OpenError::Signature(
                        VerifyError::WrongSignatureLength { .. }
                    ))
                ));
            }
        }
    }
}

/// Flips the low bit of every byte of each checkpoint note: the result must
/// never open with the log signature and the cosignature both verified.
#[test]
fn any_changed_note_byte_is_rejected() {
    let k = keys();
    for (size, _) in TIMESTAMPS {
        let note = read(&format!("checkpoint-{size}.note"));
        // The only changes that leave the note valid are those that turn the
        // cosignature into an unknown signer's: its name, or its key id (the
        // first six base64 characters).
        let text = String::from_utf8(note.clone()).unwrap();
        let name_start = text.rfind(COSIGNER).unwrap();
        let b64_start = name_start + COSIGNER.len() + 1;
        let unknown_signer = |pos: usize| {
            (name_start..name_start + COSIGNER.len()).contains(&pos)
                || (b64_start..b64_start + 6).contains(&pos)
        };
        let (mut rejected, mut cosig_dropped) = (0, 0);
        for pos in 0..note.len() {
            let mut bad = note.clone();
            bad[pos] ^= 0x01;
            match open(&bad, &k) {
                Err(_) => rejected += 1,
                Ok(v) => {
                    assert!(
                        unknown_signer(pos) && v.cosignatures().count() == 0,
                        "checkpoint-{size} byte {pos} changed but the note still opened"
                    );
                    cosig_dropped += 1;
                }
            }
        }
        assert_eq!(rejected + cosig_dropped, note.len());
        assert!(
            rejected > note.len() * 8 / 10,
            "{rejected} of {}",
            note.len()
        );
    }
}

#[test]
fn tlog_proof_format_edge_cases() {
    let bytes = read_str("record-6.tlog-proof");
    let p = TlogProof::parse(bytes.as_bytes()).unwrap();
    // An extra line round-trips.
    let mut q = p.clone();
    q.extra = Some(b"opaque".to_vec());
    let text = q.to_string();
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra b3BhcXVl\nindex 6\n"));
    assert_eq!(TlogProof::parse(text.as_bytes()).unwrap(), q);
    // Zero hashes (a one-leaf tree's proof) round-trip.
    let mut z = p.clone();
    z.proof.clear();
    assert_eq!(TlogProof::parse(z.to_string().as_bytes()).unwrap(), z);

    let bad_cases: &[(&str, String)] = &[
        ("header", bytes.replacen("@v1", "@v2", 1)),
        ("leading zero", bytes.replacen("index 6", "index 06", 1)),
        ("no index", bytes.replacen("index 6\n", "", 1)),
        ("index sign", bytes.replacen("index 6", "index +6", 1)),
        (
            "short hash",
            bytes.replacen(
                "pyEzu2/KVPGauGwYHLKfZwle7g1m12FwC/wrYIKkoB8=",
                "pyEzu2/KVPGauGwYHLKfZwle7g1m12FwC/wrYIKkoA==",
                1,
            ),
        ),
        (
            "no blank line",
            bytes.replacen("=\n\nledger", "=\nledger", 1),
        ),
        ("CRLF", bytes.replace('\n', "\r\n")),
        (
            "bad extra",
            bytes.replacen("\nindex", "\nextra !!\nindex", 1),
        ),
        ("truncated", bytes[..40].to_owned()),
        ("not a checkpoint", bytes.replacen("\n7\n", "\nseven\n", 1)),
    ];
    for (name, text) in bad_cases {
        assert!(
            TlogProof::parse(text.as_bytes()).is_err(),
            "{name} accepted"
        );
    }
    let many = bytes.replacen(
        "index 6\n",
        &format!(
            "index 6\n{}",
            "pyEzu2/KVPGauGwYHLKfZwle7g1m12FwC/wrYIKkoB8=\n".repeat(64)
        ),
        1,
    );
    assert!(matches!(
        TlogProof::parse(many.as_bytes()),
        Err(TlogProofError::TooManyHashes { .. })
    ));
}
