//! Flag dispositions (issue 15): a party to a flagged disclosure records what it did about the
//! flag; `verify` shows disposed flags apart and leaves them out of the exit code unless asked;
//! an escalated flag stays open; a disposition the rules refuse, or of a flag not raised, writes
//! nothing; a disposition whose flag is no longer raised is still shown.

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use disclosure_ledger::model::Timestamp;

struct World {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    ledger: PathBuf,
    keys: PathBuf,
}

fn dledger(w: &World, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("dledger")
        .unwrap()
        .current_dir(&w.dir)
        .env_remove("DLEDGER_LEDGER")
        .arg("-l")
        .arg(&w.ledger)
        .args(args)
        .output()
        .unwrap()
}

fn ok(w: &World, args: &[&str]) -> String {
    let out = dledger(w, args);
    let text = common::output_text(&out);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "dledger {}: {text}",
        args.join(" ")
    );
    text
}

fn key(w: &World, name: &str) -> String {
    w.keys
        .join(format!("{name}.key"))
        .to_string_lossy()
        .into_owned()
}

fn digest(path: &Path) -> [u8; 32] {
    disclosure_ledger::hash::sha256(&std::fs::read(path).unwrap())
}

/// A new ICO–Ofcom ledger (three parties in the genesis: the CMA takes no part in the default
/// policy) with brightloop of mutual interest and one Ofcom → ICO meeting recorded a week after
/// it happened: its only flag is `late-record`.
fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let keys = common::demo_keys_in(&path);
    let ledger = path.join("l.ledger");
    let w = World {
        _dir: dir,
        dir: path,
        ledger,
        keys,
    };
    let vkey = |n: &str| format!("{}", w.keys.join(format!("{n}.vkey")).display());
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .args([
            "init",
            w.ledger.to_str().unwrap(),
            "--origin",
            "test.example/l",
        ])
        .args(["--party", &format!("ICO={}", vkey("ico-2024"))])
        .args(["--party", &format!("OFCOM={}", vkey("ofcom-2024"))])
        .args(["--party", &format!("CMA={}", vkey("cma-2024"))])
        .args(["--key", &key(&w, "ico-2024")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::output_text(&out));
    ok(
        &w,
        &[
            "company",
            "propose",
            "brightloop",
            "--name",
            "BrightLoop Social Ltd",
            "--rationale",
            "open inquiry",
            "--with",
            "ICO",
            "--key",
            &key(&w, "ofcom-2024"),
        ],
    );
    ok(
        &w,
        &[
            "company",
            "confirm",
            "brightloop",
            "--key",
            &key(&w, "ico-2024"),
            "--effective",
            &Timestamp::now().plus_seconds(-30 * 86_400).to_string(),
        ],
    );
    let text = ok(
        &w,
        &[
            "disclose",
            "--key",
            &key(&w, "ofcom-2024"),
            "--from",
            "OFCOM",
            "--to",
            "ICO",
            "--at",
            &Timestamp::now().plus_seconds(-7 * 86_400).to_string(),
            "--gateway",
            "Communications Act 2003 s393(2)(a)",
            "--category",
            "stakeholder-meeting",
            "--company",
            "brightloop",
            "--field",
            "meeting_date=2026-11-20",
            "--skipped",
            "--relevance",
            "limb",
            "--officer-role",
            "Online Safety supervision team",
        ],
    );
    assert!(text.contains("late-record"), "{text}");
    ok(&w, &["ack", "3", "--key", &key(&w, "ico-2024")]);
    w
}

/// `dledger flag dispose SEQ CODE --action ACTION --note NOTE --role ROLE --key SIGNER` and
/// `extra`.
fn dispose(
    w: &World,
    target: (&str, &str),
    action: &str,
    (note, role): (&str, &str),
    signer: &str,
    extra: &[&str],
) -> std::process::Output {
    let k = key(w, signer);
    let mut args = vec![
        "flag", "dispose", target.0, target.1, "--action", action, "--note", note, "--role", role,
        "--key", &k,
    ];
    args.extend_from_slice(extra);
    dledger(w, &args)
}

fn verify(w: &World, extra: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("verify")
        .arg(&w.ledger)
        .args(extra)
        .output()
        .unwrap();
    (out.status.code().unwrap(), common::output_text(&out))
}

