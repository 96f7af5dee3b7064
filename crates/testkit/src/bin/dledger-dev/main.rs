//! `dledger-dev`: the developers' commands that never ship in `dledger` — building synthetic
//! ledgers (`generate`), the bundled sample ledger (`sample`) and the performance table of
//! docs/PERFORMANCE.md (`bench`). Everything it makes uses the test-only demo keys.
//!
//! Run it from the repository root:
//! `cargo run --release -p dledger-testkit --bin dledger-dev -- bench --quick`
//! (or `scripts/bench.sh`, which builds `dledger` first).

/// `println!` that hands back a failed write (a closed pipe, say) to `?` instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod bench;
mod bench_node;
mod bench_publish;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use disclosure_ledger::keys::save_public;
use disclosure_ledger::stream::Progress;
use dledger_testkit::sample;

/// Developer commands for disclosure-ledger (test-only demo keys; never for real ledgers).
#[derive(Debug, Parser)]
#[command(name = "dledger-dev", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make a realistic synthetic ledger of about N entries (test-only demo keys), for
    /// benchmarks and scale tests.
    #[command(
        after_help = "Example:\n  dledger-dev generate --entries 100000 --seed 7 -o /tmp/100k.ledger"
    )]
    Generate {
        /// About how many entries.
        #[arg(long)]
        entries: u64,
        /// Random seed (the same seed gives the same ledger).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write the ledger (must not exist).
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Measure the figures of docs/PERFORMANCE.md on this machine and print them as a table.
    /// Each operation runs as a child `dledger` process (found next to this program, or
    /// named by --dledger).
    #[command(
        after_help = "Examples:\n  dledger-dev bench            # 10^4 to 10^6 entries, proofs to 10^7 (a few minutes)\n  dledger-dev bench --quick    # seconds: a smoke run"
    )]
    Bench(BenchArgs),
    /// Measure the node's figures (issue 17): submission latency and throughput, mirroring
    /// against verify, and serving (with `oha`, if installed), on a ledger of N entries.
    #[command(
        after_help = "Examples:\n  dledger-dev bench-node --entries 1000000 --keys fixtures/keys\n  dledger-dev bench-node --entries 10000 --keys fixtures/keys --seconds 2   # a smoke run"
    )]
    BenchNode(BenchNodeArgs),
    /// Measure publishing to a local S3 server (full and incremental), the objects written, and
    /// mirroring the bucket back against verify, on a ledger of N entries.
    #[command(
        after_help = "Examples:\n  dledger-dev bench-publish --entries 1000000 --keys fixtures/keys\n  dledger-dev bench-publish --entries 3000 --keys fixtures/keys --new-entries 100   # a smoke run"
    )]
    BenchPublish(BenchPublishArgs),
    /// Build the deterministic sample ledger from the demo keys (test-only).
    #[command(
        after_help = "Example:\n  dledger-dev sample --keys fixtures/keys -o /tmp/sample.ledger"
    )]
    Sample(SampleArgs),
}

/// `bench`.
#[derive(Debug, Args)]
struct BenchArgs {
    /// Ledger sizes (entries) to build and measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    sizes: Vec<u64>,
    /// Tree sizes for the root and proof timings, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1000,10000,100000,1000000,10000000"
    )]
    proof_sizes: Vec<u64>,
    /// A quick smoke run (small sizes; the figures mean little).
    #[arg(long)]
    quick: bool,
    /// Where to build the ledgers (default: a temporary directory, removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Also write the table as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The `dledger` program to measure (default: the one next to this program).
    #[arg(long)]
    dledger: Option<PathBuf>,
}

