//! A refused command leaves the ledger file byte-for-byte unchanged (issue 13, item 7).
//!
//! Table-driven: for every command that writes (`disclose`, `ack`, `correct`, `theme`,
//! `company`, `key`, `policy adopt`, `checkpoint`, `cosign`, `vault erase`, `import --key`,
//! `reindex`), at least one input the ledger refuses is given to the real binary on a copy of
//! the sample ledger. Each must exit 2 with a clear message and leave the file's SHA-256, size
//! and modification time as they were. Then: a bulk import reports every refused line at once,
//! and `upgrade` never leaves a file at its target path unless it is complete and verified, even
//! when killed.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use assert_cmd::Command;
use disclosure_ledger::model::Timestamp;

/// What must not change: SHA-256 of the whole file, its size and its modification time.
#[derive(Debug, PartialEq, Eq)]
struct FileState {
    sha256: String,
    size: u64,
    modified: SystemTime,
}

fn state(path: &Path) -> FileState {
    let meta = fs::metadata(path).unwrap();
    FileState {
        sha256: hex::encode(disclosure_ledger::hash::sha256(&fs::read(path).unwrap())),
        size: meta.len(),
        modified: meta.modified().unwrap(),
    }
}

/// Sets the file's modification time a day back, so that any write would show.
fn backdate(path: &Path) {
    let f = fs::OpenOptions::new().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(86_400))
        .unwrap();
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

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Files the cases refer to, made once in `dir`.
struct Inputs {
    keys: PathBuf,
    bad_policy: PathBuf,
    /// A checkpoint of the sample ledger signed by Ofcom (made on another copy).
    ofcom_checkpoint: PathBuf,
    /// A checkpoint signed by Ofcom of another ledger with the same origin.
    other_ledger_checkpoint: PathBuf,
    /// A checkpoint of a ledger with another origin.
    other_origin_checkpoint: PathBuf,
    bad_import: PathBuf,
    not_a_ledger: PathBuf,
    /// A disclosure whose entry would be over the size limit.
    huge_disclosure: PathBuf,
    /// A policy that parses, whose entry would be over the size limit.
    huge_policy: PathBuf,
}

