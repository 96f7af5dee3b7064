//! The review as text for the terminal.

use crate::review::show_pct;
use std::collections::BTreeMap;
use std::fmt::Write;

use super::{Change, Delay, PeriodRow, ReviewReport};

/// An arrow for a change: ▲ up, ▼ down, ► same.
pub(super) fn arrow(direction: &str) -> &'static str {
    match direction {
        "up" => "▲",
        "down" => "▼",
        _ => "►",
    }
}

fn hours(x: Option<f64>) -> String {
    match x {
        None => "–".into(),
        Some(h) if h >= 48.0 => format!("{:.1} d", h / 24.0),
        Some(h) => format!("{h:.1} h"),
    }
}

fn delay_line(d: &Delay) -> String {
    format!(
        "median {}, 90th percentile {}, longest {} ({} measured)",
        hours(d.median_hours),
        hours(d.p90_hours),
        hours(d.max_hours),
        d.n
    )
}

fn counts(map: &BTreeMap<String, u64>, limit: usize) -> String {
    let mut rows: Vec<(&String, &u64)> = map.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let shown: Vec<String> = rows
        .iter()
        .take(limit)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let more = rows.len().saturating_sub(limit);
    if more > 0 {
        format!("{} (and {more} more)", shown.join(", "))
    } else if shown.is_empty() {
        "none".into()
    } else {
        shown.join(", ")
    }
}