/// `bench-node`.
#[derive(Debug, Args)]
struct BenchNodeArgs {
    /// The ledger, keys and programs.
    #[command(flatten)]
    setup: BenchSetup,
    /// Submissions timed one after another.
    #[arg(long, default_value_t = 300)]
    submissions: usize,
    /// Concurrent submitting clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Entries per chain in the second throughput measurement (a client with several entries
    /// to record signs them as consecutive entries and sends them together).
    #[arg(long, default_value_t = 8)]
    chain: usize,
    /// Seconds each throughput measurement runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

/// `bench-publish`.
#[derive(Debug, Args)]
struct BenchPublishArgs {
    /// The ledger, keys and programs.
    #[command(flatten)]
    setup: BenchSetup,
    /// Entries added before the incremental publication.
    #[arg(long, default_value_t = 1_000)]
    new_entries: u64,
}

/// What the node and publishing benchmarks run on.
#[derive(Debug, Args)]
struct BenchSetup {
    /// Entries of the generated ledger (ignored with --ledger).
    #[arg(long, default_value_t = 1_000_000)]
    entries: u64,
    /// A ledger to use instead of generating one (made with the demo keys).
    #[arg(long)]
    ledger: Option<PathBuf>,
    /// The demo keys (fixtures/keys).
    #[arg(long, default_value = "fixtures/keys")]
    keys: PathBuf,
    /// Where to put the working files (default: /tmp).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The `dledger` program to measure (default: the one next to this program).
    #[arg(long)]
    dledger: Option<PathBuf>,
}

/// `sample`.
#[derive(Debug, Args)]
struct SampleArgs {
    /// Directory holding the demo keys (fixtures/keys).
    #[arg(long, default_value = "fixtures/keys")]
    keys: PathBuf,
    /// Where to write the ledger (must not exist).
    #[arg(short, long)]
    out: PathBuf,
    /// First write the demo key files (derived from fixed seeds, marked TEST-ONLY) into --keys.
    #[arg(long)]
    write_demo_keys: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate { entries, seed, out } => generate_cmd(entries, seed, &out),
        Command::Sample(a) => sample_cmd(a),
        Command::Bench(a) => bench::bench(a),
        Command::BenchNode(a) => bench_node::bench_node(a),
        Command::BenchPublish(a) => bench_publish::bench_publish(a),
    };
    if std::env::var_os("DLEDGER_REPORT_PEAK_RSS").is_some()
        && let Some(kib) = bench::peak_rss_kib()
    {
        eprintln!("peak-rss-kib: {kib}");
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// A progress hook and the bar it moves (drawn on standard error only when it is a terminal).
fn progress_hook(len: u64, what: &str) -> (Progress, indicatif::ProgressBar) {
    use std::io::IsTerminal;
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(len);
        bar.set_message(what.to_owned());
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let shown = bar.clone();
    (Progress::new(move |n| shown.set_position(n)), bar)
}

fn generate_cmd(entries: u64, seed: u64, out: &Path) -> Result<()> {
    let started = Instant::now();
    let keys = sample::DemoKeys::derive();
    let (progress, bar) = progress_hook(entries, "generating");
    let opts = sample::GenerateOptions {
        progress,
        ..sample::GenerateOptions::synthetic(entries, seed)
    };
    let n = sample::generate(out, &keys, &opts).inspect_err(|_| {
        let _ = fs::remove_file(out);
    })?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    outln!(
        "Wrote {} ({n} entries, test-only demo keys) in {secs:.1} s ({:.0} entries/s).",
        out.display(),
        n as f64 / secs
    );
    Ok(())
}

fn sample_cmd(a: SampleArgs) -> Result<()> {
    if a.write_demo_keys {
        fs::create_dir_all(&a.keys)?;
        for (name, key) in sample::DemoKeys::derive().0 {
            let path = a.keys.join(format!("{name}.key"));
            if path.exists() {
                continue; // never overwrite a key file
            }
            key.save(&path, true)?;
            save_public(key.public(), &a.keys)?;
        }
    }
    let keys = sample::DemoKeys::load(&a.keys)?;
    let n =
        sample::generate(&a.out, &keys, &sample::GenerateOptions::sample()).inspect_err(|_| {
            // Leave no half-built ledger behind.
            let _ = fs::remove_file(&a.out);
        })?;
    outln!("Wrote the sample ledger {} ({n} entries).", a.out.display());
    Ok(())
}
