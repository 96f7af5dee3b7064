//! `dledger-dev bench-node`: the figures of issue 17 on this machine, printed as a table —
//! submission latency (one client) and throughput (concurrent clients, durable commits) at a
//! ledger of N entries, mirroring N entries from a local node against `verify` of the same
//! ledger in the same run, and serving (checkpoint and random full hash tiles) measured with
//! `oha` when it is installed (`cargo install oha --locked`).
//!
//! The node is the release `dledger serve` next to this program, on 127.0.0.1 at a port chosen
//! at run time, over a copy of the ledger (a node marks the file it operates).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use disclosure_ledger::codec;
use disclosure_ledger::hash::leaf_hash;
use disclosure_ledger::input::DisclosureInput;
use disclosure_ledger::keys::SecretKey;
use disclosure_ledger::ledger::{Ledger, fresh_salt};
use disclosure_ledger::model::{Body, Entry, EntryHash, FORMAT_VERSION, Seq, Signer, Timestamp};
use disclosure_ledger::remote::Remote;

use super::{BenchNodeArgs, BenchSetup};

/// A running `dledger serve`.
struct Served {
    child: std::process::Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn serve(dledger: &Path, ledger: &Path, key: &Path) -> Result<Served> {
    let mut child = Command::new(dledger)
        .args(["serve", "-l"])
        .arg(ledger)
        .args(["--listen", "127.0.0.1:0", "--rate", "1000000", "--key"])
        .arg(key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start dledger serve")?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
    let url = line
        .split(" at ")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .map(str::to_owned)
        .with_context(|| format!("unexpected first line from the node: {line:?}"))?;
    Ok(Served { child, url })
}

/// Copies the demo private keys of `from` into `work/keys`, owner-only (a checkout makes them
/// 0644, which `dledger` refuses to load).
fn private_keys(from: &Path, work: &Path) -> Result<PathBuf> {
    let keys = work.join("keys");
    std::fs::create_dir_all(&keys)?;
    for item in std::fs::read_dir(from)
        .with_context(|| format!("cannot read the demo keys in {}", from.display()))?
    {
        let path = item?.path();
        if path.extension().is_some_and(|e| e == "key") {
            use std::os::unix::fs::PermissionsExt as _;
            let to = keys.join(path.file_name().expect("a file"));
            std::fs::copy(&path, &to)?;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(keys)
}

/// `ledger`, or a ledger of `entries` generated into `work`.
fn source_ledger(ledger: Option<&Path>, entries: u64, work: &Path) -> Result<PathBuf> {
    if let Some(l) = ledger {
        return Ok(l.to_owned());
    }
    let out = work.join("generated.ledger");
    let ok = Command::new(std::env::current_exe()?)
        .args(["generate", "--entries", &entries.to_string(), "-o"])
        .arg(&out)
        .status()?
        .success();
    if !ok {
        bail!("generate failed");
    }
    Ok(out)
}

/// The first demo key in `keys` that `party` may sign with at the ledger's head.
pub(crate) fn key_of(ledger: &Ledger, keys: &Path, party: &str) -> Result<(SecretKey, PathBuf)> {
    for item in std::fs::read_dir(keys)? {
        let path = item?.path();
        if path.extension().is_some_and(|e| e == "key")
            && let Ok(key) = SecretKey::load(&path)
            && ledger.party_of(&key).is_ok_and(|p| p.as_str() == party)
        {
            return Ok((key, path));
        }
    }
    bail!(
        "no key of {party} in {} is valid at the head",
        keys.display()
    )
}

/// A disclosure body Ofcom can submit again and again.
pub(crate) fn disclosure_body(ledger: &Ledger, key: &SecretKey, client: usize) -> Result<Body> {
    let input = DisclosureInput::from_json(&format!(
        r#"{{"from": "OFCOM", "to": "ICO", "disclosed_at": "2025-06-01",
            "gateway": "Communications Act 2003 s393(2)(a)", "category": "theme-only",
            "themes": ["bench-theme"], "notification": "skipped: theme-level information",
            "relevance": "limb", "officer_role": "Benchmark client {client}"}}"#
    ))?;
    Ok(ledger
        .prepare_disclosure(&input, key, Timestamp::now(), &mut fresh_salt)?
        .body)
}

/// One submitting client: signs `body` as the next entry, posts it, follows the head on 409.
struct Client {
    remote: Remote,
    key: Arc<SecretKey>,
    body: Body,
    next: u64,
    head: [u8; 32],
}

enum Outcome {
    Accepted,
    Conflict,
}

impl Client {
    /// Signs `n` entries as the next ones of the log (a chain) and submits them.
    fn submit(&mut self, n: usize) -> Result<Outcome> {
        let mut chain = Vec::with_capacity(n);
        let (mut seq, mut prev) = (self.next, self.head);
        for _ in 0..n {
            let entry = Entry {
                version: FORMAT_VERSION,
                seq: Seq(seq),
                prev: EntryHash(prev),
                recorded_at: Timestamp::now(),
                signer: Signer {
                    party: disclosure_ledger::model::PartyId::new("OFCOM")?,
                    key_id: self.key.public().key_id,
                },
                body: self.body.clone(),
            };
            let bytes = codec::encode_entry(&entry)?;
            prev = leaf_hash(&bytes);
            seq += 1;
            let signature = self.key.sign_entry(&bytes);
            chain.push((bytes, signature));
        }
        let answer = if n == 1 {
            self.remote.submit(&chain[0].0, &chain[0].1)?
        } else {
            self.remote.submit_chain(&chain)?
        };
        match answer.status {
            201 => {
                self.next = seq;
                self.head = prev;
                Ok(Outcome::Accepted)
            }
            409 => {
                let v: serde_json::Value = serde_json::from_slice(&answer.body)?;
                self.next = v["next"].as_u64().context("409 without next")?;
                self.head = hex::decode(v["head"].as_str().context("409 without head")?)?
                    .try_into()
                    .map_err(|_| anyhow::anyhow!("bad head"))?;
                Ok(Outcome::Conflict)
            }
            s => bail!("the node answered {s}: {}", answer.message()),
        }
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Seconds `dledger verify` takes on `ledger`.
pub(crate) fn verify_timed(dledger: &Path, ledger: &Path) -> Result<f64> {
    let started = Instant::now();
    let status = Command::new(dledger)
        .arg("verify")
        .arg(ledger)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    let took = started.elapsed().as_secs_f64();
    if !matches!(status.code(), Some(0 | 1)) {
        bail!("verify failed on {}", ledger.display());
    }
    Ok(took)
}

/// Seconds `dledger mirror SOURCE -o replica` takes (with `env`), and its peak memory.
pub(crate) fn mirror_timed(
    dledger: &Path,
    source: &str,
    replica: &Path,
    env: &[(&str, String)],
) -> Result<(f64, String)> {
    let started = Instant::now();
    let out = Command::new(dledger)
        .args(["mirror", source, "-o"])
        .arg(replica)
        .env("DLEDGER_REPORT_PEAK_RSS", "1")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()?;
    let took = started.elapsed().as_secs_f64();
    if !matches!(out.status.code(), Some(0 | 1)) {
        bail!("mirror failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let rss = String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kib: "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or("?".into(), |k| format!("{:.0} MiB", k / 1024.0));
    Ok((took, rss))
}

/// What a benchmark works with: the `dledger` to run, a working directory (removed at the
/// end), the owner-only demo keys in it, and the ledger to start from.
pub(crate) struct Prepared {
    pub dledger: PathBuf,
    pub work: tempfile::TempDir,
    pub keys: PathBuf,
    pub source: PathBuf,
}

/// Prepares what `setup` names.
pub(crate) fn prepare(setup: &BenchSetup) -> Result<Prepared> {
    let dledger = match &setup.dledger {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("dledger"),
    };
    let work = tempfile::tempdir_in(setup.dir.as_deref().unwrap_or(Path::new("/tmp")))?;
    let keys = private_keys(&setup.keys, work.path())?;
    let source = source_ledger(setup.ledger.as_deref(), setup.entries, work.path())?;
    Ok(Prepared {
        dledger,
        work,
        keys,
        source,
    })
}

/// Runs the node benchmarks.
pub(crate) fn bench_node(a: BenchNodeArgs) -> Result<()> {
    let Prepared {
        dledger,
        work,
        keys,
        source,
    } = prepare(&a.setup)?;
    let ledger_path = work.path().join("operated.ledger");
    std::fs::copy(&source, &ledger_path)?;
    let ledger = Ledger::open(&ledger_path)?;
    let entries = ledger.next_seq().0;
    let (ico_key, ico_key_path) = key_of(&ledger, &keys, "ICO")?;
    let _ = ico_key;
    let (ofcom_key, _) = key_of(&ledger, &keys, "OFCOM")?;
    let bodies = (0..=a.clients)
        .map(|c| disclosure_body(&ledger, &ofcom_key, c))
        .collect::<Result<Vec<_>>>()?;
    let ofcom_key = Arc::new(ofcom_key);
    drop(ledger);

    let mut rows: Vec<(String, String, String)> = Vec::new();

    // verify, for the mirror's yardstick.
    let verify_s = verify_timed(&dledger, &source)?;
    rows.push((
        format!("verify ({entries} entries)"),
        format!("{verify_s:.2} s"),
        "yardstick".into(),
    ));

    let node = serve(&dledger, &ledger_path, &ico_key_path)?;
    // Let the node sign its first checkpoint.
    let remote = Remote::new(&node.url, None)?;
    let start = Instant::now();
    while remote.get_ok("checkpoint").is_err() {
        if start.elapsed() > Duration::from_secs(60) {
            bail!("the node signed no checkpoint");
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    // Mirroring everything from the node.
    let replica = work.path().join("mirror.replica");
    let (mirror_s, rss) = mirror_timed(&dledger, &node.url, &replica, &[])?;
    rows.push((
        format!("mirror from a local node ({entries} entries)"),
        format!(
            "{mirror_s:.2} s = {:.2}× verify, peak {rss}",
            mirror_s / verify_s
        ),
        "≤ 2× verify, ≤ 300 MB".into(),
    ));

    // Submission latency, one client.
    let head = |remote: &Remote| -> Result<(u64, [u8; 32])> {
        let store = disclosure_ledger::store::Store::open(
            &replica,
            disclosure_ledger::store::Access::ReadOnly,
        )?;
        let n = store.len()?;
        let last = store.get(n - 1)?.context("no head")?;
        let _ = remote;
        Ok((n, leaf_hash(&last.bytes)))
    };
    let (next, head_hash) = head(&remote)?;
    let mut client = Client {
        remote: Remote::new(&node.url, None)?,
        key: Arc::clone(&ofcom_key),
        body: bodies[0].clone(),
        next,
        head: head_hash,
    };
    let mut latencies = Vec::with_capacity(a.submissions);
    while latencies.len() < a.submissions {
        let t = Instant::now();
        if let Outcome::Accepted = client.submit(1)? {
            latencies.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    latencies.sort_by(f64::total_cmp);
    rows.push((
        format!("submission, one client ({} at {entries}+)", a.submissions),
        format!(
            "p50 {:.1} ms, p99 {:.1} ms",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99)
        ),
        "p50 ≤ 50 ms, p99 ≤ 200 ms".into(),
    ));

    // Throughput, concurrent clients: one entry per submission, then chains.
    let start_at = client.next;
    let start_head = client.head;
    let mut next_start = (start_at, start_head);
    for chain in [1, a.chain] {
        let accepted = Arc::new(AtomicU64::new(0));
        let conflicts = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let failure: Arc<Mutex<Option<String>>> = Arc::default();
        let threads: Vec<_> = (0..a.clients)
            .map(|i| {
                let mut c = Client {
                    remote: Remote::new(&node.url, None).expect("url checked"),
                    key: Arc::clone(&ofcom_key),
                    body: bodies[i + 1].clone(),
                    next: next_start.0,
                    head: next_start.1,
                };
                let (accepted, conflicts, stop, failure) = (
                    Arc::clone(&accepted),
                    Arc::clone(&conflicts),
                    Arc::clone(&stop),
                    Arc::clone(&failure),
                );
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        match c.submit(chain) {
                            Ok(Outcome::Accepted) => {
                                accepted.fetch_add(chain as u64, Ordering::Relaxed)
                            }
                            Ok(Outcome::Conflict) => conflicts.fetch_add(1, Ordering::Relaxed),
                            Err(e) => {
                                *failure.lock().expect("not poisoned") = Some(e.to_string());
                                return (c.next, c.head);
                            }
                        };
                    }
                    (c.next, c.head)
                })
            })
            .collect();
        let started = Instant::now();
        std::thread::sleep(Duration::from_secs(a.seconds));
        stop.store(true, Ordering::Relaxed);
        let ends: Vec<(u64, [u8; 32])> =
            threads.into_iter().filter_map(|t| t.join().ok()).collect();
        let elapsed = started.elapsed().as_secs_f64();
        if let Some(e) = failure.lock().expect("not poisoned").take() {
            bail!("a client failed: {e}");
        }
        // The client that knows the furthest head starts the next round there.
        next_start = ends
            .into_iter()
            .max_by_key(|(n, _)| *n)
            .unwrap_or(next_start);
        let n = accepted.load(Ordering::Relaxed) as f64;
        let what = if chain == 1 {
            "one entry per submission".to_owned()
        } else {
            format!("chains of {chain} entries")
        };
        rows.push((
            format!(
                "submissions, {} concurrent clients, {what}, durable",
                a.clients
            ),
            format!(
                "{:.0} entries accepted/s ({:.0} submissions signed again after 409/s)",
                n / elapsed,
                conflicts.load(Ordering::Relaxed) as f64 / elapsed
            ),
            "≥ 500 accepted/s".into(),
        ));
    }

    // Serving, with oha if installed.
    let full_tiles = (entries / 256).min(1000);
    if full_tiles == 0 {
        rows.push(("serving".into(), "ledger too small".into(), String::new()));
    } else if Command::new("oha").arg("--version").output().is_ok() {
        // Indices of full level-0 tiles only (every request should answer 200).
        let indices = if full_tiles >= 100 {
            format!("[0-{}][0-9][0-9]", (full_tiles / 100).min(10) - 1)
        } else if full_tiles >= 10 {
            format!("0[0-{}][0-9]", full_tiles / 10 - 1)
        } else {
            format!("00[0-{}]", full_tiles - 1)
        };
        let regex = format!("{}/(checkpoint|tile/0/{indices})", node.url);
        let out = Command::new("oha")
            .args(["-z", &format!("{}s", a.seconds), "-c", "16", "--no-tui"])
            .args(["--output-format", "json", "--rand-regex-url", &regex])
            .output()?;
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .with_context(|| format!("oha: {}", String::from_utf8_lossy(&out.stderr)))?;
        let rps = v["summary"]["requestsPerSec"].as_f64().unwrap_or(0.0);
        let p99 = v["latencyPercentiles"]["p99"].as_f64().unwrap_or(0.0) * 1000.0;
        let ok = v["statusCodeDistribution"]["200"].as_u64().unwrap_or(0);
        rows.push((
            "serving checkpoint + random full hash tiles (oha, 16 connections)".into(),
            format!("{rps:.0} requests/s, p99 {p99:.1} ms ({ok} answered 200)"),
            "≥ 2,000 requests/s, p99 ≤ 20 ms".into(),
        ));
    } else {
        rows.push((
            "serving".into(),
            "not measured: oha is not installed (cargo install oha --locked)".into(),
            String::new(),
        ));
    }
    drop(node);

    println!("| measurement | result | target |");
    println!("|---|---|---|");
    for (what, result, target) in rows {
        println!("| {what} | {result} | {target} |");
    }
    Ok(())
}
