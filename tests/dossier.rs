//! Company dossiers (`dledger dossier COMPANY -o DIR`): every disclosure, correction and refusal
//! naming a company up to the latest cosigned checkpoint, with the index proofs that the list is
//! complete. Each test checks one thing a lawyer relies on — the list is all of them, its flags
//! are the ones `verify` raises, an opposing expert cannot drop or add an entry or doctor the
//! table, an unknown company gets a proven empty dossier, an old checkpoint says "not proven",
//! and the printable page renders in a browser.

mod common;

use common::chromium::{chromium, dom_json, run_chromium};

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command as Cli;
use disclosure_ledger::codec::decode_entry;
use disclosure_ledger::evidence::{
    CheckName, EvidenceReport, INDEX_FILE, Manifest, Role, build_dossier, load_trust_dir,
    verify_bundle,
};
use disclosure_ledger::hash::sha256;
use disclosure_ledger::keys::PublicKey;
use disclosure_ledger::model::{Body, CompanyId, Entry};
use disclosure_ledger::store::{Access, Store, StoreError};
use evidence_verify::{DOSSIER_HTML_FILE, derive_dossier};

const COMPANY: &str = "brightloop";

/// A copy of a sample ledger in a temporary directory, where dossiers are written.
struct Fixture {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    ledger: PathBuf,
}

/// A copy of the format 2 sample (its latest cosigned checkpoint carries the index root).
fn v2() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let ledger = common::sample_v2_copy(dir.path());
    Fixture {
        dir: dir.path().to_owned(),
        _dir: dir,
        ledger,
    }
}

/// A copy of the format 1 sample (its checkpoints predate the index).
fn v1() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let ledger = common::sample_copy(dir.path());
    Fixture {
        dir: dir.path().to_owned(),
        _dir: dir,
        ledger,
    }
}

impl Fixture {
    /// Builds the dossier of `company` with the library and writes it to a new directory.
    fn dossier(&self, company: &str, name: &str) -> PathBuf {
        let store = Store::open(&self.ledger, Access::ReadOnly).unwrap();
        let out = self.dir.join(name);
        build_dossier(&store, &CompanyId::new(company).unwrap(), None, None, &[])
            .unwrap()
            .write(&out)
            .unwrap();
        out
    }

    /// The first `size` entries of the ledger, decoded.
    fn entries(&self, size: u64) -> Vec<Entry> {
        let store = Store::open(&self.ledger, Access::ReadOnly).unwrap();
        let mut entries = Vec::new();
        store
            .scan(0, Some(size), |r| {
                entries.push(decode_entry(&r.bytes).unwrap());
                Ok::<_, StoreError>(())
            })
            .unwrap();
        assert_eq!(entries.len() as u64, size);
        entries
    }
}

/// The public keys at the repository root (the parties' trust roots).
fn trust() -> Vec<PublicKey> {
    load_trust_dir(&common::root().join("keys")).unwrap()
}

fn verify(dir: &Path) -> EvidenceReport {
    verify_bundle(dir, &trust()).unwrap()
}

fn manifest(dir: &Path) -> Manifest {
    serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

fn failures(report: &EvidenceReport) -> Vec<(CheckName, String)> {
    report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| (c.name, c.detail.clone()))
        .collect()
}

/// `text` with every run of white space made one space (the claim is wrapped at 96 columns).
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `e` names `company` (by id) as a disclosure, a correction's replacement or a refusal:
/// worked out from the entry itself, not with the index code the dossier uses.
fn names(e: &Entry, company: &str) -> bool {
    let named: Vec<&CompanyId> = match &e.body {
        Body::Disclosure(d) => d.category.companies().iter().map(|c| &c.id).collect(),
        Body::Correction(c) => c
            .replacement
            .iter()
            .flat_map(|d| d.category.companies().iter().map(|c| &c.id))
            .collect(),
        Body::Refusal(r) => r.companies.iter().map(|c| &c.id).collect(),
        _ => Vec::new(),
    };
    named.iter().any(|id| id.as_str() == company)
}

