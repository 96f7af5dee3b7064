//! Crash consistency: a child process appends entries (single and batched, themes and
//! disclosures with vault values, now and then a checkpoint, and now and then a bulk import whose
//! chunks are committed on a background thread) and is killed with SIGKILL at random moments.
//! After every kill the ledger must open, verify with no integrity failure (entries, Merkle tree,
//! checkpoints), hold every entry and checkpoint whose write the child reported as returned
//! (entries byte for byte, with their vault values) and every import chunk it reported durable,
//! and hold each batch and each import chunk entirely or not at all.
//!
//! Failed writes: appends that hit the file-size limit (RLIMIT_FSIZE, the same error a full disk
//! gives a writer: the write system call fails) fail with a clear message, leave no partial
//! entry, and the ledger stays valid and usable; a ledger file the writer may not open for
//! writing is refused with a clear message.
//!
//! `DLEDGER_CRASH_RUNS` sets the number of kills (default 200); the seed is fixed. The child is
//! this test binary itself, run again with `DLEDGER_CRASH_CHILD` set (see `child_appender`).

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use disclosure_ledger::bulk::import_disclosures;
use disclosure_ledger::codec::decode_entry;
use disclosure_ledger::hash::{field_commitment, leaf_hash};
use disclosure_ledger::input::DisclosureInput;
use disclosure_ledger::ledger::{Ledger, PartyInit, Pending, policy_document};
use disclosure_ledger::model::{Body, PartyId, ThemeId, Timestamp};
use disclosure_ledger::store::{Access, Store};
use disclosure_ledger::verify::{
    FlagFilter, IntegrityStatus, VerifyOptions, verify_ledger, verify_store,
};
use dledger_testkit::sample::{self, SplitMix64};

const CHILD_ENV: &str = "DLEDGER_CRASH_CHILD";
const SEED: u64 = 0x00c0_ffee_5eed_0007;

fn runs() -> u64 {
    std::env::var("DLEDGER_CRASH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

/// A ledger with ICO and Ofcom as parties and one theme in force, signed with the demo keys.
fn base_ledger(dir: &Path, keys: &Path) -> PathBuf {
    let path = dir.join("base.ledger");
    let ico = common::demo_key(keys, "ico-2024");
    let ofcom = common::demo_key(keys, "ofcom-2024");
    let party = |id: &str, name: &str, key: &disclosure_ledger::keys::SecretKey| PartyInit {
        id: PartyId::new(id).unwrap(),
        name: name.into(),
        key: key.public().clone(),
    };
    let now = Timestamp::now();
    let mut ledger = Ledger::create(
        &path,
        "test.example/crash",
        &[party("ICO", "ICO", &ico), party("OFCOM", "Ofcom", &ofcom)],
        policy_document(
            sample::DEFAULT_POLICY_LABEL,
            Timestamp(now.0 - 86_400),
            sample::DEFAULT_POLICY,
        ),
        &ico,
        now,
    )
    .unwrap();
    let theme = ledger
        .prepare_theme_declared(
            ThemeId::new("age-assurance").unwrap(),
            "Age assurance",
            "",
            now,
        )
        .unwrap();
    // A joint act: Ofcom confirms the ICO's proposal.
    let proposal = ledger.append(theme, &ico, now).unwrap().seq;
    let ofcom_id = ledger.party_of(&ofcom).unwrap();
    let confirm = ledger
        .prepare_confirmation(proposal, &ofcom_id, None, now)
        .unwrap();
    ledger.append(confirm, &ofcom, now).unwrap();
    path
}

fn disclosure_input(n: u64) -> DisclosureInput {
    let json = format!(
        r#"{{"from": "OFCOM", "to": "ICO", "disclosed_at": "2024-03-03",
            "gateway": "Communications Act 2003 s393(2)(a)", "category": "theme-only",
            "themes": ["age-assurance"],
            "fields": {{"summary": "crash test disclosure {n}", "meeting_date": "2024-03-0{}"}},
            "notification": "skipped: routine disclosure (statement §4)",
            "relevance": "relevant to online safety",
            "officer_role": "Online Safety supervision team"}}"#,
        1 + n % 9
    );
    DisclosureInput::from_json(&json).unwrap()
}

