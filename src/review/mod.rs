//! Effectiveness review (2024 statement §6): statistics by period from the ledger, and reports
//! as text, CSV, JSON and a self-contained HTML page with charts. Metrics are defined in
//! docs/REVIEW.md.
//!
//! A review reads the ledger once, replaying registers and judging every disclosure by the
//! policy in force when it was made, as `verify` does, but without checking signatures (that is
//! `verify`'s job): the report states the ledger's size, root and latest cosigned checkpoint so a
//! printed report is tied to a state anyone can verify.

mod charts;
mod csv_out;
mod html;
mod period;
mod text;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

pub use charts::chart_svgs;
pub use csv_out::{CSV_TABLES, write_csv_dir};
pub use html::render_html;
pub use period::Period;
pub use text::render_text;

use crate::codec;
use crate::hash::leaf_hash;
use crate::model::{
    Body, CategoryKind, CompanyId, DispositionAction, EntryHash, Gateway, Notification, PartyId,
    Seq, ThemeId, Timestamp,
};
use crate::policy::{Flag, PolicyEngine};
use crate::registers::Registers;
use crate::store::{LogReader, StoreError};
use crate::witness::check_checkpoint;

/// The JSON schema version of [`ReviewReport`] (docs/REVIEW.md).
pub const REVIEW_SCHEMA_VERSION: u32 = 2;

/// Settings for a review.
#[derive(Debug, Clone)]
pub struct ReviewOptions {
    /// First day (default: the first disclosure's date).
    pub from: Option<Date>,
    /// Last day, inclusive (default: the last disclosure's date).
    pub to: Option<Date>,
    /// Grouping.
    pub period: Period,
    /// How many companies the "top" table lists.
    pub top: usize,
    /// When acknowledgement deadlines are judged (normally now).
    pub as_of: Timestamp,
    /// Told how many entries have been read, now and then.
    pub progress: crate::stream::Progress,
}

/// Why a review could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// Reading the ledger failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The range is empty or reversed.
    #[error("the period asked for starts on {from}, after it ends on {to}")]
    Range {
        /// From.
        from: Date,
        /// To.
        to: Date,
    },
    /// Writing a report failed.
    #[error("cannot write the report: {0}")]
    Io(#[from] std::io::Error),
    /// An output file or directory could not be created safely (a symlink at the path).
    #[error(transparent)]
    Output(#[from] crate::files::WriteFileError),
    /// Writing CSV failed.
    #[error("cannot write CSV: {0}")]
    Csv(#[from] ::csv::Error),
}

/// Notified versus skipped.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Split {
    /// Service notified beforehand.
    pub notified: u64,
    /// Notification skipped.
    pub skipped: u64,
    /// skipped ÷ (notified + skipped) × 100; absent when there are none (an empty period is
    /// empty, not 0%).
    pub skipped_pct: Option<f64>,
}

/// Prior notification (statement §4).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NotificationStats {
    /// Every disclosure.
    pub all: Split,
    /// Routine categories (all but case-by-case).
    pub routine: Split,
    /// Case-by-case disclosures.
    pub case_by_case: Split,
}

/// Policy flags.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlagStats {
    /// Flags raised on disclosures in the period.
    pub total: u64,
    /// Flags by code.
    pub by_code: BTreeMap<String, u64>,
    /// total ÷ disclosures × 100; absent when there are no disclosures.
    pub per_100: Option<f64>,
    /// Disclosures with at least one flag.
    pub flagged_disclosures: u64,
    /// flagged_disclosures ÷ disclosures × 100; absent when there are no disclosures.
    pub flagged_pct: Option<f64>,
    /// Flags a party to the disclosure has disposed of (reviewed with no action, accepted as an
    /// exception or remediated; an escalated flag is not disposed of).
    #[serde(default)]
    pub disposed: u64,
    /// disposed ÷ total × 100; absent when no flag was raised.
    #[serde(default)]
    pub disposed_pct: Option<f64>,
    /// Disposed flags by what was done.
    #[serde(default)]
    pub disposed_by_action: BTreeMap<String, u64>,
    /// Days from recording the flagged disclosure to the disposition (nearest-rank median).
    #[serde(default)]
    pub median_days_to_disposition: Option<f64>,
}

