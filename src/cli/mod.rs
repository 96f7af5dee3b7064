//! The command-line shell: turns arguments into library calls, prints results and picks the
//! exit code. The only module that knows clap; behaviour lives in the library.

/// `println!` that hands back a failed write (a closed pipe, say) to `?` instead of panicking, so
/// that `dledger list | head` stops quietly.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// `print!` that hands back a failed write to `?`, as `outln!` does.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod advice;
mod args;
mod checkpoint_cmd;
mod commands;
mod context;
mod evidence_cmd;
mod node_cmd;
mod output;
mod policy_cmd;
mod read;
mod record;
mod review_cmd;
mod transfer;
mod verify_cmd;

pub(crate) use advice::advice;
pub(crate) use args::Cli;
pub(crate) use commands::run;

/// Exit status: every report ends in one of these (see README, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// Nothing to report.
    Clean = 0,
    /// Policy flags found (integrity intact).
    Flags = 1,
    /// Integrity failure, or the command failed.
    Failure = 2,
}
