//! Every example in every command's `--help` is run, as a reader would paste it into a shell,
//! against a copy of the sample ledger and the demo keys, so examples cannot rot: each must end
//! with exit code 0 (or 1, "policy flags found", for the commands that report flags). Every
//! command (and subcommand) must show at least one example, and no example line may be wrapped
//! mid-command (long ones continue with `\`).
//!
//! The world each example runs in (a fresh temporary directory, also its `HOME`): the format 2
//! sample as `ico-ofcom.ledger` (and both samples under `fixtures/`), the demo private keys
//! (`ico-2024.key`, …) and `keys/` with their public halves, the repository's `policy/`, and
//! the input files the examples name (`disclosure.json`, `fixed.json`, `disclosures.csv`).
//! Examples that need an earlier step (a checkpoint to cosign, a bundle to check) get it from
//! [`SETUP`], which runs before them.

mod common;

use common::shell::sh;

use std::fs;
use std::path::Path;
use std::process::Command;

/// Shell lines run in the world before the examples of a command.
const SETUP: &[(&str, &str)] = &[
    ("init", "rm ico-ofcom.ledger"),
    (
        "cosign",
        "dledger -l ico-ofcom.ledger checkpoint --key ico-2025.key -o checkpoint.note",
    ),
    // A bundle at the sample's cosigned checkpoint (size 453), then one more entry and a
    // newer cosigned checkpoint (454): the bundle is stale against it.
    (
        "verify-evidence",
        "cp fixtures/sample.ledger ico-ofcom.ledger && \
         dledger -l ico-ofcom.ledger evidence 42 -o bundle-42 >/dev/null && \
         dledger -l ico-ofcom.ledger theme declare later-theme --title Later \
           --key ico-2025.key >/dev/null; \
         dledger -l ico-ofcom.ledger checkpoint --key ico-2025.key -o newer.note >/dev/null && \
         dledger -l ico-ofcom.ledger cosign newer.note --key ofcom-2024.key -o newer.note \
           >/dev/null",
    ),
    (
        "import",
        "dledger export -l fixtures/sample.ledger -o sample.jsonl",
    ),
    (
        "upgrade",
        "cp fixtures/store-v1/generated-40.ledger ico-ofcom.ledger",
    ),
];

/// `dledger ARGS --help`.
fn help(args: &[&str]) -> String {
    let out = Command::new(assert_cmd::cargo::cargo_bin("dledger"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?} --help fails");
    String::from_utf8(out.stdout).unwrap()
}

/// The subcommands a help text lists (without `help`).
fn subcommands(text: &str) -> Vec<String> {
    let Some(start) = text.find("\nCommands:\n") else {
        return Vec::new();
    };
    text[start + "\nCommands:\n".len()..]
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

/// Every command path: `["init"]`, `["theme", "declare"]`, ….
fn command_paths() -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for c in subcommands(&help(&[])) {
        let subs = subcommands(&help(&[&c]));
        if subs.is_empty() {
            out.push(vec![c]);
        } else {
            out.extend(subs.into_iter().map(|s| vec![c.clone(), s]));
        }
    }
    out
}

/// The examples of a help text: the `dledger …` lines after its `Example:`/`Examples:` line,
/// with `\` continuations joined.
fn examples(text: &str) -> Vec<String> {
    let Some(start) = text
        .lines()
        .position(|l| l.starts_with("Example:") || l.starts_with("Examples:"))
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines().skip(start + 1) {
        let trimmed = line.trim();
        match current.as_mut() {
            Some(cmd) => {
                cmd.push(' ');
                cmd.push_str(trimmed.trim_end_matches('\\').trim_end());
            }
            None if is_command(trimmed) => {
                current = Some(trimmed.trim_end_matches('\\').trim_end().to_owned());
            }
            None => continue,
        }
        if !trimmed.ends_with('\\') {
            out.extend(current.take());
        }
    }
    out
}

/// Whether an example line starts a command (`dledger …`, or `mkdir -p … && dledger …`).
fn is_command(line: &str) -> bool {
    line.starts_with("dledger ") || line.starts_with("mkdir -p ")
}

/// A fresh world for one command's examples.
fn world() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = common::root();
    let w = dir.path();
    common::shell::copy_samples(w);
    fs::copy(
        root.join("fixtures/sample-v2.ledger"),
        w.join("ico-ofcom.ledger"),
    )
    .unwrap();
    for item in fs::read_dir(root.join("fixtures/keys")).unwrap() {
        let p = item.unwrap().path();
        if p.extension().is_some_and(|e| e == "key") {
            copy_private(&p, &w.join(p.file_name().unwrap()));
        }
    }
    fs::create_dir_all(w.join("policy")).unwrap();
    for item in fs::read_dir(root.join("policy")).unwrap() {
        let p = item.unwrap().path();
        if p.is_file() {
            fs::copy(&p, w.join("policy").join(p.file_name().unwrap())).unwrap();
        }
    }
    for (name, text) in INPUTS {
        fs::write(w.join(name), text).unwrap();
    }
    dir
}