/// Delay buckets for distributions: (label, upper bound in hours, exclusive).
pub const DELAY_BUCKETS: [(&str, f64); 8] = [
    ("under 1 hour", 1.0),
    ("1–6 hours", 6.0),
    ("6–24 hours", 24.0),
    ("1–2 days", 48.0),
    ("2–5 days", 120.0),
    ("5–10 days", 240.0),
    ("10–30 days", 720.0),
    ("30 days or more", f64::INFINITY),
];

fn buckets(seconds: &[i64]) -> Vec<u64> {
    let mut out = vec![0; DELAY_BUCKETS.len()];
    for &s in seconds {
        let h = s as f64 / 3600.0;
        let i = DELAY_BUCKETS
            .iter()
            .position(|(_, upper)| h < *upper)
            .unwrap_or(DELAY_BUCKETS.len() - 1);
        out[i] += 1;
    }
    out
}

/// A delay distribution, in hours (nearest-rank percentiles).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delay {
    /// How many delays.
    pub n: u64,
    /// Median.
    pub median_hours: Option<f64>,
    /// 90th percentile.
    pub p90_hours: Option<f64>,
    /// Maximum.
    pub max_hours: Option<f64>,
}

/// Registers over time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegisterStats {
    /// Collaboration Themes in force at the end of the period.
    pub themes_in_force: Vec<String>,
    /// Companies of mutual interest at the end of the period.
    pub companies_mutual: Vec<String>,
    /// Designations that took effect (confirmed by the other party) in the period.
    pub designations: u64,
    /// Designations ended in the period.
    pub designation_ends: u64,
    /// Disclosures naming a company not (yet) of mutual interest on the disclosure date.
    pub disclosures_not_mutual: u64,
}

/// Every metric for one period (or for the whole range).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PeriodStats {
    /// `2024-Q1`, `2024-03`, `2024`, or `whole range`.
    pub label: String,
    /// First day (Europe/London).
    pub start: String,
    /// Last day, inclusive.
    pub end: String,
    /// Disclosures made in the period.
    pub disclosures: u64,
    /// By direction, `ICO→OFCOM`.
    pub by_direction: BTreeMap<String, u64>,
    /// By category.
    pub by_category: BTreeMap<String, u64>,
    /// By gateway cited.
    pub by_gateway: BTreeMap<String, u64>,
    /// By Collaboration Theme.
    pub by_theme: BTreeMap<String, u64>,
    /// By company id.
    pub by_company: BTreeMap<String, u64>,
    /// Prior notification.
    pub notification: NotificationStats,
    /// Policy flags.
    pub flags: FlagStats,
    /// Disclosed → recorded.
    pub recording_delay: Delay,
    /// Recorded → acknowledged.
    pub acknowledgement_delay: Delay,
    /// Disclosures not acknowledged as of the report.
    pub unacknowledged: u64,
    /// Decisions not to disclose (refusals, statement §4's case-by-case assessment decided
    /// against sharing) made in the period.
    #[serde(default)]
    pub refusals: u64,
    /// Disclosures that record joint engagement with the service that followed or accompanied
    /// them (statement §2: collaboration "could include joint engagement with services"; an
    /// optional outcome, format 2).
    #[serde(default)]
    pub joint_engagement: u64,
    /// Recording delays counted into [`DELAY_BUCKETS`].
    pub recording_delay_buckets: Vec<u64>,
    /// Acknowledgement delays counted into [`DELAY_BUCKETS`].
    pub acknowledgement_delay_buckets: Vec<u64>,
    /// Registers.
    pub registers: RegisterStats,
}

/// A change against the previous period of the same length.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// Metric name.
    pub metric: String,
    /// This period's value.
    pub current: f64,
    /// The previous period's value.
    pub previous: f64,
    /// `up`, `down` or `same`.
    pub direction: String,
}

