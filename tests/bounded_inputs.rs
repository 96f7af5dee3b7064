//! Issue 13, item 8: inputs are bounded and typed. Each test is written as the attack: a FIFO,
//! a directory or an oversized (sparse) file handed to every command that reads a file; dates
//! at and beyond the accepted range; a field value one byte over its limit; an entry over the
//! 65,535-byte limit. Each is refused with exit 2 and a clear message, promptly (a FIFO is
//! never opened, so nothing can hang), and the ledger is left byte-for-byte unchanged.

mod common;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use disclosure_ledger::codec::MAX_ENTRY_BYTES;
use disclosure_ledger::files;
use disclosure_ledger::input::{MAX_FIELD_VALUE_BYTES, MAX_FIELDS};

/// Runs dledger with `args` against `ledger`; returns exit code, stderr and the time taken.
fn run(ledger: &Path, args: &[String]) -> (i32, String, Duration) {
    let started = Instant::now();
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("-l")
        .arg(ledger)
        .args(args)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

#[derive(Clone, Copy, Debug)]
enum Attack {
    Fifo,
    Directory,
    Oversized,
}

/// Plants the attack at `path`; `limit` is the documented limit for that kind of file.
fn plant(path: &Path, attack: Attack, limit: u64) {
    match attack {
        Attack::Fifo => {
            let ok = std::process::Command::new("mkfifo")
                .arg(path)
                .status()
                .unwrap()
                .success();
            assert!(ok, "mkfifo failed");
        }
        Attack::Directory => fs::create_dir(path).unwrap(),
        Attack::Oversized => {
            // Sparse: larger than the limit without writing any data.
            fs::File::create(path).unwrap().set_len(limit + 1).unwrap();
        }
    }
}

fn expected_words(attack: Attack) -> &'static str {
    match attack {
        Attack::Fifo => "FIFO",
        Attack::Directory => "directory",
        Attack::Oversized => "-byte limit",
    }
}