/// The date a dossier row shows for `e`: when it was disclosed (or refused), London time.
fn made_on(e: &Entry) -> String {
    match &e.body {
        Body::Disclosure(d) => d.disclosed_at.london_date().to_string(),
        Body::Correction(c) => c
            .replacement
            .as_ref()
            .unwrap()
            .disclosed_at
            .london_date()
            .to_string(),
        Body::Refusal(r) => r.decided_at.london_date().to_string(),
        other => panic!("#{} ({}) is not a dossier row", e.seq.0, other.kind()),
    }
}

/// One row of summary.txt's table.
#[derive(Debug)]
struct Row {
    seq: u64,
    date: String,
    /// Each flag's code, with its disposition ("escalated by OFCOM in #206") if any.
    flags: Vec<(String, Option<String>)>,
}

/// The table of a dossier's summary.txt, read by its columns.
fn table(summary: &str) -> Vec<Row> {
    let mut lines = summary
        .lines()
        .skip_while(|l| !l.starts_with("entry  date"));
    let header = lines.next().expect("summary.txt has a table");
    // Cells are padded by characters (the direction holds "→"), so columns are char offsets.
    let flags_at = header.chars().count() - "flags".len();
    assert!(header.ends_with("flags"), "{header}");
    let mut rows = Vec::new();
    for line in lines.take_while(|l| !l.is_empty()) {
        if line == "(none)" {
            continue;
        }
        let mut cells = line.split_whitespace();
        let seq = cells
            .next()
            .and_then(|c| c.strip_prefix('#'))
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("a table row starts with its entry: {line:?}"));
        let date = cells.next().unwrap().to_owned();
        let text: String = line.chars().skip(flags_at).collect();
        let flags = if text == "none" {
            Vec::new()
        } else {
            text.split(", ")
                .map(|f| match f.split_once(" (") {
                    Some((code, d)) => (code.to_owned(), Some(d.trim_end_matches(')').to_owned())),
                    None => (f.to_owned(), None),
                })
                .collect()
        };
        rows.push(Row { seq, date, flags });
    }
    rows
}

/// The N of "These are all N entries naming …".
fn claimed_count(summary: &str) -> u64 {
    let s = flat(summary);
    let rest = s
        .split_once("These are all ")
        .unwrap_or_else(|| panic!("no completeness claim: {s}"))
        .1;
    rest.split(' ').next().unwrap().parse().unwrap()
}

fn subjects(m: &Manifest) -> BTreeSet<u64> {
    m.entries
        .iter()
        .filter(|e| e.role == Role::Subject)
        .map(|e| e.seq)
        .collect()
}

fn entry_files(seq: u64) -> [String; 3] {
    ["bin", "sig", "tlog-proof"].map(|ext| format!("entries/{seq}.{ext}"))
}

/// Every file of a written dossier, by relative path.
fn read_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for sub in ["", "entries"] {
        for f in fs::read_dir(dir.join(sub)).unwrap() {
            let f = f.unwrap();
            if f.file_type().unwrap().is_file() {
                let rel = if sub.is_empty() {
                    f.file_name().to_string_lossy().into_owned()
                } else {
                    format!("{sub}/{}", f.file_name().to_string_lossy())
                };
                files.insert(rel, fs::read(f.path()).unwrap());
            }
        }
    }
    files
}

/// Writes the entries packed in `entries.jsonl` out as per-entry files (as a bundle has them),
/// for a test to edit them one by one.
fn unpack(dir: &Path) {
    let files = evidence_verify::unpack_entries(&read_files(dir)).unwrap();
    fs::create_dir_all(dir.join("entries")).unwrap();
    for (path, bytes) in files.iter().filter(|(p, _)| p.starts_with("entries/")) {
        fs::write(dir.join(path), bytes).unwrap();
    }
    fs::remove_file(dir.join("entries.jsonl")).unwrap();
}

/// Packs the per-entry files back into `entries.jsonl`, as the dossier writer does.
fn repack(dir: &Path) {
    let mut files = read_files(dir);
    let loose: Vec<String> = files
        .keys()
        .filter(|p| p.starts_with("entries/"))
        .cloned()
        .collect();
    if loose.is_empty() {
        return;
    }
    evidence_verify::pack_entries(&mut files).unwrap();
    fs::write(dir.join("entries.jsonl"), &files["entries.jsonl"]).unwrap();
    for p in loose {
        fs::remove_file(dir.join(p)).unwrap();
    }
}