fn copy_private(from: &Path, to: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::copy(from, to).unwrap();
    fs::set_permissions(to, fs::Permissions::from_mode(0o600)).unwrap();
}

/// The input files examples name.
const INPUTS: &[(&str, &str)] = &[
    (
        "disclosure.json",
        r#"{
  "from": "OFCOM",
  "to": "ICO",
  "disclosed_at": "2025-12-20",
  "gateway": "Communications Act 2003 s393(2)(a)",
  "category": "information-request",
  "companies": ["brightloop"],
  "fields": {"request_date": "2025-12-18", "response_deadline": "2026-01-09"},
  "notification": "skipped: routine information request",
  "relevance": "limb",
  "officer_role": "Online Safety supervision team"
}
"#,
    ),
    (
        "fixed.json",
        r#"{
  "from": "OFCOM",
  "to": "ICO",
  "disclosed_at": "2025-12-18",
  "gateway": "Communications Act 2003 s393(2)(a)",
  "category": "theme-only",
  "themes": ["recommender-systems"],
  "notification": "skipped: theme-level information, no service named",
  "relevance": "limb",
  "officer_role": "Online Safety supervision team"
}
"#,
    ),
    (
        "disclosures.csv",
        "from,to,disclosed_at,gateway,category,companies,themes,notification,relevance,officer_role,field.request_date\n\
         OFCOM,ICO,2025-12-20,Communications Act 2003 s393(2)(a),information-request,brightloop,,\
         skipped: routine,limb,Online Safety supervision team,2025-12-18\n",
    ),
];

/// Commands whose examples talk to nodes on other machines (`https://ico-node.example`) or
/// run until stopped: tests/two_nodes.rs runs the same commands, with the same options,
/// against nodes it starts on loopback.
const NEEDS_NODES: &[&str] = &["serve", "mirror"];

/// Examples that write to a bucket (`s3://…`): tests/publish_s3.rs runs `publish --to s3://…`
/// against the S3 server it starts on loopback.
const NEEDS_S3: &str = "s3://";

/// Examples whose documented outcome is a failure, with the words it must say.
const EXPECTED_FAILURES: &[(&str, &str)] = &[("--consistency consistency.json", "stale:")];

#[test]
fn every_help_example_runs_on_the_sample() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for path in command_paths() {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        let text = help(&args);
        let name = path.join(" ");
        let list = examples(&text);
        if list.is_empty() {
            failures.push(format!("`dledger {name} --help` shows no example"));
            continue;
        }
        if NEEDS_NODES.contains(&name.as_str()) {
            continue;
        }
        let w = world();
        for (command, line) in SETUP {
            if *command == name {
                let (code, out) = sh(w.path(), line);
                assert_eq!(code, 0, "setup for {name} fails: {line}\n{out}");
            }
        }
        for example in list {
            if example.contains(NEEDS_S3) {
                continue;
            }
            ran += 1;
            let (code, out) = sh(w.path(), &example);
            if let Some((_, says)) = EXPECTED_FAILURES
                .iter()
                .find(|(part, _)| example.contains(part))
            {
                if code != 2 || !out.contains(says) {
                    failures.push(format!(
                        "`dledger {name} --help`: `{example}` should exit 2 saying {says:?}; \
                         it exits {code}:\n{out}"
                    ));
                }
                continue;
            }
            if !(code == 0 || code == 1) {
                failures.push(format!(
                    "`dledger {name} --help`: `{example}` exits {code}:\n{out}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of the help examples fail:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(ran > 40, "only {ran} examples ran");
}

#[test]
fn no_help_example_is_wrapped_mid_command() {
    for path in command_paths() {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        let text = help(&args);
        let Some(start) = text.find("Example") else {
            continue;
        };
        let lines: Vec<&str> = text[start..].lines().collect();
        for pair in lines.windows(2) {
            let (a, b) = (pair[0].trim_end(), pair[1].trim());
            let continues = a.ends_with('\\');
            let wrapped = is_command(a.trim_start())
                && !continues
                && !b.is_empty()
                && !is_command(b)
                && !b.starts_with('(')
                && !b.starts_with('#');
            assert!(
                !wrapped,
                "`dledger {} --help`: an example is wrapped mid-command:\n{a}\n{b}",
                path.join(" ")
            );
        }
    }
}
