//! `dledger-dev bench-publish`: the figures of issue 18 on this machine, printed as a table —
//! publishing a ledger of N entries to a local S3 server (s3s-fs over HTTP with SigV4, started
//! in this process on a 127.0.0.1 port chosen at run time), an incremental publication of 1,000
//! new entries, the objects and bytes written, and mirroring the bucket back against `verify`
//! of the same ledger in the same run.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use disclosure_ledger::ledger::{Ledger, fresh_salt};
use disclosure_ledger::model::Timestamp;
use dledger_testkit::s3::S3Server;

use super::BenchPublishArgs;
use super::bench_node::{Prepared, key_of, mirror_timed, prepare, verify_timed};

const BUCKET: &str = "bench";
const PREFIX: &str = "ico-ofcom";

/// Runs `dledger publish` into the bucket; returns the seconds it took and what it said.
fn publish_timed(dledger: &Path, ledger: &Path, env: &[(&str, String)]) -> Result<(f64, String)> {
    let started = Instant::now();
    let out = Command::new(dledger)
        .arg("-l")
        .arg(ledger)
        .args(["publish", "--to", &format!("s3://{BUCKET}/{PREFIX}")])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()?;
    let took = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!("publish failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok((took, String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// Signs a checkpoint of the whole ledger as the ICO and cosigns it as Ofcom: `publish`
/// publishes the latest cosigned checkpoint.
fn checkpoint_cosigned(
    ledger: &mut Ledger,
    ico: &disclosure_ledger::keys::SecretKey,
    ofcom: &disclosure_ledger::keys::SecretKey,
) -> Result<()> {
    let note = ledger.checkpoint(ico)?;
    ledger.cosign(note.to_string().as_bytes(), ofcom, Timestamp::now())?;
    Ok(())
}

/// The objects (files) below `dir` and their bytes.
fn objects_and_bytes(dir: &Path) -> (u64, u64) {
    let (mut n, mut bytes) = (0, 0);
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                n += 1;
                bytes += e.metadata().map_or(0, |m| m.len());
            }
        }
    }
    (n, bytes)
}

/// Runs the publishing benchmarks.
pub(crate) fn bench_publish(a: BenchPublishArgs) -> Result<()> {
    let Prepared {
        dledger,
        work,
        keys,
        source,
    } = prepare(&a.setup)?;
    let ledger_path = work.path().join("published.ledger");
    std::fs::copy(&source, &ledger_path)?;

    let mut ledger = Ledger::open(&ledger_path)?;
    let (ico_key, _) = key_of(&ledger, &keys, "ICO")?;
    let (ofcom_key, _) = key_of(&ledger, &keys, "OFCOM")?;
    checkpoint_cosigned(&mut ledger, &ico_key, &ofcom_key)?;
    let entries = ledger.next_seq().0;
    drop(ledger);

    let server = S3Server::start(&work.path().join("s3")).context("starting the S3 server")?;
    server.create_bucket(BUCKET)?;
    let env = server.env();
    let bucket_dir = server.object_file(BUCKET, PREFIX);
    let mut rows: Vec<(String, String, String)> = Vec::new();

    // The whole ledger.
    let (full_s, said) = publish_timed(&dledger, &ledger_path, &env)?;
    let (objects, bytes) = objects_and_bytes(&bucket_dir);
    rows.push((
        format!("publish {entries} entries to a local S3 server"),
        format!("{full_s:.2} s"),
        "≤ 60 s at 10^6".into(),
    ));
    let per_million = 1_000_000.0 / entries as f64;
    rows.push((
        "objects and bytes written".into(),
        format!(
            "{objects} objects, {:.1} MiB (≈ {:.0} objects and {:.0} MiB per 10^6 entries)",
            bytes as f64 / 1_048_576.0,
            objects as f64 * per_million,
            bytes as f64 / 1_048_576.0 * per_million
        ),
        "stated".into(),
    ));
    if !said.contains("written") {
        bail!("publish said: {said}");
    }

    // 1,000 more entries, a new checkpoint, and the incremental publication.
    let mut ledger = Ledger::open(&ledger_path)?;
    let pending = (0..a.new_entries)
        .map(|i| {
            let input = disclosure_ledger::input::DisclosureInput::from_json(&format!(
                r#"{{"from": "OFCOM", "to": "ICO", "disclosed_at": "2025-06-01",
                    "gateway": "Communications Act 2003 s393(2)(a)", "category": "theme-only",
                    "themes": ["bench-theme"], "notification": "skipped: theme-level information",
                    "relevance": "limb", "officer_role": "Publisher {i}"}}"#
            ))?;
            Ok(ledger.prepare_disclosure(&input, &ofcom_key, Timestamp::now(), &mut fresh_salt)?)
        })
        .collect::<Result<Vec<_>>>()?;
    ledger.append_batch(pending, &ofcom_key, Timestamp::now())?;
    checkpoint_cosigned(&mut ledger, &ico_key, &ofcom_key)?;
    drop(ledger);
    let (incremental_s, said) = publish_timed(&dledger, &ledger_path, &env)?;
    if !said.contains("written") {
        bail!("the incremental publication wrote nothing: {said}");
    }
    let written = said
        .split(": ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .unwrap_or("?")
        .to_owned();
    rows.push((
        format!(
            "incremental publish of {} new entries (at {} entries)",
            a.new_entries,
            entries + a.new_entries
        ),
        format!("{incremental_s:.2} s, {written} objects written"),
        "≤ 1 s".into(),
    ));

    // Mirroring the bucket back, against verify of the same ledger in the same run.
    let verify_s = verify_timed(&dledger, &ledger_path)?;
    rows.push((
        format!("verify ({} entries)", entries + a.new_entries),
        format!("{verify_s:.2} s"),
        "yardstick".into(),
    ));
    let replica = work.path().join("mirror.replica");
    let url = format!("s3://{BUCKET}/{PREFIX}");
    let (mirror_s, rss) = mirror_timed(&dledger, &url, &replica, &env)?;
    rows.push((
        "mirror from the bucket".into(),
        format!(
            "{mirror_s:.2} s = {:.2}× verify, peak {rss}",
            mirror_s / verify_s
        ),
        "≤ 2× verify".into(),
    ));
    drop(server);

    println!("| measurement | result | target |");
    println!("|---|---|---|");
    for (what, result, target) in rows {
        println!("| {what} | {result} | {target} |");
    }
    Ok(())
}
