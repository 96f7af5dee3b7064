//! Printing that several commands share: receipts, policy flags, progress bars, wrapped text.

use anyhow::{Context, Result};
use disclosure_ledger::model::Timestamp;
use disclosure_ledger::stream::Progress;

pub(super) fn print_receipt(what: &str, r: &disclosure_ledger::ledger::Receipt) -> Result<()> {
    outln!(
        "Recorded {what} as entry {} at {} (hash {}).",
        r.seq,
        r.recorded_at,
        r.hash
    );
    Ok(())
}

pub(super) fn print_flags(flags: &[disclosure_ledger::policy::Flag], verb: &str) -> Result<()> {
    if flags.is_empty() {
        outln!("Policy: no flags; this disclosure is within the arrangements in force.");
        return Ok(());
    }
    outln!(
        "Policy: this disclosure {verb} {} flag{}:",
        flags.len(),
        if flags.len() == 1 { "" } else { "s" }
    );
    for f in flags {
        outln!("  {}", flag_line(f));
    }
    outln!("Run `dledger explain CODE` for what a flag means and what to check.");
    Ok(())
}

/// One flag as the recording commands show it: `code (severity, basis): message`.
pub(super) fn flag_line(f: &disclosure_ledger::policy::Flag) -> String {
    format!(
        "{} ({}, {}): {}",
        f.code,
        f.severity.as_str(),
        f.basis_label(),
        f.message
    )
}

/// A progress bar over `len` entries (see [`progress_bar`]) and the hook that moves it, for the
/// options of a long library call.
pub(super) fn progress_hook(len: u64, what: &str) -> (Progress, indicatif::ProgressBar) {
    let bar = progress_bar(len, what);
    let shown = bar.clone();
    (Progress::new(move |n| shown.set_position(n)), bar)
}

/// A progress bar on standard error, shown only when it is a terminal.
pub(super) fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} {bar:40} {pos}/{len} ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_owned());
    bar
}

pub(super) fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn textwrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        if line > 0 && line + 1 + word.len() > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.len();
    }
    out
}

pub(super) fn parse_time(field: &str, text: &str) -> Result<Timestamp> {
    Timestamp::parse(text).with_context(|| format!("--{field}"))
}

pub(super) fn parse_date(flag: &str, text: &str) -> Result<jiff::civil::Date> {
    disclosure_ledger::model::parse_date(text)
        .with_context(|| format!("--{flag} {text:?} is not a date; write it as 2025-01-31"))
}
