//! Tamper matrix: copies of the sample ledger file, of its export, of its checkpoints and of a
//! tlog proof are damaged in thousands of ways (flipped bits in every page, zeroed and
//! scrambled pages, truncation, extension, reordering), and every reader must either refuse the
//! damaged copy or show that nothing it reports on changed. Never a panic, never a hang, never
//! a changed ledger reported as intact.
//!
//! For the ledger file, each variant is judged the way `dledger verify` judges it (the same
//! library calls, in process, with a watchdog), and one variant per page also through the real
//! binary:
//!
//! - the file is refused (exit 2, with the reason), or
//! - verify reports an integrity failure (exit 2, naming the entry and check), or
//! - verify reports the ledger intact (exit 0 or 1), and then its export is byte-for-byte the
//!   export of the undamaged sample: the damage hit no entry data. Such variants are further
//!   sorted by whether any other stored data (vault values, Merkle hashes, checkpoints) reads
//!   differently, which `verify` does not claim to check (docs/RELIABILITY.md).
//!
//! Counts: `DLEDGER_TAMPER_VARIANTS` scales the random variants (default 1, giving about 2,000
//! ledger variants plus the export, checkpoint and proof variants); the seed is fixed.

mod common;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use disclosure_ledger::export::export;
use disclosure_ledger::hash::Digest;
use disclosure_ledger::model::{Seq, Timestamp};
use disclosure_ledger::registers::Registers;
use disclosure_ledger::store::{Access, Store};
use disclosure_ledger::verify::{
    FlagFilter, IntegrityStatus, Outcome as VerifyOutcome, VerifyOptions, verify_ledger,
    verify_store,
};
use disclosure_ledger::witness::{check_checkpoint, party_keys};
use dledger_testkit::sample::SplitMix64;
use tlog::{Checkpoint, Note, TlogProof};

const SEED: u64 = 0x7a3e_0000_0000_0007;
const PAGE: usize = 4096;
/// A variant that takes longer than this has hung (a clean run takes well under a second).
const WATCHDOG: Duration = Duration::from_secs(120);

