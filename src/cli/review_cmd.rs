//! `dledger review`.

use anyhow::{Result, anyhow};
use disclosure_ledger::model::Timestamp;

use super::Status;
use super::args::*;
use super::context::*;
use super::output::*;

pub(super) fn review(ctx: &Ctx, a: ReviewArgs) -> Result<Status> {
    use disclosure_ledger::review::{self, Period, ReviewOptions};
    let period = match a.period {
        PeriodArg::Month => Period::Month,
        PeriodArg::Quarter => Period::Quarter,
        PeriodArg::Year => Period::Year,
    };
    let opts = ReviewOptions {
        from: a
            .from
            .as_deref()
            .map(|t| parse_date("from", t))
            .transpose()?,
        to: a.to.as_deref().map(|t| parse_date("to", t)).transpose()?,
        period,
        top: a.top,
        as_of: match &a.as_of {
            Some(t) => parse_time("as-of", t)?,
            None => Timestamp::now(),
        },
        progress: Default::default(),
    };
    let store = ctx.open_reader(ctx.path()?)?;
    let (progress, bar) = progress_hook(store.len()?, "reading");
    let opts = ReviewOptions { progress, ..opts };
    let report = review::build_review(&store, &opts)?;
    bar.finish_and_clear();
    let write = |content: String| -> Result<()> {
        match &a.out {
            Some(path) => {
                // Owner-only, renamed into place; never written through a symlink.
                disclosure_ledger::files::replace_private_file(path, content.as_bytes())?;
                eprintln!("Wrote {}.", path.display());
            }
            None => out!("{content}"),
        }
        Ok(())
    };
    match a.format {
        ReviewFormat::Text => write(review::render_text(&report))?,
        ReviewFormat::Json => write(serde_json::to_string_pretty(&report)? + "\n")?,
        ReviewFormat::Html => write(review::render_html(&report))?,
        ReviewFormat::Csv => {
            let dir = a
                .out
                .as_deref()
                .ok_or_else(|| anyhow!("--format csv writes a directory of tables: pass -o DIR"))?;
            review::write_csv_dir(&report, dir)?;
            eprintln!(
                "Wrote {} CSV tables to {}.",
                review::CSV_TABLES.len(),
                dir.display()
            );
        }
    }
    Ok(Status::Clean)
}
