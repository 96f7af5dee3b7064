//! Corrections are disclosures (issue 13, item 1): a correction's replacement disclosure is
//! judged exactly like a new disclosure — at `correct` time (and with `--dry-run`), by `verify`
//! and by `review` — so a recording officer cannot make a disclosure look routine by
//! "correcting" it into one that cites the other regulator's statute, names a company not of
//! mutual interest and shares the content of a request.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use disclosure_ledger::codec::decode_entry;
use disclosure_ledger::hash::sha256;
use disclosure_ledger::model::{Body, Category};
use disclosure_ledger::store::{Access, Store};

fn dledger(args: &[&str]) -> Output {
    Command::new(assert_cmd::cargo::cargo_bin!("dledger"))
        .args(args)
        .output()
        .unwrap()
}

use common::output_text as text;

/// An uncorrected information request Ofcom recorded in the sample, and its date.
fn ofcom_request(path: &Path) -> (u64, String) {
    let store = Store::open(path, Access::ReadOnly).unwrap();
    let mut found = None;
    store
        .scan(0, None, |r| {
            let e = decode_entry(&r.bytes).unwrap();
            if let Body::Disclosure(d) = &e.body
                && d.from.as_str() == "OFCOM"
                && matches!(d.category, Category::InformationRequest { .. })
                && found.is_none()
            {
                found = Some((e.seq.0, d.disclosed_at.london_date().to_string()));
            }
            Ok::<_, disclosure_ledger::store::StoreError>(())
        })
        .unwrap();
    found.unwrap()
}

/// The codes of the flags in a JSON list of flags that are raised on entry `seq`.
fn codes_on(flags: &serde_json::Value, seq: u64) -> Vec<&str> {
    flags
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["seq"] == seq)
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

const FLAGS: [&str; 3] = [
    "gateway-of-other-party",
    "not-mutual-interest",
    "request-content-shared",
];