fn change_line(changes: &[Change]) -> String {
    changes
        .iter()
        .map(|c| {
            format!(
                "{} {} {} (was {})",
                c.metric,
                arrow(&c.direction),
                fmt_num(c.current),
                fmt_num(c.previous)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn section(out: &mut String, row: &PeriodRow, report: &ReviewReport) {
    let s = &row.stats;
    let _ = writeln!(out, "  Disclosures: {}", s.disclosures);
    let _ = writeln!(out, "  By direction: {}", counts(&s.by_direction, 10));
    let _ = writeln!(out, "  By category: {}", counts(&s.by_category, 10));
    let _ = writeln!(out, "  By gateway: {}", counts(&s.by_gateway, 10));
    let _ = writeln!(out, "  By Collaboration Theme: {}", counts(&s.by_theme, 10));
    let _ = writeln!(
        out,
        "  Top companies: {}",
        counts(&s.by_company, report.top)
    );
    let n = &s.notification;
    let _ = writeln!(
        out,
        "  Prior notification skipped: {} overall ({} of {}); routine {} ({} of {}; expected, statement §4); case-by-case {} ({} of {})",
        show_pct(n.all.skipped_pct, "%"),
        n.all.skipped,
        n.all.notified + n.all.skipped,
        show_pct(n.routine.skipped_pct, "%"),
        n.routine.skipped,
        n.routine.notified + n.routine.skipped,
        show_pct(n.case_by_case.skipped_pct, "%"),
        n.case_by_case.skipped,
        n.case_by_case.notified + n.case_by_case.skipped
    );
    let _ = writeln!(
        out,
        "  Policy flags: {} ({} per 100 disclosures; {} of disclosures flagged): {}",
        s.flags.total,
        show_pct(s.flags.per_100, ""),
        show_pct(s.flags.flagged_pct, "%"),
        counts(&s.flags.by_code, 20)
    );
    if s.flags.total > 0 {
        let _ = writeln!(
            out,
            "  Flags disposed of by the parties: {} of {} ({}){}{}",
            s.flags.disposed,
            s.flags.total,
            show_pct(s.flags.disposed_pct, "%"),
            if s.flags.disposed_by_action.is_empty() {
                String::new()
            } else {
                format!(": {}", counts(&s.flags.disposed_by_action, 4))
            },
            s.flags
                .median_days_to_disposition
                .map(|d| format!("; median {d:.1} days from recording to disposition"))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(
        out,
        "  Statement §6 (what the ledger can answer): themes discussed {}; companies discussed {}; joint engagement recorded on {} disclosure{}; {} decision{} not to disclose (statement §4)",
        s.by_theme.len(),
        s.by_company.len(),
        s.joint_engagement,
        if s.joint_engagement == 1 { "" } else { "s" },
        s.refusals,
        if s.refusals == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        out,
        "  Recording delay (disclosed → recorded): {}",
        delay_line(&s.recording_delay)
    );
    let _ = writeln!(
        out,
        "  Acknowledgement delay (recorded → acknowledged): {}; unacknowledged: {}",
        delay_line(&s.acknowledgement_delay),
        s.unacknowledged
    );
    let r = &s.registers;
    let _ = writeln!(
        out,
        "  Registers at the end: {} theme{} in force, {} compan{} of mutual interest; {} designation{} took effect, {} ended; {} disclosure{} concerned a company not (yet) of mutual interest",
        r.themes_in_force.len(),
        if r.themes_in_force.len() == 1 {
            ""
        } else {
            "s"
        },
        r.companies_mutual.len(),
        if r.companies_mutual.len() == 1 {
            "y"
        } else {
            "ies"
        },
        r.designations,
        if r.designations == 1 { "" } else { "s" },
        r.designation_ends,
        r.disclosures_not_mutual,
        if r.disclosures_not_mutual == 1 {
            ""
        } else {
            "s"
        }
    );
    if row.change.is_empty() {
        let _ = writeln!(
            out,
            "  Change on the previous period: no earlier data (no disclosures recorded then)"
        );
    } else {
        let _ = writeln!(
            out,
            "  Change on the previous period: {}",
            change_line(&row.change)
        );
    }
}

/// Renders the report as text.
pub fn render_text(r: &ReviewReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Effectiveness review (2024 ICO–Ofcom joint statement §6), {} to {}, by {}",
        r.from,
        r.to,
        serde_json::to_value(r.period)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    );
    let l = &r.ledger;
    let _ = writeln!(
        out,
        "Ledger: {} entries; root {}; {}.",
        l.entries,
        l.root.as_deref().unwrap_or("–"),
        match l.latest_cosigned_size {
            Some(s) => format!(
                "latest cosigned checkpoint at size {s} ({})",
                l.latest_cosigned_by.join(", ")
            ),
            None => "no cosigned checkpoint".into(),
        }
    );
    if l.chain_intact {
        let _ = writeln!(
            out,
            "Chain and hashes checked with no problem; signatures are checked by `dledger verify`."
        );
    } else {
        let _ = writeln!(
            out,
            "WARNING: the ledger's structure has problems ({}); run `dledger verify` before relying on these figures.",
            l.problems.join("; ")
        );
    }
    let _ = writeln!(out, "Acknowledgements judged as of {}.\n", r.as_of);
    let _ = writeln!(out, "Whole range ({} to {}):", r.from, r.to);
    section(&mut out, &r.total, r);
    let _ = writeln!(out, "\nBy period:");
    let _ = writeln!(
        out,
        "  {:<9} {:>11} {:>9} {:>10} {:>14} {:>14} {:>6}",
        "period", "disclosures", "skipped%", "flags/100", "median record", "median ack", "unack"
    );
    for p in &r.periods {
        let s = &p.stats;
        let dir = p.change.first().map(|c| arrow(&c.direction)).unwrap_or(" ");
        let _ = writeln!(
            out,
            "  {:<9} {:>9} {} {:>9} {:>10} {:>14} {:>14} {:>6}",
            s.label,
            s.disclosures,
            dir,
            show_pct(s.notification.all.skipped_pct, ""),
            show_pct(s.flags.per_100, ""),
            hours(s.recording_delay.median_hours),
            hours(s.acknowledgement_delay.median_hours),
            s.unacknowledged
        );
    }
    let _ = writeln!(
        out,
        "  (▲ ▼ ►: disclosures up, down or level on the period before)"
    );
    let _ = writeln!(
        out,
        "\nFlagged disclosures: {} flags; the full list is in --format html, csv or json. The first ones:",
        r.flagged.len()
    );
    for f in r.flagged.iter().take(15) {
        let _ = writeln!(out, "  {} [{}] {}", f.code, f.severity, f.message);
    }
    out
}