/// A period's figures with their change against the period before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodRow {
    /// The figures.
    pub stats: PeriodStats,
    /// Changes against the previous period (absent for a period with nothing before it).
    pub change: Vec<Change>,
}

/// One company's line in the company table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Disclosures in the range naming it.
    pub disclosures: u64,
    /// Of mutual interest at the end of the range.
    pub mutual_at_end: bool,
}

/// One flag on one disclosure, for the drill-down list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlaggedEntry {
    /// Entry.
    pub seq: u64,
    /// Disclosure date.
    pub date: String,
    /// Flag code.
    pub code: String,
    /// Severity.
    pub severity: String,
    /// Statement sections.
    pub sections: String,
    /// Message.
    pub message: String,
}

/// The state of the ledger the report was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerState {
    /// Entries.
    pub entries: u64,
    /// Hash of the last entry.
    pub head: Option<String>,
    /// RFC 6962 root of all entries.
    pub root: Option<String>,
    /// Numbering, hashes and the chain checked with no problem found.
    pub chain_intact: bool,
    /// Problems found in the structural check (signatures are not checked by a review).
    pub problems: Vec<String>,
    /// Stored checkpoints that match the log.
    pub checkpoints: u64,
    /// Largest tree size with a checkpoint cosigned by another party.
    pub latest_cosigned_size: Option<u64>,
    /// Who cosigned it, and when (RFC 3339).
    pub latest_cosigned_by: Vec<String>,
}

/// A complete review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewReport {
    /// [`REVIEW_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// When made (RFC 3339).
    pub generated_at: String,
    /// Acknowledgement deadlines judged as of (RFC 3339).
    pub as_of: String,
    /// Grouping.
    pub period: Period,
    /// First day of the range.
    pub from: String,
    /// Last day of the range.
    pub to: String,
    /// The ledger's state.
    pub ledger: LedgerState,
    /// The whole range.
    pub total: PeriodRow,
    /// Each period.
    pub periods: Vec<PeriodRow>,
    /// Every company named in the range, most disclosures first.
    pub companies: Vec<CompanyRow>,
    /// How many companies the top table shows.
    pub top: usize,
    /// Every flag on a disclosure in the range.
    pub flagged: Vec<FlaggedEntry>,
}

/// What a review keeps of one disclosure.
#[derive(Debug, Clone)]
struct Fact {
    seq: u64,
    date: Date,
    disclosed_at: Timestamp,
    recorded_at: Timestamp,
    /// "FROM→TO", shared by every disclosure in that direction.
    direction: Arc<str>,
    category: CategoryKind,
    /// The gateway as text, shared by every disclosure citing it.
    gateway: Arc<str>,
    themes: Vec<ThemeId>,
    companies: Vec<CompanyId>,
    notified: bool,
    not_mutual: bool,
    /// What the disclosure records about joint engagement with the service, if anything.
    joint_engagement: Option<String>,
}

/// What review takes from one record before its in-order pass: the entry's hash, the decoded
/// entry, and for a disclosure the facts that depend on the entry alone and the field values a
/// theme-only disclosure's policy checks read. Made on all cores.
struct Decoded {
    hash: EntryHash,
    entry: Result<crate::model::Entry, codec::DecodeError>,
    /// A disclosure's facts, but for `not_mutual` (which depends on the registers).
    fact: Option<Fact>,
    values: Option<Vec<(String, String)>>,
}

fn decode_for_review(r: &crate::store::StoredRecord) -> Decoded {
    let hash = EntryHash(leaf_hash(&r.bytes));
    let entry = codec::decode_entry(&r.bytes);
    let (mut fact, mut values) = (None, None);
    if let (None, Ok(e)) = (&r.malformed, &entry)
        && let Some(d) = e.body.disclosure()
    {
        if let Body::Disclosure(d) = &e.body {
            fact = Some(fact_of(e.seq.0, e.recorded_at, d));
        }
        if d.category.kind() == CategoryKind::ThemeOnly {
            values = Some(crate::verify::values_of(&r.vault().unwrap_or_default()));
        }
    }
    Decoded {
        hash,
        entry,
        fact,
        values,
    }
}

