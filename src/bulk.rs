//! Bulk recording: many disclosures from one file (JSON Lines or CSV), checked in full before
//! anything is written, then signed in parallel and committed in durable batches.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use std::io::Read as _;

use crate::files;
use crate::input::DisclosureInput;
use crate::keys::SecretKey;
use crate::ledger::{
    AppendError, Checked, CheckedEntry, Ledger, Pending, SignatureFeed, fresh_salt, pending_items,
};
use crate::model::{Seq, Timestamp};
use crate::store::VaultItem;

/// A disclosure read from a line: its line number and the disclosure.
pub type Line = (usize, DisclosureInput);

/// A refused line: its number and why.
pub type Refused = (usize, String);

/// How many refused lines an import lists (it counts the rest).
pub const MAX_REPORTED: usize = 100;

/// Why a bulk import wrote nothing (or, for a storage failure, stopped).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BulkError {
    /// The file is not a regular file within the size limits; nothing was read or written.
    #[error(transparent)]
    File(#[from] crate::files::ReadFileError),
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Lines that are not valid disclosures, or that the ledger refuses; nothing was written.
    #[error(
        "{} line{} refused, nothing was written:\n{}{}",
        problems.len() + more,
        if problems.len() + more == 1 { "" } else { "s" },
        problems.iter().map(|(line, p)| format!("  line {line}: {p}")).collect::<Vec<_>>().join("\n"),
        if *more > 0 { format!("\n  ... and {more} more line{}", if *more == 1 { "" } else { "s" }) } else { String::new() }
    )]
    Invalid {
        /// (line number, why), in line order, at most [`MAX_REPORTED`].
        problems: Vec<(usize, String)>,
        /// How many more lines were refused than are listed.
        more: usize,
    },
    /// The file holds no disclosures.
    #[error("{0} holds no disclosures")]
    Empty(String),
    /// Writing failed part-way: the batches before `committed` are in the ledger.
    #[error("writing failed after {committed} disclosures were committed: {source}")]
    Write {
        /// Disclosures already durably recorded.
        committed: u64,
        /// Why.
        source: AppendError,
    },
}

/// Reads disclosures from JSON Lines (one JSON object per line, the fields of
/// [`DisclosureInput`]) or, for a `.csv` file, CSV with columns `from, to, disclosed_at,
/// gateway, category, information_notice, companies, themes, notification, relevance,
/// public_source, assessment_reference, assessment_approver, officer_role` (companies and themes
/// separated by `;`) plus one column `field.NAME` per field shared.
pub fn read_disclosures(path: &Path) -> Result<Vec<(usize, DisclosureInput)>, BulkError> {
    let (out, problems) = read_lines(path)?;
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    Ok(out)
}

/// The refusal listing `problems` (line, why): sorted by line, the first [`MAX_REPORTED`]
/// listed and the rest counted.
fn invalid(mut problems: Vec<(usize, String)>) -> BulkError {
    problems.sort_by_key(|(line, _)| *line);
    let more = problems.len().saturating_sub(MAX_REPORTED);
    problems.truncate(MAX_REPORTED);
    BulkError::Invalid { problems, more }
}

/// Reads a file as [`read_disclosures`] does, but returns the lines that parse together with
/// every line that does not (line number, why), so that they can be reported with the lines
/// the ledger refuses ([`import_lines`]). Refused only if the file cannot be read, or holds no
/// lines at all.
pub fn read_lines(path: &Path) -> Result<(Vec<Line>, Vec<Refused>), BulkError> {
    let io = |source| BulkError::Io {
        path: path.display().to_string(),
        source,
    };
    let csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut out = Vec::new();
    let mut problems = Vec::new();
    if csv {
        let (file, _) = files::open_limited(path, files::BULK_FILE_LIMIT, "bulk import file")?;
        let mut rd = csv::ReaderBuilder::new()
            .flexible(false)
            .from_reader(LineBounded {
                inner: std::io::BufReader::new(file),
                run: 0,
                total: 0,
            });
        let headers: Vec<String> = rd
            .headers()
            .map_err(|e| io(std::io::Error::other(e.to_string())))?
            .iter()
            .map(|h| h.trim().to_owned())
            .collect();
        for (i, rec) in rd.records().enumerate() {
            let line = i + 2;
            match rec {
                Ok(rec) => match csv_row(&headers, &rec) {
                    Ok(d) => out.push((line, d)),
                    Err(p) => problems.push((line, p)),
                },
                Err(e) => problems.push((line, e.to_string())),
            }
        }
    } else {
        use rayon::prelude::*;
        let (file, _) = files::open_limited(path, files::BULK_FILE_LIMIT, "bulk import file")?;
        // Streamed a line at a time, each line bounded, the whole bounded.
        let mut reader = std::io::BufReader::new(file.take(files::BULK_FILE_LIMIT));
        let mut lines: Vec<(usize, String)> = Vec::new();
        let mut line = String::new();
        for i in 0.. {
            let more = files::read_line_limited(
                &mut reader,
                &mut line,
                files::BULK_LINE_LIMIT,
                i + 1,
                "bulk import file",
                path,
            )?;
            if !more {
                break;
            }
            if !line.trim().is_empty() {
                lines.push((i, std::mem::take(&mut line)));
            }
        }
        // Lines are parsed on all cores; the results keep the file's order.
        let parsed: Vec<(usize, Result<DisclosureInput, String>)> = lines
            .par_iter()
            .map(|(i, l)| {
                (
                    i + 1,
                    DisclosureInput::from_json(l).map_err(|e| e.to_string()),
                )
            })
            .collect();
        for (line, d) in parsed {
            match d {
                Ok(d) => out.push((line, d)),
                Err(e) => problems.push((line, e)),
            }
        }
    }
    if out.is_empty() && problems.is_empty() {
        return Err(BulkError::Empty(path.display().to_string()));
    }
    Ok((out, problems))
}

