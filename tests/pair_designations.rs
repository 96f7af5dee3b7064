//! Mutual interest is per pair, and only the pair decides (issue 13, item 2; 2024 statement
//! §3). Each attack on the format 2 sample (ICO, Ofcom and the CMA): a third party or the
//! proposer cannot confirm, through the CLI (refused, nothing written) or signed below it
//! (`verify` exit 2 naming the rule); a designation holds only for its pair; either member can
//! end it, nobody else.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use disclosure_ledger::hash::sha256;
use disclosure_ledger::model::{Body, Confirmed, DesignationEnded, Seq, Timestamp};

fn dledger(ledger: &Path, args: &[&str]) -> Output {
    Command::new(assert_cmd::cargo::cargo_bin!("dledger"))
        .arg("-l")
        .arg(ledger)
        .args(args)
        .output()
        .unwrap()
}

use common::output_text as text;

/// Runs a command that must be refused with `expect` in its message, writing nothing.
fn refused(ledger: &Path, args: &[&str], expect: &str) {
    let before = sha256(&std::fs::read(ledger).unwrap());
    let out = dledger(ledger, args);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {t}");
    assert!(t.contains(expect), "{args:?} does not say {expect:?}: {t}");
    assert_eq!(
        before,
        sha256(&std::fs::read(ledger).unwrap()),
        "{args:?} wrote to the ledger"
    );
}

fn verify(ledger: &Path) -> (i32, String) {
    let out = Command::new(assert_cmd::cargo::cargo_bin!("dledger"))
        .arg("verify")
        .arg(ledger)
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), text(&out))
}

/// Friendmap: proposed by Ofcom with the ICO at #28 and never confirmed in the sample.
const FRIENDMAP_PROPOSAL: u64 = 28;

#[test]
fn only_the_other_member_of_the_pair_confirms() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = common::sample_v2_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let key = |name: &str| keys.join(format!("{name}.key")).display().to_string();
    let (cma, ofcom, ico) = (key("cma-2024"), key("ofcom-2024"), key("ico-2025"));

    // A third regulator cannot confirm a designation between the ICO and Ofcom.
    refused(
        &ledger,
        &["company", "confirm", "friendmap", "--key", &cma],
        "only ICO can",
    );
    refused(
        &ledger,
        &["confirm", &FRIENDMAP_PROPOSAL.to_string(), "--key", &cma],
        "only ICO can",
    );
    // Nor can the proposer confirm its own proposal.
    refused(
        &ledger,
        &["company", "confirm", "friendmap", "--key", &ofcom],
        "only ICO can",
    );
    refused(
        &ledger,
        &["confirm", &FRIENDMAP_PROPOSAL.to_string(), "--key", &ofcom],
        "only ICO can",
    );

    // Signed below the CLI, both are integrity failures naming the rule.
    for (party, key_name) in [("CMA", "cma-2024"), ("OFCOM", "ofcom-2024")] {
        let copy = dir.path().join(format!("{party}.ledger"));
        std::fs::copy(&ledger, &copy).unwrap();
        let n = common::append_body(
            &copy,
            party,
            &common::demo_key(&keys, key_name),
            Body::Confirmed(Confirmed {
                proposal: Seq(FRIENDMAP_PROPOSAL),
                effective_from: Timestamp::now(),
            }),
        );
        let (code, report) = verify(&copy);
        assert_eq!(code, 2, "{party}: {report}");
        assert!(
            report.contains("(rule confirm-by-bound-party)") && report.contains(&format!("#{n}")),
            "{party}: {report}"
        );
    }

    // The ICO, the other member of the pair, can.
    let out = dledger(&ledger, &["company", "confirm", "friendmap", "--key", &ico]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let (code, report) = verify(&ledger);
    assert_ne!(code, 2, "{report}");
}

#[test]
fn a_designation_holds_for_its_pair_only() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = common::sample_v2_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let key = |name: &str| keys.join(format!("{name}.key")).display().to_string();
    let (cma, ofcom, ico) = (key("cma-2024"), key("ofcom-2024"), key("ico-2025"));

    // Ofcom and the CMA designate QuietForum between themselves.
    let out = dledger(
        &ledger,
        &[
            "company",
            "propose",
            "quietforum",
            "--with",
            "CMA",
            "--rationale",
            "joint market and safety interest",
            "--key",
            &ofcom,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("once CMA confirms"), "{}", text(&out));
    let out = dledger(
        &ledger,
        &["company", "confirm", "quietforum", "--key", &cma],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // That does not make an ICO → Ofcom disclosure about it routine.
    let at = Timestamp::now().to_string();
    let out = dledger(
        &ledger,
        &[
            "disclose",
            "--key",
            &ico,
            "--from",
            "ICO",
            "--to",
            "OFCOM",
            "--at",
            &at,
            "--gateway",
            "Data Protection Act 2018 s132(2)(c)",
            "--category",
            "stakeholder-meeting",
            "--company",
            "quietforum",
            "--theme",
            "age-assurance",
            "--field",
            "meeting_date=2026-11-30",
            "--skipped",
            "routine disclosure (statement §4)",
            "--relevance",
            "limb",
            "--officer-role",
            "Regulatory Supervision",
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("not-mutual-interest") && t.contains("QuietForum"),
        "an ICO–Ofcom disclosure rode on an Ofcom–CMA designation: {t}"
    );
}

#[test]
fn either_member_ends_a_designation_and_nobody_else() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = common::sample_v2_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let key = |name: &str| keys.join(format!("{name}.key")).display().to_string();
    let (cma, ico) = (key("cma-2024"), key("ico-2025"));

    // BrightLoop: proposed by Ofcom, confirmed by the ICO. The CMA is not of the pair.
    refused(
        &ledger,
        &[
            "company",
            "end",
            "brightloop",
            "--with",
            "OFCOM",
            "--reason",
            "x",
            "--key",
            &cma,
        ],
        "neither of mutual interest nor proposed",
    );
    let copy = dir.path().join("forged-end.ledger");
    std::fs::copy(&ledger, &copy).unwrap();
    let n = common::append_body(
        &copy,
        "CMA",
        &common::demo_key(&keys, "cma-2024"),
        Body::DesignationEnded(DesignationEnded {
            company: "brightloop".parse().unwrap(),
            reason: "not ours to end".into(),
            with: Some("OFCOM".parse().unwrap()),
        }),
    );
    let (code, report) = verify(&copy);
    assert_eq!(code, 2, "{report}");
    assert!(
        report.contains("(rule designation-end)") && report.contains(&format!("#{n}")),
        "{report}"
    );

    // The ICO, which confirmed it, can end it (so could Ofcom, which proposed it).
    let out = dledger(
        &ledger,
        &[
            "company",
            "end",
            "brightloop",
            "--with",
            "OFCOM",
            "--reason",
            "inquiry closed",
            "--key",
            &ico,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = dledger(&ledger, &["list", "--kind", "designation-ended"]);
    let t = text(&out);
    assert!(
        t.contains("ICO") && t.contains("ends designation of brightloop with OFCOM"),
        "{t}"
    );
}