/// Distinct directions or gateway texts each thread keeps for sharing; beyond it (a hostile
/// file) each fact gets its own copy.
const SHARED_TEXTS: usize = 4096;

/// The facts of one disclosure that depend on it alone (`not_mutual` is left false).
fn fact_of(seq: u64, recorded_at: Timestamp, d: &crate::model::Disclosure) -> Fact {
    type Texts = (
        HashMap<(PartyId, PartyId), Arc<str>>,
        HashMap<Gateway, Arc<str>>,
    );
    thread_local! {
        // Texts that many disclosures share are made once per thread.
        static TEXTS: std::cell::RefCell<Texts> = Default::default();
    }
    let (direction, gateway) = TEXTS.with_borrow_mut(|(directions, gateways)| {
        let key = (d.from.clone(), d.to.clone());
        let direction = match directions.get(&key) {
            Some(t) => Arc::clone(t),
            None => {
                let text: Arc<str> = format!("{}→{}", d.from, d.to).into();
                if directions.len() < SHARED_TEXTS {
                    directions.insert(key, Arc::clone(&text));
                }
                text
            }
        };
        let gateway = match gateways.get(&d.gateway) {
            Some(t) => Arc::clone(t),
            None => {
                let text: Arc<str> = d.gateway.to_string().into();
                if gateways.len() < SHARED_TEXTS {
                    gateways.insert(d.gateway.clone(), Arc::clone(&text));
                }
                text
            }
        };
        (direction, gateway)
    });
    Fact {
        seq,
        date: d.disclosed_at.london_date(),
        disclosed_at: d.disclosed_at,
        recorded_at,
        direction,
        category: d.category.kind(),
        gateway,
        themes: d.category.themes().to_vec(),
        companies: d
            .category
            .companies()
            .iter()
            .map(|c| c.id.clone())
            .collect(),
        notified: matches!(d.notification, Notification::Notified),
        not_mutual: false,
        joint_engagement: d.joint_engagement.clone(),
    }
}

