//! The review as tidy CSV tables, one file per metric group (columns in docs/REVIEW.md).

use std::collections::HashMap;
use std::path::Path;

use super::{DELAY_BUCKETS, PeriodRow, ReviewError, ReviewReport};

/// Every CSV file written, with its columns.
pub const CSV_TABLES: &[(&str, &[&str])] = &[
    (
        "summary.csv",
        &[
            "period",
            "start",
            "end",
            "disclosures",
            "skipped_pct",
            "flags",
            "flags_per_100",
            "flagged_pct",
            "unacknowledged",
        ],
    ),
    (
        "volumes.csv",
        &["period", "dimension", "key", "disclosures"],
    ),
    (
        "notification.csv",
        &["period", "scope", "notified", "skipped", "skipped_pct"],
    ),
    ("flags.csv", &["period", "code", "count"]),
    (
        "flagged_entries.csv",
        &["seq", "date", "code", "severity", "sections", "message"],
    ),
    (
        "timeliness.csv",
        &[
            "period",
            "measure",
            "n",
            "median_hours",
            "p90_hours",
            "max_hours",
            "unacknowledged",
        ],
    ),
    (
        "delay_distribution.csv",
        &["period", "measure", "bucket", "count"],
    ),
    (
        "registers.csv",
        &[
            "period",
            "themes_in_force",
            "companies_mutual",
            "designations",
            "designation_ends",
            "disclosures_not_mutual",
        ],
    ),
    (
        "companies.csv",
        &["id", "name", "disclosures", "mutual_at_end"],
    ),
    (
        "changes.csv",
        &["period", "metric", "current", "previous", "direction"],
    ),
    ("ledger.csv", &["key", "value"]),
];

type Files = HashMap<&'static str, csv::Writer<Vec<u8>>>;

fn w<'a>(files: &'a mut Files, name: &str) -> &'a mut csv::Writer<Vec<u8>> {
    files
        .get_mut(name)
        .expect("every table is declared in CSV_TABLES")
}

fn opt(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

/// Writes every table into `dir` (created owner-only if missing; existing files with these
/// names are replaced, each by an owner-only file renamed into place). A symlink at `dir` or at
/// any table's path is refused and nothing is written through it.
pub fn write_csv_dir(r: &ReviewReport, dir: &Path) -> Result<(), ReviewError> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_dir() => {}
        Ok(m) if m.file_type().is_symlink() => {
            return Err(crate::files::WriteFileError::Symlink {
                path: dir.to_owned(),
            }
            .into());
        }
        Ok(_) => {
            return Err(crate::files::WriteFileError::Exists {
                path: dir.to_owned(),
            }
            .into());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            crate::files::create_private_dir(dir)?;
        }
        Err(e) => return Err(e.into()),
    }
    let rows: Vec<&PeriodRow> = std::iter::once(&r.total).chain(&r.periods).collect();
    let mut files: Files = HashMap::new();
    for (name, columns) in CSV_TABLES {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(*columns)?;
        files.insert(name, w);
    }
    for row in &rows {
        let s = &row.stats;
        let p = s.label.as_str();
        w(&mut files, "summary.csv").write_record([
            p,
            &s.start,
            &s.end,
            &s.disclosures.to_string(),
            &opt_text(s.notification.all.skipped_pct),
            &s.flags.total.to_string(),
            &opt_text(s.flags.per_100),
            &opt_text(s.flags.flagged_pct),
            &s.unacknowledged.to_string(),
        ])?;
        for (dimension, map) in [
            ("direction", &s.by_direction),
            ("category", &s.by_category),
            ("gateway", &s.by_gateway),
            ("theme", &s.by_theme),
            ("company", &s.by_company),
        ] {
            for (k, n) in map {
                w(&mut files, "volumes.csv").write_record([p, dimension, k, &n.to_string()])?;
            }
        }
        for (scope, x) in [
            ("all", &s.notification.all),
            ("routine", &s.notification.routine),
            ("case-by-case", &s.notification.case_by_case),
        ] {
            w(&mut files, "notification.csv").write_record([
                p,
                scope,
                &x.notified.to_string(),
                &x.skipped.to_string(),
                &opt_text(x.skipped_pct),
            ])?;
        }
        for (code, n) in &s.flags.by_code {
            w(&mut files, "flags.csv").write_record([p, code, &n.to_string()])?;
        }
        for (measure, d, unack, buckets) in [
            (
                "recording",
                &s.recording_delay,
                String::new(),
                &s.recording_delay_buckets,
            ),
            (
                "acknowledgement",
                &s.acknowledgement_delay,
                s.unacknowledged.to_string(),
                &s.acknowledgement_delay_buckets,
            ),
        ] {
            w(&mut files, "timeliness.csv").write_record([
                p,
                measure,
                &d.n.to_string(),
                &opt(d.median_hours),
                &opt(d.p90_hours),
                &opt(d.max_hours),
                &unack,
            ])?;
            for ((label, _), n) in DELAY_BUCKETS.iter().zip(buckets) {
                w(&mut files, "delay_distribution.csv").write_record([
                    p,
                    measure,
                    label,
                    &n.to_string(),
                ])?;
            }
        }
        let g = &s.registers;
        w(&mut files, "registers.csv").write_record([
            p,
            &g.themes_in_force.len().to_string(),
            &g.companies_mutual.len().to_string(),
            &g.designations.to_string(),
            &g.designation_ends.to_string(),
            &g.disclosures_not_mutual.to_string(),
        ])?;
        for c in &row.change {
            w(&mut files, "changes.csv").write_record([
                p,
                &c.metric,
                &c.current.to_string(),
                &c.previous.to_string(),
                &c.direction,
            ])?;
        }
    }
    for f in &r.flagged {
        w(&mut files, "flagged_entries.csv").write_record([
            &f.seq.to_string(),
            &f.date,
            &f.code,
            &f.severity,
            &f.sections,
            &f.message,
        ])?;
    }
    for c in &r.companies {
        w(&mut files, "companies.csv").write_record([
            &c.id,
            &c.name,
            &c.disclosures.to_string(),
            &c.mutual_at_end.to_string(),
        ])?;
    }
    let l = &r.ledger;
    for (k, v) in [
        ("entries", l.entries.to_string()),
        ("head", l.head.clone().unwrap_or_default()),
        ("root", l.root.clone().unwrap_or_default()),
        ("chain_intact", l.chain_intact.to_string()),
        ("checkpoints", l.checkpoints.to_string()),
        (
            "latest_cosigned_size",
            l.latest_cosigned_size
                .map(|s| s.to_string())
                .unwrap_or_default(),
        ),
        ("from", r.from.clone()),
        ("to", r.to.clone()),
        ("as_of", r.as_of.clone()),
        ("schema_version", r.schema_version.to_string()),
    ] {
        w(&mut files, "ledger.csv").write_record([k, &v])?;
    }
    for (name, writer) in files {
        let bytes = writer
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        crate::files::replace_private_file(&dir.join(name), &bytes)?;
    }
    Ok(())
}

/// A figure for a CSV cell: empty where there was nothing to count.
fn opt_text(x: Option<f64>) -> String {
    x.map(|x| x.to_string()).unwrap_or_default()
}
