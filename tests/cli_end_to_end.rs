//! A ledger's whole life through the real binary, as two regulators would use it: keys, init,
//! registers, disclosures, acknowledgement, correction, key rotation and revocation, checkpoint
//! and cosignature, proofs, evidence, review and verify.

mod common;

use std::path::Path;

use assert_cmd::Command;
use disclosure_ledger::model::Timestamp;

fn dledger(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("dledger").unwrap();
    c.current_dir(dir).env_remove("DLEDGER_LEDGER");
    c
}

/// Runs a command that must succeed (exit 0, or 1 when `flags_ok`), returning its stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = dledger(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "dledger {}: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn fails(dir: &Path, args: &[&str], expect: &str) {
    let out = dledger(dir).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "dledger {}: {stderr}",
        args.join(" ")
    );
    assert!(
        stderr.contains(expect),
        "dledger {}: expected {expect:?} in {stderr}",
        args.join(" ")
    );
}

#[test]
fn a_ledger_from_init_to_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for name in ["ico-1", "ofcom-1", "ico-2", "ofcom-spare"] {
        let out = ok(
            d,
            &[
                "keygen",
                name,
                "--out",
                &format!("{name}.key"),
                "--public-dir",
                "keys",
            ],
        );
        assert!(out.contains("Key id:"), "{out}");
    }
    // keygen never overwrites.
    fails(
        d,
        &[
            "keygen",
            "ico-1",
            "--out",
            "ico-1.key",
            "--public-dir",
            "keys",
        ],
        "already exists",
    );
    ok(
        d,
        &[
            "init",
            "l.ledger",
            "--origin",
            "test.example/e2e",
            "--party",
            "ICO=keys/ico-1.vkey",
            "--party",
            "OFCOM=keys/ofcom-1.vkey",
            "--key",
            "ico-1.key",
        ],
    );
    fails(
        d,
        &[
            "init",
            "l.ledger",
            "--origin",
            "x",
            "--party",
            "ICO=keys/ico-1.vkey",
            "--party",
            "OFCOM=keys/ofcom-1.vkey",
            "--key",
            "ico-1.key",
        ],
        "already exists",
    );
    let l = ["-l", "l.ledger"];
    let run = |args: &[&str]| ok(d, &[&l[..], args].concat());
    run(&[
        "theme",
        "declare",
        "age-assurance",
        "--title",
        "Age assurance",
        "--key",
        "ico-1.key",
        "--confirm-key",
        "ofcom-1.key",
    ]);
    run(&[
        "company",
        "propose",
        "brightloop",
        "--name",
        "BrightLoop Social Ltd",
        "--rationale",
        "open inquiry",
        "--key",
        "ofcom-1.key",
    ]);
    run(&["company", "confirm", "brightloop", "--key", "ico-1.key"]);
    // Disclosed now: after the theme and the designation came into force.
    let at = Timestamp::now().to_string();
    let disclosed = run(&[
        "disclose",
        "--key",
        "ofcom-1.key",
        "--from",
        "OFCOM",
        "--to",
        "ICO",
        "--at",
        &at,
        "--gateway",
        "Communications Act 2003 s393(2)(a)",
        "--category",
        "information-request",
        "--information-notice",
        "--company",
        "brightloop",
        "--field",
        "request_date=2026-11-01",
        "--field",
        "response_deadline=2026-11-30",
        "--skipped",
        "routine (statement §4)",
        "--relevance",
        "relevant to online safety",
        "--officer-role",
        "Online Safety supervision team",
    ]);
    assert!(
        disclosed.contains("Recorded the disclosure as entry #5"),
        "{disclosed}"
    );
    assert!(disclosed.contains("no flags"), "{disclosed}");
    // Only the recipient can acknowledge.
    fails(
        d,
        &[&l[..], &["ack", "5", "--key", "ofcom-1.key"]].concat(),
        "only ICO can acknowledge it",
    );
    run(&["ack", "5", "--key", "ico-1.key"]);
    fails(
        d,
        &[&l[..], &["ack", "5", "--key", "ico-1.key"]].concat(),
        "already acknowledged",
    );
    run(&[
        "correct",
        "5",
        "--reason",
        "deadline was 1 December",
        "--key",
        "ofcom-1.key",
    ]);
    // The ICO rotates its key; the old key can no longer sign, the new one can.
    run(&["key", "rotate", "keys/ico-2.vkey", "--key", "ico-1.key"]);
    fails(
        d,
        &[
            &l[..],
            &[
                "theme",
                "declare",
                "recommender-systems",
                "--title",
                "Recommender systems",
                "--key",
                "ico-1.key",
            ],
        ]
        .concat(),
        "rotated or revoked",
    );
    run(&[
        "theme",
        "declare",
        "recommender-systems",
        "--title",
        "Recommender systems",
        "--key",
        "ico-2.key",
    ]);
    // Ofcom adds and revokes a spare key.
    run(&[
        "key",
        "add",
        "keys/ofcom-spare.vkey",
        "--key",
        "ofcom-1.key",
    ]);
    let spare_id = std::fs::read_to_string(d.join("keys/ofcom-spare.vkey")).unwrap();
    let spare_id = spare_id.trim().split('+').nth(1).unwrap().to_owned();
    run(&[
        "key",
        "revoke",
        &spare_id,
        "--reason",
        "not needed",
        "--key",
        "ofcom-1.key",
    ]);
    // Checkpoint by the ICO, cosigned by Ofcom; the ICO cannot cosign its own.
    run(&["checkpoint", "--key", "ico-2.key", "-o", "cp.note"]);
    fails(
        d,
        &[&l[..], &["cosign", "cp.note", "--key", "ico-2.key"]].concat(),
        "your own party",
    );
    let cosigned = run(&[
        "cosign",
        "cp.note",
        "--key",
        "ofcom-1.key",
        "-o",
        "cosigned.note",
    ]);
    assert_eq!(
        cosigned.lines().filter(|l| l.starts_with('—')).count(),
        2,
        "{cosigned}"
    );
    // Proofs.
    let proof = run(&["prove", "inclusion", "5"]);
    assert!(
        proof.contains("Checked: the proof leads from the entry to the root."),
        "{proof}"
    );
    let tlog = run(&["prove", "inclusion", "5", "--format", "tlog-proof"]);
    assert!(
        tlog.starts_with("c2sp.org/tlog-proof@v1\nindex 5\n"),
        "{tlog}"
    );
    run(&["prove", "consistency", "3", "12"]);
    // Evidence for the disclosure, verified offline against the trust roots.
    run(&["evidence", "5", "--open", "request_date", "-o", "bundle"]);
    let checked = ok(d, &["verify-evidence", "bundle", "--trust", "keys"]);
    assert!(checked.contains("OFCOM"), "{checked}");
    // Review and verify: intact; the correction leaves a "superseded" flag (exit 1).
    let review = run(&["review", "--period", "month"]);
    assert!(review.contains("Disclosures: 1"), "{review}");
    let out = dledger(d).args(["verify", "l.ledger"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("Integrity: INTACT") && stdout.contains("superseded"),
        "{stdout}"
    );
    assert!(stdout.contains("latest cosigned: size 12"), "{stdout}");
    // Show and list work on the result.
    assert!(run(&["show", "5"]).contains("Communications Act 2003 s393(2)(a)"));
    assert!(run(&["list", "--keys"]).contains("ico-2"));
}