/// The child: appends until killed, reporting each batch before it starts (`BEGIN seq count`)
/// and each entry once its append has returned (`ACK seq hash`). Does nothing unless run by
/// the crash test.
#[test]
fn child_appender() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.split('|');
    let path = PathBuf::from(parts.next().unwrap());
    let keys = PathBuf::from(parts.next().unwrap());
    let seed: u64 = parts.next().unwrap().parse().unwrap();
    let mut rng = SplitMix64::new(seed);
    let ico = common::demo_key(&keys, "ico-2024");
    let ofcom = common::demo_key(&keys, "ofcom-2024");
    let mut ledger = Ledger::open(&path).unwrap();
    let mut salt = || rng_salt();
    loop {
        let now = Timestamp::now();
        let next = ledger.next_seq().0;
        // Now and then a bulk import, whose chunks are written on a background thread while
        // the next is signed: reported as begun (`IMPORT first count chunk`) and as each chunk
        // becomes durable (`DURABLE first n`).
        if rng.chance(20) {
            let count = 5 + rng.below(40);
            let chunk = 1 + rng.below(8) as usize;
            let items = (0..count)
                .map(|i| (i as usize + 1, disclosure_input(next + i)))
                .collect();
            println!("IMPORT {next} {count} {chunk}");
            let report = import_disclosures(&mut ledger, items, &ofcom, now, chunk, |n| {
                println!("DURABLE {next} {n}")
            })
            .unwrap();
            println!("DURABLE {next} {}", report.recorded);
            continue;
        }
        let count = if rng.chance(50) { 1 } else { 2 + rng.below(6) };
        let disclosures = rng.chance(50);
        let (pending, key): (Vec<Pending>, _) = if disclosures {
            let p = (0..count)
                .map(|i| {
                    ledger
                        .prepare_disclosure(&disclosure_input(next + i), &ofcom, now, &mut salt)
                        .unwrap()
                })
                .collect();
            (p, &ofcom)
        } else {
            let p = (0..count)
                .map(|i| {
                    ledger
                        .prepare_theme_declared(
                            ThemeId::new(format!("theme-{}", next + i)).unwrap(),
                            "Crash test theme",
                            &"x".repeat(rng.below(3000) as usize),
                            now,
                        )
                        .unwrap()
                })
                .collect();
            (p, &ico)
        };
        println!("BEGIN {next} {count}");
        let receipts = ledger.append_batch(pending, key, now).unwrap();
        for r in receipts {
            println!("ACK {} {}", r.seq.0, r.hash);
        }
        // Now and then a checkpoint: another kind of write transaction.
        if rng.chance(15) {
            ledger.checkpoint(&ico).unwrap();
            println!("CHECKPOINT {}", ledger.next_seq().0);
        }
    }
}

fn rng_salt() -> [u8; 32] {
    let mut s = [0u8; 32];
    rand::fill(&mut s[..]);
    s
}

/// What the parent learned from one child's reports.
#[derive(Default)]
struct Reports {
    acked: Vec<(u64, String)>,
    /// Tree sizes of checkpoints the child reported as stored.
    checkpoints: Vec<u64>,
    /// The last batch begun: (first seq, count).
    last_begin: Option<(u64, u64)>,
    /// The last bulk import begun: (first seq, count, chunk size).
    last_import: Option<(u64, u64, u64)>,
    /// Entries of the last bulk import reported durable.
    import_durable: u64,
    /// Whether the last write begun was a bulk import (rather than a batch).
    importing: bool,
}

impl Reports {
    fn take(&mut self, line: &str) {
        // libtest prints "test child_appender ... " without a newline before the first report.
        let line = ["ACK ", "BEGIN ", "CHECKPOINT ", "IMPORT ", "DURABLE "]
            .iter()
            .filter_map(|m| line.find(m))
            .min()
            .map_or("", |i| &line[i..]);
        let mut w = line.split_whitespace();
        match (w.next(), w.next(), w.next()) {
            (Some("ACK"), Some(seq), Some(hash)) => {
                self.acked.push((seq.parse().unwrap(), hash.to_owned()));
            }
            (Some("CHECKPOINT"), Some(size), _) => {
                self.checkpoints.push(size.parse().unwrap());
            }
            (Some("BEGIN"), Some(seq), Some(count)) => {
                self.last_begin = Some((seq.parse().unwrap(), count.parse().unwrap()));
                self.importing = false;
            }
            (Some("IMPORT"), Some(seq), Some(count)) => {
                let chunk = w.next().unwrap().parse().unwrap();
                self.last_import = Some((seq.parse().unwrap(), count.parse().unwrap(), chunk));
                self.import_durable = 0;
                self.importing = true;
            }
            (Some("DURABLE"), Some(_), Some(n)) => {
                self.import_durable = self.import_durable.max(n.parse().unwrap());
            }
            _ => {} // the test harness's own lines
        }
    }
}