fn scale() -> usize {
    std::env::var("DLEDGER_TAMPER_VARIANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1)
}

/// Fixed `as_of` so that acknowledgement deadlines do not move between runs.
fn opts() -> VerifyOptions {
    VerifyOptions {
        as_of: Timestamp(1_800_000_000),
        ..VerifyOptions::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Damage to a byte string
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Damage {
    /// XOR one byte with a mask.
    Flip { at: usize, mask: u8 },
    /// Set a range to zero.
    Zero { from: usize, len: usize },
    /// Overwrite a range with pseudo-random bytes.
    Scramble { from: usize, len: usize, seed: u64 },
    /// Cut the file to this length.
    Truncate(usize),
    /// Append bytes: `len` zeros, or a copy of the range starting at `copy_from`.
    Extend {
        len: usize,
        copy_from: Option<usize>,
    },
    /// Exchange two ranges of equal length.
    Swap { a: usize, b: usize, len: usize },
    /// Copy one range over another.
    CopyOver { from: usize, to: usize, len: usize },
}

impl Damage {
    fn apply(&self, orig: &[u8]) -> Vec<u8> {
        let mut b = orig.to_vec();
        match *self {
            Damage::Flip { at, mask } => b[at] ^= mask,
            Damage::Zero { from, len } => b[from..from + len].fill(0),
            Damage::Scramble { from, len, seed } => {
                let mut rng = SplitMix64::new(seed);
                for x in &mut b[from..from + len] {
                    *x = rng.next_u64() as u8;
                }
            }
            Damage::Truncate(len) => b.truncate(len),
            Damage::Extend { len, copy_from } => match copy_from {
                Some(from) => b.extend_from_slice(&orig[from..from + len]),
                None => b.resize(b.len() + len, 0),
            },
            Damage::Swap { a, b: c, len } => {
                let (x, y) = (orig[a..a + len].to_vec(), orig[c..c + len].to_vec());
                b[a..a + len].copy_from_slice(&y);
                b[c..c + len].copy_from_slice(&x);
            }
            Damage::CopyOver { from, to, len } => {
                b[to..to + len].copy_from_slice(&orig[from..from + len])
            }
        }
        b
    }
}

/// The ledger file variants: every page gets fixed and random bit flips, and is zeroed and
/// scrambled; then truncations, extensions, page swaps and page copies.
fn ledger_variants(len: usize, rng: &mut SplitMix64) -> Vec<(String, Damage)> {
    let pages = len / PAGE;
    let k = scale();
    let mut v = Vec::new();
    for p in 0..pages {
        let base = p * PAGE;
        // Page headers and early bytes (type, counts, offsets), then anywhere in the page.
        for off in [0, 1, 2, 3, 4, 8, 12, 16, 17, 24, 32, 64] {
            v.push((
                format!("page {p} flip +{off}"),
                Damage::Flip {
                    at: base + off,
                    mask: 0x01,
                },
            ));
        }
        for _ in 0..3 * k {
            let at = base + rng.below(PAGE as u64) as usize;
            let mask = 1 << rng.below(8);
            v.push((
                format!("page {p} flip +{} bit {mask:#04x}", at - base),
                Damage::Flip { at, mask },
            ));
        }
        v.push((
            format!("page {p} zeroed"),
            Damage::Zero {
                from: base,
                len: PAGE,
            },
        ));
        v.push((
            format!("page {p} scrambled"),
            Damage::Scramble {
                from: base,
                len: PAGE,
                seed: rng.next_u64(),
            },
        ));
    }
    for _ in 0..100 * k {
        let at = rng.below(len as u64) as usize;
        v.push((
            format!("byte {at} random"),
            Damage::Flip {
                at,
                mask: 1 + rng.below(255) as u8,
            },
        ));
    }
    for p in 0..pages {
        v.push((
            format!("truncated to {p} pages"),
            Damage::Truncate(p * PAGE),
        ));
    }
    for _ in 0..20 * k {
        let at = rng.below(len as u64) as usize;
        v.push((format!("truncated at {at}"), Damage::Truncate(at)));
    }
    v.push((
        "extended by a zero page".into(),
        Damage::Extend {
            len: PAGE,
            copy_from: None,
        },
    ));
    v.push((
        "extended by 1 byte".into(),
        Damage::Extend {
            len: 1,
            copy_from: None,
        },
    ));
    for _ in 0..10 * k {
        let from = rng.below(pages as u64) as usize * PAGE;
        v.push((
            format!("extended by a copy of page {}", from / PAGE),
            Damage::Extend {
                len: PAGE,
                copy_from: Some(from),
            },
        ));
    }
    for _ in 0..60 * k {
        let (a, b) = (
            rng.below(pages as u64) as usize,
            rng.below(pages as u64) as usize,
        );
        if a != b {
            v.push((
                format!("pages {a} and {b} swapped"),
                Damage::Swap {
                    a: a * PAGE,
                    b: b * PAGE,
                    len: PAGE,
                },
            ));
        }
    }
    for _ in 0..60 * k {
        let (a, b) = (
            rng.below(pages as u64) as usize,
            rng.below(pages as u64) as usize,
        );
        if a != b {
            v.push((
                format!("page {a} copied over page {b}"),
                Damage::CopyOver {
                    from: a * PAGE,
                    to: b * PAGE,
                    len: PAGE,
                },
            ));
        }
    }
    v
}

// ---------------------------------------------------------------------------------------------
// Judging one damaged ledger file
// ---------------------------------------------------------------------------------------------

/// Everything stored, as the store reads it back: entry records, vault, erasures, Merkle hashes
/// and checkpoints. Each part is `None` if it cannot be read.
#[derive(Debug, PartialEq, Eq)]
struct Contents {
    vault: Option<Vec<u8>>,
    tree: Option<Vec<u8>>,
    checkpoints: Option<Vec<u8>>,
}

fn contents(store: &Store, entries: u64) -> Contents {
    let vault = (0..entries)
        .map(|s| {
            let items = store.vault_items(s)?;
            let erased = store.vault_erased(s)?;
            Ok(format!("{s}:{items:?}:{erased:?};").into_bytes())
        })
        .collect::<Result<Vec<_>, disclosure_ledger::store::StoreError>>()
        .ok()
        .map(|v| v.concat());
    let count = tlog::stored_hash_count(entries);
    let tree = store
        .read_tree_hashes(&(0..count).collect::<Vec<_>>())
        .ok()
        .map(|h| h.concat());
    let checkpoints = store
        .checkpoints()
        .ok()
        .map(|c| format!("{c:?}").into_bytes());
    Contents {
        vault,
        tree,
        checkpoints,
    }
}

/// How a damaged ledger fared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    /// Refused before or during reading: `dledger verify` exits 2 with this error.
    Refused(String),
    /// Read, with integrity failures: exit 2, the first failure's code.
    Failed(String),
    /// Reported intact with the export unchanged; names the other stored data that reads
    /// differently ("" if none).
    IntactUnchanged(String),
    /// Reported intact, but the export differs: a changed ledger passed as intact.
    IntactChanged(String),
    /// A panic escaped (message).
    Panicked(String),
}

impl Verdict {
    fn is_bug(&self) -> bool {
        matches!(self, Verdict::IntactChanged(_) | Verdict::Panicked(_))
    }

    /// A short bucket for the summary table.
    fn bucket(&self) -> String {
        match self {
            Verdict::Refused(e) => {
                let why = if e.contains("failed on data it could not read") {
                    "redb panicked on the damage (contained in store.rs)"
                } else if e.contains("not a disclosure ledger") {
                    "not a ledger file (redb or the meta table says so)"
                } else {
                    "storage error reported by redb"
                };
                format!("exit 2, refused: {why}")
            }
            Verdict::Failed(kind) => format!("exit 2, integrity failure: {kind}"),
            Verdict::IntactUnchanged(other) if other.is_empty() => {
                "exit 0/1, export unchanged, all stored data unchanged".into()
            }
            Verdict::IntactUnchanged(other) => {
                format!("exit 0/1, export unchanged; not checked by verify and changed: {other}")
            }
            Verdict::IntactChanged(_) => "BUG: intact but the export changed".into(),
            Verdict::Panicked(_) => "BUG: panic".into(),
        }
    }
}

/// What an export line carries with authority (docs/FORMAT.md §11): the header's entry count,
/// then each entry's seq, bytes and signature. The rest of a line (hash, decoded view) is
/// computed from these, so two stores with equal records export byte-identical files. Compared
/// in process for every variant because rendering the views is the slow part of an export; the
/// export text itself is compared for every variant run through the binary.
type Records = (u64, Vec<(u64, Vec<u8>, Option<[u8; 64]>)>);

fn exported_records(store: &Store) -> Result<Records, disclosure_ledger::store::StoreError> {
    let mut records = Vec::new();
    store.scan(0, None, |r| {
        records.push((r.key, r.bytes, r.signature));
        Ok::<_, disclosure_ledger::store::StoreError>(())
    })?;
    Ok((store.len()?, records))
}

struct Baseline {
    export: Vec<u8>,
    records: Records,
    entries: u64,
    contents: Contents,
}

fn baseline(path: &Path) -> Baseline {
    let store = Store::open(path, Access::ReadOnly).unwrap();
    let mut export_bytes = Vec::new();
    export(&store, &mut export_bytes).unwrap();
    let entries = store.len().unwrap();
    let report = verify_ledger(&store, &opts(), &FlagFilter::default()).unwrap();
    assert_eq!(report.integrity.status, IntegrityStatus::Intact);
    Baseline {
        records: exported_records(&store).unwrap(),
        contents: contents(&store, entries),
        export: export_bytes,
        entries,
    }
}

/// What `dledger verify` then `dledger export` would conclude about the file at `path`.
fn judge(path: &Path, base: &Baseline) -> Verdict {
    let run = || {
        let store = match Store::open(path, Access::ReadOnly) {
            Ok(s) => s,
            Err(e) => return Verdict::Refused(e.to_string()),
        };
        let report = match verify_ledger(&store, &opts(), &FlagFilter::default()) {
            Ok(r) => r,
            Err(e) => return Verdict::Refused(e.to_string()),
        };
        if report.outcome() == VerifyOutcome::IntegrityFailure {
            let first = &report.integrity.failures[0];
            return Verdict::Failed(first.kind.code().to_owned());
        }
        match exported_records(&store) {
            Err(e) => {
                return Verdict::IntactChanged(format!("verify passed but export failed: {e}"));
            }
            Ok(r) if r != base.records => {
                return Verdict::IntactChanged("the export differs".into());
            }
            Ok(_) => {}
        }
        let now = contents(&store, base.entries);
        let mut other = Vec::new();
        for (name, a, b) in [
            ("vault", &now.vault, &base.contents.vault),
            ("Merkle hashes", &now.tree, &base.contents.tree),
            ("checkpoints", &now.checkpoints, &base.contents.checkpoints),
        ] {
            match (a, b) {
                (None, _) => other.push(format!("{name} (unreadable)")),
                (Some(a), Some(b)) if a != b => other.push(name.to_owned()),
                _ => {}
            }
        }
        Verdict::IntactUnchanged(other.join(", "))
    };
    catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|p| Verdict::Panicked(panic_message(p)))
}

/// Runs `variants` on a worker thread, each on its own damaged copy, with a watchdog: a
/// variant that does not finish within [`WATCHDOG`] fails the test as a hang.
fn run_matrix(
    name: &str,
    orig: &[u8],
    variants: Vec<(String, Damage)>,
    base: Baseline,
) -> BTreeMap<String, usize> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.ledger");
    let (tx, rx) = mpsc::channel();
    let orig = orig.to_vec();
    let count = variants.len();
    let worker = std::thread::spawn(move || {
        for (i, (what, damage)) in variants.into_iter().enumerate() {
            std::fs::write(&path, damage.apply(&orig)).unwrap();
            let verdict = judge(&path, &base);
            if tx.send((i, what, verdict)).is_err() {
                return;
            }
        }
    });
    let mut summary = BTreeMap::new();
    let mut bugs = Vec::new();
    for i in 0..count {
        let (j, what, verdict) = match rx.recv_timeout(WATCHDOG) {
            Ok(r) => r,
            Err(_) => panic!("{name}: variant {i} hung (no verdict within {WATCHDOG:?})"),
        };
        assert_eq!(i, j);
        if verdict.is_bug() {
            bugs.push(format!("{what}: {verdict:?}"));
        }
        if std::env::var_os("DLEDGER_TAMPER_VERBOSE").is_some() {
            eprintln!("{name}: {what}: {verdict:?}");
        }
        *summary.entry(verdict.bucket()).or_insert(0) += 1;
    }
    worker.join().unwrap();
    print_summary(name, count, &summary);
    assert!(
        bugs.is_empty(),
        "{name}: {} bad verdicts:\n{}",
        bugs.len(),
        bugs.join("\n")
    );
    summary
}

