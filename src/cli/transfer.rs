//! Moving whole ledgers: `export`, `import` (of an export, or bulk disclosures) and `upgrade`.

use std::io::{BufReader, Write};
use std::time::Instant;

use anyhow::{Result, anyhow, bail};
use disclosure_ledger::export;
use disclosure_ledger::model::Timestamp;
use disclosure_ledger::publish::{Target, publish};

use super::Status;
use super::args::*;
use super::context::*;
use super::output::*;

pub(super) fn export_cmd(ctx: &Ctx, a: ExportArgs) -> Result<Status> {
    let store = ctx.open_reader(ctx.path()?)?;
    let options = export::ExportOptions {
        values: a.with_values,
    };
    match &a.out {
        Some(path) => {
            // Owner-only, never over an existing file, never through a symlink.
            let file = disclosure_ledger::files::create_private_file(path)?;
            let mut w = std::io::BufWriter::new(file);
            let s = export::export_with(&store, &mut w, options)?;
            w.flush()?;
            eprintln!(
                "Exported {} entries and {} checkpoint{} to {}{}.",
                s.entries,
                s.checkpoints,
                if s.checkpoints == 1 { "" } else { "s" },
                path.display(),
                if a.with_values {
                    format!(
                        ", with {} field value{} (owner-only: keep it as confidential as the \
                         ledger)",
                        s.values,
                        if s.values == 1 { "" } else { "s" }
                    )
                } else {
                    ", without field values".to_owned()
                }
            );
        }
        None if a.with_values => bail!(
            "field values are written only to a file: add -o FILE (created owner-only), so the \
             confidential values never pass through a terminal or a pipe"
        ),
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            export::export_with(&store, &mut w, options)?;
            w.flush()?;
        }
    }
    Ok(Status::Clean)
}

pub(super) fn publish_cmd(ctx: &Ctx, a: PublishArgs) -> Result<Status> {
    let store = ctx.open_reader(ctx.path()?)?;
    let target = Target::parse(&a.to)?;
    let p = publish(&store, &target)?;
    let s = |n: u64| if n == 1 { "" } else { "s" };
    if p.written == 0 {
        outln!(
            "{} already holds the log at its checkpoint of size {}; nothing to write.",
            target.describe(),
            p.size
        );
    } else if p.from == 0 {
        outln!(
            "Published the log at its checkpoint of size {} to {}: {} file{} written, the \
             checkpoint last.",
            p.size,
            target.describe(),
            p.written,
            s(p.written)
        );
    } else {
        outln!(
            "Published the log at its checkpoint of size {} to {} (it held size {}): {} file{} \
             written, the checkpoint last; {} full tile{} and bundle{} already there kept.",
            p.size,
            target.describe(),
            p.from,
            p.written,
            s(p.written),
            p.kept,
            s(p.kept),
            s(p.kept)
        );
    }
    if p.cosigners.is_empty() {
        outln!(
            "The checkpoint is signed by the log's operator only: no other party has cosigned \
             one yet (`dledger cosign`, or a witness node), so readers have no witness's word \
             that they see the same log as everyone else."
        );
    } else {
        outln!("The checkpoint is cosigned by {}.", p.cosigners.join(", "));
    }
    if let Some(newer) = p.newer_uncosigned {
        outln!(
            "The ledger's latest checkpoint (size {newer}) is not cosigned yet; it is published \
             once it is (run this again after `dledger cosign`)."
        );
    }
    if let Target::Dir(_) = target {
        outln!(
            "Serve the directory as static files (tile paths are immutable; `checkpoint` is \
             not, so cache it for seconds only)."
        );
    }
    Ok(Status::Clean)
}