/// Runs one child until it has acknowledged `kill_after` entries, waits a random moment, kills
/// it with SIGKILL and returns everything it reported.
fn run_and_kill(ledger: &Path, keys: &Path, seed: u64, rng: &mut SplitMix64) -> Reports {
    let mut child = child_command(ledger, keys, seed, None).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut reports = Reports::default();
    let kill_after = rng.below(6) as usize;
    let mut line = String::new();
    while reports.acked.len() < kill_after {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            let status = child.wait().unwrap();
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("the child stopped by itself ({status}):\n{err}");
        }
        reports.take(&line);
    }
    // A random moment: anywhere in the next append (opening, checking, signing, committing).
    std::thread::sleep(Duration::from_micros(rng.below(20_000)));
    child.kill().unwrap();
    child.wait().unwrap();
    // Whatever the child wrote before it died is still in the pipe.
    for line in out.lines() {
        reports.take(&line.unwrap());
    }
    reports
}

/// Checks the ledger after a kill; returns its entry count.
fn check_after_kill(path: &Path, reports: &Reports, run: u64) -> u64 {
    let store = Store::open(path, Access::ReadOnly)
        .unwrap_or_else(|e| panic!("run {run}: the ledger does not open after a kill: {e}"));
    // The whole of `verify`: entries, the stored Merkle tree and every checkpoint.
    let report = verify_ledger(&store, &VerifyOptions::default(), &FlagFilter::default())
        .unwrap()
        .integrity;
    assert_eq!(
        report.status,
        IntegrityStatus::Intact,
        "run {run}: integrity failure after a kill: {:#?}",
        report.failures
    );
    let len = store.len().unwrap();
    assert_eq!(
        report.checkpoints.len(),
        store.checkpoints().unwrap().len(),
        "run {run}: a stored checkpoint does not check out"
    );
    for size in &reports.checkpoints {
        assert!(
            report.checkpoints.iter().any(|c| c.size == *size),
            "run {run}: acknowledged checkpoint of size {size} is gone"
        );
    }
    for (seq, hash) in &reports.acked {
        let record = store
            .get(*seq)
            .unwrap()
            .unwrap_or_else(|| panic!("run {run}: acknowledged entry #{seq} is gone"));
        assert_eq!(
            &hex::encode(leaf_hash(&record.bytes)),
            hash,
            "run {run}: acknowledged entry #{seq} changed"
        );
        // A disclosure's field values are in the vault and match their commitments.
        if let Body::Disclosure(d) = decode_entry(&record.bytes).unwrap().body {
            let vault = store.vault_items(*seq).unwrap();
            assert_eq!(vault.len(), d.fields.len(), "run {run}: vault of #{seq}");
            for f in &d.fields {
                let (_, item) = vault
                    .iter()
                    .find(|(n, _)| n == f.name.as_str())
                    .unwrap_or_else(|| panic!("run {run}: #{seq} lost field {}", f.name));
                let salt: [u8; 32] = item[..32].try_into().unwrap();
                assert_eq!(
                    field_commitment(&salt, f.name.as_str(), &item[32..]),
                    f.commitment,
                    "run {run}: vault value of #{seq} {} changed",
                    f.name
                );
            }
        }
    }
    // The batch the child was in when it died is all there or not there at all.
    if let Some((first, count)) = reports.last_begin {
        assert!(
            len <= first || len >= first + count,
            "run {run}: a batch of {count} from #{first} is cut short: the ledger has {len}"
        );
    }
    // A bulk import keeps every chunk it reported durable, and holds whole chunks only.
    if let Some((first, count, chunk)) = reports.last_import {
        assert!(
            len >= first + reports.import_durable,
            "run {run}: an import from #{first} reported {} entries durable; the ledger has {len}",
            reports.import_durable
        );
        if len > first && len < first + count {
            assert_eq!(
                (len - first) % chunk,
                0,
                "run {run}: an import from #{first} in chunks of {chunk} is cut inside a chunk: \
                 the ledger has {len}"
            );
        }
    }
    len
}