/// A reader that stops early (`dledger export | head`) ends the command quietly: no panic, no
/// error message, exit code 0.
#[test]
fn a_closed_pipe_ends_output_quietly() {
    use std::io::Read;
    use std::process::{Command as Process, Stdio};

    let mut child = Process::new(assert_cmd::cargo::cargo_bin("dledger"))
        .args(["-l", "fixtures/sample.ledger", "export"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is closed here; the export (about 600 KB) is far from written.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// Shell completions and the man page are generated from the same command definitions, so they
/// offer every command and every fixed choice (issue 16).
#[test]
fn completions_and_man_page_cover_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = ok(dir.path(), &["completions", shell]);
        for word in ["verify-evidence", "disclose", "tlog-proof"] {
            assert!(
                script.contains(word),
                "{shell} completions do not offer {word}"
            );
        }
    }
    let page = ok(dir.path(), &["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH dledger 1"),
        "{page}"
    );
    for word in ["verify", "evidence", "review"] {
        assert!(page.contains(word), "the man page does not mention {word}");
    }
    fails(dir.path(), &["completions", "cmd.exe"], "invalid value");
}

/// `list --keys` says how a key ended: rotated or revoked (issue 16).
#[test]
fn list_keys_tells_rotation_from_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let sample =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample.ledger");
    let out = ok(
        dir.path(),
        &["-l", sample.to_str().unwrap(), "list", "--keys"],
    );
    assert!(
        out.contains("ico-2024") && out.contains("rotated at #292"),
        "{out}"
    );
    assert!(
        out.contains("ofcom-ops-2024") && out.contains("revoked at #396"),
        "{out}"
    );
}