/// Builds the review of `store`.
pub fn build_review(
    store: &(impl LogReader + Sync),
    opts: &ReviewOptions,
) -> Result<ReviewReport, ReviewError> {
    let mut reg = Registers::default();
    let mut engine = PolicyEngine::new();
    let mut facts: Vec<Fact> = Vec::new();
    let mut flags: Vec<Flag> = Vec::new();
    // Correction (with a replacement) → the disclosure it supersedes.
    let mut replaces: HashMap<u64, u64> = HashMap::new();
    // (flagged entry, flag code) → the latest disposition: when, and what was done.
    let mut dispositions: HashMap<(u64, String), (Timestamp, DispositionAction)> = HashMap::new();
    // The dates of decisions not to disclose.
    let mut refusals: Vec<Date> = Vec::new();
    let mut problems = Vec::new();
    let mut prev = EntryHash::ZERO;
    let mut expected = 0u64;
    let mut compact = tlog::CompactRange::new();
    let mut one = |r: &crate::store::StoredRecord, decoded: Decoded| {
        let Decoded {
            hash,
            entry,
            fact,
            values,
        } = decoded;
        compact.push(hash.0);
        if let Some(why) = &r.malformed {
            problems.push(format!("entry #{}: {why}", r.key));
            prev = hash;
            expected = r.key + 1;
            return Ok::<_, ReviewError>(());
        }
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                problems.push(format!("entry #{}: {e}", r.key));
                prev = hash;
                expected = r.key + 1;
                return Ok::<_, ReviewError>(());
            }
        };
        if r.key != expected || entry.seq.0 != r.key {
            problems.push(format!("entry #{}: out of sequence", r.key));
        }
        if entry.prev != prev {
            problems.push(format!("entry #{}: broken chain", r.key));
        }
        match &entry.body {
            Body::Disclosure(d) => {
                flags.extend(engine.judge(
                    entry.seq,
                    entry.recorded_at,
                    entry.version,
                    d,
                    &reg,
                    values.as_deref(),
                ));
                if let Some(mut fact) = fact {
                    fact.not_mutual = d
                        .category
                        .companies()
                        .iter()
                        .any(|c| !reg.is_mutual(&c.id, &d.from, &d.to, d.disclosed_at));
                    facts.push(fact);
                }
            }
            // A correction's replacement is a disclosure, judged exactly like a new one; its
            // flags count against the disclosure it replaces.
            Body::Correction(c) => {
                if let Some(d) = &c.replacement {
                    replaces.insert(entry.seq.0, c.supersedes.0);
                    flags.extend(engine.judge(
                        entry.seq,
                        crate::verify::first_recorded(&reg, c.supersedes, entry.recorded_at),
                        entry.version,
                        d,
                        &reg,
                        values.as_deref(),
                    ));
                }
            }
            Body::Genesis(g) => {
                flags.extend(engine.judge_policy_entry(entry.seq, entry.recorded_at, &g.policy))
            }
            Body::PolicyAdopted(p) => {
                flags.extend(engine.judge_policy_entry(entry.seq, entry.recorded_at, p))
            }
            Body::Refusal(x) => refusals.push(x.decided_at.london_date()),
            Body::Disposition(d) => {
                dispositions.insert((d.entry.0, d.flag.clone()), (entry.recorded_at, d.action));
            }
            _ => {}
        }
        reg.apply(&entry, hash.0);
        prev = hash;
        expected = r.key + 1;
        Ok(())
    };
    // Records are read on another thread and hashed and decoded a chunk at a time on all
    // cores, then taken here in order.
    crate::stream::prepared_chunks(store, 0, 1024, decode_for_review, |chunk, prepared| {
        for (r, d) in chunk.iter().zip(prepared) {
            one(r, d)?;
        }
        if let Some(last) = chunk.last() {
            opts.progress.report(last.key + 1);
        }
        Ok::<_, ReviewError>(())
    })?;
    flags.extend(engine.finish(&reg, opts.as_of));
    let ledger = ledger_state(store, &reg, &compact, expected, prev, problems)?;

    facts.sort_by_key(|f| (f.date, f.seq));
    // The default range runs from the first to the last decision on the record: disclosures and
    // decisions not to disclose.
    refusals.sort_unstable();
    let first = facts
        .first()
        .map(|f| f.date)
        .into_iter()
        .chain(refusals.first().copied())
        .min();
    let last = facts
        .last()
        .map(|f| f.date)
        .into_iter()
        .chain(refusals.last().copied())
        .max();
    let today = opts.as_of.london_date();
    let from = opts.from.or(first).unwrap_or(today);
    let to = opts.to.or(last).unwrap_or(today);
    if from > to {
        return Err(ReviewError::Range { from, to });
    }
    // The effective record: a replaced disclosure counts its replacement's flags, not its own,
    // as `verify` counts them.
    let replaced: std::collections::HashSet<u64> = replaces.values().copied().collect();
    flags.retain(|f| !crate::verify::is_replaced_flag(f, |s| replaced.contains(&s.0)));
    let mut flags_by_seq: HashMap<u64, Vec<&Flag>> = HashMap::new();
    for f in &flags {
        let disclosure = replaces.get(&f.seq.0).copied().unwrap_or(f.seq.0);
        flags_by_seq.entry(disclosure).or_default().push(f);
    }
    let ctx = Ctx {
        facts: &facts,
        flags: &flags_by_seq,
        reg: &reg,
        dispositions: &dispositions,
        refusals: &refusals,
    };

    // Periods, each compared with the one before it (the first with the period just before
    // the range), then the whole range, compared with the range of the same length just before
    // it. Each window's figures are counted on its own, on all cores.
    let mut windows: Vec<(String, Date, Date)> = Vec::new();
    let mut start = opts.period.start_of(from);
    let p = opts.period.previous(start);
    windows.push((opts.period.label(p), p, day_before(start)));
    while start <= to {
        let next = opts.period.next(start);
        windows.push((
            opts.period.label(start),
            start.max(from),
            day_before(next).min(to),
        ));
        start = next;
    }
    let length = from.until(to).map(|s| s.get_days()).unwrap_or(0);
    let before_to = day_before(from);
    let before_from = before_to
        .checked_sub(jiff::Span::new().days(length))
        .unwrap_or(before_to);
    windows.push(("whole range".to_owned(), from, to));
    windows.push(("previous range".to_owned(), before_from, before_to));
    let mut stats: Vec<PeriodStats> = {
        use rayon::prelude::*;
        windows
            .par_iter()
            .map(|(label, lo, hi)| ctx.stats(label, *lo, *hi))
            .collect()
    };
    let previous_range = stats.pop().expect("the previous range is counted");
    let total = stats.pop().expect("the whole range is counted");
    let total_change = changes(&total, &previous_range);
    let periods: Vec<PeriodRow> = stats
        .windows(2)
        .map(|w| PeriodRow {
            stats: w[1].clone(),
            change: changes(&w[1], &w[0]),
        })
        .collect();

    let mut companies: Vec<CompanyRow> = total
        .by_company
        .iter()
        .map(|(id, n)| {
            let cid = crate::model::CompanyId::new(id.as_str()).ok();
            CompanyRow {
                id: id.clone(),
                name: cid
                    .as_ref()
                    .and_then(|c| reg.companies.get(c))
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                disclosures: *n,
                mutual_at_end: cid.is_some_and(|c| reg.is_mutual_any(&c, end_of(to))),
            }
        })
        .collect();
    companies.sort_by(|a, b| b.disclosures.cmp(&a.disclosures).then(a.id.cmp(&b.id)));
    let in_range = |f: &Flag| {
        let d = f.at.london_date();
        d >= from && d <= to && (reg.disclosures.contains(f.seq) || replaces.contains_key(&f.seq.0))
    };
    let mut flagged: Vec<FlaggedEntry> = flags
        .iter()
        .filter(|f| in_range(f))
        .map(|f| FlaggedEntry {
            seq: f.seq.0,
            date: f.at.london_date().to_string(),
            code: f.code.code().to_owned(),
            severity: f.severity.as_str().to_owned(),
            sections: f.sections.to_owned(),
            message: f.message.clone(),
        })
        .collect();
    flagged.sort_by(|a, b| a.seq.cmp(&b.seq).then(a.code.cmp(&b.code)));
    Ok(ReviewReport {
        schema_version: REVIEW_SCHEMA_VERSION,
        generated_at: Timestamp::now().to_string(),
        as_of: opts.as_of.to_string(),
        period: opts.period,
        from: from.to_string(),
        to: to.to_string(),
        ledger,
        total: PeriodRow {
            stats: total,
            change: total_change,
        },
        periods,
        companies,
        top: opts.top,
        flagged,
    })
}

