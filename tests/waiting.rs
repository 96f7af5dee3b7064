//! "What is waiting for me" (issue 16): `dledger waiting --party P` lists the disclosures P has
//! to acknowledge, its own the recipient has not, proposals to confirm and open flags — and
//! agrees with `verify`, which finds the same unacknowledged disclosures by another path.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;

fn json(ledger: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("-l")
        .arg(ledger)
        .args(args)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        common::output_text(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn seqs(v: &serde_json::Value) -> BTreeSet<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x["seq"].as_u64().unwrap())
        .collect()
}

#[test]
fn waiting_agrees_with_verify_and_moves_on_when_acted_on() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = common::sample_v2_copy(dir.path());
    let keys = common::demo_keys_in(dir.path());
    let as_of = "2026-01-31";
    let w = json(
        &ledger,
        &["waiting", "--party", "ICO", "--as-of", as_of, "--json"],
    );
    let to_ack = seqs(&w["to_acknowledge"]);
    assert!(!to_ack.is_empty());
    for item in w["to_acknowledge"].as_array().unwrap() {
        assert_eq!(item["to"], "ICO");
    }
    for item in w["awaiting_acknowledgement"].as_array().unwrap() {
        assert_eq!(item["from"], "ICO");
    }
    // verify, by its own path: every disclosure to the ICO overdue for acknowledgement.
    let report = json(&ledger, &["verify", "--as-of", as_of, "--json"]);
    let overdue: BTreeSet<u64> = report["policy"]["flags"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let m = f["message"].as_str().unwrap();
            (f["code"] == "unacknowledged" && m.contains("not acknowledged by ICO"))
                || (f["code"] == "correction-unacknowledged"
                    && m.ends_with("not acknowledged by ICO"))
        })
        .map(|f| f["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(to_ack, overdue, "waiting and verify disagree");
    // Open flags are those on the ICO's disclosures (or on policy documents).
    assert!(!w["open_flags"].as_array().unwrap().is_empty());

    // Acknowledging one takes it off the list.
    let first = *to_ack.iter().next().unwrap();
    let key = keys.join("ico-2025.key");
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("-l")
        .arg(&ledger)
        .args(["ack", &first.to_string(), "--key", key.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));
    let after = json(
        &ledger,
        &["waiting", "--party", "ICO", "--as-of", as_of, "--json"],
    );
    let mut expected = to_ack.clone();
    expected.remove(&first);
    assert_eq!(seqs(&after["to_acknowledge"]), expected);

    // The text form says the same, with the command to run.
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("-l")
        .arg(&ledger)
        .args(["waiting", "--party", "ICO", "--as-of", as_of])
        .output()
        .unwrap();
    let text = common::output_text(&out);
    assert!(
        text.contains(&format!(
            "To acknowledge ({} disclosures; `dledger ack N --key <ICO key>`)",
            expected.len()
        )),
        "{text}"
    );
}

#[test]
fn an_unknown_party_is_refused_with_the_ledgers_parties() {
    let out = Command::cargo_bin("dledger")
        .unwrap()
        .arg("-l")
        .arg(common::sample_v2_ledger())
        .args(["waiting", "--party", "FCA"])
        .output()
        .unwrap();
    let text = common::output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("FCA is not a party of this ledger (its parties are CMA, ICO, OFCOM)"),
        "{text}"
    );
}