fn print_summary(name: &str, count: usize, summary: &BTreeMap<String, usize>) {
    eprintln!("{name}: {count} variants");
    for (bucket, n) in summary {
        eprintln!("  {n:>6}  {bucket}");
    }
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// Runs `check` on every variant on a worker thread, with a watchdog: the test fails naming the
/// variant if one takes longer than [`WATCHDOG`] (a hang) or if `check` panics. `check` returns
/// the variant's bucket for the summary, or `Err` for a wrong verdict. Prints the summary, and
/// fails listing every wrong verdict.
fn watched<V: Send + 'static>(
    name: &str,
    variants: Vec<(String, V)>,
    check: impl Fn(V) -> Result<String, String> + Send + 'static,
) -> BTreeMap<String, usize> {
    let (tx, rx) = mpsc::channel();
    let count = variants.len();
    let names: Vec<String> = variants.iter().map(|(w, _)| w.clone()).collect();
    std::thread::spawn(move || {
        for (_, v) in variants {
            let r = catch_unwind(AssertUnwindSafe(|| check(v)))
                .unwrap_or_else(|p| Err(format!("panicked: {}", panic_message(p))));
            if tx.send(r).is_err() {
                return;
            }
        }
    });
    let mut summary = BTreeMap::new();
    let mut bugs = Vec::new();
    for what in &names {
        match rx.recv_timeout(WATCHDOG) {
            Ok(Ok(bucket)) => {
                if std::env::var_os("DLEDGER_TAMPER_VERBOSE").is_some() {
                    eprintln!("{name}: {what}: {bucket}");
                }
                *summary.entry(bucket).or_insert(0) += 1;
            }
            Ok(Err(e)) => bugs.push(format!("{what}: {e}")),
            Err(_) => panic!("{name}: {what}: hung (no verdict within {WATCHDOG:?})"),
        }
    }
    print_summary(name, count, &summary);
    assert!(
        bugs.is_empty(),
        "{name}: {} wrong verdicts:\n{}",
        bugs.len(),
        bugs.join("\n")
    );
    summary
}

