//! The bundled sample ledger: it verifies, it is rebuilt byte-identically from the demo keys,
//! and it holds every entry kind.

mod common;

use std::path::Path;

use disclosure_ledger::codec::decode_entry;
use disclosure_ledger::store::{Access, Store};
use disclosure_ledger::verify::{
    FlagFilter, IntegrityStatus, VerifyOptions, verify_ledger, verify_store,
};
use dledger_testkit::sample::{DEMO_KEY_NAMES, DemoKeys, GenerateOptions, demo_key, generate};

fn entry_hashes(path: &std::path::Path) -> Vec<[u8; 32]> {
    let store = Store::open(path, Access::ReadOnly).unwrap();
    let mut out = Vec::new();
    store
        .scan(0, None, |r| {
            out.push(disclosure_ledger::hash::leaf_hash(&r.bytes));
            Ok::<_, disclosure_ledger::store::StoreError>(())
        })
        .unwrap();
    out
}

#[test]
fn sample_is_intact() {
    let store = Store::open(&common::sample_ledger(), Access::ReadOnly).unwrap();
    let verified = verify_store(&store, &VerifyOptions::default()).unwrap();
    assert_eq!(
        verified.report.status,
        IntegrityStatus::Intact,
        "{:#?}",
        verified.report.failures
    );
    assert!(
        verified.report.entries >= 300,
        "only {} entries",
        verified.report.entries
    );
}

#[test]
fn sample_rebuilds_with_identical_entry_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let keys = common::demo_keys_in(dir.path());
    let out = dir.path().join("rebuilt.ledger");
    let n = generate(
        &out,
        &DemoKeys::load(&keys).unwrap(),
        &GenerateOptions::sample(),
    )
    .unwrap();
    let committed = entry_hashes(&common::sample_v2_ledger());
    let rebuilt = entry_hashes(&out);
    assert_eq!(n as usize, rebuilt.len());
    assert_eq!(committed.len(), rebuilt.len(), "entry count differs");
    for (i, (a, b)) in committed.iter().zip(&rebuilt).enumerate() {
        assert_eq!(
            a, b,
            "entry #{i} differs: regenerate with `dledger sample` and review the change"
        );
    }
}

#[test]
fn demo_key_files_are_the_derived_test_only_keys() {
    let dir = tempfile::tempdir().unwrap();
    let keys = common::demo_keys_in(dir.path());
    for name in DEMO_KEY_NAMES {
        let loaded = common::demo_key(&keys, name);
        assert_eq!(loaded.public(), demo_key(name).public(), "{name}");
        let text = std::fs::read_to_string(keys.join(format!("{name}.key"))).unwrap();
        assert!(
            text.contains(disclosure_ledger::keys::TEST_ONLY_MARKER),
            "{name} not marked"
        );
    }
}

#[test]
fn sample_has_every_entry_kind_and_category() {
    use std::collections::BTreeSet;
    let store = Store::open(&common::sample_ledger(), Access::ReadOnly).unwrap();
    let mut kinds = BTreeSet::new();
    let mut categories = BTreeSet::new();
    let mut directions = BTreeSet::new();
    store
        .scan(0, None, |r| {
            let e = decode_entry(&r.bytes).unwrap();
            kinds.insert(e.body.kind());
            if let disclosure_ledger::model::Body::Disclosure(d) = &e.body {
                categories.insert(d.category.kind());
                directions.insert((d.from.clone(), d.to.clone()));
            }
            Ok::<_, disclosure_ledger::store::StoreError>(())
        })
        .unwrap();
    assert_eq!(kinds.len(), 13, "kinds present: {kinds:?}");
    assert_eq!(categories.len(), 6, "categories present: {categories:?}");
    let ico: disclosure_ledger::model::PartyId = "ICO".parse().unwrap();
    let ofcom: disclosure_ledger::model::PartyId = "OFCOM".parse().unwrap();
    assert!(
        directions.contains(&(ico.clone(), ofcom.clone())),
        "{directions:?}"
    );
    assert!(directions.contains(&(ofcom, ico)), "{directions:?}");
}

#[test]
fn sample_raises_every_policy_flag() {
    use disclosure_ledger::policy::{CATALOGUE, FlagCode};
    use disclosure_ledger::verify::{FlagFilter, verify_ledger};
    let store = Store::open(&common::sample_v2_ledger(), Access::ReadOnly).unwrap();
    let opts = VerifyOptions {
        as_of: disclosure_ledger::model::Timestamp::parse("2026-01-31").unwrap(),
        ..VerifyOptions::default()
    };
    let report = verify_ledger(&store, &opts, &FlagFilter::default()).unwrap();
    // Flags the writer cannot produce in a format 2 ledger under the default policy: a
    // theme-only or theme-and-company disclosure without a theme is refused as input (verify
    // flags one crafted below the CLI, tests/policy_flags.rs), and only a policy that asks for
    // a theme in another category raises theme-required-by-policy (the format 1 sample's
    // schema 1 policy does, below). A recipient outside the policy is in tests/policy_flags.rs.
    let not_here = [
        FlagCode::ThemeMissing,
        FlagCode::ThemeRequiredByPolicy,
        FlagCode::RecipientNotInPolicy,
    ];
    let v1 = Store::open(
        &common::root().join("fixtures/sample.ledger"),
        Access::ReadOnly,
    )
    .unwrap();
    let v1_report = verify_ledger(&v1, &opts, &FlagFilter::default()).unwrap();
    assert!(
        v1_report
            .policy
            .flags
            .iter()
            .any(|f| f.code == FlagCode::ThemeRequiredByPolicy),
        "the format 1 sample's schema 1 policy asks for a theme in meetings"
    );
    // A flag disposed of by the parties is still raised (shown apart from the open ones).
    let raised: Vec<FlagCode> = report
        .policy
        .flags
        .iter()
        .chain(report.policy.disposed.iter().map(|d| &d.flag))
        .map(|f| f.code)
        .collect();
    assert!(
        !report.policy.disposed.is_empty(),
        "the sample shows a disposition"
    );
    for info in CATALOGUE.iter().filter(|i| !not_here.contains(&i.code)) {
        assert!(
            raised.contains(&info.code),
            "the sample ledger never raises {}",
            info.code
        );
    }
}