/// The manifest's file list made to match the files in `dir`: sizes and SHA-256 recomputed,
/// files no longer there dropped.
fn rehash(dir: &Path, manifest: &mut Manifest) {
    manifest.files.retain(|f| dir.join(&f.path).exists());
    for f in &mut manifest.files {
        let bytes = fs::read(dir.join(&f.path)).unwrap();
        f.bytes = bytes.len() as u64;
        f.sha256 = hex::encode(sha256(&bytes));
    }
    fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(manifest).unwrap(),
    )
    .unwrap();
}

/// As an opposing expert would after editing a dossier: the manifest's entry and file lists
/// made to match the files, and summary.txt and dossier.html rewritten to what the verifier
/// now derives from the entries.
fn reseal(dir: &Path) {
    let mut m = manifest(dir);
    m.entries
        .retain(|e| dir.join(format!("entries/{}.bin", e.seq)).exists());
    repack(dir);
    if !m.files.iter().any(|f| f.path == "entries.jsonl") {
        let mut listed = m.files[0].clone();
        listed.path = "entries.jsonl".into();
        m.files.push(listed);
        m.files.sort_by(|a, b| a.path.cmp(&b.path));
    }
    rehash(dir, &mut m);
    // derive_dossier reads the packed entries itself, as the writer's self-check does.
    let (report, html) = derive_dossier(&m, &read_files(dir), &trust());
    fs::write(dir.join("summary.txt"), &report.summary).unwrap();
    fs::write(dir.join(DOSSIER_HTML_FILE), html).unwrap();
    rehash(dir, &mut m);
}

fn dledger() -> Cli {
    Cli::cargo_bin("dledger").unwrap()
}

#[test]
fn a_dossier_lists_every_entry_naming_the_company_and_verifies() {
    let f = v2();
    let dir = f.dossier(COMPANY, "dossier");
    let report = verify(&dir);
    assert!(report.ok, "{:#?}", failures(&report));
    assert!(dir.join(INDEX_FILE).exists());
    let m = manifest(&dir);
    assert_eq!(m.dossier.as_ref().unwrap().company, COMPANY);

    // Worked out from the entries themselves, up to the checkpoint the dossier proves against.
    let expected: BTreeSet<u64> = f
        .entries(m.tree_size)
        .iter()
        .filter(|e| names(e, COMPANY))
        .map(|e| e.seq.0)
        .collect();
    assert!(
        expected.len() > 10,
        "the sample names {COMPANY} in many entries"
    );

    let summary = fs::read_to_string(dir.join("summary.txt")).unwrap();
    assert_eq!(summary, report.summary);
    let rows: BTreeSet<u64> = table(&summary).iter().map(|r| r.seq).collect();
    assert_eq!(rows, expected, "the table's entries");
    assert_eq!(claimed_count(&summary), expected.len() as u64, "{summary}");
    assert_eq!(subjects(&m), expected, "the manifest's subjects");
    let s = flat(&summary);
    assert!(s.contains("These are all"), "{s}");
    assert!(s.contains("proves none is missing"), "{s}");
    assert!(
        s.contains(&format!("recorded in the first {} entries", m.tree_size)),
        "{s}"
    );
    assert!(!s.contains("Not proven"), "{s}");
    let complete = report
        .checks
        .iter()
        .filter(|c| c.name == CheckName::Completeness)
        .collect::<Vec<_>>();
    assert!(
        complete.iter().all(|c| c.ok)
            && complete
                .iter()
                .any(|c| c.detail.contains("no more, no fewer")),
        "{complete:#?}"
    );
    let summary_checks: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.name == CheckName::Summary)
        .collect();
    assert_eq!(summary_checks.len(), 2, "summary.txt and dossier.html");
}