/// A filtered report says what it filtered and claims nothing about the rest: the sample has
/// flags, none of them `theme-not-in-force` after 2025-06-01 (issue 16).
#[test]
fn a_filtered_verify_claims_nothing_about_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let sample =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample.ledger");
    let s = sample.to_str().unwrap();
    let args = [
        "verify",
        s,
        "--only",
        "theme-not-in-force",
        "--since",
        "2025-06-01",
    ];
    let out = dledger(dir.path()).args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("fall within"), "{text}");
    assert!(
        text.contains("filtered to only theme-not-in-force")
            && text.contains("Flags outside the filter are not reported here"),
        "{text}"
    );
    let json = dledger(dir.path())
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        v["policy"]["filtered"]
            .as_str()
            .is_some_and(|f| f.contains("theme-not-in-force")),
        "{v}"
    );
}

/// `ack` with a rotated key says the key was rotated, not that only the recipient may
/// acknowledge (the rotated key *is* the recipient's); with the other party's key it says who the
/// recipient is (issue 16).
#[test]
fn ack_says_why_a_key_cannot_sign() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = common::sample_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let store =
        disclosure_ledger::store::Store::open(&ledger, disclosure_ledger::store::Access::ReadOnly)
            .unwrap();
    let reg = disclosure_ledger::ledger::replay(&store).unwrap();
    drop(store);
    let (seq, _) = reg
        .disclosures
        .iter()
        .find(|(_, d)| d.to.as_str() == "ICO" && d.acknowledged.is_none())
        .expect("an unacknowledged disclosure to the ICO");
    let l = ledger.to_str().unwrap();
    let seq = seq.0.to_string();
    let rotated = keys.join("ico-2024.key");
    fails(
        dir.path(),
        &["-l", l, "ack", &seq, "--key", rotated.to_str().unwrap()],
        "was rotated or revoked",
    );
    let other = keys.join("ofcom-2024.key");
    fails(
        dir.path(),
        &["-l", l, "ack", &seq, "--key", other.to_str().unwrap()],
        "only ICO can acknowledge it",
    );
    // A public key passed as --key is named as such, not sent to chmod.
    let public = keys.join("ico-2025.vkey");
    fails(
        dir.path(),
        &["-l", l, "ack", &seq, "--key", public.to_str().unwrap()],
        "it is a public key",
    );
}