#[test]
fn every_file_input_refuses_fifos_directories_and_oversized_files() {
    let s0 = common::sandbox();
    let key = s(&s0.keys.join("ofcom-2024.key"));
    let vkey = s(&s0.keys.join("ico-2024.vkey"));
    // (name, limit, args given the planted path)
    type Args = Box<dyn Fn(&str, &Path) -> Vec<String>>;
    let key2 = key.clone();
    let key3 = key.clone();
    let key4 = key.clone();
    let key5 = key.clone();
    let key6 = key.clone();
    let key7 = key.clone();
    let vkey2 = vkey.clone();
    let cases: Vec<(&str, u64, Args)> = vec![
        (
            "policy adopt FILE",
            files::POLICY_FILE_LIMIT,
            Box::new(move |p, _| {
                vec![
                    "policy".into(),
                    "adopt".into(),
                    p.into(),
                    "--key".into(),
                    key.clone(),
                ]
            }),
        ),
        (
            "disclose --from-json",
            files::DISCLOSURE_JSON_LIMIT,
            Box::new(move |p, _| {
                vec![
                    "disclose".into(),
                    "--key".into(),
                    key2.clone(),
                    "--from-json".into(),
                    p.into(),
                ]
            }),
        ),
        (
            "correct --replacement-json",
            files::DISCLOSURE_JSON_LIMIT,
            Box::new(move |p, _| {
                vec![
                    "correct".into(),
                    "5".into(),
                    "--key".into(),
                    key3.clone(),
                    "--reason".into(),
                    "typo".into(),
                    "--replacement-json".into(),
                    p.into(),
                ]
            }),
        ),
        (
            "a private key (--key)",
            files::KEY_FILE_LIMIT,
            Box::new(|p, _| vec!["checkpoint".into(), "--key".into(), p.into()]),
        ),
        (
            "cosign NOTE",
            files::NOTE_FILE_LIMIT,
            Box::new(move |p, _| vec!["cosign".into(), p.into(), "--key".into(), key4.clone()]),
        ),
        (
            "import FILE --key (JSON Lines)",
            files::BULK_FILE_LIMIT,
            Box::new(move |p, _| vec!["import".into(), p.into(), "--key".into(), key5.clone()]),
        ),
        (
            "import EXPORT NEW",
            files::EXPORT_FILE_LIMIT,
            Box::new(|p, dir| vec!["import".into(), p.into(), s(&dir.join("new.ledger"))]),
        ),
        (
            "init --policy",
            files::POLICY_FILE_LIMIT,
            Box::new(move |p, dir| {
                vec![
                    "init".into(),
                    s(&dir.join("new.ledger")),
                    "--origin".into(),
                    "test.example/x".into(),
                    "--party".into(),
                    format!("ICO={vkey}"),
                    "--key".into(),
                    key6.clone(),
                    "--policy".into(),
                    p.into(),
                ]
            }),
        ),
        (
            "init --party ID=VKEY",
            files::KEY_FILE_LIMIT,
            Box::new(move |p, dir| {
                vec![
                    "init".into(),
                    s(&dir.join("new.ledger")),
                    "--origin".into(),
                    "test.example/x".into(),
                    "--party".into(),
                    format!("ICO={p}"),
                    "--party".into(),
                    format!("OFCOM={vkey2}"),
                    "--key".into(),
                    key7.clone(),
                ]
            }),
        ),
    ];
    let before = fs::read(&s0.ledger).unwrap();
    for (i, (name, limit, args)) in cases.iter().enumerate() {
        for attack in [Attack::Fifo, Attack::Directory, Attack::Oversized] {
            let case_dir = s0.dir.join(format!("case-{i}-{attack:?}"));
            fs::create_dir(&case_dir).unwrap();
            let planted = case_dir.join("input.jsonl");
            plant(&planted, attack, *limit);
            let (code, err, took) = run(&s0.ledger, &args(&s(&planted), &case_dir));
            assert_eq!(code, 2, "{name} / {attack:?}: exit {code}: {err}");
            assert!(
                err.contains(expected_words(attack)),
                "{name} / {attack:?}: message does not say what is wrong: {err}"
            );
            assert!(
                took < Duration::from_secs(20),
                "{name} / {attack:?}: took {took:?}"
            );
            assert!(
                fs::read(&s0.ledger).unwrap() == before,
                "{name} / {attack:?}: ledger changed"
            );
            assert!(
                !case_dir.join("new.ledger").exists(),
                "{name} / {attack:?}: a new ledger was left behind"
            );
        }
    }
}

#[test]
fn a_line_longer_than_the_bulk_line_limit_is_refused() {
    let s0 = common::sandbox();
    let input = s0.dir.join("bulk.jsonl");
    fs::write(
        &input,
        "x".repeat(files::BULK_LINE_LIMIT as usize + 1) + "\n",
    )
    .unwrap();
    let before = fs::read(&s0.ledger).unwrap();
    let key = s(&s0.keys.join("ofcom-2024.key"));
    let (code, err, _) = run(
        &s0.ledger,
        &["import".into(), s(&input), "--key".into(), key],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("line 1") && err.contains("-byte limit"),
        "{err}"
    );
    assert!(fs::read(&s0.ledger).unwrap() == before, "ledger changed");
}