#[test]
fn its_flags_are_the_ones_verify_raises() {
    let f = v2();
    // What `verify` raises, per entry: open flags, flags of replaced disclosures, and flags a
    // party has disposed of.
    let out = dledger()
        .args(["verify", "--json"])
        .arg(&f.ledger)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        common::output_text(&out)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let policy = &json["policy"];
    let mut raised: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    let mut add = |flag: &serde_json::Value| {
        raised
            .entry(flag["seq"].as_u64().unwrap())
            .or_default()
            .insert(flag["code"].as_str().unwrap().to_owned());
    };
    for flag in policy["flags"].as_array().unwrap() {
        add(flag);
    }
    for flag in policy["replaced"].as_array().into_iter().flatten() {
        add(flag);
    }
    for d in policy["disposed"].as_array().into_iter().flatten() {
        add(&d["flag"]);
    }
    // A dossier carries no vault values, and `unacknowledged` depends on the day it is judged.
    let not_compared = ["company-named-in-theme-only", "unacknowledged"];

    let store = Store::open(&f.ledger, Access::ReadOnly).unwrap();
    let size = build_dossier(&store, &CompanyId::new(COMPANY).unwrap(), None, None, &[])
        .unwrap()
        .manifest()
        .tree_size;
    let entries = f.entries(size);
    // The latest disposition of each (entry, flag), as the table shows it.
    let mut dispositions: BTreeMap<(u64, String), String> = BTreeMap::new();
    for e in &entries {
        if let Body::Disposition(d) = &e.body {
            dispositions.insert(
                (d.entry.0, d.flag.clone()),
                format!(
                    "{} by {} in #{}",
                    d.action.as_str(),
                    e.signer.party,
                    e.seq.0
                ),
            );
        }
    }
    // Every company the ledger names, not only COMPANY: each row is judged on its own.
    let companies: BTreeSet<String> = entries
        .iter()
        .flat_map(|e| match &e.body {
            Body::Disclosure(d) => d.category.companies().to_vec(),
            Body::Correction(c) => c
                .replacement
                .iter()
                .flat_map(|d| d.category.companies().to_vec())
                .collect(),
            Body::Refusal(r) => r.companies.clone(),
            _ => Vec::new(),
        })
        .map(|c| c.id.as_str().to_owned())
        .collect();
    assert!(companies.contains(COMPANY), "{companies:?}");

    let (mut compared, mut flagged, mut disposed) = (0, 0, 0);
    let mut differ = Vec::new();
    for company in &companies {
        let dossier =
            build_dossier(&store, &CompanyId::new(company).unwrap(), None, None, &[]).unwrap();
        assert_eq!(dossier.manifest().tree_size, size);
        let summary = String::from_utf8(dossier.files()["summary.txt"].clone()).unwrap();
        let html = String::from_utf8(dossier.files()[DOSSIER_HTML_FILE].clone()).unwrap();
        for row in table(&summary) {
            compared += 1;
            let shown: BTreeSet<String> = row
                .flags
                .iter()
                .map(|(code, _)| code.clone())
                .filter(|c| !not_compared.contains(&c.as_str()))
                .collect();
            let expected: BTreeSet<String> = raised
                .get(&row.seq)
                .into_iter()
                .flatten()
                .filter(|c| !not_compared.contains(&c.as_str()))
                .cloned()
                .collect();
            if shown != expected {
                differ.push(format!(
                    "{company} #{}: dossier {shown:?}, verify {expected:?}",
                    row.seq
                ));
            }
            flagged += usize::from(!row.flags.is_empty());
            for (code, shown_disposition) in &row.flags {
                let recorded = dispositions.get(&(row.seq, code.clone()));
                assert_eq!(
                    shown_disposition.as_ref(),
                    recorded,
                    "{company} #{} flag {code}",
                    row.seq
                );
                disposed += usize::from(recorded.is_some());
            }
            // The page shows the same flags as the text.
            let cell = if row.flags.is_empty() {
                "none".to_owned()
            } else {
                row.flags
                    .iter()
                    .map(|(c, d)| match d {
                        Some(d) => format!("{c} ({d})"),
                        None => c.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let html_row = html
                .lines()
                .find(|l| l.starts_with(&format!("<tr><td>#{}</td>", row.seq)))
                .unwrap_or_else(|| panic!("{company}: dossier.html has no row #{}", row.seq));
            assert!(
                html_row.ends_with(&format!("<td class=\"flags\">{cell}</td></tr>")),
                "{company} #{}: {html_row}",
                row.seq
            );
        }
    }
    assert!(
        differ.is_empty(),
        "flags differ from verify's:\n{}",
        differ.join("\n")
    );
    // Not vacuous: many rows, several with flags, one with a recorded disposition.
    assert!(compared > 100, "{compared} rows compared");
    assert!(flagged >= 10, "{flagged} flagged rows");
    assert!(disposed >= 1, "{disposed} dispositions shown");
}

#[test]
fn omitting_a_disclosure_fails_naming_it() {
    let f = v2();
    let dir = f.dossier(COMPANY, "dossier");
    let m = manifest(&dir);
    let entries = f.entries(m.tree_size);
    let held: BTreeSet<u64> = m.entries.iter().map(|e| e.seq).collect();
    // A subject disclosure whose only referrers in the dossier are acknowledgements: the expert
    // drops it and them, so that nothing left in the dossier points at it.
    let (gone, acks) = subjects(&m)
        .into_iter()
        .filter(|s| matches!(entries[*s as usize].body, Body::Disclosure(_)))
        .find_map(|s| {
            let referrers: Vec<&Entry> = entries
                .iter()
                .filter(|e| held.contains(&e.seq.0) && e.body.references().iter().any(|r| r.0 == s))
                .collect();
            referrers
                .iter()
                .all(|e| matches!(e.body, Body::Acknowledgement(_)))
                .then(|| (s, referrers.iter().map(|e| e.seq.0).collect::<Vec<_>>()))
        })
        .expect("a subject disclosure only acknowledged");
    unpack(&dir);
    for seq in std::iter::once(gone).chain(acks.iter().copied()) {
        for file in entry_files(seq) {
            fs::remove_file(dir.join(file)).unwrap();
        }
    }
    reseal(&dir);
    let m = manifest(&dir);
    assert!(!m.entries.iter().any(|e| e.seq == gone));
    assert!(
        !m.files.iter().any(|f| entry_files(gone).contains(&f.path)),
        "{gone}'s files are off the manifest"
    );

    let report = verify(&dir);
    assert!(!report.ok);
    let failed = failures(&report);
    // The manifest, summary.txt and dossier.html are consistent: it is the proof that fails.
    assert!(
        failed
            .iter()
            .all(|(name, _)| *name == CheckName::Completeness),
        "{failed:#?}"
    );
    assert!(
        failed
            .iter()
            .any(|(_, d)| d.contains(&format!("entry #{gone} "))
                && d.contains(&format!("company/{COMPANY}"))
                && d.contains("missing from the dossier")),
        "{failed:#?}"
    );
    // The derived summary no longer claims completeness.
    let s = flat(&report.summary);
    assert!(!s.contains("These are all"), "{s}");
    assert!(!s.contains("proves none is missing"), "{s}");
    assert!(!table(&report.summary).iter().any(|r| r.seq == gone));
}

#[test]
fn an_extra_entry_fails() {
    let f = v2();
    let dir = f.dossier(COMPANY, "dossier");
    let donor = f.dossier("chatterbox", "donor");
    let ours = manifest(&dir);
    let held: BTreeSet<u64> = ours.entries.iter().map(|e| e.seq).collect();
    let theirs = manifest(&donor);
    assert_eq!(theirs.tree_size, ours.tree_size, "the same checkpoint");
    // A real, signed disclosure about another company, with its proof to the same checkpoint.
    let extra = theirs
        .entries
        .iter()
        .find(|e| e.role == Role::Subject && !held.contains(&e.seq))
        .expect("a chatterbox disclosure not in the brightloop dossier")
        .clone();
    let entries = f.entries(ours.tree_size);
    assert!(!names(&entries[extra.seq as usize], COMPANY));
    unpack(&dir);
    unpack(&donor);
    for file in entry_files(extra.seq) {
        fs::copy(donor.join(&file), dir.join(&file)).unwrap();
    }
    let mut m = ours.clone();
    m.entries.push(extra.clone());
    m.entries.sort_by_key(|e| e.seq);
    rehash(&dir, &mut m);
    reseal(&dir);
    assert!(manifest(&dir).entries.iter().any(|e| e.seq == extra.seq));

    let report = verify(&dir);
    assert!(!report.ok);
    let failed = failures(&report);
    assert!(
        failed
            .iter()
            .all(|(name, _)| *name == CheckName::Completeness),
        "{failed:#?}"
    );
    assert!(
        failed.iter().any(
            |(_, d)| d.contains(&format!("entry #{} (disclosure)", extra.seq))
                && d.contains("on none of the lists")
        ),
        "{failed:#?}"
    );
}

#[test]
fn a_doctored_table_fails() {
    let f = v2();
    let flag = "late-acknowledgement";
    for (file, from, to) in [
        ("summary.txt", format!("  {flag}\n"), "  none\n".to_owned()),
        (
            DOSSIER_HTML_FILE,
            format!("<td class=\"flags\">{flag}</td>"),
            "<td class=\"flags\">none</td>".to_owned(),
        ),
    ] {
        let dir = f.dossier(COMPANY, &format!("doctored-{file}"));
        assert!(verify(&dir).ok);
        // The expert hides one flag of one row, and lists the file's new hash in the manifest.
        let text = fs::read_to_string(dir.join(file)).unwrap();
        assert!(text.contains(&from), "{file} shows {flag}: {text}");
        fs::write(dir.join(file), text.replacen(&from, &to, 1)).unwrap();
        rehash(&dir, &mut manifest(&dir));

        let report = verify(&dir);
        assert!(!report.ok, "{file}");
        let failed = failures(&report);
        assert_eq!(failed.len(), 1, "{file}: {failed:#?}");
        assert_eq!(failed[0].0, CheckName::Summary, "{file}: {failed:#?}");
        assert!(
            failed[0].1.starts_with(&format!("{file} differs")),
            "{file}: {failed:#?}"
        );
        // The other file is still the one the entries give.
        let other = if file == "summary.txt" {
            DOSSIER_HTML_FILE
        } else {
            "summary.txt"
        };
        assert!(
            report.checks.iter().any(|c| c.name == CheckName::Summary
                && c.ok
                && c.detail.starts_with(&format!("{other} says exactly"))),
            "{file}"
        );
        // And what is printed is derived from the entries, flag and all.
        assert!(report.summary.contains(&format!("  {flag}\n")));
    }
}

#[test]
fn an_unknown_company_gets_a_proven_empty_dossier() {
    let f = v2();
    let dir = f.dossier("no-such-co", "empty");
    let report = verify(&dir);
    assert!(report.ok, "{:#?}", failures(&report));
    let summary = fs::read_to_string(dir.join("summary.txt")).unwrap();
    let s = flat(&summary);
    assert!(s.contains("These are all 0 entries naming"), "{s}");
    assert!(s.contains("proves none is missing"), "{s}");
    assert_eq!(claimed_count(&summary), 0);
    assert!(table(&summary).is_empty(), "{summary}");
    assert!(summary.contains("\n(none)\n"), "{summary}");
    let m = manifest(&dir);
    assert!(subjects(&m).is_empty());
    // The empty list is proved, not just found empty.
    let proofs: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join(INDEX_FILE)).unwrap()).unwrap();
    let list = proofs["proofs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "company/no-such-co")
        .expect("a proof for the company's list");
    assert_eq!(list["entries"], serde_json::json!([]));
    let html = fs::read_to_string(dir.join(DOSSIER_HTML_FILE)).unwrap();
    assert!(html.contains("<td colspan=\"9\">(none)</td>"), "{html}");
}

#[test]
fn a_dossier_at_an_old_checkpoint_says_not_proven() {
    let f = v1();
    let dir = f.dossier(COMPANY, "old");
    let report = verify(&dir);
    assert!(report.ok, "{:#?}", failures(&report));
    assert!(!dir.join(INDEX_FILE).exists());
    let summary = fs::read_to_string(dir.join("summary.txt")).unwrap();
    let s = flat(&summary);
    assert!(s.contains("Not proven"), "{s}");
    assert!(!s.contains("These are all"), "{s}");
    assert!(!s.contains("proves none is missing"), "{s}");
    // It still shows every entry naming the company that it holds.
    let m = manifest(&dir);
    let expected: BTreeSet<u64> = f
        .entries(m.tree_size)
        .iter()
        .filter(|e| names(e, COMPANY))
        .map(|e| e.seq.0)
        .collect();
    assert!(!expected.is_empty());
    let rows: BTreeSet<u64> = table(&summary).iter().map(|r| r.seq).collect();
    assert_eq!(rows, expected);
    assert!(
        s.contains(&format!("These are the {} entries naming", expected.len())),
        "{s}"
    );
    let complete = report
        .checks
        .iter()
        .find(|c| c.name == CheckName::Completeness)
        .unwrap();
    assert!(
        complete.ok && complete.detail.starts_with("not proven"),
        "{complete:?}"
    );
}

#[test]
fn the_cli_writes_and_checks_a_dossier_for_a_period() {
    let f = v2();
    let (from, to) = ("2025-01-01", "2025-06-30");
    let dir = f.dir.join("half-year");
    let out = dledger()
        .arg("-l")
        .arg(&f.ledger)
        .args(["dossier", COMPANY, "--from", from, "--to", to, "-o"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));
    let summary = fs::read_to_string(dir.join("summary.txt")).unwrap();
    let rows = table(&summary);
    assert!(!rows.is_empty(), "{summary}");
    for r in &rows {
        assert!(
            from <= r.date.as_str() && r.date.as_str() <= to,
            "#{} on {} is outside the period",
            r.seq,
            r.date
        );
    }
    // The rows are exactly the entries naming the company made in the period; the claim is
    // still about all of them.
    let m = manifest(&dir);
    let entries = f.entries(m.tree_size);
    let named: Vec<&Entry> = entries.iter().filter(|e| names(e, COMPANY)).collect();
    let in_period: BTreeSet<u64> = named
        .iter()
        .filter(|e| (from..=to).contains(&made_on(e).as_str()))
        .map(|e| e.seq.0)
        .collect();
    assert!(in_period.len() < named.len());
    assert_eq!(
        rows.iter().map(|r| r.seq).collect::<BTreeSet<_>>(),
        in_period
    );
    assert_eq!(claimed_count(&summary), named.len() as u64);
    assert!(
        flat(&summary).contains(&format!("The table shows those made from {from} to {to}.")),
        "{summary}"
    );
    let scope = m.dossier.unwrap();
    assert_eq!(
        (scope.from.as_deref(), scope.to.as_deref()),
        (Some(from), Some(to))
    );

    let out = dledger()
        .arg("verify-evidence")
        .arg(&dir)
        .arg("--trust")
        .arg(common::root().join("keys"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::output_text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("VERIFIED"),
        "{}",
        common::output_text(&out)
    );

    // The dates the wrong way round: refused, nothing written.
    let backwards = f.dir.join("backwards");
    let out = dledger()
        .arg("-l")
        .arg(&f.ledger)
        .args(["dossier", COMPANY, "--from", to, "--to", from, "-o"])
        .arg(&backwards)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", common::output_text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--from"), "{err}");
    assert!(!backwards.exists());
}

// ---------------------------------------------------------------------------
// The page in a browser (as tests/review_html.rs renders the review)
// ---------------------------------------------------------------------------

/// Measures the page in a copy with a script appended that writes what it finds into the DOM.
const PROBE: &str = r"<script>
(function () {
  var t = document.getElementById('disclosures');
  var d = document.documentElement;
  var rows = t ? Array.prototype.map.call(t.tBodies[0].rows, function (r) { return r.cells[0].textContent; }) : null;
  document.body.setAttribute('data-geometry', JSON.stringify({
    scrollWidth: d.scrollWidth,
    innerWidth: window.innerWidth,
    clientWidth: d.clientWidth,
    tableRight: t ? Math.ceil(t.getBoundingClientRect().right) : null,
    tableScroll: t ? t.scrollWidth - t.clientWidth : null,
    rows: rows,
    claim: document.getElementById('claim') ? document.getElementById('claim').textContent : null
  }));
})();
</script>
</body>";

#[test]
#[cfg_attr(
    not(has_chromium),
    ignore = "no chromium on PATH: run scripts/test-setup.sh to install it"
)]
fn the_dossier_page_renders_in_chromium() {
    let chrome = chromium();
    let f = v2();
    let dir = f.dossier(COMPANY, "dossier");
    let html = fs::read_to_string(dir.join(DOSSIER_HTML_FILE)).unwrap();
    let summary = fs::read_to_string(dir.join("summary.txt")).unwrap();
    let lower = html.to_ascii_lowercase();
    for external in [
        "<script", "<link", "<iframe", "<img", "src=", "href=", "url(", "@import", "http:",
        "https:",
    ] {
        assert!(
            !lower.contains(external),
            "the page must be self-contained, but it has {external:?}"
        );
    }

    let page = f.dir.join("probe.html");
    fs::write(&page, html.replacen("</body>", PROBE, 1)).unwrap();
    let rows: Vec<String> = table(&summary)
        .iter()
        .map(|r| format!("#{}", r.seq))
        .collect();
    assert!(rows.len() > 10);
    // 1024 px, and the printable width of A4 (210 mm less 10 mm margins, at 96 px per inch).
    for width in [1024, 718] {
        let out = run_chromium(
            &chrome,
            &f.dir.join(format!("profile-{width}")),
            &["--dump-dom", &format!("--window-size={width},900")],
            &page,
        );
        assert!(
            out.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        let console: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
            .collect();
        assert!(console.is_empty(), "console messages: {console:#?}");
        let dom = String::from_utf8_lossy(&out.stdout);
        let g = dom_json(&dom, "data-geometry");
        let num = |k: &str| g[k].as_i64().unwrap_or_else(|| panic!("{k} in {g}"));
        assert_eq!(num("innerWidth"), width, "{g}");
        assert!(
            num("scrollWidth") <= num("innerWidth"),
            "the page overflows horizontally at {width}px: {g}"
        );
        assert!(
            num("tableRight") <= num("clientWidth") && num("tableScroll") <= 0,
            "the table overflows at {width}px: {g}"
        );
        let shown: Vec<String> = g["rows"]
            .as_array()
            .expect("the page has the table #disclosures")
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(shown, rows, "one row per entry in the summary");
        let claim = g["claim"].as_str().expect("the page has the claim #claim");
        assert!(
            claim.contains(&format!("These are all {} entries naming", rows.len()))
                && claim.contains("proves none is missing"),
            "{claim}"
        );
    }

    // It prints.
    let pdf = f.dir.join("dossier.pdf");
    let out = run_chromium(
        &chrome,
        &f.dir.join("profile-pdf"),
        &[
            "--no-pdf-header-footer",
            &format!("--print-to-pdf={}", pdf.display()),
        ],
        &dir.join(DOSSIER_HTML_FILE),
    );
    assert!(
        out.status.success(),
        "printing failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = fs::read(&pdf).unwrap();
    assert!(
        bytes.starts_with(b"%PDF-") && bytes.len() > 10_000,
        "not a real PDF ({} bytes)",
        bytes.len()
    );
}

#[test]
fn opened_values_are_checked_and_a_doctored_one_fails() {
    let f = v2();
    let store = Store::open(&f.ledger, Access::ReadOnly).unwrap();
    let open = ["request_date".parse().unwrap()];
    let dir = f.dir.join("opened");
    build_dossier(&store, &CompanyId::new(COMPANY).unwrap(), None, None, &open)
        .unwrap()
        .write(&dir)
        .unwrap();
    let report = verify(&dir);
    assert!(report.ok, "{:#?}", failures(&report));
    assert!(
        report.summary.contains("Field values opened")
            && report.summary.contains("request_date: \""),
        "{}",
        report.summary
    );
    // The expert changes one opened value and rewrites the manifest's hash of the file.
    let path = dir.join("openings.json");
    let text = fs::read_to_string(&path).unwrap();
    let mut o: serde_json::Value = serde_json::from_str(&text).unwrap();
    let value = &mut o["entries"][0]["fields"][0]["value"];
    *value = format!("{}x", value.as_str().unwrap()).into();
    fs::write(&path, serde_json::to_vec_pretty(&o).unwrap()).unwrap();
    unpack(&dir);
    reseal(&dir);
    let report = verify(&dir);
    assert!(!report.ok);
    assert!(
        failures(&report)
            .iter()
            .any(|(n, d)| *n == CheckName::FieldOpening && d.contains("do not reproduce")),
        "{:#?}",
        failures(&report)
    );
}
