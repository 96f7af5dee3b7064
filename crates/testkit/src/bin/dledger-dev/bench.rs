//! `dledger-dev bench`: builds ledgers of growing size and measures every operation against the raw
//! Ed25519 and SHA-256 rates of this machine, measured in the same run. Each operation on a
//! ledger runs as a child `dledger` process, so its time includes opening the file, and its
//! peak memory is its own.

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use disclosure_ledger::model::Timestamp;
use disclosure_ledger::store::{Access, Store};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rayon::prelude::*;
use serde::Serialize;
use tlog::MemoryHashes;

use super::BenchArgs;

/// This process's peak resident set size (VmHWM), in KiB, from /proc (Linux).
pub(crate) fn peak_rss_kib() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[derive(Debug, Clone, Serialize)]
struct Row {
    operation: String,
    entries: u64,
    ms: f64,
    per_sec: Option<f64>,
    peak_rss_mib: Option<f64>,
    /// The raw primitive's rate the ratio divides by, measured just before and after the
    /// operation (the mean of the two), so a machine whose speed drifts during the run is
    /// compared with itself.
    raw_per_sec: Option<f64>,
    ratio: Option<f64>,
    target: String,
}

#[derive(Debug, Default, Serialize)]
struct Rates {
    cores: usize,
    sign_one_core: f64,
    sign_all_cores: f64,
    verify_one_core: f64,
    batch_verify_all_cores: f64,
    sha256_mib_per_sec: f64,
}

struct Child {
    ms: f64,
    rss_mib: Option<f64>,
    stdout: String,
}

/// The `dledger` program whose commands are measured (set once, when `bench` starts).
static DLEDGER: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// The `dledger` program next to this one (both are built into the same target directory).
fn dledger_next_to_me() -> Result<PathBuf> {
    let me = std::env::current_exe().context("cannot find the dledger-dev executable")?;
    let path = me.with_file_name("dledger");
    if !path.is_file() {
        bail!(
            "{} does not exist; build it first (`cargo build --release --bins`) or pass --dledger PATH",
            path.display()
        );
    }
    Ok(path)
}

/// Runs one command as a child process: `generate` with this program, every other command
/// with `dledger`.
fn run_child(args: &[&str]) -> Result<Child> {
    let exe = if args.first() == Some(&"generate") {
        std::env::current_exe().context("cannot find the dledger-dev executable")?
    } else {
        DLEDGER
            .get()
            .cloned()
            .context("the dledger program is not set")?
    };
    let started = Instant::now();
    let out = Command::new(exe)
        .args(args)
        .env("DLEDGER_REPORT_PEAK_RSS", "1")
        .output()
        .context("cannot run dledger")?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !(out.status.success() || out.status.code() == Some(1)) {
        bail!("dledger {} failed: {stderr}", args.join(" "));
    }
    let rss_mib = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kib: "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|k| k / 1024.0);
    Ok(Child {
        ms,
        rss_mib,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    })
}

fn message(i: usize) -> Vec<u8> {
    // About the size of a typical encoded disclosure.
    let mut m = vec![0u8; 420];
    m[..8].copy_from_slice(&(i as u64).to_le_bytes());
    m
}

/// Messages, a key and signatures for timing the raw Ed25519 primitives.
struct RawBench {
    key: SigningKey,
    public: VerifyingKey,
    messages: Vec<Vec<u8>>,
    signatures: Vec<Signature>,
}