/// `verify` and `review` tell their progress hook how far they have read, in order, up to the
/// last entry (the CLI draws its progress bars from it).
#[test]
fn verify_and_review_report_progress_to_the_last_entry() {
    use std::sync::{Arc, Mutex};

    use disclosure_ledger::review::{Period, ReviewOptions, build_review};
    use disclosure_ledger::stream::Progress;

    let store = Store::open(Path::new("fixtures/sample.ledger"), Access::ReadOnly).unwrap();
    let len = store.len().unwrap();
    let recorder = || {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        (seen, Progress::new(move |n| sink.lock().unwrap().push(n)))
    };
    let (seen, progress) = recorder();
    let opts = VerifyOptions {
        progress,
        ..VerifyOptions::default()
    };
    verify_ledger(&store, &opts, &FlagFilter::default()).unwrap();
    let verified = seen.lock().unwrap().clone();
    assert!(verified.is_sorted() && !verified.is_empty(), "{verified:?}");
    assert_eq!(verified.last(), Some(&len));

    let (seen, progress) = recorder();
    let opts = ReviewOptions {
        from: None,
        to: None,
        period: Period::parse("quarter").unwrap(),
        top: 5,
        as_of: disclosure_ledger::model::Timestamp::parse("2026-01-31").unwrap(),
        progress,
    };
    build_review(&store, &opts).unwrap();
    let reviewed = seen.lock().unwrap().clone();
    assert!(reviewed.is_sorted() && !reviewed.is_empty(), "{reviewed:?}");
    assert_eq!(reviewed.last(), Some(&len));
}

/// `keys/` publishes exactly the public halves of the demo keys (the sample's parties), so the
/// README's `verify-evidence … --trust keys/` works on the sample as written.
#[test]
fn published_keys_are_the_demo_keys_public_halves() {
    let dir = common::root().join("keys");
    let mut published: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".vkey"))
        .collect();
    published.sort();
    let mut expected: Vec<String> = DEMO_KEY_NAMES.iter().map(|n| format!("{n}.vkey")).collect();
    expected.sort();
    assert_eq!(published, expected, "keys/ holds one .vkey per demo key");
    for name in DEMO_KEY_NAMES {
        let text = std::fs::read_to_string(dir.join(format!("{name}.vkey"))).unwrap();
        assert_eq!(
            text.trim(),
            demo_key(name).public().to_vkey(),
            "keys/{name}.vkey is not the demo key's public half"
        );
        assert!(
            !dir.join(format!("{name}.key")).exists(),
            "a private key must never be under keys/"
        );
    }
}

/// The evidence bundle under fixtures/evidence/bundle-42 (used by the evidence-verify crate's
/// tests and the docs) is still what `dledger evidence` makes from the sample: same entries,
/// same checkpoint, and it verifies against keys/.
#[test]
fn fixture_bundle_matches_the_sample() {
    use disclosure_ledger::evidence::{build_bundle, load_trust_dir, verify_bundle};
    let fixture = common::root().join("fixtures/evidence/bundle-42");
    let trusted = load_trust_dir(&common::root().join("keys")).unwrap();
    let report = verify_bundle(&fixture, &trusted).unwrap();
    assert!(report.ok, "{}", report.to_text("bundle-42"));
    let store = Store::open(&common::sample_ledger(), Access::ReadOnly).unwrap();
    let fields = ["request_date", "response_deadline"].map(|f| f.parse().unwrap());
    let built = build_bundle(&store, disclosure_ledger::model::Seq(42), &fields).unwrap();
    for (path, bytes) in built.files() {
        if path.starts_with("entries/") || path == "checkpoint.note" || path == "summary.txt" {
            let on_disk = std::fs::read(fixture.join(path)).unwrap();
            assert_eq!(
                &on_disk, bytes,
                "{path} differs: regenerate fixtures/evidence/bundle-42"
            );
        }
    }
}

/// `verify` and `review` count the same flags on the same disclosures (issue 16): flags on a
/// policy document are reported apart by `verify` and not counted per disclosure by either.
#[test]
fn verify_and_review_agree_on_the_sample() {
    use disclosure_ledger::review::{ReviewOptions, build_review};
    use disclosure_ledger::verify::{FlagFilter, verify_ledger};
    let store = Store::open(&common::sample_ledger(), Access::ReadOnly).unwrap();
    let as_of = disclosure_ledger::model::Timestamp::parse("2026-01-31").unwrap();
    let opts = VerifyOptions {
        as_of,
        ..VerifyOptions::default()
    };
    let verified = verify_ledger(&store, &opts, &FlagFilter::default()).unwrap();
    let review = build_review(
        &store,
        &ReviewOptions {
            from: None,
            to: None,
            period: disclosure_ledger::review::Period::Quarter,
            top: 5,
            as_of,
            progress: Default::default(),
        },
    )
    .unwrap();
    let v = &verified.policy;
    let r = serde_json::to_value(&review).unwrap();
    let r = &r["total"]["stats"]["flags"];
    assert_eq!(
        (v.flags.len() as u64 - v.on_documents),
        r["total"].as_u64().unwrap(),
        "flags on disclosures"
    );
    assert_eq!(
        v.flagged_disclosures,
        r["flagged_disclosures"].as_u64().unwrap()
    );
}
