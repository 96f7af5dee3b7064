//! The README's shell blocks, run as written (issue 16): each ```sh block is tagged by the HTML
//! comment above it — `setup` blocks run in order in one empty directory (a newcomer's: from
//! nothing to a two-party ledger with a first acknowledged disclosure, then verifying, proving
//! and reviewing it), `sample` blocks in order in a copy of the repository's samples and keys,
//! and `skip` blocks (installing, running CI's own commands) say why. Every command must exit
//! 0, or 1 where it reports policy flags; an untagged block fails the test.

mod common;

use common::shell::{command_lines, copy_samples, sh};

const TAG: &str = "<!-- readme-test: ";

/// The README's ```sh blocks with their tags.
fn blocks() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_end() == "```sh" {
            let tag = i
                .checked_sub(1)
                .and_then(|j| lines[j].strip_prefix(TAG))
                .and_then(|t| t.strip_suffix(" -->"))
                .unwrap_or_else(|| {
                    panic!(
                        "README.md line {}: a ```sh block needs a `{TAG}setup|sample|skip (why) -->` \
                         line above it",
                        i + 1
                    )
                })
                .to_owned();
            let end = (i + 1..lines.len())
                .find(|j| lines[*j].trim_end() == "```")
                .expect("the block closes");
            out.push((tag, lines[i + 1..end].join("\n")));
            i = end;
        }
        i += 1;
    }
    out
}

#[test]
fn every_readme_command_runs_as_written() {
    let setup = tempfile::tempdir().unwrap();
    let sample = tempfile::tempdir().unwrap();
    copy_samples(sample.path());
    let mut ran = 0;
    let mut failures = Vec::new();
    for (tag, block) in blocks() {
        let world = match tag.as_str() {
            "setup" => setup.path(),
            "sample" => sample.path(),
            t if t.starts_with("skip (") => continue,
            t => panic!("unknown README test tag {t:?}"),
        };
        for line in command_lines(&block) {
            ran += 1;
            let (code, out) = sh(world, &line);
            if !(code == 0 || code == 1) {
                failures.push(format!("[{tag}] `{line}` exits {code}:\n{out}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} README commands fail:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(ran >= 20, "only {ran} README commands ran");
}

#[test]
fn the_readme_setup_ends_with_an_acknowledged_disclosure_and_a_clean_verify() {
    let setup = tempfile::tempdir().unwrap();
    for (tag, block) in blocks() {
        if tag == "setup" {
            for line in command_lines(&block) {
                sh(setup.path(), &line);
            }
        }
    }
    let (code, out) = sh(setup.path(), "dledger -l ico-ofcom.ledger show 5");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("disclosure"), "{out}");
    let (code, out) = sh(
        setup.path(),
        "dledger -l ico-ofcom.ledger list --kind acknowledgement",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("acknowledges #5"), "{out}");
    // Registers agreed before the first disclosure, recorded on the day it was made: no flags.
    let (code, out) = sh(
        setup.path(),
        "dledger verify ico-ofcom.ledger --trust keys/",
    );
    assert_eq!(code, 0, "the newcomer's ledger verifies clean: {out}");
}