fn day_before(d: Date) -> Date {
    d.yesterday().expect("dates stay in range")
}

/// The first instant after day `d` ends in Europe/London.
fn end_of(d: Date) -> Timestamp {
    Timestamp::start_of_day(d.tomorrow().expect("dates stay in range"))
}

struct Ctx<'a> {
    facts: &'a [Fact],
    flags: &'a HashMap<u64, Vec<&'a Flag>>,
    reg: &'a Registers,
    dispositions: &'a HashMap<(u64, String), (Timestamp, DispositionAction)>,
    refusals: &'a [Date],
}

/// n ÷ of × 100, or `None` when there is nothing to divide by.
fn pct(n: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| round2(n as f64 * 100.0 / of as f64))
}

/// A percentage or rate for reports: "—" where there was nothing to count.
pub fn show_pct(x: Option<f64>, suffix: &str) -> String {
    x.map_or_else(|| "—".to_owned(), |x| format!("{x:.1}{suffix}"))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn split(notified: u64, skipped: u64) -> Split {
    Split {
        notified,
        skipped,
        skipped_pct: pct(skipped, notified + skipped),
    }
}

/// Nearest-rank percentile of sorted values: the value at rank ⌈p·n⌉.
fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn delay(mut seconds: Vec<i64>) -> Delay {
    seconds.sort_unstable();
    let hours = |s: Option<i64>| s.map(|s| round2(s as f64 / 3600.0));
    Delay {
        n: seconds.len() as u64,
        median_hours: hours(percentile(&seconds, 0.5)),
        p90_hours: hours(percentile(&seconds, 0.9)),
        max_hours: hours(seconds.last().copied()),
    }
}

/// Adds one to `key`'s count, allocating its text only the first time it is seen.
fn bump(counts: &mut BTreeMap<String, u64>, key: &str) {
    match counts.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            counts.insert(key.to_owned(), 1);
        }
    }
}

