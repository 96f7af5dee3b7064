//! Bulk recording with `dledger import --key`: JSON Lines and CSV are recorded and verify; one
//! bad line anywhere means nothing is written, and every bad line is reported by number.

mod common;

use std::fs;
use std::path::Path;

use assert_cmd::Command;
use disclosure_ledger::model::Timestamp;

fn digest(path: &Path) -> [u8; 32] {
    disclosure_ledger::hash::sha256(&fs::read(path).unwrap())
}

fn line(company: &str, at: &str) -> String {
    format!(
        r#"{{"from":"OFCOM","to":"ICO","disclosed_at":"{at}","gateway":"Communications Act 2003 s393(2)(a)","category":"stakeholder-meeting","companies":["{company}"],"themes":["age-assurance"],"fields":{{"meeting_date":"2026-11-20"}},"notification":"skipped: routine","relevance":"relevant to online safety","officer_role":"Supervision"}}"#
    )
}

fn import(ledger: &Path, file: &Path, key: &Path) -> std::process::Output {
    Command::cargo_bin("dledger")
        .unwrap()
        .arg("-l")
        .arg(ledger)
        .arg("import")
        .arg(file)
        .arg("--key")
        .arg(key)
        .args(["--batch-size", "7"])
        .output()
        .unwrap()
}

/// `dledger verify --json` finds the ledger intact with `entries` entries.
fn assert_intact(ledger: &Path, entries: u64) {
    let verify = Command::cargo_bin("dledger")
        .unwrap()
        .arg("verify")
        .arg(ledger)
        .arg("--json")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
    assert_eq!(report["integrity"]["status"], "intact");
    assert_eq!(report["integrity"]["entries"], entries);
}

#[test]
fn json_lines_and_csv_are_recorded_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = common::sample_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let key = keys.join("ofcom-2024.key");
    let at = Timestamp::now().plus_seconds(-3600).to_string();
    // A company new to the ledger is introduced once as id=Name, then named by id alone.
    let mut lines = vec![line("newco=NewCo Ltd", &at)];
    lines.extend((0..20).map(|i| line(if i % 2 == 0 { "brightloop" } else { "newco" }, &at)));
    let jsonl = dir.path().join("d.jsonl");
    fs::write(&jsonl, lines.join("\n") + "\n").unwrap();
    let out = import(&ledger, &jsonl, &key);
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Recorded; exit 1 because the disclosures about newco (not of mutual interest) raise flags,
    // which the import shows.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("not-mutual-interest"), "{stdout}");
    assert!(
        stdout.contains("Recorded 21 disclosures as entries #453 to #473 in 3 durable commits"),
        "{stdout}"
    );

    let csv = dir.path().join("d.csv");
    fs::write(
        &csv,
        format!(
            "from,to,disclosed_at,gateway,category,companies,themes,notification,relevance,officer_role,field.meeting_date\n\
             OFCOM,ICO,{at},Communications Act 2003 s393(2)(a),stakeholder-meeting,brightloop;pixelpond,age-assurance,skipped: routine,relevant to online safety,Supervision,2026-11-20\n\
             OFCOM,ICO,{at},Communications Act 2003 s393(2)(a),theme-only,,recommender-systems,notified,,Supervision,\n"
        ),
    )
    .unwrap();
    let out = import(&ledger, &csv, &key);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Recorded 2 disclosures"));

    assert_intact(&ledger, 453 + 23);
    // The new company is recorded once under its name.
    let shown = Command::cargo_bin("dledger")
        .unwrap()
        .arg("-l")
        .arg(&ledger)
        .args(["list", "--companies"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&shown.stdout).contains("NewCo Ltd"));
}