fn csv_row(headers: &[String], rec: &csv::StringRecord) -> Result<DisclosureInput, String> {
    let mut d = DisclosureInput::default();
    let list = |v: &str| -> Vec<String> {
        v.split(';')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let opt = |v: &str| (!v.trim().is_empty()).then(|| v.to_owned());
    let mut fields = BTreeMap::new();
    for (h, v) in headers.iter().zip(rec.iter()) {
        match h.as_str() {
            "from" => d.from = v.to_owned(),
            "to" => d.to = v.to_owned(),
            "disclosed_at" => d.disclosed_at = v.to_owned(),
            "gateway" => d.gateway = opt(v),
            "category" => d.category = v.to_owned(),
            "information_notice" => {
                d.information_notice = match v.trim() {
                    "" | "false" | "no" => false,
                    "true" | "yes" => true,
                    other => {
                        return Err(format!("information_notice {other:?} is not true or false"));
                    }
                }
            }
            "companies" => d.companies = list(v),
            "themes" => d.themes = list(v),
            "notification" => d.notification = v.to_owned(),
            "relevance" => d.relevance = opt(v),
            "public_source" => d.public_source = opt(v),
            "assessment_reference" => d.assessment_reference = opt(v),
            "assessment_approver" => d.assessment_approver = opt(v),
            "officer_role" => d.officer_role = v.to_owned(),
            other => match other.strip_prefix("field.") {
                Some(name) => {
                    if !v.is_empty() {
                        fields.insert(name.to_owned(), v.to_owned());
                    }
                }
                None => {
                    return Err(format!(
                        "column {other:?} is not expected; use the columns listed in `dledger import --help`, and field.NAME for fields shared"
                    ));
                }
            },
        }
    }
    d.fields = fields;
    Ok(d)
}

/// A company introduced earlier in the file (`id=Name`) may be named by its id alone later:
/// rewrite such references so each line can be checked on its own.
fn resolve_new_companies(items: &mut [(usize, DisclosureInput)], ledger: &Ledger) {
    let mut introduced: HashMap<String, String> = HashMap::new();
    for (_, d) in items.iter_mut() {
        for c in &mut d.companies {
            match c.split_once('=') {
                Some((id, name)) => {
                    introduced
                        .entry(id.trim().to_owned())
                        .or_insert_with(|| name.trim().to_owned());
                }
                None => {
                    let known = crate::model::CompanyId::new(c.trim())
                        .map(|id| ledger.registers().companies.contains_key(&id))
                        .unwrap_or(true);
                    if !known && let Some(name) = introduced.get(c.trim()) {
                        *c = format!("{}={name}", c.trim());
                    }
                }
            }
        }
    }
}

/// What a bulk import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkReport {
    /// Disclosures recorded.
    pub recorded: u64,
    /// The first entry recorded.
    pub first: Seq,
    /// The last entry recorded.
    pub last: Seq,
    /// Batches committed.
    pub batches: u64,
    /// The policy flags the recorded disclosures raise, as `disclose` shows them and `verify`
    /// reports them (judged against the registers and policy in force, in ledger order).
    pub flags: Vec<crate::policy::Flag>,
}

/// Checks every disclosure against the ledger first (nothing is written if any is refused;
/// every refused line is reported, see [`BulkError::Invalid`]), then records them signed by
/// `key`, committing every `batch_size` entries.
pub fn import_disclosures(
    ledger: &mut Ledger,
    items: Vec<(usize, DisclosureInput)>,
    key: &SecretKey,
    now: Timestamp,
    batch_size: usize,
    progress: impl FnMut(u64) + Send,
) -> Result<BulkReport, BulkError> {
    import_lines(ledger, items, Vec::new(), key, now, batch_size, progress)
}

