//! Criterion micro-benchmarks of the primitives every operation is built from: entry codec,
//! hashing, Ed25519 signing and (batch) verification, Merkle roots and proofs, and durable
//! appends. `cargo bench` runs them; `cargo test --benches` runs each once as a smoke test.
//! The end-to-end figures (ledgers of 10^4–10^6 entries) come from `dledger bench`.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use disclosure_ledger::codec::{decode_entry, encode_entry};
use disclosure_ledger::hash::{field_commitment, leaf_hash};
use disclosure_ledger::keys::{SecretKey, entry_message};
use disclosure_ledger::model::*;
use disclosure_ledger::store::{Access, Store};
use dledger_testkit::sample::{DemoKeys, GenerateOptions, generate};
use ed25519_dalek::{Signature, VerifyingKey};
use tlog::{MemoryHashes, prove_consistency, prove_inclusion, tree_hash};

fn disclosure_entry() -> Entry {
    let company = CompanyRef {
        id: CompanyId::new("brightloop").unwrap(),
        name: "BrightLoop Social Ltd".into(),
    };
    Entry {
        version: FORMAT_VERSION,
        seq: Seq(123_456),
        prev: EntryHash([7; 32]),
        recorded_at: Timestamp(1_717_171_717),
        signer: Signer {
            party: PartyId::new("OFCOM").unwrap(),
            key_id: KeyId([1, 2, 3, 4]),
        },
        body: Body::Disclosure(Disclosure {
            from: PartyId::new("OFCOM").unwrap(),
            to: PartyId::new("ICO").unwrap(),
            disclosed_at: Timestamp(1_717_160_000),
            gateway: "Communications Act 2003 s393(2)(a)".parse().unwrap(),
            category: Category::StakeholderMeeting {
                companies: vec![company],
                themes: vec![ThemeId::new("age-assurance").unwrap()],
            },
            fields: ["meeting_date", "themes", "company_names"]
                .iter()
                .map(|n| FieldCommitment {
                    name: FieldName::new(*n).unwrap(),
                    commitment: [9; 32],
                })
                .collect(),
            notification: Notification::Skipped {
                reason: "routine disclosure expected without prior notification (statement §4)"
                    .into(),
            },
            relevance: Some(Relevance::Limb {
                party: PartyId::new("OFCOM").unwrap(),
                words: "relevant to online safety".into(),
            }),
            officer_role: "Online Safety supervision team".into(),
            basis: LegalBasis::default(),
            decision: None,
            joint_engagement: None,
        }),
    }
}

fn codec_and_hashing(c: &mut Criterion) {
    let entry = disclosure_entry();
    let bytes = encode_entry(&entry).unwrap();
    let mut g = c.benchmark_group("codec");
    g.throughput(Throughput::Elements(1));
    g.bench_function("encode disclosure", |b| {
        b.iter(|| encode_entry(black_box(&entry)).unwrap())
    });
    g.bench_function("decode disclosure", |b| {
        b.iter(|| decode_entry(black_box(&bytes)).unwrap())
    });
    g.bench_function("leaf hash", |b| b.iter(|| leaf_hash(black_box(&bytes))));
    g.bench_function("field commitment", |b| {
        b.iter(|| field_commitment(black_box(&[3; 32]), "meeting_date", b"2024-03-01"))
    });
    g.finish();
}

fn signatures(c: &mut Criterion) {
    let key = SecretKey::from_seed("bench", &[5; 32]).unwrap();
    let public: VerifyingKey = key.public().key;
    let bytes = encode_entry(&disclosure_entry()).unwrap();
    let sig = Signature::from_bytes(&key.sign_entry(&bytes));
    let message = entry_message(&bytes);
    let mut g = c.benchmark_group("ed25519");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sign entry", |b| {
        b.iter(|| key.sign_entry(black_box(&bytes)))
    });
    g.bench_function("verify_strict", |b| {
        b.iter(|| public.verify_strict(black_box(&message), &sig).unwrap())
    });
    let messages: Vec<Vec<u8>> = (0..256u32)
        .map(|i| {
            let mut m = message.clone();
            m[..4].copy_from_slice(&i.to_le_bytes());
            m
        })
        .collect();
    let sigs: Vec<Signature> = messages
        .iter()
        .map(|m| Signature::from_bytes(&key.sign_raw(m)))
        .collect();
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    let keys = vec![public; 256];
    g.throughput(Throughput::Elements(256));
    g.bench_function("verify_batch of 256", |b| {
        b.iter(|| ed25519_dalek::verify_batch(black_box(&refs), &sigs, &keys).unwrap())
    });
    g.finish();
}

fn merkle(c: &mut Criterion) {
    let n: u64 = 1 << 20;
    let mut hashes = MemoryHashes::new();
    for i in 0..n {
        hashes.append_leaf(&leaf_hash(&i.to_le_bytes())).unwrap();
    }
    let mut g = c.benchmark_group("merkle (2^20 leaves, in memory)");
    g.bench_function("root", |b| {
        b.iter(|| tree_hash(black_box(n), &hashes).unwrap())
    });
    g.bench_function("inclusion proof", |b| {
        b.iter(|| prove_inclusion(black_box(n / 3), n, &hashes).unwrap())
    });
    g.bench_function("consistency proof", |b| {
        b.iter(|| prove_consistency(black_box(n / 3), n, &hashes).unwrap())
    });
    g.finish();
}

fn store(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.ledger");
    let opts = GenerateOptions {
        target_entries: Some(2_000),
        checkpoints: false,
        ..GenerateOptions::synthetic(2_000, 3)
    };
    generate(&path, &DemoKeys::derive(), &opts).unwrap();
    let store = Store::open(&path, Access::ReadOnly).unwrap();
    let n = store.len().unwrap();
    let mut g = c.benchmark_group("store (2,000-entry ledger)");
    g.bench_function("read one entry", |b| {
        b.iter(|| store.get(black_box(n / 2)).unwrap())
    });
    g.bench_function("root from stored tree", |b| {
        b.iter(|| tree_hash(black_box(n), &store).unwrap())
    });
    g.bench_function("inclusion proof from stored tree", |b| {
        b.iter(|| prove_inclusion(black_box(n / 2), n, &store).unwrap())
    });
    drop(store);
    g.bench_function(
        "durable append of one acknowledgement-sized batch (copy of ledger)",
        |b| {
            b.iter_batched(
                || {
                    let copy = dir.path().join("copy.ledger");
                    let _ = std::fs::remove_file(&copy);
                    std::fs::copy(&path, &copy).unwrap();
                    copy
                },
                |copy| {
                    let mut ledger = disclosure_ledger::ledger::Ledger::open(&copy).unwrap();
                    let key = dledger_testkit::sample::demo_key("ofcom-2024");
                    let pending = Body::ThemeDeclared(ThemeDeclared {
                        id: ThemeId::new("bench-theme").unwrap(),
                        title: "Bench".into(),
                        description: String::new(),
                    })
                    .into();
                    ledger.append(pending, &key, Timestamp::now()).unwrap();
                },
                BatchSize::PerIteration,
            )
        },
    );
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = codec_and_hashing, signatures, merkle, store
}
criterion_main!(benches);
