//! `dledger verify`, `explain` and `reindex`.

use std::path::Path;

use anyhow::{Context as _, Result, anyhow};
use disclosure_ledger::integrity::IntegrityKind;
use disclosure_ledger::policy::{Basis, CATALOGUE, FlagCode};
use disclosure_ledger::verify::{
    FlagFilter, GivenCheckpoint, IntegrityStatus, Outcome, VerifyOptions, verify_ledger,
};

use super::Status;
use super::args::*;
use super::context::*;
use super::output::*;

pub(super) fn verify(ctx: &Ctx, a: VerifyArgs) -> Result<Status> {
    let path = match &a.path {
        Some(p) => p.as_path(),
        None => ctx.path()?,
    };
    let only = a
        .only
        .as_deref()
        .map(|c| {
            FlagCode::from_code(c.trim()).ok_or_else(|| {
                anyhow!("--only {c:?} is not a policy flag; run `dledger explain` to list them")
            })
        })
        .transpose()?;
    let until = match &a.until {
        Some(t) if t.trim().len() == 10 => Some(parse_time("until", t)?.plus_seconds(86_399)),
        Some(t) => Some(parse_time("until", t)?),
        None => None,
    };
    let filter = FlagFilter {
        only,
        since: a
            .since
            .as_deref()
            .map(|t| parse_time("since", t))
            .transpose()?,
        until,
    };
    let mut opts = VerifyOptions::default();
    if let Some(t) = &a.as_of {
        opts.as_of = parse_time("as-of", t)?;
    }
    if let Some(dir) = &a.trust {
        opts.trusted = Some(disclosure_ledger::evidence::load_trust_dir(dir)?);
    }
    for note in &a.checkpoints {
        let bytes = std::fs::read(note)
            .with_context(|| format!("cannot read the checkpoint note {}", note.display()))?;
        opts.given_checkpoints.push(GivenCheckpoint {
            source: note.display().to_string(),
            note: bytes,
        });
    }
    let store = ctx.open_reader(path)?;
    let (progress, bar) = progress_hook(store.len()?, "verifying");
    opts.progress = progress;
    let report = if a.since_checkpoint {
        use disclosure_ledger::incremental;
        let state = match &a.state {
            Some(s) => s.clone(),
            None => incremental::default_state_path(&store)?,
        };
        if !state.exists() {
            eprintln!(
                "No verification state at {}: checking every entry this time.",
                state.display()
            );
        }
        let run = incremental::verify_with_state(&store, &state, &opts, &filter)
            .with_context(|| format!("verification state {}", state.display()))?;
        say_state(&state, &run);
        run.report
    } else {
        verify_ledger(&store, &opts, &filter)?
    };
    bar.finish_and_clear();
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        out!("{}", report.to_text(&path.display().to_string()));
    }
    let outcome = if a.include_disposed {
        report.outcome_including_disposed()
    } else {
        report.outcome()
    };
    Ok(match outcome {
        Outcome::Clean => Status::Clean,
        Outcome::Flags => Status::Flags,
        Outcome::IntegrityFailure => Status::Failure,
    })
}

pub(super) fn explain(a: ExplainArgs) -> Result<Status> {
    let Some(code) = a.code else {
        outln!("Policy flags (exit code 1; a disclosure needs a second look):");
        for info in CATALOGUE {
            outln!(
                "  {:<34} {:<7} {}",
                info.code.code(),
                info.severity.as_str(),
                info.title
            );
        }
        outln!("\nIntegrity failures (exit code 2; the ledger cannot be trusted):");
        for k in IntegrityKind::ALL {
            outln!("  {}", k.code());
        }
        outln!("\nRun `dledger explain CODE` for one of them.");
        return Ok(Status::Clean);
    };
    let code = code.trim();
    if let Some(flag) = FlagCode::from_code(code) {
        let info = flag.info();
        outln!("{} — {}", info.code, info.title);
        outln!(
            "Policy flag, default severity {}; {}.\n",
            info.severity.as_str(),
            info.basis_line()
        );
        if !info.practice.is_empty() {
            let heading = match info.basis {
                Basis::LocalPractice(_) => "The local practice",
                _ => "The record-keeping",
            };
            outln!("{heading}:\n{}\n", indent(&textwrap(info.practice, 74)));
        }
        let passages = info.passages();
        if !passages.is_empty() {
            outln!(
                "{}:",
                match info.basis {
                    Basis::Statement(_) => "What the statement says",
                    _ => "The statement text it serves",
                }
            );
            for r in passages {
                let quoted = format!("“{}” ({})", r.words, r.citation());
                outln!("{}", indent(&textwrap(&quoted, 74)));
            }
            outln!();
        }
        outln!("What to check:\n{}", indent(&textwrap(info.check, 74)));
        return Ok(Status::Clean);
    }
    let kind = IntegrityKind::from_code(code).ok_or_else(|| {
        anyhow!("{code:?} is not a finding code; run `dledger explain` to list them")
    })?;
    outln!("{} (integrity failure)\n", kind.code());
    outln!("{}", textwrap(kind.explanation(), 78));
    Ok(Status::Clean)
}

pub(super) fn reindex_cmd(ctx: &Ctx, path: Option<&Path>) -> Result<Status> {
    let path = match path {
        Some(p) => p,
        None => ctx.path()?,
    };
    let references = ctx.retry(
        || disclosure_ledger::ledger::reindex(path),
        |e| e.is_locked(),
    )?;
    outln!(
        "Rebuilt the register snapshot and references index of {} ({references} references) \
         from its entries; no entry was changed. Run `dledger verify` to check.",
        path.display()
    );
    Ok(Status::Clean)
}

/// Says on standard error what an incremental run did with its state.
pub(super) fn say_state(state: &Path, run: &disclosure_ledger::incremental::StateRun) {
    let intact = run.report.integrity.status == IntegrityStatus::Intact;
    match run.saved {
        Some(size) => eprintln!(
            "Saved the verification state at {} (cosigned checkpoint of size {size}); the \
             next --since-checkpoint run checks only what comes after it.",
            state.display()
        ),
        None if intact => eprintln!(
            "No newer cosigned checkpoint to move the verification state on to; the next \
             run checks from the same point (make one with `dledger checkpoint` and have \
             the other party `cosign` it)."
        ),
        None => {}
    }
    if let Some(e) = &run.index_copy_failed {
        eprintln!(
            "warning: {e}. The next --since-checkpoint run says the newer index roots were not \
             rebuilt."
        );
    }
}