/// [`import_disclosures`] for the result of [`read_lines`]: the lines of the file that do not
/// parse (`problems`) are reported together with every line the ledger would refuse, in one
/// [`BulkError::Invalid`], before anything is written.
pub fn import_lines(
    ledger: &mut Ledger,
    mut items: Vec<(usize, DisclosureInput)>,
    mut problems: Vec<(usize, String)>,
    key: &SecretKey,
    now: Timestamp,
    batch_size: usize,
    progress: impl FnMut(u64) + Send,
) -> Result<BulkReport, BulkError> {
    use rayon::prelude::*;
    resolve_new_companies(&mut items, ledger);
    // Every line is checked and prepared (fields salted and committed) first, on all cores;
    // nothing is written if any is refused. Preparing needs only what the ledger held before
    // the import: the disclosures of one file change nothing a later line is prepared against
    // (a company introduced earlier in the file is named with its introduction, above), and
    // each entry is still checked against the registers as it is appended.
    let prepared: Vec<(usize, Result<Pending, String>)> = items
        .into_par_iter()
        .map(|(line, d)| {
            (
                line,
                ledger
                    .prepare_disclosure(&d, key, now, &mut fresh_salt)
                    .map_err(|e| e.to_string()),
            )
        })
        .collect();
    // Then the entries are built and checked in order, as they will be appended (structural
    // rules, the entry size limit), through a read-only handle: every refusal is found here,
    // before the file is opened for writing. Each checked entry is signed on rayon's workers
    // meanwhile, and the writing below starts while the last ones are still being signed.
    let mut lines = Vec::with_capacity(prepared.len());
    let mut bodies = Vec::with_capacity(prepared.len());
    let mut vaults = Vec::with_capacity(prepared.len());
    // Each disclosure's flags, judged as the entry it will be (the import is refused whole if
    // any line is, so the numbering holds when anything is written).
    let base = ledger.next_seq().0;
    let mut flags = Vec::new();
    for (line, p) in prepared {
        match p {
            Ok(p) => {
                flags.extend(ledger.flags_for_at(&p, now, Seq(base + bodies.len() as u64)));
                lines.push(line);
                bodies.push(p.body);
                vaults.push(p.vault);
            }
            Err(e) => problems.push((line, e)),
        }
    }
    let written = if ledger.is_remote() {
        // A replica of a log another party operates: checked here, then sent as chains of
        // entries signed as consecutive ones (each recorded all or none by the node).
        let checked = ledger
            .check_batch(bodies.clone(), key, now)
            .map_err(|source| BulkError::Write {
                committed: 0,
                source,
            })?;
        problems.extend(
            checked
                .refused
                .into_iter()
                .map(|(i, e)| (lines[i], e.to_string())),
        );
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
        Ok(submit_in_chains(ledger, bodies, vaults, key, now, progress))
    } else {
        ledger.check_and_sign_then(bodies, key, now, |ledger, mut checked, feed| {
            let refused = std::mem::take(&mut checked.refused);
            problems.extend(refused.into_iter().map(|(i, e)| (lines[i], e.to_string())));
            if !problems.is_empty() {
                return Err(invalid(std::mem::take(&mut problems)));
            }
            write_checked(
                ledger, checked, vaults, feed, key, now, batch_size, progress,
            )
        })
    };
    let mut report = written.map_err(|source| BulkError::Write {
        committed: 0,
        source,
    })??;
    // Another writer may have appended between the check and the write: the entries then start
    // later, and the flags are renumbered to match.
    if report.first.0 != base {
        for f in &mut flags {
            let old = format!("#{} ", f.seq.0);
            f.seq = Seq(f.seq.0 - base + report.first.0);
            if let Some(rest) = f.message.strip_prefix(&old) {
                f.message = format!("#{} {rest}", f.seq.0);
            }
        }
    }
    report.flags = flags;
    Ok(report)
}

impl BulkReport {
    /// The report of an import that has recorded nothing yet, its first entry to be `first`.
    fn starting_at(first: Seq) -> BulkReport {
        BulkReport {
            recorded: 0,
            first,
            last: Seq(0),
            batches: 0,
            flags: Vec::new(),
        }
    }
}