/// A valid disclosure as flags, dated `at`, with extra `--field`s.
fn disclose_args(keys: &Path, at: &str, fields: &[String]) -> Vec<String> {
    let mut args: Vec<String> = [
        "disclose",
        "--key",
        keys.join("ofcom-2024.key").to_str().unwrap(),
        "--from",
        "OFCOM",
        "--to",
        "ICO",
        &format!("--at={at}"),
        "--gateway",
        "Communications Act 2003 s393(2)(a)",
        "--category",
        "information-request",
        "--company",
        "brightloop",
        "--theme",
        "age-assurance",
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
    for f in fields {
        args.push("--field".into());
        args.push(f.clone());
    }
    args
}

/// Command-line arguments given the value under test.
type FlagArgs<'a> = Box<dyn Fn(&str) -> Vec<String> + 'a>;

#[test]
fn dates_at_and_beyond_the_accepted_range_never_panic() {
    // (value, accepted?) — accepted means it parses; the command may still refuse it for other
    // reasons (a disclosure in the future), but never with a panic.
    let table: &[(&str, bool)] = &[
        ("0001-01-01", true),
        ("0001-01-01T00:00:00Z", true),
        ("0000-12-31", false),
        ("0000-01-01", false),
        ("-9999-01-01", false),
        ("-009999-01-01T00:00:00Z", false),
        ("9998-12-31", true),
        ("9998-12-31T23:59:59Z", true),
        ("9999-01-01", false),
        ("9999-12-31", false),
        ("9999-12-31T23:59:59Z", false),
        ("10000-01-01", false),
        ("+10000-01-01T00:00:00Z", false),
        ("2024-02-30", false),
        ("2016-12-31T23:59:60Z", true),
        ("2024-03-03T14:30:00+25:59", true),
        ("2024-03-03T14:30:00+26:00", false),
        ("9998-12-31T23:59:59-25:59", false),
        ("0001-01-01T00:00:00+25:59", false),
        ("", false),
        ("x", false),
    ];
    for &(value, ok) in table {
        assert_eq!(
            disclosure_ledger::model::Timestamp::parse(value).is_ok(),
            ok,
            "Timestamp::parse({value:?})"
        );
    }
    let s0 = common::sandbox();
    let before = fs::read(&s0.ledger).unwrap();
    let flag_cases: Vec<(&str, FlagArgs)> = vec![
        (
            "verify --as-of",
            Box::new(|v| vec!["verify".into(), format!("--as-of={v}")]),
        ),
        (
            "verify --since",
            Box::new(|v| vec!["verify".into(), format!("--since={v}")]),
        ),
        (
            "verify --until",
            Box::new(|v| vec!["verify".into(), format!("--until={v}")]),
        ),
        (
            "review --from",
            Box::new(|v| vec!["review".into(), format!("--from={v}")]),
        ),
        (
            "review --to",
            Box::new(|v| vec!["review".into(), format!("--to={v}")]),
        ),
        (
            "review --as-of",
            Box::new(|v| vec!["review".into(), format!("--as-of={v}")]),
        ),
        (
            "list --from",
            Box::new(|v| vec!["list".into(), format!("--from={v}")]),
        ),
        (
            "list --to",
            Box::new(|v| vec!["list".into(), format!("--to={v}")]),
        ),
        (
            "policy show --at",
            Box::new(|v| vec!["policy".into(), "show".into(), format!("--at={v}")]),
        ),
    ];
    let mut tried = 0;
    for (name, args) in &flag_cases {
        for &(value, _) in table {
            let (code, err, _) = run(&s0.ledger, &args(value));
            assert!(
                code == 0 || code == 1 || code == 2,
                "{name} {value:?}: exit {code}: {err}"
            );
            assert!(!err.contains("panicked"), "{name} {value:?}: {err}");
            tried += 1;
        }
    }
    assert!(tried > 100);
    // The writers: --at, --received-at, --effective, vault erase --before. Out-of-range values
    // are refused naming the range; nothing is written.
    let work = s0.dir.join("w.ledger");
    fs::copy(&s0.ledger, &work).unwrap();
    let keys = &s0.keys;
    let writer_cases: Vec<(&str, FlagArgs)> = vec![
        ("disclose --at", Box::new(|v| disclose_args(keys, v, &[]))),
        (
            "ack --received-at",
            Box::new(|v| {
                vec![
                    "ack".into(),
                    "5".into(),
                    "--key".into(),
                    s(&keys.join("ico-2025.key")),
                    format!("--received-at={v}"),
                ]
            }),
        ),
        (
            "policy adopt --effective",
            Box::new(|v| {
                vec![
                    "policy".into(),
                    "adopt".into(),
                    s(&common::root().join("policy/ico-ofcom-cma-2025.toml")),
                    format!("--effective={v}"),
                    "--key".into(),
                    s(&keys.join("ofcom-2024.key")),
                ]
            }),
        ),
        (
            "vault erase --before",
            Box::new(|v| {
                vec![
                    "vault".into(),
                    "erase".into(),
                    format!("--before={v}"),
                    "--key".into(),
                    s(&keys.join("ico-2025.key")),
                ]
            }),
        ),
    ];
    for (name, args) in &writer_cases {
        for &(value, ok) in table {
            if ok {
                continue;
            }
            let before = fs::read(&work).unwrap();
            let (code, err, _) = run(&work, &args(value));
            assert_eq!(code, 2, "{name} {value:?}: {err}");
            assert!(!err.contains("panicked"), "{name} {value:?}: {err}");
            assert!(
                err.contains("is not a date or time") || err.contains("is not a date"),
                "{name} {value:?}: {err}"
            );
            assert!(fs::read(&work).unwrap() == before, "{name} {value:?}");
        }
    }
    assert!(fs::read(&s0.ledger).unwrap() == before, "ledger changed");
}

/// Record a disclosure with every field at the maximum, build evidence opening all its fields,
/// verify it; one byte more is refused by `disclose` and nothing is written.
#[test]
fn a_field_value_at_the_limit_round_trips_through_evidence_and_one_more_is_refused() {
    let s0 = common::sandbox();
    let keys = &s0.keys;
    let an_hour_ago = disclosure_ledger::model::Timestamp::now()
        .plus_seconds(-3600)
        .to_string();
    // The worst case for the openings file: control characters, escaped six bytes each.
    let value: String = "\u{1f}".repeat(MAX_FIELD_VALUE_BYTES);
    let names: Vec<String> = (0..MAX_FIELDS)
        .map(|i| format!("f{i:02}_{}", "x".repeat(60)))
        .collect();
    // Through JSON (a control character cannot be passed as a flag portably).
    let fields: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .map(|n| (n.clone(), serde_json::Value::String(value.clone())))
        .collect();
    let json = |fields: &serde_json::Map<String, serde_json::Value>| {
        serde_json::json!({
            "from": "OFCOM", "to": "ICO", "disclosed_at": an_hour_ago,
            "gateway": "Communications Act 2003 s393(2)(a)",
            "category": "information-request", "companies": ["brightloop"],
            "themes": ["age-assurance"], "fields": fields,
            "notification": "skipped: routine disclosure (statement §4)",
            "relevance": "relevant to online safety",
            "officer_role": "Online Safety supervision team"
        })
        .to_string()
    };
    let key = s(&keys.join("ofcom-2024.key"));
    // One byte over: refused, nothing written.
    let mut over = fields.clone();
    over.insert(
        names[0].clone(),
        serde_json::Value::String(value.clone() + "a"),
    );
    let over_file = s0.dir.join("over.json");
    fs::write(&over_file, json(&over)).unwrap();
    let before = fs::read(&s0.ledger).unwrap();
    let (code, err, _) = run(
        &s0.ledger,
        &[
            "disclose".into(),
            "--key".into(),
            key.clone(),
            "--from-json".into(),
            s(&over_file),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("at most {MAX_FIELD_VALUE_BYTES} bytes")),
        "{err}"
    );
    assert!(fs::read(&s0.ledger).unwrap() == before, "ledger changed");
    // At the limit: recorded.
    let at_file = s0.dir.join("at.json");
    fs::write(&at_file, json(&fields)).unwrap();
    let (code, err, _) = run(
        &s0.ledger,
        &[
            "disclose".into(),
            "--key".into(),
            key.clone(),
            "--from-json".into(),
            s(&at_file),
        ],
    );
    assert!(code == 0 || code == 1, "{err}");
    let store = disclosure_ledger::store::Store::open(
        &s0.ledger,
        disclosure_ledger::store::Access::ReadOnly,
    )
    .unwrap();
    let seq = store.len().unwrap() - 1;
    drop(store);
    // A cosigned checkpoint covering it: OFCOM checkpoints, the ICO cosigns.
    let note = s0.dir.join("cp.note");
    let (code, err, _) = run(
        &s0.ledger,
        &[
            "checkpoint".into(),
            "--key".into(),
            key.clone(),
            "-o".into(),
            s(&note),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, err, _) = run(
        &s0.ledger,
        &[
            "cosign".into(),
            s(&note),
            "--key".into(),
            s(&keys.join("ico-2025.key")),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let bundle = s0.dir.join("bundle");
    let (code, err, _) = run(
        &s0.ledger,
        &[
            "evidence".into(),
            seq.to_string(),
            "--open".into(),
            names.join(","),
            "-o".into(),
            s(&bundle),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let trust = s0.dir.join("trust");
    fs::create_dir(&trust).unwrap();
    for e in fs::read_dir(keys).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "vkey") {
            fs::copy(&p, trust.join(p.file_name().unwrap())).unwrap();
        }
    }
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("verify-evidence")
        .arg(&bundle)
        .arg("--trust")
        .arg(&trust)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let openings = fs::read_to_string(bundle.join("openings.json")).unwrap();
    assert_eq!(openings.matches("\"opened\"").count(), MAX_FIELDS);
}

/// A policy document too big for one entry is refused by `policy adopt` and by `init`, with
/// the limit named and nothing written.
#[test]
fn an_entry_over_the_entry_limit_is_refused_by_every_writer() {
    let s0 = common::sandbox();
    let key = s(&s0.keys.join("ofcom-2024.key"));
    // A valid policy padded with a comment-free long description past the entry limit.
    let base = fs::read_to_string(common::root().join("policy/ico-ofcom-cma-2025.toml")).unwrap();
    let big = format!(
        "{base}\n# padding\n{}\n",
        (0..MAX_ENTRY_BYTES / 60 + 10)
            .map(|i| format!("# line {i:06} of padding to make the document too big ...."))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(big.len() as u64 <= files::POLICY_FILE_LIMIT);
    let policy = s0.dir.join("big.toml");
    fs::write(&policy, &big).unwrap();
    let before = fs::read(&s0.ledger).unwrap();
    let (code, err, _) = run(
        &s0.ledger,
        &[
            "policy".into(),
            "adopt".into(),
            s(&policy),
            "--key".into(),
            key.clone(),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{MAX_ENTRY_BYTES}-byte limit")),
        "{err}"
    );
    assert!(fs::read(&s0.ledger).unwrap() == before, "ledger changed");
    let new = s0.dir.join("new.ledger");
    let (code, err, _) = run(
        &s0.ledger,
        &[
            "init".into(),
            s(&new),
            "--origin".into(),
            "test.example/x".into(),
            "--party".into(),
            format!("OFCOM={}", s(&s0.keys.join("ofcom-2024.vkey"))),
            "--party".into(),
            format!("ICO={}", s(&s0.keys.join("ico-2024.vkey"))),
            "--key".into(),
            key.clone(),
            "--policy".into(),
            s(&policy),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{MAX_ENTRY_BYTES}-byte limit")),
        "{err}"
    );
    assert!(!new.exists());
    // Disclosures, corrections and themes cannot reach the limit through their bounded inputs
    // (field values and counts are bounded); a long free text can: a theme title.
    let (code, err, _) = run(
        &s0.ledger,
        &[
            "theme".into(),
            "declare".into(),
            "huge-theme".into(),
            "--title".into(),
            "t".repeat(MAX_ENTRY_BYTES + 1),
            "--key".into(),
            key.clone(),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(fs::read(&s0.ledger).unwrap() == before, "ledger changed");
    // The sample's largest entry (the genesis, holding the policy text) fits.
    let store = disclosure_ledger::store::Store::open(
        &common::sample_ledger(),
        disclosure_ledger::store::Access::ReadOnly,
    )
    .unwrap();
    let mut largest = 0;
    store
        .scan(0, None, |r| {
            largest = largest.max(r.bytes.len());
            Ok::<_, disclosure_ledger::store::StoreError>(())
        })
        .unwrap();
    assert!(largest <= MAX_ENTRY_BYTES, "{largest}");
}