#[test]
fn a_disposed_flag_is_shown_apart_and_leaves_the_exit_code_unless_asked() {
    let w = world();
    let (code, text) = verify(&w, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("late-record"), "{text}");

    let out = dispose(
        &w,
        ("3", "late-record"),
        "reviewed-no-action",
        (
            "recorded after the officer's leave; nothing was lost",
            "Compliance lead",
        ),
        "ico-2024",
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));

    let (code, text) = verify(&w, &[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("Policy: no open flags. 1 flag raised"),
        "{text}"
    );
    assert!(
        text.contains("reviewed-no-action — ICO (Compliance lead) at #5"),
        "{text}"
    );
    let (code, _) = verify(&w, &["--include-disposed"]);
    assert_eq!(code, 1);
    let (_, json) = verify(&w, &["--json"]);
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(report["policy"]["flags"].as_array().unwrap().len(), 0);
    let disposed = &report["policy"]["disposed"][0];
    assert_eq!(disposed["flag"]["code"], "late-record");
    assert_eq!(disposed["disposition"]["action"], "reviewed-no-action");
    assert_eq!(disposed["disposition"]["party"], "ICO");
}

#[test]
fn an_escalated_flag_stays_open() {
    let w = world();
    let out = dispose(
        &w,
        ("3", "late-record"),
        "escalated",
        ("for the Director", "Compliance officer"),
        "ofcom-2024",
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));
    let (code, text) = verify(&w, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("(escalated at #5 by OFCOM)"), "{text}");
}

#[test]
fn refused_dispositions_write_nothing() {
    let w = world();
    let before = digest(&w.ledger);
    let cases: [(&[&str], &str, &str); 5] = [
        // A flag the entry does not raise.
        (
            &["3", "unacknowledged", "--action", "reviewed-no-action"],
            "ico-2024",
            "does not raise unacknowledged (as verify judges it now) — it raises late-record",
        ),
        // An entry the ledger does not hold.
        (
            &["99", "late-record", "--action", "reviewed-no-action"],
            "ico-2024",
            "#99 is not in the ledger (its entries are #0 to #4)",
        ),
        // Not a flag code.
        (
            &["3", "late-recrod", "--action", "reviewed-no-action"],
            "ico-2024",
            "is not a flag code",
        ),
        // The CMA is not a party to the disclosure.
        (
            &["3", "late-record", "--action", "accepted-exception"],
            "cma-2024",
            "a disclosure it is not a party to (rule disposition-by-party)",
        ),
        // Remediated, without the correction.
        (
            &["3", "late-record", "--action", "remediated"],
            "ofcom-2024",
            "without naming the correction that put it right (rule disposition-remedy)",
        ),
    ];
    for (args, signer, expect) in cases {
        let k = key(&w, signer);
        let mut all: Vec<&str> = vec!["flag", "dispose"];
        all.extend_from_slice(args);
        all.extend(["--note", "n", "--role", "r", "--key", &k]);
        let out = dledger(&w, &all);
        let text = common::output_text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {text}");
        assert!(text.contains(expect), "{args:?}: {text}");
        assert_eq!(before, digest(&w.ledger), "{args:?} changed the ledger");
    }
    // A dry run of a valid one writes nothing either.
    let out = dispose(
        &w,
        ("3", "late-record"),
        "accepted-exception",
        ("n", "r"),
        "ico-2024",
        &["--dry-run"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));
    assert_eq!(before, digest(&w.ledger));
}

#[test]
fn remediated_names_the_correction_that_put_it_right() {
    let w = world();
    // Ofcom shares a meeting's agenda, which §5 does not list for meetings (#5), then corrects
    // it without the agenda (#6).
    let meeting = |agenda: bool| {
        format!(
            r#"{{"from":"OFCOM","to":"ICO","disclosed_at":"{}","gateway":"Communications Act 2003 s393(2)(a)","category":"stakeholder-meeting","companies":["brightloop"],"fields":{{"meeting_date":"2026-11-30"{}}},"notification":"skipped","relevance":"limb","officer_role":"Online Safety supervision team"}}"#,
            Timestamp::now().plus_seconds(-3600),
            if agenda {
                r#","agenda":"age checks""#
            } else {
                ""
            }
        )
    };
    let first = w.dir.join("first.json");
    std::fs::write(&first, meeting(true)).unwrap();
    let text = ok(
        &w,
        &[
            "disclose",
            "--from-json",
            first.to_str().unwrap(),
            "--key",
            &key(&w, "ofcom-2024"),
        ],
    );
    assert!(
        text.contains("entry #5") && text.contains("field-outside-category"),
        "{text}"
    );
    let fixed = w.dir.join("fixed.json");
    std::fs::write(&fixed, meeting(false)).unwrap();
    ok(
        &w,
        &[
            "correct",
            "5",
            "--reason",
            "the agenda should not have been shared",
            "--replacement-json",
            fixed.to_str().unwrap(),
            "--key",
            &key(&w, "ofcom-2024"),
        ],
    );
    let remediate = |correction: &str| {
        dispose(
            &w,
            ("5", "field-outside-category"),
            "remediated",
            ("agenda withdrawn", "Compliance officer"),
            "ofcom-2024",
            &["--correction", correction],
        )
    };
    // Naming an entry that is not a correction of #5 is refused, and writes nothing.
    let before = digest(&w.ledger);
    let out = remediate("4");
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("rule disposition-remedy"), "{text}");
    assert_eq!(before, digest(&w.ledger));
    // The correction itself is accepted; verify says so with the replaced flag.
    let out = remediate("6");
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));
    let (_, text) = verify(&w, &[]);
    assert!(
        text.contains(
            "(replaced by #6); remediated by correction #6 — OFCOM (Compliance officer) at #7"
        ),
        "{text}"
    );
}

