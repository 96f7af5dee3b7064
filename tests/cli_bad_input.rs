//! Every kind of bad input gets a clear error, a non-zero exit and leaves the ledger
//! byte-for-byte unchanged. Each row names its case; a failing row names itself.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// A valid Ofcom → ICO information-request disclosure made an hour ago, as flags. It raises
/// no policy flag, so the command exits 0.
fn valid_disclosure(keys: &Path) -> Vec<String> {
    let an_hour_ago = disclosure_ledger::model::Timestamp::now()
        .plus_seconds(-3600)
        .to_string();
    let mut args: Vec<String> = [
        "disclose",
        "--key",
        keys.join("ofcom-2024.key").to_str().unwrap(),
        "--from",
        "OFCOM",
        "--to",
        "ICO",
        "--at",
        "AT",
        "--gateway",
        "Communications Act 2003 s393(2)(a)",
        "--category",
        "information-request",
        "--company",
        "brightloop",
        "--field",
        "request_date=2025-06-01",
        "--field",
        "response_deadline=2025-06-20",
        "--skipped",
        "routine disclosure (statement §4)",
        "--relevance",
        "relevant to online safety",
        "--officer-role",
        "Online Safety supervision team",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let i = args.iter().position(|a| a == "AT").unwrap();
    args[i] = an_hour_ago;
    args
}

/// Replaces the value after `flag` (or removes flag and value when `value` is None).
fn with(mut args: Vec<String>, flag: &str, value: Option<&str>) -> Vec<String> {
    let i = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("no {flag}"));
    match value {
        Some(v) => args[i + 1] = v.to_owned(),
        None => {
            args.drain(i..i + 2);
        }
    }
    args
}

/// SHA-256 of a file's bytes (compared instead of the bytes, to keep failure output short).
fn digest(path: &Path) -> [u8; 32] {
    disclosure_ledger::hash::sha256(&fs::read(path).unwrap())
}

