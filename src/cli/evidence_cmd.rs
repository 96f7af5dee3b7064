//! The `evidence`, `verify-evidence` and `vault erase` commands.

use std::path::Path;

use anyhow::{Context, Result, bail};
use disclosure_ledger::evidence::{build_bundle, load_trust_dir, verify_bundle};
use disclosure_ledger::model::{FieldName, Seq, Timestamp};
use disclosure_ledger::store::{Access, Store};

use super::Status;
use super::args::{DossierArgs, EvidenceArgs, VerifyEvidenceArgs};

/// `dledger dossier COMPANY [--from DATE] [--to DATE] -o DIR`.
pub(super) fn dossier(store: &Store, a: DossierArgs) -> Result<Status> {
    let company = disclosure_ledger::model::CompanyId::new(a.company.as_str())
        .with_context(|| format!("company {:?}", a.company))?;
    let from = a
        .from
        .as_deref()
        .map(|t| super::output::parse_date("from", t))
        .transpose()?;
    let to =
        a.to.as_deref()
            .map(|t| super::output::parse_date("to", t))
            .transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        bail!("--from {f} is after --to {t}; give the earlier date first");
    }
    let mut open: Vec<FieldName> = Vec::new();
    for name in a.open.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let field = FieldName::new(name).with_context(|| format!("--open {name:?}"))?;
        if !open.contains(&field) {
            open.push(field);
        }
    }
    let dossier = disclosure_ledger::evidence::build_dossier(store, &company, from, to, &open)?;
    dossier.write(&a.out)?;
    let m = dossier.manifest();
    outln!(
        "Wrote the dossier of {company} to {}: {} entries, {} files, {} bytes, at the checkpoint \
         of the first {} entries.",
        a.out.display(),
        m.entries.len(),
        m.files.len() + 1,
        dossier.total_bytes(),
        m.tree_size
    );
    for line in dossier.report().summary.lines().skip(2) {
        if line.is_empty() {
            break;
        }
        outln!("{line}");
    }
    outln!(
        "Open {}/dossier.html to read or print it. Whoever receives it checks it with:\n  \
         dledger verify-evidence {} --trust KEYS-DIR",
        a.out.display(),
        a.out.display()
    );
    Ok(Status::Clean)
}

/// `dledger evidence SEQ [--open FIELD,...] -o DIR`.
pub(super) fn evidence(store: &Store, a: EvidenceArgs) -> Result<Status> {
    let mut open: Vec<FieldName> = Vec::new();
    for name in a.open.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let field = FieldName::new(name).with_context(|| format!("--open {name:?}"))?;
        if !open.contains(&field) {
            open.push(field);
        }
    }
    let bundle = build_bundle(store, Seq(a.seq), &open)?;
    bundle.write(&a.out)?;
    let m = bundle.manifest();
    let r = bundle.report();
    let cosigners: Vec<String> = r
        .cosigners
        .iter()
        .map(|c| format!("{} at {}", c.party, c.at))
        .collect();
    outln!(
        "Wrote evidence bundle {} for entry #{}: {} entries, {} files, {} bytes.",
        a.out.display(),
        m.target,
        m.entries.len(),
        m.files.len() + 1,
        bundle.total_bytes()
    );
    outln!(
        "Proof: {} hashes lead from the entry to the checkpoint of the first {} entries, signed \
         by {} and cosigned by {}.",
        r.proof_hashes.unwrap_or(0),
        m.tree_size,
        r.checkpoint_signer
            .as_ref()
            .map_or("?".to_owned(), |p| p.to_string()),
        cosigners.join(", ")
    );
    let opened = r.fields.iter().filter(|f| f.status == "opened").count();
    let erased: Vec<String> = r
        .fields
        .iter()
        .filter(|f| f.status == "erased")
        .map(|f| {
            format!(
                "{} (erased on {})",
                f.name,
                f.erased_at
                    .map(|t| t.london_date().to_string())
                    .unwrap_or_default()
            )
        })
        .collect();
    outln!(
        "Fields: {opened} opened, {} erased{}, {} not opened.",
        erased.len(),
        if erased.is_empty() {
            String::new()
        } else {
            format!(": {}", erased.join(", "))
        },
        r.fields.len() - opened - erased.len()
    );
    outln!(
        "The bundle verified against the ledger's own trust roots. Whoever receives it checks it \
         with:\n  dledger verify-evidence {} --trust KEYS-DIR",
        a.out.display()
    );
    Ok(Status::Clean)
}