#[test]
fn a_replacement_is_judged_like_a_new_disclosure() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = common::sample_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let (seq, date) = ofcom_request(&ledger);
    // Ofcom "corrects" its request into one citing the ICO's statute, about a company not of
    // mutual interest, and sharing what the request asked.
    let replacement = dir.path().join("replacement.json");
    std::fs::write(
        &replacement,
        format!(
            r#"{{"from":"OFCOM","to":"ICO","disclosed_at":"{date}","gateway":"Data Protection Act 2018 s132(2)(c)","category":"information-request","companies":["quietforum"],"fields":{{"request_date":"{date}","request_content":"all moderation logs"}},"notification":"skipped: routine","relevance":"relevant to online safety","officer_role":"Supervision"}}"#
        ),
    )
    .unwrap();
    let key = keys.join("ofcom-2024.key");
    let l = ledger.to_str().unwrap();
    let seq_text = seq.to_string();
    let args = |dry: bool| {
        let mut a = vec![
            "-l",
            l,
            "correct",
            seq_text.as_str(),
            "--reason",
            "wrong details",
            "--replacement-json",
            replacement.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ];
        if dry {
            a.push("--dry-run");
        }
        a
    };

    // --dry-run shows the flags and writes nothing.
    let before = sha256(&std::fs::read(&ledger).unwrap());
    let out = dledger(&args(true));
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("would raise"), "{t}");
    for code in FLAGS {
        assert!(t.contains(code), "dry run does not show {code}:\n{t}");
    }
    assert_eq!(
        before,
        sha256(&std::fs::read(&ledger).unwrap()),
        "dry run wrote"
    );
    // The entry shown follows the real head of the ledger (issue 16).
    let head = {
        let store = Store::open(&ledger, Access::ReadOnly).unwrap();
        let last = store.get(store.len().unwrap() - 1).unwrap().unwrap();
        hex::encode(disclosure_ledger::hash::leaf_hash(&last.bytes))
    };
    assert!(
        t.contains(&format!("previous:  {head}")),
        "dry run previous hash:\n{t}"
    );

    // Recording it shows the same flags and exits 1.
    let out = dledger(&args(false));
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    for code in FLAGS {
        assert!(t.contains(code), "correct does not show {code}:\n{t}");
    }
    let store = Store::open(&ledger, Access::ReadOnly).unwrap();
    let correction = store.len().unwrap() - 1;
    drop(store);

    // `show` follows the chain both ways.
    let out = dledger(&["-l", l, "show", &seq_text]);
    let t = text(&out);
    assert!(
        t.contains("Later entries about it:") && t.contains(&format!("corrects #{seq}")),
        "show #{seq} does not list its correction:\n{t}"
    );
    let out = dledger(&["-l", l, "show", &correction.to_string()]);
    let t = text(&out);
    assert!(
        t.contains(&format!("refers to:    #{seq} ")),
        "show #{correction} does not name what it corrects:\n{t}"
    );

    // verify raises them on the correction entry.
    let out = dledger(&["verify", l, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let on_correction = codes_on(&report["policy"]["flags"], correction);
    for code in FLAGS {
        assert!(
            on_correction.contains(&code),
            "verify does not raise {code} on #{correction}: {on_correction:?}"
        );
    }

    // review counts them too, so the effectiveness review and verify agree.
    let out = dledger(&["-l", l, "review", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let review: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let in_review = codes_on(&review["flagged"], correction);
    for code in FLAGS {
        assert!(
            in_review.contains(&code),
            "review does not count {code} on #{correction}: {in_review:?}"
        );
    }
}

/// The effective record: once a correction replaces a flagged disclosure with a clean one, the
/// original's flags are shown as "replaced by #M" and no longer counted — by `verify` and by
/// `review` alike — while `superseded` says the record changed.
#[test]
fn a_replaced_disclosure_is_judged_by_its_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = common::sample_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let l = ledger.to_str().unwrap();
    // #193: Ofcom shared the content of a request about BrightLoop (request-content-shared).
    let before = dledger(&["verify", l, "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&before.stdout).unwrap();
    assert!(codes_on(&report["policy"]["flags"], 193).contains(&"request-content-shared"));

    let replacement = dir.path().join("clean.json");
    std::fs::write(
        &replacement,
        r#"{"from":"OFCOM","to":"ICO","disclosed_at":"2024-11-04T09:00:00Z","gateway":"Communications Act 2003 s393(2)(a)","category":"information-request","companies":["brightloop"],"fields":{"request_date":"2024-11-04","response_deadline":"2024-11-18","company_names":"BrightLoop Social Ltd"},"notification":"skipped: routine disclosure expected without prior notification (statement §4)","relevance":"relevant to online safety","officer_role":"Online Safety supervision team"}"#,
    )
    .unwrap();
    let key = keys.join("ofcom-2024.key");
    let out = dledger(&[
        "-l",
        l,
        "correct",
        "193",
        "--reason",
        "the request content should not have been shared",
        "--replacement-json",
        replacement.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let correction = {
        let store = Store::open(&ledger, Access::ReadOnly).unwrap();
        store.len().unwrap() - 1
    };

    let after = dledger(&["verify", l, "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    let counted = codes_on(&report["policy"]["flags"], 193);
    assert!(!counted.contains(&"request-content-shared"), "{counted:?}");
    assert!(counted.contains(&"superseded"), "{counted:?}");
    let replaced = report["policy"]["replaced"].as_array().unwrap();
    assert!(
        replaced.iter().any(|f| f["seq"] == 193
            && f["code"] == "request-content-shared"
            && f["message"]
                .as_str()
                .unwrap()
                .contains(&format!("replaced by #{correction}"))),
        "{replaced:?}"
    );
    let text_report = text(&dledger(&["verify", l]));
    assert!(
        text_report.contains("Replaced by a correction"),
        "{text_report}"
    );

    let review = dledger(&["-l", l, "review", "--format", "json"]);
    let review: serde_json::Value = serde_json::from_slice(&review.stdout).unwrap();
    let in_review = codes_on(&review["flagged"], 193);
    assert!(
        !in_review.contains(&"request-content-shared"),
        "{in_review:?}"
    );
}

/// A correction changes what the recipient was told (issue 13, item 1): its replacement needs
/// the recipient's acknowledgement of its own ("correction not acknowledged" until then), and a
/// correction keeps the disclosure's parties.
#[test]
fn a_correction_needs_its_own_acknowledgement_and_keeps_the_parties() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = common::sample_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let l = ledger.to_str().unwrap();
    let (seq, date) = ofcom_request(&ledger);
    let write = |name: &str, to: &str| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!(
                r#"{{"from":"OFCOM","to":"{to}","disclosed_at":"{date}","gateway":"Communications Act 2003 s393(2)(a)","category":"information-request","companies":["brightloop"],"themes":["age-assurance"],"fields":{{"request_date":"{date}"}},"notification":"skipped: routine","relevance":"limb","officer_role":"Supervision"}}"#
            ),
        )
        .unwrap();
        path
    };
    let ofcom = keys.join("ofcom-2024.key");
    let ico = keys.join("ico-2025.key");
    let seq_text = seq.to_string();

    // Moving the disclosure to another recipient is refused, and nothing is written.
    let moved = write("moved.json", "CMA");
    let before = sha256(&std::fs::read(&ledger).unwrap());
    let out = dledger(&[
        "-l",
        l,
        "correct",
        &seq_text,
        "--reason",
        "it went to the CMA",
        "--replacement-json",
        moved.to_str().unwrap(),
        "--key",
        ofcom.to_str().unwrap(),
    ]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("keeps the parties"), "{t}");
    assert_eq!(before, sha256(&std::fs::read(&ledger).unwrap()));

    // A correction that keeps the parties is recorded; until the ICO acknowledges it, verify
    // says so on the correction.
    let fixed = write("fixed.json", "ICO");
    let out = dledger(&[
        "-l",
        l,
        "correct",
        &seq_text,
        "--reason",
        "wrong deadline",
        "--replacement-json",
        fixed.to_str().unwrap(),
        "--key",
        ofcom.to_str().unwrap(),
    ]);
    assert!(out.status.code().unwrap() <= 1, "{}", text(&out));
    let correction = {
        let store = Store::open(&ledger, Access::ReadOnly).unwrap();
        store.len().unwrap() - 1
    };
    let flags = |l: &str| {
        let out = dledger(&["verify", l, "--json"]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        codes_on(&report["policy"]["flags"], correction)
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert!(
        flags(l).contains(&"correction-unacknowledged".to_owned()),
        "{:?}",
        flags(l)
    );
    // Only the recipient acknowledges it.
    let c = correction.to_string();
    let out = dledger(&["-l", l, "ack", &c, "--key", ofcom.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = dledger(&["-l", l, "ack", &c, "--key", ico.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        !flags(l).contains(&"correction-unacknowledged".to_owned()),
        "{:?}",
        flags(l)
    );
}