fn dledger(ledger: &Path, args: &[String]) -> std::process::Output {
    Command::cargo_bin("dledger")
        .unwrap()
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn valid_disclosure_is_recorded_and_dry_run_writes_nothing() {
    let s = common::sandbox();
    let before = digest(&s.ledger);
    let mut dry = valid_disclosure(&s.keys);
    dry.push("--dry-run".into());
    let out = dledger(&s.ledger, &dry);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Dry run"));
    assert_eq!(before, digest(&s.ledger), "dry run changed the ledger");

    let out = dledger(&s.ledger, &valid_disclosure(&s.keys));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Recorded the disclosure as entry #"),
        "{stdout}"
    );
    let verify = Command::cargo_bin("dledger")
        .unwrap()
        .arg("verify")
        .arg(&s.ledger)
        .output()
        .unwrap();
    assert_eq!(
        verify.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

/// A value shared as a field named like one of the disclosure's options (issue 16): the field
/// is recorded as a field, and `disclose` says which option records it as part of the
/// disclosure. An ordinary field draws no warning.
#[test]
fn a_field_named_like_an_option_is_warned_about() {
    let s = common::sandbox();
    let mut args = valid_disclosure(&s.keys);
    args.extend(["--field".into(), "source_reference=press release".into()]);
    args.push("--dry-run".into());
    let out = dledger(&s.ledger, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.code().unwrap() <= 1, "{stderr}");
    assert!(
        stderr.contains("warning: field source_reference") && stderr.contains("--public-source"),
        "{stderr}"
    );
    let mut plain = valid_disclosure(&s.keys);
    plain.push("--dry-run".into());
    let out = dledger(&s.ledger, &plain);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("warning:"), "{stderr}");
}

#[test]
fn bad_disclosures_are_refused_and_write_nothing() {
    let s = common::sandbox();
    let k = |name: &str| s.keys.join(name).to_str().unwrap().to_owned();
    let not_a_key = s.dir.join("notes.txt");
    fs::write(&not_a_key, "meeting notes, not a key\n").unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut fs::metadata(&not_a_key).unwrap().permissions(),
        0o600,
    );
    fs::set_permissions(
        &not_a_key,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let open_key = s.dir.join("open.key");
    fs::copy(s.keys.join("ofcom-2024.key"), &open_key).unwrap();
    fs::set_permissions(
        &open_key,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let json = |name: &str, text: &str| {
        let p = s.dir.join(name);
        fs::write(&p, text).unwrap();
        vec![
            "disclose".to_owned(),
            "--key".into(),
            k("ofcom-2024.key"),
            "--from-json".into(),
            p.to_str().unwrap().to_owned(),
        ]
    };
    let base = valid_disclosure(&s.keys);
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "unknown party",
            with(base.clone(), "--to", Some("FCA")),
            "FCA is not a party to this ledger",
        ),
        (
            "malformed party",
            with(base.clone(), "--to", Some("ico")),
            "party id \"ico\" is not valid",
        ),
        (
            "unknown company",
            with(base.clone(), "--company", Some("megacorp")),
            "company megacorp is not in the ledger",
        ),
        (
            "company renamed",
            with(
                base.clone(),
                "--company",
                Some("brightloop=Bright Loop Inc"),
            ),
            "already recorded as",
        ),
        (
            "unparseable date",
            with(base.clone(), "--at", Some("3rd March")),
            "is not a date or time",
        ),
        (
            "impossible date",
            with(base.clone(), "--at", Some("2024-02-30")),
            "is not a date or time",
        ),
        (
            "future date",
            with(base.clone(), "--at", Some("2099-01-01")),
            "in the future",
        ),
        (
            "missing gateway",
            with(base.clone(), "--gateway", None),
            "no gateway given",
        ),
        (
            "gateway does not parse",
            with(base.clone(), "--gateway", Some("section 393 of the Act")),
            "does not parse",
        ),
        (
            "wrong key for party",
            with(base.clone(), "--key", Some(&k("ico-2025.key"))),
            "is not a key of OFCOM",
        ),
        (
            "revoked key",
            with(base.clone(), "--key", Some(&k("ofcom-ops-2024.key"))),
            "rotated or revoked",
        ),
        (
            "key file not a key",
            with(base.clone(), "--key", Some(not_a_key.to_str().unwrap())),
            "is not a private key",
        ),
        (
            "key readable by others",
            with(base.clone(), "--key", Some(open_key.to_str().unwrap())),
            "chmod 600",
        ),
        (
            "key file missing",
            with(base.clone(), "--key", Some("/nonexistent/x.key")),
            "cannot read key file",
        ),
        (
            "unknown category",
            with(base.clone(), "--category", Some("gossip")),
            "[possible values: information-request, stakeholder-meeting",
        ),
        (
            "same party",
            with(base.clone(), "--to", Some("OFCOM")),
            "both are OFCOM",
        ),
        (
            "json unknown field",
            json(
                "u.json",
                r#"{"from":"OFCOM","to":"ICO","disclosed_at":"2025-06-03","gateway":"Communications Act 2003 s393(2)(a)","category":"theme-only","themes":["age-assurance"],"notification":"notified","officer_role":"x","colour":"red"}"#,
            ),
            "unknown field `colour`",
        ),
        (
            "json missing field",
            json(
                "m.json",
                r#"{"from":"OFCOM","to":"ICO","disclosed_at":"2025-06-03","gateway":"Communications Act 2003 s393(2)(a)","category":"theme-only","themes":["age-assurance"],"notification":"notified"}"#,
            ),
            "missing field `officer_role`",
        ),
        (
            "json not json",
            json("n.json", "from: OFCOM"),
            "not in the expected form",
        ),
        (
            "theme-only naming a company",
            json(
                "t.json",
                r#"{"from":"OFCOM","to":"ICO","disclosed_at":"2025-06-03","gateway":"Communications Act 2003 s393(2)(a)","category":"theme-only","themes":["age-assurance"],"companies":["brightloop"],"notification":"notified","officer_role":"x"}"#,
            ),
            "cannot name a company",
        ),
    ];
    let before = digest(&s.ledger);
    for (name, args, expect) in cases {
        let out = dledger(&s.ledger, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{name}: exit code; stderr: {stderr}"
        );
        assert!(
            stderr.contains(expect),
            "{name}: expected {expect:?} in:\n{stderr}"
        );
        assert_eq!(before, digest(&s.ledger), "{name}: the ledger changed");
    }
}