impl Ctx<'_> {
    fn stats(&self, label: &str, from: Date, to: Date) -> PeriodStats {
        let lo = self.facts.partition_point(|f| f.date < from);
        let hi = self.facts.partition_point(|f| f.date <= to);
        let facts = &self.facts[lo..hi.max(lo)];
        let mut s = PeriodStats {
            label: label.to_owned(),
            start: from.to_string(),
            end: to.to_string(),
            disclosures: facts.len() as u64,
            ..PeriodStats::default()
        };
        let (mut all, mut routine, mut cbc) = ([0u64; 2], [0u64; 2], [0u64; 2]);
        let mut recording = Vec::new();
        let mut ack = Vec::new();
        let mut to_disposition = Vec::new();
        for f in facts {
            bump(&mut s.by_direction, &f.direction);
            bump(&mut s.by_category, f.category.as_str());
            bump(&mut s.by_gateway, &f.gateway);
            for t in &f.themes {
                bump(&mut s.by_theme, t.as_str());
            }
            for c in &f.companies {
                bump(&mut s.by_company, c.as_str());
            }
            let i = usize::from(!f.notified);
            all[i] += 1;
            if f.category == CategoryKind::CaseByCase {
                cbc[i] += 1;
            } else {
                routine[i] += 1;
            }
            if let Some(list) = self.flags.get(&f.seq) {
                s.flags.total += list.len() as u64;
                s.flags.flagged_disclosures += 1;
                for flag in list {
                    *s.flags
                        .by_code
                        .entry(flag.code.code().to_owned())
                        .or_default() += 1;
                    let key = (flag.seq.0, flag.code.code().to_owned());
                    if let Some((at, action)) = self.dispositions.get(&key)
                        && action.closes_flag()
                    {
                        s.flags.disposed += 1;
                        bump(&mut s.flags.disposed_by_action, action.as_str());
                        to_disposition.push(f.recorded_at.seconds_until(*at));
                    }
                }
            }
            if f.joint_engagement
                .as_deref()
                .is_some_and(|j| !j.trim().is_empty())
            {
                s.joint_engagement += 1;
            }
            recording.push(f.disclosed_at.seconds_until(f.recorded_at));
            match self.reg.disclosures.acknowledged(Seq(f.seq)) {
                Some((_, at)) => ack.push(f.recorded_at.seconds_until(at)),
                None => s.unacknowledged += 1,
            }
            if f.not_mutual {
                s.registers.disclosures_not_mutual += 1;
            }
        }
        s.notification = NotificationStats {
            all: split(all[0], all[1]),
            routine: split(routine[0], routine[1]),
            case_by_case: split(cbc[0], cbc[1]),
        };
        s.flags.per_100 = pct(s.flags.total, s.disclosures);
        s.flags.flagged_pct = pct(s.flags.flagged_disclosures, s.disclosures);
        s.flags.disposed_pct = pct(s.flags.disposed, s.flags.total);
        s.refusals = self
            .refusals
            .iter()
            .filter(|d| **d >= from && **d <= to)
            .count() as u64;
        to_disposition.sort_unstable();
        s.flags.median_days_to_disposition =
            percentile(&to_disposition, 0.5).map(|secs| round2(secs as f64 / 86_400.0));
        s.recording_delay_buckets = buckets(&recording);
        s.acknowledgement_delay_buckets = buckets(&ack);
        s.recording_delay = delay(recording);
        s.acknowledgement_delay = delay(ack);
        let (start, end) = (Timestamp::start_of_day(from), end_of(to));
        let at_end = end.plus_seconds(-1);
        s.registers.themes_in_force = self
            .reg
            .themes
            .keys()
            .filter(|t| self.reg.theme_in_force(t, at_end))
            .map(|t| t.to_string())
            .collect();
        s.registers.companies_mutual = self
            .reg
            .companies
            .keys()
            .filter(|c| self.reg.is_mutual_any(c, at_end))
            .map(|c| c.to_string())
            .collect();
        for c in self.reg.companies.values() {
            for i in c.mutual.iter().map(|d| &d.period) {
                if i.from >= start && i.from < end {
                    s.registers.designations += 1;
                }
                if i.until.is_some_and(|u| u >= start && u < end) {
                    s.registers.designation_ends += 1;
                }
            }
        }
        s
    }
}