#[test]
fn any_bad_line_means_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = common::sample_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let key = keys.join("ofcom-2024.key");
    let at = Timestamp::now().plus_seconds(-3600).to_string();
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "unknown company on line 3",
            vec![
                line("brightloop", &at),
                line("pixelpond", &at),
                line("megacorp", &at),
            ],
            "line 3: company megacorp is not in the ledger",
        ),
        (
            "future date on line 2",
            vec![line("brightloop", &at), line("brightloop", "2099-01-01")],
            "line 2:",
        ),
        (
            "not JSON on line 2",
            vec![line("brightloop", &at), "{oops".into()],
            "line 2:",
        ),
        (
            "unknown field",
            vec![line("brightloop", &at).replace("\"officer_role\"", "\"officer\"")],
            "line 1:",
        ),
    ];
    let before = digest(&ledger);
    for (name, lines, expect) in cases {
        let file = dir.path().join("bad.jsonl");
        fs::write(&file, lines.join("\n") + "\n").unwrap();
        let out = import(&ledger, &file, &key);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(expect) && stderr.contains("nothing was written"),
            "{name}: {stderr}"
        );
        assert_eq!(before, digest(&ledger), "{name}: the ledger changed");
    }
    // Signing with the other party's key is refused before anything is written too.
    let file = dir.path().join("ok.jsonl");
    fs::write(&file, line("brightloop", &at) + "\n").unwrap();
    let out = import(&ledger, &file, &keys.join("ico-2025.key"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a key of OFCOM"));
    assert_eq!(before, digest(&ledger));
}

/// `Batch::flush_in_background` hands back a chunk's receipts only once its write is durable
/// (at the next flush), and the entries it wrote are in the file, in order, and verify.
#[test]
fn background_flush_acknowledges_only_what_is_durable() {
    use disclosure_ledger::input::DisclosureInput;
    use disclosure_ledger::ledger::Ledger;
    use disclosure_ledger::store::{Access, Store};

    let dir = tempfile::tempdir().unwrap();
    let path = common::sample_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let key = common::demo_key(&keys, "ofcom-2024");
    let at = Timestamp::now().plus_seconds(-3600);
    let input = DisclosureInput::from_json(&line("brightloop", &at.to_string())).unwrap();
    let stored = || Store::open(&path, Access::ReadOnly).unwrap().len().unwrap();
    let before = stored();

    let mut ledger = Ledger::open(&path).unwrap();
    let mut batch = ledger.begin().unwrap();
    let push = |batch: &mut disclosure_ledger::ledger::Batch<'_>, n: usize| {
        let pending = (0..n)
            .map(|_| {
                let p = batch
                    .ledger()
                    .prepare_disclosure(&input, &key, at, &mut || [7; 32])
                    .unwrap();
                (p, &key)
            })
            .collect();
        batch.push_many(pending, at).unwrap()
    };
    let first = push(&mut batch, 300);
    assert!(
        batch.flush_in_background().unwrap().is_empty(),
        "nothing was durable before"
    );
    let second = push(&mut batch, 5);
    let durable = batch.flush_in_background().unwrap();
    assert_eq!(
        durable, first,
        "the first chunk is handed back once written"
    );
    assert_eq!(stored(), before + 300);
    let rest = batch.commit().unwrap();
    assert_eq!(rest, second);
    assert_eq!(stored(), before + 305);
    let seqs: Vec<u64> = first.iter().chain(&second).map(|r| r.seq.0).collect();
    assert_eq!(seqs, (before..before + 305).collect::<Vec<_>>());

    assert_intact(&path, before + 305);
}

/// A bulk import shows the flags its disclosures raise — the same flags, on the same entries,
/// as `verify` then reports — and exits 1, as `disclose` does.
#[test]
fn a_bulk_import_shows_the_flags_it_records_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = common::sample_v2_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let before = {
        let store = disclosure_ledger::store::Store::open(
            &ledger,
            disclosure_ledger::store::Access::ReadOnly,
        )
        .unwrap();
        store.len().unwrap()
    };
    let file = dir.path().join("in.jsonl");
    // One routine disclosure about a company not of mutual interest (a high flag), recorded
    // long after it was made (late-record); one about a company of mutual interest.
    fs::write(
        &file,
        format!(
            "{}\n{}\n",
            line("quietforum", "2025-12-20"),
            line("brightloop", "2025-12-20")
        ),
    )
    .unwrap();
    let out = import(&ledger, &file, &keys.join("ofcom-2024.key"));
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("not-mutual-interest (high"), "{text}");
    assert!(
        text.contains(&format!(
            "Recorded 2 disclosures as entries #{before} to #{} in 1 durable commit ",
            before + 1
        )),
        "{text}"
    );
    let verify = Command::cargo_bin("dledger")
        .unwrap()
        .arg("verify")
        .arg(&ledger)
        .arg("--json")
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap();
    let from_verify: Vec<String> = report["policy"]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["seq"].as_u64().unwrap() >= before)
        .map(|f| {
            format!(
                "{}: {}",
                f["code"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(!from_verify.is_empty());
    for flag in &from_verify {
        let (code, message) = flag.split_once(": ").unwrap();
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with(code) && l.ends_with(message)),
            "the import did not show {flag:?}:\n{text}"
        );
    }
    let shown = text
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains(" ("))
        .count();
    assert_eq!(shown, from_verify.len(), "{text}");
}
