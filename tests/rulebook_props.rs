//! Properties of the rulebook (issue 13): the writer and the verifier cannot disagree.
//!
//! 1. Any sequence of operations the writer accepts yields a ledger `verify` finds intact.
//! 2. For any entry — well formed or not — signed with a valid key of its party: the writer
//!    refuses it exactly when, appended below the writer, it makes `verify` report an integrity
//!    failure.
//!
//! Cases are few in CI (`DLEDGER_PROPTEST_CASES` runs more).

mod common;

use std::path::{Path, PathBuf};

use disclosure_ledger::codec::decode_entry;
use disclosure_ledger::input::DisclosureInput;
use disclosure_ledger::keys::SecretKey;
use disclosure_ledger::ledger::{Ledger, PartyInit, fresh_salt, policy_document};
use disclosure_ledger::model::{
    Acknowledgement, Body, CompanyId, CompanyRef, Confirmed, Correction, DesignationEnded,
    DesignationProposed, PartyId, Seq, ThemeDeclared, ThemeId, ThemeRetired, Timestamp,
};
use disclosure_ledger::policy::DEFAULT_POLICY;
use disclosure_ledger::store::{Access, Store};
use disclosure_ledger::verify::{FlagFilter, IntegrityStatus, VerifyOptions, verify_ledger};
use proptest::prelude::*;

const THEMES: [&str; 3] = ["age-assurance", "recommender-systems", "default-settings"];
const COMPANIES: [(&str, &str); 3] = [
    ("brightloop", "BrightLoop Social Ltd"),
    ("pixelpond", "PixelPond Video Ltd"),
    ("kidzone", "KidZone Games Ltd"),
];
const PARTIES: [&str; 2] = ["ICO", "OFCOM"];

fn key(i: usize) -> SecretKey {
    let name = ["ico-prop", "ofcom-prop"][i];
    SecretKey::from_seed(name, &disclosure_ledger::hash::sha256(name.as_bytes())).unwrap()
}

fn t0() -> Timestamp {
    Timestamp::parse("2025-01-06T09:00:00Z").unwrap()
}

/// A new two-party ledger in `dir`.
fn new_ledger(dir: &Path) -> PathBuf {
    let path = dir.join("p.ledger");
    let party = |i: usize| PartyInit {
        id: PartyId::new(PARTIES[i]).unwrap(),
        name: PARTIES[i].into(),
        key: key(i).public().clone(),
    };
    let policy = policy_document("default", t0().plus_seconds(-86_400), DEFAULT_POLICY);
    Ledger::create(
        &path,
        "prop.example/ledger",
        &[party(0), party(1)],
        policy,
        &key(0),
        t0(),
    )
    .unwrap();
    path
}

/// One operation a party attempts through the writer.
#[derive(Debug, Clone)]
enum Op {
    Declare(usize, usize),
    Retire(usize, usize),
    Propose(usize, usize),
    Confirm(usize, usize),
    /// Confirm proposal number `s` (a theme or policy act, or a designation).
    ConfirmAct(u64, usize),
    End(usize, usize),
    Disclose {
        by: usize,
        theme: usize,
        company: usize,
        kind: usize,
    },
    Ack(u64, usize),
    Correct(u64, usize),
}

fn op() -> impl Strategy<Value = Op> {
    let p = 0..2usize;
    prop_oneof![
        (0..3usize, p.clone()).prop_map(|(t, b)| Op::Declare(t, b)),
        (0..3usize, p.clone()).prop_map(|(t, b)| Op::Retire(t, b)),
        (0..3usize, p.clone()).prop_map(|(c, b)| Op::Propose(c, b)),
        (0..3usize, p.clone()).prop_map(|(c, b)| Op::Confirm(c, b)),
        (0..3usize, p.clone()).prop_map(|(c, b)| Op::End(c, b)),
        (0..40u64, p.clone()).prop_map(|(s, b)| Op::ConfirmAct(s, b)),
        (p.clone(), 0..3usize, 0..3usize, 0..3usize).prop_map(|(by, theme, company, kind)| {
            Op::Disclose {
                by,
                theme,
                company,
                kind,
            }
        }),
        (0..40u64, p.clone()).prop_map(|(s, b)| Op::Ack(s, b)),
        (0..40u64, p).prop_map(|(s, b)| Op::Correct(s, b)),
    ]
}

