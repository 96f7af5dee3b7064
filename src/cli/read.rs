//! The commands that read entries and registers: `show` and `list`.

use std::io::Write;

use anyhow::{Context, Result, anyhow};
use disclosure_ledger::codec::decode_entry;
use disclosure_ledger::describe;
use disclosure_ledger::hash::leaf_hash;
use disclosure_ledger::model::{CompanyId, Entry, PartyId, ThemeId, Timestamp};
use disclosure_ledger::store::Store;

use disclosure_ledger::model::{Body, EntryKind};
use disclosure_ledger::query::EntryFilter;

use super::Status;
use super::args::*;
use super::context::*;
use super::output::*;

pub(super) fn read_entry(store: &Store, seq: u64) -> Result<(Entry, String)> {
    let record = store.get(seq)?.ok_or_else(|| {
        anyhow!(
            "there is no entry #{seq}; the ledger has {} entries (0 to {})",
            store.len().unwrap_or(0),
            store.len().unwrap_or(1).saturating_sub(1)
        )
    })?;
    let entry = decode_entry(&record.bytes)
        .with_context(|| format!("entry #{seq} cannot be decoded; run `dledger verify`"))?;
    Ok((entry, hex::encode(leaf_hash(&record.bytes))))
}

pub(super) fn show(ctx: &Ctx, a: ShowArgs) -> Result<Status> {
    let store = ctx.open_reader(ctx.path()?)?;
    let (entry, hash) = read_entry(&store, a.seq)?;
    if a.json {
        let mut v = serde_json::to_value(&entry)?;
        v["hash"] = serde_json::Value::String(hash);
        outln!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        out!("{}", describe::full(&entry, &hash));
        let history = disclosure_ledger::query::history(&store, &entry)?;
        if let Some(target) = &history.refers_to {
            outln!("  refers to: {}", describe::one_line(target));
        }
        // Format 2 theme and policy acts are proposals the other parties confirm.
        let joint_act = entry.version >= 2
            && matches!(
                entry.body.kind(),
                EntryKind::ThemeDeclared | EntryKind::ThemeRetired | EntryKind::PolicyAdopted
            );
        let answerable = joint_act
            || matches!(
                entry.body.kind(),
                EntryKind::Disclosure | EntryKind::Correction | EntryKind::DesignationProposed
            );
        if !history.later.is_empty() {
            outln!("Later entries about it:");
            for (e, next) in &history.later {
                outln!("  {}", describe::one_line(e));
                for n in next {
                    outln!("    {}", describe::one_line(n));
                }
                // A format 2 correction's replacement needs the recipient's own acknowledgement.
                if let (true, Some(r)) = (e.version >= 2, e.body.disclosure())
                    && matches!(e.body, Body::Correction(_))
                    && !next
                        .iter()
                        .any(|n| matches!(n.body, Body::Acknowledgement(_)))
                {
                    outln!(
                        "    correction not acknowledged by {} (`dledger ack {}` with its key)",
                        r.to,
                        e.seq.0
                    );
                }
            }
        } else if answerable {
            outln!("Later entries about it: none (not acknowledged, corrected or confirmed).");
        }
        // The policy flags verify raises on it now, open or disposed of.
        let flaggable = matches!(
            entry.body.kind(),
            EntryKind::Disclosure
                | EntryKind::Correction
                | EntryKind::PolicyAdopted
                | EntryKind::Genesis
        );
        if flaggable {
            let flags = disclosure_ledger::dispositions::flags_on(
                &store,
                entry.seq,
                disclosure_ledger::model::Timestamp::now(),
            )?;
            if flags.is_empty() {
                outln!("Policy flags: none (as verify judges it now).");
            } else {
                outln!("Policy flags (as verify judges it now):");
                for (f, disposed) in &flags {
                    outln!("  {}", flag_line(f));
                    if let Some(d) = disposed {
                        outln!("    disposed of: {}", d.describe());
                    }
                }
            }
        }
    }
    Ok(Status::Clean)
}