pub(super) fn import_cmd(ctx: &Ctx, a: ImportArgs) -> Result<Status> {
    if let Some(key) = &a.key {
        if a.new_ledger.is_some() {
            bail!(
                "with --key, disclosures are recorded into the ledger given by --ledger; drop the \
                 second path (it names a new ledger only when importing an export)"
            );
        }
        let key = load_key(key)?;
        let (items, problems) = disclosure_ledger::bulk::read_lines(&a.input)?;
        let total = items.len() as u64;
        let mut ledger = ctx.open_writer()?;
        let started = Instant::now();
        let bar = progress_bar(total, "recording");
        let report = disclosure_ledger::bulk::import_lines(
            &mut ledger,
            items,
            problems,
            &key,
            Timestamp::now(),
            a.batch_size,
            |n| bar.set_position(n),
        )?;
        bar.finish_and_clear();
        let secs = started.elapsed().as_secs_f64();
        outln!(
            "Recorded {} in {} durable commit{} ({:.0} disclosures/s).",
            match report.recorded {
                1 => format!("1 disclosure as entry {}", report.first),
                n => format!(
                    "{n} disclosures as entries {} to {}",
                    report.first, report.last
                ),
            },
            report.batches,
            if report.batches == 1 { "" } else { "s" },
            report.recorded as f64 / secs.max(1e-9)
        );
        return print_import_flags(&report.flags);
    }
    let target = a.new_ledger.as_deref().ok_or_else(|| {
        anyhow!("name the new ledger to create: dledger import EXPORT.jsonl NEW.ledger (or pass --key to record disclosures)")
    })?;
    let (file, _) = disclosure_ledger::files::open_limited(
        &a.input,
        disclosure_ledger::files::EXPORT_FILE_LIMIT,
        "export file",
    )?;
    let s = export::import_all(BufReader::new(file), target)?;
    outln!(
        "Imported {} entries and {} checkpoint{} into {}; every entry and checkpoint verified. {}",
        s.entries,
        s.checkpoints,
        if s.checkpoints == 1 { "" } else { "s" },
        target.display(),
        if s.values > 0 {
            format!(
                "It holds the {} field value{} of the export, each matching its commitment.",
                s.values,
                if s.values == 1 { "" } else { "s" }
            )
        } else {
            "The export carried no field values, and the copy says it holds none.".to_owned()
        }
    );
    Ok(Status::Clean)
}

pub(super) fn upgrade_cmd(a: UpgradeArgs) -> Result<Status> {
    let c = disclosure_ledger::upgrade::upgrade(&a.old, &a.new)?;
    outln!(
        "Converted {} to store version {} in {}: {} entries, {} vault values, {} erasure \
         records, {} checkpoints; every entry verified. {} is unchanged.",
        a.old.display(),
        disclosure_ledger::store::STORE_VERSION,
        a.new.display(),
        c.entries,
        c.vault_values,
        c.erasures,
        c.checkpoints,
        a.old.display()
    );
    Ok(Status::Clean)
}

/// How many flagged disclosures a bulk import lists one by one (`dledger verify` lists all).
const IMPORT_FLAGS_SHOWN: usize = 20;

/// The flags a bulk import's disclosures raise, as `disclose` shows them: exit 1 when any.
fn print_import_flags(flags: &[disclosure_ledger::policy::Flag]) -> Result<Status> {
    if flags.is_empty() {
        outln!("Policy: no flags; every disclosure is within the arrangements in force.");
        return Ok(Status::Clean);
    }
    let disclosures: std::collections::BTreeSet<_> = flags.iter().map(|f| f.seq).collect();
    outln!(
        "Policy: {} of the recorded disclosures raise{} {} flag{} (recorded all the same: the \
         ledger records what happened):",
        disclosures.len(),
        if disclosures.len() == 1 { "s" } else { "" },
        flags.len(),
        if flags.len() == 1 { "" } else { "s" }
    );
    for f in flags.iter().take(IMPORT_FLAGS_SHOWN) {
        outln!("  {}", flag_line(f));
    }
    if flags.len() > IMPORT_FLAGS_SHOWN {
        outln!(
            "  … and {} more; `dledger verify` lists them all.",
            flags.len() - IMPORT_FLAGS_SHOWN
        );
    }
    outln!("Run `dledger explain CODE` for what a flag means and what to check.");
    Ok(Status::Flags)
}