fn inputs(dir: &Path) -> Inputs {
    let keys = common::demo_keys_in(dir);
    let bad_policy = dir.join("bad-policy.toml");
    fs::write(&bad_policy, "label = \"broken\"\nparties = [unclosed\n").unwrap();

    let copy = dir.join("for-checkpoint.ledger");
    fs::copy(common::sample_ledger(), &copy).unwrap();
    let ofcom_checkpoint = dir.join("ofcom.checkpoint");
    let out = dledger(
        &copy,
        &[
            "checkpoint".into(),
            "--key".into(),
            keys.join("ofcom-2024.key").display().to_string(),
            "--out".into(),
            ofcom_checkpoint.display().to_string(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let other = |origin: &str, name: &str| {
        let path = dir.join(format!("{name}.ledger"));
        let out = Command::cargo_bin("dledger")
            .unwrap()
            .arg("init")
            .arg(&path)
            .args(["--origin", origin])
            .arg(format!(
                "--party=ICO={}",
                keys.join("ico-2025.vkey").display()
            ))
            .arg(format!(
                "--party=OFCOM={}",
                keys.join("ofcom-2024.vkey").display()
            ))
            .arg("--key")
            .arg(keys.join("ofcom-2024.key"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let note = dir.join(format!("{name}.checkpoint"));
        let out = dledger(
            &path,
            &[
                "checkpoint".into(),
                "--key".into(),
                keys.join("ofcom-2024.key").display().to_string(),
                "--out".into(),
                note.display().to_string(),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        note
    };
    let other_ledger_checkpoint = other("ledger.example/ico-ofcom", "other");
    let other_origin_checkpoint = other("elsewhere.example/ico-ofcom", "elsewhere");

    let bad_import = dir.join("bad.jsonl");
    let at = Timestamp::now().plus_seconds(-3600).to_string();
    fs::write(
        &bad_import,
        format!(
            "{}\n{}\n",
            bulk_line("OFCOM", "brightloop", &at, "relevant"),
            bulk_line("OFCOM", "megacorp", &at, "relevant")
        ),
    )
    .unwrap();
    let not_a_ledger = dir.join("notes.txt");
    fs::write(&not_a_ledger, "not a ledger\n").unwrap();
    let huge = "x".repeat(disclosure_ledger::codec::MAX_ENTRY_BYTES + 1);
    let huge_disclosure = dir.join("huge.json");
    fs::write(
        &huge_disclosure,
        bulk_line("OFCOM", "brightloop", &at, &huge),
    )
    .unwrap();
    let huge_policy = dir.join("huge-policy.toml");
    fs::write(
        &huge_policy,
        format!(
            "{}\n# {huge}\n",
            fs::read_to_string(common::root().join("policy/ico-ofcom-cma-2025.toml")).unwrap()
        ),
    )
    .unwrap();
    Inputs {
        huge_disclosure,
        huge_policy,
        keys,
        bad_policy,
        ofcom_checkpoint,
        other_ledger_checkpoint,
        other_origin_checkpoint,
        bad_import,
        not_a_ledger,
    }
}

/// One disclosure of a bulk file, as JSON; `necessity` is free text (to make a line too long).
fn bulk_line(from: &str, company: &str, at: &str, necessity: &str) -> String {
    serde_json::json!({
        "from": from,
        "to": if from == "OFCOM" { "ICO" } else { "OFCOM" },
        "disclosed_at": at,
        "gateway": "Communications Act 2003 s393(2)(a)",
        "category": "stakeholder-meeting",
        "companies": [company],
        "themes": ["age-assurance"],
        "fields": {"meeting_date": "2026-11-20"},
        "notification": "skipped: routine",
        "relevance": "limb",
        "necessity": necessity,
        "officer_role": "Supervision",
    })
    .to_string()
}

/// A disclosure by flags, an hour ago, from `from` about `company`, signed with `key`.
fn disclose(keys: &Path, key: &str, from: &str, company: &str) -> Vec<String> {
    let at = Timestamp::now().plus_seconds(-3600).to_string();
    let to = if from == "OFCOM" { "ICO" } else { "OFCOM" };
    let mut args = strings(&[
        "disclose",
        "--key",
        &keys.join(key).display().to_string(),
        "--from",
        from,
        "--to",
        to,
        "--at",
        &at,
        "--gateway",
        "Communications Act 2003 s393(2)(a)",
        "--category",
        "information-request",
        "--company",
        company,
        "--theme",
        "age-assurance",
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
    ]);
    args.shrink_to_fit();
    args
}

/// (command, refusal, arguments, what the message must say). The sample ledger's entry #452
/// is Ofcom's disclosure to the ICO, not yet acknowledged; #23 is Ofcom's, acknowledged by
/// the ICO at #24; ico-2024 was rotated out at #292; `friendmap` is proposed by Ofcom.
fn cases(i: &Inputs) -> Vec<(&'static str, &'static str, Vec<String>, &'static str)> {
    let k = |name: &str| i.keys.join(name).display().to_string();
    let p = |path: &Path| path.display().to_string();
    vec![
        (
            "disclose",
            "unknown company",
            disclose(&i.keys, "ofcom-2024.key", "OFCOM", "nosuchco"),
            "company nosuchco is not in the ledger",
        ),
        (
            "disclose",
            "a key of another party",
            disclose(&i.keys, "ico-2025.key", "OFCOM", "brightloop"),
            "is not a key of OFCOM",
        ),
        (
            "disclose",
            "a rotated-out key",
            disclose(&i.keys, "ico-2024.key", "ICO", "brightloop"),
            "rotated or revoked",
        ),
        (
            "disclose",
            "an entry over the size limit",
            strings(&[
                "disclose",
                "--from-json",
                &p(&i.huge_disclosure),
                "--key",
                &k("ofcom-2024.key"),
            ]),
            "limit",
        ),
        (
            "ack",
            "by the wrong party",
            strings(&["ack", "452", "--key", &k("ofcom-2024.key")]),
            "only ICO can acknowledge it",
        ),
        (
            "ack",
            "a second acknowledgement",
            strings(&["ack", "23", "--key", &k("ico-2025.key")]),
            "already acknowledged by #24",
        ),
        (
            "ack",
            "an entry that does not exist",
            strings(&["ack", "9999", "--key", &k("ico-2025.key")]),
            "#9999 does not exist",
        ),
        (
            "ack",
            "an entry that is not a disclosure",
            strings(&["ack", "24", "--key", &k("ofcom-2024.key")]),
            "not a disclosure",
        ),
        (
            "correct",
            "an entry that does not exist",
            strings(&[
                "correct",
                "9999",
                "--reason",
                "x",
                "--key",
                &k("ico-2025.key"),
            ]),
            "#9999 does not exist",
        ),
        (
            "correct",
            "another party's recent entry",
            strings(&[
                "correct",
                "452",
                "--reason",
                "x",
                "--key",
                &k("ico-2025.key"),
            ]),
            "which another party recorded",
        ),
        (
            "correct",
            "another party's entry older than the register snapshot",
            strings(&[
                "correct",
                "23",
                "--reason",
                "x",
                "--key",
                &k("ico-2025.key"),
            ]),
            "which another party recorded",
        ),
        (
            "theme declare",
            "a theme declared twice",
            strings(&[
                "theme",
                "declare",
                "age-assurance",
                "--title",
                "Age assurance",
                "--description",
                "again",
                "--key",
                &k("ico-2025.key"),
            ]),
            "already in force",
        ),
        (
            "theme retire",
            "a theme not in force",
            strings(&[
                "theme",
                "retire",
                "proactive-tech-and-ai",
                "--reason",
                "x",
                "--key",
                &k("ico-2025.key"),
            ]),
            "not in force",
        ),
        (
            "company propose",
            "a company already of mutual interest",
            strings(&[
                "company",
                "propose",
                "brightloop",
                "--rationale",
                "x",
                "--with",
                "OFCOM",
                "--key",
                &k("ico-2025.key"),
            ]),
            "already of mutual interest",
        ),
        (
            "company confirm",
            "no open proposal",
            strings(&[
                "company",
                "confirm",
                "nosuchco",
                "--key",
                &k("ico-2025.key"),
            ]),
            "no open designation proposal",
        ),
        (
            "company end",
            "neither designated nor proposed",
            strings(&[
                "company",
                "end",
                "nosuchco",
                "--reason",
                "x",
                "--with",
                "OFCOM",
                "--key",
                &k("ico-2025.key"),
            ]),
            "neither of mutual interest nor proposed",
        ),
        (
            "key add",
            "a key already registered (another party's)",
            strings(&[
                "key",
                "add",
                &k("ico-2025.vkey"),
                "--key",
                &k("ofcom-2024.key"),
            ]),
            "already registered",
        ),
        (
            "key rotate",
            "signed with a rotated-out key",
            strings(&[
                "key",
                "rotate",
                &k("cma-2024.vkey"),
                "--key",
                &k("ico-2024.key"),
            ]),
            "rotated or revoked",
        ),
        (
            "key revoke",
            "a key id the party does not hold",
            strings(&[
                "key",
                "revoke",
                "00000000",
                "--reason",
                "x",
                "--key",
                &k("ico-2025.key"),
            ]),
            "not a valid key of ICO",
        ),
        (
            "policy adopt",
            "a document that does not parse",
            strings(&[
                "policy",
                "adopt",
                &p(&i.bad_policy),
                "--key",
                &k("ico-2025.key"),
            ]),
            "does not follow the schema",
        ),
        (
            "policy adopt",
            "signed with a rotated-out key",
            strings(&[
                "policy",
                "adopt",
                &p(&common::root().join("policy/ico-ofcom-cma-2025.toml")),
                "--key",
                &k("ico-2024.key"),
            ]),
            "rotated or revoked",
        ),
        (
            "policy adopt",
            "a document whose entry is over the size limit",
            strings(&[
                "policy",
                "adopt",
                &p(&i.huge_policy),
                "--key",
                &k("ico-2025.key"),
            ]),
            "limit",
        ),
        (
            "checkpoint",
            "signed with a rotated-out key",
            strings(&["checkpoint", "--key", &k("ico-2024.key")]),
            "not a current key",
        ),
        (
            "cosign",
            "a checkpoint of another ledger (same origin)",
            strings(&[
                "cosign",
                &p(&i.other_ledger_checkpoint),
                "--key",
                &k("ico-2025.key"),
            ]),
            "refusing to cosign",
        ),
        (
            "cosign",
            "a checkpoint of a ledger with another origin",
            strings(&[
                "cosign",
                &p(&i.other_origin_checkpoint),
                "--key",
                &k("ico-2025.key"),
            ]),
            "is not this ledger's",
        ),
        (
            "cosign",
            "a checkpoint signed by the cosigner's own party",
            strings(&[
                "cosign",
                &p(&i.ofcom_checkpoint),
                "--key",
                &k("ofcom-2024.key"),
            ]),
            "signed by your own party",
        ),
        (
            "cosign",
            "signed with a rotated-out key",
            strings(&[
                "cosign",
                &p(&i.ofcom_checkpoint),
                "--key",
                &k("ico-2024.key"),
            ]),
            "not a current key",
        ),
        (
            "vault erase",
            "a date in the future",
            strings(&[
                "vault",
                "erase",
                "--before",
                "2999-01-01",
                "--key",
                &k("ico-2025.key"),
            ]),
            "is in the future",
        ),
        (
            "import --key",
            "a line naming an unknown company",
            strings(&["import", &p(&i.bad_import), "--key", &k("ofcom-2024.key")]),
            "line 2: company megacorp is not in the ledger",
        ),
        (
            "import --key",
            "signed with a key of another party",
            strings(&["import", &p(&i.bad_import), "--key", &k("ico-2025.key")]),
            "is not a key of OFCOM",
        ),
    ]
}

#[test]
fn every_refused_write_leaves_the_file_byte_for_byte_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = inputs(dir.path());
    let table = cases(&inputs);
    let mut failures = Vec::new();
    for (command, refusal, args, says) in &table {
        let ledger = common::sample_copy(dir.path());
        backdate(&ledger);
        let before = state(&ledger);
        let out = dledger(&ledger, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let after = state(&ledger);
        let name = format!("{command} × {refusal}");
        if out.status.code() != Some(2) {
            failures.push(format!("{name}: exit {:?}: {stderr}", out.status.code()));
        }
        if !stderr.starts_with("error: ") || !stderr.contains(says) {
            failures.push(format!("{name}: message does not say {says:?}: {stderr}"));
        }
        if before != after {
            failures.push(format!("{name}: the file changed: {before:?} -> {after:?}"));
        }
    }
    // `reindex` refuses a file that is not a ledger, and leaves it as it was.
    backdate(&inputs.not_a_ledger);
    let before = state(&inputs.not_a_ledger);
    let out = dledger(&inputs.not_a_ledger, &strings(&["reindex"]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() != Some(2) || !stderr.contains("is not a disclosure ledger") {
        failures.push(format!("reindex × not a ledger: {stderr}"));
    }
    if before != state(&inputs.not_a_ledger) {
        failures.push("reindex × not a ledger: the file changed".into());
    }
    let commands: std::collections::BTreeSet<&str> = table.iter().map(|(c, _, _, _)| *c).collect();
    println!(
        "{} refusals of {} commands (and reindex): file unchanged",
        table.len(),
        commands.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_bulk_import_reports_every_refused_line_at_once_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = common::sample_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let at = Timestamp::now().plus_seconds(-3600).to_string();
    // Line 5's necessity statement alone is longer than an entry may be.
    let huge = "x".repeat(disclosure_ledger::codec::MAX_ENTRY_BYTES + 1);
    let lines = [
        bulk_line("OFCOM", "brightloop", &at, "relevant"),
        bulk_line("OFCOM", "megacorp", &at, "relevant"),
        bulk_line("OFCOM", "pixelpond", &at, "relevant"),
        bulk_line("ICO", "brightloop", &at, "relevant"),
        bulk_line("OFCOM", "brightloop", &at, &huge),
        bulk_line("OFCOM", "kidzone", &at, "relevant"),
    ];
    let file = dir.path().join("three-bad.jsonl");
    fs::write(&file, lines.join("\n") + "\n").unwrap();
    backdate(&ledger);
    let before = state(&ledger);
    let out = dledger(
        &ledger,
        &[
            "import".into(),
            file.display().to_string(),
            "--key".into(),
            keys.join("ofcom-2024.key").display().to_string(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for says in [
        "3 lines refused, nothing was written",
        "line 2: company megacorp is not in the ledger",
        "line 4: ",
        "line 5: ",
    ] {
        assert!(stderr.contains(says), "does not say {says:?}: {stderr}");
    }
    assert!(
        !stderr.contains("line 1:") && !stderr.contains("line 6:"),
        "{stderr}"
    );
    assert_eq!(before, state(&ledger), "the ledger changed");

    // Past the cap, the rest are counted, not listed.
    let many: Vec<String> = (0..130)
        .map(|_| bulk_line("OFCOM", "megacorp", &at, "relevant"))
        .collect();
    fs::write(&file, many.join("\n") + "\n").unwrap();
    let out = dledger(
        &ledger,
        &[
            "import".into(),
            file.display().to_string(),
            "--key".into(),
            keys.join("ofcom-2024.key").display().to_string(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("130 lines refused")
            && stderr.contains(&format!("line {}:", disclosure_ledger::bulk::MAX_REPORTED))
            && !stderr.contains(&format!(
                "line {}:",
                disclosure_ledger::bulk::MAX_REPORTED + 1
            ))
            && stderr.contains("and 30 more lines"),
        "{stderr}"
    );
    assert_eq!(before, state(&ledger), "the ledger changed");
}

fn v1_fixture() -> PathBuf {
    common::root().join("fixtures/store-v1/generated-40.ledger")
}

/// Every name in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_failed_upgrade_leaves_no_target_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    let out_dir = dir.path().join("out");
    fs::create_dir_all(&src).unwrap();
    fs::create_dir_all(&out_dir).unwrap();
    // A version-2 ledger is not a version-1 one: the conversion is refused.
    let not_v1 = common::sample_copy(&src);
    let target = out_dir.join("new.ledger");
    let err = disclosure_ledger::upgrade::upgrade(&not_v1, &target).unwrap_err();
    assert!(!target.exists(), "{err}");
    assert!(
        names(&out_dir).is_empty(),
        "left behind: {:?}",
        names(&out_dir)
    );
    // A source whose stored hashes disagree with its entries: one byte of one entry row
    // changed (the conversion checks every stored hash against the entries).
    let damaged = src.join("damaged.ledger");
    fs::copy(v1_fixture(), &damaged).unwrap();
    {
        let db = redb::Database::open(&damaged).unwrap();
        let entries: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("entries");
        let txn = db.begin_write().unwrap();
        {
            use redb::ReadableTable;
            let mut t = txn.open_table(entries).unwrap();
            let mut row = t.get(7).unwrap().unwrap().value().to_vec();
            let last = row.len() - 1;
            row[last] ^= 1;
            t.insert(7, row.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("upgrade")
        .arg(&damaged)
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!target.exists());
    assert!(
        names(&out_dir).is_empty(),
        "left behind: {:?}",
        names(&out_dir)
    );
    // A target that exists is refused, and left as it was.
    fs::write(&target, "mine").unwrap();
    let err = disclosure_ledger::upgrade::upgrade(&v1_fixture(), &target).unwrap_err();
    assert!(err.to_string().contains("exists"), "{err}");
    assert_eq!(fs::read(&target).unwrap(), b"mine");
    assert_eq!(names(&out_dir), ["new.ledger"]);
    // And a good upgrade leaves exactly the target.
    fs::remove_file(&target).unwrap();
    disclosure_ledger::upgrade::upgrade(&v1_fixture(), &target).unwrap();
    assert_eq!(names(&out_dir), ["new.ledger"]);
}

/// A small deterministic generator (SplitMix64) for the kill moments.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// `dledger upgrade` killed with SIGKILL at random moments (fixed seed): the target either
/// does not exist or is complete and verifies. `DLEDGER_UPGRADE_KILLS` sets the number of
/// kills (default 12).
#[test]
fn a_killed_upgrade_leaves_no_target_or_a_complete_one() {
    let kills: u64 = std::env::var("DLEDGER_UPGRADE_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let mut rng = SplitMix64(0x13c7);
    let bin = assert_cmd::cargo::cargo_bin("dledger");
    let (mut absent, mut complete, mut finished) = (0, 0, 0);
    for run in 0..kills {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("new.ledger");
        let mut child = std::process::Command::new(&bin)
            .arg("upgrade")
            .arg(v1_fixture())
            .arg(&target)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // The whole upgrade takes some 50 to 200 ms in a debug build.
        std::thread::sleep(Duration::from_micros(rng.next() % 150_000));
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.success() {
            finished += 1;
        }
        if !target.exists() {
            absent += 1;
            continue;
        }
        let out = Command::cargo_bin("dledger")
            .unwrap()
            .args(["verify", "--json"])
            .arg(&target)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "run {run}: the target exists but does not verify ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(
            report["integrity"]["status"], "intact",
            "run {run}: a target that is not intact"
        );
        assert_eq!(
            report["integrity"]["entries"], 40,
            "run {run}: entries missing"
        );
        complete += 1;
    }
    println!(
        "{kills} upgrades killed: {absent} left no target, {complete} a complete one \
         ({finished} had finished before the kill)"
    );
}