/// Both proof commands take `--format json` and `--json` alike, and their text shows every hash
/// in one encoding (hex), as their JSON does.
#[test]
fn proof_commands_share_their_output_options() {
    let sample = common::sample_ledger();
    let run = |args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("dledger")
            .unwrap()
            .arg("-l")
            .arg(&sample)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            common::output_text(&out)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    for proof in [
        &["prove", "inclusion", "42"][..],
        &["prove", "consistency", "100", "453"][..],
    ] {
        let json = run(&[proof, &["--json"]].concat());
        assert_eq!(json, run(&[proof, &["--format", "json"]].concat()));
        serde_json::from_str::<serde_json::Value>(&json).unwrap();
        let text = run(proof);
        let hashes: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| l.len() == 64 || l.contains("hash:") || l.contains("root:"))
            .map(|l| l.rsplit(' ').next().unwrap())
            .collect();
        assert!(hashes.len() >= 4, "{text}");
        for h in hashes {
            assert!(
                h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()),
                "{h:?} is not hex in:\n{text}"
            );
        }
    }
}

/// `review` offers no options it would ignore: --since-checkpoint and --state belong to verify.
#[test]
fn review_does_not_offer_verifys_incremental_options() {
    for option in [&["--since-checkpoint"][..], &["--state", "s"][..]] {
        let out = assert_cmd::Command::cargo_bin("dledger")
            .unwrap()
            .arg("-l")
            .arg(common::sample_ledger())
            .arg("review")
            .args(option)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{option:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("unexpected argument"),
            "{}",
            common::output_text(&out)
        );
    }
}

/// -l/--ledger and --wait are offered by the commands that open a ledger, and only by them;
/// after one that opens none, they are refused (before the command, as in an alias, they are
/// simply not used).
#[test]
fn ledger_options_are_offered_only_where_they_apply() {
    let help = |args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("dledger")
            .unwrap()
            .args(args)
            .arg("--help")
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    for none in [
        &["keygen"][..],
        &["init"],
        &["verify-evidence"],
        &["upgrade"],
        &["explain"],
        &["completions"],
        &["man"],
    ] {
        let text = help(none);
        assert!(
            !text.contains("--ledger") && !text.contains("--wait"),
            "{none:?} offers ledger options:\n{text}"
        );
    }
    for some in [
        &["list"][..],
        &["disclose"],
        &["theme", "declare"],
        &["prove", "inclusion"],
        &["vault", "erase"],
        &["verify"],
        &["reindex"],
    ] {
        let text = help(some);
        assert!(
            text.contains("--ledger") && text.contains("--wait"),
            "{some:?} does not offer the ledger options:\n{text}"
        );
    }
    // After a command that opens no ledger, they are not accepted at all.
    for args in [
        &["explain", "broken-chain", "--wait", "3"][..],
        &["explain", "broken-chain", "-l", "x.ledger"],
        &["keygen", "k", "-l", "x.ledger"],
    ] {
        let out = assert_cmd::Command::cargo_bin("dledger")
            .unwrap()
            .env_remove("DLEDGER_LEDGER")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("unexpected argument"),
            "{}",
            common::output_text(&out)
        );
    }
}

/// Every flag code in `verify --json` is the same string as its key in the counts, one that
/// `explain` knows, and one docs/POLICY.md lists.
#[test]
fn flag_codes_are_one_string_everywhere() {
    let out = assert_cmd::Command::cargo_bin("dledger")
        .unwrap()
        .args(["verify", "--json", "--as-of", "2026-01-31"])
        .arg(common::sample_ledger())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let counts = report["policy"]["counts"].as_object().unwrap();
    let policy_doc = std::fs::read_to_string(common::root().join("docs/POLICY.md")).unwrap();
    let mut codes: Vec<&str> = report["policy"]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes, counts.keys().map(String::as_str).collect::<Vec<_>>());
    for code in codes {
        assert!(
            policy_doc.contains(code),
            "docs/POLICY.md does not list {code}"
        );
        let explained = assert_cmd::Command::cargo_bin("dledger")
            .unwrap()
            .args(["explain", code])
            .output()
            .unwrap();
        assert!(explained.status.success(), "explain {code}");
    }
}

