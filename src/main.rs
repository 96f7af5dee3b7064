//! `dledger`: the command-line shell over the disclosure-ledger library.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let code = run(cli);
    if std::env::var_os("DLEDGER_REPORT_PEAK_RSS").is_some() {
        // For `dledger bench`, which runs commands as child processes to measure their memory.
        if let Some(kib) = peak_rss_kib() {
            eprintln!("peak-rss-kib: {kib}");
        }
    }
    code
}

fn run(cli: cli::Cli) -> ExitCode {
    match cli::run(cli) {
        Ok(status) => ExitCode::from(status as u8),
        Err(err) if is_broken_pipe(&err) => {
            // The reader (e.g. `head`) closed the pipe: not an error worth reporting.
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            // Library errors already fold their cause into their message; print only what adds.
            let mut shown = err.to_string();
            for cause in err.chain().skip(1) {
                let text = cause.to_string();
                if !shown.contains(&text) {
                    eprintln!("  caused by: {text}");
                    shown.push_str(&text);
                }
            }
            // What to type about it: the library's messages leave command-line advice to us.
            if let Some(advice) = cli::advice(&err) {
                eprintln!("hint: {advice}");
            }
            ExitCode::from(cli::Status::Failure as u8)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// This process's peak resident set size (VmHWM), in KiB, from /proc (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