fn disclosure(
    by: usize,
    theme: usize,
    company: usize,
    kind: usize,
    at: Timestamp,
) -> DisclosureInput {
    let (from, to) = (PARTIES[by], PARTIES[1 - by]);
    let gateway = if by == 0 {
        "Data Protection Act 2018 s132(2)(c)"
    } else {
        "Communications Act 2003 s393(2)(a)"
    };
    let (id, name) = COMPANIES[company];
    let (category, companies) = match kind {
        0 => ("theme-only", vec![]),
        1 => ("information-request", vec![format!("{id}={name}")]),
        _ => ("stakeholder-meeting", vec![format!("{id}={name}")]),
    };
    DisclosureInput {
        from: from.into(),
        to: to.into(),
        disclosed_at: at.to_string(),
        gateway: Some(gateway.into()),
        category: category.into(),
        companies,
        themes: vec![THEMES[theme].into()],
        notification: "skipped: routine".into(),
        officer_role: "Supervision".into(),
        ..DisclosureInput::default()
    }
}

/// Attempts `op` through the writer at `now`; a refusal is not an error here.
fn attempt(ledger: &mut Ledger, op: &Op, now: Timestamp) {
    let theme = |t: usize| ThemeId::new(THEMES[t]).unwrap();
    let company = |c: usize| CompanyId::new(COMPANIES[c].0).unwrap();
    let party = |b: usize| PartyId::new(PARTIES[b]).unwrap();
    let (pending, by) = match op {
        Op::Declare(t, b) => (
            ledger.prepare_theme_declared(theme(*t), THEMES[*t], "", now),
            *b,
        ),
        Op::Retire(t, b) => (ledger.prepare_theme_retired(theme(*t), "done", now), *b),
        Op::Propose(c, b) => (
            ledger.prepare_company_proposed(
                company(*c),
                Some(COMPANIES[*c].1),
                "of interest",
                &party(*b),
                None,
                now,
            ),
            *b,
        ),
        Op::Confirm(c, b) => (
            ledger.prepare_company_confirmed(company(*c), &party(*b), None, now),
            *b,
        ),
        Op::ConfirmAct(s, b) => (
            ledger.prepare_confirmation(Seq(*s), &party(*b), None, now),
            *b,
        ),
        Op::End(c, b) => (
            ledger.prepare_company_ended(company(*c), "over", &party(*b), None, now),
            *b,
        ),
        Op::Disclose {
            by,
            theme,
            company,
            kind,
        } => {
            let input = disclosure(*by, *theme, *company, *kind, now.plus_seconds(-60));
            (
                ledger.prepare_disclosure(&input, &key(*by), now, &mut fresh_salt),
                *by,
            )
        }
        Op::Ack(s, b) => (ledger.prepare_ack(Seq(*s), now, &key(*b), now), *b),
        Op::Correct(s, b) => (
            ledger.prepare_correction(Seq(*s), "wrong", None, &key(*b), now, &mut fresh_salt),
            *b,
        ),
    };
    if let Ok(p) = pending {
        let _ = ledger.append(p, &key(by), now);
    }
}

fn intact(path: &Path) -> (bool, String) {
    let store = Store::open(path, Access::ReadOnly).unwrap();
    let report = verify_ledger(&store, &VerifyOptions::default(), &FlagFilter::default()).unwrap();
    (
        report.integrity.status == IntegrityStatus::Intact,
        format!("{:?}", report.integrity.failures),
    )
}

/// A forged body (not made by `prepare_*`), signed by party `by`.
#[derive(Debug, Clone)]
enum Forge {
    Declare(usize),
    Retire(usize),
    Propose(usize, bool),
    Confirm(u64, usize),
    End(usize),
    Ack(u64, i64),
    Correct(u64, bool),
}

fn forge() -> impl Strategy<Value = Forge> {
    prop_oneof![
        (0..3usize).prop_map(Forge::Declare),
        (0..3usize).prop_map(Forge::Retire),
        (0..3usize, any::<bool>()).prop_map(|(c, n)| Forge::Propose(c, n)),
        (0..40u64, 0..3usize).prop_map(|(s, c)| Forge::Confirm(s, c)),
        (0..3usize).prop_map(Forge::End),
        (0..40u64, -200_000i64..2_000).prop_map(|(s, d)| Forge::Ack(s, d)),
        (0..40u64, any::<bool>()).prop_map(|(s, r)| Forge::Correct(s, r)),
    ]
}