/// On a new ledger with no theme declared yet, a disclosure naming a theme says so in words
/// (not an empty list) and how to declare one.
#[test]
fn an_empty_theme_register_is_said_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    for line in [
        "dledger keygen ico-2024 --out ico.key --public-dir keys",
        "dledger keygen ofcom-2024 --out ofcom.key --public-dir keys",
        "dledger init l.ledger --origin example/new --party ICO=keys/ico-2024.vkey \
         --party OFCOM=keys/ofcom-2024.vkey --key ico.key",
    ] {
        let (code, out) = common::shell::sh(w, line);
        assert_eq!(code, 0, "{line}: {out}");
    }
    let (_, out) = common::shell::sh(
        w,
        "dledger -l l.ledger disclose --key ofcom.key --from OFCOM --to ICO --at \"$(date +%F)\" \
         --gateway 'Communications Act 2003 s393(2)(a)' --category theme-only \
         --theme age-assurance --skipped --officer-role Supervision",
    );
    assert!(out.contains("no theme has been declared yet"), "{out}");
    assert!(out.contains("dledger theme declare age-assurance"), "{out}");
    assert!(!out.contains("(known: )"), "{out}");
}

/// Messages that must be exactly true on the smallest ledgers and the usual slips: singular
/// wording, a rotated key named as such, an entry of the wrong kind, a field named like an
/// option.
#[test]
fn small_ledgers_and_slips_get_exact_words() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path();
    let run = |line: &str| common::shell::sh(w, line);
    for line in [
        "dledger keygen ico-2024 --out ico.key --public-dir keys",
        "dledger keygen ofcom-2024 --out ofcom.key --public-dir keys",
        "dledger init l.ledger --origin example/new --party ICO=keys/ico-2024.vkey \
         --party OFCOM=keys/ofcom-2024.vkey --key ico.key",
    ] {
        let (code, out) = run(line);
        assert_eq!(code, 0, "{line}: {out}");
    }
    // One entry, no disclosures.
    let (code, out) = run("dledger verify l.ledger");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("(RFC 6962 tree of its one entry)"), "{out}");
    assert!(
        out.contains("No disclosures are recorded, so none fall"),
        "{out}"
    );
    // Acknowledging an entry that is not a disclosure.
    let (code, out) = run("dledger -l l.ledger ack 0 --key ico.key");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is an entry of kind genesis"), "{out}");
    // One theme in force: singular in the review.
    let (code, out) = run(
        "dledger -l l.ledger theme declare age-assurance --title 'Age assurance' --key ico.key \
         --confirm-key ofcom.key --agreed 2024-03-01",
    );
    assert_eq!(code, 0, "{out}");
    // A field named like an option is shared as a field only, and said so.
    let (_, out) = run(
        "dledger -l l.ledger disclose --key ofcom.key --from OFCOM --to ICO --at \"$(date +%F)\" \
         --gateway 'not engaged: published' --category public-information --theme age-assurance \
         --field source_reference=https://example.org/report --notified --officer-role Team \
         --dry-run",
    );
    assert!(
        out.contains("field source_reference is shared as a field value only"),
        "{out}"
    );
    assert!(out.contains("--public-source"), "{out}");
    let (code, out) = run(
        "dledger -l l.ledger disclose --key ofcom.key --from OFCOM --to ICO --at \"$(date +%F)\" \
         --gateway 'Communications Act 2003 s393(2)(a)' --category theme-only \
         --theme age-assurance --skipped --officer-role Team",
    );
    assert!(matches!(code, 0 | 1), "{out}");
    let (code, out) = run("dledger -l l.ledger review");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Registers at the end: 1 theme in force"),
        "{out}"
    );

    // A rotated key is named as rotated, with what to do.
    let sample = common::sample_v2_copy(w);
    let keys = common::demo_keys_in(w);
    let (code, out) = run(&format!(
        "dledger -l {} ack 481 --key {}",
        sample.display(),
        keys.join("ico-2024.key").display()
    ));
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("was rotated or revoked at #307; sign with a current key"),
        "{out}"
    );
}