fn seconds(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

impl RawBench {
    fn new(quick: bool) -> RawBench {
        let n = if quick { 2_000 } else { 40_000 };
        let key = SigningKey::from_bytes(&[7; 32]);
        let messages: Vec<Vec<u8>> = (0..n).map(message).collect();
        let signatures = messages.par_iter().map(|m| key.sign(m)).collect();
        RawBench {
            public: key.verifying_key(),
            key,
            messages,
            signatures,
        }
    }

    /// Ed25519 signatures per second on all cores.
    fn sign_all_cores(&self) -> f64 {
        let secs = seconds(|| {
            self.messages.par_iter().for_each(|m| {
                std::hint::black_box(self.key.sign(m));
            })
        });
        self.messages.len() as f64 / secs
    }

    /// Ed25519 signatures checked per second on all cores, in batches of 256.
    fn batch_verify_all_cores(&self) -> f64 {
        let secs = seconds(|| {
            let idx: Vec<usize> = (0..self.messages.len()).collect();
            idx.par_chunks(256).for_each(|c| {
                let ms: Vec<&[u8]> = c.iter().map(|&i| self.messages[i].as_slice()).collect();
                let ss: Vec<Signature> = c.iter().map(|&i| self.signatures[i]).collect();
                let ks: Vec<VerifyingKey> = c.iter().map(|_| self.public).collect();
                assert!(ed25519_dalek::verify_batch(&ms, &ss, &ks).is_ok());
            })
        });
        self.messages.len() as f64 / secs
    }

    /// The rate of `raw` measured around `op`: the mean of the rates just before and after.
    fn around<T>(&self, raw: fn(&RawBench) -> f64, op: impl FnOnce() -> T) -> (T, f64) {
        let before = raw(self);
        let out = op();
        (out, (before + raw(self)) / 2.0)
    }
}

fn raw_rates(raw: &RawBench) -> Rates {
    let quarter = raw.messages.len() / 4;
    let one = seconds(|| {
        for m in &raw.messages[..quarter] {
            std::hint::black_box(raw.key.sign(m));
        }
    });
    let verify_one = seconds(|| {
        for (m, s) in raw.messages[..quarter].iter().zip(&raw.signatures) {
            std::hint::black_box(raw.public.verify_strict(m, s).is_ok());
        }
    });
    let bytes = vec![1u8; 64 << 20];
    let sha = seconds(|| {
        std::hint::black_box(disclosure_ledger::hash::sha256(&bytes));
    });
    Rates {
        cores: rayon::current_num_threads(),
        sign_one_core: quarter as f64 / one,
        sign_all_cores: raw.sign_all_cores(),
        verify_one_core: quarter as f64 / verify_one,
        batch_verify_all_cores: raw.batch_verify_all_cores(),
        sha256_mib_per_sec: 64.0 / sha,
    }
}

fn disclosure_lines(n: u64) -> String {
    let at = Timestamp::now().plus_seconds(-3600).to_string();
    let mut out = String::with_capacity(n as usize * 420);
    for i in 0..n {
        let company = ["brightloop", "pixelpond", "chatterbox", "kidzone"][i as usize % 4];
        let _ = writeln!(
            out,
            r#"{{"from":"OFCOM","to":"ICO","disclosed_at":"{at}","gateway":"Communications Act 2003 s393(2)(a)","category":"stakeholder-meeting","companies":["{company}"],"themes":["age-assurance"],"fields":{{"meeting_date":"2026-11-20","company_names":"{company} {i}"}},"notification":"skipped: routine disclosure (statement §4)","relevance":"relevant to online safety","officer_role":"Online Safety supervision team"}}"#
        );
    }
    out
}

/// New disclosures between two daily checks in the incremental-verification row.
const DAILY_NEW_ENTRIES: u64 = 1_000;

/// A daily check with `verify --since-checkpoint`: the ledger at `path` is checkpointed,
/// cosigned and verified once (which saves the verification state), then
/// [`DAILY_NEW_ENTRIES`] disclosures are imported and a new cosigned checkpoint made; the
/// incremental verification of those is what is timed. Returns (entries in the ledger, entries
/// the incremental run checked, its timing).
fn incremental_verify(
    dir: &std::path::Path,
    path: &std::path::Path,
    operator_key: &std::path::Path,
    witness_key: &std::path::Path,
) -> Result<(u64, u64, Child)> {
    let ledger = path.to_string_lossy();
    let state = dir.join("bench.verify-state");
    let state_arg = state.to_string_lossy();
    let note = dir.join("bench-checkpoint.note");
    let note_arg = note.to_string_lossy();
    let checkpoint_and_cosign = || -> Result<()> {
        run_child(&[
            "-l",
            &ledger,
            "checkpoint",
            "--key",
            &operator_key.to_string_lossy(),
            "-o",
            &note_arg,
        ])?;
        run_child(&[
            "-l",
            &ledger,
            "cosign",
            &note_arg,
            "--key",
            &witness_key.to_string_lossy(),
        ])?;
        Ok(())
    };
    let verify_since = || {
        run_child(&[
            "verify",
            &ledger,
            "--since-checkpoint",
            "--state",
            &state_arg,
            "--json",
        ])
    };
    let _ = fs::remove_file(&state);
    let _ = fs::remove_file(disclosure_ledger::index_copy::index_copy_path(&state));
    checkpoint_and_cosign()?;
    verify_since()?;
    if !state.exists() {
        bail!(
            "verify --since-checkpoint saved no state at {}",
            state.display()
        );
    }
    let lines = dir.join("bench-daily.jsonl");
    fs::write(&lines, disclosure_lines(DAILY_NEW_ENTRIES))?;
    run_child(&[
        "-l",
        &ledger,
        "import",
        &lines.to_string_lossy(),
        "--key",
        &operator_key.to_string_lossy(),
    ])?;
    checkpoint_and_cosign()?;
    let timed = verify_since()?;
    let report: serde_json::Value = serde_json::from_str(&timed.stdout)
        .context("verify --since-checkpoint --json printed no JSON report")?;
    let integrity = &report["integrity"];
    let (Some(total), Some(from)) = (
        integrity["entries"].as_u64(),
        integrity["resumed_from"].as_u64(),
    ) else {
        bail!(
            "verify --since-checkpoint did not resume from the saved state (status {})",
            integrity["status"]
        );
    };
    // The measured run rebuilt the new checkpoint's index root from the verifier's copy.
    if integrity["index_roots"]["rebuilt"].as_u64().unwrap_or(0) == 0 {
        bail!(
            "verify --since-checkpoint did not rebuild the new checkpoint's index root ({})",
            integrity["index_roots"]
        );
    }
    Ok((total, total - from, timed))
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Times `f` `reps` times and returns the median in milliseconds.
fn time_ms(reps: usize, mut f: impl FnMut(usize)) -> f64 {
    median(
        (0..reps)
            .map(|i| {
                let t = Instant::now();
                f(i);
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect(),
    )
}

fn encoded_bytes(store: &Store) -> Result<u64> {
    let mut sum = 0u64;
    store.scan(0, None, |r| {
        sum += r.bytes.len() as u64;
        Ok::<_, disclosure_ledger::store::StoreError>(())
    })?;
    Ok(sum)
}

/// Runs the benchmark and prints the table.
pub(crate) fn bench(a: BenchArgs) -> Result<()> {
    let dledger = match &a.dledger {
        Some(path) => path.clone(),
        None => dledger_next_to_me()?,
    };
    let _ = DLEDGER.set(dledger);
    let (sizes, proof_sizes) = if a.quick {
        (vec![2_000], vec![1_000, 10_000])
    } else {
        (a.sizes.clone(), a.proof_sizes.clone())
    };
    let tmp = tempfile::TempDir::new()?;
    let dir: PathBuf = a.dir.clone().unwrap_or_else(|| tmp.path().to_owned());
    fs::create_dir_all(&dir)?;
    eprintln!("Measuring raw Ed25519 and SHA-256 rates…");
    let raw = RawBench::new(a.quick);
    let rates = raw_rates(&raw);
    let mut rows: Vec<Row> = Vec::new();
    let keys_dir = dir.join("keys");
    fs::create_dir_all(&keys_dir)?;
    let ofcom_key = keys_dir.join("ofcom-2024.key");
    let ico_key = keys_dir.join("ico-2025.key");
    for (name, file) in [("ofcom-2024", &ofcom_key), ("ico-2025", &ico_key)] {
        if !file.exists() {
            dledger_testkit::sample::demo_key(name).save(file, true)?;
        }
    }
    for &n in &sizes {
        let path = dir.join(format!("bench-{n}.ledger"));
        let _ = fs::remove_file(&path);
        eprintln!("Generating a ledger of {n} entries…");
        let p = path.to_string_lossy().into_owned();
        let g = run_child(&[
            "generate",
            "--entries",
            &n.to_string(),
            "--seed",
            "1",
            "-o",
            &p,
        ])?;
        let store = Store::open(&path, Access::ReadOnly)?;
        let entries = store.len()?;
        let encoded = encoded_bytes(&store)?;
        drop(store);
        rows.push(Row {
            operation: "generate (sign + hash + batched commit)".into(),
            entries,
            ms: g.ms,
            per_sec: Some(entries as f64 * 1000.0 / g.ms),
            peak_rss_mib: g.rss_mib,
            raw_per_sec: None,
            ratio: None,
            target: String::new(),
        });
        // Import of disclosures into a copy of the ledger.
        eprintln!("Importing {n} disclosures…");
        let import_path = dir.join(format!("bench-{n}-import.ledger"));
        fs::copy(&path, &import_path)?;
        let lines = dir.join(format!("bench-{n}.jsonl"));
        fs::write(&lines, disclosure_lines(n))?;
        let ip = import_path.to_string_lossy().into_owned();
        let (imp, raw_sign) = raw.around(RawBench::sign_all_cores, || {
            run_child(&[
                "-l",
                &ip,
                "import",
                &lines.to_string_lossy(),
                "--key",
                &ofcom_key.to_string_lossy(),
            ])
        });
        let imp = imp?;
        let rate = n as f64 * 1000.0 / imp.ms;
        rows.push(Row {
            operation: "import (JSON Lines, sign + hash + durable commits)".into(),
            entries: n,
            ms: imp.ms,
            per_sec: Some(rate),
            peak_rss_mib: imp.rss_mib,
            raw_per_sec: Some(raw_sign),
            ratio: Some(rate / raw_sign),
            target: "≥ 0.50 of raw signing, all cores".into(),
        });
        // A single durable disclosure on a ledger of this size.
        let at = Timestamp::now().plus_seconds(-600).to_string();
        let single: Vec<f64> = (0..7)
            .map(|i| {
                run_child(&[
                    "-l",
                    &ip,
                    "disclose",
                    "--key",
                    &ofcom_key.to_string_lossy(),
                    "--from",
                    "OFCOM",
                    "--to",
                    "ICO",
                    "--at",
                    &at,
                    "--gateway",
                    "Communications Act 2003 s393(2)(a)",
                    "--category",
                    "stakeholder-meeting",
                    "--company",
                    "brightloop",
                    "--theme",
                    "age-assurance",
                    "--field",
                    &format!("meeting_date=2026-11-{:02}", 10 + i),
                    "--skipped",
                    "routine",
                    "--relevance",
                    "relevant to online safety",
                    "--officer-role",
                    "bench",
                ])
                .map(|c| c.ms)
            })
            .collect::<Result<_>>()?;
        rows.push(Row {
            operation: "single durable disclose (whole command)".into(),
            entries,
            ms: median(single),
            per_sec: None,
            peak_rss_mib: None,
            raw_per_sec: None,
            ratio: None,
            target: "p50 ≤ 20 ms".into(),
        });
        // A checkpoint after the import: it extends the saved entry index by every entry since
        // the last one (the whole import).
        let since = Store::open(&import_path, Access::ReadOnly)?
            .read_entry_index()?
            .map_or(0, |(s, _)| s);
        let added = Store::open(&import_path, Access::ReadOnly)?.len()? - since;
        let cp = run_child(&["-l", &ip, "checkpoint", "--key", &ico_key.to_string_lossy()])?;
        rows.push(Row {
            operation: format!(
                "checkpoint (extends the saved entry index by the {added} entries since the last)"
            ),
            entries: added,
            ms: cp.ms,
            per_sec: Some(added as f64 * 1000.0 / cp.ms),
            peak_rss_mib: cp.rss_mib,
            raw_per_sec: None,
            ratio: None,
            target: String::new(),
        });
        eprintln!("Verifying…");
        let (v, raw_verify) = raw.around(RawBench::batch_verify_all_cores, || {
            run_child(&["verify", &p, "--json"])
        });
        let v = v?;
        let rate = entries as f64 * 1000.0 / v.ms;
        rows.push(Row {
            operation: "verify (integrity + policy)".into(),
            entries,
            ms: v.ms,
            per_sec: Some(rate),
            peak_rss_mib: v.rss_mib,
            raw_per_sec: Some(raw_verify),
            ratio: Some(rate / raw_verify),
            target: "≥ 0.70 of raw batch verify, all cores; ≤ 200 MB at 10^6".into(),
        });
        let verify_rate = rate;
        let r = run_child(&[
            "-l",
            &p,
            "review",
            "--format",
            "json",
            "-o",
            &dir.join("review.json").to_string_lossy(),
        ])?;
        let rate = entries as f64 * 1000.0 / r.ms;
        rows.push(Row {
            operation: "review (JSON)".into(),
            entries,
            ms: r.ms,
            per_sec: Some(rate),
            peak_rss_mib: r.rss_mib,
            raw_per_sec: None,
            ratio: Some(rate / verify_rate),
            target: "≥ 5× verify".into(),
        });
        // Proofs and evidence against the real store.
        let store = Store::open(&path, Access::ReadOnly)?;
        let mut rng = dledger_testkit::sample::SplitMix64::new(n);
        let reps = if a.quick { 11 } else { 101 };
        let root = time_ms(reps, |_| {
            std::hint::black_box(tlog::tree_hash(entries, &store).expect("root"));
        });
        let incl = time_ms(reps, |_| {
            let i = rng.below(entries);
            std::hint::black_box(tlog::prove_inclusion(i, entries, &store).expect("proof"));
        });
        let cons = time_ms(reps, |_| {
            let old = 1 + rng.below(entries - 1);
            std::hint::black_box(tlog::prove_consistency(old, entries, &store).expect("proof"));
        });
        drop(store);
        for (op, ms) in [
            ("root (stored tree)", root),
            ("inclusion proof (stored tree)", incl),
            ("consistency proof (stored tree)", cons),
        ] {
            rows.push(Row {
                operation: op.into(),
                entries,
                ms,
                per_sec: None,
                peak_rss_mib: None,
                raw_per_sec: None,
                ratio: None,
                target: "≤ 1 ms".into(),
            });
        }
        let ev_dir = dir.join(format!("evidence-{n}"));
        let _ = fs::remove_dir_all(&ev_dir);
        let target_seq = (entries / 2).to_string();
        match run_child(&[
            "-l",
            &p,
            "evidence",
            &target_seq,
            "-o",
            &ev_dir.to_string_lossy(),
        ]) {
            Ok(e) => rows.push(Row {
                operation: "evidence bundle export (whole command)".into(),
                entries,
                ms: e.ms,
                per_sec: None,
                peak_rss_mib: e.rss_mib,
                raw_per_sec: None,
                ratio: None,
                target: "≤ 50 ms at 10^6".into(),
            }),
            Err(e) => eprintln!("evidence not measured: {e}"),
        }
        // The saved entry index: a proof at the checkpoint it covers, and its storage.
        let store = Store::open(&path, Access::ReadOnly)?;
        let index_bytes = store.entry_index_bytes()?;
        if let Some((saved, mut map)) = store.read_entry_index()? {
            let mut largest = 0;
            let ms = time_ms(reps, |_| {
                let key = ledger_core::index::IndexKey::Refs(disclosure_ledger::model::Seq(
                    rng.below(saved),
                ));
                let proof = map.try_prove(&key.hash()).expect("index proof");
                largest = largest.max(proof.to_bytes().len());
            });
            rows.push(Row {
                operation: format!(
                    "entry index proof (saved index at {saved} entries; largest {largest} bytes)"
                ),
                entries,
                ms,
                per_sec: None,
                peak_rss_mib: None,
                raw_per_sec: None,
                ratio: None,
                target: "≤ 1 ms and ≤ 2 KB at 10^6".into(),
            });
        }
        drop(store);
        let size = fs::metadata(&path)?.len();
        rows.push(Row {
            operation: "entry index storage (MiB of rows; ÷ encoded entry bytes)".into(),
            entries,
            ms: 0.0,
            per_sec: None,
            peak_rss_mib: Some(index_bytes as f64 / 1048576.0),
            raw_per_sec: None,
            ratio: Some(index_bytes as f64 / encoded as f64),
            target: "reported apart".into(),
        });
        rows.push(Row {
            operation: "database size, entry index aside ÷ encoded entry bytes".into(),
            entries,
            ms: 0.0,
            per_sec: None,
            peak_rss_mib: Some(size as f64 / 1048576.0),
            raw_per_sec: None,
            ratio: Some(size.saturating_sub(index_bytes) as f64 / encoded as f64),
            target: "≤ 1.5".into(),
        });
        // A company dossier: written, then verified offline.
        let trust = dir.join("trust");
        fs::create_dir_all(&trust)?;
        for name in dledger_testkit::sample::DEMO_KEY_NAMES {
            fs::write(
                trust.join(format!("{name}.vkey")),
                dledger_testkit::sample::demo_key(name).public().to_vkey(),
            )?;
        }
        let dossier_dir = dir.join(format!("dossier-{n}"));
        let _ = fs::remove_dir_all(&dossier_dir);
        let dd = dossier_dir.to_string_lossy().into_owned();
        // At 10^5 entries one company is named by about 10^4 disclosures (the target's size);
        // at 10^6, by ten times that, which is not what the row is about.
        let dossier = if n <= 200_000 {
            run_child(&["-l", &p, "dossier", "brightloop", "-o", &dd])
        } else {
            Err(anyhow::anyhow!("measured at 10^5 entries only"))
        };
        match dossier {
            Ok(w) => {
                let subjects = fs::read_to_string(dossier_dir.join("manifest.json"))?
                    .matches("\"subject\"")
                    .count() as u64;
                let check =
                    run_child(&["verify-evidence", &dd, "--trust", &trust.to_string_lossy()])?;
                for (op, c) in [
                    ("dossier written (whole command)", w),
                    ("dossier verified offline (verify-evidence)", check),
                ] {
                    rows.push(Row {
                        operation: format!("{op}: {subjects} disclosures of one company"),
                        entries,
                        ms: c.ms,
                        per_sec: None,
                        peak_rss_mib: c.rss_mib,
                        raw_per_sec: None,
                        ratio: None,
                        target: "≤ 2 s for 10^4 disclosures".into(),
                    });
                }
            }
            Err(e) => eprintln!("dossier not measured: {e}"),
        }
        eprintln!("Verifying incrementally…");
        // On a copy of the generated ledger, whose disclosures are acknowledged as in real use
        // (the verification state carries the ones still awaiting acknowledgement).
        let daily_path = dir.join(format!("bench-{n}-daily.ledger"));
        fs::copy(&path, &daily_path)?;
        let (total, checked, inc) = incremental_verify(&dir, &daily_path, &ofcom_key, &ico_key)?;
        rows.push(Row {
            operation: format!(
                "verify --since-checkpoint ({checked} new entries + consistency proof)"
            ),
            entries: total,
            ms: inc.ms,
            per_sec: Some(checked as f64 * 1000.0 / inc.ms),
            peak_rss_mib: inc.rss_mib,
            raw_per_sec: None,
            ratio: None,
            target: "O(new entries): flat across ledger sizes".into(),
        });
        let _ = v.stdout;
        if a.dir.is_none() {
            let _ = fs::remove_file(&import_path);
            let _ = fs::remove_file(&daily_path);
            let _ = fs::remove_file(&lines);
        }
    }
    // Proofs at sizes beyond the generated ledgers: an in-memory stored tree of synthetic leaves
    // (the same layout and code as the ledger's; only the storage differs).
    for &n in &proof_sizes {
        let mut hashes = MemoryHashes::new();
        for i in 0..n {
            hashes.append_leaf(&disclosure_ledger::hash::leaf_hash(&i.to_le_bytes()))?;
        }
        let mut rng = dledger_testkit::sample::SplitMix64::new(n);
        let root = time_ms(1001, |_| {
            std::hint::black_box(tlog::tree_hash(n, &hashes).expect("root"));
        });
        let incl = time_ms(1001, |_| {
            std::hint::black_box(tlog::prove_inclusion(rng.below(n), n, &hashes).expect("proof"));
        });
        let cons = time_ms(1001, |_| {
            std::hint::black_box(
                tlog::prove_consistency(1 + rng.below(n - 1), n, &hashes).expect("proof"),
            );
        });
        for (op, ms) in [
            ("root (in-memory tree)", root),
            ("inclusion proof (in-memory tree)", incl),
            ("consistency proof (in-memory tree)", cons),
        ] {
            rows.push(Row {
                operation: op.into(),
                entries: n,
                ms,
                per_sec: None,
                peak_rss_mib: None,
                raw_per_sec: None,
                ratio: None,
                target: "≤ 1 ms, flat".into(),
            });
        }
    }
    print_table(&rates, &rows)?;
    if let Some(path) = &a.json {
        fs::write(
            path,
            serde_json::to_string_pretty(&serde_json::json!({ "rates": rates, "rows": rows }))?,
        )?;
    }
    Ok(())
}

fn print_table(rates: &Rates, rows: &[Row]) -> Result<()> {
    outln!(
        "Machine: {} cores ({}), {}",
        rates.cores,
        std::env::consts::ARCH,
        cpu_model().unwrap_or_default()
    );
    outln!(
        "Raw rates at the start of the run (the ratios use those measured around each operation): Ed25519 sign {:.0}/s one core, {:.0}/s all cores; verify_strict {:.0}/s one core; batch verify {:.0}/s all cores; SHA-256 {:.0} MiB/s",
        rates.sign_one_core,
        rates.sign_all_cores,
        rates.verify_one_core,
        rates.batch_verify_all_cores,
        rates.sha256_mib_per_sec
    );
    outln!();
    outln!(
        "| operation | entries | ms | entries/s | peak RSS MiB | raw primitive /s | ratio | target |"
    );
    outln!("|---|---:|---:|---:|---:|---:|---:|---|");
    for r in rows {
        outln!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.operation,
            r.entries,
            if r.ms == 0.0 {
                "–".into()
            } else if r.ms < 10.0 {
                format!("{:.3}", r.ms)
            } else {
                format!("{:.0}", r.ms)
            },
            r.per_sec.map_or("–".into(), |v| format!("{v:.0}")),
            r.peak_rss_mib.map_or("–".into(), |v| format!("{v:.1}")),
            r.raw_per_sec.map_or("–".into(), |v| format!("{v:.0}")),
            r.ratio.map_or("–".into(), |v| format!("{v:.2}")),
            r.target
        );
    }
    Ok(())
}

fn cpu_model() -> Option<String> {
    let info = fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
}