fn forged_body(f: &Forge, at: Timestamp) -> Body {
    let company = |c: usize, renamed: bool| CompanyRef {
        id: CompanyId::new(COMPANIES[c].0).unwrap(),
        name: if renamed {
            "Renamed Ltd".into()
        } else {
            COMPANIES[c].1.into()
        },
    };
    match f {
        Forge::Declare(t) => Body::ThemeDeclared(ThemeDeclared {
            id: ThemeId::new(THEMES[*t]).unwrap(),
            title: "T".into(),
            description: String::new(),
        }),
        Forge::Retire(t) => Body::ThemeRetired(ThemeRetired {
            id: ThemeId::new(THEMES[*t]).unwrap(),
            reason: "r".into(),
        }),
        Forge::Propose(c, renamed) => Body::DesignationProposed(DesignationProposed {
            company: company(*c, *renamed),
            rationale: "r".into(),
            with: Some(PartyId::new(PARTIES[c % 2]).unwrap()),
        }),
        Forge::Confirm(s, c) => Body::Confirmed(Confirmed {
            proposal: Seq(*s),
            effective_from: at.plus_seconds(*c as i64 - 1),
        }),
        Forge::End(c) => Body::DesignationEnded(DesignationEnded {
            company: CompanyId::new(COMPANIES[*c].0).unwrap(),
            reason: "r".into(),
            with: Some(PartyId::new(PARTIES[c % 2]).unwrap()),
        }),
        Forge::Ack(s, delta) => Body::Acknowledgement(Acknowledgement {
            disclosure: Seq(*s),
            received_at: at.plus_seconds(*delta),
        }),
        Forge::Correct(s, reason) => Body::Correction(Correction {
            supersedes: Seq(*s),
            reason: if *reason { "r".into() } else { String::new() },
            replacement: None,
        }),
    }
}

/// Appends `body` signed by `key` for `party` below the writer (a minute after the last entry)
/// and returns the moment it was recorded at.
fn append_below(path: &Path, party: &str, key: &SecretKey, body: Body) -> Timestamp {
    let n = common::append_body(path, party, key, body);
    let store = Store::open(path, Access::ReadOnly).unwrap();
    decode_entry(&store.get(n).unwrap().unwrap().bytes)
        .unwrap()
        .recorded_at
}

fn cases() -> u32 {
    std::env::var("DLEDGER_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn whatever_the_writer_accepts_verifies(ops in prop::collection::vec(op(), 1..30)) {
        let dir = tempfile::tempdir().unwrap();
        let path = new_ledger(dir.path());
        let mut ledger = Ledger::open(&path).unwrap();
        for (i, o) in ops.iter().enumerate() {
            attempt(&mut ledger, o, t0().plus_seconds(3_600 * (i as i64 + 1)));
        }
        drop(ledger);
        let (ok, failures) = intact(&path);
        prop_assert!(ok, "{ops:?} gave {failures}");
    }

    #[test]
    fn the_writer_refuses_exactly_what_verify_rejects(
        ops in prop::collection::vec(op(), 1..25),
        forged in forge(),
        by in 0..2usize,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = new_ledger(dir.path());
        let mut ledger = Ledger::open(&path).unwrap();
        for (i, o) in ops.iter().enumerate() {
            attempt(&mut ledger, o, t0().plus_seconds(3_600 * (i as i64 + 1)));
        }
        drop(ledger);
        // Below the writer, on a copy.
        let below = dir.path().join("below.ledger");
        std::fs::copy(&path, &below).unwrap();
        let at = append_below(&below, PARTIES[by], &key(by), forged_body(&forged, t0()));
        let (verified, failures) = intact(&below);
        // Through the writer, at the same moment.
        let mut ledger = Ledger::open(&path).unwrap();
        let written = ledger.append(forged_body(&forged, t0()).into(), &key(by), at);
        prop_assert_eq!(
            written.is_ok(),
            verified,
            "{:?} by {}: writer {:?}, verify {}",
            forged,
            PARTIES[by],
            written.err().map(|e| e.to_string()),
            failures
        );
    }
}