/// Evidence bundles carry the target's flag dispositions (issue 15): the bundle verifies
/// offline, lists the disposition by its role, and its summary says what was done.
#[test]
fn evidence_bundles_include_the_dispositions_of_the_targets_flags() {
    let w = world();
    let out = dispose(
        &w,
        ("3", "late-record"),
        "accepted-exception",
        ("recorded late by agreement", "Compliance lead"),
        "ico-2024",
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));
    ok(
        &w,
        &["checkpoint", "--key", &key(&w, "ico-2024"), "-o", "cp.note"],
    );
    ok(&w, &["cosign", "cp.note", "--key", &key(&w, "ofcom-2024")]);
    ok(&w, &["evidence", "3", "-o", "bundle"]);
    let manifest = std::fs::read_to_string(w.dir.join("bundle/manifest.json")).unwrap();
    assert!(manifest.contains("\"role\": \"disposition\""), "{manifest}");
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .current_dir(&w.dir)
        .args(["verify-evidence", "bundle", "--trust"])
        .arg(&w.keys)
        .output()
        .unwrap();
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("1 flag disposition"), "{text}");
    assert!(
        text.contains("flag late-record accepted-exception. Note: recorded late by agreement"),
        "{text}"
    );
}

/// A decision not to disclose is on the record too (issue 15, statement §4): `dledger refuse`
/// records it with its assessment; it raises no flag, `review` counts it, and a refusal the
/// rules refuse writes nothing.
#[test]
fn a_refusal_to_disclose_is_recorded_and_counted() {
    let w = world();
    let at = Timestamp::now().plus_seconds(-3600).to_string();
    let refuse = |signer: &str, to: &str, company: &str, reasoning: &str| {
        dledger(
            &w,
            &[
                "refuse",
                "--key",
                &key(&w, signer),
                "--to",
                to,
                "--at",
                &at,
                "--company",
                company,
                "--assessment",
                "CBC-2026-031",
                "--approver",
                "Head of Regulatory Supervision",
                "--reasoning",
                reasoning,
                "--officer-role",
                "Regulatory Supervision",
            ],
        )
    };
    let before = digest(&w.ledger);
    for (signer, to, company, reasoning, expect) in [
        ("ico-2024", "ICO", "brightloop", "prejudice", "ICO"),
        ("ico-2024", "OFCOM", "nobody-ltd", "prejudice", "nobody-ltd"),
        ("ico-2024", "OFCOM", "brightloop", " ", "rule refusal-parts"),
    ] {
        let out = refuse(signer, to, company, reasoning);
        let text = common::output_text(&out);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(text.contains(expect), "{text}");
        assert_eq!(
            before,
            digest(&w.ledger),
            "a refused refusal changed the ledger"
        );
    }
    let out = refuse(
        "ico-2024",
        "OFCOM",
        "brightloop",
        "would prejudice an ongoing investigation",
    );
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("Recorded the refusal as entry #5"), "{text}");
    let (code, text) = verify(&w, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("1 refusal"), "{text}");
    let out = dledger(&w, &["show", "5"]);
    let shown = common::output_text(&out);
    assert!(shown.contains("CBC-2026-031"), "{shown}");
    let out = dledger(&w, &["review", "--format", "json"]);
    let review: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(review["total"]["stats"]["refusals"], 1, "{review}");
}