/// `waiting --party P`: what is waiting for a party.
pub(super) fn waiting(ctx: &Ctx, a: WaitingArgs) -> Result<Status> {
    let party = PartyId::new(a.party.trim()).with_context(|| format!("--party {:?}", a.party))?;
    let store = ctx.open_reader(ctx.path()?)?;
    let as_of = match &a.as_of {
        Some(t) => parse_time("as-of", t)?,
        None => disclosure_ledger::model::Timestamp::now(),
    };
    let w = disclosure_ledger::waiting::waiting_for(&store, &party, as_of)?;
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&w)?);
        return Ok(Status::Clean);
    }
    let n = |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    outln!("Waiting for {party} as of {}:", as_of.london_date());
    outln!(
        "\nTo acknowledge ({}; `dledger ack N --key <{party} key>`):",
        n(w.to_acknowledge.len(), "disclosure", "disclosures")
    );
    for u in &w.to_acknowledge {
        outln!(
            "  {} from {} disclosed {}, recorded {} days ago{}",
            u.seq,
            u.from,
            u.disclosed_at.london_date(),
            u.days_waiting,
            u.replaces
                .map(|r| format!(" (a correction of {r})"))
                .unwrap_or_default()
        );
    }
    outln!(
        "\nYours, not yet acknowledged by the recipient ({}):",
        n(
            w.awaiting_acknowledgement.len(),
            "disclosure",
            "disclosures"
        )
    );
    for u in &w.awaiting_acknowledgement {
        outln!(
            "  {} to {} disclosed {}, recorded {} days ago",
            u.seq,
            u.to,
            u.disclosed_at.london_date(),
            u.days_waiting
        );
    }
    outln!(
        "\nTo confirm ({}; `dledger confirm N --key <{party} key>`):",
        n(w.to_confirm.len(), "proposal", "proposals")
    );
    for p in &w.to_confirm {
        outln!("  {} by {}: {}", p.seq, p.by, p.act);
    }
    outln!(
        "\nYour proposals others have still to confirm ({}):",
        n(w.awaiting_confirmation.len(), "proposal", "proposals")
    );
    for p in &w.awaiting_confirmation {
        let who: Vec<&str> = p.waiting.iter().map(|x| x.as_str()).collect();
        outln!("  {}: {} (waiting for {})", p.seq, p.act, who.join(", "));
    }
    outln!(
        "\nOpen policy flags on disclosures you sent or received ({}; `dledger explain CODE`, \
         `dledger flag dispose N CODE ...`):",
        n(w.open_flags.len(), "flag", "flags")
    );
    for f in &w.open_flags {
        outln!("  {} ({}): {}", f.code, f.severity.as_str(), f.message);
    }
    Ok(Status::Clean)
}

/// The entry filter of `list`, from its options (the library judges it).
fn entry_filter(a: &ListArgs) -> Result<EntryFilter> {
    let to = match &a.to {
        // A date-only bound includes the whole day.
        Some(t) if t.trim().len() == 10 => Some(parse_time("to", t)?.plus_seconds(86_399)),
        Some(t) => Some(parse_time("to", t)?),
        None => None,
    };
    Ok(EntryFilter {
        from: a
            .from
            .as_deref()
            .map(|t| parse_time("from", t))
            .transpose()?,
        to,
        party: a.party.as_deref().map(PartyId::new).transpose()?,
        company: a.company.as_deref().map(CompanyId::new).transpose()?,
        theme: a.theme.as_deref().map(ThemeId::new).transpose()?,
        category: a.category.map(|c| c.0),
        kind: a.kind.map(|k| k.0),
    })
}

pub(super) fn list(ctx: &Ctx, a: ListArgs) -> Result<Status> {
    let store = ctx.open_reader(ctx.path()?)?;
    if a.themes || a.companies || a.keys {
        return list_register(&store, &a);
    }
    let filter = entry_filter(&a)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut shown = 0u64;
    store.scan(0, None, |r| {
        let entry = decode_entry(&r.bytes)
            .with_context(|| format!("entry #{} cannot be decoded; run `dledger verify`", r.key))?;
        if filter.matches(&entry) {
            shown += 1;
            if a.json {
                let mut v = serde_json::to_value(&entry)?;
                v["hash"] = serde_json::Value::String(hex::encode(leaf_hash(&r.bytes)));
                writeln!(out, "{}", serde_json::to_string(&v)?)?;
            } else {
                writeln!(out, "{}", describe::one_line(&entry))?;
            }
        }
        Ok::<_, anyhow::Error>(())
    })?;
    if !a.json {
        writeln!(
            out,
            "{shown} entr{} shown.",
            if shown == 1 { "y" } else { "ies" }
        )?;
    }
    Ok(Status::Clean)
}

pub(super) fn list_register(store: &Store, a: &ListArgs) -> Result<Status> {
    let reg = disclosure_ledger::ledger::open_registers(store)?;
    let now = Timestamp::now();
    if a.themes {
        for (id, t) in &reg.themes {
            let state = if reg.theme_in_force(id, now) {
                "in force"
            } else {
                "retired"
            };
            let since: Vec<String> = t
                .in_force
                .iter()
                .map(|i| match i.until {
                    Some(u) => format!("{} to {}", i.from.london_date(), u.london_date()),
                    None => format!("since {}", i.from.london_date()),
                })
                .collect();
            outln!("{id:<40} {state:<9} {}  — {}", since.join("; "), t.title);
        }
    } else if a.companies {
        for (id, c) in &reg.companies {
            let state = reg
                .company_status(id, now)
                .map_or("not designated", |s| s.as_str());
            outln!("{id:<20} {state:<16} {}", c.name);
        }
    } else {
        for (party, p) in &reg.parties {
            for (id, k) in &p.keys {
                let state = match k.ended_at {
                    // Say how it ended: the entry that ended it is a rotation or a revocation.
                    Some(s) => match store.get(s.0)?.map(|r| decode_entry(&r.bytes)) {
                        Some(Ok(e)) if e.body.kind() == EntryKind::KeyRotated => {
                            format!("rotated at {s}")
                        }
                        Some(Ok(e)) if e.body.kind() == EntryKind::KeyRevoked => {
                            format!("revoked at {s}")
                        }
                        _ => format!("ended at {s}"),
                    },
                    None => "valid".to_owned(),
                };
                outln!(
                    "{party:<6} {id}  {:<20} added at {:<6} {state}",
                    k.record.name,
                    k.added_at.to_string()
                );
            }
        }
    }
    Ok(Status::Clean)
}