/// The changes of `now` against `before`: none at all when `before` holds no disclosures (there
/// is no earlier data to compare with, which reports say in words, never as "0 → up"), and no
/// row for a figure either period cannot give (a median of nothing, a rate of nothing).
fn changes(now: &PeriodStats, before: &PeriodStats) -> Vec<Change> {
    if before.disclosures == 0 {
        return Vec::new();
    }
    let row = |metric: &str, current: Option<f64>, previous: Option<f64>| {
        let (current, previous) = (current?, previous?);
        Some(Change {
            metric: metric.to_owned(),
            current,
            previous,
            direction: if current > previous {
                "up"
            } else if current < previous {
                "down"
            } else {
                "same"
            }
            .to_owned(),
        })
    };
    let count = |n: u64| Some(n as f64);
    [
        row(
            "disclosures",
            count(now.disclosures),
            count(before.disclosures),
        ),
        row(
            "notification skipped %",
            now.notification.all.skipped_pct,
            before.notification.all.skipped_pct,
        ),
        row(
            "flags per 100 disclosures",
            now.flags.per_100,
            before.flags.per_100,
        ),
        row(
            "median recording delay (h)",
            now.recording_delay.median_hours,
            before.recording_delay.median_hours,
        ),
        row(
            "median acknowledgement delay (h)",
            now.acknowledgement_delay.median_hours,
            before.acknowledgement_delay.median_hours,
        ),
        row(
            "unacknowledged",
            count(now.unacknowledged),
            count(before.unacknowledged),
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn ledger_state(
    store: &impl LogReader,
    reg: &Registers,
    compact: &tlog::CompactRange,
    entries: u64,
    head: EntryHash,
    problems: Vec<String>,
) -> Result<LedgerState, StoreError> {
    let origin = reg.origin.clone().unwrap_or_default();
    let root = compact.root();
    let mut checkpoints = 0;
    let mut latest: Option<(u64, Vec<String>)> = None;
    for (size, note) in store.checkpoints()? {
        // The stored tree gives the root at any size in O(log n).
        let root_at = |n: u64| {
            (n <= entries)
                .then(|| tlog::tree_hash(n, store).ok())
                .flatten()
        };
        if let Ok(c) = check_checkpoint(&note, &origin, reg, root_at) {
            checkpoints += 1;
            if !c.cosigners.is_empty() {
                let by = c
                    .cosigners
                    .iter()
                    .map(|(p, t)| format!("{p} at {}", Timestamp(i64::try_from(*t).unwrap_or(0))))
                    .collect();
                latest = Some((size, by));
            }
        }
    }
    Ok(LedgerState {
        entries,
        head: (entries > 0).then(|| head.to_hex()),
        root: (entries > 0).then(|| hex::encode(root)),
        chain_intact: problems.is_empty(),
        problems: problems.into_iter().take(20).collect(),
        checkpoints,
        latest_cosigned_size: latest.as_ref().map(|(s, _)| *s),
        latest_cosigned_by: latest.map(|(_, b)| b).unwrap_or_default(),
    })
}