/// The writing pass of [`import_lines`] into a replica of a remote log: chains of at most
/// [`crate::node::write::MAX_CHAIN`] entries, each recorded all or none by the node.
fn submit_in_chains(
    ledger: &mut Ledger,
    bodies: Vec<crate::model::Body>,
    vaults: Vec<Vec<VaultItem>>,
    key: &SecretKey,
    now: Timestamp,
    mut progress: impl FnMut(u64),
) -> Result<BulkReport, BulkError> {
    let mut report = BulkReport::starting_at(ledger.next_seq());
    let pending: Vec<Pending> = bodies
        .into_iter()
        .zip(vaults)
        .map(|(body, vault)| Pending { body, vault })
        .collect();
    for (i, chunk) in pending.chunks(crate::node::write::MAX_CHAIN).enumerate() {
        let receipts = ledger
            .append_batch(chunk.to_vec(), key, now)
            .map_err(|source| BulkError::Write {
                committed: report.recorded,
                source,
            })?;
        if i == 0
            && let Some(r) = receipts.first()
        {
            report.first = r.seq;
        }
        if let Some(r) = receipts.last() {
            report.last = r.seq;
        }
        report.recorded += receipts.len() as u64;
        report.batches += 1;
        progress(report.recorded);
    }
    Ok(report)
}

/// The writing pass of [`import_lines`]: appends the checked entries (with their vault items)
/// `batch_size` at a time, each batch written on another thread while the next is staged.
#[allow(clippy::too_many_arguments)]
fn write_checked(
    ledger: &mut Ledger,
    checked: Checked,
    vaults: Vec<Vec<VaultItem>>,
    mut feed: SignatureFeed,
    key: &SecretKey,
    now: Timestamp,
    batch_size: usize,
    mut progress: impl FnMut(u64),
) -> Result<BulkReport, BulkError> {
    let mut report = BulkReport::starting_at(ledger.next_seq());
    let mut batch = ledger.begin().map_err(|source| BulkError::Write {
        committed: 0,
        source,
    })?;
    // The entries the checking pass built are appended as they are, unless another writer
    // appended in between (then they are built, checked and signed again against the new head).
    let mut source = match checked.for_batch(&batch) {
        Ok(entries) => Source::Checked(entries.into_iter()),
        Err(bodies) => Source::Bodies(bodies.into_iter()),
    };
    let mut vaults = vaults.into_iter();
    loop {
        let chunk_vaults: Vec<Vec<VaultItem>> = vaults.by_ref().take(batch_size.max(1)).collect();
        if chunk_vaults.is_empty() {
            break;
        }
        let n = chunk_vaults.len();
        let pushed = match &mut source {
            Source::Checked(entries) => {
                let mut signed: Vec<CheckedEntry> = entries.by_ref().take(n).collect();
                feed.sign(&mut signed);
                batch.push_checked(signed.into_iter().zip(chunk_vaults).collect(), key, now)
            }
            Source::Bodies(bodies) => {
                let chunk = bodies.by_ref().take(n).collect();
                batch.push_many(pending_items(chunk, chunk_vaults, key), now)
            }
        };
        let receipts = pushed.map_err(|source| BulkError::Write {
            committed: report.recorded,
            source,
        })?;
        report.last = receipts.last().map_or(report.last, |r| r.seq);
        report.batches += 1;
        // This chunk is written on another thread while the next one is staged; what comes
        // back is the chunk before, now durable.
        let durable = batch
            .flush_in_background()
            .map_err(|source| BulkError::Write {
                committed: report.recorded,
                source,
            })?;
        report.recorded += durable.len() as u64;
        progress(report.recorded);
    }
    let durable = batch.commit().map_err(|source| BulkError::Write {
        committed: report.recorded,
        source,
    })?;
    report.recorded += durable.len() as u64;
    progress(report.recorded);
    Ok(report)
}

/// What the writing pass appends: the checked entries, or their bodies if the ledger moved on.
enum Source {
    Checked(std::vec::IntoIter<CheckedEntry>),
    Bodies(std::vec::IntoIter<crate::model::Body>),
}

/// A reader that fails once a line runs past [`files::BULK_LINE_LIMIT`] bytes or the whole
/// past [`files::BULK_FILE_LIMIT`], so a CSV file without line breaks is never held whole.
struct LineBounded<R> {
    inner: R,
    run: u64,
    total: u64,
}

impl<R: std::io::Read> std::io::Read for LineBounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total += n as u64;
        if self.total > files::BULK_FILE_LIMIT {
            return Err(std::io::Error::other(format!(
                "the file is longer than the {}-byte limit for a bulk import file",
                files::BULK_FILE_LIMIT
            )));
        }
        for &b in &buf[..n] {
            if b == b'\n' {
                self.run = 0;
            } else {
                self.run += 1;
                if self.run > files::BULK_LINE_LIMIT {
                    return Err(std::io::Error::other(format!(
                        "a line is longer than the {}-byte limit for one line of a bulk import \
                         file",
                        files::BULK_LINE_LIMIT
                    )));
                }
            }
        }
        Ok(n)
    }
}
