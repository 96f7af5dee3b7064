//! `dledger policy adopt|show`.

use anyhow::{Context, Result, anyhow};
use disclosure_ledger::ledger::policy_document;
use disclosure_ledger::model::{Body, Timestamp};
use disclosure_ledger::policy::{DEFAULT_POLICY, Policy};

use super::Status;
use super::args::*;
use super::context::*;
use super::output::*;
use super::record::append_proposal;

pub(super) fn policy(ctx: &Ctx, c: PolicyCommand) -> Result<Status> {
    match c {
        PolicyCommand::Adopt {
            file,
            effective,
            key,
            confirm_key,
            ..
        } => {
            let text = disclosure_ledger::files::read_limited_string(
                &file,
                disclosure_ledger::files::POLICY_FILE_LIMIT,
                "policy file",
            )?;
            let parsed = Policy::parse(&text).with_context(|| format!("in {}", file.display()))?;
            let effective = effective
                .as_deref()
                .map(|t| parse_time("effective", t))
                .transpose()?;
            append_proposal(
                ctx,
                &key,
                &confirm_key,
                None,
                "the proposed policy",
                |_, _, now| {
                    let doc = policy_document(&parsed.label, effective.unwrap_or(now), &text);
                    Ok(Body::PolicyAdopted(doc).into())
                },
            )
        }
        PolicyCommand::Show { at, text, .. } => {
            let at = at
                .as_deref()
                .map(|t| parse_time("at", t))
                .transpose()?
                .unwrap_or_else(Timestamp::now);
            let (doc_text, source) = match &ctx.ledger {
                None => (
                    DEFAULT_POLICY.to_owned(),
                    "built-in default policy".to_owned(),
                ),
                Some(path) => {
                    let store = ctx.open_reader(path)?;
                    let reg = disclosure_ledger::ledger::open_registers(&store)?;
                    let mut engine = disclosure_ledger::policy::PolicyEngine::new();
                    let policy = engine.policy_at(&reg, at).ok_or_else(|| {
                        anyhow!("the ledger has no readable policy in force on {at}")
                    })?;
                    let (seq, doc) = reg
                        .policies
                        .iter()
                        .rev()
                        .find(|(_, d)| Policy::parse(&d.text).ok().as_ref() == Some(&*policy))
                        .expect("the policy in force came from the ledger");
                    (
                        doc.text.clone(),
                        format!(
                            "adopted at {seq}, effective {}",
                            doc.effective_from.london_date()
                        ),
                    )
                }
            };
            if text {
                out!("{doc_text}");
                return Ok(Status::Clean);
            }
            let p = Policy::parse(&doc_text)?;
            outln!("Policy {:?} — {} ({source})", p.label, p.title);
            outln!(
                "Policy schema {}. Thresholds (local practice): record within {} days; acknowledge \
                 within {} days.",
                p.schema,
                p.thresholds.record_within_days,
                p.thresholds.acknowledge_within_days
            );
            if !p.practice_severity.is_empty() {
                let set: Vec<String> = p
                    .practice_severity
                    .iter()
                    .map(|(code, sev)| format!("{code} {}", sev.as_str()))
                    .collect();
                outln!("Local practice severities: {}.", set.join(", "));
            }
            for party in p.parties.values() {
                let gateways: Vec<String> = party.gateways.iter().map(|g| g.to_string()).collect();
                outln!(
                    "Party {} ({}): gateways {}{}",
                    party.id,
                    party.name,
                    gateways.join(", "),
                    if party.consent { ", or consent" } else { "" }
                );
                if !party.functions.is_empty() {
                    let functions: Vec<String> = party
                        .functions
                        .iter()
                        .map(|f| format!("{} ({})", f.id, f.title))
                        .collect();
                    outln!("  functions: {}", functions.join("; "));
                }
            }
            for c in p.categories.values() {
                let fields = match &c.allowed_fields {
                    Some(f) => f.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", "),
                    None => "any (judged case by case)".into(),
                };
                let kept = c
                    .retain_values_days
                    .map(|d| format!("; values kept {d} days"))
                    .unwrap_or_default();
                outln!(
                    "Category {} ({}, statement {}): fields {fields}{kept}",
                    c.kind,
                    if c.routine { "routine" } else { "not routine" },
                    c.section
                );
            }
            Ok(Status::Clean)
        }
    }
}