#[test]
fn appends_survive_sigkill_at_random_moments() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let keys = common::demo_keys_in(dir.path());
    let base = base_ledger(dir.path(), &keys);
    let path = dir.path().join("crash.ledger");
    let mut rng = SplitMix64::new(SEED);
    let (mut acked, mut checkpoints, mut recovered) = (0usize, 0usize, 0u64);
    // The batch in flight at the kill: committed before the child could report it, or absent.
    let (mut in_flight_present, mut in_flight_absent) = (0u64, 0u64);
    // Kills that landed while a bulk import was writing.
    let mut imports_cut = 0u64;
    let total = runs();
    for run in 0..total {
        // A fresh ledger every 25 kills keeps each check quick; within a group, every child
        // starts from the state the previous kill left.
        if run % 25 == 0 {
            std::fs::copy(&base, &path).unwrap();
        }
        let reports = run_and_kill(&path, &keys, rng.next_u64(), &mut rng);
        // A file left mid-write needs redb's recovery; `Store::open` runs it.
        recovered += u64::from(needs_recovery(&path));
        let len = check_after_kill(&path, &reports, run);
        acked += reports.acked.len();
        checkpoints += reports.checkpoints.len();
        if let Some((first, count, _)) = reports.last_import
            && len < first + count
        {
            imports_cut += 1;
        }
        if let Some((first, _)) = reports.last_begin
            && !reports.acked.iter().any(|(s, _)| *s == first)
        {
            if len > first {
                in_flight_present += 1;
            } else {
                in_flight_absent += 1;
            }
        }
    }
    // The real command agrees.
    let out = Command::new(assert_cmd::cargo::cargo_bin("dledger"))
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    eprintln!(
        "crash: {total} SIGKILLs; {acked} acknowledged entries and {checkpoints} checkpoints \
         all present (the entries unchanged); \
         {recovered} kills left the file needing recovery; unreported batch at the kill: \
         {in_flight_present} committed whole, {in_flight_absent} absent, none cut short; \
         {imports_cut} kills during a bulk import, each leaving whole chunks and every chunk \
         reported durable"
    );
}

/// Whether a read-only open would refuse the file as needing recovery (a writer died with it
/// open). Opening the file with `Store::open` repairs it.
fn needs_recovery(path: &Path) -> bool {
    matches!(
        redb::Builder::new()
            .set_concurrency_mode(redb::ConcurrencyMode::SingleWriter)
            .open_read_only(path),
        Err(redb::DatabaseError::RepairAborted)
    )
}

/// The child appender, run with its reports on a pipe; with `fsize`, under a file-size limit of
/// that many bytes (see [`limited`]).
fn child_command(ledger: &Path, keys: &Path, seed: u64, fsize: Option<u64>) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "child_appender",
        "--nocapture",
        "--test-threads=1",
    ]);
    let mut cmd = match fsize {
        None => cmd,
        Some(bytes) => limited(bytes, &cmd),
    };
    cmd.env(
        CHILD_ENV,
        format!("{}|{}|{seed}", ledger.display(), keys.display()),
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    cmd
}

/// `cmd` run under a file-size limit (RLIMIT_FSIZE) of `bytes`, rounded down to 512-byte
/// blocks, with SIGXFSZ ignored: a write past the limit then fails with EFBIG, as a write to a
/// full disk fails with ENOSPC, and needs no privileges or special file system.
fn limited(bytes: u64, cmd: &Command) -> Command {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!(
            "ulimit -f {} && trap '' XFSZ && exec \"$0\" \"$@\"",
            bytes / 512
        ))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    sh
}

fn dledger() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("dledger"))
}

fn export_of(path: &Path) -> Vec<u8> {
    let store = Store::open(path, Access::ReadOnly).unwrap();
    let mut out = Vec::new();
    disclosure_ledger::export::export(&store, &mut out).unwrap();
    out
}

