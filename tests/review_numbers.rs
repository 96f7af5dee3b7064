//! The review's numbers on a small ledger whose every figure was worked out by hand, with
//! period boundaries at midnight Europe/London on both sides of the start of British Summer
//! Time (2024-03-31 01:00 UTC): 2024-03-31T00:30Z is 31 March in London, 2024-03-31T23:30Z is
//! already 1 April.

use std::collections::BTreeMap;

use disclosure_ledger::input::DisclosureInput;
use disclosure_ledger::keys::SecretKey;
use disclosure_ledger::ledger::{Ledger, PartyInit, policy_document};
use disclosure_ledger::model::{CompanyId, DispositionAction, PartyId, ThemeId, Timestamp};
use disclosure_ledger::policy::{DEFAULT_POLICY, FlagCode};
use disclosure_ledger::review::{Period, ReviewOptions, ReviewReport, build_review, write_csv_dir};
use disclosure_ledger::store::{Access, Store};

const H: i64 = 3600;

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn key(name: &str) -> SecretKey {
    SecretKey::from_seed(name, &disclosure_ledger::hash::sha256(name.as_bytes())).unwrap()
}

struct Built {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

/// D4 (Feb), D1 (Mar), D2, D3, D5 (Apr); see the module comment and each line below.
fn build() -> Built {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.ledger");
    let (ico, ofcom) = (key("ico-n"), key("ofcom-n"));
    let party = |id: &str, k: &SecretKey| PartyInit {
        id: PartyId::new(id).unwrap(),
        name: id.into(),
        key: k.public().clone(),
    };
    let t0 = ts("2024-01-02T09:00:00Z");
    let mut l = Ledger::create(
        &path,
        "test/n",
        &[party("ICO", &ico), party("OFCOM", &ofcom)],
        policy_document("p", ts("2023-01-01"), DEFAULT_POLICY),
        &ico,
        t0,
    )
    .unwrap();
    let (ico_id, ofcom_id) = (PartyId::new("ICO").unwrap(), PartyId::new("OFCOM").unwrap());
    let p = l
        .prepare_theme_declared(ThemeId::new("t1").unwrap(), "T1", "", t0)
        .unwrap();
    let proposal = l.append(p, &ico, t0).unwrap().seq;
    let p = l
        .prepare_confirmation(proposal, &ofcom_id, None, t0)
        .unwrap();
    l.append(p, &ofcom, t0).unwrap();
    let t1 = ts("2024-01-03T10:00:00Z");
    let p = l
        .prepare_company_proposed(
            CompanyId::new("c1").unwrap(),
            Some("C One Ltd"),
            "r",
            &ofcom_id,
            None,
            t1,
        )
        .unwrap();
    l.append(p, &ofcom, t1).unwrap();
    let p = l
        .prepare_company_confirmed(
            CompanyId::new("c1").unwrap(),
            &ico_id,
            None,
            t1.plus_seconds(H),
        )
        .unwrap();
    l.append(p, &ico, t1.plus_seconds(H)).unwrap();

    let mut salt = || [5u8; 32];
    let base = |from: &str, category: &str, at: &str| DisclosureInput {
        from: from.into(),
        to: if from == "ICO" {
            "OFCOM".into()
        } else {
            "ICO".into()
        },
        disclosed_at: at.into(),
        gateway: Some(
            if from == "ICO" {
                "Data Protection Act 2018 s132(2)(c)"
            } else {
                "Communications Act 2003 s393(2)(a)"
            }
            .into(),
        ),
        category: category.into(),
        companies: vec!["c1".into()],
        themes: vec!["t1".into()],
        notification: "skipped: routine".into(),
        relevance: Some(
            if from == "ICO" {
                "matters of potential intersection between online safety and data protection"
            } else {
                "relevant to online safety"
            }
            .into(),
        ),
        officer_role: "officer".into(),
        ..DisclosureInput::default()
    };
    // (input, key, recording delay, acknowledgement delay after recording)
    let d4 = DisclosureInput {
        companies: vec![],
        relevance: None,
        fields: BTreeMap::from([("theme".into(), "t1".into())]),
        ..base("OFCOM", "theme-only", "2024-02-29T23:30:00Z")
    };
    let d1 = DisclosureInput {
        fields: BTreeMap::from([("meeting_date".into(), "2024-03-31".into())]),
        ..base("OFCOM", "stakeholder-meeting", "2024-03-31T00:30:00Z")
    };
    let d2 = DisclosureInput {
        themes: vec![],
        fields: BTreeMap::from([("request_date".into(), "2024-04-01".into())]),
        ..base("ICO", "information-request", "2024-03-31T23:30:00Z")
    };
    let d3 = DisclosureInput {
        notification: "notified".into(),
        relevance: None,
        assessment_reference: Some("A-1".into()),
        assessment_approver: Some("Director".into()),
        function: Some("online-safety".into()),
        fields: BTreeMap::from([("summary".into(), "s".into())]),
        ..base("OFCOM", "case-by-case", "2024-04-15T10:00:00Z")
    };
    let d5 = DisclosureInput {
        companies: vec!["c2=C Two Ltd".into()],
        fields: BTreeMap::from([("meeting_date".into(), "2024-04-20".into())]),
        ..base("ICO", "stakeholder-meeting", "2024-04-20T09:00:00Z")
    };
    let mut last = None;
    for (d, k, ack_k, rec, ack) in [
        (d4, &ofcom, &ico, 6 * H, Some(24 * H)),
        (d1, &ofcom, &ico, 2 * H, Some(24 * H)),
        (d2, &ico, &ofcom, 4 * H, Some(48 * H)),
        (d3, &ofcom, &ico, H, None),
        (d5, &ico, &ofcom, H, Some(720 * H)),
    ] {
        let recorded = ts(&d.disclosed_at).plus_seconds(rec);
        let p = l.prepare_disclosure(&d, k, recorded, &mut salt).unwrap();
        let seq = l.append(p, k, recorded).unwrap().seq;
        if let Some(a) = ack {
            let when = recorded.plus_seconds(a);
            let p = l.prepare_ack(seq, when, ack_k, when).unwrap();
            l.append(p, ack_k, when).unwrap();
        }
        last = Some((seq, recorded));
    }
    // The ICO accepts D5's not-mutual-interest flag as an exception, 31 days after recording it
    // (after its acknowledgement, 30 days after recording: entries are recorded in order).
    let (d5, recorded) = last.unwrap();
    let when = recorded.plus_seconds(744 * H);
    let body = disclosure_ledger::dispositions::disposition(
        d5,
        FlagCode::NotMutualInterest,
        DispositionAction::AcceptedException,
        None,
        "designation confirmed the week after; agreed exception",
        "Compliance lead",
    );
    l.append(body.into(), &ico, when).unwrap();
    Built { _dir: dir, path }
}

fn review(b: &Built, period: Period) -> ReviewReport {
    let store = Store::open(&b.path, Access::ReadOnly).unwrap();
    let opts = ReviewOptions {
        from: None,
        to: None,
        period,
        top: 5,
        as_of: ts("2024-12-31"),
        progress: Default::default(),
    };
    build_review(&store, &opts).unwrap()
}

#[test]
fn monthly_figures_match_the_hand_computation() {
    let b = build();
    let r = review(&b, Period::Month);
    assert_eq!(
        (r.from.as_str(), r.to.as_str()),
        ("2024-02-29", "2024-04-20")
    );
    let labels: Vec<&str> = r.periods.iter().map(|p| p.stats.label.as_str()).collect();
    assert_eq!(labels, ["2024-02", "2024-03", "2024-04"]);
    let [feb, mar, apr] = [
        &r.periods[0].stats,
        &r.periods[1].stats,
        &r.periods[2].stats,
    ];
    // Midnight in London: 29 Feb 23:30 GMT is February; 31 Mar 00:30 GMT is March;
    // 31 Mar 23:30 UTC is 1 April 00:30 BST.
    assert_eq!(
        (feb.disclosures, mar.disclosures, apr.disclosures),
        (1, 1, 3)
    );
    assert_eq!(
        apr.by_direction,
        BTreeMap::from([("ICO→OFCOM".into(), 2), ("OFCOM→ICO".into(), 1)])
    );
    assert_eq!(
        apr.by_category,
        BTreeMap::from([
            ("case-by-case".into(), 1),
            ("information-request".into(), 1),
            ("stakeholder-meeting".into(), 1)
        ])
    );
    assert_eq!(
        apr.by_gateway.get("Data Protection Act 2018 s132(2)(c)"),
        Some(&2)
    );
    // D2 (an information request) carries no theme (statement §5).
    assert_eq!(apr.by_theme, BTreeMap::from([("t1".into(), 2)]));
    assert_eq!(
        apr.by_company,
        BTreeMap::from([("c1".into(), 2), ("c2".into(), 1)])
    );
    // Notification: D2, D5 skipped; D3 (case-by-case) notified.
    assert_eq!(
        (apr.notification.all.notified, apr.notification.all.skipped),
        (1, 2)
    );
    assert_eq!(apr.notification.all.skipped_pct, Some(66.67));
    assert_eq!(
        (
            apr.notification.routine.skipped,
            apr.notification.routine.skipped_pct
        ),
        (2, Some(100.0))
    );
    assert_eq!(
        (
            apr.notification.case_by_case.notified,
            apr.notification.case_by_case.skipped_pct
        ),
        (1, Some(0.0))
    );
    // Flags: D5 names a company not of mutual interest and was acknowledged after 30 days;
    // D3 was never acknowledged (judged as of 31 December, far past the 10 days allowed).
    assert_eq!(
        apr.flags.by_code,
        BTreeMap::from([
            ("late-acknowledgement".into(), 1),
            ("not-mutual-interest".into(), 1),
            ("unacknowledged".into(), 1)
        ])
    );
    assert_eq!(
        (
            apr.flags.total,
            apr.flags.per_100,
            apr.flags.flagged_disclosures,
            apr.flags.flagged_pct
        ),
        (3, Some(100.0), 2, Some(66.67))
    );
    // Dispositions: one of the three flags, accepted as an exception 31 days after recording.
    assert_eq!(
        (
            apr.flags.disposed,
            apr.flags.disposed_pct,
            apr.flags.median_days_to_disposition
        ),
        (1, Some(33.33), Some(31.0))
    );
    assert_eq!(
        apr.flags.disposed_by_action,
        BTreeMap::from([("accepted-exception".into(), 1)])
    );
    // The first period has no earlier data to compare with: no "0 → up" change rows.
    assert!(r.periods[0].change.is_empty());
    assert!(!r.periods[1].change.is_empty());
    assert!(
        disclosure_ledger::review::render_text(&r).contains("no earlier data"),
        "the text says so in words"
    );
    // Recording delays 4 h, 1 h, 1 h: nearest-rank median 1 h, p90 4 h.
    assert_eq!(apr.recording_delay.n, 3);
    assert_eq!(
        (
            apr.recording_delay.median_hours,
            apr.recording_delay.p90_hours,
            apr.recording_delay.max_hours
        ),
        (Some(1.0), Some(4.0), Some(4.0))
    );
    // Acknowledgement delays 48 h and 720 h; D3 never acknowledged.
    assert_eq!(
        (
            apr.acknowledgement_delay.n,
            apr.acknowledgement_delay.median_hours,
            apr.acknowledgement_delay.p90_hours
        ),
        (2, Some(48.0), Some(720.0))
    );
    assert_eq!(apr.unacknowledged, 1);
    assert_eq!(apr.recording_delay_buckets, vec![0, 3, 0, 0, 0, 0, 0, 0]);
    // Buckets include their lower bound: 48 hours is "2–5 days"; 720 hours is "30 days or more".
    assert_eq!(
        apr.acknowledgement_delay_buckets,
        vec![0, 0, 0, 0, 1, 0, 0, 1]
    );
    assert_eq!(apr.registers.themes_in_force, vec!["t1".to_owned()]);
    assert_eq!(apr.registers.companies_mutual, vec!["c1".to_owned()]);
    assert_eq!(
        (
            apr.registers.designations,
            apr.registers.designation_ends,
            apr.registers.disclosures_not_mutual
        ),
        (0, 0, 1)
    );
    assert_eq!(mar.by_direction, BTreeMap::from([("OFCOM→ICO".into(), 1)]));
    assert_eq!(
        (
            mar.recording_delay.median_hours,
            mar.acknowledgement_delay.median_hours
        ),
        (Some(2.0), Some(24.0))
    );
    assert_eq!((mar.flags.total, mar.unacknowledged), (0, 0));
    assert_eq!(feb.by_category, BTreeMap::from([("theme-only".into(), 1)]));
    assert_eq!(feb.recording_delay.max_hours, Some(6.0));
    // Change on the previous month: April 3 against March 1.
    let change = &r.periods[2].change[0];
    assert_eq!(
        (
            change.metric.as_str(),
            change.current,
            change.previous,
            change.direction.as_str()
        ),
        ("disclosures", 3.0, 1.0, "up")
    );
    // Whole range and top companies.
    assert_eq!(r.total.stats.disclosures, 5);
    assert_eq!(r.companies[0].id, "c1");
    assert_eq!(r.companies[0].disclosures, 3);
    assert!(r.companies[0].mutual_at_end && !r.companies[1].mutual_at_end);
    // Entries: 0 genesis, 1–2 theme proposed and confirmed, 3–4 designation, 5–6 D4+ack,
    // 7–8 D1+ack, 9–10 D2+ack, 11 D3, 12–13 D5+ack.
    assert_eq!(
        r.flagged
            .iter()
            .map(|f| (f.seq, f.code.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (11, "unacknowledged"),
            (12, "late-acknowledgement"),
            (12, "not-mutual-interest")
        ]
    );
    // Designation: c1 confirmed in January, before the range.
    assert_eq!(r.total.stats.registers.designations, 0);
    assert!(r.ledger.chain_intact);
    assert_eq!(r.ledger.entries, 15, "with the disposition");
}

#[test]
fn quarterly_grouping() {
    let b = build();
    let r = review(&b, Period::Quarter);
    let got: Vec<(&str, u64)> = r
        .periods
        .iter()
        .map(|p| (p.stats.label.as_str(), p.stats.disclosures))
        .collect();
    assert_eq!(got, [("2024-Q1", 2), ("2024-Q2", 3)]);
}

#[test]
fn json_and_csv_round_trip() {
    let b = build();
    let r = review(&b, Period::Month);
    let json = serde_json::to_string(&r).unwrap();
    let back: ReviewReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    assert_eq!(
        back.schema_version,
        disclosure_ledger::review::REVIEW_SCHEMA_VERSION
    );

    let dir = tempfile::tempdir().unwrap();
    write_csv_dir(&r, dir.path()).unwrap();
    for (name, columns) in disclosure_ledger::review::CSV_TABLES {
        let mut rd = csv::Reader::from_path(dir.path().join(name)).unwrap();
        let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(header, *columns, "{name}");
    }
    // summary.csv: one row per period plus the whole range, figures as in memory.
    let mut rd = csv::Reader::from_path(dir.path().join("summary.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    let all: Vec<_> = std::iter::once(&r.total).chain(&r.periods).collect();
    assert_eq!(rows.len(), all.len());
    for (row, p) in rows.iter().zip(all) {
        let s = &p.stats;
        assert_eq!(&row[0], s.label);
        assert_eq!(row[3].parse::<u64>().unwrap(), s.disclosures);
        // An empty period's rates are empty cells, not 0.
        let cell = |i: usize| (!row[i].is_empty()).then(|| row[i].parse::<f64>().unwrap());
        assert_eq!(cell(4), s.notification.all.skipped_pct);
        assert_eq!(row[5].parse::<u64>().unwrap(), s.flags.total);
        assert_eq!(cell(6), s.flags.per_100);
        assert_eq!(s.disclosures == 0, s.flags.per_100.is_none());
        assert_eq!(row[8].parse::<u64>().unwrap(), s.unacknowledged);
    }
    // volumes.csv sums back to the per-period maps.
    let mut rd = csv::Reader::from_path(dir.path().join("volumes.csv")).unwrap();
    let mut direction_total = 0;
    for rec in rd.records().map(Result::unwrap) {
        if &rec[0] == "whole range" && &rec[1] == "direction" {
            direction_total += rec[3].parse::<u64>().unwrap();
            assert_eq!(
                r.total.stats.by_direction[&rec[2]],
                rec[3].parse::<u64>().unwrap()
            );
        }
    }
    assert_eq!(direction_total, r.total.stats.disclosures);
    // timeliness.csv: April's acknowledgement delay.
    let mut rd = csv::Reader::from_path(dir.path().join("timeliness.csv")).unwrap();
    let apr = rd
        .records()
        .map(Result::unwrap)
        .find(|x| &x[0] == "2024-04" && &x[1] == "acknowledgement")
        .unwrap();
    assert_eq!(
        (&apr[2], &apr[3], &apr[4], &apr[6]),
        ("2", "48", "720", "1")
    );
    // flagged_entries.csv matches the list.
    let mut rd = csv::Reader::from_path(dir.path().join("flagged_entries.csv")).unwrap();
    assert_eq!(rd.records().count(), r.flagged.len());
}