fn sample_bytes() -> Vec<u8> {
    std::fs::read(common::sample_ledger()).unwrap()
}

/// The ledger variants, split in four parts that run as four tests (two at a time on two
/// cores).
const PARTS: usize = 4;

fn ledger_part(which: usize) {
    let orig = sample_bytes();
    let mut rng = SplitMix64::new(SEED);
    let variants = ledger_variants(orig.len(), &mut rng)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % PARTS == which)
        .map(|(_, v)| v)
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let pristine = dir.path().join("pristine.ledger");
    std::fs::write(&pristine, &orig).unwrap();
    let base = baseline(&pristine);
    run_matrix(
        &format!("ledger file, part {} of {PARTS}", which + 1),
        &orig,
        variants,
        base,
    );
}

#[test]
fn damaged_ledger_files_part_1() {
    ledger_part(0);
}

#[test]
fn damaged_ledger_files_part_2() {
    ledger_part(1);
}

#[test]
fn damaged_ledger_files_part_3() {
    ledger_part(2);
}

#[test]
fn damaged_ledger_files_part_4() {
    ledger_part(3);
}

/// One variant per page through the real binary: `dledger verify` exits 0, 1 or 2 (never a
/// panic's 101), says what failed when it exits 2, and when it exits 0 or 1, `dledger export`
/// of the damaged copy is byte-for-byte the export of the sample.
#[test]
fn damaged_ledger_files_through_the_cli() {
    let orig = sample_bytes();
    let dir = tempfile::tempdir().unwrap();
    let pristine = dir.path().join("pristine.ledger");
    std::fs::write(&pristine, &orig).unwrap();
    let base_export = baseline(&pristine).export;
    let mut rng = SplitMix64::new(SEED ^ 0xc11);
    let pages = orig.len() / PAGE;
    let path = dir.path().join("damaged.ledger");
    let mut summary = BTreeMap::<String, usize>::new();
    for p in 0..pages {
        // A third of the pages get their first byte (the page type) flipped, a third a random
        // bit flipped, a third a scrambled run of 64 bytes.
        let damage = match p % 3 {
            0 => Damage::Flip {
                at: p * PAGE,
                mask: 0x01,
            },
            1 => Damage::Flip {
                at: p * PAGE + rng.below(PAGE as u64) as usize,
                mask: 1 << rng.below(8),
            },
            _ => Damage::Scramble {
                from: p * PAGE + rng.below((PAGE - 64) as u64) as usize,
                len: 64,
                seed: rng.next_u64(),
            },
        };
        std::fs::write(&path, damage.apply(&orig)).unwrap();
        let out = assert_cmd::Command::cargo_bin("dledger")
            .unwrap()
            .arg("verify")
            .arg(&path)
            .timeout(WATCHDOG)
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        let what = format!(
            "page {p} {damage:?}: exit {:?}\n{stdout}\n{stderr}",
            out.status.code()
        );
        assert!(!stderr.contains("panicked"), "{what}");
        let bucket = match out.status.code() {
            Some(2) => {
                // Either a FAILED report naming entries, or an error saying what went wrong.
                assert!(
                    (stdout.contains("Integrity: FAILED") && stdout.contains("entry "))
                        || stderr.starts_with("error: "),
                    "{what}"
                );
                if stdout.contains("FAILED") {
                    "exit 2, integrity failure"
                } else {
                    "exit 2, error"
                }
            }
            Some(0 | 1) => {
                let export_out = assert_cmd::Command::cargo_bin("dledger")
                    .unwrap()
                    .arg("-l")
                    .arg(&path)
                    .arg("export")
                    .timeout(WATCHDOG)
                    .output()
                    .unwrap();
                assert!(export_out.status.success(), "{what}");
                assert!(
                    export_out.stdout == base_export,
                    "intact but the export changed: {what}"
                );
                "exit 0/1, export unchanged"
            }
            _ => panic!("unexpected exit: {what}"),
        };
        *summary.entry(bucket.into()).or_default() += 1;
    }
    print_summary("ledger file through dledger verify/export", pages, &summary);
}