#[test]
fn appends_past_the_file_size_limit_fail_cleanly_and_leave_the_ledger_valid() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let keys = common::demo_keys_in(dir.path());
    let path = base_ledger(dir.path(), &keys);
    let limit = std::fs::metadata(&path).unwrap().len() + 512 * 1024;
    let description = "d".repeat(20_000);
    let mut recorded = 0;
    let failure = loop {
        let before = export_of(&path);
        let mut cmd = dledger();
        cmd.arg("-l")
            .arg(&path)
            .args([
                "theme",
                "declare",
                &format!("big-{recorded}"),
                "--title",
                "Big",
            ])
            .args(["--description", &description, "--key"])
            .arg(keys.join("ico-2024.key"));
        let out = limited(limit, &cmd).output().unwrap();
        if out.status.success() {
            recorded += 1;
            assert!(recorded < 50, "the file-size limit never bit");
            continue;
        }
        // Nothing of the failed append is in the ledger.
        assert_eq!(
            export_of(&path),
            before,
            "a failed append left something behind"
        );
        break out;
    };
    let stderr = String::from_utf8_lossy(&failure.stderr);
    assert_eq!(failure.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("ledger storage failed") && stderr.contains("File too large"),
        "not a clear error: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The ledger is valid, holds exactly the appends that succeeded, and takes new ones.
    let store = Store::open(&path, Access::ReadOnly).unwrap();
    let report = verify_store(&store, &VerifyOptions::default())
        .unwrap()
        .report;
    assert_eq!(
        report.status,
        IntegrityStatus::Intact,
        "{:#?}",
        report.failures
    );
    // Genesis, the theme proposal and its confirmation, then what was recorded.
    assert_eq!(report.entries, 3 + recorded);
    drop(store);
    let out = dledger()
        .arg("-l")
        .arg(&path)
        .args(["theme", "declare", "after", "--title", "After", "--key"])
        .arg(keys.join("ico-2024.key"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "file-size limit: {recorded} appends fitted, the next failed with: {}",
        stderr.trim()
    );
}

#[test]
fn a_batch_past_the_file_size_limit_is_written_whole_or_not_at_all() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let keys = common::demo_keys_in(dir.path());
    let path = base_ledger(dir.path(), &keys);
    let mut rng = SplitMix64::new(SEED ^ 0xf5);
    let (mut failed_batches, mut failed_checkpoints, mut failed_imports) = (0, 0, 0);
    for round in 0..5 {
        let limit = std::fs::metadata(&path).unwrap().len() + 32 * 1024 * (1 + round);
        // The child appends until an append fails, and then stops (its unwrap panics).
        let out = child_command(&path, &keys, rng.next_u64(), Some(limit))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "the file-size limit never bit");
        assert!(stderr.contains("File too large"), "{stderr}");
        let mut reports = Reports::default();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            reports.take(line);
        }
        let len = check_after_kill(&path, &reports, round);
        if reports.importing {
            // The write that failed was a chunk of a bulk import: the chunks before it are
            // there (check_after_kill), it is not.
            let (first, count, _) = reports.last_import.expect("an import was begun");
            assert!(
                len < first + count,
                "round {round}: the import cannot have finished"
            );
            failed_imports += 1;
            continue;
        }
        let (first, count) = reports
            .last_begin
            .unwrap_or_else(|| panic!("the child began no batch: {stderr}"));
        if reports.acked.iter().any(|(s, _)| *s == first) {
            // The write that failed was a checkpoint, after the batch had been stored.
            assert_eq!(len, first + count, "round {round}");
            failed_checkpoints += 1;
        } else {
            assert_eq!(
                len, first,
                "round {round}: the failed batch of {count} from #{first} left entries behind"
            );
            failed_batches += 1;
        }
    }
    eprintln!(
        "file-size limit: {failed_batches} failed batches, {failed_checkpoints} failed \
         checkpoints and {failed_imports} failed import chunks, each left nothing behind"
    );
}

/// Our effective user id: the owner of a file we just created.
fn euid(dir: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    let probe = dir.join("uid-probe");
    std::fs::write(&probe, b"").unwrap();
    std::fs::metadata(&probe).unwrap().uid()
}

#[test]
fn a_ledger_file_without_write_permission_is_refused_clearly() {
    use std::os::unix::fs::PermissionsExt;
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let keys = common::demo_keys_in(dir.path());
    let path = base_ledger(dir.path(), &keys);
    let set_mode =
        |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
    set_mode(&path, 0o444).unwrap();
    let before = std::fs::read(&path).unwrap();
    let key = keys.join("ico-2024.key");
    let mut cmd = dledger();
    cmd.arg("-l")
        .arg(&path)
        .args(["theme", "declare", "refused", "--title", "Refused", "--key"])
        .arg(&key);
    // Permission bits do not bind root: then the writer runs as nobody (setpriv, util-linux).
    let mut cmd = if euid(dir.path()) == 0 {
        set_mode(dir.path(), 0o755).unwrap();
        set_mode(&keys, 0o755).unwrap();
        std::os::unix::fs::chown(&key, Some(65534), Some(65534)).unwrap();
        let mut sp = Command::new("setpriv");
        sp.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(cmd.get_program())
            .args(cmd.get_args());
        sp
    } else {
        cmd
    };
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("Permission denied") && stderr.contains(&*path.to_string_lossy()),
        "not a clear error: {stderr}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file was changed"
    );
}