/// `dledger verify-evidence DIR --trust KEYS`.
pub(super) fn verify_evidence(a: VerifyEvidenceArgs) -> Result<Status> {
    let trusted = load_trust_dir(&a.trust)?;
    let report = match &a.checkpoint {
        None => verify_bundle(&a.dir, &trusted)?,
        Some(path) => {
            let note = disclosure_ledger::files::read_limited(path, 64 << 10, "checkpoint note")
                .with_context(|| format!("reading the checkpoint {}", path.display()))?;
            let consistency = a
                .consistency
                .as_ref()
                .map(|p| {
                    disclosure_ledger::files::read_limited(p, 1 << 20, "consistency proof")
                        .with_context(|| format!("reading the consistency proof {}", p.display()))
                })
                .transpose()?;
            disclosure_ledger::evidence::verify_bundle_against(
                &a.dir,
                &trusted,
                &disclosure_ledger::evidence::NewerCheckpoint {
                    note: &note,
                    consistency: consistency.as_deref(),
                },
            )?
        }
    };
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        out!("{}", report.to_text(&a.dir.display().to_string()));
    }
    Ok(if report.ok {
        Status::Clean
    } else {
        Status::Failure
    })
}

/// `dledger vault erase --key KEY --before DATE | --by-policy [--dry-run]`: appends a signed
/// erasure entry naming every value erased, the retention rule applied and who ran it, and
/// removes the values in the same transaction (all of it or nothing). With no `before`, by the
/// retention periods of the policy in force on each disclosure's date.
pub(super) fn vault_erase(
    ctx: &super::context::Ctx,
    key: &Path,
    before: Option<&str>,
    dry_run: bool,
) -> Result<Status> {
    use disclosure_ledger::retention::{due_for_erasure, made_before, plan_erasure};
    let now = Timestamp::now();
    let key = super::context::load_key(key)?;
    let mut ledger = ctx.open_writer()?;
    let party = ledger.party_of(&key)?;
    // Chosen through a read-only handle; the write lock is taken only to append.
    let store = Store::open(ctx.path()?, Access::ReadOnly)?;
    let (chosen, rule, what) = match before {
        Some(before) => {
            let cutoff = Timestamp::parse(before).context("--before")?;
            if cutoff > now {
                bail!(
                    "--before {before} is in the future; erasure is for values whose retention \
                     has already ended. Give a date no later than today"
                );
            }
            (
                made_before(&store, cutoff)?,
                format!(
                    "values of disclosures made before {} (UK time), erased by hand",
                    cutoff.london_date()
                ),
                format!("made before {} (UK time)", cutoff.london_date()),
            )
        }
        None => {
            let due = due_for_erasure(&store, now)?;
            for d in &due {
                outln!(
                    "  {} {} made {}: kept {} days under policy {:?}",
                    d.seq,
                    d.category,
                    d.disclosed_at.london_date(),
                    d.retain_days,
                    d.policy
                );
            }
            let mut rules: Vec<String> = due
                .iter()
                .map(|d| {
                    format!(
                        "policy {:?}: {} values kept {} days (retain_values_days)",
                        d.policy, d.category, d.retain_days
                    )
                })
                .collect();
            rules.sort();
            rules.dedup();
            (
                due.iter().map(|d| d.seq).collect(),
                rules.join("; "),
                "whose retention period in the policy has ended".to_owned(),
            )
        }
    };
    let plan = plan_erasure(&store, &party, &chosen, rule)?;
    drop(store);
    if !plan.not_ours.is_empty() {
        outln!(
            "Left alone: {} disclosure{} {what} between other parties ({party} is not a party \
             to them; their own regulators erase them).",
            plan.not_ours.len(),
            if plan.not_ours.len() == 1 { "" } else { "s" }
        );
    }
    if plan.erasure.fields.is_empty() {
        outln!("Nothing to erase: no value of a disclosure {what} is still in the vault.");
        return Ok(Status::Clean);
    }
    let count = plan.erasure.fields.len();
    let n = plan.disclosures.len();
    let body = disclosure_ledger::model::Body::Erasure(plan.erasure);
    if dry_run {
        ledger.check(body, &key, now)?;
        outln!(
            "Dry run: {count} field value{} of {n} disclosure{} {what} would be erased, recorded by \
             an erasure entry signed by {party}; nothing was written.",
            if count == 1 { "" } else { "s" },
            if n == 1 { "" } else { "s" },
        );
        return Ok(Status::Clean);
    }
    let receipt = ledger.append(body.into(), &key, now)?;
    outln!(
        "Erased {count} field value{} of {n} disclosure{} {what}, recorded as entry {} signed by \
         {party}; the values and the entry were written in one transaction.",
        if count == 1 { "" } else { "s" },
        if n == 1 { "" } else { "s" },
        receipt.seq
    );
    outln!(
        "The commitments stay in the log, so `dledger verify` still passes; evidence bundles \
         state these fields as erased on {}, backed by entry {}.",
        now.london_date(),
        receipt.seq
    );
    Ok(Status::Clean)
}