// ---------------------------------------------------------------------------------------------
// Exported logs
// ---------------------------------------------------------------------------------------------

/// Damaged exports: import either refuses them (and leaves no file) or rebuilds exactly the
/// sample's entries (damage only in the non-authoritative `view`, or none that matters).
#[test]
fn damaged_exports() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = dir.path().join("pristine.ledger");
    std::fs::write(&pristine, sample_bytes()).unwrap();
    let orig = baseline(&pristine).export;
    let lines: Vec<&[u8]> = orig.split_inclusive(|&b| b == b'\n').collect();
    let starts: Vec<usize> = lines
        .iter()
        .scan(0, |at, l| {
            let s = *at;
            *at += l.len();
            Some(s)
        })
        .collect();
    let mut rng = SplitMix64::new(SEED ^ 0xe4);
    let k = scale();
    let mut variants: Vec<(String, Vec<u8>)> = Vec::new();
    for _ in 0..150 * k {
        let at = rng.below(orig.len() as u64) as usize;
        let mask = 1 << rng.below(8);
        variants.push((format!("flip {at}"), Damage::Flip { at, mask }.apply(&orig)));
    }
    for _ in 0..40 * k {
        let at = rng.below(orig.len() as u64) as usize;
        variants.push((
            format!("truncated at {at}"),
            Damage::Truncate(at).apply(&orig),
        ));
    }
    for i in [1, 2, lines.len() / 2, lines.len() - 1] {
        variants.push((
            format!("truncated before line {i}"),
            Damage::Truncate(starts[i]).apply(&orig),
        ));
    }
    type LineOp = fn(&mut Vec<&[u8]>, usize, usize);
    let line_ops: [(&str, LineOp); 4] = [
        ("swapped", |l, a, b| l.swap(a, b)),
        ("dropped", |l, a, _| {
            l.remove(a);
        }),
        ("duplicated", |l, a, _| {
            let x = l[a];
            l.insert(a, x);
        }),
        ("moved to the end", |l, a, _| {
            let x = l.remove(a);
            l.push(x);
        }),
    ];
    for (name, op) in line_ops {
        for _ in 0..15 * k {
            let a = 1 + rng.below(lines.len() as u64 - 1) as usize;
            let b = 1 + rng.below(lines.len() as u64 - 1) as usize;
            let mut l = lines.clone();
            op(&mut l, a, b);
            variants.push((format!("line {a} {name} ({b})"), l.concat()));
        }
    }
    variants.push((
        "extended by a blank line".into(),
        [&orig[..], b"\n"].concat(),
    ));
    variants.push((
        "extended by junk".into(),
        [&orig[..], b"{\"seq\":1}\n"].concat(),
    ));
    variants.push((
        "extended by a copy of the last line".into(),
        [&orig[..], lines[lines.len() - 1]].concat(),
    ));
    variants.push(("header only".into(), lines[0].to_vec()));
    variants.push(("empty".into(), Vec::new()));

    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("import.ledger");
    watched("exported log (import)", variants, move |bytes| {
        let _ = std::fs::remove_file(&target);
        match disclosure_ledger::export::import(&bytes[..], &target) {
            Err(_) if target.exists() => Err("a refused import left its file behind".into()),
            Err(_) => Ok("refused with an error (no file left)".into()),
            Ok(_) => {
                let store = Store::open(&target, Access::ReadOnly).unwrap();
                let mut again = Vec::new();
                export(&store, &mut again).unwrap();
                if again == orig {
                    Ok("imported, entries identical to the sample's (damage in the view)".into())
                } else {
                    Err("imported, but the entries differ from the sample's".into())
                }
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Checkpoints and tlog proofs
// ---------------------------------------------------------------------------------------------

struct LogState {
    origin: String,
    registers: Registers,
    roots: BTreeMap<u64, Digest>,
    checkpoints: Vec<(u64, Vec<u8>)>,
    store: Store,
    _dir: tempfile::TempDir,
}

fn log_state() -> LogState {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("pristine.ledger");
    std::fs::write(&path, sample_bytes()).unwrap();
    let store = Store::open(&path, Access::ReadOnly).unwrap();
    let verified = verify_store(&store, &opts()).unwrap();
    let checkpoints = store.checkpoints().unwrap();
    assert!(!checkpoints.is_empty(), "the sample has checkpoints");
    let n = store.len().unwrap();
    let roots = (1..=n)
        .map(|s| (s, tlog::tree_hash(s, &store).unwrap()))
        .collect();
    LogState {
        origin: verified.registers.origin.clone().unwrap(),
        registers: verified.registers,
        roots,
        checkpoints,
        store,
        _dir: dir,
    }
}

/// Damage for a short text: every byte flipped with three masks, every truncation, extensions,
/// lines dropped, repeated and swapped, and scrambled runs.
fn text_variants(orig: &[u8], rng: &mut SplitMix64) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for at in 0..orig.len() {
        for mask in [0x01, 0x20, 0x80] {
            v.push((
                format!("flip {at} {mask:#04x}"),
                Damage::Flip { at, mask }.apply(orig),
            ));
        }
    }
    for len in 0..orig.len() {
        v.push((format!("truncated to {len}"), orig[..len].to_vec()));
    }
    let lines: Vec<&[u8]> = orig.split_inclusive(|&b| b == b'\n').collect();
    for extra in [&b"\n"[..], b"x", b"\n\n", b"junk line\n"] {
        v.push((format!("extended by {extra:?}"), [orig, extra].concat()));
    }
    for (i, l) in lines.iter().enumerate() {
        v.push((format!("line {i} repeated at the end"), [orig, l].concat()));
        let mut dropped = lines.clone();
        dropped.remove(i);
        v.push((format!("line {i} dropped"), dropped.concat()));
    }
    for a in 0..lines.len() {
        for b in a + 1..lines.len() {
            let mut l = lines.clone();
            l.swap(a, b);
            v.push((format!("lines {a} and {b} swapped"), l.concat()));
        }
    }
    for _ in 0..20 * scale() {
        let at = rng.below(orig.len() as u64) as usize;
        let len = 1 + rng.below((orig.len() - at) as u64) as usize;
        let seed = rng.next_u64();
        v.push((
            format!("scrambled {at}+{len}"),
            Damage::Scramble {
                from: at,
                len,
                seed,
            }
            .apply(orig),
        ));
    }
    v
}

/// Damaged checkpoint notes: `verify`'s checkpoint check either rejects them or establishes
/// exactly what the undamaged note did (same size, root and signer; cosigners only dropped,
/// when a cosignature line is damaged beyond recognition and ignored as an unknown key).
#[test]
fn damaged_checkpoints() {
    let log = log_state();
    let mut rng = SplitMix64::new(SEED ^ 0xc9);
    // The first, a middle and the last checkpoint (the last is cosigned by the other party).
    let n = log.checkpoints.len();
    let mut variants = Vec::new();
    for i in [0, n / 2, n - 1] {
        let (size, note) = &log.checkpoints[i];
        for (what, bytes) in text_variants(note, &mut rng) {
            variants.push((format!("checkpoint {size}, {what}"), (i, bytes)));
        }
    }
    watched(
        "checkpoint notes (verify's checkpoint check)",
        variants,
        move |(i, bytes)| {
            let root_at = |s: u64| log.roots.get(&s).copied();
            let check = |b: &[u8]| check_checkpoint(b, &log.origin, &log.registers, root_at);
            let orig = check(&log.checkpoints[i].1).unwrap();
            match check(&bytes) {
                Err(_) => Ok("rejected".into()),
                Ok(c) if c.size != orig.size || c.root != orig.root || c.signer != orig.signer => {
                    Err(format!("accepted as a different checkpoint: {c:?}"))
                }
                Ok(c) if !c.cosigners.iter().all(|x| orig.cosigners.contains(x)) => {
                    Err(format!("gained a cosigner: {c:?}"))
                }
                Ok(c) if c.cosigners.len() < orig.cosigners.len() => {
                    Ok("accepted with a damaged cosignature dropped".into())
                }
                Ok(_) => Ok("accepted unchanged (same text and signatures)".into()),
            }
        },
    );
}

/// Damaged `c2sp.org/tlog-proof@v1` texts (the proof format of evidence bundles): parsing and
/// verifying either fail, or the proof proves exactly what the undamaged one did.
#[test]
fn damaged_tlog_proofs() {
    let log = log_state();
    let (size, note) = log.checkpoints.last().unwrap().clone();
    let index = size / 2;
    let record = log.store.get(index).unwrap().unwrap();
    let leaf = disclosure_ledger::hash::leaf_hash(&record.bytes);
    let proof = TlogProof {
        extra: None,
        index,
        proof: tlog::prove_inclusion(index, size, &log.store).unwrap(),
        checkpoint: Note::parse(&note).unwrap(),
    };
    let text = proof.to_string();
    let keys = party_keys(&log.registers, Seq(size));
    let cp = Checkpoint::from_note(&proof.checkpoint).unwrap();
    let log_keys: Vec<_> = keys.iter().map(|(_, op, _)| op.clone()).collect();
    let cosigners: Vec<_> = keys.iter().map(|(_, _, co)| co.clone()).collect();
    let origin = log.origin.clone();
    // Accepted if any party's operator key opens it, as verify-evidence does.
    let verify = move |bytes: &[u8]| -> Option<TlogProof> {
        let p = TlogProof::parse(bytes).ok()?;
        log_keys
            .iter()
            .any(|k| p.verify(&leaf, &origin, k, &cosigners).is_ok())
            .then_some(p)
    };
    assert!(verify(text.as_bytes()).is_some());
    let mut rng = SplitMix64::new(SEED ^ 0x7f);
    let variants = text_variants(text.as_bytes(), &mut rng);
    watched(
        "tlog proofs (parse and verify)",
        variants,
        move |bytes| match verify(&bytes) {
            None => Ok("rejected".into()),
            Some(p) => {
                let c = Checkpoint::from_note(&p.checkpoint).unwrap();
                if p.index == index && c.size == cp.size && c.root == cp.root {
                    Ok("accepted, proving the same entry in the same tree".into())
                } else {
                    Err("accepted as proving something else".into())
                }
            }
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Evidence bundles
// ---------------------------------------------------------------------------------------------

/// Damaged evidence bundles (docs/EVIDENCE.md): every file of a bundle for a sample disclosure
/// with opened fields gets flipped bytes, truncation, extension, its lines dropped, repeated or
/// swapped; files are swapped with each other, removed, and joined by an unexpected one.
/// Each is tried as it is, and with the (unsigned) manifest rewritten to match. `verify_bundle`
/// must report a failed check, or, if it passes, establish exactly what the undamaged bundle
/// does (same entries, signers, checkpoint, cosigners, opened values and summary).
#[test]
fn damaged_evidence_bundles() {
    use disclosure_ledger::evidence::{build_bundle, load_trust_dir, verify_bundle};
    use disclosure_ledger::model::Body;
    let log = log_state();
    let checkpoint = log.checkpoints.last().unwrap().0;
    // A disclosure with fields, before the last cosigned checkpoint; all its fields opened.
    let (seq, fields) = (0..checkpoint)
        .rev()
        .find_map(|s| {
            let r = log.store.get(s).unwrap()?;
            match disclosure_ledger::codec::decode_entry(&r.bytes).ok()?.body {
                Body::Disclosure(d) if d.fields.len() >= 2 => Some((
                    s,
                    d.fields.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
                )),
                _ => None,
            }
        })
        .expect("the sample has a disclosure with fields");
    let bundle = build_bundle(&log.store, Seq(seq), &fields).unwrap();
    let files: BTreeMap<String, Vec<u8>> = bundle.files().clone();
    let work = tempfile::tempdir().unwrap();
    let trust = work.path().join("trust");
    std::fs::create_dir(&trust).unwrap();
    for e in std::fs::read_dir(common::root().join("fixtures/keys")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "vkey") {
            std::fs::copy(&p, trust.join(p.file_name().unwrap())).unwrap();
        }
    }
    let trusted = load_trust_dir(&trust).unwrap();
    let write = |dir: &Path, files: &BTreeMap<String, Vec<u8>>| {
        let _ = std::fs::remove_dir_all(dir);
        for (name, bytes) in files {
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
    };
    let base_dir = work.path().join("base");
    write(&base_dir, &files);
    let base_report = verify_bundle(&base_dir, &trusted).unwrap();
    assert!(base_report.ok, "{}", base_report.to_text("base"));
    // What a passing report establishes: everything but the list of checks run (whose details
    // count files, for instance).
    let established = |r: &disclosure_ledger::evidence::EvidenceReport| {
        let mut v = serde_json::to_value(r).unwrap();
        v.as_object_mut().unwrap().remove("checks");
        v
    };
    let base_established = established(&base_report);

    // Each variant is the bundle's file set with some damage.
    let mut rng = SplitMix64::new(SEED ^ 0xb0);
    let k = scale();
    let mut variants: Vec<(String, BTreeMap<String, Vec<u8>>)> = Vec::new();
    let names: Vec<String> = files.keys().cloned().collect();
    let with = |name: &str, bytes: Vec<u8>| {
        let mut f = files.clone();
        f.insert(name.to_owned(), bytes);
        f
    };
    for name in &names {
        let orig = &files[name];
        for _ in 0..12 * k {
            let at = rng.below(orig.len().max(1) as u64) as usize;
            let mask = 1 << rng.below(8);
            variants.push((
                format!("{name}: flip {at}"),
                with(name, Damage::Flip { at, mask }.apply(orig)),
            ));
        }
        for len in [0, orig.len() / 2, orig.len().saturating_sub(1)] {
            variants.push((
                format!("{name}: truncated to {len}"),
                with(name, orig[..len].to_vec()),
            ));
        }
        for extra in [&b"\n"[..], b" ", b"junk\n"] {
            variants.push((
                format!("{name}: extended by {extra:?}"),
                with(name, [&orig[..], extra].concat()),
            ));
        }
        let lines: Vec<&[u8]> = orig.split_inclusive(|&b| b == b'\n').collect();
        if lines.len() > 1 {
            for _ in 0..4 * k {
                let a = rng.below(lines.len() as u64) as usize;
                let b = (a + 1 + rng.below(lines.len() as u64 - 1) as usize) % lines.len();
                let mut l = lines.clone();
                l.swap(a, b);
                variants.push((
                    format!("{name}: lines {a} and {b} swapped"),
                    with(name, l.concat()),
                ));
                let mut l = lines.clone();
                l.remove(a);
                variants.push((format!("{name}: line {a} dropped"), with(name, l.concat())));
                let mut l = lines.clone();
                l.insert(a, lines[b]);
                variants.push((
                    format!("{name}: line {b} repeated at {a}"),
                    with(name, l.concat()),
                ));
            }
        }
        let mut f = files.clone();
        f.remove(name);
        variants.push((format!("{name}: removed"), f));
    }
    for a in 0..names.len() {
        for b in a + 1..names.len() {
            let mut f = files.clone();
            f.insert(names[a].clone(), files[&names[b]].clone());
            f.insert(names[b].clone(), files[&names[a]].clone());
            variants.push((format!("{} and {} swapped", names[a], names[b]), f));
        }
    }
    let mut f = files.clone();
    f.insert("extra.txt".into(), b"an unexpected file\n".to_vec());
    variants.push(("an unexpected file added".into(), f));
    // The manifest is not signed: an attacker rewrites its hashes to match the damage, so that
    // only the cryptographic checks (signatures, proofs, commitments) can object.
    let resealed: Vec<_> = variants
        .iter()
        .filter(|(_, f)| f.get("manifest.json") == files.get("manifest.json"))
        .map(|(what, f)| (format!("{what}, manifest resealed"), reseal(f)))
        .collect();
    variants.extend(resealed);

    let dir = work.path().join("damaged");
    let _keep = work;
    watched(
        "evidence bundles (verify-evidence)",
        variants,
        move |files| {
            write(&dir, &files);
            match verify_bundle(&dir, &trusted) {
                Err(_) => Ok("refused: not a bundle".into()),
                Ok(r) if !r.ok => {
                    let first = r.failures().next().map(|c| c.name.as_str()).unwrap_or("?");
                    Ok(format!("failed, first failed check: {first}"))
                }
                Ok(r) if established(&r) == base_established => {
                    Ok("passed, establishing exactly what the undamaged bundle does".into())
                }
                Ok(r) => Err(format!(
                    "passed with a different report:\n{}",
                    r.to_text("damaged")
                )),
            }
        },
    );
}

/// The bundle's files with `manifest.json` rewritten to match them: every file's size and
/// SHA-256, and every entry's leaf hash.
fn reseal(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    use disclosure_ledger::hash::{leaf_hash, sha256};
    let mut m: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    for e in m["entries"].as_array_mut().unwrap() {
        let seq = e["seq"].as_u64().unwrap();
        if let Some(bytes) = files.get(&format!("entries/{seq}.bin")) {
            e["leaf_hash"] = hex::encode(leaf_hash(bytes)).into();
        }
    }
    m["files"] = files
        .iter()
        .filter(|(name, _)| *name != "manifest.json")
        .map(|(name, bytes)| {
            serde_json::json!({
                "path": name, "bytes": bytes.len(), "sha256": hex::encode(sha256(bytes)),
            })
        })
        .collect::<Vec<_>>()
        .into();
    let mut out = files.clone();
    out.insert(
        "manifest.json".into(),
        serde_json::to_vec_pretty(&m).unwrap(),
    );
    out
}
