//! The command-line shell: turns arguments into library calls, prints results and picks the
//! exit code. The only module that knows clap; behaviour lives in the library.

mod args;
mod bench_cmd;
mod commands;
mod evidence_cmd;

pub use args::Cli;
pub use bench_cmd::peak_rss_kib;
pub use commands::run;

/// Exit status: every report ends in one of these (see README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Nothing to report.
    Clean = 0,
    /// Policy flags found (integrity intact).
    Flags = 1,
    /// Integrity failure, or the command failed.
    Failure = 2,
}