#[test]
fn bad_ledger_paths() {
    let s = common::sandbox();
    let not_ledger = s.dir.join("notes.txt");
    fs::write(
        &not_ledger,
        "not a database at all, just some text that is long enough ".repeat(100),
    )
    .unwrap();
    let empty = s.dir.join("empty.ledger");
    fs::write(&empty, "").unwrap();
    let other_db = s.dir.join("other.redb");
    {
        let db = redb::Database::create(&other_db).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn
                .open_table(redb::TableDefinition::<u64, u64>::new("numbers"))
                .unwrap();
            t.insert(1, 2).unwrap();
        }
        txn.commit().unwrap();
    }
    let cases: Vec<(&str, PathBuf, &str)> = vec![
        (
            "does not exist",
            s.dir.join("missing.ledger"),
            "the file does not exist",
        ),
        ("is a directory", s.dir.clone(), "is a directory"),
        ("not a ledger", not_ledger, "is not a disclosure ledger"),
        ("empty file", empty, "is not a disclosure ledger"),
        (
            "another redb database",
            other_db,
            "is not a disclosure ledger",
        ),
    ];
    for (name, path, expect) in cases {
        let before = fs::read(&path)
            .ok()
            .map(|b| disclosure_ledger::hash::sha256(&b));
        for args in [
            vec!["verify".to_owned(), path.to_str().unwrap().to_owned()],
            valid_disclosure(&s.keys),
        ] {
            let out = dledger(&path, &args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name} ({}): {stderr}", args[0]);
            assert!(
                stderr.contains(expect),
                "{name} ({}): expected {expect:?} in:\n{stderr}",
                args[0]
            );
            assert_eq!(
                before,
                fs::read(&path)
                    .ok()
                    .map(|b| disclosure_ledger::hash::sha256(&b)),
                "{name}: the file changed"
            );
        }
    }
}

/// A theme the ledger has never declared is not refused (themes are illustrative and added to
/// over time, statement §2 and §6): the disclosure is recorded, a warning names the declared
/// themes, and the flag theme-not-in-force is raised for review (exit 1).
#[test]
fn an_undeclared_theme_is_recorded_with_a_warning_and_a_flag() {
    let s = common::sandbox();
    let mut args = valid_disclosure(&s.keys);
    let i = args.iter().position(|a| a == "--category").unwrap();
    args[i + 1] = "stakeholder-meeting".into();
    args.retain(|a| !a.starts_with("request_date") && !a.starts_with("response_deadline"));
    while let Some(i) = args.iter().position(|a| a == "--field") {
        args.drain(i..i + 1);
    }
    args.extend(
        [
            "--theme",
            "crypto-assets",
            "--field",
            "meeting_date=2025-06-01",
        ]
        .map(String::from),
    );
    let before = digest(&s.ledger);
    let out = dledger(&s.ledger, &args);
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("warning: theme crypto-assets has not been declared in this ledger (declared: age-assurance"),
        "{text}"
    );
    assert!(text.contains("theme-not-in-force"), "{text}");
    assert_ne!(before, digest(&s.ledger), "the disclosure was recorded");
}

#[test]
fn locked_ledger() {
    let s = common::sandbox();
    let holder = disclosure_ledger::store::Store::open(
        &s.ledger,
        disclosure_ledger::store::Access::ReadWrite,
    )
    .unwrap();
    let out = dledger(&s.ledger, &valid_disclosure(&s.keys));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is locked by another dledger process"),
        "{stderr}"
    );
    drop(holder);
    let out = dledger(&s.ledger, &valid_disclosure(&s.keys));
    assert!(
        out.status.success(),
        "after release: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The library says what is wrong; the command line adds what to type about it, on a line of
/// its own.
#[test]
fn refusals_come_with_command_line_advice() {
    let s = common::sandbox();
    let k = |name: &str| s.keys.join(name).to_str().unwrap().to_owned();
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let cases: Vec<(&str, Vec<String>, &str, &str)> = vec![
        (
            "unknown company",
            with(valid_disclosure(&s.keys), "--company", Some("megacorp")),
            "error: company megacorp is not in the ledger\n",
            "hint: check the id with `dledger list --companies`, or introduce it with its name \
             as --company \"megacorp=Company Name Ltd\"\n",
        ),
        (
            "reference to no entry",
            args(&["ack", "99999", "--key", &k("ico-2024.key")]),
            "error: #99999 does not exist\n",
            "hint: check the number with `dledger list`\n",
        ),
        (
            "retiring a theme not in force",
            args(&[
                "theme",
                "retire",
                "no-such-theme",
                "--reason",
                "r",
                "--key",
                &k("ico-2024.key"),
            ]),
            "error: theme no-such-theme is not in force, so it cannot be retired\n",
            "hint: see `dledger list --themes`\n",
        ),
    ];
    let before = digest(&s.ledger);
    for (name, args, error, hint) in cases {
        let out = dledger(&s.ledger, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(error) && stderr.contains(hint),
            "{name}: expected {error:?} then {hint:?} in:\n{stderr}"
        );
        assert_eq!(before, digest(&s.ledger), "{name}: the ledger changed");
    }
}
